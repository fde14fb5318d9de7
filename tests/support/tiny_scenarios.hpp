// Scenario files for sweep tests: a small economy that runs in milliseconds (tiny.yaml) and a
// policy scenario extending it (tiny_policy.yaml).
#pragma once

namespace convsim::testing {

inline constexpr const char* kTinyScenario = R"(name: tiny
seed: 5
time: {start_year: 2000, end_year: 2004, steps_per_year: 1}
economy: {firms: 300}
sectors:
  network: {role: network, firm_share: 0.3}
  device: {role: device, firm_share: 0.2}
  health_care: {role: converging, firm_share: 0.5, barrier: 0.5}
)";

inline constexpr const char* kTinyPolicy = R"(extends: tiny.yaml
name: tiny_policy
policies:
  open_health:
    lever: barrier
    sectors: [health_care]
    at: 2002
    value: 0.0
)";

}  // namespace convsim::testing
