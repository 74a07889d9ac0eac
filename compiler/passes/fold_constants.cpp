// Pass fold_constants: evaluates what is known without data. true/false absorb or vanish in
// and/or; predicates that cannot match (empty lists, empty ranges, `is null` on a field that is
// never null) become false, and those that always hold become true. Values the dictionary does
// not know (a new tag) are kept, never folded: the data's dictionary may know them by the time
// the rule runs, and a stored segment must not lose what the person chose.
#include "compiler/passes/passes.hpp"
#include "compiler/passes/post_order.hpp"
#include "schema/schema.hpp"

namespace seg::passes {

namespace {
using ir::Kind;
using ir::Node;

void become(Node& n, Node replacement) {
  replacement.origin = std::move(n.origin);
  n = std::move(replacement);
}

// `field is not null` for a nullable field, true otherwise.
Node not_null(const Node& n, const Field& f) {
  if (!f.nullable) return Node::constant(true);
  Node r;
  r.kind = Kind::IsNull;
  r.negated = true;
  r.field = n.field;
  return r;
}

bool fold(Node& n, const Schema& schema) {
  switch (n.kind) {
    case Kind::And:
    case Kind::Or: {
      bool absorbing = n.kind == Kind::Or;  // true absorbs or, false absorbs and
      size_t before = n.children.size();
      for (const auto& c : n.children)
        if (c.is_const(absorbing)) {
          become(n, Node::constant(absorbing));
          return true;
        }
      std::erase_if(n.children, [&](const Node& c) { return c.is_const(!absorbing); });
      if (n.children.empty()) {
        become(n, Node::constant(!absorbing));
        return true;
      }
      return n.children.size() != before;
    }
    case Kind::Not:
      if (n.children[0].kind == Kind::Const) {
        become(n, Node::constant(!n.children[0].value));
        return true;
      }
      return false;
    case Kind::Const: return false;
    case Kind::In:
    case Kind::Range:
    case Kind::IsNull:
    case Kind::SetAny:
    case Kind::SetAll:
    case Kind::SetNone: break;
  }
  const Field& f = schema.fields[n.field];
  switch (n.kind) {
    case Kind::IsNull:
      // On a set field IsNull means "holds no value" (what the runtime and the reference
      // evaluator do); no reader produces it, and it is not constant.
      if (!f.nullable && f.type != FieldType::Set) {
        become(n, Node::constant(n.negated));
        return true;
      }
      return false;
    case Kind::In: {
      if (n.values.empty()) {
        become(n, n.negated ? not_null(n, f) : Node::constant(false));
        return true;
      }
      bool closed = f.is_dictionary() && !f.dict.open;
      bool all = (closed && n.values.codes.size() == f.dict.size()) ||
                 (f.type == FieldType::Bool && n.values.codes.size() == 2);
      if (all) {
        become(n, n.negated ? Node::constant(false) : not_null(n, f));
        return true;
      }
      return false;
    }
    case Kind::Range: {
      bool lo_open = !n.lo.now_relative && n.lo.value == ir::kMin;
      bool hi_open = !n.hi.now_relative && n.hi.value == ir::kMax;
      bool empty = n.lo.now_relative == n.hi.now_relative && n.lo.value > n.hi.value;
      if (empty) {
        become(n, n.negated ? not_null(n, f) : Node::constant(false));
        return true;
      }
      if (lo_open && hi_open) {
        become(n, n.negated ? Node::constant(false) : not_null(n, f));
        return true;
      }
      return false;
    }
    case Kind::SetAny:
    case Kind::SetAll:
    case Kind::SetNone:
      // Nothing to hold: `any ()` holds for nobody, `all ()` and `none ()` for everybody.
      if (n.values.empty()) {
        become(n, Node::constant(n.kind != Kind::SetAny));
        return true;
      }
      return false;
    case Kind::Const:
    case Kind::And:
    case Kind::Or:
    case Kind::Not: return false;
  }
  return false;  // every kind returns above
}
}  // namespace

bool fold_constants(ir::Node& root, PassContext& ctx) {
  return post_order(root, [&](ir::Node& n) { return fold(n, ctx.schema); });
}

}  // namespace seg::passes
