"""Stuck orders (seed 003) end to end: per-status thresholds on the time an
order has spent in its status (a trail-only warehouse event and a PATCH do
not reset it), GET /ops/stuck entries (status, sub-status, time in status,
last event), the order.stuck webhook once per stuck episode (verified with
the standardwebhooks library; again after the order leaves the status and
comes back; not again after a restart), and the metric."""
import json
import time
import unittest

from carriyo import carriyo_order
from promtext import parse
from relay import Relay
from webhooks import Receiver

WMS_TOKEN = "wms-token-0123456789"
CONF = ("[webhooks]\nallow_private = 127.0.0.0/8\n"
        "[orders]\nstuck_allocated = 2s\nstuck_processing = 1h\nstuck_open = 1h\nstuck_scan_interval = 1s\n"
        '[source "acme/wh"]\nadapter = wms\ntoken = %s\n' % WMS_TOKEN)


class StuckTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        cls.relay = Relay(extra=CONF).start()
        ep = cls.relay.post("/webhooks/endpoints", {"url": cls.receiver.url("/stuck"),
                                                    "event_types": ["order.stuck"]}).json
        cls.receiver.configure("/stuck", "ok", [ep["secret"]])

    @classmethod
    def tearDownClass(cls):
        try:
            cls.relay.close()
        finally:
            cls.receiver.close()

    def stuck(self, ref, tenant="acme", query=""):
        r = self.relay.get("/ops/stuck" + query, tenant=tenant)
        self.assertEqual(r.status, 200, r)
        return [e for e in r.json["data"] if e["partner_order_reference"] == ref]

    def notices(self, ref):
        out = []
        for e in self.receiver.log("/stuck"):
            self.assertTrue(e["verified"], e)
            b = json.loads(e["body"])
            if b["data"]["newImage"]["partner_order_reference"] == ref:
                out.append(b)
        return out

    def wait_notices(self, ref, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline and len(self.notices(ref)) < n:
            time.sleep(0.1)
        return self.notices(ref)

    def test_episodes(self):
        ref = "PO-STUCK-1"
        r = self.relay.post("/orders", carriyo_order(ref, fulfillment_orders=[
            {"fulfillment_order_id": "FO-1", "location_id": "WH-1", "line_items": [{"id": "L1"}, {"id": "L2"}]}]))
        self.assertEqual(r.json["status"], "allocated")
        created = time.time()
        # changes that keep the status do not reset the time in it
        time.sleep(1.0)
        self.relay.request("PATCH", "/orders/%s?key=partner_order_reference" % ref, {"language": "ar"})
        w = self.relay.post("/hooks/acme/wh", raw=json.dumps({
            "partner_order_reference": ref, "fulfillment_order_id": "FO-1", "type": "INSUFFICIENT_STOCK",
            "message": "L2 low", "event_id": "st-1"}).encode(), auth=False, headers={"x-api-key": WMS_TOKEN})
        self.assertEqual((w.status, w.json["history_only"]), (200, 1))
        self.assertEqual(self.stuck(ref), [])
        while time.time() < created + 2.2:
            time.sleep(0.1)
        rows = self.stuck(ref)
        self.assertEqual(len(rows), 1, rows)
        e = rows[0]
        self.assertEqual((e["status"], e["sub_status"]), ("allocated", None))
        self.assertGreaterEqual(e["time_in_status_seconds"], 2)
        self.assertEqual((e["last_event"]["change_type"], e["last_event"]["new_value"]),
                         ("FULFILLMENT_EVENT", "INSUFFICIENT_STOCK"))
        self.assertNotIn("tenant", e)
        self.assertEqual(self.stuck(ref, tenant="beta"), [])
        self.assertEqual(len(self.stuck(ref, query="?status=allocated")), 1)
        self.assertEqual(self.stuck(ref, query="?status=processing"), [])
        self.assertEqual(self.relay.get("/ops/stuck?status=closed").status, 400)
        # order.stuck once, with the entry's facts
        got = self.wait_notices(ref, 1)
        self.assertEqual(len(got), 1)
        self.assertEqual((got[0]["type"], got[0]["trigger"]), ("order.stuck", "ORDER_STUCK"))
        self.assertEqual(got[0]["stuck"]["status"], "allocated")
        self.assertEqual(got[0]["stuck"]["threshold_seconds"], 2)
        self.assertEqual(got[0]["stuck"]["last_event"]["new_value"], "INSUFFICIENT_STOCK")
        time.sleep(2.5)  # more scans: nothing new
        self.assertEqual(len(self.notices(ref)), 1)
        self.assertTrue(self.stuck(ref)[0]["notified"])
        logs = self.relay.get("/orders/%s/change-logs?key=partner_order_reference" % ref).json
        self.assertEqual([l["change_type"] for l in logs].count("STUCK"), 1)
        self.assertEqual([l["source"] for l in logs if l["change_type"] == "STUCK"], ["HOUSEKEEPING"])
        # a hold explains it: the sub-status travels with the entry
        self.relay.post("/orders/%s/fulfillment-orders/FO-1/hold?key=partner_order_reference" % ref,
                        {"reason": "fraud review"})
        self.assertEqual(self.stuck(ref)[0]["sub_status"], "ON_HOLD")
        self.relay.post("/orders/%s/fulfillment-orders/FO-1/resume?key=partner_order_reference" % ref, {})
        # leaving the status ends the episode; coming back starts a new one
        base = "/orders/%s/fulfillment-orders/FO-1/%%s?key=partner_order_reference" % ref
        self.assertEqual(self.relay.post(base % "fulfill", {"line_items": [{"id": "L1"}]}).json["status"], "processing")
        self.assertEqual(self.stuck(ref), [])
        self.assertEqual(self.relay.post(base % "unfulfill", {}).json["status"], "allocated")
        self.assertEqual(self.stuck(ref), [])
        got = self.wait_notices(ref, 2)
        self.assertEqual(len(got), 2)
        self.assertNotEqual(got[0]["stuck"]["status_since"], got[1]["stuck"]["status_since"])
        # the metric counts it
        m = parse(self.relay.get("/metrics", auth=False).raw.decode())
        self.assertGreaterEqual(m["shiprelay_stuck_orders"].get(status="allocated"), 1)
        # a restart: the episode was notified, nothing fires again
        self.relay.stop()
        self.relay.start()
        time.sleep(3.0)
        self.assertEqual(len(self.notices(ref)), 2)
        self.assertTrue(self.stuck(ref)[0]["notified"])

    def test_thresholds_are_per_status(self):
        ref = "PO-STUCK-OPEN"
        self.relay.post("/orders", carriyo_order(ref))  # no rules: open, with a threshold of an hour
        time.sleep(2.5)
        self.assertEqual(self.stuck(ref), [])
        self.assertEqual(self.notices(ref), [])


if __name__ == "__main__":
    unittest.main()
