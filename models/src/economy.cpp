#include "convsim/models/economy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "convsim/models/firm_rules.hpp"
#include "convsim/parallel.hpp"
#include "convsim/rng.hpp"

#include <tbb/parallel_for.h>

namespace convsim::models {

void FirmState::reserve(std::size_t n) {
  uid.reserve(n);
  sector.reserve(n);
  alive.reserve(n);
  level.reserve(n);
  technology.reserve(n);
  productivity.reserve(n);
  wage_premium.reserve(n);
  capital.reserve(n);
  employment.reserve(n);
  output.reserve(n);
  age.reserve(n);
}

FirmId FirmState::append(std::size_t n) {
  const std::size_t first = size();
  const std::size_t total = first + n;
  if (created + n > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("economy: more than 2^32 firms created in one run");
  }
  uid.resize(total);
  for (std::size_t k = first; k < total; ++k) uid[k] = static_cast<std::uint32_t>(created++);
  sector.resize(total, 0);
  alive.resize(total, 0);
  level.resize(total, 0);
  technology.resize(total, 0.0);
  productivity.resize(total, 0.0f);
  wage_premium.resize(total, 0.0f);
  capital.resize(total, 0.0);
  employment.resize(total, 0.0);
  output.resize(total, 0.0);
  age.resize(total, 0);
  return static_cast<FirmId>(first);
}

void FirmState::resize_unwritten(std::size_t n) {
  uid.resize(n);
  sector.resize(n);
  alive.resize(n);
  level.resize(n);
  technology.resize(n);
  productivity.resize(n);
  wage_premium.resize(n);
  capital.resize(n);
  employment.resize(n);
  output.resize(n);
  age.resize(n);
}

std::size_t FirmState::memory_bytes() const {
  return uid.capacity() * 4 + sector.capacity() * 2 + alive.capacity() + level.capacity() + technology.capacity() * 8 +
         productivity.capacity() * 4 + wage_premium.capacity() * 4 + capital.capacity() * 8 + employment.capacity() * 8 +
         output.capacity() * 8 + age.capacity() * 4;
}

void SectorSampler::build(const std::vector<FirmId>& members, const std::vector<double>& weights) {
  columns.resize(members.size());
  for (std::size_t k = 0; k < members.size(); ++k) columns[k].firm = members[k];
  std::vector<double> scratch = weights;
  build_in_place(scratch);
}

void SectorSampler::build_in_place(std::vector<double>& weights) {
  const std::size_t n = columns.size();
  // Until the end, `alias` holds the alias column's index; then it becomes that column's firm.
  for (std::size_t k = 0; k < n; ++k) {
    columns[k].keep = 1.0f;
    columns[k].alias = static_cast<FirmId>(k);
  }
  double total = 0;
  for (double w : weights) total += w;
  if (n > 0 && total > 0) {
    // Vose's alias method: scaled weights (written over the weights) split into small (< 1) and
    // large columns, paired off. The two stacks share one array, small from the front and large
    // from the back: a column is on at most one of them.
    std::vector<double>& scaled = weights;
    std::vector<std::uint32_t> stacks(n);
    std::size_t small = 0, large = 0;  // stacks[0, small) and stacks[n - large, n), tops inmost
    for (std::size_t k = 0; k < n; ++k) {
      scaled[k] = weights[k] * static_cast<double>(n) / total;
      if (scaled[k] < 1.0) stacks[small++] = static_cast<std::uint32_t>(k);
      else stacks[n - ++large] = static_cast<std::uint32_t>(k);
    }
    while (small > 0 && large > 0) {
      const std::uint32_t lo = stacks[--small];
      const std::uint32_t hi = stacks[n - large];
      columns[lo].keep = static_cast<float>(scaled[lo]);
      columns[lo].alias = hi;
      scaled[hi] -= 1.0 - scaled[lo];
      if (scaled[hi] < 1.0) {
        --large;
        stacks[small++] = hi;
      }
    }
  }
  for (auto& column : columns) column.alias = columns[column.alias].firm;
}

SectorSampler::Located SectorSampler::locate(double u) const {
  if (columns.empty()) return {};
  const double x = u * static_cast<double>(columns.size());
  const std::size_t k = std::min<std::size_t>(static_cast<std::size_t>(x), columns.size() - 1);
  const Column* column = &columns[k];
  __builtin_prefetch(column);
  return {column, x - static_cast<double>(k)};
}

FirmSizeLaw::FirmSizeLaw(const EconomySettings& e) {
  // Inverse CDF of a Pareto law with tail exponent zeta truncated to [min, max]:
  // min (1 - u (1 - (min/max)^zeta))^(-1/zeta).
  const double zeta = e.size_exponent;
  const double ratio = std::pow(e.min_firm_size / e.max_firm_size, zeta);
  min_size_ = e.min_firm_size;
  one_minus_ratio_ = 1.0 - ratio;
  exponent_ = -1.0 / zeta;
}

double level_multiplier(const AdoptionSettings& a, std::uint8_t level) {
  switch (level) {
    case 1: return 1.0 + a.lift_package;
    case 2: return 1.0 + a.lift_hybrid;
    case 3: return 1.0 + a.lift_fusion;
    default: return 1.0;
  }
}

void rebuild_samplers(const Scenario& scenario, Economy& economy) {
  const std::size_t S = scenario.sectors.size();
  const FirmState& f = economy.firms;
  const std::size_t n = f.size();
  // Members of each sector in slot order, collected in parallel: each chunk counts its alive
  // firms by sector, the counts give every chunk its place in each list, and chunks fill their
  // places (the same lists as one pass over the slots would give).
  const std::size_t chunks = chunk_count(n);
  std::vector<std::size_t> place(chunks * S, 0);
  for_each_chunk(n, [&](std::size_t c, std::size_t begin, std::size_t end) {
    std::size_t* counts = &place[c * S];
    for (std::size_t i = begin; i < end; ++i) counts[f.sector[i]] += f.alive[i];
  });
  // Each sector's members go straight into its table's columns (resized in place), their weights
  // into a list the table's build then overwrites with its scaled weights: no member list beside
  // the tables (at 10^7 firms the temporaries of a refresh add to the run's peak of memory).
  economy.samplers.resize(S);
  std::vector<std::vector<double>> weights(S);
  for (std::size_t s = 0; s < S; ++s) {
    std::size_t running = 0;
    for (std::size_t c = 0; c < chunks; ++c) {
      const std::size_t count = place[c * S + s];
      place[c * S + s] = running;
      running += count;
    }
    economy.samplers[s].columns.resize(running);
    weights[s].resize(running);
  }
  const double pref = scenario.network.size_preference;
  for_each_chunk(n, [&](std::size_t c, std::size_t begin, std::size_t end) {
    std::size_t* at = &place[c * S];
    for (std::size_t i = begin; i < end; ++i) {
      if (!f.alive[i]) continue;
      const std::size_t s = f.sector[i];
      const double size = std::max(f.employment[i], 1e-9);
      economy.samplers[s].columns[at[s]].firm = static_cast<FirmId>(i);
      weights[s][at[s]] = pref == 1.0 ? size : std::pow(size, pref);
      ++at[s];
    }
  });
  // Each sector's table is independent of the others: build them in parallel, each freeing its
  // weights when done.
  tbb::parallel_for(std::size_t{0}, S, [&](std::size_t s) {
    economy.samplers[s].build_in_place(weights[s]);
    weights[s] = std::vector<double>();
  });
  // Supplier sectors for each customer sector: link intensity, restricted to sectors with firms.
  economy.supplier_sectors.assign(S, std::vector<double>(S, 0.0));
  for (std::size_t c = 0; c < S; ++c) {
    double running = 0;
    for (std::size_t s = 0; s < S; ++s) {
      if (!economy.samplers[s].empty()) running += scenario.link_intensity(static_cast<int>(s), static_cast<int>(c));
      economy.supplier_sectors[c][s] = running;
    }
  }
}

namespace {

// Keeps the entries of `column` whose slot has a new id, in order and in place (old_slot[k] >= k,
// so a forward pass never overwrites an entry it has still to read): no second copy of the column
// and no fresh pages to fault in, which at 10^7 firms cost more than the copy itself.
template <typename Column>
void compact_column(Column& column, const std::vector<FirmId>& old_slot) {
  for (std::size_t k = 0; k < old_slot.size(); ++k) column[k] = column[old_slot[k]];
  column.resize(old_slot.size());
}

}  // namespace

bool compact_firms(Economy& economy) {
  FirmState& f = economy.firms;
  const std::size_t n = f.size();
  std::vector<FirmId> new_id(n, kNoFirm);
  std::vector<FirmId> old_slot;
  old_slot.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (f.alive[i]) {
      new_id[i] = static_cast<FirmId>(old_slot.size());
      old_slot.push_back(static_cast<FirmId>(i));
    }
  }
  if (static_cast<double>(n - old_slot.size()) <= kCompactExitedShare * static_cast<double>(n)) return false;
  compact_column(f.uid, old_slot);
  compact_column(f.sector, old_slot);
  compact_column(f.alive, old_slot);
  compact_column(f.level, old_slot);
  compact_column(f.technology, old_slot);
  compact_column(f.productivity, old_slot);
  compact_column(f.wage_premium, old_slot);
  compact_column(f.capital, old_slot);
  compact_column(f.employment, old_slot);
  compact_column(f.output, old_slot);
  compact_column(f.age, old_slot);
  compact_column(economy.visible, old_slot);
  // The next state and the per-step scratch are written in full by the next step.
  economy.visible_next.resize(old_slot.size());
  economy.network.renumber(new_id, old_slot.size());
  return true;
}

}  // namespace convsim::models

namespace convsim::models {

namespace {

// One supplier of a customer of `customer_sector`, located: its sector by intensity, then the firm.
SectorSampler::Located locate_supplier(const Economy& economy, int customer_sector, double u_sector, double u_firm) {
  const std::vector<double>& cumulative = economy.supplier_sectors[customer_sector];
  if (cumulative.empty() || cumulative.back() <= 0) return {};
  const double target = u_sector * cumulative.back();
  // The first sector whose cumulative weight exceeds the target (upper_bound), counted without
  // branches: the list is sorted, so that index is the number of entries at or below the target.
  // A handful of sectors: a binary search's branches would be mispredicted half the time.
  std::size_t at_or_below = 0;
  for (const double c : cumulative) at_or_below += c <= target;
  const std::size_t s = std::min<std::size_t>(at_or_below, cumulative.size() - 1);
  return economy.samplers[s].locate(u_firm);
}

}  // namespace

void locate_suppliers(const Economy& economy, int customer_sector, std::uint64_t seed, FirmId firm, std::uint64_t step,
                      std::size_t degree, std::vector<SectorSampler::Located>& located) {
  located.resize(degree);
  for (std::size_t k = 0; k < degree; k += 2) {
    const RandomBlock draw(seed, firm, Purpose::network_supplier, step, static_cast<std::uint32_t>(k / 2));
    located[k] = locate_supplier(economy, customer_sector, draw.uniform(0), draw.uniform(1));
    if (k + 1 < degree) located[k + 1] = locate_supplier(economy, customer_sector, draw.uniform(2), draw.uniform(3));
  }
}

}  // namespace convsim::models
