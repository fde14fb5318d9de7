// The firm-level rules shared by initialisation, the step and entry: efficiency, desired
// employment, output. Written once here so that every place that creates or updates a firm
// agrees on the same Cobb-Douglas economics.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "convsim/rng.hpp"
#include "convsim/scenario.hpp"

namespace convsim::models {

// Log of the firm's efficiency ln A = theta + a + ln(z_s) + ln(1 + lift) + ln(demand) + beta ln(hours).
inline double log_efficiency(double productivity, double technology, double log_sector_factor) {
  return productivity + technology + log_sector_factor;
}

// Desired employment at wage w: argmax_L A K^alpha L^beta - w L = (beta A K^alpha / w)^(1/(1-beta)).
inline double desired_employment(double log_a, double log_k, double log_w, const ProductionSettings& p) {
  return std::exp((std::log(p.labour_elasticity) + log_a + p.capital_elasticity * log_k - log_w) /
                  (1.0 - p.labour_elasticity));
}

// Output Y = A K^alpha L^beta (annual rate, 1e8 KRW/year).
inline double cobb_douglas_output(double log_a, double log_k, double labour, const ProductionSettings& p) {
  if (labour <= 0) return 0.0;
  return std::exp(log_a + p.capital_elasticity * log_k + p.labour_elasticity * std::log(labour));
}

// The log productivity theta that makes employment L optimal at wage w given K and the rest of ln A.
inline double productivity_for_optimal_size(double labour, double capital, double wage, double technology,
                                            double log_sector_factor, const ProductionSettings& p) {
  const double log_a = std::log(wage) + (1.0 - p.labour_elasticity) * std::log(labour) -
                       std::log(p.labour_elasticity) - p.capital_elasticity * std::log(capital);
  return log_a - technology - log_sector_factor;
}

// A firm's log wage premium omega ~ N(0, sd^2), drawn once, at its creation, from its own Philox
// block: initial firms and entrants draw it alike (docs/model.md 7.5).
inline float draw_wage_premium(std::uint64_t seed, std::uint64_t uid, double sd) {
  return static_cast<float>(sd * RandomBlock(seed, uid, Purpose::wage_premium, 0).normal(0));
}

// The wage a firm pays, and hires at: w e^omega.
inline double firm_wage(double wage, float premium) { return wage * std::exp(static_cast<double>(premium)); }

// The exit hazard per year of a firm whose margin falls `shortfall` (>= 0) below its sector's,
// with young-firm factor `young` and employment `labour` (docs/model.md 7.8):
// min(h_max, h young e^(a shortfall + b max(0, ln L))).
inline double exit_hazard(const DynamicsSettings& d, double young, double shortfall, double labour) {
  const double log_labour = labour > 0 ? std::log(labour) : 0.0;
  return std::min(kMaxExitHazard, d.exit_hazard * young *
                                      std::exp(d.exit_profit_sensitivity * shortfall + d.exit_size_elasticity * std::max(0.0, log_labour)));
}

// An upper bound on hazard_probability(exit_hazard(d, young, shortfall, L), dt) for every young
// <= young_max and every L, without a libm call, so that a draw at or above it is known not to
// exit before the exact probability is computed. With the size elasticity b <= 0 and the profit
// sensitivity a >= 0 (the scenario's ranges), the size term is at most 1; e^x <= 1 / (1 - x) for
// 0 <= x < 1; and 1 - e^(-z dt) <= z dt. The factor 1 + 1e-9 covers the rounding of both sides
// (a few ulps). 1 (no bound) where a shortfall puts x at 1 or above.
inline double exit_probability_bound(const DynamicsSettings& d, double young_max, double shortfall, double dt) {
  const double x = d.exit_profit_sensitivity * shortfall;
  if (!(x < 1.0)) return 1.0;
  return std::min(kMaxExitHazard, d.exit_hazard * young_max / (1.0 - x)) * dt * (1.0 + 1e-9);
}

}  // namespace convsim::models
