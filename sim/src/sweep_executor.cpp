// The local and shard executors and the output folder they share with the MPI executor
// (sweep_mpi.cpp).
#include "convsim/sweep_executor.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <tbb/task_arena.h>

#include "convsim/detail/hdf5_handle.hpp"
#include "convsim/errors.hpp"
#include "convsim/result_file.hpp"

namespace convsim {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRunsFolder = "runs";
constexpr const char* kFailuresFolder = "failures";
constexpr const char* kFailuresLog = "failures.log";
constexpr const char* kPlanFile = "plan.json";

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A temporary name no other process writes, even on another node of a shared file system.
fs::path temporary_name(const fs::path& path) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return fs::path(path.string() + ".tmp." + host + "." + std::to_string(::getpid()));
}

// Writes text to `path` atomically: a temporary file in the same folder, renamed when complete.
void write_text_atomically(const fs::path& path, const std::string& text, bool sync) {
  const fs::path temporary = temporary_name(path);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(temporary, ec);
      throw std::runtime_error("cannot write '" + temporary.string() + "'");
    }
  }
  if (sync) {
    const int fd = ::open(temporary.c_str(), O_RDONLY);
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) {
    fs::remove(temporary, ec);
    throw std::runtime_error("cannot rename onto '" + path.string() + "': " + ec.message());
  }
}

fs::path failure_path(const fs::path& output_dir, const SweepRun& run) {
  return output_dir / kFailuresFolder / (run_result_name(run).stem().string() + ".txt");
}

// The plan index a file name in runs/ or failures/ starts with ("12-ab34....h5" -> 12), or -1.
long long leading_index(const std::string& name) {
  const auto dash = name.find('-');
  if (dash == std::string::npos || dash == 0) return -1;
  long long index = 0;
  for (std::size_t i = 0; i < dash; ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    index = index * 10 + (name[i] - '0');
    if (index > (1ll << 40)) return -1;
  }
  return index;
}

// HDF5 allocates (and zeroes) a 1 MiB conversion buffer for every string dataset it writes and,
// with its default free-list limits, hands it back to malloc afterwards; a sweep writing thousands
// of small files then spends most of its overhead page-faulting fresh buffers (about 100 ms per
// result file on a VM). Letting HDF5 keep its freed blocks makes the buffers reused instead.
void keep_hdf5_free_lists() {
  static std::once_flag once;
  std::call_once(once, [] {
    detail::Hdf5Session session;
    H5set_free_list_limits(-1, -1, -1, -1, -1, -1);
  });
}

}  // namespace

std::size_t SweepReport::completed() const {
  return static_cast<std::size_t>(std::count_if(outcomes.begin(), outcomes.end(),
                                                [](const RunOutcome& o) { return o.status == RunStatus::completed; }));
}
std::size_t SweepReport::skipped() const {
  return static_cast<std::size_t>(std::count_if(outcomes.begin(), outcomes.end(),
                                                [](const RunOutcome& o) { return o.status == RunStatus::skipped; }));
}
std::size_t SweepReport::failed() const {
  return static_cast<std::size_t>(std::count_if(outcomes.begin(), outcomes.end(),
                                                [](const RunOutcome& o) { return o.status == RunStatus::failed; }));
}

void prepare_sweep_output(const SweepPlan& plan, const fs::path& output_dir) {
  std::error_code ec;
  for (const fs::path& folder : {output_dir, output_dir / kRunsFolder, output_dir / kFailuresFolder}) {
    fs::create_directories(folder, ec);
    if (!fs::is_directory(folder)) {
      throw InputError("<command line>", 0, "--output",
                       "cannot create the sweep's output folder '" + folder.string() + "'" +
                           (ec ? ": " + ec.message() : std::string()));
    }
  }
  const fs::path plan_path = output_dir / kPlanFile;
  const std::string text = plan_to_json(plan);
  std::ifstream existing(plan_path, std::ios::binary);
  if (existing) {
    std::ostringstream ss;
    ss << existing.rdbuf();
    if (ss.str() == text) return;  // shards and resumed sweeps find it already written
  }
  write_text_atomically(plan_path, text, true);
}

std::vector<std::size_t> pending_runs(const SweepPlan& plan, const fs::path& output_dir, Shard shard,
                                      std::vector<RunOutcome>* skipped) {
  // One listing of runs/ instead of a stat per run: clean this shard's temporaries, note results.
  std::set<std::string> present;
  std::error_code ec;
  for (fs::directory_iterator it(output_dir / kRunsFolder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find(".tmp.") != std::string::npos) {
      const long long index = leading_index(name);
      if (index >= 0 && shard.contains(static_cast<std::size_t>(index))) {
        std::error_code remove_ec;
        fs::remove(it->path(), remove_ec);
      }
      continue;
    }
    present.insert(name);
  }
  std::vector<std::size_t> pending;
  for (const auto& run : plan.runs) {
    if (!shard.contains(run.index)) continue;
    const fs::path name = run_result_name(run);
    if (present.count(name.filename().string()) && is_complete_result(output_dir / name, run.identity)) {
      if (skipped) skipped->push_back({run.index, RunStatus::skipped, 0, 0, ""});
      continue;
    }
    pending.push_back(run.index);
  }
  return pending;
}

RunOutcome execute_run(const SweepPlan& plan, const SweepRun& run, const RunSimulator& simulator,
                       const SweepExecutionOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  keep_hdf5_free_lists();
  RunOutcome outcome;
  outcome.index = run.index;
  const fs::path path = options.output_dir / run_result_name(run);
  const fs::path failure = failure_path(options.output_dir, run);
  try {
    const Scenario scenario = resolve_run(plan, run);
    if (run_identity(scenario) != run.identity) {
      throw std::runtime_error("the run's scenario changed since the plan was made (identity " + run_identity(scenario) +
                               ", planned " + run.identity + "); plan the sweep again");
    }
    check_memory(scenario);
    const auto simulate_start = std::chrono::steady_clock::now();
    RunResult result;
    if (options.threads_per_run > 0) {
      // Each run on its own arena: `threads_per_run` threads, never the whole machine per run.
      tbb::task_arena arena(options.threads_per_run);
      arena.execute([&] { result = simulator(scenario); });
    } else {
      result = simulator(scenario);
    }
    outcome.simulate_seconds = seconds_since(simulate_start);
    if (result.scenario_hash != run.identity) {
      throw std::runtime_error("the simulator returned a result with identity " + result.scenario_hash + ", expected " +
                               run.identity);
    }
    ResultWriteOptions write_options;
    write_options.sync = options.sync;
    write_result(result, path, write_options);
    std::error_code ec;
    fs::remove(failure, ec);
    outcome.status = RunStatus::completed;
  } catch (const std::exception& e) {
    outcome.status = RunStatus::failed;
    outcome.error = e.what();
  } catch (...) {
    outcome.status = RunStatus::failed;
    outcome.error = "unknown exception";
  }
  if (outcome.status == RunStatus::failed) {
    try {
      write_text_atomically(failure, "run " + std::to_string(run.index) + " scenario " + plan.scenarios[run.scenario].name +
                                         " identity " + run.identity + "\n" + outcome.error + "\n",
                            false);
    } catch (const std::exception&) {
      // The failure is reported to the caller either way; the folder may be gone.
    }
  }
  outcome.seconds = seconds_since(start);
  return outcome;
}

SweepReport run_sweep_local(const SweepPlan& plan, const RunSimulator& simulator, const SweepExecutionOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  SweepReport report;
  prepare_sweep_output(plan, options.output_dir);
  const std::vector<std::size_t> pending = pending_runs(plan, options.output_dir, options.shard, &report.outcomes);
  std::vector<RunOutcome> done(pending.size());
  std::atomic<std::size_t> next{0};
  std::mutex report_mutex;
  std::size_t finished = 0;
  auto work = [&](int worker) {
    for (std::size_t i = next++; i < pending.size(); i = next++) {
      done[i] = execute_run(plan, plan.runs[pending[i]], simulator, options);
      done[i].worker = worker;
      std::lock_guard lock(report_mutex);
      ++finished;
      if (options.on_run_finished) options.on_run_finished(done[i], finished, pending.size());
    }
  };
  const std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, options.jobs)), pending.size());
  if (workers <= 1) {
    work(0);
  } else {
    std::vector<std::thread> threads;
    for (std::size_t w = 0; w < workers; ++w) threads.emplace_back(work, static_cast<int>(w));
    for (auto& thread : threads) thread.join();
  }
  report.outcomes.insert(report.outcomes.end(), done.begin(), done.end());
  std::sort(report.outcomes.begin(), report.outcomes.end(),
            [](const RunOutcome& a, const RunOutcome& b) { return a.index < b.index; });
  write_failures_log(plan, options.output_dir);
  report.seconds = seconds_since(start);
  return report;
}

std::vector<std::string> write_failures_log(const SweepPlan& plan, const fs::path& output_dir) {
  std::map<std::size_t, fs::path> failure_files;
  std::error_code ec;
  for (fs::directory_iterator it(output_dir / kFailuresFolder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->path().extension() != ".txt") continue;
    const long long index = leading_index(name);
    if (index < 0 || static_cast<std::size_t>(index) >= plan.runs.size()) continue;
    const SweepRun& run = plan.runs[static_cast<std::size_t>(index)];
    if (failure_path(output_dir, run).filename() == it->path().filename()) failure_files[run.index] = it->path();
  }
  std::vector<std::string> lines;
  for (const auto& [index, path] : failure_files) {
    const SweepRun& run = plan.runs[index];
    std::ifstream in(path);
    std::string header, error, line;
    std::getline(in, header);
    while (std::getline(in, line)) error += (error.empty() ? "" : " ") + line;
    lines.push_back(std::to_string(index) + " " + plan.scenarios[run.scenario].name + " " + run.identity + ": " + error);
  }
  const fs::path log = output_dir / kFailuresLog;
  if (lines.empty()) {
    fs::remove(log, ec);
  } else {
    std::string text;
    for (const auto& line : lines) text += line + "\n";
    write_text_atomically(log, text, false);
  }
  return lines;
}

}  // namespace convsim
