// The policy schedule (sim/src/policy_schedule.cpp): event strength with ramps and `until`, set vs
// add modes, sector targeting, clamping, and the /policy/events records.
#include <gtest/gtest.h>

#include <cmath>

#include "convsim/errors.hpp"
#include "convsim/policy_schedule.hpp"
#include "convsim/scenario.hpp"

namespace convsim {
namespace {

Scenario scenario_from_yaml(const std::string& yaml) {
  return build_scenario(ScenarioDocument::parse(yaml, "<test>"));
}

// Three sectors, infrastructure constant at 2, accessibility 0.5; policies appended by each test.
std::string three_sectors(const std::string& policies) {
  return R"(
time: {start_year: 2000, end_year: 2030}
environment: {infrastructure: 2, infrastructure_growth: 0, accessibility: 0.5, smart_work: 0.1}
sectors:
  platform: {role: platform}
  clinic:   {role: converging, barrier: 0.6}
  farm:     {role: converging, barrier: 0.2}
policies:
)" + policies;
}

PolicyEvent event(double at, double until, double ramp) {
  PolicyEvent e;
  e.at = at;
  e.until = until;
  e.ramp_years = ramp;
  return e;
}

TEST(EventStrength, StepWithoutRamp) {
  const PolicyEvent e = event(2010, INFINITY, 0);
  EXPECT_EQ(event_strength(e, 2009.999), 0.0);
  EXPECT_EQ(event_strength(e, 2010), 1.0);
  EXPECT_EQ(event_strength(e, 2100), 1.0);
}

TEST(EventStrength, LinearRampToFullStrength) {
  const PolicyEvent e = event(2010, INFINITY, 4);
  EXPECT_EQ(event_strength(e, 2010), 0.0);
  EXPECT_DOUBLE_EQ(event_strength(e, 2011), 0.25);
  EXPECT_DOUBLE_EQ(event_strength(e, 2012.5), 0.625);
  EXPECT_EQ(event_strength(e, 2014), 1.0);
  EXPECT_EQ(event_strength(e, 2020), 1.0);
}

TEST(EventStrength, UntilEndsTheEventEvenDuringTheRamp) {
  const PolicyEvent e = event(2010, 2012, 4);
  EXPECT_DOUBLE_EQ(event_strength(e, 2011.5), 0.375);
  EXPECT_EQ(event_strength(e, 2012), 0.0) << "`until` is exclusive";
  EXPECT_EQ(event_strength(e, 2013), 0.0);
}

TEST(PolicyAt, BaselineLevelsWithoutEvents) {
  const Scenario sc = scenario_from_yaml(R"(
time: {start_year: 1990, end_year: 2020}
environment: {infrastructure: 1.5, infrastructure_growth: 0.03, accessibility: 0.6, smart_work: 0.2}
sectors:
  platform: {role: platform}
  clinic:   {role: converging, barrier: 0.6}
)");
  const PolicyState p = policy_at(sc, 2000);
  EXPECT_DOUBLE_EQ(p.infrastructure, 1.5 * std::exp(0.03 * 10));
  EXPECT_EQ(p.accessibility, 0.6);
  EXPECT_EQ(p.smart_work, 0.2);
  EXPECT_EQ(p.barrier, (std::vector<double>{0.0, 0.6}));
  EXPECT_EQ(p.selective_focus, (std::vector<double>{0.0, 0.0}));
  EXPECT_EQ(p.rd_support, (std::vector<double>{0.0, 0.0}));
}

TEST(PolicyAt, SetModeMovesTheLevelTowardsTheValueAlongTheRamp) {
  const Scenario sc = scenario_from_yaml(three_sectors(R"(
  telemedicine: {lever: barrier, sectors: [clinic], at: 2010, ramp_years: 2, value: 0.1}
)"));
  ASSERT_FALSE(sc.policies[0].additive) << "barrier defaults to mode set";
  EXPECT_DOUBLE_EQ(policy_at(sc, 2009).barrier[1], 0.6);
  EXPECT_DOUBLE_EQ(policy_at(sc, 2011).barrier[1], 0.6 + 0.5 * (0.1 - 0.6));
  EXPECT_DOUBLE_EQ(policy_at(sc, 2012).barrier[1], 0.1);
  EXPECT_DOUBLE_EQ(policy_at(sc, 2025).barrier[1], 0.1);
}

TEST(PolicyAt, AddModeAddsTheValueAlongTheRamp) {
  const Scenario sc = scenario_from_yaml(three_sectors(R"(
  lte: {lever: infrastructure, at: 2014, ramp_years: 3, value: 0.6}
)"));
  ASSERT_TRUE(sc.policies[0].additive) << "infrastructure defaults to mode add";
  EXPECT_DOUBLE_EQ(policy_at(sc, 2013).infrastructure, 2.0);
  EXPECT_DOUBLE_EQ(policy_at(sc, 2015).infrastructure, 2.0 + 0.6 / 3);
  EXPECT_DOUBLE_EQ(policy_at(sc, 2017).infrastructure, 2.6);
  EXPECT_DOUBLE_EQ(policy_at(sc, 2030).infrastructure, 2.6);
}

TEST(PolicyAt, ExplicitModeOverridesTheLeversDefault) {
  const Scenario sc = scenario_from_yaml(three_sectors(R"(
  cut: {lever: barrier, sectors: [farm], at: 2010, value: -0.15, mode: add}
  level: {lever: infrastructure, at: 2012, value: 5, mode: set}
  access: {lever: accessibility, at: 2014, value: 0.2, mode: add}
)"));
  EXPECT_DOUBLE_EQ(policy_at(sc, 2011).barrier[2], 0.05);
  EXPECT_DOUBLE_EQ(policy_at(sc, 2011).infrastructure, 2.0);
  EXPECT_DOUBLE_EQ(policy_at(sc, 2012).infrastructure, 5.0);
  EXPECT_DOUBLE_EQ(policy_at(sc, 2015).accessibility, 0.7);
}

TEST(PolicyAt, UntilRestoresThePreviousLevel) {
  const Scenario sc = scenario_from_yaml(three_sectors(R"(
  pilot: {lever: smart_work, at: 2010, until: 2015, value: 0.4}
  ban: {lever: barrier, sectors: [farm], at: 2012, until: 2014, value: 1}
)"));
  EXPECT_DOUBLE_EQ(policy_at(sc, 2009).smart_work, 0.1);
  EXPECT_DOUBLE_EQ(policy_at(sc, 2014.9).smart_work, 0.5);
  EXPECT_DOUBLE_EQ(policy_at(sc, 2015).smart_work, 0.1);
  EXPECT_DOUBLE_EQ(policy_at(sc, 2013).barrier[2], 1.0);
  EXPECT_DOUBLE_EQ(policy_at(sc, 2014).barrier[2], 0.2);
}

TEST(PolicyAt, SectorTargetingTouchesOnlyTheNamedSectors) {
  const Scenario sc = scenario_from_yaml(three_sectors(R"(
  focus: {lever: selective_focus, sectors: [clinic, farm], at: 2010, value: 0.5}
  rd: {lever: rd_support, sectors: [platform], at: 2010, value: 1.5}
  open: {lever: barrier, sectors: [clinic], at: 2010, value: 0}
)"));
  const PolicyState p = policy_at(sc, 2010);
  EXPECT_EQ(p.selective_focus, (std::vector<double>{0.0, 0.5, 0.5}));
  EXPECT_EQ(p.rd_support, (std::vector<double>{1.5, 0.0, 0.0}));
  EXPECT_EQ(p.barrier, (std::vector<double>{0.0, 0.0, 0.2}));
}

TEST(PolicyAt, NoSectorsMeansEverySector) {
  const Scenario sc = scenario_from_yaml(three_sectors(R"(
  focus: {lever: selective_focus, at: 2010, value: 0.3}
  open: {lever: barrier, at: 2010, value: 0.1}
)"));
  const PolicyState p = policy_at(sc, 2010);
  EXPECT_EQ(p.selective_focus, (std::vector<double>{0.3, 0.3, 0.3}));
  // Set mode computes level + s (value - level): equal to value up to rounding.
  for (double barrier : p.barrier) EXPECT_DOUBLE_EQ(barrier, 0.1);
}

TEST(PolicyAt, EventsApplyInScenarioOrder) {
  // add then set: the set wins; set then add: the add stacks on the set level.
  const Scenario add_then_set = scenario_from_yaml(three_sectors(R"(
  a: {lever: infrastructure, at: 2010, value: 1}
  b: {lever: infrastructure, at: 2010, value: 4, mode: set}
)"));
  EXPECT_DOUBLE_EQ(policy_at(add_then_set, 2010).infrastructure, 4.0);
  const Scenario set_then_add = scenario_from_yaml(three_sectors(R"(
  b: {lever: infrastructure, at: 2010, value: 4, mode: set}
  a: {lever: infrastructure, at: 2010, value: 1}
)"));
  EXPECT_DOUBLE_EQ(policy_at(set_then_add, 2010).infrastructure, 5.0);
}

TEST(PolicyAt, TwoRampsStack) {
  // LTE-A then 5G, each +0.5 over 3 years.
  const Scenario sc = scenario_from_yaml(three_sectors(R"(
  lte: {lever: infrastructure, at: 2014, ramp_years: 3, value: 0.5}
  five_g: {lever: infrastructure, at: 2019, ramp_years: 3, value: 0.5}
)"));
  EXPECT_DOUBLE_EQ(policy_at(sc, 2016).infrastructure, 2.0 + 0.5 * 2 / 3);
  EXPECT_DOUBLE_EQ(policy_at(sc, 2018).infrastructure, 2.5);
  EXPECT_DOUBLE_EQ(policy_at(sc, 2020).infrastructure, 2.5 + 0.5 / 3);
  EXPECT_DOUBLE_EQ(policy_at(sc, 2023).infrastructure, 3.0);
}

TEST(PolicyAt, LevelsAreClampedToTheirRanges) {
  const Scenario sc = scenario_from_yaml(three_sectors(R"(
  up: {lever: barrier, sectors: [clinic], at: 2010, value: 0.9, mode: add}
  down: {lever: barrier, sectors: [farm], at: 2010, value: -0.9, mode: add}
  access: {lever: accessibility, at: 2010, value: 0.9, mode: add}
  rd: {lever: rd_support, sectors: [farm], at: 2010, value: -1}
  rd2: {lever: rd_support, sectors: [farm], at: 2011, value: -1}
  infra: {lever: infrastructure, at: 2010, value: -50}
)"));
  const PolicyState p = policy_at(sc, 2012);
  EXPECT_EQ(p.barrier[1], 1.0);
  EXPECT_EQ(p.barrier[2], 0.0);
  EXPECT_EQ(p.accessibility, 1.0);
  EXPECT_EQ(p.rd_support[2], -1.0);
  EXPECT_GT(p.infrastructure, 0.0);
}

TEST(PolicyAt, IsAPureFunctionOfScenarioAndTime) {
  const Scenario sc = scenario_from_yaml(three_sectors(R"(
  lte: {lever: infrastructure, at: 2014, ramp_years: 3, value: 0.5}
  focus: {lever: selective_focus, sectors: [farm], at: 2012, ramp_years: 1.5, value: 0.5}
)"));
  const PolicyState late = policy_at(sc, 2016.25);
  policy_at(sc, 2001);
  const PolicyState again = policy_at(sc, 2016.25);
  EXPECT_EQ(late.infrastructure, again.infrastructure);
  EXPECT_EQ(late.selective_focus, again.selective_focus);
}

TEST(PolicyEventRecords, DescribeEveryEventAsWritten) {
  const Scenario sc = scenario_from_yaml(three_sectors(R"(
  telemedicine: {lever: barrier, sectors: [clinic, farm], at: 2015, ramp_years: 1, value: 0.1}
  pilot: {lever: smart_work, at: 2010, until: 2012.5, value: 0.4}
)"));
  const std::vector<PolicyEventRecord> records = policy_event_records(sc);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].name, "telemedicine");
  EXPECT_EQ(records[0].lever, "barrier");
  EXPECT_EQ(records[0].sectors, "clinic,farm");
  EXPECT_EQ(records[0].mode, "set");
  EXPECT_EQ(records[0].at, 2015);
  EXPECT_TRUE(std::isnan(records[0].until));
  EXPECT_EQ(records[0].ramp_years, 1);
  EXPECT_EQ(records[0].value, 0.1);
  EXPECT_EQ(records[1].lever, "smart_work");
  EXPECT_EQ(records[1].sectors, "");
  EXPECT_EQ(records[1].mode, "add");
  EXPECT_EQ(records[1].until, 2012.5);
}

TEST(PolicyValidation, BadEventsAreInputErrors) {
  EXPECT_THROW(scenario_from_yaml(three_sectors("  x: {lever: barrier, at: 2010, value: 1.5}\n")), InputError);
  EXPECT_THROW(scenario_from_yaml(three_sectors("  x: {lever: warp_drive, at: 2010, value: 1}\n")), InputError);
  EXPECT_THROW(scenario_from_yaml(three_sectors("  x: {lever: barrier, sectors: [mining], at: 2010, value: 0}\n")), InputError);
  EXPECT_THROW(scenario_from_yaml(three_sectors("  x: {lever: barrier, at: 2010, until: 2009, value: 0}\n")), InputError);
  EXPECT_THROW(scenario_from_yaml(three_sectors("  x: {lever: barrier, at: 2010}\n")), InputError);
  EXPECT_THROW(scenario_from_yaml(three_sectors("  x: {lever: barrier, at: 2010, value: 0, mode: multiply}\n")), InputError);
}

}  // namespace
}  // namespace convsim
