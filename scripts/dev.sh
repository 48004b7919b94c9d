#!/usr/bin/env bash
# scripts/dev.sh — the one entry point for building eigenflow from a fresh clone.
#
#   scripts/dev.sh test [PRESET]       install missing packages, build, run every test
#                                      (PRESET: release (default), debug or sanitize)
#   scripts/dev.sh example [ARGS...]   install missing packages, build, run the main example
#   scripts/dev.sh bench [FILTER]      install missing packages, build, run the benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."

main_example=toy2d  # the README's main example

usage() { sed -n '3,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
(($# >= 1)) || usage
command=$1
shift

scripts/install-deps.sh

case "$command" in
  test)
    preset=${1:-release}
    cmake --preset "$preset"
    cmake --build --preset "$preset"
    ctest --preset "$preset"
    ;;
  example)
    cmake --preset release >/dev/null
    cmake --build --preset release --target "$main_example"
    "build/release/examples/$main_example" "$@"
    ;;
  bench)
    cmake --preset release >/dev/null
    cmake --build --preset release
    for b in build/release/benchmarks/*; do
      [[ -x "$b" && -f "$b" ]] || continue
      "$b" ${1:+--benchmark_filter="$1"}
    done
    ;;
  *) usage ;;
esac
