// The HDF5 writing pieces shared by result files (result_file.cpp) and merged sweeps (merge.cpp):
// property lists, attributes, string datasets and dimension scales written the CF / netCDF-4 way.
// Private to convsim_sim; callers hold a detail::Hdf5Session.
#pragma once

#include <hdf5.h>

#include <cstddef>
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
// Transfer properties for writing `count` elements of `element_bytes` that need conversion
// (strings, compounds of strings): HDF5's default conversion buffer is 1 MiB, allocated and zeroed
// at every such write, which costs more than writing a few dozen names.
PropertyListHandle conversion_transfer_plist(std::size_t count, std::size_t element_bytes);

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
