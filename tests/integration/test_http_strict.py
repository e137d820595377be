"""Strict HTTP over raw sockets: framing a proxy could read differently
(request smuggling) is refused with a JSON error, every error reply has an
HTTP/1.1 status line, HEAD answers like GET without the body, and a body
without Content-Type is read as JSON."""
import json
import re
import socket
import unittest

from relay import Relay, order_body

AUTH = b"Host: x\r\ntenant-id: acme\r\nx-api-key: acme-key-0123456789\r\n"
POST = b"POST /orders HTTP/1.1\r\n" + AUTH + b"Content-Type: application/json\r\n"


def exchange(port, data, timeout=5):
    """Send data on a fresh connection; everything the relay sends back
    until it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                return out
            out += chunk
    return out


def responses(raw, heads=0):
    """Split a byte stream into (status line, headers, body) by Content-Length;
    the first `heads` replies answer HEAD (no body whatever the length says)."""
    out = []
    while raw:
        head, sep, rest = raw.partition(b"\r\n\r\n")
        assert sep, raw
        lines = head.decode().split("\r\n")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0")) if len(out) >= heads else 0
        body, raw = rest[:n], rest[n:]
        out.append((lines[0], headers, body))
    return out


class StrictHttpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(threads=1)
        with open(cls.relay.conf, "a") as f:
            f.write("[server]\nrequest_timeout = 10\n")
        cls.relay.start()

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    def assertRefused(self, data, status, code, message=None):
        out = exchange(self.relay.port, data)
        self.assertRegex(out, rb"^HTTP/1\.1 %d [A-Z]" % status, out)
        (line, headers, body), = responses(out)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(headers["connection"], "close")
        error = json.loads(body)["error"]
        self.assertEqual(error["code"], code, out)
        if message:
            self.assertEqual(error["message"], message)

    def test_two_different_content_lengths(self):
        message = "two Content-Length headers with different values"
        # evhttp reads the first length; either way the request is refused,
        # and at once even when the first length is longer than what came.
        self.assertRefused(POST + b"Content-Length: 5\r\nContent-Length: 7\r\n\r\n{}     ", 400, "bad_request", message)
        self.assertRefused(POST + b"Content-Length: 7\r\nContent-Length: 5\r\n\r\n{}   ", 400, "bad_request", message)

    def test_transfer_encodings(self):
        self.assertRefused(POST + b"Transfer-Encoding: gzip\r\n\r\n{}", 501, "not_implemented")
        self.assertRefused(POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 501,
                           "not_implemented")
        self.assertRefused(POST + b"Content-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
                           400, "bad_request", "Content-Length and Transfer-Encoding in one request")

    def test_bad_chunks_are_400_not_413(self):
        chunked = POST + b"Transfer-Encoding: chunked\r\n\r\n"
        for bad in (b"zz\r\n{}\r\n0\r\n\r\n", b"2;ext=1\r\n{}\r\n0\r\n\r\n", b"0x2\r\n{}\r\n0\r\n\r\n",
                    b"2\r\n{}0\r\n\r\n"):
            self.assertRefused(chunked + bad, 400, "bad_request")
        # A chunk larger than [server] max_body is still too large.
        self.assertRefused(chunked + b"fffffff\r\n{}", 413, "payload_too_large")

    def test_header_lines_a_proxy_could_read_differently(self):
        self.assertRefused(POST + b"Content-Length : 2\r\n\r\n{}", 400, "bad_request")
        self.assertRefused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n", 400, "bad_request")
        out = exchange(self.relay.port, b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        (line, headers, body), = responses(out, heads=1)  # a reply to HEAD has no body, even an error
        self.assertEqual((line, headers["connection"]), ("HTTP/1.1 400 Bad Request", "close"))

    def test_every_error_has_an_http_1_1_status_line(self):
        self.assertRefused(b"THIS IS NOT HTTP\r\n\r\n", 400, "bad_request")
        self.assertRefused(b"GET /healthz HTTP/1.0\r\nno-colon\r\n\r\n", 400, "bad_request")
        self.assertRefused(b"BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 501, "not_implemented")
        # An HTTP/1.0 client is answered in HTTP/1.1 too, and the connection closed after.
        self.assertRefused(b"GET /nowhere HTTP/1.0\r\n\r\n", 404, "not_found")

    def test_well_framed_requests_still_pass(self):
        # Chunked, pipelined behind a plain one, then a GET: three replies.
        body = json.dumps(order_body("PO-CHUNKED")).encode()
        out = exchange(self.relay.port,
                       b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" +
                       POST + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) +
                       b"GET /orders/PO-CHUNKED?key=partner_order_reference HTTP/1.1\r\n" + AUTH +
                       b"Connection: close\r\n\r\n")
        self.assertEqual([r[0] for r in responses(out)],
                         ["HTTP/1.1 200 OK", "HTTP/1.1 201 Created", "HTTP/1.1 200 OK"])

    def test_head_is_get_without_the_body(self):
        ref = "PO-HEAD"
        self.assertEqual(self.relay.post("/orders", order_body(ref)).status, 201)
        path = b"/orders/%s?key=partner_order_reference" % ref.encode()
        for target, auth in ((b"/healthz", b"Host: x\r\n"), (path, AUTH), (b"/metrics", b"Host: x\r\n")):
            out = exchange(self.relay.port,
                           b"HEAD " + target + b" HTTP/1.1\r\n" + auth + b"\r\n" +
                           b"GET " + target + b" HTTP/1.1\r\n" + auth + b"Connection: close\r\n\r\n")
            (head_line, head_headers, head_body), (get_line, get_headers, get_body) = responses(out, heads=1)
            self.assertEqual(head_body, b"", target)
            self.assertEqual(head_line, get_line, target)
            for h in ("date", "x-correlation-id", "connection"):
                head_headers.pop(h, None)
                get_headers.pop(h, None)
            if target == b"/metrics":  # the HEAD itself is counted: the GET's body is longer
                self.assertGreater(int(head_headers.pop("content-length")), 1000)
                self.assertEqual(int(get_headers.pop("content-length")), len(get_body))
            self.assertEqual(head_headers, get_headers, target)
            if target != b"/metrics":
                self.assertEqual(int(head_headers["content-length"]), len(get_body), target)
        self.assertEqual(self.relay.request("HEAD", path.decode()).status, 200)
        r = self.relay.request("HEAD", "/oauth/token")
        self.assertEqual((r.status, r.headers["allow"], r.raw), (405, "POST", b""))
        r = self.relay.request("HEAD", "/nowhere")
        self.assertEqual((r.status, r.raw), (404, b""))
        r = self.relay.request("DELETE", "/healthz", auth=False)
        self.assertEqual((r.status, r.headers["allow"]), (405, "GET, HEAD"))

    def test_content_type_defaults_to_json(self):
        r = self.relay.request("POST", "/orders", raw=json.dumps(order_body("PO-NO-TYPE")).encode())
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.relay.get("/orders/PO-NO-TYPE?key=partner_order_reference").status, 200)
        r = self.relay.request("POST", "/orders", raw=json.dumps(order_body("PO-TEXT")).encode(),
                               headers={"Content-Type": "text/plain"})
        self.assertEqual((r.status, r.json["error"]["code"]), (415, "unsupported_media_type"))


if __name__ == "__main__":
    unittest.main()
