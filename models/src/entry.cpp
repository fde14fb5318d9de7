// Entry: new firms appear where converged markets grow (new platform and application classes).
#include <algorithm>
#include <array>
#include <cmath>

#include "convsim/models/firm_rules.hpp"
#include "convsim/models/sector_factors.hpp"
#include "convsim/models/step.hpp"
#include "convsim/parallel.hpp"
#include "convsim/rng.hpp"

namespace convsim::models {
namespace {

// How much more a sector attracts entrants per unit share of converged firms.
constexpr double kEntryConvergencePull = 4.0;
// Entrants start below their sector's mean technology, log points.
constexpr double kEntrantTechnologyGap = 0.05;
// Entrants are drawn from the size law truncated at this multiple of the smallest firm size.
constexpr double kEntrantMaxSizeFactor = 50.0;
// Converged-output growth rate above which entry responds no further, 1/year.
constexpr double kMaxEntryGrowth = 0.3;

}  // namespace

void add_entrants(const Scenario& sc, Economy& economy, const PolicyState& levers, const EntrantHiring& hiring,
                  StepAggregates& out, std::vector<Link>& new_links) {
  const std::size_t S = sc.sectors.size();
  const std::uint64_t step = static_cast<std::uint64_t>(economy.step) + 1;
  const double dt = sc.dt();
  double alive = 0;
  for (std::size_t s = 0; s < S; ++s) alive += out.at(kFirms, s);
  // The entry response to converged-market growth saturates (a market that doubles in a year
  // attracts no more than one that grows by kMaxEntryGrowth).
  const double growth = std::clamp(economy.market.converged_output_growth, 0.0, kMaxEntryGrowth);
  const double expected = alive * dt * (sc.dynamics.entry_rate + sc.dynamics.entry_convergence * growth);
  const RandomBlock count_draw(sc.seed, 0, Purpose::entry_count, step);
  const std::size_t entrants = static_cast<std::size_t>(std::floor(expected + count_draw.uniform(0)));
  if (entrants == 0) return;

  // Sectors attract entrants in proportion to their firm share, more where convergence spreads.
  std::vector<double> attraction(S);
  std::vector<double> converged_share(S, 0.0);
  double running = 0;
  for (std::size_t s = 0; s < S; ++s) {
    const double firms = out.at(kFirms, s);
    converged_share[s] = firms > 0 ? out.at(kConvergedFirms, s) / firms : 0.0;
    running += sc.sectors[s].firm_share * (1.0 + kEntryConvergencePull * converged_share[s]);
    attraction[s] = running;
  }
  if (running <= 0) return;

  EconomySettings entrant_sizes = sc.economy;
  entrant_sizes.max_firm_size = std::min(sc.economy.max_firm_size, kEntrantMaxSizeFactor * sc.economy.min_firm_size);
  const SectorFactors factors = sector_factors(sc, levers, economy.market.prosumer_share,
                                               {economy.market.aggregate_shock, &economy.sector_shock});
  FirmState& f = economy.firms;
  const FirmId first = f.append(entrants);
  economy.visible.resize(f.size());
  economy.visible_next.resize(f.size());
  // Each entrant is a pure function of its own draws and of state no entrant changes (samplers,
  // sector technology, the wage), so entrants are drawn in parallel; what they add to the
  // step's totals and the links they bring are then taken in entrant order, exactly as one
  // thread would (bit-identical on any thread count).
  const double mean_degree = sc.network.mean_degree;
  const std::size_t max_degree = static_cast<std::size_t>(std::floor(mean_degree)) + 1;
  // Every slot of both is written below before it is read.
  std::vector<FirmId>& suppliers = economy.entrant_suppliers;
  std::vector<std::uint32_t>& supplier_count = economy.entrant_supplier_count;
  if (suppliers.size() < entrants * max_degree) suppliers.resize(entrants * max_degree);
  if (supplier_count.size() < entrants) supplier_count.resize(entrants);
  const FirmSizeLaw entrant_size_law(entrant_sizes);
  // Each entrant reads three things scattered over memory: the sampler column of the incumbent
  // it copies, that incumbent's productivity and premium, and the sampler columns of its
  // suppliers. Entrants are taken a block at a time, in three rounds — draw and locate (which
  // prefetches the columns), read the incumbents (prefetching their state), then the rest — so
  // that a block's cache misses are in flight together instead of one after the other. Each
  // entrant's arithmetic is the same, in the same order, as when they were taken one by one.
  struct Pending {
    std::size_t sector;
    double labour, capital, technology, log_sector_factor;
    std::uint8_t level;
    float premium;
    double productivity_noise;
    const SectorSampler::Column* copied = nullptr;  // the incumbent's column, or none
    FirmId model = 0;
    std::size_t degree = 0;
  };
  constexpr std::size_t kBlock = 16;
  for_each_chunk(entrants, [&](std::size_t, std::size_t begin, std::size_t end) {
    std::array<Pending, kBlock> pending;
    std::array<std::vector<SectorSampler::Located>, kBlock> located;
    for (std::size_t block = begin; block < end; block += kBlock) {
      const std::size_t size = std::min(kBlock, end - block);
      // Round 1: the entrant's own draws, its sector and size, the incumbent it copies and its
      // suppliers located.
      for (std::size_t b = 0; b < size; ++b) {
        const std::size_t k = block + b;
        Pending& e = pending[b];
        const FirmId id = first + static_cast<FirmId>(k);
        const std::uint64_t uid = f.uid[id];
        const RandomBlock draw(sc.seed, uid, Purpose::entrant, step);
        const double target = draw.uniform(0) * running;
        const std::size_t s = std::min<std::size_t>(
            std::upper_bound(attraction.begin(), attraction.end(), target) - attraction.begin(), S - 1);
        e.sector = s;
        e.labour = entrant_size_law.draw(draw.uniform(1));
        e.capital = sc.sectors[s].capital_per_worker * e.labour;
        e.level = (sc.sectors[s].role == SectorRole::converging && draw.uniform(2) < converged_share[s]) ? 1 : 0;
        e.technology = economy.sector_mean_technology[s] - kEntrantTechnologyGap;
        // Productivity: a copy of a random incumbent of the sector, shifted down, with noise
        // (entrants learn from incumbents but start behind; docs/model.md 7.8). A sector without
        // incumbents gives the productivity that makes the entrant's size optimal at the wage and price.
        const SectorSampler& incumbents = economy.samplers[s];
        const RandomBlock own(sc.seed, uid, Purpose::entrant, step, 1);
        // Its wage premium is its own draw, fixed for its life (docs/model.md 7.5).
        e.premium = draw_wage_premium(sc.seed, uid, sc.production.wage_premium_sd);
        e.log_sector_factor = factors.log_factor(static_cast<int>(s), e.level) + std::log(economy.sector_price[s]);
        e.copied = nullptr;
        if (!incumbents.empty()) {
          const std::size_t pick = std::min(incumbents.size() - 1, static_cast<std::size_t>(own.uniform(0) * incumbents.size()));
          e.copied = &incumbents.columns[pick];
          __builtin_prefetch(e.copied);
          e.productivity_noise = own.normal(1);
        }
        // Suppliers drawn like those of initial firms: sector by intensity, firm by size.
        e.degree = std::min(max_degree, static_cast<std::size_t>(std::floor(mean_degree + draw.uniform(3))));
        locate_suppliers(economy, static_cast<int>(s), sc.seed, static_cast<FirmId>(uid), step, e.degree, located[b]);
      }
      // Round 2: the incumbents copied (their state prefetched for round 3).
      for (std::size_t b = 0; b < size; ++b) {
        Pending& e = pending[b];
        if (e.copied == nullptr) continue;
        e.model = e.copied->firm;
        __builtin_prefetch(&f.productivity[e.model]);
        __builtin_prefetch(&f.wage_premium[e.model]);
      }
      // Round 3: productivity, size, visible state and suppliers.
      for (std::size_t b = 0; b < size; ++b) {
        const std::size_t k = block + b;
        const Pending& e = pending[b];
        const FirmId id = first + static_cast<FirmId>(k);
        const std::size_t s = e.sector;
        const float premium = e.premium;
        f.sector[id] = static_cast<std::uint16_t>(s);
        f.alive[id] = 1;
        f.level[id] = e.level;
        f.employment[id] = e.labour;
        f.capital[id] = e.capital;
        f.technology[id] = e.technology;
        f.wage_premium[id] = premium;
        if (e.copied != nullptr) {
          const FirmId model = e.model;
          // What it copies is the incumbent's productivity net of the incumbent's wage premium, the
          // part that sets the size; its own premium comes on top.
          f.productivity[id] = static_cast<float>(f.productivity[model] - f.wage_premium[model] + premium -
                                                  sc.dynamics.entrant_productivity_gap +
                                                  sc.dynamics.entrant_productivity_sd * e.productivity_noise);
          if (sc.dynamics.entrant_size_share > 0) {
            // Start at a share of the size that is optimal at this productivity when capital
            // keeps the sector's capital per worker: with K = kL the first-order condition gives
            // ln L* = (ln A - omega - ln A_1) / (1 - alpha - beta), A_1 the productivity at which
            // one worker is optimal (entrants start small and grow: Dunne, Roberts & Samuelson 1988).
            const double one_worker = productivity_for_optimal_size(1.0, sc.sectors[s].capital_per_worker, economy.market.wage,
                                                                    e.technology, e.log_sector_factor, sc.production);
            const double returns_gap = 1.0 - sc.production.capital_elasticity - sc.production.labour_elasticity;
            const double log_optimal = (f.productivity[id] - premium - one_worker) / returns_gap;
            const double sized = std::clamp(sc.dynamics.entrant_size_share * std::exp(std::min(log_optimal, 700.0)),
                                            sc.economy.min_firm_size, sc.economy.max_firm_size);
            f.employment[id] = sized;
            f.capital[id] = sc.sectors[s].capital_per_worker * sized;
          }
        } else {
          f.productivity[id] = static_cast<float>(
              productivity_for_optimal_size(e.labour, e.capital, economy.market.wage, e.technology, e.log_sector_factor,
                                            sc.production) +
              premium);
        }
        const VisibleFirm visible{static_cast<float>(e.technology), e.level, 1, static_cast<std::uint16_t>(s)};
        economy.visible[id] = visible;
        economy.visible_next[id] = visible;
        std::uint32_t count = 0;
        for (std::size_t d = 0; d < e.degree; ++d) {
          const FirmId supplier = located[b][d].firm();
          if (supplier != UINT32_MAX && supplier != id) suppliers[k * max_degree + count++] = supplier;
        }
        supplier_count[k] = count;
      }
    }
  });

  // Entrants hire from the job seekers left, filling their jobs at the incumbents' rate; when
  // that is more than there are, every entrant is scaled down alike (capital with it). The
  // factor 1 - 1e-12 keeps the total strictly within the seekers whatever the rounding.
  double entrant_jobs = 0;
  for (std::size_t k = 0; k < entrants; ++k) entrant_jobs += f.employment[first + k];
  const double filled = std::min(hiring.fill_share * entrant_jobs, hiring.job_seekers * (1.0 - 1e-12));
  const double hire_share = entrant_jobs > 0 ? std::max(0.0, filled / entrant_jobs) : 1.0;
  out.vacancies += entrant_jobs;
  out.matches += hire_share * entrant_jobs;
  for (std::size_t k = 0; k < entrants; ++k) {
    const FirmId id = first + static_cast<FirmId>(k);
    if (hire_share < 1.0) {
      f.employment[id] *= hire_share;
      f.capital[id] *= hire_share;
    }
    for (std::uint32_t d = 0; d < supplier_count[k]; ++d) new_links.push_back({suppliers[k * max_degree + d], id, 1.0f});
    const std::size_t s = f.sector[id];
    const double labour = f.employment[id];
    const double capital = f.capital[id];
    out.at(kEntries, s) += 1;
    out.at(kFirms, s) += 1;
    out.at(kEmployment, s) += labour;
    out.at(kCapital, s) += capital;
    out.at(kJobsCreated, s) += labour;
    out.at(kTechnologySum, s) += f.technology[id];
    if (f.level[id] > 0) {
      out.at(kConvergedFirms, s) += 1;
      out.at(kPackageFirms, s) += 1;
      out.at(kConvEmployment, s) += labour;
      out.at(kConvCapital, s) += capital;
      out.at(kConvJobsCreated, s) += labour;
    }
  }
}

}  // namespace convsim::models
