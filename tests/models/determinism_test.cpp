// Determinism across thread counts (design.md, "Contracts"): every scenario in scenarios/*.yaml,
// run with 1, 2 and 8 threads, gives bit-identical series. Compared with memcmp, never a tolerance.
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "convsim/parallel.hpp"
#include "model_fixtures.hpp"

namespace convsim::testing {
namespace {

// Every scenario file at the top of scenarios/, by file name.
std::vector<std::string> scenario_files() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(source_path("scenarios"))) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A run of `scenario` on exactly `threads` threads (more than the cores, if need be).
RunResult simulate_on(const Scenario& scenario, int threads) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);
  RunResult result;
  arena.execute([&] { result = models::simulate(scenario); });
  return result;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

template <typename SeriesList>
void expect_identical_series(const SeriesList& a, const SeriesList& b, const std::string& group, int threads) {
  ASSERT_EQ(a.size(), b.size()) << group;
  for (std::size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].name, b[k].name);
    EXPECT_TRUE(same_bits(a[k].values, b[k].values)) << group << "/" << a[k].name << " differs on " << threads << " threads";
  }
}

class Determinism : public ::testing::TestWithParam<std::string> {};

TEST_P(Determinism, BitIdenticalOn1And2And8Threads) {
  // Enough firms for several chunks of the fixed parallel split (kChunkSize firms each), one of
  // them partial, so that 2 and 8 threads really share the work; few enough for a quick test.
  const std::string firms = std::to_string(2 * kChunkSize + kChunkSize / 2);
  const Scenario scenario = load_scenario(source_path("scenarios/" + GetParam()), {"economy.firms=" + firms});
  const RunResult reference = simulate_on(scenario, 1);
  ASSERT_FALSE(reference.time.empty());
  for (int threads : {2, 8}) {
    const RunResult other = simulate_on(scenario, threads);
    EXPECT_TRUE(same_bits(reference.time, other.time));
    expect_identical_series(reference.aggregate, other.aggregate, "aggregate", threads);
    expect_identical_series(reference.by_sector, other.by_sector, "by_sector", threads);
    expect_identical_series(reference.convergence, other.convergence, "convergence", threads);
    expect_identical_series(reference.policy, other.policy, "policy", threads);
    expect_identical_series(reference.policy_by_sector, other.policy_by_sector, "policy", threads);
    ASSERT_EQ(reference.snapshots.size(), other.snapshots.size());
    for (std::size_t k = 0; k < reference.snapshots.size(); ++k) {
      EXPECT_EQ(reference.snapshots[k].time, other.snapshots[k].time);
      expect_identical_series(reference.snapshots[k].columns, other.snapshots[k].columns, "firms", threads);
    }
  }
}

TEST(DeterminismCoverage, EveryPolicyScenarioIsPresent) {
  const std::vector<std::string> files = scenario_files();
  for (const char* name : {"korea_baseline.yaml", "remove_barriers.yaml", "infrastructure_5g.yaml", "selective_focus.yaml",
                           "smart_work.yaml", "accessibility.yaml", "all_levers.yaml"}) {
    EXPECT_NE(std::find(files.begin(), files.end(), name), files.end()) << name;
  }
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = std::filesystem::path(info.param).stem().string();
  std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, Determinism, ::testing::ValuesIn(scenario_files()), test_name);

// The preparation callback (building the economy, then each burn-in step) reports in order, before
// the first reported step, and watching a run does not change it.
TEST(RunProgress, PreparationIsReportedBeforeTheStepsAndChangesNothing) {
  const Scenario scenario = baseline_with({"economy.firms=2000", "time.end_year=1995", "time.burn_in_years=3"});
  std::vector<std::pair<int, int>> preparation;
  int steps_seen = 0;
  bool preparation_after_steps = false;
  models::RunOptions options;
  options.preparation = [&](int done, int total) {
    preparation.emplace_back(done, total);
    preparation_after_steps = preparation_after_steps || steps_seen > 0;
  };
  options.progress = [&](int, int) { ++steps_seen; };
  const RunResult watched = models::simulate(scenario, options);
  ASSERT_EQ(preparation.size(), 4u);  // built, then 3 burn-in years of one step
  for (int i = 0; i < 4; ++i) EXPECT_EQ(preparation[static_cast<std::size_t>(i)], std::make_pair(i + 1, 4));
  EXPECT_FALSE(preparation_after_steps);
  EXPECT_EQ(steps_seen, 6);
  const RunResult plain = models::simulate(scenario);
  expect_identical_series(watched.aggregate, plain.aggregate, "aggregate", 1);
}

}  // namespace
}  // namespace convsim::testing
