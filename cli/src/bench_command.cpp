// convsim bench: engine throughput at 10^5..10^7 firms (firm-steps/s, ns per firm-step, memory
// per firm, 1 -> 2 thread speed-up) on the full model step. Figures go to docs/performance.md.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <filesystem>
#include <sys/resource.h>
#include <unistd.h>

#include "convsim/cli/cli_common.hpp"
#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"
#include "convsim/models/economy.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/models/step.hpp"
#include "convsim/result_file.hpp"
#include "convsim/policy_schedule.hpp"
#include "convsim/scenario.hpp"

namespace convsim::cli {
namespace {

struct BenchArgs {
  std::vector<long long> firms{100000, 1000000, 10000000};
  int steps = 10;
  double mean_degree = 8;
  std::vector<int> threads{1, 2};
  std::string scenario;
  bool output_cost = false;
};

// Resident memory now, bytes (from /proc/self/statm).
double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * 4096.0;
}

struct Measure {
  double build_seconds = 0;
  double step_seconds = 0;
  double state_bytes = 0;
  double firms_per_step = 0;  // alive firms at the start of a step, averaged over the steps
};

Measure measure(const Scenario& scenario, int steps, int threads) {
  const auto limit = limit_threads(threads);
  const double before = resident_bytes();
  const auto t0 = std::chrono::steady_clock::now();
  models::Economy economy = models::build_economy(scenario);
  const auto t1 = std::chrono::steady_clock::now();
  models::StepAggregates out;
  // Firms actually updated: those alive at the start of each step (entry and exit change it).
  double updated = 0;
  double alive = static_cast<double>(economy.firms.size());
  for (int t = 0; t < steps; ++t) {
    updated += alive;
    models::advance(scenario, economy, policy_at(scenario, scenario.year_of_step(t)), out);
    alive = out.total(models::kFirms);
  }
  const auto t2 = std::chrono::steady_clock::now();
  Measure m;
  m.build_seconds = std::chrono::duration<double>(t1 - t0).count();
  m.step_seconds = std::chrono::duration<double>(t2 - t1).count() / steps;
  m.firms_per_step = updated / steps;
  m.state_bytes = resident_bytes() - before;
  return m;
}

// Share of a run's time spent writing its result when only aggregates are written (no snapshots).
int run_output_cost(const BenchArgs& args) {
  const std::string path = args.scenario.empty() ? std::string(CONVSIM_SOURCE_DIR) + "/scenarios/korea_baseline.yaml" : args.scenario;
  std::printf("convsim bench --output-cost: %s, aggregates only\n", path.c_str());
  std::printf("%10s %12s %12s %10s\n", "firms", "simulate s", "write s", "write %");
  const std::string out = std::filesystem::temp_directory_path() / ("convsim-bench-" + std::to_string(::getpid()) + ".h5");
  for (long long n : args.firms) {
    const Scenario scenario = load_scenario(path, {"economy.firms=" + std::to_string(n)});
    check_memory(scenario);
    models::RunOptions options;
    options.firm_snapshots = false;
    const auto t0 = std::chrono::steady_clock::now();
    const RunResult result = models::simulate(scenario, options);
    const auto t1 = std::chrono::steady_clock::now();
    write_result(result, out);
    const auto t2 = std::chrono::steady_clock::now();
    const double simulate_s = std::chrono::duration<double>(t1 - t0).count();
    const double write_s = std::chrono::duration<double>(t2 - t1).count();
    std::printf("%10lld %12.3f %12.4f %9.2f%%\n", n, simulate_s, write_s, 100.0 * write_s / (simulate_s + write_s));
    std::filesystem::remove(out);
  }
  return kExitOk;
}

int run_bench(const BenchArgs& args) {
  if (args.output_cost) return run_output_cost(args);
  std::printf("convsim bench: full model step, mean degree %.0f, %d steps per measurement; firm-steps count the firms\n"
              "alive at the start of each step\n", args.mean_degree, args.steps);
  std::printf("%10s %8s %10s %14s %12s %12s %10s\n", "firms", "threads", "build s", "firm-steps/s", "ns/firm-step",
              "bytes/firm", "speed-up");
  for (long long n : args.firms) {
    std::vector<std::string> overrides = {"economy.firms=" + std::to_string(n),
                                          "network.mean_degree=" + std::to_string(args.mean_degree)};
    const Scenario scenario = args.scenario.empty()
                                  ? build_scenario(ScenarioDocument::parse("name: bench\n", "<bench>"))
                                  : load_scenario(args.scenario);
    ScenarioDocument doc = ScenarioDocument::parse(scenario.resolved_yaml, "<bench>");
    for (const auto& o : overrides) doc.apply_override(o);
    const Scenario sized = build_scenario(doc);
    check_memory(sized);
    double single = 0;
    for (int threads : args.threads) {
      const Measure m = measure(sized, args.steps, threads);
      const double rate = m.firms_per_step / m.step_seconds;
      if (threads == args.threads.front()) single = m.step_seconds;
      std::printf("%10lld %8d %10.2f %14.3e %12.1f %12.0f %10.2f\n", n, threads, m.build_seconds, rate,
                  1e9 / rate, m.state_bytes / static_cast<double>(n), single / m.step_seconds);
      std::fflush(stdout);
    }
  }
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak resident memory: %.2f GB\n", static_cast<double>(usage.ru_maxrss) * 1024.0 / 1e9);
  return kExitOk;
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure engine throughput (firm-steps/s, memory, thread speed-up)");
  cmd->add_option("--firms", args->firms, "Economy sizes to measure")->check(CLI::Range(1LL, 2000000000LL));
  cmd->add_option("--steps", args->steps, "Steps per measurement")->check(CLI::Range(1, 1000));
  cmd->add_option("--mean-degree", args->mean_degree, "Mean suppliers per firm")->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--threads", args->threads, "Thread counts to compare (first is the reference)");
  cmd->add_option("--scenario", args->scenario, "Scenario whose parameters to use (default: built-in defaults)");
  cmd->add_flag("--output-cost", args->output_cost, "Measure the share of run time spent writing aggregates (baseline scenario)");
  cmd->callback([args, &exit_code] { exit_code = run_bench(*args); });
}

}  // namespace convsim::cli
