// Writers past a file size limit (`ulimit -f`, the same write errors as a full disk): run -o, sweep
// run, merge, compare --plot / --report and calibrate each exit 1 with a message naming the file,
// never crash, and leave neither a file at the output path nor a temporary file.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace convsim::testing {
namespace {

namespace fs = std::filesystem;

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

const std::string kSmall = " --set economy.firms=1000 --set time.end_year=1995 --no-snapshots -q";

// Runs convsim with files limited to `blocks` blocks of the shell's `ulimit -f` (512 or 1024 bytes).
// Its stdout and stderr go through a pipe (which the limit does not cover) and come back together
// in `err`; the limit applies to the files convsim writes.
CommandResult run_limited(int blocks, const std::string& args) {
  const auto shell = run_shell("({ sh -c 'ulimit -f " + std::to_string(blocks) + " && exec \"$0\" \"$@\"' '" +
                               CONVSIM_BINARY + "' " + args + " 2>&1; echo \"exit=$?\"; } | cat)");
  CommandResult result;
  const std::size_t at = shell.out.rfind("exit=");
  result.exit_code = at == std::string::npos ? -1 : std::stoi(shell.out.substr(at + 5));
  result.err = shell.out.substr(0, at) + shell.err;
  return result;
}

// The names of files under `folder` (recursively) that are temporary files of a writer.
std::string temporaries_in(const fs::path& folder) {
  std::string found;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.path().filename().string().find(".tmp.") != std::string::npos) found += entry.path().string() + " ";
  }
  return found;
}

void expect_clean_failure(const CommandResult& result, const fs::path& output, const fs::path& folder) {
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_TRUE(contains(result.err, "cannot write")) << result.err;
  EXPECT_TRUE(contains(result.err, "File too large")) << result.err;
  EXPECT_FALSE(fs::exists(output)) << output;
  EXPECT_EQ(temporaries_in(folder), "");
}

// Two small results and a small finished sweep, made once for the suite.
class FaultsCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    folder_ = new TempDir();
    const std::string scenario = quoted(source_path("scenarios/korea_baseline.yaml"));
    for (const char* name : {"a", "b"}) {
      const auto run = run_convsim("run " + scenario + " -o " + quoted(*folder_ / (std::string(name) + ".h5")) + kSmall +
                                   (name[0] == 'b' ? " --set sectors.health_care.barrier=0" : ""));
      ASSERT_EQ(run.exit_code, 0) << run.err;
    }
    write_text(*folder_ / "sweep.yaml", sweep_text());
    const auto sweep = run_convsim("sweep run " + quoted(*folder_ / "sweep.yaml") + " -o " + quoted(*folder_ / "sweep") + " -q");
    ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  }
  static void TearDownTestSuite() {
    delete folder_;
    folder_ = nullptr;
  }
  static std::string sweep_text() {
    return "name: faults\n"
           "scenarios:\n"
           "  baseline: " + source_path("scenarios/korea_baseline.yaml").string() + "\n"
           "set:\n"
           "  economy.firms: 1000\n"
           "  time.end_year: 1995\n"
           "  output.snapshot_years: []\n"
           "design:\n"
           "  type: grid\n"
           "  parameters:\n"
           "    adoption.peer_effect: [0.2, 0.5]\n"
           "replicates: 1\n"
           "seed: 3\n";
  }
  static fs::path file(const std::string& name) { return *folder_ / name; }
  static TempDir* folder_;
};

TempDir* FaultsCli::folder_ = nullptr;

TEST_F(FaultsCli, RunOutputPastTheLimit) {
  TempDir dir;
  const auto result = run_limited(8, "run " + quoted(source_path("scenarios/korea_baseline.yaml")) + " -o " +
                                         quoted(dir / "run.h5") + kSmall);
  expect_clean_failure(result, dir / "run.h5", dir.path());
  EXPECT_TRUE(contains(result.err, (dir / "run.h5").string())) << result.err;
}

TEST_F(FaultsCli, SweepRunPastTheLimit) {
  TempDir dir;
  const auto result = run_limited(8, "sweep run " + quoted(file("sweep.yaml")) + " -o " + quoted(dir / "out") + " -q");
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(temporaries_in(dir.path()), "");
  std::size_t results = 0;
  for (const auto& entry : fs::directory_iterator(dir / "out" / "runs")) results += entry.path().extension() == ".h5";
  EXPECT_EQ(results, 0u);
}

TEST_F(FaultsCli, MergePastTheLimit) {
  TempDir dir;
  const auto result = run_limited(8, "merge " + quoted(file("sweep")) + " -o " + quoted(dir / "merged.h5"));
  expect_clean_failure(result, dir / "merged.h5", dir.path());
  // The same merge without the limit succeeds: the failure was the limit's.
  EXPECT_EQ(run_convsim("merge " + quoted(file("sweep")) + " -o " + quoted(dir / "merged.h5")).exit_code, 0);
}

TEST_F(FaultsCli, ComparePlotDataAndReportPastTheLimit) {
  TempDir dir;
  const std::string runs = quoted(file("a.h5")) + " " + quoted(file("b.h5"));
  const auto plot = run_limited(2, "compare " + runs + " --format csv --plot " + quoted(dir / "plots"));
  expect_clean_failure(plot, dir / "plots" / "comparison.json", dir.path());
  const auto report = run_limited(2, "compare " + runs + " --format csv --report " + quoted(dir / "r.html"));
  EXPECT_EQ(report.exit_code, 1) << report.err;
  EXPECT_FALSE(fs::exists(dir / "r.html"));
  EXPECT_EQ(temporaries_in(dir.path()), "");
}

TEST_F(FaultsCli, CalibrateOutputPastTheLimit) {
  TempDir dir;
  const auto result =
      run_limited(1, "calibrate " + quoted(source_path("scenarios/korea_baseline.yaml")) + " --targets " +
                         quoted(source_path("data/paper_targets.yaml")) + " --budget 1 --replicates 2 --validation-replicates 2 "
                         "--firms 500 -q -o " + quoted(dir / "calibrated.yaml"));
  expect_clean_failure(result, dir / "calibrated.yaml", dir.path());
}

}  // namespace
}  // namespace convsim::testing
