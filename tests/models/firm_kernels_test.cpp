// The firm passes' vector kernels against a second, scalar implementation of the same formulas
// with the C library's exp, log and log1p (the engine's code before the kernels): every result
// within a few ulps, firms that are not alive untouched, and a firm's result independent of how
// a run of firms is split into calls.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "convsim/models/firm_kernels.hpp"

namespace convsim::models {
namespace {

constexpr double kRelative = 1e-14;  // a few ulps after several roundings

struct Firms {
  std::vector<std::uint8_t> alive;
  std::vector<double> employment, capital, technology, log_factor, log_price;
  std::vector<float> productivity, premium;
  std::vector<std::uint32_t> bits;
};

Firms random_firms(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Firms f;
  for (std::size_t i = 0; i < n; ++i) {
    f.alive.push_back(u(rng) < 0.9 ? 1 : 0);
    f.employment.push_back(u(rng) < 0.05 ? 0.005 : std::exp(6 * u(rng)));
    f.capital.push_back(std::exp(8 * u(rng)));
    f.technology.push_back(0.3 * u(rng) - 0.1);
    f.log_factor.push_back(0.2 * u(rng) - 0.1);
    f.log_price.push_back(0.1 * u(rng) - 0.05);
    f.productivity.push_back(static_cast<float>(u(rng) - 0.5));
    f.premium.push_back(static_cast<float>(0.6 * u(rng) - 0.3));
    f.bits.push_back(static_cast<std::uint32_t>(rng()));
  }
  return f;
}

const DemandConstants kDemand{0.05, -0.2, 0.01, 0.3, std::log(0.6), 1.0 / (1.0 - 0.6)};

TEST(FirmKernels, LabourDemandMatchesTheScalarFormulas) {
  const std::size_t n = 16;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    Firms f = random_firms(n, seed);
    const std::vector<float> before = f.productivity;
    std::vector<double> term(n), coefficient(n);
    labour_demand_batch(kDemand, n, f.alive.data(), f.employment.data(), f.capital.data(), f.technology.data(),
                        f.productivity.data(), f.premium.data(), f.bits.data(), f.log_factor.data(), f.log_price.data(),
                        term.data(), coefficient.data());
    for (std::size_t i = 0; i < n; ++i) {
      if (!f.alive[i]) {
        EXPECT_EQ(f.productivity[i], before[i]);
        continue;
      }
      const double scale = kDemand.firm_scale * std::exp(kDemand.size_elasticity * std::log(std::max(f.employment[i], kDemand.size_floor)));
      const double uniform = (static_cast<double>(f.bits[i]) + 0.5) * 0x1p-32;
      const double v = uniform - 0.5;
      const double laplace = v < 0 ? scale * std::log1p(2.0 * v) : -scale * std::log1p(-2.0 * v);
      const float productivity = static_cast<float>(before[i] + laplace);
      // The float may round either way when the two double paths straddle a float boundary.
      EXPECT_LE(std::abs(f.productivity[i] - productivity), std::abs(std::nextafter(productivity, 2.0f) - productivity)) << i;
      const double expected_term = static_cast<double>(f.productivity[i]) + f.technology[i] + f.log_factor[i] +
                                   kDemand.capital_elasticity * std::log(f.capital[i]);
      const double expected_coefficient =
          std::exp((kDemand.log_labour_elasticity + f.log_price[i] + expected_term - f.premium[i]) * kDemand.inverse_one_minus_beta);
      EXPECT_NEAR(term[i], expected_term, kRelative * std::max(1.0, std::abs(expected_term))) << i;
      EXPECT_NEAR(coefficient[i], expected_coefficient, kRelative * expected_coefficient) << i;
    }
  }
}

TEST(FirmKernels, WithoutShocksProductivityIsKept) {
  Firms f = random_firms(13, 7);
  const std::vector<float> before = f.productivity;
  std::vector<double> term(13), coefficient(13);
  DemandConstants k = kDemand;
  k.firm_scale = 0;
  labour_demand_batch(k, 13, f.alive.data(), f.employment.data(), f.capital.data(), f.technology.data(), f.productivity.data(),
                      f.premium.data(), nullptr, f.log_factor.data(), f.log_price.data(), term.data(), coefficient.data());
  EXPECT_EQ(f.productivity, before);
}

TEST(FirmKernels, ProductionMatchesTheScalarFormulas) {
  const std::size_t n = 1001;
  Firms f = random_firms(n, 11);
  std::vector<double> coefficient(n), term(n), output(n, -1.0), employment = f.employment;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  for (std::size_t i = 0; i < n; ++i) {
    coefficient[i] = std::exp(8 * u(rng));
    term[i] = 2 * u(rng);
  }
  const ProductionConstants k{0.3, std::pow(1.2, -2.5), 0.8, 0.999, 0.6};
  std::vector<double> start = coefficient;  // the engine passes the coefficient column itself
  production_run(k, n, f.alive.data(), start.data(), term.data(), employment.data(), output.data(), start.data());
  for (std::size_t i = 0; i < n; ++i) {
    if (!f.alive[i]) {
      EXPECT_EQ(employment[i], f.employment[i]);
      EXPECT_EQ(output[i], -1.0);
      EXPECT_EQ(start[i], coefficient[i]);
      continue;
    }
    const double labour = f.employment[i];
    const double plan = k.hiring * (coefficient[i] * k.wage_power - labour);
    const double next = (labour + (plan > 0 ? k.hire_share * plan : plan)) * k.keep_share;
    const double y = next > 0 ? std::exp(term[i] + k.labour_elasticity * std::log(next)) : 0.0;
    EXPECT_EQ(start[i], labour);
    EXPECT_EQ(employment[i], next);
    EXPECT_NEAR(output[i], y, kRelative * y) << i;
  }
}

TEST(FirmKernels, FirmWagesMatchTheScalarFormula) {
  Firms f = random_firms(37, 5);
  std::vector<double> wages(37);
  firm_wages_run(1.7, 37, f.premium.data(), wages.data());
  for (std::size_t i = 0; i < 37; ++i) {
    const double expected = 1.7 * std::exp(static_cast<double>(f.premium[i]));
    EXPECT_NEAR(wages[i], expected, kRelative * expected);
  }
}

TEST(FirmKernels, AFirmsResultDoesNotDependOnHowARunIsSplit) {
  const std::size_t n = 16;
  Firms whole = random_firms(n, 99);
  Firms split = whole;
  std::vector<double> term_whole(n), coefficient_whole(n), term_split(n), coefficient_split(n);
  labour_demand_batch(kDemand, n, whole.alive.data(), whole.employment.data(), whole.capital.data(), whole.technology.data(),
                      whole.productivity.data(), whole.premium.data(), whole.bits.data(), whole.log_factor.data(),
                      whole.log_price.data(), term_whole.data(), coefficient_whole.data());
  std::size_t begin = 0;
  for (const std::size_t part : {std::size_t{5}, std::size_t{3}, std::size_t{8}}) {
    labour_demand_batch(kDemand, part, split.alive.data() + begin, split.employment.data() + begin, split.capital.data() + begin,
                        split.technology.data() + begin, split.productivity.data() + begin, split.premium.data() + begin,
                        split.bits.data() + begin, split.log_factor.data() + begin, split.log_price.data() + begin,
                        term_split.data() + begin, coefficient_split.data() + begin);
    begin += part;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!whole.alive[i]) continue;
    EXPECT_EQ(std::bit_cast<std::uint32_t>(whole.productivity[i]), std::bit_cast<std::uint32_t>(split.productivity[i])) << i;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(term_whole[i]), std::bit_cast<std::uint64_t>(term_split[i])) << i;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(coefficient_whole[i]), std::bit_cast<std::uint64_t>(coefficient_split[i])) << i;
  }
  EXPECT_STRNE(firm_kernel_isa(), "");
}

}  // namespace
}  // namespace convsim::models
