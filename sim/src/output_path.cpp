#include "convsim/output_path.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "convsim/errors.hpp"

namespace convsim {

std::string output_folder_problem(const std::filesystem::path& folder) {
  const std::filesystem::path dir = folder.empty() ? std::filesystem::path(".") : folder;
  const std::string name = "'" + dir.string() + "'";
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return "the folder " + name + " does not exist";
  if (!std::filesystem::is_directory(dir, ec)) return name + " is not a folder";
  // A probe file says more than access(2): it sees read-only mounts, quotas and ACLs.
  const std::filesystem::path probe = dir / (".convsim-probe." + std::to_string(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int error = errno;
    if (error != EEXIST) return "the folder " + name + " is not writable: " + std::strerror(error);
  } else {
    ::close(fd);
    ::unlink(probe.c_str());
  }
  struct statvfs space {};
  if (::statvfs(dir.c_str(), &space) == 0 && space.f_bavail == 0) {
    return "the file system of " + name + " is full: " + std::strerror(ENOSPC);
  }
  return {};
}

namespace {

// Throws for a folder that cannot take files: InputError (exit code 2: the command line names a
// place convsim cannot write to) unless the folder is merely full, a state of the machine.
void refuse_folder_problem(const std::filesystem::path& folder, const std::string& prefix, const std::string& option) {
  const std::string problem = output_folder_problem(folder);
  if (problem.empty()) return;
  if (problem.rfind("the file system of ", 0) == 0) throw std::runtime_error(prefix + problem);
  throw InputError("<command line>", 0, option, prefix + problem);
}

}  // namespace

void check_output_path(const std::filesystem::path& path, const std::string& what, const std::string& option) {
  const std::filesystem::path folder = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  const std::string prefix = "cannot write " + what + " '" + path.string() + "': ";
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    // A folder that is not there is a wrong path on the command line, not a fault of the disk.
    throw InputError("<command line>", 0, option,
                     prefix + "the folder '" + folder.string() +
                         (std::filesystem::exists(folder, ec) ? "' is not a folder" : "' does not exist"));
  }
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError("<command line>", 0, option, prefix + "it is a folder; give a file name");
  }
  refuse_folder_problem(folder, prefix, option);
}

void check_output_folder(const std::filesystem::path& folder, const std::string& what, const std::string& option) {
  const std::string prefix = "cannot write " + what + " into '" + folder.string() + "': ";
  // The folder, or the nearest folder above it that exists (it will be created below that one).
  std::filesystem::path existing = folder.empty() ? std::filesystem::path(".") : folder;
  std::error_code ec;
  while (!std::filesystem::exists(existing, ec) && existing.has_relative_path() && existing.has_parent_path() &&
         existing.parent_path() != existing) {
    existing = existing.parent_path();
  }
  if (!std::filesystem::exists(existing, ec)) existing = ".";
  if (!std::filesystem::is_directory(existing, ec)) {
    throw InputError("<command line>", 0, option, prefix + "'" + existing.string() + "' is not a folder");
  }
  refuse_folder_problem(existing, prefix, option);
}

std::string describe_write_failure(const std::filesystem::path& path, const std::string& what, const std::string& error) {
  const std::string problem = output_folder_problem(path.parent_path());
  return "cannot write " + what + " '" + path.string() + "': " + (problem.empty() ? error : problem + " (" + error + ")");
}

}  // namespace convsim
