"""Two-level status (seed 003) end to end: sub_status beside status on every
order answer, PARTIAL while some parcels are delivered and others not (and
its convergence), the refund outcome after a late cancellation, the
fulfillment-control details, and GET /orders?sub_status= (index-served; an
unknown value is simply not found)."""
import json
import time
import unittest

from carriyo import carriyo_order
from relay import Relay
from webhooks import Receiver

SSU = "/orders/shipment-status-update"


def two_parcels(ref):
    """L1 and L2 allocated at WH-1, each with a shipment of its own."""
    return carriyo_order(ref, fulfillment_orders=[{
        "fulfillment_order_id": "FO-1", "location_id": "WH-1", "line_items": [{"id": "L1"}, {"id": "L2"}],
        "shipments": [{"partner_shipment_reference": "S1-" + ref, "line_items": ["L1"]},
                      {"partner_shipment_reference": "S2-" + ref, "line_items": ["L2"]}]}])


class SubStatusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        cls.relay = Relay(extra="[webhooks]\nallow_private = 127.0.0.0/8\n").start()
        ep = cls.relay.post("/webhooks/endpoints", {"url": cls.receiver.url("/sub")}).json
        cls.receiver.configure("/sub", "ok", [ep["secret"]])

    @classmethod
    def tearDownClass(cls):
        try:
            cls.relay.close()
        finally:
            cls.receiver.close()

    def order(self, ref):
        return self.relay.get("/orders/%s?key=partner_order_reference" % ref).json

    def deliver(self, ref, shipment, status="delivered"):
        r = self.relay.post(SSU, {"references": {"partner_order_reference": ref, "partner_shipment_reference": shipment},
                                  "post_shipping_info": {"status": status}})
        self.assertEqual(r.status, 200, r)
        return r.json

    def listed(self, query):
        r = self.relay.get("/orders?" + query)
        self.assertEqual(r.status, 200, r)
        return [o["partner_order_reference"] for o in r.json["data"]]

    def test_partial_converges_when_closed(self):
        ref = "PO-SUB-P1"
        o = self.relay.post("/orders", two_parcels(ref)).json
        self.assertIsNone(o["sub_status"])
        o = self.deliver(ref, "S1-" + ref)
        self.assertEqual((o["status"], o["sub_status"]), ("processing", "PARTIAL"))
        self.assertIn(ref, self.listed("sub_status=PARTIAL"))
        self.assertIn(ref, self.listed("sub_status=PARTIAL&status=processing"))
        self.assertNotIn(ref, self.listed("sub_status=PARTIAL&status=closed"))
        # a failed attempt on the other parcel explains more than PARTIAL does
        o = self.deliver(ref, "S2-" + ref, "failed_delivery_attempt")
        self.assertEqual(o["sub_status"], "DELIVERY_EXCEPTION")
        o = self.deliver(ref, "S2-" + ref)
        self.assertEqual((o["status"], o["sub_status"]), ("closed", None))
        self.assertNotIn(ref, self.listed("sub_status=PARTIAL"))
        logs = self.relay.get("/orders/%s/change-logs?key=partner_order_reference" % ref).json
        moves = [(l["old_value"], l["new_value"]) for l in logs if l["field"] == "sub_status"]
        self.assertEqual(moves, [(None, "PARTIAL"), ("PARTIAL", "DELIVERY_EXCEPTION"), ("DELIVERY_EXCEPTION", None)])

    def test_partial_converges_when_the_rest_is_cancelled(self):
        ref = "PO-SUB-P2"
        self.relay.post("/orders", two_parcels(ref))
        self.assertEqual(self.deliver(ref, "S1-" + ref)["sub_status"], "PARTIAL")
        r = self.relay.post("/orders/%s/line-items/cancel?key=partner_order_reference" % ref,
                            {"line_item_ids": ["L2"], "cancellation_reason": "OTHER"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["status"], r.json["sub_status"]), ("closed", None))

    def test_refund_outcome_after_a_late_cancellation(self):
        ref = "PO-SUB-R1"
        self.relay.post("/orders", two_parcels(ref))
        self.deliver(ref, "S1-" + ref)
        self.deliver(ref, "S2-" + ref)
        base = "/orders/%s/%%s?key=partner_order_reference" % ref
        # not cancelled: refused, naming the cancel call
        r = self.relay.post(base % "refund", {"outcome": "REFUNDED"})
        self.assertEqual(r.status, 409, r)
        self.assertIn("/cancel", r.json["error"]["message"])
        r = self.relay.post(base % "cancel", {"cancellation_reason": "voucher recalled", "force": True})
        self.assertEqual((r.json["status"], r.json["sub_status"]), ("cancelled", "NOT_REFUNDED"))
        self.assertIn(ref, self.listed("sub_status=NOT_REFUNDED&status=cancelled"))
        self.assertEqual(self.relay.post(base % "refund", {"outcome": "PERHAPS"}).status, 400)
        self.assertEqual(self.relay.post(base % "refund", {}).status, 400)
        r = self.relay.post(base % "refund", {"outcome": "NOT_REFUNDED", "reason": "card expired"})
        self.assertEqual((r.status, r.json["sub_status"], r.json["refund"]["reason"]), (200, "NOT_REFUNDED", "card expired"))
        r = self.relay.post(base % "refund", {"outcome": "REFUNDED", "amount": 120, "currency": "AED",
                                              "reference": "RF-1"})
        self.assertEqual((r.json["sub_status"], r.json["refund"]["reference"]), ("REFUNDED", "RF-1"))
        again = self.relay.post(base % "refund", {"outcome": "REFUNDED", "amount": 120, "currency": "AED",
                                                  "reference": "RF-1"})
        self.assertEqual(again.json["update_date"], r.json["update_date"])  # a repeat changes nothing
        self.assertIn(ref, self.listed("sub_status=REFUNDED"))
        self.assertNotIn(ref, self.listed("sub_status=NOT_REFUNDED"))
        # the late order.cancelled, then the refund as an order.updated saying REFUNDED
        deadline = time.time() + 20
        while time.time() < deadline:
            got = [json.loads(e["body"]) for e in self.receiver.log("/sub")]
            mine = [(b["type"], b["data"]["newImage"]["sub_status"]) for b in got
                    if b["data"]["newImage"]["partner_order_reference"] == ref]
            if ("order.updated", "REFUNDED") in mine:
                break
            time.sleep(0.05)
        self.assertIn(("order.cancelled", "NOT_REFUNDED"), mine)
        self.assertIn(("order.updated", "REFUNDED"), mine)
        self.assertTrue(all(e["verified"] for e in self.receiver.log("/sub")))

    def test_details_and_unknown_values(self):
        ref = "PO-SUB-H1"
        self.relay.post("/orders", two_parcels(ref))
        r = self.relay.post("/orders/%s/fulfillment-orders/FO-1/hold?key=partner_order_reference" % ref,
                            {"reason": "fraud check"})
        self.assertEqual(r.json["sub_status"], "ON_HOLD")
        self.assertIn(ref, self.listed("sub_status=ON_HOLD"))
        self.assertEqual(self.listed("sub_status=SOMETHING_NEW"), [])  # unknown: nothing has it, no error
        self.assertEqual(self.relay.get("/orders?sub_status=").status, 400)
        r = self.relay.post("/orders/%s/fulfillment-orders/FO-1/resume?key=partner_order_reference" % ref, {})
        self.assertIsNone(r.json["sub_status"])
        self.assertIsNone(self.order(ref)["sub_status"])


if __name__ == "__main__":
    unittest.main()
