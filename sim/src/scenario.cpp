#include "convsim/scenario.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "convsim/detail/scenario_recheck.hpp"
#include "convsim/errors.hpp"
#include "convsim/parameter_draws.hpp"

namespace convsim {
namespace {

//---- value readers: every leaf is type- and range-checked against the schema ----

std::string describe_found(const YAML::Node& node) {
  if (node.IsNull()) return "nothing (null)";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  return "'" + node.Scalar() + "'";
}

[[noreturn]] void fail(const DocumentEntry& entry, const std::string& key, const std::string& message) {
  throw InputError(entry.where.file, entry.where.line, key, message);
}

std::string format_number(double v) {
  std::ostringstream ss;
  ss << v;
  return ss.str();
}

std::string range_text(double lo, double hi, bool lo_open) {
  std::string out = lo_open ? "(" : "[";
  out += format_number(lo) + ", " + (std::isinf(hi) ? std::string("inf") : format_number(hi)) + "]";
  return out;
}

bool parse_double(const std::string& text, double& out) {
  if (text.empty()) return false;
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (digit(text[0]) || (text.size() > 1 && (text[0] == '-' || text[0] == '.') && digit(text[1]))) {
    // A number as written (no spelling of nan or inf starts so): what from_chars reads below.
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size();
  }
  const std::string lowered = [&] {
    std::string s = text;
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  }();
  if (lowered == ".nan" || lowered == "nan") {
    out = std::nan("");
    return true;
  }
  if (lowered == ".inf" || lowered == "+.inf" || lowered == "inf") {
    out = INFINITY;
    return true;
  }
  if (lowered == "-.inf" || lowered == "-inf") {
    out = -INFINITY;
    return true;
  }
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, out);
  return ec == std::errc() && ptr == end;
}

double read_real(const DocumentEntry& entry, const std::string& key, double lo, double hi, bool lo_open) {
  double v = 0;
  if (!entry.value.IsScalar() || !parse_double(entry.value.Scalar(), v)) {
    fail(entry, key, "found " + describe_found(entry.value) + ", expected a number in " + range_text(lo, hi, lo_open));
  }
  if (std::isnan(v) || std::isinf(v)) {
    fail(entry, key, "found " + describe_found(entry.value) + ", expected a finite number in " + range_text(lo, hi, lo_open));
  }
  if (v < lo || (lo_open && v == lo) || v > hi) {
    fail(entry, key, "found " + format_number(v) + ", expected a number in " + range_text(lo, hi, lo_open));
  }
  return v;
}

std::int64_t read_integer(const DocumentEntry& entry, const std::string& key, double lo, double hi) {
  // Plain integer literals are read exactly (a seed above 2^53 must not be rounded through a
  // double); forms like 1e6 go through the floating-point reader below.
  if (entry.value.IsScalar()) {
    const std::string& text = entry.value.Scalar();
    std::int64_t exact = 0;
    const char* begin = text.data() + (!text.empty() && text[0] == '+' ? 1 : 0);
    const auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), exact);
    if (ec == std::errc() && ptr == text.data() + text.size() && !text.empty()) {
      if (static_cast<double>(exact) < lo || static_cast<double>(exact) > hi) {
        fail(entry, key, "found " + text + ", expected a whole number in " + range_text(lo, hi, false));
      }
      return exact;
    }
  }
  double v = 0;
  const bool ok = entry.value.IsScalar() && parse_double(entry.value.Scalar(), v) && std::isfinite(v) &&
                  v == std::floor(v);
  if (!ok) {
    fail(entry, key, "found " + describe_found(entry.value) + ", expected a whole number in " + range_text(lo, hi, false));
  }
  if (v < lo || v > hi) {
    fail(entry, key, "found " + format_number(v) + ", expected a whole number in " + range_text(lo, hi, false));
  }
  return static_cast<std::int64_t>(v);
}

std::string read_text(const DocumentEntry& entry, const std::string& key) {
  if (!entry.value.IsScalar()) fail(entry, key, "found " + describe_found(entry.value) + ", expected text");
  return entry.value.Scalar();
}

std::string read_choice(const DocumentEntry& entry, const std::string& key, const std::vector<std::string>& choices) {
  const std::string text = entry.value.IsScalar() ? entry.value.Scalar() : std::string();
  if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
    fail(entry, key, "found " + describe_found(entry.value) + ", expected one of: " + list);
  }
  return text;
}

std::vector<std::string> read_text_list(const DocumentEntry& entry, const std::string& key) {
  std::vector<std::string> out;
  if (entry.value.IsScalar()) {
    out.push_back(entry.value.Scalar());
  } else if (entry.value.IsSequence()) {
    for (const auto& item : entry.value) out.push_back(item.Scalar());
  } else {
    fail(entry, key, "found " + describe_found(entry.value) + ", expected a list of names");
  }
  return out;
}

//---- the schema: one row per scalar key, bound to the Scenario member it sets ----

struct RealParam {
  const char* key;
  const char* unit;
  double lo;
  double hi;
  bool lo_open;
  const char* description;
  double& (*ref)(Scenario&);
};

struct IntParam {
  const char* key;
  const char* unit;
  double lo;
  double hi;
  const char* description;
  std::int64_t (*get)(const Scenario&);
  void (*set)(Scenario&, std::int64_t);
};

constexpr double kInf = std::numeric_limits<double>::infinity();

#define CONVSIM_REAL(key, unit, lo, hi, lo_open, member, description) \
  RealParam { key, unit, lo, hi, lo_open, description, [](Scenario& s) -> double& { return s.member; } }
#define CONVSIM_INT(key, unit, lo, hi, member, description)                                       \
  IntParam {                                                                                       \
    key, unit, lo, hi, description, [](const Scenario& s) { return static_cast<std::int64_t>(s.member); }, \
        [](Scenario& s, std::int64_t v) { s.member = static_cast<decltype(s.member)>(v); }        \
  }

const std::vector<IntParam>& integer_params() {
  static const std::vector<IntParam> params = {
      CONVSIM_INT("seed", "1", 0, 9.0e18, seed, "seed of every random draw (common random numbers across scenarios)"),
      CONVSIM_INT("time.start_year", "year", 1800, 2500, time.start_year, "calendar year of the first step"),
      CONVSIM_INT("time.end_year", "year", 1800, 2500, time.end_year, "calendar year of the last step (inclusive)"),
      CONVSIM_INT("time.steps_per_year", "1/year", 1, 52, time.steps_per_year, "steps per year (1 annual, 4 quarterly)"),
      CONVSIM_INT("time.burn_in_years", "year", 0, 200, time.burn_in_years,
                  "years simulated before time.start_year under the levers of that year, not reported (the economy settles into its own dynamics)"),
      CONVSIM_INT("economy.firms", "1", 1, 2.0e9, economy.firms, "number of firms at the start"),
      CONVSIM_INT("adoption.partner_capacity", "1/step", 1, 1.0e6, adoption.partner_capacity,
                  "new partnerships one ICT firm accepts per step (contention is resolved by firm id)"),
  };
  return params;
}

const std::vector<RealParam>& real_params() {
  static const std::vector<RealParam> params = {
      CONVSIM_REAL("economy.size_exponent", "1", 0.5, 3.0, false, economy.size_exponent, "Zipf exponent of initial firm employment (Axtell 2001: 1.06)"),
      CONVSIM_REAL("economy.min_firm_size", "person", 0.0, 1.0e6, true, economy.min_firm_size, "smallest initial firm employment"),
      CONVSIM_REAL("economy.max_firm_size", "person", 0.0, 1.0e8, true, economy.max_firm_size, "largest initial firm employment (Zipf truncation)"),
      CONVSIM_REAL("economy.initial_wage", "1e8 KRW/(person*year)", 0.0, 100.0, true, economy.initial_wage, "wage in the first year"),
      CONVSIM_REAL("economy.labour_supply_growth", "1/year", -0.2, 0.2, false, economy.labour_supply_growth, "growth of labour supply at a constant wage"),
      CONVSIM_REAL("economy.labour_supply_elasticity", "1", 0.0, 10.0, false, economy.labour_supply_elasticity, "elasticity of labour supply to the wage"),
      CONVSIM_REAL("labour.initial_unemployment", "1", 0.0, 0.9, false, labour.initial_unemployment, "unemployment rate in the first year: the labour force is employment / (1 - this)"),
      CONVSIM_REAL("labour.wage_stickiness", "1", 0.0, 1.0, false, labour.wage_stickiness, "share of the log gap between last year's wage and the clearing wage left after one year (0: the wage clears the market every step)"),
      CONVSIM_REAL("labour.smart_work_participation", "1", 0.0, 1.0, false, labour.smart_work_participation, "labour-force participation gain per unit of smart work"),
      CONVSIM_REAL("labour.smart_work_matching", "1", 0.0, 10.0, false, labour.smart_work_matching, "gain of hiring speed and matching efficiency per unit of smart work"),
      CONVSIM_REAL("labour.matching_efficiency", "1/year", 0.0, 1.0e4, true, labour.matching_efficiency, "efficiency mu of the matching function M = mu dt U^eta V^(1-eta) (large: hires limited only by the unemployed)"),
      CONVSIM_REAL("labour.matching_elasticity", "1", 0.0, 1.0, false, labour.matching_elasticity, "elasticity eta of matches to job seekers (Petrongolo and Pissarides 2001: about 0.5)"),
      CONVSIM_REAL("shocks.persistence", "1", 0.0, 0.999, false, shocks.persistence, "annual AR(1) coefficient of the aggregate and sector productivity shocks"),
      CONVSIM_REAL("shocks.aggregate_sd", "log point", 0.0, 1.0, false, shocks.aggregate_sd, "s.d. of the annual innovation of the aggregate productivity shock"),
      CONVSIM_REAL("shocks.sector_sd", "log point", 0.0, 1.0, false, shocks.sector_sd, "s.d. of the annual innovation of each sector's productivity shock"),
      CONVSIM_REAL("shocks.firm_scale", "log point", 0.0, 1.0, false, shocks.firm_scale, "Laplace scale of a one-person firm's annual productivity innovation"),
      CONVSIM_REAL("shocks.firm_size_elasticity", "1", -1.0, 0.0, false, shocks.firm_size_elasticity, "elasticity of a firm's productivity-innovation scale to its employment (Stanley et al. 1996: about -0.15)"),
      CONVSIM_REAL("shocks.firm_size_floor", "person", 0.0, 1e9, true, shocks.firm_size_floor, "employment below which a firm's productivity-innovation scale stops rising as the firm shrinks (the scale is that of a firm of this size)"),
      CONVSIM_REAL("network.mean_degree", "1", 0.0, 1000.0, false, network.mean_degree, "mean number of suppliers per firm"),
      CONVSIM_REAL("network.size_preference", "1", 0.0, 3.0, false, network.size_preference, "exponent of supplier size in supplier choice (preferential attachment)"),
      CONVSIM_REAL("technology.innovation_rate", "1/year", 0.0, 100.0, false, technology.innovation_rate, "innovation events per firm-year (technology exports)"),
      CONVSIM_REAL("technology.innovation_step", "log point", 0.0, 1.0, false, technology.innovation_step, "mean log-technology gain of one innovation"),
      CONVSIM_REAL("technology.imitation_rate", "1/year", 0.0, 100.0, false, technology.imitation_rate, "share of the technology gap to suppliers closed per year (technology imports)"),
      CONVSIM_REAL("technology.infrastructure_elasticity", "1", 0.0, 10.0, false, technology.infrastructure_elasticity, "elasticity of innovation and imitation to infrastructure"),
      CONVSIM_REAL("adoption.base_hazard", "1/year", 0.0, 100.0, false, adoption.base_hazard, "spontaneous convergence hazard of a converging-sector firm"),
      CONVSIM_REAL("adoption.peer_effect", "1/year", 0.0, 100.0, false, adoption.peer_effect, "hazard per unit share of converged network neighbours"),
      CONVSIM_REAL("adoption.infrastructure_elasticity", "1", 0.0, 10.0, false, adoption.infrastructure_elasticity, "elasticity of the adoption hazard to infrastructure"),
      CONVSIM_REAL("adoption.upgrade_hazard", "1/year", 0.0, 100.0, false, adoption.upgrade_hazard, "spontaneous hazard of moving up package -> hybrid -> fusion at full network access"),
      CONVSIM_REAL("adoption.upgrade_peer_effect", "1/year", 0.0, 100.0, false, adoption.upgrade_peer_effect, "upgrade hazard per unit share of neighbours at hybrid or fusion"),
      CONVSIM_REAL("adoption.lift_package", "1", 0.0, 10.0, false, adoption.lift_package, "productivity lift of package convergence (share)"),
      CONVSIM_REAL("adoption.lift_hybrid", "1", 0.0, 10.0, false, adoption.lift_hybrid, "productivity lift of hybrid convergence (share)"),
      CONVSIM_REAL("adoption.lift_fusion", "1", 0.0, 10.0, false, adoption.lift_fusion, "productivity lift of fusion convergence (share)"),
      CONVSIM_REAL("prosumers.initial_share", "1", 0.0, 1.0, false, prosumers.initial_share, "share of customers co-creating through social media at start"),
      CONVSIM_REAL("prosumers.growth_rate", "1/year", 0.0, 100.0, false, prosumers.growth_rate, "logistic diffusion rate of prosumers"),
      CONVSIM_REAL("prosumers.max_share", "1", 0.0, 1.0, false, prosumers.max_share, "prosumer saturation share at full network access"),
      CONVSIM_REAL("prosumers.demand_effect", "1", 0.0, 10.0, false, prosumers.demand_effect, "premium of converged output per unit prosumer share: one unit counts as 1 + effect x share units of its sector's good"),
      CONVSIM_REAL("demand.elasticity", "1", 0.0, 20.0, true, demand.elasticity, "elasticity of substitution between sectors in households' CES demand (Herrendorf, Rogerson and Valentinyi 2013: about 0.85 for final expenditure)"),
      CONVSIM_REAL("demand.expectation_speed", "1", 0.0, 1.0, true, demand.expectation_speed, "adaptive price expectations: share of the log gap between the expected and the last clearing price closed per year (Nerlove 1958; 1: the last price)"),
      CONVSIM_REAL("production.capital_elasticity", "1", 0.0, 1.0, true, production.capital_elasticity, "firm-level Cobb-Douglas elasticity of capital (alpha)"),
      CONVSIM_REAL("production.labour_elasticity", "1", 0.0, 1.0, true, production.labour_elasticity, "firm-level Cobb-Douglas elasticity of labour (beta); alpha + beta < 1"),
      CONVSIM_REAL("production.depreciation", "1/year", 0.0, 1.0, false, production.depreciation, "capital depreciation rate"),
      CONVSIM_REAL("production.investment_rate", "1", 0.0, 1.0, false, production.investment_rate, "share of operating surplus invested"),
      CONVSIM_REAL("production.user_cost", "1/year", 0.0, 1.0, false, production.user_cost, "opportunity cost of capital charged in profit"),
      CONVSIM_REAL("production.hiring_speed", "1/year", 0.0, 52.0, true, production.hiring_speed, "share of the gap to desired employment closed per year"),
      CONVSIM_REAL("production.wage_premium_sd", "log point", 0.0, 5.0, false, production.wage_premium_sd, "s.d. of the firms' log wage premia: each firm pays, and hires at, w exp(omega), omega normal and fixed for the firm's life (firm wage effects: Abowd, Kramarz & Margolis 1999; Card, Heining & Kline 2013), so that labour productivity differs across firms of one sector"),
      CONVSIM_REAL("production.smart_work_hours", "1", 0.0, 10.0, false, production.smart_work_hours, "effective-hours gain per unit of smart work"),
      CONVSIM_REAL("dynamics.exit_hazard", "1/year", 0.0, 0.69, false, dynamics.exit_hazard, "exit hazard of a mature one-person firm whose profit margin is at its sector's"),
      CONVSIM_REAL("dynamics.exit_profit_sensitivity", "1", 0.0, 100.0, false, dynamics.exit_profit_sensitivity, "rise of the log exit hazard per unit of profit margin below the sector's mean margin"),
      CONVSIM_REAL("dynamics.exit_young_factor", "1", 0.0, 100.0, false, dynamics.exit_young_factor, "extra exit hazard of a new firm, as a multiple of the mature hazard"),
      CONVSIM_REAL("dynamics.exit_young_years", "year", 0.0, 100.0, true, dynamics.exit_young_years, "age at which the young-firm extra hazard has fallen to 1/e"),
      CONVSIM_REAL("dynamics.exit_size_elasticity", "1", -2.0, 0.0, false, dynamics.exit_size_elasticity, "elasticity of the exit hazard to employment (Dunne, Roberts & Samuelson 1989: larger firms exit less)"),
      CONVSIM_REAL("dynamics.initial_mean_age", "year", 0.0, 200.0, false, dynamics.initial_mean_age, "mean age of the initial firms (ages are exponential)"),
      CONVSIM_REAL("dynamics.entrant_productivity_gap", "log point", -10.0, 10.0, false, dynamics.entrant_productivity_gap, "entrants' log productivity below that of the incumbent of their sector they copy"),
      CONVSIM_REAL("dynamics.entrant_productivity_sd", "log point", 0.0, 10.0, false, dynamics.entrant_productivity_sd, "s.d. of an entrant's own log-productivity draw"),
      CONVSIM_REAL("dynamics.entrant_size_share", "1", 0.0, 1.0, false, dynamics.entrant_size_share, "an entrant's first employment as a share of the size that is optimal at its productivity, wage and price (entrants start small and grow towards it); 0 draws entrants' sizes from the size law instead"),
      CONVSIM_REAL("dynamics.entry_rate", "1/year", 0.0, 10.0, false, dynamics.entry_rate, "entrants per alive firm-year"),
      CONVSIM_REAL("dynamics.entry_convergence", "1", 0.0, 100.0, false, dynamics.entry_convergence, "extra entry per unit growth rate of converged output"),
      CONVSIM_REAL("environment.infrastructure", "1", 0.0, 1000.0, true, environment.infrastructure, "network infrastructure index in the first year (1990 = 1)"),
      CONVSIM_REAL("environment.infrastructure_growth", "1/year", -1.0, 1.0, false, environment.infrastructure_growth, "market-led growth of the infrastructure index"),
      CONVSIM_REAL("environment.accessibility", "1", 0.0, 1.0, false, environment.accessibility, "share of society with network access at start"),
      CONVSIM_REAL("environment.smart_work", "1", 0.0, 10.0, false, environment.smart_work, "smart-work intensity at start"),
  };
  return params;
}

#undef CONVSIM_REAL
#undef CONVSIM_INT

struct SectorField {
  const char* name;
  const char* unit;
  double lo;
  double hi;
  bool lo_open;
  const char* description;
  double Sector::*member;
};

const std::vector<SectorField>& sector_fields() {
  static const std::vector<SectorField> fields = {
      {"firm_share", "1", 0.0, 1.0e9, false, "share of initial firms (normalised over sectors)", &Sector::firm_share},
      {"barrier", "1", 0.0, 1.0, false, "regulatory barrier to convergence at start (0 none, 1 prohibitive)", &Sector::barrier},
      {"ict_synergy", "1", 0.0, 1.0, false, "synergy with ICT: link intensity from ICT and partner choice", &Sector::ict_synergy},
      {"tfp", "1", 0.0, 1.0e6, true, "sector total factor productivity level", &Sector::tfp},
      {"capital_per_worker", "1e8 KRW/person", 0.0, 1.0e6, true, "initial capital per worker", &Sector::capital_per_worker},
      {"initial_converged", "1", 0.0, 1.0, false, "share of the sector's firms at package convergence at start", &Sector::initial_converged},
  };
  return fields;
}

const std::vector<std::string> kRoleNames = {"contents", "platform", "network", "device", "converging"};
const std::vector<std::string> kLeverNames = {"barrier", "infrastructure", "selective_focus", "smart_work", "accessibility", "rd_support", "productivity_shock"};

// The default economy when a scenario names no sectors: the study's C-P-N-D chain and the
// converging industries it names (paper_targets.yaml, sectors).
std::vector<Sector> default_sectors() {
  auto make = [](const char* name, SectorRole role, double share, double barrier, double synergy,
                 double capital) {
    Sector s;
    s.name = name;
    s.role = role;
    s.firm_share = share;
    s.barrier = barrier;
    s.ict_synergy = synergy;
    s.capital_per_worker = capital;
    return s;
  };
  return {
      make("contents", SectorRole::contents, 0.06, 0.0, 0.9, 0.6),
      make("platform", SectorRole::platform, 0.04, 0.0, 0.9, 0.8),
      make("network", SectorRole::network, 0.02, 0.0, 0.9, 2.5),
      make("device", SectorRole::device, 0.05, 0.0, 0.9, 2.0),
      make("health_care", SectorRole::converging, 0.12, 0.6, 0.9, 0.8),
      make("transport", SectorRole::converging, 0.14, 0.3, 0.8, 1.5),
      make("education", SectorRole::converging, 0.10, 0.3, 0.8, 0.5),
      make("energy", SectorRole::converging, 0.04, 0.4, 0.6, 2.5),
      make("construction", SectorRole::converging, 0.17, 0.2, 0.7, 0.9),
      make("machinery", SectorRole::converging, 0.12, 0.1, 0.5, 1.6),
      make("agriculture", SectorRole::converging, 0.14, 0.2, 0.7, 0.7),
  };
}

// Default link intensities from roles: the value chain C->P->N->D, each ICT sector supplying
// every converging sector in proportion to its synergy, and peer links within sectors.
std::vector<double> default_link_intensity(const std::vector<Sector>& sectors) {
  const std::size_t n = sectors.size();
  std::vector<double> w(n * n, 0.0);
  auto next_in_chain = [](SectorRole r) {
    switch (r) {
      case SectorRole::contents: return SectorRole::platform;
      case SectorRole::platform: return SectorRole::network;
      case SectorRole::network: return SectorRole::device;
      default: return SectorRole::converging;
    }
  };
  for (std::size_t s = 0; s < n; ++s) {
    for (std::size_t c = 0; c < n; ++c) {
      const SectorRole rs = sectors[s].role;
      const SectorRole rc = sectors[c].role;
      double v = 0;
      if (s == c) {
        v = is_ict(rs) ? 0.5 : 1.0;
      } else if (is_ict(rs) && is_ict(rc)) {
        v = (next_in_chain(rs) == rc) ? 1.0 : 0.0;
      } else if (is_ict(rs) && !is_ict(rc)) {
        v = 0.6 * sectors[c].ict_synergy;
      } else if (!is_ict(rs) && !is_ict(rc)) {
        v = 0.1;
      } else {
        v = 0.05;  // converging industries supply ICT firms a little (demand side)
      }
      w[s * n + c] = v;
    }
  }
  return w;
}

std::string closest_key(const std::string& key, const std::vector<std::string>& known) {
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      }
      std::swap(prev, cur);
    }
    return prev[b.size()];
  };
  std::string best;
  std::size_t best_d = 4;
  for (const auto& k : known) {
    const std::size_t d = distance(key, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best;
}

std::vector<std::string> known_static_keys() {
  std::vector<std::string> keys = {"name", "description", "output.snapshot_years"};
  for (const auto& p : integer_params()) keys.emplace_back(p.key);
  for (const auto& p : real_params()) keys.emplace_back(p.key);
  return keys;
}

bool ranges_ok_for_lever(Lever lever, double value, bool additive, std::string& expected) {
  switch (lever) {
    case Lever::barrier:
    case Lever::accessibility:
      expected = additive ? "a change in [-1, 1]" : "a level in [0, 1]";
      return additive ? (value >= -1 && value <= 1) : (value >= 0 && value <= 1);
    case Lever::infrastructure:
      expected = additive ? "an index change in [-100, 100]" : "an index level in (0, 1000]";
      return additive ? (value >= -100 && value <= 100) : (value > 0 && value <= 1000);
    case Lever::selective_focus:
    case Lever::smart_work:
      expected = "a support intensity in [0, 10]";
      return value >= 0 && value <= 10;
    case Lever::rd_support:
      expected = "a change of the innovation rate in [-1, 10]";
      return value >= -1 && value <= 10;
    case Lever::productivity_shock:
      expected = "a productivity shock in [-2, 2] log points";
      return value >= -2 && value <= 2;
  }
  return false;
}

// The checks between scalar keys, once each is read: years in order, decreasing returns, firm sizes.
void check_scalar_relations(const ScenarioDocument& doc, const Scenario& scenario) {
  if (scenario.time.end_year < scenario.time.start_year) {
    const auto* e = doc.find("time.end_year");
    throw InputError(e ? e->where.file : doc.file(), e ? e->where.line : 0, "time.end_year",
                     "found " + std::to_string(scenario.time.end_year) + ", expected a year >= time.start_year (" +
                         std::to_string(scenario.time.start_year) + ")");
  }
  const double returns = scenario.production.capital_elasticity + scenario.production.labour_elasticity;
  if (returns >= 1.0) {
    const SourceLocation at = doc.location_of("production.labour_elasticity");
    throw InputError(at.file, at.line, "production.labour_elasticity",
                     "capital_elasticity + labour_elasticity = " + format_number(returns) +
                         ", expected < 1 (decreasing returns keep firm sizes finite)");
  }
  if (scenario.economy.min_firm_size >= scenario.economy.max_firm_size) {
    const SourceLocation at = doc.location_of("economy.max_firm_size");
    throw InputError(at.file, at.line, "economy.max_firm_size",
                     "found " + format_number(scenario.economy.max_firm_size) +
                         ", expected more than economy.min_firm_size (" +
                         format_number(scenario.economy.min_firm_size) + ")");
  }
}

// The checks over all sectors, once each is read: some sector has firms, not too many sectors.
void check_sector_totals(const ScenarioDocument& doc, const Scenario& scenario) {
  double share_sum = 0;
  for (const auto& s : scenario.sectors) share_sum += s.firm_share;
  if (share_sum <= 0) {
    const SourceLocation at = doc.location_of("sectors");
    throw InputError(at.file, at.line, "sectors", "every firm_share is 0; expected at least one sector with firms");
  }
  if (scenario.sectors.size() > 4096) {
    const SourceLocation at = doc.location_of("sectors");
    throw InputError(at.file, at.line, "sectors", "found " + std::to_string(scenario.sectors.size()) + " sectors, expected at most 4096");
  }
}

// Every sector with firms has a supplier sector with positive link intensity (when firms have suppliers).
void check_supplier_columns(const ScenarioDocument& doc, const Scenario& scenario) {
  const std::size_t S = scenario.sectors.size();
  for (std::size_t c = 0; c < S && scenario.network.mean_degree > 0; ++c) {
    double column = 0;
    for (std::size_t s = 0; s < S; ++s) column += scenario.network.link_intensity[s * S + c];
    if (column <= 0 && scenario.sectors[c].firm_share > 0) {
      const SourceLocation at = doc.location_of("network.link_intensity");
      throw InputError(at.file, at.line, "network.link_intensity",
                       "sector '" + scenario.sectors[c].name + "' has no supplier sector with positive intensity");
    }
  }
}

}  // namespace

const char* to_string(SectorRole role) { return kRoleNames[static_cast<int>(role)].c_str(); }
const char* to_string(Lever lever) { return kLeverNames[static_cast<int>(lever)].c_str(); }

int Scenario::sector_index(const std::string& sector_name) const {
  for (std::size_t i = 0; i < sectors.size(); ++i) {
    if (sectors[i].name == sector_name) return static_cast<int>(i);
  }
  return -1;
}

Scenario build_scenario(const ScenarioDocument& doc) { return build_scenario(doc, ResolvedYaml::emit); }

Scenario build_scenario(const ScenarioDocument& doc, ResolvedYaml resolved) {
  Scenario scenario;
  scenario.source_file = doc.file();
  std::unordered_set<std::string> consumed;
  // The leaf at `key`, marked as read; nullptr when absent. A map where a value belongs is refused
  // here, so no typed read below ever sees one.
  auto take = [&](const std::string& key) -> const DocumentEntry* {
    const DocumentEntry* entry = doc.find(key);
    if (entry) {
      consumed.insert(key);
    } else if (doc.contains_subtree(key)) {
      const SourceLocation at = doc.location_of(key);
      throw InputError(at.file, at.line, key, "found a map, expected a value (one level too deep?)");
    }
    return entry;
  };

  if (const auto* e = take("name")) scenario.name = read_text(*e, "name");
  if (scenario.name.empty()) {
    scenario.name = std::filesystem::path(doc.file()).stem().string();
  }
  if (const auto* e = take("description")) scenario.description = read_text(*e, "description");
  for (const auto& p : integer_params()) {
    if (const auto* e = take(p.key)) p.set(scenario, read_integer(*e, p.key, p.lo, p.hi));
  }
  for (const auto& p : real_params()) {
    if (const auto* e = take(p.key)) p.ref(scenario) = read_real(*e, p.key, p.lo, p.hi, p.lo_open);
  }

  //---- cross-field checks ----
  check_scalar_relations(doc, scenario);

  //---- sectors ----
  const std::vector<std::string> sector_names = doc.children("sectors");
  if (sector_names.empty()) {
    scenario.sectors = default_sectors();
  } else {
    for (const std::string& name : sector_names) {
      const std::string prefix = "sectors." + name;
      if (doc.find(prefix)) {
        const auto& e = *doc.find(prefix);
        fail(e, prefix, "found " + describe_found(e.value) + ", expected a map of sector fields (role, firm_share, ...)");
      }
      Sector sector;
      sector.name = name;
      const auto* role = take(prefix + ".role");
      if (!role) {
        const SourceLocation at = doc.location_of(prefix);
        throw InputError(at.file, at.line, prefix + ".role",
                         "missing; expected one of: contents, platform, network, device, converging");
      }
      const std::string role_name = read_choice(*role, prefix + ".role", kRoleNames);
      sector.role = static_cast<SectorRole>(std::find(kRoleNames.begin(), kRoleNames.end(), role_name) - kRoleNames.begin());
      sector.firm_share = 1.0;
      for (const auto& f : sector_fields()) {
        const std::string key = prefix + "." + f.name;
        if (const auto* e = take(key)) sector.*(f.member) = read_real(*e, key, f.lo, f.hi, f.lo_open);
      }
      scenario.sectors.push_back(sector);
    }
  }
  check_sector_totals(doc, scenario);

  //---- network link intensity: defaults from roles, entries overridable by name ----
  scenario.network.link_intensity = default_link_intensity(scenario.sectors);
  const std::size_t S = scenario.sectors.size();
  std::unordered_map<std::string, int> sector_of;  // by name: S^2 entries are looked up in O(1) each
  for (std::size_t i = 0; i < S; ++i) sector_of.emplace(scenario.sectors[i].name, static_cast<int>(i));
  auto sector_index = [&](const std::string& name) {
    const auto found = sector_of.find(name);
    return found == sector_of.end() ? -1 : found->second;
  };
  // "'healthcare' is not a sector of this scenario (did you mean 'health_care'?); its sectors: ..."
  auto not_a_sector = [&](const std::string& name) {
    std::vector<std::string> names;
    for (const auto& sector : scenario.sectors) names.push_back(sector.name);
    const std::string candidate = closest_key(name, names);
    std::string list;
    for (std::size_t i = 0; i < names.size() && i < 12; ++i) list += (i ? ", " : "") + names[i];
    if (names.size() > 12) list += ", ... (" + std::to_string(names.size()) + " in all)";
    return "'" + name + "' is not a sector of this scenario" +
           (candidate.empty() ? std::string() : " (did you mean '" + candidate + "'?)") + "; its sectors: " + list;
  };
  for (const std::string& supplier : doc.children("network.link_intensity")) {
    const std::string row = "network.link_intensity." + supplier;
    const int s = sector_index(supplier);
    if (s < 0) {
      const SourceLocation at = doc.location_of(row);
      throw InputError(at.file, at.line, row, not_a_sector(supplier));
    }
    if (const auto* e = doc.find(row)) fail(*e, row, "expected a map from customer sector to intensity");
    for (const std::string& customer : doc.children(row)) {
      const std::string key = row + "." + customer;
      const int c = sector_index(customer);
      if (c < 0) {
        const SourceLocation at = doc.location_of(key);
        throw InputError(at.file, at.line, key, not_a_sector(customer));
      }
      const auto* e = take(key);
      scenario.network.link_intensity[s * S + c] = read_real(*e, key, 0.0, 1.0e6, false);
    }
  }
  check_supplier_columns(doc, scenario);

  //---- measured network access by year ----
  for (const std::string& year_key : doc.children("environment.access_path")) {
    const std::string key = "environment.access_path." + year_key;
    const auto* e = take(key);
    double year = 0;
    if (!e) {
      const SourceLocation at = doc.location_of(key);
      throw InputError(at.file, at.line, key, "expected a share of society with network access in [0, 1]");
    }
    if (!parse_double(year_key, year) || !std::isfinite(year) || year < 1800 || year > 2500) {
      fail(*e, key, "'" + year_key + "' is not a year in [1800, 2500]");
    }
    scenario.environment.access_path.emplace_back(year, read_real(*e, key, 0.0, 1.0, false));
  }
  std::sort(scenario.environment.access_path.begin(), scenario.environment.access_path.end());

  //---- policies ----
  for (const std::string& name : doc.children("policies")) {
    const std::string prefix = "policies." + name;
    if (const auto* e = doc.find(prefix)) fail(*e, prefix, "found " + describe_found(e->value) + ", expected a map (lever, at, value, ...)");
    PolicyEvent event;
    event.name = name;
    auto required = [&](const std::string& field) -> const DocumentEntry& {
      const auto* e = take(prefix + "." + field);
      if (!e) {
        const SourceLocation at = doc.location_of(prefix);
        throw InputError(at.file, at.line, prefix + "." + field, "missing; every policy event needs lever, at and value");
      }
      return *e;
    };
    const std::string lever = read_choice(required("lever"), prefix + ".lever", kLeverNames);
    event.lever = static_cast<Lever>(std::find(kLeverNames.begin(), kLeverNames.end(), lever) - kLeverNames.begin());
    event.at = read_real(required("at"), prefix + ".at", 1800, 2500, false);
    event.value = read_real(required("value"), prefix + ".value", -1.0e6, 1.0e6, false);
    event.additive = !(event.lever == Lever::barrier || event.lever == Lever::accessibility);
    if (const auto* e = take(prefix + ".mode")) event.additive = read_choice(*e, prefix + ".mode", {"set", "add"}) == "add";
    if (const auto* e = take(prefix + ".until")) {
      event.until = read_real(*e, prefix + ".until", 1800, 2500, false);
      if (event.until <= event.at) fail(*e, prefix + ".until", "found " + format_number(event.until) + ", expected a year after `at` (" + format_number(event.at) + ")");
    }
    if (const auto* e = take(prefix + ".ramp_years")) event.ramp_years = read_real(*e, prefix + ".ramp_years", 0, 100, false);
    if (const auto* e = take(prefix + ".sectors")) {
      if (event.lever == Lever::infrastructure || event.lever == Lever::accessibility || event.lever == Lever::smart_work) {
        fail(*e, prefix + ".sectors", "lever " + lever + " acts on the whole economy; remove `sectors` (only barrier, selective_focus, rd_support and productivity_shock target sectors)");
      }
      for (const std::string& sector : read_text_list(*e, prefix + ".sectors")) {
        const int index = sector_index(sector);
        if (index < 0) fail(*e, prefix + ".sectors", not_a_sector(sector));
        event.sectors.push_back(index);
      }
    }
    std::string expected;
    if (!ranges_ok_for_lever(event.lever, event.value, event.additive, expected)) {
      const auto* e = doc.find(prefix + ".value");
      fail(*e, prefix + ".value", "found " + format_number(event.value) + ", expected " + expected + " for lever " + lever);
    }
    scenario.policies.push_back(event);
  }

  //---- output ----
  if (const auto* e = take("output.snapshot_years")) {
    const YAML::Node list = e->value.IsSequence() ? e->value : YAML::Node(YAML::NodeType::Sequence);
    if (!e->value.IsSequence() && !e->value.IsScalar()) fail(*e, "output.snapshot_years", "expected a list of years");
    std::vector<YAML::Node> items;
    if (e->value.IsScalar()) items.push_back(e->value);
    for (const auto& item : list) items.push_back(item);
    // Years after the run's end are skipped, so shortening a run with --set time.end_year works.
    for (const auto& item : items) {
      DocumentEntry one{item, e->where};
      const double year = read_real(one, "output.snapshot_years", scenario.time.start_year, 2500, false);
      if (year <= scenario.time.end_year + 1.0 - scenario.dt()) scenario.output.snapshot_years.push_back(year);
    }
  }

  //---- calibration: free-form metadata written by `convsim calibrate`, kept in the result ----
  const std::vector<std::string> keys = doc.keys();
  for (const std::string& key : keys) {
    if (key.rfind("calibration.", 0) == 0) consumed.insert(key);
  }

  //---- anything not consumed is unknown ----
  static const std::vector<std::string> known = known_static_keys();
  static const std::vector<std::string> top_level = [] {
    std::vector<std::string> tops = {"sectors", "policies", "calibration"};
    for (const std::string& k : known) {
      const std::string top = k.substr(0, k.find('.'));
      if (std::find(tops.begin(), tops.end(), top) == tops.end()) tops.push_back(top);
    }
    return tops;
  }();
  for (const std::string& key : keys) {
    if (consumed.count(key)) continue;
    const DocumentEntry& entry = *doc.find(key);
    // A misspelled top-level section is reported as that section, not as one of its leaves.
    const std::string top = key.substr(0, key.find('.'));
    if (std::find(top_level.begin(), top_level.end(), top) == top_level.end()) {
      const std::string candidate = closest_key(top, top_level);
      std::string list;
      for (std::size_t i = 0; i < top_level.size(); ++i) list += (i ? ", " : "") + top_level[i];
      const SourceLocation at = doc.location_of(top);
      throw InputError(at.file.empty() ? entry.where.file : at.file, at.line > 0 ? at.line : entry.where.line, top,
                       "unknown top-level key" + (candidate.empty() ? std::string() : " (did you mean '" + candidate + "'?)") +
                           "; top-level keys are " + list);
    }
    std::string hint;
    std::string candidate = closest_key(key, known);
    if (key.rfind("sectors.", 0) == 0) {
      std::vector<std::string> fields = {"role"};
      for (const auto& f : sector_fields()) fields.emplace_back(f.name);
      const std::string field = key.substr(key.rfind('.') + 1);
      candidate = closest_key(field, fields);
      hint = "; sector fields are role, firm_share, barrier, ict_synergy, tfp, capital_per_worker, initial_converged";
    } else if (key.rfind("policies.", 0) == 0) {
      hint = "; policy fields are lever, sectors, at, until, ramp_years, value, mode";
      candidate = closest_key(key.substr(key.rfind('.') + 1), {"lever", "sectors", "at", "until", "ramp_years", "value", "mode"});
    }
    fail(entry, key, "unknown key" + (candidate.empty() ? std::string() : " (did you mean '" + candidate + "'?)") + hint);
  }

  scenario.firms_location = doc.location_of("economy.firms");
  if (resolved == ResolvedYaml::emit) scenario.resolved_yaml = doc.to_yaml();
  scenario.warnings = scenario_warnings(doc, scenario);
  return scenario;
}

Scenario load_scenario(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  ScenarioDocument doc = ScenarioDocument::load(path);
  for (const auto& assignment : overrides) doc.apply_override(assignment);
  return build_scenario(doc);
}

const std::vector<ParameterDoc>& scenario_schema() {
  static const std::vector<ParameterDoc> docs = [] {
    const Scenario defaults;
    std::vector<ParameterDoc> out;
    out.push_back({"name", "text", "", "file name", "", "scenario name shown in results and reports"});
    out.push_back({"description", "text", "", "\"\"", "", "what the scenario represents"});
    out.push_back({"extends", "text (path)", "", "none", "", "base scenario file, relative to this file; maps merge, this file wins"});
    for (const auto& p : integer_params()) {
      out.push_back({p.key, p.unit == std::string("year") ? "year" : "integer", p.unit, std::to_string(p.get(defaults)),
                     range_text(p.lo, p.hi, false), p.description});
    }
    for (const auto& p : real_params()) {
      Scenario copy = defaults;
      out.push_back({p.key, "real", p.unit, format_number(p.ref(copy)), range_text(p.lo, p.hi, p.lo_open), p.description});
    }
    out.push_back({"calibration.<field>", "any", "", "none", "", "free-form record of how the parameters were calibrated (written by convsim calibrate; shown in reports)"});
    out.push_back({"environment.access_path.<year>", "real", "1", "none", "[0, 1]",
                   "measured share of society with network access in that year; access before any event follows these points (linear between them, constant outside) instead of environment.accessibility"});
    out.push_back({"network.link_intensity.<supplier>.<customer>", "real", "1", "from roles (see model.md)", "[0, 1e+06]",
                   "relative intensity of links from a supplier sector to a customer sector"});
    out.push_back({"output.snapshot_years", "list of year", "year", "[]", "within the run", "years at which every firm's state is written to /firms (years after the run are skipped)"});
    out.push_back({"sectors.<sector>.role", "choice", "", "required", "contents, platform, network, device, converging",
                   "the sector's place in the ICT value chain, or converging"});
    const Sector sector_defaults;
    for (const auto& f : sector_fields()) {
      const double d = std::string(f.name) == "firm_share" ? 1.0 : sector_defaults.*(f.member);
      out.push_back({std::string("sectors.<sector>.") + f.name, "real", f.unit, format_number(d), range_text(f.lo, f.hi, f.lo_open), f.description});
    }
    out.push_back({"policies.<event>.lever", "choice", "", "required", "barrier, infrastructure, selective_focus, smart_work, accessibility, rd_support, productivity_shock", "the lever this event pulls"});
    out.push_back({"policies.<event>.sectors", "list of sector names", "", "all sectors", "sectors of the scenario", "target sectors (barrier, selective_focus, rd_support, productivity_shock)"});
    out.push_back({"policies.<event>.at", "real", "year", "required", "[1800, 2500]", "year the lever starts to move"});
    out.push_back({"policies.<event>.until", "real", "year", "never", "> at", "year the lever returns to its previous level"});
    out.push_back({"policies.<event>.ramp_years", "real", "year", "0", "[0, 100]", "years to reach full strength (linear ramp)"});
    out.push_back({"policies.<event>.value", "real", "lever's unit", "required", "depends on lever", "target level (mode set) or change (mode add)"});
    out.push_back({"policies.<event>.mode", "choice", "", "set for barrier and accessibility, add otherwise", "set, add", "whether value replaces or adds to the lever's level"});
    return out;
  }();
  return docs;
}

std::string run_identity(const Scenario& scenario) {
  return content_digest(scenario.resolved_yaml + "\n#seed=" + std::to_string(scenario.seed));
}

std::string content_digest(const std::string& text) {
  // Two independent 64-bit FNV-1a digests (different offsets) make a 128-bit digest.
  ContentDigest digest;
  digest.add(text);
  return digest.hex();
}

std::string ContentDigest::hex() const {
  char buffer[33];
  std::snprintf(buffer, sizeof buffer, "%016llx%016llx", static_cast<unsigned long long>(a_),
                static_cast<unsigned long long>(b_));
  return buffer;
}

namespace detail {

std::unique_ptr<ScenarioRecheck> ScenarioRecheck::make(const ScenarioDocument& doc, const Scenario& built,
                                                       const std::vector<std::string>& varying) {
  std::unique_ptr<ScenarioRecheck> out(new ScenarioRecheck());
  out->scenario_ = built;
  // calibration.* is read by nothing but calibration_file (the file of its first leaf), which
  // must stay that of a leaf that never changes (calibration.overridden_keys comes and goes).
  const std::vector<std::string> calibration = doc.children("calibration");
  const auto first_leaf = std::find_if(calibration.begin(), calibration.end(),
                                       [&](const std::string& k) { return doc.find("calibration." + k) != nullptr; });
  if (!calibration.empty()) {
    if (first_leaf == calibration.end()) return nullptr;
    const std::string first = "calibration." + *first_leaf;
    if (first == kOverriddenKeysKey || std::find(varying.begin(), varying.end(), first) != varying.end()) return nullptr;
  }
  const bool own_sectors = !doc.children("sectors").empty();
  for (std::size_t v = 0; v < varying.size(); ++v) {
    const std::string& key = varying[v];
    if (key.rfind("calibration.", 0) == 0) continue;
    Leaf leaf;
    leaf.varying = v;
    leaf.handle = doc.leaf_handle(key);
    leaf.key = key;
    if (leaf.handle < 0) return nullptr;
    const auto& integers = integer_params();
    const auto& reals = real_params();
    const auto integer = std::find_if(integers.begin(), integers.end(), [&](const IntParam& p) { return key == p.key; });
    const auto real = std::find_if(reals.begin(), reals.end(), [&](const RealParam& p) { return key == p.key; });
    if (integer != integers.end()) {
      if (key.rfind("time.", 0) == 0) return nullptr;  // the run's years: snapshots, policies, warnings
      leaf.kind = Leaf::Kind::integer;
      leaf.param = static_cast<std::size_t>(integer - integers.begin());
    } else if (real != reals.end()) {
      leaf.kind = Leaf::Kind::real;
      leaf.param = static_cast<std::size_t>(real - reals.begin());
    } else if (key.rfind("sectors.", 0) == 0 && own_sectors) {
      const std::size_t dot = key.find('.', 8);
      if (dot == std::string::npos) return nullptr;
      const int sector = built.sector_index(key.substr(8, dot - 8));
      const std::string name = key.substr(dot + 1);
      const auto& fields = sector_fields();
      const auto field = std::find_if(fields.begin(), fields.end(), [&](const SectorField& f) { return name == f.name; });
      // ict_synergy sets the default link intensities (role is no sector field: it is not here).
      if (sector < 0 || field == fields.end() || name == "ict_synergy") return nullptr;
      leaf.kind = Leaf::Kind::sector_field;
      leaf.param = static_cast<std::size_t>(field - fields.begin());
      leaf.sector = static_cast<std::size_t>(sector);
    } else {
      return nullptr;
    }
    out->leaves_.push_back(std::move(leaf));
  }
  policy_warnings(doc, built, out->policy_warnings_);
  out->sectors_ = SectorWarningTable(doc, built);
  for (Leaf& leaf : out->leaves_) {
    std::size_t sector = 0;
    // A sector field in the warning table, at (sector, cell); one outside it never warns.
    if (leaf.kind == Leaf::Kind::sector_field && out->sectors_.locate(leaf.handle, sector, leaf.cell)) {
      if (sector != leaf.sector) return nullptr;
    } else {
      leaf.cell = static_cast<std::size_t>(-1);
    }
  }
  return out;
}

bool ScenarioRecheck::recheck(const ScenarioDocument& doc, const std::vector<bool>& changed,
                              const std::vector<long long>& tags, std::vector<ScenarioWarning>& warnings) {
  try {
    for (Leaf& leaf : leaves_) {
      if (!changed.at(leaf.varying)) continue;  // its member and warning cell hold what it holds
      // The tagged value's number when it was read before (a value that fails is never kept).
      const long long tag = tags.at(leaf.varying);
      const auto slot = static_cast<std::size_t>(tag);
      const bool tagged = tag >= 0 && tag < (1 << 20);
      if (tagged && slot >= leaf.known.size()) {
        leaf.known.resize(slot + 1, false);
        leaf.read.resize(slot + 1, 0.0);
      }
      const DocumentEntry& entry = doc.leaf_entry(leaf.handle);
      auto read_number = [&](double lo, double hi, bool lo_open) {
        if (tagged && leaf.known[slot]) return leaf.read[slot];
        const double value = read_real(entry, leaf.key, lo, hi, lo_open);
        if (tagged) {
          leaf.known[slot] = true;
          leaf.read[slot] = value;
        }
        return value;
      };
      switch (leaf.kind) {
        case Leaf::Kind::integer: {
          const IntParam& p = integer_params()[leaf.param];
          p.set(scenario_, read_integer(entry, leaf.key, p.lo, p.hi));
          break;
        }
        case Leaf::Kind::real: {
          const RealParam& p = real_params()[leaf.param];
          p.ref(scenario_) = read_number(p.lo, p.hi, p.lo_open);
          break;
        }
        case Leaf::Kind::sector_field: {
          const SectorField& f = sector_fields()[leaf.param];
          const double value = read_number(f.lo, f.hi, f.lo_open);
          scenario_.sectors[leaf.sector].*(f.member) = value;
          if (leaf.cell != static_cast<std::size_t>(-1)) sectors_.refresh(doc, leaf.sector, leaf.cell, value);
          break;
        }
      }
    }
    check_scalar_relations(doc, scenario_);
    check_sector_totals(doc, scenario_);
    check_supplier_columns(doc, scenario_);
  } catch (const InputError&) {
    return false;
  }
  warnings = policy_warnings_;
  sectors_.warnings(doc, warnings);
  return true;
}

}  // namespace detail

RunMemoryEstimate estimate_run_memory(const Scenario& scenario) {
  // Constants from the model's layout (models/: FirmState, VisibleFirm, FirmNetwork, RunResult),
  // checked against the measured peak by tests/sim/memory_estimate_test.cpp.
  constexpr double kProcessBytes = 24.0 * (1 << 20);  // libraries, TBB and HDF5 state, code
  constexpr double kBytesPerSlot = 128.0;              // firm columns, visible state (x2), samplers, scratch (4 doubles)
  constexpr double kBytesPerLink = 12.0;               // CSR arrays and the links of the step
  constexpr double kSectorSeries = 27;                 // [T, S] series: 23 by_sector + 4 policy levers
  constexpr double kOtherSeries = 49;                  // [T] series: 34 aggregate, 12 convergence, 3 policy
  constexpr double kSnapshotColumns = 9;               // doubles per firm slot in each snapshot
  RunMemoryEstimate e;
  const double steps_per_year = scenario.time.steps_per_year;
  const double steps = (scenario.time.end_year - scenario.time.start_year + 1) * steps_per_year;
  const double dt = 1.0 / steps_per_year;
  // Every entrant takes a new slot; exited firms keep theirs until the slots are compacted, which
  // the engine does at sampler refreshes (every kRefreshSteps steps, models/src/step.cpp) when
  // exited firms hold more than kCompactShare of the slots (models::kCompactExitedShare).
  // Snapshots index every firm ever created.
  constexpr int kRefreshSteps = 4;
  constexpr double kCompactShare = 0.125;
  const double entry = scenario.dynamics.entry_rate + 0.3 * scenario.dynamics.entry_convergence;
  // Exit: at least the hazard of a young one-person firm at its sector's margin (entrants are
  // young and small; firms below their sector's margin exit more).
  const double exit_probability =
      1.0 - std::exp(-std::min(kMaxExitHazard, scenario.dynamics.exit_hazard * (1.0 + scenario.dynamics.exit_young_factor)) * dt);
  double alive = static_cast<double>(scenario.economy.firms);
  double created = alive;  // firms ever created (the snapshots' width)
  double slots = alive;    // slots held: alive plus exited since the last compaction
  double exited = 0;
  double peak_slots = slots;
  long step_index = 0;
  std::vector<double> snapshot_slots;
  std::size_t next_snapshot = 0;
  std::vector<double> snapshot_years = scenario.output.snapshot_years;
  std::sort(snapshot_years.begin(), snapshot_years.end());
  // Burn-in steps (t < 0) add entrants too but are not reported (no snapshot is taken in them).
  for (double t = -static_cast<double>(scenario.burn_in_steps()); t < steps && created < 1e15; ++t) {
    const double year = scenario.time.start_year + t * dt;
    while (t >= 0 && next_snapshot < snapshot_years.size() && snapshot_years[next_snapshot] <= year + 1e-9) {
      snapshot_slots.push_back(created);
      ++next_snapshot;
    }
    e.firm_steps += alive;
    const double entrants = alive * dt * entry;
    const double exits = alive * exit_probability;
    created += entrants;
    slots += entrants;
    exited += exits;
    alive += entrants - exits;
    peak_slots = std::max(peak_slots, slots);
    if (++step_index % kRefreshSteps == 0 && exited > kCompactShare * slots) {
      slots -= exited;
      exited = 0;
    }
  }
  while (next_snapshot++ < snapshot_years.size()) snapshot_slots.push_back(created);
  slots = peak_slots;
  e.peak_firm_slots = slots;
  const double S = static_cast<double>(scenario.sectors.size());
  e.firm_state = slots * (kBytesPerSlot + scenario.network.mean_degree * kBytesPerLink);
  // The series are filled while the run goes and written after it: 8 bytes per value.
  e.result_series = 8.0 * steps * (kSectorSeries * S + kOtherSeries) + 3 * 8.0 * S * S;  // + link intensities
  // Each snapshot holds every slot of its time; the writer pads them to the last one's slots.
  for (double n : snapshot_slots) e.snapshots += 8.0 * kSnapshotColumns * n;
  if (!snapshot_slots.empty()) e.snapshots += 8.0 * static_cast<double>(snapshot_slots.size()) * snapshot_slots.back();
  e.total = kProcessBytes + e.firm_state + e.result_series + e.snapshots;
  return e;
}

double estimated_run_seconds(const Scenario& scenario) {
  constexpr double kFixedSeconds = 0.05;  // start-up, scenario checks, the result file
  return kFixedSeconds + kSecondsPerFirmStep * estimate_run_memory(scenario).firm_steps;
}

std::uint64_t estimated_run_bytes(const Scenario& scenario) {
  const double total = estimate_run_memory(scenario).total;
  return total >= 1.8e19 ? std::numeric_limits<std::uint64_t>::max() : static_cast<std::uint64_t>(total);
}

void check_memory(const Scenario& scenario) {
  std::uint64_t available = 0;
  std::ifstream meminfo("/proc/meminfo");
  std::string label;
  std::uint64_t kib = 0;
  std::string unit;
  while (meminfo >> label >> kib >> unit) {
    if (label == "MemAvailable:") {
      available = kib * 1024;
      break;
    }
  }
  const RunMemoryEstimate e = estimate_run_memory(scenario);
  if (available > 0 && e.total > static_cast<double>(available)) {
    auto gb = [](double b) { return b >= 1e15 ? std::string("more than 10^6 GB") : format_number(std::round(b / 1.0e7) / 100.0) + " GB"; };
    const SourceLocation& at = scenario.firms_location;
    throw InputError(at.file, at.line, "economy.firms",
                     "the run needs about " + gb(e.total) + " of memory (firms and network " + gb(e.firm_state) +
                         " for up to " + format_number(std::round(e.peak_firm_slots)) + " firm slots with entry, result series " +
                         gb(e.result_series) + ", firm snapshots " + gb(e.snapshots) + "), but only " +
                         gb(static_cast<double>(available)) +
                         " is available; expected fewer firms, sectors, steps, snapshots or a lower entry rate");
  }
}

}  // namespace convsim
