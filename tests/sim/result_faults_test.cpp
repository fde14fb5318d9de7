// Result files that are damaged or hostile: the right names with other shapes, types or declared
// sizes, link cycles, flipped bytes, truncation. Each must end in an InputError naming the file (exit
// code 2 in the CLI), never in a crash, a hang or an allocation the file cannot justify; and files
// convsim writes carry the checksums that find damage (docs/results.md, docs/reliability.md).
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "convsim/errors.hpp"
#include "convsim/result_file.hpp"
#include "test_support.hpp"

namespace convsim {
namespace {

namespace fs = std::filesystem;
using convsim::testing::contains;
using convsim::testing::read_text;
using convsim::testing::TempDir;
using convsim::testing::write_text;

constexpr const char* kTrailerPrefix = "convsim-checksum crc32=";
constexpr std::size_t kTrailerBytes = 55;

RunResult small_result() {
  RunResult r;
  r.title = "faults";
  r.scenario_name = "faults";
  r.scenario_yaml = "name: faults\n";
  r.scenario_hash = "abc";
  r.seed = 7;
  r.steps_per_year = 1;
  r.time = {2000, 2001, 2002};
  r.sectors = {"contents", "health_care"};
  r.aggregate = {{"output", "1", "output", {1.0, 2.0, 3.0}}};
  r.by_sector = {{"output", "1", "output", {1, 2, 3, 4, 5, 6}}};
  r.convergence = {{"output", "1", "output", {0.5, 0.25, 0.125}}};
  r.policy = {{"infrastructure", "1", "lever", {1, 1, 2}}};
  r.events = {{"5g", "infrastructure", "", "set", 2001, 2002, 0, 2}};
  r.snapshots = {{2001, {{"capital", "1", "capital", {1, 2, 3}}}}};
  return r;
}

// Removes convsim's checksum trailer, so that the edited file reaches HDF5's own checks.
void strip_trailer(const fs::path& path) {
  const std::string bytes = read_text(path);
  ASSERT_GE(bytes.size(), kTrailerBytes);
  ASSERT_EQ(bytes.compare(bytes.size() - kTrailerBytes, 23, kTrailerPrefix), 0);
  fs::resize_file(path, bytes.size() - kTrailerBytes);
}

// Writes a small result to `path` and changes it with `edit` through HDF5.
fs::path edited_result(const TempDir& dir, const std::string& name, const std::function<void(hid_t)>& edit) {
  const fs::path path = dir / name;
  write_result(small_result(), path);
  strip_trailer(path);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  EXPECT_GE(file, 0);
  edit(file);
  EXPECT_GE(H5Fclose(file), 0);
  return path;
}

void replace_attribute(hid_t object, const char* name, hid_t type, const std::vector<hsize_t>& dims, const void* value) {
  if (H5Aexists(object, name) > 0) {
    ASSERT_GE(H5Adelete(object, name), 0);
  }
  const hid_t space = dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t attribute = H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(attribute, 0);
  ASSERT_GE(H5Awrite(attribute, type, value), 0);
  H5Aclose(attribute);
  H5Sclose(space);
}

// Replaces a dataset by one of `dims` that is declared but never written (no storage allocated).
void replace_with_declared(hid_t file, const char* name, hid_t type, const std::vector<hsize_t>& dims) {
  ASSERT_GE(H5Ldelete(file, name, H5P_DEFAULT), 0);
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t dataset = H5Dcreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(dataset, 0);
  H5Dclose(dataset);
  H5Sclose(space);
}

// The InputError message of reading `path`, or "" when it was read.
std::string read_error(const fs::path& path) {
  try {
    read_result(path);
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path.string());
    return e.what();
  }
  return {};
}

std::string describe_error(const fs::path& path) {
  try {
    describe_result(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return {};
}

TEST(ResultFaults, NumberAttributesThatAreArraysOrStringsAreRefused) {
  TempDir dir;
  const std::uint64_t seeds[64] = {1, 2, 3};
  const auto array_seed = edited_result(dir, "seed.h5", [&](hid_t file) {
    replace_attribute(file, "seed", H5T_NATIVE_UINT64, {64}, seeds);
  });
  const std::string error = read_error(array_seed);
  EXPECT_TRUE(contains(error, "'seed' is not a single number")) << error;

  const char* text = "four";
  hid_t string_type = H5Tcopy(H5T_C_S1);
  H5Tset_size(string_type, H5T_VARIABLE);
  const auto string_steps = edited_result(dir, "steps.h5", [&](hid_t file) {
    replace_attribute(file, "steps_per_year", string_type, {}, &text);
  });
  const std::string steps_error = read_error(string_steps);
  EXPECT_TRUE(contains(steps_error, "'steps_per_year' is not a single number")) << steps_error;

  const std::int32_t format = 1;
  const auto number_format = edited_result(dir, "format.h5", [&](hid_t file) {
    replace_attribute(file, "convsim_format", H5T_NATIVE_INT32, {}, &format);
  });
  EXPECT_TRUE(contains(read_error(number_format), "convsim_format")) << read_error(number_format);
  EXPECT_TRUE(contains(describe_error(number_format), "convsim_format"));
  EXPECT_FALSE(is_complete_result(number_format));
  H5Tclose(string_type);
}

TEST(ResultFaults, DatasetsOfAnotherRankOrClassAreRefused) {
  TempDir dir;
  const auto matrix_sector = edited_result(dir, "sector.h5", [](hid_t file) {
    replace_with_declared(file, "sector", H5T_NATIVE_DOUBLE, {2, 2});
  });
  EXPECT_TRUE(contains(read_error(matrix_sector), "/sector has 2 dimensions")) << read_error(matrix_sector);
  const auto wrong_shape = edited_result(dir, "shape.h5", [](hid_t file) {
    const double values[6] = {};
    ASSERT_GE(H5Ldelete(file, "aggregate/output", H5P_DEFAULT), 0);
    const hsize_t dims[2] = {3, 2};
    const hid_t space = H5Screate_simple(2, dims, nullptr);
    const hid_t dataset = H5Dcreate2(file, "aggregate/output", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    H5Dclose(dataset);
    H5Sclose(space);
  });
  EXPECT_TRUE(contains(read_error(wrong_shape), "/aggregate/output has shape [3, 2], expected [3]"))
      << read_error(wrong_shape);
  const auto events_not_table = edited_result(dir, "events.h5", [](hid_t file) {
    replace_with_declared(file, "policy/events", H5T_NATIVE_INT32, {4});
  });
  EXPECT_TRUE(contains(read_error(events_not_table), "/policy/events is not")) << read_error(events_not_table);
}

TEST(ResultFaults, DeclaredSizesBeyondWhatTheFileHoldsAreRefusedBeforeAllocating) {
  TempDir dir;
  // 2·10^8 doubles (1.6 GB) declared in a file of a few kB.
  const auto huge_time = edited_result(dir, "time.h5", [](hid_t file) {
    replace_with_declared(file, "time", H5T_IEEE_F64LE, {200'000'000});
  });
  EXPECT_TRUE(contains(read_error(huge_time), "more than a file of")) << read_error(huge_time);
  const auto huge_events = edited_result(dir, "events.h5", [](hid_t file) {
    const hid_t type = H5Tcreate(H5T_COMPOUND, 8);
    H5Tinsert(type, "at", 0, H5T_IEEE_F64LE);
    replace_with_declared(file, "policy/events", type, {1'000'000'000});
    H5Tclose(type);
  });
  EXPECT_TRUE(contains(read_error(huge_events), "/policy/events declares 1000000000 values")) << read_error(huge_events);
  const auto huge_sectors = edited_result(dir, "sectors.h5", [](hid_t file) {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    replace_with_declared(file, "sector", type, {100'000'000});
    H5Tclose(type);
  });
  EXPECT_TRUE(contains(read_error(huge_sectors), "/sector declares 100000000 values")) << read_error(huge_sectors);
}

TEST(ResultFaults, LinkCyclesEndAndEachDatasetIsListedOnce) {
  TempDir dir;
  const auto cyclic = edited_result(dir, "cycle.h5", [](hid_t file) {
    ASSERT_GE(H5Lcreate_hard(file, "/", file, "aggregate/root", H5P_DEFAULT, H5P_DEFAULT), 0);
    ASSERT_GE(H5Lcreate_hard(file, "/by_sector", file, "by_sector/self", H5P_DEFAULT, H5P_DEFAULT), 0);
    ASSERT_GE(H5Lcreate_soft("/", file, "convergence/up", H5P_DEFAULT, H5P_DEFAULT), 0);
    ASSERT_GE(H5Lcreate_external("/dev/zero", "/", file, "policy/elsewhere", H5P_DEFAULT, H5P_DEFAULT), 0);
  });
  const ResultSummary summary = describe_result(cyclic);
  std::size_t times = 0;
  for (const auto& d : summary.datasets) {
    times += d.path == "/time" ? 1 : 0;
    EXPECT_FALSE(contains(d.path, "/root") || contains(d.path, "/self") || contains(d.path, "/up") ||
                 contains(d.path, "/elsewhere"))
        << d.path;
  }
  EXPECT_EQ(times, 1u);
  EXPECT_EQ(read_result(cyclic).aggregate.size(), 1u);
}

TEST(ResultFaults, DimensionListsLongerThanTheRankAreNotReadPastTheirEnd) {
  TempDir dir;
  const auto listed = edited_result(dir, "dims.h5", [](hid_t file) {
    const hid_t dataset = H5Dopen2(file, "aggregate/output", H5P_DEFAULT);
    hobj_ref_t reference{};
    H5Rcreate(&reference, file, "/time", H5R_OBJECT, -1);
    std::vector<hobj_ref_t> references(8, reference);
    std::vector<hvl_t> lists;
    for (auto& r : references) lists.push_back({1, &r});
    const hid_t type = H5Tvlen_create(H5T_STD_REF_OBJ);
    replace_attribute(dataset, "DIMENSION_LIST", type, {lists.size()}, lists.data());
    const char* classes[3] = {"DIMENSION_SCALE", "x", "y"};
    const hid_t string_type = H5Tcopy(H5T_C_S1);
    H5Tset_size(string_type, H5T_VARIABLE);
    const hid_t time = H5Dopen2(file, "aggregate/time", H5P_DEFAULT);
    replace_attribute(time, "CLASS", string_type, {3}, classes);
    H5Dclose(time);
    H5Tclose(string_type);
    H5Tclose(type);
    H5Dclose(dataset);
  });
  const ResultSummary summary = describe_result(listed);
  bool found = false;
  for (const auto& d : summary.datasets) {
    if (d.path != "/aggregate/output") continue;
    found = true;
    ASSERT_EQ(d.dims.size(), 1u);
    EXPECT_EQ(d.dims[0], "");  // eight scales for one dimension: shown unnamed
  }
  EXPECT_TRUE(found);
}

TEST(ResultFaults, WrittenWithChecksummedMetadataChunksAndATrailer) {
  TempDir dir;
  const auto path = dir / "run.h5";
  write_result(small_result(), path);
  const std::string bytes = read_text(path);
  ASSERT_GT(bytes.size(), kTrailerBytes + 16);
  EXPECT_EQ(bytes[8], 3) << "superblock version 3 (file format of HDF5 1.10)";
  EXPECT_EQ(bytes.compare(bytes.size() - kTrailerBytes, 23, kTrailerPrefix), 0);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  hid_t access = H5Fget_access_plist(file);
  H5F_libver_t low{}, high{};
  H5Pget_libver_bounds(access, &low, &high);
  EXPECT_EQ(low, H5F_LIBVER_V110);
  H5Pclose(access);
  for (const char* name : {"time", "aggregate/output", "by_sector/output", "policy/infrastructure",
                           "policy/event_fields/at", "firms/capital", "firms/slot_count"}) {
    const hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
    ASSERT_GE(dataset, 0) << name;
    const hid_t plist = H5Dget_create_plist(dataset);
    EXPECT_EQ(H5Pget_layout(plist), H5D_CHUNKED) << name;
    bool fletcher = false;
    for (int i = 0; i < H5Pget_nfilters(plist); ++i) {
      unsigned flags = 0;
      std::size_t count = 0;
      fletcher |= H5Pget_filter2(plist, static_cast<unsigned>(i), &flags, &count, nullptr, 0, nullptr, nullptr) ==
                  H5Z_FILTER_FLETCHER32;
    }
    EXPECT_TRUE(fletcher) << name;
    H5Pclose(plist);
    H5Dclose(dataset);
  }
  H5Fclose(file);
}

// Flips one bit of the file at `offset`.
void flip(const fs::path& path, std::uint64_t offset) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(offset));
  char byte = 0;
  file.read(&byte, 1);
  byte = static_cast<char>(byte ^ 0x10);
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(&byte, 1);
}

TEST(ResultFaults, TheTrailerFindsAFlippedByteAnywhere) {
  TempDir dir;
  const auto path = dir / "run.h5";
  write_result(small_result(), path);
  const auto size = fs::file_size(path);
  for (std::uint64_t offset : {std::uint64_t{100}, size / 2, size - kTrailerBytes - 1}) {
    const auto copy = dir / ("flip" + std::to_string(offset) + ".h5");
    fs::copy_file(path, copy);
    flip(copy, offset);
    EXPECT_TRUE(contains(read_error(copy), "do not match the checksum")) << offset << ": " << read_error(copy);
    EXPECT_FALSE(is_complete_result(copy));
  }
}

TEST(ResultFaults, TruncationIsFoundFromTheSuperblock) {
  TempDir dir;
  const auto path = dir / "run.h5";
  write_result(small_result(), path);
  const std::string bytes = read_text(path);
  for (std::size_t keep : {std::size_t{4096}, bytes.size() / 2, bytes.size() - kTrailerBytes - 8}) {
    const auto cut = dir / ("cut" + std::to_string(keep) + ".h5");
    write_text(cut, bytes.substr(0, keep));
    EXPECT_TRUE(contains(read_error(cut), "its HDF5 superblock says")) << keep << ": " << read_error(cut);
  }
}

TEST(ResultFaults, Fletcher32FindsADamagedDataChunkInAFileWithoutItsTrailer) {
  TempDir dir;
  const auto path = dir / "run.h5";
  write_result(small_result(), path);
  strip_trailer(path);
  haddr_t address = 0;
  {
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    const hid_t dataset = H5Dopen2(file, "convergence/output", H5P_DEFAULT);
    const hid_t space = H5Dget_space(dataset);
    hsize_t offset[1] = {};
    unsigned mask = 0;
    hsize_t size = 0;
    ASSERT_GE(H5Dget_chunk_info(dataset, space, 0, offset, &mask, &address, &size), 0);
    H5Sclose(space);
    H5Dclose(dataset);
    H5Fclose(file);
  }
  EXPECT_EQ(read_error(path), "");
  flip(path, address + 3);  // inside the first double of the chunk
  EXPECT_TRUE(contains(read_error(path), "it is damaged")) << read_error(path);
}

}  // namespace
}  // namespace convsim
