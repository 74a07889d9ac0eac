// The public C++ API (include/seg/seg.hpp) over the compiler and the runtime: each entry
// point is the one place its work is done for every host (CLI, REPL, service, C API).
#include "seg/seg.hpp"

#include <fmt/format.h>

#include <chrono>

#include "compiler/compile.hpp"
#include "adapters/form.hpp"
#include "adapters/import.hpp"
#include "compiler/ir_json.hpp"
#include "compiler/passes/pass.hpp"
#include "schema/schema.hpp"
#include "runtime/exec/evaluate.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/exec/plan.hpp"

namespace seg::api {

struct Schema::Impl {
  seg::Schema schema;
};

struct Rule::Impl {
  std::shared_ptr<const Schema::Impl> schema;
  std::optional<ir::Node> ir;
  std::vector<Diagnostic> diagnostics;
  std::string text, summary;
  uint64_t hash = 0;
};

struct Store::Impl {
  rt::Store store;
  uint64_t skipped = 0;
  explicit Impl(rt::Store s) : store(std::move(s)) {}
};

struct Query::Impl {
  std::shared_ptr<const Store::Impl> store;
  std::shared_ptr<const Rule::Impl> rule;
};

namespace {

// Columns count characters (UTF-8 code points), as a person counts them under a caret.
uint32_t chars_between(std::string_view text, size_t from, size_t to) {
  uint32_t n = 0;
  for (size_t i = from; i < to && i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++n;
  return n;
}

Diagnostic from_compiler(const seg::Diagnostic& d, std::string_view text, std::string_view source) {
  Diagnostic out;
  out.severity = d.severity == seg::Severity::Error ? Severity::Error : Severity::Warning;
  out.code = d.code;
  out.message = d.message;
  out.suggestion = d.suggestion;
  out.source = source;
  out.json_path = d.json_path;
  if (d.json_path.empty() && !text.empty()) {
    size_t begin = std::min<size_t>(d.span.begin, text.size());
    size_t nl = begin == 0 ? std::string_view::npos : text.rfind('\n', begin - 1);
    size_t line_start = nl == std::string_view::npos ? 0 : nl + 1;
    out.line = 1;
    for (size_t i = 0; i < line_start; ++i) out.line += text[i] == '\n';
    out.column = 1 + chars_between(text, line_start, begin);
    size_t end = std::min<size_t>(std::max<size_t>(d.span.end, begin), text.size());
    size_t eol = text.find('\n', begin);
    if (eol != std::string_view::npos && end > eol) end = eol;
    out.end_column = out.column + chars_between(text, begin, end);
  }
  return out;
}

Diagnostic from_load(const rt::LoadError& e) {
  Diagnostic out;
  out.severity = e.warning ? Severity::Warning : Severity::Error;
  out.code = e.code;
  out.message = e.message;
  out.source = e.file;
  out.line = e.line;
  out.column = static_cast<uint32_t>(e.column);
  out.field = e.column_name;
  return out;
}

void append(std::vector<Diagnostic>& to, const Diagnostics& from, std::string_view text, std::string_view source) {
  for (const auto& d : from.list()) to.push_back(from_compiler(d, text, source));
}

int64_t clock_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
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

}  // namespace

std::string to_string(const Diagnostic& d) {
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

std::string Schema::to_json() const { return schema_to_json(impl->schema); }

std::vector<std::string> Schema::field_names() const {
  std::vector<std::string> out;
  for (const auto& f : impl->schema.fields) out.push_back(f.name);
  return out;
}

// ---- Rule ----

Rule Rule::compile(std::string_view source, const Schema& schema, RuleFormat format) {
  auto r = std::make_shared<Impl>();
  r->schema = schema.impl;
  const seg::Schema& sc = schema.impl->schema;
  Diagnostics d;
  std::string_view text = format == RuleFormat::Text ? source : std::string_view{};
  switch (format) {
    case RuleFormat::Text: {
      Compiled c = compile_rule(source, sc);
      r->ir = std::move(c.ir);
      d = std::move(c.diags);
      break;
    }
    case RuleFormat::Form:
      if (auto form = form_from_json(source, d)) r->ir = form_to_ir(*form, sc, d);
      break;
    case RuleFormat::IrJson: r->ir = ir_from_json(source, sc, d); break;
    case RuleFormat::QueryBuilder: r->ir = import_rule(source, ImportFormat::QueryBuilder, sc, d); break;
    case RuleFormat::JsonLogic: r->ir = import_rule(source, ImportFormat::JsonLogic, sc, d); break;
  }
  // Every way in ends at the same optimized IR (a fixed point: text is already optimized).
  if (r->ir && format != RuleFormat::Text) optimize(*r->ir, sc, d);
  if (d.has_errors()) r->ir.reset();
  append(r->diagnostics, d, text, format_source(format));
  if (r->ir) {
    r->text = ir::print_rule(*r->ir, sc);
    r->summary = summarize(*r->ir, sc);
    r->hash = ir::stable_hash(*r->ir);
  }
  return Rule{std::move(r)};
}

bool Rule::ok() const { return impl->ir.has_value(); }
const std::vector<Diagnostic>& Rule::diagnostics() const { return impl->diagnostics; }
const std::string& Rule::canonical_text() const { return impl->text; }
std::string Rule::ir_json(int indent) const { return impl->ir ? seg::ir_to_json(*impl->ir, impl->schema->schema, indent) : ""; }
uint64_t Rule::hash() const { return impl->hash; }
const std::string& Rule::summary() const { return impl->summary; }

// ---- Store ----

std::optional<Store> Store::open(const std::string& path, const Schema& schema, std::vector<Diagnostic>& diagnostics,
                                 const OpenOptions& options) {
  rt::LoadOptions lo;
  lo.skip_bad_rows = options.skip_bad_rows;
  lo.verify = options.verify;
  lo.progress = options.progress;
  rt::LoadResult r = rt::load_data(path, schema.impl->schema, lo);
  for (const auto& w : r.warnings) diagnostics.push_back(from_load(w));
  for (const auto& e : r.errors) diagnostics.push_back(from_load(e));
  if (!r.ok()) return std::nullopt;
  auto impl = std::make_shared<Impl>(std::move(*r.store));
  impl->skipped = r.skipped;
  return Store{std::move(impl)};
}

uint64_t Store::rows() const { return impl->store.rows(); }
uint64_t Store::rows_skipped() const { return impl->skipped; }
Schema Store::schema() const {
  // A copy with the data's dictionaries; the store keeps its own (aliasing the store's Impl).
  return Schema{std::make_shared<const Schema::Impl>(Schema::Impl{impl->store.schema()})};
}

// ---- Query ----

std::optional<Query> Query::prepare(const Rule& rule, const Store& store, std::vector<Diagnostic>& diagnostics) {
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
    d.suggestion = "compile the rule with the store's schema (Store::schema())";
    d.source = "<rule>";
    diagnostics.push_back(std::move(d));
    return std::nullopt;
  }
  return Query{std::make_shared<const Impl>(Impl{store.impl, rule.impl})};
}

namespace {
rt::EvalResult run(const Query::Impl& q, const RunOptions& o, bool rows, bool explain, rt::Plan* plan_out = nullptr) {
  const rt::Store& s = q.store->store;
  rt::Plan plan = rt::build_plan(*q.rule->ir, s, o.now ? *o.now : clock_now());
  rt::EvalOptions eo;
  eo.threads = std::max(1u, o.threads);
  eo.want_rows = rows;
  eo.explain = explain;
  rt::EvalResult r = rt::evaluate(plan, s, eo);
  if (plan_out) *plan_out = std::move(plan);
  return r;
}

Value cell(const rt::Store& s, int f, uint64_t row) {
  const Field& fd = s.schema().fields[static_cast<size_t>(f)];
  const rt::Column& c = s.column(f);
  if (fd.type == FieldType::Set) {
    std::vector<std::string> tags;
    for (uint32_t t : s.tags_at(f, row)) tags.push_back(fd.dict[t].key);
    return tags;
  }
  if (c.is_null(row)) return std::monostate{};
  int64_t v = c.value_at(row);
  switch (fd.type) {
    case FieldType::Int: return v;
    case FieldType::Bool: return v != 0;
    case FieldType::Decimal:
    case FieldType::Timestamp:
    case FieldType::Enum:
    case FieldType::String:
    case FieldType::Set: break;  // exact text: decimals, timestamps, keys, strings
  }
  return s.format_value(f, v);
}

ExplainNode explain_node(const rt::PlanNode& n, const rt::EvalResult& r) {
  ExplainNode e;
  e.label = n.label;
  e.op = rt::op_name(n.op);
  e.estimated_selectivity = n.selectivity;
  if (static_cast<size_t>(n.id) < r.stats.size()) {
    const rt::NodeStats& st = r.stats[static_cast<size_t>(n.id)];
    e.rows_in = st.rows_in;
    e.rows_out = st.rows_out;
    e.ms = st.ns / 1e6;
    e.blocks = st.calls;
    e.zone_skipped = st.zone_skipped;
  }
  for (const auto& k : n.kids) e.children.push_back(explain_node(k, r));
  return e;
}
}  // namespace

Result Query::count(const RunOptions& options) const {
  rt::EvalResult r = run(*impl, options, false, false);
  return Result{r.count, impl->store->store.rows(), r.checksum, r.elapsed_ms};
}

std::vector<int64_t> Query::ids(const RunOptions& options) const { return run(*impl, options, true, false).ids; }

Page Query::rows(uint64_t offset, uint64_t limit, const RunOptions& options) const {
  rt::EvalResult r = run(*impl, options, true, false);
  const rt::Store& s = impl->store->store;
  Page p;
  std::vector<int> order;
  if (s.id_field() >= 0) order.push_back(s.id_field());
  for (int f = 0; f < static_cast<int>(s.schema().fields.size()); ++f)
    if (f != s.id_field()) order.push_back(f);
  for (int f : order) p.columns.push_back(s.schema().fields[static_cast<size_t>(f)].name);
  uint64_t first = std::min<uint64_t>(offset, r.rows.size());
  uint64_t last = first + std::min<uint64_t>(limit, r.rows.size() - first);
  for (uint64_t i = first; i < last; ++i) {
    std::vector<Value> row;
    for (int f : order) row.push_back(cell(s, f, r.rows[i]));
    p.rows.push_back(std::move(row));
  }
  return p;
}

ExplainNode Query::explain(const RunOptions& options) const {
  rt::Plan plan;
  rt::EvalResult r = run(*impl, options, false, true, &plan);
  return explain_node(plan.root, r);
}

const char* version() { return SEG_VERSION; }

}  // namespace seg::api
