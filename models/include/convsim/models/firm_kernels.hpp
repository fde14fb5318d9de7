// The firm passes' arithmetic over runs of consecutive firms, 8, 4 or 2 at a time (convsim::simd's
// exp and log). Each kernel is compiled for AVX-512, AVX2 and baseline x86-64 and picked at run time;
// every version gives the same bits (see vector_math.hpp). A firm's results depend on its own
// columns only, never on where a run starts or on its neighbours.
//
// Firms that are not alive are computed along with the others but their state columns are left
// as they were; their scratch outputs (log capital term, demand coefficient, wage) are unspecified.
#pragma once

#include <cstddef>
#include <cstdint>

namespace convsim::models {

// Pass 1's tail: the firm's own productivity innovation and its labour demand.
struct DemandConstants {
  double firm_scale = 0;  // Laplace scale of a firm of one worker per step; 0: no innovations
  double size_elasticity = 0;
  double size_floor = 0;
  double capital_elasticity = 0;  // alpha
  double log_labour_elasticity = 0;  // ln beta
  double inverse_one_minus_beta = 0;
};

// For firms [0, count) of the given columns (count at most 16):
//   scale = firm_scale * exp(size_elasticity * ln max(L, size_floor)),
//   productivity += Laplace(scale) from the uniform of shock_bits (float, as the column stores it),
//   log_capital_term = productivity + technology + log_factor + alpha ln K,
//   coefficient = exp((ln beta + log_expected_price + log_capital_term - wage_premium) / (1 - beta)).
// shock_bits may be null when firm_scale is 0. log_factor and log_expected_price are per firm.
void labour_demand_batch(const DemandConstants& k, std::size_t count, const std::uint8_t* alive, const double* employment,
                         const double* capital, const double* technology, float* productivity, const float* wage_premium,
                         const std::uint32_t* shock_bits, const double* log_factor, const double* log_expected_price,
                         double* log_capital_term, double* coefficient);

// Pass 2: hiring and production at the step's wage.
struct ProductionConstants {
  double hiring = 0;      // share of the gap to desired employment closed in a step
  double wage_power = 0;  // w^(-1/(1-beta))
  double hire_share = 1;  // share of planned hires filled
  double keep_share = 1;  // share of jobs kept when the labour force shrank below them
  double labour_elasticity = 0;  // beta
};

// For alive firms [0, count): plan = hiring (coefficient w^(-1/(1-beta)) - L),
// L' = (L + (plan > 0 ? hire_share plan : plan)) keep_share, output = exp(log_capital_term + beta ln L')
// (0 when L' <= 0); employment_start = L, employment = L', output written. employment_start may be
// the coefficient column itself (each firm's coefficient is read before it is overwritten).
void production_run(const ProductionConstants& k, std::size_t count, const std::uint8_t* alive, const double* coefficient,
                    const double* log_capital_term, double* employment, double* output, double* employment_start);

// Pass 3: each firm's wage w e^omega (models::firm_wage) for [0, count).
void firm_wages_run(double wage, std::size_t count, const float* wage_premium, double* firm_wage);

// The instruction set the kernels run with on this machine: "avx512", "avx2" or "baseline".
const char* firm_kernel_isa();

}  // namespace convsim::models
