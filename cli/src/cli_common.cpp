#include "convsim/cli/cli_common.hpp"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <unistd.h>

#include <spdlog/spdlog.h>

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

void Progress::update(int done, int total) {
  if (quiet_ || total <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (terminal_) {
    constexpr int kWidth = 30;
    const int filled = done * kWidth / total;
    std::fprintf(stderr, "\r%s [%.*s%*s] %d/%d %.1fs", label_.c_str(), filled, "##############################",
                 kWidth - filled, "", done, total, elapsed);
    std::fflush(stderr);
  } else if (done == total || now - last_ > std::chrono::seconds(5)) {
    spdlog::info("{}: step {}/{} ({:.1f} s)", label_, done, total, elapsed);
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

}  // namespace convsim::cli
