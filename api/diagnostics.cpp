// Diagnostics as the API gives them: from the compiler's and the loaders', and rendered as
// text (a compiler's caret) or JSON (docs/cli.md's objects), one place for every client.
#include "seg/seg.hpp"
#include "api/internal.hpp"
#include "api/impl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <type_traits>
#include <variant>

#include "base/limits.hpp"
#include "base/time_util.hpp"
#include "compiler/check.hpp"
#include "compiler/compile.hpp"
#include "compiler/complete.hpp"
#include "adapters/form.hpp"
#include "adapters/export.hpp"
#include "adapters/import.hpp"
#include "sql/sql.hpp"
#include "sources/postgres.hpp"
#include "compiler/ir_json.hpp"
#include "compiler/passes/pass.hpp"
#include "schema/schema.hpp"
#include "runtime/exec/evaluate.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/storage/snapshot.hpp"

#include <nlohmann/json.hpp>

namespace seg::api {

namespace {

// `index` is of `text` (one for all of a rule's diagnostics: counting from the start for each
// was quadratic in them).
Diagnostic from_compiler(const seg::Diagnostic& d, std::string_view text, const LineColIndex* index, std::string_view source) {
  Diagnostic out;
  // A JSON document's diagnostic has a path ("" for the whole document); a rule's has a span
  // in the rule's text. One made where no text was at hand (an export's) has neither.
  // (An empty rule is rule text too: its "expected a condition" is at 1:1, not 0:0; a review.)
  out.subject = d.json || !d.json_path.empty() || (text.empty() && source != "<rule>") ? Subject::Json : Subject::Rule;
  out.whole_document = d.json && d.json_path.empty();
  out.severity = d.severity == seg::Severity::Error ? Severity::Error : Severity::Warning;
  out.code = d.code;
  out.message = d.message;
  out.suggestion = d.suggestion;
  out.fix = d.fix;
  out.source = source;
  out.json_path = d.json_path;
  out.offset = d.span.begin;
  out.end_offset = d.span.end;
  if (out.subject == Subject::Rule && text.empty()) {
    out.line = out.column = out.end_column = 1;
  } else if (out.subject == Subject::Rule) {
    // Lines and columns as the rendered diagnostics count them (seg::line_col: a line ends at
    // LF, CRLF or a lone CR); the end column is on the span's first line.
    size_t begin = std::min<size_t>(d.span.begin, text.size());
    const LineCol at = index->at(static_cast<uint32_t>(begin)).lc;
    out.line = at.line;
    out.column = at.column;
    size_t end = std::min<size_t>(std::max<size_t>(d.span.end, begin), text.size());
    size_t eol = text.substr(0, end).find_first_of("\r\n", begin);
    if (eol != std::string_view::npos) end = eol;
    const LineCol to = index->at(static_cast<uint32_t>(end)).lc;
    out.end_column = to.line == at.line ? to.column : at.column;
  } else if (out.subject == Subject::Json && d.line) {
    out.line = d.line;  // a JSON syntax error's place in the document (E601)
    out.column = d.column;
  }
  return out;
}

}  // namespace

void append(std::vector<Diagnostic>& to, const Diagnostics& from, std::string_view text, std::string_view source) {
  std::optional<LineColIndex> index;
  if (!text.empty() && !from.empty()) index.emplace(text);
  for (const auto& d : from.list()) to.push_back(from_compiler(d, text, index ? &*index : nullptr, source));
}

const char* format_source(RuleFormat f) {
  switch (f) {
    case RuleFormat::Text: return "<rule>";
    case RuleFormat::Form: return "<form>";
    case RuleFormat::IrJson: return "<ir>";
    case RuleFormat::QueryBuilder: return "<querybuilder>";
    case RuleFormat::JsonLogic: return "<jsonlogic>";
  }
  return "<rule>";
}

namespace {

// Back to the compiler's own diagnostic, whose renderers are the one copy of the format.
seg::Diagnostic to_compiler(const Diagnostic& d) {
  seg::Diagnostic out;
  out.severity = d.is_error() ? seg::Severity::Error : seg::Severity::Warning;
  out.code = d.code;
  out.span = Span{d.offset, d.end_offset};
  out.json_path = d.json_path;
  out.json = d.whole_document || !d.json_path.empty();
  out.message = d.message;
  out.suggestion = d.suggestion;
  out.fix = d.fix;
  return out;
}

rt::LoadError to_load(const Diagnostic& d) {
  rt::LoadError e;
  e.code = d.code;
  e.warning = !d.is_error();
  e.file = d.source;
  e.line = d.line;
  e.column = static_cast<int>(d.column);
  e.column_name = d.field;
  e.message = d.message;
  e.suggestion = d.suggestion;
  return e;
}

nlohmann::ordered_json data_json(const Diagnostic& d) {
  nlohmann::ordered_json j;
  j["code"] = d.code;  // the order of docs/cli.md's diagnostic object, as a rule's
  j["severity"] = d.is_error() ? "error" : "warning";
  j["file"] = d.source;
  if (d.line) j["line"] = d.line;
  if (d.column) j["column"] = d.column;
  if (!d.field.empty()) j["field"] = d.field;
  j["message"] = d.message;
  if (!d.suggestion.empty()) j["suggestion"] = d.suggestion;
  return j;
}

}  // namespace

Diagnostic from_load(const rt::LoadError& e) {
  Diagnostic out;
  out.subject = Subject::Data;
  out.io = e.code == "E701" || e.code == "E714";  // the one place a code's class is decided
  out.severity = e.warning ? Severity::Warning : Severity::Error;
  out.code = e.code;
  out.message = seg::capped(e.message);  // a 5 MB column name made a 10 MB message (found by a review)
  out.source = e.file;
  out.line = e.line;
  out.column = static_cast<uint32_t>(e.column);
  out.field = seg::capped(e.column_name, 200);
  out.suggestion = e.suggestion;
  return out;
}

// Runs of diagnostics of one subject go to seg's renderers together, in order: one at a time,
// each call counted lines from the text's start again, quadratic in a rule's diagnostics
// (16,000 unknown tags took 5 s to check; found by a review of how things scale).
template <class Flush>
static void by_runs(const std::vector<Diagnostic>& diagnostics, Flush flush) {
  std::vector<seg::Diagnostic> run;
  Subject subject = Subject::Rule;
  for (const auto& d : diagnostics) {
    if (!run.empty() && d.subject != subject) flush(subject, run), run.clear();
    subject = d.subject;
    if (d.subject == Subject::Data) flush(subject, {}, &d);
    else run.push_back(to_compiler(d));
  }
  if (!run.empty()) flush(subject, run);
}

std::string render_text(const std::vector<Diagnostic>& diagnostics, std::string_view source_name, std::string_view text,
                        bool color, uint32_t first_line) {
  std::string out;
  by_runs(diagnostics, [&](Subject s, const std::vector<seg::Diagnostic>& run, const Diagnostic* data = nullptr) {
    if (data) out += to_string(*data) + "\n";
    else out += seg::render_text(run, source_name, s == Subject::Rule ? text : "", color, first_line);
  });
  return out;
}


std::string render_json(const std::vector<Diagnostic>& diagnostics, std::string_view text, int indent) {
  auto out = nlohmann::ordered_json::array();
  by_runs(diagnostics, [&](Subject, const std::vector<seg::Diagnostic>& run, const Diagnostic* data = nullptr) {
    if (data) out.push_back(data_json(*data));
    else
      for (auto& j : nlohmann::ordered_json::parse(seg::render_json(run, text))) out.push_back(std::move(j));
  });
  return out.dump(json_indent(indent));
}

std::string hash_text(uint64_t hash) { return fmt::format("{:016x}", hash); }

std::string to_string(const Diagnostic& d) {
  if (d.subject == Subject::Data)
    return to_load(d).to_string() + (d.suggestion.empty() ? "" : fmt::format("\n  help: {}", d.suggestion));
  std::string s = d.source;
  if (d.line) s += fmt::format(":{}", d.line);
  if (d.column) s += fmt::format(":{}", d.column);
  if (!d.json_path.empty()) s += fmt::format(" at {}", d.json_path);
  if (!d.field.empty()) s += fmt::format(" ({})", d.field);
  s += fmt::format(": {}[{}]: {}", d.is_error() ? "error" : "warning", d.code, d.message);
  if (!d.suggestion.empty()) s += fmt::format("\n  help: {}", d.suggestion);
  return s;
}

}  // namespace seg::api
