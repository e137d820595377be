"""The merchant side of the webhook tests: runs receiver.js (Node, verifying
with the standardwebhooks package) and reads what it received."""
import json
import ssl
import os
import subprocess
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


class Receiver:
    def __init__(self, tls=None):
        """tls: (certificate file, key file) to serve HTTPS instead."""
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "receiver.js")] + list(tls or ()), cwd=HERE,
                                     stdout=subprocess.PIPE, text=True)
        self.port = json.loads(self.proc.stdout.readline())["port"]
        self.base = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)
        # the test's own control calls accept the receiver's self-signed certificate
        self.ctx = ssl._create_unverified_context() if tls else None

    def url(self, path):
        return self.base + path

    def configure(self, path, mode="ok", secrets=()):
        req = urllib.request.Request(self.base + "/_config", method="POST",
                                     data=json.dumps({path: {"mode": mode, "secrets": list(secrets)}}).encode())
        urllib.request.urlopen(req, timeout=5, context=self.ctx).read()

    def log(self, path=None):
        entries = json.loads(urllib.request.urlopen(self.base + "/_log", timeout=5, context=self.ctx).read())
        return [e for e in entries if path is None or e["path"] == path]

    def wait_for(self, path, count, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.log(path)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError("%s got %d deliveries, expected %d: %r" % (path, len(self.log(path)), count,
                                                                        self.log(path)))

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
