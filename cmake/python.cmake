# The Python package (python/, docs/python.md): pybind11 against Debian's /usr/bin/python3, not
# whatever python3 comes first on the PATH. Sets CONVSIM_HAVE_PYTHON; when pybind11 or the
# interpreter is missing the package is left out and the rest of the build goes on.
set(CONVSIM_PYTHON_EXECUTABLE /usr/bin/python3 CACHE FILEPATH "The Python the convsim module is built for")
set(CONVSIM_HAVE_PYTHON OFF)
# Not under sanitizers: the module would need the sanitizer runtime preloaded into Python.
if(CONVSIM_WITH_PYTHON AND NOT CONVSIM_SANITIZE AND EXISTS ${CONVSIM_PYTHON_EXECUTABLE})
  set(Python_EXECUTABLE ${CONVSIM_PYTHON_EXECUTABLE})
  set(PYBIND11_FINDPYTHON ON)
  find_package(pybind11 2.6 CONFIG QUIET)
  if(pybind11_FOUND AND Python_FOUND)
    set(CONVSIM_HAVE_PYTHON ON)
  endif()
endif()
if(CONVSIM_WITH_PYTHON AND NOT CONVSIM_SANITIZE AND NOT CONVSIM_HAVE_PYTHON)
  message(STATUS "convsim: no pybind11 for ${CONVSIM_PYTHON_EXECUTABLE}; the Python module is not built "
                 "(apt-get install pybind11-dev python3-pybind11)")
endif()
