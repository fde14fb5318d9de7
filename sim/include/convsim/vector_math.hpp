// exp and log on N doubles at once (8 with AVX-512, 4 with AVX2, 2 with SSE2), for the firm passes.
//
// The algorithms are fdlibm's (Sun Microsystems, 1993; as in FreeBSD's and musl's libm): exp by
// Cody-Waite reduction x = k ln2 + r and a rational approximation of e^r, log by x = 2^k m with m
// in [sqrt(2)/2, sqrt(2)) and a degree-14 polynomial in s = f / (2 + f), f = m - 1. Both are
// within 1 ulp of the exact value (fdlibm's error analysis; tests/sim/vector_math_test.cpp checks
// it against long double). They use only IEEE additions, multiplications, divisions and integer
// operations on the bits, and no fused multiply-add (convsim builds with -ffp-contract=off), so a
// lane's result does not depend on the instruction set that computes it (SSE2, AVX2 or AVX-512),
// on its lane, or on the other lanes: the same run gives the same bits on every x86-64 machine and
// with any chunking of the firms.
//
// Values are GCC vector extensions of N lanes (Lanes<N>), N chosen by the caller for the
// instruction set it is compiled for. Every function here is always inlined, so no vector crosses
// a call boundary (whose ABI would depend on the instruction set).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

// The vectors never cross a call (every function is inlined), so the ABI notes do not apply.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace convsim::simd {

// Vectors of N lanes: a kernel compiled for AVX-512 uses N = 8, for AVX2 N = 4, for baseline
// x86-64 (SSE2) N = 2, so that every operation, comparisons and selects included, maps to one
// native instruction (wider generic vectors make GCC fall back to scalar code for those).
template <int N>
struct Lanes {
  typedef double Doubles __attribute__((vector_size(8 * N)));
  typedef std::int64_t Int64s __attribute__((vector_size(8 * N)));
  // Bits are shifted as unsigned: AVX2 has no arithmetic shift of 64-bit lanes (AVX-512 has).
  typedef std::uint64_t Uint64s __attribute__((vector_size(8 * N)));
  typedef float Floats __attribute__((vector_size(4 * N)));
  typedef std::uint32_t Uint32s __attribute__((vector_size(4 * N)));
  typedef std::uint8_t Bytes __attribute__((vector_size(N)));
};

#define CONVSIM_SIMD_INLINE [[gnu::always_inline]] inline

// Every function takes the lane count N explicitly (GCC drops a vector type's attribute when the
// type is a template argument, so the vector types are never deduced).
template <int N>
CONVSIM_SIMD_INLINE typename Lanes<N>::Doubles broadcast(double v) { return typename Lanes<N>::Doubles{} + v; }
template <int N>
CONVSIM_SIMD_INLINE typename Lanes<N>::Int64s bits_of(typename Lanes<N>::Doubles v) {
  return std::bit_cast<typename Lanes<N>::Int64s>(v);
}
template <int N>
CONVSIM_SIMD_INLINE typename Lanes<N>::Doubles doubles_of(typename Lanes<N>::Int64s v) {
  return std::bit_cast<typename Lanes<N>::Doubles>(v);
}
template <int N>
CONVSIM_SIMD_INLINE typename Lanes<N>::Uint64s unsigned_of(typename Lanes<N>::Int64s v) {
  return std::bit_cast<typename Lanes<N>::Uint64s>(v);
}
template <int N>
CONVSIM_SIMD_INLINE typename Lanes<N>::Int64s signed_of(typename Lanes<N>::Uint64s v) {
  return std::bit_cast<typename Lanes<N>::Int64s>(v);
}
// Lanewise mask ? a : b for a mask from a comparison (all bits set or clear in each lane).
template <int N>
CONVSIM_SIMD_INLINE typename Lanes<N>::Doubles select(typename Lanes<N>::Int64s mask, typename Lanes<N>::Doubles a,
                                                      typename Lanes<N>::Doubles b) {
  return doubles_of<N>((mask & bits_of<N>(a)) | (~mask & bits_of<N>(b)));
}

// Loads `count` (at most N) values from p into a vector V of N lanes of T; lanes at and past count
// get `pad`.
template <int N, typename T, typename V>
CONVSIM_SIMD_INLINE void load_into(V& v, const T* p, std::size_t count, T pad) {
  if (count == N) {
    std::memcpy(&v, p, sizeof v);
  } else {
    for (std::size_t l = 0; l < N; ++l) v[l] = l < count ? p[l] : pad;
  }
}
template <int N>
CONVSIM_SIMD_INLINE typename Lanes<N>::Doubles load(const double* p, std::size_t count, double pad) {
  typename Lanes<N>::Doubles v;
  load_into<N>(v, p, count, pad);
  return v;
}
// Floats, widened to doubles (exactly).
template <int N>
CONVSIM_SIMD_INLINE typename Lanes<N>::Doubles load(const float* p, std::size_t count, float pad) {
  typename Lanes<N>::Floats v;
  load_into<N>(v, p, count, pad);
  return __builtin_convertvector(v, typename Lanes<N>::Doubles);
}
// Unsigned 32-bit integers as doubles, exactly: 2^52 + u has u in its low mantissa bits.
template <int N>
CONVSIM_SIMD_INLINE typename Lanes<N>::Doubles load(const std::uint32_t* p, std::size_t count, std::uint32_t pad) {
  typename Lanes<N>::Uint32s v;
  load_into<N>(v, p, count, pad);
  const typename Lanes<N>::Int64s wide = __builtin_convertvector(v, typename Lanes<N>::Int64s);
  return doubles_of<N>(wide | 0x4330000000000000LL) - 0x1p52;
}
// All bits set in the lanes whose byte is not 0 (and below count).
template <int N>
CONVSIM_SIMD_INLINE typename Lanes<N>::Int64s nonzero(const std::uint8_t* p, std::size_t count) {
  typename Lanes<N>::Bytes v;
  load_into<N>(v, p, count, std::uint8_t{0});
  return __builtin_convertvector(v, typename Lanes<N>::Int64s) != 0;
}
// Stores the first `count` lanes of v to p.
template <int N>
CONVSIM_SIMD_INLINE void store(double* p, typename Lanes<N>::Doubles v, std::size_t count) {
  if (count == N) {
    std::memcpy(p, &v, sizeof v);
  } else {
    for (std::size_t l = 0; l < count; ++l) p[l] = v[l];
  }
}
// Rounded to nearest, as static_cast<float>.
template <int N>
CONVSIM_SIMD_INLINE void store(float* p, typename Lanes<N>::Doubles v, std::size_t count) {
  const typename Lanes<N>::Floats f = __builtin_convertvector(v, typename Lanes<N>::Floats);
  if (count == N) {
    std::memcpy(p, &f, sizeof f);
  } else {
    for (std::size_t l = 0; l < count; ++l) p[l] = f[l];
  }
}
// Each lane rounded to float and back (what storing to a float column and reading it gives).
template <int N>
CONVSIM_SIMD_INLINE typename Lanes<N>::Doubles round_to_float(typename Lanes<N>::Doubles v) {
  return __builtin_convertvector(__builtin_convertvector(v, typename Lanes<N>::Floats), typename Lanes<N>::Doubles);
}

// e^x for every lane (fdlibm e_exp.c). Overflow gives +inf, underflow 0 or a subnormal, NaN stays NaN.
template <int N>
CONVSIM_SIMD_INLINE typename Lanes<N>::Doubles exp(typename Lanes<N>::Doubles x) {
  using Doubles = typename Lanes<N>::Doubles;
  using Int64s = typename Lanes<N>::Int64s;
  constexpr double kInvLn2 = 1.44269504088896338700e+00;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 32 bits: k * kLn2Hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kP1 = 1.66666666666666019037e-01, kP2 = -2.77777777770155933842e-03, kP3 = 6.61375632143793436117e-05,
                   kP4 = -1.65339022054652515390e-06, kP5 = 4.13813679705723846039e-08;
  // Past these every result is +inf or 0; clamping keeps k (below) within the exponent's range.
  const Doubles lo = broadcast<N>(-746.0), hi = broadcast<N>(710.0);
  Doubles xc = select<N>(x < lo, lo, x);
  xc = select<N>(xc > hi, hi, xc);
  // k = x / ln2 rounded to the nearest integer: adding 1.5 * 2^52 leaves it in the low bits.
  const Doubles shifter = broadcast<N>(0x1.8p52);
  const Doubles kd_shifted = xc * kInvLn2 + shifter;
  const Int64s k = bits_of<N>(kd_shifted) - bits_of<N>(shifter);
  const Doubles kd = kd_shifted - shifter;
  const Doubles high = xc - kd * kLn2Hi;
  const Doubles low = kd * kLn2Lo;
  const Doubles r = high - low;
  const Doubles t = r * r;
  const Doubles c = r - t * (kP1 + t * (kP2 + t * (kP3 + t * (kP4 + t * kP5))));
  const Doubles y = 1.0 - ((low - (r * c) / (2.0 - c)) - high);
  // y * 2^k in two factors, so that k below -1022 (a subnormal result) or at 1024 is reached:
  // the first product is exact, the second rounds once.
  // (k + 2048 is positive, so the unsigned shift halves it.)
  const Int64s k1 = signed_of<N>(unsigned_of<N>(k + 2048) >> 1) - 1024;
  const Int64s k2 = k - k1;
  return y * doubles_of<N>((k1 + 1023) << 52) * doubles_of<N>((k2 + 1023) << 52);
}

// The natural logarithm of every lane (fdlibm e_log.c, in musl's branch-free form): log 0 = -inf,
// log of a negative number or NaN is NaN, log +inf = +inf; subnormal inputs are exact.
template <int N>
CONVSIM_SIMD_INLINE typename Lanes<N>::Doubles log(typename Lanes<N>::Doubles x) {
  using Doubles = typename Lanes<N>::Doubles;
  using Int64s = typename Lanes<N>::Int64s;
  using Uint64s = typename Lanes<N>::Uint64s;
  constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kLg1 = 6.666666666666735130e-01, kLg2 = 3.999999999940941908e-01, kLg3 = 2.857142874366239149e-01,
                   kLg4 = 2.222219843214978396e-01, kLg5 = 1.818357216161805012e-01, kLg6 = 1.531383769920937332e-01,
                   kLg7 = 1.479819860511658591e-01;
  // Subnormals: scale into the normal range first.
  const Int64s subnormal = x < broadcast<N>(0x1p-1022);
  const Doubles xs = select<N>(subnormal, x * 0x1p54, x);
  const Int64s bits = bits_of<N>(xs);
  const Uint64s ubits = unsigned_of<N>(bits);
  // The high 20 mantissa bits decide whether m is taken in [1, sqrt 2) or [sqrt(2)/2, 1).
  const Int64s high20 = signed_of<N>(ubits >> 32) & 0xfffff;
  const Int64s above_sqrt2 = (high20 + 0x95f64) & 0x100000;  // 0 or 2^20
  const Int64s exponent = signed_of<N>(ubits >> 52) & 0x7ff;
  const Int64s k = exponent - 1023 + signed_of<N>(unsigned_of<N>(above_sqrt2) >> 20) - (subnormal & 54);
  const Doubles m = doubles_of<N>((bits & 0x000fffffffffffffLL) | ((above_sqrt2 ^ 0x3ff00000) << 32));
  const Doubles f = m - 1.0;
  const Doubles hfsq = 0.5 * f * f;
  const Doubles s = f / (2.0 + f);
  const Doubles z = s * s;
  const Doubles w = z * z;
  const Doubles t1 = w * (kLg2 + w * (kLg4 + w * kLg6));
  const Doubles t2 = z * (kLg1 + w * (kLg3 + w * (kLg5 + w * kLg7)));
  const Doubles r = t2 + t1;
  // k as a double, exactly (|k| < 2^51 keeps 1.5 * 2^52 + k in one binade).
  const Doubles dk = doubles_of<N>(k + bits_of<N>(broadcast<N>(0x1.8p52))) - 0x1.8p52;
  Doubles result = s * (hfsq + r) + dk * kLn2Lo - hfsq + f + dk * kLn2Hi;
  // Special inputs, in the order that lets the later ones win.
  const Doubles inf = broadcast<N>(__builtin_inf());
  result = select<N>(x == inf, inf, result);
  result = select<N>(x == 0.0, -inf, result);
  result = select<N>(x < 0.0, broadcast<N>(__builtin_nan("")), result);
  result = select<N>(x != x, x, result);
  return result;
}

// The same functions on one value (lane 0 of a broadcast): bit for bit what a lane gives.
inline double exp(double x) { return exp<2>(broadcast<2>(x))[0]; }
inline double log(double x) { return log<2>(broadcast<2>(x))[0]; }

}  // namespace convsim::simd

#pragma GCC diagnostic pop
