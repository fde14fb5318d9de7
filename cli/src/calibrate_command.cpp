// convsim calibrate SCENARIO --targets FILE: method-of-simulated-moments calibration of a scenario's
// free parameters to the published Solow regression, Table 2, the regressor correlations and external
// moments, with standard errors, the J test, profiles, parameter draws and validation on other seeds
// (Table 3 among them); with --check, the scenario as it is scored on the fitting and validation seeds.
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
  int validation_replicates = 0;  // 0: from the settings file
  std::string moments;        // external moments file; "" = the settings file's
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
  if (args.validation_replicates > 0) settings.validation_replicates = args.validation_replicates;
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

// The targets with the external moments of --moments, or else of the settings file.
analysis::CalibrationTargets load_targets(const CalibrateArgs& args, const analysis::CalibrationSettings& settings) {
  analysis::CalibrationTargets targets = analysis::load_calibration_targets(args.targets);
  const std::string moments = !args.moments.empty() ? args.moments : settings.external_moments;
  if (!moments.empty()) analysis::load_external_moments(moments, targets);
  return targets;
}

// The calibration's domain as its calibrated file records it (calibration.domain.*), and where the
// scenario departs from it, in words for the report.
std::string domain_report(const ScenarioDocument& document, const Scenario& scenario) {
  std::ostringstream out;
  const DocumentEntry* firms = document.find("calibration.domain.firms");
  const DocumentEntry* sectors = document.find("calibration.domain.sectors");
  const DocumentEntry* seeds = document.find("calibration.domain.fitting_seeds");
  const DocumentEntry* revision = document.find("calibration.domain.revision");
  if (firms == nullptr) {
    const std::string file = calibration_file(document);
    out << "The scenario's calibration" << (file.empty() ? " (none found)" : " in " + file)
        << " records no domain (economy size, sectors, seeds, model revision).\n";
    return out.str();
  }
  out << "Calibration domain (" << calibration_file(document) << "): " << firms->value.as<std::string>() << " firms";
  if (sectors != nullptr && sectors->value.IsSequence()) out << ", " << sectors->value.size() << " sectors";
  if (seeds != nullptr && seeds->value.IsSequence() && seeds->value.size() == 2) {
    out << ", fitting seeds " << seeds->value[0].as<std::string>() << ".." << seeds->value[1].as<std::string>();
  }
  if (revision != nullptr) out << ", model " << revision->value.as<std::string>();
  out << ".\n";
  // Calibrated keys whose value comes from elsewhere (the scenario, --set, --apply).
  std::error_code ec;
  const std::string calibrated_path = calibration_file(document);
  const auto calibrated_file = std::filesystem::weakly_canonical(calibrated_path, ec);
  std::vector<std::string> overridden;
  for (const std::string& key : ScenarioDocument::load(calibrated_path).keys()) {
    if (key.rfind("calibration.", 0) == 0) continue;
    const DocumentEntry* entry = document.find(key);
    if (entry != nullptr && std::filesystem::weakly_canonical(entry->where.file, ec) != calibrated_file) {
      overridden.push_back(key + " (" + entry->where.file + (entry->where.line > 0 ? ":" + std::to_string(entry->where.line) : "") + ")");
    }
  }
  if (!overridden.empty()) {
    out << "\n**Warning:** " << overridden.size() << " calibrated key" << (overridden.size() == 1 ? " is" : "s are")
        << " overridden, so this is not the calibrated model: ";
    for (std::size_t i = 0; i < overridden.size(); ++i) out << (i ? ", " : "") << overridden[i];
    out << ".\n";
  }
  if (firms->value.as<std::string>() != std::to_string(scenario.economy.firms)) {
    out << "\n**Warning:** this economy has " << scenario.economy.firms << " firms, the calibration " << firms->value.as<std::string>()
        << ": the statistics depend on the economy's size (docs/calibration.md), so the fit shown here is not the calibrated one.\n";
  }
  if (sectors != nullptr && sectors->value.IsSequence()) {
    for (const auto& sector : scenario.sectors) {
      bool known = false;
      for (const auto& name : sectors->value) known = known || name.as<std::string>() == sector.name;
      if (!known) out << "\n**Warning:** sector '" << sector.name << "' was not in the calibrated economy.\n";
    }
  }
  return out.str();
}

// --check: score the scenario as it is (its own economy size unless --firms) on the fitting and the
// validation seeds.
int check(const CalibrateArgs& args) {
  check_outputs(args, false);
  // A settings file, when there is one, gives everything but the free parameters and the
  // calibration-only overrides: the check moves no parameter and runs the scenario at its own size.
  std::string free_path;
  try {
    free_path = settings_path(args);
  } catch (const InputError&) {
  }
  analysis::CalibrationSettings settings;
  settings.source = "<command line>";
  int estimated = 0;
  if (!free_path.empty()) {
    settings = analysis::load_calibration_settings(free_path);
    estimated = static_cast<int>(settings.free.size());
    settings.free.clear();
    settings.overrides.clear();
  }
  apply_flags(args, settings);
  const analysis::CalibrationTargets targets = load_targets(args, settings);
  const ScenarioDocument document = load_document(args);
  const analysis::CalibrationProblem problem(document, targets, settings);
  const Scenario scenario = problem.scenario_at({}, 0, analysis::Sample::validation);
  check_memory(scenario);
  const auto threads = limit_threads(args.threads);
  if (!args.quiet) {
    log().info("check {}: {} fitting and {} validation replicates of {} firms", scenario.name, settings.replicates,
               settings.validation_replicates, scenario.economy.firms);
  }
  const auto start = std::chrono::steady_clock::now();
  const analysis::Evaluation fit = problem.evaluate({}, settings.replicates);
  const analysis::Evaluation validation = problem.evaluate({}, settings.validation_replicates, analysis::Sample::validation);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const analysis::CalibrationDiagnostics j = analysis::j_test(problem, fit, estimated);
  std::ostringstream report;
  report << "# Calibration check: " << args.scenario << "\n\n"
         << scenario.economy.firms << " firms, " << number(seconds, "%.1f") << " s; targets " << targets.source
         << (targets.external_source.empty() ? "" : " and " + targets.external_source) << ".\n"
         << domain_report(document, scenario) << "\n"
         << "## Fit on the fitting seeds\n\n" << analysis::calibration_report(problem, fit) << "\n"
         << analysis::j_test_report(problem, j) << "\n"
         << "## Validation on other seeds\n\n" << analysis::calibration_report(problem, validation);
  const std::string table = analysis::projection_table(problem, validation, kProjectionTolerance);
  if (!table.empty()) report << "\n## Table 3 (2013-2020, validation seeds)\n\n" << table;
  report << "\n## The study's caveats\n\n" << analysis::caveats_report(problem, validation);
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

// The study's caveats (Markdown bullets "- **title.** text") as a YAML list of plain strings under
// calibration.caveats, so that every report on a scenario extending the file can show them.
template <typename Quote>
std::string caveats_yaml(const std::string& markdown, const Quote& quoted) {
  std::string out = "  caveats:\n";
  std::istringstream lines(markdown);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("- ", 0) != 0) continue;
    std::string text = line.substr(2);
    for (std::size_t at = text.find("**"); at != std::string::npos; at = text.find("**")) text.erase(at, 2);
    out += "    - " + quoted(text) + "\n";
  }
  return out;
}

int calibrate(const CalibrateArgs& args) {
  check_outputs(args, true);
  const std::string free_path = settings_path(args);
  analysis::CalibrationSettings settings = analysis::load_calibration_settings(free_path);
  apply_flags(args, settings);
  if (settings.free.empty()) {
    throw InputError(free_path, 0, "free", "no free parameters; list scenario keys under `free:` (or use --check)");
  }
  const analysis::CalibrationTargets targets = load_targets(args, settings);
  const analysis::CalibrationProblem problem(load_document(args), targets, settings);
  const Scenario scenario = problem.scenario_at(problem.start(), 0, analysis::Sample::validation);
  check_memory(scenario);
  const auto threads = limit_threads(args.threads);
  if (!args.quiet) {
    log().info("calibrate {}: {} free parameters, {} fitted moments, budget {} evaluations x {} replicates of {} firms",
               scenario.name, settings.free.size(), problem.fitted().size(), settings.budget, settings.replicates,
               scenario.economy.firms);
  }
  const auto started = std::chrono::steady_clock::now();
  double last_best = std::numeric_limits<double>::infinity();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
  auto on_evaluation = [&](const analysis::EvaluationRecord& record) {
    if (args.quiet) return;
    const bool improved = record.best_loss < last_best;
    last_best = record.best_loss;
    if (!improved && record.index % 10 != 0 && record.index != record.budget) return;
    std::string values;
    for (std::size_t k = 0; k < record.parameters.size(); ++k) {
      values += (k ? ", " : "") + settings.free[k].name + "=" + number(record.parameters[k]);
    }
    // The time left covers the search; the diagnostics that follow cost about 2 + profile_points
    // evaluations per free parameter (they log their own progress).
    log().info("evaluation {}/{} ({}) loss {} best {} ({:.0f} s{}){}{}", record.index, record.budget, record.phase,
               number(record.loss), number(record.best_loss), elapsed(),
               rate_and_eta(static_cast<std::size_t>(record.index), static_cast<std::size_t>(record.budget - record.index),
                            elapsed(), "evaluations"),
               improved ? ": " : "", improved ? values : "");
  };
  auto on_diagnostics = [&](const std::string& phase, int done, int total) {
    if (args.quiet || (done % 4 != 0 && done != total)) return;
    log().info("{} {}/{} ({:.0f} s)", phase, done, total, elapsed());
  };
  const analysis::CalibrationResult result = analysis::calibrate(problem, on_evaluation, on_diagnostics);
  const analysis::CalibrationDiagnostics& d = result.diagnostics;

  const std::string p_value = std::isfinite(d.p_value) ? number(d.p_value, "%.3g") : std::string("n/a");
  std::vector<std::string> header = {
      "Calibrated parameters of scenario '" + scenario.name + "' (a scenario extends this file: `extends: " +
          std::filesystem::path(args.output).filename().string() + "`).",
      "Produced by: convsim calibrate " + args.scenario + " --targets " + args.targets + " --free " + free_path +
          " --budget " + std::to_string(settings.budget) + " --replicates " + std::to_string(settings.replicates),
      "on " + utc_now_iso8601() + " with convsim " + convsim_version() + " (git " + convsim_git_revision() +
          "): method of simulated moments,",
      "NLopt " + result.algorithms + " evaluations x " + std::to_string(settings.replicates) + " replicates of " +
          std::to_string(scenario.economy.firms) + " firms, " + std::to_string(result.model_runs) + " runs in all, " +
          number(result.seconds, "%.0f") + " s.",
      "J = " + number(d.j_statistic) + " with " + std::to_string(d.degrees_of_freedom) + " degrees of freedom, p = " + p_value +
          "; validation loss " + number(result.validation.loss) + " on " + std::to_string(settings.validation_replicates) +
          " other seeds. Estimates, standard errors and fit: docs/calibration.md.",
  };
  for (std::size_t k = 0; k < settings.free.size(); ++k) {
    const analysis::FreeParameter& p = settings.free[k];
    const analysis::ParameterEstimate& e = d.parameters.at(k);
    std::string line = p.name + " = " + number(result.best.parameters[k], "%.6g") + " (s.e. " +
                       (std::isfinite(e.standard_error) ? number(e.standard_error, "%.3g") : std::string("inf")) +
                       (e.weak ? "; weakly identified" : "") + ")";
    if (p.keys.size() > 1 || p.keys.front() != p.name || p.multiply) {
      std::string keys;
      for (const std::string& key : p.keys) keys += (keys.empty() ? "" : ", ") + key;
      line += (p.multiply ? ", multiplying " : ", setting ") + keys + (p.multiply ? " of the scenario as it was calibrated." : ".");
    }
    header.push_back(line);
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
  // and comparison reports: provenance, the domain, and the parameter draws of policy runs.
  auto quoted = [](const std::string& text) {
    std::string out = "\"";
    for (char c : text) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return out + "\"";
  };
  std::string sectors;
  for (const auto& sector : scenario.sectors) sectors += (sectors.empty() ? "" : ", ") + sector.name;
  const std::uint64_t first_seed = problem.seed_of(0, analysis::Sample::fitting);
  const std::uint64_t first_validation = problem.seed_of(0, analysis::Sample::validation);
  const std::string calibration_section =
      "calibration:\n"
      "  method: " + quoted("method of simulated moments, efficient diagonal weighting: Kim & Kwak (2014) Solow regression, "
                            "Table 2 shapes and spreads, regressor correlations, and external moments (" +
                            (targets.external_source.empty() ? std::string("none") : targets.external_source) + ")") + "\n" +
      "  produced: " + quoted(utc_now_iso8601()) + "\n" +
      "  convsim: " + quoted(std::string(convsim_version()) + " (git " + convsim_git_revision() + ")") + "\n" +
      "  j_statistic: " + number(d.j_statistic) + "\n" +
      "  degrees_of_freedom: " + std::to_string(d.degrees_of_freedom) + "\n" +
      "  p_value: " + p_value + "\n" +
      "  validation_loss: " + number(result.validation.loss) + "\n" +
      "  evaluations: " + std::to_string(result.evaluations) + "\n" +
      "  model_runs: " + std::to_string(result.model_runs) + "\n" +
      "  details: " + quoted("docs/calibration.md") + "\n" +
      "  domain:\n" +
      "    firms: " + std::to_string(scenario.economy.firms) + "\n" +
      "    sectors: [" + sectors + "]\n" +
      "    fitting_seeds: [" + std::to_string(first_seed) + ", " + std::to_string(first_seed + settings.replicates - 1) + "]\n" +
      "    validation_seeds: [" + std::to_string(first_validation) + ", " +
      std::to_string(first_validation + settings.validation_replicates - 1) + "]\n" +
      "    revision: " + quoted("git " + std::string(convsim_git_revision())) + "\n" +
      caveats_yaml(analysis::caveats_report(problem, result.validation), quoted) +
      (d.draws.empty() ? std::string() : analysis::parameter_draws_yaml(problem, d.draws, 2));
  write_atomically(args.output, analysis::calibrated_parameters_yaml(problem, result.best.parameters, header) + calibration_section);

  std::ostringstream report;
  report << "# Calibration: " << args.scenario << "\n\n"
         << result.evaluations << " evaluations (" << result.algorithms << ") x " << settings.replicates << " replicates, "
         << result.model_runs << " model runs in all of " << scenario.economy.firms << " firms, " << number(result.seconds, "%.1f")
         << " s. Loss at the start " << number(result.at_start.loss) << ", at the optimum " << number(result.best.loss)
         << ".\nCalibrated parameters: " << args.output << "\n\n## Estimates\n\n"
         << analysis::estimates_report(problem, d) << "\n" << analysis::j_test_report(problem, d) << "\n"
         << "## Fit on the fitting seeds\n\n" << analysis::calibration_report(problem, result.best) << "\n"
         << "## Validation on other seeds\n\n" << analysis::calibration_report(problem, result.validation);
  const std::string table = analysis::projection_table(problem, result.validation, kProjectionTolerance);
  if (!table.empty()) report << "\n## Table 3 (2013-2020, validation seeds, calibration economy)\n\n" << table;
  report << "\n## The study's caveats\n\n" << analysis::caveats_report(problem, result.validation);
  print_and_save_report(args, report.str());
  return kExitOk;
}

}  // namespace

void add_calibrate_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CalibrateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "Calibrate a scenario's free parameters to the published Solow regression and external moments (method of simulated moments)");
  cmd->add_option("scenario", args->scenario, "Scenario YAML file")->required();
  cmd->add_option("--targets", args->targets, "Published targets (data/paper_targets.yaml)")->required();
  cmd->add_option("--free", args->free,
                  "Free parameters, weights and optimiser settings (default: calibration/free_parameters.yaml "
                  "next to the scenario)");
  cmd->add_option("--budget", args->budget, "Model evaluations (default: from the --free file)")->check(CLI::Range(1, 1000000));
  cmd->add_option("--replicates", args->replicates, "Fitting runs per evaluation, seeds seed..seed+R-1 (default: from the --free file)")
      ->check(CLI::Range(2, 10000));
  cmd->add_option("--validation-replicates", args->validation_replicates,
                  "Validation runs on seeds disjoint from the fitting seeds (default: from the --free file)")
      ->check(CLI::Range(2, 10000));
  cmd->add_option("--moments", args->moments,
                  "External moments file (default: calibration.external_moments of the --free file)");
  cmd->add_option("--firms", args->firms, "Economy size while calibrating or checking (economy.firms)")
      ->check(CLI::Range(1LL, 2000000000LL));
  cmd->add_option("--apply", args->apply,
                  "Apply every key of a parameter file over the scenario (e.g. a calibrated file whose keys the "
                  "scenario also sets); repeatable");
  cmd->add_option("--set", args->overrides, "Override a scenario key: --set key.path=value (repeatable)");
  cmd->add_option("-o,--output", args->output, "Calibrated parameter file to write")->capture_default_str();
  cmd->add_option("--report", args->report, "Also write the report (Markdown) to this file");
  cmd->add_flag("--check", args->check,
                "Do not optimise: score the scenario as it is (its own size) on the fitting and validation seeds");
  cmd->add_option("--threads", args->threads, "Worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(0, 4096));
  cmd->add_flag("-q,--quiet", args->quiet, "No progress lines");
  cmd->callback([args, &exit_code] { exit_code = args->check ? check(*args) : calibrate(*args); });
}

}  // namespace convsim::cli
