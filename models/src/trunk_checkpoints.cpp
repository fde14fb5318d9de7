// Shared trunk checkpoints for sweeps with `branch_from` (checkpoint.hpp, TrunkCheckpoints).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <system_error>

#include "convsim/models/checkpoint.hpp"
#include "convsim/errors.hpp"
#include "convsim/scenario_document.hpp"

namespace convsim::models {
namespace {

namespace fs = std::filesystem;

// Trunks kept in memory per process: a sweep runs scenario-major, so the branches of one trunk
// are far apart in the plan; the folder holds every trunk, memory the latest few.
constexpr std::size_t kTrunksInMemory = 2;

// An exclusive lock on `path` (an open file description lock, released when closed), held for
// the lifetime of the object. Where the file system has no locks (some NFS and Lustre mounts) it
// holds nothing: two processes may then compute the same trunk, which gives the same bits.
class FileLock {
 public:
  explicit FileLock(const fs::path& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return;
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    while (::fcntl(fd_, F_OFD_SETLKW, &lock) != 0 && errno == EINTR) {
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

struct TrunkCheckpoints::State {
  fs::path folder;
  double year = 0;
  RunOptions options;
  std::mutex mutex;                     // guards everything below
  std::map<std::string, std::shared_ptr<std::mutex>> key_mutexes;  // one computation per trunk in this process
  std::list<std::pair<std::string, std::shared_ptr<const Checkpoint>>> recent;  // most recent first
  Counts counts;

  std::shared_ptr<const Checkpoint> cached(const std::string& key) {
    for (auto it = recent.begin(); it != recent.end(); ++it) {
      if (it->first == key) {
        recent.splice(recent.begin(), recent, it);
        return it->second;
      }
    }
    return nullptr;
  }
  void keep(const std::string& key, std::shared_ptr<const Checkpoint> checkpoint) {
    recent.emplace_front(key, std::move(checkpoint));
    while (recent.size() > kTrunksInMemory) recent.pop_back();
  }
};

TrunkCheckpoints::TrunkCheckpoints(fs::path folder, double year, RunOptions options) : state_(std::make_unique<State>()) {
  state_->folder = std::move(folder);
  state_->year = year;
  state_->options = std::move(options);
  state_->options.progress = nullptr;
  state_->options.preparation = nullptr;
}

TrunkCheckpoints::~TrunkCheckpoints() = default;

TrunkCheckpoints::Counts TrunkCheckpoints::counts() const {
  std::lock_guard lock(state_->mutex);
  return state_->counts;
}

RunResult TrunkCheckpoints::run(const Scenario& scenario) {
  State& s = *state_;
  const int steps_done = step_starting_in(scenario, s.year);
  if (steps_done < 0) throw std::runtime_error("branch_from " + step_start_problem(scenario, s.year, scenario.name));
  const std::string key = trunk_key(scenario, steps_done);
  std::shared_ptr<const Checkpoint> trunk;
  std::shared_ptr<std::mutex> key_mutex;
  {
    std::lock_guard lock(s.mutex);
    trunk = s.cached(key);
    auto& slot = s.key_mutexes[key];
    if (!slot) slot = std::make_shared<std::mutex>();
    key_mutex = slot;
  }
  if (!trunk) {
    std::lock_guard computing(*key_mutex);
    {
      std::lock_guard lock(s.mutex);
      trunk = s.cached(key);
    }
    if (!trunk) {
      bool loaded = false;
      std::shared_ptr<Checkpoint> made;
      if (s.folder.empty()) {
        made = std::make_shared<Checkpoint>(run_to_checkpoint(scenario, steps_done, s.options));
      } else {
        std::error_code ec;
        fs::create_directories(s.folder, ec);
        const fs::path path = s.folder / (key + ".h5");
        const FileLock file_lock(s.folder / (key + ".lock"));
        if (fs::exists(path, ec)) {
          try {
            auto found = std::make_shared<Checkpoint>(load_checkpoint(path));
            // A file of this name is this trunk's unless the folder was tampered with: check.
            Scenario saved = build_scenario(checkpoint_document(*found, path.string()));
            saved.resolved_yaml = found->partial.scenario_yaml;
            if (found->steps_done == steps_done && !branch_mismatch(saved, scenario, steps_done)) {
              made = std::move(found);
              loaded = true;
            }
          } catch (const std::exception&) {
            // A damaged or foreign file: computed again below and replaced.
          }
        }
        if (!made) {
          made = std::make_shared<Checkpoint>(run_to_checkpoint(scenario, steps_done, s.options));
          save_checkpoint(*made, path);
        }
      }
      trunk = made;
      std::lock_guard lock(s.mutex);
      s.keep(key, trunk);
      (loaded ? s.counts.loaded : s.counts.computed) += 1;
    }
  }
  Checkpoint mine = *trunk;  // each run continues its own copy of the shared state
  RunResult result = continue_run(scenario, std::move(mine), s.options);
  std::lock_guard lock(s.mutex);
  s.counts.runs += 1;
  return result;
}

void check_branch_from(const SweepPlan& plan) {
  if (std::isnan(plan.branch_from)) return;
  for (const SweepScenario& entry : plan.scenarios) {
    const std::string problem = step_start_problem(build_scenario(entry.document), plan.branch_from, "scenario " + entry.name);
    if (!problem.empty()) throw InputError(plan.branch_from_where.file, plan.branch_from_where.line, "branch_from", problem);
  }
}

RunSimulator sweep_simulator(const SweepPlan& plan, const fs::path& output_dir, const RunOptions& options) {
  check_branch_from(plan);
  if (std::isnan(plan.branch_from)) {
    return [options](const Scenario& scenario) { return simulate(scenario, options); };
  }
  auto trunks = std::make_shared<TrunkCheckpoints>(output_dir / "checkpoints", plan.branch_from, options);
  return [trunks](const Scenario& scenario) { return trunks->run(scenario); };
}

}  // namespace convsim::models
