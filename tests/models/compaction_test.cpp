// Slot compaction (models::compact_firms): removing exited firms and renumbering the rest changes
// no draw (draws are keyed by the firm's uid), so a run with compaction must follow the run
// without it to rounding (the sums over fixed chunks of slots group differently), firm for firm.
#include <cmath>

#include "model_fixtures.hpp"

namespace convsim::testing {
namespace {

TEST(SlotCompaction, RunFollowsTheUncompactedRunFirmForFirm) {
  const Scenario sc = baseline_with({"economy.firms=5000", "time.steps_per_year=2", "dynamics.exit_hazard=0.1",
                                     "dynamics.entry_rate=0.08"});
  Stepper compacted(sc);
  Stepper plain(sc);
  plain.economy().compact_slots = false;
  std::size_t compactions = 0;
  for (int t = 0; t < sc.steps(); ++t) {
    const std::size_t slots_before = compacted.economy().firms.size();
    const models::StepAggregates a = compacted.advance();
    const models::StepAggregates& b = plain.advance();
    compactions += compacted.economy().firms.size() < slots_before ? 1 : 0;
    SCOPED_TRACE("step " + std::to_string(t));
    ASSERT_EQ(a.by_sector.size(), b.by_sector.size());
    for (std::size_t k = 0; k < a.by_sector.size(); ++k) {
      EXPECT_NEAR(a.by_sector[k], b.by_sector[k], 1e-10 * std::max(1.0, std::abs(b.by_sector[k]))) << "entry " << k;
    }
    EXPECT_EQ(a.total(models::kFirms), b.total(models::kFirms)) << "the same firms are alive";
    EXPECT_NEAR(a.wage, b.wage, 1e-12 * b.wage);
  }
  EXPECT_GE(compactions, 2u) << "the test must compact at least twice";
  const models::FirmState& f = compacted.economy().firms;
  const models::FirmState& g = plain.economy().firms;
  EXPECT_EQ(f.created, g.created);
  EXPECT_EQ(g.size(), g.created) << "without compaction every firm keeps its slot";
  EXPECT_LT(f.size(), g.size());
  for (std::size_t i = 1; i < f.size(); ++i) ASSERT_LT(f.uid[i - 1], f.uid[i]) << "slots stay in entry order";
  std::size_t alive = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (!f.alive[i]) continue;
    ++alive;
    const std::size_t j = f.uid[i];  // the uncompacted run's slot is the uid
    ASSERT_EQ(g.uid[j], j);
    ASSERT_TRUE(g.alive[j]) << "firm " << j;
    EXPECT_EQ(f.sector[i], g.sector[j]);
    EXPECT_EQ(f.level[i], g.level[j]);
    EXPECT_EQ(f.age[i], g.age[j]);
    EXPECT_NEAR(f.employment[i], g.employment[j], 1e-9 * std::max(1.0, g.employment[j])) << "firm " << j;
    EXPECT_NEAR(f.capital[i], g.capital[j], 1e-9 * std::max(1.0, g.capital[j])) << "firm " << j;
  }
  std::size_t alive_plain = 0;
  for (std::size_t j = 0; j < g.size(); ++j) alive_plain += g.alive[j];
  EXPECT_EQ(alive, alive_plain);
  // The network holds no link of a removed firm: every supplier is a slot of the compacted run.
  const models::Economy& e = compacted.economy();
  for (std::size_t i = 0; i < f.size(); ++i) {
    e.network.for_each_supplier(static_cast<FirmId>(i), [&](FirmId s, float) { ASSERT_LT(s, f.size()); });
  }
}

}  // namespace
}  // namespace convsim::testing
