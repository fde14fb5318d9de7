// One step of the convergence economy (design.md, "Step loop"; docs/model.md 7):
//   1. levers and shocks in force (policy schedule, computed by the caller; AR(1) shocks)
//   2. firm pass 1 (reads neighbours' state t, writes its own t+1): technology, productivity,
//      adoption and upgrade; each firm's labour demand at its sector's expected (last) price
//   3. the labour market: the wage moves towards the clearing one; planned hires and separations;
//      hires go through the matching function
//   4. firm pass 2: hiring and production; the sector prices that clear the goods markets (CES)
//   5. firm pass 3: revenue at those prices, profit, exit or investment
//   6. per-chunk partial aggregates summed in chunk order; structural change, sequential and
//      deterministic: partnerships, entries, new links
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "convsim/models/economy.hpp"
#include "convsim/policy_schedule.hpp"

namespace convsim::models {

// Quantities aggregated per sector each step. "conv_" variables cover converged firms only (the
// smart convergence industry).
enum SectorVariable : int {
  kOutput,           // real output: quantities at base prices (the initial state's, all 1), 1e8 KRW/year
  kEmployment,       // person
  kCapital,          // 1e8 KRW
  kFirms,            // alive firms
  kConvergedFirms,   // firms at package or above
  kPackageFirms,
  kHybridFirms,
  kFusionFirms,
  kEntries,          // firms entered this step
  kExits,            // firms exited this step
  kJobsCreated,      // person
  kJobsDestroyed,    // person
  kInnovationFlow,   // value of technology from own innovation, 1e8 KRW/year ("exports")
  kImitationFlow,    // value of technology from imitation, 1e8 KRW/year ("imports")
  kTechnologySum,    // sum of log technology of alive firms (for the mean)
  kAdoptions,        // firms that converged this step (partnerships formed)
  kConvOutput,
  kConvEmployment,
  kConvCapital,
  kConvTechnologyFlow,
  kConvJobsCreated,
  kConvJobsDestroyed,
  kProfit,           // profit after the user cost of capital, 1e8 KRW/year
  kWageBill,         // wages paid, 1e8 KRW/year
  kNominalOutput,    // output at this step's sector prices (revenue), 1e8 KRW/year
  kConvNominalOutput,
  kSectorVariableCount
};

// Everything one step reports.
struct StepAggregates {
  std::vector<double> by_sector;  // [kSectorVariableCount * S], by_sector[v * S + s]
  std::size_t sectors = 0;
  double wage = 0;                // wage paid in the step, 1e8 KRW/(person*year)
  double clearing_wage = 0;       // wage at which desired employment equals the labour force
  double labour_force = 0;        // labour force at the wage paid, person
  double labour_demand = 0;       // desired employment at the wage paid, person
  double hiring_rationed = 0;     // share of incumbents' planned hires not filled, 1
  double vacancies = 0;           // planned hires of incumbents and entrants, person
  double matches = 0;             // hires of incumbents and entrants, person
  double aggregate_shock = 0;     // log aggregate productivity shock, log points
  std::vector<double> sector_shock;  // [S] log sector productivity shock, log points
  std::vector<double> sector_price;  // [S] price that clears the sector's market, consumer price index = 1
  double prosumer_share = 0;      // 1
  std::size_t partnerships_refused = 0;  // proposals beyond an ICT firm's capacity

  void reset(std::size_t S) {
    sectors = S;
    by_sector.assign(static_cast<std::size_t>(kSectorVariableCount) * S, 0.0);
  }
  double& at(int variable, std::size_t s) { return by_sector[variable * sectors + s]; }
  double at(int variable, std::size_t s) const { return by_sector[variable * sectors + s]; }
  // Sum over sectors.
  double total(int variable) const;
  // Employment at the end of the step (entrants included).
  double employment() const { return total(kEmployment); }
  // Labour force minus employment, person (never negative).
  double unemployment() const { return labour_force - employment(); }
};

// Hazard-derived probabilities per sector for one step (per step, not per year).
struct SectorRates {
  std::vector<double> innovation;     // probability of an innovation event
  std::vector<double> imitation;      // share of the gap to better suppliers closed
  std::vector<double> adoption_base;  // adoption hazard multiplier: infrastructure and focus
  std::vector<double> adoption_max;   // adoption probability with every neighbour converged
  std::vector<double> upgrade_base;   // upgrade hazard multiplier: access, barrier, infrastructure, focus
  std::vector<double> upgrade_max;    // upgrade probability with every neighbour at hybrid or fusion
  std::vector<std::uint8_t> converging;
};

// The rates in force under these levers (docs/model.md, 7.2). Levers scale hazards through
// (1 + e ln I) factors, never through powers that could drive a probability to one.
SectorRates sector_rates(const Scenario& scenario, const PolicyState& levers);

// Factor (1 + e ln I) by which infrastructure I scales a hazard with log-elasticity e (>= 0).
double infrastructure_factor(double infrastructure, double elasticity);

// The prices that clear the sectors' goods markets under CES demand with weights theta and
// elasticity sigma, the consumer price index being the numeraire (docs/model.md 7.13):
// P_s = (theta_s C / Q_s)^(1/sigma), C = (sum theta^(1/sigma) Q^((sigma-1)/sigma))^(sigma/(sigma-1)),
// so that sum P_s Q_s = C and the CES price index is 1. Sectors without output or weight keep
// their entry of `previous`; the weights of the others are renormalised to sum to one.
std::vector<double> clearing_prices(const std::vector<double>& weights, const std::vector<double>& quantities, double sigma,
                                    const std::vector<double>& previous);

// How entrants may hire: the share of each vacancy filled (as for incumbents) and the job seekers
// left after incumbents' hiring.
struct EntrantHiring {
  double fill_share = 1;
  double job_seekers = 0;
};

// Entry (structural change): appends entrants where converged markets grow, draws their
// suppliers, counts them in `out` and adds their links to `new_links`. Entrants fill their jobs
// in `hiring.fill_share`, and all of them together hire at most `hiring.job_seekers` persons;
// their drawn sizes count as vacancies in `out.vacancies`, their hires in `out.matches`.
void add_entrants(const Scenario& scenario, Economy& economy, const PolicyState& levers, const EntrantHiring& hiring,
                  StepAggregates& out, std::vector<Link>& new_links);

// Advances the economy by one step under the given levers; fills `out`.
void advance(const Scenario& scenario, Economy& economy, const PolicyState& levers, StepAggregates& out);

}  // namespace convsim::models
