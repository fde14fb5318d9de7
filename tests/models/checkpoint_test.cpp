// Checkpoints (issue 16): a run split at a step, saved to a file, read back and continued gives
// the uninterrupted run bit for bit (GROMACS's exact-continuation test is the model), on 1 and 2
// threads; a branch continued from its trunk's checkpoint equals the branch run from the start;
// and branch_mismatch names what a branch may not change. Compared with memcmp, never a tolerance.
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "convsim/checkpoint_file.hpp"
#include "convsim/errors.hpp"
#include "convsim/models/checkpoint.hpp"
#include "convsim/parallel.hpp"
#include "convsim/result_file.hpp"
#include "input_error.hpp"
#include "result_compare.hpp"
#include "model_fixtures.hpp"

namespace convsim::testing {
namespace {

// `f()` on exactly `threads` threads.
template <typename F>
auto on_threads(int threads, F&& f) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);
  decltype(f()) out;
  arena.execute([&] { out = f(); });
  return out;
}

// Enough firms for several chunks of the fixed parallel split, one of them partial, so that two
// threads really share the work; snapshots before and after the split points.
std::vector<std::string> small(std::vector<std::string> more = {}) {
  more.push_back("economy.firms=" + std::to_string(2 * kChunkSize + kChunkSize / 2));
  more.push_back("output.snapshot_years=[1995, 2010, 2020]");
  return more;
}

Scenario scenario_file(const std::string& name, const std::vector<std::string>& overrides = small()) {
  return load_scenario(source_path("scenarios/" + name), overrides);
}

struct Split {
  std::string scenario;
  std::vector<std::string> overrides;
};

class ExactContinuation : public ::testing::TestWithParam<Split> {};

// Split after k steps for several k (the first step, sampler refreshes and slot compactions every
// fourth step and between them, the last step), saved on one thread count and continued on the
// other: every dataset equals the uninterrupted run's.
TEST_P(ExactContinuation, SplitSavedReadAndContinuedEqualsTheUninterruptedRun) {
  const Scenario scenario = scenario_file(GetParam().scenario, small(GetParam().overrides));
  const RunResult reference = on_threads(1, [&] { return models::simulate(scenario); });
  ASSERT_FALSE(reference.snapshots.empty());
  TempDir dir;
  const int T = scenario.steps();
  for (int k : {0, 1, 6, 13, T - 1}) {
    for (auto [save_threads, continue_threads] : {std::pair{1, 2}, std::pair{2, 1}}) {
      const std::string where = GetParam().scenario + " split after " + std::to_string(k) + " steps, saved on " +
                                std::to_string(save_threads) + " thread(s), continued on " + std::to_string(continue_threads);
      const auto path = dir / ("split" + std::to_string(k) + ".h5");
      on_threads(save_threads, [&] {
        models::save_checkpoint(models::run_to_checkpoint(scenario, k), path);
        return 0;
      });
      const RunResult continued = on_threads(continue_threads, [&] {
        return models::continue_run(scenario, models::load_checkpoint(path));
      });
      expect_same_result(reference, continued, where);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ExactContinuation,
                         ::testing::Values(Split{"korea_baseline.yaml", {}}, Split{"all_levers.yaml", {}},
                                           Split{"all_levers.yaml", {"time.steps_per_year=4", "time.end_year=2000"}}),
                         [](const auto& info) {
                           return info.param.scenario.substr(0, info.param.scenario.size() - 5) +
                                  (info.param.overrides.empty() ? "" : "_quarterly");
                         });

// One checkpoint in memory continued twice (as a sweep continues one per branch): both equal the
// uninterrupted run; continuing does not change the checkpoint it copied.
TEST(Checkpoint, OneCheckpointInMemoryContinuesAnyNumberOfTimes) {
  const Scenario scenario = scenario_file("korea_baseline.yaml");
  const RunResult reference = models::simulate(scenario);
  const models::Checkpoint checkpoint = models::run_to_checkpoint(scenario, 10);
  for (int copy = 0; copy < 2; ++copy) {
    models::Checkpoint mine = checkpoint;
    expect_same_result(reference, models::continue_run(scenario, std::move(mine)), "copy " + std::to_string(copy));
  }
}

// The checkpoint file holds the partial result in the result layout (read back exactly) and the
// year and step it continues with.
TEST(Checkpoint, FileHoldsThePartialResultAndTheStepItContinuesWith) {
  const Scenario scenario = scenario_file("korea_baseline.yaml");
  TempDir dir;
  const models::Checkpoint checkpoint = models::run_to_checkpoint(scenario, 7);
  models::save_checkpoint(checkpoint, dir / "c.h5");
  const CheckpointContents contents = read_checkpoint(dir / "c.h5");
  EXPECT_EQ(contents.steps_done, 7);
  EXPECT_EQ(contents.year, 1997.0);
  EXPECT_EQ(contents.model_revision, models::kModelRevision);
  EXPECT_EQ(contents.partial.time.size(), 7u);
  expect_same_result(checkpoint.partial, contents.partial, "partial");
  ASSERT_NE(contents.find_array("firms/technology"), nullptr);
  const auto& technology = checkpoint.economy.firms.technology;
  EXPECT_EQ(std::get<std::vector<double>>(contents.find_array("firms/technology")->values),
            std::vector<double>(technology.begin(), technology.end()));
  // A checkpoint is not a result: read_result refuses it and says what it is.
  EXPECT_TRUE(contains(input_error_of([&] { read_result(dir / "c.h5"); }).what(), "it is a checkpoint"));
}

// A branch that differs only in events from the checkpoint year on, continued from the trunk's
// checkpoint, equals the branch run from the start (common random numbers kept).
TEST(Checkpoint, BranchContinuedFromTheTrunkEqualsTheBranchRunFromTheStart) {
  const Scenario trunk = scenario_file("korea_baseline.yaml");
  const Scenario branch = scenario_file("all_levers.yaml");  // its first new event acts in 2011
  const int k = models::step_starting_in(trunk, 2011);
  ASSERT_EQ(k, 21);
  ASSERT_FALSE(models::branch_mismatch(trunk, branch, k).has_value());
  TempDir dir;
  models::save_checkpoint(models::run_to_checkpoint(trunk, k), dir / "trunk.h5");
  const RunResult continued = models::continue_run(branch, models::load_checkpoint(dir / "trunk.h5"));
  expect_same_result(models::simulate(branch), continued, "all_levers from korea_baseline's 2011 checkpoint");
  // and the branch's effect is there: its levers differ from the trunk's after the checkpoint.
  EXPECT_NE(continued.policy[2].values.back(), models::simulate(trunk).policy[2].values.back());
}

// What branch_mismatch says of `branch_file` with `overrides` as a branch of `trunk_file`'s checkpoint at `year`.
std::optional<models::BranchMismatch> mismatch(const std::string& branch_file, const std::vector<std::string>& overrides,
                                               double year, const std::string& trunk_file = "korea_baseline.yaml") {
  const Scenario trunk = scenario_file(trunk_file);
  std::vector<std::string> all = small();
  all.insert(all.end(), overrides.begin(), overrides.end());
  const Scenario branch = scenario_file(branch_file, all);
  return models::branch_mismatch(trunk, branch, models::step_starting_in(trunk, year));
}

// The key branch_mismatch names ("" when it finds none).
std::string mismatch_key(const std::string& branch_file, const std::vector<std::string>& overrides, double year) {
  const auto m = mismatch(branch_file, overrides, year);
  return m ? m->key : "";
}

TEST(BranchMismatch, NamesTheFirstKeyABranchMayNotChange) {
  // all_levers' smart-work programme ramps up from 2011 (strength 0 in 2011): it acts in 2012, before
  // a 2013 checkpoint.
  auto m = mismatch("all_levers.yaml", {}, 2013);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->key, "policies.smart_work_programme");
  EXPECT_TRUE(contains(m->message, "in force in 2012")) << m->message;
  // An event changed after the checkpoint only is a branch; the same event moved before it is not.
  EXPECT_FALSE(mismatch("all_levers.yaml", {"policies.smart_work_programme.at=2013"}, 2013).has_value());
  m = mismatch("all_levers.yaml", {"policies.smart_work_programme.at=2013", "policies.crisis_2009.value=-0.05"}, 2013);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->key, "policies.crisis_2009");
  // An event in force at the checkpoint may have its end and its later ramp changed (the levers
  // before are the same); an event that ended before it may not.
  EXPECT_FALSE(mismatch("all_levers.yaml", {"policies.smart_work_programme.until=2016"}, 2013, "all_levers.yaml").has_value());
  EXPECT_FALSE(mismatch("all_levers.yaml", {"policies.lte_advanced.value=0.9"}, 2013, "all_levers.yaml").has_value());
  EXPECT_EQ(mismatch_key("korea_baseline.yaml", {"policies.crisis_2009.until=2015"}, 2013), "policies.crisis_2009");
  // Structure, size, seed and parameters are the trunk's.
  EXPECT_EQ(mismatch_key("korea_baseline.yaml", {"economy.firms=9000"}, 2013), "economy.firms");
  EXPECT_EQ(mismatch_key("korea_baseline.yaml", {"seed=7"}, 2013), "seed");
  EXPECT_EQ(mismatch_key("korea_baseline.yaml", {"adoption.peer_effect=0.1"}, 2013), "adoption.peer_effect");
  EXPECT_EQ(mismatch_key("korea_baseline.yaml", {"sectors.mining.role=converging", "sectors.mining.firm_share=0.01"}, 2013),
            "sectors.mining.role");
  // Name, description and later snapshots are free; an earlier snapshot is not.
  EXPECT_FALSE(mismatch("korea_baseline.yaml", {"name=other", "description=x", "output.snapshot_years=[1995, 2010, 2015]"}, 2013)
                   .has_value());
  EXPECT_EQ(mismatch_key("korea_baseline.yaml", {"output.snapshot_years=[1996, 2010, 2020]"}, 2013), "output.snapshot_years");
  // The same number written another way is the same value.
  EXPECT_FALSE(mismatch("korea_baseline.yaml", {"network.mean_degree=8.0"}, 2013).has_value());
}

TEST(Checkpoint, StepStartingInIsAStepStartOfTheRun) {
  const Scenario quarterly = scenario_file("korea_baseline.yaml", small({"time.steps_per_year=4"}));
  EXPECT_EQ(models::step_starting_in(quarterly, 1990), 0);
  EXPECT_EQ(models::step_starting_in(quarterly, 2013.25), 93);
  EXPECT_EQ(models::step_starting_in(quarterly, 2013.3), -1);
  EXPECT_EQ(models::step_starting_in(quarterly, 1989), -1);
  EXPECT_EQ(models::step_starting_in(quarterly, 2021), -1);  // the end of the run is no step's start
}

// A checkpoint whose model revision is not this engine's is refused with a message.
TEST(Checkpoint, AnotherModelRevisionIsRefused) {
  const Scenario scenario = scenario_file("korea_baseline.yaml");
  TempDir dir;
  models::save_checkpoint(models::run_to_checkpoint(scenario, 3), dir / "c.h5");
  CheckpointContents contents = read_checkpoint(dir / "c.h5");
  contents.model_revision = models::kModelRevision + 1;
  write_checkpoint(contents, dir / "other.h5");
  const std::string message = input_error_of([&] { models::load_checkpoint(dir / "other.h5"); }).what();
  EXPECT_TRUE(contains(message, "model revision")) << message;
  // A firm index out of range is refused before it is used.
  contents = read_checkpoint(dir / "c.h5");
  for (StateArray& a : contents.arrays) {
    if (a.name == "network/suppliers") std::get<std::vector<std::uint32_t>>(a.values).front() = 1u << 30;
  }
  write_checkpoint(contents, dir / "bad.h5");
  EXPECT_TRUE(contains(input_error_of([&] { models::load_checkpoint(dir / "bad.h5"); }).what(), "/state/network/suppliers"));
}

}  // namespace
}  // namespace convsim::testing
