// app: the console's shell. Routes (#/view/arg?filters) to the views, the
// header (who is signed in, the operator's tenant picker, sign out), and
// the sign-in screen when nobody is. Views are modules exporting
// render(arg, query) → a node (or a promise of one).
import * as api from "./api.js";
import * as session from "./session.js";
import {clear, h, note} from "./dom.js";
import * as signin from "./view_signin.js";
import * as orders from "./view_orders.js";
import * as order from "./view_order.js";
import * as webhooks from "./view_webhooks.js";
import * as endpoint from "./view_endpoint.js";
import * as dead from "./view_dead.js";
import * as stuck from "./view_stuck.js";
import * as hooks from "./view_hooks.js";
import * as health from "./view_health.js";

const VIEWS = {orders, order, webhooks, endpoint, dead, stuck, hooks, health};
const NAV = {order: "orders", endpoint: "webhooks"};

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
let rendering = 0;

// "#/order/ord_1?x=1" → {view: "order", arg: "ord_1", query}
function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, q] = hash.split("?", 2);
  const [view, ...rest] = path.split("/");
  let arg = rest.join("/");
  try {
    arg = decodeURIComponent(arg);
  } catch (e) {
    /* keep it as it is */
  }
  return {view: VIEWS[view] ? view : "orders", arg, query: new URLSearchParams(q || "")};
}

function header(s) {
  clear(who);
  nav.hidden = !s;
  if (!s) return;
  if (s.mode === "operator") {
    const pick = h("select", {id: "tenant-picker", "aria-label": "Tenant"},
      (s.tenants || []).map((t) => h("option", {value: t, selected: t === s.tenant}, t)));
    pick.addEventListener("change", () => {
      session.setTenant(pick.value);
      render();
    });
    who.append(h("span", {class: "who-mode"}, "Operator"), pick);
  } else {
    who.append(h("span", {class: "who-mode"}, "Tenant"), h("strong", {id: "who-tenant"}, s.tenant));
  }
  who.append(
    h("button", {type: "button", id: "refresh", onclick: () => render()}, "Refresh"),
    h("button", {type: "button", id: "sign-out", onclick: signOut}, "Sign out"));
}

function signOut() {
  session.signOut();
  location.hash = "#/orders";
  render();
}

export async function render() {
  const token = ++rendering;
  const s = session.current();
  header(s);
  if (!s) {
    clear(main).append(signin.render(() => render()));
    return;
  }
  const {view, arg, query} = route();
  for (const a of nav.querySelectorAll("a")) a.classList.toggle("active", a.dataset.nav === (NAV[view] || view));
  clear(main).append(note("Loading…"));
  let node;
  try {
    node = s.mode === "operator" && !s.tenant ? note("No tenant is configured.") : await VIEWS[view].render(arg, query);
  } catch (e) {
    node = note(e.message || String(e), "error");
  }
  if (token !== rendering) return; // another render started meanwhile
  clear(main).append(h("div", {class: "view", "data-view": view}, node));
}

api.onUnauthorized(() => {
  session.signOut();
  render();
});
window.addEventListener("hashchange", () => render());
render();
