// Value tests on a column of arithmetic runs (runs.hpp, decision 85), a run at a time
// (block_runner.hpp).
#include "runtime/exec/block_runner.hpp"

namespace seg::rt::detail {

// Tests on a column of arithmetic runs (runs.hpp, decision 85): a range is one span of each
// run's rows and a value at most one row of it, solved a run at a time and set as bits; a
// long list reads the offsets of the rows still selected, written out for the block.
bool BlockRunner::compare_runs(const PlanNode& n, const Column& c, const uint64_t* in, uint64_t* out, const uint64_t* valid) {
  const uint64_t row0 = block_ * kBlockRows, row1 = std::min(row0 + nw_ * 64, store_.rows());
  const Run* first = c.runs + c.run_block[block_];  // runs in order: the block's end (or the sentinel's row) stops them
  if (n.op == Op::InBitmap || n.op == Op::InSorted) {
    if (sequence_.size() < kBlockRows) sequence_.resize(kBlockRows);
    uint64_t* v = sequence_.data();
    for (const Run* r = first; r->row < row1; ++r) {
      const uint64_t a = std::max(r->row, row0), b = std::min(r[1].row, row1);
      uint64_t o = r->offset + static_cast<uint64_t>(r->step) * (a - r->row);
      for (uint64_t row = a; row < b; ++row, o += static_cast<uint64_t>(r->step)) v[row - row0] = o;
    }
    return compare_values<uint64_t>(n, v, in, out, valid);
  }
  uint64_t* m = scratch(n.depth, 0);
  std::memset(m, 0, nw_ * 8);
  for (const Run* r = first; r->row < row1; ++r) {
    // The run's rows in this block are its positions [ja, jb).
    const uint64_t ja = std::max(r->row, row0) - r->row, jb = std::min(r[1].row, row1) - r->row;
    const auto take = [&](uint64_t lo, uint64_t hi) {
      const auto [j0, j1] = run_span(r->offset, r->step, jb, lo, hi);
      set_bit_span(m, r->row + std::max(j0, ja) - row0, r->row + std::max(j1, ja) - row0);
    };
    if (n.op == Op::Range) take(n.lo, n.hi);
    else
      for (uint64_t x : n.offsets) take(x, x);
  }
  return every_word(in, out, valid, n.negated, [&](size_t w) { return m[w]; });
}

}  // namespace seg::rt::detail
