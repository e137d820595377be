-- wrk script: POST /orders, every request a new order (a unique
-- partner_order_reference from BENCH_RUN, the thread and a counter), shaped
-- like the README walk-through: a customer, two line items in one
-- fulfillment order with one shipment. Each is a durable write: the order,
-- its change log, its system-log row and bodies, one order.created outbox
-- row per subscribed endpoint. Credentials: BENCH_TENANT / BENCH_KEY.
local run = os.getenv("BENCH_RUN") or tostring(os.time())
local headers = {
  ["Content-Type"] = "application/json",
  ["tenant-id"] = os.getenv("BENCH_TENANT") or "bench",
  ["x-api-key"] = os.getenv("BENCH_KEY") or "bench-key-0123456789",
}

local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

local k = 0
function request()
  k = k + 1
  local ref = string.format("PO-NEW-%s-%d-%d", run, tid, k)
  local body = string.format(
    '{"partner_order_reference":"%s","creation_source":{"source_type":"API"},' ..
    '"customer":{"name":"Ada Lovelace","email":"ada@example.com"},' ..
    '"line_items":[{"line_item_id":"L1","sku":"MUG-RED","quantity":1,"status":"fulfilled"},' ..
    '{"line_item_id":"L2","sku":"TEA-GREEN","quantity":2,"status":"fulfilled"}],' ..
    '"fulfillment_orders":[{"fulfillment_order_id":"FO-1","location":{"id":"WH-DXB"},"line_items":["L1","L2"],' ..
    '"shipments":[{"partner_shipment_reference":"%s-S","tracking_no":"%s-T","line_items":["L1","L2"]}]}]}',
    ref, ref, ref)
  return wrk.format("POST", "/orders", headers, body)
end
