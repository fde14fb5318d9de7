#include "convsim/analysis/compare.hpp"

#include <glob.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <utility>

#include <boost/math/distributions/students_t.hpp>
#include <yaml-cpp/yaml.h>

#include "convsim/analysis/json_writer.hpp"
#include "convsim/errors.hpp"
#include "convsim/result_file.hpp"
#include "convsim/analysis/detail/merged_sweep.hpp"
#include "convsim/analysis/ols.hpp"
#include "convsim/parameter_draws.hpp"

namespace convsim::analysis {
namespace {

constexpr const char* kCommandLine = "<command line>";
const double kNaN = std::numeric_limits<double>::quiet_NaN();
// What split_uncertainty says of inputs without parameter draws.
constexpr const char* kNoDraws = "inputs carry no parameter draws";

//---- scenario YAML ----

// The leaves of a YAML document as dotted key -> scalar text (lists as flow YAML).
void flatten_yaml(const YAML::Node& node, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (node.IsMap()) {
    for (const auto& item : node) {
      const std::string key = item.first.as<std::string>();
      flatten_yaml(item.second, prefix.empty() ? key : prefix + "." + key, out);
    }
  } else if (node.IsScalar()) {
    out[prefix] = node.Scalar();
  } else if (node.IsNull()) {
    out[prefix] = "null";
  } else {
    YAML::Emitter emitter;
    emitter << YAML::Flow << node;
    out[prefix] = emitter.c_str();
  }
}

// What a comparison needs from a stored scenario.
struct ScenarioText {
  std::string description;
  std::string calibration;
  std::map<std::string, std::string> leaves;  // without the seed and the parameter draw: what replicates share
  std::optional<AppliedDraw> draw;            // the calibration's parameter draw the run used
};

ScenarioText read_scenario_text(const std::string& yaml) {
  ScenarioText text;
  try {
    const YAML::Node root = YAML::Load(yaml);
    if (!root.IsMap()) return text;
    if (root["description"] && root["description"].IsScalar()) text.description = root["description"].Scalar();
    text.draw = read_applied_draw(root);
    if (root["calibration"]) {
      YAML::Node calibration = YAML::Clone(root["calibration"]);
      if (calibration.IsMap()) calibration.remove("applied_draw");  // differs between replicates
      YAML::Emitter emitter;
      emitter << calibration;
      text.calibration = emitter.c_str();
    }
    flatten_yaml(root, "", text.leaves);
    text.leaves.erase("seed");
    // Replicates with parameter draws differ in the drawn keys and the draw's record too.
    if (text.draw) {
      for (const auto& key : text.draw->keys) text.leaves.erase(key);
      for (auto it = text.leaves.begin(); it != text.leaves.end();) {
        it = it->first.rfind("calibration.applied_draw.", 0) == 0 ? text.leaves.erase(it) : std::next(it);
      }
    }
  } catch (const YAML::Exception&) {
    // A result whose stored scenario does not parse still compares; it just has no description.
  }
  return text;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

std::string format_year(double year) {
  char buffer[32];
  if (year == std::floor(year)) {
    std::snprintf(buffer, sizeof buffer, "%.0f", year);
  } else {
    std::snprintf(buffer, sizeof buffer, "%g", year);
  }
  return buffer;
}

std::string describe_axis(const std::vector<double>& time, int steps_per_year) {
  if (time.empty()) return "no steps";
  return std::to_string(time.size()) + " steps " + format_year(time.front()) + "-" + format_year(time.back()) +
         " (" + std::to_string(steps_per_year) + " per year)";
}

//---- grouping ----

// One scenario being assembled from the runs of an argument.
struct Group {
  ScenarioRuns runs;
  std::map<std::string, std::string> leaves;
  std::string variant;  // the group key within its argument
};

std::string variant_key(const std::string& name, const std::map<std::string, std::string>& leaves,
                        const std::string& parameters) {
  std::string key = name + '\n' + parameters + '\n';
  for (const auto& [k, v] : leaves) key += k + '=' + v + '\n';
  return key;
}

// "key=value" for the leaves where `group` differs from `reference` (at most three, then "...").
std::string difference_label(const std::map<std::string, std::string>& group,
                             const std::map<std::string, std::string>& reference) {
  std::vector<std::string> parts;
  std::size_t count = 0;
  for (const auto& [key, value] : group) {
    const auto it = reference.find(key);
    if (it != reference.end() && it->second == value) continue;
    if (++count <= 3) parts.push_back(key + "=" + value);
  }
  for (const auto& [key, value] : reference) {
    if (group.count(key) == 0 && ++count <= 3) parts.push_back(key + " unset");
  }
  if (count > 3) parts.push_back("...");
  return join(parts, ", ");
}

std::string argument_stem(const ScenarioRuns& runs) {
  if (runs.sources.empty()) return runs.argument;
  return std::filesystem::path(runs.sources.front().file).stem().string();
}

// Gives every group a label unique among all groups: the scenario name, qualified by what differs
// from the first group of that name, or by where it came from.
void assign_labels(std::vector<Group>& groups) {
  std::set<std::string> taken;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    Group& group = groups[g];
    std::string label = group.runs.name.empty() ? std::string("unnamed") : group.runs.name;
    if (!group.runs.parameters.empty()) label += " [" + group.runs.parameters + "]";
    if (taken.count(label)) {
      const Group* first = nullptr;
      for (std::size_t h = 0; h < g; ++h) {
        if (groups[h].runs.name == group.runs.name) {
          first = &groups[h];
          break;
        }
      }
      const std::string differs = first ? difference_label(group.leaves, first->leaves) : std::string();
      if (!differs.empty() && !taken.count(label + " (" + differs + ")")) {
        label += " (" + differs + ")";
      } else if (!taken.count(label + " (" + argument_stem(group.runs) + ")")) {
        label += " (" + argument_stem(group.runs) + ")";
      } else {
        int k = 2;
        while (taken.count(label + " #" + std::to_string(k))) ++k;
        label += " #" + std::to_string(k);
      }
    }
    taken.insert(label);
    group.runs.label = label;
  }
}

// Permutes the sector columns of [T, S] series so that sector `order[s]` of the run comes at s.
void reorder_sectors(std::vector<SectorSeries>& series, const std::vector<std::size_t>& order, std::size_t T) {
  const std::size_t S = order.size();
  for (auto& item : series) {
    std::vector<double> values(T * S);
    for (std::size_t t = 0; t < T; ++t) {
      for (std::size_t s = 0; s < S; ++s) values[t * S + s] = item.values[t * S + order[s]];
    }
    item.values = std::move(values);
  }
}

// Checks `run` against the reference run (the baseline's first) and aligns its sectors.
void align_run(RunResult& run, const RunSource& source, const RunResult& reference, const RunSource& reference_source,
               std::vector<std::string>& notes) {
  const std::string both = "'" + reference_source.describe() + "' and '" + source.describe() + "'";
  if (run.steps_per_year != reference.steps_per_year || run.time != reference.time) {
    throw InputError(source.file, 0, "/time",
                     both + " have different time axes: " + describe_axis(reference.time, reference.steps_per_year) +
                         " against " + describe_axis(run.time, run.steps_per_year) +
                         "; compare runs of the same period and step length");
  }
  if (run.sectors == reference.sectors) return;
  std::vector<std::string> missing;
  std::vector<std::string> extra;
  for (const auto& name : reference.sectors) {
    if (std::find(run.sectors.begin(), run.sectors.end(), name) == run.sectors.end()) missing.push_back(name);
  }
  for (const auto& name : run.sectors) {
    if (std::find(reference.sectors.begin(), reference.sectors.end(), name) == reference.sectors.end()) {
      extra.push_back(name);
    }
  }
  if (!missing.empty() || !extra.empty() || run.sectors.size() != reference.sectors.size()) {
    std::string what = both + " have different sectors:";
    if (!missing.empty()) what += " '" + source.describe() + "' lacks " + join(missing, ", ") + ";";
    if (!extra.empty()) what += " '" + source.describe() + "' adds " + join(extra, ", ") + ";";
    what += " compare results of scenarios with the same sectors";
    throw InputError(source.file, 0, "/sector", what);
  }
  // Same sectors in another order: aligning by name is well defined.
  std::vector<std::size_t> order(reference.sectors.size());
  for (std::size_t s = 0; s < order.size(); ++s) {
    order[s] = static_cast<std::size_t>(
        std::find(run.sectors.begin(), run.sectors.end(), reference.sectors[s]) - run.sectors.begin());
  }
  const std::size_t T = run.time.size();
  reorder_sectors(run.by_sector, order, T);
  reorder_sectors(run.policy_by_sector, order, T);
  std::vector<std::string> roles(order.size());
  for (std::size_t s = 0; s < order.size(); ++s) {
    roles[s] = s < run.sector_roles.size() && order[s] < run.sector_roles.size() ? run.sector_roles[order[s]] : "";
  }
  run.sector_roles = std::move(roles);
  run.sectors = reference.sectors;
  notes.push_back("'" + source.describe() + "' lists its sectors in another order; aligned by sector name");
}

bool has_glob_characters(const std::string& text) { return text.find_first_of("*?[") != std::string::npos; }

bool is_result_name(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  const std::string extension = path.extension().string();
  return (extension == ".h5" || extension == ".hdf5") && name.find(".tmp.") == std::string::npos;
}

// One --where KEY=VALUE.
struct Filter {
  std::string key;
  std::string value;
};

std::vector<Filter> parse_filters(const std::vector<std::string>& where) {
  std::vector<Filter> filters;
  for (const auto& text : where) {
    const auto equals = text.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw InputError(kCommandLine, 0, "--where",
                       "'" + text + "' is not KEY=VALUE; e.g. --where adoption.peer_effect=0.5");
    }
    filters.push_back({text.substr(0, equals), text.substr(equals + 1)});
  }
  return filters;
}

bool same_value(const std::string& a, const std::string& b) {
  if (a == b) return true;
  char* end_a = nullptr;
  char* end_b = nullptr;
  const double x = std::strtod(a.c_str(), &end_a);
  const double y = std::strtod(b.c_str(), &end_b);
  return !a.empty() && !b.empty() && *end_a == '\0' && *end_b == '\0' && x == y;
}

// Whether a run passes every filter; marks the filters whose key the run has.
bool matches(const std::vector<Filter>& filters, const RunResult& run, const RunSource& source,
             std::vector<bool>& used) {
  std::map<std::string, std::string> leaves;
  bool have_leaves = false;
  bool pass = true;
  for (std::size_t f = 0; f < filters.size(); ++f) {
    std::optional<std::string> value;
    for (const auto& [key, text] : source.parameter_values) {
      if (key == filters[f].key) value = text;
    }
    if (!value) {
      if (!have_leaves) {
        leaves = read_scenario_text(run.scenario_yaml).leaves;
        have_leaves = true;
      }
      const auto it = leaves.find(filters[f].key);
      if (it != leaves.end()) value = it->second;
    }
    if (value) used[f] = true;
    pass = pass && value && same_value(*value, filters[f].value);
  }
  return pass;
}

}  // namespace

//---- scope ----

std::string CompareScope::label() const {
  switch (kind) {
    case ScopeKind::total: return "total";
    case ScopeKind::sector: return "sector:" + sector;
    case ScopeKind::convergence: return "convergence";
  }
  return "total";
}

std::string CompareScope::description() const {
  switch (kind) {
    case ScopeKind::total: return "the whole economy";
    case ScopeKind::sector: return "sector " + sector;
    case ScopeKind::convergence: return "the smart convergence industry";
  }
  return "the whole economy";
}

CompareScope parse_scope(const std::string& text) {
  CompareScope scope;
  if (text == "total") return scope;
  if (text == "convergence") {
    scope.kind = ScopeKind::convergence;
    return scope;
  }
  if (text.rfind("sector:", 0) == 0 && text.size() > 7) {
    scope.kind = ScopeKind::sector;
    scope.sector = text.substr(7);
    return scope;
  }
  throw InputError(kCommandLine, 0, "--scope",
                   "'" + text + "' is not a scope; expected total, convergence or sector:NAME (e.g. sector:health_care)");
}

std::string RunSource::describe() const {
  return run_index < 0 ? file : file + "[run " + std::to_string(run_index) + "]";
}

//---- loading ----

std::vector<std::filesystem::path> expand_result_paths(const std::string& argument) {
  std::vector<std::filesystem::path> paths;
  std::stringstream items(argument);
  std::string item;
  bool any_item = false;
  while (std::getline(items, item, ',')) {
    if (item.empty()) continue;
    any_item = true;
    std::vector<std::filesystem::path> found;
    std::error_code error;
    if (std::filesystem::is_directory(item, error)) {
      for (const auto& entry : std::filesystem::directory_iterator(item, error)) {
        if (entry.is_regular_file() && is_result_name(entry.path())) found.push_back(entry.path());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) throw InputError(item, 0, "", "directory holds no result files (*.h5)");
    } else if (has_glob_characters(item) && !std::filesystem::exists(item, error)) {
      glob_t matches{};
      const int status = ::glob(item.c_str(), 0, nullptr, &matches);
      for (std::size_t i = 0; status == 0 && i < matches.gl_pathc; ++i) found.emplace_back(matches.gl_pathv[i]);
      ::globfree(&matches);
      if (found.empty()) throw InputError(kCommandLine, 0, "", "'" + item + "' matches no file");
    } else {
      if (!std::filesystem::exists(item, error)) {
        throw InputError(item, 0, "", "no such result file");
      }
      found.emplace_back(item);
    }
    paths.insert(paths.end(), found.begin(), found.end());
  }
  if (!any_item) throw InputError(kCommandLine, 0, "", "an empty result argument; expected FILE[,FILE...], a directory or a glob");
  return paths;
}

ComparisonInput load_comparison(const std::vector<std::string>& arguments, const LoadOptions& options) {
  if (arguments.empty()) throw InputError(kCommandLine, 0, "BASELINE", "no results to compare");
  std::vector<ArgumentRuns> loaded;
  std::set<std::string> seen_files;
  for (const auto& argument : arguments) {
    ArgumentRuns item;
    item.argument = argument;
    for (const auto& path : expand_result_paths(argument)) {
      if (detail::is_merged_sweep(path)) {
        detail::read_merged_sweep(path, item.runs, item.sources);
        continue;
      }
      RunResult run = read_result(path);
      run.snapshots.clear();
      RunSource source;
      source.file = path.string();
      source.seed = run.seed;
      source.scenario_hash = run.scenario_hash;
      item.runs.push_back(std::move(run));
      item.sources.push_back(std::move(source));
    }
    loaded.push_back(std::move(item));
  }
  return group_runs(std::move(loaded), options);
}

ComparisonInput group_runs(std::vector<ArgumentRuns> arguments, const LoadOptions& options) {
  if (arguments.empty()) throw InputError(kCommandLine, 0, "BASELINE", "no results to compare");
  const std::string& baseline_scenario = options.baseline_scenario;
  const std::vector<Filter> filters = parse_filters(options.where);
  std::vector<bool> filter_used(filters.size(), false);
  std::vector<Group> groups;
  std::map<std::size_t, std::size_t> joined;  // group -> arguments joined into it as replicates
  std::size_t baseline_groups = 0;
  std::set<std::string> names_kept;  // scenarios --scenarios kept
  for (std::size_t a = 0; a < arguments.size(); ++a) {
    ArgumentRuns& argument = arguments[a];
    if (argument.runs.size() != argument.sources.size()) {
      throw std::invalid_argument("group_runs: runs and sources differ in length");
    }
    if (argument.runs.empty()) throw InputError(argument.argument, 0, "", "holds no runs");
    if (!filters.empty()) {
      std::vector<RunResult> kept_runs;
      std::vector<RunSource> kept_sources;
      for (std::size_t r = 0; r < argument.runs.size(); ++r) {
        if (matches(filters, argument.runs[r], argument.sources[r], filter_used)) {
          kept_runs.push_back(std::move(argument.runs[r]));
          kept_sources.push_back(std::move(argument.sources[r]));
        }
      }
      if (kept_runs.empty()) {
        throw InputError(argument.argument, 0, "--where",
                         "no run of this argument matches " + join(options.where, " and "));
      }
      argument.runs = std::move(kept_runs);
      argument.sources = std::move(kept_sources);
    }
    std::vector<Group> local;
    std::map<std::string, std::size_t> index;
    for (std::size_t r = 0; r < argument.runs.size(); ++r) {
      RunResult& run = argument.runs[r];
      const ScenarioText text = read_scenario_text(run.scenario_yaml);
      if (text.draw) {
        argument.sources[r].draw = text.draw->index;
        argument.sources[r].draw_parameters = text.draw->parameters;
        argument.sources[r].draw_values = text.draw->free_values;
      }
      const std::string parameters = argument.sources[r].parameters;
      const std::string key = variant_key(run.scenario_name, text.leaves, parameters);
      auto [it, inserted] = index.emplace(key, local.size());
      if (inserted) {
        Group group;
        group.variant = key;
        group.leaves = text.leaves;
        group.runs.name = run.scenario_name;
        group.runs.description = text.description;
        group.runs.calibration = text.calibration;
        group.runs.parameters = parameters;
        group.runs.argument = argument.argument;
        local.push_back(std::move(group));
      }
      Group& group = local[it->second];
      for (std::size_t i = 0; i < group.runs.sources.size(); ++i) {
        if (group.runs.sources[i].seed == run.seed) {
          throw InputError(argument.sources[r].file, 0, "seed",
                           "'" + group.runs.sources[i].describe() + "' and '" + argument.sources[r].describe() +
                               "' are two runs of scenario '" + run.scenario_name + "' with the same seed " +
                               std::to_string(run.seed) +
                               "; replicates of a scenario must differ in their seed (give each file once)");
        }
      }
      group.runs.sources.push_back(argument.sources[r]);
      group.runs.runs.push_back(std::move(run));
    }
    if (!options.scenarios.empty()) {
      std::erase_if(local, [&](const Group& g) {
        return std::find(options.scenarios.begin(), options.scenarios.end(), g.runs.name) == options.scenarios.end();
      });
      for (const Group& g : local) names_kept.insert(g.runs.name);
      if (local.empty()) {
        throw InputError(argument.argument, 0, "--scenarios",
                         "holds none of the scenarios " + join(options.scenarios, ", "));
      }
    }
    if (a == 0) {
      if (!baseline_scenario.empty()) {
        auto chosen = std::find_if(local.begin(), local.end(),
                                   [&](const Group& g) { return g.runs.name == baseline_scenario; });
        if (chosen == local.end()) {
          std::vector<std::string> names;
          for (const auto& g : local) names.push_back(g.runs.name);
          throw InputError(argument.argument, 0, "--baseline-scenario",
                           "no scenario named '" + baseline_scenario + "'; it holds: " + join(names, ", "));
        }
        if (std::count_if(local.begin(), local.end(), [&](const Group& g) { return g.runs.name == baseline_scenario; }) > 1) {
          std::vector<std::string> points;
          for (const auto& g : local) {
            if (g.runs.name == baseline_scenario) points.push_back(g.runs.parameters.empty() ? "?" : g.runs.parameters);
          }
          throw InputError(argument.argument, 0, "--baseline-scenario",
                           "scenario '" + baseline_scenario + "' was run at " + std::to_string(points.size()) +
                               " design points (" + join(points, "; ") +
                               "); pick one with --where KEY=VALUE, e.g. --where " + points.front().substr(0, points.front().find(", ")));
        }
        std::rotate(local.begin(), chosen, chosen + 1);
      } else if (local.size() > 1) {
        std::vector<std::string> names;
        for (const auto& g : local) {
          names.push_back(g.runs.name + (g.runs.parameters.empty() ? "" : " [" + g.runs.parameters + "]"));
        }
        throw InputError(argument.argument, 0, "BASELINE",
                         "the baseline argument holds " + std::to_string(local.size()) +
                             " different scenarios (" + join(names, "; ") +
                             "); name the baseline with --baseline-scenario NAME, or pass it alone");
      }
      baseline_groups = local.size();
    }
    for (auto& group : local) {
      // Files of one scenario given as separate arguments (a glob the shell expanded, file after
      // file) are its replicates: same stored scenario but for the seed, no seed in common.
      // Runs that share a seed stay apart (the same runs given twice compare as two scenarios).
      auto same = std::find_if(groups.begin(), groups.end(), [&](const Group& earlier) {
        if (earlier.variant != group.variant) return false;
        for (const auto& a : earlier.runs.sources) {
          for (const auto& b : group.runs.sources) {
            if (a.seed == b.seed) return false;
          }
        }
        return true;
      });
      if (same == groups.end()) {
        groups.push_back(std::move(group));
        continue;
      }
      for (std::size_t r = 0; r < group.runs.runs.size(); ++r) {
        same->runs.sources.push_back(std::move(group.runs.sources[r]));
        same->runs.runs.push_back(std::move(group.runs.runs[r]));
      }
      ++joined[static_cast<std::size_t>(same - groups.begin())];
    }
  }
  std::vector<std::string> notes;
  for (const auto& [g, count] : joined) {
    const Group& group = groups[g];
    notes.push_back(std::to_string(count + 1) + " arguments hold runs of scenario '" + group.runs.name +
                    (group.runs.parameters.empty() ? "" : " [" + group.runs.parameters + "]") +
                    "' that differ only in their seed: they are compared as its " +
                    std::to_string(group.runs.runs.size()) +
                    " replicates (to pass replicates as one argument, quote a glob, 'base_s*.h5', or join the files with commas)");
  }
  for (const std::string& name : options.scenarios) {
    if (!names_kept.count(name)) throw InputError(kCommandLine, 0, "--scenarios", "no scenario named '" + name + "'");
  }
  for (std::size_t f = 0; f < filters.size(); ++f) {
    if (!filter_used[f]) {
      throw InputError(kCommandLine, 0, "--where",
                       "no run has '" + filters[f].key + "' (neither a swept parameter nor a scenario key)");
    }
  }
  if (groups.size() < 2) {
    throw InputError(kCommandLine, 0, "RESULT",
                     std::string("only one scenario to compare") +
                         (joined.empty() ? "" : " (the arguments hold runs of one scenario that differ only in their seed: its replicates)") +
                         "; give the baseline and at least one other scenario");
  }
  (void)baseline_groups;

  ComparisonInput input;
  input.notes = std::move(notes);
  // Replicates in seed order, so that tables and files list them the same way every time.
  for (auto& group : groups) {
    std::vector<std::size_t> order(group.runs.runs.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return group.runs.sources[a].seed < group.runs.sources[b].seed; });
    ScenarioRuns sorted = group.runs;
    for (std::size_t i = 0; i < order.size(); ++i) {
      sorted.runs[i] = std::move(group.runs.runs[order[i]]);
      sorted.sources[i] = group.runs.sources[order[i]];
    }
    group.runs = std::move(sorted);
  }
  const RunResult& reference = groups.front().runs.runs.front();
  const RunSource reference_source = groups.front().runs.sources.front();
  for (auto& group : groups) {
    for (std::size_t r = 0; r < group.runs.runs.size(); ++r) {
      align_run(group.runs.runs[r], group.runs.sources[r], reference, reference_source, input.notes);
    }
  }
  assign_labels(groups);
  input.time = reference.time;
  input.steps_per_year = reference.steps_per_year;
  input.sectors = reference.sectors;
  for (auto& group : groups) input.scenarios.push_back(std::move(group.runs));
  return input;
}

//---- statistics ----

double Interval::half_width() const { return available ? 0.5 * (high - low) : kNaN; }

double student_t_quantile(double p, double degrees_of_freedom) {
  const boost::math::students_t distribution(degrees_of_freedom);
  return boost::math::quantile(distribution, p);
}

double sample_quantile(std::vector<double> values, double p) {
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const double position = p * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  const double fraction = position - static_cast<double>(below);
  if (fraction == 0.0) return values[below];
  return values[below] + fraction * (values[above] - values[below]);
}

double sample_mean(const std::vector<double>& values) {
  if (values.empty()) return kNaN;
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

double sample_sd(const std::vector<double>& values) {
  if (values.size() < 2) return kNaN;
  const double mean = sample_mean(values);
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  return std::sqrt(squares / static_cast<double>(values.size() - 1));
}

namespace {

constexpr const char* kOneReplicate = "no interval (1 replicate)";

std::string replicate_reason(std::size_t n) { return n == 0 ? "no interval (no replicates)" : kOneReplicate; }

}  // namespace

Interval mean_interval(const std::vector<double>& values, double level) {
  Interval interval;
  const std::size_t n = values.size();
  if (n < 2) {
    interval.reason = replicate_reason(n);
    return interval;
  }
  const double mean = sample_mean(values);
  const double sd = sample_sd(values);
  if (!std::isfinite(mean) || !std::isfinite(sd)) {
    interval.reason = "no interval (non-finite values)";
    return interval;
  }
  // sd == 0 (identical replicates, e.g. a scenario compared with itself) gives a zero-width interval.
  const double half =
      sd == 0 ? 0.0 : student_t_quantile(0.5 + 0.5 * level, static_cast<double>(n - 1)) * sd / std::sqrt(double(n));
  interval.available = true;
  interval.low = mean - half;
  interval.high = mean + half;
  return interval;
}

Interval welch_interval(const std::vector<double>& a, const std::vector<double>& b, double level) {
  Interval interval;
  if (a.size() < 2 || b.size() < 2) {
    interval.reason = replicate_reason(std::min(a.size(), b.size()));
    return interval;
  }
  const double na = static_cast<double>(a.size());
  const double nb = static_cast<double>(b.size());
  const double va = std::pow(sample_sd(a), 2) / na;
  const double vb = std::pow(sample_sd(b), 2) / nb;
  const double difference = sample_mean(a) - sample_mean(b);
  if (!std::isfinite(difference) || !std::isfinite(va) || !std::isfinite(vb)) {
    interval.reason = "no interval (non-finite values)";
    return interval;
  }
  const double se2 = va + vb;
  double half = 0;
  if (se2 > 0) {
    // Welch-Satterthwaite degrees of freedom.
    const double df = se2 * se2 / (va * va / (na - 1) + vb * vb / (nb - 1));
    half = student_t_quantile(0.5 + 0.5 * level, df) * std::sqrt(se2);
  }
  interval.available = true;
  interval.low = difference - half;
  interval.high = difference + half;
  return interval;
}

UncertaintySplit split_uncertainty(const std::vector<double>& d, const std::vector<std::vector<double>>& z, double level) {
  UncertaintySplit split;
  split.parameter_share = kNaN;
  split.parameter_variance = kNaN;
  split.noise_sd = kNaN;
  const std::size_t n = d.size();
  if (z.empty()) {
    split.noise = mean_interval(d, level);
    split.note = kNoDraws;
    split.total.reason = split.note;
    return split;
  }
  if (z.size() != n) throw std::invalid_argument("split_uncertainty: one draw per difference");
  // Standardised free parameters; one constant over the draws says nothing and is left out.
  const std::size_t K_all = z.front().size();
  std::vector<std::vector<double>> columns;
  for (std::size_t k = 0; k < K_all; ++k) {
    std::vector<double> column(n);
    for (std::size_t r = 0; r < n; ++r) column[r] = z[r][k];
    const double sd = sample_sd(column);
    if (!(sd > 0) || !std::isfinite(sd)) continue;
    const double mean = sample_mean(column);
    for (double& x : column) x = (x - mean) / sd;
    columns.push_back(std::move(column));
  }
  const std::size_t K = columns.size();
  const double mean = sample_mean(d);
  auto fallback = [&](const std::string& why) {
    split.noise = mean_interval(d, level);
    split.note = why;
    if (n >= 2 && split.noise.available) {
      const double half = student_t_quantile(0.5 + 0.5 * level, static_cast<double>(n - 1)) * sample_sd(d) *
                          std::sqrt(1.0 + 1.0 / static_cast<double>(n));
      split.total = {true, mean - half, mean + half, ""};  // the parameters' share stays unknown (NaN)
    } else {
      split.total.reason = split.noise.reason;
    }
    return split;
  };
  if (n < K + 5) {
    return fallback(std::to_string(n) + " paired replicates are too few to separate parameter uncertainty from seed noise (" +
                    std::to_string(K) + " free parameters need at least " + std::to_string(K + 5) +
                    "): ci_noise treats all variation as noise, ci_total is mean ± t·sd·sqrt(1 + 1/n)");
  }
  Eigen::VectorXd response(static_cast<Eigen::Index>(n));
  Eigen::MatrixXd regressors(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(K));
  std::vector<std::string> names;
  for (std::size_t r = 0; r < n; ++r) response(static_cast<Eigen::Index>(r)) = d[r];
  for (std::size_t k = 0; k < K; ++k) {
    names.push_back("z" + std::to_string(k));
    for (std::size_t r = 0; r < n; ++r) regressors(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(k)) = columns[k][r];
  }
  names.insert(names.begin(), "const");
  OlsResult fit;
  try {
    fit = fit_ols(response, with_constant(regressors), names);
  } catch (const std::exception&) {
    return fallback("the draws' free parameters are collinear over these replicates: ci_noise treats all variation "
                    "as noise, ci_total is mean ± t·sd·sqrt(1 + 1/n)");
  }
  const double df = static_cast<double>(n - K - 1);
  const double noise_variance = fit.sum_squared_residuals / df;
  double fitted_squares = 0;
  for (Eigen::Index r = 0; r < fit.fitted_values.size(); ++r) {
    fitted_squares += (fit.fitted_values(r) - mean) * (fit.fitted_values(r) - mean);
  }
  split.separated = true;
  split.parameter_variance = fitted_squares / static_cast<double>(n - 1);
  split.noise_sd = std::sqrt(noise_variance);
  const double t = student_t_quantile(0.5 + 0.5 * level, df);
  const double noise_half = t * split.noise_sd / std::sqrt(static_cast<double>(n));
  const double total_half = t * std::sqrt(split.parameter_variance + noise_variance / static_cast<double>(n));
  split.noise = {true, mean - noise_half, mean + noise_half, ""};
  split.total = {true, mean - total_half, mean + total_half, ""};
  if (total_half > 0) split.parameter_share = 1.0 - noise_half / total_half;
  return split;
}

//---- the comparison ----

namespace {

// One variable of one scenario: [replicate][T] and the replicates' seeds.
struct ReplicateMatrix {
  std::vector<std::vector<double>> values;
  std::vector<std::uint64_t> seeds;
  std::vector<const RunSource*> sources;  // where each replicate came from (its parameter draw)
};

std::string group_name(const CompareScope& scope) {
  switch (scope.kind) {
    case ScopeKind::total: return "/aggregate";
    case ScopeKind::sector: return "/by_sector";
    case ScopeKind::convergence: return "/convergence";
  }
  return "/aggregate";
}

std::vector<std::string> available_names(const RunResult& run, const CompareScope& scope) {
  std::vector<std::string> names;
  if (scope.kind == ScopeKind::total) {
    for (const auto& s : run.aggregate) names.push_back(s.name);
  } else if (scope.kind == ScopeKind::convergence) {
    for (const auto& s : run.convergence) names.push_back(s.name);
  } else {
    for (const auto& s : run.by_sector) names.push_back(s.name);
  }
  return names;
}

// The [T] series of `variable` in `scope` of `run`, with its units and long name.
struct Extracted {
  std::vector<double> values;
  std::string units;
  std::string long_name;
};

Extracted extract(const RunResult& run, const RunSource& source, const std::string& variable, const CompareScope& scope,
                  std::size_t sector_index) {
  Extracted out;
  if (scope.kind == ScopeKind::sector) {
    const SectorSeries* series = run.find_by_sector(variable);
    if (series != nullptr) {
      const std::size_t T = run.time.size();
      const std::size_t S = run.sectors.size();
      out.values.resize(T);
      for (std::size_t t = 0; t < T; ++t) out.values[t] = series->values[t * S + sector_index];
      out.units = series->units;
      out.long_name = series->long_name;
      return out;
    }
  } else {
    const Series* series =
        scope.kind == ScopeKind::total ? run.find_aggregate(variable) : run.find_convergence(variable);
    if (series != nullptr) {
      out.values = series->values;
      out.units = series->units;
      out.long_name = series->long_name;
      return out;
    }
  }
  throw InputError(source.describe(), 0, group_name(scope) + "/" + variable,
                   "no variable '" + variable + "' in " + group_name(scope) + "; it holds: " +
                       join(available_names(run, scope), ", "));
}

std::string cumulative_units_of(const std::string& units) {
  const std::string per_year = "/year";
  if (units.size() > per_year.size() && units.compare(units.size() - per_year.size(), per_year.size(), per_year) == 0) {
    return units.substr(0, units.size() - per_year.size());
  }
  if (units == "1" || units.empty()) return "year";
  return units + "*year";
}

// The time integral up to and including step `horizon`: each step counts 1/steps_per_year years.
double cumulative(const std::vector<double>& values, std::size_t horizon, int steps_per_year) {
  double sum = 0;
  for (std::size_t t = 0; t <= horizon; ++t) sum += values[t];
  return sum / static_cast<double>(steps_per_year);
}

// The free-parameter values of each pair's draw ([pair][K]), or empty with `note` saying why the
// pairs carry no usable draws.
std::vector<std::vector<double>> pair_draws(const std::vector<std::pair<const RunSource*, const RunSource*>>& sources,
                                            std::string& note) {
  std::vector<std::vector<double>> z;
  std::size_t drawn = 0;
  for (const auto& [a, b] : sources) drawn += (a && a->draw >= 0) + (b && b->draw >= 0);
  if (drawn == 0) return z;
  for (const auto& [a, b] : sources) {
    if (!a || !b || a->draw < 0 || b->draw < 0 || a->draw != b->draw || a->draw_parameters != b->draw_parameters ||
        a->draw_values != b->draw_values || a->draw_parameters != sources.front().first->draw_parameters) {
      note = "paired runs did not use the same parameter draws (run both scenarios with the same calibration and "
             "replicates): no interval with parameter uncertainty";
      return {};
    }
    z.push_back(a->draw_values);
  }
  return z;
}

Effect estimate_effect(const std::vector<double>& scenario, const std::vector<std::uint64_t>& scenario_seeds,
                       const std::vector<double>& baseline, const std::vector<std::uint64_t>& baseline_seeds,
                       double level, const std::vector<const RunSource*>& scenario_sources = {},
                       const std::vector<const RunSource*>& baseline_sources = {}) {
  Effect effect;
  std::map<std::uint64_t, std::size_t> baseline_index;
  for (std::size_t i = 0; i < baseline_seeds.size(); ++i) baseline_index[baseline_seeds[i]] = i;
  std::vector<double> paired_baseline;
  struct Pair {
    std::uint64_t seed;
    double difference;
    const RunSource* scenario;
    const RunSource* baseline;
  };
  std::vector<Pair> pairs;
  for (std::size_t i = 0; i < scenario_seeds.size(); ++i) {
    const auto it = baseline_index.find(scenario_seeds[i]);
    if (it == baseline_index.end()) continue;
    pairs.push_back({scenario_seeds[i], scenario[i] - baseline[it->second],
                     i < scenario_sources.size() ? scenario_sources[i] : nullptr,
                     it->second < baseline_sources.size() ? baseline_sources[it->second] : nullptr});
    paired_baseline.push_back(baseline[it->second]);
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.seed < b.seed; });
  std::vector<std::pair<const RunSource*, const RunSource*>> sources;
  for (const Pair& pair : pairs) {
    effect.seeds.push_back(pair.seed);
    effect.differences.push_back(pair.difference);
    sources.emplace_back(pair.scenario, pair.baseline);
  }
  effect.pairs = pairs.size();
  if (effect.pairs == 0) {
    effect.paired_mean = kNaN;
    effect.percent = kNaN;
    effect.paired.reason = "no interval (no seed in common with the baseline: cannot pair)";
  } else {
    effect.paired_mean = sample_mean(effect.differences);
    const double base = sample_mean(paired_baseline);
    effect.percent = base != 0 ? 100.0 * effect.paired_mean / base : kNaN;
    effect.paired = mean_interval(effect.differences, level);
  }
  std::string mismatch;
  const std::vector<std::vector<double>> z = pair_draws(sources, mismatch);
  effect.uncertainty = split_uncertainty(effect.differences, z, level);
  if (!mismatch.empty()) {
    effect.uncertainty.note = mismatch;
    effect.uncertainty.total.reason = mismatch;
  }
  effect.unpaired_mean = sample_mean(scenario) - sample_mean(baseline);
  effect.unpaired = welch_interval(scenario, baseline, level);
  return effect;
}

Curve band_curve(const ReplicateMatrix& matrix, std::size_t T, double band_level) {
  Curve curve;
  curve.mean.resize(T);
  curve.low.resize(T);
  curve.high.resize(T);
  std::vector<double> column(matrix.values.size());
  for (std::size_t t = 0; t < T; ++t) {
    for (std::size_t r = 0; r < matrix.values.size(); ++r) column[r] = matrix.values[r][t];
    curve.mean[t] = sample_mean(column);
    curve.low[t] = sample_quantile(column, 0.5 - 0.5 * band_level);
    curve.high[t] = sample_quantile(column, 0.5 + 0.5 * band_level);
  }
  return curve;
}

Curve effect_curve(const ReplicateMatrix& scenario, const ReplicateMatrix& baseline, std::size_t T, double level) {
  Curve curve;
  curve.mean.assign(T, kNaN);
  curve.low.assign(T, kNaN);
  curve.high.assign(T, kNaN);
  std::vector<double> a(scenario.values.size());
  std::vector<double> b(baseline.values.size());
  for (std::size_t t = 0; t < T; ++t) {
    for (std::size_t r = 0; r < a.size(); ++r) a[r] = scenario.values[r][t];
    for (std::size_t r = 0; r < b.size(); ++r) b[r] = baseline.values[r][t];
    const Effect effect = estimate_effect(a, scenario.seeds, b, baseline.seeds, level);
    curve.mean[t] = effect.paired_mean;
    if (effect.paired.available) {
      curve.low[t] = effect.paired.low;
      curve.high[t] = effect.paired.high;
    }
  }
  return curve;
}

std::size_t horizon_step(const std::vector<double>& time, const std::optional<double>& year, double& horizon_year) {
  if (time.empty()) throw InputError(kCommandLine, 0, "", "the results have no time steps");
  if (!year) {
    horizon_year = std::floor(time.back());
    return time.size() - 1;
  }
  // The last step that starts within the year: the value "in" that year (end of year for stocks).
  std::optional<std::size_t> found;
  for (std::size_t t = 0; t < time.size(); ++t) {
    if (time[t] >= *year && time[t] < *year + 1) found = t;
  }
  if (!found) {
    throw InputError(kCommandLine, 0, "--horizon",
                     format_year(*year) + " is outside the results' time axis " + format_year(time.front()) + "-" +
                         format_year(time.back()));
  }
  horizon_year = *year;
  return *found;
}

bool constant(const std::vector<double>& values) {
  for (double v : values) {
    if (!(v == values.front())) return false;
  }
  return true;
}

// The levers that move in some scenario or differ between scenarios.
std::vector<LeverTimeline> lever_timelines(const ComparisonInput& input) {
  std::vector<LeverTimeline> levers;
  const RunResult& reference = input.scenarios.front().runs.front();
  const std::size_t T = input.time.size();
  const std::size_t S = input.sectors.size();
  auto keep = [](const LeverTimeline& lever) {
    for (const auto& values : lever.values) {
      if (!constant(values) || values != lever.values.front()) return true;
    }
    return false;
  };
  for (const auto& series : reference.policy) {
    LeverTimeline lever{series.name, "", series.units, {}, series.long_name};
    for (const auto& scenario : input.scenarios) {
      const RunResult& run = scenario.runs.front();
      auto it = std::find_if(run.policy.begin(), run.policy.end(), [&](const Series& s) { return s.name == series.name; });
      lever.values.push_back(it != run.policy.end() ? it->values : std::vector<double>(T, kNaN));
    }
    if (keep(lever)) levers.push_back(std::move(lever));
  }
  for (const auto& series : reference.policy_by_sector) {
    for (std::size_t s = 0; s < S; ++s) {
      LeverTimeline lever{series.name, input.sectors[s], series.units, {}, series.long_name};
      for (const auto& scenario : input.scenarios) {
        const RunResult& run = scenario.runs.front();
        auto it = std::find_if(run.policy_by_sector.begin(), run.policy_by_sector.end(),
                               [&](const SectorSeries& x) { return x.name == series.name; });
        std::vector<double> values(T, kNaN);
        if (it != run.policy_by_sector.end()) {
          for (std::size_t t = 0; t < T; ++t) values[t] = it->values[t * S + s];
        }
        lever.values.push_back(std::move(values));
      }
      if (keep(lever)) levers.push_back(std::move(lever));
    }
  }
  return levers;
}

}  // namespace

namespace {

// A count as people write it: 20,000.
std::string count_text(double value) {
  if (value != std::floor(value) || std::fabs(value) >= 1e15) return format_number(value);
  std::string digits = std::to_string(static_cast<long long>(std::fabs(value)));
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) digits.insert(static_cast<std::size_t>(at), ",");
  return (value < 0 ? "-" : "") + digits;
}

}  // namespace

CalibrationProvenance calibration_provenance(const std::string& scenario_yaml) {
  CalibrationProvenance out;
  YAML::Node root;
  try {
    root = YAML::Load(scenario_yaml);
  } catch (const YAML::Exception&) {
    return out;
  }
  if (!root.IsMap() || !root["calibration"] || !root["calibration"].IsMap()) return out;
  const YAML::Node calibration = root["calibration"];
  auto scalars = [](const YAML::Node& list) {
    std::vector<std::string> items;
    if (list && list.IsSequence()) {
      for (const auto& item : list) {
        if (item.IsScalar()) items.push_back(item.Scalar());
      }
    }
    return items;
  };
  if (const auto overridden = scalars(calibration["overridden_keys"]); !overridden.empty()) {
    out.warnings.push_back("overrides the calibrated value" + std::string(overridden.size() == 1 ? " of " : "s of ") +
                           join(overridden, ", ") +
                           ": the calibration's fit does not vouch for the run's own values");
  }
  const YAML::Node domain = calibration["domain"];
  if (!domain || !domain.IsMap()) {
    out.domain = "the calibration records no domain (firms, sectors, fitting seeds)";
    return out;
  }
  std::vector<std::string> parts;
  double domain_firms = kNaN;
  if (domain["firms"] && domain["firms"].IsScalar()) {
    try {
      domain_firms = std::stod(domain["firms"].Scalar());
      parts.push_back(count_text(domain_firms) + " firms");
    } catch (const std::exception&) {
    }
  }
  const std::vector<std::string> domain_sectors = scalars(domain["sectors"]);
  if (!domain_sectors.empty()) parts.push_back("sectors " + join(domain_sectors, ", "));
  if (const auto seeds = scalars(domain["fitting_seeds"]); !seeds.empty()) parts.push_back("fitting seeds " + join(seeds, ", "));
  if (domain["revision"] && domain["revision"].IsScalar()) parts.push_back("revision " + domain["revision"].Scalar());
  out.domain = parts.empty() ? "the calibration records an empty domain" : join(parts, "; ");
  if (std::isfinite(domain_firms)) {
    double firms = static_cast<double>(EconomySettings{}.firms);  // the default when the scenario is silent
    const YAML::Node economy = root["economy"];
    if (economy && economy.IsMap() && economy["firms"] && economy["firms"].IsScalar()) {
      try {
        firms = std::stod(economy["firms"].Scalar());
      } catch (const std::exception&) {
      }
    }
    if (firms != domain_firms) {
      out.warnings.push_back("runs " + count_text(firms) + " firms; the calibration was fitted with " +
                             count_text(domain_firms) + " (economy.firms)");
    }
  }
  if (!domain_sectors.empty() && root["sectors"] && root["sectors"].IsMap()) {
    std::vector<std::string> outside;
    for (const auto& item : root["sectors"]) {
      const std::string name = item.first.Scalar();
      if (std::find(domain_sectors.begin(), domain_sectors.end(), name) == domain_sectors.end()) outside.push_back(name);
    }
    if (!outside.empty()) {
      out.warnings.push_back("has sector" + std::string(outside.size() == 1 ? " " : "s ") + join(outside, ", ") +
                             " that the calibration did not fit (calibration.domain.sectors)");
    }
  }
  return out;
}

Comparison compare(const ComparisonInput& input, const CompareOptions& options) {
  if (input.scenarios.size() < 2) {
    throw InputError(kCommandLine, 0, "RESULT", "only one scenario to compare; give the baseline and at least one other");
  }
  if (options.variables.empty()) throw InputError(kCommandLine, 0, "--vars", "no variables to compare");
  Comparison comparison;
  comparison.scope = options.scope;
  comparison.time = input.time;
  comparison.sectors = input.sectors;
  comparison.steps_per_year = input.steps_per_year;
  comparison.confidence_level = options.confidence_level;
  comparison.band_level = options.band_level;
  comparison.notes = input.notes;
  comparison.horizon_index = horizon_step(input.time, options.horizon_year, comparison.horizon_year);
  const std::size_t T = input.time.size();
  const std::size_t h = comparison.horizon_index;

  std::size_t sector_index = 0;
  if (options.scope.kind == ScopeKind::sector) {
    const auto it = std::find(input.sectors.begin(), input.sectors.end(), options.scope.sector);
    if (it == input.sectors.end()) {
      throw InputError(kCommandLine, 0, "--scope",
                       "no sector '" + options.scope.sector + "' in the results; they have: " + join(input.sectors, ", "));
    }
    sector_index = static_cast<std::size_t>(it - input.sectors.begin());
  }

  for (const auto& scenario : input.scenarios) {
    ScenarioInfo info;
    info.label = scenario.label;
    info.name = scenario.name;
    info.description = scenario.description;
    info.calibration = scenario.calibration;
    info.parameters = scenario.parameters;
    info.argument = scenario.argument;
    for (const auto& source : scenario.sources) {
      info.seeds.push_back(source.seed);
      if (std::find(info.files.begin(), info.files.end(), source.file) == info.files.end()) info.files.push_back(source.file);
    }
    info.events = scenario.runs.front().events;
    for (const auto& source : scenario.sources) info.drawn_replicates += source.draw >= 0;
    CalibrationProvenance provenance = calibration_provenance(scenario.runs.front().scenario_yaml);
    info.calibration_domain = std::move(provenance.domain);
    info.provenance_warnings = std::move(provenance.warnings);
    comparison.scenarios.push_back(std::move(info));
  }

  const RunSource& reference_source = input.scenarios.front().sources.front();
  for (const auto& variable : options.variables) {
    VariableComparison result;
    result.name = variable;
    std::vector<ReplicateMatrix> matrices;
    for (const auto& scenario : input.scenarios) {
      ReplicateMatrix matrix;
      for (std::size_t r = 0; r < scenario.runs.size(); ++r) {
        Extracted series = extract(scenario.runs[r], scenario.sources[r], variable, options.scope, sector_index);
        if (matrices.empty() && r == 0) {
          result.units = series.units;
          result.long_name = series.long_name;
        } else if (series.units != result.units) {
          throw InputError(scenario.sources[r].describe(), 0, group_name(options.scope) + "/" + variable,
                           "units differ: '" + reference_source.describe() + "' stores " + variable + " in '" +
                               result.units + "', '" + scenario.sources[r].describe() + "' in '" + series.units +
                               "'; compare results written by the same model version");
        }
        matrix.values.push_back(std::move(series.values));
        matrix.seeds.push_back(scenario.sources[r].seed);
        matrix.sources.push_back(&scenario.sources[r]);
      }
      matrices.push_back(std::move(matrix));
    }
    result.cumulative_units = cumulative_units_of(result.units);
    const ReplicateMatrix& base = matrices.front();
    std::vector<double> base_horizon;
    std::vector<double> base_cumulative;
    for (const auto& values : base.values) {
      base_horizon.push_back(values[h]);
      base_cumulative.push_back(cumulative(values, h, input.steps_per_year));
    }
    for (std::size_t k = 0; k < matrices.size(); ++k) {
      const ReplicateMatrix& matrix = matrices[k];
      ScenarioVariable row;
      row.scenario = input.scenarios[k].label;
      row.replicates = matrix.values.size();
      row.curve = band_curve(matrix, T, options.band_level);
      std::vector<double> at_horizon;
      std::vector<double> cumulated;
      for (const auto& values : matrix.values) {
        at_horizon.push_back(values[h]);
        cumulated.push_back(cumulative(values, h, input.steps_per_year));
      }
      row.horizon_mean = sample_mean(at_horizon);
      row.horizon_low = row.curve.low[h];
      row.horizon_high = row.curve.high[h];
      row.cumulative_mean = sample_mean(cumulated);
      if (k > 0) {
        row.horizon_effect = estimate_effect(at_horizon, matrix.seeds, base_horizon, base.seeds, options.confidence_level,
                                             matrix.sources, base.sources);
        row.cumulative_effect = estimate_effect(cumulated, matrix.seeds, base_cumulative, base.seeds,
                                                options.confidence_level, matrix.sources, base.sources);
        row.effect_curve = effect_curve(matrix, base, T, options.confidence_level);
      }
      result.scenarios.push_back(std::move(row));
    }
    comparison.variables.push_back(std::move(result));

    // The same variable by sector at the horizon, when every run has it.
    bool everywhere = true;
    for (const auto& scenario : input.scenarios) {
      for (const auto& run : scenario.runs) everywhere = everywhere && run.find_by_sector(variable) != nullptr;
    }
    if (!everywhere) continue;
    SectorBreakdown breakdown;
    breakdown.name = variable;
    breakdown.units = input.scenarios.front().runs.front().find_by_sector(variable)->units;
    const std::size_t S = input.sectors.size();
    std::vector<std::vector<std::vector<double>>> levels;  // [scenario][sector][replicate]
    for (const auto& scenario : input.scenarios) {
      breakdown.scenarios.push_back(scenario.label);
      std::vector<std::vector<double>> per_sector(S);
      for (const auto& run : scenario.runs) {
        const SectorSeries* series = run.find_by_sector(variable);
        for (std::size_t s = 0; s < S; ++s) per_sector[s].push_back(series->values[h * S + s]);
      }
      levels.push_back(std::move(per_sector));
    }
    for (std::size_t k = 0; k < levels.size(); ++k) {
      std::vector<double> means(S);
      std::vector<Effect> effects(k == 0 ? 0 : S);
      for (std::size_t s = 0; s < S; ++s) {
        means[s] = sample_mean(levels[k][s]);
        if (k > 0) {
          effects[s] = estimate_effect(levels[k][s], matrices[k].seeds, levels[0][s], matrices[0].seeds,
                                       options.confidence_level, matrices[k].sources, matrices[0].sources);
        }
      }
      breakdown.horizon_mean.push_back(std::move(means));
      breakdown.effect.push_back(std::move(effects));
    }
    comparison.by_sector.push_back(std::move(breakdown));
  }
  comparison.levers = lever_timelines(input);
  return comparison;
}

//---- output ----

std::string format_number(double value) {
  if (std::isnan(value)) return "n/a";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  const double magnitude = std::fabs(value);
  char buffer[64];
  if (magnitude >= 1e15) {
    std::snprintf(buffer, sizeof buffer, "%.4g", value);
    return buffer;
  }
  if (magnitude < 1000) {
    if (magnitude == 0) return "0";
    if (magnitude >= 100) {
      std::snprintf(buffer, sizeof buffer, "%.1f", value);
    } else if (magnitude >= 1) {
      std::snprintf(buffer, sizeof buffer, "%.2f", value);
    } else {
      std::snprintf(buffer, sizeof buffer, "%.3g", value);
    }
    return buffer;
  }
  std::snprintf(buffer, sizeof buffer, "%.0f", std::fabs(value));
  std::string digits = buffer;
  std::string grouped;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return (value < 0 ? "-" : "") + grouped;
}

std::string signed_number(double value) {
  const std::string text = format_number(value);
  return (value > 0 && std::isfinite(value)) ? "+" + text : text;
}

UnpairedRatio unpaired_ratio(const Effect& effect, double baseline_mean, double scenario_mean) {
  UnpairedRatio ratio;
  if (!effect.paired.available || !effect.unpaired.available) return ratio;
  const double paired_half = effect.paired.half_width();
  if (!(paired_half > 0)) return ratio;
  if (paired_half <= 1e-12 * std::max(std::fabs(baseline_mean), std::fabs(scenario_mean))) {
    ratio.kind = UnpairedRatio::Kind::rounding_only;
  } else {
    ratio.kind = UnpairedRatio::Kind::ratio;
    ratio.value = effect.unpaired.half_width() / paired_half;
  }
  return ratio;
}

namespace {

std::string format_percent(double value) {
  if (!std::isfinite(value)) return "";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%+.2f%%", value);
  return buffer;
}

std::string format_level(double level) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%g%%", 100.0 * level);
  return buffer;
}

// Why an interval is missing, as a table cell says it: the single-replicate reason shortened to
// "no interval" (the note under the table says it once), any other reason in full.
std::string cell_reason(const Interval& interval) {
  return interval.reason == kOneReplicate ? std::string("no interval") : interval.reason;
}

// An effect in a table cell: "+15,433 ± 533 (+1.25%)" or "+15,433 (+1.25%), no interval".
std::string effect_text(const Effect& effect, bool with_percent) {
  if (effect.pairs == 0) return "not paired (no common seed)";
  std::string text = signed_number(effect.paired_mean);
  if (effect.paired.available) text += " ± " + format_number(effect.paired.half_width());
  if (with_percent && std::isfinite(effect.percent)) text += " (" + format_percent(effect.percent) + ")";
  if (!effect.paired.available) text += ", " + cell_reason(effect.paired);
  return text;
}

// The two intervals of an effect for the table: "seed noise -1 to +3; total -4 to +6 (parameters: 60 % of the width)".
std::string uncertainty_text(const Effect& effect) {
  const UncertaintySplit& u = effect.uncertainty;
  auto interval = [](const Interval& i) {
    return i.available ? signed_number(i.low) + " to " + signed_number(i.high) : std::string("none");
  };
  std::string text = "ci_noise " + interval(u.noise) + "; ci_total ";
  if (!u.total.available) return text + "none (" + (u.note.empty() ? u.total.reason : u.note) + ")";
  text += interval(u.total);
  if (std::isfinite(u.parameter_share)) {
    char share[48];
    std::snprintf(share, sizeof share, " (parameters: %.0f %% of the width)", 100.0 * u.parameter_share);
    text += share;
  }
  if (!u.separated && !u.note.empty()) text += "; " + u.note;
  return text;
}

// Width in characters, counting UTF-8 continuation bytes as nothing (the ± sign).
std::size_t text_width(const std::string& text) {
  std::size_t length = 0;
  for (unsigned char c : text) length += (c & 0xC0) != 0x80;
  return length;
}

std::string pad(const std::string& text, std::size_t width, bool right) {
  const std::size_t length = text_width(text);
  if (length >= width) return text;
  const std::string fill(width - length, ' ');
  return right ? fill + text : text + fill;
}

std::string period_text(const Comparison& comparison) {
  return format_year(std::floor(comparison.time.front())) + "-" + format_year(comparison.horizon_year);
}

void write_interval_json(JsonWriter& json, const Interval& interval) {
  json.begin_object().key("available").value(interval.available);
  if (interval.available) {
    json.key("low").value(interval.low).key("high").value(interval.high);
  } else {
    json.key("low").null().key("high").null().key("reason").value(interval.reason);
  }
  json.end_object();
}

// `[low, high]`, or null when there is no interval.
void write_pair_json(JsonWriter& json, const Interval& interval) {
  if (!interval.available) {
    json.null();
    return;
  }
  json.begin_array().value(interval.low).value(interval.high).end_array();
}

// ci_noise, ci_total, the parameters' share of the width and how they were made.
void write_uncertainty_json(JsonWriter& json, const UncertaintySplit& split) {
  json.key("ci_noise");
  write_pair_json(json, split.noise);
  json.key("ci_total");
  write_pair_json(json, split.total);
  json.key("parameter_share").value(split.parameter_share);
  json.key("parameter_variance").value(split.parameter_variance);
  json.key("noise_sd").value(split.noise_sd);
  json.key("uncertainty_separated").value(split.separated);
  json.key("uncertainty_note");
  if (split.note.empty()) {
    json.null();
  } else {
    json.value(split.note);
  }
}

void write_effect_json(JsonWriter& json, const Effect& effect) {
  json.begin_object();
  write_uncertainty_json(json, effect.uncertainty);
  json.key("pairs").value(effect.pairs);
  json.key("paired_mean").value(effect.paired_mean);
  json.key("percent").value(effect.percent);
  json.key("paired").begin_object().key("ci");
  write_interval_json(json, effect.paired);
  json.end_object();
  json.key("unpaired_mean").value(effect.unpaired_mean);
  json.key("unpaired").begin_object().key("ci");
  write_interval_json(json, effect.unpaired);
  json.end_object();
  json.key("seeds").begin_array();
  for (auto seed : effect.seeds) json.value(seed);
  json.end_array();
  json.key("differences").value(effect.differences);
  json.end_object();
}

void write_curve_json(JsonWriter& json, const Curve& curve) {
  json.begin_object().key("mean").value(curve.mean).key("low").value(curve.low).key("high").value(curve.high).end_object();
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_number(double value) { return std::isfinite(value) ? JsonWriter::format_number(value) : ""; }

}  // namespace

std::string seed_summary(const std::vector<std::uint64_t>& seeds) {
  if (seeds.empty()) return "no seeds";
  std::vector<std::uint64_t> sorted = seeds;
  std::sort(sorted.begin(), sorted.end());
  bool contiguous = true;
  for (std::size_t i = 1; i < sorted.size(); ++i) contiguous = contiguous && sorted[i] == sorted[i - 1] + 1;
  if (sorted.size() == 1) return "seed " + std::to_string(sorted.front());
  if (contiguous) return "seeds " + std::to_string(sorted.front()) + "-" + std::to_string(sorted.back());
  if (sorted.size() == 2) return "seeds " + std::to_string(sorted.front()) + ", " + std::to_string(sorted.back());
  // Seeds derived by a sweep or --replicates are 16-digit hashes: a list of them, or "lowest..highest"
  // (which reads as a range that was run), says less than the count and the first replicate's seed.
  return std::to_string(seeds.size()) + " seeds, the first " + std::to_string(seeds.front());
}

std::string describe_effect(const Comparison& comparison, const VariableComparison& variable,
                            const ScenarioVariable& scenario) {
  const Effect& effect = scenario.horizon_effect;
  const std::string year = format_year(comparison.horizon_year);
  if (effect.pairs == 0) {
    return "cannot be paired with the baseline on " + variable.name + " (no seed in common)";
  }
  std::string verb = effect.paired_mean > 0 ? "raises" : (effect.paired_mean < 0 ? "lowers" : "leaves unchanged");
  std::string text = verb + " " + variable.name + " in " + year;
  if (effect.paired_mean != 0) {
    text += " by " + format_number(std::fabs(effect.paired_mean)) + " [" + variable.units + "]";
    if (std::isfinite(effect.percent)) text += " (" + format_percent(effect.percent) + ")";
  }
  if (effect.paired.available) {
    text += "; " + format_level(comparison.confidence_level) + " CI " + signed_number(effect.paired.low) + " to " +
            signed_number(effect.paired.high) + ", " + std::to_string(effect.pairs) + " paired seeds";
    const bool excludes_zero = effect.paired.low > 0 || effect.paired.high < 0;
    if (effect.paired_mean != 0 && !excludes_zero) text += " (the interval includes zero: no clear effect)";
  } else {
    text += "; " + effect.paired.reason;
  }
  return text;
}

void write_comparison_table(const Comparison& comparison, std::ostream& out) {
  const std::string year = format_year(comparison.horizon_year);
  const std::string level = format_level(comparison.confidence_level);
  const ScenarioInfo& baseline = comparison.scenarios.front();
  out << "Scenario comparison: " << comparison.scope.description() << ", value in " << year << " and cumulative "
      << period_text(comparison) << "\n";
  out << "Baseline: " << baseline.label << " (" << baseline.seeds.size() << " replicate"
      << (baseline.seeds.size() == 1 ? "" : "s") << ", " << seed_summary(baseline.seeds) << ")\n";
  out << "Effect = scenario - baseline, paired by seed (common random numbers): mean ± half-width of its " << level
      << " CI (Student t).\n";
  out << "Unpaired = half-width of the Welch " << level
      << " CI that ignores the pairing, and how many times wider it is than the paired one.\n";
  if (!baseline.calibration_domain.empty()) out << "Calibration domain: " << baseline.calibration_domain << "\n";
  for (const auto& info : comparison.scenarios) {
    for (const auto& warning : info.provenance_warnings) out << "Warning: " << info.label << " " << warning << "\n";
  }
  // The two intervals of each effect, when some effect's runs carry parameter draws.
  bool drawn = false;
  for (const auto& variable : comparison.variables) {
    for (std::size_t k = 1; k < variable.scenarios.size(); ++k) {
      const UncertaintySplit& u = variable.scenarios[k].horizon_effect.uncertainty;
      drawn = drawn || u.total.available || u.note != kNoDraws;
    }
  }
  if (drawn) {
    out << "ci_noise = the effect's " << level << " CI from seed noise only; ci_total = with the calibration's "
        << "parameter uncertainty too (replicate r of every scenario at parameter draw r).\n";
  }
  for (const auto& variable : comparison.variables) {
    out << "\n" << variable.name << " [" << variable.units << "]";
    if (!variable.long_name.empty()) out << ": " << variable.long_name;
    out << "\n";
    // Every cell first, then each column as wide as its widest cell, so that a long cell (an effect
    // without an interval, a scenario's long name) moves its column instead of breaking the rows.
    struct Row {
      std::string scenario, replicates, value, effect, unpaired, cumulative, cumulative_effect, uncertainty;
    };
    std::vector<Row> rows;
    rows.push_back({"scenario", "reps", "value", "effect (paired)", "unpaired", "cumulative", "cumulative effect", ""});
    rows.push_back({"", "", "in " + year, "mean ± " + level + " CI", "± " + level + " CI", period_text(comparison),
                    "[" + variable.cumulative_units + "]", ""});
    for (std::size_t k = 0; k < variable.scenarios.size(); ++k) {
      const ScenarioVariable& row = variable.scenarios[k];
      Row cells{row.scenario, std::to_string(row.replicates), format_number(row.horizon_mean), "(baseline)", "",
                format_number(row.cumulative_mean), "", ""};
      if (k > 0) {
        const Effect& effect = row.horizon_effect;
        cells.effect = effect_text(effect, true);
        if (effect.unpaired.available) {
          cells.unpaired = "± " + format_number(effect.unpaired.half_width());
          const UnpairedRatio ratio = unpaired_ratio(effect, variable.scenarios.front().horizon_mean, row.horizon_mean);
          if (ratio.kind == UnpairedRatio::Kind::rounding_only) {
            cells.unpaired += " (paired: rounding only)";
          } else if (ratio.kind == UnpairedRatio::Kind::ratio) {
            char text[32];
            std::snprintf(text, sizeof text, " (%.1fx)", ratio.value);
            cells.unpaired += text;
          }
        } else {
          cells.unpaired = cell_reason(effect.unpaired);
        }
        cells.cumulative_effect = effect_text(row.cumulative_effect, false);
        if (drawn && effect.pairs > 0) cells.uncertainty = uncertainty_text(effect);
      }
      rows.push_back(std::move(cells));
    }
    std::size_t widths[6] = {8, 4, 12, 30, 17, 14};
    for (const Row& r : rows) {
      const std::string* cells[6] = {&r.scenario, &r.replicates, &r.value, &r.effect, &r.unpaired, &r.cumulative};
      for (int c = 0; c < 6; ++c) widths[c] = std::max(widths[c], text_width(*cells[c]));
    }
    for (const Row& r : rows) {
      std::string line = "  " + pad(r.scenario, widths[0], false) + "  " + pad(r.replicates, widths[1], true) + "  " +
                         pad(r.value, widths[2], true) + "  " + pad(r.effect, widths[3], false) + "  " +
                         pad(r.unpaired, widths[4], false) + "  " + pad(r.cumulative, widths[5], true) + "  " +
                         r.cumulative_effect;
      line.erase(line.find_last_not_of(' ') + 1);
      out << line << "\n";
      if (!r.uncertainty.empty()) out << "  " << pad("", widths[0], false) << "  " << r.uncertainty << "\n";
    }
  }
  bool any_single = false;
  for (const auto& variable : comparison.variables) {
    for (std::size_t k = 1; k < variable.scenarios.size(); ++k) {
      any_single = any_single || variable.scenarios[k].horizon_effect.pairs == 1;
    }
  }
  if (!drawn) {
    out << "\nThe inputs carry no parameter draws: the intervals above are seed noise only (ci_noise); there is "
           "no interval with parameter uncertainty (ci_total).\n";
  }
  if (any_single) {
    out << "\nWith one replicate there is no interval: run more seeds (--set seed=N) to know how sure the effect is.\n";
  }
  if (!comparison.notes.empty()) {
    out << "\nNotes:\n";
    for (const auto& note : comparison.notes) out << "  " << note << "\n";
  }
}

void write_comparison_csv(const Comparison& comparison, std::ostream& out) {
  out << "scope,variable,units,scenario,baseline,replicates,pairs,horizon_year,horizon_mean,horizon_band_low,"
         "horizon_band_high,effect,effect_percent,effect_ci_low,effect_ci_high,unpaired_effect,unpaired_ci_low,"
         "unpaired_ci_high,cumulative_units,cumulative_mean,cumulative_effect,cumulative_ci_low,cumulative_ci_high,"
         "cumulative_unpaired_ci_low,cumulative_unpaired_ci_high,note,effect_ci_noise_low,effect_ci_noise_high,"
         "effect_ci_total_low,effect_ci_total_high,parameter_share,uncertainty_note\n";
  for (const auto& variable : comparison.variables) {
    for (std::size_t k = 0; k < variable.scenarios.size(); ++k) {
      const ScenarioVariable& row = variable.scenarios[k];
      const Effect& e = row.horizon_effect;
      const Effect& c = row.cumulative_effect;
      const bool is_baseline = k == 0;
      auto low = [&](const Interval& i) { return is_baseline || !i.available ? std::string() : csv_number(i.low); };
      auto high = [&](const Interval& i) { return is_baseline || !i.available ? std::string() : csv_number(i.high); };
      auto number = [&](double v) { return is_baseline ? std::string() : csv_number(v); };
      std::string note = is_baseline ? "baseline" : (e.paired.available ? "" : e.paired.reason);
      out << csv_field(comparison.scope.label()) << ',' << csv_field(variable.name) << ',' << csv_field(variable.units)
          << ',' << csv_field(row.scenario) << ',' << csv_field(comparison.scenarios.front().label) << ','
          << row.replicates << ',' << (is_baseline ? row.replicates : e.pairs) << ','
          << csv_number(comparison.horizon_year) << ',' << csv_number(row.horizon_mean) << ','
          << csv_number(row.horizon_low) << ',' << csv_number(row.horizon_high) << ',' << number(e.paired_mean) << ','
          << number(e.percent) << ',' << low(e.paired) << ',' << high(e.paired) << ',' << number(e.unpaired_mean) << ','
          << low(e.unpaired) << ',' << high(e.unpaired) << ',' << csv_field(variable.cumulative_units) << ','
          << csv_number(row.cumulative_mean) << ',' << number(c.paired_mean) << ',' << low(c.paired) << ','
          << high(c.paired) << ',' << low(c.unpaired) << ',' << high(c.unpaired) << ',' << csv_field(note) << ','
          << low(e.uncertainty.noise) << ',' << high(e.uncertainty.noise) << ',' << low(e.uncertainty.total) << ','
          << high(e.uncertainty.total) << ',' << number(e.uncertainty.parameter_share) << ','
          << csv_field(is_baseline ? "" : e.uncertainty.note) << '\n';
    }
  }
}

void write_comparison_json(const Comparison& comparison, std::ostream& out) {
  JsonWriter json(out);
  json.begin_object();
  json.key("format").value("convsim-comparison-1");
  json.key("scope").value(comparison.scope.label());
  json.key("scope_description").value(comparison.scope.description());
  json.key("horizon_year").value(comparison.horizon_year);
  json.key("horizon_index").value(comparison.horizon_index);
  json.key("confidence_level").value(comparison.confidence_level);
  json.key("band_level").value(comparison.band_level);
  json.key("steps_per_year").value(comparison.steps_per_year);
  json.key("time").value(comparison.time);
  json.key("sectors").value(comparison.sectors);
  json.key("scenarios").begin_array();
  for (const auto& scenario : comparison.scenarios) {
    json.begin_object();
    json.key("label").value(scenario.label);
    json.key("name").value(scenario.name);
    json.key("description").value(scenario.description);
    json.key("calibration").value(scenario.calibration);
    json.key("parameters").value(scenario.parameters);
    json.key("argument").value(scenario.argument);
    json.key("seeds").begin_array();
    for (auto seed : scenario.seeds) json.value(seed);
    json.end_array();
    json.key("files").value(scenario.files);
    json.key("drawn_replicates").value(scenario.drawn_replicates);
    json.key("calibration_domain").value(scenario.calibration_domain);
    json.key("provenance_warnings").value(scenario.provenance_warnings);
    json.key("events").begin_array();
    for (const auto& event : scenario.events) {
      json.begin_object();
      json.key("name").value(event.name).key("lever").value(event.lever).key("sectors").value(event.sectors);
      json.key("mode").value(event.mode).key("at").value(event.at).key("until").value(event.until);
      json.key("ramp_years").value(event.ramp_years).key("value").value(event.value);
      json.end_object();
    }
    json.end_array();
    json.end_object();
  }
  json.end_array();
  json.key("variables").begin_array();
  for (const auto& variable : comparison.variables) {
    json.begin_object();
    json.key("name").value(variable.name);
    json.key("units").value(variable.units);
    json.key("long_name").value(variable.long_name);
    json.key("cumulative_units").value(variable.cumulative_units);
    json.key("scenarios").begin_array();
    for (std::size_t k = 0; k < variable.scenarios.size(); ++k) {
      const ScenarioVariable& row = variable.scenarios[k];
      json.begin_object();
      json.key("scenario").value(row.scenario);
      json.key("replicates").value(row.replicates);
      json.key("curve");
      write_curve_json(json, row.curve);
      json.key("horizon").begin_object().key("mean").value(row.horizon_mean).key("low").value(row.horizon_low);
      json.key("high").value(row.horizon_high).end_object();
      json.key("cumulative_mean").value(row.cumulative_mean);
      if (k == 0) {
        json.key("horizon_effect").null().key("cumulative_effect").null().key("effect_curve").null();
        json.key("summary").value("baseline");
      } else {
        json.key("horizon_effect");
        write_effect_json(json, row.horizon_effect);
        json.key("cumulative_effect");
        write_effect_json(json, row.cumulative_effect);
        json.key("effect_curve");
        write_curve_json(json, row.effect_curve);
        json.key("summary").value(describe_effect(comparison, variable, row));
      }
      json.end_object();
    }
    json.end_array();
    json.end_object();
  }
  json.end_array();
  json.key("by_sector").begin_array();
  for (const auto& breakdown : comparison.by_sector) {
    json.begin_object();
    json.key("name").value(breakdown.name).key("units").value(breakdown.units);
    json.key("scenarios").value(breakdown.scenarios);
    json.key("horizon_mean").begin_array();
    for (const auto& means : breakdown.horizon_mean) json.value(means);
    json.end_array();
    json.key("effect").begin_array();
    for (const auto& effects : breakdown.effect) {
      json.begin_array();
      for (const auto& effect : effects) {
        json.begin_object().key("pairs").value(effect.pairs).key("paired_mean").value(effect.paired_mean);
        json.key("ci");
        write_interval_json(json, effect.paired);
        json.key("unpaired_ci");
        write_interval_json(json, effect.unpaired);
        write_uncertainty_json(json, effect.uncertainty);
        json.end_object();
      }
      json.end_array();
    }
    json.end_array();
    json.end_object();
  }
  json.end_array();
  json.key("levers").begin_array();
  for (const auto& lever : comparison.levers) {
    json.begin_object().key("lever").value(lever.lever).key("sector").value(lever.sector).key("units").value(lever.units);
    json.key("long_name").value(lever.long_name);
    json.key("values").begin_array();
    for (const auto& values : lever.values) json.value(values);
    json.end_array().end_object();
  }
  json.end_array();
  json.key("notes").value(comparison.notes);
  json.end_object();
}

}  // namespace convsim::analysis
