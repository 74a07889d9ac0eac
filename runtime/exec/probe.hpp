// The planner's choice between scanning and the few-ids path (Plan::probe): which leaf of
// the root conjunction to look up, and whether its rows are few enough to test one by one.
#pragma once
#include "runtime/exec/plan.hpp"

namespace seg::rt {

// A lookup pays when it finds at most one row in this many of the table (and looks up at most
// as many values): each row found is then tested leaf by leaf at a few cache misses, against
// a scan that streams every column the rule names (docs/performance.md, "The few-ids path").
inline constexpr uint64_t kProbeRowShare = 2048;

// Fills plan.probe (and marks the leaf) when a leaf allows a lookup and `mode` wants one.
void choose_probe(Plan& plan, const Store& store, ProbeMode mode);

}  // namespace seg::rt
