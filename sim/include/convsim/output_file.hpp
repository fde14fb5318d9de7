// Writing output files so that a failure (a full disk, a file size limit, a read-only folder) is an
// error with the path and the system's reason, and never leaves a partial file at the output path.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

namespace convsim {

// Writes `size` bytes to a new file `path` (replacing any), fsyncs it when `sync`. Checks every
// write, the fsync and the close; throws std::runtime_error "cannot write <path>: <reason>" (the
// partly written file is left for the caller to remove).
void write_new_file(const std::filesystem::path& path, const void* data, std::size_t size, bool sync);

// Writes `bytes` to `path` atomically: to `<path>.tmp.<pid>` in the same folder, renamed onto
// `path` when complete; the temporary file is removed on any failure. Throws std::runtime_error
// naming the path and the reason.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes, bool sync = false);

}  // namespace convsim
