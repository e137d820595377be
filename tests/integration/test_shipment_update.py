"""POST /orders/shipment-status-update (seeds 000 and 004) end to end: the
auto-close cascade, the Shopify exclusion, linking, repeats, late and unknown
statuses, and the change log that records it all."""
import unittest

from relay import Relay, order_body, shipment_update

SSU = "/orders/shipment-status-update"


def by_ref(relay, ref, tenant="acme"):
    return relay.get("/orders/%s?key=partner_order_reference" % ref, tenant=tenant)


def change_logs(relay, ref, desc=False):
    r = relay.get("/orders/%s/change-logs?key=partner_order_reference%s" % (ref, "&sort_order=DESC" if desc else ""))
    assert r.status == 200, r
    return r.json


class ShipmentStatusUpdateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(extra="[orders]\nno_autoclose_sources = shopify MAGENTO\n").start()

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    def create(self, ref, source="API"):
        r = self.relay.post("/orders", order_body(ref, source))
        self.assertEqual(r.status, 201, r)
        return r.json

    def test_delivered_closes_lines_then_fo_then_order(self):
        self.create("PO-CLOSE")
        # the first shipment carries L1 only: the order is not closed yet
        r = self.relay.post(SSU, shipment_update("PO-CLOSE", "delivered", "S-PO-CLOSE"))
        self.assertEqual(r.status, 200, r)
        o = r.json
        self.assertEqual([l["status"] for l in o["line_items"]], ["closed", "fulfilled"])
        self.assertEqual(o["fulfillment_orders"][0]["status"], "fulfilled")
        self.assertEqual(o["status"], "fulfilled")
        # a second shipment, linked by SKU on first sight, carries L2
        r = self.relay.post(SSU, shipment_update("PO-CLOSE", "delivered", "S2-PO-CLOSE",
                                                 items=[{"sku": "SKU-B", "quantity": 2}]))
        o = r.json
        self.assertEqual([l["status"] for l in o["line_items"]], ["closed", "closed"])
        self.assertEqual(o["fulfillment_orders"][0]["status"], "closed")
        self.assertEqual(o["status"], "closed")
        s2 = [s for s in o["shipments"] if s["partner_shipment_reference"] == "S2-PO-CLOSE"][0]
        self.assertEqual(s2["line_items"], [{"line_item_id": "L2"}])
        self.assertEqual(s2["link_source"], "sku")
        self.assertEqual(by_ref(self.relay, "PO-CLOSE").json, o)
        self.assertGreater(o["update_date"], o["creation_date"])
        types = [(e["entity_type"], e["entity_id"], e["new_value"]) for e in change_logs(self.relay, "PO-CLOSE")]
        self.assertEqual(types[0], ("order", o["order_id"], "PO-CLOSE"))
        for expected in [("shipment", "S-PO-CLOSE", "delivered"), ("line_item", "L1", "closed"),
                         ("line_item", "L2", "closed"), ("fulfillment_order", "FO-PO-CLOSE", "closed"),
                         ("order", o["order_id"], "closed")]:
            self.assertIn(expected, types)
        newest = change_logs(self.relay, "PO-CLOSE", desc=True)
        self.assertEqual(newest, list(reversed(change_logs(self.relay, "PO-CLOSE"))))
        self.assertEqual((newest[0]["field"], newest[0]["old_value"], newest[0]["new_value"]),
                         ("sub_status", "PARTIAL", None))  # one of two lines was delivered: it converged
        newest = [e for e in newest if e["field"] == "status"]
        self.assertEqual(newest[0]["entity_type"], "order")
        self.assertEqual(newest[0]["old_value"], "fulfilled")
        self.assertEqual(newest[0]["source"], "SHIPMENT_STATUS_UPDATE")

    def test_links_by_fulfillment_order_reference(self):
        self.create("PO-FOREF")
        body = shipment_update("PO-FOREF", "delivered", "S-NEW")
        body["references"]["fulfillment_order_id"] = "FO-PO-FOREF"
        o = self.relay.post(SSU, body).json
        new = [s for s in o["shipments"] if s["partner_shipment_reference"] == "S-NEW"][0]
        self.assertEqual(new["link_source"], "fulfillment_order")
        # L1 already travels in S-PO-FOREF, so only L2 is linked to the new one
        self.assertEqual(new["line_items"], [{"line_item_id": "L2"}])
        self.assertEqual([l["status"] for l in o["line_items"]], ["fulfilled", "closed"])

    def test_no_matching_order_is_200_with_empty_body(self):
        r = self.relay.post(SSU, shipment_update("PO-NOWHERE", "delivered", "S-NOWHERE"))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.raw, b"")
        # another tenant's order does not match either
        self.create("PO-ACME-ONLY")
        r = self.relay.post(SSU, shipment_update("PO-ACME-ONLY", "delivered", "S-PO-ACME-ONLY"), tenant="beta")
        self.assertEqual((r.status, r.raw), (200, b""))
        self.assertEqual(by_ref(self.relay, "PO-ACME-ONLY").json["status"], "fulfilled")

    def test_non_delivered_status_is_recorded_but_closes_nothing(self):
        before = self.create("PO-TRANSIT")
        r = self.relay.post(SSU, shipment_update("PO-TRANSIT", "in_transit", "S-PO-TRANSIT"))
        self.assertEqual(r.status, 200)
        o = r.json
        self.assertEqual(o["line_items"], before["line_items"])
        self.assertEqual(o["status"], before["status"])
        self.assertEqual(o["shipments"][0]["status"], "in_transit")
        self.assertEqual(o["shipments"][0]["status_history"][0]["status"], "in_transit")

    def test_excluded_sources_never_autoclose(self):
        for source in ("SHOPIFY", "Shopify", "magento"):
            ref = "PO-EXCL-" + source
            self.create(ref, source)
            o = self.relay.post(SSU, shipment_update(ref, "delivered", "S-" + ref)).json
            self.assertEqual(o["shipments"][0]["status"], "delivered", source)
            self.assertEqual([l["status"] for l in o["line_items"]], ["fulfilled", "fulfilled"], source)
            self.assertEqual(o["status"], "fulfilled", source)

    def test_delivered_twice_changes_nothing(self):
        self.create("PO-TWICE")
        first = self.relay.post(SSU, shipment_update("PO-TWICE", "delivered", "S-PO-TWICE"))
        logs = change_logs(self.relay, "PO-TWICE")
        second = self.relay.post(SSU, shipment_update("PO-TWICE", "DELIVERED", "S-PO-TWICE"))
        self.assertEqual(second.status, 200)
        self.assertEqual(second.json, first.json)
        self.assertEqual(change_logs(self.relay, "PO-TWICE"), logs)

    def test_a_status_that_comes_back_without_a_date_is_applied(self):
        self.create("PO-BACK")
        for status in ("in_transit", "delayed", "in_transit"):
            o = self.relay.post(SSU, shipment_update("PO-BACK", status, "S-PO-BACK")).json
        s = o["shipments"][0]
        self.assertEqual(s["status"], "in_transit")
        self.assertEqual([h["status"] for h in s["status_history"]], ["in_transit", "delayed", "in_transit"])

    def test_late_status_after_delivered_is_history(self):
        self.create("PO-LATE")
        body = shipment_update("PO-LATE", "delivered", "S-PO-LATE")
        body["post_shipping_info"]["status_date"] = "2026-05-02T10:00:00Z"
        self.relay.post(SSU, body)
        late = shipment_update("PO-LATE", "in_transit", "S-PO-LATE")
        late["post_shipping_info"]["status_date"] = "2026-05-01T10:00:00Z"
        o = self.relay.post(SSU, late).json
        s = o["shipments"][0]
        self.assertEqual(s["status"], "delivered")
        self.assertEqual([(h["status"], h["applied"]) for h in s["status_history"]],
                         [("delivered", True), ("in_transit", False)])
        self.assertEqual(o["line_items"][0]["status"], "closed")
        self.assertEqual(change_logs(self.relay, "PO-LATE", desc=True)[0]["change_type"], "SHIPMENT_STATUS_HISTORY")

    def test_unknown_status_is_informational(self):
        self.create("PO-ODD")
        r = self.relay.post(SSU, shipment_update("PO-ODD", "HANDED_TO_DRONE", "S-PO-ODD"))
        self.assertEqual(r.status, 200)
        s = r.json["shipments"][0]
        self.assertIsNone(s["status"])
        self.assertEqual(s["status_history"][0]["raw_status"], "HANDED_TO_DRONE")
        self.assertFalse(s["status_history"][0]["known"])

    def test_unknown_fields_are_tolerated(self):
        self.create("PO-RICH")
        body = shipment_update("PO-RICH", "delivered", "S-PO-RICH")
        body.update({"carrier_account": {"carrier": "ARAMEX"}, "pickup": {"address1": "x"}, "custom": [1, 2]})
        body["post_shipping_info"]["tracking_no"] = "TRK-PO-RICH"
        body["post_shipping_info"]["carrier_status"] = {"code": "DL"}
        r = self.relay.post(SSU, body)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["status"], "fulfilled")

    def test_bad_requests(self):
        cases = [
            ({"post_shipping_info": {"status": "delivered"}}, "references.partner_order_reference"),
            ({"references": {"partner_order_reference": "X"}}, "post_shipping_info.status"),
            ({"references": {"partner_order_reference": "X"}, "post_shipping_info": {"status": 5}},
             "post_shipping_info.status"),
            ({"references": "X", "post_shipping_info": {"status": "delivered"}}, "references.partner_order_reference"),
        ]
        for body, field in cases:
            r = self.relay.post(SSU, body)
            self.assertEqual(r.status, 400, r)
            self.assertEqual(r.json["error"]["code"], "invalid_field")
            self.assertIn(field, r.json["error"]["message"])
        r = self.relay.request("POST", SSU, raw=b'{"references":', headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json["error"]["code"], "invalid_json")

    def test_an_update_must_name_its_shipment_and_date(self):
        before = self.create("PO-NAMELESS")
        logs = change_logs(self.relay, "PO-NAMELESS")
        r = self.relay.post(SSU, shipment_update("PO-NAMELESS", "delivered"))
        self.assertEqual((r.status, r.json["error"]["code"]), (400, "invalid_field"), r)
        for field in ("partner_shipment_reference", "shipment_id", "tracking_no", "fulfillment_order_id", "items"):
            self.assertIn(field, r.json["error"]["message"])
        for date in ("yesterday", "2026-02-30T10:00:00Z", 1795000000):
            body = shipment_update("PO-NAMELESS", "delivered", "S-PO-NAMELESS")
            body["post_shipping_info"]["status_date"] = date
            r = self.relay.post(SSU, body)
            self.assertEqual(r.status, 400, (date, r))
            self.assertIn("post_shipping_info.status_date", r.json["error"]["message"])
        self.assertEqual(by_ref(self.relay, "PO-NAMELESS").json, before)
        self.assertEqual(change_logs(self.relay, "PO-NAMELESS"), logs)
        # named by its fulfillment order only, or by items: accepted
        body = shipment_update("PO-NAMELESS", "in_transit")
        body["references"]["fulfillment_order_id"] = "FO-PO-NAMELESS"
        self.assertEqual(self.relay.post(SSU, body).status, 200)


if __name__ == "__main__":
    unittest.main()
