// Sweep planning: load_sweep's incremental resolution (each scenario's first run resolved, later
// runs changing only their own leaves, identities from a text template) gives exactly the plan of
// resolving every run from scratch: the same runs, seeds, identities, warnings and errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "convsim/errors.hpp"
#include "convsim/sweep.hpp"
#include "test_support.hpp"
#include "tiny_scenarios.hpp"

namespace convsim {
namespace {

using testing::TempDir;
using testing::write_text;
namespace fs = std::filesystem;

using testing::kTinyPolicy;
using testing::kTinyScenario;

struct Outcome {
  SweepPlan plan;
  std::string error;  // InputError::what(), or "" when the plan loaded
};

Outcome plan_of(const fs::path& sweep, ParameterUncertainty uncertainty, PlanResolution resolution) {
  Outcome out;
  try {
    out.plan = load_sweep(sweep, RunIdentities::compute, uncertainty, resolution);
  } catch (const InputError& e) {
    out.error = e.what();
  }
  return out;
}

// Loads `sweep` both ways and compares everything a plan holds about its runs.
void expect_same_plan(const fs::path& sweep, ParameterUncertainty uncertainty = ParameterUncertainty::on) {
  SCOPED_TRACE(sweep.string() + (uncertainty == ParameterUncertainty::on ? " (draws)" : " (no draws)"));
  const Outcome fast = plan_of(sweep, uncertainty, PlanResolution::incremental);
  const Outcome reference = plan_of(sweep, uncertainty, PlanResolution::from_scratch);
  EXPECT_EQ(fast.error, reference.error);
  if (!reference.error.empty()) return;
  EXPECT_EQ(fast.plan.warnings, reference.plan.warnings);
  EXPECT_EQ(fast.plan.digest(), reference.plan.digest());
  ASSERT_EQ(fast.plan.runs.size(), reference.plan.runs.size());
  for (std::size_t i = 0; i < fast.plan.runs.size(); ++i) {
    const SweepRun& a = fast.plan.runs[i];
    const SweepRun& b = reference.plan.runs[i];
    ASSERT_EQ(a.identity, b.identity) << "run " << i;
    EXPECT_EQ(a.index, b.index);
    EXPECT_EQ(a.scenario, b.scenario);
    EXPECT_EQ(a.point, b.point);
    EXPECT_EQ(a.replicate, b.replicate);
    EXPECT_EQ(a.seed, b.seed);
    EXPECT_EQ(a.draw, b.draw);
    EXPECT_EQ(a.identity.size(), 32u);
  }
  EXPECT_EQ(plan_to_json(fast.plan), plan_to_json(reference.plan));
  // And each identity is that of the scenario the run executes (as the executor checks), for a
  // spread of runs.
  const std::size_t n = fast.plan.runs.size();
  for (std::size_t i = 0; i < n; i += std::max<std::size_t>(1, n / 7)) {
    EXPECT_EQ(run_identity(resolve_run(fast.plan, fast.plan.runs[i])), fast.plan.runs[i].identity) << "run " << i;
  }
}

class Folder {
 public:
  Folder() {
    write_text(dir_ / "tiny.yaml", kTinyScenario);
    write_text(dir_ / "tiny_policy.yaml", kTinyPolicy);
  }
  fs::path sweep(const std::string& text) {
    const fs::path file = dir_ / ("sweep" + std::to_string(count_++) + ".yaml");
    write_text(file, text);
    return file;
  }
  fs::path path(const std::string& name) const { return dir_ / name; }

 private:
  TempDir dir_;
  int count_ = 0;
};

std::string baseline() { return (fs::path(CONVSIM_SOURCE_DIR) / "scenarios/korea_baseline.yaml").string(); }

TEST(SweepPlanning, IncrementalGridsWithReplicatesMatchResolvingEveryRun) {
  Folder folder;
  expect_same_plan(folder.sweep(R"(scenarios: [tiny.yaml, tiny_policy.yaml]
set: {economy.firms: 200}
design:
  type: grid
  parameters:
    adoption.peer_effect: [0.2, 0.5, 0.35]
    sectors.health_care.barrier: {from: 0, to: 0.5, step: 0.1}
replicates: 3
seed: 9
)"));
  expect_same_plan(folder.sweep("scenarios: [tiny.yaml]\nreplicates: 40\n"));
  expect_same_plan(folder.sweep(R"(scenarios: [tiny.yaml]
design:
  type: grid
  parameters:
    economy.firms: {from: 100, to: 400, count: 4, integer: true}
    time.end_year: [2003, 2004]
    adoption.base_hazard: [0.001]
)"));
}

TEST(SweepPlanning, IncrementalRandomAndSensitivityDesignsMatchResolvingEveryRun) {
  Folder folder;
  expect_same_plan(folder.sweep(R"(scenarios: {a: tiny.yaml, b: tiny_policy.yaml}
design:
  type: random
  n: 60
  seed: 11
  parameters:
    adoption.peer_effect: {distribution: uniform, low: 0.1, high: 0.4}
    adoption.base_hazard: {distribution: lognormal, meanlog: -5.5, sdlog: 0.3}
    economy.firms: {distribution: choice, values: [200, 300, 400]}
replicates: 2
)"));
  expect_same_plan(folder.sweep(R"(scenarios: [tiny_policy.yaml]
design:
  type: sobol
  n: 8
  parameters:
    adoption.peer_effect: {low: 0.1, high: 0.4}
    policies.open_health.value: {low: 0, high: 0.3}
    sectors.device.firm_share: {low: 0.1, high: 0.3}
)"));
}

TEST(SweepPlanning, ValuesTheTemplateCannotWriteAndNewKeysMatchResolvingEveryRun) {
  Folder folder;
  // Names that need quoting or a space, or might (after a plain first one, so that the template
  // is in use), a key the scenario does not have, list values.
  expect_same_plan(folder.sweep(R"(scenarios: [tiny.yaml]
design:
  type: grid
  parameters:
    name: [plain, "two words", "x#y", "'quoted'", "null_name", "true", "yes", "on", "0x1F", ".5", "+1", "1e5", "'007'"]
    output.snapshot_years: ["[2001, 2003]", "[2002]", "2004"]
    environment.smart_work: [0, 0.5]
replicates: 2
)"));
}

TEST(SweepPlanning, CalibratedScenarioWithDrawsAndOverriddenKeysMatchesResolvingEveryRun) {
  Folder folder;
  // adoption.peer_effect at its calibrated value (0.00252577) records no override; the others do,
  // so calibration.overridden_keys comes and goes between runs. sectors.contents.initial_converged
  // is a drawn key the design holds.
  const fs::path sweep = folder.sweep("scenarios: {base: " + baseline() + R"(}
set: {economy.firms: 500, output.snapshot_years: []}
design:
  type: grid
  parameters:
    adoption.peer_effect: [0.00252577, 0.003, 0.00252577, 0.002]
    sectors.health_care.barrier: [0.2, 0.9]
replicates: 3
seed: 4
)");
  expect_same_plan(sweep, ParameterUncertainty::on);
  expect_same_plan(sweep, ParameterUncertainty::off);
  const fs::path held = folder.sweep("scenarios: [" + baseline() + R"(]
design:
  type: grid
  parameters:
    sectors.contents.initial_converged: [0.5, 0.6]
replicates: 2
)");
  expect_same_plan(held, ParameterUncertainty::on);
}

TEST(SweepPlanning, AnInvalidRunIsRefusedWithTheSameMessageEitherWay) {
  Folder folder;
  const std::vector<std::string> sweeps = {
      // out of range at the third point
      "scenarios: [tiny.yaml]\ndesign:\n  type: grid\n  parameters:\n    sectors.health_care.barrier: [0.2, 0.5, 1.5]\n",
      // a value that is not YAML at the second point
      "scenarios: [tiny.yaml]\ndesign:\n  type: grid\n  parameters:\n    adoption.peer_effect: [\"0.2\", \"[0.3\"]\nreplicates: 2\n",
      // a cross-field check (decreasing returns) fails at the second point
      "scenarios: [tiny.yaml]\ndesign:\n  type: grid\n  parameters:\n    production.labour_elasticity: [0.5, 0.8]\n",
      // the second scenario fails at its second point (min_firm_size above its max_firm_size)
      "scenarios: [tiny.yaml, small_firms.yaml]\ndesign:\n  type: grid\n  parameters:\n    economy.min_firm_size: [1, 50]\n",
  };
  write_text(folder.path("small_firms.yaml"), "extends: tiny.yaml\neconomy: {max_firm_size: 40}\n");
  for (const auto& text : sweeps) {
    const fs::path sweep = folder.sweep(text);
    expect_same_plan(sweep);
    EXPECT_FALSE(plan_of(sweep, ParameterUncertainty::on, PlanResolution::incremental).error.empty()) << text;
  }
}

// A calibrated tiny scenario: its own file holds the calibration section, so its sector values
// are the calibrated ones, and a design value outside their range is warned about.
constexpr const char* kTinyCalibrated = R"(name: tiny_calibrated
seed: 5
time: {start_year: 2000, end_year: 2004, steps_per_year: 1}
economy: {firms: 300}
sectors:
  network: {role: network, firm_share: 0.3, capital_per_worker: 1.0}
  device: {role: device, firm_share: 0.2, capital_per_worker: 2.0}
  health_care: {role: converging, firm_share: 0.5, barrier: 0.5, capital_per_worker: 1.5}
calibration: {method: by hand}
)";

TEST(SweepPlanning, WarningsOfLaterRunsMatchResolvingEveryRun) {
  // Later runs are validated by their changed leaves only (ScenarioRecheck): the warnings they
  // give must be build_scenario's, run by run, whether the first run warns or not.
  Folder folder;
  write_text(folder.path("calibrated.yaml"), kTinyCalibrated);
  const fs::path local = folder.sweep(R"(scenarios: [calibrated.yaml]
design:
  type: grid
  parameters:
    sectors.device.capital_per_worker: [1.5, 3, 0.5, 2.0, 1.2]
    network.mean_degree: [4, 0]
    economy.firms: [200, 300]
replicates: 2
)");
  expect_same_plan(local);
  // The first run's two default barriers, and three of the later device values (3, 0.5, 2.0).
  EXPECT_EQ(plan_of(local, ParameterUncertainty::on, PlanResolution::incremental).plan.warnings.size(), 5u);
  // With parameter draws: the drawn sector values are calibrated (located in the calibration
  // file), so the range a design value is held against moves with the draw.
  const fs::path drawn = folder.sweep("scenarios: [" + baseline() + R"(]
set: {economy.firms: 500}
design:
  type: grid
  parameters:
    sectors.health_care.initial_converged: [0.5, 0.95, 0.18]
    sectors.health_care.capital_per_worker: [0.03, 0.005, 0.07]
replicates: 6
)");
  expect_same_plan(drawn, ParameterUncertainty::on);
  expect_same_plan(drawn, ParameterUncertainty::off);
  EXPECT_GT(plan_of(drawn, ParameterUncertainty::on, PlanResolution::incremental).plan.warnings.size(), 6u);
}

TEST(SweepPlanning, ABadValueInOneLaterRunIsRefusedWithTheSameMessageEitherWay) {
  Folder folder;
  write_text(folder.path("calibrated.yaml"), kTinyCalibrated);
  const std::vector<std::string> sweeps = {
      // every firm_share 0 at the second point only
      "scenarios: [calibrated.yaml]\ndesign:\n  type: grid\n  parameters:\n    sectors.network.firm_share: [0]\n"
      "    sectors.device.firm_share: [0]\n    sectors.health_care.firm_share: [0.5, 0]\n",
      // min_firm_size above max_firm_size at the third point, with replicates
      "scenarios: [calibrated.yaml]\ndesign:\n  type: grid\n  parameters:\n    economy.max_firm_size: [1000, 500, 0.5]\nreplicates: 2\n",
      // a list where a number belongs, at the second point
      "scenarios: [calibrated.yaml]\ndesign:\n  type: grid\n  parameters:\n    sectors.device.capital_per_worker: [\"1.5\", \"[1, 2]\"]\n",
      // an integer key given a fraction, then out of range
      "scenarios: [calibrated.yaml]\ndesign:\n  type: grid\n  parameters:\n    adoption.partner_capacity: [3, 2.5]\n",
      "scenarios: [calibrated.yaml]\ndesign:\n  type: grid\n  parameters:\n    network.mean_degree: [3, -1]\n",
      // the draw of the first replicate (labour elasticity 0.566) makes capital + labour
      // elasticity 1.006 at the second point; the calibrated point (0.552) keeps it at 0.992
      "scenarios: [" + baseline() + "]\nset: {economy.firms: 500}\ndesign:\n  type: grid\n  parameters:\n"
      "    production.capital_elasticity: [0.3, 0.44]\nreplicates: 6\n",
  };
  for (const auto& text : sweeps) {
    const fs::path sweep = folder.sweep(text);
    expect_same_plan(sweep);
    EXPECT_FALSE(plan_of(sweep, ParameterUncertainty::on, PlanResolution::incremental).error.empty()) << text;
  }
  // Without draws the last one plans: only the draws take the sum to 1.
  const fs::path calibrated = folder.sweep(sweeps.back());
  expect_same_plan(calibrated, ParameterUncertainty::off);
  EXPECT_TRUE(plan_of(calibrated, ParameterUncertainty::off, PlanResolution::incremental).error.empty());
}

TEST(SweepPlanning, ShippedSweepsPlanTheSameEitherWay) {
  // The smaller shipped sweeps (a grid, a Sobol' design, seven scenarios with replicates); the
  // from-scratch reference takes milliseconds per run with parameter draws.
  for (const char* name : {"barrier_small.yaml", "sensitivity_small.yaml", "policy_effects.yaml"}) {
    const fs::path sweep = fs::path(CONVSIM_SOURCE_DIR) / "scenarios/sweeps" / name;
    expect_same_plan(sweep, ParameterUncertainty::on);
    expect_same_plan(sweep, ParameterUncertainty::off);
  }
}

}  // namespace
}  // namespace convsim
