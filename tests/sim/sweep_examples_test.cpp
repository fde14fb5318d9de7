// The shipped example sweeps explore the calibrated model: every swept key that the calibration
// fits (scenarios/calibration/korea_calibrated.yaml) has its design centred on the calibrated
// value and stays within a factor of about two of it. A new calibration that moves a value far
// fails here until the sweeps are centred again (their comments say how).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "convsim/scenario_document.hpp"
#include "convsim/sweep.hpp"
#include "test_support.hpp"

namespace convsim {
namespace {

using testing::source_path;
namespace fs = std::filesystem;

TEST(SweepExamples, DesignsAreCentredOnTheCalibratedValues) {
  const ScenarioDocument calibrated = ScenarioDocument::load(source_path("scenarios/calibration/korea_calibrated.yaml"));
  std::size_t checked = 0;
  for (const auto& entry : fs::directory_iterator(source_path("scenarios/sweeps"))) {
    if (entry.path().extension() != ".yaml") continue;
    const SweepPlan plan = load_sweep(entry.path());
    for (std::size_t p = 0; p < plan.parameters.size(); ++p) {
      const DocumentEntry* value = calibrated.find(plan.parameters[p]);
      if (value == nullptr) continue;
      const double target = std::stod(value->value.Scalar());
      std::vector<double> values;
      for (const auto& point : plan.points) values.push_back(std::stod(point[p]));
      std::sort(values.begin(), values.end());
      const double median = values[values.size() / 2];
      const std::string what = entry.path().filename().string() + " " + plan.parameters[p] + " (calibrated " +
                               value->value.Scalar() + ")";
      EXPECT_NEAR(median / target, 1.0, 0.1) << what << ": median of the design " << median;
      EXPECT_LT(values.front(), target) << what;
      EXPECT_GT(values.back(), target) << what;
      EXPECT_GE(values.front(), 0.4 * target) << what << ": lowest value " << values.front();
      EXPECT_LE(values.back(), 2.0 * target) << what << ": highest value " << values.back();
      ++checked;
    }
  }
  // barrier_small (1 key) and policy_uncertainty (4 keys) sweep calibrated parameters.
  EXPECT_GE(checked, 5u);
}

}  // namespace
}  // namespace convsim
