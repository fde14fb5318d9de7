// convsim run / validate / info end to end: results identical across thread counts and processes,
// bad input exits 2 with one message naming file, line and key, no partial file at the output path.
#include <gtest/gtest.h>

#include <cstring>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <thread>

#include "convsim/cli/cli_common.hpp"
#include "convsim/result_file.hpp"
#include "test_support.hpp"

namespace convsim {
namespace {

using testing::run_convsim;
using testing::source_path;
using testing::TempDir;
using testing::write_text;

const std::string kBaseline = "'" + source_path("scenarios/korea_baseline.yaml").string() + "'";
const std::string kSmall = " --set economy.firms=3000 --set time.end_year=2005 --quiet";

// The same bits (NaN, an exited firm's snapshot value, equals itself here).
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// Every series of two results, compared bit for bit.
void expect_identical(const RunResult& a, const RunResult& b) {
  ASSERT_EQ(a.time, b.time);
  ASSERT_EQ(a.aggregate.size(), b.aggregate.size());
  for (std::size_t k = 0; k < a.aggregate.size(); ++k) EXPECT_EQ(a.aggregate[k].values, b.aggregate[k].values) << a.aggregate[k].name;
  for (std::size_t k = 0; k < a.by_sector.size(); ++k) EXPECT_EQ(a.by_sector[k].values, b.by_sector[k].values) << a.by_sector[k].name;
  for (std::size_t k = 0; k < a.convergence.size(); ++k) EXPECT_EQ(a.convergence[k].values, b.convergence[k].values) << a.convergence[k].name;
  ASSERT_EQ(a.snapshots.size(), b.snapshots.size());
  for (std::size_t s = 0; s < a.snapshots.size(); ++s) {
    for (std::size_t c = 0; c < a.snapshots[s].columns.size(); ++c) {
      EXPECT_TRUE(same_bits(a.snapshots[s].columns[c].values, b.snapshots[s].columns[c].values)) << a.snapshots[s].columns[c].name;
    }
  }
  EXPECT_EQ(a.scenario_hash, b.scenario_hash);
}

TEST(RunCli, WritesAResultAndASummary) {
  TempDir dir;
  const auto out = dir / "base.h5";
  const auto r = run_convsim("run " + kBaseline + " -o '" + out.string() + "' --set economy.firms=3000 --set time.end_year=2000");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("convergence output"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("employment (persons)"), std::string::npos);
  const RunResult result = read_result(out);
  EXPECT_EQ(result.time.size(), 11u);
  EXPECT_EQ(result.sectors.size(), 11u);
  EXPECT_EQ(result.seed, 20140401u);
  ASSERT_NE(result.find_convergence("output"), nullptr);
  EXPECT_GT(result.find_aggregate("output")->values.back(), 0.0);
}

// The summary reads as a table: the calendar years the run covers (a quarterly run's last step
// starts in 2000.75, which is 2000), levels in one format with grouped thousands (no 1.2e+06
// beside 742135), and the employment level it prints is the result's.
TEST(RunCli, TheSummaryUsesOneNumberFormatAndCalendarYears) {
  TempDir dir;
  const auto out = dir / "q.h5";
  const auto r = run_convsim("run " + kBaseline + " -o '" + out.string() +
                             "' --set economy.firms=3000 --set time.end_year=2000 --set time.steps_per_year=4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("44 steps, 1990-2000,"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("e+0"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("nan"), std::string::npos) << r.out;
  const RunResult result = read_result(out);
  const double last = result.find_aggregate("employment")->values.back();
  char grouped[64];
  const long long rounded = std::llround(last);
  std::snprintf(grouped, sizeof grouped, "%lld,%03lld", rounded / 1000, rounded % 1000);
  ASSERT_GE(rounded, 1000);
  ASSERT_LT(rounded, 1000000);  // the grouped form above has one comma
  const std::size_t line = r.out.find("employment (persons)");
  ASSERT_NE(line, std::string::npos);
  EXPECT_NE(r.out.substr(line, r.out.find('\n', line) - line).find(grouped), std::string::npos) << grouped << "\n" << r.out;
}

// The rate and the time left that progress lines end with.
TEST(RunCli, RateAndTimeLeftReadAsAPersonWouldSayThem) {
  EXPECT_EQ(cli::rate_and_eta(0, 10, 3.0, "runs"), "");  // nothing done yet: no rate
  EXPECT_EQ(cli::rate_and_eta(10, 20, 5.0, "runs"), ", 2 runs/s, ETA 10 s");
  EXPECT_EQ(cli::rate_and_eta(3, 300, 2.0, "runs"), ", 1.5 runs/s, ETA 3 min 20 s");
  EXPECT_EQ(cli::rate_and_eta(1, 9000, 1.0, "steps"), ", 1 steps/s, ETA 2 h 30 min");
  // A fast run's rate is grouped as the summary's numbers are, never in exponent notation.
  EXPECT_EQ(cli::rate_and_eta(1150, 0, 1.0, "steps"), ", 1,150 steps/s, ETA 0 s");
  EXPECT_EQ(cli::rate_and_eta(2'500'000, 2'500'000, 0.5, "firm-steps"), ", 5,000,000 firm-steps/s, ETA 0 s");
}

TEST(RunCli, BitIdenticalOnOneTwoAndEightThreadsAndAcrossProcesses) {
  TempDir dir;
  std::vector<RunResult> results;
  for (int threads : {1, 2, 8, 2}) {
    const auto out = dir / ("t" + std::to_string(threads) + "_" + std::to_string(results.size()) + ".h5");
    const auto r = run_convsim("run " + kBaseline + kSmall + " --set output.snapshot_years=[2005] --threads " +
                               std::to_string(threads) + " -o '" + out.string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    results.push_back(read_result(out));
  }
  ASSERT_EQ(results[0].snapshots.size(), 1u);
  for (std::size_t k = 1; k < results.size(); ++k) expect_identical(results[0], results[k]);
}

TEST(RunCli, AnotherSeedGivesAnotherRun) {
  TempDir dir;
  ASSERT_EQ(run_convsim("run " + kBaseline + kSmall + " -o '" + (dir / "a.h5").string() + "'").exit_code, 0);
  ASSERT_EQ(run_convsim("run " + kBaseline + kSmall + " --set seed=5 -o '" + (dir / "b.h5").string() + "'").exit_code, 0);
  EXPECT_NE(read_result(dir / "a.h5").find_aggregate("output")->values,
            read_result(dir / "b.h5").find_aggregate("output")->values);
}

TEST(RunCli, BadInputExitsTwoWithOneLocatedMessage) {
  TempDir dir;
  write_text(dir / "bad.yaml", "name: bad\neconomy:\n  firms: -3\n");
  auto r = run_convsim("run '" + (dir / "bad.yaml").string() + "' -o '" + (dir / "x.h5").string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find((dir / "bad.yaml").string() + ":3: key 'economy.firms'"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.h5"));

  r = run_convsim("run '" + (dir / "missing.yaml").string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("missing.yaml"), std::string::npos);

  r = run_convsim("run " + kBaseline + " --set economy.firms=abc");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("<command line>: key 'economy.firms'"), std::string::npos) << r.err;

  r = run_convsim("run " + kBaseline + kSmall + " -o '" + (dir / "no/such/dir/x.h5").string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.err;

  r = run_convsim("run " + kBaseline + " --threads -4");
  EXPECT_EQ(r.exit_code, 2);
  r = run_convsim("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(RunCli, AKilledRunLeavesNoFileAtTheOutputPath) {
  TempDir dir;
  const auto out = dir / "killed.h5";
  const std::string cmd = std::string("'") + CONVSIM_BINARY + "' run " + kBaseline +
                          " --set economy.firms=400000 --quiet -o '" + out.string() + "' & echo $! > '" +
                          (dir / "pid").string() + "'; sleep 1.5; kill -9 $(cat '" + (dir / "pid").string() + "'); wait";
  testing::run_shell(cmd);
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(is_complete_result(out));
}

TEST(ValidateCli, ReportsValidScenariosAndPrintsTheResolvedOne) {
  auto r = run_convsim("validate " + kBaseline);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("valid"), std::string::npos);
  r = run_convsim("validate " + kBaseline + " --print --set economy.firms=77");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("firms: 77"), std::string::npos) << r.out;
  r = run_convsim("validate " + kBaseline + " --set economy.firms=4000000000");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(InfoCli, DescribesAResultAndRefusesOtherFiles) {
  TempDir dir;
  const auto out = dir / "r.h5";
  ASSERT_EQ(run_convsim("run " + kBaseline + kSmall + " -o '" + out.string() + "'").exit_code, 0);
  auto r = run_convsim("info '" + out.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("korea_baseline"), std::string::npos);
  EXPECT_NE(r.out.find("/convergence/output"), std::string::npos) << r.out;
  write_text(dir / "not.h5", "plain text");
  r = run_convsim("info '" + (dir / "not.h5").string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a convsim result"), std::string::npos) << r.err;
}

TEST(ValidateCli, WarnsAboutEventsOutsideTheRunAndPrintsTheScheduleItApplies) {
  TempDir dir;
  write_text(dir / "late.yaml", "extends: " + source_path("scenarios/korea_baseline.yaml").string() +
                                    "\n"                                                                // 1
                                    "policies:\n"                                                       // 2
                                    "  g5: {lever: infrastructure, at: 2019, ramp_years: 2, value: 0.5}\n"  // 3
                                    "  g6: {lever: infrastructure, at: 2035, value: 0.5}\n");              // 4
  const std::string path = (dir / "late.yaml").string();
  const auto r = testing::run_convsim("validate '" + path + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(": valid ("), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("convsim: warning: " + path + ":4: key 'policies.g6.at': the event starts in 2035, after the run's last step (2020)"),
            std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("policies.g5"), std::string::npos) << r.err;

  const auto printed = testing::run_convsim("validate '" + path + "' --print");
  EXPECT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_NE(printed.out.find("#   g5: infrastructure add 0.5 at 2019, ramp 2 years: strength 0 in 2019 (at), 0.5 in 2020, full from 2021 (after the run)\n"),
            std::string::npos) << printed.out;
  EXPECT_NE(printed.out.find("#   g6: infrastructure add 0.5 at 2035: never in force within the run\n"), std::string::npos) << printed.out;
  // The schedule is written as comments: the printed scenario still loads.
  write_text(dir / "printed.yaml", printed.out);
  EXPECT_EQ(testing::run_convsim("validate '" + (dir / "printed.yaml").string() + "'").exit_code, 0);

  // A sweep names each distinct warning once, with the first run it concerns.
  write_text(dir / "sweep.yaml", "scenarios: [late.yaml]\nreplicates: 3\n");
  const auto plan = testing::run_convsim("sweep plan '" + (dir / "sweep.yaml").string() + "'");
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  const std::string warning = "key 'policies.g6.at': the event starts in 2035";
  const auto first = plan.err.find(warning);
  EXPECT_NE(first, std::string::npos) << plan.err;
  EXPECT_EQ(plan.err.find(warning, first + 1), std::string::npos) << plan.err;
  EXPECT_NE(plan.err.find("(run 0: scenario late)"), std::string::npos) << plan.err;
}

}  // namespace
}  // namespace convsim
