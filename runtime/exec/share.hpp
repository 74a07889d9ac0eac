// Common sub-expressions across plans: the tests (leaves or whole subtrees) that several
// plans of the shared pass make in exactly the same way, so each is evaluated once per block
// on all of the block's rows and every plan that makes it reads the result.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/exec/plan.hpp"

namespace seg::rt {

struct SharedNodes {
  size_t slots = 0;                    // distinct shared tests
  uint64_t uses = 0;                   // places in the plans that read one of them
  std::vector<std::vector<int>> slot;  // [plan][PlanNode::id]: its slot, or -1 (evaluated in place)
};

// Which nodes of `plans` (all built on one store) to share. A node is shared when at least
// two places make its test and, by the planner's estimates, evaluating those places where
// they are would read more of the column than one evaluation over every row: a test late in
// a selective conjunction reads few words of its column, one early reads nearly all of them.
// Plans on the few-ids path are left out (they test rows one by one, not blocks).
SharedNodes find_shared_nodes(const std::vector<const Plan*>& plans);

}  // namespace seg::rt
