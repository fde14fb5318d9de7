# Eigen3: least squares (QR) for the Solow estimator (Debian libeigen3-dev).
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
