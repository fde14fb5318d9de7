#include "convsim/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

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

void check_yaml_text(const std::string& text, const std::string& file) {
  int line = 1;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  for (std::size_t i = 0; i < size;) {
    const unsigned char c = bytes[i];
    if (c < 0x80) {
      if (c == '\n') ++line;
      // YAML's printable set (YAML 1.2, production [1]) admits tab, LF and CR of the C0 controls,
      // and not DEL. Anything else would be accepted by the parser here and then written into the
      // resolved scenario, which no YAML reader (convsim's included) loads back.
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
        char code[8];
        std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
        throw InputError(file, line, "",
                         std::string("control character ") + code + " (byte " + std::to_string(i) +
                             ") is not allowed in YAML; remove it");
      }
      // A carriage return must end a line with the line feed after it (CRLF). YAML reads a lone
      // one as a line break too, but convsim counts lines by line feeds, and the parser gives
      // such a file back with its line structure changed (fuzz.scenario: `name: p\r\r \n`
      // resolved to a scenario that loads differently).
      if (c == '\r' && (i + 1 >= size || bytes[i + 1] != '\n')) {
        throw InputError(file, line, "",
                         "carriage return (byte " + std::to_string(i) +
                             ") without a line feed after it; save the file with LF or CRLF line endings");
      }
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

InputError yaml_syntax_error(const std::string& text, const std::string& file, int mark_line, const std::string& message) {
  const int noticed = mark_line >= 0 ? mark_line + 1 : 0;
  // Flow brackets still open at the line where the parser gave up (outside quotes and comments).
  struct Open {
    char bracket;
    int line;
  };
  std::vector<Open> still_open;
  int line = 1;
  char quote = 0;
  bool comment = false;
  for (std::size_t i = 0; i < text.size() && (noticed == 0 || line <= noticed); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      comment = false;
      if (quote == '\'') quote = 0;  // a plain scalar's quote does not run over lines in flow context
      continue;
    }
    if (comment) continue;
    if (quote != 0) {
      if (quote == '"' && c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    const bool after_space = i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\n';
    if (c == '#' && after_space) {
      comment = true;
    } else if ((c == '"' || c == '\'') && (after_space || (i > 0 && (text[i - 1] == '[' || text[i - 1] == '{' || text[i - 1] == ',' || text[i - 1] == ':')))) {
      quote = c;
    } else if (c == '{' || c == '[') {
      still_open.push_back({c, line});
    } else if ((c == '}' || c == ']') && !still_open.empty()) {
      still_open.pop_back();
    }
  }
  if (!still_open.empty() && still_open.back().line < noticed) {
    const Open& culprit = still_open.back();
    return InputError(file, culprit.line, "",
                      "invalid YAML: the '" + std::string(1, culprit.bracket) + "' opened on this line is not closed with '" +
                          (culprit.bracket == '{' ? "}" : "]") + "' (the parser noticed on line " + std::to_string(noticed) + ": " +
                          message + ")");
  }
  return InputError(file, noticed, "", "invalid YAML: " + message);
}

}  // namespace convsim
