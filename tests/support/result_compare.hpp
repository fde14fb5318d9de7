// Comparing two run results field by field, bit for bit (memcmp: NaN equals itself), for tests
// of exact continuation and branching.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "convsim/result.hpp"

namespace convsim::testing {

inline bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

template <typename SeriesList>
inline void expect_same_series(const SeriesList& a, const SeriesList& b, const std::string& where) {
  ASSERT_EQ(a.size(), b.size()) << where;
  for (std::size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].name, b[k].name) << where;
    EXPECT_EQ(a[k].units, b[k].units) << where;
    EXPECT_EQ(a[k].long_name, b[k].long_name) << where;
    EXPECT_TRUE(same_bits(a[k].values, b[k].values)) << where << "/" << a[k].name << " differs";
  }
}

// Every field of two results: metadata, every series and every snapshot column, bit for bit.
inline void expect_same_result(const RunResult& a, const RunResult& b, const std::string& where) {
  EXPECT_EQ(a.title, b.title) << where;
  EXPECT_EQ(a.scenario_name, b.scenario_name) << where;
  EXPECT_EQ(a.scenario_yaml, b.scenario_yaml) << where;
  EXPECT_EQ(a.scenario_hash, b.scenario_hash) << where;
  EXPECT_EQ(a.seed, b.seed) << where;
  EXPECT_EQ(a.steps_per_year, b.steps_per_year) << where;
  EXPECT_TRUE(same_bits(a.time, b.time)) << where << ": time";
  EXPECT_EQ(a.sectors, b.sectors) << where;
  EXPECT_EQ(a.sector_roles, b.sector_roles) << where;
  expect_same_series(a.aggregate, b.aggregate, where + " aggregate");
  expect_same_series(a.by_sector, b.by_sector, where + " by_sector");
  expect_same_series(a.convergence, b.convergence, where + " convergence");
  expect_same_series(a.policy, b.policy, where + " policy");
  expect_same_series(a.policy_by_sector, b.policy_by_sector, where + " policy_by_sector");
  ASSERT_EQ(a.events.size(), b.events.size()) << where;
  for (std::size_t k = 0; k < a.events.size(); ++k) EXPECT_EQ(a.events[k].name, b.events[k].name) << where;
  ASSERT_EQ(a.snapshots.size(), b.snapshots.size()) << where;
  for (std::size_t k = 0; k < a.snapshots.size(); ++k) {
    EXPECT_EQ(a.snapshots[k].time, b.snapshots[k].time) << where;
    expect_same_series(a.snapshots[k].columns, b.snapshots[k].columns, where + " firms");
  }
}

}  // namespace convsim::testing
