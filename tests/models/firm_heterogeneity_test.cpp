// Within-sector heterogeneity (docs/model.md 7.8): firm wage premia, entrants that start at a
// share of their optimal size, and the size floor of the firms' own productivity shocks.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "model_fixtures.hpp"

namespace convsim::testing {
namespace {

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double at = q * static_cast<double>(v.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(std::floor(at));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (at - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

// A firm that pays w e^omega and starts at its optimal size has output per worker
// w e^omega / (beta P): within a sector ln(Y/L) - omega is one number, and the 90/10 ratio of
// labour productivity is that of e^omega, exp(2 * 1.2816 sigma) for a normal omega.
TEST(WagePremium, InitialLabourProductivityIsTheWageOverBetaTimesThePremium) {
  const double sigma = 0.3;
  const Scenario sc = baseline_with({"economy.firms=40000", "production.wage_premium_sd=0.3", "time.burn_in_years=0"});
  Stepper stepper(sc);
  const models::FirmState& f = stepper.economy().firms;
  const std::size_t S = sc.sectors.size();
  std::vector<std::vector<double>> log_productivity(S), net(S);
  double sum = 0, sum_sq = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const double omega = f.wage_premium[i];
    sum += omega;
    sum_sq += omega * omega;
    const double lp = std::log(f.output[i] / f.employment[i]);
    log_productivity[f.sector[i]].push_back(lp);
    net[f.sector[i]].push_back(lp - omega);
  }
  const double n = static_cast<double>(f.size());
  EXPECT_NEAR(sum / n, 0.0, 4 * sigma / std::sqrt(n));
  EXPECT_NEAR(std::sqrt(sum_sq / n), sigma, 0.01);
  const double expected_ratio = std::exp(2 * 1.2815515655446004 * sigma);
  for (std::size_t s = 0; s < S; ++s) {
    if (net[s].size() < 2000) continue;
    SCOPED_TRACE(sc.sectors[s].name);
    const auto [lo, hi] = std::minmax_element(net[s].begin(), net[s].end());
    EXPECT_LT(*hi - *lo, 1e-5) << "ln(Y/L) - omega is not one number in the sector";
    const double ratio = std::exp(quantile(log_productivity[s], 0.9) - quantile(log_productivity[s], 0.1));
    EXPECT_NEAR(ratio, expected_ratio, 0.08 * expected_ratio);
  }
}

// The premium is paid, not only a hiring condition: each firm's wage bill is beta times its
// revenue, so the aggregate labour share stays near what it is without premia. (A premium that
// only shifted hiring, with every firm paying w, left high-premium firms the higher margins;
// selection on margins then took the labour share from 0.53 to 0.43.)
TEST(WagePremium, TheLabourShareDoesNotDependOnThePremia) {
  auto share = [](const std::string& sd) {
    const RunResult r = models::simulate(baseline_with({"economy.firms=20000", "production.wage_premium_sd=" + sd}));
    const auto& wages = aggregate_series(r, "wage_bill");
    const auto& revenue = aggregate_series(r, "nominal_output");
    double sum = 0;
    for (std::size_t t = 0; t < wages.size(); ++t) sum += wages[t] / revenue[t];
    return sum / static_cast<double>(wages.size());
  };
  const double without = share("0"), with = share("0.3");
  EXPECT_NEAR(with, without, 0.015) << "labour share " << without << " without premia, " << with << " with";
}

// With dynamics.entrant_size_share = phi an entrant starts at phi times the size that is optimal
// at its productivity net of its premium, capital at the sector's capital per worker. Entrants
// of one step, sector and convergence level share wage, price, technology and sector factor, so
// ln L - (ln productivity - omega) / (1 - alpha - beta) is one number among those above the
// smallest size; and doubling phi doubles each of them (the same draws, no rationing of hires).
TEST(Entry, EntrantsStartAtAShareOfTheirOptimalSize) {
  auto entrants_after_one_step = [](const std::string& share) {
    const Scenario sc = baseline_with({"economy.firms=20000", "dynamics.entry_rate=0.2", "production.wage_premium_sd=0.3",
                                       "dynamics.entrant_size_share=" + share, "time.burn_in_years=0",
                                       "labour.initial_unemployment=0.2"});
    Stepper stepper(sc);
    const std::size_t n0 = stepper.economy().firms.size();
    stepper.advance();
    const models::FirmState& f = stepper.economy().firms;
    struct Entrant {
      int key;
      double labour, productivity, premium;
    };
    std::vector<Entrant> out;
    for (std::size_t i = n0; i < f.size(); ++i) {
      out.push_back({f.sector[i] * 4 + f.level[i], f.employment[i], f.productivity[i], f.wage_premium[i]});
    }
    return std::make_pair(sc, out);
  };
  const auto [sc, small] = entrants_after_one_step("0.2");
  const auto [sc2, large] = entrants_after_one_step("0.4");
  ASSERT_GT(small.size(), 1000u);
  ASSERT_EQ(small.size(), large.size());
  const double returns_gap = 1.0 - sc.production.capital_elasticity - sc.production.labour_elasticity;
  std::vector<double> lo(64, 1e300), hi(64, -1e300);
  std::size_t compared = 0, doubled = 0;
  for (std::size_t k = 0; k < small.size(); ++k) {
    const auto& e = large[k];
    ASSERT_EQ(e.productivity, small[k].productivity);
    if (small[k].labour <= sc.economy.min_firm_size * 1.0001 || e.labour >= sc.economy.max_firm_size * 0.9999) continue;
    const double c = std::log(e.labour) - (e.productivity - e.premium) / returns_gap;
    lo[e.key] = std::min(lo[e.key], c);
    hi[e.key] = std::max(hi[e.key], c);
    ++compared;
    doubled += std::abs(e.labour / small[k].labour - 2.0) < 1e-9;
  }
  ASSERT_GT(compared, 500u);
  EXPECT_EQ(doubled, compared) << "entrants whose size doubled with the share";
  for (std::size_t key = 0; key < lo.size(); ++key) {
    if (hi[key] >= lo[key]) {
      EXPECT_LT(hi[key] - lo[key], 1e-4) << "sector*4+level " << key;
    }
  }
}

// A firm's own productivity innovation is Laplace with scale b = firm_scale * max(L, floor)^e,
// so E|dp| = b: below one person the scale keeps rising as the firm shrinks when the floor is
// lower, and stays that of a one-person firm at the default floor of 1.
TEST(Shocks, TheFirmShockScaleFollowsSizeDownToItsFloor) {
  for (const double floor : {1.0, 0.01}) {
    SCOPED_TRACE(floor);
    const Scenario sc = baseline_with({"economy.firms=20000", "shocks.firm_size_floor=" + std::to_string(floor),
                                       "time.burn_in_years=0"});
    Stepper stepper(sc);
    // A few steps so that partial adjustment and entry leave firms below one person.
    for (int k = 0; k < 3; ++k) stepper.advance();
    const models::FirmState& f = stepper.economy().firms;
    // The step may compact the firm slots: firms are matched by uid (their entry number).
    struct Before {
      double productivity = 0, labour = 0;
      bool alive = false;
    };
    std::vector<Before> before(f.size() * 2);
    for (std::size_t i = 0; i < f.size(); ++i) {
      ASSERT_LT(f.uid[i], before.size());
      before[f.uid[i]] = {f.productivity[i], f.employment[i], f.alive[i] != 0};
    }
    stepper.advance();
    double moved = 0, scale = 0, small_moved = 0, small_scale = 0;
    std::size_t small = 0;
    for (std::size_t i = 0; i < f.size(); ++i) {
      if (f.uid[i] >= before.size()) continue;
      const Before& b0 = before[f.uid[i]];
      if (!b0.alive || !f.alive[i] || b0.labour <= 0) continue;
      const double b = sc.shocks.firm_scale * std::pow(std::max(b0.labour, floor), sc.shocks.firm_size_elasticity);
      const double d = std::abs(f.productivity[i] - b0.productivity);
      moved += d;
      scale += b;
      if (b0.labour < 0.5) {
        small_moved += d;
        small_scale += b;
        ++small;
      }
    }
    ASSERT_GT(small, 300u);
    // |dp| / b has mean 1 and s.d. 1 for a Laplace draw: four standard errors (the scales vary
    // little within each group).
    EXPECT_NEAR(moved / scale, 1.0, 0.03);
    EXPECT_NEAR(small_moved / small_scale, 1.0, 4.0 / std::sqrt(static_cast<double>(small))) << small << " firms below half a person";
  }
}

}  // namespace
}  // namespace convsim::testing
