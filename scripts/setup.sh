#!/usr/bin/env bash
# Install what shiprelay needs from Debian 12 and build it into ./build.
# Run as root on a fresh machine (or with the packages already present).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config
          libevent-dev libssl-dev libcurl4-openssl-dev libjansson-dev libsqlite3-dev
          libinih-dev libcmocka-dev libsystemd-dev libunistring-dev libpq-dev python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
