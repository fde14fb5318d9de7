#include "convsim/output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

namespace convsim {

void write_new_file(const std::filesystem::path& path, const void* data, std::size_t size, bool sync) {
  auto failure = [&](const char* what) {
    return std::runtime_error("cannot write " + path.string() + ": " + what + ": " + std::strerror(errno));
  };
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw failure("cannot create it");
  const char* next = static_cast<const char*>(data);
  std::size_t left = size;
  while (left > 0) {
    const ssize_t written = ::write(fd, next, left);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      if (written == 0) errno = ENOSPC;
      const auto error = failure("write failed");
      ::close(fd);
      throw error;
    }
    next += written;
    left -= static_cast<std::size_t>(written);
  }
  if (sync && ::fsync(fd) != 0) {
    const auto error = failure("fsync failed");
    ::close(fd);
    throw error;
  }
  if (::close(fd) != 0) throw failure("close failed");
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes, bool sync) {
  std::filesystem::path temporary = path;
  temporary += ".tmp." + std::to_string(::getpid());
  std::error_code ec;
  try {
    write_new_file(temporary, bytes.data(), bytes.size(), sync);
    std::filesystem::rename(temporary, path, ec);
    if (ec) throw std::runtime_error("cannot write " + path.string() + ": cannot rename the temporary file onto it: " + ec.message());
  } catch (...) {
    std::filesystem::remove(temporary, ec);
    throw;
  }
}

}  // namespace convsim
