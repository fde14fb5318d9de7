// The second version of the economy (docs/model.md 7.5, 7.6, 7.12): a labour market that never
// employs more than the labour force, AR(1) shocks shared by scenarios with one seed, rates that
// cannot saturate, selection by profitability, age and size, entrants that copy incumbents, and a
// burn-in that removes the start-up transient.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "convsim/errors.hpp"
#include "convsim/rng.hpp"
#include "model_fixtures.hpp"

namespace convsim::testing {
namespace {

//---- labour market ----

// Employment at the end of every step is at most the labour force, and unemployment is what is
// left: in the baseline, all_levers, and economies built to push against the bound (a shrinking
// labour force, a sticky wage, heavy entry, quarterly steps).
TEST(LabourMarket, EmploymentNeverExceedsTheLabourForce) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"scenarios/korea_baseline.yaml", {"economy.firms=4000"}},
      {"scenarios/all_levers.yaml", {"economy.firms=4000"}},
      {"scenarios/smart_work.yaml", {"economy.firms=4000", "time.steps_per_year=4"}},
      {"scenarios/korea_baseline.yaml",
       {"economy.firms=3000", "economy.labour_supply_growth=-0.08", "labour.wage_stickiness=0.95",
        "dynamics.entry_rate=0.2", "time.steps_per_year=2", "time.end_year=2005", "time.burn_in_years=2"}},
      {"scenarios/korea_baseline.yaml",
       {"economy.firms=3000", "economy.labour_supply_growth=0.15", "labour.wage_stickiness=0.9",
        "production.hiring_speed=20", "labour.initial_unemployment=0", "time.end_year=2005"}},
  };
  for (const auto& [file, overrides] : cases) {
    const Scenario sc = load_scenario(source_path(file), overrides);
    const RunResult r = models::simulate(sc);
    const auto& employment = aggregate_series(r, "employment");
    const auto& force = aggregate_series(r, "labour_force");
    const auto& unemployment = aggregate_series(r, "unemployment");
    const auto& rate = aggregate_series(r, "unemployment_rate");
    double max_ratio = 0;
    for (std::size_t t = 0; t < employment.size(); ++t) {
      SCOPED_TRACE(file + " step " + std::to_string(t));
      EXPECT_LE(employment[t], force[t] * (1.0 + 1e-12));
      EXPECT_NEAR(unemployment[t], force[t] - employment[t], 1e-9 * force[t]);
      EXPECT_NEAR(rate[t], unemployment[t] / force[t], 1e-12);
      max_ratio = std::max(max_ratio, employment[t] / force[t]);
    }
    EXPECT_GT(max_ratio, 0.9) << file << ": the bound is approached (the check is not vacuous)";
  }
}

// Matches per year do not depend on the step length: vacancies are a flow per step, so the
// matching function takes their annual rate (docs/model.md 7.6). Taking the per-step flow made
// quarterly matches about half the annual ones and quarterly unemployment 10-12 % against
// 1-4 % annual. What remains between annual and quarterly steps (about 2 points at 20,000 firms)
// is the timing of the end-of-step measurement and of separations within the year.
TEST(LabourMarket, UnemploymentDoesNotDependOnTheStepLengthThroughMatching) {
  auto mean_rate = [](int steps_per_year) {
    const RunResult r = models::simulate(
        baseline_with({"economy.firms=20000", "time.steps_per_year=" + std::to_string(steps_per_year), "time.end_year=2010"}));
    const auto& rate = aggregate_series(r, "unemployment_rate");
    double sum = 0;
    int count = 0;
    for (std::size_t t = 0; t < rate.size(); ++t) {
      if (r.time[t] >= 1995) {
        sum += rate[t];
        ++count;
      }
    }
    return sum / count;
  };
  const double annual = mean_rate(1);
  const double quarterly = mean_rate(4);
  EXPECT_GT(annual, 0.01);
  EXPECT_LT(std::abs(quarterly - annual), 0.03) << "annual " << annual << ", quarterly " << quarterly;
}

// When firms want more workers than there are, hires are rationed pro rata and the labour
// market is full: a very sticky wage far below the clearing one after a productivity jump.
TEST(LabourMarket, HiresAreRationedWhenTheWageIsBelowClearing) {
  const Scenario sc = baseline_with({"economy.firms=3000", "labour.wage_stickiness=0.99", "production.hiring_speed=5",
                                     "policies.boom.lever=productivity_shock", "policies.boom.at=1995",
                                     "policies.boom.value=0.5"});
  const RunResult r = models::simulate(sc);
  const auto& rationed = aggregate_series(r, "hiring_rationed");
  const auto& wage = aggregate_series(r, "wage");
  const auto& clearing = aggregate_series(r, "clearing_wage");
  const auto& employment = aggregate_series(r, "employment");
  const auto& force = aggregate_series(r, "labour_force");
  const std::size_t t = 6;  // 1996: the boom is in force and the wage has barely moved
  EXPECT_LT(wage[t], clearing[t]);
  EXPECT_GT(rationed[t], 0.0);
  EXPECT_NEAR(employment[t] / force[t], 1.0, 0.01) << "rationed hiring fills the labour force";
}

// Smart work acts through three named channels: participation (labour force), matching (hiring
// speed) and hours (production). Each one alone raises what it should.
TEST(LabourMarket, SmartWorkChannelsEachDoWhatTheySay) {
  auto run = [](const std::vector<std::string>& extra) {
    std::vector<std::string> overrides = {"economy.firms=3000", "policies.sw.lever=smart_work", "policies.sw.at=2000",
                                          "policies.sw.value=1"};
    overrides.insert(overrides.end(), extra.begin(), extra.end());
    return models::simulate(baseline_with(overrides));
  };
  const RunResult none = run({"labour.smart_work_participation=0", "labour.smart_work_matching=0", "production.smart_work_hours=0"});
  const RunResult participation = run({"labour.smart_work_participation=0.05", "labour.smart_work_matching=0", "production.smart_work_hours=0"});
  const RunResult hours = run({"labour.smart_work_participation=0", "labour.smart_work_matching=0", "production.smart_work_hours=0.1"});
  const std::size_t before = 9, after = 12;  // 1999, 2002
  auto at = [](const RunResult& r, const char* name, std::size_t t) { return aggregate_series(r, name)[t]; };
  EXPECT_EQ(at(none, "labour_force", before), at(participation, "labour_force", before)) << "nothing moves before the lever";
  EXPECT_GT(at(participation, "labour_force", after), 1.03 * at(none, "labour_force", after)) << "participation raises the labour force";
  EXPECT_GT(at(hours, "output", after), at(none, "output", after)) << "hours raise output";
  EXPECT_NEAR(at(hours, "labour_force", after) / at(none, "labour_force", after), 1.0, 0.02);
}

//---- shocks ----

// An economy of many one-firm sectors, so that the sector shocks give many independent AR(1) paths.
std::string shock_economy_yaml(int steps_per_year) {
  std::string yaml = R"(
seed: 41
time: {start_year: 1900, end_year: 2099, steps_per_year: )" +
                     std::to_string(steps_per_year) + R"(}
economy: {firms: 40}
network: {mean_degree: 0}
shocks: {persistence: 0.7, aggregate_sd: 0.03, sector_sd: 0.05}
dynamics: {exit_hazard: 0, entry_rate: 0, entry_convergence: 0}
sectors:
)";
  for (int s = 0; s < 40; ++s) yaml += "  s" + std::to_string(s) + ": {role: converging}\n";
  return yaml;
}

// The annual process of the sector shocks: stationary s.d. sigma / sqrt(1 - rho^2) and annual
// autocorrelation rho, whatever the step length (the per-step scaling of 7.12).
TEST(Shocks, SectorShocksAreAr1WithTheAnnualMomentsAtAnyStepLength) {
  for (int q : {1, 4}) {
    const Scenario sc = scenario_from_yaml(shock_economy_yaml(q));
    const RunResult r = models::simulate(sc);
    const SectorSeries* shocks = r.find_by_sector("productivity_shock");
    ASSERT_NE(shocks, nullptr);
    const std::size_t T = r.time.size(), S = sc.sectors.size();
    double sum2 = 0, cross = 0, n = 0, n_cross = 0;
    for (std::size_t s = 0; s < S; ++s) {
      for (std::size_t t = 20 * q; t < T; t += q) {  // annual samples after 20 years
        const double z = shocks->values[t * S + s];
        sum2 += z * z;
        n += 1;
        if (t + q < T) {
          cross += z * shocks->values[(t + q) * S + s];
          n_cross += 1;
        }
      }
    }
    const double variance = sum2 / n;
    const double expected_sd = 0.05 / std::sqrt(1 - 0.7 * 0.7);
    EXPECT_NEAR(std::sqrt(variance) / expected_sd, 1.0, 0.06) << q << " steps per year";
    EXPECT_NEAR(cross / n_cross / variance, 0.7, 0.04) << q << " steps per year";
  }
}

// Two scenarios with one seed share every shock (common random numbers); another seed does not.
TEST(Shocks, ScenariosWithOneSeedShareEveryShock) {
  const std::vector<std::string> base = {"economy.firms=2000", "shocks.aggregate_sd=0.03", "shocks.sector_sd=0.04"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), base.begin(), base.end());
    return models::simulate(baseline_with(extra));
  };
  const RunResult baseline = with({});
  const RunResult policy = with({"sectors.health_care.barrier=0", "policies.g.lever=infrastructure", "policies.g.at=1995",
                                 "policies.g.value=1"});
  const RunResult other_seed = with({"seed=99"});
  const auto& z = aggregate_series(baseline, "productivity_shock");
  EXPECT_EQ(z, aggregate_series(policy, "productivity_shock"));
  EXPECT_EQ(baseline.find_by_sector("productivity_shock")->values, policy.find_by_sector("productivity_shock")->values);
  EXPECT_NE(z, aggregate_series(other_seed, "productivity_shock"));
  EXPECT_NE(aggregate_series(baseline, "output"), aggregate_series(policy, "output")) << "the policy did act";
  double spread = 0;
  for (double v : z) spread = std::max(spread, std::abs(v));
  EXPECT_GT(spread, 0.01) << "shocks are switched on";
}

// A timed episode (lever productivity_shock) lowers output in its year and is gone after it.
TEST(Shocks, ATimedEpisodeActsOnlyWhileInForce) {
  const std::vector<std::string> base = {"economy.firms=3000"};
  std::vector<std::string> crisis = base;
  for (const char* kv : {"policies.c.lever=productivity_shock", "policies.c.at=2000", "policies.c.until=2001",
                         "policies.c.value=-0.1"}) {
    crisis.emplace_back(kv);
  }
  const RunResult a = models::simulate(baseline_with(base));
  const RunResult b = models::simulate(baseline_with(crisis));
  const auto& ya = aggregate_series(a, "output");
  const auto& yb = aggregate_series(b, "output");
  for (std::size_t t = 0; t < 10; ++t) EXPECT_EQ(ya[t], yb[t]) << "before the episode, step " << t;
  EXPECT_LT(yb[10] / ya[10], 0.95) << "the 2000 episode cuts output";
  EXPECT_GT(yb[12] / ya[12], yb[10] / ya[10]) << "output recovers after it";
  const SectorSeries* episode = nullptr;
  for (const SectorSeries& series : b.policy_by_sector) {
    if (series.name == "productivity_shock") episode = &series;
  }
  ASSERT_NE(episode, nullptr);
  EXPECT_EQ(episode->values[10 * b.sectors.size()], -0.1);
  EXPECT_EQ(episode->values[11 * b.sectors.size()], 0.0);
}

//---- rates that cannot saturate ----

// No per-year event probability exceeds 1/2 anywhere in the baseline or all_levers: innovation,
// adoption and upgrade at their largest (every neighbour converged), and exit (capped by
// construction at ln 2 per year).
TEST(Rates, NoPerYearEventProbabilityExceedsOneHalf) {
  for (const char* file : {"scenarios/korea_baseline.yaml", "scenarios/all_levers.yaml"}) {
    const Scenario sc = load_scenario(source_path(file));
    double largest = 0;
    std::string where;
    for (int t = 0; t < sc.steps(); ++t) {
      const double year = sc.year_of_step(t);
      const models::SectorRates rates = models::sector_rates(sc, policy_at(sc, year));
      auto per_year = [&](double p) { return 1.0 - std::pow(1.0 - p, sc.time.steps_per_year); };
      for (std::size_t s = 0; s < sc.sectors.size(); ++s) {
        const std::pair<const char*, double> events[] = {{"innovation", rates.innovation[s]},
                                                         {"adoption", rates.adoption_max[s]},
                                                         {"upgrade", rates.upgrade_max[s]}};
        for (const auto& [name, p] : events) {
          if (per_year(p) > largest) {
            largest = per_year(p);
            where = std::string(name) + " in " + sc.sectors[s].name + ", " + std::to_string(year);
          }
        }
      }
    }
    EXPECT_LE(largest, 0.5) << file << ": " << where;
    EXPECT_GT(largest, 0.0) << file;
    EXPECT_LE(-std::expm1(-kMaxExitHazard), 0.5 + 1e-15) << "the exit ceiling";
  }
}

// Infrastructure scales hazards by 1 + e ln I: linear in the log, never a power.
TEST(Rates, InfrastructureScalesHazardsLinearlyInItsLog) {
  EXPECT_DOUBLE_EQ(models::infrastructure_factor(1.0, 3.0), 1.0);
  EXPECT_DOUBLE_EQ(models::infrastructure_factor(std::exp(1.0), 0.5), 1.5);
  EXPECT_DOUBLE_EQ(models::infrastructure_factor(std::exp(2.0), 0.5), 2.0);
  EXPECT_EQ(models::infrastructure_factor(0.01, 1.0), 0.0) << "never negative";
}

//---- selection and entry ----

// Young firms exit more than old ones, small more than large, and firms whose margin falls short
// of their sector's more than the others: measured on exits between two yearly snapshots.
TEST(Selection, ExitFallsWithAgeAndSizeAndRisesWithTheMarginShortfall) {
  const Scenario sc = baseline_with({"economy.firms=20000", "output.snapshot_years=[2000, 2001]"});
  const RunResult r = models::simulate(sc);
  ASSERT_EQ(r.snapshots.size(), 2u);
  auto column = [&](std::size_t k, const char* name) -> const std::vector<double>& {
    for (const FirmColumn& c : r.snapshots[k].columns) {
      if (c.name == name) return c.values;
    }
    ADD_FAILURE() << "no column " << name;
    static const std::vector<double> none;
    return none;
  };
  const auto& alive0 = column(0, "alive");
  const auto& age0 = column(0, "age");
  const auto& size0 = column(0, "employment");
  const auto& alive1 = column(1, "alive");
  double young = 0, young_exits = 0, old = 0, old_exits = 0, small = 0, small_exits = 0, large = 0, large_exits = 0;
  for (std::size_t i = 0; i < alive0.size(); ++i) {
    if (alive0[i] != 1) continue;
    const bool exited = alive1[i] == 0;
    const double years = age0[i] / sc.time.steps_per_year;
    if (years < 5) {
      young += 1;
      young_exits += exited;
    } else if (years >= 10) {
      old += 1;
      old_exits += exited;
    }
    if (size0[i] < 5) {
      small += 1;
      small_exits += exited;
    } else if (size0[i] >= 50) {
      large += 1;
      large_exits += exited;
    }
  }
  ASSERT_GT(young, 200.0);
  ASSERT_GT(old, 200.0);
  ASSERT_GT(large, 100.0);
  const double young_rate = young_exits / young, old_rate = old_exits / old;
  EXPECT_GT(young_rate, 1.5 * old_rate) << "young " << young_rate << ", old " << old_rate;
  EXPECT_GT(small_exits / small, 1.5 * large_exits / large);
}

// Entrants copy a random incumbent of their sector, shifted down by the gap, with noise: their
// mean log productivity is the incumbents' mean minus the gap, within sampling error.
TEST(Entry, EntrantsDrawProductivityFromTheIncumbentsShiftedDown) {
  const Scenario sc = baseline_with({"economy.firms=20000", "dynamics.entry_rate=0.3", "dynamics.entrant_productivity_gap=0.2",
                                     "dynamics.entrant_productivity_sd=0.1", "time.burn_in_years=0"});
  Stepper stepper(sc);
  const models::FirmState& f = stepper.economy().firms;
  const std::size_t n0 = f.size();
  // Incumbents' productivity by sector before the first step (what the samplers hold).
  const std::size_t S = sc.sectors.size();
  std::vector<double> sum(S, 0.0), count(S, 0.0);
  for (std::size_t i = 0; i < n0; ++i) {
    sum[f.sector[i]] += f.productivity[i];
    count[f.sector[i]] += 1;
  }
  const models::StepAggregates& out = stepper.advance();
  ASSERT_GT(out.total(models::kEntries), 2000.0);
  // Incumbents' own shocks moved their productivity within the step; entrants copied the values
  // before it (the samplers' firms hold the state at the start of the step, except for those shocks).
  double gap = 0, entrants = 0;
  for (std::size_t i = n0; i < f.size(); ++i) {
    const int s = f.sector[i];
    gap += f.productivity[i] - sum[s] / count[s];
    entrants += 1;
  }
  EXPECT_NEAR(gap / entrants, -0.2, 0.06) << entrants << " entrants";
}

//---- no start-up transient ----

// With the baseline's burn-in the first reported year's growth lies within the range of the
// growth of the other years (it was an 11 % outlier without one).
TEST(BurnIn, FirstYearGrowthIsNotAnOutlier) {
  const Scenario sc = baseline_with({"economy.firms=20000"});
  ASSERT_GT(sc.time.burn_in_years, 0);
  const RunResult r = models::simulate(sc);
  const auto& y = aggregate_series(r, "output");
  std::vector<double> growth;
  for (std::size_t t = 1; t < y.size(); ++t) growth.push_back(std::log(y[t] / y[t - 1]));
  const double first = growth.front();
  std::vector<double> rest(growth.begin() + 1, growth.end());
  std::sort(rest.begin(), rest.end());
  const double median = rest[rest.size() / 2];
  std::vector<double> deviations;
  for (double g : rest) deviations.push_back(std::abs(g - median));
  std::sort(deviations.begin(), deviations.end());
  const double mad = deviations[deviations.size() / 2];
  EXPECT_LT(std::abs(first - median), 3.0 * 1.4826 * mad) << "first-year growth " << first << ", median " << median;
}

// Burn-in steps are not reported but they do run: the reported years start from a different state.
TEST(BurnIn, BurnInStepsRunButAreNotReported) {
  const RunResult with = models::simulate(baseline_with({"economy.firms=2000", "time.burn_in_years=5"}));
  const RunResult without = models::simulate(baseline_with({"economy.firms=2000", "time.burn_in_years=0"}));
  EXPECT_EQ(with.time, without.time);
  EXPECT_EQ(with.time.front(), 1990.0);
  EXPECT_NE(aggregate_series(with, "output").front(), aggregate_series(without, "output").front());
}

//---- measured network access ----

TEST(Access, TheBaselineFollowsKoreasMeasuredInternetUse) {
  const Scenario sc = load_scenario(source_path("scenarios/korea_baseline.yaml"));
  // data/korea_internet_usage.yaml: 0.731 M users of about 41 M aged 7+ in 1996, 70.2 % in 2004,
  // 79 % in 2007 (the last survey).
  EXPECT_NEAR(policy_at(sc, 1996).accessibility, 0.731 / 41.0, 0.002);
  EXPECT_NEAR(policy_at(sc, 2004).accessibility, 0.702, 1e-12);
  EXPECT_NEAR(policy_at(sc, 2007).accessibility, 0.79, 1e-12);
  EXPECT_NEAR(policy_at(sc, 2002).accessibility, 0.45 + (0.702 - 0.45) / 2, 1e-12) << "linear between points";
  EXPECT_EQ(policy_at(sc, 2015).accessibility, 0.79) << "held after the last point";
  EXPECT_EQ(policy_at(sc, 1990).accessibility, 0.0);
}

TEST(Access, BadAccessPathsAreInputErrors) {
  EXPECT_THROW(scenario_from_yaml("environment: {access_path: {1990: 1.5}}"), InputError);
  EXPECT_THROW(scenario_from_yaml("environment: {access_path: {soon: 0.5}}"), InputError);
  EXPECT_THROW(scenario_from_yaml("environment: {access_path: {1990: [0.5]}}"), InputError);
}

//---- the Laplace draw behind firms' own productivity steps ----

TEST(RandomBlockLaplace, HasMeanZeroVarianceTwoScaleSquaredAndExcessKurtosisThree) {
  double sum = 0, sum2 = 0, sum4 = 0;
  const int n = 400000;
  for (int i = 0; i < n; ++i) {
    const double x = RandomBlock(5, static_cast<std::uint64_t>(i), Purpose::user, 0).laplace(0, 0.2);
    sum += x;
    sum2 += x * x;
    sum4 += x * x * x * x;
  }
  const double mean = sum / n, variance = sum2 / n, kurtosis = sum4 / n / (variance * variance);
  EXPECT_NEAR(mean, 0.0, 0.002);
  EXPECT_NEAR(variance / (2 * 0.2 * 0.2), 1.0, 0.01);
  EXPECT_NEAR(kurtosis, 6.0, 0.15);
}

}  // namespace
}  // namespace convsim::testing
