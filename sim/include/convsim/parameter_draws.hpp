// Parameter draws: the calibration's distribution of its free parameters, carried into replicated
// runs. A calibrated file's `calibration.parameter_draws` section holds, per draw, the K free
// parameters' values and the concrete scenario values they stand for (docs/calibration.md):
//
//   calibration:
//     parameter_draws:
//       parameters: [ict_initial_convergence, ...]        # K free parameters
//       keys: [sectors.contents.initial_converged, ...]   # concrete scenario keys
//       free_values: [[0.91, ...], ...]                   # [draw][K]
//       values: [[0.91, 0.91, ...], ...]                  # [draw][keys]
//
// Replicate r of a run or sweep point uses draw r (with its replicate seed): every key is set to
// the draw's value, except keys the scenario (or a --set, a sweep's set or design) sets itself,
// which keep that value. The drawn document records what was applied under
// `calibration.applied_draw` (index, draws, parameters, free_values, keys, held_keys) and no longer
// holds `calibration.parameter_draws`; its resolved scenario re-runs the same run as it is.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "convsim/scenario.hpp"
#include "convsim/scenario_document.hpp"

namespace convsim {

// The key of the draws in a calibrated file, and of the record of an applied draw.
inline constexpr const char* kParameterDrawsKey = "calibration.parameter_draws";
inline constexpr const char* kAppliedDrawKey = "calibration.applied_draw";

// The draws of one calibration, as read and checked.
struct ParameterDraws {
  SourceLocation where;                         // the calibration file and line of `parameter_draws`
  std::vector<std::string> parameters;          // K free parameters
  std::vector<std::string> keys;                // concrete scenario keys
  std::vector<std::vector<double>> free_values; // [draw][K]
  std::vector<std::vector<YAML::Node>> values;  // [draw][keys]: numbers, kept as written
  std::vector<int> value_lines;                 // line of each `values` row

  std::size_t count() const { return values.size(); }
};

// The draws of `document` (nullopt when its calibration has none). Throws InputError naming the
// file, line and key for malformed draws: a list missing, a non-number, rows of the wrong length,
// lists of unequal length. Linear in the size of the draws.
std::optional<ParameterDraws> read_parameter_draws(const ScenarioDocument& document);

// Throws InputError (the calibration file, key calibration.parameter_draws) when `replicates`
// exceeds the number of draws.
void check_draw_count(const ParameterDraws& draws, long long replicates);

// The drawn keys that `document` sets somewhere other than the calibration file (the scenario, a
// --set, a sweep's set or design): they keep that value in every replicate.
std::vector<std::string> held_keys(const ScenarioDocument& document, const ParameterDraws& draws);

// The warning a run gives once for each held key (naming the key and where it is set).
std::vector<ScenarioWarning> held_key_warnings(const ScenarioDocument& document, const ParameterDraws& draws);

// Sets draw `draw` (0-based, < draws.count()) over `document`: every drawn key but the held ones,
// then replaces calibration.parameter_draws by the calibration.applied_draw record.
void apply_parameter_draw(ScenarioDocument& document, const ParameterDraws& draws, std::size_t draw);

// The key under which a run records the calibrated keys it overrides (a list; absent when none).
inline constexpr const char* kOverriddenKeysKey = "calibration.overridden_keys";

// The keys the calibration file sets itself (not those of files it extends, nor calibration.*)
// that `document` gives another value (a scenario, a --set, a sweep's set or design). Empty
// without a calibration, or when the calibration file cannot be read again.
std::vector<std::string> overridden_calibrated_keys(const ScenarioDocument& document);
// Its parts: the leaves a calibration file sets itself, as (key, value text), in the order
// overridden_calibrated_keys lists them (read once per file and modification), and whether a
// document's entry for one of them (nullptr when absent) overrides it.
std::vector<std::pair<std::string, std::string>> calibrated_leaves(const std::string& calibration_file);
bool overrides_calibrated(const DocumentEntry* entry, const std::string& calibration_file, const std::string& calibrated_text);

// Records overridden_calibrated_keys(document) under calibration.overridden_keys (when there are
// any), so that a result tells which calibrated values it departs from (`convsim compare --report`).
void record_calibration_overrides(ScenarioDocument& document);

// What a result's resolved scenario says of the draw it ran with.
struct AppliedDraw {
  long long index = -1;                  // the draw, 0-based
  long long draws = 0;                   // how many the calibration held
  std::vector<std::string> parameters;   // K free parameters
  std::vector<double> free_values;       // [K]
  std::vector<std::string> keys;         // the keys the draw set
  std::vector<std::string> held_keys;    // drawn keys the scenario kept at its own value
};

// The applied draw recorded in a resolved scenario (YAML text), or nullopt when it has none or it
// does not parse.
std::optional<AppliedDraw> read_applied_draw(const std::string& resolved_yaml);
std::optional<AppliedDraw> read_applied_draw(const YAML::Node& root);

}  // namespace convsim
