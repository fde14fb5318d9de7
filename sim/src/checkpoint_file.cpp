// The HDF5 checkpoint file (convsim/checkpoint_file.hpp; layout in docs/results.md, "Checkpoint
// files"): the result layout of the steps done, plus /state. Every dataset under /state is read
// only after its rank, type class and declared size are checked (detail/hdf5_read.hpp), so a file
// with the right names and other shapes is refused with a message, never read past a buffer.
#include "convsim/checkpoint_file.hpp"

#include <hdf5.h>

#include <map>
#include <set>
#include <stdexcept>
#include <string_view>

#include "convsim/detail/hdf5_handle.hpp"
#include "convsim/detail/hdf5_read.hpp"
#include "convsim/errors.hpp"
#include "hdf5_writer.hpp"
#include "result_layout.hpp"

namespace convsim {
namespace {

namespace fs = std::filesystem;
using detail::DatasetHandle;
using detail::DatatypeHandle;
using detail::GroupHandle;
using detail::h5_check;

constexpr detail::ObjectTimes kTimes = detail::ObjectTimes::recorded;
constexpr const char* kState = "state";
// /state holds groups of arrays ("firms/technology"); nothing deeper is read.
constexpr int kMaxStateDepth = 2;

// The file and memory types of each alternative of StateValues, in its order.
struct StateType {
  hid_t file;
  hid_t memory;
};
StateType state_type(const StateValues& values) {
  switch (values.index()) {
    case 0: return {H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE};
    case 1: return {H5T_IEEE_F32LE, H5T_NATIVE_FLOAT};
    case 2: return {H5T_STD_U8LE, H5T_NATIVE_UINT8};
    case 3: return {H5T_STD_U16LE, H5T_NATIVE_UINT16};
    case 4: return {H5T_STD_U32LE, H5T_NATIVE_UINT32};
    case 5: return {H5T_STD_I32LE, H5T_NATIVE_INT32};
    default: return {H5T_STD_U64LE, H5T_NATIVE_UINT64};
  }
}

std::size_t state_bytes(const CheckpointContents& c) {
  std::size_t bytes = 0;
  for (const StateArray& a : c.arrays) {
    std::visit([&](const auto& v) { bytes += v.size() * sizeof(v[0]); }, a.values);
  }
  return bytes;
}

void write_state(hid_t file, const CheckpointContents& c) {
  auto state = detail::create_group(file, kState, kTimes);
  detail::write_string_attribute(state.get(), "long_name",
                         "the engine's state at the start of the step the run continues with (convsim run --from)");
  for (const auto& [name, value] : c.numbers) {
    detail::write_number_attribute(state.get(), name.c_str(), H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
  }
  std::map<std::string, GroupHandle> groups;
  for (const StateArray& a : c.arrays) {
    hid_t parent = state.get();
    std::string leaf = a.name;
    if (const auto slash = a.name.find('/'); slash != std::string::npos) {
      const std::string group = a.name.substr(0, slash);
      leaf = a.name.substr(slash + 1);
      auto it = groups.find(group);
      if (it == groups.end()) it = groups.emplace(group, detail::create_group(state.get(), group, kTimes)).first;
      parent = it->second.get();
    }
    std::visit(
        [&](const auto& values) {
          const StateType type = state_type(a.values);
          const std::vector<hsize_t> dims = {values.size()};
          auto plist = detail::dataset_create_plist(kTimes);
          detail::set_checksummed_chunks(plist.get(), detail::whole_chunk(dims));
          auto dataset = detail::create_dataset(parent, leaf, type.file, dims, plist.get());
          if (!values.empty()) {
            h5_check(H5Dwrite(dataset.get(), type.memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "H5Dwrite",
                     a.name);
          }
          if (!a.long_name.empty()) detail::write_string_attribute(dataset.get(), "long_name", a.long_name);
        },
        a.values);
  }
}

// The StateValues alternative for a file type (integer or float of a known size), or -1.
int alternative_of(hid_t type) {
  const std::size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_FLOAT:
      return size == 8 ? 0 : size == 4 ? 1 : -1;
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
      if (is_signed) return size == 4 ? 5 : -1;
      return size == 1 ? 2 : size == 2 ? 3 : size == 4 ? 4 : size == 8 ? 6 : -1;
    }
    default:
      return -1;
  }
}

template <std::size_t I>
void read_as(hid_t dataset, hsize_t count, StateValues& out, const std::string& name) {
  using Vector = std::variant_alternative_t<I, StateValues>;
  Vector values(count);
  const StateType type = state_type(StateValues(std::in_place_index<I>));
  if (count > 0) h5_check(H5Dread(dataset, type.memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "H5Dread", name);
  out.template emplace<I>(std::move(values));
}

StateArray read_state_array(hid_t dataset, const std::string& name) {
  const auto dims = detail::dataset_dims(dataset, name);
  if (dims.size() != 1) {
    throw std::runtime_error(name + " has " + std::to_string(dims.size()) + " dimensions, not 1");
  }
  auto type = DatatypeHandle::checked(H5Dget_type(dataset), "H5Dget_type", name);
  const int alternative = alternative_of(type.get());
  if (alternative < 0) throw std::runtime_error(name + " is not a column of numbers of a type convsim writes");
  detail::check_declared_size(dataset, dims[0], name);
  StateArray a;
  a.long_name = detail::read_string_attribute(dataset, "long_name", detail::NotOneString::empty);
  switch (alternative) {
    case 0: read_as<0>(dataset, dims[0], a.values, name); break;
    case 1: read_as<1>(dataset, dims[0], a.values, name); break;
    case 2: read_as<2>(dataset, dims[0], a.values, name); break;
    case 3: read_as<3>(dataset, dims[0], a.values, name); break;
    case 4: read_as<4>(dataset, dims[0], a.values, name); break;
    case 5: read_as<5>(dataset, dims[0], a.values, name); break;
    default: read_as<6>(dataset, dims[0], a.values, name); break;
  }
  return a;
}

// The names of a group's links, each a hard link (soft and external links are refused).
std::vector<std::string> hard_links(hid_t group, const std::string& where) {
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5L_info_t* info, void* data) -> herr_t {
    auto* out = static_cast<std::vector<std::string>*>(data);
    if (info->type != H5L_TYPE_HARD) return -1;
    out->emplace_back(name);
    return 0;
  };
  hsize_t index = 0;
  if (H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, collect, &names) < 0) {
    H5Eclear2(H5E_DEFAULT);
    throw std::runtime_error(where + " holds a link that is not a plain (hard) link");
  }
  return names;
}

void read_state_group(hid_t group, const std::string& prefix, int depth, CheckpointContents& c) {
  for (const std::string& name : hard_links(group, "/state/" + prefix)) {
    const std::string path = prefix + name;
    H5O_info_t info;
    h5_check(H5Oget_info_by_name(group, name.c_str(), &info, H5P_DEFAULT), "H5Oget_info_by_name", path);
    if (info.type == H5O_TYPE_GROUP) {
      if (depth >= kMaxStateDepth) throw std::runtime_error("/state/" + path + " is nested deeper than convsim writes");
      auto child = GroupHandle::checked(H5Gopen2(group, name.c_str(), H5P_DEFAULT), "H5Gopen2", path);
      read_state_group(child.get(), path + "/", depth + 1, c);
    } else if (info.type == H5O_TYPE_DATASET) {
      auto dataset = DatasetHandle::checked(H5Dopen2(group, name.c_str(), H5P_DEFAULT), "H5Dopen2", path);
      StateArray a = read_state_array(dataset.get(), "/state/" + path);
      a.name = path;
      c.arrays.push_back(std::move(a));
    } else {
      throw std::runtime_error("/state/" + path + " is neither a group nor a dataset");
    }
  }
}

}  // namespace

const StateArray* CheckpointContents::find_array(const std::string& name) const {
  for (const StateArray& a : arrays) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

const double* CheckpointContents::find_number(const std::string& name) const {
  for (const auto& [key, value] : numbers) {
    if (key == name) return &value;
  }
  return nullptr;
}

void write_checkpoint(const CheckpointContents& c, const fs::path& path) {
  detail::write_result_layout(c.partial, path, {}, kCheckpointFormat, state_bytes(c), [&](hid_t file) {
    detail::write_number_attribute(file, "checkpoint_year", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &c.year);
    detail::write_number_attribute(file, "checkpoint_steps_done", H5T_STD_I64LE, H5T_NATIVE_INT64, &c.steps_done);
    detail::write_number_attribute(file, "model_revision", H5T_STD_I64LE, H5T_NATIVE_INT64, &c.model_revision);
    write_state(file, c);
  });
}

CheckpointContents read_checkpoint(const fs::path& path) {
  detail::Hdf5Session session;
  auto file = detail::open_convsim_file(path, kCheckpointFormat);
  const hid_t root = file.get();
  auto refuse = [&](const std::string& why) { return InputError(path.string(), 0, "", why); };
  CheckpointContents c;
  try {
    c.convsim_version = detail::read_string_attribute(root, "convsim_version", detail::NotOneString::empty);
  } catch (const std::exception& e) {
    throw refuse(std::string("not a convsim checkpoint: its root attribute 'convsim_version' is damaged: ") + e.what());
  }
  if (c.convsim_version != convsim_version()) {
    throw refuse("written by convsim " + (c.convsim_version.empty() ? std::string("of unknown version") : c.convsim_version) +
                 "; this is convsim " + convsim_version() +
                 ", which continues only checkpoints of its own version (run the scenario again to make one)");
  }
  c.partial = detail::read_result_layout(root, path, kCheckpointFormat);
  try {
    c.year = detail::read_number_attribute<double>(root, "checkpoint_year", H5T_NATIVE_DOUBLE);
    c.steps_done = detail::read_number_attribute<std::int64_t>(root, "checkpoint_steps_done", H5T_NATIVE_INT64);
    c.model_revision = detail::read_number_attribute<std::int64_t>(root, "model_revision", H5T_NATIVE_INT64);
    if (h5_check(H5Lexists(root, kState, H5P_DEFAULT), "H5Lexists", kState) <= 0) {
      throw std::runtime_error("it has no /state group");
    }
    auto state = GroupHandle::checked(H5Gopen2(root, kState, H5P_DEFAULT), "H5Gopen2", "/state");
    for (const std::string& name : detail::attribute_names(state.get())) {
      if (name == "long_name") continue;
      c.numbers.emplace_back(name, detail::read_number_attribute<double>(state.get(), name.c_str(), H5T_NATIVE_DOUBLE));
    }
    read_state_group(state.get(), "", 1, c);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw refuse(std::string("not a convsim checkpoint: it is damaged: ") + e.what());
  }
  return c;
}

}  // namespace convsim
