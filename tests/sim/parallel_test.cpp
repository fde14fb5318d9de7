// Deterministic reductions: the same bits on 1, 2 and 8 threads, even for sums whose value
// depends on the order of additions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include <tbb/global_control.h>

#include "convsim/parallel.hpp"
#include "convsim/rng.hpp"

namespace convsim {
namespace {

// Values of wildly different magnitudes: a sum in another order gives other bits.
double nasty(std::size_t i) {
  const RandomBlock r(9, i, Purpose::user, 0);
  return std::ldexp(r.uniform(0) - 0.5, static_cast<int>(r.bits(1) % 60) - 30);
}

TEST(DeterministicSum, BitIdenticalAcrossThreadCounts) {
  constexpr std::size_t kItems = 1'000'003;  // not a multiple of the chunk size
  std::vector<double> results;
  for (int threads : {1, 2, 8}) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    results.push_back(deterministic_sum(kItems, nasty));
  }
  EXPECT_EQ(std::memcmp(&results[0], &results[1], sizeof(double)), 0);
  EXPECT_EQ(std::memcmp(&results[0], &results[2], sizeof(double)), 0);

  // It is the fixed-chunk order sum, which generally differs from a plain left-to-right sum:
  // the test would not notice a reduction whose order changed if that did not matter.
  double chunked = 0;
  for (std::size_t c = 0; c < chunk_count(kItems); ++c) {
    double partial = 0;
    for (std::size_t i = c * kChunkSize; i < std::min(kItems, (c + 1) * kChunkSize); ++i) partial += nasty(i);
    chunked += partial;
  }
  double plain = 0;
  for (std::size_t i = 0; i < kItems; ++i) plain += nasty(i);
  EXPECT_EQ(results[0], chunked);
  EXPECT_NE(plain, chunked);
}

TEST(ForEachChunk, VisitsEveryItemExactlyOnce) {
  constexpr std::size_t kItems = 3 * kChunkSize + 17;
  std::vector<int> visits(kItems, 0);
  for_each_chunk(kItems, [&](std::size_t c, std::size_t begin, std::size_t end) {
    EXPECT_EQ(begin, c * kChunkSize);
    for (std::size_t i = begin; i < end; ++i) ++visits[i];
  });
  for (int v : visits) ASSERT_EQ(v, 1);
}

TEST(InclusiveScan, EqualsTheSerialPrefixSumOnAnyThreadCount) {
  // Sizes around the chunk boundaries (0, 1, one chunk, one more, several and a remainder).
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, kChunkSize - 1, kChunkSize, kChunkSize + 1, 5 * kChunkSize + 123}) {
    std::vector<std::uint64_t> values(n);
    for (std::size_t i = 0; i < n; ++i) values[i] = RandomBlock(7, i, Purpose::user, 0).bits(0) % 1000;
    std::vector<std::uint64_t> serial = values;
    for (std::size_t i = 1; i < n; ++i) serial[i] += serial[i - 1];
    for (int threads : {1, 2, 4}) {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
      std::vector<std::uint64_t> scanned = values;
      inclusive_scan_in_place(scanned.data(), n);
      EXPECT_EQ(scanned, serial) << n << " items, " << threads << " threads";
    }
  }
  std::vector<int> filled(2 * kChunkSize + 5, 3);
  parallel_fill(filled.data(), filled.size(), -1);
  for (int v : filled) ASSERT_EQ(v, -1);
}

}  // namespace
}  // namespace convsim
