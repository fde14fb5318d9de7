# yaml-cpp: scenario and sweep files, with line numbers for error messages (Debian libyaml-cpp-dev).
find_package(yaml-cpp REQUIRED)
if(TARGET yaml-cpp::yaml-cpp)
  set(CONVSIM_YAML_TARGET yaml-cpp::yaml-cpp)
else()
  set(CONVSIM_YAML_TARGET yaml-cpp)
endif()
