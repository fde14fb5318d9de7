// libFuzzer harness: the scenario loader with `extends:` and `--set`, and the resolved-YAML round
// trip. Input: derived.yaml, then "%%" lines separating base.yaml and --set assignments.
// Properties: loading either succeeds or throws InputError (never another exception, a crash or a
// sanitizer report); a scenario that loads re-loads from its resolved YAML to the same YAML.
#include <cstdint>

#include "convsim/errors.hpp"
#include "convsim/scenario.hpp"
#include "convsim/scenario_document.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace convsim;
  const std::vector<std::string> parts = fuzz::split_parts(data, size);
  const auto derived = fuzz::scratch() / "derived.yaml";
  fuzz::write_file(derived, parts[0]);
  fuzz::write_file(fuzz::scratch() / "base.yaml", parts.size() > 1 ? parts[1] : std::string("name: base\n"));
  std::string resolved;
  try {
    ScenarioDocument doc = ScenarioDocument::load(derived);
    for (std::size_t i = 2; i < parts.size(); ++i) {
      std::string assignment = parts[i];
      if (!assignment.empty() && assignment.back() == '\n') assignment.pop_back();
      doc.apply_override(assignment);
    }
    resolved = build_scenario(doc).resolved_yaml;
  } catch (const InputError&) {
    return 0;
  }
  try {
    const Scenario again = build_scenario(ScenarioDocument::parse(resolved, "<resolved>"));
    if (again.resolved_yaml != resolved) {
      fuzz::property_failed("resolved YAML changes on re-loading:\n" + resolved + "\n--- became ---\n" + again.resolved_yaml);
    }
  } catch (const InputError& e) {
    fuzz::property_failed(std::string("resolved YAML does not re-load: ") + e.what() + "\n" + resolved);
  }
  return 0;
}
