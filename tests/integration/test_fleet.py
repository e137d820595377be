"""Several relay nodes on one PostgreSQL database (issue 11), bodies in one
S3 bucket.

A fleet of three: clients spread creates, shipment-status-updates, carrier
hooks and reads over all three; one node is SIGKILLed while it is sending
(messages it claimed, their attempts not recorded); once its leases run
out the other nodes send those messages (same webhook-id), and it is
started again later. Then: every acknowledged change is there
(read from every node), three nodes updating one order at once lose
nothing, every webhook arrives (duplicates only under the same webhook-id),
per-order FIFO holds at the receiver, no webhook-id is ever in flight twice
at once, and the fleet keeps each endpoint's max_concurrency and rate_limit
as a whole. The spool drains on every node; a body download link one node
handed out works on another; the retention role is held by one node.

And PostgreSQL stopped and started again during traffic (a cluster of its own, so the other
tests' relays are not disturbed): nothing acknowledged is lost, writes
during the outage are refused 503 (never hang), and the nodes recover
without a restart of their own. Meanwhile reads a node answered before
get that answer, marked stale, and a redaction on any node empties what
the nodes keep for that.

SQLite runs skip this file: a fleet needs PostgreSQL."""
import http.server
import json
import os
import random
import shutil
import socketserver
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import promtext
import relay as harness
from relay import Database, Relay, order_body, pg_cluster, s3_section, shipment_update
from test_system_logs import S3Server

SSU = "/orders/shipment-status-update"
AYMAKAN_TOKEN = "aymakan-token-fleet"
HOLD = 0.05  # the receiver holds each request this long: overlaps would show
STALL = 1.0  # at most this long while stalled: under the webhook timeout (2 s), so no retry overlaps it


def fleet_conf(s3_port):
    return s3_section(s3_port) + """timeout = 2
[source "acme/aymakan"]
adapter = aymakan
token = %s
[webhooks]
allow_private = 127.0.0.0/8
retry_schedule = 0 1 1 1 1 1 1 1 1 1 1 1
timeout = 2
connect_timeout = 1
[retention]
sweep_interval = 1
""" % AYMAKAN_TOKEN


class Sink(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """Records every request: path, webhook-id, start and end; counts what
    is in flight per path and notices a webhook-id arriving while the same
    id is still being answered."""
    daemon_threads = True

    def __init__(self):
        self.lock = threading.Lock()
        self.arrivals = []  # (path, id, start, end)
        self.in_flight = {}  # path -> ids being answered
        self.peak = {}  # path -> most in flight at once
        self.overlaps = []
        self.stall_until = 0  # until then, requests are held up to STALL (a node can be killed mid-request)
        super().__init__(("127.0.0.1", 0), SinkHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.server_port, path)

    def received(self, path):
        with self.lock:
            return [a for a in self.arrivals if a[0] == path]

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed node's connection: expected
            super().handle_error(request, client_address)


class SinkHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        s, wid, start = self.server, self.headers.get("webhook-id"), time.time()
        with s.lock:
            now = s.in_flight.setdefault(self.path, [])
            if wid in now:
                s.overlaps.append(wid)
            now.append(wid)
            s.peak[self.path] = max(s.peak.get(self.path, 0), len(now))
        time.sleep(max(HOLD, min(s.stall_until - start, STALL)))
        with s.lock:
            s.in_flight[self.path].remove(wid)
            s.arrivals.append((self.path, wid, start, time.time()))
        try:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        except OSError:
            pass  # the node that sent it was killed meanwhile

    def log_message(self, *args):
        pass


def three_shipment_order(ref):
    """One order, three fulfillment orders with a shipment each: three
    nodes can update it at once, each its own shipment."""
    lines = [{"line_item_id": "L%d" % i, "sku": "SKU-%d" % i, "quantity": 1, "status": "fulfilled"} for i in range(3)]
    return {"partner_order_reference": ref, "creation_source": {"source_type": "API"},
            "customer": {"name": "Ada", "email": "ada@example.com"}, "line_items": lines,
            "fulfillment_orders": [{"fulfillment_order_id": "FO-%s-%d" % (ref, i), "location": {"id": "WH-1"},
                                    "line_items": ["L%d" % i],
                                    "shipments": [{"partner_shipment_reference": "S-%s-%d" % (ref, i),
                                                   "tracking_no": "TRK-%s-%d" % (ref, i), "line_items": ["L%d" % i]}]}
                                   for i in range(3)]}


def pages(node, path):
    out, after = [], 0
    while True:
        r = node.get("%s%slimit=1000&after=%d" % (path, "&" if "?" in path else "?", after))
        assert r.status == 200, r
        out += r.json["data"]
        if r.json["next_after"] is None:
            return out
        after = r.json["next_after"]


def gauge(relay, name, **labels):
    fams = promtext.parse(relay.get("/metrics", auth=False).raw.decode())
    return fams[name].get(**labels) if name in fams else 0


@unittest.skipUnless(harness.POSTGRESQL, "a fleet needs the PostgreSQL backend (SHIPRELAY_TEST_BACKEND=postgresql)")
class FleetTest(unittest.TestCase):
    def test_three_nodes_one_killed(self):
        sink, s3, db = Sink(), S3Server(), Database()
        conf = fleet_conf(s3.port)
        nodes = [Relay(extra=conf, database=db, node_id="node-%d" % i) for i in range(3)]
        try:
            for n in nodes:
                n.start()
            self.run_fleet(nodes, sink, db)
        finally:
            for n in nodes:
                n.close()
            db.drop()
            s3.stop()
            shutil.rmtree(s3.dir, ignore_errors=True)
            sink.shutdown()
            sink.server_close()

    def post(self, node, path, body, want=(200, 201, 202)):
        r = node.post(path, body)
        self.assertIn(r.status, want, (node.port, path, r))
        return r

    def hook(self, node, trk, psr, code):
        body = json.dumps({"tracking_number": trk, "reference": psr, "status": code, "status_label": code,
                           "carrier": "aymakan", "date_time": "2026-11-20T15:41:26.000000Z"}).encode()
        r = node.request("POST", "/hooks/acme/aymakan", auth=False, raw=body,
                         headers={"x-api-key": AYMAKAN_TOKEN, "Content-Type": "application/json"})
        self.assertIn(r.status, (200, 202), (node.port, r))

    def run_fleet(self, nodes, sink, db):
        rate, conc = 10, 4
        allp = self.post(nodes[0], "/webhooks/endpoints", {"url": sink.url("/all"), "max_concurrency": conc}).json
        ratep = self.post(nodes[1], "/webhooks/endpoints", {"url": sink.url("/rate"), "event_types": ["order.created"],
                                                             "rate_limit": rate, "max_concurrency": 2}).json
        acked = {}  # ref -> the statuses the relay acknowledged for its shipment, in order
        lock = threading.Lock()

        def life(ref, live, steps):
            """One order through the given nodes: create, then each step."""
            pick = lambda: random.choice(live)  # noqa: E731
            self.post(pick(), "/orders", order_body(ref))
            with lock:
                acked[ref] = ["created"]
            for kind, status in steps:
                if kind == "ssu":
                    self.post(pick(), SSU, shipment_update(ref, status, "S-" + ref))
                else:
                    self.hook(pick(), "TRK-" + ref, "S-" + ref, status)
                    status = {"AY-0003": "in_transit", "AY-0005": "delivered"}[status]
                with lock:
                    acked[ref].append(status)
                # read it back from another node: what was acknowledged is there
                got = pick().get("/orders/%s?key=partner_order_reference" % ref)
                self.assertEqual(got.status, 200, got)
                self.assertEqual(got.json["shipments"][0]["status"], status, (ref, got.json["shipments"]))

        steps = [("ssu", "shipped"), ("hook", "AY-0003"), ("ssu", "out_for_delivery"), ("hook", "AY-0005")]
        # 1: all three nodes
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda i: life("PO-F1-%d" % i, nodes, steps[:2]), range(30)))
        # 2: node 2 dies with deliveries in flight (claimed by it, not yet recorded); the other two carry on.
        # Once phase 1's messages are out (the endpoints' concurrency is free), the receiver stalls a
        # moment and node 2 queues a few messages itself, so it is sending when killed.
        # (Another node, woken by node 2's commit, may claim them first on a loaded machine: then again.)
        held_sql = "SELECT id FROM webhook_messages WHERE claimed_by = 'node-2' AND status = 'pending'"
        for attempt in range(5):
            deadline = time.time() + 30
            while time.time() < deadline and gauge(nodes[0], "shiprelay_webhook_messages", status="pending") > 0:
                time.sleep(0.1)
            sink.stall_until = time.time() + STALL
            for i in range(3):
                life("PO-FK-%d-%d" % (attempt, i), nodes[2:], [])
            deadline = time.time() + STALL / 2
            while time.time() < deadline and not db.sql(held_sql).split():
                time.sleep(0.01)
            if db.sql(held_sql).split():
                break
        nodes[2].kill()
        held = set(db.sql(held_sql).split())  # what it held when it died
        self.assertTrue(held, "node 2 held no delivery when it was killed")
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda i: life("PO-F2-%d" % i, nodes[:2], steps), range(20)))
        # its leases run out (the webhook timeout, 2 s, + 5 s) and the other nodes send what it held
        deadline = time.time() + 30
        left = held
        while time.time() < deadline and left:
            left = set(db.sql("SELECT id FROM webhook_messages WHERE status = 'pending' AND id IN (%s)"
                              % ",".join("'%s'" % i for i in held)).split())
            time.sleep(0.2)
        self.assertEqual(left, set(), "the dead node's deliveries were not taken over")
        self.assertTrue(held <= {a[1] for a in sink.received("/all") + sink.received("/rate")})
        # three nodes update one order at once, each its own shipment: nothing is lost
        nodes[2].start()
        self.post(nodes[0], "/orders", three_shipment_order("PO-F-SHARED"))

        def walk(i):
            for status in ("shipped", "in_transit", "out_for_delivery", "delivered"):
                self.post(nodes[i], SSU, shipment_update("PO-F-SHARED", status, "S-PO-F-SHARED-%d" % i))

        with ThreadPoolExecutor(3) as pool:
            list(pool.map(walk, range(3)))
        # 3: all three again
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda i: life("PO-F3-%d" % i, nodes, steps), range(20)))

        # every acknowledged change is there, on every node
        for ref, statuses in acked.items():
            for n in nodes:
                o = n.get("/orders/%s?key=partner_order_reference" % ref).json
                logs = n.get("/orders/%s/change-logs?key=partner_order_reference" % ref).json
                shipment_changes = [e["new_value"] for e in logs if e["entity_type"] == "shipment"]
                for s in statuses[1:]:
                    self.assertIn(s, shipment_changes, (ref, n.port))
        shared = nodes[1].get("/orders/PO-F-SHARED?key=partner_order_reference").json
        self.assertEqual(shared["status"], "closed", shared)
        self.assertEqual([s["status"] for s in shared["shipments"]], ["delivered"] * 3)

        # every webhook arrives; nothing is left waiting
        deadline = time.time() + 60
        while time.time() < deadline:
            if gauge(nodes[0], "shiprelay_webhook_messages", status="pending") == 0:
                break
            time.sleep(0.2)
        msgs = pages(nodes[0], "/webhooks/messages?endpoint_id=" + allp["id"])
        rmsgs = pages(nodes[0], "/webhooks/messages?endpoint_id=" + ratep["id"])
        self.assertEqual({m["status"] for m in msgs + rmsgs}, {"delivered"})
        got = sink.received("/all")
        self.assertEqual({a[1] for a in got}, {m["id"] for m in msgs})  # duplicates only under the same id
        self.assertEqual({a[1] for a in sink.received("/rate")}, {m["id"] for m in rmsgs})
        self.assertEqual(len(rmsgs), len(acked) + 1)
        # never the same webhook-id in flight twice at once
        self.assertEqual(sink.overlaps, [])
        # per-order FIFO at the receiver: an order's messages arrive in the order they were queued
        first = {}
        for _, wid, start, _ in sorted(got, key=lambda a: a[2]):
            first.setdefault(wid, start)
        by_order = {}
        for m in sorted(msgs, key=lambda m: m["seq"]):
            by_order.setdefault(m["order_id"], []).append(first[m["id"]])
        for order, times in by_order.items():
            self.assertEqual(times, sorted(times), order)
        # the fleet keeps each endpoint's limits as a whole
        self.assertLessEqual(sink.peak.get("/all", 0), conc)
        self.assertLessEqual(sink.peak.get("/rate", 0), 2)
        starts = sorted(a[2] for a in sink.received("/rate"))
        for i in range(len(starts)):
            for j in range(i, len(starts)):
                # a bucket of `rate` tokens, refilled at `rate` a second (300 ms of slack: sends start late, unevenly)
                self.assertLessEqual(j - i + 1, rate + rate * (starts[j] - starts[i] + 0.3), (i, j))

        # bodies: every node's spool drains to S3, and a download link from one node works on another
        deadline = time.time() + 30
        while time.time() < deadline and gauge(nodes[0], "shiprelay_spool_bytes") > 0:
            time.sleep(0.2)
        self.assertEqual(gauge(nodes[0], "shiprelay_spool_bytes"), 0)
        logs = nodes[0].get("/orders/PO-F1-0/system-logs?key=partner_order_reference&event_type=OUTBOUND").json
        entry = nodes[0].get("/orders/PO-F1-0/system-logs/%s?key=partner_order_reference"
                             % logs["data"][0]["identifier"]).json
        link = entry["request_body_url"].replace(":%d/" % nodes[0].port, ":%d/" % nodes[1].port)
        self.assertIn(":%d/bodies/" % nodes[1].port, link)
        with urllib.request.urlopen(link, timeout=10) as r:  # signed by node 0, served by node 1
            self.assertEqual(json.loads(r.read())["type"], "order.created")
        # one node holds the retention role
        held = 0
        for n in nodes:
            with open(n.log) as f:
                held += "now runs the retention sweeps" in f.read()
        self.assertGreaterEqual(held, 1)


@unittest.skipUnless(harness.POSTGRESQL, "needs the PostgreSQL backend (SHIPRELAY_TEST_BACKEND=postgresql)")
class PostgresRestartTest(unittest.TestCase):
    def test_restart_during_traffic(self):
        cluster = tempfile.mkdtemp(prefix="shiprelay-pg-")
        pg_cluster.start(cluster)
        sink = Sink()
        name = "restart_db"
        url = pg_cluster.create_db(cluster, name)

        class Own:  # the database, on this test's own cluster
            pass

        db = Own()
        db.url = url
        # two nodes: bodies in S3; short timeouts: claims lost with the connection (a lease nobody holds)
        # expire in 7 s
        s3 = S3Server()
        nodes = [Relay(extra=fleet_conf(s3.port), database=db, node_id="r-%d" % i) for i in range(2)]
        try:
            for n in nodes:
                n.start()
            ep = nodes[0].post("/webhooks/endpoints", {"url": sink.url("/r"), "event_types": ["order.created"]}).json
            acked, refused, errors, stop = [], [], [], threading.Event()

            def client(k):
                i = 0
                while not stop.is_set():
                    ref = "PO-R-%d-%d" % (k, i)
                    i += 1
                    try:
                        r = nodes[i % 2].post("/orders", order_body(ref))
                    except OSError as e:  # a hang (timeout) or a dropped connection: never expected
                        errors.append("%s: %s" % (ref, e))
                        continue
                    if r.status == 201:
                        acked.append(ref)
                    else:
                        self.assertEqual(r.status, 503, r)  # refused, never anything else
                        refused.append(ref)
                        time.sleep(0.05)

            threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
            for t in threads:
                t.start()
            time.sleep(1.5)
            before = len(acked)
            pg_cluster.pg_ctl(cluster, "stop")
            # while it is away: /healthz says so, /metrics still serves the node's own figures
            h = nodes[0].get("/healthz", auth=False)
            self.assertEqual(h.status, 503, h)
            self.assertNotEqual(h.json["database"], "ok")
            m = nodes[0].get("/metrics", auth=False)
            self.assertEqual(m.status, 200, m)
            fams = promtext.parse(m.raw.decode())
            self.assertEqual(fams["shiprelay_store_readable"].get(), 0)
            self.assertGreater(sum(v for _, _, v in fams["shiprelay_http_requests_total"].samples), 0)
            self.assertNotIn("shiprelay_webhook_messages", fams)
            pg_cluster.pg_ctl(cluster, "start")
            time.sleep(1.5)  # the nodes find their way back by themselves
            mark = len(acked)
            deadline = time.time() + 20
            while time.time() < deadline and len(acked) < mark + 20:
                time.sleep(0.1)
            stop.set()
            for t in threads:
                t.join()
            self.assertGreater(before, 0)
            self.assertEqual(errors, [])
            self.assertTrue(refused, "no write met the outage")
            self.assertGreaterEqual(len(acked), mark + 20, "writes did not come back after the restart")
            for n in nodes:  # reads work again on every node, and /healthz and /metrics say so
                h = n.get("/healthz", auth=False)
                self.assertEqual((h.status, h.json["database"]), (200, "ok"), h)
                fams = promtext.parse(n.get("/metrics", auth=False).raw.decode())
                self.assertEqual(fams["shiprelay_store_readable"].get(), 1)
            for ref in acked:  # nothing acknowledged is lost
                r = nodes[hash(ref) % 2].get("/orders/%s?key=partner_order_reference" % ref)
                self.assertEqual(r.status, 200, (ref, r))
            deadline = time.time() + 30  # and every acknowledged order's webhook arrives
            want = len(acked)
            while time.time() < deadline and len({a[1] for a in sink.received("/r")}) < want:
                time.sleep(0.1)
            msgs = pages(nodes[0], "/webhooks/messages?endpoint_id=" + ep["id"])
            self.assertGreaterEqual(len(msgs), want)
            self.assertEqual({a[1] for a in sink.received("/r")}, {m["id"] for m in msgs})
        finally:
            for n in nodes:
                n.close()
            pg_cluster.stop(cluster)
            s3.stop()
            shutil.rmtree(s3.dir, ignore_errors=True)
            sink.shutdown()
            sink.server_close()

    def test_reads_while_the_database_is_away(self):
        """While PostgreSQL is away a node answers a read it answered
        before with that answer, marked stale, to the same caller only;
        anything else gets 503, as do writes. A redaction on another node
        empties what the node keeps, so a stale answer never brings back
        redacted data."""
        cluster = tempfile.mkdtemp(prefix="shiprelay-pg-")
        pg_cluster.start(cluster)
        db = type("Own", (), {"url": pg_cluster.create_db(cluster, "stale_db")})()
        s3 = S3Server()
        nodes = [Relay(extra=fleet_conf(s3.port), database=db, node_id="s-%d" % i) for i in range(2)]
        up = True
        try:
            for n in nodes:
                n.start()
            for ref in ("PO-S-A", "PO-S-B"):
                self.assertEqual(nodes[1].post("/orders", order_body(ref)).status, 201)
            a, b, listing = ("/orders/PO-S-A?key=partner_order_reference", "/orders/PO-S-B?key=partner_order_reference",
                             "/orders?limit=10")
            self.assertEqual(nodes[0].get(a).status, 200)
            self.assertGreater(gauge(nodes[0], "shiprelay_stale_reads_kept", node="s-0"), 0)
            self.assertEqual(nodes[1].post("/orders/PO-S-A/redact?key=partner_order_reference").status, 200)
            deadline = time.time() + 10  # node 0 hears of it and lets go of what it kept
            while time.time() < deadline and gauge(nodes[0], "shiprelay_stale_reads_kept", node="s-0") > 0:
                time.sleep(0.05)
            self.assertEqual(gauge(nodes[0], "shiprelay_stale_reads_kept", node="s-0"), 0)
            # the redaction's aftermath (bodies being uploaded meanwhile, dropped after) empties it again: read
            # until it keeps both
            deadline = time.time() + 10
            while True:
                fresh_b, fresh_list = nodes[0].get(b), nodes[0].get(listing)
                self.assertEqual((fresh_b.status, fresh_list.status), (200, 200))
                time.sleep(0.5)
                if gauge(nodes[0], "shiprelay_stale_reads_kept", node="s-0") == 2 or time.time() > deadline:
                    break
            self.assertNotIn("warning", fresh_b.headers)
            pg_cluster.pg_ctl(cluster, "stop")
            up = False
            time.sleep(1)  # stale answers are whole seconds old
            for path, fresh in ((b, fresh_b), (listing, fresh_list)):
                r = nodes[0].get(path)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.raw, fresh.raw)
                self.assertGreaterEqual(int(r.headers["age"]), 1)
                self.assertIn("110", r.headers["warning"])
                self.assertRegex(r.headers["x-shiprelay-stale"], r"^\d{4}-\d\d-\d\dT")
            h = nodes[0].request("HEAD", b)
            self.assertEqual((h.status, h.raw, h.headers["content-length"]), (200, b"", str(len(fresh_b.raw))))
            for r in (nodes[0].get(a),  # read before the redaction: gone
                      nodes[0].get(b, tenant="beta"),  # another tenant's read of the same URL
                      nodes[0].get("/orders?limit=11"),  # another URL
                      nodes[1].get(b)):  # another node, which never answered it
                self.assertEqual((r.status, r.json["error"]["code"]), (503, "store_unavailable"), r)
            w = nodes[0].post("/orders", order_body("PO-S-C"))
            self.assertEqual((w.status, w.json["error"]["code"]), (503, "store_unavailable"), w)
            self.assertGreaterEqual(gauge(nodes[0], "shiprelay_stale_reads_total", node="s-0"), 3)
            pg_cluster.pg_ctl(cluster, "start")
            up = True
            deadline = time.time() + 20
            while time.time() < deadline and nodes[0].get(b).headers.get("warning"):
                time.sleep(0.1)
            r = nodes[0].get(b)
            self.assertEqual(r.status, 200, r)
            self.assertNotIn("warning", r.headers)  # read from the database again
        finally:
            if not up:
                pg_cluster.pg_ctl(cluster, "start")
            for n in nodes:
                n.close()
            pg_cluster.stop(cluster)
            s3.stop()
            shutil.rmtree(s3.dir, ignore_errors=True)

    def test_a_single_node_has_no_company(self):
        """A node with single_node = yes keeps bodies on its own disk: no
        other node may share its database (the others could not serve
        them), whichever starts first."""
        db, s3 = Database(), S3Server()
        alone = Relay(database=db, node_id="alone")  # no [s3]: the harness sets single_node = yes
        try:
            alone.start()
            for name, extra, says in (("second", "", "another shiprelay node is connected"),
                                      ("fleet-0", fleet_conf(s3.port), "single_node = yes is connected")):
                other = Relay(extra=extra, database=db, node_id=name)
                with self.assertRaises(RuntimeError) as refused:
                    other.start()
                shutil.rmtree(other.dir, ignore_errors=True)
                self.assertIn(says, str(refused.exception))
            alone.stop()
            fleet = Relay(extra=fleet_conf(s3.port), database=db, node_id="fleet-1").start()
            with self.assertRaises(RuntimeError) as refused:
                alone.start()
            self.assertIn("another shiprelay node is connected", str(refused.exception))
            fleet.close()
            alone.start()  # alone again: it may run
            self.assertEqual(alone.get("/healthz", auth=False).status, 200)
        finally:
            alone.close()
            db.drop()
            s3.stop()
            shutil.rmtree(s3.dir, ignore_errors=True)

if __name__ == "__main__":
    unittest.main()
