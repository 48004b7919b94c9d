#!/usr/bin/env bash
# scripts/fuzz.sh — build and run eigenflow's libFuzzer harnesses (tests/fuzz/, see tests/fuzz/README.md).
#
#   scripts/fuzz.sh [SECONDS_PER_HARNESS] [HARNESS...]
#
# HARNESS: csv_reader, npy_reader, idx_reader, checkpoint_reader, cli_options (default: all five).
# Without SECONDS_PER_HARNESS the run takes about 60 seconds in all, split evenly. Builds with clang++
# (CLANGXX overrides it) into build/fuzz/, grows a working corpus in build/fuzz/corpus/HARNESS
# (seeded from tests/fuzz/corpus/HARNESS, which is never written), keeps crashing inputs and logs in
# build/fuzz/artifacts/ and build/fuzz/logs/. Exits non-zero if any harness had a finding or did
# not build. FUZZ_CXXFLAGS (space-separated) go first on every compile line, e.g. an -I overlay;
# FUZZ_JOBS compiles run at once (default: the number of cores).
set -euo pipefail
cd "$(dirname "$0")/.."

all_harnesses=(csv_reader npy_reader idx_reader checkpoint_reader cli_options)
usage() { sed -n '3,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

seconds=""
if (($# >= 1)) && [[ "$1" =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
harnesses=("$@")
((${#harnesses[@]} > 0)) || harnesses=("${all_harnesses[@]}")
for h in "${harnesses[@]}"; do
  [[ " ${all_harnesses[*]} " == *" $h "* ]] || { echo "fuzz: unknown harness '$h'" >&2; usage; }
done
[[ -n "$seconds" ]] || seconds=$(( (60 + ${#harnesses[@]} - 1) / ${#harnesses[@]} ))
((seconds > 0)) || { echo "fuzz: SECONDS_PER_HARNESS must be positive" >&2; exit 2; }

cxx=${CLANGXX:-clang++}
if ! command -v "$cxx" > /dev/null; then
  echo "fuzz: $cxx not found; libFuzzer needs clang (Debian: sudo apt-get install clang)" >&2
  exit 1
fi

out=build/fuzz
mkdir -p "$out/obj" "$out/tmp" "$out/logs"
# The command line's unity source (see objects_of), rewritten only when its list changes so that
# an up-to-date object is not rebuilt.
cli_unity=$(for source in tools/eigenflow/{train,train_images,sample,logprob,info}.cpp tests/fuzz/cli_options.cpp; do
  echo "#include \"$PWD/$source\""
done)
[[ -f "$out/cli_options_unity.cpp" && "$(cat "$out/cli_options_unity.cpp")" == "$cli_unity" ]] ||
  printf '%s\n' "$cli_unity" > "$out/cli_options_unity.cpp"

# -fno-sanitize-recover: UBSan's first report aborts, so libFuzzer keeps the input. No NDEBUG:
# Eigen's own assertions are findings too. Eigen as a system header: its warnings are not ours.
read -r -a extra_flags <<< "${FUZZ_CXXFLAGS:-}"
sanitizers=address,undefined
flags=("${extra_flags[@]}" -std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize="$sanitizers" -fno-sanitize-recover=undefined
       -Wall -Wextra -Wpedantic -Iinclude -isystem /usr/include/eigen3 -pthread)

# Rebuilds `target` from `source` unless the dependency file clang wrote says it is up to date;
# returns non-zero if the compiler fails.
compile() {
  local target=$1 source=$2 dep="$1.d"
  shift 2
  if [[ -f "$target" && -f "$dep" ]]; then
    local stale=0 f
    # shellcheck disable=SC2013  # a dependency file lists paths as words
    for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep"); do
      [[ "$f" -nt "$target" ]] && { stale=1; break; }
    done
    ((stale)) || return 0
  fi
  echo "fuzz: compiling $source"
  "$cxx" "${flags[@]}" "$@" -MMD -MF "$dep" -c "$source" -o "$target" || {
    rm -f "$target"
    echo "fuzz: compiling $source failed" >&2
    return 1
  }
}

# The objects of harness h, one "target source [flags...]" line each.
objects_of() {
  local h=$1
  if [[ "$h" == cli_options ]]; then
    # The harness and the command line's verbs in one translation unit, as tools/CMakeLists.txt
    # builds them (a unity build: each would otherwise compile the whole library again; not
    # main.cpp, which the harness stands in for). Instrumented for coverage, linked into the fuzzer.
    echo "$out/obj/$h.o $out/cli_options_unity.cpp -fsanitize=fuzzer -Itools/eigenflow"
  else
    echo "$out/obj/$h.o tests/fuzz/$h.cpp -fsanitize=fuzzer"
  fi
}

# Compiles every object of every harness, FUZZ_JOBS (default: the cores) at a time, each job's
# messages printed whole when it ends; then links each harness whose objects all compiled.
# Sets built_ok[h] to 1 or 0.
declare -A built_ok
build_all() {
  local jobs=${FUZZ_JOBS:-$(nproc)} h line pid
  local -A harness_of_job=() log_of_job=()
  for h in "${harnesses[@]}"; do built_ok[$h]=1; done
  finish_one() {
    local done_pid status=0
    wait -n -p done_pid || status=$?
    cat "${log_of_job[$done_pid]}"
    ((status == 0)) || built_ok[${harness_of_job[$done_pid]}]=0
    unset "harness_of_job[$done_pid]" "log_of_job[$done_pid]"
  }
  for h in "${harnesses[@]}"; do
    while read -r -a line; do
      while ((${#harness_of_job[@]} >= jobs)); do finish_one; done
      local log="$out/logs/compile-$(basename "${line[0]}").log"
      compile "${line[@]}" > "$log" 2>&1 &
      pid=$!
      harness_of_job[$pid]=$h
      log_of_job[$pid]=$log
    done < <(objects_of "$h")
  done
  while ((${#harness_of_job[@]} > 0)); do finish_one; done
  for h in "${harnesses[@]}"; do
    ((built_ok[$h])) || continue
    local objects=()
    while read -r -a line; do objects+=("${line[0]}"); done < <(objects_of "$h")
    # -lz: io/idx.hpp (gzipped IDX files), which every harness reaches through eigenflow.hpp or directly.
    "$cxx" "${flags[@]}" -fsanitize=fuzzer "${objects[@]}" -o "$out/$h" -lz || built_ok[$h]=0
  done
}

# Longest input per harness: enough for every seed and for nested or repeated structure.
max_len() {
  case $1 in
    csv_reader) echo 4096 ;;
    npy_reader) echo 8192 ;;
    idx_reader) echo 4096 ;;
    checkpoint_reader) echo 4096 ;;
    cli_options) echo 1024 ;;
  esac
}

# Every harness that builds runs; one that does not is reported (and fails the script) at the end.
failed=()
summary=()
runnable=()
build_all
for h in "${harnesses[@]}"; do
  if ((built_ok[$h])); then
    runnable+=("$h")
  else
    failed+=("$h")
    summary+=("$h: BUILD FAILED (the compiler's messages are above)")
  fi
done
if ((${#runnable[@]} == 0)); then
  echo "fuzz: nothing built (libFuzzer ships with Debian's clang: sudo apt-get install clang)" >&2
  exit 1
fi

export EIGENFLOW_FUZZ_TMPDIR="$PWD/$out/tmp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for h in "${runnable[@]}"; do
  corpus="$out/corpus/$h"
  artifacts="$out/artifacts/$h/"
  log="$out/logs/$h.log"
  mkdir -p "$corpus" "$artifacts"
  cp -n tests/fuzz/corpus/"$h"/* "$corpus"/ 2> /dev/null || true  # grows across runs; the seeds stay as they are
  dict=()
  [[ -f "tests/fuzz/$h.dict" ]] && dict=(-dict="tests/fuzz/$h.dict")
  echo "fuzz: running $h for ${seconds}s (log: $log)"
  status=0
  started=$SECONDS
  "$out/$h" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len="$(max_len "$h")" -print_final_stats=1 -artifact_prefix="$artifacts" > "$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  files=$(find "$corpus" -type f | wc -l)
  line="$h: ${execs:-?} executions in $((SECONDS - started))s, corpus $files files, $(du -sb "$corpus" | cut -f1) bytes"
  if ((status != 0)); then
    line+=", FINDING (exit $status): $(grep -m 1 -E 'ERROR: |runtime error|terminate called|invariant violated|==[0-9]+== ?ERROR' "$log" || echo "see $log")"
    line+=" — input kept in $(find "$artifacts" -type f -printf '%T@ %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-)"
    failed+=("$h")
  fi
  echo "$line"
  summary+=("$line")
done

echo
printf '%s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
  echo "fuzz: findings in: ${failed[*]}" >&2
  exit 1
fi
