// convsim version: the convsim version and git revision, and the versions of the libraries this
// executable was built with (HDF5 and TBB as loaded at run time, the header-only ones as compiled).
#include <CLI/Version.hpp>
#include <Eigen/Core>
#include <boost/version.hpp>
#include <oneapi/tbb/version.h>
#include <spdlog/version.h>

#include <iostream>
#include <sstream>
#include <string>

#include "convsim/cli/commands.hpp"
#include "convsim/errors.hpp"
#include "convsim/result_file.hpp"

namespace convsim::cli {
namespace {

std::string boost_version() {
  return std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) +
         "." + std::to_string(BOOST_VERSION % 100);
}

void print_versions(std::ostream& out) {
  std::ostringstream text;
  text << "convsim " << convsim_version() << " (git " << convsim_git_revision() << ")\n";
  auto row = [&](const char* name, const std::string& version) {
    text << "  " << name << std::string(12 - std::string(name).size(), ' ') << version << "\n";
  };
  row("HDF5", hdf5_library_version());
  row("oneTBB", TBB_runtime_version());
  // yaml-cpp publishes no version in its headers.
  row("yaml-cpp", "linked");
  row("Boost", boost_version());
  row("Eigen", std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
                   std::to_string(EIGEN_MINOR_VERSION));
  row("CLI11", CLI11_VERSION);
  row("spdlog", std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) + "." +
                    std::to_string(SPDLOG_VER_PATCH));
#ifdef CONVSIM_HAVE_MPI
  row("MPI", "sweep executor built");
#else
  row("MPI", "not built (no MPI sweep executor)");
#endif
  out << text.str() << std::flush;
}

}  // namespace

void add_version_command(CLI::App& app, int& exit_code) {
  CLI::App* command = app.add_subcommand(
      "version", "Show the convsim version, its git revision and the versions of its libraries");
  command->callback([&exit_code] {
    print_versions(std::cout);
    exit_code = kExitOk;
  });
}

}  // namespace convsim::cli
