// view_orders: the tenant's orders (GET /orders), filtered by status,
// sub-status, merchant and creation date, newest first, paged with
// next_after; or one order found by its reference (or order id).
import * as api from "./api.js";
import {badge, fmtTime, h, note, section, show, table} from "./dom.js";

const STATUSES = ["open", "partially_allocated", "allocated", "processing", "fulfilled", "closed", "cancelled"];
const FILTERS = ["status", "sub_status", "merchant", "from", "to", "order"];

function customerName(o) {
  const c = o.customer || {};
  return c.name || c.contact_name || c.email || null;
}

function form(query) {
  const input = (name, label, attrs) =>
    h("label", null, h("span", null, label), h("input", {name, id: "f-" + name, value: query.get(name) || "", ...attrs}));
  const status = h("select", {name: "status", id: "f-status"}, h("option", {value: ""}, "any"),
    STATUSES.map((s) => h("option", {value: s, selected: query.get("status") === s}, s)));
  const f = h("form", {class: "filters", id: "order-search", method: "post"},
    input("reference", "Reference", {placeholder: "partner_order_reference or order_id", size: 28}),
    h("label", null, h("span", null, "Status"), status),
    input("sub_status", "Sub-status", {size: 14}),
    input("merchant", "Merchant", {size: 12}),
    input("from", "Created from", {type: "date"}),
    input("to", "Created to", {type: "date"}),
    h("label", {class: "check"}, h("input", {type: "checkbox", name: "order", id: "f-oldest",
      checked: query.get("order") === "oldest"}), h("span", null, "oldest first")),
    h("button", {type: "submit"}, "Search"));
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const d = new FormData(f);
    const ref = String(d.get("reference") || "").trim();
    if (ref) {
      findReference(ref, f).catch((e) => f.append(note(e.message, "error")));
      return;
    }
    const q = {};
    for (const k of FILTERS) if (d.get(k)) q[k] = k === "order" ? "oldest" : String(d.get(k)).trim();
    location.hash = "#/orders" + api.qs(q);
  });
  return f;
}

// A reference is a partner_order_reference, else an order id.
async function findReference(ref, f) {
  for (const key of ["partner_order_reference", "order_id"]) {
    try {
      const o = await api.get("/orders/" + api.seg(ref) + api.qs({key}));
      location.hash = "#/order/" + api.seg(o.order_id);
      return;
    } catch (e) {
      if (e.status !== 404) throw e;
    }
  }
  f.querySelector(".search-miss")?.remove();
  f.append(h("p", {class: "note note-error search-miss", role: "alert"}, "No order has the reference or id “" + ref + "”."));
}

export async function render(arg, query) {
  const params = {
    limit: 25,
    status: query.get("status"),
    sub_status: query.get("sub_status"),
    merchant: query.get("merchant"),
    creation_date_from: query.get("from") ? query.get("from") + "T00:00:00Z" : null,
    creation_date_to: query.get("to") ? query.get("to") + "T23:59:59.999Z" : null,
    sort_order: query.get("order") === "oldest" ? "ASC" : "DESC",
    after: query.get("after"),
  };
  const page = await api.get("/orders" + api.qs(params));
  const rows = page.data;
  const columns = [
    {title: "Reference", cell: (o) => h("a", {href: "#/order/" + api.seg(o.order_id), class: "order-link"},
      show(o.partner_order_reference))},
    {title: "Order id", cell: (o) => h("code", null, o.order_id)},
    {title: "Merchant", cell: (o) => show(o.merchant)},
    {title: "Status", cell: (o) => badge(o.status)},
    {title: "Sub-status", cell: (o) => show(o.sub_status)},
    {title: "Customer", cell: (o) => show(customerName(o))},
    {title: "Created", cell: (o) => fmtTime(o.creation_date)},
    {title: "Updated", cell: (o) => fmtTime(o.update_date)},
  ];
  const keep = {};
  for (const k of FILTERS) if (query.get(k)) keep[k] = query.get(k);
  const pager = h("div", {class: "pager"},
    query.get("after") ? h("a", {href: "#/orders" + api.qs(keep), id: "first-page"}, "← First page") : null,
    page.next_after !== null
      ? h("a", {href: "#/orders" + api.qs({...keep, after: page.next_after}), id: "next-page"}, "Next page →") : null);
  return section("Orders", form(query),
    rows.length ? table(columns, rows, {id: "orders-table"}) : note("No orders match."), pager);
}
