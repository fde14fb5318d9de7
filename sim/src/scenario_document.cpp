#include "convsim/scenario_document.hpp"

#include <algorithm>
#include <sstream>
#include <unordered_set>

#include "convsim/detail/parsed_yaml.hpp"
#include "convsim/errors.hpp"
#include "convsim/input_file.hpp"

namespace convsim {
namespace {

constexpr const char* kCommandLine = "<command line>";

int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

bool is_valid_key_segment(const std::string& segment) {
  if (segment.empty()) return false;
  return std::all_of(segment.begin(), segment.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

YAML::Node parse_yaml_text(const std::string& text, const std::string& file) {
  check_yaml_text(text, file);
  try {
    return detail::parsed_yaml(text);
  } catch (const YAML::Exception& e) {
    throw yaml_syntax_error(text, file, e.mark.line, e.msg);
  }
}

void emit_subtree(YAML::Emitter& out, const ScenarioDocument& doc, const std::string& prefix) {
  out << YAML::BeginMap;
  for (const std::string& child : doc.children(prefix)) {
    const std::string key = prefix.empty() ? child : prefix + "." + child;
    out << YAML::Key << child << YAML::Value;
    if (const DocumentEntry* entry = doc.find(key)) {
      if (entry->value.IsSequence()) {
        out << YAML::Flow << entry->value;
      } else {
        out << entry->value;
      }
    } else {
      emit_subtree(out, doc, key);
    }
  }
  out << YAML::EndMap;
}

}  // namespace

YAML::Node detail::parsed_yaml(const std::string& text) {
  // One per thread, so that no tree is read by two threads; reset, not assignment, which would
  // write the tree a caller may still hold.
  thread_local std::string kept_text;
  thread_local YAML::Node kept;
  thread_local bool have = false;
  if (have && text == kept_text) return kept;
  const YAML::Node root = YAML::Load(text);
  if (text.size() <= kParsedYamlKeptBytes) {
    kept_text = text;
    kept.reset(root);
    have = true;
  }
  return root;
}

ScenarioDocument ScenarioDocument::load(const std::filesystem::path& path) {
  ScenarioDocument doc;
  doc.file_ = path.string();
  std::vector<std::filesystem::path> chain;
  doc.merge_file(path, chain, SourceLocation{});
  return doc;
}

ScenarioDocument ScenarioDocument::parse(const std::string& yaml_text, const std::string& file_label) {
  ScenarioDocument doc;
  doc.file_ = file_label;
  const YAML::Node root = parse_yaml_text(yaml_text, file_label);
  if (root.IsNull()) return doc;
  if (!root.IsMap()) {
    throw InputError(file_label, line_of(root), "", "a scenario must be a YAML map of keys");
  }
  if (root["extends"]) {
    throw InputError(file_label, line_of(root["extends"]), "extends",
                     "extends is only allowed in scenario files");
  }
  refuse_duplicate_keys(root, file_label, "");
  doc.merge_node(root, "", file_label);
  return doc;
}

void ScenarioDocument::merge_file(const std::filesystem::path& path,
                                  std::vector<std::filesystem::path>& chain,
                                  const SourceLocation& requested_at) {
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ec);
  if (ec) canonical = path;
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
    std::string cycle;
    for (const auto& p : chain) cycle += p.filename().string() + " -> ";
    cycle += canonical.filename().string();
    throw InputError(requested_at.file, requested_at.line, "extends",
                     "extends cycle: " + cycle + "; expected a chain that ends in a base scenario");
  }
  const std::string file = path.string();
  const InputFileContext context{requested_at.file, requested_at.line, requested_at.file.empty() ? "" : "extends"};
  const std::string text = read_input_file(path, "scenario file", context);
  const YAML::Node root = parse_yaml_text(text, file);
  if (root.IsNull()) {
    throw InputError(file, 0, "", "the scenario file is empty; expected a YAML map of keys (at least a name)");
  }
  if (!root.IsMap()) {
    throw InputError(file, line_of(root), "", "a scenario must be a YAML map of keys, found a " +
                                                  std::string(root.IsSequence() ? "list" : "scalar"));
  }
  refuse_duplicate_keys(root, file, "");
  chain.push_back(canonical);
  if (const YAML::Node base = root["extends"]) {
    if (!base.IsScalar() || base.Scalar().empty()) {
      throw InputError(file, line_of(base), "extends", "expected the path of a base scenario file");
    }
    std::filesystem::path base_path = base.Scalar();
    if (base_path.is_relative()) base_path = path.parent_path() / base_path;
    merge_file(base_path, chain, SourceLocation{file, line_of(base)});
  }
  chain.pop_back();
  merge_node(root, "", file);
}

void ScenarioDocument::merge_node(const YAML::Node& node, const std::string& prefix,
                                  const std::string& file) {
  if (!prefix.empty()) refuse_duplicate_keys(node, file, prefix);  // the root was checked before extends
  for (const auto& item : node) {
    const YAML::Node& key_node = item.first;
    const YAML::Node& value = item.second;
    if (++merged_items_ > kMaxScenarioKeys) {
      throw InputError(file, line_of(key_node), prefix,
                       "more than " + std::to_string(kMaxScenarioKeys) +
                           " keys (with the extends chain and YAML aliases expanded); expected at most " +
                           std::to_string(kMaxScenarioKeys));
    }
    const std::string segment = key_node.IsScalar() ? key_node.Scalar() : std::string();
    if (prefix.size() + segment.size() + 1 > kMaxKeyLength) {
      throw InputError(file, line_of(key_node), prefix.substr(0, 80) + "...",
                       "key path longer than " + std::to_string(kMaxKeyLength) + " characters");
    }
    const std::string key = prefix.empty() ? segment : prefix + "." + segment;
    if (!is_valid_key_segment(segment)) {
      throw InputError(file, line_of(key_node), key,
                       "invalid key name; expected letters, digits, '_' or '-'");
    }
    if (prefix.empty() && segment == "extends") continue;
    if (value.IsMap()) {
      if (find(key)) erase_subtree(key);  // a map replaces a leaf written earlier
      if (value.size() == 0) continue;
      merge_node(value, key, file);
    } else if (value.IsSequence()) {
      // The free-form calibration record may hold tables (lists of flat lists, e.g. its
      // parameter draws); everywhere else lists hold plain values.
      const bool table_allowed = key.rfind("calibration.", 0) == 0;
      for (const auto& element : value) {
        const bool row = table_allowed && element.IsSequence() &&
                         std::all_of(element.begin(), element.end(), [](const YAML::Node& x) { return x.IsScalar(); });
        if (!element.IsScalar() && !row) {
          throw InputError(file, line_of(element), key,
                           "lists may only hold plain values; use a map keyed by name for "
                           "structured entries");
        }
      }
      set(key, value, SourceLocation{file, line_of(value)});
    } else {
      set(key, value, SourceLocation{file, line_of(value.IsNull() ? key_node : value)});
    }
  }
}

void ScenarioDocument::apply_override(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw InputError(kCommandLine, 0, assignment,
                     "expected --set key.path=value, found '" + assignment + "'");
  }
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  check_yaml_text(assignment, kCommandLine);
  if (key.size() > kMaxKeyLength) throw InputError(kCommandLine, 0, key.substr(0, 80) + "...", "key path too long");
  std::stringstream segments(key);
  std::string segment;
  while (std::getline(segments, segment, '.')) {
    if (!is_valid_key_segment(segment)) {
      throw InputError(kCommandLine, 0, key, "invalid key path in --set");
    }
  }
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(kCommandLine, 0, key, "value '" + text + "' is not valid YAML: " + e.msg);
  }
  if (value.IsMap()) {
    throw InputError(kCommandLine, 0, key,
                     "--set takes one value; set each key of a map separately");
  }
  if (value.IsSequence()) {
    for (const auto& element : value) {
      if (!element.IsScalar()) {
        throw InputError(kCommandLine, 0, key, "lists may only hold plain values");
      }
    }
  }
  set(key, value, SourceLocation{kCommandLine, 0});
}

void ScenarioDocument::set(const std::string& key, const YAML::Node& value,
                           const SourceLocation& where) {
  // Replacing a leaf keeps its place in document order (sector order is output order).
  // yaml-cpp's Node::operator= writes through to every copy sharing the node; reset() rebinds.
  int node = 0;
  std::size_t begin = 0;
  while (true) {
    const std::size_t dot = key.find('.', begin);
    const std::string segment = key.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin);
    const bool last = dot == std::string::npos;
    const auto found = nodes_[node].kid_index.find(segment);
    int kid = found == nodes_[node].kid_index.end() ? -1 : found->second;
    if (kid >= 0 && last && nodes_[kid].leaf) {
      nodes_[kid].entry.value.reset(YAML::Clone(value));
      nodes_[kid].entry.where = where;
      return;
    }
    // A leaf replaces any map below it and any leaf above it.
    if (kid >= 0 && (last || nodes_[kid].leaf)) {
      const bool parent_survives = nodes_[node].live_kids > 1 || node == 0;
      remove_node(kid);
      if (!parent_survives) {
        // `node` was pruned with its only kid: rebuild the path from the root.
        set(key, value, where);
        return;
      }
      kid = -1;
    }
    if (kid < 0) kid = add_kid(node, segment);
    if (last) {
      nodes_[kid].leaf = true;
      nodes_[kid].entry = DocumentEntry{YAML::Clone(value), where};
      return;
    }
    node = kid;
    begin = dot + 1;
  }
}

int ScenarioDocument::find_node(const std::string& key) const {
  int node = 0;
  std::size_t begin = 0;
  while (true) {
    const std::size_t dot = key.find('.', begin);
    const auto& index = nodes_[node].kid_index;
    const auto found = index.find(std::string_view(key).substr(begin, dot == std::string::npos ? std::string::npos : dot - begin));
    if (found == index.end()) return -1;
    node = found->second;
    if (dot == std::string::npos) return node;
    begin = dot + 1;
  }
}

int ScenarioDocument::add_kid(int parent, const std::string& name) {
  const int kid = static_cast<int>(nodes_.size());
  Node node;
  node.name = name;
  node.parent = parent;
  node.position = nodes_[parent].kids.size();
  nodes_.push_back(std::move(node));
  Node& p = nodes_[parent];
  p.kids.push_back(kid);
  p.kid_index.emplace(name, kid);
  ++p.live_kids;
  return kid;
}

void ScenarioDocument::remove_node(int node) {
  // Detaches `node` from its parent; a parent left without kids goes too (maps are never empty).
  while (node > 0) {
    const int parent = nodes_[node].parent;
    Node& p = nodes_[parent];
    p.kids[nodes_[node].position] = -1;
    p.kid_index.erase(nodes_[node].name);
    --p.live_kids;
    if (p.kids.size() > 2 * p.live_kids + 8) {  // compact: amortised O(1) per removal
      std::vector<int> live;
      live.reserve(p.live_kids);
      for (const int k : p.kids) {
        if (k >= 0) {
          nodes_[k].position = live.size();
          live.push_back(k);
        }
      }
      nodes_[parent].kids = std::move(live);
    }
    if (nodes_[parent].live_kids > 0) return;
    node = parent;
  }
}

void ScenarioDocument::erase_subtree(const std::string& key) {
  const int node = find_node(key);
  if (node > 0) remove_node(node);
}

const DocumentEntry* ScenarioDocument::find(const std::string& key) const {
  const int node = find_node(key);
  return node > 0 && nodes_[node].leaf ? &nodes_[node].entry : nullptr;
}

int ScenarioDocument::leaf_handle(const std::string& key) const {
  const int node = find_node(key);
  return node > 0 && nodes_[node].leaf ? node : -1;
}

void ScenarioDocument::replace_leaf(int leaf, const YAML::Node& value, const SourceLocation& where) {
  DocumentEntry& entry = nodes_[static_cast<std::size_t>(leaf)].entry;
  entry.value.reset(value);  // rebinds this document's handle; other holders of the old node keep it
  if (entry.where.file != where.file) entry.where.file = where.file;
  entry.where.line = where.line;
}

std::vector<std::string> ScenarioDocument::children(const std::string& prefix) const {
  std::vector<std::string> names;
  const int node = prefix.empty() ? 0 : find_node(prefix);
  if (node < 0) return names;
  for (const int kid : nodes_[node].kids) {
    if (kid >= 0) names.push_back(nodes_[kid].name);
  }
  return names;
}

std::vector<std::string> ScenarioDocument::keys() const {
  std::vector<std::string> out;
  // Depth first without recursion: (node, its dotted key).
  std::vector<std::pair<int, std::string>> stack;
  const auto& root = nodes_[0].kids;
  for (auto it = root.rbegin(); it != root.rend(); ++it) {
    if (*it >= 0) stack.emplace_back(*it, nodes_[*it].name);
  }
  while (!stack.empty()) {
    auto [node, key] = std::move(stack.back());
    stack.pop_back();
    if (nodes_[node].leaf) {
      out.push_back(std::move(key));
      continue;
    }
    const auto& kids = nodes_[node].kids;
    for (auto it = kids.rbegin(); it != kids.rend(); ++it) {
      if (*it >= 0) stack.emplace_back(*it, key + "." + nodes_[*it].name);
    }
  }
  return out;
}

bool ScenarioDocument::contains_subtree(const std::string& key) const { return find_node(key) > 0; }

SourceLocation ScenarioDocument::location_of(const std::string& key) const {
  int node = find_node(key);
  if (node <= 0) return SourceLocation{file_, 0};
  while (!nodes_[node].leaf) {
    const auto& kids = nodes_[node].kids;
    node = *std::find_if(kids.begin(), kids.end(), [](int k) { return k >= 0; });
  }
  return nodes_[node].entry.where;
}

std::string ScenarioDocument::to_yaml() const {
  YAML::Emitter out;
  out.SetIndent(2);
  emit_subtree(out, *this, "");
  return std::string(out.c_str()) + "\n";
}

void refuse_duplicate_keys(const YAML::Node& map, const std::string& file, const std::string& prefix) {
  std::unordered_map<std::string, int> seen;
  for (const auto& item : map) {
    if (!item.first.IsScalar()) continue;  // the callers refuse keys that are not names
    const std::string& name = item.first.Scalar();
    const auto [at, inserted] = seen.emplace(name, line_of(item.first));
    if (!inserted) {
      throw InputError(file, line_of(item.first), prefix.empty() ? name : prefix + "." + name,
                       "key written twice (also on line " + std::to_string(at->second) + ")");
    }
  }
}

}  // namespace convsim
