// The front end in one call (parse, check, lower, optimize) and the never/always-match warnings.
#include "compiler/compile.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "base/text_util.hpp"
#include "compiler/value_text.hpp"

#include "compiler/check.hpp"
#include "compiler/ir_json.hpp"
#include "compiler/lower.hpp"
#include "compiler/report_constant.hpp"
#include "grammar/parse.hpp"

namespace seg {

namespace {

// The name written just before `pos` (spaces skipped): the field a parse error's hint is about.
std::string_view word_before(std::string_view text, size_t pos) {
  size_t end = std::min(pos, text.size());
  while (end > 0 && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  size_t begin = end;
  while (begin > 0 && (std::isalnum(static_cast<unsigned char>(text[begin - 1])) || text[begin - 1] == '_')) --begin;
  return text.substr(begin, end - begin);
}

// The parser knows no schema, so its hint for a misspelt operator (E111: `tag anyy`) is the
// nearest word operator of the language. Here the field before it is known: the nearest
// operator that field takes, or the list of them when none is near (`spot anyy` is not `any`).
void operator_hints_for_the_field(std::string_view text, const Schema& schema, Diagnostics& diags) {
  for (auto& d : diags.list()) {
    if (d.code != "E111" || !d.fix || d.span.begin > text.size()) continue;
    // Only the misspelt word operator's fix; the parser's other E111 fixes (`!=` for `! =`,
    // `not spot between`, a list) are edits of more than the operator.
    bool word_operator = false;
    for (const char* w : {"in", "between", "is", "any", "all", "none", "not"}) word_operator |= *d.fix == w;
    if (!word_operator) continue;
    int idx = schema.find(word_before(text, d.span.begin));
    if (idx < 0) continue;
    const Field& f = schema.fields[static_cast<size_t>(idx)];
    std::vector<std::string> ops = operators_for(f), words;
    for (const auto& o : ops)
      if (std::isalpha(static_cast<unsigned char>(o[0]))) words.push_back(o.substr(0, o.find(' ')));
    if (std::find(words.begin(), words.end(), *d.fix) != words.end()) continue;  // the parser's is valid here
    std::string typed(text.substr(d.span.begin, d.span.end - d.span.begin));
    auto near = nearest(typed, words, 1);
    if (!near.empty()) {
      d.fix = near[0];
      d.suggestion = fmt::format("did you mean `{}`?", near[0]);
    } else {
      d.fix.reset();
      d.suggestion = fmt::format("`{}` takes {}", print_name(f), fmt::join(ops, ", "));
    }
  }
}

// The parser's list fix for one field's values written as conditions (`stage = Active or
// Deposit` -> `stage in (Active, Deposit)`), with the schema at hand: a set field takes `any`
// (`tag in (…)` is E301), and a "value" that is a field of the schema was a condition, so the
// list is no fix (`stage = Active, spot = 1`; a review).
void list_hints_for_the_field(std::string_view text, const Schema& schema, Diagnostics& diags) {
  for (auto& d : diags.list()) {
    // `tag = (VIP, BLOCKED)`: `any (`, not `in (` (the fix replaces `= (`; the field is before it).
    if (d.fix && *d.fix == "in (") {
      const std::string_view field = word_before(text, d.span.begin);
      const int f = schema.find(field);
      if (f >= 0 && schema.fields[static_cast<size_t>(f)].type == FieldType::Set) {
        d.fix = "any (";
        d.suggestion = fmt::format("a list is tested with `any` (at least one of them): `{} any (…)`", field);
      }
      continue;
    }
    if (!d.fix || d.suggestion.find("everal values") == std::string::npos) continue;  // the list hints' words
    const std::string& fix = *d.fix;
    const size_t in = fix.find(" in (");
    if (in == std::string::npos || fix.back() != ')') continue;
    const int idx = schema.find(fix.substr(0, in));
    if (idx < 0) continue;
    bool names_a_field = false;
    const std::string inner = fix.substr(in + 5, fix.size() - in - 6);
    for (size_t a = 0; a <= inner.size();) {
      const size_t b = std::min(inner.find(", ", a), inner.size());
      names_a_field |= schema.find(inner.substr(a, b - a)) >= 0;
      a = b + 2;
    }
    if (names_a_field) {
      d.fix.reset();
      d.suggestion = "join conditions with `and` or `or`";
      continue;
    }
    if (schema.fields[static_cast<size_t>(idx)].type == FieldType::Set) {
      const std::string with_any = fix.substr(0, in) + " any (" + fix.substr(in + 5);
      if (auto at = d.suggestion.find(fix); at != std::string::npos) d.suggestion.replace(at, fix.size(), with_any);
      d.fix = with_any;
    }
  }
}

// The limits of rule text on the optimized IR and its canonical text. `from_text`: only E401,
// at no span (the parser has held the text itself to the rest); otherwise at the document's root.
void check_rule_limits(const ir::Node& optimized, std::string_view canonical_text, bool from_text, Diagnostics& diags,
                       const Limits& limits) {
  if (size_t max = limits.max_rule_bytes; canonical_text.size() > max) {
    std::string msg = fmt::format("the rule's canonical text would be {} bytes; the limit is {}", canonical_text.size(), max);
    if (from_text) diags.error("E401", Span{}, msg, "split it into several segments");
    else diags.json_error("E401", "", msg, "split it into several segments");
  }
  // An import of 5,001 `and` pairs was accepted, and its canonical text then refused (E403)
  // wherever it was read back.
  if (size_t max = limits.max_predicates, n = ir::condition_count(optimized); !from_text && n > max)
    diags.json_error("E403", "", fmt::format("the rule has {} conditions (as rule text); the limit is {}", n, max),
                     "split it into several segments");
}

// The steps every way in ends with: optimize, print, hold to the limits.
void finish(Compiled& c, const Schema& schema, const CompileOptions& options, bool from_text) {
  if (c.ir && !c.diags.has_errors()) {
    optimize(*c.ir, schema, c.diags, options.passes);
    c.text = ir::print_rule(*c.ir, schema);
    check_rule_limits(*c.ir, c.text, from_text, c.diags, options.limits);
  }
  if (c.diags.has_errors()) {
    c.ir.reset();
    c.text.clear();
  }
}

}  // namespace

Compiled compile_rule(std::string_view text, const Schema& schema, const CompileOptions& options) {
  Compiled out;
  auto ast = parse_rule(text, out.diags, options.limits);
  if (!ast) {
    operator_hints_for_the_field(text, schema, out.diags);
    list_hints_for_the_field(text, schema, out.diags);
    return out;
  }
  if (!check_rule(*ast, schema, text, out.diags)) return out;
  ir::Node node = lower(*ast, schema);
  report_constant_parts(node, schema, out.diags);
  out.ir = std::move(node);
  finish(out, schema, options, true);
  return out;
}

Compiled compile_ir_json(std::string_view document, const Schema& schema, const CompileOptions& options) {
  Compiled out;
  out.ir = ir_from_json(document, schema, out.diags);
  if (!out.ir || out.diags.has_errors()) {
    out.ir.reset();
    return out;
  }
  // Parts that can never match (or always do) are said at their paths, as rule text says them.
  report_constant_parts(*out.ir, schema, out.diags);
  finish(out, schema, options, false);
  return out;
}

Compiled compile_built(std::optional<ir::Node> built, Diagnostics diags, const Schema& schema,
                       const CompileOptions& options) {
  Compiled out{std::move(built), {}, std::move(diags)};
  finish(out, schema, options, false);
  return out;
}

}  // namespace seg
