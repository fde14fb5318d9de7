// Merging a sweep's per-run results into one HDF5 file (layout in merge.hpp and docs/clusters.md).
// Runs are read one at a time and written as one row of each [run, ...] dataset, so memory stays at
// one run whatever the sweep's size. Object modification times are not recorded, so merging the
// same results twice gives byte-identical files.
#include "convsim/merge.hpp"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>

#include "convsim/detail/hdf5_handle.hpp"
#include "convsim/errors.hpp"
#include "convsim/parameter_draws.hpp"
#include "convsim/result.hpp"
#include "convsim/result_file.hpp"
#include "convsim/sweep.hpp"
#include "hdf5_writer.hpp"

#ifndef CONVSIM_VERSION
#define CONVSIM_VERSION "unknown"
#endif

namespace convsim {
namespace {

namespace fs = std::filesystem;
using detail::DatasetHandle;
using detail::DataspaceHandle;
using detail::GroupHandle;
using detail::h5_check;
using detail::attach;
using detail::dataset_create_plist;
using detail::DimensionScale;
using detail::file_create_plist;
using detail::ObjectTimes;
using detail::simple_space;
using detail::write_number_attribute;
using detail::write_string_attribute;
using detail::write_units;

// Merged files omit object modification times: merging the same runs twice gives the same bytes.
constexpr ObjectTimes kTimes = ObjectTimes::omitted;

GroupHandle create_group(hid_t parent, const std::string& name) { return detail::create_group(parent, name, kTimes); }

// A numeric dataset, chunked by `chunk` and checksummed (Fletcher32).
DatasetHandle create_dataset(hid_t parent, const std::string& name, hid_t file_type, const std::vector<hsize_t>& dims,
                             const std::vector<hsize_t>& chunk) {
  auto plist = dataset_create_plist(kTimes);
  detail::set_checksummed_chunks(plist.get(), chunk);
  return detail::create_dataset(parent, name, file_type, dims, plist.get());
}

template <typename Number>
DatasetHandle write_numbers(hid_t parent, const std::string& name, hid_t file_type, hid_t memory_type,
                            const std::vector<Number>& values) {
  auto dataset = create_dataset(parent, name, file_type, {values.size()}, detail::whole_chunk({values.size()}));
  if (!values.empty()) {
    h5_check(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "H5Dwrite", name);
  }
  return dataset;
}

DatasetHandle write_strings(hid_t parent, const std::string& name, const std::vector<std::string>& values) {
  return detail::write_strings(parent, name, values, kTimes);
}

//---- the merged layout -----------------------------------------------------------------------

// The scales of one group (each group repeats them, as result files do, for xarray).
struct Scales {
  DimensionScale run;
  DimensionScale time;
  DimensionScale sector;
  // Writes each scale's list of attached variables (once every variable is attached).
  void finish() {
    run.finish();
    time.finish();
    if (sector) sector.finish();
  }
};

Scales write_scales(hid_t group, const std::vector<std::int64_t>& runs, const RunResult& first, bool with_sector) {
  Scales scales;
  scales.run = DimensionScale(write_numbers(group, "run", H5T_STD_I64LE, H5T_NATIVE_INT64, runs), "run");
  write_units(scales.run.get(), "1", "run index in the sweep plan (row of /runs)");
  scales.time = DimensionScale(write_numbers(group, "time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, first.time), "time");
  write_units(scales.time.get(), "year", "time (decimal year at the start of the step)");
  write_string_attribute(scales.time.get(), "axis", "T");
  if (with_sector) {
    scales.sector = DimensionScale(write_strings(group, "sector", first.sectors), "sector");
    write_string_attribute(scales.sector.get(), "long_name", "sector");
  }
  return scales;
}

// One [run, time] or [run, time, sector] variable being filled row by row.
struct MergedVariable {
  std::string name;
  std::size_t values_per_run = 0;
  DatasetHandle dataset;
};

struct MergedGroup {
  std::string name;
  GroupHandle group;
  Scales scales;
  std::vector<MergedVariable> variables;
};

MergedVariable create_variable(MergedGroup& group, const std::string& name, const std::string& unit,
                               const std::string& long_name, std::size_t run_count, std::size_t time_count,
                               std::size_t sector_count, bool by_sector) {
  MergedVariable variable;
  variable.name = name;
  std::vector<hsize_t> dims = {run_count, time_count};
  if (by_sector) dims.push_back(sector_count);
  variable.values_per_run = time_count * (by_sector ? sector_count : 1);
  // One chunk per run: rows are written one at a time.
  std::vector<hsize_t> chunk = dims;
  chunk[0] = 1;
  variable.dataset = create_dataset(group.group.get(), name, H5T_IEEE_F64LE, dims, chunk);
  write_units(variable.dataset.get(), unit, long_name);
  if (by_sector) {
    attach(variable.dataset.get(), {&group.scales.run, &group.scales.time, &group.scales.sector}, name);
  } else {
    attach(variable.dataset.get(), {&group.scales.run, &group.scales.time}, name);
  }
  return variable;
}

void write_row(const MergedVariable& variable, std::size_t row, const std::vector<double>& values) {
  auto file_space = DataspaceHandle::checked(H5Dget_space(variable.dataset.get()), "H5Dget_space");
  const int rank = H5Sget_simple_extent_ndims(file_space.get());
  std::vector<hsize_t> start(static_cast<std::size_t>(rank), 0), count(static_cast<std::size_t>(rank));
  h5_check(H5Sget_simple_extent_dims(file_space.get(), count.data(), nullptr), "H5Sget_simple_extent_dims");
  start[0] = row;
  count[0] = 1;
  h5_check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
           "H5Sselect_hyperslab", variable.name);
  auto memory_space = simple_space({values.size()});
  h5_check(H5Dwrite(variable.dataset.get(), H5T_NATIVE_DOUBLE, memory_space.get(), file_space.get(), H5P_DEFAULT,
                    values.data()),
           "H5Dwrite", variable.name);
}

// Names of a result's variables in one group, with their [T] or [T*S] values.
struct GroupContent {
  std::string group;
  bool by_sector = false;
  std::vector<const Series*> series;
  std::vector<const SectorSeries*> sector_series;
};

std::vector<GroupContent> contents_of(const RunResult& r) {
  std::vector<GroupContent> out;
  auto series_group = [&](const char* name, const std::vector<Series>& series) {
    GroupContent g{name, false, {}, {}};
    for (const auto& s : series) g.series.push_back(&s);
    return g;
  };
  out.push_back(series_group("aggregate", r.aggregate));
  GroupContent by_sector{"by_sector", true, {}, {}};
  for (const auto& s : r.by_sector) by_sector.sector_series.push_back(&s);
  out.push_back(by_sector);
  out.push_back(series_group("convergence", r.convergence));
  GroupContent policy = series_group("policy", r.policy);
  policy.by_sector = !r.policy_by_sector.empty();
  for (const auto& s : r.policy_by_sector) policy.sector_series.push_back(&s);
  out.push_back(policy);
  return out;
}

// The layout signature of a result: group/variable names in order (to refuse mismatched runs).
std::vector<std::string> variable_names(const RunResult& r) {
  std::vector<std::string> names;
  for (const auto& g : contents_of(r)) {
    for (const auto* s : g.series) names.push_back(g.group + "/" + s->name);
    for (const auto* s : g.sector_series) names.push_back(g.group + "/" + s->name + "[sector]");
  }
  return names;
}

std::string describe_axis(const std::vector<double>& time) {
  if (time.empty()) return "no steps";
  char text[96];
  std::snprintf(text, sizeof text, "%zu steps %g..%g", time.size(), time.front(), time.back());
  return text;
}

void check_compatible(const fs::path& file, const RunResult& r, const RunResult& first, const fs::path& first_file) {
  if (r.time != first.time) {
    throw InputError(file.string(), 0, "/time",
                     "time axis (" + describe_axis(r.time) + ") differs from that of " + first_file.filename().string() +
                         " (" + describe_axis(first.time) + "); merge only runs with the same time settings");
  }
  if (r.sectors != first.sectors) {
    throw InputError(file.string(), 0, "/sector",
                     "sectors (" + std::to_string(r.sectors.size()) + ") differ from those of " +
                         first_file.filename().string() + " (" + std::to_string(first.sectors.size()) +
                         "); merge only runs of scenarios with the same sectors");
  }
  if (variable_names(r) != variable_names(first)) {
    throw InputError(file.string(), 0, "",
                     "holds different variables than " + first_file.filename().string() +
                         " (written by another convsim version?)");
  }
}

bool all_numbers(const std::vector<std::string>& values, std::vector<double>& numbers) {
  numbers.clear();
  for (const auto& text : values) {
    try {
      std::size_t used = 0;
      const double value = std::stod(text, &used);
      if (used != text.size()) return false;
      numbers.push_back(value);
    } catch (const std::exception&) {
      return false;
    }
  }
  return true;
}

// The parameter draws of the runs, from their resolved scenarios.
struct DrawColumns {
  std::vector<std::int64_t> draw;             // [run], -1 for none
  std::vector<std::string> parameters;        // union of the runs' free parameters, in order
  std::vector<std::vector<double>> values;    // [run][parameter], NaN where a run has none
};

DrawColumns draw_columns(const std::vector<std::string>& scenario_yaml) {
  DrawColumns out;
  std::vector<std::optional<AppliedDraw>> draws;
  for (const auto& yaml : scenario_yaml) {
    draws.push_back(read_applied_draw(yaml));
    out.draw.push_back(draws.back() ? draws.back()->index : -1);
    if (!draws.back()) continue;
    for (const auto& p : draws.back()->parameters) {
      if (std::find(out.parameters.begin(), out.parameters.end(), p) == out.parameters.end()) out.parameters.push_back(p);
    }
  }
  for (const auto& d : draws) {
    std::vector<double> row(out.parameters.size(), std::numeric_limits<double>::quiet_NaN());
    if (d) {
      for (std::size_t k = 0; k < d->parameters.size(); ++k) {
        const auto at = std::find(out.parameters.begin(), out.parameters.end(), d->parameters[k]);
        row[static_cast<std::size_t>(at - out.parameters.begin())] = d->free_values[k];
      }
    }
    out.values.push_back(std::move(row));
  }
  return out;
}

void write_run_table(hid_t file, const PlanSummary& plan, const std::vector<const PlannedRun*>& runs,
                     const std::vector<std::string>& scenario_yaml, const std::vector<std::int64_t>& run_index,
                     const DrawColumns& draws) {
  auto group = create_group(file, "runs");
  DimensionScale run(write_numbers(group.get(), "run", H5T_STD_I64LE, H5T_NATIVE_INT64, run_index), "run");
  write_units(run.get(), "1", "run index in the sweep plan");
  auto column_strings = [&](const std::string& name, const std::vector<std::string>& values, const std::string& long_name) {
    auto dataset = write_strings(group.get(), name, values);
    write_string_attribute(dataset.get(), "long_name", long_name);
    attach(dataset.get(), {&run}, name);
  };
  std::vector<std::string> scenario, identity;
  std::vector<std::int64_t> replicate;
  std::vector<std::uint64_t> seed;
  for (const auto* run : runs) {
    scenario.push_back(run->scenario);
    identity.push_back(run->identity);
    replicate.push_back(run->replicate);
    seed.push_back(run->seed);
  }
  column_strings("scenario", scenario, "scenario of the run (its name in the sweep file)");
  {
    auto dataset = write_numbers(group.get(), "replicate", H5T_STD_I64LE, H5T_NATIVE_INT64, replicate);
    write_units(dataset.get(), "1", "replicate (runs with the same replicate share their seed: common random numbers)");
    attach(dataset.get(), {&run}, "replicate");
  }
  {
    auto dataset = write_numbers(group.get(), "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, seed);
    write_units(dataset.get(), "1", "seed of the run");
    attach(dataset.get(), {&run}, "seed");
  }
  column_strings("identity", identity, "run identity: digest of the resolved scenario and seed");
  for (std::size_t p = 0; p < plan.parameters.size(); ++p) {
    std::vector<std::string> values;
    for (const auto* run : runs) values.push_back(run->values[p]);
    std::vector<double> numbers;
    const std::string& key = plan.parameters[p];
    if (key == "run" || key == "scenario" || key == "replicate" || key == "seed" || key == "identity" ||
        key == "scenario_yaml") {
      continue;  // cannot happen for scenario keys, but never overwrite a column
    }
    if (all_numbers(values, numbers)) {
      auto dataset = write_numbers(group.get(), key, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, numbers);
      write_units(dataset.get(), "as in the scenario reference", "swept scenario key " + key);
      attach(dataset.get(), {&run}, key);
    } else {
      column_strings(key, values, "swept scenario key " + key + " (YAML text)");
    }
  }
  if (plan.design == "sobol" || plan.design == "morris") {
    // Each run's place in the design, for `convsim sensitivity` (sensitivity_design.hpp, DesignRole).
    const bool sobol = plan.design == "sobol";
    std::vector<std::int64_t> group_of, block, factor;
    std::vector<double> delta;
    for (const auto* r : runs) {
      group_of.push_back(r->role.group);
      block.push_back(r->role.block);
      factor.push_back(r->role.factor);
      delta.push_back(r->role.delta);
    }
    auto column = [&](const char* name, const auto& values, hid_t file_type, hid_t memory_type, const std::string& long_name) {
      auto dataset = write_numbers(group.get(), name, file_type, memory_type, values);
      write_units(dataset.get(), "1", long_name);
      attach(dataset.get(), {&run}, name);
    };
    column("design_group", group_of, H5T_STD_I64LE, H5T_NATIVE_INT64,
           sobol ? "row j of the Saltelli matrices A and B" : "Morris trajectory");
    column("design_block", block, H5T_STD_I64LE, H5T_NATIVE_INT64,
           sobol ? "Saltelli matrix: 0 = A, i = A_B^i (1..k), k + 1 = B" : "step along the Morris trajectory (0 = its start)");
    column("design_factor", factor, H5T_STD_I64LE, H5T_NATIVE_INT64,
           "0-based index into the root attribute parameters of the factor that differs (A_B^i, Morris step); -1: none");
    column("design_delta", delta, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
           "Morris step of design_factor in the unit cube (signed); 0 otherwise");
  }
  column_strings("scenario_yaml", scenario_yaml, "resolved scenario of the run (re-runnable with convsim run)");
  {
    auto dataset = write_numbers(group.get(), "draw", H5T_STD_I64LE, H5T_NATIVE_INT64, draws.draw);
    write_units(dataset.get(), "1",
                "parameter draw of the calibration the run used (row of calibration.parameter_draws; -1: the calibrated point)");
    attach(dataset.get(), {&run}, "draw");
  }
  if (!draws.parameters.empty()) {
    DimensionScale parameter(write_strings(group.get(), "draw_parameter", draws.parameters), "draw_parameter");
    write_string_attribute(parameter.get(), "long_name", "free parameter of the calibration");
    std::vector<double> flat;
    for (const auto& row : draws.values) flat.insert(flat.end(), row.begin(), row.end());
    const std::vector<hsize_t> dims = {runs.size(), draws.parameters.size()};
    auto dataset = create_dataset(group.get(), "draw_values", H5T_IEEE_F64LE, dims, detail::whole_chunk(dims));
    h5_check(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, flat.data()), "H5Dwrite",
             "draw_values");
    write_units(dataset.get(), "as in the calibration", "free-parameter values of the run's parameter draw (NaN: none)");
    attach(dataset.get(), {&run, &parameter}, "draw_values");
    parameter.finish();
  }
  run.finish();
}

}  // namespace

MergeReport merge_sweep(const fs::path& sweep_dir, const fs::path& output, const MergeOptions& options) {
  const PlanSummary plan = read_plan_json(sweep_dir / "plan.json");
  MergeReport report;
  report.runs_planned = plan.runs.size();
  std::vector<const PlannedRun*> present;
  for (const auto& run : plan.runs) {
    if (is_complete_result(sweep_dir / run.result, run.identity)) {
      present.push_back(&run);
    } else {
      report.missing.push_back(run.index);
    }
  }
  if ((!report.missing.empty() && !options.allow_missing) || present.empty()) return report;
  // The rows' results by their path (so that messages name the file as it is found).
  std::vector<PlannedRun> located;
  located.reserve(present.size());
  for (const auto* run : present) {
    located.push_back(*run);
    located.back().result = (sweep_dir / run->result).string();
  }
  std::vector<const PlannedRun*> rows;
  for (const auto& run : located) rows.push_back(&run);
  write_merged_results(output, plan, rows, [&](std::size_t row) { return read_result(rows[row]->result); });
  report.runs_merged = present.size();
  report.written = true;
  return report;
}

std::string parameter_uncertainty_state(bool requested, bool any_run_drawn) {
  if (any_run_drawn) return "on";
  return requested ? "no draws" : "off";
}

void write_merged_results(const fs::path& output, const PlanSummary& plan, const std::vector<const PlannedRun*>& present,
                          const std::function<RunResult(std::size_t)>& load, const std::string& scenario_file) {
  const fs::path folder = output.has_parent_path() ? output.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw InputError(output.string(), 0, "", "cannot write the merged file: folder '" + folder.string() + "' does not exist");
  }
  fs::path temporary = output;
  temporary += ".tmp." + std::to_string(::getpid());
  std::vector<std::int64_t> run_index;
  for (const auto* run : present) run_index.push_back(static_cast<std::int64_t>(run->index));
  const std::size_t run_count = present.size();

  detail::Hdf5Session session;
  try {
    const fs::path first_file = scenario_file.empty() ? fs::path(present.front()->result) : fs::path(scenario_file);
    const RunResult first = load(0);
    const std::size_t T = first.time.size(), S = first.sectors.size();
    std::vector<std::string> scenario_yaml;
    scenario_yaml.reserve(run_count);
    {
      auto create_plist = file_create_plist(kTimes);
      auto access = detail::file_write_access_plist();
      auto file = detail::create_file(temporary, create_plist.get(), access.get());
      const hid_t root = file.get();
      write_string_attribute(root, "title", scenario_file.empty() ? "convsim sweep " + plan.name
                                                                  : "convsim run " + plan.name + " (replicates)");
      write_string_attribute(root, "Conventions", "CF-1.8");
      write_string_attribute(root, "convsim_version", CONVSIM_VERSION);
      write_string_attribute(root, "git_revision", convsim_git_revision());
      write_string_attribute(root, "sweep_name", plan.name);
      write_string_attribute(root, scenario_file.empty() ? "sweep_file" : "scenario_file",
                             scenario_file.empty() ? plan.sweep_file : scenario_file);
      write_string_attribute(root, "design", plan.design);
      std::string parameters;
      for (const auto& p : plan.parameters) parameters += (parameters.empty() ? "" : ",") + p;
      write_string_attribute(root, "parameters", parameters);
      write_number_attribute(root, "replicates", H5T_STD_I32LE, H5T_NATIVE_INT, &plan.replicates);
      write_number_attribute(root, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &plan.base_seed);
      write_number_attribute(root, "steps_per_year", H5T_STD_I32LE, H5T_NATIVE_INT, &first.steps_per_year);
      const auto planned = static_cast<std::int64_t>(plan.runs.size());
      write_number_attribute(root, "runs_planned", H5T_STD_I64LE, H5T_NATIVE_INT64, &planned);

      Scales root_scales = write_scales(root, run_index, first, true);
      if (!first.sector_roles.empty()) {
        auto roles = write_strings(root, "sector_role", first.sector_roles);
        write_string_attribute(roles.get(), "long_name", "role of the sector: contents, platform, network, device or converging");
        attach(roles.get(), {&root_scales.sector}, "sector_role");
      }
      root_scales.finish();

      std::vector<MergedGroup> groups;
      const auto layout = contents_of(first);
      for (const auto& content : layout) {
        MergedGroup group;
        group.name = content.group;
        group.group = create_group(root, content.group);
        group.scales = write_scales(group.group.get(), run_index, first, content.by_sector || !content.sector_series.empty());
        for (const auto* s : content.series) {
          group.variables.push_back(create_variable(group, s->name, s->units, s->long_name, run_count, T, S, false));
        }
        for (const auto* s : content.sector_series) {
          group.variables.push_back(create_variable(group, s->name, s->units, s->long_name, run_count, T, S, true));
        }
        group.scales.finish();  // every variable of the group is attached
        groups.push_back(std::move(group));
      }

      for (std::size_t row = 0; row < run_count; ++row) {
        const fs::path path = present[row]->result;
        const RunResult r = row == 0 ? first : load(row);
        check_compatible(path, r, first, first_file);
        if (r.scenario_hash != present[row]->identity) {
          throw InputError(path.string(), 0, "scenario_hash", "is " + r.scenario_hash + ", the plan says " + present[row]->identity);
        }
        scenario_yaml.push_back(r.scenario_yaml);
        const auto content = contents_of(r);
        for (std::size_t g = 0; g < groups.size(); ++g) {
          std::size_t v = 0;
          for (const auto* s : content[g].series) write_row(groups[g].variables[v++], row, s->values);
          for (const auto* s : content[g].sector_series) write_row(groups[g].variables[v++], row, s->values);
        }
      }
      groups.clear();
      const DrawColumns draws = draw_columns(scenario_yaml);
      const bool drawn = std::any_of(draws.draw.begin(), draws.draw.end(), [](std::int64_t d) { return d >= 0; });
      write_string_attribute(root, "parameter_uncertainty", parameter_uncertainty_state(plan.parameter_uncertainty, drawn));
      write_run_table(root, plan, present, scenario_yaml, run_index, draws);
      // Written last: a file that carries it was written to the end.
      write_string_attribute(root, "convsim_format", kMergedSweepFormat);
      root_scales = Scales{};
      detail::close_written_file(file, temporary);
      detail::append_checksum_trailer(temporary);
    }
    fs::rename(temporary, output);
  } catch (...) {
    fs::remove(temporary, ec);
    throw;
  }
}

}  // namespace convsim
