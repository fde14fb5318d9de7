// The HDF5 result file (layout in docs/results.md). Written with the HDF5 C API and the
// high-level dimension-scale library so that h5py, netCDF4 and xarray read it without convsim:
//  * every dimension is a dimension scale, and each group repeats the scales its variables use
//    (netCDF4 would accept the root scales alone, but xarray shows coordinates only from the group
//    it opens);
//  * every string is variable-length UTF-8;
//  * /policy/events is a compound table for h5py and R, which netCDF4 cannot read (it skips
//    compounds with string members), so the same rows are also stored as columns in
//    /policy/event_fields.
#include "convsim/result_file.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <ctime>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "convsim/detail/chunk_filters.hpp"
#include "convsim/detail/hdf5_handle.hpp"
#include "convsim/detail/hdf5_read.hpp"
#include "convsim/errors.hpp"
#include "hdf5_writer.hpp"
#include "result_layout.hpp"

#ifndef CONVSIM_VERSION
#define CONVSIM_VERSION "unknown"
#endif
#include "convsim_git_revision.hpp"  // generated at build time: CONVSIM_GIT_REVISION

namespace convsim {
namespace {

namespace fs = std::filesystem;
using detail::AttributeHandle;
using detail::DatasetHandle;
using detail::DataspaceHandle;
using detail::DatatypeHandle;
using detail::FileHandle;
using detail::GroupHandle;
using detail::h5_check;
using detail::ObjectHandle;
using detail::PropertyListHandle;
using detail::dataset_dims;
using detail::NotOneString;
using detail::read_number_attribute;
using detail::read_number_dataset;
using detail::read_string_attribute;
using detail::read_string_column;
using detail::attach;
using detail::conversion_transfer_plist;
using detail::create_dataset;
using detail::dataset_create_plist;
using detail::DimensionScale;
using detail::simple_space;
using detail::utf8_string_type;
using detail::write_number_attribute;
using detail::write_string_attribute;
using detail::write_units;

// Result files keep HDF5's object modification times (they carry their creation time anyway).
constexpr detail::ObjectTimes kTimes = detail::ObjectTimes::recorded;

//---- names of the layout --------------------------------------------------------------------

constexpr const char* kTime = "time";
constexpr const char* kSector = "sector";
constexpr const char* kSectorRole = "sector_role";
constexpr const char* kAggregate = "aggregate";
constexpr const char* kBySector = "by_sector";
constexpr const char* kConvergence = "convergence";
constexpr const char* kPolicy = "policy";
constexpr const char* kEvents = "events";
constexpr const char* kEventFields = "event_fields";
constexpr const char* kEvent = "event";
constexpr const char* kFirms = "firms";
constexpr const char* kFirm = "firm";
constexpr const char* kSlotCount = "slot_count";

// Firm columns are chunked one snapshot row by at most this many firm slots (512 KiB of doubles).
constexpr hsize_t kFirmChunk = hsize_t{1} << 16;

//---- small HDF5 helpers ---------------------------------------------------------------------

// Results up to this size are built in memory (HDF5's core driver) and written to the file with
// one write when it closes, instead of the hundreds of small writes and seeks of the metadata
// cache; larger ones (firm snapshots) go straight to the file so as not to hold them twice.
constexpr std::size_t kInMemoryResultBytes = 64u << 20;

std::size_t estimated_result_bytes(const RunResult& r) {
  std::size_t values = r.time.size();
  for (const auto& s : r.aggregate) values += s.values.size();
  for (const auto& s : r.by_sector) values += s.values.size();
  for (const auto& s : r.convergence) values += s.values.size();
  for (const auto& s : r.policy) values += s.values.size();
  for (const auto& s : r.policy_by_sector) values += s.values.size();
  for (const auto& snapshot : r.snapshots) {
    for (const auto& column : snapshot.columns) values += column.values.size();
  }
  return 8 * values + r.scenario_yaml.size() + 256 * r.events.size();
}

// File access for writing `r`: in memory when small (see kInMemoryResultBytes).
PropertyListHandle file_write_plist(const RunResult& r, std::size_t extra_bytes) {
  auto plist = detail::file_write_access_plist();
  const std::size_t bytes = estimated_result_bytes(r) + extra_bytes;
  if (bytes <= kInMemoryResultBytes) {
    // Grow the image in steps of about a quarter of the expected file, at least 64 KiB.
    const std::size_t increment = std::max<std::size_t>(64u << 10, bytes / 4);
    h5_check(H5Pset_fapl_core(plist.get(), increment, /*backing_store=*/true), "H5Pset_fapl_core");
  }
  return plist;
}

GroupHandle create_group(hid_t parent, const std::string& name) {
  return detail::create_group(parent, name, kTimes);
}

DatasetHandle write_doubles(hid_t parent, const std::string& name, const std::vector<hsize_t>& dims,
                            const double* values) {
  auto plist = dataset_create_plist(kTimes);
  detail::set_checksummed_chunks(plist.get(), detail::whole_chunk(dims));
  auto dataset = create_dataset(parent, name, H5T_IEEE_F64LE, dims, plist.get());
  h5_check(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values),
           "H5Dwrite", name);
  return dataset;
}

DatasetHandle write_strings(hid_t parent, const std::string& name, const std::vector<std::string>& values) {
  return detail::write_strings(parent, name, values, kTimes);
}

//---- writing --------------------------------------------------------------------------------


// Variable names in one group: non-empty, usable as an HDF5 link name, not a coordinate's name,
// not repeated.
class NameChecker {
 public:
  NameChecker(std::string group, std::set<std::string> reserved)
      : group_(std::move(group)), used_(std::move(reserved)) {}

  void check(const std::string& name) {
    if (name.empty() || name == "." || name.find('/') != std::string::npos ||
        name.find('\0') != std::string::npos) {
      throw std::invalid_argument("result: invalid variable name '" + name + "' in /" + group_);
    }
    if (!used_.insert(name).second) {
      throw std::invalid_argument("result: duplicate or reserved variable name '" + name +
                                  "' in /" + group_);
    }
  }

 private:
  std::string group_;
  std::set<std::string> used_;
};

void check_length(const std::string& where, std::size_t found, std::size_t expected,
                  const char* shape) {
  if (found != expected) {
    throw std::invalid_argument("result: " + where + " has " + std::to_string(found) +
                                " values, expected " + shape + " = " + std::to_string(expected));
  }
}

// The coordinates a group's variables refer to, repeated inside the group (see the file comment).
struct GroupScales {
  DimensionScale time;
  DimensionScale sector;
  void finish() {
    time.finish();
    if (sector) sector.finish();
  }
};

DimensionScale write_time_scale(hid_t group, const std::vector<double>& time) {
  DimensionScale scale(write_doubles(group, kTime, {time.size()}, time.data()), kTime);
  write_units(scale.get(), "year", "time (decimal year at the start of the step)");
  write_string_attribute(scale.get(), "axis", "T");
  return scale;
}

DimensionScale write_sector_scale(hid_t group, const std::vector<std::string>& sectors) {
  DimensionScale scale(write_strings(group, kSector, sectors), kSector);
  write_string_attribute(scale.get(), "long_name", "sector");
  return scale;
}

void write_series_group(hid_t group, const std::string& group_name, GroupScales& scales,
                        const std::vector<Series>& series, std::size_t time_count,
                        NameChecker& names) {
  for (const auto& s : series) {
    names.check(s.name);
    check_length("/" + group_name + "/" + s.name, s.values.size(), time_count, "T");
    auto dataset = write_doubles(group, s.name, {time_count}, s.values.data());
    write_units(dataset.get(), s.units, s.long_name);
    attach(dataset.get(), {&scales.time}, s.name);
  }
}

void write_sector_series_group(hid_t group, const std::string& group_name,
                               GroupScales& scales, const std::vector<SectorSeries>& series,
                               std::size_t time_count, std::size_t sector_count,
                               NameChecker& names) {
  for (const auto& s : series) {
    names.check(s.name);
    check_length("/" + group_name + "/" + s.name, s.values.size(), time_count * sector_count,
                 "T*S");
    auto dataset = write_doubles(group, s.name, {time_count, sector_count}, s.values.data());
    write_units(dataset.get(), s.units, s.long_name);
    attach(dataset.get(), {&scales.time, &scales.sector}, s.name);
  }
}

// One row of /policy/events in memory (vlen strings are char pointers).
struct EventRow {
  const char* name;
  const char* lever;
  const char* sectors;
  const char* mode;
  double at;
  double until;
  double ramp_years;
  double value;
};

DatatypeHandle event_memory_type() {
  auto string_type = utf8_string_type();
  auto type = DatatypeHandle::checked(H5Tcreate(H5T_COMPOUND, sizeof(EventRow)), "H5Tcreate",
                                      "events");
  auto insert = [&](const char* member, std::size_t offset, hid_t member_type) {
    h5_check(H5Tinsert(type.get(), member, offset, member_type), "H5Tinsert", member);
  };
  insert("name", offsetof(EventRow, name), string_type.get());
  insert("lever", offsetof(EventRow, lever), string_type.get());
  insert("sectors", offsetof(EventRow, sectors), string_type.get());
  insert("mode", offsetof(EventRow, mode), string_type.get());
  insert("at", offsetof(EventRow, at), H5T_NATIVE_DOUBLE);
  insert("until", offsetof(EventRow, until), H5T_NATIVE_DOUBLE);
  insert("ramp_years", offsetof(EventRow, ramp_years), H5T_NATIVE_DOUBLE);
  insert("value", offsetof(EventRow, value), H5T_NATIVE_DOUBLE);
  return type;
}

void write_events(hid_t policy, const std::vector<PolicyEventRecord>& events) {
  std::vector<EventRow> rows;
  rows.reserve(events.size());
  for (const auto& e : events) {
    rows.push_back({e.name.c_str(), e.lever.c_str(), e.sectors.c_str(), e.mode.c_str(), e.at,
                    e.until, e.ramp_years, e.value});
  }
  auto memory_type = event_memory_type();
  auto file_type = DatatypeHandle::checked(H5Tcopy(memory_type.get()), "H5Tcopy", "events");
  h5_check(H5Tpack(file_type.get()), "H5Tpack", "events");
  auto plist = dataset_create_plist(kTimes);
  auto table = create_dataset(policy, kEvents, file_type.get(), {rows.size()}, plist.get());
  auto transfer = conversion_transfer_plist(rows.size(), 2 * sizeof(EventRow) + 4 * sizeof(hvl_t));
  h5_check(H5Dwrite(table.get(), memory_type.get(), H5S_ALL, H5S_ALL, transfer.get(), rows.data()),
           "H5Dwrite", kEvents);
  write_string_attribute(table.get(), "long_name",
                         "timed policy events as the scenario states them (at, until, ramp_years "
                         "in years; value in the units of the lever)");

  // The same rows as columns, for netCDF4 and xarray.
  auto fields = create_group(policy, kEventFields);
  auto plist_index = dataset_create_plist(kTimes);
  detail::set_checksummed_chunks(plist_index.get(), detail::whole_chunk({events.size()}));
  auto event_index = create_dataset(fields.get(), kEvent, H5T_STD_I64LE, {events.size()},
                                    plist_index.get());
  std::vector<std::int64_t> numbers(events.size());
  for (std::size_t i = 0; i < numbers.size(); ++i) numbers[i] = static_cast<std::int64_t>(i);
  h5_check(H5Dwrite(event_index.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                    numbers.data()),
           "H5Dwrite", kEvent);
  DimensionScale event_scale(std::move(event_index), kEvent);
  write_string_attribute(event_scale.get(), "long_name", "policy event (row of /policy/events)");

  auto string_column = [&](const char* name, auto member, const char* long_name) {
    std::vector<std::string> values;
    values.reserve(events.size());
    for (const auto& e : events) values.push_back(e.*member);
    auto column = write_strings(fields.get(), name, values);
    write_string_attribute(column.get(), "long_name", long_name);
    attach(column.get(), {&event_scale}, name);
  };
  auto number_column = [&](const char* name, auto member, const char* units,
                           const char* long_name) {
    std::vector<double> values;
    values.reserve(events.size());
    for (const auto& e : events) values.push_back(e.*member);
    auto column = write_doubles(fields.get(), name, {values.size()}, values.data());
    write_units(column.get(), units, long_name);
    attach(column.get(), {&event_scale}, name);
  };
  string_column("name", &PolicyEventRecord::name, "the event's key in the scenario");
  string_column("lever", &PolicyEventRecord::lever, "policy lever");
  string_column("sectors", &PolicyEventRecord::sectors,
                "comma-separated target sectors (empty: all)");
  string_column("mode", &PolicyEventRecord::mode, "set or add");
  number_column("at", &PolicyEventRecord::at, "year", "year the lever starts to move");
  number_column("until", &PolicyEventRecord::until, "year", "year the lever ends (NaN: never)");
  number_column("ramp_years", &PolicyEventRecord::ramp_years, "year", "length of the ramp");
  number_column("value", &PolicyEventRecord::value, "1",
                "value the lever moves to (set) or by (add), in the units of the lever");
  event_scale.finish();
}

// The buffers of write_deflated_row, kept across the rows and columns of a snapshot group: one
// filter (compressor and shuffle buffer) and one padding buffer per thread, and the stored bytes
// of a batch of chunks, so that nothing is allocated, and no page faulted in, chunk after chunk.
struct DeflatedRowBuffers {
  explicit DeflatedRowBuffers(int level) : filters(level) {}
  tbb::enumerable_thread_specific<detail::ChunkFilter> filters;
  tbb::enumerable_thread_specific<std::vector<double>> padded;
  std::vector<std::vector<std::uint8_t>> stored;
};

// Row `row` of a firm column [snapshots, firms] chunked {1, chunk} with the filters shuffle,
// deflate and Fletcher-32: the chunks that hold its values are filtered here (detail::ChunkFilter),
// a batch at a time on TBB's threads, and stored with H5Dwrite_chunk in chunk order, the order
// H5Dwrite stores them in. A chunk's slots past the row's values hold the fill value, as HDF5
// fills them; chunks past them stay unallocated (read as the fill value). The bytes depend only
// on the values, so the file is the same on any number of threads.
void write_deflated_row(hid_t dataset, hsize_t row, const std::vector<double>& values, hsize_t chunk, double fill,
                        DeflatedRowBuffers& buffers, const std::string& name) {
  const std::size_t chunks = (values.size() + chunk - 1) / chunk;
  constexpr std::size_t kBatch = 32;  // 16 MiB of doubles filtered before they are written
  if (buffers.stored.size() < std::min(chunks, kBatch)) buffers.stored.resize(std::min(chunks, kBatch));
  for (std::size_t first = 0; first < chunks; first += kBatch) {
    const std::size_t last = std::min(chunks, first + kBatch);
    // Isolated: a thread waiting here runs only these chunks, never another task of the caller's
    // (which might write HDF5 itself).
    tbb::this_task_arena::isolate([&] {
      tbb::parallel_for(first, last, [&](std::size_t k) {
        const std::size_t begin = k * chunk;
        const double* data = values.data() + begin;
        if (begin + chunk > values.size()) {
          std::vector<double>& padded = buffers.padded.local();
          padded.assign(chunk, fill);
          std::copy(values.begin() + static_cast<std::ptrdiff_t>(begin), values.end(), padded.begin());
          data = padded.data();
        }
        buffers.filters.local().apply(data, chunk, sizeof(double), buffers.stored[k - first]);
      });
    });
    for (std::size_t k = first; k < last; ++k) {
      const hsize_t offset[2] = {row, static_cast<hsize_t>(k) * chunk};
      const std::vector<std::uint8_t>& bytes = buffers.stored[k - first];
      h5_check(H5Dwrite_chunk(dataset, H5P_DEFAULT, 0, offset, bytes.size(), bytes.data()), "H5Dwrite_chunk", name);
    }
  }
}

void write_firms(hid_t root, const std::vector<FirmSnapshot>& snapshots, int deflate_level) {
  if (snapshots.empty()) return;
  const auto& first = snapshots.front().columns;
  NameChecker names(kFirms, {kTime, kFirm, kSlotCount});
  for (const auto& column : first) names.check(column.name);
  std::vector<double> times;
  std::vector<std::int64_t> slot_counts;
  std::size_t firm_count = 0;
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    const auto& columns = snapshots[i].columns;
    if (columns.size() != first.size()) {
      throw std::invalid_argument("result: firm snapshot " + std::to_string(i) + " has " +
                                  std::to_string(columns.size()) + " columns, snapshot 0 has " +
                                  std::to_string(first.size()));
    }
    const std::size_t slots = columns.empty() ? 0 : columns.front().values.size();
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (columns[c].name != first[c].name) {
        throw std::invalid_argument("result: firm snapshot " + std::to_string(i) + " column " +
                                    std::to_string(c) + " is '" + columns[c].name +
                                    "', snapshot 0 has '" + first[c].name + "'");
      }
      check_length("firm snapshot " + std::to_string(i) + " column '" + columns[c].name + "'",
                   columns[c].values.size(), slots, "the snapshot's slot count");
    }
    times.push_back(snapshots[i].time);
    slot_counts.push_back(static_cast<std::int64_t>(slots));
    firm_count = std::max(firm_count, slots);
  }
  if (deflate_level < 0 || deflate_level > 9) {
    throw std::invalid_argument("result: firm_deflate_level must be 0..9, got " +
                                std::to_string(deflate_level));
  }

  auto group = create_group(root, kFirms);
  DimensionScale time_scale(write_doubles(group.get(), kTime, {times.size()}, times.data()), kTime);
  write_units(time_scale.get(), "year", "time of the firm snapshot (decimal year)");
  write_string_attribute(time_scale.get(), "axis", "T");

  // Firm-sized data is chunked, compressed and written in pieces, never as one padded matrix.
  const hsize_t chunk_slots = std::min<hsize_t>(std::max<std::size_t>(firm_count, 1), kFirmChunk);
  auto firm_plist = [&](std::vector<hsize_t> chunk) {
    auto plist = dataset_create_plist(kTimes);
    if (firm_count == 0) return plist;  // a zero-length dimension cannot be chunked
    if (deflate_level > 0) {
      h5_check(H5Pset_shuffle(plist.get()), "H5Pset_shuffle");
      h5_check(H5Pset_deflate(plist.get(), static_cast<unsigned>(deflate_level)), "H5Pset_deflate");
    }
    // Last: the checksum covers the stored (compressed) bytes, checked before inflating them.
    detail::set_checksummed_chunks(plist.get(), chunk);
    return plist;
  };

  auto firm_scale_plist = firm_plist({chunk_slots});
  auto firm_index =
      create_dataset(group.get(), kFirm, H5T_STD_I64LE, {firm_count}, firm_scale_plist.get());
  {
    std::vector<std::int64_t> block;
    for (hsize_t start = 0; start < firm_count; start += kFirmChunk * 16) {
      const hsize_t count = std::min<hsize_t>(kFirmChunk * 16, firm_count - start);
      block.resize(count);
      for (hsize_t k = 0; k < count; ++k) block[k] = static_cast<std::int64_t>(start + k);
      auto file_space = DataspaceHandle::checked(H5Dget_space(firm_index.get()), "H5Dget_space");
      h5_check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count,
                                   nullptr),
               "H5Sselect_hyperslab", kFirm);
      auto memory_space = simple_space({count});
      h5_check(H5Dwrite(firm_index.get(), H5T_NATIVE_INT64, memory_space.get(), file_space.get(),
                        H5P_DEFAULT, block.data()),
               "H5Dwrite", kFirm);
    }
  }
  DimensionScale firm_scale(std::move(firm_index), kFirm);
  write_units(firm_scale.get(), "1", "firm uid: entry number, the same in every snapshot");

  auto counts_plist = dataset_create_plist(kTimes);
  detail::set_checksummed_chunks(counts_plist.get(), detail::whole_chunk({slot_counts.size()}));
  auto counts = create_dataset(group.get(), kSlotCount, H5T_STD_I64LE, {slot_counts.size()},
                               counts_plist.get());
  h5_check(H5Dwrite(counts.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                    slot_counts.data()),
           "H5Dwrite", kSlotCount);
  write_units(counts.get(), "1", "number of firm slots in the snapshot (later slots are NaN)");
  attach(counts.get(), {&time_scale}, kSlotCount);

  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::optional<DeflatedRowBuffers> deflated;
  if (deflate_level > 0) deflated.emplace(deflate_level);
  for (std::size_t c = 0; c < first.size(); ++c) {
    const std::string& name = first[c].name;
    auto plist = firm_plist({1, chunk_slots});
    h5_check(H5Pset_fill_value(plist.get(), H5T_NATIVE_DOUBLE, &nan), "H5Pset_fill_value", name);
    auto dataset =
        create_dataset(group.get(), name, H5T_IEEE_F64LE, {times.size(), firm_count}, plist.get());
    for (std::size_t i = 0; i < snapshots.size(); ++i) {
      const auto& values = snapshots[i].columns[c].values;
      if (values.empty()) continue;
      if (deflate_level > 0) {
        write_deflated_row(dataset.get(), i, values, chunk_slots, nan, *deflated, name);
        continue;
      }
      const hsize_t start[2] = {i, 0};
      const hsize_t count[2] = {1, values.size()};
      auto file_space = DataspaceHandle::checked(H5Dget_space(dataset.get()), "H5Dget_space");
      h5_check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count,
                                   nullptr),
               "H5Sselect_hyperslab", name);
      auto memory_space = simple_space({values.size()});
      h5_check(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, memory_space.get(), file_space.get(),
                        H5P_DEFAULT, values.data()),
               "H5Dwrite", name);
    }
    // netCDF4 and xarray mask the padding through the CF fill value attribute.
    write_number_attribute(dataset.get(), "_FillValue", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &nan);
    write_units(dataset.get(), first[c].units, first[c].long_name);
    attach(dataset.get(), {&time_scale, &firm_scale}, name);
  }
  time_scale.finish();
  firm_scale.finish();
}

void write_contents(hid_t file, const RunResult& r, const ResultWriteOptions& options, const char* format,
                    const std::function<void(hid_t)>& extra) {
  const std::size_t time_count = r.time.size();
  const std::size_t sector_count = r.sectors.size();
  {
    std::set<std::string> unique(r.sectors.begin(), r.sectors.end());
    if (unique.size() != sector_count) {
      throw std::invalid_argument("result: sector names are not unique");
    }
  }
  if (!r.sector_roles.empty()) check_length("sector_roles", r.sector_roles.size(), sector_count, "S");

  write_string_attribute(file, "title", r.title);
  write_string_attribute(file, "Conventions", "CF-1.8");
  write_string_attribute(file, "convsim_version", CONVSIM_VERSION);
  write_string_attribute(file, "git_revision", CONVSIM_GIT_REVISION);
  write_string_attribute(file, "created",
                         options.created.empty() ? utc_now_iso8601() : options.created);
  write_string_attribute(file, "scenario_name", r.scenario_name);
  write_string_attribute(file, "scenario_hash", r.scenario_hash);
  write_number_attribute(file, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &r.seed);
  write_number_attribute(file, "steps_per_year", H5T_STD_I32LE, H5T_NATIVE_INT, &r.steps_per_year);
  write_string_attribute(file, "scenario", r.scenario_yaml);

  auto time_scale = write_time_scale(file, r.time);
  auto sector_scale = write_sector_scale(file, r.sectors);
  if (!r.sector_roles.empty()) {
    auto roles = write_strings(file, kSectorRole, r.sector_roles);
    write_string_attribute(roles.get(), "long_name",
                           "role of the sector: contents, platform, network, device (the ICT "
                           "value chain) or converging");
    attach(roles.get(), {&sector_scale}, kSectorRole);
  }
  sector_scale.finish();

  auto open_group = [&](const char* name, bool with_sector) {
    auto group = create_group(file, name);
    GroupScales scales;
    scales.time = write_time_scale(group.get(), r.time);
    if (with_sector) scales.sector = write_sector_scale(group.get(), r.sectors);
    return std::pair{std::move(group), std::move(scales)};
  };
  {
    auto [group, scales] = open_group(kAggregate, false);
    NameChecker names(kAggregate, {kTime});
    write_series_group(group.get(), kAggregate, scales, r.aggregate, time_count, names);
    scales.finish();
  }
  {
    auto [group, scales] = open_group(kBySector, true);
    NameChecker names(kBySector, {kTime, kSector});
    write_sector_series_group(group.get(), kBySector, scales, r.by_sector, time_count,
                              sector_count, names);
    scales.finish();
  }
  {
    auto [group, scales] = open_group(kConvergence, false);
    NameChecker names(kConvergence, {kTime});
    write_series_group(group.get(), kConvergence, scales, r.convergence, time_count, names);
    scales.finish();
  }
  {
    auto [group, scales] = open_group(kPolicy, true);
    NameChecker names(kPolicy, {kTime, kSector, kEvents, kEventFields});
    write_series_group(group.get(), kPolicy, scales, r.policy, time_count, names);
    write_sector_series_group(group.get(), kPolicy, scales, r.policy_by_sector, time_count,
                              sector_count, names);
    write_events(group.get(), r.events);
    scales.finish();
  }
  write_firms(file, r.snapshots, options.firm_deflate_level);
  if (extra) extra(file);
  // Written last: a file that carries it was written to the end.
  write_string_attribute(file, "convsim_format", format);
}

void sync_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("result: cannot open " + path.string() + " to sync it");
  const int status = ::fsync(fd);
  ::close(fd);
  if (status != 0) throw std::runtime_error("result: fsync failed for " + path.string());
}

//---- reading --------------------------------------------------------------------------------
// Every dataset and attribute is checked for rank, shape, type class and declared size before
// anything is allocated for it (detail/hdf5_read.hpp): a file with the right names but other
// shapes is refused with a message, never read past a buffer.

[[noreturn]] void not_a_result(const fs::path& path, const std::string& why) {
  throw InputError(path.string(), 0, "", "not a convsim result: " + why);
}

bool link_exists(hid_t location, const std::string& name) {
  return h5_check(H5Lexists(location, name.c_str(), H5P_DEFAULT), "H5Lexists", name) > 0;
}

DatasetHandle open_dataset(hid_t location, const std::string& name) {
  return DatasetHandle::checked(H5Dopen2(location, name.c_str(), H5P_DEFAULT), "H5Dopen2", name);
}

GroupHandle open_group(hid_t location, const std::string& name) {
  return GroupHandle::checked(H5Gopen2(location, name.c_str(), H5P_DEFAULT), "H5Gopen2", name);
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) text += (i > 0 ? ", " : "") + std::to_string(dims[i]);
  return text + "]";
}

// A one-dimensional numeric dataset (a coordinate) as doubles.
std::vector<double> read_axis(hid_t dataset, const std::string& name) {
  const auto dims = dataset_dims(dataset, name);
  if (dims.size() != 1) throw std::runtime_error(name + " has shape " + shape_text(dims) + ", expected one dimension");
  return read_number_dataset(dataset, name);
}

// The names of a group's links in creation order (name order when the group does not track it).
std::vector<std::string> child_names(hid_t group) {
  H5G_info_t info{};
  h5_check(H5Gget_info(group, &info), "H5Gget_info");
  H5_index_t index = H5_INDEX_NAME;
  {
    auto plist = PropertyListHandle::checked(H5Gget_create_plist(group), "H5Gget_create_plist");
    unsigned flags = 0;
    h5_check(H5Pget_link_creation_order(plist.get(), &flags), "H5Pget_link_creation_order");
    if ((flags & H5P_CRT_ORDER_INDEXED) != 0) index = H5_INDEX_CRT_ORDER;
  }
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t length = h5_check(
        H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT),
        "H5Lget_name_by_idx");
    std::string name(static_cast<std::size_t>(length) + 1, '\0');
    h5_check(H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, name.data(), name.size(),
                                H5P_DEFAULT),
             "H5Lget_name_by_idx");
    name.resize(static_cast<std::size_t>(length));
    names.push_back(std::move(name));
  }
  return names;
}

// What a link of `location` leads to, without following soft or external links (which may point
// into another file, or back up the tree): the object's type and a key that identifies it in the
// file. `type` is H5O_TYPE_UNKNOWN for a link that is not a hard link.
struct LinkTarget {
  H5O_type_t type = H5O_TYPE_UNKNOWN;
  std::string key;
};

// A key that identifies an open object within its file.
std::string object_key(hid_t object) {
#if H5_VERSION_GE(1, 12, 0)
  H5O_info2_t info{};
  h5_check(H5Oget_info3(object, &info, H5O_INFO_BASIC), "H5Oget_info");
  return std::string(reinterpret_cast<const char*>(&info.token), sizeof info.token);
#else
  H5O_info_t info{};
  h5_check(H5Oget_info2(object, &info, H5O_INFO_BASIC), "H5Oget_info");
  return std::string(reinterpret_cast<const char*>(&info.addr), sizeof info.addr);
#endif
}

LinkTarget link_target(hid_t location, const std::string& name) {
  LinkTarget target;
  H5L_info_t link{};
  h5_check(H5Lget_info(location, name.c_str(), &link, H5P_DEFAULT), "H5Lget_info", name);
  if (link.type != H5L_TYPE_HARD) return target;
#if H5_VERSION_GE(1, 12, 0)
  H5O_info2_t object{};
  h5_check(H5Oget_info_by_name3(location, name.c_str(), &object, H5O_INFO_BASIC, H5P_DEFAULT), "H5Oget_info_by_name",
           name);
  target.key.assign(reinterpret_cast<const char*>(&object.token), sizeof object.token);
#else
  H5O_info_t object{};
  h5_check(H5Oget_info_by_name2(location, name.c_str(), &object, H5O_INFO_BASIC, H5P_DEFAULT), "H5Oget_info_by_name",
           name);
  target.key.assign(reinterpret_cast<const char*>(&object.addr), sizeof object.addr);
#endif
  target.type = object.type;
  return target;
}

bool is_dataset(hid_t location, const std::string& name) {
  return link_target(location, name).type == H5O_TYPE_DATASET;
}

// A float dataset of a result group that is a variable (not a coordinate, not a table).
bool is_variable(hid_t dataset) {
  return !detail::is_dimension_scale(dataset) && detail::dataset_class(dataset) == H5T_FLOAT;
}

struct VariableRead {
  std::string name;
  std::string units;
  std::string long_name;
  std::vector<hsize_t> shape;
  std::vector<double> values;
};

// The variables of one group; each must have one of `shapes` (checked before it is read).
std::vector<VariableRead> read_variables(hid_t file, const char* group_name,
                                         const std::vector<std::vector<hsize_t>>& shapes) {
  std::vector<VariableRead> variables;
  if (!link_exists(file, group_name)) return variables;
  auto group = open_group(file, group_name);
  for (const auto& name : child_names(group.get())) {
    if (!is_dataset(group.get(), name)) continue;
    auto dataset = open_dataset(group.get(), name);
    if (!is_variable(dataset.get())) continue;
    const std::string where = std::string("/") + group_name + "/" + name;
    VariableRead v;
    v.name = name;
    v.shape = dataset_dims(dataset.get(), where);
    if (std::find(shapes.begin(), shapes.end(), v.shape) == shapes.end()) {
      std::string expected;
      for (const auto& shape : shapes) expected += (expected.empty() ? "" : " or ") + shape_text(shape);
      throw std::runtime_error(where + " has shape " + shape_text(v.shape) + ", expected " + expected);
    }
    v.units = read_string_attribute(dataset.get(), "units");
    v.long_name = read_string_attribute(dataset.get(), "long_name");
    v.values = read_number_dataset(dataset.get(), where);
    variables.push_back(std::move(v));
  }
  return variables;
}

std::vector<PolicyEventRecord> read_events(hid_t policy) {
  std::vector<PolicyEventRecord> events;
  if (!link_exists(policy, kEvents)) return events;
  auto table = open_dataset(policy, kEvents);
  const auto shape = dataset_dims(table.get(), "/policy/events");
  if (shape.size() != 1 || detail::dataset_class(table.get()) != H5T_COMPOUND) {
    throw std::runtime_error("/policy/events is not a one-dimensional table");
  }
  detail::check_declared_size(table.get(), shape[0], "/policy/events");
  std::vector<EventRow> rows(shape[0]);
  if (rows.empty()) return events;
  auto memory_type = event_memory_type();
  h5_check(H5Dread(table.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()),
           "H5Dread", kEvents);
  auto text = [](const char* p) { return std::string(p != nullptr ? p : ""); };
  for (const auto& row : rows) {
    events.push_back({text(row.name), text(row.lever), text(row.sectors), text(row.mode), row.at,
                      row.until, row.ramp_years, row.value});
  }
  auto space = DataspaceHandle::checked(H5Dget_space(table.get()), "H5Dget_space");
#if H5_VERSION_GE(1, 12, 0)
  H5Treclaim(memory_type.get(), space.get(), H5P_DEFAULT, rows.data());
#else
  H5Dvlen_reclaim(memory_type.get(), space.get(), H5P_DEFAULT, rows.data());
#endif
  return events;
}

std::vector<FirmSnapshot> read_firms(hid_t file) {
  std::vector<FirmSnapshot> snapshots;
  if (!link_exists(file, kFirms)) return snapshots;
  auto group = open_group(file, kFirms);
  auto time_scale = open_dataset(group.get(), kTime);
  const std::vector<double> times = read_axis(time_scale.get(), "/firms/time");
  std::vector<std::int64_t> slot_counts;
  {
    auto counts = open_dataset(group.get(), kSlotCount);
    slot_counts = detail::read_int64_column(counts.get(), "/firms/slot_count");
    if (slot_counts.size() != times.size()) {
      throw std::runtime_error("/firms/slot_count does not match /firms/time");
    }
  }
  snapshots.resize(times.size());
  for (std::size_t i = 0; i < times.size(); ++i) snapshots[i].time = times[i];
  for (const auto& name : child_names(group.get())) {
    if (!is_dataset(group.get(), name)) continue;
    auto dataset = open_dataset(group.get(), name);
    if (!is_variable(dataset.get())) continue;
    const std::string where = "/firms/" + name;
    const auto shape = dataset_dims(dataset.get(), where);
    if (shape.size() != 2 || shape[0] != times.size()) {
      throw std::runtime_error(where + " has shape " + shape_text(shape) + ", expected [" +
                               std::to_string(times.size()) + ", firm]");
    }
    hsize_t total = 0;
    for (const std::int64_t slots : slot_counts) {
      if (slots < 0 || static_cast<hsize_t>(slots) > shape[1]) {
        throw std::runtime_error("/firms/slot_count is out of range for " + where);
      }
      total += static_cast<hsize_t>(slots);
    }
    detail::check_declared_size(dataset.get(), total, where);
    const std::string units = read_string_attribute(dataset.get(), "units");
    const std::string long_name = read_string_attribute(dataset.get(), "long_name");
    for (std::size_t i = 0; i < times.size(); ++i) {
      const auto slots = static_cast<hsize_t>(slot_counts[i]);
      FirmColumn column{name, units, long_name, std::vector<double>(slots)};
      if (slots > 0) {
        const hsize_t start[2] = {i, 0};
        const hsize_t count[2] = {1, slots};
        auto file_space = DataspaceHandle::checked(H5Dget_space(dataset.get()), "H5Dget_space");
        h5_check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count,
                                     nullptr),
                 "H5Sselect_hyperslab", name);
        auto memory_space = simple_space({slots});
        h5_check(H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, memory_space.get(), file_space.get(),
                         H5P_DEFAULT, column.values.data()),
                 "H5Dread", name);
      }
      snapshots[i].columns.push_back(std::move(column));
    }
  }
  return snapshots;
}

FileHandle open_result(const fs::path& path) { return detail::open_convsim_file(path, kResultFormat); }

std::string type_name(hid_t type) {
  const std::size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_FLOAT:
      return "float" + std::to_string(size * 8);
    case H5T_INTEGER:
      return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(size * 8);
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    default:
      return "other";
  }
}

// Attribute values longer than this many numbers are shown by their count only.
constexpr hssize_t kMaxAttributeNumbers = 64;

// An attribute's value as text (strings as they are, numbers in full precision).
std::string attribute_text(hid_t object, const char* name) {
  auto attribute = AttributeHandle::checked(H5Aopen(object, name, H5P_DEFAULT), "H5Aopen", name);
  auto type = DatatypeHandle::checked(H5Aget_type(attribute.get()), "H5Aget_type", name);
  auto space = DataspaceHandle::checked(H5Aget_space(attribute.get()), "H5Aget_space", name);
  const auto points =
      h5_check(H5Sget_simple_extent_npoints(space.get()), "H5Sget_simple_extent_npoints", name);
  const H5T_class_t type_class = H5Tget_class(type.get());
  if (type_class == H5T_STRING && points == 1) return read_string_attribute(object, name);
  if ((type_class == H5T_INTEGER || type_class == H5T_FLOAT) && points > kMaxAttributeNumbers) {
    return "<" + std::to_string(points) + " " + type_name(type.get()) + " values>";
  }
  if ((type_class == H5T_INTEGER || type_class == H5T_FLOAT) && points >= 1) {
    std::string text;
    if (type_class == H5T_INTEGER && H5Tget_sign(type.get()) == H5T_SGN_NONE) {
      std::vector<unsigned long long> values(static_cast<std::size_t>(points));
      h5_check(H5Aread(attribute.get(), H5T_NATIVE_ULLONG, values.data()), "H5Aread", name);
      for (auto v : values) text += (text.empty() ? "" : " ") + std::to_string(v);
    } else if (type_class == H5T_INTEGER) {
      std::vector<long long> values(static_cast<std::size_t>(points));
      h5_check(H5Aread(attribute.get(), H5T_NATIVE_LLONG, values.data()), "H5Aread", name);
      for (auto v : values) text += (text.empty() ? "" : " ") + std::to_string(v);
    } else {
      std::vector<double> values(static_cast<std::size_t>(points));
      h5_check(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, values.data()), "H5Aread", name);
      for (double v : values) {
        char number[32];
        std::snprintf(number, sizeof number, "%.17g", v);
        text += (text.empty() ? "" : " ") + std::string(number);
      }
    }
    return text;
  }
  return "<" + type_name(type.get()) + ">";
}

// The name of a dimension scale (its NAME attribute), "" when it has none.
std::string scale_name(hid_t scale) { return read_string_attribute(scale, "NAME", NotOneString::empty); }

// The names of the scales attached to each dimension of `dataset` ("" where none is), read from
// its DIMENSION_LIST after checking that attribute's type and size (H5DS reads it into a buffer
// sized by the dataset's rank, whatever the attribute holds).
std::vector<std::string> dimension_names(hid_t dataset, std::size_t rank) {
  std::vector<std::string> names(rank);
  if (detail::is_dimension_scale(dataset)) {
    if (rank == 1) names[0] = scale_name(dataset);
    return names;
  }
  if (rank == 0 || h5_check(H5Aexists(dataset, DIMENSION_LIST), "H5Aexists", DIMENSION_LIST) <= 0) return names;
  auto attribute = AttributeHandle::checked(H5Aopen(dataset, DIMENSION_LIST, H5P_DEFAULT), "H5Aopen", DIMENSION_LIST);
  auto type = DatatypeHandle::checked(H5Aget_type(attribute.get()), "H5Aget_type", DIMENSION_LIST);
  auto space = DataspaceHandle::checked(H5Aget_space(attribute.get()), "H5Aget_space", DIMENSION_LIST);
  if (H5Tget_class(type.get()) != H5T_VLEN ||
      H5Sget_simple_extent_npoints(space.get()) != static_cast<hssize_t>(rank)) {
    return names;  // not a dimension list convsim (or H5DS) wrote: show the dimensions unnamed
  }
  {
    auto base = DatatypeHandle::checked(H5Tget_super(type.get()), "H5Tget_super", DIMENSION_LIST);
    if (H5Tget_class(base.get()) != H5T_REFERENCE) return names;
  }
  auto memory = DatatypeHandle::checked(H5Tvlen_create(H5T_STD_REF_OBJ), "H5Tvlen_create", DIMENSION_LIST);
  std::vector<hvl_t> lists(rank);
  h5_check(H5Aread(attribute.get(), memory.get(), lists.data()), "H5Aread", DIMENSION_LIST);
  for (std::size_t d = 0; d < rank; ++d) {
    if (lists[d].len == 0 || lists[d].p == nullptr) continue;
    const hobj_ref_t reference = static_cast<const hobj_ref_t*>(lists[d].p)[0];
    const hid_t scale = H5Rdereference2(dataset, H5P_DEFAULT, H5R_OBJECT, &reference);
    if (scale < 0) {
      H5Eclear2(H5E_DEFAULT);
      continue;
    }
    ObjectHandle owned(scale);
    if (H5Iget_type(scale) == H5I_DATASET) names[d] = scale_name(scale);
  }
  H5Dvlen_reclaim(memory.get(), space.get(), H5P_DEFAULT, lists.data());
  return names;
}

// Groups nested deeper than this are not listed (convsim writes two levels).
constexpr int kMaxGroupDepth = 32;

// Lists every dataset under `group`, following hard links only and visiting each object once, so
// that a link cycle (a group linked into itself, a soft link to an ancestor) ends.
void describe_group(hid_t group, const std::string& prefix, ResultSummary& summary, std::set<std::string>& visited,
                    int depth) {
  if (depth > kMaxGroupDepth) throw std::runtime_error(prefix + " is nested more than 32 groups deep");
  for (const auto& name : child_names(group)) {
    const std::string path = prefix + "/" + name;
    const LinkTarget target = link_target(group, name);
    if (target.type != H5O_TYPE_GROUP && target.type != H5O_TYPE_DATASET) continue;
    if (!visited.insert(target.key).second) continue;
    auto object =
        ObjectHandle::checked(H5Oopen(group, name.c_str(), H5P_DEFAULT), "H5Oopen", name);
    if (target.type == H5O_TYPE_GROUP) {
      describe_group(object.get(), path, summary, visited, depth + 1);
      continue;
    }
    DatasetSummary d;
    d.path = path;
    for (hsize_t n : dataset_dims(object.get(), path)) d.shape.push_back(n);
    d.dims = dimension_names(object.get(), d.shape.size());
    auto type = DatatypeHandle::checked(H5Dget_type(object.get()), "H5Dget_type", path);
    d.type = type_name(type.get());
    d.units = read_string_attribute(object.get(), "units", NotOneString::empty);
    d.long_name = read_string_attribute(object.get(), "long_name", NotOneString::empty);
    summary.datasets.push_back(std::move(d));
  }
}

}  // namespace

namespace detail {

FileHandle open_convsim_file(const fs::path& path, const char* format, const char* also) {
  const bool checkpoint = std::string_view(format) == kCheckpointFormat;
  auto refuse = [&](const std::string& why) -> void {
    if (checkpoint) throw InputError(path.string(), 0, "", "not a convsim checkpoint: " + why);
    not_a_result(path, why);
  };
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(path.string(), 0, "", "no such file");
  FileHandle file;
  try {
    file = detail::open_for_reading(path);
  } catch (const std::runtime_error& e) {
    refuse(e.what());
  }
  std::string found;
  try {
    found = read_string_attribute(file.get(), "convsim_format");
  } catch (const std::runtime_error& e) {
    refuse(std::string("its root attribute 'convsim_format' is damaged: ") + e.what());
  }
  if (found.empty()) refuse("it has no root attribute 'convsim_format'");
  if (also != nullptr && found == also) return file;
  if (found == kCheckpointFormat && !checkpoint) {
    refuse("it is a checkpoint (continue it with `convsim run --from " + path.string() + "`)");
  }
  if (found == kResultFormat && checkpoint) refuse("it is a result file, not a checkpoint");
  if (found != format) {
    refuse("format '" + found + "' is not supported (this convsim reads '" + format + "')");
  }
  return file;
}

void write_result_layout(const RunResult& result, const fs::path& path, const ResultWriteOptions& options,
                         const char* format, std::size_t extra_bytes, const std::function<void(hid_t)>& extra) {
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw InputError(path.string(), 0, "",
                     std::string("cannot write the ") + (extra ? "checkpoint" : "result") + ": folder '" + folder.string() +
                         "' does not exist");
  }
  fs::path temporary = path;
  temporary += ".tmp." + std::to_string(::getpid());

  detail::Hdf5Session session;
  try {
    auto create_plist = detail::file_create_plist(kTimes);
    auto access = file_write_plist(result, extra_bytes);
    auto file = detail::create_file(temporary, create_plist.get(), access.get());
    write_contents(file.get(), result, options, format, extra);
    detail::close_written_file(file, temporary);
    detail::append_checksum_trailer(temporary);
    if (options.sync) sync_file(temporary);
    fs::rename(temporary, path);
  } catch (...) {
    fs::remove(temporary, ec);
    throw;
  }
}

RunResult read_result_layout(hid_t root, const fs::path& path, const char* format) {
  RunResult r;
  try {
    r.title = read_string_attribute(root, "title");
    r.scenario_name = read_string_attribute(root, "scenario_name");
    r.scenario_yaml = read_string_attribute(root, "scenario");
    r.scenario_hash = read_string_attribute(root, "scenario_hash");
    r.seed = read_number_attribute<std::uint64_t>(root, "seed", H5T_NATIVE_UINT64);
    r.steps_per_year = read_number_attribute<int>(root, "steps_per_year", H5T_NATIVE_INT);
    {
      auto time = open_dataset(root, kTime);
      r.time = read_axis(time.get(), "/time");
    }
    {
      auto sector = open_dataset(root, kSector);
      r.sectors = read_string_column(sector.get(), "/sector");
    }
    if (link_exists(root, kSectorRole)) {
      auto roles = open_dataset(root, kSectorRole);
      r.sector_roles = read_string_column(roles.get(), "/sector_role");
    }
    const std::vector<hsize_t> series_shape = {r.time.size()};
    const std::vector<hsize_t> sector_shape = {r.time.size(), r.sectors.size()};
    auto series_of = [&](const char* group) {
      std::vector<Series> out;
      for (auto& v : read_variables(root, group, {series_shape})) {
        out.push_back({v.name, v.units, v.long_name, std::move(v.values)});
      }
      return out;
    };
    r.aggregate = series_of(kAggregate);
    r.convergence = series_of(kConvergence);
    for (auto& v : read_variables(root, kBySector, {sector_shape})) {
      r.by_sector.push_back({v.name, v.units, v.long_name, std::move(v.values)});
    }
    for (auto& v : read_variables(root, kPolicy, {series_shape, sector_shape})) {
      if (v.shape == series_shape) {
        r.policy.push_back({v.name, v.units, v.long_name, std::move(v.values)});
      } else {
        r.policy_by_sector.push_back({v.name, v.units, v.long_name, std::move(v.values)});
      }
    }
    if (link_exists(root, kPolicy)) {
      auto policy = open_group(root, kPolicy);
      r.events = read_events(policy.get());
    }
    r.snapshots = read_firms(root);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    if (std::string_view(format) == kCheckpointFormat) {
      throw InputError(path.string(), 0, "", std::string("not a convsim checkpoint: it is damaged: ") + e.what());
    }
    not_a_result(path, std::string("it is damaged: ") + e.what());
  }
  return r;
}

}  // namespace detail

//---- public ---------------------------------------------------------------------------------

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

const char* convsim_version() noexcept { return CONVSIM_VERSION; }

const char* convsim_git_revision() noexcept { return CONVSIM_GIT_REVISION; }

std::string hdf5_library_version() {
  unsigned major = 0, minor = 0, release = 0;
  if (H5get_libversion(&major, &minor, &release) < 0) return "unknown";
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

void write_result(const RunResult& result, const fs::path& path, const ResultWriteOptions& options) {
  detail::write_result_layout(result, path, options, kResultFormat, 0, {});
}

RunResult read_result(const fs::path& path) {
  detail::Hdf5Session session;
  auto file = open_result(path);
  return detail::read_result_layout(file.get(), path, kResultFormat);
}

bool is_complete_result(const fs::path& path, const std::string& expected_hash) {
  try {
    detail::Hdf5Session session;
    auto file = open_result(path);
    if (!link_exists(file.get(), kTime)) return false;
    return expected_hash.empty() ||
           read_string_attribute(file.get(), "scenario_hash") == expected_hash;
  } catch (...) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
}

std::string ResultSummary::attribute(const std::string& name) const {
  for (const auto& [key, value] : attributes) {
    if (key == name) return value;
  }
  return {};
}

ResultSummary describe_result(const fs::path& path) {
  detail::Hdf5Session session;
  auto file = detail::open_convsim_file(path, kResultFormat, kCheckpointFormat);
  const hid_t root = file.get();
  ResultSummary summary;
  summary.path = path;
  std::error_code ec;
  summary.file_bytes = fs::file_size(path, ec);
  try {
    for (const auto& name : detail::attribute_names(root)) {
      summary.attributes.emplace_back(name, attribute_text(root, name.c_str()));
    }
    auto root_group = open_group(root, "/");
    std::set<std::string> visited = {object_key(root_group.get())};
    describe_group(root_group.get(), "", summary, visited, 0);
    for (const auto& d : summary.datasets) {
      if (d.path == "/time" && d.shape.size() == 1) summary.time_count = d.shape[0];
      if (d.path == "/sector" && d.shape.size() == 1) summary.sector_count = d.shape[0];
      if (d.path == "/firms/time" && d.shape.size() == 1) summary.snapshot_count = d.shape[0];
      if (d.path == "/policy/events" && d.shape.size() == 1) summary.event_count = d.shape[0];
    }
    summary.time_first = std::numeric_limits<double>::quiet_NaN();
    summary.time_last = summary.time_first;
    if (summary.time_count > 0) {
      auto time = open_dataset(root, kTime);
      const auto values = read_axis(time.get(), "/time");
      summary.time_first = values.front();
      summary.time_last = values.back();
    }
    auto sector = open_dataset(root, kSector);
    summary.sectors = read_string_column(sector.get(), "/sector");
  } catch (const std::exception& e) {
    not_a_result(path, std::string("it is damaged: ") + e.what());
  }
  return summary;
}

}  // namespace convsim
