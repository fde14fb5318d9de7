// Ordinary least squares with the diagnostics of a statistics package summary: coefficients,
// standard errors (classic, HC1 or Newey-West), t tests, confidence intervals, R², F test,
// Durbin-Watson and information criteria. Solved by column-pivoting Householder QR on
// column-equilibrated regressors (never the normal equations).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Dense>

namespace convsim::analysis {

// How the covariance of the coefficients is estimated.
enum class CovarianceType {
  classic,     // s² (X'X)⁻¹: homoskedastic, serially uncorrelated errors
  hc1,         // White's heteroskedasticity-robust sandwich with the n/(n-k) factor (HC1)
  newey_west,  // heteroskedasticity and autocorrelation consistent (HAC), Bartlett kernel, n/(n-k) factor
};

// The short name of a covariance type as the CLI spells it: "classic", "hc1" or "hac".
std::string_view covariance_type_name(CovarianceType type) noexcept;
// The label a summary table shows, e.g. "nonrobust", "HC1", "HAC (Newey-West, 2 lags)".
std::string covariance_type_label(CovarianceType type, int hac_lags);
// Parses "classic", "hc1" or "hac" (also "nonrobust", "newey-west"); nullopt otherwise.
std::optional<CovarianceType> parse_covariance_type(std::string_view text) noexcept;
// The default Newey-West truncation lag floor(4 (n/100)^(2/9)) for n observations.
int default_newey_west_lags(int observations) noexcept;

// Settings of an OLS fit.
struct OlsOptions {
  CovarianceType covariance = CovarianceType::classic;
  std::optional<int> hac_lags;    // Newey-West lags; default_newey_west_lags(n) when unset
  double confidence_level = 0.95;  // of the coefficient intervals
  std::string source = "<data>";   // where the data came from, named in error messages
  // Columns whose pivot in the QR falls below this fraction of the largest (after scaling every
  // column to unit length) are treated as linear combinations of the others.
  double rank_tolerance = 1e-10;
};

// Everything an OLS fit reports. Vectors indexed by coefficient follow `names`.
struct OlsResult {
  std::vector<std::string> names;        // regressor names, e.g. {"const", "ln(K)"}
  std::string response_name;             // the dependent variable's name
  Eigen::VectorXd coefficients;
  Eigen::VectorXd standard_errors;
  Eigen::VectorXd t_statistics;          // NaN when the standard error is 0 (exact fit)
  Eigen::VectorXd p_values;              // two-sided, Student t with residual_df degrees of freedom
  Eigen::VectorXd confidence_lower;      // at confidence_level, Student t quantiles
  Eigen::VectorXd confidence_upper;
  Eigen::MatrixXd covariance;            // of the coefficients, under covariance_type
  Eigen::VectorXd fitted_values;
  Eigen::VectorXd residuals;
  int observations = 0;                  // n
  int parameters = 0;                    // k, including the constant
  int residual_df = 0;                   // n - k
  int model_df = 0;                      // k minus 1 when there is a constant
  bool has_constant = false;             // one regressor is constant: R² is centred, F omits it
  bool exact_fit = false;                // residuals vanish to rounding: R² = 1, tests undefined
  CovarianceType covariance_type = CovarianceType::classic;
  int hac_lags = 0;                      // lags used by Newey-West (0 otherwise)
  double confidence_level = 0.95;
  double sum_squared_residuals = 0;
  double total_sum_of_squares = 0;       // centred when has_constant, else uncentred
  double r_squared = 0;
  double adjusted_r_squared = 0;
  double sigma = 0;                      // residual standard error sqrt(SSR / (n - k))
  double f_statistic = 0;                // Wald test that all slopes are 0, under covariance_type
  double f_p_value = 0;                  // from F(model_df, residual_df)
  double durbin_watson = 0;              // sum (e_t - e_{t-1})² / sum e_t²; NaN on exact fit
  double log_likelihood = 0;             // Gaussian, at the ML variance SSR / n
  double aic = 0;                        // -2 log L + 2k
  double bic = 0;                        // -2 log L + k ln n
  double condition_number = 0;           // of the regressor matrix as given (largest / smallest singular value)
};

// Fits response = regressors · b + e. Include a column of ones in `regressors` for a constant
// (see with_constant). Throws InputError (file = options.source, key = the regressor) for
// mismatched sizes, non-finite values, n <= k, or collinear regressors (naming the one that is
// a linear combination of the others and which ones). On an exact fit (exact_fit) the standard
// errors are 0 and t, p, F, Durbin-Watson, log-likelihood, AIC and BIC are NaN.
OlsResult fit_ols(const Eigen::VectorXd& response, const Eigen::MatrixXd& regressors,
                  const std::vector<std::string>& regressor_names, const OlsOptions& options = {},
                  const std::string& response_name = "y");

// The regressor matrix with a leading column of ones.
Eigen::MatrixXd with_constant(const Eigen::MatrixXd& regressors);

// Two-sided p-value of a t statistic with `degrees_of_freedom` (Boost.Math students_t);
// 0 for an infinite statistic, NaN for NaN.
double student_t_two_sided_p(double t_statistic, double degrees_of_freedom);

// Upper-tail probability of an F(numerator_df, denominator_df) statistic (Boost.Math fisher_f).
double fisher_f_upper_p(double f_statistic, double numerator_df, double denominator_df);

}  // namespace convsim::analysis
