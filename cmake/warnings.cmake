# Warning and sanitizer flags for convsim's own targets (never for dependencies).
add_library(convsim_warnings INTERFACE)
target_compile_options(convsim_warnings INTERFACE -Wall -Wextra -Wpedantic
  $<$<BOOL:${CONVSIM_WERROR}>:-Werror>)
# GCC 12 reports false -Wrestrict/-Wstringop-overflow positives inside libstdc++'s std::string at
# -O3 (GCC bug 105329, 105651); they are not in convsim's code.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(convsim_warnings INTERFACE -Wno-restrict -Wno-stringop-overflow)
endif()
if(CONVSIM_SANITIZE)
  string(REPLACE ";" "," _san "${CONVSIM_SANITIZE}")
  target_compile_options(convsim_warnings INTERFACE -fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(convsim_warnings INTERFACE -fsanitize=${_san})
endif()
