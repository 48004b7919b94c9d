#!/usr/bin/env bash
# scripts/dev.sh — the one entry point for building eigenflow from a fresh clone.
#
#   scripts/dev.sh test [PRESET]       install missing packages, build, run every test
#                                      (PRESET: release (default), debug, sanitize, or tsan:
#                                      the threaded suites under ThreadSanitizer)
#   scripts/dev.sh example [ARGS...]   install missing packages, build, run the main example
#   scripts/dev.sh bench [FILTER]      install missing packages, build, run the benchmarks
#   scripts/dev.sh bench-build         install missing packages, build the benchmarks only
#   scripts/dev.sh bench-check         install missing packages, check that the benchmarks compile
#                                      and link (unoptimized, in build/bench-check: CI's stage)
#   scripts/dev.sh fuzz [SECONDS_EACH] install missing packages and clang, run the libFuzzer
#                                      harnesses of tests/fuzz/ (scripts/fuzz.sh; default 60 s in all)
#
# `test` leaves each test's time in build/PRESET/ctest-junit.xml (scripts/test-times.sh reads it;
# scripts/build-times.sh shows the build's).
# EIGENFLOW_WITH_MPI=OFF in the environment leaves out the MPI component (and Open MPI).
set -euo pipefail
cd "$(dirname "$0")/.."

main_example=toy2d  # the README's main example

usage() { sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
(($# >= 1)) || usage
command=$1
shift

# The MPI component (multi-process training, its tests, `mpirun eigenflow train`) needs Open MPI.
with_mpi=${EIGENFLOW_WITH_MPI:-ON}
mpi_packages=()
[[ "$with_mpi" == ON ]] && mpi_packages=(libopenmpi-dev openmpi-bin)
fuzz_packages=()
[[ "$command" == fuzz ]] && fuzz_packages=(clang)  # libFuzzer comes with Debian's clang
scripts/install-deps.sh "${mpi_packages[@]}" "${fuzz_packages[@]}"
configure() { cmake --preset "$1" -DEIGENFLOW_WITH_MPI="$with_mpi"; }

case "$command" in
  test)
    preset=${1:-release}
    configure "$preset"
    cmake --build --preset "$preset"
    ctest --preset "$preset" --output-junit ctest-junit.xml
    ;;
  example)
    configure release >/dev/null
    cmake --build --preset release --target "$main_example"
    "build/release/examples/$main_example" "$@"
    ;;
  bench-build)
    configure release >/dev/null
    cmake --build --preset release --target benchmarks
    ;;
  bench-check)
    configure bench-check >/dev/null
    cmake --build --preset bench-check
    ;;
  bench)
    configure release >/dev/null
    cmake --build --preset release --target benchmarks
    for b in build/release/benchmarks/*; do
      [[ -x "$b" && -f "$b" ]] || continue
      if [[ "$(basename "$b")" == mpi_* ]]; then  # MPI benchmarks: 2 ranks, whatever the filter
        mpirun -np 2 --oversubscribe --allow-run-as-root "$b"
        continue
      fi
      "$b" ${1:+--benchmark_filter="$1"}
    done
    ;;
  fuzz)
    scripts/fuzz.sh "$@"
    ;;
  *) usage ;;
esac
