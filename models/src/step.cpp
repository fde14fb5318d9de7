#include "convsim/models/step.hpp"

#include <algorithm>
#include <cmath>

#include "convsim/models/firm_rules.hpp"
#include "convsim/models/sector_factors.hpp"
#include "convsim/parallel.hpp"
#include "convsim/rng.hpp"

namespace convsim::models {
namespace {

// Steps between refreshes of the size-weighted samplers for supplier and partner choice: an O(firms)
// serial rebuild, so it is amortised; entrants become choosable at the next refresh.
constexpr int kSamplerRefreshSteps = 4;

// A converging firm's wish to partner with an ICT firm (resolved in structural change).
struct PartnerProposal {
  FirmId partner;  // UINT32_MAX: converge without a partner (no ICT firm exists)
  FirmId firm;
};

// Hazard-derived probabilities per sector for this step.
struct SectorRates {
  std::vector<double> innovation;     // probability of an innovation event
  std::vector<double> imitation;      // share of the gap closed
  std::vector<double> adoption_base;  // hazard multiplier: (1 - barrier) * infra^e * (1 + focus) * access
  std::vector<double> upgrade;        // probability of moving up one level
  std::vector<double> adoption_max;   // adoption probability with every neighbour converged
  std::vector<std::uint8_t> converging;
};

SectorRates sector_rates(const Scenario& sc, const PolicyState& levers) {
  const std::size_t S = sc.sectors.size();
  const double dt = sc.dt();
  const double tech_infra = std::pow(levers.infrastructure, sc.technology.infrastructure_elasticity);
  const double adopt_infra = std::pow(levers.infrastructure, sc.adoption.infrastructure_elasticity);
  SectorRates r;
  r.innovation.resize(S);
  r.imitation.resize(S);
  r.adoption_base.resize(S);
  r.upgrade.resize(S);
  r.adoption_max.resize(S);
  r.converging.resize(S);
  for (std::size_t s = 0; s < S; ++s) {
    r.innovation[s] = hazard_probability(sc.technology.innovation_rate * (1.0 + levers.rd_support[s]) * tech_infra, dt);
    r.imitation[s] = hazard_probability(sc.technology.imitation_rate * tech_infra, dt);
    r.adoption_base[s] = (1.0 - levers.barrier[s]) * adopt_infra * (1.0 + levers.selective_focus[s]) * levers.accessibility;
    r.adoption_max[s] = hazard_probability((sc.adoption.base_hazard + sc.adoption.peer_effect) * r.adoption_base[s], dt);
    r.upgrade[s] = hazard_probability(sc.adoption.upgrade_hazard * (1.0 - levers.barrier[s]) * adopt_infra, dt);
    r.converging[s] = sc.sectors[s].role == SectorRole::converging ? 1 : 0;
  }
  return r;
}

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
  double labour_demand = 0;     // desired employment at the posted wage, person
};

}  // namespace

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
  const SectorRates rates = sector_rates(sc, levers);
  const SectorFactors factors = sector_factors(sc, levers, economy.market.prosumer_share);
  const std::vector<VisibleFirm>& visible = economy.visible;
  std::vector<VisibleFirm>& next = economy.visible_next;

  const std::size_t chunks = chunk_count(n);
  std::vector<ChunkScratch> scratch(chunks);
  for (ChunkScratch& local : scratch) local.partial.assign(static_cast<std::size_t>(kSectorVariableCount) * S, 0.0);

  // The wage is posted at the start of the step: it cleared last step's desired employment
  // against this step's labour supply (see the end of this function).
  const double wage = economy.market.wage;
  const double log_w = std::log(wage);
  const double log_beta = std::log(beta);
  const double hiring = hazard_probability(prod.hiring_speed * (1.0 + levers.smart_work), dt);
  const int exit_steps = std::max(1, static_cast<int>(std::lround(sc.dynamics.exit_after_years * sc.time.steps_per_year)));
  const double exit_probability = hazard_probability(sc.dynamics.exit_hazard, dt);

  //---- one pass over firms: technology, adoption, hiring, production, investment, exit ----
  for_each_chunk(n, [&](std::size_t c, std::size_t begin, std::size_t end) {
    ChunkScratch& local = scratch[c];
    double* partial = local.partial.data();
    double desired_total = 0;
    for (std::size_t i = begin; i < end; ++i) {
      next[i] = visible[i];
      if (!f.alive[i]) continue;
      const int s = f.sector[i];
      const float own = visible[i].technology;
      double weight = 0, gap = 0, converged = 0;
      economy.network.for_each_supplier(static_cast<FirmId>(i), [&](FirmId j, float w) {
        const VisibleFirm& v = visible[j];
        if (!v.alive) return;
        weight += w;
        gap += w * std::max(0.0f, v.technology - own);
        converged += v.level > 0 ? w : 0.0f;
      });
      // One Philox block per firm-step, fixed slots: 0 innovation?, 1 its size, 2 adoption or
      // upgrade, 3 exit. Fixed slots keep draws common across scenarios.
      const RandomBlock draw(seed, i, Purpose::innovation, step);
      const double innovation = draw.uniform(0) < rates.innovation[s] ? draw.exponential(1, sc.technology.innovation_step) : 0.0;
      const double imitation = weight > 0 ? rates.imitation[s] * gap / weight : 0.0;
      f.technology[i] += innovation + imitation;
      std::uint8_t level = f.level[i];
      if (level == 0) {
        // The hazard needs an expm1 only when the draw could fall below its largest possible value.
        if (rates.converging[s] && draw.uniform(2) < rates.adoption_max[s]) {
          const double peer_share = weight > 0 ? converged / weight : 0.0;
          const double hazard = (sc.adoption.base_hazard + sc.adoption.peer_effect * peer_share) * rates.adoption_base[s];
          if (draw.uniform(2) < hazard_probability(hazard, dt)) {
            const RandomBlock partner_draw(seed, i, Purpose::partner_choice, step);
            local.proposals.push_back({choose_partner(sc, economy, s, partner_draw), static_cast<FirmId>(i)});
          }
        }
      } else if (level < 3 && draw.uniform(2) < rates.upgrade[s]) {
        ++level;
      }
      f.level[i] = level;
      const bool is_converged = level > 0;
      // Technology flows are valued at last step's output (the study's A: technology trade).
      const double last_output = f.output[i];
      partial[kInnovationFlow * S + s] += last_output * innovation / dt;
      partial[kImitationFlow * S + s] += last_output * imitation / dt;
      if (is_converged) partial[kConvTechnologyFlow * S + s] += last_output * (innovation + imitation) / dt;

      // Cobb-Douglas firm: desired employment at the posted wage, partial adjustment, output.
      const double log_a = log_efficiency(f.productivity[i], f.technology[i], factors.log_factor(s, level));
      const double labour = f.employment[i];
      const double capital = f.capital[i];
      const double log_k = std::log(capital);
      const double log_capital_term = log_a + alpha * log_k;
      const double desired = std::exp((log_beta + log_capital_term - log_w) / (1.0 - beta));
      const double labour_next = labour + hiring * (desired - labour);
      const double output = labour_next > 0 ? std::exp(log_capital_term + beta * std::log(labour_next)) : 0.0;
      const double surplus = output - wage * labour_next;
      const double profit = surplus - prod.user_cost * capital;
      f.loss_steps[i] = profit < 0 ? static_cast<std::uint16_t>(std::min(f.loss_steps[i] + 1, 65535)) : 0;
      if (f.loss_steps[i] >= exit_steps || draw.uniform(3) < exit_probability) {
        f.alive[i] = 0;
        f.employment[i] = 0;
        f.output[i] = 0;
        next[i].alive = 0;
        partial[kExits * S + s] += 1;
        partial[kJobsDestroyed * S + s] += labour;
        if (is_converged) partial[kConvJobsDestroyed * S + s] += labour;
        continue;
      }
      desired_total += desired;  // only survivors demand labour next step
      f.employment[i] = labour_next;
      f.output[i] = output;
      f.capital[i] = capital + (prod.investment_rate * std::max(0.0, surplus) - prod.depreciation * capital) * dt;
      f.age[i] += 1;
      next[i].technology = static_cast<float>(f.technology[i]);
      next[i].level = level;
      const double created = std::max(0.0, labour_next - labour);
      const double destroyed = std::max(0.0, labour - labour_next);
      partial[kOutput * S + s] += output;
      partial[kEmployment * S + s] += labour_next;
      partial[kCapital * S + s] += f.capital[i];
      partial[kFirms * S + s] += 1;
      partial[kJobsCreated * S + s] += created;
      partial[kJobsDestroyed * S + s] += destroyed;
      partial[kTechnologySum * S + s] += f.technology[i];
      if (is_converged) {
        partial[kConvergedFirms * S + s] += 1;
        partial[(kPackageFirms + level - 1) * S + s] += 1;
        partial[kConvOutput * S + s] += output;
        partial[kConvEmployment * S + s] += labour_next;
        partial[kConvCapital * S + s] += f.capital[i];
        partial[kConvJobsCreated * S + s] += created;
        partial[kConvJobsDestroyed * S + s] += destroyed;
      }
    }
    local.labour_demand = desired_total;
  });

  //---- ordered reduction of the partials ----
  out.reset(S);
  double desired_employment_total = 0;
  for (const ChunkScratch& local : scratch) {
    for (std::size_t k = 0; k < out.by_sector.size(); ++k) out.by_sector[k] += local.partial[k];
    desired_employment_total += local.labour_demand;
  }
  const double eta = sc.economy.labour_supply_elasticity;
  const double w0 = economy.market.reference_wage;
  auto supply_at_reference_wage = [&](int step_index) {
    const double years = sc.year_of_step(step_index) - sc.time.start_year;
    return economy.market.reference_labour * std::exp(sc.economy.labour_supply_growth * years);
  };
  out.wage = wage;
  out.labour_supply = supply_at_reference_wage(economy.step) * std::pow(wage / w0, eta);
  out.labour_demand = desired_employment_total;

  // Next step's wage clears this step's labour demand, D(w) = sum(c_i) w^(-1/(1-beta)), against
  // next step's supply N (w/w0)^eta: w^(eta + 1/(1-beta)) = sum(c_i) w0^eta / N.
  const double demand_coefficient = desired_employment_total * std::pow(wage, 1.0 / (1.0 - beta));
  const double next_supply = supply_at_reference_wage(economy.step + 1);
  if (demand_coefficient > 0 && next_supply > 0) {
    economy.market.wage = std::pow(demand_coefficient * std::pow(w0, eta) / next_supply, 1.0 / (eta + 1.0 / (1.0 - beta)));
  }

  //---- structural change (sequential, deterministic) ----
  std::vector<PartnerProposal> proposals;
  for (ChunkScratch& local : scratch) proposals.insert(proposals.end(), local.proposals.begin(), local.proposals.end());
  std::sort(proposals.begin(), proposals.end(), [](const PartnerProposal& a, const PartnerProposal& b) {
    return a.partner != b.partner ? a.partner < b.partner : a.firm < b.firm;
  });
  std::vector<Link> new_links;
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
  add_entrants(sc, economy, levers, out, new_links);
  economy.network.grow(f.size());
  economy.network.add_links(new_links, f.alive);

  //---- prosumers diffuse towards a ceiling set by network access ----
  const double ceiling = std::max(1e-9, sc.prosumers.max_share * levers.accessibility);
  double& p = economy.market.prosumer_share;
  p = std::clamp(p + sc.prosumers.growth_rate * p * (1.0 - p / ceiling) * dt, 0.0, 1.0);
  out.prosumer_share = p;

  const double converged_output = out.total(kConvOutput);
  const double previous = economy.market.previous_converged_output;
  economy.market.converged_output_growth = previous > 0 ? (converged_output - previous) / previous / dt : 0.0;
  economy.market.previous_converged_output = converged_output;
  for (std::size_t s = 0; s < S; ++s) {
    const double firms = out.at(kFirms, s);
    economy.sector_mean_technology[s] = firms > 0 ? out.at(kTechnologySum, s) / firms : 0.0;
  }

  std::swap(economy.visible, economy.visible_next);
  economy.step += 1;
  if (economy.step % kSamplerRefreshSteps == 0) rebuild_samplers(sc, economy);
}

}  // namespace convsim::models
