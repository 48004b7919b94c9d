#!/usr/bin/env bash
# tests/distributed/kill_and_resume.sh EIGENFLOW MPIEXEC DATA WORKDIR — a fault mid-training and
# the restart: `eigenflow train` on 2 MPI ranks; rank 1 is killed once a checkpoint exists, and the
# job must end (no hang) with mpirun naming the dead rank. The same command on 1 rank resumes from
# the checkpoint and is killed in turn; on 2 ranks again it resumes and finishes; once more, and
# there is nothing left to do.
set -euo pipefail
eigenflow=$1 mpiexec=$2 data=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
out="$work/model"
mpirun=("$mpiexec" --oversubscribe --allow-run-as-root)
train=("$eigenflow" train --data "$data" --model coupling --iters 1500 --batch 256 --hidden 64
       --checkpoint-every 20 --progress quiet --out "$out")

fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }

# Iterations saved in the checkpoint so far (empty before the first one).
completed() { { "$eigenflow" info --model "$out" 2>/dev/null || true; } | sed -n 's/^train.completed_iterations: //p'; }

# Waits until the checkpoint holds at least $1 iterations while job $2 runs.
wait_for_checkpoint() {
  for _ in $(seq 1 2400); do
    local done_so_far
    done_so_far=$(completed)
    [[ -n "$done_so_far" && "$done_so_far" -ge "$1" ]] && return 0
    kill -0 "$2" 2>/dev/null || fail "the job ended before a checkpoint of $1 iterations"
    sleep 0.05
  done
  fail "no checkpoint of $1 iterations within 120 s"
}

# The pid of MPI rank $1 of this test's job (its environment names the rank).
rank_pid() {
  local p
  for p in $(pgrep -f -- "--out $out" || true); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1"; then
      echo "$p"
      return 0
    fi
  done
  fail "no process of rank $1"
}

# Kills rank $1 of job $2; the job must end by itself, with an error, within 60 s.
kill_rank_and_expect_the_end() {
  kill -9 "$(rank_pid "$1")"
  for _ in $(seq 1 600); do
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$2" 2>/dev/null; then
    kill -9 "$2" || true
    fail "the job still ran 60 s after rank $1 was killed (hang)"
  fi
  local rc=0
  wait "$2" || rc=$?
  ((rc != 0)) || fail "the job exited 0 although rank $1 was killed"
}

resumed_at() { sed -n 's/^resuming from .* at iteration \([0-9]*\) of 1500$/\1/p' "$1"; }

echo "1. two ranks; rank 1 killed after the first checkpoint"
"${mpirun[@]}" -np 2 "${train[@]}" >"$work/first.log" 2>&1 &
job=$!
wait_for_checkpoint 20 "$job"
kill_rank_and_expect_the_end 1 "$job"
grep -q "rank 1 .* exited on signal 9" "$work/first.log" || fail "mpirun did not say that rank 1 died"
first=$(completed)
echo "   killed; the checkpoint holds $first iterations"

echo "2. the same command on one rank resumes, and is killed in turn"
"${mpirun[@]}" -np 1 "${train[@]}" >"$work/second.log" 2>&1 &
job=$!
wait_for_checkpoint $((first + 100)) "$job"
kill_rank_and_expect_the_end 0 "$job"
second_start=$(resumed_at "$work/second.log")
[[ "$second_start" == "$first" ]] || fail "one rank resumed at '$second_start', not at the checkpoint's $first"
second=$(completed)
echo "   resumed at $second_start, killed; the checkpoint holds $second iterations"

echo "3. two ranks resume and finish"
timeout 600 "${mpirun[@]}" -np 2 "${train[@]}" >"$work/third.log" 2>&1 || fail "the resumed run failed"
third_start=$(resumed_at "$work/third.log")
[[ "$third_start" == "$second" ]] || fail "two ranks resumed at '$third_start', not at the checkpoint's $second"
grep -q "^test_nll: " "$work/third.log" || fail "no test_nll after the resumed run"
"$eigenflow" info --model "$out" >"$work/info.log"
grep -qx "train.finished: yes" "$work/info.log" || fail "the checkpoint is not marked finished"
grep -qx "train.completed_iterations: 1500" "$work/info.log" || fail "the finished run did not reach 1500 iterations"
grep -qx "optimizer: adam, step 1500" "$work/info.log" || fail "the optimizer did not take 1500 steps in all"

echo "4. once more: nothing left to do"
timeout 120 "${train[@]}" >"$work/fourth.log" 2>&1 || fail "the rerun of a finished run failed"
grep -q "nothing to do" "$work/fourth.log" || fail "a finished run was trained again"
echo "PASS: resumed at $first (1 rank) and $second (2 ranks), finished at 1500"
