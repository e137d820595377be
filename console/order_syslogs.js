// order_syslogs: an order's system log (GET /orders/{ref}/system-logs),
// oldest first, paged. "Details" reads one entry
// (GET …/system-logs/{identifier}): its headers, and its request and
// response bodies through the expiring download links the API returns,
// shown here as text when the link is the relay's own, and downloadable.
import * as api from "./api.js";
import {badge, facts, fmtTime, h, note, show, table} from "./dom.js";

function headerList(headers) {
  const entries = Object.entries(headers || {});
  if (!entries.length) return "—";
  return h("ul", {class: "headers"}, entries.map(([k, v]) => h("li", null, h("code", null, k), ": ", show(v))));
}

function bodyPart(label, url, part) {
  if (!url) return h("div", {class: "body-part"}, h("h4", null, label), note("No body."));
  const out = h("pre", {class: "body", "data-part": part, hidden: true});
  const view = h("button", {type: "button", class: "view-body", "data-part": part}, "Show");
  view.addEventListener("click", async () => {
    view.disabled = true;
    try {
      out.textContent = await api.fetchBody(url);
    } catch (e) {
      out.textContent = e.message;
    }
    out.hidden = false;
  });
  return h("div", {class: "body-part"},
    h("h4", null, label, " ",
      view, " ",
      h("a", {href: url, download: part, rel: "noopener noreferrer", class: "download-body", "data-part": part,
        target: new URL(url, location.href).origin === location.origin ? null : "_blank"}, "Download")),
    out);
}

async function details(ref, entry, into) {
  const e = await api.get(ref + "/system-logs/" + api.seg(entry.identifier) + api.qs({key: "order_id"}));
  into.replaceChildren(h("div", {class: "syslog-details", "data-identifier": e.identifier},
    facts([["Identifier", h("code", null, e.identifier)], ["Correlation id", e.correlation_id],
      ["Source", [e.source_type, e.source_id].filter(Boolean).join(" ")], ["URL", e.request_url],
      ["Requested", fmtTime(e.request_time)], ["Answered", fmtTime(e.response_time)],
      ["Timings", e.duration], ["Bodies", e.bodies], ["Links expire", fmtTime(e.expires_at)]]),
    h("div", {class: "two"},
      h("div", null, h("h4", null, "Request headers"), headerList(e.request_headers)),
      h("div", null, h("h4", null, "Response headers"), headerList(e.response_headers))),
    h("div", {class: "two"},
      bodyPart("Request body", e.request_body_url, "request"),
      bodyPart("Response body", e.response_body_url, "response"))));
}

export async function systemLogs(ref, after) {
  const page = await api.get(ref + "/system-logs" + api.qs({key: "order_id", limit: 50, after}));
  const box = h("div", {id: "system-logs"});
  const panel = h("div", {class: "syslog-panel"});
  const columns = [
    {title: "Time", cell: (e) => fmtTime(e.request_time)},
    {title: "Kind", cell: (e) => show(e.event_type)},
    {title: "Request", cell: (e) => show(e.request_type)},
    {title: "Source", cell: (e) => [show(e.source_type), " ", show(e.source_id)]},
    {title: "Call", cell: (e) => [show(e.request_method), " ", h("code", null, show(e.request_url))]},
    {title: "Status", cell: (e) => badge(e.response_code)},
    {title: "", cell: (e) => h("button", {type: "button", class: "syslog-open", "data-identifier": e.identifier,
      onclick: () => details(ref, e, panel).catch((err) => panel.replaceChildren(note(err.message, "error")))},
    "Details")},
  ];
  box.append(page.data.length ? table(columns, page.data, {id: "syslog-table"}) : note("No exchanges recorded."));
  if (page.next_after !== null) {
    const more = h("button", {type: "button", id: "syslog-more"}, "Later entries");
    more.addEventListener("click", async () => box.replaceWith(await systemLogs(ref, page.next_after)));
    box.append(more);
  }
  box.append(panel);
  return box;
}
