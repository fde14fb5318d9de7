#include "convsim/models/firm_kernels.hpp"

#include <algorithm>
#include <cstring>

#include "convsim/vector_math.hpp"

#pragma GCC diagnostic ignored "-Wpsabi"  // vectors stay inside the inlined helpers

namespace convsim::models {
namespace {

// The kernels' bodies, for N lanes; instantiated below once per instruction set.
template <int N>
[[gnu::always_inline]] inline void labour_demand_body(const DemandConstants& k, std::size_t count, const std::uint8_t* alive,
                                                      const double* employment, const double* capital, const double* technology,
                                                      float* productivity, const float* wage_premium,
                                                      const std::uint32_t* shock_bits, const double* log_factor,
                                                      const double* log_expected_price, double* log_capital_term,
                                                      double* coefficient) {
  using namespace simd;
  using D = typename Lanes<N>::Doubles;
  using I = typename Lanes<N>::Int64s;
  for (std::size_t o = 0; o < count; o += N) {
    const std::size_t lanes = std::min<std::size_t>(N, count - o);
    const I live = nonzero<N>(alive + o, lanes);
    D own = load<N>(productivity + o, lanes, 0.0f);
    if (shock_bits != nullptr) {
      const D labour = load<N>(employment + o, lanes, 1.0);
      const D floor = broadcast<N>(k.size_floor);
      const D size = select<N>(labour < floor, floor, labour);
      const D scale = k.firm_scale * exp<N>(k.size_elasticity * log<N>(size));
      // Laplace from u = U - 1/2: ln(1 + 2u) = ln 2U below the median, -ln(1 - 2u) = -ln(2 - 2U)
      // above it (both arguments exact in double).
      const D uniform = (load<N>(shock_bits + o, lanes, 0u) + 0.5) * 0x1p-32;
      const I below = uniform - 0.5 < 0.0;
      const D logarithm = log<N>(select<N>(below, 2.0 * uniform, 2.0 - 2.0 * uniform));
      const D innovation = select<N>(below, scale, -scale) * logarithm;
      own = select<N>(live, round_to_float<N>(own + innovation), own);
      store<N>(productivity + o, own, lanes);
    }
    const D log_k = log<N>(load<N>(capital + o, lanes, 1.0));
    const D term = own + load<N>(technology + o, lanes, 0.0) + load<N>(log_factor + o, lanes, 0.0) + k.capital_elasticity * log_k;
    const D premium = load<N>(wage_premium + o, lanes, 0.0f);
    const D c = exp<N>((k.log_labour_elasticity + load<N>(log_expected_price + o, lanes, 0.0) + term - premium) *
                       k.inverse_one_minus_beta);
    store<N>(log_capital_term + o, term, lanes);
    store<N>(coefficient + o, c, lanes);
  }
}

template <int N>
[[gnu::always_inline]] inline void production_body(const ProductionConstants& k, std::size_t count, const std::uint8_t* alive,
                                                   const double* coefficient, const double* log_capital_term,
                                                   double* employment, double* output, double* employment_start) {
  using namespace simd;
  using D = typename Lanes<N>::Doubles;
  using I = typename Lanes<N>::Int64s;
  for (std::size_t o = 0; o < count; o += N) {
    const std::size_t lanes = std::min<std::size_t>(N, count - o);
    const I live = nonzero<N>(alive + o, lanes);
    const D labour = load<N>(employment + o, lanes, 0.0);
    const D plan = k.hiring * (load<N>(coefficient + o, lanes, 0.0) * k.wage_power - labour);
    const D change = select<N>(plan > 0.0, k.hire_share * plan, plan);
    const D labour_next = (labour + change) * k.keep_share;
    const I producing = labour_next > 0.0;
    const D y = exp<N>(load<N>(log_capital_term + o, lanes, 0.0) + k.labour_elasticity * log<N>(labour_next));
    const D produced = select<N>(producing, y, broadcast<N>(0.0));
    // Read-modify-write of the state columns: firms that are not alive keep theirs.
    store<N>(employment_start + o, select<N>(live, labour, load<N>(employment_start + o, lanes, 0.0)), lanes);
    store<N>(employment + o, select<N>(live, labour_next, labour), lanes);
    store<N>(output + o, select<N>(live, produced, load<N>(output + o, lanes, 0.0)), lanes);
  }
}

template <int N>
[[gnu::always_inline]] inline void firm_wages_body(double wage, std::size_t count, const float* wage_premium, double* firm_wage) {
  using namespace simd;
  for (std::size_t o = 0; o < count; o += N) {
    const std::size_t lanes = std::min<std::size_t>(N, count - o);
    store<N>(firm_wage + o, wage * exp<N>(load<N>(wage_premium + o, lanes, 0.0f)), lanes);
  }
}

// One set of kernels per instruction set: 8 lanes with AVX-512, 4 with AVX2, 2 with SSE2.
struct Kernels {
  decltype(&labour_demand_body<2>) labour_demand;
  decltype(&production_body<2>) production;
  decltype(&firm_wages_body<2>) firm_wages;
  const char* isa;
};

#define CONVSIM_KERNEL_SET(NAME, ATTRIBUTE, N)                                                                  \
  ATTRIBUTE void NAME##_labour_demand(const DemandConstants& k, std::size_t count, const std::uint8_t* alive,   \
                                      const double* employment, const double* capital, const double* technology, \
                                      float* productivity, const float* wage_premium, const std::uint32_t* bits, \
                                      const double* log_factor, const double* log_price, double* term, double* c) { \
    labour_demand_body<N>(k, count, alive, employment, capital, technology, productivity, wage_premium, bits,    \
                          log_factor, log_price, term, c);                                                       \
  }                                                                                                              \
  ATTRIBUTE void NAME##_production(const ProductionConstants& k, std::size_t count, const std::uint8_t* alive,   \
                                   const double* coefficient, const double* term, double* employment,            \
                                   double* output, double* start) {                                              \
    production_body<N>(k, count, alive, coefficient, term, employment, output, start);                           \
  }                                                                                                              \
  ATTRIBUTE void NAME##_firm_wages(double wage, std::size_t count, const float* premium, double* out) {          \
    firm_wages_body<N>(wage, count, premium, out);                                                               \
  }

CONVSIM_KERNEL_SET(baseline, , 2)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
CONVSIM_KERNEL_SET(avx2, __attribute__((target("avx2"))), 4)
CONVSIM_KERNEL_SET(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw"))), 8)
#endif

Kernels choose_kernels() {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  __builtin_cpu_init();  // called from a static initialiser: GCC asks for this before __builtin_cpu_supports there
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw")) {
    return {avx512_labour_demand, avx512_production, avx512_firm_wages, "avx512"};
  }
  if (__builtin_cpu_supports("avx2")) return {avx2_labour_demand, avx2_production, avx2_firm_wages, "avx2"};
#endif
  return {baseline_labour_demand, baseline_production, baseline_firm_wages, "baseline"};
}

const Kernels kKernels = choose_kernels();

}  // namespace

void labour_demand_batch(const DemandConstants& k, std::size_t count, const std::uint8_t* alive, const double* employment,
                         const double* capital, const double* technology, float* productivity, const float* wage_premium,
                         const std::uint32_t* shock_bits, const double* log_factor, const double* log_expected_price,
                         double* log_capital_term, double* coefficient) {
  kKernels.labour_demand(k, count, alive, employment, capital, technology, productivity, wage_premium, shock_bits, log_factor,
                         log_expected_price, log_capital_term, coefficient);
}

void production_run(const ProductionConstants& k, std::size_t count, const std::uint8_t* alive, const double* coefficient,
                    const double* log_capital_term, double* employment, double* output, double* employment_start) {
  kKernels.production(k, count, alive, coefficient, log_capital_term, employment, output, employment_start);
}

void firm_wages_run(double wage, std::size_t count, const float* wage_premium, double* firm_wage) {
  kKernels.firm_wages(wage, count, wage_premium, firm_wage);
}

const char* firm_kernel_isa() { return kKernels.isa; }

}  // namespace convsim::models
