// Reads the merged-sweep layout of `convsim merge` (sim/include/convsim/merge.hpp, docs/clusters.md):
// /run [run], /time, /sector, /<group>/<var> [run, time] or [run, time, sector], and the run table
// /runs/<column> (scenario, seed, identity, one column per swept parameter, scenario_yaml).
#include "convsim/analysis/detail/merged_sweep.hpp"

#include <hdf5.h>

#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>

#include <cmath>
#include <limits>

#include <yaml-cpp/yaml.h>

#include "convsim/detail/hdf5_handle.hpp"
#include "convsim/detail/hdf5_read.hpp"
#include "convsim/errors.hpp"
#include "convsim/merge.hpp"

namespace convsim::analysis::detail {
namespace {

using convsim::detail::DatasetHandle;
using convsim::detail::DataspaceHandle;
using convsim::detail::DatatypeHandle;
using convsim::detail::FileHandle;
using convsim::detail::GroupHandle;
using convsim::detail::h5_check;

// The root attribute `convsim_format` of a merged sweep.
constexpr const char* kMergedFormat = kMergedSweepFormat;

// Attributes of a merged file are optional to its readers: anything but one string reads as "".
std::string read_string_attribute(hid_t object, const char* name) {
  return convsim::detail::read_string_attribute(object, name, convsim::detail::NotOneString::empty);
}

std::int64_t read_int_attribute(hid_t object, const char* name, std::int64_t fallback) {
  if (h5_check(H5Aexists(object, name), "H5Aexists", name) <= 0) return fallback;
  return convsim::detail::read_number_attribute<std::int64_t>(object, name, H5T_NATIVE_INT64);
}

DatasetHandle open_dataset(hid_t parent, const std::string& name) {
  return DatasetHandle::checked(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), "H5Dopen2", name);
}

bool is_string_dataset(hid_t dataset) { return convsim::detail::dataset_class(dataset) == H5T_STRING; }

std::vector<double> read_doubles(hid_t parent, const std::string& name) {
  auto dataset = open_dataset(parent, name);
  return convsim::detail::read_number_dataset(dataset.get(), name);
}

std::vector<std::uint64_t> read_uint64(hid_t parent, const std::string& name) {
  auto dataset = open_dataset(parent, name);
  return convsim::detail::read_uint64_column(dataset.get(), name);
}

std::vector<std::string> read_strings(hid_t parent, const std::string& name) {
  auto dataset = open_dataset(parent, name);
  return convsim::detail::read_string_column(dataset.get(), name);
}

// The dataset names of a group in creation order (the order the merge wrote them).
std::vector<std::string> dataset_names(hid_t group) {
  std::vector<std::string> names;
  H5G_info_t info{};
  h5_check(H5Gget_info(group, &info), "H5Gget_info");
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    H5_index_t order = H5_INDEX_CRT_ORDER;
    ssize_t length = H5Lget_name_by_idx(group, ".", order, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (length < 0) {
      H5Eclear2(H5E_DEFAULT);
      order = H5_INDEX_NAME;  // a file written without creation-order tracking
      length = h5_check(H5Lget_name_by_idx(group, ".", order, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT),
                        "H5Lget_name_by_idx");
    }
    std::string name(static_cast<std::size_t>(length) + 1, '\0');
    h5_check(H5Lget_name_by_idx(group, ".", order, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT),
             "H5Lget_name_by_idx");
    name.resize(static_cast<std::size_t>(length));
    H5O_info_t object{};
    h5_check(H5Oget_info_by_name(group, name.c_str(), &object, H5P_DEFAULT), "H5Oget_info_by_name", name);
    if (object.type == H5O_TYPE_DATASET) names.push_back(name);
  }
  return names;
}

std::string format_parameter(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.10g", value);
  return buffer;
}

// The timed events of a stored scenario's `policies` section (a merged sweep keeps no
// /policy/events table; each run's resolved scenario says the same).
std::vector<PolicyEventRecord> events_of(const std::string& yaml) {
  std::vector<PolicyEventRecord> events;
  try {
    const YAML::Node policies = YAML::Load(yaml)["policies"];
    if (!policies || !policies.IsMap()) return events;
    for (const auto& item : policies) {
      const YAML::Node& node = item.second;
      PolicyEventRecord event;
      event.name = item.first.as<std::string>();
      event.lever = node["lever"] ? node["lever"].as<std::string>() : "";
      if (node["sectors"] && node["sectors"].IsSequence()) {
        for (const auto& sector : node["sectors"]) {
          event.sectors += (event.sectors.empty() ? "" : ",") + sector.as<std::string>();
        }
      } else if (node["sectors"] && node["sectors"].IsScalar()) {
        event.sectors = node["sectors"].Scalar();
      }
      event.mode = node["mode"] ? node["mode"].as<std::string>() : "set";
      event.at = node["at"] ? node["at"].as<double>() : 0.0;
      event.until = node["until"] ? node["until"].as<double>() : std::numeric_limits<double>::quiet_NaN();
      event.ramp_years = node["ramp_years"] ? node["ramp_years"].as<double>() : 0.0;
      event.value = node["value"] ? node["value"].as<double>() : 0.0;
      events.push_back(std::move(event));
    }
  } catch (const YAML::Exception&) {
    events.clear();  // the lever timelines from /policy still show what happened
  }
  return events;
}

}  // namespace

bool is_merged_sweep(const std::filesystem::path& path) {
  try {
    convsim::detail::Hdf5Session session;
    FileHandle file = convsim::detail::open_for_reading(path);
    return read_string_attribute(file.get(), "convsim_format") == kMergedFormat;
  } catch (const std::exception&) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
}

void read_merged_sweep(const std::filesystem::path& path, std::vector<RunResult>& runs, std::vector<RunSource>& sources) {
  const std::string file_name = path.string();
  convsim::detail::Hdf5Session session;
  try {
    auto file = convsim::detail::open_for_reading(path);
    const hid_t root = file.get();
    if (read_string_attribute(root, "convsim_format") != kMergedFormat) {
      throw InputError(file_name, 0, "convsim_format", std::string("not a merged convsim sweep (") + kMergedFormat + ")");
    }
    for (const char* required : {"time", "sector", "runs", "runs/scenario", "runs/seed", "runs/scenario_yaml"}) {
      if (H5Lexists(root, required, H5P_DEFAULT) <= 0) {
        throw InputError(file_name, 0, std::string("/") + required, "missing: the merged sweep is incomplete");
      }
    }
    RunResult shared;
    shared.time = read_doubles(root, "time");
    shared.sectors = read_strings(root, "sector");
    if (H5Lexists(root, "sector_role", H5P_DEFAULT) > 0) shared.sector_roles = read_strings(root, "sector_role");
    shared.steps_per_year = static_cast<int>(read_int_attribute(root, "steps_per_year", 1));
    const std::size_t T = shared.time.size();
    const std::size_t S = shared.sectors.size();

    auto table = GroupHandle::checked(H5Gopen2(root, "runs", H5P_DEFAULT), "H5Gopen2", "/runs");
    const std::vector<std::string> scenario = read_strings(table.get(), "scenario");
    const std::vector<std::uint64_t> seed = read_uint64(table.get(), "seed");
    const std::vector<std::string> yaml = read_strings(table.get(), "scenario_yaml");
    const std::size_t R = scenario.size();
    std::vector<std::string> identity(R);
    if (H5Lexists(table.get(), "identity", H5P_DEFAULT) > 0) identity = read_strings(table.get(), "identity");
    std::vector<double> index(R);
    for (std::size_t r = 0; r < R; ++r) index[r] = static_cast<double>(r);
    if (H5Lexists(table.get(), "run", H5P_DEFAULT) > 0) index = read_doubles(table.get(), "run");
    if (seed.size() != R || yaml.size() != R || identity.size() != R || index.size() != R) {
      throw InputError(file_name, 0, "/runs", "the run table's columns differ in length");
    }
    // The swept parameters, as "key=value" per run.
    std::vector<std::string> parameters(R);
    std::vector<std::vector<std::pair<std::string, std::string>>> parameter_values(R);
    std::stringstream keys(read_string_attribute(root, "parameters"));
    std::string key;
    while (std::getline(keys, key, ',')) {
      if (key.empty() || H5Lexists(table.get(), key.c_str(), H5P_DEFAULT) <= 0) continue;
      auto dataset = open_dataset(table.get(), key);
      const bool text = is_string_dataset(dataset.get());
      dataset.reset();
      std::vector<std::string> values(R);
      if (text) {
        values = read_strings(table.get(), key);
      } else {
        const auto numbers = read_doubles(table.get(), key);
        for (std::size_t r = 0; r < R && r < numbers.size(); ++r) values[r] = format_parameter(numbers[r]);
        if (numbers.size() != R) values.clear();
      }
      if (values.size() != R) {
        throw InputError(file_name, 0, "/runs/" + key, "has a length other than that of the run table (" +
                                                           std::to_string(R) + ")");
      }
      for (std::size_t r = 0; r < R; ++r) {
        parameters[r] += (parameters[r].empty() ? "" : ", ") + key + "=" + values[r];
        parameter_values[r].emplace_back(key, values[r]);
      }
    }

    const std::size_t first = runs.size();
    for (std::size_t r = 0; r < R; ++r) {
      RunResult run = shared;
      run.scenario_name = scenario[r];
      run.scenario_yaml = yaml[r];
      run.scenario_hash = identity[r];
      run.seed = seed[r];
      run.title = "convsim " + scenario[r];
      run.events = events_of(yaml[r]);
      runs.push_back(std::move(run));
      RunSource source;
      source.file = file_name;
      source.run_index = static_cast<long>(index[r]);
      source.seed = seed[r];
      source.scenario_hash = identity[r];
      source.parameters = parameters[r];
      source.parameter_values = parameter_values[r];
      sources.push_back(std::move(source));
    }
    for (const char* group_name : {"aggregate", "by_sector", "convergence", "policy"}) {
      if (H5Lexists(root, group_name, H5P_DEFAULT) <= 0) continue;
      auto group = GroupHandle::checked(H5Gopen2(root, group_name, H5P_DEFAULT), "H5Gopen2", group_name);
      for (const auto& name : dataset_names(group.get())) {
        if (name == "run" || name == "time" || name == "sector") continue;
        const std::string where = std::string("/") + group_name + "/" + name;
        auto dataset = open_dataset(group.get(), name);
        const auto shape = convsim::detail::dataset_dims(dataset.get(), where);
        if (is_string_dataset(dataset.get())) continue;
        const std::string units = read_string_attribute(dataset.get(), "units");
        const std::string long_name = read_string_attribute(dataset.get(), "long_name");
        dataset.reset();
        const bool sectored = shape.size() == 3;
        if (shape.size() < 2 || shape[0] != R || shape[1] != T || (sectored && shape[2] != S) || shape.size() > 3) {
          continue;  // not a [run, time(, sector)] variable: nothing a comparison reads
        }
        const std::vector<double> values = read_doubles(group.get(), name);
        const std::size_t per_run = sectored ? T * S : T;
        for (std::size_t r = 0; r < R; ++r) {
          RunResult& run = runs[first + r];
          std::vector<double> row(values.begin() + static_cast<std::ptrdiff_t>(r * per_run),
                                  values.begin() + static_cast<std::ptrdiff_t>((r + 1) * per_run));
          const std::string group_text = group_name;
          if (sectored) {
            SectorSeries series{name, units, long_name, std::move(row)};
            (group_text == "policy" ? run.policy_by_sector : run.by_sector).push_back(std::move(series));
          } else {
            Series series{name, units, long_name, std::move(row)};
            if (group_text == "aggregate") {
              run.aggregate.push_back(std::move(series));
            } else if (group_text == "convergence") {
              run.convergence.push_back(std::move(series));
            } else if (group_text == "policy") {
              run.policy.push_back(std::move(series));
            }
          }
        }
      }
    }
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& error) {
    throw InputError(file_name, 0, "", std::string("cannot read the merged sweep: ") + error.what());
  }
}

}  // namespace convsim::analysis::detail
