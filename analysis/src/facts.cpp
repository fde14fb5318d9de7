// Stylised facts: estimators on vectors and their measurement on a convsim result. The ranges and
// their sources are listed in docs/analysis.md ("Stylised facts: convsim facts").
#include "convsim/analysis/facts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <numeric>

#include "convsim/analysis/calibration.hpp"
#include "convsim/analysis/compare.hpp"
#include "convsim/errors.hpp"

namespace convsim::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Maximises f on [low, high] by golden-section search until the bracket is narrower than tolerance.
double golden_maximum(const std::function<double(double)>& f, double low, double high, double tolerance) {
  const double ratio = (std::sqrt(5.0) - 1.0) / 2.0;
  double x1 = high - ratio * (high - low);
  double x2 = low + ratio * (high - low);
  double f1 = f(x1);
  double f2 = f(x2);
  while (high - low > tolerance) {
    if (f1 < f2) {
      low = x1;
      x1 = x2;
      f1 = f2;
      x2 = low + ratio * (high - low);
      f2 = f(x2);
    } else {
      high = x2;
      x2 = x1;
      f2 = f1;
      x1 = high - ratio * (high - low);
      f1 = f(x1);
    }
  }
  return 0.5 * (low + high);
}

// Slope of the OLS line of y on x (with a constant); NaN when x has no spread.
double ols_slope(const std::vector<double>& x, const std::vector<double>& y) {
  const double mx = sample_mean(x);
  const double my = sample_mean(y);
  double sxy = 0;
  double sxx = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  return sxx > 0 ? sxy / sxx : kNaN;
}

// The positive finite values of `sizes`, largest first.
std::vector<double> positive_descending(const std::vector<double>& sizes) {
  std::vector<double> out;
  out.reserve(sizes.size());
  for (double s : sizes) {
    if (std::isfinite(s) && s > 0) out.push_back(s);
  }
  std::sort(out.begin(), out.end(), std::greater<>());
  return out;
}

std::size_t tail_count(std::size_t n, double tail_share) {
  return std::min(n, static_cast<std::size_t>(std::ceil(tail_share * static_cast<double>(n))));
}

}  // namespace

//---- estimators ----

double subbotin_log_density(double x, double b, double a, double mu) {
  return -std::pow(std::fabs(x - mu) / a, b) / b - std::log(2.0 * a) - std::log(b) / b - std::lgamma(1.0 + 1.0 / b);
}

SubbotinFit fit_subbotin(const std::vector<double>& sample) {
  SubbotinFit fit{kNaN, kNaN, kNaN, kNaN, sample.size()};
  if (sample.size() < 3) return fit;
  const auto [lowest, highest] = std::minmax_element(sample.begin(), sample.end());
  const double range = *highest - *lowest;
  if (!(range > 0) || !std::isfinite(range)) return fit;
  const double n = static_cast<double>(sample.size());
  // The log-likelihood with a at its ML value for (b, mu), from m = mean |x - mu|^b = a^b.
  const auto likelihood = [&](double b, double mean) {
    if (!(mean > 0)) return -std::numeric_limits<double>::infinity();
    return -n * (std::log(2.0) + std::lgamma(1.0 + 1.0 / b) + std::log(b) / b + std::log(mean) / b + 1.0 / b);
  };
  const auto mean_power = [&](double b, double mu) {
    double sum = 0;
    for (double x : sample) sum += std::pow(std::fabs(x - mu), b);
    return sum / n;
  };
  // While b is searched with mu fixed, |x - mu|^b = exp(b ln|x - mu|) from logs taken once.
  std::vector<double> log_distance(sample.size());
  const auto mean_exp = [&](double b) {
    double sum = 0;
    for (double l : log_distance) sum += std::exp(b * l);
    return sum / n;
  };
  double mu = sample_quantile(sample, 0.5);
  double b = 1.0;
  const double mu_tolerance = 1e-9 * range;
  for (int round = 0; round < 50; ++round) {
    for (std::size_t i = 0; i < sample.size(); ++i) log_distance[i] = std::log(std::fabs(sample[i] - mu));
    const double log_b = golden_maximum([&](double lb) { return likelihood(std::exp(lb), mean_exp(std::exp(lb))); },
                                        std::log(0.2), std::log(20.0), 1e-7);
    const double b_next = std::exp(log_b);
    const double mu_next = golden_maximum([&](double m) { return likelihood(b_next, mean_power(b_next, m)); }, *lowest,
                                          *highest, mu_tolerance);
    const bool settled = std::fabs(b_next - b) < 1e-6 && std::fabs(mu_next - mu) < 10 * mu_tolerance;
    b = b_next;
    mu = mu_next;
    if (settled) break;
  }
  const double mean = mean_power(b, mu);
  fit.shape_b = b;
  fit.location_mu = mu;
  fit.width_a = std::pow(mean, 1.0 / b);
  fit.log_likelihood = likelihood(b, mean);
  return fit;
}

TailFit zipf_rank_size(const std::vector<double>& sizes, double tail_share) {
  const std::vector<double> sorted = positive_descending(sizes);
  const std::size_t k = tail_count(sorted.size(), tail_share);
  TailFit fit{kNaN, kNaN, k, k > 0 ? sorted[k - 1] : kNaN};
  if (k < 3) return fit;
  std::vector<double> log_size(k);
  std::vector<double> log_rank(k);
  for (std::size_t i = 0; i < k; ++i) {
    log_size[i] = std::log(sorted[i]);
    log_rank[i] = std::log(static_cast<double>(i + 1) - 0.5);
  }
  fit.exponent = -ols_slope(log_size, log_rank);
  fit.standard_error = fit.exponent * std::sqrt(2.0 / static_cast<double>(k));
  return fit;
}

TailFit zipf_hill(const std::vector<double>& sizes, double tail_share) {
  const std::vector<double> sorted = positive_descending(sizes);
  const std::size_t k = std::min(tail_count(sorted.size(), tail_share), sorted.empty() ? 0 : sorted.size() - 1);
  TailFit fit{kNaN, kNaN, k, k > 0 ? sorted[k] : kNaN};
  if (k < 3) return fit;
  double sum = 0;
  for (std::size_t i = 0; i < k; ++i) sum += std::log(sorted[i] / sorted[k]);
  if (!(sum > 0)) return fit;
  fit.exponent = static_cast<double>(k) / sum;
  fit.standard_error = fit.exponent / std::sqrt(static_cast<double>(k));
  return fit;
}

double size_variance_slope(const std::vector<double>& log_size, const std::vector<double>& growth, int bins) {
  if (log_size.size() != growth.size() || bins < 3) return kNaN;
  const std::size_t n = log_size.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return log_size[a] < log_size[b]; });
  std::vector<double> bin_size;
  std::vector<double> bin_log_sd;
  const auto B = static_cast<std::size_t>(bins);
  for (std::size_t j = 0; j < B; ++j) {
    const std::size_t begin = j * n / B;
    const std::size_t end = (j + 1) * n / B;
    if (end - begin < 2) continue;
    std::vector<double> sizes;
    std::vector<double> rates;
    for (std::size_t r = begin; r < end; ++r) {
      sizes.push_back(log_size[order[r]]);
      rates.push_back(growth[order[r]]);
    }
    const double sd = sample_sd(rates);
    if (!(sd > 0)) continue;
    bin_size.push_back(sample_mean(sizes));
    bin_log_sd.push_back(std::log(sd));
  }
  if (bin_size.size() < 3) return kNaN;
  return ols_slope(bin_size, bin_log_sd);
}

double ratio_90_10(const std::vector<double>& values) {
  if (values.size() < 2) return kNaN;
  const double p10 = sample_quantile(values, 0.10);
  if (!(p10 > 0)) return kNaN;
  return sample_quantile(values, 0.90) / p10;
}

double correlation(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) return kNaN;
  const double mx = sample_mean(x);
  const double my = sample_mean(y);
  double sxy = 0;
  double sxx = 0;
  double syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : kNaN;
}

double autocorrelation(const std::vector<double>& x, int lag) {
  if (lag < 0 || x.size() <= static_cast<std::size_t>(lag)) return kNaN;
  const double m = sample_mean(x);
  double numerator = 0;
  double denominator = 0;
  for (std::size_t t = 0; t < x.size(); ++t) {
    denominator += (x[t] - m) * (x[t] - m);
    if (t >= static_cast<std::size_t>(lag)) numerator += (x[t] - m) * (x[t - static_cast<std::size_t>(lag)] - m);
  }
  return denominator > 0 ? numerator / denominator : kNaN;
}

std::vector<double> log_growth(const std::vector<double>& levels) {
  std::vector<double> out;
  for (std::size_t t = 1; t < levels.size(); ++t) out.push_back(std::log(levels[t] / levels[t - 1]));
  return out;
}

ExitByAge exit_by_age(const std::vector<FirmPairRecord>& firms, double young_age_years) {
  ExitByAge out;
  for (const FirmPairRecord& firm : firms) {
    if (!firm.alive_before) continue;
    const bool exited = !firm.alive_after || !firm.same_firm;
    if (firm.age_years < young_age_years) {
      ++out.young_firms;
      out.young_exits += exited ? 1 : 0;
    } else {
      ++out.old_firms;
      out.old_exits += exited ? 1 : 0;
    }
  }
  out.young_rate = out.young_firms > 0 ? double(out.young_exits) / double(out.young_firms) : kNaN;
  out.old_rate = out.old_firms > 0 ? double(out.old_exits) / double(out.old_firms) : kNaN;
  out.ratio = out.old_rate > 0 ? out.young_rate / out.old_rate : kNaN;
  return out;
}

//---- the facts of a result ----

namespace {

// Empirical ranges. Each is documented, with its source, in docs/analysis.md.
struct Range {
  double low;
  double high;
  const char* source;
};

// Penn World Table 10.1, Korea 1990-2009 (data/pwt101_korea_1990_2009.csv): s.d. of the 19 annual
// log growth rates of rgdpna 0.03714, its 95 % interval from the chi-square distribution with 18
// degrees of freedom; first-order autocorrelation -0.0544 +- 1.96 / sqrt(19); labsh 0.506..0.573.
constexpr Range kShapeB{0.7, 1.3, "Bottazzi & Secchi (2003, 2006); Bottazzi, Cefis, Dosi & Secchi (2007): b near 1 (Laplace)"};
constexpr Range kWidthA{0.05, 0.30, "Bottazzi & Secchi (2003, 2006); Bottazzi, Cefis, Dosi & Secchi (2007)"};
constexpr Range kSizeSlope{-0.23, -0.12, "Stanley et al. (1996): -0.15 +- 0.03; Amaral et al. (1997): -0.18 +- 0.03 (employees), -0.20 +- 0.03 (sales)"};
constexpr Range kZipf{0.953, 1.165, "Axtell (2001): 1.059, s.e. 0.054 (95 % interval)"};
constexpr Range kDispersion{2.0, 4.0, "Syverson (2004, 2011): within-industry 90/10 of productivity about 2 (TFP 1.92) to 4 (labour productivity)"};
constexpr Range kVolatility{0.02806, 0.05492, "Penn World Table 10.1 rgdpna, Korea 1991-2009: 0.0371 (95 % interval)"};
constexpr Range kAutocorrelation{-0.5040, 0.3953, "Penn World Table 10.1 rgdpna, Korea 1991-2009: -0.054 (95 % interval, +-1.96/sqrt(19))"};
constexpr Range kComovement{0.228, 0.341, "Shea (2002): mean pairwise correlation of annual growth, 126 US manufacturing industries (value added 0.228, gross output 0.284, employment 0.341)"};
constexpr Range kExitRatio{1.5, 4.0, "Haltiwanger, Jarmin & Miranda (2013), US Business Dynamics Statistics: young firms exit several times as often as mature ones"};
constexpr Range kLabourShare{0.506, 0.573, "Penn World Table 10.1 labsh, Korea 1990-2009: mean 0.534, range 0.506-0.573"};
constexpr Range kEmploymentLabourForce{0.0, 1.0, "accounting identity: employment cannot exceed the labour force"};

constexpr int kMinimumGrowthYears = 5;
constexpr std::size_t kMinimumGrowthRates = 30;
constexpr std::size_t kMinimumSectorFirms = 10;
constexpr std::size_t kMinimumTailFirms = 10;
constexpr double kYoungAgeYears = 5.0;

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

Fact make_fact(const char* name, const char* description, const Range& range, const char* units, const char* estimator) {
  Fact fact;
  fact.name = name;
  fact.description = description;
  fact.low = range.low;
  fact.high = range.high;
  fact.units = units;
  fact.estimator = estimator;
  fact.source = range.source;
  return fact;
}

// Sets the value and ok (inside the closed range); a non-finite value is "not measurable".
void set_value(Fact& fact, double value, const std::string& detail) {
  fact.detail = detail;
  if (!std::isfinite(value)) {
    fact.value.reset();
    fact.ok = false;
    if (fact.detail.empty()) fact.detail = "not measurable";
    return;
  }
  fact.value = value;
  fact.ok = value >= fact.low && value <= fact.high;
}

void not_measurable(Fact& fact, const std::string& why) {
  fact.value.reset();
  fact.ok = false;
  fact.detail = "not measurable: " + why;
}

// The annual means of a [T] series over the selected years.
std::vector<double> annual_means(const std::vector<double>& values, const std::vector<YearSteps>& years) {
  std::vector<double> out;
  for (const YearSteps& year : years) {
    double sum = 0;
    for (std::size_t t = year.begin; t < year.end; ++t) sum += values[t];
    out.push_back(sum / static_cast<double>(year.end - year.begin));
  }
  return out;
}

// Log growth rates between consecutive selected years; false when a level is not positive.
bool consecutive_growth(const std::vector<double>& annual, const std::vector<YearSteps>& years, std::vector<double>& growth) {
  growth.clear();
  for (std::size_t i = 1; i < annual.size(); ++i) {
    if (!(annual[i] > 0) || !(annual[i - 1] > 0)) return false;
    if (years[i].year == years[i - 1].year + 1) growth.push_back(std::log(annual[i] / annual[i - 1]));
  }
  return true;
}

const Series* first_aggregate(const RunResult& run, std::initializer_list<const char*> names, std::string& used) {
  for (const char* name : names) {
    if (const Series* s = run.find_aggregate(name)) {
      used = name;
      return s;
    }
  }
  return nullptr;
}

const FirmColumn* firm_column(const FirmSnapshot& snapshot, const std::string& name) {
  for (const FirmColumn& column : snapshot.columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

// The columns of one snapshot the facts read; throws InputError naming the missing one.
struct SnapshotColumns {
  const std::vector<double>* alive;
  const std::vector<double>* employment;
  const std::vector<double>* output;
  const std::vector<double>* sector;
  const std::vector<double>* age;
};

SnapshotColumns snapshot_columns(const FirmSnapshot& snapshot, const std::string& source) {
  SnapshotColumns columns{};
  const std::pair<const char*, const std::vector<double>**> wanted[] = {{"alive", &columns.alive},
                                                                        {"employment", &columns.employment},
                                                                        {"output", &columns.output},
                                                                        {"sector", &columns.sector},
                                                                        {"age", &columns.age}};
  for (const auto& [name, target] : wanted) {
    const FirmColumn* column = firm_column(snapshot, name);
    if (column == nullptr) {
      throw InputError(source, 0, std::string("/firms/") + name,
                       std::string("the firm snapshots have no column '") + name +
                           "'; convsim facts needs alive, employment, output, sector and age (a result of this "
                           "convsim version has them)");
    }
    *target = &column->values;
  }
  return columns;
}

bool alive_at(const SnapshotColumns& c, std::size_t i) { return i < c.alive->size() && (*c.alive)[i] > 0.5; }

std::string snapshot_years_text(const RunResult& run) {
  if (run.snapshots.empty()) return "this file has no firm snapshots";
  std::string text = "this file has snapshots at";
  for (const FirmSnapshot& s : run.snapshots) text += " " + number(s.time);
  return text;
}

void measure_output_growth(const RunResult& run, const std::vector<YearSteps>& years, Fact& volatility, Fact& persistence) {
  std::string used;
  const Series* output = first_aggregate(run, {"real_output", "output"}, used);
  if (output == nullptr) {
    const char* why = "the result has neither /aggregate/real_output nor /aggregate/output";
    not_measurable(volatility, why);
    not_measurable(persistence, why);
    return;
  }
  std::vector<double> growth;
  if (!consecutive_growth(annual_means(output->values, years), years, growth)) {
    not_measurable(volatility, "/aggregate/" + used + " is not positive in every year");
    not_measurable(persistence, "/aggregate/" + used + " is not positive in every year");
    return;
  }
  if (growth.size() < static_cast<std::size_t>(kMinimumGrowthYears)) {
    const std::string why = std::to_string(growth.size()) + " annual growth rates; needs at least " +
                            std::to_string(kMinimumGrowthYears) + " (a longer run or year range)";
    not_measurable(volatility, why);
    not_measurable(persistence, why);
    return;
  }
  const std::string basis = std::to_string(growth.size()) + " annual log growth rates of /aggregate/" + used + " (" +
                            std::to_string(years.front().year + 1) + "-" + std::to_string(years.back().year) + ")";
  set_value(volatility, sample_sd(growth), basis);
  set_value(persistence, autocorrelation(growth, 1), basis);
}

void measure_comovement(const RunResult& run, const std::vector<YearSteps>& years, Fact& fact) {
  const SectorSeries* output = run.find_by_sector("real_output");
  std::string used = "real_output";
  if (output == nullptr) {
    output = run.find_by_sector("output");
    used = "output";
  }
  const std::size_t S = run.sectors.size();
  if (output == nullptr || S < 2) {
    not_measurable(fact, output == nullptr ? "the result has neither /by_sector/real_output nor /by_sector/output"
                                           : "needs at least two sectors");
    return;
  }
  std::vector<std::vector<double>> growth;
  std::vector<double> total(years.size(), 0.0);
  std::size_t skipped = 0;
  for (std::size_t s = 0; s < S; ++s) {
    std::vector<double> column(run.time.size());
    for (std::size_t t = 0; t < run.time.size(); ++t) column[t] = output->values[t * S + s];
    const std::vector<double> annual = annual_means(column, years);
    for (std::size_t i = 0; i < annual.size(); ++i) total[i] += annual[i];
    std::vector<double> g;
    if (consecutive_growth(annual, years, g) && sample_sd(g) > 0) {
      growth.push_back(std::move(g));
    } else {
      ++skipped;
    }
  }
  if (growth.size() < 2 || growth.front().size() < static_cast<std::size_t>(kMinimumGrowthYears)) {
    not_measurable(fact, "needs two sectors with positive, varying output over at least " +
                             std::to_string(kMinimumGrowthYears) + " annual growth rates");
    return;
  }
  double pair_sum = 0;
  std::size_t pairs = 0;
  for (std::size_t i = 0; i < growth.size(); ++i) {
    for (std::size_t j = i + 1; j < growth.size(); ++j) {
      pair_sum += correlation(growth[i], growth[j]);
      ++pairs;
    }
  }
  std::vector<double> aggregate;
  consecutive_growth(total, years, aggregate);
  double with_aggregate = 0;
  for (const auto& g : growth) with_aggregate += correlation(g, aggregate);
  with_aggregate /= static_cast<double>(growth.size());
  set_value(fact, pair_sum / static_cast<double>(pairs),
            std::to_string(growth.size()) + " sectors of /by_sector/" + used + " (" + std::to_string(skipped) +
                " without positive varying output left out), " + std::to_string(growth.front().size()) +
                " annual growth rates; mean correlation with the sum of the sectors: " + number(with_aggregate));
}

void measure_labour_share(const RunResult& run, const std::vector<YearSteps>& years, Fact& fact) {
  std::string output_name;
  const Series* output = first_aggregate(run, {"nominal_output", "output"}, output_name);
  const Series* wage_bill = run.find_aggregate("wage_bill");
  const Series* wage = run.find_aggregate("wage");
  const Series* employment = run.find_aggregate("employment");
  if (output == nullptr || (wage_bill == nullptr && (wage == nullptr || employment == nullptr))) {
    not_measurable(fact, "needs /aggregate/output and either /aggregate/wage_bill or /aggregate/wage and "
                         "/aggregate/employment");
    return;
  }
  std::vector<double> bill(run.time.size());
  for (std::size_t t = 0; t < run.time.size(); ++t) {
    bill[t] = wage_bill != nullptr ? wage_bill->values[t] : wage->values[t] * employment->values[t];
  }
  const std::vector<double> annual_bill = annual_means(bill, years);
  const std::vector<double> annual_output = annual_means(output->values, years);
  std::vector<double> shares;
  for (std::size_t i = 0; i < years.size(); ++i) {
    if (annual_output[i] > 0) shares.push_back(annual_bill[i] / annual_output[i]);
  }
  if (shares.empty()) {
    not_measurable(fact, "/aggregate/" + output_name + " is never positive");
    return;
  }
  const auto [lowest, highest] = std::minmax_element(shares.begin(), shares.end());
  set_value(fact, sample_mean(shares),
            "mean over " + std::to_string(shares.size()) + " years of " +
                (wage_bill != nullptr ? std::string("/aggregate/wage_bill") : std::string("wage x employment")) +
                " / /aggregate/" + output_name + "; annual shares " + number(*lowest) + " to " + number(*highest));
}

void measure_employment_bound(const RunResult& run, const std::vector<YearSteps>& years, Fact& fact) {
  std::string force_name;
  const Series* force = first_aggregate(run, {"labour_force", "labour_supply"}, force_name);
  const Series* employment = run.find_aggregate("employment");
  if (force == nullptr || employment == nullptr) {
    not_measurable(fact, "needs /aggregate/employment and /aggregate/labour_force (or labour_supply)");
    return;
  }
  double worst = -std::numeric_limits<double>::infinity();
  std::size_t steps = 0;
  std::size_t above = 0;
  double worst_year = kNaN;
  for (const YearSteps& year : years) {
    for (std::size_t t = year.begin; t < year.end; ++t) {
      ++steps;
      const double e = employment->values[t];
      const double l = force->values[t];
      if (e > l) ++above;
      const double ratio = l > 0 ? e / l : (e > 0 ? std::numeric_limits<double>::infinity() : 0.0);
      if (ratio > worst) {
        worst = ratio;
        worst_year = run.time[t];
      }
    }
  }
  set_value(fact, worst,
            "largest employment / " + force_name + " over " + std::to_string(steps) + " steps (at " +
                number(worst_year) + "); steps with employment above " + force_name + ": " + std::to_string(above));
  // The bound holds in every step or not at all: a ratio that rounds to 1 is not enough.
  fact.ok = fact.value.has_value() && above == 0;
}

// Firm growth rates and exits of the snapshot pairs one year apart.
struct FirmPanel {
  std::vector<double> growth;    // ln(L_t+1 / L_t), demeaned within each pair
  std::vector<double> log_size;  // ln L_t
  std::vector<FirmPairRecord> records;
  std::vector<std::string> pairs;  // "2019-2020"
};

FirmPanel firm_panel(const RunResult& run, const std::vector<std::pair<std::size_t, std::size_t>>& pairs,
                     const std::string& source) {
  FirmPanel panel;
  const double steps_per_year = std::max(1, run.steps_per_year);
  for (const auto& [k, j] : pairs) {
    const SnapshotColumns before = snapshot_columns(run.snapshots[k], source);
    const SnapshotColumns after = snapshot_columns(run.snapshots[j], source);
    panel.pairs.push_back(number(run.snapshots[k].time) + "-" + number(run.snapshots[j].time));
    const std::size_t first = panel.growth.size();
    for (std::size_t i = 0; i < before.alive->size(); ++i) {
      if (!alive_at(before, i)) continue;
      FirmPairRecord record;
      record.alive_before = true;
      record.alive_after = alive_at(after, i);
      const double age = (*before.age)[i];
      record.age_years = age / steps_per_year;
      record.same_firm = !record.alive_after || !((*after.age)[i] + 0.5 < age + steps_per_year);
      panel.records.push_back(record);
      const double l0 = (*before.employment)[i];
      const double l1 = record.alive_after ? (*after.employment)[i] : 0.0;
      if (record.alive_after && record.same_firm && l0 > 0 && l1 > 0 && std::isfinite(l0) && std::isfinite(l1)) {
        panel.growth.push_back(std::log(l1 / l0));
        panel.log_size.push_back(std::log(l0));
      }
    }
    if (panel.growth.size() > first) {
      const std::vector<double> these(panel.growth.begin() + static_cast<std::ptrdiff_t>(first), panel.growth.end());
      const double mean = sample_mean(these);
      for (std::size_t g = first; g < panel.growth.size(); ++g) panel.growth[g] -= mean;
    }
  }
  return panel;
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

void measure_firm_growth(const FirmPanel& panel, const FactsOptions& options, Fact& shape, Fact& width, Fact& slope) {
  const std::string basis = std::to_string(panel.growth.size()) + " employment growth rates ln(L_t+1/L_t) of firms alive in " +
                            "both snapshots of " + joined(panel.pairs) + ", demeaned by pair";
  if (panel.growth.size() < kMinimumGrowthRates) {
    const std::string why = basis + "; needs at least " + std::to_string(kMinimumGrowthRates);
    not_measurable(shape, why);
    not_measurable(width, why);
  } else {
    const SubbotinFit fit = fit_subbotin(panel.growth);
    set_value(shape, fit.shape_b, basis + "; ML location " + number(fit.location_mu));
    set_value(width, fit.width_a, basis + "; ML shape b " + number(fit.shape_b));
  }
  const auto needed = static_cast<std::size_t>(10 * options.size_bins);
  if (panel.growth.size() < needed) {
    not_measurable(slope, basis + "; needs at least " + std::to_string(needed) + " (10 per size bin)");
  } else {
    set_value(slope, size_variance_slope(panel.log_size, panel.growth, options.size_bins),
              basis + "; " + std::to_string(options.size_bins) + " equal-count bins of ln L_t");
  }
}

void measure_exits(const FirmPanel& panel, Fact& fact) {
  const ExitByAge exits = exit_by_age(panel.records, kYoungAgeYears);
  const std::string counts = "young (age < 5 years): " + std::to_string(exits.young_exits) + " exits of " +
                             std::to_string(exits.young_firms) + " (rate " + number(exits.young_rate) +
                             "); old: " + std::to_string(exits.old_exits) + " of " + std::to_string(exits.old_firms) +
                             " (rate " + number(exits.old_rate) + "); pairs " + joined(panel.pairs);
  if (exits.young_firms == 0 || exits.old_firms == 0 || exits.old_exits == 0) {
    not_measurable(fact, counts + (exits.old_exits == 0 && exits.old_firms > 0 ? "; no old firm exited" : ""));
    return;
  }
  set_value(fact, exits.ratio, counts);
}

void measure_snapshots(const RunResult& run, const std::vector<std::size_t>& selected, const FactsOptions& options,
                       const std::string& source, Fact& zipf, Fact& dispersion) {
  std::vector<double> exponents;
  std::string per_snapshot;
  bool all_inside = true;
  double dispersion_sum = 0;
  std::size_t cells = 0;
  double dispersion_low = std::numeric_limits<double>::infinity();
  double dispersion_high = -std::numeric_limits<double>::infinity();
  for (const std::size_t k : selected) {
    const FirmSnapshot& snapshot = run.snapshots[k];
    const SnapshotColumns c = snapshot_columns(snapshot, source);
    std::vector<double> employment;
    std::map<int, std::vector<double>> productivity;
    for (std::size_t i = 0; i < c.alive->size(); ++i) {
      if (!alive_at(c, i)) continue;
      const double l = (*c.employment)[i];
      const double y = (*c.output)[i];
      if (!(l > 0)) continue;
      employment.push_back(l);
      if (y > 0) productivity[static_cast<int>((*c.sector)[i])].push_back(y / l);
    }
    const TailFit tail = zipf_rank_size(employment, options.zipf_tail_share);
    const TailFit hill = zipf_hill(employment, options.zipf_tail_share);
    if (tail.tail_size >= kMinimumTailFirms && std::isfinite(tail.exponent)) {
      exponents.push_back(tail.exponent);
      all_inside = all_inside && tail.exponent >= zipf.low && tail.exponent <= zipf.high;
      per_snapshot += (per_snapshot.empty() ? "" : "; ") + number(snapshot.time) + ": " + number(tail.exponent) +
                      " (Hill " + number(hill.exponent) + ", top " + std::to_string(tail.tail_size) + " firms)";
    }
    for (const auto& [sector, values] : productivity) {
      if (values.size() < kMinimumSectorFirms) continue;
      const double ratio = ratio_90_10(values);
      if (!std::isfinite(ratio)) continue;
      dispersion_sum += ratio;
      ++cells;
      dispersion_low = std::min(dispersion_low, ratio);
      dispersion_high = std::max(dispersion_high, ratio);
    }
  }
  if (exponents.empty()) {
    not_measurable(zipf, "no snapshot has " + std::to_string(kMinimumTailFirms) + " firms in its upper tail");
  } else {
    set_value(zipf, sample_mean(exponents), "mean over snapshots; " + per_snapshot);
    zipf.ok = all_inside;  // every snapshot inside the range, not only the mean
  }
  if (cells == 0) {
    not_measurable(dispersion, "no sector of a snapshot has " + std::to_string(kMinimumSectorFirms) +
                                   " firms with positive output and employment");
  } else {
    set_value(dispersion, dispersion_sum / static_cast<double>(cells),
              "mean over " + std::to_string(cells) + " sector-snapshot cells (unweighted plants' p90/p10 of output / "
              "employment); cells " + number(dispersion_low) + " to " + number(dispersion_high));
  }
}

}  // namespace

std::vector<Fact> measure_facts(const RunResult& run, const std::string& source, const FactsOptions& options) {
  if (options.year_from && options.year_to && *options.year_from > *options.year_to) {
    throw InputError(source, 0, "--year-from", "the year range " + std::to_string(*options.year_from) + ".." +
                                                   std::to_string(*options.year_to) + " is empty");
  }
  std::vector<YearSteps> years;
  for (const YearSteps& year : complete_years(run.time, run.steps_per_year)) {
    if ((!options.year_from || year.year >= *options.year_from) && (!options.year_to || year.year <= *options.year_to)) {
      years.push_back(year);
    }
  }
  if (years.empty()) {
    throw InputError(source, 0, "/time", "the result holds no complete year in the range asked for");
  }
  const auto in_range = [&](double time) {
    const int year = static_cast<int>(std::floor(time + 1e-6));
    return year >= years.front().year && year <= years.back().year;
  };
  std::vector<std::size_t> selected;
  for (std::size_t k = 0; k < run.snapshots.size(); ++k) {
    if (in_range(run.snapshots[k].time)) selected.push_back(k);
  }
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (const std::size_t k : selected) {
    for (const std::size_t j : selected) {
      if (std::fabs(run.snapshots[j].time - run.snapshots[k].time - 1.0) < 1e-6) {
        pairs.emplace_back(k, j);
        break;
      }
    }
  }
  if (pairs.empty()) {
    throw InputError(source, 0, "/firms",
                     "convsim facts needs firm snapshots in two consecutive years within " +
                         std::to_string(years.front().year) + "-" + std::to_string(years.back().year) +
                         " (firm growth, exits by age); set output.snapshot_years in the scenario, e.g. [2019, 2020], "
                         "and run it again (" + snapshot_years_text(run) + ")");
  }

  // The facts in output order: name, description, range, estimator. All are dimensionless.
  const struct {
    const char* name;
    const char* description;
    const Range& range;
    const char* estimator;
  } definitions[] = {
      {"growth_rate_shape_b", "firm growth-rate distribution: Subbotin shape b (1 = Laplace)", kShapeB,
       "maximum likelihood, Subbotin (b, a, mu) on pooled employment growth rates"},
      {"growth_rate_width_a", "firm growth-rate distribution: Subbotin width a", kWidthA, "maximum likelihood, with b"},
      {"growth_sd_size_slope", "slope of ln s.d. of firm growth rates on ln size", kSizeSlope,
       "OLS of ln s.d. of growth on mean ln employment over equal-count size bins"},
      {"zipf_exponent", "Zipf tail exponent of firm employment (every snapshot)", kZipf,
       "OLS rank-size with the Gabaix-Ibragimov rank - 1/2 correction on the largest 10 % of firms"},
      {"productivity_dispersion_90_10", "within-sector labour-productivity dispersion p90/p10", kDispersion,
       "p90/p10 of output / employment by sector and snapshot, unweighted"},
      {"output_growth_volatility", "s.d. of annual real output growth", kVolatility,
       "sample s.d. (n - 1) of annual log growth of annual mean real output"},
      {"output_growth_autocorrelation", "first-order autocorrelation of annual output growth", kAutocorrelation,
       "sample autocorrelation at lag 1"},
      {"sector_comovement", "mean pairwise correlation of sector output growth", kComovement,
       "mean over sector pairs of the Pearson correlation of annual log output growth"},
      {"exit_rate_young_old_ratio", "exit rate of young firms (< 5 years) / of older firms", kExitRatio,
       "exits between snapshots one year apart, by age in the first"},
      {"labour_share", "labour share: wage bill / output", kLabourShare,
       "mean over years of annual wage bill / annual output"},
      {"employment_within_labour_force", "employment / labour force, largest over all steps", kEmploymentLabourForce,
       "max over steps of employment / labour force; ok when no step exceeds 1"},
  };
  std::vector<Fact> facts;
  for (const auto& d : definitions) facts.push_back(make_fact(d.name, d.description, d.range, "1", d.estimator));

  const FirmPanel panel = firm_panel(run, pairs, source);
  measure_firm_growth(panel, options, facts[0], facts[1], facts[2]);
  measure_snapshots(run, selected, options, source, facts[3], facts[4]);
  measure_output_growth(run, years, facts[5], facts[6]);
  measure_comovement(run, years, facts[7]);
  measure_exits(panel, facts[8]);
  measure_labour_share(run, years, facts[9]);
  measure_employment_bound(run, years, facts[10]);
  return facts;
}

}  // namespace convsim::analysis
