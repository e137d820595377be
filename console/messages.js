// messages: a table of webhook messages (outbox rows) with their attempts
// (GET /webhooks/messages/{id}/attempts) and, for a message that is not
// on its way, Retry (POST …/retry), after which the row follows the
// message (GET /webhooks/messages/{id}) until it is delivered or fails again.
import * as api from "./api.js";
import {badge, fmtMs, fmtTime, h, note, show, table} from "./dom.js";

const RETRYABLE = ["dead", "held"];

function attemptsTable(rows) {
  if (!rows.length) return note("No attempts yet.");
  return table([
    {title: "#", cell: (a) => show(a.attempt)},
    {title: "At", cell: (a) => fmtTime(a.at)},
    {title: "Status", cell: (a) => badge(a.status_code)},
    {title: "Error", cell: (a) => [show(a.error_class), a.error ? " " + a.error : ""]},
    {title: "Total", cell: (a) => fmtMs(a.total_ms)},
    {title: "Response", cell: (a) => h("pre", {class: "response"}, show(a.response_body),
      a.response_truncated ? " …(truncated)" : "")},
  ], rows, {class: "attempts"});
}

async function toggleAttempts(m, row, button) {
  const next = row.nextElementSibling;
  if (next && next.classList.contains("attempts-row")) {
    next.remove();
    return;
  }
  button.disabled = true;
  const cell = h("td", {colspan: row.children.length});
  row.after(h("tr", {class: "attempts-row", "data-message": m.id}, cell));
  try {
    cell.append(attemptsTable((await api.get("/webhooks/messages/" + api.seg(m.id) + "/attempts")).data));
  } catch (e) {
    cell.append(note(e.message, "error"));
  } finally {
    button.disabled = false;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function lastAnswer(m) {
  return [show(m.last_status_code), m.last_error ? h("div", {class: "sub"}, m.last_error) : ""];
}

// Retry, then follow the message (its row) for up to a minute while it is pending.
async function retry(m, row, button) {
  const statusCell = row.querySelector(".msg-status");
  button.disabled = true;
  statusCell.replaceChildren(badge("pending"), " retrying…");
  try {
    await api.post("/webhooks/messages/" + api.seg(m.id) + "/retry");
    for (let i = 0; i < 120; i++) {
      const now = await api.get("/webhooks/messages/" + api.seg(m.id));
      statusCell.replaceChildren(badge(now.status), now.status === "pending" ? " retrying…" : "");
      row.querySelector(".msg-attempts").replaceChildren(show(now.attempts));
      row.querySelector(".msg-last").replaceChildren(h("span", null, lastAnswer(now)));
      if (now.status !== "pending") {
        button.disabled = !RETRYABLE.includes(now.status);
        return;
      }
      await sleep(500);
    }
  } catch (e) {
    statusCell.replaceChildren(note(e.message, "error"));
  }
  button.disabled = false;
}

// rows: messages; endpoints: {id → endpoint} to name them.
export function messagesTable(rows, endpoints, attrs) {
  if (!rows.length) return note("No messages.");
  const columns = [
    {title: "Message", cell: (m) => h("code", null, m.id)},
    {title: "Endpoint", cell: (m) => {
      const ep = endpoints && endpoints[m.endpoint_id];
      return h("a", {href: "#/endpoint/" + api.seg(m.endpoint_id)}, show(ep ? ep.description || ep.url : m.endpoint_id));
    }},
    {title: "Event", cell: (m) => [show(m.event_type), h("div", {class: "sub"}, show(m.trigger))]},
    {title: "Order", cell: (m) => m.order_id ? h("a", {href: "#/order/" + api.seg(m.order_id)}, m.order_id) : "—"},
    {title: "Status", class: "msg-status", cell: (m) => badge(m.status)},
    {title: "Attempts", class: "msg-attempts", cell: (m) => show(m.attempts)},
    {title: "Last answer", class: "msg-last", cell: lastAnswer},
    {title: "Created", cell: (m) => fmtTime(m.created_at)},
    {title: "", cell: () => null},
  ];
  const t = table(columns, rows, attrs);
  t.querySelectorAll("tbody tr").forEach((row, i) => {
    const m = rows[i];
    row.dataset.message = m.id;
    const actions = row.lastElementChild;
    const more = h("button", {type: "button", class: "show-attempts"}, "Attempts");
    more.addEventListener("click", () => toggleAttempts(m, row, more));
    actions.append(more);
    if (RETRYABLE.includes(m.status)) {
      const again = h("button", {type: "button", class: "retry"}, "Retry");
      again.addEventListener("click", () => retry(m, row, again));
      actions.append(" ", again);
    }
  });
  return t;
}

// {id → endpoint} of the tenant's endpoints.
export async function endpointMap() {
  const r = await api.get("/webhooks/endpoints");
  return Object.fromEntries(r.data.map((e) => [e.id, e]));
}
