// session: who is signed in, for this browser tab only (sessionStorage: it
// goes when the tab closes, and never reaches a URL, a cookie or a log).
//   {mode: "tenant", tenant, key, bearer?}  a tenant's API key (and a bearer
//                                    token when the tenant requires OAuth2;
//                                    never the client secret)
//   {mode: "operator", key, tenant}  [console] admin_key; tenant: the one looked at
const KEY = "shiprelay.console";

export function current() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || "null");
    return s && typeof s.key === "string" && (s.mode === "tenant" || s.mode === "operator") ? s : null;
  } catch (e) {
    return null;
  }
}

export function save(s) {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

export function setTenant(tenant) {
  const s = current();
  if (s && s.mode === "operator") save({...s, tenant});
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}
