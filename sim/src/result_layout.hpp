// The result file's layout as the pieces other convsim files reuse: a checkpoint
// (checkpoint_file.cpp) is a result file of the steps done so far, with another `convsim_format`
// and the run's state under /state. Private to convsim_sim.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <filesystem>
#include <functional>

#include "convsim/detail/hdf5_handle.hpp"
#include "convsim/result.hpp"
#include "convsim/result_file.hpp"

namespace convsim::detail {

// Writes `result` to `path` as write_result does (atomically, through a temporary file, with the
// checksum trailer) with root attribute convsim_format = `format`; `extra(file)` is called after
// the result's layout is written and before `convsim_format`, and `extra_bytes` is its estimated
// size (small files are built in memory).
void write_result_layout(const RunResult& result, const std::filesystem::path& path, const ResultWriteOptions& options,
                         const char* format, std::size_t extra_bytes, const std::function<void(hid_t)>& extra);

// Opens `path` read-only once it is an HDF5 file whose root attribute convsim_format is `format`
// (kResultFormat or kCheckpointFormat), or `also` when not null; throws convsim::InputError naming
// the file otherwise (a checkpoint given as a result, and the reverse, are told as such).
FileHandle open_convsim_file(const std::filesystem::path& path, const char* format, const char* also = nullptr);

// Reads the result layout under `root` (exact round trip of what write_result_layout wrote).
RunResult read_result_layout(hid_t root, const std::filesystem::path& path, const char* format);

}  // namespace convsim::detail
