// Merging a sweep: every run's series lands in its row, the parameter table matches the plan,
// missing runs and mismatched results are refused, and merging twice gives the same bytes.
#include "convsim/merge.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <chrono>
#include <thread>

#include "convsim/errors.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/result_file.hpp"
#include "convsim/sweep.hpp"
#include "convsim/sweep_executor.hpp"
#include "test_support.hpp"
#include "tiny_scenarios.hpp"

namespace convsim {
namespace {

using testing::TempDir;
using testing::write_text;
namespace fs = std::filesystem;

constexpr const char* kTiny = testing::kTinyScenario;

// Reads a whole float64 dataset and its shape with the HDF5 C API (no convsim code involved).
std::vector<double> read_doubles(const fs::path& file, const std::string& name, std::vector<hsize_t>& shape) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(f, 0);
  const hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
  EXPECT_GE(d, 0) << name;
  const hid_t space = H5Dget_space(d);
  shape.assign(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space)), 0);
  H5Sget_simple_extent_dims(space, shape.data(), nullptr);
  std::size_t count = 1;
  for (hsize_t n : shape) count *= n;
  std::vector<double> values(count);
  H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  H5Sclose(space);
  H5Dclose(d);
  H5Fclose(f);
  return values;
}

class MergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(inputs_ / "tiny.yaml", kTiny);
    write_text(inputs_ / "sweep.yaml", R"(name: merge_me
scenarios: [tiny.yaml]
design: {type: grid, parameters: {adoption.peer_effect: [0.2, 0.5], sectors.health_care.barrier: [0.1, 0.4]}}
replicates: 2
)");
    plan_ = load_sweep(inputs_ / "sweep.yaml");
    SweepExecutionOptions options;
    options.output_dir = out_.path();
    options.jobs = 2;
    options.sync = SyncPolicy::none;
    const RunSimulator simulator = [](const Scenario& s) {
      models::RunOptions o;
      o.firm_snapshots = false;
      return models::simulate(s, o);
    };
    ASSERT_TRUE(run_sweep_local(plan_, simulator, options).ok());
  }

  TempDir inputs_;
  TempDir out_;
  SweepPlan plan_;
};

TEST_F(MergeTest, EveryRunIsARowAndTheTableMatchesThePlan) {
  const fs::path merged = out_ / "sweep.h5";
  const MergeReport report = merge_sweep(out_.path(), merged);
  ASSERT_TRUE(report.written);
  EXPECT_EQ(report.runs_merged, 8u);
  EXPECT_TRUE(report.missing.empty());

  std::vector<hsize_t> shape;
  const auto output = read_doubles(merged, "/aggregate/output", shape);
  ASSERT_EQ(shape.size(), 2u);
  EXPECT_EQ(shape[0], 8u);
  const RunResult run5 = read_result(out_.path() / run_result_name(plan_.runs[5]));
  ASSERT_EQ(shape[1], run5.time.size());
  const auto& expected = run5.find_aggregate("output")->values;
  EXPECT_EQ(std::vector<double>(output.begin() + 5 * shape[1], output.begin() + 6 * shape[1]), expected);

  const auto by_sector = read_doubles(merged, "/by_sector/" + run5.by_sector.front().name, shape);
  ASSERT_EQ(shape, (std::vector<hsize_t>{8, run5.time.size(), 3}));
  const std::size_t per_run = shape[1] * shape[2];
  EXPECT_EQ(std::vector<double>(by_sector.begin() + 5 * per_run, by_sector.begin() + 6 * per_run),
            run5.by_sector.front().values);

  const auto peer = read_doubles(merged, "/runs/adoption.peer_effect", shape);
  const auto barrier = read_doubles(merged, "/runs/sectors.health_care.barrier", shape);
  ASSERT_EQ(peer.size(), 8u);
  for (const auto& run : plan_.runs) {
    EXPECT_EQ(peer[run.index], std::stod(plan_.value(run, 0)));
    EXPECT_EQ(barrier[run.index], std::stod(plan_.value(run, 1)));
  }
}

TEST_F(MergeTest, MergingTwiceGivesTheSameBytes) {
  ASSERT_TRUE(merge_sweep(out_.path(), out_ / "a.h5").written);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // no clock time may get into the file
  ASSERT_TRUE(merge_sweep(out_.path(), out_ / "b.h5").written);
  EXPECT_EQ(testing::read_text(out_ / "a.h5"), testing::read_text(out_ / "b.h5"));
}

TEST_F(MergeTest, MissingRunsAreListedAndNothingIsWrittenUnlessAllowed) {
  fs::remove(out_.path() / run_result_name(plan_.runs[2]));
  const MergeReport refused = merge_sweep(out_.path(), out_ / "sweep.h5");
  EXPECT_FALSE(refused.written);
  EXPECT_EQ(refused.missing, (std::vector<std::size_t>{2}));
  EXPECT_FALSE(fs::exists(out_ / "sweep.h5"));

  MergeOptions options;
  options.allow_missing = true;
  const MergeReport partial = merge_sweep(out_.path(), out_ / "sweep.h5", options);
  EXPECT_TRUE(partial.written);
  EXPECT_EQ(partial.runs_merged, 7u);
  std::vector<hsize_t> shape;
  read_doubles(out_ / "sweep.h5", "/aggregate/output", shape);
  EXPECT_EQ(shape[0], 7u);
}

TEST_F(MergeTest, ADifferentTimeAxisIsRefusedNamingTheFile) {
  const fs::path victim = out_.path() / run_result_name(plan_.runs[3]);
  RunResult result = read_result(victim);
  result.time.back() += 1;  // same identity, another time axis
  write_result(result, victim);
  try {
    merge_sweep(out_.path(), out_ / "sweep.h5");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), victim.string());
    EXPECT_EQ(e.key(), "/time");
  }
  EXPECT_FALSE(fs::exists(out_ / "sweep.h5"));
}

TEST_F(MergeTest, DifferentSectorsAreRefused) {
  const fs::path victim = out_.path() / run_result_name(plan_.runs[6]);
  RunResult result = read_result(victim);
  result.sectors[2] = "education";
  write_result(result, victim);
  try {
    merge_sweep(out_.path(), out_ / "sweep.h5");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), "/sector");
  }
}

TEST(Merge, AFolderWithoutAPlanIsBadInput) {
  TempDir empty;
  EXPECT_THROW(merge_sweep(empty.path(), empty / "x.h5"), InputError);
}

}  // namespace
}  // namespace convsim
