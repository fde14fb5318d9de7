#include "convsim/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "convsim/errors.hpp"

namespace convsim {
namespace {

std::string mebibytes(std::uintmax_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

// Closes a file descriptor when it goes out of scope.
struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string read_input_file(const std::filesystem::path& path, const std::string& what,
                            const InputFileContext& context, std::uintmax_t max_bytes) {
  const std::string name = path.string();
  auto refuse = [&](const std::string& why) -> InputError {
    if (context.file.empty()) return InputError(name, 0, "", why);
    return InputError(context.file, context.line, context.key, "'" + name + "': " + why);
  };
  // O_NONBLOCK: opening a fifo must not wait for a writer; the type is checked on the open file.
  const FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  if (file.fd < 0) {
    throw refuse("cannot open the " + what + ": " + std::strerror(errno));
  }
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) throw refuse("cannot read the " + what + ": " + std::strerror(errno));
  if (S_ISDIR(info.st_mode)) throw refuse("is a directory; expected a " + what);
  if (!S_ISREG(info.st_mode)) throw refuse("is not a regular file (a device, fifo or socket); expected a " + what);
  const std::string too_large = "is larger than " + mebibytes(max_bytes) + "; a " + what + " may hold at most " +
                                mebibytes(max_bytes);
  if (static_cast<std::uintmax_t>(info.st_size) > max_bytes) throw refuse(too_large);
  std::string text;
  text.reserve(static_cast<std::size_t>(info.st_size));
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(file.fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw refuse("cannot read the " + what + ": " + std::strerror(errno));
    if (n == 0) break;
    if (text.size() + static_cast<std::size_t>(n) > max_bytes) throw refuse(too_large);  // it grew while read
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

void check_utf8(const std::string& text, const std::string& file) {
  int line = 1;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  for (std::size_t i = 0; i < size;) {
    const unsigned char c = bytes[i];
    if (c < 0x80) {
      if (c == '\n') ++line;
      ++i;
      continue;
    }
    // Well-formed sequences (Unicode 3.9, table 3-7): no overlong forms, surrogates or > U+10FFFF.
    std::size_t length = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
    bool ok = length > 0 && i + length <= size;
    for (std::size_t k = 1; ok && k < length; ++k) {
      const unsigned char next = bytes[i + k];
      ok = k == 1 ? (next >= lo && next <= hi) : (next >= 0x80 && next <= 0xBF);
    }
    if (!ok) {
      throw InputError(file, line, "", "invalid UTF-8 (byte " + std::to_string(i) + "); save the file as UTF-8");
    }
    i += length;
  }
}

}  // namespace convsim
