-- wrk script: shipment status updates spread over the bench's orders, each a
-- new status event (so every request is a real write with a commit).
local n = 0
local orders = tonumber(os.getenv("BENCH_ORDERS") or "200")
local statuses = {"booked", "ready_to_ship", "shipped", "in_transit", "out_for_delivery", "delayed"}

request = function()
  n = n + 1
  local ref = "PO-BENCH-" .. (n % orders)
  local body = string.format(
    '{"references":{"partner_order_reference":"%s","partner_shipment_reference":"S-%d"},' ..
    '"post_shipping_info":{"status":"%s","status_date":"2026-11-20T10:%02d:%02dZ"}}',
    ref, n % 7, statuses[(n % #statuses) + 1], math.floor(n / 60) % 60, n % 60)
  return wrk.format("POST", "/orders/shipment-status-update", {
    ["Content-Type"] = "application/json",
    ["tenant-id"] = "bench",
    ["x-api-key"] = "bench-key-0123456789",
  }, body)
end
