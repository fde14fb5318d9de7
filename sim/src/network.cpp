#include "convsim/network.hpp"

#include <algorithm>

#include "convsim/parallel.hpp"

namespace convsim {

CsrLinks CsrLinks::from_links(std::size_t firms, const std::vector<Link>& links) {
  CsrLinks csr;
  std::vector<std::uint64_t> cursor;
  csr.assign_links(firms, links, cursor);
  return csr;
}

void CsrLinks::assign_links(std::size_t firms, const std::vector<Link>& links, std::vector<std::uint64_t>& cursor) {
  offsets.assign(firms + 1, 0);
  for (const Link& l : links) ++offsets[l.customer + 1];
  for (std::size_t i = 0; i < firms; ++i) offsets[i + 1] += offsets[i];
  suppliers.resize(links.size());
  weights.resize(links.size());
  cursor.assign(offsets.begin(), offsets.end() - 1);
  for (const Link& l : links) {
    const std::uint64_t at = cursor[l.customer]++;
    suppliers[at] = l.supplier;
    weights[at] = l.weight;
  }
}

FirmNetwork::FirmNetwork(CsrLinks base) : base_(std::move(base)) {
  overlay_.offsets.assign(base_.offsets.size(), 0);
}

void FirmNetwork::reserve(std::size_t firms) {
  base_.offsets.reserve(firms + 1);
  overlay_.offsets.reserve(firms + 1);
  cursor_.reserve(firms);
}

void FirmNetwork::grow(std::size_t firms) {
  if (firms <= base_.firms()) return;
  base_.offsets.resize(firms + 1, base_.offsets.back());
  overlay_.offsets.resize(firms + 1, overlay_.offsets.empty() ? 0 : overlay_.offsets.back());
}

void FirmNetwork::add_links(const std::vector<Link>& links, const std::vector<std::uint8_t>& alive) {
  if (links.empty()) return;
  overlay_links_.insert(overlay_links_.end(), links.begin(), links.end());
  overlay_.assign_links(firms(), overlay_links_, cursor_);
  if (static_cast<double>(overlay_links_.size()) > kOverlayMergeShare * static_cast<double>(base_.links())) {
    compact(alive);
  }
}

void FirmNetwork::compact(const std::vector<std::uint8_t>& alive) {
  const std::size_t n = firms();
  auto live = [&](FirmId f) { return f < alive.size() && alive[f] != 0; };
  CsrLinks merged;
  merged.offsets.reserve(base_.offsets.capacity());  // room reserved for entrants stays reserved
  merged.offsets.resize(n + 1);  // every entry is written below
  merged.offsets[0] = 0;
  // Rows are independent: count in parallel, prefix-sum, fill in parallel (same result on any
  // number of threads).
  for_each_chunk(n, [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t c = begin; c < end; ++c) {
      std::uint64_t count = 0;
      if (live(static_cast<FirmId>(c))) {
        for_each_supplier(static_cast<FirmId>(c), [&](FirmId s, float) { count += live(s) ? 1 : 0; });
      }
      merged.offsets[c + 1] = count;
    }
  });
  for (std::size_t c = 0; c < n; ++c) merged.offsets[c + 1] += merged.offsets[c];
  merged.suppliers.resize(merged.offsets[n]);
  merged.weights.resize(merged.offsets[n]);
  for_each_chunk(n, [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t c = begin; c < end; ++c) {
      if (!live(static_cast<FirmId>(c))) continue;
      std::uint64_t at = merged.offsets[c];
      for_each_supplier(static_cast<FirmId>(c), [&](FirmId s, float w) {
        if (!live(s)) return;
        merged.suppliers[at] = s;
        merged.weights[at] = w;
        ++at;
      });
    }
  });
  base_ = std::move(merged);
  // Keep the overlay's memory for the next steps' links.
  overlay_.offsets.assign(n + 1, 0);
  overlay_.suppliers.clear();
  overlay_.weights.clear();
  overlay_links_.clear();
}

std::size_t FirmNetwork::in_degree(FirmId customer) const {
  std::size_t d = base_.offsets[customer + 1] - base_.offsets[customer];
  if (!overlay_.suppliers.empty()) d += overlay_.offsets[customer + 1] - overlay_.offsets[customer];
  return d;
}

std::vector<Link> FirmNetwork::all_links() const {
  std::vector<Link> out;
  out.reserve(links());
  for (std::size_t c = 0; c < firms(); ++c) {
    for_each_supplier(static_cast<FirmId>(c), [&](FirmId s, float w) { out.push_back({s, static_cast<FirmId>(c), w}); });
  }
  return out;
}

std::size_t FirmNetwork::memory_bytes() const {
  auto bytes = [](const CsrLinks& c) {
    return c.offsets.capacity() * sizeof(std::uint64_t) + c.suppliers.capacity() * sizeof(FirmId) +
           c.weights.capacity() * sizeof(float);
  };
  return bytes(base_) + bytes(overlay_) + overlay_links_.capacity() * sizeof(Link);
}

}  // namespace convsim
