#include "convsim/models/economy.hpp"

#include <algorithm>
#include <cmath>

#include "convsim/models/firm_rules.hpp"
#include "convsim/parallel.hpp"
#include "convsim/rng.hpp"

namespace convsim::models {

FirmId FirmState::append(std::size_t n) {
  const std::size_t first = size();
  const std::size_t total = first + n;
  sector.resize(total, 0);
  alive.resize(total, 0);
  level.resize(total, 0);
  technology.resize(total, 0.0);
  productivity.resize(total, 0.0f);
  capital.resize(total, 0.0);
  employment.resize(total, 0.0);
  output.resize(total, 0.0);
  age.resize(total, 0);
  loss_steps.resize(total, 0);
  return static_cast<FirmId>(first);
}

std::size_t FirmState::memory_bytes() const {
  return sector.capacity() * 2 + alive.capacity() + level.capacity() + technology.capacity() * 8 +
         productivity.capacity() * 4 + capital.capacity() * 8 + employment.capacity() * 8 +
         output.capacity() * 8 + age.capacity() * 4 + loss_steps.capacity() * 2;
}

FirmId SectorSampler::pick(double u) const {
  if (firms.empty()) return UINT32_MAX;
  const double target = u * cumulative.back();
  auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
  const std::size_t index = std::min<std::size_t>(it - cumulative.begin(), firms.size() - 1);
  return firms[index];
}

double draw_firm_size(const EconomySettings& e, double u) {
  // Inverse CDF of a Pareto law with tail exponent zeta truncated to [min, max].
  const double zeta = e.size_exponent;
  const double ratio = std::pow(e.min_firm_size / e.max_firm_size, zeta);
  return e.min_firm_size * std::pow(1.0 - u * (1.0 - ratio), -1.0 / zeta);
}

double level_multiplier(const AdoptionSettings& a, std::uint8_t level) {
  switch (level) {
    case 1: return 1.0 + a.lift_package;
    case 2: return 1.0 + a.lift_hybrid;
    case 3: return 1.0 + a.lift_fusion;
    default: return 1.0;
  }
}

void rebuild_samplers(const Scenario& scenario, Economy& economy) {
  const std::size_t S = scenario.sectors.size();
  const FirmState& f = economy.firms;
  economy.samplers.assign(S, SectorSampler{});
  std::vector<std::size_t> counts(S, 0);
  for (std::size_t i = 0; i < f.size(); ++i) counts[f.sector[i]] += f.alive[i];
  for (std::size_t s = 0; s < S; ++s) {
    economy.samplers[s].firms.reserve(counts[s]);
    economy.samplers[s].cumulative.reserve(counts[s]);
  }
  const double pref = scenario.network.size_preference;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (!f.alive[i]) continue;
    SectorSampler& sampler = economy.samplers[f.sector[i]];
    const double size = std::max(f.employment[i], 1e-9);
    const double w = pref == 1.0 ? size : std::pow(size, pref);
    sampler.firms.push_back(static_cast<FirmId>(i));
    sampler.cumulative.push_back((sampler.cumulative.empty() ? 0.0 : sampler.cumulative.back()) + w);
  }
  // Supplier sectors for each customer sector: link intensity, restricted to sectors with firms.
  economy.supplier_sectors.assign(S, std::vector<double>(S, 0.0));
  for (std::size_t c = 0; c < S; ++c) {
    double running = 0;
    for (std::size_t s = 0; s < S; ++s) {
      if (!economy.samplers[s].firms.empty()) running += scenario.link_intensity(static_cast<int>(s), static_cast<int>(c));
      economy.supplier_sectors[c][s] = running;
    }
  }
}

}  // namespace convsim::models

namespace convsim::models {

FirmId draw_supplier(const Economy& economy, int customer_sector, double u_sector, double u_firm) {
  const std::vector<double>& cumulative = economy.supplier_sectors[customer_sector];
  if (cumulative.empty() || cumulative.back() <= 0) return UINT32_MAX;
  const double target = u_sector * cumulative.back();
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
  const std::size_t s = std::min<std::size_t>(it - cumulative.begin(), cumulative.size() - 1);
  return economy.samplers[s].pick(u_firm);
}

}  // namespace convsim::models
