// The Segments page (docs/page.md): the segments table, the creation form and the rule editor
// with live counts, over the service's API. Routes are hashes: #/ the table, #/new a new
// segment, #/segments/ID one segment. The markup is index.html; this wires it.
import { api, ApiError, whenUnauthorized, setToken } from "./api.js";
import { $, el, formatCount } from "./dom.js";
import { createTable } from "./table.js";
import { createForm } from "./form.js";
import { createEditor } from "./editor.js";
import { drawHistory } from "./history.js";
import { latestOnly } from "./latest.js";

const state = {
  schema: null,
  rows: 0,
  view: "form",       // the tab shown: "form" or "rule"
  segment: null,      // the saved segment being edited (null for a new one)
  lastCount: null,    // the newest /api/count answer, for the Form/Rule switch
  loading: false,     // true while a segment's values are put into the controls
};

let table, form, editor;

function banner(message) {
  const b = $("banner");
  b.textContent = message || "";
  b.hidden = !message;
}

function describe(e) {
  return e instanceof ApiError ? e.message : String(e);
}

// ---- the segments table ----

// After a start or a reload the service counts saved segments in the background: while some
// are pending, the table asks again every second and fills them in, for as long as it shows.
let pendingTimer = 0;
let statusNote = "";  // what the last save said ("Saved … Segment ID 7"), until the table is left
async function loadTable(flash, refresh = false) {
  clearTimeout(pendingTimer);
  try {
    const answer = await api.list($("show-archived").checked);
    table.set(answer.segments, { flash, refresh });
    // A refresh (counts filled in, the membership moved) keeps what the last save said.
    if (refresh && statusNote) $("list-status").textContent = statusNote;
    if (flash !== undefined) table.reveal(flash);
    // With a membership whose counts are behind the catalog (a save it could not log yet, or
    // a change that failed part way), the table says so until they are not.
    banner(answer.membership_problem ? `Member counts are behind: ${answer.membership_problem}` : "");
    if (answer.pending > 0)
      pendingTimer = setTimeout(() => { if (!$("list-view").hidden) loadTable(undefined, true); }, 1000);
    if (answer.membership_version !== undefined) {
      showClients(answer);
      followMembership(answer.membership_version);
    }
  } catch (e) {
    banner(`The segments could not be listed: ${describe(e)}`);
  }
}

// The header's clients: with a membership, the clients it holds as changes left them (every
// answer that carries a membership version brings them up to date), else the data file's.
function showClients(answer) {
  const v = answer.membership_version;
  // Another start of the service: its versions are its membership's own, so a smaller one is
  // not a late answer. (Found in CI: a listing the one-second refresh of pending counts sent
  // reached the restarted service before the follower did, was skipped as late, and the
  // follower then waited on the new service's version with the header left on the old one.)
  if (answer.instance !== undefined && answer.instance !== state.instance) {
    state.instance = answer.instance;
    state.shownVersion = undefined;
  }
  if (v !== undefined && state.shownVersion !== undefined && v < state.shownVersion) return;  // an older answer
  const clients = answer.clients ?? answer.rows_total ?? answer.rows;
  const where = v !== undefined ? `membership version ${v}` : `data version ${answer.data_version}`;
  state.shownVersion = v;
  $("data-info").textContent = `${formatCount(clients)} clients · ${where}`;
}

// With a membership kept current (seg serve --membership), the table's counts are its
// members: the table waits for the membership's next version (a long poll) and lists again
// when one comes, so counts follow changes as they are applied. One follower at a time.
let following = 0;
async function followMembership(version) {
  const me = ++following;
  for (;;) {
    if (me !== following || $("list-view").hidden) return;
    try {
      const m = await api.membership(version, 25);
      if (me !== following) return;
      if (m.version !== version || m.instance !== state.instance) {
        // A new version, or another start of the service (its versions are its own: the
        // listing's answer resets the header, see showClients).
        if (!$("list-view").hidden) loadTable(undefined, true);  // follows again from the new version
        return;
      }
    } catch (e) {
      await new Promise((r) => setTimeout(r, 5000));  // the service is away: try again later
    }
  }
}

// ---- the editor: live count, per-clause counts, preview ----

function currentRule() {
  return state.view === "form" ? { form: form.value() } : { rule: editor.text() };
}

// `total`: the clients counted (the data file's rows, or the membership's clients): a node
// tested on all of them does not say so.
function drawPlan(node, total) {
  const li = el("li", {}, el("span", { class: "n" }, formatCount(node.rows_out)), " ",
    node.op === "and" || node.op === "or" ? el("em", {}, `${node.op} of`) : el("code", {}, node.label),
    node.rows_in !== total ? el("span", { class: "muted" }, ` (of ${formatCount(node.rows_in)} tested)`) : null);
  if (node.children) li.append(el("ol", {}, node.children.map((k) => drawPlan(k, total))));
  return li;
}

function drawPreview(preview) {
  const t = $("preview");
  if (!preview || !preview.rows.length) {
    t.replaceChildren(el("caption", { class: "muted" }, preview ? "No members" : ""));
    return;
  }
  const cols = preview.columns.slice(0, 6);
  t.replaceChildren(
    el("thead", {}, el("tr", {}, cols.map((c) => el("th", { scope: "col" }, c)))),
    el("tbody", {}, preview.rows.map((r) => el("tr", {}, cols.map((_, i) => el("td", {}, r[i]))))));
}

function drawDiagnostics(text, diagnostics) {
  const list = $("rule-diagnostics");
  const items = (diagnostics || []).map((d) => el("li", { class: d.severity },
    el("code", {}, d.code), d.line ? el("span", { class: "muted" }, `${d.line}:${d.column}`) : null,
    el("span", {}, d.message), d.suggestion ? el("span", { class: "muted" }, d.suggestion) : null,
    d.fix !== undefined ? el("button", { type: "button", class: "fix", onclick: () => editor.applyFix(text, d) }, `Use ${d.fix}`) : null));
  list.replaceChildren(...items);
}

// In the rule view, says (before anyone tries) when the form cannot show the rule, and why.
function showFormAvailability(answer) {
  const note = $("form-unavailable");
  if (answer && answer.form_unavailable) {
    note.textContent = `The form cannot show this rule: ${answer.form_unavailable}. Edit it as a rule.`;
    note.hidden = state.view !== "rule";
  } else {
    note.hidden = true;
  }
}

// One request per edit: the count checks too (`check: true`), answering a rule with errors
// with its diagnostics and 200, so a person typing leaves no failed requests behind
// (docs/decisions.md 30).
const liveCount = latestOnly(
  async (what) => ({ what, answer: await api.count(what.body) }),
  (result, error) => {
    const count = $("count"), detail = $("count-detail");
    delete count.dataset.pending;  // only the newest state's answer (or failure) comes here
    if (error) {
      count.textContent = "–";
      count.classList.add("stale");
      detail.textContent = `No count: ${describe(error)}`;
      showChange(null);
      return;
    }
    const { what, answer } = result;
    state.lastCount = answer;
    if (what.body.rule !== undefined) {
      editor.showDiagnostics(what.body.rule, answer.diagnostics || []);
      drawDiagnostics(what.body.rule, answer.diagnostics || []);
    }
    if (!answer.ok) {
      count.textContent = "–";
      count.classList.add("stale");
      const errors = (answer.diagnostics || []).filter((d) => d.severity === "error");
      detail.textContent = `The ${what.body.rule !== undefined ? "rule" : "form"} has ${errors.length} error${errors.length === 1 ? "" : "s"}`;
      $("clauses").replaceChildren();
      drawPreview(null);
      showFormAvailability(null);
      showChange(null);
      return;
    }
    count.classList.remove("stale");
    count.textContent = formatCount(answer.count);
    count.dataset.count = String(answer.count);
    detail.textContent = `of ${formatCount(answer.rows_total)} clients (${(answer.share * 100).toFixed(1)}%), ${answer.elapsed_ms.toFixed(1)} ms`;
    if (answer.membership_version !== undefined) showClients(answer);
    // With a membership, the per-clause figures are its clients' too, as the total is.
    $("clauses").replaceChildren(drawPlan(answer.plan, answer.rows_total));
    drawPreview(answer.preview);
    showFormAvailability(answer);
    showChange(answer, what.body);
    requestAnimationFrame(() => window.segPage.countLatencies.push(performance.now() - what.editedAt));
  });

// ---- what an edit of a saved segment does, before it is saved ----

// Who the edited rule lets in and who it leaves out against the version opened, and which
// clauses account for it (POST /api/diff, docs/page.md). Asked after each count that differs
// from the saved rule, newest only, as the count is; hidden while the rule is as saved.
const liveDiff = latestOnly((body) => api.diff(body.before, body.after), drawChange);

function showChange(answer, body) {
  const box = $("change-box"), seg = state.segment;
  if (!seg || seg.archived || !answer?.ok || answer.text === seg.rule) {
    liveDiff.cancel();
    box.hidden = true;
    delete box.dataset.pending;
    return;
  }
  box.hidden = false;
  box.dataset.pending = "true";  // until this edit's comparison is shown (the browser test waits on it)
  liveDiff({ before: { rule: seg.rule }, after: body });
}

function drawChange(d, error) {
  const box = $("change-box");
  delete box.dataset.pending;
  if (error) {
    delete box.dataset.entered;
    delete box.dataset.exited;
    $("change-summary").textContent = `No comparison with the saved rule: ${describe(error)}`;
    $("change-detail").replaceChildren();
    return;
  }
  box.dataset.entered = String(d.entered.count);
  box.dataset.exited = String(d.exited.count);
  $("change-summary").textContent = `Against version ${state.segment.version} as saved: ${formatCount(d.entered.count)} enter, ` +
    `${formatCount(d.exited.count)} leave, ${formatCount(d.stayed)} stay`;
  // Each side: how many, the first ids, and the clauses that rule them out (those that do).
  const side = (id, label, part, why) => part.count === 0 ? null : el("div", { id, class: "change-side" },
    el("p", {}, el("strong", {}, `${label} ${formatCount(part.count)}`), el("span", { class: "muted" }, ` (first: ${part.sample.join(", ")})`)),
    el("p", { class: "muted" }, why),
    el("ul", { class: "clauses" }, part.because.filter((c) => c.fails > 0).map((c) =>
      el("li", {}, el("span", { class: "n" }, formatCount(c.fails)), " ", el("code", {}, c.clause)))));
  $("change-detail").replaceChildren(...[
    side("change-exited", "Leave", d.exited, "Ruled out by (clauses of the new rule):"),
    side("change-entered", "Enter", d.entered, "Kept out until now by (clauses of the saved rule):"),
  ].filter(Boolean));
}

// How long each live count took to show, from the edit to the frame that shows it: the
// browser test reads these for docs/performance.md (a test hook, nothing else uses it).
window.segPage = { countLatencies: [] };

function refresh() {
  if (state.loading) return;
  // Until the newest state's answer is shown the count is pending (`data-pending`; the
  // browser test waits on it instead of on a clock).
  const body = currentRule();
  if (body.form && !(body.form.tags || []).length) {
    // A form without a tag is not a segment (the CRM requires one; the library says E608):
    // say what is missing instead of asking for a count that can only be an error.
    liveCount.cancel();
    delete $("count").dataset.pending;
    $("count").textContent = "–";
    $("count").classList.add("stale");
    $("count-detail").textContent = "Choose at least one tag to count the segment";
    $("clauses").replaceChildren();
    drawPreview(null);
    showChange(null);
    updateSaveButton();
    return;
  }
  $("count").dataset.pending = "true";
  liveCount({ body, editedAt: performance.now() });
  updateSaveButton();
}

function updateSaveButton() {
  const archived = state.segment?.archived;
  $("save").disabled = !!archived;
  $("save").textContent = state.segment ? "Save changes" : "Add segment";
}

// ---- Form and Rule views ----

function selectTab(view) {
  state.view = view;
  const isForm = view === "form";
  $("tab-form").setAttribute("aria-selected", String(isForm));
  $("tab-rule").setAttribute("aria-selected", String(!isForm));
  $("tab-form").tabIndex = isForm ? 0 : -1;
  $("tab-rule").tabIndex = isForm ? -1 : 0;
  $("form-panel").hidden = !isForm;
  $("rule-panel").hidden = isForm;
  if (isForm) $("form-unavailable").hidden = true;
}

async function switchTo(view) {
  if (view === state.view) return;
  if (view === "rule") {
    // The form's rule as canonical text (the newest count has it; ask when it has not come).
    let text = state.lastCount?.ok && state.lastCount.form ? state.lastCount.text : null;
    try {
      if (text === null) text = (await api.check({ form: form.value() })).text ?? "";
    } catch (e) {
      banner(`The form could not be turned into a rule: ${describe(e)}`);
      return;
    }
    selectTab("rule");
    state.loading = true;
    editor.setText(text);
    state.loading = false;
    refresh();
    return;
  }
  // Rule -> form: only when the rule has the form's shape; otherwise say why and stay.
  let answer;
  try {
    answer = await api.check({ rule: editor.text() });
  } catch (e) {
    banner(`The rule could not be checked: ${describe(e)}`);
    return;
  }
  const note = $("form-unavailable");
  if (!answer.ok) {
    note.textContent = "The form cannot show this rule: it has errors. Fix them first.";
    note.hidden = false;
    return;
  }
  if (!answer.form) {
    note.textContent = `The form cannot show this rule: ${answer.form_unavailable}. Edit it as a rule.`;
    note.hidden = false;
    return;
  }
  state.loading = true;
  form.set(answer.form);
  state.loading = false;
  selectTab("form");
  refresh();
}

// ---- opening, saving, archiving ----

async function openEditor(id) {
  $("list-view").hidden = true;
  $("editor-view").hidden = false;
  $("save-status").textContent = "";
  $("save-status").classList.remove("bad");
  $("archive-confirm").hidden = true;
  $("title-error").hidden = true;
  $("rule-diagnostics").replaceChildren();
  state.segment = null;
  state.lastCount = null;
  showChange(null);
  if (id === null) {
    $("editor-title").textContent = "New segment";
    $("editor-id").hidden = true;
    $("editor-archived").hidden = true;
    $("archive").hidden = true;
    $("history-box").hidden = true;
    $("title").value = "";
    state.loading = true;
    form.set({ stages: [], tags: [] });
    editor.setText("");
    state.loading = false;
    selectTab("form");
    refresh();
    $("title").focus();
    return;
  }
  let seg, check;
  try {
    seg = (await api.get(id)).segment;
    check = await api.check({ rule: seg.rule });
  } catch (e) {
    banner(e.status === 404 ? `There is no segment ${id}.` : `Segment ${id} could not be opened: ${describe(e)}`);
    goToList();
    return;
  }
  state.segment = seg;
  $("editor-title").textContent = seg.title;
  $("editor-id").textContent = `Segment ID ${seg.id}`;
  $("editor-id").hidden = false;
  $("editor-archived").hidden = !seg.archived;
  $("archive").hidden = seg.archived;
  $("title").value = seg.title;
  state.loading = true;
  editor.setText(seg.rule);
  if (check.form) form.set(check.form);
  state.loading = false;
  selectTab(check.form ? "form" : "rule");
  refresh();
  loadHistory(seg.id);
}

async function loadHistory(id) {
  try {
    const { versions } = await api.versions(id);
    drawHistory($("history"), versions, (from, to) => api.versionDiff(id, from, to));
    $("history-box").hidden = false;
  } catch (e) {
    banner(`The version history could not be read: ${describe(e)}`);
  }
}

async function save() {
  const status = $("save-status");
  status.classList.remove("bad");
  const title = $("title").value.trim();
  $("title-error").hidden = title !== "";
  if (!title) { $("title").focus(); return; }
  if (state.view === "rule" && state.lastCount && !state.lastCount.ok) {
    status.classList.add("bad");
    status.textContent = "Not saved: the rule has errors (see the diagnostics).";
    return;
  }
  if (state.view === "form") {
    const problems = form.problems();
    if (problems.length) {
      form.showProblems();
      status.classList.add("bad");
      status.textContent = problems.join(". ");
      return;
    }
  }
  const body = { title, ...currentRule() };
  $("save").disabled = true;
  try {
    const answer = state.segment
      ? await api.update(state.segment.id, { ...body, version: state.segment.version })
      : await api.create(body);
    if (!answer.ok) {
      status.classList.add("bad");
      status.textContent = "Not saved: the rule has errors (see the diagnostics).";
      if (body.rule !== undefined) drawDiagnostics(body.rule, answer.diagnostics);
      return;
    }
    const seg = answer.segment;
    // Saved, but the membership could not take it yet (a full disk): its count in the table
    // is behind until the service's retry succeeds.
    const behind = answer.membership?.updated === false
      ? ` Its live count is behind (${answer.membership.error}); the service keeps trying.` : "";
    goToList(seg.id, `Saved “${seg.title}”: Segment ID ${seg.id}, version ${seg.version}, ${formatCount(seg.clients)} members.${behind}`);
  } catch (e) {
    status.classList.add("bad");
    status.textContent = e.code === "stale_version"
      ? "Not saved: someone changed this segment since you opened it. Reopen it to see their version."
      : `Not saved: ${describe(e)}`;
  } finally {
    updateSaveButton();
  }
}

async function archive() {
  const seg = state.segment;
  try {
    await api.archive(seg.id, seg.version);
    goToList(undefined, `Archived “${seg.title}” (Segment ID ${seg.id}); “Show archived” lists it.`);
  } catch (e) {
    $("save-status").classList.add("bad");
    $("save-status").textContent = e.code === "stale_version"
      ? "Not archived: someone changed this segment since you opened it." : `Not archived: ${describe(e)}`;
  }
}

// ---- routing ----

// What the table shows when it opens next: the row to bring into view and a message.
let pendingList = {};
function goToList(flash, message) {
  pendingList = { flash, message };
  if (location.hash === "#/" || location.hash === "") route();
  else location.hash = "#/";
}

async function showList() {
  const { flash, message } = pendingList;
  pendingList = {};
  $("editor-view").hidden = true;
  $("list-view").hidden = false;
  statusNote = message || "";
  await loadTable(flash);
  if (message) $("list-status").textContent = message;
}

function route() {
  const h = location.hash || "#/";
  const m = h.match(/^#\/segments\/(\d+)$/);
  if (h === "#/new") openEditor(null);
  else if (m) openEditor(Number(m[1]));
  else showList();
}

// ---- start ----

function wire() {
  $("search").addEventListener("input", (e) => table.search(e.target.value));
  $("show-archived").addEventListener("change", () => loadTable());
  $("title").addEventListener("input", () => { $("title-error").hidden = true; });
  $("tab-form").addEventListener("click", () => switchTo("form"));
  $("tab-rule").addEventListener("click", () => switchTo("rule"));
  // Arrow keys move between the tabs, as a tablist does.
  for (const id of ["tab-form", "tab-rule"])
    $(id).addEventListener("keydown", (e) => {
      if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
      const next = id === "tab-form" ? "tab-rule" : "tab-form";
      $(next).focus();
      switchTo(next === "tab-form" ? "form" : "rule");
    });
  $("save").addEventListener("click", save);
  $("archive").addEventListener("click", () => { $("archive-confirm").hidden = false; $("archive-confirm").focus(); });
  $("archive-confirm").addEventListener("click", archive);
  window.addEventListener("hashchange", route);
  whenUnauthorized(() => { $("token-form").hidden = false; $("token").focus(); });
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setToken($("token").value);
    location.reload();
  });
}

async function start() {
  table = createTable({ scroller: $("rows"), spacer: $("rows-spacer"), table: $("table"), status: $("list-status") });
  wire();
  let schema;
  try {
    schema = await api.schema();
  } catch (e) {
    banner(`The service cannot be read: ${describe(e)}`);
    return;
  }
  state.schema = schema;
  state.rows = schema.rows;
  showClients(schema);
  const names = new Set();
  for (const f of schema.fields) { names.add(f.name); for (const a of f.aliases) names.add(a.toLowerCase()); }
  form = createForm(schema, refresh);
  editor = createEditor($("code"), { fieldNames: names, onChange: refresh, label: "Rule" });
  route();
}

start();
