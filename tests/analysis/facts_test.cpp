// Stylised-fact estimators against closed forms, samples drawn with known parameters and numpy/scipy
// references; measure_facts on a constructed result (Korea's PWT series and a hand-made snapshot pair).
#include "convsim/analysis/facts.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "convsim/analysis/compare.hpp"
#include "convsim/analysis/table_reader.hpp"
#include "convsim/errors.hpp"
#include "test_support.hpp"

namespace convsim::analysis {
namespace {

using testing::contains;

// Subbotin draws: |x - mu|^b / (b a^b) is Gamma(1/b, 1), so x = mu +- a (b G)^(1/b) with a random sign.
std::vector<double> subbotin_sample(double b, double a, double mu, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::gamma_distribution<double> gamma(1.0 / b, 1.0);
  std::bernoulli_distribution sign(0.5);
  std::vector<double> x(n);
  for (auto& v : x) v = mu + (sign(engine) ? 1.0 : -1.0) * a * std::pow(b * gamma(engine), 1.0 / b);
  return x;
}

TEST(SubbotinTest, LogDensityIsTheNormalAtTwoAndIntegratesToOne) {
  for (double x : {-1.3, 0.0, 0.4, 2.5}) {
    EXPECT_NEAR(subbotin_log_density(x, 2.0, 0.7, 0.2),
                -0.5 * std::pow((x - 0.2) / 0.7, 2) - std::log(0.7 * std::sqrt(2 * M_PI)), 1e-12);
    EXPECT_NEAR(subbotin_log_density(x, 1.0, 0.3, 0.0), -std::fabs(x) / 0.3 - std::log(0.6), 1e-12);  // Laplace
  }
  for (double b : {0.7, 1.0, 1.5, 3.0}) {
    double integral = 0;
    const double h = 1e-3;
    for (double x = -40; x < 40; x += h) integral += std::exp(subbotin_log_density(x + 0.5 * h, b, 0.5, 0.1)) * h;
    EXPECT_NEAR(integral, 1.0, 1e-4) << "b = " << b;
  }
}

TEST(SubbotinTest, MaximumLikelihoodRecoversLaplaceAndNormalSamples) {
  struct Case {
    double b, a, mu;
  };
  for (const Case c : {Case{1.0, 0.12, 0.03}, Case{2.0, 0.3, -0.1}, Case{0.8, 0.2, 0.0}}) {
    const SubbotinFit fit = fit_subbotin(subbotin_sample(c.b, c.a, c.mu, 40000, 17));
    // Asymptotic s.e. of b-hat at n = 40000 is below 0.015 for these shapes: 0.06 is four of them.
    EXPECT_NEAR(fit.shape_b, c.b, 0.06) << "b = " << c.b;
    EXPECT_NEAR(fit.width_a, c.a, 0.03 * c.a) << "b = " << c.b;
    EXPECT_NEAR(fit.location_mu, c.mu, 0.01) << "b = " << c.b;
    EXPECT_EQ(fit.observations, 40000u);
  }
}

TEST(SubbotinTest, MatchesScipyGennormFitOnTheSameSample) {
  testing::TempDir dir;
  const std::vector<double> x = subbotin_sample(1.2, 0.15, 0.02, 5000, 3);
  std::ofstream out(dir / "sample.txt");
  out.precision(17);
  for (double v : x) out << v << "\n";
  out.close();
  const auto r = testing::run_shell(std::string(CONVSIM_SYSTEM_PYTHON) + " '" +
                                    testing::source_path("tests/data/facts_reference.py").string() + "' '" +
                                    (dir / "sample.txt").string() + "'");
  if (r.exit_code != 0) GTEST_SKIP() << "numpy/scipy not available: " << r.err;
  std::istringstream numbers(r.out);
  double b = 0, a = 0, loc = 0;
  ASSERT_TRUE(numbers >> b >> a >> loc) << r.out;
  const SubbotinFit fit = fit_subbotin(x);
  // Both are maxima of the same likelihood; scipy's simplex stops at its own tolerance.
  EXPECT_NEAR(fit.shape_b, b, 5e-3);
  EXPECT_NEAR(fit.width_a, a, 1e-3);
  EXPECT_NEAR(fit.location_mu, loc, 1e-3);
  EXPECT_GE(fit.log_likelihood, [&] {
    double l = 0;
    for (double v : x) l += subbotin_log_density(v, b, a, loc);
    return l;
  }() - 1e-6);
}

TEST(SubbotinTest, DegenerateSamplesAreNotMeasurable) {
  EXPECT_TRUE(std::isnan(fit_subbotin({1.0, 2.0}).shape_b));
  EXPECT_TRUE(std::isnan(fit_subbotin({0.5, 0.5, 0.5, 0.5}).shape_b));
}

TEST(ZipfTest, RankSizeIsExactOnAnExactRankSizeLine) {
  // ln(i - 1/2) = -zeta ln s_i exactly when s_i = (i - 1/2)^(-1/zeta).
  std::vector<double> sizes;
  for (int i = 1; i <= 1000; ++i) sizes.push_back(std::pow(i - 0.5, -1.0 / 1.3));
  const TailFit fit = zipf_rank_size(sizes, 1.0);
  EXPECT_NEAR(fit.exponent, 1.3, 1e-12);
  EXPECT_EQ(fit.tail_size, 1000u);
  EXPECT_NEAR(fit.standard_error, 1.3 * std::sqrt(2.0 / 1000), 1e-12);
}

TEST(ZipfTest, RankSizeAndHillRecoverAParetoExponent) {
  std::mt19937_64 engine(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (double zeta : {1.059, 1.5}) {
    std::vector<double> sizes(200000);
    for (auto& s : sizes) s = 3.0 * std::pow(1.0 - u(engine), -1.0 / zeta);  // Pareto, x_m = 3
    sizes.push_back(0.0);  // ignored
    const TailFit ols = zipf_rank_size(sizes, 0.10);
    const TailFit hill = zipf_hill(sizes, 0.10);
    EXPECT_EQ(ols.tail_size, 20000u);
    // s.e.: zeta sqrt(2/k) = 0.011 (rank-size) and zeta / sqrt(k) = 0.0075 (Hill) at k = 20000.
    EXPECT_NEAR(ols.exponent, zeta, 4 * ols.standard_error);
    EXPECT_NEAR(hill.exponent, zeta, 4 * hill.standard_error);
  }
}

TEST(SizeVarianceTest, RecoversThePowerLawOfTheGrowthRateSd) {
  std::mt19937_64 engine(5);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> log_size(100000);
  std::vector<double> growth(log_size.size());
  for (std::size_t i = 0; i < log_size.size(); ++i) {
    log_size[i] = 3.0 + 1.5 * normal(engine);
    growth[i] = 0.4 * std::exp(-0.2 * log_size[i]) * normal(engine);  // sd = 0.4 S^-0.2
  }
  EXPECT_NEAR(size_variance_slope(log_size, growth, 10), -0.2, 0.02);
  // Without a size effect the slope is 0.
  for (std::size_t i = 0; i < log_size.size(); ++i) growth[i] = 0.1 * normal(engine);
  EXPECT_NEAR(size_variance_slope(log_size, growth, 10), 0.0, 0.02);
}

TEST(SeriesStatisticsTest, MatchNumpyOnKoreanOutputGrowth) {
  const Table table = read_csv(testing::source_path("data/pwt101_korea_1990_2009.csv"));
  const std::vector<double> growth = log_growth(table.numeric_column("rgdpna"));
  ASSERT_EQ(growth.size(), 19u);
  // tests/data/facts_reference.py: sd 0.0371374438407, ac1 -0.0543551235129
  EXPECT_NEAR(sample_sd(growth), 0.0371374438407, 1e-12);
  EXPECT_NEAR(autocorrelation(growth, 1), -0.0543551235129, 1e-12);
  EXPECT_NEAR(autocorrelation(growth, 0), 1.0, 1e-15);
  // numpy.percentile(1..100, [10, 90]) = 10.9, 90.1
  std::vector<double> values;
  for (int i = 100; i >= 1; --i) values.push_back(i);
  EXPECT_NEAR(ratio_90_10(values), 90.1 / 10.9, 1e-12);
  EXPECT_NEAR(correlation({1, 2, 3, 4}, {2, 4, 6, 8.5}), 0.998381439457, 1e-11);  // numpy.corrcoef
  EXPECT_TRUE(std::isnan(correlation({1, 1, 1}, {1, 2, 3})));
}

TEST(ExitByAgeTest, CountsExitsOfYoungAndOldFirms) {
  std::vector<FirmPairRecord> firms;
  const auto add = [&](int count, double age, bool alive_after, bool same = true) {
    for (int i = 0; i < count; ++i) firms.push_back({true, alive_after, same, age});
  };
  add(6, 2.0, true);
  add(3, 4.75, false);
  add(1, 1.0, true, false);  // its slot holds a new firm: an exit
  add(18, 5.0, true);
  add(2, 12.0, false);
  firms.push_back({false, false, true, 3.0});  // dead in the first snapshot: not counted
  const ExitByAge exits = exit_by_age(firms, 5.0);
  EXPECT_EQ(exits.young_firms, 10u);
  EXPECT_EQ(exits.young_exits, 4u);
  EXPECT_EQ(exits.old_firms, 20u);
  EXPECT_EQ(exits.old_exits, 2u);
  EXPECT_DOUBLE_EQ(exits.ratio, (4.0 / 10) / (2.0 / 20));
}

//---- measure_facts on a constructed result ----

FirmColumn column(const char* name, std::vector<double> values) { return FirmColumn{name, "1", name, std::move(values)}; }

// Korea 1990-2009 (annual steps): output = rgdpna, wage bill = labsh x output, employment = emp,
// labour force = 1.05 emp; three sectors; snapshots in 2008 and 2009 (see ExitByAge above).
RunResult korea_run() {
  const Table table = read_csv(testing::source_path("data/pwt101_korea_1990_2009.csv"));
  const std::vector<double> y = table.numeric_column("rgdpna");
  const std::vector<double> labsh = table.numeric_column("labsh");
  const std::vector<double> emp = table.numeric_column("emp");
  RunResult run;
  run.steps_per_year = 1;
  run.sectors = {"a", "b", "c"};
  std::vector<double> bill, force, sector_output;
  for (std::size_t t = 0; t < y.size(); ++t) {
    run.time.push_back(1990.0 + double(t));
    bill.push_back(labsh[t] * y[t]);
    force.push_back(1.05 * emp[t]);
    const double tt = double(t);
    for (double v : {0.5 * y[t], 0.3 * y[t] * (1 + 0.05 * std::sin(tt)), 0.2 * y[t] * (1 + 0.04 * std::cos(1.7 * tt))}) {
      sector_output.push_back(v);
    }
  }
  run.aggregate = {{"output", "", "", y}, {"wage_bill", "", "", bill}, {"employment", "", "", emp},
                   {"labour_force", "", "", force}};
  run.by_sector = {{"output", "", "", sector_output}};
  // 10 young firms (4 exit, one of them by slot reuse), 20 old (2 exit), one slot dead throughout.
  std::vector<double> alive0, alive1, age0, age1, emp0, emp1;
  const auto firm = [&](bool a1, double age, bool reused, double l0, double l1) {
    alive0.push_back(1);
    alive1.push_back(a1 ? 1 : 0);
    age0.push_back(age);
    age1.push_back(reused ? 0 : age + 1);
    emp0.push_back(l0);
    emp1.push_back(a1 ? l1 : 0);
  };
  for (int i = 0; i < 6; ++i) firm(true, 2, false, 10 + i, 11 + i);
  for (int i = 0; i < 3; ++i) firm(false, 4, false, 5, 0);
  firm(true, 1, true, 8, 3);
  for (int i = 0; i < 18; ++i) firm(true, 7, false, 20 + i, 19 + 1.5 * i);
  for (int i = 0; i < 2; ++i) firm(false, 12, false, 30, 0);
  alive0.push_back(0);
  alive1.push_back(0);
  age0.push_back(3);
  age1.push_back(3);
  emp0.push_back(0);
  emp1.push_back(0);
  const std::size_t n = alive0.size();
  const auto snapshot = [&](double time, std::vector<double> alive, std::vector<double> age, std::vector<double> l) {
    std::vector<double> output(n), sector(n);
    for (std::size_t i = 0; i < n; ++i) {
      output[i] = l[i] * (1.0 + 0.1 * double(i % 7));
      sector[i] = double(i % 2);
    }
    return FirmSnapshot{time, {column("sector", sector), column("alive", std::move(alive)), column("age", std::move(age)),
                               column("employment", std::move(l)), column("output", output)}};
  };
  run.snapshots = {snapshot(2008, alive0, age0, emp0), snapshot(2009, alive1, age1, emp1)};
  return run;
}

const Fact& find(const std::vector<Fact>& facts, const std::string& name) {
  for (const Fact& f : facts) {
    if (f.name == name) return f;
  }
  throw std::runtime_error("no fact " + name);
}

TEST(MeasureFactsTest, MeasuresKoreaAsNumpyDoesAndTheRangesComeFromThePwtData) {
  const std::vector<Fact> facts = measure_facts(korea_run(), "korea");
  ASSERT_EQ(facts.size(), 11u);
  for (const Fact& f : facts) {
    EXPECT_FALSE(f.source.empty()) << f.name;
    EXPECT_LE(f.low, f.high) << f.name;
  }
  // tests/data/facts_reference.py
  const Fact& volatility = find(facts, "output_growth_volatility");
  ASSERT_TRUE(volatility.value);
  EXPECT_NEAR(*volatility.value, 0.0371374438407, 1e-12);
  EXPECT_NEAR(volatility.low, 0.0280615217283, 1e-5);
  EXPECT_NEAR(volatility.high, 0.0549197631592, 1e-5);
  EXPECT_TRUE(volatility.ok);
  const Fact& persistence = find(facts, "output_growth_autocorrelation");
  EXPECT_NEAR(*persistence.value, -0.0543551235129, 1e-12);
  EXPECT_NEAR(persistence.low, -0.504009961899, 1e-4);
  EXPECT_NEAR(persistence.high, 0.395299714873, 1e-4);
  const Fact& share = find(facts, "labour_share");
  EXPECT_NEAR(*share.value, 0.53395, 1e-12);
  EXPECT_DOUBLE_EQ(share.low, 0.506);
  EXPECT_DOUBLE_EQ(share.high, 0.573);
  const Fact& comovement = find(facts, "sector_comovement");
  EXPECT_NEAR(*comovement.value, 0.487608273794, 1e-10);
  EXPECT_TRUE(contains(comovement.detail, "0.8069")) << comovement.detail;  // with the aggregate
  const Fact& bound = find(facts, "employment_within_labour_force");
  EXPECT_NEAR(*bound.value, 1 / 1.05, 1e-12);
  EXPECT_TRUE(bound.ok);
  const Fact& exits = find(facts, "exit_rate_young_old_ratio");
  EXPECT_DOUBLE_EQ(*exits.value, 4.0);
  EXPECT_EQ(exits.ok, *exits.value >= exits.low && *exits.value <= exits.high);
  // 24 survivors: fewer than the 30 growth rates a Subbotin fit needs.
  EXPECT_FALSE(find(facts, "growth_rate_shape_b").value);
  EXPECT_TRUE(contains(find(facts, "growth_rate_shape_b").detail, "needs at least 30"));
}

TEST(MeasureFactsTest, EmploymentAboveTheLabourForceInOneStepFails) {
  RunResult run = korea_run();
  run.aggregate[2].values[7] = run.aggregate[3].values[7] * (1 + 1e-15) + 1e-9;
  const Fact bound = find(measure_facts(run, "korea"), "employment_within_labour_force");
  EXPECT_FALSE(bound.ok);
  EXPECT_TRUE(contains(bound.detail, "steps with employment above labour_force: 1")) << bound.detail;
}

TEST(MeasureFactsTest, AbsentSeriesAreNotMeasurableAndLabourSupplyStandsInForTheLabourForce) {
  RunResult run = korea_run();
  run.aggregate = {{"employment", "", "", run.aggregate[2].values}, {"labour_supply", "", "", run.aggregate[3].values}};
  run.by_sector.clear();
  const std::vector<Fact> facts = measure_facts(run, "korea");
  for (const char* name : {"output_growth_volatility", "output_growth_autocorrelation", "sector_comovement", "labour_share"}) {
    const Fact& f = find(facts, name);
    EXPECT_FALSE(f.value) << name;
    EXPECT_FALSE(f.ok) << name;
    EXPECT_TRUE(contains(f.detail, "not measurable")) << name << ": " << f.detail;
  }
  EXPECT_TRUE(contains(find(facts, "output_growth_volatility").detail, "/aggregate/output"));
  const Fact& bound = find(facts, "employment_within_labour_force");
  EXPECT_TRUE(bound.ok);
  EXPECT_TRUE(contains(bound.detail, "labour_supply")) << bound.detail;
}

TEST(MeasureFactsTest, YearRangeSelectsYearsAndSnapshots) {
  FactsOptions options;
  options.year_from = 1999;
  options.year_to = 2009;
  const Fact volatility = find(measure_facts(korea_run(), "korea", options), "output_growth_volatility");
  EXPECT_TRUE(contains(volatility.detail, "10 annual log growth rates")) << volatility.detail;
  options.year_to = 2008;  // the 2009 snapshot falls outside: no pair left
  const InputError error = [&] {
    try {
      measure_facts(korea_run(), "korea", options);
    } catch (const InputError& e) {
      return e;
    }
    return InputError("", 0, "", "none thrown");
  }();
  EXPECT_EQ(error.key(), "/firms");
}

TEST(MeasureFactsTest, ResultsWithoutSnapshotPairsOrFirmColumnsAreBadInput) {
  RunResult run = korea_run();
  run.snapshots.pop_back();
  try {
    measure_facts(run, "one.h5");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "one.h5");
    EXPECT_EQ(e.key(), "/firms");
    EXPECT_TRUE(contains(e.detail(), "two consecutive years")) << e.detail();
    EXPECT_TRUE(contains(e.detail(), "output.snapshot_years")) << e.detail();
  }
  run = korea_run();
  for (auto& s : run.snapshots) s.columns.erase(s.columns.begin() + 2);  // age
  try {
    measure_facts(run, "noage.h5");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), "/firms/age");
  }
}

}  // namespace
}  // namespace convsim::analysis
