// The chunk filters convsim applies itself (sim/src/chunk_filters.cpp) against HDF5's own: the
// Fletcher-32 and the shuffle must be HDF5's to the bit (HDF5 checks the one and undoes the other
// when it reads), and a chunk stored with H5Dwrite_chunk must read back through H5Dread.
#include "convsim/detail/chunk_filters.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "convsim/detail/hdf5_handle.hpp"
#include "test_support.hpp"

namespace convsim {
namespace {

using convsim::testing::TempDir;
using detail::h5_check;

struct Hdf5Chunked {
  hid_t file = -1, space = -1, plist = -1, dataset = -1;
  ~Hdf5Chunked() {
    if (dataset >= 0) H5Dclose(dataset);
    if (plist >= 0) H5Pclose(plist);
    if (space >= 0) H5Sclose(space);
    if (file >= 0) H5Fclose(file);
  }
};

// A 1-D dataset of `size` elements of `type`, chunked by `chunk`, with shuffle, deflate level 1
// and Fletcher-32 in the order result files use.
void make_dataset(Hdf5Chunked& h, const std::string& path, hid_t type, hsize_t size, hsize_t chunk) {
  h.file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(h.file, 0);
  h.space = H5Screate_simple(1, &size, nullptr);
  h.plist = H5Pcreate(H5P_DATASET_CREATE);
  h5_check(H5Pset_chunk(h.plist, 1, &chunk), "H5Pset_chunk");
  h5_check(H5Pset_shuffle(h.plist), "H5Pset_shuffle");
  h5_check(H5Pset_deflate(h.plist, 1), "H5Pset_deflate");
  h5_check(H5Pset_fletcher32(h.plist), "H5Pset_fletcher32");
  h.dataset = H5Dcreate2(h.file, "x", type, h.space, H5P_DEFAULT, h.plist, H5P_DEFAULT);
  ASSERT_GE(h.dataset, 0);
}

// The bytes HDF5 stored for the chunk at `offset`.
std::vector<std::uint8_t> stored_chunk(hid_t dataset, hsize_t offset) {
  hsize_t size = 0;
  h5_check(H5Dget_chunk_storage_size(dataset, &offset, &size), "H5Dget_chunk_storage_size");
  std::vector<std::uint8_t> bytes(size);
  std::uint32_t mask = 0;
  h5_check(H5Dread_chunk(dataset, H5P_DEFAULT, &offset, &mask, bytes.data()), "H5Dread_chunk");
  EXPECT_EQ(mask, 0u) << "every filter applied";
  return bytes;
}

std::vector<double> field_values(std::size_t n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::lognormal_distribution<double> size(1.0, 1.5);
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = i % 7 == 3 ? std::nan("") : size(gen);
  return v;
}

// Chunks HDF5 compressed itself: our checksum of the compressed bytes is the one it appended,
// and inflating them gives our shuffle of the values, for doubles and for 4-byte floats.
TEST(ChunkFilters, ChecksumAndShuffleAreHdf5s) {
  TempDir dir;
  int odd_lengths = 0, chunks_checked = 0;
  for (const bool doubles : {true, false}) {
    const std::size_t n = 10'000, chunk = 1'000;
    const std::size_t width = doubles ? 8 : 4;
    std::vector<double> values = field_values(n, doubles ? 1 : 2);
    std::vector<float> floats(values.begin(), values.end());
    const void* data = doubles ? static_cast<const void*>(values.data()) : static_cast<const void*>(floats.data());
    Hdf5Chunked h;
    make_dataset(h, (dir / (doubles ? "d.h5" : "f.h5")).string(), doubles ? H5T_IEEE_F64LE : H5T_IEEE_F32LE, n, chunk);
    h5_check(H5Dwrite(h.dataset, doubles ? H5T_NATIVE_DOUBLE : H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
             "H5Dwrite");
    for (std::size_t k = 0; k < n / chunk; ++k) {
      const std::vector<std::uint8_t> bytes = stored_chunk(h.dataset, k * chunk);
      ASSERT_GT(bytes.size(), 4u);
      const std::size_t packed = bytes.size() - 4;
      std::uint32_t appended;
      std::memcpy(&appended, bytes.data() + packed, 4);
      EXPECT_EQ(detail::fletcher32(bytes.data(), packed), appended) << "chunk " << k;
      odd_lengths += packed % 2;
      std::vector<std::uint8_t> inflated(chunk * width);
      uLongf inflated_size = inflated.size();
      ASSERT_EQ(uncompress(inflated.data(), &inflated_size, bytes.data(), packed), Z_OK);
      ASSERT_EQ(inflated_size, chunk * width);
      std::vector<std::uint8_t> ours(chunk * width);
      detail::shuffle_bytes(static_cast<const std::uint8_t*>(data) + k * chunk * width, chunk, width, ours.data());
      EXPECT_EQ(inflated, ours) << "chunk " << k << ", " << width << "-byte elements";
      ++chunks_checked;
    }
  }
  EXPECT_EQ(chunks_checked, 20);
  EXPECT_GT(odd_lengths, 0) << "the odd-length branch of the checksum was not exercised";
}

// A checksum by definition on a few bytes (sum1 = Σ words, sum2 = Σ running sum1, mod 65535
// folding; the odd byte as a high half).
TEST(ChunkFilters, ChecksumOfShortInputsByHand) {
  const std::uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05};
  // words 0x0102, 0x0304, then 0x0500: sum1 = 0x0102, 0x0406, 0x0906; sum2 = 0x0102 + 0x0406 + 0x0906.
  EXPECT_EQ(detail::fletcher32(bytes, 4), (0x0102u + 0x0406u) << 16 | 0x0406u);
  EXPECT_EQ(detail::fletcher32(bytes, 5), (0x0102u + 0x0406u + 0x0906u) << 16 | 0x0906u);
  EXPECT_EQ(detail::fletcher32(bytes, 0), 0u);
}

// Chunks filtered here and stored with H5Dwrite_chunk read back exactly through H5Dread (which
// checks the checksum and inflates with zlib); a damaged byte is an error, not a wrong value.
TEST(ChunkFilters, DirectlyWrittenChunksReadBackAndAreChecked) {
  TempDir dir;
  const std::size_t n = 9'000, chunk = 1'000;
  const std::vector<double> values = field_values(n, 3);
  for (const bool damage : {false, true}) {
    Hdf5Chunked h;
    make_dataset(h, (dir / "direct.h5").string(), H5T_IEEE_F64LE, n, chunk);
    detail::ChunkFilter filter(1);
    std::vector<std::uint8_t> bytes;
    for (std::size_t k = 0; k < n / chunk; ++k) {
      filter.apply(values.data() + k * chunk, chunk, sizeof(double), bytes);
      if (damage && k == 4) bytes[bytes.size() / 2] ^= 0x10;
      const hsize_t offset = k * chunk;
      h5_check(H5Dwrite_chunk(h.dataset, H5P_DEFAULT, 0, &offset, bytes.size(), bytes.data()), "H5Dwrite_chunk");
    }
    std::vector<double> back(n, 0.0);
    herr_t status;
    H5E_BEGIN_TRY { status = H5Dread(h.dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, back.data()); }
    H5E_END_TRY;
    if (damage) {
      EXPECT_LT(status, 0) << "a damaged chunk was read without an error";
      continue;
    }
    ASSERT_GE(status, 0);
    EXPECT_EQ(std::memcmp(back.data(), values.data(), n * sizeof(double)), 0);
  }
}

TEST(ChunkFilters, RejectsLevelsOutsideDeflates) {
  EXPECT_THROW(detail::ChunkFilter(0), std::invalid_argument);
  EXPECT_THROW(detail::ChunkFilter(10), std::invalid_argument);
  EXPECT_NO_THROW(detail::ChunkFilter(9));
}

}  // namespace
}  // namespace convsim
