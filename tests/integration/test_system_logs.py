"""System logs with bodies in a real S3-compatible server that verifies
signatures (s3rver): every exchange on record with secrets redacted, bodies
uploaded under TENANT/YYYY/MM/DD/ID-request|response, presigned downloads
that return the exact bytes and refuse tampering and expiry, partner
entries, filters and pages, and an S3 outage during a burst that loses
nothing."""
import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from relay import Relay, order_body, shipment_update
from webhooks import Receiver

HERE = os.path.dirname(os.path.abspath(__file__))
SSU = "/orders/shipment-status-update"


class S3Server:
    def __init__(self, port=0, directory=None):
        self.dir = directory or tempfile.mkdtemp(prefix="s3rver-")
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "s3server.js"), self.dir, "bodies", str(port)],
                                     cwd=HERE, stdout=subprocess.PIPE, text=True)
        self.port = json.loads(self.proc.stdout.readline())["port"]

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()

    def keys(self):
        out = []
        for root, _, files in os.walk(os.path.join(self.dir, "bodies")):
            for f in files:
                if f.endswith("._S3rver_object"):
                    out.append(os.path.relpath(os.path.join(root, f), os.path.join(self.dir, "bodies"))[:-len("._S3rver_object")])
        return out


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


S3_CONF = """[s3]
endpoint = http://127.0.0.1:%d
region = us-east-1
bucket = bodies
prefix = relay
access_key_id = S3RVER
secret_access_key = S3RVER
[source "acme/aftership"]
adapter = aftership
secret = as-secret-0001
[system_logs]
url_expires = 60
[webhooks]
allow_private = 127.0.0.0/8
retry_schedule = 0 1
"""


class SystemLogsS3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = S3Server()
        cls.receiver = Receiver()
        cls.relay = Relay(extra=S3_CONF % cls.s3.port).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.relay.close()
        finally:
            cls.receiver.close()
            cls.s3.stop()
        shutil.rmtree(cls.s3.dir, ignore_errors=True)

    def logs(self, ref, query=""):
        r = self.relay.get("/orders/%s/system-logs?key=partner_order_reference%s" % (ref, query))
        self.assertEqual(r.status, 200, r)
        return r.json

    def entry(self, ref, identifier, query=""):
        return self.relay.get("/orders/%s/system-logs/%s?key=partner_order_reference%s" % (ref, identifier, query))

    def wait_stored(self, ref, count, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            data = self.logs(ref, "&limit=1000")["data"]
            if len(data) >= count and all(d["bodies"] in ("stored", "none") for d in data):
                return data
            time.sleep(0.1)
        raise AssertionError("bodies not stored: %r" % self.logs(ref)["data"])

    def test_inbound_exchange_is_logged_with_bodies_in_s3(self):
        body = order_body("PO-SL-1")
        r = self.relay.post("/orders", body, headers={"x-correlation-id": "corr-sl-1"})
        self.assertEqual(r.headers["x-correlation-id"], "corr-sl-1")
        data = self.wait_stored("PO-SL-1", 1)
        e = data[0]
        self.assertEqual((e["event_type"], e["request_type"], e["source_type"], e["source_id"]),
                         ("INBOUND", "ORDER_CREATE", "API", "acme"))
        self.assertEqual((e["request_method"], e["request_url"], e["response_code"]), ("POST", "/orders", 201))
        self.assertEqual(e["correlation_id"], "corr-sl-1")
        self.assertEqual(e["request_headers"]["x-api-key"], "[redacted]")
        self.assertEqual(e["order_id"], r.json["order_id"])
        one = self.entry("PO-SL-1", e["identifier"]).json
        # the keys follow TENANT/YYYY/MM/DD/IDENTIFIER-request|response, under the prefix
        day = e["request_time"][:10].replace("-", "/")
        self.assertIn("relay/acme/%s/%s-request" % (day, e["identifier"]), self.s3.keys())
        self.assertIn("X-Amz-Signature=", one["request_body_url"])
        self.assertIn("X-Amz-Expires=60", one["request_body_url"])
        status, got = fetch(one["request_body_url"])
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(got), body)
        status, got = fetch(one["response_body_url"])
        self.assertEqual((status, json.loads(got)["order_id"]), (200, r.json["order_id"]))
        # a tampered URL is refused by S3
        tampered = one["request_body_url"].replace("X-Amz-Expires=60", "X-Amz-Expires=61")
        self.assertEqual(fetch(tampered)[0], 403)
        other = one["request_body_url"].replace("-request?", "-response?")
        self.assertEqual(fetch(other)[0], 403)
        # and so is an expired one
        short = self.entry("PO-SL-1", e["identifier"], "&expires=1").json["request_body_url"]
        time.sleep(2.2)
        self.assertEqual(fetch(short)[0], 403)

    def test_unknown_order_is_404_unknown_log_is_400(self):
        self.relay.post("/orders", order_body("PO-SL-2"))
        self.assertEqual(self.entry("PO-NOPE", "slg_x").status, 404)
        r = self.entry("PO-SL-2", "slg_nope")
        self.assertEqual((r.status, r.json["error"]["code"]), (400, "unknown_system_log"))
        self.assertEqual(self.entry("PO-SL-2", "slg_x", "&expires=999999").status, 400)

    def test_hooks_and_refusals_are_logged_without_secrets(self):
        self.relay.post("/orders", dict(order_body("PO-SL-HOOK"), line_items=order_body("x")["line_items"]))
        o = self.relay.get("/orders/PO-SL-HOOK?key=partner_order_reference").json
        trk = o["shipments"][0]["tracking_no"]
        raw = json.dumps({"event": "tracking_update", "event_id": "sl-1", "msg": {
            "tracking_number": trk, "tag": "InTransit", "updated_at": "2026-11-20T10:00:00Z"}}).encode()
        sig = base64.b64encode(hmac.new(b"as-secret-0001", raw, hashlib.sha256).digest()).decode()
        r = self.relay.request("POST", "/hooks/acme/aftership?token=abc&x=1", auth=False, raw=raw,
                               headers={"aftership-hmac-sha256": sig, "Content-Type": "application/json"})
        self.assertEqual(r.status, 200, r)
        data = self.wait_stored("PO-SL-HOOK", 2)
        hook = [d for d in data if d["request_type"] == "HOOK"][0]
        self.assertEqual((hook["source_type"], hook["source_id"]), ("aftership", "aftership"))
        self.assertEqual(hook["request_headers"]["aftership-hmac-sha256"], "[redacted]")
        self.assertEqual(hook["request_url"], "/hooks/acme/aftership?token=[redacted]&x=1")
        one = self.entry("PO-SL-HOOK", hook["identifier"]).json
        self.assertEqual(fetch(one["request_body_url"])[1], raw)
        # a refused callback is on record too (with the tenant), applying nothing
        bad = self.relay.request("POST", "/hooks/acme/aftership", auth=False, raw=raw,
                                 headers={"aftership-hmac-sha256": "AAAA", "Content-Type": "application/json"})
        self.assertEqual(bad.status, 401)
        # (it names no order, so it is not under the order's logs; the correlation id finds it)
        self.assertTrue(bad.headers["x-correlation-id"])

    def test_outbound_attempts_are_logged_with_timings_and_correlation(self):
        ep = self.relay.post("/webhooks/endpoints", {"url": self.receiver.url("/sl"), "event_types": ["order.created"]}).json
        self.receiver.configure("/sl", "ok", [ep["secret"]])
        self.relay.post("/orders", order_body("PO-SL-OUT"), headers={"x-correlation-id": "corr-out"})
        self.receiver.wait_for("/sl", 1)
        self.assertEqual(self.receiver.log("/sl")[0]["headers"]["x-correlation-id"], "corr-out")
        deadline = time.time() + 10
        while time.time() < deadline:
            out = self.logs("PO-SL-OUT", "&event_type=OUTBOUND")["data"]
            if out:
                break
            time.sleep(0.1)
        e = out[0]
        self.assertEqual((e["request_type"], e["source_type"], e["source_id"]), ("order.created", "WEBHOOK", ep["id"]))
        self.assertEqual(e["correlation_id"], "corr-out")
        self.assertEqual(e["response_code"], 200)
        self.assertEqual(e["request_headers"]["webhook-signature"], "[redacted]")
        for k in ("dns_ms", "connect_ms", "first_byte_ms", "total_ms"):
            self.assertIn(k, e["duration"])
        both = self.logs("PO-SL-OUT", "&correlation_id=corr-out")["data"]
        self.assertEqual({d["event_type"] for d in both}, {"INBOUND", "OUTBOUND"})
        self.relay.request("DELETE", "/webhooks/endpoints/" + ep["id"])

    def test_filters_and_pages(self):
        self.relay.post("/orders", order_body("PO-SL-F"))
        for i in range(4):
            self.relay.post(SSU, shipment_update("PO-SL-F", "in_transit" if i % 2 else "shipped", "S-%d" % i))
        self.relay.post("/orders", order_body("PO-SL-F"))  # 409, logged under no order (it names none)
        all_ = self.logs("PO-SL-F", "&limit=1000")["data"]
        self.assertEqual(len(all_), 5)
        self.assertEqual([d["request_type"] for d in all_], ["ORDER_CREATE"] + ["ORDER_SHIPMENT_STATUS_UPDATE"] * 4)
        self.assertEqual(len(self.logs("PO-SL-F", "&request_type=ORDER_CREATE")["data"]), 1)
        self.assertEqual(len(self.logs("PO-SL-F", "&response_code=2xx")["data"]), 5)
        self.assertEqual(len(self.logs("PO-SL-F", "&response_code=201")["data"]), 1)
        self.assertEqual(len(self.logs("PO-SL-F", "&response_code=4xx")["data"]), 0)
        page = self.logs("PO-SL-F", "&limit=2")
        self.assertEqual(len(page["data"]), 2)
        page2 = self.logs("PO-SL-F", "&limit=2&after=%d" % page["next_after"])
        self.assertEqual(page2["data"][0]["identifier"], all_[2]["identifier"])
        for q in ("&response_code=abc", "&event_type=SIDEWAYS", "&limit=0"):
            r = self.relay.get("/orders/PO-SL-F/system-logs?key=partner_order_reference" + q)
            self.assertEqual(r.status, 400, q)

    def test_partner_entries(self):
        self.relay.post("/orders", order_body("PO-SL-P"))
        r = self.relay.post("/orders/PO-SL-P/system-logs?key=partner_order_reference", {
            "event_type": "OUTBOUND", "request_type": "WMS_PUSH", "source_type": "MIDDLEWARE", "source_id": "mw-1",
            "request_method": "POST", "request_url": "https://wms.example/orders?api_key=s3cr3t",
            "request_headers": {"Authorization": "Bearer xyz", "X-Trace": "t1"}, "response_code": 502,
            "request_time": "2026-11-20T10:00:00.000Z", "response_time": "2026-11-20T10:00:01.000Z",
            "request_body": {"order": "PO-SL-P"}, "response_body": "upstream timeout", "correlation_id": "mw-corr"})
        self.assertEqual(r.status, 201, r)
        ident = r.json["identifier"]
        data = self.wait_stored("PO-SL-P", 2)
        mine = [d for d in data if d["identifier"] == ident][0]
        self.assertEqual(mine["request_headers"], {"Authorization": "[redacted]", "X-Trace": "t1"})
        self.assertEqual(mine["request_url"], "https://wms.example/orders?api_key=[redacted]")
        one = self.entry("PO-SL-P", ident).json
        self.assertEqual(fetch(one["response_body_url"])[1], b"upstream timeout")
        self.assertEqual(json.loads(fetch(one["request_body_url"])[1]), {"order": "PO-SL-P"})
        bad = self.relay.post("/orders/PO-SL-P/system-logs?key=partner_order_reference", {"event_type": "NOPE"})
        self.assertEqual(bad.status, 400)


class S3OutageTest(unittest.TestCase):
    def test_bodies_survive_an_outage(self):
        s3 = S3Server()
        port, directory = s3.port, s3.dir
        relay = Relay(extra=S3_CONF % port).start()
        try:
            s3.stop()  # the object store goes away
            refs = ["PO-OUT-%d" % i for i in range(20)]
            for ref in refs:
                self.assertEqual(relay.post("/orders", order_body(ref)).status, 201)
            time.sleep(1)
            pending = relay.get("/orders/PO-OUT-0/system-logs?key=partner_order_reference").json["data"]
            self.assertEqual(pending[0]["bodies"], "spooled")
            metric = relay.get("/metrics", auth=False).raw.decode()
            self.assertRegex(metric, r"shiprelay_spool_bytes [1-9]")
            # meanwhile the body can still be fetched, from the relay
            one = relay.get("/orders/PO-OUT-0/system-logs/%s?key=partner_order_reference" % pending[0]["identifier"]).json
            self.assertIn("/bodies/", one["request_body_url"])
            self.assertEqual(json.loads(fetch(one["request_body_url"])[1])["partner_order_reference"], "PO-OUT-0")
            s3 = S3Server(port, directory)  # back, same port and data
            deadline = time.time() + 60
            while time.time() < deadline:
                states = [relay.get("/orders/%s/system-logs?key=partner_order_reference" % r).json["data"][0]["bodies"]
                          for r in refs]
                if all(s == "stored" for s in states):
                    break
                time.sleep(0.2)
            self.assertEqual(set(states), {"stored"})
            self.assertEqual(len([k for k in s3.keys() if k.endswith("-request")]), 20)
        finally:
            try:
                relay.close()
            finally:
                s3.stop()
                shutil.rmtree(directory, ignore_errors=True)


class LocalStoreTest(unittest.TestCase):
    def test_local_bodies_signed_urls_retention_and_spool_cap(self):
        relay = Relay(extra="[retention]\nsystem_logs = 1d\nsweep_interval = 1\n").start()
        with open(relay.conf, "a") as f:  # links are built on the configured public URL
            f.write("[server]\npublic_url = http://localhost:%d/\n" % relay.port)
        relay.stop()
        relay.start()
        try:
            relay.post("/orders", order_body("PO-LOC"))
            old = relay.post("/orders/PO-LOC/system-logs?key=partner_order_reference", {
                "event_type": "INBOUND", "request_time": "2020-01-01T00:00:00.000Z", "request_body": "ancient"})
            self.assertEqual(old.status, 201)
            deadline = time.time() + 10
            while time.time() < deadline:
                data = relay.get("/orders/PO-LOC/system-logs?key=partner_order_reference").json["data"]
                if len(data) == 1:
                    break
                time.sleep(0.1)
            self.assertEqual(len(data), 1)  # the 2020 entry went with retention
            self.assertEqual(data[0]["request_type"], "ORDER_CREATE")
            one = relay.get("/orders/PO-LOC/system-logs/%s?key=partner_order_reference" % data[0]["identifier"]).json
            self.assertTrue(one["request_body_url"].startswith("http://localhost:%d/bodies/" % relay.port))
            status, got = fetch(one["request_body_url"])
            self.assertEqual((status, json.loads(got)["partner_order_reference"]), (200, "PO-LOC"))
            with urllib.request.urlopen(one["request_body_url"], timeout=10) as r:
                self.assertEqual((r.headers["Content-Type"], r.headers["X-Content-Type-Options"]),
                                 ("application/octet-stream", "nosniff"))
            self.assertEqual(fetch(one["request_body_url"].replace("signature=", "signature=0"))[0], 403)
            self.assertEqual(fetch(one["request_body_url"].replace("/request?", "/response?"))[0], 403)
            short = relay.get("/orders/PO-LOC/system-logs/%s?key=partner_order_reference&expires=1" % data[0]["identifier"]).json
            time.sleep(2.1)
            self.assertEqual(fetch(short["request_body_url"])[0], 403)
        finally:
            relay.close()
        # a spool that cannot drain fills up, and then logged requests get a clear 503
        s3 = S3Server()
        s3.stop()
        relay = Relay(extra=(S3_CONF % s3.port) + "[system_logs]\nspool_max_bytes = 65536\n").start()
        try:
            big = order_body("PO-FILL-0")
            big["notes"] = "x" * 30000
            codes = []
            for i in range(12):
                big["partner_order_reference"] = "PO-FILL-%d" % i
                codes.append(relay.post("/orders", big).status)
                time.sleep(0.25)
            self.assertIn(201, codes)
            self.assertEqual(codes[-1], 503)
            r = relay.post("/orders", dict(big, partner_order_reference="PO-FILL-X"))
            self.assertEqual(r.json["error"]["code"], "spool_full")
            self.assertEqual(relay.get("/orders/PO-FILL-X?key=partner_order_reference").status, 404)  # nothing applied
        finally:
            try:
                relay.close()
            finally:
                shutil.rmtree(s3.dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
