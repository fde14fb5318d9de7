// Sweep planning benchmark: how long `load_sweep` takes per run (expanding the design, resolving
// and validating each run's scenario, computing its identity). Target (issue 12): <= 20 us per
// run, so that the documented limit of 10^7 runs plans in minutes. Never a timed unit test.
//
//   sweep_planning [--scenario PATH] [--repeat R]
//
// Plans, for the scenario given (default scenarios/korea_baseline.yaml), three sweeps of about
// 10^4 runs each: replicates only (1 point x 10,000 replicates), a grid with replicates
// (100 points x 100 replicates) and a grid without (10,000 points x 1 replicate). Each plan is
// timed R times (default 3) and the fastest counts.
#include <unistd.h>

#include <chrono>
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

struct Case {
  const char* label;
  std::string design;  // the sweep file's design and replicates
};

}  // namespace

int main(int argc, char** argv) {
  fs::path scenario = fs::path(CONVSIM_SOURCE_DIR) / "scenarios/korea_baseline.yaml";
  int repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--scenario") scenario = fs::absolute(argv[i + 1]);
    if (flag == "--repeat") repeat = std::atoi(argv[i + 1]);
  }
  const fs::path dir = fs::temp_directory_path() / ("convsim-planning-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::vector<Case> cases = {
      {"1 point x 10000 replicates", "replicates: 10000\n"},
      {"100 points x 100 replicates",
       "design:\n  type: grid\n  parameters:\n    adoption.peer_effect: {from: 0.1, to: 0.5, count: 10}\n"
       "    sectors.health_care.barrier: {from: 0, to: 0.9, count: 10}\nreplicates: 100\n"},
      {"10000 points x 1 replicate",
       "design:\n  type: grid\n  parameters:\n    adoption.peer_effect: {from: 0.1, to: 0.5, count: 100}\n"
       "    sectors.health_care.barrier: {from: 0, to: 0.9, count: 100}\n"},
  };
  std::printf("sweep planning benchmark: %s, best of %d\n", scenario.filename().c_str(), repeat);
  for (const auto& c : cases) {
    const fs::path file = dir / "sweep.yaml";
    std::ofstream(file) << "scenarios: [" << scenario.string() << "]\nseed: 3\n" << c.design;
    double best = 1e300;
    std::size_t runs = 0;
    for (int r = 0; r < repeat; ++r) {
      const auto start = Clock::now();
      const convsim::SweepPlan plan = convsim::load_sweep(file);
      best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
      runs = plan.runs.size();
    }
    std::printf("  %-30s %7zu runs  %8.3f s  %8.1f us/run\n", c.label, runs, best, 1e6 * best / static_cast<double>(runs));
  }
  fs::remove_all(dir);
  return 0;
}
