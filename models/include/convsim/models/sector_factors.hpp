// Per-step factors common to all firms of a sector and convergence level: sector TFP, the level's
// productivity lift, prosumer demand for converged output, smart-work hours, and the productivity
// shocks in force (aggregate, sector, timed episodes). Computed once per step so the per-firm
// update only adds a table entry.
#pragma once

#include <cstdint>
#include <vector>

#include "convsim/policy_schedule.hpp"
#include "convsim/scenario.hpp"

namespace convsim::models {

// ln(z_s) + ln(1 + lift_level) + ln(demand_level) + beta ln(hours) + shocks, by sector and level.
struct SectorFactors {
  std::vector<double> table;  // [S * 4]
  double log_factor(int sector, std::uint8_t level) const { return table[static_cast<std::size_t>(sector) * 4 + level]; }
};

// The productivity shocks in force in one step (log points).
struct ShockState {
  double aggregate = 0;
  const std::vector<double>* sector = nullptr;  // [S], or none (all zero)
};

// The factors in force under these levers, this prosumer share and these shocks.
SectorFactors sector_factors(const Scenario& scenario, const PolicyState& levers, double prosumer_share,
                             const ShockState& shocks = {});

}  // namespace convsim::models
