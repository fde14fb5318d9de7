// Calibration by the method of simulated moments (indirect inference): simulate the economy over
// the study's sample, compute on it the statistics the study publishes (its Solow regression on the
// smart convergence industry, Table 2, the regressor correlations) and external moments with data in
// data/ (real GDP growth volatility, the labour share, co-creation on the internet), and choose free
// scenario parameters minimising the efficiently weighted distance to the published values
// (W = V^-1, V the covariance of a published statistic under the model). Then: standard errors from
// the MSM sandwich, the J test of over-identification, loss profiles, parameter draws for policy
// runs, and out-of-sample validation on other seeds (including Table 3, 2013-2020, which is not
// fitted). docs/calibration.md describes the method and the results.
//
// @code
//   CalibrationTargets targets = load_calibration_targets("data/paper_targets.yaml");
//   load_external_moments("data/korea_external_moments.yaml", targets);
//   const auto settings = load_calibration_settings("scenarios/calibration/free_parameters.yaml");
//   const CalibrationProblem problem(ScenarioDocument::load("scenarios/korea_baseline.yaml"), targets, settings);
//   const CalibrationResult result = calibrate(problem);
//   std::cout << estimates_report(problem, result.diagnostics) << calibration_report(problem, result.best);
// @endcode
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "convsim/analysis/solow.hpp"
#include "convsim/result.hpp"
#include "convsim/scenario.hpp"
#include "convsim/scenario_document.hpp"

namespace convsim::analysis {

//---- annual series of a run ----

// The annual Solow series Y, K, L, A of a run's `scope` ("convergence": output, capital, employment,
// technology; "aggregate": output, capital, employment, technology_flow). With several steps per year
// flows (output, technology) are averaged over the year's steps and stocks (capital, employment) taken
// at its last step; incomplete years are dropped. Years come from the run's time axis. Throws
// InputError (file = source, key = the scope or variable) for an unknown scope or a missing series.
// Defined in solow_result_input.cpp next to load_solow_data_from_result, which reads it from a file.
SolowData solow_data_from_run(const RunResult& run, const std::string& scope, const std::string& source);

// The steps [begin, end) of one calendar year of a run's time axis.
struct YearSteps {
  int year = 0;
  std::size_t begin = 0;
  std::size_t end = 0;
};

// The complete years of a time axis (decimal years at the start of each step): consecutive steps
// grouped by calendar year, keeping only the years that hold all `steps_per_year` steps.
std::vector<YearSteps> complete_years(const std::vector<double>& time, int steps_per_year);

//---- published targets (data/paper_targets.yaml) ----

// Published descriptive statistics of one log series (Table 2).
struct LogMomentTargets {
  double mean = 0;
  double median = 0;
  double sd = 0;
  double min = 0;
};

// Table 3: the projected path of the industry, in the study's units.
struct ProjectionTargets {
  std::vector<int> years;                     // e.g. 2013..2020
  std::vector<double> output;                 // 100 million KRW
  std::vector<double> accumulated_employment; // 10,000 people
};

// A moment from data outside the study (data/korea_external_moments.yaml), computed on the whole
// simulated economy.
enum class ExternalStatistic : std::uint8_t {
  output_growth_sd,  // sample s.d. of ln(Y_t / Y_t-1) of annual real aggregate output, years first+1..last
  labour_share,      // mean over the years of annual wage bill / annual nominal output (aggregate)
  prosumer_share,    // mean over the years of the prosumer share (customers co-creating online)
};

struct ExternalMoment {
  std::string name;              // e.g. "output growth sd"
  ExternalStatistic statistic = ExternalStatistic::output_growth_sd;
  int first_year = 0;
  int last_year = 0;
  double value = 0;              // the data's value
  double measurement_sd = 0;     // the data's own measurement error (added to the model's variance)
  std::string source;            // where the value comes from
};

// Every published figure the calibration matches.
struct CalibrationTargets {
  std::string source;                 // the targets file, named in messages and reports
  int first_year = 1990;              // the regression sample
  int last_year = 2009;
  double b_capital = 0;               // b_K
  double b_labour = 0;                // b_L
  double b_technology = 0;            // b_A
  double r_squared = 0;
  double durbin_watson = 0;
  // Table 2 moments of ln Y, ln K, ln L, ln A (in that order); absent when not published.
  std::array<std::optional<LogMomentTargets>, 4> log_moments;
  std::optional<RegressorCorrelations> correlations;  // section 4.3
  std::optional<ProjectionTargets> projection;        // Table 3: a validation target, never fitted
  std::vector<ExternalMoment> external;               // from load_external_moments
  std::string external_source;                        // the external moments file, or ""
};

// Reads the targets file (the layout of data/paper_targets.yaml). Throws InputError naming the file,
// line and key of a missing section, a value that is not a number, or lists of unequal length.
CalibrationTargets load_calibration_targets(const std::filesystem::path& path);

// Appends the moments of an external moments file (layout of data/korea_external_moments.yaml:
// `moments: {name: {statistic, years: [first, last], value, measurement_sd, source}}`) to `targets`.
// Throws InputError naming file, line and key.
void load_external_moments(const std::filesystem::path& path, CalibrationTargets& targets);

//---- the statistics matched ----

// What a target measures; decides how the simulated value is computed.
enum class TargetKind : std::uint8_t {
  coefficient,     // b_K, b_L, b_A of the Solow regression
  fit,             // R², Durbin-Watson
  log_shape,       // median - mean, min - mean of a log series (free of the unknown units)
  log_spread,      // sd of a log series
  correlation,     // correlation of two log regressors
  external,        // an ExternalMoment
  projection,      // Table 3 path in the study's units (output anchored at the first year, employment scale fitted)
};

// One statistic: published value, its measurement error, weight, and whether it is fitted.
struct TargetSpec {
  std::string name;         // e.g. "b_L", "sd ln K", "median-mean ln A", "output 2016"
  std::string group;        // coefficients, fit, log_shapes, log_spreads, correlations, external, projection
  TargetKind kind = TargetKind::coefficient;
  double published = 0;     // the study's (or the data's) value
  double measurement_sd = 0;  // data measurement error beyond the model's own sampling variability
  double weight = 1;        // multiplies the moment's precision in the loss; 0 leaves it out
  int variable = -1;        // series 0..3 = Y, K, L, A (log moments; projection: 0 output, 2 employment); external: index
  bool fitted = true;       // false: a validation target (Table 3), reported but not in the loss
};

//---- calibration settings (scenarios/calibration/free_parameters.yaml) ----

// One free parameter: a value the optimiser moves within [lower, upper], written into one scenario key
// or, for a group, into several (`*` in a key matches every name at that level, e.g. every sector).
struct FreeParameter {
  std::string name;               // the scenario key itself, or the group's name
  std::vector<std::string> keys;  // dotted scenario keys it sets, e.g. {"sectors.*.initial_converged"}
  bool multiply = false;          // true: the value multiplies each key's value in the scenario
  double lower = 0;
  double upper = 1;
  std::optional<double> start;    // unset: the scenario's own value (1 for a multiplier), clamped
  bool log_scale = false;         // search ln(value) uniformly (rates spanning orders of magnitude)
  SourceLocation where;           // where it was declared, for messages
};

// The derivative-free optimisers (NLopt algorithm names) and how the budget is split between them.
struct OptimizerSettings {
  std::string global_algorithm = "GN_DIRECT_L";  // "none" skips the global phase
  double global_share = 0.35;                     // share of the budget spent globally
  std::string local_algorithm = "LN_SBPLX";       // polishes the best point found
  double initial_step = 0.1;                      // local phase's first step, share of each range
  double relative_tolerance = 1e-4;               // local phase stops when steps are smaller (unit cube)
};

// Everything that configures a calibration besides the scenario and the targets.
struct CalibrationSettings {
  std::string source;                           // the settings file, or "<defaults>"
  std::vector<FreeParameter> free;
  std::map<std::string, double> group_weights;  // by TargetSpec::group; missing groups weigh 1
  std::map<std::string, double> target_weights; // by TargetSpec::name; overrides the group weight
  OptimizerSettings optimizer;
  int budget = 80;              // model evaluations of the search (each runs every fitting replicate)
  int replicates = 20;          // fitting runs per evaluation, seeds seed .. seed+R-1 (common random numbers)
  int validation_replicates = 30;       // validation runs, seeds seed+offset .. seed+offset+V-1
  int validation_seed_offset = 1000;    // keeps validation seeds disjoint from fitting seeds
  std::string weighting = "diagonal";   // "diagonal": W = diag(V)^-1; "full": W = V^-1 when R > 2 M
  double derivative_step = 0.02;        // central-difference step of G, share of each range (unit cube)
  int profile_points = 5;               // loss profile points per parameter over its range (0: none)
  int parameter_draws = 100;            // draws stored for policy runs (0: none)
  std::string external_moments;         // external moments file, relative to the settings file; "" none
  std::vector<std::string> overrides;   // "key=value" applied only while calibrating (e.g. economy size)
};

// Reads a settings file: `free:` (key or group name: {lower, upper, start, scale: linear|log, keys: [..],
// mode: set|multiply}), `weights:` (group or target name: weight), `calibration:` (budget, replicates,
// validation_replicates, validation_seed_offset, weighting, derivative_step, profile_points,
// parameter_draws, external_moments, set: [key=value], optimizer: {global, global_share, local,
// initial_step, tolerance}). Throws InputError naming file, line and key.
CalibrationSettings load_calibration_settings(const std::filesystem::path& path);

//---- evaluating a parameter vector ----

// Which runs an evaluation makes: the fitting sample (seeds seed + r, run to the last year a fitted
// statistic needs) or the validation sample (seeds seed + validation_seed_offset + r, run to the
// last projection year, every statistic including Table 3).
enum class Sample : std::uint8_t { fitting, validation };

// The simulated statistics at one parameter vector, over replicates.
struct Evaluation {
  std::vector<double> parameters;                 // values of the free parameters, in settings order
  Sample sample = Sample::fitting;
  // (m - p)' V^-1 (m - p) over the fitted targets with weight > 0 (weights scale precisions), + penalties.
  // With all weights 1 this is the J statistic of the over-identification test.
  double loss = 0;
  int replicates = 0;                             // runs made
  int valid_replicates = 0;                       // runs whose statistics are all defined
  std::string failure;                            // why the first invalid run failed, or ""
  std::vector<double> mean;                       // [target] over valid runs, in the study's units (NaN: not computed)
  std::vector<double> sd;                         // [target] sample standard deviation over valid runs
  // [target] variance of published - mean under the model: (1 + 1/R) sd² + measurement_sd² (floored).
  std::vector<double> variance;
  std::vector<std::vector<double>> values;        // [run][target] in the study's units (NaN if invalid)
  bool full_weighting = false;                    // the loss used the full V (settings.weighting "full")
  double employment_scale = std::numeric_limits<double>::quiet_NaN();  // persons -> 10,000 people (Table 3)
};

// A calibration problem: a scenario document, the targets and the settings, with the target list and
// the free parameters resolved. Evaluating it is thread-safe and deterministic.
class CalibrationProblem {
 public:
  // Checks the free parameters exist in the scenario schema and the scenario covers the sample and
  // the projection years (extending time.end_year when the projection needs it). Throws InputError.
  CalibrationProblem(ScenarioDocument document, CalibrationTargets targets, CalibrationSettings settings);

  // Every statistic, fitted and validation, in report order.
  const std::vector<TargetSpec>& targets() const noexcept { return targets_; }
  // Indices of the fitted targets that enter the loss (weight > 0).
  const std::vector<std::size_t>& fitted() const noexcept { return fitted_; }
  // The published figures.
  const CalibrationTargets& published() const noexcept { return published_; }
  // The settings (free parameters, weights, optimiser, budget, replicates).
  const CalibrationSettings& settings() const noexcept { return settings_; }
  // The starting values of the free parameters.
  const std::vector<double>& start() const noexcept { return start_; }
  // The concrete scenario keys and values the free parameters at `values` set, in settings order.
  std::vector<std::pair<std::string, double>> scenario_values(const std::vector<double>& values) const;
  // The scenario of replicate `replicate` of `sample` with the free parameters at `values`.
  Scenario scenario_at(const std::vector<double>& values, int replicate, Sample sample = Sample::fitting) const;
  // The seed of replicate `replicate` of `sample`.
  std::uint64_t seed_of(int replicate, Sample sample) const;
  // Runs `replicates` replicates (in parallel) at `values` and scores them.
  Evaluation evaluate(const std::vector<double>& values, int replicates, Sample sample = Sample::fitting) const;
  // Scores runs already made (one RunResult per replicate) at `values`.
  Evaluation score(const std::vector<double>& values, const std::vector<RunResult>& runs,
                   Sample sample = Sample::fitting) const;

  // Parameter values <-> the unit cube the optimisers search (log-scale parameters logarithmically).
  std::vector<double> to_unit(const std::vector<double>& values) const;
  std::vector<double> from_unit(const std::vector<double>& unit) const;

 private:
  ScenarioDocument document_;   // runs to the end of the projection (validation)
  ScenarioDocument fitting_document_;  // runs to the last year a fitted statistic needs
  CalibrationTargets published_;
  CalibrationSettings settings_;
  std::vector<TargetSpec> targets_;
  std::vector<std::size_t> fitted_;
  std::uint64_t base_seed_ = 0;  // the scenario's seed; replicate r of a sample runs seed_of(r, sample)
  std::vector<double> start_;
  // Per free parameter: the concrete keys it sets and each key's value in the scenario (for multipliers).
  std::vector<std::vector<std::pair<std::string, double>>> bindings_;
};

//---- diagnostics: standard errors, identification, J test, profiles, draws ----

// One free parameter's estimate.
struct ParameterEstimate {
  double value = 0;
  double standard_error = 0;  // MSM sandwich, delta method for log-scale parameters; inf when not identified
  double lower95 = 0;         // 95 % interval (in the search coordinates, mapped back; clipped to the bounds)
  double upper95 = 0;
  std::vector<std::pair<double, double>> profile;  // (value, loss) with the other parameters at the estimate
  double profile_rise = 0;    // largest loss increase over the profile above the loss at the estimate
  double profile_drop = 0;    // largest loss decrease below it (> 0: the search had not converged)
  bool weak = false;          // weakly identified
  std::string why;            // the reason(s), or ""
};

struct CalibrationDiagnostics {
  std::vector<ParameterEstimate> parameters;      // in settings order
  std::vector<std::vector<double>> jacobian;      // G[fitted moment][parameter], parameter units
  std::vector<std::vector<double>> covariance;    // of the estimates, parameter units (sandwich)
  std::vector<double> singular_values;            // of V^-1/2 G in the unit cube, largest first
  int moments = 0;                                // fitted moments with weight > 0
  int estimated = 0;                              // parameters estimated on the moments
  int degrees_of_freedom = 0;                     // moments - estimated
  double j_statistic = 0;                         // the loss at the estimate
  double p_value = std::numeric_limits<double>::quiet_NaN();  // P(chi²(df) > J); NaN when df <= 0
  bool unit_weights = true;                       // J is chi²-distributed only with all weights 1
  std::vector<std::vector<double>> draws;         // [draw][parameter]: N(estimate, covariance) in the unit cube, truncated
  int model_runs = 0;
  double seconds = 0;
};

// The J test alone (moments, degrees of freedom, J = the loss, its p-value), without derivatives.
// `estimated`: the number of parameters estimated on these moments (-1: the problem's free parameters;
// a check of a calibrated scenario passes the calibration's count).
CalibrationDiagnostics j_test(const CalibrationProblem& problem, const Evaluation& at_estimate, int estimated = -1);

// Progress of the diagnostics: a phase ("derivatives", "profiles") and how far it is.
using DiagnosticsProgress = std::function<void(const std::string& phase, int done, int total)>;

// Standard errors (1 + 1/R)(G'WG)^-1 with W = V^-1 ... (in general (G' V^-1 G)^-1 with V including
// measurement error), G by central differences under common random numbers; identification flags
// (SE wider than a quarter of the range, a profile rising by less than the chi²(1) 95 % quantile
// 3.84 over the whole range, or a near-null direction of G); the J test; `draws` parameter draws.
CalibrationDiagnostics diagnose(const CalibrationProblem& problem, const Evaluation& at_estimate,
                                const DiagnosticsProgress& progress = {});

//---- optimising ----

// One finished evaluation, as the progress callback sees it.
struct EvaluationRecord {
  int index = 0;        // 1-based
  int budget = 0;
  std::string phase;    // "start", "global", "local"
  double loss = 0;
  double best_loss = 0;
  std::vector<double> parameters;
};

// The outcome of calibrate().
struct CalibrationResult {
  Evaluation at_start;                // the starting values, fitting sample
  Evaluation best;                    // the optimum, fitting sample
  Evaluation validation;              // the optimum, validation sample (every statistic, Table 3)
  CalibrationDiagnostics diagnostics; // standard errors, J test, profiles, draws
  int evaluations = 0;                // model evaluations of the search
  int model_runs = 0;                 // simulations made in all
  double seconds = 0;                 // wall time
  std::string algorithms;             // e.g. "LN_BOBYQA (80)"
};

// Minimises the loss over the free parameters with NLopt within settings.budget evaluations (a
// global phase over the bounds when configured, then a local phase from the best point seen), then
// diagnoses the optimum and validates it on the validation seeds. Deterministic.
CalibrationResult calibrate(const CalibrationProblem& problem,
                            const std::function<void(const EvaluationRecord&)>& on_evaluation = {},
                            const DiagnosticsProgress& on_diagnostics = {});

//---- reporting ----

// The statistics as a Markdown table: each target, published value, simulated mean, sd, 95 % band
// (mean ± 1.96 sd over replicates), whether the published value lies in it, and for fitted targets
// the z-score (p - m)/sqrt(V) and the share of the loss.
std::string calibration_report(const CalibrationProblem& problem, const Evaluation& evaluation);

// The estimates: value, standard error, 95 % interval, profile rise and identification flag per
// parameter; the singular values of the scaled Jacobian; the loss profiles.
std::string estimates_report(const CalibrationProblem& problem, const CalibrationDiagnostics& diagnostics);

// The J test of over-identification in words: J, degrees of freedom, p-value, rejected or not.
std::string j_test_report(const CalibrationProblem& problem, const CalibrationDiagnostics& diagnostics);

// The study's own caveats with numbers: b_L against the labour share (simulated and PWT).
std::string caveats_report(const CalibrationProblem& problem, const Evaluation& evaluation);

// Table 3 side by side: published and simulated output and accumulated employment per year, with the
// relative error and whether it is within `tolerance`. Empty when there are no projection targets.
std::string projection_table(const CalibrationProblem& problem, const Evaluation& evaluation, double tolerance = 0.05);

// Largest relative error of the simulated Table 3 path (NaN without projection targets or values).
double worst_projection_error(const CalibrationProblem& problem, const Evaluation& evaluation);

// The calibrated parameter file: `header` as comment lines, then the free parameters as nested YAML
// (a file a scenario can extend).
std::string calibrated_parameters_yaml(const CalibrationProblem& problem, const std::vector<double>& values,
                                       const std::vector<std::string>& header);

// The `parameter_draws:` block of the calibration section (indented by `indent` spaces): the free
// parameters' names, the concrete keys, and per draw the free values and the concrete values.
std::string parameter_draws_yaml(const CalibrationProblem& problem, const std::vector<std::vector<double>>& draws,
                                 int indent);

// Targets equal to a simulation's own statistics, for checking that a calibration recovers
// parameters it was generated with.
CalibrationTargets synthetic_targets(const CalibrationProblem& problem, const Evaluation& evaluation);

}  // namespace convsim::analysis
