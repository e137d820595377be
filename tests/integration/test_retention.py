"""Bounded storage (issue 9): with [retention] set to seconds, the sweeper
removes what has expired: delivered and dead messages with their attempts,
change logs, system logs and their bodies, remembered event keys (a retry
of an expired event is applied again), parked events (an order arriving
later no longer takes them), status history archived out of orders (with
the change logs), closed orders, and finished return requests; open orders
and live requests stay."""
import base64
import hashlib
import hmac
import json
import os
import socket
import sqlite3
import time
import unittest

from relay import POSTGRESQL, Relay, order_body, shipment_update

HISTORY = "/orders/PO-RET-OPEN/shipments/S-PO-RET-OPEN/status-history?key=partner_order_reference&limit=100"
from webhooks import Receiver

CONF = """[retention]
system_logs = 2s
delivered_messages = 2s
dead_messages = 2s
change_logs = 2s
seen_events = 2s
parked_events = 2s
closed_orders = 2s
closed_returns = 2s
sweep_interval = 1s
[orders]
inline_history = 1
[webhooks]
allow_private = 127.0.0.0/8
retry_schedule = 0
[source "acme/as"]
adapter = aftership
secret = retention-secret-01
"""


def hook_body(tracking, order_ref, event_id, tag="InTransit"):
    return json.dumps({"event_id": event_id, "event": "tracking_update",
                       "msg": {"id": "trk-" + tracking, "tracking_number": tracking, "tag": tag,
                               "subtag": tag + "_001", "order_id": order_ref,
                               "updated_at": "2026-11-20T09:00:00+00:00", "checkpoints": []}}).encode()


class RetentionTest(unittest.TestCase):
    def post_hook(self, relay, body):
        mac = base64.b64encode(hmac.new(b"retention-secret-01", body, hashlib.sha256).digest()).decode()
        return relay.request("POST", "/hooks/acme/as", auth=False, raw=body,
                             headers={"aftership-hmac-sha256": mac, "Content-Type": "application/json"})

    @staticmethod
    def stored_payloads(relay):
        """SQLite keeps a message's payload in a table of its own: how many rows it holds."""
        if POSTGRESQL:
            return None
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(relay.dir, "state", "shiprelay.db"), uri=True)
        try:
            return db.execute("SELECT COUNT(*) FROM webhook_payloads").fetchone()[0]
        finally:
            db.close()

    def test_expired_rows_go_and_live_ones_stay(self):
        receiver = Receiver()
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
        s.close()
        relay = Relay(extra=CONF).start()
        try:
            ok = relay.post("/webhooks/endpoints", {"url": receiver.url("/r"), "event_types": ["order.created"]}).json
            receiver.configure("/r", "ok", [ok["secret"]])
            relay.post("/webhooks/endpoints", {"url": "http://127.0.0.1:%d/" % dead_port,
                                               "event_types": ["order.created"]})
            self.assertEqual(relay.post("/orders", order_body("PO-RET-OPEN")).status, 201)
            closed = order_body("PO-RET-CLOSED")
            closed["line_items"] = closed["line_items"][:1]
            closed["fulfillment_orders"][0]["line_items"] = ["L1"]
            self.assertEqual(relay.post("/orders", closed).status, 201)
            r = relay.post("/orders/shipment-status-update",
                           shipment_update("PO-RET-CLOSED", "delivered", "S-PO-RET-CLOSED"))
            self.assertEqual(r.json["status"], "closed")
            # a hook for an order that does not exist yet is parked; one for a known order is remembered
            self.assertEqual(self.post_hook(relay, hook_body("TRK-LATER", "PO-RET-LATER", "ev-1")).json["parked"], 1)
            known = hook_body("TRK-PO-RET-OPEN", "PO-RET-OPEN", "ev-2")
            self.assertEqual(self.post_hook(relay, known).status, 200)
            self.assertEqual(self.post_hook(relay, known).json["duplicates"], 1)
            # status history beyond the inline bound is archived
            for k, st in enumerate(["shipped", "in_transit", "out_for_delivery"]):
                r = relay.post("/orders/shipment-status-update", shipment_update(
                    "PO-RET-OPEN", st, "S-PO-RET-OPEN",
                    post_shipping_info={"status": st, "status_date": "2026-11-20T10:%02d:00Z" % k}))
                self.assertEqual(r.status, 200, r)
            kept = [h["status"] for h in relay.get(HISTORY).json["data"]]
            self.assertEqual(kept[-3:], ["shipped", "in_transit", "out_for_delivery"])
            # two return requests of the open order: one cancelled (it expires), one pending (it stays)
            rets = [relay.post("/returns/requests", {"partner_order_reference": "PO-RET-OPEN",
                                                     "items": [{"sku": "SKU-B", "quantity": 1}]}) for _ in range(2)]
            self.assertEqual([x.status for x in rets], [201, 201], rets)
            done, live = (x.json["return_request_id"] for x in rets)
            self.assertEqual(relay.post("/returns/requests/%s/cancel" % done, {"reason": "changed mind"}).status, 200)
            receiver.wait_for("/r", 2)
            deadline = time.time() + 10
            while time.time() < deadline:
                msgs = relay.get("/webhooks/messages?limit=100").json["data"]
                if len(msgs) == 4 and all(m["status"] in ("delivered", "dead") for m in msgs):
                    break
                time.sleep(0.1)
            self.assertEqual(sorted(m["status"] for m in msgs), ["dead", "dead", "delivered", "delivered"])
            self.assertEqual(self.stored_payloads(relay), None if POSTGRESQL else 4)
            self.assertTrue(relay.get("/orders/PO-RET-OPEN/change-logs?key=partner_order_reference").json)
            self.assertTrue(relay.get("/orders/PO-RET-OPEN/system-logs?key=partner_order_reference").json["data"])

            time.sleep(4.5)  # everything above is now older than 2 s; the sweeper runs every second
            self.assertEqual(relay.get("/webhooks/messages?limit=100").json["data"], [])
            self.assertEqual(self.stored_payloads(relay), None if POSTGRESQL else 0)  # they went with their messages
            logs = relay.get("/orders/PO-RET-OPEN/change-logs?key=partner_order_reference").json
            self.assertEqual(logs, [])
            self.assertEqual(relay.get("/orders/PO-RET-OPEN/system-logs?key=partner_order_reference").json["data"], [])
            self.assertEqual(relay.get("/orders/PO-RET-OPEN?key=partner_order_reference").status, 200)
            self.assertEqual([h["status"] for h in relay.get(HISTORY).json["data"]], ["out_for_delivery"])
            self.assertEqual(relay.get("/orders/PO-RET-CLOSED?key=partner_order_reference").status, 404)
            self.assertEqual(relay.get("/returns/requests/" + done).status, 404)
            self.assertEqual(relay.get("/returns/requests/" + live).status, 200)
            # the remembered key expired: the same event is taken again (not a duplicate)
            self.assertEqual(self.post_hook(relay, known).json["duplicates"], 0)
            # the parked event expired: the order that arrives now does not take it
            later = order_body("PO-RET-LATER")
            later["fulfillment_orders"][0]["shipments"][0]["tracking_no"] = "TRK-LATER"
            o = relay.post("/orders", later).json
            ship = [x for x in o["shipments"] if x.get("tracking_no") == "TRK-LATER"][0]
            self.assertEqual(ship.get("status_history", []), [])
        finally:
            relay.close()
            receiver.close()


if __name__ == "__main__":
    unittest.main()
