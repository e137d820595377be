"""A 2xx means durable: SIGKILL the relay while 8+ clients post, restart it,
and find every acknowledged write (orders and shipment updates), and every
change that was committed (acknowledged or not) with its INBOUND
system-log entry: the change and its entry commit together."""
import threading
import time
import unittest

from relay import Relay, order_body, shipment_update

CLIENTS = 10


class DurabilityTest(unittest.TestCase):
    def test_every_acknowledged_write_survives_sigkill(self):
        relay = Relay(threads=2).start()
        try:
            acked_orders, acked_updates, tried = [], [], []
            lock = threading.Lock()
            stop = threading.Event()

            def client(n):
                for i in range(400):  # bounded; normally stopped by the kill
                    if stop.is_set():
                        return
                    ref = "PO-K-%d-%d" % (n, i)
                    with lock:
                        tried.append(ref)
                    try:
                        if relay.post("/orders", order_body(ref)).status == 201:
                            with lock:
                                acked_orders.append(ref)
                        else:
                            continue
                        for k in range(2):
                            ship = "S-%s-%d" % (ref, k)
                            r = relay.post("/orders/shipment-status-update", shipment_update(ref, "in_transit", ship))
                            if r.status == 200:
                                with lock:
                                    acked_updates.append((ref, ship))
                    except OSError:
                        return  # the relay is gone

            threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
            for t in threads:
                t.start()
            deadline = time.time() + 20
            while len(acked_updates) < 300 and time.time() < deadline:
                time.sleep(0.01)
            relay.kill()
            stop.set()
            for t in threads:
                t.join()
            self.assertGreater(len(acked_updates), 100)

            relay.start()
            for ref in acked_orders:
                r = relay.get("/orders/%s?key=partner_order_reference" % ref)
                self.assertEqual(r.status, 200, ref)
            orders = {}
            for ref, ship in acked_updates:
                if ref not in orders:
                    orders[ref] = relay.get("/orders/%s?key=partner_order_reference" % ref).json
                refs = {s.get("partner_shipment_reference"): s["status"] for s in orders[ref]["shipments"]}
                self.assertEqual(refs.get(ship), "in_transit", (ref, ship))
            # Every committed change has its system-log entry: each order that
            # exists has its ORDER_CREATE entry, and each shipment an update
            # created has the update's entry.
            for ref in tried:
                o = relay.get("/orders/%s?key=partner_order_reference" % ref)
                if o.status == 404:
                    continue
                logs = relay.get("/orders/%s/system-logs?key=partner_order_reference&event_type=INBOUND&limit=1000"
                                 % ref).json["data"]
                kinds = [e["request_type"] for e in logs]
                self.assertEqual(kinds.count("ORDER_CREATE"), 1, (ref, kinds))
                made = [s for s in o.json["shipments"] if s.get("partner_shipment_reference", "").startswith("S-" + ref + "-")]
                self.assertGreaterEqual(kinds.count("ORDER_SHIPMENT_STATUS_UPDATE"), len(made), (ref, kinds))
            # and the relay still works after the crash
            self.assertEqual(relay.post("/orders", order_body("PO-AFTER-CRASH")).status, 201)
        finally:
            relay.close()


if __name__ == "__main__":
    unittest.main()
