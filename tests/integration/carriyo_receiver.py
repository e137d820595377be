"""A webhook receiver written the way a Carriyo integration is (Carriyo's
webhook docs, fact sheet §6), knowing nothing of shiprelay: it authenticates
Carriyo's way (a static header configured on the webhook), takes the
trigger from the `trigger` header, dedupes on `event-id` (retries reuse
it), and reads the order images from {oldImage, newImage, trigger,
operation}. What it accepted is kept for the tests to read."""
import http.server
import json
import threading


class CarriyoReceiver:
    def __init__(self, auth_header="x-carriyo-auth", auth_value="s3cret-header-value"):
        self.auth = (auth_header, auth_value)
        self.events = []     # accepted, in order: {event_id, trigger, operation, old, new}
        self.refused = []    # (reason, headers)
        self.seen = set()
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.handle(self.headers, raw)
                self.send_response(status)
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/carriyo"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def handle(self, headers, raw):
        with self.lock:
            if headers.get(self.auth[0]) != self.auth[1]:
                self.refused.append(("auth", dict(headers)))
                return 401
            event_id, trigger = headers.get("event-id"), headers.get("trigger")
            try:
                body = json.loads(raw)
            except ValueError:
                self.refused.append(("json", dict(headers)))
                return 400
            if not event_id or not trigger or body.get("trigger") != trigger or "newImage" not in body or \
                    body.get("operation") not in ("INSERT", "MODIFY") or set(body) - {"oldImage", "newImage",
                                                                                     "trigger", "operation"}:
                self.refused.append(("envelope", body))
                return 400
            if (body["operation"] == "INSERT") != ("oldImage" not in body):
                self.refused.append(("operation", body))
                return 400
            if event_id in self.seen:
                return 200  # a retry of something already handled
            self.seen.add(event_id)
            self.events.append({"event_id": event_id, "trigger": trigger, "operation": body["operation"],
                                "old": body.get("oldImage"), "new": body["newImage"]})
            return 200

    def triggers(self, ref):
        with self.lock:
            return [e["trigger"] for e in self.events if e["new"]["partner_order_reference"] == ref]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
