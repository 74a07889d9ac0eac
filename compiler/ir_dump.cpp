// `seg ir` text output: the IR as an indented tree, one node per line, with where it came from.
#include <fmt/format.h>

#include "compiler/ir.hpp"
#include "schema/schema.hpp"
#include "base/time_util.hpp"
#include "compiler/value_text.hpp"

namespace seg::ir {

namespace {
std::string bound_text(const Field& f, Bound b) {
  if (b.now_relative) return relative_text(b.value);
  if (b.value == kMin) return "-inf";
  if (b.value == kMax) return "+inf";
  return f.type == FieldType::Timestamp ? format_timestamp(b.value) : value_text(f, b.value);
}

std::string origin_text(const Origin& o) {
  if (!o.json_path.empty()) return fmt::format("  @{}", o.json_path);
  if (!o.form_section.empty()) return fmt::format("  @form:{}", o.form_section);
  if (o.span.end > o.span.begin) return fmt::format("  @{}..{}", o.span.begin, o.span.end);
  return "";
}

void dump(const Node& n, const Schema& s, int depth, std::string& out) {
  std::string pad(static_cast<size_t>(depth) * 2, ' ');
  if (!n.is_predicate()) {
    if (n.kind == Kind::Const) out += fmt::format("{}{}{}\n", pad, n.value ? "true" : "false", origin_text(n.origin));
    else out += fmt::format("{}{}{}\n", pad, kind_name(n.kind), origin_text(n.origin));
    for (const auto& c : n.children) dump(c, s, depth + 1, out);
    return;
  }
  const Field& f = s.fields.at(n.field);
  std::string body;
  if (n.kind == Kind::Range) {
    body = fmt::format("[{}, {}]", bound_text(f, n.lo), bound_text(f, n.hi));
  } else if (n.kind != Kind::IsNull) {
    std::vector<std::string> vals;
    for (int64_t v : n.values.codes) vals.push_back(value_text(f, v));
    for (const auto& v : n.values.names) vals.push_back(quote_string(v));
    for (const auto& v : n.values.unknown) vals.push_back(quote_string(v) + "?");
    body = fmt::format("{{{}}}", fmt::join(vals, ", "));
  }
  out += fmt::format("{}{}{} {} {}{}\n", pad, n.negated ? "not_" : "", kind_name(n.kind), f.name, body,
                     origin_text(n.origin));
}
}  // namespace

std::string dump_tree(const Node& n, const Schema& schema) {
  std::string out;
  dump(n, schema, 0, out);
  return out;
}

}  // namespace seg::ir
