// convsim merge DIR -o sweep.h5: gather a sweep's per-run results into one HDF5 file with a run
// dimension and a parameter table (layout in docs/clusters.md).
#include <cstdio>
#include <filesystem>

#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"
#include "convsim/merge.hpp"
#include "convsim/output_path.hpp"

namespace convsim::cli {
namespace {

struct MergeArgs {
  std::string sweep_dir;
  std::string output;
  bool allow_missing = false;
  bool quiet = false;
};

int merge_command(const MergeArgs& args) {
  const std::filesystem::path output =
      args.output.empty() ? std::filesystem::path(args.sweep_dir) / "sweep.h5" : std::filesystem::path(args.output);
  MergeOptions options;
  options.allow_missing = args.allow_missing;
  check_output_path(output, "the merged file");
  MergeReport report;
  try {
    report = merge_sweep(args.sweep_dir, output, options);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    // Reading a run can fail too; name the output only when its folder is the problem.
    if (output_folder_problem(output.parent_path()).empty()) throw;
    throw std::runtime_error(describe_write_failure(output, "the merged file", e.what()));
  }
  if (!report.written) {
    if (report.runs_merged == 0 && report.missing.size() == report.runs_planned) {
      std::fprintf(stderr, "convsim: none of the %zu runs of %s has a complete result yet; nothing merged\n",
                   report.runs_planned, args.sweep_dir.c_str());
      return kExitFailure;
    }
    std::fprintf(stderr, "convsim: %zu of %zu runs have no complete result:", report.missing.size(), report.runs_planned);
    for (std::size_t i = 0; i < report.missing.size() && i < 30; ++i) std::fprintf(stderr, " %zu", report.missing[i]);
    std::fprintf(stderr, "%s\nrerun the sweep to complete them (see %s), or merge what is there with --allow-missing\n",
                 report.missing.size() > 30 ? " ..." : "", (std::filesystem::path(args.sweep_dir) / "failures.log").c_str());
    return kExitFailure;
  }
  if (!args.quiet) {
    std::printf("merged %zu of %zu runs into %s\n", report.runs_merged, report.runs_planned, output.c_str());
    if (!report.missing.empty()) std::printf("missing (not merged): %zu runs\n", report.missing.size());
  }
  return kExitOk;
}

}  // namespace

void add_merge_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<MergeArgs>();
  CLI::App* cmd = app.add_subcommand("merge", "Merge a sweep's run results into one HDF5 file with a run dimension");
  cmd->add_option("sweep_dir", args->sweep_dir, "Output folder of `convsim sweep run` (holds plan.json and runs/)")
      ->required();
  cmd->add_option("-o,--output", args->output, "Merged HDF5 file (default: SWEEP_DIR/sweep.h5)");
  cmd->add_flag("--allow-missing", args->allow_missing, "Merge the complete runs even when some are missing");
  cmd->add_flag("-q,--quiet", args->quiet, "No summary");
  cmd->callback([args, &exit_code] { exit_code = merge_command(*args); });
}

}  // namespace convsim::cli
