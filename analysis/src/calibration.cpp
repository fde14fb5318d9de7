#include "convsim/analysis/calibration.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <utility>

#include <nlopt.hpp>
#include <tbb/parallel_for.h>
#include <yaml-cpp/yaml.h>

#include "convsim/errors.hpp"
#include "convsim/models/simulation.hpp"

namespace convsim::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Loss of an evaluation in which no replicate produced defined statistics.
constexpr double kFailedLoss = 1.0e6;
// Loss added per unit share of replicates whose statistics are undefined.
constexpr double kInvalidPenalty = 1.0e3;
// Half-width of the 95 % band in standard deviations (normal approximation over replicates).
constexpr double kBandHalfWidth = 1.96;
// Seed of NLopt's own generator (stochastic global algorithms), fixed for determinism.
constexpr unsigned long kOptimizerSeed = 20140401;

const char* const kSeriesLetters[4] = {"Y", "K", "L", "A"};
const char* const kGroups[] = {"coefficients", "fit", "log_levels", "log_spreads", "correlations", "projection"};

std::string format_number(double value, const char* format = "%.6g") {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

//---- YAML reading with file/line/key errors ----

// A YAML file being read: errors name the file, the node's line and the dotted key.
class YamlReader {
 public:
  explicit YamlReader(const std::filesystem::path& path) : file_(path.string()) {
    if (!std::filesystem::exists(path)) throw InputError(file_, 0, "", "no such file");
    try {
      root_ = YAML::LoadFile(file_);
    } catch (const YAML::Exception& e) {
      throw InputError(file_, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "not valid YAML: " + e.msg);
    }
    if (!root_.IsMap()) throw InputError(file_, 1, "", "expected a YAML map at the top level");
  }

  const YAML::Node& root() const { return root_; }
  const std::string& file() const { return file_; }

  static int line_of(const YAML::Node& node) { return node.Mark().line >= 0 ? node.Mark().line + 1 : 0; }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key, const std::string& message) const {
    throw InputError(file_, line_of(node), key, message);
  }

  // The child `name` of a map, or fails naming `parent_key.name` as missing.
  YAML::Node required(const YAML::Node& parent, const std::string& name, const std::string& parent_key,
                      const std::string& expected) const {
    const std::string key = join(parent_key, name);
    if (!parent.IsMap()) fail(parent, parent_key, "expected a map holding " + name);
    const YAML::Node child = parent[name];
    if (!child) fail(parent, key, "missing; expected " + expected);
    return child;
  }

  double number(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "found " + describe(node) + ", expected a number");
    const std::string text = node.Scalar();
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end == nullptr || *end != '\0' || !std::isfinite(value)) {
      fail(node, key, "found '" + text + "', expected a finite number");
    }
    return value;
  }

  int integer(const YAML::Node& node, const std::string& key) const {
    const double value = number(node, key);
    if (value != std::floor(value) || std::abs(value) > 1e9) {
      fail(node, key, "found " + node.Scalar() + ", expected a whole number");
    }
    return static_cast<int>(value);
  }

  std::string text(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "found " + describe(node) + ", expected text");
    return node.Scalar();
  }

  std::vector<double> numbers(const YAML::Node& node, const std::string& key) const {
    if (!node.IsSequence()) fail(node, key, "found " + describe(node) + ", expected a list of numbers");
    std::vector<double> out;
    for (std::size_t i = 0; i < node.size(); ++i) out.push_back(number(node[i], key + "[" + std::to_string(i) + "]"));
    return out;
  }

  // Fails on a key of `map` that is not in `allowed`.
  void only_keys(const YAML::Node& map, const std::string& map_key, const std::vector<std::string>& allowed) const {
    if (!map.IsMap()) fail(map, map_key, "found " + describe(map) + ", expected a map");
    for (const auto& item : map) {
      const std::string name = item.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(item.first, join(map_key, name), "unknown key; expected one of: " + list);
      }
    }
  }

  static std::string join(const std::string& parent, const std::string& name) {
    return parent.empty() ? name : parent + "." + name;
  }

  static std::string describe(const YAML::Node& node) {
    if (node.IsMap()) return "a map";
    if (node.IsSequence()) return "a list";
    if (node.IsNull()) return "nothing";
    return "'" + node.Scalar() + "'";
  }

 private:
  std::string file_;
  YAML::Node root_;
};

//---- schema lookups ----

// Whether a concrete dotted key matches a schema key with <placeholders>.
bool matches_schema_key(const std::string& key, const std::string& pattern) {
  std::stringstream a(key), b(pattern);
  std::string x, y;
  while (true) {
    const bool more_a = static_cast<bool>(std::getline(a, x, '.'));
    const bool more_b = static_cast<bool>(std::getline(b, y, '.'));
    if (!more_a || !more_b) return more_a == more_b;
    if (!(y.size() > 1 && y.front() == '<' && y.back() == '>') && x != y) return false;
  }
}

const ParameterDoc* schema_entry(const std::string& key) {
  for (const ParameterDoc& doc : scenario_schema()) {
    if (matches_schema_key(key, doc.key)) return &doc;
  }
  return nullptr;
}

// The document keys a pattern names: `*` matches every child at that level (e.g. every sector).
std::vector<std::string> expand_key(const ScenarioDocument& document, const std::string& pattern) {
  std::vector<std::string> prefixes = {""};
  std::stringstream parts(pattern);
  std::string part;
  while (std::getline(parts, part, '.')) {
    std::vector<std::string> next;
    for (const std::string& prefix : prefixes) {
      if (part == "*") {
        for (const std::string& child : document.children(prefix)) next.push_back(prefix.empty() ? child : prefix + "." + child);
      } else {
        next.push_back(prefix.empty() ? part : prefix + "." + part);
      }
    }
    prefixes = std::move(next);
  }
  return prefixes;
}

//---- the target list ----

double relative_scale(double published, double share, double floor) {
  return std::max(floor, share * std::abs(published));
}

std::vector<TargetSpec> build_targets(const CalibrationTargets& t) {
  std::vector<TargetSpec> out;
  auto add = [&](std::string name, std::string group, TargetKind kind, double published, double scale,
                 int variable = -1) {
    out.push_back(TargetSpec{std::move(name), std::move(group), kind, published, scale, 1.0, variable});
  };
  // Coefficients: 10 % of the published value, at least 0.05 (b_K and b_A are small).
  add("b_K", "coefficients", TargetKind::coefficient, t.b_capital, relative_scale(t.b_capital, 0.1, 0.05));
  add("b_L", "coefficients", TargetKind::coefficient, t.b_labour, relative_scale(t.b_labour, 0.1, 0.05));
  add("b_A", "coefficients", TargetKind::coefficient, t.b_technology, relative_scale(t.b_technology, 0.1, 0.05));
  add("R-squared", "fit", TargetKind::fit, t.r_squared, 0.02);
  add("Durbin-Watson", "fit", TargetKind::fit, t.durbin_watson, 0.25);
  for (int v = 0; v < 4; ++v) {
    if (!t.log_moments[static_cast<std::size_t>(v)]) continue;
    const LogMomentTargets& m = *t.log_moments[static_cast<std::size_t>(v)];
    const std::string series = std::string(" ln ") + kSeriesLetters[v];
    add("mean" + series, "log_levels", TargetKind::log_level, m.mean, 0.1, v);
    add("median" + series, "log_levels", TargetKind::log_level, m.median, 0.1, v);
    add("sd" + series, "log_spreads", TargetKind::log_spread, m.sd, relative_scale(m.sd, 0.1, 0.01), v);
    add("min" + series, "log_levels", TargetKind::log_level, m.min, 0.1, v);
  }
  if (t.correlations) {
    add("corr K,L", "correlations", TargetKind::correlation, t.correlations->capital_labour, 0.1);
    add("corr K,A", "correlations", TargetKind::correlation, t.correlations->capital_technology, 0.1);
    add("corr L,A", "correlations", TargetKind::correlation, t.correlations->labour_technology, 0.1);
  }
  if (t.projection) {
    const ProjectionTargets& p = *t.projection;
    for (std::size_t i = 0; i < p.years.size(); ++i) {
      add("output " + std::to_string(p.years[i]), "projection", TargetKind::projection, p.output[i],
          relative_scale(p.output[i], 0.05, 1e-9), 0);
    }
    for (std::size_t i = 0; i < p.years.size(); ++i) {
      add("employment " + std::to_string(p.years[i]), "projection", TargetKind::projection,
          p.accumulated_employment[i], relative_scale(p.accumulated_employment[i], 0.05, 1e-9), 2);
    }
  }
  return out;
}

bool is_group(const std::string& name) {
  return std::find(std::begin(kGroups), std::end(kGroups), name) != std::end(kGroups);
}

// The statistics of one run in target order (raw model units for log levels); throws std::runtime_error
// with the reason when one is undefined.
std::vector<double> run_statistics(const RunResult& run, const CalibrationTargets& published,
                                   const std::vector<TargetSpec>& targets, int replicate) {
  const std::string label = "replicate " + std::to_string(replicate);
  const SolowData annual = solow_data_from_run(run, "convergence", label);
  const SolowData sample = select_years(annual, published.first_year, published.last_year);
  const std::size_t expected = static_cast<std::size_t>(published.last_year - published.first_year + 1);
  if (sample.years.size() != expected) {
    throw std::runtime_error("the run covers " + std::to_string(sample.years.size()) + " of the " +
                             std::to_string(expected) + " sample years");
  }
  const SolowReport report = estimate_solow(sample);
  const OlsResult& ols = report.regression;

  // Table 3 scaled to the study's units at the first projection year.
  std::vector<double> output_path, employment_path;
  if (published.projection) {
    const ProjectionTargets& p = *published.projection;
    auto annual_value = [&](const SolowSeries& series, int year) {
      for (std::size_t i = 0; i < annual.years.size(); ++i) {
        if (annual.years[i] == year) return series.values[i];
      }
      throw std::runtime_error("the run does not reach " + std::to_string(year));
    };
    // Output: scaled so that the first projection year equals its published value. Employment: the
    // change in convergence employment since the year before, in persons; score() scales it.
    const int anchor = p.years.front();
    const double output_anchor = annual_value(annual.output, anchor);
    const double employment_base = annual_value(annual.labour, anchor - 1);
    if (!(output_anchor > 0)) throw std::runtime_error("convergence output is 0 in " + std::to_string(anchor));
    for (const int year : p.years) {
      output_path.push_back(annual_value(annual.output, year) / output_anchor * p.output.front());
      employment_path.push_back(annual_value(annual.labour, year) - employment_base);
    }
  }

  std::vector<double> values;
  values.reserve(targets.size());
  std::size_t output_index = 0, employment_index = 0;
  for (const TargetSpec& target : targets) {
    double value = kNaN;
    switch (target.kind) {
      case TargetKind::coefficient:
        value = ols.coefficients[target.name == "b_K" ? 1 : target.name == "b_L" ? 2 : 3];
        break;
      case TargetKind::fit:
        value = target.name == "R-squared" ? ols.r_squared : ols.durbin_watson;
        break;
      case TargetKind::log_level: {
        const LogSeriesSummary& s = report.log_summaries[static_cast<std::size_t>(target.variable)];
        value = target.name.rfind("mean", 0) == 0 ? s.mean : target.name.rfind("median", 0) == 0 ? s.median : s.minimum;
        break;
      }
      case TargetKind::log_spread:
        value = report.log_summaries[static_cast<std::size_t>(target.variable)].standard_deviation;
        break;
      case TargetKind::correlation:
        value = target.name == "corr K,L"   ? report.correlations.capital_labour
                : target.name == "corr K,A" ? report.correlations.capital_technology
                                            : report.correlations.labour_technology;
        break;
      case TargetKind::projection:
        value = target.variable == 0 ? output_path.at(output_index++) : employment_path.at(employment_index++);
        break;
    }
    if (!std::isfinite(value)) throw std::runtime_error(target.name + " is undefined");
    values.push_back(value);
  }
  return values;
}

// Parameter values <-> the unit cube the optimisers search.
double to_unit(const FreeParameter& p, double value) {
  if (p.log_scale) return (std::log(value) - std::log(p.lower)) / (std::log(p.upper) - std::log(p.lower));
  return (value - p.lower) / (p.upper - p.lower);
}

double from_unit(const FreeParameter& p, double u) {
  u = std::clamp(u, 0.0, 1.0);
  if (p.log_scale) return std::exp(std::log(p.lower) + u * (std::log(p.upper) - std::log(p.lower)));
  return p.lower + u * (p.upper - p.lower);
}

nlopt::algorithm parse_algorithm(const std::string& name, const std::string& file, const std::string& key,
                                 bool global) {
  const nlopt_algorithm a = nlopt_algorithm_from_string(name.c_str());
  if (static_cast<int>(a) < 0 || a >= NLOPT_NUM_ALGORITHMS) {
    throw InputError(file, 0, key, "unknown NLopt algorithm '" + name + "'; expected e.g. " +
                                       (global ? "GN_DIRECT_L, GN_CRS2_LM or none" : "LN_SBPLX, LN_NELDERMEAD or LN_BOBYQA"));
  }
  const bool derivative_free = name.size() > 1 && name[1] == 'N';
  const bool is_global = name[0] == 'G';
  if (!derivative_free || is_global != global) {
    throw InputError(file, 0, key, "'" + name + "' is not a derivative-free " + (global ? "global" : "local") +
                                       " algorithm; expected " + (global ? "GN_..." : "LN_..."));
  }
  return static_cast<nlopt::algorithm>(a);
}

}  // namespace

//---- targets ----

CalibrationTargets load_calibration_targets(const std::filesystem::path& path) {
  const YamlReader in(path);
  CalibrationTargets t;
  t.source = path.string();
  const YAML::Node regression = in.required(in.root(), "solow_regression", "", "the published Solow regression");
  const YAML::Node years = in.required(regression, "years", "solow_regression", "[first year, last year]");
  const std::vector<double> range = in.numbers(years, "solow_regression.years");
  if (range.size() != 2 || range[0] != std::floor(range[0]) || range[1] != std::floor(range[1]) || range[0] > range[1]) {
    in.fail(years, "solow_regression.years", "expected [first year, last year] with whole years, first <= last");
  }
  t.first_year = static_cast<int>(range[0]);
  t.last_year = static_cast<int>(range[1]);
  if (const YAML::Node n = regression["observations"]) {
    const int observations = in.integer(n, "solow_regression.observations");
    if (observations != t.last_year - t.first_year + 1) {
      in.fail(n, "solow_regression.observations",
              "found " + std::to_string(observations) + ", but the years " + std::to_string(t.first_year) + "-" +
                  std::to_string(t.last_year) + " hold " + std::to_string(t.last_year - t.first_year + 1));
    }
  }
  const YAML::Node coefficients = in.required(regression, "coefficients", "solow_regression", "{K, L, A}");
  t.b_capital = in.number(in.required(coefficients, "K", "solow_regression.coefficients", "b_K"), "solow_regression.coefficients.K");
  t.b_labour = in.number(in.required(coefficients, "L", "solow_regression.coefficients", "b_L"), "solow_regression.coefficients.L");
  t.b_technology = in.number(in.required(coefficients, "A", "solow_regression.coefficients", "b_A"), "solow_regression.coefficients.A");
  t.r_squared = in.number(in.required(regression, "r_squared", "solow_regression", "R²"), "solow_regression.r_squared");
  t.durbin_watson = in.number(in.required(regression, "durbin_watson", "solow_regression", "the Durbin-Watson statistic"),
                              "solow_regression.durbin_watson");

  if (const YAML::Node moments = in.root()["descriptive_statistics_logs"]) {
    in.only_keys(moments, "descriptive_statistics_logs", {"Y", "K", "L", "A"});
    for (int v = 0; v < 4; ++v) {
      const YAML::Node m = moments[kSeriesLetters[v]];
      if (!m) continue;
      const std::string key = std::string("descriptive_statistics_logs.") + kSeriesLetters[v];
      in.only_keys(m, key, {"mean", "median", "sd", "min", "max"});
      LogMomentTargets target;
      target.mean = in.number(in.required(m, "mean", key, "the mean of the log"), key + ".mean");
      target.median = in.number(in.required(m, "median", key, "the median of the log"), key + ".median");
      target.sd = in.number(in.required(m, "sd", key, "the standard deviation of the log"), key + ".sd");
      target.min = in.number(in.required(m, "min", key, "the minimum of the log"), key + ".min");
      if (target.sd <= 0) in.fail(m["sd"], key + ".sd", "found " + format_number(target.sd) + ", expected a value > 0");
      if (target.min > target.mean || target.min > target.median) {
        in.fail(m["min"], key + ".min", "the minimum " + format_number(target.min) + " exceeds the mean or median");
      }
      t.log_moments[static_cast<std::size_t>(v)] = target;
    }
  }
  if (const YAML::Node c = in.root()["correlations"]) {
    RegressorCorrelations r;
    r.capital_labour = in.number(in.required(c, "K_L", "correlations", "corr(ln K, ln L)"), "correlations.K_L");
    r.capital_technology = in.number(in.required(c, "K_A", "correlations", "corr(ln K, ln A)"), "correlations.K_A");
    r.labour_technology = in.number(in.required(c, "L_A", "correlations", "corr(ln L, ln A)"), "correlations.L_A");
    for (const char* name : {"K_L", "K_A", "L_A"}) {
      const double value = in.number(c[name], std::string("correlations.") + name);
      if (value < -1 || value > 1) in.fail(c[name], std::string("correlations.") + name, "expected a value in [-1, 1]");
    }
    t.correlations = r;
  }
  if (const YAML::Node p = in.root()["projection"]) {
    ProjectionTargets projection;
    const YAML::Node years_node = in.required(p, "years", "projection", "a list of years");
    for (const double year : in.numbers(years_node, "projection.years")) {
      if (year != std::floor(year)) in.fail(years_node, "projection.years", "expected whole years");
      projection.years.push_back(static_cast<int>(year));
    }
    if (projection.years.size() < 2) in.fail(years_node, "projection.years", "expected at least two years");
    for (std::size_t i = 1; i < projection.years.size(); ++i) {
      if (projection.years[i] != projection.years[i - 1] + 1) {
        in.fail(years_node, "projection.years", "expected consecutive years, found " +
                                                     std::to_string(projection.years[i - 1]) + " then " +
                                                     std::to_string(projection.years[i]));
      }
    }
    const YAML::Node output = in.required(p, "output_100m_krw", "projection", "the projected output per year");
    const YAML::Node employment =
        in.required(p, "accumulated_employment_10k", "projection", "the accumulated employment effect per year");
    projection.output = in.numbers(output, "projection.output_100m_krw");
    projection.accumulated_employment = in.numbers(employment, "projection.accumulated_employment_10k");
    for (const auto& [node, values, key] :
         {std::tuple{output, &projection.output, "projection.output_100m_krw"},
          std::tuple{employment, &projection.accumulated_employment, "projection.accumulated_employment_10k"}}) {
      if (values->size() != projection.years.size()) {
        in.fail(node, key, "has " + std::to_string(values->size()) + " values but projection.years has " +
                               std::to_string(projection.years.size()));
      }
      if (values->front() <= 0) in.fail(node, key, "the first value must be > 0 (the scale anchor)");
    }
    t.projection = projection;
  }
  return t;
}

//---- settings ----

CalibrationSettings load_calibration_settings(const std::filesystem::path& path) {
  const YamlReader in(path);
  CalibrationSettings s;
  s.source = path.string();
  in.only_keys(in.root(), "", {"calibration", "free", "weights"});
  if (const YAML::Node c = in.root()["calibration"]) {
    in.only_keys(c, "calibration", {"budget", "replicates", "report_replicates", "set", "optimizer"});
    if (c["budget"]) s.budget = in.integer(c["budget"], "calibration.budget");
    if (c["replicates"]) s.replicates = in.integer(c["replicates"], "calibration.replicates");
    if (c["report_replicates"]) s.report_replicates = in.integer(c["report_replicates"], "calibration.report_replicates");
    if (s.budget < 1) in.fail(c["budget"], "calibration.budget", "expected at least 1 evaluation");
    if (s.replicates < 1) in.fail(c["replicates"], "calibration.replicates", "expected at least 1 replicate");
    if (s.report_replicates < 1) in.fail(c["report_replicates"], "calibration.report_replicates", "expected at least 1");
    if (const YAML::Node set = c["set"]) {
      if (!set.IsSequence()) in.fail(set, "calibration.set", "expected a list of \"key=value\" overrides");
      for (std::size_t i = 0; i < set.size(); ++i) {
        const std::string text = in.text(set[i], "calibration.set");
        if (text.find('=') == std::string::npos) in.fail(set[i], "calibration.set", "found '" + text + "', expected key=value");
        s.overrides.push_back(text);
      }
    }
    if (const YAML::Node o = c["optimizer"]) {
      in.only_keys(o, "calibration.optimizer", {"global", "global_share", "local", "initial_step", "tolerance"});
      if (o["global"]) s.optimizer.global_algorithm = in.text(o["global"], "calibration.optimizer.global");
      if (o["local"]) s.optimizer.local_algorithm = in.text(o["local"], "calibration.optimizer.local");
      if (o["global_share"]) s.optimizer.global_share = in.number(o["global_share"], "calibration.optimizer.global_share");
      if (o["initial_step"]) s.optimizer.initial_step = in.number(o["initial_step"], "calibration.optimizer.initial_step");
      if (o["tolerance"]) s.optimizer.relative_tolerance = in.number(o["tolerance"], "calibration.optimizer.tolerance");
      if (s.optimizer.global_algorithm != "none") {
        try {
          parse_algorithm(s.optimizer.global_algorithm, s.source, "calibration.optimizer.global", true);
        } catch (const InputError& e) {
          in.fail(o["global"], "calibration.optimizer.global", e.detail());
        }
      }
      try {
        parse_algorithm(s.optimizer.local_algorithm, s.source, "calibration.optimizer.local", false);
      } catch (const InputError& e) {
        in.fail(o["local"], "calibration.optimizer.local", e.detail());
      }
      if (!(s.optimizer.global_share >= 0 && s.optimizer.global_share <= 1)) {
        in.fail(o["global_share"], "calibration.optimizer.global_share", "expected a share in [0, 1]");
      }
      if (!(s.optimizer.initial_step > 0 && s.optimizer.initial_step <= 1)) {
        in.fail(o["initial_step"], "calibration.optimizer.initial_step", "expected a share in (0, 1]");
      }
      if (!(s.optimizer.relative_tolerance > 0)) {
        in.fail(o["tolerance"], "calibration.optimizer.tolerance", "expected a value > 0");
      }
    }
  }
  if (const YAML::Node free = in.root()["free"]) {
    if (!free.IsMap()) in.fail(free, "free", "expected a map of scenario keys to {lower, upper, start, scale}");
    for (const auto& item : free) {
      FreeParameter p;
      p.name = item.first.Scalar();
      const std::string key = "free." + p.name;
      p.where = SourceLocation{s.source, YamlReader::line_of(item.first)};
      const YAML::Node spec = item.second;
      in.only_keys(spec, key, {"lower", "upper", "start", "scale", "keys", "mode"});
      p.lower = in.number(in.required(spec, "lower", key, "the lower bound"), key + ".lower");
      p.upper = in.number(in.required(spec, "upper", key, "the upper bound"), key + ".upper");
      if (!(p.lower < p.upper)) in.fail(spec, key, "lower " + format_number(p.lower) + " is not below upper " + format_number(p.upper));
      if (spec["scale"]) {
        const std::string scale = in.text(spec["scale"], key + ".scale");
        if (scale != "linear" && scale != "log") in.fail(spec["scale"], key + ".scale", "found '" + scale + "', expected linear or log");
        p.log_scale = scale == "log";
        if (p.log_scale && p.lower <= 0) in.fail(spec["lower"], key + ".lower", "a log-scale parameter needs lower > 0");
      }
      if (spec["mode"]) {
        const std::string mode = in.text(spec["mode"], key + ".mode");
        if (mode != "set" && mode != "multiply") in.fail(spec["mode"], key + ".mode", "found '" + mode + "', expected set or multiply");
        p.multiply = mode == "multiply";
      }
      if (const YAML::Node keys = spec["keys"]) {
        if (keys.IsScalar()) {
          p.keys.push_back(keys.Scalar());
        } else if (keys.IsSequence() && keys.size() > 0) {
          for (std::size_t i = 0; i < keys.size(); ++i) p.keys.push_back(in.text(keys[i], key + ".keys"));
        } else {
          in.fail(keys, key + ".keys", "found " + YamlReader::describe(keys) + ", expected a list of scenario keys");
        }
      } else {
        p.keys.push_back(p.name);
      }
      if (spec["start"]) {
        p.start = in.number(spec["start"], key + ".start");
        if (*p.start < p.lower || *p.start > p.upper) {
          in.fail(spec["start"], key + ".start", "found " + format_number(*p.start) + ", expected a value within [" +
                                                     format_number(p.lower) + ", " + format_number(p.upper) + "]");
        }
      }
      for (const FreeParameter& other : s.free) {
        if (other.name == p.name) in.fail(item.first, key, "declared twice (first on line " + std::to_string(other.where.line) + ")");
      }
      s.free.push_back(p);
    }
  }
  if (const YAML::Node weights = in.root()["weights"]) {
    if (!weights.IsMap()) in.fail(weights, "weights", "expected a map of target groups or names to weights");
    for (const auto& item : weights) {
      const std::string name = item.first.Scalar();
      const double w = in.number(item.second, "weights." + name);
      if (w < 0) in.fail(item.second, "weights." + name, "found " + format_number(w) + ", expected a weight >= 0");
      (is_group(name) ? s.group_weights : s.target_weights)[name] = w;
    }
  }
  return s;
}

//---- the problem ----

CalibrationProblem::CalibrationProblem(ScenarioDocument document, CalibrationTargets targets, CalibrationSettings settings)
    : document_(std::move(document)), published_(std::move(targets)), settings_(std::move(settings)) {
  targets_ = build_targets(published_);
  for (TargetSpec& target : targets_) {
    if (const auto g = settings_.group_weights.find(target.group); g != settings_.group_weights.end()) target.weight = g->second;
    if (const auto n = settings_.target_weights.find(target.name); n != settings_.target_weights.end()) target.weight = n->second;
  }
  // The first projection year anchors the output scale: matched by construction, so it carries no weight.
  if (published_.projection) {
    const std::string anchor = "output " + std::to_string(published_.projection->years.front());
    for (TargetSpec& target : targets_) {
      if (target.name == anchor) target.weight = 0;
    }
  }
  for (const auto& [name, weight] : settings_.target_weights) {
    const bool known = std::any_of(targets_.begin(), targets_.end(), [&](const TargetSpec& t) { return t.name == name; });
    if (!known) {
      std::string list;
      for (const char* g : kGroups) list += std::string(list.empty() ? "" : ", ") + g;
      throw InputError(settings_.source, 0, "weights." + name,
                       "'" + name + "' is neither a target group (" + list + ") nor a target name (e.g. b_L, sd ln K, "
                       "corr K,L, output 2016)");
    }
  }

  // Calibration-only overrides (e.g. a smaller economy), then the time span the targets need.
  for (const std::string& assignment : settings_.overrides) document_.apply_override(assignment);
  const Scenario base = build_scenario(document_);
  if (base.time.start_year > published_.first_year) {
    const SourceLocation at = document_.location_of("time.start_year");
    throw InputError(at.file, at.line, "time.start_year",
                     "the scenario starts in " + std::to_string(base.time.start_year) + " but the regression sample of " +
                         published_.source + " starts in " + std::to_string(published_.first_year));
  }
  int last_needed = published_.last_year;
  if (published_.projection) last_needed = std::max(last_needed, published_.projection->years.back());
  if (published_.projection && published_.projection->years.front() - 1 < base.time.start_year) {
    throw InputError(published_.source, 0, "projection.years",
                     "the employment effect is counted from the year before " +
                         std::to_string(published_.projection->years.front()) + ", before the scenario starts");
  }
  if (base.time.end_year < last_needed) {
    document_.erase_subtree("time.end_year");
    document_.set("time.end_year", YAML::Node(std::to_string(last_needed)), SourceLocation{"<calibration>", 0});
  }

  for (const FreeParameter& p : settings_.free) {
    std::vector<std::pair<std::string, double>> binding;
    for (const std::string& pattern : p.keys) {
      const std::vector<std::string> keys = expand_key(document_, pattern);
      if (keys.empty()) {
        throw InputError(p.where.file, p.where.line, "free." + p.name, "'" + pattern + "' matches no key of the scenario");
      }
      for (const std::string& key : keys) {
        const ParameterDoc* doc = schema_entry(key);
        if (doc == nullptr || doc->type != "real") {
          throw InputError(p.where.file, p.where.line, "free." + p.name,
                           doc == nullptr ? "'" + key + "' is not a scenario key (see docs/scenarios.md)"
                                          : "'" + key + "' is a " + doc->type + ", not a real number the optimiser can move");
        }
        for (const auto& earlier : bindings_) {
          for (const auto& [other, value] : earlier) {
            if (other == key) throw InputError(p.where.file, p.where.line, "free." + p.name, "'" + key + "' is set by two free parameters");
          }
        }
        double value = kNaN;
        if (const DocumentEntry* e = document_.find(key); e != nullptr && e->value.IsScalar()) {
          value = std::strtod(e->value.Scalar().c_str(), nullptr);
        } else {
          value = std::strtod(doc->default_value.c_str(), nullptr);
        }
        if (p.multiply && !std::isfinite(value)) {
          throw InputError(p.where.file, p.where.line, "free." + p.name, "'" + key + "' has no value in the scenario to multiply");
        }
        binding.emplace_back(key, value);
      }
    }
    double start = p.start.value_or(kNaN);
    if (!p.start) start = p.multiply ? 1.0 : binding.front().second;
    if (!std::isfinite(start)) start = p.log_scale ? std::sqrt(p.lower * p.upper) : 0.5 * (p.lower + p.upper);
    start_.push_back(std::clamp(start, p.lower, p.upper));
    bindings_.push_back(std::move(binding));
  }
  // Fail now, not inside the optimiser, when the starting point does not make a valid scenario.
  (void)scenario_at(start_, 0);
}

std::vector<std::pair<std::string, double>> CalibrationProblem::scenario_values(const std::vector<double>& values) const {
  std::vector<std::pair<std::string, double>> out;
  for (std::size_t k = 0; k < settings_.free.size(); ++k) {
    for (const auto& [key, base] : bindings_[k]) {
      out.emplace_back(key, settings_.free[k].multiply ? values.at(k) * base : values.at(k));
    }
  }
  return out;
}

Scenario CalibrationProblem::scenario_at(const std::vector<double>& values, int replicate) const {
  // Copies of a ScenarioDocument share their YAML nodes, and set() on an existing key rebinds the
  // shared node (yaml-cpp assignment). So each key is erased from the copy and added afresh, which
  // never touches document_, and documents are built one at a time (replicates call this from
  // several threads; building is microseconds against a run's tenths of a second).
  static std::mutex building;
  const std::lock_guard lock(building);
  ScenarioDocument doc = document_;
  for (const auto& [key, value] : scenario_values(values)) {
    doc.erase_subtree(key);
    doc.set(key, YAML::Node(format_number(value, "%.17g")), SourceLocation{settings_.source, 0});
  }
  Scenario scenario = build_scenario(doc);
  // Replicate r runs with seed + r: every evaluation sees the same draws (common random numbers).
  scenario.seed += static_cast<std::uint64_t>(replicate);
  return scenario;
}

Evaluation CalibrationProblem::evaluate(const std::vector<double>& values, int replicates) const {
  std::vector<RunResult> runs(static_cast<std::size_t>(replicates));
  std::vector<std::string> errors(runs.size());
  // Each replicate is deterministic in its own seed, so running them in parallel (and letting each
  // run parallelise over firms) gives the same numbers on any thread count.
  tbb::parallel_for(0, replicates, [&](int r) {
    try {
      models::RunOptions options;
      options.firm_snapshots = false;
      runs[static_cast<std::size_t>(r)] = models::simulate(scenario_at(values, r), options);
    } catch (const std::exception& e) {
      errors[static_cast<std::size_t>(r)] = e.what();
    }
  });
  Evaluation evaluation = score(values, runs);
  for (std::size_t r = 0; r < errors.size(); ++r) {
    if (!errors[r].empty() && evaluation.failure.empty()) evaluation.failure = "replicate " + std::to_string(r) + ": " + errors[r];
  }
  return evaluation;
}

Evaluation CalibrationProblem::score(const std::vector<double>& values, const std::vector<RunResult>& runs) const {
  const std::size_t n = targets_.size();
  Evaluation e;
  e.parameters = values;
  e.replicates = static_cast<int>(runs.size());
  e.values.assign(runs.size(), std::vector<double>(n, kNaN));
  std::vector<bool> valid(runs.size(), false);
  for (std::size_t r = 0; r < runs.size(); ++r) {
    if (runs[r].time.empty()) {
      if (e.failure.empty()) e.failure = "replicate " + std::to_string(r) + " did not run";
      continue;
    }
    try {
      e.values[r] = run_statistics(runs[r], published_, targets_, static_cast<int>(r));
      valid[r] = true;
      ++e.valid_replicates;
    } catch (const std::exception& error) {
      if (e.failure.empty()) e.failure = "replicate " + std::to_string(r) + ": " + error.what();
    }
  }
  e.mean.assign(n, kNaN);
  e.sd.assign(n, kNaN);
  e.raw_mean.assign(n, kNaN);
  if (e.valid_replicates == 0) {
    e.loss = kFailedLoss;
    return e;
  }
  for (std::size_t i = 0; i < n; ++i) {
    double sum = 0;
    for (std::size_t r = 0; r < runs.size(); ++r) sum += valid[r] ? e.values[r][i] : 0.0;
    const double mean = sum / e.valid_replicates;
    double squares = 0;
    for (std::size_t r = 0; r < runs.size(); ++r) squares += valid[r] ? (e.values[r][i] - mean) * (e.values[r][i] - mean) : 0.0;
    e.raw_mean[i] = mean;
    e.sd[i] = e.valid_replicates > 1 ? std::sqrt(squares / (e.valid_replicates - 1)) : 0.0;
  }

  // Units: the model counts 1e8 KRW and persons, the study's units are unknown, so each log series
  // gets the shift (a scale factor in levels) that best matches its published mean, median and min
  // in the weighted least-squares sense. Spreads, coefficients, fit and correlations do not depend on it.
  for (int v = 0; v < 4; ++v) {
    double numerator = 0, denominator = 0, mean_gap = kNaN;
    for (std::size_t i = 0; i < n; ++i) {
      const TargetSpec& t = targets_[i];
      if (t.kind != TargetKind::log_level || t.variable != v) continue;
      const double precision = t.weight / (t.scale * t.scale);
      numerator += precision * (t.published - e.raw_mean[i]);
      denominator += precision;
      if (t.name.rfind("mean", 0) == 0) mean_gap = t.published - e.raw_mean[i];
    }
    e.log_shift[static_cast<std::size_t>(v)] = denominator > 0 ? numerator / denominator : std::isfinite(mean_gap) ? mean_gap : 0.0;
  }
  // Accumulated employment: persons of convergence employment gained since the year before the
  // projection, times one factor (persons -> the study's 10,000 people) that best fits the published
  // path in relative least squares. One year's change alone would be too noisy an anchor.
  double numerator = 0, denominator = 0;
  bool has_employment = false;
  for (std::size_t i = 0; i < n; ++i) {
    const TargetSpec& t = targets_[i];
    if (t.kind != TargetKind::projection || t.variable != 2) continue;
    const double ratio = e.raw_mean[i] / t.published;
    numerator += ratio;
    denominator += ratio * ratio;
    has_employment = true;
  }
  // A path that does not grow gets scale 0: every year then misses by 100 %.
  if (has_employment) e.employment_scale = denominator > 0 ? std::max(0.0, numerator / denominator) : 0.0;
  e.mean = e.raw_mean;
  for (std::size_t i = 0; i < n; ++i) {
    const TargetSpec& t = targets_[i];
    if (t.kind == TargetKind::log_level) {
      const double shift = e.log_shift[static_cast<std::size_t>(t.variable)];
      e.mean[i] += shift;
      for (std::size_t r = 0; r < runs.size(); ++r) e.values[r][i] += shift;
    } else if (t.kind == TargetKind::projection && t.variable == 2) {
      e.mean[i] *= e.employment_scale;
      e.sd[i] *= e.employment_scale;
      for (std::size_t r = 0; r < runs.size(); ++r) e.values[r][i] *= e.employment_scale;
    }
  }

  double loss = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double z = (e.mean[i] - targets_[i].published) / targets_[i].scale;
    loss += targets_[i].weight * z * z;
  }
  loss += kInvalidPenalty * static_cast<double>(e.replicates - e.valid_replicates) / std::max(1, e.replicates);
  e.loss = loss;
  return e;
}

//---- optimising ----

CalibrationResult calibrate(const CalibrationProblem& problem, const std::function<void(const EvaluationRecord&)>& on_evaluation) {
  const auto started = std::chrono::steady_clock::now();
  const CalibrationSettings& settings = problem.settings();
  const std::vector<FreeParameter>& free = settings.free;
  const std::size_t dimension = free.size();
  CalibrationResult result;

  auto values_of = [&](const std::vector<double>& unit) {
    std::vector<double> values(dimension);
    for (std::size_t k = 0; k < dimension; ++k) values[k] = from_unit(free[k], unit[k]);
    return values;
  };
  std::vector<double> best_unit(dimension);
  for (std::size_t k = 0; k < dimension; ++k) best_unit[k] = std::clamp(to_unit(free[k], problem.start()[k]), 0.0, 1.0);
  double best_loss = std::numeric_limits<double>::infinity();
  std::map<std::vector<double>, double> seen;  // NLopt may ask for a point twice
  std::string phase = "start";

  auto objective = [&](const std::vector<double>& unit) -> double {
    std::vector<double> clamped(unit);
    for (double& u : clamped) u = std::clamp(u, 0.0, 1.0);
    if (const auto hit = seen.find(clamped); hit != seen.end()) return hit->second;
    if (result.evaluations >= settings.budget) throw nlopt::forced_stop();
    const Evaluation e = problem.evaluate(values_of(clamped), settings.replicates);
    ++result.evaluations;
    result.model_runs += settings.replicates;
    seen.emplace(clamped, e.loss);
    if (result.evaluations == 1) result.at_start = e;
    if (e.loss < best_loss) {
      best_loss = e.loss;
      best_unit = clamped;
    }
    if (on_evaluation) {
      on_evaluation(EvaluationRecord{result.evaluations, settings.budget, phase, e.loss, best_loss, e.parameters});
    }
    return e.loss;
  };

  std::vector<std::string> phases;
  if (dimension > 0) {
    objective(best_unit);
    auto run_phase = [&](nlopt::algorithm algorithm, const std::string& name, int evaluations, double step) {
      if (evaluations <= 0) return;
      const int before = result.evaluations;
      nlopt::srand(kOptimizerSeed);
      nlopt::opt opt(algorithm, static_cast<unsigned>(dimension));
      opt.set_lower_bounds(std::vector<double>(dimension, 0.0));
      opt.set_upper_bounds(std::vector<double>(dimension, 1.0));
      opt.set_maxeval(evaluations);
      opt.set_min_objective(
          [](const std::vector<double>& x, std::vector<double>&, void* data) {
            return (*static_cast<decltype(objective)*>(data))(x);
          },
          &objective);
      if (step > 0) {
        opt.set_initial_step(std::vector<double>(dimension, step));
        opt.set_xtol_rel(settings.optimizer.relative_tolerance);
      }
      std::vector<double> x = best_unit;
      double value = 0;
      try {
        opt.optimize(x, value);
      } catch (const nlopt::forced_stop&) {
      } catch (const nlopt::roundoff_limited&) {
      }
      phases.push_back(name + " (" + std::to_string(result.evaluations - before) + ")");
    };
    const int budget = settings.budget - 1;
    int global = 0;
    if (settings.optimizer.global_algorithm != "none") {
      global = static_cast<int>(std::lround(settings.optimizer.global_share * budget));
      phase = "global";
      run_phase(parse_algorithm(settings.optimizer.global_algorithm, settings.source, "calibration.optimizer.global", true),
                settings.optimizer.global_algorithm, global, 0.0);
    }
    // Local phase from the best point; restarted with a smaller first step while budget remains and
    // the restart still improves (a simplex can stall on the noise of a simulated objective).
    phase = "local";
    const nlopt::algorithm local =
        parse_algorithm(settings.optimizer.local_algorithm, settings.source, "calibration.optimizer.local", false);
    double step = settings.optimizer.initial_step;
    for (int restart = 0; restart < 4; ++restart) {
      // A restart needs room for a simplex; the first local phase takes whatever budget is left.
      const int remaining = settings.budget - result.evaluations;
      if (remaining < (restart == 0 ? 1 : static_cast<int>(dimension) + 2)) break;
      const double before = best_loss;
      run_phase(local, settings.optimizer.local_algorithm, remaining, step);
      if (restart > 0 && !(best_loss < before - 1e-9 * std::abs(before))) break;
      step *= 0.5;
    }
  }
  result.algorithms.clear();
  for (const std::string& p : phases) result.algorithms += (result.algorithms.empty() ? "" : " + ") + p;
  if (result.algorithms.empty()) result.algorithms = dimension > 0 ? "none (budget of 1: the start only)" : "none (no free parameters)";

  const std::vector<double> best_values = values_of(best_unit);
  result.best_search_loss = dimension > 0 ? best_loss : kNaN;
  result.best = problem.evaluate(dimension > 0 ? best_values : std::vector<double>{}, settings.report_replicates);
  result.model_runs += settings.report_replicates;
  if (dimension == 0) result.at_start = result.best;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

//---- reporting ----

namespace {

std::string cell(double value) {
  if (!std::isfinite(value)) return "n/a";
  const double a = std::abs(value);
  if (a != 0 && (a >= 1e5 || a < 1e-3)) return format_number(value, "%.3e");
  if (a >= 100) return format_number(value, "%.1f");
  return format_number(value, "%.3f");
}

bool in_band(double published, double mean, double sd) {
  return std::isfinite(mean) && std::abs(published - mean) <= kBandHalfWidth * sd + 1e-9 * std::max(1.0, std::abs(published));
}

}  // namespace

std::string calibration_report(const CalibrationProblem& problem, const Evaluation& e) {
  std::ostringstream out;
  const auto& targets = problem.targets();
  out << "Loss " << format_number(e.loss, "%.4g") << " over " << e.valid_replicates << " of " << e.replicates
      << " replicates (95 % band: mean ± 1.96 sd over replicates).\n";
  if (!e.failure.empty()) out << "Invalid runs: " << e.failure << "\n";
  if (!problem.settings().free.empty()) {
    out << "\n| parameter | value | lower | upper |\n|---|---|---|---|\n";
    for (std::size_t k = 0; k < problem.settings().free.size(); ++k) {
      const FreeParameter& p = problem.settings().free[k];
      out << "| " << p.name << (p.multiply ? " (multiplier)" : "") << " | " << format_number(e.parameters.at(k)) << " | " << format_number(p.lower) << " | "
          << format_number(p.upper) << " |\n";
    }
  }
  bool any_level = false;
  for (const TargetSpec& t : targets) any_level = any_level || t.kind == TargetKind::log_level;
  if (any_level) {
    out << "\nUnits shift of the log levels (study units = model units × factor):";
    for (int v = 0; v < 4; ++v) {
      out << (v ? "," : "") << " ln " << kSeriesLetters[v] << " " << format_number(e.log_shift[static_cast<std::size_t>(v)], "%+.3f")
          << " (×" << format_number(std::exp(e.log_shift[static_cast<std::size_t>(v)]), "%.4g") << ")";
    }
    out << "\n";
  }
  if (std::isfinite(e.employment_scale)) {
    out << "Accumulated employment scale: 1 person of convergence employment gained = "
        << format_number(e.employment_scale, "%.4g") << " of the study's 10,000 people.\n";
  }
  out << "\n| target | published | simulated mean | sd | 95 % band | in band | weight | loss |\n"
      << "|---|---|---|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const TargetSpec& t = targets[i];
    const double z = (e.mean[i] - t.published) / t.scale;
    out << "| " << t.name << " | " << cell(t.published) << " | " << cell(e.mean[i]) << " | " << cell(e.sd[i]) << " | ["
        << cell(e.mean[i] - kBandHalfWidth * e.sd[i]) << ", " << cell(e.mean[i] + kBandHalfWidth * e.sd[i]) << "] | "
        << (in_band(t.published, e.mean[i], e.sd[i]) ? "yes" : "no") << " | " << format_number(t.weight, "%.3g") << " | "
        << (std::isfinite(z) ? format_number(t.weight * z * z, "%.3g") : "n/a") << " |\n";
  }
  return out.str();
}

std::string projection_table(const CalibrationProblem& problem, const Evaluation& e, double tolerance) {
  const auto& published = problem.published();
  if (!published.projection) return "";
  const ProjectionTargets& p = *published.projection;
  const auto& targets = problem.targets();
  auto index_of = [&](const std::string& name) {
    for (std::size_t i = 0; i < targets.size(); ++i) {
      if (targets[i].name == name) return i;
    }
    return targets.size();
  };
  std::ostringstream out;
  out << "| year | output, Table 3 | output, simulated | error | employment, Table 3 | employment, simulated | error |\n"
      << "|---|---|---|---|---|---|---|\n";
  bool all_within = true;
  for (std::size_t y = 0; y < p.years.size(); ++y) {
    const std::string year = std::to_string(p.years[y]);
    const std::size_t oi = index_of("output " + year), ei = index_of("employment " + year);
    const double output = oi < targets.size() ? e.mean[oi] : kNaN;
    const double employment = ei < targets.size() ? e.mean[ei] : kNaN;
    const double output_error = output / p.output[y] - 1.0;
    const double employment_error = employment / p.accumulated_employment[y] - 1.0;
    all_within = all_within && std::abs(output_error) <= tolerance && std::abs(employment_error) <= tolerance;
    out << "| " << year << " | " << format_number(p.output[y], "%.0f") << " | " << format_number(output, "%.0f") << " | "
        << format_number(100 * output_error, "%+.1f") << " % | " << format_number(p.accumulated_employment[y], "%.0f") << " | "
        << format_number(employment, "%.0f") << " | " << format_number(100 * employment_error, "%+.1f") << " % |\n";
  }
  out << "\nOutput: 100 million KRW, scaled so that " << p.years.front() << " = " << format_number(p.output.front(), "%.0f")
      << ". Employment: change in convergence employment since " << p.years.front() - 1
      << ", 10,000 people, scaled by the factor that best fits the published path (relative least squares).\n"
      << "Every year within " << format_number(100 * tolerance, "%.0f") << " %: " << (all_within ? "yes" : "no")
      << " (worst " << format_number(100 * worst_projection_error(problem, e), "%.1f") << " %).\n";
  return out.str();
}

double worst_projection_error(const CalibrationProblem& problem, const Evaluation& e) {
  if (!problem.published().projection) return kNaN;
  double worst = 0;
  const auto& targets = problem.targets();
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (targets[i].kind != TargetKind::projection) continue;
    const double error = std::abs(e.mean[i] / targets[i].published - 1.0);
    worst = std::isfinite(error) ? std::max(worst, error) : std::numeric_limits<double>::infinity();
  }
  return worst;
}

std::string calibrated_parameters_yaml(const CalibrationProblem& problem, const std::vector<double>& values,
                                       const std::vector<std::string>& header) {
  std::ostringstream out;
  for (const std::string& line : header) out << "# " << line << "\n";
  // Nested YAML from dotted keys, each map in order of first appearance.
  struct Node {
    std::string name;
    std::string value;
    std::vector<Node> children;
  };
  Node root;
  for (const auto& [key, value] : problem.scenario_values(values)) {
    Node* node = &root;
    std::stringstream parts(key);
    std::string part;
    while (std::getline(parts, part, '.')) {
      auto child = std::find_if(node->children.begin(), node->children.end(), [&](const Node& c) { return c.name == part; });
      if (child == node->children.end()) {
        node->children.push_back(Node{part, "", {}});
        child = std::prev(node->children.end());
      }
      node = &*child;
    }
    node->value = format_number(value, "%.6g");
  }
  const std::function<void(const Node&, int)> write = [&](const Node& node, int depth) {
    for (const Node& child : node.children) {
      out << std::string(static_cast<std::size_t>(2 * depth), ' ') << child.name << ":";
      if (child.children.empty()) {
        out << " " << child.value << "\n";
      } else {
        out << "\n";
        write(child, depth + 1);
      }
    }
  };
  write(root, 0);
  return out.str();
}

CalibrationTargets synthetic_targets(const CalibrationProblem& problem, const Evaluation& e) {
  CalibrationTargets t = problem.published();
  t.source = "<synthetic>";
  const auto& targets = problem.targets();
  auto value = [&](const std::string& name) {
    for (std::size_t i = 0; i < targets.size(); ++i) {
      if (targets[i].name == name) return e.raw_mean[i];
    }
    return kNaN;
  };
  t.b_capital = value("b_K");
  t.b_labour = value("b_L");
  t.b_technology = value("b_A");
  t.r_squared = value("R-squared");
  t.durbin_watson = value("Durbin-Watson");
  for (int v = 0; v < 4; ++v) {
    auto& m = t.log_moments[static_cast<std::size_t>(v)];
    if (!m) continue;
    const std::string series = std::string(" ln ") + kSeriesLetters[v];
    m->mean = value("mean" + series);
    m->median = value("median" + series);
    m->sd = value("sd" + series);
    m->min = value("min" + series);
  }
  if (t.correlations) {
    t.correlations->capital_labour = value("corr K,L");
    t.correlations->capital_technology = value("corr K,A");
    t.correlations->labour_technology = value("corr L,A");
  }
  if (t.projection) {
    for (std::size_t y = 0; y < t.projection->years.size(); ++y) {
      const std::string year = std::to_string(t.projection->years[y]);
      t.projection->output[y] = value("output " + year);
      t.projection->accumulated_employment[y] = value("employment " + year);
    }
  }
  return t;
}

}  // namespace convsim::analysis
