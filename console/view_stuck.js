// view_stuck: orders that have stopped progressing (GET /ops/stuck): open
// or allocated past [orders] stuck_before_fulfillment, processing or
// fulfilled past stuck_in_fulfillment.
import * as api from "./api.js";
import {badge, fmtAge, fmtTime, h, note, section, show, table} from "./dom.js";

export async function render() {
  const rows = (await api.get("/ops/stuck")).data;
  return section("Stuck orders",
    rows.length ? table([
      {title: "Reference", cell: (o) => h("a", {href: "#/order/" + api.seg(o.order_id), class: "order-link"},
        show(o.partner_order_reference))},
      {title: "Order id", cell: (o) => h("code", null, o.order_id)},
      {title: "Status", cell: (o) => badge(o.status)},
      {title: "Unchanged since", cell: (o) => fmtTime(o.since)},
      {title: "For", cell: (o) => fmtAge(o.age_seconds)},
    ], rows, {id: "stuck-table"}) : note("No order is stuck."));
}
