// Lowering from the checked AST to the IR: where rule text's meaning is decided (a date is its
// whole day, `!=` keeps nulls out, names become codes). The whole-day rule is also read back
// by the printer, W503's check and the importers (docs/architecture.md, "Adding an operator").
#include "compiler/lower.hpp"

#include "base/time_util.hpp"

namespace seg {

using ast::Kind;
using ast::ValueKind;
using ir::Bound;
using ir::Node;

namespace {

Node predicate(ir::Kind k, int field, Span span) {
  Node n;
  n.kind = k;
  n.field = field;
  n.origin.span = span;
  return n;
}

// An `in` list of the expression's values, for every type but timestamps: codes, scaled integers,
// 0/1 or names (named so as not to be read as the live membership).
Node in_list(const ast::Expr& e, const Field& f, bool negated) {
  Node n = predicate(ir::Kind::In, e.field_index, e.span);
  n.negated = negated;
  for (const auto& v : e.values) {
    if (f.type == FieldType::String) n.values.names.push_back(v.name);
    else if (v.unknown) n.values.unknown.push_back(v.name);
    else n.values.codes.push_back(v.resolved);
  }
  n.values.normalize();
  return n;
}

// The interval a timestamp value stands for: a date is the whole day, others one second.
std::pair<Bound, Bound> interval(const ast::Value& v) {
  bool rel = v.kind == ValueKind::RelTime;
  int64_t hi = v.kind == ValueKind::Date ? v.resolved + kSecondsPerDay - 1 : v.resolved;
  return {Bound{v.resolved, rel}, Bound{hi, rel}};
}

Node range(int field, Span span, Bound lo, Bound hi, bool negated = false) {
  Node n = predicate(ir::Kind::Range, field, span);
  n.lo = lo;
  n.hi = hi;
  n.negated = negated;
  return n;
}

// x - 1 / x + 1 on a bound, or nullopt when it leaves int64 (the comparison is then empty).
std::optional<Bound> step(Bound b, int64_t d) {
  int64_t r;
  if (__builtin_add_overflow(b.value, d, &r)) return std::nullopt;
  return Bound{r, b.now_relative};
}

Node ordering(const ast::Expr& e, const Field& f) {
  const ast::Value& v = e.values[0];
  bool ts = f.type == FieldType::Timestamp;
  auto [first, last] = ts ? interval(v) : std::pair{Bound{v.resolved, false}, Bound{v.resolved, false}};
  Bound lo{ir::kMin, false}, hi{ir::kMax, false};
  std::optional<Bound> b;
  switch (e.op) {
    case ast::Op::Lt: b = step(first, -1); hi = b.value_or(hi); break;
    case ast::Op::Le: hi = last; break;
    case ast::Op::Gt: b = step(last, 1); lo = b.value_or(lo); break;
    case ast::Op::Ge: lo = first; break;
    case ast::Op::Eq:
    case ast::Op::Ne: break;
  }
  // A timestamp holds years 0000-9999: a bound stepped past them (`> 9999-12-31`) is past every
  // value, and would print as text no reader takes back (found by a review).
  if (ts && b && !b->now_relative && !writable_second(b->value)) b.reset();
  if ((e.op == ast::Op::Lt || e.op == ast::Op::Gt) && !b) {
    // Nothing is below the smallest (above the largest) value: an empty list, which folds to
    // false and is reported as a part that never matches.
    Node n = predicate(ir::Kind::In, e.field_index, e.span);
    return n;
  }
  return range(e.field_index, e.span, lo, hi);
}

}  // namespace

Node lower(const ast::Expr& e, const Schema& schema) {
  switch (e.kind) {
    case Kind::Bool: return Node::constant(e.boolean, {e.span});
    case Kind::Or:
    case Kind::And: {
      std::vector<Node> kids;
      kids.reserve(e.children.size());
      for (const auto& c : e.children) kids.push_back(lower(c, schema));
      return Node::conj(e.kind == Kind::And ? ir::Kind::And : ir::Kind::Or, std::move(kids), {e.span});
    }
    case Kind::Not: return Node::negate(lower(e.children[0], schema), {e.span});
    case Kind::In:
    case Kind::NotIn:
    case Kind::Compare:
    case Kind::Between:
    case Kind::IsNull:
    case Kind::IsNotNull:
    case Kind::Any:
    case Kind::All:
    case Kind::None: break;
  }
  const Field& f = schema.fields[e.field_index];
  bool ts = f.type == FieldType::Timestamp;
  switch (e.kind) {
    case Kind::In:
    case Kind::NotIn: {
      bool neg = e.kind == Kind::NotIn;
      if (!ts) return in_list(e, f, neg);
      // Timestamps: each value is an interval; `in` is any of them, `not in` none of them
      // (and not null, which each negated range already requires).
      std::vector<Node> parts;
      for (const auto& v : e.values) {
        auto [lo, hi] = interval(v);
        parts.push_back(range(e.field_index, v.span, lo, hi, neg));
      }
      if (parts.size() == 1) {
        parts[0].origin.span = e.span;
        return std::move(parts[0]);
      }
      return Node::conj(neg ? ir::Kind::And : ir::Kind::Or, std::move(parts), {e.span});
    }
    case Kind::Compare:
      if (e.op == ast::Op::Eq || e.op == ast::Op::Ne) {
        bool neg = e.op == ast::Op::Ne;
        if (!ts) return in_list(e, f, neg);
        auto [lo, hi] = interval(e.values[0]);
        return range(e.field_index, e.span, lo, hi, neg);
      }
      return ordering(e, f);
    case Kind::Between: {
      const auto &a = e.values[0], &b = e.values[1];
      Bound lo = ts ? interval(a).first : Bound{a.resolved, false};
      Bound hi = ts ? interval(b).second : Bound{b.resolved, false};
      return range(e.field_index, e.span, lo, hi);
    }
    case Kind::IsNull:
    case Kind::IsNotNull: {
      Node n = predicate(ir::Kind::IsNull, e.field_index, e.span);
      n.negated = e.kind == Kind::IsNotNull;
      return n;
    }
    case Kind::Any:
    case Kind::All:
    case Kind::None: {
      Node n = in_list(e, f, false);
      n.kind = e.kind == Kind::Any ? ir::Kind::SetAny : e.kind == Kind::All ? ir::Kind::SetAll : ir::Kind::SetNone;
      return n;
    }
    case Kind::Or:
    case Kind::And:
    case Kind::Not:
    case Kind::Bool: break;  // structure: lowered above
  }
  return Node::constant(false, {e.span});
}

}  // namespace seg
