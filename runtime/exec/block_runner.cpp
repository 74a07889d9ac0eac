// The runner's structure (and, or, not, nulls, shared tests, the JIT's fused kernels) and the
// choice of a value test's kernel by the column's form (block_runner.hpp).
#include "runtime/exec/block_runner.hpp"
#include "runtime/exec/fuse.hpp"
#include "runtime/jit/jit.hpp"

namespace seg::rt::detail {

bool BlockRunner::run(const PlanNode& n, const uint64_t* in, uint64_t* out) {
  if (slots_ && slots_[n.id] >= 0) return shared(n, static_cast<size_t>(slots_[n.id]), in, out);
  if (!explain_) return dispatch(n, in, out);
  NodeStats& s = stats_[static_cast<size_t>(n.id)];
  s.rows_in += popcount_words(in, nw_);
  auto t0 = Clock::now();
  bool any = dispatch(n, in, out);
  s.ns += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
  s.rows_out += popcount_words(out, nw_);
  ++s.calls;
  return any;
}

bool BlockRunner::shared(const PlanNode& n, size_t s, const uint64_t* in, uint64_t* out) {
  if (slot_epoch_[s] != epoch_) {
    if (pool_used_ == pool_.size()) pool_.emplace_back(kBlockWords);
    slot_buf_[s] = pool_used_++;
    uint64_t* all = pool_[slot_buf_[s]].data();
    dispatch(n, all_.data(), all);  // its kids may be shared too: run() looks them up
    slot_epoch_[s] = epoch_;
  }
  return and_into(out, in, pool_[slot_buf_[s]].data(), nw_);
}

bool BlockRunner::dispatch(const PlanNode& n, const uint64_t* in, uint64_t* out) {
  switch (n.op) {
    case Op::True:
      if (in != out) std::memcpy(out, in, nw_ * 8);
      return true;
    case Op::False: return zero(out);
    case Op::And: {
      // The first child reads `in` and writes `out`, the others narrow `out` in place (no
      // copy of the selection first: a plan's root gets the block's every-row mask as `in`).
      if (n.kids.empty() && in != out) std::memcpy(out, in, nw_ * 8);
      const uint64_t* from = in;
      for (const auto& k : n.kids) {
        if (!run(k, from, out)) return zero(out);  // nothing left in this block
        from = out;
      }
      return true;
    }
    case Op::Or: {
      uint64_t* rest = scratch(n.depth, 0);
      uint64_t* hit = scratch(n.depth, 1);
      std::memcpy(rest, in, nw_ * 8);
      std::memset(out, 0, nw_ * 8);
      bool any = false;
      for (const auto& k : n.kids) {
        if (!run(k, rest, hit)) continue;
        any = true;
        if (!or_step(out, rest, hit, nw_)) break;  // every selected row already matched
      }
      return any;
    }
    case Op::Not: {
      uint64_t* hit = scratch(n.depth, 0);
      run(n.kids[0], in, hit);
      return and_into(out, in, hit, nw_, true);
    }
    case Op::IsNull:
    case Op::NotNull: {
      const Column& c = store_.column(n.field);
      const uint64_t* v = c.type == FieldType::Set ? c.nonempty : c.valid;
      if (v) v += block_ * kBlockWords;
      if (n.op == Op::NotNull) return keep_valid(in, out, v);
      if (!v) return zero(out);
      return and_into(out, in, v, nw_, true);
    }
    case Op::TagAny:
    case Op::TagNone: return tag_any(n, in, out, n.op == Op::TagNone);
    case Op::TagAll: return tag_all(n, in, out);
    case Op::Range:
    case Op::InSmall:
    case Op::InBitmap:
    case Op::InSorted: return compare(n, in, out);
    case Op::Fused: return fused(n, in, out);
  }
  return false;  // every op returns above
}

// Whether a block's zone map decides leaf `n` there: -1 no row matches, +1 every non-null
// row does, 0 the values must be read.
int BlockRunner::zone_decides(const PlanNode& n, const Column& c) const {
  const Zone& z = c.zones[block_];
  if (z.valid == 0) return -1;
  bool disjoint = z.max < n.zone_lo || z.min > n.zone_hi;
  bool inside = n.op == Op::Range ? z.min >= n.zone_lo && z.max <= n.zone_hi
                                  : z.min == z.max && !disjoint &&
                                        std::binary_search(n.offsets.begin(), n.offsets.end(),
                                                           static_cast<uint64_t>(z.min) - static_cast<uint64_t>(c.meta.base));
  if (n.op != Op::Range && z.min == z.max && !inside) disjoint = true;
  if (disjoint) return n.negated ? 1 : -1;
  if (inside) return n.negated ? -1 : 1;
  return 0;
}

// The JIT's kernel over this block; a test whose zone map rules the block out ends it first.
bool BlockRunner::fused(const PlanNode& n, const uint64_t* in, uint64_t* out) {
  const void* cols[kMaxFused];
  const uint64_t* valid[kMaxFused];
  size_t inside = 0;
  for (size_t i = 0; i < n.kids.size(); ++i) {
    const PlanNode& k = n.kids[i];
    const Column& c = store_.column(k.field);
    int z = zone_decides(k, c);
    if (z < 0) return note_skip(n), zero(out);
    inside += z > 0;
    cols[i] = c.data + block_ * kBlockRows * c.meta.width;
    valid[i] = c.valid ? c.valid + block_ * kBlockWords : nullptr;
  }
  if (in != out) std::memcpy(out, in, nw_ * 8);
  if (inside == n.kids.size()) {  // every test passes every non-null row: no value is read
    note_skip(n);
    uint64_t any = 0;
    for (size_t w = 0; w < nw_; ++w) {
      uint64_t m = out[w];
      for (size_t i = 0; i < n.kids.size(); ++i)
        if (valid[i]) m &= valid[i][w];
      any |= out[w] = m;
    }
    return any != 0;
  }
  size_t k = selected_words(out, nw_, idx_);
  return n.kernel(cols, valid, n.params.data(), out, idx_, k) != 0;
}

bool BlockRunner::compare(const PlanNode& n, const uint64_t* in, uint64_t* out) {
  const Column& c = store_.column(n.field);
  const uint64_t* valid = c.valid ? c.valid + block_ * kBlockWords : nullptr;
  // Zone map: decide the block from its min/max when it lies wholly inside or outside.
  switch (zone_decides(n, c)) {
    case -1: return note_skip(n), zero(out);
    case 1: return note_skip(n), keep_valid(in, out, valid);
    default: break;
  }
  switch (value_kernel(n, c)) {  // the choice explain names too (plan.cpp)
    case ValueKernel::FrequentRows: return frequent(n, c, false, in, out, valid);
    case ValueKernel::FrequentOthers: return frequent(n, c, true, in, out, valid);
    case ValueKernel::Sliced: return compare_sliced(n, c, in, out, valid);
    case ValueKernel::Planes: return compare_planes(n, c, in, out, valid);
    case ValueKernel::Runs: return compare_runs(n, c, in, out, valid);
    case ValueKernel::Offsets: break;
  }
  switch (c.meta.width) {
    case 1: return compare_t<uint8_t>(n, c, in, out, valid);
    case 2: return compare_t<uint16_t>(n, c, in, out, valid);
    case 4: return compare_t<uint32_t>(n, c, in, out, valid);
    default: return compare_t<uint64_t>(n, c, in, out, valid);
  }
}

// A range its column's frequent-value bitmap decides: the value's rows, or (`others`) every
// row but them, a bit a row instead of the offsets.
bool BlockRunner::frequent(const PlanNode& n, const Column& c, bool others, const uint64_t* in, uint64_t* out, const uint64_t* valid) {
  const uint64_t* b = c.frequent + block_ * kBlockWords;
  return every_word(in, out, valid, n.negated, [&](size_t w) { return others ? ~b[w] : b[w]; });
}

}  // namespace seg::rt::detail
