// Small DOM helpers shared by the page's parts: element building (text is always set as
// text, never as HTML) and the number and date formats the page shows.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export const $ = (id) => document.getElementById(id);

// A message's `quoted` parts (a field, a value, a fix: docs/diagnostics.md writes them in
// backticks) as code, the rest as text; with an odd number of backticks (one inside a value),
// all of it as text.
export function quoted(text) {
  const parts = String(text).split("`");
  if (parts.length % 2 === 0) return [String(text)];
  return parts.map((p, i) => (i % 2 ? el("code", { class: "quoted" }, p) : p)).filter((p) => p !== "");
}

const counts = new Intl.NumberFormat("en-US");
export const formatCount = (n) => counts.format(n);

// Catalog times are Unix seconds; the page shows them in the viewer's zone.
export function formatWhen(seconds) {
  if (!seconds) return "";
  const d = new Date(seconds * 1000);
  return d.toLocaleString("en-GB", { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}
