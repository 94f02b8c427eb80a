#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Houqin and runs the whole test
# suite through ctest.  HQ_SANITIZE=1 builds with ASan+UBSan instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
dir=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DHQ_WERROR=ON)
if [ "${HQ_SANITIZE:-0}" = 1 ]; then
  dir=build-asan
  flags=(-DCMAKE_BUILD_TYPE=Debug -DHQ_SANITIZE=ON)
  # The fault tests LD_PRELOAD a shim into the sanitized houqind: ASan must
  # accept a library loaded before its runtime.
  export ASAN_OPTIONS=verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}
fi
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
cd "$dir"
ctest --output-on-failure -j2 --timeout 900
