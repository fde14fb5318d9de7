// convsim schema: every scenario key (type, unit, default, range, description) and every result
// variable (group, units, long name), as Markdown tables (the reference part of
// docs/scenarios.md) or as JSON for tools.
#include <algorithm>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "convsim/analysis/json_writer.hpp"
#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/scenario.hpp"

namespace convsim::cli {
namespace {

// A table cell: pipes escaped and line breaks flattened so the row stays one Markdown row.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// Code-formatted cell (keys hold <sector>-style placeholders that Markdown would read as HTML).
std::string code_cell(const std::string& text) { return text.empty() ? std::string() : "`" + cell(text) + "`"; }

// The section a key belongs to: its first dotted component ("economy" for "economy.firms"), or
// "top level" for undotted keys.
std::string section_of(const std::string& key) {
  const auto dot = key.find('.');
  return dot == std::string::npos ? std::string("top level") : key.substr(0, dot);
}

void write_markdown(std::ostream& out) {
  // Keys grouped by section, sections in order of first appearance, keys in schema order.
  std::vector<std::string> sections;
  for (const ParameterDoc& p : scenario_schema()) {
    if (std::find(sections.begin(), sections.end(), section_of(p.key)) == sections.end()) sections.push_back(section_of(p.key));
  }
  out << "### Scenario keys\n";
  for (const std::string& section : sections) {
    out << "\n#### " << (section == "top level" ? section : "`" + section + "`") << "\n\n";
    out << "| key | type | unit | default | range | description |\n";
    out << "|---|---|---|---|---|---|\n";
    for (const ParameterDoc& p : scenario_schema()) {
      if (section_of(p.key) != section) continue;
      out << "| " << code_cell(p.key) << " | " << cell(p.type) << " | " << code_cell(p.unit) << " | "
          << cell(p.default_value) << " | " << cell(p.range) << " | " << cell(p.description) << " |\n";
    }
  }
  out << "\n### Result variables\n\n";
  out << "Every run writes these datasets to its HDF5 result (`/<group>/<name>`), each with its `units` "
         "and `long_name` attributes. `aggregate`, `convergence` and the economy-wide `policy` levers are "
         "`[time]`; `by_sector` and the sector levers under `policy` are `[time, sector]`.\n\n";
  out << "| dataset | units | description |\n";
  out << "|---|---|---|\n";
  for (const models::VariableDoc& v : models::result_variables()) {
    out << "| " << code_cell("/" + v.group + "/" + v.name) << " | " << code_cell(v.units) << " | " << cell(v.long_name)
        << " |\n";
  }
}

void write_json(std::ostream& out) {
  analysis::JsonWriter json(out);
  json.begin_object();
  json.key("scenario_keys").begin_array();
  for (const ParameterDoc& p : scenario_schema()) {
    json.begin_object();
    json.key("key").value(p.key);
    json.key("type").value(p.type);
    json.key("unit").value(p.unit);
    json.key("default").value(p.default_value);
    json.key("range").value(p.range);
    json.key("description").value(p.description);
    json.end_object();
  }
  json.end_array();
  json.key("result_variables").begin_array();
  for (const models::VariableDoc& v : models::result_variables()) {
    json.begin_object();
    json.key("group").value(v.group);
    json.key("name").value(v.name);
    json.key("units").value(v.units);
    json.key("long_name").value(v.long_name);
    json.end_object();
  }
  json.end_array();
  json.end_object();
  out << "\n";
}

}  // namespace

void add_schema_command(CLI::App& app, int& exit_code) {
  auto format = std::make_shared<std::string>("markdown");
  CLI::App* command = app.add_subcommand(
      "schema", "Print every scenario key (type, unit, default, range) and every result variable");
  command->add_option("--format", *format, "Output format: markdown (docs/scenarios.md) or json")
      ->check(CLI::IsMember({"markdown", "json"}));
  command->callback([format, &exit_code] {
    std::ostringstream text;
    if (*format == "json") {
      write_json(text);
    } else {
      write_markdown(text);
    }
    std::cout << text.str() << std::flush;
    exit_code = kExitOk;
  });
}

}  // namespace convsim::cli
