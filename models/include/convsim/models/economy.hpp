// Economy: the mutable state of a run (MuJoCo's mjData to the Scenario's mjModel). Firms are a
// structure of arrays indexed by FirmId; the network is CSR. A step reads state t and writes t+1.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "convsim/network.hpp"
#include "convsim/scenario.hpp"

namespace convsim::models {

// Convergence levels: the degrees of combining ICT with an industry.
enum class ConvergenceLevel : std::uint8_t { none = 0, package = 1, hybrid = 2, fusion = 3 };

// What a neighbour may read of a firm during a step (double-buffered, packed to one cache read).
struct VisibleFirm {
  float technology;     // log technology a, log points
  std::uint8_t level;   // ConvergenceLevel
  std::uint8_t alive;   // 1 alive, 0 exited
  std::uint16_t sector;
};

// A per-firm column: resize() leaves new entries unwritten (see UninitialisedAllocator), so that
// building 10^7 firms writes each column once, in parallel (first touch on the thread that fills
// it), instead of zero-filling it on one thread first. FirmState::append still writes every
// entry it adds.
template <typename T>
using SlotColumn = NetworkColumn<T>;

// Firm state as columns. An exited firm keeps its slot with alive = 0 until the slots are
// compacted (compact_firms), which removes exited firms and renumbers the rest in order. A firm's
// identity is its uid, its entry number (0, 1, ... in the order firms were created): it keys the
// firm's draws and indexes firm snapshots, so compaction changes no draw.
struct FirmState {
  SlotColumn<std::uint32_t> uid;        // entry number, increasing with the slot
  SlotColumn<std::uint16_t> sector;
  SlotColumn<std::uint8_t> alive;
  SlotColumn<std::uint8_t> level;       // ConvergenceLevel
  SlotColumn<double> technology;        // log technology a (evolves), log points
  SlotColumn<float> productivity;       // log firm-specific efficiency theta (evolves), log points
  SlotColumn<float> wage_premium;       // log wage premium omega: the firm pays w e^omega (fixed for its life), log points
  SlotColumn<double> capital;           // K, 1e8 KRW
  SlotColumn<double> employment;        // L, persons
  SlotColumn<double> output;            // Y in the last step, real (base prices, quality-adjusted units), 1e8 KRW/year
  SlotColumn<std::int32_t> age;         // steps since entry

  std::uint64_t created = 0;             // firms ever created: the next firm's uid

  std::size_t size() const { return sector.size(); }
  // Reserves room for n slots (initial firms and the entrants expected over a run).
  void reserve(std::size_t n);
  // Appends n default slots (dead, zero) with the next n uids and returns the first new slot.
  FirmId append(std::size_t n);
  // Sizes the columns to n slots, the first of an economy, leaving every entry unwritten: the
  // caller writes every column of every slot (uid i included) and sets `created` to n.
  void resize_unwritten(std::size_t n);
  // Bytes held by the columns.
  std::size_t memory_bytes() const;
};

// Sampling firms of one sector in proportion to size^preference (supplier and partner choice):
// a Walker alias table, so one pick costs O(1) whatever the sector's size.
struct SectorSampler {
  // One column of the alias table, packed so that a draw reads one place in memory (at 10^7
  // firms the tables do not fit in cache and every separate array read is a cache miss).
  struct Column {
    float keep;    // probability of keeping the column's own firm rather than its alias
    FirmId firm;   // the column's firm
    FirmId alias;  // the firm of the column's alias
  };
  std::vector<Column, HugePageAllocator<Column>> columns;  // one per alive firm of the sector, by id

  // Number of firms the sampler draws from.
  std::size_t size() const { return columns.size(); }
  bool empty() const { return columns.empty(); }
  // Builds the table for these firms and (positive) weights.
  void build(const std::vector<FirmId>& members, const std::vector<double>& weights);
  // The same for the firms already in columns[k].firm (one per weight), overwriting `weights`.
  void build_in_place(std::vector<double>& weights);
  // A draw located in the table: its column (prefetched) and where u fell within it. Reading the
  // firm is a second step, so that several draws can have their column reads in flight at once
  // (at 10^6 firms each is a cache miss).
  struct Located {
    const Column* column = nullptr;  // none: the sampler has no firm
    double fraction = 0;
    // The firm drawn, or UINT32_MAX when there is none.
    FirmId firm() const {
      if (column == nullptr) return UINT32_MAX;
      return fraction < column->keep ? column->firm : column->alias;
    }
  };
  // Locates the draw for a uniform u in (0,1).
  Located locate(double u) const;
  // The firm for a uniform draw u in (0,1), or UINT32_MAX when the sector has no firm.
  FirmId pick(double u) const { return locate(u).firm(); }
};

// Economy-wide state that is not per firm.
struct MarketState {
  double wage = 0;                  // wage paid in the last step, 1e8 KRW/(person*year)
  double reference_wage = 0;        // initial wage, w0
  double reference_labour = 0;      // labour force at w0 in the first year, N0, persons
  double employment = 0;            // employment at the end of the last step, persons
  double aggregate_shock = 0;       // log aggregate productivity shock in force, log points
  double prosumer_share = 0;        // 1
  double previous_converged_output = 0;  // for the entry response, 1e8 KRW/year
  double converged_output_growth = 0;    // 1/year
};

// The whole mutable state of one run.
struct Economy {
  FirmState firms;
  SlotColumn<VisibleFirm> visible;       // state t, read by neighbours
  SlotColumn<VisibleFirm> visible_next;  // state t+1, written by each firm for itself
  FirmNetwork network;
  std::vector<SectorSampler> samplers;    // [S]
  std::vector<std::vector<double>> supplier_sectors;  // [customer S][supplier S] cumulative intensity
  MarketState market;
  std::vector<double> sector_mean_technology;  // [S] mean log technology of alive firms
  std::vector<double> sector_shock;            // [S] log sector productivity shock in force, log points
  std::vector<double> sector_margin;           // [S] profit / revenue of the sector in the last step, 1
  // Demand (docs/model.md 7.13): households' CES weights, fixed at the initial state so that its
  // prices are all 1; each sector's price in the last step, and the price firms expect.
  std::vector<double> demand_weight;           // [S] theta_s, summing to 1 over sectors with output
  std::vector<double> sector_price;            // [S] P_s in the last step, consumer price index = 1
  std::vector<double> expected_price;          // [S] the price firms plan with (adaptive expectations), 1
  // Per-firm scratch of one step (not state): ln(A K^alpha) and the labour-demand coefficient
  // (beta A K^alpha)^(1/(1-beta)), written by the first firm pass and read by the second; the
  // second then overwrites the coefficient, which no later pass reads, with the firm's employment
  // before this step's hiring, read by the third (one column for two, 8 bytes a slot less).
  SlotColumn<double> log_capital_term;
  SlotColumn<double> demand_coefficient;  // then employment at the step's start, person
  // Slot 3 of the firm's step block as its 32 raw bits (drawn once, used in the last pass; the
  // uniform is (bits + 0.5) 2^-32 exactly, so 4 bytes hold what the double held).
  SlotColumn<std::uint32_t> exit_draw;
  // The links a step adds (partnerships, then entrants' suppliers), and the entrants' supplier
  // draws: scratch cleared at each step, kept so that their room is allocated (and its pages
  // faulted in) once per run rather than regrown from nothing at every step.
  std::vector<Link> new_links;
  std::vector<FirmId> entrant_suppliers;
  std::vector<std::uint32_t> entrant_supplier_count;
  int step = 0;                            // steps done (burn-in included)
  bool compact_slots = true;               // remove exited firms at sampler refreshes (tests turn it off)
};

// Builds the initial economy of a scenario (sizes, sectors, technology, network), deterministic
// in the scenario and seed whatever the thread count.
Economy build_economy(const Scenario& scenario);

// Rebuilds the per-sector samplers from current sizes.
void rebuild_samplers(const Scenario& scenario, Economy& economy);

// Exited firms' share of the slots above which compact_firms removes them.
inline constexpr double kCompactExitedShare = 0.125;

// Removes exited firms' slots (their state, visibility and links) and renumbers the others in
// order, when exited firms hold more than kCompactExitedShare of the slots; returns whether it
// did. Samplers hold slots: rebuild them after a compaction. Every draw is keyed by uid, so no
// result depends on when compaction happens but for the grouping of floating-point sums in
// fixed chunks of slots (a rounding-level difference).
bool compact_firms(Economy& economy);

// Locates the `degree` suppliers of firm `firm` (of `customer_sector`) drawn in `step` (0 for the
// initial network): each from two uniforms, sector by link intensity then firm by size, two links
// per Philox block (seed, firm, network_supplier, step, link / 2). Every column read is issued
// before any is used; located[k].firm() is link k's supplier, UINT32_MAX when no supplier sector
// has firms.
void locate_suppliers(const Economy& economy, int customer_sector, std::uint64_t seed, FirmId firm, std::uint64_t step,
                      std::size_t degree, std::vector<SectorSampler::Located>& located);

// The truncated Pareto (Zipf) law of a firm's initial employment, its constants computed once
// (building 10^7 firms draws 10^7 sizes).
class FirmSizeLaw {
 public:
  explicit FirmSizeLaw(const EconomySettings& economy);
  // The size for uniform u: the inverse CDF.
  double draw(double u) const { return min_size_ * std::pow(1.0 - u * one_minus_ratio_, exponent_); }

 private:
  double min_size_, one_minus_ratio_, exponent_;
};

// Draws a firm's initial employment from the truncated Pareto (Zipf) law for uniform u.
inline double draw_firm_size(const EconomySettings& economy, double u) { return FirmSizeLaw(economy).draw(u); }

// Productivity multiplier of a convergence level (1 + lift).
double level_multiplier(const AdoptionSettings& adoption, std::uint8_t level);

}  // namespace convsim::models
