// convsim facts RESULT.h5: the stylised facts of macro agent-based models measured on a result,
// each beside its empirical range and source, as an aligned table or as JSON.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "convsim/analysis/facts.hpp"
#include "convsim/analysis/json_writer.hpp"
#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"
#include "convsim/result_file.hpp"

namespace convsim::cli {
namespace {

using analysis::Fact;

constexpr const char* kCommandLine = "<command line>";

// What the user asked for on the command line.
struct FactsSettings {
  std::string result_path;
  std::string format = "table";
  std::optional<int> year_from;
  std::optional<int> year_to;
};

std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

std::string padded(const std::string& text, std::size_t width) {
  return text + std::string(width > text.size() ? width - text.size() : 0, ' ');
}

void write_table(std::ostream& out, const std::string& path, const std::vector<Fact>& facts) {
  out << "Stylised facts of " << path << " (ranges and sources: docs/analysis.md)\n\n";
  std::vector<std::vector<std::string>> rows = {{"fact", "value", "range", "status"}};
  for (const Fact& f : facts) {
    rows.push_back({f.name, f.value ? number_text(*f.value) : "n/a",
                    "[" + number_text(f.low) + ", " + number_text(f.high) + "]", f.ok ? "OK" : "FAIL"});
  }
  std::vector<std::size_t> widths(4, 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += c == 0 || c == 2 ? padded(row[c], widths[c]) : std::string(widths[c] - row[c].size(), ' ') + row[c];
      if (c + 1 < row.size()) line += "  ";
    }
    out << line << "\n";
  }
  std::size_t passed = 0;
  for (const Fact& f : facts) passed += f.ok ? 1 : 0;
  out << "\n" << passed << " of " << facts.size() << " facts inside their range.\n\nNotes:\n";
  for (const Fact& f : facts) {
    out << "  " << f.name << ": " << f.description << ". " << f.detail << ". Source: " << f.source << ".\n";
  }
}

void write_json(std::ostream& out, const std::string& path, const std::vector<Fact>& facts) {
  analysis::JsonWriter json(out);
  json.begin_object();
  json.key("file").value(path);
  json.key("facts").begin_array();
  for (const Fact& f : facts) {
    json.begin_object();
    json.key("name").value(f.name);
    json.key("value");
    if (f.value) {
      json.value(*f.value);
    } else {
      json.null();
    }
    json.key("low").value(f.low);
    json.key("high").value(f.high);
    json.key("ok").value(f.ok);
    json.key("units").value(f.units);
    json.key("description").value(f.description);
    json.key("estimator").value(f.estimator);
    json.key("source").value(f.source);
    json.key("detail").value(f.detail);
    json.end_object();
  }
  json.end_array();
  json.end_object();
  out << "\n";
}

void run_facts(const FactsSettings& settings) {
  if (settings.format != "table" && settings.format != "json") {
    throw InputError(kCommandLine, 0, "--format", "unknown format '" + settings.format + "'; expected table or json");
  }
  if (settings.year_from && settings.year_to && *settings.year_from > *settings.year_to) {
    throw InputError(kCommandLine, 0, "--year-from",
                     "--year-from " + std::to_string(*settings.year_from) + " is after --year-to " +
                         std::to_string(*settings.year_to));
  }
  const RunResult run = read_result(settings.result_path);
  analysis::FactsOptions options;
  options.year_from = settings.year_from;
  options.year_to = settings.year_to;
  const std::vector<Fact> facts = analysis::measure_facts(run, settings.result_path, options);
  // Render completely before printing, so an error never leaves half a report on stdout.
  std::ostringstream rendered;
  if (settings.format == "json") {
    write_json(rendered, settings.result_path, facts);
  } else {
    write_table(rendered, settings.result_path, facts);
  }
  std::cout << rendered.str() << std::flush;
}

}  // namespace

void add_facts_command(CLI::App& app, int& exit_code) {
  auto settings = std::make_shared<FactsSettings>();
  CLI::App* command = app.add_subcommand(
      "facts", "Measure the stylised facts of macro agent-based models on a result, beside their empirical ranges");
  command->add_option("RESULT", settings->result_path,
                      "a convsim result file (.h5) with firm snapshots in two consecutive years")
      ->required();
  command->add_option("--format", settings->format, "output format: table or json")->capture_default_str();
  command->add_option("--year-from", settings->year_from, "first calendar year measured (default: the run's first)");
  command->add_option("--year-to", settings->year_to, "last calendar year measured (default: the run's last)");
  command->callback([settings, &exit_code] {
    run_facts(*settings);
    exit_code = kExitOk;
  });
}

}  // namespace convsim::cli
