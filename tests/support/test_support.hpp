// Helpers shared by the test suites: run the convsim executable, make temporary folders, read files.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace convsim::testing {

// What a finished command printed and returned.
struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Whether `part` occurs in `text` (for checking messages and printed output).
inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// A fresh folder under the system temp dir, removed when the object goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "convsim-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Runs a shell command line, capturing stdout and stderr separately.
inline CommandResult run_shell(const std::string& command) {
  TempDir dir;
  const auto out_path = dir / "stdout";
  const auto err_path = dir / "stderr";
  const std::string full =
      command + " >'" + out_path.string() + "' 2>'" + err_path.string() + "' </dev/null";
  const int status = std::system(full.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_text(out_path);
  result.err = read_text(err_path);
  return result;
}

// Runs the built convsim executable with the given arguments (already shell-quoted as needed).
inline CommandResult run_convsim(const std::string& args) {
  return run_shell(std::string("'") + CONVSIM_BINARY + "' " + args);
}

// The source tree's path of a file, e.g. source_path("scenarios/korea_baseline.yaml").
inline std::filesystem::path source_path(const std::string& relative) {
  return std::filesystem::path(CONVSIM_SOURCE_DIR) / relative;
}

}  // namespace convsim::testing
