// Tests of the CSV table reader: comments, quoting, CRLF, and errors that name file, line and column.
#include "convsim/analysis/table_reader.hpp"

#include <string>

#include <gtest/gtest.h>

#include "convsim/errors.hpp"
#include "input_error.hpp"
#include "test_support.hpp"

namespace convsim::analysis {
namespace {

using convsim::testing::input_error_of;

using convsim::testing::contains;

TEST(TableReaderTest, SkipsCommentsAndBlankLinesAndRemembersLines) {
  const Table table = parse_csv(
      "# source: somewhere\n"
      "#another comment\n"
      "year,output,name\n"
      "\n"
      "1990,1.5,alpha\n"
      "  # an indented comment\n"
      "1991,2.5e3,beta\n",
      "t.csv");
  EXPECT_EQ(table.source(), "t.csv");
  EXPECT_EQ(table.header_line(), 3);
  EXPECT_EQ(table.column_names(), (std::vector<std::string>{"year", "output", "name"}));
  ASSERT_EQ(table.row_count(), 2u);
  EXPECT_EQ(table.row_line(0), 5);
  EXPECT_EQ(table.row_line(1), 7);
  EXPECT_EQ(table.numeric_column("output"), (std::vector<double>{1.5, 2500.0}));
  EXPECT_EQ(table.text_column("name"), (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_TRUE(table.has_column("year"));
  EXPECT_FALSE(table.has_column("Year"));
}

TEST(TableReaderTest, HandlesQuotedFieldsCrlfAndByteOrderMark) {
  const Table table = parse_csv(
      "\xEF\xBB\xBF\"country name\",value,note\r\n"
      "\"Korea, Republic of\",  3.25 ,\"says \"\"hi\"\"\"\r\n"
      "\"Multi\nline\",-4,\"\"\r\n"
      "plain,+7,x",
      "q.csv");
  EXPECT_EQ(table.column_names(), (std::vector<std::string>{"country name", "value", "note"}));
  ASSERT_EQ(table.row_count(), 3u);
  EXPECT_EQ(table.cell(0, 0), "Korea, Republic of");
  EXPECT_EQ(table.cell(0, 2), "says \"hi\"");
  EXPECT_EQ(table.cell(1, 0), "Multi\nline");
  EXPECT_EQ(table.cell(1, 2), "");
  EXPECT_EQ(table.row_line(1), 3);
  EXPECT_EQ(table.row_line(2), 5);  // the quoted line break moved the record down one line
  EXPECT_EQ(table.numeric_column("value"), (std::vector<double>{3.25, -4.0, 7.0}));
}

TEST(TableReaderTest, ReadsThePennWorldTableFile) {
  const Table table = read_csv(std::string(CONVSIM_TEST_DATA_DIR) + "/pwt101_korea_1990_2009.csv");
  EXPECT_EQ(table.header_line(), 5);
  ASSERT_EQ(table.row_count(), 20u);
  EXPECT_EQ(table.row_line(0), 6);
  EXPECT_EQ(table.row_line(19), 25);
  EXPECT_DOUBLE_EQ(table.numeric_column("year").front(), 1990);
  EXPECT_DOUBLE_EQ(table.numeric_column("rgdpna").back(), 1584362.125);
  EXPECT_EQ(table.text_column("countrycode").front(), "KOR");
}

TEST(TableReaderErrorTest, MissingColumnNamesFileHeaderLineAndTheColumnsThereAre) {
  const Table table = parse_csv("# c\nyear,gdp\n2000,1\n", "data/x.csv");
  const InputError error = input_error_of([&] { table.numeric_column("capital"); });
  EXPECT_EQ(error.file(), "data/x.csv");
  EXPECT_EQ(error.line(), 2);
  EXPECT_EQ(error.key(), "capital");
  EXPECT_TRUE(contains(error.what(), "data/x.csv:2:")) << error.what();
  EXPECT_TRUE(contains(error.what(), "no column 'capital'")) << error.what();
  EXPECT_TRUE(contains(error.what(), "year, gdp")) << error.what();
}

TEST(TableReaderErrorTest, NonNumericAndEmptyCellsNameTheirLine) {
  const Table table = parse_csv("year,gdp\n2000,1\n# note\n2001,n/a\n2002,\n2003,inf\n", "x.csv");
  const InputError error = input_error_of([&] { table.numeric_column("gdp"); });
  EXPECT_EQ(error.line(), 4);
  EXPECT_EQ(error.key(), "gdp");
  EXPECT_TRUE(contains(error.what(), "x.csv:4: key 'gdp': cell 'n/a' in column 'gdp' is not a finite number"))
      << error.what();

  const Table empty_cell = parse_csv("year,gdp\n2000,1\n2002,\n", "x.csv");
  const InputError empty_error = input_error_of([&] { empty_cell.numeric_column("gdp"); });
  EXPECT_EQ(empty_error.line(), 3);
  EXPECT_TRUE(contains(empty_error.what(), "empty cell")) << empty_error.what();

  const Table infinite = parse_csv("gdp\ninf\n", "x.csv");
  EXPECT_THROW(infinite.numeric_column("gdp"), InputError);
}

TEST(TableReaderErrorTest, RaggedRowNamesItsLine) {
  const InputError error = input_error_of([] { parse_csv("a,b,c\n1,2,3\n\n4,5\n", "r.csv"); });
  EXPECT_EQ(error.line(), 4);
  EXPECT_TRUE(contains(error.what(), "r.csv:4: row has 2 cells but the header (line 1) has 3 columns"))
      << error.what();
  const InputError too_many = input_error_of([] { parse_csv("a,b\r\n1,2,3\r\n", "r.csv"); });
  EXPECT_EQ(too_many.line(), 2);
}

TEST(TableReaderErrorTest, EmptyInputsAreRejected) {
  const InputError empty = input_error_of([] { parse_csv("", "e.csv"); });
  EXPECT_TRUE(contains(empty.what(), "e.csv: the file is empty")) << empty.what();
  EXPECT_THROW(parse_csv("# only a comment\n\n", "e.csv"), InputError);
  const InputError header_only = input_error_of([] { parse_csv("# c\na,b\n", "h.csv"); });
  EXPECT_EQ(header_only.line(), 2);
  EXPECT_TRUE(contains(header_only.what(), "no data rows")) << header_only.what();
}

TEST(TableReaderErrorTest, QuotingMistakesAndDuplicateColumns) {
  const InputError unterminated = input_error_of([] { parse_csv("a,b\n1,\"open\n2,3\n", "u.csv"); });
  EXPECT_EQ(unterminated.line(), 2);
  EXPECT_TRUE(contains(unterminated.what(), "never closed")) << unterminated.what();
  const InputError after_quote = input_error_of([] { parse_csv("a,b\n\"x\"y,2\n", "u.csv"); });
  EXPECT_EQ(after_quote.line(), 2);
  const InputError stray_quote = input_error_of([] { parse_csv("a,b\n1,2\"\n", "u.csv"); });
  EXPECT_EQ(stray_quote.line(), 2);
  const InputError duplicate = input_error_of([] { parse_csv("year,gdp,year\n1,2,3\n", "d.csv"); });
  EXPECT_EQ(duplicate.key(), "year");
  EXPECT_EQ(duplicate.line(), 1);
  EXPECT_THROW(parse_csv("a,,c\n1,2,3\n", "d.csv"), InputError);
}

TEST(TableReaderErrorTest, UnreadableFileIsNamed) {
  const InputError missing = input_error_of([] { read_csv("/nonexistent/dir/data.csv"); });
  EXPECT_EQ(missing.file(), "/nonexistent/dir/data.csv");
  testing::TempDir dir;
  EXPECT_THROW(read_csv(dir.path()), InputError);
  testing::write_text(dir / "empty.csv", "");
  EXPECT_THROW(read_csv(dir / "empty.csv"), InputError);
}

TEST(TableReaderTest, ParsesFiniteNumbersOnly) {
  double value = 0;
  EXPECT_TRUE(parse_finite_number(" 1.25e-3 ", value));
  EXPECT_DOUBLE_EQ(value, 1.25e-3);
  EXPECT_TRUE(parse_finite_number("+4", value));
  EXPECT_DOUBLE_EQ(value, 4.0);
  EXPECT_FALSE(parse_finite_number("", value));
  EXPECT_FALSE(parse_finite_number("1,5", value));
  EXPECT_FALSE(parse_finite_number("nan", value));
  EXPECT_FALSE(parse_finite_number("-inf", value));
  EXPECT_FALSE(parse_finite_number("12abc", value));
  EXPECT_FALSE(parse_finite_number("1e999", value));
}

}  // namespace
}  // namespace convsim::analysis
