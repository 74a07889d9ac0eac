// Runs a plan over a store block by block on selection bitmaps, optionally on several
// threads; yields the count, checksum, sorted member ids and per-node statistics.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/exec/plan.hpp"
#include "runtime/storage/store.hpp"

namespace seg::rt {

struct EvalOptions {
  unsigned threads = 1;  // at most; see min_blocks_per_thread
  // A thread gets at least this many blocks: below it, starting a thread and moving
  // cache-resident data to another core costs more than it saves (measured at 1M rows:
  // 16 blocks on 2 threads took 0.36 ms against 0.15 ms on one).
  uint64_t min_blocks_per_thread = 16;
  bool want_rows = false;  // collect the matching rows (ids, pages of rows)
  // With want_rows: only the first this many members in id order are collected (a page of a
  // broad rule need not sort millions of ids); `count` and `checksum` stay those of all.
  uint64_t max_rows = UINT64_MAX;
  // Only blocks [first_block, end_block) (a member cursor evaluates a few at a time); counts,
  // checksums and rows are those of these blocks.
  uint64_t first_block = 0;
  uint64_t end_block = UINT64_MAX;
  bool explain = false;    // per-node rows in/out and time
  // The members as a bitmap over the store's rows (EvalResult::bitmap), for set algebra
  // between rules (api::diff): no ids are collected or sorted.
  bool want_bitmap = false;
};

struct NodeStats {
  uint64_t rows_in = 0;
  uint64_t rows_out = 0;
  uint64_t ns = 0;              // summed over threads
  uint64_t calls = 0;           // blocks the node ran on
  uint64_t zone_skipped = 0;    // blocks decided by the zone map without reading values
};

struct EvalResult {
  uint64_t count = 0;
  uint64_t checksum = 0;        // sum of the matching ids mod 2^64
  std::vector<int64_t> ids;     // sorted (want_rows)
  std::vector<uint64_t> rows;   // the row of each id (want_rows)
  std::vector<NodeStats> stats; // by PlanNode::id (explain)
  std::vector<uint64_t> bitmap; // want_bitmap: bit r = row r matches (words_for(rows) words)
  uint64_t blocks = 0;
  unsigned threads = 1;         // threads actually used
  double elapsed_ms = 0;
  std::string jit_warning;      // filled by the API from Plan::jit_warning
};

EvalResult evaluate(const Plan& plan, const Store& store, const EvalOptions& options = {});

// Runs many plans over one store a block at a time (the shared pass of membership refresh,
// runtime/membership/): the caller runs every plan on block b before moving to b + 1, so
// the columns of a block come from memory for the first plan that reads them and from cache
// for the others, and a test several plans make alike is evaluated once a block
// (runtime/exec/share.hpp). One thread; the plans may take the few-ids path.
class BlockEvaluator {
 public:
  // `plans`, all built on `store`, must outlive the evaluator. `share`: find common tests
  // (false runs each plan on its own, for A/B measurements and the differential tests).
  BlockEvaluator(const Store& store, std::vector<const Plan*> plans, bool share = true);
  ~BlockEvaluator();
  BlockEvaluator(const BlockEvaluator&) = delete;
  BlockEvaluator& operator=(const BlockEvaluator&) = delete;
  // The rows of block b that plan `i` selects, as bits in `out` (room for kBlockWords words);
  // returns how many words the block has (fewer in the store's last block).
  size_t run_block(size_t i, uint64_t b, uint64_t* out);
  size_t shared_tests() const;   // distinct tests evaluated once a block for several places
  uint64_t shared_uses() const;  // the places in the plans they serve

 private:
  struct Impl;
  const Store& store_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace seg::rt
