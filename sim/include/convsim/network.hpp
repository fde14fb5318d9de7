// The firm network: directed, weighted supplier -> customer links stored as CSR by customer, so
// a firm's update reads its own row (its suppliers) and nothing is written to shared rows.
// Structural change between steps is batched: new links go to a small second CSR (the overlay)
// rebuilt in O(firms + new links); when the overlay grows past a fraction of the base, both are
// merged in place (rows moved up within the base's arrays, no second copy). Links of exited
// firms are dropped when the engine compacts its slots (renumber) or on request (compact), also
// in place; until then readers skip them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace convsim {

// A firm's slot in the state arrays. Slots are renumbered (in order) when exited firms are
// removed; a firm's identity for draws and snapshots is its entry number (models::FirmState::uid).
using FirmId = std::uint32_t;
// No firm (a removed slot, a draw from an empty sector).
inline constexpr FirmId kNoFirm = UINT32_MAX;

// A directed link from a supplier to a customer with a weight (trade intensity, 1).
struct Link {
  FirmId supplier;
  FirmId customer;
  float weight;
};

namespace detail {
// Blocks of at least kLargeArrayBytes are mapped on their own, 2 MiB aligned, and offered to the
// kernel for transparent huge pages (madvise; a kernel that does not offer them gives 4 KiB pages
// and nothing else changes). Smaller ones come from operator new.
inline constexpr std::size_t kLargeArrayBytes = std::size_t{4} << 20;
void* allocate_array(std::size_t bytes);
void deallocate_array(void* p, std::size_t bytes) noexcept;
}  // namespace detail

// An allocator that puts large arrays on huge pages. The firm pass reads its suppliers' state,
// the samplers' tables and the network rows at random over hundreds of MB: on 4 KiB pages nearly
// every such read also misses the TLB and walks the page tables, on 2 MiB pages almost none does
// (and building 10^7 firms takes 512 times fewer page faults). Where an element lives does not
// change any result.
template <typename T>
struct HugePageAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = HugePageAllocator<U>;
  };
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    if (n > std::size_t(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(detail::allocate_array(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept { detail::deallocate_array(p, n * sizeof(T)); }
};
template <typename T, typename U>
bool operator==(const HugePageAllocator<T>&, const HugePageAllocator<U>&) noexcept { return true; }

// An allocator whose resize() leaves new elements default-initialised (for numbers: not written)
// instead of zero-filling them, large arrays on huge pages. The network's arrays are tens to
// hundreds of MB and are written in full by parallel loops right after they are sized:
// zero-filling them first would be a serial pass over all of that memory (and its page faults)
// on one thread.
template <typename T>
struct UninitialisedAllocator : HugePageAllocator<T> {
  template <typename U>
  struct rebind {
    using other = UninitialisedAllocator<U>;
  };
  UninitialisedAllocator() = default;
  template <typename U>
  UninitialisedAllocator(const UninitialisedAllocator<U>&) noexcept {}
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// A column of the network whose resize() does not zero-fill (see UninitialisedAllocator): every
// element must be written before it is read.
template <typename T>
using NetworkColumn = std::vector<T, UninitialisedAllocator<T>>;

// The weight a link has when its rows store none: 1, except a link from a firm to itself, 0
// (the engine keeps a supplier draw that found no other firm as such a placeholder).
inline float implicit_weight(FirmId supplier, FirmId customer) { return supplier == customer ? 0.0f : 1.0f; }

// Compressed sparse rows of in-links: row c holds the suppliers of customer c.
struct CsrLinks {
  NetworkColumn<std::uint64_t> offsets{0};  // [firms + 1]
  NetworkColumn<FirmId> suppliers;          // [links]
  // [links], or empty when every link has its implicit_weight (the engine's networks: 4 bytes a
  // link less, 0.4 GB at 10^7 firms).
  NetworkColumn<float> weights;

  std::size_t firms() const { return offsets.size() - 1; }
  std::size_t links() const { return suppliers.size(); }
  bool stores_weights() const { return !weights.empty(); }
  // Every link's weight, stored or implicit, in link order.
  std::vector<float> link_weights() const;
  // Stores the implicit weights explicitly (before links of other weights join these rows).
  void store_weights();
  // Drops the stored weights when every one equals its implicit weight.
  void drop_implicit_weights();
  // Builds rows from links in any order; within a row, links keep their relative input order.
  static CsrLinks from_links(std::size_t firms, const std::vector<Link>& links);
  // The same into this object, reusing its arrays' memory: rebuilt every step, the overlay would
  // otherwise fault in fresh pages each time.
  void assign_links(std::size_t firms, const std::vector<Link>& links);
};

// The evolving network of a run: a base CSR plus an overlay of links added since the last merge.
class FirmNetwork {
 public:
  FirmNetwork() = default;
  // Takes ownership of a base CSR (e.g. built in parallel by the economy's initialiser).
  explicit FirmNetwork(CsrLinks base);

  // Number of firm slots (rows).
  std::size_t firms() const { return base_.firms(); }
  // Number of stored links (base + overlay, including links of exited firms not yet dropped).
  std::size_t links() const { return base_.links() + overlay_.links(); }
  // Reserves row storage for `firms` slots and base storage for `links` links, so that growing
  // to them (entrants' rows, merges) moves no memory. Reserved capacity that is never used costs
  // address space only, not resident memory.
  void reserve(std::size_t firms, std::size_t links = 0);
  // Adds empty rows for new firm slots.
  void grow(std::size_t firms);
  // Adds links (between steps): to the overlay, which is merged into the base (merge_overlay)
  // when it exceeds kOverlayMergeShare of the base's links.
  void add_links(const std::vector<Link>& links);
  // Gives the rows from `first` on — new slots, added by grow, without links yet — the links
  // links[begin..]: sorted by customer, every customer in [first, firms()). They go straight into
  // the base's arrays (after its last row, so nothing moves while the reserved room lasts), and the
  // rows read exactly as if add_links had put them in the overlay: a new row has no other links,
  // so base-then-overlay order is the links' order either way. Entrants' suppliers come this way,
  // which keeps the overlay (rebuilt at every add_links, one thread) to the few links between
  // incumbents, and lets prefetch_suppliers see the entrants' links. Throws
  // std::invalid_argument when the rows are not new or the links not sorted within them.
  void append_rows(FirmId first, const std::vector<Link>& links, std::size_t begin = 0);
  // Merges the overlay into the base, keeping every link (in place: links of exited firms
  // are dropped by compact or renumber, and skipped by readers that check who is alive).
  void merge_overlay();
  // Merges the overlay into the base and drops links that touch a firm that is not alive.
  void compact(const std::vector<std::uint8_t>& alive);
  // Renumbers the firms: old slot f becomes new_id[f] (kNoFirm: removed with its links), new ids
  // keeping the old ones' order; the overlay is merged and `firms` rows remain.
  void renumber(const std::vector<FirmId>& new_id, std::size_t firms);

  // Calls f(supplier, weight) for every in-link of `customer` (base first, then overlay).
  template <typename F>
  void for_each_supplier(FirmId customer, F&& f) const {
    visit_row(base_, customer, f);
    if (!overlay_.suppliers.empty()) visit_row(overlay_, customer, f);
  }
  // Prefetches data[supplier] for every base in-link of `customer`: a hint to the cache, with no
  // effect on any result (a firm pass calls it a few firms ahead of the one it updates).
  template <typename T>
  void prefetch_suppliers(FirmId customer, const T* data) const {
    for (std::uint64_t e = base_.offsets[customer]; e < base_.offsets[customer + 1]; ++e) {
      __builtin_prefetch(data + base_.suppliers[e]);
    }
  }
  // In-degree of a firm (stored links, before dropping exited suppliers).
  std::size_t in_degree(FirmId customer) const;
  // Every stored link as a list (tests, snapshots).
  std::vector<Link> all_links() const;
  // Bytes held by the network's arrays.
  std::size_t memory_bytes() const;

  // The network as a checkpoint saves it: the base rows and the overlay's links in the order they
  // were added (the overlay's rows are built from them).
  const CsrLinks& base() const { return base_; }
  const std::vector<Link>& overlay_links() const { return overlay_links_; }
  // A network saved as base() and overlay_links(): the same rows, overlay and later behaviour.
  // The caller has checked that offsets are a CSR's and every firm index is below base.firms().
  static FirmNetwork restore(CsrLinks base, std::vector<Link> overlay_links);

  // Merge the overlay when it exceeds this share of the base's links.
  static constexpr double kOverlayMergeShare = 0.125;

 private:
  // Merges base and overlay into a new base of `new_firms` rows: old row c becomes row
  // customer_of(c), supplier s becomes supplier_of(s); kNoFirm drops the row or the link.
  template <typename CustomerMap, typename SupplierMap>
  void rebuild(std::size_t new_firms, CustomerMap&& customer_of, SupplierMap&& supplier_of);

  template <typename F>
  static void visit_row(const CsrLinks& part, FirmId customer, F& f) {
    const std::uint64_t begin = part.offsets[customer], end = part.offsets[customer + 1];
    if (part.stores_weights()) {
      for (std::uint64_t e = begin; e < end; ++e) f(part.suppliers[e], part.weights[e]);
    } else {
      for (std::uint64_t e = begin; e < end; ++e) f(part.suppliers[e], implicit_weight(part.suppliers[e], customer));
    }
  }
  // When one of base and overlay stores weights and the other does not, the other stores them too.
  void match_weights();

  CsrLinks base_;
  CsrLinks overlay_;
  std::vector<Link> overlay_links_;  // the overlay's links as a list, for rebuilding it
};

}  // namespace convsim
