// The rule editor: CodeMirror 6 with the rule language's highlighting, the service's
// diagnostics (underlined, with their suggested fix one click away) and completion from
// /api/complete, the REPL's own completion (docs/page.md).
import { Annotation, Compartment, EditorState } from "@codemirror/state";
import { EditorView, keymap, placeholder, drawSelection, highlightActiveLine } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { StreamLanguage, syntaxHighlighting, HighlightStyle, bracketMatching } from "@codemirror/language";
import { autocompletion, completionKeymap, closeBrackets } from "@codemirror/autocomplete";
import { setDiagnostics, lintKeymap } from "@codemirror/lint";
import { tags as t } from "@lezer/highlight";
import { api } from "./api.js";
import { byteToChar, charToByte } from "./offsets.js";

const KEYWORDS = new Set(["and", "or", "not", "in", "between", "is", "null", "true", "false", "any", "all", "none", "now"]);

// The tokens of docs/language.md: `--` comments, strings, dates and timestamps, durations,
// numbers, keywords, field names (the schema's names and aliases) and bare values.
function ruleLanguage(fieldNames) {
  return StreamLanguage.define({
    name: "seg",
    token(stream) {
      if (stream.eatSpace()) return null;
      if (stream.match("--")) { stream.skipToEnd(); return "comment"; }
      // Double or single quotes, as the grammar takes both (single-quoted strings were drawn as
      // values; a maintainer's review).
      const quote = stream.peek();
      if (quote === '"' || quote === "'") {
        stream.next();
        let escaped = false, ch;
        while ((ch = stream.next()) != null) {
          if (ch === quote && !escaped) return "string";
          escaped = !escaped && ch === "\\";
        }
        return "string";
      }
      if (stream.match(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?/)) return "atom";
      if (stream.match(/^\d+[smhdw]\b/)) return "atom";
      if (stream.match(/^-?\d+(\.\d+)?/)) return "number";
      if (stream.match(/^(!=|<=|>=|=|<|>)/)) return "operator";
      if (stream.match(/^[(),]/)) return "punctuation";
      const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/);
      if (word) {
        const w = word[0].toLowerCase();
        if (KEYWORDS.has(w)) return "keyword";
        if (fieldNames.has(w)) return "propertyName";
        return "variableName";
      }
      stream.next();
      return null;
    },
    languageData: { commentTokens: { line: "--" } },
  });
}

const highlight = HighlightStyle.define([
  { tag: t.keyword, color: "#7a1fa2", fontWeight: "600" },
  { tag: t.propertyName, color: "#1f5fbf", fontWeight: "600" },
  { tag: t.variableName, color: "#1d2330" },
  { tag: t.string, color: "#1e6b34" },
  { tag: t.number, color: "#a0410d" },
  { tag: t.atom, color: "#a0410d" },
  { tag: t.operator, color: "#5a6372" },
  { tag: t.comment, color: "#6b7280", fontStyle: "italic" },
]);

// Completion asks the library (through /api/complete) what fits at the cursor: fields after
// `and`, operators after a field, dictionary values inside a list.
async function completeFromService(context) {
  const text = context.state.doc.toString();
  const word = context.matchBefore(/[A-Za-z0-9_"-]*/);
  if (!context.explicit && (!word || word.from === word.to)) return null;
  let answer;
  try {
    answer = await api.complete(text, charToByte(text, context.pos));
  } catch {
    return null;  // completion is a help; an unreachable service shows in the count
  }
  if (!answer.matches.length) return null;
  return {
    from: byteToChar(text, answer.start),
    options: answer.matches.map((m) => ({ label: m, apply: m + (answer.add_space ? " " : "") })),
    validFor: /^[A-Za-z0-9_]*$/,
  };
}

// The page's own changes of the text (a segment opened, Form -> Rule), which a read-only
// editor still takes; a person's edits carry no such mark.
const pageSet = Annotation.define();

// Read-only (an archived segment): the text stays readable, focusable and selectable, and
// every change but the page's own is dropped (typing, paste, completion, undo, lint fixes).
const readOnlyExtensions = [
  EditorState.readOnly.of(true),
  EditorView.contentAttributes.of({ "aria-readonly": "true" }),
  EditorState.transactionFilter.of((tr) => (tr.docChanged && !tr.annotation(pageSet) ? [] : tr)),
];

// The button of a diagnostic's fix: what it puts in, or what it does when that is nothing to
// see (a fix that deletes a stray `;` or a zero-width space; one that puts a plain space for a
// non-breaking one).
export function fixLabel(fix) {
  if (fix === "") return "Delete it";
  if (fix.trim() === "") return "Use a plain space";
  return `Use ${fix}`;
}

export function createEditor(parent, { fieldNames, onChange, label }) {
  const readOnly = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: "",
      extensions: [
        history(),
        drawSelection(),
        highlightActiveLine(),
        bracketMatching(),
        closeBrackets(),
        EditorView.lineWrapping,
        // An example, said as one (it once read as a rule already there, and broken).
        placeholder("e.g. stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12"),
        ruleLanguage(fieldNames),
        syntaxHighlighting(highlight),
        autocompletion({ override: [completeFromService], icons: false }),
        // Tab is left to the page, so the keyboard can leave the editor.
        keymap.of([...completionKeymap, ...lintKeymap, ...historyKeymap, ...defaultKeymap]),
        EditorView.contentAttributes.of({ "aria-label": label, "aria-multiline": "true" }),
        EditorView.updateListener.of((u) => { if (u.docChanged) onChange(u.state.doc.toString()); }),
        readOnly.of([]),
      ],
    }),
  });
  return {
    view,
    text: () => view.state.doc.toString(),
    setText(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, annotations: pageSet.of(true) });
    },
    setReadOnly(on) {
      view.dispatch({ effects: readOnly.reconfigure(on ? readOnlyExtensions : []) });
      parent.classList.toggle("read-only", on);
    },
    // The service's diagnostics (byte spans) as the editor's lint marks; a diagnostic with a
    // `fix` gets an action that applies it.
    showDiagnostics(text, diagnostics) {
      if (text !== view.state.doc.toString()) return;  // an answer for an older text
      const marks = diagnostics.filter((d) => d.begin !== undefined).map((d) => {
        let from = byteToChar(text, d.begin), to = byteToChar(text, d.end);
        // A mark of no width (the end of the rule, or of its last line) covers the character
        // before it, so it shows.
        if (from === to && from > 0) from -= 1;
        return {
          from, to,
          severity: d.severity === "error" ? "error" : "warning",
          message: `${d.code}: ${d.message}${d.suggestion ? `. ${d.suggestion}` : ""}`,
          actions: d.fix === undefined ? [] : [{
            name: fixLabel(d.fix),
            apply: (v, f, tt) => v.dispatch({ changes: { from: f, to: tt, insert: d.fix } }),
          }],
        };
      });
      view.dispatch(setDiagnostics(view.state, marks));
    },
    // Applies a diagnostic's fix to the text it was made for (the list under the editor).
    applyFix(text, d) {
      if (text !== view.state.doc.toString() || d.fix === undefined) return;
      view.dispatch({ changes: { from: byteToChar(text, d.begin), to: byteToChar(text, d.end), insert: d.fix } });
      view.focus();
    },
    focus: () => view.focus(),
  };
}
