#include "convsim/analysis/solow.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>
#include <tuple>

#include "convsim/errors.hpp"

namespace convsim::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string in_quotes(const std::string& name) { return "'" + name + "'"; }

// A number as a short human-readable string (for messages).
std::string format_number(double value, int precision = 4) {
  std::ostringstream out;
  out.precision(precision);
  out << value;
  return out.str();
}

// "year 1995" or "observation 6".
std::string describe_observation(const SolowData& data, std::size_t row) {
  if (!data.years.empty()) return "year " + std::to_string(data.years[row]);
  return "observation " + std::to_string(row + 1);
}

int line_of(const SolowData& data, std::size_t row) {
  return data.lines.empty() ? 0 : data.lines[row];
}

void require_positive(const SolowData& data, const SolowSeries& series, const char* role) {
  for (std::size_t row = 0; row < series.values.size(); ++row) {
    const double value = series.values[row];
    if (!(std::isfinite(value) && value > 0)) {
      throw InputError(data.source, line_of(data, row), series.name,
                       std::string(role) + " column " + in_quotes(series.name) + " is " + format_number(value, 10) +
                           " in " + describe_observation(data, row) +
                           "; the Solow regression takes logs, so every value must be a finite number > 0");
    }
  }
}

Eigen::VectorXd logs_of(const SolowSeries& series) {
  Eigen::VectorXd out(static_cast<Eigen::Index>(series.values.size()));
  for (std::size_t i = 0; i < series.values.size(); ++i) out[static_cast<Eigen::Index>(i)] = std::log(series.values[i]);
  return out;
}

double pearson_correlation(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  const Eigen::ArrayXd da = a.array() - a.mean();
  const Eigen::ArrayXd db = b.array() - b.mean();
  const double denominator = std::sqrt((da * da).sum() * (db * db).sum());
  return denominator > 0 ? (da * db).sum() / denominator : kNaN;
}

LogSeriesSummary summarise(const std::string& name, const Eigen::VectorXd& values) {
  LogSeriesSummary summary;
  summary.name = name;
  const auto n = values.size();
  std::vector<double> sorted(values.data(), values.data() + n);
  std::sort(sorted.begin(), sorted.end());
  const auto half = static_cast<std::size_t>(n / 2);
  summary.mean = values.mean();
  summary.median = n % 2 == 1 ? sorted[half] : 0.5 * (sorted[half - 1] + sorted[half]);
  summary.standard_deviation =
      n > 1 ? std::sqrt((values.array() - summary.mean).square().sum() / static_cast<double>(n - 1)) : kNaN;
  summary.minimum = sorted.front();
  summary.maximum = sorted.back();
  return summary;
}

void add_plausibility_warnings(SolowReport& report, double tolerance) {
  const OlsResult& ols = report.regression;
  auto& warnings = report.warnings;
  if (ols.exact_fit) {
    warnings.push_back("the logs fit exactly (R-squared = 1): standard errors, t tests and the Durbin-Watson "
                       "statistic are undefined.");
  }
  const double b_capital = ols.coefficients[1];
  const double b_labour = ols.coefficients[2];
  const double b_technology = ols.coefficients[3];
  if (b_labour > 1) {
    warnings.push_back("b_L = " + format_number(b_labour) +
                       " > 1: a 1% rise in employment would raise output by more than 1%. Constant-returns "
                       "growth accounting cannot give this (there b_L is labour's income share, below 1); "
                       "ln L probably also carries trends of omitted inputs (hours, skills, technology) "
                       "shared with the other regressors.");
  }
  const double returns_to_scale = b_capital + b_labour;
  if (std::abs(returns_to_scale - 1.0) > tolerance) {
    warnings.push_back("b_K + b_L = " + format_number(returns_to_scale) + " is far from 1 (tolerance " +
                       format_number(tolerance) + "): returns to scale in capital and labour are not constant.");
  }
  const std::array<std::pair<const char*, double>, 3> elasticities{
      {{"b_K (capital)", b_capital}, {"b_L (labour)", b_labour}, {"b_A (technology)", b_technology}}};
  for (const auto& [label, value] : elasticities) {
    if (value < 0) {
      warnings.push_back(std::string(label) + " = " + format_number(value) +
                         " < 0: output would fall as this input rises, which is implausible for an "
                         "elasticity of production.");
    }
  }
  const std::array<std::tuple<const std::string*, const std::string*, double>, 3> pairs{
      {{&report.capital_name, &report.labour_name, report.correlations.capital_labour},
       {&report.capital_name, &report.technology_name, report.correlations.capital_technology},
       {&report.labour_name, &report.technology_name, report.correlations.labour_technology}}};
  std::string correlated_pairs;
  for (const auto& [first, second, correlation] : pairs) {
    if (std::abs(correlation) > 0.95) {
      correlated_pairs += (correlated_pairs.empty() ? "" : ", ") + log_name(*first) + " ~ " + log_name(*second) +
                          " r = " + format_number(correlation, 3);
    }
  }
  if (!correlated_pairs.empty()) {
    warnings.push_back("the log regressors are highly correlated (" + correlated_pairs +
                       "): the separate elasticities are imprecise and sensitive to the sample.");
  }
  if (!ols.exact_fit && (ols.durbin_watson < 1.0 || ols.durbin_watson > 3.0)) {
    warnings.push_back("Durbin-Watson = " + format_number(ols.durbin_watson, 3) +
                       " suggests serially correlated residuals; consider --cov hac.");
  }
  if (report.labour_share) {
    const LabourShareCheck& check = *report.labour_share;
    if (!(check.mean_share > 0 && check.mean_share < 1)) {
      warnings.push_back("the mean of labour-share column " + in_quotes(check.name) + " is " +
                         format_number(check.mean_share) + ", outside (0, 1): is it a share?");
    } else if (std::abs(check.difference) > tolerance) {
      warnings.push_back("b_L = " + format_number(check.labour_elasticity) + " differs from the mean labour share " +
                         format_number(check.mean_share) + " of " + in_quotes(check.name) + " by " +
                         format_number(check.difference) +
                         ": the regression does not agree with growth accounting.");
    }
  }
}

}  // namespace

std::string log_name(const std::string& name) { return "ln(" + name + ")"; }

SolowData solow_data_from_table(const Table& table, const SolowColumns& columns) {
  SolowData data;
  data.source = table.source();
  data.lines = table.row_lines();
  data.output = {columns.output, table.numeric_column(columns.output)};
  data.capital = {columns.capital, table.numeric_column(columns.capital)};
  data.labour = {columns.labour, table.numeric_column(columns.labour)};
  data.technology = {columns.technology, table.numeric_column(columns.technology)};
  if (columns.labour_share) {
    data.labour_share = SolowSeries{*columns.labour_share, table.numeric_column(*columns.labour_share)};
  }
  if (columns.year) {
    const std::vector<double> years = table.numeric_column(*columns.year);
    data.years.reserve(years.size());
    for (std::size_t row = 0; row < years.size(); ++row) {
      const double year = years[row];
      if (year != std::floor(year) || std::abs(year) > 1e6) {
        throw InputError(table.source(), table.row_line(row), *columns.year,
                         "year " + format_number(year, 10) + " in column " + in_quotes(*columns.year) +
                             " is not a whole number");
      }
      data.years.push_back(static_cast<int>(year));
    }
  }
  return data;
}

SolowData select_years(const SolowData& data, int first_year, int last_year) {
  if (data.years.empty()) {
    throw InputError("<command line>", 0, "years",
                     "selecting years " + std::to_string(first_year) + ":" + std::to_string(last_year) +
                         " needs a year column in " + data.source + " (see --year-col)");
  }
  if (first_year > last_year) {
    throw InputError("<command line>", 0, "years",
                     "the year range " + std::to_string(first_year) + ":" + std::to_string(last_year) +
                         " is empty; expected FROM:TO with FROM <= TO");
  }
  SolowData selected;
  selected.source = data.source;
  selected.output.name = data.output.name;
  selected.capital.name = data.capital.name;
  selected.labour.name = data.labour.name;
  selected.technology.name = data.technology.name;
  if (data.labour_share) selected.labour_share = SolowSeries{data.labour_share->name, {}};
  for (std::size_t row = 0; row < data.years.size(); ++row) {
    const int year = data.years[row];
    if (year < first_year || year > last_year) continue;
    selected.years.push_back(year);
    if (!data.lines.empty()) selected.lines.push_back(data.lines[row]);
    selected.output.values.push_back(data.output.values[row]);
    selected.capital.values.push_back(data.capital.values[row]);
    selected.labour.values.push_back(data.labour.values[row]);
    selected.technology.values.push_back(data.technology.values[row]);
    if (data.labour_share) selected.labour_share->values.push_back(data.labour_share->values[row]);
  }
  if (selected.years.empty()) {
    const auto [lowest, highest] = std::minmax_element(data.years.begin(), data.years.end());
    throw InputError("<command line>", 0, "years",
                     "no observation of " + data.source + " falls in " + std::to_string(first_year) + ":" +
                         std::to_string(last_year) + "; its years run from " + std::to_string(*lowest) + " to " +
                         std::to_string(*highest));
  }
  return selected;
}

SolowReport estimate_solow(const SolowData& data, const SolowOptions& options) {
  const std::size_t n = data.output.values.size();
  const auto check_length = [&](const SolowSeries& series) {
    if (series.values.size() != n) {
      throw InputError(data.source, 0, series.name,
                       in_quotes(series.name) + " has " + std::to_string(series.values.size()) +
                           " observations but " + in_quotes(data.output.name) + " has " + std::to_string(n));
    }
  };
  check_length(data.capital);
  check_length(data.labour);
  check_length(data.technology);
  if (data.labour_share) check_length(*data.labour_share);
  if (!data.years.empty() && data.years.size() != n) {
    throw InputError(data.source, 0, "year", "the year column does not have one year per observation");
  }
  if (n < 5) {
    throw InputError(data.source, 0, "",
                     "too few observations for the Solow regression: " + std::to_string(n) +
                         ", but its 4 coefficients need at least 5");
  }
  require_positive(data, data.output, "output (Y)");
  require_positive(data, data.capital, "capital (K)");
  require_positive(data, data.labour, "labour (L)");
  require_positive(data, data.technology, "technology (A)");

  SolowReport report;
  report.source = data.source;
  if (!data.years.empty()) {
    report.first_year = *std::min_element(data.years.begin(), data.years.end());
    report.last_year = *std::max_element(data.years.begin(), data.years.end());
  }
  report.output_name = data.output.name;
  report.capital_name = data.capital.name;
  report.labour_name = data.labour.name;
  report.technology_name = data.technology.name;

  const Eigen::VectorXd log_output = logs_of(data.output);
  Eigen::MatrixXd log_inputs(static_cast<Eigen::Index>(n), 3);
  log_inputs.col(0) = logs_of(data.capital);
  log_inputs.col(1) = logs_of(data.labour);
  log_inputs.col(2) = logs_of(data.technology);

  OlsOptions ols_options = options.ols;
  ols_options.source = data.source;
  report.regression = fit_ols(log_output, with_constant(log_inputs),
                              {"const", log_name(data.capital.name), log_name(data.labour.name),
                               log_name(data.technology.name)},
                              ols_options, log_name(data.output.name));

  report.correlations.capital_labour = pearson_correlation(log_inputs.col(0), log_inputs.col(1));
  report.correlations.capital_technology = pearson_correlation(log_inputs.col(0), log_inputs.col(2));
  report.correlations.labour_technology = pearson_correlation(log_inputs.col(1), log_inputs.col(2));
  report.log_summaries = {summarise(log_name(data.output.name), log_output),
                          summarise(log_name(data.capital.name), log_inputs.col(0)),
                          summarise(log_name(data.labour.name), log_inputs.col(1)),
                          summarise(log_name(data.technology.name), log_inputs.col(2))};

  if (data.labour_share) {
    const SolowSeries& share = *data.labour_share;
    for (std::size_t row = 0; row < n; ++row) {
      if (!std::isfinite(share.values[row])) {
        throw InputError(data.source, line_of(data, row), share.name,
                         "labour-share column " + in_quotes(share.name) + " is not finite in " +
                             describe_observation(data, row));
      }
    }
    LabourShareCheck check;
    check.name = share.name;
    double sum = 0;
    for (double value : share.values) sum += value;
    check.mean_share = sum / static_cast<double>(n);
    check.labour_elasticity = report.regression.coefficients[2];
    check.difference = check.labour_elasticity - check.mean_share;
    report.labour_share = check;
  }
  add_plausibility_warnings(report, options.plausibility_tolerance);
  return report;
}

}  // namespace convsim::analysis
