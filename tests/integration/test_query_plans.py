"""Nothing scans in the hot path (issue 9): every SQL statement the relay
prepared during the integration tests (they all run with
SHIPRELAY_TRACE_SQL pointing at one file) is run through EXPLAIN QUERY
PLAN against a fresh database with the relay's schema, and any full scan of
a table that grows with traffic fails the test, and so does a search that
narrows only to a tenant (all of a tenant's orders or messages). A scan is only tolerated
where the plan is bounded another way, listed in BOUNDED with the reason.

ctest runs this after the other integration tests. Run alone (the trace is
empty), it first runs a few of them in this process to make one."""
import os
import re
import sqlite3
import unittest

from relay import Relay

GROWING = {"orders", "change_logs", "shipment_keys", "seen_events", "parked_events", "webhook_messages",
           "webhook_attempts", "system_logs", "body_spool", "body_deletes", "return_requests", "return_shipment_keys"}

# Statements whose scan is bounded: the pattern of the statement, and why.
BOUNDED = [
    (r"^SELECT key FROM body_deletes ORDER BY rowid LIMIT",
     "the queue is read from its front: the scan stops after LIMIT rows, and done rows are deleted"),
]

TRACE = os.environ.get("SHIPRELAY_TRACE_SQL") or os.path.join(os.path.dirname(__file__), "sql-trace.txt")


def traced():
    if not os.path.exists(TRACE):
        return set()
    with open(TRACE) as f:
        return {line.strip() for line in f if line.strip()}


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


if __name__ == "__main__":
    unittest.main()
