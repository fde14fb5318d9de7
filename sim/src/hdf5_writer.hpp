// The HDF5 writing pieces shared by result files (result_file.cpp) and merged sweeps (merge.cpp):
// property lists, attributes, string datasets and dimension scales written the CF / netCDF-4 way.
// Private to convsim_sim; callers hold a detail::Hdf5Session.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "convsim/detail/hdf5_handle.hpp"

namespace convsim::detail {

// Whether objects record their modification times. Merged sweeps omit them, so that merging the
// same results twice gives byte-identical files; result files keep HDF5's default.
enum class ObjectTimes { recorded, omitted };

// A variable-length UTF-8 string type.
DatatypeHandle utf8_string_type();
DataspaceHandle simple_space(const std::vector<hsize_t>& dims);
DataspaceHandle scalar_space();

// Creation order of links and attributes is tracked and indexed, so that readers (ours, netCDF4)
// list variables and attributes in the order written.
PropertyListHandle file_create_plist(ObjectTimes times);
PropertyListHandle group_create_plist(ObjectTimes times);
PropertyListHandle dataset_create_plist(ObjectTimes times);
// File access that proceeds without file locks where the file system has none (Lustre, NFS):
// convsim never writes one file from two processes.
PropertyListHandle file_access_plist();
// File access for writing: file_access_plist() with the file format bounded to that of HDF5 1.10
// (H5Pset_libver_bounds V110..V110), whose superblock, object headers, group and chunk indexes
// carry checksums, so that damaged metadata is an error when read rather than a wrong value;
// netCDF-4 and h5py built on HDF5 1.10 or later read it.
PropertyListHandle file_write_access_plist();
// Makes a dataset chunked with `chunk` and checksummed (Fletcher32, after any compression filter
// already set), so that a damaged data block is an error when read. Does nothing when a chunk
// dimension is 0 (an empty dataset cannot be chunked and holds nothing to check). Not for
// datasets of variable-length strings (HDF5 filters only fixed-size data).
void set_checksummed_chunks(hid_t plist, const std::vector<hsize_t>& chunk);
// The chunk of a dataset of `dims` numbers written whole: every dimension but the first in full,
// the first cut so that a chunk holds at most 2^17 values (1 MiB of doubles).
std::vector<hsize_t> whole_chunk(const std::vector<hsize_t>& dims);
// Transfer properties for writing `count` elements of `element_bytes` that need conversion
// (strings, compounds of strings): HDF5's default conversion buffer is 1 MiB, allocated and zeroed
// at every such write, which costs more than writing a few dozen names.
PropertyListHandle conversion_transfer_plist(std::size_t count, std::size_t element_bytes);

// Creates (truncates) a file for writing; throws std::runtime_error "cannot write <path>: <system's
// reason>" when it cannot (a read-only folder, a full disk, a file size limit).
FileHandle create_file(const std::string& path, hid_t create_plist, hid_t access_plist);
// Closes a file written through HDF5's own driver, turning a failed final flush (a full disk, a
// file size limit) into std::runtime_error "cannot write <path>: <system's reason>". HDF5 leaves
// the identifier of a file whose close failed pointing at freed memory; Hdf5Session has turned off
// HDF5's clean-up at exit, which would close it a second time and crash.
void close_written_file(FileHandle& file, const std::string& path);

// The checksum trailer convsim appends to every HDF5 file it writes, after HDF5's end of file:
// "convsim-checksum crc32=<8 hex digits> bytes=<16 hex digits>\n", the CRC-32 (zlib's) of the
// file's first `bytes` bytes, which are all of it before the trailer. HDF5, h5py, netCDF4 and
// xarray ignore bytes past the end of file the superblock records; hdf5_file_problem() checks
// the trailer before HDF5 parses anything, so that any damaged byte is found.
inline constexpr const char* kChecksumPrefix = "convsim-checksum crc32=";
inline constexpr std::size_t kChecksumTrailerBytes = 23 + 8 + 7 + 16 + 1;
std::uint32_t crc32_of(const void* data, std::size_t size, std::uint32_t crc = 0);
std::string checksum_trailer(std::uint32_t crc, std::uint64_t bytes);
// Appends the checksum trailer to the closed file at `path`; throws std::runtime_error "cannot
// write <path>: <reason>".
void append_checksum_trailer(const std::string& path);

GroupHandle create_group(hid_t parent, const std::string& name, ObjectTimes times);
DatasetHandle create_dataset(hid_t parent, const std::string& name, hid_t file_type,
                             const std::vector<hsize_t>& dims, hid_t plist);
// A one-dimensional UTF-8 string dataset.
DatasetHandle write_strings(hid_t parent, const std::string& name, const std::vector<std::string>& values,
                            ObjectTimes times);

void write_string_attribute(hid_t object, const char* name, const std::string& value);
void write_number_attribute(hid_t object, const char* name, hid_t file_type, hid_t memory_type, const void* value);
// The CF `units` and `long_name` attributes.
void write_units(hid_t dataset, const std::string& units, const std::string& long_name);

// One entry of a dimension scale's REFERENCE_LIST, laid out as HDF5's dimension-scale library
// lays it out (its ds_list_t): a dataset attached to the scale and which of its dimensions.
struct ReferenceListEntry {
  hobj_ref_t dataset;
  unsigned int dimension;
};

// A dimension scale being written and the datasets attached to it so far. Attachments are the
// ones H5DSattach_scale makes (DIMENSION_LIST on the dataset, REFERENCE_LIST on the scale, with
// its types and in its order), so every HDF5, netCDF-4, h5py and xarray reader sees them; but each
// list is written once, where H5DSattach_scale reads, deletes and rewrites the scale's
// REFERENCE_LIST at every call (a third of the time spent writing a small result file).
// finish() writes the REFERENCE_LIST: call it when every dataset using the scale is attached.
class DimensionScale {
 public:
  DimensionScale() = default;
  // Makes `dataset` a dimension scale called `name` (H5DSset_scale: CLASS and NAME).
  DimensionScale(DatasetHandle dataset, const char* name);
  hid_t get() const { return dataset_.get(); }
  explicit operator bool() const { return static_cast<bool>(dataset_); }
  hobj_ref_t reference() const { return self_; }
  void add(hobj_ref_t dataset, unsigned dimension) { attached_.push_back({dataset, dimension}); }
  void finish();

 private:
  DatasetHandle dataset_;
  std::string name_;
  hobj_ref_t self_{};
  std::vector<ReferenceListEntry> attached_;
};

// Attaches scales[d] to dimension d of `dataset` (rank = scales.size()): its DIMENSION_LIST.
void attach(hid_t dataset, std::initializer_list<DimensionScale*> scales, const std::string& name);

}  // namespace convsim::detail
