// A segment's version history, newest first, each with what changed from the version before:
// the title, the conditions (top-level `and` clauses of the canonical rule added and removed)
// and archiving.
import { el, formatWhen } from "./dom.js";

// The top-level `and` clauses of canonical rule text (strings and parentheses respected).
export function clauses(rule) {
  const out = [];
  let depth = 0, start = 0, inString = false;
  for (let i = 0; i < rule.length; i++) {
    const c = rule[i];
    if (inString) { if (c === "\\") i++; else if (c === '"') inString = false; continue; }
    if (c === '"') inString = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (depth === 0 && rule.startsWith(" and ", i)) { out.push(rule.slice(start, i)); start = i + 5; i += 4; }
  }
  out.push(rule.slice(start));
  return out.filter((c) => c !== "");
}

export function changes(prev, cur) {
  if (!prev) return [el("li", {}, `created from ${cur.origin === "form" ? "the form" : cur.origin === "text" ? "rule text" : "an import"}: `, el("code", {}, cur.rule))];
  const out = [];
  if (prev.title !== cur.title) out.push(el("li", {}, "title ", el("del", {}, prev.title), " → ", el("ins", {}, cur.title)));
  if (prev.rule !== cur.rule) {
    const a = clauses(prev.rule), b = clauses(cur.rule);
    for (const c of a) if (!b.includes(c)) out.push(el("li", {}, "removed ", el("del", {}, c)));
    for (const c of b) if (!a.includes(c)) out.push(el("li", {}, "added ", el("ins", {}, c)));
  }
  if (prev.archived !== cur.archived) out.push(el("li", {}, cur.archived ? "archived" : "restored"));
  if (!out.length) out.push(el("li", {}, "saved again without a change"));
  return out;
}

export function drawHistory(list, versions) {
  const items = [];
  for (let i = versions.length - 1; i >= 0; i--) {
    const v = versions[i];
    items.push(el("li", { value: String(v.version) },
      el("strong", {}, `Version ${v.version}`), " · ", formatWhen(v.updated_at),
      el("ul", { class: "what" }, changes(versions[i - 1], v))));
  }
  list.replaceChildren(...items);
}
