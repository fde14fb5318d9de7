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

FirmNetwork FirmNetwork::restore(CsrLinks base, std::vector<Link> overlay_links) {
  FirmNetwork network(std::move(base));
  network.overlay_links_ = std::move(overlay_links);
  if (!network.overlay_links_.empty()) {
    network.overlay_.assign_links(network.firms(), network.overlay_links_, network.cursor_);
  }
  return network;
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

void FirmNetwork::add_links(const std::vector<Link>& links) {
  if (links.empty()) return;
  overlay_links_.insert(overlay_links_.end(), links.begin(), links.end());
  overlay_.assign_links(firms(), overlay_links_, cursor_);
  if (static_cast<double>(overlay_links_.size()) > kOverlayMergeShare * static_cast<double>(base_.links())) {
    merge_overlay();
  }
}

void FirmNetwork::merge_overlay() {
  const std::size_t n = firms();
  CsrLinks merged;
  merged.offsets.reserve(base_.offsets.capacity());  // room reserved for entrants stays reserved
  merged.offsets.resize(n + 1);
  merged.offsets[0] = 0;
  for (std::size_t c = 0; c < n; ++c) {
    merged.offsets[c + 1] = merged.offsets[c] + (base_.offsets[c + 1] - base_.offsets[c]) +
                            (overlay_.offsets[c + 1] - overlay_.offsets[c]);
  }
  merged.suppliers.resize(merged.offsets[n]);
  merged.weights.resize(merged.offsets[n]);
  // Row by row, base links then overlay links: the order for_each_supplier visits them in. Rows
  // without overlay links are contiguous in the base and in the merged arrays alike, so a run of
  // them is one copy; a copy is cut only where a row has overlay links.
  auto copy = [&](const CsrLinks& from, std::uint64_t begin, std::uint64_t end, std::uint64_t& at) {
    std::copy(from.suppliers.begin() + static_cast<std::ptrdiff_t>(begin), from.suppliers.begin() + static_cast<std::ptrdiff_t>(end),
              merged.suppliers.begin() + static_cast<std::ptrdiff_t>(at));
    std::copy(from.weights.begin() + static_cast<std::ptrdiff_t>(begin), from.weights.begin() + static_cast<std::ptrdiff_t>(end),
              merged.weights.begin() + static_cast<std::ptrdiff_t>(at));
    at += end - begin;
  };
  for_each_chunk(n, [&](std::size_t, std::size_t begin, std::size_t end) {
    std::uint64_t at = merged.offsets[begin];
    std::uint64_t run = base_.offsets[begin];  // start of the base links not yet copied
    for (std::size_t c = begin; c < end; ++c) {
      if (overlay_.offsets[c + 1] == overlay_.offsets[c]) continue;
      copy(base_, run, base_.offsets[c + 1], at);
      run = base_.offsets[c + 1];
      copy(overlay_, overlay_.offsets[c], overlay_.offsets[c + 1], at);
    }
    copy(base_, run, base_.offsets[end], at);
  });
  base_ = std::move(merged);
  overlay_.offsets.assign(n + 1, 0);
  overlay_.suppliers.clear();
  overlay_.weights.clear();
  overlay_links_.clear();
}

template <typename CustomerMap, typename SupplierMap>
void FirmNetwork::rebuild(std::size_t new_firms, CustomerMap&& customer_of, SupplierMap&& supplier_of) {
  const std::size_t n = firms();
  // new row -> old row: rows keep their relative order, so a row is found by a prefix count.
  std::vector<FirmId> old_row(new_firms, kNoFirm);
  for (std::size_t c = 0; c < n; ++c) {
    const FirmId to = customer_of(static_cast<FirmId>(c));
    if (to != kNoFirm) old_row[to] = static_cast<FirmId>(c);
  }
  CsrLinks merged;
  merged.offsets.reserve(std::max<std::size_t>(base_.offsets.capacity(), new_firms + 1));  // room reserved for entrants stays reserved
  merged.offsets.resize(new_firms + 1);  // every entry is written below
  merged.offsets[0] = 0;
  // Rows are independent: count in parallel, prefix-sum, fill in parallel (same result on any
  // number of threads). A link survives when both ends do; within a row, base links come before
  // overlay links, the order for_each_supplier visits them in.
  for_each_chunk(new_firms, [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t r = begin; r < end; ++r) {
      std::uint64_t count = 0;
      if (old_row[r] != kNoFirm) {
        for_each_supplier(old_row[r], [&](FirmId s, float) { count += supplier_of(s) != kNoFirm ? 1 : 0; });
      }
      merged.offsets[r + 1] = count;
    }
  });
  for (std::size_t r = 0; r < new_firms; ++r) merged.offsets[r + 1] += merged.offsets[r];
  merged.suppliers.resize(merged.offsets[new_firms]);
  merged.weights.resize(merged.offsets[new_firms]);
  for_each_chunk(new_firms, [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t r = begin; r < end; ++r) {
      if (old_row[r] == kNoFirm) continue;
      std::uint64_t at = merged.offsets[r];
      for_each_supplier(old_row[r], [&](FirmId s, float w) {
        const FirmId to = supplier_of(s);
        if (to == kNoFirm) return;
        merged.suppliers[at] = to;
        merged.weights[at] = w;
        ++at;
      });
    }
  });
  base_ = std::move(merged);
  // Keep the overlay's memory for the next steps' links.
  overlay_.offsets.assign(new_firms + 1, 0);
  overlay_.suppliers.clear();
  overlay_.weights.clear();
  overlay_links_.clear();
}

void FirmNetwork::compact(const std::vector<std::uint8_t>& alive) {
  auto live = [&](FirmId f) { return f < alive.size() && alive[f] != 0; };
  rebuild(firms(), [&](FirmId c) { return live(c) ? c : kNoFirm; }, [&](FirmId s) { return live(s) ? s : kNoFirm; });
}

void FirmNetwork::renumber(const std::vector<FirmId>& new_id, std::size_t firms) {
  // Map every stored supplier once, in place (the old arrays are replaced below): the gather
  // from new_id is a random read per link, so the rebuild's two passes must not both pay it.
  for (CsrLinks* part : {&base_, &overlay_}) {
    const std::size_t links = part->suppliers.size();
    FirmId* suppliers = part->suppliers.data();
    for_each_chunk(links, [&](std::size_t, std::size_t begin, std::size_t end) {
      for (std::size_t e = begin; e < end; ++e) suppliers[e] = suppliers[e] < new_id.size() ? new_id[suppliers[e]] : kNoFirm;
    });
  }
  rebuild(firms, [&](FirmId c) { return c < new_id.size() ? new_id[c] : kNoFirm; }, [](FirmId s) { return s; });
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
