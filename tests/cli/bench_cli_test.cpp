// convsim bench: each measurement in its own process, the JSON record of a build, and the
// comparison with a previous build's record (--baseline). The figures themselves are timings and
// are never asserted; what is checked is that they are measured, recorded and compared.
#include <gtest/gtest.h>

#include <cmath>

#include <yaml-cpp/yaml.h>

#include "test_support.hpp"

namespace convsim::testing {
namespace {

TEST(BenchCli, RecordsEveryMeasurementAndComparesWithABaseline) {
  const TempDir dir;
  const std::string json = (dir / "bench.json").string();
  const CommandResult first = run_convsim("bench --firms 3000 5000 --steps 2 --threads 1 2 --repeat 2 --json " + json);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const YAML::Node record = YAML::LoadFile(json);
  ASSERT_TRUE(record["measurements"].IsSequence());
  ASSERT_EQ(record["measurements"].size(), 4u) << "two sizes x two thread counts";
  for (const YAML::Node& m : record["measurements"]) {
    ASSERT_EQ(m["firm_steps_per_second"].size(), 2u) << "one figure per repeat";
    for (const YAML::Node& rate : m["firm_steps_per_second"]) EXPECT_GT(rate.as<double>(), 0.0);
    for (const YAML::Node& peak : m["peak_bytes"]) {
      // The measuring process's own peak: at least the firm columns it built (> 50 bytes a firm),
      // and far below what all of them together would reach.
      EXPECT_GT(peak.as<double>(), 50.0 * m["firms"].as<double>());
      EXPECT_LT(peak.as<double>(), 2e9);
    }
  }
  const CommandResult second = run_convsim("bench --firms 3000 --steps 2 --threads 1 --baseline " + json);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("vs baseline"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("x, "), std::string::npos) << "a ratio of rates and of peaks: " << second.out;
}

TEST(BenchCli, ABaselineThatIsNotABenchRecordIsBadInput) {
  const TempDir dir;
  const auto path = dir / "other.json";
  write_text(path, "{\"runs\": []}\n");
  const CommandResult r = run_convsim("bench --firms 3000 --steps 1 --threads 1 --baseline " + path.string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("other.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("measurements"), std::string::npos) << r.err;
}

// --callgrind: instructions per firm-step under valgrind, counted by convsim itself; the same
// count as scripts/instructions-per-firm-step.sh (callgrind_annotate's total, a second reading
// of the same kind of run), recorded in the JSON and compared with a baseline's.
TEST(BenchCli, CallgrindCountsWhatTheScriptCounts) {
  if (run_shell("(command -v valgrind && command -v callgrind_annotate)").exit_code != 0) {
    GTEST_SKIP() << "valgrind is not installed";
  }
  const TempDir dir;
  const std::string json = (dir / "bench.json").string();
  const CommandResult r = run_convsim("bench --firms 3000 --steps 2 --threads 1 --callgrind 3000 --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const YAML::Node callgrind = YAML::LoadFile(json)["callgrind"];
  ASSERT_TRUE(callgrind.IsMap()) << r.out;
  EXPECT_EQ(callgrind["firms"].as<int>(), 3000);
  EXPECT_EQ(callgrind["steps"].as<int>(), 2);
  const double counted = callgrind["instructions_per_firm_step"].as<double>();
  const CommandResult script = run_shell("CONVSIM='" + std::string(CONVSIM_BINARY) + "' '" +
                                         source_path("scripts/instructions-per-firm-step.sh").string() + "' 3000 2");
  ASSERT_EQ(script.exit_code, 0) << script.err;
  EXPECT_EQ(std::to_string(std::lround(counted)) + " instructions per firm-step", script.out.substr(0, script.out.find(" (")))
      << "bench: " << counted << ", script: " << script.out;
  const CommandResult again = run_convsim("bench --firms 3000 --steps 2 --threads 1 --callgrind 3000 --baseline " + json);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("1.000x)"), std::string::npos) << "the count is deterministic: " << again.out;
}

TEST(BenchCli, CallgrindWithoutValgrindIsBadInput) {
  const TempDir dir;
  const CommandResult r = run_shell("PATH='" + dir.path().string() + "' '" + std::string(CONVSIM_BINARY) +
                                    "' bench --firms 3000 --steps 1 --threads 1 --callgrind 3000");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--callgrind"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("valgrind"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace convsim::testing
