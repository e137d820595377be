"""Per-tenant and per-source rate limits: a tenant over its API limit gets
429 with Retry-After while another tenant is unaffected, and can go on
after waiting that long; a source over its limit likewise, before its
signature is even checked, and without a system-log write; limits reload."""
import json
import signal
import threading
import time
import unittest

import promtext
from relay import Relay, order_body

ACME, BETA = "acme-key-0123456789", "beta-key-0123456789"
LIMITS = ('[tenant "acme"]\nrate_limit = 1\nrate_burst = 3\n'
          '[source "acme/wh"]\nadapter = wms\ntoken = wh-0123\nrate_limit = 1\nrate_burst = 2\n'
          '[source "acme/wh2"]\nadapter = wms\ntoken = wh2-0123\n'
          "[limits]\napi_rate = 1000\nhook_rate = 1000\n")


def wms(event_id):
    return json.dumps({"event_id": event_id, "partner_order_reference": "PO-NONE", "fulfillment_order_id": "F",
                       "type": "PACKED", "date": "2026-11-20T08:00:00Z"}).encode()


class RateLimitTest(unittest.TestCase):
    def setUp(self):
        self.relay = Relay(extra=LIMITS).start()
        time.sleep(1.1)  # the harness's start-up polls are not the tenants' traffic, but let buckets settle

    def tearDown(self):
        self.relay.close()

    def log(self):
        with open(self.relay.log) as f:
            return f.read()

    def hook(self, source, token, event_id):
        return self.relay.post("/hooks/acme/%s" % source, raw=wms(event_id), auth=False,
                               headers={"Content-Type": "application/json", "x-api-key": token})

    def test_a_tenant_over_its_limit_gets_429_and_another_tenant_does_not(self):
        r = self.relay
        results = [r.post("/orders", order_body("PO-A%d" % i)).status for i in range(8)]
        self.assertEqual(results[:3], [201] * 3, results)
        self.assertEqual(set(results[3:]), {429}, results)
        refused = r.post("/orders", order_body("PO-A-X"))
        self.assertEqual(refused.status, 429)
        self.assertEqual(refused.json["error"]["code"], "rate_limited")
        self.assertEqual(refused.headers["retry-after"], "1")
        for i in range(20):  # beta, meanwhile, is not limited by acme's bucket
            self.assertEqual(r.post("/orders", order_body("PO-B%d" % i), tenant="beta", key=BETA).status, 201)
        time.sleep(int(refused.headers["retry-after"]))
        self.assertEqual(r.post("/orders", order_body("PO-A-AFTER")).status, 201)
        # nothing of a refused request was applied
        time.sleep(1.1)
        self.assertEqual(r.get("/orders/PO-A-X?key=partner_order_reference").status, 404)

    def test_a_burst_of_one_tenant_does_not_hold_up_another(self):
        r = self.relay
        stop, acme = threading.Event(), []

        def flood():
            while not stop.is_set():
                acme.append(r.post("/orders", order_body("PO-F%d-%d" % (threading.get_ident(), len(acme)))).status)

        threads = [threading.Thread(target=flood) for _ in range(6)]
        started = time.time()
        for t in threads:
            t.start()
        beta = []
        for i in range(30):
            t0 = time.time()
            beta.append((r.post("/orders", order_body("PO-BB%d" % i), tenant="beta", key=BETA).status,
                         time.time() - t0))
        stop.set()
        for t in threads:
            t.join()
        elapsed = time.time() - started
        self.assertEqual({s for s, _ in beta}, {201})
        self.assertLessEqual(acme.count(201), 3 + int(elapsed) + 1)  # 3 at once and one a second
        self.assertGreater(acme.count(429), 50)

    def test_a_source_over_its_limit_and_reloading_limits(self):
        statuses = [self.hook("wh", "wh-0123", "e%d" % i).status for i in range(4)]
        self.assertEqual(statuses, [200, 200, 429, 429])
        bad = self.hook("wh", "wrong-token", "bad")
        self.assertEqual(bad.status, 429, "the limit comes before the signature")
        self.assertEqual(bad.headers["retry-after"], "1")
        self.assertEqual({self.hook("wh2", "wh2-0123", "f%d" % i).status for i in range(10)}, {200})
        m = promtext.parse(self.relay.get("/metrics", auth=False).raw.decode())
        self.assertEqual(m["shiprelay_hook_events_total"].get(source="acme/wh", outcome="rate_limited"), 3)
        self.assertEqual(m["shiprelay_rate_limited_total"].get(kind="hook"), 3)
        self.assertEqual(m["shiprelay_hook_events_total"].get(source="acme/wh2", outcome="parked"), 10)
        # a reload lifts the source's limit and puts one on beta
        with open(self.relay.conf) as f:
            text = f.read()
        with open(self.relay.conf, "w") as f:
            f.write(text.replace("rate_limit = 1\nrate_burst = 2\n", "rate_limit = 0\n")
                    .replace('[tenant "beta"]\napi_key = %s\n' % BETA,
                             '[tenant "beta"]\napi_key = %s\nrate_limit = 1\nrate_burst = 1\n' % BETA))
        before = self.log().count("reload: ")
        self.relay.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while self.log().count("reload: ") == before and time.time() < deadline:
            time.sleep(0.02)
        self.assertEqual({self.hook("wh", "wh-0123", "g%d" % i).status for i in range(10)}, {200})
        self.assertEqual([self.relay.get("/orders/x", tenant="beta", key=BETA).status for _ in range(3)],
                         [404, 429, 429])


if __name__ == "__main__":
    unittest.main()
