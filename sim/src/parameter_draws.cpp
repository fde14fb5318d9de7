// Parameter draws of a calibration applied to replicated runs (parameter_draws.hpp).
#include "convsim/parameter_draws.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <unordered_set>

#include "convsim/detail/parsed_yaml.hpp"
#include "convsim/errors.hpp"

namespace convsim {
namespace {

int line_of(const YAML::Node& node, int fallback) {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : fallback;
}

std::string sub(const std::string& field) { return std::string(kParameterDrawsKey) + "." + field; }

// Reads one leaf of the draws section (a list), failing at the section when it is missing.
const DocumentEntry& list_entry(const ScenarioDocument& document, const std::string& field, const SourceLocation& where) {
  const DocumentEntry* entry = document.find(sub(field));
  if (entry == nullptr) {
    throw InputError(where.file, where.line, sub(field), "missing; the draws need parameters, keys, free_values and values");
  }
  if (!entry->value.IsSequence()) {
    throw InputError(entry->where.file, entry->where.line, sub(field), "expected a list");
  }
  return *entry;
}

std::vector<std::string> names(const DocumentEntry& entry, const std::string& key) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (const auto& element : entry.value) {
    if (!element.IsScalar() || element.Scalar().empty()) {
      throw InputError(entry.where.file, entry.where.line, key, "expected a list of names");
    }
    if (!seen.insert(element.Scalar()).second) {
      throw InputError(entry.where.file, entry.where.line, key,
                       "'" + element.Scalar() + "' is listed twice");
    }
    out.push_back(element.Scalar());
  }
  if (out.empty()) throw InputError(entry.where.file, entry.where.line, key, "empty list; expected at least one name");
  return out;
}

double number(const YAML::Node& node, const std::string& file, int line, const std::string& key) {
  if (node.IsScalar()) {
    try {
      std::size_t used = 0;
      const double value = std::stod(node.Scalar(), &used);
      if (used == node.Scalar().size() && std::isfinite(value)) return value;
    } catch (const std::exception&) {
    }
  }
  throw InputError(file, line, key,
                   "found " + (node.IsScalar() ? "'" + node.Scalar() + "'" : std::string("a list or map")) +
                       ", expected a finite number");
}

// The line of each row of calibration.parameter_draws.<field> in the file that holds it (the
// document keeps copies of its nodes, which have lost their marks); empty when it cannot be read.
std::vector<int> row_lines(const std::string& file, const std::string& field) {
  // Read once per file and modification for all its fields: the file is the whole calibration
  // (about 1 MB of YAML with 100 draws), and a sweep reads its draws' two matrices per scenario.
  namespace fs = std::filesystem;
  struct Cached {
    fs::file_time_type modified;
    std::uintmax_t size = 0;
    std::map<std::string, std::vector<int>> lines;  // field -> line of each row; absent: not a list
  };
  static std::mutex guard;
  static std::map<std::string, Cached> cache;
  std::error_code ec;
  const auto modified = fs::last_write_time(file, ec);
  const auto size = ec ? 0 : fs::file_size(file, ec);
  if (ec) return {};
  const std::lock_guard lock(guard);
  auto it = cache.find(file);
  if (it == cache.end() || it->second.modified != modified || it->second.size != size) {
    Cached entry{modified, size, {}};
    try {
      // The text as YAML::LoadFile reads it; most often the tree the scenario's load just parsed.
      std::ifstream in(file, std::ios::binary);
      if (!in) throw std::runtime_error("cannot open " + file);
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      const YAML::Node root = detail::parsed_yaml(text);  // read only: it may be shared
      const YAML::Node draws = root["calibration"]["parameter_draws"];
      if (draws && draws.IsMap()) {
        for (const auto& item : draws) {
          if (!item.second.IsSequence()) continue;
          const auto [lines, first] = entry.lines.try_emplace(item.first.Scalar());
          if (!first) continue;  // as YAML::Node::operator[], the first of a key written twice
          for (const auto& row : item.second) lines->second.push_back(line_of(row, 0));
        }
      }
    } catch (const std::exception&) {
    }
    it = cache.insert_or_assign(file, std::move(entry)).first;
  }
  const auto found = it->second.lines.find(field);
  return found == it->second.lines.end() ? std::vector<int>{} : found->second;
}

// The rows of a [draw][width] matrix, each checked to hold `width` numbers.
template <typename Row>
std::vector<Row> rows(const DocumentEntry& entry, std::size_t width, const std::string& key, const std::string& width_of,
                      std::vector<int>* lines, Row (*convert)(const YAML::Node&, const std::string&, int, const std::string&)) {
  std::vector<Row> out;
  std::size_t r = 0;
  const std::string field = key.substr(key.rfind('.') + 1);
  const std::vector<int> file_lines = row_lines(entry.where.file, field);
  const bool known = file_lines.size() == entry.value.size();
  for (const auto& row : entry.value) {
    const int line = known ? file_lines[r] : entry.where.line;
    const std::string where = key + "[" + std::to_string(r) + "]";
    if (!row.IsSequence()) throw InputError(entry.where.file, line, where, "expected a list of numbers (one row per draw)");
    if (row.size() != width) {
      throw InputError(entry.where.file, line, where,
                       "has " + std::to_string(row.size()) + " values, expected " + std::to_string(width) + " (one per " +
                           width_of + ")");
    }
    out.push_back(convert(row, entry.where.file, line, where));
    if (lines) lines->push_back(line);
    ++r;
  }
  return out;
}

std::vector<double> number_row(const YAML::Node& row, const std::string& file, int line, const std::string& key) {
  std::vector<double> out;
  out.reserve(row.size());
  for (const auto& element : row) out.push_back(number(element, file, line, key));
  return out;
}

std::vector<YAML::Node> node_row(const YAML::Node& row, const std::string& file, int line, const std::string& key) {
  std::vector<YAML::Node> out;
  out.reserve(row.size());
  for (const auto& element : row) {
    number(element, file, line, key);
    out.push_back(element);
  }
  return out;
}

YAML::Node flow_list(const std::vector<std::string>& items) {
  YAML::Node node(YAML::NodeType::Sequence);
  for (const auto& item : items) node.push_back(item);
  return node;
}

}  // namespace

std::optional<ParameterDraws> read_parameter_draws(const ScenarioDocument& document) {
  if (!document.contains_subtree(kParameterDrawsKey)) return std::nullopt;
  ParameterDraws draws;
  draws.where = document.location_of(kParameterDrawsKey);
  if (const DocumentEntry* leaf = document.find(kParameterDrawsKey)) {
    throw InputError(leaf->where.file, leaf->where.line, kParameterDrawsKey,
                     "expected a map with parameters, keys, free_values and values");
  }
  const DocumentEntry& parameters = list_entry(document, "parameters", draws.where);
  const DocumentEntry& keys = list_entry(document, "keys", draws.where);
  const DocumentEntry& free_values = list_entry(document, "free_values", draws.where);
  const DocumentEntry& values = list_entry(document, "values", draws.where);
  draws.where.file = parameters.where.file;  // the calibration file (the section's first leaf)
  draws.parameters = names(parameters, sub("parameters"));
  draws.keys = names(keys, sub("keys"));
  for (const auto& key : draws.keys) {
    if (key == "seed" || key.rfind("calibration.", 0) == 0 || key == "name") {
      throw InputError(keys.where.file, keys.where.line, sub("keys"), "'" + key + "' cannot be drawn");
    }
  }
  draws.free_values = rows<std::vector<double>>(free_values, draws.parameters.size(), sub("free_values"),
                                                "free parameter in calibration.parameter_draws.parameters", nullptr,
                                                number_row);
  draws.values = rows<std::vector<YAML::Node>>(values, draws.keys.size(), sub("values"),
                                               "key in calibration.parameter_draws.keys", &draws.value_lines, node_row);
  if (draws.values.empty()) throw InputError(values.where.file, values.where.line, sub("values"), "no draws; expected at least one row");
  if (draws.free_values.size() != draws.values.size()) {
    throw InputError(free_values.where.file, free_values.where.line, sub("free_values"),
                     "has " + std::to_string(draws.free_values.size()) + " rows but values has " +
                         std::to_string(draws.values.size()) + "; expected one row of each per draw");
  }
  return draws;
}

void check_draw_count(const ParameterDraws& draws, long long replicates) {
  if (replicates <= static_cast<long long>(draws.count())) return;
  throw InputError(draws.where.file, draws.where.line, kParameterDrawsKey,
                   std::to_string(replicates) + " replicates need as many parameter draws, the calibration holds " +
                       std::to_string(draws.count()) +
                       "; run at most that many replicates, add draws, or run with --no-parameter-uncertainty");
}

std::vector<std::string> held_keys(const ScenarioDocument& document, const ParameterDraws& draws) {
  std::vector<std::string> out;
  for (const auto& key : draws.keys) {
    const DocumentEntry* entry = document.find(key);
    if (entry != nullptr && entry->where.file != draws.where.file) out.push_back(key);
  }
  return out;
}

std::vector<ScenarioWarning> held_key_warnings(const ScenarioDocument& document, const ParameterDraws& draws) {
  std::vector<ScenarioWarning> out;
  for (const auto& key : held_keys(document, draws)) {
    const DocumentEntry* entry = document.find(key);
    out.push_back({entry->where, key,
                   "sets a key the calibration draws (" + draws.where.file +
                       ", calibration.parameter_draws): it keeps this value in every replicate, so the effect's "
                       "parameter uncertainty leaves it out"});
  }
  return out;
}

void apply_parameter_draw(ScenarioDocument& document, const ParameterDraws& draws, std::size_t draw) {
  if (draw >= draws.count()) throw std::out_of_range("apply_parameter_draw: no such draw");
  const std::vector<std::string> held = held_keys(document, draws);
  const std::set<std::string> held_set(held.begin(), held.end());
  std::vector<std::string> applied;
  const SourceLocation row{draws.where.file, draws.value_lines[draw]};
  for (std::size_t i = 0; i < draws.keys.size(); ++i) {
    if (held_set.count(draws.keys[i])) continue;
    document.set(draws.keys[i], YAML::Clone(draws.values[draw][i]), row);
    applied.push_back(draws.keys[i]);
  }
  document.erase_subtree(kParameterDrawsKey);
  const std::string record = kAppliedDrawKey;
  document.set(record + ".index", YAML::Node(std::to_string(draw)), row);
  document.set(record + ".draws", YAML::Node(std::to_string(draws.count())), row);
  document.set(record + ".parameters", flow_list(draws.parameters), row);
  YAML::Node free(YAML::NodeType::Sequence);
  for (double value : draws.free_values[draw]) {
    // The shortest text that reads back as exactly this value (0.1297, not 0.12970000000000001).
    char text[32];
    for (int digits = 15; digits <= 17; ++digits) {
      std::snprintf(text, sizeof text, "%.*g", digits, value);
      if (std::strtod(text, nullptr) == value) break;
    }
    free.push_back(std::string(text));
  }
  document.set(record + ".free_values", free, row);
  document.set(record + ".keys", flow_list(applied), row);
  document.set(record + ".held_keys", flow_list(held), row);
}

namespace {

// The YAML text of a leaf, to tell whether two values differ.
std::string leaf_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

}  // namespace

// The leaves the calibration file itself sets, as key -> value text; read once per file and
// modification (sweeps record overrides for every run).
std::vector<std::pair<std::string, std::string>> calibrated_leaves(const std::string& file) {
  namespace fs = std::filesystem;
  struct Cached {
    fs::file_time_type modified;
    std::uintmax_t size = 0;
    std::vector<std::pair<std::string, std::string>> leaves;
  };
  static std::mutex guard;
  static std::map<std::string, Cached> cache;
  std::error_code ec;
  const auto modified = fs::last_write_time(file, ec);
  if (ec) return {};
  const auto size = fs::file_size(file, ec);
  if (ec) return {};
  const std::lock_guard lock(guard);
  if (const auto it = cache.find(file); it != cache.end() && it->second.modified == modified && it->second.size == size) {
    return it->second.leaves;
  }
  Cached entry{modified, size, {}};
  try {
    const ScenarioDocument calibrated = ScenarioDocument::load(file);
    for (const std::string& key : calibrated.keys()) {
      // What names a run or only selects its output is no calibrated value.
      if (key.rfind("calibration.", 0) == 0 || key.rfind("output.", 0) == 0 || key == "name" || key == "description" ||
          key == "seed") {
        continue;
      }
      const DocumentEntry* leaf = calibrated.find(key);
      if (leaf != nullptr && leaf->where.file == file) entry.leaves.emplace_back(key, leaf_text(leaf->value));
    }
  } catch (const std::exception&) {
    return {};
  }
  const Cached& stored = cache[file] = std::move(entry);
  return stored.leaves;
}

bool overrides_calibrated(const DocumentEntry* entry, const std::string& file, const std::string& calibrated) {
  return entry == nullptr || (entry->where.file != file && leaf_text(entry->value) != calibrated);
}

std::vector<std::string> overridden_calibrated_keys(const ScenarioDocument& document) {
  const std::string file = calibration_file(document);
  std::vector<std::string> out;
  if (file.empty()) return out;
  for (const auto& [key, value] : calibrated_leaves(file)) {
    if (overrides_calibrated(document.find(key), file, value)) out.push_back(key);
  }
  return out;
}

void record_calibration_overrides(ScenarioDocument& document) {
  const std::vector<std::string> keys = overridden_calibrated_keys(document);
  if (keys.empty()) return;
  document.set(kOverriddenKeysKey, flow_list(keys), document.location_of("calibration"));
}

std::optional<AppliedDraw> read_applied_draw(const YAML::Node& root) {
  try {
    if (!root.IsMap() || !root["calibration"] || !root["calibration"].IsMap()) return std::nullopt;
    const YAML::Node record = root["calibration"]["applied_draw"];
    if (!record || !record.IsMap()) return std::nullopt;
    AppliedDraw draw;
    draw.index = record["index"].as<long long>();
    draw.draws = record["draws"] ? record["draws"].as<long long>() : 0;
    draw.parameters = record["parameters"].as<std::vector<std::string>>();
    draw.free_values = record["free_values"].as<std::vector<double>>();
    if (record["keys"]) draw.keys = record["keys"].as<std::vector<std::string>>();
    if (record["held_keys"]) draw.held_keys = record["held_keys"].as<std::vector<std::string>>();
    if (draw.index < 0 || draw.parameters.size() != draw.free_values.size()) return std::nullopt;
    return draw;
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

std::optional<AppliedDraw> read_applied_draw(const std::string& resolved_yaml) {
  try {
    return read_applied_draw(YAML::Load(resolved_yaml));
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

}  // namespace convsim
