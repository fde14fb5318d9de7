// convsim::simd's exp and log: within 1 ulp of the exact value (long double references), the
// IEEE special cases, and the same bits whatever the lane count and instruction set (baseline
// SSE2, AVX2, AVX-512), so that runs stay bit-identical across machines.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "convsim/vector_math.hpp"

#pragma GCC diagnostic ignored "-Wpsabi"

namespace convsim::simd {
namespace {

// |value - exact| in units of the last place of the double nearest to exact.
double ulp_error(double value, long double exact) {
  const double nearest = static_cast<double>(exact);
  const double ulp = std::nextafter(std::fabs(nearest), std::numeric_limits<double>::infinity()) - std::fabs(nearest);
  return static_cast<double>(std::fabs(static_cast<long double>(value) - exact) / ulp);
}

std::vector<double> exp_arguments() {
  std::mt19937_64 rng(20261203);
  std::vector<double> x;
  std::uniform_real_distribution<double> wide(-745.0, 709.7), narrow(-2.0, 2.0), tiny(-1e-10, 1e-10);
  for (int i = 0; i < 200000; ++i) x.push_back(wide(rng));
  for (int i = 0; i < 200000; ++i) x.push_back(narrow(rng));
  for (int i = 0; i < 20000; ++i) x.push_back(tiny(rng));
  // Around the reduction's rounding boundaries, k ln2 +- ln2/2.
  for (int k = -60; k <= 60; ++k) {
    const double b = (k + 0.5) * 0.6931471805599453;
    for (double x0 = std::nextafter(b, -1e9), j = 0; j < 4; ++j, x0 = std::nextafter(x0, 1e9)) x.push_back(x0);
  }
  for (double v : {0.0, -0.0, 1.0, -1.0, 0.5, 700.0, 709.78, -708.0, -740.0}) x.push_back(v);
  return x;
}

std::vector<double> log_arguments() {
  std::mt19937_64 rng(20261204);
  std::vector<double> x;
  // Uniform over the bit patterns of positive finite doubles (every binade, subnormals included).
  std::uniform_int_distribution<std::uint64_t> bits(1, 0x7fefffffffffffffULL);
  for (int i = 0; i < 200000; ++i) x.push_back(std::bit_cast<double>(bits(rng)));
  std::uniform_real_distribution<double> near_one(0.5, 2.0), sizes(0.01, 1e6);
  for (int i = 0; i < 200000; ++i) x.push_back(near_one(rng));
  for (int i = 0; i < 100000; ++i) x.push_back(sizes(rng));
  for (double v : {1.0, 2.0, 0.5, std::sqrt(2.0), std::sqrt(0.5), std::nextafter(1.0, 2.0), std::nextafter(1.0, 0.0),
                   std::numeric_limits<double>::min(), std::numeric_limits<double>::denorm_min(),
                   std::numeric_limits<double>::max()}) {
    x.push_back(v);
  }
  return x;
}

TEST(VectorMath, ExpIsWithinOneUlpOfTheExactValue) {
  double worst = 0;
  double worst_at = 0;
  for (const double x : exp_arguments()) {
    const double value = simd::exp(x);
    const long double exact = std::exp(static_cast<long double>(x));
    if (exact < static_cast<long double>(std::numeric_limits<double>::min())) continue;  // subnormal results: below
    const double e = ulp_error(value, exact);
    if (e > worst) worst = e, worst_at = x;
  }
  EXPECT_LT(worst, 1.0) << "at x = " << worst_at;
}

TEST(VectorMath, LogIsWithinOneUlpOfTheExactValue) {
  double worst = 0;
  double worst_at = 0;
  for (const double x : log_arguments()) {
    const double value = simd::log(x);
    const long double exact = std::log(static_cast<long double>(x));
    if (exact == 0) {
      EXPECT_EQ(value, 0.0);
      continue;
    }
    const double e = ulp_error(value, exact);
    if (e > worst) worst = e, worst_at = x;
  }
  EXPECT_LT(worst, 1.0) << "at x = " << worst_at;
}

TEST(VectorMath, SpecialCasesFollowIeee) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(simd::exp(0.0), 1.0);
  EXPECT_EQ(simd::exp(inf), inf);
  EXPECT_EQ(simd::exp(-inf), 0.0);
  EXPECT_EQ(simd::exp(710.0), inf);
  EXPECT_EQ(simd::exp(-746.0), 0.0);
  EXPECT_TRUE(std::isnan(simd::exp(nan)));
  // Subnormal results: within one subnormal step of the exact value.
  for (double x : {-708.5, -720.0, -740.0, -745.0}) {
    const long double exact = std::exp(static_cast<long double>(x));
    EXPECT_LE(std::fabs(static_cast<long double>(simd::exp(x)) - exact),
              static_cast<long double>(std::numeric_limits<double>::denorm_min()))
        << x;
  }
  EXPECT_EQ(simd::log(1.0), 0.0);
  EXPECT_EQ(simd::log(0.0), -inf);
  EXPECT_EQ(simd::log(-0.0), -inf);
  EXPECT_EQ(simd::log(inf), inf);
  EXPECT_TRUE(std::isnan(simd::log(-1.0)));
  EXPECT_TRUE(std::isnan(simd::log(-inf)));
  EXPECT_TRUE(std::isnan(simd::log(nan)));
}

// The same arguments through N lanes at a time; lanes past the end are padded.
template <int N>
[[gnu::always_inline]] inline void exp_log_lanes(const std::vector<double>& x, std::vector<double>& e, std::vector<double>& l) {
  e.resize(x.size());
  l.resize(x.size());
  for (std::size_t o = 0; o < x.size(); o += N) {
    const std::size_t lanes = std::min<std::size_t>(N, x.size() - o);
    const typename Lanes<N>::Doubles v = load<N>(x.data() + o, lanes, 1.0);
    store<N>(e.data() + o, exp<N>(v), lanes);
    store<N>(l.data() + o, log<N>(select<N>(v > 0.0, v, -v)), lanes);
  }
}
void lanes_baseline(const std::vector<double>& x, std::vector<double>& e, std::vector<double>& l) { exp_log_lanes<2>(x, e, l); }
__attribute__((target("avx2"))) void lanes_avx2(const std::vector<double>& x, std::vector<double>& e, std::vector<double>& l) {
  exp_log_lanes<4>(x, e, l);
}
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw"))) void lanes_avx512(const std::vector<double>& x,
                                                                                  std::vector<double>& e,
                                                                                  std::vector<double>& l) {
  exp_log_lanes<8>(x, e, l);
}

TEST(VectorMath, EveryInstructionSetGivesTheSameBits) {
  std::vector<double> x = exp_arguments();
  const std::vector<double> more = log_arguments();
  x.insert(x.end(), more.begin(), more.begin() + 100000);
  x.push_back(0.3);  // an odd count: the last vector is partial
  std::vector<double> e2, l2, e4, l4, e8, l8;
  lanes_baseline(x, e2, l2);
  // One value at a time, through lane 0.
  for (std::size_t i = 0; i < x.size(); i += 997) {
    ASSERT_EQ(std::bit_cast<std::uint64_t>(simd::exp(x[i])), std::bit_cast<std::uint64_t>(e2[i])) << x[i];
  }
  auto same_bits = [&](const std::vector<double>& a, const std::vector<double>& b, const char* what) {
    std::size_t differ = 0;
    for (std::size_t i = 0; i < a.size(); ++i) differ += std::bit_cast<std::uint64_t>(a[i]) != std::bit_cast<std::uint64_t>(b[i]);
    EXPECT_EQ(differ, 0u) << what;
  };
  if (!__builtin_cpu_supports("avx2")) GTEST_SKIP() << "this CPU has no AVX2: only the baseline path is checked";
  lanes_avx2(x, e4, l4);
  same_bits(e2, e4, "exp, avx2");
  same_bits(l2, l4, "log, avx2");
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq") || !__builtin_cpu_supports("avx512vl") ||
      !__builtin_cpu_supports("avx512bw")) {
    GTEST_SKIP() << "this CPU has no AVX-512: baseline and AVX2 checked";
  }
  lanes_avx512(x, e8, l8);
  same_bits(e2, e8, "exp, avx512");
  same_bits(l2, l8, "log, avx512");
}

}  // namespace
}  // namespace convsim::simd
