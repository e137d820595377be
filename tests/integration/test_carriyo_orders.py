"""The order as Carriyo returns it (fact sheet §3, seeds 001 and 004):
every member present, creation_source / update_source pointing at the
INBOUND system-log entry of the change, delivery members on fulfillment
orders, merchant scoping, GET /orders with its filters and pages, and
change logs as Carriyo's bare array."""
import time
import unittest

from carriyo import carriyo_order
from relay import Relay, TENANTS, order_body, shipment_update

MEMBERS = ["tenant", "order_id", "merchant", "partner_order_reference", "language", "order_date", "sales_channel",
           "creation_source", "update_source", "carriyo_metadata", "status", "sub_status", "auto_allocation_failed",
           "cancellation_reason", "billing_address", "customer", "customer_key", "payment", "redacted",
           "taxes_included", "duties_included", "discount_applications", "line_items", "fulfillment_orders",
           "shipping_lines", "error_details", "creation_date", "update_date"]
SOURCE = {"source_type", "source_id", "api_pattern", "request_type", "system_log_identifier"}


class CarriyoOrderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(extra='[tenant "beta"]\nchange_logs = object\n'
                                '[source "acme/wh"]\nadapter = wms\ntoken = wms-token-0123456789\n').start()

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    def inbound(self, ref, request_type):
        entries = self.relay.get("/orders/%s/system-logs?key=partner_order_reference&request_type=%s"
                                 % (ref, request_type)).json["data"]
        return [e for e in entries if e["event_type"] == "INBOUND"]

    def test_every_member_present_with_sources(self):
        fo = {"location_id": "WH-DXB", "partner_fulfillment_order_reference": "PFO-1",
              "line_items": [{"id": "L1", "quantity": 2}, {"id": "L2", "quantity": 1}]}
        r = self.relay.post("/orders", carriyo_order("PO-SHAPE", fulfillment_orders=[fo],
                                                     creation_source={"source_type": "MAGENTO"}))
        self.assertEqual(r.status, 201, r)
        o = r.json
        for m in MEMBERS:
            self.assertIn(m, o)
        self.assertEqual(o["merchant"], "ACCOUNT")
        self.assertEqual(o["order_date"], "2026-05-01T10:00:00Z")  # given without an offset: emitted with one
        self.assertEqual(o["customer_key"], "CUST-1")
        self.assertEqual((o["redacted"], o["auto_allocation_failed"], o["cancellation_reason"]), (False, False, None))
        self.assertEqual(o["status"], "allocated")
        self.assertNotIn("delivery_method", o)   # request-only: it lives on the fulfillment orders
        f = o["fulfillment_orders"][0]
        self.assertTrue(f["fulfillment_order_id"].startswith("FO"))
        self.assertEqual((f["location_id"], f["delivery_method"], f["status"]), ("WH-DXB", "DELIVERY", "allocated"))
        self.assertEqual(f["delivery_address"]["city"], "Dubai")
        self.assertEqual(f["delivery_schedule"]["scheduled_to"], "2026-05-03T12:00:00+04:00")
        self.assertEqual([(l["id"], l["quantity"], l["status"]) for l in f["line_items"]],
                         [("L1", 2, "allocated"), ("L2", 1, "allocated")])
        self.assertEqual([l["id"] for l in o["line_items"]], ["L1", "L2"])
        cs = o["creation_source"]
        self.assertEqual(set(cs), SOURCE)
        self.assertEqual((cs["source_type"], cs["request_type"], cs["api_pattern"]),
                         ("MAGENTO", "ORDER_CREATE", "POST /orders"))
        self.assertEqual(o["update_source"], cs)
        entry = self.inbound("PO-SHAPE", "ORDER_CREATE")
        self.assertEqual([e["identifier"] for e in entry], [cs["system_log_identifier"]])
        self.assertEqual(self.relay.get("/orders/PO-SHAPE?key=partner_order_reference").json, o)

    def test_update_source_is_rewritten_by_each_change(self):
        self.relay.post("/orders", order_body("PO-UPD"))
        o = self.relay.post("/orders/shipment-status-update", shipment_update("PO-UPD", "delivered", "S-PO-UPD")).json
        us = o["update_source"]
        self.assertEqual((us["source_type"], us["request_type"]), ("API", "ORDER_SHIPMENT_STATUS_UPDATE"))
        self.assertEqual(us["system_log_identifier"],
                         self.inbound("PO-UPD", "ORDER_SHIPMENT_STATUS_UPDATE")[0]["identifier"])
        self.assertEqual(o["creation_source"]["request_type"], "ORDER_CREATE")
        logs = self.relay.get("/orders/PO-UPD/change-logs?key=partner_order_reference").json
        self.assertIsInstance(logs, list)  # Carriyo's bare array
        self.assertEqual(logs[0]["update_source"]["request_type"], "ORDER_CREATE")
        self.assertEqual(logs[-1]["update_source"], us)
        o = self.relay.post("/orders/PO-UPD/cancel?key=partner_order_reference", {"cancellation_reason": "X"})
        self.assertEqual(o.status, 409)  # refused: nothing changed
        self.assertEqual(self.relay.get("/orders/PO-UPD?key=partner_order_reference").json["update_source"], us)

    def test_update_source_of_a_hook(self):
        body = order_body("PO-HOOKSRC")
        body["line_items"][0]["status"] = body["line_items"][1]["status"] = "allocated"
        self.relay.post("/orders", body)
        r = self.relay.request("POST", "/hooks/acme/wh", auth=False, headers={"x-api-key": "wms-token-0123456789"},
                               body={"event_id": "e1", "partner_order_reference": "PO-HOOKSRC",
                                     "fulfillment_order_id": "FO-PO-HOOKSRC", "type": "PACKED"})
        self.assertEqual(r.status, 200, r)
        o = self.relay.get("/orders/PO-HOOKSRC?key=partner_order_reference").json
        us = o["update_source"]
        self.assertEqual((us["source_type"], us["source_id"], us["request_type"], us["api_pattern"]),
                         ("wms", "wh", "HOOK", "POST /hooks/{tenant}/{source}"))
        self.assertEqual(us["system_log_identifier"], self.inbound("PO-HOOKSRC", "HOOK")[0]["identifier"])

    def test_change_logs_envelope(self):
        self.relay.post("/orders", order_body("PO-ENV"))
        path = "/orders/PO-ENV/change-logs?key=partner_order_reference"
        self.assertIsInstance(self.relay.get(path).json, list)
        self.assertIsInstance(self.relay.get(path + "&envelope=array").json, list)
        self.assertIsInstance(self.relay.get(path + "&envelope=object").json["change_logs"], list)
        self.assertEqual(self.relay.get(path + "&envelope=xml").status, 400)
        self.relay.post("/orders", order_body("PO-ENV"), tenant="beta")  # change_logs = object for beta
        self.assertIsInstance(self.relay.get(path, tenant="beta").json["change_logs"], list)
        self.assertIsInstance(self.relay.get(path + "&envelope=array", tenant="beta").json, list)

    def test_merchant_scoping(self):
        o = self.relay.post("/orders", carriyo_order("PO-M1", merchant="SHOP-A")).json
        self.assertEqual(self.relay.post("/orders", carriyo_order("PO-M1", merchant="SHOP-B")).status, 409)
        ok = "/orders/PO-M1?key=partner_order_reference&merchant=SHOP-A"
        self.assertEqual(self.relay.get(ok).json["order_id"], o["order_id"])
        r = self.relay.get("/orders/%s?merchant=SHOP-B" % o["order_id"])
        self.assertEqual((r.status, r.json["error"]["code"]), (404, "order_not_found"))
        self.assertEqual(self.relay.get("/orders/PO-M1/change-logs?key=partner_order_reference&merchant=SHOP-B").status,
                         404)
        r = self.relay.post("/orders/PO-M1/cancel?key=partner_order_reference&merchant=SHOP-B",
                            {"cancellation_reason": "OTHER"})
        self.assertEqual(r.status, 404)
        self.assertEqual(self.relay.get(ok).json["status"], "open")

    def test_refusals_name_the_field(self):
        for extra, message in [({"order_date": "May 1"}, "order_date must be an ISO 8601 date-time"),
                               ({"delivery_method": "DRONE"}, "delivery_method must be DELIVERY, COLLECTION or DIGITAL"),
                               ({"merchant": ""}, "merchant must be a non-empty string"),
                               ({"carriyo_metadata": {"a": 1}}, "carriyo_metadata must be an array")]:
            r = self.relay.post("/orders", carriyo_order("PO-BAD", **extra))
            self.assertEqual(r.status, 400, r)
            self.assertIn(message, r.json["error"]["message"])
            self.assertEqual(r.json["errors"], [r.json["error"]["message"]])


class ListTest(unittest.TestCase):
    def test_filters_and_pages(self):
        with Relay() as relay:
            made = []
            for i, (merchant, key) in enumerate([("A", "C1"), ("B", "C2"), ("A", "C2"), ("A", None), ("B", "C1")]):
                body = carriyo_order("PO-L%d" % i, merchant=merchant)
                body["customer"]["customer_key"] = key
                made.append(relay.post("/orders", body).json)
                time.sleep(0.01)
            relay.post("/orders/PO-L1/cancel?key=partner_order_reference", {"cancellation_reason": "OTHER"})
            relay.post("/orders", carriyo_order("PO-OTHER"), tenant="beta")

            def refs(query=""):
                r = relay.get("/orders" + query)
                self.assertEqual(r.status, 200, r)
                return [o["partner_order_reference"] for o in r.json["data"]]

            self.assertEqual(refs(), ["PO-L0", "PO-L1", "PO-L2", "PO-L3", "PO-L4"])
            self.assertEqual(refs("?merchant=A"), ["PO-L0", "PO-L2", "PO-L3"])
            self.assertEqual(refs("?status=cancelled"), ["PO-L1"])
            self.assertEqual(refs("?status=open&merchant=B"), ["PO-L4"])
            self.assertEqual(refs("?customer_key=C2"), ["PO-L1", "PO-L2"])
            self.assertEqual(refs("?creation_date_from=%s&creation_date_to=%s" % (made[1]["creation_date"],
                                                                                   made[3]["creation_date"])),
                             ["PO-L1", "PO-L2", "PO-L3"])
            cancelled_at = relay.get("/orders/PO-L1?key=partner_order_reference").json["update_date"]
            self.assertEqual(refs("?update_date_from=" + cancelled_at), ["PO-L1"])
            self.assertEqual(refs("?update_date_to=2000-01-01"), [])
            self.assertEqual(refs("?sort_order=DESC&limit=2"), ["PO-L4", "PO-L3"])
            page = relay.get("/orders?limit=2").json
            self.assertEqual(len(page["data"]), 2)
            # no fulfillment order yet: the delivery members wait in pending_delivery
            self.assertEqual(set(page["data"][0]), set(MEMBERS) | {"shipments", "pending_delivery"})
            rest = relay.get("/orders?limit=2&after=%d" % page["next_after"]).json
            self.assertEqual([o["partner_order_reference"] for o in rest["data"]], ["PO-L2", "PO-L3"])
            last = relay.get("/orders?limit=2&after=%d" % rest["next_after"]).json
            self.assertEqual(([o["partner_order_reference"] for o in last["data"]], last["next_after"]), (["PO-L4"], None))
            desc = relay.get("/orders?sort_order=DESC&limit=2").json
            self.assertEqual(refs("?sort_order=DESC&limit=2&after=%d" % desc["next_after"]), ["PO-L2", "PO-L1"])
            self.assertEqual([o["partner_order_reference"] for o in relay.get("/orders", tenant="beta").json["data"]],
                             ["PO-OTHER"])
            for bad in ("?status=shipped", "?creation_date_from=yesterday", "?limit=0", "?sort_order=UP", "?after=x"):
                r = relay.get("/orders" + bad)
                self.assertEqual((r.status, r.json["error"]["code"]), (400, "invalid_parameter"), bad)


if __name__ == "__main__":
    unittest.main()
