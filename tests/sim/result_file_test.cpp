// Tests of the HDF5 result file: exact round trip, atomic writes, rejection of foreign files,
// completeness checks for sweep resume, and the summary behind `convsim info`.
#include "convsim/result_file.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <stdexcept>

#include <tbb/task_arena.h>

#include "convsim/detail/hdf5_handle.hpp"
#include "convsim/errors.hpp"
#include "test_support.hpp"

namespace convsim {
namespace {

namespace fs = std::filesystem;
using convsim::testing::TempDir;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// A small run: 3 sectors, 5 quarterly steps, two events, firm snapshots that grow and shrink.
RunResult synthetic_result() {
  RunResult r;
  r.title = "convsim synthetic — 합성";  // non-ASCII on purpose
  r.scenario_name = "synthetic";
  r.scenario_yaml = "name: synthetic\nsteps_per_year: 4\nyears: 1.25\n";
  r.scenario_hash = "0123456789abcdef";
  r.seed = 18446744073709551557ULL;  // needs all 64 bits
  r.steps_per_year = 4;
  r.time = {2020.0, 2020.25, 2020.5, 2020.75, 2021.0};
  r.sectors = {"contents", "health_care", "의료"};
  r.sector_roles = {"contents", "converging", "converging"};
  const std::size_t t_count = r.time.size();
  const std::size_t s_count = r.sectors.size();
  auto series = [&](const std::string& name, double base) {
    Series s{name, "1e8 KRW/year", name + " (annual rate)", {}};
    for (std::size_t t = 0; t < t_count; ++t) s.values.push_back(base + 0.1 * static_cast<double>(t));
    return s;
  };
  auto sector_series = [&](const std::string& name, double base) {
    SectorSeries s{name, "persons", name + " by sector", {}};
    for (std::size_t t = 0; t < t_count; ++t) {
      for (std::size_t k = 0; k < s_count; ++k) {
        s.values.push_back(base + static_cast<double>(10 * k + t) + 1.0 / 3.0);
      }
    }
    return s;
  };
  // Names out of alphabetical order, so the test sees that the written order is kept.
  r.aggregate = {series("output", 100.0), series("jobs", 50.0), series("adoption", 0.0)};
  r.aggregate[2].values[1] = kNaN;
  r.aggregate[2].units = "1";
  r.by_sector = {sector_series("output", 1.0), sector_series("employment", 2.0)};
  r.convergence = {series("output", 7.0)};
  r.policy = {series("infrastructure", 1.0)};
  r.policy_by_sector = {sector_series("barrier", 0.5)};
  r.events = {
      {"telemedicine", "barrier", "health_care,의료", "set", 2020.5, kNaN, 0.5, 0.0},
      {"5g", "infrastructure", "", "add", 2020.25, 2021.0, 0.0, 0.25},
  };
  auto snapshot = [](double time, std::size_t slots) {
    FirmSnapshot s;
    s.time = time;
    FirmColumn capital{"capital", "1e8 KRW", "capital stock", {}};
    FirmColumn sector{"sector", "1", "sector index", {}};
    for (std::size_t i = 0; i < slots; ++i) {
      capital.values.push_back(time + static_cast<double>(i) * 1.5);
      sector.values.push_back(static_cast<double>(i % 3));
    }
    if (slots > 1) capital.values[1] = kNaN;  // an exited firm's slot
    s.columns = {capital, sector};
    return s;
  };
  r.snapshots = {snapshot(2020.0, 4), snapshot(2020.5, 7), snapshot(2021.0, 2)};
  return r;
}

// Bit equality, so NaN equals NaN and -0 differs from 0.
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_same_values(const std::vector<double>& a, const std::vector<double>& b,
                        const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(same_bits(a[i], b[i])) << what << "[" << i << "]: " << a[i] << " vs " << b[i];
  }
}

template <typename S>
void expect_same_series(const std::vector<S>& a, const std::vector<S>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name) << what;
    EXPECT_EQ(a[i].units, b[i].units) << what << "/" << a[i].name;
    EXPECT_EQ(a[i].long_name, b[i].long_name) << what << "/" << a[i].name;
    expect_same_values(a[i].values, b[i].values, what + "/" + a[i].name);
  }
}

void expect_same_result(const RunResult& a, const RunResult& b) {
  EXPECT_EQ(a.title, b.title);
  EXPECT_EQ(a.scenario_name, b.scenario_name);
  EXPECT_EQ(a.scenario_yaml, b.scenario_yaml);
  EXPECT_EQ(a.scenario_hash, b.scenario_hash);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.steps_per_year, b.steps_per_year);
  expect_same_values(a.time, b.time, "time");
  EXPECT_EQ(a.sectors, b.sectors);
  EXPECT_EQ(a.sector_roles, b.sector_roles);
  expect_same_series(a.aggregate, b.aggregate, "aggregate");
  expect_same_series(a.by_sector, b.by_sector, "by_sector");
  expect_same_series(a.convergence, b.convergence, "convergence");
  expect_same_series(a.policy, b.policy, "policy");
  expect_same_series(a.policy_by_sector, b.policy_by_sector, "policy_by_sector");
  ASSERT_EQ(a.events.size(), b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    const auto& x = a.events[i];
    const auto& y = b.events[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.lever, y.lever);
    EXPECT_EQ(x.sectors, y.sectors);
    EXPECT_EQ(x.mode, y.mode);
    EXPECT_TRUE(same_bits(x.at, y.at));
    EXPECT_TRUE(same_bits(x.until, y.until));
    EXPECT_TRUE(same_bits(x.ramp_years, y.ramp_years));
    EXPECT_TRUE(same_bits(x.value, y.value));
  }
  ASSERT_EQ(a.snapshots.size(), b.snapshots.size());
  for (std::size_t i = 0; i < a.snapshots.size(); ++i) {
    EXPECT_TRUE(same_bits(a.snapshots[i].time, b.snapshots[i].time));
    const auto& ca = a.snapshots[i].columns;
    const auto& cb = b.snapshots[i].columns;
    ASSERT_EQ(ca.size(), cb.size());
    for (std::size_t c = 0; c < ca.size(); ++c) {
      EXPECT_EQ(ca[c].name, cb[c].name);
      EXPECT_EQ(ca[c].units, cb[c].units);
      EXPECT_EQ(ca[c].long_name, cb[c].long_name);
      expect_same_values(ca[c].values, cb[c].values,
                         "snapshot " + std::to_string(i) + " " + ca[c].name);
    }
  }
}

std::size_t entries_in(const fs::path& folder) {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(folder), fs::directory_iterator()));
}

TEST(ResultFile, RoundTripIsExact) {
  TempDir dir;
  const RunResult written = synthetic_result();
  write_result(written, dir / "run.h5");
  expect_same_result(written, read_result(dir / "run.h5"));
  EXPECT_EQ(entries_in(dir.path()), 1u);  // no temporary file left behind
}

// The writer attaches dimension scales itself (one REFERENCE_LIST write per scale instead of one
// per attachment); HDF5's own dimension-scale library must see exactly the attachments that
// H5DSattach_scale would have made: every dimension of every variable on its coordinate, in both
// directions, and each coordinate's REFERENCE_LIST listing every variable that uses it.
TEST(ResultFile, DimensionScalesAreTheOnesHdf5Sees) {
  TempDir dir;
  const RunResult written = synthetic_result();
  ASSERT_FALSE(written.events.empty());
  ASSERT_FALSE(written.snapshots.empty());
  write_result(written, dir / "run.h5");
  const ResultSummary summary = describe_result(dir / "run.h5");

  const hid_t file = H5Fopen((dir / "run.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  auto parent_of = [](const std::string& path) { return path.substr(0, path.rfind('/') + 1); };
  std::map<std::string, hssize_t> attached_to;  // scale path -> attachments counted here
  std::size_t variables = 0;
  for (const auto& d : summary.datasets) {
    const hid_t dataset = H5Dopen2(file, d.path.c_str(), H5P_DEFAULT);
    ASSERT_GE(dataset, 0) << d.path;
    if (H5DSis_scale(dataset) > 0) {
      attached_to.emplace(d.path, 0);
    } else if (d.type != "compound") {  // /policy/events: a table, its columns carry the dimension
      ++variables;
      for (unsigned dim = 0; dim < d.shape.size(); ++dim) {
        EXPECT_EQ(H5DSget_num_scales(dataset, dim), 1) << d.path << " dimension " << dim;
        // The coordinate of that name in the variable's own group (what the reader reports).
        ASSERT_EQ(d.dims.size(), d.shape.size()) << d.path;
        const std::string scale_path = parent_of(d.path) + d.dims[dim];
        const hid_t scale = H5Dopen2(file, scale_path.c_str(), H5P_DEFAULT);
        ASSERT_GE(scale, 0) << scale_path;
        EXPECT_GT(H5DSis_attached(dataset, scale, dim), 0) << d.path << " on " << scale_path;
        ++attached_to[scale_path];
        H5Dclose(scale);
      }
    }
    H5Dclose(dataset);
  }
  EXPECT_GE(variables, 20u);
  for (const auto& [scale_path, count] : attached_to) {
    const hid_t scale = H5Dopen2(file, scale_path.c_str(), H5P_DEFAULT);
    const bool referenced = H5Aexists(scale, "REFERENCE_LIST") > 0;
    hssize_t listed = 0;
    if (referenced) {
      const hid_t attribute = H5Aopen(scale, "REFERENCE_LIST", H5P_DEFAULT);
      const hid_t space = H5Aget_space(attribute);
      listed = H5Sget_simple_extent_npoints(space);
      H5Sclose(space);
      H5Aclose(attribute);
    }
    EXPECT_EQ(listed, count) << scale_path;
    H5Dclose(scale);
  }
  EXPECT_TRUE(attached_to.count("/by_sector/sector"));
  EXPECT_TRUE(attached_to.count("/firms/firm"));
  EXPECT_TRUE(attached_to.count("/policy/event_fields/event"));
  H5Fclose(file);
}

// The one string-attribute reader behind result files and merged sweeps: fixed- and
// variable-length strings in either character set; anything but one string throws or reads as
// "" as the caller asks; an absent attribute is "".
TEST(Hdf5Attributes, StringReaderHandlesEveryStoredForm) {
  using detail::NotOneString;
  using detail::read_string_attribute;
  TempDir dir;
  const hid_t file = H5Fcreate((dir / "a.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t scalar = H5Screate(H5S_SCALAR);
  auto write_string = [&](const char* name, bool variable, H5T_cset_t cset, const char* text) {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, variable ? H5T_VARIABLE : std::strlen(text) + 3);  // padded with NULs
    H5Tset_cset(type, cset);
    const hid_t attribute = H5Acreate2(file, name, type, scalar, H5P_DEFAULT, H5P_DEFAULT);
    if (variable) {
      H5Awrite(attribute, type, &text);
    } else {
      std::string padded(std::strlen(text) + 3, '\0');
      std::memcpy(padded.data(), text, std::strlen(text));
      H5Awrite(attribute, type, padded.data());
    }
    H5Aclose(attribute);
    H5Tclose(type);
  };
  write_string("vlen_utf8", true, H5T_CSET_UTF8, "의료 health");
  write_string("vlen_ascii", true, H5T_CSET_ASCII, "ascii");
  write_string("fixed", false, H5T_CSET_ASCII, "fixed");
  const int number = 7;
  const hid_t integer = H5Acreate2(file, "number", H5T_STD_I32LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(integer, H5T_NATIVE_INT, &number);
  H5Aclose(integer);
  const hsize_t two = 2;
  const hid_t pair_space = H5Screate_simple(1, &two, nullptr);
  const hid_t string_type = H5Tcopy(H5T_C_S1);
  H5Tset_size(string_type, H5T_VARIABLE);
  const char* pair[2] = {"a", "b"};
  const hid_t strings = H5Acreate2(file, "two_strings", string_type, pair_space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(strings, string_type, pair);
  H5Aclose(strings);
  H5Tclose(string_type);
  H5Sclose(pair_space);
  H5Sclose(scalar);

  EXPECT_EQ(read_string_attribute(file, "vlen_utf8"), "의료 health");
  EXPECT_EQ(read_string_attribute(file, "vlen_ascii"), "ascii");
  EXPECT_EQ(read_string_attribute(file, "fixed"), "fixed");
  EXPECT_EQ(read_string_attribute(file, "absent"), "");
  EXPECT_THROW(read_string_attribute(file, "number"), std::runtime_error);
  EXPECT_THROW(read_string_attribute(file, "two_strings"), std::runtime_error);
  EXPECT_EQ(read_string_attribute(file, "number", NotOneString::empty), "");
  EXPECT_EQ(read_string_attribute(file, "two_strings", NotOneString::empty), "");
  H5Fclose(file);
}

TEST(ResultFile, RoundTripWithoutCompressionOrSnapshotsOrRoles) {
  TempDir dir;
  RunResult written = synthetic_result();
  written.sector_roles.clear();
  written.snapshots.push_back(FirmSnapshot{2021.5, {{"capital", "1e8 KRW", "capital stock", {}},
                                                    {"sector", "1", "sector index", {}}}});
  ResultWriteOptions options;
  options.firm_deflate_level = 0;
  options.sync = false;
  write_result(written, dir / "plain.h5", options);
  expect_same_result(written, read_result(dir / "plain.h5"));

  written.snapshots.clear();
  written.events.clear();
  write_result(written, dir / "no_firms.h5");
  expect_same_result(written, read_result(dir / "no_firms.h5"));
}

// Snapshots of several chunks (2^16 slots each), a row ending inside a chunk and one ending
// chunks before the widest: the chunks are compressed on TBB's threads and stored directly
// (sim/src/chunk_filters.cpp). They read back exactly, and the file is the same bytes whether
// one thread or two compressed them.
TEST(ResultFile, LargeSnapshotsRoundTripAndAreTheSameOnAnyThreadCount) {
  TempDir dir;
  RunResult written = synthetic_result();
  auto snapshot = [](double time, std::size_t slots) {
    FirmSnapshot s;
    s.time = time;
    FirmColumn capital{"capital", "1e8 KRW", "capital stock", std::vector<double>(slots)};
    FirmColumn alive{"alive", "1", "alive", std::vector<double>(slots)};
    for (std::size_t i = 0; i < slots; ++i) {
      capital.values[i] = i % 5 == 0 ? kNaN : std::exp(std::sin(static_cast<double>(i)) * 3.0 + time * 1e-3);
      alive.values[i] = i % 5 == 0 ? 0.0 : 1.0;
    }
    s.columns = {capital, alive};
    return s;
  };
  written.snapshots = {snapshot(2019.0, 200'001), snapshot(2020.0, 70'000), snapshot(2021.0, 262'144)};
  ResultWriteOptions options;
  options.created = "2026-12-04T00:00:00Z";
  options.sync = false;
  // Every stored chunk of a firm column: its offset, filter mask and bytes, in HDF5's index order.
  auto stored_chunks = [](const fs::path& path, const char* column) {
    std::vector<std::string> chunks;
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    const hid_t dataset = H5Dopen2(file, (std::string("/firms/") + column).c_str(), H5P_DEFAULT);
    const hid_t space = H5Dget_space(dataset);  // HDF5 1.10 does not take H5S_ALL here
    hsize_t count = 0;
    EXPECT_GE(H5Dget_num_chunks(dataset, space, &count), 0);
    for (hsize_t k = 0; k < count; ++k) {
      hsize_t offset[2];
      unsigned mask = 0;
      haddr_t address;
      hsize_t size = 0;
      EXPECT_GE(H5Dget_chunk_info(dataset, space, k, offset, &mask, &address, &size), 0);
      std::string bytes(size, '\0');
      std::uint32_t read_mask = 0;
      EXPECT_GE(H5Dread_chunk(dataset, H5P_DEFAULT, offset, &read_mask, bytes.data()), 0);
      chunks.push_back(std::to_string(offset[0]) + "," + std::to_string(offset[1]) + "," + std::to_string(mask) + ":" + bytes);
    }
    H5Sclose(space);
    H5Dclose(dataset);
    H5Fclose(file);
    return chunks;
  };
  std::vector<std::vector<std::string>> chunks;
  for (const int threads : {1, 2}) {
    const fs::path path = dir / ("threads" + std::to_string(threads) + ".h5");
    tbb::task_arena(threads).execute([&] { write_result(written, path, options); });
    expect_same_result(written, read_result(path));
    chunks.push_back(stored_chunks(path, "capital"));
    for (const auto& chunk : stored_chunks(path, "alive")) chunks.back().push_back(chunk);
  }
  // Rows of 200,001, 70,000 and 262,144 slots: 4 + 2 + 4 chunks in each of the two columns.
  EXPECT_EQ(chunks[0].size(), 20u);
  EXPECT_TRUE(chunks[0] == chunks[1]) << "the stored chunks depend on the number of threads";
}

TEST(ResultFile, EmptyRunRoundTrips) {
  TempDir dir;
  RunResult empty;
  empty.title = "empty";
  write_result(empty, dir / "empty.h5");
  expect_same_result(empty, read_result(dir / "empty.h5"));
}

TEST(ResultFile, BadSeriesLengthThrowsMidWriteAndLeavesNoFile) {
  TempDir dir;
  RunResult bad = synthetic_result();
  bad.by_sector[1].values.pop_back();  // written after /aggregate: the writer is half-way through
  EXPECT_THROW(write_result(bad, dir / "run.h5"), std::invalid_argument);
  EXPECT_EQ(entries_in(dir.path()), 0u);
}

TEST(ResultFile, FailedWriteKeepsThePreviousFile) {
  TempDir dir;
  const RunResult good = synthetic_result();
  write_result(good, dir / "run.h5");
  RunResult bad = synthetic_result();
  bad.snapshots[2].columns[1].values.push_back(1.0);  // firm columns of unequal length
  bad.title = "bad";
  EXPECT_THROW(write_result(bad, dir / "run.h5"), std::invalid_argument);
  EXPECT_EQ(entries_in(dir.path()), 1u);
  EXPECT_EQ(read_result(dir / "run.h5").title, good.title);
}

TEST(ResultFile, FailedRenameRemovesTheTemporaryFile) {
  TempDir dir;
  fs::create_directories(dir / "run.h5" / "occupied");  // a non-empty folder cannot be replaced
  EXPECT_THROW(write_result(synthetic_result(), dir / "run.h5"), std::exception);
  EXPECT_EQ(entries_in(dir.path()), 1u);
  EXPECT_TRUE(fs::is_directory(dir / "run.h5"));
}

TEST(ResultFile, RejectsDuplicateAndReservedNames) {
  TempDir dir;
  RunResult duplicate = synthetic_result();
  duplicate.aggregate[1].name = "output";
  EXPECT_THROW(write_result(duplicate, dir / "a.h5"), std::invalid_argument);
  RunResult reserved = synthetic_result();
  reserved.by_sector[0].name = "sector";
  EXPECT_THROW(write_result(reserved, dir / "b.h5"), std::invalid_argument);
  RunResult clash = synthetic_result();
  clash.policy_by_sector[0].name = "infrastructure";  // same group as policy[0]
  EXPECT_THROW(write_result(clash, dir / "c.h5"), std::invalid_argument);
  RunResult slash = synthetic_result();
  slash.convergence[0].name = "a/b";
  EXPECT_THROW(write_result(slash, dir / "d.h5"), std::invalid_argument);
  EXPECT_EQ(entries_in(dir.path()), 0u);
}

TEST(ResultFile, MissingFolderIsInputError) {
  TempDir dir;
  EXPECT_THROW(write_result(synthetic_result(), dir / "missing" / "run.h5"), InputError);
}

TEST(ResultFile, ForeignFilesAreInputErrors) {
  TempDir dir;
  convsim::testing::write_text(dir / "text.h5", "this is not HDF5\n");
  EXPECT_THROW(read_result(dir / "text.h5"), InputError);
  EXPECT_THROW(read_result(dir / "absent.h5"), InputError);
  EXPECT_THROW(describe_result(dir / "text.h5"), InputError);
  try {
    read_result(dir / "text.h5");
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), (dir / "text.h5").string());
    EXPECT_NE(std::string(e.what()).find("not a convsim result"), std::string::npos) << e.what();
  }

  // A valid HDF5 file that is not a convsim result.
  const hid_t file = H5Fcreate((dir / "other.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  H5Fclose(file);
  EXPECT_THROW(read_result(dir / "other.h5"), InputError);
  EXPECT_FALSE(is_complete_result(dir / "other.h5"));
}

TEST(ResultFile, IsCompleteResult) {
  TempDir dir;
  write_result(synthetic_result(), dir / "run.h5");
  EXPECT_TRUE(is_complete_result(dir / "run.h5"));
  EXPECT_TRUE(is_complete_result(dir / "run.h5", "0123456789abcdef"));
  EXPECT_FALSE(is_complete_result(dir / "run.h5", "another-hash"));
  EXPECT_FALSE(is_complete_result(dir / "absent.h5"));
  EXPECT_FALSE(is_complete_result(dir.path()));

  const std::string bytes = convsim::testing::read_text(dir / "run.h5");
  convsim::testing::write_text(dir / "truncated.h5", bytes.substr(0, bytes.size() / 2));
  EXPECT_FALSE(is_complete_result(dir / "truncated.h5"));
  EXPECT_THROW(read_result(dir / "truncated.h5"), InputError);
  convsim::testing::write_text(dir / "garbage.h5", std::string(4096, '\x5a'));
  EXPECT_FALSE(is_complete_result(dir / "garbage.h5"));
  convsim::testing::write_text(dir / "empty.h5", "");
  EXPECT_FALSE(is_complete_result(dir / "empty.h5"));
}

TEST(ResultFile, DescribeListsAttributesAndDatasets) {
  TempDir dir;
  ResultWriteOptions options;
  options.created = "2024-01-02T03:04:05Z";
  write_result(synthetic_result(), dir / "run.h5", options);
  const ResultSummary s = describe_result(dir / "run.h5");
  EXPECT_EQ(s.time_count, 5u);
  EXPECT_EQ(s.sector_count, 3u);
  EXPECT_DOUBLE_EQ(s.time_first, 2020.0);
  EXPECT_DOUBLE_EQ(s.time_last, 2021.0);
  EXPECT_EQ(s.snapshot_count, 3u);
  EXPECT_EQ(s.event_count, 2u);
  EXPECT_EQ(s.sectors, synthetic_result().sectors);
  EXPECT_GT(s.file_bytes, 0u);
  EXPECT_EQ(s.attribute("convsim_format"), kResultFormat);
  EXPECT_EQ(s.attribute("seed"), "18446744073709551557");
  EXPECT_EQ(s.attribute("steps_per_year"), "4");
  EXPECT_EQ(s.attribute("created"), "2024-01-02T03:04:05Z");
  EXPECT_EQ(s.attribute("Conventions"), "CF-1.8");
  EXPECT_EQ(s.attribute("convsim_version"), convsim_version());
  EXPECT_EQ(s.attribute("git_revision"), convsim_git_revision());

  auto find = [&](const std::string& path) -> const DatasetSummary* {
    for (const auto& d : s.datasets) {
      if (d.path == path) return &d;
    }
    return nullptr;
  };
  const DatasetSummary* output = find("/by_sector/output");
  ASSERT_NE(output, nullptr);
  EXPECT_EQ(output->shape, (std::vector<std::uint64_t>{5, 3}));
  EXPECT_EQ(output->dims, (std::vector<std::string>{"time", "sector"}));
  EXPECT_EQ(output->units, "persons");
  EXPECT_EQ(output->type, "float64");
  const DatasetSummary* capital = find("/firms/capital");
  ASSERT_NE(capital, nullptr);
  EXPECT_EQ(capital->shape, (std::vector<std::uint64_t>{3, 7}));
  EXPECT_EQ(capital->dims, (std::vector<std::string>{"time", "firm"}));
  const DatasetSummary* time = find("/time");
  ASSERT_NE(time, nullptr);
  EXPECT_EQ(time->units, "year");
  ASSERT_NE(find("/policy/events"), nullptr);
  EXPECT_EQ(find("/policy/events")->type, "compound");
}

TEST(ResultFile, VersionStrings) {
  EXPECT_STRNE(convsim_version(), "");
  EXPECT_STRNE(convsim_git_revision(), "");
  EXPECT_EQ(hdf5_library_version().substr(0, 2), "1.");
}

}  // namespace
}  // namespace convsim
