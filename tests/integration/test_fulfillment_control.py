"""Fulfillment control (seed 002) end to end: hold, resume and
request-fulfillment from the API and from warehouse events, the blocking
INTEGRATION_ERROR, the visible rejected state with its reason in
error_details, ERROR-level events in error_details and in the webhook
(verified with the standardwebhooks library), and unknown types and levels
taken as informational. Every refusal names a call that is allowed."""
import json
import time
import unittest

from carriyo import carriyo_order
from relay import Relay
from webhooks import Receiver

WMS_TOKEN = "wms-token-0123456789"


class FulfillmentControlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        cls.relay = Relay(extra="[webhooks]\nallow_private = 127.0.0.0/8\n"
                                '[source "acme/wh"]\nadapter = wms\ntoken = %s\n' % WMS_TOKEN).start()
        ep = cls.relay.post("/webhooks/endpoints", {"url": cls.receiver.url("/fc")}).json
        cls.receiver.configure("/fc", "ok", [ep["secret"]])

    @classmethod
    def tearDownClass(cls):
        try:
            cls.relay.close()
        finally:
            cls.receiver.close()

    def create(self, ref):
        r = self.relay.post("/orders", carriyo_order(ref, fulfillment_orders=[
            {"fulfillment_order_id": "FO-A", "location_id": "WH-1", "line_items": [{"id": "L1"}, {"id": "L2"}]},
        ]))
        self.assertEqual(r.status, 201, r)
        return r.json

    def op(self, ref, fo, op, body=None, status=200):
        r = self.relay.post("/orders/%s/fulfillment-orders/%s/%s?key=partner_order_reference" % (ref, fo, op),
                            body if body is not None else {})
        self.assertEqual(r.status, status, r)
        return r.json

    def event(self, ref, type_, eid, fo="FO-A", **extra):
        body = dict({"partner_order_reference": ref, "fulfillment_order_id": fo, "type": type_, "event_id": eid,
                     "date": "2026-11-20T10:00:00Z"}, **extra)
        r = self.relay.post("/hooks/acme/wh", raw=json.dumps(body).encode(), auth=False,
                            headers={"x-api-key": WMS_TOKEN, "Content-Type": "application/json"})
        self.assertEqual(r.status, 200, r)
        return r.json

    def order(self, ref):
        return self.relay.get("/orders/%s?key=partner_order_reference" % ref).json

    def fo(self, ref):
        return self.order(ref)["fulfillment_orders"][0]

    def deliveries(self, ref, trigger, count=1, timeout=20):
        deadline = time.time() + timeout
        while True:
            got = [e for e in self.receiver.log("/fc") if json.loads(e["body"])["trigger"] == trigger and
                   json.loads(e["body"])["data"]["newImage"]["partner_order_reference"] == ref]
            if len(got) >= count or time.time() > deadline:
                for g in got:
                    self.assertTrue(g["verified"], g)
                return [json.loads(g["body"]) for g in got]
            time.sleep(0.05)

    def test_hold_and_resume_from_the_api_and_the_warehouse(self):
        ref = "PO-FC-HOLD"
        self.create(ref)
        o = self.op(ref, "FO-A", "hold", {"reason": "customer asked to change the address"})
        fo = o["fulfillment_orders"][0]
        self.assertTrue(fo["on_hold"])
        self.assertEqual((fo["hold"]["reason"], fo["hold"]["source"]), ("customer asked to change the address", "API"))
        self.assertEqual((fo["events"][-1]["type"], fo["events"][-1]["source"]), ("HOLDED", "API"))
        # a repeat changes nothing; a hold needs a reason
        again = self.op(ref, "FO-A", "hold", {"reason": "again"})
        self.assertEqual(again["fulfillment_orders"][0]["hold"]["reason"], "customer asked to change the address")
        err = self.op(ref, "FO-A", "hold", {}, status=400)
        self.assertIn("reason", err["error"]["message"])
        self.op(ref, "FO-NOPE", "hold", {"reason": "x"}, status=404)
        # held: fulfil is refused (naming resume), the warehouse's events move nothing
        err = self.op(ref, "FO-A", "fulfill", {"line_items": [{"id": "L1"}]}, status=409)
        self.assertIn("/fulfillment-orders/FO-A/resume", err["error"]["message"])
        self.assertEqual(self.event(ref, "PACKED", "h1")["history_only"], 1)
        self.assertEqual(self.order(ref)["line_items"][0]["status"], "allocated")
        # but the address may change meanwhile (the point of holding)
        self.relay.request("PATCH", "/orders/%s/fulfillment-orders/FO-A/update-address?key=partner_order_reference" % ref,
                           {"address": {"city": "Abu Dhabi", "country": "AE"}})
        o = self.op(ref, "FO-A", "resume", {"reason": "address updated"})
        self.assertFalse(o["fulfillment_orders"][0]["on_hold"])
        self.assertIsNone(o["fulfillment_orders"][0]["hold"])
        self.op(ref, "FO-A", "resume", {})  # a repeat: 200, nothing changes
        # the warehouse's own HOLDED / RESUMED do the same
        self.event(ref, "HOLDED", "h2", message="carrier strike")
        fo = self.fo(ref)
        self.assertTrue(fo["on_hold"])
        self.assertEqual((fo["hold"]["reason"], fo["hold"]["source"]), ("carrier strike", "WAREHOUSE"))
        err = self.op(ref, "FO-A", "ship", {"line_items": [{"id": "L1"}]}, status=409)
        self.assertIn("/resume", err["error"]["message"])
        self.event(ref, "RESUMED", "h3")
        self.assertFalse(self.fo(ref)["on_hold"])
        self.assertEqual(self.event(ref, "PACKED", "h4")["applied"], 1)
        self.assertEqual(self.order(ref)["line_items"][0]["status"], "pack_in_progress")
        # webhooks: shiprelay's triggers, signed, once per hold and resume
        holds = self.deliveries(ref, "FULFILLMENT_ORDER_HOLD", 2)
        self.assertEqual([h["type"] for h in holds], ["order.fulfillment_order_held"] * 2)
        self.assertEqual(len(self.deliveries(ref, "FULFILLMENT_ORDER_RESUME", 2)), 2)
        # refusals are on the change log, each naming what is allowed
        logs = self.relay.get("/orders/%s/change-logs?key=partner_order_reference" % ref).json
        refused = [l for l in logs if l["change_type"] == "OPERATION_REFUSED"]
        self.assertEqual({l["field"] for l in refused}, {"fulfill", "ship"})

    def test_integration_error_blocks_until_requested_again(self):
        ref = "PO-FC-INT"
        self.create(ref)
        o = self.op(ref, "FO-A", "request-fulfillment", {})
        self.assertEqual(o["fulfillment_orders"][0]["fulfillment_state"], "requested")
        self.op(ref, "FO-A", "request-fulfillment", {})  # a repeat
        self.event(ref, "INTEGRATION_ERROR", "i1", message="SKU MUG-RED unknown to the WMS")
        o = self.order(ref)
        self.assertEqual(o["fulfillment_orders"][0]["fulfillment_state"], "integration_error")
        self.assertEqual([(d["code"], d["message"], d["fulfillment_order_id"]) for d in o["error_details"]],
                         [("INTEGRATION_ERROR", "SKU MUG-RED unknown to the WMS", "FO-A")])
        # later events are recorded but move nothing
        r = self.event(ref, "FULFILLMENT_IN_PROGRESS", "i2")
        self.assertEqual((r["applied"], r["history_only"]), (0, 1))
        fo = self.fo(ref)
        self.assertEqual(fo["line_items"][0]["status"], "allocated")
        self.assertTrue(fo["events"][-1]["blocked"])
        # requested again (the API): the error is answered and events move it again
        o = self.op(ref, "FO-A", "request-fulfillment", {"reason": "SKU mapped"})
        self.assertEqual(o["fulfillment_orders"][0]["fulfillment_state"], "requested")
        self.assertEqual(o["error_details"], [])
        self.assertEqual(o["fulfillment_orders"][0]["events"][-1]["type"], "FULFILLMENT_REQUESTED")
        self.assertEqual(self.event(ref, "FULFILLMENT_IN_PROGRESS", "i3")["applied"], 1)
        o = self.order(ref)
        self.assertEqual((o["line_items"][0]["status"], o["fulfillment_orders"][0]["fulfillment_state"]),
                         ("pick_in_progress", "accepted"))
        # accepted: a new request is refused, naming hold
        err = self.op(ref, "FO-A", "request-fulfillment", {}, status=409)
        self.assertIn("/fulfillment-orders/FO-A/hold", err["error"]["message"])
        # the webhook of the error says its level; the request fires its own trigger
        errors = [d for d in self.deliveries(ref, "FULFILLMENT_ORDER_EVENT", 3) if d.get("level") == "ERROR"]
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0]["type"], "order.fulfillment_event")
        self.assertEqual(errors[0]["data"]["newImage"]["error_details"][0]["code"], "INTEGRATION_ERROR")
        self.assertEqual(len(self.deliveries(ref, "FULFILLMENT_ORDER_REQUEST_FULFILLMENT", 2)), 2)

    def test_rejected_error_levels_and_unknowns(self):
        ref = "PO-FC-REJ"
        self.create(ref)
        self.event(ref, "FULFILLMENT_REJECTED", "r1", message="no stock of TEA-GREEN")
        o = self.order(ref)
        self.assertEqual(o["fulfillment_orders"][0]["fulfillment_state"], "rejected")
        self.assertEqual([(d["code"], d["level"], d["message"]) for d in o["error_details"]],
                         [("FULFILLMENT_REJECTED", "ERROR", "no stock of TEA-GREEN")])
        # an ERROR-level event of any type adds to error_details; WARNING does not
        self.event(ref, "INSUFFICIENT_STOCK", "r2", level="ERROR", message="L2 short")
        self.event(ref, "INSUFFICIENT_STOCK", "r3", message="L1 low")
        self.assertEqual([d["code"] for d in self.order(ref)["error_details"]],
                         ["FULFILLMENT_REJECTED", "INSUFFICIENT_STOCK"])
        levels = sorted(d["level"] for d in self.deliveries(ref, "FULFILLMENT_ORDER_EVENT", 3))
        self.assertEqual(levels, ["ERROR", "ERROR", "WARNING"])
        # unknown type and unknown level: 200, recorded as informational, nothing moved
        r = self.event(ref, "TELEPORTED", "r4", level="ERROR")
        self.assertEqual((r["received"], r["history_only"]), (1, 1))
        trail = self.fo(ref)["events"]
        self.assertEqual((trail[-1]["type"], trail[-1]["known"], trail[-1]["applied"]), ("TELEPORTED", False, False))
        # re-requesting answers the rejection (the other errors stay)
        o = self.op(ref, "FO-A", "request-fulfillment", {})
        self.assertEqual([d["code"] for d in o["error_details"]], ["INSUFFICIENT_STOCK", "TELEPORTED"])
        r = self.event(ref, "PACKED", "r5", level="APOCALYPTIC")
        self.assertEqual(r["applied"], 1)
        trail = self.fo(ref)["events"]
        self.assertEqual((trail[-1]["level"], trail[-1]["raw_level"]), ("NORMAL", "APOCALYPTIC"))
        # a payload without a type is still malformed
        r = self.relay.post("/hooks/acme/wh", raw=json.dumps({"partner_order_reference": ref,
                                                               "fulfillment_order_id": "FO-A"}).encode(),
                            auth=False, headers={"x-api-key": WMS_TOKEN})
        self.assertEqual(r.status, 400)

    def test_refusals_name_what_is_allowed(self):
        ref = "PO-FC-REF"
        self.relay.post("/orders", carriyo_order(ref, fulfillment_orders=[
            {"fulfillment_order_id": "FO-A", "location_id": "WH-1", "line_items": [{"id": "L1"}]},
            {"fulfillment_order_id": "FO-B", "line_items": [{"id": "L2"}]}]))
        err = self.op(ref, "FO-B", "request-fulfillment", {}, status=409)
        self.assertIn("/fulfillment-orders/FO-B/update-location", err["error"]["message"])
        self.op(ref, "FO-A", "hold", {"reason": "check"})
        err = self.op(ref, "FO-A", "request-fulfillment", {}, status=409)
        self.assertIn("/fulfillment-orders/FO-A/resume", err["error"]["message"])
        self.op(ref, "FO-A", "resume", {})
        self.op(ref, "FO-A", "fulfill", {"line_items": [{"id": "L1"}], "pre_booking_info": {}},
                status=200)
        err = self.op(ref, "FO-A", "hold", {"reason": "late"}, status=409)
        self.assertIn("unfulfill", err["error"]["message"])
        err = self.op(ref, "FO-A", "request-fulfillment", {}, status=409)
        self.assertIn("nothing left to fulfil", err["error"]["message"])
        self.assertEqual(self.op(ref, "FO-A", "resume", {"reason": 7}, status=400)["error"]["code"], "invalid_field")


if __name__ == "__main__":
    unittest.main()
