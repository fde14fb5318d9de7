// The MPI sweep executor: rank 0 manages, ranks 1..K-1 run. Runs differ in length, so the manager
// hands out one run index at a time to whichever worker asks next (dynamic scheduling); workers
// write their results into the shared output folder themselves and report only the outcome.
//
// Messages (all on MPI_COMM_WORLD):
//   worker -> manager  kReady   "" (first request) or the last outcome (detail/sweep_messages.hpp)
//   manager -> worker  kAssign  one int64: the run index
//   manager -> worker  kStop    empty: no more runs
#include "convsim/sweep_executor.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <stdexcept>
#include <thread>

#include "convsim/detail/sweep_messages.hpp"

#ifdef CONVSIM_HAVE_MPI
// The C API only: OpenMPI's and MPICH's deprecated C++ bindings need libraries we do not link.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace convsim {

bool sweep_mpi_available() {
#ifdef CONVSIM_HAVE_MPI
  return true;
#else
  return false;
#endif
}

#ifdef CONVSIM_HAVE_MPI
namespace {

constexpr int kReady = 1;
constexpr int kAssign = 2;
constexpr int kStop = 3;
constexpr int kManager = 0;

[[noreturn]] void abort_all(const std::string& message) {
  std::fprintf(stderr, "convsim: sweep over MPI failed: %s\n", message.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();  // MPI_Abort does not return
}

// Every rank loaded the plan itself; they must agree run for run.
void check_same_plan(const SweepPlan& plan, int rank) {
  std::string digest = plan.digest();
  digest.resize(32, ' ');
  std::string managers = digest;
  MPI_Bcast(managers.data(), 32, MPI_CHAR, kManager, MPI_COMM_WORLD);
  int differs = managers != digest ? 1 : 0;
  int any_differs = 0;
  MPI_Allreduce(&differs, &any_differs, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (any_differs) {
    if (rank == kManager) {
      abort_all("the ranks planned different sweeps (do they all see the same sweep and scenario files?)");
    }
    MPI_Barrier(MPI_COMM_WORLD);  // rank 0 aborts everyone
  }
}

void manage(const SweepPlan& plan, const SweepExecutionOptions& options, int size, SweepReport& report) {
  const SweepFolderLock lock(options.output_dir, options.shard);
  prepare_sweep_output(plan, options.output_dir);
  const std::vector<std::size_t> pending_list = pending_runs(plan, options.output_dir, options.shard, &report.outcomes);
  std::deque<std::size_t> pending(pending_list.begin(), pending_list.end());
  const std::size_t total = pending.size();
  std::size_t finished = 0;
  int active_workers = size - 1;
  std::string buffer;
  while (active_workers > 0) {
    // Poll with a short sleep: a blocking receive would spin a core the workers need.
    int arrived = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, kReady, MPI_COMM_WORLD, &arrived, &status);
    if (!arrived) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    int length = 0;
    MPI_Get_count(&status, MPI_CHAR, &length);
    buffer.assign(static_cast<std::size_t>(length), '\0');
    MPI_Recv(buffer.data(), length, MPI_CHAR, status.MPI_SOURCE, kReady, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (length > 0) {
      RunOutcome outcome;
      if (!detail::decode_outcome(buffer, outcome)) abort_all("unreadable message from rank " + std::to_string(status.MPI_SOURCE));
      report.outcomes.push_back(std::move(outcome));
      report.outcomes.back().worker = status.MPI_SOURCE;
      ++finished;
      if (options.on_run_finished) options.on_run_finished(report.outcomes.back(), finished, total);
    }
    if (!pending.empty()) {
      const auto index = static_cast<std::int64_t>(pending.front());
      pending.pop_front();
      MPI_Send(&index, 1, MPI_INT64_T, status.MPI_SOURCE, kAssign, MPI_COMM_WORLD);
    } else {
      MPI_Send(nullptr, 0, MPI_CHAR, status.MPI_SOURCE, kStop, MPI_COMM_WORLD);
      --active_workers;
    }
  }
}

void work(const SweepPlan& plan, const RunSimulator& simulator, const SweepExecutionOptions& options) {
  std::string message;  // empty: the first request
  for (;;) {
    MPI_Send(message.data(), static_cast<int>(message.size()), MPI_CHAR, kManager, kReady, MPI_COMM_WORLD);
    MPI_Status status;
    MPI_Probe(kManager, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    if (status.MPI_TAG == kStop) {
      MPI_Recv(nullptr, 0, MPI_CHAR, kManager, kStop, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      // Results written on this node are flushed by this node (the output may be a network file
      // system): once, when there is nothing left to run.
      const std::string error = flush_sweep_results(options);
      if (!error.empty()) std::fprintf(stderr, "convsim: %s\n", error.c_str());
      return;
    }
    std::int64_t index = 0;
    MPI_Recv(&index, 1, MPI_INT64_T, kManager, kAssign, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (index < 0 || static_cast<std::size_t>(index) >= plan.runs.size()) {
      abort_all("worker received run index " + std::to_string(index) + " outside the plan");
    }
    message = detail::encode_outcome(execute_run(plan, plan.runs[static_cast<std::size_t>(index)], simulator, options));
  }
}

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    int provided = 0;
    // Only the main thread calls MPI; runs use TBB threads of their own.
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() {
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (!finalised) MPI_Finalize();
}

SweepReport run_sweep_mpi(const SweepPlan& plan, const RunSimulator& simulator, const SweepExecutionOptions& options) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size == 1) {
    SweepReport report = run_sweep_local(plan, simulator, options);
    for (auto& outcome : report.outcomes) outcome.worker = 0;  // all on rank 0
    return report;
  }
  check_same_plan(plan, rank);
  SweepReport report;
  const auto start = std::chrono::steady_clock::now();
  if (rank == kManager) {
    try {
      manage(plan, options, size, report);
      std::sort(report.outcomes.begin(), report.outcomes.end(),
                [](const RunOutcome& a, const RunOutcome& b) { return a.index < b.index; });
      try {
        write_failures_log(plan, options.output_dir, report.outcomes);
      } catch (const std::exception&) {
        // A full disk: the command's summary writes it again and says why it cannot.
      }
      report.sync_error = flush_sweep_results(options);
    } catch (const std::exception& e) {
      abort_all(e.what());  // workers wait for assignments: end them too
    }
  } else {
    report.manager = false;
    work(plan, simulator, options);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

#else  // no MPI in this build

MpiSession::MpiSession(int*, char***) {
  throw std::runtime_error("this convsim was built without MPI (install libopenmpi-dev and rebuild)");
}

MpiSession::~MpiSession() = default;

SweepReport run_sweep_mpi(const SweepPlan&, const RunSimulator&, const SweepExecutionOptions&) {
  throw std::runtime_error("this convsim was built without MPI (install libopenmpi-dev and rebuild)");
}

#endif

}  // namespace convsim
