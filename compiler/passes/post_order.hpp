// The bottom-up walk most passes are: children first, then the node itself.
#pragma once
#include <vector>

#include "compiler/ir.hpp"

namespace seg::passes {

// Applies `f` to every node bottom-up (children first); returns whether any call changed something.
template <typename F>
bool post_order(ir::Node& n, F&& f) {
  bool changed = false;
  for (auto& c : n.children) changed |= post_order(c, f);
  changed |= f(n);
  return changed;
}

// Removes the children whose flag in `drop` is set, the others kept in their order (one pass:
// erasing them one by one shifted the rest each time).
inline void drop_children(ir::Node& n, const std::vector<bool>& drop) {
  std::vector<ir::Node> kept;
  kept.reserve(n.children.size());
  for (size_t i = 0; i < n.children.size(); ++i)
    if (!drop[i]) kept.push_back(std::move(n.children[i]));
  n.children = std::move(kept);
}

}  // namespace seg::passes
