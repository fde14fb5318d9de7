// convsim sensitivity MERGED.h5: Sobol' indices (sobol designs) or Morris elementary effects
// (morris designs) of an outcome, or of a paired policy effect, at a year; with --plot, bars of
// the indices and the outcome and effect against each parameter (any design), drawn by
// analysis/python/convsim_sensitivity_plots.py.
// convsim discover MERGED.h5: PRIM boxes of parameter space where a condition on the outcome or
// effect holds (scenario discovery).

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "convsim/analysis/json_writer.hpp"
#include "convsim/analysis/sensitivity.hpp"
#include "convsim/cli/cli_common.hpp"
#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"
#include "convsim/output_file.hpp"
#include "convsim/output_path.hpp"


namespace convsim::cli {
namespace {

namespace fs = std::filesystem;
using analysis::JsonWriter;
constexpr const char* kCommandLine = "<command line>";

// What both commands read.
struct OutcomeArgs {
  std::string merged;
  std::string variable;
  double year = 0;
  std::string effect_against;
  std::string scenario;
  std::string format = "table";
};

struct SensitivityArgs : OutcomeArgs {
  std::string plot_dir;
  int bootstrap = 1000;
  std::uint64_t bootstrap_seed = 1;
};

struct DiscoverArgs : OutcomeArgs {
  std::string where_effect;
  analysis::PrimOptions prim;
};

void check_format(const std::string& format) {
  if (format != "table" && format != "csv" && format != "json") {
    throw InputError(kCommandLine, 0, "--format", "'" + format + "' is not a format; expected table, csv or json");
  }
}

analysis::SweepOutcomes load(const OutcomeArgs& args) {
  analysis::OutcomeRequest request;
  request.variable = args.variable;
  request.year = args.year;
  if (!args.scenario.empty()) request.scenario = args.scenario;
  if (!args.effect_against.empty()) request.effect_against = args.effect_against;
  return analysis::load_sweep_outcomes(args.merged, request);
}

std::string what_of(const analysis::SweepOutcomes& outcomes, const analysis::OutcomeSet& set) {
  return set.baseline.empty() ? outcomes.variable + " of " + set.scenario
                              : "effect of " + set.scenario + " against " + set.baseline + " on " + outcomes.variable +
                                    " (paired by seed)";
}

std::string fixed(double value, int digits = 3) {
  if (!std::isfinite(value)) return "n/a";
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << value;
  return out.str();
}

std::string general(double value) {
  if (!std::isfinite(value)) return "n/a";
  std::ostringstream out;
  out << std::setprecision(6) << value;
  return out.str();
}

std::string pad(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string rpad(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

std::size_t name_width(const std::vector<std::string>& names) {
  std::size_t width = 9;
  for (const auto& n : names) width = std::max(width, n.size());
  return width;
}

// The values of one design point over its replicates: mean and range.
struct PointSummary {
  double mean = 0, low = 0, high = 0;
};

PointSummary summarise(const analysis::OutcomeSet::Point& point) {
  PointSummary s{std::nan(""), std::nan(""), std::nan("")};
  if (point.values.empty()) return s;
  double sum = 0;
  s.low = s.high = point.values.front();
  for (double v : point.values) {
    sum += v;
    s.low = std::min(s.low, v);
    s.high = std::max(s.high, v);
  }
  s.mean = sum / static_cast<double>(point.values.size());
  return s;
}

//---- sensitivity ----

struct SetIndices {
  const analysis::OutcomeSet* set = nullptr;
  std::optional<analysis::SobolResult> sobol;
  std::vector<analysis::MorrisIndex> morris;
  analysis::NoiseShare noise;
};

std::vector<SetIndices> compute(const analysis::SweepOutcomes& outcomes, const SensitivityArgs& args) {
  std::vector<SetIndices> out;
  const std::size_t k = outcomes.parameters.size();
  for (const auto& set : outcomes.sets) {
    SetIndices indices;
    indices.set = &set;
    indices.noise = analysis::noise_share(set, outcomes.design);
    try {
      if (outcomes.design == "sobol") {
        indices.sobol = analysis::sobol_indices(set.point_means(), set.roles(), k, args.bootstrap, args.bootstrap_seed);
      } else if (outcomes.design == "morris") {
        indices.morris = analysis::morris_indices(set.point_means(), set.roles(), k, args.bootstrap, args.bootstrap_seed);
      }
    } catch (const std::invalid_argument& e) {
      throw InputError(outcomes.file, 0, "--var", what_of(outcomes, set) + ": " + e.what());
    }
    out.push_back(std::move(indices));
  }
  return out;
}

void write_table(const analysis::SweepOutcomes& outcomes, const std::vector<SetIndices>& all, const SensitivityArgs& args) {
  const std::size_t width = name_width(outcomes.parameters);
  for (const auto& indices : all) {
    const auto& set = *indices.set;
    std::cout << what_of(outcomes, set) << " in " << general(outcomes.year) << " (" << outcomes.units << ")\n";
    std::cout << outcomes.design << " design, " << outcomes.parameters.size() << " parameters, " << outcomes.replicates
              << " replicate(s) per point; indices of the mean over replicates\n";
    if (std::isfinite(indices.noise.share)) {
      std::cout << "seed noise: " << fixed(100 * indices.noise.share, 1) << " % of the variance of a single run (within-point "
                << general(indices.noise.within) << " of " << general(indices.noise.total) << ")\n";
    } else {
      std::cout << "seed noise: n/a (one replicate per point)\n";
    }
    if (indices.sobol) {
      const auto& s = *indices.sobol;
      std::cout << "N = " << s.n << " rows of A and B, V = " << general(s.variance) << "; 95 % intervals from "
                << s.bootstrap << " bootstrap resamples (seed " << args.bootstrap_seed << ")\n\n";
      std::cout << pad("parameter", width) << "  " << rpad("S1", 7) << "  " << pad("95 % interval", 18) << "  "
                << rpad("ST", 7) << "  95 % interval\n";
      for (std::size_t i = 0; i < s.indices.size(); ++i) {
        const auto& first = s.indices[i].first;
        const auto& total = s.indices[i].total;
        std::cout << pad(outcomes.parameters[i], width) << "  " << rpad(fixed(first.value), 7) << "  "
                  << pad("[" + fixed(first.low) + ", " + fixed(first.high) + "]", 18) << "  " << rpad(fixed(total.value), 7)
                  << "  [" << fixed(total.low) << ", " << fixed(total.high) << "]\n";
      }
    } else if (!indices.morris.empty()) {
      std::cout << "elementary effects per unit of each range (the whole range = 1); mu* interval from " << args.bootstrap
                << " bootstrap resamples (seed " << args.bootstrap_seed << ")\n\n";
      std::cout << pad("parameter", width) << "  " << rpad("mu*", 11) << "  " << pad("95 % interval", 26) << "  "
                << rpad("mu", 11) << "  " << rpad("sigma", 11) << "  effects\n";
      for (std::size_t i = 0; i < indices.morris.size(); ++i) {
        const auto& m = indices.morris[i];
        std::cout << pad(outcomes.parameters[i], width) << "  " << rpad(general(m.mu_star), 11) << "  "
                  << pad("[" + general(m.mu_star_ci.low) + ", " + general(m.mu_star_ci.high) + "]", 26) << "  "
                  << rpad(general(m.mu), 11) << "  " << rpad(general(m.sigma), 11) << "  " << m.effects << "\n";
      }
    }
    std::cout << "\n";
  }
}

void write_csv(const analysis::SweepOutcomes& outcomes, const std::vector<SetIndices>& all) {
  std::cout << "scenario,baseline,variable,year,parameter,index,estimate,low,high\n";
  for (const auto& indices : all) {
    const std::string prefix = indices.set->scenario + "," + indices.set->baseline + "," + outcomes.variable + "," +
                               general(outcomes.year) + ",";
    auto row = [&](const std::string& parameter, const char* name, double value, double low, double high) {
      std::cout << prefix << parameter << "," << name << "," << general(value) << "," << general(low) << "," << general(high)
                << "\n";
    };
    const double nan = std::nan("");
    row("", "noise_share", indices.noise.share, nan, nan);
    for (std::size_t i = 0; i < outcomes.parameters.size(); ++i) {
      const std::string& p = outcomes.parameters[i];
      if (indices.sobol) {
        const auto& s = indices.sobol->indices[i];
        row(p, "S1", s.first.value, s.first.low, s.first.high);
        row(p, "ST", s.total.value, s.total.low, s.total.high);
      } else if (!indices.morris.empty()) {
        const auto& m = indices.morris[i];
        row(p, "mu_star", m.mu_star, m.mu_star_ci.low, m.mu_star_ci.high);
        row(p, "mu", m.mu, nan, nan);
        row(p, "sigma", m.sigma, nan, nan);
      }
    }
  }
}

void write_estimate(JsonWriter& json, const analysis::Estimate& e) {
  json.begin_object().key("value").value(e.value).key("low").value(e.low).key("high").value(e.high).end_object();
}

// The document --format json prints and --plot hands to the plotting script (with the points).
void write_json(const analysis::SweepOutcomes& outcomes, const std::vector<SetIndices>& all, const SensitivityArgs& args,
                bool with_points, std::ostream& out) {
  JsonWriter json(out);
  json.begin_object();
  json.key("format").value("convsim-sensitivity-1");
  json.key("file").value(outcomes.file);
  json.key("design").value(outcomes.design);
  json.key("variable").value(outcomes.variable);
  json.key("units").value(outcomes.units);
  json.key("long_name").value(outcomes.long_name);
  json.key("year").value(outcomes.year);
  json.key("replicates").value(outcomes.replicates);
  json.key("bootstrap").value(args.bootstrap);
  json.key("bootstrap_seed").value(args.bootstrap_seed);
  json.key("parameters").begin_array();
  for (const auto& p : outcomes.parameters) json.value(p);
  json.end_array();
  json.key("sets").begin_array();
  for (const auto& indices : all) {
    const auto& set = *indices.set;
    json.begin_object();
    json.key("scenario").value(set.scenario);
    json.key("baseline").value(set.baseline);
    json.key("title").value(what_of(outcomes, set));
    json.key("noise").begin_object().key("within").value(indices.noise.within).key("total").value(indices.noise.total);
    json.key("share").value(indices.noise.share).end_object();
    if (indices.sobol) {
      json.key("n").value(indices.sobol->n).key("variance").value(indices.sobol->variance);
      json.key("sobol").begin_array();
      for (std::size_t i = 0; i < indices.sobol->indices.size(); ++i) {
        json.begin_object().key("parameter").value(outcomes.parameters[i]);
        json.key("S1");
        write_estimate(json, indices.sobol->indices[i].first);
        json.key("ST");
        write_estimate(json, indices.sobol->indices[i].total);
        json.end_object();
      }
      json.end_array();
    }
    if (!indices.morris.empty()) {
      json.key("morris").begin_array();
      for (std::size_t i = 0; i < indices.morris.size(); ++i) {
        const auto& m = indices.morris[i];
        json.begin_object().key("parameter").value(outcomes.parameters[i]).key("mu_star");
        write_estimate(json, m.mu_star_ci);
        json.key("mu").value(m.mu).key("sigma").value(m.sigma).key("effects").value(m.effects).end_object();
      }
      json.end_array();
    }
    if (with_points) {
      // One row per design point: parameter values, mean and range over replicates.
      json.key("points").begin_array();
      for (const auto& point : set.points) {
        const PointSummary s = summarise(point);
        if (!std::isfinite(s.mean)) continue;
        json.begin_object().key("x").begin_array();
        for (double v : point.x) json.value(v);
        json.end_array();
        json.key("mean").value(s.mean).key("low").value(s.low).key("high").value(s.high);
        json.key("replicates").value(point.values.size()).end_object();
      }
      json.end_array();
    }
    json.end_object();
  }
  json.end_array();
  json.end_object();
  out << "\n";
}

// Where convsim_sensitivity_plots.py is: $CONVSIM_SENSITIVITY_PLOTS_SCRIPT, else the source tree's.
fs::path sensitivity_plot_script() {
  const char* env = std::getenv("CONVSIM_SENSITIVITY_PLOTS_SCRIPT");
  const fs::path script = env != nullptr && *env != '\0' ? fs::path(env)
                                                         : fs::path(CONVSIM_PYTHON_DIR) / "convsim_sensitivity_plots.py";
  std::error_code error;
  if (!fs::is_regular_file(script, error)) {
    throw std::runtime_error("cannot find the plotting script " + script.string() +
                             "; set CONVSIM_SENSITIVITY_PLOTS_SCRIPT to its path");
  }
  return script;
}

void make_plots(const analysis::SweepOutcomes& outcomes, const std::vector<SetIndices>& all, const SensitivityArgs& args) {
  const fs::path folder = args.plot_dir;
  std::error_code error;
  fs::create_directories(folder, error);
  if (error || !fs::is_directory(folder)) {
    throw InputError(folder.string(), 0, "--plot", "cannot create the plot folder: " + error.message());
  }
  const fs::path data = folder / "sensitivity.json";
  std::ostringstream json;
  write_json(outcomes, all, args, true, json);
  write_file_atomically(data, json.str());
  const std::string python = python_interpreter();
  const std::vector<std::string> argv = {python, sensitivity_plot_script().string(), "--data", data.string(),
                                         "--out", folder.string()};
  if (const int status = run_program(argv); status != 0) {
    throw std::runtime_error("plotting failed: " + python + " " + argv[1] + " exited with status " + std::to_string(status) +
                             " (it needs Debian's python3-matplotlib; see the message above)");
  }
}

int run_sensitivity(const SensitivityArgs& args) {
  check_format(args.format);
  if (args.bootstrap < 10 || args.bootstrap > 100000) {
    throw InputError(kCommandLine, 0, "--bootstrap", "found " + std::to_string(args.bootstrap) + ", expected 10..100000 resamples");
  }
  if (!args.plot_dir.empty()) check_output_folder(args.plot_dir, "the plots", "--plot");
  const analysis::SweepOutcomes outcomes = load(args);
  const bool indexed = outcomes.design == "sobol" || outcomes.design == "morris";
  if (!indexed && args.plot_dir.empty()) {
    throw InputError(outcomes.file, 0, "design",
                     "the sweep's design is '" + outcomes.design +
                         "'; Sobol' indices need a sweep with design type sobol and elementary effects one with type morris "
                         "(for any design, --plot DIR draws the outcome and effect against each parameter)");
  }
  if (outcomes.parameters.empty()) {
    throw InputError(outcomes.file, 0, "parameters", "the sweep has no design parameters to relate the outcome to");
  }
  const std::vector<SetIndices> all = compute(outcomes, args);
  if (args.format == "table") {
    if (indexed) {
      write_table(outcomes, all, args);
    } else {
      std::cout << "design '" << outcomes.design << "': no indices; plots of " << outcomes.variable
                << " against each parameter only\n";
    }
  } else if (args.format == "csv") {
    write_csv(outcomes, all);
  } else {
    write_json(outcomes, all, args, false, std::cout);
  }
  if (!args.plot_dir.empty()) {
    make_plots(outcomes, all, args);
    if (args.format == "table") std::cout << "plots: " << args.plot_dir << "\n";
  }
  return kExitOk;
}

//---- discover ----

struct Condition {
  std::string op;
  double threshold = 0;
  bool holds(double v) const {
    if (op == ">") return v > threshold;
    if (op == ">=") return v >= threshold;
    if (op == "<") return v < threshold;
    return v <= threshold;
  }
};

Condition parse_condition(const std::string& text) {
  Condition c;
  std::size_t at = 0;
  while (at < text.size() && text[at] == ' ') ++at;
  for (const char* op : {">=", "<=", ">", "<"}) {
    if (text.compare(at, std::strlen(op), op) == 0) {
      c.op = op;
      at += c.op.size();
      break;
    }
  }
  const std::string number = text.substr(std::min(at, text.size()));
  char* end = nullptr;
  errno = 0;
  c.threshold = std::strtod(number.c_str(), &end);
  while (end != nullptr && *end == ' ') ++end;
  if (c.op.empty() || number.empty() || end == number.c_str() || *end != '\0' || errno != 0 || !std::isfinite(c.threshold)) {
    throw InputError(kCommandLine, 0, "--where-effect", "'" + text + "' is not a condition; expected e.g. '>0.01', '>=5' or '<0'");
  }
  return c;
}

std::string bound_text(double low, double high) {
  const bool has_low = std::isfinite(low), has_high = std::isfinite(high);
  if (!has_low && !has_high) return "any";
  if (!has_low) return "<= " + general(high);
  if (!has_high) return ">= " + general(low);
  return "[" + general(low) + ", " + general(high) + "]";
}

void write_box_json(JsonWriter& json, const analysis::PrimBox& box, const std::vector<std::string>& names) {
  json.begin_object().key("points").value(box.points).key("mass").value(box.mass).key("coverage").value(box.coverage);
  json.key("density").value(box.density).key("bounds").begin_object();
  for (std::size_t d = 0; d < names.size(); ++d) {
    json.key(names[d]).begin_array().value(box.low[d]).value(box.high[d]).end_array();  // +-inf: null
  }
  json.end_object().end_object();
}

int run_discover(const DiscoverArgs& args) {
  check_format(args.format);
  const Condition condition = parse_condition(args.where_effect);
  if (!(args.prim.alpha > 0 && args.prim.alpha < 0.5)) throw InputError(kCommandLine, 0, "--alpha", "expected 0 < alpha < 0.5");
  if (!(args.prim.min_mass > 0 && args.prim.min_mass < 1)) throw InputError(kCommandLine, 0, "--min-mass", "expected 0 < min-mass < 1");
  if (!(args.prim.min_coverage >= 0 && args.prim.min_coverage <= 1)) {
    throw InputError(kCommandLine, 0, "--min-coverage", "expected 0 <= min-coverage <= 1");
  }
  const analysis::SweepOutcomes outcomes = load(args);
  // Only the numeric parameters span a space.
  std::vector<std::size_t> dims;
  std::vector<std::string> names;
  for (std::size_t p = 0; p < outcomes.parameters.size(); ++p) {
    bool numeric = true;
    for (const auto& set : outcomes.sets) {
      for (const auto& point : set.points) numeric = numeric && std::isfinite(point.x[p]);
    }
    if (numeric) {
      dims.push_back(p);
      names.push_back(outcomes.parameters[p]);
    }
  }
  if (dims.empty()) throw InputError(outcomes.file, 0, "parameters", "the sweep has no numeric design parameter to find boxes in");
  std::unique_ptr<JsonWriter> json;
  if (args.format == "json") {
    json = std::make_unique<JsonWriter>(std::cout);
    json->begin_object().key("variable").value(outcomes.variable).key("year").value(outcomes.year);
    json->key("condition").value(condition.op + general(condition.threshold)).key("alpha").value(args.prim.alpha);
    json->key("sets").begin_array();
  }
  if (args.format == "csv") std::cout << "scenario,baseline,box,step,points,mass,coverage,density,parameter,low,high\n";
  for (const auto& set : outcomes.sets) {
    std::vector<std::vector<double>> x;
    std::vector<bool> y;
    const auto means = set.point_means();
    for (std::size_t i = 0; i < set.points.size(); ++i) {
      if (!std::isfinite(means[i])) continue;
      std::vector<double> row;
      for (std::size_t p : dims) row.push_back(set.points[i].x[p]);
      x.push_back(std::move(row));
      y.push_back(condition.holds(means[i]));
    }
    analysis::PrimResult result;
    try {
      result = analysis::prim(x, y, args.prim);
    } catch (const std::invalid_argument& e) {
      throw InputError(outcomes.file, 0, "--where-effect", what_of(outcomes, set) + ": " + e.what() + " (" + args.where_effect + ")");
    }
    if (args.format == "table") {
      std::cout << "where " << what_of(outcomes, set) << " in " << general(outcomes.year) << " " << condition.op
                << general(condition.threshold) << " (mean over replicates)\n";
      std::cout << result.interesting << " of " << x.size() << " design points meet it; PRIM peeling alpha "
                << args.prim.alpha << ", down to mass " << args.prim.min_mass << "\n\n";
      std::cout << "step  points    mass  coverage  density  restricted\n";
      for (std::size_t i = 0; i < result.trajectory.size(); ++i) {
        const auto& box = result.trajectory[i];
        std::string restricted;
        for (std::size_t d = 0; d < names.size(); ++d) {
          if (std::isfinite(box.low[d]) || std::isfinite(box.high[d])) {
            restricted += (restricted.empty() ? "" : "; ") + names[d] + " " + bound_text(box.low[d], box.high[d]);
          }
        }
        std::cout << rpad(std::to_string(i), 4) << (i == result.chosen ? "*" : " ") << " " << rpad(std::to_string(box.points), 6)
                  << "  " << rpad(fixed(box.mass), 6) << "  " << rpad(fixed(box.coverage), 8) << "  "
                  << rpad(fixed(box.density), 7) << "  " << (restricted.empty() ? "-" : restricted) << "\n";
      }
      const auto& box = result.pasted;
      std::cout << "\nchosen box (step " << result.chosen << ", the densest with coverage >= " << args.prim.min_coverage
                << "), after pasting: " << box.points << " points, mass " << fixed(box.mass) << ", coverage "
                << fixed(box.coverage) << ", density " << fixed(box.density) << "\n";
      const std::size_t width = name_width(names);
      for (std::size_t d = 0; d < names.size(); ++d) {
        std::cout << "  " << pad(names[d], width) << "  " << bound_text(box.low[d], box.high[d]) << "\n";
      }
      std::cout << "\n";
    } else if (args.format == "csv") {
      auto rows = [&](const std::string& label, std::size_t step, const analysis::PrimBox& box) {
        for (std::size_t d = 0; d < names.size(); ++d) {
          std::cout << set.scenario << "," << set.baseline << "," << label << "," << step << "," << box.points << ","
                    << general(box.mass) << "," << general(box.coverage) << "," << general(box.density) << "," << names[d]
                    << "," << general(box.low[d]) << "," << general(box.high[d]) << "\n";
        }
      };
      for (std::size_t i = 0; i < result.trajectory.size(); ++i) rows("peel", i, result.trajectory[i]);
      rows("chosen", result.chosen, result.pasted);
    } else {
      json->begin_object().key("scenario").value(set.scenario).key("baseline").value(set.baseline);
      json->key("points").value(x.size()).key("interesting").value(result.interesting);
      json->key("trajectory").begin_array();
      for (const auto& box : result.trajectory) write_box_json(*json, box, names);
      json->end_array().key("chosen_step").value(result.chosen).key("chosen");
      write_box_json(*json, result.pasted, names);
      json->end_object();
    }
  }
  if (json) {
    json->end_array().end_object();
    std::cout << "\n";
  }
  return kExitOk;
}

void add_outcome_options(CLI::App* cmd, OutcomeArgs& args) {
  cmd->add_option("merged", args.merged, "A merged sweep (convsim merge DIR -o MERGED.h5)")->required();
  cmd->add_option("--var", args.variable, "The outcome: GROUP/NAME of a [run, time] variable, e.g. convergence/employment")
      ->required();
  cmd->add_option("--year", args.year, "Year of the outcome (the last step that starts within it)")->required();
  cmd->add_option("--effect-against", args.effect_against,
                  "Baseline scenario: use each other scenario's paired effect (scenario - baseline, same design point and seed)");
  cmd->add_option("--scenario", args.scenario, "Only this scenario (default: every scenario, or every policy with --effect-against)");
  cmd->add_option("--format", args.format, "table, csv or json (default: table)");
}

}  // namespace

void add_sensitivity_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SensitivityArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sensitivity", "Sobol' indices (sobol sweeps) or Morris effects (morris sweeps) of an outcome or paired effect at a year");
  add_outcome_options(cmd, *args);
  cmd->add_option("--plot", args->plot_dir,
                  "Write plots (PNG and SVG) and sensitivity.json here: index bars, and the outcome against each parameter (any design)");
  cmd->add_option("--bootstrap", args->bootstrap, "Bootstrap resamples for the intervals (default: 1000)");
  cmd->add_option("--bootstrap-seed", args->bootstrap_seed, "Seed of the bootstrap (default: 1)");
  cmd->callback([args, &exit_code] { exit_code = run_sensitivity(*args); });
}

void add_discover_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DiscoverArgs>();
  CLI::App* cmd = app.add_subcommand(
      "discover", "Scenario discovery: PRIM boxes of parameter space where the outcome or paired effect meets a condition");
  add_outcome_options(cmd, *args);
  cmd->add_option("--where-effect", args->where_effect, "The condition on the outcome or effect, e.g. '>0.01' (>, >=, <, <=)")
      ->required();
  cmd->add_option("--alpha", args->prim.alpha, "Share of the box's points each peel removes (default: 0.05)");
  cmd->add_option("--min-mass", args->prim.min_mass, "Peeling stops before the box holds less than this share of points (default: 0.05)");
  cmd->add_option("--min-coverage", args->prim.min_coverage,
                  "The chosen box is the densest of the peeling with at least this coverage (default: 0.5)");
  cmd->callback([args, &exit_code] { exit_code = run_discover(*args); });
}

}  // namespace convsim::cli
