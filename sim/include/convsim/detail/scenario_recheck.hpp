// Rechecking a scenario document whose leaves changed value, for sweep planning: the runs of one
// scenario differ only in a few leaves (design values, seed, parameter draw), so instead of
// build_scenario over every key, only the checks those leaves take part in are repeated.
// Defined in sim/src/scenario.cpp and scenario_checks.cpp, next to the checks they repeat.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "convsim/scenario.hpp"
#include "convsim/scenario_document.hpp"

namespace convsim::detail {

// The policy half of scenario_warnings (events outside the run's years).
void policy_warnings(const ScenarioDocument& doc, const Scenario& scenario, std::vector<ScenarioWarning>& out);

// The sector half of scenario_warnings (sector fields outside the calibrated sectors' range),
// from a table of the sectors' fields that is read once and refreshed leaf by leaf.
class SectorWarningTable {
 public:
  SectorWarningTable() = default;
  SectorWarningTable(const ScenarioDocument& doc, const Scenario& scenario);
  // The table's cell for a leaf handle as (sector, cell); false when the leaf is none of its cells.
  bool locate(int leaf, std::size_t& sector, std::size_t& cell) const;
  // Re-reads a cell from the document (after the leaf's value or location was replaced).
  void refresh(const ScenarioDocument& doc, std::size_t sector, std::size_t cell);
  // The same for a leaf whose text build_scenario's reader has just read as `value` (what strtod
  // reads of any text that reader accepts).
  void refresh(const ScenarioDocument& doc, std::size_t sector, std::size_t cell, double value);
  // Appends the warnings, as scenario_warnings words them, in its order.
  void warnings(const ScenarioDocument& doc, std::vector<ScenarioWarning>& out) const;

 private:
  struct Cell {
    std::string field;        // a child of sectors.<sector>, in document order
    int leaf = -1;            // its leaf handle; -1 when it is not a leaf (then it counts as absent)
    bool calibrated = false;  // set in the calibration file
    bool number = false;      // a finite number, `value`
    double value = 0;
  };
  std::string calibrated_file_;              // calibration_file(doc); "" gives no warning
  std::vector<std::string> sectors_;         // scenario.sectors' names
  std::vector<std::vector<Cell>> cells_;     // [sector][field]
};

// What build_scenario checks of a document, repeated for the leaves that changed since the
// document was built: each changed leaf's type and range, the checks across keys that read them
// (years, returns, firm sizes, sector shares, supplier columns) and the warnings. Only for
// documents whose keys stay the same and whose changing leaves are schema scalars (not time.*),
// sector fields (not ict_synergy) or calibration.* records.
class ScenarioRecheck {
 public:
  // For `doc`, which build_scenario built into `built` without error, whose leaves `varying`
  // (dotted keys) will change value and location; nullptr when some of them take part in a check
  // this does not repeat (time, policies, sector roles and synergies, link intensities, names,
  // output, calibration's first leaf).
  static std::unique_ptr<ScenarioRecheck> make(const ScenarioDocument& doc, const Scenario& built,
                                               const std::vector<std::string>& varying);
  // True with build_scenario(doc).warnings when every check passes; false when one fails (the
  // caller then calls build_scenario, which names the error as it always does). `changed` has a
  // flag for each of make's `varying` keys: whether its value or location changed since the last
  // recheck (or since `built`); the others are not read again. `tags` names, for each varying
  // key, the value it holds (-1: none): a key that held the same value node with the same tag
  // before and was read then is not read again (sweep planning tags a draw's leaves with the draw).
  bool recheck(const ScenarioDocument& doc, const std::vector<bool>& changed, const std::vector<long long>& tags,
               std::vector<ScenarioWarning>& warnings);

 private:
  struct Leaf {
    int handle = -1;
    std::size_t varying = 0;  // its index in make's `varying`
    std::string key;
    enum class Kind { real, integer, sector_field } kind = Kind::real;
    std::size_t param = 0;   // index into the schema's real or integer keys, or the sector field
    std::size_t sector = 0;  // for a sector field: its sector and cell in the warning table
    std::size_t cell = 0;
    std::vector<double> read;   // [tag] the number read from the value of that tag
    std::vector<bool> known;    // [tag] whether it was read
  };
  ScenarioRecheck() = default;

  Scenario scenario_;  // as built, with the changing leaves' members read again each time
  std::vector<Leaf> leaves_;
  std::vector<ScenarioWarning> policy_warnings_;  // depend on no changing leaf
  SectorWarningTable sectors_;
};

}  // namespace convsim::detail
