#include "convsim/sweep.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>

#include <boost/math/distributions/normal.hpp>

#include "convsim/detail/scenario_recheck.hpp"
#include "convsim/errors.hpp"
#include "convsim/input_file.hpp"
#include "convsim/rng.hpp"
#include "convsim/sensitivity_design.hpp"

namespace convsim {
namespace {

namespace fs = std::filesystem;

//---- reading the sweep file ------------------------------------------------------------------

int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  return "'" + node.Scalar() + "'";
}

// Reads the sweep file's nodes and reports errors at their lines.
class SweepReader {
 public:
  explicit SweepReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key, const std::string& message) const {
    throw InputError(file_, line_of(node), key, message);
  }
  [[noreturn]] void fail_at(int line, const std::string& key, const std::string& message) const {
    throw InputError(file_, line, key, message);
  }

  double real(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "found " + describe(node) + ", expected a number");
    try {
      std::size_t used = 0;
      const double value = std::stod(node.Scalar(), &used);
      if (used == node.Scalar().size() && std::isfinite(value)) return value;
    } catch (const std::exception&) {
    }
    fail(node, key, "found " + describe(node) + ", expected a finite number");
  }

  std::int64_t integer(const YAML::Node& node, const std::string& key, std::int64_t lo, std::int64_t hi) const {
    if (!node.IsScalar()) fail(node, key, "found " + describe(node) + ", expected an integer");
    std::int64_t value = 0;
    try {
      std::size_t used = 0;
      value = std::stoll(node.Scalar(), &used);
      if (used != node.Scalar().size()) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      fail(node, key, "found " + describe(node) + ", expected an integer");
    }
    if (value < lo || value > hi) {
      fail(node, key, "found " + std::to_string(value) + ", expected an integer in [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "]");
    }
    return value;
  }

  std::uint64_t seed(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "found " + describe(node) + ", expected an integer seed");
    const std::string& text = node.Scalar();
    std::uint64_t value = 0;
    try {
      std::size_t used = 0;
      if (text.empty() || text[0] == '-') throw std::invalid_argument("negative");
      value = std::stoull(text, &used);
      if (used != text.size()) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      fail(node, key, "found " + describe(node) + ", expected an integer seed in [0, 9000000000000000000]");
    }
    if (value > 9000000000000000000ull) fail(node, key, "found " + text + ", expected a seed in [0, 9000000000000000000]");
    return value;
  }

  // A yes/no option (true or false).
  bool flag(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar() || (node.Scalar() != "true" && node.Scalar() != "false")) {
      fail(node, key, "found " + describe(node) + ", expected true or false");
    }
    return node.Scalar() == "true";
  }

  std::string text(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "found " + describe(node) + ", expected text");
    return node.Scalar();
  }

  // Fails on any key of `map` not in `allowed`.
  void only_keys(const YAML::Node& map, const std::string& prefix, const std::vector<std::string>& allowed) const {
    refuse_duplicate_keys(map, file_, prefix);
    for (const auto& item : map) {
      const std::string key = item.first.Scalar();
      const std::string path = prefix.empty() ? key : prefix + "." + key;
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(item.first, path, "unknown key; expected one of " + list);
      }
    }
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

// Numbers written into scenarios: 12 significant digits, so 0.1 * 3 is written "0.3".
std::string format_value(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.12g", value);
  return buffer;
}

std::string format_integer(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(std::llround(value)));
  return buffer;
}

// The YAML text of a scalar or flat list node, as a --set value.
std::string value_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

// A dotted key as the scenario document spells it (segments of letters, digits, _ and -).
bool is_valid_key(const std::string& key) {
  if (key.empty() || key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
}

// `set:` accepts dotted keys and nested maps alike; leaves become settings.
void flatten_settings(const SweepReader& reader, const YAML::Node& node, const std::string& prefix,
                      std::vector<SweepSetting>& out, std::unordered_map<std::string, int>& lines) {
  for (const auto& item : node) {
    const std::string key = prefix.empty() ? item.first.Scalar() : prefix + "." + item.first.Scalar();
    if (!is_valid_key(key)) reader.fail(item.first, key, "not a scenario key (expected a dotted path like economy.firms)");
    const YAML::Node& value = item.second;
    if (value.IsMap()) {
      flatten_settings(reader, value, key, out, lines);
      continue;
    }
    if (value.IsSequence()) {
      for (const auto& element : value) {
        if (!element.IsScalar()) reader.fail(element, key, "lists may only hold plain values");
      }
    } else if (!value.IsScalar()) {
      reader.fail(item.second, key, "found " + describe(value) + ", expected a value");
    }
    if (const auto [at, inserted] = lines.emplace(key, line_of(item.first)); !inserted) {
      reader.fail(item.first, key, "set twice (also on line " + std::to_string(at->second) + ")");
    }
    out.push_back({key, value_text(value), {reader.file(), line_of(item.first)}});
  }
}

//---- designs -------------------------------------------------------------------------------

// One design parameter: its key and how its values are produced.
struct ParameterSpec {
  std::string key;
  YAML::Node node;
  int line = 0;
};

std::vector<ParameterSpec> read_parameters(const SweepReader& reader, const YAML::Node& design) {
  const YAML::Node parameters = design["parameters"];
  if (!parameters) reader.fail(design, "design.parameters", "missing; expected a map of scenario keys to values");
  if (!parameters.IsMap() || parameters.size() == 0) {
    reader.fail(parameters, "design.parameters", "found " + describe(parameters) + ", expected a map of scenario keys");
  }
  std::vector<ParameterSpec> out;
  std::unordered_map<std::string, int> lines;
  for (const auto& item : parameters) {
    const std::string key = item.first.Scalar();
    if (!is_valid_key(key)) {
      reader.fail(item.first, "design.parameters." + key, "not a scenario key (expected a dotted path like adoption.peer_effect)");
    }
    if (const auto [at, inserted] = lines.emplace(key, line_of(item.first)); !inserted) {
      reader.fail(item.first, key, "design parameter written twice (also on line " + std::to_string(at->second) + ")");
    }
    out.push_back({key, item.second, line_of(item.first)});
  }
  return out;
}

// Values of one grid parameter: a list, a single value, {from, to, step} or {from, to, count}.
std::vector<std::string> grid_values(const SweepReader& reader, const ParameterSpec& spec) {
  const YAML::Node& node = spec.node;
  std::vector<std::string> values;
  if (node.IsScalar()) {
    values.push_back(node.Scalar());
  } else if (node.IsSequence()) {
    for (const auto& element : node) {
      if (element.IsMap()) reader.fail(element, spec.key, "grid values must be plain values or flat lists");
      if (element.IsSequence()) {
        for (const auto& inner : element) {
          if (!inner.IsScalar()) reader.fail(inner, spec.key, "lists may only hold plain values");
        }
      }
      values.push_back(value_text(element));
    }
    if (values.empty()) reader.fail(node, spec.key, "empty list; expected at least one value");
  } else if (node.IsMap()) {
    reader.only_keys(node, spec.key, {"from", "to", "step", "count", "integer"});
    if (!node["from"] || !node["to"] || (!node["step"] == !node["count"])) {
      reader.fail(node, spec.key, "a range needs from, to and either step or count");
    }
    const double from = reader.real(node["from"], spec.key + ".from");
    const double to = reader.real(node["to"], spec.key + ".to");
    const bool integer = node["integer"] && reader.flag(node["integer"], spec.key + ".integer");
    std::vector<double> numbers;
    if (node["step"]) {
      const double step = reader.real(node["step"], spec.key + ".step");
      if (step == 0 || (to - from) * step < 0) {
        reader.fail(node["step"], spec.key + ".step", "found " + format_value(step) + ", expected a step that goes from " +
                                                          format_value(from) + " towards " + format_value(to));
      }
      const double steps = std::floor((to - from) / step + 1e-9);
      if (steps > 1e6) reader.fail(node, spec.key, "range has more than a million values");
      for (int i = 0; i <= static_cast<int>(steps); ++i) numbers.push_back(from + i * step);
    } else {
      const auto count = reader.integer(node["count"], spec.key + ".count", 1, 1000000);
      for (std::int64_t i = 0; i < count; ++i) {
        numbers.push_back(count == 1 ? from : from + (to - from) * static_cast<double>(i) / static_cast<double>(count - 1));
      }
    }
    for (double x : numbers) values.push_back(integer ? format_integer(x) : format_value(x));
  } else {
    reader.fail(node, spec.key, "found " + describe(node) + ", expected a list of values or a range {from, to, step}");
  }
  return values;
}

// A distribution for random and Latin-hypercube designs, sampled through its quantile function.
class Distribution {
 public:
  Distribution(const SweepReader& reader, const ParameterSpec& spec) : key_(spec.key) {
    const YAML::Node& node = spec.node;
    if (!node.IsMap()) {
      reader.fail(node, spec.key, "found " + describe(node) + ", expected {distribution: uniform|normal|lognormal|choice, ...}");
    }
    const YAML::Node kind_node = node["distribution"];
    kind_ = kind_node ? reader.text(kind_node, spec.key + ".distribution") : "uniform";
    if (kind_ == "uniform") {
      reader.only_keys(node, spec.key, {"distribution", "low", "high", "integer", "clip"});
      require(reader, node, {"low", "high"});
      a_ = reader.real(node["low"], spec.key + ".low");
      b_ = reader.real(node["high"], spec.key + ".high");
      if (!(b_ > a_)) reader.fail(node["high"], spec.key + ".high", "found " + format_value(b_) + ", expected high > low");
    } else if (kind_ == "normal") {
      reader.only_keys(node, spec.key, {"distribution", "mean", "sd", "integer", "clip"});
      require(reader, node, {"mean", "sd"});
      a_ = reader.real(node["mean"], spec.key + ".mean");
      b_ = reader.real(node["sd"], spec.key + ".sd");
      if (!(b_ > 0)) reader.fail(node["sd"], spec.key + ".sd", "found " + format_value(b_) + ", expected sd > 0");
    } else if (kind_ == "lognormal") {
      reader.only_keys(node, spec.key, {"distribution", "meanlog", "sdlog", "integer", "clip"});
      require(reader, node, {"meanlog", "sdlog"});
      a_ = reader.real(node["meanlog"], spec.key + ".meanlog");
      b_ = reader.real(node["sdlog"], spec.key + ".sdlog");
      if (!(b_ > 0)) reader.fail(node["sdlog"], spec.key + ".sdlog", "found " + format_value(b_) + ", expected sdlog > 0");
    } else if (kind_ == "choice") {
      reader.only_keys(node, spec.key, {"distribution", "values", "weights"});
      require(reader, node, {"values"});
      const YAML::Node values = node["values"];
      if (!values.IsSequence() || values.size() == 0) {
        reader.fail(values, spec.key + ".values", "found " + describe(values) + ", expected a non-empty list");
      }
      for (const auto& element : values) {
        if (element.IsMap()) reader.fail(element, spec.key + ".values", "choices must be plain values or flat lists");
        choices_.push_back(value_text(element));
      }
      double total = 0;
      if (const YAML::Node weights = node["weights"]) {
        if (!weights.IsSequence() || weights.size() != values.size()) {
          reader.fail(weights, spec.key + ".weights", "found " + describe(weights) + ", expected one weight per value (" +
                                                          std::to_string(values.size()) + ")");
        }
        for (const auto& w : weights) {
          const double weight = reader.real(w, spec.key + ".weights");
          if (weight < 0) reader.fail(w, spec.key + ".weights", "found " + format_value(weight) + ", expected a weight >= 0");
          total += weight;
          cumulative_.push_back(total);
        }
        if (!(total > 0)) reader.fail(weights, spec.key + ".weights", "weights sum to 0");
      } else {
        for (std::size_t i = 0; i < choices_.size(); ++i) cumulative_.push_back(total += 1);
      }
      for (double& c : cumulative_) c /= total;
    } else {
      reader.fail(kind_node, spec.key + ".distribution", "found '" + kind_ + "', expected uniform, normal, lognormal or choice");
    }
    integer_ = node["integer"] && reader.flag(node["integer"], spec.key + ".integer");
    if (const YAML::Node clip = node["clip"]) {
      if (!clip.IsSequence() || clip.size() != 2) reader.fail(clip, spec.key + ".clip", "found " + describe(clip) + ", expected [low, high]");
      clip_low_ = reader.real(clip[0], spec.key + ".clip");
      clip_high_ = reader.real(clip[1], spec.key + ".clip");
      if (!(clip_high_ >= clip_low_)) reader.fail(clip, spec.key + ".clip", "expected low <= high");
    }
  }

  const std::string& kind() const { return kind_; }

  // The value at quantile u in (0, 1), as YAML text.
  std::string value_at(double u) const {
    if (kind_ == "choice") {
      const auto found = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
      const auto at = std::min<std::size_t>(static_cast<std::size_t>(found - cumulative_.begin()), choices_.size() - 1);
      return choices_[at];
    }
    double x = 0;
    if (kind_ == "uniform") {
      x = a_ + u * (b_ - a_);
    } else {
      const boost::math::normal_distribution<double> standard(0.0, 1.0);
      const double z = boost::math::quantile(standard, u);
      x = kind_ == "normal" ? a_ + b_ * z : std::exp(a_ + b_ * z);
    }
    x = std::clamp(x, clip_low_, clip_high_);
    return integer_ ? format_integer(x) : format_value(x);
  }

 private:
  void require(const SweepReader& reader, const YAML::Node& node, const std::vector<std::string>& keys) const {
    for (const auto& k : keys) {
      if (!node[k]) reader.fail(node, key_ + "." + k, "missing; a " + kind_ + " distribution needs it");
    }
  }

  std::string key_;
  std::string kind_;
  double a_ = 0, b_ = 0;
  bool integer_ = false;
  double clip_low_ = -INFINITY, clip_high_ = INFINITY;
  std::vector<std::string> choices_;
  std::vector<double> cumulative_;
};

// Purposes of the design's own draws (never shared with a run's draws: the design has its seed).
constexpr auto kRandomDesign = static_cast<Purpose>(static_cast<std::uint32_t>(Purpose::user) + 1);
constexpr auto kHypercubePermutation = static_cast<Purpose>(static_cast<std::uint32_t>(Purpose::user) + 2);
constexpr auto kHypercubeJitter = static_cast<Purpose>(static_cast<std::uint32_t>(Purpose::user) + 3);

// Sobol (Saltelli) and Morris designs (sensitivity_design.hpp): unit-cube points mapped through
// each parameter's distribution, with each point's role in the design.
void read_sensitivity_design(const SweepReader& reader, const YAML::Node& design, const std::vector<ParameterSpec>& specs,
                             SweepPlan& plan) {
  const std::uint64_t design_seed = design["seed"] ? reader.seed(design["seed"], "design.seed") : 1;
  std::vector<Distribution> distributions;
  for (const auto& spec : specs) distributions.emplace_back(reader, spec);
  UnitDesign unit;
  if (plan.design == "sobol") {
    if (specs.size() < 2) {
      reader.fail(design["parameters"], "design.parameters", "a sobol design needs at least two parameters (with one, A_B^1 is B)");
    }
    if (!design["n"]) reader.fail(design, "design.n", "missing; a sobol design needs N, the rows of A and B (a power of two)");
    const auto n = reader.integer(design["n"], "design.n", 1, std::int64_t{1} << 20);
    if (!is_power_of_two(static_cast<std::size_t>(n))) {
      reader.fail(design["n"], "design.n", "found " + std::to_string(n) + ", expected a power of two (2, 4, 8, ...): the Sobol' points are balanced only then");
    }
    if (static_cast<double>(n) * static_cast<double>(specs.size() + 2) > 10000000) {
      reader.fail(design["n"], "design.n", "N (k + 2) is more than 10 million points");
    }
    unit = saltelli_design(static_cast<std::size_t>(n), specs.size(), design_seed);
  } else {
    for (std::size_t p = 0; p < specs.size(); ++p) {
      if (distributions[p].kind() != "uniform") {
        reader.fail_at(specs[p].line, specs[p].key + ".distribution",
                       "found '" + distributions[p].kind() + "'; a morris design needs uniform {low, high} ranges: its grid reaches both ends");
      }
    }
    if (!design["trajectories"]) reader.fail(design, "design.trajectories", "missing; a morris design needs the number of trajectories r");
    const auto r = reader.integer(design["trajectories"], "design.trajectories", 1, 1000);
    const auto levels = design["levels"] ? reader.integer(design["levels"], "design.levels", 2, 1000) : 4;
    if (levels % 2 != 0) reader.fail(design["levels"], "design.levels", "found " + std::to_string(levels) + ", expected an even number of levels");
    const auto candidates = design["candidates"] ? reader.integer(design["candidates"], "design.candidates", r, 1000)
                                                 : std::min<std::int64_t>(1000, 10 * r);
    // Campolongo's selection compares every pair of candidates point by point.
    const double k1 = static_cast<double>(specs.size() + 1);
    if (static_cast<double>(candidates) * static_cast<double>(candidates) * k1 * k1 * k1 > 2e8) {
      reader.fail(design["candidates"] ? design["candidates"] : design, "design.candidates",
                  std::to_string(candidates) + " candidate trajectories of " + std::to_string(specs.size()) +
                      " parameters are too many to compare pairwise; write fewer candidates");
    }
    if (static_cast<double>(r) * static_cast<double>(specs.size() + 1) > 10000000) {
      reader.fail(design["trajectories"], "design.trajectories", "r (k + 1) is more than 10 million points");
    }
    unit = morris_design(static_cast<std::size_t>(r), specs.size(), static_cast<int>(levels),
                         static_cast<std::size_t>(candidates), design_seed);
  }
  plan.points.assign(unit.points.size(), std::vector<std::string>(specs.size()));
  for (std::size_t i = 0; i < unit.points.size(); ++i) {
    for (std::size_t p = 0; p < specs.size(); ++p) plan.points[i][p] = distributions[p].value_at(unit.points[i][p]);
  }
  plan.roles = std::move(unit.roles);
}

void read_design(const SweepReader& reader, const YAML::Node& design, SweepPlan& plan) {
  if (!design || design.IsNull()) {
    plan.design = "none";
    plan.points.assign(1, {});
    return;
  }
  if (!design.IsMap()) reader.fail(design, "design", "found " + describe(design) + ", expected a map with type and parameters");
  const YAML::Node type = design["type"];
  if (!type) reader.fail(design, "design.type", "missing; expected grid, random, latin_hypercube, sobol or morris");
  plan.design = reader.text(type, "design.type");
  const std::vector<ParameterSpec> specs = [&] {
    if (plan.design == "grid") {
      reader.only_keys(design, "design", {"type", "parameters"});
    } else if (plan.design == "random" || plan.design == "latin_hypercube") {
      reader.only_keys(design, "design", {"type", "parameters", "n", "seed"});
    } else if (plan.design == "sobol") {
      reader.only_keys(design, "design", {"type", "parameters", "n", "seed"});
    } else if (plan.design == "morris") {
      reader.only_keys(design, "design", {"type", "parameters", "trajectories", "levels", "candidates", "seed"});
    } else {
      reader.fail(type, "design.type", "found '" + plan.design + "', expected grid, random, latin_hypercube, sobol or morris");
    }
    return read_parameters(reader, design);
  }();
  for (const auto& spec : specs) {
    plan.parameters.push_back(spec.key);
    plan.parameter_locations.push_back({reader.file(), spec.line});
  }

  if (plan.design == "grid") {
    std::vector<std::vector<std::string>> axes;
    std::size_t count = 1;
    for (const auto& spec : specs) {
      axes.push_back(grid_values(reader, spec));
      count *= axes.back().size();
      if (count > 10000000) reader.fail(design["parameters"], "design.parameters", "the grid has more than 10 million points");
    }
    // The first parameter varies slowest (row-major over the axes).
    for (std::size_t point = 0; point < count; ++point) {
      std::vector<std::string> values(axes.size());
      std::size_t rest = point;
      for (std::size_t p = axes.size(); p-- > 0;) {
        values[p] = axes[p][rest % axes[p].size()];
        rest /= axes[p].size();
      }
      plan.points.push_back(std::move(values));
    }
    return;
  }

  if (plan.design == "sobol" || plan.design == "morris") {
    read_sensitivity_design(reader, design, specs, plan);
    return;
  }
  if (!design["n"]) reader.fail(design, "design.n", "missing; a " + plan.design + " design needs the number of draws n");
  const auto n = static_cast<std::size_t>(reader.integer(design["n"], "design.n", 1, 10000000));
  const std::uint64_t design_seed = design["seed"] ? reader.seed(design["seed"], "design.seed") : 1;
  std::vector<Distribution> distributions;
  for (const auto& spec : specs) distributions.emplace_back(reader, spec);
  plan.points.assign(n, std::vector<std::string>(specs.size()));
  if (plan.design == "random") {
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t p = 0; p < specs.size(); ++p) {
        plan.points[i][p] = distributions[p].value_at(RandomBlock(design_seed, i, kRandomDesign, p).uniform(0));
      }
    }
    return;
  }
  // Latin hypercube: each parameter's n strata of (0, 1) are visited once, in a random order.
  for (std::size_t p = 0; p < specs.size(); ++p) {
    std::vector<std::size_t> stratum(n);
    std::iota(stratum.begin(), stratum.end(), std::size_t{0});
    for (std::size_t i = n; i-- > 1;) {  // Fisher-Yates
      const std::uint64_t bits = (std::uint64_t{RandomBlock(design_seed, p, kHypercubePermutation, i).bits(0)} << 32) |
                                 RandomBlock(design_seed, p, kHypercubePermutation, i).bits(1);
      std::swap(stratum[i], stratum[bits % (i + 1)]);
    }
    for (std::size_t i = 0; i < n; ++i) {
      const double jitter = RandomBlock(design_seed, i, kHypercubeJitter, p).uniform(0);
      plan.points[i][p] = distributions[p].value_at((static_cast<double>(stratum[i]) + jitter) / static_cast<double>(n));
    }
  }
}

void read_scenarios(const SweepReader& reader, const YAML::Node& node, const fs::path& base, SweepPlan& plan) {
  if (!node) reader.fail_at(1, "scenarios", "missing; expected a list (or map name: file) of scenario files");
  auto add = [&](const std::string& name, const YAML::Node& file_node, const YAML::Node& key_node) {
    const std::string key = node.IsMap() ? "scenarios." + name : "scenarios";
    const std::string file = reader.text(file_node, key);
    for (const auto& other : plan.scenarios) {
      if (other.name == name) {
        reader.fail(key_node, key, "two scenarios named '" + name + "' (also on line " + std::to_string(other.where.line) +
                                       "); name them with a map, e.g. scenarios: {a: x.yaml, b: x.yaml}");
      }
    }
    SweepScenario scenario;
    scenario.name = name;
    scenario.file = file;
    scenario.path = fs::path(file).is_absolute() ? fs::path(file) : base / file;
    scenario.where = {reader.file(), line_of(key_node)};
    std::error_code ec;
    if (!fs::is_regular_file(scenario.path, ec)) {
      reader.fail(file_node, key, "cannot open scenario file '" + scenario.path.string() + "' (paths are relative to the sweep file)");
    }
    scenario.document = ScenarioDocument::load(scenario.path);
    plan.scenarios.push_back(std::move(scenario));
  };
  if (node.IsSequence()) {
    for (const auto& element : node) add(fs::path(reader.text(element, "scenarios")).stem().string(), element, element);
  } else if (node.IsMap()) {
    for (const auto& item : node) add(item.first.Scalar(), item.second, item.first);
  } else {
    reader.fail(node, "scenarios", "found " + describe(node) + ", expected a list (or map name: file) of scenario files");
  }
  if (plan.scenarios.empty()) reader.fail(node, "scenarios", "empty; expected at least one scenario file");
}

// A resolved scenario's YAML with its top-level `seed: N` line cut out, to be written with
// another seed. Unusable when that line is not found exactly once.
class SeedTemplate {
 public:
  SeedTemplate() = default;
  SeedTemplate(const std::string& yaml, std::uint64_t seed) {
    const std::string line = "seed: " + std::to_string(seed) + "\n";
    std::size_t found = std::string::npos;
    for (std::size_t at = yaml.find(line); at != std::string::npos; at = yaml.find(line, at + 1)) {
      if (at != 0 && yaml[at - 1] != '\n') continue;  // top level only: column 0
      if (found != std::string::npos) return;
      found = at;
    }
    if (found == std::string::npos) return;
    before_ = yaml.substr(0, found) + "seed: ";
    after_ = yaml.substr(found + line.size() - 1);
    usable_ = true;
  }
  bool usable() const { return usable_; }
  std::string with_seed(std::uint64_t seed) const { return before_ + std::to_string(seed) + after_; }

 private:
  std::string before_, after_;
  bool usable_ = false;
};

std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The scenario document of a run before its parameter draw: the scenario (with `set:`), the
// design point, the seed.
ScenarioDocument design_document(const SweepPlan& plan, const SweepRun& run, const SourceLocation& seed_where) {
  ScenarioDocument document = plan.scenarios[run.scenario].document;
  for (std::size_t p = 0; p < plan.parameters.size(); ++p) {
    const std::string& text = plan.value(run, p);
    YAML::Node value;
    try {
      value = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      const auto& at = plan.parameter_locations[p];
      throw InputError(at.file, at.line, plan.parameters[p], "value '" + text + "' is not valid YAML: " + e.msg);
    }
    document.set(plan.parameters[p], value, plan.parameter_locations[p]);
  }
  document.set("seed", YAML::Node(std::to_string(run.seed)), seed_where);
  return document;
}

// The scenario document of a run: its design document with its parameter draw applied and the
// calibrated keys it overrides recorded.
ScenarioDocument run_document(const SweepPlan& plan, const SweepRun& run, const SourceLocation& seed_where) {
  ScenarioDocument document = design_document(plan, run, seed_where);
  if (run.draw >= 0) apply_parameter_draw(document, *plan.scenarios[run.scenario].draws, static_cast<std::size_t>(run.draw));
  record_calibration_overrides(document);
  return document;
}

// The text yaml-cpp writes for a leaf that is a plain scalar, or a flow list of them, made only of
// characters that never need quoting (numbers, names, dotted keys): its own text, or "[a, b]".
// False for anything else (the caller then emits the document).
bool is_plain_text(const std::string& text) {
  if (text.empty() || text == "null" || text == "Null" || text == "NULL") return false;
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(text[0]) && !(text.size() > 1 && (text[0] == '-' || text[0] == '+' || text[0] == '.') && text[1] >= '0' && text[1] <= '9')) {
    return false;
  }
  return std::all_of(text.begin(), text.end(), [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-' || c == '+'; });
}

bool plain_emission(const YAML::Node& value, std::string& out) {
  if (value.IsScalar()) {
    if (!is_plain_text(value.Scalar()) || (value.Tag() != "?" && value.Tag() != "!" && !value.Tag().empty())) return false;
    out += value.Scalar();
    return true;
  }
  if (!value.IsSequence()) return false;
  out += '[';
  bool first = true;
  for (const auto& element : value) {
    if (!element.IsScalar() || !is_plain_text(element.Scalar()) ||
        (element.Tag() != "?" && element.Tag() != "!" && !element.Tag().empty())) {
      return false;
    }
    if (!first) out += ", ";
    out += element.Scalar();
    first = false;
  }
  out += ']';
  return true;
}

// Resolves the runs of one scenario of a plan incrementally. Runs of one scenario differ only in
// a few leaves of their document (the design point's values, the seed, the parameter draw and the
// record of overridden calibrated keys); the other keys and the document's shape are the same in
// every run. So one working document is built for the first run (run_document, as resolve_run
// builds it) and each later run replaces those leaves in place, giving the document run_document
// would build for it. Its identity is digested from a text template of the resolved YAML with
// those leaves cut out, instead of emitting the whole document per run. Whatever it cannot do
// exactly the same way (a shape it does not know, a value that would need quoting, any error), it
// declines, and the caller resolves that run from scratch.
class IncrementalResolver {
 public:
  IncrementalResolver(const SweepPlan& plan, std::size_t scenario) : plan_(plan), scenario_(plan.scenarios[scenario]) {}

  // The run's identity and, when `validate`, its scenario's warnings (after every check of
  // build_scenario). False when the run must be resolved from scratch; then this resolver is done.
  bool resolve(const SweepRun& run, bool validate, std::string& identity, std::vector<ScenarioWarning>& warnings) {
    if (broken_) return false;
    try {
      if (!started_) {
        started_ = true;
        if (!start(run)) {
          broken_ = true;
          return false;
        }
      } else {
        update(run);
      }
      if (validate && !(recheck_ && recheck_->recheck(work_, pending_, value_tags(), warnings))) {
        // The first run, one whose changed leaves take part in checks the recheck does not
        // repeat, or one that fails a check: build_scenario names the error as it always does.
        const Scenario built = build_scenario(work_, ResolvedYaml::skip);
        warnings = built.warnings;
        if (!checked_) recheck_ = detail::ScenarioRecheck::make(work_, built, varying_);
      }
      if (validate) pending_.assign(varying_.size(), false);
      checked_ = true;
      identity = digest(run.seed);
      return true;
    } catch (...) {
      broken_ = true;  // the working document may be half updated
      return false;
    }
  }

 private:
  bool start(const SweepRun& run) {
    if (scenario_.document.contains_subtree(kOverriddenKeysKey)) return false;  // kept when a run overrides nothing
    work_ = run_document(plan_, run, plan_.seed_where);
    std::vector<std::string> varying(plan_.parameters.begin(), plan_.parameters.end());
    varying.emplace_back("seed");
    const std::string record = kAppliedDrawKey;
    std::vector<std::string> drawn;  // the leaves a parameter draw sets
    if (run.draw >= 0) {
      const DocumentEntry* applied = work_.find(record + ".keys");
      if (!applied || !applied->value.IsSequence()) return false;
      for (const auto& key : applied->value) drawn.push_back(key.Scalar());
      for (const char* field : {".index", ".draws", ".parameters", ".free_values", ".keys", ".held_keys"}) drawn.push_back(record + field);
      varying.insert(varying.end(), drawn.begin(), drawn.end());
    }
    overridden_ = work_.find(kOverriddenKeysKey) != nullptr;
    if (overridden_) varying.emplace_back(kOverriddenKeysKey);
    // Each varying key is a leaf that no other varying key replaces (none is a prefix of another),
    // and the design's keys stay out of the calibration record.
    for (std::size_t i = 0; i < varying.size(); ++i) {
      if (work_.leaf_handle(varying[i]) < 0) return false;
      if (i < plan_.parameters.size() && varying[i].rfind("calibration", 0) == 0) return false;
      for (std::size_t j = 0; j < varying.size(); ++j) {
        if (i != j && (varying[j] == varying[i] || varying[j].rfind(varying[i] + ".", 0) == 0)) return false;
      }
    }
    for (const auto& key : plan_.parameters) parameter_leaves_.push_back(work_.leaf_handle(key));
    seed_leaf_ = work_.leaf_handle("seed");
    for (const auto& key : drawn) draw_leaves_.push_back(work_.leaf_handle(key));
    if (run.draw >= 0) remember_draw(static_cast<std::size_t>(run.draw));
    current_draw_ = run.draw;
    drawn_ = std::move(drawn);
    // Which calibrated keys a run overrides: fixed for the keys no run changes, looked at again
    // for the design's and the draw's keys.
    calibration_file_ = calibration_file(work_);
    if (!calibration_file_.empty()) {
      for (auto& [key, text] : calibrated_leaves(calibration_file_)) {
        const int leaf = work_.leaf_handle(key);
        const bool designed = std::find(parameter_leaves_.begin(), parameter_leaves_.end(), leaf) != parameter_leaves_.end();
        const bool by_draw = std::find(draw_leaves_.begin(), draw_leaves_.end(), leaf) != draw_leaves_.end();
        const bool overridden = overrides_calibrated(work_.find(key), calibration_file_, text);
        calibrated_.push_back({key, std::move(text), leaf >= 0 && (designed || by_draw) ? leaf : -1, by_draw, overridden});
      }
    }
    recorded_ = overridden_calibrated_keys(work_);
    loaded_.assign(plan_.parameters.size(), {});
    current_.assign(plan_.parameters.size(), nullptr);
    for (std::size_t p = 0; p < plan_.parameters.size(); ++p) {
      const YAML::Node& value = work_.leaf_entry(parameter_leaves_[p]).value;
      current_[p] = &loaded_[p].emplace(plan_.value(run, p), Loaded{value, emitted(value)}).first->second;
    }
    seed_text_ = std::to_string(run.seed);
    seed_emitted_ = emitted(work_.leaf_entry(seed_leaf_).value);
    if (overridden_) overridden_text_ = emitted(work_.find(kOverriddenKeysKey)->value);
    last_point_ = run.point;
    make_template(varying);
    varying_ = std::move(varying);
    return true;
  }

  // For the recheck: the draw whose values the draw leaves hold (the same nodes each time it
  // is used), -1 for the other varying leaves.
  const std::vector<long long>& value_tags() {
    tags_.assign(varying_.size(), -1);
    const std::size_t first_drawn = plan_.parameters.size() + 1;  // after the design keys and the seed
    for (std::size_t i = 0; i < drawn_.size(); ++i) tags_[first_drawn + i] = current_draw_;
    return tags_;
  }

  // The leaves draw `draw` sets, as apply_parameter_draw sets them over this document.
  void remember_draw(std::size_t draw) {
    if (draws_.size() <= draw) draws_.resize(draw + 1);
    std::vector<DocumentEntry>& entries = draws_[draw];
    for (const int leaf : draw_leaves_) entries.push_back(work_.leaf_entry(leaf));
    // The same nodes, held through one YAML memory for all draws: each replace_leaf counts a
    // reference on the node's memory, and one hot count costs less than a cold one per value.
    const YAML::Node& pool = draw_pool_;
    for (DocumentEntry& entry : entries) {
      draw_pool_.push_back(entry.value);
      entry.value.reset(pool[draw_pool_.size() - 1]);  // reset rebinds; assignment would write the node
    }
    // apply_parameter_draw gives all of them the draw's row: then one location is kept for them
    // (one string to compare per run instead of one per leaf).
    if (draw_rows_.size() <= draw) draw_rows_.resize(draw + 1);
    const bool one_row = std::all_of(entries.begin(), entries.end(), [&](const DocumentEntry& e) {
      return e.where.line == entries.front().where.line && e.where.file == entries.front().where.file;
    });
    if (one_row && !entries.empty()) draw_rows_[draw] = entries.front().where;
    if (draw_texts_.size() <= draw) draw_texts_.resize(draw + 1);
    for (const DocumentEntry& entry : entries) draw_texts_[draw].push_back(emitted(entry.value));
  }

  void update(const SweepRun& run) {
    const bool point_changed = run.point != last_point_;
    const bool draw_changed = run.draw >= 0 && run.draw != current_draw_;  // the same draw's leaves are in place
    const std::size_t parameters = plan_.parameters.size();
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      pending_[i] = pending_[i] || (i < parameters ? point_changed : i == parameters || draw_changed);
    }
    if (point_changed) {
      for (std::size_t p = 0; p < plan_.parameters.size(); ++p) {
        const std::string& text = plan_.value(run, p);
        auto found = loaded_[p].find(text);
        if (found == loaded_[p].end()) {
          const YAML::Node value = YAML::Load(text);  // bad YAML: from scratch
          found = loaded_[p].emplace(text, Loaded{value, emitted(value)}).first;
        }
        work_.replace_leaf(parameter_leaves_[p], found->second.node, plan_.parameter_locations[p]);
        current_[p] = &found->second;
      }
      last_point_ = run.point;
    }
    seed_text_ = std::to_string(run.seed);
    work_.replace_leaf(seed_leaf_, YAML::Node(seed_text_), plan_.seed_where);
    if (draw_changed) {
      const auto draw = static_cast<std::size_t>(run.draw);
      current_draw_ = run.draw;
      if (draw < draws_.size() && !draws_[draw].empty()) {
        for (std::size_t i = 0; i < draw_leaves_.size(); ++i) {
          const std::optional<SourceLocation>& row = draw_rows_[draw];
          work_.replace_leaf(draw_leaves_[i], draws_[draw][i].value, row ? *row : draws_[draw][i].where);
        }
      } else {
        apply_parameter_draw(work_, *scenario_.draws, draw);
        remember_draw(draw);
      }
    }
    // Whether each calibrated leaf is overridden changes only with the leaf.
    bool flipped = false;
    for (auto& leaf : calibrated_) {
      if (leaf.leaf < 0 || !(leaf.drawn ? draw_changed : point_changed)) continue;
      const bool overridden = overrides_calibrated(&work_.leaf_entry(leaf.leaf), calibration_file_, leaf.text);
      flipped = flipped || overridden != leaf.overridden;
      leaf.overridden = overridden;
    }
    if (flipped) {
      // As record_calibration_overrides, which sets the record only when there is something to record.
      std::vector<std::string> keys;
      for (const auto& leaf : calibrated_) {
        if (leaf.overridden) keys.push_back(leaf.key);
      }
      if (keys != recorded_) {
        if (!keys.empty()) {
          YAML::Node list(YAML::NodeType::Sequence);
          for (const auto& key : keys) list.push_back(key);
          work_.set(kOverriddenKeysKey, list, work_.location_of("calibration"));
          overridden_text_ = emitted(list);
        } else {
          work_.erase_subtree(kOverriddenKeysKey);
        }
        recorded_ = std::move(keys);
      }
    }
  }

  // The resolved YAML with each varying leaf's value replaced by a marker, cut at the markers.
  void make_template(const std::vector<std::string>& varying) {
    ScenarioDocument marked = work_;
    std::vector<std::string> markers;
    for (std::size_t i = 0; i < varying.size(); ++i) {
      markers.push_back("zqConvsimLeaf" + std::to_string(i) + "qz");
      marked.set(varying[i], YAML::Node(markers.back()), marked.find(varying[i])->where);
    }
    const std::string text = marked.to_yaml();
    std::vector<std::pair<std::size_t, std::size_t>> at;  // (offset, varying index)
    for (std::size_t i = 0; i < varying.size(); ++i) {
      const std::size_t found = text.find(markers[i]);
      if (found == std::string::npos || text.find(markers[i], found + 1) != std::string::npos) return;
      at.emplace_back(found, i);
    }
    std::sort(at.begin(), at.end());
    std::size_t from = 0;
    for (const auto& [offset, i] : at) {
      pieces_.push_back(text.substr(from, offset - from));
      order_.push_back(varying[i]);
      from = offset + markers[i].size();
    }
    pieces_.push_back(text.substr(from));
    for (const auto& key : order_) {
      sequence_.push_back(work_.find(key)->value.IsSequence());
      Source source;
      const auto parameter = std::find(plan_.parameters.begin(), plan_.parameters.end(), key);
      const auto drawn = std::find(drawn_.begin(), drawn_.end(), key);
      if (key == "seed") {
        source.kind = Source::seed;
      } else if (key == kOverriddenKeysKey) {
        source.kind = Source::overridden;
      } else if (parameter != plan_.parameters.end()) {
        source = {Source::parameter, static_cast<std::size_t>(parameter - plan_.parameters.begin())};
      } else {
        source = {Source::draw, static_cast<std::size_t>(drawn - drawn_.begin())};  // the varying keys are no others
      }
      sources_.push_back(source);
    }
    prefix_.add(pieces_[0]);
    // The template must give back what the emitter writes for the first run.
    std::string assembled = pieces_[0];
    templated_ = fill([&](std::string_view text) { assembled += text; }) && assembled == work_.to_yaml();
  }

  // What plain_emission writes for a value, and whether it can (kept with each value used).
  struct Emitted {
    bool plain = false, sequence = false;
    std::string text;
  };
  static Emitted emitted(const YAML::Node& value) {
    Emitted out;
    out.sequence = value.IsSequence();
    out.plain = plain_emission(value, out.text);
    return out;
  }

  // The template filled with the working document's values, from the end of its first piece,
  // given to `add` piece by piece; false when a value needs the emitter. Each value's text is the
  // one kept with it (the design value, the draw, the seed, the record of overrides the working
  // document holds).
  template <typename Add>
  bool fill(Add&& add) const {
    if (overridden_ != (work_.find(kOverriddenKeysKey) != nullptr)) return false;
    for (std::size_t i = 0; i < order_.size(); ++i) {
      const Source& source = sources_[i];
      const Emitted* value = nullptr;
      switch (source.kind) {
        case Source::parameter: value = &current_[source.index]->text; break;
        case Source::draw: value = &draw_texts_[static_cast<std::size_t>(current_draw_)][source.index]; break;
        case Source::seed: value = &seed_emitted_; break;
        case Source::overridden: value = &overridden_text_; break;
      }
      if (!value->plain || value->sequence != sequence_[i]) return false;
      add(source.kind == Source::seed ? std::string_view(seed_text_) : std::string_view(value->text));
      add(pieces_[i + 1]);
    }
    return true;
  }

  std::string digest(std::uint64_t seed) {
    ContentDigest digest = prefix_;  // the text before the first varying leaf is the same in every run
    if (!templated_ || !fill([&](std::string_view text) { digest.add(text); })) {
      digest = ContentDigest();
      digest.add(work_.to_yaml());
    }
    digest.add("\n#seed=" + std::to_string(seed));
    return digest.hex();
  }

  const SweepPlan& plan_;
  const SweepScenario& scenario_;
  bool started_ = false, broken_ = false;
  ScenarioDocument work_;  // the document of the last run resolved
  std::vector<std::string> varying_;  // the leaves runs change: design keys, seed, draw leaves (, overrides)
  std::vector<bool> pending_;         // [varying] whether it changed since the last validation
  std::vector<long long> tags_;       // [varying] value_tags()
  bool checked_ = false;              // whether the first run was validated
  std::unique_ptr<detail::ScenarioRecheck> recheck_;  // validates later runs by their changed leaves
  std::size_t last_point_ = 0;
  bool overridden_ = false;                       // whether the template has calibration.overridden_keys
  struct Loaded {
    YAML::Node node;
    Emitted text;
  };
  std::vector<std::unordered_map<std::string, Loaded>> loaded_;  // [parameter] value text -> YAML
  std::vector<const Loaded*> current_;                            // [parameter] the last run's value
  std::vector<std::string> drawn_;                                // the keys a draw sets
  std::vector<std::vector<Emitted>> draw_texts_;                  // [draw][draw leaf] as draws_
  long long current_draw_ = -1;
  std::string seed_text_;                                         // the last run's seed
  Emitted seed_emitted_;                                          // the first run's seed
  Emitted overridden_text_;                                       // calibration.overridden_keys
  std::vector<int> parameter_leaves_, draw_leaves_;  // leaf handles of the design's keys and the draw's
  int seed_leaf_ = -1;
  std::vector<std::optional<SourceLocation>> draw_rows_;  // [draw] the one location of its leaves
  YAML::Node draw_pool_{YAML::NodeType::Sequence};       // holds every draw's values in one memory
  std::vector<std::vector<DocumentEntry>> draws_;  // [draw][draw leaf] as apply_parameter_draw sets them
  struct CalibratedLeaf {
    std::string key, text;  // a leaf the calibration file sets, and its value there
    int leaf = -1;            // its handle when runs change it, else -1
    bool drawn = false;       // whether the draw sets it (else the design, if runs change it)
    bool overridden = false;  // whether the last run overrides it
  };
  std::string calibration_file_;
  std::vector<CalibratedLeaf> calibrated_;
  std::vector<std::string> recorded_;  // calibration.overridden_keys of the last run (empty: none)
  std::vector<std::string> pieces_;               // template text around the varying leaves
  std::vector<std::string> order_;                // the varying leaf at each cut, in text order
  std::vector<bool> sequence_;                    // whether it is a list
  struct Source {
    enum Kind { parameter, draw, seed, overridden } kind = parameter;
    std::size_t index = 0;  // the parameter or draw leaf
  };
  std::vector<Source> sources_;                   // where its value's text is kept
  ContentDigest prefix_;                          // the digest state after the first piece
  bool templated_ = false;
};

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::vector<std::vector<std::string>> plan_rows(const SweepPlan& plan) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"index", "scenario"};
  header.insert(header.end(), plan.parameters.begin(), plan.parameters.end());
  header.insert(header.end(), {"replicate", "seed", "identity"});
  rows.push_back(std::move(header));
  for (const auto& run : plan.runs) {
    std::vector<std::string> row = {std::to_string(run.index), plan.scenarios[run.scenario].name};
    for (std::size_t p = 0; p < plan.parameters.size(); ++p) row.push_back(plan.value(run, p));
    row.insert(row.end(), {std::to_string(run.replicate), std::to_string(run.seed), run.identity});
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

//---- public ----------------------------------------------------------------------------------

std::uint64_t replicate_seed(std::uint64_t base, int replicate) {
  // Two rounds so that nearby bases and nearby replicates give unrelated seeds. 53 bits: every
  // seed is exact as a double too, so no reader of the scenario can round two seeds into one.
  return splitmix64(splitmix64(base) + static_cast<std::uint64_t>(replicate)) >> 11;
}

std::string SweepPlan::digest() const {
  std::string text;
  for (const auto& run : runs) text += run.identity + "\n";
  return content_digest(text);
}

SweepPlan load_sweep(const fs::path& sweep_file, RunIdentities identities, ParameterUncertainty uncertainty,
                     PlanResolution resolution) {
  SweepPlan plan;
  plan.file = sweep_file.string();
  plan.parameter_uncertainty = uncertainty == ParameterUncertainty::on;
  const SweepReader reader(plan.file);
  const std::string text = read_input_file(sweep_file, "sweep file");
  check_yaml_text(text, plan.file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw yaml_syntax_error(text, plan.file, e.mark.line, e.msg);
  }
  if (!root.IsMap()) reader.fail_at(1, "", "found " + describe(root) + ", expected a map with scenarios, design, replicates, seed");
  reader.only_keys(root, "", {"name", "description", "scenarios", "set", "design", "replicates", "seed", "branch_from"});

  plan.name = root["name"] ? reader.text(root["name"], "name") : sweep_file.stem().string();
  plan.description = root["description"] ? reader.text(root["description"], "description") : "";
  plan.replicates = root["replicates"] ? static_cast<int>(reader.integer(root["replicates"], "replicates", 1, 1000000)) : 1;
  plan.base_seed = root["seed"] ? reader.seed(root["seed"], "seed") : 1;
  plan.seed_where = {plan.file, root["seed"] ? line_of(root["seed"]) : 0};
  if (root["branch_from"]) {
    plan.branch_from = reader.real(root["branch_from"], "branch_from");
    plan.branch_from_where = {plan.file, line_of(root["branch_from"])};
  }

  if (const YAML::Node set = root["set"]) {
    if (!set.IsMap()) reader.fail(set, "set", "found " + describe(set) + ", expected a map of scenario keys to values");
    std::unordered_map<std::string, int> lines;
    flatten_settings(reader, set, "", plan.fixed, lines);
  }
  read_design(reader, root["design"], plan);
  for (const auto& setting : plan.fixed) {
    if (setting.key == "seed") reader.fail_at(setting.where.line, "set.seed", "seeds come from the sweep's own `seed` and `replicates`; remove it from set");
  }
  for (std::size_t p = 0; p < plan.parameters.size(); ++p) {
    if (plan.parameters[p] == "seed") {
      reader.fail_at(plan.parameter_locations[p].line, "design.parameters.seed", "seeds come from the sweep's `seed` and `replicates`, not from the design");
    }
  }
  read_scenarios(reader, root["scenarios"], sweep_file.parent_path(), plan);
  for (auto& scenario : plan.scenarios) {
    for (const auto& setting : plan.fixed) {
      YAML::Node value;
      try {
        value = YAML::Load(setting.value);
      } catch (const YAML::Exception& e) {
        reader.fail_at(setting.where.line, setting.key, "value is not valid YAML: " + e.msg);
      }
      scenario.document.set(setting.key, value, setting.where);
    }
    if (plan.parameter_uncertainty) {
      scenario.draws = read_parameter_draws(scenario.document);
      if (scenario.draws) check_draw_count(*scenario.draws, plan.replicates);  // before any run is resolved
    }
  }

  const std::size_t count = plan.scenarios.size() * plan.points.size() * static_cast<std::size_t>(plan.replicates);
  if (count > 10000000) reader.fail_at(0, "", "the sweep has " + std::to_string(count) + " runs; at most 10 million are supported");
  plan.runs.reserve(count);
  std::vector<std::uint64_t> seeds(static_cast<std::size_t>(plan.replicates));
  std::set<std::string> warned;  // each distinct scenario warning once, with the first run it concerns
  for (int r = 0; r < plan.replicates; ++r) seeds[static_cast<std::size_t>(r)] = replicate_seed(plan.base_seed, r);
  const bool incremental = resolution == PlanResolution::incremental;
  for (std::size_t s = 0; s < plan.scenarios.size(); ++s) {
    IncrementalResolver resolver(plan, s);
    for (std::size_t point = 0; point < plan.points.size(); ++point) {
      // Replicates differ only in their seed, which validation never depends on: the first is
      // resolved and checked, the others' identities come from its resolved YAML with their seed.
      SeedTemplate replicate_yaml;
      for (int r = 0; r < plan.replicates; ++r) {
        SweepRun run;
        run.index = plan.runs.size();
        run.scenario = s;
        run.point = point;
        run.replicate = r;
        run.seed = seeds[static_cast<std::size_t>(r)];
        const bool drawn = plan.scenarios[s].draws.has_value();
        if (drawn) run.draw = r;
        try {
          if (identities == RunIdentities::compute) {
            // (The same for every design point: the keys held and where they are set do not
            // depend on the point's values, so only the first point can add a warning.)
            if (drawn && r == 0 && (point == 0 || !incremental)) {
              // Keys the scenario, the sweep's set or its design hold against the draws: said once.
              for (const ScenarioWarning& warning :
                   held_key_warnings(design_document(plan, run, plan.seed_where), *plan.scenarios[s].draws)) {
                if (warned.insert(warning.text()).second) {
                  plan.warnings.push_back(warning.text() + " (scenario " + plan.scenarios[s].name + ")");
                }
              }
            }
            std::vector<ScenarioWarning> warnings;
            if (incremental && resolver.resolve(run, drawn || r == 0, run.identity, warnings)) {
              for (const ScenarioWarning& warning : warnings) {
                if (warned.insert(warning.text()).second) {
                  plan.warnings.push_back(warning.text() + " (run " + std::to_string(run.index) + ": scenario " +
                                          plan.scenarios[s].name + ")");
                }
              }
            } else if (drawn || !replicate_yaml.usable()) {
              // Replicates with parameter draws differ in more than their seed: each is resolved.
              const Scenario scenario = build_scenario(run_document(plan, run, plan.seed_where));
              run.identity = run_identity(scenario);
              for (const ScenarioWarning& warning : scenario.warnings) {
                if (warned.insert(warning.text()).second) {
                  plan.warnings.push_back(warning.text() + " (run " + std::to_string(run.index) + ": scenario " +
                                          plan.scenarios[s].name + ")");
                }
              }
              replicate_yaml = SeedTemplate(scenario.resolved_yaml, run.seed);
            } else {
              run.identity = content_digest(replicate_yaml.with_seed(run.seed) + "\n#seed=" + std::to_string(run.seed));
            }
          }
        } catch (const InputError& e) {
          std::string context = " (run " + std::to_string(run.index) + ": scenario " + plan.scenarios[s].name;
          for (std::size_t p = 0; p < plan.parameters.size(); ++p) context += ", " + plan.parameters[p] + "=" + plan.points[point][p];
          throw InputError(e.file(), e.line(), e.key(), e.detail() + context + ")");
        }
        plan.runs.push_back(std::move(run));
      }
    }
  }
  return plan;
}

Scenario resolve_run(const SweepPlan& plan, const SweepRun& run) {
  // Copies of a ScenarioDocument share their YAML nodes, and replacing an existing key rebinds the
  // shared node (yaml-cpp's assignment), so documents derived from the plan's are built one at a
  // time; the Scenario that comes out shares nothing.
  static std::mutex resolving;
  const std::lock_guard lock(resolving);
  return build_scenario(run_document(plan, run, plan.seed_where));
}

fs::path run_result_name(const SweepRun& run) {
  // Named by identity alone: the same run keeps its file when the plan around it changes
  // (more replicates, another design point), so a resumed sweep finds it and never stores it twice.
  return fs::path("runs") / (run.identity + ".h5");
}

std::string plan_to_json(const SweepPlan& plan) {
  std::ostringstream out;
  out << "{\n";
  out << "  \"format\": " << json_string(kSweepPlanFormat) << ",\n";
  out << "  \"name\": " << json_string(plan.name) << ",\n";
  out << "  \"description\": " << json_string(plan.description) << ",\n";
  out << "  \"sweep_file\": " << json_string(plan.file) << ",\n";
  out << "  \"design\": " << json_string(plan.design) << ",\n";
  out << "  \"replicates\": " << plan.replicates << ",\n";
  out << "  \"seed\": " << plan.base_seed << ",\n";
  out << "  \"parameter_uncertainty\": " << (plan.parameter_uncertainty ? "true" : "false") << ",\n";
  out << "  \"digest\": " << json_string(plan.digest()) << ",\n";
  out << "  \"scenarios\": [";
  for (std::size_t s = 0; s < plan.scenarios.size(); ++s) {
    out << (s ? ", " : "") << "{\"name\": " << json_string(plan.scenarios[s].name)
        << ", \"file\": " << json_string(plan.scenarios[s].file) << "}";
  }
  out << "],\n  \"set\": {";
  for (std::size_t i = 0; i < plan.fixed.size(); ++i) {
    out << (i ? ", " : "") << json_string(plan.fixed[i].key) << ": " << json_string(plan.fixed[i].value);
  }
  out << "},\n  \"parameters\": [";
  for (std::size_t p = 0; p < plan.parameters.size(); ++p) out << (p ? ", " : "") << json_string(plan.parameters[p]);
  out << "],\n  \"runs\": [";
  for (const auto& run : plan.runs) {
    out << (run.index ? ",\n" : "\n") << "    {\"index\": " << run.index
        << ", \"scenario\": " << json_string(plan.scenarios[run.scenario].name) << ", \"parameters\": {";
    for (std::size_t p = 0; p < plan.parameters.size(); ++p) {
      out << (p ? ", " : "") << json_string(plan.parameters[p]) << ": " << json_string(plan.value(run, p));
    }
    out << "}, \"replicate\": " << run.replicate << ", \"seed\": " << run.seed
        << ", \"identity\": " << json_string(run.identity)
        << ", \"result\": " << json_string(run_result_name(run).generic_string());
    if (!plan.roles.empty()) {
      const DesignRole& role = plan.roles[run.point];
      out << ", \"design_role\": {\"group\": " << role.group << ", \"block\": " << role.block
          << ", \"factor\": " << role.factor << ", \"delta\": " << format_value(role.delta) << "}";
    }
    out << "}";
  }
  out << "\n  ]\n}\n";
  return out.str();
}

std::string plan_to_csv(const SweepPlan& plan) {
  std::string out;
  for (const auto& row : plan_rows(plan)) {
    for (std::size_t c = 0; c < row.size(); ++c) out += (c ? "," : "") + csv_field(row[c]);
    out += "\n";
  }
  return out;
}

std::string plan_to_table(const SweepPlan& plan) {
  const auto rows = plan_rows(plan);
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const bool left = c == 1;  // scenario names left-aligned, numbers right-aligned
      const std::string pad(width[c] - row[c].size(), ' ');
      line += (c ? "  " : "") + (left ? row[c] + pad : pad + row[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

PlanSummary read_plan_json(const fs::path& path) {
  const std::string file = path.string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw InputError(file, 0, "", "no sweep plan here; expected the plan.json that `convsim sweep run` writes into its output folder");
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);  // JSON is YAML
  } catch (const YAML::Exception& e) {
    throw InputError(file, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "invalid JSON: " + e.msg);
  }
  const SweepReader reader(file);
  if (!root.IsMap() || !root["format"] || root["format"].Scalar() != kSweepPlanFormat) {
    reader.fail_at(1, "format", std::string("not a convsim sweep plan (expected format ") + kSweepPlanFormat + ")");
  }
  PlanSummary summary;
  try {
    summary.name = root["name"].as<std::string>();
    summary.sweep_file = root["sweep_file"].as<std::string>();
    summary.design = root["design"].as<std::string>();
    summary.replicates = root["replicates"].as<int>();
    summary.base_seed = root["seed"].as<std::uint64_t>();
    summary.parameter_uncertainty = root["parameter_uncertainty"] && root["parameter_uncertainty"].as<bool>();
    for (const auto& p : root["parameters"]) summary.parameters.push_back(p.as<std::string>());
    for (const auto& node : root["runs"]) {
      PlannedRun run;
      run.index = node["index"].as<std::size_t>();
      run.scenario = node["scenario"].as<std::string>();
      run.replicate = node["replicate"].as<int>();
      run.seed = node["seed"].as<std::uint64_t>();
      run.identity = node["identity"].as<std::string>();
      run.result = node["result"].as<std::string>();
      for (const auto& p : summary.parameters) run.values.push_back(node["parameters"][p].as<std::string>());
      if (const YAML::Node role = node["design_role"]) {
        run.role = {role["group"].as<long long>(), role["block"].as<int>(), role["factor"].as<int>(), role["delta"].as<double>()};
      }
      summary.runs.push_back(std::move(run));
    }
  } catch (const YAML::Exception& e) {
    throw InputError(file, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "malformed sweep plan: " + e.msg);
  }
  return summary;
}

Shard parse_shard(const std::string& text, const std::string& option) {
  const auto slash = text.find('/');
  Shard shard;
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    std::size_t used_index = 0, used_count = 0;
    shard.index = std::stoi(text.substr(0, slash), &used_index);
    shard.count = std::stoi(text.substr(slash + 1), &used_count);
    if (used_index != slash || used_count != text.size() - slash - 1) throw std::invalid_argument("trailing text");
  } catch (const std::exception&) {
    throw InputError("<command line>", 0, option, "found '" + text + "', expected I/N (shard I of N, 0 <= I < N)");
  }
  if (shard.count < 1 || shard.index < 0 || shard.index >= shard.count) {
    throw InputError("<command line>", 0, option, "found '" + text + "', expected I/N with 0 <= I < N");
  }
  return shard;
}

}  // namespace convsim
