// libFuzzer harness: the sweep loader and the plan round trip. Input: sweep.yaml, then optionally
// "%%" and a scenario file s.yaml (default: a tiny valid scenario). Properties: loading succeeds or
// throws InputError; a plan that loads is written as plan.json and read back with the same runs,
// values, seeds and identities.
#include <cmath>
#include <cstdint>

#include <yaml-cpp/yaml.h>

#include "convsim/errors.hpp"
#include "convsim/sweep.hpp"
#include "fuzz_support.hpp"

namespace {

constexpr const char* kScenario = R"(name: s
time: {start_year: 2000, end_year: 2002, steps_per_year: 1}
economy: {firms: 200}
sectors:
  network: {role: network, firm_share: 0.5}
  health_care: {role: converging, firm_share: 0.5, barrier: 0.4}
)";

// An upper bound on the plan's runs read from the YAML (numbers it cannot read count as 1: the
// loader refuses them quickly). Plans of millions of runs are legal but too slow for fuzzing.
double planned_runs(const YAML::Node& root) {
  auto number = [](const YAML::Node& n, double fallback) {
    if (!n || !n.IsScalar()) return fallback;
    try {
      const double v = std::stod(n.Scalar());
      return std::isfinite(v) ? std::fabs(v) : fallback;
    } catch (...) {
      return fallback;
    }
  };
  double runs = number(root["replicates"], 1) * std::max<double>(1, root["scenarios"].size());
  const YAML::Node design = root["design"];
  if (!design.IsMap()) return runs;
  if (design["n"]) return runs * number(design["n"], 1);
  const YAML::Node parameters = design["parameters"];
  if (!parameters.IsMap()) return runs;
  for (const auto& item : parameters) {
    const YAML::Node& spec = item.second;
    if (spec.IsSequence()) {
      runs *= std::max<double>(1, spec.size());
    } else if (spec.IsMap()) {
      if (spec["count"]) {
        runs *= number(spec["count"], 1);
      } else {
        const double step = number(spec["step"], 1);
        runs *= step > 0 ? (number(spec["to"], 0) + number(spec["from"], 0)) / step + 2 : 1;
      }
    }
  }
  return runs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace convsim;
  const std::vector<std::string> parts = fuzz::split_parts(data, size);
  try {
    if (planned_runs(YAML::Load(parts[0])) > 200) return 0;
  } catch (const YAML::Exception&) {
    // The loader reports it.
  }
  const auto sweep = fuzz::scratch() / "sweep.yaml";
  fuzz::write_file(sweep, parts[0]);
  fuzz::write_file(fuzz::scratch() / "s.yaml", parts.size() > 1 ? parts[1] : std::string(kScenario));
  SweepPlan plan;
  try {
    plan = load_sweep(sweep);
  } catch (const InputError&) {
    return 0;
  }
  const auto plan_json = fuzz::scratch() / "plan.json";
  fuzz::write_file(plan_json, plan_to_json(plan));
  (void)plan_to_csv(plan);
  (void)plan_to_table(plan);
  PlanSummary summary;
  try {
    summary = read_plan_json(plan_json);
  } catch (const InputError& e) {
    fuzz::property_failed(std::string("plan.json does not read back: ") + e.what());
  }
  if (summary.runs.size() != plan.runs.size() || summary.parameters != plan.parameters ||
      summary.replicates != plan.replicates || summary.base_seed != plan.base_seed || summary.name != plan.name) {
    fuzz::property_failed("plan.json reads back as another plan");
  }
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const SweepRun& run = plan.runs[i];
    const PlannedRun& back = summary.runs[i];
    bool same = back.index == run.index && back.seed == run.seed && back.identity == run.identity &&
                back.replicate == run.replicate && back.scenario == plan.scenarios[run.scenario].name &&
                back.result == run_result_name(run).generic_string();
    for (std::size_t p = 0; same && p < plan.parameters.size(); ++p) same = back.values[p] == plan.value(run, p);
    if (!same) fuzz::property_failed("run " + std::to_string(i) + " reads back differently from plan.json");
  }
  return 0;
}
