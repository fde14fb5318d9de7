// ScenarioDocument: a scenario YAML file flattened to dotted keys, with `extends:` resolved and
// `--set` overrides applied. Every leaf remembers the file and line it came from, so validation
// errors can name them.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace convsim {

// Where a value was written: a file and 1-based line ("<command line>", 0 for --set).
struct SourceLocation {
  std::string file;
  int line = 0;
};

// One leaf of a scenario: a scalar or a list of scalars, and where it was written.
struct DocumentEntry {
  YAML::Node value;
  SourceLocation where;
};

// A scenario as dotted keys ("sectors.health_care.barrier") in document order.
class ScenarioDocument {
 public:
  // Reads `path`, following `extends:` chains (maps merge, later files win). Throws InputError for
  // a file that is not a regular file, is empty, holds more than kMaxInputFileBytes, invalid
  // UTF-8, a key written twice in one map or more than kMaxScenarioKeys keys. Linear time.
  static ScenarioDocument load(const std::filesystem::path& path);
  // Parses YAML text as if it were a file named `file_label` (extends is resolved against cwd).
  static ScenarioDocument parse(const std::string& yaml_text, const std::string& file_label);

  // Applies an override "key.path=value"; the value is read as YAML (numbers, lists, strings).
  void apply_override(const std::string& assignment);
  // Sets (or replaces) one leaf; replacing a map with a leaf or a leaf with a map drops the old.
  void set(const std::string& key, const YAML::Node& value, const SourceLocation& where);
  // Removes a key and everything below it.
  void erase_subtree(const std::string& key);

  // The entry at a dotted key, or nullptr.
  const DocumentEntry* find(const std::string& key) const;
  // A handle on the leaf at a dotted key (-1 when there is none), valid until a key is added or
  // removed: for documents that change only in the values of some leaves (sweep planning).
  int leaf_handle(const std::string& key) const;
  const DocumentEntry& leaf_entry(int leaf) const { return nodes_[static_cast<std::size_t>(leaf)].entry; }
  // Replaces a leaf's value and location in place. The value is shared, not copied (unlike set):
  // the caller must not change it while the document holds it.
  void replace_leaf(int leaf, const YAML::Node& value, const SourceLocation& where);
  // The distinct child names directly below `prefix` (e.g. sector names below "sectors"), in order.
  std::vector<std::string> children(const std::string& prefix) const;
  // Whether any key equals `key` or starts with `key.`.
  bool contains_subtree(const std::string& key) const;
  // Every key in document order (depth first, children in the order they were first written).
  std::vector<std::string> keys() const;
  // The file the document was loaded from (the most derived one).
  const std::string& file() const { return file_; }
  // Where a subtree was first written (for errors about missing keys below it).
  SourceLocation location_of(const std::string& key) const;

  // The document as nested YAML (extends resolved, overrides applied), re-loadable as it is.
  std::string to_yaml() const;

 private:
  void merge_file(const std::filesystem::path& path, std::vector<std::filesystem::path>& chain,
                  const SourceLocation& requested_at);
  void merge_node(const YAML::Node& node, const std::string& prefix, const std::string& file);

  struct SegmentHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view segment) const { return std::hash<std::string_view>{}(segment); }
  };
  // The document is a tree of key segments held in one vector (so copies are plain copies).
  // Removed nodes stay in the vector, unreachable; every operation costs O(key length) amortised.
  struct Node {
    std::string name;
    int parent = -1;
    std::size_t position = 0;  // index in the parent's kids
    bool leaf = false;
    DocumentEntry entry;       // when leaf
    std::vector<int> kids;     // in the order first written; -1 where one was removed
    std::size_t live_kids = 0;
    std::unordered_map<std::string, int, SegmentHash, std::equal_to<>> kid_index;  // looked up without a copy
  };
  int find_node(const std::string& key) const;
  int add_kid(int parent, const std::string& name);
  void remove_node(int node);

  std::string file_;
  std::vector<Node> nodes_ = std::vector<Node>(1);  // nodes_[0] is the root
  std::size_t merged_items_ = 0;                    // keys and maps read from files so far
};

// The most keys (and maps) a scenario with its extends chain may hold: 500,000.
inline constexpr std::size_t kMaxScenarioKeys = 500000;
// The longest dotted key path accepted: 1,000 characters.
inline constexpr std::size_t kMaxKeyLength = 1000;

// Throws InputError (file, line of the second, key prefix.name) when a YAML map has a key twice.
void refuse_duplicate_keys(const YAML::Node& map, const std::string& file, const std::string& prefix);

}  // namespace convsim
