#!/usr/bin/env bash
# The whole suite: unit and integration tests on the normal build (the
# integration tests twice: on SQLite, then on PostgreSQL), then again on a
# build with AddressSanitizer + UndefinedBehaviorSanitizer (tests/CMakeLists.txt
# says which PostgreSQL tests run there).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

# Test-only tools: Node.js for the webhook receiver (it verifies signatures
# with the npm package standardwebhooks) and the S3 server; openssl makes the
# TLS test's certificate; Chromium runs the web console's test (driven by the
# npm package puppeteer-core); strace injects slow and failing syncs (test_sync.py).
if ! command -v node >/dev/null || ! command -v npm >/dev/null || ! command -v openssl >/dev/null ||
   ! [ -x /usr/bin/chromium ] || ! command -v strace >/dev/null; then
  echo "tests: installing nodejs npm openssl chromium strace"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm openssl chromium strace >/dev/null
fi
# PostgreSQL for the second pass of the integration tests (and the store's
# fleet test): Debian's server, run by tests/pg_cluster.py as a throwaway
# cluster on a free port. Debian would also create and start a "main"
# cluster of its own on port 5432; the tests need none, so it is not made.
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "tests: installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/shiprelay-tests.conf
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
npm ci --prefix tests/integration --no-audit --no-fund --loglevel=error

echo "== build (RelWithDebInfo) and test"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== build (ASan + UBSan) and test"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSHIPRELAY_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"
