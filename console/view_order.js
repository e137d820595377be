// view_order: one order. Its status, line items, fulfillment orders,
// shipments with their status timelines, the change log, and the system
// log: each exchange's details, with its request and response bodies
// opened through the download links the API hands out.
import * as api from "./api.js";
import {badge, facts, fmtTime, h, note, section, show, table} from "./dom.js";
import {systemLogs} from "./order_syslogs.js";

function customer(o) {
  const c = o.customer || {};
  return [c.name || c.contact_name, c.email, c.phone].filter(Boolean).join(" · ") || null;
}

function lines(o) {
  return table([
    {title: "Line", cell: (l) => show(l.id || l.line_item_id)},
    {title: "SKU", cell: (l) => show(l.sku)},
    {title: "Quantity", cell: (l) => show(l.quantity)},
    {title: "Status", cell: (l) => badge(l.status)},
    {title: "Removed", cell: (l) => show(l.removed_quantities)},
  ], o.line_items || [], {id: "line-items"});
}

function fulfillmentOrders(o) {
  const fos = o.fulfillment_orders || [];
  if (!fos.length) return note("No fulfillment orders.");
  return table([
    {title: "Fulfillment order", cell: (f) => show(f.fulfillment_order_id)},
    {title: "Partner reference", cell: (f) => show(f.partner_fulfillment_order_reference)},
    {title: "Location", cell: (f) => show(f.location_id)},
    {title: "Method", cell: (f) => show(f.delivery_method)},
    {title: "Status", cell: (f) => badge(f.status)},
    {title: "Lines", cell: (f) => (f.line_items || []).map((l) =>
      h("div", null, show(l.id || l.line_item_id), " × ", show(l.quantity), " ", badge(l.status)))},
    {title: "Warehouse events", cell: (f) => (f.events || []).length ? h("ol", {class: "events"}, f.events.map((e) =>
      h("li", null, h("span", {class: "when"}, fmtTime(e.event_time)), " ", h("strong", null, show(e.type)), " ",
        show(e.level), e.message ? h("div", {class: "sub"}, e.message) : null))) : "—"},
  ], fos, {id: "fulfillment-orders"});
}

// One shipment: what it is, then its statuses oldest first, as a timeline.
function shipment(s) {
  const history = s.status_history || [];
  const entry = (e) => h("li", {class: e.applied === false ? "not-applied" : null},
    h("span", {class: "when"}, fmtTime(e.event_date || e.received_date)), " ",
    badge(e.status), " ",
    h("span", {class: "raw"}, [e.raw_status, e.raw_substatus].filter(Boolean).join(" / ")),
    e.reason_code ? h("span", {class: "raw"}, " reason " + e.reason_code) : null,
    e.description ? h("span", {class: "desc"}, " " + show(e.description)) : null,
    e.location ? h("span", {class: "raw"}, " at " + show(e.location)) : null,
    e.applied === false ? h("span", {class: "flag"}, " history only") : null,
    e.known === false ? h("span", {class: "flag"}, " unknown status") : null,
    e.source ? h("span", {class: "raw"}, " via " + e.source) : null);
  return h("div", {class: "shipment"},
    h("h3", null, show(s.partner_shipment_reference || s.tracking_no || s.shipment_id), " ", badge(s.status)),
    facts([["Tracking", s.tracking_no], ["Carrier", s.carrier], ["Fulfillment order", s.fulfillment_order_id],
      ["Lines", (s.line_items || []).map((l) => l.line_item_id || l.id).join(", ")], ["Linked by", s.link_source]]),
    history.length ? h("ol", {class: "timeline"}, history.map(entry)) : note("No status yet."));
}

function changeLog(entries) {
  if (!entries.length) return note("No changes recorded.");
  return table([
    {title: "When", cell: (c) => fmtTime(c.log_date)},
    {title: "Change", cell: (c) => show(c.change_type)},
    {title: "Source", cell: (c) => show(c.source)},
    {title: "Entity", cell: (c) => [show(c.entity_type), " ", show(c.entity_id)]},
    {title: "Field", cell: (c) => show(c.field)},
    {title: "Old → new", cell: (c) => [show(c.old_value), " → ", show(c.new_value)]},
  ], entries, {id: "change-log"});
}

export async function render(id) {
  const ref = "/orders/" + api.seg(id);
  const key = api.qs({key: "order_id"});
  const [o, changes] = await Promise.all([api.get(ref + key), api.get(ref + "/change-logs" + api.qs({key: "order_id", envelope: "array"}))]);
  const shipments = o.shipments || [];
  return h("div", {class: "order"},
    h("h1", null, "Order ", h("span", {id: "order-reference"}, show(o.partner_order_reference)), " ",
      h("span", {id: "order-status"}, badge(o.status)), o.sub_status ? [" ", badge(o.sub_status)] : null),
    section("Summary", facts([
      ["Order id", h("code", null, o.order_id)], ["Merchant", o.merchant], ["Customer", customer(o)],
      ["Created", fmtTime(o.creation_date)], ["Updated", fmtTime(o.update_date)],
      ["Source", o.creation_source && o.creation_source.source_type], ["Cancellation", o.cancellation_reason],
      ["Allocation failed", o.auto_allocation_failed ? "yes" : null]])),
    section("Line items", lines(o)),
    section("Fulfillment orders", fulfillmentOrders(o)),
    section("Shipments", shipments.length ? h("div", {id: "shipments"}, shipments.map(shipment)) : note("No shipments.")),
    section("Change log", changeLog(Array.isArray(changes) ? changes : changes.change_logs || [])),
    section("System log", await systemLogs(ref)));
}
