#include "convsim/errors.hpp"

namespace convsim {
namespace {

std::string format_location(const std::string& file, int line, const std::string& key,
                            const std::string& message) {
  std::string out = file.empty() ? std::string("<input>") : file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += "key '" + key + "': ";
  out += message;
  return out;
}

}  // namespace

InputError::InputError(std::string file, int line, std::string key, const std::string& message)
    : std::runtime_error(format_location(file, line, key, message)),
      file_(std::move(file)),
      line_(line),
      key_(std::move(key)),
      detail_(message) {}

}  // namespace convsim
