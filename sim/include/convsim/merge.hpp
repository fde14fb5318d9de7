// Merging a sweep: the per-run result files of a sweep's output folder gathered into one HDF5 file
// with a `run` dimension and a table of each run's parameters and seed, readable with h5py and
// xarray without convsim. Layout (docs/clusters.md, "Merged results"):
//
//   /run [run]                        int64 dimension scale: the run's index in the plan
//   /time [time], /sector [sector], /sector_role [sector]
//   /aggregate/<var>   [run, time]    each group repeats the scales its variables use
//   /by_sector/<var>   [run, time, sector]
//   /convergence/<var> [run, time]
//   /policy/<var>      [run, time] or [run, time, sector]
//   /runs/<column>     [run]          index, scenario, replicate, seed, identity, one column per
//                                     swept parameter (float64 when every value is a number),
//                                     scenario_yaml (the resolved scenario of each run),
//                                     draw (the parameter draw, -1 for none); for sobol and
//                                     morris designs also design_group, design_block,
//                                     design_factor (int64) and design_delta (morris, float64):
//                                     each run's place in the design (docs/clusters.md)
//   /runs/draw_values  [run, draw_parameter]  free-parameter values of each run's draw (NaN: none)
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace convsim {

// The value of the root attribute `convsim_format` of a merged sweep.
inline constexpr const char* kMergedSweepFormat = "convsim-sweep-1";

// How to merge.
struct MergeOptions {
  bool allow_missing = false;  // merge the complete runs even when some are missing or failed
};

// What a merge found and wrote.
struct MergeReport {
  std::size_t runs_planned = 0;
  std::size_t runs_merged = 0;
  std::vector<std::size_t> missing;  // plan indices without a complete result
  bool written = false;              // false when runs were missing and allow_missing was off
};

// Merges DIR/plan.json and DIR/runs/*.h5 into `output` (written atomically: tmp + rename). When a
// run is missing and `allow_missing` is off, nothing is written and `missing` lists the runs.
// Throws InputError when DIR holds no plan, or when results disagree on time axis, sectors or
// variables (naming the file); std::runtime_error on I/O failure.
MergeReport merge_sweep(const std::filesystem::path& sweep_dir, const std::filesystem::path& output,
                        const MergeOptions& options = {});

// The root attribute `parameter_uncertainty` of a merged file: "on" (replicates used their
// calibration's parameter draws), "off" (--no-parameter-uncertainty) or "no draws" (no run's
// calibration held any).
std::string parameter_uncertainty_state(bool requested, bool any_run_drawn);

// Writes results in the merged layout to `output` (atomically): row i of every [run, ...] variable
// and of /runs is `runs[i]`, whose result `load(i)` returns (called once per row, in order).
// `plan` gives the root attributes; with `scenario_file` set, the file is a replicated run of that
// scenario (root attribute scenario_file) rather than a sweep (sweep_file). /runs/draw and
// /runs/draw_values record each run's parameter draw (read from its resolved scenario).
struct PlanSummary;
struct PlannedRun;
struct RunResult;
void write_merged_results(const std::filesystem::path& output, const PlanSummary& plan,
                          const std::vector<const PlannedRun*>& runs, const std::function<RunResult(std::size_t)>& load,
                          const std::string& scenario_file = "");

}  // namespace convsim
