// Scenario warnings (valid input that is probably a mistake: events outside the run's years, new
// sectors far from the calibrated ones) and the policy schedule `convsim validate --print` shows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "convsim/scenario.hpp"
#include "test_support.hpp"

namespace convsim {
namespace {

using ::testing::HasSubstr;
using testing::source_path;
using testing::TempDir;
using testing::write_text;

const ScenarioWarning* warning_for(const Scenario& s, const std::string& key) {
  for (const auto& w : s.warnings) {
    if (w.key == key) return &w;
  }
  return nullptr;
}

std::string keys_of(const Scenario& s) {
  std::string out;
  for (const auto& w : s.warnings) out += w.key + "; ";
  return out;
}

// Expects a warning for `key` at `line` whose message holds `part`.
void expect_warning(const Scenario& s, const std::string& key, int line, const std::string& part) {
  const ScenarioWarning* w = warning_for(s, key);
  ASSERT_NE(w, nullptr) << key << " not among: " << keys_of(s);
  EXPECT_EQ(w->where.line, line) << key;
  EXPECT_THAT(w->message, HasSubstr(part)) << key;
}

TEST(ScenarioWarnings, EventsOutsideTheRunsYearsNameTheirFileLineAndKey) {
  TempDir dir;
  write_text(dir / "s.yaml",
             "time: {start_year: 1990, end_year: 2020}\n"    // 1
             "economy: {firms: 100}\n"                       // 2
             "policies:\n"                                   // 3
             "  late: {lever: smart_work, at: 2035, value: 0.3}\n"  // 4
             "  ancient:\n"                                  // 5
             "    lever: infrastructure\n"                   // 6
             "    at: 1850\n"                                // 7
             "    value: 0.5\n"                              // 8
             "  over: {lever: smart_work, at: 1970, until: 1985, value: 0.1}\n"  // 9
             "  slow: {lever: smart_work, at: 2019, ramp_years: 4, value: 0.2}\n"  // 10
             "  fine: {lever: barrier, sectors: [health_care], at: 2015, ramp_years: 1, value: 0.1}\n"  // 11
             "  ends: {lever: smart_work, at: 2000, until: 2030, value: 0.1}\n");  // 12
  const Scenario s = load_scenario(dir / "s.yaml");
  ASSERT_EQ(s.warnings.size(), 3u) << keys_of(s);

  const ScenarioWarning* late = warning_for(s, "policies.late.at");
  ASSERT_NE(late, nullptr) << keys_of(s);
  EXPECT_EQ(late->where.line, 4);
  EXPECT_EQ(late->where.file, (dir / "s.yaml").string());
  EXPECT_THAT(late->message, HasSubstr("after the run's last step (2020): it never acts in this run"));
  EXPECT_EQ(late->text(), (dir / "s.yaml").string() + ":4: key 'policies.late.at': " + late->message);

  expect_warning(s, "policies.ancient.at", 7,
                 "before the run's first year (1990): it is in force from the first step at strength 1");
  expect_warning(s, "policies.over.until", 9, "ends in 1985, before the run's first step (1990): it never acts");
  // A ramp still rising at the end (2019 + 4 years) starts within the run: no warning.
  EXPECT_EQ(warning_for(s, "policies.slow.at"), nullptr);
  EXPECT_EQ(warning_for(s, "policies.slow.ramp_years"), nullptr);
  EXPECT_EQ(warning_for(s, "policies.fine.at"), nullptr);
  EXPECT_EQ(warning_for(s, "policies.ends.until"), nullptr);
}

TEST(ScenarioWarnings, ShorteningTheRunWarnsAboutTheEventsItCutsOff) {
  const Scenario full = load_scenario(source_path("scenarios/remove_barriers.yaml"));
  EXPECT_TRUE(full.warnings.empty()) << keys_of(full);
  const Scenario short_run = load_scenario(source_path("scenarios/remove_barriers.yaml"), {"time.end_year=2000"});
  EXPECT_NE(warning_for(short_run, "policies.telemedicine.at"), nullptr) << keys_of(short_run);
  EXPECT_NE(warning_for(short_run, "policies.crisis_2009.at"), nullptr) << keys_of(short_run);
  EXPECT_EQ(warning_for(short_run, "policies.crisis_1998.at"), nullptr) << keys_of(short_run);
}

// A calibrated file (with a `calibration` section, no roles: the scenario extending it names
// them, as korea_baseline.yaml extends calibration/korea_calibrated.yaml).
constexpr const char* kCalibrated =
    "sectors:\n"
    "  apps: {capital_per_worker: 0.1, initial_converged: 0.4}\n"
    "  shops: {capital_per_worker: 0.2, initial_converged: 0.3}\n"
    "  clinics: {capital_per_worker: 0.3, initial_converged: 0.2}\n"
    "calibration:\n"
    "  method: test\n";

TEST(ScenarioWarnings, SectorsOutsideTheCalibratedRangeAreNamedDefaultsIncluded) {
  TempDir dir;
  write_text(dir / "calibrated.yaml", kCalibrated);
  write_text(dir / "s.yaml",
             "extends: calibrated.yaml\n"                                                    // 1
             "economy: {firms: 100}\n"                                                       // 2
             "sectors:\n"                                                                    // 3
             "  apps: {role: platform, capital_per_worker: 5}\n"                             // 4
             "  shops: {role: converging, barrier: 0.2}\n"                                   // 5
             "  clinics: {role: converging, barrier: 0.5}\n"                                 // 6
             "  fintech: {role: converging, firm_share: 0.1, barrier: 0.9}\n"                // 7
             "  farms: {role: converging, capital_per_worker: 0.25, initial_converged: 0.3}\n");  // 8
  const Scenario s = load_scenario(dir / "s.yaml");
  ASSERT_EQ(s.warnings.size(), 3u) << keys_of(s);
  // The range is that of the calibrated values left: shops' and clinics' (apps' is overridden).
  expect_warning(s, "sectors.apps.capital_per_worker", 4,
                 "5 lies outside the range of the calibrated sectors, 0.2 to 0.3 (" + (dir / "calibrated.yaml").string() + ")");
  expect_warning(s, "sectors.fintech.capital_per_worker", 7,
                 "1 (the default) lies outside the range of the calibrated sectors, 0.2 to 0.3");
  expect_warning(s, "sectors.fintech.initial_converged", 7,
                 "0 (the default) lies outside the range of the calibrated sectors, 0.2 to 0.4");
  // barrier is not a calibrated field; farms lies within both ranges.
  EXPECT_EQ(warning_for(s, "sectors.fintech.barrier"), nullptr);
  EXPECT_EQ(warning_for(s, "sectors.farms.capital_per_worker"), nullptr);
  EXPECT_EQ(warning_for(s, "sectors.farms.initial_converged"), nullptr);

  // Without a calibration section there is nothing to compare with.
  write_text(dir / "plain.yaml", "economy: {firms: 100}\nsectors:\n  a: {role: platform, capital_per_worker: 0.1}\n"
                                 "  b: {role: converging}\n");
  EXPECT_TRUE(load_scenario(dir / "plain.yaml").warnings.empty());
}

TEST(ScenarioWarnings, TheShippedScenariosAndTheDocumentedNewSectorHaveNone) {
  for (const char* name : {"korea_baseline", "remove_barriers", "infrastructure_5g", "selective_focus", "smart_work",
                           "accessibility", "all_levers"}) {
    const Scenario s = load_scenario(source_path(std::string("scenarios/") + name + ".yaml"));
    EXPECT_TRUE(s.warnings.empty()) << name << ": " << (s.warnings.empty() ? "" : s.warnings.front().text());
  }
  // docs/scenarios.md's example of adding a sector, added to the calibrated baseline.
  std::ifstream docs(source_path("docs/scenarios.md"));
  std::string line, sector;
  while (std::getline(docs, line)) {
    if (line.rfind("  fintech:", 0) == 0) sector = line;
  }
  ASSERT_FALSE(sector.empty()) << "docs/scenarios.md has no fintech example";
  TempDir dir;
  write_text(dir / "fintech.yaml", "extends: " + source_path("scenarios/korea_baseline.yaml").string() + "\nsectors:\n" + sector + "\n");
  const Scenario s = load_scenario(dir / "fintech.yaml");
  EXPECT_EQ(s.sector_index("fintech"), 11);
  EXPECT_TRUE(s.warnings.empty()) << s.warnings.front().text();
}

TEST(PolicySchedule, LinesShowWhenEachEventFirstMovesAndIsFull) {
  const Scenario annual = build_scenario(ScenarioDocument::parse(
      "time: {start_year: 1990, end_year: 2020}\n"
      "policies:\n"
      "  g5: {lever: infrastructure, at: 2019, ramp_years: 2, value: 0.5}\n"
      "  ban: {lever: barrier, sectors: [health_care, energy], at: 2015, until: 2018, value: 1}\n"
      "  late: {lever: smart_work, at: 2035, value: 0.3}\n",
      "<test>"));
  const std::vector<std::string> lines = policy_schedule_lines(annual);
  ASSERT_EQ(lines.size(), 3u);
  // Strength (year - 2019) / 2: 0 in 2019, 0.5 in 2020, 1 in 2021 (after the run's last step).
  EXPECT_EQ(lines[0], "g5: infrastructure add 0.5 at 2019, ramp 2 years: strength 0 in 2019 (at), 0.5 in 2020, "
                      "full from 2021 (after the run)");
  EXPECT_EQ(lines[1], "ban: barrier [health_care, energy] set 1 at 2015, until 2018: full from 2015, back to 0 from 2018");
  EXPECT_EQ(lines[2], "late: smart_work add 0.3 at 2035: never in force within the run");

  // Quarterly steps: the ramp first moves one quarter after `at`, by a quarter of a year's share.
  const Scenario quarterly = build_scenario(ScenarioDocument::parse(
      "time: {start_year: 2010, end_year: 2020, steps_per_year: 4}\n"
      "policies:\n  sw: {lever: smart_work, at: 2011, ramp_years: 4, value: 0.3}\n",
      "<test>"));
  EXPECT_EQ(policy_schedule_lines(quarterly).at(0),
            "sw: smart_work add 0.3 at 2011, ramp 4 years: strength 0 in 2011 (at), 0.0625 in 2011.25, full from 2015");
}

}  // namespace
}  // namespace convsim
