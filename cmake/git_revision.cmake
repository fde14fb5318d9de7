# The git revision stored in every result file and calibration: a header regenerated at every
# build (cmake/write_git_revision.cmake), so that it names the commit that was built, with
# "-modified" for uncommitted changes ("unknown" outside a checkout).
set(CONVSIM_GENERATED_DIR ${CMAKE_BINARY_DIR}/generated)
file(MAKE_DIRECTORY ${CONVSIM_GENERATED_DIR})
add_custom_target(convsim_git_revision
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR} -DOUT=${CONVSIM_GENERATED_DIR}/convsim_git_revision.hpp
          -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/write_git_revision.cmake
  BYPRODUCTS ${CONVSIM_GENERATED_DIR}/convsim_git_revision.hpp
  COMMENT "git revision"
  VERBATIM)
