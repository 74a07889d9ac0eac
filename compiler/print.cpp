// Canonical rule text from the IR: lower-case keywords, parentheses where precedence needs them
// and around an `and` inside an `or`, values quoted
// only where needed. `seg fmt` prints through here, so there is one printer.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/ir.hpp"
#include "schema/schema.hpp"
#include "base/limits.hpp"
#include "base/time_util.hpp"
#include "compiler/value_text.hpp"

namespace seg::ir {

namespace {

enum Prec { kOr = 1, kAnd = 2, kNot = 3, kAtom = 4 };

struct Printed {
  std::string text;
  int prec;
  // Nesting as the parser limits it (E402): `nest` counts grouping parentheses and `not`s,
  // `parens` every open parenthesis, the value lists' included.
  size_t nest = 0, parens = 0;
};

class Printer {
 public:
  Printer(const Schema& s, bool group_and_in_or) : schema_(s), group_and_in_or_(group_and_in_or) {}

  Printed node(const Node& n) {
    switch (n.kind) {
      case Kind::Const: return {n.value ? "true" : "false", kAtom};
      case Kind::Or:
      case Kind::And: {
        if (n.children.empty()) return {n.kind == Kind::And ? "true" : "false", kAtom};
        if (n.children.size() == 1) return node(n.children[0]);
        bool is_and = n.kind == Kind::And;
        std::string out;
        size_t nest = 0, parens = 0;
        for (const auto& c : n.children) {
          if (!out.empty()) out += is_and ? " and " : " or ";
          // An `and` inside an `or` is parenthesised although precedence does not need it:
          // `a or (b and c)` cannot be misread, and the checker warns without them (W505).
          Printed w = wrap(node(c), is_and ? kAnd : group_and_in_or_ ? kNot : kOr);
          out += w.text;
          nest = std::max(nest, w.nest);
          parens = std::max(parens, w.parens);
        }
        return {out, is_and ? kAnd : kOr, nest, parens};
      }
      case Kind::Not: {
        Printed w = wrap(node(n.children.at(0)), kNot);
        return {"not " + w.text, kNot, w.nest + 1, w.parens};
      }
      case Kind::In:
      case Kind::Range:
      case Kind::IsNull:
      case Kind::SetAny:
      case Kind::SetAll:
      case Kind::SetNone: return predicate(n);
    }
    return {"?", kAtom};
  }

  static Printed wrap(Printed p, int need) {
    if (p.prec >= need) return p;
    return {"(" + p.text + ")", kAtom, p.nest + 1, p.parens + 1};
  }

 private:
  Printed predicate(const Node& n) {
    if (n.field < 0 || static_cast<size_t>(n.field) >= schema_.fields.size())
      return {fmt::format("<field {}>", n.field), kAtom};
    const Field& f = schema_.fields[n.field];
    const std::string& name = print_name(f);
    switch (n.kind) {
      case Kind::IsNull: return {fmt::format("{} is {}null", name, n.negated ? "not " : ""), kAtom};
      case Kind::Range: return range(n, f, name);
      case Kind::In: {
        auto vals = values(n, f);
        if (vals.empty()) return n.negated ? Printed{name + " is not null", kAtom} : Printed{"false", kAtom};
        if (vals.size() == 1) return {fmt::format("{} {} {}", name, n.negated ? "!=" : "=", vals[0]), kAtom};
        return {fmt::format("{} {}in ({})", name, n.negated ? "not " : "", fmt::join(vals, ", ")), kAtom, 0, 1};
      }
      case Kind::SetAny:
      case Kind::SetAll:
      case Kind::SetNone: {
        auto vals = values(n, f);
        const char* op = n.kind == Kind::SetAny ? "any" : n.kind == Kind::SetAll ? "all" : "none";
        if (vals.empty()) return {n.kind == Kind::SetAny ? "false" : "true", kAtom};
        return {fmt::format("{} {} ({})", name, op, fmt::join(vals, ", ")), kAtom, 0, 1};
      }
      case Kind::Const:
      case Kind::And:
      case Kind::Or:
      case Kind::Not: break;  // structure: printed by node()
    }
    return {"?", kAtom};
  }

  std::vector<std::string> values(const Node& n, const Field& f) {
    std::vector<std::string> out;
    for (int64_t v : n.values.codes) out.push_back(value_text(f, v));
    for (const auto& s : n.values.names) out.push_back(symbol_text(s));
    for (const auto& s : n.values.unknown) out.push_back(symbol_text(s));
    return out;
  }

  // Text of a bound. Timestamps: a date when the bound is the start of a day (lower side)
  // or its last second (upper side), as the spec reads dates.
  std::string bound(const Field& f, Bound b, bool upper) {
    if (b.now_relative) return relative_text(b.value);
    if (f.type == FieldType::Timestamp) {
      int64_t probe = upper ? b.value + 1 : b.value;
      if (probe % kSecondsPerDay == 0) return format_date(b.value);  // the day of its first or last second
      return format_timestamp(b.value);
    }
    return value_text(f, b.value);
  }

  // `<= hi` or `< hi+1`, whichever is shorter; on a tie the half-open convention people use
  // for dates (`>= start`, `< end`). Dictionary fields always use the inclusive form, as
  // people write funnels.
  std::string upper_op(const Field& f, Bound hi) {
    std::string incl = bound(f, hi, true);
    if (f.type == FieldType::Enum || hi.value == kMax) return "<= " + incl;
    std::string excl = bound(f, Bound{hi.value + 1, hi.now_relative}, false);
    return excl.size() <= incl.size() ? "< " + excl : "<= " + incl;
  }
  std::string lower_op(const Field& f, Bound lo) {
    std::string incl = bound(f, lo, false);
    if (f.type == FieldType::Enum || lo.value == kMin) return ">= " + incl;
    std::string excl = bound(f, Bound{lo.value - 1, lo.now_relative}, true);
    return excl.size() < incl.size() ? "> " + excl : ">= " + incl;
  }

  Printed range(const Node& n, const Field& f, const std::string& name) {
    Bound lo = n.lo, hi = n.hi;
    if (f.type == FieldType::Enum) {
      auto on = enum_range_on_dictionary(f, lo, hi);
      if (!on) return {n.negated ? name + " is not null" : "false", kAtom};
      lo = on->lo;
      hi = on->hi;
    }
    bool lo_open = !lo.now_relative && lo.value == kMin;
    bool hi_open = !hi.now_relative && hi.value == kMax;
    if (lo_open && hi_open) return {n.negated ? "false" : name + " is not null", kAtom};
    bool same_rel = lo.now_relative == hi.now_relative;
    bool point = same_rel && lo.value == hi.value;
    bool day = f.type == FieldType::Timestamp && !lo.now_relative && !hi.now_relative && lo.value % kSecondsPerDay == 0 &&
               hi.value == lo.value + kSecondsPerDay - 1;
    if (point || day) {
      std::string v = day ? format_date(lo.value) : lo.now_relative ? relative_text(lo.value)
                          : f.type == FieldType::Timestamp ? format_timestamp(lo.value) : value_text(f, lo.value);
      return {fmt::format("{} {} {}", name, n.negated ? "!=" : "=", v), kAtom};
    }
    if (!n.negated) {
      if (lo_open) return {fmt::format("{} {}", name, upper_op(f, hi)), kAtom};
      if (hi_open) return {fmt::format("{} {}", name, lower_op(f, lo)), kAtom};
      return {fmt::format("{} between {} and {}", name, bound(f, lo, false), bound(f, hi, true)), kAtom};
    }
    // Not null and outside [lo, hi]: both comparisons are false on null, as required. The
    // shifts saturate: the printer takes any IR, even a now-relative bound at the int64 edge
    // that no reader accepts (found by fuzzing random IR).
    if (lo_open) return {fmt::format("{} {}", name, lower_op(f, shifted(hi, 1))), kAtom};
    if (hi_open) return {fmt::format("{} {}", name, upper_op(f, shifted(lo, -1))), kAtom};
    return {fmt::format("{} {} or {} {}", name, upper_op(f, shifted(lo, -1)), name, lower_op(f, shifted(hi, 1))),
            kOr};
  }

  const Schema& schema_;
  const bool group_and_in_or_;
};

// The parentheses around an `and` in an `or` are for the reader; a rule nested so deeply that
// they would take it past the parser's limit (E402) is printed without them, so canonical
// text always parses again.
Printed print(const Node& n, const Schema& schema) {
  Printed p = Printer(schema, true).node(n);
  if (std::max(p.nest, p.parens) > Limits{}.max_depth) p = Printer(schema, false).node(n);
  return p;
}

}  // namespace

std::string print_rule(const Node& n, const Schema& schema) { return print(n, schema).text; }

size_t printed_depth(const Node& n, const Schema& schema) {
  Printed p = print(n, schema);
  return std::max(p.nest, p.parens);
}

}  // namespace seg::ir
