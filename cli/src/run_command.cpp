// convsim run SCENARIO: simulate a scenario and write its HDF5 result.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include <spdlog/spdlog.h>

#include "convsim/analysis/compare.hpp"
#include "convsim/cli/cli_common.hpp"
#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"
#include "convsim/output_path.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/result_file.hpp"
#include "convsim/scenario.hpp"

namespace convsim::cli {
namespace {

struct RunArgs {
  std::string scenario;
  std::string output;
  std::vector<std::string> overrides;
  int threads = 0;
  bool quiet = false;
  bool no_snapshots = false;
};

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

int run(const RunArgs& args) {
  const Scenario scenario = load_scenario(args.scenario, args.overrides);
  check_memory(scenario);
  print_warnings(scenario);
  const auto threads = limit_threads(args.threads);
  const std::string output = args.output.empty() ? default_result_path(args.scenario) : args.output;
  check_output_path(output, "the result");  // before the run, not after it
  Progress progress("run " + scenario.name, args.quiet);
  models::RunOptions options;
  options.progress = [&](int done, int total) { progress.update(done, total); };
  options.firm_snapshots = !args.no_snapshots;
  const auto start = std::chrono::steady_clock::now();
  const RunResult result = models::simulate(scenario, options);
  progress.finish();
  try {
    write_result(result, output);
  } catch (const std::exception& e) {
    throw std::runtime_error(describe_write_failure(output, "the result", e.what()));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!args.quiet) print_summary(result, output, seconds);
  return kExitOk;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a scenario and write its HDF5 result");
  cmd->add_option("scenario", args->scenario, "Scenario YAML file")->required();
  cmd->add_option("-o,--output", args->output, "Result file (default: <scenario>.h5 in the working directory)");
  cmd->add_option("--set", args->overrides, "Override a scenario key: --set key.path=value (repeatable)");
  cmd->add_option("--threads", args->threads, "Worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(0, 4096));
  cmd->add_flag("-q,--quiet", args->quiet, "No progress and no summary");
  cmd->add_flag("--no-snapshots", args->no_snapshots, "Skip the firm snapshots the scenario asks for");
  cmd->callback([args, &exit_code] { exit_code = run(*args); });
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
