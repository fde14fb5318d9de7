# HDF5 C API and its high-level library (dimension scales), Debian libhdf5-dev (serial flavour),
# and zlib (zlib1g-dev, HDF5's own compression library) for the CRC-32 of result files.
find_package(HDF5 REQUIRED COMPONENTS C HL)
find_package(ZLIB REQUIRED)
add_library(convsim_hdf5 INTERFACE)
target_include_directories(convsim_hdf5 SYSTEM INTERFACE ${HDF5_INCLUDE_DIRS})
target_link_libraries(convsim_hdf5 INTERFACE ${HDF5_HL_LIBRARIES} ${HDF5_C_LIBRARIES} ZLIB::ZLIB)
target_compile_definitions(convsim_hdf5 INTERFACE ${HDF5_DEFINITIONS})
