// Checked reading of HDF5 files that may be damaged or hostile: what convsim checks before HDF5
// parses a file, and reads that check rank, shape, type class and declared size of a dataset or
// attribute before allocating anything for it. Shared by result files, merged sweeps and their
// readers in analysis/. Every failure is a std::runtime_error naming the object; callers turn it
// into an InputError naming the file. Include only from .cpp files of targets that link
// convsim_hdf5; callers hold a detail::Hdf5Session.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "convsim/detail/hdf5_handle.hpp"

namespace convsim::detail {

// Why the file at `path` must not be given to HDF5, or "" when it may: not a regular file, no HDF5
// signature, or a superblock whose end-of-file address lies beyond the file's size (a truncated
// file: HDF5 would read past its end). Reads only the superblock.
std::string hdf5_file_problem(const std::filesystem::path& path);

// Opens `path` read-only once hdf5_file_problem finds nothing; throws std::runtime_error with the
// problem or HDF5's message otherwise.
FileHandle open_for_reading(const std::filesystem::path& path);

// The dimensions of a dataset ({} for a scalar); throws for a null or non-simple dataspace.
std::vector<hsize_t> dataset_dims(hid_t dataset, const std::string& name);

// The product of `dims`; throws when it overflows 64 bits.
hsize_t element_count(const std::vector<hsize_t>& dims, const std::string& name);

// The type class of a dataset's elements.
H5T_class_t dataset_class(hid_t dataset);

// Throws unless `elements` values of `dataset` can be held by its file: without a compression
// filter their stored size (elements × the size of the file type) must not exceed the file's size;
// with one, 1032 times it (the largest ratio of deflate). Checked before allocating for a read, so
// that a small file declaring a huge dataset is refused instead of exhausting memory.
void check_declared_size(hid_t dataset, hsize_t elements, const std::string& name);

// Reads a one-dimensional dataset of strings (variable- or fixed-length) as UTF-8 text.
std::vector<std::string> read_string_column(hid_t dataset, const std::string& name);

// Reads a numeric dataset (integer or float class) of any rank as doubles; its dims go to `dims`.
std::vector<double> read_number_dataset(hid_t dataset, const std::string& name,
                                        std::vector<hsize_t>* dims = nullptr);

// Reads a one-dimensional integer dataset.
std::vector<std::int64_t> read_int64_column(hid_t dataset, const std::string& name);
std::vector<std::uint64_t> read_uint64_column(hid_t dataset, const std::string& name);

// Reads an attribute holding exactly one number (integer or float class) converted to
// `memory_type` (a native type the size of Number). Throws when it is missing or anything else.
template <typename Number>
Number read_number_attribute(hid_t object, const char* name, hid_t memory_type);

// The names of an object's attributes, in creation order where the file tracks it (convsim's
// files do), else in name order.
std::vector<std::string> attribute_names(hid_t object);

// True when `dataset` is a dimension scale (its CLASS attribute is the string "DIMENSION_SCALE").
// Checks the attribute itself, where H5DSis_scale reads whatever it holds into a buffer sized for
// one string.
bool is_dimension_scale(hid_t dataset);

}  // namespace convsim::detail
