// Tests of convsim::analysis::fit_ols against closed forms and exactly known answers. The real-data
// checks (Penn World Table, classic, HC1 and Newey-West) are in solow_test.cpp.
#include "convsim/analysis/ols.hpp"

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "convsim/errors.hpp"
#include "input_error.hpp"

namespace convsim::analysis {
namespace {

Eigen::VectorXd vector_of(const std::vector<double>& values) {
  return Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
}

using convsim::testing::input_error_of;

// A small, noisy simple regression with hand-computable answers.
class SimpleRegressionTest : public ::testing::Test {
 protected:
  const std::vector<double> x_values{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const std::vector<double> y_values{2.9, 5.2, 6.8, 9.4, 10.7, 13.5, 14.6, 17.3, 18.8, 21.4};
};

TEST_F(SimpleRegressionTest, MatchesTextbookFormulas) {
  const auto n = static_cast<double>(x_values.size());
  double x_mean = 0, y_mean = 0;
  for (std::size_t i = 0; i < x_values.size(); ++i) {
    x_mean += x_values[i] / n;
    y_mean += y_values[i] / n;
  }
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t i = 0; i < x_values.size(); ++i) {
    sxx += (x_values[i] - x_mean) * (x_values[i] - x_mean);
    sxy += (x_values[i] - x_mean) * (y_values[i] - y_mean);
    syy += (y_values[i] - y_mean) * (y_values[i] - y_mean);
  }
  // Closed forms: slope = cov/var, intercept = ybar - slope xbar, s^2 = SSR / (n - 2),
  // se(slope) = s / sqrt(Sxx), se(intercept) = s sqrt(1/n + xbar^2 / Sxx), R^2 = Sxy^2 / (Sxx Syy).
  const double slope = sxy / sxx;
  const double intercept = y_mean - slope * x_mean;
  double ssr = 0, squared_differences = 0, previous_residual = 0;
  for (std::size_t i = 0; i < x_values.size(); ++i) {
    const double residual = y_values[i] - intercept - slope * x_values[i];
    ssr += residual * residual;
    if (i > 0) squared_differences += (residual - previous_residual) * (residual - previous_residual);
    previous_residual = residual;
  }
  const double s = std::sqrt(ssr / (n - 2));
  const double se_slope = s / std::sqrt(sxx);
  const double se_intercept = s * std::sqrt(1.0 / n + x_mean * x_mean / sxx);

  const OlsResult fit = fit_ols(vector_of(y_values), with_constant(vector_of(x_values)), {"const", "x"});
  EXPECT_NEAR(fit.coefficients[1], slope, 1e-12);
  EXPECT_NEAR(fit.coefficients[0], intercept, 1e-12);
  EXPECT_NEAR(fit.standard_errors[1], se_slope, 1e-12);
  EXPECT_NEAR(fit.standard_errors[0], se_intercept, 1e-12);
  EXPECT_NEAR(fit.t_statistics[1], slope / se_slope, 1e-9);
  EXPECT_NEAR(fit.r_squared, sxy * sxy / (sxx * syy), 1e-13);
  EXPECT_NEAR(fit.adjusted_r_squared, 1 - (1 - fit.r_squared) * (n - 1) / (n - 2), 1e-13);
  EXPECT_NEAR(fit.sigma, s, 1e-13);
  EXPECT_NEAR(fit.sum_squared_residuals, ssr, 1e-12);
  EXPECT_NEAR(fit.durbin_watson, squared_differences / ssr, 1e-10);
  // With one regressor the F statistic is the slope's t squared.
  EXPECT_NEAR(fit.f_statistic, fit.t_statistics[1] * fit.t_statistics[1], 1e-6 * fit.f_statistic);
  EXPECT_NEAR(fit.f_p_value, fit.p_values[1], 1e-12);
  // 95% interval: coefficient +- t_{0.975, 8} se, with t_{0.975, 8} = 2.306004135 (statistical tables).
  EXPECT_NEAR(fit.confidence_upper[1], slope + 2.306004135 * se_slope, 1e-9);
  EXPECT_NEAR(fit.confidence_lower[0], intercept - 2.306004135 * se_intercept, 1e-9);
  const double log_likelihood = -n / 2 * (std::log(2 * std::numbers::pi) + std::log(ssr / n) + 1);
  EXPECT_NEAR(fit.log_likelihood, log_likelihood, 1e-10);
  EXPECT_NEAR(fit.aic, -2 * log_likelihood + 4, 1e-10);
  EXPECT_NEAR(fit.bic, -2 * log_likelihood + 2 * std::log(n), 1e-10);
  EXPECT_EQ(fit.observations, 10);
  EXPECT_EQ(fit.parameters, 2);
  EXPECT_EQ(fit.residual_df, 8);
  EXPECT_EQ(fit.model_df, 1);
  EXPECT_TRUE(fit.has_constant);
  EXPECT_FALSE(fit.exact_fit);
  for (Eigen::Index i = 0; i < 10; ++i) {
    EXPECT_NEAR(fit.fitted_values[i] + fit.residuals[i], y_values[static_cast<std::size_t>(i)], 1e-12);
  }
}

TEST(DistributionTest, StudentTAndFisherFMatchStatisticalTables) {
  // Critical values from standard tables: t_{0.975}(8) = 2.306004, t_{0.995}(16) = 2.920782,
  // F_{0.95}(3, 16) = 3.238872, F_{0.99}(1, 10) = 10.044289.
  EXPECT_NEAR(student_t_two_sided_p(2.306004, 8), 0.05, 1e-6);
  EXPECT_NEAR(student_t_two_sided_p(-2.920782, 16), 0.01, 1e-6);
  EXPECT_NEAR(fisher_f_upper_p(3.238872, 3, 16), 0.05, 1e-6);
  EXPECT_NEAR(fisher_f_upper_p(10.044289, 1, 10), 0.01, 1e-6);
  EXPECT_EQ(student_t_two_sided_p(INFINITY, 5), 0.0);
  EXPECT_TRUE(std::isnan(student_t_two_sided_p(NAN, 5)));
  EXPECT_DOUBLE_EQ(student_t_two_sided_p(0.0, 5), 1.0);
}

TEST(OlsTest, DataFromAnExactLinearModelGiveExactCoefficientsAndRSquaredOne) {
  Eigen::MatrixXd x(12, 2);
  Eigen::VectorXd y(12);
  for (int i = 0; i < 12; ++i) {
    x(i, 0) = i + 1.0;
    x(i, 1) = (i * i) % 7 - 2.5;
    y[i] = 1.5 + 2.0 * x(i, 0) - 0.5 * x(i, 1);
  }
  const OlsResult fit = fit_ols(y, with_constant(x), {"const", "x1", "x2"});
  EXPECT_TRUE(fit.exact_fit);
  EXPECT_NEAR(fit.coefficients[0], 1.5, 1e-12);
  EXPECT_NEAR(fit.coefficients[1], 2.0, 1e-12);
  EXPECT_NEAR(fit.coefficients[2], -0.5, 1e-12);
  EXPECT_EQ(fit.r_squared, 1.0);
  EXPECT_EQ(fit.adjusted_r_squared, 1.0);
  EXPECT_EQ(fit.sigma, 0.0);
  for (Eigen::Index j = 0; j < 3; ++j) {
    EXPECT_EQ(fit.standard_errors[j], 0.0);
    EXPECT_TRUE(std::isnan(fit.t_statistics[j]));
    EXPECT_TRUE(std::isnan(fit.p_values[j]));
    EXPECT_EQ(fit.confidence_lower[j], fit.coefficients[j]);
    EXPECT_EQ(fit.confidence_upper[j], fit.coefficients[j]);
  }
  EXPECT_TRUE(std::isnan(fit.durbin_watson));
  EXPECT_TRUE(std::isnan(fit.f_statistic));
  EXPECT_LT(fit.residuals.cwiseAbs().maxCoeff(), 1e-12);
}

TEST(OlsTest, ExactCoefficientsSurviveBadlyScaledColumns) {
  // Columns of very different magnitude: column equilibration keeps the QR accurate.
  Eigen::MatrixXd x(8, 2);
  Eigen::VectorXd y(8);
  for (int i = 0; i < 8; ++i) {
    x(i, 0) = 1e6 * (i + 1);
    x(i, 1) = 1e-4 * ((3 * i) % 5);
    y[i] = 7.0 + 3e-6 * x(i, 0) + 2e4 * x(i, 1);
  }
  const OlsResult fit = fit_ols(y, with_constant(x), {"const", "big", "small"});
  EXPECT_NEAR(fit.coefficients[0], 7.0, 1e-9);
  EXPECT_NEAR(fit.coefficients[1], 3e-6, 1e-15);
  EXPECT_NEAR(fit.coefficients[2], 2e4, 1e-6);
}

TEST(OlsTest, WithoutAConstantRSquaredIsUncentred) {
  const Eigen::VectorXd x = vector_of({1, 2, 3, 4, 5, 6});
  const Eigen::VectorXd y = vector_of({2.1, 3.9, 6.2, 7.8, 10.1, 12.2});
  const OlsResult fit = fit_ols(y, x, {"x"});
  EXPECT_FALSE(fit.has_constant);
  EXPECT_EQ(fit.model_df, 1);
  const double slope = x.dot(y) / x.dot(x);
  EXPECT_NEAR(fit.coefficients[0], slope, 1e-13);
  EXPECT_NEAR(fit.r_squared, 1 - (y - slope * x).squaredNorm() / y.squaredNorm(), 1e-13);
}

TEST(OlsTest, NeweyWestWithZeroLagsEqualsHc1) {
  const Eigen::VectorXd x = vector_of({1, 3, 2, 5, 4, 7, 6, 9, 8, 10});
  const Eigen::VectorXd y = vector_of({1.2, 2.9, 2.2, 5.6, 3.8, 7.9, 5.5, 10.3, 7.6, 11.0});
  OlsOptions hc1;
  hc1.covariance = CovarianceType::hc1;
  OlsOptions hac;
  hac.covariance = CovarianceType::newey_west;
  hac.hac_lags = 0;
  const OlsResult a = fit_ols(y, with_constant(x), {"const", "x"}, hc1);
  const OlsResult b = fit_ols(y, with_constant(x), {"const", "x"}, hac);
  EXPECT_TRUE(a.covariance.isApprox(b.covariance, 1e-14));
  EXPECT_EQ(b.hac_lags, 0);
  // HC1 by hand for the slope of a simple regression: n/(n-2) sum((x-xbar)^2 e^2) / Sxx^2.
  const Eigen::ArrayXd centred = x.array() - x.mean();
  const double sxx = (centred * centred).sum();
  const double meat = (centred * centred * a.residuals.array().square()).sum();
  EXPECT_NEAR(a.standard_errors[1], std::sqrt(10.0 / 8.0 * meat / (sxx * sxx)), 1e-13);
}

TEST(OlsTest, DefaultNeweyWestLagsFollowTheRuleOfThumb) {
  EXPECT_EQ(default_newey_west_lags(20), 2);   // 4 * 0.2^(2/9) = 2.80
  EXPECT_EQ(default_newey_west_lags(100), 4);
  EXPECT_EQ(default_newey_west_lags(1000), 6); // 4 * 10^(2/9) = 6.67
}

TEST(OlsTest, CovarianceTypesParseAndPrint) {
  EXPECT_EQ(parse_covariance_type("classic"), CovarianceType::classic);
  EXPECT_EQ(parse_covariance_type("hc1"), CovarianceType::hc1);
  EXPECT_EQ(parse_covariance_type("hac"), CovarianceType::newey_west);
  EXPECT_FALSE(parse_covariance_type("hc3").has_value());
  EXPECT_EQ(covariance_type_name(CovarianceType::newey_west), "hac");
  EXPECT_EQ(covariance_type_label(CovarianceType::classic, 0), "nonrobust");
  EXPECT_EQ(covariance_type_label(CovarianceType::newey_west, 2), "HAC (Newey-West, 2 lags)");
}

TEST(OlsErrorTest, CollinearRegressorsAreNamed) {
  Eigen::MatrixXd x(6, 3);
  x << 1, 2, 0.5,  //
      2, 4, 0.1,   //
      3, 6, 0.7,   //
      4, 8, 0.2,   //
      5, 10, 0.9,  //
      6, 12, 0.4;
  OlsOptions options;
  options.source = "data.csv";
  const InputError error =
      input_error_of([&] { fit_ols(Eigen::VectorXd::LinSpaced(6, 1, 6), with_constant(x), {"const", "capital", "twice_capital", "labour"}, options); });
  const std::string message = error.what();
  EXPECT_NE(message.find("collinear"), std::string::npos) << message;
  EXPECT_NE(message.find("'capital'"), std::string::npos) << message;
  EXPECT_NE(message.find("'twice_capital'"), std::string::npos) << message;
  EXPECT_EQ(message.find("'labour'"), std::string::npos) << message;
  EXPECT_TRUE(error.key() == "capital" || error.key() == "twice_capital") << error.key();
  EXPECT_EQ(error.file(), "data.csv");
}

TEST(OlsErrorTest, ARegressorEqualToTheConstantIsCollinear) {
  Eigen::MatrixXd x(5, 2);
  x << 1, 3, 2, 3, 3, 3, 4, 3, 5, 3;
  const InputError error = input_error_of([&] { fit_ols(Eigen::VectorXd::LinSpaced(5, 0, 1), with_constant(x), {"const", "trend", "three"}); });
  const std::string message = error.what();
  EXPECT_NE(message.find("collinear"), std::string::npos) << message;
  EXPECT_NE(message.find("'const'"), std::string::npos) << message;
  EXPECT_NE(message.find("'three'"), std::string::npos) << message;
}

TEST(OlsErrorTest, TooFewObservations) {
  Eigen::MatrixXd x(3, 2);
  x << 1, 2, 2, 1, 3, 5;
  const InputError error = input_error_of([&] { fit_ols(Eigen::VectorXd::Ones(3), with_constant(x), {"const", "a", "b"}); });
  EXPECT_NE(std::string(error.what()).find("too few observations: 3 for 3 coefficients"), std::string::npos)
      << error.what();
}

TEST(OlsErrorTest, NonFiniteValuesNameTheVariableAndObservation) {
  Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(6, 1, 6);
  x[2] = NAN;
  const InputError error = input_error_of([&] { fit_ols(Eigen::VectorXd::Ones(6), with_constant(x), {"const", "capital"}); });
  EXPECT_EQ(error.key(), "capital");
  EXPECT_NE(std::string(error.what()).find("NaN at observation 3"), std::string::npos) << error.what();

  Eigen::VectorXd y = Eigen::VectorXd::LinSpaced(6, 1, 6);
  y[5] = INFINITY;
  const InputError response_error = input_error_of(
      [&] { fit_ols(y, with_constant(Eigen::VectorXd::LinSpaced(6, 1, 6)), {"const", "x"}, {}, "output"); });
  EXPECT_EQ(response_error.key(), "output");
  EXPECT_NE(std::string(response_error.what()).find("+infinity at observation 6"), std::string::npos);
}

TEST(OlsErrorTest, AllZeroRegressorAndBadLagsAreRejected) {
  const InputError zero = input_error_of(
      [&] { fit_ols(Eigen::VectorXd::LinSpaced(5, 1, 5), with_constant(Eigen::VectorXd::Zero(5)), {"const", "nothing"}); });
  EXPECT_EQ(zero.key(), "nothing");
  OlsOptions options;
  options.covariance = CovarianceType::newey_west;
  options.hac_lags = 5;
  const InputError lags = input_error_of([&] {
    fit_ols(vector_of({1, 3, 2, 4, 6}), with_constant(Eigen::VectorXd::LinSpaced(5, 1, 5)), {"const", "x"}, options);
  });
  EXPECT_EQ(lags.key(), "--hac-lags");
}

}  // namespace
}  // namespace convsim::analysis
