#!/usr/bin/env bash
# scripts/build-times.sh [BUILD_DIR] [N] — where a build's time went, from Ninja's own log.
#
# Prints the N (default 20) slowest build steps (compiles and links), then the time summed per
# target (its compiles plus its link), longest first, then the total. Reads BUILD_DIR/.ninja_log
# (default build/release); when a step ran more than once, its last run counts. The sums are the
# steps' own durations, not wall time: with two cores busy the wall time is about half.
set -euo pipefail
build=${1:-build/release}
top=${2:-20}
log="$build/.ninja_log"
[[ -f "$log" ]] || { echo "build-times: no $log (build with Ninja first)" >&2; exit 1; }

# One line per step: seconds, target, output. .ninja_log v5 columns: start_ms end_ms mtime output hash.
steps=$(awk -F'\t' '
  /^#/ { next }
  { seconds[$4] = ($2 - $1) / 1000 }   # a later line for the same output replaces the earlier one
  END {
    for (out in seconds) {
      target = out
      if (match(out, /CMakeFiles\/[^\/]+\.dir\//)) {   # an object file: the target it belongs to
        target = substr(out, RSTART + 11, RLENGTH - 16)
      } else {                                          # a linked program or library
        sub(/.*\//, "", target); sub(/^lib/, "", target); sub(/\.(a|so)$/, "", target)
      }
      printf "%.1f\t%s\t%s\n", seconds[out], target, out
    }
  }' "$log")

if ((top > 0)); then
  echo "== the $top slowest steps (seconds)"
  sort -t$'\t' -k1,1 -rn <<<"$steps" | awk -F'\t' -v top="$top" 'NR <= top { printf "%8.1f  %s\n", $1, $3 }'
  echo
fi
echo "== per target: compiles + link (seconds)"
awk -F'\t' '{ sum[$2] += $1; total += $1 }
  END { for (t in sum) printf "%8.1f  %s\n", sum[t], t; printf "%8.1f  (total)\n", total }' <<<"$steps" |
  sort -rn
