#!/usr/bin/env python3
r"""How the cost of one request grows with the order's size (issue 9, point 6:
no step quadratic in the order's size).

For each size N (line items; N/6 fulfillment orders of six lines; N/2
shipments of two lines, so N = 960 is near the default limits), REPEAT
orders are created, and on each order one request of every kind below is
measured, one at a time, as the CPU time the relay spends on it (all
threads, user and system, from /proc: a shared machine's load does not
count, unlike wall time; the clock ticks are 10 ms, hence REPEAT):

  create        POST /orders with every line, fulfillment order and shipment
  ssu           a shipment moves to in_transit
  delivered     a shipment is delivered (its lines close, rollups recompute)
  new shipment  a status for a shipment the order does not know yet
  patch         PATCH a top-level field
  get           GET /orders/{ref}
  fo cancel     cancel one fulfillment order
  lines cancel  cancel half the lines by id (those of neither the first nor
                the last fulfillment order)
  cancel        cancel the whole order (another, just created)

The report gives the mean CPU ms per size and the growth exponent between
the two largest sizes: log2(t(N) / t(N/2)), about 1 for linear work (the
order's JSON is linear in N), about 2 for quadratic. Small figures are
dominated by fixed costs (a commit, the system log), so the exponent means
most for the larger sizes.

Usage: order_scale.py RELAY_BINARY  (knobs: SIZES="120,240,480,960", REPEAT=10)
"""
import math
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (Relay, log)

SIZES = [int(x) for x in os.environ.get("SIZES", "120,240,480,960").split(",")]
REPEAT = int(os.environ.get("REPEAT", "10"))


def order_body(ref, n):
    lines = [{"line_item_id": "L%d" % i, "sku": "SKU-%d" % (i % 7), "quantity": 1} for i in range(n)]
    fos = []
    for f in range((n + 5) // 6):
        ids = ["L%d" % i for i in range(f * 6, min(n, f * 6 + 6))]
        ships = [{"partner_shipment_reference": "%s-S%d-%d" % (ref, f, k), "tracking_no": "%s-T%d-%d" % (ref, f, k),
                  "line_items": ids[k:k + 2]} for k in range(0, len(ids), 2)]
        fos.append({"fulfillment_order_id": "FO%d" % f, "line_items": [{"id": i, "quantity": 1} for i in ids],
                    "shipments": ships})
    return {"partner_order_reference": ref, "line_items": lines, "fulfillment_orders": fos}


def ssu(ref, psr, status, second):
    return {"references": {"partner_order_reference": ref, "partner_shipment_reference": psr},
            "post_shipping_info": {"status": status, "status_date": "2026-11-20T10:00:%02dZ" % second}}


TICK = os.sysconf("SC_CLK_TCK")


def cpu_ms(pid):
    """CPU time the relay has used (every thread, user + system), in ms."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / TICK


def timed(relay, method, path, body=None, out=None):
    t = cpu_ms(relay.proc.pid)
    status, reply = relay.call(method, path, body, timeout=120)
    time.sleep(0.05)  # what the request set off (its commit, the body upload) is counted too
    ms = cpu_ms(relay.proc.pid) - t
    if status >= 300:
        raise RuntimeError("%s %s -> %d %s" % (method, path, status, str(reply)[:300]))
    if out is not None:
        out.append(reply)
    return ms


def one_order(relay, n, k):
    ref = "SCALE-%d-%d" % (n, k)
    body = order_body(ref, n)
    psr = body["fulfillment_orders"][0]["shipments"][0]["partner_shipment_reference"]
    made = []
    t = {"create": timed(relay, "POST", "/orders", body, made)}
    oid = made[0].get("order_id") or made[0]["data"]["order_id"]
    t["ssu"] = timed(relay, "POST", "/orders/shipment-status-update", ssu(ref, psr, "in_transit", 1))
    t["delivered"] = timed(relay, "POST", "/orders/shipment-status-update", ssu(ref, psr, "delivered", 2))
    t["new shipment"] = timed(relay, "POST", "/orders/shipment-status-update", ssu(ref, ref + "-NEW", "in_transit", 3))
    t["patch"] = timed(relay, "PATCH", "/orders/" + oid, {"language": "ar"})
    t["get"] = timed(relay, "GET", "/orders/" + oid)
    last_fo = body["fulfillment_orders"][-1]["fulfillment_order_id"]
    t["fo cancel"] = timed(relay, "POST", "/orders/%s/fulfillment-orders/%s/cancel" % (oid, last_fo),
                           {"cancellation_reason": "bench"})
    t["lines cancel"] = timed(relay, "POST", "/orders/%s/line-items/cancel" % oid,
                              {"line_item_ids": ["L%d" % i for i in range(6, n - 6, 2)], "cancellation_reason": "bench"})
    made = []
    timed(relay, "POST", "/orders", order_body(ref + "-C", n), made)
    oid = made[0].get("order_id") or made[0]["data"]["order_id"]
    t["cancel"] = timed(relay, "POST", "/orders/%s/cancel" % oid, {"cancellation_reason": "bench"})
    return t


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/shiprelay"
    scratch = tempfile.mkdtemp(prefix="shiprelay-scale-")
    relay = bench.Relay(binary, scratch, "scale")
    try:
        medians = {}
        for n in SIZES:
            runs = [one_order(relay, n, k) for k in range(REPEAT)]
            medians[n] = {op: statistics.mean(r[op] for r in runs) for op in runs[0]}
            bench.log("size %d done" % n)
    finally:
        relay.stop()
    ops = list(medians[SIZES[0]])
    print("| request | " + " | ".join("N=%d ms" % n for n in SIZES) + " | exponent (last doubling) |")
    print("| --- |" + " ---: |" * (len(SIZES) + 1))
    for op in ops:
        a, b = medians[SIZES[-2]][op], medians[SIZES[-1]][op]
        exp = math.log(b / a, SIZES[-1] / SIZES[-2]) if a > 0 and len(SIZES) > 1 else float("nan")
        print("| %s | %s | %.2f |" % (op, " | ".join("%.1f" % medians[n][op] for n in SIZES), exp))


if __name__ == "__main__":
    main()
