// Stylised facts of macro agent-based models (the validation set of Fagiolo, Guerini, Lamperti,
// Moneta & Roventini 2019): the estimators, as pure functions on vectors, and their measurement on
// a convsim result, each beside its empirical range and source. `convsim facts RESULT.h5` prints
// them; docs/analysis.md ("Stylised facts: convsim facts") lists facts, estimators, ranges and
// sources.
//
// @code
//   const RunResult run = read_result("baseline.h5");
//   const std::vector<Fact> facts = measure_facts(run, "baseline.h5");
//   for (const Fact& f : facts) std::cout << f.name << " " << f.value.value_or(NAN) << " " << f.ok << "\n";
// @endcode
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "convsim/result.hpp"

namespace convsim::analysis {

//---- estimators ----

// Maximum-likelihood fit of the Subbotin (exponential power) density
//   f(x) = exp(-|x - mu|^b / (b a^b)) / (2 a b^(1/b) Gamma(1 + 1/b)),
// the parametrisation of Bottazzi & Secchi (2006): b = 1 is the Laplace, b = 2 the normal with
// standard deviation a.
struct SubbotinFit {
  double shape_b = 0;        // b
  double width_a = 0;        // a
  double location_mu = 0;    // mu
  double log_likelihood = 0; // at the estimate
  std::size_t observations = 0;
};

// The log density above at x.
double subbotin_log_density(double x, double b, double a, double mu);

// The ML estimate of (b, a, mu) from `sample`: a is profiled out in closed form
// (a^b = mean |x - mu|^b), b is searched on [0.2, 20] and mu on the sample's range by golden
// section, alternating until neither moves. All fields are NaN when the sample has fewer than
// three values or no spread.
SubbotinFit fit_subbotin(const std::vector<double>& sample);

// An estimate of the tail exponent zeta of P(S > s) ~ s^-zeta on the largest values of a sample.
struct TailFit {
  double exponent = 0;        // zeta
  double standard_error = 0;  // asymptotic
  std::size_t tail_size = 0;  // k: values used
  double threshold = 0;       // the smallest value used
};

// OLS rank-size regression with the Gabaix-Ibragimov (2011) correction on the k = ceil(tail_share * n)
// largest positive values s_(1) >= ... >= s_(k): ln(i - 1/2) = c - zeta ln s_(i); standard error
// zeta sqrt(2 / k). Non-positive and non-finite values are ignored. NaN when k < 3.
TailFit zipf_rank_size(const std::vector<double>& sizes, double tail_share);

// The Hill estimator on the same k largest values: zeta = k / sum_i ln(s_(i) / s_(k+1)); standard
// error zeta / sqrt(k). NaN when k < 3 or no value lies below the tail.
TailFit zipf_hill(const std::vector<double>& sizes, double tail_share);

// Slope of ln sd(growth) on ln size over `bins` equal-count bins of firms sorted by size (each bin:
// the sample standard deviation of its growth rates against the mean of its log sizes), by OLS.
// Bins whose standard deviation is 0 are dropped. NaN when fewer than 3 bins with at least 2 firms
// each remain. `log_size[i]` and `growth[i]` belong to the same firm.
double size_variance_slope(const std::vector<double>& log_size, const std::vector<double>& growth, int bins);

// p90 / p10 of `values` (sample quantiles, linear interpolation as numpy's default). NaN when
// fewer than two values or p10 <= 0.
double ratio_90_10(const std::vector<double>& values);

// Pearson correlation; NaN when either series has no spread or the lengths differ.
double correlation(const std::vector<double>& x, const std::vector<double>& y);

// Sample autocorrelation at `lag`: sum (x_t - m)(x_{t-lag} - m) / sum (x_t - m)^2 (the usual
// estimator, as statsmodels' acf). NaN when the series has no spread or is not longer than lag.
double autocorrelation(const std::vector<double>& x, int lag);

// ln(x_t / x_{t-1}) for t = 1..n-1.
std::vector<double> log_growth(const std::vector<double>& levels);

// One firm slot observed in two snapshots one year apart.
struct FirmPairRecord {
  bool alive_before = false;
  bool alive_after = false;
  bool same_firm = true;      // false when the slot holds another (younger) firm in the second snapshot
  double age_years = 0;       // age in the first snapshot, in years
};

// Exit rates of young (age < young_age_years) and old firms over snapshot pairs: a firm alive in the
// first snapshot that is dead in the second, or whose slot holds another firm there, exited.
struct ExitByAge {
  std::size_t young_firms = 0;
  std::size_t young_exits = 0;
  std::size_t old_firms = 0;
  std::size_t old_exits = 0;
  double young_rate = 0;  // NaN without young firms
  double old_rate = 0;    // NaN without old firms
  double ratio = 0;       // young_rate / old_rate; NaN when undefined (no firms, or no old exit)
};
ExitByAge exit_by_age(const std::vector<FirmPairRecord>& firms, double young_age_years = 5.0);

//---- the facts of a result ----

// One stylised fact: the model's value beside the empirical range.
struct Fact {
  std::string name;              // e.g. "zipf_exponent"
  std::string description;       // one line for people
  std::optional<double> value;   // empty when not measurable
  double low = 0;                // empirical range
  double high = 0;
  bool ok = false;               // measured and low <= value <= high (see each fact)
  std::string units;             // "1" for dimensionless
  std::string estimator;         // how the value is computed
  std::string source;            // where the range comes from
  std::string detail;            // what went into the value, or why it could not be measured
};

// What to measure over.
struct FactsOptions {
  std::optional<int> year_from;  // first calendar year used (default: the run's first)
  std::optional<int> year_to;    // last calendar year used (default: the run's last)
  double zipf_tail_share = 0.10; // the largest 10 % of firms
  int size_bins = 10;            // equal-count size bins for the size-variance slope
};

// Measures every fact on `run`. Facts whose series are absent are reported as not measurable
// (value empty, ok false, detail naming what is missing). Throws InputError (file = source) when the
// run holds no complete year in the range, no two firm snapshots one year apart in the range, or
// snapshots without the firm columns the facts read.
std::vector<Fact> measure_facts(const RunResult& run, const std::string& source, const FactsOptions& options = {});

}  // namespace convsim::analysis
