// The memory-bandwidth bound of a rule: how many bytes its plan must read from the store,
// and how fast one thread can stream memory on this machine.
#pragma once
#include <cstdint>
#include <vector>

#include "runtime/exec/plan.hpp"
#include "runtime/storage/store.hpp"

namespace seg::rt {

// Bytes a plain scan evaluating `plan` must read: each column a leaf tests once (values and
// validity; of a byte-sliced column only tested by ranges and short lists, the first two
// slices; of a column only tested for null, its null bitmap), the containers of each set
// value it names, and the ids of `matches` rows for the checksum (a 64-byte line each, at
// most the id column).
uint64_t plan_bytes(const Plan& plan, const Store& store, uint64_t matches);

// Bytes every column and set value that any of `plans` tests takes, each counted once: what
// the shared pass of membership refresh must read at the least.
uint64_t plans_bytes(const std::vector<const Plan*>& plans, const Store& store);

// Single-thread read bandwidth in bytes per second: the best of `repeats` sums over a
// buffer of `bytes` (much larger than the caches).
double measure_scan_bandwidth(uint64_t bytes = uint64_t{512} << 20, int repeats = 5);

// Reads a buffer several times the size of the last-level cache, so that what a rule reads
// next comes from memory, as it does for one rule among many (`seg bench --cold`).
void evict_caches();

}  // namespace seg::rt
