// Checking where a command will write before it does the work: a read-only, missing or full
// output folder is reported with its path and the reason, not as a library error after the run.
#pragma once

#include <filesystem>
#include <string>

namespace convsim {

// Why files cannot be written into `folder` ("" when a probe file can be created there and the
// file system has free space), e.g. "the folder '/data' is not writable: Read-only file system".
std::string output_folder_problem(const std::filesystem::path& folder);

// Checks, before any work, that the file `path` can be written. Throws InputError (file
// "<command line>", key `option`, exit code 2) "cannot write <what> '<path>': <problem>" when its
// folder does not exist, is not a folder or is not writable, or when `path` is a folder; and
// std::runtime_error with the same message when the folder's file system is full.
void check_output_path(const std::filesystem::path& path, const std::string& what, const std::string& option = "--output");

// The same for a folder a command will create (with its parents) and fill: the nearest folder of
// `folder` or above it that exists must be a writable folder.
void check_output_folder(const std::filesystem::path& folder, const std::string& what, const std::string& option);

// The message for a failed write of `path`: "cannot write <what> '<path>': " and the folder's
// problem when it has one now (it filled up, it became read-only), then the library's `error`.
std::string describe_write_failure(const std::filesystem::path& path, const std::string& what, const std::string& error);

}  // namespace convsim
