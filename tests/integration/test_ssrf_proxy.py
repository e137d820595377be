"""SSRF through a proxy (issue 10): the environment's proxy variables are
never used, so they cannot carry a delivery past the guard; with a proxy the
operator configures ([webhooks] proxy), the destination is resolved and
vetted before anything is sent, and the proxy is asked to CONNECT to the
vetted address (not to a name it could resolve again). A small forward
proxy in this process records every request it gets."""
import socket
import socketserver
import threading
import time
import unittest

from relay import Relay, order_body
from webhooks import Receiver


class Proxy(socketserver.ThreadingTCPServer):
    """A forward proxy: CONNECT tunnels, anything else is recorded and refused."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.seen = []
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self):
        return self.server_address[1]


class ProxyHandler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().decode("latin-1").strip()
        self.server.seen.append(line)
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        parts = line.split()
        if len(parts) < 2 or parts[0] != "CONNECT":
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        host, port = parts[1].rsplit(":", 1)
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
        except OSError:
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            return
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        pipe(self.connection, upstream)


def pipe(a, b):
    def copy(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    t = threading.Thread(target=copy, args=(b, a), daemon=True)
    t.start()
    copy(a, b)
    t.join(5)


def last_attempt(relay, endpoint_id, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        msgs = relay.get("/webhooks/messages?endpoint_id=%s" % endpoint_id).json["data"]
        if msgs and msgs[0]["attempts"] >= 1:
            return relay.get("/webhooks/messages/%s/attempts" % msgs[0]["id"]).json["data"][-1]
        time.sleep(0.05)
    raise AssertionError("no attempt was made for %s" % endpoint_id)


class ProxySSRFTest(unittest.TestCase):
    def setUp(self):
        self.proxy = Proxy()

    def tearDown(self):
        self.proxy.shutdown()
        self.proxy.server_close()

    def test_the_environment_proxy_is_ignored(self):
        url = "http://127.0.0.1:%d" % self.proxy.port
        env = {k: url for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")}
        env["no_proxy"] = env["NO_PROXY"] = ""
        with Relay(extra="[webhooks]\nallow_private = 127.0.0.0/8\nretry_schedule = 0 1h\n", env=env) as relay:
            ep = relay.post("/webhooks/endpoints", {"url": "http://169.254.169.254/latest/meta-data/"}).json
            self.assertEqual(relay.post("/orders", order_body("PO-ENV")).status, 201)
            a = last_attempt(relay, ep["id"])
            self.assertEqual(a["error_class"], "E_BLOCKED", a)
        self.assertEqual(self.proxy.seen, [])

    def test_a_configured_proxy_gets_only_vetted_destinations(self):
        receiver = Receiver()
        try:
            # localhost resolves to 127.0.0.1 and ::1: every address must pass
            conf = "[webhooks]\nallow_private = 127.0.0.0/8 ::1/128\nretry_schedule = 0 1h\n" \
                   "proxy = http://127.0.0.1:%d\n" % self.proxy.port
            with Relay(extra=conf) as relay:
                blocked = relay.post("/webhooks/endpoints", {"url": "http://10.1.2.3/hook",
                                                             "event_types": ["order.created"]}).json
                metadata = relay.post("/webhooks/endpoints", {"url": "http://169.254.169.254/",
                                                              "event_types": ["order.created"]}).json
                good = relay.post("/webhooks/endpoints", {"url": "http://localhost:%d/via" % receiver.port,
                                                          "event_types": ["order.created"]}).json
                receiver.configure("/via", "ok", [good["secret"]])
                self.assertEqual(relay.post("/orders", order_body("PO-PROXY")).status, 201)
                for ep in (blocked, metadata):
                    a = last_attempt(relay, ep["id"])
                    self.assertEqual(a["error_class"], "E_BLOCKED", a)
                got = receiver.wait_for("/via", 1)
                self.assertTrue(got[0]["verified"], got[0])
                a = last_attempt(relay, good["id"])
                self.assertEqual(a["status_code"], 200, a)
        finally:
            receiver.close()
        # The proxy saw one CONNECT, to the vetted address (not the name), and
        # nothing for the refused destinations.
        self.assertEqual(self.proxy.seen, ["CONNECT 127.0.0.1:%d HTTP/1.1" % receiver.port])

    def test_the_proxy_setting_is_checked(self):
        import os, subprocess, tempfile
        from relay import BIN
        for bad in ("127.0.0.1:3128", "http://user:pw@proxy:3128", "http://proxy", "socks5://proxy:1080"):
            with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
                f.write("[webhooks]\nproxy = %s\n" % bad)
                f.flush()
                p = subprocess.run([BIN, "--check-config", f.name], capture_output=True, text=True)
                self.assertEqual(p.returncode, 2, bad)
                self.assertIn("webhooks.proxy", p.stderr)


if __name__ == "__main__":
    unittest.main()
