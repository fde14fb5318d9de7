// The local and shard executors (threads, or worker processes fed run indices through pipes) and
// the output folder they share with the MPI executor (sweep_mpi.cpp).
#include "convsim/sweep_executor.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <hdf5.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>
#include <unordered_map>

#include <tbb/task_arena.h>

#include "convsim/detail/hdf5_handle.hpp"
#include "convsim/detail/sweep_messages.hpp"
#include "convsim/errors.hpp"
#include "convsim/output_path.hpp"
#include "convsim/result_file.hpp"

extern char** environ;

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

// A plan index written in decimal (at most 2^40): false when `digits` is anything else.
bool parse_index(std::string_view digits, std::size_t& index) {
  if (digits.empty()) return false;
  index = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return false;
    index = index * 10 + static_cast<std::size_t>(c - '0');
    if (index > (std::size_t{1} << 40)) return false;
  }
  return true;
}

// The identity a file name in runs/ or failures/ starts with: "<identity><extension>" and its
// temporaries "<identity><extension>.tmp...", or the older "<index>-<identity><extension>" that
// named files by plan position. "" for any other name.
std::string identity_of(std::string_view name, std::string_view extension, bool* legacy = nullptr) {
  constexpr std::size_t kIdentityLength = 32;  // content_digest: 32 hexadecimal digits
  std::size_t start = 0;
  const auto dash = name.find('-');
  std::size_t index = 0;
  if (dash != std::string_view::npos && parse_index(name.substr(0, dash), index)) start = dash + 1;
  if (legacy) *legacy = start > 0;
  if (name.size() < start + kIdentityLength + extension.size()) return {};
  const std::string_view identity = name.substr(start, kIdentityLength);
  if (identity.find_first_not_of("0123456789abcdef") != std::string_view::npos) return {};
  if (name.substr(start + kIdentityLength, extension.size()) != extension) return {};
  return std::string(identity);
}

// The runs of the plan by identity (usually one each; a scenario listed twice gives two).
std::unordered_map<std::string, std::vector<std::size_t>> runs_by_identity(const SweepPlan& plan) {
  std::unordered_map<std::string, std::vector<std::size_t>> out;
  out.reserve(plan.runs.size());
  for (const auto& run : plan.runs) out[run.identity].push_back(run.index);
  return out;
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

// Writes DIR/failures/<run>.txt with the error of the run's last attempt.
void record_failure(const SweepPlan& plan, const SweepRun& run, const fs::path& output_dir, const std::string& error) {
  try {
    write_text_atomically(failure_path(output_dir, run),
                          "run " + std::to_string(run.index) + " scenario " + plan.scenarios[run.scenario].name +
                              " identity " + run.identity + "\n" + error + "\n",
                          false);
  } catch (const std::exception&) {
    // The failure is reported to the caller either way; the folder may be gone.
  }
}

// Whether a temporary's name ("<result>.tmp.<host>.<pid>", see temporary_name) names a process
// of this host that is still alive: its file is in flight and must not be removed.
bool written_by_live_process(const std::string& name) {
  const auto tmp = name.rfind(".tmp.");
  const auto dot = name.rfind('.');
  if (tmp == std::string::npos || dot <= tmp + 4) return false;
  const std::string host = name.substr(tmp + 5, dot - tmp - 5);
  std::size_t pid = 0;
  if (!parse_index(std::string_view(name).substr(dot + 1), pid) || pid == 0 || pid > 0x7fffffff) return false;
  char ours[256] = {};
  ::gethostname(ours, sizeof ours - 1);
  if (host != ours) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// write_failures_log for the executors, which go on when the log cannot be written (a full disk):
// the command's summary writes it again and says why it cannot.
void write_failures_log_of(const SweepPlan& plan, const fs::path& output_dir, const std::vector<RunOutcome>& outcomes) {
  try {
    write_failures_log(plan, output_dir, outcomes);
  } catch (const std::exception&) {
  }
}

//---- worker processes ------------------------------------------------------------------------

// Writes all of `text`; false when the reader has gone (EPIPE) or on another error.
bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// One worker process and the pipes to it.
struct WorkerProcess {
  pid_t pid = -1;
  int to_worker = -1;    // the worker's stdin: run indices
  int from_worker = -1;  // the worker's stdout: outcome lines
  std::string received;  // bytes read that do not end a line yet
  long long current = -1;  // the run index it is working on
  int slot = 0;
};

WorkerProcess spawn_worker(const std::vector<std::string>& command, int slot) {
  int to_worker[2], from_worker[2];
  if (::pipe2(to_worker, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(from_worker, O_CLOEXEC) != 0) {
    ::close(to_worker[0]);
    ::close(to_worker[1]);
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 onto 0 and 1 clears close-on-exec there; every other pipe end closes in the worker.
  posix_spawn_file_actions_adddup2(&actions, to_worker[0], 0);
  posix_spawn_file_actions_adddup2(&actions, from_worker[1], 1);
  std::vector<char*> argv;
  for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int status = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(to_worker[0]);
  ::close(from_worker[1]);
  if (status != 0) {
    ::close(to_worker[1]);
    ::close(from_worker[0]);
    throw std::runtime_error("cannot start sweep worker '" + command.front() + "': " + std::strerror(status));
  }
  WorkerProcess worker;
  worker.pid = pid;
  worker.to_worker = to_worker[1];
  worker.from_worker = from_worker[0];
  worker.slot = slot;
  return worker;
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "ended";
}

// Ignores SIGPIPE while it lives: writing to a worker that died must fail, not end the manager.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &previous_);
  }
  ~IgnoreSigpipe() { ::sigaction(SIGPIPE, &previous_, nullptr); }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

 private:
  struct sigaction previous_ {};
};

// "index identity" as the manager sends it to a worker process.
bool parse_assignment(const std::string& line, std::size_t& index, std::string& identity) {
  const auto space = line.find(' ');
  if (space == std::string::npos || space + 1 >= line.size()) return false;
  if (!parse_index(std::string_view(line).substr(0, space), index)) return false;
  identity = line.substr(space + 1);
  return identity.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

SyncPolicy parse_sync_policy(const std::string& text, const std::string& option) {
  if (text == "end") return SyncPolicy::end;
  if (text == "each") return SyncPolicy::each;
  if (text == "none") return SyncPolicy::none;
  throw InputError("<command line>", 0, option, "'" + text + "' is not a sync policy; expected end, each or none");
}

std::string flush_sweep_results(const SweepExecutionOptions& options) {
  if (options.sync != SyncPolicy::end) return {};
  if (sync_file_system(options.output_dir)) return {};
  return "cannot flush the results in '" + options.output_dir.string() + "' to disk: " + std::strerror(errno);
}

bool sync_file_system(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const int status = ::syncfs(fd);
  const int error = errno;
  ::close(fd);
  errno = error;
  return status == 0;
}

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

namespace {

void create_output_folder(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (!fs::is_directory(folder)) {
    throw InputError("<command line>", 0, "--output",
                     "cannot create the sweep's output folder '" + folder.string() + "'" +
                         (ec ? ": " + ec.message() : std::string()));
  }
  // Before any run: a folder that cannot take files is named with the reason (exit code 2; a
  // full one is std::runtime_error).
  check_output_folder(folder, "the sweep's results", "--output");
}

}  // namespace

SweepFolderLock::SweepFolderLock(const fs::path& output_dir, Shard shard) {
  create_output_folder(output_dir);
  const fs::path path = output_dir / ".lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open the sweep's lock file '" + path.string() + "': " + std::strerror(errno));
  // Byte 0 stands for the whole sweep; byte 1 + N(N-1)/2 + I for shard I/N.
  auto claim = [&](short type, off_t start) {
    struct flock lock {};
    lock.l_type = type;
    lock.l_whence = SEEK_SET;
    lock.l_start = start;
    lock.l_len = 1;
    return ::fcntl(fd_, F_OFD_SETLK, &lock) == 0;
  };
  const off_t n = shard.count;
  const bool whole = shard.count == 1;
  const bool ok = whole ? claim(F_WRLCK, 0) : claim(F_RDLCK, 0) && claim(F_WRLCK, 1 + n * (n - 1) / 2 + shard.index);
  if (!ok) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    const std::string what = whole ? "this sweep" : "shard " + std::to_string(shard.index) + "/" + std::to_string(shard.count);
    if (error != EAGAIN && error != EACCES) {
      throw std::runtime_error("cannot lock the sweep's output folder '" + output_dir.string() + "': " + std::strerror(error));
    }
    throw std::runtime_error("another convsim process is running " + what + " (or a sweep that overlaps it) in '" +
                             output_dir.string() + "'; wait for it to end, or give this sweep another output folder");
  }
}

SweepFolderLock::~SweepFolderLock() {
  if (fd_ >= 0) ::close(fd_);
}

void prepare_sweep_output(const SweepPlan& plan, const fs::path& output_dir) {
  for (const fs::path& folder : {output_dir, output_dir / kRunsFolder, output_dir / kFailuresFolder}) {
    create_output_folder(folder);
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
  // Results are found by the run's identity, whatever plan position wrote them. One listing of
  // runs/ instead of a stat per run: clean this shard's temporaries, note results.
  const auto by_identity = runs_by_identity(plan);
  auto in_shard = [&](const std::string& identity) {
    const auto found = by_identity.find(identity);
    if (found == by_identity.end()) return false;
    return std::any_of(found->second.begin(), found->second.end(), [&](std::size_t i) { return shard.contains(i); });
  };
  std::set<std::string> present;
  std::vector<fs::path> legacy;  // <index>-<identity>.h5, written before files were named by identity
  std::error_code ec;
  for (fs::directory_iterator it(output_dir / kRunsFolder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    bool old_name = false;
    const std::string identity = identity_of(name, ".h5", &old_name);
    if (name.find(".tmp.") != std::string::npos) {
      if (!identity.empty() && in_shard(identity) && !written_by_live_process(name)) {
        std::error_code remove_ec;
        fs::remove(it->path(), remove_ec);
      }
      continue;
    }
    if (old_name && name.size() == name.find('-') + 1 + identity.size() + 3 && in_shard(identity)) {
      legacy.push_back(it->path());
    } else {
      present.insert(name);
    }
  }
  // An older folder: its complete results move to their identity's name; a second copy of one
  // identity (the same run at two plan positions) is removed once the first is in place.
  std::sort(legacy.begin(), legacy.end());
  for (const fs::path& old_path : legacy) {
    const std::string identity = identity_of(old_path.filename().string(), ".h5");
    const std::string name = identity + ".h5";
    if (!is_complete_result(old_path, identity)) continue;
    std::error_code move_ec;
    if (present.count(name)) {
      if (is_complete_result(output_dir / kRunsFolder / name, identity)) fs::remove(old_path, move_ec);
      continue;
    }
    fs::rename(old_path, output_dir / kRunsFolder / name, move_ec);
    if (!move_ec) present.insert(name);
  }
  // Failure files of the older names would outlive the runs' success: this shard's go.
  std::error_code failures_ec;
  for (fs::directory_iterator it(output_dir / kFailuresFolder, failures_ec), end; !failures_ec && it != end;
       it.increment(failures_ec)) {
    bool old_name = false;
    const std::string identity = identity_of(it->path().filename().string(), ".txt", &old_name);
    std::error_code remove_ec;
    if (old_name && !identity.empty() && in_shard(identity)) fs::remove(it->path(), remove_ec);
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
    write_options.sync = options.sync == SyncPolicy::each;
    try {
      write_result(result, path, write_options);
    } catch (const std::exception& e) {
      throw std::runtime_error(describe_write_failure(path, "the result", e.what()));
    }
    std::error_code ec;
    fs::remove(failure_path(options.output_dir, run), ec);
    outcome.status = RunStatus::completed;
  } catch (const std::exception& e) {
    outcome.status = RunStatus::failed;
    outcome.error = e.what();
  } catch (...) {
    outcome.status = RunStatus::failed;
    outcome.error = "unknown exception";
  }
  if (outcome.status == RunStatus::failed) record_failure(plan, run, options.output_dir, outcome.error);
  outcome.seconds = seconds_since(start);
  return outcome;
}

SweepReport run_sweep_local(const SweepPlan& plan, const RunSimulator& simulator, const SweepExecutionOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  SweepReport report;
  const SweepFolderLock lock(options.output_dir, options.shard);
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
  write_failures_log_of(plan, options.output_dir, report.outcomes);
  report.sync_error = flush_sweep_results(options);
  report.seconds = seconds_since(start);
  return report;
}

SweepReport run_sweep_processes(const SweepPlan& plan, const std::vector<std::string>& worker_command,
                                const SweepExecutionOptions& options) {
  if (worker_command.empty()) throw std::invalid_argument("run_sweep_processes: empty worker command");
  const auto start = std::chrono::steady_clock::now();
  SweepReport report;
  const SweepFolderLock lock(options.output_dir, options.shard);
  prepare_sweep_output(plan, options.output_dir);
  const std::vector<std::size_t> pending_list = pending_runs(plan, options.output_dir, options.shard, &report.outcomes);
  std::deque<std::size_t> pending(pending_list.begin(), pending_list.end());
  const std::size_t total = pending.size();
  std::size_t finished = 0;
  const IgnoreSigpipe ignore_sigpipe;

  auto finish = [&](RunOutcome outcome, int slot) {
    outcome.worker = slot;
    ++finished;
    if (options.on_run_finished) options.on_run_finished(outcome, finished, total);
    report.outcomes.push_back(std::move(outcome));
  };
  // Hands the worker its next run, or closes its input when there is none (it then exits).
  auto assign = [&](WorkerProcess& worker) {
    if (pending.empty()) {
      if (worker.to_worker >= 0) ::close(worker.to_worker);
      worker.to_worker = -1;
      return;
    }
    worker.current = static_cast<long long>(pending.front());
    pending.pop_front();
    // The identity goes with the index: workers need not resolve the whole plan to know it.
    write_all(worker.to_worker, std::to_string(worker.current) + " " + plan.runs[static_cast<std::size_t>(worker.current)].identity + "\n");  // a dead worker shows as EOF below
  };

  std::vector<WorkerProcess> workers;
  const std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, options.jobs)), pending.size());
  try {
    for (std::size_t w = 0; w < count; ++w) {
      workers.push_back(spawn_worker(worker_command, static_cast<int>(w)));
      assign(workers.back());
    }
    std::vector<pollfd> polled;
    std::vector<std::size_t> polled_worker;  // which worker each pollfd belongs to
    char chunk[65536];
    for (;;) {
      polled.clear();
      polled_worker.clear();
      for (std::size_t w = 0; w < workers.size(); ++w) {
        if (workers[w].from_worker < 0) continue;
        polled.push_back({workers[w].from_worker, POLLIN, 0});
        polled_worker.push_back(w);
      }
      if (polled.empty()) break;
      if (::poll(polled.data(), polled.size(), -1) < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
      }
      for (std::size_t p = 0; p < polled.size(); ++p) {
        WorkerProcess& worker = workers[polled_worker[p]];
        if (polled[p].revents == 0 || worker.from_worker != polled[p].fd) continue;
        const ssize_t n = ::read(worker.from_worker, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n > 0) {
          worker.received.append(chunk, static_cast<std::size_t>(n));
          for (auto end = worker.received.find('\n'); end != std::string::npos; end = worker.received.find('\n')) {
            const std::string line = worker.received.substr(0, end);
            worker.received.erase(0, end + 1);
            RunOutcome outcome;
            if (!detail::decode_outcome(line, outcome) || static_cast<long long>(outcome.index) != worker.current) {
              throw std::runtime_error("sweep worker " + std::to_string(worker.pid) + " sent '" + line + "'");
            }
            worker.current = -1;
            finish(std::move(outcome), worker.slot);
            assign(worker);
          }
          continue;
        }
        // End of file: the worker has exited, by itself (no more runs) or not.
        ::close(worker.from_worker);
        worker.from_worker = -1;
        if (worker.to_worker >= 0) ::close(worker.to_worker);
        worker.to_worker = -1;
        int status = 0;
        while (::waitpid(worker.pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (worker.current >= 0) {
          // It died with a run in hand: that run fails, a new worker takes the slot.
          RunOutcome outcome;
          outcome.index = static_cast<std::size_t>(worker.current);
          outcome.status = RunStatus::failed;
          outcome.error = "the worker process running it " + describe_exit(status);
          record_failure(plan, plan.runs[outcome.index], options.output_dir, outcome.error);
          worker.current = -1;
          finish(std::move(outcome), worker.slot);
          if (!pending.empty()) {
            worker = spawn_worker(worker_command, worker.slot);
            assign(worker);
          }
        }
      }
    }
  } catch (...) {
    for (auto& worker : workers) {
      if (worker.pid > 0 && worker.from_worker >= 0) {
        ::kill(worker.pid, SIGKILL);
        ::waitpid(worker.pid, nullptr, 0);
      }
      if (worker.to_worker >= 0) ::close(worker.to_worker);
      if (worker.from_worker >= 0) ::close(worker.from_worker);
    }
    throw;
  }
  std::sort(report.outcomes.begin(), report.outcomes.end(),
            [](const RunOutcome& a, const RunOutcome& b) { return a.index < b.index; });
  write_failures_log_of(plan, options.output_dir, report.outcomes);
  report.sync_error = flush_sweep_results(options);  // the workers flushed theirs; this is cheap then
  report.seconds = seconds_since(start);
  return report;
}

int serve_sweep_worker(const SweepPlan& plan, const RunSimulator& simulator, const SweepExecutionOptions& options,
                       int input_fd, int output_fd) {
  std::string received;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(input_fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // The manager has no more runs (or has gone): make this worker's results durable.
      if (!flush_sweep_results(options).empty()) return 1;
      return 0;
    }
    received.append(chunk, static_cast<std::size_t>(n));
    for (auto end = received.find('\n'); end != std::string::npos; end = received.find('\n')) {
      const std::string line = received.substr(0, end);
      received.erase(0, end + 1);
      std::size_t index = 0;
      std::string identity;
      if (!parse_assignment(line, index, identity) || index >= plan.runs.size()) return 1;
      SweepRun run = plan.runs[index];
      run.identity = identity;  // execute_run checks that the run still resolves to it
      const RunOutcome outcome = execute_run(plan, run, simulator, options);
      if (!write_all(output_fd, detail::encode_outcome(outcome) + "\n")) return 0;
    }
  }
}

std::vector<std::string> write_failures_log(const SweepPlan& plan, const fs::path& output_dir,
                                            const std::vector<RunOutcome>& outcomes) {
  std::map<std::size_t, fs::path> failure_files;
  const auto by_identity = runs_by_identity(plan);
  std::error_code ec;
  for (fs::directory_iterator it(output_dir / kFailuresFolder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->path().extension() != ".txt") continue;
    const auto found = by_identity.find(identity_of(name, ".txt"));
    if (found == by_identity.end() || name != found->first + ".txt") continue;  // another plan's, or an older name
    for (const std::size_t index : found->second) failure_files[index] = it->path();
  }
  std::map<std::size_t, std::string> lines;
  for (const auto& [index, path] : failure_files) {
    const SweepRun& run = plan.runs[index];
    std::ifstream in(path);
    std::string header, error, line;
    std::getline(in, header);
    while (std::getline(in, line)) error += (error.empty() ? "" : " ") + line;
    lines.emplace(index, std::to_string(index) + " " + plan.scenarios[run.scenario].name + " " + run.identity + ": " + error);
  }
  // Failures of this invocation whose failure file could not be written (a full disk).
  for (const auto& outcome : outcomes) {
    if (outcome.status != RunStatus::failed || outcome.index >= plan.runs.size() || lines.count(outcome.index)) continue;
    const SweepRun& run = plan.runs[outcome.index];
    std::string error = outcome.error;
    std::replace(error.begin(), error.end(), '\n', ' ');
    lines.emplace(outcome.index, std::to_string(outcome.index) + " " + plan.scenarios[run.scenario].name + " " +
                                     run.identity + ": " + error);
  }
  const fs::path log = output_dir / kFailuresLog;
  std::vector<std::string> out;
  for (auto& [index, line] : lines) out.push_back(std::move(line));
  if (out.empty()) {
    fs::remove(log, ec);
  } else {
    std::string text;
    for (const auto& line : out) text += line + "\n";
    write_text_atomically(log, text, false);
  }
  return out;
}

}  // namespace convsim
