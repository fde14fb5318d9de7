// The MPI sweep executor on real OpenMPI: `mpirun -np 2` and `-np 3` (oversubscribed on a small
// machine) give merged results identical, byte for byte, to a local run of the same sweep; a
// failing run is reported while the others complete; one rank runs the sweep itself.
// Skipped (GTEST_SKIP) where mpirun is missing or convsim was built without MPI.
#include <gtest/gtest.h>

#include <string>

#include "convsim/sweep.hpp"
#include "convsim/sweep_executor.hpp"
#include "test_support.hpp"

namespace convsim::testing {
namespace {

namespace fs = std::filesystem;

// Runs of two sizes, so workers finish at different times: 2 scenarios x 4 points x 2 replicates.
std::string sweep_text() {
  return "name: mpi_sweep\n"
         "scenarios:\n"
         "  baseline: " + source_path("scenarios/korea_baseline.yaml").string() + "\n"
         "  remove_barriers: " + source_path("scenarios/remove_barriers.yaml").string() + "\n"
         "set: {output.snapshot_years: []}\n"
         "design:\n"
         "  type: grid\n"
         "  parameters:\n"
         "    economy.firms: [1000, 4000]\n"
         "    adoption.peer_effect: [0.2, 0.5]\n"
         "replicates: 2\n"
         "seed: 5\n";
}

std::string mpirun(int ranks) {
  return "mpirun --allow-run-as-root --oversubscribe -np " + std::to_string(ranks) + " '" + CONVSIM_BINARY + "' ";
}

class MpiSweep : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!sweep_mpi_available()) {
      skip_ = "convsim was built without MPI (OpenMPI not found at configure time)";
      return;
    }
    if (run_shell("command -v mpirun").exit_code != 0) {
      skip_ = "mpirun not found (apt-get install openmpi-bin libopenmpi-dev)";
      return;
    }
    workspace_ = new TempDir;
    write_text(*workspace_ / "sweep.yaml", sweep_text());
    const auto local = run_convsim("sweep run '" + sweep().string() + "' -o '" + (*workspace_ / "local").string() +
                                   "' --jobs 2 -q");
    ASSERT_EQ(local.exit_code, 0) << local.err;
    const auto merge = run_convsim("merge '" + (*workspace_ / "local").string() + "' -o '" + reference().string() + "'");
    ASSERT_EQ(merge.exit_code, 0) << merge.err;
  }
  static void TearDownTestSuite() {
    delete workspace_;
    workspace_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
  }

  static fs::path sweep() { return *workspace_ / "sweep.yaml"; }
  static fs::path reference() { return *workspace_ / "local.h5"; }

  // Runs the sweep over MPI into a fresh folder and merges it; returns the merged file.
  fs::path run_mpi(int ranks, const std::string& name) {
    const fs::path out = dir_ / name;
    const auto run = run_shell(mpirun(ranks) + "sweep run '" + sweep().string() + "' -o '" + out.string() + "' --mpi");
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_TRUE(contains(run.out, "16 completed, 0 skipped")) << run.out;
    last_out_ = run.out;
    const fs::path merged = dir_ / (name + ".h5");
    const auto merge = run_convsim("merge '" + out.string() + "' -o '" + merged.string() + "'");
    EXPECT_EQ(merge.exit_code, 0) << merge.err;
    return merged;
  }

  bool same_bytes(const fs::path& a, const fs::path& b) {
    return run_shell("cmp '" + a.string() + "' '" + b.string() + "'").exit_code == 0;
  }

  static inline std::string skip_;
  static inline TempDir* workspace_ = nullptr;
  TempDir dir_;
  std::string last_out_;  // stdout of the last run_mpi
};

TEST_F(MpiSweep, TwoRanksGiveTheLocalResult) {
  EXPECT_TRUE(same_bytes(run_mpi(2, "np2"), reference()));
}

TEST_F(MpiSweep, ThreeRanksOversubscribedGiveTheLocalResult) {
  EXPECT_TRUE(same_bytes(run_mpi(3, "np3"), reference()));
  // The manager handed runs to both workers (and ran none itself).
  EXPECT_TRUE(contains(last_out_, "runs per rank: 1:")) << last_out_;
  EXPECT_TRUE(contains(last_out_, " 2:")) << last_out_;
  EXPECT_FALSE(contains(last_out_, " 0:")) << last_out_;
}

// branch_from over MPI: ranks share the trunks' checkpoints through DIR/checkpoints (8 trunks:
// firms x peer effect x replicate, each continued by both scenarios), and the merged file is
// byte-identical to the same sweep run locally without branch_from (both sweep files are named
// sweep.yaml relative to the working folder, so that the merged files record the same name).
TEST_F(MpiSweep, BranchFromGivesTheLocalUnbranchedResult) {
  for (const char* name : {"plain", "branched"}) fs::create_directories(dir_ / name);
  write_text(dir_ / "plain" / "sweep.yaml", sweep_text());
  write_text(dir_ / "branched" / "sweep.yaml", sweep_text() + "branch_from: 2014\n");
  // (one subshell, so that the output of every command is captured)
  const auto local = run_shell("(cd '" + (dir_ / "plain").string() + "' && '" + CONVSIM_BINARY +
                               "' sweep run sweep.yaml -o out --jobs 2 -q && '" + CONVSIM_BINARY + "' merge out -o merged.h5)");
  ASSERT_EQ(local.exit_code, 0) << local.err;
  const auto branched = run_shell("(cd '" + (dir_ / "branched").string() + "' && " + mpirun(3) +
                                  "sweep run sweep.yaml -o out --mpi && '" + CONVSIM_BINARY + "' merge out -o merged.h5)");
  ASSERT_EQ(branched.exit_code, 0) << branched.out << branched.err;
  EXPECT_TRUE(contains(branched.out, "16 completed, 0 skipped")) << branched.out;
  EXPECT_TRUE(same_bytes(dir_ / "plain" / "merged.h5", dir_ / "branched" / "merged.h5"));
  std::size_t checkpoints = 0;
  for (const auto& entry : fs::directory_iterator(dir_ / "branched" / "out" / "checkpoints")) {
    checkpoints += entry.path().extension() == ".h5";
  }
  EXPECT_EQ(checkpoints, 8u);
}

TEST_F(MpiSweep, OneRankRunsTheSweepItself) {
  EXPECT_TRUE(same_bytes(run_mpi(1, "np1"), reference()));
}

TEST_F(MpiSweep, AFailingRunIsReportedAndTheOthersComplete) {
  const fs::path out = dir_ / "failing";
  const auto plan = run_convsim("sweep plan '" + sweep().string() + "' --format json");
  ASSERT_EQ(plan.exit_code, 0);
  write_text(dir_ / "plan.json", plan.out);
  const PlanSummary summary = read_plan_json(dir_ / "plan.json");
  // Run 6's result path is taken by a folder: writing its result fails on whichever rank runs it.
  fs::create_directories(out / summary.runs[6].result);
  const auto run = run_shell(mpirun(3) + "sweep run '" + sweep().string() + "' -o '" + out.string() + "' --mpi");
  EXPECT_NE(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "15 completed, 0 skipped (already complete), 1 failed")) << run.out;
  EXPECT_TRUE(contains(run.err, "run 6 (baseline)")) << run.err;
  EXPECT_TRUE(contains(read_text(out / "failures.log"), "6 baseline " + summary.runs[6].identity)) << run.err;

  // Clearing the obstacle and rerunning completes the sweep: only run 6 runs.
  fs::remove(out / summary.runs[6].result);
  const auto again = run_shell(mpirun(2) + "sweep run '" + sweep().string() + "' -o '" + out.string() + "' --mpi");
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_TRUE(contains(again.out, "1 completed, 15 skipped")) << again.out;
  EXPECT_FALSE(fs::exists(out / "failures.log"));
  const auto merge = run_convsim("merge '" + out.string() + "' -o '" + (dir_ / "failing.h5").string() + "'");
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  EXPECT_TRUE(same_bytes(dir_ / "failing.h5", reference()));
}

TEST_F(MpiSweep, MoreReplicatesRunOnlyTheNewRuns) {
  // The local sweep's folder (2 replicates), resumed over MPI with 3: the 16 runs it holds all
  // change plan index, and are still found by their identity.
  const fs::path out = dir_ / "grown";
  fs::copy(*workspace_ / "local", out, fs::copy_options::recursive);
  std::string grown = sweep_text();
  grown.replace(grown.find("replicates: 2"), 13, "replicates: 3");
  write_text(dir_ / "grown.yaml", grown);
  const auto run = run_shell(mpirun(3) + "sweep run '" + (dir_ / "grown.yaml").string() + "' -o '" + out.string() + "' --mpi");
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "8 completed, 16 skipped")) << run.out;
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(out / "runs")) files += entry.path().extension() == ".h5";
  EXPECT_EQ(files, 24u);
}

TEST_F(MpiSweep, RanksWithoutTheMpiFlagAreRefused) {
  const auto run = run_shell(mpirun(2) + "sweep run '" + sweep().string() + "' -o '" + (dir_ / "x").string() + "'");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_TRUE(contains(run.err, "without --mpi")) << run.err;
  EXPECT_FALSE(fs::exists(dir_ / "x"));
}

}  // namespace
}  // namespace convsim::testing
