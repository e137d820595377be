"""Slow clients and the connection cap: a request must arrive in full within
[server] request_timeout (slowloris), while a kept-alive connection may stay
idle for [server] timeout; connections count from their accept, once each,
and one over [server] max_connections is refused at once."""
import http.client
import json
import select
import socket
import time
import unittest

from relay import Relay


def read_all(s, timeout):
    """Everything the relay sends until it closes, and when it closed."""
    s.settimeout(timeout)
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    return out, time.monotonic()


def error_of(reply):
    head, _, body = reply.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), json.loads(body)["error"]["code"]


class SlowClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(threads=1)
        with open(cls.relay.conf, "a") as f:
            f.write("[server]\nrequest_timeout = 2\ntimeout = 30\n")
        cls.relay.start()

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    def trickle(self, head, drip):
        """Send head, then one byte of drip every 0.4 s until the relay
        closes the connection; its reply and how long that took."""
        s = socket.create_connection(("127.0.0.1", self.relay.port), timeout=10)
        started = time.monotonic()
        try:
            s.sendall(head)
            for b in drip:
                if select.select([s], [], [], 0.4)[0]:
                    break
                s.sendall(bytes([b]))
                self.assertLess(time.monotonic() - started, 8, "the relay never cut the client off")
            out, closed = read_all(s, 8)
            return out, closed - started
        finally:
            s.close()

    def test_headers_one_byte_at_a_time_are_cut_off_at_the_deadline(self):
        out, took = self.trickle(b"GET /healthz HTTP/1.1\r\n", b"X-Slow: " + b"a" * 100)
        self.assertEqual(error_of(out), ("HTTP/1.1 408 Request Timeout", "request_timeout"))
        self.assertGreater(took, 1.5)
        self.assertLess(took, 7)  # the deadline is 2 s; a loaded CI machine may be late

    def test_a_slow_body_is_cut_off_at_the_deadline(self):
        head = (b"POST /orders HTTP/1.1\r\nHost: x\r\ntenant-id: acme\r\nx-api-key: acme-key-0123456789\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n")
        out, took = self.trickle(head, b" " * 100)
        self.assertEqual(error_of(out), ("HTTP/1.1 408 Request Timeout", "request_timeout"))
        self.assertLess(took, 7)  # the deadline is 2 s; a loaded CI machine may be late

    def test_a_connection_that_sends_nothing_is_closed_at_the_deadline(self):
        with socket.create_connection(("127.0.0.1", self.relay.port), timeout=10) as s:
            started = time.monotonic()
            out, closed = read_all(s, 8)
        self.assertEqual(error_of(out), ("HTTP/1.1 408 Request Timeout", "request_timeout"))
        self.assertLess(closed - started, 7)

    def test_an_idle_kept_alive_connection_is_not_cut_off(self):
        # Between requests only [server] timeout applies; the deadline starts
        # again with the next request's first byte.
        c = http.client.HTTPConnection("127.0.0.1", self.relay.port, timeout=10)
        try:
            self.assertEqual(self.relay.get("/healthz", auth=False, conn=c).status, 200)
            time.sleep(3)
            self.assertEqual(self.relay.get("/healthz", auth=False, conn=c).status, 200)
        finally:
            c.close()


class ConnectionCapTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(threads=2)
        with open(cls.relay.conf, "a") as f:
            f.write("[server]\nmax_connections = 5\nrequest_timeout = 30\n")
        cls.relay.start()

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    def wait_for_service(self):
        deadline = time.monotonic() + 5
        while True:
            try:
                r = self.relay.get("/healthz", auth=False)
                if r.status == 200:
                    return
            except OSError:
                pass
            self.assertLess(time.monotonic(), deadline, "the relay did not accept connections again")
            time.sleep(0.05)

    def test_the_sixth_connection_is_refused_while_five_are_open(self):
        self.wait_for_service()
        # One connection makes request after request (it counts once), four
        # never send anything.
        busy = http.client.HTTPConnection("127.0.0.1", self.relay.port, timeout=10)
        idle = []
        try:
            for _ in range(3):
                self.assertEqual(self.relay.get("/healthz", auth=False, conn=busy).status, 200)
            # Four idle connections, each accepted and counted. A place the relay
            # has not given back yet (a connection of an earlier request still
            # closing) makes it refuse one of them: then open another.
            deadline = time.monotonic() + 10
            while len(idle) < 4:
                self.assertLess(time.monotonic(), deadline, "the relay did not take four idle connections")
                s = socket.create_connection(("127.0.0.1", self.relay.port), timeout=10)
                time.sleep(0.2)
                s.setblocking(False)
                try:
                    refused = s.recv(1, socket.MSG_PEEK) is not None  # data or EOF: it was answered 503
                except BlockingIOError:
                    refused = False  # silent: accepted and waiting for a request
                s.setblocking(True)
                if refused:
                    s.close()
                else:
                    idle.append(s)
            for _ in range(3):
                self.assertEqual(self.relay.get("/healthz", auth=False, conn=busy).status, 200)
            with socket.create_connection(("127.0.0.1", self.relay.port), timeout=10) as sixth:
                started = time.monotonic()
                out, closed = read_all(sixth, 5)
            self.assertLess(closed - started, 5)
            self.assertEqual(error_of(out), ("HTTP/1.1 503 Service Unavailable", "too_many_connections"))
            self.assertEqual(self.relay.get("/healthz", auth=False, conn=busy).status, 200)
        finally:
            busy.close()
            for s in idle:
                s.close()
        # All five places are free again, once the relay has seen the closes
        # (on a loaded machine that may take a moment after the first one).
        deadline = time.monotonic() + 10
        while True:
            again = [http.client.HTTPConnection("127.0.0.1", self.relay.port, timeout=10) for _ in range(5)]
            try:
                codes = [self.relay.get("/healthz", auth=False, conn=c).status for c in again]
            finally:
                for c in again:
                    c.close()
            if codes == [200] * 5 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(codes, [200] * 5)


if __name__ == "__main__":
    unittest.main()
