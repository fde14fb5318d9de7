// Opens a result file with the system Python's h5py, netCDF4 and xarray (tests/sim/check_result.py)
// to show that users can read it without convsim.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "convsim/result_file.hpp"
#include "test_support.hpp"

namespace convsim {
namespace {

using convsim::testing::run_shell;
using convsim::testing::source_path;
using convsim::testing::TempDir;

// The run that check_result.py's expected() describes by formula; keep the two in step.
RunResult python_check_result() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  RunResult r;
  r.title = "convsim python check — 검사";
  r.scenario_name = "python_check";
  r.scenario_yaml = "name: python_check\nsteps_per_year: 4\n";
  r.scenario_hash = "feedbeef";
  r.seed = (std::uint64_t{1} << 63) + 5;
  r.steps_per_year = 4;
  const int t_count = 6;
  const int s_count = 3;
  for (int t = 0; t < t_count; ++t) r.time.push_back(2020.0 + t / 4.0);
  r.sectors = {"contents", "platform", "의료"};
  r.sector_roles = {"contents", "platform", "converging"};
  auto series = [&](const char* name, const char* units, auto f) {
    Series s{name, units, std::string(name) + " (test)", {}};
    for (int t = 0; t < t_count; ++t) s.values.push_back(f(double(t)));
    return s;
  };
  auto sector_series = [&](const char* name, const char* units, auto f) {
    SectorSeries s{name, units, std::string(name) + " by sector (test)", {}};
    for (int t = 0; t < t_count; ++t) {
      for (int k = 0; k < s_count; ++k) s.values.push_back(f(double(t), double(k)));
    }
    return s;
  };
  r.aggregate = {series("output", "1e8 KRW/year", [](double t) { return 100.0 + t; }),
                 series("jobs", "persons", [](double t) { return 50.0 + 2.0 * t; })};
  r.by_sector = {sector_series("output", "1e8 KRW/year",
                               [](double t, double k) { return 10.0 * k + t + 0.5; })};
  r.convergence = {series("output", "1e8 KRW/year", [](double t) { return 3.0 + t; })};
  r.policy = {series("infrastructure", "1", [](double t) { return 1.0 + 0.25 * t; })};
  r.policy_by_sector = {sector_series(
      "barrier", "1", [](double t, double k) { return t < 3 ? 1.0 : 0.5 * k; })};
  r.events = {{"telemedicine", "barrier", "platform,의료", "set", 2020.5, nan, 0.5, 0.0},
              {"5g", "infrastructure", "", "add", 2020.25, 2021.0, 0.0, 0.25}};
  const double snapshot_times[] = {2020.0, 2021.0, 2021.25};
  const int snapshot_slots[] = {3, 5, 4};
  for (int k = 0; k < 3; ++k) {
    FirmSnapshot snapshot{snapshot_times[k], {{"capital", "1e8 KRW", "capital stock", {}},
                                              {"sector", "1", "sector index", {}}}};
    for (int i = 0; i < snapshot_slots[k]; ++i) {
      snapshot.columns[0].values.push_back(1000.0 * k + i);
      snapshot.columns[1].values.push_back(i % 3);
    }
    r.snapshots.push_back(snapshot);
  }
  return r;
}

TEST(ResultPython, H5pyNetcdf4AndXarrayReadTheFile) {
  const std::string python = CONVSIM_SYSTEM_PYTHON;
  if (run_shell("'" + python + "' -c 'import h5py'").exit_code != 0) {
    GTEST_SKIP() << python << " has no h5py (Debian package python3-h5py)";
  }
  TempDir dir;
  const auto path = dir / "python_check.h5";
  write_result(python_check_result(), path);
  const auto check = run_shell("'" + python + "' '" +
                               source_path("tests/sim/check_result.py").string() + "' '" +
                               path.string() + "'");
  EXPECT_EQ(check.exit_code, 0) << check.err << check.out;
}

}  // namespace
}  // namespace convsim
