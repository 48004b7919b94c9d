#!/usr/bin/env bash
# scripts/test-times.sh JUNIT_XML [N] — which tests took the time, from `ctest --output-junit FILE`.
#
# Prints the N (default 20) slowest tests, then the time summed per suite (the part of a test's name
# before its first '/' or ':'), longest first, then the total. Times are each test's own wall time;
# ctest runs two at once, so the run takes about half the total.
set -euo pipefail
xml=${1:?usage: scripts/test-times.sh JUNIT_XML [N]}
top=${2:-20}
[[ -f "$xml" ]] || { echo "test-times: no $xml" >&2; exit 1; }

# One line per test: seconds <tab> name (XML entities in names decoded).
tests=$(sed -n 's/.*<testcase name="\([^"]*\)".* time="\([0-9.e+-]*\)".*/\2\t\1/p' "$xml" |
        sed 's/&quot;/"/g; s/&apos;/'"'"'/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g')

if ((top > 0)); then
  echo "== the $top slowest tests (seconds)"
  sort -t$'\t' -k1,1 -g -r <<<"$tests" | awk -F'\t' -v top="$top" 'NR <= top { printf "%8.1f  %s\n", $1, $2 }'
  echo
fi
echo "== per suite (seconds)"
awk -F'\t' '{ suite = $2; sub(/[\/:].*/, "", suite); sum[suite] += $1; n[suite]++; total += $1 }
  END { for (s in sum) printf "%8.1f  %s (%d tests)\n", sum[s], s, n[s]; printf "%8.1f  (total, %d tests)\n", total, NR }' <<<"$tests" |
  sort -rn
