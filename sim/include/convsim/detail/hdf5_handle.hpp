// RAII ownership of HDF5 identifiers (hid_t) and checked HDF5 calls. Every failure becomes a
// std::runtime_error that names the HDF5 call, what it was working on, and the innermost message
// of the HDF5 error stack. Include only from .cpp files of targets that link convsim_hdf5.
//
// @code
//   detail::Hdf5Session session;  // lock, silence HDF5's own error printing
//   auto file = detail::FileHandle::checked(H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen", p);
//   auto data = detail::DatasetHandle::checked(H5Dopen2(file.get(), "time", H5P_DEFAULT),
//                                              "H5Dopen2", "/time");
// @endcode
#pragma once

#include <hdf5.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

namespace convsim::detail {

// The innermost message on the current thread's HDF5 error stack ("" when the stack is empty).
inline std::string hdf5_error_message() {
  std::string message;
  // Walking downward visits the most specific (innermost) error first; keep only that one.
  auto visit = [](unsigned, const H5E_error2_t* error, void* client) -> herr_t {
    auto* out = static_cast<std::string*>(client);
    if (out->empty() && error != nullptr && error->desc != nullptr) {
      *out = error->desc;
      if (error->func_name != nullptr) *out += std::string(" (in ") + error->func_name + ")";
    }
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, visit, &message);
  return message;
}

// Throws std::runtime_error "HDF5 <call> failed (<context>): <innermost HDF5 message>", then clears
// the HDF5 error stack.
[[noreturn]] inline void throw_hdf5_error(const char* call, const std::string& context = {}) {
  std::string message = std::string("HDF5 ") + call + " failed";
  if (!context.empty()) message += " (" + context + ")";
  const std::string cause = hdf5_error_message();
  if (!cause.empty()) message += ": " + cause;
  H5Eclear2(H5E_DEFAULT);
  throw std::runtime_error(message);
}

// Returns `status` unchanged when it is non-negative (herr_t, htri_t, hid_t, hssize_t), throws
// through throw_hdf5_error otherwise.
template <typename Status>
Status h5_check(Status status, const char* call, const std::string& context = {}) {
  if (status < 0) throw_hdf5_error(call, context);
  return status;
}

// The process-wide lock around convsim's HDF5 use (recursive: sessions may nest).
inline std::recursive_mutex& hdf5_mutex() {
  static std::recursive_mutex mutex;
  return mutex;
}

// Turns off HDF5's clean-up at process exit (H5dont_atexit), once, before the library starts.
// When H5Fclose fails (a full disk at the final flush), HDF5 frees the file but keeps its
// identifier; its clean-up at exit would close that identifier again and crash. convsim closes
// every file it opens itself, so the clean-up has nothing else to do.
inline void disable_hdf5_exit_cleanup() {
  static const bool done = [] {
    H5dont_atexit();
    return true;
  }();
  (void)done;
}

// Scope guard for a sequence of HDF5 calls: holds hdf5_mutex() and turns off HDF5's automatic
// printing of its error stack to stderr; restores the previous printing on exit.
class Hdf5Session {
 public:
  Hdf5Session() : lock_(hdf5_mutex()) {
    disable_hdf5_exit_cleanup();
    H5Eget_auto2(H5E_DEFAULT, &saved_func_, &saved_data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~Hdf5Session() { H5Eset_auto2(H5E_DEFAULT, saved_func_, saved_data_); }
  Hdf5Session(const Hdf5Session&) = delete;
  Hdf5Session& operator=(const Hdf5Session&) = delete;

 private:
  std::unique_lock<std::recursive_mutex> lock_;
  H5E_auto2_t saved_func_ = nullptr;
  void* saved_data_ = nullptr;
};

// Owns one HDF5 identifier and closes it with `Close` (move-only).
template <herr_t (*Close)(hid_t)>
class Hdf5Handle {
 public:
  // An empty handle (holds no identifier).
  Hdf5Handle() noexcept = default;
  // Takes ownership of `id` (which must be valid or H5I_INVALID_HID).
  explicit Hdf5Handle(hid_t id) noexcept : id_(id) {}
  ~Hdf5Handle() { reset(); }
  Hdf5Handle(Hdf5Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Hdf5Handle& operator=(Hdf5Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Hdf5Handle(const Hdf5Handle&) = delete;
  Hdf5Handle& operator=(const Hdf5Handle&) = delete;

  // Wraps the result of an HDF5 call that returns a new identifier; throws when it failed.
  static Hdf5Handle checked(hid_t id, const char* call, const std::string& context = {}) {
    return Hdf5Handle(h5_check(id, call, context));
  }

  // The identifier, for passing to HDF5 calls (ownership stays here).
  hid_t get() const noexcept { return id_; }
  // True when an identifier is held.
  explicit operator bool() const noexcept { return id_ >= 0; }
  // Gives up ownership without closing.
  hid_t release() noexcept { return std::exchange(id_, H5I_INVALID_HID); }
  // Closes the identifier now, ignoring errors (for destructors and unwinding).
  void reset() noexcept {
    if (id_ >= 0) Close(id_);
    id_ = H5I_INVALID_HID;
  }
  // Closes the identifier now and throws when HDF5 reports a failure (e.g. a file's final flush).
  void close(const char* call, const std::string& context = {}) {
    const hid_t id = std::exchange(id_, H5I_INVALID_HID);
    if (id >= 0) h5_check(Close(id), call, context);
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

// An open file (H5Fclose).
using FileHandle = Hdf5Handle<H5Fclose>;
// An open group (H5Gclose).
using GroupHandle = Hdf5Handle<H5Gclose>;
// An open dataset (H5Dclose).
using DatasetHandle = Hdf5Handle<H5Dclose>;
// A dataspace (H5Sclose).
using DataspaceHandle = Hdf5Handle<H5Sclose>;
// A datatype (H5Tclose).
using DatatypeHandle = Hdf5Handle<H5Tclose>;
// An open attribute (H5Aclose).
using AttributeHandle = Hdf5Handle<H5Aclose>;
// A property list (H5Pclose).
using PropertyListHandle = Hdf5Handle<H5Pclose>;
// Any object opened with H5Oopen (H5Oclose).
using ObjectHandle = Hdf5Handle<H5Oclose>;


// What read_string_attribute does with an attribute that is not one string.
enum class NotOneString {
  fail,   // throw std::runtime_error (a file convsim wrote is broken)
  empty,  // return "" (an optional attribute of a file someone else may have written)
};

// Reads a scalar string attribute, variable- or fixed-length, in the file's character set;
// "" when it is absent.
inline std::string read_string_attribute(hid_t object, const char* name,
                                         NotOneString other = NotOneString::fail) {
  if (h5_check(H5Aexists(object, name), "H5Aexists", name) <= 0) return {};
  auto attribute = AttributeHandle::checked(H5Aopen(object, name, H5P_DEFAULT), "H5Aopen", name);
  auto type = DatatypeHandle::checked(H5Aget_type(attribute.get()), "H5Aget_type", name);
  auto space = DataspaceHandle::checked(H5Aget_space(attribute.get()), "H5Aget_space", name);
  const bool one = h5_check(H5Sget_simple_extent_npoints(space.get()), "H5Sget_simple_extent_npoints", name) == 1;
  if (H5Tget_class(type.get()) != H5T_STRING || !one) {
    if (other == NotOneString::empty) return {};
    throw std::runtime_error(std::string("attribute '") + name + "' is not a single string");
  }
  if (h5_check(H5Tis_variable_str(type.get()), "H5Tis_variable_str", name) > 0) {
    auto memory = DatatypeHandle::checked(H5Tcopy(H5T_C_S1), "H5Tcopy", name);
    h5_check(H5Tset_size(memory.get(), H5T_VARIABLE), "H5Tset_size", name);
    h5_check(H5Tset_cset(memory.get(), H5Tget_cset(type.get())), "H5Tset_cset", name);
    char* text = nullptr;
    h5_check(H5Aread(attribute.get(), memory.get(), &text), "H5Aread", name);
    std::string value = text != nullptr ? text : "";
    H5free_memory(text);
    return value;
  }
  // A fixed-length string is stored in the file: a size beyond the file's is a damaged type.
  const std::size_t size = H5Tget_size(type.get());
  {
    auto file = Hdf5Handle<H5Fclose>::checked(H5Iget_file_id(object), "H5Iget_file_id", name);
    hsize_t file_bytes = 0;
    h5_check(H5Fget_filesize(file.get(), &file_bytes), "H5Fget_filesize", name);
    if (size > file_bytes) throw std::runtime_error(std::string("attribute '") + name + "' is damaged (string size)");
  }
  std::string value(size, '\0');
  h5_check(H5Aread(attribute.get(), type.get(), value.data()), "H5Aread", name);
  return value.substr(0, value.find('\0'));
}

}  // namespace convsim::detail
