// Running a scenario: build the economy, step it T times under the policy schedule, and observe
// aggregates into a RunResult (the layout of the HDF5 result file).
#pragma once

#include <functional>

#include "convsim/result.hpp"
#include "convsim/scenario.hpp"

namespace convsim::models {

// Options of one run that are not part of the scenario (they never change results).
struct RunOptions {
  // Called after each step with (steps done, total steps), from the calling thread.
  std::function<void(int, int)> progress;
  // Called while the economy is prepared, before the first reported step, from the calling thread:
  // (1, 1 + B) once the economy is built, then (1 + b, 1 + B) after burn-in step b of B.
  std::function<void(int, int)> preparation;
  // Write the firm snapshots the scenario asks for.
  bool firm_snapshots = true;
};

// Runs a scenario to the end. Deterministic in (scenario, seed) whatever the thread count.
RunResult simulate(const Scenario& scenario, const RunOptions& options = {});

struct Checkpoint;  // convsim/models/checkpoint.hpp

// Runs a scenario's burn-in and its first `steps_done` reported steps (0..steps()) and returns
// the state at the start of the next one. continue_run(scenario, run_to_checkpoint(scenario, k))
// equals simulate(scenario) bit for bit, for every k and thread count.
Checkpoint run_to_checkpoint(const Scenario& scenario, int steps_done, const RunOptions& options = {});

// Runs the rest of `scenario` from a checkpoint: of the same scenario, or of one it branches from
// (check_branch in checkpoint.hpp says whether it may). The result's metadata (name, identity,
// events) are `scenario`'s; its first steps and their snapshots are the checkpoint's. Throws
// std::invalid_argument when the checkpoint's steps or variables are not this scenario's.
RunResult continue_run(const Scenario& scenario, Checkpoint&& from, const RunOptions& options = {});

// Units and long names of every series a run writes, for documentation and checks.
struct VariableDoc {
  std::string group;  // aggregate, by_sector, convergence, policy
  std::string name;
  std::string units;
  std::string long_name;
};
// Every variable a result holds.
std::vector<VariableDoc> result_variables();

}  // namespace convsim::models
