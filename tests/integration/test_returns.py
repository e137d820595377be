"""Return requests (seeds 000 and 001; fact sheet §12) end to end: create
(scoped to the order's items and quantities when the relay holds it;
accepted, and linked later, when it does not), GET, PATCH while pending,
approve, reject, cancel, complete, every refusal naming what is allowed,
REVERSE shipments tracked through shipment-status-update and a carrier
adapter (ready_for_return, return_in_transit, returned, return_confirmed),
change-log entries on the order, and Carriyo's return triggers delivered in
both payload formats (shiprelay's verified with standardwebhooks). On
PostgreSQL, a request and its order arriving at once on two nodes of a
fleet are linked all the same."""
import json
import shutil
import threading
import time
import unittest

from carriyo import carriyo_order
from carriyo_receiver import CarriyoReceiver
import relay as harness
from relay import Database, Relay, order_body, s3_section
from test_system_logs import S3Server
from webhooks import Receiver

CC_TOKEN = "carriyo-carrier-key-0123456789"
SSU = "/orders/shipment-status-update"


class ReturnsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        cls.carriyo = CarriyoReceiver()
        cls.relay = Relay(extra="[webhooks]\nallow_private = 127.0.0.0/8\n"
                                '[source "acme/cc"]\nadapter = carriyo-carrier\ntoken = %s\n' % CC_TOKEN).start()
        ep = cls.relay.post("/webhooks/endpoints", {"url": cls.receiver.url("/ret"),
                                                    "event_types": ["return_status_update", "return.received"]}).json
        cls.receiver.configure("/ret", "ok", [ep["secret"]])
        r = cls.relay.post("/webhooks/endpoints", {"url": cls.carriyo.url(), "payload_format": "carriyo",
                                                   "event_types": ["return.status_updated", "return_received_update"],
                                                   "headers": {"x-carriyo-auth": "s3cret-header-value"}})
        assert r.status == 201, r

    @classmethod
    def tearDownClass(cls):
        try:
            cls.relay.close()
        finally:
            cls.receiver.close()
            cls.carriyo.close()

    def ok(self, r, status=200):
        self.assertEqual(r.status, status, r)
        return r.json

    def create_order(self, ref):
        return self.ok(self.relay.post("/orders", carriyo_order(ref, fulfillment_orders=[
            {"fulfillment_order_id": "FO-1", "location_id": "WH-1", "line_items": [{"id": "L1"}, {"id": "L2"}]}])), 201)

    def ret(self, body, status=201):
        return self.ok(self.relay.post("/returns/requests", body), status)

    def act(self, rid, action, body=None, status=200):
        return self.ok(self.relay.post("/returns/requests/%s/%s" % (rid, action), body or {}), status)

    def get(self, rid, status=200, **kw):
        return self.ok(self.relay.get("/returns/requests/" + rid, **kw), status)

    def logs(self, ref):
        return self.relay.get("/orders/%s/change-logs?key=partner_order_reference" % ref).json

    def webhooks(self, rid, n, timeout=20):
        deadline = time.time() + timeout
        while True:
            got = [e for e in self.receiver.log("/ret")
                   if json.loads(e["body"])["data"]["newImage"]["return_request_id"] == rid]
            if len(got) >= n or time.time() > deadline:
                for e in got:
                    self.assertTrue(e["verified"], e)
                return [json.loads(e["body"]) for e in got]
            time.sleep(0.05)

    def carrier(self, tracking, code):
        r = self.relay.post("/hooks/acme/cc", raw=json.dumps({
            "tracking_number": tracking, "carriyo_status_code": code,
            "status_update_date": "2026-11-2%dT10:00:00Z" % {"return_in_transit": 1, "returned": 2,
                                                              "return_confirmed": 3}.get(code, 0)}).encode(),
            auth=False, headers={"api-key": CC_TOKEN})
        return self.ok(r)

    def test_the_life_of_a_return(self):
        ref = "PO-RET-1"
        self.create_order(ref)
        r = self.ret({"partner_order_reference": ref, "items": [{"sku": "MUG-RED", "quantity": 1,
                                                                  "reason_code": "DAMAGED"}],
                      "pickup": {"contact_name": "Ada Lovelace", "address1": "1 Street", "city": "Dubai",
                                 "country": "AE"},
                      "customer_comment": "the handle broke", "email_or_phone": "ada@example.com",
                      "refund_method": "ORIGINAL_PAYMENT"})
        rid = r["return_request_id"]
        self.assertEqual((r["status"], r["merchant"], r["items"][0]["line_item_id"]), ("pending", "ACCOUNT", "L1"))
        self.assertIsNotNone(r["order_id"])
        self.assertEqual(self.get(rid), r)
        self.get(rid, status=404, tenant="beta")
        self.assertEqual(self.relay.get("/returns/requests/%s?merchant=OTHER" % rid).status, 404)
        # scoped to the order: its lines, at most what is left to return
        err = self.ret({"partner_order_reference": ref, "items": [{"sku": "MUG-RED", "quantity": 2}]}, 409)
        self.assertIn("1 unit left", err["error"]["message"])
        self.assertIn("returnable:", err["error"]["message"])
        err = self.ret({"partner_order_reference": ref, "items": [{"sku": "NOT-SOLD", "quantity": 1}]}, 409)
        self.assertIn("MUG-RED (line L1) 1", err["error"]["message"])
        # PATCH while pending
        r = self.ok(self.relay.request("PATCH", "/returns/requests/" + rid,
                                       {"items": [{"sku": "MUG-RED", "quantity": 2, "reason_code": "DAMAGED"}],
                                        "customer_comment": "both handles broke"}))
        self.assertEqual((r["items"][0]["quantity"], r["customer_comment"]), (2, "both handles broke"))
        self.assertEqual(self.relay.request("PATCH", "/returns/requests/" + rid,
                                            {"partner_order_reference": "PO-OTHER"}).status, 400)
        err = self.ok(self.relay.request("PATCH", "/returns/requests/" + rid,
                                         {"items": [{"sku": "MUG-RED", "quantity": 3}]}), 409)
        self.assertIn("2 units left", err["error"]["message"])
        # refusals before approval name the calls that work
        self.assertIn("/approve", self.act(rid, "complete", status=409)["error"]["message"])
        # approve, with the REVERSE shipment the carrier will report on
        r = self.act(rid, "approve", {"items": [{"sku": "MUG-RED", "approved_quantity": 2}],
                                      "shipments": [{"tracking_no": "RTRK-1", "carrier": "ARAMEX"}],
                                      "note": "approved by support"})
        self.assertEqual((r["status"], r["items"][0]["approved_quantity"]), ("approved", 2))
        self.assertEqual(r["shipments"][0]["tracking_no"], "RTRK-1")
        self.assertEqual(r["items"][0]["reverse_shipment_ids"], ["RTRK-1"])
        self.assertIsNotNone(r["approval_date"])
        self.assertEqual(self.act(rid, "approve")["update_date"], r["update_date"])  # a repeat
        err = self.ok(self.relay.request("PATCH", "/returns/requests/" + rid, {"customer_comment": "x"}), 409)
        self.assertIn("/cancel", err["error"]["message"])
        self.assertIn("/cancel", self.act(rid, "reject", status=409)["error"]["message"])
        # tracked through the carrier's own feed and shipment-status-update
        self.assertEqual(self.carrier("RTRK-1", "ready_for_return")["applied"], 1)
        o = self.ok(self.relay.post(SSU, {"references": {"partner_order_reference": ref},
                                          "post_shipping_info": {"status": "return_in_transit",
                                                                 "tracking_no": "RTRK-1",
                                                                 "status_date": "2026-11-21T10:00:00Z"}}))
        self.assertEqual(o["partner_order_reference"], ref)  # the order, as Carriyo answers
        self.assertEqual(o["shipments"], [])  # the return's shipment is not the order's
        self.assertEqual(self.get(rid)["shipments"][0]["status"], "return_in_transit")
        self.assertIn("/complete", self.act(rid, "cancel", status=409)["error"]["message"])
        self.assertEqual(self.carrier("RTRK-1", "returned")["applied"], 1)
        r = self.get(rid)
        self.assertEqual((r["items"][0]["returned_quantity"], r["items"][0]["received_quantity"]), (2, 0))
        self.assertEqual(self.carrier("RTRK-1", "return_confirmed")["applied"], 1)
        self.assertEqual(self.carrier("RTRK-1", "return_confirmed")["duplicates"], 1)
        self.assertEqual(self.get(rid)["items"][0]["received_quantity"], 2)
        r = self.act(rid, "complete", {"items": [{"sku": "MUG-RED", "received_quantity": 2, "condition": "DAMAGED",
                                                  "resolution": "REFUND"}],
                                       "refund_info": {"amount": 80, "currency": "AED"}})
        self.assertEqual((r["status"], r["items"][0]["resolution"], r["refund_info"]["amount"]),
                         ("completed", "REFUND", 80))
        self.act(rid, "complete")  # a repeat
        self.assertIn("new request", self.act(rid, "cancel", status=409)["error"]["message"])
        # the order's change log tells the story; the order itself is untouched
        kinds = [l["change_type"] for l in self.logs(ref) if l["entity_type"] in ("return_request", "return_shipment")]
        for k in ("RETURN_REQUESTED", "RETURN_UPDATED", "RETURN_APPROVED", "RETURN_SHIPMENT_ADDED", "RETURN_COMPLETED",
                  "OPERATION_REFUSED"):
            self.assertIn(k, kinds)
        moves = [l["new_value"] for l in self.logs(ref)
                 if l["entity_type"] == "return_shipment" and l["change_type"] == "STATUS_CHANGE"]
        self.assertEqual(moves, ["ready_for_return", "return_in_transit", "returned", "return_confirmed"])
        # webhooks: Carriyo's triggers, signed, one per change
        # created, patched, approved, four shipment moves, completed
        hooks = self.webhooks(rid, 8)
        triggers = [h["trigger"] for h in hooks]
        self.assertEqual(len(hooks), 8)
        self.assertEqual(triggers.count("return_received_update"), 2)
        self.assertEqual(triggers[0], "return_status_update")
        self.assertIsNone(hooks[0]["data"]["oldImage"])
        self.assertEqual(hooks[-1]["data"]["newImage"]["status"], "completed")
        deadline = time.time() + 20
        while time.time() < deadline and len([e for e in self.carriyo.events
                                              if e["new"].get("return_request_id") == rid]) < 8:
            time.sleep(0.05)
        mine = [e for e in self.carriyo.events if e["new"].get("return_request_id") == rid]
        self.assertEqual(mine[0]["operation"], "INSERT")
        self.assertEqual({e["trigger"] for e in mine}, {"return_status_update", "return_received_update"})
        self.assertEqual(self.carriyo.refused, [])
        # the list
        listed = self.ok(self.relay.get("/returns/requests?partner_order_reference=" + ref))["data"]
        self.assertEqual([x["return_request_id"] for x in listed], [rid])
        self.assertIn(rid, [x["return_request_id"] for x in
                            self.ok(self.relay.get("/returns/requests?status=completed"))["data"]])
        self.assertEqual(self.relay.get("/returns/requests?status=lost").status, 400)

    def test_bad_requests(self):
        base = {"partner_order_reference": "PO-RET-BAD", "items": [{"sku": "A", "quantity": 1}]}
        for body, word in [({"items": base["items"]}, "partner_order_reference"),
                           ({"partner_order_reference": "X"}, "items"),
                           (dict(base, items=[{"sku": "A"}]), "quantity"),
                           (dict(base, items=[{"sku": "A", "quantity": 1}, {"sku": "A", "quantity": 2}]), "twice"),
                           (dict(base, pickup="street"), "pickup"),
                           (dict(base, items=[{"sku": "A", "quantity": 0}]), "quantity")]:
            err = self.ret(body, 400)
            self.assertIn(word, err["error"]["message"])
        self.act("ret_nope", "approve", status=404)
        self.assertEqual(self.relay.request("PATCH", "/returns/requests/ret_nope", {}).status, 404)

    def test_accepted_before_the_order_then_linked(self):
        ref = "PO-RET-LATER"
        r = self.ret({"partner_order_reference": ref, "merchant": "ACCOUNT",
                      "items": [{"sku": "TEA-GREEN", "quantity": 1}]})
        rid = r["return_request_id"]
        self.assertIsNone(r["order_id"])
        self.assertIsNone(r["items"][0]["line_item_id"])
        o = self.create_order(ref)
        r = self.get(rid)
        self.assertEqual((r["order_id"], r["items"][0]["line_item_id"]), (o["order_id"], "L2"))
        linked = [l for l in self.logs(ref) if l["change_type"] == "RETURN_LINKED"]
        self.assertEqual([l["entity_id"] for l in linked], [rid])
        # rejection, and what a rejected request allows
        r = self.act(rid, "reject", {"reason": "outside the return window"})
        self.assertEqual((r["status"], r["rejection_reason"]), ("rejected", "outside the return window"))
        self.act(rid, "reject")  # a repeat
        self.assertIn("new request", self.act(rid, "approve", status=409)["error"]["message"])
        # a rejected request frees its units for a new one
        self.ret({"partner_order_reference": ref, "items": [{"sku": "TEA-GREEN", "quantity": 1}]})

    def test_reverse_shipments_from_the_shipment_payload_and_parked_events(self):
        ref = "PO-RET-REV"
        self.create_order(ref)
        rid = self.ret({"partner_order_reference": ref, "items": [{"sku": "MUG-RED", "quantity": 1}]})[
            "return_request_id"]
        # a carrier's event for a return label nobody has registered yet waits (parked)
        self.assertEqual(self.carrier("RTRK-EARLY", "ready_for_return")["parked"], 1)
        r = self.act(rid, "approve", {"shipments": [{"tracking_no": "RTRK-EARLY"}]})
        self.assertEqual(r["shipments"][0]["status"], "ready_for_return")
        # a REVERSE Carriyo shipment for the order joins its approved request
        self.ok(self.relay.post(SSU, {"entity_type": "REVERSE",
                                      "references": {"partner_order_reference": ref,
                                                     "partner_shipment_reference": "RS-2"},
                                      "post_shipping_info": {"status": "return_in_transit"}}))
        r = self.get(rid)
        self.assertEqual([(s["partner_shipment_reference"], s["status"]) for s in r["shipments"]],
                         [(None, "ready_for_return"), ("RS-2", "return_in_transit")])
        # the order's own shipments are untouched
        o = self.relay.get("/orders/%s?key=partner_order_reference" % ref).json
        self.assertEqual(o["shipments"], [])
        # cancel: while approved and nothing on its way back... RS-2 is: refused, naming complete
        self.assertIn("complete", self.act(rid, "cancel", status=409)["error"]["message"])

    def test_cancel_and_unheld_scope(self):
        rid = self.ret({"partner_order_reference": "PO-RET-NONE", "items": [{"sku": "X", "quantity": 5}]})[
            "return_request_id"]
        r = self.act(rid, "cancel", {"reason": "customer kept it"})
        self.assertEqual((r["status"], r["notes"][-1]["text"]), ("cancelled", "customer kept it"))
        self.act(rid, "cancel")  # a repeat
        self.assertIn("new request", self.act(rid, "complete", status=409)["error"]["message"])


@unittest.skipUnless(harness.POSTGRESQL, "a fleet needs PostgreSQL")
class ReturnsFleetTest(unittest.TestCase):
    def test_a_request_and_its_order_at_once_on_two_nodes_are_linked(self):
        """Neither node sees the other's uncommitted row: without the lock on
        the reference both commit, and the request is never linked."""
        db, s3 = Database(), S3Server()  # two nodes: bodies in S3
        a = Relay(extra=s3_section(s3.port), database=db, node_id="n1").start()
        b = Relay(extra=s3_section(s3.port), database=db, node_id="n2").start()
        try:
            for i in range(30):
                ref, res = "PO-RACE-%d" % i, {}
                body = {"partner_order_reference": ref, "items": [{"sku": "SKU-B", "quantity": 1}]}
                ts = [threading.Thread(target=lambda: res.update(r=a.post("/returns/requests", body))),
                      threading.Thread(target=lambda: res.update(o=b.post("/orders", order_body(ref))))]
                for t in ts:
                    t.start()
                for t in ts:
                    t.join()
                self.assertEqual((res["r"].status, res["o"].status), (201, 201), res)
                got = a.get("/returns/requests/" + res["r"].json["return_request_id"]).json
                self.assertEqual(got.get("order_id"), res["o"].json["order_id"], ref)
        finally:
            a.close()
            b.close()
            db.drop()
            s3.stop()
            shutil.rmtree(s3.dir, ignore_errors=True)
            db.drop()


if __name__ == "__main__":
    unittest.main()
