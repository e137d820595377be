// view_webhooks: the tenant's webhook endpoints, each with its last 24
// hours of deliveries (GET /webhooks/endpoints/{id}/stats in one bucket):
// attempts, success rate, average latency.
import * as api from "./api.js";
import {badge, fmtMs, fmtPct, h, note, section, show, table} from "./dom.js";

export async function render() {
  const endpoints = (await api.get("/webhooks/endpoints")).data;
  const stats = await Promise.all(endpoints.map((e) =>
    api.get("/webhooks/endpoints/" + api.seg(e.id) + "/stats" + api.qs({window: 86400, bucket: 86400}))
      .then((s) => s.totals, () => null)));
  const rows = endpoints.map((e, i) => ({...e, day: stats[i]}));
  const columns = [
    {title: "Endpoint", cell: (e) => [h("a", {href: "#/endpoint/" + api.seg(e.id), class: "endpoint-link"},
      show(e.description || e.id)), h("div", {class: "sub"}, h("code", null, e.url))]},
    {title: "State", cell: (e) => [badge(e.enabled ? "enabled" : "disabled"),
      e.disabled_reason ? h("div", {class: "sub"}, e.disabled_reason) : ""]},
    {title: "Events", cell: (e) => (e.event_types || []).length ? e.event_types.join(", ") : "all"},
    {title: "Format", cell: (e) => show(e.payload_format)},
    {title: "Attempts (24 h)", cell: (e) => show(e.day && e.day.attempts)},
    {title: "Success rate", cell: (e) => fmtPct(e.day && e.day.success_rate)},
    {title: "Avg latency", cell: (e) => fmtMs(e.day && e.day.latency_ms_avg)},
  ];
  return section("Webhook endpoints",
    h("p", {class: "hint"}, "Delivery figures are counted by this relay process since it started."),
    rows.length ? table(columns, rows, {id: "endpoints-table"}) : note("No endpoints."));
}
