// The individual optimizer passes (one per file in compiler/passes/), for the registry and tests.
#pragma once
#include "compiler/passes/pass.hpp"

namespace seg::passes {

bool flatten(ir::Node& root, PassContext& ctx);              // flatten.cpp
bool fold_constants(ir::Node& root, PassContext& ctx);       // fold_constants.cpp
bool normalize_values(ir::Node& root, PassContext& ctx);     // normalize_values.cpp
bool simplify_negation(ir::Node& root, PassContext& ctx);    // simplify_negation.cpp
bool merge_predicates(ir::Node& root, PassContext& ctx);     // merge_predicates.cpp
bool order_canonically(ir::Node& root, PassContext& ctx);    // order_canonically.cpp

}  // namespace seg::passes
