// view_dead: dead letters, the messages whose every attempt failed, across
// the tenant's endpoints (GET /webhooks/messages?status=dead), each with its
// attempts and Retry. To resend many, recover the endpoint (its page).
import * as api from "./api.js";
import {h, section} from "./dom.js";
import {endpointMap, messagesTable} from "./messages.js";

export async function render(arg, query) {
  const [page, endpoints] = await Promise.all([
    api.get("/webhooks/messages" + api.qs({status: "dead", limit: 50, after: query.get("after")})),
    endpointMap(),
  ]);
  return section("Dead letters",
    h("p", {class: "hint"}, "Messages no attempt delivered. Retry sends one again at once, under the same webhook-id."),
    messagesTable(page.data, endpoints, {id: "dead-table"}),
    page.next_after !== null ? h("a", {href: "#/dead" + api.qs({after: page.next_after}), id: "dead-next"}, "More →") : null);
}
