"""Outbound order.* webhooks against a real receiver that verifies every
signature with the standardwebhooks npm package: subscriptions, delivery,
retries under one webhook-id, dead letters, 410, redirects, Retry-After,
network failures, FIFO per order, secret rotation, recovery, limits, and
the SSRF guard."""
import os
import time
import unittest

from relay import Relay, order_body, shipment_update
from webhooks import Receiver

SSU = "/orders/shipment-status-update"
FAST = "[webhooks]\nretry_schedule = 0 1 1 1\nallow_private = 127.0.0.0/8\n" \
       "timeout = 2\nconnect_timeout = 1\nsecret_grace = 3600\n"


class WebhooksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        cls.relay = Relay(extra=FAST).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.relay.close()
        finally:
            cls.receiver.close()

    def endpoint(self, path, mode="ok", tenant="acme", **fields):
        body = dict({"url": self.receiver.url(path)}, **fields)
        r = self.relay.post("/webhooks/endpoints", body, tenant=tenant)
        self.assertEqual(r.status, 201, r)
        self.receiver.configure(path, mode, [r.json["secret"]])
        return r.json

    def messages(self, tenant="acme", **filters):
        q = "&".join("%s=%s" % kv for kv in filters.items())
        r = self.relay.get("/webhooks/messages?" + q, tenant=tenant)
        self.assertEqual(r.status, 200, r)
        return r.json["data"]

    def wait_status(self, endpoint_id, status, count=1, timeout=20, tenant="acme"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.messages(tenant, endpoint_id=endpoint_id, status=status)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError("no %s message for %s: %r" % (status, endpoint_id, self.messages(endpoint_id=endpoint_id)))

    # -- subscriptions --

    def test_endpoint_crud(self):
        ep = self.endpoint("/crud", description="orders", event_types=["order.closed"],
                           headers={"X-Merchant": "m1"}, rate_limit=5)
        self.assertTrue(ep["id"].startswith("ep_"))
        self.assertRegex(ep["secret"], r"^whsec_[A-Za-z0-9+/]{43}=$")
        self.assertEqual((ep["enabled"], ep["fifo"], ep["max_concurrency"]), (True, True, 4))
        listed = self.relay.get("/webhooks/endpoints").json["data"]
        self.assertIn(ep["id"], [e["id"] for e in listed])
        self.assertTrue(all("secret" not in e for e in listed))
        got = self.relay.get("/webhooks/endpoints/" + ep["id"]).json
        self.assertEqual(got["headers"], {"X-Merchant": "m1"})
        r = self.relay.request("PATCH", "/webhooks/endpoints/" + ep["id"], body={"description": "all", "event_types": []})
        self.assertEqual((r.status, r.json["description"], r.json["event_types"]), (200, "all", []))
        self.assertEqual(self.relay.get("/webhooks/endpoints/" + ep["id"], tenant="beta").status, 404)
        for bad in ({"url": "ftp://x"}, {"url": "not a url"}, {"url": self.receiver.url("/x"), "event_types": ["order.eaten"]},
                    {"url": self.receiver.url("/x"), "headers": {"webhook-id": "x"}},
                    {"url": self.receiver.url("/x"), "rate_limit": -1}, {"url": self.receiver.url("/x"), "secret": "abc"},
                    {"url": self.receiver.url("/x"), "enabled": "yes"}):
            r = self.relay.post("/webhooks/endpoints", bad)
            self.assertEqual(r.status, 400, (bad, r))
            self.assertEqual(r.json["error"]["code"], "invalid_field")
        self.assertEqual(self.relay.request("DELETE", "/webhooks/endpoints/" + ep["id"]).status, 204)
        self.assertEqual(self.relay.get("/webhooks/endpoints/" + ep["id"]).status, 404)
        self.assertEqual(self.relay.request("DELETE", "/webhooks/endpoints/" + ep["id"]).status, 404)

    def test_custom_header_names(self):
        url = self.receiver.url("/named")
        bad = [({"X(Bad)": "v"}, "not a header name"), ({"X-Tab\t": "v"}, "not a header name"),
               ({"": "v"}, "not a header name"), ({"X-\u00e9": "v"}, "not a header name"),
               ({"X-Merchant": "a", "x-merchant": "b"}, "given twice"),
               ({"TE": "trailers"}, "set by the relay"), ({"Upgrade": "h2c"}, "set by the relay"),
               ({"X-Correlation-Id": "c"}, "set by the relay"), ({"Webhook-Id": "x"}, "set by the relay"),
               ({"content-length": "1"}, "set by the relay"), ({"X-Ok": "a\u0001b"}, "control characters"),
               ({"X-Ok": 5}, "must be a string")]
        for headers, why in bad:
            r = self.relay.post("/webhooks/endpoints", {"url": url, "headers": headers})
            self.assertEqual((r.status, r.json["error"]["code"]), (400, "invalid_field"), (headers, r))
            self.assertIn(why, r.json["error"]["message"], headers)
        ep = self.endpoint("/named", event_types=["order.created"], headers={"X-Merchant": "m1", "X_ok!#~": "tab\tok"})
        r = self.relay.request("PATCH", "/webhooks/endpoints/" + ep["id"], body={"headers": {"A": "1", "a": "2"}})
        self.assertEqual(r.status, 400, r)
        self.relay.post("/orders", order_body("PO-NAMED"))
        got = self.receiver.wait_for("/named", 1)[0]
        self.assertEqual((got["headers"]["x-merchant"], got["headers"]["x_ok!#~"]), ("m1", "tab\tok"))
        self.relay.request("DELETE", "/webhooks/endpoints/" + ep["id"])

    # -- delivery --

    def test_events_are_delivered_signed_and_complete(self):
        ep = self.endpoint("/main", tenant="beta")
        o = self.relay.post("/orders", order_body("PO-WH-1"), tenant="beta").json
        self.relay.post(SSU, shipment_update("PO-WH-1", "delivered", "S-PO-WH-1"), tenant="beta")
        self.relay.post(SSU, shipment_update("PO-WH-1", "delivered", "S2", items=[{"sku": "SKU-B"}]), tenant="beta")
        got = self.receiver.wait_for("/main", 4)
        self.assertTrue(all(g["verified"] for g in got), got)
        import json as j
        bodies = [j.loads(g["body"]) for g in got]
        self.assertEqual([b["type"] for b in bodies],
                         ["order.created", "order.shipment_status_updated", "order.shipment_status_updated",
                          "order.closed"])
        self.assertEqual([b["trigger"] for b in bodies],
                         ["ORDER_CREATE", "ORDER_SHIPMENT_STATUS_UPDATE", "ORDER_SHIPMENT_STATUS_UPDATE", "ORDER_CLOSED"])
        first, last = bodies[0], bodies[-1]
        self.assertIsNone(first["data"]["oldImage"])
        self.assertEqual(first["data"]["newImage"]["order_id"], o["order_id"])
        self.assertEqual(first["tenant"], "beta")
        self.assertEqual(last["data"]["oldImage"]["status"], "fulfilled")
        self.assertEqual(last["data"]["newImage"]["status"], "closed")
        for g, b in zip(got, bodies):
            self.assertEqual(g["headers"]["trigger"], b["trigger"])
            self.assertEqual(g["headers"]["event-id"], b["id"])
            self.assertTrue(g["headers"]["webhook-id"].startswith("msg_"))
        msgs = self.wait_status(ep["id"], "delivered", 4, tenant="beta")
        att = self.relay.get("/webhooks/messages/%s/attempts" % msgs[0]["id"], tenant="beta").json["data"]
        self.assertEqual(len(att), 1)
        self.assertEqual(att[0]["status_code"], 200)
        self.assertEqual(att[0]["response_body"], "thanks")
        for k in ("dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "total_ms"):
            self.assertIsInstance(att[0][k], float)
        self.assertGreater(att[0]["total_ms"], 0)
        # the other tenant sees none of it
        self.assertEqual(self.messages(endpoint_id=ep["id"]), [])
        self.assertEqual(self.relay.get("/webhooks/messages/%s/attempts" % msgs[0]["id"]).status, 404)

    def test_event_type_filter(self):
        ep = self.endpoint("/closed-only", event_types=["order.closed"])
        self.relay.post("/orders", order_body("PO-FILTER"))
        self.relay.post(SSU, shipment_update("PO-FILTER", "delivered", "S-PO-FILTER"))
        self.relay.post(SSU, shipment_update("PO-FILTER", "delivered", "S2", items=[{"sku": "SKU-B"}]))
        self.wait_status(ep["id"], "delivered", 1)
        time.sleep(0.3)
        types = {m["event_type"] for m in self.messages(endpoint_id=ep["id"])}
        self.assertEqual(types, {"order.closed"})

    def test_retries_keep_the_webhook_id_and_truncate_bodies(self):
        ep = self.endpoint("/flaky", "flaky:2", event_types=["order.created"])
        self.relay.post("/orders", order_body("PO-FLAKY"))
        got = self.receiver.wait_for("/flaky", 3)
        self.assertEqual(len({g["headers"]["webhook-id"] for g in got}), 1)
        self.assertTrue(all(g["verified"] for g in got))
        msg = self.wait_status(ep["id"], "delivered")[0]
        att = self.relay.get("/webhooks/messages/%s/attempts" % msg["id"]).json["data"]
        self.assertEqual([a["status_code"] for a in att], [500, 500, 200])
        self.assertEqual(len(att[0]["response_body"]), 16384)
        self.assertTrue(att[0]["response_truncated"])

    def test_dead_letter_then_manual_retry(self):
        ep = self.endpoint("/down", "status:500", event_types=["order.created"])
        self.relay.post("/orders", order_body("PO-DEAD"))
        msg = self.wait_status(ep["id"], "dead")[0]
        self.assertEqual(msg["attempts"], 4)
        self.assertEqual(msg["last_status_code"], 500)
        logs = self.relay.get("/orders/PO-DEAD/system-logs?key=partner_order_reference").json["data"]
        self.assertEqual([d["response_code"] for d in logs if d["event_type"] == "OUTBOUND"], [500] * 4)
        self.assertEqual([d["request_type"] for d in logs if d["event_type"] == "INTERNAL"], ["WEBHOOK_DEAD_LETTERED"])
        self.receiver.configure("/down", "ok", [ep["secret"]])
        r = self.relay.post("/webhooks/messages/%s/retry" % msg["id"])
        self.assertEqual((r.status, r.json["requeued"]), (202, 1))
        self.wait_status(ep["id"], "delivered")
        got = self.receiver.log("/down")
        self.assertEqual(len(got), 5)
        self.assertEqual(len({g["headers"]["webhook-id"] for g in got}), 1)
        self.assertEqual(self.relay.post("/webhooks/messages/msg_nope/retry").status, 404)

    def test_gone_disables_the_endpoint_and_keeps_the_message(self):
        ep = self.endpoint("/gone", "status:410", event_types=["order.created"])
        self.relay.post("/orders", order_body("PO-GONE"))
        self.receiver.wait_for("/gone", 1)
        deadline = time.time() + 10
        while self.relay.get("/webhooks/endpoints/" + ep["id"]).json["enabled"] and time.time() < deadline:
            time.sleep(0.05)
        e = self.relay.get("/webhooks/endpoints/" + ep["id"]).json
        self.assertFalse(e["enabled"])
        self.assertIn("410", e["disabled_reason"])
        internal = self.relay.get("/orders/PO-GONE/system-logs?key=partner_order_reference&event_type=INTERNAL").json
        self.assertEqual([d["request_type"] for d in internal["data"]], ["WEBHOOK_ENDPOINT_DISABLED"])
        time.sleep(1.5)
        self.assertEqual(len(self.receiver.log("/gone")), 1)  # nothing more while disabled
        self.assertEqual(self.messages(endpoint_id=ep["id"])[0]["status"], "held")
        self.receiver.configure("/gone", "ok", [ep["secret"]])
        r = self.relay.request("PATCH", "/webhooks/endpoints/" + ep["id"], body={"enabled": True, "release_held": True})
        self.assertEqual((r.status, r.json["enabled"], r.json["released"]), (200, True, 1), r)
        self.wait_status(ep["id"], "delivered")

    def test_disabled_endpoints_hold_their_messages(self):
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))
        # disabled by the merchant: events are queued held, never sent
        off = self.endpoint("/held-off", event_types=["order.created"])
        r = self.relay.request("PATCH", "/webhooks/endpoints/" + off["id"], body={"enabled": False})
        self.assertEqual((r.status, r.json["enabled"]), (200, False))
        # disabled by a 410
        gone = self.endpoint("/held-gone", "status:410", event_types=["order.created"])
        self.relay.post("/orders", order_body("PO-HELD-0"))
        self.receiver.wait_for("/held-gone", 1)
        deadline = time.time() + 10
        while self.relay.get("/webhooks/endpoints/" + gone["id"]).json["enabled"] and time.time() < deadline:
            time.sleep(0.05)
        for i in (1, 2):
            self.assertEqual(self.relay.post("/orders", order_body("PO-HELD-%d" % i)).status, 201)
        time.sleep(1)
        self.assertEqual(len(self.receiver.log("/held-off")), 0)
        self.assertEqual(len(self.receiver.log("/held-gone")), 1)
        self.assertEqual(len(self.messages(endpoint_id=off["id"], status="held")), 3)
        self.assertEqual(len(self.messages(endpoint_id=gone["id"], status="held")), 3)  # the 410'd one too
        self.assertEqual(self.messages(endpoint_id=off["id"], status="pending"), [])
        # release_held needs the endpoint enabled
        r = self.relay.request("PATCH", "/webhooks/endpoints/" + off["id"], body={"release_held": True})
        self.assertEqual((r.status, r.json["error"]["code"]), (409, "endpoint_disabled"))
        self.assertEqual(self.relay.post("/webhooks/endpoints", {"url": self.receiver.url("/x"), "release_held": True}).status, 400)
        # recover sends them (enabling the endpoint again), signed as ever
        self.receiver.configure("/held-gone", "ok", [gone["secret"]])
        for ep, path in ((off, "/held-off"), (gone, "/held-gone")):
            r = self.relay.post("/webhooks/endpoints/%s/recover" % ep["id"], {"since": since})
            self.assertEqual((r.status, r.json["requeued"], r.json["reenabled"]), (202, 3, True), r)
            self.wait_status(ep["id"], "delivered", 3)
            got = [g for g in self.receiver.log(path) if g["n"] > (1 if path == "/held-gone" else 0)]
            self.assertEqual(len(got), 3)
            self.assertTrue(all(g["verified"] for g in got), got)
            self.assertTrue(self.relay.get("/webhooks/endpoints/" + ep["id"]).json["enabled"])
        # disabling holds what was pending; re-enabling alone leaves it held
        slow = self.endpoint("/held-slow", "status:500", event_types=["order.created"])
        self.relay.post("/orders", order_body("PO-HELD-3"))
        self.receiver.wait_for("/held-slow", 1)
        self.relay.request("PATCH", "/webhooks/endpoints/" + slow["id"], body={"enabled": False})
        self.assertEqual([m["status"] for m in self.messages(endpoint_id=slow["id"])], ["held"])
        self.receiver.configure("/held-slow", "ok", [slow["secret"]])
        self.relay.request("PATCH", "/webhooks/endpoints/" + slow["id"], body={"enabled": True})
        time.sleep(1.5)
        self.assertEqual([m["status"] for m in self.messages(endpoint_id=slow["id"])], ["held"])
        r = self.relay.request("PATCH", "/webhooks/endpoints/" + slow["id"], body={"release_held": True})
        self.assertEqual((r.status, r.json["released"]), (200, 1))
        self.wait_status(slow["id"], "delivered")
        self.assertTrue(self.receiver.log("/held-slow")[-1]["verified"])
        for ep in (off, gone, slow):
            self.relay.request("DELETE", "/webhooks/endpoints/" + ep["id"])

    def test_redirects_are_not_followed(self):
        ep = self.endpoint("/moved", "redirect", event_types=["order.created"])
        self.relay.post("/orders", order_body("PO-MOVED"))
        self.receiver.wait_for("/moved", 2)
        self.assertEqual(self.receiver.log("/elsewhere"), [])
        msg = self.messages(endpoint_id=ep["id"])[0]
        self.assertEqual(msg["last_status_code"], 302)

    def test_retry_after_is_clamped(self):
        ep = self.endpoint("/busy", "retry:429:3600", event_types=["order.created"])
        self.relay.post("/orders", order_body("PO-BUSY"))
        self.receiver.wait_for("/busy", 1)
        time.sleep(0.3)
        msg = self.relay.get("/webhooks/messages/" + self.messages(endpoint_id=ep["id"])[0]["id"]).json
        # the schedule says 1 s; Retry-After asks an hour; twice the schedule is the most it gets
        self.assertEqual(msg["last_status_code"], 429)
        got = self.receiver.wait_for("/busy", 2, timeout=5)
        gap = (got[1]["at"] - got[0]["at"]) / 1000.0
        self.assertGreaterEqual(gap, 0.95)
        self.assertLess(gap, 3.0)

    def test_network_failures_are_classified(self):
        cases = [("/reset", "reset", "E_RESET"), ("/slow", "slow:5000", "E_TIMEOUT")]
        for path, mode, cls in cases:
            ep = self.endpoint(path, mode, event_types=["order.created"])
            self.relay.post("/orders", order_body("PO-NET" + path.replace("/", "-")))
            deadline = time.time() + 15
            while time.time() < deadline:
                msgs = self.messages(endpoint_id=ep["id"])
                if msgs and msgs[0]["attempts"] >= 1:
                    break
                time.sleep(0.05)
            att = self.relay.get("/webhooks/messages/%s/attempts" % msgs[0]["id"]).json["data"]
            self.assertEqual((att[0]["status_code"], att[0]["error_class"]), (0, cls), att)
            self.relay.request("DELETE", "/webhooks/endpoints/" + ep["id"])
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        r = self.relay.post("/webhooks/endpoints", {"url": "http://127.0.0.1:%d/" % port, "event_types": ["order.created"]})
        ep = r.json
        self.relay.post("/orders", order_body("PO-NET-REFUSED"))
        deadline = time.time() + 10
        while time.time() < deadline and not (self.messages(endpoint_id=ep["id"]) or [{}])[0].get("attempts"):
            time.sleep(0.05)
        msg = self.messages(endpoint_id=ep["id"])[0]
        self.assertEqual((msg["last_status_code"], msg["last_error"]), (0, "E_CONNECT"))
        self.relay.request("DELETE", "/webhooks/endpoints/" + ep["id"])

    def test_fifo_per_order(self):
        fifo = self.endpoint("/fifo", "flaky:1", event_types=["order.created", "order.shipment_status_updated"])
        free = self.endpoint("/nofifo", "flaky:1", event_types=["order.created", "order.shipment_status_updated"],
                             fifo=False)
        self.relay.post("/orders", order_body("PO-FIFO"))
        self.receiver.wait_for("/fifo", 1)
        self.relay.post(SSU, shipment_update("PO-FIFO", "in_transit", "S-PO-FIFO"))
        import json as j
        got = self.receiver.wait_for("/fifo", 3)
        ok = [j.loads(g["body"])["type"] for g in got[1:]]
        self.assertEqual(ok, ["order.created", "order.shipment_status_updated"])
        # without FIFO the newer event does not wait for the older one's retry
        got = self.receiver.wait_for("/nofifo", 3)
        self.assertEqual(j.loads(got[1]["body"])["type"], "order.shipment_status_updated")
        for ep in (fifo, free):
            self.relay.request("DELETE", "/webhooks/endpoints/" + ep["id"])

    def test_secret_rotation_signs_with_both(self):
        ep = self.endpoint("/rotate", event_types=["order.created"])
        r = self.relay.post("/webhooks/endpoints/%s/rotate-secret" % ep["id"])
        self.assertEqual(r.status, 200, r)
        new = r.json["secret"]
        self.assertNotEqual(new, ep["secret"])
        for n, secrets in enumerate(([new], [ep["secret"]])):
            self.receiver.configure("/rotate", "ok", secrets)
            self.relay.post("/orders", order_body("PO-ROT-%d" % n))
            self.receiver.wait_for("/rotate", n + 1)
        got = self.receiver.log("/rotate")
        self.assertTrue(all(g["verified"] for g in got), got)
        self.assertEqual(len(got[0]["headers"]["webhook-signature"].split(" ")), 2)

    def test_recover_resends_failed_messages_since(self):
        ep = self.endpoint("/recover", "status:500", event_types=["order.created"])
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))
        for i in range(2):
            self.relay.post("/orders", order_body("PO-REC-%d" % i))
        self.wait_status(ep["id"], "dead", 2)
        self.receiver.configure("/recover", "ok", [ep["secret"]])
        r = self.relay.post("/webhooks/endpoints/%s/recover" % ep["id"], {"since": since})
        self.assertEqual((r.status, r.json["requeued"]), (202, 2))
        self.wait_status(ep["id"], "delivered", 2)
        self.assertEqual(self.relay.post("/webhooks/endpoints/%s/recover" % ep["id"], {"since": "yesterday"}).status, 400)

    def test_rate_limit_and_concurrency(self):
        ep = self.endpoint("/limited", "slow:200", event_types=["order.created"], rate_limit=2, max_concurrency=1)
        for i in range(5):
            self.relay.post("/orders", order_body("PO-RATE-%d" % i))
        got = self.receiver.wait_for("/limited", 5)
        span = (got[-1]["at"] - got[0]["at"]) / 1000.0
        self.assertGreaterEqual(span, 1.4)  # 2 at once, then 2 a second: the 5th no sooner than 1.5 s
        gaps = [(b["at"] - a["at"]) for a, b in zip(got, got[1:])]
        self.assertTrue(all(g >= 190 for g in gaps), gaps)  # one at a time: each waited for the slow answer

    def test_a_dead_endpoint_does_not_slow_the_others(self):
        hang = self.endpoint("/hang", "hang", event_types=["order.created"])
        fast = self.endpoint("/fast", event_types=["order.created"])
        start = time.time()
        for i in range(3):
            self.relay.post("/orders", order_body("PO-ISOL-%d" % i))
        self.receiver.wait_for("/fast", 3, timeout=5)
        self.assertLess(time.time() - start, 1.5)
        for ep in (hang, fast):
            self.relay.request("DELETE", "/webhooks/endpoints/" + ep["id"])

    def test_a_backlog_at_one_endpoint_does_not_hide_another(self):
        stuck = self.endpoint("/backlog", "hang", event_types=["order.created"], max_concurrency=1)
        for i in range(150):
            self.relay.post("/orders", order_body("PO-BACKLOG-%d" % i))
        fresh = self.endpoint("/fresh", event_types=["order.created"])
        start = time.time()
        self.relay.post("/orders", order_body("PO-BACKLOG-NEW"))
        self.receiver.wait_for("/fresh", 1, timeout=5)
        self.assertLess(time.time() - start, 2.0)
        for ep in (stuck, fresh):
            self.relay.request("DELETE", "/webhooks/endpoints/" + ep["id"])

    def test_failing_too_long_disables(self):
        relay = Relay(extra=FAST.replace("retry_schedule = 0 1 1 1", "retry_schedule = 0 1 1 1 1 1") +
                      "disable_after = 2\n").start()
        try:
            r = relay.post("/webhooks/endpoints", {"url": self.receiver.url("/failing"), "event_types": ["order.created"]})
            self.receiver.configure("/failing", "status:500", [r.json["secret"]])
            relay.post("/orders", order_body("PO-FAILING"))
            deadline = time.time() + 15
            while time.time() < deadline and relay.get("/webhooks/endpoints/" + r.json["id"]).json["enabled"]:
                time.sleep(0.1)
            e = relay.get("/webhooks/endpoints/" + r.json["id"]).json
            self.assertFalse(e["enabled"])
            self.assertEqual(e["disabled_reason"], "failing for too long")
            internal = relay.get("/orders/PO-FAILING/system-logs?key=partner_order_reference&event_type=INTERNAL").json
            self.assertEqual([d["request_type"] for d in internal["data"]], ["WEBHOOK_ENDPOINT_DISABLED"])
        finally:
            relay.close()

    def test_tls_endpoint_with_an_untrusted_certificate_is_E_TLS(self):
        import shutil
        import subprocess
        import tempfile
        d = tempfile.mkdtemp()
        cert, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
        tls = Receiver(tls=(cert, key))
        try:
            ep = self.relay.post("/webhooks/endpoints", {"url": tls.url("/tls"), "event_types": ["order.created"]}).json
            self.relay.post("/orders", order_body("PO-TLS"))
            # (a loaded machine may time an attempt out during the handshake
            # [connect_timeout = 1]: the retry a second later meets the certificate)
            deadline = time.time() + 15
            msgs = []
            while time.time() < deadline:
                msgs = self.messages(endpoint_id=ep["id"])
                if msgs and msgs[0]["attempts"] and msgs[0]["last_error"] != "E_TIMEOUT":
                    break
                time.sleep(0.05)
            self.assertEqual((msgs[0]["last_status_code"], msgs[0]["last_error"]), (0, "E_TLS"))
            self.assertEqual(tls.log("/tls"), [])  # the handshake failed: nothing was sent
            self.relay.request("DELETE", "/webhooks/endpoints/" + ep["id"])
        finally:
            tls.close()
            shutil.rmtree(d, ignore_errors=True)

    def test_ssrf_guard_blocks_private_addresses_by_default(self):
        relay = Relay(extra="[webhooks]\nretry_schedule = 0 60\n").start()
        try:
            r = relay.post("/webhooks/endpoints", {"url": self.receiver.url("/ssrf"), "event_types": ["order.created"]})
            relay.post("/orders", order_body("PO-SSRF"))
            deadline = time.time() + 10
            msgs = []
            while time.time() < deadline:
                msgs = relay.get("/webhooks/messages?endpoint_id=" + r.json["id"]).json["data"]
                if msgs and msgs[0]["attempts"]:
                    break
                time.sleep(0.05)
            self.assertEqual((msgs[0]["last_status_code"], msgs[0]["last_error"]), (0, "E_BLOCKED"))
            self.assertEqual(self.receiver.log("/ssrf"), [])
        finally:
            relay.close()


if __name__ == "__main__":
    unittest.main()
