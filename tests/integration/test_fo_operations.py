"""PATCH /orders/{ref} and the fulfillment-order operations (fact sheet §4.2,
§5) end to end, and Carriyo's 18 order triggers (§6): each operation fires
the trigger that names it, delivered in shiprelay's body (checked with the
standardwebhooks library) and in Carriyo's envelope to an endpoint with
payload_format = carriyo (checked by a receiver written to Carriyo's
documentation, and signed all the same)."""
import json
import time
import unittest

from carriyo import carriyo_order
from carriyo_receiver import CarriyoReceiver
from relay import Relay
from webhooks import Receiver

ALL_TRIGGERS = {
    "ORDER_CREATE", "ORDER_UPDATE", "ORDER_CANCEL", "ORDER_CLOSED", "ORDER_SHIPMENT_STATUS_UPDATE",
    "FULFILLMENT_ORDER_FULFILL", "FULFILLMENT_ORDER_UNFULFILL", "FULFILLMENT_ORDER_ALLOCATE", "FULFILLMENT_ORDER_MERGE",
    "FULFILLMENT_ORDER_SPLIT", "FULFILLMENT_ORDER_UPDATE_LOCATION", "FULFILLMENT_ORDER_UPDATE_ADDRESS",
    "FULFILLMENT_ORDER_UPDATE_DELIVERY_METHOD", "FULFILLMENT_ORDER_UPDATE_SCHEDULE",
    "FULFILLMENT_ORDER_SHIP_LINE_ITEMS", "FULFILLMENT_ORDER_CANCEL_LINE_ITEMS",
    "FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_REFERENCES",
    "FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_ORDER_REFERENCE"}


class FulfillmentOrderOperationsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.std = Receiver()
        cls.carriyo = CarriyoReceiver()
        cls.relay = Relay(extra="[webhooks]\nallow_private = 127.0.0.0/8\n").start()
        ep = cls.relay.post("/webhooks/endpoints", {"url": cls.std.url("/std")}).json
        cls.std.configure("/std", "ok", [ep["secret"]])
        r = cls.relay.post("/webhooks/endpoints", {"url": cls.carriyo.url(), "payload_format": "carriyo",
                                                   "headers": {"x-carriyo-auth": "s3cret-header-value"}})
        assert r.status == 201 and r.json["payload_format"] == "carriyo", r
        ep = cls.relay.post("/webhooks/endpoints", {"url": cls.std.url("/signed-carriyo"), "payload_format": "carriyo",
                                                    "event_types": ["FULFILLMENT_ORDER_SPLIT", "order.created"]}).json
        cls.std.configure("/signed-carriyo", "ok", [ep["secret"]])

    @classmethod
    def tearDownClass(cls):
        try:
            cls.relay.close()
        finally:
            cls.std.close()
            cls.carriyo.close()

    def call(self, method, path, body=None, status=200):
        r = self.relay.request(method, path, body=body)
        self.assertEqual(r.status, status, r)
        return r.json

    def fo_op(self, ref, fo, op, body=None, method="POST", status=200, query=""):
        path = "/orders/%s/fulfillment-orders/%s%s?key=partner_order_reference%s" % (ref, fo, "/" + op if op else "",
                                                                                     query)
        return self.call(method, path, body if body is not None else {}, status)

    def fo_of(self, order, pref):
        return [f for f in order["fulfillment_orders"] if f["partner_fulfillment_order_reference"] == pref][0]

    def wait_triggers(self, ref, want, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline and self.carriyo.triggers(ref) != want:
            time.sleep(0.05)
        self.assertEqual(self.carriyo.triggers(ref), want)

    def test_operations_and_all_18_triggers(self):
        ref = "PO-FO"
        o = self.call("POST", "/orders", carriyo_order(ref, fulfillment_orders=[{
            "partner_fulfillment_order_reference": "PFO-A", "location_id": "WH-1",
            "line_items": [{"id": "L1", "quantity": 2}, {"id": "L2", "quantity": 1}]}]), 201)
        a = self.fo_of(o, "PFO-A")["fulfillment_order_id"]
        base = "/orders/%s?key=partner_order_reference" % ref
        # PATCH: a simple member, a new line and a new fulfillment order (A kept by naming it)
        o = self.call("PATCH", base, {"language": "ar", "line_items": [
            {"id": "L1", "sku": "MUG-RED", "quantity": 2}, {"id": "L2", "sku": "TEA-GREEN", "quantity": 1},
            {"id": "L3", "sku": "GIFT-CARD", "quantity": 1}], "fulfillment_orders": [
            {"fulfillment_order_id": a, "line_items": [{"id": "L1", "quantity": 2}, {"id": "L2", "quantity": 1}]},
            {"partner_fulfillment_order_reference": "PFO-C", "line_items": [{"id": "L3"}]}]})
        self.assertEqual((o["language"], o["status"]), ("ar", "partially_allocated"))
        c = self.fo_of(o, "PFO-C")["fulfillment_order_id"]
        self.assertEqual(self.fo_of(o, "PFO-C")["status"], "open")
        logs = self.call("GET", "/orders/%s/change-logs?key=partner_order_reference" % ref)
        lang = [l for l in logs if l["field"] == "language"][0]
        self.assertEqual((lang["change_type"], lang["old_value"], lang["new_value"]), ("FIELD_UPDATE", "en", "ar"))
        self.assertEqual(lang["update_source"]["request_type"], "ORDER_UPDATE")
        # re-allocation of C: the order becomes allocated
        o = self.fo_op(ref, c, "update-location", {"location_id": "WH-1"}, "PATCH")
        self.assertEqual((self.fo_of(o, "PFO-C")["status"], o["status"]), ("allocated", "allocated"))
        # split one unit of L1 off A to WH-2, then merge it back (after moving it to WH-1)
        o = self.fo_op(ref, a, "split", {"line_items": [{"id": "L1", "quantity": 1}], "location_id": "WH-2",
                                         "partner_fulfillment_order_reference": "PFO-B"})
        b = self.fo_of(o, "PFO-B")["fulfillment_order_id"]
        self.assertEqual(self.fo_of(o, "PFO-B")["delivery_address"]["city"], "Dubai")
        r = self.relay.post("/orders/%s/fulfillment-orders/merge?key=partner_order_reference" % ref,
                            {"source": {"fulfillment_order_id": b}, "destination": {"fulfillment_order_id": a}})
        self.assertEqual((r.status, r.json["error"]["code"]), (409, "operation_refused"))
        self.assertIn("update-location", r.json["error"]["message"])
        self.fo_op(ref, b, "update-location", {"location_id": "WH-1"}, "PATCH")
        o = self.call("POST", "/orders/%s/fulfillment-orders/merge?key=partner_order_reference" % ref,
                      {"source": {"partner_fulfillment_order_reference": "PFO-B"},
                       "destination": {"fulfillment_order_id": a}})
        self.assertNotIn(b, [f["fulfillment_order_id"] for f in o["fulfillment_orders"]])
        # fulfil one unit of L1 (partial), then ship that unit again
        o = self.fo_op(ref, a, "fulfill", {"line_items": [{"id": "L1", "quantity": 1}],
                                           "pre_booking_info": {"carrier_tracking_no": "TRK-FO-1"}})
        fa = self.fo_of(o, "PFO-A")
        self.assertEqual(sorted((l["id"], l["status"], l["quantity"]) for l in fa["line_items"]),
                         [("L1", "allocated", 1), ("L1", "fulfilled", 1), ("L2", "allocated", 1)])
        self.assertEqual((fa["status"], o["status"]), ("processing", "processing"))
        fid = [l for l in fa["line_items"] if l["status"] == "fulfilled"][0]["fulfillment_id"]
        ship = [s for s in o["shipments"] if s.get("tracking_no") == "TRK-FO-1"][0]
        self.assertEqual((ship["status"], ship["fulfillment_id"]), ("pending", fid))
        r = self.relay.post("/orders/%s/fulfillment-orders/%s/fulfill?key=partner_order_reference" % (ref, a),
                            {"line_items": [{"id": "L1", "quantity": 2}]})
        self.assertEqual(r.status, 409)
        self.assertIn("ship", r.json["error"]["message"])
        o = self.fo_op(ref, a, "ship", {"line_items": [{"id": "L1", "quantity": 1}]}, query="&create_draft_shipment=true")
        self.assertEqual([s["status"] for s in o["shipments"]], ["pending", "draft"])
        # references: one call, two triggers; then Carriyo's deprecated alias
        o = self.fo_op(ref, a, "update-partner-references", {"partner_fulfillment_order_reference": "PFO-A2",
                                                             "fulfillments": [{"fulfillment_id": fid,
                                                                               "partner_fulfillment_reference": "WMS-1"}]},
                       "PATCH")
        self.fo_op(ref, a, None, {"partner_fulfillment_order_reference": "PFO-A3"}, "PATCH")
        # processing: no new delivery method for A
        r = self.relay.request("PATCH", "/orders/%s/fulfillment-orders/%s/update-delivery-method?key=partner_order_reference"
                               % (ref, a), body={"delivery_method": "COLLECTION"})
        self.assertEqual(r.status, 409)
        self.assertIn("unfulfill", r.json["error"]["message"])
        # C: address, schedule, then delivery method
        o = self.fo_op(ref, c, "update-address", {"address": {"city": "Sharjah", "country": "AE"}}, "PATCH")
        self.assertEqual(self.fo_of(o, "PFO-C")["delivery_address"]["city"], "Sharjah")
        o = self.fo_op(ref, c, "update-schedule", {"scheduled_from": "2026-05-04T09:00:00+04:00",
                                                   "scheduled_to": "2026-05-04T12:00:00+04:00"}, "PATCH")
        o = self.fo_op(ref, c, "update-delivery-method", {"delivery_method": "COLLECTION",
                                                          "address": {"partner_location_id": "STORE-9"}}, "PATCH")
        fc = self.fo_of(o, "PFO-C")
        self.assertEqual((fc["delivery_method"], fc["delivery_address"], fc["delivery_schedule"]), ("COLLECTION", None, None))
        self.assertEqual(fc["customer_collection_address"]["partner_location_id"], "STORE-9")
        # unfulfill by fulfillment id: lines back, both shipments (pending, draft) cancelled
        o = self.fo_op(ref, a, "unfulfill", {"fulfillment_ids": [fid]})
        self.assertEqual(sorted((l["id"], l["status"], l["quantity"]) for l in self.fo_of(o, "PFO-A3")["line_items"]),
                         [("L1", "allocated", 2), ("L2", "allocated", 1)])
        self.assertEqual([s["status"] for s in o["shipments"]], ["cancelled", "cancelled"])
        # cancel C's line, fulfil all of A: the order is fulfilled
        o = self.fo_op(ref, c, "cancel", {"cancellation_reason": "INVENTORY_OUT_OF_STOCK", "line_items": [{"id": "L3"}]})
        self.assertEqual(self.fo_of(o, "PFO-C")["status"], "cancelled")
        self.assertEqual([l for l in o["line_items"] if l["id"] == "L3"][0]["removed_quantities"], 1)
        o = self.fo_op(ref, a, "fulfill", {"line_items": [{"id": "L1"}, {"id": "L2"}],
                                           "pre_booking_info": {"carrier_tracking_no": "TRK-FO-2"}})
        self.assertEqual(o["status"], "fulfilled")
        # the carrier delivers: lines, fulfillment order and order close
        o = self.call("POST", "/orders/shipment-status-update", {
            "references": {"partner_order_reference": ref}, "post_shipping_info": {"status": "delivered",
                                                                                   "tracking_no": "TRK-FO-2"}})
        self.assertEqual(o["status"], "closed")
        # another order, cancelled
        self.call("POST", "/orders", carriyo_order("PO-FO-2"), 201)
        self.call("POST", "/orders/PO-FO-2/cancel?key=partner_order_reference",
                  {"cancellation_reason": "customer changed their mind"})
        o = self.call("GET", "/orders/PO-FO-2?key=partner_order_reference")
        self.assertEqual((o["cancellation_reason"], o["cancellation"]["reason"]), ("OTHER", "customer changed their mind"))

        want = ["ORDER_CREATE", "ORDER_UPDATE", "FULFILLMENT_ORDER_UPDATE_LOCATION", "FULFILLMENT_ORDER_ALLOCATE",
                "FULFILLMENT_ORDER_SPLIT", "FULFILLMENT_ORDER_UPDATE_LOCATION", "FULFILLMENT_ORDER_MERGE",
                "FULFILLMENT_ORDER_FULFILL", "FULFILLMENT_ORDER_SHIP_LINE_ITEMS",
                "FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_ORDER_REFERENCE",
                "FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_REFERENCES",
                "FULFILLMENT_ORDER_UPDATE_PARTNER_FULFILLMENT_ORDER_REFERENCE",
                "FULFILLMENT_ORDER_UPDATE_ADDRESS", "FULFILLMENT_ORDER_UPDATE_SCHEDULE",
                "FULFILLMENT_ORDER_UPDATE_DELIVERY_METHOD",
                "FULFILLMENT_ORDER_UNFULFILL", "FULFILLMENT_ORDER_ALLOCATE",  # the order is allocated again
                "FULFILLMENT_ORDER_CANCEL_LINE_ITEMS", "FULFILLMENT_ORDER_FULFILL",
                "ORDER_SHIPMENT_STATUS_UPDATE", "ORDER_CLOSED"]
        self.wait_triggers(ref, want)
        self.wait_triggers("PO-FO-2", ["ORDER_CREATE", "ORDER_CANCEL"])
        self.assertEqual(set(want) | {"ORDER_CANCEL"}, ALL_TRIGGERS)
        events = [e for e in self.carriyo.events if e["new"]["partner_order_reference"] == ref]
        self.assertEqual([e["operation"] for e in events], ["INSERT"] + ["MODIFY"] * (len(events) - 1))
        self.assertIsNone(events[0]["old"])
        self.assertEqual((events[-1]["old"]["status"], events[-1]["new"]["status"]), ("fulfilled", "closed"))
        self.assertEqual(self.carriyo.refused, [])
        # the same events in shiprelay's body, every delivery verified by the standardwebhooks library
        got = self.std.wait_for("/std", 23)
        self.assertTrue(all(g["verified"] for g in got))
        mine = [json.loads(g["body"]) for g in got]
        self.assertEqual([m["trigger"] for m in mine if m["data"]["newImage"]["partner_order_reference"] == ref], want)
        self.assertIn("order.fulfillment_order_split", [m["type"] for m in mine])
        # Carriyo's envelope is signed too; event_types may name triggers
        signed = self.std.wait_for("/signed-carriyo", 3)
        self.assertTrue(all(s["verified"] for s in signed))
        self.assertEqual([json.loads(s["body"])["trigger"] for s in signed][:2], ["ORDER_CREATE", "FULFILLMENT_ORDER_SPLIT"])
        self.assertEqual(signed[1]["headers"]["trigger"], "FULFILLMENT_ORDER_SPLIT")
        # refusals are on record
        refused = [l for l in self.call("GET", "/orders/%s/change-logs?key=partner_order_reference" % ref)
                   if l["change_type"] == "OPERATION_REFUSED"]
        self.assertEqual([l["field"] for l in refused], ["merge", "fulfill", "update-delivery-method"])

    def test_refusals_and_bad_requests(self):
        ref = "PO-FO-BAD"
        o = self.call("POST", "/orders", carriyo_order(ref, fulfillment_orders=[
            {"location_id": "WH-1", "line_items": [{"id": "L1"}, {"id": "L2"}]}]), 201)
        a = o["fulfillment_orders"][0]["fulfillment_order_id"]
        self.fo_op(ref, "NOPE", "fulfill", {"line_items": [{"id": "L1"}]}, status=404)
        self.fo_op(ref, a, "fulfill", {}, status=400)
        self.fo_op(ref, a, "fulfill", {"line_items": [{"id": "L9"}]}, status=400)
        self.fo_op(ref, a, "fulfill", {"line_items": [{"id": "L1"}]}, status=400, query="&skip_shipping=maybe")
        self.fo_op(ref, a, "cancel", {"line_items": [{"id": "L1"}]}, status=400)  # cancellation_reason required
        self.fo_op(ref, a, "update-location", {}, "PATCH", status=400)
        self.call("POST", "/orders/NOPE/fulfillment-orders/%s/fulfill" % a, {"line_items": [{"id": "L1"}]}, 404)
        self.call("POST", "/orders/%s/fulfillment-orders/%s/fulfill?key=partner_order_reference&merchant=OTHER" % (ref, a),
                  {"line_items": [{"id": "L1"}]}, 404)
        o = self.fo_op(ref, a, "fulfill", {"line_items": [{"line_item_id": "L1"}]}, query="&skip_shipping=true")
        self.assertEqual([l["status"] for l in o["fulfillment_orders"][0]["line_items"] if l["id"] == "L1"], ["closed"])
        r = self.relay.post("/orders/%s/fulfillment-orders/%s/cancel?key=partner_order_reference" % (ref, a),
                            {"cancellation_reason": "OTHER"})
        self.assertEqual(r.status, 409)
        self.assertIn("unfulfilled", r.json["error"]["message"])
        r = self.relay.post("/orders/%s/fulfillment-orders/%s/unfulfill?key=partner_order_reference" % (ref, a), {})
        self.assertEqual(r.status, 409)  # closed lines are delivered: nothing to unfulfill
        self.call("PATCH", "/orders/%s?key=partner_order_reference" % ref, {"order_date": "soon"}, 400)
        self.call("PATCH", "/orders/%s?key=partner_order_reference" % ref, {"partner_order_reference": "PO-FO"}
                  if False else {"line_items": []}, 400)
        # a PATCH that changes nothing is 200 and fires nothing; taking another order's reference is 409
        before = self.call("GET", "/orders/%s?key=partner_order_reference" % ref)
        same = self.call("PATCH", "/orders/%s?key=partner_order_reference" % ref, {"language": before["language"]})
        self.assertEqual(same["update_date"], before["update_date"])
        self.call("POST", "/orders", carriyo_order("PO-FO-TAKEN"), 201)
        r = self.relay.request("PATCH", "/orders/%s?key=partner_order_reference" % ref,
                               body={"partner_order_reference": "PO-FO-TAKEN"})
        self.assertEqual((r.status, r.json["error"]["code"]), (409, "order_exists"))
        o = self.call("PATCH", "/orders/%s?key=partner_order_reference" % ref, {"partner_order_reference": "PO-FO-NEW"})
        self.assertEqual(self.call("GET", "/orders/PO-FO-NEW?key=partner_order_reference")["order_id"], o["order_id"])
        self.assertEqual(self.relay.get("/orders/%s?key=partner_order_reference" % ref).status, 404)


if __name__ == "__main__":
    unittest.main()
