#include "convsim/analysis/sensitivity.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "convsim/detail/hdf5_handle.hpp"
#include "convsim/detail/hdf5_read.hpp"
#include "convsim/errors.hpp"
#include "convsim/merge.hpp"
#include "convsim/rng.hpp"

namespace convsim::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Purpose of the bootstrap's draws (its own seed; never a run's).
constexpr auto kBootstrap = static_cast<Purpose>(static_cast<std::uint32_t>(Purpose::user) + 20);

// Percentile p of sorted values, linear between order statistics.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return kNaN;
  const double at = p * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(at));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (at - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

Estimate interval(double value, std::vector<double> draws) {
  draws.erase(std::remove_if(draws.begin(), draws.end(), [](double d) { return !std::isfinite(d); }), draws.end());
  std::sort(draws.begin(), draws.end());
  return {value, percentile(draws, 0.025), percentile(draws, 0.975)};
}

// Index i in [0, n) of resample b, draw j.
std::size_t resample_index(std::uint64_t seed, int b, std::size_t j, std::size_t n) {
  const RandomBlock block(seed, static_cast<std::uint64_t>(b), kBootstrap, j);
  const std::uint64_t bits = (std::uint64_t{block.bits(0)} << 32) | block.bits(1);
  return static_cast<std::size_t>(bits % n);
}

double variance_of(const std::vector<double>& values) {
  if (values.size() < 2) return kNaN;
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  double sum = 0;
  for (double v : values) sum += (v - mean) * (v - mean);
  return sum / static_cast<double>(values.size() - 1);
}

// The Saltelli rows j = 0..N-1 with every one of their k + 2 values: row[block].
std::vector<std::vector<double>> saltelli_rows(const std::vector<double>& y, const std::vector<DesignRole>& roles,
                                               std::size_t k) {
  if (y.size() != roles.size()) throw std::invalid_argument("one value per design point is needed");
  std::map<long long, std::vector<double>> rows;
  std::map<long long, std::size_t> seen;
  for (std::size_t p = 0; p < y.size(); ++p) {
    const DesignRole& role = roles[p];
    if (role.group < 0 || role.block < 0 || static_cast<std::size_t>(role.block) > k + 1) {
      throw std::invalid_argument("a design point without a place in a Saltelli design");
    }
    auto& row = rows.try_emplace(role.group, std::vector<double>(k + 2, kNaN)).first->second;
    if (std::isfinite(y[p]) && std::isnan(row[static_cast<std::size_t>(role.block)])) {
      row[static_cast<std::size_t>(role.block)] = y[p];
      ++seen[role.group];
    }
  }
  std::vector<std::vector<double>> complete;
  for (auto& [group, row] : rows) {
    if (seen[group] == k + 2) complete.push_back(std::move(row));
  }
  return complete;
}

// S1 and ST of every factor from the rows listed in `use` (indices into rows).
void sobol_estimates(const std::vector<std::vector<double>>& rows, const std::vector<std::size_t>& use, std::size_t k,
                     std::vector<double>& first, std::vector<double>& total, double& variance) {
  const std::size_t n = use.size();
  double sum = 0, sum2 = 0;
  for (std::size_t j : use) {
    for (double v : {rows[j][0], rows[j][k + 1]}) {
      sum += v;
      sum2 += v * v;
    }
  }
  const double mean = sum / static_cast<double>(2 * n);
  variance = sum2 / static_cast<double>(2 * n) - mean * mean;  // as Saltelli et al. (2010), over 2N values
  first.assign(k, 0.0);
  total.assign(k, 0.0);
  for (std::size_t i = 0; i < k; ++i) {
    double s1 = 0, st = 0;
    for (std::size_t j : use) {
      const double a = rows[j][0], b = rows[j][k + 1], ab = rows[j][i + 1];
      // f(B) centred on the sample mean: E[f(A_B^i) - f(A)] = 0, so the shift leaves the
      // estimator's expectation as it is and takes out the variance a large mean of f adds.
      s1 += (b - mean) * (ab - a);
      st += (a - ab) * (a - ab);
    }
    first[i] = s1 / static_cast<double>(n) / variance;
    total[i] = st / (2.0 * static_cast<double>(n)) / variance;
  }
}

}  // namespace

SobolResult sobol_indices(const std::vector<double>& y, const std::vector<DesignRole>& roles, std::size_t k, int bootstrap,
                          std::uint64_t seed) {
  const auto rows = saltelli_rows(y, roles, k);
  if (rows.size() < 2) {
    throw std::invalid_argument("a Sobol' estimate needs at least two complete rows of A, B and A_B^i; found " +
                                std::to_string(rows.size()));
  }
  std::vector<std::size_t> all(rows.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  SobolResult result;
  result.n = rows.size();
  result.bootstrap = bootstrap;
  std::vector<double> first, total;
  sobol_estimates(rows, all, k, first, total, result.variance);
  if (!(result.variance > 0)) throw std::invalid_argument("the outcome does not vary over A and B (V = 0)");
  std::vector<std::vector<double>> first_draws(k), total_draws(k);
  std::vector<std::size_t> use(rows.size());
  for (int b = 0; b < bootstrap; ++b) {
    for (std::size_t j = 0; j < rows.size(); ++j) use[j] = resample_index(seed, b, j, rows.size());
    std::vector<double> f, t;
    double v = 0;
    sobol_estimates(rows, use, k, f, t, v);
    for (std::size_t i = 0; i < k; ++i) {
      first_draws[i].push_back(v > 0 ? f[i] : kNaN);
      total_draws[i].push_back(v > 0 ? t[i] : kNaN);
    }
  }
  for (std::size_t i = 0; i < k; ++i) {
    result.indices.push_back({interval(first[i], first_draws[i]), interval(total[i], total_draws[i])});
  }
  return result;
}

std::vector<MorrisIndex> morris_indices(const std::vector<double>& y, const std::vector<DesignRole>& roles, std::size_t k,
                                        int bootstrap, std::uint64_t seed) {
  if (y.size() != roles.size()) throw std::invalid_argument("one value per design point is needed");
  // (trajectory, step) -> point
  std::map<std::pair<long long, int>, std::size_t> at;
  for (std::size_t p = 0; p < roles.size(); ++p) {
    if (roles[p].group < 0 || roles[p].block < 0) throw std::invalid_argument("a design point without a place in a Morris design");
    if (std::isfinite(y[p])) at.emplace(std::make_pair(roles[p].group, roles[p].block), p);
  }
  // effects[i] = (trajectory, EE)
  std::vector<std::vector<std::pair<long long, double>>> effects(k);
  for (std::size_t p = 0; p < roles.size(); ++p) {
    const DesignRole& role = roles[p];
    if (role.block < 1 || !std::isfinite(y[p])) continue;
    const auto before = at.find({role.group, role.block - 1});
    if (before == at.end() || role.factor < 0 || static_cast<std::size_t>(role.factor) >= k || role.delta == 0) continue;
    effects[static_cast<std::size_t>(role.factor)].emplace_back(role.group, (y[p] - y[before->second]) / role.delta);
  }
  std::vector<MorrisIndex> out(k);
  for (std::size_t i = 0; i < k; ++i) {
    const auto& e = effects[i];
    if (e.empty()) throw std::invalid_argument("factor " + std::to_string(i) + " has no elementary effect");
    MorrisIndex& index = out[i];
    index.effects = e.size();
    double sum = 0, sum_abs = 0;
    for (const auto& [t, v] : e) {
      sum += v;
      sum_abs += std::abs(v);
    }
    const double n = static_cast<double>(e.size());
    index.mu = sum / n;
    index.mu_star = sum_abs / n;
    double ss = 0;
    for (const auto& [t, v] : e) ss += (v - index.mu) * (v - index.mu);
    index.sigma = e.size() > 1 ? std::sqrt(ss / (n - 1)) : kNaN;
    std::vector<double> draws;
    for (int b = 0; b < bootstrap; ++b) {
      double s = 0;
      for (std::size_t j = 0; j < e.size(); ++j) s += std::abs(e[resample_index(seed + i + 1, b, j, e.size())].second);
      draws.push_back(s / n);
    }
    index.mu_star_ci = interval(index.mu_star, draws);
  }
  return out;
}

//---- PRIM ----

namespace {

bool inside(const std::vector<double>& point, const PrimBox& box) {
  for (std::size_t d = 0; d < point.size(); ++d) {
    if (point[d] < box.low[d] || point[d] > box.high[d]) return false;
  }
  return true;
}

void measure(PrimBox& box, const std::vector<std::vector<double>>& x, const std::vector<bool>& y, std::size_t interesting) {
  std::size_t in = 0, hits = 0;
  for (std::size_t p = 0; p < x.size(); ++p) {
    if (!inside(x[p], box)) continue;
    ++in;
    if (y[p]) ++hits;
  }
  box.points = in;
  box.mass = static_cast<double>(in) / static_cast<double>(x.size());
  box.coverage = static_cast<double>(hits) / static_cast<double>(interesting);
  box.density = in ? static_cast<double>(hits) / static_cast<double>(in) : 0.0;
}

// The values of dimension d of the points inside `box`, sorted.
std::vector<double> values_inside(const std::vector<std::vector<double>>& x, const PrimBox& box, std::size_t d) {
  std::vector<double> v;
  for (const auto& point : x) {
    if (inside(point, box)) v.push_back(point[d]);
  }
  std::sort(v.begin(), v.end());
  return v;
}

// Whether candidate beats best: denser; at equal density, the one that keeps more points.
bool better(const PrimBox& candidate, const PrimBox& best) {
  if (candidate.density != best.density) return candidate.density > best.density;
  return candidate.points > best.points;
}

}  // namespace

PrimResult prim(const std::vector<std::vector<double>>& x, const std::vector<bool>& y, const PrimOptions& options) {
  if (x.size() != y.size() || x.empty()) throw std::invalid_argument("PRIM needs one outcome per point and at least one point");
  const std::size_t dims = x.front().size();
  for (const auto& point : x) {
    if (point.size() != dims) throw std::invalid_argument("PRIM points differ in dimension");
    for (double v : point) {
      if (!std::isfinite(v)) throw std::invalid_argument("PRIM needs numeric parameter values");
    }
  }
  PrimResult result;
  result.interesting = static_cast<std::size_t>(std::count(y.begin(), y.end(), true));
  if (result.interesting == 0) throw std::invalid_argument("no point meets the condition");
  const double inf = std::numeric_limits<double>::infinity();
  PrimBox box{std::vector<double>(dims, -inf), std::vector<double>(dims, inf)};
  measure(box, x, y, result.interesting);
  result.trajectory.push_back(box);
  const auto min_points = static_cast<std::size_t>(std::ceil(options.min_mass * static_cast<double>(x.size())));
  // Peeling.
  while (true) {
    std::optional<PrimBox> best;
    for (std::size_t d = 0; d < dims; ++d) {
      const auto v = values_inside(x, box, d);
      if (v.size() < 2 || v.front() == v.back()) continue;
      // Lower side: drop the points below the alpha quantile (at least the smallest values).
      const double lower_cut = percentile(v, options.alpha);
      const double upper_cut = percentile(v, 1.0 - options.alpha);
      PrimBox lower = box;
      // The new lower bound: the smallest value above the cut (removes every point at the cut's level or below it).
      auto above = std::upper_bound(v.begin(), v.end(), lower_cut);
      if (above == v.end() || *above == v.front()) above = std::upper_bound(v.begin(), v.end(), v.front());
      if (above != v.end()) {
        lower.low[d] = *above;
        measure(lower, x, y, result.interesting);
        if (lower.points >= min_points && lower.points < box.points && (!best || better(lower, *best))) best = lower;
      }
      PrimBox upper = box;
      auto below = std::lower_bound(v.begin(), v.end(), upper_cut);
      if (below == v.begin() || *(below - 1) == v.back()) below = std::lower_bound(v.begin(), v.end(), v.back());
      if (below != v.begin()) {
        upper.high[d] = *(below - 1);
        measure(upper, x, y, result.interesting);
        if (upper.points >= min_points && upper.points < box.points && (!best || better(upper, *best))) best = upper;
      }
    }
    if (!best) break;
    box = *best;
    result.trajectory.push_back(box);
  }
  // The chosen box: the densest with enough coverage (the first of equals: the largest).
  for (std::size_t i = 0; i < result.trajectory.size(); ++i) {
    const PrimBox& candidate = result.trajectory[i];
    if (candidate.coverage + 1e-12 < options.min_coverage) continue;
    if (candidate.density > result.trajectory[result.chosen].density) result.chosen = i;
  }
  // Pasting: widen one side of one dimension by about alpha of the box's points while that raises the density.
  PrimBox pasted = result.trajectory[result.chosen];
  while (true) {
    std::optional<PrimBox> best;
    const auto step = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(options.alpha * static_cast<double>(pasted.points))));
    for (std::size_t d = 0; d < dims; ++d) {
      // The points outside the box only in dimension d, below and above it.
      std::vector<double> below, above;
      for (const auto& point : x) {
        bool others = true;
        for (std::size_t e = 0; e < dims && others; ++e) {
          if (e != d && (point[e] < pasted.low[e] || point[e] > pasted.high[e])) others = false;
        }
        if (!others) continue;
        if (point[d] < pasted.low[d]) below.push_back(point[d]);
        if (point[d] > pasted.high[d]) above.push_back(point[d]);
      }
      std::sort(below.begin(), below.end(), std::greater<>());
      std::sort(above.begin(), above.end());
      if (!below.empty()) {
        PrimBox wider = pasted;
        wider.low[d] = below[std::min(step, below.size()) - 1];
        if (wider.low[d] == below.back()) wider.low[d] = -std::numeric_limits<double>::infinity();
        measure(wider, x, y, result.interesting);
        if (wider.density > pasted.density && (!best || better(wider, *best))) best = wider;
      }
      if (!above.empty()) {
        PrimBox wider = pasted;
        wider.high[d] = above[std::min(step, above.size()) - 1];
        if (wider.high[d] == above.back()) wider.high[d] = std::numeric_limits<double>::infinity();
        measure(wider, x, y, result.interesting);
        if (wider.density > pasted.density && (!best || better(wider, *best))) best = wider;
      }
    }
    if (!best) break;
    pasted = *best;
  }
  result.pasted = pasted;
  return result;
}

//---- outcomes of a merged sweep ----

std::vector<double> OutcomeSet::point_means() const {
  std::vector<double> out;
  for (const auto& point : points) {
    out.push_back(point.values.empty() ? kNaN
                                       : std::accumulate(point.values.begin(), point.values.end(), 0.0) /
                                             static_cast<double>(point.values.size()));
  }
  return out;
}

std::vector<DesignRole> OutcomeSet::roles() const {
  std::vector<DesignRole> out;
  for (const auto& point : points) out.push_back(point.role);
  return out;
}

NoiseShare noise_share(const OutcomeSet& set, const std::string& design) {
  // Replicates share their seeds across design points (common random numbers), so the spread of
  // single runs over points understates the seed's part: the seed's variance is estimated within
  // points (pooled over replicates), the parameters' as the variance of the point means.
  double within = 0;
  std::size_t pooled = 0;
  std::vector<double> means;
  for (const auto& point : set.points) {
    // Sobol: the rows of A and B only, the sample V is estimated from; else every point.
    if (design == "sobol" && point.role.factor >= 0) continue;
    if (point.values.empty()) continue;
    means.push_back(std::accumulate(point.values.begin(), point.values.end(), 0.0) / static_cast<double>(point.values.size()));
    if (point.values.size() < 2) continue;
    within += variance_of(point.values) * static_cast<double>(point.values.size() - 1);
    pooled += point.values.size() - 1;
  }
  NoiseShare out;
  out.within = pooled ? within / static_cast<double>(pooled) : kNaN;
  out.total = out.within + variance_of(means);
  out.share = out.within / out.total;
  return out;
}

namespace {

using convsim::detail::DatasetHandle;
using convsim::detail::GroupHandle;
using convsim::detail::h5_check;

bool exists(hid_t parent, const std::string& name) { return H5Lexists(parent, name.c_str(), H5P_DEFAULT) > 0; }

DatasetHandle open(hid_t parent, const std::string& name) {
  return DatasetHandle::checked(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), "H5Dopen2", name);
}

std::vector<double> numbers(hid_t parent, const std::string& name, std::vector<hsize_t>* dims = nullptr) {
  auto dataset = open(parent, name);
  return convsim::detail::read_number_dataset(dataset.get(), name, dims);
}

std::vector<std::string> strings(hid_t parent, const std::string& name) {
  auto dataset = open(parent, name);
  return convsim::detail::read_string_column(dataset.get(), name);
}

std::string attribute_text(hid_t object, const char* name) {
  return convsim::detail::read_string_attribute(object, name, convsim::detail::NotOneString::empty);
}

// The [run, time] variables of a merged file, as GROUP/NAME, for messages.
std::string variables_of(hid_t root) {
  std::string out;
  for (const char* group_name : {"aggregate", "convergence", "policy"}) {
    if (!exists(root, group_name)) continue;
    auto group = GroupHandle::checked(H5Gopen2(root, group_name, H5P_DEFAULT), "H5Gopen2", group_name);
    H5G_info_t info{};
    h5_check(H5Gget_info(group.get(), &info), "H5Gget_info");
    for (hsize_t i = 0; i < info.nlinks; ++i) {
      const ssize_t length = H5Lget_name_by_idx(group.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
      if (length <= 0) continue;
      std::string name(static_cast<std::size_t>(length) + 1, '\0');
      H5Lget_name_by_idx(group.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
      name.resize(static_cast<std::size_t>(length));
      if (name == "run" || name == "time" || name == "sector") continue;
      out += (out.empty() ? "" : ", ") + std::string(group_name) + "/" + name;
    }
  }
  return out;
}

}  // namespace

SweepOutcomes load_sweep_outcomes(const std::filesystem::path& merged, const OutcomeRequest& request) {
  SweepOutcomes out;
  out.file = merged.string();
  const std::string& file = out.file;
  convsim::detail::Hdf5Session session;
  try {
    auto handle = convsim::detail::open_for_reading(merged);
    const hid_t root = handle.get();
    if (attribute_text(root, "convsim_format") != kMergedSweepFormat) {
      throw InputError(file, 0, "convsim_format",
                       std::string("not a merged convsim sweep (") + kMergedSweepFormat + "); merge the sweep first: convsim merge DIR");
    }
    out.design = attribute_text(root, "design");
    std::stringstream keys(attribute_text(root, "parameters"));
    for (std::string key; std::getline(keys, key, ',');) {
      if (!key.empty()) out.parameters.push_back(key);
    }
    if (H5Aexists(root, "replicates") > 0) {
      out.replicates = convsim::detail::read_number_attribute<int>(root, "replicates", H5T_NATIVE_INT);
    }
    out.variable = request.variable;
    const auto slash = request.variable.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == request.variable.size() || !exists(root, request.variable.substr(0, slash)) ||
        !exists(root, request.variable)) {
      throw InputError(file, 0, "--var",
                       "no variable '" + request.variable + "' in the merged sweep; expected GROUP/NAME, one of " + variables_of(root));
    }
    const std::vector<double> time = numbers(root, "time");
    std::vector<hsize_t> dims;
    const std::vector<double> values = numbers(root, request.variable, &dims);
    if (dims.size() != 2 || dims[1] != time.size()) {
      throw InputError(file, 0, "--var", "'" + request.variable + "' is not a [run, time] variable (by-sector variables are not supported; use /convergence or /aggregate)");
    }
    {
      auto dataset = open(root, request.variable);
      out.units = attribute_text(dataset.get(), "units");
      out.long_name = attribute_text(dataset.get(), "long_name");
    }
    std::optional<std::size_t> step;
    for (std::size_t t = 0; t < time.size(); ++t) {
      if (time[t] >= request.year && time[t] < request.year + 1) step = t;
    }
    if (!step) {
      std::ostringstream axis;
      axis << time.front() << "-" << time.back();
      std::ostringstream year;
      year << request.year;
      throw InputError(file, 0, "--year", "year " + year.str() + " is outside the sweep's time axis " + axis.str());
    }
    out.year = time[*step];
    const std::size_t T = time.size();

    auto table = GroupHandle::checked(H5Gopen2(root, "runs", H5P_DEFAULT), "H5Gopen2", "/runs");
    const auto scenario = strings(table.get(), "scenario");
    const auto seed = numbers(table.get(), "seed");
    const std::size_t R = scenario.size();
    std::vector<double> replicate(R, 0.0);
    if (exists(table.get(), "replicate")) replicate = numbers(table.get(), "replicate");
    if (dims[0] != R || seed.size() != R || replicate.size() != R) {
      throw InputError(file, 0, "/runs", "the run table and " + request.variable + " differ in length");
    }
    const bool designed = out.design == "sobol" || out.design == "morris";
    std::vector<double> group(R, -1), block(R, -1), factor(R, -1), delta(R, 0);
    if (designed) {
      for (const char* column : {"design_group", "design_block", "design_factor", "design_delta"}) {
        if (!exists(table.get(), column)) {
          throw InputError(file, 0, std::string("/runs/") + column, "missing: a " + out.design + " sweep records each run's place in the design");
        }
      }
      group = numbers(table.get(), "design_group");
      block = numbers(table.get(), "design_block");
      factor = numbers(table.get(), "design_factor");
      delta = numbers(table.get(), "design_delta");
      if (group.size() != R || block.size() != R || factor.size() != R || delta.size() != R) {
        throw InputError(file, 0, "/runs", "the design columns differ in length from the run table");
      }
    }
    // Parameter values (numbers, or NaN) and their text (the design point's key).
    std::vector<std::vector<double>> x(R, std::vector<double>(out.parameters.size(), kNaN));
    std::vector<std::string> point_key(R);
    for (std::size_t p = 0; p < out.parameters.size(); ++p) {
      const std::string& key = out.parameters[p];
      if (!exists(table.get(), key)) throw InputError(file, 0, "/runs/" + key, "missing: the run table has no column for this design parameter");
      auto dataset = open(table.get(), key);
      const bool text = convsim::detail::dataset_class(dataset.get()) == H5T_STRING;
      dataset.reset();
      if (text) {
        const auto column = strings(table.get(), key);
        if (column.size() != R) throw InputError(file, 0, "/runs/" + key, "differs in length from the run table");
        for (std::size_t r = 0; r < R; ++r) point_key[r] += column[r] + "\x1f";
      } else {
        const auto column = numbers(table.get(), key);
        if (column.size() != R) throw InputError(file, 0, "/runs/" + key, "differs in length from the run table");
        for (std::size_t r = 0; r < R; ++r) {
          x[r][p] = column[r];
          std::ostringstream text_value;
          text_value.precision(17);
          text_value << column[r];
          point_key[r] += text_value.str() + "\x1f";
        }
      }
    }
    for (std::size_t r = 0; r < R; ++r) {
      if (designed) point_key[r] = std::to_string(static_cast<long long>(group[r])) + "/" + std::to_string(static_cast<long long>(block[r]));
    }
    auto value_at = [&](std::size_t r) { return values[r * T + *step]; };

    // Scenario names in order of appearance.
    std::vector<std::string> names;
    for (const auto& s : scenario) {
      if (std::find(names.begin(), names.end(), s) == names.end()) names.push_back(s);
    }
    auto require = [&](const std::string& name, const char* option) {
      if (std::find(names.begin(), names.end(), name) != names.end()) return;
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw InputError(file, 0, option, "no scenario '" + name + "' in the sweep; its scenarios are " + list);
    };
    if (request.effect_against) require(*request.effect_against, "--effect-against");
    if (request.scenario) require(*request.scenario, "--scenario");
    std::vector<std::string> chosen;
    for (const auto& name : names) {
      if (request.scenario && name != *request.scenario) continue;
      if (request.effect_against && name == *request.effect_against) continue;
      chosen.push_back(name);
    }
    if (chosen.empty()) {
      throw InputError(file, 0, "--effect-against", "no scenario left to compare against '" + *request.effect_against + "'");
    }
    // Baseline runs by (design point, seed).
    std::map<std::pair<std::string, std::uint64_t>, std::size_t> baseline;
    if (request.effect_against) {
      for (std::size_t r = 0; r < R; ++r) {
        if (scenario[r] == *request.effect_against) baseline.emplace(std::make_pair(point_key[r], static_cast<std::uint64_t>(seed[r])), r);
      }
    }
    for (const auto& name : chosen) {
      OutcomeSet set;
      set.scenario = name;
      set.baseline = request.effect_against.value_or("");
      std::map<std::string, std::size_t> point_of;
      for (std::size_t r = 0; r < R; ++r) {
        if (scenario[r] != name) continue;
        auto [found, added] = point_of.emplace(point_key[r], set.points.size());
        if (added) {
          OutcomeSet::Point point;
          point.x = x[r];
          point.role = {static_cast<long long>(group[r]), static_cast<int>(block[r]), static_cast<int>(factor[r]), delta[r]};
          set.points.push_back(std::move(point));
        }
        double v = value_at(r);
        if (request.effect_against) {
          const auto pair = baseline.find({point_key[r], static_cast<std::uint64_t>(seed[r])});
          if (pair == baseline.end()) continue;  // no paired baseline run (a merge with missing runs)
          v -= value_at(pair->second);
        }
        set.points[found->second].values.push_back(v);
        set.points[found->second].replicates.push_back(static_cast<int>(replicate[r]));
      }
      out.sets.push_back(std::move(set));
    }
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& error) {
    throw InputError(file, 0, "", std::string("cannot read the merged sweep: ") + error.what());
  }
  return out;
}

}  // namespace convsim::analysis
