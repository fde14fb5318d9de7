// convsim: the command-line entry point. Subcommands live in cli/src/<name>_command.cpp.
#include <csignal>
#include <iostream>

#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"

int main(int argc, char** argv) {
  // Past a file size limit (ulimit -f) a write then fails with EFBIG, which every writer reports
  // and cleans up after, instead of SIGXFSZ killing the process with a partial temporary file.
  std::signal(SIGXFSZ, SIG_IGN);
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
