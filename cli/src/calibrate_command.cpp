// convsim calibrate SCENARIO --targets FILE: indirect-inference calibration of a scenario's free
// parameters to the published Solow regression, Table 2 moments, correlations and Table 3 path; with
// --check, the scenario as it is scored against the same targets (Table 3 side by side).
#include <algorithm>
#include <chrono>
#include <limits>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "convsim/analysis/calibration.hpp"
#include "convsim/cli/cli_common.hpp"
#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"
#include "convsim/output_file.hpp"
#include "convsim/output_path.hpp"
#include "convsim/result_file.hpp"
#include "convsim/scenario.hpp"

namespace convsim::cli {
namespace {

constexpr const char* kCommandLine = "<command line>";
// Table 3 tolerance of --check: relative error per year.
constexpr double kProjectionTolerance = 0.05;

// Progress and warnings go to stderr, so that stdout holds the report alone.
spdlog::logger& log() {
  static spdlog::logger logger("calibrate", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  return logger;
}

// What the user asked for on the command line.
struct CalibrateArgs {
  std::string scenario;
  std::string targets;
  std::string free;
  std::string output = "calibrated.yaml";
  std::string report;
  std::vector<std::string> overrides;
  std::vector<std::string> apply;  // parameter files whose keys override the scenario's
  int budget = 0;             // 0: from the settings file
  int replicates = 0;         // 0: from the settings file (4 for --check)
  int report_replicates = 0;  // 0: from the settings file
  long long firms = 0;        // 0: the settings file's or the scenario's economy size
  int threads = 0;
  bool check = false;
  bool quiet = false;
};

std::string number(double value, const char* format = "%.4g") {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// Writes `text` to `path` through a temporary file renamed into place (never a partial file).
void write_atomically(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(folder)) {
    throw InputError(kCommandLine, 0, path.string(), "the folder " + folder.string() + " does not exist");
  }
  write_file_atomically(path, text);
}

// The default settings file: calibration/free_parameters.yaml next to the scenario.
std::string settings_path(const CalibrateArgs& args) {
  if (!args.free.empty()) return args.free;
  const std::filesystem::path beside =
      std::filesystem::path(args.scenario).parent_path() / "calibration" / "free_parameters.yaml";
  if (std::filesystem::exists(beside)) return beside.string();
  throw InputError(kCommandLine, 0, "--free",
                   "no free-parameter file: pass --free FILE.yaml (none found at " + beside.string() + ")");
}

void apply_flags(const CalibrateArgs& args, analysis::CalibrationSettings& settings) {
  if (args.budget > 0) settings.budget = args.budget;
  if (args.replicates > 0) settings.replicates = args.replicates;
  if (args.report_replicates > 0) settings.report_replicates = args.report_replicates;
  if (args.firms > 0) settings.overrides.push_back("economy.firms=" + std::to_string(args.firms));
}

// The scenario with --apply files (every key, e.g. a calibrated parameter file the scenario would
// otherwise override) and then --set overrides applied on top.
ScenarioDocument load_document(const CalibrateArgs& args) {
  ScenarioDocument document = ScenarioDocument::load(args.scenario);
  for (const std::string& path : args.apply) {
    const ScenarioDocument values = ScenarioDocument::load(path);
    for (const std::string& key : values.keys()) {
      const DocumentEntry* entry = values.find(key);
      if (entry != nullptr) document.set(key, entry->value, entry->where);
    }
  }
  for (const std::string& assignment : args.overrides) document.apply_override(assignment);
  return document;
}

void print_and_save_report(const CalibrateArgs& args, const std::string& report) {
  std::cout << report << std::flush;
  if (!args.report.empty()) write_atomically(args.report, report);
}

// The files a calibration will write, checked before its runs (which take minutes to hours).
void check_outputs(const CalibrateArgs& args, bool parameters) {
  if (parameters) check_output_path(args.output, "the calibrated parameters", "--output");
  if (!args.report.empty()) check_output_path(args.report, "the report", "--report");
}

// --check: score the scenario as it is (its own economy size unless --firms) against the targets.
int check(const CalibrateArgs& args) {
  check_outputs(args, false);
  const analysis::CalibrationTargets targets = analysis::load_calibration_targets(args.targets);
  // Only the loss weights are taken from a --free file: the check moves no parameter.
  analysis::CalibrationSettings settings;
  settings.source = "<command line>";
  if (!args.free.empty()) {
    const analysis::CalibrationSettings file = analysis::load_calibration_settings(args.free);
    settings.group_weights = file.group_weights;
    settings.target_weights = file.target_weights;
    settings.source = file.source;
  }
  settings.replicates = args.replicates > 0 ? args.replicates : 10;
  if (args.firms > 0) settings.overrides.push_back("economy.firms=" + std::to_string(args.firms));
  const analysis::CalibrationProblem problem(load_document(args), targets, settings);
  const Scenario scenario = problem.scenario_at({}, 0);
  check_memory(scenario);
  const auto threads = limit_threads(args.threads);
  if (!args.quiet) {
    log().info("check {}: {} replicates of {} firms, {}-{}", scenario.name, settings.replicates,
                 scenario.economy.firms, scenario.time.start_year, scenario.time.end_year);
  }
  const auto start = std::chrono::steady_clock::now();
  const analysis::Evaluation evaluation = problem.evaluate({}, settings.replicates);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ostringstream report;
  report << "# Calibration check: " << args.scenario << "\n\n"
         << scenario.economy.firms << " firms, seeds " << scenario.seed << ".." << scenario.seed + settings.replicates - 1
         << ", " << number(seconds, "%.1f") << " s; targets " << targets.source << ".\n\n"
         << "## Targets\n\n"
         << analysis::calibration_report(problem, evaluation);
  const std::string table = analysis::projection_table(problem, evaluation, kProjectionTolerance);
  if (!table.empty()) report << "\n## Table 3 (2013-2020 projection)\n\n" << table;
  print_and_save_report(args, report.str());
  return kExitOk;
}

// Calibrated keys also set by a file of the scenario other than the calibrated file: those values
// win over the calibrated ones when the scenario extends the calibrated file. One warning each.
std::vector<std::string> conflicting_keys(const CalibrateArgs& args, const analysis::CalibrationProblem& problem) {
  const ScenarioDocument document = ScenarioDocument::load(args.scenario);
  std::error_code ec;
  const auto output = std::filesystem::weakly_canonical(args.output, ec);
  // A key set in an earlier calibrated file (the one holding the scenario's `calibration`
  // section, which the new output replaces) is no conflict: only keys the scenario sets on top of
  // it win over a calibrated value.
  const std::string section_file = calibration_file(document);
  const auto calibrated = section_file.empty() ? std::filesystem::path() : std::filesystem::weakly_canonical(section_file, ec);
  std::vector<std::string> conflicts;
  for (const auto& [key, value] : problem.scenario_values(problem.start())) {
    const DocumentEntry* entry = document.find(key);
    if (entry == nullptr) continue;
    const auto file = std::filesystem::weakly_canonical(entry->where.file, ec);
    if (file != output && (calibrated.empty() || file != calibrated)) {
      log().warn("{} sets {} (line {}): that value wins over the calibrated one in a scenario extending {}",
                   entry->where.file, key, entry->where.line, args.output);
      conflicts.push_back(key);
    }
  }
  return conflicts;
}

int calibrate(const CalibrateArgs& args) {
  check_outputs(args, true);
  const analysis::CalibrationTargets targets = analysis::load_calibration_targets(args.targets);
  const std::string free_path = settings_path(args);
  analysis::CalibrationSettings settings = analysis::load_calibration_settings(free_path);
  apply_flags(args, settings);
  if (settings.free.empty()) {
    throw InputError(free_path, 0, "free", "no free parameters; list scenario keys under `free:` (or use --check)");
  }
  const analysis::CalibrationProblem problem(load_document(args), targets, settings);
  const Scenario scenario = problem.scenario_at(problem.start(), 0);
  check_memory(scenario);
  const auto threads = limit_threads(args.threads);
  if (!args.quiet) {
    log().info("calibrate {}: {} free parameters, {} targets, budget {} evaluations x {} replicates of {} firms",
                 scenario.name, settings.free.size(), problem.targets().size(), settings.budget, settings.replicates,
                 scenario.economy.firms);
  }
  const auto started = std::chrono::steady_clock::now();
  double last_best = std::numeric_limits<double>::infinity();
  auto on_evaluation = [&](const analysis::EvaluationRecord& record) {
    if (args.quiet) return;
    const bool improved = record.best_loss < last_best;
    last_best = record.best_loss;
    if (!improved && record.index % 10 != 0 && record.index != record.budget) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::string values;
    for (std::size_t k = 0; k < record.parameters.size(); ++k) {
      values += (k ? ", " : "") + settings.free[k].name + "=" + number(record.parameters[k]);
    }
    log().info("evaluation {}/{} ({}) loss {} best {} ({:.0f} s){}{}", record.index, record.budget, record.phase,
                 number(record.loss), number(record.best_loss), elapsed, improved ? ": " : "", improved ? values : "");
  };
  const analysis::CalibrationResult result = analysis::calibrate(problem, on_evaluation);

  std::vector<std::string> header = {
      "Calibrated parameters of scenario '" + scenario.name + "' (a scenario extends this file: `extends: " +
          std::filesystem::path(args.output).filename().string() + "`).",
      "Produced by: convsim calibrate " + args.scenario + " --targets " + args.targets + " --free " + free_path +
          " --budget " + std::to_string(settings.budget) + " --replicates " + std::to_string(settings.replicates),
      "on " + utc_now_iso8601() + " with convsim " + convsim_version() + " (git " + convsim_git_revision() + "): indirect inference,",
      "NLopt " + result.algorithms + " evaluations x " + std::to_string(settings.replicates) + " replicates of " +
          std::to_string(scenario.economy.firms) + " firms, " + std::to_string(result.model_runs) + " runs, " +
          number(result.seconds, "%.0f") + " s.",
      "Loss " + number(result.best.loss) + " over " + std::to_string(settings.report_replicates) +
          " replicates (search: " + number(result.best_search_loss) + ", start: " + number(result.at_start.loss) +
          "). Method, targets and fit: docs/calibration.md.",
  };
  for (std::size_t k = 0; k < settings.free.size(); ++k) {
    const analysis::FreeParameter& p = settings.free[k];
    if (p.keys.size() == 1 && p.keys.front() == p.name && !p.multiply) continue;
    std::string keys;
    for (const std::string& key : p.keys) keys += (keys.empty() ? "" : ", ") + key;
    header.push_back(p.name + " = " + number(result.best.parameters[k], "%.6g") + (p.multiply ? ", multiplying " : ", setting ") +
                     keys + (p.multiply ? " of the scenario as it was calibrated." : "."));
  }
  const std::vector<std::string> conflicts = conflicting_keys(args, problem);
  if (!conflicts.empty()) {
    // Sector keys summarised as sectors.*.<field>.
    std::vector<std::string> patterns;
    for (const std::string& key : conflicts) {
      std::string pattern = key;
      if (key.rfind("sectors.", 0) == 0 && key.find('.', 8) != std::string::npos) pattern = "sectors.*" + key.substr(key.find('.', 8));
      if (std::find(patterns.begin(), patterns.end(), pattern) == patterns.end()) patterns.push_back(pattern);
    }
    std::string list;
    for (const std::string& pattern : patterns) list += (list.empty() ? "" : ", ") + pattern;
    header.push_back("NOTE: " + args.scenario + " itself sets " + std::to_string(conflicts.size()) +
                     " of these keys (" + list + "); its values win over this file's until they are removed there.");
  }
  // A `calibration:` section travels with every scenario that extends the file, into its results
  // and comparison reports.
  auto quoted = [](const std::string& text) {
    std::string out = "\"";
    for (char c : text) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return out + "\"";
  };
  const std::string calibration_section =
      "calibration:\n"
      "  method: " + quoted("indirect inference to Kim & Kwak (2014): Solow regression, Table 2 log moments, regressor correlations, Table 3 path") + "\n" +
      "  produced: " + quoted(utc_now_iso8601()) + "\n" +
      "  convsim: " + quoted(std::string(convsim_version()) + " (git " + convsim_git_revision() + ")") + "\n" +
      "  loss: " + number(result.best.loss) + "\n" +
      "  evaluations: " + std::to_string(result.evaluations) + "\n" +
      "  model_runs: " + std::to_string(result.model_runs) + "\n" +
      "  details: " + quoted("docs/calibration.md") + "\n";
  write_atomically(args.output, analysis::calibrated_parameters_yaml(problem, result.best.parameters, header) + calibration_section);

  std::ostringstream report;
  report << "# Calibration: " << args.scenario << "\n\n"
         << result.evaluations << " evaluations (" << result.algorithms << "), " << result.model_runs << " model runs of "
         << scenario.economy.firms << " firms, " << number(result.seconds, "%.1f") << " s. Loss at the start "
         << number(result.at_start.loss) << ", at the optimum " << number(result.best.loss) << " (" << result.best.replicates
         << " replicates).\nCalibrated parameters: " << args.output << "\n\n## Fit at the optimum\n\n"
         << analysis::calibration_report(problem, result.best);
  const std::string table = analysis::projection_table(problem, result.best, kProjectionTolerance);
  if (!table.empty()) report << "\n## Table 3 (2013-2020 projection, calibration economy)\n\n" << table;
  print_and_save_report(args, report.str());
  return kExitOk;
}

}  // namespace

void add_calibrate_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CalibrateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "Calibrate a scenario's free parameters to the published Solow regression (indirect inference)");
  cmd->add_option("scenario", args->scenario, "Scenario YAML file")->required();
  cmd->add_option("--targets", args->targets, "Published targets (data/paper_targets.yaml)")->required();
  cmd->add_option("--free", args->free,
                  "Free parameters, weights and optimiser settings (default: calibration/free_parameters.yaml "
                  "next to the scenario)");
  cmd->add_option("--budget", args->budget, "Model evaluations (default: from the --free file)")->check(CLI::Range(1, 1000000));
  cmd->add_option("--replicates", args->replicates, "Runs per evaluation, seeds seed..seed+R-1 (default: from the --free file; 10 with --check)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--report-replicates", args->report_replicates, "Runs behind the final report (default: from the --free file)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--firms", args->firms, "Economy size while calibrating or checking (economy.firms)")
      ->check(CLI::Range(1LL, 2000000000LL));
  cmd->add_option("--apply", args->apply,
                  "Apply every key of a parameter file over the scenario (e.g. a calibrated file whose keys the "
                  "scenario also sets); repeatable");
  cmd->add_option("--set", args->overrides, "Override a scenario key: --set key.path=value (repeatable)");
  cmd->add_option("-o,--output", args->output, "Calibrated parameter file to write")->capture_default_str();
  cmd->add_option("--report", args->report, "Also write the report (Markdown) to this file");
  cmd->add_flag("--check", args->check,
                "Do not optimise: score the scenario as it is (full size) and print Table 3 side by side");
  cmd->add_option("--threads", args->threads, "Worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(0, 4096));
  cmd->add_flag("-q,--quiet", args->quiet, "No progress lines");
  cmd->callback([args, &exit_code] { exit_code = args->check ? check(*args) : calibrate(*args); });
}

}  // namespace convsim::cli
