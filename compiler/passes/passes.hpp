// The individual optimizer passes (one per file in compiler/passes/), for the registry and tests.
#pragma once
#include "compiler/passes/pass.hpp"

namespace seg::passes {

bool flatten(ir::Node& root, PassContext& ctx);              // flatten.cpp
bool fold_constants(ir::Node& root, PassContext& ctx);       // fold_constants.cpp
bool normalize_values(ir::Node& root, PassContext& ctx);     // normalize_values.cpp
bool simplify_negation(ir::Node& root, PassContext& ctx);    // simplify_negation.cpp
bool merge_predicates(ir::Node& root, PassContext& ctx);     // merge_predicates.cpp
bool absorb(ir::Node& root, PassContext& ctx);               // absorb.cpp
bool order_canonically(ir::Node& root, PassContext& ctx);    // order_canonically.cpp

// Whether `not` can move into this In or Range as its negated form and still print as text
// that parses back to it: not a bounded range with one bound relative to now and the other
// absolute (its negation would print as an `or` of two bounds that do not merge back).
inline bool negation_prints_back(const ir::Node& p) {
  if (p.kind != ir::Kind::Range) return true;
  bool lo_open = !p.lo.now_relative && p.lo.value == ir::kMin;
  bool hi_open = !p.hi.now_relative && p.hi.value == ir::kMax;
  return lo_open || hi_open || p.lo.now_relative == p.hi.now_relative;
}

}  // namespace seg::passes
