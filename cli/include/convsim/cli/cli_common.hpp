// Pieces shared by the subcommands: thread control, progress display, output paths.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <tbb/global_control.h>

#include "convsim/scenario.hpp"

namespace convsim::cli {

// Limits TBB to `threads` worker threads for the lifetime of the object (0: all cores).
std::unique_ptr<tbb::global_control> limit_threads(int threads);

// Shows progress: a bar redrawn in place on a terminal, a log line every few seconds otherwise.
class Progress {
 public:
  Progress(std::string label, bool quiet);
  // Reports `done` of `total` units.
  void update(int done, int total);
  // Ends the bar (newline on a terminal).
  void finish();

 private:
  std::string label_;
  bool quiet_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

// ", 2.5 runs/s, ETA 1 min 12 s": the rate of `worked` units over `elapsed` seconds and the time
// the `remaining` ones would take at it; "" until a unit is done.
std::string rate_and_eta(std::size_t worked, std::size_t remaining, double elapsed, const char* unit);

// The Python interpreter for the plotting scripts: $CONVSIM_PYTHON, else Debian's /usr/bin/python3
// (which has python3-matplotlib), else python3 on the PATH.
std::string python_interpreter();

// Runs a program with arguments (no shell, found on the PATH), flushing stdout and stderr first;
// returns its exit status (127 when it cannot be started, 128 + signal when killed).
int run_program(const std::vector<std::string>& argv);

// Default result path for a scenario: <scenario stem>.h5 in the working directory.
std::string default_result_path(const std::string& scenario_path);

// Prints each warning on stderr as "convsim: warning: <text>" (the command goes on).
void print_warnings(const std::vector<std::string>& warnings);
// print_warnings of a scenario's warnings (ScenarioWarning::text).
void print_warnings(const Scenario& scenario);

}  // namespace convsim::cli
