// api: the console is a client of the relay's public API, on the same
// origin. Credentials travel in headers only (x-api-key and tenant-id, or
// the operator's x-admin-key and the tenant it looks at), never in a URL.
import * as session from "./session.js";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// Listeners for a 401: the key stopped working (a reload removed it).
const unauthorized = [];
export function onUnauthorized(fn) {
  unauthorized.push(fn);
}

function headers(s, body) {
  const h = {Accept: "application/json"};
  if (s && s.mode === "operator") {
    h["x-admin-key"] = s.key;
    if (s.tenant) h["tenant-id"] = s.tenant;
  } else if (s && s.mode === "tenant") {
    h["x-api-key"] = s.key;
    h["tenant-id"] = s.tenant;
    if (s.bearer) h.Authorization = "Bearer " + s.bearer;
  }
  if (body !== undefined) h["Content-Type"] = "application/json";
  return h;
}

// method, path (with its query, built by qs), optional JSON body; the
// parsed reply, or an ApiError. as: the session to use (sign-in tries one).
export async function call(method, path, body, as) {
  const s = as || session.current();
  let r;
  try {
    r = await fetch(path, {
      method,
      headers: headers(s, body),
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
      redirect: "error",
    });
  } catch (e) {
    throw new ApiError(0, "network", "the relay did not answer (" + e.message + ")");
  }
  const text = await r.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = null;
  }
  if (!r.ok) {
    const err = data && data.error ? data.error : {};
    if (r.status === 401 && !as) unauthorized.forEach((fn) => fn());
    throw new ApiError(r.status, err.code || "http_" + r.status, err.message || r.status + " " + r.statusText);
  }
  return data;
}

export const get = (path, as) => call("GET", path, undefined, as);

// POST /oauth/token for a tenant that requires OAuth2: the access token.
export async function token(clientId, clientSecret) {
  const r = await call("POST", "/oauth/token", {client_id: clientId, client_secret: clientSecret}, {mode: "none"});
  return r.access_token;
}
export const post = (path, body) => call("POST", path, body === undefined ? {} : body);

// "?a=1&b=x" from an object, leaving out empty values.
export function qs(params) {
  const parts = Object.entries(params || {})
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => encodeURIComponent(k) + "=" + encodeURIComponent(v));
  return parts.length ? "?" + parts.join("&") : "";
}

// One path segment (an order reference may hold "/", "?", anything).
export const seg = (s) => encodeURIComponent(String(s));

// A body download link the API handed out: fetched here when it is on this
// origin (the relay's own signed link), as text.
export async function fetchBody(url) {
  const u = new URL(url, location.href);
  if (u.origin !== location.origin) throw new ApiError(0, "elsewhere", "the body is in the object store: download it");
  const r = await fetch(u.href, {cache: "no-store", credentials: "omit", redirect: "error"});
  if (!r.ok) throw new ApiError(r.status, "http_" + r.status, "the body could not be read (" + r.status + ")");
  return r.text();
}
