// Integration tests of `convsim sweep` and `convsim merge`: plan output, a local sweep and its
// merged file (read with h5py and xarray), --jobs 1 and 2 giving the same bytes, resume after
// SIGKILL giving the same bytes as an uninterrupted sweep, failed runs, and bad input (exit 2).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <tuple>
#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>

#include "convsim/result_file.hpp"
#include "convsim/sweep.hpp"
#include "test_support.hpp"

namespace convsim::testing {
namespace {

namespace fs = std::filesystem;

// 2 scenarios x 2 design points x 3 replicates = 12 runs of a 3,000-firm economy.
std::string sweep_text() {
  return "name: cli_sweep\n"
         "scenarios:\n"
         "  baseline: " + source_path("scenarios/korea_baseline.yaml").string() + "\n"
         "  remove_barriers: " + source_path("scenarios/remove_barriers.yaml").string() + "\n"
         "set:\n"
         "  economy.firms: 3000\n"
         "  output.snapshot_years: []\n"
         "design:\n"
         "  type: grid\n"
         "  parameters:\n"
         "    adoption.peer_effect: [0.2, 0.5]\n"
         "replicates: 3\n"
         "seed: 77\n";
}

class SweepCli : public ::testing::Test {
 protected:
  void SetUp() override { write_text(sweep_, sweep_text()); }

  // Runs the sweep into `dir` and merges it into `merged`; both must succeed.
  void run_and_merge(const fs::path& dir, const fs::path& merged, const std::string& options) {
    const auto run = run_convsim("sweep run '" + sweep_.string() + "' -o '" + dir.string() + "' " + options);
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    const auto merge = run_convsim("merge '" + dir.string() + "' -o '" + merged.string() + "'");
    ASSERT_EQ(merge.exit_code, 0) << merge.out << merge.err;
  }

  TempDir dir_;
  fs::path sweep_ = dir_ / "sweep.yaml";
};

TEST_F(SweepCli, PlanListsRunsInEveryFormat) {
  const auto table = run_convsim("sweep plan '" + sweep_.string() + "'");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(contains(table.out, "12 runs = 2 scenarios x 2 design points (grid) x 3 replicates")) << table.out;
  EXPECT_TRUE(contains(table.out, "remove_barriers")) << table.out;
  const auto csv = run_convsim("sweep plan '" + sweep_.string() + "' --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_TRUE(contains(csv.out, "index,scenario,adoption.peer_effect,replicate,seed,identity\n0,baseline,0.2,0,"))
      << csv.out;
  const auto json = run_convsim("sweep plan '" + sweep_.string() + "' --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_TRUE(contains(json.out, "\"format\": \"convsim-sweep-plan-1\"")) << json.out;
}

TEST_F(SweepCli, LocalSweepMergesIntoAFileH5pyAndXarrayRead) {
  const fs::path out = dir_ / "out";
  const fs::path merged = dir_ / "sweep.h5";
  run_and_merge(out, merged, "--jobs 2");
  EXPECT_TRUE(fs::exists(out / "plan.json"));
  EXPECT_FALSE(fs::exists(out / "failures.log"));

  const std::string script = R"(
import sys, h5py, numpy as np, xarray as xr
path = sys.argv[1]
with h5py.File(path, "r") as f:
    assert f.attrs["convsim_format"] == "convsim-sweep-1", f.attrs["convsim_format"]
    output = f["aggregate/output"]
    assert output.shape[0] == 12 and output.shape[1] == f["time"].shape[0], output.shape
    assert f["by_sector/output"].shape == (12, f["time"].shape[0], f["sector"].shape[0])
    runs = f["runs"]
    scenario = list(runs["scenario"].asstr()[...])
    assert scenario == ["baseline"] * 6 + ["remove_barriers"] * 6, scenario
    seeds = runs["seed"][...]
    assert (seeds[:6] == seeds[6:]).all()  # common random numbers
    assert list(runs["adoption.peer_effect"][...]) == [0.2] * 3 + [0.5] * 3 + [0.2] * 3 + [0.5] * 3
agg = xr.open_dataset(path, group="aggregate")
assert agg["output"].dims == ("run", "time"), agg["output"].dims
table = xr.open_dataset(path, group="runs")
assert table["seed"].dims == ("run",)
agg = agg.assign_coords(scenario=("run", table["scenario"].values), replicate=("run", table["replicate"].values))
base = agg["output"].where(agg.scenario == "baseline", drop=True)
assert base.shape[0] == 6
print("ok")
)";
  write_text(dir_ / "check.py", script);
  const auto check = run_shell(std::string(CONVSIM_SYSTEM_PYTHON) + " '" + (dir_ / "check.py").string() + "' '" +
                               merged.string() + "'");
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(check.out, "ok\n");

  // Running again finds every run complete.
  const auto again = run_convsim("sweep run '" + sweep_.string() + "' -o '" + out.string() + "'");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(contains(again.out, "0 completed, 12 skipped")) << again.out;
}

// Progress on stderr (outside a terminal: a line every few seconds and at the end) gives the
// rate of the runs done and the time left; stdout holds only the summary.
TEST_F(SweepCli, ProgressShowsRateAndTimeLeft) {
  const auto run = run_convsim("sweep run '" + sweep_.string() + "' -o '" + (dir_ / "p").string() + "' --jobs 2");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.err, "12/12 runs, 0 failed")) << run.err;
  EXPECT_TRUE(contains(run.err, " runs/s, ETA 0 s")) << run.err;
  EXPECT_FALSE(contains(run.out, "ETA")) << run.out;
}

TEST_F(SweepCli, JobsAndSyncPolicyDoNotChangeTheMergedBytes) {
  run_and_merge(dir_ / "one", dir_ / "one.h5", "--jobs 1 -q");  // flushed once at the end
  run_and_merge(dir_ / "two", dir_ / "two.h5", "--jobs 2 --sync each -q");
  EXPECT_EQ(run_shell("cmp '" + (dir_ / "one.h5").string() + "' '" + (dir_ / "two.h5").string() + "'").exit_code, 0);
}

// Starts convsim with `args` in the background (stdout to /dev/null, stderr to `err`).
pid_t spawn_convsim(const std::vector<std::string>& args, const fs::path& err = "/dev/null") {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen("/dev/null", "w", stdout);
    std::freopen(err.c_str(), "w", stderr);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(CONVSIM_BINARY));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(CONVSIM_BINARY, argv.data());
    ::_exit(127);
  }
  return pid;
}

// The processes whose parent is `parent` (from /proc/<pid>/stat).
std::vector<pid_t> child_processes(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = read_text(entry.path() / "stat");
    const auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent && state != 'Z') {
      children.push_back(static_cast<pid_t>(std::stoi(name)));
    }
  }
  return children;
}

std::size_t complete_results(const fs::path& runs) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(runs, ec)) {
    if (entry.path().extension() == ".h5") ++n;
  }
  return n;
}

TEST_F(SweepCli, ResumeAfterSigkillEqualsAnUninterruptedSweep) {
  run_and_merge(dir_ / "whole", dir_ / "whole.h5", "--jobs 2 -q");

  const fs::path out = dir_ / "killed";
  const pid_t pid = spawn_convsim({"sweep", "run", sweep_.string(), "-o", out.string(), "--jobs", "2", "-q"});
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (complete_results(out / "runs") < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the sweep ended before it was killed; make its runs longer";

  // Whatever the kill left: every file with a result name is complete; the rest are temporaries.
  std::size_t results = 0;
  for (const auto& entry : fs::directory_iterator(out / "runs")) {
    const std::string name = entry.path().filename().string();
    if (contains(name, ".tmp.")) continue;
    ++results;
    EXPECT_TRUE(is_complete_result(entry.path())) << name;
  }
  ASSERT_LT(results, 12u) << "the kill came after the last run";
  // And a temporary file as a kill in the middle of writing leaves it.
  const PlanSummary plan = read_plan_json(out / "plan.json");
  write_text(out / (plan.runs[11].result + ".tmp.4242"), "half a file");

  const auto merge_early = run_convsim("merge '" + out.string() + "' -o '" + (dir_ / "early.h5").string() + "'");
  EXPECT_EQ(merge_early.exit_code, 1);
  EXPECT_TRUE(contains(merge_early.err, "have no complete result")) << merge_early.err;

  const auto resume = run_convsim("sweep run '" + sweep_.string() + "' -o '" + out.string() + "' --jobs 2");
  ASSERT_EQ(resume.exit_code, 0) << resume.out << resume.err;
  EXPECT_TRUE(contains(resume.out, std::to_string(results) + " skipped")) << resume.out;
  for (const auto& entry : fs::directory_iterator(out / "runs")) {
    EXPECT_FALSE(contains(entry.path().filename().string(), ".tmp.")) << entry.path();
  }
  const auto merge = run_convsim("merge '" + out.string() + "' -o '" + (dir_ / "resumed.h5").string() + "'");
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  EXPECT_EQ(run_shell("cmp '" + (dir_ / "whole.h5").string() + "' '" + (dir_ / "resumed.h5").string() + "'").exit_code, 0);
}

TEST_F(SweepCli, AWorkerProcessKilledMidRunFailsOnlyItsRun) {
  run_and_merge(dir_ / "whole", dir_ / "whole.h5", "--jobs 2 -q");
  const fs::path out = dir_ / "crash";
  const pid_t pid = spawn_convsim({"sweep", "run", sweep_.string(), "-o", out.string(), "--jobs", "2", "-q"}, dir_ / "err");
  ASSERT_GT(pid, 0);
  // Kill the first worker process seen: it holds a run, which must fail alone.
  pid_t worker = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (worker < 0 && std::chrono::steady_clock::now() < deadline) {
    const auto children = child_processes(pid);
    if (!children.empty()) worker = children.front();
  }
  ASSERT_GT(worker, 0) << "no worker process appeared: " << read_text(dir_ / "err");
  ::kill(worker, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  const std::string log = read_text(out / "failures.log");
  EXPECT_TRUE(contains(log, "the worker process running it killed by signal 9")) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;

  const auto resume = run_convsim("sweep run '" + sweep_.string() + "' -o '" + out.string() + "' --jobs 2");
  ASSERT_EQ(resume.exit_code, 0) << resume.out << resume.err;
  EXPECT_TRUE(contains(resume.out, "1 completed, 11 skipped")) << resume.out;
  ASSERT_EQ(run_convsim("merge '" + out.string() + "' -o '" + (dir_ / "crash.h5").string() + "'").exit_code, 0);
  EXPECT_EQ(run_shell("cmp '" + (dir_ / "whole.h5").string() + "' '" + (dir_ / "crash.h5").string() + "'").exit_code, 0);
}

TEST_F(SweepCli, AFailedRunIsListedTheOthersCompleteAndExitIsOne) {
  const fs::path out = dir_ / "out";
  const auto plan = run_convsim("sweep plan '" + sweep_.string() + "' --format csv");
  ASSERT_EQ(plan.exit_code, 0);
  // Run 4's result path is taken by a folder, so writing its result fails.
  const auto line4 = plan.out.find("\n4,");
  const std::string identity = plan.out.substr(plan.out.find_last_of(',', plan.out.find('\n', line4 + 1)) + 1, 32);
  fs::create_directories(out / "runs" / (identity + ".h5"));
  const auto run = run_convsim("sweep run '" + sweep_.string() + "' -o '" + out.string() + "' --jobs 2 -q");
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_TRUE(contains(run.err, "1 runs failed")) << run.err;
  EXPECT_TRUE(contains(run.err, "run 4 (baseline)")) << run.err;
  EXPECT_TRUE(contains(read_text(out / "failures.log"), "4 baseline " + identity + ": ")) << read_text(out / "failures.log");
  EXPECT_EQ(complete_results(out / "runs"), 12u);  // 11 results and the folder in the way

  const auto merge = run_convsim("merge '" + out.string() + "' -o '" + (dir_ / "m.h5").string() + "'");
  EXPECT_EQ(merge.exit_code, 1);
  EXPECT_TRUE(contains(merge.err, "1 of 12 runs have no complete result: 4")) << merge.err;
  const auto partial = run_convsim("merge '" + out.string() + "' -o '" + (dir_ / "m.h5").string() + "' --allow-missing");
  EXPECT_EQ(partial.exit_code, 0) << partial.err;
  EXPECT_TRUE(contains(partial.out, "merged 11 of 12 runs")) << partial.out;
}

TEST_F(SweepCli, MoreReplicatesRunOnlyTheNewRunsAndCompareReadsTheFolder) {
  // 2 replicates, then the sweep file's 3: runs are found by identity, not by plan index.
  std::string two = sweep_text();
  two.replace(two.find("replicates: 3"), 13, "replicates: 2");
  write_text(dir_ / "two.yaml", two);
  const fs::path out = dir_ / "grown";
  const auto first = run_convsim("sweep run '" + (dir_ / "two.yaml").string() + "' -o '" + out.string() + "' --jobs 2");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(contains(first.out, "8 completed, 0 skipped")) << first.out;
  const auto grown = run_convsim("sweep run '" + sweep_.string() + "' -o '" + out.string() + "' --jobs 2");
  ASSERT_EQ(grown.exit_code, 0) << grown.err;
  EXPECT_TRUE(contains(grown.out, "4 completed, 8 skipped")) << grown.out;
  EXPECT_EQ(complete_results(out / "runs"), 12u);
  // Every identity once: the folder compares as 3 replicates per scenario and design point.
  const auto compare = run_convsim("compare '" + (out / "runs").string() + "/' --baseline-scenario korea_baseline "
                                   "--where adoption.peer_effect=0.2 --format csv");
  ASSERT_EQ(compare.exit_code, 0) << compare.err;
  EXPECT_TRUE(contains(compare.out, ",remove_barriers,korea_baseline,3,3,")) << compare.out;
  const auto merge = run_convsim("merge '" + out.string() + "' -o '" + (dir_ / "grown.h5").string() + "'");
  EXPECT_EQ(merge.exit_code, 0) << merge.err;
  EXPECT_TRUE(contains(merge.out, "merged 12 of 12 runs")) << merge.out;
}

TEST_F(SweepCli, BadInputExitsTwoNamingFileAndLine) {
  write_text(dir_ / "bad.yaml", "scenarios: [" + source_path("scenarios/korea_baseline.yaml").string() +
                                    "]\ndesign:\n  type: grid\n  parameters:\n    adoption.peer_efect: [0.1]\n");
  const auto run = run_convsim("sweep run '" + (dir_ / "bad.yaml").string() + "' -o '" + (dir_ / "o").string() + "'");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "bad.yaml:5: key 'adoption.peer_efect': unknown key")) << run.err;
  EXPECT_FALSE(fs::exists(dir_ / "o"));  // nothing ran, nothing was created

  EXPECT_EQ(run_convsim("sweep plan '" + (dir_ / "missing.yaml").string() + "'").exit_code, 2);
  EXPECT_EQ(run_convsim("sweep run '" + sweep_.string() + "' -o x --shard 2/2").exit_code, 2);
  const auto sync = run_convsim("sweep run '" + sweep_.string() + "' -o x --sync sometimes");
  EXPECT_EQ(sync.exit_code, 2);
  EXPECT_TRUE(contains(sync.err, "--sync")) << sync.err;
  EXPECT_EQ(run_convsim("sweep run '" + sweep_.string() + "' -o x --sync each --no-sync").exit_code, 2);
  EXPECT_FALSE(fs::exists("x"));
  EXPECT_EQ(run_convsim("merge '" + dir_.path().string() + "'").exit_code, 2);
  const auto slurm = run_convsim("sweep slurm '" + sweep_.string() + "' -o '" + (dir_ / "s").string() + "' --time 90min");
  EXPECT_EQ(slurm.exit_code, 2);
  EXPECT_TRUE(contains(slurm.err, "--time")) << slurm.err;
}

// Without --runs-per-task and --time, tasks are sized from the runs' time estimate (about 20
// minutes of runs, the middle of docs/clusters.md's 10-60 minute advice) and the limit is three
// times a task's estimate, at least 10 minutes.
TEST_F(SweepCli, SlurmSizesTasksAndTheirLimitFromTheRunEstimate) {
  auto sized = [&](const std::string& firms, const std::string& name) {
    std::string text = sweep_text();
    text.replace(text.find("economy.firms: 3000"), std::string("economy.firms: 3000").size(), "economy.firms: " + firms);
    const fs::path file = dir_ / (name + ".yaml");
    write_text(file, text);
    const SweepPlan plan = load_sweep(file);
    const double seconds = estimated_run_seconds(resolve_run(plan, plan.runs.front()));
    const auto slurm = run_convsim("sweep slurm '" + file.string() + "' -o '" + (dir_ / name).string() + "'");
    EXPECT_EQ(slurm.exit_code, 0) << slurm.err;
    return std::make_tuple(seconds, slurm, read_text(dir_ / name / "sweep.sbatch"));
  };
  // 3,000 firms: the whole sweep is far less than 20 minutes, one task takes every run.
  const auto [small_seconds, small, small_script] = sized("3000", "small");
  ASSERT_LT(12 * small_seconds, 20 * 60.0);
  EXPECT_TRUE(contains(small.out, "12 runs in 1 array tasks (12 per task)")) << small.out;
  EXPECT_TRUE(contains(small_script, "#SBATCH --time=00:10:00\n")) << small_script;
  // The output folder is under /tmp: a warning that other nodes may not see it.
  EXPECT_TRUE(contains(small.err, "usually local to each node")) << small.err;
  // 4,000,000 firms: a few runs fill a task of about 20 minutes.
  const auto [medium_seconds, medium, medium_script] = sized("4000000", "medium");
  const auto per_task = static_cast<std::size_t>(std::floor(20 * 60.0 / medium_seconds));
  ASSERT_GT(per_task, 1u);
  ASSERT_LT(per_task, 12u);
  EXPECT_TRUE(contains(medium.out, "(" + std::to_string(per_task) + " per task)")) << medium.out;
  const long minutes = std::max(10L, static_cast<long>(std::ceil(3.0 * per_task * medium_seconds / 60.0)));
  char limit[96];
  std::snprintf(limit, sizeof(limit), "#SBATCH --time=%02ld:%02ld:00\n", minutes / 60, minutes % 60);
  EXPECT_TRUE(contains(medium_script, limit)) << medium_script;
  EXPECT_GE(minutes * 60.0, 3 * 10 * 60.0) << "a task of 10-20 minutes gets at least 30 minutes";
}

TEST_F(SweepCli, SlurmWritesAJobArrayScript) {
  const fs::path out = dir_ / "slurm_out";
  const auto slurm = run_convsim("sweep slurm '" + sweep_.string() + "' -o '" + out.string() +
                                 "' --runs-per-task 5 --array-parallel 2 --partition short --time 00:10:00");
  ASSERT_EQ(slurm.exit_code, 0) << slurm.err;
  EXPECT_TRUE(contains(slurm.out, "12 runs in 3 array tasks")) << slurm.out;
  const std::string script = read_text(out / "sweep.sbatch");
  EXPECT_TRUE(contains(script, "#SBATCH --array=0-2%2\n")) << script;
  EXPECT_TRUE(contains(script, "#SBATCH --partition=short\n")) << script;
  EXPECT_TRUE(contains(script, "#SBATCH --time=00:10:00\n")) << script;
  EXPECT_TRUE(contains(script, "COUNT=3\n")) << script;
  EXPECT_TRUE(contains(script, "--shard \"${SLURM_ARRAY_TASK_ID}/${COUNT}\"")) << script;
  EXPECT_TRUE(fs::exists(out / "plan.json"));

  // A task runs its shard as the script says (here without Slurm: task 1 of 3).
  const auto task = run_shell("SLURM_ARRAY_TASK_ID=1 SLURM_CPUS_PER_TASK=1 bash '" + (out / "sweep.sbatch").string() + "'");
  ASSERT_EQ(task.exit_code, 0) << task.out << task.err;
  EXPECT_EQ(complete_results(out / "runs"), 4u);  // runs 1, 4, 7, 10
}

}  // namespace
}  // namespace convsim::testing
