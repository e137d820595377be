// view_health: the body spool and the uploader that empties it into the
// object store, and the outbox (GET /ops/health).
import * as api from "./api.js";
import {badge, facts, fmtBytes, fmtTime, h, section, show} from "./dom.js";

function work(title, w) {
  return section(title, facts([
    ["State", badge(w.failing ? "failing" : w.ok || w.failed ? "ok" : "idle")],
    ["Done", w.ok], ["Failed", w.failed],
    ["Last success", fmtTime(w.last_ok_at)], ["Last failure", fmtTime(w.last_failed_at)],
    ["Last error", w.last_error]]));
}

export async function render() {
  const r = await api.get("/ops/health");
  const meter = h("div", {class: "meter-fill"});
  meter.style.width = Math.min(100, Math.max(0, r.spool.used * 100)).toFixed(2) + "%"; // CSSOM, allowed by the CSP
  return h("div", {class: "health", id: "health"},
    section("Body spool",
      h("div", {class: "meter", role: "meter", "aria-valuenow": (r.spool.used * 100).toFixed(2)}, meter),
      facts([["Waiting", fmtBytes(r.spool.bytes)], ["Cap", fmtBytes(r.spool.max_bytes)],
        ["Full", (r.spool.used * 100).toFixed(2) + " %"], ["Next retry", fmtTime(r.spool.next_retry_at)],
        ["Object store", r.object_store.kind === "s3" ? "S3" : "local directory"]])),
    h("div", {class: "two"}, work("Uploads", r.uploads), work("Deletions", r.deletions)),
    section("Outbox (all tenants)", facts(Object.entries(r.outbox).map(([k, v]) => [k, show(v)]))),
    section("Store", facts([["Write jobs", r.store.jobs], ["Commits", r.store.commits]])));
}
