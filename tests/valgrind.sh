#!/usr/bin/env bash
# Runs the integration, scenario and alertd tests with every houqind and
# houqin-alertd (and, with --ctl, every houqinctl) they start under
# valgrind memcheck, then reports per test whether it passed, and over all
# the processes: memcheck errors and definitely-lost bytes.
#
#   tests/valgrind.sh [--build DIR] [--ctl] [-j N] [PATTERN...]
#
#   --build DIR  the (gcc, unsanitized) build to use; default build/, built
#                here if needed.  Not an ASan build: valgrind and ASan do
#                not mix.
#   --ctl        run houqinctl under valgrind too (the scenario tests call it
#                many times: slower)
#   -j N         tests at once (default 2)
#   PATTERN      only the tests whose file name contains it (e.g. crash)
#
# How: a wrapper script stands in for each program (the tests take
# --houqind PATH, --alertd PATH); it execs valgrind --error-exitcode=99 --leak-check=full, so that
# a memcheck error or a definite leak turns a daemon's clean exit after
# SIGTERM (which the tests check) into exit 99 and fails the test, and it
# writes one valgrind log per process, which this script sums up.  Daemons
# the tests kill -9 have no leak check, by nature.
#
# Exit status: 0 when every test passed with no memcheck error and no
# definite leak; 1 otherwise; 2 on a usage or build error.  Logs stay in
# the directory printed at the end when something failed.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

bdir=$top/build
ctl=0
jobs=2
pats=()
while [ $# -gt 0 ]; do
  case $1 in
    --build) bdir=$(cd "$2" && pwd); shift 2 ;;
    --ctl) ctl=1; shift ;;
    -j) jobs=$2; shift 2 ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "valgrind.sh: unknown option $1" >&2; exit 2 ;;
    *) pats+=("$1"); shift ;;
  esac
done
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is missing (scripts/deps.sh installs it)" >&2; exit 2; }
if grep -q '^HQ_SANITIZE:BOOL=ON' "$bdir/CMakeCache.txt" 2>/dev/null; then
  echo "valgrind.sh: $bdir is a sanitizer build; use a plain one" >&2
  exit 2
fi
if [ ! -f "$bdir/CMakeCache.txt" ]; then
  cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 2
fi
targets=(houqind houqinctl)
[ -d daemons/houqin-alertd ] && targets+=(houqin-alertd)
cmake --build "$bdir" -j"$(nproc)" --target "${targets[@]}" >/dev/null || exit 2
houqind=$bdir/daemons/houqind/houqind
houqinctl=$bdir/tools/houqinctl/houqinctl

work=$(mktemp -d "${TMPDIR:-/tmp}/hq-vg.XXXXXX")
mkdir -p "$work/vg" "$work/out"
# The wrappers sit where the build puts the programs (b/daemons/NAME/NAME,
# b/tools/houqinctl/houqinctl), for tests that find one beside another.
mkdir -p "$work/b/daemons" "$work/b/tools/houqinctl"
wrap() { # NAME BINARY WRAPPER
  mkdir -p "$(dirname "$3")"
  cat >"$3" <<EOF
#!/bin/sh
exec valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
  --show-leak-kinds=definite --num-callers=30 --log-file="$work/vg/$1.%p.log" "$2" "\$@"
EOF
  chmod +x "$3"
}
wrap houqind "$houqind" "$work/b/daemons/houqind/houqind"
if [ $ctl = 1 ]; then
  wrap houqinctl "$houqinctl" "$work/b/tools/houqinctl/houqinctl"
else
  ln -s "$houqinctl" "$work/b/tools/houqinctl/houqinctl"
fi
ctlpath=$work/b/tools/houqinctl/houqinctl
alertd=$bdir/daemons/houqin-alertd/houqin-alertd
if [ -x "$alertd" ]; then
  wrap houqin-alertd "$alertd" "$work/b/daemons/houqin-alertd/houqin-alertd"
fi

# name, then the command (argument list), one test per line.
tests=()
for f in tests/integration/test_*.py; do
  tests+=("$(basename "$f" .py)|/usr/bin/python3 $f --houqind $work/b/daemons/houqind/houqind --schemas $top/schemas --rules $top/rules")
done
for f in tests/scenario/test_*.py; do
  [ -e "$f" ] || continue
  tests+=("scenario_$(basename "$f" .py)|/usr/bin/python3 $f --houqind $work/b/daemons/houqind/houqind --houqinctl $ctlpath --schemas $top/schemas --rules $top/rules")
done
if [ -x "$alertd" ]; then
  for f in tests/alertd/test_*.py; do
    [ -e "$f" ] || continue
    tests+=("alertd_$(basename "$f" .py)|/usr/bin/python3 $f --houqind $work/b/daemons/houqind/houqind --alertd $work/b/daemons/houqin-alertd/houqin-alertd --schemas $top/schemas --rules $top/rules")
  done
fi
sel=()
for t in "${tests[@]}"; do
  name=${t%%|*}
  if [ ${#pats[@]} -eq 0 ]; then sel+=("$t"); continue; fi
  for p in "${pats[@]}"; do
    case $name in *"$p"*) sel+=("$t"); break ;; esac
  done
done
[ ${#sel[@]} -gt 0 ] || { echo "valgrind.sh: no test matches" >&2; exit 2; }

run_one() {
  local name=${1%%|*} cmd=${1#*|} rc=0 t0
  t0=$(date +%s)
  PYTHONDONTWRITEBYTECODE=1 timeout -k 10 1800 $cmd >"$work/out/$name.log" 2>&1 || rc=$?
  echo "$rc $(( $(date +%s) - t0 ))" >"$work/out/$name.rc"
}

start=$(date +%s)
running=0
for t in "${sel[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ $running -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true
elapsed=$(( $(date +%s) - start ))

fail=0
printf '%-36s %6s %8s\n' test result seconds
for t in "${sel[@]}"; do
  name=${t%%|*}
  read -r rc secs <"$work/out/$name.rc"
  res=pass
  if [ "$rc" != 0 ]; then res="FAIL($rc)"; fail=1; fi
  printf '%-36s %6s %8s\n' "$name" "$res" "$secs"
done

# Sum up the valgrind logs: one per process.
procs=0 errs=0 lost=0 bad=()
for l in "$work"/vg/*.log; do
  [ -e "$l" ] || continue
  procs=$((procs + 1))
  e=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$l" | tr -d , | tail -1)
  d=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$l" | tr -d , | tail -1)
  # A process killed with SIGKILL has no summary.
  e=${e:-0} d=${d:-0}
  if [ "$e" -gt 0 ] || [ "$d" -gt 0 ] || grep -q "are definitely lost\|^==[0-9]*== \(Invalid\|Conditional\|Syscall param\|Mismatched\|Source and destination\)" "$l"; then
    bad+=("$l")
  fi
  errs=$((errs + e)) lost=$((lost + d))
done
echo "valgrind: ${#sel[@]} tests, $procs processes under memcheck, errors $errs, definitely lost $lost bytes, ${elapsed}s"
if [ ${#bad[@]} -gt 0 ]; then
  fail=1
  for l in "${bad[@]}"; do echo "  $l"; sed -n '1,60p' "$l" | sed 's/^/    /'; done
fi
if [ $fail = 0 ]; then
  rm -rf "$work"
  echo "valgrind: clean"
else
  for t in "${sel[@]}"; do
    name=${t%%|*}
    read -r rc _ <"$work/out/$name.rc"
    [ "$rc" = 0 ] || { echo "--- $name (exit $rc), last lines:"; tail -25 "$work/out/$name.log"; }
  done
  echo "valgrind: FAILED; logs in $work"
fi
exit $fail
