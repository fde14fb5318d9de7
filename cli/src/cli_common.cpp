#include "convsim/cli/cli_common.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "convsim/analysis/compare.hpp"

namespace convsim::cli {

std::unique_ptr<tbb::global_control> limit_threads(int threads) {
  if (threads <= 0) return nullptr;
  return std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                               static_cast<std::size_t>(threads));
}

Progress::Progress(std::string label, bool quiet)
    : label_(std::move(label)),
      quiet_(quiet),
      terminal_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

std::string rate_and_eta(std::size_t worked, std::size_t remaining, double elapsed, const char* unit) {
  if (worked == 0 || !(elapsed > 0)) return "";
  const double rate = static_cast<double>(worked) / elapsed;
  const double eta = static_cast<double>(remaining) / rate;
  // Three significant digits below 1,000 ("21.7"); above, whole units with thousands separators as
  // the summary prints them ("1,150"), never "1.15e+03".
  std::string rate_text;
  if (rate < 1000) {
    char digits[32];
    std::snprintf(digits, sizeof digits, "%.3g", rate);
    rate_text = digits;
  } else {
    rate_text = analysis::format_number(std::round(rate));
  }
  char buffer[96];
  if (eta < 60) {
    std::snprintf(buffer, sizeof buffer, "ETA %.0f s", eta);
  } else if (eta < 3600) {
    std::snprintf(buffer, sizeof buffer, "ETA %d min %02d s", static_cast<int>(eta / 60), static_cast<int>(eta) % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "ETA %d h %02d min", static_cast<int>(eta / 3600),
                  static_cast<int>(eta / 60) % 60);
  }
  return ", " + rate_text + " " + unit + "/s, " + buffer;
}

void Progress::update(int done, int total) {
  if (quiet_ || total <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (terminal_) {
    constexpr int kWidth = 30;
    const int filled = done * kWidth / total;
    const std::string eta = rate_and_eta(static_cast<std::size_t>(done), static_cast<std::size_t>(total - done), elapsed, "steps");
    std::fprintf(stderr, "\r%s [%.*s%*s] %d/%d %.1fs%s   ", label_.c_str(), filled, "##############################",
                 kWidth - filled, "", done, total, elapsed, eta.c_str());
    std::fflush(stderr);
  } else if (done == total || now - last_ > std::chrono::seconds(5)) {
    spdlog::info("{}: step {}/{} ({:.1f} s{})", label_, done, total, elapsed,
                 rate_and_eta(static_cast<std::size_t>(done), static_cast<std::size_t>(total - done), elapsed, "steps"));
    last_ = now;
  }
}

void Progress::finish() {
  if (!quiet_ && terminal_) std::fprintf(stderr, "\n");
}

std::string default_result_path(const std::string& scenario_path) {
  return std::filesystem::path(scenario_path).stem().string() + ".h5";
}

void print_warnings(const std::vector<std::string>& warnings) {
  for (const std::string& warning : warnings) std::fprintf(stderr, "convsim: warning: %s\n", warning.c_str());
}

void print_warnings(const Scenario& scenario) {
  std::vector<std::string> texts;
  for (const ScenarioWarning& warning : scenario.warnings) texts.push_back(warning.text());
  print_warnings(texts);
}

// The Python interpreter: $CONVSIM_PYTHON, else Debian's /usr/bin/python3 (which has
// python3-matplotlib), else python3 on the PATH.
std::string python_interpreter() {
  if (const char* env = std::getenv("CONVSIM_PYTHON"); env != nullptr && *env != '\0') return env;
  std::error_code error;
  if (std::filesystem::exists("/usr/bin/python3", error)) return "/usr/bin/python3";
  return "python3";
}

// Runs a program with arguments (no shell) and returns its exit status.
int run_program(const std::vector<std::string>& argv) {
  std::cout.flush();
  std::cerr.flush();
  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (child == 0) {
    std::vector<char*> pointers;
    for (const auto& arg : argv) pointers.push_back(const_cast<char*>(arg.c_str()));
    pointers.push_back(nullptr);
    ::execvp(pointers[0], pointers.data());
    std::fprintf(stderr, "convsim: cannot start %s: %s\n", pointers[0], std::strerror(errno));
    std::_Exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid failed: ") + std::strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace convsim::cli
