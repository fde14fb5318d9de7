// Tests of scenario comparison on synthetic results with a known effect: the paired interval holds
// the true effect (and covers it about 95 % of the time), is narrower than the unpaired one when
// the noise is common to both scenarios, identical scenarios differ by exactly zero, one replicate
// gives no interval, and mismatched or foreign inputs are refused.
#include "convsim/analysis/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convsim/analysis/report.hpp"
#include "convsim/errors.hpp"
#include "convsim/result_file.hpp"
#include "input_error.hpp"
#include "test_support.hpp"

namespace convsim::analysis {
namespace {

using convsim::testing::TempDir;
using ::testing::HasSubstr;

//---- synthetic results ----

// How a synthetic replicate is made: y(t) = level + trend t + common noise(seed) + own noise + effect.
struct Synthetic {
  std::string name = "base";
  std::string description = "synthetic baseline";
  std::uint64_t seed = 1;
  double effect = 0.0;        // added to every variable at every step after the first
  double common_sd = 50.0;    // noise shared by every scenario run with this seed (common random numbers)
  double own_sd = 1.0;        // noise of this scenario alone
  std::uint64_t own_stream = 0;  // distinguishes scenarios' own noise
  std::size_t steps = 6;
  int steps_per_year = 1;
  std::vector<std::string> sectors = {"contents", "health_care", "energy"};
  std::string output_units = "1e8 KRW/year";
  std::string extra_yaml;
};

RunResult make_run(const Synthetic& spec) {
  RunResult run;
  run.title = "convsim " + spec.name;
  run.scenario_name = spec.name;
  run.scenario_yaml = "name: " + spec.name + "\ndescription: " + spec.description + "\nseed: " +
                      std::to_string(spec.seed) + "\neconomy:\n  firms: 100\n" + spec.extra_yaml;
  run.scenario_hash = spec.name + "-" + std::to_string(spec.seed);
  run.seed = spec.seed;
  run.steps_per_year = spec.steps_per_year;
  const std::size_t T = spec.steps;
  const std::size_t S = spec.sectors.size();
  for (std::size_t t = 0; t < T; ++t) run.time.push_back(2000.0 + static_cast<double>(t) / spec.steps_per_year);
  run.sectors = spec.sectors;
  run.sector_roles.assign(S, "converging");
  std::mt19937_64 common(spec.seed);
  std::mt19937_64 own(spec.seed * 1000003ULL + spec.own_stream);
  // One distribution per engine: a normal_distribution caches its second draw, which would leak
  // common noise into "own" noise.
  std::normal_distribution<double> common_normal(0.0, 1.0);
  std::normal_distribution<double> own_normal(0.0, 1.0);
  std::vector<double> by_sector(T * S);
  std::vector<double> output(T);
  std::vector<double> jobs(T);
  for (std::size_t t = 0; t < T; ++t) {
    double total = 0;
    for (std::size_t s = 0; s < S; ++s) {
      const double shared = spec.common_sd * common_normal(common);
      const double alone = spec.own_sd * own_normal(own);
      const double effect = t > 0 ? spec.effect / static_cast<double>(S) : 0.0;
      by_sector[t * S + s] = 100.0 + 10.0 * static_cast<double>(t) + shared + alone + effect;
      total += by_sector[t * S + s];
    }
    output[t] = total;
    jobs[t] = 2.0 * total;
  }
  run.aggregate.push_back({"output", spec.output_units, "gross output", output});
  run.aggregate.push_back({"employment", "person", "employment", jobs});
  run.by_sector.push_back({"output", spec.output_units, "gross output", by_sector});
  run.convergence.push_back({"output", spec.output_units, "converged output", output});
  std::vector<double> barrier(T * S, 0.5);
  if (spec.effect != 0) {
    for (std::size_t t = 2; t < T; ++t) barrier[t * S + 1] = 0.1;
  }
  run.policy.push_back({"infrastructure", "1", "infrastructure", std::vector<double>(T, 1.0)});
  run.policy_by_sector.push_back({"barrier", "1", "barrier", barrier});
  if (spec.effect != 0) {
    PolicyEventRecord event;
    event.name = "telemedicine";
    event.lever = "barrier";
    event.sectors = "health_care";
    event.mode = "set";
    event.at = 2002;
    event.until = std::nan("");
    event.value = 0.1;
    run.events.push_back(event);
  }
  return run;
}

// The same replicates in memory, as one command-line argument.
ArgumentRuns argument_of(const std::string& label, const std::vector<RunResult>& runs) {
  ArgumentRuns argument;
  argument.argument = label;
  for (const auto& run : runs) {
    argument.runs.push_back(run);
    RunSource source;
    source.file = label + "_s" + std::to_string(run.seed) + ".h5";
    source.seed = run.seed;
    source.scenario_hash = run.scenario_hash;
    argument.sources.push_back(source);
  }
  return argument;
}

std::vector<RunResult> replicates(Synthetic spec, int count, std::uint64_t first_seed = 1) {
  std::vector<RunResult> runs;
  for (int r = 0; r < count; ++r) {
    spec.seed = first_seed + static_cast<std::uint64_t>(r);
    runs.push_back(make_run(spec));
  }
  return runs;
}

// Writes each run to DIR/<prefix>_s<seed>.h5 and returns "a,b,c".
std::string write_runs(const TempDir& dir, const std::string& prefix, const std::vector<RunResult>& runs) {
  std::string list;
  for (const auto& run : runs) {
    const auto path = dir / (prefix + "_s" + std::to_string(run.seed) + ".h5");
    write_result(run, path, ResultWriteOptions{4, "2024-01-01T00:00:00Z", false});
    list += (list.empty() ? "" : ",") + path.string();
  }
  return list;
}

using convsim::testing::input_error_of;

const VariableComparison& variable_named(const Comparison& comparison, const std::string& name) {
  for (const auto& variable : comparison.variables) {
    if (variable.name == name) return variable;
  }
  throw std::runtime_error("no variable " + name);
}

//---- statistics ----

TEST(CompareStatistics, StudentTQuantilesMatchTables) {
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.706204736, 1e-8);
  EXPECT_NEAR(student_t_quantile(0.975, 10), 2.228138852, 1e-8);
  EXPECT_NEAR(student_t_quantile(0.975, 19), 2.093024054, 1e-8);
  EXPECT_NEAR(student_t_quantile(0.05, 4), -2.131846786, 1e-8);
}

TEST(CompareStatistics, QuantilesInterpolateLikeNumpy) {
  const std::vector<double> values = {4, 1, 3, 2, 10};
  EXPECT_DOUBLE_EQ(sample_quantile(values, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(sample_quantile(values, 1.0), 10.0);
  EXPECT_DOUBLE_EQ(sample_quantile(values, 0.5), 3.0);
  EXPECT_DOUBLE_EQ(sample_quantile(values, 0.05), 1.2);   // numpy.quantile([4,1,3,2,10], 0.05)
  EXPECT_DOUBLE_EQ(sample_quantile(values, 0.95), 8.8);   // numpy.quantile([4,1,3,2,10], 0.95)
  EXPECT_TRUE(std::isnan(sample_quantile({}, 0.5)));
}

TEST(CompareStatistics, MeanIntervalByHand) {
  // mean 2, sd 1, n 3: half width t(0.975, 2) / sqrt(3) = 4.302652730 / 1.732050808.
  const Interval interval = mean_interval({1, 2, 3}, 0.95);
  ASSERT_TRUE(interval.available);
  EXPECT_NEAR(interval.half_width(), 4.302652730 / std::sqrt(3.0), 1e-8);
  EXPECT_NEAR(0.5 * (interval.low + interval.high), 2.0, 1e-12);
}

TEST(CompareStatistics, WelchIntervalByHand) {
  // a: mean 2, var 1, n 3; b: mean 10, var 5, n 5. se^2 = 1/3 + 5/5; df by Welch-Satterthwaite.
  const Interval interval = welch_interval({1, 2, 3}, {7, 9, 10, 11, 13}, 0.95);
  ASSERT_TRUE(interval.available);
  const double va = 1.0 / 3.0;
  const double vb = 1.0;
  const double df = (va + vb) * (va + vb) / (va * va / 2 + vb * vb / 4);
  const double half = student_t_quantile(0.975, df) * std::sqrt(va + vb);
  EXPECT_NEAR(interval.low, -8.0 - half, 1e-10);
  EXPECT_NEAR(interval.high, -8.0 + half, 1e-10);
}

TEST(CompareStatistics, NoIntervalBelowTwoValues) {
  const Interval one = mean_interval({5.0}, 0.95);
  EXPECT_FALSE(one.available);
  EXPECT_EQ(one.reason, "no interval (1 replicate)");
  EXPECT_TRUE(std::isnan(one.half_width()));
  EXPECT_FALSE(welch_interval({1.0}, {1.0, 2.0}, 0.95).available);
}

//---- scopes and grouping ----

TEST(CompareScopeTest, ParsesTheThreeScopes) {
  EXPECT_EQ(parse_scope("total").kind, ScopeKind::total);
  EXPECT_EQ(parse_scope("convergence").kind, ScopeKind::convergence);
  const CompareScope sector = parse_scope("sector:health_care");
  EXPECT_EQ(sector.kind, ScopeKind::sector);
  EXPECT_EQ(sector.sector, "health_care");
  EXPECT_EQ(sector.label(), "sector:health_care");
  const InputError error = input_error_of([] { parse_scope("sectors"); });
  EXPECT_EQ(error.key(), "--scope");
  EXPECT_THAT(error.detail(), HasSubstr("sector:NAME"));
}

TEST(CompareGrouping, LabelsSameNamedScenariosByWhatDiffers) {
  Synthetic base;
  Synthetic policy;
  policy.effect = 3;
  policy.extra_yaml = "sectors:\n  health_care:\n    barrier: 0.0\n";
  policy.own_stream = 7;
  const ComparisonInput input = group_runs({argument_of("base", replicates(base, 2)), argument_of("policy", replicates(policy, 2))});
  ASSERT_EQ(input.scenarios.size(), 2u);
  EXPECT_EQ(input.scenarios[0].label, "base");
  EXPECT_EQ(input.scenarios[1].label, "base (sectors.health_care.barrier=0.0)");
  EXPECT_EQ(input.scenarios[0].description, "synthetic baseline");
}

TEST(CompareGrouping, RefusesTwoRunsOfOneScenarioWithTheSameSeed) {
  Synthetic base;
  std::vector<RunResult> runs = replicates(base, 2);
  runs.push_back(runs.front());
  const InputError error = input_error_of([&] { group_runs({argument_of("base", runs), argument_of("p", replicates(base, 2))}); });
  EXPECT_THAT(error.detail(), HasSubstr("same seed 1"));
}

TEST(CompareGrouping, RefusesABaselineArgumentWithSeveralScenariosUnlessNamed) {
  Synthetic base;
  Synthetic other;
  other.name = "other";
  std::vector<RunResult> mixed = replicates(base, 2);
  for (auto& run : replicates(other, 2)) mixed.push_back(run);
  const InputError error = input_error_of([&] { group_runs({argument_of("sweep", mixed)}); });
  EXPECT_THAT(error.detail(), HasSubstr("--baseline-scenario"));
  const ComparisonInput input = group_runs({argument_of("sweep", mixed)}, LoadOptions{"other", {}, {}});
  ASSERT_EQ(input.scenarios.size(), 2u);
  EXPECT_EQ(input.scenarios[0].name, "other");
  EXPECT_EQ(input.scenarios[1].name, "base");
}

// --scenarios keeps the named scenarios of a merged sweep and refuses a name it does not hold.
TEST(CompareGrouping, ScenariosKeepsTheNamedOnes) {
  Synthetic base;
  Synthetic other;
  other.name = "other";
  Synthetic third;
  third.name = "third";
  std::vector<RunResult> mixed = replicates(base, 2);
  for (auto& run : replicates(other, 2)) mixed.push_back(run);
  for (auto& run : replicates(third, 2)) mixed.push_back(run);
  LoadOptions options{"base", {}, {}};
  options.scenarios = {"base", "third"};
  const ComparisonInput input = group_runs({argument_of("sweep", mixed)}, options);
  ASSERT_EQ(input.scenarios.size(), 2u);
  EXPECT_EQ(input.scenarios[0].name, "base");
  EXPECT_EQ(input.scenarios[1].name, "third");
  options.scenarios = {"base", "fourth"};
  const InputError error = input_error_of([&] { group_runs({argument_of("sweep", mixed)}, options); });
  EXPECT_EQ(error.key(), "--scenarios");
  EXPECT_THAT(error.detail(), HasSubstr("fourth"));
}

TEST(CompareGrouping, WhereKeepsTheRunsOfOneDesignPoint) {
  Synthetic low;
  low.extra_yaml = "adoption:\n  peer_effect: 0.2\n";
  Synthetic high = low;
  high.extra_yaml = "adoption:\n  peer_effect: 0.5\n";
  Synthetic policy = high;
  policy.name = "policy";
  std::vector<RunResult> both = replicates(low, 2);
  for (auto& run : replicates(high, 2)) both.push_back(run);
  const InputError ambiguous =
      input_error_of([&] { group_runs({argument_of("base", both), argument_of("p", replicates(policy, 2))}); });
  EXPECT_THAT(ambiguous.detail(), HasSubstr("2 different scenarios"));
  const ComparisonInput input = group_runs({argument_of("base", both), argument_of("p", replicates(policy, 2))},
                                           LoadOptions{"", {"adoption.peer_effect=.5"}, {}});
  ASSERT_EQ(input.scenarios.size(), 2u);
  EXPECT_EQ(input.scenarios[0].runs.size(), 2u);
  EXPECT_THAT(input.scenarios[0].runs[0].scenario_yaml, HasSubstr("peer_effect: 0.5"));
  const InputError unknown = input_error_of([&] {
    group_runs({argument_of("base", both), argument_of("p", replicates(policy, 2))}, LoadOptions{"", {"nothing.here=1"}, {}});
  });
  EXPECT_EQ(unknown.key(), "--where");
  const InputError malformed = input_error_of([&] {
    group_runs({argument_of("base", both), argument_of("p", replicates(policy, 2))}, LoadOptions{"", {"peer"}, {}});
  });
  EXPECT_THAT(malformed.detail(), HasSubstr("KEY=VALUE"));
}

//---- the comparison ----

TEST(Compare, PairedIntervalHoldsTheKnownEffectAndIsNarrowerThanUnpaired) {
  TempDir dir;
  Synthetic base;
  Synthetic policy = base;
  policy.name = "policy";
  policy.effect = 30.0;
  policy.own_stream = 99;
  const std::string base_files = write_runs(dir, "base", replicates(base, 10));
  const std::string policy_files = write_runs(dir, "policy", replicates(policy, 10));
  const ComparisonInput input = load_comparison({base_files, policy_files});
  CompareOptions options;
  options.variables = {"output"};
  const Comparison comparison = compare(input, options);
  const ScenarioVariable& row = variable_named(comparison, "output").scenarios.at(1);
  const Effect& effect = row.horizon_effect;
  EXPECT_EQ(effect.pairs, 10u);
  ASSERT_TRUE(effect.paired.available);
  EXPECT_LE(effect.paired.low, 30.0);
  EXPECT_GE(effect.paired.high, 30.0);
  ASSERT_TRUE(effect.unpaired.available);
  EXPECT_LE(effect.unpaired.low, 30.0);
  EXPECT_GE(effect.unpaired.high, 30.0);
  // Common noise of sd 50 per sector against own noise of sd 1: pairing removes almost all of it.
  EXPECT_LT(5.0 * effect.paired.half_width(), effect.unpaired.half_width());
  // Cumulative effect: 30 per step after the first, over 6 annual steps.
  EXPECT_LE(row.cumulative_effect.paired.low, 150.0);
  EXPECT_GE(row.cumulative_effect.paired.high, 150.0);
  // The effect over time: about 30 after the first step, about 0 at the first (own noise sd 0.8).
  for (std::size_t t = 0; t < comparison.time.size(); ++t) {
    EXPECT_NEAR(row.effect_curve.mean[t], t == 0 ? 0.0 : 30.0, 3.5) << t;
    EXPECT_LT(row.effect_curve.low[t], row.effect_curve.high[t]) << t;
  }
  // Sector breakdown: 10 per sector (own noise sd 0.45).
  ASSERT_EQ(comparison.by_sector.size(), 1u);
  for (const auto& sector_effect : comparison.by_sector[0].effect[1]) {
    EXPECT_NEAR(sector_effect.paired_mean, 10.0, 2.0);
    EXPECT_TRUE(sector_effect.paired.available);
  }
  // The band of the curve holds the replicates' central 90 %, around the mean.
  EXPECT_LE(row.curve.low[3], row.curve.mean[3]);
  EXPECT_GE(row.curve.high[3], row.curve.mean[3]);
  // The moved lever is reported, the constant one is not.
  ASSERT_EQ(comparison.levers.size(), 1u);
  EXPECT_EQ(comparison.levers[0].lever, "barrier");
  EXPECT_EQ(comparison.levers[0].sector, "health_care");
  EXPECT_EQ(comparison.scenarios[1].events.size(), 1u);
}

TEST(Compare, PairedIntervalCoversTheTrueEffectAboutNinetyFivePercentOfTheTime) {
  // Loose check of calibration: 400 synthetic experiments of 8 replicates each.
  int covered = 0;
  const int experiments = 400;
  for (int e = 0; e < experiments; ++e) {
    Synthetic base;
    base.steps = 3;
    base.own_sd = 5.0;
    base.own_stream = 1;
    Synthetic policy = base;
    policy.name = "policy";
    policy.effect = 12.0;
    policy.own_stream = 2;
    const std::uint64_t first = 1 + static_cast<std::uint64_t>(e) * 100;
    const ComparisonInput input =
        group_runs({argument_of("b", replicates(base, 8, first)), argument_of("p", replicates(policy, 8, first))});
    CompareOptions options;
    options.variables = {"output"};
    const Comparison result = compare(input, options);
    const Effect& effect = result.variables[0].scenarios[1].horizon_effect;
    covered += effect.paired.low <= 12.0 && 12.0 <= effect.paired.high;
  }
  const double coverage = static_cast<double>(covered) / experiments;
  EXPECT_GT(coverage, 0.90);
  EXPECT_LT(coverage, 0.99);
}

TEST(Compare, IdenticalScenariosDifferByExactlyZero) {
  TempDir dir;
  Synthetic base;
  const std::string files = write_runs(dir, "base", replicates(base, 5));
  const Comparison comparison = compare(load_comparison({files, files}), CompareOptions{});
  ASSERT_EQ(comparison.scenarios.size(), 2u);
  EXPECT_EQ(comparison.scenarios[1].label, "base (base_s1)");
  for (const auto& variable : comparison.variables) {
    const ScenarioVariable& row = variable.scenarios[1];
    EXPECT_EQ(row.horizon_effect.paired_mean, 0.0);
    EXPECT_EQ(row.horizon_effect.unpaired_mean, 0.0);
    ASSERT_TRUE(row.horizon_effect.paired.available);
    EXPECT_EQ(row.horizon_effect.paired.low, 0.0);
    EXPECT_EQ(row.horizon_effect.paired.high, 0.0);
    EXPECT_EQ(row.cumulative_effect.paired_mean, 0.0);
    for (double difference : row.horizon_effect.differences) EXPECT_EQ(difference, 0.0);
    for (double value : row.effect_curve.mean) EXPECT_EQ(value, 0.0);
  }
  EXPECT_TRUE(comparison.levers.empty());
}

TEST(CompareGrouping, FilesOfOneScenarioGivenOneByOneAreItsReplicates) {
  // `convsim compare base_s*.h5 policy_s*.h5` unquoted: the shell passes one file per argument.
  TempDir dir;
  Synthetic base;
  Synthetic policy = base;
  policy.name = "policy";
  policy.effect = 5;
  policy.own_stream = 3;
  const std::string base_files = write_runs(dir, "base", replicates(base, 4));
  const std::string policy_files = write_runs(dir, "policy", replicates(policy, 4));
  std::vector<std::string> one_by_one;
  for (const std::string& list : {base_files, policy_files}) {
    std::stringstream items(list);
    for (std::string item; std::getline(items, item, ',');) one_by_one.push_back(item);
  }
  ASSERT_EQ(one_by_one.size(), 8u);
  const ComparisonInput input = load_comparison(one_by_one);
  ASSERT_EQ(input.scenarios.size(), 2u);
  EXPECT_EQ(input.scenarios[0].label, "base");
  EXPECT_EQ(input.scenarios[1].label, "policy");
  EXPECT_EQ(input.scenarios[0].runs.size(), 4u);
  EXPECT_EQ(input.scenarios[1].runs.size(), 4u);
  ASSERT_EQ(input.notes.size(), 2u);
  EXPECT_THAT(input.notes[0], HasSubstr("4 arguments hold runs of scenario 'base' that differ only in their seed"));
  EXPECT_THAT(input.notes[1], HasSubstr("quote a glob"));
  // The same numbers as the replicates passed as one argument each.
  const Comparison joined = compare(input, CompareOptions{});
  const Comparison reference = compare(load_comparison({base_files, policy_files}), CompareOptions{});
  const Effect& a = joined.variables[0].scenarios[1].horizon_effect;
  const Effect& b = reference.variables[0].scenarios[1].horizon_effect;
  EXPECT_EQ(a.pairs, 4u);
  EXPECT_EQ(a.paired_mean, b.paired_mean);
  EXPECT_EQ(a.paired.low, b.paired.low);
  EXPECT_EQ(a.paired.high, b.paired.high);
  // All of one scenario: nothing to compare, and the message says why.
  std::vector<std::string> base_only(one_by_one.begin(), one_by_one.begin() + 4);
  const InputError error = input_error_of([&] { load_comparison(base_only); });
  EXPECT_THAT(error.detail(), HasSubstr("differ only in their seed"));
}

TEST(Compare, OneReplicateHasNoInterval) {
  Synthetic base;
  Synthetic policy = base;
  policy.name = "policy";
  policy.effect = 5;
  const Comparison comparison =
      compare(group_runs({argument_of("b", replicates(base, 1)), argument_of("p", replicates(policy, 1))}), CompareOptions{});
  const Effect& effect = comparison.variables[0].scenarios[1].horizon_effect;
  EXPECT_EQ(effect.pairs, 1u);
  EXPECT_TRUE(std::isfinite(effect.paired_mean));
  EXPECT_FALSE(effect.paired.available);
  EXPECT_EQ(effect.paired.reason, "no interval (1 replicate)");
  EXPECT_FALSE(effect.unpaired.available);
  std::ostringstream table;
  write_comparison_table(comparison, table);
  EXPECT_THAT(table.str(), HasSubstr("no interval"));
  EXPECT_THAT(table.str(), HasSubstr("With one replicate there is no interval"));
  std::ostringstream json;
  write_comparison_json(comparison, json);
  EXPECT_THAT(json.str(), HasSubstr("\"reason\": \"no interval (1 replicate)\""));
}

// `base` against a policy "policy" that adds `effect` after the first step (own noise from its own
// stream), `n` replicates each, paired by seed.
Comparison compare_with_policy(const Synthetic& base, double effect, std::uint64_t own_stream, std::size_t n) {
  Synthetic policy = base;
  policy.name = "policy";
  policy.effect = effect;
  policy.own_stream = own_stream;
  return compare(group_runs({argument_of("b", replicates(base, n)), argument_of("p", replicates(policy, n))}),
                 CompareOptions{});
}

TEST(Compare, NoRatioAgainstAPairedIntervalOfRoundingOnly) {
  // The same effect in every pair: the paired differences are equal up to the rounding of the
  // sums, so the paired half-width is about 1e-14 of the values, and the table says so instead of
  // printing a ratio of 10^14 or more.
  Synthetic base;
  base.own_sd = 0;
  const Comparison comparison = compare_with_policy(base, 0.1, 0, 5);
  const Effect& effect = comparison.variables[0].scenarios[1].horizon_effect;
  ASSERT_TRUE(effect.paired.available);
  ASSERT_TRUE(effect.unpaired.available);
  EXPECT_NEAR(effect.paired_mean, 0.1, 1e-9);
  EXPECT_LE(effect.paired.half_width(), 1e-12 * comparison.variables[0].scenarios[0].horizon_mean);
  std::ostringstream table;
  write_comparison_table(comparison, table);
  EXPECT_THAT(table.str(), HasSubstr("(paired: rounding only)")) << table.str();
  EXPECT_THAT(table.str(), ::testing::Not(::testing::ContainsRegex("[0-9]{7,}\\.[0-9]x\\)"))) << table.str();
  std::ostringstream html;
  write_report_html(comparison, {}, html);
  EXPECT_THAT(html.str(), HasSubstr("paired: rounding only"));
  EXPECT_THAT(html.str(), ::testing::Not(HasSubstr("&times; wider")));
  // Real seed noise in the pairs keeps the ratio.
  Synthetic noisy = base;
  noisy.own_sd = 1.0;
  const Comparison with_noise = compare_with_policy(noisy, 0.1, 1, 5);
  std::ostringstream noisy_table;
  write_comparison_table(with_noise, noisy_table);
  EXPECT_THAT(noisy_table.str(), ::testing::Not(HasSubstr("rounding only"))) << noisy_table.str();
  EXPECT_THAT(noisy_table.str(), HasSubstr("x)")) << noisy_table.str();
}

// Characters (not bytes: "±" is two) in the first `bytes` bytes of a line.
std::size_t characters(const std::string& line, std::size_t bytes) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < bytes && i < line.size(); ++i) n += (static_cast<unsigned char>(line[i]) & 0xC0) != 0x80;
  return n;
}

// The right edge, in characters, of the "cumulative" column of every table row: where its
// right-aligned number ends.
std::vector<std::size_t> cumulative_column_edges(const std::string& table, const Comparison& comparison) {
  std::vector<std::size_t> edges;
  std::istringstream lines(table);
  std::string line;
  const auto& rows = comparison.variables[0].scenarios;
  std::size_t next = 0;
  while (std::getline(lines, line) && next < rows.size()) {
    if (line.rfind("  scenario ", 0) == 0 && edges.empty()) {
      edges.push_back(characters(line, line.find("cumulative") + std::string("cumulative").size()));
    } else if (!edges.empty() && line.rfind("  " + rows[next].scenario + " ", 0) == 0) {
      const std::string value = format_number(rows[next].cumulative_mean);
      const std::size_t at = line.find("  " + value);
      edges.push_back(at == std::string::npos ? 0 : characters(line, at + 2 + value.size()));
      ++next;
    }
  }
  return edges;
}

TEST(Compare, TheTableStaysAlignedWithOneReplicateAndLongNames) {
  Synthetic base;
  Synthetic policy = base;
  policy.name = "a_policy_with_a_name_longer_than_the_column_heading";
  policy.effect = 5;
  Synthetic other = base;
  other.name = "other";
  other.effect = -3;
  for (const std::size_t n : {std::size_t{1}, std::size_t{4}}) {
    const Comparison comparison = compare(group_runs({argument_of("b", replicates(base, n)),
                                                      argument_of("p", replicates(policy, n)),
                                                      argument_of("o", replicates(other, n))}),
                                          CompareOptions{});
    std::ostringstream table;
    write_comparison_table(comparison, table);
    const auto edges = cumulative_column_edges(table.str(), comparison);
    ASSERT_EQ(edges.size(), 4u) << table.str();
    for (std::size_t i = 1; i < edges.size(); ++i) EXPECT_EQ(edges[i], edges[0]) << n << " replicates:\n" << table.str();
  }
}

TEST(Compare, SeedsAreSummarisedAsACountAndTheFirst) {
  EXPECT_EQ(seed_summary({7}), "seed 7");
  EXPECT_EQ(seed_summary({3, 1, 2}), "seeds 1-3");
  EXPECT_EQ(seed_summary({8, 3}), "seeds 3, 8");
  EXPECT_EQ(seed_summary({3719783275936035ULL, 397362560193815ULL, 8434736648865432ULL}),
            "3 seeds, the first 3719783275936035");
}

TEST(Compare, UnpairedSeedsGiveNoPairedEffect) {
  Synthetic base;
  Synthetic policy = base;
  policy.name = "policy";
  const Comparison comparison = compare(
      group_runs({argument_of("b", replicates(base, 3, 1)), argument_of("p", replicates(policy, 3, 10))}), CompareOptions{});
  const Effect& effect = comparison.variables[0].scenarios[1].horizon_effect;
  EXPECT_EQ(effect.pairs, 0u);
  EXPECT_FALSE(effect.paired.available);
  EXPECT_THAT(effect.paired.reason, HasSubstr("no seed in common"));
  EXPECT_TRUE(effect.unpaired.available);
}

TEST(Compare, ScopesReadTheirGroups) {
  Synthetic base;
  Synthetic policy = base;
  policy.name = "policy";
  policy.effect = 9;
  const ComparisonInput input = group_runs({argument_of("b", replicates(base, 4)), argument_of("p", replicates(policy, 4))});
  CompareOptions options;
  options.variables = {"output"};
  options.scope = parse_scope("sector:health_care");
  const Comparison sector = compare(input, options);
  EXPECT_NEAR(sector.variables[0].scenarios[1].horizon_effect.paired_mean, 3.0, 2.0);
  double health_care = 0;
  for (const auto& run : input.scenarios[0].runs) health_care += run.by_sector[0].values[5 * 3 + 1];
  EXPECT_DOUBLE_EQ(sector.variables[0].scenarios[0].horizon_mean, health_care / 4.0);
  options.scope = parse_scope("convergence");
  const Comparison convergence = compare(input, options);
  EXPECT_NEAR(convergence.variables[0].scenarios[1].horizon_effect.paired_mean, 9.0, 4.0);
  options.scope = parse_scope("sector:fishing");
  const InputError error = input_error_of([&] { compare(input, options); });
  EXPECT_THAT(error.detail(), HasSubstr("no sector 'fishing'"));
  EXPECT_THAT(error.detail(), HasSubstr("health_care"));
}

TEST(Compare, HorizonPicksTheLastStepOfTheYearAndCumulatesOverYears) {
  Synthetic base;
  base.steps = 8;
  base.steps_per_year = 4;
  base.common_sd = 0;
  base.own_sd = 0;
  Synthetic policy = base;
  policy.name = "policy";
  policy.effect = 3.0;  // 1 per sector
  const ComparisonInput input = group_runs({argument_of("b", replicates(base, 2)), argument_of("p", replicates(policy, 2))});
  CompareOptions options;
  options.variables = {"output"};
  options.horizon_year = 2000;
  const Comparison comparison = compare(input, options);
  EXPECT_EQ(comparison.horizon_index, 3u);  // 2000.75, the last quarter of 2000
  const ScenarioVariable& base_row = comparison.variables[0].scenarios[0];
  // output = 3 sectors * (100 + 10 t), t = 0..3, each quarter counting 1/4 year.
  EXPECT_DOUBLE_EQ(base_row.horizon_mean, 3 * (100.0 + 30.0));
  EXPECT_DOUBLE_EQ(base_row.cumulative_mean, 3 * (400.0 + 60.0) / 4.0);
  EXPECT_EQ(comparison.variables[0].cumulative_units, "1e8 KRW");
  EXPECT_DOUBLE_EQ(comparison.variables[0].scenarios[1].cumulative_effect.paired_mean, 3 * 3.0 / 4.0);
  options.horizon_year = 2005;
  const InputError error = input_error_of([&] { compare(input, options); });
  EXPECT_EQ(error.key(), "--horizon");
  EXPECT_THAT(error.detail(), HasSubstr("outside"));
}

//---- refusals ----

TEST(CompareRefusals, DifferentTimeAxesNameBothFiles) {
  TempDir dir;
  Synthetic base;
  Synthetic shorter = base;
  shorter.name = "policy";
  shorter.steps = 4;
  const std::string a = write_runs(dir, "base", replicates(base, 2));
  const std::string b = write_runs(dir, "short", replicates(shorter, 2));
  const InputError error = input_error_of([&] { load_comparison({a, b}); });
  EXPECT_THAT(error.detail(), HasSubstr("different time axes"));
  EXPECT_THAT(error.detail(), HasSubstr("base_s1.h5"));
  EXPECT_THAT(error.detail(), HasSubstr("short_s1.h5"));
  EXPECT_THAT(error.detail(), HasSubstr("6 steps 2000-2005"));
  EXPECT_THAT(error.detail(), HasSubstr("4 steps 2000-2003"));
}

TEST(CompareRefusals, DifferentSectorsAreRefusedReorderedOnesAligned) {
  Synthetic base;
  Synthetic other = base;
  other.name = "policy";
  other.sectors = {"contents", "health_care", "fishing"};
  const InputError error = input_error_of(
      [&] { group_runs({argument_of("b", replicates(base, 2)), argument_of("p", replicates(other, 2))}); });
  EXPECT_THAT(error.detail(), HasSubstr("different sectors"));
  EXPECT_THAT(error.detail(), HasSubstr("lacks energy"));
  EXPECT_THAT(error.detail(), HasSubstr("adds fishing"));

  Synthetic reordered = base;
  reordered.name = "policy";
  reordered.sectors = {"energy", "contents", "health_care"};
  reordered.common_sd = 0;
  reordered.own_sd = 0;
  Synthetic plain = base;
  plain.common_sd = 0;
  plain.own_sd = 0;
  const ComparisonInput input =
      group_runs({argument_of("b", replicates(plain, 2)), argument_of("p", replicates(reordered, 2))});
  ASSERT_EQ(input.notes.size(), 2u);
  EXPECT_THAT(input.notes[0], HasSubstr("aligned by sector name"));
  EXPECT_EQ(input.scenarios[1].runs[0].sectors, plain.sectors);
  // Sector values were constant across sectors, so alignment keeps them; the roles follow the names.
  EXPECT_EQ(input.scenarios[1].runs[0].by_sector[0].values, input.scenarios[0].runs[0].by_sector[0].values);
}

TEST(CompareRefusals, DifferentUnitsAreRefused) {
  Synthetic base;
  Synthetic other = base;
  other.name = "policy";
  other.output_units = "1e6 USD/year";
  const ComparisonInput input = group_runs({argument_of("b", replicates(base, 2)), argument_of("p", replicates(other, 2))});
  CompareOptions options;
  options.variables = {"output"};
  const InputError error = input_error_of([&] { compare(input, options); });
  EXPECT_THAT(error.detail(), HasSubstr("units differ"));
  EXPECT_THAT(error.detail(), HasSubstr("1e8 KRW/year"));
  EXPECT_THAT(error.detail(), HasSubstr("1e6 USD/year"));
  EXPECT_THAT(error.detail(), HasSubstr("b_s1.h5"));
  EXPECT_THAT(error.detail(), HasSubstr("p_s1.h5"));
}

TEST(CompareRefusals, MissingVariableListsWhatIsThere) {
  Synthetic base;
  const ComparisonInput input = group_runs({argument_of("b", replicates(base, 2)), argument_of("p", replicates(base, 2))});
  CompareOptions options;
  options.variables = {"jobs"};
  const InputError error = input_error_of([&] { compare(input, options); });
  EXPECT_EQ(error.key(), "/aggregate/jobs");
  EXPECT_THAT(error.detail(), HasSubstr("output, employment"));
}

TEST(CompareRefusals, ForeignFilesAreRefused) {
  TempDir dir;
  Synthetic base;
  const std::string good = write_runs(dir, "base", replicates(base, 2));
  convsim::testing::write_text(dir / "notes.h5", "this is not HDF5\n");
  const InputError text = input_error_of([&] { load_comparison({good, (dir / "notes.h5").string()}); });
  EXPECT_THAT(text.what(), HasSubstr("notes.h5"));
  const InputError missing = input_error_of([&] { load_comparison({good, (dir / "absent.h5").string()}); });
  EXPECT_THAT(missing.what(), HasSubstr("absent.h5"));
  EXPECT_THAT(missing.detail(), HasSubstr("no such result file"));
  const InputError glob = input_error_of([&] { load_comparison({good, (dir / "nothing_*.h5").string()}); });
  EXPECT_THAT(glob.detail(), HasSubstr("matches no file"));
  const InputError alone = input_error_of([&] { load_comparison({good}); });
  EXPECT_THAT(alone.detail(), HasSubstr("only one scenario"));
}

TEST(CompareInputs, DirectoriesAndGlobsExpandInOrder) {
  TempDir dir;
  Synthetic base;
  std::filesystem::create_directory(dir / "base");
  write_runs(dir, "base/run", replicates(base, 3));
  const auto from_directory = expand_result_paths((dir / "base").string());
  ASSERT_EQ(from_directory.size(), 3u);
  EXPECT_EQ(from_directory[0].filename(), "run_s1.h5");
  const auto from_glob = expand_result_paths((dir / "base" / "run_s[12].h5").string());
  EXPECT_EQ(from_glob.size(), 2u);
}

//---- output ----

TEST(CompareOutput, TableCsvAndJsonCarryTheNumbers) {
  Synthetic base;
  const Comparison comparison = compare_with_policy(base, 30, 3, 5);
  std::ostringstream table;
  write_comparison_table(comparison, table);
  EXPECT_THAT(table.str(), HasSubstr("Baseline: base (5 replicates, seeds 1-5)"));
  EXPECT_THAT(table.str(), HasSubstr("output [1e8 KRW/year]"));
  EXPECT_THAT(table.str(), HasSubstr("policy"));
  EXPECT_THAT(table.str(), HasSubstr("(baseline)"));
  std::ostringstream csv;
  write_comparison_csv(comparison, csv);
  const std::string text = csv.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 5);  // header + 2 variables x 2 scenarios
  EXPECT_THAT(text, HasSubstr("total,output,1e8 KRW/year,policy,base,5,5,2005,"));
  std::ostringstream json;
  write_comparison_json(comparison, json);
  EXPECT_THAT(json.str(), HasSubstr("\"format\": \"convsim-comparison-1\""));
  EXPECT_THAT(json.str(), HasSubstr("\"effect_curve\""));
  EXPECT_THAT(describe_effect(comparison, comparison.variables[0], comparison.variables[0].scenarios[1]),
              HasSubstr("raises output in 2005 by"));
}

TEST(CompareOutput, FormatNumberGroupsThousands) {
  EXPECT_EQ(format_number(1234567.4), "1,234,567");
  EXPECT_EQ(format_number(-15433.2), "-15,433");
  EXPECT_EQ(format_number(142.44), "142.4");
  EXPECT_EQ(format_number(3.14159), "3.14");
  EXPECT_EQ(format_number(0.012345), "0.0123");
  EXPECT_EQ(format_number(0.0), "0");
  EXPECT_EQ(format_number(std::nan("")), "n/a");
}

TEST(Report, SaysNotCalibratedUnlessTheBaselineRecordsACalibration) {
  Synthetic base;
  Synthetic policy = base;
  policy.name = "policy";
  const auto make = [&](const Synthetic& b) {
    return compare(group_runs({argument_of("b", replicates(b, 2)), argument_of("p", replicates(policy, 2))}),
                   CompareOptions{});
  };
  std::ostringstream plain;
  write_report_html(make(base), {}, plain);
  EXPECT_THAT(plain.str(), HasSubstr("<b>not calibrated</b>"));
  EXPECT_THAT(plain.str(), HasSubstr("id=\"horizon-table\""));
  EXPECT_THAT(plain.str(), HasSubstr("synthetic baseline"));
  Synthetic calibrated = base;
  calibrated.extra_yaml = "calibration:\n  target: paper_targets.yaml\n  loss: 0.012\n";
  std::ostringstream with;
  write_report_html(make(calibrated), {}, with);
  EXPECT_THAT(with.str(), ::testing::Not(HasSubstr("not calibrated")));
  EXPECT_THAT(with.str(), HasSubstr("loss: 0.012"));
}

TEST(Report, EmbedsPlotsAsBase64AndEscapesHtml) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(html_escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
  TempDir dir;
  convsim::testing::write_text(dir / "plot.png", "PNGDATA");
  Synthetic base;
  Synthetic policy = base;
  policy.name = "policy <x>";
  const Comparison comparison =
      compare(group_runs({argument_of("b", replicates(base, 2)), argument_of("p", replicates(policy, 2))}), CompareOptions{});
  std::ostringstream html;
  write_report_html(comparison, {{dir / "plot.png", "Effect on output", "caption", "effect"}}, html);
  EXPECT_THAT(html.str(), HasSubstr("src=\"data:image/png;base64," + base64_encode("PNGDATA") + "\""));
  EXPECT_THAT(html.str(), HasSubstr("policy &lt;x&gt;"));
  EXPECT_THAT(html.str(), ::testing::Not(HasSubstr("policy <x>")));
}

}  // namespace
}  // namespace convsim::analysis
