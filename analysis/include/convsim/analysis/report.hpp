// The HTML report of a scenario comparison: one self-contained file (plots embedded as base64 PNG,
// no external resources) that a policy analyst can hand on. It holds the key findings, the
// scenario descriptions, the lever timelines, the horizon table, the plots, the calibration status
// of the baseline and how the numbers were computed.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "convsim/analysis/compare.hpp"

namespace convsim::analysis {

// One plot to embed: a PNG file and what it shows.
struct ReportPlot {
  std::filesystem::path png;  // embedded as a data: URI
  std::string title;
  std::string caption;
  std::string kind;           // curves, effect, sectors, levers (groups plots into sections)
};

// Reads the plot index that convsim_plots.py writes (`plots.tsv` in its output folder: one line
// per plot, tab-separated png, svg, kind, title, caption; PNG paths relative to the folder).
// Throws std::runtime_error when the index is missing or malformed.
std::vector<ReportPlot> read_plot_index(const std::filesystem::path& folder);

// Writes the report as HTML to `out`. Throws std::runtime_error when a plot cannot be read.
void write_report_html(const Comparison& comparison, const std::vector<ReportPlot>& plots, std::ostream& out);

// Writes the report to `path` atomically (a temporary file renamed when complete). Throws
// InputError when the folder of `path` does not exist, std::runtime_error on I/O failure.
void write_report(const Comparison& comparison, const std::vector<ReportPlot>& plots,
                  const std::filesystem::path& path);

// `bytes` in base64 (RFC 4648, with padding).
std::string base64_encode(const std::string& bytes);

// `text` with &, <, >, " and ' escaped for HTML.
std::string html_escape(const std::string& text);

}  // namespace convsim::analysis
