#include "convsim/detail/hdf5_read.hpp"

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "hdf5_writer.hpp"

namespace convsim::detail {
namespace {

namespace fs = std::filesystem;

constexpr unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

// The largest compression ratio of deflate (zlib's documented bound is 1032:1).
constexpr hsize_t kMaxCompressionRatio = 1032;

std::uint64_t little_endian(const unsigned char* bytes, std::size_t size) {
  std::uint64_t value = 0;
  for (std::size_t i = size; i-- > 0;) value = (value << 8) | bytes[i];
  return value;
}

std::uint64_t file_bytes_of(hid_t object) {
  FileHandle file = FileHandle::checked(H5Iget_file_id(object), "H5Iget_file_id");
  hsize_t size = 0;
  h5_check(H5Fget_filesize(file.get(), &size), "H5Fget_filesize");
  return size;
}

// True when the dataset's filters include one that compresses (anything but Fletcher32/shuffle).
bool compressed(hid_t dataset) {
  auto plist = PropertyListHandle::checked(H5Dget_create_plist(dataset), "H5Dget_create_plist");
  const int filters = h5_check(H5Pget_nfilters(plist.get()), "H5Pget_nfilters");
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0;
    std::size_t count = 0;
    unsigned config = 0;
    const H5Z_filter_t filter = H5Pget_filter2(plist.get(), static_cast<unsigned>(i), &flags, &count, nullptr, 0,
                                               nullptr, &config);
    h5_check(filter, "H5Pget_filter2");
    if (filter != H5Z_FILTER_FLETCHER32 && filter != H5Z_FILTER_SHUFFLE) return true;
  }
  return false;
}

void require_rank(const std::vector<hsize_t>& dims, std::size_t rank, const std::string& name) {
  if (dims.size() != rank) {
    throw std::runtime_error(name + " has " + std::to_string(dims.size()) + " dimensions, expected " +
                             std::to_string(rank));
  }
}

void require_class(hid_t dataset, std::initializer_list<H5T_class_t> classes, const char* what,
                   const std::string& name) {
  const H5T_class_t found = dataset_class(dataset);
  for (H5T_class_t c : classes) {
    if (c == found) return;
  }
  throw std::runtime_error(name + " does not hold " + what);
}

template <typename Integer>
std::vector<Integer> read_integer_column(hid_t dataset, const std::string& name, hid_t memory_type) {
  const auto dims = dataset_dims(dataset, name);
  require_rank(dims, 1, name);
  require_class(dataset, {H5T_INTEGER}, "integers", name);
  check_declared_size(dataset, dims[0], name);
  std::vector<Integer> values(dims[0]);
  if (!values.empty()) {
    h5_check(H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "H5Dread", name);
  }
  return values;
}

// Checks the checksum trailer (hdf5_writer.hpp) at the end of a file of `size` bytes, when it has
// one: "" when it matches or is absent; `covered` becomes the size of the HDF5 file before it.
std::string checksum_problem(std::ifstream& in, std::uint64_t size, std::uint64_t& covered) {
  covered = size;
  if (size < kChecksumTrailerBytes) return {};
  std::string trailer(kChecksumTrailerBytes, '\0');
  in.seekg(static_cast<std::streamoff>(size - kChecksumTrailerBytes));
  in.read(trailer.data(), static_cast<std::streamsize>(trailer.size()));
  if (!in || trailer.compare(0, std::strlen(kChecksumPrefix), kChecksumPrefix) != 0) return {};
  unsigned crc_found = 0;
  unsigned long long bytes = 0;
  char end = 0;
  if (std::sscanf(trailer.c_str() + std::strlen(kChecksumPrefix), "%8x bytes=%16llx%c", &crc_found, &bytes, &end) != 3 ||
      end != '\n' || checksum_trailer(crc_found, bytes) != trailer) {
    return "damaged: its convsim checksum trailer is unreadable";
  }
  if (bytes != size - kChecksumTrailerBytes) {
    return "truncated or damaged: it has " + std::to_string(size) + " bytes, its convsim checksum covers " +
           std::to_string(bytes) + " + " + std::to_string(kChecksumTrailerBytes);
  }
  in.clear();
  in.seekg(0);
  std::vector<char> buffer(std::size_t{1} << 20);
  std::uint32_t crc = crc32_of(nullptr, 0);
  std::uint64_t left = bytes;
  while (left > 0) {
    const auto piece = static_cast<std::streamsize>(std::min<std::uint64_t>(left, buffer.size()));
    in.read(buffer.data(), piece);
    if (in.gcount() != piece) return "cannot read it to check its checksum";
    crc = crc32_of(buffer.data(), static_cast<std::size_t>(piece), crc);
    left -= static_cast<std::uint64_t>(piece);
  }
  if (crc != crc_found) return "damaged: its contents do not match the checksum convsim wrote (changed since)";
  covered = bytes;
  return {};
}

}  // namespace

std::string hdf5_file_problem(const fs::path& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return "no such file";
  if (fs::is_directory(status)) return "it is a folder";
  if (!fs::is_regular_file(status)) return "not a regular file";
  const std::uintmax_t file_size = fs::file_size(path, ec);
  if (ec) return "cannot read its size: " + ec.message();
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot open it for reading";
  std::uint64_t size = 0;  // of the HDF5 file, without a checksum trailer
  if (std::string problem = checksum_problem(in, file_size, size); !problem.empty()) return problem;
  // HDF5 looks for its signature at 0, 512, 1024, 2048, ... (after a user block).
  for (std::uint64_t at = 0; at + 8 <= size; at = at == 0 ? 512 : at * 2) {
    std::array<unsigned char, 96> head{};
    in.clear();
    in.seekg(static_cast<std::streamoff>(at));
    in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got < 8 || std::memcmp(head.data(), kSignature, 8) != 0) continue;
    if (got < 12) return "truncated inside its HDF5 superblock";
    const unsigned version = head[8];
    std::size_t offset_size = 0;
    std::size_t addresses = 0;  // position of the base address
    if (version == 0 || version == 1) {
      offset_size = head[13];
      addresses = version == 0 ? 24 : 28;
    } else if (version == 2 || version == 3) {
      offset_size = head[9];
      addresses = 12;
    } else {
      return "HDF5 superblock version " + std::to_string(version) + " is not supported";
    }
    if (offset_size != 2 && offset_size != 4 && offset_size != 8) {
      return "its HDF5 superblock is damaged (" + std::to_string(offset_size) + "-byte addresses)";
    }
    const std::size_t eof_at = addresses + 2 * offset_size;
    if (got < eof_at + offset_size) return "truncated inside its HDF5 superblock";
    const std::uint64_t base = little_endian(head.data() + addresses, offset_size);
    const std::uint64_t eof = little_endian(head.data() + eof_at, offset_size);
    const std::uint64_t undefined =
        offset_size == 8 ? std::numeric_limits<std::uint64_t>::max() : (std::uint64_t{1} << (8 * offset_size)) - 1;
    if (base == undefined || eof == undefined || base > size || eof > size - base) {
      return "truncated or damaged: it has " + std::to_string(size) + " bytes, its HDF5 superblock says " +
             (eof == undefined || base == undefined ? std::string("an undefined end")
                                                    : std::to_string(base) + " + " + std::to_string(eof));
    }
    // Past HDF5's end of file: nothing, or bytes that are not the start of a checksum trailer (which
    // checksum_problem would have verified): a trailer cut short is a truncated file.
    if (base + eof < size) {
      std::string after(std::min<std::uint64_t>(size - base - eof, std::strlen(kChecksumPrefix)), '\0');
      in.clear();
      in.seekg(static_cast<std::streamoff>(base + eof));
      in.read(after.data(), static_cast<std::streamsize>(after.size()));
      if (in && std::string_view(kChecksumPrefix).substr(0, after.size()) == after) {
        return "truncated: its convsim checksum trailer is cut short";
      }
    }
    return {};
  }
  return "not an HDF5 file (no HDF5 signature)";
}

FileHandle open_for_reading(const fs::path& path) {
  const std::string problem = hdf5_file_problem(path);
  if (!problem.empty()) throw std::runtime_error(problem);
  auto access = file_access_plist();
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, access.get());
  if (id < 0) {
    const std::string cause = hdf5_error_message();
    H5Eclear2(H5E_DEFAULT);
    throw std::runtime_error("HDF5 cannot open it" + (cause.empty() ? "" : ": " + cause));
  }
  return FileHandle(id);
}

std::vector<hsize_t> dataset_dims(hid_t dataset, const std::string& name) {
  auto space = DataspaceHandle::checked(H5Dget_space(dataset), "H5Dget_space", name);
  const H5S_class_t kind = H5Sget_simple_extent_type(space.get());
  if (kind == H5S_SCALAR) return {};
  if (kind != H5S_SIMPLE) throw std::runtime_error(name + " has no values (null dataspace)");
  const int rank = h5_check(H5Sget_simple_extent_ndims(space.get()), "H5Sget_simple_extent_ndims", name);
  if (rank > H5S_MAX_RANK) throw std::runtime_error(name + " has too many dimensions");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) h5_check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), "H5Sget_simple_extent_dims", name);
  return dims;
}

hsize_t element_count(const std::vector<hsize_t>& dims, const std::string& name) {
  hsize_t count = 1;
  for (hsize_t d : dims) {
    if (d != 0 && count > std::numeric_limits<hsize_t>::max() / d) {
      throw std::runtime_error(name + " declares more values than can be counted");
    }
    count *= d;
  }
  return count;
}

H5T_class_t dataset_class(hid_t dataset) {
  auto type = DatatypeHandle::checked(H5Dget_type(dataset), "H5Dget_type");
  return H5Tget_class(type.get());
}

void check_declared_size(hid_t dataset, hsize_t elements, const std::string& name) {
  if (elements == 0) return;
  auto type = DatatypeHandle::checked(H5Dget_type(dataset), "H5Dget_type", name);
  const hsize_t element_bytes = std::max<hsize_t>(1, H5Tget_size(type.get()));
  const hsize_t file_bytes = file_bytes_of(dataset);
  const hsize_t limit = compressed(dataset) ? file_bytes * kMaxCompressionRatio : file_bytes;
  if (elements > limit / element_bytes) {
    throw std::runtime_error(name + " declares " + std::to_string(elements) + " values of " +
                             std::to_string(element_bytes) + " bytes, more than a file of " +
                             std::to_string(file_bytes) + " bytes can hold");
  }
}

std::vector<std::string> read_string_column(hid_t dataset, const std::string& name) {
  const auto dims = dataset_dims(dataset, name);
  require_rank(dims, 1, name);
  require_class(dataset, {H5T_STRING}, "strings", name);
  check_declared_size(dataset, dims[0], name);
  std::vector<std::string> values;
  if (dims[0] == 0) return values;
  auto file_type = DatatypeHandle::checked(H5Dget_type(dataset), "H5Dget_type", name);
  auto memory = DatatypeHandle::checked(H5Tcopy(H5T_C_S1), "H5Tcopy", name);
  h5_check(H5Tset_size(memory.get(), H5T_VARIABLE), "H5Tset_size", name);
  h5_check(H5Tset_cset(memory.get(), H5Tget_cset(file_type.get())), "H5Tset_cset", name);
  std::vector<char*> pointers(dims[0], nullptr);
  auto transfer = conversion_transfer_plist(pointers.size(), 2 * sizeof(hvl_t));
  h5_check(H5Dread(dataset, memory.get(), H5S_ALL, H5S_ALL, transfer.get(), pointers.data()), "H5Dread", name);
  values.reserve(pointers.size());
  for (char* pointer : pointers) {
    values.emplace_back(pointer != nullptr ? pointer : "");
    H5free_memory(pointer);
  }
  return values;
}

std::vector<double> read_number_dataset(hid_t dataset, const std::string& name, std::vector<hsize_t>* dims_out) {
  const auto dims = dataset_dims(dataset, name);
  require_class(dataset, {H5T_FLOAT, H5T_INTEGER}, "numbers", name);
  const hsize_t count = element_count(dims, name);
  check_declared_size(dataset, count, name);
  std::vector<double> values(count);
  if (count > 0) {
    h5_check(H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "H5Dread", name);
  }
  if (dims_out != nullptr) *dims_out = dims;
  return values;
}

std::vector<std::int64_t> read_int64_column(hid_t dataset, const std::string& name) {
  return read_integer_column<std::int64_t>(dataset, name, H5T_NATIVE_INT64);
}

std::vector<std::uint64_t> read_uint64_column(hid_t dataset, const std::string& name) {
  return read_integer_column<std::uint64_t>(dataset, name, H5T_NATIVE_UINT64);
}

template <typename Number>
Number read_number_attribute(hid_t object, const char* name, hid_t memory_type) {
  if (h5_check(H5Aexists(object, name), "H5Aexists", name) <= 0) {
    throw std::runtime_error(std::string("attribute '") + name + "' is missing");
  }
  auto attribute = AttributeHandle::checked(H5Aopen(object, name, H5P_DEFAULT), "H5Aopen", name);
  auto type = DatatypeHandle::checked(H5Aget_type(attribute.get()), "H5Aget_type", name);
  auto space = DataspaceHandle::checked(H5Aget_space(attribute.get()), "H5Aget_space", name);
  const H5T_class_t type_class = H5Tget_class(type.get());
  const hssize_t points = H5Sget_simple_extent_npoints(space.get());
  if ((type_class != H5T_INTEGER && type_class != H5T_FLOAT) || points != 1 || H5Tget_size(memory_type) != sizeof(Number)) {
    throw std::runtime_error(std::string("attribute '") + name + "' is not a single number");
  }
  Number value{};
  h5_check(H5Aread(attribute.get(), memory_type, &value), "H5Aread", name);
  return value;
}

template std::uint64_t read_number_attribute<std::uint64_t>(hid_t, const char*, hid_t);
template std::int64_t read_number_attribute<std::int64_t>(hid_t, const char*, hid_t);
template int read_number_attribute<int>(hid_t, const char*, hid_t);
template double read_number_attribute<double>(hid_t, const char*, hid_t);

std::vector<std::string> attribute_names(hid_t object) {
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5A_info_t*, void* client) -> herr_t {
    static_cast<std::vector<std::string>*>(client)->emplace_back(name);
    return 0;
  };
  hsize_t position = 0;
  if (H5Aiterate2(object, H5_INDEX_CRT_ORDER, H5_ITER_INC, &position, collect, &names) < 0) {
    H5Eclear2(H5E_DEFAULT);
    names.clear();
    position = 0;
    h5_check(H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &position, collect, &names),
             "H5Aiterate2");
  }
  return names;
}

bool is_dimension_scale(hid_t dataset) {
  return read_string_attribute(dataset, "CLASS", NotOneString::empty) == "DIMENSION_SCALE";
}

}  // namespace convsim::detail
