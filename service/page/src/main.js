// The Segments page (docs/page.md): the segments table, the creation form and the rule editor
// with live counts, over the service's API. Routes are hashes: #/ the table, #/new a new
// segment, #/segments/ID one segment. The markup is index.html; this wires it.
import { api, ApiError, whenUnauthorized, setToken, hasToken } from "./api.js";
import { $, el, formatCount, formatWhen, quoted } from "./dom.js";
import { createTable } from "./table.js";
import { createForm } from "./form.js";
import { createEditor, fixLabel } from "./editor.js";
import { drawHistory } from "./history.js";
import { latestOnly } from "./latest.js";

const state = {
  schema: null,
  rows: 0,
  view: "form",       // the tab shown: "form" or "rule"
  segment: null,      // the saved segment being edited (null for a new one)
  lastCount: null,    // the newest /api/count answer shown, {key: its body as JSON, answer}
  loading: false,     // true while a segment's values are put into the controls
  saving: false,      // true from a click on Save until its answer (one save at a time)
  routes: 0,          // views shown so far: the first (the page's load) does not move focus
  dirty: false,       // an edit not saved yet (mayLeave asks before it is lost)
  labels: new Map(),  // field -> (dictionary key -> label), for the first members' cells
};

// Live counts of typed text wait this long after the last key: one count per pause, so the
// count does not flicker and no error shows for a word still being typed.
const TYPING_PAUSE_MS = 250;

let table, form, editor;

function banner(message) {
  const b = $("banner");
  b.textContent = message || "";
  b.hidden = !message;
}

function describe(e) {
  return e instanceof ApiError ? e.message : String(e);
}

// A failure that passes by itself (the service unreachable, stopping or starting): asked
// again every RETRY_MS while its view shows, and the message says so.
const RETRY_MS = 5000;
function transient(e) {
  return e instanceof ApiError && (e.status === 0 || e.status >= 500);
}

// ---- the segments table ----

// After a start or a reload the service counts saved segments in the background: while some
// are pending, the table asks again every second and fills them in, for as long as it shows.
let pendingTimer = 0;
let statusNote = "";  // what the last save said ("Saved … Segment ID 7"), until the table is left
let listNotice = "";  // why the table shows instead of what was asked ("There is no segment 9")
async function loadTable(flash, refresh = false) {
  clearTimeout(pendingTimer);
  // Said while the first listing is on its way (a slow service showed bare headers).
  if (!refresh && table.size === 0) {
    $("list-status").textContent = "Loading the segments…";
    $("list-status").dataset.kind = "count";
  }
  try {
    const answer = await api.list($("show-archived").checked);
    table.set(answer.segments, { flash, refresh });
    // The row just saved is shown, whatever was searched before: a search left from before
    // the editor (for the segment opened, under its old title, or another one) would hide it
    // behind the highlight meant to show it. Cleared only when it hides the row, and said.
    const query = $("search").value.trim();
    if (flash !== undefined && !refresh && query !== "" && !table.shows(flash)) {
      $("search").value = "";
      table.search("");
      statusNote += ` The search “${query}” hid it and was cleared.`;
    }
    // A refresh (counts filled in, the membership moved) keeps what the last save said.
    if (refresh && statusNote) listMessage(statusNote);
    if (flash !== undefined) table.reveal(flash);
    // With a membership whose counts are behind the catalog (a save it could not log yet, or
    // a change that failed part way), the table says so until they are not.
    // The notice the table opened with stays with it.
    banner([listNotice, answer.membership_problem ? `Member counts are behind: ${answer.membership_problem}` : ""]
      .filter(Boolean).join(" "));
    if (answer.pending > 0)
      pendingTimer = setTimeout(() => { if (!$("list-view").hidden) loadTable(undefined, true); }, 1000);
    if (answer.membership_version !== undefined) {
      showClients(answer);
      followMembership(answer.membership_version);
    }
  } catch (e) {
    // A service restarting or out of reach comes back by itself: asked again, as the schema
    // is (the banner said "the service is stopping" until something was clicked; a review).
    if (transient(e)) {
      banner(`The segments could not be listed: ${describe(e)}. The page tries again every 5 seconds.`);
      pendingTimer = setTimeout(() => { if (!$("list-view").hidden) loadTable(undefined, true); }, RETRY_MS);
    } else {
      banner(`The segments could not be listed: ${describe(e)}`);
    }
  }
}

// What the last save or archive said, in the success colour (the table's own "N segments"
// is muted).
function listMessage(text) {
  const status = $("list-status");
  status.textContent = text;
  delete status.dataset.kind;
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
// members, and so are the editor's count, clauses and first members: the page waits for the
// membership's next version (a long poll) and, when one comes, lists again or counts the
// edited rule again, so the figures follow changes as they are applied (the editor's stayed
// as they were until the next edit; a review). One follower at a time, for one version: a
// count answering at the version already followed starts none (each would hold a request).
let following = 0, followed = null;
async function followMembership(version) {
  if (followed === version) return;
  const me = ++following;
  followed = version;
  let away = false;  // the service could not be reached at the last try
  for (;;) {
    if (me !== following) return;
    try {
      // Back from a failure, the first try must not wait: a restarted service at the same
      // version would hold it for the whole wait, and the banner stayed 25 s after it answered.
      const m = await api.membership(version, away ? 0 : 25);
      if (me !== following) return;
      if (m.version !== version || m.instance !== state.instance || away) {
        // A new version, another start of the service (its versions are its own: the
        // answer resets the header, see showClients), or the service back after a failure:
        // listed or counted again, which follows again from the version it answers at.
        followed = null;
        membershipMoved(away);
        return;
      }
    } catch (e) {
      // The service is away: said (the table sat on old counts without a word while it was
      // stopped; a review), and tried again later.
      if (me !== following) return;
      away = true;
      banner(`The service cannot be reached: ${describe(e)}. The page tries again every 5 seconds; the figures shown may be behind.`);
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}
function membershipMoved(wasAway) {
  if (!$("list-view").hidden) {
    loadTable(undefined, true);  // its banner() says what stands now
  } else if (!$("editor-view").hidden) {
    if (wasAway) banner("");
    refresh();  // its answer follows from the version it is counted at
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
    node.op === "and" || node.op === "or" ? el("em", {}, node.op === "and" ? "match all of" : "match any of") : el("code", {}, node.label),
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
    el("tbody", {}, preview.rows.map((r) => el("tr", {}, cols.map((c, i) => el("td", {}, cellLabel(c, r[i])))))));
}

// A printed cell with the schema's labels for dictionary keys, as the form shows them ("Not
// processed" for NotProcessed); a set's keys are printed joined by "|".
function cellLabel(column, cell) {
  const labels = state.labels.get(column);
  if (!labels || !cell) return cell;
  if (labels.isSet) return cell.split("|").map((k) => labels.get(k) ?? k).join(", ");
  return labels.get(cell) ?? cell;
}

function drawDiagnostics(text, diagnostics) {
  const list = $("rule-diagnostics");
  const items = (diagnostics || []).map((d) => el("li", { class: d.severity },
    el("code", {}, d.code), d.line ? el("span", { class: "muted" }, `${d.line}:${d.column}`) : null,
    el("span", {}, quoted(d.message)), d.suggestion ? el("span", { class: "muted" }, quoted(d.suggestion)) : null,
    d.fix !== undefined ? el("button", { type: "button", class: "fix", onclick: () => editor.applyFix(text, d) }, fixLabel(d.fix)) : null));
  list.replaceChildren(...items);
}

// In the rule view, says (before anyone tries) when the form cannot show the rule, and why.
function showFormAvailability(answer) {
  const note = $("form-unavailable");
  if (answer && answer.form_unavailable) {
    note.textContent = `The form cannot show this rule: ${answer.form_unavailable}.${state.segment?.archived ? "" : " Edit it as a rule."}`;
    note.hidden = state.view !== "rule";
  } else {
    note.hidden = true;
  }
}

// One request per edit: the count checks too (`check: true`), answering a rule with errors
// with its diagnostics and 200, so a person typing leaves no failed requests behind
// (docs/decisions.md 30).
// While a count is on its way for longer than a glance, the figures shown are the rule's before
// the edit: they are dimmed and said to be counting (a slow service showed the old count, its
// clauses and members as the new rule's; found by a review). Not at once: most counts come
// within a frame or two, and the figures would flicker on every key.
let countingTimer = 0;
let countRetry = 0;  // a count asked again after a failure that passes by itself
function counting(on, after = 150) {
  clearTimeout(countingTimer);
  const live = $("live-results");
  if (!on) { live.classList.remove("counting"); live.removeAttribute("aria-busy"); return; }
  countingTimer = setTimeout(() => {
    live.classList.add("counting");
    live.setAttribute("aria-busy", "true");
    // "Choose at least one tag" (or an error) was said of the rule before: not of this one.
    if ($("count").textContent === "–") $("count-detail").textContent = "";
  }, after);
}

const liveCount = latestOnly(
  async (what) => ({ what, answer: await api.count(what.body) }),
  (result, error) => {
    const count = $("count"), detail = $("count-detail");
    delete count.dataset.pending;  // only the newest state's answer (or failure) comes here
    counting(false);
    if (error) {
      state.lastCount = null;
      count.textContent = "–";
      count.classList.add("stale");
      detail.textContent = `No count: ${describe(error)}${transient(error) ? ". The page tries again every 5 seconds." : ""}`;
      if (transient(error)) countRetry = setTimeout(() => { if (!$("editor-view").hidden) refresh(); }, RETRY_MS);
      // The previous rule's figures (and the form's errors) would read as this one's.
      $("clauses").replaceChildren();
      drawPreview(null);
      form.showErrors([]);
      form.showUnknownPlayers(null);
      showChange(null);
      return;
    }
    const { what, answer } = result;
    state.lastCount = { key: JSON.stringify(what.body), answer };
    const errors = (answer.diagnostics || []).filter((d) => d.severity === "error");
    if (what.body.rule !== undefined) {
      editor.showDiagnostics(what.body.rule, answer.diagnostics || []);
      drawDiagnostics(what.body.rule, answer.diagnostics || []);
    }
    // A form's errors go under their fields (E404 under Players); any of no field is said here.
    const unplaced = what.body.form ? form.showErrors(errors) : [];
    // Pasted player ids that no client has (the count of a form names them: players_unknown).
    form.showUnknownPlayers(what.body.form && answer.ok ? answer.players_unknown : null);
    if (!answer.ok) {
      count.textContent = "–";
      count.classList.add("stale");
      detail.textContent = `The ${what.body.rule !== undefined ? "rule" : "form"} has ${errors.length} error${errors.length === 1 ? "" : "s"}` +
        (what.body.form ? (unplaced.length ? `: ${unplaced.map((d) => d.message).join("; ")}` : " (shown by its fields)") : "");
      $("clauses").replaceChildren();
      drawPreview(null);
      showFormAvailability(null);
      showChange(null);
      return;
    }
    if (saveProblem === "errors") sayNotSaved("");  // the errors it named are gone
    // A save the service could not be reached for: it answers again (the message that it
    // could not be reached stayed until the next save; a review).
    if (saveProblem === "away") sayNotSaved("Not saved: the service could not be reached. It answers again now: save again.", "away");
    count.classList.remove("stale");
    count.textContent = formatCount(answer.count);
    count.dataset.count = String(answer.count);
    // A few members of many are "<0.1%", not "0.0%" (which read as none; a review).
    const share = answer.count > 0 && answer.share < 0.0005 ? "<0.1" : (answer.share * 100).toFixed(1);
    detail.textContent = `of ${formatCount(answer.rows_total)} clients (${share}%), ${answer.elapsed_ms.toFixed(1)} ms`;
    if (answer.membership_version !== undefined) {
      showClients(answer);
      followMembership(answer.membership_version);
    }
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

// `typing`: the change is text being typed (the rule, the players), counted after a pause.
function refresh(typing = false) {
  if (state.loading) return;
  clearTimeout(countRetry);
  // Until the newest state's answer is shown the count is pending (`data-pending`; the
  // browser test waits on it instead of on a clock).
  const body = currentRule();
  $("tab-note").hidden = true;  // said of the form as it was
  // "Choose at least one tag" next to the button goes once a tag is chosen.
  if (saveProblem === "form" && state.view === "form") {
    const problems = form.problems();
    if (!problems.length) sayNotSaved("");
    else $("save-status").textContent = problems.join(". ");
  }
  // A form without a tag is not a segment (the CRM requires one; the library says E608), and
  // an empty rule is one not typed yet (it was a red E110 before a key was pressed; a
  // review): say what is missing instead of asking for a count that can only be an error.
  const missing = body.form && !(body.form.tags || []).length ? "Choose at least one tag to count the segment"
    : body.rule !== undefined && body.rule.trim() === "" ? "Type a rule to count its clients" : "";
  if (missing) {
    liveCount.cancel();
    counting(false);
    delete $("count").dataset.pending;
    $("count").textContent = "–";
    $("count").classList.add("stale");
    $("count-detail").textContent = missing;
    $("clauses").replaceChildren();
    drawPreview(null);
    showChange(null);
    form.showErrors([]);
    form.showUnknownPlayers(null);
    if (body.rule !== undefined) {
      editor.showDiagnostics(body.rule, []);
      drawDiagnostics(body.rule, []);
    }
    updateSaveButton();
    return;
  }
  $("count").dataset.pending = "true";
  counting(true, (typing ? TYPING_PAUSE_MS : 0) + 150);
  liveCount({ body, editedAt: performance.now() }, typing ? TYPING_PAUSE_MS : 0);
  updateSaveButton();
}

// What the save status says when a save was refused: `kind` "form" (the form's own checks,
// said again on each change and cleared when met), "errors" (the rule's or form's errors,
// cleared by the next count without them), or null (a message that stays).
let saveProblem = null;
function sayNotSaved(text, kind = null) {
  const status = $("save-status");
  status.textContent = text;
  status.classList.toggle("bad", text !== "");
  saveProblem = text ? kind : null;
  $("reopen").hidden = kind !== "stale";
}

// Someone saved the segment since it was opened (409 `stale_version`): "Open their version"
// opens it as saved now, after asking, since the edits here are lost (the message said
// "Reopen it" with nothing to click; a review).
async function reopen() {
  if (!state.segment) return;
  if (state.dirty && !confirm("Open the version saved now? Your changes here will be lost.")) return;
  state.dirty = false;
  await openEditor(state.segment.id);
}

function updateSaveButton() {
  // An archived segment is read-only (the service answers 409 `archived` to an edit): no Save.
  const archived = !!state.segment?.archived;
  $("save").hidden = archived;
  $("save").disabled = archived || state.saving;
  $("save").textContent = state.segment ? "Save changes" : "Add segment";
}

// An archived segment opened (from "Show archived") reads as what it is: a notice that says
// so, every field and the rule shown but not editable, no Save and no Archive. What the API
// still does for it stays: its count, first members, the members' download and its history.
// Restore (POST /api/segments/{id}/restore) undoes an archive: a new version, editable again.
function setArchivedView(seg) {
  const archived = !!seg?.archived;
  const note = $("archived-note");
  note.hidden = !archived;
  $("restore").disabled = false;
  $("archived-text").textContent = archived
    ? `Archived${seg.updated_at ? ` on ${formatWhen(seg.updated_at)}` : ""}: this segment is read-only. ` +
      "Its rule, members and version history stay readable here; Restore makes it a segment again."
    : "";
  $("editor-archived").hidden = !archived;
  $("rule-hint").hidden = archived;  // completion: nothing to complete in a read-only rule
  $("title").readOnly = archived;
  form.setReadOnly(archived);
  editor.setReadOnly(archived);
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
  $("tab-note").hidden = true;
  if (isForm) $("form-unavailable").hidden = true;
}

// Why the view asked for cannot be shown, under the tabs.
function tabNote(text) {
  $("tab-note").textContent = text;
  $("tab-note").hidden = false;
}

// The form's rule as canonical text, of the form as it is now (the newest count's when it
// counted this form, else asked): null, having said why, when there is none.
async function formRuleText() {
  if (form.isEmpty()) return "";  // nothing chosen yet: a rule is started from nothing
  for (;;) {
    const body = { form: form.value() }, key = JSON.stringify(body);
    let answer = state.lastCount?.key === key ? state.lastCount.answer : null;
    if (!answer) {
      try {
        answer = await api.check(body);
      } catch (e) {
        tabNote(`The form could not be turned into a rule: ${describe(e)}.`);
        return null;
      }
    }
    if (JSON.stringify({ form: form.value() }) !== key) continue;  // changed meanwhile: ask again
    if (!answer.ok || answer.text === undefined) {
      const errors = (answer.diagnostics || []).filter((d) => d.severity === "error");
      const unplaced = form.showErrors(errors);
      const one = errors.length === 1;
      tabNote(`The form has ${one ? "an error" : "errors"} (${unplaced.length ? unplaced.map((d) => d.message).join("; ") : "shown by its fields"}): ` +
        `fix ${one ? "it" : "them"} to see the form as a rule.`);
      return null;
    }
    return answer.text;
  }
}

async function switchTo(view) {
  if (view === state.view) return;
  if (view === "rule") {
    const text = await formRuleText();
    if (text === null || state.view === "rule") return;
    selectTab("rule");
    state.loading = true;
    editor.setText(text);
    state.loading = false;
    refresh();
    return;
  }
  // Rule -> form: only when the rule has the form's shape; otherwise say why and stay. No
  // rule yet is an empty form.
  if (editor.text().trim() === "") {
    state.loading = true;
    form.set({ stages: [], tags: [] });
    state.loading = false;
    selectTab("form");
    refresh();
    return;
  }
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
    note.textContent = `The form cannot show this rule: ${answer.form_unavailable}.${state.segment?.archived ? "" : " Edit it as a rule."}`;
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

// A new view's heading takes the focus, so a screen reader says where it is (not on the
// page's first view: the browser starts at the top anyway).
function focusHeading(id) {
  if (state.routes > 1) $(id).focus();
}

async function openEditor(id) {
  listNotice = "";
  banner("");
  $("list-view").hidden = true;
  $("editor-view").hidden = false;
  sayNotSaved("");
  askArchive(false);
  showTitleProblem("");
  $("rule-diagnostics").replaceChildren();
  state.segment = null;
  state.lastCount = null;
  showChange(null);
  if (id === null) {
    $("editor-title").textContent = "New segment";
    $("editor-id").hidden = true;
    setArchivedView(null);
    $("archive").hidden = true;
    $("download-row").hidden = true;
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
    goToList(undefined, undefined, e.status === 404 ? `There is no segment ${id}.` : `Segment ${id} could not be opened: ${describe(e)}`);
    return;
  }
  state.segment = seg;
  $("editor-title").textContent = seg.title;
  $("editor-id").textContent = `Segment ID ${seg.id}`;
  $("editor-id").hidden = false;
  setArchivedView(seg);
  $("archive").hidden = seg.archived;
  $("download-row").hidden = false;
  $("download-status").textContent = "";
  $("title").value = seg.title;
  // A segment written as a rule opens as it was typed (`source`: its comments and lines);
  // `rule` is the canonical text the service made of it.
  const typed = seg.origin === "text" && typeof seg.source === "string" && seg.source.trim() !== "";
  state.loading = true;
  editor.setText(typed ? seg.source : seg.rule);
  if (check.form) form.set(check.form);
  state.loading = false;
  selectTab(check.form && !typed ? "form" : "rule");
  refresh();
  focusHeading("editor-title");
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

// The title as the service takes it (docs/service.md): one line of at most 1,000 bytes
// without control characters, said under Title before a save is tried (the service's own
// wording came next to Save, and nothing said bytes; a review). A tab or line end pasted
// from a spreadsheet becomes a space as it is typed.
const TITLE_BYTES = 1000;
function titleProblem(t) {
  // Spaces, and characters that show nothing (a zero-width space, a soft hyphen), are no
  // title: one of only U+200B was saved, its link in the table invisible (a review).
  if (!t.replace(/[\p{White_Space}\p{Cf}\p{Z}]/gu, "")) return "A segment needs a title";
  if (/[\u0000-\u001f\u007f-\u009f]/.test(t)) return "A title cannot hold control characters";
  const bytes = new TextEncoder().encode(t).length;
  return bytes <= TITLE_BYTES ? ""
    : `A title is at most ${formatCount(TITLE_BYTES)} bytes; this one is ${formatCount(bytes)} (a letter outside Latin takes two or more)`;
}
function showTitleProblem(text) {
  $("title-error").textContent = text;
  $("title-error").hidden = !text;
  if (text) $("title").setAttribute("aria-invalid", "true");
  else $("title").removeAttribute("aria-invalid");
}
function titleEdited() {
  const t = $("title");
  if (/[\t\r\n]/.test(t.value)) {
    const at = t.selectionStart;
    t.value = t.value.replace(/[\t\r\n]/g, " ");
    t.setSelectionRange(at, at);
  }
  edited();
  const problem = titleProblem(t.value.trim());
  // An empty title is said on Save, not while the person is still to type one.
  showTitleProblem(t.value.trim() === "" ? "" : problem);
}

async function save() {
  const title = $("title").value.trim();
  // Every problem the page can see is said at once (an empty title hid a missing tag until
  // the next try), and the focus goes to the first field to fix.
  const problem = titleProblem(title);
  showTitleProblem(problem);
  const problems = state.view === "form" ? form.problems() : [];
  const toFix = problems.length ? form.showProblems() : null;
  if (problems.length) sayNotSaved(problems.join(". "), "form");
  if (problem) { $("title").focus(); return; }
  if (problems.length) { toFix?.focus(); return; }
  state.saving = true;
  $("save").disabled = true;
  // While the save is on its way the fields hold still: edits made then were not in it and
  // were lost when the page went back to the table (a review). The route shown now says
  // whether the person is still here when the answer comes.
  holdStill(true);
  const shownAt = shownHash;
  try {
    // Judged by the count of the rule as it is now: one still on its way (a fix just applied,
    // a pause not yet over) is waited for, never an older answer taken for it.
    sayNotSaved("");
    $("save-status").textContent = "Checking…";
    await liveCount.idle();
    $("save-status").textContent = "";
    const body = { title, ...currentRule() };
    const counted = state.lastCount?.key === JSON.stringify(currentRule()) ? state.lastCount.answer : null;
    if (counted && !counted.ok) {
      sayNotSaved(state.view === "rule" ? "Not saved: the rule has errors (see the diagnostics)."
        : "Not saved: the form has errors (shown by their fields).", "errors");
      return;
    }
    sayNotSaved("");
    $("save-status").textContent = "Saving…";
    const answer = state.segment
      ? await api.update(state.segment.id, { ...body, version: state.segment.version })
      : await api.create(body);
    if (shownAt !== shownHash) {
      // Left while it was on its way (after being asked): the view shown now is another's, and
      // stays; the banner says how the save ended.
      banner(answer.ok ? `Saved “${answer.segment.title}”: Segment ID ${answer.segment.id}, version ${answer.segment.version}.`
        : `“${title}” was not saved: it has errors. Open it again to fix them.`);
      return;
    }
    $("save-status").textContent = "";
    if (!answer.ok) {
      if (body.rule !== undefined) {
        sayNotSaved("Not saved: the rule has errors (see the diagnostics).", "errors");
        drawDiagnostics(body.rule, answer.diagnostics);
      } else {
        const unplaced = form.showErrors((answer.diagnostics || []).filter((d) => d.severity === "error"));
        sayNotSaved(`Not saved: the form has errors (${unplaced.length ? unplaced.map((d) => d.message).join("; ") : "shown by their fields"}).`, "errors");
      }
      return;
    }
    const seg = answer.segment;
    // Saved, but the membership could not take it yet (a full disk): its count in the table
    // is behind until the service's retry succeeds.
    const behind = answer.membership?.updated === false
      ? ` Its live count is behind (${answer.membership.error}); the service keeps trying.` : "";
    goToList(seg.id, `Saved “${seg.title}”: Segment ID ${seg.id}, version ${seg.version}, ${formatCount(seg.clients)} members.${behind}`);
  } catch (e) {
    if (shownAt !== shownHash) banner(`“${title}” was not saved: ${describe(e)}. Its edits are lost; open it again to redo them.`);
    else if (e.code === "stale_version") sayNotSaved(await whyStale("Not saved"), "stale");
    else sayNotSaved(`Not saved: ${describe(e)}`, transient(e) ? "away" : null);
  } finally {
    state.saving = false;
    if (shownAt === shownHash) holdStill(false);
    updateSaveButton();
  }
}

// The title, the form and the rule take no edit while a save is on its way (an archived
// segment's stay read-only after it).
function holdStill(on) {
  const locked = on || !!state.segment?.archived;
  $("title").readOnly = locked;
  form.setReadOnly(locked);
  editor.setReadOnly(locked);
}

// Someone saved the segment since it was opened (409 stale_version): archived since, or
// changed (an archive in another tab was said as a change; a review).
async function whyStale(what) {
  try {
    const now = (await api.get(state.segment.id)).segment;
    if (now.archived) return `${what}: this segment was archived since you opened it.`;
  } catch (e) { /* said as a change below */ }
  return `${what}: someone changed this segment since you opened it.`;
}

// "Archive" asks once more, with what archiving does, a Cancel and Escape to back out.
function askArchive(asking) {
  $("archive-ask").hidden = !asking;
  $("archive").hidden = asking || !state.segment || state.segment.archived;
  if (asking) $("archive-confirm").focus();
}

// The saved segment's members as a CSV file (its saved rule, as the service counts it now:
// edits not yet saved are not in it, which the button's place under the saved figures says).
async function downloadMembers() {
  const seg = state.segment;
  if (!seg) return;
  $("download").disabled = true;
  $("download-status").textContent = "Preparing…";
  try {
    const { blob, count } = await api.members(seg.id);
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `segment-${seg.id}-members.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    $("download-status").textContent = `${Number.isFinite(count) ? formatCount(count) : "The"} members downloaded.`;
  } catch (e) {
    $("download-status").textContent = `Not downloaded: ${describe(e)}`;
  } finally {
    $("download").disabled = false;
  }
}

async function archive() {
  const seg = state.segment;
  // One DELETE: a second click while it is out would name a version that is gone (409).
  for (const id of ["archive-confirm", "archive-cancel"]) $(id).disabled = true;
  try {
    await api.archive(seg.id, seg.version);
    goToList(undefined, `Archived “${seg.title}” (Segment ID ${seg.id}); “Show archived” lists it.`);
  } catch (e) {
    if (e.code === "stale_version") sayNotSaved(await whyStale("Not archived"), "stale");
    else sayNotSaved(`Not archived: ${describe(e)}`);
  } finally {
    for (const id of ["archive-confirm", "archive-cancel"]) $(id).disabled = false;
  }
}

async function restore() {
  const seg = state.segment;
  $("restore").disabled = true;  // one POST: a second would name a version that is gone (409)
  try {
    await api.restore(seg.id, seg.version);
    goToList(seg.id, `Restored “${seg.title}” (Segment ID ${seg.id}): it is a segment again, counted and editable.`);
  } catch (e) {
    $("restore").disabled = false;
    if (e.code === "stale_version") sayNotSaved("Not restored: someone changed this segment since you opened it.", "stale");
    else sayNotSaved(`Not restored: ${describe(e)}`);
  }
}

// ---- routing ----

// What the table shows when it opens next: the row to bring into view, a message, and a
// notice for the banner (why the table shows instead of what was asked).
let pendingList = {};
function goToList(flash, message, notice) {
  state.dirty = false;  // saved, archived or restored: the page leaves on purpose
  pendingList = { flash, message, notice };
  if (location.hash === "#/" || location.hash === "") route();
  else location.hash = "#/";
}

async function showList() {
  const { flash, message, notice } = pendingList;
  pendingList = {};
  $("editor-view").hidden = true;
  $("list-view").hidden = false;
  focusHeading("list-title");
  statusNote = message || "";
  listNotice = notice || "";
  banner(listNotice);
  await loadTable(flash);
  if (message) listMessage(statusNote);  // the message, and whether a search was cleared to show the row
}

// ---- unsaved edits ----
// An edit of the title, the form or the rule since the editor opened (or the last save) is
// unsaved: leaving the editor asks first, and closing or reloading the page gets the
// browser's own prompt (edits were thrown away without a word; found by a review). Values
// the page puts into the controls itself (state.loading) are not edits.
function edited() {
  if (!state.loading && !$("editor-view").hidden && !state.segment?.archived) state.dirty = true;
}
let shownHash = "";  // the route shown now
let returning = false;  // a refused leave is going back in the history to the route shown
function mayLeave(h) {
  if (!state.dirty || $("editor-view").hidden || h === shownHash) return true;
  const question = state.saving
    ? "Your changes are still being saved. Leave now? The page says how the save ends; if it fails, the changes are lost."
    : "Leave this segment without saving? Your changes will be lost.";
  if (confirm(question)) return true;
  // Stays, and the history goes back to where it was: a new entry (a link) is stepped back
  // from, a step back or forward (an entry stamped when shown) is undone. Replacing the
  // address left a second entry for this segment, so Back did nothing once (a review).
  const stamp = history.state?.shown;
  returning = true;
  if (stamp !== undefined && stamp < shownStamp) history.forward();
  else history.back();
  return false;
}
let shownStamp = 0;  // when the route shown now was first shown (its history entry's stamp)

function route() {
  if (!form) return;  // the schema has not loaded yet: start() routes once it has
  const h = location.hash || "#/";
  if (returning && h === shownHash) { returning = false; return; }  // back where it was: nothing to show again
  if (!mayLeave(h)) return;
  // Each entry is stamped when first shown, so a later refused leave knows which way it came.
  if (history.state?.shown === undefined) history.replaceState({ shown: performance.timeOrigin + performance.now() }, "");
  shownStamp = history.state.shown;
  state.dirty = false;
  shownHash = h;
  state.routes += 1;
  const m = h.match(/^#\/segments\/(\d+)$/);
  if (h === "#/new") openEditor(null);
  else if (m) openEditor(Number(m[1]));
  else showList();
}

// ---- start ----

function wire() {
  $("search").addEventListener("input", (e) => table.search(e.target.value));
  $("show-archived").addEventListener("change", () => loadTable());
  $("title").addEventListener("input", titleEdited);
  window.addEventListener("beforeunload", (e) => {
    if (state.dirty && !$("editor-view").hidden) e.preventDefault();
  });
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
  $("reopen").addEventListener("click", reopen);
  $("archive").addEventListener("click", () => askArchive(true));
  $("download").addEventListener("click", downloadMembers);
  $("archive-confirm").addEventListener("click", archive);
  $("restore").addEventListener("click", restore);
  $("archive-cancel").addEventListener("click", () => { askArchive(false); $("archive").focus(); });
  $("archive-ask").addEventListener("keydown", (e) => {
    if (e.key !== "Escape" || $("archive-cancel").disabled) return;
    askArchive(false);
    $("archive").focus();
  });
  // Until the schema has loaded there is no form to open (the link stays, inert).
  $("create").addEventListener("click", (e) => { if (!form) e.preventDefault(); });
  window.addEventListener("hashchange", route);
  whenUnauthorized(() => { $("token-form").hidden = false; $("token").focus(); });
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setToken($("token").value);
    location.reload();
  });
}

// The schema, asked again every 5 s while the service cannot be reached; null when it needs a
// token (the token form reloads the page).
async function loadSchema() {
  for (;;) {
    try {
      return await api.schema();
    } catch (e) {
      if (e.status === 401) {
        banner(hasToken() ? "That token was not accepted. Enter the service's token again."
          : "This service needs a token: enter it below.");
        return null;
      }
      banner(`The service cannot be read: ${describe(e)}. The page tries again every 5 seconds.`);
      await new Promise((r) => setTimeout(r, 5000));
    }
  }
}

async function start() {
  table = createTable({ scroller: $("rows"), spacer: $("rows-spacer"), table: $("table"), status: $("list-status") });
  wire();
  $("create").setAttribute("aria-disabled", "true");
  const schema = await loadSchema();
  if (!schema) return;
  banner("");
  $("create").removeAttribute("aria-disabled");
  state.schema = schema;
  state.rows = schema.rows;
  showClients(schema);
  const names = new Set();
  for (const f of schema.fields) {
    names.add(f.name);
    for (const a of f.aliases) names.add(a.toLowerCase());
    const labels = new Map((f.values || []).filter((v) => v.label && v.label !== v.key).map((v) => [v.key, v.label]));
    if (f.values?.length) { labels.isSet = f.type === "set"; state.labels.set(f.name, labels); }
  }
  form = createForm(schema, (typing) => { edited(); refresh(typing); });
  editor = createEditor($("code"), { fieldNames: names, onChange: () => { edited(); refresh(true); }, label: "Rule" });
  route();
}

start();
