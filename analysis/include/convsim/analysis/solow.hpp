// The Solow regression of the reference study, ln Y = c + b_K ln K + b_L ln L + b_A ln A, estimated
// by OLS on level series (output, capital, labour, technology), with the diagnostics the study
// reports (descriptive statistics of the logs, regressor correlations) and plausibility warnings.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "convsim/analysis/ols.hpp"
#include "convsim/analysis/table_reader.hpp"

namespace convsim::analysis {

// One named level series, e.g. capital read from column "rnna".
struct SolowSeries {
  std::string name;            // the column (or result variable) it came from
  std::vector<double> values;  // levels, one per observation; must all be > 0
};

// The level data of a Solow regression; every series has one value per observation.
struct SolowData {
  std::string source;               // file or result the data came from, named in messages
  std::vector<int> years;           // year of each observation, or empty when there is none
  std::vector<int> lines;           // 1-based source line of each observation, or empty
  SolowSeries output;               // Y
  SolowSeries capital;              // K
  SolowSeries labour;               // L
  SolowSeries technology;           // A
  std::optional<SolowSeries> labour_share;  // e.g. PWT labsh, compared with b_L when present
};

// Which table columns hold the Solow series.
struct SolowColumns {
  std::string output;                       // Y, e.g. "rgdpna"
  std::string capital;                      // K, e.g. "rnna"
  std::string labour;                       // L, e.g. "emp"
  std::string technology;                   // A, e.g. "hc"
  std::optional<std::string> year;          // e.g. "year"; needed to select years
  std::optional<std::string> labour_share;  // e.g. "labsh"
};

// Settings of a Solow estimation.
struct SolowOptions {
  OlsOptions ols;                               // covariance type, HAC lags, confidence level
  // Warn when |b_K + b_L - 1| or |b_L - mean labour share| exceeds this.
  double plausibility_tolerance = 0.25;
};

// Descriptive statistics of one log series (the study's Table 2).
struct LogSeriesSummary {
  std::string name;  // e.g. "ln(rnna)"
  double mean = 0;
  double median = 0;
  double standard_deviation = 0;  // sample (n - 1) standard deviation
  double minimum = 0;
  double maximum = 0;
};

// Pearson correlations between the log regressors (the study's section 4.3).
struct RegressorCorrelations {
  double capital_labour = 0;
  double capital_technology = 0;
  double labour_technology = 0;
};

// Growth-accounting check: under constant returns and competitive factor markets b_L equals
// the labour share of income.
struct LabourShareCheck {
  std::string name;             // the labour-share column, e.g. "labsh"
  double mean_share = 0;        // its mean over the sample
  double labour_elasticity = 0; // b_L
  double difference = 0;        // b_L - mean_share
};

// Everything `convsim solow` reports.
struct SolowReport {
  std::string source;                      // where the data came from
  std::optional<int> first_year;           // of the sample, when years are known
  std::optional<int> last_year;
  std::string output_name;                 // column names of Y, K, L, A
  std::string capital_name;
  std::string labour_name;
  std::string technology_name;
  OlsResult regression;                    // names: const, ln(K column), ln(L column), ln(A column)
  RegressorCorrelations correlations;
  std::vector<LogSeriesSummary> log_summaries;  // ln Y, ln K, ln L, ln A in that order
  std::optional<LabourShareCheck> labour_share;
  std::vector<std::string> warnings;       // plausibility warnings, one sentence each
};

// Takes the Solow series out of a table. Throws InputError naming the file, line and column for
// a missing column, a non-numeric cell or a year that is not a whole number.
SolowData solow_data_from_table(const Table& table, const SolowColumns& columns);

// Keeps the observations with first_year <= year <= last_year. Throws InputError when the data
// have no years or no observation falls in the range.
SolowData select_years(const SolowData& data, int first_year, int last_year);

// Checks every level is > 0 (InputError naming the column, year or line, and the value), takes
// logs, fits OLS with a constant and adds the diagnostics and warnings.
SolowReport estimate_solow(const SolowData& data, const SolowOptions& options = {});

// HDF5 HOOK: reads Y, K, L, A from a convsim result file, `scope` being the group the series come
// from ("aggregate" or "convergence"). Implemented in analysis/src/solow_result_input.cpp, which
// the HDF5 engineer replaces; until then it throws InputError (HDF5 input not available yet).
SolowData load_solow_data_from_result(const std::filesystem::path& path, const std::string& scope);

// The regressor name OLS reports for a level series: "ln(" + name + ")".
std::string log_name(const std::string& name);

}  // namespace convsim::analysis
