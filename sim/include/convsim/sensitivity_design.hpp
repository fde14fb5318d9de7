// Designs for global sensitivity analysis, in the unit cube [0, 1]^k: Saltelli's scheme for Sobol'
// first-order and total indices, and Morris's elementary-effect trajectories with Campolongo's
// spread-out selection. A sweep (sweep.hpp, `design: {type: sobol|morris}`) maps each coordinate
// through its parameter's distribution; the analysis (analysis/sensitivity.hpp) reads each point's
// role to pair the runs again.
//
// Sobol (Saltelli 2010): A and B are the first N points of a 2k-dimensional Sobol' sequence
// (Boost.Random's sobol, Joe-Kuo direction numbers), columns 0..k-1 for A and k..2k-1 for B,
// scrambled by a random digital shift: coordinate d of every point is XORed with one 32-bit word
// drawn from the design seed for d. (A digital shift keeps the (t, m, s)-net structure, so the
// points stay as evenly spread as the unscrambled ones, and makes each estimate unbiased.)
// A_B^i is A with column i taken from B. Points come in N groups of k + 2: A_j, A_B^1_j ..
// A_B^k_j, B_j.
//
// Morris (1991): a trajectory starts at a point of the p-level grid {0, 1/(p-1), .., 1} and moves
// one factor at a time, in a random order, by Delta = p / (2 (p - 1)) (up from the lower half of
// the levels, down from the upper half): k + 1 points. Of `candidates` such trajectories the r
// most spread out are kept (Campolongo, Cariboni & Saltelli 2007: the sum of squared distances
// between trajectories, distance = sum of the Euclidean distances between their points), chosen by
// removing, one at a time, the trajectory whose removal leaves the largest sum (a greedy search:
// the exact choice among C(M, r) sets is combinatorial).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace convsim {

// A design point's place in a sobol or morris design.
struct DesignRole {
  long long group = -1;  // sobol: row j of A and B (0..N-1); morris: trajectory (0..r-1)
  int block = -1;        // sobol: 0 = A, 1..k = A_B^i, k + 1 = B; morris: step along the trajectory (0..k)
  int factor = -1;       // sobol A_B^i and morris steps 1..k: the factor (0-based) that differs; else -1
  double delta = 0;      // morris steps 1..k: the signed move of that factor in the unit cube; else 0
};

struct UnitDesign {
  std::vector<std::vector<double>> points;  // [point][factor] in [0, 1] (sobol: in (0, 1))
  std::vector<DesignRole> roles;            // [point]
};

// Saltelli's N (k + 2) points. N must be a power of two (1 <= N <= 2^20) and 1 <= k <= 1000
// (std::invalid_argument otherwise).
UnitDesign saltelli_design(std::size_t n, std::size_t k, std::uint64_t seed);

// r Morris trajectories of k + 1 points on a p-level grid (p even, >= 2), the r most spread out
// of `candidates` (>= r). std::invalid_argument on bad sizes.
UnitDesign morris_design(std::size_t r, std::size_t k, int levels, std::size_t candidates, std::uint64_t seed);

// Whether n is a power of two (1, 2, 4, ...).
inline bool is_power_of_two(std::size_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace convsim
