# oneTBB: parallel firm updates and deterministic reductions (Debian libtbb-dev).
find_package(TBB REQUIRED)
