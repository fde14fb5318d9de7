// Demand and prices (docs/model.md 7.13): households spend the value of output over sectors with
// CES preferences; sector prices clear each step with the consumer price index as numeraire.
// The closed form is checked against a direct evaluation of the CES demand system; runs are
// checked for the accounting identities and for the own- and cross-price responses the CES
// system implies (Baumol's effect below sigma = 1).
#include <cmath>
#include <numeric>

#include "model_fixtures.hpp"

namespace convsim::testing {
namespace {

// CES price index (sum theta P^(1-sigma))^(1/(1-sigma)), the geometric form at sigma = 1.
double price_index(const std::vector<double>& theta, const std::vector<double>& prices, double sigma) {
  const double total = std::accumulate(theta.begin(), theta.end(), 0.0);
  if (std::abs(sigma - 1.0) < 1e-12) {
    double log_p = 0;
    for (std::size_t s = 0; s < theta.size(); ++s) log_p += theta[s] / total * std::log(prices[s] / (theta[s] / total));
    return std::exp(log_p);
  }
  double sum = 0;
  for (std::size_t s = 0; s < theta.size(); ++s) sum += theta[s] / total * std::pow(prices[s], 1.0 - sigma);
  return std::pow(sum, 1.0 / (1.0 - sigma));
}

// Demand for each good at these prices and this spending, from the CES first-order conditions:
// Q_s = theta_s E P_s^(-sigma) / sum_k theta_k P_k^(1-sigma).
std::vector<double> ces_demand(const std::vector<double>& theta, const std::vector<double>& prices, double sigma, double spending) {
  double denominator = 0;
  for (std::size_t s = 0; s < theta.size(); ++s) denominator += theta[s] * std::pow(prices[s], 1.0 - sigma);
  std::vector<double> q(theta.size());
  for (std::size_t s = 0; s < theta.size(); ++s) q[s] = theta[s] * spending * std::pow(prices[s], -sigma) / denominator;
  return q;
}

// The clearing prices make CES demand, at spending equal to the value of output, take exactly the
// quantities supplied, with a price index of 1, for elasticities below, at and above one.
TEST(Demand, ClearingPricesSolveTheCesDemandSystem) {
  const std::vector<double> theta = {0.1, 0.25, 0.4, 0.25};
  const std::vector<double> quantities = {30.0, 120.0, 75.0, 410.0};
  for (double sigma : {0.3, 0.85, 1.0, 2.5}) {
    SCOPED_TRACE(sigma);
    const std::vector<double> prices = models::clearing_prices(theta, quantities, sigma, std::vector<double>(4, 1.0));
    double spending = 0;
    for (std::size_t s = 0; s < 4; ++s) spending += prices[s] * quantities[s];
    if (std::abs(sigma - 1.0) > 1e-12) {
      EXPECT_NEAR(price_index(theta, prices, sigma), 1.0, 1e-12);
    }
    const std::vector<double> demanded = ces_demand(theta, prices, sigma, spending);
    for (std::size_t s = 0; s < 4; ++s) EXPECT_NEAR(demanded[s] / quantities[s], 1.0, 1e-12) << "sector " << s;
  }
  // At sigma = 1 the prices are the limit of those around it.
  const auto at_one = models::clearing_prices(theta, quantities, 1.0, std::vector<double>(4, 1.0));
  const auto near_one = models::clearing_prices(theta, quantities, 1.0 + 1e-7, std::vector<double>(4, 1.0));
  for (std::size_t s = 0; s < 4; ++s) EXPECT_NEAR(at_one[s], near_one[s], 1e-6);
}

// Quantities in proportion to the weights clear at prices of 1 (how the initial state sets the
// base prices); a sector without output keeps its last price and the others clear among themselves.
TEST(Demand, BasePricesAndSectorsWithoutOutput) {
  const std::vector<double> theta = {0.2, 0.3, 0.5};
  for (double sigma : {0.5, 0.85, 3.0}) {
    for (double p : models::clearing_prices(theta, {2.0, 3.0, 5.0}, sigma, {7.0, 7.0, 7.0})) EXPECT_NEAR(p, 1.0, 1e-12);
    const auto prices = models::clearing_prices(theta, {2.0, 0.0, 9.0}, sigma, {7.0, 4.5, 7.0});
    EXPECT_EQ(prices[1], 4.5);
    const auto two = models::clearing_prices({0.2 / 0.7, 0.5 / 0.7}, {2.0, 9.0}, sigma, {1.0, 1.0});
    EXPECT_NEAR(prices[0], two[0], 1e-12);
    EXPECT_NEAR(prices[2], two[1], 1e-12);
  }
}

// A sector's price falls with its own quantity at elasticity -(1 - revenue share)/sigma and every
// other price rises with it at elasticity (revenue share)/sigma: the CES system's derivatives.
TEST(Demand, OwnAndCrossPriceElasticities) {
  const std::vector<double> theta = {0.3, 0.3, 0.4};
  const std::vector<double> q = {1.0, 2.0, 3.0};
  const double sigma = 0.85, h = 1e-6;
  const auto p = models::clearing_prices(theta, q, sigma, {1, 1, 1});
  std::vector<double> q_up = q;
  q_up[0] *= std::exp(h);
  const auto p_up = models::clearing_prices(theta, q_up, sigma, {1, 1, 1});
  const double share = p[0] * q[0] / (p[0] * q[0] + p[1] * q[1] + p[2] * q[2]);
  EXPECT_NEAR((std::log(p_up[0]) - std::log(p[0])) / h, -(1.0 - share) / sigma, 1e-5);
  EXPECT_NEAR((std::log(p_up[1]) - std::log(p[1])) / h, share / sigma, 1e-5);
  EXPECT_NEAR((std::log(p_up[2]) - std::log(p[2])) / h, share / sigma, 1e-5);
}

// In a run: nominal output is the sum of sector prices times real output, the deflator is their
// ratio, the initial state's prices are 1, and after every step the CES price index of the
// clearing prices is 1 while the expected prices follow the adaptive rule.
TEST(Demand, RunAccountingAndNumeraire) {
  const Scenario sc = baseline_with({"economy.firms=3000", "time.burn_in_years=0", "time.end_year=1999"});
  Stepper stepper(sc);
  const std::vector<double> theta = stepper.economy().demand_weight;
  EXPECT_NEAR(std::accumulate(theta.begin(), theta.end(), 0.0), 1.0, 1e-12);
  for (double p : stepper.economy().sector_price) EXPECT_EQ(p, 1.0);
  const double keep = std::pow(1.0 - sc.demand.expectation_speed, sc.dt());
  bool moved = false;
  for (int t = 0; t < 10; ++t) {
    const std::vector<double> expected_before = stepper.economy().expected_price;
    const models::StepAggregates& out = stepper.advance();
    const std::size_t S = out.sectors;
    double nominal = 0;
    for (std::size_t s = 0; s < S; ++s) {
      nominal += out.sector_price[s] * out.at(models::kOutput, s);
      EXPECT_NEAR(out.at(models::kNominalOutput, s), out.sector_price[s] * out.at(models::kOutput, s),
                  1e-9 * out.at(models::kNominalOutput, s));
      EXPECT_NEAR(std::log(stepper.economy().expected_price[s]),
                  keep * std::log(expected_before[s]) + (1 - keep) * std::log(out.sector_price[s]), 1e-12);
      moved = moved || std::abs(out.sector_price[s] - 1.0) > 0.01;
    }
    EXPECT_NEAR(out.total(models::kNominalOutput), nominal, 1e-9 * nominal);
    EXPECT_NEAR(price_index(theta, out.sector_price, sc.demand.elasticity), 1.0, 1e-12);
  }
  EXPECT_TRUE(moved) << "relative prices move (the check of the index is not vacuous)";
  const RunResult r = models::simulate(sc);
  const auto& real = aggregate_series(r, "output");
  const auto& nominal = aggregate_series(r, "nominal_output");
  const auto& deflator = aggregate_series(r, "price_index");
  for (std::size_t t = 0; t < real.size(); ++t) EXPECT_NEAR(deflator[t], nominal[t] / real[t], 1e-12);
}

// A productivity episode in one sector lowers its price and raises every other sector's (its
// extra output is income spent everywhere). Its revenue falls when sectors are complements
// (sigma < 1, Baumol) and rises when they are substitutes (sigma > 1). Same seed: common shocks.
TEST(Demand, ASectorBoomMovesRelativePricesAsCesImplies) {
  for (double sigma : {0.5, 2.0}) {
    SCOPED_TRACE(sigma);
    const std::vector<std::string> base = {"economy.firms=4000", "time.end_year=2000", "time.burn_in_years=2",
                                           "demand.elasticity=" + std::to_string(sigma)};
    std::vector<std::string> boom = base;
    for (const char* kv : {"policies.b.lever=productivity_shock", "policies.b.at=1995", "policies.b.until=1996",
                           "policies.b.value=0.2", "policies.b.sectors=[machinery]"}) {
      boom.emplace_back(kv);
    }
    const RunResult a = models::simulate(baseline_with(base));
    const RunResult b = models::simulate(baseline_with(boom));
    const std::size_t t = 5;  // 1995
    const auto price_a = sector_series(a, "price", "machinery");
    const auto price_b = sector_series(b, "price", "machinery");
    EXPECT_GT(sector_series(b, "output", "machinery")[t], sector_series(a, "output", "machinery")[t]);
    EXPECT_LT(price_b[t], price_a[t]);
    for (const char* other : {"health_care", "contents", "agriculture"}) {
      EXPECT_GT(sector_series(b, "price", other)[t], sector_series(a, "price", other)[t]) << other;
    }
    const double revenue_a = sector_series(a, "nominal_output", "machinery")[t];
    const double revenue_b = sector_series(b, "nominal_output", "machinery")[t];
    if (sigma < 1) {
      EXPECT_LT(revenue_b, revenue_a);
    } else {
      EXPECT_GT(revenue_b, revenue_a);
    }
  }
}

// The prosumer premium acts through demand: as prosumers spread, converged firms' quality-adjusted
// output rises, and with it their share of the economy's revenue (same seed, same quantities
// produced up to the premium's own effect).
TEST(Demand, ProsumerPremiumRaisesTheConvergedRevenueShare) {
  const std::vector<std::string> base = {"economy.firms=4000", "time.end_year=2010", "time.burn_in_years=0",
                                         "prosumers.growth_rate=1"};
  std::vector<std::string> none = base;
  none.emplace_back("prosumers.demand_effect=0");
  std::vector<std::string> premium = base;
  premium.emplace_back("prosumers.demand_effect=1");
  const RunResult a = models::simulate(baseline_with(none));
  const RunResult b = models::simulate(baseline_with(premium));
  const std::size_t t = 18;  // 2008: network access is at its 2007 level, prosumers have spread
  ASSERT_GT(aggregate_series(b, "prosumer_share")[t], 0.2);
  const double share_a = convergence_series(a, "nominal_output")[t] / aggregate_series(a, "nominal_output")[t];
  const double share_b = convergence_series(b, "nominal_output")[t] / aggregate_series(b, "nominal_output")[t];
  EXPECT_GT(share_b, share_a * 1.05);
}

}  // namespace
}  // namespace convsim::testing
