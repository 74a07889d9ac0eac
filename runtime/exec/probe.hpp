// The planner's choice between scanning and the few-ids path (Plan::probe): which leaf of
// the root conjunction to look up, and whether its rows are few enough to test one by one.
#pragma once
#include "runtime/exec/plan.hpp"

namespace seg::rt {

// A lookup pays when it finds at most one row in this many of the table (and looks up at most
// as many values): each row found is then tested leaf by leaf at a few cache misses, against
// a scan that streams every column the rule names (docs/performance.md, "The few-ids path").
inline constexpr uint64_t kProbeRowShare = 2048;
// And when the lookup itself reads at most one row in this many: a dense index scans a block
// of rows for each value (4096 at 10M; decision 64), so a few thousand ids spread over the
// blocks would read more than the scan it replaces (measured: 3,001 ids in 1.06 ms, where a
// scan of the column takes 0.5).
inline constexpr uint64_t kProbeReadShare = 4;

// Fills plan.probe (and marks the leaf) when a leaf allows a lookup and `mode` wants one.
void choose_probe(Plan& plan, const Store& store, ProbeMode mode);

}  // namespace seg::rt
