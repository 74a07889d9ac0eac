// Pass flatten: nested and/or of the same kind become one level; one-child and/or become
// the child; `not not x` becomes x.
#include "compiler/passes/passes.hpp"
#include "compiler/passes/post_order.hpp"

namespace seg::passes {

bool flatten(ir::Node& root, PassContext&) {
  return post_order(root, [](ir::Node& n) {
    using ir::Kind;
    bool changed = false;
    if (n.kind == Kind::And || n.kind == Kind::Or) {
      bool nested = false;
      for (const auto& c : n.children) nested |= c.kind == n.kind;
      if (nested) {
        std::vector<ir::Node> kids;
        for (auto& c : n.children) {
          if (c.kind == n.kind)
            for (auto& g : c.children) kids.push_back(std::move(g));
          else
            kids.push_back(std::move(c));
        }
        n.children = std::move(kids);
        changed = true;
      }
      if (n.children.size() == 1) {
        ir::Node only = std::move(n.children[0]);
        n = std::move(only);
        return true;
      }
    } else if (n.kind == Kind::Not && n.children[0].kind == Kind::Not) {
      ir::Node inner = std::move(n.children[0].children[0]);
      n = std::move(inner);
      return true;
    }
    return changed;
  });
}

}  // namespace seg::passes
