// convsim sweep plan|run|slurm: list a sweep's runs, run them (locally, as a shard, or over MPI),
// or write (and submit) a Slurm job array that runs them. File format and usage: docs/clusters.md.
#include <sys/prctl.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "convsim/cli/cli_common.hpp"
#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"
#include "convsim/models/checkpoint.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/scenario.hpp"
#include "convsim/sweep.hpp"
#include "convsim/sweep_executor.hpp"

namespace convsim::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCommandLine = "<command line>";

//---- sweep plan ------------------------------------------------------------------------------

struct PlanArgs {
  std::string sweep;
  std::string format = "table";
  bool no_parameter_uncertainty = false;
};

// Whether the replicates use their calibration's parameter draws (--no-parameter-uncertainty).
ParameterUncertainty uncertainty(bool off) { return off ? ParameterUncertainty::off : ParameterUncertainty::on; }

constexpr const char* kNoUncertaintyHelp =
    "Every replicate uses the calibrated point, not the calibration's parameter draws (docs/clusters.md)";

int plan_command(const PlanArgs& args) {
  const SweepPlan plan = load_sweep(args.sweep, RunIdentities::compute, uncertainty(args.no_parameter_uncertainty));
  print_warnings(plan.warnings);
  if (args.format == "json") {
    std::cout << plan_to_json(plan);
  } else if (args.format == "csv") {
    std::cout << plan_to_csv(plan);
  } else {
    std::printf("sweep %s: %zu runs = %zu scenarios x %zu design points (%s) x %d replicates, base seed %llu\n",
                plan.name.c_str(), plan.runs.size(), plan.scenarios.size(), plan.points.size(), plan.design.c_str(),
                plan.replicates, static_cast<unsigned long long>(plan.base_seed));
    std::cout << plan_to_table(plan);
  }
  return kExitOk;
}

// The absolute path of the running convsim (worker processes and Slurm tasks start it again).
std::string this_executable() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("convsim") : self.string();
}

//---- sweep run -------------------------------------------------------------------------------

struct RunArgs {
  std::string sweep;
  std::string output;
  int jobs = 0;
  int threads_per_run = 1;
  std::string shard;
  bool mpi = false;
  bool snapshots = false;
  std::string sync = "end";
  bool no_sync = false;
  bool quiet = false;
  bool no_parameter_uncertainty = false;
};

// Ranks of an MPI launch (OpenMPI, MPICH/PMI, Slurm's srun), 1 outside one.
int launched_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    if (const char* value = std::getenv(name)) return std::max(1, std::atoi(value));
  }
  return 1;
}

// Shows progress over runs: a line redrawn in place on a terminal, a log line every 5 s otherwise.
class RunProgress {
 public:
  RunProgress(std::string label, bool quiet)
      : label_(std::move(label)), quiet_(quiet), terminal_(::isatty(STDERR_FILENO) != 0) {}

  void update(const RunOutcome& outcome, std::size_t done, std::size_t total) {
    if (outcome.status != RunStatus::skipped) ++worked_;  // the rate counts runs this sweep did
    if (outcome.status == RunStatus::failed) {
      ++failed_;
      if (!quiet_) std::fprintf(stderr, "%srun %zu failed: %s\n", terminal_ ? "\r" : "", outcome.index, outcome.error.c_str());
    }
    if (quiet_) return;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    if (terminal_) {
      std::fprintf(stderr, "\r%s: %zu/%zu runs, %zu failed, %.1f s%s   ", label_.c_str(), done, total, failed_, elapsed,
                   rate_and_eta(worked_, total - done, elapsed, "runs").c_str());
      std::fflush(stderr);
    } else if (done == total || now - last_ > std::chrono::seconds(5)) {
      std::fprintf(stderr, "%s: %zu/%zu runs, %zu failed, %.1f s%s\n", label_.c_str(), done, total, failed_, elapsed,
                   rate_and_eta(worked_, total - done, elapsed, "runs").c_str());
      last_ = now;
    }
  }

  void finish() {
    if (!quiet_ && terminal_) std::fprintf(stderr, "\n");
  }

 private:
  std::string label_;
  bool quiet_;
  bool terminal_;
  std::size_t failed_ = 0;
  std::size_t worked_ = 0;  // runs simulated (completed or failed), not skipped
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

int report_sweep(const SweepPlan& plan, const SweepReport& report, const RunArgs& args) {
  std::vector<std::string> failures;
  std::string log_error;
  try {
    failures = write_failures_log(plan, args.output, report.outcomes);
  } catch (const std::exception& e) {
    log_error = e.what();
  }
  double simulate = 0, total = 0;
  for (const auto& o : report.outcomes) {
    if (o.status == RunStatus::completed) {
      simulate += o.simulate_seconds;
      total += o.seconds;
    }
  }
  if (!args.quiet) {
    std::printf("sweep %s: %zu runs here: %zu completed, %zu skipped (already complete), %zu failed; %.2f s\n",
                plan.name.c_str(), report.outcomes.size(), report.completed(), report.skipped(), report.failed(),
                report.seconds);
    if (report.completed() > 0) {
      const double n = static_cast<double>(report.completed());
      std::printf("per run: %.3f s simulating, %.1f ms resolving and writing\n", simulate / n,
                  1000.0 * (total - simulate) / n);
    }
    if (args.mpi && report.completed() + report.failed() > 0) {
      std::map<int, std::size_t> per_rank;
      for (const auto& o : report.outcomes) {
        if (o.status != RunStatus::skipped) ++per_rank[o.worker];
      }
      std::printf("runs per rank:");
      for (const auto& [rank, count] : per_rank) std::printf(" %d:%zu", rank, count);
      std::printf("\n");
    }
    std::printf("results: %s (merge with: convsim merge %s -o sweep.h5)\n", (fs::path(args.output) / "runs").c_str(),
                args.output.c_str());
  }
  if (!report.sync_error.empty()) {
    std::fprintf(stderr, "convsim: %s; the results may not survive a crash of this machine\n", report.sync_error.c_str());
  }
  if (report.failed() == 0) return report.sync_error.empty() ? kExitOk : kExitFailure;
  std::fprintf(stderr, "convsim: %zu runs failed:\n", report.failed());
  std::size_t shown = 0;
  for (const auto& o : report.outcomes) {
    if (o.status != RunStatus::failed) continue;
    if (++shown > 20) {
      std::fprintf(stderr, "  ... and %zu more\n", report.failed() - 20);
      break;
    }
    std::fprintf(stderr, "  run %zu (%s): %s\n", o.index, plan.scenarios[plan.runs[o.index].scenario].name.c_str(),
                 o.error.c_str());
  }
  if (log_error.empty()) {
    std::fprintf(stderr, "every failed run of the sweep: %s (%zu); rerun the same command to retry them\n",
                 (fs::path(args.output) / "failures.log").c_str(), failures.size());
  } else {
    std::fprintf(stderr, "convsim: the failures log could not be written (%s); rerun the same command to retry the runs\n",
                 log_error.c_str());
  }
  return kExitFailure;
}

// With `branch_from`, runs continue their trunk's checkpoint, shared through DIR/checkpoints.
RunSimulator make_simulator(bool snapshots, const SweepPlan& plan, const std::filesystem::path& output_dir) {
  models::RunOptions options;
  options.firm_snapshots = snapshots;
  return models::sweep_simulator(plan, output_dir, options);
}

// The --sync value in force (--no-sync is --sync none).
std::string sync_option(const RunArgs& args) { return args.no_sync ? "none" : args.sync; }

SweepExecutionOptions execution_options(const RunArgs& args) {
  SweepExecutionOptions options;
  options.output_dir = args.output;
  options.jobs = args.jobs > 0 ? args.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.threads_per_run = args.threads_per_run;
  if (!args.shard.empty()) options.shard = parse_shard(args.shard);
  options.sync = parse_sync_policy(sync_option(args));
  return options;
}

int run_command(const RunArgs& args) {
  if (!args.mpi && launched_ranks() > 1) {
    throw InputError(kCommandLine, 0, "--mpi",
                     "started by an MPI launcher with " + std::to_string(launched_ranks()) +
                         " ranks but without --mpi: every rank would run the whole sweep; add --mpi");
  }
  if (!args.mpi) {
    const SweepPlan plan = load_sweep(args.sweep, RunIdentities::compute, uncertainty(args.no_parameter_uncertainty));
    models::check_branch_from(plan);
    print_warnings(plan.warnings);
    SweepExecutionOptions options = execution_options(args);
    RunProgress progress("sweep " + plan.name, args.quiet);
    options.on_run_finished = [&](const RunOutcome& o, std::size_t done, std::size_t total) { progress.update(o, done, total); };
    SweepReport report;
    if (options.jobs <= 1) {
      report = run_sweep_local(plan, make_simulator(args.snapshots, plan, options.output_dir), options);
    } else {
      // Concurrent runs in worker processes: nothing shared between runs, not even HDF5's lock.
      std::vector<std::string> worker = {this_executable(), "sweep", "worker", args.sweep, "-o", args.output,
                                         "--parent", std::to_string(::getpid()),
                                         "--threads-per-run", std::to_string(args.threads_per_run),
                                         "--sync", sync_option(args)};
      if (args.snapshots) worker.push_back("--snapshots");
      if (args.no_parameter_uncertainty) worker.push_back("--no-parameter-uncertainty");
      report = run_sweep_processes(plan, worker, options);
    }
    progress.finish();
    return report_sweep(plan, report, args);
  }

  if (!sweep_mpi_available()) {
    throw InputError(kCommandLine, 0, "--mpi", "this convsim was built without MPI; install libopenmpi-dev and rebuild");
  }
  MpiSession mpi(nullptr, nullptr);
  // Every rank reads the same files; only rank 0 speaks.
  const bool speaks = mpi.rank() == 0;
  SweepPlan plan;
  try {
    plan = load_sweep(args.sweep, RunIdentities::compute, uncertainty(args.no_parameter_uncertainty));
    models::check_branch_from(plan);
  } catch (const InputError&) {
    if (speaks) throw;
    return kExitBadInput;
  }
  if (speaks) print_warnings(plan.warnings);
  SweepExecutionOptions options = execution_options(args);
  RunArgs quiet_args = args;
  quiet_args.quiet = args.quiet || !speaks;
  RunProgress progress("sweep " + plan.name + " (" + std::to_string(mpi.size()) + " ranks)", quiet_args.quiet);
  options.on_run_finished = [&](const RunOutcome& o, std::size_t done, std::size_t total) { progress.update(o, done, total); };
  const SweepReport report = run_sweep_mpi(plan, make_simulator(args.snapshots, plan, options.output_dir), options);
  progress.finish();
  if (!report.manager) return kExitOk;
  return report_sweep(plan, report, quiet_args);
}

//---- sweep worker (started by sweep run --jobs N > 1) -----------------------------------------

struct WorkerArgs {
  std::string sweep;
  std::string output;
  long long parent = 0;
  int threads_per_run = 1;
  bool snapshots = false;
  std::string sync = "end";
  bool no_parameter_uncertainty = false;
};

int worker_command(const WorkerArgs& args) {
  // End with the manager, even when it is killed with SIGKILL.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != static_cast<pid_t>(args.parent)) return kExitFailure;
  // Outcome lines go to the manager on the original stdout; anything else printed goes to stderr.
  const int protocol = ::dup(STDOUT_FILENO);
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  // The manager has resolved and checked every run and sends each one's identity with its index;
  // resolving the whole plan again in every worker would cost each of them the manager's
  // planning time. A run whose files changed since then fails with a clear error.
  const SweepPlan plan = load_sweep(args.sweep, RunIdentities::defer, uncertainty(args.no_parameter_uncertainty));
  SweepExecutionOptions options;
  options.output_dir = args.output;
  options.threads_per_run = args.threads_per_run;
  options.sync = parse_sync_policy(args.sync);
  return serve_sweep_worker(plan, make_simulator(args.snapshots, plan, options.output_dir), options, STDIN_FILENO, protocol);
}

//---- sweep slurm -----------------------------------------------------------------------------

struct SlurmArgs {
  std::string sweep;
  std::string output;
  int array_parallel = 0;
  int runs_per_task = 0;
  int cpus_per_task = 1;
  std::string partition;
  std::string account;
  std::string time;  // empty: sized from the run estimate
  std::string script;
  std::string convsim;
  std::vector<std::string> sbatch_options;
  bool submit = false;
  bool wait = false;
  bool no_parameter_uncertainty = false;
};

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a command line through /bin/sh, returning its exit status (stdout and stderr pass through).
int run_program(const std::string& command) {
  std::fflush(stdout);
  const int status = std::system(command.c_str());
  if (status == -1) return 127;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Array tasks may run on any node: a folder on a node-local file system (tmpfs, /tmp) is seen only
// by the node that wrote it. Warns on stderr; the script is still written (a one-node cluster, or a
// site whose /tmp is shared, is fine).
void warn_if_node_local(const fs::path& output) {
  struct statfs info {};
  const bool tmpfs = ::statfs(output.c_str(), &info) == 0 && static_cast<unsigned long>(info.f_type) == 0x01021994ul;
  const std::string text = output.string();
  const bool local_path = text.rfind("/tmp/", 0) == 0 || text.rfind("/var/tmp/", 0) == 0 || text.rfind("/dev/shm/", 0) == 0;
  if (tmpfs || local_path) {
    std::fprintf(stderr,
                 "convsim: warning: the output folder '%s' is on %s, usually local to each node: array tasks that "
                 "run on other nodes cannot write their results there (use a folder on a shared file system)\n",
                 text.c_str(), tmpfs ? "a tmpfs" : "a temporary file system");
  }
}

int slurm_command(const SlurmArgs& args) {
  const SweepPlan plan = load_sweep(args.sweep, RunIdentities::compute, uncertainty(args.no_parameter_uncertainty));
  print_warnings(plan.warnings);
  if (!args.time.empty() && !std::regex_match(args.time, std::regex(R"((\d+-)?\d{1,3}:\d{2}:\d{2})"))) {
    throw InputError(kCommandLine, 0, "--time", "found '" + args.time + "', expected HH:MM:SS or D-HH:MM:SS");
  }
  const std::size_t runs = plan.runs.size();
  // The longest run's estimate (design points rarely change the size; where a size or time key is
  // swept, every run is looked at).
  const bool sizes_vary = std::any_of(plan.parameters.begin(), plan.parameters.end(), [](const std::string& key) {
    return key.rfind("economy.firms", 0) == 0 || key.rfind("time.", 0) == 0;
  });
  std::uint64_t run_bytes = 0;
  double run_seconds = 0;
  auto consider = [&](const auto& run) {
    const Scenario scenario = resolve_run(plan, run);
    run_bytes = std::max(run_bytes, estimated_run_bytes(scenario));
    run_seconds = std::max(run_seconds, estimated_run_seconds(scenario));
  };
  for (std::size_t s = 0; s < plan.scenarios.size() && !sizes_vary; ++s) {
    const auto first = std::find_if(plan.runs.begin(), plan.runs.end(), [&](const auto& run) { return run.scenario == s; });
    if (first != plan.runs.end()) consider(*first);
  }
  if (sizes_vary) {
    for (const auto& run : plan.runs) consider(run);
  }
  // Array tasks of about kTargetTaskSeconds (docs/clusters.md: 10-60 minutes), J runs at a time
  // with --cpus-per-task J; Slurm's default MaxArraySize is 1001, so at most 1000 tasks.
  constexpr double kTargetTaskSeconds = 20 * 60;
  const std::size_t by_time = static_cast<std::size_t>(
      std::clamp(std::floor(kTargetTaskSeconds * args.cpus_per_task / std::max(run_seconds, 1e-3)), 1.0, 1e12));
  const std::size_t per_task = args.runs_per_task > 0 ? static_cast<std::size_t>(args.runs_per_task)
                                                      : std::clamp<std::size_t>(by_time, (runs + 999) / 1000, std::max<std::size_t>(runs, 1));
  const std::size_t tasks = (runs + per_task - 1) / per_task;
  const double task_seconds = std::ceil(static_cast<double>(per_task) / args.cpus_per_task) * run_seconds;
  // The limit: three times the expected task, at least 10 minutes, in whole minutes.
  std::string time = args.time;
  if (time.empty()) {
    const long minutes = std::max(10L, static_cast<long>(std::ceil(3.0 * task_seconds / 60.0)));
    char text[32];
    if (minutes >= 24 * 60) std::snprintf(text, sizeof(text), "%ld-%02ld:%02ld:00", minutes / (24 * 60), minutes / 60 % 24, minutes % 60);
    else std::snprintf(text, sizeof(text), "%02ld:%02ld:00", minutes / 60, minutes % 60);
    time = text;
  }

  const fs::path output = fs::absolute(args.output).lexically_normal();
  prepare_sweep_output(plan, output);
  std::error_code ec;
  fs::create_directories(output / "slurm", ec);
  const fs::path script = args.script.empty() ? output / "sweep.sbatch" : fs::absolute(args.script);

  // Memory: the largest run's estimate for each concurrent run, plus the process itself.
  const std::uint64_t megabytes =
      (run_bytes * static_cast<std::uint64_t>(args.cpus_per_task) + (256ull << 20) + (1ull << 20) - 1) >> 20;

  std::string text;
  text += "#!/bin/bash\n";
  text += "# convsim sweep " + plan.name + ": " + std::to_string(runs) + " runs as a Slurm job array of " +
          std::to_string(tasks) + " tasks, " + std::to_string(per_task) + " run(s) per task.\n";
  text += "# Written by `convsim sweep slurm`. Resubmitting it resumes the sweep: complete runs are skipped.\n";
  text += "# When it has finished: convsim merge " + shell_quote(output.string()) + " -o sweep.h5\n";
  text += "#SBATCH --job-name=convsim-" + plan.name + "\n";
  text += "#SBATCH --array=0-" + std::to_string(tasks - 1) +
          (args.array_parallel > 0 ? "%" + std::to_string(args.array_parallel) : std::string()) + "\n";
  text += "#SBATCH --ntasks=1\n";
  text += "#SBATCH --cpus-per-task=" + std::to_string(args.cpus_per_task) + "\n";
  text += "#SBATCH --mem=" + std::to_string(megabytes) + "M\n";
  text += "#SBATCH --time=" + time + "\n";
  text += "#SBATCH --output=" + (output / "slurm" / "%A_%a.out").string() + "\n";
  if (!args.partition.empty()) text += "#SBATCH --partition=" + args.partition + "\n";
  if (!args.account.empty()) text += "#SBATCH --account=" + args.account + "\n";
  for (const auto& option : args.sbatch_options) text += "#SBATCH " + option + "\n";
  text += "set -euo pipefail\n";
  text += "COUNT=" + std::to_string(tasks) + "\n";
  text += "# Task I runs the plan's runs I, I+COUNT, I+2*COUNT, ..., SLURM_CPUS_PER_TASK at a time.\n";
  text += "exec " + shell_quote(args.convsim.empty() ? this_executable() : args.convsim) + " sweep run " +
          shell_quote(fs::absolute(args.sweep).lexically_normal().string()) + " --output " + shell_quote(output.string()) +
          " --shard \"${SLURM_ARRAY_TASK_ID}/${COUNT}\" --jobs \"${SLURM_CPUS_PER_TASK:-1}\"" +
          (args.no_parameter_uncertainty ? " --no-parameter-uncertainty" : "") + "\n";
  {
    std::ofstream out(script, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw InputError(kCommandLine, 0, "--script", "cannot write '" + script.string() + "'");
  }
  fs::permissions(script, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add, ec);

  std::printf("wrote %s: %zu runs in %zu array tasks (%zu per task%s), %d CPU(s) and %llu MB per task, time limit %s\n",
              script.c_str(), runs, tasks, per_task,
              args.array_parallel > 0 ? (", at most " + std::to_string(args.array_parallel) + " at a time").c_str() : "",
              args.cpus_per_task, static_cast<unsigned long long>(megabytes), time.c_str());
  std::printf("estimate: about %.3g s per run on one core (%.0f ns per firm-step, conservative), about %.3g min per task%s\n",
              run_seconds, kSecondsPerFirmStep * 1e9, task_seconds / 60.0,
              args.runs_per_task > 0 ? "" : " (runs per task sized for about 20 min: docs/clusters.md)");
  warn_if_node_local(output);
  if (!args.submit) {
    std::printf("submit with: sbatch %s\n", script.c_str());
    return kExitOk;
  }
  const std::string command = std::string("sbatch ") + (args.wait ? "--wait " : "") + shell_quote(script.string());
  std::printf("%s\n", command.c_str());
  const int status = run_program(command);
  if (status != 0) {
    std::fprintf(stderr, "convsim: sbatch exited with %d%s\n", status,
                 args.wait ? " (a task failed: see the failures log and slurm/*.out in the output folder)" : "");
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void add_sweep_command(CLI::App& app, int& exit_code) {
  CLI::App* sweep = app.add_subcommand("sweep", "Plan and run batch sweeps (local, MPI, Slurm); see docs/clusters.md");
  sweep->require_subcommand(1);

  auto plan_args = std::make_shared<PlanArgs>();
  CLI::App* plan = sweep->add_subcommand("plan", "List a sweep's runs (index, scenario, parameters, seed, identity)");
  plan->add_option("sweep", plan_args->sweep, "Sweep YAML file")->required();
  plan->add_option("--format", plan_args->format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  plan->add_flag("--no-parameter-uncertainty", plan_args->no_parameter_uncertainty, kNoUncertaintyHelp);
  plan->callback([plan_args, &exit_code] { exit_code = plan_command(*plan_args); });

  auto run_args = std::make_shared<RunArgs>();
  CLI::App* run = sweep->add_subcommand("run", "Run a sweep's runs (skipping complete ones) into an output folder");
  run->add_option("sweep", run_args->sweep, "Sweep YAML file")->required();
  run->add_option("-o,--output", run_args->output, "Output folder (plan.json, runs/, failures.log)")->required();
  run->add_option("--jobs", run_args->jobs, "Concurrent runs, each in its own worker process (default: all cores)")
      ->check(CLI::Range(0, 4096));
  run->add_option("--threads-per-run", run_args->threads_per_run, "TBB threads inside each run (default 1)")
      ->check(CLI::Range(1, 4096));
  run->add_option("--shard", run_args->shard, "Run only shard I of N: the runs whose index % N == I");
  run->add_flag("--mpi", run_args->mpi, "Run over MPI: start with mpirun -np K; rank 0 hands runs to the others");
  run->add_flag("--snapshots", run_args->snapshots, "Keep the firm snapshots the scenarios ask for (large)");
  auto* sync = run->add_option("--sync", run_args->sync,
                               "When results are flushed to disk: end (once, when the sweep ends; default), "
                               "each (fsync every result before it is renamed into place) or none")
                   ->check(CLI::IsMember({"end", "each", "none"}));
  run->add_flag("--no-sync", run_args->no_sync, "Same as --sync none")->excludes(sync);
  run->add_flag("-q,--quiet", run_args->quiet, "No progress and no summary");
  run->add_flag("--no-parameter-uncertainty", run_args->no_parameter_uncertainty, kNoUncertaintyHelp);
  run->callback([run_args, &exit_code] { exit_code = run_command(*run_args); });

  auto worker_args = std::make_shared<WorkerArgs>();
  CLI::App* worker = sweep->add_subcommand("worker", "Worker process of `sweep run --jobs N` (reads run indices and identities on stdin)");
  worker->group("");  // internal: not listed in --help
  worker->add_option("sweep", worker_args->sweep)->required();
  worker->add_option("-o,--output", worker_args->output)->required();
  worker->add_option("--parent", worker_args->parent)->required();
  worker->add_option("--threads-per-run", worker_args->threads_per_run);
  worker->add_flag("--snapshots", worker_args->snapshots);
  worker->add_option("--sync", worker_args->sync);
  worker->add_flag("--no-parameter-uncertainty", worker_args->no_parameter_uncertainty);
  worker->callback([worker_args, &exit_code] { exit_code = worker_command(*worker_args); });

  auto slurm_args = std::make_shared<SlurmArgs>();
  CLI::App* slurm = sweep->add_subcommand("slurm", "Write (and optionally submit) an sbatch job array for a sweep");
  slurm->add_option("sweep", slurm_args->sweep, "Sweep YAML file")->required();
  slurm->add_option("-o,--output", slurm_args->output, "Output folder on a file system every node sees")->required();
  slurm->add_option("--array-parallel", slurm_args->array_parallel, "At most K array tasks at a time (default: no limit)")
      ->check(CLI::Range(1, 1000000));
  slurm->add_option("--runs-per-task", slurm_args->runs_per_task,
                    "Runs per array task (default: 1, or enough to keep the array within 1000 tasks)")
      ->check(CLI::Range(1, 10000000));
  slurm->add_option("--cpus-per-task", slurm_args->cpus_per_task, "CPUs per task = concurrent runs per task (default 1)")
      ->check(CLI::Range(1, 4096));
  slurm->add_option("--partition", slurm_args->partition, "Slurm partition");
  slurm->add_option("--account", slurm_args->account, "Slurm account");
  slurm->add_option("--time", slurm_args->time,
                    "Time limit per task, HH:MM:SS or D-HH:MM:SS (default: three times the estimated task length, at least 10 min)");
  slurm->add_option("--script", slurm_args->script, "Where to write the script (default: OUTPUT/sweep.sbatch)");
  slurm->add_option("--convsim", slurm_args->convsim, "convsim executable the tasks run (default: this one)");
  slurm->add_option("--sbatch-option", slurm_args->sbatch_options, "Extra #SBATCH line, e.g. --sbatch-option=--qos=short");
  slurm->add_flag("--no-parameter-uncertainty", slurm_args->no_parameter_uncertainty, kNoUncertaintyHelp);
  slurm->add_flag("--submit", slurm_args->submit, "Submit the script with sbatch");
  slurm->add_flag("--wait", slurm_args->wait, "With --submit: wait until every task has ended (sbatch --wait)");
  slurm->callback([slurm_args, &exit_code] { exit_code = slurm_command(*slurm_args); });
}

}  // namespace convsim::cli
