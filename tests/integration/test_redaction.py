"""Redaction, completely (seed 001; fact sheet §13). Every personal field of
redact.h's list gets a unique marker: in the order and everything nested in
it (fulfillment orders' addresses, a shipment's drop-off, pending_delivery,
payment, line items), in a PATCH and an address change (so in change-log
values), in a return request made before the order arrived and one after,
in a carrier callback that was parked before the order existed; webhooks
are delivered to endpoints that echo the payload back (so attempts record
it), held for a disabled one, and sent in both formats; system-log bodies
reach the object store. Then POST /orders/{ref}/redact, and the whole
storage directory (database, WAL, local bodies, the daemon's log), the S3
bucket (s3rver) and every API answer are searched for the markers. Run with
bodies in the storage dir and with S3. A delivery in flight during a
redaction must not record the un-redacted body afterwards.

On PostgreSQL the database lives in the cluster, not the storage dir: its
tables are searched instead, every row version of every page (pageinspect),
live or dead, of the relay's tables and their TOAST tables. The relay's
columns are switched to uncompressed storage first (STORAGE EXTERNAL), so no
copy can hide from the search in compressed form. What PostgreSQL keeps
outside its tables' row versions (WAL, free space inside pages, backups) is
beyond this test: see the README on redaction."""
import json
import os
import subprocess
import threading
import time
import unittest
import urllib.error
import urllib.request

import relay as harness
from relay import Relay
from test_system_logs import S3Server
from webhooks import Receiver

PREFIX = "ZQX"
CARRIYO_TOKEN = "carriyo-hook-token-0123"


# PostgreSQL: every text column of the relay's tables stored uncompressed (before anything is written).
UNCOMPRESSED = """
DO $$ DECLARE c record; BEGIN
  FOR c IN SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'
           AND data_type IN ('text', 'bytea', 'json', 'jsonb') LOOP
    EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET STORAGE EXTERNAL', c.table_name, c.column_name);
  END LOOP;
END $$;
"""

# PostgreSQL: the relations (the relay's tables and their TOAST tables) with a row version, live or dead,
# holding the marker, read page by page.
ROW_VERSIONS = """
CREATE EXTENSION IF NOT EXISTS pageinspect;
SELECT coalesce(string_agg(DISTINCT r.name, ' '), '') FROM (
  SELECT c.oid, c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind = 'r'
  UNION ALL
  SELECT t.oid, c.relname || '/TOAST' FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_class t ON t.oid = c.reltoastrelid
  WHERE n.nspname = 'public' AND c.relkind = 'r') r,
  generate_series(0, pg_relation_size(r.oid) / current_setting('block_size')::bigint - 1) b,
  LATERAL heap_page_items(get_raw_page(r.oid::regclass::text, b)) i
WHERE position(convert_to('%s', 'UTF8') IN i.t_data) > 0;
"""


def m(name):
    return "%s%sQZ" % (PREFIX, name)


def address(tag):
    """Every address member of the fact sheet §3.1, each with its marker."""
    a = {k: m(tag + "_" + k) for k in ("contact_name", "contact_phone", "alternate_phone", "contact_email",
                                      "company_name", "address1", "address2", "street", "building", "floor", "flat",
                                      "po_box", "postcode", "area", "notes")}
    a.update({"personal_id": {"id": m(tag + "_personal_id"), "type": "Passport"},
              "coords": [25.2, 55.3], "city": "Dubai", "country": "AE", "type": "residential",
              "custom_fields": {"door": [m(tag + "_custom_fields")]}})
    return a


def order_body(ref):
    customer = address("customer")
    customer.update({"customer_key": "CUST-RED", "email": m("customer_email2"), "phone": m("customer_phone2"),
                     "first_name": m("first_name"), "last_name": m("last_name")})
    return {
        "merchant": "ACCOUNT", "partner_order_reference": ref, "customer_key": "CUST-RED",
        "customer": customer, "billing_address": address("billing"),
        "customer_email": m("top_customer_email"), "customer_phone": m("top_customer_phone"),
        "payment": {"currency": "AED", "order_total": 120, "payment_on_delivery": False,
                    "card_holder": m("card_holder"), "payer_email": m("payer_email")},
        "line_items": [
            {"id": "L1", "sku": "MUG-RED", "quantity": 2, "gift_message": m("gift_message"),
             "custom_attributes": {"engraving": [m("engraving")]}, "properties": {"name": m("properties")}},
            {"id": "L2", "sku": "TEA-GREEN", "quantity": 1},
            {"id": "L3", "sku": "SPOON", "quantity": 1},  # in no fulfillment order: pending_delivery keeps the address
        ],
        "delivery_method": "DELIVERY", "delivery_address": address("delivery"),
        "fulfillment_orders": [
            {"fulfillment_order_id": "FO-1", "location_id": "WH-1", "line_items": [{"id": "L1"}],
             "shipments": [{"partner_shipment_reference": "S-" + ref, "line_items": ["L1"],
                            "dropoff": address("dropoff")}]},
            {"fulfillment_order_id": "FO-2", "location_id": "WH-2", "line_items": [{"id": "L2"}],
             "delivery_method": "COLLECTION", "customer_collection_address": address("collection")},
        ],
    }


class RedactionBase:
    s3 = None

    @classmethod
    def extra(cls):
        return ""

    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        cls.relay = Relay(extra="[webhooks]\nallow_private = 127.0.0.0/8\nretry_schedule = 0 1h\n"
                                '[source "acme/cy"]\nadapter = carriyo\ntoken = %s\n' % CARRIYO_TOKEN
                                + cls.extra()).start()
        if harness.POSTGRESQL:
            cls.relay.db.sql(UNCOMPRESSED)
        for path, fmt in (("/std", "standard"), ("/cy", "carriyo")):
            ep = cls.relay.post("/webhooks/endpoints", {"url": cls.receiver.url(path), "payload_format": fmt}).json
            cls.receiver.configure(path, "echo", [ep["secret"]])
        r = cls.relay.post("/webhooks/endpoints", {"url": cls.receiver.url("/off"), "enabled": False})
        assert r.status == 201, r

    @classmethod
    def tearDownClass(cls):
        try:
            cls.relay.close()
        finally:
            cls.receiver.close()
            if cls.s3:
                cls.s3.stop()

    # ---- reading everything there is ----

    def files(self, root):
        out = {}
        for d, _, names in os.walk(root):
            for n in names:
                p = os.path.join(d, n)
                try:
                    with open(p, "rb") as f:
                        out[p] = f.read()
                except OSError:
                    pass
        return out

    def stored_hits(self):
        """Files holding a marker: the relay's whole directory (database, WAL, bodies, log), and the bucket."""
        roots = [self.relay.dir] + ([self.s3.dir] if self.s3 else [])
        return sorted(p for root in roots for p, data in self.files(root).items() if PREFIX.encode() in data)

    def db_hits(self):
        """PostgreSQL: the relations holding a marker in any row version (SQLite: its files are stored_hits')."""
        if not harness.POSTGRESQL:
            return []
        return sorted(self.relay.db.sql(ROW_VERSIONS % PREFIX).split())

    def get(self, path):
        r = self.relay.get(path)
        self.assertIn(r.status, (200, 404), (path, r))
        return r

    def fetch(self, url):
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.read()
        except urllib.error.HTTPError as e:
            return e.read()

    def answers(self, ref, rids):
        """Every API answer about the order, its returns, its logs and its messages."""
        q = "?key=partner_order_reference"
        out = [self.get("/orders/%s%s" % (ref, q)).raw,
               self.get("/orders/%s/change-logs%s" % (ref, q)).raw,
               self.get("/orders/%s/change-logs%s&sort_order=DESC" % (ref, q)).raw,
               self.get("/orders?customer_key=CUST-RED").raw, self.get("/orders?limit=1000").raw,
               self.get("/ops/stuck").raw]
        logs = self.get("/orders/%s/system-logs%s&limit=1000" % (ref, q))
        out.append(logs.raw)
        for e in logs.json["data"]:
            one = self.get("/orders/%s/system-logs/%s%s" % (ref, e["identifier"], q))
            out.append(one.raw)
            for k in ("request_body_url", "response_body_url"):
                if one.json.get(k):
                    out.append(self.fetch(one.json[k]))
        for rid in rids:
            out.append(self.get("/returns/requests/" + rid).raw)
        out.append(self.get("/returns/requests?partner_order_reference=" + ref).raw)
        msgs = self.get("/webhooks/messages?limit=1000")
        out.append(msgs.raw)
        for msg in msgs.json["data"]:
            out.append(self.get("/webhooks/messages/" + msg["id"]).raw)
            out.append(self.get("/webhooks/messages/%s/attempts" % msg["id"]).raw)
        return out

    def wait(self, what, check, timeout=30):
        deadline = time.time() + timeout
        while not check():
            if time.time() > deadline:
                self.fail("timed out waiting for " + what)
            time.sleep(0.1)

    # ---- the test ----

    def test_every_place_a_customers_data_can_be(self):
        ref = "PO-RED-ALL"
        # a return request before the order exists, and a carrier callback that parks
        early = self.relay.post("/returns/requests", {
            "partner_order_reference": ref, "items": [{"sku": "TEA-GREEN", "quantity": 1}],
            "pickup": address("early_pickup"), "customer_comment": m("early_comment"),
            "email_or_phone": m("early_email_or_phone")})
        self.assertEqual(early.status, 201, early)
        parked = self.relay.post("/hooks/acme/cy", raw=json.dumps({
            "references": {"partner_order_reference": ref, "partner_shipment_reference": "S-" + ref},
            "post_shipping_info": {"status": "in_transit"}, "dropoff": address("hook_dropoff"),
            "shipment_id": "SID-1"}).encode(), auth=False, headers={"x-api-key": CARRIYO_TOKEN, "event-id": "e-1"})
        self.assertEqual((parked.status, parked.json["parked"]), (200, 1), parked)
        # the order, then changes that put personal data in the change log
        r = self.relay.post("/orders", order_body(ref))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["shipments"][0]["status"], "in_transit")  # the parked callback applied
        q = "?key=partner_order_reference"
        r = self.relay.request("PATCH", "/orders/%s%s" % (ref, q), {"customer": address("patched_customer")})
        self.assertEqual(r.status, 200, r)
        r = self.relay.request("PATCH", "/orders/%s/fulfillment-orders/FO-1/update-address%s" % (ref, q),
                               {"address": address("new_delivery")})
        self.assertEqual(r.status, 200, r)
        later = self.relay.post("/returns/requests", {
            "partner_order_reference": ref, "items": [{"sku": "MUG-RED", "quantity": 1}],
            "pickup": address("pickup"), "customer_comment": m("comment"), "email_or_phone": m("email_or_phone")})
        self.assertEqual(later.status, 201, later)
        rids = [early.json["return_request_id"], later.json["return_request_id"]]
        r = self.relay.request("PATCH", "/returns/requests/" + rids[1], {"pickup": address("pickup2")})
        self.assertEqual(r.status, 200, r)
        # every webhook delivered (echoed back into the attempts) and every body in the object store
        self.wait("deliveries", lambda: all(
            m_["status"] in ("delivered", "held") for m_ in self.relay.get("/webhooks/messages?limit=1000").json["data"]))
        self.wait("uploads", lambda: all(
            e["bodies"] != "spooled" for e in self.relay.get("/orders/%s/system-logs%s&limit=1000" % (ref, q)).json["data"]))
        self.assertTrue(any(PREFIX.encode() in a for a in self.answers(ref, rids)))  # the search can find them
        before = self.stored_hits()
        if harness.POSTGRESQL:
            self.assertTrue({"orders", "orders/TOAST"} & set(self.db_hits()))  # the search finds them there
        else:
            self.assertTrue(any(p.endswith("shiprelay.db") or p.endswith("-wal") for p in before), before)
        if self.s3:
            self.assertTrue(any(p.startswith(self.s3.dir) for p in before), before)
        # redact
        r = self.relay.post("/orders/%s/redact%s" % (ref, q), None)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["redacted"])
        self.assertNotIn(PREFIX, r.raw.decode())
        self.assertEqual(self.db_hits(), [])  # no row version is left once the reply is out
        # bodies leave the object store as the uploader gets to them
        self.wait("every stored copy to go", lambda: not self.stored_hits(), timeout=30)
        for a in self.answers(ref, rids):
            self.assertNotIn(PREFIX.encode(), a)
        o = r.json
        self.assertEqual(o["customer_key"], "CUST-RED")  # kept: how the customer is found again
        self.assertEqual((o["customer"]["country"], o["customer"]["redacted"]), ("AE", True))
        self.assertEqual(o["payment"], {"currency": "AED", "order_total": 120, "payment_on_delivery": False,
                                        "redacted": True})
        self.assertEqual(o["line_items"][0]["sku"], "MUG-RED")
        # a repeat is harmless, and so is the per-customer call
        again = self.relay.post("/orders/%s/redact%s" % (ref, q), None)
        self.assertEqual((again.status, again.json["redaction"]), (200, o["redaction"]))
        cust = self.relay.post("/customers/CUST-RED/redact", {"requested_by": "dpo"})
        self.assertEqual((cust.status, cust.json["already_redacted"]), (200, 1))
        self.assertEqual(self.relay.post("/orders/PO-NOPE/redact" + q, None).status, 404)
        self.assertEqual(self.relay.post("/orders/%s/redact%s" % (ref, q), {"requested_by": 5}).status, 400)
        self.assertEqual(self.stored_hits(), [])
        self.assertEqual(self.db_hits(), [])

    def test_a_delivery_in_flight_keeps_no_unredacted_body(self):
        ref = "PO-RED-FLY"
        ep = self.relay.post("/webhooks/endpoints", {"url": self.receiver.url("/slow"),
                                                     "event_types": ["order.updated"]}).json
        self.receiver.configure("/slow", "slowecho:1500", [ep["secret"]])
        body = order_body(ref)
        body["customer_key"] = "CUST-FLY"
        body["customer"]["customer_key"] = "CUST-FLY"
        self.assertEqual(self.relay.post("/orders", body).status, 201)
        q = "?key=partner_order_reference"
        self.relay.request("PATCH", "/orders/%s%s" % (ref, q), {"language": "ar"})  # order.updated → /slow
        self.wait("the delivery to start", lambda: any(e["path"] == "/slow" for e in self.receiver.log()))
        r = self.relay.post("/orders/%s/redact%s" % (ref, q), None)  # while the endpoint holds its answer
        self.assertEqual(r.status, 200, r)
        mine = [x for x in self.relay.get("/webhooks/messages?endpoint_id=%s" % ep["id"]).json["data"]]
        self.wait("the attempt to be recorded", lambda: all(
            self.relay.get("/webhooks/messages/%s" % x["id"]).json["status"] != "pending" for x in mine))
        for x in mine:
            attempts = self.relay.get("/webhooks/messages/%s/attempts" % x["id"]).raw
            self.assertNotIn(PREFIX.encode(), attempts)
            self.assertNotIn(PREFIX.encode(), self.relay.get("/webhooks/messages/" + x["id"]).raw)
        self.wait("every stored copy to go", lambda: not self.stored_hits(), timeout=30)
        self.assertEqual(self.db_hits(), [])


class RedactionLocalTest(RedactionBase, unittest.TestCase):
    @unittest.skipUnless(harness.POSTGRESQL, "row versions and snapshots are PostgreSQL's")
    def test_an_older_snapshot_is_waited_for(self):
        """A transaction that began before the redaction (another node's
        statement, a long query) sees the old row versions, and VACUUM must
        keep what it can see: the relay waits for it to end (a while) before
        it vacuums and replies."""
        ref = "PO-RED-SNAP"
        body = order_body(ref)
        body["customer_key"] = body["customer"]["customer_key"] = "CUST-SNAP"
        self.assertEqual(self.relay.post("/orders", body).status, 201)
        q = "?key=partner_order_reference"
        self.wait("deliveries", lambda: all(
            m_["status"] in ("delivered", "held") for m_ in self.relay.get("/webhooks/messages?limit=1000").json["data"]))
        self.wait("uploads", lambda: all(
            e["bodies"] != "spooled" for e in self.relay.get("/orders/%s/system-logs%s" % (ref, q)).json["data"]))
        c = harness.pg_cluster.info(harness.PG)
        holder = subprocess.Popen([os.path.join(c["bin"], "psql"), "-X", "-q", "-At", "-h", c["socket"], "-p",
                                   str(c["port"]), "-U", "shiprelay", "-d", self.relay.db.name],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            holder.stdin.write("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM orders;\n")
            holder.stdin.flush()
            holder.stdout.readline()  # its snapshot is taken
            ended = []

            def end():
                ended.append(time.time())
                holder.stdin.write("COMMIT;\n")
                holder.stdin.close()
            timer = threading.Timer(1.0, end)
            timer.start()
            r = self.relay.post("/orders/%s/redact%s" % (ref, q), None)
            replied = time.time()
            timer.join()
            self.assertEqual(r.status, 200, r)
            self.assertGreaterEqual(replied, ended[0])  # not before the old snapshot was gone
            self.assertEqual(self.db_hits(), [])
        finally:
            holder.wait(10)
            holder.stdout.close()


@unittest.skipUnless(harness.POSTGRESQL, "row versions are PostgreSQL's")
class RedactionUploadInFlightTest(unittest.TestCase):
    def test_a_body_being_uploaded_loses_its_bytes_at_once(self):
        """The uploader holds the body (an object store that never answers):
        its spool row stays until the upload ends, but not the body in it."""
        from test_s3_hang import BlackHole
        hole = BlackHole()
        relay = Relay(extra="[s3]\nendpoint = http://127.0.0.1:%d\nregion = us-east-1\nbucket = b\n"
                            "access_key_id = K\nsecret_access_key = S\ntimeout = 60\n[server]\n"
                            "shutdown_timeout = 2\n" % hole.port).start()
        try:
            relay.db.sql(UNCOMPRESSED)
            ref, q = "PO-RED-UP", "?key=partner_order_reference"
            self.assertEqual(relay.post("/orders", order_body(ref)).status, 201)
            deadline = time.time() + 10
            while not hole.conns and time.time() < deadline:  # the upload is under way
                time.sleep(0.05)
            self.assertTrue(hole.conns)
            r = relay.post("/orders/%s/redact%s" % (ref, q), None)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(relay.db.sql(ROW_VERSIONS % PREFIX).split(), [])
        finally:
            relay.close()
            hole.close()


class RedactionS3Test(RedactionBase, unittest.TestCase):
    @classmethod
    def extra(cls):
        cls.s3 = S3Server()
        return ("[s3]\nendpoint = http://127.0.0.1:%d\nregion = us-east-1\nbucket = bodies\nprefix = relay\n"
                "access_key_id = S3RVER\nsecret_access_key = S3RVER\n" % cls.s3.port)


if __name__ == "__main__":
    unittest.main()
