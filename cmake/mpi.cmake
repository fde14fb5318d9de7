# OpenMPI for the MPI sweep executor; optional: convsim builds without it.
set(CONVSIM_HAVE_MPI OFF)
if(CONVSIM_WITH_MPI)
  find_package(MPI COMPONENTS C QUIET)
  if(MPI_C_FOUND)
    set(CONVSIM_HAVE_MPI ON)
  endif()
endif()
message(STATUS "convsim: MPI sweep executor ${CONVSIM_HAVE_MPI}")
