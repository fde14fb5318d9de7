// The Slurm executor on a real Slurm: tests/cluster/slurm_localhost.sh starts a one-node cluster
// on this machine (munge with a generated key, slurmctld and slurmd as root), `convsim sweep slurm
// --submit --wait` submits the generated job array (several runs per task, at most two tasks at a
// time), and the merged result must equal, byte for byte, a local run of the same sweep. The
// script stops exactly the daemons it started. Skipped (GTEST_SKIP) where Slurm and munge are not
// installed, when not root, or when CONVSIM_SKIP_SLURM is set; a cluster that is installed but
// does not start is a failure.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "test_support.hpp"

namespace convsim::testing {
namespace {

namespace fs = std::filesystem;

std::string sweep_text() {
  return "name: slurm_sweep\n"
         "scenarios:\n"
         "  baseline: " + source_path("scenarios/korea_baseline.yaml").string() + "\n"
         "  remove_barriers: " + source_path("scenarios/remove_barriers.yaml").string() + "\n"
         "set: {economy.firms: 2000, output.snapshot_years: []}\n"
         "design:\n"
         "  type: latin_hypercube\n"
         "  n: 4\n"
         "  seed: 9\n"
         "  parameters:\n"
         "    adoption.peer_effect: {distribution: uniform, low: 0.2, high: 0.5}\n"
         "replicates: 2\n"
         "seed: 31\n";
}

TEST(SlurmSweep, JobArrayOnALocalhostClusterGivesTheLocalResult) {
  if (std::getenv("CONVSIM_SKIP_SLURM") != nullptr) GTEST_SKIP() << "CONVSIM_SKIP_SLURM is set";
  for (const char* tool : {"slurmctld", "slurmd", "munged", "sbatch"}) {
    if (run_shell(std::string("PATH=$PATH:/usr/sbin command -v ") + tool).exit_code != 0) {
      GTEST_SKIP() << tool << " not found (apt-get install slurm-wlm munge)";
    }
  }
  if (::geteuid() != 0) GTEST_SKIP() << "the localhost cluster runs its daemons as root (SlurmUser=root)";

  TempDir dir;
  const fs::path sweep = dir / "sweep.yaml";
  write_text(sweep, sweep_text());

  // Reference: the same sweep run locally.
  const auto local = run_convsim("sweep run '" + sweep.string() + "' -o '" + (dir / "local").string() + "' --jobs 2 -q");
  ASSERT_EQ(local.exit_code, 0) << local.err;
  ASSERT_EQ(run_convsim("merge '" + (dir / "local").string() + "' -o '" + (dir / "local.h5").string() + "'").exit_code, 0);

  // 16 runs, 3 per task: 6 array tasks, at most 2 running at a time.
  const fs::path out = dir / "slurm";
  const std::string submit = std::string("'") + CONVSIM_BINARY + "' sweep slurm '" + sweep.string() + "' -o '" +
                             out.string() + "' --runs-per-task 3 --array-parallel 2 --time 00:05:00 --submit --wait";
  const auto cluster = run_shell("bash '" + source_path("tests/cluster/slurm_localhost.sh").string() + "' '" +
                                 (dir / "cluster").string() + "' --timeout 100 -- " + submit);
  ASSERT_EQ(cluster.exit_code, 0) << "stdout:\n" << cluster.out << "\nstderr:\n" << cluster.err;
  EXPECT_TRUE(contains(cluster.out, "16 runs in 6 array tasks (3 per task, at most 2 at a time)")) << cluster.out;
  EXPECT_TRUE(contains(cluster.err, "idle")) << cluster.err;

  // One log per array task, each naming its shard's runs.
  std::size_t logs = 0;
  for (const auto& entry : fs::directory_iterator(out / "slurm")) {
    if (entry.path().extension() == ".out") ++logs;
  }
  EXPECT_EQ(logs, 6u);

  const auto merge = run_convsim("merge '" + out.string() + "' -o '" + (dir / "slurm.h5").string() + "'");
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  EXPECT_TRUE(contains(merge.out, "merged 16 of 16 runs")) << merge.out;
  EXPECT_EQ(run_shell("cmp '" + (dir / "local.h5").string() + "' '" + (dir / "slurm.h5").string() + "'").exit_code, 0);

  // The daemons are gone: nothing of this cluster is left running.
  const auto left = run_shell("ps -eo args | grep -F '" + (dir / "cluster").string() + "' | grep -v grep");
  EXPECT_EQ(left.out, "") << "processes of the test cluster still running:\n" << left.out;
}

}  // namespace
}  // namespace convsim::testing
