#!/usr/bin/env bash
# Installs the Debian 12 packages Houqin needs to build, run and test.
set -euo pipefail
pkgs=(build-essential cmake pkg-config
      libzmq3-dev liblmdb-dev libmsgpack-dev libyaml-dev libsodium-dev
      libcmocka-dev libcurl4-openssl-dev libsystemd-dev lmdb-utils libzstd-dev zstd
      python3 python3-zmq python3-msgpack python3-lmdb python3-aiosmtpd
      chromium chromium-driver python3-selenium fonts-noto-cjk   # browser tests (houqin-web)
      libmicrohttpd-dev libjansson-dev wrk                  # houqin-web, its benchmark
      clang libclang-rt-14-dev valgrind strace python3-yaml)   # fuzzing, valgrind, syscall audit, corpus
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
