#include "convsim/analysis/table_reader.hpp"

#include <charconv>
#include <cmath>
#include <sstream>
#include <unordered_set>
#include <utility>

#include "convsim/errors.hpp"
#include "convsim/input_file.hpp"

namespace convsim::analysis {
namespace {

// One parsed record and the line it starts on.
struct Record {
  int line = 0;
  std::vector<std::string> fields;
};

std::string_view trim_blanks(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// Splits CSV text into records, skipping blank lines and '#' comment lines.
class CsvScanner {
 public:
  CsvScanner(std::string_view text, const std::string& source) : text_(text), source_(source) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);  // UTF-8 byte-order mark
  }

  // Reads the next record; false at the end of the text.
  bool next(Record& record) {
    while (pos_ < text_.size()) {
      const std::size_t line_end = text_.find('\n', pos_);
      const std::string_view line =
          text_.substr(pos_, line_end == std::string_view::npos ? std::string_view::npos : line_end - pos_);
      const std::string_view content = trim_blanks(strip_carriage_return(line));
      if (content.empty() || content.front() == '#') {
        advance_past_line(line_end);
        continue;
      }
      record.line = line_;
      record.fields.clear();
      read_fields(record);
      return true;
    }
    return false;
  }

 private:
  static std::string_view strip_carriage_return(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  }

  void advance_past_line(std::size_t line_end) {
    pos_ = line_end == std::string_view::npos ? text_.size() : line_end + 1;
    ++line_;
  }

  bool at_record_end() const {
    if (pos_ >= text_.size() || text_[pos_] == '\n') return true;
    return text_[pos_] == '\r' && (pos_ + 1 == text_.size() || text_[pos_ + 1] == '\n');
  }

  // Consumes the record end (line feed, CRLF or end of text).
  void consume_record_end() {
    if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '\n') {
      ++pos_;
      ++line_;
    }
  }

  void read_fields(Record& record) {
    while (true) {
      std::size_t field_start = pos_;
      while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        record.fields.push_back(read_quoted_field(record.line));
      } else {
        pos_ = field_start;
        while (pos_ < text_.size() && text_[pos_] != ',' && !at_record_end()) {
          if (text_[pos_] == '"') {
            throw InputError(source_, line_, "",
                             "column " + std::to_string(record.fields.size() + 1) +
                                 ": a quote '\"' inside an unquoted cell; quote the whole cell and "
                                 "double the inner quotes");
          }
          ++pos_;
        }
        record.fields.emplace_back(trim_blanks(text_.substr(field_start, pos_ - field_start)));
      }
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      consume_record_end();
      return;
    }
  }

  std::string read_quoted_field(int record_line) {
    const int opening_line = line_;
    ++pos_;  // opening quote
    std::string value;
    while (true) {
      if (pos_ >= text_.size()) {
        throw InputError(source_, opening_line, "",
                         "a quoted cell opened here is never closed (missing '\"')");
      }
      const char c = text_[pos_];
      if (c == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
          value.push_back('"');
          pos_ += 2;
          continue;
        }
        ++pos_;
        break;
      }
      if (c == '\n') ++line_;
      value.push_back(c);
      ++pos_;
    }
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
    if (pos_ < text_.size() && text_[pos_] != ',' && !at_record_end()) {
      throw InputError(source_, line_, "",
                       "unexpected character '" + std::string(1, text_[pos_]) +
                           "' after a closing quote (record starting on line " +
                           std::to_string(record_line) + "); expected ',' or the end of the line");
    }
    return value;
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace

bool parse_finite_number(std::string_view text, double& value) noexcept {
  text = trim_blanks(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  double parsed = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(parsed)) return false;
  value = parsed;
  return true;
}

Table::Table(std::string source, int header_line, std::vector<std::string> header,
             std::vector<std::vector<std::string>> rows, std::vector<int> row_lines)
    : source_(std::move(source)),
      header_line_(header_line),
      header_(std::move(header)),
      rows_(std::move(rows)),
      row_lines_(std::move(row_lines)) {}

bool Table::has_column(std::string_view name) const noexcept {
  for (const auto& column : header_) {
    if (column == name) return true;
  }
  return false;
}

std::size_t Table::column_index(std::string_view name) const {
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return i;
  }
  std::string available;
  for (const auto& column : header_) available += (available.empty() ? "" : ", ") + column;
  throw InputError(source_, header_line_, std::string(name),
                   "no column " + in_quotes(name) + " in the header; the columns are: " + available);
}

std::vector<std::string> Table::text_column(std::string_view name) const {
  const std::size_t column = column_index(name);
  std::vector<std::string> values;
  values.reserve(rows_.size());
  for (const auto& row : rows_) values.push_back(row[column]);
  return values;
}

std::vector<double> Table::numeric_column(std::string_view name) const {
  const std::size_t column = column_index(name);
  std::vector<double> values(rows_.size());
  for (std::size_t row = 0; row < rows_.size(); ++row) {
    const std::string& text = rows_[row][column];
    if (trim_blanks(text).empty()) {
      throw InputError(source_, row_lines_[row], std::string(name),
                       "empty cell in column " + in_quotes(name) + "; expected a number");
    }
    if (!parse_finite_number(text, values[row])) {
      throw InputError(source_, row_lines_[row], std::string(name),
                       "cell " + in_quotes(text) + " in column " + in_quotes(name) +
                           " is not a finite number");
    }
  }
  return values;
}

Table parse_csv(std::string_view text, const std::string& source) {
  CsvScanner scanner(text, source);
  Record header;
  if (!scanner.next(header)) {
    throw InputError(source, 0, "", "the file is empty: expected a header row of column names");
  }
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const std::string& name = header.fields[i];
    if (name.empty()) {
      throw InputError(source, header.line, "",
                       "header column " + std::to_string(i + 1) + " has no name");
    }
    if (!seen.insert(name).second) {
      throw InputError(source, header.line, name, "column " + in_quotes(name) + " appears twice in the header");
    }
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<int> row_lines;
  Record record;
  while (scanner.next(record)) {
    if (record.fields.size() != header.fields.size()) {
      throw InputError(source, record.line, "",
                       "row has " + std::to_string(record.fields.size()) + " cells but the header (line " +
                           std::to_string(header.line) + ") has " + std::to_string(header.fields.size()) +
                           " columns");
    }
    rows.push_back(std::move(record.fields));
    row_lines.push_back(record.line);
    record.fields = {};
  }
  if (rows.empty()) {
    throw InputError(source, header.line, "", "the table has a header but no data rows");
  }
  return Table(source, header.line, std::move(header.fields), std::move(rows), std::move(row_lines));
}

Table read_csv(const std::filesystem::path& path) {
  return parse_csv(read_input_file(path, "CSV file", {}, kMaxCsvFileBytes), path.string());
}

}  // namespace convsim::analysis
