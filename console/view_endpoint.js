// view_endpoint: one webhook endpoint: its settings, a chart of its
// deliveries over the last hour, six hours or day, recovery (resend what
// failed since a time), and its messages with their attempts.
import * as api from "./api.js";
import {deliveryChart} from "./chart.js";
import {badge, facts, fmtTime, h, note, section, show} from "./dom.js";
import {messagesTable} from "./messages.js";

const WINDOWS = [["1 hour", 3600, 60], ["6 hours", 21600, 300], ["24 hours", 86400, 1800]];
const STATUSES = ["pending", "held", "delivered", "dead", "cancelled"];

function recoverForm(ep) {
  const out = h("span", {class: "recover-result", role: "status"});
  const since = h("input", {type: "datetime-local", name: "since", id: "recover-since", required: true});
  const f = h("form", {class: "filters", id: "recover", method: "post"},
    h("label", null, h("span", null, "Resend what failed or is held since (UTC)"), since),
    h("button", {type: "submit"}, "Recover"), out);
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const r = await api.post("/webhooks/endpoints/" + api.seg(ep.id) + "/recover",
        {since: new Date(since.value + "Z").toISOString()});
      out.textContent = r.requeued + " message(s) queued again" + (r.reenabled ? "; the endpoint is enabled" : "");
    } catch (e) {
      out.textContent = e.message;
    }
  });
  return f;
}

export async function render(id, query) {
  const base = "/webhooks/endpoints/" + api.seg(id);
  const [, win, bucket] = WINDOWS.find((x) => String(x[1]) === query.get("window")) || WINDOWS[0];
  const status = STATUSES.includes(query.get("status")) ? query.get("status") : "";
  const [ep, stats, page] = await Promise.all([
    api.get(base),
    api.get(base + "/stats" + api.qs({window: win, bucket})),
    api.get("/webhooks/messages" + api.qs({endpoint_id: id, status, limit: 50, after: query.get("after")})),
  ]);
  const link = (q) => "#/endpoint/" + api.seg(id) + api.qs({window: win, status, ...q});
  const t = stats.totals;
  return h("div", {class: "endpoint"},
    h("h1", null, "Endpoint ", h("span", {id: "endpoint-name"}, show(ep.description || ep.id)), " ",
      badge(ep.enabled ? "enabled" : "disabled")),
    section("Settings", facts([["Id", h("code", null, ep.id)], ["URL", h("code", null, ep.url)],
      ["Events", (ep.event_types || []).join(", ") || "all"], ["Format", ep.payload_format],
      ["Disabled because", ep.disabled_reason], ["Failing since", ep.failing_since && fmtTime(ep.failing_since)],
      ["Concurrency", ep.max_concurrency], ["Rate limit", ep.rate_limit || "none"], ["FIFO per order", ep.fifo ? "yes" : "no"],
      ["Custom headers", Object.keys(ep.headers || {}).join(", ")], ["Created", fmtTime(ep.created_at)]])),
    section("Deliveries",
      h("div", {class: "tabs"}, WINDOWS.map(([label, seconds]) =>
        h("a", {href: link({window: seconds}), class: seconds === win ? "active" : null}, label))),
      h("p", {class: "hint", id: "delivery-totals"}, t.attempts + " attempts: " + t.delivered + " delivered, " + t.failed +
        " failed, " + t.dead + " dead (counted by this relay process since it started)."),
      deliveryChart(stats)),
    section("Recover", recoverForm(ep)),
    section("Messages",
      h("div", {class: "tabs"}, ["", ...STATUSES].map((s) =>
        h("a", {href: link({status: s}), class: s === status ? "active" : null}, s || "all"))),
      messagesTable(page.data, {[ep.id]: ep}, {id: "messages-table"}),
      page.next_after !== null ? h("a", {href: link({after: page.next_after}), id: "messages-next"}, "More →") : null));
}
