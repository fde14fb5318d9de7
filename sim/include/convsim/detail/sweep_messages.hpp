// The one-line text form of a RunOutcome that sweep workers send to their manager (over MPI or a
// pipe): "index status seconds simulate_seconds error", the error with backslash and newline
// escaped so that the line stays one line.
#pragma once

#include <sstream>
#include <string>

#include "convsim/sweep_executor.hpp"

namespace convsim::detail {

// The outcome as one line (without the trailing newline).
inline std::string encode_outcome(const RunOutcome& outcome) {
  std::ostringstream out;
  out.precision(17);
  out << outcome.index << ' ' << static_cast<int>(outcome.status) << ' ' << outcome.seconds << ' '
      << outcome.simulate_seconds << ' ';
  for (char c : outcome.error) {
    if (c == '\\') {
      out << "\\\\";
    } else if (c == '\n') {
      out << "\\n";
    } else {
      out << c;
    }
  }
  return out.str();
}

// Parses a line written by encode_outcome; false when it is not one.
inline bool decode_outcome(const std::string& line, RunOutcome& outcome) {
  std::istringstream in(line);
  int status = -1;
  if (!(in >> outcome.index >> status >> outcome.seconds >> outcome.simulate_seconds)) return false;
  if (status < 0 || status > static_cast<int>(RunStatus::failed)) return false;
  outcome.status = static_cast<RunStatus>(status);
  in.get();  // the space before the error text
  std::string raw;
  std::getline(in, raw, '\0');
  outcome.error.clear();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) {
      outcome.error += raw[i + 1] == 'n' ? '\n' : raw[i + 1];
      ++i;
    } else {
      outcome.error += raw[i];
    }
  }
  return true;
}

}  // namespace convsim::detail
