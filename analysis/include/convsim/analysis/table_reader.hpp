// Reading delimited data tables (CSV) for the analysis commands: comment lines starting with '#'
// are skipped, the first other line is the header, cells may be quoted ("a,b", "say ""hi"""), and
// both LF and CRLF line ends are accepted. Every error is a convsim::InputError naming the file,
// the 1-based line and the column.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace convsim::analysis {

// A table of text cells read from a CSV file, with numeric access to columns by name.
class Table {
 public:
  // Builds a table; `rows` must all have header.size() cells and `row_lines` one line per row.
  Table(std::string source, int header_line, std::vector<std::string> header,
        std::vector<std::vector<std::string>> rows, std::vector<int> row_lines);

  // The file (or label) the table was read from, as used in error messages.
  const std::string& source() const noexcept { return source_; }
  // 1-based line of the header in the source.
  int header_line() const noexcept { return header_line_; }
  // Column names in file order.
  const std::vector<std::string>& column_names() const noexcept { return header_; }
  // Number of data rows.
  std::size_t row_count() const noexcept { return rows_.size(); }
  // 1-based source line on which data row `row` (0-based) starts.
  int row_line(std::size_t row) const { return row_lines_.at(row); }
  // The 1-based source lines of all data rows, in order.
  const std::vector<int>& row_lines() const noexcept { return row_lines_; }
  // True when the header has a column of this exact name.
  bool has_column(std::string_view name) const noexcept;
  // Index of a column; throws InputError (file, header line, column) listing the columns there are.
  std::size_t column_index(std::string_view name) const;
  // The text of one cell (row 0-based, column by index).
  const std::string& cell(std::size_t row, std::size_t column) const { return rows_.at(row).at(column); }
  // A column's text cells.
  std::vector<std::string> text_column(std::string_view name) const;
  // A column parsed as finite numbers; throws InputError naming file, line and column for an
  // empty, non-numeric or non-finite cell.
  std::vector<double> numeric_column(std::string_view name) const;

 private:
  std::string source_;
  int header_line_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<int> row_lines_;
};

// Parses CSV text; `source` names it in error messages. Throws InputError for an input without a
// header, a header without data rows, a ragged row, an unterminated quote or duplicate columns.
Table parse_csv(std::string_view text, const std::string& source);

// The largest CSV file read_csv reads (64 MiB).
inline constexpr std::uintmax_t kMaxCsvFileBytes = std::uintmax_t{64} << 20;

// Reads and parses a CSV file; throws InputError when it is not a regular file, cannot be read,
// is larger than kMaxCsvFileBytes or is malformed.
Table read_csv(const std::filesystem::path& path);

// Parses one number the way Table::numeric_column does (surrounding blanks allowed); false when
// the text is not entirely a finite number.
bool parse_finite_number(std::string_view text, double& value) noexcept;

}  // namespace convsim::analysis
