// convsim run SCENARIO: simulate a scenario and write its HDF5 result.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <iostream>

#include <spdlog/spdlog.h>

#include "convsim/analysis/compare.hpp"
#include "convsim/cli/cli_common.hpp"
#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"
#include "convsim/merge.hpp"
#include "convsim/output_path.hpp"
#include "convsim/parameter_draws.hpp"
#include "convsim/models/checkpoint.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/result_file.hpp"
#include "convsim/scenario.hpp"
#include "convsim/sweep.hpp"

namespace convsim::cli {
namespace {

struct RunArgs {
  std::string scenario;
  std::string output;
  std::vector<std::string> overrides;
  int threads = 0;
  bool quiet = false;
  bool no_snapshots = false;
  int replicates = 0;                    // 0: one run, the file of docs/results.md
  bool no_parameter_uncertainty = false;
  double checkpoint_at = std::nan("");   // year whose start state is saved (--checkpoint-at)
  std::string checkpoint;                // where (--checkpoint; default <scenario>-<year>.checkpoint.h5)
  bool checkpoint_only = false;          // stop at the checkpoint, write no result
  std::string from;                      // checkpoint to continue (--from)
};

// The step whose start the checkpoint saves: --checkpoint-at must name the start of a step.
int checkpoint_step(const Scenario& scenario, double year) {
  const std::string problem = models::step_start_problem(scenario, year, scenario.name);
  if (!problem.empty()) throw InputError("<command line>", 0, "--checkpoint-at", problem);
  return models::step_starting_in(scenario, year);
}

void print_checkpoint(const models::Checkpoint& checkpoint, const std::string& path) {
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  std::printf("checkpoint: %s (start of %s, after %d reported steps; %.1f MB)\n", path.c_str(),
              models::year_text(checkpoint.year).c_str(), checkpoint.steps_done, ec ? 0.0 : static_cast<double>(bytes) / 1e6);
}

void save_checkpoint_or_explain(const models::Checkpoint& checkpoint, const std::string& path) {
  try {
    models::save_checkpoint(checkpoint, path);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw std::runtime_error(describe_write_failure(path, "the checkpoint", e.what()));
  }
}

// The short summary a user reads after a run: output and jobs, total and convergence industry.
void print_summary(const RunResult& r, const std::string& path, double seconds) {
  const std::size_t T = r.time.size();
  if (T == 0) return;
  auto value = [&](const Series* s, std::size_t t) { return s ? s->values[t] : std::nan(""); };
  const Series* output = r.find_aggregate("output");
  const Series* employment = r.find_aggregate("employment");
  const Series* conv_output = r.find_convergence("output");
  const Series* conv_employment = r.find_convergence("employment");
  const Series* conv_firms = r.find_convergence("firms");
  const Series* firms = r.find_aggregate("firms");
  // Calendar years covered: a quarterly run's last step starts in 2020.75, which is 2020.
  std::printf("scenario %s (seed %llu): %zu steps, %.0f-%.0f, %zu sectors, %.1f s\n", r.scenario_name.c_str(),
              static_cast<unsigned long long>(r.seed), T, std::floor(r.time.front() + 1e-9), std::floor(r.time.back() + 1e-9),
              r.sectors.size(), seconds);
  std::printf("%-34s %16s %16s %9s\n", "", "first year", "last year", "growth/yr");
  const double years = std::max(1.0, r.time.back() - r.time.front());
  auto row = [&](const char* label, const Series* s) {
    const double a = value(s, 0), b = value(s, T - 1);
    const double growth = (a > 0 && b > 0) ? std::pow(b / a, 1.0 / years) - 1.0 : std::nan("");
    // One number format (grouped thousands, as compare prints them); no growth without two levels.
    char growth_text[32] = "n/a";
    if (std::isfinite(growth)) std::snprintf(growth_text, sizeof growth_text, "%.2f%%", 100.0 * growth);
    std::printf("%-34s %16s %16s %9s\n", label, analysis::format_number(a).c_str(), analysis::format_number(b).c_str(),
                growth_text);
  };
  row("output (1e8 KRW/year)", output);
  row("employment (persons)", employment);
  row("firms", firms);
  row("convergence output (1e8 KRW/year)", conv_output);
  row("convergence employment (persons)", conv_employment);
  row("converged firms", conv_firms);
  // A rate: its level in the first and last year, no growth.
  if (const Series* rate = r.find_aggregate("unemployment_rate")) {
    std::printf("%-34s %15.2f%% %15.2f%%\n", "unemployment rate", 100.0 * value(rate, 0), 100.0 * value(rate, T - 1));
  }
  std::printf("result: %s\n", path.c_str());
}

// The scenario a run continues a checkpoint with: the one given (a branch, checked against the
// checkpoint's), or the checkpoint's own.
Scenario continued_scenario(const RunArgs& args, const models::Checkpoint& checkpoint) {
  if (args.scenario.empty() && args.overrides.empty()) return models::continuation_scenario(checkpoint, args.from, nullptr);
  ScenarioDocument document =
      args.scenario.empty() ? models::checkpoint_document(checkpoint, args.from) : ScenarioDocument::load(args.scenario);
  for (const auto& assignment : args.overrides) document.apply_override(assignment);
  if (!args.scenario.empty()) record_calibration_overrides(document);
  const Scenario branch = build_scenario(document);
  return models::continuation_scenario(checkpoint, args.from, &branch, &document);
}

int run(const RunArgs& args) {
  std::optional<models::Checkpoint> from;
  Scenario scenario;
  if (!args.from.empty()) {
    from = models::load_checkpoint(args.from);
    scenario = continued_scenario(args, *from);
  } else {
    ScenarioDocument document = ScenarioDocument::load(args.scenario);
    for (const auto& assignment : args.overrides) document.apply_override(assignment);
    record_calibration_overrides(document);  // the result says which calibrated values it departs from
    scenario = build_scenario(document);
  }
  check_memory(scenario);
  // A checkpoint's own scenario was warned about when the checkpoint was made.
  if (!args.scenario.empty()) print_warnings(scenario);
  const auto threads = limit_threads(args.threads);
  const std::string named = args.scenario.empty() ? args.from : args.scenario;
  const std::string output = args.output.empty() ? default_result_path(named) : args.output;
  int checkpoint_steps = -1;
  std::string checkpoint_path;
  if (!std::isnan(args.checkpoint_at)) {
    checkpoint_steps = checkpoint_step(scenario, args.checkpoint_at);
    checkpoint_path = args.checkpoint;
    if (checkpoint_path.empty()) {
      checkpoint_path = std::filesystem::path(named).stem().string() + "-" + models::year_text(args.checkpoint_at) + ".checkpoint.h5";
    }
    check_output_path(checkpoint_path, "the checkpoint", "--checkpoint");
    auto resolved = [](const std::string& path) {
      std::error_code ec;
      return std::filesystem::weakly_canonical(std::filesystem::absolute(path), ec);
    };
    if (!args.checkpoint_only && resolved(checkpoint_path) == resolved(output)) {
      throw InputError("<command line>", 0, "--checkpoint", "the checkpoint and the result would both be " + output);
    }
  }
  if (!args.checkpoint_only) check_output_path(output, "the result");  // before the run, not after it
  std::optional<Progress> progress;  // started at the first reported step, so its rate is the steps'
  std::optional<Progress> preparing;
  models::RunOptions options;
  if (!from) {
    // Building the economy and its burn-in come first (about 4 s at 10^6 firms): their own line.
    preparing.emplace("run " + scenario.name + ": building " + std::to_string(scenario.economy.firms) + " firms and the burn-in",
                      args.quiet);
    options.preparation = [&](int done, int total) {
      preparing->update(done, total);
      if (done == total) preparing->finish();
    };
  }
  options.progress = [&](int done, int total) {
    if (!progress) progress.emplace("run " + scenario.name, args.quiet);
    progress->update(done, total);
  };
  options.firm_snapshots = !args.no_snapshots;
  const auto start = std::chrono::steady_clock::now();
  models::Checkpoint state = from ? std::move(*from) : models::run_to_checkpoint(scenario, std::max(checkpoint_steps, 0), options);
  if (checkpoint_steps >= 0) {
    if (progress) progress->finish();
    progress.reset();
    save_checkpoint_or_explain(state, checkpoint_path);
    if (!args.quiet) print_checkpoint(state, checkpoint_path);
    if (args.checkpoint_only) return kExitOk;
  }
  RunResult result;
  try {
    result = models::continue_run(scenario, std::move(state), options);
  } catch (const std::invalid_argument& e) {
    throw InputError(args.from, 0, "", std::string("not a checkpoint this scenario can continue: ") + e.what());
  }
  if (progress) progress->finish();
  try {
    write_result(result, output);
  } catch (const std::exception& e) {
    throw std::runtime_error(describe_write_failure(output, "the result", e.what()));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!args.quiet) print_summary(result, output, seconds);
  return kExitOk;
}

// The replicates' mean of every series the summary shows (time, names and units of the first).
RunResult mean_result(const std::vector<RunResult>& runs) {
  RunResult mean = runs.front();
  auto average = [&](std::vector<Series>& series, auto member) {
    for (std::size_t i = 0; i < series.size(); ++i) {
      for (std::size_t t = 0; t < series[i].values.size(); ++t) {
        double sum = 0;
        for (const RunResult& run : runs) sum += (run.*member)[i].values[t];
        series[i].values[t] = sum / static_cast<double>(runs.size());
      }
    }
  };
  average(mean.aggregate, &RunResult::aggregate);
  average(mean.convergence, &RunResult::convergence);
  return mean;
}

// convsim run SCENARIO --replicates N: replicate r runs with seed replicate_seed(seed, r) (as a
// sweep's replicate r) and, when the scenario's calibration holds parameter draws, with draw r;
// the N results go into one file in the merged-sweep layout.
int run_replicates(const RunArgs& args) {
  ScenarioDocument document = ScenarioDocument::load(args.scenario);
  for (const auto& assignment : args.overrides) document.apply_override(assignment);
  const Scenario point = build_scenario(document);  // validated before anything else
  std::optional<ParameterDraws> draws;
  if (!args.no_parameter_uncertainty) draws = read_parameter_draws(document);
  if (draws) check_draw_count(*draws, args.replicates);
  check_memory(point);
  print_warnings(point);
  if (draws) {
    std::vector<std::string> held;
    for (const ScenarioWarning& warning : held_key_warnings(document, *draws)) held.push_back(warning.text());
    print_warnings(held);
  }
  const auto threads = limit_threads(args.threads);
  const std::string output = args.output.empty() ? default_result_path(args.scenario) : args.output;
  check_output_path(output, "the result");

  const auto start = std::chrono::steady_clock::now();
  record_calibration_overrides(document);
  const SourceLocation seed_where = document.find("seed") ? document.find("seed")->where : SourceLocation{args.scenario, 0};
  std::vector<RunResult> results;
  PlanSummary plan;
  plan.name = point.name;
  plan.design = "none";
  plan.replicates = args.replicates;
  plan.base_seed = point.seed;
  plan.parameter_uncertainty = !args.no_parameter_uncertainty;
  // Every replicate is resolved (and a draw outside a key's range refused) before any runs.
  std::vector<Scenario> scenarios;
  for (int r = 0; r < args.replicates; ++r) {
    ScenarioDocument replicate = document;
    replicate.set("seed", YAML::Node(std::to_string(replicate_seed(point.seed, r))), seed_where);
    if (draws) apply_parameter_draw(replicate, *draws, static_cast<std::size_t>(r));
    scenarios.push_back(build_scenario(replicate));
  }
  Progress progress("run " + point.name + " (" + std::to_string(args.replicates) + " replicates)", args.quiet);
  for (int r = 0; r < args.replicates; ++r) {
    const Scenario& scenario = scenarios[static_cast<std::size_t>(r)];
    const std::uint64_t seed = scenario.seed;
    models::RunOptions options;
    options.progress = [&, r](int done, int total) { progress.update(r * total + done, args.replicates * total); };
    options.firm_snapshots = false;  // the merged layout holds time series only
    results.push_back(models::simulate(scenario, options));
    PlannedRun run;
    run.index = static_cast<std::size_t>(r);
    run.scenario = scenario.name;
    run.replicate = r;
    run.seed = seed;
    run.identity = results.back().scenario_hash;
    run.result = args.scenario;
    plan.runs.push_back(std::move(run));
  }
  progress.finish();
  const RunResult mean = mean_result(results);
  std::vector<const PlannedRun*> rows;
  for (const auto& run : plan.runs) rows.push_back(&run);
  try {
    write_merged_results(output, plan, rows, [&](std::size_t row) { return std::move(results[row]); }, args.scenario);
  } catch (const std::exception& e) {
    throw std::runtime_error(describe_write_failure(output, "the result", e.what()));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!args.quiet) {
    std::printf("%d replicates, %s; the table shows their mean\n", args.replicates,
                draws ? ("parameter draws 0-" + std::to_string(args.replicates - 1) + " of " + draws->where.file).c_str()
                      : (args.no_parameter_uncertainty ? "the calibrated point (--no-parameter-uncertainty)"
                                                       : "the calibrated point (the calibration holds no parameter draws)"));
    print_summary(mean, output, seconds);
  }
  return kExitOk;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a scenario and write its HDF5 result");
  cmd->add_option("scenario", args->scenario, "Scenario YAML file (with --from: a branch of the checkpoint's scenario; "
                                              "default the checkpoint's own)");
  cmd->add_option("-o,--output", args->output, "Result file (default: <scenario>.h5 in the working directory)");
  cmd->add_option("--checkpoint-at", args->checkpoint_at,
                  "Save the run's whole state at the start of this year (a step's start, e.g. 2013 or 2013.25)");
  cmd->add_option("--checkpoint", args->checkpoint,
                  "Checkpoint file for --checkpoint-at (default: <scenario>-<year>.checkpoint.h5 in the working directory)");
  cmd->add_flag("--checkpoint-only", args->checkpoint_only, "With --checkpoint-at: stop at the checkpoint, write no result");
  cmd->add_option("--from", args->from,
                  "Continue the run saved in this checkpoint (bit-identical to running from the start); with a scenario "
                  "that differs only in events from the checkpoint year on, run that branch");
  cmd->add_option("--set", args->overrides, "Override a scenario key: --set key.path=value (repeatable)");
  cmd->add_option("--threads", args->threads, "Worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(0, 4096));
  cmd->add_flag("-q,--quiet", args->quiet, "No progress and no summary");
  cmd->add_flag("--no-snapshots", args->no_snapshots, "Skip the firm snapshots the scenario asks for");
  cmd->add_option("--replicates", args->replicates,
                  "Run N replicates (seeds as a sweep's, parameter draws of the calibration) into one file in the "
                  "merged-sweep layout")
      ->check(CLI::Range(1, 1000000));
  cmd->add_flag("--no-parameter-uncertainty", args->no_parameter_uncertainty,
                "With --replicates: every replicate uses the calibrated point, not the calibration's parameter draws");
  cmd->callback([args, &exit_code] {
    if (args->no_parameter_uncertainty && args->replicates == 0) {
      throw InputError("<command line>", 0, "--no-parameter-uncertainty", "applies to --replicates N only");
    }
    const bool checkpointing = !std::isnan(args->checkpoint_at);
    if (args->scenario.empty() && args->from.empty()) {
      throw InputError("<command line>", 0, "scenario", "a scenario file is required (or --from CHECKPOINT)");
    }
    if (args->replicates > 0 && (checkpointing || !args->from.empty())) {
      throw InputError("<command line>", 0, checkpointing ? "--checkpoint-at" : "--from",
                       "does not combine with --replicates (a sweep file with branch_from shares checkpoints)");
    }
    if (checkpointing && !args->from.empty()) {
      throw InputError("<command line>", 0, "--checkpoint-at", "does not combine with --from: continue, then checkpoint anew");
    }
    if (!checkpointing && (args->checkpoint_only || !args->checkpoint.empty())) {
      throw InputError("<command line>", 0, args->checkpoint_only ? "--checkpoint-only" : "--checkpoint",
                       "applies with --checkpoint-at YEAR only");
    }
    if (args->checkpoint_only && !args->output.empty()) {
      throw InputError("<command line>", 0, "--output", "--checkpoint-only writes no result");
    }
    exit_code = args->replicates > 0 ? run_replicates(*args) : run(*args);
  });
}

void add_validate_command(CLI::App& app, int& exit_code) {
  auto scenario_path = std::make_shared<std::string>();
  auto overrides = std::make_shared<std::vector<std::string>>();
  auto print = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("validate", "Check a scenario without running it");
  cmd->add_option("scenario", *scenario_path, "Scenario YAML file")->required();
  cmd->add_option("--set", *overrides, "Override a scenario key: --set key.path=value (repeatable)");
  cmd->add_flag("--print", *print, "Print the resolved scenario (extends and overrides applied)");
  cmd->callback([=, &exit_code] {
    const Scenario scenario = load_scenario(*scenario_path, *overrides);
    check_memory(scenario);
    print_warnings(scenario);
    if (*print) {
      std::cout << scenario.resolved_yaml;
      // The schedule as comments, so that the output stays a loadable scenario.
      const std::vector<std::string> schedule = policy_schedule_lines(scenario);
      if (!schedule.empty()) {
        std::cout << "# Policy events as the run applies them (a ramp's strength is 0 in the `at` year and rises\n"
                     "# linearly to 1 after ramp_years; levels are evaluated at the start of each step):\n";
        for (const std::string& line : schedule) std::cout << "#   " << line << "\n";
      }
    } else {
      std::printf("%s: valid (%s, %zu sectors, %zu policy events, %d steps, %lld firms, about %.2f GB)\n",
                  scenario_path->c_str(), scenario.name.c_str(), scenario.sectors.size(), scenario.policies.size(),
                  scenario.steps(), static_cast<long long>(scenario.economy.firms),
                  static_cast<double>(estimated_run_bytes(scenario)) / 1e9);
    }
    exit_code = kExitOk;
  });
}

}  // namespace convsim::cli
