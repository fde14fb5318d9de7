#include "convsim/scenario_document.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "convsim/errors.hpp"

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
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
    throw InputError(file, line, "", "invalid YAML: " + e.msg);
  }
}

std::string read_file_text(const std::filesystem::path& path, const SourceLocation& requested_at,
                           const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError(requested_at.file.empty() ? path.string() : requested_at.file,
                     requested_at.line, key,
                     "cannot open scenario file '" + path.string() + "': no such readable file");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
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
  const std::string text = read_file_text(path, requested_at, requested_at.file.empty() ? "" : "extends");
  const YAML::Node root = parse_yaml_text(text, file);
  if (root.IsNull()) return;  // an empty file adds nothing
  if (!root.IsMap()) {
    throw InputError(file, line_of(root), "", "a scenario must be a YAML map of keys, found a " +
                                                  std::string(root.IsSequence() ? "list" : "scalar"));
  }
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
  for (const auto& item : node) {
    const YAML::Node& key_node = item.first;
    const YAML::Node& value = item.second;
    const std::string segment = key_node.IsScalar() ? key_node.Scalar() : std::string();
    const std::string key = prefix.empty() ? segment : prefix + "." + segment;
    if (!is_valid_key_segment(segment)) {
      throw InputError(file, line_of(key_node), key,
                       "invalid key name; expected letters, digits, '_' or '-'");
    }
    if (prefix.empty() && segment == "extends") continue;
    if (value.IsMap()) {
      if (const DocumentEntry* leaf = find(key)) {
        (void)leaf;
        erase_subtree(key);  // a map replaces a leaf written earlier
      }
      if (value.size() == 0) continue;
      merge_node(value, key, file);
    } else if (value.IsSequence()) {
      for (const auto& element : value) {
        if (!element.IsScalar()) {
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
  if (auto it = entries_.find(key); it != entries_.end()) {
    it->second.value.reset(YAML::Clone(value));
    it->second.where = where;
    return;
  }
  // A leaf replaces any map below it and any leaf above it.
  erase_subtree(key);
  for (auto dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1)) {
    const std::string parent = key.substr(0, dot);
    if (entries_.count(parent) != 0) erase_subtree(parent);
  }
  entries_.emplace(key, DocumentEntry{YAML::Clone(value), where});
  order_.push_back(key);
}

void ScenarioDocument::erase_subtree(const std::string& key) {
  const std::string child_prefix = key + ".";
  auto doomed = [&](const std::string& k) { return k == key || k.rfind(child_prefix, 0) == 0; };
  for (const std::string& k : order_) {
    if (doomed(k)) entries_.erase(k);
  }
  order_.erase(std::remove_if(order_.begin(), order_.end(), doomed), order_.end());
}

const DocumentEntry* ScenarioDocument::find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<std::string> ScenarioDocument::children(const std::string& prefix) const {
  std::vector<std::string> names;
  const std::string child_prefix = prefix.empty() ? std::string() : prefix + ".";
  for (const std::string& k : order_) {
    if (!child_prefix.empty() && k.rfind(child_prefix, 0) != 0) continue;
    const std::string rest = k.substr(child_prefix.size());
    const std::string name = rest.substr(0, rest.find('.'));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

bool ScenarioDocument::contains_subtree(const std::string& key) const {
  const std::string child_prefix = key + ".";
  return std::any_of(order_.begin(), order_.end(),
                     [&](const std::string& k) { return k == key || k.rfind(child_prefix, 0) == 0; });
}

SourceLocation ScenarioDocument::location_of(const std::string& key) const {
  const std::string child_prefix = key + ".";
  for (const std::string& k : order_) {
    if (k == key || k.rfind(child_prefix, 0) == 0) return entries_.at(k).where;
  }
  return SourceLocation{file_, 0};
}

std::string ScenarioDocument::to_yaml() const {
  YAML::Emitter out;
  out.SetIndent(2);
  emit_subtree(out, *this, "");
  return std::string(out.c_str()) + "\n";
}

}  // namespace convsim
