// convsim run --checkpoint-at / --from and sweeps with branch_from, end to end: a continued run's
// file equals the uninterrupted run's, a branch equals the branch run from the start, a sweep
// with branch_from gives the runs of the same sweep without it; bad checkpoints (truncated,
// foreign, made by h5py with the right names and wrong shapes, another version) exit 2 with one
// message naming the file, and a branch that differs before its checkpoint names the key.
#include <gtest/gtest.h>

#include <filesystem>

#include "convsim/result_file.hpp"
#include "result_compare.hpp"
#include "test_support.hpp"

namespace convsim::testing {
namespace {

namespace fs = std::filesystem;

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }
std::string scenario(const std::string& name) { return quoted(source_path("scenarios/" + name)); }

const std::string kSmall = " --set economy.firms=6000 --set 'output.snapshot_years=[1995, 2015]' --quiet";

// What convsim printed on stderr, for failure messages.
std::string shown(const CommandResult& r) { return "stdout: " + r.out + "\nstderr: " + r.err; }

TEST(CheckpointCli, ContinuedRunWritesTheUninterruptedRunsResult) {
  TempDir dir;
  const auto full = dir / "full.h5";
  const auto checkpoint = dir / "c.h5";
  const auto continued = dir / "continued.h5";
  CommandResult r = run_convsim("run " + scenario("korea_baseline.yaml") + kSmall + " -o " + quoted(full));
  ASSERT_EQ(r.exit_code, 0) << shown(r);
  // --checkpoint-at also writes the whole run's result, equal to the run without it.
  r = run_convsim("run " + scenario("korea_baseline.yaml") + kSmall + " --threads 2 --checkpoint-at 2003 --checkpoint " +
                  quoted(checkpoint) + " -o " + quoted(dir / "with_checkpoint.h5"));
  ASSERT_EQ(r.exit_code, 0) << shown(r);
  expect_same_result(read_result(full), read_result(dir / "with_checkpoint.h5"), "run with --checkpoint-at");
  // Continued without naming the scenario: the checkpoint's own, with its identity.
  r = run_convsim("run --from " + quoted(checkpoint) + " --threads 1 --quiet -o " + quoted(continued));
  ASSERT_EQ(r.exit_code, 0) << shown(r);
  expect_same_result(read_result(full), read_result(continued), "continued run");
  // `convsim info` describes a checkpoint (a result file of the steps done).
  r = run_convsim("info " + quoted(checkpoint));
  EXPECT_EQ(r.exit_code, 0) << shown(r);
  EXPECT_TRUE(contains(r.out, "convsim-checkpoint-1")) << r.out;
}

TEST(CheckpointCli, CheckpointOnlyStopsThereAndBranchesContinueIt) {
  TempDir dir;
  const auto checkpoint = dir / "trunk.h5";
  CommandResult r = run_convsim("run " + scenario("korea_baseline.yaml") + kSmall + " --checkpoint-at 2011 --checkpoint-only --checkpoint " +
                                quoted(checkpoint));
  ASSERT_EQ(r.exit_code, 0) << shown(r);
  EXPECT_TRUE(fs::exists(checkpoint));
  EXPECT_FALSE(fs::exists(dir / "korea_baseline.h5"));
  // smart_work's programme ramps from 2011: a branch of the 2011 checkpoint.
  r = run_convsim("run " + scenario("smart_work.yaml") + kSmall + " --from " + quoted(checkpoint) + " -o " +
                  quoted(dir / "branch.h5"));
  ASSERT_EQ(r.exit_code, 0) << shown(r);
  r = run_convsim("run " + scenario("smart_work.yaml") + kSmall + " -o " + quoted(dir / "from_start.h5"));
  ASSERT_EQ(r.exit_code, 0) << shown(r);
  expect_same_result(read_result(dir / "from_start.h5"), read_result(dir / "branch.h5"), "smart_work from the 2011 checkpoint");
}

TEST(CheckpointCli, BranchThatDiffersBeforeTheCheckpointIsRefusedNamingTheKey) {
  TempDir dir;
  const auto checkpoint = dir / "trunk.h5";
  ASSERT_EQ(run_convsim("run " + scenario("korea_baseline.yaml") + kSmall + " --checkpoint-at 2013 --checkpoint-only --checkpoint " +
                        quoted(checkpoint))
                .exit_code,
            0);
  CommandResult r = run_convsim("run " + scenario("smart_work.yaml") + kSmall + " --from " + quoted(checkpoint) + " -o " +
                                quoted(dir / "x.h5"));
  EXPECT_EQ(r.exit_code, 2) << shown(r);
  EXPECT_TRUE(contains(r.err, "smart_work.yaml:")) << r.err;  // the file (and line) of the event
  EXPECT_TRUE(contains(r.err, "policies.smart_work_programme")) << r.err;
  EXPECT_FALSE(fs::exists(dir / "x.h5"));
  // Structure: another size is refused naming the key.
  r = run_convsim("run " + scenario("korea_baseline.yaml") + kSmall + " --set economy.firms=7000 --from " + quoted(checkpoint) +
                  " -o " + quoted(dir / "x.h5"));
  EXPECT_EQ(r.exit_code, 2) << shown(r);
  EXPECT_TRUE(contains(r.err, "economy.firms")) << r.err;
  // A year that is not a step's start.
  r = run_convsim("run " + scenario("korea_baseline.yaml") + kSmall + " --checkpoint-at 2013.5 -o " + quoted(dir / "y.h5"));
  EXPECT_EQ(r.exit_code, 2) << shown(r);
  EXPECT_TRUE(contains(r.err, "--checkpoint-at")) << r.err;
  EXPECT_FALSE(fs::exists(dir / "y.h5"));
}

// Bad checkpoints: each exits 2 with one message naming the file, never a crash.
TEST(CheckpointCli, TruncatedForeignAndWrongShapedCheckpointsExitTwo) {
  TempDir dir;
  const auto checkpoint = dir / "c.h5";
  ASSERT_EQ(run_convsim("run " + scenario("korea_baseline.yaml") + kSmall + " --checkpoint-at 2000 --checkpoint-only --checkpoint " +
                        quoted(checkpoint))
                .exit_code,
            0);
  auto refused = [&](const fs::path& file, const std::string& expected) {
    const CommandResult r = run_convsim("run --from " + quoted(file) + " --quiet -o " + quoted(dir / "out.h5"));
    EXPECT_EQ(r.exit_code, 2) << file << "\n" << shown(r);
    EXPECT_TRUE(contains(r.err, file.string())) << r.err;
    EXPECT_TRUE(contains(r.err, expected)) << file << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out.h5"));
  };
  // Truncated at several places.
  const std::string bytes = read_text(checkpoint);
  for (double share : {0.1, 0.5, 0.97}) {
    const auto cut = dir / ("cut" + std::to_string(static_cast<int>(100 * share)) + ".h5");
    write_text(cut, bytes.substr(0, static_cast<std::size_t>(share * static_cast<double>(bytes.size()))));
    refused(cut, "truncated");
  }
  // A result file is not a checkpoint.
  ASSERT_EQ(run_convsim("run " + scenario("korea_baseline.yaml") + kSmall + " -o " + quoted(dir / "result.h5")).exit_code, 0);
  refused(dir / "result.h5", "not a checkpoint");
  // Files made by h5py from the real one: the right names with the wrong shapes, another
  // version, and an index out of range (h5py writes no convsim checksum, so nothing else stops them).
  const auto script = dir / "make.py";
  write_text(script, R"(import sys, shutil, h5py, numpy as np
src, out = sys.argv[1], sys.argv[2]
TRAILER = 55  # convsim's checksum trailer, which h5py neither writes nor keeps
def copy(name, edit):
    path = out + "/" + name + ".h5"
    shutil.copyfile(src, path)
    with open(path, "r+b") as f:
        f.seek(-TRAILER, 2)
        assert f.read(16) == b"convsim-checksum"
        f.seek(-TRAILER, 2)
        f.truncate()
    with h5py.File(path, "r+") as b:
        edit(b)
def two_d(b):
    t = b["state/firms/technology"][...]
    del b["state/firms/technology"]
    b["state/firms/technology"] = np.stack([t, t])
def short_offsets(b):
    o = b["state/network/offsets"][...]
    del b["state/network/offsets"]
    b["state/network/offsets"] = o[:-5]
def strings(b):
    del b["state/firms/age"]
    b["state/firms/age"] = np.array([b"x"] * 3)
def version(b):
    b.attrs["convsim_version"] = "0.0.1"
def sector_out_of_range(b):
    s = b["state/firms/sector"][...]
    s[0] = 999
    b["state/firms/sector"][...] = s
def missing(b):
    del b["state/samplers/keep"]
for f in (two_d, short_offsets, strings, version, sector_out_of_range, missing):
    copy(f.__name__, f)
)");
  const CommandResult made = run_shell(std::string(CONVSIM_SYSTEM_PYTHON) + " " + quoted(script) + " " + quoted(checkpoint) + " " +
                                       quoted(dir.path()));
  ASSERT_EQ(made.exit_code, 0) << shown(made);
  refused(dir / "two_d.h5", "/state/firms/technology");
  refused(dir / "short_offsets.h5", "/state/network/offsets");
  refused(dir / "strings.h5", "/state/firms/age");
  refused(dir / "version.h5", "0.0.1");
  refused(dir / "sector_out_of_range.h5", "/state/firms/sector");
  refused(dir / "missing.h5", "/state/samplers/keep");
}

// A sweep with branch_from gives every run's result bit for bit as the same sweep without it,
// computing one checkpoint per trunk (here per seed: the scenarios share their past before 2011).
TEST(CheckpointCli, SweepWithBranchFromGivesTheSameRunsFromOneCheckpointPerSeed) {
  TempDir dir;
  auto sweep = [&](const std::string& name, const std::string& extra) {
    const auto file = dir / (name + ".yaml");
    write_text(file, "name: " + name + "\nscenarios:\n  baseline: " + source_path("scenarios/korea_baseline.yaml").string() +
                         "\n  smart_work: " + source_path("scenarios/smart_work.yaml").string() +
                         "\n  all_levers: " + source_path("scenarios/all_levers.yaml").string() +
                         "\nset:\n  economy.firms: 5000\n  output.snapshot_years: [2000, 2015]\nreplicates: 2\nseed: 7\n" + extra);
    return file;
  };
  const auto plain = sweep("plain", "");
  const auto branched = sweep("branched", "branch_from: 2011\n");
  CommandResult r = run_convsim("sweep run " + quoted(plain) + " -o " + quoted(dir / "A") + " --jobs 1 --snapshots --quiet");
  ASSERT_EQ(r.exit_code, 0) << shown(r);
  r = run_convsim("sweep run " + quoted(branched) + " -o " + quoted(dir / "B") + " --jobs 2 --snapshots --quiet");
  ASSERT_EQ(r.exit_code, 0) << shown(r);
  std::size_t runs = 0;
  for (const auto& entry : fs::directory_iterator(dir / "A" / "runs")) {
    const auto other = dir / "B" / "runs" / entry.path().filename();
    ASSERT_TRUE(fs::exists(other)) << other;
    expect_same_result(read_result(entry.path()), read_result(other), entry.path().filename().string());
    ++runs;
  }
  EXPECT_EQ(runs, 6u);
  std::size_t checkpoints = 0;
  for (const auto& entry : fs::directory_iterator(dir / "B" / "checkpoints")) checkpoints += entry.path().extension() == ".h5";
  EXPECT_EQ(checkpoints, 2u);
  // Merged, the two sweeps hold the same runs.
  ASSERT_EQ(run_convsim("merge " + quoted(dir / "A") + " -o " + quoted(dir / "A.h5") + " --quiet").exit_code, 0);
  ASSERT_EQ(run_convsim("merge " + quoted(dir / "B") + " -o " + quoted(dir / "B.h5") + " --quiet").exit_code, 0);
  const auto compare = dir / "compare.py";
  write_text(compare, R"(import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
names = []
a.visit(lambda n: names.append(n) if isinstance(a[n], h5py.Dataset) else None)
assert names, "no datasets"
for n in names:
    x, y = a[n][...], b[n][...]
    assert x.dtype == y.dtype and x.shape == y.shape, n
    same = x.tolist() == y.tolist() if x.dtype.kind == "O" else x.tobytes() == y.tobytes()
    assert same, n
print(len(names))
)");
  r = run_shell(std::string(CONVSIM_SYSTEM_PYTHON) + " " + quoted(compare) + " " + quoted(dir / "A.h5") + " " + quoted(dir / "B.h5"));
  EXPECT_EQ(r.exit_code, 0) << shown(r);
  // A branch year that is no step's start is refused before anything runs.
  r = run_convsim("sweep run " + quoted(sweep("bad", "branch_from: 2011.5\n")) + " -o " + quoted(dir / "C") + " --quiet");
  EXPECT_EQ(r.exit_code, 2) << shown(r);
  EXPECT_TRUE(contains(r.err, "bad.yaml:11")) << r.err;
  EXPECT_TRUE(contains(r.err, "branch_from")) << r.err;
}

}  // namespace
}  // namespace convsim::testing
