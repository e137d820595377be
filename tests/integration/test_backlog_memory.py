"""Memory is bounded by in-flight work, not by backlog: with an endpoint
that cannot be reached, thousands of queued messages (tens of megabytes of
payload) stay in the store and the relay's resident memory barely moves."""
import socket
import time
import unittest

from relay import Relay, order_body


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


class BacklogMemoryTest(unittest.TestCase):
    def test_backlog_lives_in_the_store(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
        s.close()  # nothing listens there: every delivery fails and waits an hour
        relay = Relay(extra="[webhooks]\nallow_private = 127.0.0.0/8\nretry_schedule = 0 1h\n"
                            "[retention]\nsystem_logs = 0\n").start()
        try:
            relay.post("/webhooks/endpoints", {"url": "http://127.0.0.1:%d/" % dead})
            body = order_body("PO-MEM")
            body["notes"] = "n" * 40000  # each message carries the whole order, twice (old and new image)
            n = 600

            def batch(k):
                for i in range(n):
                    body["partner_order_reference"] = "PO-MEM-%d-%d" % (k, i)
                    self.assertEqual(relay.post("/orders", body).status, 201)
                deadline = time.time() + 60  # until every queued message has failed once and waits
                while time.time() < deadline:
                    pending = relay.get("/webhooks/messages?status=pending&limit=1000&after=%d" % (k * n)).json["data"]
                    if len(pending) >= n - 1 and all(m["attempts"] >= 1 for m in pending):
                        return
                    time.sleep(0.2)
                raise AssertionError("deliveries were not attempted")

            batch(0)  # warm-up: caches, arenas and the like reach their size
            settled = rss_kb(relay.proc.pid)
            batch(1)  # another ~23 MB of messages queued behind a dead endpoint
            grown = rss_kb(relay.proc.pid) - settled
            backlog_kb = n * 40000 // 1024
            self.assertLess(grown, backlog_kb // 4, (settled, grown, backlog_kb))
        finally:
            relay.close()


if __name__ == "__main__":
    unittest.main()
