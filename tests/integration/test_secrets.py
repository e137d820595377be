"""Secrets never reach the storage dir or an API answer. A relay is given
distinctive secrets (tenant API keys, source HMAC secrets, tokens in headers
of any name, UPS client credentials, S3 credentials, an endpoint's signing
secret and credential header, a legacy endpoint URL with user:password@),
every kind of exchange is run through it (orders, shipment updates, hooks
from every scheme, the UPS token endpoint, webhook deliveries, system-log
and body downloads), then every file under the storage dir (the SQLite
database and its WAL included, while running and after a stop) and every
API answer is searched for each secret. On PostgreSQL the database is
searched through pg_dump's output instead (bytea bodies decoded), and the
database's password must not appear in the relay's log or anywhere else.

Some secrets must be stored, because delivery needs them: an endpoint's
signing secret and its credential header (and the password of a legacy
endpoint URL). They may appear only in the webhook_endpoints table (checked
with SQL), and in no answer but the one that created the endpoint."""
import base64
import hashlib
import hmac
import json
import os
import re
import sqlite3
import subprocess
import time
import unittest
import urllib.request

import relay as harness
from relay import Relay, free_port, pg_cluster
from webhooks import Receiver

TENANTS = {"acme": "tenant-key-Zq7SECRET-acme-0001", "beta": "tenant-key-Zq7SECRET-beta-0002"}
SRC = {
    "wms_token": "wms-tok-Zq7SECRET-0003",
    "as_secret": "as-sec-Zq7SECRET-0004",
    "ups_id": "ups-id-Zq7SECRET-0005",
    "ups_secret": "ups-sec-Zq7SECRET-0006",
    "shippo_token": "shippo-tok-Zq7SECRET-0007",
    "shippo_secret": "shippo-sec-Zq7SECRET-0008",
    "dhl_token": "dhl-tok-Zq7SECRET-0009",
    "cy_token": "cy-tok-Zq7SECRET-0010",
}
S3 = {"s3_secret": "s3-sec-Zq7SECRET-0011", "s3_session": "s3-session-Zq7SECRET-0012"}
HEADER_SECRET = "hdr-Zq7SECRET-0013"
USERINFO_PASSWORD = "pw-Zq7SECRET-0014"
LEGACY_PASSWORD = "legacy-pw-Zq7SECRET-0015"
SIGNING_SECRET = "whsec_" + base64.b64encode(b"signing-Zq7SECRET-0016-32-bytes!").decode()
LEGACY_SIGNING_SECRET = "whsec_" + base64.b64encode(b"legacy-Zq7SECRET-0017-32-bytes!!").decode()

CONF = """[source "acme/wms"]
adapter = wms
header = X-Warehouse-Seal
token = {wms_token}
[source "acme/as"]
adapter = aftership
secret = {as_secret}
[source "acme/ups"]
adapter = ups
client_id = {ups_id}
client_secret = {ups_secret}
[source "acme/shippo"]
adapter = shippo
token = {shippo_token}
secret = {shippo_secret}
[source "acme/dhl"]
adapter = dhl
header = DHL-Seal
token = {dhl_token}
[source "acme/cy"]
adapter = carriyo
token = {cy_token}
[webhooks]
allow_private = 127.0.0.0/8
retry_schedule = 0 1
""".format(**SRC)

# An object store nobody answers at: bodies stay in the spool (the database),
# and the S3 credentials are used to sign every upload try.
S3_CONF = """[s3]
endpoint = http://127.0.0.1:{port}
region = us-east-1
bucket = bodies
access_key_id = AKIDEXAMPLE
secret_access_key = {s3_secret}
session_token = {s3_session}
"""


def hexmac(key, data):
    return hmac.new(key.encode(), data, hashlib.sha256).hexdigest()


class SecretsTest(unittest.TestCase):
    def run_relay(self, with_s3):
        self.receiver = Receiver()
        extra = CONF + (S3_CONF.format(port=free_port(), **S3) if with_s3 else "")
        self.relay = Relay(extra=extra, tenants=TENANTS)
        self.answers = []  # (what, text) of every API answer
        self.bearer = None
        try:
            self.exercise()
        finally:
            self.receiver.close()
            self.relay.close()

    # -- talking to the relay, keeping every answer --

    def call(self, method, path, body=None, tenant="acme", keep=True, **kw):
        r = self.relay.request(method, path, body=body, tenant=tenant, key=TENANTS[tenant], **kw)
        if keep:
            self.answers.append(("%s %s" % (method, path), json.dumps(r.headers) + r.raw.decode("utf-8", "replace")))
        return r

    def hook(self, name, body, headers=None, query=""):
        raw = json.dumps(body).encode()
        h = {"Content-Type": "application/json"}
        h.update(headers(raw) if callable(headers) else headers or {})
        r = self.relay.request("POST", "/hooks/acme/%s%s" % (name, query), auth=False, raw=raw, headers=h)
        self.answers.append(("hook " + name, json.dumps(r.headers) + r.raw.decode()))
        self.assertEqual(r.status, 200, (name, r))
        return r

    def ups_token(self):
        basic = base64.b64encode(("%s:%s" % (SRC["ups_id"], SRC["ups_secret"])).encode()).decode()
        # a client that also sends its credentials in the form body (client_secret_post)
        form = "grant_type=client_credentials&client_id=%s&client_secret=%s" % (SRC["ups_id"], SRC["ups_secret"])
        r = self.relay.request("POST", "/hooks/acme/ups/oauth/token", auth=False, raw=form.encode(),
                               headers={"Authorization": "Basic " + basic,
                                        "Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r)
        # the reply holds the bearer token by design; the configured secrets never
        self.answers.append(("token", r.raw.decode().replace(r.json["access_token"], "BEARER")))
        return r.json["access_token"]

    # -- the exchanges --

    def exercise(self):
        # a legacy endpoint stored with credentials in its URL (created before they were refused)
        self.relay.start()
        self.relay.stop()
        now = int(time.time() * 1000)
        legacy_url = self.receiver.url("/legacy").replace("http://", "http://legacy:%s@" % LEGACY_PASSWORD)
        insert = ("INSERT INTO webhook_endpoints (id, tenant, url, description, event_types, enabled, headers, "
                  "rate_limit, max_concurrency, fifo, secret, created_at, updated_at) "
                  "VALUES ('ep_legacy', 'acme', %s, NULL, '[\"order.created\"]', 1, '{}', 0, 4, 1, %s, %s, %s)")
        if harness.POSTGRESQL:
            self.relay.db.sql(insert % ("'%s'" % legacy_url, "'%s'" % LEGACY_SIGNING_SECRET, now, now))
        else:
            db = sqlite3.connect(os.path.join(self.relay.dir, "state", "shiprelay.db"))
            db.execute(insert % ("?", "?", "?", "?"), (legacy_url, LEGACY_SIGNING_SECRET, now, now))
            db.commit()
            db.close()
        self.relay.start()
        self.receiver.configure("/legacy", "ok", [LEGACY_SIGNING_SECRET])

        # credentials in an endpoint URL are refused, and not echoed
        r = self.call("POST", "/webhooks/endpoints",
                      {"url": self.receiver.url("/x").replace("http://", "http://u:%s@" % USERINFO_PASSWORD)})
        self.assertEqual(r.status, 400, r)
        self.assertIn("credentials", r.json["error"]["message"])
        r = self.call("POST", "/webhooks/endpoints", {"url": self.receiver.url("/hooked"), "secret": SIGNING_SECRET,
                                                       "headers": {"Authorization": "Bearer " + HEADER_SECRET}},
                      keep=False)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["headers"], {"Authorization": "[redacted]"})
        self.assertNotIn(HEADER_SECRET, r.raw.decode())
        ep = r.json["id"]
        self.receiver.configure("/hooked", "ok", [SIGNING_SECRET])
        self.assertEqual(self.call("POST", "/webhooks/endpoints/%s/rotate-secret" % ep, keep=False).status, 200)
        rotated = self.call("GET", "/webhooks/endpoints/" + ep)
        self.assertNotIn("secret", rotated.json)

        order = {"partner_order_reference": "PO-SEC-1", "line_items": [
            {"line_item_id": "L1", "sku": "A", "quantity": 1, "status": "fulfilled"},
            {"line_item_id": "L2", "sku": "B", "quantity": 1, "status": "allocated"}],
            "fulfillment_orders": [
                {"fulfillment_order_id": "FO-1", "line_items": ["L1"], "shipments": [
                    {"partner_shipment_reference": "S-1", "tracking_no": "TRK-SEC-1", "line_items": ["L1"]}]},
                {"fulfillment_order_id": "FO-2", "line_items": ["L2"]}]}
        self.assertEqual(self.call("POST", "/orders", order).status, 201)
        self.assertEqual(self.call("POST", "/orders/shipment-status-update", {
            "references": {"partner_order_reference": "PO-SEC-1", "partner_shipment_reference": "S-1"},
            "post_shipping_info": {"status": "shipped", "status_date": "2026-11-20T08:00:00Z"}}).status, 200)

        # every scheme of inbound hook
        self.hook("wms", {"partner_order_reference": "PO-SEC-1", "fulfillment_order_id": "FO-2", "type": "PACKED",
                          "date": "2026-11-20T09:00:00Z", "event_id": "sec-w1"},
                  {"X-Warehouse-Seal": SRC["wms_token"]})
        self.hook("as", {"event": "tracking_update", "event_id": "sec-as1", "msg": {
            "tracking_number": "TRK-SEC-1", "tag": "InTransit", "updated_at": "2026-11-20T10:00:00Z"}},
                  lambda raw: {"aftership-hmac-sha256": base64.b64encode(
                      hmac.new(SRC["as_secret"].encode(), raw, hashlib.sha256).digest()).decode()})
        shippo = {"event": "track_updated", "data": {"tracking_number": "TRK-SEC-1", "tracking_status": {
            "object_id": "sec-ts1", "status": "TRANSIT", "substatus": {"code": "out_for_delivery"},
            "status_date": "2026-11-20T11:00:00Z"}}}
        self.hook("shippo", shippo, query="?token=" + SRC["shippo_token"])
        shippo["data"]["tracking_status"]["object_id"] = "sec-ts2"
        t = int(time.time())
        self.hook("shippo", shippo, lambda raw: {
            "Shippo-Auth-Signature": "t=%d,v1=%s" % (t, hexmac(SRC["shippo_secret"], b"%d." % t + raw))})
        self.hook("dhl", {"shipments": [{"id": "TRK-SEC-1", "status": {
            "statusCode": "transit", "timestamp": "2026-11-20T12:00:00Z"}}]}, {"DHL-Seal": SRC["dhl_token"]})
        self.hook("cy", {"references": {"partner_order_reference": "PO-SEC-1", "partner_shipment_reference": "S-1"},
                         "post_shipping_info": {"status": "out_for_delivery", "status_date": "2026-11-20T12:30:00Z"}},
                  {"x-api-key": SRC["cy_token"], "event-id": "sec-cy1"})
        self.bearer = self.ups_token()
        self.hook("ups", {"trackingNumber": "TRK-SEC-1", "activityStatus": {"type": "D"},
                          "gmtActivityDate": "20261120", "gmtActivityTime": "130000"},
                  {"Authorization": "Bearer " + self.bearer})
        # refused: a wrong token in the warehouse's header, and a tenant key on the wrong tenant
        r = self.relay.request("POST", "/hooks/acme/wms", auth=False, raw=b"{}",
                               headers={"X-Warehouse-Seal": SRC["dhl_token"], "Content-Type": "application/json"})
        self.assertEqual(r.status, 401)
        self.assertEqual(self.relay.get("/orders/PO-SEC-1?key=partner_order_reference", tenant="beta",
                                        key=TENANTS["acme"]).status, 401)
        o = self.call("GET", "/orders/PO-SEC-1?key=partner_order_reference").json
        self.assertEqual(o["shipments"][0]["status"], "delivered")

        # deliveries: the legacy endpoint still gets its credentials (as HTTP Basic), both are signed
        got = self.receiver.wait_for("/legacy", 1)[0]
        self.assertTrue(got["verified"], got)
        self.assertEqual(got["headers"]["authorization"],
                         "Basic " + base64.b64encode(("legacy:" + LEGACY_PASSWORD).encode()).decode())
        hooked = self.receiver.wait_for("/hooked", 3)
        self.assertTrue(all(g["verified"] for g in hooked), hooked)
        self.assertEqual(hooked[0]["headers"]["authorization"], "Bearer " + HEADER_SECRET)
        deadline = time.time() + 10
        while time.time() < deadline and self.call("GET", "/webhooks/messages?status=pending", keep=False).json["data"]:
            time.sleep(0.05)

        # every read the API offers
        for ep_id in ("ep_legacy", ep):
            view = self.call("GET", "/webhooks/endpoints/" + ep_id).json
            self.assertNotIn("@", view["url"])
            for m in self.call("GET", "/webhooks/messages?endpoint_id=" + ep_id).json["data"]:
                self.call("GET", "/webhooks/messages/" + m["id"])
                self.call("GET", "/webhooks/messages/%s/attempts" % m["id"])
        self.call("GET", "/webhooks/endpoints")
        self.call("GET", "/orders/PO-SEC-1/change-logs?key=partner_order_reference")
        entries = self.call("GET", "/orders/PO-SEC-1/system-logs?key=partner_order_reference").json["data"]
        self.assertTrue(any(e["event_type"] == "OUTBOUND" for e in entries))
        for e in entries:
            self.assertNotIn("@", e["request_url"] or "", e)
            detail = self.call("GET", "/orders/PO-SEC-1/system-logs/%s?key=partner_order_reference" % e["identifier"])
            for part in ("request_body_url", "response_body_url"):
                url = detail.json.get(part)
                if url:
                    with urllib.request.urlopen(url, timeout=10) as resp:
                        self.answers.append((url, resp.read().decode("utf-8", "replace")))
        self.call("GET", "/ops/stuck")
        self.call("GET", "/metrics")

        self.check_storage("running")
        self.relay.stop()
        self.check_storage("stopped")
        self.check_answers()

    # -- the searches --

    def config_secrets(self):
        """Secrets nothing may store: the configured ones, and the bearer token the relay issued."""
        out = dict(SRC, **S3)
        out.update({"tenant " + t: k for t, k in TENANTS.items()})
        out.update({"url password": USERINFO_PASSWORD, "bearer": self.bearer})
        if harness.POSTGRESQL:
            out["database password"] = pg_cluster.info(harness.PG)["password"]
        return out

    def delivery_secrets(self):
        """Secrets stored where delivery needs them (webhook_endpoints), nowhere else."""
        return {"signing secret": SIGNING_SECRET, "legacy signing secret": LEGACY_SIGNING_SECRET,
                "credential header": HEADER_SECRET, "legacy url password": LEGACY_PASSWORD}

    def dump_tables(self):
        """pg_dump's output, table by table, with the hex of bytea columns
        decoded beside it (a body is bytes)."""
        c = pg_cluster.info(harness.PG)
        out = subprocess.run([os.path.join(c["bin"], "pg_dump"), "-h", c["socket"], "-p", str(c["port"]),
                              "-U", "shiprelay", "--data-only", self.relay.db.name],
                             check=True, capture_output=True, text=True).stdout
        tables = {}
        for m in re.finditer(r"^COPY public\.(\w+) .*? FROM stdin;\n(.*?)^\\\.$", out, re.M | re.S):
            text = m.group(2)
            decoded = " ".join(bytes.fromhex(h).decode("utf-8", "replace")
                               for h in re.findall(r"\\\\x((?:[0-9a-f]{2})+)", text))
            tables[m.group(1)] = text + decoded
        self.assertIn("webhook_endpoints", tables)
        return tables

    def check_database(self, when):
        tables = self.dump_tables()
        self.assertIn(SIGNING_SECRET, tables["webhook_endpoints"])  # the search does see what is there
        self.assertIn("PO-SEC-1", tables["orders"])
        if "\\\\x" in tables.get("body_spool", ""):  # spooled bodies are searched as text too
            self.assertIn("PO-SEC-1", tables["body_spool"])
        for table, text in tables.items():
            for name, secret in self.config_secrets().items():
                self.assertFalse(secret in text, "%s: %s found in table %s" % (when, name, table))
            if table != "webhook_endpoints":
                for name, secret in self.delivery_secrets().items():
                    self.assertFalse(secret in text, "%s: %s found in table %s" % (when, name, table))

    def check_storage(self, when):
        state = os.path.join(self.relay.dir, "state")
        files = [os.path.join(r, f) for r, _, fs in os.walk(state) for f in fs] + [self.relay.log]
        if harness.POSTGRESQL:
            for path in files:
                with open(path, "rb") as f:
                    data = f.read()
                for name, secret in dict(self.config_secrets(), **self.delivery_secrets()).items():
                    self.assertFalse(secret.encode() in data, "%s: %s found in %s" % (when, name, path))
            self.check_database(when)
            return
        self.assertTrue(any(f.endswith("shiprelay.db") for f in files))
        if when == "running":
            self.assertTrue(any(f.endswith("shiprelay.db-wal") for f in files), files)
        for path in files:
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except FileNotFoundError:  # a body moved into place as we walk: the stopped pass reads it
                continue
            for name, secret in self.config_secrets().items():
                self.assertFalse(secret.encode() in data, "%s: %s found in %s" % (when, name, path))
            if "shiprelay.db" not in os.path.basename(path):
                for name, secret in self.delivery_secrets().items():
                    self.assertFalse(secret.encode() in data, "%s: %s found in %s" % (when, name, path))
        # in the database, delivery secrets live in webhook_endpoints only
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(state, "shiprelay.db"), uri=True)
        try:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                if table == "webhook_endpoints":
                    continue
                for row in db.execute('SELECT * FROM "%s"' % table):
                    text = " ".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row)
                    for name, secret in self.delivery_secrets().items():
                        self.assertFalse(secret in text, "%s: %s found in table %s" % (when, name, table))
        finally:
            db.close()

    def check_answers(self):
        secrets = dict(self.config_secrets(), **self.delivery_secrets())
        self.assertGreater(len(self.answers), 30)
        for what, text in self.answers:
            for name, secret in secrets.items():
                self.assertFalse(secret in text, "%s in the answer to %s" % (name, what))

    def test_local_body_store(self):
        self.run_relay(with_s3=False)

    def test_s3_body_store(self):
        self.run_relay(with_s3=True)


if __name__ == "__main__":
    unittest.main()
