"""Allocation (seed 000 "Allocation timing"): per-tenant rules place an
order's lines as it lands (one fulfillment order per location, with the
request's delivery members), lines no rule matches leave
auto_allocation_failed and the reason in error_details, and open lines are
allocated later on demand, by the rules or to a location given."""
import unittest

from carriyo import carriyo_order
from relay import Relay

RULES = ('[tenant "acme"]\nallocation_rule = WH-DXB country=AE sku=MUG-,TEA-\n'
         'allocation_rule = WH-RUH country=SA\n'
         '[webhooks]\nallow_private = 127.0.0.0/8\n')
LINES = (("L1", "MUG-RED", 2), ("L2", "TEA-GREEN", 1), ("L3", "BOOK-1", 1))


class AllocationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(extra=RULES).start()
        cls.relay.post("/webhooks/endpoints", {"url": "http://127.0.0.1:9/nowhere", "payload_format": "carriyo"})

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    def triggers(self, order_id):
        msgs = self.relay.get("/webhooks/messages?limit=1000").json["data"]
        return [m["trigger"] for m in msgs if m["order_id"] == order_id]

    def allocate(self, ref, body, status=200, tenant="acme"):
        r = self.relay.post("/orders/%s/fulfillment-orders/allocate?key=partner_order_reference" % ref, body,
                            tenant=tenant)
        self.assertEqual(r.status, status, r)
        return r.json

    def test_at_ingestion_then_on_demand(self):
        r = self.relay.post("/orders", carriyo_order("PO-AL-1", lines=LINES))
        self.assertEqual(r.status, 201, r)
        o = r.json
        self.assertEqual(len(o["fulfillment_orders"]), 1)
        fo = o["fulfillment_orders"][0]
        self.assertEqual((fo["location_id"], fo["status"], fo["delivery_method"]), ("WH-DXB", "allocated", "DELIVERY"))
        self.assertEqual(fo["delivery_address"]["country"], "AE")
        self.assertEqual(fo["delivery_schedule"]["scheduled_from"], "2026-05-03T09:00:00+04:00")
        self.assertEqual([(l["id"], l["quantity"]) for l in fo["line_items"]], [("L1", 2), ("L2", 1)])
        self.assertTrue(o["auto_allocation_failed"])
        self.assertEqual(o["error_details"], [{"code": "AUTO_ALLOCATION_FAILED",
                                               "message": 'no allocation rule matches line item "L3"',
                                               "line_item_ids": ["L3"]}])
        self.assertEqual(o["status"], "partially_allocated")
        self.assertEqual(o["pending_delivery"]["delivery_address"]["country"], "AE")
        # on demand, to a location given: the same delivery members, the flag cleared
        o = self.allocate("PO-AL-1", {"location_id": "WH-BOOKS", "line_items": [{"id": "L3"}]})
        books = [f for f in o["fulfillment_orders"] if f["location_id"] == "WH-BOOKS"][0]
        self.assertEqual((books["status"], books["delivery_address"]["country"]), ("allocated", "AE"))
        self.assertEqual((o["auto_allocation_failed"], o["error_details"], o["status"]), (False, [], "allocated"))
        self.assertNotIn("pending_delivery", o)
        again = self.allocate("PO-AL-1", {})
        self.assertEqual(again["update_date"], o["update_date"])  # nothing open: nothing changes
        self.assertEqual(self.triggers(o["order_id"]), ["ORDER_CREATE", "FULFILLMENT_ORDER_ALLOCATE"])
        logs = self.relay.get("/orders/PO-AL-1/change-logs?key=partner_order_reference").json
        self.assertEqual([l["change_type"] for l in logs if l["change_type"] == "ALLOCATION"], ["ALLOCATION"] * 2)

    def test_rules_by_country_and_supplied_fulfillment_orders(self):
        o = self.relay.post("/orders", carriyo_order("PO-AL-SA", lines=LINES, country="SA")).json
        self.assertEqual([f["location_id"] for f in o["fulfillment_orders"]], ["WH-RUH"])
        self.assertEqual((o["status"], o["auto_allocation_failed"]), ("allocated", False))
        o = self.relay.post("/orders", carriyo_order("PO-AL-GIVEN", lines=LINES, fulfillment_orders=[
            {"location_id": "WH-OWN", "line_items": [{"id": "L1"}]}])).json
        self.assertEqual([f["location_id"] for f in o["fulfillment_orders"]], ["WH-OWN"])  # not re-allocated
        self.assertFalse(o["auto_allocation_failed"])
        # a deferred rule run with the delivery members given now
        o = self.allocate("PO-AL-GIVEN", {"delivery_method": "DELIVERY", "delivery_address": {"country": "SA"}})
        self.assertEqual(sorted(f["location_id"] for f in o["fulfillment_orders"]), ["WH-OWN", "WH-RUH"])
        self.assertEqual(o["status"], "allocated")

    def test_without_rules(self):
        o = self.relay.post("/orders", carriyo_order("PO-AL-B"), tenant="beta").json
        self.assertEqual((o["status"], o["fulfillment_orders"], o["auto_allocation_failed"]), ("open", [], False))
        r = self.allocate("PO-AL-B", {}, 409, tenant="beta")
        self.assertIn("location_id", r["error"]["message"])
        self.allocate("PO-AL-B", {"location_id": 5}, 400, tenant="beta")
        self.allocate("PO-AL-B", {"line_items": [{"id": "L9"}]}, 400, tenant="beta")
        o = self.allocate("PO-AL-B", {"location_id": "WH-1"}, tenant="beta")
        self.assertEqual((o["status"], o["fulfillment_orders"][0]["location_id"]), ("allocated", "WH-1"))
        self.assertEqual(o["fulfillment_orders"][0]["delivery_address"]["city"], "Dubai")  # from the create request


if __name__ == "__main__":
    unittest.main()
