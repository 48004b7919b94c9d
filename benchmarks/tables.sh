#!/usr/bin/env bash
# benchmarks/tables.sh — `eigenflow train` with its defaults on real tables, every model kind:
# prints one line per table and kind with the held-out NLL, the NLL of the Gaussian the model
# started as, what the flow gained over it, and the training seconds (wall clock).
#
#   /usr/bin/python3 scripts/export-sklearn-tables.py build/tables    # once (python3-sklearn)
#   benchmarks/tables.sh [TABLE.csv ...]    # default: build/tables/*.csv; KINDS="coupling ffjord"
#
# KINDS defaults to every kind but cnf, whose exact trace costs a backward pass per column (digits
# has 64): pass KINDS=cnf for the small tables.
#
# A table whose last column is an integer class id (iris, wine) is trained as it is, without
# --label-col; pass LABEL_COL=-1 to train p(x | class) instead. Needs the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=build/release/tools/eigenflow
[[ -x "$cli" ]] || { echo "build the release preset first (scripts/dev.sh test)" >&2; exit 1; }
kinds=${KINDS:-"coupling spline maf nsf residual attention ffjord"}
tables=("$@")
((${#tables[@]})) || tables=(build/tables/*.csv)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-18s %-10s %12s %12s %9s %9s\n' table kind test_nll gaussian_nll gained seconds
for table in "${tables[@]}"; do
  for kind in $kinds; do
    start=$(date +%s.%N)
    log=$("$cli" train --data "$table" ${LABEL_COL:+--label-col "$LABEL_COL"} --model "$kind" --progress quiet \
      --restart --out "$out/$kind" 2>&1) || { echo "$table $kind: failed: ${log##*$'\n'}"; continue; }
    seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
    test_nll=$(sed -n 's/^test_nll: //p' <<<"$log")
    gaussian_nll=$(sed -n 's/^gaussian_nll: //p' <<<"$log")
    printf '%-18s %-10s %12s %12s %9.3f %9.1f\n' "$(basename "$table" .csv)" "$kind" "$test_nll" "$gaussian_nll" \
      "$(awk -v g="$gaussian_nll" -v t="$test_nll" 'BEGIN { print g - t }')" "$seconds"
  done
done
