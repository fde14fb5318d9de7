// The HDF5 checkpoint file: a run's complete state at the start of a step, so that the run can be
// continued exactly (bit for bit) or branched into another policy future. A checkpoint is a
// result file of the steps done so far (the layout of docs/results.md, read by h5py, netCDF4 and
// xarray as any result) whose root attribute `convsim_format` is kCheckpointFormat, plus the
// engine's state as named one-dimensional arrays under /state and numbers as attributes of
// /state. This layer knows nothing of the economics: models/checkpoint.hpp says which arrays an
// economy has.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "convsim/result.hpp"
#include "convsim/result_file.hpp"

namespace convsim {

// The values of one state array, of one of the types the engine's columns have.
using StateValues = std::variant<std::vector<double>, std::vector<float>, std::vector<std::uint8_t>,
                                 std::vector<std::uint16_t>, std::vector<std::uint32_t>, std::vector<std::int32_t>,
                                 std::vector<std::uint64_t>>;

// A named array of the state: `name` is its path under /state ("firms/technology").
struct StateArray {
  std::string name;
  std::string long_name;  // the dataset's `long_name` attribute
  StateValues values;
};

// What a checkpoint holds.
struct CheckpointContents {
  RunResult partial;          // the result of the reported steps done (T0 of them; T0 may be 0)
  double year = 0;            // decimal year of the step the run continues with
  std::int64_t steps_done = 0;  // reported steps done (T0); the burn-in is done whenever a checkpoint exists
  std::int64_t model_revision = 0;  // the engine's state layout and rules (models::kModelRevision)
  std::string convsim_version;      // of the convsim that wrote it (root attribute convsim_version)
  std::vector<StateArray> arrays;                       // /state/<name>
  std::vector<std::pair<std::string, double>> numbers;  // attributes of /state

  // Lookup helpers; nullptr when absent.
  const StateArray* find_array(const std::string& name) const;
  const double* find_number(const std::string& name) const;
};

// Writes a checkpoint to `path` atomically (a temporary file renamed onto it, removed on any
// failure); state arrays are chunked and checksummed (Fletcher32), not compressed. Throws as
// write_result does.
void write_checkpoint(const CheckpointContents& checkpoint, const std::filesystem::path& path);

// Reads a checkpoint back exactly. Throws convsim::InputError naming the file when it is missing,
// truncated, damaged, not a convsim checkpoint, written by another convsim version, or holds under
// /state anything but one-dimensional numeric datasets and numeric attributes.
CheckpointContents read_checkpoint(const std::filesystem::path& path);

}  // namespace convsim
