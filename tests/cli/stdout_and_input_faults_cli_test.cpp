// Faults and bad input end to end (issue 12): a failed write to standard output is exit 1 with a
// message, a map where a value belongs is exit 2 (it crashed), and an unwritable output folder is
// named with the reason.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace convsim {
namespace {

using testing::contains;
using testing::run_convsim;
using testing::run_shell;
using testing::source_path;
using testing::TempDir;
using testing::write_text;
namespace fs = std::filesystem;

std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

// convsim with its standard output on /dev/full (stderr is captured as usual).
testing::CommandResult run_to_dev_full(const std::string& args) {
  return run_shell(std::string("( '") + CONVSIM_BINARY + "' " + args + " >/dev/full )");
}

const std::string kScenario = quoted(source_path("scenarios/korea_baseline.yaml"));
const std::string kSmall = " --set economy.firms=2000 --set time.end_year=1995 --quiet";

TEST(StdoutCli, EveryCommandThatPrintsFailsWhenStandardOutputIsFull) {
  TempDir dir;
  ASSERT_EQ(run_convsim("run " + kScenario + kSmall + " -o " + quoted(dir / "a.h5")).exit_code, 0);
  ASSERT_EQ(run_convsim("run " + kScenario + kSmall + " --set sectors.health_care.barrier=0.1 -o " + quoted(dir / "b.h5")).exit_code, 0);
  write_text(dir / "sweep.yaml", "scenarios: [" + source_path("scenarios/korea_baseline.yaml").string() + "]\nreplicates: 3\n");
  const std::string csv = quoted(std::filesystem::path(CONVSIM_TEST_DATA_DIR) / "pwt101_korea_1990_2009.csv");
  const std::vector<std::string> commands = {
      "info " + quoted(dir / "a.h5"),
      "compare " + quoted(dir / "a.h5") + " " + quoted(dir / "b.h5"),
      "sweep plan " + quoted(dir / "sweep.yaml"),
      "validate --print " + kScenario,
      "schema",
      "solow " + csv + " --y rgdpna --k rnna --l emp --a hc",
      "version",
  };
  for (const auto& command : commands) {
    const auto ok = run_convsim(command);
    ASSERT_EQ(ok.exit_code, 0) << command << "\n" << ok.err;
    ASSERT_FALSE(ok.out.empty()) << command;
    const auto full = run_to_dev_full(command);
    EXPECT_EQ(full.exit_code, 1) << command;
    EXPECT_TRUE(contains(full.err, "cannot write to standard output: No space left on device")) << command << "\n" << full.err;
  }
}

TEST(StdoutCli, BadInputKeepsExitTwoWhenStandardOutputIsFullToo) {
  const auto r = run_to_dev_full("validate --print " + kScenario + " --set economy.firms=-1");
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST(InputCli, AMapOneLevelTooDeepIsExitTwoNotACrash) {
  TempDir dir;
  write_text(dir / "deep.yaml", "extends: " + source_path("scenarios/korea_baseline.yaml").string() +
                                    "\nnetwork:\n  link_intensity:\n    network:\n      health_care: {x: 1}\n");
  for (const std::string& command :
       {"validate " + quoted(dir / "deep.yaml"),
        "validate " + kScenario + " --set network.link_intensity.network.health_care.x=1"}) {
    const auto r = run_convsim(command);
    EXPECT_EQ(r.exit_code, 2) << command << "\n" << r.err;
    EXPECT_TRUE(contains(r.err, "key 'network.link_intensity.network.health_care': found a map")) << r.err;
  }
  write_text(dir / "sweep.yaml", "scenarios: [" + source_path("scenarios/korea_baseline.yaml").string() +
                                     "]\nset:\n  network.link_intensity.network.health_care: {x: 1}\n");
  const auto sweep = run_convsim("sweep plan " + quoted(dir / "sweep.yaml"));
  EXPECT_EQ(sweep.exit_code, 2) << sweep.err;
  EXPECT_TRUE(contains(sweep.err, "found a map")) << sweep.err;
}

TEST(InputCli, DevZeroAndDirectoriesAreExitTwoWithTheirPath) {
  TempDir dir;
  for (const std::string& command : {std::string("validate /dev/zero"), "validate " + quoted(dir.path()),
                                     std::string("sweep plan /dev/zero"),
                                     std::string("solow /dev/zero --y rgdpna --k rnna --l emp --a hc")}) {
    const auto r = run_convsim(command);
    EXPECT_EQ(r.exit_code, 2) << command << "\n" << r.err;
    EXPECT_TRUE(contains(r.err, "regular file") || contains(r.err, "is a directory")) << command << "\n" << r.err;
  }
}

TEST(OutputCli, AnUnwritableOutputFolderIsNamedWithTheReasonBeforeTheRun) {
  // /sys refuses new files for every user, root included. Without --quiet the run would log its
  // last step ("step 6/6") had it simulated.
  const std::string small = " --set economy.firms=2000 --set time.end_year=1995";
  const auto r = run_convsim("run " + kScenario + small + " -o /sys/convsim-test.h5");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "<command line>: key '--output': cannot write the result '/sys/convsim-test.h5': the folder '/sys' is not writable: ")) << r.err;
  EXPECT_FALSE(contains(r.err, "H5Fcreate")) << r.err;
  EXPECT_FALSE(contains(r.err, "step 6/6")) << r.err;
  TempDir dir;
  const auto missing = run_convsim("run " + kScenario + small + " -o " + quoted(dir / "no/such/x.h5"));
  EXPECT_EQ(missing.exit_code, 2);  // a wrong path on the command line is bad input
  EXPECT_TRUE(contains(missing.err, "<command line>: key '--output': cannot write the result")) << missing.err;
  EXPECT_TRUE(contains(missing.err, "does not exist")) << missing.err;
  EXPECT_FALSE(contains(missing.err, "step 6/6")) << missing.err;
  const auto folder = run_convsim("run " + kScenario + small + " -o " + quoted(dir.path()));
  EXPECT_EQ(folder.exit_code, 2);
  EXPECT_TRUE(contains(folder.err, "it is a folder; give a file name")) << folder.err;
  EXPECT_FALSE(contains(folder.err, "step 6/6")) << folder.err;
}

TEST(OutputCli, SweepCalibrateAndCompareCheckWhereTheyWriteBeforeTheWork) {
  TempDir dir;
  write_text(dir / "sweep.yaml", "scenarios: [" + source_path("scenarios/korea_baseline.yaml").string() +
                                     "]\nset: {economy.firms: 500, time.end_year: 1992}\nreplicates: 2\n");
  const std::string targets = quoted(source_path("data/paper_targets.yaml"));
  ASSERT_EQ(run_convsim("run " + kScenario + kSmall + " -o " + quoted(dir / "a.h5")).exit_code, 0);
  ASSERT_EQ(run_convsim("run " + kScenario + kSmall + " --set name=other -o " + quoted(dir / "b.h5")).exit_code, 0);
  const std::string results = quoted(dir / "a.h5") + " " + quoted(dir / "b.h5");
  struct Case {
    std::string command;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"sweep run " + quoted(dir / "sweep.yaml") + " -o /sys/convsim-sweep", "cannot create the sweep's output folder '/sys/convsim-sweep'"},
      {"sweep run " + quoted(dir / "sweep.yaml") + " -o /sys", "cannot write the sweep's results into '/sys': the folder '/sys' is not writable"},
      {"sweep slurm " + quoted(dir / "sweep.yaml") + " -o /sys", "cannot write the sweep's results into '/sys': the folder '/sys' is not writable"},
      {"calibrate " + kScenario + " --targets " + targets + " -o /sys/calibrated.yaml",
       "key '--output': cannot write the calibrated parameters '/sys/calibrated.yaml': the folder '/sys' is not writable"},
      {"calibrate " + kScenario + " --targets " + targets + " -o " + quoted(dir / "absent/calibrated.yaml"),
       "key '--output': cannot write the calibrated parameters '" + (dir / "absent/calibrated.yaml").string() + "': the folder '" +
           (dir / "absent").string() + "' does not exist"},
      {"calibrate " + kScenario + " --targets " + targets + " --check --report /sys/report.md",
       "key '--report': cannot write the report '/sys/report.md': the folder '/sys' is not writable"},
      {"compare " + results + " --report /sys/report.html", "key '--report': cannot write the report '/sys/report.html'"},
      {"compare " + results + " --plot /sys/plots", "key '--plot': cannot write the plots into '/sys/plots': the folder '/sys' is not writable"},
  };
  for (const auto& c : cases) {
    const auto r = run_convsim(c.command);
    EXPECT_EQ(r.exit_code, 2) << c.command << "\n" << r.err;
    EXPECT_TRUE(contains(r.err, "convsim: error: <command line>: ")) << c.command << "\n" << r.err;
    EXPECT_TRUE(contains(r.err, c.message)) << c.command << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << c.command << "\n" << r.out;  // nothing was computed or printed
  }
  EXPECT_FALSE(fs::exists(dir / "absent"));
}

}  // namespace
}  // namespace convsim
