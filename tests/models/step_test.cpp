// One step of the economy (models/src/step.cpp, entry.cpp): closed forms with one firm,
// conservation of jobs and firms, and the adoption curves the diffusion model implies.
#include <algorithm>
#include <cmath>

#include "convsim/rng.hpp"
#include "model_fixtures.hpp"

namespace convsim::testing {
namespace {

//---- closed form: one firm, no network ----

// What the formulas of the model say the firm's next state is, from its previous state.
struct FirmBefore {
  double technology, capital, employment, prosumer_share;
  float productivity;
  std::uint8_t level;
};

FirmBefore firm_before(const models::Economy& economy) {
  const models::FirmState& f = economy.firms;
  return {f.technology[0], f.capital[0], f.employment[0], economy.market.prosumer_share, f.productivity[0], f.level[0]};
}

// Checks employment, output and capital of firm 0 after one step against the closed forms, at
// the wage `wage` the step paid (StepAggregates::wage):
//   ln A  = theta + a_{t+1} + ln z_s + ln(1 + lift_level) + ln(1 + d p)[converged] + beta ln(1 + h_sw sw)
//   L'    = L + (1 - exp(-hiring (1 + m_sw sw) dt)) (L* - L),  L* = (beta A K^alpha / w)^(1/(1-beta))
//   Y     = A K^alpha L'^beta
//   K'    = K + (s max(0, Y - w L') - delta K) dt
// Returns A K^alpha for the wage check.
double expect_closed_form_step(const Scenario& sc, const FirmBefore& before, const models::Economy& after, double wage,
                               double smart_work) {
  const models::FirmState& f = after.firms;
  const ProductionSettings& p = sc.production;
  const double alpha = p.capital_elasticity, beta = p.labour_elasticity, dt = sc.dt();
  EXPECT_EQ(f.alive[0], 1);
  // Adoption takes effect from the next step (it is settled in structural change, after
  // production); an upgrade of an already converged firm takes effect in the same step.
  const std::uint8_t producing_level = before.level == 0 ? 0 : f.level[0];
  const double lift = producing_level == 0   ? 0.0
                      : producing_level == 1 ? sc.adoption.lift_package
                      : producing_level == 2 ? sc.adoption.lift_hybrid
                                             : sc.adoption.lift_fusion;
  const double prosumer_demand = producing_level > 0 ? sc.prosumers.demand_effect * before.prosumer_share : 0.0;
  const double log_a = static_cast<double>(before.productivity) + f.technology[0] + std::log(sc.sectors[0].tfp) +
                       std::log1p(lift) + std::log1p(prosumer_demand) +
                       beta * std::log1p(p.smart_work_hours * smart_work);
  const double A = std::exp(log_a);
  const double K = before.capital;

  const double desired = std::pow(beta * A * std::pow(K, alpha) / wage, 1.0 / (1.0 - beta));
  const double hiring = 1.0 - std::exp(-p.hiring_speed * (1.0 + sc.labour.smart_work_matching * smart_work) * dt);
  const double labour = before.employment + hiring * (desired - before.employment);
  EXPECT_NEAR(f.employment[0] / labour, 1.0, 1e-12) << "employment";

  const double output = A * std::pow(K, alpha) * std::pow(labour, beta);
  EXPECT_NEAR(f.output[0] / output, 1.0, 1e-12) << "Cobb-Douglas output A K^alpha L^beta";

  const double capital = K + (p.investment_rate * std::max(0.0, output - wage * labour) - p.depreciation * K) * dt;
  EXPECT_NEAR(f.capital[0] / capital, 1.0, 1e-12) << "capital accumulation";
  return A * std::pow(K, alpha);
}

// With a flexible wage (labour.wage_stickiness = 0) the step's wage clears its own desired
// employment, D(w) = (beta A K^alpha / w)^(1/(1-beta)), against its labour force
// N0 exp(g (y_t - y_0)) (1 + p_sw sw) (w / w0)^eta, and the step reports that labour force.
void expect_wage_clears(const Scenario& sc, const models::Economy& after, const models::StepAggregates& out,
                        double capital_term, double smart_work) {
  const double beta = sc.production.labour_elasticity;
  const double eta = sc.economy.labour_supply_elasticity;
  const double w0 = after.market.reference_wage;
  const double years = sc.year_of_step(after.step - 1) - sc.time.start_year;
  const double force = after.market.reference_labour * std::exp(sc.economy.labour_supply_growth * years) *
                       (1.0 + sc.labour.smart_work_participation * smart_work);
  const double c = std::pow(beta * capital_term, 1.0 / (1.0 - beta));
  const double wage = std::pow(c * std::pow(w0, eta) / force, 1.0 / (eta + 1.0 / (1.0 - beta)));
  EXPECT_NEAR(out.wage / wage, 1.0, 1e-12) << "market-clearing wage";
  EXPECT_NEAR(out.clearing_wage / wage, 1.0, 1e-12);
  const double demand = std::pow(beta * capital_term / wage, 1.0 / (1.0 - beta));
  EXPECT_NEAR(demand / (force * std::pow(wage / w0, eta)), 1.0, 1e-12) << "demand = labour force at that wage";
  EXPECT_NEAR(out.labour_force / (force * std::pow(wage / w0, eta)), 1.0, 1e-12) << "reported labour force";
  EXPECT_LE(out.employment(), out.labour_force * (1 + 1e-12));
}

// One firm of a converging sector, no network, no entry or exit.
std::string one_firm_yaml(int steps_per_year, double initial_converged, double smart_work) {
  return R"(
seed: 21
time: {start_year: 2000, end_year: 2011, steps_per_year: )" +
         std::to_string(steps_per_year) + R"(}
economy: {firms: 1, initial_wage: 0.3, labour_supply_growth: 0.02, labour_supply_elasticity: 0.4}
network: {mean_degree: 0}
technology: {innovation_rate: 2.0, innovation_step: 0.05}
adoption: {upgrade_hazard: 0.5}
dynamics: {exit_hazard: 0, entry_rate: 0, entry_convergence: 0}
environment: {smart_work: )" +
         std::to_string(smart_work) + R"(}
sectors:
  industry: {role: converging, tfp: 1.3, capital_per_worker: 0.8, initial_converged: )" +
         std::to_string(initial_converged) + R"(}
)";
}

TEST(StepClosedForm, OneFirmFollowsCobbDouglasAndCapitalAccumulation) {
  const Scenario sc = scenario_from_yaml(one_firm_yaml(1, 0.0, 0.0));
  Stepper stepper(sc);
  ASSERT_EQ(stepper.economy().firms.size(), 1u);
  ASSERT_EQ(stepper.economy().network.links(), 0u);
  EXPECT_EQ(stepper.economy().market.wage, 0.3) << "before the first step the wage is the initial one";
  double technology_gained = 0;
  for (int t = 0; t < sc.steps(); ++t) {
    const FirmBefore before = firm_before(stepper.economy());
    const models::StepAggregates& out = stepper.advance();
    technology_gained += stepper.economy().firms.technology[0] - before.technology;
    SCOPED_TRACE("step " + std::to_string(t));
    const double capital_term = expect_closed_form_step(sc, before, stepper.economy(), out.wage, 0.0);
    expect_wage_clears(sc, stepper.economy(), out, capital_term, 0.0);
  }
  EXPECT_GT(technology_gained, 0.0) << "the firm innovated at least once (the check covers technology change)";
}

TEST(StepClosedForm, QuarterlyConvergedFirmWithSmartWorkAndProsumers) {
  // A converged firm (package at start, upgrades possible), smart work on, quarterly steps.
  const Scenario sc = scenario_from_yaml(one_firm_yaml(4, 1.0, 0.5));
  Stepper stepper(sc);
  ASSERT_EQ(stepper.economy().firms.level[0], 1);
  for (int t = 0; t < sc.steps(); ++t) {
    const FirmBefore before = firm_before(stepper.economy());
    const models::StepAggregates& out = stepper.advance();
    SCOPED_TRACE("step " + std::to_string(t));
    const double capital_term = expect_closed_form_step(sc, before, stepper.economy(), out.wage, 0.5);
    expect_wage_clears(sc, stepper.economy(), out, capital_term, 0.5);
  }
  EXPECT_GT(stepper.economy().firms.level[0], 1) << "the firm upgraded (the check covers the level lift)";
}

TEST(StepClosedForm, ProsumerShareFollowsLogisticDiffusionToTheAccessCeiling) {
  const Scenario sc = scenario_from_yaml(one_firm_yaml(1, 0.0, 0.0));
  Stepper stepper(sc);
  double p = sc.prosumers.initial_share;
  const double ceiling = sc.prosumers.max_share * sc.environment.accessibility;
  for (int t = 0; t < sc.steps(); ++t) {
    const models::StepAggregates& out = stepper.advance();
    p = p + sc.prosumers.growth_rate * p * (1.0 - p / ceiling) * sc.dt();
    EXPECT_NEAR(out.prosumer_share, p, 1e-15);
  }
}

//---- conservation ----

TEST(StepConservation, JobsAndFirmsBalanceEveryStep) {
  // The baseline with a high exit hazard and entry so that every flow is present in every step.
  const Scenario sc = baseline_with({"economy.firms=6000", "time.steps_per_year=2", "dynamics.exit_hazard=0.08",
                                     "dynamics.entry_rate=0.06"});
  Stepper stepper(sc);
  double employment = 0, firms = 0;
  for (std::size_t i = 0; i < stepper.economy().firms.size(); ++i) {
    employment += stepper.economy().firms.employment[i];
    firms += stepper.economy().firms.alive[i];
  }
  double total_entries = 0, total_exits = 0;
  for (int t = 0; t < sc.steps(); ++t) {
    const models::StepAggregates& out = stepper.advance();
    SCOPED_TRACE("step " + std::to_string(t));
    const double created = out.total(models::kJobsCreated), destroyed = out.total(models::kJobsDestroyed);
    const double employment_next = out.total(models::kEmployment);
    EXPECT_NEAR(created - destroyed, employment_next - employment, 1e-9 * employment_next)
        << "jobs created - destroyed = change in employment";
    const double entries = out.total(models::kEntries), exits = out.total(models::kExits);
    const double firms_next = out.total(models::kFirms);
    EXPECT_EQ(entries - exits, firms_next - firms) << "entries - exits = change in firm count";
    // The same holds sector by sector.
    for (std::size_t s = 0; s < out.sectors; ++s) {
      EXPECT_GE(out.at(models::kJobsCreated, s), 0.0);
      EXPECT_GE(out.at(models::kJobsDestroyed, s), 0.0);
    }
    // The aggregates agree with the firm state they summarise.
    double alive = 0, state_employment = 0;
    for (std::size_t i = 0; i < stepper.economy().firms.size(); ++i) {
      alive += stepper.economy().firms.alive[i];
      state_employment += stepper.economy().firms.employment[i];
    }
    EXPECT_EQ(alive, firms_next);
    EXPECT_NEAR(state_employment, employment_next, 1e-9 * employment_next);
    total_entries += entries;
    total_exits += exits;
    employment = employment_next;
    firms = firms_next;
  }
  EXPECT_GT(total_entries, 0.0);
  EXPECT_GT(total_exits, 0.0);
}

TEST(StepConservation, SectorFirmCountsBalance) {
  const Scenario sc = baseline_with({"economy.firms=5000", "dynamics.exit_hazard=0.05", "dynamics.entry_rate=0.05"});
  Stepper stepper(sc);
  const std::size_t S = sc.sectors.size();
  std::vector<double> firms(S, 0.0);
  for (std::size_t i = 0; i < stepper.economy().firms.size(); ++i) firms[stepper.economy().firms.sector[i]] += 1;
  for (int t = 0; t < sc.steps(); ++t) {
    const models::StepAggregates& out = stepper.advance();
    for (std::size_t s = 0; s < S; ++s) {
      EXPECT_EQ(out.at(models::kEntries, s) - out.at(models::kExits, s), out.at(models::kFirms, s) - firms[s])
          << "step " << t << ", sector " << sc.sectors[s].name;
      firms[s] = out.at(models::kFirms, s);
    }
  }
}

//---- adoption ----

TEST(StepAdoption, BarrierOfOneMeansNoHybridOrFusionInThatSector) {
  // Strong spontaneous and peer hazards, converged ICT suppliers everywhere, full network access;
  // `blocked` has a barrier of 1, `open` none. Package convergence (bundling) needs no regulatory
  // leave, so both adopt; only the open sector moves on to hybrid and fusion.
  const Scenario sc = scenario_from_yaml(R"(
seed: 31
time: {start_year: 2000, end_year: 2014, steps_per_year: 2}
economy: {firms: 6000}
network: {mean_degree: 6}
adoption: {base_hazard: 0.5, peer_effect: 3.0, upgrade_hazard: 0.4, partner_capacity: 1000000}
environment: {accessibility: 1}
sectors:
  platform: {role: platform, firm_share: 0.3, initial_converged: 0.5}
  blocked:  {role: converging, firm_share: 0.35, barrier: 1.0}
  open:     {role: converging, firm_share: 0.35, barrier: 0.0}
)");
  Stepper stepper(sc);
  double blocked_adoptions = 0, open_advanced = 0;
  for (int t = 0; t < sc.steps(); ++t) {
    const models::StepAggregates& out = stepper.advance();
    EXPECT_EQ(out.at(models::kHybridFirms, 1) + out.at(models::kFusionFirms, 1), 0.0) << "step " << t;
    blocked_adoptions += out.at(models::kAdoptions, 1);
    open_advanced = out.at(models::kHybridFirms, 2) + out.at(models::kFusionFirms, 2);
  }
  EXPECT_GT(blocked_adoptions, 1000.0) << "the blocked sector still bundles (package)";
  EXPECT_GT(open_advanced, 500.0) << "the open sector did upgrade (the test is not vacuous)";
}

TEST(StepAdoption, WithoutNetworkAccessNoFirmUpgrades) {
  const Scenario sc = scenario_from_yaml(R"(
seed: 37
time: {start_year: 2000, end_year: 2009}
economy: {firms: 3000}
adoption: {upgrade_hazard: 0.5, upgrade_peer_effect: 1.0}
environment: {accessibility: 0.0}
sectors:
  platform: {role: platform, firm_share: 0.3, initial_converged: 1}
  industry: {role: converging, firm_share: 0.7, initial_converged: 1}
policies:
  online: {lever: accessibility, at: 2005, value: 0.8}
)");
  Stepper stepper(sc);
  for (int t = 0; t < sc.steps(); ++t) {
    const models::StepAggregates& out = stepper.advance();
    const double advanced = out.total(models::kHybridFirms) + out.total(models::kFusionFirms);
    if (t < 5) {
      EXPECT_EQ(advanced, 0.0) << "step " << t;
    } else {
      EXPECT_GT(advanced, 0.0) << "step " << t;
    }
  }
}

TEST(StepAdoption, BarrierOfOneSetByPolicyStopsUpgradesFromThatYear) {
  const Scenario sc = scenario_from_yaml(R"(
seed: 32
time: {start_year: 2000, end_year: 2009}
economy: {firms: 4000}
network: {mean_degree: 6}
adoption: {upgrade_hazard: 0.3, upgrade_peer_effect: 0.5}
dynamics: {exit_hazard: 0, entry_rate: 0, entry_convergence: 0}
environment: {accessibility: 1}
sectors:
  platform: {role: platform, firm_share: 0.3, initial_converged: 1}
  clinic:   {role: converging, firm_share: 0.7, initial_converged: 1}
policies:
  ban: {lever: barrier, sectors: [clinic], at: 2004, value: 1}
)");
  Stepper stepper(sc);
  double hybrid = 0, fusion = 0;
  for (int t = 0; t < sc.steps(); ++t) {
    const models::StepAggregates& out = stepper.advance();
    const double h = out.at(models::kHybridFirms, 1), fu = out.at(models::kFusionFirms, 1);
    if (t < 4) {
      EXPECT_GT(h + fu, hybrid + fusion) << "step " << t << ": upgrades before the ban";
    } else {
      EXPECT_EQ(h, hybrid) << "step " << t << ": no package -> hybrid or hybrid -> fusion under the ban";
      EXPECT_EQ(fu, fusion) << "step " << t;
    }
    hybrid = h;
    fusion = fu;
  }
}

// An economy where only the spontaneous hazard acts: no peer effect, no network, constant
// infrastructure, no entry or exit, and partner capacity that never binds.
constexpr const char* kConstantHazardYaml = R"(
seed: 33
time: {start_year: 2000, end_year: 2009, steps_per_year: 4}
economy: {firms: 10000}
network: {mean_degree: 0}
adoption: {base_hazard: 0.2, peer_effect: 0, infrastructure_elasticity: 1.2, partner_capacity: 1000000}
dynamics: {exit_hazard: 0, entry_rate: 0, entry_convergence: 0}
environment: {infrastructure: 1.5, infrastructure_growth: 0, accessibility: 0.8}
sectors:
  platform: {role: platform, firm_share: 0.2}
  industry: {role: converging, firm_share: 0.8, barrier: 0.25}
policies:
  focus: {lever: selective_focus, sectors: [industry], at: 2000, value: 0.4}
)";

TEST(StepAdoption, WithoutPeerEffectAdoptionFollowsTheConstantHazardCurve) {
  const Scenario sc = scenario_from_yaml(kConstantHazardYaml);
  // h = base_hazard (1 + e ln infrastructure) (1 + focus): package convergence needs neither
  // regulatory leave nor network access, so the barrier (0.25) and access (0.8) do not enter.
  const double h = 0.2 * (1 + 1.2 * std::log(1.5)) * (1 + 0.4);
  Stepper stepper(sc);
  const models::Economy& economy = stepper.economy();
  double firms = 0;
  for (std::size_t i = 0; i < economy.firms.size(); ++i) firms += economy.firms.sector[i] == 1;
  ASSERT_EQ(firms, 8000.0);
  double adopted = 0;
  for (int t = 1; t <= sc.steps(); ++t) {
    const models::StepAggregates& out = stepper.advance();
    ASSERT_EQ(out.partnerships_refused, 0u) << "partner capacity must not bind";
    adopted += out.at(models::kAdoptions, 1);
    double converged = 0;
    for (std::size_t i = 0; i < economy.firms.size(); ++i) converged += economy.firms.sector[i] == 1 && economy.firms.level[i] > 0;
    ASSERT_EQ(converged, adopted) << "every adoption is one converged firm in the state";
    // Each firm adopts with probability 1 - exp(-h dt) per step, independently, so the share of
    // non-adopters after t steps is binomial with mean exp(-h t dt); 4.5 standard errors.
    const double expected = std::exp(-h * t * sc.dt());
    const double standard_error = std::sqrt(expected * (1 - expected) / firms);
    EXPECT_NEAR(1.0 - adopted / firms, expected, 4.5 * standard_error) << "after " << t << " steps";
  }
  // The rate fitted over the whole run: -ln(share of non-adopters) / years.
  const double fitted = -std::log(1.0 - adopted / firms) / (sc.steps() * sc.dt());
  EXPECT_NEAR(fitted / h, 1.0, 0.03);
}

TEST(StepAdoption, StrongPeerEffectMakesAnSShapedCurve) {
  const Scenario sc = scenario_from_yaml(R"(
seed: 34
time: {start_year: 2000, end_year: 2019, steps_per_year: 2}
economy: {firms: 8000}
network: {mean_degree: 8}
adoption: {base_hazard: 0.01, peer_effect: 2.5, partner_capacity: 1000000}
dynamics: {exit_hazard: 0, entry_rate: 0, entry_convergence: 0}
environment: {infrastructure_growth: 0, accessibility: 1}
sectors:
  industry: {role: converging, firm_share: 1}
)");
  Stepper stepper(sc);
  std::vector<double> per_year(static_cast<std::size_t>(sc.time.end_year - sc.time.start_year + 1), 0.0);
  double converged = 0;
  for (int t = 0; t < sc.steps(); ++t) {
    const models::StepAggregates& out = stepper.advance();
    per_year[static_cast<std::size_t>(t / sc.time.steps_per_year)] += out.at(models::kAdoptions, 0);
    converged = out.at(models::kConvergedFirms, 0);
  }
  // Increments rise, peak in the interior, then fall: the cumulative curve has an inflection.
  const auto peak = std::max_element(per_year.begin(), per_year.end());
  const std::size_t peak_year = static_cast<std::size_t>(peak - per_year.begin());
  EXPECT_GT(peak_year, 1u);
  EXPECT_LT(peak_year, per_year.size() - 2);
  EXPECT_GT(*peak, 5.0 * per_year.front()) << "increments rise";
  EXPECT_GT(*peak, 5.0 * per_year.back()) << "then fall";
  // Rising before the peak and falling after it, year by year, up to small noise (2 % of firms).
  for (std::size_t y = 1; y <= peak_year; ++y) EXPECT_GE(per_year[y], per_year[y - 1] - 160.0) << "year " << y;
  for (std::size_t y = peak_year + 1; y < per_year.size(); ++y) EXPECT_LE(per_year[y], per_year[y - 1] + 160.0) << "year " << y;
  EXPECT_GT(converged, 0.9 * 8000.0) << "the diffusion saturates";
}

TEST(StepAdoption, WithoutPeerEffectTheCurveIsConcaveNotSShaped) {
  // The contrast to the S-curve: the same economy with a constant hazard adopts most in its first
  // year and less every year after.
  const Scenario sc = scenario_from_yaml(kConstantHazardYaml);
  Stepper stepper(sc);
  std::vector<double> per_year(10, 0.0);
  for (int t = 0; t < sc.steps(); ++t) per_year[static_cast<std::size_t>(t / 4)] += stepper.advance().at(models::kAdoptions, 1);
  EXPECT_EQ(std::max_element(per_year.begin(), per_year.end()) - per_year.begin(), 0);
}

TEST(StepAdoption, PartnerCapacityBindsAndRefusalsAreCounted) {
  // One ICT firm can take 2 partners per step; many converging firms want one.
  const Scenario sc = scenario_from_yaml(R"(
seed: 35
time: {start_year: 2000, end_year: 2004}
economy: {firms: 400}
network: {mean_degree: 0}
adoption: {base_hazard: 5, peer_effect: 0, partner_capacity: 2}
dynamics: {exit_hazard: 0, entry_rate: 0, entry_convergence: 0}
sectors:
  platform: {role: platform, firm_share: 0.0025}
  industry: {role: converging, firm_share: 0.9975}
)");
  Stepper stepper(sc);
  ASSERT_EQ(stepper.economy().firms.sector[0], 0);
  ASSERT_EQ(stepper.economy().firms.sector[1], 1);
  for (int t = 0; t < sc.steps(); ++t) {
    const models::StepAggregates& out = stepper.advance();
    EXPECT_LE(out.at(models::kAdoptions, 1), 2.0) << "step " << t;
    EXPECT_GT(out.partnerships_refused, 0u) << "step " << t;
  }
}

//---- bookkeeping of structural change ----

TEST(StepBookkeeping, ConvergedFirmCountsMatchTheFirmStateAfterTheStep) {
  // The step's converged-firm counts describe the firms at the end of the step, like its firm
  // count, so they must agree with the levels in the state the step leaves behind.
  const Scenario sc = baseline_with({"economy.firms=4000", "adoption.base_hazard=0.2"});
  Stepper stepper(sc);
  for (int t = 0; t < 5; ++t) {
    const models::StepAggregates& out = stepper.advance();
    const models::FirmState& f = stepper.economy().firms;
    double converged = 0, package = 0;
    for (std::size_t i = 0; i < f.size(); ++i) {
      converged += f.alive[i] && f.level[i] > 0;
      package += f.alive[i] && f.level[i] == 1;
    }
    EXPECT_EQ(out.total(models::kConvergedFirms), converged) << "step " << t << " (" << out.total(models::kAdoptions)
                                                             << " adoptions in the step)";
    EXPECT_EQ(out.total(models::kPackageFirms), package) << "step " << t;
  }
}

TEST(StepBookkeeping, ProposalsOfExitingFirmsDoNotUsePartnerCapacity) {
  // One platform firm accepting one partnership per step. Every converging firm proposes in the
  // first step and about half of them exit in it (the largest exit hazard, ln 2 a year), so the
  // platform's one slot must go to the lowest-id proposer that survived the step.
  auto yaml = [](int seed) {
    return "seed: " + std::to_string(seed) + R"(
time: {start_year: 2000, end_year: 2001}
economy: {firms: 100}
network: {mean_degree: 0}
adoption: {base_hazard: 50, peer_effect: 0, partner_capacity: 1}
dynamics: {exit_hazard: 0.69, exit_young_factor: 0, exit_size_elasticity: 0, entry_rate: 0, entry_convergence: 0}
sectors:
  platform: {role: platform, firm_share: 0.01, capital_per_worker: 1}
  industry: {role: converging, firm_share: 0.99, capital_per_worker: 0.5}
)";
  };
  // The first seed from 36 on under which the lowest-id proposer (firm 1) exits in the first
  // step: the case the test is about (about every other seed).
  int seed = 36;
  for (; seed < 80; ++seed) {
    const Scenario probe = scenario_from_yaml(yaml(seed));
    Stepper stepper(probe);
    stepper.advance();
    if (!stepper.economy().firms.alive[1]) break;
  }
  ASSERT_LT(seed, 80);
  const Scenario sc = scenario_from_yaml(yaml(seed));
  Stepper stepper(sc);
  const models::StepAggregates& out = stepper.advance();
  const models::FirmState& f = stepper.economy().firms;
  ASSERT_EQ(f.sector[0], 0);
  ASSERT_GT(out.at(models::kExits, 1), 20.0);
  std::size_t first_survivor = 1;
  while (first_survivor < f.size() && !f.alive[first_survivor]) ++first_survivor;
  ASSERT_LT(first_survivor, f.size());
  EXPECT_EQ(out.at(models::kAdoptions, 1), 1.0);
  EXPECT_EQ(f.level[first_survivor], 1) << "the slot goes to the first surviving proposer, firm " << first_survivor;
  for (std::size_t i = first_survivor + 1; i < f.size(); ++i) EXPECT_EQ(f.level[i], 0) << "firm " << i;
}

}  // namespace
}  // namespace convsim::testing
