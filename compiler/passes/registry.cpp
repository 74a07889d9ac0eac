// The pass pipeline: the list of passes in order, and the driver that runs them to a fixed point.
#include <algorithm>

#include "compiler/passes/passes.hpp"

namespace seg {

const std::vector<PassInfo>& all_passes() {
  static const std::vector<PassInfo> passes = {
      {"flatten", "nested and/or become one level; `not not x` becomes x", passes::flatten},
      {"simplify_negation", "push `not` into and/or and into predicates where nulls allow", passes::simplify_negation},
      {"normalize_values", "sort and dedupe value lists; one spelling per predicate", passes::normalize_values},
      {"merge_predicates", "join predicates on the same field; contradictions become false", passes::merge_predicates},
      {"absorb", "a part a sibling group has decides it; a part two groups share is said once", passes::absorb},
      {"fold_constants", "evaluate what is known without data", passes::fold_constants},
      {"order_canonically", "and/or children in canonical order, duplicates removed", passes::order_canonically},
  };
  return passes;
}

void optimize(ir::Node& root, const Schema& schema, Diagnostics& diags, const PassOptions& options) {
  if (!options.enabled) return;
  PassContext ctx{schema, diags};
  // Each round can enable another (a merge makes a constant, folding it flattens a level),
  // and a round may settle as little as one level of the tree, so the bound grows with the
  // height (it must not cut a deep rule short: its canonical text would then compile to
  // another IR). It only guards against a pass pair that would undo each other.
  const size_t rounds = 32 + 2 * ir::height(root);
  for (size_t round = 0; round < rounds; ++round) {
    bool changed = false;
    for (const auto& p : all_passes()) {
      if (!options.only.empty() && std::find(options.only.begin(), options.only.end(), p.name) == options.only.end())
        continue;
      if (p.run(root, ctx)) {
        changed = true;
        if (options.after_change) options.after_change(p, round + 1, root);
      }
    }
    if (!changed) return;
  }
}

}  // namespace seg
