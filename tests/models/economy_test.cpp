// The initial economy (models/src/initialise.cpp, economy.cpp): heavy-tailed firm sizes, sectors
// in proportion to their shares, a network that follows the link-intensity matrix.
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "model_fixtures.hpp"

namespace convsim::testing {
namespace {

// Hill estimator of a Pareto tail exponent from the k largest of `sizes`:
// zeta = k / sum_{i<k} ln(x_(i) / x_(k)), x_(0) >= x_(1) >= ... the order statistics.
double hill_tail_exponent(std::vector<double> sizes, std::size_t k) {
  std::nth_element(sizes.begin(), sizes.begin() + static_cast<std::ptrdiff_t>(k), sizes.end(), std::greater<>());
  const double threshold = sizes[k];
  double sum_logs = 0;
  for (std::size_t i = 0; i < k; ++i) sum_logs += std::log(sizes[i] / threshold);
  return static_cast<double>(k) / sum_logs;
}

TEST(InitialEconomy, FirmSizeTailExponentIsZipfLike) {
  // 200k firms as in the baseline; no network, so the build is quick.
  const Scenario scenario = scenario_from_yaml(R"(
seed: 11
economy: {firms: 200000, size_exponent: 1.06, min_firm_size: 1, max_firm_size: 100000}
network: {mean_degree: 0}
)");
  const models::Economy economy = models::build_economy(scenario);
  const std::vector<double> sizes(economy.firms.employment.begin(), economy.firms.employment.end());
  ASSERT_EQ(sizes.size(), 200000u);
  // Top 10 % (k = 20000): sizes above about 10^(1/1.06) = 8.8 persons, far below the truncation
  // at 1e5, whose bias on the Hill estimate is (8.8/1e5)^1.06 * ln(1e5/8.8) ~ 5e-4 relative. The
  // estimator's standard error is zeta / sqrt(k) = 0.0075, so 4 standard errors is 0.03.
  const std::size_t k = sizes.size() / 10;
  const double zeta = hill_tail_exponent(sizes, k);
  EXPECT_NEAR(zeta, 1.06, 4 * 1.06 / std::sqrt(static_cast<double>(k))) << "Hill estimate on the top 10 %";
  // The top 1 % alone (k = 2000, standard error 0.024) says the same within its own error.
  const double zeta_top = hill_tail_exponent(sizes, sizes.size() / 100);
  EXPECT_NEAR(zeta_top, 1.06, 4 * 1.06 / std::sqrt(2000.0)) << "Hill estimate on the top 1 %";
  // Sizes stay in the truncation bounds.
  EXPECT_GE(*std::min_element(sizes.begin(), sizes.end()), 1.0);
  EXPECT_LE(*std::max_element(sizes.begin(), sizes.end()), 100000.0);
}

TEST(InitialEconomy, OtherTailExponentsAreReproducedToo) {
  const Scenario scenario = scenario_from_yaml(R"(
seed: 12
economy: {firms: 100000, size_exponent: 1.5, min_firm_size: 2, max_firm_size: 1000000}
network: {mean_degree: 0}
)");
  const models::Economy economy = models::build_economy(scenario);
  const std::size_t k = 10000;
  const std::vector<double> sizes(economy.firms.employment.begin(), economy.firms.employment.end());
  EXPECT_NEAR(hill_tail_exponent(sizes, k), 1.5, 4 * 1.5 / std::sqrt(static_cast<double>(k)));
}

TEST(InitialEconomy, FirmsStartAtTheirOptimalSizeAtTheInitialWage) {
  const Scenario scenario = scenario_from_yaml(R"(
seed: 13
economy: {firms: 2000, initial_wage: 0.3}
network: {mean_degree: 4}
)");
  const models::Economy economy = models::build_economy(scenario);
  const models::FirmState& f = economy.firms;
  const double beta = scenario.production.labour_elasticity;
  for (std::size_t i = 0; i < f.size(); ++i) {
    // At the optimum the marginal product of labour beta Y / L equals the wage. Productivity is
    // stored as float, so the match is to float precision scaled by 1/(1 - beta).
    EXPECT_NEAR(beta * f.output[i] / f.employment[i] / 0.3, 1.0, 1e-5) << "firm " << i;
  }
}

TEST(InitialEconomy, SectorsFollowFirmSharesAndLinksFollowIntensity) {
  // Two ICT sectors and two converging ones; contents supplies platform (value chain), both ICT
  // sectors supply the converging ones, and `farm` gets no link from `platform` by override.
  const Scenario scenario = scenario_from_yaml(R"(
seed: 14
economy: {firms: 8000}
network:
  mean_degree: 6
  link_intensity:
    platform: {farm: 0}
sectors:
  contents: {role: contents, firm_share: 0.25}
  platform: {role: platform, firm_share: 0.25}
  clinic:   {role: converging, firm_share: 0.3}
  farm:     {role: converging, firm_share: 0.2}
)");
  const models::Economy economy = models::build_economy(scenario);
  const models::FirmState& f = economy.firms;
  std::vector<std::size_t> count(4, 0);
  for (std::size_t i = 0; i < f.size(); ++i) ++count[f.sector[i]];
  EXPECT_EQ(count[0], 2000u);
  EXPECT_EQ(count[1], 2000u);
  EXPECT_EQ(count[2], 2400u);
  EXPECT_EQ(count[3], 1600u);

  std::size_t links = 0, platform_to_farm = 0;
  for (const Link& link : economy.network.all_links()) {
    if (link.weight <= 0) continue;  // a self-draw is kept with weight 0
    ++links;
    if (f.sector[link.supplier] == 1 && f.sector[link.customer] == 3) ++platform_to_farm;
    EXPECT_NE(link.supplier, link.customer);
  }
  EXPECT_EQ(platform_to_farm, 0u);
  EXPECT_NEAR(static_cast<double>(links) / 8000.0, 6.0, 0.3) << "mean in-degree";
}

TEST(InitialEconomy, LargerFirmsHaveMoreCustomers) {
  // Preferential attachment by size: the out-degree (customers) of the largest 1 % of firms is far
  // above the mean out-degree.
  const Scenario scenario = scenario_from_yaml(R"(
seed: 15
economy: {firms: 20000}
network: {mean_degree: 8, size_preference: 1.0}
)");
  const models::Economy economy = models::build_economy(scenario);
  const models::FirmState& f = economy.firms;
  std::vector<double> customers(f.size(), 0.0);
  for (const Link& link : economy.network.all_links()) customers[link.supplier] += link.weight > 0 ? 1 : 0;
  std::vector<std::size_t> order(f.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return f.employment[a] > f.employment[b]; });
  double top = 0, all = 0;
  for (std::size_t r = 0; r < order.size(); ++r) {
    all += customers[order[r]];
    if (r < order.size() / 100) top += customers[order[r]];
  }
  EXPECT_GT(top / (order.size() / 100), 10.0 * all / order.size());
}

}  // namespace
}  // namespace convsim::testing
