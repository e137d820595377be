// view_signin: a tenant signs in with its id and API key; the operator with
// [console] admin_key. The key is tried (GET /ops/tenants) before it is kept,
// in sessionStorage, for this tab only. The forms never submit (the page's
// CSP has form-action 'none'): the key cannot end up in a URL.
import * as api from "./api.js";
import * as session from "./session.js";
import {h, note} from "./dom.js";

function field(label, attrs) {
  return h("label", null, h("span", null, label), h("input", {required: true, autocomplete: "off", ...attrs}));
}

// The OAuth2 client of a tenant with require_oauth: optional, folded away.
function oauthFields() {
  return h("details", {class: "oauth"},
    h("summary", null, "OAuth2 client (when the tenant requires it)"),
    field("Client id", {name: "client_id", id: "client-id", required: false, spellcheck: "false"}),
    field("Client secret", {name: "client_secret", id: "client-secret", type: "password", required: false}));
}

export function render(done) {
  const status = h("div", {id: "signin-status"});
  async function attempt(s, form, client) {
    status.replaceChildren(note("Signing in…"));
    for (const b of form.querySelectorAll("button")) b.disabled = true;
    try {
      if (client && client.id) s = {...s, bearer: await api.token(client.id, client.secret)}; // the secret is not kept
      const r = await api.get("/ops/tenants", s);
      const tenants = r.data.map((t) => t.id);
      session.save(s.mode === "operator" ? {...s, tenants, tenant: tenants[0] || null} : s);
      done();
    } catch (e) {
      status.replaceChildren(note(e.status === 401 ? "Those credentials were refused." : e.message, "error"));
      for (const b of form.querySelectorAll("button")) b.disabled = false;
    }
  }
  const tenantForm = h("form", {id: "signin-tenant", class: "card", method: "post"},
    h("h2", null, "Tenant"),
    h("p", {class: "hint"}, "Your tenant id and one of its API keys."),
    field("Tenant id", {name: "tenant", id: "tenant-id", spellcheck: "false"}),
    field("API key", {name: "key", id: "api-key", type: "password"}),
    oauthFields(),
    h("button", {type: "submit"}, "Sign in"));
  tenantForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = new FormData(tenantForm);
    attempt({mode: "tenant", tenant: String(f.get("tenant")).trim(), key: String(f.get("key"))}, tenantForm,
      {id: String(f.get("client_id") || "").trim(), secret: String(f.get("client_secret") || "")});
  });
  const operatorForm = h("form", {id: "signin-operator", class: "card", method: "post"},
    h("h2", null, "Operator"),
    h("p", {class: "hint"}, "The relay's [console] admin_key: every tenant's views."),
    field("Operator key", {name: "key", id: "admin-key", type: "password"}),
    h("button", {type: "submit"}, "Sign in"));
  operatorForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    attempt({mode: "operator", key: String(new FormData(operatorForm).get("key"))}, operatorForm);
  });
  return h("div", {class: "signin", "data-view": "signin"},
    h("h1", null, "Sign in to the console"),
    h("p", {class: "hint"}, "The key is kept for this browser tab only, and sent only in request headers."),
    h("div", {class: "signin-forms"}, tenantForm, operatorForm),
    status);
}
