// Counter-based draws: pure functions of their key and counter, well distributed, independent
// across purposes.
#include <gtest/gtest.h>

#include <cmath>

#include "convsim/rng.hpp"

namespace convsim {
namespace {

TEST(RandomBlock, SameKeyAndCounterGiveTheSameDraws) {
  const RandomBlock a(42, 7, Purpose::innovation, 3);
  const RandomBlock b(42, 7, Purpose::innovation, 3);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(a.bits(i), b.bits(i));
}

TEST(RandomBlock, EachKeyPartChangesTheDraws) {
  const RandomBlock base(42, 7, Purpose::innovation, 3, 0);
  EXPECT_NE(base.bits(0), RandomBlock(43, 7, Purpose::innovation, 3, 0).bits(0));
  EXPECT_NE(base.bits(0), RandomBlock(42, 8, Purpose::innovation, 3, 0).bits(0));
  EXPECT_NE(base.bits(0), RandomBlock(42, 7, Purpose::adoption, 3, 0).bits(0));
  EXPECT_NE(base.bits(0), RandomBlock(42, 7, Purpose::innovation, 4, 0).bits(0));
  EXPECT_NE(base.bits(0), RandomBlock(42, 7, Purpose::innovation, 3, 1).bits(0));
  // The high half of the seed matters too.
  EXPECT_NE(base.bits(0), RandomBlock(42 + (1ull << 40), 7, Purpose::innovation, 3, 0).bits(0));
}

TEST(RandomBlock, UniformsAreOpenAndMomentsMatch) {
  constexpr int kDraws = 200000;
  double sum = 0, sum_sq = 0, exp_sum = 0, normal_sum = 0, normal_sq = 0;
  for (int k = 0; k < kDraws; ++k) {
    const RandomBlock r(1, static_cast<std::uint64_t>(k), Purpose::user, 0);
    const double u = r.uniform(0);
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum_sq += u * u;
    exp_sum += r.exponential(1, 2.0);
    const double z = r.normal(2);
    normal_sum += z;
    normal_sq += z * z;
  }
  // Standard errors: uniform mean 1/sqrt(12 n) ~ 6.5e-4; allow 5 of them.
  EXPECT_NEAR(sum / kDraws, 0.5, 0.0033);
  EXPECT_NEAR(sum_sq / kDraws - 0.25, 1.0 / 12.0, 0.002);
  EXPECT_NEAR(exp_sum / kDraws, 2.0, 0.025);
  EXPECT_NEAR(normal_sum / kDraws, 0.0, 0.012);
  EXPECT_NEAR(normal_sq / kDraws, 1.0, 0.02);
}

TEST(RandomBlock, PurposesAreUncorrelated) {
  constexpr int kDraws = 100000;
  double sxy = 0, sx = 0, sy = 0, sxx = 0, syy = 0;
  for (int k = 0; k < kDraws; ++k) {
    const double x = RandomBlock(5, static_cast<std::uint64_t>(k), Purpose::innovation, 1).uniform(0);
    const double y = RandomBlock(5, static_cast<std::uint64_t>(k), Purpose::adoption, 1).uniform(0);
    sxy += x * y;
    sx += x;
    sy += y;
    sxx += x * x;
    syy += y * y;
  }
  const double n = kDraws;
  const double corr = (sxy / n - sx / n * sy / n) /
                      std::sqrt((sxx / n - sx / n * sx / n) * (syy / n - sy / n * sy / n));
  EXPECT_LT(std::abs(corr), 0.015);  // 1/sqrt(n) ~ 0.003
}

TEST(HazardProbability, MatchesOneMinusExp) {
  EXPECT_DOUBLE_EQ(hazard_probability(0.0, 1.0), 0.0);
  EXPECT_NEAR(hazard_probability(0.5, 2.0), 1.0 - std::exp(-1.0), 1e-15);
  EXPECT_NEAR(hazard_probability(1e-12, 1.0), 1e-12, 1e-24);  // accurate for tiny hazards
}

}  // namespace
}  // namespace convsim
