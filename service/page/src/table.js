// The segments table: every segment of the catalog filtered by the search box (title or
// Segment ID), drawn as fixed-height rows of which only those in view are in the DOM, so ten
// thousand segments scroll and filter without a freeze.
import { el, formatCount, formatWhen } from "./dom.js";

const OVERSCAN = 8;

export function createTable({ scroller, spacer, table, status }) {
  let all = [];      // the catalog's segments, newest change first
  let shown = [];    // those matching the search
  let query = "";
  let highlight = null;
  let rowHeight = 44;
  const drawn = new Map();  // index in `shown` -> row element

  function rowHeightNow() {
    return parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--row-h")) || 44;
  }

  function rowElement(s, i) {
    const link = el("a", { href: `#/segments/${s.id}` }, s.title || "(untitled)");
    const row = el("div", {
      role: "row", class: `row${s.archived ? " archived" : ""}${s.id === highlight ? " flash" : ""}`,
      "aria-rowindex": String(i + 2), "data-id": String(s.id),
    },
      // The whole title on hover: the cell cuts a long one short (the conditions have theirs).
      el("span", { role: "cell", title: s.title || "" }, s.archived ? el("span", { class: "badge warn" }, "archived") : null, s.archived ? " " : null, link),
      el("span", { role: "cell", title: s.rule }, s.summary || s.rule),
      // data-label names the number where a narrow window shows rows as cards, without headers.
      el("span", { role: "cell", class: "num", "data-label": "ID" }, String(s.id)),
      el("span", { role: "cell", class: "num", "data-label": "Members" },
        s.pending ? el("span", { class: "muted", title: "being counted" }, "…") : s.clients == null ? "–" : formatCount(s.clients)),
      el("span", { role: "cell" }, formatWhen(s.updated_at)));
    row.style.transform = `translateY(${i * rowHeight}px)`;
    return row;
  }

  function draw() {
    const top = scroller.scrollTop, height = scroller.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
    const last = Math.min(shown.length, Math.ceil((top + height) / rowHeight) + OVERSCAN);
    // The row holding the focus stays while it is out of view: removed, the focus went to
    // the page's start and Tab began again from the top.
    const focused = document.activeElement?.closest?.(".rows .row");
    for (const [i, row] of drawn) {
      if ((i < first || i >= last) && row !== focused) { row.remove(); drawn.delete(i); }
    }
    // Rows stay in the DOM in their order, so Tab and a screen reader go through them as they
    // are shown (appended, a row scrolled back into view came after the others: Tab jumped from
    // row 39 back to the first; a review).
    for (let i = first; i < last; i++) {
      if (!drawn.has(i)) {
        const row = rowElement(shown[i], i);
        let next = null;
        for (const [j, r] of drawn) if (j > i && (!next || j < next.i)) next = { i: j, r };
        scroller.insertBefore(row, next ? next.r : null);
        drawn.set(i, row);
      }
    }
  }

  function redraw() {
    rowHeight = rowHeightNow();
    for (const row of drawn.values()) row.remove();
    drawn.clear();
    spacer.style.height = `${shown.length * rowHeight}px`;
    table.setAttribute("aria-rowcount", String(shown.length + 1));
    draw();
  }

  function filter(keepScroll = false) {
    const q = query.trim().toLowerCase();
    if (!q) shown = all;
    else {
      const id = /^#?\d+$/.test(q) ? Number(q.replace("#", "")) : null;
      shown = all.filter((s) => s.id === id || (s.title || "").toLowerCase().includes(q));
    }
    const n = all.length;
    status.textContent = !n ? "No segments yet: create the first one."
      : q ? `${formatCount(shown.length)} of ${formatCount(n)} segments match “${query.trim()}”` : `${formatCount(n)} segment${n === 1 ? "" : "s"}`;
    status.dataset.kind = "count";
    if (!keepScroll) scroller.scrollTop = 0;
    redraw();
  }

  let frame = 0;
  scroller.addEventListener("scroll", () => {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; draw(); });
  });
  window.addEventListener("resize", () => redraw());

  return {
    // `refresh`: the same list with counts filled in; the scroll position and the flash stay.
    set(segments, { flash, refresh = false } = {}) {
      all = segments.slice().sort((a, b) => (b.updated_at - a.updated_at) || b.id - a.id);
      if (!refresh) highlight = flash ?? null;
      filter(refresh);
    },
    search(q) { query = q; filter(); },
    // Whether a segment is among the rows the search lets through.
    shows(id) { return shown.some((s) => s.id === id); },
    // Brings a segment's row into view (after saving it).
    reveal(id) {
      const i = shown.findIndex((s) => s.id === id);
      if (i >= 0) { scroller.scrollTop = Math.max(0, i * rowHeight - rowHeight); draw(); }
    },
    get size() { return all.length; },
  };
}
