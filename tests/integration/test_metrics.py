"""GET /metrics end to end: the whole output parses with a strict
Prometheus text-format parser (promtext.py), and each family moves as the
traffic that feeds it: requests by route and code with a duration
histogram, hook events by source and outcome, deliveries by outcome with a
latency histogram, body uploads, commits (jobs per commit, duration),
pending messages by endpoint (top 20, the rest under endpoint="other"),
authentication failures, reloads."""
import http.server
import json
import signal
import threading
import time
import unittest

import promtext
from relay import Relay, free_port, order_body

WH = '[source "acme/wh"]\nadapter = wms\ntoken = wh-token-0123\n'
HOOKS = "[webhooks]\nallow_private = 127.0.0.0/8\nretry_schedule = 0 1h\n"


def scrape(relay):
    r = relay.get("/metrics", auth=False)
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4"), r.headers
    return promtext.parse(r.raw.decode())


class Receiver(http.server.ThreadingHTTPServer):
    """Answers every webhook 200."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def allocated_order(ref):
    body = order_body(ref)
    for line in body["line_items"]:
        line["status"] = "allocated"
    del body["fulfillment_orders"][0]["shipments"]
    return body


def wms(event_id, ref, fo, kind="PACKED"):
    return json.dumps({"event_id": event_id, "partner_order_reference": ref, "fulfillment_order_id": fo,
                       "type": kind, "date": "2026-11-20T08:00:00Z"}).encode()


class MetricsTest(unittest.TestCase):
    def wait(self, relay, check, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = scrape(relay)
            if check(m):
                return m
            time.sleep(0.1)
        self.fail("metrics did not get there:\n" + relay.get("/metrics", auth=False).raw.decode()[-6000:])

    def test_every_family_moves_with_its_traffic(self):
        receiver = Receiver()
        closed = free_port()
        relay = Relay(extra=WH + HOOKS).start()
        try:
            before = scrape(relay)
            for name, kind in [("shiprelay_http_requests_total", "counter"),
                               ("shiprelay_http_request_duration_seconds", "histogram"),
                               ("shiprelay_hook_events_total", "counter"),
                               ("shiprelay_webhook_deliveries_total", "counter"),
                               ("shiprelay_webhook_delivery_duration_seconds", "histogram"),
                               ("shiprelay_body_uploads_total", "counter"),
                               ("shiprelay_spool_bytes", "gauge"), ("shiprelay_store_readable", "gauge"),
                               ("shiprelay_store_jobs_per_commit", "histogram"),
                               ("shiprelay_store_commit_duration_seconds", "histogram"),
                               ("shiprelay_webhook_pending_messages", "gauge"),
                               ("shiprelay_auth_failures_total", "counter"),
                               ("shiprelay_config_reloads_total", "counter"),
                               ("shiprelay_stuck_orders", "gauge"), ("shiprelay_webhook_messages", "gauge"),
                               ("shiprelay_store_jobs_total", "counter"), ("shiprelay_store_commits_total", "counter")]:
                self.assertEqual(before[name].type, kind, name)
            self.assertEqual(before["shiprelay_store_readable"].get(), 1)
            # a good endpoint and 22 dead ones (a closed port): 23 messages per order
            good = relay.post("/webhooks/endpoints", {"url": "http://127.0.0.1:%d/ok" % receiver.server_port,
                                                         "event_types": ["order.created"]})
            self.assertEqual(good.status, 201, good)
            dead = [relay.post("/webhooks/endpoints", {"url": "http://127.0.0.1:%d/e%d" % (closed, i),
                                                           "event_types": ["order.created"]}).json["id"]
                    for i in range(22)]
            for i in range(3):
                self.assertEqual(relay.post("/orders", allocated_order("PO-M%d" % i)).status, 201)
            self.assertEqual(relay.get("/orders/PO-M0?key=partner_order_reference").status, 200)
            self.assertEqual(relay.get("/orders/nope").status, 404)
            self.assertEqual(relay.get("/orders/PO-M0", key="wrong-key-0123456789").status, 401)
            self.assertEqual(relay.get("/no/such/route").status, 404)
            hook = lambda body, token="wh-token-0123": relay.post(
                "/hooks/acme/wh", raw=body, auth=False,
                headers={"Content-Type": "application/json", "x-api-key": token})
            self.assertEqual(hook(wms("e1", "PO-M0", "FO-PO-M0")).json["applied"], 1)
            self.assertEqual(hook(wms("e1", "PO-M0", "FO-PO-M0")).json["duplicates"], 1)
            self.assertEqual(hook(wms("e2", "PO-NONE", "FO-X")).json["parked"], 1)
            self.assertEqual(hook(wms("e3", "PO-M0", "FO-PO-M0"), token="bad").status, 401)
            self.assertEqual(hook(b"not json").status, 400)

            delivered = lambda: len(relay.get("/webhooks/messages?status=delivered").json["data"])
            m = self.wait(relay, lambda m: delivered() == 3
                          and m["shiprelay_webhook_deliveries_total"].get(outcome="failed") >= 66
                          and m["shiprelay_body_uploads_total"].get(op="upload", outcome="ok") >= 10)
            m = scrape(relay)  # after every delivery is committed
            req = m["shiprelay_http_requests_total"]
            self.assertEqual(req.get(method="POST", route="/orders", code="201"), 3)
            self.assertEqual(req.get(method="POST", route="/webhooks/endpoints", code="201"), 23)
            self.assertEqual(req.get(method="GET", route="/orders/{reference}", code="200"), 1)
            self.assertEqual(req.get(method="GET", route="/metrics", code="200"), m["shiprelay_http_request_duration_seconds"].get(
                "shiprelay_http_request_duration_seconds_count", method="GET", route="/metrics"))
            self.assertEqual(req.get(method="GET", route="/orders/{reference}", code="404"), 1)
            self.assertEqual(req.get(method="GET", route="/orders/{reference}", code="401"), 1)
            self.assertEqual(req.get(method="", route="unmatched", code="404"), 1)
            self.assertEqual(req.get(method="POST", route="/hooks/{tenant}/{source}", code="200"), 3)
            self.assertNotIn("PO-M0", json.dumps(req.samples), "routes are templates, never raw paths")
            dur = m["shiprelay_http_request_duration_seconds"]
            self.assertEqual(dur.get("shiprelay_http_request_duration_seconds_count", method="POST",
                                     route="/orders"), 3)
            self.assertGreater(dur.get("shiprelay_http_request_duration_seconds_sum", method="POST",
                                       route="/orders"), 0)
            hooks = m["shiprelay_hook_events_total"]
            for outcome, n in [("applied", 1), ("duplicates", 1), ("parked", 1), ("refused", 2), ("unchanged", 0),
                               ("history_only", 0), ("rate_limited", 0)]:
                self.assertEqual(hooks.get(source="acme/wh", outcome=outcome), n, outcome)
            deliveries = m["shiprelay_webhook_deliveries_total"]
            self.assertEqual(deliveries.get(outcome="delivered"), 3)
            self.assertEqual(deliveries.get(outcome="dead"), 0)
            latency = m["shiprelay_webhook_delivery_duration_seconds"]
            self.assertEqual(latency.get("shiprelay_webhook_delivery_duration_seconds_count"),
                             deliveries.get(outcome="delivered") + deliveries.get(outcome="failed"))
            jobs = m["shiprelay_store_jobs_per_commit"]
            commits = m["shiprelay_store_commits_total"].get() - before["shiprelay_store_commits_total"].get()
            self.assertEqual(jobs.get("shiprelay_store_jobs_per_commit_count"), m["shiprelay_store_commits_total"].get())
            self.assertGreater(commits, 0)
            self.assertEqual(jobs.get("shiprelay_store_jobs_per_commit_sum"), m["shiprelay_store_jobs_total"].get())
            self.assertEqual(m["shiprelay_store_commit_duration_seconds"].get(
                "shiprelay_store_commit_duration_seconds_count"), m["shiprelay_store_commits_total"].get())
            # pending: 22 endpoints with 3 each; 20 named, 2 summed as "other"
            pending = m["shiprelay_webhook_pending_messages"]
            named = [(l, v) for l, v in pending.where() if l["endpoint"] != "other"]
            self.assertEqual(len(named), 20)
            self.assertTrue(all(v == 3 and l["endpoint"] in dead and l["tenant"] == "acme" for l, v in named))
            self.assertEqual(pending.get(endpoint="other", tenant="other"), 6, (pending.samples, relay.get("/webhooks/messages?status=pending&limit=1000").json))
            self.assertEqual(m["shiprelay_webhook_messages"].get(status="pending"), 66)
            auth = m["shiprelay_auth_failures_total"]
            self.assertEqual((auth.get(kind="api_key"), auth.get(kind="hook")), (1, 1))
            self.assertGreaterEqual(m["shiprelay_spool_bytes"].get(), 0)
            # reloads: one applied, one refused
            relay.proc.send_signal(signal.SIGHUP)
            self.wait(relay, lambda m: m["shiprelay_config_reloads_total"].get(outcome="applied") == 1)
            with open(relay.conf, "a") as f:
                f.write("[server]\nthreads = 0\n")
            relay.proc.send_signal(signal.SIGHUP)
            m = self.wait(relay, lambda m: m["shiprelay_config_reloads_total"].get(outcome="refused") == 1)
            self.assertEqual(m["shiprelay_config_reloads_total"].get(outcome="applied"), 1)
        finally:
            relay.close()
            receiver.shutdown()
            receiver.server_close()

    def test_dead_letters_and_upload_failures(self):
        """The last attempt counts as dead; a body the object store refuses
        counts as a failed upload."""
        relay = Relay(extra="[webhooks]\nallow_private = 127.0.0.0/8\nretry_schedule = 0\n"
                            "[s3]\nendpoint = http://127.0.0.1:%d\nbucket = b\naccess_key_id = k\n"
                            "secret_access_key = s\ntimeout = 1\n" % free_port()).start()
        try:
            relay.post("/webhooks/endpoints", {"url": "http://127.0.0.1:%d/x" % free_port()})
            self.assertEqual(relay.post("/orders", order_body("PO-D1")).status, 201)
            m = self.wait(relay, lambda m: m["shiprelay_webhook_deliveries_total"].get(outcome="dead") == 1
                          and m["shiprelay_body_uploads_total"].get(op="upload", outcome="failed") >= 1)
            self.assertEqual(m["shiprelay_webhook_deliveries_total"].get(outcome="failed"), 0)
            self.assertEqual(m["shiprelay_body_uploads_total"].get(op="upload", outcome="ok"), 0)
            self.assertGreater(m["shiprelay_spool_bytes"].get(), 0)
        finally:
            relay.close()


if __name__ == "__main__":
    unittest.main()
