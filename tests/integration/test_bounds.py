"""Bounded work per request (issue 9): an order holds at most [orders]
max_line_items lines, max_fulfillment_orders fulfillment orders and
max_shipments shipments (400 at once for a request over them, before any
work; a carrier event that would add one more shipment is refused and
counted as such), each shipment keeps its newest inline_history status
entries in the document and the rest stays readable through the API, and a
tenant has at most [webhooks] max_endpoints endpoints, also when two nodes
of a fleet (PostgreSQL) create one at once."""
import base64
import hashlib
import hmac
import json
import shutil
import threading
import unittest

import relay as harness
from relay import Database, Relay, order_body, s3_section, shipment_update
from test_system_logs import S3Server

SSU = "/orders/shipment-status-update"
CONF = """[orders]
max_shipments = 3
inline_history = 3
[webhooks]
max_endpoints = 2
[source "acme/as"]
adapter = aftership
secret = bounds-secret-0001
"""


class BoundsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(extra=CONF).start()

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    def test_a_huge_order_is_refused_before_any_work(self):
        body = order_body("PO-HUGE")
        body["fulfillment_orders"][0]["shipments"] = [
            {"tracking_no": "T%d" % i}
            for i in range(20000)]  # ~1 MB, under max_body
        r = self.relay.post("/orders", body)
        self.assertEqual((r.status, r.json["error"]["code"]), (400, "order_too_large"), r)
        self.assertIn("max_shipments", r.json["error"]["message"])
        lines = order_body("PO-LINES")
        lines["line_items"] = [{"line_item_id": "X%d" % i, "sku": "S", "quantity": 1} for i in range(1001)]
        r = self.relay.post("/orders", lines)
        self.assertEqual((r.status, r.json["error"]["code"]), (400, "order_too_large"), r)
        self.assertIn("max_line_items", r.json["error"]["message"])
        self.assertEqual(self.relay.get("/orders/PO-HUGE?key=partner_order_reference").status, 404)

    def test_shipments_beyond_the_bound_are_refused(self):
        self.assertEqual(self.relay.post("/orders", order_body("PO-B1")).status, 201)  # one shipment
        for k in (2, 3):
            r = self.relay.post(SSU, shipment_update("PO-B1", "in_transit", "S-NEW-%d" % k))
            self.assertEqual(r.status, 200, r)
        r = self.relay.post(SSU, shipment_update("PO-B1", "in_transit", "S-NEW-4"))
        self.assertEqual((r.status, r.json["error"]["code"]), (400, "order_too_large"), r)
        o = self.relay.get("/orders/PO-B1?key=partner_order_reference").json
        self.assertEqual(len(o["shipments"]), 3)
        # the same through a carrier's hook: refused, counted, on record
        body = json.dumps({"event_id": "evt-b-1", "event": "tracking_update",
                           "msg": {"id": "t", "tracking_number": "TRK-B-5", "tag": "InTransit", "order_id": "PO-B1",
                                   "updated_at": "2026-11-20T09:00:00+00:00", "checkpoints": []}}).encode()
        mac = base64.b64encode(hmac.new(b"bounds-secret-0001", body, hashlib.sha256).digest()).decode()
        r = self.relay.request("POST", "/hooks/acme/as", auth=False, raw=body,
                               headers={"aftership-hmac-sha256": mac, "Content-Type": "application/json"})
        self.assertEqual((r.status, r.json["refused"], r.json["applied"]), (200, 1, 0), r)
        logs = self.relay.get("/orders/PO-B1/system-logs?key=partner_order_reference&request_type=HOOK").json["data"]
        self.assertTrue(logs)
        # updates that do not add a shipment still work
        r = self.relay.post(SSU, shipment_update("PO-B1", "out_for_delivery", "S-NEW-2"))
        self.assertEqual(r.status, 200, r)

    def test_history_beyond_the_inline_bound_stays_readable(self):
        self.assertEqual(self.relay.post("/orders", order_body("PO-H1")).status, 201)
        sent = ["shipped", "in_transit", "delayed", "in_transit", "out_for_delivery", "failed_delivery_attempt",
                "out_for_delivery"]
        for k, st in enumerate(sent):
            r = self.relay.post(SSU, shipment_update("PO-H1", st, "S-PO-H1",
                                                     post_shipping_info={"status": st, "status_date":
                                                                         "2026-11-20T10:%02d:00Z" % k}))
            self.assertEqual(r.status, 200, r)
        o = self.relay.get("/orders/PO-H1?key=partner_order_reference").json
        ship = [s for s in o["shipments"] if s["partner_shipment_reference"] == "S-PO-H1"][0]
        self.assertEqual([h["status"] for h in ship["status_history"]], sent[-3:])
        self.assertEqual(ship["status_history_archived"], len(sent) - 3)
        path = "/orders/PO-H1/shipments/S-PO-H1/status-history?key=partner_order_reference"
        whole = self.relay.get(path).json
        self.assertEqual([h["status"] for h in whole["data"]], sent)
        page = self.relay.get(path + "&limit=2").json
        self.assertEqual([h["status"] for h in page["data"]], sent[:2])
        rest = self.relay.get(path + "&limit=100&after=%d" % page["next_after"]).json
        self.assertEqual([h["status"] for h in rest["data"]], sent[2:])
        self.assertEqual(self.relay.get("/orders/PO-H1/shipments/NOPE/status-history?key=partner_order_reference")
                         .status, 404)

    def test_endpoints_per_tenant(self):
        for i in range(2):
            r = self.relay.post("/webhooks/endpoints", {"url": "https://example.com/%d" % i}, tenant="beta")
            self.assertEqual(r.status, 201, r)
        r = self.relay.post("/webhooks/endpoints", {"url": "https://example.com/x"}, tenant="beta")
        self.assertEqual((r.status, r.json["error"]["code"]), (409, "too_many_endpoints"), r)


@unittest.skipUnless(harness.POSTGRESQL, "a fleet needs PostgreSQL")
class BoundsFleetTest(unittest.TestCase):
    def test_two_nodes_creating_at_once_keep_the_limit(self):
        db, s3 = Database(), S3Server()  # two nodes: bodies in S3
        conf = s3_section(s3.port) + "[webhooks]\nmax_endpoints = 1\n"
        a = Relay(extra=conf, database=db, node_id="n1").start()
        b = Relay(extra=conf, database=db, node_id="n2").start()
        try:
            for i in range(12):
                for ep in a.get("/webhooks/endpoints").json["data"]:
                    self.assertEqual(a.request("DELETE", "/webhooks/endpoints/" + ep["id"]).status, 204)
                got = []
                ts = [threading.Thread(target=lambda r=r: got.append(
                    r.post("/webhooks/endpoints", {"url": "https://example.com/%d" % i}).status)) for r in (a, b)]
                for t in ts:
                    t.start()
                for t in ts:
                    t.join()
                self.assertEqual(sorted(got), [201, 409])
                self.assertEqual(len(a.get("/webhooks/endpoints").json["data"]), 1)
        finally:
            a.close()
            b.close()
            db.drop()
            s3.stop()
            shutil.rmtree(s3.dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
