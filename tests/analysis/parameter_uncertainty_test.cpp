// The split of a paired effect's uncertainty into seed noise and parameter uncertainty
// (split_uncertainty, docs/analysis.md "Parameter uncertainty"): against numpy/scipy, against
// closed forms, the fallbacks (no draws, too few replicates), and compare() on runs that carry
// their parameter draw in the stored scenario.
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convsim/analysis/compare.hpp"
#include "convsim/analysis/report.hpp"
#include "test_support.hpp"

namespace convsim::analysis {
namespace {

using convsim::testing::TempDir;
using ::testing::HasSubstr;

// d_r = a + b·z_r + N(0, sigma) for K free parameters z_r ~ N(mu_k, s_k).
struct Synthetic {
  std::vector<double> d;
  std::vector<std::vector<double>> z;
};

Synthetic synthetic(std::size_t n, double a, const std::vector<double>& b, double sigma, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Synthetic out;
  for (std::size_t r = 0; r < n; ++r) {
    std::vector<double> z;
    double d = a;
    for (std::size_t k = 0; k < b.size(); ++k) {
      z.push_back(0.5 + 0.1 * static_cast<double>(k + 1) * normal(engine));  // unstandardised, like real draws
      d += b[k] * z.back();
    }
    d += sigma * normal(engine);
    out.d.push_back(d);
    out.z.push_back(std::move(z));
  }
  return out;
}

TEST(ParameterUncertainty, MatchesNumpyAndScipy) {
  const Synthetic data = synthetic(40, 2.0, {5.0, -15.0, 0.0}, 0.7, 7);
  TempDir dir;
  {
    std::ofstream csv(dir / "d.csv");
    csv.precision(17);
    for (std::size_t r = 0; r < data.d.size(); ++r) {
      csv << data.d[r];
      for (double z : data.z[r]) csv << "," << z;
      csv << "\n";
    }
  }
  const auto python = convsim::testing::run_shell(std::string(CONVSIM_SYSTEM_PYTHON) + " '" + CONVSIM_SOURCE_DIR +
                                                  "/tests/data/uncertainty_reference.py' '" + (dir / "d.csv").string() +
                                                  "' 0.95");
  ASSERT_EQ(python.exit_code, 0) << python.err;
  std::istringstream lines(python.out);
  std::vector<double> reference;
  for (double x; lines >> x;) reference.push_back(x);
  ASSERT_EQ(reference.size(), 7u) << python.out;

  const UncertaintySplit split = split_uncertainty(data.d, data.z, 0.95);
  ASSERT_TRUE(split.separated) << split.note;
  ASSERT_TRUE(split.noise.available);
  ASSERT_TRUE(split.total.available);
  const auto near = [](double x, double y) { return std::abs(x - y) <= 1e-9 * std::max(1.0, std::abs(y)); };
  EXPECT_TRUE(near(split.noise_sd, reference[1])) << split.noise_sd << " vs " << reference[1];
  EXPECT_TRUE(near(split.parameter_variance, reference[2])) << split.parameter_variance << " vs " << reference[2];
  EXPECT_TRUE(near(split.noise.low, reference[3]));
  EXPECT_TRUE(near(split.noise.high, reference[4]));
  EXPECT_TRUE(near(split.total.low, reference[5]));
  EXPECT_TRUE(near(split.total.high, reference[6]));
  const double share = 1.0 - (reference[4] - reference[3]) / (reference[6] - reference[5]);
  EXPECT_TRUE(near(split.parameter_share, share));
  EXPECT_TRUE(split.note.empty());
}

TEST(ParameterUncertainty, RecoversAKnownSlopeAndNoise) {
  // Var_param = b² var(z) = 4² · 0.1² = 0.16 and sigma = 0.3 (z_0 has sd 0.1).
  const Synthetic data = synthetic(4000, 1.0, {4.0}, 0.3, 11);
  const UncertaintySplit split = split_uncertainty(data.d, data.z, 0.95);
  ASSERT_TRUE(split.separated);
  EXPECT_NEAR(split.noise_sd, 0.3, 0.3 * 0.05);
  EXPECT_NEAR(split.parameter_variance, 0.16, 0.16 * 0.1);
  // The total interval is about ± 1.96 · sqrt(0.16): the parameters dominate 4,000 replicates' noise.
  EXPECT_NEAR(0.5 * (split.total.high - split.total.low), 1.96 * 0.4, 0.1);
  EXPECT_GT(split.parameter_share, 0.95);
}

TEST(ParameterUncertainty, AnExactLinearResponseHasNoNoise) {
  // d = 3 + 2 z exactly: the residuals vanish, the total half-width is t(n-2) · sd(d).
  std::vector<double> d;
  std::vector<std::vector<double>> z;
  for (int r = 0; r < 12; ++r) {
    const double x = 0.1 * r * r - 0.3 * r;
    z.push_back({x});
    d.push_back(3.0 + 2.0 * x);
  }
  const UncertaintySplit split = split_uncertainty(d, z, 0.95);
  ASSERT_TRUE(split.separated);
  EXPECT_NEAR(split.noise.high - split.noise.low, 0.0, 1e-9);
  const double half = student_t_quantile(0.975, 10) * sample_sd(d);
  EXPECT_NEAR(0.5 * (split.total.high - split.total.low), half, 1e-9 * half);
  EXPECT_NEAR(split.parameter_share, 1.0, 1e-9);
}

TEST(ParameterUncertainty, WithoutDrawsTheTotalIntervalIsAbsent) {
  const Synthetic data = synthetic(10, 1.0, {}, 0.5, 3);
  const UncertaintySplit split = split_uncertainty(data.d, {}, 0.95);
  const Interval paired = mean_interval(data.d, 0.95);
  EXPECT_FALSE(split.total.available);
  EXPECT_EQ(split.note, "inputs carry no parameter draws");
  ASSERT_TRUE(split.noise.available);
  EXPECT_EQ(split.noise.low, paired.low);
  EXPECT_EQ(split.noise.high, paired.high);
  EXPECT_TRUE(std::isnan(split.parameter_share));
}

TEST(ParameterUncertainty, TooFewReplicatesFallBackToThePredictionInterval) {
  const Synthetic data = synthetic(7, 1.0, {2.0, 1.0, -1.0}, 0.5, 5);  // n = 7 < K + 5 = 8
  const UncertaintySplit split = split_uncertainty(data.d, data.z, 0.90);
  EXPECT_FALSE(split.separated);
  const Interval paired = mean_interval(data.d, 0.90);
  EXPECT_EQ(split.noise.low, paired.low);
  EXPECT_EQ(split.noise.high, paired.high);
  const double half = student_t_quantile(0.95, 6) * sample_sd(data.d) * std::sqrt(1.0 + 1.0 / 7.0);
  EXPECT_NEAR(split.total.high, sample_mean(data.d) + half, 1e-12);
  EXPECT_NEAR(split.total.low, sample_mean(data.d) - half, 1e-12);
  EXPECT_TRUE(std::isnan(split.parameter_share));
  EXPECT_THAT(split.note, HasSubstr("too few to separate"));
  EXPECT_THAT(split.note, HasSubstr("at least 8"));
}

//---- compare() on runs that carry their draw ----

// One replicate: output at the last step = level(z) + noise(seed) (+ effect(z) in the policy).
RunResult drawn_run(const std::string& name, std::uint64_t seed, long long draw, const std::vector<double>& z,
                    double value) {
  RunResult run;
  run.scenario_name = name;
  run.seed = seed;
  run.scenario_hash = name + std::to_string(seed);
  std::ostringstream yaml;
  yaml.precision(17);
  yaml << "name: " << name << "\nseed: " << seed << "\n";
  if (draw >= 0) {
    yaml << "adoption: {base_hazard: " << z[0] << "}\nsectors: {a: {role: converging}}\ncalibration:\n  method: fixture\n"
         << "  domain: {firms: 20000, sectors: [a]}\n  applied_draw:\n    index: " << draw
         << "\n    draws: 100\n    parameters: [hazard, share]\n    free_values: [" << z[0] << ", " << z[1]
         << "]\n    keys: [adoption.base_hazard]\n    held_keys: []\n";
  }
  run.scenario_yaml = yaml.str();
  run.time = {2000, 2001};
  run.sectors = {"a"};
  run.aggregate.push_back({"output", "1e8 KRW/year", "output", {100.0, value}});
  return run;
}

Comparison compare_drawn(bool with_draws) {
  std::mt19937_64 engine(17);
  std::normal_distribution<double> normal(0.0, 1.0);
  ArgumentRuns base{"base.h5", {}, {}}, policy{"policy.h5", {}, {}};
  for (int r = 0; r < 30; ++r) {
    const std::vector<double> z = {0.004 + 0.001 * normal(engine), 0.5 + 0.1 * normal(engine)};
    const double noise = normal(engine);
    const double base_value = 1000.0 + 50.0 * noise;
    const double effect = 10.0 + 4000.0 * (z[0] - 0.004) + 0.5 * normal(engine);
    const std::uint64_t seed = 100 + static_cast<std::uint64_t>(r);
    const long long draw = with_draws ? r : -1;
    base.runs.push_back(drawn_run("base", seed, draw, z, base_value));
    policy.runs.push_back(drawn_run("policy", seed, draw, z, base_value + effect));
    for (auto* argument : {&base, &policy}) {
      RunSource source;
      source.file = argument->argument;
      source.run_index = r;
      source.seed = seed;
      argument->sources.push_back(source);
    }
  }
  const ComparisonInput input = group_runs({base, policy});
  CompareOptions options;
  options.variables = {"output"};
  return compare(input, options);
}

TEST(ParameterUncertainty, CompareSplitsEffectsOfRunsWithDraws) {
  const Comparison comparison = compare_drawn(true);
  ASSERT_EQ(comparison.scenarios.size(), 2u);  // replicates that differ in their draw stay one scenario
  const Effect& effect = comparison.variables[0].scenarios[1].horizon_effect;
  EXPECT_EQ(effect.pairs, 30u);
  ASSERT_TRUE(effect.uncertainty.separated) << effect.uncertainty.note;
  // The effect's spread over draws is 4000 · 0.001 = 4, its noise 0.5: the parameters dominate.
  EXPECT_NEAR(effect.uncertainty.noise_sd, 0.5, 0.25);
  EXPECT_GT(effect.uncertainty.parameter_share, 0.5);
  EXPECT_GT(effect.uncertainty.total.high - effect.uncertainty.total.low,
            effect.uncertainty.noise.high - effect.uncertainty.noise.low);
  std::ostringstream json;
  write_comparison_json(comparison, json);
  EXPECT_THAT(json.str(), HasSubstr("\"ci_total\": ["));
  EXPECT_THAT(json.str(), HasSubstr("\"ci_noise\": ["));
  std::ostringstream table;
  write_comparison_table(comparison, table);
  EXPECT_THAT(table.str(), HasSubstr("% of the width)"));
  // The report shows both intervals and the parameters' share, and the calibration's domain.
  EXPECT_EQ(comparison.scenarios[1].drawn_replicates, 30u);
  std::ostringstream html;
  write_report_html(comparison, {}, html);
  EXPECT_THAT(html.str(), HasSubstr("CI, seed noise</th>"));
  EXPECT_THAT(html.str(), HasSubstr("CI, total (with parameter uncertainty)</th>"));
  char share[64];
  std::snprintf(share, sizeof share, "parameters: %.0f %% of the width", 100.0 * effect.uncertainty.parameter_share);
  EXPECT_THAT(html.str(), HasSubstr(share));
  EXPECT_THAT(html.str(), HasSubstr("<b>Calibration domain</b>: 20,000 firms; sectors a."));
  // The runs leave economy.firms at its default (100,000): a departure from the domain, in words.
  EXPECT_THAT(html.str(), HasSubstr("runs 100,000 firms; the calibration was fitted with 20,000 (economy.firms)"));
}

TEST(ParameterUncertainty, CompareWithoutDrawsGivesNoTotalInterval) {
  const Comparison comparison = compare_drawn(false);
  const Effect& effect = comparison.variables[0].scenarios[1].horizon_effect;
  EXPECT_FALSE(effect.uncertainty.total.available);
  EXPECT_EQ(effect.uncertainty.note, "inputs carry no parameter draws");
  EXPECT_EQ(effect.uncertainty.noise.low, effect.paired.low);  // `ci` is ci_noise here
  std::ostringstream json;
  write_comparison_json(comparison, json);
  EXPECT_THAT(json.str(), HasSubstr("\"ci_total\": null"));
  EXPECT_THAT(json.str(), HasSubstr("\"uncertainty_note\": \"inputs carry no parameter draws\""));
  std::ostringstream html;
  write_report_html(comparison, {}, html);
  EXPECT_THAT(html.str(), HasSubstr("inputs carry no parameter draws"));
}

TEST(CalibrationProvenance, NamesEachDepartureFromTheDomain) {
  const std::string yaml =
      "name: x\neconomy: {firms: 2000}\nsectors: {a: {role: network}, b: {role: converging}, c: {role: converging}}\n"
      "calibration:\n  method: m\n  overridden_keys: [adoption.base_hazard, sectors.a.tfp]\n"
      "  domain: {firms: 20000, sectors: [a], fitting_seeds: [1, 2], revision: git abc1234}\n";
  const CalibrationProvenance provenance = calibration_provenance(yaml);
  EXPECT_EQ(provenance.domain, "20,000 firms; sectors a; fitting seeds 1, 2; revision git abc1234");
  ASSERT_EQ(provenance.warnings.size(), 3u);
  EXPECT_THAT(provenance.warnings[0], HasSubstr("overrides the calibrated values of adoption.base_hazard, sectors.a.tfp"));
  EXPECT_EQ(provenance.warnings[1], "runs 2,000 firms; the calibration was fitted with 20,000 (economy.firms)");
  EXPECT_THAT(provenance.warnings[2], HasSubstr("has sectors b, c that the calibration did not fit"));
}

TEST(CalibrationProvenance, WithinTheDomainThereIsNothingToSay) {
  const CalibrationProvenance inside = calibration_provenance(
      "name: x\neconomy: {firms: 20000}\nsectors: {a: {role: network}}\ncalibration: {domain: {firms: 20000, sectors: [a]}}\n");
  EXPECT_TRUE(inside.warnings.empty());
  const CalibrationProvenance none = calibration_provenance("name: x\ncalibration: {method: m}\n");
  EXPECT_EQ(none.domain, "the calibration records no domain (firms, sectors, fitting seeds)");
  EXPECT_TRUE(none.warnings.empty());
  EXPECT_TRUE(calibration_provenance("name: x\n").domain.empty());  // not calibrated: the report says so elsewhere
}

}  // namespace
}  // namespace convsim::analysis
