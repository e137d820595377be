"""A reply means durable, with the commit and its sync on different threads
(relay/store.c's syncer, relay/store_sqlite.c's sq_sync): the writer commits
without waiting for the disk and goes on with the next batch, and the WAL's
fdatasync happens before any reply of that commit goes out. strace's fault
injection stands in for a slow and for a failing disk:

- every fdatasync takes 1.5 s longer: an order's 201 is not sent before
  then (the commit itself is done in microseconds, so a reply sent on commit
  would come back at once), and the writer is not held by it meanwhile;
- every fdatasync fails (EIO): no request is answered 2xx, and the relay
  stops (SIGABRT) rather than answer what is committed but may not be on
  disk; restarted, it serves again. SQLite only (PostgreSQL's commit is
  durable when it returns: no syncer)."""
import os
import shutil
import signal
import subprocess
import threading
import time
import unittest

import relay as harness
from relay import Relay, order_body


def strace_works():
    if not shutil.which("strace"):
        return False
    return subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "true"]).returncode == 0


def start_injected(spec):
    """A relay whose database exists already (made on a first start without
    strace, whose own syncs must work), restarted under strace."""
    relay = Relay().start()
    relay.stop()
    relay.wrapper = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fdatasync", "-e",
                     "inject=fdatasync:" + spec]
    # LeakSanitizer cannot run under ptrace (the sanitizer build): no leak check while traced
    relay.env = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"}
    return relay.start()


def stop_traced(relay, sig=signal.SIGTERM):
    """Signal the relay itself (strace passes its exit status on); its exit status."""
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == relay.proc.pid:
            os.kill(int(pid), sig)
    rc = relay.proc.wait(30)
    relay.proc = None
    return rc


@unittest.skipIf(harness.POSTGRESQL, "PostgreSQL's COMMIT is durable when it returns: there is no syncer")
@unittest.skipUnless(strace_works(), "needs strace with ptrace allowed")
class SyncTest(unittest.TestCase):
    def test_the_reply_waits_for_the_sync(self):
        delay_us = 1500000
        relay = start_injected("delay_exit=%d" % delay_us)
        try:
            got = {}

            def post(ref):
                t = time.monotonic()
                got[ref] = (relay.post("/orders", order_body(ref)).status, time.monotonic() - t)

            post("PO-SYNC-0")
            status, secs = got["PO-SYNC-0"]
            self.assertEqual(status, 201)
            self.assertGreaterEqual(secs, delay_us / 1e6 * 0.9, "answered before its commit was synced")
            # While one batch waits for its sync, the writer commits the next: ten orders
            # one after another on ten connections take about two syncs, not ten.
            threads = [threading.Thread(target=post, args=("PO-SYNC-%d" % i,)) for i in range(1, 11)]
            t0 = time.monotonic()
            for t in threads:
                t.start()
                time.sleep(0.05)
            for t in threads:
                t.join()
            self.assertTrue(all(got["PO-SYNC-%d" % i][0] == 201 for i in range(1, 11)), got)
            self.assertLess(time.monotonic() - t0, 10 * delay_us / 1e6, "every commit waited for the previous sync")
            for i in range(11):
                self.assertEqual(relay.get("/orders/PO-SYNC-%d?key=partner_order_reference" % i).status, 200)
            rc = stop_traced(relay)
            with open(relay.log, errors="replace") as f:
                self.assertEqual(rc, 0, f.read()[-3000:])
        finally:
            if relay.proc:
                stop_traced(relay, signal.SIGKILL)
            relay.close()

    def test_a_failed_sync_answers_nothing_and_stops(self):
        relay = start_injected("error=EIO")
        statuses = []
        try:
            for i in range(3):
                try:
                    statuses.append(relay.post("/orders", order_body("PO-EIO-%d" % i)).status)
                except OSError:
                    statuses.append(None)  # the connection closed without an answer
                if relay.proc.poll() is not None:
                    break
            self.assertFalse([s for s in statuses if s and 200 <= s < 300], statuses)
            rc = relay.proc.wait(10)
            self.assertEqual(rc, -signal.SIGABRT, "the relay did not stop on a failed sync")
            with open(relay.log) as f:
                self.assertIn("cannot make committed writes durable", f.read())
            relay.proc = None
            relay.wrapper, relay.env = [], None
            relay.start()  # the same state directory, a working disk: it serves again
            self.assertEqual(relay.post("/orders", order_body("PO-EIO-after")).status, 201)
        finally:
            if relay.proc and relay.wrapper:
                stop_traced(relay, signal.SIGKILL)
            relay.close()


if __name__ == "__main__":
    unittest.main()
