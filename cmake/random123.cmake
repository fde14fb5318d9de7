# Random123: counter-based Philox generator, header-only (Debian librandom123-dev).
find_path(RANDOM123_INCLUDE_DIR Random123/philox.h REQUIRED)
add_library(convsim_random123 INTERFACE)
target_include_directories(convsim_random123 SYSTEM INTERFACE ${RANDOM123_INCLUDE_DIR})
