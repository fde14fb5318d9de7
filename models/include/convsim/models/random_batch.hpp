// Philox4x32-10 blocks for many counters at once: the same bits as RandomBlock (Random123's
// Philox4x32 with 10 rounds), computed lane by lane over a batch so that the compiler turns the
// 32x32->64-bit products into vector multiplies (AVX2 where the CPU has it, chosen at run time;
// integer arithmetic, so the bits never depend on the path taken). A firm pass draws the blocks of
// a batch of firms first and then uses them one firm at a time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "convsim/rng.hpp"

namespace convsim::models {

class RandomBatch {
 public:
  static constexpr std::size_t kLanes = 16;

  // Computes the blocks (seed, entity[l], purpose, step, block) for l < count (count <= kLanes).
  void generate(std::uint64_t seed, const std::uint32_t* entity, std::size_t count, Purpose purpose, std::uint64_t step,
                std::uint32_t block = 0);
  // Lane l's block, equal to RandomBlock(seed, entity[l], purpose, step, block).
  RandomBlock operator[](std::size_t l) const { return RandomBlock::from_bits(x0_[l], x1_[l], x2_[l], x3_[l]); }
  // Draw 0's raw bits of every lane (lane l's is (*this)[l].bits(0)), for kernels over the batch.
  const std::uint32_t* bits0() const { return x0_; }

 private:
  alignas(64) std::uint32_t x0_[kLanes];
  alignas(64) std::uint32_t x1_[kLanes];
  alignas(64) std::uint32_t x2_[kLanes];
  alignas(64) std::uint32_t x3_[kLanes];
};

}  // namespace convsim::models
