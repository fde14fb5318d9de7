// Helpers shared by the model tests: small inline scenarios, stepping an economy under its
// policy schedule, and reading a run's series.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "convsim/models/economy.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/models/step.hpp"
#include "convsim/policy_schedule.hpp"
#include "convsim/scenario.hpp"
#include "test_support.hpp"

namespace convsim::testing {

// A scenario from inline YAML text, validated like a file.
inline Scenario scenario_from_yaml(const std::string& yaml) {
  return build_scenario(ScenarioDocument::parse(yaml, "<test>"));
}

// The calibrated baseline with --set style overrides (e.g. "economy.firms=4000").
inline Scenario baseline_with(const std::vector<std::string>& overrides) {
  return load_scenario(source_path("scenarios/korea_baseline.yaml"), overrides);
}

// Steps an economy one step at a time under its scenario's policy schedule.
class Stepper {
 public:
  explicit Stepper(const Scenario& scenario) : scenario_(scenario), economy_(models::build_economy(scenario)) {}

  // Advances one step and returns what it reported.
  const models::StepAggregates& advance() {
    const PolicyState levers = policy_at(scenario_, scenario_.year_of_step(economy_.step));
    models::advance(scenario_, economy_, levers, step_);
    return step_;
  }
  models::Economy& economy() { return economy_; }
  const Scenario& scenario() const { return scenario_; }

 private:
  const Scenario& scenario_;
  models::Economy economy_;
  models::StepAggregates step_;
};

// A run's /aggregate, /convergence or /by_sector series by name (fails the test when absent).
inline const std::vector<double>& aggregate_series(const RunResult& result, const std::string& name) {
  const Series* series = result.find_aggregate(name);
  EXPECT_NE(series, nullptr) << "no /aggregate/" << name;
  static const std::vector<double> empty;
  return series ? series->values : empty;
}

inline const std::vector<double>& convergence_series(const RunResult& result, const std::string& name) {
  const Series* series = result.find_convergence(name);
  EXPECT_NE(series, nullptr) << "no /convergence/" << name;
  static const std::vector<double> empty;
  return series ? series->values : empty;
}

// One sector's column of a /by_sector variable, [T].
inline std::vector<double> sector_series(const RunResult& result, const std::string& name, const std::string& sector) {
  const SectorSeries* series = result.find_by_sector(name);
  EXPECT_NE(series, nullptr) << "no /by_sector/" << name;
  std::vector<double> out;
  if (!series) return out;
  const std::size_t S = result.sectors.size();
  std::size_t s = 0;
  while (s < S && result.sectors[s] != sector) ++s;
  EXPECT_LT(s, S) << "no sector " << sector;
  if (s == S) return out;
  for (std::size_t t = 0; t < result.time.size(); ++t) out.push_back(series->values[t * S + s]);
  return out;
}

}  // namespace convsim::testing
