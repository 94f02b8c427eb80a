#!/bin/sh
# bench/run.sh - the standard measurements of houqind (see bench/README.md).
#
#   bench/run.sh [BUILD_DIR] [hq-bench compare options...]   ingest (issue 2)
#   bench/run.sh [BUILD_DIR] rules [ROUNDS]                   rules on ingest (issue 3)
#   bench/run.sh [BUILD_DIR] timers [ISSUES]                  1M pending timers (issue 3)
#   bench/run.sh [BUILD_DIR] schedules                        schedules, sustained rules (issue 4)
#
# Builds nothing.  BUILD_DIR (default ./build) must hold bench/hq-bench; when
# it also holds daemons/houqind/houqind, houqind is measured beside the
# reference consumer and its figures are printed as ratios to it; otherwise
# only the reference is measured.  Extra options go to `hq-bench compare`
# (e.g. --events 500000, --json, --tmpdir DIR, --hq-arg=--max-batch=2000).
# The rules, timers and schedules sets need houqind and hq-rules-bench,
# hq-timers-bench and hq-schedule-bench; they write their rules directories
# and states in one temporary directory under $TMPDIR, removed at the end.
# Exit status: that of the benchmark program (0 when every run completed).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

build=./build
if [ $# -gt 0 ]; then
    case $1 in
    -*|rules|timers|schedules) ;;
    *) build=$1; shift ;;
    esac
fi

bench=$build/bench/hq-bench
houqind=$build/daemons/houqind/houqind
if [ ! -x "$bench" ]; then
    echo "run.sh: $bench not found; build it first:" >&2
    echo "    cmake -S $root -B $build && cmake --build $build --target hq-bench houqind" >&2
    exit 2
fi

tmp=${TMPDIR:-/tmp}
echo "hq-bench: $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(uname -n), kernel $(uname -r), $(nproc) CPU(s)"
echo "hq-bench: state directories under $tmp: $(df -PT "$tmp" | awk 'NR == 2 { print $2 " on " $1 }')"
echo "hq-bench: load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine skews the figures)"

mode=compare
if [ $# -gt 0 ]; then
    case $1 in
    rules|timers|schedules) mode=$1; shift ;;
    esac
fi

if [ "$mode" = compare ]; then
    if [ -x "$houqind" ]; then
        exec "$bench" compare --houqind "$houqind" --schemas "$root/schemas" --rules "$root/rules" "$@"
    fi
    echo "run.sh: $houqind is not built: measuring the reference consumer only" >&2
    exec "$bench" compare "$@"
fi

for p in "$houqind" "$build/bench/hq-rules-bench" "$build/bench/hq-timers-bench" "$build/bench/hq-schedule-bench"; do
    if [ ! -x "$p" ]; then
        echo "run.sh: $p not found; build it first:" >&2
        echo "    cmake -S $root -B $build && cmake --build $build" >&2
        exit 2
    fi
done
work=$(mktemp -d "$tmp/hqbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
status=0

case $mode in
rules)
    # Issue 3: ingest with no rules (the registry files only), the shipped
    # rules and 1,000 synthetic rules; ratios to no rules.
    rounds=${1:-5}
    rb=$build/bench/hq-rules-bench
    "$rb" rulesdir --from "$root/rules" --out "$work/none"
    "$rb" rulesdir --from "$root/rules" --out "$work/r1000" --synthetic 1000
    "$rb" rulesdir --from "$root/rules" --out "$work/m1000" --synthetic 1000 --mix mixed
    "$rb" engine --schemas "$root/schemas" --set none="$work/none" --set shipped="$root/rules" \
        --set r1000="$work/r1000" --set m1000="$work/m1000" --events 100000 --repeat 3 || status=1
    "$rb" throughput --houqind "$houqind" --hq-bench "$bench" --schemas "$root/schemas" --tmpdir "$work" \
        --set none="$work/none" --set shipped="$root/rules" --set r1000="$work/r1000" --set m1000="$work/m1000" \
        --rounds "$rounds" --events 300000 || status=1
    ;;
timers)
    # Issue 3: a state with ISSUES open issues (three timers each), start-up,
    # then firing lag at 200 and 1000 deadlines/s while 1000 events/s arrive.
    issues=${1:-1000000}
    tb=$build/bench/hq-timers-bench
    "$tb" rulesdir --from "$root/rules" --out "$work/rules"
    "$tb" build --state "$work/state" --schemas "$root/schemas" --rules "$work/rules/build" --issues "$issues"
    "$tb" run --houqind "$houqind" --hq-bench "$bench" --state "$work/state" --schemas "$root/schemas" \
        --add-rules "$work/rules/build" --rules "$work/rules/run" --tmpdir "$work" \
        --starts 4 --due-rate 200 --due-seconds 60 --rate 1000 || status=1
    "$tb" run --houqind "$houqind" --hq-bench "$bench" --state "$work/state" --schemas "$root/schemas" \
        --add-rules "$work/rules/build" --rules "$work/rules/run" --tmpdir "$work" \
        --starts 0 --due-rate 1000 --due-seconds 30 --rate 1000 || status=1
    ;;
schedules)
    # Issue 4: 10,000 sites with a daily and a weekly schedule; 5,000
    # sensors with sustained rules.
    sb=$build/bench/hq-schedule-bench
    "$sb" rulesdir --from "$root/rules" --out "$work" --sites 10000 --sensors 5000
    "$sb" generate --schemas "$root/schemas" --rules "$work/sched" --tmpdir "$work" || status=1
    "$sb" idle --houqind "$houqind" --schemas "$root/schemas" --tmpdir "$work" --seconds 60 \
        --set none="$work/sus-none" --set sched="$work/sched" || status=1
    "$sb" sustained --schemas "$root/schemas" --tmpdir "$work" --set none="$work/sus-none" \
        --set rule="$work/sus-rule" --set rules="$work/sus-rules" --events 200000 --events-heavy 200000 || status=1
    "$sb" ingest --houqind "$houqind" --schemas "$root/schemas" --tmpdir "$work" \
        --set none="$work/sus-none" --set rule="$work/sus-rule" --set rules="$work/sus-rules" \
        --events 200000 --rounds 3 || status=1
    ;;
esac
exit $status
