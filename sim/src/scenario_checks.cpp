// Warnings about valid scenarios that are probably not what their author meant, and the policy
// schedule as `convsim validate --print` shows it. Declared in scenario.hpp.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "convsim/detail/scenario_recheck.hpp"
#include "convsim/errors.hpp"
#include "convsim/policy_schedule.hpp"
#include "convsim/scenario.hpp"

namespace convsim {
namespace {

std::string number(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

// The first step (index t >= 0, possibly after the run) whose start year satisfies `test`,
// looking up to `limit` steps; -1 when none does.
template <typename Test>
long first_step(const Scenario& scenario, long limit, Test&& test) {
  for (long t = 0; t < limit; ++t) {
    if (test(scenario.year_of_step(static_cast<int>(t)))) return t;
  }
  return -1;
}

// Steps to look through: the run, and far enough beyond it for any event that starts in it to
// reach full strength (ramp_years is at most 100).
long steps_to_look_at(const Scenario& scenario, const PolicyEvent& event) {
  const double years = std::max(0.0, event.at + event.ramp_years - scenario.time.start_year) + 1.0;
  return std::max<long>(scenario.steps(), static_cast<long>(std::ceil(years * scenario.time.steps_per_year)) + 1);
}

// A scalar entry's number (entries have been validated by build_scenario).
bool entry_number(const DocumentEntry& entry, double& value) {
  if (!entry.value.IsScalar()) return false;
  const std::string& text = entry.value.Scalar();
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end != text.c_str() && std::isfinite(value);
}

// The default of each sector field, by name (from the schema).
const std::map<std::string, double, std::less<>>& sector_field_defaults() {
  static const std::map<std::string, double, std::less<>> defaults = [] {
    std::map<std::string, double, std::less<>> out;
    for (const ParameterDoc& p : scenario_schema()) {
      const std::string head = "sectors.<sector>.";
      if (p.key.rfind(head, 0) != 0) continue;
      char* end = nullptr;
      const double value = std::strtod(p.default_value.c_str(), &end);
      if (end != p.default_value.c_str()) out[p.key.substr(head.size())] = value;
    }
    return out;
  }();
  return defaults;
}

}  // namespace

namespace detail {

void policy_warnings(const ScenarioDocument& doc, const Scenario& scenario, std::vector<ScenarioWarning>& out) {
  const double first = scenario.year_of_step(0);
  const double last = scenario.year_of_step(scenario.steps() - 1);
  const std::string run = "the run's steps start in " + number(first) + " to " + number(last);
  for (const PolicyEvent& e : scenario.policies) {
    const std::string prefix = "policies." + e.name;
    auto warn = [&](const std::string& field, const std::string& message) {
      const DocumentEntry* entry = doc.find(prefix + "." + field);
      out.push_back({entry ? entry->where : doc.location_of(prefix), prefix + "." + field, message});
    };
    if (e.at > last) {
      warn("at", "the event starts in " + number(e.at) + ", after the run's last step (" + number(last) +
                     "): it never acts in this run (" + run + ")");
    } else if (e.until <= first) {
      warn("until", "the event ends in " + number(e.until) + ", before the run's first step (" + number(first) +
                        "): it never acts in this run (" + run + ")");
    } else if (e.at < first) {
      warn("at", "the event starts in " + number(e.at) + ", before the run's first year (" + number(first) +
                     "): it is in force from the first step at strength " + number(event_strength(e, first)) +
                     " (and during any burn-in)");
    }
    // A ramp that is still rising when the run ends is a scenario's own choice (5G from 2019 over
    // three years): validate --print shows its strength by year instead of warning.
  }
}

SectorWarningTable::SectorWarningTable(const ScenarioDocument& doc, const Scenario& scenario)
    : calibrated_file_(calibration_file(doc)) {
  // The file that holds the calibration section: its sector values are the calibrated ones.
  if (calibrated_file_.empty()) return;
  for (const Sector& sector : scenario.sectors) {
    sectors_.push_back(sector.name);
    std::vector<Cell>& cells = cells_.emplace_back();
    for (std::string& field : doc.children("sectors." + sector.name)) {
      Cell& cell = cells.emplace_back();
      cell.field = std::move(field);
      cell.leaf = doc.leaf_handle("sectors." + sector.name + "." + cell.field);
      refresh(doc, sectors_.size() - 1, cells.size() - 1);
    }
  }
}

bool SectorWarningTable::locate(int leaf, std::size_t& sector, std::size_t& cell) const {
  for (std::size_t s = 0; s < cells_.size(); ++s) {
    for (std::size_t c = 0; c < cells_[s].size(); ++c) {
      if (leaf >= 0 && cells_[s][c].leaf == leaf) {
        sector = s;
        cell = c;
        return true;
      }
    }
  }
  return false;
}

void SectorWarningTable::refresh(const ScenarioDocument& doc, std::size_t sector, std::size_t cell) {
  Cell& c = cells_[sector][cell];
  if (c.leaf < 0) return;
  const DocumentEntry& entry = doc.leaf_entry(c.leaf);
  c.calibrated = entry.where.file == calibrated_file_;
  c.number = entry_number(entry, c.value);
}

void SectorWarningTable::refresh(const ScenarioDocument& doc, std::size_t sector, std::size_t cell, double value) {
  Cell& c = cells_[sector][cell];
  if (c.leaf < 0) return;
  c.calibrated = doc.leaf_entry(c.leaf).where.file == calibrated_file_;
  c.number = std::isfinite(value);
  c.value = value;
}

void SectorWarningTable::warnings(const ScenarioDocument& doc, std::vector<ScenarioWarning>& out) const {
  if (calibrated_file_.empty()) return;
  struct Range {
    std::string_view field;
    double low = INFINITY, high = -INFINITY;
  };
  std::vector<Range> calibrated;  // each field's range over the calibrated sectors, in the order the calibrated file sets them
  for (const auto& cells : cells_) {
    for (const Cell& cell : cells) {
      if (cell.leaf < 0 || !cell.calibrated || !cell.number) continue;
      auto it = std::find_if(calibrated.begin(), calibrated.end(), [&](const Range& r) { return r.field == cell.field; });
      if (it == calibrated.end()) it = calibrated.insert(calibrated.end(), Range{cell.field});
      it->low = std::min(it->low, cell.value);
      it->high = std::max(it->high, cell.value);
    }
  }
  if (calibrated.empty()) return;
  for (std::size_t s = 0; s < sectors_.size(); ++s) {
    for (const Range& range : calibrated) {
      const auto found = std::find_if(cells_[s].begin(), cells_[s].end(),
                                      [&](const Cell& c) { return c.leaf >= 0 && c.field == range.field; });
      const Cell* cell = found == cells_[s].end() ? nullptr : &*found;
      if (cell && cell->calibrated) continue;
      double value = 0;
      std::string how;
      if (cell) {
        if (!cell->number) continue;
        value = cell->value;
      } else {
        const auto known = sector_field_defaults().find(range.field);
        if (known == sector_field_defaults().end()) continue;
        value = known->second;
        how = " (the default)";
      }
      const double slack = 1e-9 * std::max(std::fabs(range.low), std::fabs(range.high));
      if (value >= range.low - slack && value <= range.high + slack) continue;
      const std::string prefix = "sectors." + sectors_[s];
      const std::string field(range.field);
      out.push_back({cell ? doc.leaf_entry(cell->leaf).where : doc.location_of(prefix), prefix + "." + field,
                     number(value) + how + " lies outside the range of the calibrated sectors, " + number(range.low) +
                         " to " + number(range.high) + " (" + calibrated_file_ +
                         "): the sector starts far from the calibrated economy; set " + field +
                         " within that range unless you mean it"});
    }
  }
}

}  // namespace detail

std::string ScenarioWarning::text() const { return InputError(where.file, where.line, key, message).what(); }

std::string calibration_file(const ScenarioDocument& document) {
  for (const std::string& key : document.children("calibration")) {
    if (const DocumentEntry* entry = document.find("calibration." + key)) return entry->where.file;
  }
  return "";
}

std::vector<ScenarioWarning> scenario_warnings(const ScenarioDocument& doc, const Scenario& scenario) {
  std::vector<ScenarioWarning> out;
  detail::policy_warnings(doc, scenario, out);
  detail::SectorWarningTable(doc, scenario).warnings(doc, out);
  return out;
}

std::vector<std::string> policy_schedule_lines(const Scenario& scenario) {
  std::vector<std::string> lines;
  const double last = scenario.year_of_step(scenario.steps() - 1);
  for (const PolicyEvent& e : scenario.policies) {
    std::string sectors;
    for (int s : e.sectors) sectors += (sectors.empty() ? " [" : ", ") + scenario.sectors[static_cast<std::size_t>(s)].name;
    if (!sectors.empty()) sectors += "]";
    std::string line = e.name + ": " + to_string(e.lever) + sectors + (e.additive ? " add " : " set ") + number(e.value) +
                       " at " + number(e.at);
    if (e.ramp_years > 0) line += ", ramp " + number(e.ramp_years) + " years";
    if (!std::isinf(e.until)) line += ", until " + number(e.until);
    line += ": ";
    const long limit = steps_to_look_at(scenario, e);
    const long moves = first_step(scenario, limit, [&](double y) { return event_strength(e, y) > 0; });
    const long full = first_step(scenario, limit, [&](double y) { return event_strength(e, y) >= 1; });
    auto year = [&](long t) {
      const double y = scenario.year_of_step(static_cast<int>(t));
      return number(y) + (y > last ? " (after the run)" : "");
    };
    if (moves < 0 || scenario.year_of_step(static_cast<int>(moves)) > last) {
      line += "never in force within the run";
    } else if (e.ramp_years > 0 && moves > 0 && scenario.year_of_step(static_cast<int>(moves - 1)) >= e.at) {
      // A ramp's strength is 0 in the step that starts at `at`: it first moves one step later.
      line += "strength 0 in " + number(scenario.year_of_step(static_cast<int>(moves - 1))) + " (at), " +
              number(event_strength(e, scenario.year_of_step(static_cast<int>(moves)))) + " in " + year(moves);
      line += full >= 0 ? ", full from " + year(full) : ", never full";
    } else if (full == moves) {
      line += "full from " + year(moves);
    } else {
      line += "strength " + number(event_strength(e, scenario.year_of_step(static_cast<int>(moves)))) + " from " +
              year(moves) + (full >= 0 ? ", full from " + year(full) : ", never full");
    }
    if (!std::isinf(e.until) && e.until <= last) line += ", back to 0 from " + number(e.until);
    lines.push_back(line);
  }
  return lines;
}

}  // namespace convsim
