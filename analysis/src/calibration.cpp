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

#include <Eigen/Dense>
#include <boost/math/distributions/chi_squared.hpp>
#include <nlopt.hpp>
#include <tbb/parallel_for.h>
#include <yaml-cpp/yaml.h>

#include "convsim/errors.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/rng.hpp"

namespace convsim::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();
// Loss of an evaluation in which no replicate produced defined statistics.
constexpr double kFailedLoss = 1.0e6;
// Loss added per unit share of replicates whose statistics are undefined.
constexpr double kInvalidPenalty = 1.0e3;
// Half-width of the 95 % band in standard deviations (normal approximation over replicates).
constexpr double kBandHalfWidth = 1.96;
// Seed of NLopt's own generator (stochastic global algorithms), fixed for determinism.
constexpr unsigned long kOptimizerSeed = 20140401;
// Seed of the parameter draws (Philox, counter-based: the draws depend on nothing else).
constexpr std::uint64_t kDrawSeed = 20140401;
// The chi²(1) 95 % quantile: a profile rising by less over a parameter's whole range cannot reject
// any value in it.
constexpr double kChiSquare1Quantile95 = 3.841458820694124;
// Standard error (share of the range, unit cube) above which a parameter counts as weakly identified:
// its 95 % interval would be wider than the whole range.
constexpr double kWeakStandardError = 0.255;
// Singular values of V^-1/2 G below this share of the largest mark near-null directions.
constexpr double kNullDirection = 1e-6;
// Variance floor of a moment, relative: (kVarianceFloor * max(|p|, 0.01))².
constexpr double kVarianceFloor = 1e-3;

const char* const kSeriesLetters[4] = {"Y", "K", "L", "A"};
const char* const kGroups[] = {"coefficients", "fit", "log_shapes", "log_spreads", "correlations", "external", "projection"};

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

std::vector<TargetSpec> build_targets(const CalibrationTargets& t) {
  std::vector<TargetSpec> out;
  auto add = [&](std::string name, std::string group, TargetKind kind, double published, int variable = -1,
                 double measurement_sd = 0, bool fitted = true) {
    out.push_back(TargetSpec{std::move(name), std::move(group), kind, published, measurement_sd, 1.0, variable, fitted});
  };
  add("b_K", "coefficients", TargetKind::coefficient, t.b_capital);
  add("b_L", "coefficients", TargetKind::coefficient, t.b_labour);
  add("b_A", "coefficients", TargetKind::coefficient, t.b_technology);
  add("R-squared", "fit", TargetKind::fit, t.r_squared);
  add("Durbin-Watson", "fit", TargetKind::fit, t.durbin_watson);
  // Table 2: the study's units are not stated, so levels carry no information; what is left of the
  // mean, median and minimum of a log series is its shape (median - mean, min - mean), and its sd.
  for (int v = 0; v < 4; ++v) {
    if (!t.log_moments[static_cast<std::size_t>(v)]) continue;
    const LogMomentTargets& m = *t.log_moments[static_cast<std::size_t>(v)];
    const std::string series = std::string(" ln ") + kSeriesLetters[v];
    add("sd" + series, "log_spreads", TargetKind::log_spread, m.sd, v);
    add("median-mean" + series, "log_shapes", TargetKind::log_shape, m.median - m.mean, v);
    add("min-mean" + series, "log_shapes", TargetKind::log_shape, m.min - m.mean, v);
  }
  if (t.correlations) {
    add("corr K,L", "correlations", TargetKind::correlation, t.correlations->capital_labour);
    add("corr K,A", "correlations", TargetKind::correlation, t.correlations->capital_technology);
    add("corr L,A", "correlations", TargetKind::correlation, t.correlations->labour_technology);
  }
  for (std::size_t i = 0; i < t.external.size(); ++i) {
    add(t.external[i].name, "external", TargetKind::external, t.external[i].value, static_cast<int>(i),
        t.external[i].measurement_sd);
  }
  if (t.projection) {
    const ProjectionTargets& p = *t.projection;
    for (std::size_t i = 0; i < p.years.size(); ++i) {
      add("output " + std::to_string(p.years[i]), "projection", TargetKind::projection, p.output[i], 0, 0, false);
    }
    for (std::size_t i = 0; i < p.years.size(); ++i) {
      add("employment " + std::to_string(p.years[i]), "projection", TargetKind::projection, p.accumulated_employment[i], 2,
          0, false);
    }
  }
  return out;
}

bool is_group(const std::string& name) {
  return std::find(std::begin(kGroups), std::end(kGroups), name) != std::end(kGroups);
}

// Annual means of an aggregate series over the complete years of a run, by calendar year.
std::map<int, double> annual_aggregate(const RunResult& run, const std::string& name) {
  const Series* series = run.find_aggregate(name);
  if (series == nullptr) throw std::runtime_error("the run has no /aggregate/" + name);
  std::map<int, double> out;
  for (const YearSteps& year : complete_years(run.time, std::max(1, run.steps_per_year))) {
    double sum = 0;
    for (std::size_t s = year.begin; s < year.end; ++s) sum += series->values[s];
    out[year.year] = sum / static_cast<double>(year.end - year.begin);
  }
  return out;
}

double annual_value(const std::map<int, double>& annual, int year, const std::string& what) {
  const auto hit = annual.find(year);
  if (hit == annual.end()) throw std::runtime_error("the run does not cover " + std::to_string(year) + " (" + what + ")");
  return hit->second;
}

double external_statistic(const RunResult& run, const ExternalMoment& m) {
  switch (m.statistic) {
    case ExternalStatistic::output_growth_sd: {
      const auto output = annual_aggregate(run, "output");
      std::vector<double> growth;
      for (int year = m.first_year + 1; year <= m.last_year; ++year) {
        const double now = annual_value(output, year, m.name), before = annual_value(output, year - 1, m.name);
        if (!(now > 0 && before > 0)) throw std::runtime_error(m.name + ": aggregate output is not positive");
        growth.push_back(std::log(now / before));
      }
      if (growth.size() < 2) throw std::runtime_error(m.name + ": fewer than two growth rates");
      double mean = 0;
      for (const double g : growth) mean += g;
      mean /= static_cast<double>(growth.size());
      double squares = 0;
      for (const double g : growth) squares += (g - mean) * (g - mean);
      return std::sqrt(squares / static_cast<double>(growth.size() - 1));
    }
    case ExternalStatistic::labour_share: {
      const auto wages = annual_aggregate(run, "wage_bill");
      const auto output = annual_aggregate(run, "nominal_output");
      double sum = 0;
      for (int year = m.first_year; year <= m.last_year; ++year) {
        const double y = annual_value(output, year, m.name);
        if (!(y > 0)) throw std::runtime_error(m.name + ": nominal output is not positive in " + std::to_string(year));
        sum += annual_value(wages, year, m.name) / y;
      }
      return sum / static_cast<double>(m.last_year - m.first_year + 1);
    }
    case ExternalStatistic::prosumer_share: {
      const auto share = annual_aggregate(run, "prosumer_share");
      double sum = 0;
      for (int year = m.first_year; year <= m.last_year; ++year) sum += annual_value(share, year, m.name);
      return sum / static_cast<double>(m.last_year - m.first_year + 1);
    }
  }
  return kNaN;
}

// The statistics of one run in target order; validation targets (Table 3) only when `validation`
// (NaN otherwise). Throws std::runtime_error with the reason when one is undefined.
std::vector<double> run_statistics(const RunResult& run, const CalibrationTargets& published,
                                   const std::vector<TargetSpec>& targets, int replicate, bool validation) {
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
  if (published.projection && validation) {
    const ProjectionTargets& p = *published.projection;
    auto value_in = [&](const SolowSeries& series, int year) {
      for (std::size_t i = 0; i < annual.years.size(); ++i) {
        if (annual.years[i] == year) return series.values[i];
      }
      throw std::runtime_error("the run does not reach " + std::to_string(year));
    };
    // Output: scaled so that the first projection year equals its published value. Employment: the
    // change in convergence employment since the year before, in persons; score() scales it.
    const int anchor = p.years.front();
    const double output_anchor = value_in(annual.output, anchor);
    const double employment_base = value_in(annual.labour, anchor - 1);
    if (!(output_anchor > 0)) throw std::runtime_error("convergence output is 0 in " + std::to_string(anchor));
    for (const int year : p.years) {
      output_path.push_back(value_in(annual.output, year) / output_anchor * p.output.front());
      employment_path.push_back(value_in(annual.labour, year) - employment_base);
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
      case TargetKind::log_shape: {
        const LogSeriesSummary& s = report.log_summaries[static_cast<std::size_t>(target.variable)];
        value = (target.name.rfind("median", 0) == 0 ? s.median : s.minimum) - s.mean;
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
      case TargetKind::external:
        value = external_statistic(run, published.external.at(static_cast<std::size_t>(target.variable)));
        break;
      case TargetKind::projection:
        if (!validation) {
          values.push_back(kNaN);
          continue;
        }
        value = target.variable == 0 ? output_path.at(output_index++) : employment_path.at(employment_index++);
        break;
    }
    if (!std::isfinite(value)) throw std::runtime_error(target.name + " is undefined");
    values.push_back(value);
  }
  return values;
}

// The covariance V of the gaps (published - simulated mean) of the moments `indices`: off the
// diagonal (1 + 1/R) times their covariance across the evaluation's valid runs (those whose
// statistics are defined), on it the moments' floored variances, measurement error included.
Eigen::MatrixXd gap_covariance(const Evaluation& e, const std::vector<std::size_t>& indices) {
  std::vector<std::size_t> valid;
  for (std::size_t r = 0; r < e.values.size(); ++r) {
    if (std::isfinite(e.values[r][indices.front()])) valid.push_back(r);
  }
  const double n = static_cast<double>(valid.size());
  const Eigen::Index m = static_cast<Eigen::Index>(indices.size());
  Eigen::MatrixXd cov(m, m);
  for (Eigen::Index a = 0; a < m; ++a) {
    const std::size_t i = indices[static_cast<std::size_t>(a)];
    for (Eigen::Index b = 0; b < a; ++b) {
      const std::size_t j = indices[static_cast<std::size_t>(b)];
      double sum = 0;
      for (const std::size_t r : valid) sum += (e.values[r][i] - e.mean[i]) * (e.values[r][j] - e.mean[j]);
      cov(a, b) = cov(b, a) = (1.0 + 1.0 / n) * sum / (n - 1);
    }
    cov(a, a) = e.variance[i];
  }
  return cov;
}

// Parameter values <-> the unit cube the optimisers search.
double unit_of(const FreeParameter& p, double value) {
  if (p.log_scale) return (std::log(value) - std::log(p.lower)) / (std::log(p.upper) - std::log(p.lower));
  return (value - p.lower) / (p.upper - p.lower);
}

double value_of(const FreeParameter& p, double u) {
  u = std::clamp(u, 0.0, 1.0);
  if (p.log_scale) return std::exp(std::log(p.lower) + u * (std::log(p.upper) - std::log(p.lower)));
  return p.lower + u * (p.upper - p.lower);
}

// d value / d u at u (the Jacobian of the unit-cube map).
double value_per_unit(const FreeParameter& p, double u) {
  if (p.log_scale) return value_of(p, u) * (std::log(p.upper) - std::log(p.lower));
  return p.upper - p.lower;
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

//---- external moments ----

void load_external_moments(const std::filesystem::path& path, CalibrationTargets& targets) {
  const YamlReader in(path);
  in.only_keys(in.root(), "", {"source_notes", "moments"});
  const YAML::Node moments = in.required(in.root(), "moments", "", "a map of moment names to {statistic, years, value}");
  if (!moments.IsMap()) in.fail(moments, "moments", "expected a map of moment names to {statistic, years, value}");
  for (const auto& item : moments) {
    ExternalMoment m;
    m.name = item.first.Scalar();
    const std::string key = "moments." + m.name;
    const YAML::Node spec = item.second;
    in.only_keys(spec, key, {"statistic", "years", "value", "measurement_sd", "source"});
    const std::string statistic = in.text(in.required(spec, "statistic", key, "output_growth_sd, labour_share or prosumer_share"),
                                          key + ".statistic");
    if (statistic == "output_growth_sd") {
      m.statistic = ExternalStatistic::output_growth_sd;
    } else if (statistic == "labour_share") {
      m.statistic = ExternalStatistic::labour_share;
    } else if (statistic == "prosumer_share") {
      m.statistic = ExternalStatistic::prosumer_share;
    } else {
      in.fail(spec["statistic"], key + ".statistic",
              "found '" + statistic + "', expected output_growth_sd, labour_share or prosumer_share");
    }
    const YAML::Node years = in.required(spec, "years", key, "[first year, last year]");
    const std::vector<double> range = in.numbers(years, key + ".years");
    if (range.size() != 2 || range[0] != std::floor(range[0]) || range[1] != std::floor(range[1]) || range[0] > range[1] ||
        (m.statistic == ExternalStatistic::output_growth_sd && range[0] + 2 > range[1])) {
      in.fail(years, key + ".years",
              m.statistic == ExternalStatistic::output_growth_sd
                  ? "expected [first year, last year] with whole years spanning at least two growth rates"
                  : "expected [first year, last year] with whole years, first <= last");
    }
    m.first_year = static_cast<int>(range[0]);
    m.last_year = static_cast<int>(range[1]);
    m.value = in.number(in.required(spec, "value", key, "the data's value"), key + ".value");
    if (spec["measurement_sd"]) {
      m.measurement_sd = in.number(spec["measurement_sd"], key + ".measurement_sd");
      if (m.measurement_sd < 0) in.fail(spec["measurement_sd"], key + ".measurement_sd", "expected a value >= 0");
    }
    if (spec["source"]) m.source = in.text(spec["source"], key + ".source");
    for (const ExternalMoment& other : targets.external) {
      if (other.name == m.name) in.fail(item.first, key, "a moment of this name is already loaded");
    }
    targets.external.push_back(m);
  }
  targets.external_source = path.string();
}

//---- settings ----

CalibrationSettings load_calibration_settings(const std::filesystem::path& path) {
  const YamlReader in(path);
  CalibrationSettings s;
  s.source = path.string();
  in.only_keys(in.root(), "", {"calibration", "free", "weights"});
  if (const YAML::Node c = in.root()["calibration"]) {
    in.only_keys(c, "calibration",
                 {"budget", "replicates", "validation_replicates", "validation_seed_offset", "weighting", "derivative_step",
                  "profile_points", "parameter_draws", "external_moments", "set", "optimizer"});
    auto integer_at_least = [&](const char* name, int& field, int least) {
      const std::string key = std::string("calibration.") + name;
      if (!c[name]) return;
      field = in.integer(c[name], key);
      if (field < least) in.fail(c[name], key, "found " + std::to_string(field) + ", expected at least " + std::to_string(least));
    };
    integer_at_least("budget", s.budget, 1);
    // The variance of a moment needs at least two runs.
    integer_at_least("replicates", s.replicates, 2);
    integer_at_least("validation_replicates", s.validation_replicates, 2);
    integer_at_least("validation_seed_offset", s.validation_seed_offset, 1);
    integer_at_least("profile_points", s.profile_points, 0);
    integer_at_least("parameter_draws", s.parameter_draws, 0);
    if (s.profile_points == 1) in.fail(c["profile_points"], "calibration.profile_points", "expected 0 (none) or at least 2");
    if (s.validation_seed_offset < s.replicates) {
      in.fail(c["validation_seed_offset"] ? c["validation_seed_offset"] : c, "calibration.validation_seed_offset",
              "found " + std::to_string(s.validation_seed_offset) + ": validation seeds would overlap the " +
                  std::to_string(s.replicates) + " fitting seeds");
    }
    if (c["weighting"]) {
      s.weighting = in.text(c["weighting"], "calibration.weighting");
      if (s.weighting != "diagonal" && s.weighting != "full") {
        in.fail(c["weighting"], "calibration.weighting", "found '" + s.weighting + "', expected diagonal or full");
      }
    }
    if (c["derivative_step"]) {
      s.derivative_step = in.number(c["derivative_step"], "calibration.derivative_step");
      if (!(s.derivative_step > 0 && s.derivative_step <= 0.25)) {
        in.fail(c["derivative_step"], "calibration.derivative_step", "expected a share of the range in (0, 0.25]");
      }
    }
    if (c["external_moments"]) {
      const std::filesystem::path file = in.text(c["external_moments"], "calibration.external_moments");
      s.external_moments = (file.is_absolute() ? file : path.parent_path() / file).lexically_normal().string();
      if (!std::filesystem::exists(s.external_moments)) {
        in.fail(c["external_moments"], "calibration.external_moments", "no such file: " + s.external_moments);
      }
    }
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
  base_seed_ = base.seed;  // no free parameter can set it: they are real-valued keys
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
  // The fitting runs stop at the last year a fitted statistic needs: the years after it cannot change
  // the years before (every mechanism runs forward in time), and Table 3 is validated, not fitted.
  int fit_end = published_.last_year;
  for (const ExternalMoment& m : published_.external) {
    if (m.first_year < base.time.start_year) {
      throw InputError(published_.external_source, 0, "moments." + m.name,
                       "starts in " + std::to_string(m.first_year) + ", before the scenario (" +
                           std::to_string(base.time.start_year) + ")");
    }
    fit_end = std::max(fit_end, m.last_year);
  }
  if (fit_end > last_needed) {
    document_.erase_subtree("time.end_year");
    document_.set("time.end_year", YAML::Node(std::to_string(fit_end)), SourceLocation{"<calibration>", 0});
  }
  fitting_document_ = document_;
  fitting_document_.erase_subtree("time.end_year");
  fitting_document_.set("time.end_year", YAML::Node(std::to_string(fit_end)), SourceLocation{"<calibration>", 0});
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    if (targets_[i].fitted && targets_[i].weight > 0) fitted_.push_back(i);
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

std::uint64_t CalibrationProblem::seed_of(int replicate, Sample sample) const {
  return base_seed_ + static_cast<std::uint64_t>(replicate) +
         (sample == Sample::validation ? static_cast<std::uint64_t>(settings_.validation_seed_offset) : 0u);
}

Scenario CalibrationProblem::scenario_at(const std::vector<double>& values, int replicate, Sample sample) const {
  // Copies of a ScenarioDocument share their YAML nodes, and set() on an existing key rebinds the
  // shared node (yaml-cpp assignment). So each key is erased from the copy and added afresh, which
  // never touches document_, and documents are built one at a time (replicates call this from
  // several threads; building is microseconds against a run's tenths of a second).
  static std::mutex building;
  const std::lock_guard lock(building);
  ScenarioDocument doc = sample == Sample::fitting ? fitting_document_ : document_;
  for (const auto& [key, value] : scenario_values(values)) {
    doc.erase_subtree(key);
    doc.set(key, YAML::Node(format_number(value, "%.17g")), SourceLocation{settings_.source, 0});
  }
  Scenario scenario = build_scenario(doc);
  // Replicate r runs with seed + r (validation: seed + offset + r): every evaluation sees the same
  // draws (common random numbers), and fitting and validation seeds never meet.
  scenario.seed = seed_of(replicate, sample);
  return scenario;
}

std::vector<double> CalibrationProblem::to_unit(const std::vector<double>& values) const {
  std::vector<double> unit(values.size());
  for (std::size_t k = 0; k < values.size(); ++k) unit[k] = std::clamp(unit_of(settings_.free.at(k), values[k]), 0.0, 1.0);
  return unit;
}

std::vector<double> CalibrationProblem::from_unit(const std::vector<double>& unit) const {
  std::vector<double> values(unit.size());
  for (std::size_t k = 0; k < unit.size(); ++k) values[k] = value_of(settings_.free.at(k), unit[k]);
  return values;
}

Evaluation CalibrationProblem::evaluate(const std::vector<double>& values, int replicates, Sample sample) const {
  std::vector<RunResult> runs(static_cast<std::size_t>(replicates));
  std::vector<std::string> errors(runs.size());
  // Each replicate is deterministic in its own seed, so running them in parallel (and letting each
  // run parallelise over firms) gives the same numbers on any thread count.
  tbb::parallel_for(0, replicates, [&](int r) {
    try {
      models::RunOptions options;
      options.firm_snapshots = false;
      runs[static_cast<std::size_t>(r)] = models::simulate(scenario_at(values, r, sample), options);
    } catch (const std::exception& e) {
      errors[static_cast<std::size_t>(r)] = e.what();
    }
  });
  Evaluation evaluation = score(values, runs, sample);
  for (std::size_t r = 0; r < errors.size(); ++r) {
    if (!errors[r].empty() && evaluation.failure.empty()) evaluation.failure = "replicate " + std::to_string(r) + ": " + errors[r];
  }
  return evaluation;
}

Evaluation CalibrationProblem::score(const std::vector<double>& values, const std::vector<RunResult>& runs, Sample sample) const {
  const std::size_t n = targets_.size();
  const bool validation = sample == Sample::validation;
  Evaluation e;
  e.parameters = values;
  e.sample = sample;
  e.replicates = static_cast<int>(runs.size());
  e.values.assign(runs.size(), std::vector<double>(n, kNaN));
  std::vector<std::size_t> valid;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    if (runs[r].time.empty()) {
      if (e.failure.empty()) e.failure = "replicate " + std::to_string(r) + " did not run";
      continue;
    }
    try {
      e.values[r] = run_statistics(runs[r], published_, targets_, static_cast<int>(r), validation);
      valid.push_back(r);
    } catch (const std::exception& error) {
      if (e.failure.empty()) e.failure = "replicate " + std::to_string(r) + ": " + error.what();
    }
  }
  e.valid_replicates = static_cast<int>(valid.size());
  e.mean.assign(n, kNaN);
  e.sd.assign(n, kNaN);
  e.variance.assign(n, kNaN);
  if (valid.empty()) {
    e.loss = kFailedLoss;
    return e;
  }
  // Accumulated employment (validation): persons of convergence employment gained since the year
  // before the projection, times one factor (persons -> the study's 10,000 people) that best fits
  // the published path in relative least squares on the replicate mean.
  if (validation && published_.projection) {
    double numerator = 0, denominator = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const TargetSpec& t = targets_[i];
      if (t.kind != TargetKind::projection || t.variable != 2) continue;
      double mean = 0;
      for (const std::size_t r : valid) mean += e.values[r][i];
      const double ratio = mean / static_cast<double>(valid.size()) / t.published;
      numerator += ratio;
      denominator += ratio * ratio;
    }
    // A path that does not grow gets scale 0: every year then misses by 100 %.
    e.employment_scale = denominator > 0 ? std::max(0.0, numerator / denominator) : 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      if (targets_[i].kind != TargetKind::projection || targets_[i].variable != 2) continue;
      for (const std::size_t r : valid) e.values[r][i] *= e.employment_scale;
    }
  }
  const double replicates = static_cast<double>(valid.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(e.values[valid.front()][i])) continue;
    double sum = 0;
    for (const std::size_t r : valid) sum += e.values[r][i];
    const double mean = sum / replicates;
    double squares = 0;
    for (const std::size_t r : valid) squares += (e.values[r][i] - mean) * (e.values[r][i] - mean);
    e.mean[i] = mean;
    e.sd[i] = valid.size() > 1 ? std::sqrt(squares / (replicates - 1)) : 0.0;
    // The published value is one draw of the statistic (sampling variance sd²), the simulated mean
    // has variance sd²/R, the data may carry measurement error: V = (1 + 1/R) sd² + measurement².
    const TargetSpec& t = targets_[i];
    const double floor = kVarianceFloor * std::max(std::abs(t.published), 0.01);
    e.variance[i] = std::max((1.0 + 1.0 / replicates) * e.sd[i] * e.sd[i] + t.measurement_sd * t.measurement_sd, floor * floor);
  }

  double loss = 0;
  if (settings_.weighting == "full" && valid.size() > 2 * fitted_.size()) {
    // W = V^-1 with the full covariance of the fitted statistics across replicates (weights other
    // than 0 are ignored here: a weight only scales a diagonal precision).
    const Eigen::Index m = static_cast<Eigen::Index>(fitted_.size());
    const Eigen::MatrixXd cov = gap_covariance(e, fitted_);
    Eigen::VectorXd gap(m);
    for (Eigen::Index a = 0; a < m; ++a) {
      const std::size_t i = fitted_[static_cast<std::size_t>(a)];
      gap(a) = e.mean[i] - targets_[i].published;
    }
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(cov);
    if (ldlt.info() == Eigen::Success && ldlt.isPositive()) {
      const Eigen::VectorXd solved = ldlt.solve(gap);
      loss = gap.dot(solved);
      e.full_weighting = std::isfinite(loss);
    }
  }
  if (!e.full_weighting) {
    loss = 0;
    for (const std::size_t i : fitted_) {
      const double gap = e.mean[i] - targets_[i].published;
      loss += targets_[i].weight * gap * gap / e.variance[i];
    }
  }
  loss += kInvalidPenalty * static_cast<double>(e.replicates - e.valid_replicates) / std::max(1, e.replicates);
  e.loss = loss;
  return e;
}

//---- diagnostics ----

namespace {

// The covariance S of the fitted moments' gaps (published - simulated mean) and the weight matrix W
// the loss used, over problem.fitted() in order.
void weighting_matrices(const CalibrationProblem& problem, const Evaluation& e, Eigen::MatrixXd& S, Eigen::MatrixXd& W) {
  const auto& fitted = problem.fitted();
  const auto& targets = problem.targets();
  const Eigen::Index m = static_cast<Eigen::Index>(fitted.size());
  W = Eigen::MatrixXd::Zero(m, m);
  if (e.full_weighting) {
    S = gap_covariance(e, fitted);
    W = S.ldlt().solve(Eigen::MatrixXd::Identity(m, m));
  } else {
    S = Eigen::MatrixXd::Zero(m, m);
    for (Eigen::Index a = 0; a < m; ++a) {
      const std::size_t i = fitted[static_cast<std::size_t>(a)];
      S(a, a) = e.variance[i];
      W(a, a) = targets[i].weight / S(a, a);
    }
  }
}

}  // namespace

CalibrationDiagnostics j_test(const CalibrationProblem& problem, const Evaluation& at, int estimated) {
  CalibrationDiagnostics d;
  d.moments = static_cast<int>(problem.fitted().size());
  d.estimated = estimated < 0 ? static_cast<int>(problem.settings().free.size()) : estimated;
  d.degrees_of_freedom = d.moments - d.estimated;
  d.j_statistic = at.loss;
  for (const std::size_t i : problem.fitted()) d.unit_weights = d.unit_weights && problem.targets()[i].weight == 1.0;
  if (d.degrees_of_freedom > 0 && std::isfinite(at.loss) && at.valid_replicates == at.replicates) {
    d.p_value = boost::math::cdf(boost::math::complement(boost::math::chi_squared(d.degrees_of_freedom), at.loss));
  }
  return d;
}

CalibrationDiagnostics diagnose(const CalibrationProblem& problem, const Evaluation& at, const DiagnosticsProgress& progress) {
  const auto started = std::chrono::steady_clock::now();
  const CalibrationSettings& settings = problem.settings();
  const auto& free = settings.free;
  const auto& fitted = problem.fitted();
  const std::size_t dimension = free.size();
  const int replicates = at.replicates;
  CalibrationDiagnostics d = j_test(problem, at);
  d.parameters.resize(dimension);
  if (dimension == 0 || fitted.empty()) return d;
  const std::vector<double> centre = problem.to_unit(at.parameters);

  // G = dm/du by central differences under common random numbers (one-sided at a bound).
  const Eigen::Index m = static_cast<Eigen::Index>(fitted.size()), K = static_cast<Eigen::Index>(dimension);
  Eigen::MatrixXd G(m, K);
  for (std::size_t k = 0; k < dimension; ++k) {
    std::vector<double> up = centre, down = centre;
    up[k] = std::min(1.0, centre[k] + settings.derivative_step);
    down[k] = std::max(0.0, centre[k] - settings.derivative_step);
    const Evaluation high = problem.evaluate(problem.from_unit(up), replicates);
    const Evaluation low = down[k] == centre[k] ? at : problem.evaluate(problem.from_unit(down), replicates);
    d.model_runs += replicates * (down[k] == centre[k] ? 1 : 2);
    for (Eigen::Index a = 0; a < m; ++a) {
      const std::size_t i = fitted[static_cast<std::size_t>(a)];
      G(a, static_cast<Eigen::Index>(k)) = (high.mean[i] - low.mean[i]) / (up[k] - down[k]);
    }
    if (progress) progress("derivatives", static_cast<int>(k) + 1, static_cast<int>(dimension));
  }
  bool finite = G.allFinite();

  // Sandwich: Cov = (G'WG)^-1 G'W S W G (G'WG)^-1, = (G' S^-1 G)^-1 with the efficient W = S^-1.
  Eigen::MatrixXd S, W;
  weighting_matrices(problem, at, S, W);
  Eigen::MatrixXd A = finite ? Eigen::MatrixXd(G.transpose() * W * G) : Eigen::MatrixXd::Zero(K, K);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(A);
  const Eigen::VectorXd lambda = eigen.eigenvalues().cwiseMax(0.0);
  const double largest = lambda.maxCoeff();
  Eigen::MatrixXd pinv = Eigen::MatrixXd::Zero(K, K);
  std::vector<bool> loads_on_null(dimension, false);
  for (Eigen::Index i = 0; i < K; ++i) {
    d.singular_values.push_back(std::sqrt(lambda(i)));
    const bool null = !(lambda(i) > kNullDirection * kNullDirection * largest) || !(largest > 0);
    const Eigen::VectorXd q = eigen.eigenvectors().col(i);
    if (null) {
      for (Eigen::Index k = 0; k < K; ++k) loads_on_null[static_cast<std::size_t>(k)] = loads_on_null[static_cast<std::size_t>(k)] || std::abs(q(k)) > 0.1;
    } else {
      pinv += q * q.transpose() / lambda(i);
    }
  }
  std::sort(d.singular_values.begin(), d.singular_values.end(), std::greater<>());
  const Eigen::MatrixXd cov_unit = pinv * G.transpose() * W * S * W * G * pinv;

  // Profiles: the loss along each parameter's range, the others at the estimate. Re-optimising the
  // others could only lower these losses, so a flat slice means a flat profile.
  const int points = settings.profile_points;
  int profile_done = 0;
  for (std::size_t k = 0; k < dimension; ++k) {
    ParameterEstimate& p = d.parameters[k];
    p.value = at.parameters[k];
    for (int j = 0; j < points; ++j) {
      std::vector<double> unit = centre;
      unit[k] = static_cast<double>(j) / (points - 1);
      const Evaluation e = problem.evaluate(problem.from_unit(unit), replicates);
      d.model_runs += replicates;
      p.profile.emplace_back(e.parameters[k], e.loss);
      p.profile_rise = std::max(p.profile_rise, e.loss - at.loss);
      p.profile_drop = std::max(p.profile_drop, at.loss - e.loss);
      if (progress) progress("profiles", ++profile_done, static_cast<int>(dimension) * points);
    }
  }

  d.jacobian.assign(fitted.size(), std::vector<double>(dimension, kNaN));
  d.covariance.assign(dimension, std::vector<double>(dimension, kNaN));
  for (std::size_t k = 0; k < dimension; ++k) {
    ParameterEstimate& p = d.parameters[k];
    const double scale = value_per_unit(free[k], centre[k]);
    for (Eigen::Index a = 0; a < m; ++a) d.jacobian[static_cast<std::size_t>(a)][k] = G(a, static_cast<Eigen::Index>(k)) / scale;
    for (std::size_t l = 0; l < dimension; ++l) {
      d.covariance[k][l] = cov_unit(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(l)) * scale *
                           value_per_unit(free[l], centre[l]);
    }
    const double se_unit = finite && !loads_on_null[k] ? std::sqrt(std::max(0.0, cov_unit(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(k))))
                                                       : kInfinity;
    p.standard_error = se_unit * scale;
    p.lower95 = value_of(free[k], centre[k] - kBandHalfWidth * se_unit);
    p.upper95 = value_of(free[k], centre[k] + kBandHalfWidth * se_unit);
    std::vector<std::string> reasons;
    if (!finite) reasons.push_back("the derivatives are undefined");
    if (finite && loads_on_null[k]) reasons.push_back("G is rank-deficient in its direction");
    if (std::isfinite(se_unit) && se_unit > kWeakStandardError) reasons.push_back("95 % interval wider than its range");
    if (points > 0 && p.profile_rise < kChiSquare1Quantile95) {
      reasons.push_back("loss rises by " + format_number(p.profile_rise, "%.3g") + " < 3.84 over its whole range");
    }
    p.weak = !reasons.empty();
    for (const std::string& r : reasons) p.why += (p.why.empty() ? "" : "; ") + r;
  }

  // Parameter draws: N(estimate, (G'WG + 12 I)^-1) in the unit cube. The 12 I is the precision of the
  // uniform distribution over the bounds, which keeps directions the moments do not identify at
  // the spread of the box instead of infinite; draws outside the box are redrawn (at most 100 times,
  // then clamped).
  if (settings.parameter_draws > 0) {
    const Eigen::MatrixXd precision = A + 12.0 * Eigen::MatrixXd::Identity(K, K);
    const Eigen::MatrixXd cov_draws = precision.ldlt().solve(Eigen::MatrixXd::Identity(K, K));
    const Eigen::LLT<Eigen::MatrixXd> cholesky(cov_draws);
    const Eigen::MatrixXd L = cholesky.matrixL();
    for (int r = 0; r < settings.parameter_draws; ++r) {
      Eigen::VectorXd u(K);
      for (int attempt = 0; attempt < 100; ++attempt) {
        Eigen::VectorXd z(K);
        for (Eigen::Index k = 0; k < K; ++k) {
          const RandomBlock block(kDrawSeed, static_cast<std::uint64_t>(r), Purpose::user,
                                  static_cast<std::uint64_t>(attempt), static_cast<std::uint32_t>(k / 2));
          z(k) = block.normal(static_cast<int>(2 * (k % 2)));
        }
        for (Eigen::Index k = 0; k < K; ++k) u(k) = centre[static_cast<std::size_t>(k)];
        u += L * z;
        if ((u.array() >= 0.0).all() && (u.array() <= 1.0).all()) break;
      }
      std::vector<double> unit(dimension);
      for (std::size_t k = 0; k < dimension; ++k) unit[k] = std::clamp(u(static_cast<Eigen::Index>(k)), 0.0, 1.0);
      d.draws.push_back(problem.from_unit(unit));
    }
  }
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return d;
}

//---- optimising ----

CalibrationResult calibrate(const CalibrationProblem& problem, const std::function<void(const EvaluationRecord&)>& on_evaluation,
                            const DiagnosticsProgress& on_diagnostics) {
  const auto started = std::chrono::steady_clock::now();
  const CalibrationSettings& settings = problem.settings();
  const std::size_t dimension = settings.free.size();
  CalibrationResult result;

  std::vector<double> best_unit = problem.to_unit(problem.start());
  double best_loss = kInfinity;
  std::map<std::vector<double>, double> seen;  // NLopt may ask for a point twice
  std::string phase = "start";

  auto objective = [&](const std::vector<double>& unit) -> double {
    std::vector<double> clamped(unit);
    for (double& u : clamped) u = std::clamp(u, 0.0, 1.0);
    if (const auto hit = seen.find(clamped); hit != seen.end()) return hit->second;
    if (result.evaluations >= settings.budget) throw nlopt::forced_stop();
    Evaluation e = problem.evaluate(problem.from_unit(clamped), settings.replicates);
    ++result.evaluations;
    result.model_runs += settings.replicates;
    seen.emplace(clamped, e.loss);
    if (result.evaluations == 1) result.at_start = e;
    if (e.loss < best_loss) {
      best_loss = e.loss;
      best_unit = clamped;
      result.best = e;
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
    if (settings.optimizer.global_algorithm != "none") {
      const int global = static_cast<int>(std::lround(settings.optimizer.global_share * budget));
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
      const int remaining = settings.budget - result.evaluations;
      if (remaining < (restart == 0 ? 1 : static_cast<int>(dimension) + 2)) break;
      const double before = best_loss;
      run_phase(local, settings.optimizer.local_algorithm, remaining, step);
      if (restart > 0 && !(best_loss < before - 1e-9 * std::abs(before))) break;
      step *= 0.5;
    }
  } else {
    result.best = problem.evaluate({}, settings.replicates);
    result.at_start = result.best;
    result.model_runs += settings.replicates;
  }
  result.algorithms.clear();
  for (const std::string& p : phases) result.algorithms += (result.algorithms.empty() ? "" : " + ") + p;
  if (result.algorithms.empty()) result.algorithms = dimension > 0 ? "none (budget of 1: the start only)" : "none (no free parameters)";

  result.diagnostics = diagnose(problem, result.best, on_diagnostics);
  result.model_runs += result.diagnostics.model_runs;
  result.validation = problem.evaluate(result.best.parameters, settings.validation_replicates, Sample::validation);
  result.model_runs += settings.validation_replicates;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

//---- reporting ----

namespace {

std::string cell(double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (!std::isfinite(value)) return "n/a";
  const double a = std::abs(value);
  if (a != 0 && (a >= 1e5 || a < 1e-3)) return format_number(value, "%.3e");
  if (a >= 100) return format_number(value, "%.1f");
  return format_number(value, "%.3f");
}

bool in_band(double published, double mean, double sd) {
  return std::isfinite(mean) && std::abs(published - mean) <= kBandHalfWidth * sd + 1e-9 * std::max(1.0, std::abs(published));
}

std::size_t index_of(const std::vector<TargetSpec>& targets, const std::string& name) {
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (targets[i].name == name) return i;
  }
  return targets.size();
}

}  // namespace

std::string calibration_report(const CalibrationProblem& problem, const Evaluation& e) {
  std::ostringstream out;
  const auto& targets = problem.targets();
  const bool validation = e.sample == Sample::validation;
  const std::uint64_t first = problem.seed_of(0, e.sample);
  out << (validation ? "Validation" : "Fitting") << " seeds " << first << ".." << first + static_cast<std::uint64_t>(std::max(0, e.replicates - 1))
      << ": " << e.valid_replicates << " of " << e.replicates << " replicates valid. Loss (m - p)' V^-1 (m - p) over "
      << problem.fitted().size() << " fitted moments: " << format_number(e.loss, "%.4g")
      << (e.full_weighting ? " (full V)" : " (diagonal V)") << ".\n";
  if (!e.failure.empty()) out << "Invalid runs: " << e.failure << "\n";
  out << "95 % band: mean ± 1.96 sd over replicates; z = (published - mean) / sqrt(V), V = (1 + 1/R) sd² + measurement sd².\n";
  out << "\n| target | published | simulated mean | sd | 95 % band | in band | z | loss |\n"
      << "|---|---|---|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const TargetSpec& t = targets[i];
    if (!std::isfinite(e.mean[i])) continue;
    const bool counted = std::find(problem.fitted().begin(), problem.fitted().end(), i) != problem.fitted().end();
    const double z = (t.published - e.mean[i]) / std::sqrt(e.variance[i]);
    out << "| " << t.name << " | " << cell(t.published) << " | " << cell(e.mean[i]) << " | " << cell(e.sd[i]) << " | ["
        << cell(e.mean[i] - kBandHalfWidth * e.sd[i]) << ", " << cell(e.mean[i] + kBandHalfWidth * e.sd[i]) << "] | "
        << (in_band(t.published, e.mean[i], e.sd[i]) ? "yes" : "no") << " | "
        << (counted ? format_number(z, "%+.2f") : std::string(t.fitted ? "(weight 0)" : "(validation)")) << " | "
        << (counted && !e.full_weighting ? format_number(t.weight * z * z, "%.3g") : std::string("")) << " |\n";
  }
  return out.str();
}

std::string estimates_report(const CalibrationProblem& problem, const CalibrationDiagnostics& d) {
  std::ostringstream out;
  const auto& free = problem.settings().free;
  out << "| parameter | estimate | s.e. | 95 % interval | lower | upper | profile rise | identified |\n"
      << "|---|---|---|---|---|---|---|---|\n";
  int weak = 0;
  for (std::size_t k = 0; k < free.size() && k < d.parameters.size(); ++k) {
    const ParameterEstimate& p = d.parameters[k];
    weak += p.weak ? 1 : 0;
    out << "| " << free[k].name << (free[k].multiply ? " (×)" : "") << " | " << format_number(p.value, "%.4g") << " | "
        << (std::isfinite(p.standard_error) ? format_number(p.standard_error, "%.3g") : std::string("inf")) << " | ["
        << format_number(p.lower95, "%.4g") << ", " << format_number(p.upper95, "%.4g") << "] | " << format_number(free[k].lower, "%.4g")
        << " | " << format_number(free[k].upper, "%.4g") << " | "
        << (p.profile.empty() ? std::string("n/a") : format_number(p.profile_rise, "%.3g")) << " | "
        << (p.weak ? "**weak**: " + p.why : std::string("yes")) << " |\n";
  }
  // A profile point below the estimate's loss: the search stopped before the optimum.
  std::size_t deepest = free.size();
  for (std::size_t k = 0; k < free.size() && k < d.parameters.size(); ++k) {
    if (d.parameters[k].profile_drop > 0 && (deepest == free.size() || d.parameters[k].profile_drop > d.parameters[deepest].profile_drop)) {
      deepest = k;
    }
  }
  if (deepest < free.size()) {
    const ParameterEstimate& p = d.parameters[deepest];
    const auto lowest = std::min_element(p.profile.begin(), p.profile.end(),
                                         [](const auto& a, const auto& b) { return a.second < b.second; });
    out << "\n**Not converged:** the profile of " << free[deepest].name << " reaches a loss " << format_number(p.profile_drop, "%.3g")
        << " below the estimate's (at " << format_number(lowest->first, "%.4g") << "): the search stopped before the optimum "
        << "(a larger --budget continues it; the standard errors describe the point reached).\n";
  }
  out << "\nStandard errors: MSM sandwich (G'WG)^-1 G'W V W G (G'WG)^-1 (= (1 + 1/R)(G' Omega^-1 G)^-1 with the efficient W), "
         "G by central differences under common random numbers; delta method for log-scale parameters. "
      << weak << " of " << free.size() << " parameters weakly identified.\n";
  if (!d.singular_values.empty()) {
    out << "Singular values of W^1/2 G (unit cube): ";
    for (std::size_t i = 0; i < d.singular_values.size(); ++i) out << (i ? ", " : "") << format_number(d.singular_values[i], "%.3g");
    const double ratio = d.singular_values.front() / std::max(d.singular_values.back(), 1e-300);
    out << " (condition number " << format_number(ratio, "%.3g") << ").\n";
  }
  if (!d.parameters.empty() && !d.parameters.front().profile.empty()) {
    out << "\nLoss profiles (the others at the estimate; value: loss):\n\n| parameter | profile |\n|---|---|\n";
    for (std::size_t k = 0; k < free.size(); ++k) {
      out << "| " << free[k].name << " |";
      for (const auto& [value, loss] : d.parameters[k].profile) out << " " << format_number(value, "%.3g") << ": " << format_number(loss, "%.4g") << ";";
      out << " |\n";
    }
  }
  return out.str();
}

std::string j_test_report(const CalibrationProblem&, const CalibrationDiagnostics& d) {
  std::ostringstream out;
  out << "**J test of over-identification:** J = " << format_number(d.j_statistic, "%.4g") << " with " << d.degrees_of_freedom
      << " degrees of freedom (" << d.moments << " moments, " << d.estimated << " parameters estimated)";
  if (std::isfinite(d.p_value)) {
    out << ", p = " << format_number(d.p_value, "%.3g") << ": "
        << (d.p_value < 0.05 ? "the targets **reject** the model at the 5 % level." : "the targets do not reject the model at the 5 % level.");
  } else {
    out << ": no test (" << (d.degrees_of_freedom <= 0 ? "no over-identifying moments" : "invalid replicates at the estimate") << ").";
  }
  if (!d.unit_weights) out << " Some weights differ from 1: J is then not chi²-distributed and the p-value is indicative only.";
  out << "\n";
  return out.str();
}

std::string caveats_report(const CalibrationProblem& problem, const Evaluation& e) {
  const auto& targets = problem.targets();
  const auto& published = problem.published();
  std::ostringstream out;
  const std::size_t bl = index_of(targets, "b_L");
  std::size_t share = targets.size();
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (targets[i].kind == TargetKind::external &&
        published.external.at(static_cast<std::size_t>(targets[i].variable)).statistic == ExternalStatistic::labour_share) {
      share = i;
    }
  }
  out << "- **b_L against the labour share.** With competitive factor markets and constant returns, the output "
         "elasticity of labour equals the labour share. The study's b_L = "
      << format_number(published.b_labour, "%.3g");
  if (share < targets.size()) {
    out << " is " << format_number(published.b_labour / targets[share].published, "%.2g") << " times Korea's labour share, "
        << format_number(targets[share].published, "%.3f") << " (" << published.external[static_cast<std::size_t>(targets[share].variable)].source
        << "); the model's labour share is " << cell(e.mean[share]) << " and its b_L " << cell(e.mean[bl])
        << ". A b_L above 1 on the industry's own data measures how employment tracked the industry's growth, "
           "not a technology parameter.\n";
  } else {
    out << "; the model's b_L is " << cell(e.mean[bl]) << " (no labour share moment loaded).\n";
  }
  if (published.projection && std::isfinite(e.employment_scale) && e.employment_scale > 0) {
    const ProjectionTargets& p = *published.projection;
    out << "- **Table 3's jobs.** The study's accumulated employment effect reaches "
        << format_number(p.accumulated_employment.back() / 100, "%.3g") << " million people by " << p.years.back()
        << ". The model reaches that path only through a units factor: 1 person of simulated convergence employment gained "
           "counts as "
        << format_number(e.employment_scale * 1e4, "%.3g") << " of the study's people (fitted, not predicted).\n";
  }
  return out.str();
}

std::string projection_table(const CalibrationProblem& problem, const Evaluation& e, double tolerance) {
  const auto& published = problem.published();
  if (!published.projection || !std::isfinite(e.employment_scale)) return "";
  const ProjectionTargets& p = *published.projection;
  const auto& targets = problem.targets();
  std::ostringstream out;
  out << "| year | output, Table 3 | output, simulated | error | employment, Table 3 | employment, simulated | error |\n"
      << "|---|---|---|---|---|---|---|\n";
  bool all_within = true;
  for (std::size_t y = 0; y < p.years.size(); ++y) {
    const std::string year = std::to_string(p.years[y]);
    const std::size_t oi = index_of(targets, "output " + year), ei = index_of(targets, "employment " + year);
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
  if (!problem.published().projection || !std::isfinite(e.employment_scale)) return kNaN;
  double worst = 0;
  const auto& targets = problem.targets();
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (targets[i].kind != TargetKind::projection) continue;
    const double error = std::abs(e.mean[i] / targets[i].published - 1.0);
    worst = std::isfinite(error) ? std::max(worst, error) : kInfinity;
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

std::string parameter_draws_yaml(const CalibrationProblem& problem, const std::vector<std::vector<double>>& draws, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  auto list = [](const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
    return out + "]";
  };
  std::vector<std::string> names, keys;
  for (const FreeParameter& p : problem.settings().free) names.push_back(p.name);
  if (!draws.empty()) {
    for (const auto& [key, value] : problem.scenario_values(draws.front())) keys.push_back(key);
  }
  std::ostringstream out;
  out << pad << "parameter_draws:\n"
      << pad << "  # N(estimate, (G'WG + 12 I)^-1) in the unit cube of the search, truncated to the bounds (docs/calibration.md)\n"
      << pad << "  parameters: " << list(names) << "\n"
      << pad << "  keys: " << list(keys) << "\n"
      << pad << "  free_values:\n";
  for (const auto& draw : draws) {
    std::vector<std::string> cells;
    for (const double v : draw) cells.push_back(format_number(v, "%.6g"));
    out << pad << "    - " << list(cells) << "\n";
  }
  out << pad << "  values:\n";
  for (const auto& draw : draws) {
    std::vector<std::string> cells;
    for (const auto& [key, value] : problem.scenario_values(draw)) cells.push_back(format_number(value, "%.6g"));
    out << pad << "    - " << list(cells) << "\n";
  }
  return out.str();
}

CalibrationTargets synthetic_targets(const CalibrationProblem& problem, const Evaluation& e) {
  CalibrationTargets t = problem.published();
  t.source = "<synthetic>";
  const auto& targets = problem.targets();
  auto value = [&](const std::string& name) {
    const std::size_t i = index_of(targets, name);
    return i < targets.size() ? e.mean[i] : kNaN;
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
    m->median = m->mean + value("median-mean" + series);
    m->min = m->mean + value("min-mean" + series);
    m->sd = value("sd" + series);
  }
  if (t.correlations) {
    t.correlations->capital_labour = value("corr K,L");
    t.correlations->capital_technology = value("corr K,A");
    t.correlations->labour_technology = value("corr L,A");
  }
  for (ExternalMoment& m : t.external) m.value = value(m.name);
  if (t.projection && std::isfinite(e.employment_scale)) {
    for (std::size_t y = 0; y < t.projection->years.size(); ++y) {
      const std::string year = std::to_string(t.projection->years[y]);
      t.projection->output[y] = value("output " + year);
      t.projection->accumulated_employment[y] = value("employment " + year);
    }
  }
  return t;
}

}  // namespace convsim::analysis
