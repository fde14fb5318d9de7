// Bad scenario, sweep and data files (issue 12): every one ends in an InputError naming the file,
// the line and the key, never a crash, a hang or a silently wrong scenario.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <set>

#include "convsim/analysis/table_reader.hpp"
#include "convsim/errors.hpp"
#include "convsim/input_file.hpp"
#include "convsim/scenario.hpp"
#include "convsim/scenario_document.hpp"
#include "convsim/sweep.hpp"
#include "convsim/sweep_executor.hpp"
#include "input_error.hpp"
#include "test_support.hpp"

namespace convsim {
namespace {

using testing::contains;
using testing::TempDir;
using testing::write_text;
using testing::input_error_of;
namespace fs = std::filesystem;

constexpr const char* kTiny = R"(name: tiny
time: {start_year: 2000, end_year: 2002, steps_per_year: 1}
economy: {firms: 200}
sectors:
  network: {role: network, firm_share: 0.5}
  health_care: {role: converging, firm_share: 0.5}
)";

Scenario load_file(const fs::path& path, const std::vector<std::string>& overrides = {}) {
  return load_scenario(path, overrides);
}

//---- item 1: a map where a value belongs ----------------------------------------------------------

TEST(ScenarioInput, AMapOneLevelTooDeepUnderLinkIntensityIsAnInputError) {
  TempDir dir;
  write_text(dir / "deep.yaml", std::string(kTiny) + "network:\n  link_intensity:\n    network:\n      health_care: {x: 1}\n");
  const InputError e = input_error_of([&] { load_file(dir / "deep.yaml"); });
  EXPECT_EQ(e.file(), (dir / "deep.yaml").string());
  EXPECT_EQ(e.line(), 10);
  EXPECT_EQ(e.key(), "network.link_intensity.network.health_care");
  EXPECT_TRUE(contains(e.detail(), "found a map")) << e.what();
}

TEST(ScenarioInput, AMapWhereAValueBelongsFromSetIsAnInputError) {
  TempDir dir;
  write_text(dir / "tiny.yaml", kTiny);
  for (const std::string key : {"network.link_intensity.network.health_care.x", "economy.firms.x",
                                "sectors.network.barrier.x", "sectors.network.role.x", "output.snapshot_years.x"}) {
    const InputError e = input_error_of([&] { load_file(dir / "tiny.yaml", {key + "=1"}); });
    EXPECT_EQ(e.file(), "<command line>") << key;
    EXPECT_EQ(e.key(), key.substr(0, key.size() - 2)) << e.what();
  }
}

TEST(ScenarioInput, AnUnknownCustomerSectorNamesItsKey) {
  TempDir dir;
  write_text(dir / "tiny.yaml", kTiny);
  const InputError e = input_error_of([&] { load_file(dir / "tiny.yaml", {"network.link_intensity.network.nowhere.x=1"}); });
  EXPECT_EQ(e.key(), "network.link_intensity.network.nowhere");
  EXPECT_TRUE(contains(e.detail(), "not a sector")) << e.what();
}

//---- item 2: accepted but wrong -------------------------------------------------------------------

TEST(ScenarioInput, InvalidUtf8IsRefusedAtItsLine) {
  TempDir dir;
  for (const std::string bad : {"\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    write_text(dir / "bad.yaml", std::string(kTiny) + "description: caf" + bad + "\n");
    const InputError e = input_error_of([&] { load_file(dir / "bad.yaml"); });
    EXPECT_EQ(e.line(), 7) << e.what();
    EXPECT_TRUE(contains(e.detail(), "invalid UTF-8")) << e.what();
  }
  write_text(dir / "good.yaml", std::string(kTiny) + "description: \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x88\"\n");
  EXPECT_EQ(load_file(dir / "good.yaml").description, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x88");
  write_text(dir / "tiny.yaml", kTiny);
  EXPECT_TRUE(contains(input_error_of([&] { load_file(dir / "tiny.yaml", {"description=\xff"}); }).detail(), "UTF-8"));
}

TEST(ScenarioInput, ControlCharactersAreRefusedAtTheirLine) {
  // Found by fuzz.scenario: a NUL inside a value was accepted, and the resolved scenario it gave
  // did not load again. YAML admits tab, LF and CR only; the others are refused where they stand.
  TempDir dir;
  for (const char bad : {'\0', '\x01', '\x1b', '\x7f'}) {
    write_text(dir / "bad.yaml", std::string(kTiny) + "description: a" + std::string(1, bad) + "b\n");
    const InputError e = input_error_of([&] { load_file(dir / "bad.yaml"); });
    EXPECT_EQ(e.line(), 7) << e.what();
    EXPECT_TRUE(contains(e.detail(), "control character U+00")) << e.what();
  }
  write_text(dir / "tiny.yaml", kTiny);
  EXPECT_TRUE(contains(input_error_of([&] { load_file(dir / "tiny.yaml", {std::string("name=a\x02")}); }).detail(),
                       "control character U+0002"));
  // Tab and CR are YAML's own; a control character written as an escape is a value like any other
  // and survives the resolved scenario.
  write_text(dir / "fine.yaml", std::string(kTiny) + "description:\t\"a\\0b\\x01c\\td\"\r\n");
  const Scenario fine = load_file(dir / "fine.yaml");
  EXPECT_EQ(fine.description, std::string("a\0b\x01" "c\td", 7));
  write_text(dir / "again.yaml", fine.resolved_yaml);
  const Scenario again = load_file(dir / "again.yaml");
  EXPECT_EQ(again.description, fine.description);
  EXPECT_EQ(again.resolved_yaml, fine.resolved_yaml);
}

TEST(ScenarioInput, ALoneCarriageReturnIsRefusedAtItsLine) {
  // Found by fuzz.scenario: `name: p\r\r\r \n` was accepted, and the resolved scenario it gave
  // loaded differently. A CR must end a line with its LF (CRLF files load as LF files do).
  TempDir dir;
  for (const std::string bad : {"description: a\rb\n", "description: a\r\r\n", "description: a\r"}) {
    write_text(dir / "bad.yaml", std::string(kTiny) + bad);
    const InputError e = input_error_of([&] { load_file(dir / "bad.yaml"); });
    EXPECT_EQ(e.line(), 7) << e.what();
    EXPECT_TRUE(contains(e.detail(), "carriage return")) << e.what();
    EXPECT_TRUE(contains(e.detail(), "CRLF")) << e.what();
  }
  write_text(dir / "tiny.yaml", kTiny);
  EXPECT_TRUE(contains(input_error_of([&] { load_file(dir / "tiny.yaml", {std::string("name=a\rb")}); }).detail(),
                       "carriage return"));
  std::string crlf;
  for (const char c : std::string(kTiny)) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  write_text(dir / "crlf.yaml", crlf);
  EXPECT_EQ(load_file(dir / "crlf.yaml").resolved_yaml, load_file(dir / "tiny.yaml").resolved_yaml);
}

TEST(ScenarioInput, AKeyWrittenTwiceInOneMapIsRefused) {
  TempDir dir;
  write_text(dir / "twice.yaml", "name: twice\neconomy:\n  firms: 100\n  firms: 200\n");
  InputError e = input_error_of([&] { load_file(dir / "twice.yaml"); });
  EXPECT_EQ(e.line(), 4);
  EXPECT_EQ(e.key(), "economy.firms");
  EXPECT_TRUE(contains(e.detail(), "written twice (also on line 3)")) << e.what();
  write_text(dir / "top.yaml", "name: a\nseed: 1\nname: b\n");
  e = input_error_of([&] { load_file(dir / "top.yaml"); });
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.key(), "name");
  // The same key in two maps, or in a file and its base, is no duplicate.
  write_text(dir / "base.yaml", kTiny);
  write_text(dir / "derived.yaml", "extends: base.yaml\nname: derived\neconomy: {firms: 300}\n");
  EXPECT_EQ(load_file(dir / "derived.yaml").economy.firms, 300);
}

TEST(ScenarioInput, AnEmptyFileIsRefusedAsScenarioAndAsBase) {
  TempDir dir;
  for (const std::string text : {"", "# only a comment\n", "---\n"}) {
    write_text(dir / "empty.yaml", text);
    const InputError e = input_error_of([&] { load_file(dir / "empty.yaml"); });
    EXPECT_EQ(e.file(), (dir / "empty.yaml").string());
    EXPECT_TRUE(contains(e.detail(), "empty")) << e.what();
  }
  write_text(dir / "derived.yaml", "extends: empty.yaml\nname: d\n");
  EXPECT_TRUE(contains(input_error_of([&] { load_file(dir / "derived.yaml"); }).detail(), "empty"));
}

TEST(ScenarioInput, ADirectoryIsRefusedAsScenarioAndInExtends) {
  TempDir dir;
  fs::create_directory(dir / "folder.yaml");
  InputError e = input_error_of([&] { load_file(dir / "folder.yaml"); });
  EXPECT_TRUE(contains(e.detail(), "is a directory")) << e.what();
  write_text(dir / "derived.yaml", "name: d\nextends: folder.yaml\n");
  e = input_error_of([&] { load_file(dir / "derived.yaml"); });
  EXPECT_EQ(e.file(), (dir / "derived.yaml").string());
  EXPECT_EQ(e.line(), 2);
  EXPECT_EQ(e.key(), "extends");
  EXPECT_TRUE(contains(e.detail(), "is a directory")) << e.what();
}

//---- item 3: files that never end ----------------------------------------------------------------

TEST(ScenarioInput, DevZeroIsRefusedAsScenarioInExtendsAndAsCsv) {
  TempDir dir;
  EXPECT_TRUE(contains(input_error_of([&] { load_file("/dev/zero"); }).detail(), "not a regular file"));
  write_text(dir / "derived.yaml", "extends: /dev/zero\nname: d\n");
  const InputError e = input_error_of([&] { load_file(dir / "derived.yaml"); });
  EXPECT_EQ(e.line(), 1);
  EXPECT_TRUE(contains(e.detail(), "not a regular file")) << e.what();
  EXPECT_TRUE(contains(input_error_of([] { analysis::read_csv("/dev/zero"); }).detail(), "not a regular file"));
}

TEST(ScenarioInput, AFifoIsRefusedWithoutWaitingForAWriter) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo.yaml").c_str(), 0600), 0);
  EXPECT_TRUE(contains(input_error_of([&] { load_file(dir / "fifo.yaml"); }).detail(), "not a regular file"));
}

TEST(ScenarioInput, AFileAboveTheSizeCapIsRefusedBeforeParsing) {
  TempDir dir;
  const std::string padding(static_cast<std::size_t>(kMaxInputFileBytes) + 1 - 11, '#');
  write_text(dir / "huge.yaml", "name: huge\n" + padding);
  ASSERT_EQ(fs::file_size(dir / "huge.yaml"), kMaxInputFileBytes + 1);
  const InputError e = input_error_of([&] { load_file(dir / "huge.yaml"); });
  EXPECT_TRUE(contains(e.detail(), "larger than 16 MiB")) << e.what();
  // At the cap exactly it is read (and here parses as a one-key scenario).
  write_text(dir / "full.yaml", "name: full\n" + padding.substr(1));
  EXPECT_EQ(read_input_file(dir / "full.yaml", "scenario file").size(), kMaxInputFileBytes);
}

//---- item 4: key counts --------------------------------------------------------------------------

TEST(ScenarioInput, AliasesThatExpandBeyondTheKeyCapAreRefused) {
  // Nine levels of ten aliases: 10^9 keys if expanded; refused after kMaxScenarioKeys.
  std::string text = "name: laughs\ncalibration:\n  l0: &l0 {a: 1, b: 1, c: 1, d: 1, e: 1, f: 1, g: 1, h: 1, i: 1, j: 1}\n";
  for (int level = 1; level < 9; ++level) {
    const std::string p = "*l" + std::to_string(level - 1);
    text += "  l" + std::to_string(level) + ": &l" + std::to_string(level) + " {a: " + p + ", b: " + p + ", c: " + p +
            ", d: " + p + ", e: " + p + ", f: " + p + ", g: " + p + ", h: " + p + ", i: " + p + ", j: " + p + "}\n";
  }
  const InputError e = input_error_of([&] { ScenarioDocument::parse(text, "laughs.yaml"); });
  EXPECT_EQ(e.file(), "laughs.yaml");
  EXPECT_TRUE(contains(e.detail(), "more than 500000 keys")) << e.what();
}

TEST(ScenarioInput, AKeyPathAboveTheLengthCapIsRefused) {
  std::string text = "name: deep\ncalibration:\n";
  std::string indent = "  ";
  for (int level = 0; level < 120; ++level) {
    text += indent + "level_" + std::to_string(level) + ":\n";
    indent += "  ";
  }
  text += indent + "leaf: 1\n";
  EXPECT_TRUE(contains(input_error_of([&] { ScenarioDocument::parse(text, "deep.yaml"); }).detail(), "longer than 1000"));
}

TEST(ScenarioDocumentTree, ReplacingLeavesAndMapsKeepsDocumentOrder) {
  ScenarioDocument doc = ScenarioDocument::parse("a: {b: {c: 1}}\nx: 1\ny: {z: 2, w: 3}\n", "<t>");
  doc.set("a.b.c.d", YAML::Node("4"), {});  // the leaf a.b.c becomes a map: a moves to the end
  EXPECT_EQ(doc.keys(), (std::vector<std::string>{"x", "y.z", "y.w", "a.b.c.d"}));
  doc.set("y", YAML::Node("5"), {});  // a leaf replaces the map y
  EXPECT_EQ(doc.keys(), (std::vector<std::string>{"x", "a.b.c.d", "y"}));
  doc.set("x", YAML::Node("6"), {});  // replacing a leaf keeps its place
  EXPECT_EQ(doc.keys(), (std::vector<std::string>{"x", "a.b.c.d", "y"}));
  EXPECT_EQ(doc.find("x")->value.Scalar(), "6");
  EXPECT_EQ(doc.children(""), (std::vector<std::string>{"x", "a", "y"}));
  EXPECT_TRUE(doc.contains_subtree("a.b"));
  EXPECT_EQ(doc.find("a.b"), nullptr);
  doc.erase_subtree("a");
  EXPECT_FALSE(doc.contains_subtree("a"));
  EXPECT_EQ(doc.children(""), (std::vector<std::string>{"x", "y"}));
  // Many removals under one map: the survivors keep their order.
  ScenarioDocument many;
  for (int i = 0; i < 100; ++i) many.set("m.k" + std::to_string(i), YAML::Node("1"), {});
  for (int i = 0; i < 100; i += 3) many.erase_subtree("m.k" + std::to_string(i));
  std::vector<std::string> expected;
  for (int i = 0; i < 100; ++i) {
    if (i % 3) expected.push_back("k" + std::to_string(i));
  }
  EXPECT_EQ(many.children("m"), expected);
  // A copy is independent of the original.
  ScenarioDocument copy = many;
  copy.set("m.k1", YAML::Node("9"), {});
  EXPECT_EQ(many.find("m.k1")->value.Scalar(), "1");
}

//---- item 5 and sweep files -----------------------------------------------------------------------

class SweepFiles : public ::testing::Test {
 protected:
  void SetUp() override { write_text(dir_ / "tiny.yaml", kTiny); }
  InputError sweep_error(const std::string& text) {
    write_text(dir_ / "sweep.yaml", text);
    return input_error_of([&] { load_sweep(dir_ / "sweep.yaml"); });
  }
  TempDir dir_;
};

TEST_F(SweepFiles, ARangeOptionOfTheWrongTypeNamesItsKey) {
  const InputError e = sweep_error(
      "scenarios: [tiny.yaml]\ndesign:\n  type: grid\n  parameters:\n    economy.firms: {from: 100, to: 200, count: 2, integer: [1]}\n");
  EXPECT_EQ(e.file(), (dir_ / "sweep.yaml").string());
  EXPECT_EQ(e.line(), 5);
  EXPECT_EQ(e.key(), "economy.firms.integer");
  EXPECT_TRUE(contains(e.detail(), "expected true or false")) << e.what();
  const InputError r = sweep_error(
      "scenarios: [tiny.yaml]\ndesign:\n  type: random\n  n: 2\n  parameters:\n    economy.firms: {low: 100, high: 200, integer: {a: 1}}\n");
  EXPECT_EQ(r.key(), "economy.firms.integer");
}

TEST_F(SweepFiles, ASetValueOneLevelTooDeepIsAnInputError) {
  const InputError e = sweep_error("scenarios: [tiny.yaml]\nset:\n  network.link_intensity.network.health_care: {x: 1}\n");
  EXPECT_EQ(e.key(), "network.link_intensity.network.health_care");
  EXPECT_TRUE(contains(e.detail(), "found a map")) << e.what();
}

TEST_F(SweepFiles, DuplicateKeysInvalidUtf8AndDevicesAreRefused) {
  InputError e = sweep_error("scenarios: [tiny.yaml]\nreplicates: 2\nreplicates: 3\n");
  EXPECT_EQ(e.line(), 3);
  EXPECT_TRUE(contains(e.detail(), "written twice (also on line 2)")) << e.what();
  e = sweep_error("scenarios: [tiny.yaml]\nset:\n  economy.firms: 100\n  economy: {firms: 200}\n");
  EXPECT_TRUE(contains(e.detail(), "set twice")) << e.what();
  e = sweep_error("name: \"\xfe\"\nscenarios: [tiny.yaml]\n");
  EXPECT_EQ(e.line(), 1);
  EXPECT_TRUE(contains(e.detail(), "UTF-8")) << e.what();
  EXPECT_TRUE(contains(input_error_of([] { load_sweep("/dev/zero"); }).detail(), "not a regular file"));
  e = sweep_error("scenarios: [/dev/zero]\n");
  EXPECT_TRUE(contains(e.detail(), "cannot open scenario file")) << e.what();
}

//---- item 7: planning replicates from the first one's resolved YAML --------------------------------

TEST_F(SweepFiles, ReplicateIdentitiesEqualThoseOfTheirResolvedScenarios) {
  // With and without a seed in the scenario (its line then sits elsewhere in the resolved YAML),
  // and with a description that holds "seed: N" text of its own.
  write_text(dir_ / "seeded.yaml", std::string(kTiny) + "seed: 77\ndescription: \"x\\nseed: 1\\n\"\n");
  write_text(dir_ / "sweep.yaml", "scenarios: [tiny.yaml, seeded.yaml]\nreplicates: 6\nseed: 1\n"
                                  "design: {type: grid, parameters: {adoption.peer_effect: [0.1, 0.2]}}\n");
  const SweepPlan plan = load_sweep(dir_ / "sweep.yaml");
  ASSERT_EQ(plan.runs.size(), 24u);
  std::set<std::string> identities;
  for (const auto& run : plan.runs) {
    EXPECT_EQ(run_identity(resolve_run(plan, run)), run.identity) << run.index;
    identities.insert(run.identity);
  }
  EXPECT_EQ(identities.size(), 24u);
}

//---- item 13: two sweeps on one folder ------------------------------------------------------------

bool can_lock(const fs::path& dir, Shard shard) {
  try {
    const SweepFolderLock lock(dir, shard);
    return true;
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "another convsim process")) << e.what();
    EXPECT_TRUE(contains(e.what(), dir.string())) << e.what();
    return false;
  }
}

TEST(SweepFolderLock, TheWholeSweepExcludesEveryClaimAndShardsOfOneCountShare) {
  TempDir dir;
  {
    const SweepFolderLock whole(dir.path(), Shard{0, 1});
    EXPECT_FALSE(can_lock(dir.path(), Shard{0, 1}));
    EXPECT_FALSE(can_lock(dir.path(), Shard{1, 4}));
  }
  EXPECT_TRUE(can_lock(dir.path(), Shard{0, 1}));  // released with its holder
  const SweepFolderLock shard0(dir.path(), Shard{0, 2});
  EXPECT_TRUE(can_lock(dir.path(), Shard{1, 2}));
  EXPECT_FALSE(can_lock(dir.path(), Shard{0, 2}));
  EXPECT_FALSE(can_lock(dir.path(), Shard{0, 1}));
}

TEST(SweepFolderLock, ASecondSweepOnTheSameFolderIsRefused) {
  TempDir dir;
  write_text(dir / "tiny.yaml", kTiny);
  write_text(dir / "sweep.yaml", "scenarios: [tiny.yaml]\nreplicates: 2\n");
  const SweepPlan plan = load_sweep(dir / "sweep.yaml");
  SweepExecutionOptions options;
  options.output_dir = dir / "out";
  const SweepFolderLock first(options.output_dir, Shard{});
  int calls = 0;
  const RunSimulator simulator = [&](const Scenario&) -> RunResult {
    ++calls;
    throw std::runtime_error("must not run");
  };
  try {
    run_sweep_local(plan, simulator, options);
    ADD_FAILURE() << "the second sweep ran";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "another convsim process is running this sweep")) << e.what();
  }
  EXPECT_EQ(calls, 0);
}

TEST(SweepFolderLock, TemporariesOfALiveProcessAreKept) {
  TempDir dir;
  write_text(dir / "tiny.yaml", kTiny);
  write_text(dir / "sweep.yaml", "scenarios: [tiny.yaml]\nreplicates: 2\n");
  const SweepPlan plan = load_sweep(dir / "sweep.yaml");
  const fs::path out = dir / "out";
  prepare_sweep_output(plan, out);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const pid_t live = ::fork();
  ASSERT_GE(live, 0);
  if (live == 0) {
    ::pause();
    ::_exit(0);
  }
  const pid_t dead = ::fork();
  ASSERT_GE(dead, 0);
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const fs::path in_flight = out / (run_result_name(plan.runs[0]).string() + ".tmp." + host + "." + std::to_string(live));
  const fs::path stale = out / (run_result_name(plan.runs[1]).string() + ".tmp." + host + "." + std::to_string(dead));
  write_text(in_flight, "being written");
  write_text(stale, "left by a killed run");
  const auto pending = pending_runs(plan, out, Shard{});
  ::kill(live, SIGKILL);
  ::waitpid(live, nullptr, 0);
  EXPECT_EQ(pending.size(), 2u);
  EXPECT_TRUE(fs::exists(in_flight));
  EXPECT_FALSE(fs::exists(stale));
}

//---- item 14: the failures log counts every failure -----------------------------------------------

TEST(FailuresLog, RunsWhoseFailureFileIsMissingAreCounted) {
  TempDir dir;
  write_text(dir / "tiny.yaml", kTiny);
  write_text(dir / "sweep.yaml", "scenarios: [tiny.yaml]\nreplicates: 3\n");
  const SweepPlan plan = load_sweep(dir / "sweep.yaml");
  const fs::path out = dir / "out";
  prepare_sweep_output(plan, out);
  std::vector<RunOutcome> outcomes(3);
  for (std::size_t i = 0; i < 3; ++i) outcomes[i] = RunOutcome{i, i == 1 ? RunStatus::completed : RunStatus::failed, 0, 0, "disk\nfull", 0};
  const auto lines = write_failures_log(plan, out, outcomes);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(contains(lines[0], "0 tiny " + plan.runs[0].identity + ": disk full")) << lines[0];
  EXPECT_TRUE(contains(lines[1], "2 tiny")) << lines[1];
  EXPECT_EQ(testing::read_text(out / "failures.log"), lines[0] + "\n" + lines[1] + "\n");
}

}  // namespace
}  // namespace convsim
