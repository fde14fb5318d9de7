// Tests of the Solow regression: the real Penn World Table data against independently computed
// reference values, exactly known Cobb-Douglas data, warnings and input errors.
#include "convsim/analysis/solow.hpp"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "convsim/errors.hpp"
#include "input_error.hpp"
#include "test_support.hpp"

namespace convsim::analysis {
namespace {

const std::string kPwtFile = std::string(CONVSIM_TEST_DATA_DIR) + "/pwt101_korea_1990_2009.csv";

SolowColumns pwt_columns() {
  SolowColumns columns;
  columns.output = "rgdpna";
  columns.capital = "rnna";
  columns.labour = "emp";
  columns.technology = "hc";
  columns.year = "year";
  columns.labour_share = "labsh";
  return columns;
}

SolowReport estimate_pwt(CovarianceType covariance, std::optional<int> hac_lags = std::nullopt) {
  SolowOptions options;
  options.ols.covariance = covariance;
  options.ols.hac_lags = hac_lags;
  return estimate_solow(solow_data_from_table(read_csv(kPwtFile), pwt_columns()), options);
}

using convsim::testing::input_error_of;

using convsim::testing::contains;

// Relative comparison for reference figures printed with 12 significant digits.
#define EXPECT_CLOSE(actual, expected) EXPECT_NEAR((actual), (expected), 1e-9 * std::abs(expected) + 1e-15)

// ---- Penn World Table 10.1, Korea 1990-2009: Y = rgdpna, K = rnna, L = emp, A = hc ----
//
// Reference values were obtained independently with numpy and scipy, not with convsim: run
//   /usr/bin/python3 tests/data/pwt_reference.py
// (numpy 1.24.2, scipy 1.10.1). It reads the same CSV, solves the least-squares problem with
// numpy.linalg.lstsq (SVD), and applies the textbook formulas written in its docstring: classic
// s^2 (X'X)^-1; HC1 = n/(n-k) (X'X)^-1 X' diag(e^2) X (X'X)^-1; Newey-West = n/(n-k) (X'X)^-1 S
// (X'X)^-1 with Bartlett weights 1 - l/(L+1); p-values and quantiles from scipy.stats.t and
// scipy.stats.f. The numbers below are its printed output, copied as printed.

TEST(SolowPwtTest, ClassicCoefficientsAndInferenceMatchTheNumpyReference) {
  const SolowReport report = estimate_pwt(CovarianceType::classic);
  const OlsResult& ols = report.regression;
  ASSERT_EQ(ols.observations, 20);
  ASSERT_EQ(ols.parameters, 4);
  EXPECT_EQ(ols.names, (std::vector<std::string>{"const", "ln(rnna)", "ln(emp)", "ln(hc)"}));
  EXPECT_EQ(ols.response_name, "ln(rgdpna)");
  // const  coef 4.54425050413 se 0.341434456522 t 13.3092908971 p 4.52640010962e-10 ci [3.82044179041, 5.26805921785]
  EXPECT_CLOSE(ols.coefficients[0], 4.54425050413);
  EXPECT_CLOSE(ols.standard_errors[0], 0.341434456522);
  EXPECT_CLOSE(ols.t_statistics[0], 13.3092908971);
  EXPECT_CLOSE(ols.p_values[0], 4.52640010962e-10);
  EXPECT_CLOSE(ols.confidence_lower[0], 3.82044179041);
  EXPECT_CLOSE(ols.confidence_upper[0], 5.26805921785);
  // lnK    coef 0.102385796113 se 0.0527217772623 t 1.94200198532 p 0.0699547658695 ci [-0.00937937888998, 0.214150971116]
  EXPECT_CLOSE(ols.coefficients[1], 0.102385796113);
  EXPECT_CLOSE(ols.standard_errors[1], 0.0527217772623);
  EXPECT_CLOSE(ols.t_statistics[1], 1.94200198532);
  EXPECT_CLOSE(ols.p_values[1], 0.0699547658695);
  EXPECT_CLOSE(ols.confidence_lower[1], -0.00937937888998);
  EXPECT_CLOSE(ols.confidence_upper[1], 0.214150971116);
  // lnL    coef 1.35293353663 se 0.121511760499 t 11.1341777213 p 6.04051442126e-09 ci [1.09534011163, 1.61052696163]
  EXPECT_CLOSE(ols.coefficients[2], 1.35293353663);
  EXPECT_CLOSE(ols.standard_errors[2], 0.121511760499);
  EXPECT_CLOSE(ols.t_statistics[2], 11.1341777213);
  EXPECT_CLOSE(ols.p_values[2], 6.04051442126e-09);
  EXPECT_CLOSE(ols.confidence_lower[2], 1.09534011163);
  EXPECT_CLOSE(ols.confidence_upper[2], 1.61052696163);
  // lnA    coef 3.11240246432 se 0.357465103386 t 8.70687078218 p 1.8178963259e-07 ci [2.35461029736, 3.87019463127]
  EXPECT_CLOSE(ols.coefficients[3], 3.11240246432);
  EXPECT_CLOSE(ols.standard_errors[3], 0.357465103386);
  EXPECT_CLOSE(ols.t_statistics[3], 8.70687078218);
  EXPECT_CLOSE(ols.p_values[3], 1.8178963259e-07);
  EXPECT_CLOSE(ols.confidence_lower[3], 2.35461029736);
  EXPECT_CLOSE(ols.confidence_upper[3], 3.87019463127);
  // r2 0.999311451867 adj_r2 0.999182349092 sigma 0.00970682634953
  EXPECT_CLOSE(ols.r_squared, 0.999311451867);
  EXPECT_CLOSE(ols.adjusted_r_squared, 0.999182349092);
  EXPECT_CLOSE(ols.sigma, 0.00970682634953);
  // F 7740.43356365 p(F) 1.68612214436e-25
  EXPECT_NEAR(ols.f_statistic, 7740.43356365, 1e-6 * 7740.43356365);  // 1 - R^2 loses digits
  EXPECT_NEAR(ols.f_p_value, 1.68612214436e-25, 1e-5 * 1.68612214436e-25);
  // DW 1.95382462065 llf 66.5511827213 aic -125.102365443 bic -121.119436348
  EXPECT_CLOSE(ols.durbin_watson, 1.95382462065);
  EXPECT_CLOSE(ols.log_likelihood, 66.5511827213);
  EXPECT_CLOSE(ols.aic, -125.102365443);
  EXPECT_CLOSE(ols.bic, -121.119436348);
  // The figures the issue expects: b_K about 0.10, b_L about 1.35.
  EXPECT_NEAR(ols.coefficients[1], 0.10, 0.005);
  EXPECT_NEAR(ols.coefficients[2], 1.35, 0.005);
}

TEST(SolowPwtTest, Hc1StandardErrorsMatchTheNumpyReference) {
  const OlsResult ols = estimate_pwt(CovarianceType::hc1).regression;
  // [HC1] se 0.272169158392, 0.0781728022681, 0.2419830044, 0.333840049262
  EXPECT_CLOSE(ols.standard_errors[0], 0.272169158392);
  EXPECT_CLOSE(ols.standard_errors[1], 0.0781728022681);
  EXPECT_CLOSE(ols.standard_errors[2], 0.2419830044);
  EXPECT_CLOSE(ols.standard_errors[3], 0.333840049262);
  // lnK t 1.30973680285 p 0.208779915599 ci [-0.0633331416704, 0.268104733896]
  EXPECT_CLOSE(ols.t_statistics[1], 1.30973680285);
  EXPECT_CLOSE(ols.p_values[1], 0.208779915599);
  EXPECT_CLOSE(ols.confidence_lower[1], -0.0633331416704);
  EXPECT_CLOSE(ols.confidence_upper[1], 0.268104733896);
  // lnL p 4.05732815402e-05
  EXPECT_CLOSE(ols.p_values[2], 4.05732815402e-05);
  // HC1 Wald F 15269.5350198 p 7.37310041647e-28
  EXPECT_NEAR(ols.f_statistic, 15269.5350198, 1e-7 * 15269.5350198);
  EXPECT_NEAR(ols.f_p_value, 7.37310041647e-28, 1e-5 * 7.37310041647e-28);
  // Coefficients do not depend on the covariance type.
  EXPECT_CLOSE(ols.coefficients[2], 1.35293353663);
}

TEST(SolowPwtTest, NeweyWestStandardErrorsMatchTheNumpyReference) {
  const OlsResult default_lags = estimate_pwt(CovarianceType::newey_west).regression;
  // default Newey-West lags 2: se 0.245043689356, 0.0560739023901, 0.14368239776, 0.30376753643
  EXPECT_EQ(default_lags.hac_lags, 2);
  EXPECT_CLOSE(default_lags.standard_errors[0], 0.245043689356);
  EXPECT_CLOSE(default_lags.standard_errors[1], 0.0560739023901);
  EXPECT_CLOSE(default_lags.standard_errors[2], 0.14368239776);
  EXPECT_CLOSE(default_lags.standard_errors[3], 0.30376753643);
  EXPECT_CLOSE(default_lags.p_values[1], 0.0865848270937);
  // Newey-West L=2 Wald F 34842.7787619 p 1.00478646876e-30
  EXPECT_NEAR(default_lags.f_statistic, 34842.7787619, 1e-7 * 34842.7787619);
  EXPECT_NEAR(default_lags.f_p_value, 1.00478646876e-30, 1e-5 * 1.00478646876e-30);

  const OlsResult three_lags = estimate_pwt(CovarianceType::newey_west, 3).regression;
  // L=3: se 0.238330771494, 0.0495650798112, 0.125207292557, 0.291545185003
  EXPECT_EQ(three_lags.hac_lags, 3);
  EXPECT_CLOSE(three_lags.standard_errors[0], 0.238330771494);
  EXPECT_CLOSE(three_lags.standard_errors[1], 0.0495650798112);
  EXPECT_CLOSE(three_lags.standard_errors[2], 0.125207292557);
  EXPECT_CLOSE(three_lags.standard_errors[3], 0.291545185003);
  EXPECT_CLOSE(three_lags.t_statistics[3], 10.6755406174);
}

TEST(SolowPwtTest, DescriptiveStatisticsCorrelationsAndLabourShare) {
  const SolowReport report = estimate_pwt(CovarianceType::classic);
  ASSERT_EQ(report.log_summaries.size(), 4u);
  // lnY mean 13.8178717812 median 13.8414281146 sd 0.339463667385 min 13.1968819715 max 14.2756924395
  EXPECT_EQ(report.log_summaries[0].name, "ln(rgdpna)");
  EXPECT_CLOSE(report.log_summaries[0].mean, 13.8178717812);
  EXPECT_CLOSE(report.log_summaries[0].median, 13.8414281146);
  EXPECT_CLOSE(report.log_summaries[0].standard_deviation, 0.339463667385);
  EXPECT_CLOSE(report.log_summaries[0].minimum, 13.1968819715);
  EXPECT_CLOSE(report.log_summaries[0].maximum, 14.2756924395);
  // lnK mean 15.2361250021 median 15.3044457599 sd 0.433918421839
  EXPECT_CLOSE(report.log_summaries[1].mean, 15.2361250021);
  EXPECT_CLOSE(report.log_summaries[1].median, 15.3044457599);
  EXPECT_CLOSE(report.log_summaries[1].standard_deviation, 0.433918421839);
  // lnL min 2.90175121008 max 3.17123899535; lnA sd 0.0593052830879
  EXPECT_CLOSE(report.log_summaries[2].minimum, 2.90175121008);
  EXPECT_CLOSE(report.log_summaries[2].maximum, 3.17123899535);
  EXPECT_CLOSE(report.log_summaries[3].standard_deviation, 0.0593052830879);
  // corr K-L 0.975370461684 K-A 0.994450008006 L-A 0.971258902361
  EXPECT_CLOSE(report.correlations.capital_labour, 0.975370461684);
  EXPECT_CLOSE(report.correlations.capital_technology, 0.994450008006);
  EXPECT_CLOSE(report.correlations.labour_technology, 0.971258902361);
  // labsh mean 0.53395
  ASSERT_TRUE(report.labour_share.has_value());
  EXPECT_CLOSE(report.labour_share->mean_share, 0.53395);
  EXPECT_CLOSE(report.labour_share->difference, 1.35293353663 - 0.53395);
  EXPECT_EQ(report.first_year, 1990);
  EXPECT_EQ(report.last_year, 2009);
}

TEST(SolowPwtTest, WarnsThatLabourElasticityAboveOneContradictsGrowthAccounting) {
  const SolowReport report = estimate_pwt(CovarianceType::classic);
  bool labour_above_one = false, returns_to_scale = false, labour_share = false, collinearity = false;
  for (const auto& warning : report.warnings) {
    labour_above_one = labour_above_one || contains(warning, "b_L = 1.353 > 1");
    returns_to_scale = returns_to_scale || contains(warning, "b_K + b_L = 1.455 is far from 1");
    labour_share = labour_share || contains(warning, "mean labour share 0.5339");
    collinearity = collinearity || contains(warning, "highly correlated");
  }
  EXPECT_TRUE(labour_above_one);
  EXPECT_TRUE(returns_to_scale);
  EXPECT_TRUE(labour_share);
  EXPECT_TRUE(collinearity);
}

TEST(SolowPwtTest, YearSelectionKeepsTheRequestedWindow) {
  const SolowData all = solow_data_from_table(read_csv(kPwtFile), pwt_columns());
  const SolowData nineties = select_years(all, 1990, 1999);
  ASSERT_EQ(nineties.years.size(), 10u);
  EXPECT_EQ(nineties.years.front(), 1990);
  EXPECT_EQ(nineties.years.back(), 1999);
  EXPECT_EQ(nineties.lines.front(), 6);  // 4 comment lines, the header on line 5
  EXPECT_DOUBLE_EQ(nineties.labour.values.back(), 20.578);
  ASSERT_TRUE(nineties.labour_share.has_value());
  EXPECT_EQ(nineties.labour_share->values.size(), 10u);
  const SolowReport report = estimate_solow(nineties);
  EXPECT_EQ(report.regression.observations, 10);

  const InputError outside = input_error_of([&] { select_years(all, 2015, 2020); });
  EXPECT_TRUE(contains(outside.what(), "its years run from 1990 to 2009")) << outside.what();
  SolowData no_years = all;
  no_years.years.clear();
  EXPECT_THROW(select_years(no_years, 1990, 1999), InputError);
}

// ---- Exactly known data ----

SolowData cobb_douglas(double b_capital, double b_labour, double b_technology, int observations = 12) {
  SolowData data;
  data.source = "generated";
  data.output.name = "Y";
  data.capital.name = "K";
  data.labour.name = "L";
  data.technology.name = "A";
  for (int t = 0; t < observations; ++t) {
    const double capital = 100.0 * std::exp(0.05 * t + 0.02 * ((t * 7) % 3));
    const double labour = 50.0 * std::exp(0.01 * t - 0.03 * ((t * 5) % 4));
    const double technology = 2.0 * std::exp(0.03 * ((t * t) % 5));
    data.years.push_back(2000 + t);
    data.capital.values.push_back(capital);
    data.labour.values.push_back(labour);
    data.technology.values.push_back(technology);
    data.output.values.push_back(3.0 * std::pow(capital, b_capital) * std::pow(labour, b_labour) *
                                 std::pow(technology, b_technology));
  }
  return data;
}

TEST(SolowTest, ExactCobbDouglasDataGiveTheElasticities) {
  const SolowReport report = estimate_solow(cobb_douglas(0.3, 0.7, 1.0));
  const OlsResult& ols = report.regression;
  EXPECT_NEAR(ols.coefficients[0], std::log(3.0), 1e-10);
  EXPECT_NEAR(ols.coefficients[1], 0.3, 1e-10);
  EXPECT_NEAR(ols.coefficients[2], 0.7, 1e-10);
  EXPECT_NEAR(ols.coefficients[3], 1.0, 1e-10);
  EXPECT_TRUE(ols.exact_fit);
  EXPECT_EQ(ols.r_squared, 1.0);
  ASSERT_FALSE(report.warnings.empty());
  EXPECT_TRUE(contains(report.warnings.front(), "fit exactly")) << report.warnings.front();
  for (const auto& warning : report.warnings) {
    EXPECT_FALSE(contains(warning, "far from 1")) << warning;  // constant returns: b_K + b_L = 1
  }
}

TEST(SolowTest, NegativeElasticityIsWarned) {
  SolowData data = cobb_douglas(-0.2, 0.7, 0.5);
  for (std::size_t t = 0; t < data.output.values.size(); ++t) data.output.values[t] *= 1.0 + 0.01 * ((t * 3) % 5);
  const SolowReport report = estimate_solow(data);
  bool negative = false;
  for (const auto& warning : report.warnings) negative = negative || contains(warning, "b_K (capital) = -");
  EXPECT_TRUE(negative);
}

// ---- Input errors ----

TEST(SolowErrorTest, NonPositiveValueNamesColumnYearLineAndValue) {
  const Table table = parse_csv(
      "# comment\n"
      "year,gdp,capital,workers,tech\n"
      "2000,10,5,3,1\n"
      "2001,11,6,3.1,1.1\n"
      "2002,12,7,0,1.2\n"
      "2003,13,8,3.3,1.3\n"
      "2004,14,9,3.4,1.4\n"
      "2005,15,10,3.6,1.5\n",
      "small.csv");
  SolowColumns columns{"gdp", "capital", "workers", "tech", "year", std::nullopt};
  const SolowData data = solow_data_from_table(table, columns);
  const InputError error = input_error_of([&] { estimate_solow(data); });
  EXPECT_EQ(error.file(), "small.csv");
  EXPECT_EQ(error.line(), 5);
  EXPECT_EQ(error.key(), "workers");
  EXPECT_TRUE(contains(error.what(), "labour (L) column 'workers' is 0 in year 2002")) << error.what();
  EXPECT_TRUE(contains(error.what(), "> 0")) << error.what();

  SolowData negative = data;
  negative.capital.values[1] = -2.5;
  const InputError negative_error = input_error_of([&] { estimate_solow(negative); });
  EXPECT_TRUE(contains(negative_error.what(), "'capital' is -2.5 in year 2001")) << negative_error.what();
  EXPECT_EQ(negative_error.line(), 4);
}

TEST(SolowErrorTest, CollinearTechnologyIsNamed) {
  SolowData data = cobb_douglas(0.3, 0.7, 0.2);
  for (std::size_t t = 0; t < data.output.values.size(); ++t) {
    data.technology.values[t] = data.capital.values[t] * data.capital.values[t];  // ln A = 2 ln K
    data.output.values[t] *= 1.0 + 0.01 * (t % 3);
  }
  const InputError error = input_error_of([&] { estimate_solow(data); });
  EXPECT_TRUE(contains(error.what(), "collinear")) << error.what();
  EXPECT_TRUE(contains(error.what(), "ln(A)")) << error.what();
  EXPECT_TRUE(contains(error.what(), "ln(K)")) << error.what();
}

TEST(SolowErrorTest, TooFewObservations) {
  const InputError error = input_error_of([&] { estimate_solow(cobb_douglas(0.3, 0.7, 1.0, 4)); });
  EXPECT_TRUE(contains(error.what(), "too few observations for the Solow regression: 4")) << error.what();
}

TEST(SolowErrorTest, MissingColumnIsNamed) {
  SolowColumns columns = pwt_columns();
  columns.capital = "capital_stock";
  const InputError error = input_error_of([&] { solow_data_from_table(read_csv(kPwtFile), columns); });
  EXPECT_EQ(error.key(), "capital_stock");
  EXPECT_EQ(error.line(), 5);
  EXPECT_TRUE(contains(error.what(), "pwt101_korea_1990_2009.csv:5")) << error.what();
}

TEST(SolowErrorTest, UnreadableResultFileIsBadInput) {
  // Holds for the placeholder (HDF5 input not available yet) and for the real HDF5 reader.
  EXPECT_THROW(load_solow_data_from_result("/nonexistent/run.h5", "convergence"), InputError);
}

}  // namespace
}  // namespace convsim::analysis
