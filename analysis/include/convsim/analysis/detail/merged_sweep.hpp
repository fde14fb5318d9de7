// Reading a merged sweep (`convsim merge DIR -o sweep.h5`) as the list of runs it holds, for
// scenario comparison. Internal to convsim_analysis: users go through load_comparison.
#pragma once

#include <filesystem>
#include <vector>

#include "convsim/analysis/compare.hpp"
#include "convsim/result.hpp"

namespace convsim::analysis::detail {

// True when `path` is an HDF5 file laid out as a merged sweep (it has a `run` dimension); false
// for single-run results and for anything else. Never throws.
bool is_merged_sweep(const std::filesystem::path& path);

// Appends every run of the merged sweep at `path` to `runs` (series and events; no firm
// snapshots) and where each came from to `sources` (run index, seed, identity, design
// parameters). Throws InputError when the file is not a readable merged sweep.
void read_merged_sweep(const std::filesystem::path& path, std::vector<RunResult>& runs,
                       std::vector<RunSource>& sources);

}  // namespace convsim::analysis::detail
