#!/bin/sh
# bench/run.sh - the standard ingest measurements of houqind (see bench/README.md).
#
#   bench/run.sh [BUILD_DIR] [hq-bench compare options...]
#
# Builds nothing.  BUILD_DIR (default ./build) must hold bench/hq-bench; when
# it also holds daemons/houqind/houqind, houqind is measured beside the
# reference consumer and its figures are printed as ratios to it; otherwise
# only the reference is measured.  Extra options go to `hq-bench compare`
# (e.g. --events 500000, --json, --tmpdir DIR, --hq-arg=--max-batch=2000).
# Exit status: that of hq-bench compare (0 when every run completed).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

build=./build
if [ $# -gt 0 ]; then
    case $1 in
    -*) ;;
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

if [ -x "$houqind" ]; then
    exec "$bench" compare --houqind "$houqind" --schemas "$root/schemas" --rules "$root/rules" "$@"
fi
echo "run.sh: $houqind is not built: measuring the reference consumer only" >&2
exec "$bench" compare "$@"
