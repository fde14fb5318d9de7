# Boost.Graph (CSR graph construction) and Boost.Math (Student t, F distributions); header-only.
find_package(Boost 1.74 REQUIRED)
