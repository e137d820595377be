"""The access log: one line per request (logfmt by default, JSON on
request), with the route template and never the raw path; to stderr or to
a file that SIGHUP opens again after logrotate moved it; failed
authentication logged with the peer, rate limited per address."""
import json
import os
import re
import signal
import time
import unittest

from relay import Relay, order_body

LOGFMT = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def logfmt(line):
    return {k: json.loads(v) if v.startswith('"') else v for k, v in LOGFMT.findall(line)}


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


class AccessLogTest(unittest.TestCase):
    def lines(self, path, kind="logfmt"):
        text = read(path)
        if kind == "json":
            return [json.loads(l) for l in text.splitlines() if l.startswith("{")]
        return [logfmt(l) for l in text.splitlines() if l.startswith("time=")]

    def hup(self, relay, until):
        relay.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline and not until():
            time.sleep(0.02)
        self.assertTrue(until(), "the reload did not take effect")

    def test_one_logfmt_line_per_request_with_the_route_template(self):
        relay = Relay().start()
        try:
            started = len(self.lines(relay.log))  # the harness's /healthz polls
            r = relay.post("/orders", order_body("PO/SECRET-REF 1"), headers={"x-correlation-id": "corr-42"})
            self.assertEqual(r.status, 201)
            r = relay.get("/orders/PO%2FSECRET-REF%201?key=partner_order_reference&x=1")
            self.assertEqual(r.status, 200)
            relay.get("/orders/x", key="wrong-key-0123456789")
            relay.request("HEAD", "/healthz", auth=False)
            time.sleep(0.1)
            lines = self.lines(relay.log)[started:]
            self.assertNotIn("SECRET-REF", read(relay.log))
            post = [l for l in lines if l["method"] == "POST"]
            self.assertEqual(len(post), 1)
            p = post[0]
            self.assertEqual((p["tenant"], p["route"], p["status"], p["correlation_id"]),
                             ("acme", "/orders", "201", "corr-42"))
            self.assertRegex(p["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertRegex(p["peer"], r"^127\.0\.0\.1:\d+$")
            self.assertGreater(float(p["duration_ms"]), 0)
            self.assertEqual(int(p["bytes_in"]), len(json.dumps(order_body("PO/SECRET-REF 1"))))
            get = [l for l in lines if l["method"] == "GET" and l["status"] == "200"]
            self.assertEqual(get[0]["route"], "/orders/{reference}")
            self.assertEqual(int(get[0]["bytes"]), len(r.raw))
            denied = [l for l in lines if l["status"] == "401"]
            self.assertEqual((denied[0]["tenant"], denied[0]["route"]), ("-", "/orders/{reference}"))
            head = [l for l in lines if l["method"] == "HEAD"]
            health = len(relay.get("/healthz", auth=False).raw)  # HEAD counts the body GET would send
            self.assertEqual((head[0]["route"], head[0]["status"], int(head[0]["bytes"])), ("/healthz", "200", health))
            self.assertEqual(len(lines), 4)
        finally:
            relay.close()

    def test_json_lines_to_a_file_reopened_on_sighup(self):
        relay = Relay(extra="[log]\naccess_format = json\n")
        path = os.path.join(relay.dir, "access.log")
        with open(relay.conf, "a") as f:
            f.write("access_log = %s\n" % path)
        relay.start()
        try:
            relay.get("/orders/x")
            relay.get("/orders/y")
            time.sleep(0.1)
            lines = self.lines(path, "json")
            self.assertEqual([l["route"] for l in lines if l["method"] == "GET" and l["status"] == 404],
                             ["/orders/{reference}"] * 2)
            self.assertEqual(lines[-1]["tenant"], "acme")
            self.assertNotIn('"route":"/orders/{reference}"', read(relay.log))
            # logrotate: move the file, then SIGHUP; new lines go to a new file at the path
            os.rename(path, path + ".1")
            self.hup(relay, lambda: relay.get("/orders/z").status == 404 and os.path.exists(path))
            relay.get("/orders/w")  # surely after the reopen (the probes above may have raced it)
            time.sleep(0.1)
            # x and y (and polls made before the reload took effect) stayed in the moved file
            self.assertGreaterEqual(len([l for l in self.lines(path + ".1", "json") if l["status"] == 404]), 2)
            self.assertTrue(any(l["status"] == 404 for l in self.lines(path, "json")))
            relay.get("/orders/v")
            time.sleep(0.1)
            moved = len(self.lines(path + ".1", "json"))
            relay.get("/orders/u")
            time.sleep(0.1)
            self.assertEqual(len(self.lines(path + ".1", "json")), moved, "the moved file gets no more lines")
            # and back to stderr, as logfmt, by another reload
            with open(relay.conf) as f:
                text = f.read()
            with open(relay.conf, "w") as f:
                f.write(text.replace("access_format = json\naccess_log = %s\n" % path, "access_format = logfmt\n"))
            self.hup(relay, lambda: relay.get("/orders/w").status == 404 and
                     any(l.get("status") == "404" for l in self.lines(relay.log)))
        finally:
            relay.close()

    def test_failed_authentication_is_logged_with_the_peer_and_rate_limited(self):
        relay = Relay(extra="[log]\nauth_failures_per_second = 2\naccess_format = off\n").start()
        try:
            t0 = time.time()
            for _ in range(20):
                self.assertEqual(relay.get("/orders/x", key="wrong-key-0123456789").status, 401)
            seconds = time.time() - t0
            time.sleep(1.1)
            self.assertEqual(relay.get("/orders/x", tenant="ghost", key="wrong-key-0123456789").status, 401)
            time.sleep(0.1)
            refused = [l for l in read(relay.log).splitlines() if "refused from 127.0.0.1:" in l]
            # at most 2 lines in each second the 20 took, then the ghost's
            self.assertLessEqual(len(refused) - 1, 2 * (int(seconds) + 2), refused)
            self.assertLess(len(refused), 21, refused)
            self.assertIn('api: tenant-id "acme": refused from 127.0.0.1:', refused[0])
            self.assertIn('api: tenant-id "ghost": refused from 127.0.0.1:', refused[-1])
            # every refusal is either a line or counted on a later line
            held = [int(m.group(1)) for l in refused
                    for m in [re.search(r"\((\d+) more refusals from 127\.0\.0\.1 were not logged\)$", l)] if m]
            self.assertTrue(held, refused)
            self.assertEqual(sum(held) + len(refused), 21, refused)
            self.assertFalse(any(l.startswith("time=") for l in read(relay.log).splitlines()), "access_format = off")
        finally:
            relay.close()


if __name__ == "__main__":
    unittest.main()
