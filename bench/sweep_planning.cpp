// Sweep planning benchmark: how long `load_sweep` takes per run (expanding the design, resolving
// and validating each run's scenario, computing its identity). Target (issue 12): <= 20 us per
// run, so that the documented limit of 10^7 runs plans in minutes. Never a timed unit test.
//
//   sweep_planning [--scenario PATH] [--runs N ...] [--repeat R] [--from-scratch] [--case K]
//
// Plans, for the scenario given (default scenarios/korea_baseline.yaml) and each N (default
// 10000 and 100000), three sweeps of N runs: replicates only (1 point x N replicates, without
// parameter draws, which the calibration holds only 100 of), a grid with replicates (N/100 points x
// 100 replicates, each replicate with its parameter draw) and a grid without (N points x 1
// replicate, draw 0). Each plan is timed R times (default 3) and the fastest counts, in wall-clock
// time and in the process's CPU time (what the target is about; on a shared machine the two differ).
// --from-scratch resolves every run anew (PlanResolution::from_scratch, the reference path, which
// is what planning did before incremental resolution). --case K (1, 2 or 3) times only that sweep.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "convsim/sweep.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Case {
  std::string label;
  std::string design;  // the sweep file's design and replicates
  convsim::ParameterUncertainty uncertainty;
};

// A two-parameter grid of about `points` points.
std::string grid(std::size_t points) {
  const auto first = static_cast<std::size_t>(std::max(1.0, std::round(std::sqrt(static_cast<double>(points)))));
  const std::size_t second = std::max<std::size_t>(1, points / first);
  return "design:\n  type: grid\n  parameters:\n    adoption.peer_effect: {from: 0.001, to: 0.005, count: " +
         std::to_string(first) + "}\n    sectors.health_care.barrier: {from: 0, to: 0.9, count: " + std::to_string(second) + "}\n";
}

}  // namespace

int main(int argc, char** argv) {
  fs::path scenario = fs::path(CONVSIM_SOURCE_DIR) / "scenarios/korea_baseline.yaml";
  int repeat = 3;
  int only = 0;
  std::vector<std::size_t> sizes;
  convsim::PlanResolution resolution = convsim::PlanResolution::incremental;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--from-scratch") resolution = convsim::PlanResolution::from_scratch;
    if (i + 1 >= argc) continue;
    if (flag == "--scenario") scenario = fs::absolute(argv[i + 1]);
    if (flag == "--repeat") repeat = std::atoi(argv[i + 1]);
    if (flag == "--case") only = std::atoi(argv[i + 1]);
    if (flag == "--runs") {
      while (i + 1 < argc && argv[i + 1][0] != '-') sizes.push_back(static_cast<std::size_t>(std::atoll(argv[++i])));
    }
  }
  if (sizes.empty()) sizes = {10000, 100000};
  const fs::path dir = fs::temp_directory_path() / ("convsim-planning-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::printf("sweep planning benchmark: %s, %s, best of %d\n", scenario.filename().c_str(),
              resolution == convsim::PlanResolution::incremental ? "incremental" : "from scratch", repeat);
  for (const std::size_t n : sizes) {
    const std::vector<Case> cases = {
        {"1 point x " + std::to_string(n) + " replicates, no draws", "replicates: " + std::to_string(n) + "\n",
         convsim::ParameterUncertainty::off},
        {std::to_string(std::max<std::size_t>(1, n / 100)) + " points x 100 replicates, draws",
         grid(std::max<std::size_t>(1, n / 100)) + "replicates: 100\n", convsim::ParameterUncertainty::on},
        {std::to_string(n) + " points x 1 replicate, draw 0", grid(n), convsim::ParameterUncertainty::on},
    };
    for (std::size_t k = 0; k < cases.size(); ++k) {
      if (only != 0 && static_cast<std::size_t>(only) != k + 1) continue;
      const Case& c = cases[k];
      const fs::path file = dir / "sweep.yaml";
      std::ofstream(file) << "scenarios: [" << scenario.string() << "]\nseed: 3\n" << c.design;
      double best = 1e300, best_cpu = 1e300;
      std::size_t runs = 0;
      for (int r = 0; r < repeat; ++r) {
        const auto start = Clock::now();
        const double start_cpu = cpu_seconds();
        const convsim::SweepPlan plan = convsim::load_sweep(file, convsim::RunIdentities::compute, c.uncertainty, resolution);
        best_cpu = std::min(best_cpu, cpu_seconds() - start_cpu);
        best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
        runs = plan.runs.size();
      }
      std::printf("  %-42s %7zu runs  %8.3f s  %8.1f us/run  CPU %8.1f us/run\n", c.label.c_str(), runs, best,
                  1e6 * best / static_cast<double>(runs), 1e6 * best_cpu / static_cast<double>(runs));
      std::fflush(stdout);
    }
  }
  fs::remove_all(dir);
  return 0;
}
