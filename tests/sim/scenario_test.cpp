// Scenario loading: extends, overrides, defaults, and every kind of bad input naming file, line, key.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "convsim/errors.hpp"
#include "convsim/scenario.hpp"
#include "test_support.hpp"

namespace convsim {
namespace {

using testing::TempDir;
using testing::write_text;

// Loads YAML text written to a file; returns the InputError it raises (or fails the test).
InputError load_error(const TempDir& dir, const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  write_text(dir / "s.yaml", yaml);
  try {
    load_scenario(dir / "s.yaml", overrides);
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no InputError for:\n" << yaml;
  return InputError("", 0, "", "");
}

TEST(Scenario, DefaultsGiveTheStudySectorsAndValueChainLinks) {
  const Scenario s = build_scenario(ScenarioDocument::parse("name: plain\n", "<test>"));
  ASSERT_EQ(s.sectors.size(), 11u);
  EXPECT_EQ(s.sectors[0].name, "contents");
  EXPECT_EQ(s.sectors[4].name, "health_care");
  EXPECT_GT(s.link_intensity(0, 1), 0.0);  // contents -> platform
  EXPECT_GT(s.link_intensity(2, 3), 0.0);  // network -> device
  EXPECT_EQ(s.link_intensity(3, 0), 0.0);  // no device -> contents in the chain
  EXPECT_GT(s.link_intensity(1, 4), 0.0);  // platform -> health care (ICT supplies converging)
  EXPECT_EQ(s.steps(), 31);
}

TEST(Scenario, ExtendsMergesMapsAndTheDerivedFileWins) {
  TempDir dir;
  write_text(dir / "base.yaml",
             "name: base\nseed: 7\neconomy: {firms: 500, initial_wage: 0.3}\n"
             "sectors:\n  ict: {role: platform, firm_share: 1}\n  farm: {role: converging, firm_share: 2, barrier: 0.5}\n");
  write_text(dir / "derived.yaml", "extends: base.yaml\nname: derived\neconomy: {firms: 800}\nsectors:\n  farm: {barrier: 0.1}\n");
  const Scenario s = load_scenario(dir / "derived.yaml");
  EXPECT_EQ(s.name, "derived");
  EXPECT_EQ(s.seed, 7u);
  EXPECT_EQ(s.economy.firms, 800);
  EXPECT_DOUBLE_EQ(s.economy.initial_wage, 0.3);
  ASSERT_EQ(s.sectors.size(), 2u);
  EXPECT_EQ(s.sectors[1].name, "farm");  // order of the base file is kept
  EXPECT_DOUBLE_EQ(s.sectors[1].barrier, 0.1);
  EXPECT_DOUBLE_EQ(s.sectors[1].firm_share, 2.0);
}

TEST(Scenario, OverridesApplyAfterTheFileAndAreValidated) {
  TempDir dir;
  write_text(dir / "s.yaml", "economy: {firms: 500}\n");
  const Scenario s = load_scenario(dir / "s.yaml", {"economy.firms=1234", "sectors.energy.role=converging",
                                                    "policies.p.lever=barrier", "policies.p.at=2000", "policies.p.value=0",
                                                    "policies.p.sectors=[energy]"});
  EXPECT_EQ(s.economy.firms, 1234);
  ASSERT_EQ(s.policies.size(), 1u);
  EXPECT_EQ(s.policies[0].sectors, std::vector<int>{0});
  EXPECT_FALSE(s.policies[0].additive);  // barrier defaults to mode set
}

TEST(Scenario, ResolvedYamlReloadsToTheSameScenario) {
  TempDir dir;
  write_text(dir / "s.yaml", "name: r\nseed: 99\neconomy: {firms: 321}\npolicies:\n  fiveg: {lever: infrastructure, at: 2014, value: 0.5, ramp_years: 3}\n");
  const Scenario first = load_scenario(dir / "s.yaml");
  const Scenario second = build_scenario(ScenarioDocument::parse(first.resolved_yaml, "<resolved>"));
  EXPECT_EQ(first.resolved_yaml, second.resolved_yaml);
  EXPECT_EQ(run_identity(first), run_identity(second));
  EXPECT_EQ(second.policies.at(0).ramp_years, 3.0);
  EXPECT_TRUE(second.policies.at(0).additive);
}

TEST(Scenario, LargeSeedsAreReadExactly) {
  // 2^53 + 1 is not representable as a double: reading through a double would give 2^53.
  const Scenario a = build_scenario(ScenarioDocument::parse("seed: 9007199254740993\n", "<t>"));
  const Scenario b = build_scenario(ScenarioDocument::parse("seed: 9007199254740992\n", "<t>"));
  EXPECT_EQ(a.seed, 9007199254740993ull);
  EXPECT_NE(run_identity(a), run_identity(b));
  EXPECT_EQ(build_scenario(ScenarioDocument::parse("economy: {firms: 1e4}\n", "<t>")).economy.firms, 10000);
}

TEST(ScenarioDocument, SettingAKeyInACopyLeavesTheOriginalAlone) {
  const ScenarioDocument original = ScenarioDocument::parse("economy: {firms: 10}\n", "<t>");
  ScenarioDocument copy = original;
  copy.apply_override("economy.firms=20");
  EXPECT_EQ(original.find("economy.firms")->value.Scalar(), "10");
  EXPECT_EQ(copy.find("economy.firms")->value.Scalar(), "20");
}

TEST(ScenarioDocument, TheSameTextParsedAgainGivesAnIndependentDocument) {
  // The parsed tree of a text is kept for the next parse of the same text (detail/parsed_yaml.hpp):
  // documents clone what they hold, so changing one leaves the next parse alone, and a text that
  // does not parse is refused each time with the same message and its own file.
  const std::string text = "economy: {firms: 10}\npolicies: {a: {lever: barrier, at: 2000, value: 0}}\n";
  ScenarioDocument first = ScenarioDocument::parse(text, "<first>");
  first.apply_override("economy.firms=20");
  first.erase_subtree("policies");
  const ScenarioDocument second = ScenarioDocument::parse(text, "<second>");
  EXPECT_EQ(second.find("economy.firms")->value.Scalar(), "10");
  EXPECT_EQ(second.find("economy.firms")->where.file, "<second>");
  EXPECT_NE(second.find("policies.a.lever"), nullptr);
  EXPECT_EQ(second.to_yaml(), ScenarioDocument::parse(text, "<third>").to_yaml());
  std::vector<std::string> errors;
  for (const char* file : {"<bad1>", "<bad2>", "<bad1>"}) {
    try {
      ScenarioDocument::parse("economy: {firms: [1\n", file);
    } catch (const InputError& e) {
      errors.push_back(e.what());
    }
  }
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0], errors[2]);
  EXPECT_NE(errors[0].find("<bad1>"), std::string::npos);
  EXPECT_NE(errors[1].find("<bad2>"), std::string::npos);
}

TEST(Scenario, IdentityChangesWithSeedAndParameters) {
  const Scenario a = build_scenario(ScenarioDocument::parse("seed: 1\n", "<t>"));
  const Scenario b = build_scenario(ScenarioDocument::parse("seed: 2\n", "<t>"));
  const Scenario c = build_scenario(ScenarioDocument::parse("seed: 1\neconomy: {firms: 10}\n", "<t>"));
  EXPECT_NE(run_identity(a), run_identity(b));
  EXPECT_NE(run_identity(a), run_identity(c));
  EXPECT_EQ(run_identity(a).size(), 32u);
}

TEST(ScenarioErrors, BadYamlSyntaxNamesTheLine) {
  TempDir dir;
  const InputError e = load_error(dir, "name: x\neconomy:\n  firms: [1, 2\n");
  EXPECT_EQ(e.file(), (dir / "s.yaml").string());
  EXPECT_GE(e.line(), 3);
  EXPECT_NE(std::string(e.what()).find("invalid YAML"), std::string::npos);
}

TEST(ScenarioErrors, UnknownKeyNamesLineKeyAndSuggestion) {
  TempDir dir;
  const InputError e = load_error(dir, "name: x\neconomy:\n  firm: 10\n");
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.key(), "economy.firm");
  EXPECT_NE(e.detail().find("did you mean 'economy.firms'"), std::string::npos) << e.what();
}

TEST(ScenarioErrors, WrongTypeNegativeAbsurdAndNaN) {
  TempDir dir;
  InputError e = load_error(dir, "economy:\n  firms: many\n");
  EXPECT_EQ(e.key(), "economy.firms");
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(e.detail().find("found 'many'"), std::string::npos);
  EXPECT_NE(e.detail().find("whole number"), std::string::npos);

  e = load_error(dir, "economy:\n  firms: -5\n");
  EXPECT_NE(e.detail().find("found -5"), std::string::npos);
  e = load_error(dir, "economy:\n  firms: 1e12\n");
  EXPECT_EQ(e.key(), "economy.firms");
  e = load_error(dir, "production:\n  depreciation: .nan\n");
  EXPECT_EQ(e.key(), "production.depreciation");
  EXPECT_NE(e.detail().find("finite"), std::string::npos);
  e = load_error(dir, "sectors:\n  a: {role: platform, barrier: 1.5}\n");
  EXPECT_EQ(e.key(), "sectors.a.barrier");
  EXPECT_EQ(e.line(), 2);
}

TEST(ScenarioErrors, MissingFileAndMissingBase) {
  TempDir dir;
  EXPECT_THROW(load_scenario(dir / "nope.yaml"), InputError);
  const InputError e = load_error(dir, "name: x\nextends: absent.yaml\n");
  EXPECT_EQ(e.key(), "extends");
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(e.detail().find("absent.yaml"), std::string::npos);
}

TEST(ScenarioErrors, ExtendsCycleIsRefused) {
  TempDir dir;
  write_text(dir / "a.yaml", "extends: b.yaml\n");
  write_text(dir / "b.yaml", "extends: a.yaml\n");
  try {
    load_scenario(dir / "a.yaml");
    FAIL() << "cycle not detected";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), "extends");
    EXPECT_NE(e.detail().find("cycle"), std::string::npos);
  }
}

TEST(ScenarioErrors, PolicyEventsAreChecked) {
  TempDir dir;
  InputError e = load_error(dir, "policies:\n  p: {lever: teleport, at: 2000, value: 1}\n");
  EXPECT_EQ(e.key(), "policies.p.lever");
  e = load_error(dir, "policies:\n  p: {lever: barrier, at: 2000, value: 0, sectors: [mars]}\n");
  EXPECT_EQ(e.key(), "policies.p.sectors");
  EXPECT_NE(e.detail().find("mars"), std::string::npos);
  e = load_error(dir, "policies:\n  p: {lever: barrier, at: 2000, value: 3}\n");
  EXPECT_EQ(e.key(), "policies.p.value");
  e = load_error(dir, "policies:\n  p: {lever: barrier, value: 0}\n");
  EXPECT_EQ(e.key(), "policies.p.at");
  e = load_error(dir, "policies:\n  p: {lever: barrier, at: 2000, until: 1999, value: 0}\n");
  EXPECT_EQ(e.key(), "policies.p.until");
}

TEST(ScenarioErrors, CrossFieldChecks) {
  TempDir dir;
  InputError e = load_error(dir, "time: {start_year: 2000, end_year: 1990}\n");
  EXPECT_EQ(e.key(), "time.end_year");
  e = load_error(dir, "production: {capital_elasticity: 0.5, labour_elasticity: 0.6}\n");
  EXPECT_EQ(e.key(), "production.labour_elasticity");
  e = load_error(dir, "sectors:\n  a: {firm_share: 1}\n");
  EXPECT_EQ(e.key(), "sectors.a.role");
}

TEST(ScenarioErrors, OverrideErrorsNameTheCommandLine) {
  TempDir dir;
  InputError e = load_error(dir, "name: x\n", {"economy.firms"});
  EXPECT_EQ(e.file(), "<command line>");
  e = load_error(dir, "name: x\n", {"economy.frims=10"});
  EXPECT_EQ(e.key(), "economy.frims");
  EXPECT_EQ(e.file(), "<command line>");
}

TEST(ScenarioErrors, AnEconomyTooLargeForMemoryIsRefusedBeforeAllocation) {
  TempDir dir;
  write_text(dir / "s.yaml", "economy:\n  firms: 2000000000\n");
  const Scenario s = load_scenario(dir / "s.yaml");
  EXPECT_GT(estimated_run_bytes(s), 100ull << 30);
  try {
    check_memory(s);
    FAIL() << "memory check passed for 2e9 firms";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), "economy.firms");
    EXPECT_EQ(e.line(), 2);
    EXPECT_NE(e.detail().find("GB"), std::string::npos);
  }
}

TEST(ScenarioSchema, ListsEveryKeyWithAUnitOrType) {
  const auto& schema = scenario_schema();
  EXPECT_GT(schema.size(), 50u);
  for (const auto& p : schema) {
    EXPECT_FALSE(p.description.empty()) << p.key;
    EXPECT_FALSE(p.type.empty()) << p.key;
  }
}

}  // namespace
}  // namespace convsim
