// One step of the convergence economy (design.md, "Step loop"):
//   1. levers in force (policy schedule, computed by the caller)
//   2. firm update, one parallel pass over firms (reads neighbours' state t, writes its own t+1):
//      technology, adoption and upgrade, hiring towards desired employment at the posted wage,
//      production, investment, exit
//   3. per-chunk partial aggregates summed in chunk order; the labour market sets next step's
//      wage so that this step's desired employment meets next step's labour supply
//   4. structural change, sequential and deterministic: partnerships, entries, new links
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
  kOutput,           // 1e8 KRW/year
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
  kSectorVariableCount
};

// Everything one step reports.
struct StepAggregates {
  std::vector<double> by_sector;  // [kSectorVariableCount * S], by_sector[v * S + s]
  std::size_t sectors = 0;
  double wage = 0;                // 1e8 KRW/(person*year)
  double labour_supply = 0;       // person
  double labour_demand = 0;       // desired employment at the wage, person
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
};

// Entry (structural change): appends entrants where converged markets grow, draws their
// suppliers, counts them in `out` and adds their links to `new_links`.
void add_entrants(const Scenario& scenario, Economy& economy, const PolicyState& levers, StepAggregates& out,
                  std::vector<Link>& new_links);

// Advances the economy by one step under the given levers; fills `out`.
void advance(const Scenario& scenario, Economy& economy, const PolicyState& levers, StepAggregates& out);

}  // namespace convsim::models
