# libdeflate (Debian libdeflate-dev): the deflate encoder for compressed result datasets. It writes
# the zlib format HDF5's deflate filter reads, 2-3x faster than zlib at the same level, and one
# compressor per chunk lets the chunks of a firm snapshot compress on several threads
# (sim/src/chunk_filters.cpp). Debian's 1.14 ships a pkg-config file, not a CMake package.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBDEFLATE REQUIRED IMPORTED_TARGET libdeflate)
