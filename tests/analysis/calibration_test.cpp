// Calibration by the method of simulated moments: reading targets, external moments and settings
// (errors name file, line and key), the efficient loss, determinism, fitting and validation seeds,
// the report, the calibrated file, and recovering known parameters (with standard errors checked
// against a second computation) from their own simulated statistics on a tiny economy.
#include <cmath>
#include <vector>
#include <algorithm>
#include <sstream>
#include <fstream>
#include <string>

#include <Eigen/Dense>
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
  s.validation_replicates = 2;
  s.profile_points = 3;
  s.parameter_draws = 10;
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

// The shipped external moments are the PWT statistics they claim to be: recomputed here from the CSV.
TEST(ExternalMoments, ShippedValuesMatchThePennWorldTable) {
  CalibrationTargets targets = paper_targets();
  load_external_moments(convsim::testing::source_path("data/korea_external_moments.yaml"), targets);
  ASSERT_EQ(targets.external.size(), 3u);
  std::ifstream csv(convsim::testing::source_path("data/pwt101_korea_1990_2009.csv"));
  std::string line;
  std::vector<std::string> header;
  std::vector<double> gdp, labour_share;
  while (std::getline(csv, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    if (header.empty()) {
      header = cells;
      continue;
    }
    auto column = [&](const std::string& name) {
      return std::stod(cells.at(static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin())));
    };
    gdp.push_back(column("rgdpna"));
    labour_share.push_back(column("labsh"));
  }
  ASSERT_EQ(gdp.size(), 20u);
  std::vector<double> growth;
  for (std::size_t t = 1; t < gdp.size(); ++t) growth.push_back(std::log(gdp[t] / gdp[t - 1]));
  double mean = 0, squares = 0, share = 0;
  for (const double g : growth) mean += g / static_cast<double>(growth.size());
  for (const double g : growth) squares += (g - mean) * (g - mean);
  for (const double l : labour_share) share += l / static_cast<double>(labour_share.size());
  const double sd = std::sqrt(squares / static_cast<double>(growth.size() - 1));
  EXPECT_EQ(targets.external[0].statistic, ExternalStatistic::output_growth_sd);
  EXPECT_NEAR(targets.external[0].value, sd, 5e-6);
  EXPECT_EQ(targets.external[1].statistic, ExternalStatistic::labour_share);
  EXPECT_NEAR(targets.external[1].value, share, 5e-5);
  EXPECT_EQ(targets.external[2].first_year, 2007);
  EXPECT_NEAR(targets.external[2].value, 0.40 * 0.79, 1e-3);  // data/korea_internet_usage.yaml, 2007
}

TEST(ExternalMoments, ErrorsNameFileLineAndKey) {
  TempDir dir;
  CalibrationTargets targets = paper_targets();
  const auto path = dir / "moments.yaml";
  write_text(path, "moments:\n  m: {statistic: gdp_level, years: [1990, 2009], value: 1}\n");
  expect_input_error([&] { load_external_moments(path, targets); }, "moments.yaml", 2, "moments.m.statistic");
  write_text(path, "moments:\n  m:\n    statistic: output_growth_sd\n    years: [2000, 2001]\n    value: 1\n");
  expect_input_error([&] { load_external_moments(path, targets); }, "moments.yaml", 4, "moments.m.years");
  write_text(path, "moments:\n  m:\n    statistic: labour_share\n    years: [1990, 2009]\n    value: x\n");
  expect_input_error([&] { load_external_moments(path, targets); }, "moments.yaml", 5, "moments.m.value");
  write_text(path, "moments:\n  m: {statistic: labour_share, years: [1990, 2009], value: 0.5, measurement_sd: -1}\n");
  expect_input_error([&] { load_external_moments(path, targets); }, "moments.yaml", 2, "moments.m.measurement_sd");
}

TEST(CalibrationSettings, ReadsTheShippedFreeParameters) {
  const CalibrationSettings s =
      load_calibration_settings(convsim::testing::source_path("scenarios/calibration/free_parameters.yaml"));
  ASSERT_FALSE(s.free.empty());
  EXPECT_GT(s.budget, 0);
  // The shipped calibration keeps the method's promises: >= 20 fitting replicates, >= 30 validation
  // seeds disjoint from them, the efficient weighting (no hand-set weight), the external moments.
  EXPECT_GE(s.replicates, 20);
  EXPECT_GE(s.validation_replicates, 30);
  EXPECT_GE(s.validation_seed_offset, s.replicates);
  for (const auto& [group, weight] : s.group_weights) EXPECT_EQ(weight, 1.0) << group;
  EXPECT_TRUE(s.target_weights.empty());
  EXPECT_TRUE(std::filesystem::exists(s.external_moments)) << s.external_moments;
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
  write_text(path, "calibration:\n  replicates: 20\n  validation_seed_offset: 5\n");
  expect_input_error([&] { load_calibration_settings(path); }, "free.yaml", 3, "calibration.validation_seed_offset");
  write_text(path, "calibration:\n  weighting: optimal\n");
  expect_input_error([&] { load_calibration_settings(path); }, "free.yaml", 2, "calibration.weighting");
  write_text(path, "calibration:\n  external_moments: missing.yaml\n");
  expect_input_error([&] { load_calibration_settings(path); }, "free.yaml", 2, "calibration.external_moments");
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
  ASSERT_EQ(one.mean.size(), two.mean.size());
  for (std::size_t i = 0; i < one.mean.size(); ++i) {
    // Bit-identical, NaN (validation targets of a fitting evaluation) included.
    EXPECT_TRUE(one.mean[i] == two.mean[i] || (std::isnan(one.mean[i]) && std::isnan(two.mean[i]))) << i;
    EXPECT_EQ(std::isnan(one.mean[i]), !problem.targets()[i].fitted) << i;
  }
  EXPECT_EQ(one.valid_replicates, 2) << one.failure;
}

TEST(CalibrationProblem, ReportListsEveryTargetWithBandAndTable3) {
  const CalibrationProblem problem(tiny_document(), paper_targets(), two_parameter_settings(0.3, 0.4));
  const Evaluation fit = problem.evaluate(problem.start(), 2);
  const Evaluation validation = problem.evaluate(problem.start(), 2, Sample::validation);
  ASSERT_EQ(fit.mean.size(), problem.targets().size());
  const std::string report = calibration_report(problem, fit);
  const std::string validated = calibration_report(problem, validation);
  for (const TargetSpec& t : problem.targets()) {
    // Table 3 is a validation target: computed on the validation seeds only, never in the loss.
    EXPECT_EQ(std::isfinite(fit.mean[&t - problem.targets().data()]), t.fitted) << t.name;
    if (t.fitted) {
      EXPECT_NE(report.find("| " + t.name + " |"), std::string::npos) << t.name;
    }
    EXPECT_NE(validated.find("| " + t.name + " |"), std::string::npos) << t.name;
  }
  EXPECT_NE(report.find("| target | published | simulated mean | sd | 95 % band | in band | z | loss |"), std::string::npos);
  EXPECT_NE(report.find("Fitting seeds 7..8"), std::string::npos) << report;
  EXPECT_NE(validated.find("Validation seeds 1007..1008"), std::string::npos) << validated;
  EXPECT_NE(validated.find("| output 2016 |"), std::string::npos);
  EXPECT_NE(validated.find("(validation) |"), std::string::npos);
  EXPECT_TRUE(projection_table(problem, fit).empty());
  const std::string table = projection_table(problem, validation);
  EXPECT_NE(table.find("| 2013 | 807 | 807 | +0.0 % | 40 |"), std::string::npos) << table;
  EXPECT_NE(table.find("| 2020 | 1490 |"), std::string::npos);
  EXPECT_NE(table.find("Every year within 5 %"), std::string::npos);
}

// The loss is the efficient quadratic form: sum over fitted moments of (p - m)² / V with
// V = (1 + 1/R) sd² + measurement sd², recomputed here from the per-run values.
TEST(CalibrationProblem, LossWeighsEachMomentByItsSimulatedVariance) {
  const CalibrationProblem problem(tiny_document(), paper_targets(), two_parameter_settings(0.3, 0.4));
  const int R = 3;
  const Evaluation e = problem.evaluate(problem.start(), R);
  ASSERT_EQ(e.valid_replicates, R) << e.failure;
  double loss = 0;
  for (const std::size_t i : problem.fitted()) {
    double mean = 0;
    for (int r = 0; r < R; ++r) mean += e.values[static_cast<std::size_t>(r)][i] / R;
    double squares = 0;
    for (int r = 0; r < R; ++r) squares += std::pow(e.values[static_cast<std::size_t>(r)][i] - mean, 2);
    const double variance = (1.0 + 1.0 / R) * squares / (R - 1);
    const double floor = 1e-3 * std::max(std::abs(problem.targets()[i].published), 0.01);
    loss += std::pow(problem.targets()[i].published - mean, 2) / std::max(variance, floor * floor);
  }
  EXPECT_NEAR(e.loss, loss, 1e-9 * loss);
  // The shapes of Table 2 are unit-free: median - mean of ln L is the same in any units.
  const std::size_t shape = [&] {
    for (std::size_t i = 0; i < problem.targets().size(); ++i) {
      if (problem.targets()[i].name == "median-mean ln L") return i;
    }
    return problem.targets().size();
  }();
  ASSERT_LT(shape, problem.targets().size());
  EXPECT_DOUBLE_EQ(problem.targets()[shape].published, 10.33 - 10.36);
}

// weighting: full uses the whole covariance of the gaps when there are more than twice as many
// replicates as moments: the loss is gap' V^-1 gap, recomputed here with another solver.
TEST(CalibrationProblem, FullWeightingUsesTheWholeCovariance) {
  CalibrationSettings settings = two_parameter_settings(0.3, 0.4);
  settings.weighting = "full";
  const CalibrationProblem problem(tiny_document(), paper_targets(), settings);
  const std::size_t m = problem.fitted().size();
  const int R = static_cast<int>(2 * m + 1);
  const Evaluation e = problem.evaluate(problem.start(), R);
  ASSERT_EQ(e.valid_replicates, R) << e.failure;
  EXPECT_TRUE(e.full_weighting);
  Eigen::MatrixXd V(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(m));
  Eigen::VectorXd gap(static_cast<Eigen::Index>(m));
  std::vector<double> mean(m, 0.0);
  for (std::size_t a = 0; a < m; ++a) {
    for (int r = 0; r < R; ++r) mean[a] += e.values[static_cast<std::size_t>(r)][problem.fitted()[a]] / R;
    gap(static_cast<Eigen::Index>(a)) = problem.targets()[problem.fitted()[a]].published - mean[a];
  }
  for (std::size_t a = 0; a < m; ++a) {
    for (std::size_t b = 0; b < m; ++b) {
      double sum = 0;
      for (int r = 0; r < R; ++r) {
        const auto& row = e.values[static_cast<std::size_t>(r)];
        sum += (row[problem.fitted()[a]] - mean[a]) * (row[problem.fitted()[b]] - mean[b]);
      }
      V(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) = (1.0 + 1.0 / R) * sum / (R - 1);
    }
    // The diagonal is floored as in the diagonal weighting (no measurement error in these targets).
    const double floor = 1e-3 * std::max(std::abs(problem.targets()[problem.fitted()[a]].published), 0.01);
    auto& d = V(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(a));
    d = std::max(d, floor * floor);
  }
  const double loss = gap.dot(V.fullPivLu().solve(gap));
  EXPECT_NEAR(e.loss, loss, 1e-6 * loss);
  // With too few replicates for the full covariance, the diagonal weighting is used.
  EXPECT_FALSE(problem.evaluate(problem.start(), 3).full_weighting);
}

// The fitting runs stop at 2009 (the last fitted year): the years after cannot change the years
// before, so the fitted statistics equal those of the same seeds run to 2020.
TEST(CalibrationProblem, FittingRunsStopEarlyWithoutChangingTheFittedStatistics) {
  CalibrationSettings settings = two_parameter_settings(0.3, 0.4);
  settings.validation_seed_offset = 0;  // validation seeds = fitting seeds, for this comparison only
  const CalibrationProblem problem(tiny_document(), paper_targets(), settings);
  EXPECT_EQ(problem.scenario_at(problem.start(), 0).time.end_year, 2009);
  EXPECT_EQ(problem.scenario_at(problem.start(), 0, Sample::validation).time.end_year, 2020);
  const Evaluation fit = problem.evaluate(problem.start(), 2);
  const Evaluation full = problem.evaluate(problem.start(), 2, Sample::validation);
  for (const std::size_t i : problem.fitted()) EXPECT_EQ(fit.mean[i], full.mean[i]) << problem.targets()[i].name;
  EXPECT_EQ(fit.loss, full.loss);
}

//---- recovering a synthetic truth ----

TEST(Calibration, RecoversKnownParametersFromTheirOwnStatistics) {
  const std::vector<double> truth = {0.6, 0.5};
  // Targets: the statistics the tiny economy produces at the truth (same seeds: common random numbers).
  const CalibrationProblem generator(tiny_document(), paper_targets(), two_parameter_settings(0.6, 0.5));
  const int R = 4;
  const Evaluation at_truth = generator.evaluate(truth, R);
  ASSERT_EQ(at_truth.valid_replicates, R) << at_truth.failure;
  const CalibrationTargets synthetic = synthetic_targets(generator, at_truth);

  CalibrationSettings settings = two_parameter_settings(0.2, 0.3);
  settings.replicates = R;
  settings.budget = 60;
  // In a 1,500-firm economy the log regressors are nearly collinear and the coefficients swing by
  // several units between nearby parameter values; every other statistic identifies the truth.
  settings.group_weights["coefficients"] = 0;
  const CalibrationProblem problem(tiny_document(), synthetic, settings);
  EXPECT_LT(problem.evaluate(truth, R).loss, 1e-9);
  EXPECT_GT(problem.evaluate(problem.start(), R).loss, 1.0);

  const CalibrationResult result = calibrate(problem);
  EXPECT_LE(result.evaluations, settings.budget);
  EXPECT_LT(result.best.loss, result.at_start.loss);
  EXPECT_NEAR(result.best.parameters[0], truth[0], 0.15 * truth[0]) << result.algorithms;
  EXPECT_NEAR(result.best.parameters[1], truth[1], 0.15 * truth[1]) << result.algorithms;

  // Diagnostics. The sandwich with the efficient weighting is (G' V^-1 G)^-1: recomputed here from
  // the reported Jacobian (parameter units) and the moment variances at the estimate.
  const CalibrationDiagnostics& d = result.diagnostics;
  ASSERT_EQ(d.parameters.size(), 2u);
  ASSERT_EQ(d.jacobian.size(), problem.fitted().size());
  Eigen::MatrixXd information = Eigen::MatrixXd::Zero(2, 2);
  for (std::size_t a = 0; a < problem.fitted().size(); ++a) {
    const double v = result.best.variance[problem.fitted()[a]];
    for (int k = 0; k < 2; ++k) {
      for (int l = 0; l < 2; ++l) information(k, l) += d.jacobian[a][static_cast<std::size_t>(k)] * d.jacobian[a][static_cast<std::size_t>(l)] / v;
    }
  }
  const Eigen::MatrixXd covariance = information.inverse();
  for (int k = 0; k < 2; ++k) {
    const ParameterEstimate& p = d.parameters[static_cast<std::size_t>(k)];
    EXPECT_NEAR(p.standard_error, std::sqrt(covariance(k, k)), 1e-6 * std::sqrt(covariance(k, k))) << k;
    EXPECT_GT(p.standard_error, 0) << k;
    EXPECT_LE(p.lower95, p.value);
    EXPECT_GE(p.upper95, p.value);
    ASSERT_EQ(p.profile.size(), 3u);  // profile_points
    double highest = -1e300, lowest = 1e300;
    for (const auto& [value, loss] : p.profile) {
      highest = std::max(highest, loss);
      lowest = std::min(lowest, loss);
    }
    EXPECT_DOUBLE_EQ(p.profile_rise, std::max(0.0, highest - result.best.loss));
    EXPECT_DOUBLE_EQ(p.profile_drop, std::max(0.0, result.best.loss - lowest));
  }
  // At the synthetic truth the model is not rejected by its own statistics.
  EXPECT_EQ(d.degrees_of_freedom, static_cast<int>(problem.fitted().size()) - 2);
  EXPECT_GT(d.p_value, 0.05) << d.j_statistic;
  // Draws: within the bounds, as many as asked, not all equal.
  ASSERT_EQ(d.draws.size(), 10u);
  for (const auto& draw : d.draws) {
    EXPECT_GE(draw[0], 0.05);
    EXPECT_LE(draw[0], 2.0);
    EXPECT_GE(draw[1], 0.1);
    EXPECT_LE(draw[1], 0.9);
  }
  EXPECT_NE(d.draws[0], d.draws[1]);
  // Validation on other seeds: every statistic, Table 3 included.
  EXPECT_EQ(result.validation.sample, Sample::validation);
  EXPECT_EQ(result.validation.valid_replicates, 2) << result.validation.failure;
  EXPECT_TRUE(std::isfinite(worst_projection_error(problem, result.validation)));
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
             "calibration: {budget: 4, replicates: 2, validation_replicates: 2, profile_points: 2, parameter_draws: 3,\n"
             "              optimizer: {global: none}}\n"
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

  const auto check = convsim::testing::run_convsim("calibrate " + common + " --check --replicates 2 --validation-replicates 2 --apply '" +
                                                   (dir / "calibrated.yaml").string() + "' -q");
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_NE(check.out.find("| 2020 | 1490 |"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("## Fit on the fitting seeds"), std::string::npos);
  EXPECT_NE(check.out.find("## Validation on other seeds"), std::string::npos);
  EXPECT_NE(check.out.find("**J test of over-identification:**"), std::string::npos);
  EXPECT_NE(check.out.find("Calibration domain (" + (dir / "calibrated.yaml").string() + "): 1500 firms, 4 sectors"),
            std::string::npos) << check.out;
  EXPECT_EQ(check.out.find("**Warning:**"), std::string::npos) << check.out;
  // The calibrated file carries the estimator's record and its parameter draws.
  EXPECT_NE(calibrated.find("  j_statistic: "), std::string::npos);
  EXPECT_NE(calibrated.find("  domain:\n    firms: 1500\n"), std::string::npos) << calibrated;
  EXPECT_NE(calibrated.find("  parameter_draws:\n"), std::string::npos);
  EXPECT_NE(calibrated.find("  caveats:\n    - \"b_L against the labour share. "), std::string::npos) << calibrated;
  EXPECT_NE(calibrated.find("  parameters: [adoption.peer_effect, initial_convergence]\n"), std::string::npos) << calibrated;
  // Departing from the calibrated domain is said where the reader looks.
  const auto other = convsim::testing::run_convsim("calibrate " + common + " --check --replicates 2 --validation-replicates 2 --apply '" +
                                                   (dir / "calibrated.yaml").string() + "' --firms 1000 --set adoption.peer_effect=0.5 -q");
  EXPECT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(other.out.find("**Warning:** this economy has 1000 firms, the calibration 1500"), std::string::npos) << other.out;
  EXPECT_NE(other.out.find("**Warning:** 1 calibrated key is overridden, so this is not the calibrated model: adoption.peer_effect (<command line>"),
            std::string::npos) << other.out;
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
             "calibration: {budget: 2, replicates: 2, validation_replicates: 2, profile_points: 0, parameter_draws: 0,\n"
             "              optimizer: {global: none}}\n"
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
