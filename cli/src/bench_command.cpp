// convsim bench: engine throughput at 10^5..10^7 firms (firm-steps/s, ns per firm-step, memory
// per firm, 1 -> 2 thread speed-up, instructions per firm-step where the hardware counts them) on
// the full model step, each measurement in its own process. Figures go to docs/performance.md.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <spawn.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <fstream>
#include <sstream>
#include <string>
#include <filesystem>
#include <sys/resource.h>
#include <fcntl.h>
#include <cerrno>
#include <cstdlib>
#include <iterator>
#include <unistd.h>

#include <yaml-cpp/yaml.h>

#include "convsim/analysis/json_writer.hpp"
#include "convsim/models/firm_kernels.hpp"
#include "convsim/cli/cli_common.hpp"
#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"
#include "convsim/models/economy.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/models/step.hpp"
#include "convsim/output_file.hpp"
#include "convsim/output_path.hpp"
#include "convsim/parallel.hpp"
#include "convsim/result_file.hpp"
#include "convsim/policy_schedule.hpp"
#include "convsim/scenario.hpp"

extern "C" char** environ;

namespace convsim::cli {
namespace {

struct BenchArgs {
  std::vector<long long> firms{100000, 1000000, 10000000};
  int steps = 10;
  double mean_degree = 8;
  std::vector<int> threads{1, 2};
  std::string scenario;
  bool output_cost = false;
  int repeat = 1;
  std::string json;      // write the measurements here
  std::string baseline;  // a previous build's --json file to compare with
  bool one = false;      // internal: measure one (firms, threads) in this process, print one line
  long long callgrind_firms = 0;  // > 0: also count instructions per firm-step under callgrind at this size
};

// Resident memory now, bytes (from /proc/self/statm).
double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * 4096.0;
}

// Counts user-space instructions of this thread and the threads it starts (the perf stat way,
// perf_event_open); unavailable on machines without hardware counters (many VMs).
class InstructionCounter {
 public:
  InstructionCounter() {
    perf_event_attr attr{};
    attr.type = PERF_TYPE_HARDWARE;
    attr.size = sizeof(attr);
    attr.config = PERF_COUNT_HW_INSTRUCTIONS;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    attr.inherit = 1;
    fd_ = static_cast<int>(::syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  }
  ~InstructionCounter() {
    if (fd_ >= 0) ::close(fd_);
  }
  InstructionCounter(const InstructionCounter&) = delete;
  InstructionCounter& operator=(const InstructionCounter&) = delete;
  void start() {
    if (fd_ < 0) return;
    ::ioctl(fd_, PERF_EVENT_IOC_RESET, 0);
    ::ioctl(fd_, PERF_EVENT_IOC_ENABLE, 0);
  }
  // Instructions since start(), or -1 when the counter is unavailable.
  double stop() {
    if (fd_ < 0) return -1;
    ::ioctl(fd_, PERF_EVENT_IOC_DISABLE, 0);
    long long count = 0;
    if (::read(fd_, &count, sizeof(count)) != static_cast<ssize_t>(sizeof(count))) return -1;
    return static_cast<double>(count);
  }

 private:
  int fd_ = -1;
};

struct Measure {
  double build_seconds = 0;
  double step_seconds = 0;
  double state_bytes = 0;
  double firms_per_step = 0;  // alive firms at the start of a step, averaged over the steps
  double instructions = -1;   // per firm-step (threads summed), -1 when not measurable
  double peak_bytes = 0;      // the measuring process's peak resident set (getrusage ru_maxrss)
};

Measure measure(const Scenario& scenario, int steps, int threads) {
  const auto limit = limit_threads(threads);
  InstructionCounter counter;
  const double before = resident_bytes();
  const auto t0 = std::chrono::steady_clock::now();
  models::Economy economy = models::build_economy(scenario);
  const auto t1 = std::chrono::steady_clock::now();
  models::StepAggregates out;
  // Firms actually updated: those alive at the start of each step (entry and exit change it).
  double updated = 0;
  double alive = deterministic_sum(economy.firms.size(), [&](std::size_t i) { return double(economy.firms.alive[i]); });
  counter.start();
  for (int t = 0; t < steps; ++t) {
    updated += alive;
    models::advance(scenario, economy, policy_at(scenario, scenario.year_of_step(t)), out);
    alive = out.total(models::kFirms);
  }
  const double instructions = counter.stop();
  const auto t2 = std::chrono::steady_clock::now();
  Measure m;
  m.build_seconds = std::chrono::duration<double>(t1 - t0).count();
  m.step_seconds = std::chrono::duration<double>(t2 - t1).count() / steps;
  m.firms_per_step = updated / steps;
  m.state_bytes = resident_bytes() - before;
  m.instructions = instructions >= 0 ? instructions / updated : -1;
  return m;
}

// Share of a run's time spent writing its result when only aggregates are written (no snapshots).
int run_output_cost(const BenchArgs& args) {
  const std::string path = args.scenario.empty() ? std::string(CONVSIM_SOURCE_DIR) + "/scenarios/korea_baseline.yaml" : args.scenario;
  std::printf("convsim bench --output-cost: %s, aggregates only\n", path.c_str());
  std::printf("%10s %12s %12s %10s\n", "firms", "simulate s", "write s", "write %");
  const std::string out = std::filesystem::temp_directory_path() / ("convsim-bench-" + std::to_string(::getpid()) + ".h5");
  for (long long n : args.firms) {
    const Scenario scenario = load_scenario(path, {"economy.firms=" + std::to_string(n)});
    check_memory(scenario);
    models::RunOptions options;
    options.firm_snapshots = false;
    const auto t0 = std::chrono::steady_clock::now();
    const RunResult result = models::simulate(scenario, options);
    const auto t1 = std::chrono::steady_clock::now();
    write_result(result, out);
    const auto t2 = std::chrono::steady_clock::now();
    const double simulate_s = std::chrono::duration<double>(t1 - t0).count();
    const double write_s = std::chrono::duration<double>(t2 - t1).count();
    std::printf("%10lld %12.3f %12.4f %9.2f%%\n", n, simulate_s, write_s, 100.0 * write_s / (simulate_s + write_s));
    std::filesystem::remove(out);
  }
  return kExitOk;
}

// The scenario a measurement runs: the built-in defaults or --scenario, at the size and degree asked.
Scenario bench_scenario(const BenchArgs& args, long long n) {
  const Scenario scenario = args.scenario.empty() ? build_scenario(ScenarioDocument::parse("name: bench\n", "<bench>"))
                                                  : load_scenario(args.scenario);
  ScenarioDocument doc = ScenarioDocument::parse(scenario.resolved_yaml, "<bench>");
  doc.apply_override("economy.firms=" + std::to_string(n));
  doc.apply_override("network.mean_degree=" + std::to_string(args.mean_degree));
  return build_scenario(doc);
}

// --one: measures in this process and prints "build_s step_s firms_per_step state_bytes
// instructions" on one line (the parent adds this process's peak memory).
int run_one(const BenchArgs& args) {
  const Scenario sized = bench_scenario(args, args.firms.front());
  check_memory(sized);
  const Measure m = measure(sized, args.steps, args.threads.front());
  std::printf("%.17g %.17g %.17g %.17g %.17g\n", m.build_seconds, m.step_seconds, m.firms_per_step, m.state_bytes,
              m.instructions);
  return kExitOk;
}

// What a child process printed and how it ended; spawn_error is posix_spawn's error (ENOENT: no
// such program) when it did not start.
struct ChildOutput {
  std::string out;
  int status = 0;
  struct rusage usage {};
  int spawn_error = 0;
  bool ok() const { return spawn_error == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

// Runs `program` (a path; or with `search_path`, a name looked up on PATH as a shell would) with
// `argv` (argv[0] included), its stdout read back and its stderr sent to `error_file` (empty:
// inherited).
ChildOutput run_child(const std::string& program, std::vector<std::string> argv, const std::string& error_file = "",
                      bool search_path = false) {
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("bench: pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  if (!error_file.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, error_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  pid_t pid = 0;
  const int spawned = search_path ? ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, raw.data(), environ)
                                  : ::posix_spawn(&pid, program.c_str(), &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  ChildOutput child;
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    child.spawn_error = spawned;
    return child;
  }
  char buffer[512];
  for (ssize_t got; (got = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) child.out.append(buffer, static_cast<std::size_t>(got));
  ::close(pipe_fds[0]);
  ::wait4(pid, &child.status, 0, &child.usage);
  return child;
}

// The arguments of a --one measurement.
std::vector<std::string> one_arguments(const BenchArgs& args, long long n, int threads, int steps) {
  std::vector<std::string> argv = {"bench", "--one", "--firms", std::to_string(n), "--threads",
                                   std::to_string(threads), "--steps", std::to_string(steps), "--mean-degree",
                                   std::to_string(args.mean_degree)};
  if (!args.scenario.empty()) {
    argv.push_back("--scenario");
    argv.push_back(args.scenario);
  }
  return argv;
}

// Runs one measurement in a fresh process (this executable with --one), so that its peak memory
// is its own and no measurement inherits another's heap or cache state.
Measure measure_in_child(const BenchArgs& args, long long n, int threads) {
  std::vector<std::string> argv = one_arguments(args, n, threads, args.steps);
  argv.insert(argv.begin(), "convsim");
  const ChildOutput child = run_child("/proc/self/exe", argv);
  if (child.spawn_error != 0) {
    throw std::runtime_error("bench: cannot start a measuring process: " + std::string(std::strerror(child.spawn_error)));
  }
  Measure m;
  std::istringstream in(child.out);
  if (!child.ok() || !(in >> m.build_seconds >> m.step_seconds >> m.firms_per_step >> m.state_bytes >> m.instructions)) {
    throw std::runtime_error("bench: the measurement of " + std::to_string(n) + " firms on " + std::to_string(threads) +
                             " threads failed (exit status " + std::to_string(child.status) + ")");
  }
  m.peak_bytes = static_cast<double>(child.usage.ru_maxrss) * 1024.0;
  return m;
}

// The step under callgrind: instructions per firm-step of models::advance and all it calls, on
// one thread, counted by valgrind (deterministic, so builds compare exactly on a noisy host; for
// hosts without hardware counters). scripts/instructions-per-firm-step.sh counts the same way.
struct CallgrindCount {
  long long firms = 0;
  int steps = 0;
  double instructions_per_firm_step = -1;
};

CallgrindCount count_under_callgrind(const BenchArgs& args) {
  CallgrindCount count;
  count.firms = args.callgrind_firms;
  count.steps = std::min(args.steps, 8);
  const std::string stem = (std::filesystem::temp_directory_path() / ("convsim-callgrind-" + std::to_string(::getpid()))).string();
  const std::string out_file = stem + ".out", log_file = stem + ".log";
  std::vector<std::string> argv = {"valgrind", "--tool=callgrind", "--callgrind-out-file=" + out_file,
                                   "--toggle-collect=convsim::models::advance(convsim::Scenario const&, convsim::models::Economy&, "
                                   "convsim::PolicyState const&, convsim::models::StepAggregates&)",
                                   std::filesystem::read_symlink("/proc/self/exe").string()};
  for (const std::string& a : one_arguments(args, count.firms, 1, count.steps)) argv.push_back(a);
  const ChildOutput child = run_child("valgrind", argv, log_file, true);
  if (child.spawn_error == ENOENT) {
    std::filesystem::remove(log_file);
    throw InputError("<command line>", 0, "--callgrind", "valgrind is not installed (apt-get install valgrind)");
  }
  if (child.spawn_error != 0) {
    throw std::runtime_error("bench --callgrind: cannot start valgrind: " + std::string(std::strerror(child.spawn_error)));
  }
  double build = 0, step = 0, firms_per_step = 0;
  std::istringstream line(child.out);
  const bool measured = child.ok() && static_cast<bool>(line >> build >> step >> firms_per_step);
  // callgrind's totals line: "summary: N" (or "totals: N" in older files), the collected events.
  double total = -1;
  std::ifstream in(out_file);
  for (std::string text; std::getline(in, text);) {
    if (text.rfind("summary:", 0) == 0 || (total < 0 && text.rfind("totals:", 0) == 0)) {
      total = std::strtod(text.c_str() + text.find(':') + 1, nullptr);
    }
  }
  std::string log;
  if (!measured || total < 0) {
    std::ifstream err(log_file);
    log.assign(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
  }
  std::filesystem::remove(out_file);
  std::filesystem::remove(log_file);
  if (!measured || total < 0 || firms_per_step <= 0) {
    throw std::runtime_error("bench --callgrind: the run under valgrind failed (exit status " +
                             std::to_string(child.status) + ")" + (log.empty() ? "" : ":\n" + log));
  }
  count.instructions_per_firm_step = total / (firms_per_step * count.steps);
  return count;
}

// All repeats of one (firms, threads) cell.
struct Cell {
  long long firms = 0;
  int threads = 0;
  std::vector<Measure> runs;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return std::nan("");
  const std::size_t k = v.size() / 2;
  return v.size() % 2 ? v[k] : 0.5 * (v[k - 1] + v[k]);
}

template <typename F>
std::vector<double> collect(const Cell& cell, F&& f) {
  std::vector<double> out;
  for (const Measure& m : cell.runs) out.push_back(f(m));
  return out;
}

double rate_of(const Measure& m) { return m.firms_per_step / m.step_seconds; }

// "a" or "a-b" (min-max over repeats) in printf format `format`.
std::string range_text(const std::vector<double>& v, const char* format) {
  char low[64], high[64];
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  std::snprintf(low, sizeof(low), format, *lo);
  std::snprintf(high, sizeof(high), format, *hi);
  return v.size() == 1 || std::string(low) == high ? std::string(low) : std::string(low) + "-" + high;
}

void write_json(const BenchArgs& args, const std::vector<Cell>& cells, const CallgrindCount& callgrind) {
  std::ostringstream text;
  analysis::JsonWriter json(text);
  json.begin_object();
  json.key("convsim_bench").value(1);
  json.key("revision").value(convsim_git_revision());
  json.key("scenario").value(args.scenario.empty() ? "built-in defaults" : args.scenario);
  json.key("steps").value(args.steps);
  json.key("mean_degree").value(args.mean_degree);
  json.key("firm_kernels").value(models::firm_kernel_isa());
  json.key("measurements").begin_array();
  for (const Cell& cell : cells) {
    json.begin_object();
    json.key("firms").value(cell.firms);
    json.key("threads").value(cell.threads);
    auto array = [&](const char* name, std::vector<double> values) {
      json.key(name).begin_array();
      for (double v : values) json.value(v);
      json.end_array();
    };
    array("firm_steps_per_second", collect(cell, rate_of));
    array("build_seconds", collect(cell, [](const Measure& m) { return m.build_seconds; }));
    array("peak_bytes", collect(cell, [](const Measure& m) { return m.peak_bytes; }));
    array("instructions_per_firm_step", collect(cell, [](const Measure& m) { return m.instructions; }));
    json.end_object();
  }
  json.end_array();
  if (callgrind.firms > 0) {
    json.key("callgrind").begin_object();
    json.key("firms").value(callgrind.firms);
    json.key("steps").value(callgrind.steps);
    json.key("threads").value(1);
    json.key("instructions_per_firm_step").value(callgrind.instructions_per_firm_step);
    json.end_object();
  }
  json.end_object();
  text << "\n";
  write_file_atomically(args.json, text.str());
}

// The previous build's medians by (firms, threads), from its --json file, and its callgrind count
// (firms 0 when it has none).
struct Baseline {
  std::map<std::pair<long long, int>, std::pair<double, double>> medians;
  CallgrindCount callgrind;
  bool empty() const { return medians.empty(); }
};

Baseline read_baseline(const std::string& path) {
  Baseline baseline;
  auto& out = baseline.medians;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw InputError(path, e.mark.line + 1, "", std::string("not a convsim bench --json file: ") + e.msg);
  }
  const YAML::Node measurements = root["measurements"];
  if (!root.IsMap() || !root["convsim_bench"] || !measurements || !measurements.IsSequence()) {
    throw InputError(path, 1, "measurements", "not a convsim bench --json file (no 'measurements' list)");
  }
  for (const YAML::Node& m : measurements) {
    try {
      std::vector<double> rates, peaks;
      for (const YAML::Node& r : m["firm_steps_per_second"]) rates.push_back(r.as<double>());
      for (const YAML::Node& p : m["peak_bytes"]) peaks.push_back(p.as<double>());
      out[{m["firms"].as<long long>(), m["threads"].as<int>()}] = {median(rates), median(peaks)};
    } catch (const YAML::Exception& e) {
      throw InputError(path, e.mark.line + 1, "measurements", "a measurement lacks firms, threads or figures: " + e.msg);
    }
  }
  if (const YAML::Node c = root["callgrind"]) {
    try {
      baseline.callgrind = {c["firms"].as<long long>(), c["steps"].as<int>(), c["instructions_per_firm_step"].as<double>()};
    } catch (const YAML::Exception& e) {
      throw InputError(path, e.mark.line + 1, "callgrind", "needs firms, steps and instructions_per_firm_step: " + e.msg);
    }
  }
  return baseline;
}

int run_bench(const BenchArgs& args) {
  if (args.output_cost) return run_output_cost(args);
  if (args.one) return run_one(args);
  const Baseline baseline = args.baseline.empty() ? Baseline{} : read_baseline(args.baseline);
  if (!args.json.empty()) check_output_path(args.json, "the measurements", "--json");
  for (long long n : args.firms) check_memory(bench_scenario(args, n));
  std::printf("convsim bench: full model step, mean degree %.0f, %d steps per measurement, %d repeat(s) interleaved;\n"
              "firm-steps count the firms alive at the start of each step; each measurement in its own process\n"
              "(peak = its getrusage ru_maxrss); ranges are min-max over the repeats; firm kernels: %s\n",
              args.mean_degree, args.steps, args.repeat, models::firm_kernel_isa());
  std::vector<Cell> cells;
  for (long long n : args.firms) {
    for (int threads : args.threads) cells.push_back({n, threads, {}});
  }
  // Repeats interleave the cells (1 2 3 1 2 3 ...) so that a noisy spell hits all of them alike.
  for (int r = 0; r < args.repeat; ++r) {
    for (Cell& cell : cells) {
      cell.runs.push_back(measure_in_child(args, cell.firms, cell.threads));
      if (args.repeat > 1) std::fprintf(stderr, "bench: repeat %d/%d, %lld firms, %d thread(s) done\n", r + 1,
                                        args.repeat, cell.firms, cell.threads);
    }
  }
  std::printf("%10s %8s %12s %22s %14s %12s %10s %12s%s\n", "firms", "threads", "build s", "firm-steps/s", "ns/firm-step",
              "peak GB", "speed-up", "instr/step", baseline.empty() ? "" : "  vs baseline (rate, peak)");
  for (const Cell& cell : cells) {
    const std::vector<double> rates = collect(cell, rate_of);
    const Cell& reference = *std::find_if(cells.begin(), cells.end(), [&](const Cell& c) {
      return c.firms == cell.firms && c.threads == args.threads.front();
    });
    const double speed_up = median(rates) / median(collect(reference, rate_of));
    const double instructions = median(collect(cell, [](const Measure& m) { return m.instructions; }));
    char instruction_text[32];
    if (instructions >= 0) std::snprintf(instruction_text, sizeof(instruction_text), "%.0f", instructions);
    else std::snprintf(instruction_text, sizeof(instruction_text), "n/a");
    std::string versus;
    const auto old = baseline.medians.find({cell.firms, cell.threads});
    if (old != baseline.medians.end()) {
      char text[64];
      std::snprintf(text, sizeof(text), "  %.2fx, %.2fx", median(rates) / old->second.first,
                    median(collect(cell, [](const Measure& m) { return m.peak_bytes; })) / old->second.second);
      versus = text;
    }
    std::vector<double> ns;
    for (double r : rates) ns.push_back(1e9 / r);
    std::printf("%10lld %8d %12s %22s %14s %12s %10.2f %12s%s\n", cell.firms, cell.threads,
                range_text(collect(cell, [](const Measure& m) { return m.build_seconds; }), "%.2f").c_str(),
                range_text(rates, "%.3e").c_str(), range_text(ns, "%.0f").c_str(),
                range_text(collect(cell, [](const Measure& m) { return m.peak_bytes / 1e9; }), "%.2f").c_str(), speed_up,
                instruction_text, versus.c_str());
  }
  CallgrindCount callgrind;
  if (args.callgrind_firms > 0) {
    callgrind = count_under_callgrind(args);
    std::string versus;
    if (baseline.callgrind.firms == callgrind.firms && baseline.callgrind.steps == callgrind.steps &&
        baseline.callgrind.instructions_per_firm_step > 0) {
      char text[96];
      std::snprintf(text, sizeof(text), " (baseline %.0f: %.3fx)", baseline.callgrind.instructions_per_firm_step,
                    callgrind.instructions_per_firm_step / baseline.callgrind.instructions_per_firm_step);
      versus = text;
    }
    std::printf("instructions per firm-step under callgrind (%lld firms, %d steps, 1 thread): %.0f%s\n", callgrind.firms,
                callgrind.steps, callgrind.instructions_per_firm_step, versus.c_str());
  } else if (!cells.empty() && cells.front().runs.front().instructions < 0) {
    std::printf("instructions: no hardware counters here (perf_event_open); --callgrind 20000 counts them under\n"
                "valgrind on a small case\n");
  }
  if (!args.json.empty()) {
    write_json(args, cells, callgrind);
    std::printf("measurements: %s\n", args.json.c_str());
  }
  return kExitOk;
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure engine throughput (firm-steps/s, memory, thread speed-up)");
  cmd->add_option("--firms", args->firms, "Economy sizes to measure")->check(CLI::Range(1LL, 2000000000LL));
  cmd->add_option("--steps", args->steps, "Steps per measurement")->check(CLI::Range(1, 1000));
  cmd->add_option("--mean-degree", args->mean_degree, "Mean suppliers per firm")->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--threads", args->threads, "Thread counts to compare (first is the reference)");
  cmd->add_option("--scenario", args->scenario, "Scenario whose parameters to use (default: built-in defaults)");
  cmd->add_flag("--output-cost", args->output_cost, "Measure the share of run time spent writing aggregates (baseline scenario)");
  cmd->add_option("--repeat", args->repeat, "Measure every size and thread count this many times, interleaved")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--json", args->json, "Write the measurements to this JSON file (for --baseline)");
  cmd->add_option("--baseline", args->baseline, "Compare with a previous build's --json file")->check(CLI::ExistingFile);
  cmd->add_option("--callgrind", args->callgrind_firms,
                  "Also count instructions per firm-step under valgrind's callgrind at this many firms (one thread, "
                  "min(steps, 8) steps): exact on a noisy host, for machines without hardware counters")
      ->check(CLI::Range(1LL, 10000000LL));
  cmd->add_flag("--one", args->one, "Internal: one measurement in this process")->group("");
  cmd->callback([args, &exit_code] { exit_code = run_bench(*args); });
}

}  // namespace convsim::cli
