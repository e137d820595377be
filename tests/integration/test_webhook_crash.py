"""At least once across crashes: SIGKILL the relay while deliveries are in
flight, restart it, and check the receiver got every event, verified, any
duplicate under the same webhook-id."""
import json
import time
import unittest

from relay import Relay, order_body
from webhooks import Receiver

N = 30


class WebhookCrashTest(unittest.TestCase):
    def test_sigkill_mid_delivery_loses_nothing(self):
        receiver = Receiver()
        relay = Relay(extra="[webhooks]\nretry_schedule = 0 1 1 1 1\nallow_private = 127.0.0.0/8\n"
                            "").start()
        try:
            ep = relay.post("/webhooks/endpoints", {"url": receiver.url("/crash"), "event_types": ["order.created"],
                                                    "max_concurrency": 4}).json
            receiver.configure("/crash", "slow:300", [ep["secret"]])
            for i in range(N):
                self.assertEqual(relay.post("/orders", order_body("PO-CRASH-%d" % i)).status, 201)
            receiver.wait_for("/crash", 6)
            relay.kill()  # deliveries are in flight right now (4 at a time, 300 ms each)
            before = len(receiver.log("/crash"))
            self.assertLess(before, N)
            relay.start()
            deadline = time.time() + 60
            while time.time() < deadline:
                delivered = relay.get("/webhooks/messages?status=delivered&limit=1000&endpoint_id=" + ep["id"]).json
                if len(delivered["data"]) == N:
                    break
                time.sleep(0.1)
            self.assertEqual(len(delivered["data"]), N)
            got = receiver.log("/crash")
            self.assertTrue(all(g["verified"] for g in got))
            by_event = {}
            for g in got:
                by_event.setdefault(json.loads(g["body"])["id"], set()).add(g["headers"]["webhook-id"])
            self.assertEqual(len(by_event), N)  # every event arrived
            self.assertTrue(all(len(ids) == 1 for ids in by_event.values()), by_event)  # duplicates share the id
            refs = {json.loads(g["body"])["data"]["newImage"]["partner_order_reference"] for g in got}
            self.assertEqual(refs, {"PO-CRASH-%d" % i for i in range(N)})
        finally:
            try:
                relay.close()
            finally:
                receiver.close()


if __name__ == "__main__":
    unittest.main()
