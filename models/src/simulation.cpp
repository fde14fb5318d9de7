#include "convsim/models/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "convsim/models/checkpoint.hpp"
#include "convsim/models/economy.hpp"
#include "convsim/models/step.hpp"
#include "convsim/policy_schedule.hpp"

namespace convsim::models {
namespace {

constexpr const char* kMoney = "1e8 KRW";
constexpr const char* kMoneyRate = "1e8 KRW/year";
constexpr const char* kPersons = "person";
constexpr const char* kFirmsUnit = "firm";
constexpr const char* kPriceLongName = "price that clears the sector's market (base 1; consumer price index 1)";

// A per-sector step variable and how it is written.
struct Observed {
  int variable;
  const char* name;
  const char* units;
  const char* long_name;
};

// Variables written under /aggregate (summed over sectors) and /by_sector.
const std::vector<Observed>& sector_observed() {
  static const std::vector<Observed> vars = {
      {kOutput, "output", kMoneyRate, "real output: quantities at base prices (the initial state's, all 1; annual rate)"},
      {kNominalOutput, "nominal_output", kMoneyRate, "output at the step's prices (revenue; consumer price index 1; annual rate)"},
      {kEmployment, "employment", kPersons, "employment at the end of the step"},
      {kCapital, "capital", kMoney, "capital stock at the end of the step"},
      {kFirms, "firms", kFirmsUnit, "alive firms at the end of the step"},
      {kConvergedFirms, "converged_firms", kFirmsUnit, "firms at package, hybrid or fusion convergence"},
      {kPackageFirms, "package_firms", kFirmsUnit, "firms at package convergence"},
      {kHybridFirms, "hybrid_firms", kFirmsUnit, "firms at hybrid convergence"},
      {kFusionFirms, "fusion_firms", kFirmsUnit, "firms at fusion convergence"},
      {kAdoptions, "adoptions", kFirmsUnit, "firms that converged in the step (partnerships formed)"},
      {kEntries, "entries", kFirmsUnit, "firms that entered in the step"},
      {kExits, "exits", kFirmsUnit, "firms that exited in the step"},
      {kJobsCreated, "jobs_created", kPersons, "jobs created in the step (hiring and entry)"},
      {kJobsDestroyed, "jobs_destroyed", kPersons, "jobs destroyed in the step (shedding and exit)"},
      {kInnovationFlow, "innovation_flow", kMoneyRate, "value of technology from own innovation (technology exports)"},
      {kImitationFlow, "imitation_flow", kMoneyRate, "value of technology from imitating neighbours (technology imports)"},
      {kConvOutput, "converged_output", kMoneyRate, "real output of converged firms (annual rate)"},
      {kConvEmployment, "converged_employment", kPersons, "employment of converged firms"},
      {kProfit, "profit", kMoneyRate, "profit after the user cost of capital (annual rate)"},
      {kWageBill, "wage_bill", kMoneyRate, "wages paid (annual rate)"},
  };
  return vars;
}

// Variables written under /convergence (the smart convergence industry: converged firms).
const std::vector<Observed>& convergence_observed() {
  static const std::vector<Observed> vars = {
      {kConvOutput, "output", kMoneyRate, "real output of the smart convergence industry (annual rate)"},
      {kConvNominalOutput, "nominal_output", kMoneyRate, "output of the smart convergence industry at the step's prices (annual rate)"},
      {kConvEmployment, "employment", kPersons, "employment of the smart convergence industry"},
      {kConvCapital, "capital", kMoney, "capital of the smart convergence industry"},
      {kConvTechnologyFlow, "technology", kMoneyRate, "technology flows of converged firms: innovation + imitation (the study's A)"},
      {kConvergedFirms, "firms", kFirmsUnit, "converged firms"},
      {kPackageFirms, "package_firms", kFirmsUnit, "firms at package convergence"},
      {kHybridFirms, "hybrid_firms", kFirmsUnit, "firms at hybrid convergence"},
      {kFusionFirms, "fusion_firms", kFirmsUnit, "firms at fusion convergence"},
      {kAdoptions, "adoptions", kFirmsUnit, "firms that converged in the step"},
      {kConvJobsCreated, "jobs_created", kPersons, "jobs created in converged firms"},
      {kConvJobsDestroyed, "jobs_destroyed", kPersons, "jobs destroyed in converged firms"},
  };
  return vars;
}

// Economy-wide series that are not sums over sectors, in the order simulate() writes them.
const std::vector<Observed>& economy_observed() {
  static const std::vector<Observed> vars = {
      {0, "wage", "1e8 KRW/(person*year)", "wage paid in the step"},
      {0, "clearing_wage", "1e8 KRW/(person*year)", "wage at which desired employment equals the labour force"},
      {0, "labour_force", kPersons, "labour force at the wage paid"},
      {0, "unemployment", kPersons, "labour force minus employment at the end of the step"},
      {0, "unemployment_rate", "1", "unemployment / labour force"},
      {0, "labour_demand", kPersons, "desired employment at the wage paid"},
      {0, "vacancies", kPersons, "planned hires of incumbents and entrants (vacancies posted)"},
      {0, "hires", kPersons, "hires from the job seekers (matches)"},
      {0, "hiring_rationed", "1", "share of incumbents' planned hires not filled"},
      {0, "prosumer_share", "1", "share of customers co-creating through social media"},
      {0, "productivity_shock", "log point", "aggregate productivity shock (AR(1)) in force"},
      {0, "price_index", "1", "implicit output deflator: nominal_output / output"},
  };
  return vars;
}

Series make_series(const char* name, const char* units, const char* long_name, std::size_t T) {
  return Series{name, units, long_name, std::vector<double>(T, 0.0)};
}

SectorSeries make_sector_series(const char* name, const char* units, const char* long_name, std::size_t T, std::size_t S) {
  return SectorSeries{name, units, long_name, std::vector<double>(T * S, 0.0)};
}

// Every firm's state as snapshot columns, indexed by the firm's uid (entry number) so that a firm
// keeps its index from one snapshot to the next: every firm created so far, an exited one with
// alive 0 and NaN elsewhere (its slot may have been compacted away).
FirmSnapshot take_snapshot(const Economy& economy, double year) {
  const FirmState& f = economy.firms;
  const std::size_t n = f.size();
  const std::size_t created = static_cast<std::size_t>(f.created);
  FirmSnapshot snap;
  snap.time = year;
  auto column = [&](const char* name, const char* units, const char* long_name, auto value) {
    FirmColumn c{name, units, long_name, std::vector<double>(created, std::nan(""))};
    for (std::size_t i = 0; i < n; ++i) {
      if (f.alive[i]) c.values[f.uid[i]] = value(i);
    }
    snap.columns.push_back(std::move(c));
  };
  column("sector", "1", "sector index into /sector", [&](std::size_t i) { return double(f.sector[i]); });
  {
    FirmColumn alive{"alive", "1", "1 alive, 0 exited (an exited firm's other columns are NaN)", std::vector<double>(created, 0.0)};
    for (std::size_t i = 0; i < n; ++i) {
      if (f.alive[i]) alive.values[f.uid[i]] = 1.0;
    }
    snap.columns.push_back(std::move(alive));
  }
  column("level", "1", "convergence level: 0 none, 1 package, 2 hybrid, 3 fusion", [&](std::size_t i) { return double(f.level[i]); });
  column("technology", "log point", "log technology a", [&](std::size_t i) { return f.technology[i]; });
  column("productivity", "log point", "log firm-specific efficiency (evolves with the firm's own shocks)", [&](std::size_t i) { return double(f.productivity[i]); });
  column("wage_premium", "log point", "log wage premium: the firm pays, and hires at, the wage w exp(wage_premium)", [&](std::size_t i) { return double(f.wage_premium[i]); });
  column("capital", kMoney, "capital stock", [&](std::size_t i) { return f.capital[i]; });
  column("employment", kPersons, "employment", [&](std::size_t i) { return f.employment[i]; });
  column("output", kMoneyRate, "output (annual rate)", [&](std::size_t i) { return f.output[i]; });
  column("age", "step", "steps since entry", [&](std::size_t i) { return double(f.age[i]); });
  return snap;
}

}  // namespace

std::vector<VariableDoc> result_variables() {
  std::vector<VariableDoc> out;
  for (const auto& v : sector_observed()) {
    out.push_back({"aggregate", v.name, v.units, v.long_name});
    out.push_back({"by_sector", v.name, v.units, v.long_name});
  }
  out.push_back({"aggregate", "technology_flow", kMoneyRate, "innovation + imitation flows"});
  out.push_back({"aggregate", "mean_technology", "log point", "mean log technology of alive firms"});
  out.push_back({"by_sector", "mean_technology", "log point", "mean log technology of alive firms"});
  for (const auto& v : economy_observed()) out.push_back({"aggregate", v.name, v.units, v.long_name});
  out.push_back({"by_sector", "productivity_shock", "log point", "sector productivity shock (AR(1)) in force"});
  out.push_back({"by_sector", "price", "1", kPriceLongName});
  for (const auto& v : convergence_observed()) out.push_back({"convergence", v.name, v.units, v.long_name});
  out.push_back({"policy", "infrastructure", "1", "network infrastructure index in force"});
  out.push_back({"policy", "accessibility", "1", "share of society with network access in force"});
  out.push_back({"policy", "smart_work", "1", "smart-work intensity in force"});
  out.push_back({"policy", "barrier", "1", "regulatory barrier in force [time, sector]"});
  out.push_back({"policy", "selective_focus", "1", "selective-focus support in force [time, sector]"});
  out.push_back({"policy", "rd_support", "1", "R&D support in force [time, sector]"});
  out.push_back({"policy", "productivity_shock", "log point", "timed productivity episode in force [time, sector]"});
  return out;
}

namespace {

// A result of `T` steps holding every variable a run writes, all values 0, and the scenario's metadata.
RunResult result_skeleton(const Scenario& scenario) {
  const std::size_t T = static_cast<std::size_t>(scenario.steps());
  const std::size_t S = scenario.sectors.size();
  RunResult result;
  result.title = "convsim " + scenario.name;
  result.scenario_name = scenario.name;
  result.scenario_yaml = scenario.resolved_yaml;
  result.scenario_hash = run_identity(scenario);
  result.seed = scenario.seed;
  result.steps_per_year = scenario.time.steps_per_year;
  for (const Sector& s : scenario.sectors) {
    result.sectors.push_back(s.name);
    result.sector_roles.push_back(to_string(s.role));
  }
  result.events = policy_event_records(scenario);

  for (const auto& v : sector_observed()) {
    result.aggregate.push_back(make_series(v.name, v.units, v.long_name, T));
    result.by_sector.push_back(make_sector_series(v.name, v.units, v.long_name, T, S));
  }
  result.aggregate.push_back(make_series("technology_flow", kMoneyRate, "innovation + imitation flows", T));
  result.aggregate.push_back(make_series("mean_technology", "log point", "mean log technology of alive firms", T));
  result.by_sector.push_back(make_sector_series("mean_technology", "log point", "mean log technology of alive firms", T, S));
  for (const auto& v : economy_observed()) result.aggregate.push_back(make_series(v.name, v.units, v.long_name, T));
  result.by_sector.push_back(make_sector_series("productivity_shock", "log point", "sector productivity shock (AR(1)) in force", T, S));
  result.by_sector.push_back(make_sector_series("price", "1", kPriceLongName, T, S));
  for (const auto& v : convergence_observed()) result.convergence.push_back(make_series(v.name, v.units, v.long_name, T));
  result.policy.push_back(make_series("infrastructure", "1", "network infrastructure index in force", T));
  result.policy.push_back(make_series("accessibility", "1", "share of society with network access in force", T));
  result.policy.push_back(make_series("smart_work", "1", "smart-work intensity in force", T));
  result.policy_by_sector.push_back(make_sector_series("barrier", "1", "regulatory barrier in force", T, S));
  result.policy_by_sector.push_back(make_sector_series("selective_focus", "1", "selective-focus support in force", T, S));
  result.policy_by_sector.push_back(make_sector_series("rd_support", "1", "R&D support in force", T, S));
  result.policy_by_sector.push_back(make_sector_series("productivity_shock", "log point", "timed productivity episode in force", T, S));
  result.time.reserve(T);
  return result;
}

// Copies what `step` (reported step t, starting in `year`, under `levers`) produced into the series of `result`.
void record_step(const Scenario& scenario, RunResult& result, std::size_t t, double year, const StepAggregates& step,
                 const PolicyState& levers) {
  const std::size_t S = scenario.sectors.size();
  const std::size_t n_sector_vars = sector_observed().size();
  result.time.push_back(year);
  for (std::size_t k = 0; k < n_sector_vars; ++k) {
    const int v = sector_observed()[k].variable;
    result.aggregate[k].values[t] = step.total(v);
    for (std::size_t s = 0; s < S; ++s) result.by_sector[k].values[t * S + s] = step.at(v, s);
  }
  const double firms = step.total(kFirms);
  result.aggregate[n_sector_vars].values[t] = step.total(kInnovationFlow) + step.total(kImitationFlow);
  result.aggregate[n_sector_vars + 1].values[t] = firms > 0 ? step.total(kTechnologySum) / firms : 0.0;
  for (std::size_t s = 0; s < S; ++s) {
    const double sector_firms = step.at(kFirms, s);
    result.by_sector[n_sector_vars].values[t * S + s] = sector_firms > 0 ? step.at(kTechnologySum, s) / sector_firms : 0.0;
  }
  const double economy_values[] = {step.wage,
                                   step.clearing_wage,
                                   step.labour_force,
                                   step.unemployment(),
                                   step.labour_force > 0 ? step.unemployment() / step.labour_force : 0.0,
                                   step.labour_demand,
                                   step.vacancies,
                                   step.matches,
                                   step.hiring_rationed,
                                   step.prosumer_share,
                                   step.aggregate_shock,
                                   step.total(kOutput) > 0 ? step.total(kNominalOutput) / step.total(kOutput) : 1.0};
  static_assert(sizeof economy_values / sizeof economy_values[0] == 12, "one value per economy_observed() entry");
  for (std::size_t k = 0; k < economy_observed().size(); ++k) result.aggregate[n_sector_vars + 2 + k].values[t] = economy_values[k];
  for (std::size_t s = 0; s < S; ++s) {
    result.by_sector[n_sector_vars + 1].values[t * S + s] = step.sector_shock[s];
    result.by_sector[n_sector_vars + 2].values[t * S + s] = step.sector_price[s];
  }
  for (std::size_t k = 0; k < convergence_observed().size(); ++k) {
    result.convergence[k].values[t] = step.total(convergence_observed()[k].variable);
  }
  result.policy[0].values[t] = levers.infrastructure;
  result.policy[1].values[t] = levers.accessibility;
  result.policy[2].values[t] = levers.smart_work;
  for (std::size_t s = 0; s < S; ++s) {
    result.policy_by_sector[0].values[t * S + s] = levers.barrier[s];
    result.policy_by_sector[1].values[t * S + s] = levers.selective_focus[s];
    result.policy_by_sector[2].values[t * S + s] = levers.rd_support[s];
    result.policy_by_sector[3].values[t * S + s] = levers.productivity_shock[s];
  }
}

// Runs reported steps [from, to) of `scenario` on `economy`, recording them into `result`.
void run_steps(const Scenario& scenario, Economy& economy, RunResult& result, std::size_t from, std::size_t to,
               const RunOptions& options) {
  const std::size_t T = static_cast<std::size_t>(scenario.steps());
  const std::vector<double> snapshot_years = options.firm_snapshots ? scenario.output.snapshot_years : std::vector<double>{};
  StepAggregates step;
  for (std::size_t t = from; t < to; ++t) {
    const double year = scenario.year_of_step(static_cast<int>(t));
    const PolicyState levers = policy_at(scenario, year);
    advance(scenario, economy, levers, step);
    record_step(scenario, result, t, year, step, levers);
    // A snapshot year is taken at the end of the first step that starts at or after it.
    for (double snapshot_year : snapshot_years) {
      if (year >= snapshot_year - 1e-9 && year - snapshot_year < scenario.dt() - 1e-9) {
        result.snapshots.push_back(take_snapshot(economy, year));
      }
    }
    if (options.progress) options.progress(static_cast<int>(t + 1), static_cast<int>(T));
  }
}

// `full` cut to its first `steps` steps (every series, and the snapshots taken in them).
RunResult first_steps(RunResult full, std::size_t steps, std::size_t S) {
  auto cut = [](auto& series, std::size_t length) {
    for (auto& v : series) v.values.resize(length);
  };
  full.time.resize(steps);
  cut(full.aggregate, steps);
  cut(full.convergence, steps);
  cut(full.policy, steps);
  cut(full.by_sector, steps * S);
  cut(full.policy_by_sector, steps * S);
  return full;
}

}  // namespace

Checkpoint run_to_checkpoint(const Scenario& scenario, int steps_done, const RunOptions& options) {
  const int T = scenario.steps();
  if (steps_done < 0 || steps_done > T) {
    throw std::invalid_argument("checkpoint after " + std::to_string(steps_done) + " steps: the run has " +
                                std::to_string(T));
  }
  Checkpoint checkpoint;
  checkpoint.steps_done = steps_done;
  checkpoint.year = scenario.year_of_step(steps_done);
  checkpoint.economy = build_economy(scenario);
  // Burn-in: the economy runs under the first year's levers (and a constant labour force) until
  // its state is one its own dynamics produce; nothing of it is reported.
  const PolicyState first_levers = policy_at(scenario, scenario.year_of_step(0));
  const int burn_in = scenario.burn_in_steps();
  if (options.preparation) options.preparation(1, 1 + burn_in);
  StepAggregates step;
  for (int b = 0; b < burn_in; ++b) {
    advance(scenario, checkpoint.economy, first_levers, step);
    if (options.preparation) options.preparation(2 + b, 1 + burn_in);
  }
  RunResult result = result_skeleton(scenario);
  run_steps(scenario, checkpoint.economy, result, 0, static_cast<std::size_t>(steps_done), options);
  checkpoint.partial = first_steps(std::move(result), static_cast<std::size_t>(steps_done), scenario.sectors.size());
  return checkpoint;
}

RunResult continue_run(const Scenario& scenario, Checkpoint&& from, const RunOptions& options) {
  const std::size_t T = static_cast<std::size_t>(scenario.steps());
  const std::size_t S = scenario.sectors.size();
  const std::size_t t0 = static_cast<std::size_t>(from.steps_done);
  RunResult result = result_skeleton(scenario);
  // The steps done come from the checkpoint, the metadata (name, identity, events) from `scenario`.
  const RunResult& done = from.partial;
  auto restore = [](auto& series, const auto& saved, std::size_t length, const char* group) {
    if (saved.size() != series.size()) {
      throw std::invalid_argument(std::string("checkpoint: /") + group + " holds " + std::to_string(saved.size()) +
                                  " variables, a run writes " + std::to_string(series.size()));
    }
    for (std::size_t k = 0; k < series.size(); ++k) {
      if (saved[k].name != series[k].name || saved[k].values.size() != length) {
        throw std::invalid_argument(std::string("checkpoint: /") + group + "/" + saved[k].name +
                                    " is not the variable and length a run writes there");
      }
      std::copy(saved[k].values.begin(), saved[k].values.end(), series[k].values.begin());
    }
  };
  if (t0 > T || done.time.size() != t0 || done.sectors.size() != S) {
    throw std::invalid_argument("checkpoint: its steps and sectors are not this scenario's");
  }
  restore(result.aggregate, done.aggregate, t0, "aggregate");
  restore(result.convergence, done.convergence, t0, "convergence");
  restore(result.policy, done.policy, t0, "policy");
  restore(result.by_sector, done.by_sector, t0 * S, "by_sector");
  restore(result.policy_by_sector, done.policy_by_sector, t0 * S, "policy");
  result.time = done.time;
  if (options.firm_snapshots) result.snapshots = std::move(from.partial.snapshots);
  run_steps(scenario, from.economy, result, t0, T, options);
  return result;
}

RunResult simulate(const Scenario& scenario, const RunOptions& options) {
  return continue_run(scenario, run_to_checkpoint(scenario, 0, options), options);
}

}  // namespace convsim::models
