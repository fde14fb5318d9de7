#include "hdf5_writer.hpp"

#include <fcntl.h>
#include <hdf5_hl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <stdexcept>
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

PropertyListHandle file_write_access_plist() {
  auto plist = file_access_plist();
  h5_check(H5Pset_libver_bounds(plist.get(), H5F_LIBVER_V110, H5F_LIBVER_V110), "H5Pset_libver_bounds");
  return plist;
}

void set_checksummed_chunks(hid_t plist, const std::vector<hsize_t>& chunk) {
  if (chunk.empty() || std::find(chunk.begin(), chunk.end(), hsize_t{0}) != chunk.end()) return;
  h5_check(H5Pset_chunk(plist, static_cast<int>(chunk.size()), chunk.data()), "H5Pset_chunk");
  h5_check(H5Pset_fletcher32(plist), "H5Pset_fletcher32");
}

std::vector<hsize_t> whole_chunk(const std::vector<hsize_t>& dims) {
  constexpr hsize_t kChunkValues = hsize_t{1} << 17;
  std::vector<hsize_t> chunk = dims;
  if (chunk.empty()) return chunk;
  hsize_t inner = 1;
  for (std::size_t d = 1; d < chunk.size(); ++d) inner *= std::max<hsize_t>(chunk[d], 1);
  chunk[0] = std::clamp<hsize_t>(kChunkValues / inner, 1, std::max<hsize_t>(chunk[0], 1));
  if (dims[0] == 0) chunk[0] = 0;
  return chunk;
}

PropertyListHandle conversion_transfer_plist(std::size_t count, std::size_t element_bytes) {
  auto plist = PropertyListHandle::checked(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate", "transfer");
  const std::size_t bytes = std::clamp<std::size_t>(count * element_bytes, 4096, 1u << 20);
  h5_check(H5Pset_buffer(plist.get(), bytes, nullptr, nullptr), "H5Pset_buffer");
  return plist;
}

namespace {

// The system's reason for the failure on the current HDF5 error stack ("No space left on device"):
// HDF5's file drivers record it as "... errno = 28, error message = '...'" somewhere in the stack.
std::string system_reason() {
  std::string reason;
  auto visit = [](unsigned, const H5E_error2_t* error, void* client) -> herr_t {
    auto* out = static_cast<std::string*>(client);
    if (!out->empty() || error == nullptr || error->desc == nullptr) return 0;
    const std::string text = error->desc;
    const std::string marker = "error message = '";
    const std::size_t at = text.find(marker);
    if (at == std::string::npos) return 0;
    const std::size_t end = text.find('\'', at + marker.size());
    *out = text.substr(at + marker.size(), end == std::string::npos ? std::string::npos : end - at - marker.size());
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, visit, &reason);
  return reason;
}

// Throws "cannot write <path>: <system's reason> (HDF5 <call> failed)" for a failed file call.
[[noreturn]] void throw_write_failure(const char* call, const std::string& path) {
  const std::string reason = system_reason();
  if (reason.empty()) throw_hdf5_error(call, path);
  H5Eclear2(H5E_DEFAULT);
  throw std::runtime_error("cannot write " + path + ": " + reason + " (HDF5 " + call + " failed)");
}

}  // namespace

FileHandle create_file(const std::string& path, hid_t create_plist, hid_t access_plist) {
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, create_plist, access_plist);
  if (id < 0) throw_write_failure("H5Fcreate", path);
  return FileHandle(id);
}

void close_written_file(FileHandle& file, const std::string& path) {
  const hid_t id = file.release();
  if (id < 0 || H5Fclose(id) >= 0) return;
  throw_write_failure("H5Fclose", path);
}

std::uint32_t crc32_of(const void* data, std::size_t size, std::uint32_t crc) {
  const auto* bytes = static_cast<const Bytef*>(data);
  while (size > 0) {
    const auto piece = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
    crc = static_cast<std::uint32_t>(::crc32(crc, bytes, piece));
    bytes += piece;
    size -= piece;
  }
  return crc;
}

std::string checksum_trailer(std::uint32_t crc, std::uint64_t bytes) {
  char text[kChecksumTrailerBytes + 1];
  std::snprintf(text, sizeof text, "%s%08x bytes=%016llx\n", kChecksumPrefix, static_cast<unsigned>(crc),
                static_cast<unsigned long long>(bytes));
  return std::string(text, kChecksumTrailerBytes);
}

void append_checksum_trailer(const std::string& path) {
  auto failure = [&](const char* what) {
    return std::runtime_error("cannot write " + path + ": " + what + ": " + std::strerror(errno));
  };
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) throw failure("cannot open it to add its checksum");
  std::vector<unsigned char> buffer(std::size_t{1} << 20);
  std::uint32_t crc = crc32_of(nullptr, 0);
  std::uint64_t bytes = 0;
  for (;;) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const auto error = failure("cannot read it back");
      ::close(fd);
      throw error;
    }
    if (got == 0) break;
    crc = crc32_of(buffer.data(), static_cast<std::size_t>(got), crc);
    bytes += static_cast<std::uint64_t>(got);
  }
  const std::string trailer = checksum_trailer(crc, bytes);
  const ssize_t written = ::pwrite(fd, trailer.data(), trailer.size(), static_cast<off_t>(bytes));
  if (written != static_cast<ssize_t>(trailer.size())) {
    if (written >= 0) errno = ENOSPC;
    const auto error = failure("cannot add its checksum");
    ::close(fd);
    throw error;
  }
  if (::close(fd) != 0) throw failure("close failed");
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
