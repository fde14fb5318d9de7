// convsim: the command-line entry point. Subcommands live in cli/src/<name>_command.cpp.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <streambuf>
#include <string>

#include <unistd.h>

#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"

namespace {

// std::cout's buffer: writes through stdio's stdout (so printf and << stay in order, as with
// sync_with_stdio) and keeps the reason of the first failed write, which a stream in error
// state would not report again at exit.
class CheckedStdout : public std::streambuf {
 public:
  int first_error() const { return first_error_; }

 protected:
  int overflow(int c) override {
    if (c == EOF) return 0;
    if (std::fputc(c, stdout) == EOF) return failed(), EOF;
    return c;
  }
  std::streamsize xsputn(const char* text, std::streamsize n) override {
    const auto written = std::fwrite(text, 1, static_cast<std::size_t>(n), stdout);
    if (written < static_cast<std::size_t>(n)) failed();
    return static_cast<std::streamsize>(written);
  }
  int sync() override { return std::fflush(stdout) == 0 ? 0 : (failed(), -1); }

 private:
  void failed() {
    if (first_error_ == 0) first_error_ = errno;
  }
  int first_error_ = 0;
};

CheckedStdout checked_stdout;
std::streambuf* original_stdout = nullptr;

// Flushes standard output and reports a failed write (a full disk, a closed pipe, /dev/full):
// what a command printed is its result, so losing it is a failure, never exit code 0.
int finish_stdout(int exit_code) {
  errno = 0;
  std::cout.flush();
  const bool stream_ok = static_cast<bool>(std::cout);
  const bool stdio_ok = std::fflush(stdout) == 0 && std::ferror(stdout) == 0;
  if (original_stdout != nullptr) std::cout.rdbuf(original_stdout);  // checked_stdout dies before cout
  if (stream_ok && stdio_ok) return exit_code;
  const int error = checked_stdout.first_error() != 0 ? checked_stdout.first_error() : errno;
  std::cerr << "convsim: failed: cannot write to standard output"
            << (error != 0 ? std::string(": ") + std::strerror(error) : std::string()) << "; the output is incomplete\n";
  return exit_code == convsim::kExitOk ? convsim::kExitFailure : exit_code;
}

int run(int argc, char** argv) {
  // Past a file size limit (ulimit -f) a write then fails with EFBIG, which every writer reports
  // and cleans up after, instead of SIGXFSZ killing the process with a partial temporary file.
  std::signal(SIGXFSZ, SIG_IGN);
  // Into a file or pipe, write once at the end where possible: a failure is then seen, with its
  // reason, by the final flush rather than in the middle of some printf.
  if (::isatty(STDOUT_FILENO) == 0) std::setvbuf(stdout, nullptr, _IOFBF, std::size_t{1} << 16);
  original_stdout = std::cout.rdbuf(&checked_stdout);
  CLI::App app{"convsim: agent-based simulator of an ICT-convergence economy", "convsim"};
  app.require_subcommand(1);
  app.fallthrough(false);
  int exit_code = convsim::kExitOk;
  convsim::cli::add_run_command(app, exit_code);
  convsim::cli::add_validate_command(app, exit_code);
  convsim::cli::add_info_command(app, exit_code);
  convsim::cli::add_version_command(app, exit_code);
  convsim::cli::add_solow_command(app, exit_code);
  convsim::cli::add_bench_command(app, exit_code);
  convsim::cli::add_calibrate_command(app, exit_code);
  convsim::cli::add_compare_command(app, exit_code);
  convsim::cli::add_schema_command(app, exit_code);
  convsim::cli::add_sweep_command(app, exit_code);
  convsim::cli::add_merge_command(app, exit_code);
  convsim::cli::add_facts_command(app, exit_code);
  convsim::cli::add_sensitivity_command(app, exit_code);
  convsim::cli::add_discover_command(app, exit_code);
  convsim::cli::add_export_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return convsim::kExitBadInput;
  } catch (const convsim::InputError& e) {
    std::cerr << "convsim: error: " << e.what() << "\n";
    return convsim::kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "convsim: failed: " << e.what() << "\n";
    return convsim::kExitFailure;
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) { return finish_stdout(run(argc, argv)); }
