// Rule: compiling a rule from any of its formats (the one place a rule is parsed, checked and
// lowered for every client), and what it says of itself: canonical text, IR JSON, form, exports.
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
  std::string_view text = format == RuleFormat::Text ? source : std::string_view{};
  r->source = text;
  r->source_name = source_name.empty() ? format_source(format) : source_name;
  // Every way in ends in compiler/compile.cpp's steps: the optimized IR, its canonical text and
  // the limits of rule text (docs/limits.md).
  Compiled c;
  switch (format) {
    case RuleFormat::Text: c = compile_rule(source, sc); break;
    case RuleFormat::IrJson: c = compile_ir_json(source, sc); break;
    case RuleFormat::Form: {
      Diagnostics d;
      std::optional<ir::Node> built;
      if (auto form = form_from_json(source, d)) {
        built = form_to_ir(*form, sc, d);
        r->title = form->title;
      }
      c = compile_built(std::move(built), std::move(d), sc);
      break;
    }
    case RuleFormat::QueryBuilder:
    case RuleFormat::JsonLogic: {
      Diagnostics d;
      auto as = format == RuleFormat::QueryBuilder ? ImportFormat::QueryBuilder : ImportFormat::JsonLogic;
      std::optional<ir::Node> built = import_rule(source, as, sc, d);
      c = compile_built(std::move(built), std::move(d), sc);
      break;
    }
  }
  r->ir = std::move(c.ir);
  r->text = std::move(c.text);
  append(r->diagnostics, c.diags, text, r->source_name);
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

}  // namespace seg::api
