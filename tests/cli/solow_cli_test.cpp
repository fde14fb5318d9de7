// Integration tests of `convsim solow`: the Penn World Table example in every output format, and
// bad input ending with exit code 2 and a message naming the file and the column.
#include <cstdlib>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace convsim::testing {
namespace {

const std::string kPwtFile = std::string(CONVSIM_TEST_DATA_DIR) + "/pwt101_korea_1990_2009.csv";
const std::string kPwtColumns = " --y rgdpna --k rnna --l emp --a hc";

// The value of `statistic` for coefficient `name` in the long CSV output.
double csv_coefficient(const std::string& csv, const std::string& name, const std::string& statistic) {
  const std::string prefix = "coefficient," + name + "," + statistic + ",";
  std::istringstream lines(csv);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) == 0) return std::strtod(line.c_str() + prefix.size(), nullptr);
  }
  ADD_FAILURE() << "no row " << prefix << " in\n" << csv;
  return 0;
}

// The number after the first `"key": ` that follows `anchor` in the JSON output.
double json_number_after(const std::string& json, const std::string& anchor, const std::string& key) {
  const auto anchor_at = json.find(anchor);
  if (anchor_at == std::string::npos) {
    ADD_FAILURE() << "no " << anchor << " in\n" << json;
    return 0;
  }
  const std::string pattern = "\"" + key + "\": ";
  const auto key_at = json.find(pattern, anchor_at);
  if (key_at == std::string::npos) {
    ADD_FAILURE() << "no " << pattern << " after " << anchor;
    return 0;
  }
  return std::strtod(json.c_str() + key_at + pattern.size(), nullptr);
}

TEST(SolowCliTest, TableLooksLikeAStatisticsPackageSummary) {
  const CommandResult result = run_convsim("solow " + kPwtFile + kPwtColumns + " --labour-share labsh");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string& out = result.out;
  for (const char* expected :
       {"OLS Regression Results", "Dep. Variable:            ln(rgdpna)", "No. Observations:                 20",
        "R-squared:                       0.9993", "Adj. R-squared:                  0.9992",
        "F-statistic:", "Prob (F-statistic):            1.69e-25", "Durbin-Watson:                    1.954",
        "Covariance Type:           nonrobust", "Sample:                    1990-2009",
        "coef    std err          t      P>|t|     [0.025     0.975]",
        "ln(rnna)          0.1024     0.0527      1.942      0.070    -0.0094     0.2142",
        "ln(emp)           1.3529     0.1215     11.134      0.000     1.0953     1.6105",
        "mean labour share (labsh)", "Warnings:", "b_L = 1.353 > 1"}) {
    EXPECT_TRUE(contains(out, expected)) << "missing '" << expected << "' in\n" << out;
  }
  EXPECT_TRUE(result.err.empty()) << result.err;
}

TEST(SolowCliTest, CsvFormatCarriesFullPrecision) {
  const CommandResult result = run_convsim("solow " + kPwtFile + kPwtColumns + " --format csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.rfind("section,name,statistic,value\n", 0), 0u);
  // Reference values from tests/data/pwt_reference.py (see tests/analysis/solow_test.cpp).
  EXPECT_NEAR(csv_coefficient(result.out, "ln(rnna)", "coef"), 0.102385796113, 1e-10);
  EXPECT_NEAR(csv_coefficient(result.out, "ln(emp)", "coef"), 1.35293353663, 1e-10);
  EXPECT_NEAR(csv_coefficient(result.out, "ln(emp)", "std_err"), 0.121511760499, 1e-10);
  EXPECT_NEAR(csv_coefficient(result.out, "ln(hc)", "p_value"), 1.8178963259e-07, 1e-15);
  EXPECT_TRUE(contains(result.out, "model,,observations,20\n")) << result.out;
  EXPECT_TRUE(contains(result.out, "model,,covariance_type,classic\n")) << result.out;
  EXPECT_TRUE(contains(result.out, "\nwarning,,text,\"b_L = 1.353 > 1")) << result.out;
}

TEST(SolowCliTest, JsonFormatWithNeweyWestCovariance) {
  const CommandResult result = run_convsim("solow " + kPwtFile + kPwtColumns + " --cov hac --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string& out = result.out;
  EXPECT_EQ(out.front(), '{');
  EXPECT_TRUE(contains(out, "\"covariance_type\": \"hac\"")) << out;
  EXPECT_TRUE(contains(out, "\"hac_lags\": 2")) << out;
  EXPECT_TRUE(contains(out, "\"observations\": 20")) << out;
  EXPECT_TRUE(contains(out, "\"first_year\": 1990")) << out;
  EXPECT_TRUE(contains(out, "\"labour_share\": null")) << out;
  // [Newey-West L=2] lnL se 0.14368239776 (tests/data/pwt_reference.py).
  EXPECT_NEAR(json_number_after(out, "\"name\": \"ln(emp)\"", "coef"), 1.35293353663, 1e-10);
  EXPECT_NEAR(json_number_after(out, "\"name\": \"ln(emp)\"", "std_err"), 0.14368239776, 1e-10);
  EXPECT_NEAR(json_number_after(out, "\"correlations\"", "K_A"), 0.994450008006, 1e-11);
}

TEST(SolowCliTest, Hc1AndYearWindow) {
  const CommandResult hc1 = run_convsim("solow " + kPwtFile + kPwtColumns + " --cov hc1 --format csv");
  ASSERT_EQ(hc1.exit_code, 0) << hc1.err;
  EXPECT_NEAR(csv_coefficient(hc1.out, "ln(emp)", "std_err"), 0.2419830044, 1e-10);

  const CommandResult window = run_convsim("solow " + kPwtFile + kPwtColumns + " --years 1995:2009");
  ASSERT_EQ(window.exit_code, 0) << window.err;
  EXPECT_TRUE(contains(window.out, "No. Observations:                 15")) << window.out;
  EXPECT_TRUE(contains(window.out, "Sample:                    1995-2009")) << window.out;
}

TEST(SolowCliTest, BadColumnNameExitsWithCode2NamingFileAndColumn) {
  const CommandResult result = run_convsim("solow " + kPwtFile + " --y rgdpna --k capital_stock --l emp --a hc");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(contains(result.err, kPwtFile + ":5:")) << result.err;
  EXPECT_TRUE(contains(result.err, "'capital_stock'")) << result.err;
  EXPECT_TRUE(contains(result.err, "rgdpna")) << result.err;  // the message lists the columns there are
  EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST(SolowCliTest, OtherBadInputExitsWithCode2) {
  TempDir dir;
  write_text(dir / "negative.csv", "year,y,k,l,a\n2000,1,1,1,1\n2001,2,2,-1,2\n2002,3,3,3,3\n2003,4,5,4,5\n"
                                   "2004,5,6,6,7\n2005,6,8,7,9\n");
  const CommandResult negative = run_convsim("solow " + (dir / "negative.csv").string() + " --y y --k k --l l --a a");
  EXPECT_EQ(negative.exit_code, 2);
  EXPECT_TRUE(contains(negative.err, "negative.csv:3: key 'l'")) << negative.err;
  EXPECT_TRUE(contains(negative.err, "is -1 in year 2001")) << negative.err;

  for (const std::string& arguments :
       {std::string(" --cov hc3"), std::string(" --format xml"), std::string(" --years 1990-2009"),
        std::string(" --years 2020:2030"), std::string(" --hac-lags 2"), std::string(" --year-col period")}) {
    const CommandResult result = run_convsim("solow " + kPwtFile + kPwtColumns + arguments);
    EXPECT_EQ(result.exit_code, 2) << arguments << "\n" << result.err;
    EXPECT_TRUE(contains(result.err, "error")) << arguments << "\n" << result.err;
  }
  const CommandResult missing_flag = run_convsim("solow " + kPwtFile + " --y rgdpna --k rnna --l emp");
  EXPECT_EQ(missing_flag.exit_code, 2);
  EXPECT_TRUE(contains(missing_flag.err, "--a")) << missing_flag.err;
  const CommandResult missing_file = run_convsim("solow /nonexistent/data.csv" + kPwtColumns);
  EXPECT_EQ(missing_file.exit_code, 2);
  EXPECT_TRUE(contains(missing_file.err, "/nonexistent/data.csv")) << missing_file.err;
  const CommandResult result_file = run_convsim("solow /nonexistent/run.h5");
  EXPECT_EQ(result_file.exit_code, 2) << result_file.err;
}

}  // namespace
}  // namespace convsim::testing
