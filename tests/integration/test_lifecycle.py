"""The operator contract: command line, config checking, the embedded
defaults, SIGTERM draining in-flight requests, the connection cap, and the
limits libevent enforces before a handler runs."""
import http.client
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import relay as harness
from relay import BIN, Relay, free_port, order_body


def run(*args, **kw):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30, **kw)


class CommandLineTest(unittest.TestCase):
    def test_help_and_version(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("--check-config", r.stdout)
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^shiprelay \d+\.\d+\.\d+\n$")
        self.assertEqual(run("--bogus").returncode, 2)

    def test_check_config(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write("[server]\nlisten = 127.0.0.1:9\n\n[storage]\nthreads = 2\n")
        try:
            r = run("--check-config", f.name)
            self.assertEqual(r.returncode, 2)
            self.assertEqual(r.stderr.strip(), '%s:5: unknown key "threads" in [storage]' % f.name)
            with open(f.name, "w") as g:
                g.write('[server]\nthreads = 3\n[tenant "acme"]\napi_key = 0123456789abcdef\n')
            r = run("--check-config", f.name)
            self.assertEqual(r.returncode, 0, r.stderr)
            # the same refusal stops the daemon from starting
            with open(f.name, "w") as g:
                g.write("[server]\nmax_body = 12\n")
            r = run("--config", f.name)
            self.assertEqual(r.returncode, 2)
            self.assertIn(":2: server.max_body must be between", r.stderr)
        finally:
            os.unlink(f.name)

    def test_unsafe_configs_are_refused(self):
        acme = '[tenant "acme"]\napi_key = acme-key-0123456789\n'
        cases = [
            (acme + '[source "acme/ay"]\nadapter = aymakan\n', ':4: [source "acme/ay"] needs token'),
            (acme + '[source "ghost/w"]\nadapter = wms\ntoken = t\n', ':4: [source "ghost/w"] belongs to no configured tenant'),
            (acme + '[tenant "beta"]\napi_key = acme-key-0123456789\n', ':4: tenant "beta" api_key is already a key of tenant "acme"'),
            (acme + '\n[tenant "nokey"]\n', ':4: [tenant "nokey"] has no api_key'),
        ]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "unsafe.conf")
            for text, want in cases:
                with open(path, "w") as f:
                    f.write("[storage]\ndir = %s\n" % os.path.join(d, "state") + text)
                want = want.replace(want.split(":")[1], str(int(want.split(":")[1]) + 2), 1)
                for args in (("--check-config", path), ("--config", path)):
                    r = run(*args)
                    self.assertEqual(r.returncode, 2, (args, text, r.stderr))
                    self.assertIn(path + want, r.stderr)
            # the explicit opt-out runs, and says so loudly on every start
            with open(path, "w") as f:
                f.write(acme + '[source "acme/ay"]\nadapter = aymakan\nallow_unauthenticated = yes\n')
            r = run("--check-config", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn('SECURITY: [source "acme/ay"] has allow_unauthenticated = yes', r.stderr)
            relay = Relay(extra='[source "acme/ay"]\nadapter = aymakan\nallow_unauthenticated = yes\n').start()
            try:
                with open(relay.log) as f:
                    self.assertIn('SECURITY: [source "acme/ay"] has allow_unauthenticated = yes', f.read())
                body = b'{"tracking_number": "AY-OPEN-1", "status": "AY-0003", "date_time": "2026-11-20T10:00:00Z"}'
                r = relay.post("/hooks/acme/ay", raw=body, auth=False, headers={"Content-Type": "application/json"})
                self.assertEqual((r.status, r.json["parked"]), (200, 1), r)
            finally:
                relay.close()

    def test_shipped_config_is_valid_and_current(self):
        src = os.environ.get("SHIPRELAY_SOURCE", os.path.join(os.path.dirname(__file__), "../.."))
        conf = os.path.join(src, "config/shiprelay.conf")
        self.assertEqual(run("--check-config", conf).returncode, 0)
        with open(conf) as f:
            self.assertEqual(f.read(), run("--print-config").stdout)

    @unittest.skipIf(harness.POSTGRESQL, "the embedded defaults are SQLite's (no database url): the SQLite pass runs "
                     "this, and both passes at once would race for 127.0.0.1:8080")
    def test_embedded_defaults_serve_the_demo_tenant(self):
        with tempfile.TemporaryDirectory() as d:
            p = subprocess.Popen([BIN], cwd=d, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                line = ""
                while "listening on" not in line:
                    line = p.stdout.readline()
                    self.assertTrue(line, "the relay exited")
                self.assertIn("http://127.0.0.1:8080", line)
                c = http.client.HTTPConnection("127.0.0.1", 8080, timeout=10)
                c.request("POST", "/orders", body=b'{"partner_order_reference":"D1","line_items":'
                          b'[{"line_item_id":"L1","sku":"S","quantity":1}]}',
                          headers={"tenant-id": "demo", "x-api-key": "demo-key-change-me",
                                   "Content-Type": "application/json"})
                self.assertEqual(c.getresponse().status, 201)
                self.assertTrue(os.path.exists(os.path.join(d, "shiprelay-data", "shiprelay.db")))
            finally:
                p.send_signal(signal.SIGTERM)
                self.assertEqual(p.wait(15), 0)


class ShutdownTest(unittest.TestCase):
    def test_sigterm_drains_in_flight_requests_and_exits_zero(self):
        relay = Relay(threads=2).start()
        try:
            results, stop = [], threading.Event()

            def client(n):
                i = 0
                while not stop.is_set() and i < 500:
                    try:
                        r = relay.post("/orders", order_body("PO-DRAIN-%d-%d" % (n, i)))
                        results.append((r.status, "PO-DRAIN-%d-%d" % (n, i)))
                    except OSError:
                        return
                    i += 1

            threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
            for t in threads:
                t.start()
            while len(results) < 30:
                time.sleep(0.01)
            rc = relay.stop(signal.SIGTERM)
            stop.set()
            for t in threads:
                t.join()
            self.assertEqual(rc, 0)
            statuses = {s for s, _ in results}
            self.assertTrue(statuses <= {201, 503}, statuses)
            relay.start()
            for status, ref in results:
                if status == 201:
                    self.assertEqual(relay.get("/orders/%s?key=partner_order_reference" % ref).status, 200, ref)
            self.assertIn("stopped", open(relay.log).read())
        finally:
            relay.close()


class LimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(extra="", threads=1)
        with open(cls.relay.conf, "a") as f:
            f.write("[server]\nmax_connections = 3\nmax_header = 2048\ntimeout = 2\n")
        cls.relay.start()

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    def raw(self, data):
        with socket.create_connection(("127.0.0.1", self.relay.port), timeout=10) as s:
            s.sendall(data)
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return out
                out += chunk

    def test_connection_cap(self):
        conns = [http.client.HTTPConnection("127.0.0.1", self.relay.port, timeout=10) for _ in range(4)]
        try:
            for c in conns[:3]:
                self.assertEqual(self.relay.get("/healthz", auth=False, conn=c).status, 200)
            r = self.relay.get("/healthz", auth=False, conn=conns[3])
            self.assertEqual(r.status, 503)
            self.assertEqual(r.json["error"]["code"], "too_many_connections")
            conns[0].close()
            time.sleep(0.2)
            fresh = http.client.HTTPConnection("127.0.0.1", self.relay.port, timeout=10)
            self.assertEqual(self.relay.get("/healthz", auth=False, conn=fresh).status, 200)
            fresh.close()
        finally:
            for c in conns:
                c.close()

    def test_malformed_request_is_a_json_400(self):
        out = self.raw(b"THIS IS NOT HTTP\r\n\r\n")
        self.assertRegex(out, rb"^HTTP/1\.1 400 ")
        self.assertIn(b'"code":"bad_request"', out)

    def test_oversized_headers_are_refused(self):
        out = self.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 4096 + b"\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 400"), out)
        self.assertIn(b"application/json", out)

    def test_idle_connection_is_closed_after_the_timeout(self):
        with socket.create_connection(("127.0.0.1", self.relay.port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\n")  # never finished
            started = time.time()
            self.assertEqual(s.recv(1024), b"")
            self.assertLess(time.time() - started, 8)


if __name__ == "__main__":
    unittest.main()
