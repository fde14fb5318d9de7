// Checkpoints: a run's complete state at the start of a reported step, saved to an HDF5 file
// (convsim/checkpoint_file.hpp) and continued exactly. Every draw is a pure function of (seed,
// firm uid, stream, step), so the state below is all a continuation needs: the firm columns and
// what neighbours see of them, the network (base rows and overlay links, in their order), the
// samplers as they were last built, the market and shocks in force, the sector prices and the
// step counter. A continuation gives every dataset of the uninterrupted run bit for bit.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "convsim/checkpoint_file.hpp"
#include "convsim/models/economy.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/result.hpp"
#include "convsim/scenario.hpp"

namespace convsim::models {

// The revision of the engine's state layout and rules that a checkpoint belongs to, written into
// every checkpoint and required equal when one is continued. Bump it whenever Economy gains,
// loses or reinterprets a field, or a step's rules change what a state leads to.
inline constexpr std::int64_t kModelRevision = 1;

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
// A branch may differ from its trunk only in name, description, policy events that change no
// lever before the checkpoint, and firm snapshots from the checkpoint on: anything else would
// make its continuation differ from running it from the start. nullopt when `branch` may
// continue the checkpoint.
std::optional<BranchMismatch> branch_mismatch(const Scenario& trunk, const Scenario& branch, int steps_done);

}  // namespace convsim::models
