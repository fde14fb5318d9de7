// The exit rule's cheap bound (models/include/convsim/models/firm_rules.hpp): the step skips the
// exact exit probability for a draw at or above exit_probability_bound, so the bound must lie at
// or above the exact probability for every setting the scenario's ranges allow.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "convsim/models/firm_rules.hpp"

namespace convsim::models {
namespace {

TEST(ExitRule, TheBoundIsAtOrAboveTheExactProbabilityOverTheScenarioRanges) {
  std::mt19937_64 gen(20261204);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double steps[] = {1.0, 0.5, 0.25, 1.0 / 12.0};
  int bounded = 0;
  for (int n = 0; n < 400'000; ++n) {
    DynamicsSettings d;
    d.exit_hazard = std::pow(10.0, -4.0 + 4.0 * unit(gen));           // 1e-4 .. 1 per year
    d.exit_profit_sensitivity = n % 4 == 0 ? 0.0 : 100.0 * std::pow(unit(gen), 3.0);  // 0 .. 100
    d.exit_young_factor = n % 5 == 0 ? 0.0 : 100.0 * std::pow(unit(gen), 3.0);        // 0 .. 100
    d.exit_size_elasticity = n % 6 == 0 ? 0.0 : -2.0 * unit(gen);                     // -2 .. 0
    const double young_max = 1.0 + d.exit_young_factor;
    const double young = 1.0 + d.exit_young_factor * unit(gen);
    const double shortfall = n % 7 == 0 ? 0.0 : std::pow(unit(gen), 4.0) * 3.0;
    const double labour = n % 9 == 0 ? 0.0 : std::pow(10.0, -3.0 + 8.0 * unit(gen));
    const double dt = steps[n % 4];
    const double exact = hazard_probability(exit_hazard(d, young, shortfall, labour), dt);
    const double bound = exit_probability_bound(d, young_max, shortfall, dt);
    ASSERT_LE(exact, bound) << "h " << d.exit_hazard << " a " << d.exit_profit_sensitivity << " y "
                            << d.exit_young_factor << " b " << d.exit_size_elasticity << " young " << young
                            << " shortfall " << shortfall << " L " << labour << " dt " << dt;
    bounded += bound < 1.0;
  }
  EXPECT_GT(bounded, 100'000) << "the bound hardly ever applies";
}

// Where it applies it is close: at the baseline's settings, a young one-person firm (the size
// term 1) with a small shortfall, the bound is within 10 % of the exact probability, so it spares
// the libm calls for most draws that cannot exit.
TEST(ExitRule, TheBoundIsTightForSmallShortfalls) {
  DynamicsSettings d;
  d.exit_hazard = 0.04;
  d.exit_profit_sensitivity = 5;
  d.exit_young_factor = 1.2;
  d.exit_size_elasticity = -0.3;
  for (const double shortfall : {0.0, 0.01, 0.02, 0.04}) {
    const double exact = hazard_probability(exit_hazard(d, 2.2, shortfall, 1.0), 1.0);
    const double bound = exit_probability_bound(d, 2.2, shortfall, 1.0);
    EXPECT_LE(exact, bound) << shortfall;
    EXPECT_LE(bound, 1.1 * exact) << shortfall;
  }
}

}  // namespace
}  // namespace convsim::models
