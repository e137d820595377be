-- wrk script: durable shipment-status-updates, every request a real write.
--
-- Orders BENCH_PREFIX<i> (i < BENCH_ORDERS, default PO-SSU- and 1000), each
-- with shipment BENCH_PREFIX<i>-S, must exist (bench.py creates them). The
-- wrk threads (BENCH_THREADS, default 2, must match -t) split the orders
-- between them, so no two threads ever update one shipment. Each thread
-- walks its orders round after round: shipped, then in_transit,
-- out_for_delivery, delayed, in_transit, ... with a status_date one second
-- later every round. So every request moves a shipment to a new status
-- (a state change, a change-log row, a system-log row and its bodies, one
-- outbox row per subscribed endpoint) and none ever reaches a final status.
-- Credentials: BENCH_TENANT / BENCH_KEY. Also used as the body for the bare
-- evhttp baseline, so both receive the same requests.
local T = tonumber(os.getenv("BENCH_THREADS") or "2")
local N = tonumber(os.getenv("BENCH_ORDERS") or "1000")
local prefix = os.getenv("BENCH_PREFIX") or "PO-SSU-"
local headers = {
  ["Content-Type"] = "application/json",
  ["tenant-id"] = os.getenv("BENCH_TENANT") or "bench",
  ["x-api-key"] = os.getenv("BENCH_KEY") or "bench-key-0123456789",
}
local cycle = {"in_transit", "out_for_delivery", "delayed"}
local base_time = 1795000000 -- 2026-11-18

local next_tid = 0
function setup(thread)          -- runs in wrk's main Lua state, once per thread
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

local k = 0
local per -- orders of this thread

function init(args)
  per = math.floor(N / T)
end

function request()
  local order = tid + T * (k % per)
  local round = math.floor(k / per)
  k = k + 1
  local status = round == 0 and "shipped" or cycle[(round - 1) % #cycle + 1]
  local body = string.format(
    '{"references":{"partner_order_reference":"%s%d","partner_shipment_reference":"%s%d-S"},' ..
    '"post_shipping_info":{"status":"%s","status_date":"%s"}}',
    prefix, order, prefix, order, status, os.date("!%Y-%m-%dT%H:%M:%SZ", base_time + round))
  return wrk.format("POST", "/orders/shipment-status-update", headers, body)
end
