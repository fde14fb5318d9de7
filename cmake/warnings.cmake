# Warning and sanitizer flags for convsim's own targets (never for dependencies).
add_library(convsim_warnings INTERFACE)
target_compile_options(convsim_warnings INTERFACE -Wall -Wextra -Wpedantic
  $<$<BOOL:${CONVSIM_WERROR}>:-Werror>)
if(CONVSIM_SANITIZE)
  string(REPLACE ";" "," _san "${CONVSIM_SANITIZE}")
  target_compile_options(convsim_warnings INTERFACE -fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(convsim_warnings INTERFACE -fsanitize=${_san})
endif()
