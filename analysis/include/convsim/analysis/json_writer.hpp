// A minimal streaming JSON writer for the CLI's --format json output: objects, arrays, strings
// (escaped per RFC 8259), numbers (shortest round-trip form; NaN and infinities become null),
// booleans and null, pretty-printed with a fixed indent.
//
// @code
//   JsonWriter json(std::cout);
//   json.begin_object().key("n").value(20).key("names").begin_array().value("const").end_array();
//   json.end_object();  // {"n": 20, "names": ["const"]}
// @endcode
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace convsim::analysis {

// Writes one JSON document to a stream; misuse (a value where a key is due, unbalanced ends)
// throws std::logic_error.
class JsonWriter {
 public:
  // Writes to `out`, indenting nested levels by `indent` spaces (0: everything on one line).
  explicit JsonWriter(std::ostream& out, int indent = 2) : out_(out), indent_(indent) {}

  // Opens an object: as the document, an array element or the value of the pending key.
  JsonWriter& begin_object() { return open('{', Scope::object); }
  // Closes the innermost object.
  JsonWriter& end_object() { return close('}', Scope::object); }
  // Opens an array.
  JsonWriter& begin_array() { return open('[', Scope::array); }
  // Closes the innermost array.
  JsonWriter& end_array() { return close(']', Scope::array); }

  // Writes an object member's key; the next call writes its value.
  JsonWriter& key(std::string_view name) {
    if (scopes_.empty() || scopes_.back().kind != Scope::object || key_pending_) {
      throw std::logic_error("JsonWriter: key outside an object or after another key");
    }
    separate();
    write_string(name);
    out_ << (indent_ > 0 ? ": " : ":");
    key_pending_ = true;
    return *this;
  }

  // Writes a string value.
  JsonWriter& value(std::string_view text) {
    before_value();
    write_string(text);
    return *this;
  }
  // Writes a string value (keeps string literals away from the bool overload).
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  // Writes a string value.
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  // Writes true or false.
  JsonWriter& value(bool flag) {
    before_value();
    out_ << (flag ? "true" : "false");
    return *this;
  }
  // Writes an integer.
  template <typename Integer>
    requires(std::is_integral_v<Integer> && !std::is_same_v<Integer, bool>)
  JsonWriter& value(Integer number) {
    before_value();
    out_ << std::to_string(number);
    return *this;
  }
  // Writes a number in its shortest round-trip form; NaN and infinities are written as null.
  JsonWriter& value(double number) {
    before_value();
    out_ << format_number(number);
    return *this;
  }
  // Writes null.
  JsonWriter& null() {
    before_value();
    out_ << "null";
    return *this;
  }
  // Writes an array of numbers.
  JsonWriter& value(const std::vector<double>& numbers) {
    begin_array();
    for (double number : numbers) value(number);
    return end_array();
  }
  // Writes an array of strings.
  JsonWriter& value(const std::vector<std::string>& texts) {
    begin_array();
    for (const auto& text : texts) value(std::string_view(text));
    return end_array();
  }

  // True once the top-level value is complete.
  bool complete() const noexcept { return scopes_.empty() && wrote_document_; }

  // A JSON string literal (with quotes) for `text`: escapes quote, backslash and control characters.
  static std::string quote(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out.push_back('"');
    for (const char c : text) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            constexpr char kHex[] = "0123456789abcdef";
            out += "\\u00";
            out.push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 0xF]);
            out.push_back(kHex[static_cast<unsigned char>(c) & 0xF]);
          } else {
            out.push_back(c);  // UTF-8 bytes pass through unchanged
          }
      }
    }
    out.push_back('"');
    return out;
  }

  // A JSON number for `number` in shortest round-trip form, or "null" when it is not finite.
  static std::string format_number(double number) {
    if (!std::isfinite(number)) return "null";
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, number);
    return std::string(buffer, result.ptr);
  }

 private:
  enum class Scope { object, array };
  struct Level {
    Scope kind;
    bool has_members = false;
  };

  JsonWriter& open(char bracket, Scope kind) {
    before_value();
    out_ << bracket;
    scopes_.push_back({kind});
    return *this;
  }

  JsonWriter& close(char bracket, Scope kind) {
    if (scopes_.empty() || scopes_.back().kind != kind || key_pending_) {
      throw std::logic_error("JsonWriter: unbalanced end_object/end_array");
    }
    const bool had_members = scopes_.back().has_members;
    scopes_.pop_back();
    if (had_members) newline();
    out_ << bracket;
    if (scopes_.empty() && indent_ > 0) out_ << '\n';
    return *this;
  }

  void before_value() {
    if (scopes_.empty()) {
      if (wrote_document_) throw std::logic_error("JsonWriter: a second top-level value");
      wrote_document_ = true;
      return;
    }
    if (scopes_.back().kind == Scope::object) {
      if (!key_pending_) throw std::logic_error("JsonWriter: an object member needs a key first");
      key_pending_ = false;
      return;
    }
    separate();
  }

  // Comma and line break before an object member or array element.
  void separate() {
    Level& level = scopes_.back();
    if (level.has_members) out_ << ',';
    level.has_members = true;
    newline();
  }

  void newline() {
    if (indent_ <= 0) return;
    out_ << '\n' << std::string(scopes_.size() * static_cast<std::size_t>(indent_), ' ');
  }

  void write_string(std::string_view text) { out_ << quote(text); }

  std::ostream& out_;
  int indent_;
  std::vector<Level> scopes_;
  bool key_pending_ = false;
  bool wrote_document_ = false;
};

}  // namespace convsim::analysis
