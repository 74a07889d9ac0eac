// The JIT's pass over a plan: each conjunction's column tests become one Fused node whose
// kernel (runtime/jit/) tests them together, word by word.
#pragma once
#include "runtime/exec/plan.hpp"

namespace seg::rt {

// At most this many tests in one kernel (the evaluator passes their columns on the stack).
inline constexpr size_t kMaxFused = 16;

// Fuses the plan's conjunctions; on any JIT failure the plan is left as it was and
// plan.jit_warning says why. Node ids are renumbered.
void fuse_plan(Plan& plan, const Store& store);

}  // namespace seg::rt
