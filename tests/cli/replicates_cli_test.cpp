// convsim run --replicates and sweeps with parameter draws, end to end: replicate r at draw r and
// the sweep's seed r, one file in the merged layout (bit-identical for any thread count, draws
// recorded), too many replicates refused before any work, --no-parameter-uncertainty, and compare's
// ci_noise / ci_total on such files (null without draws). Fixture: tests/data/draws/.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "test_support.hpp"

namespace convsim {
namespace {

using testing::contains;
using testing::read_text;
using testing::run_convsim;
using testing::run_shell;
using testing::TempDir;

const std::string kData = std::string(CONVSIM_SOURCE_DIR) + "/tests/data/draws/";
const std::string kBase = "'" + kData + "calibrated.yaml'";
const std::string kPolicy = "'" + kData + "policy.yaml'";

// Runs Debian's Python on `code` (with h5py) and returns its stdout; fails the test on an error.
std::string python(const std::string& code) {
  const auto r = run_shell(std::string(CONVSIM_SYSTEM_PYTHON) + " -c \"" + code + "\"");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

TEST(ReplicatesCli, ReplicateRRunsAtDrawRAndRecordsIt) {
  TempDir dir;
  const auto out = (dir / "base.h5").string();
  const auto r = run_convsim("run " + kBase + " --replicates 4 -o '" + out + "' --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "4 replicates, parameter draws 0-3 of")) << r.out;
  const std::string seen = python(
      "import h5py\n"
      "f = h5py.File('" + out + "', 'r')\n"
      "print(f.attrs['convsim_format'], f.attrs['parameter_uncertainty'], f.attrs['scenario_file'].endswith('calibrated.yaml'))\n"
      "print(list(f['runs/draw'][()]), [s.decode() for s in f['runs/draw_parameter'][()]])\n"
      "print(f['runs/draw_values'][()].tolist())\n"
      "print(list(f['runs/seed'][()]))\n"
      "print(f['aggregate/output'].shape)\n");
  EXPECT_TRUE(contains(seen, "convsim-sweep-1 on True")) << seen;
  EXPECT_TRUE(contains(seen, "[0, 1, 2, 3] ['ict_initial_convergence', 'base_hazard']")) << seen;
  // The first four rows of free_values in the fixture.
  EXPECT_TRUE(contains(seen, "[[0.1117, 0.0055], [0.1297, 0.00324], [0.1042, 0.00326], [0.0725, 0.0055]]")) << seen;
  EXPECT_TRUE(contains(seen, "(4, 4)")) << seen;  // [run, time]
  // The seeds are a sweep's replicate seeds from the scenario's seed: the same pair in every scenario.
  TempDir sweep_dir;
  testing::write_text(sweep_dir / "sweep.yaml", "scenarios: {base: " + kBase + "}\nreplicates: 4\nseed: 5\n");
  const auto plan = run_convsim("sweep plan '" + (sweep_dir / "sweep.yaml").string() + "' --format csv");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const std::string seeds_line = seen.substr(seen.find("\n[", seen.find("\n[") + 1) + 1);
  for (const std::string& line : {std::string("0,base,0,"), std::string("3,base,3,")}) {
    const auto at = plan.out.find(line);
    ASSERT_NE(at, std::string::npos) << plan.out;
    const std::string seed = plan.out.substr(at + line.size(), plan.out.find(',', at + line.size()) - at - line.size());
    EXPECT_TRUE(contains(seeds_line, seed)) << seed << " not in " << seeds_line;
  }
}

TEST(ReplicatesCli, TheFileIsBitIdenticalForAnyThreadCount) {
  TempDir dir;
  const auto one = (dir / "one.h5").string();
  const auto two = (dir / "two.h5").string();
  ASSERT_EQ(run_convsim("run " + kPolicy + " --replicates 3 -q -o '" + one + "' --threads 1").exit_code, 0);
  ASSERT_EQ(run_convsim("run " + kPolicy + " --replicates 3 -q -o '" + two + "' --threads 3").exit_code, 0);
  EXPECT_EQ(read_text(one), read_text(two));
  EXPECT_GT(read_text(one).size(), 1000u);
}

TEST(ReplicatesCli, MoreReplicatesThanDrawsIsRefusedBeforeAnyWork) {
  TempDir dir;
  const auto out = dir / "base.h5";
  const auto r = run_convsim("run " + kBase + " --replicates 13 -o '" + out.string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "calibrated.yaml:18: key 'calibration.parameter_draws': 13 replicates need as many "
                              "parameter draws, the calibration holds 12"))
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // not even a temporary file
  // Without parameter uncertainty the point is used and any number of replicates runs.
  const auto point = run_convsim("run " + kBase + " --replicates 13 -q --no-parameter-uncertainty -o '" + out.string() + "'");
  ASSERT_EQ(point.exit_code, 0) << point.err;
  const std::string seen = python("import h5py\nf = h5py.File('" + out.string() +
                                  "', 'r')\nprint(f.attrs['parameter_uncertainty'], set(f['runs/draw'][()]), 'draw_values' in f['runs'])");
  EXPECT_TRUE(contains(seen, "off {-1} False")) << seen;
}

TEST(ReplicatesCli, AKeyTheCommandLineSetsIsHeldWithOneWarning) {
  TempDir dir;
  const auto out = (dir / "base.h5").string();
  const auto r = run_convsim("run " + kBase + " --replicates 3 -q -o '" + out + "' --set adoption.base_hazard=0.02");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t count = 0;
  for (auto at = r.err.find("adoption.base_hazard"); at != std::string::npos; at = r.err.find("adoption.base_hazard", at + 1)) ++count;
  EXPECT_EQ(count, 1u) << r.err;
  EXPECT_TRUE(contains(r.err, "keeps this value in every replicate")) << r.err;
}

TEST(ReplicatesCli, CompareGivesBothIntervalsAndNoTotalWithoutDraws) {
  TempDir dir;
  const auto base = (dir / "base.h5").string();
  const auto policy = (dir / "policy.h5").string();
  ASSERT_EQ(run_convsim("run " + kBase + " --replicates 12 -q -o '" + base + "'").exit_code, 0);
  ASSERT_EQ(run_convsim("run " + kPolicy + " --replicates 12 -q -o '" + policy + "'").exit_code, 0);
  const auto json = run_convsim("compare '" + base + "' '" + policy + "' --scope convergence --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const std::string path = (dir / "c.json").string();
  testing::write_text(path, json.out);
  const std::string seen = python(
      "import json\n"
      "e = json.load(open('" + path + "'))['variables'][0]['scenarios'][1]['horizon_effect']\n"
      "print(e['pairs'], e['uncertainty_separated'], len(e['ci_noise']), len(e['ci_total']))\n"
      "print(e['ci_total'][0] <= e['ci_noise'][0] and e['ci_noise'][1] <= e['ci_total'][1])\n"
      "print(0 <= e['parameter_share'] <= 1)\n");
  EXPECT_EQ(seen, "12 True 2 2\nTrue\nTrue\n");
  const auto table = run_convsim("compare '" + base + "' '" + policy + "' --scope convergence");
  EXPECT_TRUE(contains(table.out, "ci_noise")) << table.out;
  EXPECT_TRUE(contains(table.out, "% of the width)")) << table.out;
  EXPECT_TRUE(contains(table.out, "Calibration domain: 300 firms; sectors network, device, health_care")) << table.out;
  EXPECT_FALSE(contains(table.out, "Warning:")) << table.out;

  // The plotting script alone groups the drawn replicates as the CLI does and finds the same effect.
  const auto alone = run_shell(std::string(CONVSIM_SYSTEM_PYTHON) + " '" + CONVSIM_SOURCE_DIR +
                               "/analysis/python/convsim_plots.py' '" + base + "' '" + policy +
                               "' --scope convergence --quiet --out '" + (dir / "plots").string() + "' --write-data '" +
                               (dir / "py.json").string() + "'");
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  const std::string agreed = python(
      "import json\n"
      "a = json.load(open('" + path + "'))\n"
      "b = json.load(open('" + (dir / "py.json").string() + "'))\n"
      "x = a['variables'][0]['scenarios'][1]['horizon_effect']['paired_mean']\n"
      "y = b['variables'][0]['scenarios'][1]['horizon_effect']['paired_mean']\n"
      "print(len(b['scenarios']), abs(x - y) <= 1e-9 * max(1.0, abs(x)))\n");
  EXPECT_EQ(agreed, "2 True\n");

  // A policy run that leaves the domain: the report says so in words.
  ASSERT_EQ(run_convsim("run " + kPolicy + " --replicates 12 -q -o '" + policy + "' --set economy.firms=400").exit_code, 0);
  const auto report = (dir / "report.html").string();
  const auto reported = run_convsim("compare '" + base + "' '" + policy + "' --report '" + report + "'");
  ASSERT_EQ(reported.exit_code, 0) << reported.err;
  const std::string html = read_text(report);
  EXPECT_TRUE(contains(html, "Departures from the calibration")) << html;
  EXPECT_TRUE(contains(html, "overrides the calibrated value of economy.firms"));
  EXPECT_TRUE(contains(html, "runs 400 firms; the calibration was fitted with 300 (economy.firms)"));
  EXPECT_TRUE(contains(html, "parameters: ")) << html;

  // The same scenarios at the calibrated point: ci_total is null, and said why.
  ASSERT_EQ(run_convsim("run " + kBase + " --replicates 4 -q --no-parameter-uncertainty -o '" + base + "'").exit_code, 0);
  ASSERT_EQ(run_convsim("run " + kPolicy + " --replicates 4 -q --no-parameter-uncertainty -o '" + policy + "'").exit_code, 0);
  const auto point = run_convsim("compare '" + base + "' '" + policy + "' --format json");
  ASSERT_EQ(point.exit_code, 0) << point.err;
  EXPECT_TRUE(contains(point.out, "\"ci_total\": null")) << point.out;
  EXPECT_TRUE(contains(point.out, "\"uncertainty_note\": \"inputs carry no parameter draws\""));
}

TEST(ReplicatesCli, AMergedSweepRecordsEachRunsDraw) {
  TempDir dir;
  testing::write_text(dir / "sweep.yaml", "scenarios: {base: " + kBase + ", policy: " + kPolicy + "}\nreplicates: 2\nseed: 9\n");
  const auto run = run_convsim("sweep run '" + (dir / "sweep.yaml").string() + "' -o '" + (dir / "out").string() + "' --jobs 2 -q");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto merged = (dir / "merged.h5").string();
  const auto merge = run_convsim("merge '" + (dir / "out").string() + "' -o '" + merged + "'");
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  const std::string seen = python("import h5py\nf = h5py.File('" + merged +
                                  "', 'r')\nprint(f.attrs['parameter_uncertainty'], list(f['runs/replicate'][()]), "
                                  "list(f['runs/draw'][()]), f['runs/draw_values'].shape)");
  EXPECT_EQ(seen, "on [0, 1, 0, 1] [0, 1, 0, 1] (4, 2)\n");
}

TEST(ReplicatesCli, MalformedDrawsAndACalibrationWithoutDraws) {
  TempDir dir;
  const std::string fixture = read_text(kData + "calibrated.yaml");
  // The third values row one value short: exit 2 naming the file, the row's line and the key.
  std::string bad = fixture;
  const std::string row = "      - [0.1042, 0.1042, 0.00326]\n";
  ASSERT_NE(bad.find(row), std::string::npos);
  const int line = 1 + static_cast<int>(std::count(bad.begin(), bad.begin() + static_cast<long>(bad.find(row)), '\n'));
  bad.replace(bad.find(row), row.size(), "      - [0.1042, 0.00326]\n");
  testing::write_text(dir / "bad.yaml", bad);
  const auto out = dir / "out.h5";
  const auto refused = run_convsim("run '" + (dir / "bad.yaml").string() + "' --replicates 2 -o '" + out.string() + "'");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(contains(refused.err, "bad.yaml:" + std::to_string(line) +
                                        ": key 'calibration.parameter_draws.values[2]': has 2 values, expected 3"))
      << refused.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  // A calibration without draws: the replicates run at the point, and the file says it had none.
  testing::write_text(dir / "plain.yaml", fixture.substr(0, fixture.find("  parameter_draws:")));
  const auto plain = run_convsim("run '" + (dir / "plain.yaml").string() + "' --replicates 2 -o '" + out.string() + "'");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_TRUE(contains(plain.out, "the calibrated point (the calibration holds no parameter draws)")) << plain.out;
  const std::string seen = python("import h5py\nf = h5py.File('" + out.string() +
                                  "', 'r')\nprint(f.attrs['parameter_uncertainty'], list(f['runs/draw'][()]))");
  EXPECT_EQ(seen, "no draws [-1, -1]\n");
}

TEST(ReplicatesCli, NoParameterUncertaintyReachesWorkersAndTheSlurmScript) {
  TempDir dir;
  // 13 replicates: more than the 12 draws, so only the calibrated point can run them.
  testing::write_text(dir / "sweep.yaml", "scenarios: {base: " + kBase + "}\nreplicates: 13\nseed: 9\n");
  const std::string sweep = "'" + (dir / "sweep.yaml").string() + "'";
  const auto refused = run_convsim("sweep run " + sweep + " -o '" + (dir / "a").string() + "' -q");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(contains(refused.err, "key 'calibration.parameter_draws': 13 replicates need as many")) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "a" / "runs"));  // refused before the folder was prepared
  const auto run = run_convsim("sweep run " + sweep + " -o '" + (dir / "b").string() + "' --jobs 2 -q --no-parameter-uncertainty");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(read_text(dir / "b" / "plan.json"), "\"parameter_uncertainty\": false"));
  const auto merged = (dir / "b.h5").string();
  ASSERT_EQ(run_convsim("merge '" + (dir / "b").string() + "' -o '" + merged + "'").exit_code, 0);
  const std::string seen = python("import h5py\nf = h5py.File('" + merged +
                                  "', 'r')\nprint(f.attrs['parameter_uncertainty'], set(f['runs/draw'][()]))");
  EXPECT_EQ(seen, "off {-1}\n");
  const auto slurm = run_convsim("sweep slurm " + sweep + " -o '" + (dir / "c").string() + "' --no-parameter-uncertainty");
  ASSERT_EQ(slurm.exit_code, 0) << slurm.err;
  EXPECT_TRUE(contains(read_text(dir / "c" / "sweep.sbatch"), "--jobs \"${SLURM_CPUS_PER_TASK:-1}\" --no-parameter-uncertainty\n"));
}

}  // namespace
}  // namespace convsim
