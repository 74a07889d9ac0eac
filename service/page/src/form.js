// The creation form as the CRM has it: Title; Stages (any of, in funnel order, with their
// labels); Players (optional ids, pasted many at once); Spot; Tags (at least one, any of;
// searchable). It reads and writes the service's form JSON ({stages, players, spot, tags}),
// and shows the service's errors for it under their fields. `onChange(typing)` is told of
// every change (`typing`: text being typed, worth a pause before counting).
import { el, $, formatCount } from "./dom.js";

const INT64_MAX = 9223372036854775807n;
// "12, 13\n14" -> ids and the tokens that are not ids. Ids past 2^53 are BigInts, exact to
// 2^63 - 1 (api.js writes them as their digits; a Number rounded 9007199254740993 to ...992),
// the others Numbers.
// The last text read and what it gave: the form reads Players for the hint, its value, its
// problems and the save, so 100,000 pasted ids were read four times over (a review).
let lastPlayers = { text: null, result: null };
export function parsePlayers(text) {
  if (text === lastPlayers.text) return lastPlayers.result;
  const ids = [], bad = [];
  for (const tok of text.split(/[\s,;]+/)) {
    if (!tok) continue;
    if (!/^\d{1,19}$/.test(tok)) {
      bad.push(tok);
    } else if (tok.length <= 15) {
      ids.push(Number(tok));  // under 2^53: exact as a Number, and no BigInt made (half the time)
    } else {
      const id = BigInt(tok);
      if (id > INT64_MAX) bad.push(tok);
      else ids.push(id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : id);
    }
  }
  const distinct = [...new Set(ids)];
  lastPlayers = { text, result: { ids: distinct, bad, repeated: ids.length - distinct.length } };
  return lastPlayers.result;
}

export function createForm(schema, onChange) {
  const field = (name) => schema.fields.find((f) => f.name === name);
  const stageField = field("stage"), tagField = field("tags"), spotField = field("spot");
  const stageBoxes = new Map();
  const chosenTags = new Set();

  // Stages: one checkbox each, in funnel order as the schema lists them.
  for (const v of stageField.values) {
    const box = el("input", { type: "checkbox", value: v.key, onchange: () => onChange() });
    stageBoxes.set(v.key, box);
    $("stage-options").append(el("label", {}, box, v.label || v.key, el("span", { class: "n" }, formatCount(v.clients))));
  }

  // Spot: the data's range, as the CRM's drop-down.
  const spot = $("spot");
  if (spotField.range) {
    for (let s = Number(spotField.range[0]); s <= Number(spotField.range[1]) && s - Number(spotField.range[0]) < 1000; s++)
      spot.append(el("option", { value: String(s) }, String(s)));
  }
  spot.addEventListener("change", () => onChange());
  // A spot the list does not hold (the data's range when the page loaded: a segment saved
  // with another, or a spot changes brought in since) gets an option in its place, so the form
  // shows it rather than dropping it, which a title-only save then stored (a review).
  function showSpot(value) {
    const v = String(value);
    if ([...spot.options].some((o) => o.value === v)) return;
    const after = [...spot.options].find((o) => o.value !== "" && Number(o.value) > Number(v));
    spot.insertBefore(el("option", { value: v }, v), after || null);
  }

  // Tags: a searchable listbox, one Tab stop however many tags there are (262 checkboxes were
  // 262 Tab stops): a roving tabindex, arrow keys and Home/End move, Space or Enter chooses or
  // lets go; typing a letter there goes on in the search box. The chosen ones are also chips
  // that remove them (buttons, so also by keyboard).
  const tagList = $("tag-options"), tagSearch = $("tag-search");
  const tagOptions = new Map();  // key -> its option element
  let activeTag = null;          // the option holding the list's Tab stop
  let readOnly = false;          // an archived segment's form: shown, not changed
  function addTagOption(v) {
    const option = el("div", {
      role: "option", id: `tag-option-${tagOptions.size}`, tabindex: "-1", "aria-selected": "false",
      "data-tag": v.key, "data-key": v.key.toLowerCase(), "data-label": (v.label || "").toLowerCase(),
    }, v.label && v.label !== v.key ? `${v.label} (${v.key})` : v.key,
    el("span", { class: "n" }, v.clients === undefined ? "new" : formatCount(v.clients)));
    option.addEventListener("click", () => {
      setActiveTag(option, true);
      toggleTag(v.key);
    });
    tagOptions.set(v.key, option);
    tagList.append(option);
  }
  tagField.values.forEach(addTagOption);
  setActiveTag(tagList.firstElementChild, false);

  function visibleTags() { return [...tagOptions.values()].filter((o) => !o.hidden); }
  // Moves the list's one Tab stop to `option` (null: the list has none, nothing matches).
  function setActiveTag(option, focus) {
    if (activeTag) activeTag.tabIndex = -1;
    activeTag = option;
    if (!option) return;
    option.tabIndex = 0;
    if (focus) option.focus();
  }
  function toggleTag(key) {
    if (readOnly) return;
    if (chosenTags.has(key)) chosenTags.delete(key); else chosenTags.add(key);
    tagOptions.get(key).setAttribute("aria-selected", String(chosenTags.has(key)));
    drawChips();
    onChange();
  }
  tagList.addEventListener("keydown", (e) => {
    const shown = visibleTags();
    const at = shown.indexOf(activeTag);
    let to = null;
    if (e.key === "ArrowDown") to = shown[Math.min(shown.length - 1, at + 1)];
    else if (e.key === "ArrowUp") {
      if (at <= 0) { e.preventDefault(); tagSearch.focus(); return; }  // back to the search box above
      to = shown[at - 1];
    } else if (e.key === "Home") to = shown[0];
    else if (e.key === "End") to = shown[shown.length - 1];
    else if (e.key === " " || e.key === "Enter") {
      e.preventDefault();
      if (activeTag) toggleTag(activeTag.dataset.tag);
      return;
    } else if (e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey && !readOnly) {
      tagSearch.focus();  // the letter goes on in the search box, which filters the list
      return;
    } else return;
    e.preventDefault();
    if (to) setActiveTag(to, true);
  });
  tagSearch.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowDown" || !activeTag) return;
    e.preventDefault();
    activeTag.focus();
  });
  tagSearch.addEventListener("input", () => {
    const q = tagSearch.value.trim().toLowerCase();
    for (const option of tagOptions.values())
      option.hidden = q !== "" && !option.dataset.key.includes(q) && !option.dataset.label.includes(q);
    // The list's Tab stop goes to the first tag in view (ArrowDown from here goes to it).
    setActiveTag(visibleTags()[0] || null, false);
    const none = $("tag-none");
    none.textContent = `No tag matches “${tagSearch.value.trim()}”`;
    none.hidden = !!activeTag;
  });
  // The service's diagnostics for the form (paths such as /form/players or /form/stages/0),
  // each shown under its field, the control marked invalid; the error texts are the library's.
  const fieldErrors = {
    stages: { note: $("stages-error") },
    players: { note: $("players-error"), control: $("players") },
    spot: { note: $("spot-error"), control: $("spot") },
    tags: { note: $("tags-error") },
  };
  function showErrors(diagnostics) {
    const byField = new Map(), elsewhere = [];
    for (const d of diagnostics) {
      const m = /^\/form\/([a-z]+)/.exec(d.path || "");
      if (m && fieldErrors[m[1]]) byField.set(m[1], [...(byField.get(m[1]) || []), d.message]);
      else elsewhere.push(d);
    }
    for (const [name, { note, control }] of Object.entries(fieldErrors)) {
      const messages = byField.get(name);
      if (messages) {
        note.textContent = messages.join("; ");
        note.hidden = false;
        control?.setAttribute("aria-invalid", "true");
      } else {
        // Without a tag, tags-error says to choose one (drawChips); that stays.
        if (name !== "tags" || chosenTags.size > 0) note.hidden = true;
        control?.removeAttribute("aria-invalid");
      }
    }
    return elsewhere;
  }

  const chipText = (k) => (readOnly ? k : `${k} ×`);  // no × where it removes nothing
  function drawChips() {
    const chips = $("tag-chosen");
    const had = chips.contains(document.activeElement) ? [...chips.children].indexOf(document.activeElement) : -1;
    chips.replaceChildren(...[...chosenTags].map((k) => {
      const remove = () => {
        if (readOnly) return;
        chosenTags.delete(k);
        tagOptions.get(k).setAttribute("aria-selected", "false");
        drawChips();
        onChange();
      };
      return el("button", { type: "button", class: "chip", "aria-label": `Remove tag ${k}`, "data-tag": k, disabled: readOnly, onclick: remove,
        onkeydown: (e) => { if (e.key === "Delete" || e.key === "Backspace") { e.preventDefault(); remove(); } } }, chipText(k));
    }));
    // A chip removed by keyboard leaves the focus on the next chip (or the one before), and
    // on the search box once none is left, not on the page.
    if (had >= 0 && !chips.contains(document.activeElement)) {
      const next = chips.children[Math.min(had, chips.children.length - 1)];
      (next || tagSearch).focus();
    }
    if (chosenTags.size === 0) $("tags-error").textContent = "Choose at least one tag";
    $("tags-error").hidden = chosenTags.size > 0;
  }

  const players = $("players");
  // Typing into a long list (100,000 pasted ids: 70 ms a read) reads it once the typing
  // pauses, as the count does, not on every key; a short one at once.
  let hintTimer = null;
  players.addEventListener("input", () => {
    clearTimeout(hintTimer);
    if (players.value.length > 20000) hintTimer = setTimeout(showPlayersHint, 150);
    else showPlayersHint();
    showUnknownPlayers(null);  // said of the ids as they were; the next count says it again
    onChange(true);  // typed or pasted: counted once the typing pauses
  });
  function showPlayersHint() {
    const { ids, bad, repeated } = parsePlayers(players.value);
    const hint = $("players-hint");
    hint.classList.toggle("bad", bad.length > 0);
    if (!bad.length) players.removeAttribute("aria-invalid");  // the next count says it again if the service does
    hint.textContent = bad.length ? `Not a player id: ${bad.slice(0, 3).join(", ")}${bad.length > 3 ? " …" : ""}`
      : ids.length ? `${formatCount(ids.length)} player${ids.length === 1 ? "" : "s"}` +
        (repeated ? ` (${formatCount(repeated)} repeated id${repeated === 1 ? "" : "s"} counted once)` : "") : "";
  }

  // The ids no client has, as the count of the form found them (the service's
  // `players_unknown`: how many, and the first of them): the form still counts and saves with
  // them, so this is a warning, not an error.
  function showUnknownPlayers(unknown) {
    const note = $("players-unknown");
    if (!unknown || !unknown.count) {
      note.hidden = true;
      note.textContent = "";
      delete note.dataset.count;
      return;
    }
    const first = unknown.ids.slice(0, 10);
    const rest = unknown.count - first.length;
    note.textContent = `${formatCount(unknown.count)} of these ids ${unknown.count === 1 ? "is" : "are"} not in the data: ` +
      `${first.join(", ")}${rest > 0 ? ` and ${formatCount(rest)} more` : ""}`;
    note.dataset.count = String(unknown.count);
    note.hidden = false;
  }

  return {
    // The form JSON the service takes, and whether it can be saved as it stands.
    value() {
      const f = {
        stages: [...stageBoxes].filter(([, b]) => b.checked).map(([k]) => k),
        tags: [...chosenTags],
      };
      const p = parsePlayers(players.value);
      if (p.ids.length) f.players = p.ids.slice();  // the read is kept (parsePlayers): not to be changed
      if (spot.value !== "") f.spot = Number(spot.value);
      return f;
    },
    problems() {
      const out = [];
      if (chosenTags.size === 0) out.push("Choose at least one tag");
      if (parsePlayers(players.value).bad.length) out.push("Players holds something that is not a player id");
      return out;
    },
    // Every value of `form` is shown: a tag the page's list does not have yet (one changes
    // brought in after the page loaded, or one no client has) is added to it, a spot outside
    // the list's range too; dropped, they made a title-only save store a weaker rule (a
    // review). Stages are the schema's closed list: the service refuses any other.
    set(form) {
      for (const t of form.tags || []) if (!tagOptions.has(t)) addTagOption({ key: t });
      if (form.spot !== undefined && form.spot !== null) showSpot(form.spot);
      for (const [k, b] of stageBoxes) b.checked = (form.stages || []).includes(k);
      chosenTags.clear();
      for (const [k, option] of tagOptions) {
        const chosen = (form.tags || []).includes(k);
        option.setAttribute("aria-selected", String(chosen));
        if (chosen) chosenTags.add(k);
      }
      players.value = (form.players || []).join("\n");
      players.dispatchEvent(new Event("input"));
      spot.value = form.spot === undefined || form.spot === null ? "" : String(form.spot);
      tagSearch.value = "";
      tagSearch.dispatchEvent(new Event("input"));  // every tag shown, the Tab stop on the first
      drawChips();
      showErrors([]);
      $("tags-error").hidden = true;  // shown once someone tries to save without a tag
    },
    // Says the form's own problems by their fields and returns the first control to fix: the
    // tag search, or Players (focus stayed on Save, the message far above it; a review).
    showProblems() {
      $("tags-error").textContent = "Choose at least one tag";
      $("tags-error").hidden = chosenTags.size > 0;
      const badPlayers = parsePlayers(players.value).bad.length > 0;
      if (badPlayers) players.setAttribute("aria-invalid", "true");
      return chosenTags.size === 0 ? $("tag-search") : badPlayers ? players : null;
    },
    // The service's errors for the form shown by their fields; returns those of no field.
    showErrors,
    // The players no client has, from a count of this form (null: none, or not known).
    showUnknownPlayers,
    // An archived segment's form: every control shows its value and takes no change (the
    // service refuses edits of archived segments), yet stays readable and reachable.
    setReadOnly(on) {
      readOnly = on;
      for (const box of stageBoxes.values()) box.disabled = on;
      players.readOnly = on;
      spot.disabled = on;
      tagSearch.disabled = on;
      tagList.setAttribute("aria-readonly", String(on));
      for (const chip of $("tag-chosen").children) {
        chip.disabled = on;
        chip.textContent = chipText(chip.dataset.tag);
      }
      $("form-panel").classList.toggle("read-only", on);
    },
    // Whether nothing is chosen at all (Form -> Rule then starts an empty rule).
    isEmpty() {
      const f = this.value();
      return !f.stages.length && !f.tags.length && !f.players && f.spot === undefined && !players.value.trim();
    },
  };
}
