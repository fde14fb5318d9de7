// Merged sweeps with the right names and other shapes (hand-made with HDF5): each is an InputError
// naming the file, never a read past a buffer or an allocation the file cannot justify.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "convsim/analysis/detail/merged_sweep.hpp"
#include "convsim/errors.hpp"
#include "test_support.hpp"

namespace convsim::analysis {
namespace {

namespace fs = std::filesystem;
using convsim::testing::contains;
using convsim::testing::TempDir;

hid_t string_type() {
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  return type;
}

void write_dataset(hid_t parent, const char* name, hid_t type, const std::vector<hsize_t>& dims, const void* values) {
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t dataset = H5Dcreate2(parent, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(dataset, 0) << name;
  if (values != nullptr) {
    ASSERT_GE(H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), 0) << name;
  }
  H5Dclose(dataset);
  H5Sclose(space);
}

// What a merged sweep of one run holds, with one part changed by the test.
struct Layout {
  std::vector<hsize_t> seed_dims = {1};
  std::vector<hsize_t> scenario_dims = {1};
  std::vector<hsize_t> time_dims = {2};
  bool time_written = true;
  bool steps_array = false;
  std::vector<hsize_t> parameter_dims = {1};
};

fs::path write_merged(const TempDir& dir, const std::string& name, const Layout& layout) {
  const fs::path path = dir / name;
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t text = string_type();
  auto string_attribute = [&](hid_t object, const char* key, const char* value) {
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t attribute = H5Acreate2(object, key, text, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attribute, text, &value);
    H5Aclose(attribute);
    H5Sclose(space);
  };
  string_attribute(file, "convsim_format", "convsim-sweep-1");
  string_attribute(file, "parameters", "p");
  {
    const std::int32_t steps[4] = {1, 1, 1, 1};
    const hsize_t count = layout.steps_array ? 4 : 1;
    const hid_t space = layout.steps_array ? H5Screate_simple(1, &count, nullptr) : H5Screate(H5S_SCALAR);
    const hid_t attribute = H5Acreate2(file, "steps_per_year", H5T_NATIVE_INT32, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attribute, H5T_NATIVE_INT32, steps);
    H5Aclose(attribute);
    H5Sclose(space);
  }
  const std::vector<double> time = {2000, 2001};
  write_dataset(file, "time", H5T_NATIVE_DOUBLE, layout.time_dims, layout.time_written ? time.data() : nullptr);
  const char* sector[1] = {"contents"};
  write_dataset(file, "sector", text, {1}, sector);
  const hid_t runs = H5Gcreate2(file, "runs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const std::vector<const char*> names(8, "baseline");
  write_dataset(runs, "scenario", text, layout.scenario_dims, names.data());
  const std::vector<std::uint64_t> seeds(8, 5);
  write_dataset(runs, "seed", H5T_NATIVE_UINT64, layout.seed_dims, seeds.data());
  const char* yaml[1] = {"name: baseline\n"};
  write_dataset(runs, "scenario_yaml", text, {1}, yaml);
  const std::vector<const char*> values(8, "a");
  write_dataset(runs, "p", text, layout.parameter_dims, values.data());
  H5Gclose(runs);
  H5Tclose(text);
  H5Fclose(file);
  return path;
}

std::string read_error(const fs::path& path) {
  std::vector<RunResult> runs;
  std::vector<RunSource> sources;
  try {
    detail::read_merged_sweep(path, runs, sources);
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path.string());
    return e.what();
  }
  return {};
}

TEST(MergedSweepFaults, TheHandMadeLayoutReads) {
  TempDir dir;
  EXPECT_EQ(read_error(write_merged(dir, "good.h5", {})), "");
}

TEST(MergedSweepFaults, TwoDimensionalRunColumnsAreRefused) {
  TempDir dir;
  Layout seed;
  seed.seed_dims = {1, 8};
  EXPECT_TRUE(contains(read_error(write_merged(dir, "seed.h5", seed)), "seed has 2 dimensions, expected 1"));
  Layout scenario;
  scenario.scenario_dims = {1, 8};
  EXPECT_TRUE(contains(read_error(write_merged(dir, "scenario.h5", scenario)), "scenario has 2 dimensions"));
}

TEST(MergedSweepFaults, ParameterColumnsOfAnotherLengthAreRefused) {
  TempDir dir;
  Layout short_column;
  short_column.parameter_dims = {0};
  EXPECT_TRUE(contains(read_error(write_merged(dir, "p.h5", short_column)), "/runs/p"));
}

TEST(MergedSweepFaults, NumberAttributesThatAreArraysAndHugeDeclarationsAreRefused) {
  TempDir dir;
  Layout steps;
  steps.steps_array = true;
  EXPECT_TRUE(contains(read_error(write_merged(dir, "steps.h5", steps)), "'steps_per_year' is not a single number"));
  Layout huge;
  huge.time_dims = {200'000'000};
  huge.time_written = false;
  EXPECT_TRUE(contains(read_error(write_merged(dir, "huge.h5", huge)), "time declares 200000000 values"));
}

}  // namespace
}  // namespace convsim::analysis
