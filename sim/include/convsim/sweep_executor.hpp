// Sweep executors: run the runs of a SweepPlan and write one result file per run into an output
// folder, locally on threads, as one shard of a Slurm job array, or over MPI (a manager rank hands
// run indices to worker ranks as they free up). Every executor gives the same files, bit for bit
// in their data, whatever the order in which runs finish.
//
// Output folder:
//   DIR/plan.json                     the plan (read by `convsim merge`)
//   DIR/runs/<identity>.h5            one result per run, written atomically (tmp + rename)
//   DIR/failures/<identity>.txt       the error of a run's last failed attempt
//   DIR/failures.log                  one line per failed run (absent when none failed)
//
// Resume: a run whose file is a complete result carrying its identity is skipped, whatever its
// position in the plan that wrote it (files are named by identity, not plan index); temporary
// files left by killed runs are removed before the run is tried again.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "convsim/result.hpp"
#include "convsim/scenario.hpp"
#include "convsim/sweep.hpp"

namespace convsim {

// Runs one resolved scenario to its result (the CLI passes models::simulate).
using RunSimulator = std::function<RunResult(const Scenario&)>;

// What became of one run.
enum class RunStatus { completed, skipped, failed };

// The outcome of one run of a sweep.
struct RunOutcome {
  std::size_t index = 0;         // the run's index in the plan
  RunStatus status = RunStatus::failed;
  double seconds = 0;            // wall time of the whole attempt (resolve, simulate, write)
  double simulate_seconds = 0;   // wall time spent inside the simulator
  std::string error;             // why it failed ("" unless failed)
  int worker = 0;                // who ran it: the MPI rank, or the thread (0..jobs-1) locally
};

// The outcomes of one executor invocation, by run index.
struct SweepReport {
  std::vector<RunOutcome> outcomes;  // sorted by index
  double seconds = 0;                // wall time of the invocation
  bool manager = true;               // false on MPI worker ranks (which report nothing)
  std::string sync_error;            // why the results could not be flushed to disk ("" when they were)

  // Runs that ran and wrote their result.
  std::size_t completed() const;
  // Runs skipped because a complete result was already there.
  std::size_t skipped() const;
  // Runs that failed.
  std::size_t failed() const;
  // True when no run failed and the results were flushed as asked.
  bool ok() const { return failed() == 0 && sync_error.empty(); }
};

// Called on the reporting thread after each run: (outcome, runs finished so far, runs to do).
using RunFinishedCallback = std::function<void(const RunOutcome&, std::size_t, std::size_t)>;

// When a sweep makes its result files durable (none of these change what is written).
//   end   each process that wrote results flushes the output's file system once (syncfs) before
//         it returns: the sweep's results are on disk when the command ends. A crash of the
//         machine mid-sweep may lose or truncate results written since; resume then finds them
//         incomplete (is_complete_result) and runs them again.
//   each  every result is fsync'ed before it is renamed into place (slower: the disk's flush is
//         paid once per run, and concurrent workers queue behind one another's flushes).
//   none  no flush at all: the operating system writes the files when it sees fit.
enum class SyncPolicy { end, each, none };

// Parses "end", "each" or "none"; throws InputError (file "<command line>", key `option`).
SyncPolicy parse_sync_policy(const std::string& text, const std::string& option = "--sync");

// Flushes the file system holding `folder` to disk (Linux syncfs). Returns false when it cannot.
bool sync_file_system(const std::filesystem::path& folder);

// How a sweep is executed (none of these change results).
struct SweepExecutionOptions {
  std::filesystem::path output_dir;   // DIR
  int jobs = 1;                       // concurrent runs in this process
  int threads_per_run = 1;            // TBB threads inside each run
  Shard shard;                        // the share of the plan this invocation runs
  SyncPolicy sync = SyncPolicy::end;  // when results are flushed to disk
  RunFinishedCallback on_run_finished;
};

// What an executor does when it has no more runs: with SyncPolicy::end, flushes the output's file
// system (every process that wrote results calls it). Returns "" or why the flush failed.
std::string flush_sweep_results(const SweepExecutionOptions& options);

// A claim on a sweep's output folder for one shard, held while an executor runs: an open file
// description lock (fcntl F_OFD_SETLK) on DIR/.lock, released when the holder ends in any way.
// The whole sweep (shard 0/1) excludes every other claim; shard I/N excludes the whole sweep and
// another I/N, and lets the other shards of N run side by side. Creates DIR when missing.
class SweepFolderLock {
 public:
  // Throws std::runtime_error naming the folder when another process holds a conflicting claim.
  SweepFolderLock(const std::filesystem::path& output_dir, Shard shard);
  ~SweepFolderLock();
  SweepFolderLock(const SweepFolderLock&) = delete;
  SweepFolderLock& operator=(const SweepFolderLock&) = delete;

 private:
  int fd_ = -1;
};

// Creates DIR, DIR/runs and DIR/failures and writes DIR/plan.json (atomically; concurrent shards
// write the same text). Throws InputError when DIR cannot be created.
void prepare_sweep_output(const SweepPlan& plan, const std::filesystem::path& output_dir);

// The runs of `shard` that still need to run (no complete result with their identity), in index
// order; the others are appended to `skipped` when given. Removes the temporary files that killed
// attempts of this shard's runs left behind (never one named for a live process of this host).
// Results of an older folder, named runs/<index>-<identity>.h5, are renamed to runs/<identity>.h5
// (a second complete copy of one identity is removed) and its failures/<index>-<identity>.txt go.
std::vector<std::size_t> pending_runs(const SweepPlan& plan, const std::filesystem::path& output_dir, Shard shard,
                                      std::vector<RunOutcome>* skipped = nullptr);

// Resolves, simulates and writes one run; records a failure file when it fails. Never throws.
RunOutcome execute_run(const SweepPlan& plan, const SweepRun& run, const RunSimulator& simulator,
                       const SweepExecutionOptions& options);

// Runs this shard's pending runs on `options.jobs` threads in this process.
SweepReport run_sweep_local(const SweepPlan& plan, const RunSimulator& simulator, const SweepExecutionOptions& options);

// Runs this shard's pending runs on `options.jobs` worker processes, each started as
// `worker_command` (argv; the program must answer with serve_sweep_worker on its stdin and stdout,
// e.g. `convsim sweep worker`). Processes rather than threads: runs then share nothing, not even
// the HDF5 library's global lock, and a run that crashes its process fails alone (the worker is
// replaced). Results are identical to run_sweep_local's.
SweepReport run_sweep_processes(const SweepPlan& plan, const std::vector<std::string>& worker_command,
                                const SweepExecutionOptions& options);

// The worker side of run_sweep_processes: reads "index identity" lines from `input_fd` until end
// of file, runs each with execute_run and writes its outcome line to `output_fd`. The plan may
// have been loaded with RunIdentities::defer: the identity comes from the manager, and a run whose
// scenario no longer resolves to it fails (the sweep's files changed since it was planned).
// Returns 0, or 1 when a line is not an index in the plan and an identity.
int serve_sweep_worker(const SweepPlan& plan, const RunSimulator& simulator, const SweepExecutionOptions& options,
                       int input_fd, int output_fd);

// Rewrites DIR/failures.log from DIR/failures/ and the failed `outcomes` of this invocation (whose
// failure file may be missing when the disk was full); removes it when no run has failed.
// Returns the failed runs as "index scenario identity: error" lines; throws std::runtime_error
// when the log cannot be written.
std::vector<std::string> write_failures_log(const SweepPlan& plan, const std::filesystem::path& output_dir,
                                            const std::vector<RunOutcome>& outcomes = {});

// Whether this build has the MPI executor (OpenMPI found at configure time).
bool sweep_mpi_available();

// MPI for the lifetime of the object: MPI_Init_thread on construction, MPI_Finalize on
// destruction. Throws std::runtime_error when this build has no MPI.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  // This process's rank in MPI_COMM_WORLD.
  int rank() const { return rank_; }
  // The number of ranks.
  int size() const { return size_; }

 private:
  int rank_ = 0;
  int size_ = 1;
};

// Runs the plan over MPI_COMM_WORLD (an MpiSession must be alive): rank 0 writes plan.json, skips
// complete runs and hands the others to ranks 1..K-1 as they free up; a failing run is recorded
// and the others go on. With one rank, rank 0 runs them itself on `options.jobs` threads. Every
// rank must call it with the same plan (checked by digest). Throws std::runtime_error when this
// build has no MPI.
SweepReport run_sweep_mpi(const SweepPlan& plan, const RunSimulator& simulator, const SweepExecutionOptions& options);

}  // namespace convsim
