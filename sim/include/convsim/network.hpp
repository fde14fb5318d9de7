// The firm network: directed, weighted supplier -> customer links stored as CSR by customer, so
// a firm's update reads its own row (its suppliers) and nothing is written to shared rows.
// Structural change between steps is batched: new links go to a small second CSR (the overlay)
// rebuilt in O(firms + new links); when the overlay grows past a fraction of the base, both are
// merged and links of exited firms are dropped.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace convsim {

// Firm identifier: the firm's slot in the state arrays, stable for the whole run.
using FirmId = std::uint32_t;

// A directed link from a supplier to a customer with a weight (trade intensity, 1).
struct Link {
  FirmId supplier;
  FirmId customer;
  float weight;
};

// Compressed sparse rows of in-links: row c holds the suppliers of customer c.
struct CsrLinks {
  std::vector<std::uint64_t> offsets{0};  // [firms + 1]
  std::vector<FirmId> suppliers;          // [links]
  std::vector<float> weights;             // [links]

  std::size_t firms() const { return offsets.size() - 1; }
  std::size_t links() const { return suppliers.size(); }
  // Builds rows from links in any order; within a row, links keep their relative input order.
  static CsrLinks from_links(std::size_t firms, const std::vector<Link>& links);
  // The same into this object, reusing its arrays' memory (and `cursor`, scratch of firms
  // entries): rebuilt every step, the overlay would otherwise fault in fresh pages each time.
  void assign_links(std::size_t firms, const std::vector<Link>& links, std::vector<std::uint64_t>& cursor);
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
  // Reserves row storage for `firms` slots, so that growing to them moves no memory.
  void reserve(std::size_t firms);
  // Adds empty rows for new firm slots.
  void grow(std::size_t firms);
  // Adds links (between steps). `alive` decides which links survive a merge.
  void add_links(const std::vector<Link>& links, const std::vector<std::uint8_t>& alive);
  // Merges the overlay into the base and drops links that touch a firm that is not alive.
  void compact(const std::vector<std::uint8_t>& alive);

  // Calls f(supplier, weight) for every in-link of `customer` (base first, then overlay).
  template <typename F>
  void for_each_supplier(FirmId customer, F&& f) const {
    for (std::uint64_t e = base_.offsets[customer]; e < base_.offsets[customer + 1]; ++e) {
      f(base_.suppliers[e], base_.weights[e]);
    }
    if (!overlay_.suppliers.empty()) {
      for (std::uint64_t e = overlay_.offsets[customer]; e < overlay_.offsets[customer + 1]; ++e) {
        f(overlay_.suppliers[e], overlay_.weights[e]);
      }
    }
  }
  // In-degree of a firm (stored links, before dropping exited suppliers).
  std::size_t in_degree(FirmId customer) const;
  // Every stored link as a list (tests, snapshots).
  std::vector<Link> all_links() const;
  // Bytes held by the network's arrays.
  std::size_t memory_bytes() const;

  // Merge the overlay when it exceeds this share of the base's links.
  static constexpr double kOverlayMergeShare = 0.125;

 private:
  CsrLinks base_;
  CsrLinks overlay_;
  std::vector<Link> overlay_links_;  // the overlay's links as a list, for rebuilding it
  std::vector<std::uint64_t> cursor_;  // scratch for rebuilding the overlay
};

}  // namespace convsim
