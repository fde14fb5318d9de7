#!/usr/bin/env bash
# Installs every Debian package convsim needs to build, test and plot. Idempotent: when all
# packages are present it only checks and returns within a second or two.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-graph-dev libboost-math-dev libtbb-dev libeigen3-dev
  libhdf5-dev hdf5-tools zlib1g-dev libdeflate-dev libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libspdlog-dev libfmt-dev librandom123-dev libnlopt-cxx-dev
  libopenmpi-dev openmpi-bin valgrind
  clang libclang-rt-14-dev
  python3 python3-h5py python3-netcdf4 python3-xarray python3-numpy python3-matplotlib
  # The Python package (python/, docs/python.md), its tests and the example notebook.
  python3-dev pybind11-dev python3-pybind11 python3-pandas python3-pytest jupyter-nbconvert python3-ipykernel
)
# Extra packages for the cluster and report tests (labelled `slurm`, `browser`).
if [[ "${CONVSIM_WITH_CLUSTER:-1}" == "1" ]]; then
  packages+=(slurm-wlm munge chromium)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
