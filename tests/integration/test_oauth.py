"""POST /oauth/token and bearer tokens (seed 004): Carriyo's JSON body, form
and HTTP Basic; tokens scoped to their tenant, expiring, rotated secrets;
a tenant that requires a token beside x-api-key and one that does not; and
neither a client secret nor a token ever reaches the store or the log."""
import base64
import glob
import os
import time
import unittest
import urllib.parse

from relay import Relay, order_body

TENANTS = {"acme": "acme-key-0123456789", "strict": "strict-key-0123456789"}
CLIENTS = ('[tenant "acme"]\nclient_id = acme-oms\nclient_secret = acme-old-secret-0123456789\n'
           'client_id = acme-oms\nclient_secret = acme-new-secret-0123456789\n'
           '[tenant "strict"]\nclient_id = strict-oms\nclient_secret = strict-secret-0123456789\n'
           'require_oauth = yes\n')


class OAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(extra=CLIENTS, tenants=TENANTS).start()

    @classmethod
    def tearDownClass(cls):
        cls.relay.close()

    def token(self, client_id, secret, **kw):
        r = self.relay.post("/oauth/token", {"client_id": client_id, "client_secret": secret,
                                             "grant_type": "client_credentials"}, auth=False, **kw)
        return r

    def call(self, tenant, token=None, path="/orders/nothing"):
        h = {"Authorization": "Bearer " + token} if token else {}
        return self.relay.get(path, tenant=tenant, key=TENANTS[tenant], headers=h)

    def test_token_from_json_form_and_basic(self):
        r = self.token("acme-oms", "acme-new-secret-0123456789")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"access_token", "token_type", "expires_in", "scope"})
        self.assertEqual((r.json["token_type"], r.json["expires_in"]), ("Bearer", 86400))
        self.assertIn("tenant:acme", r.json["scope"].split())
        self.assertEqual(r.headers["cache-control"], "no-store")
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": "acme-oms",
                                       "client_secret": "acme-old-secret-0123456789"}).encode()
        r = self.relay.request("POST", "/oauth/token", raw=form, auth=False,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r)  # the rotated-out secret still works while configured
        basic = base64.b64encode(b"strict-oms:strict-secret-0123456789").decode()
        r = self.relay.request("POST", "/oauth/token", raw=b"grant_type=client_credentials", auth=False,
                               headers={"Authorization": "Basic " + basic,
                                        "Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r)
        self.assertIn("tenant:strict", r.json["scope"])

    def test_refusals(self):
        r = self.relay.post("/oauth/token", {"client_id": "acme-oms"}, auth=False)
        self.assertEqual((r.status, r.json["error"]), (400, "bad_request"))
        r = self.token("acme-oms", "strict-secret-0123456789")
        self.assertEqual((r.status, r.json["error"], r.json["error_description"]), (403, "access_denied", "Unauthorized"))
        self.assertEqual(self.token("ghost", "acme-new-secret-0123456789").status, 403)
        r = self.token("acme-oms", "acme-new-secret-0123456789", headers={"tenant-id": "strict"})
        self.assertEqual(r.status, 403)  # a client of acme cannot get a token for strict

    def test_require_oauth(self):
        strict = self.token("strict-oms", "strict-secret-0123456789").json["access_token"]
        acme = self.token("acme-oms", "acme-new-secret-0123456789").json["access_token"]
        self.assertEqual(self.call("strict").status, 401)          # the key alone is not enough
        self.assertEqual(self.call("strict", strict).status, 404)  # authenticated: the order does not exist
        self.assertEqual(self.call("strict", acme).status, 401)    # another tenant's token
        self.assertEqual(self.call("strict", strict[:-1] + "x").status, 401)
        r = self.relay.get("/orders/nothing", tenant="strict", key="wrong-key-0123456789",
                           headers={"Authorization": "Bearer " + strict})
        self.assertEqual(r.status, 401)                            # the token does not replace the key
        self.assertEqual(self.call("acme").status, 404)            # acme: API key only is fine
        self.assertEqual(self.call("acme", acme).status, 404)
        self.assertEqual(self.call("acme", "v1.1.garbage").status, 401)  # a sent token must be valid
        r = self.relay.post("/orders", order_body("PO-STRICT"), tenant="strict", key=TENANTS["strict"],
                            headers={"Authorization": "Bearer " + strict})
        self.assertEqual(r.status, 201, r)

    def test_secrets_and_tokens_never_stored_or_logged(self):
        tok = self.token("strict-oms", "strict-secret-0123456789").json["access_token"]
        self.token("acme-oms", "wrong-secret-0123456789")
        r = self.relay.post("/orders", order_body("PO-NOLEAK"), tenant="strict", key=TENANTS["strict"],
                            headers={"Authorization": "Bearer " + tok})
        self.assertEqual(r.status, 201, r)
        entries = self.relay.get("/orders/PO-NOLEAK/system-logs?key=partner_order_reference", tenant="strict",
                                 key=TENANTS["strict"], headers={"Authorization": "Bearer " + tok}).json["data"]
        self.assertEqual(entries[0]["request_headers"]["Authorization"], "[redacted]")
        time.sleep(0.3)
        for path in glob.glob(os.path.join(self.relay.dir, "**", "*"), recursive=True):
            if os.path.isfile(path) and not path.endswith(".conf"):
                data = open(path, "rb").read()
                for secret in (b"strict-secret-0123456789", b"wrong-secret-0123456789", tok.encode(),
                               tok.split(".")[2].encode()):
                    self.assertNotIn(secret, data, path)


class ExpiryTest(unittest.TestCase):
    def test_tokens_expire(self):
        with Relay(extra=CLIENTS + "[oauth]\ntoken_ttl = 1\n", tenants=TENANTS) as relay:
            r = relay.post("/oauth/token", {"client_id": "strict-oms", "client_secret": "strict-secret-0123456789"},
                           auth=False)
            self.assertEqual(r.json["expires_in"], 1)
            h = {"Authorization": "Bearer " + r.json["access_token"]}
            self.assertEqual(relay.get("/orders/x", tenant="strict", key=TENANTS["strict"], headers=h).status, 404)
            time.sleep(2.1)
            self.assertEqual(relay.get("/orders/x", tenant="strict", key=TENANTS["strict"], headers=h).status, 401)


if __name__ == "__main__":
    unittest.main()
