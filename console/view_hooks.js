// view_hooks: each inbound source of the tenant (GET /ops/hooks): callbacks
// accepted and refused, what became of their events, and the last error.
import * as api from "./api.js";
import {badge, fmtTime, h, note, section, show, table} from "./dom.js";

export async function render() {
  const rows = (await api.get("/ops/hooks")).data;
  const e = (name) => (s) => show(s.events[name]);
  return section("Hooks",
    h("p", {class: "hint"}, "Counted by this relay process since it started. Accepted and failed count callbacks; " +
      "the rest count events."),
    rows.length ? table([
      {title: "Source", cell: (s) => [h("strong", null, s.source), h("div", {class: "sub"}, s.adapter)]},
      {title: "Accepted", cell: (s) => show(s.accepted)},
      {title: "Failed", cell: (s) => show(s.failed)},
      {title: "Applied", cell: e("applied")},
      {title: "History only", cell: e("history_only")},
      {title: "Unchanged", cell: e("unchanged")},
      {title: "Duplicates", cell: e("duplicates")},
      {title: "Parked", cell: e("parked")},
      {title: "Refused", cell: (s) => show(s.refused)},
      {title: "Rate limited", cell: (s) => show(s.rate_limited)},
      {title: "Last accepted", cell: (s) => fmtTime(s.last_accepted_at)},
      {title: "Last error", class: "last-error", cell: (s) => s.last_error
        ? [badge(s.last_error.status), " ", fmtTime(s.last_error.at), h("div", {class: "sub"}, s.last_error.message)]
        : "—"},
    ], rows, {id: "hooks-table"}) : note("The tenant has no sources."));
}
