// All segments in one pass: every plan's members over a store, evaluated a block at a time
// for all plans together, so each column block is read from memory once whatever the number
// of segments reading it (docs/membership.md).
#pragma once
#include <vector>

#include "runtime/exec/plan.hpp"
#include "runtime/membership/row_set.hpp"
#include "runtime/storage/store.hpp"

namespace seg::rt {

// The largest store a RowSet can describe (Roaring's 32-bit values).
inline constexpr uint64_t kMaxMembershipRows = uint64_t{1} << 32;

// The members of each plan (same order), all built on `store`. One thread.
std::vector<RowSet> refresh(const std::vector<const Plan*>& plans, const Store& store);

}  // namespace seg::rt
