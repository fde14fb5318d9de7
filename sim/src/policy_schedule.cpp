#include "convsim/policy_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace convsim {

double event_strength(const PolicyEvent& event, double year) {
  if (year < event.at || year >= event.until) return 0.0;
  if (event.ramp_years <= 0) return 1.0;
  return std::min(1.0, (year - event.at) / event.ramp_years);
}

double baseline_accessibility(const Scenario& scenario, double year) {
  const auto& path = scenario.environment.access_path;
  if (path.empty()) return scenario.environment.accessibility;
  if (year <= path.front().first) return path.front().second;
  if (year >= path.back().first) return path.back().second;
  const auto upper = std::upper_bound(path.begin(), path.end(), year,
                                      [](double y, const std::pair<double, double>& point) { return y < point.first; });
  const auto lower = upper - 1;
  const double share = (year - lower->first) / (upper->first - lower->first);
  return (1.0 - share) * lower->second + share * upper->second;
}

PolicyState policy_at(const Scenario& scenario, double year) {
  const std::size_t S = scenario.sectors.size();
  PolicyState state;
  state.year = year;
  const double elapsed = year - scenario.time.start_year;
  state.infrastructure = scenario.environment.infrastructure *
                         std::exp(scenario.environment.infrastructure_growth * elapsed);
  state.accessibility = baseline_accessibility(scenario, year);
  state.smart_work = scenario.environment.smart_work;
  state.barrier.resize(S);
  for (std::size_t s = 0; s < S; ++s) state.barrier[s] = scenario.sectors[s].barrier;
  state.selective_focus.assign(S, 0.0);
  state.rd_support.assign(S, 0.0);
  state.productivity_shock.assign(S, 0.0);

  // A set-mode event moves the level from what it was towards `value`; add-mode adds value.
  auto apply = [](double& level, const PolicyEvent& e, double strength) {
    // (1 - s) level + s value is exact at full strength (level + s (value - level) can miss by an ulp).
    level = e.additive ? level + strength * e.value : (1.0 - strength) * level + strength * e.value;
  };
  for (const PolicyEvent& e : scenario.policies) {
    const double strength = event_strength(e, year);
    if (strength <= 0) continue;
    auto apply_sectors = [&](std::vector<double>& levels) {
      if (e.sectors.empty()) {
        for (double& level : levels) apply(level, e, strength);
      } else {
        for (int s : e.sectors) apply(levels[s], e, strength);
      }
    };
    switch (e.lever) {
      case Lever::barrier: apply_sectors(state.barrier); break;
      case Lever::selective_focus: apply_sectors(state.selective_focus); break;
      case Lever::rd_support: apply_sectors(state.rd_support); break;
      case Lever::productivity_shock: apply_sectors(state.productivity_shock); break;
      case Lever::infrastructure: apply(state.infrastructure, e, strength); break;
      case Lever::accessibility: apply(state.accessibility, e, strength); break;
      case Lever::smart_work: apply(state.smart_work, e, strength); break;
    }
  }
  for (double& b : state.barrier) b = std::clamp(b, 0.0, 1.0);
  state.accessibility = std::clamp(state.accessibility, 0.0, 1.0);
  state.infrastructure = std::max(state.infrastructure, 1e-6);
  state.smart_work = std::max(state.smart_work, 0.0);
  for (double& f : state.selective_focus) f = std::max(f, 0.0);
  for (double& r : state.rd_support) r = std::max(r, -1.0);
  return state;
}

std::vector<PolicyEventRecord> policy_event_records(const Scenario& scenario) {
  std::vector<PolicyEventRecord> out;
  for (const PolicyEvent& e : scenario.policies) {
    PolicyEventRecord r;
    r.name = e.name;
    r.lever = to_string(e.lever);
    for (int s : e.sectors) r.sectors += (r.sectors.empty() ? "" : ",") + scenario.sectors[s].name;
    r.mode = e.additive ? "add" : "set";
    r.at = e.at;
    r.until = std::isinf(e.until) ? std::nan("") : e.until;
    r.ramp_years = e.ramp_years;
    r.value = e.value;
    out.push_back(r);
  }
  return out;
}

}  // namespace convsim
