"""The web console in headless Chromium (issue 13). The relay is filled
through the API: an order with a delivered shipment, a dead letter, a hook
source with a parked event and a refusal, a stuck order, and, in every
free-text field the console shows (order fields, references, customer
names, line items, fulfillment orders, shipments and their statuses, the
change log, a partner's system-log entry and its bodies, an endpoint's
description, hook payloads and the errors they cause), a payload that would
call window.__xss if it ever ran. console_browser.js then drives the
console through puppeteer-core and reports back; screenshots of every view
are kept under the build dir (tests/artifacts/console/) and their paths
printed."""
import json
import os
import subprocess
import time
import unittest
import urllib.parse

from relay import BIN, Relay, order_body, shipment_update
from webhooks import Receiver

HERE = os.path.dirname(os.path.abspath(__file__))
ADMIN = "admin-key-0123456789abcdef"
WMS_TOKEN = "wms-token-0123456789"
MARK = "XSS-MARK"
PAYLOAD = (MARK + '<script>__xss("script")</script>"><img src=x onerror=__xss("img")>'
           "<svg onload=__xss('svg')><a href=javascript:__xss('href')>x</a>")
SHORT = MARK + "<img src=x onerror=__xss(9)>"  # where at most 64 bytes fit (a shipment status)
ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(BIN)), "tests", "artifacts", "console")
CONF = """[console]
admin_key = %s
[orders]
stuck_before_fulfillment = 1
stuck_in_fulfillment = 1
[webhooks]
retry_schedule = 0
allow_private = 127.0.0.0/8
timeout = 2
connect_timeout = 1
[tenant "gamma"]
api_key = gamma-key-0123456789
client_id = gamma-oms
client_secret = gamma-secret-0123456789
require_oauth = yes
[source "acme/wh"]
adapter = wms
token = %s
""" % (ADMIN, WMS_TOKEN)


def q(s):
    return urllib.parse.quote(s, safe="")


class ConsoleBrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        cls.relay = Relay(extra=CONF).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.relay.close()
        finally:
            cls.receiver.close()

    def ok(self, r, status=(200, 201, 202)):
        self.assertIn(r.status, status if isinstance(status, tuple) else (status,), r)
        return r.json

    def fill(self):
        relay, X = self.relay, PAYLOAD
        self.receiver.configure("/dead", "status:500")
        ep = self.ok(relay.post("/webhooks/endpoints", {
            "url": self.receiver.url("/dead"), "event_types": ["order.created"], "description": "hooks " + X,
            "headers": {"X-Note": X}}))
        # the order the browser finds: created, in transit, delivered
        a = self.ok(relay.post("/orders", order_body("PO-CONSOLE-1")))
        for status, day in (("in_transit", 21), ("delivered", 22)):
            self.ok(relay.post("/orders/shipment-status-update", shipment_update(
                "PO-CONSOLE-1", status, "S-PO-CONSOLE-1", post_shipping_info={
                    "status": status, "status_date": "2026-11-%dT10:00:00Z" % day})))
        # the payloads, in every free-text field of an order and what hangs off it
        ref = "REF-" + X
        b = self.ok(relay.post("/orders", {
            "partner_order_reference": ref, "merchant": "M-" + X, "sub_status": X, "sales_channel": X,
            "customer": {"name": X, "email": X}, "customer_key": X,
            "line_items": [{"line_item_id": "L1", "sku": X, "quantity": 1}],
            "fulfillment_orders": [{
                "fulfillment_order_id": "FO-" + X, "partner_fulfillment_order_reference": X, "location": {"id": X},
                "line_items": ["L1"],
                "shipments": [{"partner_shipment_reference": "S-" + X, "tracking_no": "T-" + X,
                               "line_items": ["L1"]}]}]}))
        self.ok(relay.post("/orders/shipment-status-update", {
            "references": {"partner_order_reference": ref, "partner_shipment_reference": "S-" + X},
            "post_shipping_info": {"status": SHORT, "status_date": "2026-11-21T10:00:00Z", "description": X}}))
        self.ok(relay.request("PATCH", "/orders/%s?key=partner_order_reference" % q(ref), body={"language": X}))
        self.ok(relay.post("/orders/%s/system-logs?key=partner_order_reference" % q(ref), {
            "event_type": "INTERNAL", "request_type": X, "source_type": X, "source_id": X, "request_method": X,
            "request_url": "http://partner.example/" + X, "correlation_id": X, "request_time": "2026-11-21T10:00:00Z",
            "response_code": 500, "request_headers": {"X-Note": X}, "response_headers": {"X-Note": X},
            "request_body": X, "response_body": {"note": X}}), 201)
        # hook payloads: an event no order matches (parked), and a body that is not JSON
        hook = lambda body: relay.post("/hooks/acme/wh", raw=body.encode(), auth=False, headers={
            "Content-Type": "application/json", "x-api-key": WMS_TOKEN})
        self.ok(hook(json.dumps({"event_id": X, "partner_order_reference": "PARK-" + X, "fulfillment_order_id": X,
                                 "type": "PACKED", "message": X, "date": "2026-11-20T08:00:00Z"})))
        self.assertEqual(hook("{" + X).status, 400)
        self.ok(hook(json.dumps({"event_id": "fo-" + X, "partner_order_reference": ref, "fulfillment_order_id": "FO-" + X,
                                 "type": "FULFILLMENT_ACCEPTED", "message": X, "date": "2026-11-20T09:00:00Z"})))
        fo = relay.get("/orders/%s?key=partner_order_reference" % q(ref)).json["fulfillment_orders"][0]
        self.assertEqual(fo["events"][0]["message"], X)
        for i in range(27):  # beta's orders take two pages
            self.assertEqual(relay.post("/orders", order_body("PO-BETA-%02d" % i), tenant="beta").status, 201)
        # the two order.created messages die (one attempt, answered 500); then the receiver recovers
        deadline = time.time() + 20
        while time.time() < deadline:
            dead = relay.get("/webhooks/messages?status=dead&endpoint_id=" + ep["id"]).json["data"]
            if len(dead) == 2:
                break
            time.sleep(0.05)
        self.assertEqual(len(dead), 2, dead)
        self.receiver.configure("/dead", "ok")
        time.sleep(1.1)  # both orders are stuck after a second
        self.assertEqual(len(relay.get("/ops/stuck").json["data"]), 2)
        msg = [m for m in dead if m["order_id"] == a["order_id"]][0]
        return {"order_ref": "PO-CONSOLE-1", "xss_order_id": b["order_id"], "dead_message_id": msg["id"]}

    def test_console_in_a_browser(self):
        made = self.fill()
        cfg = dict(made, base="http://127.0.0.1:%d" % self.relay.port, tenant="acme",
                   key="acme-key-0123456789", admin_key=ADMIN, marker=MARK, artifacts=ARTIFACTS,
                   oauth={"tenant": "gamma", "key": "gamma-key-0123456789", "client_id": "gamma-oms",
                          "client_secret": "gamma-secret-0123456789"})
        t0 = time.time()
        p = subprocess.run(["node", os.path.join(HERE, "console_browser.js")], cwd=HERE, capture_output=True,
                           text=True, timeout=120, env=dict(os.environ, CONSOLE_TEST=json.dumps(cfg)))
        took = time.time() - t0
        try:
            report = json.loads(p.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            self.fail("console_browser.js said:\n%s\n%s" % (p.stdout, p.stderr[-3000:]))
        print("\nconsole screenshots (%.1f s in the browser):\n  %s" % (took, "\n  ".join(report["screenshots"])))
        self.assertEqual(p.returncode, 0, json.dumps(report, indent=1) + p.stderr[-3000:])
        self.assertEqual(report.get("error"), None)
        # nothing ran, nothing was injected, nothing was blocked, nothing broke
        self.assertEqual(report["xss_calls"], [])
        self.assertEqual(report["dom_findings"], [])
        self.assertEqual(report["csp_violations"], [])
        self.assertEqual(report["page_errors"], [])
        self.assertEqual(report["refused_signin"], 2)  # the wrong key, and a key without the required token
        # the payloads were shown, as text
        self.assertTrue(report["orders_show_marker"])
        self.assertGreaterEqual(report["payload_text_shown"], 15, report["payload_text_shown"])
        self.assertTrue(report["hook_error_shown"])
        # the walk: found the order, its timeline, its body shown and downloaded, the dead letter delivered
        self.assertEqual(report["order_reference"], "PO-CONSOLE-1")
        self.assertEqual(report["timeline"], ["in_transit", "delivered"])
        self.assertIn('"partner_order_reference": "PO-CONSOLE-1"', report["body_shown"])
        self.assertEqual(report["downloaded"], report["body_shown"])
        self.assertEqual(report["retried"], "delivered")
        self.assertEqual(report["retried_row"], ["2", "200"])  # the row followed the message
        self.assertIn("1 message(s) queued again", report["recovered"])
        self.receiver.wait_for("/dead", 4)  # two refused, then the retry and the recovery delivered
        self.assertEqual(self.relay.get("/webhooks/messages/" + made["dead_message_id"]).json["status"], "delivered")
        self.assertEqual(report["operator_tenants"], ["acme", "beta", "gamma"])
        self.assertEqual(report["second_page"], ["PO-BETA-01", "PO-BETA-00"])  # newest first
        self.assertTrue(report["filtered"])
        self.assertEqual((report["oauth_tenant"], report["secret_kept"]), ("gamma", False))
        # keys stay in headers and in the tab
        self.assertEqual(report["key_in_url"], [])
        self.assertTrue(report["session_storage_only"])
        self.assertEqual(len(report["screenshots"]), 14)
        for f in report["screenshots"]:
            self.assertGreater(os.path.getsize(f), 1000, f)
        self.assertLess(took, 60)


if __name__ == "__main__":
    unittest.main()
