// Initialisation: sectors, heavy-tailed firm sizes, technology, convergence, and the firm network.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "convsim/models/economy.hpp"
#include "convsim/models/firm_rules.hpp"
#include "convsim/models/sector_factors.hpp"
#include "convsim/parallel.hpp"
#include "convsim/policy_schedule.hpp"
#include "convsim/rng.hpp"

namespace convsim::models {
namespace {

// Exponent of firm size in the number of suppliers a firm has (larger firms buy from more).
constexpr double kDegreeSizeExponent = 0.2;
// Spread of initial log technology across firms, log points.
constexpr double kInitialTechnologySpread = 0.05;

// Sector of every initial firm: contiguous blocks in proportion to firm_share (no randomness).
// Slot i's sector is the first whose cumulative share exceeds i's position (the last sector at
// most); each chunk finds its first slot's sector by bisection and walks on from there, which
// gives what one walk over all slots gives.
void assign_sectors(const Scenario& scenario, SlotColumn<std::uint16_t>& sector) {
  std::vector<double> cumulative;
  double total = 0;
  for (const Sector& s : scenario.sectors) cumulative.push_back(total += s.firm_share);
  const std::size_t n = sector.size();
  for_each_chunk(n, [&](std::size_t, std::size_t begin, std::size_t end) {
    auto position = [&](std::size_t i) { return (static_cast<double>(i) + 0.5) / static_cast<double>(n) * total; };
    std::size_t s = std::min<std::size_t>(
        std::upper_bound(cumulative.begin(), cumulative.end(), position(begin)) - cumulative.begin(), cumulative.size() - 1);
    for (std::size_t i = begin; i < end; ++i) {
      const double at = position(i);
      while (s + 1 < cumulative.size() && at >= cumulative[s]) ++s;
      sector[i] = static_cast<std::uint16_t>(s);
    }
  });
}

// Entrants over a run as a share of initial firms, for reserving state columns once.
double expected_entry_share(const Scenario& scenario) {
  const double years = scenario.time.end_year - scenario.time.start_year + 1;
  return std::min(3.0, years * (scenario.dynamics.entry_rate + 0.3 * scenario.dynamics.entry_convergence) * 1.2);
}

}  // namespace

Economy build_economy(const Scenario& scenario) {
  Economy economy;
  const std::size_t n = static_cast<std::size_t>(scenario.economy.firms);
  const std::uint64_t seed = scenario.seed;
  const ProductionSettings& production = scenario.production;
  FirmState& f = economy.firms;
  const std::size_t expected_slots = static_cast<std::size_t>(
      static_cast<double>(n) * (1.0 + expected_entry_share(scenario)));
  f.reserve(expected_slots);
  // The step's per-firm scratch grows with the slots: room reserved now, so that no step moves it.
  economy.log_capital_term.reserve(expected_slots);
  economy.demand_coefficient.reserve(expected_slots);
  economy.exit_draw.reserve(expected_slots);
  if (n > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("economy: more than 2^32 firms");
  // Every column of every slot is written below, in parallel.
  f.resize_unwritten(n);
  f.created = n;
  assign_sectors(scenario, f.sector);

  const PolicyState levers = policy_at(scenario, scenario.year_of_step(0));
  economy.market.prosumer_share = scenario.prosumers.initial_share;
  economy.market.wage = scenario.economy.initial_wage;
  economy.market.reference_wage = scenario.economy.initial_wage;
  const SectorFactors factors = sector_factors(scenario, levers, economy.market.prosumer_share);

  // Sizes, capital, technology and convergence: each firm from its own counter-based draws, and
  // productivity chosen so that the initial size is the optimal one at the initial wage.
  const FirmSizeLaw size_law(scenario.economy);
  for_each_chunk(n, [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const int s = f.sector[i];
      const Sector& sector = scenario.sectors[s];
      const RandomBlock draw(seed, i, Purpose::firm_size, 0);
      const double labour = size_law.draw(draw.uniform(0));
      const double capital = sector.capital_per_worker * labour * (0.75 + 0.5 * draw.uniform(1));
      const double technology = kInitialTechnologySpread * draw.normal(2);
      const RandomBlock convergence_draw(seed, i, Purpose::firm_convergence, 0);
      const std::uint8_t level = convergence_draw.uniform(0) < sector.initial_converged ? 1 : 0;
      // Initial ages: exponential with the scenario's mean, in steps.
      f.age[i] = static_cast<std::int32_t>(std::lround(convergence_draw.exponential(1, scenario.dynamics.initial_mean_age) *
                                                       scenario.time.steps_per_year));
      const double log_factor = factors.log_factor(s, level);
      f.uid[i] = static_cast<std::uint32_t>(i);
      f.alive[i] = 1;
      f.level[i] = level;
      f.employment[i] = labour;
      f.capital[i] = capital;
      f.technology[i] = technology;
      // The wage premium omega: the firm pays, and hires at, w e^omega. Productivity makes the
      // drawn size optimal at that wage, so that at a given size the firms paying more are the
      // more productive ones (high-wage firms are high-productivity firms: Card et al. 2018).
      const float premium = draw_wage_premium(seed, i, production.wage_premium_sd);
      f.wage_premium[i] = premium;
      f.productivity[i] = static_cast<float>(
          productivity_for_optimal_size(labour, capital, economy.market.wage, technology, log_factor, production) + premium);
      const double log_a = log_efficiency(f.productivity[i], technology, log_factor);
      f.output[i] = cobb_douglas_output(log_a, std::log(capital), labour, production);
    }
  });
  economy.market.employment = deterministic_sum(n, [&](std::size_t i) { return f.employment[i]; });
  // The labour force at w0: employment plus the initial unemployed.
  economy.market.reference_labour = economy.market.employment / (1.0 - scenario.labour.initial_unemployment);
  rebuild_samplers(scenario, economy);

  // Network: each firm draws its number of suppliers (larger firms more), then each supplier:
  // its sector by link intensity, the firm within the sector by size (preferential attachment).
  // Each firm's size weight is computed once, kept in the step scratch (which the first step
  // overwrites before reading) between the sum and the degree draws.
  SlotColumn<double>& degree_weight = economy.log_capital_term;
  degree_weight.resize(n);
  const double mean_weight = deterministic_sum(n, [&](std::size_t i) {
    return degree_weight[i] = std::pow(f.employment[i], kDegreeSizeExponent);
  }) / static_cast<double>(std::max<std::size_t>(n, 1));
  CsrLinks csr;
  // Room for the entrants' rows, reserved before the arrays are filled so that FirmNetwork::reserve
  // below copies nothing (unused capacity is address space, not resident memory).
  csr.offsets.reserve(expected_slots + 1);
  csr.offsets.resize(n + 1);  // every entry is written below (resize does not zero-fill)
  csr.offsets[0] = 0;
  for_each_chunk(n, [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const double expected = scenario.network.mean_degree * degree_weight[i] / mean_weight;
      const RandomBlock draw(seed, i, Purpose::network_degree, 0);
      csr.offsets[i + 1] = static_cast<std::uint64_t>(std::floor(expected + draw.uniform(0)));
    }
  });
  inclusive_scan_in_place(csr.offsets.data(), n + 1);
  // Links of the entrants expected over the run, and of the partnerships, join the base at merges
  // (in place): reserved too, so that no merge has to move the base to a larger allocation.
  const std::size_t link_room = csr.offsets[n] + csr.offsets[n] / 4 +
      (expected_slots - n) * (static_cast<std::size_t>(scenario.network.mean_degree) + 1);
  csr.suppliers.reserve(link_room);
  csr.suppliers.resize(csr.offsets[n]);
  for_each_chunk(n, [&](std::size_t, std::size_t begin, std::size_t end) {
    // The draws of several firms are located (their table columns requested from memory) before
    // any is read, so that about kLocatedAhead cache misses are in flight at once rather than one
    // firm's few.
    constexpr std::size_t kLocatedAhead = 64;
    std::vector<SectorSampler::Located> located, ahead;
    for (std::size_t i = begin; i < end;) {
      const std::size_t block_begin = i;
      ahead.clear();
      for (; i < end && ahead.size() < kLocatedAhead; ++i) {
        locate_suppliers(economy, f.sector[i], seed, static_cast<FirmId>(i), 0, csr.offsets[i + 1] - csr.offsets[i], located);
        ahead.insert(ahead.end(), located.begin(), located.end());
      }
      const std::uint64_t first = csr.offsets[block_begin];
      for (std::size_t c = block_begin; c < i; ++c) {
        for (std::uint64_t e = csr.offsets[c]; e < csr.offsets[c + 1]; ++e) {
          // A draw that found no other firm is kept as a link to the firm itself, whose implicit
          // weight is 0 (it never counts); every other link weighs 1 (no weights are stored).
          const FirmId supplier = ahead[e - first].firm();
          const bool usable = supplier != UINT32_MAX && supplier != c;
          csr.suppliers[e] = usable ? supplier : static_cast<FirmId>(c);
        }
      }
    }
  });
  economy.network = FirmNetwork(std::move(csr));
  economy.network.reserve(expected_slots, link_room);

  economy.visible.reserve(expected_slots);
  economy.visible_next.reserve(expected_slots);
  economy.visible.resize(n);
  economy.visible_next.resize(n);
  for_each_chunk(n, [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      economy.visible[i] = VisibleFirm{static_cast<float>(f.technology[i]), f.level[i], f.alive[i], f.sector[i]};
      economy.visible_next[i] = economy.visible[i];
    }
  });
  economy.sector_mean_technology.assign(scenario.sectors.size(), 0.0);
  economy.sector_shock.assign(scenario.sectors.size(), 0.0);
  // Sectors' profit margins at the start (the exit rule compares each firm's with its sector's).
  std::vector<double> sector_output(scenario.sectors.size(), 0.0), sector_profit(scenario.sectors.size(), 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    sector_output[f.sector[i]] += f.output[i];
    sector_profit[f.sector[i]] += f.output[i] - firm_wage(economy.market.wage, f.wage_premium[i]) * f.employment[i] - production.user_cost * f.capital[i];
  }
  economy.sector_margin.assign(scenario.sectors.size(), 0.0);
  for (std::size_t s = 0; s < scenario.sectors.size(); ++s) {
    if (sector_output[s] > 0) economy.sector_margin[s] = sector_profit[s] / sector_output[s];
  }
  // Households' CES weights are the initial output shares: at the initial quantities every
  // sector's clearing price is 1 (the base prices of real output), whatever the elasticity.
  double output_total = 0;
  for (double y : sector_output) output_total += y;
  economy.demand_weight.assign(scenario.sectors.size(), 0.0);
  for (std::size_t s = 0; s < scenario.sectors.size(); ++s) {
    if (output_total > 0) economy.demand_weight[s] = sector_output[s] / output_total;
  }
  economy.sector_price.assign(scenario.sectors.size(), 1.0);
  economy.expected_price.assign(scenario.sectors.size(), 1.0);
  return economy;
}

}  // namespace convsim::models
