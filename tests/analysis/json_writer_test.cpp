// Tests of the minimal JSON writer used by the CLI's --format json.
#include "convsim/analysis/json_writer.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

namespace convsim::analysis {
namespace {

TEST(JsonWriterTest, WritesNestedDocumentsCompactly) {
  std::ostringstream out;
  JsonWriter json(out, 0);
  json.begin_object();
  json.key("n").value(20);
  json.key("name").value("ln(Y)");
  json.key("ok").value(true);
  json.key("none").null();
  json.key("values").begin_array().value(1.5).value(-2).value(std::size_t{3}).end_array();
  json.key("empty").begin_object().end_object();
  json.end_object();
  EXPECT_EQ(out.str(), R"json({"n":20,"name":"ln(Y)","ok":true,"none":null,"values":[1.5,-2,3],"empty":{}})json");
  EXPECT_TRUE(json.complete());
}

TEST(JsonWriterTest, PrettyPrintsWithIndent) {
  std::ostringstream out;
  JsonWriter json(out, 2);
  json.begin_object().key("a").begin_array().value(1).end_array().key("b").value("x").end_object();
  EXPECT_EQ(out.str(), "{\n  \"a\": [\n    1\n  ],\n  \"b\": \"x\"\n}\n");
}

TEST(JsonWriterTest, EscapesStrings) {
  EXPECT_EQ(JsonWriter::quote("plain"), "\"plain\"");
  EXPECT_EQ(JsonWriter::quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(JsonWriter::quote("line\nnext\ttab\r"), R"("line\nnext\ttab\r")");
  EXPECT_EQ(JsonWriter::quote(std::string("\x01\x1f", 2)), R"("\u0001\u001f")");
  EXPECT_EQ(JsonWriter::quote("b\xC3\xBCro"), "\"b\xC3\xBCro\"");  // UTF-8 passes through
}

TEST(JsonWriterTest, NumbersRoundTripAndNonFiniteBecomesNull) {
  EXPECT_EQ(JsonWriter::format_number(0.1), "0.1");
  EXPECT_EQ(JsonWriter::format_number(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(JsonWriter::format_number(1e-25), "1e-25");
  EXPECT_EQ(std::stod(JsonWriter::format_number(0.102385796113)), 0.102385796113);
  EXPECT_EQ(JsonWriter::format_number(NAN), "null");
  EXPECT_EQ(JsonWriter::format_number(-INFINITY), "null");
}

TEST(JsonWriterTest, MisuseThrows) {
  std::ostringstream out;
  JsonWriter json(out);
  json.begin_object();
  EXPECT_THROW(json.value(1), std::logic_error);  // a member needs a key
  json.key("a");
  EXPECT_THROW(json.key("b"), std::logic_error);  // two keys in a row
  json.value(1);
  EXPECT_THROW(json.end_array(), std::logic_error);
  json.end_object();
  EXPECT_THROW(json.value(2), std::logic_error);  // a second document
}

}  // namespace
}  // namespace convsim::analysis
