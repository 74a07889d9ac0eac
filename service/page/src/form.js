// The creation form as the CRM has it: Title; Stages (any of, in funnel order, with their
// labels); Players (optional ids, pasted many at once); Spot; Tags (at least one, any of;
// searchable). It reads and writes the service's form JSON ({stages, players, spot, tags}),
// and shows the service's errors for it under their fields. `onChange(typing)` is told of
// every change (`typing`: text being typed, worth a pause before counting).
import { el, $, formatCount } from "./dom.js";

// "12, 13\n14" -> ids and the tokens that are not ids.
export function parsePlayers(text) {
  const ids = [], bad = [];
  for (const tok of text.split(/[\s,;]+/)) {
    if (!tok) continue;
    if (/^\d{1,18}$/.test(tok)) ids.push(Number(tok));
    else bad.push(tok);
  }
  return { ids: [...new Set(ids)], bad };
}

export function createForm(schema, onChange) {
  const field = (name) => schema.fields.find((f) => f.name === name);
  const stageField = field("stage"), tagField = field("tags"), spotField = field("spot");
  const stageBoxes = new Map(), tagBoxes = new Map();
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

  // Tags: a searchable list of checkboxes, the chosen ones also shown as removable chips.
  const tagList = $("tag-options");
  for (const v of tagField.values) {
    const box = el("input", { type: "checkbox", value: v.key });
    box.addEventListener("change", () => {
      if (box.checked) chosenTags.add(v.key); else chosenTags.delete(v.key);
      drawChips();
      onChange();
    });
    const label = el("label", { "data-key": v.key.toLowerCase(), "data-label": (v.label || "").toLowerCase() },
      box, v.label && v.label !== v.key ? `${v.label} (${v.key})` : v.key, el("span", { class: "n" }, formatCount(v.clients)));
    tagBoxes.set(v.key, { box, label });
    tagList.append(label);
  }
  $("tag-search").addEventListener("input", (e) => {
    const q = e.target.value.trim().toLowerCase();
    for (const { label } of tagBoxes.values())
      label.hidden = q !== "" && !label.dataset.key.includes(q) && !label.dataset.label.includes(q);
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

  function drawChips() {
    const chips = $("tag-chosen");
    chips.replaceChildren(...[...chosenTags].map((k) =>
      el("button", { type: "button", class: "chip", "aria-label": `Remove tag ${k}`, onclick: () => {
        chosenTags.delete(k);
        tagBoxes.get(k).box.checked = false;
        drawChips();
        onChange();
      } }, `${k} ×`)));
    if (chosenTags.size === 0) $("tags-error").textContent = "Choose at least one tag";
    $("tags-error").hidden = chosenTags.size > 0;
  }

  const players = $("players");
  players.addEventListener("input", () => {
    const { ids, bad } = parsePlayers(players.value);
    const hint = $("players-hint");
    hint.classList.toggle("bad", bad.length > 0);
    hint.textContent = bad.length ? `Not a player id: ${bad.slice(0, 3).join(", ")}${bad.length > 3 ? " …" : ""}`
      : ids.length ? `${formatCount(ids.length)} player${ids.length === 1 ? "" : "s"}` : "";
    onChange(true);  // typed or pasted: counted once the typing pauses
  });

  return {
    // The form JSON the service takes, and whether it can be saved as it stands.
    value() {
      const f = {
        stages: [...stageBoxes].filter(([, b]) => b.checked).map(([k]) => k),
        tags: [...chosenTags],
      };
      const p = parsePlayers(players.value);
      if (p.ids.length) f.players = p.ids;
      if (spot.value !== "") f.spot = Number(spot.value);
      return f;
    },
    problems() {
      const out = [];
      if (chosenTags.size === 0) out.push("Choose at least one tag");
      if (parsePlayers(players.value).bad.length) out.push("Players holds something that is not a player id");
      return out;
    },
    set(form) {
      for (const [k, b] of stageBoxes) b.checked = (form.stages || []).includes(k);
      chosenTags.clear();
      for (const [k, { box }] of tagBoxes) {
        box.checked = (form.tags || []).includes(k);
        if (box.checked) chosenTags.add(k);
      }
      players.value = (form.players || []).join("\n");
      players.dispatchEvent(new Event("input"));
      spot.value = form.spot === undefined || form.spot === null ? "" : String(form.spot);
      $("tag-search").value = "";
      $("tag-search").dispatchEvent(new Event("input"));
      drawChips();
      showErrors([]);
      $("tags-error").hidden = true;  // shown once someone tries to save without a tag
    },
    showProblems() {
      $("tags-error").textContent = "Choose at least one tag";
      $("tags-error").hidden = chosenTags.size > 0;
    },
    // The service's errors for the form shown by their fields; returns those of no field.
    showErrors,
    // Whether nothing is chosen at all (Form -> Rule then starts an empty rule).
    isEmpty() {
      const f = this.value();
      return !f.stages.length && !f.tags.length && !f.players && f.spot === undefined && !players.value.trim();
    },
  };
}
