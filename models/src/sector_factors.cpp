#include "convsim/models/sector_factors.hpp"

#include <cmath>

#include "convsim/models/economy.hpp"

namespace convsim::models {

SectorFactors sector_factors(const Scenario& scenario, const PolicyState& levers, double prosumer_share,
                             const ShockState& shocks) {
  SectorFactors out;
  const std::size_t S = scenario.sectors.size();
  out.table.resize(S * 4);
  const double hours = 1.0 + scenario.production.smart_work_hours * levers.smart_work;
  const double demand = 1.0 + scenario.prosumers.demand_effect * prosumer_share;
  for (std::size_t s = 0; s < S; ++s) {
    const double episode = levers.productivity_shock.empty() ? 0.0 : levers.productivity_shock[s];
    const double shock = shocks.aggregate + (shocks.sector ? (*shocks.sector)[s] : 0.0) + episode;
    for (std::uint8_t level = 0; level < 4; ++level) {
      // Prosumers co-create converged products: extra demand only for converged firms.
      const double converged_demand = level > 0 ? demand : 1.0;
      out.table[s * 4 + level] = std::log(scenario.sectors[s].tfp) +
                                  std::log(level_multiplier(scenario.adoption, level)) +
                                  std::log(converged_demand) + scenario.production.labour_elasticity * std::log(hours) +
                                  shock;
    }
  }
  return out;
}

}  // namespace convsim::models
