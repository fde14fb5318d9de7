// The calibrated baseline against the stylised facts of `convsim facts` (analysis/src/facts.cpp;
// ranges and sources in docs/analysis.md, never widened here). Asserted: the facts the baseline
// reproduces today. Not asserted, because the baseline misses them (docs/analysis.md lists the
// measured values): the Zipf exponent (1.17, just above Axtell's 95 % interval), the young/old
// exit ratio (4.25 against 1.5-4), growth-rate dispersion against size, labour-productivity
// dispersion, sector comovement and the labour share.
#include <set>

#include "convsim/analysis/facts.hpp"
#include "../models/model_fixtures.hpp"

namespace convsim::testing {
namespace {

TEST(StylisedFacts, TheBaselineReproducesTheFactsItIsBuiltFor) {
  // Full size: Zipf's law and the growth-rate distribution depend on the economy's size.
  const Scenario sc = baseline_with({"output.snapshot_years=[2008, 2009, 2019, 2020]"});
  const RunResult run = models::simulate(sc);
  const std::vector<analysis::Fact> facts = analysis::measure_facts(run, "baseline");
  const std::set<std::string> asserted = {"growth_rate_shape_b", "growth_rate_width_a", "output_growth_volatility",
                                          "output_growth_autocorrelation", "employment_within_labour_force"};
  std::size_t seen = 0;
  for (const analysis::Fact& fact : facts) {
    ASSERT_TRUE(fact.value.has_value()) << fact.name << ": " << fact.detail;
    if (!asserted.count(fact.name)) continue;
    ++seen;
    EXPECT_TRUE(fact.ok) << fact.name << " = " << *fact.value << ", range [" << fact.low << ", " << fact.high
                         << "]: " << fact.detail;
  }
  EXPECT_EQ(seen, asserted.size()) << "every asserted fact is measured";
}

}  // namespace
}  // namespace convsim::testing
