// The YAML tree of a scenario-like file's text, parsed once for the readers that come back to
// the same file (sweep planning reads a calibration file as part of the scenario's extends chain,
// for its calibrated leaves and for its draw rows' lines). Defined in sim/src/scenario_document.cpp.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

namespace convsim::detail {

// YAML::Load(text), or the tree this thread last parsed from the same text (texts up to
// kParsedYamlKeptBytes are kept, one at a time: the tree stays in memory until the thread parses
// another, so large inputs are not kept). Callers only read the tree (it is shared): what they
// keep of it they clone. Throws YAML::Exception as YAML::Load does.
YAML::Node parsed_yaml(const std::string& text);
inline constexpr std::size_t kParsedYamlKeptBytes = 256 << 10;

}  // namespace convsim::detail
