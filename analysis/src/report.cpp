#include "convsim/analysis/report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "convsim/errors.hpp"
#include "convsim/output_file.hpp"
#include "convsim/result_file.hpp"

namespace convsim::analysis {
namespace {

std::string read_binary(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read plot " + path.string());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string year_text(double year) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, year == std::floor(year) ? "%.0f" : "%g", year);
  return buffer;
}

std::string level_text(double level) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%g %%", 100.0 * level);
  return buffer;
}

std::string percent_text(double value) {
  if (!std::isfinite(value)) return "";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%+.2f&nbsp;%%", value);
  return buffer;
}

std::string interval_text(const Interval& interval) {
  if (!interval.available) return interval.reason;
  return "[" + signed_number(interval.low) + ", " + signed_number(interval.high) + "]";
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M UTC", &parts);
  return buffer;
}

constexpr const char* kStyle = R"css(
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1180px;
       color: #1d2731; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 2px solid #d7dde3; padding-bottom: 0.2em; margin-top: 1.8em; }
h3 { font-size: 1.05em; margin-bottom: 0.3em; }
.meta { color: #5b6770; font-size: 0.92em; }
table { border-collapse: collapse; margin: 0.6em 0 1em 0; font-size: 0.88em; }
th, td { border: 1px solid #d7dde3; padding: 0.3em 0.6em; vertical-align: top; }
th { background: #eef2f5; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.baseline td { background: #f8f9fa; color: #5b6770; }
.findings li { margin-bottom: 0.35em; }
.clear { color: #0b6e3a; } .unclear { color: #8a5a00; }
figure { margin: 0.5em 0 1.2em 0; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 0.5em 1.5em; }
.wide { overflow-x: auto; }
.wide > table { margin-bottom: 0.3em; }
ol.notes { font-size: 0.85em; color: #44505a; margin-top: 0; }
figure img { max-width: 100%; border: 1px solid #e3e7eb; }
figcaption { font-size: 0.9em; color: #44505a; margin-top: 0.3em; }
pre { background: #f4f6f8; padding: 0.6em; overflow-x: auto; font-size: 0.88em; }
.status { padding: 0.5em 0.8em; border-left: 4px solid #c98a00; background: #fff8e6; }
.status.ok { border-left-color: #0b6e3a; background: #eef8f1; }
)css";

void write_figure(const ReportPlot& plot, const std::string& image, std::ostream& out) {
  out << "<figure><img alt=\"" << html_escape(plot.title) << "\" src=\"data:image/png;base64," << image
      << "\"><figcaption><b>" << html_escape(plot.title) << ".</b> " << html_escape(plot.caption)
      << "</figcaption></figure>\n";
}

void write_findings(const Comparison& comparison, std::ostream& out) {
  out << "<h2>Key findings</h2>\n<ul class=\"findings\">\n";
  for (std::size_t k = 1; k < comparison.scenarios.size(); ++k) {
    for (const auto& variable : comparison.variables) {
      const ScenarioVariable& row = variable.scenarios[k];
      const Effect& effect = row.horizon_effect;
      const bool clear = effect.paired.available && (effect.paired.low > 0 || effect.paired.high < 0);
      out << "<li class=\"" << (clear ? "clear" : "unclear") << "\"><b>" << html_escape(row.scenario) << "</b> "
          << html_escape(describe_effect(comparison, variable, row)) << ".</li>\n";
    }
  }
  out << "</ul>\n";
}

void write_scenarios(const Comparison& comparison, std::ostream& out) {
  out << "<h2>Scenarios</h2>\n<div class=\"wide\"><table>\n<tr><th>scenario</th><th>role</th><th>description</th><th>replicates</th>"
         "<th>source</th></tr>\n";
  for (std::size_t k = 0; k < comparison.scenarios.size(); ++k) {
    const ScenarioInfo& info = comparison.scenarios[k];
    out << "<tr><td><b>" << html_escape(info.label) << "</b>";
    if (info.label != info.name) out << "<br><span class=\"meta\">scenario name " << html_escape(info.name) << "</span>";
    if (!info.parameters.empty()) out << "<br><span class=\"meta\">" << html_escape(info.parameters) << "</span>";
    out << "</td><td>" << (k == 0 ? "baseline" : "compared") << "</td><td>"
        << (info.description.empty() ? std::string("<i>no description in the scenario</i>") : html_escape(info.description))
        << "</td><td class=\"num\">" << info.seeds.size() << "<br><span class=\"meta\">" << html_escape(seed_summary(info.seeds))
        << "</span></td><td>" << html_escape(info.argument) << "<br><span class=\"meta\">" << info.files.size()
        << " file" << (info.files.size() == 1 ? "" : "s") << "</span></td></tr>\n";
  }
  out << "</table></div>\n";
}

void write_calibration(const Comparison& comparison, std::ostream& out) {
  const ScenarioInfo& baseline = comparison.scenarios.front();
  out << "<h2>Calibration status of the baseline</h2>\n";
  if (baseline.calibration.empty()) {
    out << "<p class=\"status\" id=\"calibration-status\"><b>not calibrated</b>: the baseline scenario <i>"
        << html_escape(baseline.name)
        << "</i> carries no <code>calibration</code> section, so its levels are not matched to the reference "
           "study's Solow targets. Read the effects as differences between scenarios of the model, not as "
           "forecasts of the Korean economy.</p>\n";
  } else {
    // A short summary, the study's caveats as a list, and the whole record folded away, so that the
    // box fits the page and the plots stay near the top.
    YAML::Node record;
    try {
      record = YAML::Load(baseline.calibration);
    } catch (const YAML::Exception&) {
    }
    auto field = [&](const char* name) {
      return record.IsMap() && record[name] && record[name].IsScalar() ? record[name].Scalar() : std::string();
    };
    out << "<p class=\"status ok\" id=\"calibration-status\">The baseline scenario <i>" << html_escape(baseline.name)
        << "</i> records a calibration";
    if (!field("method").empty()) out << ": " << html_escape(field("method"));
    if (!field("produced").empty()) out << ", " << html_escape(field("produced"));
    out << ".";
    if (!field("j_statistic").empty()) {
      out << " J test of over-identification: J = " << html_escape(field("j_statistic"));
      if (!field("degrees_of_freedom").empty()) out << " with " << html_escape(field("degrees_of_freedom")) << " degrees of freedom";
      if (!field("p_value").empty()) out << ", p = " << html_escape(field("p_value"));
      out << ".";
    }
    out << "</p>\n";
    if (record.IsMap() && record["caveats"] && record["caveats"].IsSequence() && record["caveats"].size() > 0) {
      out << "<ul id=\"calibration-caveats\">\n";
      for (const auto& caveat : record["caveats"]) {
        if (caveat.IsScalar()) out << "<li>" << html_escape(caveat.Scalar()) << "</li>\n";
      }
      out << "</ul>\n";
    }
    out << "<details><summary>The whole calibration record</summary><pre>" << html_escape(baseline.calibration)
        << "</pre></details>\n";
  }
  if (!baseline.calibration_domain.empty()) {
    out << "<p id=\"calibration-domain\"><b>Calibration domain</b>: " << html_escape(baseline.calibration_domain)
        << ".</p>\n";
  }
  bool any_warning = false;
  for (const auto& info : comparison.scenarios) any_warning = any_warning || !info.provenance_warnings.empty();
  if (any_warning) {
    out << "<div class=\"status\" id=\"provenance-warnings\"><p><b>Departures from the calibration</b>: these runs "
           "leave what the calibration was fitted on, so the calibration does not vouch for their levels.</p>\n<ul>\n";
    for (const auto& info : comparison.scenarios) {
      for (const auto& warning : info.provenance_warnings) {
        out << "<li><i>" << html_escape(info.label) << "</i> " << html_escape(warning) << "</li>\n";
      }
    }
    out << "</ul></div>\n";
  }
}

// Notes under a table: a long explanation shared by many cells is given once, the cells carry its
// number (a note inside a cell that does not wrap made the table several screens wide).
struct TableNotes {
  std::vector<std::string> texts;
  std::string mark(const std::string& text) {
    auto it = std::find(texts.begin(), texts.end(), text);
    if (it == texts.end()) it = texts.insert(texts.end(), text);
    const std::string n = std::to_string(it - texts.begin() + 1);
    return "<sup><a href=\"#note-" + n + "\">note " + n + "</a></sup>";
  }
  void write(std::ostream& out) const {
    if (texts.empty()) return;
    out << "<ol class=\"notes\">\n";
    for (std::size_t i = 0; i < texts.size(); ++i) {
      out << "<li id=\"note-" << i + 1 << "\">" << html_escape(texts[i]) << "</li>\n";
    }
    out << "</ol>\n";
  }
};

// The two intervals of an effect for the horizon table: seed noise, and total with the share of
// its width the parameters cause (or, as a note, why there is no total).
std::string uncertainty_cells(const Effect& e, TableNotes& notes) {
  const UncertaintySplit& u = e.uncertainty;
  std::string cells = "<td class=\"num\">" + html_escape(interval_text(u.noise)) + "</td><td class=\"num\">";
  if (!u.total.available) return cells + "none " + notes.mark(u.note.empty() ? u.total.reason : u.note) + "</td>";
  cells += html_escape(interval_text(u.total));
  if (std::isfinite(u.parameter_share)) {
    char share[48];
    std::snprintf(share, sizeof share, "parameters: %.0f %% of the width", 100.0 * u.parameter_share);
    cells += "<br><span class=\"meta\">" + std::string(share) + "</span>";
  } else if (!u.note.empty()) {
    cells += "<br>" + notes.mark(u.note);
  }
  return cells + "</td>";
}

void write_levers(const Comparison& comparison, const std::vector<ReportPlot>& plots, std::ostream& out,
                  const std::vector<std::string>& images) {
  out << "<h2>Policy levers</h2>\n";
  bool any_event = false;
  for (const auto& info : comparison.scenarios) any_event = any_event || !info.events.empty();
  if (any_event) {
    out << "<p>Timed events of each scenario (from its stored scenario):</p>\n<div class=\"wide\"><table>\n<tr><th>scenario</th><th>event</th>"
           "<th>lever</th><th>sectors</th><th>mode</th><th>from</th><th>until</th><th>ramp (years)</th><th>value</th></tr>\n";
    for (const auto& info : comparison.scenarios) {
      for (const auto& event : info.events) {
        out << "<tr><td>" << html_escape(info.label) << "</td><td>" << html_escape(event.name) << "</td><td>"
            << html_escape(event.lever) << "</td><td>" << html_escape(event.sectors.empty() ? "all" : event.sectors)
            << "</td><td>" << html_escape(event.mode) << "</td><td class=\"num\">" << year_text(event.at)
            << "</td><td class=\"num\">" << (std::isfinite(event.until) ? year_text(event.until) : "never")
            << "</td><td class=\"num\">" << format_number(event.ramp_years) << "</td><td class=\"num\">"
            << format_number(event.value) << "</td></tr>\n";
      }
    }
    out << "</table></div>\n";
  } else {
    out << "<p>No scenario has timed policy events.</p>\n";
  }
  if (!comparison.levers.empty()) {
    out << "<p>Levers in force over time that move, or differ between scenarios:</p>\n<div class=\"wide\"><table>\n<tr><th>lever</th>";
    for (const auto& info : comparison.scenarios) {
      out << "<th>" << html_escape(info.label) << ": " << year_text(std::floor(comparison.time.front())) << " &rarr; "
          << year_text(comparison.horizon_year) << "</th>";
    }
    out << "</tr>\n";
    for (const auto& lever : comparison.levers) {
      out << "<tr><td>" << html_escape(lever.lever) << (lever.sector.empty() ? "" : " (" + html_escape(lever.sector) + ")")
          << "</td>";
      for (const auto& values : lever.values) {
        out << "<td class=\"num\">" << format_number(values.front()) << " &rarr; "
            << format_number(values[comparison.horizon_index]) << "</td>";
      }
      out << "</tr>\n";
    }
    out << "</table></div>\n";
  }
  for (std::size_t i = 0; i < plots.size(); ++i) {
    if (plots[i].kind == "levers") write_figure(plots[i], images[i], out);
  }
}

void write_horizon_table(const Comparison& comparison, std::ostream& out) {
  const std::string year = year_text(comparison.horizon_year);
  const std::string level = level_text(comparison.confidence_level);
  const std::string period = year_text(std::floor(comparison.time.front())) + "&ndash;" + year;
  out << "<h2>Effects at the horizon (" << year << ")</h2>\n";
  out << "<p>Effect = scenario &minus; baseline for " << html_escape(comparison.scope.description())
      << ". The paired effect matches replicates by seed (common random numbers); the unpaired (Welch) interval "
         "ignores the pairing and is shown for contrast, with how many times wider it is. Cumulative values "
         "integrate over "
      << period << ".</p>\n";
  out << "<div class=\"wide\"><table id=\"horizon-table\">\n<tr><th>variable</th><th>scenario</th><th>reps</th><th>value in "
      << year << "</th><th>paired effect</th><th>" << level << " CI (paired)</th><th>" << level
      << " CI (unpaired)</th><th>" << level << " CI, seed noise</th><th>" << level
      << " CI, total (with parameter uncertainty)</th><th>cumulative</th><th>cumulative effect</th></tr>\n";
  TableNotes notes;
  for (const auto& variable : comparison.variables) {
    for (std::size_t k = 0; k < variable.scenarios.size(); ++k) {
      const ScenarioVariable& row = variable.scenarios[k];
      out << "<tr" << (k == 0 ? " class=\"baseline\"" : "") << ">";
      if (k == 0) {
        out << "<td rowspan=\"" << variable.scenarios.size() << "\"><b>" << html_escape(variable.name)
            << "</b><br><span class=\"meta\">" << html_escape(variable.units) << "</span></td>";
      }
      out << "<td>" << html_escape(row.scenario) << "</td><td class=\"num\">" << row.replicates
          << "</td><td class=\"num\">" << format_number(row.horizon_mean) << "</td>";
      if (k == 0) {
        out << "<td>baseline</td><td></td><td></td><td></td><td></td>";
      } else {
        const Effect& e = row.horizon_effect;
        out << "<td class=\"num\"><b>" << signed_number(e.paired_mean) << "</b><br>" << percent_text(e.percent)
            << "</td><td class=\"num\">" << html_escape(interval_text(e.paired)) << "</td><td class=\"num\">"
            << html_escape(interval_text(e.unpaired));
        const UnpairedRatio ratio = unpaired_ratio(e, variable.scenarios.front().horizon_mean, row.horizon_mean);
        if (ratio.kind == UnpairedRatio::Kind::rounding_only) {
          out << "<br><span class=\"meta\">paired: rounding only</span>";
        } else if (ratio.kind == UnpairedRatio::Kind::ratio) {
          char text[32];
          std::snprintf(text, sizeof text, "%.1f", ratio.value);
          out << "<br><span class=\"meta\">" << text << "&times; wider</span>";
        }
        out << "</td>" << uncertainty_cells(e, notes);
      }
      out << "<td class=\"num\">" << format_number(row.cumulative_mean) << "<br><span class=\"meta\">"
          << html_escape(variable.cumulative_units) << "</span></td><td class=\"num\">";
      if (k > 0) {
        const Effect& c = row.cumulative_effect;
        out << signed_number(c.paired_mean) << "<br><span class=\"meta\">" << html_escape(interval_text(c.paired))
            << "</span>";
      }
      out << "</td></tr>\n";
    }
  }
  out << "</table></div>\n";
  notes.write(out);
}

void write_plots(const std::vector<ReportPlot>& plots, const std::vector<std::string>& images, std::ostream& out) {
  const std::pair<const char*, const char*> sections[] = {
      {"curves", "Curves over time"}, {"effect", "Effects over time"}, {"sectors", "Effects by sector"}};
  for (const auto& [kind, heading] : sections) {
    bool opened = false;
    for (std::size_t i = 0; i < plots.size(); ++i) {
      if (plots[i].kind != kind) continue;
      if (!opened) out << "<h2>" << heading << "</h2>\n<div class=\"plots\">\n";
      opened = true;
      write_figure(plots[i], images[i], out);
    }
    if (opened) out << "</div>\n";
  }
}

void write_method(const Comparison& comparison, std::ostream& out) {
  const std::string level = level_text(comparison.confidence_level);
  out << "<h2>How the numbers were computed</h2>\n<ul>\n";
  out << "<li>Each scenario was run several times (replicates) with different seeds; replicate <i>r</i> of every "
         "scenario uses the same seed, so the scenarios share every random draw their mechanisms share (common "
         "random numbers).</li>\n";
  out << "<li>The <b>paired effect</b> is the mean over seeds of (scenario &minus; baseline) for the same seed; its "
      << level
      << " confidence interval is the Student t interval of that mean. Noise common to both runs of a seed cancels, "
         "which is why this interval is narrower than the unpaired one.</li>\n";
  out << "<li>The <b>unpaired</b> interval (Welch) treats the two sets of replicates as independent samples; it is "
         "what one would get without common random numbers.</li>\n";
  out << "<li>With a single replicate there is no interval: the report says so rather than inventing one.</li>\n";
  out << "<li>When replicate <i>r</i> of every scenario ran at parameter draw <i>r</i> of the calibration "
         "(<code>convsim run --replicates</code>, sweeps), each paired effect is regressed on the draws' "
         "standardised free parameters (least squares with a constant). The <b>seed-noise</b> interval is mean "
         "&plusmn; t &middot; &sigma;<sub>noise</sub>/&radic;n from the residual variance; the <b>total</b> "
         "interval adds the variance of the fitted values, the first-order share of the parameters: mean &plusmn; t "
         "&middot; &radic;(Var<sub>param</sub> + &sigma;&sup2;<sub>noise</sub>/n), with t of n &minus; K &minus; 1 "
         "degrees of freedom. The share of the total width the parameters cause is 1 &minus; width(noise) / "
         "width(total). Without draws there is no total interval; with fewer than K + 5 replicates the two cannot be "
         "separated and the table says so.</li>\n";
  out << "<li>Curves show the mean over replicates and the band holding the central "
      << level_text(comparison.band_level) << " of replicates (empirical quantiles).</li>\n";
  out << "<li><b>Cumulative</b> values integrate the series over time up to the horizon (each step counts 1/"
      << comparison.steps_per_year
      << " year): for a rate in 1e8 KRW/year it is 1e8 KRW; for employment it is person-years.</li>\n";
  out << "</ul>\n";
  if (!comparison.notes.empty()) {
    out << "<h3>Notes on the inputs</h3>\n<ul>\n";
    for (const auto& note : comparison.notes) out << "<li>" << html_escape(note) << "</li>\n";
    out << "</ul>\n";
  }
}

}  // namespace

std::string base64_encode(const std::string& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<ReportPlot> read_plot_index(const std::filesystem::path& folder) {
  const std::filesystem::path index = folder / "plots.tsv";
  std::ifstream in(index);
  if (!in) throw std::runtime_error("the plotting script wrote no index " + index.string());
  std::vector<ReportPlot> plots;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) {
      header = false;
      continue;
    }
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream parts(line);
    std::string field;
    while (std::getline(parts, field, '\t')) fields.push_back(field);
    if (fields.size() < 5) throw std::runtime_error("malformed line in " + index.string() + ": " + line);
    plots.push_back({folder / fields[0], fields[3], fields[4], fields[2]});
  }
  return plots;
}

void write_report_html(const Comparison& comparison, const std::vector<ReportPlot>& plots, std::ostream& out) {
  std::vector<std::string> images;
  for (const auto& plot : plots) images.push_back(base64_encode(read_binary(plot.png)));
  std::string names;
  for (std::size_t k = 1; k < comparison.scenarios.size(); ++k) {
    names += (k > 1 ? ", " : "") + comparison.scenarios[k].label;
  }
  const std::string title = "convsim scenario comparison: " + names + " against " + comparison.scenarios.front().label;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << html_escape(title)
      << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  out << "<h1>" << html_escape(title) << "</h1>\n";
  out << "<p class=\"meta\">Scope: " << html_escape(comparison.scope.description()) << " &middot; horizon "
      << year_text(comparison.horizon_year) << " &middot; " << level_text(comparison.confidence_level)
      << " confidence intervals &middot; generated " << utc_now() << " by convsim " << convsim_version() << " ("
      << convsim_git_revision() << ")</p>\n";
  write_findings(comparison, out);
  write_scenarios(comparison, out);
  write_calibration(comparison, out);
  write_horizon_table(comparison, out);
  write_plots(plots, images, out);
  write_levers(comparison, plots, out, images);
  write_method(comparison, out);
  out << "</body>\n</html>\n";
}

void write_report(const Comparison& comparison, const std::vector<ReportPlot>& plots, const std::filesystem::path& path) {
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) {
    throw InputError(path.string(), 0, "--report", "the folder " + folder.string() + " does not exist");
  }
  std::ostringstream html;
  write_report_html(comparison, plots, html);
  write_file_atomically(path, html.str());
}

}  // namespace convsim::analysis
