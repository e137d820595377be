#!/usr/bin/env bash
# The shiprelay benchmark in one command (issue 9): builds the bench tools,
# then bench.py runs every measurement against the relay binary, each beside
# a baseline taken in the same run, and prints one markdown report (also
# written to $BENCH_OUT if set). See bench.py's header for what is measured.
#
#   bash tests/bench/run.sh [build/shiprelay]
#
# Knobs (environment): DURATION=10 (s per wrk run), CONNS=64, ORDERS=1000,
# DELIVERIES=2000, DELIVERY_CONC=16, LAT_RATE=500, LAT_DURATION=20,
# SUS_RATE=500, SUSTAINED=300, SAMPLE=10, SKIP_SUSTAINED=1, SPOOL_MAX,
# BENCH_OUT=FILE, BENCH_KEEP=1, SKIP_SCALE=1 (order_scale.py: SIZES, REPEAT),
# SKIP_FLEET=1 (fleet.py: FLEET_NODES). A quick look: DURATION=3 LAT_DURATION=5 SKIP_SUSTAINED=1.
#
# Tools (C, built with cc + pkg-config into build/bench/):
#   bare_evhttp  the ingest baseline (read body, 202) and the webhook receiver
#   curl_client  the delivery baseline (bare libcurl multi, Standard Webhooks signatures)
#   loadgen      fixed-rate shipment-status-updates (latency and sustained runs)
# wrk scripts: ssu.lua, hooks.lua, orders.lua.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/shiprelay}
[ -x "$BIN" ] || { echo "no relay binary at $BIN: run bash scripts/setup.sh first" >&2; exit 1; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

OUT=build/bench
mkdir -p "$OUT"
CFLAGS=(-O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wno-unused-parameter)
build() { # name, pkg-config modules
  local name=$1; shift
  cc "${CFLAGS[@]}" -o "$OUT/$name" "tests/bench/$name.c" $(pkg-config --cflags --libs "$@") -lpthread
}
build bare_evhttp libevent libevent_pthreads
build curl_client libevent libcurl openssl
build loadgen libevent libcurl

python3 tests/bench/bench.py "$BIN" "$OUT"
# how one request's cost grows with the order's size (SKIP_SCALE=1 skips it)
if [ "${SKIP_SCALE:-0}" != 1 ]; then
  echo
  python3 tests/bench/order_scale.py "$BIN" | tee -a "${BENCH_OUT:-/dev/null}"
fi
# one SQLite node against 1, 2 and 3 PostgreSQL nodes on one database (SKIP_FLEET=1 skips it)
if [ "${SKIP_FLEET:-0}" != 1 ]; then
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }
  [ -d tests/integration/node_modules/@20minutes/s3rver ] ||
    npm ci --prefix tests/integration --no-audit --no-fund --loglevel=error
  echo
  python3 tests/bench/fleet.py "$BIN" "$OUT" | tee -a "${BENCH_OUT:-/dev/null}"
fi
