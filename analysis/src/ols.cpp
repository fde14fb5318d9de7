#include "convsim/analysis/ols.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "convsim/errors.hpp"

namespace convsim::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string in_quotes(const std::string& name) { return "'" + name + "'"; }

std::string describe_value(double value) {
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "+infinity" : "-infinity";
}

void require_finite(const Eigen::VectorXd& values, const std::string& name, const std::string& source) {
  for (Eigen::Index i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw InputError(source, 0, name,
                       in_quotes(name) + " is " + describe_value(values[i]) + " at observation " +
                           std::to_string(i + 1) + "; OLS needs finite values");
    }
  }
}

bool is_constant_column(const Eigen::VectorXd& column) {
  if (column.size() == 0 || column[0] == 0.0) return false;
  return (column.array() == column[0]).all();
}

// Names the regressors that a rank-deficient column is a combination of, for the error message.
[[noreturn]] void throw_collinear(const Eigen::MatrixXd& scaled, const Eigen::ColPivHouseholderQR<Eigen::MatrixXd>& qr,
                                  const std::vector<std::string>& names, const std::string& source) {
  const Eigen::Index rank = qr.rank();
  const auto& permutation = qr.colsPermutation().indices();
  const Eigen::Index dependent = permutation[rank];
  std::vector<Eigen::Index> independent(permutation.data(), permutation.data() + rank);
  std::sort(independent.begin(), independent.end());
  std::string combination;
  if (!independent.empty()) {
    Eigen::MatrixXd basis(scaled.rows(), static_cast<Eigen::Index>(independent.size()));
    for (std::size_t j = 0; j < independent.size(); ++j) basis.col(static_cast<Eigen::Index>(j)) = scaled.col(independent[j]);
    const Eigen::VectorXd weights = basis.colPivHouseholderQr().solve(scaled.col(dependent));
    const double largest = weights.cwiseAbs().maxCoeff();
    for (std::size_t j = 0; j < independent.size(); ++j) {
      if (std::abs(weights[static_cast<Eigen::Index>(j)]) > 1e-6 * largest) {
        combination += (combination.empty() ? "" : ", ") + in_quotes(names[static_cast<std::size_t>(independent[j])]);
      }
    }
  }
  const std::string& name = names[static_cast<std::size_t>(dependent)];
  std::string message = "regressors are collinear: " + in_quotes(name);
  message += combination.empty() ? " is a linear combination of the other regressors"
                                 : " is (to rounding) a linear combination of " + combination;
  message += "; the coefficients are not identified (rank " + std::to_string(rank) + " of " +
             std::to_string(scaled.cols()) + "): drop or replace one of them";
  throw InputError(source, 0, name, message);
}

// (X'X)^-1 X' Ω X (X'X)^-1 with Ω given by the Bartlett-weighted residual cross products up to `lags`.
Eigen::MatrixXd sandwich_covariance(const Eigen::MatrixXd& regressors, const Eigen::VectorXd& residuals,
                                    const Eigen::MatrixXd& bread, int lags) {
  const Eigen::Index n = regressors.rows();
  const Eigen::MatrixXd scores = regressors.array().colwise() * residuals.array();  // x_t e_t
  Eigen::MatrixXd meat = scores.transpose() * scores;
  for (int lag = 1; lag <= lags; ++lag) {
    const double weight = 1.0 - static_cast<double>(lag) / (lags + 1.0);
    const Eigen::MatrixXd cross = scores.bottomRows(n - lag).transpose() * scores.topRows(n - lag);
    meat += weight * (cross + cross.transpose());
  }
  return bread * meat * bread;
}

}  // namespace

std::string_view covariance_type_name(CovarianceType type) noexcept {
  switch (type) {
    case CovarianceType::classic: return "classic";
    case CovarianceType::hc1: return "hc1";
    case CovarianceType::newey_west: return "hac";
  }
  return "classic";
}

std::string covariance_type_label(CovarianceType type, int hac_lags) {
  switch (type) {
    case CovarianceType::classic: return "nonrobust";
    case CovarianceType::hc1: return "HC1";
    case CovarianceType::newey_west:
      return "HAC (Newey-West, " + std::to_string(hac_lags) + (hac_lags == 1 ? " lag)" : " lags)");
  }
  return "nonrobust";
}

std::optional<CovarianceType> parse_covariance_type(std::string_view text) noexcept {
  if (text == "classic" || text == "nonrobust") return CovarianceType::classic;
  if (text == "hc1" || text == "HC1") return CovarianceType::hc1;
  if (text == "hac" || text == "HAC" || text == "newey-west" || text == "newey_west") return CovarianceType::newey_west;
  return std::nullopt;
}

int default_newey_west_lags(int observations) noexcept {
  if (observations <= 0) return 0;
  return static_cast<int>(std::floor(4.0 * std::pow(observations / 100.0, 2.0 / 9.0)));
}

Eigen::MatrixXd with_constant(const Eigen::MatrixXd& regressors) {
  Eigen::MatrixXd out(regressors.rows(), regressors.cols() + 1);
  out.col(0).setOnes();
  out.rightCols(regressors.cols()) = regressors;
  return out;
}

double student_t_two_sided_p(double t_statistic, double degrees_of_freedom) {
  if (std::isnan(t_statistic) || !(degrees_of_freedom > 0)) return kNaN;
  if (std::isinf(t_statistic)) return 0.0;
  const boost::math::students_t_distribution<double> distribution(degrees_of_freedom);
  return 2.0 * boost::math::cdf(boost::math::complement(distribution, std::abs(t_statistic)));
}

double fisher_f_upper_p(double f_statistic, double numerator_df, double denominator_df) {
  if (std::isnan(f_statistic) || !(numerator_df > 0) || !(denominator_df > 0)) return kNaN;
  if (std::isinf(f_statistic)) return 0.0;
  if (f_statistic <= 0) return 1.0;
  const boost::math::fisher_f_distribution<double> distribution(numerator_df, denominator_df);
  return boost::math::cdf(boost::math::complement(distribution, f_statistic));
}

OlsResult fit_ols(const Eigen::VectorXd& response, const Eigen::MatrixXd& regressors,
                  const std::vector<std::string>& regressor_names, const OlsOptions& options,
                  const std::string& response_name) {
  const std::string& source = options.source;
  const Eigen::Index n = regressors.rows();
  const Eigen::Index k = regressors.cols();
  if (response.size() != n) {
    throw InputError(source, 0, response_name,
                     "the response has " + std::to_string(response.size()) + " observations but the regressors have " +
                         std::to_string(n));
  }
  if (static_cast<Eigen::Index>(regressor_names.size()) != k) {
    throw InputError(source, 0, "", std::to_string(regressor_names.size()) + " regressor names for " +
                                        std::to_string(k) + " regressor columns");
  }
  if (k == 0) throw InputError(source, 0, "", "the regression has no regressors");
  if (!(options.confidence_level > 0 && options.confidence_level < 1)) {
    throw InputError(source, 0, "confidence_level",
                     "confidence level " + std::to_string(options.confidence_level) + " is not between 0 and 1");
  }
  require_finite(response, response_name, source);
  for (Eigen::Index j = 0; j < k; ++j) require_finite(regressors.col(j), regressor_names[static_cast<std::size_t>(j)], source);
  if (n <= k) {
    throw InputError(source, 0, "",
                     "too few observations: " + std::to_string(n) + " for " + std::to_string(k) +
                         " coefficients; OLS needs more observations than coefficients (n > k)");
  }

  // Equilibrate the columns so that the rank decision does not depend on units.
  Eigen::VectorXd column_norms = regressors.colwise().norm().transpose();
  for (Eigen::Index j = 0; j < k; ++j) {
    if (column_norms[j] == 0.0) {
      const std::string& name = regressor_names[static_cast<std::size_t>(j)];
      throw InputError(source, 0, name, "regressor " + in_quotes(name) + " is zero in every observation");
    }
  }
  const Eigen::MatrixXd scaled = regressors * column_norms.cwiseInverse().asDiagonal();
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(scaled.rows(), scaled.cols());
  qr.setThreshold(options.rank_tolerance);
  qr.compute(scaled);
  if (qr.rank() < k) throw_collinear(scaled, qr, regressor_names, source);

  OlsResult result;
  result.names = regressor_names;
  result.response_name = response_name;
  result.observations = static_cast<int>(n);
  result.parameters = static_cast<int>(k);
  result.residual_df = static_cast<int>(n - k);
  result.covariance_type = options.covariance;
  result.confidence_level = options.confidence_level;
  Eigen::Index constant_column = -1;  // the first column of equal non-zero values, if any
  for (Eigen::Index j = 0; j < k && constant_column < 0; ++j) {
    if (is_constant_column(regressors.col(j))) constant_column = j;
  }
  result.has_constant = constant_column >= 0;
  result.model_df = result.parameters - (result.has_constant ? 1 : 0);

  result.coefficients = column_norms.cwiseInverse().asDiagonal() * qr.solve(response);
  result.fitted_values = regressors * result.coefficients;
  result.residuals = response - result.fitted_values;

  // (X'X)^-1 from the triangular factor: Xs P = Q R, so (Xs'Xs)^-1 = P R^-1 R^-T P'.
  const Eigen::MatrixXd r_factor = qr.matrixR().topLeftCorner(k, k).triangularView<Eigen::Upper>();
  const Eigen::MatrixXd r_inverse =
      r_factor.triangularView<Eigen::Upper>().solve(Eigen::MatrixXd::Identity(k, k));
  const Eigen::MatrixXd scaled_inverse = qr.colsPermutation() * (r_inverse * r_inverse.transpose()) *
                                         qr.colsPermutation().transpose();
  const Eigen::MatrixXd bread = column_norms.cwiseInverse().asDiagonal() * scaled_inverse *
                                column_norms.cwiseInverse().asDiagonal();

  const double nd = static_cast<double>(n);
  const double df = static_cast<double>(n - k);
  result.sum_squared_residuals = result.residuals.squaredNorm();
  result.total_sum_of_squares = result.has_constant ? (response.array() - response.mean()).matrix().squaredNorm()
                                                    : response.squaredNorm();
  const double rounding_scale = 1e3 * std::numeric_limits<double>::epsilon() * response.norm();
  result.exact_fit = std::sqrt(result.sum_squared_residuals) <=
                     1e-10 * std::sqrt(result.total_sum_of_squares) + rounding_scale;
  if (result.total_sum_of_squares > 0) {
    result.r_squared = result.exact_fit ? 1.0 : 1.0 - result.sum_squared_residuals / result.total_sum_of_squares;
    result.adjusted_r_squared = 1.0 - (1.0 - result.r_squared) * (nd - (result.has_constant ? 1.0 : 0.0)) / df;
  } else {
    result.r_squared = kNaN;
    result.adjusted_r_squared = kNaN;
  }
  result.condition_number = [&] {
    const Eigen::JacobiSVD<Eigen::MatrixXd> svd(regressors);
    const auto& singular = svd.singularValues();
    return singular[0] / singular[singular.size() - 1];
  }();

  if (options.covariance == CovarianceType::newey_west) {
    result.hac_lags = options.hac_lags.value_or(default_newey_west_lags(static_cast<int>(n)));
    if (result.hac_lags < 0 || result.hac_lags >= n) {
      throw InputError("<command line>", 0, "--hac-lags",
                       "Newey-West lag " + std::to_string(result.hac_lags) + " is outside 0.." +
                           std::to_string(n - 1) + " for " + std::to_string(n) + " observations");
    }
  }

  const Eigen::Index kk = k;
  result.standard_errors.resize(kk);
  result.t_statistics.resize(kk);
  result.p_values.resize(kk);
  result.confidence_lower.resize(kk);
  result.confidence_upper.resize(kk);

  if (result.exact_fit) {
    // The data lie on the fitted plane: no residual variance, so no sampling distribution.
    result.sigma = 0;
    result.covariance = Eigen::MatrixXd::Zero(k, k);
    result.standard_errors.setZero();
    result.t_statistics.setConstant(kNaN);
    result.p_values.setConstant(kNaN);
    result.confidence_lower = result.coefficients;
    result.confidence_upper = result.coefficients;
    result.f_statistic = kNaN;
    result.f_p_value = kNaN;
    result.durbin_watson = kNaN;
    result.log_likelihood = kNaN;
    result.aic = kNaN;
    result.bic = kNaN;
    return result;
  }

  result.sigma = std::sqrt(result.sum_squared_residuals / df);
  switch (options.covariance) {
    case CovarianceType::classic:
      result.covariance = result.sigma * result.sigma * bread;
      break;
    case CovarianceType::hc1:
      result.covariance = nd / df * sandwich_covariance(regressors, result.residuals, bread, 0);
      break;
    case CovarianceType::newey_west:
      result.covariance = nd / df * sandwich_covariance(regressors, result.residuals, bread, result.hac_lags);
      break;
  }
  result.covariance = 0.5 * (result.covariance + result.covariance.transpose());

  const boost::math::students_t_distribution<double> t_distribution(df);
  const double t_quantile =
      boost::math::quantile(boost::math::complement(t_distribution, (1.0 - options.confidence_level) / 2.0));
  for (Eigen::Index j = 0; j < k; ++j) {
    const double se = std::sqrt(std::max(result.covariance(j, j), 0.0));
    result.standard_errors[j] = se;
    result.t_statistics[j] = se > 0 ? result.coefficients[j] / se : kNaN;
    result.p_values[j] = student_t_two_sided_p(result.t_statistics[j], df);
    result.confidence_lower[j] = result.coefficients[j] - t_quantile * se;
    result.confidence_upper[j] = result.coefficients[j] + t_quantile * se;
  }

  // F test that every non-constant coefficient is zero.
  if (result.model_df == 0) {
    result.f_statistic = kNaN;
  } else if (options.covariance == CovarianceType::classic && result.has_constant) {
    result.f_statistic = (result.r_squared / result.model_df) / ((1.0 - result.r_squared) / df);
  } else {
    std::vector<Eigen::Index> slopes;
    for (Eigen::Index j = 0; j < k; ++j) {
      if (j != constant_column) slopes.push_back(j);
    }
    const auto q = static_cast<Eigen::Index>(slopes.size());
    Eigen::VectorXd restricted(q);
    Eigen::MatrixXd restricted_covariance(q, q);
    for (Eigen::Index a = 0; a < q; ++a) {
      restricted[a] = result.coefficients[slopes[static_cast<std::size_t>(a)]];
      for (Eigen::Index b = 0; b < q; ++b) {
        restricted_covariance(a, b) = result.covariance(slopes[static_cast<std::size_t>(a)], slopes[static_cast<std::size_t>(b)]);
      }
    }
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(restricted_covariance);
    if (ldlt.info() != Eigen::Success || !ldlt.isPositive() || (ldlt.vectorD().array() <= 0).any()) {
      result.f_statistic = kNaN;
    } else {
      result.f_statistic = restricted.dot(ldlt.solve(restricted)) / static_cast<double>(q);
    }
  }
  result.f_p_value = fisher_f_upper_p(result.f_statistic, result.model_df, df);

  double squared_differences = 0;
  for (Eigen::Index t = 1; t < n; ++t) {
    const double difference = result.residuals[t] - result.residuals[t - 1];
    squared_differences += difference * difference;
  }
  result.durbin_watson = squared_differences / result.sum_squared_residuals;
  result.log_likelihood =
      -nd / 2.0 * (std::log(2.0 * std::numbers::pi) + std::log(result.sum_squared_residuals / nd) + 1.0);
  result.aic = -2.0 * result.log_likelihood + 2.0 * static_cast<double>(k);
  result.bic = -2.0 * result.log_likelihood + static_cast<double>(k) * std::log(nd);
  return result;
}

}  // namespace convsim::analysis
