#include "convsim/network.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "convsim/parallel.hpp"

namespace convsim {

namespace detail {
namespace {
constexpr std::size_t kHugePage = std::size_t{2} << 20;
std::size_t mapped_bytes(std::size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }
}  // namespace

void* allocate_array(std::size_t bytes) {
  if (bytes < kLargeArrayBytes) return ::operator new(bytes);
  // Map one huge page more than needed and unmap the ends, so that the block starts on a 2 MiB
  // boundary (a huge page can only back an aligned 2 MiB range).
  const std::size_t size = mapped_bytes(bytes);
  void* mapped = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) throw std::bad_alloc();
  auto* start = static_cast<char*>(mapped);
  auto* aligned = reinterpret_cast<char*>((reinterpret_cast<std::uintptr_t>(start) + kHugePage - 1) / kHugePage * kHugePage);
  if (aligned > start) munmap(start, static_cast<std::size_t>(aligned - start));
  char* end = aligned + size;
  if (end < start + size + kHugePage) munmap(end, static_cast<std::size_t>(start + size + kHugePage - end));
  madvise(aligned, size, MADV_HUGEPAGE);  // advice only: without it the block works on small pages
  return aligned;
}

void deallocate_array(void* p, std::size_t bytes) noexcept {
  if (p == nullptr) return;
  if (bytes < kLargeArrayBytes) {
    ::operator delete(p);
    return;
  }
  munmap(p, mapped_bytes(bytes));
}
}  // namespace detail

CsrLinks CsrLinks::from_links(std::size_t firms, const std::vector<Link>& links) {
  CsrLinks csr;
  csr.assign_links(firms, links);
  return csr;
}

void CsrLinks::assign_links(std::size_t firms, const std::vector<Link>& links) {
  // Counting sort without a cursor array: row c's count goes to offsets[c + 2], so that after the
  // prefix sum offsets[c + 1] is row c's start; placing each link at offsets[c + 1]++ leaves it at
  // the row's end, which is what offsets[c + 1] must hold. Links keep their input order in a row.
  // Every step rebuilds the overlay's rows over all firms: the fill and the prefix sum are
  // parallel (at 10^6 firms they were the largest serial part of a step).
  offsets.resize(firms + 1);
  parallel_fill(offsets.data(), offsets.size(), std::uint64_t{0});
  for (const Link& l : links) {
    if (l.customer + 2 <= firms) ++offsets[l.customer + 2];
  }
  if (firms >= 1) inclusive_scan_in_place(offsets.data() + 1, firms);
  suppliers.resize(links.size());
  const bool implicit =
      std::all_of(links.begin(), links.end(), [](const Link& l) { return l.weight == implicit_weight(l.supplier, l.customer); });
  weights.resize(implicit ? 0 : links.size());
  for (const Link& l : links) {
    const std::uint64_t at = offsets[l.customer + 1]++;
    suppliers[at] = l.supplier;
    if (!implicit) weights[at] = l.weight;
  }
}

std::vector<float> CsrLinks::link_weights() const {
  if (stores_weights()) return {weights.begin(), weights.end()};
  std::vector<float> out(links());
  for (std::size_t c = 0; c < firms(); ++c) {
    for (std::uint64_t e = offsets[c]; e < offsets[c + 1]; ++e) out[e] = implicit_weight(suppliers[e], static_cast<FirmId>(c));
  }
  return out;
}

void CsrLinks::store_weights() {
  if (stores_weights() || links() == 0) return;
  const std::vector<float> all = link_weights();
  weights.assign(all.begin(), all.end());
}

void CsrLinks::drop_implicit_weights() {
  if (!stores_weights()) return;
  for (std::size_t c = 0; c < firms(); ++c) {
    for (std::uint64_t e = offsets[c]; e < offsets[c + 1]; ++e) {
      if (weights[e] != implicit_weight(suppliers[e], static_cast<FirmId>(c))) return;
    }
  }
  weights = NetworkColumn<float>();
}

void FirmNetwork::match_weights() {
  if (base_.stores_weights() || overlay_.stores_weights()) {
    base_.store_weights();
    overlay_.store_weights();
  }
}

FirmNetwork::FirmNetwork(CsrLinks base) : base_(std::move(base)) {
  overlay_.offsets.assign(base_.offsets.size(), 0);
}

FirmNetwork FirmNetwork::restore(CsrLinks base, std::vector<Link> overlay_links) {
  FirmNetwork network(std::move(base));
  network.overlay_links_ = std::move(overlay_links);
  if (!network.overlay_links_.empty()) {
    network.overlay_.assign_links(network.firms(), network.overlay_links_);
  }
  return network;
}

void FirmNetwork::reserve(std::size_t firms, std::size_t links) {
  base_.offsets.reserve(firms + 1);
  if (overlay_.links() == 0 && overlay_.offsets.capacity() < firms + 1) {
    // An empty overlay's offsets are all 0: allocate the room afresh instead of copying them.
    const std::size_t rows = overlay_.offsets.size();
    overlay_.offsets = NetworkColumn<std::uint64_t>();
    overlay_.offsets.reserve(firms + 1);
    overlay_.offsets.assign(rows, 0);
  }
  overlay_.offsets.reserve(firms + 1);
  base_.suppliers.reserve(links);
  if (base_.stores_weights()) base_.weights.reserve(links);
}

void FirmNetwork::grow(std::size_t firms) {
  if (firms <= base_.firms()) return;
  base_.offsets.resize(firms + 1, base_.offsets.back());
  overlay_.offsets.resize(firms + 1, overlay_.offsets.empty() ? 0 : overlay_.offsets.back());
}

void FirmNetwork::add_links(const std::vector<Link>& links) {
  if (links.empty()) return;
  overlay_links_.insert(overlay_links_.end(), links.begin(), links.end());
  overlay_.assign_links(firms(), overlay_links_);
  if (static_cast<double>(overlay_links_.size()) > kOverlayMergeShare * static_cast<double>(base_.links())) {
    merge_overlay();
  }
}

void FirmNetwork::append_rows(FirmId first, const std::vector<Link>& links, std::size_t begin) {
  const std::size_t n = firms();
  if (first > n || base_.offsets[first] != base_.links() || (overlay_.firms() == n && overlay_.offsets[first] != overlay_.links())) {
    throw std::invalid_argument("network: append_rows from row " + std::to_string(first) + ": rows there already have links");
  }
  bool implicit = !base_.stores_weights();
  for (std::size_t k = begin; k < links.size(); ++k) {
    const Link& l = links[k];
    if (l.customer < first || l.customer >= n || (k > begin && l.customer < links[k - 1].customer)) {
      throw std::invalid_argument("network: append_rows: link " + std::to_string(k) + " (customer " +
                                  std::to_string(l.customer) + ") is not in order within rows " + std::to_string(first) +
                                  ".." + std::to_string(n));
    }
    implicit = implicit && l.weight == implicit_weight(l.supplier, l.customer);
  }
  // Stored weights for the base's links first (none when it has none), then for the new ones.
  const bool weighted = !implicit;
  if (weighted) base_.store_weights();
  std::uint64_t at = base_.links();
  base_.suppliers.resize(at + (links.size() - begin));
  if (weighted) base_.weights.resize(base_.suppliers.size());
  std::size_t k = begin;
  for (std::size_t c = first; c < n; ++c) {
    for (; k < links.size() && links[k].customer == c; ++k, ++at) {
      base_.suppliers[at] = links[k].supplier;
      if (weighted) base_.weights[at] = links[k].weight;
    }
    base_.offsets[c + 1] = at;
  }
}

void FirmNetwork::merge_overlay() {
  const std::size_t n = firms();
  match_weights();
  if (overlay_.links() > 0) {
    // In place, from the last row to the first: row c moves up by the overlay links of the rows
    // before it (overlay_.offsets[c]) and takes its own overlay links at its end, base links then
    // overlay links, the order for_each_supplier visits them in. Runs of rows without overlay
    // links move by the same amount, so a run is one memmove. No second copy of the network is
    // held (at 10^7 firms that copy was the run's peak of memory); growing the arrays moves
    // nothing while their reserved capacity lasts (FirmNetwork::reserve).
    const std::uint64_t base_links = base_.links();
    const bool weighted = base_.stores_weights() || overlay_.stores_weights();
    base_.suppliers.resize(base_links + overlay_.links());
    if (weighted) base_.weights.resize(base_links + overlay_.links());
    FirmId* suppliers = base_.suppliers.data();
    float* weights = base_.weights.data();
    auto move = [&](const FirmId* from_s, const float* from_w, std::uint64_t count, std::uint64_t to) {
      std::memmove(suppliers + to, from_s, count * sizeof(FirmId));
      if (weighted) std::memmove(weights + to, from_w, count * sizeof(float));
    };
    std::uint64_t unmoved_end = base_links;  // base links [.., unmoved_end) are still in place
    for (std::size_t c = n; c-- > 0;) {
      const std::uint64_t ob = overlay_.offsets[c], oe = overlay_.offsets[c + 1];
      if (ob == oe) continue;
      // Rows after c up to the last row moved: shifted by the overlay links of rows up to c.
      const std::uint64_t row_end = base_.offsets[c + 1];
      move(suppliers + row_end, weights + row_end, unmoved_end - row_end, row_end + oe);
      move(overlay_.suppliers.data() + ob, overlay_.weights.data() + ob, oe - ob, row_end + ob);
      unmoved_end = row_end;
    }
    // Rows before the first row with overlay links do not move.
    for_each_chunk(n, [&](std::size_t, std::size_t begin, std::size_t end) {
      for (std::size_t c = begin; c < end; ++c) base_.offsets[c + 1] += overlay_.offsets[c + 1];
    });
  }
  overlay_.offsets.assign(n + 1, 0);
  overlay_.suppliers.clear();
  overlay_.weights.clear();
  overlay_links_.clear();
}

template <typename CustomerMap, typename SupplierMap>
void FirmNetwork::rebuild(std::size_t new_firms, CustomerMap&& customer_of, SupplierMap&& supplier_of) {
  // In place: the overlay is merged into the base (its rows keep base links then overlay links),
  // then rows and links are compacted forwards. Rows keep their relative order, so a link only
  // ever moves to a lower place. Each fixed chunk of rows first compacts within its own range of
  // links (in parallel; same result on any number of threads), then the chunks are moved down
  // to their final places in chunk order and the row offsets written for the new row ids.
  merge_overlay();
  const std::size_t n = firms();
  const std::size_t chunks = chunk_count(n);
  const bool weighted = base_.stores_weights();
  FirmId* suppliers = base_.suppliers.data();
  float* weights = base_.weights.data();
  std::uint64_t* offsets = base_.offsets.data();
  // Each chunk's first link, read before any chunk rewrites offsets.
  std::vector<std::uint64_t> start(chunks + 1);
  for (std::size_t k = 0; k < chunks; ++k) start[k] = offsets[k * kChunkSize];
  start[chunks] = offsets[n];
  std::vector<std::uint64_t> kept(chunks + 1, 0);
  for_each_chunk(n, [&](std::size_t k, std::size_t begin, std::size_t end) {
    std::uint64_t at = start[k];
    std::uint64_t e = start[k];
    for (std::size_t r = begin; r < end; ++r) {
      const std::uint64_t row_end = r + 1 < end ? offsets[r + 1] : start[k + 1];
      if (customer_of(static_cast<FirmId>(r)) != kNoFirm) {
        for (; e < row_end; ++e) {
          const FirmId to = supplier_of(suppliers[e]);
          if (to == kNoFirm) continue;
          suppliers[at] = to;
          if (weighted) weights[at] = weights[e];
          ++at;
        }
      }
      e = row_end;
      offsets[r + 1] = at - start[k];  // the row's end within the chunk's kept links
    }
    kept[k] = at - start[k];
  });
  // Chunk k's kept links go to `final_start`, below or at where they are: in chunk order no move
  // overwrites links still to be moved.
  std::vector<std::uint64_t> final_start(chunks + 1, 0);
  for (std::size_t k = 0; k < chunks; ++k) {
    final_start[k + 1] = final_start[k] + kept[k];
    if (final_start[k] != start[k]) {
      std::memmove(suppliers + final_start[k], suppliers + start[k], kept[k] * sizeof(FirmId));
      if (weighted) std::memmove(weights + final_start[k], weights + start[k], kept[k] * sizeof(float));
    }
  }
  // Row offsets for the new ids (new row ids keep the old ones' order, so new id <= old row:
  // a forward pass writes only entries it has read). Rows without an old row are empty.
  if (new_firms > n) base_.offsets.resize(new_firms + 1);
  offsets = base_.offsets.data();
  std::size_t next_row = 0;  // new rows below it have their end written
  std::uint64_t written_end = 0;
  for (std::size_t r = 0; r < n; ++r) {
    const FirmId to = customer_of(static_cast<FirmId>(r));
    if (to == kNoFirm) continue;
    const std::uint64_t row_end = final_start[r / kChunkSize] + offsets[r + 1];
    for (; next_row < to; ++next_row) offsets[next_row + 1] = written_end;
    offsets[to + 1] = row_end;
    written_end = row_end;
    next_row = static_cast<std::size_t>(to) + 1;
  }
  for (; next_row < new_firms; ++next_row) offsets[next_row + 1] = written_end;
  offsets[0] = 0;
  base_.offsets.resize(new_firms + 1);
  base_.suppliers.resize(written_end);
  if (weighted) base_.weights.resize(written_end);
  // Keep the overlay's memory for the next steps' links.
  overlay_.offsets.assign(new_firms + 1, 0);
}

void FirmNetwork::compact(const std::vector<std::uint8_t>& alive) {
  auto live = [&](FirmId f) { return f < alive.size() && alive[f] != 0; };
  rebuild(firms(), [&](FirmId c) { return live(c) ? c : kNoFirm; }, [&](FirmId s) { return live(s) ? s : kNoFirm; });
}

void FirmNetwork::renumber(const std::vector<FirmId>& new_id, std::size_t firms) {
  // Implicit weights are read off supplier == customer: fix them before suppliers are renamed.
  match_weights();
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
