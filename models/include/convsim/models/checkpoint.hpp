// Checkpoints: a run's complete state at the start of a reported step, saved to an HDF5 file
// (convsim/checkpoint_file.hpp) and continued exactly. Every draw is a pure function of (seed,
// firm uid, stream, step), so the state below is all a continuation needs: the firm columns and
// what neighbours see of them, the network (base rows and overlay links, in their order), the
// samplers as they were last built, the market and shocks in force, the sector prices and the
// step counter. A continuation gives every dataset of the uninterrupted run bit for bit.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "convsim/checkpoint_file.hpp"
#include "convsim/models/economy.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/result.hpp"
#include "convsim/scenario.hpp"
#include "convsim/sweep.hpp"
#include "convsim/sweep_executor.hpp"

namespace convsim::models {

// The revision of the engine's state layout and rules that a checkpoint belongs to, written into
// every checkpoint and required equal when one is continued. Bump it whenever Economy gains,
// loses or reinterprets a field, or a step's rules change what a state leads to.
inline constexpr std::int64_t kModelRevision = 2;  // 2: firms/wage_premium

// A run stopped at the start of reported step `steps_done`.
struct Checkpoint {
  int steps_done = 0;  // reported steps done, T0 (0: just after the burn-in)
  double year = 0;     // decimal year of step T0
  Economy economy;     // the state after the burn-in and T0 steps
  RunResult partial;   // the result of steps 0..T0-1: the scenario's metadata, T0 values per series
};

// The reported step that starts in decimal `year` (within 1e-9), or -1 when no step of the
// scenario starts then; steps() (the end of the run) is not a checkpoint year.
int step_starting_in(const Scenario& scenario, double year);

// `year` as convsim writes it in messages and file names: 2013, 2013.25.
std::string year_text(double year);

// "" when a step of `scenario` starts in `year`; else why not, naming the scenario as `label`:
// "2013.5 is not the start of a step of korea_baseline (1990 to 2020, steps_per_year 1)".
std::string step_start_problem(const Scenario& scenario, double year, const std::string& label);

// Writes `checkpoint` to `path` (atomically; see write_checkpoint).
void save_checkpoint(const Checkpoint& checkpoint, const std::filesystem::path& path);

// Reads the checkpoint at `path`. Every array is checked against the scenario it was taken from
// (its resolved YAML, partial.scenario_yaml) and against each other (sizes, firm indices, counts)
// before it is used. Throws convsim::InputError naming the file (and the array) when the file is
// missing, truncated, damaged or foreign, from another convsim version or model revision, or its
// state is not one of its scenario.
Checkpoint load_checkpoint(const std::filesystem::path& path);

// The scenario a checkpoint was taken from, built from its resolved YAML (errors name `file`).
ScenarioDocument checkpoint_document(const Checkpoint& checkpoint, const std::string& file);

// Why `branch` may not continue a checkpoint of `trunk` taken after `steps_done` reported steps.
struct BranchMismatch {
  std::string key;      // the first differing dotted key of `branch` ("economy.firms", "policies.telemedicine")
  std::string message;  // what differs, for a user
};
// The scenario a run continues `checkpoint` (read from `file`) with: the checkpoint's own when
// `branch` is null (with the checkpointed run's identity), else `branch` once branch_mismatch
// finds nothing. Throws convsim::InputError naming the branch's file, line (found in `document`
// when given) and the first key it may not change.
Scenario continuation_scenario(const Checkpoint& checkpoint, const std::string& file, const Scenario* branch,
                               const ScenarioDocument* document = nullptr);

// A branch may differ from its trunk only in name, description, policy events that change no
// lever before the checkpoint, and firm snapshots from the checkpoint on: anything else would
// make its continuation differ from running it from the start. nullopt when `branch` may
// continue the checkpoint.
std::optional<BranchMismatch> branch_mismatch(const Scenario& trunk, const Scenario& branch, int steps_done);

}  // namespace convsim::models

namespace convsim::models {

// A digest that two scenarios share exactly when each may continue the other's checkpoint after
// `steps_done` reported steps (branch_mismatch finds nothing): their keys but those free in a
// branch, their snapshots before the checkpoint, and the levers in force at every step before it.
std::string trunk_key(const Scenario& scenario, int steps_done);

// The runs of a sweep with `branch_from`: each run continues the checkpoint of its trunk at the
// start of `year`, computed once per trunk and shared. Checkpoints are kept in `folder` (a
// sweep's DIR/checkpoints; "" keeps them in memory only), written atomically and under a file
// lock, so that the processes of a sweep (worker processes, MPI ranks, Slurm tasks on one file
// system) compute each trunk once and read it from then on. Each run's result is bit-identical
// to simulate(scenario, options). Safe to call from several threads at once.
class TrunkCheckpoints {
 public:
  TrunkCheckpoints(std::filesystem::path folder, double year, RunOptions options);
  ~TrunkCheckpoints();
  TrunkCheckpoints(const TrunkCheckpoints&) = delete;
  TrunkCheckpoints& operator=(const TrunkCheckpoints&) = delete;

  // Runs `scenario` from its trunk's checkpoint. Throws std::runtime_error when `year` is not the
  // start of one of its steps.
  RunResult run(const Scenario& scenario);

  struct Counts {
    std::size_t computed = 0;  // trunks this process ran to the checkpoint (and saved)
    std::size_t loaded = 0;    // trunks read from the folder (computed by another process or earlier)
    std::size_t runs = 0;      // runs continued from a checkpoint
  };
  Counts counts() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Throws convsim::InputError (the sweep file's line of `branch_from`) unless `branch_from`, when
// the plan has it, is the start of a step of every scenario of the sweep.
void check_branch_from(const SweepPlan& plan);

// The simulator of a sweep's runs (check_branch_from first): simulate(scenario, options), or, when the plan has
// `branch_from`, a TrunkCheckpoints keeping its checkpoints in `output_dir`/checkpoints.
RunSimulator sweep_simulator(const SweepPlan& plan, const std::filesystem::path& output_dir, const RunOptions& options);

}  // namespace convsim::models
