// Checking where a command will write before it does the work: a read-only, missing or full
// output folder is reported with its path and the reason, not as a library error after the run.
#pragma once

#include <filesystem>
#include <string>

namespace convsim {

// Why files cannot be written into `folder` ("" when a probe file can be created there and the
// file system has free space), e.g. "the folder '/data' is not writable: Read-only file system".
std::string output_folder_problem(const std::filesystem::path& folder);

// Throws InputError (file "<command line>", key `option`) when the folder that will hold `path` does
// not exist, and std::runtime_error "cannot write <what> '<path>': <problem>" when it has another
// problem (see output_folder_problem).
void check_output_path(const std::filesystem::path& path, const std::string& what, const std::string& option = "--output");

// The message for a failed write of `path`: "cannot write <what> '<path>': " and the folder's
// problem when it has one now (it filled up, it became read-only), then the library's `error`.
std::string describe_write_failure(const std::filesystem::path& path, const std::string& what, const std::string& error);

}  // namespace convsim
