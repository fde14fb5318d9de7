# NLopt: derivative-free optimisers for calibration (Debian libnlopt-cxx-dev).
find_package(NLopt REQUIRED)
