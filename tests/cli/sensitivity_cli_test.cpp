// End to end: tiny real sobol and morris sweeps through `convsim sweep run`, `convsim merge` and
// `convsim sensitivity` (indices and effects checked against an independent numpy computation from
// the merged file), `convsim discover`, the plots, and bad input (exit 2 with one message).
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace convsim::testing {
namespace {

namespace fs = std::filesystem;

// 2 scenarios x 4 x (2 + 2) design points x 2 replicates = 64 runs of a 1,000-firm economy.
std::string sweep_text(const std::string& design) {
  return "name: cli_sensitivity\n"
         "scenarios:\n"
         "  baseline: " + source_path("scenarios/korea_baseline.yaml").string() + "\n"
         "  remove_barriers: " + source_path("scenarios/remove_barriers.yaml").string() + "\n"
         "set:\n"
         "  economy.firms: 1000\n"
         "  output.snapshot_years: []\n" +
         design +
         "replicates: 2\n"
         "seed: 5\n";
}

constexpr const char* kSobol =
    "design:\n"
    "  type: sobol\n"
    "  n: 4\n"
    "  seed: 2\n"
    "  parameters:\n"
    "    adoption.base_hazard: {low: 0.002, high: 0.008}\n"
    "    production.labour_elasticity: {low: 0.45, high: 0.65}\n";

class SensitivityCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    write_text(*dir_ / "sobol.yaml", sweep_text(kSobol));
    const auto run = run_convsim("sweep run '" + path("sobol.yaml") + "' -o '" + path("sobol") + "' --jobs 2 --quiet --no-parameter-uncertainty");
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    const auto merge = run_convsim("merge '" + path("sobol") + "' -o '" + path("sobol.h5") + "'");
    ASSERT_EQ(merge.exit_code, 0) << merge.out << merge.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string path(const std::string& name) { return (*dir_ / name).string(); }
  static TempDir* dir_;
};

TempDir* SensitivityCli::dir_ = nullptr;

TEST_F(SensitivityCli, SobolIndicesOfAPairedEffectAgreeWithAnIndependentComputation) {
  const auto json = run_convsim("sensitivity '" + path("sobol.h5") +
                                "' --var aggregate/employment --year 2020 --effect-against baseline --format json --bootstrap 200");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  write_text(*dir_ / "indices.json", json.out);
  // The Saltelli (2010) and Jansen estimators recomputed with numpy from the merged file's run
  // table: pair policy and baseline runs by (design point, seed), average over replicates.
  const std::string check = R"(
import json, sys
import h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
runs = f["runs"]
scen = [s.decode() if isinstance(s, bytes) else s for s in runs["scenario"][:]]
seed, group, block = runs["seed"][:], runs["design_group"][:], runs["design_block"][:]
y = f["aggregate/employment"][:, list(f["time"][:]).index(2020.0)]
assert f.attrs["design"] in ("sobol", b"sobol")
base = {(g, b, s): v for c, g, b, s, v in zip(scen, group, block, seed, y) if c == "baseline"}
eff = {}
for c, g, b, s, v in zip(scen, group, block, seed, y):
    if c == "remove_barriers":
        eff.setdefault((g, b), []).append(v - base[(g, b, s)])
k, n = 2, int(group.max()) + 1
m = np.array([[np.mean(eff[(j, b)]) for b in range(k + 2)] for j in range(n)])
A, B = m[:, 0], m[:, k + 1]
V = np.var(np.concatenate([A, B]))
got = json.load(open(sys.argv[2]))
assert got["design"] == "sobol" and len(got["sets"]) == 1, got
s = got["sets"][0]
assert s["scenario"] == "remove_barriers" and s["baseline"] == "baseline"
for i in range(k):
    s1 = np.mean((B - np.mean(np.concatenate([A, B]))) * (m[:, i + 1] - A)) / V
    st = np.mean((A - m[:, i + 1]) ** 2) / (2 * V)
    e = s["sobol"][i]
    assert abs(e["S1"]["value"] - s1) < 1e-9 * max(1, abs(s1)), (i, e, s1)
    assert abs(e["ST"]["value"] - st) < 1e-9 * max(1, abs(st)), (i, e, st)
    assert e["S1"]["low"] <= e["S1"]["value"] <= e["S1"]["high"], e
print("ok")
)";
  write_text(*dir_ / "check.py", check);
  const auto r = run_shell(std::string(CONVSIM_SYSTEM_PYTHON) + " '" + path("check.py") + "' '" + path("sobol.h5") + "' '" +
                           path("indices.json") + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "ok")) << r.out << r.err;

  const auto table = run_convsim("sensitivity '" + path("sobol.h5") + "' --var aggregate/employment --year 2020 --effect-against baseline");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(contains(table.out, "effect of remove_barriers against baseline")) << table.out;
  EXPECT_TRUE(contains(table.out, "seed noise:")) << table.out;
  EXPECT_TRUE(contains(table.out, "production.labour_elasticity")) << table.out;
  const auto csv = run_convsim("sensitivity '" + path("sobol.h5") + "' --var aggregate/employment --year 2020 --scenario baseline --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_TRUE(contains(csv.out, "baseline,,aggregate/employment,2020,adoption.base_hazard,S1,")) << csv.out;
}

TEST_F(SensitivityCli, PlotsAndDiscoveryRun) {
  const auto plots = run_convsim("sensitivity '" + path("sobol.h5") + "' --var aggregate/employment --year 2020 --effect-against baseline --plot '" +
                                 path("plots") + "'");
  ASSERT_EQ(plots.exit_code, 0) << plots.out << plots.err;
  for (const char* file : {"sensitivity.json", "plots.tsv", "indices_remove_barriers.png", "against_remove_barriers.svg"}) {
    EXPECT_TRUE(fs::is_regular_file(*dir_ / "plots" / file)) << file;
  }
  const auto discover = run_convsim("discover '" + path("sobol.h5") +
                                    "' --var aggregate/employment --year 2020 --effect-against baseline --where-effect '>-1e12' --format json");
  ASSERT_EQ(discover.exit_code, 0) << discover.err;
  // Every point meets a condition that always holds: the chosen box is the whole space.
  EXPECT_TRUE(contains(discover.out, "\"density\": 1")) << discover.out;
  EXPECT_TRUE(contains(discover.out, "\"interesting\": 16")) << discover.out;
}

TEST_F(SensitivityCli, MorrisEffectsAgreeWithAnIndependentComputation) {
  write_text(*dir_ / "morris.yaml", sweep_text("design:\n"
                                               "  type: morris\n"
                                               "  trajectories: 3\n"
                                               "  candidates: 12\n"
                                               "  parameters:\n"
                                               "    adoption.base_hazard: {low: 0.002, high: 0.008}\n"
                                               "    production.labour_elasticity: {low: 0.45, high: 0.65}\n"));
  ASSERT_EQ(run_convsim("sweep run '" + path("morris.yaml") + "' -o '" + path("morris") + "' --jobs 2 --quiet --no-parameter-uncertainty").exit_code, 0);
  ASSERT_EQ(run_convsim("merge '" + path("morris") + "' -o '" + path("morris.h5") + "'").exit_code, 0);
  const auto json = run_convsim("sensitivity '" + path("morris.h5") + "' --var aggregate/employment --year 2020 --scenario baseline --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  write_text(*dir_ / "morris.json", json.out);
  // EE = (f(step) - f(step - 1)) / delta per trajectory, from the merged run table with numpy.
  const std::string check = R"(
import json, sys
import h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
runs = f["runs"]
scen = [s.decode() if isinstance(s, bytes) else s for s in runs["scenario"][:]]
g, b, fac, d = runs["design_group"][:], runs["design_block"][:], runs["design_factor"][:], runs["design_delta"][:]
y = f["aggregate/employment"][:, list(f["time"][:]).index(2020.0)]
mean, role = {}, {}
for c, gi, bi, fi, di, v in zip(scen, g, b, fac, d, y):
    if c == "baseline":
        mean.setdefault((gi, bi), []).append(v)
        role[(gi, bi)] = (fi, di)
ee = {0: [], 1: []}
for (gi, bi), (fi, di) in role.items():
    if bi > 0:
        ee[fi].append((np.mean(mean[(gi, bi)]) - np.mean(mean[(gi, bi - 1)])) / di)
got = json.load(open(sys.argv[2]))["sets"][0]["morris"]
for i in range(2):
    e = np.array(ee[i])
    assert len(e) == 3 and got[i]["effects"] == 3, (e, got[i])
    assert abs(got[i]["mu_star"]["value"] - np.mean(np.abs(e))) <= 1e-9 * max(1, np.mean(np.abs(e))), (got[i], e)
    assert abs(got[i]["mu"] - np.mean(e)) <= 1e-9 * max(1, abs(np.mean(e))), (got[i], e)
    assert abs(got[i]["sigma"] - np.std(e, ddof=1)) <= 1e-9 * max(1, np.std(e, ddof=1)), (got[i], e)
print("ok")
)";
  write_text(*dir_ / "check_morris.py", check);
  const auto r = run_shell(std::string(CONVSIM_SYSTEM_PYTHON) + " '" + path("check_morris.py") + "' '" + path("morris.h5") + "' '" +
                           path("morris.json") + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "ok")) << r.out << r.err;
}

TEST_F(SensitivityCli, BadRequestsExitWithTwoAndOneMessage) {
  const auto missing = run_convsim("sensitivity '" + path("sobol.h5") + "' --var aggregate/nothing --year 2020");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(contains(missing.err, "key '--var'")) << missing.err;
  EXPECT_TRUE(contains(missing.err, "aggregate/employment")) << missing.err;  // the variables it has
  const auto year = run_convsim("sensitivity '" + path("sobol.h5") + "' --var aggregate/employment --year 1900");
  EXPECT_EQ(year.exit_code, 2);
  EXPECT_TRUE(contains(year.err, "key '--year'")) << year.err;
  const auto against = run_convsim("sensitivity '" + path("sobol.h5") + "' --var aggregate/employment --year 2020 --effect-against nobody");
  EXPECT_EQ(against.exit_code, 2);
  EXPECT_TRUE(contains(against.err, "no scenario 'nobody'")) << against.err;
  const auto condition = run_convsim("discover '" + path("sobol.h5") + "' --var aggregate/employment --year 2020 --where-effect 'big'");
  EXPECT_EQ(condition.exit_code, 2);
  EXPECT_TRUE(contains(condition.err, "key '--where-effect'")) << condition.err;

  // A sweep of another design: no indices (exit 2, naming the design).
  write_text(*dir_ / "grid.yaml", sweep_text("design: {type: grid, parameters: {adoption.base_hazard: [0.003, 0.006]}}\n"));
  ASSERT_EQ(run_convsim("sweep run '" + path("grid.yaml") + "' -o '" + path("grid") + "' --jobs 2 --quiet --no-parameter-uncertainty").exit_code, 0);
  ASSERT_EQ(run_convsim("merge '" + path("grid") + "' -o '" + path("grid.h5") + "'").exit_code, 0);
  const auto grid = run_convsim("sensitivity '" + path("grid.h5") + "' --var aggregate/employment --year 2020");
  EXPECT_EQ(grid.exit_code, 2);
  EXPECT_TRUE(contains(grid.err, "design is 'grid'")) << grid.err;
  EXPECT_EQ(std::count(grid.err.begin(), grid.err.end(), '\n'), 1) << grid.err;
  // ... but its outcome and effect against each parameter are plotted.
  const auto grid_plots = run_convsim("sensitivity '" + path("grid.h5") + "' --var aggregate/employment --year 2020 --effect-against baseline --plot '" +
                                      path("grid_plots") + "'");
  EXPECT_EQ(grid_plots.exit_code, 0) << grid_plots.err;
  EXPECT_TRUE(fs::is_regular_file(*dir_ / "grid_plots" / "against_remove_barriers.png"));

  // N not a power of two: the sweep file's line and key.
  std::string bad = sweep_text(kSobol);
  bad.replace(bad.find("n: 4"), 4, "n: 6");
  write_text(*dir_ / "bad.yaml", bad);
  const auto plan = run_convsim("sweep plan '" + path("bad.yaml") + "'");
  EXPECT_EQ(plan.exit_code, 2);
  EXPECT_TRUE(contains(plan.err, "bad.yaml:10: key 'design.n'")) << plan.err;
  EXPECT_TRUE(contains(plan.err, "power of two")) << plan.err;
}

}  // namespace
}  // namespace convsim::testing
