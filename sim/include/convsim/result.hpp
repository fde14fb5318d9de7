// RunResult: everything one run produces, in the layout of the HDF5 result file. The writer and
// reader know nothing of the economics: variables are named series with units.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace convsim {

// A time series [T] stored under a group (/aggregate, /convergence, /policy).
struct Series {
  std::string name;       // dataset name, e.g. "output"
  std::string units;      // e.g. "1e8 KRW/year"
  std::string long_name;  // e.g. "gross output (annual rate)"
  std::vector<double> values;  // [T]
};

// A [T, S] variable stored under /by_sector (or /policy for sector levers), row-major.
struct SectorSeries {
  std::string name;
  std::string units;
  std::string long_name;
  std::vector<double> values;  // [T * S], values[t * S + s]
};

// One timed policy event as the scenario states it (stored in /policy/events).
struct PolicyEventRecord {
  std::string name;     // the event's key in the scenario, e.g. "telemedicine"
  std::string lever;    // barrier, infrastructure, selective_focus, smart_work, accessibility, rd_support
  std::string sectors;  // comma-separated target sectors ("" = all / not sector-specific)
  std::string mode;     // "set" or "add"
  double at = 0;        // year the lever starts to move
  double until = 0;     // year it ends (NaN = never)
  double ramp_years = 0;
  double value = 0;
};

// One column of a firm snapshot.
struct FirmColumn {
  std::string name;
  std::string units;
  std::string long_name;
  std::vector<double> values;  // [firm slots at that snapshot]
};

// The state of every firm slot at one time (stored under /firms/<var>[snapshot, firm], padded
// with NaN where a later snapshot has more slots than an earlier one).
struct FirmSnapshot {
  double time = 0;  // year
  std::vector<FirmColumn> columns;
};

// Everything a run writes. time, sectors and every series share the same T and S.
struct RunResult {
  std::string title;          // human title, e.g. "convsim korea_baseline"
  std::string scenario_name;  // scenario `name`
  std::string scenario_yaml;  // the resolved scenario, re-runnable as it is
  std::string scenario_hash;  // hex digest of (resolved scenario, seed): the run's identity
  std::uint64_t seed = 0;
  int steps_per_year = 1;
  std::vector<double> time;              // [T] decimal year at the start of each step
  std::vector<std::string> sectors;      // [S]
  std::vector<std::string> sector_roles; // [S] contents|platform|network|device|converging
  std::vector<Series> aggregate;         // /aggregate/<var>
  std::vector<SectorSeries> by_sector;   // /by_sector/<var>
  std::vector<Series> convergence;       // /convergence/<var>
  std::vector<Series> policy;            // /policy/<var>   (economy-wide levers in force)
  std::vector<SectorSeries> policy_by_sector;  // /policy/<var> [T, S] (sector levers in force)
  std::vector<PolicyEventRecord> events;       // /policy/events
  std::vector<FirmSnapshot> snapshots;         // /firms/<var>

  // Lookup helpers; return nullptr when absent.
  const Series* find_aggregate(const std::string& name) const;
  const Series* find_convergence(const std::string& name) const;
  const SectorSeries* find_by_sector(const std::string& name) const;
};

}  // namespace convsim
