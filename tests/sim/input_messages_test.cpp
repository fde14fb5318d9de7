// Messages that help: a misspelled sector or top-level key gets a suggestion and the list to choose
// from, and a YAML syntax error names the line where the mistake is (an unclosed '{' or '['),
// not only the line where the parser gave up.
#include <string>

#include <gtest/gtest.h>

#include "convsim/errors.hpp"
#include "convsim/input_file.hpp"
#include "convsim/scenario.hpp"
#include "convsim/scenario_document.hpp"
#include "input_error.hpp"

namespace convsim {
namespace {

constexpr const char* kSectors =
    "sectors:\n"
    "  platform:    {role: platform, firm_share: 0.5}\n"
    "  health_care: {role: converging, firm_share: 0.5}\n";

InputError error_of(const std::string& text) {
  return testing::input_error_of([&] { (void)build_scenario(ScenarioDocument::parse(text, "s.yaml")); });
}

TEST(InputMessages, AMisspelledSectorGetsTheClosestNameAndTheList) {
  const InputError e = error_of(std::string(kSectors) +
                                "policies:\n  rb: {lever: barrier, at: 2015, value: 0, sectors: [healthcare]}\n");
  EXPECT_EQ(e.line(), 5);
  EXPECT_EQ(e.key(), "policies.rb.sectors");
  EXPECT_EQ(e.detail(), "'healthcare' is not a sector of this scenario (did you mean 'health_care'?); its sectors: platform, health_care");
  // Nothing close: no guess, still the list.
  const InputError far = error_of(std::string(kSectors) +
                                  "policies:\n  rb: {lever: barrier, at: 2015, value: 0, sectors: [shipbuilding]}\n");
  EXPECT_EQ(far.detail(), "'shipbuilding' is not a sector of this scenario; its sectors: platform, health_care");
}

TEST(InputMessages, AMisspelledTopLevelKeyIsReportedAsItself) {
  const InputError e = error_of(std::string(kSectors) + "policy:\n  rb: {lever: barrier, at: 2015, value: 0}\n");
  EXPECT_EQ(e.key(), "policy");
  EXPECT_NE(e.detail().find("unknown top-level key (did you mean 'policies'?); top-level keys are "), std::string::npos) << e.detail();
  EXPECT_NE(e.detail().find("economy"), std::string::npos);
  // A misspelled key inside a known section keeps its full name.
  const InputError inner = error_of("economy:\n  firm: 10\n");
  EXPECT_EQ(inner.key(), "economy.firm");
  EXPECT_NE(inner.detail().find("did you mean 'economy.firms'?"), std::string::npos) << inner.detail();
}

TEST(InputMessages, AnUnclosedFlowBracketIsReportedWhereItOpened) {
  try {
    (void)ScenarioDocument::parse("name: x\nseed: 1\ntime: {start_year: 1990,\n  end_year: 2000\neconomy: {firms: 10}\n", "s.yaml");
    FAIL() << "expected a YAML error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 3) << e.what();
    EXPECT_NE(e.detail().find("the '{' opened on this line is not closed with '}' (the parser noticed on line 5: "),
              std::string::npos) << e.what();
  }
  // Brackets inside quotes and comments do not count; a list's '[' is found as well.
  const std::string text = "name: \"a {b\"  # [c\nsectors: [x, y\nseed: 1\n";
  const InputError e = yaml_syntax_error(text, "s.yaml", 2, "end of sequence flow not found");
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(e.detail().find("the '[' opened on this line is not closed with ']'"), std::string::npos) << e.detail();
  // Nothing open: the parser's own line and message.
  const InputError plain = yaml_syntax_error("a: b: c\n", "s.yaml", 0, "illegal map value");
  EXPECT_EQ(plain.line(), 1);
  EXPECT_EQ(plain.detail(), "invalid YAML: illegal map value");
}

}  // namespace
}  // namespace convsim
