#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + libFuzzer, in
# build-fuzz/) and runs each for a while, then reports per target:
# executions, executions per second, peak RSS, corpus size, and the
# crashes, leaks, out-of-memory inputs and timeouts found.
#
#   tests/fuzz/run.sh [-t SECONDS] [-j JOBS] [--no-build] [TARGET...]
#
#   -t SECONDS   how long each target runs (default $HQ_FUZZ_SECONDS or 30)
#   -j JOBS      targets run at once (default: the number of CPUs, at most 2)
#   --no-build   use the fuzzers already built
#   TARGET       event schema rules control json ruletest alertcfg allowlist
#                web_form web_intake
#                (default: every
#                tests/fuzz/fuzz_<target>.c)
#
# The seeds in tests/fuzz/corpus/<target>/ are read, never written: what a
# run discovers goes to build-fuzz/fuzz-out/corpus/<target>/ (kept between
# runs, so later runs start further on), and what breaks goes to
# build-fuzz/fuzz-out/artifacts/<target>/ (crash-*, leak-*, oom-*,
# timeout-*).  Reproduce one with
#   build-fuzz/tests/fuzz/fuzz_<target> build-fuzz/fuzz-out/artifacts/<target>/crash-...
# and, once fixed, add it to tests/fuzz/corpus/<target>/ as crash-<what>
# so that every build replays it (ctest -R fuzz).
#
# Limits per input: 2 s (-timeout), 512 MB RSS, 64 MB per allocation.
# Exit status: 0 when nothing was found, 1 when something was, 2 on a
# build or usage error.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD

secs=${HQ_FUZZ_SECONDS:-30}
jobs=$(nproc 2>/dev/null || echo 1)
[ "$jobs" -gt 2 ] && jobs=2
build=1
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    -t) secs=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do t=$(basename "$f" .c); targets+=("${t#fuzz_}"); done
fi

bdir=${HQ_FUZZ_BUILD:-$top/build-fuzz}
out=$bdir/fuzz-out

if [ $build = 1 ]; then
  command -v clang >/dev/null || { echo "run.sh: clang is missing (scripts/deps.sh installs it)" >&2; exit 2; }
  CC=clang cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHQ_SANITIZE=ON -DHQ_FUZZ=ON \
    -DCMAKE_C_FLAGS=-Wno-unknown-warning-option >/dev/null || exit 2
  cmake --build "$bdir" -j"$(nproc)" --target fuzzers >"$bdir/fuzz-build.log" 2>&1 ||
    { tail -30 "$bdir/fuzz-build.log"; echo "run.sh: build failed" >&2; exit 2; }
fi

# The largest input each target generates (the seeds may be longer: the
# replay tests run those whole).
max_len() {
  case $1 in
    rules|alertcfg) echo 32768 ;;
    schema|ruletest) echo 16384 ;;
    event) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0:handle_abort=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {
  local t=$1 bin=$bdir/tests/fuzz/fuzz_$1
  [ -x "$bin" ] || { echo "run.sh: $bin is missing" >&2; return 2; }
  mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
  # -max_total_time stops the run; the wall-clock guard only catches a
  # fuzzer that hangs outside an input (libFuzzer's -timeout covers those).
  local rc=0
  timeout -k 10 $((secs + 120)) "$bin" "$out/corpus/$t" "tests/fuzz/corpus/$t" \
    -max_total_time="$secs" -timeout=2 -rss_limit_mb=512 -malloc_limit_mb=64 \
    -max_len="$(max_len "$t")" -print_final_stats=1 -close_fd_mask=1 \
    -artifact_prefix="$out/artifacts/$t/" >"$out/$t.log" 2>&1 || rc=$?
  echo $rc >"$out/$t.rc"
}

mkdir -p "$out"
start=$(date +%s)
running=0
for t in "${targets[@]}"; do
  # Earlier runs' findings stay for inspection; count only this run's.
  if [ -d "$out/artifacts/$t" ] && [ -n "$(ls -A "$out/artifacts/$t")" ]; then
    mkdir -p "$out/old-artifacts/$t"
    mv "$out/artifacts/$t"/* "$out/old-artifacts/$t/"
  fi
  run_one "$t" &
  running=$((running + 1))
  if [ $running -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true
elapsed=$(( $(date +%s) - start ))

statval() { sed -n "s/^stat::$2: *//p" "$out/$1.log" | tail -1; }
found=0
printf '%-8s %10s %8s %8s %7s %6s %6s %5s %5s %8s  %s\n' \
  target execs exec/s peakMB corpus crash leak oom tmout seconds status
for t in "${targets[@]}"; do
  a=$out/artifacts/$t
  n() { find "$a" -maxdepth 1 -name "$1-*" 2>/dev/null | wc -l; }
  crash=$(n crash) leak=$(n leak) oom=$(n oom) tmo=$(n timeout)
  rc=$(cat "$out/$t.rc" 2>/dev/null || echo 2)
  execs=$(statval "$t" number_of_executed_units)
  eps=$(statval "$t" average_exec_per_sec)
  rss=$(statval "$t" peak_rss_mb)
  corp=$(find "$out/corpus/$t" -type f | wc -l)
  status=ok
  if [ "$rc" != 0 ] || [ $((crash + leak + oom + tmo)) -gt 0 ]; then
    status="FOUND (exit $rc; log $out/$t.log)"
    # A failure libFuzzer could not save as an artifact (e.g. a crash in
    # LLVMFuzzerInitialize) still counts.
    [ $((crash + leak + oom + tmo)) -gt 0 ] || crash=?
    found=1
  fi
  printf '%-8s %10s %8s %8s %7s %6s %6s %5s %5s %8s  %s\n' \
    "$t" "${execs:-?}" "${eps:-?}" "${rss:-?}" "$corp" "$crash" "$leak" "$oom" "$tmo" "$secs" "$status"
done
echo "fuzz: ${#targets[@]} targets, ${secs}s each, $jobs at a time, ${elapsed}s in all"
if [ $found = 1 ]; then
  for t in "${targets[@]}"; do
    for f in "$out/artifacts/$t"/*; do
      [ -e "$f" ] || continue
      echo "  $f"
      echo "    reproduce: $bdir/tests/fuzz/fuzz_$t $f"
    done
  done
  exit 1
fi
exit 0
