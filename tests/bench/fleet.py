#!/usr/bin/env python3
r"""The fleet benchmark (issue 11), run at the end of tests/bench/run.sh
(SKIP_FLEET=1 skips it) or alone:

  python3 tests/bench/fleet.py build/shiprelay build/bench

(TOOLS_DIR needs bare_evhttp, which run.sh builds.) In one run, for each
setup: one SQLite node, one PostgreSQL node, then fleets of FLEET_NODES
(default "2,3") PostgreSQL nodes sharing one database, it measures

  ssu         durable POST /orders/shipment-status-update, wrk with ssu.lua
              for DURATION (10) s. The client spreads the load itself: one
              wrk per node, CONNS (64) connections split evenly between
              them, each wrk on an order set of its own (ORDERS (1000)
              orders split between the nodes, created through that node), so
              no two nodes ever update the same order (the best case for a
              fleet; test_fleet covers nodes contending for one order).
              req/s summed over the nodes, the worst node's p99, requests per
              commit over the fleet.
  deliveries  as bench.py measures them: a backlog of DELIVERIES (2000)
              order.created messages for one endpoint (max_concurrency
              DELIVERY_CONC, 16, which the fleet keeps as a whole) is held
              while the endpoint is disabled (the orders are created through
              every node in turn), then the endpoint is enabled with
              release_held through the first node and the drain to a
              bare_evhttp receiver is timed until nothing is pending. Every
              node's dispatcher is woken (LISTEN/NOTIFY); the report says
              how many messages each node sent.

Every setup is measured on fresh nodes and a fresh database per measurement,
the same way: bodies go to one S3 bucket (tests/integration/s3server.js, the
test suite's s3rver, which a fleet needs and the single nodes use too, so
only the database and the number of nodes differ), PostgreSQL is a throwaway
cluster (tests/pg_cluster.py --durable: fsync on, and the relay commits with
synchronous_commit on) in a temporary directory, removed after. Each figure
is also given as a ratio to the one-SQLite-node figure of the same run.
Everything binds 127.0.0.1 on free ports.

Knobs (environment): DURATION, CONNS, WRK_THREADS (2 per wrk), ORDERS,
DELIVERIES, DELIVERY_CONC, FLEET_NODES ("2,3"), DRAIN_TIMEOUT (300 s),
BENCH_KEEP=1 (keep the scratch directory, the relays' logs included). The
report goes to stdout (run.sh appends it to $BENCH_OUT), progress to
stderr. Needs postgresql (Debian's) and the test suite's npm packages
(npm ci --prefix tests/integration); run.sh installs both when missing.
Standard library only; every step has a time limit.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import bench  # noqa: E402  (Relay, BareServer, create_orders, wait_until, knob, log, to_ms)
import pg_cluster  # noqa: E402

INTEGRATION = os.path.join(HERE, "..", "integration")
FLEET_NODES = [int(n) for n in bench.knob("FLEET_NODES", "2,3").split(",") if n.strip()]
DRAIN_TIMEOUT = bench.knob("DRAIN_TIMEOUT", 300)
SSU_DURATION, CONNS, WRK_THREADS = bench.DURATION, bench.CONNS, bench.WRK_THREADS
ORDERS, DELIVERIES, DELIVERY_CONC = bench.ORDERS, bench.DELIVERIES, bench.DELIVERY_CONC
log = bench.log


# ---------------------------------------------------------------- the shared pieces

class S3:
    """The test suite's S3 server (s3rver under node), one bucket "bodies"."""

    def __init__(self, scratch):
        self.dir = os.path.join(scratch, "s3")
        os.makedirs(self.dir)
        self.proc = subprocess.Popen(["node", os.path.join(INTEGRATION, "s3server.js"), self.dir, "bodies", "0"],
                                     cwd=INTEGRATION, stdout=subprocess.PIPE, text=True)
        self.port = json.loads(self.proc.stdout.readline())["port"]
        self.conf = ("[s3]\nendpoint = http://127.0.0.1:%d\nregion = us-east-1\nbucket = bodies\n"
                     "access_key_id = S3RVER\nsecret_access_key = S3RVER\n" % self.port)

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


class Cluster:
    """A throwaway PostgreSQL cluster (fsync on); a database of its own for each measurement."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="shiprelay-fleet-pg-")  # its own: the cluster runs as nobody
        pg_cluster.start(self.dir, durable=True)
        self.n = 0

    def database(self):
        self.n += 1
        name = "fleet_%d" % self.n
        return name, pg_cluster.create_db(self.dir, name)

    def drop(self, name):
        pg_cluster.drop_db(self.dir, name)

    def stop(self):
        pg_cluster.stop(self.dir)


class Setup:
    """Fresh nodes of one setup (and their database), for one measurement."""

    def __init__(self, binary, scratch, cluster, s3, backend, n, tag, extra=""):
        self.nodes, self.db, self.cluster = [], None, cluster
        url = None
        if backend == "postgresql":
            self.db, url = cluster.database()
        try:
            for i in range(n):
                conf = "[storage]\n"
                if url:
                    conf += "backend = postgresql\nurl = %s\n[server]\nnode_id = %s-%d\n" % (url, tag, i)
                self.nodes.append(bench.Relay(binary, scratch, "%s-%d" % (tag, i), conf + s3.conf + extra))
        except BaseException:
            self.stop()
            raise

    def metrics(self):
        return [n.metrics() for n in self.nodes]

    def stop(self):
        for n in self.nodes:
            n.stop()
        if self.db:
            self.cluster.drop(self.db)


def total(ms, family, where=""):
    """The sum of a family's samples over the nodes (any labels; where: a label that must be present)."""
    return sum(v for m in ms for k, v in m.items()
               if (k == family or k.startswith(family + "{")) and where in k)


# ---------------------------------------------------------------- the measurements

def wrk_start(url, conns, prefix, orders):
    threads = max(1, min(WRK_THREADS, conns))
    cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % SSU_DURATION, "--latency", "--timeout", "10s",
           "-s", os.path.join(HERE, "ssu.lua"), url + "/orders/shipment-status-update"]
    env = dict(os.environ, BENCH_THREADS=str(threads), BENCH_ORDERS=str(orders), BENCH_PREFIX=prefix,
               BENCH_TENANT=bench.TENANT, BENCH_KEY=bench.API_KEY)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wrk_result(p):
    try:
        out, _ = p.communicate(timeout=SSU_DURATION + 60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    r = {"rps": 0.0, "p99": None, "requests": 0, "non2xx": 0, "errors": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"^\s+99(?:\.000)?%\s+(\S+)", out, re.M)
    r["p99"] = bench.to_ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", out)
    r["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["errors"] = sum(int(x) for x in m.groups()) if m else 0
    if r["rps"] == 0:
        log("wrk said:\n" + out)
    return r


def measure_ssu(setup, tag, notes):
    n = len(setup.nodes)
    per_node = ORDERS // n
    for i, node in enumerate(setup.nodes):
        bench.create_orders(node, "PO-SSU-%d-" % i, per_node)
    # the set-up's bodies go to S3 before the clock starts (not a condition: a slow bucket only adds noise)
    bench.wait_until("the set-up's bodies to upload",
                     lambda: total(setup.metrics()[:1], "shiprelay_spool_bytes") == 0, 60, 0.2)
    split = [CONNS // n + (1 if i < CONNS % n else 0) for i in range(n)]
    log("%s: shipment-status-update, %d s, connections %s" % (tag, SSU_DURATION, "+".join(map(str, split))))
    m0 = setup.metrics()
    procs = [wrk_start(node.url, split[i], "PO-SSU-%d-" % i, per_node) for i, node in enumerate(setup.nodes)]
    results = [wrk_result(p) for p in procs]
    m1 = setup.metrics()
    jobs = total(m1, "shiprelay_store_jobs_total") - total(m0, "shiprelay_store_jobs_total")
    commits = total(m1, "shiprelay_store_commits_total") - total(m0, "shiprelay_store_commits_total")
    bad = sum(r["non2xx"] + r["errors"] for r in results)
    if bad:
        notes.append("%s shipment-status-update: %d of %d responses were not 2xx or failed"
                     % (tag, bad, sum(r["requests"] for r in results)))
    p99s = [r["p99"] for r in results if r["p99"] is not None]
    return {"rps": sum(r["rps"] for r in results), "p99": max(p99s) if p99s else None,
            "per_commit": jobs / commits if commits else None, "split": [r["rps"] for r in results]}


def measure_deliveries(setup, tools, tag, notes):
    receiver = bench.BareServer(tools, "receiver")
    got = -1
    try:
        first = setup.nodes[0]
        status, ep = first.call("POST", "/webhooks/endpoints", {"url": receiver.url + "/hook",
                                                                 "event_types": ["order.created"],
                                                                 "max_concurrency": DELIVERY_CONC, "enabled": False})
        assert status == 201, ep
        n = len(setup.nodes)
        for i, node in enumerate(setup.nodes):
            bench.create_orders(node, "PO-DLV-%d-" % i, DELIVERIES // n + (1 if i < DELIVERIES % n else 0))
        held = lambda: first.metrics().get('shiprelay_webhook_messages{status="held"}', 0)  # noqa: E731
        bench.wait_until("the backlog to be held", lambda: held() >= DELIVERIES, 120, 0.2)
        m0 = setup.metrics()
        t0 = time.time()
        status, rel = first.call("PATCH", "/webhooks/endpoints/" + ep["id"], {"enabled": True, "release_held": True})
        log("%s: deliveries: release -> %s %s" % (tag, status, rel.get("released") if isinstance(rel, dict) else rel))
        drained = bench.wait_until("the backlog to drain", lambda: first.pending() == 0, DRAIN_TIMEOUT, 0.02)
        secs = time.time() - t0
        m1 = setup.metrics()
        left = int(m1[0].get('shiprelay_webhook_messages{status="pending"}', 0))
        delivered = DELIVERIES - left
        by_node = [total([b], "shiprelay_webhook_deliveries_total", 'outcome="delivered"') -
                   total([a], "shiprelay_webhook_deliveries_total", 'outcome="delivered"') for a, b in zip(m0, m1)]
    finally:
        got = receiver.stop()
    if not drained:
        notes.append("%s deliveries: not drained, %d left after %.0f s" % (tag, left, secs))
    return {"rps": delivered / secs, "secs": secs, "by_node": by_node, "received": got}


# ---------------------------------------------------------------- the report

def ratio(v, base):
    return "%.2fx" % (v / base) if base else "-"


def report(rows, notes, started, cores):
    rev = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    base = rows[0] if rows and rows[0][0].startswith("SQLite") else None
    out = ["## shiprelay fleet benchmark, %s, %d cores, commit %s, DURATION=%ds CONNS=%d DELIVERIES=%d"
           % (time.strftime("%Y-%m-%d"), cores, rev.stdout.strip() or "?", SSU_DURATION, CONNS, DELIVERIES),
           "",
           "| setup | shipment-status-update req/s | vs 1 SQLite | p99 ms (worst node) | req/commit "
           "| deliveries/s | vs 1 SQLite |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, ssu, dlv in rows:
        out.append("| %s | %.0f | %s | %s | %s | %.0f | %s |"
                   % (name, ssu["rps"], ratio(ssu["rps"], base and base[1]["rps"]), bench.fmt_ms(ssu["p99"]),
                      "%.1f" % ssu["per_commit"] if ssu["per_commit"] else "-", dlv["rps"],
                      ratio(dlv["rps"], base and base[2]["rps"])))
    out += ["", "Per node (req/s of each node's wrk; deliveries each node made, from its /metrics):"]
    for name, ssu, dlv in rows:
        out.append("- %s: %s req/s; %s deliveries in %.1f s (the receiver got %d requests)"
                   % (name, " + ".join("%.0f" % r for r in ssu["split"]), " + ".join("%d" % d for d in dlv["by_node"]),
                      dlv["secs"], dlv["received"]))
    out += ["", "Notes:"] + ["- " + n for n in notes]
    out.append("- total wall time %.0f s" % (time.time() - started))
    return "\n".join(out) + "\n"


def check_tools(tools):
    missing = []
    if not os.path.exists(os.path.join(tools, "bare_evhttp")):
        missing.append("%s/bare_evhttp (bash tests/bench/run.sh builds it)" % tools)
    if not glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"):
        missing.append("PostgreSQL (apt-get install postgresql)")
    if not os.path.isdir(os.path.join(INTEGRATION, "node_modules", "@20minutes", "s3rver")):
        missing.append("s3rver (npm ci --prefix tests/integration)")
    for tool in ("wrk", "node"):
        if not shutil.which(tool):
            missing.append(tool)
    if missing:
        raise SystemExit("fleet.py: missing " + "; ".join(missing))


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    binary, tools = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    check_tools(tools)
    started, load = time.time(), os.getloadavg()[0]
    scratch = tempfile.mkdtemp(prefix="shiprelay-fleet-")
    rows, notes = [], []
    s3 = cluster = None
    setups = [("SQLite, 1 node", "sqlite", 1), ("PostgreSQL, 1 node", "postgresql", 1)]
    setups += [("PostgreSQL, %d nodes" % n, "postgresql", n) for n in FLEET_NODES]
    webhooks = "[webhooks]\nallow_private = 127.0.0.0/8\nretry_schedule = 0 1h\n"
    try:
        s3 = S3(scratch)
        cluster = Cluster()
        for k, (name, backend, n) in enumerate(setups):
            tag = "s%d" % k
            log("%s (%s)" % (name, tag))
            setup = Setup(binary, scratch, cluster, s3, backend, n, tag + "i")
            try:
                ssu = measure_ssu(setup, name, notes)
            finally:
                setup.stop()
            setup = Setup(binary, scratch, cluster, s3, backend, n, tag + "d", webhooks)
            try:
                dlv = measure_deliveries(setup, tools, name, notes)
            finally:
                setup.stop()
            rows.append((name, ssu, dlv))
            log("%s: %.0f req/s, %.0f deliveries/s" % (name, ssu["rps"], dlv["rps"]))
        notes.append("the client spreads the load: one wrk per node, %d connections split between them, each on "
                     "its own %d orders split between the nodes (no order is updated through two nodes)"
                     % (CONNS, ORDERS))
        notes.append("bodies to one S3 bucket (s3rver under node) for every setup; PostgreSQL %s with fsync on "
                     "(synchronous_commit on); relays with 2 HTTP threads each; deliveries: %d messages, "
                     "endpoint max_concurrency %d for the whole fleet"
                     % (os.path.basename(os.path.dirname(pg_cluster.bindir())), DELIVERIES, DELIVERY_CONC))
        notes.append("everything (the relays, PostgreSQL, s3rver, wrk, the receiver) shares this machine's %d cores; "
                     "load average %.1f at the start, %.1f at the end" % (os.cpu_count(), load, os.getloadavg()[0]))
    finally:
        text = report(rows, notes, started, os.cpu_count())
        print(text)
        if cluster:
            cluster.stop()
        if s3:
            s3.stop()
        if bench.knob("BENCH_KEEP", 0):
            log("scratch kept in", scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
