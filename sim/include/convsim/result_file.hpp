// The HDF5 result file: writing a RunResult atomically, reading it back exactly, describing a file
// for `convsim info`, and telling whether a path holds a complete result (sweep resume). The layout
// is documented in docs/results.md; files open in h5py, netCDF4 and xarray without convsim.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "convsim/result.hpp"

namespace convsim {

// The value of the root attribute `convsim_format` in every file this version writes.
inline constexpr const char* kResultFormat = "convsim-result-1";
// The value of `convsim_format` in a checkpoint (convsim/checkpoint_file.hpp): a result file of
// the steps done so far plus the run's state under /state.
inline constexpr const char* kCheckpointFormat = "convsim-checkpoint-1";

// How write_result writes (the layout itself never changes with these).
struct ResultWriteOptions {
  int firm_deflate_level = 1;  // gzip level 0..9 for /firms/<var> (0 = no compression)
  std::string created;         // root attribute `created`; empty = the current UTC time
  bool sync = true;            // fsync the temporary file before renaming it onto the path
};

// Writes `result` to `path`: first to `<path>.tmp.<pid>` in the same folder, renamed onto `path`
// only when complete, so `path` never holds a partial file; the temporary file is removed on any
// failure. Throws std::invalid_argument when `result` is inconsistent (a series whose length is not
// T or T*S, a duplicate or reserved variable name, firm columns of unequal length),
// convsim::InputError when the folder of `path` does not exist, std::runtime_error on I/O failure.
void write_result(const RunResult& result, const std::filesystem::path& path,
                  const ResultWriteOptions& options = {});

// Reads everything write_result wrote (exact round trip, variables in the order written). Throws
// convsim::InputError when `path` is missing, not HDF5, or not a convsim result.
RunResult read_result(const std::filesystem::path& path);

// True when `path` holds a complete convsim result file (and, when `expected_hash` is not empty,
// one whose scenario_hash equals it). Never throws; missing, truncated or foreign files are false.
bool is_complete_result(const std::filesystem::path& path, const std::string& expected_hash = "");

// One dataset of a result file as `convsim info` lists it.
struct DatasetSummary {
  std::string path;                  // e.g. "/aggregate/output"
  std::vector<std::uint64_t> shape;  // e.g. {40} or {40, 12}
  std::vector<std::string> dims;     // dimension names, e.g. {"time", "sector"} ("" when none)
  std::string type;                  // "float64", "int64", "uint64", "int32", "string", "compound"
  std::string units;                 // the `units` attribute, or ""
  std::string long_name;             // the `long_name` attribute, or ""
};

// What a result file holds, read from its metadata only (no firm data is loaded).
struct ResultSummary {
  std::filesystem::path path;
  std::uintmax_t file_bytes = 0;
  std::vector<std::pair<std::string, std::string>> attributes;  // root attributes, as text
  std::size_t time_count = 0;     // T
  std::size_t sector_count = 0;   // S
  double time_first = 0;          // first /time value (NaN when T = 0)
  double time_last = 0;           // last /time value (NaN when T = 0)
  std::vector<std::string> sectors;
  std::size_t snapshot_count = 0;  // firm snapshots
  std::size_t event_count = 0;     // rows of /policy/events
  std::vector<DatasetSummary> datasets;  // every dataset, in file order

  // The root attribute `name` as text, or "" when absent.
  std::string attribute(const std::string& name) const;
};

// Describes the result file (or checkpoint) at `path`. Throws convsim::InputError when it is
// neither.
ResultSummary describe_result(const std::filesystem::path& path);

// The current time in UTC as ISO 8601 ("2026-11-22T15:36:14Z"), as written in `created`.
std::string utc_now_iso8601();

// The convsim version written as the root attribute `convsim_version`, e.g. "0.1.0".
const char* convsim_version() noexcept;

// The git revision written as the root attribute `git_revision` (or "unknown").
const char* convsim_git_revision() noexcept;

// The version of the HDF5 library in use at run time, e.g. "1.10.8".
std::string hdf5_library_version();

}  // namespace convsim
