#!/usr/bin/env bash
# Ingest benchmark: wrk against the real relay on loopback, in one go:
#   baseline  GET /healthz            (HTTP layer only, no store)
#   read      GET /orders/{ref}       (a store read per request)
#   write     POST shipment updates   (a durable commit per request, group-committed)
# Prints requests/s and each as a ratio to the baseline, plus how many
# requests shared a commit. Bounded: DURATION seconds per run (default 5).
#   bash tests/bench/run.sh [build/shiprelay]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/shiprelay}
DURATION=${DURATION:-5}
CONNS=${CONNS:-32}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/bench.conf" <<CONF
[server]
listen = 127.0.0.1:$port
threads = 2
max_connections = 1024
[storage]
dir = $dir/state
[tenant "bench"]
api_key = bench-key-0123456789
CONF
"$BIN" --config "$dir/bench.conf" 2>"$dir/relay.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done

H=(-H 'tenant-id: bench' -H 'x-api-key: bench-key-0123456789' -H 'Content-Type: application/json')
for i in $(seq 0 199); do
  curl -sf "${H[@]}" "http://127.0.0.1:$port/orders" -d "{\"partner_order_reference\":\"PO-BENCH-$i\",
    \"line_items\":[{\"line_item_id\":\"L1\",\"sku\":\"A\",\"quantity\":1,\"status\":\"fulfilled\"}],
    \"fulfillment_orders\":[{\"fulfillment_order_id\":\"F1\",\"line_items\":[\"L1\"],
    \"shipments\":[{\"partner_shipment_reference\":\"S-0\",\"line_items\":[\"L1\"]}]}]}" >/dev/null
done
order_id=$(curl -sf "${H[@]}" "http://127.0.0.1:$port/orders/PO-BENCH-1?key=partner_order_reference" |
           python3 -c 'import json,sys; print(json.load(sys.stdin)["order_id"])')

rps() { sed -n 's/^Requests\/sec:[[:space:]]*//p'; }
metric() { curl -sf "http://127.0.0.1:$port/metrics" | sed -n "s/^$1 //p"; }
base=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" "http://127.0.0.1:$port/healthz" | rps)
read=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" -H 'tenant-id: bench' -H 'x-api-key: bench-key-0123456789' \
       "http://127.0.0.1:$port/orders/$order_id" | rps)
jobs0=$(metric shiprelay_store_jobs_total); commits0=$(metric shiprelay_store_commits_total)
write=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" -s tests/bench/ssu.lua "http://127.0.0.1:$port" | rps)
jobs1=$(metric shiprelay_store_jobs_total); commits1=$(metric shiprelay_store_commits_total)

python3 - "$base" "$read" "$write" "$((jobs1 - jobs0))" "$((commits1 - commits0))" <<'PY'
import sys
base, read, write = (float(x) for x in sys.argv[1:4])
jobs, commits = int(sys.argv[4]), int(sys.argv[5])
print("%-34s %12s %10s" % ("run", "requests/s", "vs baseline"))
for name, v in (("baseline  GET /healthz", base), ("read      GET /orders/{id}", read),
                ("write     POST shipment updates", write)):
    print("%-34s %12.0f %10.3f" % (name, v, v / base))
print("write jobs per commit (group commit): %.1f (%d jobs, %d commits)" % (jobs / max(commits, 1), jobs, commits))
PY
