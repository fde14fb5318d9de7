// convsim info RESULT.h5: what a result file holds (its run, dimensions and every dataset with
// shape and units), as text or JSON, or the resolved scenario it was run from (--scenario).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "convsim/analysis/json_writer.hpp"
#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"
#include "convsim/result_file.hpp"

namespace convsim::cli {
namespace {

constexpr const char* kCommandLine = "<command line>";

// What the user asked for on the command line.
struct InfoSettings {
  std::string result_path;
  std::string format = "text";
  bool scenario = false;
};

std::string number_text(double value) {
  if (std::isnan(value)) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

std::string size_text(std::uintmax_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

// "[time=40, sector=12]", or "[40, 12]" where a dimension has no scale.
std::string shape_text(const DatasetSummary& d) {
  std::string text = "[";
  for (std::size_t i = 0; i < d.shape.size(); ++i) {
    if (i > 0) text += ", ";
    if (i < d.dims.size() && !d.dims[i].empty()) text += d.dims[i] + "=";
    text += std::to_string(d.shape[i]);
  }
  return text + "]";
}

std::size_t line_count(const std::string& text) {
  std::size_t lines = 0;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  return lines + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

void write_text(std::ostream& out, const ResultSummary& s) {
  auto row = [&](const char* label, const std::string& value) {
    char head[24];
    std::snprintf(head, sizeof head, "  %-17s", label);
    out << head << value << "\n";
  };
  const bool checkpoint = s.attribute("convsim_format") == kCheckpointFormat;
  out << (checkpoint ? "convsim checkpoint " : "convsim result ") << s.path.string() << " (" << size_text(s.file_bytes) << ", "
      << s.attribute("convsim_format") << ")\n";
  row("title", s.attribute("title"));
  const std::size_t lines = line_count(s.attribute("scenario"));
  row("scenario", s.attribute("scenario_name") + " (" + std::to_string(lines) +
                      (lines == 1 ? " line" : " lines") +
                      " of resolved YAML; print it with --scenario)");
  row("scenario hash", s.attribute("scenario_hash"));
  row("seed", s.attribute("seed"));
  row("written by", "convsim " + s.attribute("convsim_version") + " (git " +
                        s.attribute("git_revision") + ") at " + s.attribute("created"));
  row("time", "T = " + std::to_string(s.time_count) + " steps, " + number_text(s.time_first) +
                  " .. " + number_text(s.time_last) + " year, " +
                  s.attribute("steps_per_year") + " steps/year");
  row("sectors", "S = " + std::to_string(s.sector_count) +
                     (s.sectors.empty() ? std::string() : ": " + joined(s.sectors)));
  row("policy events", std::to_string(s.event_count));
  row("firm snapshots", std::to_string(s.snapshot_count));

  const std::set<std::string> shown = {"convsim_format", "title", "scenario_name", "scenario",
                                       "scenario_hash", "seed", "convsim_version", "git_revision",
                                       "created", "steps_per_year"};
  for (const auto& [name, value] : s.attributes) {
    if (shown.count(name) == 0) row(name.c_str(), value);
  }

  std::size_t path_width = 4;
  std::size_t shape_width = 5;
  std::size_t units_width = 5;
  for (const auto& d : s.datasets) {
    path_width = std::max(path_width, d.path.size());
    shape_width = std::max(shape_width, shape_text(d).size());
    units_width = std::max(units_width, d.units.size());
  }
  auto padded = [](const std::string& text, std::size_t width) {
    return text + std::string(width > text.size() ? width - text.size() : 0, ' ');
  };
  out << "\ndatasets\n  " << padded("path", path_width) << "  " << padded("type", 8) << "  "
      << padded("shape", shape_width) << "  " << padded("units", units_width) << "  long_name\n";
  for (const auto& d : s.datasets) {
    std::string line = "  " + padded(d.path, path_width) + "  " + padded(d.type, 8) + "  " +
                       padded(shape_text(d), shape_width) + "  " + padded(d.units, units_width) +
                       "  " + d.long_name;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

void write_json(std::ostream& out, const ResultSummary& s) {
  analysis::JsonWriter json(out);
  json.begin_object();
  json.key("path").value(s.path.string());
  json.key("file_bytes").value(static_cast<std::uint64_t>(s.file_bytes));
  json.key("attributes").begin_object();
  for (const auto& [name, value] : s.attributes) json.key(name).value(value);
  json.end_object();
  json.key("time").begin_object();
  json.key("count").value(static_cast<std::uint64_t>(s.time_count));
  json.key("first").value(s.time_first);
  json.key("last").value(s.time_last);
  json.key("units").value("year");
  json.end_object();
  json.key("sectors").value(s.sectors);
  json.key("event_count").value(static_cast<std::uint64_t>(s.event_count));
  json.key("snapshot_count").value(static_cast<std::uint64_t>(s.snapshot_count));
  json.key("datasets").begin_array();
  for (const auto& d : s.datasets) {
    json.begin_object();
    json.key("path").value(d.path);
    json.key("type").value(d.type);
    json.key("shape").begin_array();
    for (auto n : d.shape) json.value(static_cast<std::uint64_t>(n));
    json.end_array();
    json.key("dims").value(d.dims);
    json.key("units").value(d.units);
    json.key("long_name").value(d.long_name);
    json.end_object();
  }
  json.end_array();
  json.end_object();
}

void run_info(const InfoSettings& settings) {
  if (settings.format != "text" && settings.format != "json") {
    throw InputError(kCommandLine, 0, "--format",
                     "unknown format '" + settings.format + "'; expected text or json");
  }
  const ResultSummary summary = describe_result(settings.result_path);
  // Render completely before printing, so an error never leaves half a listing on stdout.
  std::ostringstream rendered;
  if (settings.scenario) {
    rendered << summary.attribute("scenario");
  } else if (settings.format == "json") {
    write_json(rendered, summary);
  } else {
    write_text(rendered, summary);
  }
  std::cout << rendered.str() << std::flush;
}

}  // namespace

void add_info_command(CLI::App& app, int& exit_code) {
  auto settings = std::make_shared<InfoSettings>();
  CLI::App* command =
      app.add_subcommand("info", "Show what a result file holds: its run, dimensions and datasets");
  command->add_option("RESULT", settings->result_path, "a convsim result file (.h5)")->required();
  command->add_option("--format", settings->format, "output format: text or json")
      ->capture_default_str();
  command->add_flag("--scenario", settings->scenario,
                    "print only the resolved scenario YAML the run used (re-runnable as it is)");
  command->callback([settings, &exit_code] {
    run_info(*settings);
    exit_code = kExitOk;
  });
}

}  // namespace convsim::cli
