"""Nothing scans in the hot path (issue 9): every SQL statement the relay
prepared during the integration tests (they all run with
SHIPRELAY_TRACE_SQL pointing at one file) is run through EXPLAIN QUERY
PLAN against a fresh database with the relay's schema, and any full scan of
a table that grows with traffic fails the test, and so does a search that
narrows only to a tenant (all of a tenant's orders or messages). A scan is only tolerated
where the plan is bounded another way, listed in BOUNDED with the reason. So
does a page (a statement with a LIMIT) whose plan sorts every matching row of
a growing table before taking the page, unless SORTED_PAGES says why that
sort stays small.

On PostgreSQL (SHIPRELAY_TEST_BACKEND=postgresql) each statement the
PostgreSQL backend prepared is prepared on a database with the relay's
schema and its generic plan (the one any parameters get) is read with
EXPLAIN, sequential scans switched off: a Seq Scan of a growing table that
remains means no index can serve the statement, and an index scan with no
condition, or one on the tenant alone, reads the whole index or a whole
tenant's rows (tolerated under a LIMIT: it reads from the front). The
queries inside the store's functions (shiprelay_claim, shiprelay_park,
shiprelay_unpark) are not seen this way; they use the same indexes
(store_pg_migrations.c).

The trace names each statement's backend (relays a test starts with a
config of its own use SQLite in either pass); each pass checks its own.

ctest runs this after the other integration tests. Run alone (the trace is
empty), it first runs a few of them in this process to make one."""
import json
import os
import re
import sqlite3
import unittest

import relay as harness
from relay import Relay

GROWING = {"orders", "change_logs", "shipment_keys", "seen_events", "parked_events", "webhook_messages",
           "webhook_payloads", "webhook_attempts", "system_logs", "body_spool", "body_deletes", "return_requests", "return_shipment_keys",
           "shipment_history"}

# Statements whose scan is bounded: the pattern of the statement, and why.
BOUNDED = [
    (r"^SELECT key FROM body_deletes ORDER BY rowid LIMIT",
     "the queue is read from its front: the scan stops after LIMIT rows, and done rows are deleted"),
]

# SQLite: pages (statements with a LIMIT) that sort every matching row of a
# growing table before taking the page, and why the sort is bounded anyway.
SORTED_PAGES = [
    (r"FROM webhook_messages INDEXED BY messages_due_by_endpoint WHERE endpoint_id = \?2 AND status = \?4",
     "one endpoint's waiting messages by seq: the sort is that endpoint's backlog in one status; an index "
     "in that order would cost every delivery one more index write"),
]

TRACE = os.environ.get("SHIPRELAY_TRACE_SQL") or os.path.join(os.path.dirname(__file__), "sql-trace.txt")


def traced(backend=None):
    """The statements the given backend prepared (this pass's, by default)."""
    backend = backend or harness.BACKEND
    if not os.path.exists(TRACE):
        return set()
    with open(TRACE) as f:
        return {sql.strip() for name, _, sql in (line.partition("\t") for line in f)
                if name == backend and sql.strip()}


class QueryPlanTest(unittest.TestCase):
    def setUp(self):
        if not traced():  # run alone: make a trace from a few of the suites
            os.environ["SHIPRELAY_TRACE_SQL"] = TRACE
            loader = unittest.defaultTestLoader
            suite = unittest.TestSuite(loader.loadTestsFromName(n) for n in
                                       ("test_hooks", "test_operations", "test_webhooks", "test_system_logs",
                                        "test_shipment_update", "test_returns", "test_stuck"))
            unittest.TextTestRunner(stream=open(os.devnull, "w")).run(suite)

    def test_no_statement_scans_a_growing_table(self):
        statements = traced()
        self.assertGreater(len(statements), 60, "too few statements traced: %d" % len(statements))
        if harness.POSTGRESQL:
            return self.check_postgresql(statements)
        relay = Relay().start()  # a database with the current schema
        relay.stop()
        db = sqlite3.connect(os.path.join(relay.dir, "state", "shiprelay.db"))
        problems = []
        try:
            for sql in sorted(statements):
                if not re.match(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", sql, re.I):
                    continue
                numbered = [int(n) for n in re.findall(r"\?(\d+)", sql)]
                params = (None,) * (max(numbered) if numbered else sql.count("?"))
                try:
                    plan = db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
                except sqlite3.Error as e:
                    problems.append("%s\n    does not prepare: %s" % (sql, e))
                    continue
                details = [row[-1] for row in plan]
                read = {m.group(1) for d in details for m in [re.match(r"^(?:SCAN|SEARCH) (\w+)", d)] if m}
                if (re.search(r"\bLIMIT\b", sql) and read & GROWING and
                        any(d.startswith("USE TEMP B-TREE FOR") and "ORDER BY" in d for d in details) and
                        not any(re.search(p, sql) for p, _ in SORTED_PAGES)):
                    problems.append("%s\n    a page that sorts all its rows first: %s" % (sql, details))
                for row in plan:
                    detail = row[-1]
                    # a scan, or a search that narrows to a whole tenant's rows only
                    m = re.match(r"^SCAN (\w+)", detail) or re.match(r"^SEARCH (\w+) .*\(tenant=\?\)$", detail)
                    if m and m.group(1) in GROWING and not any(re.search(p, sql) for p, _ in BOUNDED):
                        problems.append("%s\n    %s" % (sql, detail))
        finally:
            db.close()
            relay.close()
        self.assertEqual(problems, [], "full scans of growing tables:\n" + "\n".join(problems))

    def check_postgresql(self, statements):
        relay = Relay().start()  # a database with the current schema
        relay.stop()
        try:
            relay.db.sql(FILL)
            to_plan = []
            for sql in sorted(statements):
                if re.match(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", sql, re.I):
                    n = max([int(x) for x in re.findall(r"\$(\d+)", sql)] or [0])
                    to_plan.append({"sql": sql, "args": "(%s)" % ",".join(["NULL"] * n) if n else ""})
            self.assertNotIn("$stmts$", json.dumps(to_plan))
            out = relay.db.sql(PLAN_OF + "SET plan_cache_mode = force_generic_plan; "
                               "SELECT json_agg(pg_temp.plan_of(sql, args) ORDER BY n) FROM "
                               "ROWS FROM (json_to_recordset($stmts$%s$stmts$) AS (sql text, args text)) WITH ORDINALITY x(sql, args, n)"
                               % json.dumps(to_plan))
        finally:
            relay.close()
        problems = []
        for t, plan in zip(to_plan, json.loads(out)):
            if "error" in plan:
                problems.append("%s\n    does not prepare: %s" % (t["sql"], plan["error"]))
            else:
                problems += ["%s\n    %s" % (t["sql"], p) for p in scans(plan[0]["Plan"])]
        self.assertGreater(len(to_plan), 60, "too few PostgreSQL statements traced")
        self.assertEqual(problems, [], "full scans of growing tables:\n" + "\n".join(problems))


# PostgreSQL: rows enough that the planner's choices are the ones a busy
# database gets (on empty tables every plan costs nothing), spread over
# tenants, endpoints, orders and statuses as traffic spreads them.
FILL = """
INSERT INTO orders (tenant, order_id, partner_order_reference, doc, update_date, status, merchant, customer_key,
  creation_date, version, status_since, sub_status)
  SELECT 't' || i % 20, 'o' || i, 'r' || i, '{}', '2026-01-01T' || i, (ARRAY['open', 'processing', 'fulfilled',
  'closed', 'cancelled'])[1 + i % 5], 'm' || i % 50, 'c' || i % 2000, '2026-01-01T' || i, i, '2026-01-01T' || i,
  (ARRAY[NULL, 'PARTIAL', 'ON_HOLD', NULL])[1 + i % 4]
  FROM generate_series(1, 10000) i;
INSERT INTO shipment_history (tenant, order_id, shipment, entry, archived_date)
  SELECT 't' || i % 20, 'o' || i / 10, 's' || i % 3, '{}', '2026-01-01T' || i FROM generate_series(1, 30000) i;
INSERT INTO return_requests (tenant, return_request_id, partner_order_reference, order_id, merchant, status, doc,
  creation_date, update_date)
  SELECT 't' || i % 20, 'rr' || i, 'r' || i, 'o' || i, 'm' || i % 50, (ARRAY['pending', 'approved', 'completed',
  'rejected', 'cancelled'])[1 + i % 5], '{}', '2026-01-01T' || i, '2026-01-01T' || i FROM generate_series(1, 5000) i;
INSERT INTO return_shipment_keys SELECT 't' || i % 20, 'rk' || i, 'rr' || i FROM generate_series(1, 5000) i;
INSERT INTO shipment_keys SELECT 't' || i % 20, 'trk' || i, 'o' || i FROM generate_series(1, 10000) i;
INSERT INTO change_logs (tenant, order_id, log_date, change_type, source)
  SELECT 't' || i % 20, 'o' || i / 3, '2026-01-01T' || i, 'X', 'S' FROM generate_series(1, 30000) i;
INSERT INTO seen_events SELECT 't' || i % 20, 's', 'k' || i, '2026-01-01T' || i FROM generate_series(1, 10000) i;
INSERT INTO parked_events (tenant, source, tracking_no, partner_order_reference, partner_shipment_reference, event,
  received_date) SELECT 't' || i % 20, 's', 'pt' || i, 'pr' || i, 'ps' || i, '{}', '2026-01-01T' || i
  FROM generate_series(1, 2000) i;
INSERT INTO webhook_endpoints (id, tenant, url, secret, created_at, updated_at)
  SELECT 'ep' || i, 't' || i % 20, 'http://x', 's', 0, 0 FROM generate_series(1, 60) i;
INSERT INTO webhook_messages (id, tenant, endpoint_id, event_id, event_type, trigger, order_id, payload, status,
  next_attempt_at, created_at, updated_at) SELECT 'msg' || i, 't' || i % 20, 'ep' || i % 60, 'ev' || i,
  'order.created', 'x', 'o' || i / 4, '{}', CASE WHEN i % 50 = 0 THEN 'pending' WHEN i % 51 = 0 THEN 'dead'
  ELSE 'delivered' END, i, i, i FROM generate_series(1, 40000) i;
INSERT INTO webhook_attempts (message_id, attempt, at, status_code)
  SELECT 'msg' || i, 1, i, 200 FROM generate_series(1, 40000) i;
INSERT INTO system_logs (identifier, tenant, order_id, event_type, request_time)
  SELECT 'sl' || i, 't' || i % 20, 'o' || i / 3, 'INBOUND', '2026-01-01T' || i FROM generate_series(1, 30000) i;
INSERT INTO body_spool (key, body, len, next_try_at) SELECT 'b' || i, '\\x00', 1, i FROM generate_series(1, 2000) i;
INSERT INTO body_deletes (key) SELECT 'd' || i FROM generate_series(1, 2000) i;
ANALYZE;
"""

# The generic plan of a statement (the one PostgreSQL settles on for a
# prepared statement whatever its parameters), or {"error": why}.
PLAN_OF = """
CREATE FUNCTION pg_temp.plan_of(q text, args text) RETURNS json LANGUAGE plpgsql AS $f$
DECLARE p json;
BEGIN
  EXECUTE 'PREPARE q AS ' || q;
  BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) EXECUTE q' || args INTO p;
  EXCEPTION WHEN others THEN p := json_build_object('error', SQLERRM);
  END;
  DEALLOCATE q;
  RETURN p;
EXCEPTION WHEN others THEN
  RETURN json_build_object('error', SQLERRM);
END $f$;
"""


def scans(plan, limited=False, parent=None):
    """What in plan reads a growing table whole: a Seq Scan; an index scan
    with no condition, or with a condition on the tenant alone (a whole
    tenant's rows), unless a Limit above it stops the read early."""
    kind = plan.get("Node Type", "")
    limited = limited or kind == "Limit"
    table = plan.get("Relation Name") or (parent or {}).get("Relation Name")
    if table in GROWING:
        if kind == "Seq Scan":
            yield "Seq Scan on %s" % table
        elif kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan") and not limited:
            cond = plan.get("Index Cond", "")
            columns = set(re.findall(r"(\w+) (?:=|<|>|<=|>=|<>) ", cond))
            if not cond:
                yield "%s using %s without a condition" % (kind, plan.get("Index Name"))
            elif columns == {"tenant"}:
                yield "%s using %s narrows to a tenant only: %s" % (kind, plan.get("Index Name"), cond)
    for sub in plan.get("Plans", []):
        yield from scans(sub, limited, plan)


if __name__ == "__main__":
    unittest.main()
