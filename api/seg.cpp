// The public C++ API (include/seg/seg.hpp) over the compiler and the runtime: each entry
// point is the one place its work is done for every host (CLI, REPL, service, C API).
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

int64_t clock_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}


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
                        bool color) {
  std::string out;
  by_runs(diagnostics, [&](Subject s, const std::vector<seg::Diagnostic>& run, const Diagnostic* data = nullptr) {
    if (data) out += to_string(*data) + "\n";
    else out += seg::render_text(run, source_name, s == Subject::Rule ? text : "", color);
  });
  return out;
}

// JSON indentation as the header promises it: -1 one line, else 0 to 16 spaces. nlohmann's
// serializer grows its indent buffer once (512 -> 1024), so an indent past 1024 read beyond it
// (found by a review: a heap overflow, a crash at 1,000,000).
static int json_indent(int indent) { return indent < 0 ? -1 : std::min(indent, 16); }

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

// ---- Schema ----

Schema Schema::crm() {
  static const auto impl = std::make_shared<const Impl>(Impl{seg::crm_schema()});
  return Schema{impl};
}

std::optional<Schema> Schema::from_json(std::string_view json, std::vector<Diagnostic>& diagnostics) {
  Diagnostics d;
  auto s = parse_schema_json(json, d);
  append(diagnostics, d, "", "<schema>");
  if (!s) return std::nullopt;
  return Schema{std::make_shared<const Impl>(Impl{std::move(*s)})};
}

std::string Schema::to_json() const { need(impl, "Schema::to_json"); return schema_to_json(impl->schema); }

std::vector<std::string> Schema::field_names() const {
  need(impl, "Schema::field_names");
  std::vector<std::string> out;
  for (const auto& f : impl->schema.fields) out.push_back(f.name);
  return out;
}

namespace {
FieldType api_type(seg::FieldType t) {
  switch (t) {
    case seg::FieldType::Int: return FieldType::Int;
    case seg::FieldType::Decimal: return FieldType::Decimal;
    case seg::FieldType::Timestamp: return FieldType::Timestamp;
    case seg::FieldType::Bool: return FieldType::Bool;
    case seg::FieldType::String: return FieldType::String;
    case seg::FieldType::Enum: return FieldType::Enum;
    case seg::FieldType::Set: return FieldType::Set;
  }
  return FieldType::Int;
}
}  // namespace

const char* type_name(FieldType t) {
  // The schema's own names (schema/schema.cpp): the type whose API value is `t`.
  for (auto st : {seg::FieldType::Int, seg::FieldType::Decimal, seg::FieldType::Timestamp, seg::FieldType::Bool,
                  seg::FieldType::String, seg::FieldType::Enum, seg::FieldType::Set})
    if (api_type(st) == t) return seg::type_name(st).data();
  return "int";
}

std::vector<FieldInfo> Schema::fields() const {
  need(impl, "Schema::fields");
  const seg::Schema& sc = impl->schema;
  std::vector<FieldInfo> out;
  for (size_t f = 0; f < sc.fields.size(); ++f) {
    const Field& fd = sc.fields[f];
    FieldInfo i;
    i.name = fd.name;
    i.aliases = fd.aliases;
    i.type = api_type(fd.type);
    i.scale = fd.scale;
    i.nullable = fd.nullable;
    i.identifies = static_cast<int>(f) == sc.id_field;
    i.ordered = fd.type == seg::FieldType::Enum && fd.dict.ordered;
    i.open = fd.is_dictionary() && fd.dict.open;
    for (const auto& v : fd.dict.values()) i.values.push_back({v.key, v.label.empty() ? v.key : v.label});
    i.operators = operators_for(fd);
    out.push_back(std::move(i));
  }
  return out;
}

std::optional<size_t> Schema::find(std::string_view name) const {
  need(impl, "Schema::find");
  int f = impl->schema.find(name);
  if (f < 0) return std::nullopt;
  return static_cast<size_t>(f);
}

std::vector<std::string> Schema::suggest(std::string_view name, size_t max) const {
  need(impl, "Schema::suggest");
  return nearest(name, impl->schema.all_names(), max);
}

// ---- Rule ----

// An empty object handed to a factory (default-made or moved from): E808, as the C API says
// a NULL argument, rather than a crash (found by a review).
Diagnostic empty_argument(const char* what) {
  Diagnostic d;
  d.code = "E808";
  d.message = fmt::format("the {} is empty (default-made or moved from): make one with its factory", what);
  d.source = "<api>";
  return d;
}

void throw_empty_handle(const char* call) {
  throw std::logic_error(fmt::format("seg::api::{}: called on an empty object (default-made or moved from): "
                                     "assign it from its factory first", call));
}

Rule Rule::compile(std::string_view source, const Schema& schema, RuleFormat format, std::string_view source_name) {
  auto r = std::make_shared<Impl>();
  if (!schema.impl) {
    r->diagnostics.push_back(empty_argument("Schema"));
    return Rule{std::move(r)};
  }
  r->schema = schema.impl;
  const seg::Schema& sc = schema.impl->schema;
  Diagnostics d;
  std::string_view text = format == RuleFormat::Text ? source : std::string_view{};
  r->source = text;
  r->source_name = source_name.empty() ? format_source(format) : source_name;
  switch (format) {
    case RuleFormat::Text: {
      Compiled c = compile_rule(source, sc);
      r->ir = std::move(c.ir);
      d = std::move(c.diags);
      break;
    }
    case RuleFormat::Form:
      if (auto form = form_from_json(source, d)) {
        r->ir = form_to_ir(*form, sc, d);
        r->title = form->title;
      }
      break;
    case RuleFormat::IrJson: {
      Compiled c = compile_ir_json(source, sc);
      r->ir = std::move(c.ir);
      d = std::move(c.diags);
      break;
    }
    case RuleFormat::QueryBuilder: r->ir = import_rule(source, ImportFormat::QueryBuilder, sc, d); break;
    case RuleFormat::JsonLogic: r->ir = import_rule(source, ImportFormat::JsonLogic, sc, d); break;
  }
  // Every way in ends at the same optimized IR (a fixed point: text and IR JSON are optimized
  // already), held to the limits of rule text (docs/limits.md).
  if (r->ir && format != RuleFormat::Text && format != RuleFormat::IrJson) optimize(*r->ir, sc, d);
  if (r->ir) {
    r->text = ir::print_rule(*r->ir, sc);
    check_rule_limits(*r->ir, r->text, format == RuleFormat::Text, d);
  }
  if (d.has_errors()) r->ir.reset();
  append(r->diagnostics, d, text, source_name.empty() ? format_source(format) : source_name);
  if (r->ir) {
    r->summary = summarize(*r->ir, sc);
    r->hash = ir::stable_hash(*r->ir);
  }
  return Rule{std::move(r)};
}

bool Rule::ok() const { need(impl, "Rule::ok"); return impl->ir.has_value(); }
const std::vector<Diagnostic>& Rule::diagnostics() const { need(impl, "Rule::diagnostics"); return impl->diagnostics; }
const std::string& Rule::canonical_text() const { need(impl, "Rule::canonical_text"); return impl->text; }
std::string Rule::ir_json(int indent) const {
  need(impl, "Rule::ir_json");
  return impl->ir ? seg::ir_to_json(*impl->ir, impl->schema->schema, json_indent(indent)) : "";
}
uint64_t Rule::hash() const { need(impl, "Rule::hash"); return impl->hash; }
bool Rule::uses_now() const { need(impl, "Rule::uses_now"); return impl->ir && ir::uses_now(*impl->ir); }
std::vector<std::string> Rule::clauses() const {
  need(impl, "Rule::clauses");
  std::vector<std::string> out;
  if (impl->ir)
    for (const ir::Node* c : ir::top_level_clauses(*impl->ir)) out.push_back(ir::print_rule(*c, impl->schema->schema));
  return out;
}
const std::string& Rule::summary() const { need(impl, "Rule::summary"); return impl->summary; }
const std::string& Rule::title() const { need(impl, "Rule::title"); return impl->title; }
std::string Rule::ir_tree() const { need(impl, "Rule::ir_tree"); return impl->ir ? ir::dump_tree(*impl->ir, impl->schema->schema) : ""; }
std::optional<std::string> Rule::form_json(std::string& why, int indent) const {
  need(impl, "Rule::form_json");
  if (!impl->ir) {
    why = "the rule has errors";
    return std::nullopt;
  }
  auto form = ir_to_form(*impl->ir, impl->schema->schema, why);
  if (!form) return std::nullopt;
  form->title = impl->title;  // a form's own title, kept through form -> rule -> form (a review)
  return form_to_json(*form, json_indent(indent));
}

std::optional<std::string> Rule::export_as(RuleFormat format, std::vector<Diagnostic>& diagnostics,
                                           const ExportOptions& options) const {
  need(impl, "Rule::export_as");
  Diagnostics d;
  std::optional<std::string> out;
  if (!impl->ir) {
    // E801 for every call handed a rule that did not compile, as Query::prepare says it: E620
    // and E631 mean the rule is fine and the target cannot say a part of it (a host keeping
    // such a rule as text must not take a broken one for it; found by a review of the C API).
    d.error("E801", Span{}, "the rule has errors: there is nothing to export");
  } else {
    const seg::Schema& sc = impl->schema->schema;
    seg::ExportOptions eo;
    eo.now = options.now;
    eo.indent = json_indent(options.indent);
    std::string why;
    switch (format) {
      case RuleFormat::Text: out = impl->text; break;
      case RuleFormat::IrJson: out = ir_json(options.indent); break;
      case RuleFormat::Form: {
        Span at;
        if (auto form = ir_to_form(*impl->ir, sc, why, &at)) {
          form->title = impl->title;
          out = form_to_json(*form, json_indent(options.indent));
          break;
        }
        // `why` says the part of the rule and what the form lacks; the caret is under that
        // part (or the whole rule, below, when the form misses something it has not: tags).
        d.error("E620", at, why,
                "keep it as rule text: the form writes only stage in (…) and tag any (…) and spot = S and player_id in (…)");
        break;
      }
      case RuleFormat::QueryBuilder: out = export_rule(*impl->ir, ExportFormat::QueryBuilder, sc, d, eo); break;
      case RuleFormat::JsonLogic: out = export_rule(*impl->ir, ExportFormat::JsonLogic, sc, d, eo); break;
    }
  }
  // Rule text's diagnostics point into it, at the part's span, or at the whole rule when the
  // part has none (made by the optimizer, or a section the rule lacks); other ways in only
  // name the part.
  for (seg::Diagnostic& x : d.list())
    if (x.span.begin == x.span.end) x.span = Span{0, static_cast<uint32_t>(impl->source.size())};
  append(diagnostics, d, impl->source, impl->source.empty() ? "<export>" : impl->source_name);
  return out;
}

// ---- SQL ----

static_assert(static_cast<int>(SqlDialect::ClickHouse) == static_cast<int>(sql::Dialect::ClickHouse) &&
              static_cast<int>(SqlDialect::DuckDb) == static_cast<int>(sql::Dialect::DuckDb));

std::optional<SqlDialect> sql_dialect(std::string_view name) {
  auto d = sql::parse_dialect(name);
  if (!d) return std::nullopt;
  return static_cast<SqlDialect>(*d);
}

std::string SqlStatement::script() const {
  sql::Statement st;
  st.text = text;
  for (const auto& p : params) st.params.push_back({p.placeholder, p.type, p.value, p.integer});
  return sql::script_text(st);
}

namespace {
std::optional<sql::Mapping> sql_mapping(const seg::Schema& sc, const SqlOptions& options, Diagnostics& d) {
  auto dialect = static_cast<sql::Dialect>(options.dialect);
  if (options.mapping_json.empty()) return sql::default_mapping(sc, dialect);
  return sql::parse_mapping(options.mapping_json, sc, dialect, d);
}
}  // namespace

std::string SqlStatement::json() const {
  nlohmann::ordered_json j;
  j["sql"] = text;
  auto& ps = j["params"] = nlohmann::ordered_json::array();
  for (const auto& p : params)
    ps.push_back({{"placeholder", p.placeholder}, {"type", p.type}, {"value", p.value}, {"integer", p.integer}});
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::optional<std::vector<std::string>> sql_create_tables(const Schema& schema, const SqlOptions& options,
                                                          std::vector<Diagnostic>& diagnostics) {
  if (!schema.impl) {
    diagnostics.push_back(empty_argument("Schema"));
    return std::nullopt;
  }
  Diagnostics d;
  std::optional<std::vector<std::string>> out;
  if (auto mapping = sql_mapping(schema.impl->schema, options, d))
    out = sql::create_tables(schema.impl->schema, *mapping, static_cast<sql::Dialect>(options.dialect));
  append(diagnostics, d, "", "<mapping>");
  return out;
}

std::optional<SqlStatement> Rule::to_sql(const SqlOptions& options, std::vector<Diagnostic>& diagnostics) const {
  need(impl, "Rule::to_sql");
  Diagnostics d;
  std::optional<SqlStatement> out;
  if (!impl->ir) {
    d.error("E801", Span{}, "the rule has errors: there is no SQL to write");  // as export_as
  } else {
    const seg::Schema& sc = impl->schema->schema;
    if (auto mapping = sql_mapping(sc, options, d)) {
      sql::Options so;
      so.dialect = static_cast<sql::Dialect>(options.dialect);
      so.shape = options.shape == SqlOptions::Shape::Count   ? sql::Shape::Count
                 : options.shape == SqlOptions::Shape::Where ? sql::Shape::Where
                                                             : sql::Shape::Select;
      so.inline_values = options.inline_values;
      so.now = options.now ? *options.now : static_cast<int64_t>(std::time(nullptr));
      if (auto st = sql::generate(*impl->ir, sc, *mapping, so, d)) {
        out.emplace();
        out->text = std::move(st->text);
        for (auto& p : st->params) out->params.push_back({std::move(p.placeholder), std::move(p.type), std::move(p.value), p.is_integer});
      }
    }
  }
  append(diagnostics, d, "", options.mapping_json.empty() ? "<sql>" : "<mapping>");
  return out;
}

// ---- Store ----

namespace {
rt::LoadOptions load_options(const OpenOptions& options) {
  rt::LoadOptions lo;
  lo.skip_bad_rows = options.skip_bad_rows;
  lo.verify = options.verify;
  lo.progress = options.progress;
  lo.cancelled = options.cancelled;
  lo.slices = options.slices;
  return lo;
}
// A load's result as the API reports it: the store with its report, or the errors.
std::optional<Store> from_result(rt::LoadResult r, std::vector<Diagnostic>& diagnostics) {
  if (!r.ok()) {
    for (const auto& e : r.errors) diagnostics.push_back(from_load(e));
    return std::nullopt;
  }
  auto impl = std::make_shared<Store::Impl>(std::move(*r.store));
  LoadReport& rep = impl->report;
  rep.rows_skipped = r.skipped;
  if (r.skipped)
    for (const auto& e : r.errors) rep.skipped_reasons.push_back(from_load(e));
  for (const auto& w : r.warnings) rep.warnings.push_back(from_load(w));
  rep.added_values = std::move(r.added);
  rep.bytes = r.bytes;
  rep.seconds = r.seconds;
  // The caller's list gets what it would print: warnings and the reasons rows were skipped.
  diagnostics.insert(diagnostics.end(), rep.warnings.begin(), rep.warnings.end());
  diagnostics.insert(diagnostics.end(), rep.skipped_reasons.begin(), rep.skipped_reasons.end());
  return Store{std::move(impl)};
}
}  // namespace

std::optional<Store> Store::open_postgres(const PostgresSource& source, const Schema& schema,
                                          std::vector<Diagnostic>& diagnostics, const OpenOptions& options) {
  Diagnostics d;
  sources::PostgresSource ps{source.conninfo, source.table, source.query, source.mapping_json};
  rt::LoadResult r = sources::load_postgres(ps, schema.impl->schema, load_options(options), d);
  append(diagnostics, d, "", "<mapping>");
  if (!r.ok() && r.errors.empty()) return std::nullopt;  // the mapping's errors are above
  return from_result(std::move(r), diagnostics);
}

bool Store::is_snapshot(const std::string& path) { return rt::is_snapshot_file(path); }

std::optional<Store> Store::open(const std::string& path, const Schema& schema, std::vector<Diagnostic>& diagnostics,
                                 const OpenOptions& options) {
  if (!schema.impl) {
    diagnostics.push_back(empty_argument("Schema"));
    return std::nullopt;
  }
  rt::LoadResult r = rt::load_data(path, schema.impl->schema, load_options(options));
  if (r.ok() && !options.expected_schema_name.empty()) {
    // A snapshot brings its own schema; one chosen on purpose must be that one.
    std::string why = schema_difference(schema.impl->schema, r.store->schema());
    if (!why.empty()) {
      rt::LoadError e;
      e.code = "E717";
      e.file = path;
      e.message = fmt::format("the data was written with another schema than {} ({}); convert it again with "
                              "this schema, or leave out --schema to use the data's own",
                              options.expected_schema_name, why);
      r.errors = {std::move(e)};
      r.store.reset();
    }
  }
  return from_result(std::move(r), diagnostics);
}


uint64_t Store::rows() const { need(impl, "Store::rows"); return impl->store.rows(); }
uint64_t Store::rows_skipped() const { need(impl, "Store::rows_skipped"); return impl->report.rows_skipped; }
const LoadReport& Store::report() const { need(impl, "Store::report"); return impl->report; }
uint64_t Store::data_bytes() const { need(impl, "Store::data_bytes"); return impl->store.data_bytes(); }

bool Store::write_snapshot(const std::string& path, std::vector<Diagnostic>& diagnostics) const {
  need(impl, "Store::write_snapshot");
  std::string err;
  if (rt::write_snapshot(impl->store, path, err)) return true;
  rt::LoadError e;
  e.code = "E714";
  e.file = path == "-" ? "<stdout>" : path;
  e.message = std::move(err);
  diagnostics.push_back(from_load(e));
  return false;
}
Schema Store::schema() const {
  need(impl, "Store::schema");
  // A copy with the data's dictionaries; the store keeps its own (aliasing the store's Impl).
  return Schema{std::make_shared<const Schema::Impl>(Schema::Impl{impl->store.schema()})};
}

constexpr uint64_t kSmallFieldValues = 256;  // an integer field with fewer gets per-value counts

std::vector<Store::ValueCount> count_values(const seg::Schema& sc, size_t field,
                                            std::optional<std::pair<int64_t, int64_t>> small,
                                            const std::function<std::string(int64_t)>& format,
                                            const std::function<uint64_t(ir::Node)>& count) {
  std::vector<Store::ValueCount> out;
  if (field >= sc.fields.size()) return out;
  const Field& fd = sc.fields[field];
  // One predicate per value through the planner and the interpreter, as a rule would run.
  auto test = [&](ir::Kind kind) {
    ir::Node q;
    q.kind = kind;
    q.field = static_cast<int>(field);
    return q;
  };
  if (!fd.is_dictionary()) {
    // A small integer field (spot) or a bool has few values: each one present, with its
    // count; other fields only their null count.
    for (int64_t v = small ? small->first : 1; small && v <= small->second; ++v) {
      ir::Node q = test(ir::Kind::In);
      q.values.codes = {v};
      if (uint64_t n = count(std::move(q))) {
        std::string key = format(v);
        out.push_back({key, key, n, false});
      }
    }
    if (fd.nullable) out.push_back({"(null)", "(null)", count(test(ir::Kind::IsNull)), true});
    return out;
  }
  const ir::Kind one = fd.type == seg::FieldType::Set ? ir::Kind::SetAny : ir::Kind::In;
  for (uint32_t code = 0; code < fd.dict.size(); ++code) {
    ir::Node q = test(one);
    q.values.codes = {code};
    const DictValue& v = fd.dict[code];
    out.push_back({v.key, v.label.empty() ? v.key : v.label, count(std::move(q)), false});
  }
  for (const std::string& name : fd.dict.known_elsewhere()) {
    ir::Node q = test(one);
    q.values.unknown = {name};
    out.push_back({name, name, count(std::move(q)), false});
  }
  if (fd.nullable || fd.type == seg::FieldType::Set) {
    std::string name = fd.type == seg::FieldType::Set ? "(none)" : "(null)";
    out.push_back({name, name, count(test(ir::Kind::IsNull)), true});
  }
  return out;
}

std::vector<Store::ValueCount> Store::value_counts(size_t field) const {
  need(impl, "Store::value_counts");
  const rt::Store& s = impl->store;
  const seg::Schema& sc = s.schema();
  std::optional<std::pair<int64_t, int64_t>> small;
  if (field < sc.fields.size() && !sc.fields[field].is_dictionary()) {
    const Field& fd = sc.fields[field];
    const auto& meta = s.column(static_cast<int>(field)).meta;
    if ((fd.type == seg::FieldType::Int || fd.type == seg::FieldType::Bool) && meta.has_values &&
        static_cast<uint64_t>(meta.max) - static_cast<uint64_t>(meta.min) < kSmallFieldValues)
      small = std::pair{meta.min, meta.max};
  }
  return count_values(
      sc, field, small, [&](int64_t v) { return s.format_value(static_cast<int>(field), v); },
      [&](ir::Node q) { return rt::evaluate(rt::build_plan(q, s, 0), s, rt::EvalOptions{}).count; });
}

std::optional<std::pair<std::string, std::string>> Store::range(size_t field) const {
  need(impl, "Store::range");
  const rt::Store& s = impl->store;
  if (field >= s.schema().fields.size() || s.schema().fields[field].type == seg::FieldType::Set) return std::nullopt;
  const auto& meta = s.column(static_cast<int>(field)).meta;
  if (!meta.has_values) return std::nullopt;
  int f = static_cast<int>(field);
  return std::pair{s.format_value(f, meta.min), s.format_value(f, meta.max)};
}

// ---- Query ----

std::optional<Query> Query::prepare(const Rule& rule, const Store& store, std::vector<Diagnostic>& diagnostics) {
  if (!rule.impl || !store.impl) {
    diagnostics.push_back(empty_argument(rule.impl ? "Store" : "Rule"));
    return std::nullopt;
  }
  if (!rule.ok()) {
    Diagnostic d;
    d.code = "E801";
    d.message = "the rule has errors; it cannot run";
    d.source = "<rule>";
    diagnostics.push_back(std::move(d));
    return std::nullopt;
  }
  // Codes in the IR are the schema's; the store's schema may only extend its dictionaries.
  std::string why = schema_difference(rule.impl->schema->schema, store.impl->store.schema());
  if (!why.empty()) {
    Diagnostic d;
    d.code = "E802";
    d.message = "the rule was compiled against another schema than the store's: " + why;
    // Both names: the C API passes this on as it is (seg_query_prepare).
    d.suggestion = "compile the rule with the store's schema (Store::schema(), seg_store_schema())";
    d.source = "<rule>";
    diagnostics.push_back(std::move(d));
    return std::nullopt;
  }
  return Query{std::make_shared<const Impl>(Impl{store.impl, rule.impl})};
}

namespace {
rt::EvalResult run(const Query::Impl& q, const RunOptions& o, bool rows, bool explain, rt::Plan* plan_out = nullptr,
                  uint64_t max_rows = UINT64_MAX) {
  const rt::Store& s = q.store->store;
  rt::Plan plan = rt::build_plan(*q.rule->ir, s, o.now ? *o.now : clock_now(), {.jit = o.jit});
  rt::EvalOptions eo;
  eo.threads = std::max(1u, o.threads);
  eo.want_rows = rows || o.want_ids;
  if (!o.want_ids) eo.max_rows = max_rows;  // ids asked for are all of them
  eo.explain = explain;
  rt::EvalResult r = rt::evaluate(plan, s, eo);
  r.jit_warning = plan.jit_warning;
  if (plan_out) *plan_out = std::move(plan);
  return r;
}

Value cell(const rt::Store& s, int f, uint64_t row) {
  const Field& fd = s.schema().fields[static_cast<size_t>(f)];
  const rt::Column& c = s.column(f);
  if (fd.type == seg::FieldType::Set) {
    std::vector<std::string> tags;
    for (uint32_t t : s.tags_at(f, row)) tags.push_back(fd.dict[t].key);
    return tags;
  }
  if (c.is_null(row)) return std::monostate{};
  int64_t v = c.value_at(row);
  switch (fd.type) {
    case seg::FieldType::Int: return v;
    case seg::FieldType::Bool: return v != 0;
    case seg::FieldType::Decimal:
    case seg::FieldType::Timestamp:
    case seg::FieldType::Enum:
    case seg::FieldType::String:
    case seg::FieldType::Set: break;  // exact text: decimals, timestamps, keys, strings
  }
  return s.format_value(f, v);
}

ExplainNode explain_node(const rt::PlanNode& n, const rt::Store& s, const rt::EvalResult& r) {
  ExplainNode e;
  e.label = rt::plan_label(n);
  e.op = rt::op_name(n.op);
  e.kernel = rt::plan_kernel(n, s);
  e.estimated_selectivity = n.selectivity;
  e.estimated_cost = n.cost;
  if (static_cast<size_t>(n.id) < r.stats.size()) {
    const rt::NodeStats& st = r.stats[static_cast<size_t>(n.id)];
    e.rows_in = st.rows_in;
    e.rows_out = st.rows_out;
    e.ms = st.ns / 1e6;
    e.blocks = st.calls;
    e.zone_skipped = st.zone_skipped;
  }
  for (const auto& k : n.kids) e.children.push_back(explain_node(k, s, r));
  return e;
}

Result result_of(rt::EvalResult& r, const rt::Store& s, bool ids) {
  Result out{r.count, s.rows(), r.checksum, r.elapsed_ms, {}, {}};
  if (ids) out.ids = std::move(r.ids);
  if (!r.jit_warning.empty()) out.warnings.push_back(r.jit_warning);
  return out;
}
}  // namespace

Result Query::count(const RunOptions& options) const {
  need(impl, "Query::count");
  rt::EvalResult r = run(*impl, options, false, false);
  return result_of(r, impl->store->store, options.want_ids);
}

uint64_t Query::count_after(int64_t after, const RunOptions& options) const {
  need(impl, "Query::count_after");
  const rt::Store& s = impl->store->store;
  if (after == ir::kMax) return 0;
  if (s.id_field() < 0)  // no id field: no member has an id to be above `after`
    throw std::logic_error("seg::api::Query::count_after: the store has no id field");
  // The rule and `id > after`, as IR: no text is pasted, so no limit of rule text is crossed.
  ir::Node above;
  above.kind = ir::Kind::Range;
  above.field = s.id_field();
  above.lo = ir::Bound{after + 1, false};
  std::vector<ir::Node> both{*impl->rule->ir, std::move(above)};
  rt::Plan plan = rt::build_plan(ir::Node::conj(ir::Kind::And, std::move(both)), s, options.now ? *options.now : clock_now(),
                                 {.jit = options.jit});
  rt::EvalOptions eo;
  eo.threads = std::max(1u, options.threads);
  return rt::evaluate(plan, s, eo).count;
}

std::vector<int64_t> Query::ids(const RunOptions& options) const { need(impl, "Query::ids"); return run(*impl, options, true, false).ids; }

Page page_of_cells(const rt::Store& s, const std::vector<std::pair<const rt::Store*, uint64_t>>& rows,
                   const std::vector<size_t>& fields) {
  Page p;
  std::vector<int> order;
  for (size_t f : fields) {
    // A position past the schema is the caller's mistake, said rather than left out: a
    // page without the column asked for looked like a page of it (found by a review).
    if (f >= s.schema().fields.size())
      throw std::out_of_range(fmt::format("seg::api: field position {} is past the schema's {} fields", f,
                                          s.schema().fields.size()));
    order.push_back(static_cast<int>(f));
  }
  if (fields.empty()) {
    if (s.id_field() >= 0) order.push_back(s.id_field());
    for (int f = 0; f < static_cast<int>(s.schema().fields.size()); ++f)
      if (f != s.id_field()) order.push_back(f);
  }
  for (int f : order) p.columns.push_back(s.schema().fields[static_cast<size_t>(f)].name);
  // Set cells a column at a time, each store's rows together (tags_of_rows reads a block's
  // containers once for all its rows), once for both forms of the cell: member streams with
  // `tags` were 40x slower than other columns.
  std::map<int, std::vector<std::vector<uint32_t>>> set_codes;
  std::map<const rt::Store*, std::pair<std::vector<size_t>, std::vector<uint64_t>>> by_store;  // positions, rows
  for (size_t i = 0; i < rows.size(); ++i) {
    auto& [at, rs] = by_store[rows[i].first];
    at.push_back(i);
    rs.push_back(rows[i].second);
  }
  for (int f : order) {
    if (s.schema().fields[static_cast<size_t>(f)].type != seg::FieldType::Set) continue;
    auto& codes = set_codes[f];
    codes.resize(rows.size());
    for (const auto& [store, where] : by_store) {
      const auto& [at, rs] = where;
      auto found = store->tags_of_rows(f, rs);
      for (size_t j = 0; j < at.size(); ++j) codes[at[j]] = std::move(found[j]);
    }
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto [store, r] = rows[i];
    std::vector<Value> row;
    std::vector<std::string> text;
    for (int f : order) {
      if (store->schema().fields[static_cast<size_t>(f)].type == seg::FieldType::Set) {
        const std::vector<uint32_t>& codes = set_codes[f][i];
        std::vector<std::string> keys;
        for (uint32_t t : codes) keys.push_back(store->schema().fields[static_cast<size_t>(f)].dict[t].key);
        row.push_back(std::move(keys));
        text.push_back(store->format_tags(f, codes));
        continue;
      }
      row.push_back(cell(*store, f, r));
      text.push_back(store->format_cell(f, r));
    }
    p.rows.push_back(std::move(row));
    p.text.push_back(std::move(text));
  }
  return p;
}

namespace {
// Rows [first, last) of `rows` as a page: the fields at `fields`, or the id field first and
// then the schema's others.
Page page_of(const rt::Store& s, const std::vector<uint64_t>& rows, uint64_t first, uint64_t last,
             const std::vector<size_t>& fields = {}) {
  std::vector<std::pair<const rt::Store*, uint64_t>> at;
  for (uint64_t i = first; i < last; ++i) at.emplace_back(&s, rows[i]);
  return page_of_cells(s, at, fields);
}
}  // namespace

Page Query::rows(uint64_t offset, uint64_t limit, const RunOptions& options) const {
  need(impl, "Query::rows");
  // Only the members up to the page's end are collected (a page of a broad rule was slow).
  uint64_t end = limit > UINT64_MAX - offset ? UINT64_MAX : offset + limit;
  rt::EvalResult r = run(*impl, options, true, false, nullptr, end);
  const rt::Store& s = impl->store->store;
  uint64_t first = std::min<uint64_t>(offset, r.rows.size());
  uint64_t last = first + std::min<uint64_t>(limit, r.rows.size() - first);
  Page p = page_of(s, r.rows, first, last);
  p.offset = first;
  p.result = result_of(r, s, options.want_ids);
  return p;
}

struct MemberCursor::Impl {
  std::shared_ptr<const Query::Impl> query;
  rt::Plan plan;  // built once: one `now` for every batch
  unsigned threads = 1;
  std::optional<int64_t> after;
  uint64_t next_block = 0;
  bool collected_all = false;  // ids not in row order: everything was evaluated at once
  std::vector<int64_t> ids;    // the batch being handed out
  std::vector<uint64_t> rows;
  size_t at = 0;

  // 16 blocks of 65,536 rows: a batch of at most a million members (16 MB of ids and rows).
  static inline std::atomic<uint64_t> batch_blocks{16};

  // True with members waiting in the batch; false at the end.
  bool fill() {
    const rt::Store& s = query->store->store;
    while (at >= ids.size()) {
      rt::EvalOptions eo;
      eo.threads = threads;
      eo.want_rows = true;
      if (s.ids_sorted()) {
        if (next_block >= s.blocks()) return false;
        eo.first_block = next_block;
        eo.end_block = next_block + batch_blocks.load();
        next_block = eo.end_block;
      } else if (collected_all) {
        return false;
      } else {
        collected_all = true;
      }
      rt::EvalResult r = rt::evaluate(plan, s, eo);
      ids = std::move(r.ids);
      rows = std::move(r.rows);
      at = after ? static_cast<size_t>(std::upper_bound(ids.begin(), ids.end(), *after) - ids.begin()) : 0;
    }
    return true;
  }
};

MemberCursor Query::members(const RunOptions& options, std::optional<int64_t> after) const {
  need(impl, "Query::members");
  MemberCursor c;
  c.impl = std::make_shared<MemberCursor::Impl>();
  c.impl->query = impl;
  c.impl->plan = rt::build_plan(*impl->rule->ir, impl->store->store, options.now ? *options.now : clock_now(),
                                {.jit = options.jit});
  c.impl->threads = std::max(1u, options.threads);
  c.impl->after = after;
  return c;
}

std::vector<int64_t> MemberCursor::next_ids(size_t max) {
  need(impl, "MemberCursor::next_ids");
  std::vector<int64_t> out;
  while (out.size() < std::max<size_t>(max, 1) && impl->fill()) {
    size_t n = std::min(std::max<size_t>(max, 1) - out.size(), impl->ids.size() - impl->at);
    out.insert(out.end(), impl->ids.begin() + static_cast<std::ptrdiff_t>(impl->at),
               impl->ids.begin() + static_cast<std::ptrdiff_t>(impl->at + n));
    impl->at += n;
  }
  return out;
}

Page MemberCursor::next_rows(size_t max, const std::vector<size_t>& fields) {
  need(impl, "MemberCursor::next_rows");
  const rt::Store& s = impl->query->store->store;
  // One batch at most per call: a page never spans two evaluations' vectors.
  if (!impl->fill()) return page_of(s, {}, 0, 0, fields);
  size_t n = std::min(std::max<size_t>(max, 1), impl->ids.size() - impl->at);
  Page p = page_of(s, impl->rows, impl->at, impl->at + n, fields);
  impl->at += n;
  return p;
}

bool MemberCursor::done() { need(impl, "MemberCursor::done"); return !impl->fill(); }

Explain Query::explain(const RunOptions& options) const {
  need(impl, "Query::explain");
  rt::Plan plan;
  rt::EvalResult r = run(*impl, options, false, true, &plan);
  const rt::Store& s = impl->store->store;
  Explain e;
  e.root = explain_node(plan.root, s, r);
  e.path = rt::plan_path(plan, s);
  e.blocks = r.blocks;
  e.threads = r.threads;
  e.result = result_of(r, s, options.want_ids);
  return e;
}

Completion complete(std::string_view text_before_cursor, const Schema& schema) {
  if (!schema.impl) return Completion{text_before_cursor.size(), "", {}, false};  // nothing to offer
  RuleCompletion r = complete_rule(text_before_cursor, schema.impl->schema);
  return Completion{r.start, std::move(r.word), std::move(r.matches), r.add_space};
}

std::string value_as_rule_text(std::string_view key) { return seg::value_as_rule_text(key); }

bool rule_is_unfinished(std::string_view text) { return seg::rule_is_unfinished(text); }
bool line_continues_rule(std::string_view line) { return seg::line_continues_rule(line); }
std::string without_comments(std::string_view text) { return seg::without_comments(text); }

std::optional<int64_t> parse_timestamp(std::string_view text) { return seg::parse_timestamp(text); }
std::string format_timestamp(int64_t seconds) { return seg::format_timestamp(seconds); }
namespace {
nlohmann::ordered_json explain_json(const ExplainNode& n) {
  nlohmann::ordered_json j;
  j["op"] = n.op;
  j["label"] = n.label;
  j["kernel"] = n.kernel;
  j["estimated_selectivity"] = n.estimated_selectivity;
  j["estimated_cost"] = n.estimated_cost;
  j["rows_in"] = n.rows_in;
  j["rows_out"] = n.rows_out;
  j["ms"] = n.ms;
  j["blocks"] = n.blocks;
  j["zone_skipped"] = n.zone_skipped;
  if (!n.children.empty()) {
    auto& kids = j["children"] = nlohmann::ordered_json::array();
    for (const auto& k : n.children) kids.push_back(explain_json(k));
  }
  return j;
}
}  // namespace

std::string ExplainNode::json() const { return explain_json(*this).dump(); }

std::vector<std::string> nearest_names(std::string_view word, const std::vector<std::string>& candidates, size_t max) {
  return seg::nearest(word, candidates, max);
}

std::string csv_field(std::string_view cell) {
  if (cell.find_first_of(",\"\n") == std::string_view::npos) return std::string(cell);
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_field(std::string_view cell, const Value& typed) {
  if (cell.empty() && std::holds_alternative<std::string>(typed)) return "\"\"";
  return csv_field(cell);
}

std::string value_json(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>) return "null";
        // Bytes that are not UTF-8 (a host's own value; loaded data is checked) as U+FFFD, as
        // render_json does: nlohmann throws otherwise, and errors here are data.
        else return nlohmann::json(x).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      },
      v);
}

Limits limits() {
  seg::Limits l;
  return Limits{l.max_rule_bytes, l.max_json_bytes, l.max_list_values, static_cast<size_t>(l.max_json_depth)};
}

const char* version() { return SEG_VERSION; }

}  // namespace seg::api

// ---- internal (api/internal.hpp) ----

namespace seg::api::internal {
const seg::Schema& schema(const Schema& s) { return s.impl->schema; }
const rt::Store& store(const Store& s) { return s.impl->store; }
// Made non-const (and handed out as const) so that its sole owner may add to it in place
// (know_values_in_place).
Schema wrap(seg::Schema s) { return Schema{std::make_shared<Schema::Impl>(Schema::Impl{std::move(s)})}; }
bool know_values_in_place(Schema& s, const std::vector<std::pair<size_t, std::string>>& values) {
  if (!s.impl || s.impl.use_count() != 1) return false;
  seg::Schema& mine = const_cast<Schema::Impl&>(*s.impl).schema;  // created non-const by wrap, and no one else holds it
  for (const auto& [f, key] : values) mine.fields[f].dict.add_known_elsewhere(key);
  return true;
}
void set_member_batch_blocks(uint64_t blocks) { MemberCursor::Impl::batch_blocks = std::max<uint64_t>(blocks, 1); }
}  // namespace seg::api::internal
