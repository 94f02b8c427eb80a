#!/usr/bin/env bash
# Runs the integration, scenario, alertd and systemd tests with every
# houqind and houqin-alertd (and, with --ctl, every houqinctl) they start
# under valgrind memcheck, then reports per test whether it passed, and
# over all the processes: memcheck errors and definitely-lost bytes.
#
#   tests/valgrind.sh [--build DIR] [--ctl] [-j N] [REGEX]
#
#   --build DIR  the (gcc, unsanitized) build to use; default build/, built
#                here if needed.  Not an ASan build: valgrind and ASan do
#                not mix.
#   --ctl        run houqinctl under valgrind too (the scenario tests call it
#                many times: slower)
#   -j N         tests at once (default 2)
#   REGEX        the ctest names to run (default
#                '^(integration|scenario|alertd|systemd)\.'; '.' for every
#                test that starts a daemon: tools, rule domains, ...)
#
# How: the tests are ctest's own (tests/wrapped_tests.py reads them from
# the build), with the programs replaced by wrapper scripts that exec
# valgrind --error-exitcode=99 --leak-check=full, so that a memcheck error
# or a definite leak turns a daemon's clean exit after SIGTERM (which the
# tests check) into exit 99 and fails the test; each process writes its
# own valgrind log, which this script sums up.  Daemons the tests kill -9
# have no leak check, by nature.  Time limits are ctest's, tripled.
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
regex='^(integration|scenario|alertd|systemd)\.'
while [ $# -gt 0 ]; do
  case $1 in
    --build) bdir=$(cd "$2" && pwd); shift 2 ;;
    --ctl) ctl=1; shift ;;
    -j) jobs=$2; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "valgrind.sh: unknown option $1" >&2; exit 2 ;;
    *) regex=$1; shift ;;
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
cmake --build "$bdir" -j"$(nproc)" >/dev/null || exit 2
houqind=$bdir/daemons/houqind/houqind
houqinctl=$bdir/tools/houqinctl/houqinctl
alertd=$bdir/daemons/houqin-alertd/houqin-alertd

work=$(mktemp -d "${TMPDIR:-/tmp}/hq-vg.XXXXXX")
mkdir -p "$work/vg" "$work/out"
# The wrappers sit where the build puts the programs (b/daemons/NAME/NAME,
# b/tools/houqinctl/houqinctl), for tests that find one beside another.
wrap() { # NAME BINARY WRAPPER
  mkdir -p "$(dirname "$3")"
  cat >"$3" <<EOF
#!/bin/sh
exec valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
  --show-leak-kinds=definite --num-callers=30 --log-file="$work/vg/$1.%p.log" "$2" "\$@"
EOF
  chmod +x "$3"
}
swaps=("$houqind=$work/b/daemons/houqind/houqind")
wrap houqind "$houqind" "$work/b/daemons/houqind/houqind"
mkdir -p "$work/b/tools/houqinctl"
if [ $ctl = 1 ]; then
  wrap houqinctl "$houqinctl" "$work/b/tools/houqinctl/houqinctl"
  swaps+=("$houqinctl=$work/b/tools/houqinctl/houqinctl")
else
  ln -s "$houqinctl" "$work/b/tools/houqinctl/houqinctl"
fi
if [ -x "$alertd" ]; then
  wrap houqin-alertd "$alertd" "$work/b/daemons/houqin-alertd/houqin-alertd"
  swaps+=("$alertd=$work/b/daemons/houqin-alertd/houqin-alertd")
fi

/usr/bin/python3 tests/wrapped_tests.py "$bdir" "$regex" "${swaps[@]}" >"$work/tests.tsv"
[ -s "$work/tests.tsv" ] || { echo "valgrind.sh: no test matches $regex" >&2; exit 2; }

run_one() { # NAME DIR TIMEOUT COMMAND
  local rc=0 t0
  t0=$(date +%s)
  (cd "$2" && PYTHONDONTWRITEBYTECODE=1 timeout -k 10 $(($3 * 3)) bash -c "$4") >"$work/out/$1.log" 2>&1 || rc=$?
  echo "$rc $(( $(date +%s) - t0 ))" >"$work/out/$1.rc"
}

start=$(date +%s)
running=0
names=()
while IFS=$'\t' read -r name dir tmo cmd; do
  names+=("$name")
  run_one "$name" "$dir" "$tmo" "$cmd" &
  running=$((running + 1))
  if [ $running -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done <"$work/tests.tsv"
wait || true
elapsed=$(( $(date +%s) - start ))

fail=0
printf '%-36s %8s %8s\n' test result seconds
for name in "${names[@]}"; do
  read -r rc secs <"$work/out/$name.rc"
  res=pass
  if [ "$rc" != 0 ]; then res="FAIL($rc)"; fail=1; fi
  printf '%-36s %8s %8s\n' "$name" "$res" "$secs"
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
  if [ "$e" -gt 0 ] || [ "$d" -gt 0 ] ||
     grep -q "are definitely lost\|^==[0-9]*== \(Invalid\|Conditional\|Syscall param\|Mismatched\|Source and destination\)" "$l"; then
    bad+=("$l")
  fi
  errs=$((errs + e)) lost=$((lost + d))
done
echo "valgrind: ${#names[@]} tests, $procs processes under memcheck, errors $errs, definitely lost $lost bytes, ${elapsed}s"
if [ ${#bad[@]} -gt 0 ]; then
  fail=1
  echo "processes with errors: ${#bad[@]}; the first:"
  sed -n '1,60p' "${bad[0]}" | sed 's/^/    /'
  echo "distinct first frames of the errors:"
  grep -h -A3 "are definitely lost\|^==[0-9]*== \(Invalid\|Conditional\|Syscall param\|Mismatched\)" "${bad[@]}" |
    grep -m 200 "by 0x\|at 0x" | sed 's/^==[0-9]*== *//' | sort | uniq -c | sort -rn | head -10 | sed 's/^/    /'
fi
if [ $fail = 0 ]; then
  rm -rf "$work"
  echo "valgrind: clean"
else
  for name in "${names[@]}"; do
    read -r rc _ <"$work/out/$name.rc"
    [ "$rc" = 0 ] || { echo "--- $name (exit $rc), last lines:"; tail -15 "$work/out/$name.log"; }
  done
  echo "valgrind: FAILED; logs in $work"
fi
exit $fail
