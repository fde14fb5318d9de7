// convsim schema and the scenario reference it generates (docs/scenarios.md): every key of
// scenario_schema() and every result variable is documented, so the reference cannot go stale.
#include <gtest/gtest.h>

#include "convsim/models/simulation.hpp"
#include "convsim/scenario.hpp"
#include "test_support.hpp"

namespace convsim::testing {
namespace {

constexpr const char* kBegin = "<!-- BEGIN GENERATED: convsim schema --format markdown -->\n";
constexpr const char* kEnd = "<!-- END GENERATED -->";

TEST(SchemaCli, MarkdownListsEveryKeyAndResultVariable) {
  const CommandResult r = run_convsim("schema");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const ParameterDoc& p : scenario_schema()) {
    EXPECT_NE(r.out.find("| `" + p.key + "` |"), std::string::npos) << p.key;
  }
  for (const models::VariableDoc& v : models::result_variables()) {
    EXPECT_NE(r.out.find("`/" + v.group + "/" + v.name + "`"), std::string::npos) << v.group << "/" << v.name;
  }
  EXPECT_NE(r.out.find("| `economy.size_exponent` | real | `1` | 1.06 | [0.5, 3] |"), std::string::npos)
      << "a row holds type, unit, default and range";
}

TEST(SchemaCli, JsonHoldsEveryKeyWithItsFields) {
  const CommandResult r = run_convsim("schema --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const ParameterDoc& p : scenario_schema()) {
    EXPECT_NE(r.out.find("\"key\": \"" + p.key + "\""), std::string::npos) << p.key;
  }
  EXPECT_NE(r.out.find("\"result_variables\""), std::string::npos);
  EXPECT_NE(r.out.find("\"unit\": \"1e8 KRW/(person*year)\""), std::string::npos);
}

TEST(SchemaCli, UnknownFormatIsBadInput) {
  const CommandResult r = run_convsim("schema --format yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("yaml"), std::string::npos) << r.err;
}

TEST(ScenarioReference, DocumentsEveryScenarioKeyAndResultVariable) {
  const std::string doc = read_text(source_path("docs/scenarios.md"));
  ASSERT_FALSE(doc.empty()) << "docs/scenarios.md is missing";
  for (const ParameterDoc& p : scenario_schema()) {
    EXPECT_NE(doc.find("`" + p.key + "`"), std::string::npos) << "docs/scenarios.md does not document " << p.key;
  }
  for (const models::VariableDoc& v : models::result_variables()) {
    EXPECT_NE(doc.find("/" + v.group + "/" + v.name), std::string::npos)
        << "docs/scenarios.md does not document /" << v.group << "/" << v.name;
  }
}

TEST(ScenarioReference, GeneratedTablesMatchTheSchema) {
  const std::string doc = read_text(source_path("docs/scenarios.md"));
  const auto begin = doc.find(kBegin);
  const auto end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << "docs/scenarios.md lacks the marker " << kBegin;
  ASSERT_NE(end, std::string::npos) << "docs/scenarios.md lacks the marker " << kEnd;
  const std::string generated = doc.substr(begin + std::string(kBegin).size(), end - begin - std::string(kBegin).size());
  const CommandResult r = run_convsim("schema --format markdown");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(generated, r.out) << "docs/scenarios.md is stale: replace the text between its GENERATED markers with "
                                 "the output of `convsim schema --format markdown` (docs/scenarios.md, section Reference, "
                                 "has a one-line command)";
}

}  // namespace
}  // namespace convsim::testing
