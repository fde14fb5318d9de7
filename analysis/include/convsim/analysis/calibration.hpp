// Calibration by indirect inference: simulate the economy over the study's sample, run the study's
// Solow regression on the simulated smart convergence industry, and choose free scenario parameters
// so that the simulated statistics (coefficients, R², Durbin-Watson, Table 2 log moments, regressor
// correlations, Table 3 projection path) match the published ones. docs/calibration.md describes the
// method, the loss and the fit.
//
// @code
//   const auto targets = load_calibration_targets("data/paper_targets.yaml");
//   const auto settings = load_calibration_settings("scenarios/calibration/free_parameters.yaml");
//   const CalibrationProblem problem(ScenarioDocument::load("scenarios/korea_baseline.yaml"), targets, settings);
//   const CalibrationResult result = calibrate(problem);
//   std::cout << calibration_report(problem, result.best);
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
  std::optional<ProjectionTargets> projection;        // Table 3
};

// Reads the targets file (the layout of data/paper_targets.yaml). Throws InputError naming the file,
// line and key of a missing section, a value that is not a number, or lists of unequal length.
CalibrationTargets load_calibration_targets(const std::filesystem::path& path);

//---- the statistics matched ----

// What a target measures; decides how the simulated value is computed and scaled.
enum class TargetKind : std::uint8_t {
  coefficient,     // b_K, b_L, b_A of the Solow regression
  fit,             // R², Durbin-Watson
  log_level,       // mean, median or min of a log series: matched after a fitted units shift
  log_spread,      // sd of a log series
  correlation,     // correlation of two log regressors
  projection,      // Table 3 path in the study's units (output anchored at the first year, employment scale fitted)
};

// One statistic of the loss: published value, normalising scale and weight.
struct TargetSpec {
  std::string name;       // e.g. "b_L", "sd ln K", "output 2016"
  std::string group;      // weight group: coefficients, fit, log_levels, log_spreads, correlations, projection
  TargetKind kind = TargetKind::coefficient;
  double published = 0;   // the study's value
  double scale = 1;       // deviation that costs one unit of loss (before the weight)
  double weight = 1;      // multiplies ((simulated - published) / scale)²
  int variable = -1;      // series 0..3 = Y, K, L, A (log moments; projection: 0 output, 2 employment); else -1
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
  int budget = 300;             // model evaluations (each runs every replicate)
  int replicates = 4;           // runs per evaluation, seeds scenario seed + r (common random numbers)
  int report_replicates = 10;   // runs behind the final report's means and bands
  std::vector<std::string> overrides;  // "key=value" applied only while calibrating (e.g. economy size)
};

// Reads a settings file: `free:` (key or group name: {lower, upper, start, scale: linear|log, keys: [..],
// mode: set|multiply}), `weights:` (group or
// target name: weight), `calibration:` (budget, replicates, report_replicates, set: [key=value],
// optimizer: {global, global_share, local, initial_step, tolerance}). Throws InputError naming file,
// line and key.
CalibrationSettings load_calibration_settings(const std::filesystem::path& path);

//---- evaluating a parameter vector ----

// The simulated statistics at one parameter vector, over replicates.
struct Evaluation {
  std::vector<double> parameters;                 // values of the free parameters, in settings order
  double loss = 0;                                // sum of weight · ((mean - published) / scale)², + penalties
  int replicates = 0;                             // runs made
  int valid_replicates = 0;                       // runs whose statistics are all defined
  std::string failure;                            // why the first invalid run failed, or ""
  std::vector<double> mean;                       // [target] over valid runs, in the study's units
  std::vector<double> sd;                         // [target] sample standard deviation over valid runs
  std::vector<std::vector<double>> values;        // [run][target] in the study's units (NaN if invalid)
  std::array<double, 4> log_shift{};              // fitted units shift of ln Y, ln K, ln L, ln A
  double employment_scale = std::numeric_limits<double>::quiet_NaN();  // persons -> 10,000 people (Table 3)
  std::vector<double> raw_mean;                   // [target] before the units shift
};

// A calibration problem: a scenario document, the targets and the settings, with the target list and
// the free parameters resolved. Evaluating it is thread-safe and deterministic.
class CalibrationProblem {
 public:
  // Checks the free parameters exist in the scenario schema and the scenario covers the sample and
  // the projection years (extending time.end_year when the projection needs it). Throws InputError.
  CalibrationProblem(ScenarioDocument document, CalibrationTargets targets, CalibrationSettings settings);

  // The statistics matched, in report order.
  const std::vector<TargetSpec>& targets() const noexcept { return targets_; }
  // The published figures.
  const CalibrationTargets& published() const noexcept { return published_; }
  // The settings (free parameters, weights, optimiser, budget, replicates).
  const CalibrationSettings& settings() const noexcept { return settings_; }
  // The starting values of the free parameters.
  const std::vector<double>& start() const noexcept { return start_; }
  // The concrete scenario keys and values the free parameters at `values` set, in settings order.
  std::vector<std::pair<std::string, double>> scenario_values(const std::vector<double>& values) const;
  // The scenario of replicate `replicate` with the free parameters at `values`.
  Scenario scenario_at(const std::vector<double>& values, int replicate) const;
  // Runs `replicates` replicates (in parallel) at `values` and scores them.
  Evaluation evaluate(const std::vector<double>& values, int replicates) const;
  // Scores runs already made (one RunResult per replicate) at `values`.
  Evaluation score(const std::vector<double>& values, const std::vector<RunResult>& runs) const;

 private:
  ScenarioDocument document_;
  CalibrationTargets published_;
  CalibrationSettings settings_;
  std::vector<TargetSpec> targets_;
  std::vector<double> start_;
  // Per free parameter: the concrete keys it sets and each key's value in the scenario (for multipliers).
  std::vector<std::vector<std::pair<std::string, double>>> bindings_;
};

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
  Evaluation at_start;                // the starting values, with settings.replicates runs
  Evaluation best;                    // the optimum, re-evaluated with settings.report_replicates runs
  double best_search_loss = 0;        // the optimum's loss during the search (settings.replicates runs)
  int evaluations = 0;                // model evaluations made (excluding the final report)
  int model_runs = 0;                 // simulations made, including the final report
  double seconds = 0;                 // wall time
  std::string algorithms;             // e.g. "GN_DIRECT_L (105) + LN_SBPLX (195)"
};

// Minimises the loss over the free parameters with NLopt within settings.budget evaluations: a global
// phase over the bounds, then a local phase from the best point seen. Deterministic.
CalibrationResult calibrate(const CalibrationProblem& problem,
                            const std::function<void(const EvaluationRecord&)>& on_evaluation = {});

//---- reporting ----

// The fit as a Markdown table: each target, published value, simulated mean, sd, 95 % band
// (mean ± 1.96 sd over replicates), whether the published value lies in it, and its loss share.
std::string calibration_report(const CalibrationProblem& problem, const Evaluation& evaluation);

// Table 3 side by side: published and simulated output and accumulated employment per year, with the
// relative error and whether it is within `tolerance`. Empty when there are no projection targets.
std::string projection_table(const CalibrationProblem& problem, const Evaluation& evaluation, double tolerance = 0.05);

// Largest relative error of the simulated Table 3 path (NaN without projection targets).
double worst_projection_error(const CalibrationProblem& problem, const Evaluation& evaluation);

// The calibrated parameter file: `header` as comment lines, then the free parameters as nested YAML
// (a file a scenario can extend).
std::string calibrated_parameters_yaml(const CalibrationProblem& problem, const std::vector<double>& values,
                                       const std::vector<std::string>& header);

// Targets equal to a simulation's own statistics (raw model units: no units shift is needed), for
// checking that a calibration recovers parameters it was generated with.
CalibrationTargets synthetic_targets(const CalibrationProblem& problem, const Evaluation& evaluation);

}  // namespace convsim::analysis
