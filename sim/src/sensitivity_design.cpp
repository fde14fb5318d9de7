#include "convsim/sensitivity_design.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include <boost/random/sobol.hpp>

#include "convsim/rng.hpp"

namespace convsim {
namespace {

// Purposes of the designs' own draws (never a run's: the design has its own seed). Those of the
// random and Latin-hypercube designs (sweep.cpp) are user + 1..3.
constexpr auto kSobolShift = static_cast<Purpose>(static_cast<std::uint32_t>(Purpose::user) + 4);
constexpr auto kMorrisStart = static_cast<Purpose>(static_cast<std::uint32_t>(Purpose::user) + 5);
constexpr auto kMorrisOrder = static_cast<Purpose>(static_cast<std::uint32_t>(Purpose::user) + 6);

std::uint64_t bits64(const RandomBlock& block) {
  return (std::uint64_t{block.bits(0)} << 32) | block.bits(1);
}

}  // namespace

UnitDesign saltelli_design(std::size_t n, std::size_t k, std::uint64_t seed) {
  if (!is_power_of_two(n) || n > (std::size_t{1} << 20)) {
    throw std::invalid_argument("N = " + std::to_string(n) + " is not a power of two in [1, 2^20]");
  }
  if (k < 1 || k > 1000) throw std::invalid_argument("k = " + std::to_string(k) + " parameters: expected 1..1000");
  const std::size_t dims = 2 * k;
  std::vector<std::uint32_t> shift(dims);
  for (std::size_t d = 0; d < dims; ++d) shift[d] = RandomBlock(seed, d, kSobolShift, 0).bits(0);
  boost::random::sobol_engine<std::uint32_t, 32> sequence(static_cast<unsigned>(dims));
  UnitDesign design;
  design.points.reserve(n * (k + 2));
  design.roles.reserve(n * (k + 2));
  std::vector<double> row(dims);
  for (std::size_t j = 0; j < n; ++j) {
    for (std::size_t d = 0; d < dims; ++d) {
      // Point 0 of the sequence is the origin, which Boost's engine skips: the first N points
      // (0..N-1) are the balanced net, N of the engine's (1..N) are not.
      const std::uint32_t raw = j == 0 ? 0u : static_cast<std::uint32_t>(sequence());
      const std::uint32_t x = raw ^ shift[d];
      row[d] = (static_cast<double>(x) + 0.5) * 0x1p-32;  // the centre of its cell: inside (0, 1)
    }
    const std::vector<double> a(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(k));
    const std::vector<double> b(row.begin() + static_cast<std::ptrdiff_t>(k), row.end());
    const auto group = static_cast<long long>(j);
    design.points.push_back(a);
    design.roles.push_back({group, 0, -1, 0.0});
    for (std::size_t i = 0; i < k; ++i) {
      std::vector<double> ab = a;
      ab[i] = b[i];
      design.points.push_back(std::move(ab));
      design.roles.push_back({group, static_cast<int>(i + 1), static_cast<int>(i), 0.0});
    }
    design.points.push_back(b);
    design.roles.push_back({group, static_cast<int>(k + 1), -1, 0.0});
  }
  return design;
}

UnitDesign morris_design(std::size_t r, std::size_t k, int levels, std::size_t candidates, std::uint64_t seed) {
  if (levels < 2 || levels % 2 != 0 || levels > 1000) {
    throw std::invalid_argument("levels = " + std::to_string(levels) + ": expected an even number in [2, 1000]");
  }
  if (r < 1 || candidates < r || candidates > 1000) {
    throw std::invalid_argument("trajectories " + std::to_string(r) + " of " + std::to_string(candidates) +
                                " candidates: expected 1 <= trajectories <= candidates <= 1000");
  }
  if (k < 1 || k > 1000) throw std::invalid_argument("k = " + std::to_string(k) + " parameters: expected 1..1000");
  const double step = 1.0 / static_cast<double>(levels - 1);
  const int half = levels / 2;
  // Each move is half the levels: Delta = (p / 2) / (p - 1).
  // Candidate trajectories: [m][point][factor], and which factor each step moves.
  std::vector<std::vector<std::vector<double>>> paths(candidates);
  std::vector<std::vector<int>> moved(candidates);
  for (std::size_t m = 0; m < candidates; ++m) {
    std::vector<int> level(k);
    for (std::size_t i = 0; i < k; ++i) level[i] = static_cast<int>(bits64(RandomBlock(seed, m, kMorrisStart, i)) % static_cast<std::uint64_t>(levels));
    std::vector<int> order(k);
    std::iota(order.begin(), order.end(), 0);
    for (std::size_t i = k; i-- > 1;) {  // Fisher-Yates
      std::swap(order[i], order[bits64(RandomBlock(seed, m, kMorrisOrder, i)) % (i + 1)]);
    }
    std::vector<double> x(k);
    for (std::size_t i = 0; i < k; ++i) x[i] = level[i] * step;
    paths[m].push_back(x);
    for (int factor : order) {
      const auto f = static_cast<std::size_t>(factor);
      level[f] += level[f] < half ? half : -half;
      x[f] = level[f] * step;
      paths[m].push_back(x);
      moved[m].push_back(factor);
    }
  }
  // Campolongo's distance between trajectories and the greedy choice of the r most spread out.
  auto distance = [&](std::size_t a, std::size_t b) {
    double total = 0;
    for (const auto& p : paths[a]) {
      for (const auto& q : paths[b]) {
        double sum = 0;
        for (std::size_t i = 0; i < k; ++i) sum += (p[i] - q[i]) * (p[i] - q[i]);
        total += std::sqrt(sum);
      }
    }
    return total;
  };
  std::vector<std::vector<double>> squared(candidates, std::vector<double>(candidates, 0.0));
  std::vector<double> contribution(candidates, 0.0);
  for (std::size_t a = 0; a < candidates; ++a) {
    for (std::size_t b = a + 1; b < candidates; ++b) {
      const double d = distance(a, b);
      squared[a][b] = squared[b][a] = d * d;
      contribution[a] += d * d;
      contribution[b] += d * d;
    }
  }
  std::vector<bool> kept(candidates, true);
  for (std::size_t left = candidates; left > r; --left) {
    std::size_t drop = candidates;
    for (std::size_t m = 0; m < candidates; ++m) {
      if (kept[m] && (drop == candidates || contribution[m] < contribution[drop])) drop = m;
    }
    kept[drop] = false;
    for (std::size_t m = 0; m < candidates; ++m) contribution[m] -= squared[m][drop];
  }
  UnitDesign design;
  long long trajectory = 0;
  for (std::size_t m = 0; m < candidates; ++m) {
    if (!kept[m]) continue;
    design.points.push_back(paths[m][0]);
    design.roles.push_back({trajectory, 0, -1, 0.0});
    for (std::size_t s = 1; s <= k; ++s) {
      const int factor = moved[m][s - 1];
      const auto f = static_cast<std::size_t>(factor);
      design.points.push_back(paths[m][s]);
      design.roles.push_back({trajectory, static_cast<int>(s), factor, paths[m][s][f] - paths[m][s - 1][f]});
    }
    ++trajectory;
  }
  return design;
}

}  // namespace convsim
