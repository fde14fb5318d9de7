#include "convsim/models/random_batch.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace convsim::models {
namespace {

constexpr std::uint32_t kM0 = 0xD2511F53u;  // Random123's PHILOX_M4x32_0
constexpr std::uint32_t kM1 = 0xCD9E8D57u;  // PHILOX_M4x32_1
constexpr std::uint32_t kW0 = 0x9E3779B9u;  // PHILOX_W32_0 (key bump)
constexpr std::uint32_t kW1 = 0xBB67AE85u;  // PHILOX_W32_1
constexpr int kRounds = 10;

using Lanes = std::uint32_t[RandomBatch::kLanes];

// Ten Philox rounds over every lane: round r uses the key bumped r times (as philox4x32_R).
void philox_rounds_scalar(Lanes& x0, Lanes& x1, Lanes& x2, Lanes& x3, std::uint32_t k0, std::uint32_t k1) {
  for (int r = 0; r < kRounds; ++r) {
    for (std::size_t l = 0; l < RandomBatch::kLanes; ++l) {
      const std::uint64_t p0 = static_cast<std::uint64_t>(kM0) * x0[l];
      const std::uint64_t p1 = static_cast<std::uint64_t>(kM1) * x2[l];
      const std::uint32_t y0 = static_cast<std::uint32_t>(p1 >> 32) ^ x1[l] ^ k0;
      const std::uint32_t y2 = static_cast<std::uint32_t>(p0 >> 32) ^ x3[l] ^ k1;
      x1[l] = static_cast<std::uint32_t>(p1);
      x3[l] = static_cast<std::uint32_t>(p0);
      x0[l] = y0;
      x2[l] = y2;
    }
    k0 += kW0;
    k1 += kW1;
  }
}

#if defined(__x86_64__)
// The same rounds eight lanes at a time with AVX2: vpmuludq multiplies the even 32-bit lanes to
// 64 bits, so the odd lanes are shifted down and multiplied separately; high and low halves are
// then blended back into lane order.
__attribute__((target("avx2"))) void philox_rounds_avx2(Lanes& x0, Lanes& x1, Lanes& x2, Lanes& x3, std::uint32_t k0,
                                                        std::uint32_t k1) {
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kM0));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(kM1));
  for (std::size_t l = 0; l < RandomBatch::kLanes; l += 8) {
    __m256i a0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(&x0[l]));
    __m256i a1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(&x1[l]));
    __m256i a2 = _mm256_load_si256(reinterpret_cast<const __m256i*>(&x2[l]));
    __m256i a3 = _mm256_load_si256(reinterpret_cast<const __m256i*>(&x3[l]));
    std::uint32_t key0 = k0, key1 = k1;
    for (int r = 0; r < kRounds; ++r) {
      const __m256i even0 = _mm256_mul_epu32(a0, m0);
      const __m256i odd0 = _mm256_mul_epu32(_mm256_srli_epi64(a0, 32), m0);
      const __m256i even1 = _mm256_mul_epu32(a2, m1);
      const __m256i odd1 = _mm256_mul_epu32(_mm256_srli_epi64(a2, 32), m1);
      const __m256i lo0 = _mm256_blend_epi32(even0, _mm256_slli_epi64(odd0, 32), 0xAA);
      const __m256i hi0 = _mm256_blend_epi32(_mm256_srli_epi64(even0, 32), odd0, 0xAA);
      const __m256i lo1 = _mm256_blend_epi32(even1, _mm256_slli_epi64(odd1, 32), 0xAA);
      const __m256i hi1 = _mm256_blend_epi32(_mm256_srli_epi64(even1, 32), odd1, 0xAA);
      a0 = _mm256_xor_si256(_mm256_xor_si256(hi1, a1), _mm256_set1_epi32(static_cast<int>(key0)));
      a1 = lo1;
      a2 = _mm256_xor_si256(_mm256_xor_si256(hi0, a3), _mm256_set1_epi32(static_cast<int>(key1)));
      a3 = lo0;
      key0 += kW0;
      key1 += kW1;
    }
    _mm256_store_si256(reinterpret_cast<__m256i*>(&x0[l]), a0);
    _mm256_store_si256(reinterpret_cast<__m256i*>(&x1[l]), a1);
    _mm256_store_si256(reinterpret_cast<__m256i*>(&x2[l]), a2);
    _mm256_store_si256(reinterpret_cast<__m256i*>(&x3[l]), a3);
  }
}

// Called from a static initialiser: GCC asks for __builtin_cpu_init before __builtin_cpu_supports there.
const bool kHaveAvx2 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
}();
#endif

void philox_rounds(Lanes& x0, Lanes& x1, Lanes& x2, Lanes& x3, std::uint32_t k0, std::uint32_t k1) {
#if defined(__x86_64__)
  if (kHaveAvx2) return philox_rounds_avx2(x0, x1, x2, x3, k0, k1);
#endif
  philox_rounds_scalar(x0, x1, x2, x3, k0, k1);
}

}  // namespace

void RandomBatch::generate(std::uint64_t seed, const std::uint32_t* entity, std::size_t count, Purpose purpose,
                           std::uint64_t step, std::uint32_t block) {
  // The counter and key as RandomBlock builds them; entities of firms are 32-bit uids.
  const std::uint32_t high = static_cast<std::uint32_t>(purpose) << 16;
  for (std::size_t l = 0; l < kLanes; ++l) {
    x0_[l] = l < count ? entity[l] : 0;
    x1_[l] = high;
    x2_[l] = static_cast<std::uint32_t>(step);
    x3_[l] = block;
  }
  philox_rounds(x0_, x1_, x2_, x3_, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
}

}  // namespace convsim::models
