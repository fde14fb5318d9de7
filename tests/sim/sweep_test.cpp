// Sweep plans: design expansion (grid, random, Latin hypercube), common random numbers, identities,
// errors that name the sweep file's line; and the local executor (resume, failures, jobs, sync
// policies) and the worker side of the process executor.
#include "convsim/sweep.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "convsim/detail/sweep_messages.hpp"
#include "convsim/errors.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/result_file.hpp"
#include "convsim/sweep_executor.hpp"
#include "test_support.hpp"
#include "tiny_scenarios.hpp"

namespace convsim {
namespace {

using testing::TempDir;
using testing::write_text;
namespace fs = std::filesystem;

using testing::kTinyPolicy;
using testing::kTinyScenario;

// A folder with tiny.yaml, tiny_policy.yaml and a sweep file written from `sweep_text`.
class SweepFolder {
 public:
  explicit SweepFolder(const std::string& sweep_text) {
    write_text(dir_ / "tiny.yaml", kTinyScenario);
    write_text(dir_ / "tiny_policy.yaml", kTinyPolicy);
    write_text(dir_ / "sweep.yaml", sweep_text);
  }
  fs::path sweep() const { return dir_ / "sweep.yaml"; }
  fs::path path(const std::string& name) const { return dir_ / name; }

 private:
  TempDir dir_;
};

InputError load_error(const std::string& sweep_text) {
  SweepFolder folder(sweep_text);
  try {
    load_sweep(folder.sweep());
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "expected an InputError for:\n" << sweep_text;
  return InputError("", 0, "", "");
}

double number(const std::string& text) { return std::stod(text); }

//---- designs -----------------------------------------------------------------------------------

TEST(SweepPlan, GridIsTheProductOfListsAndRangesFirstParameterSlowest) {
  SweepFolder folder(R"(scenarios: [tiny.yaml]
design:
  type: grid
  parameters:
    adoption.peer_effect: [0.2, 0.5]
    sectors.health_care.barrier: {from: 0, to: 0.5, step: 0.1}
replicates: 2
)");
  const SweepPlan plan = load_sweep(folder.sweep());
  EXPECT_EQ(plan.design, "grid");
  ASSERT_EQ(plan.points.size(), 12u);
  ASSERT_EQ(plan.runs.size(), 24u);
  ASSERT_EQ(plan.parameters, (std::vector<std::string>{"adoption.peer_effect", "sectors.health_care.barrier"}));
  // 0.1 * 3 is written 0.3, not 0.30000000000000004.
  const std::vector<std::string> barrier = {"0", "0.1", "0.2", "0.3", "0.4", "0.5"};
  for (std::size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(plan.points[i][0], i < 6 ? "0.2" : "0.5");
    EXPECT_EQ(plan.points[i][1], barrier[i % 6]);
  }
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    EXPECT_EQ(plan.runs[i].index, i);
    EXPECT_EQ(plan.runs[i].point, i / 2);
    EXPECT_EQ(plan.runs[i].replicate, static_cast<int>(i % 2));
  }
  const Scenario scenario = resolve_run(plan, plan.runs[7]);  // point 3, replicate 1
  EXPECT_DOUBLE_EQ(scenario.adoption.peer_effect, 0.2);
  EXPECT_DOUBLE_EQ(scenario.sectors[2].barrier, 0.3);
  EXPECT_EQ(scenario.seed, replicate_seed(plan.base_seed, 1));
}

TEST(SweepPlan, GridRangeWithCountIncludesBothEnds) {
  SweepFolder folder(R"(scenarios: [tiny.yaml]
design:
  type: grid
  parameters:
    economy.firms: {from: 100, to: 400, count: 4, integer: true}
)");
  const SweepPlan plan = load_sweep(folder.sweep());
  ASSERT_EQ(plan.points.size(), 4u);
  EXPECT_EQ(plan.points[0][0], "100");
  EXPECT_EQ(plan.points[3][0], "400");
  EXPECT_EQ(resolve_run(plan, plan.runs[1]).economy.firms, 200);
}

TEST(SweepPlan, RandomDrawsStayInTheirDistributionsAndFollowTheDesignSeed) {
  const std::string text = R"(scenarios: [tiny.yaml]
design:
  type: random
  n: 200
  seed: 11
  parameters:
    adoption.peer_effect: {distribution: uniform, low: 0.1, high: 0.4}
    technology.innovation_rate: {distribution: normal, mean: 0.4, sd: 0.05, clip: [0.2, 0.6]}
    adoption.base_hazard: {distribution: lognormal, meanlog: -5.5, sdlog: 0.3}
    economy.firms: {distribution: choice, values: [200, 300, 400], weights: [1, 0, 1]}
)";
  SweepFolder folder(text);
  const SweepPlan plan = load_sweep(folder.sweep());
  ASSERT_EQ(plan.points.size(), 200u);
  double sum_normal = 0;
  std::set<std::string> firms;
  for (const auto& point : plan.points) {
    EXPECT_GE(number(point[0]), 0.1);
    EXPECT_LE(number(point[0]), 0.4);
    EXPECT_GE(number(point[1]), 0.2);
    EXPECT_LE(number(point[1]), 0.6);
    sum_normal += number(point[1]);
    EXPECT_GT(number(point[2]), 0.0);
    firms.insert(point[3]);
  }
  EXPECT_NEAR(sum_normal / 200, 0.4, 0.02);
  EXPECT_EQ(firms, (std::set<std::string>{"200", "400"}));  // weight 0 is never drawn

  // Same design seed, same draws; another seed, other draws.
  EXPECT_EQ(load_sweep(folder.sweep()).points, plan.points);
  SweepFolder other(std::string(text).replace(text.find("seed: 11"), 8, "seed: 12"));
  EXPECT_NE(load_sweep(other.sweep()).points, plan.points);
}

TEST(SweepPlan, LatinHypercubeVisitsEveryStratumOnce) {
  SweepFolder folder(R"(scenarios: [tiny.yaml]
design:
  type: latin_hypercube
  n: 40
  parameters:
    adoption.peer_effect: {distribution: uniform, low: 0, high: 1}
    technology.imitation_rate: {distribution: uniform, low: 0, high: 0.4}
)");
  const SweepPlan plan = load_sweep(folder.sweep());
  ASSERT_EQ(plan.points.size(), 40u);
  for (std::size_t p = 0; p < 2; ++p) {
    const double width = p == 0 ? 1.0 : 0.4;
    std::vector<int> hits(40, 0);
    for (const auto& point : plan.points) {
      const double u = number(point[p]) / width;
      ASSERT_GE(u, 0.0);
      ASSERT_LT(u, 1.0);
      ++hits[static_cast<std::size_t>(u * 40)];
    }
    EXPECT_TRUE(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; })) << "parameter " << p;
  }
}

//---- seeds and identities ----------------------------------------------------------------------

TEST(SweepPlan, ReplicateRSharesItsSeedAcrossScenariosAndDesignPoints) {
  SweepFolder folder(R"(scenarios: [tiny.yaml, tiny_policy.yaml]
design:
  type: grid
  parameters:
    adoption.peer_effect: [0.2, 0.5]
replicates: 3
seed: 99
)");
  const SweepPlan plan = load_sweep(folder.sweep());
  ASSERT_EQ(plan.runs.size(), 12u);
  EXPECT_EQ(plan.scenarios[0].name, "tiny");
  EXPECT_EQ(plan.scenarios[1].name, "tiny_policy");
  std::set<std::uint64_t> seeds;
  for (const auto& run : plan.runs) {
    EXPECT_EQ(run.seed, replicate_seed(99, run.replicate));
    seeds.insert(run.seed);
  }
  EXPECT_EQ(seeds.size(), 3u);
  // The seed is a function of (base seed, replicate) only.
  EXPECT_EQ(replicate_seed(99, 2), replicate_seed(99, 2));
  EXPECT_NE(replicate_seed(99, 2), replicate_seed(100, 2));
  EXPECT_LT(replicate_seed(99, 2), std::uint64_t{1} << 53);
  // Runs differ in identity; the resolved scenario carries the seed.
  std::set<std::string> identities;
  for (const auto& run : plan.runs) {
    identities.insert(run.identity);
    EXPECT_EQ(run_identity(resolve_run(plan, run)), run.identity);
  }
  EXPECT_EQ(identities.size(), plan.runs.size());
}

TEST(SweepPlan, IdentitiesDoNotDependOnWhereTheFilesAre) {
  const std::string text = R"(scenarios: {base: tiny.yaml, policy: tiny_policy.yaml}
set: {economy.firms: 250}
design: {type: grid, parameters: {adoption.peer_effect: [0.2, 0.3]}}
replicates: 2
)";
  SweepFolder here(text);
  SweepFolder there(text);
  const SweepPlan a = load_sweep(here.sweep());
  const SweepPlan b = load_sweep(there.sweep());
  ASSERT_EQ(a.runs.size(), 8u);
  for (std::size_t i = 0; i < a.runs.size(); ++i) EXPECT_EQ(a.runs[i].identity, b.runs[i].identity);
  EXPECT_EQ(a.digest(), b.digest());
  EXPECT_EQ(resolve_run(a, a.runs[0]).economy.firms, 250);
}

TEST(SweepPlan, ResolvingFromManyThreadsGivesThePlannedIdentities) {
  // sectors.health_care.barrier and seed already exist in tiny.yaml: overriding them must not
  // touch the plan's shared document while other threads resolve other runs.
  SweepFolder folder(R"(scenarios: [tiny.yaml]
design: {type: grid, parameters: {sectors.health_care.barrier: {from: 0, to: 0.9, step: 0.1}}}
replicates: 4
)");
  const SweepPlan plan = load_sweep(folder.sweep());
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int pass = 0; pass < 3; ++pass) {
        for (std::size_t i = 0; i < plan.runs.size(); ++i) {
          const SweepRun& run = plan.runs[(i * 7 + static_cast<std::size_t>(t)) % plan.runs.size()];
          if (run_identity(resolve_run(plan, run)) != run.identity) ++mismatches;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

//---- errors ------------------------------------------------------------------------------------

TEST(SweepPlan, UnknownDesignKeyIsAnErrorAtItsLine) {
  const InputError e = load_error(R"(scenarios: [tiny.yaml]
design:
  type: grid
  parameters:
    adoption.peer_efect: [0.2, 0.5]
)");
  EXPECT_EQ(fs::path(e.file()).filename(), "sweep.yaml");
  EXPECT_EQ(e.line(), 5);
  EXPECT_EQ(e.key(), "adoption.peer_efect");
  EXPECT_NE(std::string(e.what()).find("unknown key"), std::string::npos) << e.what();
}

TEST(SweepPlan, UnknownSetKeyIsAnErrorAtItsLine) {
  const InputError e = load_error("scenarios: [tiny.yaml]\nset:\n  economy.firmz: 100\n");
  EXPECT_EQ(fs::path(e.file()).filename(), "sweep.yaml");
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.key(), "economy.firmz");
}

TEST(SweepPlan, OutOfRangeDesignValueNamesTheRun) {
  const InputError e = load_error(R"(scenarios: [tiny.yaml]
design:
  type: grid
  parameters:
    sectors.health_care.barrier: [0.5, 7]
)");
  EXPECT_EQ(e.line(), 5);
  EXPECT_NE(std::string(e.what()).find("run 1"), std::string::npos) << e.what();
}

TEST(SweepPlan, MalformedSweepFilesNameFileLineAndKey) {
  EXPECT_EQ(load_error("scenarios: [tiny.yaml]\nreplicate: 3\n").line(), 2);
  EXPECT_EQ(load_error("scenarios: [tiny.yaml]\nreplicates: 0\n").key(), "replicates");
  EXPECT_EQ(load_error("scenarios: [missing.yaml]\n").key(), "scenarios");
  EXPECT_EQ(load_error("scenarios: [tiny.yaml]\ndesign: {type: grit, parameters: {a.b: [1]}}\n").key(), "design.type");
  EXPECT_EQ(load_error("scenarios: [tiny.yaml]\ndesign:\n  type: random\n  n: 3\n  parameters:\n    adoption.peer_effect: {distribution: normal, mean: 1}\n")
                .key(),
            "adoption.peer_effect.sd");
  EXPECT_EQ(load_error("scenarios: [tiny.yaml]\ndesign:\n  type: random\n  parameters: {adoption.peer_effect: {low: 0, high: 1}}\n").key(),
            "design.n");
  EXPECT_EQ(load_error("scenarios: [tiny.yaml]\nseed: -4\n").key(), "seed");
  EXPECT_EQ(load_error("scenarios: [tiny.yaml, tiny.yaml]\n").key(), "scenarios");
  EXPECT_EQ(load_error("scenarios: [tiny.yaml]\nset: {seed: 4}\n").key(), "set.seed");
  // An unclosed list is reported on the line that opened it, not where the parser gave up.
  const InputError unclosed = load_error("scenarios: [tiny.yaml\n");
  EXPECT_EQ(unclosed.line(), 1);
  EXPECT_NE(unclosed.detail().find("the '[' opened on this line is not closed with ']'"), std::string::npos) << unclosed.what();
}

TEST(SweepPlan, ShardsPartitionThePlan) {
  EXPECT_THROW(parse_shard("3/3"), InputError);
  EXPECT_THROW(parse_shard("1"), InputError);
  EXPECT_THROW(parse_shard("a/2"), InputError);
  const Shard shard = parse_shard("1/3");
  EXPECT_EQ(shard.index, 1);
  EXPECT_EQ(shard.count, 3);
  for (std::size_t i = 0; i < 30; ++i) {
    int owners = 0;
    for (int s = 0; s < 3; ++s) owners += Shard{s, 3}.contains(i) ? 1 : 0;
    EXPECT_EQ(owners, 1);
  }
}

TEST(SweepPlan, PlanJsonRoundTrips) {
  SweepFolder folder(R"(name: roundtrip
scenarios: [tiny.yaml, tiny_policy.yaml]
design: {type: grid, parameters: {adoption.peer_effect: [0.2, 0.3], economy.firms: [200]}}
replicates: 2
seed: 8
)");
  const SweepPlan plan = load_sweep(folder.sweep());
  write_text(folder.path("plan.json"), plan_to_json(plan));
  const PlanSummary summary = read_plan_json(folder.path("plan.json"));
  EXPECT_EQ(summary.name, "roundtrip");
  EXPECT_EQ(summary.replicates, 2);
  EXPECT_EQ(summary.base_seed, 8u);
  EXPECT_EQ(summary.parameters, plan.parameters);
  ASSERT_EQ(summary.runs.size(), plan.runs.size());
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    EXPECT_EQ(summary.runs[i].identity, plan.runs[i].identity);
    EXPECT_EQ(summary.runs[i].seed, plan.runs[i].seed);
    EXPECT_EQ(summary.runs[i].scenario, plan.scenarios[plan.runs[i].scenario].name);
    EXPECT_EQ(summary.runs[i].values[0], plan.value(plan.runs[i], 0));
    EXPECT_EQ(summary.runs[i].result, run_result_name(plan.runs[i]).generic_string());
  }
  EXPECT_NE(plan_to_csv(plan).find("index,scenario,adoption.peer_effect,economy.firms,replicate,seed,identity"),
            std::string::npos);
}

//---- sensitivity designs (sobol, morris) -------------------------------------------------------

TEST(SweepPlan, SobolDesignHasNTimesKPlusTwoPointsWithTheirRolesAndMapsThroughTheDistributions) {
  SweepFolder folder(R"(scenarios: [tiny.yaml]
design:
  type: sobol
  n: 8
  seed: 3
  parameters:
    adoption.peer_effect: {low: 0.1, high: 0.3}
    technology.imitation_rate: {distribution: uniform, low: 0, high: 0.4}
    adoption.base_hazard: {distribution: lognormal, meanlog: -5, sdlog: 0.5}
replicates: 2
)");
  const SweepPlan plan = load_sweep(folder.sweep());
  ASSERT_EQ(plan.points.size(), 8u * 5u);
  ASSERT_EQ(plan.roles.size(), plan.points.size());
  EXPECT_EQ(plan.runs.size(), 80u);
  const UnitDesign unit = saltelli_design(8, 3, 3);
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    EXPECT_EQ(plan.roles[i].group, unit.roles[i].group);
    EXPECT_EQ(plan.roles[i].block, unit.roles[i].block);
    EXPECT_NEAR(number(plan.points[i][0]), 0.1 + 0.2 * unit.points[i][0], 1e-9);
    EXPECT_NEAR(number(plan.points[i][1]), 0.4 * unit.points[i][1], 1e-9);
    EXPECT_GT(number(plan.points[i][2]), 0.0);
  }
  // A_B^2 of row 5 is A's row 5 but for parameter 1 (0-based), which is B's.
  const std::size_t a = 5 * 5, ab = a + 2, b = a + 4;
  EXPECT_EQ(plan.roles[ab].factor, 1);
  EXPECT_EQ(plan.points[ab][0], plan.points[a][0]);
  EXPECT_EQ(plan.points[ab][1], plan.points[b][1]);
  EXPECT_EQ(plan.points[ab][2], plan.points[a][2]);
  // plan.json carries each run's role to the merge.
  write_text(folder.path("plan.json"), plan_to_json(plan));
  const PlanSummary summary = read_plan_json(folder.path("plan.json"));
  EXPECT_EQ(summary.design, "sobol");
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    EXPECT_EQ(summary.runs[i].role.group, plan.roles[plan.runs[i].point].group);
    EXPECT_EQ(summary.runs[i].role.block, plan.roles[plan.runs[i].point].block);
    EXPECT_EQ(summary.runs[i].role.factor, plan.roles[plan.runs[i].point].factor);
  }
}

TEST(SweepPlan, MorrisDesignMovesOneParameterPerStepOnTheGrid) {
  SweepFolder folder(R"(scenarios: [tiny.yaml]
design:
  type: morris
  trajectories: 4
  levels: 4
  candidates: 20
  parameters:
    adoption.peer_effect: {low: 0.1, high: 0.4}
    technology.imitation_rate: {low: 0, high: 0.3}
)");
  const SweepPlan plan = load_sweep(folder.sweep());
  ASSERT_EQ(plan.points.size(), 4u * 3u);
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    const DesignRole& role = plan.roles[i];
    if (role.block == 0) continue;
    const auto f = static_cast<std::size_t>(role.factor);
    const double width = 0.3;  // both ranges
    EXPECT_NEAR(number(plan.points[i][f]) - number(plan.points[i - 1][f]), role.delta * width, 1e-9);
    EXPECT_NEAR(std::abs(role.delta), 2.0 / 3.0, 1e-12);
    EXPECT_EQ(plan.points[i][1 - f], plan.points[i - 1][1 - f]);
  }
}

TEST(SweepPlan, SensitivityDesignErrorsNameTheirLineAndKey) {
  const InputError not_power = load_error(R"(scenarios: [tiny.yaml]
design:
  type: sobol
  n: 12
  parameters: {adoption.peer_effect: {low: 0, high: 1}, technology.imitation_rate: {low: 0, high: 1}}
)");
  EXPECT_EQ(not_power.line(), 4);
  EXPECT_EQ(not_power.key(), "design.n");
  EXPECT_NE(not_power.detail().find("power of two"), std::string::npos) << not_power.detail();
  const InputError one = load_error("scenarios: [tiny.yaml]\ndesign:\n  type: sobol\n  n: 4\n  parameters: {adoption.peer_effect: {low: 0, high: 1}}\n");
  EXPECT_EQ(one.key(), "design.parameters");
  const InputError odd = load_error("scenarios: [tiny.yaml]\ndesign:\n  type: morris\n  trajectories: 3\n  levels: 5\n  parameters: {adoption.peer_effect: {low: 0, high: 1}}\n");
  EXPECT_EQ(odd.key(), "design.levels");
  EXPECT_EQ(odd.line(), 5);
  const InputError normal = load_error("scenarios: [tiny.yaml]\ndesign:\n  type: morris\n  trajectories: 3\n  parameters:\n    adoption.peer_effect: {distribution: normal, mean: 1, sd: 0.1}\n");
  EXPECT_EQ(normal.key(), "adoption.peer_effect.distribution");
  EXPECT_EQ(normal.line(), 6);
  EXPECT_EQ(load_error("scenarios: [tiny.yaml]\ndesign:\n  type: morris\n  trajectories: 3\n  candidates: 2\n  parameters: {adoption.peer_effect: {low: 0, high: 1}}\n").key(),
            "design.candidates");
}

//---- the local executor ------------------------------------------------------------------------

RunSimulator real_simulator() {
  return [](const Scenario& scenario) {
    models::RunOptions options;
    options.firm_snapshots = false;
    return models::simulate(scenario, options);
  };
}

constexpr const char* kExecutorSweep = R"(scenarios: [tiny.yaml, tiny_policy.yaml]
design: {type: grid, parameters: {adoption.peer_effect: [0.2, 0.5]}}
replicates: 2
)";

TEST(SweepExecutor, RunsEveryRunThenSkipsThemOnResume) {
  SweepFolder folder(kExecutorSweep);
  const SweepPlan plan = load_sweep(folder.sweep());
  TempDir out;
  SweepExecutionOptions options;
  options.output_dir = out.path();
  options.jobs = 2;
  options.sync = SyncPolicy::none;
  const SweepReport first = run_sweep_local(plan, real_simulator(), options);
  EXPECT_EQ(first.completed(), 8u);
  EXPECT_TRUE(first.ok());
  for (const auto& run : plan.runs) EXPECT_TRUE(is_complete_result(out.path() / run_result_name(run), run.identity));
  EXPECT_TRUE(fs::exists(out / "plan.json"));
  EXPECT_FALSE(fs::exists(out / "failures.log"));

  // A temporary file a killed run left behind is removed; complete runs are not run again.
  const fs::path stale = out.path() / (run_result_name(plan.runs[3]).string() + ".tmp.12345");
  write_text(stale, "partial");
  std::atomic<int> calls{0};
  const RunSimulator counting = [&](const Scenario& s) {
    ++calls;
    return real_simulator()(s);
  };
  const SweepReport second = run_sweep_local(plan, counting, options);
  EXPECT_EQ(second.skipped(), 8u);
  EXPECT_EQ(calls.load(), 0);
  EXPECT_FALSE(fs::exists(stale));
}

TEST(SweepExecutor, AFailingRunIsRecordedAndTheOthersGoOn) {
  SweepFolder folder(kExecutorSweep);
  const SweepPlan plan = load_sweep(folder.sweep());
  TempDir out;
  SweepExecutionOptions options;
  options.output_dir = out.path();
  options.jobs = 2;
  options.sync = SyncPolicy::none;
  const std::string doomed = plan.runs[5].identity;
  const RunSimulator failing = [&](const Scenario& s) {
    if (run_identity(s) == doomed) throw std::runtime_error("model diverged");
    return real_simulator()(s);
  };
  const SweepReport report = run_sweep_local(plan, failing, options);
  EXPECT_EQ(report.completed(), 7u);
  ASSERT_EQ(report.failed(), 1u);
  EXPECT_EQ(report.outcomes[5].status, RunStatus::failed);
  EXPECT_EQ(report.outcomes[5].error, "model diverged");
  const std::string log = testing::read_text(out / "failures.log");
  EXPECT_NE(log.find("5 tiny_policy " + doomed + ": model diverged"), std::string::npos) << log;

  // Retrying runs only the failed run; when it succeeds the failure is gone.
  const SweepReport retry = run_sweep_local(plan, real_simulator(), options);
  EXPECT_EQ(retry.completed(), 1u);
  EXPECT_EQ(retry.skipped(), 7u);
  EXPECT_FALSE(fs::exists(out / "failures.log"));
}

TEST(SweepExecutor, ShardsTogetherRunThePlanOnce) {
  SweepFolder folder(kExecutorSweep);
  const SweepPlan plan = load_sweep(folder.sweep());
  TempDir out;
  std::size_t total = 0;
  for (int s = 0; s < 3; ++s) {
    SweepExecutionOptions options;
    options.output_dir = out.path();
    options.shard = {s, 3};
    options.sync = SyncPolicy::none;
    const SweepReport report = run_sweep_local(plan, real_simulator(), options);
    for (const auto& o : report.outcomes) EXPECT_EQ(static_cast<int>(o.index % 3), s);
    total += report.completed();
  }
  EXPECT_EQ(total, plan.runs.size());
}

TEST(SweepExecutor, ResultsDoNotDependOnJobs) {
  SweepFolder folder(kExecutorSweep);
  const SweepPlan plan = load_sweep(folder.sweep());
  TempDir one, two;
  for (auto [dir, jobs] : {std::pair{&one, 1}, std::pair{&two, 3}}) {
    SweepExecutionOptions options;
    options.output_dir = dir->path();
    options.jobs = jobs;
    options.sync = SyncPolicy::none;
    ASSERT_TRUE(run_sweep_local(plan, real_simulator(), options).ok());
  }
  for (const auto& run : plan.runs) {
    const RunResult a = read_result(one.path() / run_result_name(run));
    const RunResult b = read_result(two.path() / run_result_name(run));
    ASSERT_EQ(a.aggregate.size(), b.aggregate.size());
    for (std::size_t v = 0; v < a.aggregate.size(); ++v) EXPECT_EQ(a.aggregate[v].values, b.aggregate[v].values);
    for (std::size_t v = 0; v < a.by_sector.size(); ++v) EXPECT_EQ(a.by_sector[v].values, b.by_sector[v].values);
  }
}

TEST(SweepExecutor, SyncPoliciesWriteTheSameResults) {
  SweepFolder folder(kExecutorSweep);
  const SweepPlan plan = load_sweep(folder.sweep());
  TempDir each, end, none;
  for (auto [dir, policy] : {std::pair{&each, SyncPolicy::each}, std::pair{&end, SyncPolicy::end},
                             std::pair{&none, SyncPolicy::none}}) {
    SweepExecutionOptions options;
    options.output_dir = dir->path();
    options.jobs = 2;
    options.sync = policy;
    const SweepReport report = run_sweep_local(plan, real_simulator(), options);
    EXPECT_TRUE(report.ok()) << report.sync_error;
    EXPECT_EQ(report.completed(), plan.runs.size());
  }
  for (const auto& run : plan.runs) {
    const RunResult a = read_result(each.path() / run_result_name(run));
    for (const TempDir* other : {&end, &none}) {
      const RunResult b = read_result(other->path() / run_result_name(run));
      ASSERT_EQ(a.aggregate.size(), b.aggregate.size());
      for (std::size_t v = 0; v < a.aggregate.size(); ++v) EXPECT_EQ(a.aggregate[v].values, b.aggregate[v].values);
    }
  }
  EXPECT_TRUE(sync_file_system(end.path()));
  EXPECT_FALSE(sync_file_system(end.path() / "no such folder"));
  EXPECT_EQ(parse_sync_policy("each"), SyncPolicy::each);
  try {
    parse_sync_policy("sometimes");
    FAIL() << "accepted an unknown sync policy";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), "--sync");
    EXPECT_NE(std::string(e.what()).find("end, each or none"), std::string::npos) << e.what();
  }
}

// The result files of a folder's runs/ (no temporaries).
std::vector<std::string> result_files(const fs::path& out) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(out / "runs")) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Two jobs, no flush: the options of the resume tests.
SweepExecutionOptions two_jobs_into(const TempDir& out) {
  SweepExecutionOptions options;
  options.output_dir = out.path();
  options.jobs = 2;
  options.sync = SyncPolicy::none;
  return options;
}

// kExecutorSweep with another number of replicates.
std::string executor_sweep(int replicates) {
  std::string text = kExecutorSweep;
  return text.replace(text.find("replicates: 2"), 13, "replicates: " + std::to_string(replicates));
}

TEST(SweepExecutor, MoreReplicatesRunOnlyTheNewRunsAndStoreEachIdentityOnce) {
  // 2 replicates, then 3: every run of the first plan moves to another plan index (replicates are
  // the inner loop), so finding results by position would run all 12 again.
  SweepFolder folder(kExecutorSweep);
  const SweepPlan two = load_sweep(folder.sweep());
  write_text(folder.path("three.yaml"), executor_sweep(3));
  const SweepPlan three = load_sweep(folder.path("three.yaml"));
  ASSERT_EQ(three.runs.size(), 12u);
  ASSERT_NE(two.runs[2].identity, three.runs[2].identity) << "the test needs runs that change position";
  TempDir out;
  const SweepExecutionOptions options = two_jobs_into(out);
  ASSERT_EQ(run_sweep_local(two, real_simulator(), options).completed(), 8u);
  std::set<std::string> simulated;
  std::mutex simulated_mutex;
  const RunSimulator recording = [&](const Scenario& s) {
    const std::lock_guard lock(simulated_mutex);
    simulated.insert(run_identity(s));
    return real_simulator()(s);
  };
  const SweepReport grown = run_sweep_local(three, recording, options);
  EXPECT_EQ(grown.completed(), 4u);
  EXPECT_EQ(grown.skipped(), 8u);
  std::set<std::string> new_runs;
  for (const auto& run : three.runs) {
    if (run.replicate == 2) new_runs.insert(run.identity);
  }
  EXPECT_EQ(simulated, new_runs);
  // One file per identity, each a complete result of its run.
  std::vector<std::string> expected;
  for (const auto& run : three.runs) {
    expected.push_back(run_result_name(run).filename().string());
    EXPECT_TRUE(is_complete_result(out.path() / run_result_name(run), run.identity));
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(result_files(out.path()), expected);

  // Back to 2 replicates: nothing runs; the shards of a job array find the results the same way.
  EXPECT_EQ(run_sweep_local(two, recording, options).skipped(), 8u);
  write_text(folder.path("four.yaml"), executor_sweep(4));
  const SweepPlan four = load_sweep(folder.path("four.yaml"));
  simulated.clear();
  std::size_t completed = 0, skipped = 0;
  for (int shard = 0; shard < 3; ++shard) {
    SweepExecutionOptions sharded = options;
    sharded.shard = {shard, 3};
    const SweepReport report = run_sweep_local(four, recording, sharded);
    completed += report.completed();
    skipped += report.skipped();
  }
  EXPECT_EQ(completed, 4u);
  EXPECT_EQ(skipped, 12u);
  for (const auto& run : four.runs) EXPECT_EQ(simulated.count(run.identity), run.replicate == 3 ? 1u : 0u);
}

TEST(SweepExecutor, AnOlderFolderNamedByPlanIndexIsResumedWithoutRunningAgain) {
  SweepFolder folder(kExecutorSweep);
  const SweepPlan plan = load_sweep(folder.sweep());
  TempDir out;
  const SweepExecutionOptions options = two_jobs_into(out);
  ASSERT_TRUE(run_sweep_local(plan, real_simulator(), options).ok());
  // What an older convsim left: runs/<index>-<identity>.h5, one identity stored at two indices
  // (10-<id>.h5 and 12-<id>.h5 after a grown sweep), and an old failure file.
  for (const auto& run : plan.runs) {
    fs::rename(out.path() / run_result_name(run),
               out.path() / "runs" / (std::to_string(run.index) + "-" + run.identity + ".h5"));
  }
  fs::copy_file(out.path() / "runs" / ("0-" + plan.runs[0].identity + ".h5"),
                out.path() / "runs" / ("12-" + plan.runs[0].identity + ".h5"));
  write_text(out.path() / "failures" / ("3-" + plan.runs[3].identity + ".txt"), "run 3\nold failure\n");
  std::atomic<int> calls{0};
  const RunSimulator counting = [&](const Scenario& s) {
    ++calls;
    return real_simulator()(s);
  };
  const SweepReport resumed = run_sweep_local(plan, counting, options);
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(resumed.skipped(), 8u);
  EXPECT_TRUE(resumed.ok());
  std::vector<std::string> expected;
  for (const auto& run : plan.runs) expected.push_back(run_result_name(run).filename().string());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(result_files(out.path()), expected);
  EXPECT_FALSE(fs::exists(out.path() / "failures" / ("3-" + plan.runs[3].identity + ".txt")));
  EXPECT_FALSE(fs::exists(out / "failures.log"));
}

// Sends `input` to serve_sweep_worker and returns its exit value and the outcome lines it wrote.
std::pair<int, std::vector<RunOutcome>> serve_worker(const SweepPlan& plan, const SweepExecutionOptions& options,
                                                     const std::string& input) {
  int to_worker[2], from_worker[2];
  EXPECT_EQ(::pipe(to_worker), 0);
  EXPECT_EQ(::pipe(from_worker), 0);
  EXPECT_EQ(::write(to_worker[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ::close(to_worker[1]);
  const int status = serve_sweep_worker(plan, real_simulator(), options, to_worker[0], from_worker[1]);
  ::close(to_worker[0]);
  ::close(from_worker[1]);
  std::string text;
  char chunk[4096];
  for (ssize_t n; (n = ::read(from_worker[0], chunk, sizeof chunk)) > 0;) text.append(chunk, static_cast<std::size_t>(n));
  ::close(from_worker[0]);
  std::vector<RunOutcome> outcomes;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    RunOutcome outcome;
    EXPECT_TRUE(detail::decode_outcome(line, outcome)) << line;
    outcomes.push_back(outcome);
  }
  return {status, outcomes};
}

TEST(SweepExecutor, WorkerTakesEachRunsIdentityFromItsManager) {
  SweepFolder folder(kExecutorSweep);
  const SweepPlan plan = load_sweep(folder.sweep());
  // What a worker process loads: the runs expanded, none resolved.
  const SweepPlan deferred = load_sweep(folder.sweep(), RunIdentities::defer);
  ASSERT_EQ(deferred.runs.size(), plan.runs.size());
  for (const auto& run : deferred.runs) {
    EXPECT_TRUE(run.identity.empty());
    EXPECT_EQ(run.seed, plan.runs[run.index].seed);
  }
  TempDir out;
  prepare_sweep_output(plan, out.path());
  SweepExecutionOptions options;
  options.output_dir = out.path();
  options.sync = SyncPolicy::end;
  // Run 1 as planned; run 2 as if its scenario had changed since the manager planned it.
  const std::string stale(32, 'a');
  const auto [status, outcomes] =
      serve_worker(deferred, options, "1 " + plan.runs[1].identity + "\n2 " + stale + "\n");
  EXPECT_EQ(status, 0);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].index, 1u);
  EXPECT_EQ(outcomes[0].status, RunStatus::completed) << outcomes[0].error;
  EXPECT_TRUE(is_complete_result(out.path() / run_result_name(plan.runs[1]), plan.runs[1].identity));
  EXPECT_EQ(outcomes[1].index, 2u);
  EXPECT_EQ(outcomes[1].status, RunStatus::failed);
  EXPECT_NE(outcomes[1].error.find("changed since the plan was made"), std::string::npos) << outcomes[1].error;
  SweepRun stale_run = plan.runs[2];
  stale_run.identity = stale;
  EXPECT_FALSE(fs::exists(out.path() / run_result_name(stale_run)));

  // A line that is not "index identity", or an index outside the plan, ends the worker with 1.
  for (const std::string& bad : std::vector<std::string>{"1\n", "x " + stale + "\n", "99 " + stale + "\n", "1 NOT-HEX\n"}) {
    EXPECT_EQ(serve_worker(deferred, options, bad).first, 1) << bad;
  }
}

}  // namespace
}  // namespace convsim
