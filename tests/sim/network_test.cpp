// The firm network's CSR against Boost.Graph's compressed_sparse_row_graph built from the same
// links (an independent implementation), and the batched overlay/compaction.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <map>

#include <boost/graph/compressed_sparse_row_graph.hpp>

#include "convsim/network.hpp"
#include "convsim/rng.hpp"

namespace convsim {
namespace {

std::vector<Link> random_links(std::size_t firms, std::size_t count, std::uint64_t seed) {
  std::vector<Link> links;
  for (std::size_t k = 0; k < count; ++k) {
    const RandomBlock r(seed, k, Purpose::user, 0);
    links.push_back({static_cast<FirmId>(r.bits(0) % firms), static_cast<FirmId>(r.bits(1) % firms),
                     static_cast<float>(r.uniform(2))});
  }
  return links;
}

// Links with the engine's weights: 1, and 0 for the links from a firm to itself (about 1 in 10).
std::vector<Link> unit_links(std::size_t firms, std::size_t count, std::uint64_t seed) {
  std::vector<Link> links = random_links(firms, count, seed);
  for (Link& l : links) {
    if (l.weight < 0.1f) l.supplier = l.customer;
    l.weight = implicit_weight(l.supplier, l.customer);
  }
  return links;
}

using Rows = std::map<FirmId, std::vector<std::pair<FirmId, float>>>;

// Multiset of (supplier, weight) per customer from our CSR.
Rows rows_of(const FirmNetwork& net) {
  Rows rows;
  for (std::size_t c = 0; c < net.firms(); ++c) {
    net.for_each_supplier(static_cast<FirmId>(c), [&](FirmId s, float w) { rows[static_cast<FirmId>(c)].push_back({s, w}); });
    std::sort(rows[static_cast<FirmId>(c)].begin(), rows[static_cast<FirmId>(c)].end());
  }
  return rows;
}

TEST(CsrLinks, MatchesBoostCompressedSparseRowGraph) {
  constexpr std::size_t kFirms = 500;
  const std::vector<Link> links = random_links(kFirms, 4000, 11);
  const FirmNetwork ours(CsrLinks::from_links(kFirms, links));

  // Boost's CSR is out-edge oriented: store customer -> supplier so its rows are our rows.
  struct EdgeProps {
    float weight;
  };
  using Graph = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, EdgeProps>;
  std::vector<std::pair<std::size_t, std::size_t>> edges;
  std::vector<EdgeProps> props;
  for (const Link& l : links) {
    edges.emplace_back(l.customer, l.supplier);
    props.push_back({l.weight});
  }
  const Graph boost_graph(boost::edges_are_unsorted_multi_pass, edges.begin(), edges.end(), props.begin(), kFirms);

  const auto rows = rows_of(ours);
  for (std::size_t c = 0; c < kFirms; ++c) {
    std::vector<std::pair<FirmId, float>> expected;
    for (auto [e, end] = boost::out_edges(c, boost_graph); e != end; ++e) {
      expected.push_back({static_cast<FirmId>(boost::target(*e, boost_graph)), boost_graph[*e].weight});
    }
    std::sort(expected.begin(), expected.end());
    const auto it = rows.find(static_cast<FirmId>(c));
    const auto& got = it == rows.end() ? std::vector<std::pair<FirmId, float>>{} : it->second;
    ASSERT_EQ(got, expected) << "customer " << c;
    EXPECT_EQ(ours.in_degree(static_cast<FirmId>(c)), boost::out_degree(c, boost_graph));
  }
  EXPECT_EQ(ours.links(), boost::num_edges(boost_graph));
}

using OrderedRows = std::vector<std::vector<std::pair<FirmId, float>>>;

// The rows among alive firms only: links of exited firms disappear at a compaction, not before.
Rows live_rows(const Rows& rows, const std::vector<std::uint8_t>& alive) {
  Rows out;
  for (const auto& [customer, row] : rows) {
    if (!alive[customer]) continue;
    for (const auto& [supplier, weight] : row) {
      if (alive[supplier]) out[customer].push_back({supplier, weight});
    }
  }
  for (auto& [customer, row] : out) std::sort(row.begin(), row.end());
  return out;
}

// Each new row's (supplier, weight) in for_each_supplier's order: of the network as it is, mapped
// by hand through new_id (what renumber must give), or of the network as it is now.
OrderedRows renumbered_by_hand(const FirmNetwork& net, const std::vector<FirmId>& new_id, FirmId rows) {
  OrderedRows expected(rows);
  for (std::size_t c = 0; c < new_id.size(); ++c) {
    if (new_id[c] == kNoFirm) continue;
    net.for_each_supplier(static_cast<FirmId>(c), [&](FirmId s, float w) {
      if (new_id[s] != kNoFirm) expected[new_id[c]].push_back({new_id[s], w});
    });
  }
  return expected;
}
OrderedRows ordered_rows(const FirmNetwork& net) {
  OrderedRows rows(net.firms());
  for (FirmId c = 0; c < net.firms(); ++c) net.for_each_supplier(c, [&](FirmId s, float w) { rows[c].push_back({s, w}); });
  return rows;
}

TEST(FirmNetwork, OverlayAddsLinksAndCompactionDropsExitedFirms) {
  constexpr std::size_t kFirms = 100;
  const std::vector<Link> base = random_links(kFirms, 800, 3);
  FirmNetwork net(CsrLinks::from_links(kFirms, base));
  std::vector<std::uint8_t> alive(kFirms, 1);
  const std::vector<Link> extra = {{1, 2, 1.0f}, {3, 2, 0.5f}};
  net.add_links(extra);  // small: stays in the overlay
  EXPECT_EQ(net.links(), base.size() + 2);
  std::size_t from_one = 0;
  net.for_each_supplier(2, [&](FirmId s, float) { from_one += s == 1; });
  EXPECT_GE(from_one, 1u);

  // Grow by new slots: they start with no links.
  net.grow(kFirms + 5);
  alive.resize(kFirms + 5, 1);
  EXPECT_EQ(net.in_degree(kFirms + 4), 0u);

  // Firm 1 exits: compaction drops every link touching it and keeps the rest.
  alive[1] = 0;
  std::size_t touching = 0;
  for (const Link& l : net.all_links()) touching += (l.supplier == 1 || l.customer == 1);
  const std::size_t before = net.links();
  net.compact(alive);
  EXPECT_EQ(net.links(), before - touching);
  for (const Link& l : net.all_links()) {
    EXPECT_NE(l.supplier, 1u);
    EXPECT_NE(l.customer, 1u);
  }
}

// Renumbering (the engine's slot compaction) against the plain list of links mapped by hand: rows
// and suppliers of removed firms vanish, the others take their new ids, and each row keeps its
// links in the order for_each_supplier gave them (base first, then overlay).
TEST(FirmNetwork, RenumberingKeepsLiveLinksInOrderUnderTheirNewIds) {
  constexpr std::size_t kFirms = 120;
  FirmNetwork net(CsrLinks::from_links(kFirms, random_links(kFirms, 900, 21)));
  net.add_links(random_links(kFirms, 60, 22));  // stays in the overlay (< 12.5 %)
  ASSERT_GT(net.links(), 900u);
  std::vector<FirmId> new_id(kFirms, kNoFirm);
  FirmId next = 0;
  for (std::size_t f = 0; f < kFirms; ++f) {
    const RandomBlock r(5, f, Purpose::user, 0);
    if (r.uniform(0) >= 0.3) new_id[f] = next++;  // about 30 % removed
  }
  const OrderedRows expected = renumbered_by_hand(net, new_id, next);
  net.renumber(new_id, next);
  ASSERT_EQ(net.firms(), next);
  const OrderedRows got = ordered_rows(net);
  std::size_t links = 0;
  for (FirmId c = 0; c < next; ++c) {
    EXPECT_EQ(got[c], expected[c]) << "new row " << c;
    links += got[c].size();
  }
  EXPECT_EQ(net.links(), links);
  // The renumbered network keeps growing and taking links like any other.
  net.grow(next + 3);
  net.add_links({{0, next + 2, 1.0f}});
  EXPECT_EQ(net.in_degree(next + 2), 1u);
}

TEST(FirmNetwork, LargeOverlayIsMergedIntoTheBase) {
  constexpr std::size_t kFirms = 50;
  FirmNetwork net(CsrLinks::from_links(kFirms, random_links(kFirms, 100, 5)));
  const auto extra = random_links(kFirms, 40, 6);  // > 12.5% of the base: merged
  const auto before = rows_of(net);
  net.add_links(extra);
  EXPECT_EQ(net.links(), 140u);
  FirmNetwork reference(CsrLinks::from_links(kFirms, [&] {
    auto all = random_links(kFirms, 100, 5);
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
  }()));
  EXPECT_EQ(rows_of(net), rows_of(reference));
  EXPECT_NE(rows_of(net), before);
}

// Many steps of structural change through the reused overlay and base buffers against a plain
// list of links filtered by who is alive (the reference): growth with reserved rows, small
// batches that stay in the overlay, large ones that trigger a merge, exits, explicit compaction.
TEST(FirmNetwork, ManyStepsOfChangeMatchAPlainListOfLinks) {
  std::size_t firms = 200;
  FirmNetwork net(CsrLinks::from_links(firms, random_links(firms, 1000, 11)));
  net.reserve(400);
  std::vector<Link> reference = random_links(firms, 1000, 11);
  std::vector<std::uint8_t> alive(firms, 1);
  for (int step = 0; step < 40; ++step) {
    const RandomBlock r(3, static_cast<std::uint64_t>(step), Purpose::user, 0);
    if (step % 3 == 0 && firms < 400) {  // entrants
      firms += 5;
      alive.resize(firms, 1);
      net.grow(firms);
    }
    alive[r.bits(0) % firms] = 0;  // an exit
    const std::size_t batch = step % 7 == 0 ? 200 : 10;  // sometimes past the merge share
    const auto links = random_links(firms, batch, 100 + static_cast<std::uint64_t>(step));
    net.add_links(links);
    reference.insert(reference.end(), links.begin(), links.end());
    if (step % 10 == 9) net.compact(alive);
    ASSERT_EQ(net.firms(), firms);
    FirmNetwork expected(CsrLinks::from_links(firms, reference));
    ASSERT_EQ(live_rows(rows_of(net), alive), live_rows(rows_of(expected), alive)) << "step " << step;
  }
  // After a final compaction nothing of an exited firm is stored.
  net.compact(alive);
  for (const Link& l : net.all_links()) {
    EXPECT_TRUE(alive[l.supplier] && alive[l.customer]);
  }
  const auto live = std::count_if(reference.begin(), reference.end(),
                                  [&](const Link& l) { return alive[l.supplier] && alive[l.customer]; });
  EXPECT_EQ(net.links(), static_cast<std::size_t>(live));
}

// Entrants' rows given their links with append_rows read, in order, exactly like the same links
// sent through add_links (the overlay), through many steps of growth, overlay links between old
// rows, merges, compactions and a renumbering; with implied weights and with stored ones.
TEST(FirmNetwork, AppendedRowsReadLikeOverlayLinksThroughEveryChange) {
  for (const bool implied : {true, false}) {
    std::size_t firms = 150;
    auto links_of = [&](std::size_t n, std::size_t count, std::uint64_t seed) {
      return implied ? unit_links(n, count, seed) : random_links(n, count, seed);
    };
    const std::vector<Link> initial = links_of(firms, 900, 21);
    FirmNetwork appended(CsrLinks::from_links(firms, initial));
    FirmNetwork overlaid(CsrLinks::from_links(firms, initial));
    appended.reserve(600, 4000);
    overlaid.reserve(600, 4000);
    std::vector<std::uint8_t> alive(firms, 1);
    for (int step = 0; step < 30; ++step) {
      const std::uint64_t seed = 500 + static_cast<std::uint64_t>(step);
      const RandomBlock r(7, static_cast<std::uint64_t>(step), Purpose::user, 0);
      // Links between the rows there are (partnerships), then new rows with their own links.
      std::vector<Link> step_links = links_of(firms, step % 5 == 0 ? 150 : 12, seed);
      const std::size_t old_rows = step_links.size();
      const std::size_t first = firms;
      const std::size_t added = 1 + r.bits(0) % 9;
      firms += added;
      alive.resize(firms, 1);
      alive[r.bits(1) % first] = 0;
      for (std::size_t c = first; c < firms; ++c) {
        const std::size_t degree = (c * 7 + static_cast<std::size_t>(step)) % 6;  // 0..5, some rows empty
        for (std::size_t d = 0; d < degree; ++d) {
          const FirmId supplier = static_cast<FirmId>((c * 31 + d * 17 + static_cast<std::size_t>(step)) % first);
          step_links.push_back({supplier, static_cast<FirmId>(c), implied ? 1.0f : 0.25f + 0.1f * static_cast<float>(d)});
        }
      }
      appended.grow(firms);
      overlaid.grow(firms);
      appended.append_rows(static_cast<FirmId>(first), step_links, old_rows);
      appended.add_links(std::vector<Link>(step_links.begin(), step_links.begin() + static_cast<std::ptrdiff_t>(old_rows)));
      overlaid.add_links(step_links);
      if (step % 8 == 7) {
        appended.compact(alive);
        overlaid.compact(alive);
      }
      ASSERT_EQ(appended.firms(), overlaid.firms());
      ASSERT_EQ(ordered_rows(appended), ordered_rows(overlaid)) << "step " << step << (implied ? ", implied" : ", stored");
    }
    std::vector<FirmId> new_id(firms, kNoFirm);
    FirmId next = 0;
    for (std::size_t c = 0; c < firms; ++c) {
      if (alive[c]) new_id[c] = next++;
    }
    appended.renumber(new_id, next);
    overlaid.renumber(new_id, next);
    EXPECT_EQ(ordered_rows(appended), ordered_rows(overlaid));
    EXPECT_EQ(appended.links(), overlaid.links());
  }
}

TEST(FirmNetwork, AppendRowsRefusesRowsThatHaveLinksAndUnsortedLinks) {
  FirmNetwork net(CsrLinks::from_links(10, unit_links(10, 40, 5)));
  net.grow(14);
  EXPECT_THROW(net.append_rows(9, {{1, 12, 1.0f}}), std::invalid_argument) << "row 9 has links";
  EXPECT_THROW(net.append_rows(10, {{1, 13, 1.0f}, {2, 11, 1.0f}}), std::invalid_argument) << "not sorted";
  EXPECT_THROW(net.append_rows(10, {{1, 14, 1.0f}}), std::invalid_argument) << "past the rows";
  net.add_links({{3, 12, 1.0f}});
  EXPECT_THROW(net.append_rows(10, {{1, 13, 1.0f}}), std::invalid_argument) << "row 12 has an overlay link";
  EXPECT_NO_THROW(net.append_rows(13, {{1, 13, 1.0f}, {2, 13, 1.0f}}));
  EXPECT_EQ(net.in_degree(13), 2u);
}

// Weights other than the implied ones are kept also when the base has no link yet to store
// weights beside.
TEST(FirmNetwork, AppendedRowsKeepTheirWeightsOnAnEmptyBase) {
  FirmNetwork net(CsrLinks::from_links(3, {}));
  net.grow(5);
  net.append_rows(3, {{0, 3, 0.5f}, {1, 4, 2.0f}, {2, 4, 1.0f}});
  const OrderedRows expected = {{}, {}, {}, {{0, 0.5f}}, {{1, 2.0f}, {2, 1.0f}}};
  EXPECT_EQ(ordered_rows(net), expected);
}

// The engine's networks store no weights (1 a link, 0 a self-link, implied): the rows must read
// as those of a network that stores them, through merges, compactions and renumbering, also when
// links of other weights join (the rows then store all weights).
TEST(FirmNetwork, ImpliedWeightsReadLikeStoredOnesThroughEveryChange) {
  constexpr std::size_t kFirms = 150;
  const std::vector<Link> base = unit_links(kFirms, 900, 31);
  ASSERT_TRUE(std::any_of(base.begin(), base.end(), [](const Link& l) { return l.weight == 0.0f; }));
  FirmNetwork net(CsrLinks::from_links(kFirms, base));
  EXPECT_FALSE(net.base().stores_weights());
  CsrLinks stored = CsrLinks::from_links(kFirms, base);
  stored.store_weights();
  ASSERT_TRUE(stored.stores_weights());
  const FirmNetwork explicit_net(std::move(stored));
  EXPECT_EQ(rows_of(net), rows_of(explicit_net));
  EXPECT_EQ(explicit_net.memory_bytes() - net.memory_bytes(), 900 * sizeof(float));
  EXPECT_EQ(net.base().link_weights(), explicit_net.base().link_weights());

  std::vector<Link> reference = base;
  std::vector<std::uint8_t> alive(kFirms, 1);
  for (int step = 0; step < 30; ++step) {
    // Unit-weight batches, small (overlay) and large (merged); at step 20 one of other weights.
    const std::size_t batch = step % 6 == 0 ? 150 : 8;
    const auto links = step == 20 ? random_links(kFirms, batch, 500) : unit_links(kFirms, batch, 200 + static_cast<std::uint64_t>(step));
    net.add_links(links);
    reference.insert(reference.end(), links.begin(), links.end());
    alive[static_cast<std::size_t>(step * 37) % kFirms] = 0;
    if (step % 10 == 9) net.compact(alive);
    if (step < 20) {
      EXPECT_FALSE(net.base().stores_weights()) << "step " << step;
    }
    FirmNetwork expected(CsrLinks::from_links(kFirms, reference));
    ASSERT_EQ(live_rows(rows_of(net), alive), live_rows(rows_of(expected), alive)) << "step " << step;
  }
  // Renumbering with both kinds of rows: the weights follow their links under the new ids.
  std::vector<FirmId> new_id(kFirms, kNoFirm);
  FirmId next = 0;
  for (std::size_t f = 0; f < kFirms; ++f) {
    if (alive[f]) new_id[f] = next++;
  }
  // Unit-weight links beside stored ones, self-links among them, left in the overlay.
  const auto late = unit_links(kFirms, 60, 900);
  ASSERT_TRUE(std::any_of(late.begin(), late.end(), [&](const Link& l) { return l.weight == 0.0f && new_id[l.customer] != kNoFirm && new_id[l.customer] != l.customer; }));
  net.add_links(late);
  ASSERT_TRUE(net.base().stores_weights());
  const OrderedRows expected = renumbered_by_hand(net, new_id, next);
  net.renumber(new_id, next);
  const OrderedRows got = ordered_rows(net);
  for (FirmId c = 0; c < next; ++c) EXPECT_EQ(got[c], expected[c]) << "new row " << c;
}

// A renumbering of a network with implied weights: a self-link stays a self-link (weight 0)
// under its new id, and no weights are stored afterwards.
TEST(FirmNetwork, RenumberingKeepsImpliedWeights) {
  constexpr std::size_t kFirms = 60;
  FirmNetwork net(CsrLinks::from_links(kFirms, unit_links(kFirms, 400, 41)));
  net.add_links(unit_links(kFirms, 20, 42));
  std::vector<FirmId> new_id(kFirms, kNoFirm);
  FirmId next = 0;
  for (std::size_t f = 0; f < kFirms; ++f) {
    if (f % 4 != 1) new_id[f] = next++;
  }
  const OrderedRows expected = renumbered_by_hand(net, new_id, next);
  net.renumber(new_id, next);
  EXPECT_FALSE(net.base().stores_weights());
  const OrderedRows got = ordered_rows(net);
  std::size_t self_links = 0;
  for (FirmId c = 0; c < next; ++c) {
    EXPECT_EQ(got[c], expected[c]) << "new row " << c;
    for (const auto& [s, w] : got[c]) self_links += s == c;
  }
  EXPECT_GT(self_links, 0u);
}


// The VmFlags of the mapping that holds `address` (/proc/self/smaps), "" when none is found.
std::string vm_flags_of(const void* address) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t low = 0, high = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> low >> dash >> high && dash == '-') {
      inside = at >= low && at < high;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

TEST(HugePageAllocator, LargeArraysAreAlignedAdvisedAndKeepTheirContentsAsTheyGrow) {
  // Below the threshold: an ordinary allocation. At and above it: a mapping of its own on a
  // 2 MiB boundary, advised for huge pages ("hg" in its VmFlags), contents kept through growth.
  NetworkColumn<std::uint32_t> column;
  column.resize(1000);
  for (std::uint32_t i = 0; i < column.size(); ++i) column[i] = i * 7u;
  EXPECT_EQ(vm_flags_of(column.data()).find(" hg"), std::string::npos) << vm_flags_of(column.data());
  const std::size_t large = detail::kLargeArrayBytes / sizeof(std::uint32_t) + 12345;
  column.resize(large);  // the new elements are not written (UninitialisedAllocator)
  for (std::size_t i = 1000; i < large; ++i) column[i] = static_cast<std::uint32_t>(i * 7u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(column.data()) % (std::size_t{2} << 20), 0u);
  const std::string flags = vm_flags_of(column.data());
  ASSERT_FALSE(flags.empty());
  EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;
  column.reserve(3 * large);  // moves to a larger mapping
  for (std::size_t i = 0; i < large; ++i) ASSERT_EQ(column[i], static_cast<std::uint32_t>(i * 7u)) << i;
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(column.data()) % (std::size_t{2} << 20), 0u);
  // The last byte of the last page is usable (the mapping covers the whole rounded size).
  std::vector<char, HugePageAllocator<char>> bytes(detail::kLargeArrayBytes + 1, 'x');
  bytes.back() = 'y';
  EXPECT_EQ(bytes.front(), 'x');
  EXPECT_EQ(bytes.back(), 'y');
}

}  // namespace
}  // namespace convsim
