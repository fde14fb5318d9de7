// libFuzzer harness: the CSV reader. Properties: parsing succeeds or throws InputError; a table
// that parses has rectangular rows with one source line each, and every column reads as text and
// as numbers (or InputError).
#include <cstdint>
#include <string_view>

#include "convsim/analysis/table_reader.hpp"
#include "convsim/errors.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace convsim;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const analysis::Table table = analysis::parse_csv(text, "fuzz.csv");
    if (table.row_lines().size() != table.row_count()) fuzz::property_failed("one line per row");
    for (const std::string& column : table.column_names()) {
      if (table.text_column(column).size() != table.row_count()) fuzz::property_failed("ragged column " + column);
      try {
        if (table.numeric_column(column).size() != table.row_count()) fuzz::property_failed("short numeric column");
      } catch (const InputError&) {
      }
    }
  } catch (const InputError&) {
  }
  return 0;
}
