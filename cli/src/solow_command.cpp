// convsim solow DATA: the Solow regression ln Y = c + b_K ln K + b_L ln L + b_A ln A on level data
// from a CSV file (or, once the HDF5 reader lands, a convsim result), printed as a statistics
// package summary, as long-format CSV or as JSON.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "convsim/analysis/json_writer.hpp"
#include "convsim/analysis/solow.hpp"
#include "convsim/analysis/table_reader.hpp"
#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"

namespace convsim::cli {
namespace {

using analysis::CovarianceType;
using analysis::SolowReport;

constexpr int kSummaryWidth = 78;
constexpr const char* kCommandLine = "<command line>";

// What the user asked for on the command line.
struct SolowSettings {
  std::string data_path;
  std::string output_column;
  std::string capital_column;
  std::string labour_column;
  std::string technology_column;
  std::string years;
  std::string year_column = "year";
  std::string labour_share_column;
  std::string covariance = "classic";
  int hac_lags = -1;
  double confidence_level = 0.95;
  std::string scope = "convergence";
  std::string format = "table";
};

//---- reading the data ----

std::pair<int, int> parse_year_range(const std::string& text) {
  const auto colon = text.find(':');
  int first = 0;
  int last = 0;
  char trailing = 0;
  if (colon == std::string::npos ||
      std::sscanf(text.c_str(), "%d:%d%c", &first, &last, &trailing) != 2) {
    throw InputError(kCommandLine, 0, "--years",
                     "'" + text + "' is not a year range; expected FROM:TO, e.g. 1990:2009");
  }
  return {first, last};
}

bool is_result_file(const std::string& path) {
  const std::string extension = std::filesystem::path(path).extension().string();
  return extension == ".h5" || extension == ".hdf5";
}

analysis::SolowData load_data(const SolowSettings& settings, const CLI::App& command) {
  if (is_result_file(settings.data_path)) {
    return analysis::load_solow_data_from_result(settings.data_path, settings.scope);
  }
  const std::pair<const char*, const std::string*> required[] = {{"--y", &settings.output_column},
                                                                 {"--k", &settings.capital_column},
                                                                 {"--l", &settings.labour_column},
                                                                 {"--a", &settings.technology_column}};
  for (const auto& [flag, column] : required) {
    if (column->empty()) {
      throw InputError(kCommandLine, 0, flag,
                       std::string("missing ") + flag + " COLUMN: a CSV input needs the columns of Y, K, L and A "
                       "(--y, --k, --l, --a)");
    }
  }
  if (!std::filesystem::exists(settings.data_path)) {
    throw InputError(settings.data_path, 0, "", "no such file");
  }
  const analysis::Table table = analysis::read_csv(settings.data_path);
  analysis::SolowColumns columns;
  columns.output = settings.output_column;
  columns.capital = settings.capital_column;
  columns.labour = settings.labour_column;
  columns.technology = settings.technology_column;
  // The default year column is optional; one named with --year-col must exist.
  if (command.count("--year-col") > 0 || table.has_column(settings.year_column)) columns.year = settings.year_column;
  if (!settings.labour_share_column.empty()) columns.labour_share = settings.labour_share_column;
  return analysis::solow_data_from_table(table, columns);
}

analysis::SolowOptions solow_options(const SolowSettings& settings, const CLI::App& command) {
  analysis::SolowOptions options;
  const auto covariance = analysis::parse_covariance_type(settings.covariance);
  if (!covariance) {
    throw InputError(kCommandLine, 0, "--cov",
                     "unknown covariance type '" + settings.covariance + "'; expected classic, hc1 or hac");
  }
  options.ols.covariance = *covariance;
  if (command.count("--hac-lags") > 0) {
    if (*covariance != CovarianceType::newey_west) {
      throw InputError(kCommandLine, 0, "--hac-lags", "--hac-lags applies only with --cov hac");
    }
    if (settings.hac_lags < 0) {
      throw InputError(kCommandLine, 0, "--hac-lags",
                       "lag " + std::to_string(settings.hac_lags) + " is negative; expected an integer >= 0");
    }
    options.ols.hac_lags = settings.hac_lags;
  }
  if (!(settings.confidence_level > 0 && settings.confidence_level < 1)) {
    throw InputError(kCommandLine, 0, "--conf-level", "expected a level between 0 and 1, e.g. 0.95");
  }
  options.ols.confidence_level = settings.confidence_level;
  return options;
}

//---- table format ----

std::string printf_string(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string fixed(double value, int decimals) {
  char format[16];
  std::snprintf(format, sizeof format, "%%.%df", decimals);
  return printf_string(format, value);
}

// statsmodels-like: four significant digits, switching to exponent form for large or tiny numbers.
std::string general(double value) { return printf_string("%#.4g", value); }

std::string pad_left(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

std::string pad_right(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

// One "label   value" cell of the header block, `width` characters wide.
std::string header_cell(const std::string& label, const std::string& value, std::size_t width) {
  const std::size_t used = label.size() + value.size();
  return label + (used < width ? std::string(width - used, ' ') : std::string(" ")) + value;
}

std::string centred(const std::string& text, std::size_t width) {
  if (text.size() >= width) return text;
  const std::size_t left = (width - text.size()) / 2;
  return std::string(left, ' ') + text;
}

// Writes `text` wrapped at the summary width, the first line after `first_prefix`, later ones
// indented to match.
void write_wrapped(std::ostream& out, const std::string& first_prefix, const std::string& text) {
  std::istringstream words(text);
  std::string word;
  std::string line = first_prefix;
  const std::string indent(first_prefix.size(), ' ');
  bool line_has_word = false;
  while (words >> word) {
    if (line_has_word && line.size() + 1 + word.size() > static_cast<std::size_t>(kSummaryWidth)) {
      out << line << "\n";
      line = indent;
      line_has_word = false;
    }
    line += (line_has_word ? " " : "") + word;
    line_has_word = true;
  }
  out << line << "\n";
}

std::string sample_text(const SolowReport& report) {
  if (!report.first_year) return "-";
  return std::to_string(*report.first_year) + "-" + std::to_string(*report.last_year);
}

std::string covariance_short_label(const analysis::OlsResult& ols) {
  if (ols.covariance_type == CovarianceType::newey_west) {
    return "HAC (" + std::to_string(ols.hac_lags) + (ols.hac_lags == 1 ? " lag)" : " lags)");
  }
  return analysis::covariance_type_label(ols.covariance_type, ols.hac_lags);
}

std::string covariance_note(const analysis::OlsResult& ols) {
  switch (ols.covariance_type) {
    case CovarianceType::classic:
      return "Standard errors assume that the covariance matrix of the errors is correctly specified "
             "(homoskedastic, serially uncorrelated).";
    case CovarianceType::hc1:
      return "Standard errors are heteroskedasticity robust (HC1: White's sandwich times n/(n-k)).";
    case CovarianceType::newey_west:
      return "Standard errors are heteroskedasticity and autocorrelation robust (Newey-West, Bartlett kernel, " +
             std::to_string(ols.hac_lags) + " lags, times n/(n-k)).";
  }
  return "";
}

void write_table(std::ostream& out, const SolowReport& report) {
  const analysis::OlsResult& ols = report.regression;
  const std::string double_rule(kSummaryWidth, '=');
  const std::string single_rule(kSummaryWidth, '-');
  constexpr std::size_t kLeft = 36;
  constexpr std::size_t kRight = 39;
  out << centred("Solow regression: OLS Regression Results", kSummaryWidth) << "\n";
  out << double_rule << "\n";
  const std::vector<std::pair<std::string, std::string>> left = {
      {"Dep. Variable:", ols.response_name},
      {"Model:", "OLS"},
      {"Method:", "Least Squares"},
      {"Sample:", sample_text(report)},
      {"No. Observations:", std::to_string(ols.observations)},
      {"Df Residuals:", std::to_string(ols.residual_df)},
      {"Df Model:", std::to_string(ols.model_df)},
      {"Covariance Type:", covariance_short_label(ols)}};
  const std::vector<std::pair<std::string, std::string>> right = {
      {"R-squared:", fixed(ols.r_squared, 4)},
      {"Adj. R-squared:", fixed(ols.adjusted_r_squared, 4)},
      {"F-statistic:", general(ols.f_statistic)},
      {"Prob (F-statistic):", printf_string("%.3g", ols.f_p_value)},
      {"Log-Likelihood:", fixed(ols.log_likelihood, 3)},
      {"AIC:", general(ols.aic)},
      {"BIC:", general(ols.bic)},
      {"Durbin-Watson:", fixed(ols.durbin_watson, 3)}};
  for (std::size_t row = 0; row < left.size(); ++row) {
    out << header_cell(left[row].first, left[row].second, kLeft) << "   "
        << header_cell(right[row].first, right[row].second, kRight) << "\n";
  }
  out << double_rule << "\n";

  std::size_t name_width = 14;
  for (const auto& name : ols.names) name_width = std::max(name_width, name.size() + 2);
  const double tail = (1.0 - ols.confidence_level) / 2.0;
  out << pad_right("", name_width) << pad_left("coef", 10) << pad_left("std err", 11) << pad_left("t", 11)
      << pad_left("P>|t|", 11) << pad_left("[" + printf_string("%.3g", tail), 11)
      << pad_left(printf_string("%.3g", 1.0 - tail) + "]", 11) << "\n";
  out << single_rule << "\n";
  for (std::size_t j = 0; j < ols.names.size(); ++j) {
    const auto i = static_cast<Eigen::Index>(j);
    out << pad_right(ols.names[j], name_width) << pad_left(fixed(ols.coefficients[i], 4), 10)
        << pad_left(fixed(ols.standard_errors[i], 4), 11) << pad_left(fixed(ols.t_statistics[i], 3), 11)
        << pad_left(fixed(ols.p_values[i], 3), 11) << pad_left(fixed(ols.confidence_lower[i], 4), 11)
        << pad_left(fixed(ols.confidence_upper[i], 4), 11) << "\n";
  }
  out << double_rule << "\n";
  out << header_cell("Residual std. error:", general(ols.sigma), kLeft) << "   "
      << header_cell("Cond. No.:", printf_string("%.3g", ols.condition_number), kRight) << "\n";
  out << double_rule << "\n";

  out << "\nCorrelations of the log regressors:\n";
  const auto correlation_row = [&](const std::string& a, const std::string& b, double r) {
    out << "  " << pad_right(analysis::log_name(a) + " ~ " + analysis::log_name(b), 40) << pad_left(fixed(r, 4), 10)
        << "\n";
  };
  correlation_row(report.capital_name, report.labour_name, report.correlations.capital_labour);
  correlation_row(report.capital_name, report.technology_name, report.correlations.capital_technology);
  correlation_row(report.labour_name, report.technology_name, report.correlations.labour_technology);

  out << "\nDescriptive statistics of the logs:\n";
  std::size_t series_width = 16;
  for (const auto& summary : report.log_summaries) series_width = std::max(series_width, summary.name.size() + 4);
  out << pad_right("", series_width) << pad_left("mean", 11) << pad_left("median", 11) << pad_left("sd", 11)
      << pad_left("min", 11) << pad_left("max", 11) << "\n";
  for (const auto& summary : report.log_summaries) {
    out << pad_right("  " + summary.name, series_width) << pad_left(fixed(summary.mean, 4), 11)
        << pad_left(fixed(summary.median, 4), 11) << pad_left(fixed(summary.standard_deviation, 4), 11)
        << pad_left(fixed(summary.minimum, 4), 11) << pad_left(fixed(summary.maximum, 4), 11) << "\n";
  }

  if (report.labour_share) {
    const auto& check = *report.labour_share;
    out << "\nGrowth accounting (constant returns: b_L = labour share):\n";
    out << "  " << pad_right("mean labour share (" + check.name + ")", 40) << pad_left(fixed(check.mean_share, 4), 10)
        << "\n";
    out << "  " << pad_right("b_L", 40) << pad_left(fixed(check.labour_elasticity, 4), 10) << "\n";
    out << "  " << pad_right("b_L - mean labour share", 40) << pad_left(fixed(check.difference, 4), 10) << "\n";
  }

  out << "\nNotes:\n";
  write_wrapped(out, "[1] ", covariance_note(ols));
  write_wrapped(out, "[2] ", "Data: " + report.source + "; Y = " + report.output_name + ", K = " +
                                 report.capital_name + ", L = " + report.labour_name + ", A = " +
                                 report.technology_name + ".");
  if (!report.warnings.empty()) {
    out << "\nWarnings:\n";
    for (const auto& warning : report.warnings) write_wrapped(out, "  - ", warning);
  }
}

//---- CSV format (long: one statistic per row) ----

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return analysis::JsonWriter::format_number(value);
}

void write_csv(std::ostream& out, const SolowReport& report) {
  const analysis::OlsResult& ols = report.regression;
  out << "section,name,statistic,value\n";
  const auto row = [&](const std::string& section, const std::string& name, const std::string& statistic,
                       const std::string& value) {
    out << csv_cell(section) << ',' << csv_cell(name) << ',' << csv_cell(statistic) << ',' << csv_cell(value)
        << '\n';
  };
  const auto number_row = [&](const std::string& section, const std::string& name, const std::string& statistic,
                              double value) { row(section, name, statistic, csv_number(value)); };
  row("model", "", "source", report.source);
  row("model", "", "dependent", ols.response_name);
  if (report.first_year) {
    row("model", "", "first_year", std::to_string(*report.first_year));
    row("model", "", "last_year", std::to_string(*report.last_year));
  }
  row("model", "", "observations", std::to_string(ols.observations));
  row("model", "", "residual_df", std::to_string(ols.residual_df));
  row("model", "", "model_df", std::to_string(ols.model_df));
  row("model", "", "covariance_type", std::string(analysis::covariance_type_name(ols.covariance_type)));
  if (ols.covariance_type == CovarianceType::newey_west) row("model", "", "hac_lags", std::to_string(ols.hac_lags));
  number_row("model", "", "confidence_level", ols.confidence_level);
  number_row("model", "", "r_squared", ols.r_squared);
  number_row("model", "", "adjusted_r_squared", ols.adjusted_r_squared);
  number_row("model", "", "f_statistic", ols.f_statistic);
  number_row("model", "", "f_p_value", ols.f_p_value);
  number_row("model", "", "durbin_watson", ols.durbin_watson);
  number_row("model", "", "sigma", ols.sigma);
  number_row("model", "", "sum_squared_residuals", ols.sum_squared_residuals);
  number_row("model", "", "log_likelihood", ols.log_likelihood);
  number_row("model", "", "aic", ols.aic);
  number_row("model", "", "bic", ols.bic);
  number_row("model", "", "condition_number", ols.condition_number);
  for (std::size_t j = 0; j < ols.names.size(); ++j) {
    const auto i = static_cast<Eigen::Index>(j);
    number_row("coefficient", ols.names[j], "coef", ols.coefficients[i]);
    number_row("coefficient", ols.names[j], "std_err", ols.standard_errors[i]);
    number_row("coefficient", ols.names[j], "t", ols.t_statistics[i]);
    number_row("coefficient", ols.names[j], "p_value", ols.p_values[i]);
    number_row("coefficient", ols.names[j], "ci_lower", ols.confidence_lower[i]);
    number_row("coefficient", ols.names[j], "ci_upper", ols.confidence_upper[i]);
  }
  const auto pair_name = [](const std::string& a, const std::string& b) {
    return analysis::log_name(a) + "~" + analysis::log_name(b);
  };
  number_row("correlation", pair_name(report.capital_name, report.labour_name), "r",
             report.correlations.capital_labour);
  number_row("correlation", pair_name(report.capital_name, report.technology_name), "r",
             report.correlations.capital_technology);
  number_row("correlation", pair_name(report.labour_name, report.technology_name), "r",
             report.correlations.labour_technology);
  for (const auto& summary : report.log_summaries) {
    number_row("log_summary", summary.name, "mean", summary.mean);
    number_row("log_summary", summary.name, "median", summary.median);
    number_row("log_summary", summary.name, "sd", summary.standard_deviation);
    number_row("log_summary", summary.name, "min", summary.minimum);
    number_row("log_summary", summary.name, "max", summary.maximum);
  }
  if (report.labour_share) {
    number_row("labour_share", report.labour_share->name, "mean", report.labour_share->mean_share);
    number_row("labour_share", report.labour_share->name, "b_L_minus_mean", report.labour_share->difference);
  }
  for (const auto& warning : report.warnings) row("warning", "", "text", warning);
}

//---- JSON format ----

void write_json(std::ostream& out, const SolowReport& report, const std::vector<int>& years) {
  const analysis::OlsResult& ols = report.regression;
  analysis::JsonWriter json(out);
  json.begin_object();
  json.key("source").value(report.source);
  json.key("columns").begin_object();
  json.key("Y").value(report.output_name).key("K").value(report.capital_name);
  json.key("L").value(report.labour_name).key("A").value(report.technology_name);
  json.end_object();
  json.key("dependent").value(ols.response_name);
  json.key("first_year");
  report.first_year ? json.value(*report.first_year) : json.null();
  json.key("last_year");
  report.last_year ? json.value(*report.last_year) : json.null();
  json.key("observations").value(ols.observations);
  json.key("parameters").value(ols.parameters);
  json.key("residual_df").value(ols.residual_df);
  json.key("model_df").value(ols.model_df);
  json.key("covariance_type").value(analysis::covariance_type_name(ols.covariance_type));
  json.key("hac_lags");
  ols.covariance_type == CovarianceType::newey_west ? json.value(ols.hac_lags) : json.null();
  json.key("confidence_level").value(ols.confidence_level);
  const char* roles[] = {"constant", "K", "L", "A"};
  json.key("coefficients").begin_array();
  for (std::size_t j = 0; j < ols.names.size(); ++j) {
    const auto i = static_cast<Eigen::Index>(j);
    json.begin_object();
    json.key("name").value(ols.names[j]);
    json.key("role").value(j < 4 ? roles[j] : "");
    json.key("coef").value(ols.coefficients[i]);
    json.key("std_err").value(ols.standard_errors[i]);
    json.key("t").value(ols.t_statistics[i]);
    json.key("p_value").value(ols.p_values[i]);
    json.key("ci_lower").value(ols.confidence_lower[i]);
    json.key("ci_upper").value(ols.confidence_upper[i]);
    json.end_object();
  }
  json.end_array();
  json.key("r_squared").value(ols.r_squared);
  json.key("adjusted_r_squared").value(ols.adjusted_r_squared);
  json.key("f_statistic").value(ols.f_statistic);
  json.key("f_p_value").value(ols.f_p_value);
  json.key("durbin_watson").value(ols.durbin_watson);
  json.key("sigma").value(ols.sigma);
  json.key("sum_squared_residuals").value(ols.sum_squared_residuals);
  json.key("log_likelihood").value(ols.log_likelihood);
  json.key("aic").value(ols.aic);
  json.key("bic").value(ols.bic);
  json.key("condition_number").value(ols.condition_number);
  json.key("exact_fit").value(ols.exact_fit);
  json.key("correlations").begin_object();
  json.key("K_L").value(report.correlations.capital_labour);
  json.key("K_A").value(report.correlations.capital_technology);
  json.key("L_A").value(report.correlations.labour_technology);
  json.end_object();
  json.key("log_summaries").begin_array();
  for (const auto& summary : report.log_summaries) {
    json.begin_object();
    json.key("name").value(summary.name);
    json.key("mean").value(summary.mean);
    json.key("median").value(summary.median);
    json.key("sd").value(summary.standard_deviation);
    json.key("min").value(summary.minimum);
    json.key("max").value(summary.maximum);
    json.end_object();
  }
  json.end_array();
  json.key("labour_share");
  if (report.labour_share) {
    json.begin_object();
    json.key("name").value(report.labour_share->name);
    json.key("mean").value(report.labour_share->mean_share);
    json.key("b_L").value(report.labour_share->labour_elasticity);
    json.key("b_L_minus_mean").value(report.labour_share->difference);
    json.end_object();
  } else {
    json.null();
  }
  json.key("years").begin_array();
  for (const int year : years) json.value(year);
  json.end_array();
  json.key("fitted_values").value(std::vector<double>(ols.fitted_values.begin(), ols.fitted_values.end()));
  json.key("residuals").value(std::vector<double>(ols.residuals.begin(), ols.residuals.end()));
  json.key("warnings").value(report.warnings);
  json.end_object();
}

void run_solow(const SolowSettings& settings, const CLI::App& command) {
  if (settings.format != "table" && settings.format != "csv" && settings.format != "json") {
    throw InputError(kCommandLine, 0, "--format",
                     "unknown format '" + settings.format + "'; expected table, csv or json");
  }
  const analysis::SolowOptions options = solow_options(settings, command);
  analysis::SolowData data = load_data(settings, command);
  if (!settings.years.empty()) {
    const auto [first, last] = parse_year_range(settings.years);
    data = analysis::select_years(data, first, last);
  }
  const SolowReport report = analysis::estimate_solow(data, options);
  // Render completely before printing, so an error never leaves half a report on stdout.
  std::ostringstream rendered;
  if (settings.format == "table") {
    write_table(rendered, report);
  } else if (settings.format == "csv") {
    write_csv(rendered, report);
  } else {
    write_json(rendered, report, data.years);
  }
  std::cout << rendered.str() << std::flush;
}

}  // namespace

void add_solow_command(CLI::App& app, int& exit_code) {
  auto settings = std::make_shared<SolowSettings>();
  CLI::App* command = app.add_subcommand(
      "solow", "Estimate the Solow regression ln Y = c + b_K ln K + b_L ln L + b_A ln A by OLS");
  command->add_option("DATA", settings->data_path, "CSV file of level series, or a convsim result (.h5/.hdf5): annual Y, K, L, A of --scope")
      ->required();
  command->add_option("--y", settings->output_column, "column of output Y (levels, > 0)");
  command->add_option("--k", settings->capital_column, "column of capital K (levels, > 0)");
  command->add_option("--l", settings->labour_column, "column of labour L (levels, > 0)");
  command->add_option("--a", settings->technology_column, "column of technology A (levels, > 0)");
  command->add_option("--years", settings->years, "keep only the years FROM:TO (inclusive), e.g. 1990:2009");
  command->add_option("--year-col", settings->year_column, "column holding the year")->capture_default_str();
  command->add_option("--labour-share", settings->labour_share_column,
                      "column of labour's income share (e.g. PWT labsh), compared with b_L");
  command->add_option("--cov", settings->covariance, "covariance of the coefficients: classic, hc1 or hac")
      ->capture_default_str();
  command->add_option("--hac-lags", settings->hac_lags,
                      "Newey-West lags for --cov hac (default floor(4 (n/100)^(2/9)))");
  command->add_option("--conf-level", settings->confidence_level, "confidence level of the intervals")
      ->capture_default_str();
  command->add_option("--scope", settings->scope, "for a result: convergence (the smart convergence industry, /convergence) or aggregate (the whole economy)")
      ->capture_default_str();
  command->add_option("--format", settings->format, "output format: table, csv or json")->capture_default_str();
  command->callback([settings, command, &exit_code] {
    run_solow(*settings, *command);
    exit_code = kExitOk;
  });
}

}  // namespace convsim::cli
