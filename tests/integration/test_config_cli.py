"""The command line an operator meets first: --check-config names the line of
every error (listen, storage.dir and [s3] included) and catches what used to
fail only at start; --print-config --config FILE shows the effective config
with secrets masked; --config=FILE works; an unknown option is named; and a
port already in use stops the relay before it creates any state. With
[storage] backend = postgresql: --check-config wants a url, and [s3] (or
single_node = yes); a database that does not answer stops the start with
libpq's reason, the password never shown, nothing created."""
import os
import socket
import subprocess
import tempfile
import unittest

from relay import BIN, Relay, free_port

ACME = '[tenant "acme"]\napi_key = acme-key-0123456789\n'


def run(*args, **kw):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30, **kw)


class CheckConfigTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="shiprelay-cli-")
        self.path = os.path.join(self.dir, "relay.conf")

    def tearDown(self):
        subprocess.run(["rm", "-rf", self.dir])

    def write(self, text):
        with open(self.path, "w") as f:
            f.write(text)
        return self.path

    def test_every_error_has_its_line(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        cases = [
            ("[server]\nthreads = 2\nlisten = 127.0.0.1\n", 3, "server.listen must be HOST:PORT"),
            ("[server]\nlisten = 127.0.0.1:70000\n", 2, "server.listen must be HOST:PORT with a port from 1 to 65535"),
            ("[server]\nlisten = 127.0.0.1:0\n", 2, "server.listen must be HOST:PORT with a port from 1 to 65535"),
            ("[server]\n\nlisten = no-such-host.invalid:8080\n", 3, 'server.listen: "no-such-host.invalid" is not an address'),
            ("[storage]\n\n\ndir =\n", 4, "storage.dir must not be empty"),
            ("[s3]\nregion = eu-west-1\nbucket = bodies\n", 3, "[s3] bucket is set but no credentials"),
            ("[s3]\nendpoint = s3.example.com\n", 2, "s3.endpoint must start with http:// or https://"),
            ("[log]\nlevel = chatty\n", 2, "log.level must be one of debug info warn error"),
        ]
        for text, line, want in cases:
            path = self.write(ACME + text)
            line += 2
            for args in (("--check-config", path), ("--config", path)):
                r = run(*args, env=env)
                self.assertEqual(r.returncode, 2, (text, r.stderr))
                self.assertIn("%s:%d: %s" % (path, line, want), r.stderr, text)
                self.assertNotIn(":0:", r.stderr)

    def test_all_errors_are_listed_not_only_the_first(self):
        path = self.write("[server]\nthreads = 0\nlisten = 127.0.0.1:99999\n[storage]\ndir =\nbogus = 1\n"
                          + ACME + '[tenant "b"]\napi_key = short\n')
        r = run("--check-config", path)
        self.assertEqual(r.returncode, 2)
        lines = r.stderr.strip().split("\n")
        self.assertEqual([l.split(":")[1] for l in lines], ["2", "3", "5", "6", "10"], r.stderr)

    def test_config_equals_form_and_unknown_options(self):
        path = self.write(ACME)
        self.assertEqual(run("--check-config=" + path).returncode, 0)
        self.assertEqual(run("--check-config", "--config=" + path).returncode, 0)
        r = run("--frobnicate")
        self.assertEqual(r.returncode, 2)
        self.assertIn('unknown option "--frobnicate"', r.stderr)
        r = run("--config")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--config needs a FILE", r.stderr)
        # the daemon starts with --config=FILE
        relay = Relay()
        relay_args = relay.conf
        try:
            with open(relay.log, "ab") as log:
                relay.proc = subprocess.Popen([BIN, "--config=" + relay_args], stdout=log, stderr=subprocess.STDOUT)
            for _ in range(500):
                try:
                    if relay.get("/healthz", auth=False).status == 200:
                        break
                except OSError:
                    pass
                if relay.proc.poll() is not None:
                    self.fail(open(relay.log).read())
                subprocess.run(["sleep", "0.02"])
            self.assertEqual(relay.get("/orders/none").status, 404)
        finally:
            relay.close()

    def test_print_config_shows_the_effective_config_with_secrets_masked(self):
        secrets = ["acme-key-0123456789", "HOOK-SECRET-4242", "S3-SECRET-KEY-77", "AKIA-ID-99", "OAUTH-SECRET-5"]
        path = self.write("[server]\nthreads = 3\n[s3]\nbucket = b\naccess_key_id = AKIA-ID-99\n"
                          "secret_access_key = S3-SECRET-KEY-77\n" + ACME + "rate_limit = 50\n"
                          '[source "acme/as"]\nadapter = aftership\nsecret = HOOK-SECRET-4242\n'
                          '[source "acme/ups"]\nadapter = ups\nclient_id = ups-client\nclient_secret = OAUTH-SECRET-5\n')
        r = run("--print-config", "--config", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        for s in secrets:
            self.assertNotIn(s, r.stdout)
        for shown in ("threads = 3\n", "bucket = b\n", "listen = 127.0.0.1:8080\n", "api_key = ********\n",
                      "rate_limit = 50\n", '[source "acme/as"]\nadapter = aftership\nsecret = ********\n',
                      "client_id = ups-client\n", "client_secret = ********\n", "secret_access_key = ********\n"):
            self.assertIn(shown, r.stdout)
        # an invalid file is refused the same way --check-config refuses it
        bad = self.write("[server]\nthreads = 0\n")
        r = run("--print-config", "--config", bad)
        self.assertEqual(r.returncode, 2)
        self.assertIn(bad + ":2:", r.stderr)


class PostgresConfigTest(unittest.TestCase):
    PASSWORD = "pw-Zq7SECRET-0042"

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="shiprelay-cli-")
        self.path = os.path.join(self.dir, "relay.conf")

    def tearDown(self):
        subprocess.run(["rm", "-rf", self.dir])

    def write(self, text):
        with open(self.path, "w") as f:
            f.write(ACME + "[storage]\ndir = %s\nbackend = postgresql\n" % os.path.join(self.dir, "state") + text)
        return self.path

    def test_check_config_wants_a_url_and_somewhere_for_bodies(self):
        r = run("--check-config", self.write(""))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("%s:5: [storage] backend = postgresql needs url" % self.path, r.stderr)
        url = "url = postgresql://relay:%s@127.0.0.1:%d/relay\n" % (self.PASSWORD, free_port())
        r = run("--check-config", self.write(url))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("%s:5: [storage] backend = postgresql keeps bodies in [s3]" % self.path, r.stderr)
        self.assertNotIn(self.PASSWORD, r.stderr)
        r = run("--check-config", self.write(url + "single_node = yes\n"))
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        r = run("--print-config", "--config", self.path)
        self.assertIn("url = ********\n", r.stdout)
        self.assertNotIn(self.PASSWORD, r.stdout + r.stderr)

    def test_an_unreachable_database_stops_the_start_clearly(self):
        port = free_port()  # nothing listens there
        path = self.write("url = postgresql://relay:%s@127.0.0.1:%d/relay\nsingle_node = yes\n[server]\n"
                          "listen = 127.0.0.1:%d\n" % (self.PASSWORD, port, free_port()))
        r = run("--config", path)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn('cannot connect to PostgreSQL: connection to server at "127.0.0.1", port %d failed' % port,
                      r.stderr)
        self.assertNotIn(self.PASSWORD, r.stderr)
        self.assertEqual(os.listdir(self.dir), ["relay.conf"])


class StartOrderTest(unittest.TestCase):
    def test_a_port_in_use_leaves_nothing_behind(self):
        with socket.socket() as taken, tempfile.TemporaryDirectory() as d:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            state = os.path.join(d, "state")
            conf = os.path.join(d, "relay.conf")
            with open(conf, "w") as f:
                f.write("[server]\nlisten = 127.0.0.1:%d\n[storage]\ndir = %s\n%s" % (port, state, ACME))
            r = run("--config", conf)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("cannot listen on 127.0.0.1:%d" % port, r.stderr)
            self.assertFalse(os.path.exists(state), os.listdir(d))
            self.assertEqual(sorted(os.listdir(d)), ["relay.conf"])
            # and with the port free the same config starts and creates its state
            taken.close()
            with open(conf, "w") as f:
                f.write("[server]\nlisten = 127.0.0.1:%d\n[storage]\ndir = %s\n%s" % (free_port(), state, ACME))
            p = subprocess.Popen([BIN, "--config", conf], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                line = ""
                while "listening on" not in line:
                    line = p.stdout.readline()
                    self.assertTrue(line, "the relay exited")
                self.assertTrue(os.path.exists(os.path.join(state, "shiprelay.db")))
            finally:
                p.terminate()
                self.assertEqual(p.wait(15), 0)
                p.stdout.close()


if __name__ == "__main__":
    unittest.main()
