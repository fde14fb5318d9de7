# The git revision stored in every result file (or "unknown" outside a checkout).
execute_process(COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
  OUTPUT_VARIABLE CONVSIM_GIT_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT CONVSIM_GIT_REVISION)
  set(CONVSIM_GIT_REVISION "unknown")
endif()
