// Direction checks with common random numbers: the same seed run with and without a lever shares
// every draw the two runs have in common, so the paired difference shows the lever's effect and
// no noise. Each check states what the economics says must happen.
#include <numeric>

#include "model_fixtures.hpp"

namespace convsim::testing {
namespace {

// The baseline, small, with extra overrides (a lever as --set keys).
RunResult run_baseline(const std::vector<std::string>& extra, const std::string& seed) {
  std::vector<std::string> overrides = {"economy.firms=5000", "seed=" + seed, "output.snapshot_years=[]"};
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  return models::simulate(baseline_with(overrides));
}

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

class PolicyDirection : public ::testing::TestWithParam<const char*> {};

// Health care's hybrid and fusion firms (the degrees a barrier blocks) in every year.
std::vector<double> advanced_firms(const RunResult& result, const char* sector) {
  std::vector<double> out = sector_series(result, "hybrid_firms", sector);
  const std::vector<double> fusion = sector_series(result, "fusion_firms", sector);
  for (std::size_t t = 0; t < out.size(); ++t) out[t] += fusion[t];
  return out;
}

TEST_P(PolicyDirection, LiftingABarrierNeverLowersThatSectorsAdvancedConvergence) {
  // Health care's barrier (0.6 in the baseline) lowered in steps from 2005; every lower barrier
  // must leave at least as many health-care firms at hybrid or fusion in every year.
  std::vector<double> previous;
  for (const char* level : {"0.6", "0.45", "0.3", "0.15", "0.0"}) {
    const RunResult result =
        run_baseline({"policies.lift.lever=barrier", "policies.lift.sectors=[health_care]", "policies.lift.at=2005",
                      std::string("policies.lift.value=") + level},
                     GetParam());
    const std::vector<double> converged = advanced_firms(result, "health_care");
    if (!previous.empty()) {
      for (std::size_t t = 0; t < converged.size(); ++t) {
        EXPECT_GE(converged[t], previous[t]) << "barrier " << level << ", year " << result.time[t];
      }
      // Strictly more firm-years of convergence (the last years may tie as the sector saturates).
      EXPECT_GT(sum(converged), sum(previous)) << "barrier " << level << " changed nothing";
    }
    previous = converged;
  }
}

TEST_P(PolicyDirection, BetterInfrastructureRaisesTechnology) {
  const RunResult base = run_baseline({}, GetParam());
  const RunResult better = run_baseline(
      {"policies.upgrade.lever=infrastructure", "policies.upgrade.at=2000", "policies.upgrade.value=1.0"}, GetParam());
  const std::vector<double>& a = aggregate_series(base, "mean_technology");
  const std::vector<double>& b = aggregate_series(better, "mean_technology");
  for (std::size_t t = 0; t < a.size(); ++t) {
    if (base.time[t] < 2000) {
      EXPECT_EQ(b[t], a[t]) << "before the upgrade, year " << base.time[t];
    } else {
      EXPECT_GT(b[t], a[t]) << "year " << base.time[t];
    }
  }
  // Faster diffusion of convergence too (infrastructure scales the adoption hazard).
  EXPECT_GT(convergence_series(better, "firms").back(), convergence_series(base, "firms").back());
}

TEST_P(PolicyDirection, RdSupportRaisesTheInnovationFlow) {
  // Away from saturation (innovation probability well below 1) doubling the rate must raise the
  // flow by well over half; the calibrated infrastructure elasticity saturates it by the 2010s.
  const std::string unsaturated = "technology.infrastructure_elasticity=0.5";
  const RunResult base = run_baseline({unsaturated}, GetParam());
  const RunResult supported = run_baseline(
      {unsaturated, "policies.rd.lever=rd_support", "policies.rd.at=2005", "policies.rd.value=1.0"}, GetParam());
  const std::vector<double>& a = aggregate_series(base, "innovation_flow");
  const std::vector<double>& b = aggregate_series(supported, "innovation_flow");
  double before_a = 0, before_b = 0, after_a = 0, after_b = 0;
  for (std::size_t t = 0; t < a.size(); ++t) {
    (base.time[t] < 2005 ? before_a : after_a) += a[t];
    (base.time[t] < 2005 ? before_b : after_b) += b[t];
  }
  EXPECT_EQ(before_b, before_a) << "nothing changes before the support starts";
  EXPECT_GT(after_b, 1.5 * after_a) << "doubling the innovation rate raises the flow by well over half";
  EXPECT_GT(aggregate_series(supported, "mean_technology").back(), aggregate_series(base, "mean_technology").back());
}

TEST_P(PolicyDirection, SelectiveFocusRaisesConvergenceInTheTargetedSector) {
  const RunResult base = run_baseline({}, GetParam());
  const RunResult focused = run_baseline({"policies.focus.lever=selective_focus", "policies.focus.sectors=[construction]",
                                          "policies.focus.at=2000", "policies.focus.value=1.0"},
                                         GetParam());
  const std::vector<double> a = sector_series(base, "converged_firms", "construction");
  const std::vector<double> b = sector_series(focused, "converged_firms", "construction");
  for (std::size_t t = 0; t < a.size(); ++t) EXPECT_GE(b[t], a[t]) << "year " << base.time[t];
  // More converged firm-years. (Not necessarily more adoptions: as the sector converges, more of
  // its entrants start converged and fewer firms are left to adopt.)
  EXPECT_GT(sum(b), sum(a));
}

TEST_P(PolicyDirection, AccessibilityRaisesProsumersAndConvergence) {
  const RunResult base = run_baseline({}, GetParam());
  const RunResult access = run_baseline(
      {"policies.access.lever=accessibility", "policies.access.at=2000", "policies.access.value=1.0"}, GetParam());
  EXPECT_GT(aggregate_series(access, "prosumer_share").back(), aggregate_series(base, "prosumer_share").back());
  // Hybrid and fusion need network access; package convergence does not.
  const auto advanced = [](const RunResult& r) {
    return convergence_series(r, "hybrid_firms").back() + convergence_series(r, "fusion_firms").back();
  };
  EXPECT_GT(advanced(access), advanced(base));
}

INSTANTIATE_TEST_SUITE_P(Seeds, PolicyDirection, ::testing::Values("1", "20140401", "987654321"));

TEST(CommonRandomNumbers, ALeverChangesNothingBeforeItStarts) {
  const RunResult base = run_baseline({}, "5");
  const RunResult late = run_baseline({"policies.late.lever=barrier", "policies.late.sectors=[health_care]",
                                       "policies.late.at=2015", "policies.late.value=0"},
                                      "5");
  for (const Series& series : base.aggregate) {
    const Series* other = late.find_aggregate(series.name);
    ASSERT_NE(other, nullptr);
    for (std::size_t t = 0; t < base.time.size() && base.time[t] < 2015; ++t) {
      EXPECT_EQ(other->values[t], series.values[t]) << series.name << ", year " << base.time[t];
    }
  }
}

}  // namespace
}  // namespace convsim::testing
