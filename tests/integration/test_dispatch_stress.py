"""The dispatcher under load (issue 9): 1 000 deliveries through it, 20 runs
in a row, each ending with SIGTERM. Every message must arrive (duplicates
only under the same webhook-id), nothing may be left pending, no run may
wedge or crash, and each SIGTERM must finish promptly. The receiver is a
small threaded HTTP server that answers 200 at once."""
import http.server
import json
import os
import signal
import socketserver
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from relay import Relay, order_body

RUNS = int(os.environ.get("STRESS_RUNS", "20"))
ENDPOINTS, ORDERS = 4, 250  # 1 000 messages a run


class Sink(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def __init__(self):
        self.ids = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), SinkHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class SinkHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.lock:
            self.server.ids.append(self.headers.get("webhook-id"))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def pending(relay):
    text = relay.get("/metrics", auth=False).raw.decode()
    for line in text.splitlines():
        if line.startswith('shiprelay_webhook_messages{status="pending"}'):
            return int(float(line.split()[-1]))
    raise AssertionError("no pending gauge in /metrics")


class DispatchStressTest(unittest.TestCase):
    def test_many_deliveries_many_times(self):
        for run in range(RUNS):
            sink = Sink()
            relay = Relay(extra="[webhooks]\nallow_private = 127.0.0.0/8\nretry_schedule = 0 1 1\n"
                                "[server]\nshutdown_timeout = 5\n").start()
            try:
                for _ in range(ENDPOINTS):
                    r = relay.post("/webhooks/endpoints", {"url": "http://127.0.0.1:%d/h" % sink.server_port,
                                                           "event_types": ["order.created"], "max_concurrency": 16})
                    self.assertEqual(r.status, 201, r)
                with ThreadPoolExecutor(8) as pool:
                    codes = list(pool.map(lambda i: relay.post("/orders", order_body("PO-ST-%d-%d" % (run, i))).status,
                                          range(ORDERS)))
                self.assertEqual(set(codes), {201})
                deadline = time.time() + 60
                while time.time() < deadline and (len(set(sink.ids)) < ENDPOINTS * ORDERS or pending(relay)):
                    time.sleep(0.05)
                if len(set(sink.ids)) != ENDPOINTS * ORDERS:
                    msgs = relay.get("/webhooks/messages?status=pending&limit=5").json["data"]
                    with open(relay.log) as f:
                        log = f.read()[-3000:]
                    self.fail("run %d: %d of %d delivered; pending %d; e.g. %r\n%s" % (
                        run, len(set(sink.ids)), ENDPOINTS * ORDERS, pending(relay), msgs[:2], log))
                self.assertEqual(pending(relay), 0, "run %d: messages left pending" % run)
                t0 = time.time()
                relay.proc.send_signal(signal.SIGTERM)
                rc = relay.proc.wait(timeout=10)  # a wedged dispatcher never lets SIGTERM finish
                relay.proc = None
                self.assertEqual(rc, 0, "run %d: exit %s" % (run, rc))
                self.assertLess(time.time() - t0, 6, "run %d: SIGTERM took too long" % run)
            finally:
                relay.close()
                sink.shutdown()
                sink.server_close()


if __name__ == "__main__":
    unittest.main()
