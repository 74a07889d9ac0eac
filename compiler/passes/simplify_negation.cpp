// Pass simplify_negation: pushes `not` down to the predicates (De Morgan is exact here: every
// predicate is true or false, never unknown) and into them where the null semantics allow:
// `not is null` is `is not null`; `not tag any (A)` is `tag none (A)`; on a field that is never
// null, `not x in (A)` is `x not in (A)`. On a nullable field `not x in (A)` also holds for
// null, which `x not in (A)` does not: it becomes `x is null or x not in (A)`.
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
      if (!negation_prints_back(c)) return false;
      Node r = std::move(c);
      r.negated = !r.negated;
      r.origin = o;
      if (schema.fields[r.field].nullable) {
        // `not x = v` also holds for a client with no value: `x is null or x != v`, said
        // outright (one spelling for both, whichever was written or imported).
        Node null;
        null.kind = Kind::IsNull;
        null.field = r.field;
        null.origin = o;
        std::vector<Node> kids;
        kids.push_back(std::move(null));
        kids.push_back(std::move(r));
        n = Node::conj(Kind::Or, std::move(kids), o);
        return true;
      }
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
