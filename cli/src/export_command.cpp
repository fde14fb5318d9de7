// convsim export RESULT.h5|MERGED.h5 --format csv [-o FILE]: every time series of a result file
// or a merged sweep as tidy long-format CSV, one row per (run, variable, time, sector):
//   run,scenario,seed,group,variable,time,sector,value,unit
// `run` is the run's index in the plan of a merged sweep (0 for a single-run file), `sector` is
// empty for the series of /aggregate, /convergence and the economy-wide levers of /policy, and
// values are printed with 17 significant digits, so they read back bit for bit.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "convsim/analysis/compare.hpp"
#include "convsim/analysis/detail/merged_sweep.hpp"
#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"
#include "convsim/output_path.hpp"
#include "convsim/result_file.hpp"

namespace convsim::cli {
namespace {

namespace fs = std::filesystem;

struct ExportArgs {
  std::string input;
  std::string format = "csv";
  std::string output;  // "" or "-": standard output
};

// A CSV field: quoted (with doubled quotes) when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string number(double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

// Writes the rows of one run: every series of every group, time by time (and sector by sector).
void write_run(std::ostream& out, const RunResult& run, long index) {
  const std::string prefix = std::to_string(index) + "," + csv_field(run.scenario_name) + "," + std::to_string(run.seed) + ",";
  const std::size_t T = run.time.size(), S = run.sectors.size();
  std::vector<std::string> times, sectors;
  for (const double t : run.time) times.push_back(number(t));
  for (const auto& s : run.sectors) sectors.push_back(csv_field(s));
  auto series = [&](const char* group, const std::vector<Series>& all) {
    for (const Series& s : all) {
      const std::string head = prefix + group + "," + csv_field(s.name) + ",";
      const std::string unit = csv_field(s.units);
      for (std::size_t t = 0; t < T; ++t) out << head << times[t] << ",," << number(s.values[t]) << "," << unit << "\n";
    }
  };
  auto sector_series = [&](const char* group, const std::vector<SectorSeries>& all) {
    for (const SectorSeries& s : all) {
      const std::string head = prefix + group + "," + csv_field(s.name) + ",";
      const std::string unit = csv_field(s.units);
      for (std::size_t t = 0; t < T; ++t) {
        for (std::size_t k = 0; k < S; ++k) {
          out << head << times[t] << "," << sectors[k] << "," << number(s.values[t * S + k]) << "," << unit << "\n";
        }
      }
    }
  };
  series("aggregate", run.aggregate);
  sector_series("by_sector", run.by_sector);
  series("convergence", run.convergence);
  series("policy", run.policy);
  sector_series("policy", run.policy_by_sector);
}

void write_csv(std::ostream& out, const std::vector<RunResult>& runs, const std::vector<long>& indices) {
  out << "run,scenario,seed,group,variable,time,sector,value,unit\n";
  for (std::size_t i = 0; i < runs.size(); ++i) write_run(out, runs[i], indices[i]);
}

// Writes to `<path>.tmp.<pid>` and renames it onto `path` when complete (never a partial file there).
void write_atomically(const fs::path& path, const std::vector<RunResult>& runs, const std::vector<long>& indices) {
  const fs::path temporary = path.string() + ".tmp." + std::to_string(::getpid());
  try {
    {
      std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
      if (!file) throw std::runtime_error(std::string("cannot create ") + temporary.string() + ": " + std::strerror(errno));
      write_csv(file, runs, indices);
      file.flush();
      if (!file) throw std::runtime_error(std::string("cannot write ") + temporary.string() + ": " + std::strerror(errno));
      file.close();
      if (!file) throw std::runtime_error(std::string("cannot close ") + temporary.string() + ": " + std::strerror(errno));
    }
    fs::rename(temporary, path);
  } catch (const std::exception& e) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw std::runtime_error(describe_write_failure(path, "the export", e.what()));
  }
}

int run(const ExportArgs& args) {
  if (args.format != "csv") {
    throw InputError("<command line>", 0, "--format", "'" + args.format + "' is not an export format; expected csv");
  }
  const bool to_stdout = args.output.empty() || args.output == "-";
  if (!to_stdout) check_output_path(args.output, "the export");
  std::vector<RunResult> runs;
  std::vector<long> indices;
  if (analysis::detail::is_merged_sweep(args.input)) {
    std::vector<analysis::RunSource> sources;
    analysis::detail::read_merged_sweep(args.input, runs, sources);
    for (const auto& source : sources) indices.push_back(source.run_index);
  } else {
    RunResult result = read_result(args.input);
    result.snapshots.clear();
    runs.push_back(std::move(result));
    indices.push_back(0);
  }
  if (to_stdout) {
    write_csv(std::cout, runs, indices);
  } else {
    write_atomically(args.output, runs, indices);
  }
  return kExitOk;
}

}  // namespace

void add_export_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand("export", "Write the time series of a result or merged sweep as long-format CSV");
  cmd->add_option("result", args->input, "Result file (convsim run) or merged sweep (convsim merge)")->required();
  cmd->add_option("--format", args->format, "Export format: csv (default)");
  cmd->add_option("-o,--output", args->output, "Output file (default: standard output)");
  cmd->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace convsim::cli
