#!/usr/bin/env python3
r"""The shiprelay benchmark (issue 9), driven by tests/bench/run.sh.

Everything is measured in one run, each figure beside a baseline taken in
the same run on the same machine, so the ratios survive a change of machine:

  ingest      wrk, CONNS (64) connections, DURATION (10) s per run, 2 threads:
              bare_evhttp ingest (read body, 202) is the baseline; then the
              relay's GET /healthz and GET /orders/{id} (HTTP layer, a read),
              durable shipment-status-updates (ssu.lua), signed AfterShip
              callbacks (hooks.lua), POST /orders (orders.lua). req/s, p50,
              p99 (wrk --latency) and requests per commit (/metrics
              shiprelay_store_jobs_total / shiprelay_store_commits_total).
  deliveries  a backlog of DELIVERIES (2000) order.created messages for one
              endpoint (max_concurrency DELIVERY_CONC, 16) pointed at a port
              where nothing listens, with retry_schedule "0 1h": every
              message fails once at once and then waits an hour. Then the
              endpoint is PATCHed to bare_evhttp receiver and recovered: all
              are due at once, and the drain is timed until none is pending.
              Baseline: curl_client posting as many of the same payloads,
              signed the same way, at the same concurrency, to a receiver.
  latency     loadgen at LAT_RATE (500) shipment-status-updates/s for
              LAT_DURATION (20) s, an endpoint for order.shipment_status_updated
              at a receiver that logs arrival times; correlation ids join
              each 2xx to its webhook's arrival: p50/p99 ingest-2xx -> receiver.
  drain       the uploader's capacity: durable shipment-status-updates (wrk,
              DURATION s) while [s3] points at a port where nothing listens,
              so every body stays spooled; the relay stops, the spool's retry
              times are reset in the database, a bare_evhttp receiver (200 to
              every PUT: an S3 that costs nothing) takes that port, the relay
              starts again and the time until shiprelay_spool_bytes is 0 gives
              bodies/s, as a ratio to the bodies/s the ingest brought.
  sustained   loadgen at SUS_RATE (500) logged requests/s for SUSTAINED (300) s
              (SKIP_SUSTAINED=1 skips it), bodies to the local store (no [s3]),
              over SUS_ORDERS orders (default: about 20 updates per shipment);
              every SAMPLE (10) s: achieved rate, non-2xx, shiprelay_spool_bytes,
              shiprelay.db + -wal size, bodies uploaded/s, relay RSS.

Other knobs: ORDERS (1000 orders per order set), WRK_THREADS (2), SPOOL_MAX
([system_logs] spool_max_bytes; unset: the relay's default), BENCH_OUT (also
write the report there), BENCH_KEEP=1 (keep the scratch directory), PHASES
(default ingest,webhooks,drain,sustained: run only some), RELAY_CONF (appended to
every relay's config file, "\n" for newlines, e.g.
RELAY_CONF='[webhooks]\npoll_interval_ms = 50').
Usage: bench.py RELAY_BINARY TOOLS_DIR  (run.sh builds the tools first).
Standard library only. Every step has a time limit: it reports, never hangs.
"""
import concurrent.futures
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TENANT, API_KEY = "bench", "bench-key-0123456789"
HOOK_SECRET = "bench-aftership-secret"


def knob(name, default):
    v = os.environ.get(name)
    return type(default)(v) if v not in (None, "") else default


DURATION = knob("DURATION", 10)
CONNS = knob("CONNS", 64)
WRK_THREADS = knob("WRK_THREADS", 2)
ORDERS = knob("ORDERS", 1000)
DELIVERIES = knob("DELIVERIES", 2000)
DELIVERY_CONC = knob("DELIVERY_CONC", 16)
LAT_RATE = knob("LAT_RATE", 500)
LAT_DURATION = knob("LAT_DURATION", 20)
SUS_RATE = knob("SUS_RATE", 500)
SUSTAINED = knob("SUSTAINED", 300)
SAMPLE = knob("SAMPLE", 10)
SKIP_SUSTAINED = knob("SKIP_SUSTAINED", 0)
SUS_ORDERS = knob("SUS_ORDERS", max(ORDERS, SUS_RATE * SUSTAINED // 20))  # ~20 updates per shipment
SPOOL_MAX = knob("SPOOL_MAX", "")
PHASES = knob("PHASES", "ingest,webhooks,drain,sustained").split(",")
RUN_ID = "%x" % int(time.time() * 1000)


def log(*a):
    print("[bench %s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# ---------------------------------------------------------------- processes

class BareServer:
    """bare_evhttp ingest|receiver; learns its port from its first line."""

    def __init__(self, tools, mode, log_path=None, port=0):
        cmd = [os.path.join(tools, "bare_evhttp"), mode, "-t", "2", "-p", str(port)] + (["-l", log_path] if log_path else [])
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("port "):
            raise RuntimeError("bare_evhttp did not start")
        self.port = int(line.split()[1])
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self):
        """SIGTERM (it flushes its log), and the number of requests it served."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        m = re.search(r"requests (\d+)", out or "")
        return int(m.group(1)) if m else -1


class Relay:
    """The real binary on a free port with its own state directory."""

    def __init__(self, binary, scratch, name, extra="", again=False):
        self.dir = os.path.join(scratch, name)
        os.makedirs(self.dir, exist_ok=again)  # again: start on the state an earlier Relay left there
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.conf = os.path.join(self.dir, "relay.conf")
        spool = "[system_logs]\nspool_max_bytes = %s\n" % SPOOL_MAX if SPOOL_MAX else ""
        with open(self.conf, "w") as f:
            # No access log: millions of lines would fill the disk (RELAY_CONF can turn it on).
            f.write("[server]\nlisten = 127.0.0.1:%d\nthreads = 2\nmax_connections = 4096\n[log]\naccess_format = off\n"
                    "[storage]\ndir = %s/state\n%s%s\n[tenant \"%s\"]\napi_key = %s\n"
                    "[source \"%s/aftership\"]\nadapter = aftership\nsecret = %s\n"
                    % (self.port, self.dir, spool, extra, TENANT, API_KEY, TENANT, HOOK_SECRET))
            f.write(os.environ.get("RELAY_CONF", "").replace("\\n", "\n") + "\n")
        self.log = open(os.path.join(self.dir, "relay.log"), "w")
        self.proc = subprocess.Popen([binary, "--config", self.conf], stdout=self.log, stderr=self.log)
        for _ in range(200):
            if self.proc.poll() is not None:
                break
            try:
                if self.call("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("relay did not start; see %s/relay.log" % self.dir)

    def call(self, method, path, body=None, timeout=30):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"tenant-id": TENANT, "x-api-key": API_KEY, "Content-Type": "application/json"}
            c.request(method, path, json.dumps(body) if body is not None else None, headers)
            r = c.getresponse()
            data = r.read()
            try:
                return r.status, json.loads(data) if data else None
            except ValueError:
                return r.status, data.decode(errors="replace")
        finally:
            c.close()

    def metrics(self):
        status, text = self.call("GET", "/metrics")
        out = {}
        for line in (text if isinstance(text, str) else "").splitlines():
            if line and not line.startswith("#"):
                k, _, v = line.rpartition(" ")
                try:
                    out[k] = float(v)
                except ValueError:
                    pass
        return out

    def pending(self):
        status, body = self.call("GET", "/webhooks/messages?status=pending&limit=1")
        return len(body["data"]) if status == 200 else -1

    def rss_kib(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        except (OSError, AttributeError):
            return 0

    def db_bytes(self):
        base = os.path.join(self.dir, "state", "shiprelay.db")
        return sum(os.path.getsize(p) for p in (base, base + "-wal") if os.path.exists(p))

    def bodies_uploaded(self):
        """(bodies, bytes) the uploader has moved to the body store so far (its own counters)."""
        m = self.metrics()
        return (int(m.get('shiprelay_body_uploads_total{op="upload",outcome="ok"}', 0)),
                int(m.get("shiprelay_body_upload_bytes_total", 0)))

    def spool(self):
        """(bodies, bytes) in the spool, read from the database (the relay may be running: WAL)."""
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.dir, "state", "shiprelay.db"), uri=True, timeout=10)
        try:
            n, b = db.execute("SELECT COUNT(*), COALESCE(SUM(len), 0) FROM body_spool").fetchone()
            return n, b
        finally:
            db.close()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def create_orders(relay, prefix, n, workers=16):
    """Orders PREFIX<i>, i < n, each with shipment PREFIX<i>-S tracked as PREFIX<i>-T."""
    def one(i):
        ref = "%s%d" % (prefix, i)
        body = {"partner_order_reference": ref, "creation_source": {"source_type": "API"},
                "line_items": [{"line_item_id": "L1", "sku": "MUG-RED", "quantity": 1, "status": "fulfilled"}],
                "fulfillment_orders": [{"fulfillment_order_id": "FO-1", "line_items": ["L1"],
                                        "shipments": [{"partner_shipment_reference": ref + "-S",
                                                       "tracking_no": ref + "-T", "line_items": ["L1"]}]}]}
        for _ in range(20):
            status, _ = relay.call("POST", "/orders", body)
            if 200 <= status < 300 or status == 409:  # 409: made by an earlier attempt
                return
            time.sleep(0.2)
        raise RuntimeError("cannot create order %s: %s" % (ref, status))
    t = time.time()
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        list(ex.map(one, range(n)))
    log("created %d orders %s* in %.1f s" % (n, prefix, time.time() - t))


# ---------------------------------------------------------------- wrk

def to_ms(s):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", s)
    if not m:
        return None
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[m.group(2)]


def wrk(url, script=None, env=None, path="", headers=()):
    cmd = ["wrk", "-t%d" % WRK_THREADS, "-c%d" % CONNS, "-d%ds" % DURATION, "--latency", "--timeout", "10s"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", os.path.join(HERE, script)]
    e = dict(os.environ, BENCH_THREADS=str(WRK_THREADS), BENCH_ORDERS=str(ORDERS), BENCH_RUN=RUN_ID,
             BENCH_TENANT=TENANT, BENCH_KEY=API_KEY, BENCH_SECRET=HOOK_SECRET, **(env or {}))
    out = subprocess.run(cmd + [url + path], env=e, capture_output=True, text=True, timeout=DURATION + 60).stdout
    r = {"rps": 0.0, "p50": None, "p99": None, "requests": 0, "non2xx": 0, "errors": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else 0.0
    for pct in ("50", "99"):
        m = re.search(r"^\s+%s(?:\.000)?%%\s+(\S+)" % pct, out, re.M)
        r["p" + pct] = to_ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", out)
    r["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["errors"] = sum(int(x) for x in m.groups()) if m else 0
    if not m and r["rps"] == 0:
        log("wrk said:\n" + out)
    return r


def with_commits(relay, fn):
    m0 = relay.metrics()
    r = fn()
    m1 = relay.metrics()
    jobs = m1.get("shiprelay_store_jobs_total", 0) - m0.get("shiprelay_store_jobs_total", 0)
    commits = m1.get("shiprelay_store_commits_total", 0) - m0.get("shiprelay_store_commits_total", 0)
    r["per_commit"] = jobs / commits if commits else None
    return r


# ---------------------------------------------------------------- loadgen

def loadgen(tools, relay, prefix, rate, duration, out=None, report=10, on_progress=None, orders=ORDERS):
    cmd = [os.path.join(tools, "loadgen"), "--url", relay.url, "--rate", str(rate), "--duration", str(duration),
           "--conns", str(CONNS), "--prefix", prefix, "--orders", str(orders), "--tenant", TENANT, "--key", API_KEY,
           "--report", str(report)] + (["--out", out] if out else [])
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    killer = threading.Timer(duration + 60, p.kill)  # loadgen ends by itself; this is a safety net
    killer.start()
    result = {}
    for line in p.stdout:
        fields = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
        if line.startswith("progress") and on_progress:
            on_progress(fields)
        elif line.startswith("result"):
            result = fields
    p.wait()
    killer.cancel()
    return result


def wait_until(what, pred, timeout, interval=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(interval)
    log("gave up waiting for %s after %.0f s" % (what, timeout))
    return False


# ---------------------------------------------------------------- the runs

def run_ingest(binary, tools, scratch, rows, notes):
    log("ingest baseline: bare_evhttp")
    srv = BareServer(tools, "ingest")
    base = wrk(srv.url, "ssu.lua", path="/orders/shipment-status-update")
    srv.stop()
    rows.append(("bare evhttp: POST, read body, 202 (baseline)", base, base["rps"], None, "-"))

    relay = Relay(binary, scratch, "ingest")
    try:
        create_orders(relay, "PO-SSU-", ORDERS)
        create_orders(relay, "PO-HOOK-", ORDERS)
        order_id = relay.call("GET", "/orders/PO-SSU-1?key=partner_order_reference")[1]["order_id"]
        auth = ("tenant-id: " + TENANT, "x-api-key: " + API_KEY)
        runs = [
            ("relay GET /healthz (HTTP layer)", lambda: wrk(relay.url, path="/healthz"), None),
            ("relay GET /orders/{id} (a read)", lambda: wrk(relay.url, path="/orders/" + order_id, headers=auth), None),
            ("relay durable shipment-status-update", lambda: wrk(relay.url, "ssu.lua", {"BENCH_PREFIX": "PO-SSU-"}),
             ">= 0.15x (aim 0.5x), p99 <= 50 ms"),
            ("relay POST /hooks (aftership, HMAC)", lambda: wrk(relay.url, "hooks.lua", {"BENCH_PREFIX": "PO-HOOK-"}),
             None),
            ("relay POST /orders", lambda: wrk(relay.url, "orders.lua"), None),
        ]
        for name, fn, target in runs:
            log("ingest:", name)
            r = with_commits(relay, fn)
            met = None
            if target:
                met = r["rps"] >= 0.15 * base["rps"] and r["p99"] is not None and r["p99"] <= 50
            rows.append((name, r, base["rps"], met, target or "-"))
            if r["non2xx"] or r["errors"]:
                notes.append("%s: %d of %d responses were not 2xx, %d socket errors"
                             % (name, r["non2xx"], r["requests"], r["errors"]))
    finally:
        relay.stop()


def run_deliveries_and_latency(binary, tools, scratch, rows, notes):
    relay = Relay(binary, scratch, "webhooks", "[webhooks]\nallow_private = 127.0.0.0/8\nretry_schedule = 0 1h\n")
    receiver = None
    try:
        # 1. The backlog: the endpoint is disabled, so every message is queued held (never sent).
        receiver = BareServer(tools, "receiver")
        status, ep = relay.call("POST", "/webhooks/endpoints", {"url": receiver.url + "/hook",
                                                                 "event_types": ["order.created"],
                                                                 "max_concurrency": DELIVERY_CONC, "enabled": False})
        assert status == 201, ep
        create_orders(relay, "PO-DLV-", DELIVERIES)
        wait_until("the backlog to be held", lambda: relay.metrics().get('shiprelay_webhook_messages{status="held"}', 0)
                   >= DELIVERIES, 120, 0.2)

        # 2. Release them all at once and time the drain.
        m0 = relay.metrics()
        t0 = time.time()
        status, rel = relay.call("PATCH", "/webhooks/endpoints/" + ep["id"], {"enabled": True, "release_held": True})
        log("deliveries: release ->", status, rel.get("released") if isinstance(rel, dict) else rel)
        drained = wait_until("the backlog to drain", lambda: relay.pending() == 0, knob("DRAIN_TIMEOUT", 300), 0.02)
        secs = time.time() - t0
        m1 = relay.metrics()
        delivered = DELIVERIES - int(m1.get('shiprelay_webhook_messages{status="pending"}', 0))
        relay_rate = delivered / secs
        commits = m1.get("shiprelay_store_commits_total", 0) - m0.get("shiprelay_store_commits_total", 0)
        jobs = m1.get("shiprelay_store_jobs_total", 0) - m0.get("shiprelay_store_jobs_total", 0)

        # 3. The baseline: the same payloads, signed the same way, at the same concurrency.
        bodies = os.path.join(scratch, "bodies.jsonl")
        s, page = relay.call("GET", "/webhooks/messages?endpoint_id=%s&limit=100" % ep["id"])
        with open(bodies, "w") as f:
            for m in page["data"]:
                full = relay.call("GET", "/webhooks/messages/" + m["id"])[1]
                f.write(json.dumps(full["payload"], separators=(",", ":")) + "\n")
        base_rcv = BareServer(tools, "receiver")
        base_runs = []
        for _ in range(5):  # a few thousand posts take a fraction of a second: the median of 5
            out = subprocess.run([os.path.join(tools, "curl_client"), base_rcv.url + "/hook", bodies,
                                  str(DELIVERIES), str(DELIVERY_CONC), ep["secret"]],
                                 capture_output=True, text=True, timeout=600).stdout
            m = re.search(r"rate ([\d.]+)", out)
            base_runs.append((float(m.group(1)) if m else 0.0, out.strip()))
        base_rcv.stop()
        base_rate, out = sorted(base_runs)[2]
        rows.append(("bare libcurl multi: signed POSTs, conc %d (baseline)" % DELIVERY_CONC,
                     {"rps": base_rate}, base_rate, None, "-"))
        note = "" if drained else " (not drained: %d left after %.0f s)" % (DELIVERIES - delivered, secs)
        rows.append(("relay webhook deliveries from a backlog" + note, {"rps": relay_rate}, base_rate,
                     relay_rate >= 0.25 * base_rate, ">= 0.25x"))
        notes.append("deliveries: %d messages, %.2f s to drain, the receiver got %d requests; the store "
                     "committed %d jobs in %d commits meanwhile (%.0f commits/s); baseline median of 5: %s"
                     % (delivered, secs, receiver.stop(), jobs, commits, commits / secs, out))
        receiver = None

        # 4. Latency: SSUs at a steady rate; each one's webhook carries its correlation id.
        plain = BareServer(tools, "receiver")  # takes the order.created of the new orders
        relay.call("PATCH", "/webhooks/endpoints/" + ep["id"], {"url": plain.url + "/hook"})
        create_orders(relay, "PO-LAT-", ORDERS)
        wait_until("order.created to drain", lambda: relay.pending() == 0, 120, 0.1)
        arrivals = os.path.join(scratch, "arrivals.txt")
        acks = os.path.join(scratch, "acks.txt")
        receiver = BareServer(tools, "receiver", arrivals)
        relay.call("PATCH", "/webhooks/endpoints/" + ep["id"],
                   {"url": receiver.url + "/hook", "event_types": ["order.shipment_status_updated"]})
        plain.stop()
        log("latency: %d SSU/s for %d s" % (LAT_RATE, LAT_DURATION))
        gen = loadgen(tools, relay, "PO-LAT-", LAT_RATE, LAT_DURATION, out=acks, report=LAT_DURATION + 1)
        drained = wait_until("the latency run's webhooks", lambda: relay.pending() == 0, knob("LAT_DRAIN", 60), 0.05)
        receiver.stop()
        receiver = None
        sent = {}
        with open(acks) as f:
            for line in f:
                cid, ns = line.split()
                sent[cid] = int(ns)
        lat = []
        with open(arrivals) as f:
            for line in f:
                ns, _, cid = line.split()
                if cid in sent:
                    lat.append((int(ns) - sent.pop(cid)) / 1e6)  # first arrival only
        joined = len(lat)
        lat += [float("inf")] * len(sent)  # acknowledged, never delivered: slower than anything measured
        lat.sort()
        pct = lambda p: lat[min(len(lat) - 1, max(0, int(round(p / 100 * len(lat))) - 1))] if lat else None
        r = {"rps": float(gen.get("rate", 0)), "p50": pct(50), "p99": pct(99)}
        note = "" if drained else ", not drained"
        rows.append(("ingest 2xx -> receiver at %d SSU/s (%d s)%s" % (LAT_RATE, LAT_DURATION, note), r, None,
                     r["p99"] is not None and r["p99"] <= 100 and not sent, "p99 <= 100 ms"))
        notes.append("latency: loadgen %s; %d webhooks joined, %d acknowledged SSUs never reached the receiver%s"
                     % (" ".join("%s=%s" % kv for kv in gen.items()), joined, len(sent),
                        "" if not joined else ", slowest delivered %.1f ms" % lat[joined - 1]))
    finally:
        if receiver:
            receiver.stop()
        relay.stop()


def run_drain(binary, tools, scratch, rows, notes):
    port = free_port()
    s3 = ("[s3]\nendpoint = http://127.0.0.1:%d\nbucket = bench\nregion = us-east-1\naccess_key_id = AKBENCH\n"
          "secret_access_key = bench-secret\ntimeout = 5\n" % port)
    relay = Relay(binary, scratch, "drain", s3)
    try:
        create_orders(relay, "PO-DRN-", ORDERS)
        n0, _ = relay.spool()
        log("drain: ingest with S3 away")
        r = wrk(relay.url, "ssu.lua", {"BENCH_PREFIX": "PO-DRN-"})
        n1, b1 = relay.spool()
    finally:
        relay.stop()
    in_rate = (n1 - n0) / DURATION
    db = sqlite3.connect(os.path.join(relay.dir, "state", "shiprelay.db"), timeout=10)
    with db:  # the bodies are due now, not at their backoff's end
        db.execute("UPDATE body_spool SET attempts = 0, next_try_at = 0")
    db.close()
    s3srv = BareServer(tools, "receiver", port=port)
    t0 = time.time()
    relay = Relay(binary, scratch, "drain", s3, again=True)
    try:
        drained = wait_until("the spool to drain", lambda: relay.metrics().get("shiprelay_spool_bytes", 1) == 0,
                             knob("DRAIN_TIMEOUT", 300), 0.05)
        secs = time.time() - t0
        left, _ = relay.spool()
    finally:
        relay.stop()
        served = s3srv.stop()
    rate = (n1 - left) / secs
    per_request = (n1 - n0) / r["requests"] if r["requests"] else 2
    sus_in = SUS_RATE * per_request
    note = "" if drained else " (not drained: %d left)" % left
    rows.append(("bodies/s spooled by durable SSU at full load, S3 away (%.0f req/s)" % r["rps"],
                 {"rps": in_rate}, None, None, "-"))
    rows.append(("uploader drain to a bare S3 (200 to every PUT), bodies/s, vs full-load ingest" + note,
                 {"rps": rate}, in_rate, None, "-"))
    rows.append(("the same drain vs the sustained run's %d req/s (%.0f bodies/s)" % (SUS_RATE, sus_in) + note,
                 {"rps": rate}, sus_in, drained and rate >= 2 * sus_in, ">= 2x"))
    notes.append("drain: %d bodies (%.1f MiB) spooled, %d of them by the wrk run; %.2f s from the relay's start "
                 "to an empty spool; the S3 stand-in served %d requests"
                 % (n1, b1 / 2**20, n1 - n0, secs, served))


def run_sustained(binary, tools, scratch, notes):
    # Retention short enough to level the database off within the run: what it
    # shows is that storage is bounded by retention, not by the run's length.
    keep = knob("SUS_RETENTION", "120s")
    relay = Relay(binary, scratch, "sustained",
                  "[retention]\nsystem_logs = %s\nchange_logs = %s\ndelivered_messages = %s\nseen_events = %s\n"
                  "sweep_interval = 10s\n" % (keep, keep, keep, keep))
    samples = []
    try:
        create_orders(relay, "PO-SUS-", SUS_ORDERS)
        # Creating the orders spooled their bodies too: give the uploader a while to clear them.
        wait_until("the set-up's bodies to upload", lambda: relay.metrics().get("shiprelay_spool_bytes", 1) == 0,
                   knob("SETUP_DRAIN", 60), 0.5)
        t0 = time.time()
        up_n, up_b = relay.bodies_uploaded()
        spool0 = relay.metrics().get("shiprelay_spool_bytes", 0)
        prev = {"t": 0.0, "ok": 0, "non2xx": 0, "up_n": up_n, "up_b": up_b, "spool": spool0}
        total = {"in": 0.0, "ok": 0}
        samples.append({"t": 0, "rate": 0, "non2xx": 0, "backlog": 0, "spool": spool0, "secs": None,
                        "db": relay.db_bytes(), "in_bps": 0, "up_bps": 0, "uploads": 0, "rss": relay.rss_kib()})

        def sample(fields):
            t = float(fields["t"])
            ok, non2xx = int(fields["ok"]), int(fields["non2xx"]) + int(fields["errors"])
            n, b = relay.bodies_uploaded()
            spool = relay.metrics().get("shiprelay_spool_bytes", 0)
            dt = max(t - prev["t"], 1e-9)
            body_in = b - prev["up_b"] + spool - prev["spool"]  # bytes of bodies spooled in the interval
            total["in"] += body_in
            total["ok"] = ok
            per_request = total["in"] / total["ok"] if total["ok"] else 0
            row = {"t": t, "rate": (ok - prev["ok"]) / dt, "non2xx": non2xx - prev["non2xx"],
                   "backlog": int(fields["backlog"]), "spool": spool, "db": relay.db_bytes(),
                   # the spool as seconds of the offered traffic, at the bytes per request seen so far
                   "secs": spool / (per_request * SUS_RATE) if per_request else None,
                   "in_bps": body_in / dt, "up_bps": (b - prev["up_b"]) / dt, "uploads": (n - prev["up_n"]) / dt,
                   "rss": relay.rss_kib()}
            samples.append(row)
            prev.update(t=t, ok=ok, non2xx=non2xx, up_n=n, up_b=b, spool=spool)
            log("sustained t=%(t).0f 2xx/s=%(rate).0f non2xx=%(non2xx)d spool=%(spool).0f db=%(db)d "
                "in=%(in_bps).0f B/s up=%(up_bps).0f B/s uploads/s=%(uploads).0f rss=%(rss)d KiB" % row)
        m0 = relay.metrics()
        gen = loadgen(tools, relay, "PO-SUS-", SUS_RATE, SUSTAINED, report=SAMPLE, on_progress=sample, orders=SUS_ORDERS)
        m1 = relay.metrics()
        jobs = m1.get("shiprelay_store_jobs_total", 0) - m0.get("shiprelay_store_jobs_total", 0)
        commits = m1.get("shiprelay_store_commits_total", 0) - m0.get("shiprelay_store_commits_total", 0)
        notes.append("sustained: loadgen %s; %.1f requests per commit; %.0f s wall"
                     % (" ".join("%s=%s" % kv for kv in gen.items()), jobs / commits if commits else 0,
                        time.time() - t0))
    finally:
        relay.stop()
    return samples, gen


# ---------------------------------------------------------------- the report

def fmt_ms(v):
    if v == float("inf"):
        return "never"
    return "-" if v is None else ("%.1f" % v if v >= 1 else "%.2f" % v)


def report(rows, notes, samples, gen, started):
    rev = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    out = ["## shiprelay benchmark, %s, %d cores, commit %s, %s"
           % (time.strftime("%Y-%m-%d"), os.cpu_count(), rev.stdout.strip() or "?",
              "DURATION=%ds CONNS=%d" % (DURATION, CONNS)),
           "",
           "| run | req/s | p50 ms | p99 ms | vs baseline | req/commit | target | met |",
           "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for name, r, base, met, target in rows:
        ratio = "%.3fx" % (r["rps"] / base) if base else "-"
        pc = r.get("per_commit")
        out.append("| %s | %.0f | %s | %s | %s | %s | %s | %s |"
                   % (name, r["rps"], fmt_ms(r.get("p50")), fmt_ms(r.get("p99")), ratio,
                      "%.1f" % pc if pc else "-", target, "-" if met is None else ("yes" if met else "**no**")))
    if samples:
        out += ["", "Sustained run: %d logged shipment-status-updates/s for %d s, bodies to the local store "
                "(sampled every %d s; rates over each interval):" % (SUS_RATE, SUSTAINED, SAMPLE), "",
                "| t s | 2xx/s | non-2xx | late | spool MiB | spool = s of traffic | db+wal MiB | bodies in KiB/s "
                "| uploaded KiB/s | uploads/s | drain / in | RSS MiB |",
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for s in samples:
            out.append("| %.0f | %.0f | %d | %d | %.1f | %s | %.1f | %.0f | %.0f | %.0f | %s | %.1f |"
                       % (s["t"], s["rate"], s["non2xx"], s["backlog"], s["spool"] / 2**20,
                          "-" if s["secs"] is None else "%.1f" % s["secs"], s["db"] / 2**20,
                          s["in_bps"] / 1024, s["up_bps"] / 1024, s["uploads"],
                          "%.2fx" % (s["up_bps"] / s["in_bps"]) if s["in_bps"] > 0 else "-", s["rss"] / 1024))
        out += ["", "%d orders, each shipment updated about %d times. late: requests due but not yet sent (all "
                "connections busy). spool = s of traffic: the spool over the bytes %d requests/s bring (at the "
                "bodies' size so far). bodies in: bytes spooled (uploaded + growth of shiprelay_spool_bytes); "
                "drain / in: the uploader's rate over it. Targets: spool below a few seconds of traffic, "
                "drain >= 2x in." % (SUS_ORDERS, SUS_RATE * SUSTAINED // SUS_ORDERS, SUS_RATE)]
    out += ["", "Notes:"] + ["- " + n for n in notes]
    out.append("- total wall time %.0f s" % (time.time() - started))
    return "\n".join(out) + "\n"


def main():
    binary, tools = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    started = time.time()
    scratch = tempfile.mkdtemp(prefix="shiprelay-bench-")
    rows, notes, samples, gen = [], [], [], {}
    try:
        if "ingest" in PHASES:
            run_ingest(binary, tools, scratch, rows, notes)
        if "webhooks" in PHASES:
            run_deliveries_and_latency(binary, tools, scratch, rows, notes)
        if "drain" in PHASES:
            run_drain(binary, tools, scratch, rows, notes)
        if "sustained" not in PHASES:
            pass
        elif SKIP_SUSTAINED:
            notes.append("sustained run skipped (SKIP_SUSTAINED=1)")
        else:
            samples, gen = run_sustained(binary, tools, scratch, notes)
    finally:
        text = report(rows, notes, samples, gen, started)
        print(text)
        if os.environ.get("BENCH_OUT"):
            with open(os.environ["BENCH_OUT"], "w") as f:
                f.write(text)
        if knob("BENCH_KEEP", 0):
            log("scratch kept in", scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
