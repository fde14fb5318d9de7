// Scenario comparison: load results (single runs or merged sweeps), group them into scenarios and
// replicates, check that they can be compared, and estimate each scenario's effect against the
// baseline as a paired difference over replicates matched by seed (common random numbers), with
// the unpaired (Welch) interval for contrast. Writers render a comparison as a table for policy
// analysts, as long-format CSV and as JSON (the input of analysis/python/convsim_plots.py).
//
// @code
//   ComparisonInput input = load_comparison({"base_s*.h5", "policy_s*.h5"});
//   CompareOptions options;
//   options.variables = {"output", "employment"};
//   Comparison comparison = compare(input, options);
//   write_comparison_table(comparison, std::cout);
// @endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "convsim/result.hpp"

namespace convsim::analysis {

//---- inputs ----

// Which group of series a comparison reads.
enum class ScopeKind { total, sector, convergence };

// The scope of a comparison: the whole economy (/aggregate), one sector (a /by_sector column) or
// the smart convergence industry (/convergence).
struct CompareScope {
  ScopeKind kind = ScopeKind::total;
  std::string sector;  // the sector's name when kind is ScopeKind::sector

  // "total", "sector:NAME" or "convergence".
  std::string label() const;
  // A phrase for people: "the whole economy", "sector health_care", "the smart convergence industry".
  std::string description() const;
};

// Parses "total", "sector:NAME" or "convergence"; throws InputError (key --scope) otherwise.
CompareScope parse_scope(const std::string& text);

// Where one replicate came from.
struct RunSource {
  std::string file;     // the path as the user gave it (or as a directory/glob expanded it)
  long run_index = -1;  // the row of a merged sweep's run table; -1 for a single-run file
  std::uint64_t seed = 0;
  std::string scenario_hash;
  std::string parameters;  // a merged sweep's design parameters of the run, "key=value, ..." ("" otherwise)
  std::vector<std::pair<std::string, std::string>> parameter_values;  // the same as (key, value) pairs
  long long draw = -1;                      // the calibration's parameter draw the run used; -1 for none
  std::vector<std::string> draw_parameters; // its K free parameters
  std::vector<double> draw_values;          // their values in that draw [K]

  // "file" or "file[run 12]", for messages.
  std::string describe() const;
};

// The replicates of one scenario, sorted by seed. Every replicate's series are kept; firm
// snapshots are dropped on loading.
struct ScenarioRuns {
  std::string label;          // unique among the scenarios of a comparison, shown in tables
  std::string name;           // the stored scenario `name`
  std::string description;    // the stored scenario `description` ("" when absent)
  std::string calibration;    // the stored scenario `calibration` section as YAML ("" when absent)
  std::string parameters;     // a merged sweep's design parameters of this group ("" otherwise)
  std::string argument;       // the command-line argument the runs came from
  std::vector<RunSource> sources;  // one per replicate, same order as `runs`
  std::vector<RunResult> runs;     // one per replicate, sorted by seed
};

// Loaded, grouped and aligned inputs of a comparison. scenarios[0] is the baseline.
struct ComparisonInput {
  std::vector<double> time;          // the common time axis [T], decimal years
  int steps_per_year = 1;
  std::vector<std::string> sectors;  // the common sectors [S] (the baseline's order)
  std::vector<ScenarioRuns> scenarios;
  std::vector<std::string> notes;    // how inputs were aligned, said to the user
};

// The result files one command-line argument names: comma-separated items, each a file, a
// directory (its *.h5 files) or a glob pattern, in order. Throws InputError when an item matches
// nothing.
std::vector<std::filesystem::path> expand_result_paths(const std::string& argument);

// How runs are selected and grouped when loading.
struct LoadOptions {
  // Picks the baseline by scenario name when the first argument holds several scenarios (e.g. a
  // merged sweep); the other scenarios of that argument are then compared too.
  std::string baseline_scenario;
  // Keeps only runs where KEY equals VALUE ("KEY=VALUE"; numbers compare as numbers). KEY is a swept
  // parameter of a merged sweep or a dotted key of the stored scenario (e.g. adoption.peer_effect).
  std::vector<std::string> where;
  // Keeps only the scenarios with these names (none: every scenario), e.g. two of a merged
  // sweep's seven; the baseline must be among them.
  std::vector<std::string> scenarios;
};

// Loads the results named by `arguments` (the first one holds the baseline; see
// expand_result_paths for the syntax). Single-run files and merged sweeps are both accepted; the
// runs of each argument are grouped into scenarios by scenario name (and, in a merged sweep, by
// design parameters), replicates within a scenario identified by seed. Throws InputError for a
// file that is not a convsim result, two runs of one scenario with the same seed, an ambiguous
// baseline, a filter that matches nothing, and runs whose time axes, steps per year or sectors
// differ (sectors listed in another order are aligned, and said so).
ComparisonInput load_comparison(const std::vector<std::string>& arguments, const LoadOptions& options = {});

// Runs already loaded from one command-line argument, with where each came from.
struct ArgumentRuns {
  std::string argument;
  std::vector<RunResult> runs;
  std::vector<RunSource> sources;
};

// Filters, groups and aligns the runs of each argument, the first one the baseline (the rules of
// load_comparison). Public for tests that build results in memory.
ComparisonInput group_runs(std::vector<ArgumentRuns> arguments, const LoadOptions& options = {});

//---- statistics ----

// A two-sided interval, or the reason there is none.
struct Interval {
  bool available = false;
  double low = 0;
  double high = 0;
  std::string reason;  // why no interval, e.g. "no interval (1 replicate)"

  // Half the width (NaN when not available).
  double half_width() const;
};

// The quantile `p` (0..1) of Student's t with `degrees_of_freedom` (Boost.Math).
double student_t_quantile(double p, double degrees_of_freedom);

// The `p` quantile of `values` by linear interpolation between order statistics (numpy's default).
double sample_quantile(std::vector<double> values, double p);

// Mean of `values` (NaN when empty).
double sample_mean(const std::vector<double>& values);

// Sample standard deviation with n - 1 (NaN below two values).
double sample_sd(const std::vector<double>& values);

// The `level` t interval of the mean of `values`; none below two values.
Interval mean_interval(const std::vector<double>& values, double level);

// The `level` Welch interval of mean(a) - mean(b); none when either has fewer than two values.
Interval welch_interval(const std::vector<double>& a, const std::vector<double>& b, double level);

// A paired effect's uncertainty split into seed noise and parameter uncertainty (docs/analysis.md,
// "Parameter uncertainty"): the differences d_r regressed by OLS on the standardised free-parameter
// values z_r of draw r (a linear response surface with a constant).
struct UncertaintySplit {
  Interval noise;                // mean ± t · σ_noise / √n: seed noise only
  Interval total;                // mean ± t · sqrt(Var_param + σ²_noise / n); unavailable without draws
  double parameter_share = 0;    // 1 - width(noise) / width(total); NaN when total is unavailable or 0 wide
  double parameter_variance = 0; // Var_param: variance of the fitted values (NaN when not separated)
  double noise_sd = 0;           // σ_noise (NaN when not separated)
  bool separated = false;        // the regression was fitted (n >= K + 5)
  std::string note;              // how the intervals were made when not separated ("" when separated)
};

// Splits the uncertainty of mean(d) at confidence `level`. `z` holds each difference's draw
// ([n][K]); empty when the inputs carry no parameter draws. Free parameters constant over the
// draws are left out of the regression. With n < K + 5 the two cannot be separated: noise is the
// paired interval of the mean and total mean ± t(n-1) · sd · sqrt(1 + 1/n).
UncertaintySplit split_uncertainty(const std::vector<double>& d, const std::vector<std::vector<double>>& z, double level);

//---- the comparison ----

// What to compare and how.
struct CompareOptions {
  std::vector<std::string> variables = {"output", "employment"};  // series names in the scope
  CompareScope scope;
  std::optional<double> horizon_year;  // default: the year of the last step
  double band_level = 0.90;            // central share of replicates in a curve's band
  double confidence_level = 0.95;      // of the effect intervals
};

// A curve over time: the mean over replicates and a band [T].
struct Curve {
  std::vector<double> mean;
  std::vector<double> low;
  std::vector<double> high;
};

// A scenario's effect on one number (policy minus baseline).
struct Effect {
  std::size_t pairs = 0;           // replicates matched by seed with the baseline
  double paired_mean = 0;          // mean of the per-replicate differences (NaN when no pairs)
  double percent = 0;              // paired_mean in % of the paired baseline mean (NaN when 0)
  Interval paired;                 // the confidence interval of paired_mean
  double unpaired_mean = 0;        // mean(scenario) - mean(baseline) over all replicates
  Interval unpaired;               // the Welch interval of unpaired_mean
  std::vector<std::uint64_t> seeds;        // the paired seeds, ascending
  std::vector<double> differences;         // per paired seed: scenario - baseline
  UncertaintySplit uncertainty;            // ci_noise and ci_total of paired_mean
};

// One scenario's numbers for one variable.
struct ScenarioVariable {
  std::string scenario;       // ScenarioRuns::label
  std::size_t replicates = 0;
  Curve curve;                // mean and band_level band over replicates
  double horizon_mean = 0;    // mean over replicates at the horizon step
  double horizon_low = 0;     // band at the horizon
  double horizon_high = 0;
  double cumulative_mean = 0; // mean over replicates of the time integral up to the horizon
  Effect horizon_effect;      // against the baseline (empty for the baseline itself)
  Effect cumulative_effect;
  Curve effect_curve;         // paired mean difference over time with its confidence interval
};

// One variable across all scenarios.
struct VariableComparison {
  std::string name;
  std::string units;
  std::string long_name;
  std::string cumulative_units;  // units of the time integral, e.g. "1e8 KRW" for "1e8 KRW/year"
  std::vector<ScenarioVariable> scenarios;  // [0] is the baseline
};

// One variable by sector at the horizon: levels and paired effects of every scenario.
struct SectorBreakdown {
  std::string name;
  std::string units;
  std::vector<std::string> scenarios;            // labels, [0] the baseline
  std::vector<std::vector<double>> horizon_mean; // [scenario][sector]
  std::vector<std::vector<Effect>> effect;       // [scenario][sector]; [0] empty
};

// A lever in force over time in each scenario, e.g. barrier of health_care.
struct LeverTimeline {
  std::string lever;   // series name under /policy, e.g. "barrier"
  std::string sector;  // "" for an economy-wide lever
  std::string units;
  std::vector<std::vector<double>> values;  // [scenario][T], from each scenario's first replicate
  std::string long_name;                    // e.g. "regulatory barrier in force"
};

// What a scenario is, for the report.
struct ScenarioInfo {
  std::string label;
  std::string name;
  std::string description;
  std::string calibration;  // the `calibration` section as YAML, "" when absent
  std::string parameters;
  std::string argument;
  std::vector<std::uint64_t> seeds;
  std::vector<std::string> files;  // distinct source files
  std::vector<PolicyEventRecord> events;  // the first replicate's timed events
  std::size_t drawn_replicates = 0;       // replicates that ran at a parameter draw of the calibration
  std::string calibration_domain;         // what the calibration was fitted on, in words ("" when not calibrated)
  std::vector<std::string> provenance_warnings;  // how the scenario departs from its calibration
};

// What a stored scenario (YAML) says of its calibration's domain, and where it departs from it:
// calibrated keys it overrides (calibration.overridden_keys), economy.firms other than
// calibration.domain.firms, sectors not in calibration.domain.sectors.
struct CalibrationProvenance {
  std::string domain;                  // e.g. "20,000 firms; sectors a, b; fitting seeds 1, 2; revision git abc"
  std::vector<std::string> warnings;
};
CalibrationProvenance calibration_provenance(const std::string& scenario_yaml);

// Everything `convsim compare` prints, plots and reports.
struct Comparison {
  CompareScope scope;
  std::vector<double> time;
  std::vector<std::string> sectors;
  int steps_per_year = 1;
  std::size_t horizon_index = 0;   // the step whose value is "the value at the horizon"
  double horizon_year = 0;
  double confidence_level = 0.95;
  double band_level = 0.90;
  std::vector<ScenarioInfo> scenarios;       // [0] is the baseline
  std::vector<VariableComparison> variables;
  std::vector<SectorBreakdown> by_sector;    // requested variables that exist by sector
  std::vector<LeverTimeline> levers;         // levers that move or differ between scenarios
  std::vector<std::string> notes;
};

// Compares every scenario of `input` with the baseline. Throws InputError (naming the files) for
// a variable missing in a result or stored with different units, an unknown sector, a horizon
// outside the time axis, or fewer than two scenarios.
Comparison compare(const ComparisonInput& input, const CompareOptions& options);

//---- output ----

// The comparison as a text table for people: one block per variable, one row per scenario.
void write_comparison_table(const Comparison& comparison, std::ostream& out);

// The comparison as long-format CSV: one row per (variable, scenario), full precision.
void write_comparison_csv(const Comparison& comparison, std::ostream& out);

// The comparison as JSON, curves included (the data format of convsim_plots.py --data).
void write_comparison_json(const Comparison& comparison, std::ostream& out);

// A number as the table shows it: grouped thousands, a few significant digits.
std::string format_number(double value);
// The same with a leading "+" for positive values (effects and differences).
std::string signed_number(double value);

// How many times wider the unpaired interval is than the paired one, as the table and the report
// print it. `none` when either interval is missing or the paired one has zero width;
// `rounding_only` when the paired half-width is within 1e-12 of the larger of the two scenarios'
// horizon means: differences equal in every pair (a deterministic effect) leave only the rounding
// of the sums, and a ratio against it would be meaningless (10^15x).
struct UnpairedRatio {
  enum class Kind { none, rounding_only, ratio };
  Kind kind = Kind::none;
  double value = 0;  // unpaired / paired half-width, when kind == ratio
};
UnpairedRatio unpaired_ratio(const Effect& effect, double baseline_mean, double scenario_mean);

// The seeds of a scenario in few words: "seed 7", "seeds 1-20" (contiguous), "seeds 3, 8", or the count
// and the first run's seed, "20 seeds, the first 397362560193815".
std::string seed_summary(const std::vector<std::uint64_t>& seeds);

// A one-sentence reading of a scenario's effect on a variable at the horizon, e.g.
// "raises employment in 2020 by 15,400 person (+1.2 %; 95 % CI +14,900 to +15,900, 20 paired seeds)".
std::string describe_effect(const Comparison& comparison, const VariableComparison& variable,
                            const ScenarioVariable& scenario);

}  // namespace convsim::analysis
