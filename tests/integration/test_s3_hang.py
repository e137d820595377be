"""S3 hanging (issue 9): an object store that accepts connections and never
answers. Uploads time out and are retried; meanwhile the spool's cap holds
within one request's bodies (a request that would cross it gets 503
spool_full and is not applied), /metrics shows the spool's size as of the
last commit, and SIGTERM finishes promptly. When S3 answers again, every
spooled body arrives."""
import os
import re
import shutil
import socket
import threading
import time
import unittest

from relay import Relay, order_body
from test_system_logs import S3Server

CAP = 65536
CONF = """[s3]
endpoint = http://127.0.0.1:%d
region = us-east-1
bucket = bodies
prefix = relay
access_key_id = S3RVER
secret_access_key = S3RVER
timeout = 2
[system_logs]
spool_max_bytes = %d
[server]
shutdown_timeout = 3
"""


class BlackHole:
    """Accepts, reads, never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def spool_bytes(relay):
    m = re.search(r"^shiprelay_spool_bytes (\d+)", relay.get("/metrics", auth=False).raw.decode(), re.M)
    return int(m.group(1))


class S3HangTest(unittest.TestCase):
    def test_cap_metrics_shutdown_and_recovery(self):
        hole = BlackHole()
        relay = Relay(extra=CONF % (hole.port, CAP)).start()
        s3 = None
        try:
            created, refused, last = [], [], 0
            for i in range(200):
                ref = "PO-HANG-%d" % i
                r = relay.post("/orders", order_body(ref))
                if r.status == 201:
                    created.append(ref)
                    now = spool_bytes(relay)  # current: it grew with this very request
                    self.assertGreater(now, last, (ref, now, last))
                    last = now
                else:
                    self.assertEqual((r.status, r.json["error"]["code"]), (503, "spool_full"), r)
                    refused.append(ref)
                    if len(refused) >= 3:
                        break
            self.assertTrue(created and refused)
            full = spool_bytes(relay)
            self.assertLessEqual(full, CAP)
            self.assertGreater(full, CAP - 8192)  # within one request's bodies of the cap
            for ref in refused:
                self.assertEqual(relay.get("/orders/%s?key=partner_order_reference" % ref).status, 404, ref)
            t0 = time.time()
            self.assertEqual(relay.stop(timeout=10), 0)
            self.assertLess(time.time() - t0, 3 + 2, "SIGTERM waited on S3")
            # S3 answers again: every body arrives, the spool empties
            s3 = S3Server()
            with open(relay.conf) as f:
                conf = f.read().replace("127.0.0.1:%d" % hole.port, "127.0.0.1:%d" % s3.port)
            with open(relay.conf, "w") as f:
                f.write(conf)
            relay.start()
            deadline = time.time() + 60
            while time.time() < deadline and spool_bytes(relay):
                time.sleep(0.1)
            self.assertEqual(spool_bytes(relay), 0)
            keys = s3.keys()
            for ref in created:
                o = relay.get("/orders/%s?key=partner_order_reference" % ref).json
                logs = relay.get("/orders/%s/system-logs?key=partner_order_reference" % ref).json["data"]
                self.assertEqual([e["bodies"] for e in logs], ["stored"], ref)
                self.assertTrue(any(logs[0]["identifier"] in k for k in keys), ref)
                self.assertEqual(o["partner_order_reference"], ref)
        finally:
            try:
                relay.close()
            finally:
                hole.close()
                if s3:
                    s3.stop()
                    shutil.rmtree(s3.dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
