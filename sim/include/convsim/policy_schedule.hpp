// The policy schedule: which lever levels are in force at a given time. A pure function of the
// scenario and the time, so every run, thread and executor sees the same levers.
#pragma once

#include <vector>

#include "convsim/result.hpp"
#include "convsim/scenario.hpp"

namespace convsim {

// Lever levels in force during one step.
struct PolicyState {
  double year = 0;            // decimal year the levers were evaluated at
  double infrastructure = 1;  // network infrastructure index, 1
  double accessibility = 0;   // share of society with network access, 1
  double smart_work = 0;      // smart-work intensity, 1
  std::vector<double> barrier;          // [S] regulatory barrier, 0..1
  std::vector<double> selective_focus;  // [S] support intensity, 1
  std::vector<double> rd_support;       // [S] relative change of the innovation rate, 1
  std::vector<double> productivity_shock;  // [S] timed productivity episode, log points
};

// Network access before any event at decimal year `year`: environment.accessibility, or the
// measured path environment.access_path (linear between its points, constant outside them).
double baseline_accessibility(const Scenario& scenario, double year);

// Strength of an event at `year`: 0 before `at`, rising linearly over ramp_years to 1, and 0 again
// from `until` on.
double event_strength(const PolicyEvent& event, double year);

// The levers in force at decimal year `year` (events applied in scenario order).
PolicyState policy_at(const Scenario& scenario, double year);

// The scenario's events as result records (/policy/events).
std::vector<PolicyEventRecord> policy_event_records(const Scenario& scenario);

}  // namespace convsim
