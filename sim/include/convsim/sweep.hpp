// Sweep plans: a sweep file (YAML) names scenarios, a design over scenario keys (grid, random
// draws, Latin hypercube) and a number of replicates; the plan is the list of runs it stands for
// (FLAME GPU's RunPlanVector), each with its overrides, seed and identity. Replicate r of every
// scenario and design point gets the same seed (common random numbers) and, when the scenario's
// calibration holds parameter draws, the same draw r (parameter_draws.hpp). The sweep file format
// is documented in docs/clusters.md.
//
// @code
//   const SweepPlan plan = load_sweep("scenarios/sweeps/barrier_small.yaml");
//   for (const SweepRun& run : plan.runs) {
//     const Scenario scenario = resolve_run(plan, run);  // validated, seed set
//   }
// @endcode
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <optional>

#include "convsim/parameter_draws.hpp"
#include "convsim/scenario.hpp"
#include "convsim/scenario_document.hpp"
#include "convsim/sensitivity_design.hpp"

namespace convsim {

// The value of `format` in every plan.json this version writes.
inline constexpr const char* kSweepPlanFormat = "convsim-sweep-plan-1";

// One scenario a sweep runs: its name in the sweep, its file and the loaded document.
struct SweepScenario {
  std::string name;                 // key under `scenarios:` (map) or the file's stem (list)
  std::string file;                 // as written in the sweep file, relative to it
  std::filesystem::path path;       // resolved against the sweep file's folder
  SourceLocation where;             // where the sweep file names it
  ScenarioDocument document;        // the scenario with `set:` applied, before design and seed
  std::optional<ParameterDraws> draws;  // its calibration's parameter draws (when the plan uses them)
};

// An override every run of the sweep applies (`set:`), or one design parameter's value.
struct SweepSetting {
  std::string key;      // dotted scenario key, e.g. "economy.firms"
  std::string value;    // YAML text of the value, e.g. "2000" or "[0.1, 0.2]"
  SourceLocation where; // where the sweep file states it
};

// One run of a sweep.
struct SweepRun {
  std::size_t index = 0;      // 0-based position in the plan
  std::size_t scenario = 0;   // index into SweepPlan::scenarios
  std::size_t point = 0;      // index into SweepPlan::points (the design point)
  int replicate = 0;          // 0..replicates-1
  std::uint64_t seed = 0;     // the run's seed: a function of (base seed, replicate) only
  std::string identity;       // run_identity() of the resolved scenario
  long long draw = -1;        // the calibration's parameter draw it uses (= replicate), -1 for none
};

// The runs a sweep file stands for, in order: scenario (outer), design point, replicate (inner).
struct SweepPlan {
  std::string name;                      // `name`, or the sweep file's stem
  std::string description;               // `description`, or ""
  std::string file;                      // the sweep file as given
  std::string design;                    // none, grid, random, latin_hypercube, sobol or morris
  int replicates = 1;
  std::uint64_t base_seed = 1;           // `seed`
  bool parameter_uncertainty = true;     // replicate r uses parameter draw r of its calibration
  SourceLocation seed_where;             // where `seed` is written (line 0 when absent)
  std::vector<SweepScenario> scenarios;
  std::vector<SweepSetting> fixed;       // `set:` overrides, in file order
  std::vector<std::string> parameters;   // design keys, in file order (the plan's columns)
  std::vector<SourceLocation> parameter_locations;  // where each design key is written
  std::vector<std::vector<std::string>> points;     // [point][parameter] value as YAML text
  std::vector<DesignRole> roles;         // [point] for sobol and morris designs; empty for the others
  std::vector<SweepRun> runs;
  std::vector<std::string> warnings;     // distinct scenario warnings of its runs (ScenarioWarning::text)
  // `branch_from`: runs that share everything before this year share one checkpoint there,
  // computed once per sweep output folder (NaN: every run from the start). Changes no result.
  double branch_from = std::numeric_limits<double>::quiet_NaN();
  SourceLocation branch_from_where;      // where `branch_from` is written (line 0 when absent)

  // The design point's value of parameter p for a run.
  const std::string& value(const SweepRun& run, std::size_t p) const { return points[run.point][p]; }
  // A digest of every run's identity, in order: equal plans have equal digests.
  std::string digest() const;
};

// Reads a sweep file, expands its design and resolves every run (so a key that does not exist or
// a value out of range is reported before anything runs). Throws InputError naming the sweep file,
// line and key (or the scenario file's, for errors that are the scenario's own).
// With RunIdentities::defer the runs are expanded but not resolved: their identities stay empty
// and a bad value is found only when the run is resolved (for worker processes, whose manager has
// loaded and checked the whole plan and sends each run's identity with its index).
// With ParameterUncertainty::on, replicate r of every scenario whose calibration holds parameter
// draws uses draw r (parameter_draws.hpp); more replicates than draws is an InputError naming the
// calibration file. With off (--no-parameter-uncertainty), every replicate uses the calibrated point.
// With PlanResolution::incremental (the default) each scenario's first run is resolved as
// resolve_run does and every later run of it only replaces the leaves it changes (design values,
// seed, parameter draw) in that document, its identity digested from a template of the resolved
// YAML; a run it cannot treat so is resolved from scratch. With from_scratch every run's document
// is built anew (the reference; both give the same plan and the same errors).
enum class RunIdentities { compute, defer };
enum class ParameterUncertainty { on, off };
enum class PlanResolution { incremental, from_scratch };
SweepPlan load_sweep(const std::filesystem::path& sweep_file, RunIdentities identities = RunIdentities::compute,
                     ParameterUncertainty uncertainty = ParameterUncertainty::on,
                     PlanResolution resolution = PlanResolution::incremental);

// The validated scenario of one run: its document, the design point's values and its seed.
// Safe to call from several threads at once.
Scenario resolve_run(const SweepPlan& plan, const SweepRun& run);

// The seed of replicate `replicate` for base seed `base` (SplitMix64 of both; below 2^53).
std::uint64_t replicate_seed(std::uint64_t base, int replicate);

// The result file of a run, relative to the sweep's output folder: runs/<identity>.h5. Not the
// plan index: a run keeps its file when the plan around it grows or shrinks.
std::filesystem::path run_result_name(const SweepRun& run);

// The plan as JSON (what DIR/plan.json holds; stable text for equal plans).
std::string plan_to_json(const SweepPlan& plan);
// The plan as CSV: index, scenario, one column per parameter, replicate, seed, identity.
std::string plan_to_csv(const SweepPlan& plan);
// The plan as an aligned text table (same columns as the CSV).
std::string plan_to_table(const SweepPlan& plan);

// One run as plan.json records it (what `convsim merge` needs without the sweep's scenarios).
struct PlannedRun {
  std::size_t index = 0;
  std::string scenario;
  int replicate = 0;
  std::uint64_t seed = 0;
  std::string identity;
  std::string result;               // result file relative to the output folder
  std::vector<std::string> values;  // one per PlanSummary::parameters
  DesignRole role;                  // the design point's role (sobol and morris designs; else all -1)
};

// The content of a plan.json.
struct PlanSummary {
  std::string name;
  std::string sweep_file;
  std::string design;
  int replicates = 1;
  std::uint64_t base_seed = 1;
  bool parameter_uncertainty = false;  // the plan's `parameter_uncertainty` (false when absent)
  std::vector<std::string> parameters;
  std::vector<PlannedRun> runs;
};

// Reads DIR/plan.json as written by a sweep executor. Throws InputError when it is missing or
// malformed.
PlanSummary read_plan_json(const std::filesystem::path& path);

// Runs `shard` of `shard_count` take the plan's runs whose index % shard_count == shard.
struct Shard {
  int index = 0;
  int count = 1;
  // Whether the run with this plan index belongs to this shard.
  bool contains(std::size_t run_index) const {
    return static_cast<int>(run_index % static_cast<std::size_t>(count)) == index;
  }
};

// Parses "I/N" (0 <= I < N). Throws InputError (file "<command line>", key `option`).
Shard parse_shard(const std::string& text, const std::string& option = "--shard");

}  // namespace convsim
