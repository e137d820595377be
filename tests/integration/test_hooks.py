"""POST /hooks/{tenant}/{source} end to end: every fixture, signed with
Python's own hmac, posted to the running relay, moves the order it names;
bad credentials, duplicates, out-of-order and unmapped statuses, callbacks
that arrive before their order, UPS's token endpoint, warehouse holds."""
import base64
import glob
import hashlib
import hmac
import json
import os
import time
import unittest
import unicodedata

from relay import Relay

SRC = os.environ.get("SHIPRELAY_SOURCE", os.path.join(os.path.dirname(__file__), "../.."))
FIXTURES = os.path.join(SRC, "fixtures")


def manifests():
    out = {}
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*", "cases.json"))):
        with open(path) as f:
            out[os.path.basename(os.path.dirname(path))] = json.load(f)
    return out


MANIFESTS = manifests()


def source_config():
    text = ""
    for m in MANIFESTS.values():
        s = m["source"]
        text += '[source "%s/%s"]\nadapter = %s\n' % (s["tenant"], s["name"], s["adapter"])
        for sec in s.get("secrets", []):
            text += "secret = %s\n" % sec
        for key in ("token", "header", "client_id", "client_secret"):
            if key in s:
                text += "%s = %s\n" % (key, s[key])
    return text


def body_of(src, case):
    with open(os.path.join(FIXTURES, src, case["body"]), "rb") as f:
        return f.read()


def hexmac(key, data):
    return hmac.new(key, data, hashlib.sha256).hexdigest()


class HooksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(extra=source_config()).start()

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    # -- signing, done here independently of the relay's C code --

    def ups_token(self, name="ups"):
        m = MANIFESTS["ups"]["source"]
        basic = base64.b64encode(("%s:%s" % (m["client_id"], m["client_secret"])).encode()).decode()
        r = self.relay.request("POST", "/hooks/acme/%s/oauth/token" % name, auth=False, raw=b"grant_type=client_credentials",
                               headers={"Authorization": "Basic " + basic,
                                        "Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r)
        return r.json["access_token"]

    def signed(self, src, body, case=None):
        """Headers and query string that authenticate body for src now."""
        s = MANIFESTS[src]["source"]
        kind = s["adapter"]
        if kind == "aftership":
            mac = hmac.new(s["secrets"][0].encode(), body, hashlib.sha256).digest()
            return {"aftership-hmac-sha256": base64.b64encode(mac).decode()}, ""
        if kind == "easypost":
            key = unicodedata.normalize("NFKD", s["secrets"][0]).encode()
            return {"X-Hmac-Signature": "hmac-sha256-hex=" + hexmac(key, body)}, ""
        if kind == "shippo":
            t = int(time.time())
            return {"Shippo-Auth-Signature": "t=%d,v1=%s" % (t, hexmac(s["secrets"][0].encode(), b"%d." % t + body))}, ""
        if kind == "ups":
            return {"Authorization": "Bearer " + self.ups_token()}, ""
        headers = dict(case["headers"]) if case else {}
        if not case and "token" in s:
            headers[s.get("header") or {"carriyo-carrier": "api-key"}.get(kind, "x-api-key")] = s["token"]
        return headers, ""

    def post_hook(self, src, body, headers, query=""):
        name = MANIFESTS[src]["source"]["name"]
        return self.relay.request("POST", "/hooks/acme/%s%s" % (name, query), auth=False, raw=body,
                                  headers=dict(headers, **{"Content-Type": "application/json"}))

    def order(self, ref):
        r = self.relay.get("/orders/%s?key=partner_order_reference" % ref)
        self.assertEqual(r.status, 200, r)
        return r.json

    def create_order_for(self, ref, tracking=(), fo="FO-1", shipments_psr=None):
        ships = [{"partner_shipment_reference": "S-" + t, "tracking_no": t, "line_items": ["L1"]} for t in tracking]
        if shipments_psr:
            ships.append({"partner_shipment_reference": shipments_psr, "line_items": ["L1"]})
        body = {"partner_order_reference": ref, "line_items": [
            {"line_item_id": "L1", "sku": "SKU-A", "quantity": 1, "status": "fulfilled"},
            {"line_item_id": "L2", "sku": "SKU-B", "quantity": 1, "status": "allocated"}],
            "fulfillment_orders": [{"fulfillment_order_id": fo, "line_items": ["L1"], "shipments": ships},
                                   {"fulfillment_order_id": fo + "-B", "line_items": ["L2"]}]}
        r = self.relay.post("/orders", body)
        self.assertEqual(r.status, 201, r)
        return r.json

    # -- every fixture against the live relay --

    def test_every_fixture_moves_its_order(self):
        posted = set()
        for src, m in MANIFESTS.items():
            if src == "wms":
                continue  # warehouse events: test_wms_events
            cases = [c for c in m["cases"] if c["verify"] == "ok" and c.get("normalize") == "ok" and c.get("events")]
            events = [e for c in cases for e in c["events"]]
            ref = next((e["partner_order_reference"] for e in events if "partner_order_reference" in e), "PO-FIX-" + src)
            trks = sorted({e["tracking_no"] for e in events if "partner_shipment_reference" not in e})
            psr = next((e["partner_shipment_reference"] for e in events if "partner_shipment_reference" in e), None)
            self.create_order_for(ref, trks, shipments_psr=psr)
            for c in cases:
                body = body_of(src, c)
                headers, query = self.signed(src, body, c)
                if m["source"]["adapter"] == "shippo" and c.get("query"):
                    headers, query = {}, "?token=" + c["query"]["token"]
                r = self.post_hook(src, body, headers, query)
                self.assertEqual(r.status, 200, (src, c["name"], r))
                posted.add(src)
                self.assertEqual(r.json["received"], len(c["events"]), (src, c["name"], r))
                o = self.order(ref)
                for e in c["events"]:
                    ship = next(s for s in o["shipments"]
                                if s.get("tracking_no") == e["tracking_no"]
                                or (psr and s.get("partner_shipment_reference") == e.get("partner_shipment_reference")))
                    last = ship["status_history"][-1]
                    self.assertEqual(last.get("raw_status"), e["raw_status"], (src, c["name"]))
                    self.assertEqual(last.get("status"), e.get("status"), (src, c["name"]))
                    if "source_event_id" in e:
                        self.assertEqual(last.get("source_event_id"), e["source_event_id"])
            o = self.order(ref)
            delivered = [s for s in o["shipments"] if s["status"] == "delivered"]
            if delivered and any(l["line_item_id"] == "L1" for s in delivered for l in s["line_items"]):
                self.assertEqual(o["line_items"][0]["status"], "closed", src)
                self.assertEqual(o["fulfillment_orders"][0]["status"], "closed", src)
            logs = self.relay.get("/orders/%s/change-logs?key=partner_order_reference" % ref).json
            self.assertTrue(any(l["source"] == "hook:" + m["source"]["name"] for l in logs), src)
        self.assertEqual(posted, set(MANIFESTS) - {"wms"})

    def test_out_of_order_event_never_reopens_a_delivered_shipment(self):
        # aftership's fixtures post delivered, then an older in-transit
        src = "aftership"
        self.create_order_for("PO-OOO", ["AS-OOO-1"])
        delivered = json.dumps({"event": "tracking_update", "event_id": "ooo-1", "msg": {
            "tracking_number": "AS-OOO-1", "tag": "Delivered", "subtag": "Delivered_001",
            "updated_at": "2026-11-20T12:00:00Z"}}).encode()
        older = json.dumps({"event": "tracking_update", "event_id": "ooo-2", "msg": {
            "tracking_number": "AS-OOO-1", "tag": "InTransit", "subtag": "InTransit_001",
            "updated_at": "2026-11-19T12:00:00Z"}}).encode()
        for b in (delivered, older):
            self.assertEqual(self.post_hook(src, b, self.signed(src, b)[0]).status, 200)
        s = self.order("PO-OOO")["shipments"][0]
        self.assertEqual(s["status"], "delivered")
        self.assertEqual([(h["status"], h["applied"]) for h in s["status_history"]],
                         [("delivered", True), ("in_transit", False)])

    def test_replies_count_what_happened(self):
        src = "aftership"
        self.create_order_for("PO-COUNT", ["AS-COUNT-1"])

        def post(eid, tag, when, trk="AS-COUNT-1"):
            b = json.dumps({"event": "tracking_update", "event_id": eid, "msg": {
                "tracking_number": trk, "tag": tag, "updated_at": when}}).encode()
            r = self.post_hook(src, b, self.signed(src, b)[0])
            self.assertEqual(r.status, 200, r)
            return {k: v for k, v in r.json.items() if v}

        self.assertEqual(post("cnt-1", "Delivered", "2026-11-20T12:00:00Z"), {"received": 1, "applied": 1})
        # after a final status: recorded in the history, not applied
        self.assertEqual(post("cnt-2", "InTransit", "2026-11-19T12:00:00Z"), {"received": 1, "history_only": 1})
        # an unmapped status: history only as well
        self.assertEqual(post("cnt-3", "Expired", "2026-11-21T12:00:00Z"), {"received": 1, "history_only": 1})
        self.assertEqual(post("cnt-3", "Expired", "2026-11-21T12:00:00Z"), {"received": 1, "duplicates": 1})
        # the current status again under a new id: unchanged
        self.assertEqual(post("cnt-4", "Delivered", "2026-11-22T12:00:00Z"), {"received": 1, "unchanged": 1})
        self.assertEqual(post("cnt-5", "InTransit", "2026-11-19T12:00:00Z", "AS-COUNT-NONE"),
                         {"received": 1, "parked": 1})
        s = self.order("PO-COUNT")["shipments"][0]
        self.assertEqual([h["applied"] for h in s["status_history"]], [True, False, False])

    def test_bad_credentials_are_401_and_apply_nothing(self):
        self.create_order_for("PO-BADSIG", ["AS-BAD-1"])
        body = json.dumps({"event": "tracking_update", "event_id": "bad-1", "msg": {
            "tracking_number": "AS-BAD-1", "tag": "Delivered"}}).encode()
        for headers in ({}, {"aftership-hmac-sha256": "AAAA"}, self.signed("aftership", body + b" ")[0]):
            r = self.post_hook("aftership", body, headers)
            self.assertEqual(r.status, 401, r)
            self.assertEqual(r.json["error"]["code"], "invalid_signature")
        self.assertIsNone(self.order("PO-BADSIG")["shipments"][0]["status"])
        with open(self.relay.log) as f:
            self.assertIn("hook acme/aftership: refused", f.read())
        # a valid signature then goes through: nothing was remembered from the refusals
        r = self.post_hook("aftership", body, self.signed("aftership", body)[0])
        self.assertEqual(r.json["applied"], 1)

    def test_unknown_tenant_or_source_is_404(self):
        for path in ("/hooks/ghost/aftership", "/hooks/acme/fedex"):
            r = self.relay.request("POST", path, auth=False, raw=b"{}", headers={"Content-Type": "application/json"})
            self.assertEqual(r.status, 404)
            self.assertEqual(r.json["error"]["code"], "unknown_source")

    def test_malformed_bodies_with_good_signatures_are_400(self):
        for body, code in ((b'{"event": "tracking_update", "msg": {', "invalid_json"),
                           (b'{"event": "tracking_update", "msg": {"tracking_number": 7, "tag": "Delivered"}}', "invalid_payload"),
                           (b'[1, 2]', "invalid_payload")):
            r = self.post_hook("aftership", body, self.signed("aftership", body)[0])
            self.assertEqual(r.status, 400, r)
            self.assertEqual(r.json["error"]["code"], code)

    def test_the_same_callback_twice_changes_nothing(self):
        self.create_order_for("PO-TWICE-HOOK", ["1Z-TWICE"])
        body = json.dumps({"trackingNumber": "1Z-TWICE", "activityStatus": {"type": "I", "code": "OT"},
                           "gmtActivityDate": "20261120", "gmtActivityTime": "101010"}).encode()
        headers = self.signed("ups", body)[0]
        first = self.post_hook("ups", body, headers)
        self.assertEqual(first.json["applied"], 1, first)
        logs = self.relay.get("/orders/PO-TWICE-HOOK/change-logs?key=partner_order_reference").json
        second = self.post_hook("ups", body, headers)
        self.assertEqual((second.status, second.json["duplicates"]), (200, 1))
        self.assertEqual(self.relay.get("/orders/PO-TWICE-HOOK/change-logs?key=partner_order_reference").json, logs)

    def test_two_orders_events_are_never_merged(self):
        # Carriyo hooks for two orders' shipments: different event-id headers, no tracking number, no date
        for ref in ("PO-DD-1", "PO-DD-2"):
            self.create_order_for(ref, shipments_psr="S-" + ref)
        for n, ref in enumerate(("PO-DD-1", "PO-DD-2")):
            b = json.dumps({"references": {"partner_order_reference": ref, "partner_shipment_reference": "S-" + ref},
                            "post_shipping_info": {"status": "in_transit"}}).encode()
            r = self.post_hook("carriyo", b, dict(self.signed("carriyo", b)[0], **{"event-id": "cy-dd-%d" % n}))
            self.assertEqual((r.status, r.json["applied"], r.json["duplicates"]), (200, 1, 0), (ref, r))
            ship = [s for s in self.order(ref)["shipments"] if s.get("partner_shipment_reference") == "S-" + ref][0]
            self.assertEqual(ship["status"], "in_transit", ref)
        # the same event id again is a duplicate
        r = self.post_hook("carriyo", b, dict(self.signed("carriyo", b)[0], **{"event-id": "cy-dd-1"}))
        self.assertEqual(r.json["duplicates"], 1, r)
        # warehouse events for two orders that both have FO-1: same type and date, different event ids
        for ref in ("PO-WD-1", "PO-WD-2"):
            self.create_order_for(ref, fo="FO-1")
        for n, ref in enumerate(("PO-WD-1", "PO-WD-2")):
            b = json.dumps({"partner_order_reference": ref, "fulfillment_order_id": "FO-1-B", "type": "PACKED",
                            "date": "2026-11-20T10:00:00Z", "event_id": "wd-%d" % n}).encode()
            r = self.post_hook("wms", b, self.signed("wms", b)[0])
            self.assertEqual((r.status, r.json["applied"], r.json["duplicates"]), (200, 1, 0), (ref, r))
            self.assertEqual(self.order(ref)["line_items"][1]["status"], "pack_in_progress", ref)

    def test_callback_before_its_order_is_parked_then_applied(self):
        body = json.dumps({"event": "tracking_update", "event_id": "early-1", "msg": {
            "tracking_number": "AS-EARLY-1", "tag": "Delivered", "subtag": "Delivered_001",
            "updated_at": "2026-11-20T12:00:00Z"}}).encode()
        r = self.post_hook("aftership", body, self.signed("aftership", body)[0])
        self.assertEqual((r.status, r.json["parked"]), (200, 1), r)
        # an event for a reference nobody has yet parks too (carriyo carrier feed, by reference)
        o = self.create_order_for("PO-EARLY", ["AS-EARLY-1"])
        self.assertEqual(o["shipments"][0]["status"], "delivered")
        self.assertEqual(o["line_items"][0]["status"], "closed")
        logs = self.relay.get("/orders/PO-EARLY/change-logs?key=partner_order_reference").json
        self.assertIn("hook:aftership", {l["source"] for l in logs})
        # applied once only: a restart, or a second order, does not see it again
        again = self.post_hook("aftership", body, self.signed("aftership", body)[0])
        self.assertEqual(again.json["duplicates"], 1)

    def test_parked_event_is_claimed_when_a_tracking_number_arrives_later(self):
        body = json.dumps({"tracking_number": "CC-LATE-1", "carriyo_status_code": "in_transit",
                           "status_update_date": "2026-11-20T09:00:00Z"}).encode()
        r = self.post_hook("carriyo-carrier", body, self.signed("carriyo-carrier", body)[0])
        self.assertEqual(r.json["parked"], 1, r)
        self.create_order_for("PO-LATE-TRK", shipments_psr="S-LATE")
        upd = {"references": {"partner_order_reference": "PO-LATE-TRK", "partner_shipment_reference": "S-LATE"},
               "post_shipping_info": {"status": "shipped", "tracking_no": "CC-LATE-1",
                                      "status_date": "2026-11-20T08:00:00Z"}}
        o = self.relay.post("/orders/shipment-status-update", upd).json
        s = [s for s in o["shipments"] if s["partner_shipment_reference"] == "S-LATE"][0]
        self.assertEqual(s["status"], "in_transit")
        self.assertEqual([h["status"] for h in s["status_history"]], ["shipped", "in_transit"])

    def test_parked_by_shipment_reference(self):
        body = json.dumps({"tracking_number": "AY-UNSEEN-1", "reference": "SHP-EARLY-AY", "status": "AY-0005",
                           "status_label": "Delivered", "date_time": "2026-11-20T10:00:00Z"}).encode()
        r = self.post_hook("aymakan", body, self.signed("aymakan", body)[0])
        self.assertEqual(r.json["parked"], 1, r)
        o = self.create_order_for("PO-EARLY-AY", shipments_psr="SHP-EARLY-AY")
        s = [s for s in o["shipments"] if s["partner_shipment_reference"] == "SHP-EARLY-AY"][0]
        self.assertEqual(s["status"], "delivered")
        self.assertEqual(s["tracking_no"], "AY-UNSEEN-1")  # learnt from the event
        # later events find it by that tracking number
        later = json.dumps({"tracking_number": "AY-UNSEEN-1", "status": "AY-0099", "date_time": "2026-11-21T10:00:00Z"}).encode()
        self.assertEqual(self.post_hook("aymakan", later, self.signed("aymakan", later)[0]).json["history_only"], 1)  # unmapped: recorded

    def test_ups_token_endpoint(self):
        path = "/hooks/acme/ups/oauth/token"
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        r = self.relay.request("POST", path, auth=False, raw=b"grant_type=client_credentials", headers=form)
        self.assertEqual((r.status, r.json["error"]), (401, "invalid_client"))
        bad = base64.b64encode(b"ups-client-id:wrong").decode()
        r = self.relay.request("POST", path, auth=False, raw=b"grant_type=client_credentials",
                               headers=dict(form, Authorization="Basic " + bad))
        self.assertEqual(r.status, 401)
        good = base64.b64encode(b"ups-client-id:ups-client-secret-0001").decode()
        r = self.relay.request("POST", path, auth=False, raw=b"grant_type=password",
                               headers=dict(form, Authorization="Basic " + good))
        self.assertEqual((r.status, r.json["error"]), (400, "unsupported_grant_type"))
        token = self.ups_token()
        body = body_of("ups", MANIFESTS["ups"]["cases"][0])
        self.assertEqual(self.post_hook("ups", body, {"Authorization": "Bearer " + token}).status, 200)
        forged = token[:-1] + ("0" if token[-1] != "0" else "1")
        self.assertEqual(self.post_hook("ups", body, {"Authorization": "Bearer " + forged}).status, 401)
        r = self.relay.request("POST", "/hooks/acme/aftership/oauth/token", auth=False, raw=b"grant_type=client_credentials",
                               headers=dict(form, Authorization="Basic " + good))
        self.assertEqual(r.status, 404)

    def test_wms_events(self):
        self.create_order_for("PO-WMS-1", fo="FO-WMS-1")
        body = {"partner_order_reference": "PO-WMS-1", "fulfillment_order_id": "FO-WMS-1-B", "type": None}

        def send(type_, eid, **extra):
            b = json.dumps(dict(body, type=type_, event_id=eid, date="2026-11-20T0%d:00:00Z" % (len(eid) % 9), **extra)).encode()
            r = self.post_hook("wms", b, self.signed("wms", b)[0])
            self.assertEqual(r.status, 200, r)
            return self.order("PO-WMS-1")

        def line2(o):
            return o["line_items"][1]["status"]

        self.assertEqual(line2(send("FULFILLMENT_IN_PROGRESS", "w1")), "pick_in_progress")
        self.assertEqual(line2(send("PACKED", "w22")), "pack_in_progress")
        o = send("HOLDED", "w333", message="address check")
        fo = o["fulfillment_orders"][1]
        self.assertTrue(fo["on_hold"])
        self.assertEqual(line2(send("SHIPPED", "w4444")), "pack_in_progress")  # held: recorded, not applied
        self.assertFalse(send("RESUMED", "w55555")["fulfillment_orders"][1]["on_hold"])
        o = send("SHIPPED", "w666666")
        self.assertEqual(line2(o), "fulfilled")
        trail = o["fulfillment_orders"][1]["events"]
        self.assertEqual([(e["type"], e["applied"]) for e in trail],
                         [("FULFILLMENT_IN_PROGRESS", True), ("PACKED", True), ("HOLDED", True),
                          ("SHIPPED", False), ("RESUMED", True), ("SHIPPED", True)])
        self.assertEqual(trail[2]["level"], "WARNING")
        self.assertEqual(o["fulfillment_orders"][1]["status"], "fulfilled")
        # an error-level event is recorded and moves nothing
        o = send("INTEGRATION_ERROR", "w7777777", message="SKU unknown")
        self.assertEqual(o["fulfillment_orders"][1]["events"][-1]["level"], "ERROR")
        self.assertEqual(line2(o), "fulfilled")


if __name__ == "__main__":
    unittest.main()
