// Branching benchmark: what `branch_from` saves a policy sweep. The seven shipped scenarios share
// their past before 2011 (every lever they add starts moving in 2011 or later), so a sweep of them
// with `branch_from: 2011` runs each seed's 1980-2010 once (burn-in included) and continues seven
// branches from it. The benchmark runs the same sweep with and without branching, in process on
// one worker, --repeat times interleaved (A, B, A, B, ...), reports every time (wall and CPU) and
// checks that both give the same runs bit for bit.
//
//   branch_from [--firms F] [--replicates R] [--repeat N] [--year Y]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "convsim/models/checkpoint.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/result_file.hpp"
#include "convsim/sweep.hpp"
#include "convsim/sweep_executor.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

struct Timing {
  double wall = 0, cpu = 0;
};

fs::path write_sweep(const fs::path& folder, int firms, int replicates, const std::string& extra) {
  const fs::path file = folder / "sweep.yaml";
  std::ofstream out(file);
  out << "name: branch_benchmark\nscenarios:\n";
  for (const char* name : {"korea_baseline", "remove_barriers", "infrastructure_5g", "selective_focus", "smart_work",
                           "accessibility", "all_levers"}) {
    out << "  " << name << ": " << CONVSIM_SOURCE_DIR << "/scenarios/" << name << ".yaml\n";
  }
  out << "set:\n  economy.firms: " << firms << "\n  output.snapshot_years: []\nreplicates: " << replicates
      << "\nseed: 20140401\n" << extra;
  return file;
}

Timing run_sweep(const fs::path& sweep_file, const fs::path& output, bool branched) {
  fs::remove_all(output);
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  const convsim::SweepPlan plan = convsim::load_sweep(sweep_file, convsim::RunIdentities::compute);
  convsim::models::RunOptions options;
  options.firm_snapshots = false;
  convsim::RunSimulator simulator = [options](const convsim::Scenario& s) { return convsim::models::simulate(s, options); };
  std::shared_ptr<convsim::models::TrunkCheckpoints> trunks;
  if (branched) {
    trunks = std::make_shared<convsim::models::TrunkCheckpoints>(output / "checkpoints", plan.branch_from, options);
    simulator = [trunks](const convsim::Scenario& s) { return trunks->run(s); };
  }
  convsim::SweepExecutionOptions execution;
  execution.output_dir = output;
  execution.jobs = 1;
  execution.threads_per_run = 1;
  const convsim::SweepReport report = convsim::run_sweep_local(plan, simulator, execution);
  if (!report.ok()) {
    std::fprintf(stderr, "branch_from: the sweep failed\n");
    std::exit(1);
  }
  return {std::chrono::duration<double>(Clock::now() - start).count(), cpu_seconds() - cpu_start};
}

bool same_runs(const fs::path& a, const fs::path& b) {
  std::size_t compared = 0;
  for (const auto& entry : fs::directory_iterator(a / "runs")) {
    const convsim::RunResult x = convsim::read_result(entry.path());
    const convsim::RunResult y = convsim::read_result(b / "runs" / entry.path().filename());
    auto same = [](const auto& p, const auto& q) {
      if (p.size() != q.size()) return false;
      for (std::size_t k = 0; k < p.size(); ++k) {
        if (p[k].values.size() != q[k].values.size() ||
            std::memcmp(p[k].values.data(), q[k].values.data(), p[k].values.size() * sizeof(double)) != 0) {
          return false;
        }
      }
      return true;
    };
    if (!same(x.aggregate, y.aggregate) || !same(x.by_sector, y.by_sector) || !same(x.convergence, y.convergence)) return false;
    ++compared;
  }
  return compared > 0;
}

}  // namespace

int main(int argc, char** argv) {
  int firms = 20000, replicates = 4, repeat = 3;
  double year = 2011;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--firms") firms = std::atoi(argv[i + 1]);
    else if (flag == "--replicates") replicates = std::atoi(argv[i + 1]);
    else if (flag == "--repeat") repeat = std::atoi(argv[i + 1]);
    else if (flag == "--year") year = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: branch_from [--firms F] [--replicates R] [--repeat N] [--year Y]\n");
      return 2;
    }
  }
  const fs::path folder = fs::temp_directory_path() / ("convsim-branch-bench-" + std::to_string(::getpid()));
  fs::create_directories(folder / "plain");
  fs::create_directories(folder / "branched");
  const fs::path plain = write_sweep(folder / "plain", firms, replicates, "");
  char extra[64];
  std::snprintf(extra, sizeof extra, "branch_from: %g\n", year);
  const fs::path branched = write_sweep(folder / "branched", firms, replicates, extra);
  std::printf("branch_from benchmark: 7 scenarios x %d replicates = %d runs, %d firms, branch_from %g, 1 worker, %d rounds (A/B interleaved)\n",
              replicates, 7 * replicates, firms, year, repeat);
  std::vector<Timing> a, b;
  for (int r = 0; r < repeat; ++r) {
    a.push_back(run_sweep(plain, folder / "A", false));
    b.push_back(run_sweep(branched, folder / "B", true));
    std::printf("  round %d: without %.2f s wall (%.2f s CPU), with branch_from %.2f s wall (%.2f s CPU): %.2f x\n", r + 1,
                a.back().wall, a.back().cpu, b.back().wall, b.back().cpu, a.back().wall / b.back().wall);
    std::fflush(stdout);
  }
  auto range = [](const std::vector<Timing>& t) {
    double lo = t[0].wall, hi = t[0].wall;
    for (const Timing& x : t) lo = std::min(lo, x.wall), hi = std::max(hi, x.wall);
    return std::pair{lo, hi};
  };
  const auto [a_lo, a_hi] = range(a);
  const auto [b_lo, b_hi] = range(b);
  std::printf("  without: %.2f-%.2f s; with branch_from: %.2f-%.2f s; saving %.2f-%.2f x\n", a_lo, a_hi, b_lo, b_hi, a_lo / b_hi,
              a_hi / b_lo);
  const bool same = same_runs(folder / "A", folder / "B");
  std::printf("  runs identical with and without branching: %s\n", same ? "yes" : "NO");
  fs::remove_all(folder);
  return same ? 0 : 1;
}
