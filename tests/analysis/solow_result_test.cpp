// Solow series out of a convsim result: a real small run written to HDF5 and read back as annual
// Y, K, L, A of the smart convergence industry (and of the whole economy), annual and quarterly.
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "convsim/analysis/calibration.hpp"
#include "convsim/analysis/solow.hpp"
#include "convsim/errors.hpp"
#include "convsim/models/simulation.hpp"
#include "convsim/result_file.hpp"
#include "convsim/scenario.hpp"
#include "test_support.hpp"

namespace convsim::analysis {
namespace {

using convsim::testing::TempDir;

// A small economy of two ICT sectors and two converging ones, 1990-2009.
std::string small_scenario(int steps_per_year) {
  return "name: small\n"
         "seed: 11\n"
         "time: {start_year: 1990, end_year: 2009, steps_per_year: " + std::to_string(steps_per_year) + "}\n"
         "economy: {firms: 2000}\n"
         "sectors:\n"
         "  platform:    {role: platform,   firm_share: 0.1, initial_converged: 0.2}\n"
         "  device:      {role: device,     firm_share: 0.1, initial_converged: 0.2}\n"
         "  health_care: {role: converging, firm_share: 0.4, barrier: 0.3, initial_converged: 0.1}\n"
         "  transport:   {role: converging, firm_share: 0.4, barrier: 0.2, initial_converged: 0.1}\n";
}

RunResult run_small(int steps_per_year) {
  const Scenario scenario = build_scenario(ScenarioDocument::parse(small_scenario(steps_per_year), "small.yaml"));
  models::RunOptions options;
  options.firm_snapshots = false;
  return models::simulate(scenario, options);
}

const Series& series(const std::vector<Series>& group, const std::string& name) {
  for (const Series& s : group) {
    if (s.name == name) return s;
  }
  throw std::runtime_error("no series " + name);
}

TEST(SolowResultInput, ReadsTheConvergenceIndustryOfAnAnnualRun) {
  const RunResult run = run_small(1);
  TempDir dir;
  const auto path = dir / "small.h5";
  write_result(run, path);

  const SolowData data = load_solow_data_from_result(path, "convergence");
  ASSERT_EQ(data.years.size(), 20u);
  EXPECT_EQ(data.years.front(), 1990);
  EXPECT_EQ(data.years.back(), 2009);
  EXPECT_EQ(data.output.name, "output");
  EXPECT_EQ(data.capital.name, "capital");
  EXPECT_EQ(data.labour.name, "employment");
  EXPECT_EQ(data.technology.name, "technology");
  EXPECT_NE(data.source.find("small.h5"), std::string::npos);
  for (std::size_t t = 0; t < 20; ++t) {
    EXPECT_DOUBLE_EQ(data.output.values[t], series(run.convergence, "output").values[t]);
    EXPECT_DOUBLE_EQ(data.capital.values[t], series(run.convergence, "capital").values[t]);
    EXPECT_DOUBLE_EQ(data.labour.values[t], series(run.convergence, "employment").values[t]);
    EXPECT_DOUBLE_EQ(data.technology.values[t], series(run.convergence, "technology").values[t]);
  }
  // The regression runs on it: 20 observations, names from the result's variables.
  const SolowReport report = estimate_solow(data);
  EXPECT_EQ(report.regression.observations, 20);
  EXPECT_EQ(report.regression.names[2], "ln(employment)");
  EXPECT_EQ(*report.first_year, 1990);

  const SolowData economy = load_solow_data_from_result(path, "aggregate");
  EXPECT_EQ(economy.technology.name, "technology_flow");
  EXPECT_DOUBLE_EQ(economy.labour.values[5], series(run.aggregate, "employment").values[5]);
}

TEST(SolowResultInput, AnnualisesQuarterlyRunsFlowsAveragedStocksAtYearEnd) {
  const RunResult run = run_small(4);
  ASSERT_EQ(run.time.size(), 80u);
  const SolowData data = solow_data_from_run(run, "convergence", "quarterly");
  ASSERT_EQ(data.years.size(), 20u);
  const auto& output = series(run.convergence, "output").values;
  const auto& technology = series(run.convergence, "technology").values;
  const auto& capital = series(run.convergence, "capital").values;
  const auto& employment = series(run.convergence, "employment").values;
  for (std::size_t year = 0; year < 20; ++year) {
    EXPECT_EQ(data.years[year], 1990 + static_cast<int>(year));
    const std::size_t first = 4 * year, last = 4 * year + 3;
    EXPECT_NEAR(data.output.values[year], (output[first] + output[first + 1] + output[first + 2] + output[last]) / 4,
                1e-9 * output[last]);
    EXPECT_NEAR(data.technology.values[year],
                (technology[first] + technology[first + 1] + technology[first + 2] + technology[last]) / 4,
                1e-9 * std::abs(technology[last]) + 1e-12);
    EXPECT_DOUBLE_EQ(data.capital.values[year], capital[last]);
    EXPECT_DOUBLE_EQ(data.labour.values[year], employment[last]);
  }
}

TEST(SolowResultInput, DropsAnIncompleteLastYear) {
  RunResult run = run_small(4);
  for (auto* group : {&run.convergence, &run.aggregate}) {
    for (Series& s : *group) s.values.resize(78);
  }
  run.time.resize(78);
  const SolowData data = solow_data_from_run(run, "convergence", "cut");
  EXPECT_EQ(data.years.size(), 19u);
  EXPECT_EQ(data.years.back(), 2008);
}

TEST(SolowResultInput, BadScopeAndMissingFileAreInputErrors) {
  const RunResult run = run_small(1);
  try {
    solow_data_from_run(run, "sector", "run.h5");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "run.h5");
    EXPECT_EQ(e.key(), "scope");
    EXPECT_NE(e.detail().find("convergence"), std::string::npos);
  }
  RunResult missing = run;
  missing.convergence.erase(missing.convergence.begin());  // output
  EXPECT_THROW(solow_data_from_run(missing, "convergence", "run.h5"), InputError);
  TempDir dir;
  EXPECT_THROW(load_solow_data_from_result(dir / "absent.h5", "convergence"), InputError);
}

TEST(SolowResultInput, ConvsimSolowReadsAResultWithDefaultColumns) {
  const RunResult run = run_small(1);
  TempDir dir;
  const auto path = dir / "small.h5";
  write_result(run, path);
  const auto table = convsim::testing::run_convsim("solow '" + path.string() + "'");
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("ln(employment)"), std::string::npos);
  EXPECT_NE(table.out.find("1990-2009"), std::string::npos);
  const auto bad = convsim::testing::run_convsim("solow '" + path.string() + "' --scope sector");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown scope"), std::string::npos);
}

}  // namespace
}  // namespace convsim::analysis
