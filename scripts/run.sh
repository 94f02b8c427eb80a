#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and runs houqind on the shipped rules and
# schemas with the state in ./var inside the checkout.  Extra arguments go to
# houqind (e.g. --clock manual).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
# Configured once; later runs only build what changed.
[ -f build/CMakeCache.txt ] || cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
exec ./build/daemons/houqind/houqind --state ./var --rules ./rules --schemas ./schemas "$@"
