"""Test harness: runs the real shiprelay binary on a free loopback port with
a throwaway storage dir, and talks HTTP to it (standard library only).

The backend is a parameter of the whole suite: SHIPRELAY_TEST_BACKEND=postgresql
(with SHIPRELAY_TEST_PG, the directory of a cluster tests/pg_cluster.py
started) gives every Relay a fresh database of its own on that cluster,
dropped when the relay is closed; unset, relays use SQLite as they always
did. Relay(database=...) shares one database between relays (a fleet)."""
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pg_cluster  # noqa: E402

BIN = os.environ.get("SHIPRELAY_BIN", os.path.join(os.path.dirname(__file__), "../../build/shiprelay"))
TENANTS = {"acme": "acme-key-0123456789", "beta": "beta-key-0123456789"}
BACKEND = os.environ.get("SHIPRELAY_TEST_BACKEND", "sqlite")
PG = os.environ.get("SHIPRELAY_TEST_PG", "")
POSTGRESQL = BACKEND == "postgresql"


class Database:
    """A database of its own on the test cluster (PostgreSQL runs only)."""

    def __init__(self):
        self.name = "it_" + secrets.token_hex(6)
        self.url = pg_cluster.create_db(PG, self.name)

    def sql(self, query):
        return pg_cluster.psql(PG, query, self.name)

    def drop(self):
        pg_cluster.drop_db(PG, self.name)


def s3_section(port):
    """[s3] for the test S3 server (test_system_logs.S3Server) on port: what
    a fleet needs, since its nodes may not keep bodies on their own disk."""
    return ("[s3]\nendpoint = http://127.0.0.1:%d\nregion = us-east-1\nbucket = bodies\naccess_key_id = S3RVER\n"
            "secret_access_key = S3RVER\n" % port)


def free_port():
    """A port nothing listens on, for a server started later (the relay
    takes a fixed port). Drawn at random below the kernel's ephemeral range,
    so that neither a socket bound to port 0 (the tests' own servers) nor an
    outgoing connection's local port can take it before the server binds it
    (suites run in parallel: a port from bind(0) was met taken that way)."""
    low = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    for _ in range(200):
        port = 10000 + secrets.randbelow(max(low - 10000, 1000))  # clear of 8080, 5432 and the like
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw

    @property
    def json(self):
        return json.loads(self.raw) if self.raw else None

    def __repr__(self):
        return "<%d %r>" % (self.status, self.raw[:300])


class Relay:
    def __init__(self, extra="", threads=2, tenants=TENANTS, env=None, database=None, node_id=None, wrapper=()):
        self.dir = tempfile.mkdtemp(prefix="shiprelay-it-")
        self.port = free_port()
        self.conf = os.path.join(self.dir, "shiprelay.conf")
        self.db, self.own_db = None, False
        if POSTGRESQL:
            self.db, self.own_db = (database, False) if database else (Database(), True)
        with open(self.conf, "w") as f:
            f.write("[server]\nlisten = 127.0.0.1:%d\nthreads = %d\n" % (self.port, threads))
            if self.db:
                f.write("node_id = %s\n" % (node_id or "it-%d" % self.port))
            f.write("[storage]\ndir = %s\n" % os.path.join(self.dir, "state"))
            if self.db:
                f.write("backend = postgresql\nurl = %s\n" % self.db.url)
                if "bucket" not in extra:
                    f.write("single_node = yes\n")
            for t, k in tenants.items():
                f.write('[tenant "%s"]\napi_key = %s\n' % (t, k))
            f.write(extra)
        self.proc = None
        self.env = env  # extra environment variables for the relay process
        self.wrapper = list(wrapper)  # a command the relay runs under (e.g. strace with fault injection)
        self.log = os.path.join(self.dir, "relay.log")

    def start(self):
        with open(self.log, "ab") as log:
            env = dict(os.environ, **self.env) if self.env else None
            self.proc = subprocess.Popen(self.wrapper + [BIN, "--config", self.conf], stdout=log,
                                         stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("relay exited: " + open(self.log).read())
            try:
                if self.get("/healthz", auth=False).status == 200:
                    return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("relay did not come up: " + open(self.log).read())

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if not self.proc:
            return None
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout)
        self.proc = None
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def close(self):
        """Stop gracefully (so sanitizer leak checks run), then fail loudly if
        the relay reported a sanitizer error at any point of its life."""
        rc = self.stop(signal.SIGTERM) if self.proc else 0
        with open(self.log, errors="replace") as f:
            log = f.read()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.own_db:
            self.db.drop()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in log:
                raise AssertionError("sanitizer report from the relay:\n" + log)
        if rc != 0:
            raise AssertionError("relay exited %s on SIGTERM:\n%s" % (rc, log[-4000:]))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def headers(self, tenant="acme", key=None, auth=True):
        h = {}
        if auth:
            h["tenant-id"] = tenant
            h["x-api-key"] = key if key is not None else TENANTS.get(tenant, "")
        return h

    def request(self, method, path, body=None, tenant="acme", key=None, auth=True, headers=None, raw=None,
                conn=None):
        h = self.headers(tenant, key, auth)
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        c = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            return Response(r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read())
        finally:
            if conn is None:
                c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)


def order_body(ref, source="API", extra_lines=0):
    """Two line items in one fulfillment order, shipment S-<ref> carrying L1."""
    lines = [{"line_item_id": "L1", "sku": "SKU-A", "quantity": 1, "status": "fulfilled"},
             {"line_item_id": "L2", "sku": "SKU-B", "quantity": 2, "status": "fulfilled"}]
    for i in range(extra_lines):
        lines.append({"line_item_id": "X%d" % i, "sku": "SKU-X%d" % i, "quantity": 1, "status": "fulfilled"})
    return {
        "partner_order_reference": ref,
        "creation_source": {"source_type": source},
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "line_items": lines,
        "fulfillment_orders": [{
            "fulfillment_order_id": "FO-" + ref,
            "location": {"id": "WH-1"},
            "line_items": [l["line_item_id"] for l in lines],
            "shipments": [{"partner_shipment_reference": "S-" + ref, "tracking_no": "TRK-" + ref,
                           "line_items": ["L1"]}],
        }],
    }


def shipment_update(ref, status, shipment=None, **extra):
    body = {"references": {"partner_order_reference": ref}, "post_shipping_info": {"status": status}}
    if shipment:
        body["references"]["partner_shipment_reference"] = shipment
    body.update(extra)
    return body
