// dom: every node the console shows is built here, from elements and text
// nodes. Data only ever becomes text (a Text node, textContent) or the value
// of a fixed attribute; never markup. Links from data must be http(s) or an
// in-page route (safeHref). The page's Content-Security-Policy also requires
// Trusted Types, so an innerHTML assignment would throw.

const SVG_NS = "http://www.w3.org/2000/svg";

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.setAttribute("class", v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "href") el.setAttribute("href", safeHref(v));
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

// h("a", {href: "#/x", class: "c"}, "text", child, [more]): an element.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  return append(el, children);
}

// The same for SVG elements (the chart).
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  return append(el, children);
}

// An in-page route (#/…), or an http(s) URL; anything else becomes "#".
export function safeHref(v) {
  const s = String(v);
  if (s.startsWith("#/")) return s;
  try {
    const u = new URL(s, location.href);
    if (u.protocol === "http:" || u.protocol === "https:") return u.href;
  } catch (e) {
    /* not a URL */
  }
  return "#";
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// A table: columns [{title, cell(row) → node or text, class?}], rows.
export function table(columns, rows, attrs) {
  const head = h("tr", null, columns.map((c) => h("th", {class: c.class}, c.title)));
  const body = rows.map((r) => h("tr", null, columns.map((c) => h("td", {class: c.class}, c.cell(r)))));
  return h("table", attrs, h("thead", null, head), h("tbody", null, body));
}

// Definition list from [label, value] pairs (values that are null show as —).
export function facts(pairs) {
  return h("dl", {class: "facts"}, pairs.map(([k, v]) => [h("dt", null, k), h("dd", null, show(v))]));
}

export function show(v) {
  if (v === null || v === undefined || v === "") return "—";
  if (v instanceof Node) return v;
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

// Statuses get a colour from a fixed set of classes (data never names a class).
const TONES = {
  good: ["closed", "delivered", "delivery_confirmed", "fulfilled", "ok", "enabled", "applied"],
  busy: ["processing", "pending", "in_transit", "out_for_delivery", "allocated", "partially_allocated", "shipped",
    "pick_in_progress", "picked", "pack_in_progress", "ready_to_ship", "booked", "open", "held"],
  bad: ["cancelled", "dead", "failed", "failing", "error", "disabled", "returned", "failed_delivery_attempt",
    "cancelled_by_carrier", "missing", "suspended"],
};
// HTTP status codes: 2xx good, 4xx, 5xx and 0 (no answer) bad.
function codeTone(s) {
  if (!/^\d{1,3}$/.test(s)) return null;
  return s[0] === "2" && s.length === 3 ? "good" : s === "0" || s[0] === "4" || s[0] === "5" ? "bad" : "plain";
}
export function badge(status) {
  const s = String(status ?? "—");
  const tone = codeTone(s) || Object.keys(TONES).find((t) => TONES[t].includes(s.toLowerCase())) || "plain";
  return h("span", {class: "badge tone-" + tone}, s);
}

export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (isNaN(d)) return String(iso);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function fmtAge(seconds) {
  const s = Number(seconds) || 0;
  if (s < 120) return s + " s";
  if (s < 7200) return Math.round(s / 60) + " min";
  if (s < 172800) return Math.round(s / 3600) + " h";
  return Math.round(s / 86400) + " days";
}

export function fmtPct(x) {
  return x === null || x === undefined ? "—" : (x * 100).toFixed(x === 1 || x === 0 ? 0 : 1) + " %";
}

export function fmtMs(x) {
  return x === null || x === undefined ? "—" : (x < 10 ? x.toFixed(1) : Math.round(x)) + " ms";
}

export function fmtBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = Number(n) || 0;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i ? v.toFixed(1) : String(v)) + " " + units[i];
}

// A section with a heading.
export function section(title, ...children) {
  return h("section", {class: "card"}, h("h2", null, title), children);
}

// A message in place of content: info or error.
export function note(text, kind) {
  return h("p", {class: "note " + (kind === "error" ? "note-error" : "note-info"), role: kind === "error" ? "alert" : null},
    text);
}
