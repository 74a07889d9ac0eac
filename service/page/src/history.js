// A segment's version history, newest first, each with what changed from the version before:
// the title, the conditions (the rule's top-level clauses, from the service, added and removed)
// and archiving; a version that changed the rule can say what that change does to the members
// (GET /api/segments/{id}/diff, over the clients as they are now).
import { el, formatCount, formatWhen } from "./dom.js";

// A version's top-level conditions, as the service printed them (GET .../versions gives each
// version's `clauses`; the page does not take rule text apart itself), or the rule whole.
const clauses = (v) => v.clauses ?? [v.rule];

export function changes(prev, cur) {
  if (!prev) return [el("li", {}, `created from ${cur.origin === "form" ? "the form" : cur.origin === "text" ? "rule text" : "an import"}: `, el("code", {}, cur.rule))];
  const out = [];
  if (prev.title !== cur.title) out.push(el("li", {}, "title ", el("del", {}, prev.title), " → ", el("ins", {}, cur.title)));
  if (prev.rule !== cur.rule) {
    const a = clauses(prev), b = clauses(cur);
    for (const c of a) if (!b.includes(c)) out.push(el("li", {}, "removed ", el("del", {}, c)));
    for (const c of b) if (!a.includes(c)) out.push(el("li", {}, "added ", el("ins", {}, c)));
  }
  if (prev.archived !== cur.archived) out.push(el("li", {}, cur.archived ? "archived" : "restored"));
  if (!out.length) out.push(el("li", {}, "saved again without a change"));
  return out;
}

// `compare(from, to)` answers what changing version `from`'s rule into version `to`'s does now
// (the service's diff), or throws.
function compareButton(prev, v, compare) {
  const out = el("span", { class: "muted compare-result", role: "status" });
  const button = el("button", { type: "button", class: "link compare" }, "What it does to the members now");
  button.addEventListener("click", async () => {
    button.disabled = true;
    out.textContent = " …";
    try {
      const d = await compare(prev.version, v.version);
      out.dataset.entered = String(d.entered.count);
      out.dataset.exited = String(d.exited.count);
      out.textContent = ` ${formatCount(d.entered.count)} enter, ${formatCount(d.exited.count)} leave, ` +
        `${formatCount(d.stayed)} stay (against version ${prev.version}, over the clients now)`;
    } catch (e) {
      out.textContent = ` Not compared: ${e.message}`;
    } finally {
      button.disabled = false;
    }
  });
  return el("li", {}, button, out);
}

export function drawHistory(list, versions, compare) {
  const items = [];
  for (let i = versions.length - 1; i >= 0; i--) {
    const v = versions[i], prev = versions[i - 1];
    const what = changes(prev, v);
    if (prev && prev.rule !== v.rule && compare) what.push(compareButton(prev, v, compare));
    items.push(el("li", { value: String(v.version) },
      el("strong", {}, `Version ${v.version}`), " · ", formatWhen(v.updated_at),
      el("ul", { class: "what" }, what)));
  }
  list.replaceChildren(...items);
}
