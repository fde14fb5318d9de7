// Sensitivity estimators through the real designs (sensitivity_design.hpp), fed with functions
// whose indices are known analytically: Ishigami and Sobol's G-function for Sobol' indices, the
// G-function's importance order for Morris, and a known box for PRIM.
#include "convsim/analysis/sensitivity.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <set>

#include "convsim/rng.hpp"

namespace convsim::analysis {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<double> evaluate(const UnitDesign& design, const std::function<double(const std::vector<double>&)>& f) {
  std::vector<double> y;
  for (const auto& u : design.points) y.push_back(f(u));
  return y;
}

double ishigami(const std::vector<double>& u) {
  const double a = 7, b = 0.1;
  const double x1 = -kPi + 2 * kPi * u[0], x2 = -kPi + 2 * kPi * u[1], x3 = -kPi + 2 * kPi * u[2];
  return std::sin(x1) + a * std::sin(x2) * std::sin(x2) + b * std::pow(x3, 4) * std::sin(x1);
}

const std::vector<double> kG = {0, 1, 4.5, 9, 99, 99, 99, 99};

double g_function(const std::vector<double>& u) {
  double g = 1;
  for (std::size_t i = 0; i < kG.size(); ++i) g *= (std::abs(4 * u[i] - 2) + kG[i]) / (1 + kG[i]);
  return g;
}

void expect_inside(const Estimate& e, double truth, const std::string& what) {
  EXPECT_LE(e.low, truth) << what << " = " << e.value << " [" << e.low << ", " << e.high << "], analytic " << truth;
  EXPECT_GE(e.high, truth) << what << " = " << e.value << " [" << e.low << ", " << e.high << "], analytic " << truth;
  EXPECT_LE(e.low, e.value) << what;
  EXPECT_GE(e.high, e.value) << what;
  EXPECT_LT(e.high - e.low, 0.12) << what << ": the interval says little at N = 4096";
}

TEST(SaltelliDesign, ColumnsAreStratifiedAndABTakesOneColumnFromB) {
  const std::size_t n = 64, k = 3;
  const UnitDesign design = saltelli_design(n, k, 11);
  ASSERT_EQ(design.points.size(), n * (k + 2));
  // A digitally shifted Sobol' net: each column of A and of B has one point in each 1/N stratum.
  for (int block : {0, static_cast<int>(k + 1)}) {
    for (std::size_t d = 0; d < k; ++d) {
      std::set<std::size_t> strata;
      for (std::size_t p = 0; p < design.points.size(); ++p) {
        if (design.roles[p].block != block) continue;
        const double u = design.points[p][d];
        ASSERT_GT(u, 0.0);
        ASSERT_LT(u, 1.0);
        strata.insert(static_cast<std::size_t>(u * static_cast<double>(n)));
      }
      EXPECT_EQ(strata.size(), n) << "block " << block << " column " << d;
    }
  }
  for (std::size_t j = 0; j < n; ++j) {
    const auto& a = design.points[j * (k + 2)];
    const auto& b = design.points[j * (k + 2) + k + 1];
    for (std::size_t i = 0; i < k; ++i) {
      const auto& ab = design.points[j * (k + 2) + 1 + i];
      for (std::size_t d = 0; d < k; ++d) EXPECT_EQ(ab[d], d == i ? b[d] : a[d]);
    }
  }
  // The seed scrambles: another seed, other points; the same seed, the same ones.
  EXPECT_EQ(saltelli_design(n, k, 11).points, design.points);
  EXPECT_NE(saltelli_design(n, k, 12).points, design.points);
  EXPECT_THROW(saltelli_design(48, k, 1), std::invalid_argument);
}

TEST(SobolIndices, IshigamiWithinTheBootstrapIntervalAtN4096) {
  const double a = 7, b = 0.1;
  const double pi4 = std::pow(kPi, 4), pi8 = std::pow(kPi, 8);
  const double v = a * a / 8 + b * pi4 / 5 + b * b * pi8 / 18 + 0.5;
  const double v1 = 0.5 * std::pow(1 + b * pi4 / 5, 2), v2 = a * a / 8, v13 = 8 * b * b * pi8 / 225;
  const std::vector<double> s1 = {v1 / v, v2 / v, 0.0}, st = {(v1 + v13) / v, v2 / v, v13 / v};
  // The rounded values, as a check on the formulas above.
  EXPECT_NEAR(s1[0], 0.314, 5e-4);
  EXPECT_NEAR(s1[1], 0.442, 5e-4);
  EXPECT_NEAR(st[0], 0.558, 5e-4);
  EXPECT_NEAR(st[2], 0.244, 5e-4);
  const UnitDesign design = saltelli_design(4096, 3, 2014);
  const SobolResult result = sobol_indices(evaluate(design, ishigami), design.roles, 3, 1000, 7);
  ASSERT_EQ(result.indices.size(), 3u);
  EXPECT_EQ(result.n, 4096u);
  EXPECT_NEAR(result.variance, v, 0.05 * v);
  for (std::size_t i = 0; i < 3; ++i) {
    expect_inside(result.indices[i].first, s1[i], "S1 x" + std::to_string(i + 1));
    expect_inside(result.indices[i].total, st[i], "ST x" + std::to_string(i + 1));
  }
}

TEST(SobolIndices, GFunctionWithinTheBootstrapIntervalAtN4096) {
  std::vector<double> vi;
  double product = 1;
  for (double ai : kG) {
    vi.push_back(1.0 / (3.0 * (1 + ai) * (1 + ai)));
    product *= 1 + vi.back();
  }
  const double v = product - 1;
  const UnitDesign design = saltelli_design(4096, kG.size(), 99);
  const SobolResult result = sobol_indices(evaluate(design, g_function), design.roles, kG.size(), 1000, 3);
  for (std::size_t i = 0; i < kG.size(); ++i) {
    expect_inside(result.indices[i].first, vi[i] / v, "S1 x" + std::to_string(i + 1));
    expect_inside(result.indices[i].total, vi[i] * product / (1 + vi[i]) / v, "ST x" + std::to_string(i + 1));
  }
}

TEST(SobolIndices, BootstrapIsDeterministicAndIncompleteRowsAreLeftOut) {
  const UnitDesign design = saltelli_design(256, 3, 5);
  std::vector<double> y = evaluate(design, ishigami);
  const SobolResult once = sobol_indices(y, design.roles, 3, 200, 9);
  const SobolResult again = sobol_indices(y, design.roles, 3, 200, 9);
  EXPECT_EQ(once.indices[0].first.low, again.indices[0].first.low);
  EXPECT_EQ(once.indices[2].total.high, again.indices[2].total.high);
  y[5 * 5 + 2] = std::nan("");  // row 5 loses A_B^2
  EXPECT_EQ(sobol_indices(y, design.roles, 3, 10, 9).n, 255u);
  EXPECT_THROW(sobol_indices(std::vector<double>(y.size(), 1.0), design.roles, 3, 10, 9), std::invalid_argument);
}

TEST(MorrisDesign, TrajectoriesMoveEachFactorOnceOnTheGrid) {
  const std::size_t k = 5;
  const UnitDesign design = morris_design(10, k, 6, 60, 4);
  ASSERT_EQ(design.points.size(), 10u * (k + 1));
  for (std::size_t t = 0; t < 10; ++t) {
    std::set<int> moved;
    for (std::size_t s = 1; s <= k; ++s) {
      const std::size_t p = t * (k + 1) + s;
      const DesignRole& role = design.roles[p];
      moved.insert(role.factor);
      EXPECT_NEAR(std::abs(role.delta), 6.0 / 10.0, 1e-12);
      for (std::size_t d = 0; d < k; ++d) {
        const double change = design.points[p][d] - design.points[p - 1][d];
        EXPECT_NEAR(change, static_cast<int>(d) == role.factor ? role.delta : 0.0, 1e-12);
        const double level = design.points[p][d] * 5;
        EXPECT_NEAR(level, std::round(level), 1e-9);
        EXPECT_GE(design.points[p][d], 0.0);
        EXPECT_LE(design.points[p][d], 1.0);
      }
    }
    EXPECT_EQ(moved.size(), k);
  }
}

TEST(MorrisIndices, RankTheGFunctionsParametersByImportance) {
  const UnitDesign design = morris_design(30, kG.size(), 4, 300, 17);
  const auto indices = morris_indices(evaluate(design, g_function), design.roles, kG.size(), 200, 1);
  ASSERT_EQ(indices.size(), kG.size());
  for (std::size_t i = 0; i < kG.size(); ++i) EXPECT_EQ(indices[i].effects, 30u);
  // a = 0, 1, 4.5, 9 in that order of importance, then the four with a = 99 below all of them.
  for (std::size_t i = 0; i + 1 < 4; ++i) EXPECT_GT(indices[i].mu_star, indices[i + 1].mu_star) << "factor " << i;
  for (std::size_t i = 4; i < kG.size(); ++i) EXPECT_LT(indices[i].mu_star, indices[3].mu_star) << "factor " << i;
  for (const auto& index : indices) {
    EXPECT_LE(std::abs(index.mu), index.mu_star + 1e-12);
    EXPECT_LE(index.mu_star_ci.low, index.mu_star);
    EXPECT_GE(index.mu_star_ci.high, index.mu_star);
  }
}

TEST(MorrisIndices, LinearFunctionHasItsSlopesAsEffects) {
  const UnitDesign design = morris_design(5, 3, 4, 20, 2);
  const auto indices = morris_indices(evaluate(design, [](const std::vector<double>& u) { return 2 * u[0] - 3 * u[1]; }),
                                      design.roles, 3, 10, 1);
  EXPECT_NEAR(indices[0].mu, 2.0, 1e-9);
  EXPECT_NEAR(indices[1].mu, -3.0, 1e-9);
  EXPECT_NEAR(indices[1].mu_star, 3.0, 1e-9);
  EXPECT_NEAR(indices[2].mu_star, 0.0, 1e-9);
  EXPECT_NEAR(indices[0].sigma, 0.0, 1e-9);
}

TEST(Prim, FindsAKnownBox) {
  // 2000 points uniform in [0, 1]^3; of interest where x0 > 0.6 and x1 < 0.3 (x2 plays no part).
  std::vector<std::vector<double>> x;
  std::vector<bool> y;
  for (std::size_t p = 0; p < 2000; ++p) {
    const RandomBlock block(42, p, Purpose::user, 0);
    x.push_back({block.uniform(0), block.uniform(1), block.uniform(2)});
    y.push_back(x.back()[0] > 0.6 && x.back()[1] < 0.3);
  }
  const PrimResult result = prim(x, y);
  ASSERT_GE(result.trajectory.size(), 3u);
  EXPECT_DOUBLE_EQ(result.trajectory.front().coverage, 1.0);
  EXPECT_DOUBLE_EQ(result.trajectory.front().mass, 1.0);
  for (std::size_t i = 1; i < result.trajectory.size(); ++i) {
    EXPECT_LT(result.trajectory[i].points, result.trajectory[i - 1].points);
    EXPECT_GE(result.trajectory[i].mass, 0.05 - 1e-12);
  }
  const PrimBox& box = result.pasted;
  EXPECT_GE(box.density, 0.95);
  EXPECT_GE(box.coverage, 0.85);
  EXPECT_NEAR(box.low[0], 0.6, 0.05);
  EXPECT_NEAR(box.high[1], 0.3, 0.05);
  EXPECT_LE(box.low[1], 0.05);
  EXPECT_GE(box.high[0], 0.95);
  EXPECT_LE(box.low[2], 0.1);
  EXPECT_GE(box.high[2], 0.9);
  EXPECT_THROW(prim(x, std::vector<bool>(x.size(), false)), std::invalid_argument);
}

}  // namespace
}  // namespace convsim::analysis
