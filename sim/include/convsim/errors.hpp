// Errors that reach the user. InputError is bad input (scenario, sweep, data file, command line):
// the CLI turns it into exit code 2 and one message naming file, line and key.
#pragma once

#include <stdexcept>
#include <string>

namespace convsim {

// Exit codes of the convsim executable.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // a run failed for a reason other than its input
inline constexpr int kExitBadInput = 2;

// Bad user input. `line` is 1-based; 0 when the input has no lines (a command-line value).
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, int line, std::string key, const std::string& message);

  // The file (or "<command line>") that held the bad input.
  const std::string& file() const noexcept { return file_; }
  // 1-based line, or 0 when unknown.
  int line() const noexcept { return line_; }
  // The dotted key path (e.g. "sectors.health_care.barrier"), or empty.
  const std::string& key() const noexcept { return key_; }
  // The message without the location prefix.
  const std::string& detail() const noexcept { return detail_; }

 private:
  std::string file_;
  int line_;
  std::string key_;
  std::string detail_;
};

}  // namespace convsim
