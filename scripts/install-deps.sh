#!/usr/bin/env bash
# scripts/install-deps.sh — install the Debian packages eigenflow builds with, and only the missing ones.
#
# Does nothing when everything is present; otherwise runs `apt-get update` once and installs what
# is missing (as root, or through sudo when it is available). Extra package names may be passed as
# arguments (optional components add theirs this way).
#
#   scripts/install-deps.sh [--images] [PACKAGE...]
#
# --images also installs the image data sets (Fashion-MNIST, about 30 MB, for
# data::load_fashion_mnist); neither the build, the tests nor CI need them.
set -euo pipefail

extra=()
for arg in "$@"; do
  case "$arg" in
    --images) extra+=(dataset-fashion-mnist) ;;  # gzipped IDX files in /usr/share/datasets/fashion-mnist
    -*) echo "install-deps: unknown option '$arg' (known: --images)" >&2; exit 2 ;;
    *) extra+=("$arg") ;;
  esac
done

packages=(
  g++              # C++20 compiler (GCC 12 on Debian 12)
  cmake            # build system, ctest and the package config
  ninja-build      # the generator the presets use
  libeigen3-dev    # Eigen 3.4: every matrix in the library
  libboost-dev     # Boost.Odeint (header-only): ODE solvers for continuous flows
  catch2           # Catch2 v2.13: the test framework
  libbenchmark-dev # Google Benchmark: benchmarks/
  libcli11-dev     # CLI11 (header-only): command lines of the examples and tools
  libstb-dev       # stb_image_write: PNG pictures (eigenflow/plot)
  zlib1g-dev       # zlib: gzipped IDX files (io/idx.hpp; Fashion-MNIST ships gzipped)
  doxygen          # the API reference (the `docs` target) and its no-warning test
  "${extra[@]}"
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "eigenflow: installing missing packages: ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "eigenflow: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
