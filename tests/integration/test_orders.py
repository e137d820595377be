"""POST /orders and GET /orders/{reference}: creation, lookup by either key,
tenant isolation, and every refusal with its status and JSON error."""
import http.client
import json
import urllib.parse
import unittest

from relay import Relay, order_body


class OrdersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay().start()

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    def assertError(self, r, status, code):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.headers.get("content-type"), "application/json")
        self.assertEqual(r.json["error"]["code"], code, r)
        self.assertTrue(r.json["error"]["message"])
        # Carriyo's envelope beside it: status as a string, a timestamp with its offset, errors[]
        self.assertEqual(r.json["status"], str(status))
        self.assertRegex(r.json["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(r.json["errors"], [r.json["error"]["message"]])

    def test_create_and_read_back(self):
        r = self.relay.post("/orders", order_body("PO-CREATE"))
        self.assertEqual(r.status, 201, r)
        o = r.json
        self.assertTrue(o["order_id"].startswith("ord_"))
        self.assertEqual(o["tenant"], "acme")
        self.assertEqual(o["status"], "fulfilled")
        self.assertEqual(o["fulfillment_orders"][0]["status"], "fulfilled")
        self.assertEqual([l["status"] for l in o["line_items"]], ["fulfilled", "fulfilled"])
        self.assertEqual(o["shipments"][0]["partner_shipment_reference"], "S-PO-CREATE")
        self.assertEqual(o["shipments"][0]["line_items"], [{"line_item_id": "L1"}])
        self.assertEqual(o["customer"]["name"], "Ada Lovelace")
        self.assertEqual(o["creation_date"], o["update_date"])
        by_id = self.relay.get("/orders/" + o["order_id"])
        self.assertEqual(by_id.status, 200)
        self.assertEqual(by_id.json, o)
        by_ref = self.relay.get("/orders/PO-CREATE?key=partner_order_reference")
        self.assertEqual(by_ref.json, o)
        explicit = self.relay.get("/orders/%s?key=order_id" % o["order_id"])
        self.assertEqual(explicit.json, o)

    def test_statuses_are_computed_not_taken(self):
        body = order_body("PO-COMPUTED")
        body["status"] = "closed"
        body["line_items"][0]["status"] = "allocated"
        body["line_items"][1]["status"] = "open"
        body["fulfillment_orders"][0]["status"] = "fulfilled"
        o = self.relay.post("/orders", body).json
        self.assertEqual(o["fulfillment_orders"][0]["status"], "partially_allocated")
        self.assertEqual(o["status"], "partially_allocated")

    def test_reference_with_reserved_characters(self):
        # every reference accepted at creation is addressable, percent-encoded in its path segment
        for ref in ("PO 7/8+9", "A/B/change-logs", "?#%&=;", "ré/f\u00fc", ".."):
            r = self.relay.post("/orders", order_body(ref))
            self.assertEqual(r.status, 201, r)
            path = "/orders/%s" % urllib.parse.quote(ref, safe="")
            got = self.relay.get(path + "?key=partner_order_reference")
            self.assertEqual((got.status, got.json["partner_order_reference"]), (200, ref), (ref, got))
            logs = self.relay.get(path + "/change-logs?key=partner_order_reference")
            self.assertEqual(logs.status, 200, (ref, logs))
            self.assertEqual(self.relay.get("/orders/%s" % urllib.parse.quote(r.json["order_id"])).status, 200)
            op = self.relay.post(path + "/cancel?key=partner_order_reference", {"cancellation_reason": "X"})
            self.assertEqual(op.status, 409, (ref, op))  # reached the order: it is fulfilled
        r = self.relay.post("/orders", order_body("PO 7+9"))
        got = self.relay.get("/orders/PO%207%2B9?key=partner_order_reference")
        self.assertEqual(got.status, 200, got)
        self.assertEqual(got.json["partner_order_reference"], "PO 7+9")

    def test_duplicate_reference_is_409_and_changes_nothing(self):
        first = self.relay.post("/orders", order_body("PO-DUP"))
        self.assertEqual(first.status, 201)
        again = self.relay.post("/orders", order_body("PO-DUP"))
        self.assertError(again, 409, "order_exists")
        self.assertIn("PO-DUP", again.json["error"]["message"])
        self.assertEqual(self.relay.get("/orders/PO-DUP?key=partner_order_reference").json, first.json)

    def test_tenants_are_isolated(self):
        a = self.relay.post("/orders", order_body("PO-SHARED")).json
        self.assertEqual(self.relay.get("/orders/" + a["order_id"], tenant="beta").status, 404)
        self.assertEqual(self.relay.get("/orders/PO-SHARED?key=partner_order_reference", tenant="beta").status, 404)
        b = self.relay.post("/orders", order_body("PO-SHARED"), tenant="beta")
        self.assertEqual(b.status, 201, b)
        self.assertNotEqual(b.json["order_id"], a["order_id"])
        self.assertEqual(self.relay.get("/orders/" + a["order_id"]).json["tenant"], "acme")

    def test_missing_order_is_404(self):
        self.assertError(self.relay.get("/orders/ord_nothing"), 404, "order_not_found")
        self.assertError(self.relay.get("/orders/nothing/change-logs?key=partner_order_reference"), 404,
                         "order_not_found")

    def test_bad_key_parameter(self):
        self.assertError(self.relay.get("/orders/x?key=sku"), 400, "invalid_parameter")

    def test_invalid_bodies_name_the_problem(self):
        cases = [
            ({"line_items": []}, "partner_order_reference is required"),
            ({"partner_order_reference": "P", "line_items": [{"line_item_id": "L", "sku": "S", "quantity": "1"}]},
             "line_items[0].quantity must be a positive integer"),
            ({"partner_order_reference": "P", "line_items": [{"line_item_id": "L", "sku": "S", "quantity": 1}],
              "fulfillment_orders": [{"fulfillment_order_id": "F", "line_items": ["NOPE"]}]},
             "fulfillment_orders[0].line_items[0] must name a line item of this order"),
            ({"partner_order_reference": "P", "line_items": [{"line_item_id": "L", "sku": "S", "quantity": 2}],
              "fulfillment_orders": [{"fulfillment_order_id": "F", "line_items": [{"line_item_id": "L", "quantity": 3}]}]},
             'fulfillment_orders[0].line_items[0].quantity is 3, more than line item "L" has (2)'),
        ]
        for body, message in cases:
            r = self.relay.post("/orders", body)
            self.assertError(r, 400, "invalid_field")
            self.assertEqual(r.json["error"]["message"], message)

    def test_malformed_json(self):
        for raw in (b"{", b"not json", b"[1,2]", b'{"a":1,"a":2}', b""):
            r = self.relay.request("POST", "/orders", raw=raw, headers={"Content-Type": "application/json"})
            self.assertError(r, 400, "invalid_json")

    def test_content_type_must_be_json(self):
        r = self.relay.request("POST", "/orders", raw=b'{"partner_order_reference":"x"}',
                               headers={"Content-Type": "text/plain"})
        self.assertError(r, 415, "unsupported_media_type")
        r = self.relay.request("POST", "/orders", raw=b"{}", headers={"Content-Type": "application/json; charset=utf-8"})
        self.assertError(r, 400, "invalid_field")

    def test_authentication(self):
        unauthorized = [
            self.relay.get("/orders/x", auth=False),
            self.relay.get("/orders/x", key="wrong-key-0123456789"),
            self.relay.get("/orders/x", tenant="beta", key="acme-key-0123456789"),
            self.relay.get("/orders/x", tenant="ghost", key="acme-key-0123456789"),
            self.relay.request("GET", "/orders/x", auth=False, headers={"x-api-key": "acme-key-0123456789"}),
        ]
        for r in unauthorized:
            self.assertError(r, 401, "unauthorized")
        # one message for every cause, so it never says which part was wrong
        self.assertEqual(len({json.dumps(r.json["error"]) for r in unauthorized}), 1)
        health = self.relay.get("/healthz", auth=False).json
        self.assertEqual((health["status"], health["database"]), ("ok", "ok"))

    def test_unknown_route_and_method(self):
        self.assertError(self.relay.get("/nope"), 404, "not_found")
        r = self.relay.request("DELETE", "/orders")
        self.assertError(r, 405, "method_not_allowed")
        self.assertEqual(r.headers["allow"], "POST, GET, HEAD")

    def test_body_limit(self):
        big = b'{"partner_order_reference":"' + b"x" * (1024 * 1024 + 10) + b'"}'
        r = self.relay.request("POST", "/orders", raw=big, headers={"Content-Type": "application/json"})
        self.assertError(r, 413, "payload_too_large")
        # the relay is unharmed and what it had is intact
        self.assertEqual(self.relay.post("/orders", order_body("PO-AFTER-413")).status, 201)

    def test_keep_alive_connection_serves_many(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.relay.port, timeout=10)
        for i in range(20):
            r = self.relay.post("/orders", order_body("PO-KA-%d" % i), conn=conn)
            self.assertEqual(r.status, 201, r)
        conn.close()


if __name__ == "__main__":
    unittest.main()
