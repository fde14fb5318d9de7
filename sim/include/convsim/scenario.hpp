// Scenario: the typed, validated, immutable description of one run (the model, in MuJoCo's
// mjModel sense). Built once from a ScenarioDocument; never changed while a run steps.
// Every quantity's unit is listed in scenario_schema() and docs/scenarios.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "convsim/scenario_document.hpp"

namespace convsim {

// A sector's place in the economy: one of the ICT value chain (C-P-N-D) or a converging industry.
enum class SectorRole : std::uint8_t { contents, platform, network, device, converging };

// The role's scenario spelling ("contents", ..., "converging").
const char* to_string(SectorRole role);
// Whether the role belongs to the ICT value chain.
inline bool is_ict(SectorRole role) { return role != SectorRole::converging; }

// One sector: data, not code. Adding a sector is a YAML edit.
struct Sector {
  std::string name;
  SectorRole role = SectorRole::converging;
  double firm_share = 0;          // share of initial firms (normalised over sectors), 1
  double barrier = 0;             // regulatory barrier to convergence in 1990, 0 (none) .. 1 (prohibitive)
  double ict_synergy = 0.5;       // synergy with ICT, 0..1: link intensity and partner choice
  double tfp = 1;                 // sector total factor productivity level, 1
  double capital_per_worker = 1;  // initial capital per worker, 1e8 KRW/person
  double initial_converged = 0;   // share of the sector's firms converged (package) at the start, 1
};

// The policy levers a scenario can pull.
enum class Lever : std::uint8_t { barrier, infrastructure, selective_focus, smart_work, accessibility, rd_support, productivity_shock };
// The lever's scenario spelling.
const char* to_string(Lever lever);

// One timed policy event: from `at`, the lever moves towards `value` over `ramp_years`, until `until`.
struct PolicyEvent {
  std::string name;                // the event's key under `policies`
  Lever lever = Lever::barrier;
  std::vector<int> sectors;        // target sector indices (empty: every sector)
  double at = 0;                   // year
  double until = std::numeric_limits<double>::infinity();  // year; infinity: stays in force
  double ramp_years = 0;           // years to reach full strength
  double value = 0;                // target level (mode set) or increment (mode add)
  bool additive = false;           // mode: add to the lever's level rather than set it
};

struct TimeSettings {
  int start_year = 1990;
  int end_year = 2020;      // inclusive: the last step starts in this year
  int steps_per_year = 1;
  int burn_in_years = 0;    // years simulated before start_year under its levers, not reported
};

struct EconomySettings {
  std::int64_t firms = 100000;           // initial firms, 1
  double size_exponent = 1.06;           // Zipf (Pareto tail) exponent of firm employment, 1
  double min_firm_size = 1;              // persons
  double max_firm_size = 100000;         // persons
  double initial_wage = 0.25;            // 1e8 KRW per person-year
  double labour_supply_growth = 0.01;    // 1/year
  double labour_supply_elasticity = 0.3; // elasticity of labour supply to the wage, 1
};

// The labour market: a labour force, a wage that moves towards the one that clears it, hiring
// rationed by the unemployed pool (docs/model.md, 7.6).
struct LabourSettings {
  double initial_unemployment = 0.025;   // unemployment rate in the first year, 1
  double wage_stickiness = 0.0;          // share of the log gap to the clearing wage left after a year, 1
  double smart_work_participation = 0.02;// labour-force participation gain per unit smart work, 1
  double smart_work_matching = 0.5;      // gain of hiring speed and matching efficiency per unit smart work, 1
  double matching_efficiency = 50;       // mu of the matching function M = mu dt U^eta V^(1-eta), 1/year
  double matching_elasticity = 0.5;      // eta, elasticity of matches to job seekers, 1
};

// Productivity shocks: AR(1) in logs, aggregate and by sector, plus a firm's own innovations.
struct ShockSettings {
  double persistence = 0.6;        // annual AR(1) coefficient of aggregate and sector shocks, 1
  double aggregate_sd = 0.0;       // s.d. of the annual aggregate innovation, log points
  double sector_sd = 0.0;          // s.d. of the annual sector innovation, log points
  double firm_scale = 0.0;         // Laplace scale of a one-person firm's annual productivity innovation, log points
  double firm_size_elasticity = -0.15;  // elasticity of that scale to firm employment, 1
  double firm_size_floor = 1.0;         // employment below which that scale stops rising, person
};

struct NetworkSettings {
  double mean_degree = 8;                 // mean suppliers per firm, 1
  double size_preference = 1.0;           // exponent of size in supplier choice (preferential), 1
  std::vector<double> link_intensity;     // [S*S], supplier-major: intensity[supplier*S + customer]
};

struct TechnologySettings {
  double innovation_rate = 0.4;           // innovation events per firm-year
  double innovation_step = 0.02;          // mean log-technology gain of one innovation, log points
  double imitation_rate = 0.15;           // share of the gap to neighbours closed per year, 1/year
  double infrastructure_elasticity = 0.5; // elasticity of both rates to infrastructure, 1
};

struct AdoptionSettings {
  double base_hazard = 0.004;               // spontaneous convergence hazard, 1/year
  double peer_effect = 0.35;                // hazard per unit share of converged neighbours, 1/year
  double infrastructure_elasticity = 1.0;   // elasticity of the hazard to infrastructure, 1
  double upgrade_hazard = 0.12;             // package→hybrid→fusion hazard, 1/year
  double upgrade_peer_effect = 0.0;         // upgrade hazard per unit share of hybrid-or-fusion neighbours, 1/year
  double lift_package = 0.04;               // productivity lift of each level, share
  double lift_hybrid = 0.10;
  double lift_fusion = 0.18;
  std::int64_t partner_capacity = 4;        // new partnerships an ICT firm accepts per step, 1
};

struct ProsumerSettings {
  double initial_share = 0.02;   // share of customers co-creating through social media, 1
  double growth_rate = 0.3;      // logistic diffusion rate, 1/year
  double max_share = 0.6;        // saturation share at full accessibility, 1
  double demand_effect = 0.25;   // premium of converged output per unit prosumer share (quality-adjusted units), 1
};

// Households spend their income over sectors with CES preferences (docs/model.md 7.13).
struct DemandSettings {
  double elasticity = 0.85;  // elasticity of substitution between sectors, sigma, 1
  double expectation_speed = 0.5;  // share of the log gap between expected and last price closed per year, 1
};

struct ProductionSettings {
  double capital_elasticity = 0.30;  // alpha, 1
  double labour_elasticity = 0.60;   // beta, 1
  double depreciation = 0.08;        // 1/year
  double investment_rate = 0.35;     // share of operating surplus invested, 1
  double user_cost = 0.04;           // opportunity cost of capital in profit, 1/year
  double hiring_speed = 0.6;         // share of the gap to desired employment closed per year, 1/year
  double smart_work_hours = 0.05;    // effective-hours gain per unit smart work, 1
  double wage_premium_sd = 0.0;      // s.d. of the firms' log wage premia (firm wage effects), log points
};

// The largest exit hazard a firm can have, 1/year: ln 2, so that no firm's exit probability
// exceeds one half per year however far its margin falls below its sector's (docs/model.md 7.5).
inline constexpr double kMaxExitHazard = 0.6931471805599453;

struct DynamicsSettings {
  double exit_hazard = 0.015;         // exit hazard of a mature firm at its sector's profit margin, 1/year
  double exit_profit_sensitivity = 5; // log exit hazard per unit of profit margin below the sector's, 1
  double exit_young_factor = 2;       // extra exit hazard of a new firm (times the mature hazard), 1
  double exit_young_years = 3;        // e-folding age of the young-firm extra hazard, year
  double exit_size_elasticity = -0.3; // elasticity of the exit hazard to employment (one person: the base hazard), 1
  double initial_mean_age = 12;       // mean age of the initial firms (exponential), year
  double entrant_productivity_gap = 0.1;  // entrants' log productivity below the incumbent they copy, log points
  double entrant_productivity_sd = 0.1;   // s.d. of the entrant's own log productivity draw, log points
  double entrant_size_share = 0.0;        // entrant's employment as a share of its optimal size (0: drawn from the size law), 1
  double entry_rate = 0.015;          // entrants per alive firm-year, 1/year
  double entry_convergence = 0.1;     // extra entry per unit growth rate of converged output, 1
};

struct EnvironmentSettings {
  double infrastructure = 1.0;        // network infrastructure index in the first year, 1 (1990 = 1)
  double infrastructure_growth = 0.03;// market-led growth of the index, 1/year
  double accessibility = 0.6;         // share of society with network access at start, 1
  // Measured access by year (year, share), ascending: when given, access before any event follows
  // it (linear between points, constant outside them) instead of `accessibility`.
  std::vector<std::pair<double, double>> access_path;
  double smart_work = 0.0;            // smart-work intensity at start, 1
};

struct OutputSettings {
  std::vector<double> snapshot_years;  // years at which every firm's state is written
};

// Something in a scenario that is valid but probably not what its author meant (an event outside
// the run's years, a sector far from the calibrated ones): reported on stderr, the run goes on.
struct ScenarioWarning {
  SourceLocation where;
  std::string key;      // dotted key
  std::string message;
  // "file:line: key 'k': message", as InputError words its errors.
  std::string text() const;
};

// The resolved scenario: what a run reads and nothing else.
struct Scenario {
  std::string name;
  std::string description;
  std::string source_file;
  std::uint64_t seed = 1;
  TimeSettings time;
  EconomySettings economy;
  LabourSettings labour;
  ShockSettings shocks;
  NetworkSettings network;
  TechnologySettings technology;
  AdoptionSettings adoption;
  ProsumerSettings prosumers;
  DemandSettings demand;
  ProductionSettings production;
  DynamicsSettings dynamics;
  EnvironmentSettings environment;
  OutputSettings output;
  std::vector<Sector> sectors;
  std::vector<PolicyEvent> policies;
  std::string resolved_yaml;  // the document the scenario was built from, extends resolved
  SourceLocation firms_location;  // where economy.firms was set (for the memory check's message)
  std::vector<ScenarioWarning> warnings;  // scenario_warnings() of the document it was built from

  // Number of steps: (end_year - start_year + 1) * steps_per_year.
  int steps() const { return (time.end_year - time.start_year + 1) * time.steps_per_year; }
  // Steps simulated before the first reported one (time.burn_in_years * steps_per_year).
  int burn_in_steps() const { return time.burn_in_years * time.steps_per_year; }
  // Step length in years.
  double dt() const { return 1.0 / time.steps_per_year; }
  // Decimal year at the start of step t.
  double year_of_step(int t) const { return time.start_year + t * dt(); }
  // Index of the sector with this name, or -1.
  int sector_index(const std::string& sector_name) const;
  // Link intensity from supplier sector s to customer sector c.
  double link_intensity(int supplier, int customer) const {
    return network.link_intensity[static_cast<std::size_t>(supplier) * sectors.size() + customer];
  }
};

// Builds and validates a scenario (throws InputError naming file, line and key).
Scenario build_scenario(const ScenarioDocument& document);
// The same, with resolved_yaml left empty when `resolved` is skip (a sweep plan that computes each
// run's identity from a text template instead; every check and warning is the same).
enum class ResolvedYaml { emit, skip };
Scenario build_scenario(const ScenarioDocument& document, ResolvedYaml resolved);
// What is valid but suspicious in a built scenario (sim/src/scenario_checks.cpp), in key order:
//  * a policy event that never acts within the run's years (it starts after the last step, or
//    ends before the first), or starts before the first year (in force from the first step);
//  * a sector field outside the range of the calibrated sectors' values: the calibrated sectors
//    are those whose field is set in the file that holds the scenario's `calibration` section;
//    only the fields that file sets are checked, on the other sectors (defaults included).
std::vector<ScenarioWarning> scenario_warnings(const ScenarioDocument& document, const Scenario& scenario);
// The file that holds the document's `calibration` section (a calibrated file the scenario
// extends, or the scenario itself); "" without one.
std::string calibration_file(const ScenarioDocument& document);
// How each policy event moves over the run's steps, one line per event, e.g. "infra_5g:
// infrastructure add 0.5 at 2019, ramp 2 years: strength 0 in 2019 (at), 0.5 in 2020, full
// from 2021" (what `convsim validate --print` shows under the resolved scenario).
std::vector<std::string> policy_schedule_lines(const Scenario& scenario);
// Loads a scenario file, applies --set overrides ("key.path=value") and validates it.
Scenario load_scenario(const std::filesystem::path& path, const std::vector<std::string>& overrides = {});

// A 128-bit hex digest of text (two FNV-1a 64 with different offsets): stable across platforms.
std::string content_digest(const std::string& text);
// content_digest of text given in pieces: add() each piece in order, then hex() is the digest of
// their concatenation.
class ContentDigest {
 public:
  void add(std::string_view text) {
    for (const unsigned char c : text) {
      a_ = (a_ ^ c) * kPrime;
      b_ = (b_ ^ c) * kPrime;
    }
  }
  std::string hex() const;

 private:
  static constexpr std::uint64_t kPrime = 1099511628211ull;
  std::uint64_t a_ = 14695981039346656037ull;
  std::uint64_t b_ = 0x9e3779b97f4a7c15ull;
};
// The run's identity: content_digest of the resolved scenario text and the seed.
std::string run_identity(const Scenario& scenario);

// What a scenario key is, for validation messages and the scenario reference (docs/scenarios.md).
struct ParameterDoc {
  std::string key;      // dotted path; <sector>, <event>, <supplier>, <customer> stand for names
  std::string type;     // real, integer, year, text, choice, list of ...
  std::string unit;
  std::string default_value;
  std::string range;
  std::string description;
};
// Every key a scenario may hold.
const std::vector<ParameterDoc>& scenario_schema();

// The memory a run of this scenario needs at its peak, in bytes, estimated before allocation.
struct RunMemoryEstimate {
  double firm_state = 0;       // firm columns and the network, at the most firm slots of the run
  double result_series = 0;    // time series: steps x (sectors x sector variables + others)
  double snapshots = 0;        // firm snapshots (output.snapshot_years) and the writer's padding
  double total = 0;            // the above plus the process itself
  double peak_firm_slots = 0;  // most slots held at once: alive firms plus those exited since the last compaction
  double firm_steps = 0;       // alive firms summed over the steps, burn-in included: the run's work
};
RunMemoryEstimate estimate_run_memory(const Scenario& scenario);
// estimate_run_memory(scenario).total, saturated at the largest uint64.
std::uint64_t estimated_run_bytes(const Scenario& scenario);
// A conservative estimate of one run's time on one core, seconds: kSecondsPerFirmStep per firm-step
// (the baseline measures 0.6-0.7 us of CPU per firm-step on the reference machine, building and
// writing included; docs/performance.md) plus a fixed start and write cost. Used to size Slurm
// array tasks.
inline constexpr double kSecondsPerFirmStep = 1e-6;
double estimated_run_seconds(const Scenario& scenario);
// Throws InputError (key economy.firms) when the estimate exceeds the memory available.
void check_memory(const Scenario& scenario);

}  // namespace convsim
