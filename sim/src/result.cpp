#include "convsim/result.hpp"

#include <algorithm>

namespace convsim {
namespace {

template <typename T>
const T* find_named(const std::vector<T>& items, const std::string& name) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& s) { return s.name == name; });
  return it == items.end() ? nullptr : &*it;
}

}  // namespace

const Series* RunResult::find_aggregate(const std::string& name) const {
  return find_named(aggregate, name);
}
const Series* RunResult::find_convergence(const std::string& name) const {
  return find_named(convergence, name);
}
const SectorSeries* RunResult::find_by_sector(const std::string& name) const {
  return find_named(by_sector, name);
}

}  // namespace convsim
