#include "convsim/models/step.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include <tbb/parallel_sort.h>

#include "convsim/models/firm_kernels.hpp"
#include "convsim/models/firm_rules.hpp"
#include "convsim/models/random_batch.hpp"
#include "convsim/models/sector_factors.hpp"
#include "convsim/parallel.hpp"
#include "convsim/rng.hpp"

namespace convsim::models {
namespace {

// Steps between refreshes of the size-weighted samplers for supplier and partner choice: an O(firms)
// serial rebuild, so it is amortised; entrants become choosable at the next refresh.
constexpr int kSamplerRefreshSteps = 4;
// Firms ahead of the one being updated whose suppliers' state the first pass prefetches.
constexpr std::size_t kPrefetchAhead = 4;

// Suppliers' state read ahead of summing it (pass 1).
struct SupplierBuffer {
  static constexpr int kSize = 16;
  VisibleFirm firm[kSize];
  float weight[kSize];
  int count = 0;
};

// x when `keep`, else +0, without a branch.
inline float masked(float x, bool keep) {
  return std::bit_cast<float>(std::bit_cast<std::uint32_t>(x) & (0u - static_cast<std::uint32_t>(keep)));
}

// max(0, x) for a number x (not NaN), without a branch: -0 and negatives give +0.
inline float non_negative(float x) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  return std::bit_cast<float>(bits & ~static_cast<std::uint32_t>(std::bit_cast<std::int32_t>(bits) >> 31));
}

// A converging firm's wish to partner with an ICT firm (resolved in structural change).
struct PartnerProposal {
  FirmId partner;  // UINT32_MAX: converge without a partner (no ICT firm exists)
  FirmId firm;
};

// Chooses the ICT partner of an adopting firm: ICT sector by link intensity to the firm's sector
// times that sector's synergy, then a firm of it by size.
FirmId choose_partner(const Scenario& sc, const Economy& economy, int sector, const RandomBlock& draw) {
  const std::size_t S = sc.sectors.size();
  double total = 0;
  for (std::size_t s = 0; s < S; ++s) {
    if (is_ict(sc.sectors[s].role) && !economy.samplers[s].empty()) {
      total += sc.link_intensity(static_cast<int>(s), sector) * sc.sectors[s].ict_synergy;
    }
  }
  if (total <= 0) return UINT32_MAX;
  const double target = draw.uniform(0) * total;
  double running = 0;
  std::size_t chosen = S;
  for (std::size_t s = 0; s < S; ++s) {
    if (!is_ict(sc.sectors[s].role) || economy.samplers[s].empty()) continue;
    running += sc.link_intensity(static_cast<int>(s), sector) * sc.sectors[s].ict_synergy;
    chosen = s;
    if (target < running) break;
  }
  return economy.samplers[chosen].pick(draw.uniform(1));
}

// Per-chunk scratch: partial aggregates and partnership proposals.
struct ChunkScratch {
  std::vector<double> partial;  // [kSectorVariableCount * S]
  std::vector<PartnerProposal> proposals;
  double demand_coefficient = 0;  // sum of (beta P A K^alpha)^(1/(1-beta)) over alive firms
  double employment = 0;          // employment of alive firms at the start of the step, person
  double hires = 0;               // planned hires at the wage, person
  double separations = 0;         // planned separations at the wage, person
};

// Advances the AR(1) productivity shocks by one step: ln z <- rho^dt ln z + sd_dt eps, with sd_dt
// chosen so that 1/dt steps add up to the annual process (same stationary variance).
void advance_shocks(const Scenario& sc, Economy& economy, std::uint64_t step) {
  const ShockSettings& shocks = sc.shocks;
  const double dt = sc.dt();
  const double rho = shocks.persistence;
  const double rho_step = std::pow(rho, dt);
  const double share = std::sqrt((1.0 - rho_step * rho_step) / (1.0 - rho * rho));
  const std::size_t S = sc.sectors.size();
  if (shocks.aggregate_sd > 0) {
    const RandomBlock draw(sc.seed, kAggregateEntity, Purpose::shock, step);
    economy.market.aggregate_shock = rho_step * economy.market.aggregate_shock + shocks.aggregate_sd * share * draw.normal(0);
  }
  if (shocks.sector_sd > 0) {
    for (std::size_t s = 0; s < S; ++s) {
      const RandomBlock draw(sc.seed, s, Purpose::shock, step);
      economy.sector_shock[s] = rho_step * economy.sector_shock[s] + shocks.sector_sd * share * draw.normal(0);
    }
  }
}

}  // namespace

double infrastructure_factor(double infrastructure, double elasticity) {
  return std::max(0.0, 1.0 + elasticity * std::log(infrastructure));
}

SectorRates sector_rates(const Scenario& sc, const PolicyState& levers) {
  const std::size_t S = sc.sectors.size();
  const double dt = sc.dt();
  const double tech_infra = infrastructure_factor(levers.infrastructure, sc.technology.infrastructure_elasticity);
  const double adopt_infra = infrastructure_factor(levers.infrastructure, sc.adoption.infrastructure_elasticity);
  SectorRates r;
  r.innovation.resize(S);
  r.imitation.resize(S);
  r.adoption_base.resize(S);
  r.adoption_max.resize(S);
  r.upgrade_base.resize(S);
  r.upgrade_max.resize(S);
  r.converging.resize(S);
  for (std::size_t s = 0; s < S; ++s) {
    const double focus = 1.0 + levers.selective_focus[s];
    r.innovation[s] = hazard_probability(sc.technology.innovation_rate * (1.0 + levers.rd_support[s]) * tech_infra, dt);
    r.imitation[s] = hazard_probability(sc.technology.imitation_rate * tech_infra, dt);
    // Package convergence (bundling) needs neither network access nor regulatory leave.
    r.adoption_base[s] = adopt_infra * focus;
    r.adoption_max[s] = hazard_probability((sc.adoption.base_hazard + sc.adoption.peer_effect) * r.adoption_base[s], dt);
    // Hybrid and fusion (internet-era products: telemedicine, smart transport) need network access
    // and are blocked by the sector's regulatory barrier.
    r.upgrade_base[s] = levers.accessibility * (1.0 - levers.barrier[s]) * adopt_infra * focus;
    r.upgrade_max[s] = hazard_probability((sc.adoption.upgrade_hazard + sc.adoption.upgrade_peer_effect) * r.upgrade_base[s], dt);
    r.converging[s] = sc.sectors[s].role == SectorRole::converging ? 1 : 0;
  }
  return r;
}

std::vector<double> clearing_prices(const std::vector<double>& weights, const std::vector<double>& quantities, double sigma,
                                    const std::vector<double>& previous) {
  const std::size_t S = weights.size();
  std::vector<double> prices = previous;
  double weight_total = 0;
  for (std::size_t s = 0; s < S; ++s) {
    if (weights[s] > 0 && quantities[s] > 0) weight_total += weights[s];
  }
  if (weight_total <= 0) return prices;
  // ln C, the log of the CES aggregate of quantities (Cobb-Douglas when sigma is 1).
  double log_c = 0;
  if (std::abs(sigma - 1.0) < 1e-12) {
    for (std::size_t s = 0; s < S; ++s) {
      if (weights[s] > 0 && quantities[s] > 0) {
        const double theta = weights[s] / weight_total;
        log_c += theta * (std::log(quantities[s]) - std::log(theta));
      }
    }
  } else {
    const double rho = (sigma - 1.0) / sigma;
    double sum = 0;
    for (std::size_t s = 0; s < S; ++s) {
      if (weights[s] > 0 && quantities[s] > 0) {
        const double theta = weights[s] / weight_total;
        sum += std::exp(std::log(theta) / sigma + rho * std::log(quantities[s]));
      }
    }
    log_c = std::log(sum) / rho;
  }
  for (std::size_t s = 0; s < S; ++s) {
    if (weights[s] > 0 && quantities[s] > 0) {
      prices[s] = std::exp((std::log(weights[s] / weight_total) + log_c - std::log(quantities[s])) / sigma);
    }
  }
  return prices;
}

double StepAggregates::total(int variable) const {
  double sum = 0;
  for (std::size_t s = 0; s < sectors; ++s) sum += at(variable, s);
  return sum;
}

void advance(const Scenario& sc, Economy& economy, const PolicyState& levers, StepAggregates& out) {
  FirmState& f = economy.firms;
  const std::size_t n = f.size();
  const std::size_t S = sc.sectors.size();
  const std::uint64_t seed = sc.seed;
  const std::uint64_t step = static_cast<std::uint64_t>(economy.step) + 1;  // 0 is initialisation
  const double dt = sc.dt();
  const ProductionSettings& prod = sc.production;
  const double beta = prod.labour_elasticity;
  const double alpha = prod.capital_elasticity;
  advance_shocks(sc, economy, step);
  const SectorRates rates = sector_rates(sc, levers);
  const SectorFactors factors =
      sector_factors(sc, levers, economy.market.prosumer_share, {economy.market.aggregate_shock, &economy.sector_shock});
  const SlotColumn<VisibleFirm>& visible = economy.visible;
  SlotColumn<VisibleFirm>& next = economy.visible_next;
  economy.log_capital_term.resize(n);
  economy.demand_coefficient.resize(n);
  economy.exit_draw.resize(n);
  double* log_capital_terms = economy.log_capital_term.data();
  double* coefficients = economy.demand_coefficient.data();
  std::uint32_t* exit_draws = economy.exit_draw.data();

  const std::size_t chunks = chunk_count(n);
  std::vector<ChunkScratch> scratch(chunks);
  for (ChunkScratch& local : scratch) local.partial.assign(static_cast<std::size_t>(kSectorVariableCount) * S, 0.0);

  const double log_beta = std::log(beta);
  std::vector<double> log_expected_price(S);
  for (std::size_t s = 0; s < S; ++s) log_expected_price[s] = std::log(economy.expected_price[s]);
  const double inverse_one_minus_beta = 1.0 / (1.0 - beta);
  const double hiring = hazard_probability(prod.hiring_speed * (1.0 + sc.labour.smart_work_matching * levers.smart_work), dt);
  const double firm_scale = sc.shocks.firm_scale * std::sqrt(dt);
  const double size_elasticity = sc.shocks.firm_size_elasticity;
  const double size_floor = sc.shocks.firm_size_floor;

  //---- pass 1: technology, productivity, adoption and upgrade; each firm's labour demand ----
  // Per batch of RandomBatch::kLanes firms: the Philox blocks (vectorised), then each firm's
  // suppliers, innovation, imitation and convergence one at a time, then the exp and log of its
  // productivity innovation and labour demand several firms at a time (labour_demand_batch).
  const DemandConstants demand{firm_scale, size_elasticity, size_floor, alpha, log_beta, inverse_one_minus_beta};
  for_each_chunk(n, [&](std::size_t c, std::size_t begin, std::size_t end) {
    ChunkScratch& local = scratch[c];
    double* partial = local.partial.data();
    double coefficient_sum = 0, employment_sum = 0;
    RandomBatch step_draws, productivity_draws;
    alignas(64) double log_factor_of[RandomBatch::kLanes];
    alignas(64) double log_price_of[RandomBatch::kLanes];
    for (std::size_t b = begin; b < end; b += RandomBatch::kLanes) {
      const std::size_t lanes = std::min(RandomBatch::kLanes, end - b);
      step_draws.generate(seed, &f.uid[b], lanes, Purpose::innovation, step);
      if (firm_scale > 0) productivity_draws.generate(seed, &f.uid[b], lanes, Purpose::firm_productivity, step);
      for (std::size_t lane = 0; lane < lanes; ++lane) {
        const std::size_t i = b + lane;
        // The suppliers' visible state is scattered over memory: request that of a firm a few
        // places ahead while this one is updated.
        if (i + kPrefetchAhead < end) economy.network.prefetch_suppliers(static_cast<FirmId>(i + kPrefetchAhead), visible.data());
        next[i] = visible[i];
        log_factor_of[lane] = 0;
        log_price_of[lane] = 0;
        if (!f.alive[i]) continue;
        const int s = f.sector[i];
        const float own = visible[i].technology;
        double weight = 0, gap = 0, converged = 0, advanced = 0;
        // The suppliers' state is read into a small buffer first and summed from there: the
        // loads, each a likely cache miss, are then all in flight at once instead of waiting
        // behind the branches of the sums. The sums are branch-free too (masks, not tests): an
        // exited supplier adds +0 (x + 0 is x, and every sum starts at +0), so they equal those of
        // skipping it, in the same order.
        SupplierBuffer seen;
        auto sum_seen = [&] {
          for (int k = 0; k < seen.count; ++k) {
            const VisibleFirm v = seen.firm[k];
            const float counted = masked(seen.weight[k], v.alive != 0);
            weight += counted;
            gap += counted * non_negative(v.technology - own);
            converged += masked(counted, v.level > 0);
            advanced += masked(counted, v.level > 1);
          }
          seen.count = 0;
        };
        economy.network.for_each_supplier(static_cast<FirmId>(i), [&](FirmId j, float w) {
          seen.firm[seen.count] = visible[j];
          seen.weight[seen.count] = w;
          if (++seen.count == SupplierBuffer::kSize) sum_seen();
        });
        sum_seen();
        // One Philox block per firm-step, fixed slots: 0 innovation?, 1 its size, 2 adoption or
        // upgrade, 3 exit. Fixed slots keep draws common across scenarios.
        const std::uint64_t uid = f.uid[i];
        const RandomBlock draw = step_draws[lane];
        const double innovation = draw.uniform(0) < rates.innovation[s] ? draw.exponential(1, sc.technology.innovation_step) : 0.0;
        const double imitation = weight > 0 ? rates.imitation[s] * gap / weight : 0.0;
        f.technology[i] += innovation + imitation;
        exit_draws[i] = draw.bits(3);
        employment_sum += f.employment[i];
        std::uint8_t level = f.level[i];
        if (level == 0) {
          // The hazard needs an expm1 only when the draw could fall below its largest possible value.
          if (rates.converging[s] && draw.uniform(2) < rates.adoption_max[s]) {
            const double peer_share = weight > 0 ? converged / weight : 0.0;
            const double hazard = (sc.adoption.base_hazard + sc.adoption.peer_effect * peer_share) * rates.adoption_base[s];
            if (draw.uniform(2) < hazard_probability(hazard, dt)) {
              const RandomBlock partner_draw(seed, uid, Purpose::partner_choice, step);
              local.proposals.push_back({choose_partner(sc, economy, s, partner_draw), static_cast<FirmId>(i)});
            }
          }
        } else if (level < 3 && draw.uniform(2) < rates.upgrade_max[s]) {
          const double peer_share = weight > 0 ? advanced / weight : 0.0;
          const double hazard = (sc.adoption.upgrade_hazard + sc.adoption.upgrade_peer_effect * peer_share) * rates.upgrade_base[s];
          if (draw.uniform(2) < hazard_probability(hazard, dt)) ++level;
        }
        f.level[i] = level;
        // Technology flows are valued at last step's output (the study's A: technology trade).
        const double last_output = f.output[i];
        partial[kInnovationFlow * S + s] += last_output * innovation / dt;
        partial[kImitationFlow * S + s] += last_output * imitation / dt;
        if (level > 0) partial[kConvTechnologyFlow * S + s] += last_output * (innovation + imitation) / dt;
        log_factor_of[lane] = factors.log_factor(s, level);
        log_price_of[lane] = log_expected_price[s];
      }
      // The firm's own productivity innovation (Laplace, its scale falling with size), then the
      // Cobb-Douglas price taker's labour demand at its sector's expected price P^e:
      // L*(w) = c w^(-1/(1-beta)), c = (beta P^e A K^alpha e^-omega)^(1/(1-beta)),
      // omega the firm's log wage premium (it pays w e^omega).
      labour_demand_batch(demand, lanes, &f.alive[b], &f.employment[b], &f.capital[b], &f.technology[b], &f.productivity[b],
                          &f.wage_premium[b], firm_scale > 0 ? productivity_draws.bits0() : nullptr, log_factor_of,
                          log_price_of, log_capital_terms + b, coefficients + b);
      for (std::size_t i = b; i < b + lanes; ++i) {
        if (f.alive[i]) coefficient_sum += coefficients[i];
      }
    }
    local.demand_coefficient = coefficient_sum;
    local.employment = employment_sum;
  });

  //---- the labour market: the wage, the labour force at it, and what firms plan ----
  double coefficient_total = 0, employment_start = 0;
  for (const ChunkScratch& local : scratch) {
    coefficient_total += local.demand_coefficient;
    employment_start += local.employment;
  }

  MarketState& market = economy.market;
  const double eta = sc.economy.labour_supply_elasticity;
  const double w0 = market.reference_wage;
  const double years = levers.year - sc.time.start_year;
  const double force_at_w0 = market.reference_labour * std::exp(sc.economy.labour_supply_growth * years) *
                             (1.0 + sc.labour.smart_work_participation * levers.smart_work);
  // The clearing wage: sum(c) w^(-1/(1-beta)) = N0' (w / w0)^eta.
  const double clearing = coefficient_total > 0 && force_at_w0 > 0
                              ? std::pow(coefficient_total * std::pow(w0, eta) / force_at_w0, 1.0 / (eta + inverse_one_minus_beta))
                              : market.wage;
  const double stickiness = std::pow(sc.labour.wage_stickiness, dt);
  const double wage = std::exp(stickiness * std::log(market.wage) + (1.0 - stickiness) * std::log(clearing));
  const double labour_force = force_at_w0 * std::pow(wage / w0, eta);
  const double wage_power = std::pow(wage, -inverse_one_minus_beta);

  for_each_chunk(n, [&](std::size_t c, std::size_t begin, std::size_t end) {
    double hires = 0, separations = 0;
    for (std::size_t i = begin; i < end; ++i) {
      if (!f.alive[i]) continue;
      const double plan = hiring * (coefficients[i] * wage_power - f.employment[i]);
      if (plan > 0) hires += plan; else separations -= plan;
    }
    scratch[c].hires = hires;
    scratch[c].separations = separations;
  });
  double hires_total = 0, separations_total = 0;
  for (const ChunkScratch& local : scratch) {
    hires_total += local.hires;
    separations_total += local.separations;
  }
  // Hires come from the job seekers (the unemployed and this step's separated) through a
  // matching function, M = min(U, V, mu dt U^eta (V/dt)^(1-eta)) with the planned hires as
  // vacancies V: planned hires are a flow (about dt times the annual one), so V/dt is their
  // annual rate and matches per year do not depend on the step length. Every vacancy is filled
  // in the share M / V (pro rata). When the jobs kept exceed the
  // labour force (it shrank), every job is scaled down alike.
  const double kept = employment_start - separations_total;
  const double seekers = std::max(0.0, labour_force - kept);
  const LabourSettings& lab = sc.labour;
  const double efficiency = lab.matching_efficiency * (1.0 + lab.smart_work_matching * levers.smart_work) * dt;
  const double matches = hires_total > 0 && seekers > 0
                             ? std::min({seekers, hires_total,
                                         efficiency * std::pow(seekers, lab.matching_elasticity) *
                                             std::pow(hires_total / dt, 1.0 - lab.matching_elasticity)})
                             : 0.0;
  const double hire_share = hires_total > 0 ? std::clamp(matches / hires_total, 0.0, 1.0) : 1.0;
  const double keep_share = kept > labour_force && kept > 0 ? labour_force / kept : 1.0;

  //---- pass 2: hiring and production ----
  double* employment_start_of = coefficients;  // each firm's coefficient is read before it is overwritten
  const ProductionConstants production{hiring, wage_power, hire_share, keep_share, beta};
  for_each_chunk(n, [&](std::size_t c, std::size_t begin, std::size_t end) {
    double* partial = scratch[c].partial.data();
    production_run(production, end - begin, &f.alive[begin], coefficients + begin, log_capital_terms + begin,
                   &f.employment[begin], &f.output[begin], employment_start_of + begin);
    for (std::size_t i = begin; i < end; ++i) {
      if (!f.alive[i]) continue;
      const int s = f.sector[i];
      partial[kOutput * S + s] += f.output[i];
      if (f.level[i] > 0) partial[kConvOutput * S + s] += f.output[i];
    }
  });

  //---- the goods markets: each sector's price clears households' CES demand ----
  std::vector<double> quantities(S, 0.0);
  for (const ChunkScratch& local : scratch) {
    for (std::size_t s = 0; s < S; ++s) quantities[s] += local.partial[kOutput * S + s];
  }
  const std::vector<double> prices = clearing_prices(economy.demand_weight, quantities, sc.demand.elasticity, economy.sector_price);

  //---- pass 3: revenue at the clearing prices, profit, exit or investment ----
  const double age_scale = 1.0 / (sc.dynamics.exit_young_years * sc.time.steps_per_year);
  const bool premia = sc.production.wage_premium_sd > 0;
  const DynamicsSettings& dyn = sc.dynamics;
  // The young-firm factor by age in steps; past the table (e^-45 of its excess) it is 1 to the last bit.
  std::vector<double> young_factor(static_cast<std::size_t>(std::ceil(45.0 / age_scale)) + 1);
  for (std::size_t a = 0; a < young_factor.size(); ++a) {
    young_factor[a] = 1.0 + dyn.exit_young_factor * std::exp(-static_cast<double>(a) * age_scale);
  }
  // The largest young factor: that of age 0 (the table has it; the factors fall with age, y >= 0).
  const double young_max = young_factor.front();
  // A draw at or above the largest exit probability cannot exit: the hazard need not be computed.
  // For a firm whose margin is at or above its sector's, the hazard is at most h_x (1 + y_x).
  const double max_exit_probability = hazard_probability(kMaxExitHazard, dt);
  const double max_exit_probability_no_shortfall =
      hazard_probability(std::min(kMaxExitHazard, dyn.exit_hazard * (1.0 + dyn.exit_young_factor)), dt);
  // Each firm's wage w e^omega, computed by firm_wages_run (several at a time) into the step's
  // log-capital-term scratch, which pass 2 has finished with.
  double* wage_of = log_capital_terms;
  for_each_chunk(n, [&](std::size_t c, std::size_t begin, std::size_t end) {
    double* partial = scratch[c].partial.data();
    if (premia) firm_wages_run(wage, end - begin, &f.wage_premium[begin], wage_of + begin);
    for (std::size_t i = begin; i < end; ++i) {
      if (!f.alive[i]) continue;
      const int s = f.sector[i];
      const std::uint8_t level = f.level[i];
      const bool is_converged = level > 0;
      const double labour = employment_start_of[i];
      const double labour_next = f.employment[i];
      const double capital = f.capital[i];
      const double revenue = prices[s] * f.output[i];
      // The firm pays its own wage w e^omega (its wage premium: Abowd, Kramarz & Margolis 1999);
      // without premia every omega is 0 and the exp is skipped.
      const double wages = (premia ? wage_of[i] : wage) * labour_next;
      const double surplus = revenue - wages;
      const double profit = surplus - prod.user_cost * capital;
      const double created = std::max(0.0, labour_next - labour);
      const double destroyed = std::max(0.0, labour - labour_next);
      // The step's production is sold and its wages paid whether or not the firm exits at its end.
      partial[kNominalOutput * S + s] += revenue;
      partial[kProfit * S + s] += profit;
      partial[kWageBill * S + s] += wages;
      partial[kJobsCreated * S + s] += created;
      if (is_converged) {
        partial[kConvNominalOutput * S + s] += revenue;
        partial[kConvJobsCreated * S + s] += created;
      }
      // Selection: the exit hazard rises with the margin's shortfall from the sector's and
      // falls with age (young firms exit more) and size (large firms exit less).
      bool exits = false;
      const double exit_draw = RandomBlock::uniform_from_bits(exit_draws[i]);
      const double margin = revenue > 0 ? profit / revenue : -1.0;
      const double shortfall = std::max(0.0, economy.sector_margin[s] - margin);
      // The exact probability (a log, an exp and an expm1) only for a draw below both bounds.
      if (exit_draw < (shortfall > 0 ? max_exit_probability : max_exit_probability_no_shortfall) &&
          exit_draw < exit_probability_bound(dyn, young_max, shortfall, dt)) {
        const std::size_t age = static_cast<std::size_t>(std::max(0, f.age[i]));
        const double young = age < young_factor.size() ? young_factor[age] : 1.0;
        exits = exit_draw < hazard_probability(exit_hazard(dyn, young, shortfall, labour_next), dt);
      }
      if (exits) {
        // Its jobs end with it: those it shed in the step and those it still had.
        f.alive[i] = 0;
        f.employment[i] = 0;
        f.output[i] = 0;
        next[i].alive = 0;
        partial[kExits * S + s] += 1;
        partial[kJobsDestroyed * S + s] += destroyed + labour_next;
        if (is_converged) partial[kConvJobsDestroyed * S + s] += destroyed + labour_next;
        continue;
      }
      f.capital[i] = capital + (prod.investment_rate * std::max(0.0, surplus) - prod.depreciation * capital) * dt;
      f.age[i] += 1;
      next[i].technology = static_cast<float>(f.technology[i]);
      next[i].level = level;
      partial[kEmployment * S + s] += labour_next;
      partial[kCapital * S + s] += f.capital[i];
      partial[kFirms * S + s] += 1;
      partial[kJobsDestroyed * S + s] += destroyed;
      partial[kTechnologySum * S + s] += f.technology[i];
      if (is_converged) {
        partial[kConvergedFirms * S + s] += 1;
        partial[(kPackageFirms + level - 1) * S + s] += 1;
        partial[kConvEmployment * S + s] += labour_next;
        partial[kConvCapital * S + s] += f.capital[i];
        partial[kConvJobsDestroyed * S + s] += destroyed;
      }
    }
  });

  //---- ordered reduction of the partials ----
  out.reset(S);
  for (const ChunkScratch& local : scratch) {
    for (std::size_t k = 0; k < out.by_sector.size(); ++k) out.by_sector[k] += local.partial[k];
  }
  out.wage = wage;
  out.clearing_wage = clearing;
  out.labour_force = labour_force;
  out.labour_demand = coefficient_total * wage_power;
  out.hiring_rationed = 1.0 - hire_share;
  out.vacancies = hires_total;
  out.matches = hire_share * hires_total;
  out.aggregate_shock = market.aggregate_shock;
  out.sector_shock = economy.sector_shock;
  out.sector_price = prices;
  market.wage = wage;
  economy.sector_price = prices;
  // Adaptive expectations (Nerlove 1958): the expected price closes a share of its log gap to the
  // price just seen; a share below one damps the cobweb a price-taking sector would otherwise show.
  const double expectation_keep = std::pow(1.0 - sc.demand.expectation_speed, dt);
  for (std::size_t s = 0; s < S; ++s) {
    economy.expected_price[s] =
        std::exp(expectation_keep * std::log(economy.expected_price[s]) + (1.0 - expectation_keep) * std::log(prices[s]));
  }
  for (std::size_t s = 0; s < S; ++s) {
    const double revenue = out.at(kNominalOutput, s);
    if (revenue > 0) economy.sector_margin[s] = out.at(kProfit, s) / revenue;
  }

  //---- structural change (sequential, deterministic) ----
  std::vector<PartnerProposal> proposals;
  for (ChunkScratch& local : scratch) proposals.insert(proposals.end(), local.proposals.begin(), local.proposals.end());
  // A total order (a firm proposes at most once a step), so the parallel sort gives the one order.
  tbb::parallel_sort(proposals.begin(), proposals.end(), [](const PartnerProposal& a, const PartnerProposal& b) {
    return a.partner != b.partner ? a.partner < b.partner : a.firm < b.firm;
  });
  std::vector<Link>& new_links = economy.new_links;
  new_links.clear();
  // A firm converging (or an ICT partner drawn into convergence) joins the end-of-step stocks.
  auto count_new_convergence = [&](FirmId firm) {
    const int s = f.sector[firm];
    out.at(kConvergedFirms, s) += 1;
    out.at(kPackageFirms, s) += 1;
    out.at(kConvEmployment, s) += f.employment[firm];
    out.at(kConvCapital, s) += f.capital[firm];
  };
  FirmId current_partner = UINT32_MAX - 1;  // no proposal names this id
  std::size_t accepted_for_partner = 0;
  for (const PartnerProposal& p : proposals) {
    if (p.partner != current_partner) {
      current_partner = p.partner;
      accepted_for_partner = 0;
    }
    if (!f.alive[p.firm]) continue;  // exited in this step: its proposal takes no capacity
    const bool has_partner = p.partner != UINT32_MAX;
    if (has_partner && (accepted_for_partner >= static_cast<std::size_t>(sc.adoption.partner_capacity) || !f.alive[p.partner])) {
      ++out.partnerships_refused;
      continue;
    }
    f.level[p.firm] = 1;
    next[p.firm].level = 1;
    count_new_convergence(p.firm);
    out.at(kAdoptions, f.sector[p.firm]) += 1;
    if (has_partner) {
      ++accepted_for_partner;
      if (f.level[p.partner] == 0) {
        f.level[p.partner] = 1;
        next[p.partner].level = 1;
        count_new_convergence(p.partner);
      }
      new_links.push_back({p.partner, p.firm, 1.0f});
    }
  }
  // Entrants hire from whoever is still seeking work, at the incumbents' fill rate.
  const std::size_t first_entrant = f.size();
  const std::size_t partnership_links = new_links.size();
  add_entrants(sc, economy, levers, {hire_share, std::max(0.0, labour_force - out.total(kEmployment))}, out, new_links);
  economy.network.grow(f.size());
  // The entrants' links, in entrant order, make their new rows; the partnerships' go to the overlay.
  economy.network.append_rows(static_cast<FirmId>(first_entrant), new_links, partnership_links);
  new_links.resize(partnership_links);
  economy.network.add_links(new_links);
  market.employment = out.total(kEmployment);

  //---- prosumers diffuse towards a ceiling set by network access ----
  const double ceiling = std::max(sc.prosumers.initial_share, sc.prosumers.max_share * levers.accessibility);
  double& p = market.prosumer_share;
  if (ceiling > 0) p = std::clamp(p + sc.prosumers.growth_rate * p * (1.0 - p / ceiling) * dt, 0.0, 1.0);
  out.prosumer_share = p;

  const double converged_output = out.total(kConvOutput);
  const double previous = market.previous_converged_output;
  market.converged_output_growth = previous > 0 ? (converged_output - previous) / previous / dt : 0.0;
  market.previous_converged_output = converged_output;
  for (std::size_t s = 0; s < S; ++s) {
    const double firms = out.at(kFirms, s);
    economy.sector_mean_technology[s] = firms > 0 ? out.at(kTechnologySum, s) / firms : 0.0;
  }

  std::swap(economy.visible, economy.visible_next);
  economy.step += 1;
  if (economy.step % kSamplerRefreshSteps == 0) {
    // Samplers hold slots: exited firms are removed only when the samplers are rebuilt anyway.
    if (economy.compact_slots) compact_firms(economy);
    rebuild_samplers(sc, economy);
  }
}

}  // namespace convsim::models
