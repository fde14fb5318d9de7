// Calibration by indirect inference: reading targets and settings (errors name file, line and key),
// the loss and its units shift, determinism, the report, the calibrated file, and recovering known
// parameters from their own simulated statistics on a tiny economy.
#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include "convsim/analysis/calibration.hpp"
#include "convsim/errors.hpp"
#include "test_support.hpp"

namespace convsim::analysis {
namespace {

using convsim::testing::TempDir;
using convsim::testing::write_text;

// A tiny economy: two ICT sectors, two converging ones, 1990-2020 (the sample and Table 3).
constexpr const char* kTinyScenario =
    "name: tiny\n"
    "seed: 7\n"
    "time: {start_year: 1990, end_year: 2020, steps_per_year: 1}\n"
    "economy: {firms: 1500}\n"
    "sectors:\n"
    "  platform:    {role: platform,   firm_share: 0.1, initial_converged: 0.2}\n"
    "  device:      {role: device,     firm_share: 0.1, initial_converged: 0.2}\n"
    "  health_care: {role: converging, firm_share: 0.4, barrier: 0.3, initial_converged: 0.1}\n"
    "  transport:   {role: converging, firm_share: 0.4, barrier: 0.2, initial_converged: 0.1}\n";

ScenarioDocument tiny_document() { return ScenarioDocument::parse(kTinyScenario, "tiny.yaml"); }

CalibrationTargets paper_targets() {
  return load_calibration_targets(convsim::testing::source_path("data/paper_targets.yaml"));
}

// Settings with two free parameters, searched locally from `start`.
CalibrationSettings two_parameter_settings(double peer_start, double investment_start) {
  CalibrationSettings s;
  s.source = "<test>";
  FreeParameter peer;
  peer.name = "adoption.peer_effect";
  peer.keys = {peer.name};
  peer.lower = 0.05;
  peer.upper = 2.0;
  peer.log_scale = true;
  peer.start = peer_start;
  FreeParameter investment;
  investment.name = "production.investment_rate";
  investment.keys = {investment.name};
  investment.lower = 0.1;
  investment.upper = 0.9;
  investment.start = investment_start;
  s.free = {peer, investment};
  s.replicates = 2;
  s.report_replicates = 2;
  s.optimizer.global_algorithm = "none";
  s.optimizer.local_algorithm = "LN_SBPLX";
  s.optimizer.initial_step = 0.25;
  s.optimizer.relative_tolerance = 1e-3;
  return s;
}

// Expects `body` to throw InputError at file `file`, line `line`, key `key`.
template <typename Body>
void expect_input_error(Body body, const std::string& file, int line, const std::string& key) {
  try {
    body();
    FAIL() << "expected InputError at " << file << ":" << line << " " << key;
  } catch (const InputError& e) {
    EXPECT_NE(e.file().find(file), std::string::npos) << e.what();
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.key(), key) << e.what();
  }
}

//---- targets ----

TEST(CalibrationTargets, ReadsThePaperTargets) {
  const CalibrationTargets t = paper_targets();
  EXPECT_EQ(t.first_year, 1990);
  EXPECT_EQ(t.last_year, 2009);
  EXPECT_DOUBLE_EQ(t.b_capital, 0.075);
  EXPECT_DOUBLE_EQ(t.b_labour, 1.33);
  EXPECT_DOUBLE_EQ(t.b_technology, 0.05);
  EXPECT_DOUBLE_EQ(t.r_squared, 0.98);
  EXPECT_DOUBLE_EQ(t.durbin_watson, 1.723);
  ASSERT_TRUE(t.log_moments[1].has_value());
  EXPECT_DOUBLE_EQ(t.log_moments[1]->sd, 0.81);
  EXPECT_DOUBLE_EQ(t.log_moments[3]->min, 4.54);
  ASSERT_TRUE(t.correlations.has_value());
  EXPECT_DOUBLE_EQ(t.correlations->labour_technology, 0.57);
  ASSERT_TRUE(t.projection.has_value());
  EXPECT_EQ(t.projection->years.front(), 2013);
  EXPECT_EQ(t.projection->years.back(), 2020);
  EXPECT_DOUBLE_EQ(t.projection->output.back(), 1490);
  EXPECT_DOUBLE_EQ(t.projection->accumulated_employment.back(), 439);
}

TEST(CalibrationTargets, ErrorsNameFileLineAndKey) {
  TempDir dir;
  const auto path = dir / "targets.yaml";
  write_text(path,
             "solow_regression:\n"
             "  years: [1990, 2009]\n"
             "  coefficients: {K: 0.075, L: high, A: 0.05}\n"
             "  r_squared: 0.98\n"
             "  durbin_watson: 1.7\n");
  expect_input_error([&] { load_calibration_targets(path); }, "targets.yaml", 3, "solow_regression.coefficients.L");

  write_text(path, "solow_regression:\n  years: [1990, 2009]\n  coefficients: {K: 0.1, L: 1, A: 0.1}\n  r_squared: 0.9\n");
  expect_input_error([&] { load_calibration_targets(path); }, "targets.yaml", 2, "solow_regression.durbin_watson");

  write_text(path,
             "solow_regression:\n"
             "  years: [1990, 2009]\n"
             "  observations: 21\n"
             "  coefficients: {K: 0.1, L: 1, A: 0.1}\n"
             "  r_squared: 0.9\n"
             "  durbin_watson: 1.7\n");
  expect_input_error([&] { load_calibration_targets(path); }, "targets.yaml", 3, "solow_regression.observations");

  write_text(path,
             "solow_regression:\n"
             "  years: [1990, 2009]\n"
             "  coefficients: {K: 0.1, L: 1, A: 0.1}\n"
             "  r_squared: 0.9\n"
             "  durbin_watson: 1.7\n"
             "projection:\n"
             "  years: [2013, 2014, 2015]\n"
             "  output_100m_krw: [807, 881]\n"
             "  accumulated_employment_10k: [40, 83, 130]\n");
  expect_input_error([&] { load_calibration_targets(path); }, "targets.yaml", 8, "projection.output_100m_krw");

  write_text(path, "solow_regression: [\n");
  EXPECT_THROW(load_calibration_targets(path), InputError);
  expect_input_error([&] { load_calibration_targets(dir / "absent.yaml"); }, "absent.yaml", 0, "");
}

//---- settings ----

TEST(CalibrationSettings, ReadsTheShippedFreeParameters) {
  const CalibrationSettings s =
      load_calibration_settings(convsim::testing::source_path("scenarios/calibration/free_parameters.yaml"));
  ASSERT_FALSE(s.free.empty());
  EXPECT_GT(s.budget, 0);
  EXPECT_GT(s.replicates, 0);
  for (const FreeParameter& p : s.free) {
    EXPECT_LT(p.lower, p.upper) << p.name;
    EXPECT_FALSE(p.keys.empty()) << p.name;
  }
  // It calibrates the shipped baseline: every key exists and the start makes a valid scenario.
  const CalibrationProblem problem(ScenarioDocument::load(convsim::testing::source_path("scenarios/korea_baseline.yaml")),
                                   paper_targets(), s);
  EXPECT_EQ(problem.start().size(), s.free.size());
}

TEST(CalibrationSettings, ErrorsNameFileLineAndKey) {
  TempDir dir;
  const auto path = dir / "free.yaml";
  write_text(path, "free:\n  adoption.peer_effect: {lower: 0.5, upper: 0.1}\n");
  expect_input_error([&] { load_calibration_settings(path); }, "free.yaml", 2, "free.adoption.peer_effect");
  write_text(path, "free:\n  adoption.peer_effect: {lower: 0.1, upper: 1, start: 3}\n");
  expect_input_error([&] { load_calibration_settings(path); }, "free.yaml", 2, "free.adoption.peer_effect.start");
  write_text(path, "calibration:\n  budget: 10\n  optimiser: {}\n");
  expect_input_error([&] { load_calibration_settings(path); }, "free.yaml", 3, "calibration.optimiser");
  write_text(path, "calibration:\n  optimizer:\n    local: GN_DIRECT_L\n");
  expect_input_error([&] { load_calibration_settings(path); }, "free.yaml", 3, "calibration.optimizer.local");
  write_text(path, "weights:\n  coefficients: -1\n");
  expect_input_error([&] { load_calibration_settings(path); }, "free.yaml", 2, "weights.coefficients");

  // Keys are checked against the scenario when the problem is built.
  write_text(path, "free:\n  adoption.peer_efect: {lower: 0.1, upper: 1}\n");
  const CalibrationSettings typo = load_calibration_settings(path);
  expect_input_error([&] { CalibrationProblem(tiny_document(), paper_targets(), typo); }, "free.yaml", 2,
                     "free.adoption.peer_efect");
  write_text(path, "weights:\n  b_Q: 2\n");
  const CalibrationSettings unknown_weight = load_calibration_settings(path);
  EXPECT_THROW(CalibrationProblem(tiny_document(), paper_targets(), unknown_weight), InputError);
}

//---- groups, the calibrated file, the report ----

TEST(CalibrationProblem, MultiplierGroupsExpandOverSectorsAndWriteConcreteKeys) {
  CalibrationSettings s;
  s.source = "<test>";
  FreeParameter group;
  group.name = "initial_convergence";
  group.keys = {"sectors.*.initial_converged"};
  group.multiply = true;
  group.lower = 1;
  group.upper = 4;
  s.free = {group};
  // The problem's document shares YAML nodes with this copy: setting values must not write through.
  const ScenarioDocument original = tiny_document();
  const CalibrationProblem problem(original, paper_targets(), s);
  EXPECT_DOUBLE_EQ(problem.start()[0], 1.0);  // a multiplier starts at the scenario's own values
  const auto values = problem.scenario_values({2.5});
  ASSERT_EQ(values.size(), 4u);
  EXPECT_EQ(values[0].first, "sectors.platform.initial_converged");
  EXPECT_DOUBLE_EQ(values[0].second, 0.5);
  EXPECT_DOUBLE_EQ(values[3].second, 0.25);
  EXPECT_DOUBLE_EQ(problem.scenario_at({2.5}, 0).sectors[2].initial_converged, 0.25);
  EXPECT_EQ(problem.scenario_at({2.5}, 3).seed, 10u);  // replicate r: seed + r
  EXPECT_EQ(original.find("sectors.platform.initial_converged")->value.Scalar(), "0.2");
  EXPECT_DOUBLE_EQ(problem.scenario_at({1.0}, 0).sectors[0].initial_converged, 0.2);

  const std::string yaml = calibrated_parameters_yaml(problem, {2.5}, {"made by a test", "loss 0"});
  EXPECT_EQ(yaml.rfind("# made by a test\n# loss 0\n", 0), 0u) << yaml;
  EXPECT_NE(yaml.find("sectors:\n  platform:\n    initial_converged: 0.5\n"), std::string::npos) << yaml;
  // The file is a scenario fragment a scenario can extend.
  TempDir dir;
  write_text(dir / "calibrated.yaml", yaml);
  write_text(dir / "scenario.yaml", std::string("extends: calibrated.yaml\n") + kTinyScenario);
  const ScenarioDocument extended = ScenarioDocument::load(dir / "scenario.yaml");
  EXPECT_NE(extended.find("sectors.platform.initial_converged"), nullptr);
}

TEST(CalibrationProblem, EvaluationIsDeterministicAcrossThreadCounts) {
  const CalibrationProblem problem(tiny_document(), paper_targets(), two_parameter_settings(0.3, 0.4));
  Evaluation one, two;
  {
    tbb::global_control single(tbb::global_control::max_allowed_parallelism, 1);
    one = problem.evaluate(problem.start(), 2);
  }
  {
    tbb::global_control pair(tbb::global_control::max_allowed_parallelism, 2);
    two = problem.evaluate(problem.start(), 2);
  }
  EXPECT_EQ(one.loss, two.loss);
  EXPECT_EQ(one.mean, two.mean);
  EXPECT_EQ(one.valid_replicates, 2) << one.failure;
}

TEST(CalibrationProblem, ReportListsEveryTargetWithBandAndTable3) {
  const CalibrationProblem problem(tiny_document(), paper_targets(), two_parameter_settings(0.3, 0.4));
  const Evaluation e = problem.evaluate(problem.start(), 2);
  ASSERT_EQ(e.mean.size(), problem.targets().size());
  const std::string report = calibration_report(problem, e);
  for (const TargetSpec& t : problem.targets()) EXPECT_NE(report.find("| " + t.name + " |"), std::string::npos) << t.name;
  EXPECT_NE(report.find("| target | published | simulated mean | sd | 95 % band | in band |"), std::string::npos);
  EXPECT_NE(report.find("| adoption.peer_effect | 0.3 |"), std::string::npos) << report;
  EXPECT_NE(report.find("Units shift"), std::string::npos);
  const std::string table = projection_table(problem, e);
  EXPECT_NE(table.find("| 2013 | 807 | 807 | +0.0 % | 40 |"), std::string::npos) << table;
  EXPECT_NE(table.find("| 2020 | 1490 |"), std::string::npos);
  EXPECT_NE(table.find("Every year within 5 %"), std::string::npos);
  // The level moments are matched after the closed-form units shift: the mean residuals of a series
  // balance out (equal weights and scales for mean, median and min).
  double residual = 0;
  for (std::size_t i = 0; i < problem.targets().size(); ++i) {
    const TargetSpec& t = problem.targets()[i];
    if (t.kind == TargetKind::log_level && t.variable == 2) residual += e.mean[i] - t.published;
  }
  EXPECT_NEAR(residual, 0.0, 1e-9);
}

//---- recovering a synthetic truth ----

TEST(Calibration, RecoversKnownParametersFromTheirOwnStatistics) {
  const std::vector<double> truth = {0.6, 0.5};
  // Targets: the statistics the tiny economy produces at the truth (same seeds: common random numbers).
  const CalibrationProblem generator(tiny_document(), paper_targets(), two_parameter_settings(0.6, 0.5));
  const Evaluation at_truth = generator.evaluate(truth, 2);
  ASSERT_EQ(at_truth.valid_replicates, 2) << at_truth.failure;
  const CalibrationTargets synthetic = synthetic_targets(generator, at_truth);

  CalibrationSettings settings = two_parameter_settings(0.2, 0.3);
  settings.budget = 60;
  // In a 1,500-firm economy the log regressors are nearly collinear and the coefficients swing by
  // several units between nearby parameter values; every other statistic identifies the truth.
  settings.group_weights["coefficients"] = 0;
  const CalibrationProblem problem(tiny_document(), synthetic, settings);
  EXPECT_LT(problem.evaluate(truth, 2).loss, 1e-9);
  EXPECT_GT(problem.evaluate(problem.start(), 2).loss, 1.0);

  const CalibrationResult result = calibrate(problem);
  EXPECT_LE(result.evaluations, settings.budget);
  EXPECT_LT(result.best.loss, result.at_start.loss);
  EXPECT_NEAR(result.best.parameters[0], truth[0], 0.15 * truth[0]) << result.algorithms;
  EXPECT_NEAR(result.best.parameters[1], truth[1], 0.15 * truth[1]) << result.algorithms;
}

}  // namespace
}  // namespace convsim::analysis

namespace convsim::analysis {
namespace {

//---- the command ----

TEST(CalibrateCommand, WritesTheCalibratedFileAndReportAndChecks) {
  TempDir dir;
  write_text(dir / "tiny.yaml", kTinyScenario);
  write_text(dir / "free.yaml",
             "calibration: {budget: 4, replicates: 2, report_replicates: 2, optimizer: {global: none}}\n"
             "free:\n"
             "  adoption.peer_effect: {lower: 0.05, upper: 2.0, start: 0.3, scale: log}\n"
             "  initial_convergence: {keys: [\"sectors.*.initial_converged\"], mode: multiply, lower: 0.5, upper: 2}\n");
  const std::string common = "'" + (dir / "tiny.yaml").string() + "' --targets '" +
                             convsim::testing::source_path("data/paper_targets.yaml").string() + "'";
  const auto run = convsim::testing::run_convsim("calibrate " + common + " --free '" + (dir / "free.yaml").string() +
                                                 "' -o '" + (dir / "calibrated.yaml").string() + "' --report '" +
                                                 (dir / "report.md").string() + "' -q");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string calibrated = convsim::testing::read_text(dir / "calibrated.yaml");
  EXPECT_NE(calibrated.find("# Produced by: convsim calibrate"), std::string::npos) << calibrated;
  EXPECT_NE(calibrated.find("adoption:\n  peer_effect: "), std::string::npos) << calibrated;
  EXPECT_NE(calibrated.find("NOTE: "), std::string::npos) << "tiny.yaml sets initial_converged itself";
  const std::string report = convsim::testing::read_text(dir / "report.md");
  EXPECT_EQ(report, run.out);
  EXPECT_NE(report.find("| b_L | 1.330 |"), std::string::npos) << report;
  EXPECT_NE(report.find("## Table 3"), std::string::npos);

  const auto check = convsim::testing::run_convsim("calibrate " + common + " --check --replicates 2 --apply '" +
                                                   (dir / "calibrated.yaml").string() + "' -q");
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_NE(check.out.find("| 2020 | 1490 |"), std::string::npos) << check.out;
}

// Refitting into a new file, keys that come from the calibrated file the scenario extends (it
// holds the `calibration` section) are not reported as overrides; keys the scenario itself sets
// still are.
TEST(CalibrateCommand, KeysOfThePreviousCalibrationAreNotOverrides) {
  TempDir dir;
  write_text(dir / "previous.yaml",
             "adoption: {peer_effect: 0.3}\ncalibration: {method: \"a previous fit\", produced: \"2026-01-01T00:00:00Z\"}\n");
  write_text(dir / "tiny.yaml", "extends: previous.yaml\n" + std::string(kTinyScenario));
  write_text(dir / "free.yaml",
             "calibration: {budget: 2, replicates: 1, report_replicates: 1, optimizer: {global: none}}\n"
             "free:\n  adoption.peer_effect: {lower: 0.05, upper: 2.0, start: 0.3, scale: log}\n");
  const std::string common = "'" + (dir / "tiny.yaml").string() + "' --targets '" +
                             convsim::testing::source_path("data/paper_targets.yaml").string() + "' --free '" +
                             (dir / "free.yaml").string() + "' -q -o ";
  const auto run = convsim::testing::run_convsim("calibrate " + common + "'" + (dir / "new.yaml").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(convsim::testing::read_text(dir / "new.yaml").find("NOTE: "), std::string::npos)
      << "peer_effect comes from the previous calibration, not from tiny.yaml";
  // The same key set in the scenario itself is an override.
  write_text(dir / "tiny.yaml", "extends: previous.yaml\n" + std::string(kTinyScenario) + "adoption: {peer_effect: 0.4}\n");
  const auto again = convsim::testing::run_convsim("calibrate " + common + "'" + (dir / "new2.yaml").string() + "'");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(convsim::testing::read_text(dir / "new2.yaml").find("NOTE: "), std::string::npos);
}

TEST(CalibrateCommand, BadInputExitsTwoNamingFileLineAndKey) {
  TempDir dir;
  write_text(dir / "tiny.yaml", kTinyScenario);
  write_text(dir / "free.yaml", "free:\n  adoption.peer_effect: {lower: 1, upper: 0.5}\n");
  const std::string targets = convsim::testing::source_path("data/paper_targets.yaml").string();
  const auto bad_free = convsim::testing::run_convsim("calibrate '" + (dir / "tiny.yaml").string() + "' --targets '" +
                                                      targets + "' --free '" + (dir / "free.yaml").string() + "'");
  EXPECT_EQ(bad_free.exit_code, 2);
  EXPECT_NE(bad_free.err.find("free.yaml:2"), std::string::npos) << bad_free.err;
  EXPECT_NE(bad_free.err.find("free.adoption.peer_effect"), std::string::npos) << bad_free.err;
  const auto no_free = convsim::testing::run_convsim("calibrate '" + (dir / "tiny.yaml").string() + "' --targets '" +
                                                     targets + "'");
  EXPECT_EQ(no_free.exit_code, 2);
  EXPECT_NE(no_free.err.find("--free"), std::string::npos) << no_free.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "calibrated.yaml"));
}

}  // namespace
}  // namespace convsim::analysis
