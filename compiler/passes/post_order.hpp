// The bottom-up walk most passes are: children first, then the node itself.
#pragma once
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

}  // namespace seg::passes
