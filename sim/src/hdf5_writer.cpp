#include "hdf5_writer.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <cstddef>
#include <utility>

namespace convsim::detail {
namespace {

hobj_ref_t object_reference(hid_t object, const std::string& name) {
  hobj_ref_t reference{};
  h5_check(H5Rcreate(&reference, object, ".", H5R_OBJECT, -1), "H5Rcreate", name);
  return reference;
}

void track_creation_order(hid_t plist, bool links) {
  if (links) {
    h5_check(H5Pset_link_creation_order(plist, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
             "H5Pset_link_creation_order");
  }
  h5_check(H5Pset_attr_creation_order(plist, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
           "H5Pset_attr_creation_order");
}

void set_object_times(hid_t plist, ObjectTimes times) {
  if (times == ObjectTimes::omitted) h5_check(H5Pset_obj_track_times(plist, false), "H5Pset_obj_track_times");
}

}  // namespace

DatatypeHandle utf8_string_type() {
  auto type = DatatypeHandle::checked(H5Tcopy(H5T_C_S1), "H5Tcopy", "string type");
  h5_check(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size", "string type");
  h5_check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset", "string type");
  return type;
}

DataspaceHandle simple_space(const std::vector<hsize_t>& dims) {
  return DataspaceHandle::checked(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                                  "H5Screate_simple");
}

DataspaceHandle scalar_space() { return DataspaceHandle::checked(H5Screate(H5S_SCALAR), "H5Screate"); }

PropertyListHandle file_create_plist(ObjectTimes times) {
  auto plist = PropertyListHandle::checked(H5Pcreate(H5P_FILE_CREATE), "H5Pcreate", "file");
  track_creation_order(plist.get(), true);
  set_object_times(plist.get(), times);
  return plist;
}

PropertyListHandle group_create_plist(ObjectTimes times) {
  auto plist = PropertyListHandle::checked(H5Pcreate(H5P_GROUP_CREATE), "H5Pcreate", "group");
  track_creation_order(plist.get(), true);
  set_object_times(plist.get(), times);
  return plist;
}

PropertyListHandle dataset_create_plist(ObjectTimes times) {
  auto plist = PropertyListHandle::checked(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate", "dataset");
  track_creation_order(plist.get(), false);
  set_object_times(plist.get(), times);
  return plist;
}

PropertyListHandle file_access_plist() {
  auto plist = PropertyListHandle::checked(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate", "file access");
#if H5_VERSION_GE(1, 10, 7)
  h5_check(H5Pset_file_locking(plist.get(), true, true), "H5Pset_file_locking");
#endif
  return plist;
}

PropertyListHandle conversion_transfer_plist(std::size_t count, std::size_t element_bytes) {
  auto plist = PropertyListHandle::checked(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate", "transfer");
  const std::size_t bytes = std::clamp<std::size_t>(count * element_bytes, 4096, 1u << 20);
  h5_check(H5Pset_buffer(plist.get(), bytes, nullptr, nullptr), "H5Pset_buffer");
  return plist;
}

GroupHandle create_group(hid_t parent, const std::string& name, ObjectTimes times) {
  auto plist = group_create_plist(times);
  return GroupHandle::checked(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, plist.get(), H5P_DEFAULT), "H5Gcreate2",
                              name);
}

DatasetHandle create_dataset(hid_t parent, const std::string& name, hid_t file_type,
                             const std::vector<hsize_t>& dims, hid_t plist) {
  auto space = simple_space(dims);
  return DatasetHandle::checked(H5Dcreate2(parent, name.c_str(), file_type, space.get(), H5P_DEFAULT, plist, H5P_DEFAULT),
                                "H5Dcreate2", name);
}

DatasetHandle write_strings(hid_t parent, const std::string& name, const std::vector<std::string>& values,
                            ObjectTimes times) {
  auto type = utf8_string_type();
  auto plist = dataset_create_plist(times);
  auto dataset = create_dataset(parent, name, type.get(), {values.size()}, plist.get());
  if (values.empty()) return dataset;
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const auto& value : values) pointers.push_back(value.c_str());
  auto transfer = conversion_transfer_plist(values.size(), 2 * sizeof(hvl_t));
  h5_check(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, transfer.get(), pointers.data()), "H5Dwrite", name);
  return dataset;
}

void write_string_attribute(hid_t object, const char* name, const std::string& value) {
  auto type = utf8_string_type();
  auto space = scalar_space();
  auto attribute = AttributeHandle::checked(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                                            "H5Acreate2", name);
  const char* text = value.c_str();
  h5_check(H5Awrite(attribute.get(), type.get(), &text), "H5Awrite", name);
}

void write_number_attribute(hid_t object, const char* name, hid_t file_type, hid_t memory_type, const void* value) {
  auto space = scalar_space();
  auto attribute = AttributeHandle::checked(H5Acreate2(object, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                                            "H5Acreate2", name);
  h5_check(H5Awrite(attribute.get(), memory_type, value), "H5Awrite", name);
}

void write_units(hid_t dataset, const std::string& units, const std::string& long_name) {
  write_string_attribute(dataset, "units", units);
  write_string_attribute(dataset, "long_name", long_name);
}

DimensionScale::DimensionScale(DatasetHandle dataset, const char* name) : dataset_(std::move(dataset)), name_(name) {
  h5_check(H5DSset_scale(dataset_.get(), name), "H5DSset_scale", name);
  self_ = object_reference(dataset_.get(), name_);
}

void DimensionScale::finish() {
  if (attached_.empty()) return;
  auto type = DatatypeHandle::checked(H5Tcreate(H5T_COMPOUND, sizeof(ReferenceListEntry)), "H5Tcreate",
                                      REFERENCE_LIST);
  h5_check(H5Tinsert(type.get(), "dataset", offsetof(ReferenceListEntry, dataset), H5T_STD_REF_OBJ), "H5Tinsert",
           REFERENCE_LIST);
  h5_check(H5Tinsert(type.get(), "dimension", offsetof(ReferenceListEntry, dimension), H5T_NATIVE_INT), "H5Tinsert",
           REFERENCE_LIST);
  auto space = simple_space({attached_.size()});
  auto attribute = AttributeHandle::checked(
      H5Acreate2(dataset_.get(), REFERENCE_LIST, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), "H5Acreate2",
      name_ + "/" + REFERENCE_LIST);
  h5_check(H5Awrite(attribute.get(), type.get(), attached_.data()), "H5Awrite", REFERENCE_LIST);
  attached_.clear();
}

void attach(hid_t dataset, std::initializer_list<DimensionScale*> scales, const std::string& name) {
  const hobj_ref_t self = object_reference(dataset, name);
  std::vector<hobj_ref_t> references;
  std::vector<hvl_t> lists;
  references.reserve(scales.size());
  for (const DimensionScale* scale : scales) references.push_back(scale->reference());
  for (auto& reference : references) lists.push_back({1, &reference});
  auto type = DatatypeHandle::checked(H5Tvlen_create(H5T_STD_REF_OBJ), "H5Tvlen_create", DIMENSION_LIST);
  auto space = simple_space({scales.size()});
  auto attribute = AttributeHandle::checked(
      H5Acreate2(dataset, DIMENSION_LIST, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), "H5Acreate2",
      name + "/" + DIMENSION_LIST);
  h5_check(H5Awrite(attribute.get(), type.get(), lists.data()), "H5Awrite", DIMENSION_LIST);
  unsigned dimension = 0;
  for (DimensionScale* scale : scales) scale->add(self, dimension++);
}

}  // namespace convsim::detail
