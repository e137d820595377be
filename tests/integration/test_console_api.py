"""The web console's side of the API (issue 13): its files served from the
binary (types, ETag and 304, HEAD, the security headers), the operator key
([console] admin_key: reads any tenant it names, retries and recovers dead
letters, nothing else; reloadable), and the read endpoints added for its
views: /ops/tenants, /ops/hooks, /ops/health, an endpoint's delivery
statistics (GET /orders?sub_status= is test_sub_status.py's). The browser test is
test_console_browser.py."""
import json
import re
import signal
import time
import unittest

from relay import Relay, order_body
from webhooks import Receiver

ADMIN = "admin-key-0123456789abcdef"
WMS_TOKEN = "wms-token-0123456789"
CONF = """[console]
admin_key = %s
[webhooks]
retry_schedule = 0
allow_private = 127.0.0.0/8
timeout = 2
connect_timeout = 1
[source "acme/wh"]
adapter = wms
token = %s
[source "beta/wh"]
adapter = wms
token = %s
""" % (ADMIN, WMS_TOKEN, WMS_TOKEN)


def wms_event(event_id, ref="PO-NOWHERE"):
    return json.dumps({"event_id": event_id, "partner_order_reference": ref, "fulfillment_order_id": "FO-1",
                       "type": "PACKED", "date": "2026-11-20T08:00:00Z"}).encode()


class ConsoleApiTest(unittest.TestCase):
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

    def admin(self, method, path, tenant="acme", key=ADMIN, body=None):
        headers = {"x-admin-key": key}
        if tenant:
            headers["tenant-id"] = tenant
        return self.relay.request(method, path, body=body, auth=False, headers=headers)

    def wait(self, what, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = what()
            if got:
                return got
            time.sleep(0.05)
        self.fail("timed out waiting")

    # -- the files --

    def test_console_files(self):
        r = self.relay.get("/console/", auth=False)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["content-type"], "text/html; charset=utf-8")
        csp = r.headers["content-security-policy"]
        for part in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                     "object-src 'none'", "require-trusted-types-for 'script'"):
            self.assertIn(part, csp)
        self.assertNotIn("unsafe", csp)
        self.assertEqual(r.headers["x-content-type-options"], "nosniff")
        self.assertEqual(r.headers["cache-control"], "no-cache")
        etag = r.headers["etag"]
        self.assertRegex(etag, r'^"[0-9a-f]{20}"$')
        html = r.raw.decode()
        # no inline script or style in the page: every script has a src, no style element or attribute
        self.assertNotRegex(html, r"<script(?![^>]*\bsrc=)[^>]*>")
        self.assertNotRegex(html, r"<style|\sstyle=|\son[a-z]+=")
        # HEAD: the same headers, no body; a matching If-None-Match: 304 without a body
        h = self.relay.request("HEAD", "/console/", auth=False)
        self.assertEqual((h.status, h.raw, h.headers["etag"], h.headers["content-length"]),
                         (200, b"", etag, str(len(r.raw))))
        for inm in (etag, 'W/' + etag, '"other", ' + etag, "*"):
            n = self.relay.get("/console/", auth=False, headers={"If-None-Match": inm})
            self.assertEqual((n.status, n.raw, n.headers["etag"]), (304, b"", etag), inm)
        self.assertEqual(self.relay.get("/console/", auth=False, headers={"If-None-Match": '"other"'}).status, 200)
        # every file the page loads, with its type; modules import the rest
        assets = re.findall(r'(?:src|href)="/console/([^"]+)"', html)
        self.assertTrue(any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets), assets)
        seen, unvisited = set(), list(assets)
        while unvisited:
            name = unvisited.pop()
            if name in seen:
                continue
            seen.add(name)
            a = self.relay.get("/console/" + name, auth=False)
            self.assertEqual(a.status, 200, name)
            want = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
                    "svg": "image/svg+xml"}[name.rsplit(".", 1)[1]]
            self.assertEqual(a.headers["content-type"], want, name)
            self.assertEqual(a.headers["x-content-type-options"], "nosniff")
            self.assertIn("etag", a.headers)
            if name.endswith(".js"):
                text = a.raw.decode()
                unvisited += re.findall(r'from "\./([^"]+)"', text)
                code = re.sub(r"/\*.*?\*/|(?<![:\\])//[^\n]*", "", text, flags=re.S)  # without comments
                # the DOM is built from nodes, never from markup; no eval; keys live for the tab only
                for banned in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                               "new Function", "localStorage", "setAttribute(\"style\""):
                    self.assertNotIn(banned, code, name)
        self.assertGreater(len(seen), 5, seen)
        # /console redirects; an unknown file is a JSON 404; the files take GET only
        r = self.relay.get("/console", auth=False)
        self.assertEqual((r.status, r.headers["location"]), (301, "/console/"))
        r = self.relay.get("/console/nope.js", auth=False)
        self.assertEqual((r.status, r.json["error"]["code"]), (404, "not_found"))
        self.assertEqual(self.relay.post("/console/", {}, auth=False).status, 405)

    # -- the operator key --

    def test_operator_reads_any_tenant_it_names(self):
        for tenant in ("acme", "beta"):
            self.assertEqual(self.relay.post("/orders", order_body("OP-" + tenant), tenant=tenant).status, 201)
        for tenant in ("acme", "beta"):
            r = self.admin("GET", "/orders/OP-%s?key=partner_order_reference" % tenant, tenant=tenant)
            self.assertEqual((r.status, r.json["tenant"]), (200, tenant), r)
            other = "beta" if tenant == "acme" else "acme"
            self.assertEqual(self.admin("GET", "/orders/OP-%s?key=partner_order_reference" % other,
                                        tenant=tenant).status, 404)
        r = self.admin("GET", "/ops/tenants", tenant=None)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["operator"])
        self.assertEqual({t["id"]: t["sources"] for t in r.json["data"]}, {"acme": ["wh"], "beta": ["wh"]})
        r = self.relay.get("/ops/tenants", tenant="beta")
        self.assertEqual((r.json["operator"], [t["id"] for t in r.json["data"]]), (False, ["beta"]))
        # a tenant must be named (but for the tenant list), and be one
        self.assertEqual(self.admin("GET", "/orders", tenant=None).json["error"]["code"], "tenant_required")
        self.assertEqual(self.admin("GET", "/orders", tenant="nobody").status, 404)
        # a wrong key is 401, and counted
        r = self.admin("GET", "/orders", key="admin-key-0123456789abcdeX")
        self.assertEqual((r.status, r.json["error"]["code"]), (401, "unauthorized"))

    def test_operator_writes_nothing_but_dead_letter_retries(self):
        before = self.relay.get("/orders?limit=1000").json["data"]
        for method, path, body in (("POST", "/orders", order_body("OP-WRITE")), ("PATCH", "/orders/x", {}),
                                   ("POST", "/webhooks/endpoints", {"url": "http://127.0.0.1:9/x"}),
                                   ("DELETE", "/webhooks/endpoints/ep_x", None),
                                   ("POST", "/customers/c/redact", {"requested_by": "x"})):
            r = self.admin(method, path, body=body)
            self.assertEqual((r.status, r.json["error"]["code"]), (403, "forbidden"), (method, path))
        self.assertEqual(self.relay.get("/orders?limit=1000").json["data"], before)
        # a dead letter: one attempt at a closed port
        ep = self.relay.post("/webhooks/endpoints", {"url": "http://127.0.0.1:9/dead"}).json
        self.relay.post("/orders", order_body("OP-DEAD"))
        dead = self.wait(lambda: self.relay.get("/webhooks/messages?status=dead&endpoint_id=" + ep["id"]).json["data"])
        self.relay.request("PATCH", "/webhooks/endpoints/" + ep["id"], body={"url": self.receiver.url("/back")})
        r = self.admin("POST", "/webhooks/messages/%s/retry" % dead[0]["id"])
        self.assertIn(r.status, (200, 202), r)
        self.receiver.wait_for("/back", 1)
        r = self.admin("POST", "/webhooks/endpoints/%s/recover" % ep["id"], body={"since": "2020-01-01T00:00:00Z"})
        self.assertIn(r.status, (200, 202), r)
        # the operator's retry is the tenant's only: another tenant's message is not found
        self.assertEqual(self.admin("POST", "/webhooks/messages/%s/retry" % dead[0]["id"], tenant="beta").status, 404)

    def test_operator_key_reloads_and_is_a_secret(self):
        relay = Relay(extra="[console]\nadmin_key = first-admin-key-0123\n").start()
        try:
            def get(key):
                return relay.request("GET", "/ops/tenants", auth=False, headers={"x-admin-key": key}).status
            self.assertEqual(get("first-admin-key-0123"), 200)
            with open(relay.conf) as f:
                text = f.read()
            with open(relay.conf, "w") as f:
                f.write(text.replace("first-admin-key-0123", "second-admin-key-0123"))
            relay.proc.send_signal(signal.SIGHUP)
            self.wait(lambda: get("second-admin-key-0123") == 200)
            self.assertEqual(get("first-admin-key-0123"), 401)
            with open(relay.conf, "w") as f:  # none: nobody signs in as the operator
                f.write(text.replace("admin_key = first-admin-key-0123", "admin_key ="))
            relay.proc.send_signal(signal.SIGHUP)
            self.wait(lambda: get("second-admin-key-0123") == 401)
            self.assertEqual(get(""), 401)
        finally:
            relay.close()
        import subprocess
        from relay import BIN
        out = subprocess.run([BIN, "--print-config", "--config", self.relay.conf], capture_output=True, text=True)
        self.assertNotIn(ADMIN, out.stdout)
        self.assertRegex(out.stdout, r"admin_key = \*+")
        bad = self.relay.conf + ".short"
        with open(bad, "w") as f:
            f.write("[console]\nadmin_key = short\n")
        out = subprocess.run([BIN, "--check-config", bad], capture_output=True, text=True)
        self.assertEqual(out.returncode, 2, out)
        self.assertIn(":2: console.admin_key must be empty or at least 16 characters", out.stderr + out.stdout)

    # -- the read endpoints --

    def hook(self, body, token=WMS_TOKEN, tenant="acme"):
        return self.relay.post("/hooks/%s/wh" % tenant, raw=body, auth=False,
                               headers={"Content-Type": "application/json", "x-api-key": token})

    def test_hooks_per_source(self):
        self.assertEqual(self.hook(wms_event("e-parked")).status, 200)  # no such order: parked
        self.assertEqual(self.hook(wms_event("e-parked")).status, 200)  # a duplicate
        self.assertEqual(self.hook(wms_event("e-bad"), token="wrong-token-0123456").status, 401)
        self.assertEqual(self.hook(b'{"event_id": <script>').status, 400)
        r = self.relay.get("/ops/hooks")
        self.assertEqual(r.status, 200, r)
        (src,) = r.json["data"]
        self.assertEqual((src["source"], src["adapter"], src["accepted"], src["failed"]), ("wh", "wms", 2, 2))
        self.assertEqual((src["events"]["parked"], src["events"]["duplicates"], src["refused"]), (1, 1, 2))
        self.assertEqual(src["last_error"]["status"], 400)
        self.assertIn("not valid JSON", src["last_error"]["message"])
        self.assertRegex(src["last_accepted_at"], r"^\d{4}-\d\d-\d\dT")
        # each tenant sees its own sources only; the operator sees the one it names
        (other,) = self.relay.get("/ops/hooks", tenant="beta").json["data"]
        self.assertEqual((other["accepted"], other["last_error"]), (0, None))
        self.assertEqual(self.admin("GET", "/ops/hooks").json, r.json)

    def test_health(self):
        self.relay.post("/orders", order_body("OP-HEALTH"))  # a logged request: bodies to upload
        r = self.wait(lambda: (lambda j: j if j["uploads"]["ok"] else None)(self.relay.get("/ops/health").json))
        self.assertEqual(r["spool"]["max_bytes"], 1073741824)
        self.assertGreaterEqual(r["spool"]["bytes"], 0)
        self.assertEqual(r["object_store"], {"kind": "local"})
        self.assertEqual((r["uploads"]["failing"], r["uploads"]["last_error"]), (False, None))
        self.assertEqual(set(r["outbox"]), {"pending", "held", "dead"})
        self.assertGreater(r["store"]["commits"], 0)

    def test_health_of_failing_uploads(self):
        relay = Relay(extra="[s3]\nendpoint = http://127.0.0.1:9\nbucket = bodies\nregion = us-east-1\n"
                            "access_key_id = AKIDEXAMPLE\nsecret_access_key = secret-0123456789\ntimeout = 2\n").start()
        try:
            self.assertEqual(relay.post("/orders", order_body("OP-S3")).status, 201)
            r = self.wait(lambda: (lambda j: j if j["uploads"]["failed"] else None)(relay.get("/ops/health").json))
            self.assertEqual(r["object_store"], {"kind": "s3"})
            self.assertTrue(r["uploads"]["failing"])
            self.assertEqual(r["uploads"]["ok"], 0)
            self.assertTrue(r["uploads"]["last_error"])
            self.assertRegex(r["uploads"]["last_failed_at"], r"^\d{4}-")
            self.assertGreater(r["spool"]["bytes"], 0)
            self.assertGreater(r["spool"]["used"], 0)
        finally:
            relay.close()

    def test_endpoint_stats(self):
        self.receiver.configure("/stats")
        ok = self.relay.post("/webhooks/endpoints", {"url": self.receiver.url("/stats"),
                                                     "event_types": ["order.created"]}).json
        bad = self.relay.post("/webhooks/endpoints", {"url": "http://127.0.0.1:9/stats",
                                                      "event_types": ["order.created"]}).json
        self.relay.post("/orders", order_body("OP-STATS"))
        self.receiver.wait_for("/stats", 1)
        r = self.wait(lambda: (lambda j: j if j["totals"]["attempts"] else None)(
            self.relay.get("/webhooks/endpoints/%s/stats" % ok["id"]).json))
        self.assertEqual((r["window_seconds"], r["bucket_seconds"], len(r["buckets"])), (3600, 60, 60))
        self.assertEqual((r["totals"]["delivered"], r["totals"]["success_rate"]), (1, 1.0))
        self.assertGreater(r["totals"]["latency_ms_avg"], 0)
        last = [b for b in r["buckets"] if b["attempts"]]
        self.assertEqual(len(last), 1)
        self.assertIs(r["buckets"][0]["success_rate"], None)
        d = self.wait(lambda: (lambda j: j if j["totals"]["attempts"] else None)(
            self.relay.get("/webhooks/endpoints/%s/stats?window=86400&bucket=86400" % bad["id"]).json))
        self.assertEqual((len(d["buckets"]), d["totals"]["dead"], d["totals"]["success_rate"]), (1, 1, 0.0))
        for q in ("window=59", "window=90", "bucket=7200", "window=600&bucket=420", "window=86460", "bucket=x"):
            r = self.relay.get("/webhooks/endpoints/%s/stats?%s" % (ok["id"], q))
            self.assertEqual(r.status, 400, q)
        self.assertEqual(self.relay.get("/webhooks/endpoints/%s/stats" % ok["id"], tenant="beta").status, 404)
        self.assertEqual(self.admin("GET", "/webhooks/endpoints/%s/stats" % ok["id"]).status, 200)


if __name__ == "__main__":
    unittest.main()
