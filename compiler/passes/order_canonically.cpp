// Pass order_canonically: and/or children in one order (ir::compare) with duplicates removed,
// so rules that mean the same print the same and hash the same.
#include <algorithm>

#include "compiler/passes/passes.hpp"
#include "compiler/passes/post_order.hpp"

namespace seg::passes {

bool order_canonically(ir::Node& root, PassContext&) {
  return post_order(root, [](ir::Node& n) {
    if (n.kind != ir::Kind::And && n.kind != ir::Kind::Or) return false;
    auto less = [](const ir::Node& a, const ir::Node& b) { return ir::compare(a, b) < 0; };
    bool changed = false;
    if (!std::is_sorted(n.children.begin(), n.children.end(), less)) {
      std::stable_sort(n.children.begin(), n.children.end(), less);
      changed = true;
    }
    auto same = [](const ir::Node& a, const ir::Node& b) { return ir::compare(a, b) == 0; };
    auto end = std::unique(n.children.begin(), n.children.end(), same);
    if (end != n.children.end()) {
      n.children.erase(end, n.children.end());
      changed = true;
    }
    return changed;
  });
}

}  // namespace seg::passes
