// convsim compare BASELINE RESULT...: the effect of each scenario against the baseline, paired by
// seed over replicates, as a table, CSV or JSON; optionally plots (analysis/python/convsim_plots.py)
// and a self-contained HTML report.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "convsim/analysis/compare.hpp"
#include "convsim/analysis/report.hpp"
#include "convsim/cli/cli_common.hpp"
#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"
#include "convsim/output_file.hpp"
#include "convsim/output_path.hpp"

namespace convsim::cli {
namespace {

namespace fs = std::filesystem;
constexpr const char* kCommandLine = "<command line>";

// What the user asked for on the command line.
struct CompareArgs {
  std::vector<std::string> inputs;  // BASELINE RESULT...
  std::string variables = "output,employment";
  std::string scope = "total";
  std::string horizon;
  std::string format = "table";
  std::string plot_dir;
  std::string report;
  std::string baseline_scenario;
  std::vector<std::string> where;
  std::vector<std::string> scenarios;
  double confidence = 0.95;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream parts(text);
  std::string item;
  while (std::getline(parts, item, ',')) {
    const auto first = item.find_first_not_of(' ');
    const auto last = item.find_last_not_of(' ');
    if (first != std::string::npos) items.push_back(item.substr(first, last - first + 1));
  }
  return items;
}

double parse_horizon(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const double year = std::strtod(text.c_str(), &end);
  if (text.empty() || end == text.c_str() || *end != '\0' || errno != 0 || !std::isfinite(year)) {
    throw InputError(kCommandLine, 0, "--horizon", "'" + text + "' is not a year; expected e.g. --horizon 2020");
  }
  return year;
}

// The folder of the running executable (for an installed convsim_plots.py next to it).
fs::path executable_folder() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? fs::path() : self.parent_path();
}

// Where convsim_plots.py is: $CONVSIM_PLOTS_SCRIPT, the source tree, or next to the executable.
fs::path find_plot_script() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("CONVSIM_PLOTS_SCRIPT"); env != nullptr && *env != '\0') candidates.emplace_back(env);
  candidates.emplace_back(fs::path(CONVSIM_PYTHON_DIR) / "convsim_plots.py");
  const fs::path here = executable_folder();
  if (!here.empty()) {
    candidates.push_back(here / "convsim_plots.py");
    candidates.push_back(here.parent_path() / "share" / "convsim" / "python" / "convsim_plots.py");
  }
  std::error_code error;
  for (const auto& candidate : candidates) {
    if (fs::is_regular_file(candidate, error)) return candidate;
  }
  std::string tried;
  for (const auto& candidate : candidates) tried += "\n  " + candidate.string();
  throw std::runtime_error("cannot find the plotting script convsim_plots.py; looked at:" + tried +
                           "\nset CONVSIM_PLOTS_SCRIPT to its path");
}

// Writes the comparison's JSON into `folder` and has convsim_plots.py draw it there.
std::vector<analysis::ReportPlot> make_plots(const analysis::Comparison& comparison, const fs::path& folder) {
  std::error_code error;
  fs::create_directories(folder, error);
  if (error || !fs::is_directory(folder)) {
    throw InputError(folder.string(), 0, "--plot", "cannot create the plot folder: " + error.message());
  }
  const fs::path data = folder / "comparison.json";
  {
    std::ostringstream json;
    analysis::write_comparison_json(comparison, json);
    write_file_atomically(data, json.str());
  }
  const std::vector<std::string> argv = {python_interpreter(), find_plot_script().string(), "--data", data.string(),
                                         "--out", folder.string(), "--quiet"};
  const int status = run_program(argv);
  if (status != 0) {
    throw std::runtime_error("plotting failed: " + argv[0] + " " + argv[1] + " exited with status " +
                             std::to_string(status) +
                             " (it needs Debian's python3-matplotlib and python3-numpy; see the message above)");
  }
  return analysis::read_plot_index(folder);
}

// A fresh temporary folder, removed when the object goes.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    std::string pattern = (fs::temp_directory_path() / "convsim-compare-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temporary folder");
    path_ = pattern;
  }
  ~TemporaryFolder() {
    std::error_code error;
    fs::remove_all(path_, error);
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

int run(const CompareArgs& args) {
  if (args.format != "table" && args.format != "csv" && args.format != "json") {
    throw InputError(kCommandLine, 0, "--format", "'" + args.format + "' is not a format; expected table, csv or json");
  }
  if (!(args.confidence > 0 && args.confidence < 1)) {
    throw InputError(kCommandLine, 0, "--confidence", "the confidence level must lie strictly between 0 and 1");
  }
  // Where the report and plots go is checked before any result is read.
  if (!args.report.empty()) check_output_path(args.report, "the report", "--report");
  if (!args.plot_dir.empty()) check_output_folder(args.plot_dir, "the plots", "--plot");
  analysis::CompareOptions options;
  options.variables = split_list(args.variables);
  options.scope = analysis::parse_scope(args.scope);
  options.confidence_level = args.confidence;
  if (!args.horizon.empty()) options.horizon_year = parse_horizon(args.horizon);

  analysis::LoadOptions load;
  load.baseline_scenario = args.baseline_scenario;
  load.where = args.where;
  load.scenarios = args.scenarios;
  const analysis::ComparisonInput input = analysis::load_comparison(args.inputs, load);
  const analysis::Comparison comparison = analysis::compare(input, options);

  if (args.format == "table") {
    analysis::write_comparison_table(comparison, std::cout);
  } else if (args.format == "csv") {
    analysis::write_comparison_csv(comparison, std::cout);
  } else {
    analysis::write_comparison_json(comparison, std::cout);
  }
  std::vector<analysis::ReportPlot> plots;
  std::unique_ptr<TemporaryFolder> scratch;
  if (!args.plot_dir.empty()) {
    plots = make_plots(comparison, args.plot_dir);
    if (args.format == "table") std::cout << "\nplots: " << args.plot_dir << " (" << plots.size() << " PNG + SVG)\n";
  } else if (!args.report.empty()) {
    scratch = std::make_unique<TemporaryFolder>();
    plots = make_plots(comparison, scratch->path());
  }
  if (!args.report.empty()) {
    analysis::write_report(comparison, plots, args.report);
    if (args.format == "table") std::cout << "report: " << args.report << "\n";
  }
  return kExitOk;
}

}  // namespace

void add_compare_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Compare scenarios with a baseline: paired effects over replicates (same seeds), plots and an HTML report");
  cmd->add_option("results", args->inputs,
                  "BASELINE then RESULT...: each a result file, FILE,FILE,... (the replicates of one scenario), a "
                  "directory of *.h5 or a quoted glob; merged sweeps are split into scenarios by name")
      ->required();
  cmd->add_option("--vars", args->variables, "Comma-separated variables (default: output,employment)");
  cmd->add_option("--scope", args->scope, "total (/aggregate), sector:NAME (/by_sector) or convergence (/convergence)");
  cmd->add_option("--horizon", args->horizon, "Year whose value is compared (default: the last year of the results)");
  cmd->add_option("--format", args->format, "table, csv or json (default: table)");
  cmd->add_option("--plot", args->plot_dir, "Write plots (PNG and SVG) and comparison.json to this folder");
  cmd->add_option("--report", args->report, "Write a self-contained HTML report to this file");
  cmd->add_option("--baseline-scenario", args->baseline_scenario,
                  "Name of the baseline scenario when BASELINE holds several (e.g. a merged sweep)");
  cmd->add_option("--scenarios", args->scenarios,
                  "Keep only these scenarios, comma-separated (e.g. two of a merged sweep's; the baseline among them)")
      ->delimiter(',');
  cmd->add_option("--where", args->where,
                  "Keep only runs where KEY=VALUE: a swept parameter of a merged sweep or a scenario key (repeatable)");
  cmd->add_option("--confidence", args->confidence, "Confidence level of the effect intervals (default: 0.95)");
  cmd->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace convsim::cli
