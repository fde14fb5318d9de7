// Global sensitivity analysis and scenario discovery over sweeps: Sobol' indices of a sobol design
// (Saltelli 2010 for the first order, Jansen 1999 for the total effect, percentile bootstrap
// intervals), Morris elementary effects of a morris design (mu*, mu, sigma), and PRIM boxes
// (Friedman & Fisher 1999) for any design. The estimators take one value per design point, so
// they serve model runs (read from a merged sweep by load_sweep_outcomes) and test functions with
// known indices alike.
//
// @code
//   const SweepOutcomes outcomes = load_sweep_outcomes("sweep.h5", {"convergence/employment", 2020, "baseline"});
//   for (const auto& set : outcomes.sets) {
//     const SobolResult sobol = sobol_indices(set.point_means(), outcomes.roles_of(set), outcomes.parameters.size());
//   }
// @endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "convsim/sensitivity_design.hpp"

namespace convsim::analysis {

// An estimate with its 95 % interval.
struct Estimate {
  double value = 0;
  double low = 0;
  double high = 0;
};

//---- Sobol' indices ----

struct SobolIndex {
  Estimate first;  // S1: Saltelli et al. (2010), mean((f(B) - m) (f(A_B^i) - f(A))) / V, m the mean of f(A), f(B)
  Estimate total;  // ST: Jansen (1999), mean((f(A) - f(A_B^i))^2) / (2 V)
};

struct SobolResult {
  std::size_t n = 0;                 // complete rows j used (groups with every matrix present)
  double variance = 0;               // V: variance of f over the rows of A and B
  std::vector<SobolIndex> indices;   // [factor]
  int bootstrap = 0;                 // resamples behind the intervals
};

// Indices from one value per design point (`y[p]` for the point with role `roles[p]`, a
// saltelli_design over k factors). Rows j missing any of their k + 2 points are left out; fewer
// than 2 complete rows, or V = 0, is std::invalid_argument. Intervals: percentiles 2.5 and 97.5 of
// `bootstrap` resamples of the rows (with replacement), drawn from `seed` (deterministic).
SobolResult sobol_indices(const std::vector<double>& y, const std::vector<DesignRole>& roles, std::size_t k,
                          int bootstrap = 1000, std::uint64_t seed = 1);

//---- Morris elementary effects ----

struct MorrisIndex {
  double mu_star = 0;    // mean |EE|
  Estimate mu_star_ci;   // its bootstrap interval over trajectories (value = mu_star)
  double mu = 0;         // mean EE
  double sigma = 0;      // standard deviation of EE (n - 1); NaN with one effect
  std::size_t effects = 0;
};

// Elementary effects EE = (f(x + delta e_i) - f(x)) / delta (delta in the unit cube) from one value
// per point of a morris_design over k factors. Steps whose two points are not both present are
// left out; a factor with no effect left is std::invalid_argument.
std::vector<MorrisIndex> morris_indices(const std::vector<double>& y, const std::vector<DesignRole>& roles, std::size_t k,
                                        int bootstrap = 1000, std::uint64_t seed = 1);

//---- PRIM (scenario discovery) ----

// A box [low, high] per dimension (-inf/+inf: not restricted) and how it does.
struct PrimBox {
  std::vector<double> low, high;
  std::size_t points = 0;  // points inside
  double mass = 0;         // points inside / all points
  double coverage = 0;     // points of interest inside / all points of interest
  double density = 0;      // points of interest inside / points inside
};

struct PrimOptions {
  double alpha = 0.05;        // share of the box's points each peel (and paste) moves
  double min_mass = 0.05;     // peeling stops before the box holds less than this share of points
  double min_coverage = 0.5;  // the chosen box: the densest of the trajectory with at least this coverage
};

struct PrimResult {
  std::vector<PrimBox> trajectory;  // the boxes of the peeling, from the whole space
  std::size_t chosen = 0;           // index into trajectory
  PrimBox pasted;                   // the chosen box after pasting
  std::size_t interesting = 0;      // points of interest among all
};

// PRIM (Friedman & Fisher 1999) on points x[point][dimension] with y[point] whether the point is
// of interest. Peeling: each step removes, from one side of one dimension, the alpha-quantile slice
// of the box's points that leaves the densest box. Pasting: the chosen box grows by alpha slices
// while that raises its density. std::invalid_argument when no point is of interest or sizes differ.
PrimResult prim(const std::vector<std::vector<double>>& x, const std::vector<bool>& y, const PrimOptions& options = {});

//---- outcomes of a merged sweep ----

// What to read: a [run, time] variable at a year, of one scenario or as a paired effect.
struct OutcomeRequest {
  std::string variable;                 // GROUP/NAME, e.g. convergence/employment
  double year = 0;                      // the last step that starts within [year, year + 1)
  std::optional<std::string> scenario;  // the scenario (outcome) or the policy (effect); all when unset
  std::optional<std::string> effect_against;  // baseline scenario: effects are scenario - baseline
};

// The values of one scenario (or one policy's paired effects) at every design point.
struct OutcomeSet {
  std::string scenario;   // the scenario (or policy) name
  std::string baseline;   // the baseline of a paired effect ("" for outcomes)
  struct Point {
    std::vector<double> x;          // the design parameters' values (NaN where not a number)
    DesignRole role;                // sobol and morris designs
    std::vector<double> values;     // one per replicate present (paired effects: both runs present)
    std::vector<int> replicates;    // which replicate each value is
  };
  std::vector<Point> points;        // in plan order

  std::vector<double> point_means() const;
  std::vector<DesignRole> roles() const;
};

struct SweepOutcomes {
  std::string file;
  std::string design;                   // the merged sweep's design
  std::vector<std::string> parameters;  // design parameters (the plan's columns)
  int replicates = 1;
  std::string variable, units, long_name;
  double year = 0;                      // the time of the step read
  std::vector<OutcomeSet> sets;         // one per scenario (outcomes) or policy (effects)
};

// Reads a merged sweep (`convsim merge`). InputError (naming the file and the option) when the
// file is not a merged sweep, the variable or a scenario does not exist, or the year is outside
// the time axis.
SweepOutcomes load_sweep_outcomes(const std::filesystem::path& merged, const OutcomeRequest& request);

// The seed's share of the variance of a single run: `within` is the variance over replicates
// within design points (pooled), `total` = within + the variance of the point means over the
// points (the rows of A and B for sobol, every point otherwise), share = within / total. With
// common random numbers the point means differ by the parameters (and their interaction with
// the seed), not by the seed's main effect. NaN without two replicates at some point.
struct NoiseShare {
  double within = 0, total = 0, share = 0;
};
NoiseShare noise_share(const OutcomeSet& set, const std::string& design);

}  // namespace convsim::analysis
