// RandomBatch computes Philox4x32-10 blocks many at a time (AVX2 where the CPU has it): every
// lane must equal the scalar RandomBlock of Random123 bit for bit, or draws would depend on the
// machine and common random numbers across builds would break.
#include <gtest/gtest.h>

#include <vector>

#include "convsim/models/random_batch.hpp"
#include "convsim/rng.hpp"

namespace convsim::models {
namespace {

TEST(RandomBatch, EveryLaneEqualsTheScalarBlock) {
  const std::uint64_t seeds[] = {0, 1, 20140401, 0xFFFFFFFFull, 0x123456789ABCDEF0ull};
  const Purpose purposes[] = {Purpose::innovation, Purpose::firm_productivity, Purpose::user};
  const std::uint64_t steps[] = {0, 1, 41, 0xFFFFFFFFull};
  std::vector<std::uint32_t> entity(RandomBatch::kLanes);
  std::size_t checked = 0;
  for (const std::uint64_t seed : seeds) {
    for (const Purpose purpose : purposes) {
      for (const std::uint64_t step : steps) {
        for (std::uint32_t start : {0u, 1000u, 0xFFFFFFF0u}) {
          for (std::size_t count : {RandomBatch::kLanes, std::size_t{5}}) {
            for (std::size_t l = 0; l < RandomBatch::kLanes; ++l) entity[l] = start + static_cast<std::uint32_t>(l * 7919);
            RandomBatch batch;
            batch.generate(seed, entity.data(), count, purpose, step, 3);
            for (std::size_t l = 0; l < count; ++l) {
              const RandomBlock expected(seed, entity[l], purpose, step, 3);
              for (int k = 0; k < 4; ++k) {
                ASSERT_EQ(batch[l].bits(k), expected.bits(k)) << "seed " << seed << " entity " << entity[l] << " draw " << k;
              }
              ++checked;
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, 5u * 3u * 4u * 3u * (RandomBatch::kLanes + 5u));
}

}  // namespace
}  // namespace convsim::models
