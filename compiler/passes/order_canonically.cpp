// Pass order_canonically: and/or children in one order (ir::compare) with duplicates removed,
// so rules that mean the same print the same and hash the same.
#include <algorithm>
#include <numeric>

#include "compiler/passes/passes.hpp"

namespace seg::passes {

namespace {
// Orders `n`'s subtree bottom-up and returns its first field (ir::first_field), so that each
// level sorts its children on keys found once: asking ir::compare at every level walked the
// whole subtree below for every comparison, cubic in a deep rule's depth (a rule at the
// nesting limit spent a third of its compile time there).
int order(ir::Node& n, bool& changed) {
  if (n.is_predicate()) return n.field;
  std::vector<int> first(n.children.size());
  int lowest = 1 << 30;
  for (size_t i = 0; i < n.children.size(); ++i) lowest = std::min(lowest, first[i] = order(n.children[i], changed));
  if (n.kind != ir::Kind::And && n.kind != ir::Kind::Or) return lowest;
  auto cmp = [&](size_t a, size_t b) {
    return ir::compare_given_first_fields(n.children[a], first[a], n.children[b], first[b]);
  };
  std::vector<size_t> at(n.children.size());
  std::iota(at.begin(), at.end(), size_t{0});
  bool sorted = true, distinct = true;
  for (size_t i = 1; i < at.size() && sorted; ++i) {
    int c = cmp(i - 1, i);
    sorted = c <= 0;
    distinct &= c != 0;
  }
  if (sorted && distinct) return lowest;
  if (!sorted) std::stable_sort(at.begin(), at.end(), [&](size_t a, size_t b) { return cmp(a, b) < 0; });
  // Keep the first of each run of equal children, in the sorted order.
  // (Compared before any is moved out.)
  std::vector<bool> repeat(at.size(), false);
  for (size_t k = 1; k < at.size(); ++k) repeat[k] = cmp(at[k - 1], at[k]) == 0;
  std::vector<ir::Node> kept;
  kept.reserve(at.size());
  for (size_t k = 0; k < at.size(); ++k)
    if (!repeat[k]) kept.push_back(std::move(n.children[at[k]]));
  n.children = std::move(kept);
  changed = true;
  return lowest;
}
}  // namespace

bool order_canonically(ir::Node& root, PassContext&) {
  bool changed = false;
  order(root, changed);
  return changed;
}

}  // namespace seg::passes
