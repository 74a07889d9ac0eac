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

struct RefreshOptions {
  bool members = true;  // keep each plan's members as a RowSet (else counts only: no bitmaps)
  bool share = true;    // evaluate tests several plans make alike once a block (exec/share.hpp)
};
struct Refreshed {
  std::vector<RowSet> sets;      // each plan's members, in the plans' order (members)
  std::vector<uint64_t> counts;  // each plan's count
  size_t shared_tests = 0;       // distinct tests evaluated once a block for several plans
  uint64_t shared_uses = 0;      // places in the plans they served
};

// Every plan (all built on `store`) over the store in one pass. One thread.
Refreshed refresh(const std::vector<const Plan*>& plans, const Store& store, const RefreshOptions& options = {});

}  // namespace seg::rt
