#include "convsim/models/checkpoint.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>
#include <stdexcept>

#include "convsim/errors.hpp"
#include "convsim/policy_schedule.hpp"
#include "convsim/scenario_document.hpp"

namespace convsim::models {
namespace {

// Scalars of the state, as attributes of /state, in this order.
struct MarketField {
  const char* name;
  double MarketState::*member;
};
constexpr MarketField kMarketFields[] = {
    {"market_wage", &MarketState::wage},
    {"market_reference_wage", &MarketState::reference_wage},
    {"market_reference_labour", &MarketState::reference_labour},
    {"market_employment", &MarketState::employment},
    {"market_aggregate_shock", &MarketState::aggregate_shock},
    {"market_prosumer_share", &MarketState::prosumer_share},
    {"market_previous_converged_output", &MarketState::previous_converged_output},
    {"market_converged_output_growth", &MarketState::converged_output_growth},
};

// Per-sector vectors of the economy, saved as sectors/<name> [S].
struct SectorField {
  const char* name;
  std::vector<double> Economy::*member;
  const char* long_name;
};
const SectorField kSectorFields[] = {
    {"mean_technology", &Economy::sector_mean_technology, "mean log technology of alive firms, log points"},
    {"shock", &Economy::sector_shock, "log sector productivity shock in force, log points"},
    {"margin", &Economy::sector_margin, "profit / revenue in the last step, 1"},
    {"demand_weight", &Economy::demand_weight, "households' CES weight, 1"},
    {"price", &Economy::sector_price, "price in the last step, 1"},
    {"expected_price", &Economy::expected_price, "price firms plan with, 1"},
};

template <typename T>
void put(CheckpointContents& c, std::string name, std::vector<T> values, std::string long_name = {}) {
  c.arrays.push_back({std::move(name), std::move(long_name), StateValues(std::move(values))});
}

void put_visible(CheckpointContents& c, const std::string& group, const SlotColumn<VisibleFirm>& visible) {
  std::vector<float> technology(visible.size());
  std::vector<std::uint8_t> level(visible.size()), alive(visible.size());
  std::vector<std::uint16_t> sector(visible.size());
  for (std::size_t i = 0; i < visible.size(); ++i) {
    technology[i] = visible[i].technology;
    level[i] = visible[i].level;
    alive[i] = visible[i].alive;
    sector[i] = visible[i].sector;
  }
  put(c, group + "/technology", std::move(technology));
  put(c, group + "/level", std::move(level));
  put(c, group + "/alive", std::move(alive));
  put(c, group + "/sector", std::move(sector));
}

template <typename Column>
std::vector<typename Column::value_type> plain(const Column& column) {
  return std::vector<typename Column::value_type>(column.begin(), column.end());
}

// A firm column holding these values.
template <typename T>
SlotColumn<T> column(const std::vector<T>& values) {
  return SlotColumn<T>(values.begin(), values.end());
}

// Reads a checkpoint's arrays, every failure an InputError naming the file and the array.
class StateReader {
 public:
  StateReader(CheckpointContents& contents, std::string file) : c_(contents), file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& name, const std::string& why) const {
    throw InputError(file_, 0, "/state/" + name, "not a checkpoint convsim can continue: /state/" + name + " " + why);
  }

  // The array `name` of type T, of `size` values unless size is npos.
  template <typename T>
  std::vector<T> take(const std::string& name, std::size_t size = npos) {
    for (StateArray& a : c_.arrays) {
      if (a.name != name) continue;
      auto* values = std::get_if<std::vector<T>>(&a.values);
      if (values == nullptr) fail(name, "has another number type than convsim writes");
      if (size != npos && values->size() != size) {
        fail(name, "has " + std::to_string(values->size()) + " values, not " + std::to_string(size));
      }
      return std::move(*values);
    }
    fail(name, "is missing");
  }

  double number(const std::string& name) const {
    const double* value = c_.find_number(name);
    if (value == nullptr) {
      throw InputError(file_, 0, "/state", "not a checkpoint convsim can continue: /state has no attribute '" + name + "'");
    }
    return *value;
  }

  // A count saved as a number: a whole number in [0, limit].
  std::uint64_t count(const std::string& name, double limit) const {
    const double value = number(name);
    if (!(value >= 0 && value <= limit && value == std::floor(value))) {
      throw InputError(file_, 0, "/state", "not a checkpoint convsim can continue: /state attribute '" + name +
                                               "' is not a count");
    }
    return static_cast<std::uint64_t>(value);
  }

  template <typename Values>
  void require_below(const std::string& name, const Values& values, std::uint64_t limit) const {
    for (auto v : values) {
      if (static_cast<std::uint64_t>(v) >= limit) fail(name, "holds " + std::to_string(v) + ", not below " + std::to_string(limit));
    }
  }

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

 private:
  CheckpointContents& c_;
  std::string file_;
};

SlotColumn<VisibleFirm> take_visible(StateReader& reader, const std::string& group, std::size_t n, std::size_t S) {
  const auto technology = reader.take<float>(group + "/technology", n);
  const auto level = reader.take<std::uint8_t>(group + "/level", n);
  const auto alive = reader.take<std::uint8_t>(group + "/alive", n);
  const auto sector = reader.take<std::uint16_t>(group + "/sector", n);
  reader.require_below(group + "/level", level, 4);
  reader.require_below(group + "/alive", alive, 2);
  reader.require_below(group + "/sector", sector, S);
  SlotColumn<VisibleFirm> visible(n);
  for (std::size_t i = 0; i < n; ++i) visible[i] = VisibleFirm{technology[i], level[i], alive[i], sector[i]};
  return visible;
}

// The step (0..steps()-1) at whose end a snapshot of `year` is taken, or -1 (as run_steps decides).
int snapshot_step(const Scenario& scenario, double year) {
  for (int t = 0; t < scenario.steps(); ++t) {
    const double start = scenario.year_of_step(t);
    if (start >= year - 1e-9 && start - year < scenario.dt() - 1e-9) return t;
  }
  return -1;
}

// Whether two leaves of a scenario document hold the same value: the same YAML, or numbers equal
// as numbers ("0.5" and "0.50").
bool same_value(const YAML::Node& a, const YAML::Node& b) {
  if (a.IsScalar() && b.IsScalar()) {
    if (a.Scalar() == b.Scalar()) return true;
    char* end_a = nullptr;
    char* end_b = nullptr;
    const double x = std::strtod(a.Scalar().c_str(), &end_a);
    const double y = std::strtod(b.Scalar().c_str(), &end_b);
    return !a.Scalar().empty() && !b.Scalar().empty() && *end_a == '\0' && *end_b == '\0' && x == y;
  }
  if (a.IsSequence() && b.IsSequence()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!same_value(a[i], b[i])) return false;
    }
    return true;
  }
  return YAML::Dump(a) == YAML::Dump(b);
}

std::string shown(const YAML::Node& value) {
  std::string text = YAML::Dump(value);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

// Keys a branch may change freely: its name and description, its events (checked by what they do
// before the checkpoint) and its firm snapshots (checked by the steps they are taken in).
bool free_in_branch(const std::string& key) {
  return key == "name" || key == "description" || key.rfind("policies.", 0) == 0 || key == "policies" ||
         key == "output.snapshot_years";
}

bool same_event(const PolicyEvent& a, const PolicyEvent& b) {
  auto same = [](double x, double y) { return x == y || (std::isinf(x) && std::isinf(y) && (x > 0) == (y > 0)); };
  return a.lever == b.lever && a.sectors == b.sectors && same(a.at, b.at) && same(a.until, b.until) &&
         same(a.ramp_years, b.ramp_years) && same(a.value, b.value) && a.additive == b.additive;
}

const PolicyEvent* event_named(const Scenario& scenario, const std::string& name) {
  for (const PolicyEvent& e : scenario.policies) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

bool same_levers(const PolicyState& a, const PolicyState& b) {
  return a.infrastructure == b.infrastructure && a.accessibility == b.accessibility && a.smart_work == b.smart_work &&
         a.barrier == b.barrier && a.selective_focus == b.selective_focus && a.rd_support == b.rd_support &&
         a.productivity_shock == b.productivity_shock;
}

}  // namespace

std::string year_text(double year) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", year);
  return text;
}

std::string step_start_problem(const Scenario& scenario, double year, const std::string& label) {
  if (step_starting_in(scenario, year) >= 0) return {};
  return year_text(year) + " is not the start of a step of " + label + " (" + std::to_string(scenario.time.start_year) +
         " to " + std::to_string(scenario.time.end_year) + ", steps_per_year " +
         std::to_string(scenario.time.steps_per_year) + ")";
}

int step_starting_in(const Scenario& scenario, double year) {
  const double steps = (year - scenario.time.start_year) * scenario.time.steps_per_year;
  const double nearest = std::round(steps);
  if (!(std::fabs(steps - nearest) <= 1e-9 * scenario.time.steps_per_year) || nearest < 0 || nearest >= scenario.steps()) {
    return -1;
  }
  return static_cast<int>(nearest);
}

void save_checkpoint(const Checkpoint& checkpoint, const std::filesystem::path& path) {
  const Economy& e = checkpoint.economy;
  const FirmState& f = e.firms;
  CheckpointContents c;
  c.partial = checkpoint.partial;
  c.year = checkpoint.year;
  c.steps_done = checkpoint.steps_done;
  c.model_revision = kModelRevision;

  c.numbers.emplace_back("step", static_cast<double>(e.step));
  c.numbers.emplace_back("firms_created", static_cast<double>(f.created));
  c.numbers.emplace_back("compact_slots", e.compact_slots ? 1.0 : 0.0);
  for (const MarketField& m : kMarketFields) c.numbers.emplace_back(m.name, e.market.*m.member);

  put(c, "firms/uid", plain(f.uid), "entry number of the firm in the slot");
  put(c, "firms/sector", plain(f.sector), "sector index into /sector");
  put(c, "firms/alive", plain(f.alive), "1 alive, 0 exited (slot not yet compacted)");
  put(c, "firms/level", plain(f.level), "convergence level: 0 none, 1 package, 2 hybrid, 3 fusion");
  put(c, "firms/technology", plain(f.technology), "log technology a, log points");
  put(c, "firms/productivity", plain(f.productivity), "log firm-specific efficiency, log points");
  put(c, "firms/wage_premium", plain(f.wage_premium), "log wage premium (the firm pays w exp(premium)), log points");
  put(c, "firms/capital", plain(f.capital), "capital stock, 1e8 KRW");
  put(c, "firms/employment", plain(f.employment), "employment, person");
  put(c, "firms/output", plain(f.output), "output in the last step, 1e8 KRW/year");
  put(c, "firms/age", plain(f.age), "steps since entry");
  put_visible(c, "visible", e.visible);
  put_visible(c, "visible_next", e.visible_next);

  const CsrLinks& base = e.network.base();
  put(c, "network/offsets", plain(base.offsets), "row c's links are [offsets[c], offsets[c+1]) (base CSR by customer)");
  put(c, "network/suppliers", plain(base.suppliers), "supplier slot of each base link");
  // Stored or implicit (the engine stores none: 1 a link, 0 a link to the firm itself), the file
  // holds every link's weight, as it always has.
  put(c, "network/weights", base.link_weights(), "trade intensity of each base link");
  {
    const auto& links = e.network.overlay_links();
    std::vector<FirmId> suppliers(links.size()), customers(links.size());
    std::vector<float> weights(links.size());
    for (std::size_t k = 0; k < links.size(); ++k) {
      suppliers[k] = links[k].supplier;
      customers[k] = links[k].customer;
      weights[k] = links[k].weight;
    }
    put(c, "network/overlay_suppliers", std::move(suppliers), "supplier slot of each link added since the last merge");
    put(c, "network/overlay_customers", std::move(customers), "customer slot of each link added since the last merge");
    put(c, "network/overlay_weights", std::move(weights), "trade intensity of each link added since the last merge");
  }
  {
    std::vector<std::uint64_t> offsets{0};
    std::vector<float> keep;
    std::vector<FirmId> firm, alias;
    for (const SectorSampler& sampler : e.samplers) {
      for (const SectorSampler::Column& column : sampler.columns) {
        keep.push_back(column.keep);
        firm.push_back(column.firm);
        alias.push_back(column.alias);
      }
      offsets.push_back(keep.size());
    }
    put(c, "samplers/offsets", std::move(offsets), "sector s's alias-table columns are [offsets[s], offsets[s+1])");
    put(c, "samplers/keep", std::move(keep), "probability of keeping the column's own firm");
    put(c, "samplers/firm", std::move(firm), "the column's firm slot");
    put(c, "samplers/alias", std::move(alias), "the firm slot of the column's alias");
  }
  {
    std::vector<double> intensity;
    for (const auto& row : e.supplier_sectors) intensity.insert(intensity.end(), row.begin(), row.end());
    put(c, "sectors/supplier_sectors", std::move(intensity), "[customer, supplier] cumulative link intensity, row-major");
  }
  for (const SectorField& field : kSectorFields) put(c, std::string("sectors/") + field.name, e.*field.member, field.long_name);
  write_checkpoint(c, path);
}

ScenarioDocument checkpoint_document(const Checkpoint& checkpoint, const std::string& file) {
  return ScenarioDocument::parse(checkpoint.partial.scenario_yaml, file);
}

Checkpoint load_checkpoint(const std::filesystem::path& path) {
  CheckpointContents c = read_checkpoint(path);
  const std::string file = path.string();
  if (c.model_revision != kModelRevision) {
    throw InputError(file, 0, "", "written by a convsim whose engine is at model revision " + std::to_string(c.model_revision) +
                                      ", this one is at " + std::to_string(kModelRevision) +
                                      ": its state cannot be continued (run the scenario again to make a checkpoint)");
  }
  Checkpoint checkpoint;
  const Scenario scenario = build_scenario(ScenarioDocument::parse(c.partial.scenario_yaml, file));
  const std::size_t S = scenario.sectors.size();
  const int T = scenario.steps();
  if (c.steps_done < 0 || c.steps_done >= T || scenario.year_of_step(static_cast<int>(c.steps_done)) != c.year) {
    throw InputError(file, 0, "checkpoint_steps_done",
                     "the checkpoint's step (" + std::to_string(c.steps_done) + ", year " + year_text(c.year) +
                         ") is not a step of " + scenario.name + " (" + std::to_string(T) + " steps from " +
                         std::to_string(scenario.time.start_year) + ")");
  }
  checkpoint.steps_done = static_cast<int>(c.steps_done);
  checkpoint.year = c.year;
  {
    const RunResult& p = c.partial;
    std::vector<std::string> names;
    for (const Sector& s : scenario.sectors) names.push_back(s.name);
    if (p.sectors != names || p.time.size() != static_cast<std::size_t>(c.steps_done)) {
      throw InputError(file, 0, "",
                       "not a checkpoint of this scenario's structure: its /sector or /time does not match " + scenario.name);
    }
  }
  StateReader reader(c, file);
  Economy& e = checkpoint.economy;
  const double max_slots = static_cast<double>(std::numeric_limits<std::uint32_t>::max());
  e.step = static_cast<int>(reader.count("step", std::numeric_limits<int>::max()));
  if (e.step != scenario.burn_in_steps() + checkpoint.steps_done) {
    throw InputError(file, 0, "/state", "not a checkpoint convsim can continue: /state attribute 'step' is " +
                                            std::to_string(e.step) + ", not the burn-in and steps done (" +
                                            std::to_string(scenario.burn_in_steps() + checkpoint.steps_done) + ")");
  }
  FirmState& f = e.firms;
  f.created = reader.count("firms_created", max_slots);
  e.compact_slots = reader.number("compact_slots") != 0;
  for (const MarketField& m : kMarketFields) e.market.*m.member = reader.number(m.name);

  f.uid = column(reader.take<std::uint32_t>("firms/uid"));
  const std::size_t n = f.uid.size();
  f.sector = column(reader.take<std::uint16_t>("firms/sector", n));
  f.alive = column(reader.take<std::uint8_t>("firms/alive", n));
  f.level = column(reader.take<std::uint8_t>("firms/level", n));
  f.technology = column(reader.take<double>("firms/technology", n));
  f.productivity = column(reader.take<float>("firms/productivity", n));
  f.wage_premium = column(reader.take<float>("firms/wage_premium", n));
  f.capital = column(reader.take<double>("firms/capital", n));
  f.employment = column(reader.take<double>("firms/employment", n));
  f.output = column(reader.take<double>("firms/output", n));
  f.age = column(reader.take<std::int32_t>("firms/age", n));
  for (std::size_t i = 0; i < n; ++i) {
    if (f.uid[i] >= f.created || (i > 0 && f.uid[i] <= f.uid[i - 1])) {
      reader.fail("firms/uid", "is not increasing and below firms_created");
    }
  }
  reader.require_below("firms/sector", f.sector, S);
  reader.require_below("firms/alive", f.alive, 2);
  reader.require_below("firms/level", f.level, 4);
  e.visible = take_visible(reader, "visible", n, S);
  e.visible_next = take_visible(reader, "visible_next", n, S);

  {
    CsrLinks base;
    const auto offsets = reader.take<std::uint64_t>("network/offsets", n + 1);
    const auto suppliers = reader.take<std::uint32_t>("network/suppliers");
    const auto weights = reader.take<float>("network/weights", suppliers.size());
    if (offsets.front() != 0 || offsets.back() != suppliers.size()) {
      reader.fail("network/offsets", "does not start at 0 and end at the number of links");
    }
    for (std::size_t k = 0; k < n; ++k) {
      if (offsets[k + 1] < offsets[k]) reader.fail("network/offsets", "decreases");
    }
    reader.require_below("network/suppliers", suppliers, n);
    base.offsets.assign(offsets.begin(), offsets.end());
    base.suppliers.assign(suppliers.begin(), suppliers.end());
    base.weights.assign(weights.begin(), weights.end());
    base.drop_implicit_weights();
    const auto overlay_suppliers = reader.take<std::uint32_t>("network/overlay_suppliers");
    const auto overlay_customers = reader.take<std::uint32_t>("network/overlay_customers", overlay_suppliers.size());
    const auto overlay_weights = reader.take<float>("network/overlay_weights", overlay_suppliers.size());
    reader.require_below("network/overlay_suppliers", overlay_suppliers, n);
    reader.require_below("network/overlay_customers", overlay_customers, n);
    std::vector<Link> links(overlay_suppliers.size());
    for (std::size_t k = 0; k < links.size(); ++k) links[k] = {overlay_suppliers[k], overlay_customers[k], overlay_weights[k]};
    e.network = FirmNetwork::restore(std::move(base), std::move(links));
  }
  {
    const auto offsets = reader.take<std::uint64_t>("samplers/offsets", S + 1);
    const auto keep = reader.take<float>("samplers/keep");
    const auto firm = reader.take<std::uint32_t>("samplers/firm", keep.size());
    const auto alias = reader.take<std::uint32_t>("samplers/alias", keep.size());
    if (offsets.front() != 0 || offsets.back() != keep.size()) {
      reader.fail("samplers/offsets", "does not start at 0 and end at the number of columns");
    }
    reader.require_below("samplers/firm", firm, n);
    reader.require_below("samplers/alias", alias, n);
    e.samplers.resize(S);
    for (std::size_t s = 0; s < S; ++s) {
      if (offsets[s + 1] < offsets[s]) reader.fail("samplers/offsets", "decreases");
      for (std::uint64_t k = offsets[s]; k < offsets[s + 1]; ++k) e.samplers[s].columns.push_back({keep[k], firm[k], alias[k]});
    }
  }
  {
    const auto intensity = reader.take<double>("sectors/supplier_sectors", S * S);
    e.supplier_sectors.assign(S, std::vector<double>(S));
    for (std::size_t a = 0; a < S; ++a) {
      for (std::size_t b = 0; b < S; ++b) e.supplier_sectors[a][b] = intensity[a * S + b];
    }
  }
  for (const SectorField& field : kSectorFields) e.*field.member = reader.take<double>(std::string("sectors/") + field.name, S);
  checkpoint.partial = std::move(c.partial);
  return checkpoint;
}

std::optional<BranchMismatch> branch_mismatch(const Scenario& trunk, const Scenario& branch, int steps_done) {
  const double year = branch.year_of_step(steps_done);
  const std::string at = " the checkpoint's scenario (" + trunk.name + ")";
  const ScenarioDocument a = ScenarioDocument::parse(trunk.resolved_yaml, "<checkpoint>");
  const ScenarioDocument b = ScenarioDocument::parse(branch.resolved_yaml, "<branch>");
  for (const std::string& key : b.keys()) {
    if (free_in_branch(key)) continue;
    const DocumentEntry* mine = b.find(key);
    const DocumentEntry* theirs = a.find(key);
    if (theirs == nullptr) {
      return BranchMismatch{key, key + " is set here but not in" + at + ": a branch may differ in events only"};
    }
    if (!same_value(mine->value, theirs->value)) {
      return BranchMismatch{key, key + " is " + shown(mine->value) + " here and " + shown(theirs->value) + " in" + at +
                                     ": a branch may differ in events from " + year_text(year) + " on only"};
    }
  }
  for (const std::string& key : a.keys()) {
    if (!free_in_branch(key) && b.find(key) == nullptr) {
      return BranchMismatch{key, key + " is set in" + at + " but not here: a branch may differ in events only"};
    }
  }
  // Snapshots taken before the checkpoint are the checkpoint's.
  auto before = [&](const Scenario& s) {
    std::multiset<int> steps;
    for (double y : s.output.snapshot_years) {
      const int t = snapshot_step(s, y);
      if (t >= 0 && t < steps_done) steps.insert(t);
    }
    return steps;
  };
  if (before(trunk) != before(branch)) {
    return BranchMismatch{"output.snapshot_years", "output.snapshot_years differs from" + at + " before " + year_text(year) +
                                                       ": the snapshots taken before a checkpoint are the checkpoint's"};
  }
  // The levers in force at every step before the checkpoint, and during the burn-in (those of the
  // first step), must be the trunk's.
  const int last = std::max(steps_done, trunk.burn_in_steps() > 0 ? 1 : 0);
  for (int t = 0; t < last; ++t) {
    const double y = branch.year_of_step(t);
    if (same_levers(policy_at(trunk, y), policy_at(branch, y))) continue;
    // Name the first event that differs from the trunk's and acts in that year.
    std::string key = "policies";
    auto acts_differently = [&](const Scenario& mine, const Scenario& other) {
      for (const PolicyEvent& e : mine.policies) {
        const PolicyEvent* counterpart = event_named(other, e.name);
        if ((counterpart == nullptr || !same_event(e, *counterpart)) &&
            (event_strength(e, y) != 0 || (counterpart != nullptr && event_strength(*counterpart, y) != 0))) {
          return "policies." + e.name;
        }
      }
      return std::string();
    };
    if (std::string found = acts_differently(branch, trunk); !found.empty()) {
      key = found;
    } else if (std::string found_trunk = acts_differently(trunk, branch); !found_trunk.empty()) {
      key = found_trunk;
    }
    return BranchMismatch{key, key + " changes the levers in force in " + year_text(y) + ", before the checkpoint (" +
                                   year_text(year) + "), from those of" + at +
                                   ": a branch may change events from the checkpoint on only"};
  }
  return std::nullopt;
}

Scenario continuation_scenario(const Checkpoint& checkpoint, const std::string& file, const Scenario* branch,
                               const ScenarioDocument* document) {
  Scenario trunk = build_scenario(checkpoint_document(checkpoint, file));
  trunk.resolved_yaml = checkpoint.partial.scenario_yaml;  // its identity is the checkpointed run's
  if (branch == nullptr) return trunk;
  if (auto mismatch = branch_mismatch(trunk, *branch, checkpoint.steps_done)) {
    SourceLocation where{branch->source_file, 0};
    if (document != nullptr) {
      const DocumentEntry* entry = document->find(mismatch->key);
      where = entry ? entry->where : document->location_of(mismatch->key);
      if (where.file.empty()) where.file = document->file();
    }
    throw InputError(where.file, where.line, mismatch->key, mismatch->message + " (checkpoint " + file + ")");
  }
  return *branch;
}

std::string trunk_key(const Scenario& scenario, int steps_done) {
  const ScenarioDocument document = ScenarioDocument::parse(scenario.resolved_yaml, "<run>");
  std::vector<std::string> keys = document.keys();
  std::sort(keys.begin(), keys.end());
  std::string text = "steps_done=" + std::to_string(steps_done) + "\n";
  for (const std::string& key : keys) {
    if (free_in_branch(key)) continue;
    const YAML::Node& value = document.find(key)->value;
    text += key + "=" + (value.IsScalar() ? value.Scalar() : YAML::Dump(value)) + "\n";
  }
  for (double y : scenario.output.snapshot_years) {
    const int t = snapshot_step(scenario, y);
    if (t >= 0 && t < steps_done) text += "snapshot=" + std::to_string(t) + "\n";
  }
  auto hex = [&](double v) {
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%a,", v);
    text += buffer;
  };
  const int last = std::max(steps_done, scenario.burn_in_steps() > 0 ? 1 : 0);
  for (int t = 0; t < last; ++t) {
    const PolicyState levers = policy_at(scenario, scenario.year_of_step(t));
    text += "levers=";
    for (double v : {levers.infrastructure, levers.accessibility, levers.smart_work}) hex(v);
    for (const auto* lever : {&levers.barrier, &levers.selective_focus, &levers.rd_support, &levers.productivity_shock}) {
      for (double v : *lever) hex(v);
    }
    text += "\n";
  }
  return content_digest(text);
}

}  // namespace convsim::models
