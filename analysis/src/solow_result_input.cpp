// Solow series out of a convsim result: the smart convergence industry (or the whole economy) as
// annual level series, for `convsim solow RESULT.h5` and for the calibration.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "convsim/analysis/calibration.hpp"
#include "convsim/analysis/solow.hpp"
#include "convsim/errors.hpp"
#include "convsim/result_file.hpp"

namespace convsim::analysis {
namespace {

// Where one Solow series comes from and how a year of steps is summarised.
struct SeriesSource {
  const char* variable;  // dataset under the scope's group
  bool flow;             // true: annual rate, averaged over the year's steps; false: stock at year end
};

// Output Y, capital K, employment L, technology A of a scope, in that order.
const std::map<std::string, std::array<SeriesSource, 4>>& scope_series() {
  static const std::map<std::string, std::array<SeriesSource, 4>> table = {
      {"convergence", {{{"output", true}, {"capital", false}, {"employment", false}, {"technology", true}}}},
      {"aggregate", {{{"output", true}, {"capital", false}, {"employment", false}, {"technology_flow", true}}}},
  };
  return table;
}

}  // namespace

SolowData solow_data_from_run(const RunResult& run, const std::string& scope, const std::string& source) {
  const auto found = scope_series().find(scope);
  if (found == scope_series().end()) {
    throw InputError(source, 0, "scope",
                     "unknown scope '" + scope + "'; expected convergence (the smart convergence industry) or "
                     "aggregate (the whole economy)");
  }
  const std::vector<Series>& group = scope == "convergence" ? run.convergence : run.aggregate;
  std::array<const Series*, 4> series{};
  for (std::size_t k = 0; k < 4; ++k) {
    const std::string name = found->second[k].variable;
    for (const Series& s : group) {
      if (s.name == name) series[k] = &s;
    }
    if (series[k] == nullptr) {
      throw InputError(source, 0, "/" + scope + "/" + name,
                       "the result has no series /" + scope + "/" + name + "; expected a convsim result of this "
                       "version (convsim run writes it)");
    }
    if (series[k]->values.size() != run.time.size()) {
      throw InputError(source, 0, "/" + scope + "/" + name,
                       "has " + std::to_string(series[k]->values.size()) + " values but /time has " +
                           std::to_string(run.time.size()));
    }
  }

  // Annualise: group steps by calendar year; keep years with all their steps.
  const int per_year = std::max(1, run.steps_per_year);
  SolowData data;
  data.source = source + " (/" + scope + ")";
  data.output.name = found->second[0].variable;
  data.capital.name = found->second[1].variable;
  data.labour.name = found->second[2].variable;
  data.technology.name = found->second[3].variable;
  std::array<SolowSeries*, 4> targets = {&data.output, &data.capital, &data.labour, &data.technology};
  for (const YearSteps& year : complete_years(run.time, per_year)) {
    data.years.push_back(year.year);
    for (std::size_t k = 0; k < 4; ++k) {
      const std::vector<double>& values = series[k]->values;
      double value = values[year.end - 1];
      if (found->second[k].flow) {
        value = 0;
        for (std::size_t step = year.begin; step < year.end; ++step) value += values[step];
        value /= static_cast<double>(year.end - year.begin);
      }
      targets[k]->values.push_back(value);
    }
  }
  if (data.years.empty()) {
    throw InputError(source, 0, "/time",
                     "the result holds no complete year (" + std::to_string(run.time.size()) + " steps of " +
                         std::to_string(per_year) + " per year)");
  }
  return data;
}

std::vector<YearSteps> complete_years(const std::vector<double>& time, int steps_per_year) {
  const int per_year = std::max(1, steps_per_year);
  std::vector<YearSteps> years;
  std::size_t t = 0;
  while (t < time.size()) {
    // A small tolerance: decimal years of quarterly steps (1990.75) are exact, others may round.
    const int year = static_cast<int>(std::floor(time[t] + 1e-6));
    std::size_t end = t;
    while (end < time.size() && static_cast<int>(std::floor(time[end] + 1e-6)) == year) ++end;
    if (static_cast<int>(end - t) == per_year) years.push_back({year, t, end});
    t = end;
  }
  return years;
}

SolowData load_solow_data_from_result(const std::filesystem::path& path, const std::string& scope) {
  return solow_data_from_run(read_result(path), scope, path.string());
}

}  // namespace convsim::analysis
