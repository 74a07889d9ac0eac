// Pass simplify_negation: pushes `not` down to the predicates (De Morgan is exact here: every
// predicate is true or false, never unknown) and into them where the null semantics allow:
// `not is null` is `is not null`; `not tag any (A)` is `tag none (A)`; on a field that is never
// null, `not x in (A)` is `x not in (A)`. On a nullable field `not x in (A)` also holds for
// null, which `x not in (A)` does not, so it stays.
#include "compiler/passes/passes.hpp"
#include "schema/schema.hpp"

namespace seg::passes {

namespace {
using ir::Kind;
using ir::Node;
using ir::Origin;

// Rewrites n = Not(child) where possible; returns whether it did.
bool push(Node& n, const Schema& schema) {
  if (n.kind != Kind::Not) return false;
  Node& c = n.children[0];
  Origin o = n.origin;
  switch (c.kind) {
    case Kind::Const: {
      Node r = Node::constant(!c.value, o);
      n = std::move(r);
      return true;
    }
    case Kind::Not: {
      Node r = std::move(c.children[0]);
      n = std::move(r);
      return true;
    }
    case Kind::And:
    case Kind::Or: {
      std::vector<Node> kids;
      for (auto& g : c.children) {
        Origin go = g.origin;
        kids.push_back(Node::negate(std::move(g), std::move(go)));
      }
      Node r = Node::conj(c.kind == Kind::And ? Kind::Or : Kind::And, std::move(kids), o);
      n = std::move(r);
      return true;
    }
    case Kind::IsNull: {
      Node r = std::move(c);
      r.negated = !r.negated;
      r.origin = o;
      n = std::move(r);
      return true;
    }
    case Kind::SetAny:
    case Kind::SetNone: {
      Node r = std::move(c);
      r.kind = r.kind == Kind::SetAny ? Kind::SetNone : Kind::SetAny;
      r.origin = o;
      n = std::move(r);
      return true;
    }
    case Kind::In:
    case Kind::Range: {
      if (schema.fields[c.field].nullable) return false;
      if (c.kind == Kind::Range) {
        // A bounded range with one bound relative to now and the other absolute cannot be
        // written back as text that parses to the same negated range; leave it.
        bool lo_open = !c.lo.now_relative && c.lo.value == ir::kMin;
        bool hi_open = !c.hi.now_relative && c.hi.value == ir::kMax;
        if (!lo_open && !hi_open && c.lo.now_relative != c.hi.now_relative) return false;
      }
      Node r = std::move(c);
      r.negated = !r.negated;
      r.origin = o;
      n = std::move(r);
      return true;
    }
    case Kind::SetAll: return false;
  }
  return false;  // every kind returns above
}

bool walk(Node& n, const Schema& schema) {
  bool changed = false;
  // Top-down, so a `not` pushed into an and/or is pushed further on the way down.
  while (push(n, schema)) changed = true;
  for (auto& c : n.children) changed |= walk(c, schema);
  return changed;
}
}  // namespace

bool simplify_negation(ir::Node& root, PassContext& ctx) { return walk(root, ctx.schema); }

}  // namespace seg::passes
