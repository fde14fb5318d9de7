// Parameter draws of a calibration: reading and checking calibration.parameter_draws, applying a
// draw (held keys keep the scenario's value), the applied-draw record, and sweeps whose replicate r
// uses draw r with the same seed in every scenario.
#include "convsim/parameter_draws.hpp"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "convsim/errors.hpp"
#include "convsim/sweep.hpp"
#include "input_error.hpp"
#include "test_support.hpp"

namespace convsim {
namespace {

using testing::TempDir;
using testing::write_text;
using testing::input_error_of;
namespace fs = std::filesystem;

// A tiny calibrated economy whose calibration holds `draws` draws of two free parameters (an
// initial convergence share setting two keys, and the adoption hazard): draw r has
// initial_converged 0.1 + 0.01 r and base_hazard 0.004 + 0.001 r.
std::string calibrated_text(int draws) {
  std::ostringstream text;
  text << "name: tiny_calibrated\nseed: 5\n"
          "time: {start_year: 2000, end_year: 2003, steps_per_year: 1}\n"
          "economy: {firms: 300}\n"
          "adoption: {base_hazard: 0.004}\n"
          "sectors:\n"
          "  network: {role: network, firm_share: 0.3, initial_converged: 0.1}\n"
          "  device: {role: device, firm_share: 0.2, initial_converged: 0.1}\n"
          "  health_care: {role: converging, firm_share: 0.5, barrier: 0.5}\n"
          "calibration:\n"
          "  method: test fixture\n"
          "  domain: {firms: 300, sectors: [network, device, health_care]}\n"
          "  parameter_draws:\n"
          "    parameters: [ict_initial_convergence, base_hazard]\n"
          "    keys: [sectors.network.initial_converged, sectors.device.initial_converged, adoption.base_hazard]\n"
          "    free_values:\n";
  for (int r = 0; r < draws; ++r) text << "      - [" << 0.1 + 0.01 * r << ", " << 0.004 + 0.001 * r << "]\n";
  text << "    values:\n";
  for (int r = 0; r < draws; ++r) {
    text << "      - [" << 0.1 + 0.01 * r << ", " << 0.1 + 0.01 * r << ", " << 0.004 + 0.001 * r << "]\n";
  }
  return text.str();
}

// The scenario a policy run extends the calibrated file with.
constexpr const char* kPolicy = R"(extends: calibrated.yaml
name: tiny_policy
policies:
  open_health: {lever: barrier, sectors: [health_care], at: 2001, value: 0.0}
)";

TEST(ParameterDraws, ReadsTheDrawsOfTheCalibrationAScenarioExtends) {
  TempDir dir;
  write_text(dir / "calibrated.yaml", calibrated_text(4));
  write_text(dir / "policy.yaml", kPolicy);
  const ScenarioDocument document = ScenarioDocument::load(dir / "policy.yaml");
  const auto draws = read_parameter_draws(document);
  ASSERT_TRUE(draws.has_value());
  EXPECT_EQ(draws->count(), 4u);
  EXPECT_EQ(draws->where.file, (dir / "calibrated.yaml").string());
  EXPECT_EQ(draws->parameters, (std::vector<std::string>{"ict_initial_convergence", "base_hazard"}));
  EXPECT_EQ(draws->keys.size(), 3u);
  EXPECT_DOUBLE_EQ(draws->free_values[3][1], 0.007);
  EXPECT_EQ(draws->values[2][0].Scalar(), "0.12");
  // The rows' own lines: values start after the 4 free_values rows.
  EXPECT_EQ(draws->value_lines[0] + 3, draws->value_lines[3]);
  // The scenario still builds (the calibration record may hold tables).
  EXPECT_NO_THROW(build_scenario(document));
}

TEST(ParameterDraws, AScenarioWithoutDrawsHasNone) {
  TempDir dir;
  std::string text = calibrated_text(1);
  text = text.substr(0, text.find("  parameter_draws:"));
  write_text(dir / "calibrated.yaml", text);
  EXPECT_FALSE(read_parameter_draws(ScenarioDocument::load(dir / "calibrated.yaml")).has_value());
}

TEST(ParameterDraws, ApplyingADrawSetsItsKeysAndRecordsIt) {
  TempDir dir;
  write_text(dir / "calibrated.yaml", calibrated_text(3));
  write_text(dir / "policy.yaml", kPolicy);
  ScenarioDocument document = ScenarioDocument::load(dir / "policy.yaml");
  const auto draws = read_parameter_draws(document);
  ASSERT_TRUE(draws);
  apply_parameter_draw(document, *draws, 2);
  const Scenario scenario = build_scenario(document);
  EXPECT_DOUBLE_EQ(scenario.adoption.base_hazard, 0.006);
  EXPECT_DOUBLE_EQ(scenario.sectors[scenario.sector_index("network")].initial_converged, 0.12);
  EXPECT_DOUBLE_EQ(scenario.sectors[scenario.sector_index("device")].initial_converged, 0.12);
  EXPECT_FALSE(document.contains_subtree(kParameterDrawsKey));  // the resolved scenario is the run, no more
  const auto applied = read_applied_draw(scenario.resolved_yaml);
  ASSERT_TRUE(applied);
  EXPECT_EQ(applied->index, 2);
  EXPECT_EQ(applied->draws, 3);
  EXPECT_EQ(applied->parameters, draws->parameters);
  EXPECT_EQ(applied->free_values, draws->free_values[2]);  // exact
  EXPECT_EQ(applied->keys, draws->keys);
  EXPECT_TRUE(applied->held_keys.empty());
  // The resolved scenario runs the same run again: loading it gives the same values.
  write_text(dir / "again.yaml", scenario.resolved_yaml);
  const Scenario again = load_scenario(dir / "again.yaml");
  EXPECT_EQ(run_identity(again), run_identity(scenario));
}

TEST(ParameterDraws, KeysTheScenarioOrASetHoldKeepTheirValueAndAreNamed) {
  TempDir dir;
  write_text(dir / "calibrated.yaml", calibrated_text(3));
  write_text(dir / "policy.yaml", std::string(kPolicy) + "adoption: {base_hazard: 0.05}\n");
  ScenarioDocument document = ScenarioDocument::load(dir / "policy.yaml");
  document.apply_override("sectors.device.initial_converged=0.3");
  const auto draws = read_parameter_draws(document);
  ASSERT_TRUE(draws);
  EXPECT_EQ(held_keys(document, *draws),
            (std::vector<std::string>{"sectors.device.initial_converged", "adoption.base_hazard"}));
  const auto warnings = held_key_warnings(document, *draws);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0].key, "sectors.device.initial_converged");
  EXPECT_EQ(warnings[0].where.file, "<command line>");
  EXPECT_EQ(warnings[1].where.file, (dir / "policy.yaml").string());
  EXPECT_NE(warnings[1].text().find("keeps this value in every replicate"), std::string::npos);
  apply_parameter_draw(document, *draws, 1);
  const Scenario scenario = build_scenario(document);
  EXPECT_DOUBLE_EQ(scenario.adoption.base_hazard, 0.05);
  EXPECT_DOUBLE_EQ(scenario.sectors[scenario.sector_index("device")].initial_converged, 0.3);
  EXPECT_DOUBLE_EQ(scenario.sectors[scenario.sector_index("network")].initial_converged, 0.11);
  const auto applied = read_applied_draw(scenario.resolved_yaml);
  ASSERT_TRUE(applied);
  EXPECT_EQ(applied->keys, (std::vector<std::string>{"sectors.network.initial_converged"}));
  EXPECT_EQ(applied->held_keys.size(), 2u);
}

TEST(ParameterDraws, MoreReplicatesThanDrawsNamesTheCalibrationFile) {
  TempDir dir;
  write_text(dir / "calibrated.yaml", calibrated_text(3));
  const auto draws = read_parameter_draws(ScenarioDocument::load(dir / "calibrated.yaml"));
  ASSERT_TRUE(draws);
  EXPECT_NO_THROW(check_draw_count(*draws, 3));
  const InputError e = input_error_of([&] { check_draw_count(*draws, 4); });
  EXPECT_EQ(e.file(), (dir / "calibrated.yaml").string());
  EXPECT_EQ(e.key(), "calibration.parameter_draws");
  EXPECT_EQ(e.line(), 14);  // where the draws start (their first list)
  EXPECT_NE(std::string(e.what()).find("4 replicates need as many parameter draws, the calibration holds 3"),
            std::string::npos);
}

// The draws of calibrated_text(3) with one line replaced.
InputError malformed(const std::string& from, const std::string& to) {
  TempDir dir;
  std::string text = calibrated_text(3);
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  write_text(dir / "calibrated.yaml", text);
  return input_error_of([&] { read_parameter_draws(ScenarioDocument::load(dir / "calibrated.yaml")); });
}

TEST(ParameterDraws, MalformedDrawsNameFileLineAndKey) {
  {  // a values row one short (line 22: the second values row)
    const InputError e = malformed("      - [0.11, 0.11, 0.005]\n", "      - [0.11, 0.005]\n");
    EXPECT_EQ(e.line(), 22);
    EXPECT_EQ(e.key(), "calibration.parameter_draws.values[1]");
    EXPECT_NE(std::string(e.what()).find("has 2 values, expected 3"), std::string::npos);
  }
  {  // a non-number
    const InputError e = malformed("      - [0.12, 0.006]\n", "      - [0.12, high]\n");
    EXPECT_EQ(e.line(), 19);
    EXPECT_EQ(e.key(), "calibration.parameter_draws.free_values[2]");
    EXPECT_NE(std::string(e.what()).find("'high', expected a finite number"), std::string::npos);
  }
  {  // unequal lists
    const InputError e = malformed("      - [0.12, 0.006]\n", "");
    EXPECT_EQ(e.key(), "calibration.parameter_draws.free_values");
    EXPECT_NE(std::string(e.what()).find("has 2 rows but values has 3"), std::string::npos);
  }
  {  // a list missing
    const InputError e = malformed("    keys:", "    other_keys:");
    EXPECT_EQ(e.key(), "calibration.parameter_draws.keys");
    EXPECT_EQ(e.line(), 14);
  }
}

TEST(ParameterDraws, TablesAreRefusedOutsideTheCalibrationRecord) {
  TempDir dir;
  write_text(dir / "bad.yaml", "name: bad\noutput: {snapshot_years: [[2000, 2001]]}\n");
  const InputError e = input_error_of([&] { ScenarioDocument::load(dir / "bad.yaml"); });
  EXPECT_EQ(e.key(), "output.snapshot_years");
  EXPECT_NE(std::string(e.what()).find("lists may only hold plain values"), std::string::npos);
}

TEST(ParameterDraws, TheCalibratedKeysAScenarioOverridesAreRecorded) {
  TempDir dir;
  write_text(dir / "calibrated.yaml", calibrated_text(2));
  write_text(dir / "policy.yaml", std::string(kPolicy) + "adoption: {base_hazard: 0.05}\n");
  ScenarioDocument document = ScenarioDocument::load(dir / "policy.yaml");
  document.apply_override("economy.firms=300");  // the calibrated value again: no departure
  document.apply_override("sectors.device.firm_share=0.25");
  // The name changes, the seed is set: neither is a calibrated value.
  document.apply_override("seed=9");
  EXPECT_EQ(overridden_calibrated_keys(document),
            (std::vector<std::string>{"adoption.base_hazard", "sectors.device.firm_share"}));
  record_calibration_overrides(document);
  const Scenario scenario = build_scenario(document);
  EXPECT_NE(scenario.resolved_yaml.find("overridden_keys: [adoption.base_hazard, sectors.device.firm_share]"),
            std::string::npos)
      << scenario.resolved_yaml;
  // The calibrated file itself departs from nothing.
  ScenarioDocument calibrated = ScenarioDocument::load(dir / "calibrated.yaml");
  record_calibration_overrides(calibrated);
  EXPECT_FALSE(calibrated.contains_subtree(kOverriddenKeysKey));
}

//---- sweeps --------------------------------------------------------------------------------------

constexpr const char* kSweep = R"(name: drawn
scenarios: {base: calibrated.yaml, policy: policy.yaml}
replicates: 3
seed: 11
)";

TEST(ParameterDrawsSweep, ReplicateRUsesDrawRAndSeedRInEveryScenario) {
  TempDir dir;
  write_text(dir / "calibrated.yaml", calibrated_text(3));
  write_text(dir / "policy.yaml", kPolicy);
  write_text(dir / "sweep.yaml", kSweep);
  const SweepPlan plan = load_sweep(dir / "sweep.yaml");
  ASSERT_EQ(plan.runs.size(), 6u);
  std::set<std::string> identities;
  for (const SweepRun& run : plan.runs) {
    EXPECT_EQ(run.draw, run.replicate);
    EXPECT_EQ(run.seed, replicate_seed(11, run.replicate));
    identities.insert(run.identity);
    const Scenario scenario = resolve_run(plan, run);
    EXPECT_EQ(run_identity(scenario), run.identity);  // the identity is the drawn run's
    EXPECT_DOUBLE_EQ(scenario.adoption.base_hazard, 0.004 + 0.001 * run.replicate);
    const auto applied = read_applied_draw(scenario.resolved_yaml);
    ASSERT_TRUE(applied);
    EXPECT_EQ(applied->index, run.replicate);
  }
  EXPECT_EQ(identities.size(), 6u);
  EXPECT_NE(plan_to_json(plan).find("\"parameter_uncertainty\": true"), std::string::npos);
}

TEST(ParameterDrawsSweep, WithoutParameterUncertaintyEveryReplicateUsesThePoint) {
  TempDir dir;
  write_text(dir / "calibrated.yaml", calibrated_text(2));  // fewer draws than replicates: fine when off
  write_text(dir / "policy.yaml", kPolicy);
  write_text(dir / "sweep.yaml", kSweep);
  const SweepPlan plan = load_sweep(dir / "sweep.yaml", RunIdentities::compute, ParameterUncertainty::off);
  for (const SweepRun& run : plan.runs) {
    EXPECT_EQ(run.draw, -1);
    const Scenario scenario = resolve_run(plan, run);
    EXPECT_DOUBLE_EQ(scenario.adoption.base_hazard, 0.004);
    EXPECT_FALSE(read_applied_draw(scenario.resolved_yaml));
  }
  EXPECT_NE(plan_to_json(plan).find("\"parameter_uncertainty\": false"), std::string::npos);
}

TEST(ParameterDrawsSweep, MoreReplicatesThanDrawsFailsBeforeAnyRun) {
  TempDir dir;
  write_text(dir / "calibrated.yaml", calibrated_text(2));
  write_text(dir / "policy.yaml", kPolicy);
  write_text(dir / "sweep.yaml", kSweep);
  const InputError e = input_error_of([&] { load_sweep(dir / "sweep.yaml"); });
  EXPECT_EQ(e.file(), (dir / "calibrated.yaml").string());
  EXPECT_EQ(e.key(), "calibration.parameter_draws");
}

TEST(ParameterDrawsSweep, ADesignKeyThatIsDrawnIsHeldAndWarnedOnce) {
  TempDir dir;
  write_text(dir / "calibrated.yaml", calibrated_text(3));
  write_text(dir / "policy.yaml", kPolicy);
  write_text(dir / "sweep.yaml", std::string(kSweep) +
                                     "design: {type: grid, parameters: {adoption.base_hazard: [0.02, 0.03]}}\n");
  const SweepPlan plan = load_sweep(dir / "sweep.yaml");
  std::size_t held = 0;
  for (const auto& warning : plan.warnings) held += warning.find("adoption.base_hazard") != std::string::npos;
  EXPECT_EQ(held, 1u);  // once, not once per run or scenario
  for (const SweepRun& run : plan.runs) {
    const Scenario scenario = resolve_run(plan, run);
    EXPECT_DOUBLE_EQ(scenario.adoption.base_hazard, run.point == 0 ? 0.02 : 0.03);
    EXPECT_DOUBLE_EQ(scenario.sectors[scenario.sector_index("network")].initial_converged, 0.1 + 0.01 * run.replicate);
  }
}

}  // namespace
}  // namespace convsim
