// estimate_run_memory against what a run really holds (issue 12, item 6): its result series, firm
// snapshots and firm slots after entry, counted from RunResults of small runs; and a run far
// above the memory there is refused before anything is allocated.
#include <gtest/gtest.h>

#include "convsim/errors.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/scenario.hpp"
#include "convsim/scenario_document.hpp"
#include "test_support.hpp"

namespace convsim {
namespace {

using testing::contains;

Scenario scenario_of(const std::string& yaml) { return build_scenario(ScenarioDocument::parse(yaml, "<test>")); }

std::string sectors_yaml(int converging) {
  std::string text = "sectors:\n  net: {role: network}\n";
  for (int i = 0; i < converging; ++i) text += "  c" + std::to_string(i) + ": {role: converging}\n";
  return text;
}

double series_bytes(const RunResult& r) {
  double values = 0;
  for (const auto& s : r.aggregate) values += static_cast<double>(s.values.size());
  for (const auto& s : r.convergence) values += static_cast<double>(s.values.size());
  for (const auto& s : r.policy) values += static_cast<double>(s.values.size());
  for (const auto& s : r.by_sector) values += static_cast<double>(s.values.size());
  for (const auto& s : r.policy_by_sector) values += static_cast<double>(s.values.size());
  return 8.0 * values;
}

double snapshot_bytes(const RunResult& r) {
  double values = 0;
  for (const auto& snap : r.snapshots) {
    for (const auto& c : snap.columns) values += static_cast<double>(c.values.size());
  }
  return 8.0 * values;
}

TEST(MemoryEstimate, CountsEveryResultSeriesOverSectorsAndSteps) {
  const Scenario s = scenario_of("name: m\ntime: {start_year: 2000, end_year: 2009, steps_per_year: 12}\neconomy: {firms: 400}\n" +
                                 sectors_yaml(60));
  const RunResult r = models::simulate(s);
  const double real = series_bytes(r);
  const RunMemoryEstimate e = estimate_run_memory(s);
  EXPECT_GE(e.result_series, real);
  EXPECT_LE(e.result_series, 2 * real);
}

TEST(MemoryEstimate, CountsFirmSnapshots) {
  const Scenario s = scenario_of(
      "name: m\ntime: {start_year: 2000, end_year: 2009}\neconomy: {firms: 3000}\n"
      "output: {snapshot_years: [2000, 2002, 2004, 2006, 2008, 2009]}\n");
  models::RunOptions options;
  options.firm_snapshots = true;
  const RunResult r = models::simulate(s, options);
  ASSERT_EQ(r.snapshots.size(), 6u);
  const double real = snapshot_bytes(r);
  const RunMemoryEstimate e = estimate_run_memory(s);
  EXPECT_GE(e.snapshots, real);
  EXPECT_LE(e.snapshots, 2 * real);
}

TEST(MemoryEstimate, FollowsCompoundingEntry) {
  // Entry at 0.35 per firm-year over 12 years multiplies the firms about 40-fold.
  const Scenario s = scenario_of(
      "name: m\ntime: {start_year: 2000, end_year: 2011}\neconomy: {firms: 1000}\n"
      "dynamics: {entry_rate: 0.35}\noutput: {snapshot_years: [2011]}\n");
  models::RunOptions options;
  options.firm_snapshots = true;
  const RunResult r = models::simulate(s, options);
  ASSERT_EQ(r.snapshots.size(), 1u);
  const double slots = static_cast<double>(r.snapshots[0].columns[0].values.size());
  ASSERT_GT(slots, 10 * 1000.0);  // the case is one of growth
  const RunMemoryEstimate e = estimate_run_memory(s);
  EXPECT_GE(e.peak_firm_slots, slots / 2);
  EXPECT_LE(e.peak_firm_slots, slots * 2);
}

TEST(MemoryEstimate, ARunFarAboveTheMemoryThereIsRefused) {
  // 4,096 sectors x 52 steps x 700 years: the by-sector series alone are 8 bytes x T x S x (the
  // number of [T, S] series a real result has, counted from a small run).
  const RunResult small = models::simulate(scenario_of("name: m\ntime: {start_year: 2000, end_year: 2000}\neconomy: {firms: 50}\n"));
  const double sector_series = static_cast<double>(small.by_sector.size() + small.policy_by_sector.size());
  const Scenario wide = scenario_of("name: wide\ntime: {start_year: 1800, end_year: 2499, steps_per_year: 52}\neconomy: {firms: 5000}\n" +
                                    sectors_yaml(4095));
  EXPECT_GE(static_cast<double>(estimated_run_bytes(wide)), 8.0 * 700 * 52 * 4096 * sector_series);
  // Entry at 10 per firm-year compounds past any memory within a few years.
  const Scenario growing = scenario_of("name: g\neconomy: {firms: 1000}\ndynamics: {entry_rate: 10}\n");
  try {
    check_memory(growing);
    ADD_FAILURE() << "a run of exponential growth was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), "economy.firms");
    EXPECT_TRUE(contains(e.detail(), "more than 10^6 GB")) << e.what();
    EXPECT_TRUE(contains(e.detail(), "entry")) << e.what();
  }
}

}  // namespace
}  // namespace convsim
