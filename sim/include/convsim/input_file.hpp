// Reading the files users give convsim (scenarios, sweeps, data tables): only regular files, at
// most a fixed number of bytes, so that a directory, /dev/zero or a fifo is refused with a message
// instead of read forever. Every refusal is an InputError naming the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "convsim/errors.hpp"

namespace convsim {

// The largest input file convsim reads (16 MiB; a 4,096-sector scenario is well under 1 MiB).
inline constexpr std::uintmax_t kMaxInputFileBytes = std::uintmax_t{16} << 20;

// Where an error about a file is reported: the file itself, or the place that named it (an
// `extends:` line, a sweep's scenarios list) with that place's key.
struct InputFileContext {
  std::string file;  // "" = report at the path being read
  int line = 0;
  std::string key;
};

// Reads `path` whole; `what` names it in messages ("scenario file", "CSV file"). Throws InputError
// when it is not a regular file, cannot be read or holds more than `max_bytes`.
std::string read_input_file(const std::filesystem::path& path, const std::string& what,
                            const InputFileContext& context = {}, std::uintmax_t max_bytes = kMaxInputFileBytes);

// Throws InputError (file, line of the first bad byte) unless `text` is valid UTF-8 without
// control characters other than tab, LF and CR (the only ones YAML admits).
void check_yaml_text(const std::string& text, const std::string& file);

// The InputError for a YAML syntax error the parser noticed on 0-based line `mark_line` (-1:
// unknown) with `message`. When a flow map or list ('{' or '[') opened earlier is still open there,
// the error names the line that opened it (where the mistake is) and says where it was noticed.
InputError yaml_syntax_error(const std::string& text, const std::string& file, int mark_line, const std::string& message);

}  // namespace convsim
