"""SIGHUP reloads the config without a restart: tenants, keys, OAuth2
clients, sources, allocation rules, limits and the log level change for the
next request; a removed key is
refused at once; an invalid file keeps the running config and logs every
error with file:line; keys that need a restart keep their value and say so;
connections and requests in flight live through it."""
import json
import os
import signal
import socket
import threading
import time
import unittest

from carriyo import carriyo_order
from relay import Relay, order_body

ACME_KEY, BETA_KEY = "acme-key-0123456789", "beta-key-0123456789"


def wms_event(event_id, ref="PO-NOWHERE"):
    return json.dumps({"event_id": event_id, "partner_order_reference": ref, "fulfillment_order_id": "FO-1",
                       "type": "PACKED", "date": "2026-11-20T08:00:00Z"}).encode()


class ReloadTest(unittest.TestCase):
    def setUp(self):
        # every refused request is logged (5 a second per address by default: a fast run of a test fits
        # more than that in one second, and the refusal it looks for would be counted, not logged)
        self.relay = Relay(threads=2, tenants={"acme": ACME_KEY, "beta": BETA_KEY},
                           extra="[log]\nauth_failures_per_second = 10000\n").start()
        with open(self.relay.conf) as f:
            self.base = f.read()
        self.reloads = 0

    def tearDown(self):
        self.relay.close()

    def log(self):
        with open(self.relay.log, errors="replace") as f:
            return f.read()

    def write(self, text):
        tmp = self.relay.conf + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, self.relay.conf)

    def hup(self, until=None, marker="reload: "):
        """SIGHUP, then wait until the relay has finished reading the file:
        `until()` holds, or the log shows one more `marker` line."""
        before = self.log().count(marker)
        self.relay.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline:
            self.assertIsNone(self.relay.proc.poll(), "the relay exited on SIGHUP:\n" + self.log())
            if until() if until else self.log().count(marker) > before:
                return
            time.sleep(0.02)
        self.fail("the reload did not take effect:\n" + self.log()[-3000:])

    def hook(self, source, token, event_id, tenant="acme"):
        return self.relay.post("/hooks/%s/%s" % (tenant, source), raw=wms_event(event_id), auth=False,
                               headers={"Content-Type": "application/json", "x-api-key": token})

    def test_reload_adds_a_tenant_and_a_source_removes_a_key_and_changes_the_log_level(self):
        r = self.relay
        self.assertEqual(r.post("/orders", order_body("PO-B1"), tenant="beta", key=BETA_KEY).status, 201)
        self.assertEqual(r.get("/orders/PO-1", tenant="gamma", key="gamma-key-0123456789").status, 401)
        self.assertEqual(self.hook("wh", "wh-token-1", "e0").status, 404)
        # gamma and a source appear, beta's key is replaced, the log level goes to error
        self.write(self.base.replace("api_key = " + BETA_KEY, "api_key = beta-key-NEW-0123456789")
                   + '[tenant "gamma"]\napi_key = gamma-key-0123456789\n'
                   + '[source "acme/wh"]\nadapter = wms\ntoken = wh-token-1\n'
                   + "[log]\nlevel = error\n")
        self.hup(until=lambda: r.get("/healthz", auth=False).status == 200 and
                 r.get("/orders/x", tenant="gamma", key="gamma-key-0123456789").status == 404)
        self.assertEqual(r.post("/orders", order_body("PO-G1"), tenant="gamma", key="gamma-key-0123456789").status,
                         201)
        self.assertEqual(r.get("/orders/PO-B1?key=partner_order_reference", tenant="beta", key=BETA_KEY).status,
                         401, "a removed key stops working at once")
        self.assertEqual(r.get("/orders/PO-B1?key=partner_order_reference", tenant="beta",
                               key="beta-key-NEW-0123456789").status, 200)
        self.assertEqual(self.hook("wh", "wh-token-1", "e1").json["parked"], 1)
        # level error: a refused callback (a warning) is not logged
        self.assertEqual(self.hook("wh", "wrong-token", "e2").status, 401)
        time.sleep(0.2)
        self.assertNotIn("hook acme/wh: refused", self.log())
        # back to debug: it is
        # (every refusal counts against the per-peer log rate, the probes below too: lift it)
        self.write(self.base + '[source "acme/wh"]\nadapter = wms\ntoken = wh-token-2\n[log]\nlevel = debug\n'
                   'auth_failures_per_second = 10000\n')
        self.hup(until=lambda: self.hook("wh", "wh-token-2", "e3").status == 200)
        self.assertEqual(self.hook("wh", "wrong-token", "e4").status, 401)
        time.sleep(0.2)
        self.assertIn("hook acme/wh: refused", self.log())
        # the source and gamma are gone again
        self.assertEqual(r.get("/orders/x", tenant="gamma", key="gamma-key-0123456789").status, 401)

    def test_oauth_clients_and_allocation_rules_reload(self):
        r = self.relay
        client = {"client_id": "acme-oms", "client_secret": "acme-oms-secret-0123456789"}
        self.assertEqual(r.post("/oauth/token", client, auth=False).status, 403)
        o = r.post("/orders", carriyo_order("PO-RL-1")).json
        self.assertEqual((o["fulfillment_orders"], o["status"]), ([], "open"))
        self.write(self.base + '[tenant "acme"]\nclient_id = acme-oms\nclient_secret = %s\n'
                   'allocation_rule = WH-DXB country=AE\n' % client["client_secret"])
        self.hup(until=lambda: r.post("/oauth/token", client, auth=False).status == 200)
        token = r.post("/oauth/token", client, auth=False).json["access_token"]
        self.assertEqual(r.get("/orders/x", headers={"Authorization": "Bearer " + token}).status, 404)
        o = r.post("/orders", carriyo_order("PO-RL-2")).json
        self.assertEqual([fo["location_id"] for fo in o["fulfillment_orders"]], ["WH-DXB"])
        self.assertEqual(o["status"], "allocated")
        # and both go again
        self.write(self.base)
        self.hup(until=lambda: r.post("/oauth/token", client, auth=False).status == 403)
        self.assertEqual(r.post("/orders", carriyo_order("PO-RL-3")).json["fulfillment_orders"], [])

    def test_an_invalid_file_keeps_the_running_config(self):
        r = self.relay
        self.write(self.base.replace("api_key = " + BETA_KEY, "")
                   + '[tenant "gamma"]\napi_key = gamma-key-0123456789\n[server]\nthreads = 0\n'
                   + '[source "acme/x"]\nadapter = fedex\n')
        lines = len(self.base.split("\n"))
        self.hup(marker="the running configuration stays")
        log = self.log()
        self.assertIn("%s:%d: server.threads must be between 1 and 64, not 0" % (r.conf, lines + 3), log)
        self.assertIn('%s:%d: [source "acme/x"] adapter "fedex" is not one of' % (r.conf, lines + 5), log)
        self.assertEqual(r.get("/orders/x", tenant="beta", key=BETA_KEY).status, 404, "the old keys still work")
        self.assertEqual(r.get("/orders/x", tenant="gamma", key="gamma-key-0123456789").status, 401)
        # a missing file is refused the same way
        os.unlink(r.conf)
        self.hup(marker="the running configuration stays")
        self.assertIn("%s:0: cannot open" % r.conf, self.log())
        self.assertEqual(r.get("/orders/x", tenant="beta", key=BETA_KEY).status, 404)
        self.write(self.base)

    def test_keys_that_need_a_restart_keep_their_value(self):
        r = self.relay
        text = self.base.replace("threads = 2", "threads = 3").replace(
            "listen = 127.0.0.1:%d" % r.port, "listen = 127.0.0.1:%d" % (r.port + 1))
        self.write(text + '[tenant "gamma"]\napi_key = gamma-key-0123456789\n[storage]\ncommit_batch = 9\n')
        self.hup()
        log = self.log()
        self.assertIn("[server] threads changed from 2 to 3: it takes a restart; 2 stays", log)
        self.assertIn('[server] listen changed from "127.0.0.1:%d" to "127.0.0.1:%d": it takes a restart'
                      % (r.port, r.port + 1), log)
        self.assertIn("[storage] commit_batch changed from 256 to 9", log)
        # the rest of the file applies, on the same port
        self.assertEqual(r.get("/orders/x", tenant="gamma", key="gamma-key-0123456789").status, 404)

    def test_connections_and_requests_in_flight_survive(self):
        r = self.relay
        body = json.dumps(order_body("PO-FLIGHT")).encode()
        head = ("POST /orders HTTP/1.1\r\nHost: x\r\ntenant-id: acme\r\nx-api-key: %s\r\n"
                "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (ACME_KEY, len(body))).encode()
        idle = socket.create_connection(("127.0.0.1", r.port))
        idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertIn(b"200 OK", idle.recv(4096))
        flying = socket.create_connection(("127.0.0.1", r.port))
        flying.sendall(head + body[:40])  # a request half sent when the signal comes
        # load from other clients all along, on kept-alive connections
        stop, results, errors = threading.Event(), [], []

        def client(n):
            import http.client
            c = http.client.HTTPConnection("127.0.0.1", r.port, timeout=30)
            i = 0
            while not stop.is_set():
                try:
                    res = r.post("/orders", order_body("PO-L%d-%d" % (n, i)), conn=c)
                    results.append(res.status)
                except OSError as e:
                    errors.append(repr(e))
                    return
                i += 1
            c.close()

        threads = [threading.Thread(target=client, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        for i in range(5):
            self.write(self.base + '[tenant "t%d"]\napi_key = tenant-key-%d-0123456789\n' % (i, i))
            self.hup()
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertTrue(results and set(results) == {201}, set(results))
        flying.sendall(body[40:])
        reply = flying.recv(65536)
        self.assertIn(b"HTTP/1.1 201", reply)
        idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertIn(b"200 OK", idle.recv(4096), "a kept-alive connection outlives the reloads")
        idle.close()
        flying.close()
        self.assertEqual(r.get("/orders/PO-FLIGHT?key=partner_order_reference").status, 200)

    def test_hooks_in_flight_while_sources_are_reloaded(self):
        """A callback holds its source's config while the writer runs it; a
        reload replacing every source meanwhile must not pull it away (the
        sanitizer build would see a use after free)."""
        src = '[source "acme/wh"]\nadapter = wms\ntoken = wh-token-1\n'
        self.write(self.base + src)
        self.hup(until=lambda: self.hook("wh", "wh-token-1", "warm").status == 200)
        stop, statuses = threading.Event(), []

        def poster(n):
            i = 0
            while not stop.is_set():
                statuses.append(self.hook("wh", "wh-token-1", "h%d-%d" % (n, i)).status)
                i += 1

        threads = [threading.Thread(target=poster, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        for i in range(10):
            self.write(self.base + src + '[tenant "t%d"]\napi_key = tenant-key-%d-0123456789\n' % (i, i))
            self.hup()
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(set(statuses), {200})


if __name__ == "__main__":
    unittest.main()
