// The vectorized interpreter. Each node maps an input selection (64-bit words, one block of
// 65536 rows) to the subset that matches: `and` narrows one buffer in place and stops when
// it empties, `or` runs each child only on rows not yet matched, leaves skip words with
// nothing selected and whole blocks their zone map decides.
#include "runtime/exec/evaluate.hpp"

#include <algorithm>
#include <cassert>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstring>
#include <system_error>
#include <thread>
#include <type_traits>

#include <sys/mman.h>

#include "runtime/storage/bits.hpp"
#include "runtime/exec/fuse.hpp"
#include "runtime/exec/kernels.hpp"
#include "runtime/exec/kernels_avx2.hpp"
#include "runtime/exec/kernels_avx512.hpp"
#include "runtime/exec/kernels_sliced.hpp"
#include "runtime/exec/share.hpp"
#include "runtime/jit/jit.hpp"

namespace seg::rt {
namespace {

using Clock = std::chrono::steady_clock;

// A sparse selection touches the lines of a column with gaps the hardware prefetcher does
// not follow, and the loads stall (measured: half of Q1's time at 10M rows). So loops over
// selected words list them first, then fetch the lines of the word this many entries ahead.
// 32 rather than 8: Q1's last leaf (35% of its words selected) went from 0.86 to 0.67 ms at 10M.
constexpr size_t kPrefetchAhead = 32;
// A kernel that reads all 64 values of a word runs over every word of the block, in order,
// once this share (1 / kDenseDiv) of the words is selected: a sequential stream the hardware
// prefetches beats listing and software prefetching (Q6 at 10M: 6.6 -> 5.1 ms). Below it,
// listing wins (Q1's last leaf, 35% of words: 0.88 listed, 1.26 ms streamed).
constexpr size_t kDenseDiv = 2;
// Bit planes hold eight words a line in each plane: once an eighth of the words is selected,
// listing them reads every line anyway, and four words a step (a few instructions each) beat
// a listed word's loads and stores (Q1's stage list after spot and tag, 37% of its words listed;
// with bit_sums' sixteen-word steps, Q1 and rules like it 1.14-1.30x at 10M).
constexpr size_t kPlanesDenseDiv = 8;
// `also`: a byte-sliced column's stride, so the word's line in the second slice (which its
// kernels always read) comes too; 0 for offsets kept whole.
template <class T>
inline void prefetch_word(const T* v, size_t w, uint64_t also = 0) {
  const char* p = reinterpret_cast<const char*>(v + 64 * w);
  for (size_t b = 0; b < 64 * sizeof(T); b += 64) __builtin_prefetch(p + b);
  if (also) __builtin_prefetch(p + also);
}

// From this many array members of an `any` in one chunk, gather_tags stores bytes and packs them
// rather than setting bits one by one.
// (Q4 at 10M, 55K array members per chunk: 5.1 ms bit by bit, 3.9 ms by bytes.)
constexpr uint64_t kByteScatterMin = 4096;
// Bytes of a tag container prefetched ahead of the loop reading it (Q4: 512 -> 4.7 ms, 2048 -> 3.9).
constexpr size_t kContainerPrefetch = 2048;

// Word-wise selection arithmetic over a block, each returning whether a bit is left. The
// arrays are `__restrict` and the word count a parameter so that GCC vectorizes them: written
// inline against BlockRunner's word count, a store through a uint64_t* might have changed that
// member, so it was reloaded every word and the loops stayed scalar (the and/or/not loops were
// most of `dispatch`, 18% of the shared pass over 1,000 segments).
inline uint64_t and_words(uint64_t* __restrict out, const uint64_t* __restrict bm, size_t n) {
  uint64_t any = 0;
  for (size_t w = 0; w < n; ++w) any |= out[w] &= bm[w];
  return any;
}
inline uint64_t and_not_words(uint64_t* __restrict out, const uint64_t* __restrict bm, size_t n) {
  uint64_t any = 0;
  for (size_t w = 0; w < n; ++w) any |= out[w] &= ~bm[w];
  return any;
}
inline uint64_t and_words(uint64_t* __restrict out, const uint64_t* __restrict a, const uint64_t* __restrict b, size_t n) {
  uint64_t any = 0;
  for (size_t w = 0; w < n; ++w) any |= out[w] = a[w] & b[w];
  return any;
}
inline uint64_t and_not_words(uint64_t* __restrict out, const uint64_t* __restrict a, const uint64_t* __restrict b,
                              size_t n) {
  uint64_t any = 0;
  for (size_t w = 0; w < n; ++w) any |= out[w] = a[w] & ~b[w];
  return any;
}
#ifdef SEG_AVX512
// out = in & b (or & ~b) eight words an instruction; out may be in. and_into's AVX-512 form:
// the shared pass ANDs a shared test's block result into each place that uses it (an 8 KB
// AND from L2), and the baseline's SSE2 loop did two words a step. (maskz_andnot: the
// unmasked form trips GCC 12's -Wmaybe-uninitialized in its header.)
template <bool Negate>
SEG_AVX512_FN uint64_t and_into_avx512(uint64_t* out, const uint64_t* in, const uint64_t* b, size_t n) {
  __m512i any = _mm512_setzero_si512();
  for (size_t w = 0; w < n; w += 8) {
    const __mmask8 m = n - w >= 8 ? 0xFF : static_cast<__mmask8>((1u << (n - w)) - 1);
    const __m512i x = _mm512_maskz_loadu_epi64(m, in + w), y = _mm512_maskz_loadu_epi64(m, b + w);
    const __m512i r = Negate ? _mm512_maskz_andnot_epi64(0xFF, y, x) : _mm512_and_si512(x, y);
    _mm512_mask_storeu_epi64(out + w, m, r);
    any = _mm512_or_si512(any, r);
  }
  return _mm512_test_epi64_mask(any, any);
}
#endif

// out = in & b, or in & ~b (`negate`); out may be in, b is neither.
inline bool and_into(uint64_t* out, const uint64_t* in, const uint64_t* b, size_t n, bool negate = false) {
  assert(out != b);  // the helpers' arrays are __restrict
#ifdef SEG_AVX512
  if (kernel::avx512()) return (negate ? and_into_avx512<true>(out, in, b, n) : and_into_avx512<false>(out, in, b, n)) != 0;
#endif
  if (out == in) return (negate ? and_not_words(out, b, n) : and_words(out, b, n)) != 0;
  return (negate ? and_not_words(out, in, b, n) : and_words(out, in, b, n)) != 0;
}
// Whether any of n words has a bit.
inline bool any_word(const uint64_t* w, size_t n) {
  uint64_t any = 0;
  for (size_t i = 0; i < n; ++i) any |= w[i];
  return any != 0;
}
inline void or_words(uint64_t* __restrict out, const uint64_t* __restrict bm, size_t n) {
  for (size_t w = 0; w < n; ++w) out[w] |= bm[w];
}
// One child of an `or`: its matches `hit` join `out` and leave `rest`; whether any of rest is left.
inline bool or_step(uint64_t* __restrict out, uint64_t* __restrict rest, const uint64_t* __restrict hit, size_t n) {
  uint64_t left = 0;
  for (size_t w = 0; w < n; ++w) {
    out[w] |= hit[w];
    left |= rest[w] &= ~hit[w];
  }
  return left != 0;
}

// Indices of the non-zero words of `sel`; returns how many. `idx`: room for nw +
// kernel::kIdxSlack entries.
inline size_t selected_words(const uint64_t* sel, size_t nw, uint16_t* idx) {
#ifdef SEG_AVX512
  if (kernel::avx512()) return kernel::selected_words_avx512(sel, nw, idx);
  if (kernel::avx2()) return kernel::selected_words_avx2(sel, nw, idx);
#endif
  return kernel::selected_words_scalar(sel, nw, idx);
}

// Where a kernel's 64 values of word w come from. Offsets kept whole, or byte slices (whose
// kernels find the other slices themselves; `also`, the stride, fetches their line too):
template <class T>
struct WholeWords {
  const T* v;
  uint64_t also = 0;
  const T* at(size_t w) const { return v + 64 * w; }
  void prefetch(size_t w) const { prefetch_word(v, w, also); }
};
// Packed slices (decision 59): word w's other rows from packed_start[w], and its frequent
// value's rows, which pass when the test passes the value.
struct PackedWords {
  const uint8_t* s0;     // the first slice
  const uint32_t* start; // the block's first word's entry in packed_start
  const uint64_t* freq;  // the block's frequent-value bitmap
  uint64_t stride;
  bool value_passes;
  kernel::PackedWord at(size_t w) const { return {s0 + start[w], ~freq[w], value_passes ? freq[w] : 0}; }
  void prefetch(size_t w) const {
    const uint8_t* p = s0 + start[w];
    __builtin_prefetch(p), __builtin_prefetch(p + 63), __builtin_prefetch(p + stride), __builtin_prefetch(p + stride + 63);
  }
};

// Word w's line in each of a bit-plane column's planes.
inline void prefetch_planes(const uint64_t* p, uint64_t stride, unsigned planes, size_t w) {
  for (unsigned k = 0; k < planes; ++k) __builtin_prefetch(p + k * stride + w);
}

// Bit planes (decision 58): the word's offsets put together as bytes from its planes.
struct PlaneWords {
  const uint64_t* p;  // plane 0 of the block
  uint64_t stride;    // words from one plane to the next
  unsigned planes;
  alignas(64) uint8_t buf[64];
  const uint8_t* at(size_t w) {
    kernel::planes_to_bytes(p + w, stride, planes, buf);
    return buf;
  }
  void prefetch(size_t w) const { prefetch_planes(p, stride, planes, w); }
};

#ifdef SEG_AVX512
// The same in a register, the number of planes fixed so the loop unrolls.
template <unsigned Planes>
struct PlaneWordsAvx512 {
  const uint64_t* p;
  uint64_t stride;
  SEG_AVX512_FN __m512i at(size_t w) const { return kernel::planes_avx512<Planes>(p + w, stride); }
  void prefetch(size_t w) const { prefetch_planes(p, stride, Planes, w); }
};

// A kernel's word (64 values at a pointer, or bytes in a register): with the word's selection
// for those that stop early on it (SlicedRange).
template <class Kernel, class V, class... A>
SEG_AVX512_FN inline uint64_t kernel_word(V v, uint64_t sel, const A&... args) {
  if constexpr (Kernel::kTakesSelection) return Kernel::word(v, sel, args...);
  else return Kernel::word(v, args...);
}

// BlockRunner::words for the AVX-512 kernels, compiled for that target so the kernel inlines
// into the loop (a lambda in the baseline loop would not take the target). `src`: where the
// words' values come from (WholeWords, PlaneWordsAvx512, PackedWords); `idx`: the k selected words. The
// same two ways as words(): every word in order once half are selected, else the listed ones
// with their lines fetched ahead.
template <class Kernel, class Src, class... A>
SEG_AVX512_FN bool words_avx512(Src src, const uint64_t* in, uint64_t* out, const uint64_t* valid, bool negated,
                                size_t nw, const uint16_t* idx, size_t k, const A&... args) {
  uint64_t any = 0;
  if (k * kDenseDiv >= nw) {
    for (size_t w = 0; w < nw; ++w) {
      uint64_t m = kernel_word<Kernel>(src.at(w), in[w], args...);
      if (negated) m = ~m;
      if (valid) m &= valid[w];
      any |= out[w] = in[w] & m;
    }
    return any != 0;
  }
  if (in != out) std::memset(out, 0, nw * 8);  // in place, unselected words are zero already
  for (size_t i = 0; i < k; ++i) {
    if (i + kPrefetchAhead < k) src.prefetch(idx[i + kPrefetchAhead]);
    size_t w = idx[i];
    uint64_t m = kernel_word<Kernel>(src.at(w), in[w], args...);
    if (negated) m = ~m;
    if (valid) m &= valid[w];
    any |= out[w] = in[w] & m;
  }
  return any != 0;
}
// The same loop for the AVX2 kernels (kernels_avx2.hpp), under their target. (One loop for
// both, always inlined into two wrappers, would pass AVX-512 values through a baseline
// function: GCC refuses, the ABI differs.)
template <class Kernel, class Src, class... A>
SEG_AVX2_FN bool words_avx2(Src src, const uint64_t* in, uint64_t* out, const uint64_t* valid, bool negated, size_t nw,
                            const uint16_t* idx, size_t k, const A&... args) {
  uint64_t any = 0;
  const bool dense = k * kDenseDiv >= nw;
  if (!dense && in != out) std::memset(out, 0, nw * 8);  // in place, unselected words are zero already
  for (size_t i = 0, n = dense ? nw : k; i < n; ++i) {
    if (!dense && i + kPrefetchAhead < k) src.prefetch(idx[i + kPrefetchAhead]);
    const size_t w = dense ? i : idx[i];
    uint64_t m = Kernel::word(src.at(w), in[w], args...);
    if (negated) m = ~m;
    if (valid) m &= valid[w];
    any |= out[w] = in[w] & m;
  }
  return any != 0;
}

// words_avx512 for packed slices when most words are selected (a rule's first test): the
// kernel runs over the block's run of other rows itself, 64 at a time from whole lines,
// into `bits` in run order; each word then takes its rows' bits from there and spreads them
// (pdep). The per-word way (PackedAvx512) loads each word's run unaligned, across two lines,
// and squeezes its selection, for about as many rows; here the compares see each line once
// and rows outside the selection cost nothing more than they would have. `bits`: room for
// kBlockWords + 3 words (a run of up to kBlockWords lines from a line start, and two more).
// How far ahead the packed run's two slices are fetched: the hardware's stream prefetch alone
// left the loop waiting on memory when the column is not in the caches (`seg bench --cold`,
// deposit_total ranges at 10M: 0.79-0.81 -> 0.71-0.74 ms; 4096 and 8192 within the noise).
constexpr uint64_t kStreamAhead = 2048;
// The loop, always inlined into packed_dense_avx512 and packed_dense_avx2 (below), so the
// kernel inlines there under each one's target; `Spread::of` is pdep under that target (a
// baseline function may not use the instruction itself: clang refuses).
template <class Kernel, class Spread, class... A>
[[gnu::always_inline]] inline bool packed_dense(const PackedWords& src, const uint64_t* in, uint64_t* out,
                                                const uint64_t* valid, bool negated, size_t nw, uint64_t* bits,
                                                const A&... args) {
  const uint64_t first = src.start[0] & ~uint64_t{63}, chunks = (src.start[nw] - first + 63) / 64;
  const uint8_t* p = src.s0 + first;
  bits[chunks] = bits[chunks + 1] = 0;  // a word's bits may start in the last chunk and read the next
  uint64_t any = 0, j = 0;
  // The compares and the spreading alternate, 64 words' worth at a time, so that the run's lines
  // keep streaming in while bits are spread (one whole loop after the other left the memory
  // idle for the second).
  for (size_t w0 = 0; w0 < nw; w0 += 64) {
    const size_t w1 = std::min<size_t>(nw, w0 + 64);
    const uint64_t upto = std::min<uint64_t>(chunks, ((src.start[w1] - first) >> 6) + 2);  // what words < w1 read
    for (; j < upto; ++j) {
      __builtin_prefetch(p + 64 * j + kStreamAhead), __builtin_prefetch(p + src.stride + 64 * j + kStreamAhead);
      bits[j] = Kernel::word(p + 64 * j, ~uint64_t{0}, args...);
    }
    for (size_t w = w0; w < w1; ++w) {
      const uint64_t at = src.start[w] - first, sh = at & 63;
      const uint64_t* b = bits + (at >> 6);
      // Bits at..at+63: one double shift (SHRD) of the two words, where two shifts and an OR
      // (the second in two steps, as sh may be 0) made the loop's longest chain. Written as a
      // 128-bit shift, GCC allowed for shifts past 64 and spilled the pair to the stack.
      uint64_t run = b[0];
      asm("shrdq %%cl, %1, %0" : "+r"(run) : "r"(b[1]), "c"(sh) : "cc");
      uint64_t m = Spread::of(run, ~src.freq[w]) | (src.value_passes ? src.freq[w] : 0);
      if (negated) m = ~m;
      if (valid) m &= valid[w];
      any |= out[w] = in[w] & m;
    }
  }
  return any != 0;
}
struct SpreadAvx512 {
  SEG_AVX512_FN static uint64_t of(uint64_t x, uint64_t mask) { return _pdep_u64(x, mask); }
};
struct SpreadAvx2 {
  SEG_AVX2_FN static uint64_t of(uint64_t x, uint64_t mask) { return _pdep_u64(x, mask); }
};
template <class Kernel, class... A>
SEG_AVX512_FN bool packed_dense_avx512(const PackedWords& src, const uint64_t* in, uint64_t* out, const uint64_t* valid,
                                       bool negated, size_t nw, uint64_t* bits, const A&... args) {
  return packed_dense<Kernel, SpreadAvx512>(src, in, out, valid, negated, nw, bits, args...);
}
// The same with the AVX2 kernels: deposit_total's ranges 1.4-1.6x over the per-word way
// (each word's run loaded unaligned across two lines, its tail's bits gathered there).
template <class Kernel, class... A>
SEG_AVX2_FN bool packed_dense_avx2(const PackedWords& src, const uint64_t* in, uint64_t* out, const uint64_t* valid,
                                   bool negated, size_t nw, uint64_t* bits, const A&... args) {
  return packed_dense<Kernel, SpreadAvx2>(src, in, out, valid, negated, nw, bits, args...);
}
#endif

class BlockRunner {
 public:
  BlockRunner(const Plan& plan, const Store& store, bool explain)
      : store_(store), explain_(explain) {
    use(plan);
    if (explain) stats_.resize(static_cast<size_t>(plan.node_count));
  }

  // The plan the next blocks run (BlockEvaluator runs many plans on one runner, so their
  // scratch buffers are shared and stay in cache).
  void use(const Plan& plan) {
    plan_ = &plan;
    size_t need = static_cast<size_t>(plan.max_depth + 1) * 2 * kBlockWords;
    if (scratch_.size() < need) scratch_.assign(need, 0);
  }

  // Many plans run on each block (BlockEvaluator): bit-plane columns are put together, and
  // packed slices unpacked, a block at a time, once, rather than a word at a time in each test.
  void decode_once(bool on) { decode_once_ = on; }

  // The shared pass's common tests (share.hpp): `slots` gives each node of the plan used next
  // its slot or -1; a slot's result is computed on the whole block the first time a plan
  // reaches it there, and read by the others.
  void share(const int* slots, size_t nslots) {
    slots_ = slots;
    if (slot_epoch_.size() < nslots) slot_epoch_.resize(nslots, 0), slot_buf_.resize(nslots, 0);
  }

  // Evaluates the plan on block b; the matches are left in `out` (nw words).
  void run_block(uint64_t b, uint64_t* out) {
    if (b != block_ || epoch_ == 0) {  // a new block: every shared result is stale
      block_ = b;
      ++epoch_;
      pool_used_ = 0;
      uint64_t first_word = b * kBlockWords;
      nw_ = std::min<uint64_t>(kBlockWords, words_for(store_.rows()) - first_word);
      // Every row: all ones but the table's last word (set only on the block that has it; a
      // loop over every word of every block was a quarter of a one-test rule's kernel time).
      if (all_.size() < kBlockWords) all_.assign(kBlockWords, ~uint64_t{0});
      all_[all_tail_] = ~uint64_t{0};  // the word a last block cut, if that was the one before
      all_tail_ = nw_ - 1;
      all_[all_tail_] = tail_mask(store_.rows(), first_word + all_tail_);
    }
    run(plan_->root, all_.data(), out);  // every leaf writes all of `out` from its `in`
  }
  size_t words() const { return nw_; }
  std::vector<NodeStats>& stats() { return stats_; }

 private:
  uint64_t* scratch(int depth, int k) { return scratch_.data() + (static_cast<size_t>(depth) * 2 + k) * kBlockWords; }

  bool run(const PlanNode& n, const uint64_t* in, uint64_t* out) {
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

  bool shared(const PlanNode& n, size_t s, const uint64_t* in, uint64_t* out) {
    if (slot_epoch_[s] != epoch_) {
      if (pool_used_ == pool_.size()) pool_.emplace_back(kBlockWords);
      slot_buf_[s] = pool_used_++;
      uint64_t* all = pool_[slot_buf_[s]].data();
      dispatch(n, all_.data(), all);  // its kids may be shared too: run() looks them up
      slot_epoch_[s] = epoch_;
    }
    return and_into(out, in, pool_[slot_buf_[s]].data(), nw_);
  }

  bool zero(uint64_t* out) {
    std::memset(out, 0, nw_ * 8);
    return false;
  }
  // out = in & valid (all non-null rows of the selection).
  // (One loop copies and ORs: a memcpy and then a loop over `in` ran at a fraction of the
  // pace, `in` read back while the copy's stores drained: a zone-decided block, such as every
  // block of `client_id > 354` but the first, was all this.)
  bool keep_valid(const uint64_t* in, uint64_t* out, const uint64_t* valid) {
    if (valid) return and_into(out, in, valid, nw_);
    const size_t n = nw_;
    uint64_t any = 0;
    for (size_t w = 0; w < n; ++w) any |= out[w] = in[w];
    return any != 0;
  }
  void note_skip(const PlanNode& n) {
    if (explain_) ++stats_[static_cast<size_t>(n.id)].zone_skipped;
  }

  bool dispatch(const PlanNode& n, const uint64_t* in, uint64_t* out) {
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
  int zone_decides(const PlanNode& n, const Column& c) const {
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
  bool fused(const PlanNode& n, const uint64_t* in, uint64_t* out) {
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

  // Ors the containers of `tags` for this chunk into `acc`. Each container is a short run of
  // lines somewhere else (an array ~4 KB, a bitmap 8 KB): too short for the hardware
  // prefetcher to get going, so the next container's first lines and each one's lines ahead
  // of the loop are prefetched.
  void gather_tags(const PlanNode& n, uint64_t* acc) {
    const Column& c = store_.column(n.field);
    std::memset(acc, 0, nw_ * 8);
    parts_.clear();
    sparse_.clear();
    uint64_t members = 0;  // in arrays
    for (uint32_t t : n.tags) {
      const Container& k = c.container(t, block_);
      if (k.kind == kEmpty) continue;
      parts_.push_back({c.tag_data + k.offset, k.card, k.kind});
      if (k.kind != kBitmap && k.kind != kSparse) members += k.card;
    }
    auto prefetch_start = [&](size_t j) {
      if (j >= parts_.size()) return;
      const uint8_t* p = parts_[j].data;
      const size_t bytes = container_bytes(parts_[j].kind, parts_[j].card);
      for (size_t b = 0; b < std::min<size_t>(bytes, kContainerPrefetch); b += 64) __builtin_prefetch(p + b);
    };
    prefetch_start(0);
    bool by_bytes = members >= kByteScatterMin;
    if (by_bytes && bytes_.empty()) bytes_.assign(kBlockRows, 0);
    uint8_t* __restrict bytes = bytes_.data();
    for (size_t j = 0; j < parts_.size(); ++j) {
      prefetch_start(j + 1);
      const uint8_t* p = parts_[j].data;
      const uint32_t card = parts_[j].card;
      if (parts_[j].kind == kBitmap) {
        const auto* bm = reinterpret_cast<const uint64_t*>(p);
        for (size_t w = 0; w < nw_; w += 64) {  // 8 lines at a time, fetched ahead
          for (size_t b = 0; b < 512; b += 64) __builtin_prefetch(reinterpret_cast<const char*>(bm + w) + kContainerPrefetch + b);
          or_words(acc + w, bm + w, std::min<size_t>(64, nw_ - w));
        }
        continue;
      }
      if (parts_[j].kind == kSparse) {
#ifdef SEG_AVX512
        if (vbmi2_) {  // all of them together below
          sparse_.push_back(p);
          continue;
        }
#endif
        sparse_words<SparseInto::Or>(p, acc);
        continue;
      }
      const auto* a = parts_[j].kind == kBucketed ? bucketed_rows(p, card) : reinterpret_cast<const uint16_t*>(p);
      for (uint32_t i = 0; i < card; i += 32) {
        __builtin_prefetch(a + i + kContainerPrefetch / 2);
        uint32_t e = std::min(card, i + 32);
        if (by_bytes) {
          // Eight stores a step: independent stores, so the loop's own instructions were the limit.
          uint32_t q = i;
          for (; q + 8 <= e; q += 8)
            bytes[a[q]] = bytes[a[q + 1]] = bytes[a[q + 2]] = bytes[a[q + 3]] = bytes[a[q + 4]] = bytes[a[q + 5]] =
                bytes[a[q + 6]] = bytes[a[q + 7]] = 0xFF;
          for (; q < e; ++q) bytes[a[q]] = 0xFF;
        } else {
          for (uint32_t q = i; q < e; ++q) acc[a[q] >> 6] |= uint64_t{1} << (a[q] & 63);
        }
      }
    }
#ifdef SEG_AVX512
    for (size_t j = 0; j < sparse_.size(); j += kernel::kSparseOrBatch)
      kernel::or_sparse_vbmi2(sparse_.data() + j, std::min(kernel::kSparseOrBatch, sparse_.size() - j), acc, nw_);
#endif
    // Many members: setting bits one by one is a load-or-store per member, and members in
    // the same word chain through memory. Plain byte stores have no such chain; one pass
    // then packs the 65536 bytes into bits (and clears them for the next block).
    if (by_bytes) {
#ifdef SEG_AVX512
      if (kernel::avx512()) {
        kernel::take_byte_bits_avx512(bytes, acc, nw_);
        return;
      }
#endif
      for (size_t w = 0; w < nw_; ++w) acc[w] |= kernel::take_byte_bits(bytes + 64 * w);
    }
  }

  // A bucketed container's rows as the uint16 array the loops above read (decision 66).
  // Decoded whole, then read: handing each word's rows to the loop as they were decoded made
  // the byte stores' loop run once a word, and `any` of many tags 2x slower.
  const uint16_t* bucketed_rows(const uint8_t* p, uint32_t card) {
    // As long as the container needs: a whole block's (128 KB, which malloc maps afresh and
    // resize zeroes) cost each evaluation 0.3 ms of page faults on this VM.
    if (rows_.size() < card + 64) rows_.resize(card + 64);
#ifdef SEG_AVX512
    if (vbmi2_) {
      kernel::decode_buckets_vbmi2(p, card, rows_.data());
      return rows_.data();
    }
#endif
    decode_buckets(p, card, rows_.data());
    return rows_.data();
  }

  // A sparse-bytes container's bitmap words ORed or ANDed into `out` (decision 69); whether a
  // bit is left.
  template <SparseInto M>
  uint64_t sparse_words(const uint8_t* p, uint64_t* out) {
#ifdef SEG_AVX512
    if (vbmi2_) return kernel::expand_sparse_vbmi2<M>(p, out, nw_);
    if (bmi2_) return expand_sparse_bmi2<M>(p, out, nw_);
#endif
    return expand_sparse_best<M>(p, out, nw_);
  }

  // out = in & the rows of one tag's container (`negate`: in & ~them); whether a row is left.
  // A bitmap or sparse bytes are read straight into the selection; a list's rows are cleared
  // from it for `negate`, or set in a scratch bitmap (`one`) that is then ANDed.
  bool and_container(const Column& c, const Container& k, const uint64_t* in, uint64_t* out, bool negate, uint64_t* one) {
    const uint8_t* p = c.tag_data + k.offset;
    if (k.kind == kBitmap) return and_into(out, in, reinterpret_cast<const uint64_t*>(p), nw_, negate);
    if (in != out) std::memcpy(out, in, nw_ * 8);
    if (k.kind == kSparse) return (negate ? sparse_words<SparseInto::AndNot>(p, out) : sparse_words<SparseInto::And>(p, out)) != 0;
    const auto* a = k.kind == kBucketed ? bucketed_rows(p, k.card) : reinterpret_cast<const uint16_t*>(p);
    if (negate) {
      for (uint32_t i = 0; i < k.card; ++i) out[a[i] >> 6] &= ~(uint64_t{1} << (a[i] & 63));
      return any_word(out, nw_);
    }
    std::memset(one, 0, nw_ * 8);
    for (uint32_t i = 0; i < k.card; ++i) one[a[i] >> 6] |= uint64_t{1} << (a[i] & 63);
    return and_words(out, one, nw_) != 0;
  }

  bool tag_any(const PlanNode& n, const uint64_t* in, uint64_t* out, bool none) {
    // One tag with rows here (`tag any (REGISTERED)`, `tag none (BLOCKED)`): its container goes
    // straight into the selection; gathered into a bitmap first, it cost two more passes over
    // the block's words (zeroing, ORing) for nothing.
    const Column& c = store_.column(n.field);
    const Container* one = nullptr;
    for (uint32_t t : n.tags) {
      const Container& k = c.container(t, block_);
      if (k.kind == kEmpty) continue;
      if (one) {
        one = nullptr;
        break;
      }
      one = &k;
    }
    uint64_t* acc = scratch(n.depth, 0);
    if (one) return and_container(c, *one, in, out, none, acc);
    gather_tags(n, acc);
    return and_into(out, in, acc, nw_, none);
  }

  bool tag_all(const PlanNode& n, const uint64_t* in, uint64_t* out) {
    const Column& c = store_.column(n.field);
    const uint64_t* from = in;  // the first tag reads the selection, the others narrow `out`
    for (uint32_t t : n.tags) {
      const Container& k = c.container(t, block_);
      if (k.kind == kEmpty) return zero(out);
      if (!and_container(c, k, from, out, false, scratch(n.depth, 0))) return false;
      from = out;
    }
    if (from != out && in != out) std::memcpy(out, in, nw_ * 8);  // (no tags)
    return true;
  }

  bool compare(const PlanNode& n, const uint64_t* in, uint64_t* out) {
    const Column& c = store_.column(n.field);
    const uint64_t* valid = c.valid ? c.valid + block_ * kBlockWords : nullptr;
    // Zone map: decide the block from its min/max when it lies wholly inside or outside.
    switch (zone_decides(n, c)) {
      case -1: return note_skip(n), zero(out);
      case 1: return note_skip(n), keep_valid(in, out, valid);
      default: break;
    }
    if (int fr = frequent_decides(n, c)) return frequent(n, c, fr < 0, in, out, valid);
    if (c.is_sliced()) return compare_sliced(n, c, in, out, valid);
    if (c.is_planes()) return compare_planes(n, c, in, out, valid);
    if (c.is_runs()) return compare_runs(n, c, in, out, valid);
    switch (c.meta.width) {
      case 1: return compare_t<uint8_t>(n, c, in, out, valid);
      case 2: return compare_t<uint16_t>(n, c, in, out, valid);
      case 4: return compare_t<uint32_t>(n, c, in, out, valid);
      default: return compare_t<uint64_t>(n, c, in, out, valid);
    }
  }

  // A range its column's frequent-value bitmap decides: the value's rows, or (`others`) every
  // row but them, a bit a row instead of the offsets.
  bool frequent(const PlanNode& n, const Column& c, bool others, const uint64_t* in, uint64_t* out, const uint64_t* valid) {
    const uint64_t* b = c.frequent + block_ * kBlockWords;
    return every_word(in, out, valid, n.negated, [&](size_t w) { return others ? ~b[w] : b[w]; });
  }

  // A test's matches `fn(w)` in every word of the block, negated when asked, nulls out.
  template <class Fn>
  bool every_word(const uint64_t* in, uint64_t* out, const uint64_t* valid, bool negated, Fn&& fn) {
    uint64_t any = 0;
    const size_t n = nw_;  // a local: stores to out may not change it (see and_words)
    for (size_t w = 0; w < n; ++w) {
      uint64_t m = fn(w);
      if (negated) m = ~m;
      if (valid) m &= valid[w];
      any |= out[w] = in[w] & m;
    }
    return any != 0;
  }

  template <class T, class Fn>
  bool words(const T* v, const uint64_t* in, uint64_t* out, const uint64_t* valid, bool negated, Fn&& fn,
             bool whole_words = false, uint64_t also = 0) {
    return words_by(in, out, valid, negated, fn, whole_words, WholeWords<T>{v, also});
  }

  // A test's matches `fn(w)` in the selected words (in all, in order, once half are selected
  // and `whole_words`: fn reads all 64 values anyway); `src.prefetch` fetches a word's lines
  // ahead of a sparse loop.
  // `listed`: selected_words(in, nw_, idx_) when the caller has just made it (idx_ holds it).
  template <class Fn, class Src>
  bool words_by(const uint64_t* in, uint64_t* out, const uint64_t* valid, bool negated, Fn&& fn, bool whole_words,
                const Src& src, size_t listed = SIZE_MAX) {
    size_t k = listed != SIZE_MAX ? listed : selected_words(in, nw_, idx_);
    if (whole_words && k * kDenseDiv >= nw_) return every_word(in, out, valid, negated, fn);
    if (in != out) std::memset(out, 0, nw_ * 8);  // in place, unselected words are zero already
    uint64_t any = 0;
    for (size_t i = 0; i < k; ++i) {
      if (i + kPrefetchAhead < k) src.prefetch(idx_[i + kPrefetchAhead]);
      size_t w = idx_[i];
      uint64_t s = in[w];
      uint64_t m = fn(w);
      if (negated) m = ~m;
      if (valid) m &= valid[w];
      any |= out[w] = s & m;
    }
    return any != 0;
  }

  // A sequence stores no offsets (they are the rows): the block's are written out for the
  // kernels. Only blocks its zone map does not decide get here: the two ends of a range.
  template <class T>
  const T* sequence_block() {
    if (sequence_.size() < kBlockRows) sequence_.resize(kBlockRows);
    T* v = reinterpret_cast<T*>(sequence_.data());
    uint64_t row0 = block_ * kBlockRows;
    for (uint64_t i = 0; i < kBlockRows; ++i) v[i] = static_cast<T>(row0 + i);
    return v;
  }

  // Tests on a column of arithmetic runs (runs.hpp, decision 85): a range is one span of each
  // run's rows and a value at most one row of it, solved a run at a time and set as bits; a
  // long list reads the offsets of the rows still selected, written out for the block.
  bool compare_runs(const PlanNode& n, const Column& c, const uint64_t* in, uint64_t* out, const uint64_t* valid) {
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

  // Tests on a byte-sliced column, on its slices (kernels_sliced.hpp): ranges and short
  // lists a slice at a time while rows are undecided; the longer lists row by row. Packed
  // slices (decision 59) run the same kernels on each word's other rows.
  bool compare_sliced(const PlanNode& n, const Column& c, const uint64_t* in, uint64_t* out, const uint64_t* valid) {
    // A tail (decision 65): a first run lets rows still equal to a bound after the slices
    // pass and notes whether any did; only then does the block run again, over what passed,
    // reading the tail. Negated, letting them pass would drop them: the tail is read at once.
    // Packed slices read it at once too (decision 67): a frequent value's column is skewed
    // (deposit_total's amounts crowd at the low end), ties were in every block, and running
    // each twice made its ranges 2.1x slower.
    if (c.meta.slice_tail && !c.meta.packed && n.op == Op::Range && !n.negated) {
      bool tied = false;
      const bool any = sliced_block(n, c, in, out, valid, &tied);
      return tied ? sliced_block(n, c, out, out, valid) : any;
    }
    return sliced_block(n, c, in, out, valid);
  }

  // A sliced column's tests on this block, from its slices as stored (whole or packed), or, in
  // a pass of many plans, packed slices unpacked once (decision 60).
  bool sliced_block(const PlanNode& n, const Column& c, const uint64_t* in, uint64_t* out, const uint64_t* valid,
                    bool* tied = nullptr) {
    // The tail's planes: their bit for a row's byte in a slice is at its position there.
    const kernel::SliceTail tail = c.meta.slice_tail ? kernel::SliceTail{c.data, c.tail_planes(), c.stride / 64, c.meta.slice_tail}
                                                     : kernel::SliceTail{};
    if (!c.meta.packed)
      return sliced_tests<false>(n, c, WholeWords<uint8_t>{c.data + block_ * kBlockRows, c.stride}, c.stride, tail, in,
                                 out, valid, tied);
#ifdef SEG_AVX512
    if (decode_once_ && kernel::avx512()) {
      const uint8_t* b = unpacked_block(c);
      const kernel::SliceTail block_tail =
          c.meta.slice_tail ? kernel::SliceTail{b, reinterpret_cast<const uint64_t*>(b + c.meta.slices * kBlockRows),
                                                kBlockWords, c.meta.slice_tail}
                            : kernel::SliceTail{};
      return sliced_tests<false>(n, c, WholeWords<uint8_t>{b, kBlockRows}, kBlockRows, block_tail, in, out, valid, tied);
    }
#endif
    const uint64_t v = c.meta.frequent_offset;
    const bool passes = n.op == Op::Range ? n.lo <= v && v <= n.hi
                                          : std::binary_search(n.offsets.begin(), n.offsets.end(), v);
    return sliced_tests<true>(
        n, c, PackedWords{c.data, c.packed_start + block_ * kBlockWords, c.frequent + block_ * kBlockWords, c.stride, passes},
        c.stride, tail, in, out, valid, tied);
  }

  // `src`: WholeWords over the slices, or PackedWords (then each kernel runs on the word's
  // other rows: PackedAvx512 and packed_word); `stride`: bytes from one slice to the next there;
  // `tail`: the tail's planes for those slices. `tied`: for a range on a column with a tail,
  // run without reading it (rows equal to a bound after the slices pass) and say whether a row was.
  template <bool Packed, class Src>
  bool sliced_tests(const PlanNode& n, const Column& c, const Src& src, uint64_t stride, const kernel::SliceTail& tail,
                    const uint64_t* in, uint64_t* out, const uint64_t* valid, bool* tied = nullptr) {
    const unsigned slices = c.meta.slices, shift = c.meta.slice_shift;
    // A baseline kernel `fn(p, sel)` on word w.
    const bool bmi2 = Packed && kernel::bmi2();
    auto base = [&](size_t w, auto&& fn) {
      if constexpr (Packed) return kernel::packed_word(src.at(w), in[w], fn, bmi2);
      else return fn(src.at(w), in[w]);
    };
#ifdef SEG_AVX512
    auto avx512 = [&]<class Kernel, class... A>(const A&... args) {
      using K = std::conditional_t<Packed, kernel::PackedAvx512<Kernel>, Kernel>;
      const size_t k = selected_words(in, nw_, idx_);
      if constexpr (Packed)
        if (k * kDenseDiv >= nw_) return packed_dense_avx512<Kernel>(src, in, out, valid, n.negated, nw_, run_bits_, args...);
      return words_avx512<K>(src, in, out, valid, n.negated, nw_, idx_, k, args...);
    };
    auto avx2 = [&]<class Kernel, class... A>(const A&... args) {
      using K = std::conditional_t<Packed, kernel::PackedAvx2<Kernel>, Kernel>;
      const size_t k = selected_words(in, nw_, idx_);
      if constexpr (Packed)
        if (k * kDenseDiv >= nw_) return packed_dense_avx2<Kernel>(src, in, out, valid, n.negated, nw_, run_bits_, args...);
      return words_avx2<K>(src, in, out, valid, n.negated, nw_, idx_, k, args...);
    };
#endif
    switch (n.op) {
      case Op::Range: {
        using TU = kernel::TailUse;
        const kernel::SlicedRange r(stride, slices, shift, n.lo, n.hi, c.meta.max_offset, tail);
        auto run = [&]<TU T>() -> bool {
#ifdef SEG_AVX512
          if (kernel::avx512()) {
            if (r.prefix_inside) {  // (never one value)
              if (!r.has_hi) return avx512.template operator()<kernel::SlicedPrefixAvx512<true, false, T>>(r);
              if (!r.has_lo) return avx512.template operator()<kernel::SlicedPrefixAvx512<false, true, T>>(r);
              return avx512.template operator()<kernel::SlicedPrefixAvx512<true, true, T>>(r);
            }
            if (!r.has_hi) return avx512.template operator()<kernel::SlicedRangeAvx512<true, false, T>>(r);
            if (!r.has_lo) return avx512.template operator()<kernel::SlicedRangeAvx512<false, true, T>>(r);
            if (r.one_value()) return avx512.template operator()<kernel::SlicedEqAvx512<T>>(r);
            return avx512.template operator()<kernel::SlicedRangeAvx512<true, true, T>>(r);
          }
          if (kernel::avx2()) {
            if (r.prefix_inside) {  // (never one value)
              if (!r.has_hi) return avx2.template operator()<kernel::SlicedPrefixAvx2<true, false, T>>(r);
              if (!r.has_lo) return avx2.template operator()<kernel::SlicedPrefixAvx2<false, true, T>>(r);
              return avx2.template operator()<kernel::SlicedPrefixAvx2<true, true, T>>(r);
            }
            if (!r.has_hi) return avx2.template operator()<kernel::SlicedRangeAvx2<true, false, T>>(r);
            if (!r.has_lo) return avx2.template operator()<kernel::SlicedRangeAvx2<false, true, T>>(r);
            if (r.one_value()) return avx2.template operator()<kernel::SlicedEqAvx2<T>>(r);
            return avx2.template operator()<kernel::SlicedRangeAvx2<true, true, T>>(r);
          }
#endif
          auto range = [&](const uint8_t* p, uint64_t sel) { return kernel::sliced_range_bits<T>(r, p, sel); };
          return words_by(in, out, valid, n.negated, [&](size_t w) { return base(w, range); }, true, src);
        };
        if (!tail.bits) return run.template operator()<TU::None>();
        if (!tied) return run.template operator()<TU::Read>();
        const bool any = run.template operator()<TU::Flag>();
        *tied = r.tied;
        return any;
      }
      case Op::InSmall: {
        const kernel::SlicedIn q(stride, slices, shift, n.offsets.data(), n.offsets.size(), tail);
#ifdef SEG_AVX512
        if (kernel::avx512()) return avx512.template operator()<kernel::SlicedInAvx512>(q);
        if (kernel::avx2()) return avx2.template operator()<kernel::SlicedInAvx2>(q);
#endif
        auto in_list = [&](const uint8_t* p, uint64_t sel) { return kernel::sliced_in_bits(q, p, sel); };
        return words_by(in, out, valid, n.negated, [&](size_t w) { return base(w, in_list); }, true, src);
      }
      case Op::InBitmap:
      case Op::InSorted:
        return words_by(
            in, out, valid, n.negated,
            [&](size_t w) {
              const uint64_t row0 = block_ * kBlockRows + 64 * w;
              return rows_in_list(n, in[w], [&](int i) {
                if constexpr (Packed) return c.offset_at(row0 + static_cast<uint64_t>(i));
                else if (tail.bits) return c.offset_at(row0 + static_cast<uint64_t>(i));
                else return kernel::sliced_offset(src.at(w) + i, stride, slices, shift);
              });
            },
            false, src);
      default: assert(!"compare_sliced() on a node that is not a value test"); return zero(out);
    }
  }

  // Tests on a bit-plane column (decision 58): a word's offsets are put together as bytes in
  // registers from its planes, then tested by the 1-byte kernels; memory gives a bit a row a
  // plane (3 for a stage) instead of a byte.
  bool compare_planes(const PlanNode& n, const Column& c, const uint64_t* in, uint64_t* out, const uint64_t* valid) {
    if (decode_once_) return compare_values(n, plane_block(c), in, out, valid);
    PlaneWords src{reinterpret_cast<const uint64_t*>(c.data) + block_ * kBlockWords, c.stride / 8, c.meta.slices, {}};
#ifdef SEG_AVX512
    // The AVX-512 loop for `Kernel`, instantiated for each number of planes.
    auto avx512 = [&]<class Kernel, class... A>(A... args) {
      const size_t k = selected_words(in, nw_, idx_);
      auto run = [&]<unsigned P>() {
        return words_avx512<Kernel>(PlaneWordsAvx512<P>{src.p, src.stride}, in, out, valid, n.negated, nw_, idx_, k,
                                    args...);
      };
      switch (src.planes) {
        case 1: return run.template operator()<1>();
        case 2: return run.template operator()<2>();
        case 3: return run.template operator()<3>();
        case 4: return run.template operator()<4>();
        default: return run.template operator()<5>();
      }
    };
    static_assert(kMaxPlanes == 5);
#endif
    static_assert(kMaxPlanes <= kernel::kMaxPlanesKernel);
    // The baseline's loop for `run<P>()`, instantiated for each number of planes.
    auto by_planes = [&](auto&& run) {
      switch (src.planes) {
        case 1: return run.template operator()<1>();
        case 2: return run.template operator()<2>();
        case 3: return run.template operator()<3>();
        case 4: return run.template operator()<4>();
        default: return run.template operator()<5>();
      }
    };
    switch (n.op) {
      case Op::Range: {
        [[maybe_unused]] const auto lo = static_cast<uint8_t>(n.lo), span = static_cast<uint8_t>(n.hi - n.lo);
#ifdef SEG_AVX512
        if (kernel::avx512()) return avx512.template operator()<kernel::RangeAvx512>(lo, span);
#endif
        const auto hi = static_cast<uint8_t>(n.hi);
        // A side every offset passes is not compared (planes_range's Lo, Hi).
        const bool has_lo = lo > 0, has_hi = n.hi < c.meta.max_offset;
        const size_t listed = selected_words(in, nw_, idx_);
#ifdef SEG_AVX512
        const bool avx2 = kernel::avx2() && listed * kPlanesDenseDiv >= nw_;
#endif
        return by_planes([&]<unsigned P>() {
          auto sides = [&]<bool L, bool H>() {
#ifdef SEG_AVX512
            if (avx2) return kernel::planes_range_avx2<P, L, H>(src.p, src.stride, lo, hi, in, out, valid, n.negated, nw_);
#endif
            return words_by(
                in, out, valid, n.negated,
                [&](size_t w) { return kernel::planes_range<P, L, H>(src.p + w, src.stride, lo, hi); }, true, src, listed);
          };
          if (has_lo && has_hi) return sides.template operator()<true, true>();
          if (has_lo) return sides.template operator()<true, false>();
          if (has_hi) return sides.template operator()<false, true>();
          return sides.template operator()<false, false>();
        });
      }
      case Op::InSmall: {
        uint8_t vals[kSmallIn];
        const size_t k = n.offsets.size();
        for (size_t i = 0; i < k; ++i) vals[i] = static_cast<uint8_t>(n.offsets[i]);
#ifdef SEG_AVX512
        if (kernel::avx512())
          return kernel::with_small_set<kernel::InBytesAvx512>(vals, k, [&]<class Set>(const Set& set) {
            return avx512.template operator()<Set>(set);
          });
#endif
        const size_t listed = selected_words(in, nw_, idx_);
#ifdef SEG_AVX512
        // Four words at a time where most words are selected, as ranges on planes do.
        const bool avx2 = kernel::avx2() && listed * kPlanesDenseDiv >= nw_;
#endif
        return by_planes([&]<unsigned P>() {
#ifdef SEG_AVX512
          if (avx2) return kernel::planes_in_avx2<P>(src.p, src.stride, vals, k, in, out, valid, n.negated, nw_);
#endif
          return words_by(
              in, out, valid, n.negated, [&](size_t w) { return kernel::planes_in<P>(src.p + w, src.stride, vals, k); },
              true, src, listed);
        });
      }
      case Op::InBitmap:
      case Op::InSorted:
        return words_by(
            in, out, valid, n.negated,
            [&](size_t w) {
              const uint8_t* b = src.at(w);
              return rows_in_list(n, in[w], [&](int i) { return uint64_t{b[i]}; });
            },
            false, src);
      default: assert(!"compare_planes() on a node that is not a value test"); return zero(out);
    }
  }

  // A bit-plane column's block as bytes, put together the first time a plan tests it there.
  // For the shared pass: hundreds of plans test stage or country on each block, and putting
  // the words together in each test cost it 7% (decision 58).
  const uint8_t* plane_block(const Column& c) {
    return decoded_block(c, kBlockRows, [&](uint8_t* out) {
      const uint64_t* p = reinterpret_cast<const uint64_t*>(c.data) + block_ * kBlockWords;
      for (size_t w = 0; w < nw_; ++w) kernel::planes_to_bytes(p + w, c.stride / 8, c.meta.slices, out + 64 * w);
    });
  }

  // Column c's block in another form (`size` bytes, written by `make`), made the first time a
  // plan asks for it on this block (plane_block, unpacked_block).
  template <class Make>
  const uint8_t* decoded_block(const Column& c, size_t size, Make&& make) {
    if (decoded_.size() <= c.meta.field) decoded_.resize(c.meta.field + 1);
    Decoded& d = decoded_[c.meta.field];
    if (d.epoch != epoch_) {
      make(d.reserve(size));
      d.epoch = epoch_;
    }
    return d.bytes;
  }

#ifdef SEG_AVX512
  // A packed column's block as whole slices (kBlockRows bytes apart), put together the first
  // time a plan tests it there, so the shared pass's tests on it run the plain sliced kernels:
  // with hundreds of plans testing deposit_total on a block in cache, squeezing each word's
  // selection and spreading each answer (pext, pdep) in every test made the packed kernels a
  // quarter of the pass. The frequent value's rows get its bytes, so each test decides them
  // as it would any row. A tail's planes follow the slices, kBlockWords words each.
  const uint8_t* unpacked_block(const Column& c) {
    const unsigned slices = c.meta.slices, tail = c.meta.slice_tail;
    return decoded_block(c, slices * kBlockRows + tail * kBlockWords * 8, [&](uint8_t* out) {
      const uint64_t y = c.meta.frequent_offset << c.meta.slice_shift, top = y >> tail;
      const uint32_t* start = c.packed_start + block_ * kBlockWords;
      const uint64_t* freq = c.frequent + block_ * kBlockWords;
      for (unsigned k = 0; k < slices; ++k)
        kernel::unpack_words(c.data + k * c.stride, start, freq, nw_, static_cast<uint8_t>(top >> (8 * (slices - 1 - k))),
                             out + k * kBlockRows);
      if (tail)
        kernel::unpack_tail_words({c.data, c.tail_planes(), c.stride / 64, tail}, start, freq, nw_, y,
                                  reinterpret_cast<uint64_t*>(out + slices * kBlockRows), kBlockWords);
    });
  }
#endif

  // The selected rows of a word whose offset (`at(i)`, row i of the word) is in a long list:
  // only those rows, since such a test runs late, on what the cheaper ones left.
  template <class At>
  static uint64_t rows_in_list(const PlanNode& n, uint64_t s, At&& at) {
    uint64_t m = 0;
    if (n.op == Op::InBitmap) {
      const uint64_t* bits = n.bits.data();
      const uint64_t limit = n.bits.size() * 64;
      while (s) {
        int i = __builtin_ctzll(s);
        s &= s - 1;
        uint64_t x = at(i);
        if (x >= n.lo && x - n.lo < limit && ((bits[(x - n.lo) >> 6] >> ((x - n.lo) & 63)) & 1)) m |= uint64_t{1} << i;
      }
      return m;
    }
    while (s) {
      int i = __builtin_ctzll(s);
      s &= s - 1;
      if (std::binary_search(n.offsets.begin(), n.offsets.end(), at(i))) m |= uint64_t{1} << i;
    }
    return m;
  }

  template <class T>
  bool compare_t(const PlanNode& n, const Column& c, const uint64_t* in, uint64_t* out, const uint64_t* valid) {
    const T* v = c.is_sequence() ? sequence_block<T>() : reinterpret_cast<const T*>(c.data) + block_ * kBlockRows;
    return compare_values(n, v, in, out, valid);
  }

  // A value test on the block's offsets `v`.
  template <class T>
  bool compare_values(const PlanNode& n, const T* v, const uint64_t* in, uint64_t* out, const uint64_t* valid) {
    switch (n.op) {
      case Op::Range: {
        T lo = static_cast<T>(n.lo), span = static_cast<T>(n.hi - n.lo);
#ifdef SEG_AVX512
        if (kernel::avx512())
          return words_avx512<kernel::RangeAvx512>(WholeWords<T>{v}, in, out, valid, n.negated, nw_, idx_,
                                                   selected_words(in, nw_, idx_), lo, span);
        if constexpr (sizeof(T) == 1)
          if (kernel::avx2())
            return words_avx2<kernel::Range1Avx2>(WholeWords<T>{v}, in, out, valid, n.negated, nw_, idx_,
                                                  selected_words(in, nw_, idx_), lo, span);
#endif
        return words<T>(
            v, in, out, valid, n.negated, [&](size_t w) { return kernel::range_bits<T>(v + 64 * w, lo, span); }, true);
      }
      case Op::InSmall: {
        T vals[kSmallIn];
        size_t k = n.offsets.size();
        for (size_t i = 0; i < k; ++i) vals[i] = static_cast<T>(n.offsets[i]);
#ifdef SEG_AVX512
        if (kernel::avx512()) {
          if constexpr (sizeof(T) == 1)
            return kernel::with_small_set<kernel::InBytesAvx512>(vals, k, [&]<class Set>(const Set& set) {
              return words_avx512<Set>(WholeWords<T>{v}, in, out, valid, n.negated, nw_, idx_, selected_words(in, nw_, idx_), set);
            });
          return words_avx512<kernel::InSmallAvx512>(WholeWords<T>{v}, in, out, valid, n.negated, nw_, idx_,
                                                     selected_words(in, nw_, idx_), static_cast<const T*>(vals), k);
        }
        if constexpr (sizeof(T) == 1)
          if (kernel::avx2())
            return kernel::with_small_set<kernel::InBytesAvx2>(vals, k, [&]<class Set>(const Set& set) {
              return words_avx2<Set>(WholeWords<T>{v}, in, out, valid, n.negated, nw_, idx_, selected_words(in, nw_, idx_), set);
            });
#endif
        return words<T>(v, in, out, valid, n.negated,
                        [&](size_t w) { return kernel::in_small_bits<T>(v + 64 * w, vals, k); }, true);
      }
      case Op::InBitmap:
      case Op::InSorted:
        return words<T>(v, in, out, valid, n.negated, [&](size_t w) {
          return rows_in_list(n, in[w], [&](int i) { return static_cast<uint64_t>(v[64 * w + i]); });
        });
      case Op::False:
      case Op::True:
      case Op::And:
      case Op::Or:
      case Op::Not:
      case Op::IsNull:
      case Op::NotNull:
      case Op::TagAny:
      case Op::TagAll:
      case Op::TagNone:
      case Op::Fused:
        assert(!"compare() on a node that is not a value test");
        return zero(out);
    }
    return false;  // every op returns above
  }

  const Plan* plan_ = nullptr;
  const Store& store_;
  bool explain_;
  std::vector<uint64_t> scratch_;
  std::vector<uint8_t> bytes_;  // one byte per row of a block, zero between uses (gather_tags)
  std::vector<uint64_t> sequence_;  // a sequence column's offsets for the block (sequence_block)
  struct Decoded {
    uint64_t epoch = 0;  // the block (epoch_) `bytes` holds
    std::vector<uint8_t> buf;
    uint8_t* bytes = nullptr;  // in buf, on a line boundary: a word's 64 bytes are one line, not two
    uint8_t* reserve(size_t n) {
      if (buf.size() < n + 64) {
        buf.assign(n + 64, 0);
        auto at = reinterpret_cast<uintptr_t>(buf.data());
        bytes = buf.data() + ((64 - at % 64) % 64);
      }
      return bytes;
    }
  };
  std::vector<Decoded> decoded_;  // by field: bit-plane columns' blocks as bytes (plane_block), packed ones as slices (unpacked_block)
  bool decode_once_ = false;
  std::vector<const uint8_t*> sparse_;  // gather_tags: the sparse-bytes containers, ORed together
  struct Part {
    const uint8_t* data;
    uint32_t card;
    uint32_t kind;  // kArray, kBitmap, kBucketed (decoded into rows_ first) or kSparse (expanded)
  };
  std::vector<uint16_t> rows_;  // a bucketed container's rows, decoded (bucketed_rows)
  const bool vbmi2_ = kernel::vbmi2();  // decoded with VPCOMPRESSB
  const bool bmi2_ = kernel::bmi2();  // sparse bytes expanded with PDEP where VBMI2 is not
  std::vector<Part> parts_;  // non-empty containers of the tag set being gathered
  std::vector<NodeStats> stats_;
  uint16_t idx_[kBlockWords + kernel::kIdxSlack];  // selected words of the leaf running now
  uint64_t run_bits_[kBlockWords + 3];  // a packed column's test over the block's run (packed_dense_avx512)
  std::vector<uint64_t> all_;  // every row of the block (the tail of the last one cut off)
  size_t all_tail_ = 0;        // the word of all_ that may be cut
  // Shared tests (share()): each slot's result for the block, in a pool reused block by block.
  const int* slots_ = nullptr;
  std::vector<uint64_t> slot_epoch_;  // the epoch (block) a slot's result is for
  std::vector<size_t> slot_buf_;      // its buffer in pool_
  std::vector<std::vector<uint64_t>> pool_;
  size_t pool_used_ = 0;
  uint64_t epoch_ = 0;
  uint64_t block_ = 0;
  size_t nw_ = 0;
};

// Sum of the ids of the selected rows (frame of reference: count * base + sum of offsets).
template <class T>
uint64_t sum_offsets(const T* v, const uint64_t* sel, size_t nw) {
  uint16_t idx[kBlockWords + kernel::kIdxSlack];
  size_t k = selected_words(sel, nw, idx);
  uint64_t sum = 0;
  for (size_t i = 0; i < k; ++i) {
    if (i + kPrefetchAhead < k) prefetch_word(v, idx[i + kPrefetchAhead]);
    size_t w = idx[i];
    uint64_t s = sel[w];
    const T* x = v + 64 * w;
    if constexpr (sizeof(T) == 4) {
      sum += kernel::masked_sum(x, s);
      continue;
    }
    if (popcount64(s) > 24) {
      // Dense word: a vectorized sum of all 64, less the few rows not selected.
      uint64_t part = 0;
      for (int i = 0; i < 64; ++i) part += x[i];
      for (uint64_t u = ~s; u; u &= u - 1) part -= x[__builtin_ctzll(u)];
      sum += part;
      continue;
    }
    while (s) {
      sum += x[__builtin_ctzll(s)];
      s &= s - 1;
    }
  }
  return sum;
}

struct BlockResult {
  uint64_t count = 0;
  uint64_t checksum = 0;
  std::vector<uint64_t> sel;  // the block's selection (want_rows): 1 bit a row, expanded once at the end
};

// A result vector of `n` elements whose pages come as 2 MiB huge pages where the kernel
// allows. On this machine's virtualisation a fresh 4 KiB page costs a fault of about 20 us:
// 8.9M members written into 4 KiB pages spent about a second in faults (perf, `seg eval --ids`).
template <typename T>
void reserve_huge(std::vector<T>& v, size_t n) {
  v.reserve(n);
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  uintptr_t b = reinterpret_cast<uintptr_t>(v.data()), e = b + n * sizeof(T);
  uintptr_t ab = (b + kHuge - 1) & ~(kHuge - 1), ae = e & ~(kHuge - 1);
  if (ae > ab) ::madvise(reinterpret_cast<void*>(ab), ae - ab, MADV_HUGEPAGE);  // a hint only
}

// The block's ids are first, first + 1, ... in row order: they strictly increase (ids_sorted)
// and its zone map spans exactly as many values as it has rows. Then the checksum needs no
// id: count * first + the sum of the selected positions (auto-increment ids, the reference
// data's, never read the id column).
bool consecutive_ids(const Store& store, const Column& id, uint64_t b) {
  if (!store.ids_sorted() || !id.zones) return false;
  uint64_t rows = std::min<uint64_t>(kBlockRows, store.rows() - b * kBlockRows);
  const Zone& z = id.zones[b];
  return z.valid == rows && static_cast<uint64_t>(z.max) - static_cast<uint64_t>(z.min) == rows - 1;
}

// Whether a block's selection is every row: all its words ones but the last, which is `last`.
// Sixteen words a step, stopping at the first step that is not (most results stop there); word
// by word, with the table's tail worked out for each, this loop was the whole cost of a broad
// rule the zone maps decide (`client_id > 46`: 1-3 us a block).
bool whole_block(const uint64_t* sel, size_t nw, uint64_t last) {
  constexpr uint64_t kAll = ~uint64_t{0};
  size_t w = 0;
  for (; w + 16 < nw; w += 16) {
    uint64_t a = kAll;
    for (size_t j = 0; j < 16; ++j) a &= sel[w + j];
    if (a != kAll) return false;
  }
  for (; w + 1 < nw; ++w)
    if (sel[w] != kAll) return false;
  return sel[nw - 1] == last;
}

void finish_block(const Store& store, uint64_t b, const uint64_t* sel, size_t nw, bool want_rows, BlockResult& r) {
  uint64_t row0 = b * kBlockRows;
  const Column* idc = store.id_field() >= 0 ? &store.column(store.id_field()) : nullptr;
  if (!idc || idc->is_sequence() || consecutive_ids(store, *idc, b)) {
    // Without an id field the id is row + 1, and a sequence's is base + row: consecutive too.
    // A block wholly selected (a rule that folded to `true`, a broad one) has n rows at
    // positions 0..n-1: no popcounts (they were most of a 10M-row `true`: 0.45 ms).
    BitSums s;
    if (whole_block(sel, nw, tail_mask(store.rows(), b * kBlockWords + nw - 1))) {
      s.count = std::min<uint64_t>(kBlockRows, store.rows() - row0);
      s.positions = s.count * (s.count - 1) / 2;
    } else {
      s = bit_sums(sel, nw);
    }
    uint64_t first = !idc ? row0 + 1
                     : idc->is_sequence() ? static_cast<uint64_t>(idc->meta.base) + row0
                                          : static_cast<uint64_t>(idc->zones[b].min);
    r.count = s.count;
    r.checksum = s.count * first + s.positions;
  } else {
    r.count = popcount_words(sel, nw);
    const Column& id = *idc;
    uint64_t offs;
    switch (id.meta.width) {
      case 1: offs = sum_offsets(id.data + row0, sel, nw); break;
      case 2: offs = sum_offsets(reinterpret_cast<const uint16_t*>(id.data) + row0, sel, nw); break;
      case 4: offs = sum_offsets(reinterpret_cast<const uint32_t*>(id.data) + row0, sel, nw); break;
      default: offs = sum_offsets(reinterpret_cast<const uint64_t*>(id.data) + row0, sel, nw); break;
    }
    r.checksum = r.count * static_cast<uint64_t>(id.meta.base) + offs;
  }
  if (want_rows && r.count) r.sel.assign(sel, sel + nw);
}

// One row through the plan on the few-ids path, counting rows in and out per node for
// explain. The probed leaf is skipped: every row it gave holds one of its values.
bool test_row(const PlanNode& n, const Store& store, uint64_t row, std::vector<NodeStats>* stats) {
  if (!stats) {
    if (n.op != Op::And) return eval_row(n, store, row);
    for (const auto& k : n.kids)
      if (!k.probed && !eval_row(k, store, row)) return false;
    return true;
  }
  NodeStats& s = (*stats)[static_cast<size_t>(n.id)];
  ++s.rows_in;
  bool hit;
  switch (n.op) {
    case Op::And:
      hit = true;
      for (const auto& k : n.kids)
        if (!k.probed && !test_row(k, store, row, stats)) {
          hit = false;
          break;
        }
      break;
    case Op::Or:
      hit = false;
      for (const auto& k : n.kids)
        if (test_row(k, store, row, stats)) {
          hit = true;
          break;
        }
      break;
    case Op::Not: hit = !test_row(n.kids[0], store, row, stats); break;
    default: hit = n.probed || eval_row(n, store, row); break;
  }
  s.rows_out += hit;
  return hit;
}

// The few-ids path: only the rows the lookup found (Plan::probe) are tested, one by one.
EvalResult evaluate_probe(const Plan& plan, const Store& store, const EvalOptions& options, uint64_t block0,
                          uint64_t end, Clock::time_point t0) {
  EvalResult res;
  res.blocks = end - block0;
  std::vector<NodeStats>* stats = nullptr;
  if (options.explain) res.stats.resize(static_cast<size_t>(plan.node_count)), stats = &res.stats;
  const uint64_t first_row = block0 * kBlockRows, end_row = std::min(store.rows(), end * kBlockRows);
  const auto& rows = plan.probe.rows;
  auto it = std::lower_bound(rows.begin(), rows.end(), first_row);
  const uint64_t found = static_cast<uint64_t>(std::lower_bound(it, rows.end(), end_row) - it);
  std::vector<std::pair<int64_t, uint64_t>> hits;  // (id, row)
  for (; it != rows.end() && *it < end_row; ++it) {
    uint64_t r = *it;
    if (!test_row(plan.root, store, r, stats)) continue;
    int64_t id = store.id_at(r);
    ++res.count;
    res.checksum += static_cast<uint64_t>(id);
    if (options.want_rows) hits.emplace_back(id, r);
    if (options.want_bitmap) {
      if (res.bitmap.empty()) res.bitmap.assign(words_for(store.rows()), 0);
      set_bit(res.bitmap.data(), r);
    }
  }
  if (stats) {  // the probed leaf stands for a test of every row: in, all of them; out, those found
    NodeStats& leaf = (*stats)[static_cast<size_t>(plan.probe.node)];
    leaf.rows_in = end_row - first_row;
    leaf.rows_out = found;
  }
  if (options.want_rows) {
    if (!store.ids_sorted()) std::sort(hits.begin(), hits.end());
    if (hits.size() > options.max_rows) hits.resize(options.max_rows);
    res.ids.reserve(hits.size());
    res.rows.reserve(hits.size());
    for (auto [id, r] : hits) res.ids.push_back(id), res.rows.push_back(r);
  }
  if (stats) (*stats)[0].ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
  res.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return res;
}

}  // namespace

EvalResult evaluate(const Plan& plan, const Store& store, const EvalOptions& options) {
  auto t0 = Clock::now();
  EvalResult res;
  const uint64_t end = std::min(options.end_block, store.blocks());
  const uint64_t block0 = std::min(options.first_block, end);
  const uint64_t nblocks = end - block0;
  res.blocks = nblocks;
  if (options.explain) res.stats.resize(static_cast<size_t>(plan.node_count));
  if (plan.root.op == Op::False || nblocks == 0) {  // constant false does no work
    res.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    return res;
  }
  // Constant true, counted only, over ids that are the rows' (a sequence, or none: row + 1):
  // count and id sum are arithmetic, no block is visited (a `true` at 10M rows was 0.25 ms,
  // where DuckDB answers count(*) from its metadata).
  const int idf = store.id_field();
  if (plan.root.op == Op::True && !options.want_rows && !options.want_bitmap && !options.explain &&
      (idf < 0 || store.column(idf).is_sequence())) {
    const uint64_t lo = block0 * kBlockRows, hi = std::min(end * kBlockRows, store.rows());
    const uint64_t n = hi - lo;
    const uint64_t first = idf < 0 ? lo + 1 : static_cast<uint64_t>(store.column(idf).meta.base) + lo;
    res.count = n;
    res.checksum = n * first + (n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2));  // mod 2^64, as the blocks' sums
    res.threads = 1;
    res.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    return res;
  }
  if (plan.probe.node >= 0) return evaluate_probe(plan, store, options, block0, end, t0);
  std::vector<BlockResult> blocks(nblocks);
  std::atomic<uint64_t> next{0};
  auto worker = [&](std::vector<NodeStats>* stats_out) {
    BlockRunner runner(plan, store, options.explain);
    std::vector<uint64_t> sel(kBlockWords);
    for (uint64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < nblocks;) {
      runner.run_block(block0 + i, sel.data());
      finish_block(store, block0 + i, sel.data(), runner.words(), options.want_rows || options.want_bitmap, blocks[i]);
    }
    if (stats_out) *stats_out = std::move(runner.stats());
  };
  uint64_t by_size = std::max<uint64_t>(1, nblocks / std::max<uint64_t>(1, options.min_blocks_per_thread));
  unsigned threads = static_cast<unsigned>(std::clamp<uint64_t>(options.threads, 1, by_size));
  res.threads = threads;
  std::vector<std::vector<NodeStats>> thread_stats(threads);
  if (threads == 1) {
    worker(options.explain ? &thread_stats[0] : nullptr);
  } else {
    // This thread works too. A thread that cannot start (a process limit) leaves its share to
    // the others: the vector's destructor with a started thread still joinable would have
    // ended the process.
    std::vector<std::thread> pool;
    try {
      for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker, options.explain ? &thread_stats[t] : nullptr);
    } catch (const std::system_error&) {
    }
    worker(options.explain ? &thread_stats[0] : nullptr);
    for (auto& th : pool) th.join();
  }
  for (const auto& b : blocks) {
    res.count += b.count;
    res.checksum += b.checksum;
  }
  if (options.explain)
    for (const auto& ts : thread_stats)
      for (size_t i = 0; i < ts.size(); ++i) {
        NodeStats& s = res.stats[i];
        s.rows_in += ts[i].rows_in;
        s.rows_out += ts[i].rows_out;
        s.ns += ts[i].ns;
        s.calls += ts[i].calls;
        s.zone_skipped += ts[i].zone_skipped;
      }
  if (options.want_bitmap) {
    res.bitmap.assign(words_for(store.rows()), 0);
    for (uint64_t i = 0; i < nblocks; ++i)
      std::copy(blocks[i].sel.begin(), blocks[i].sel.end(), res.bitmap.begin() + static_cast<std::ptrdiff_t>((block0 + i) * kBlockWords));
  }
  if (options.want_rows) {
    // Rows and ids written once each, straight from the blocks' selections. With ids in row
    // order, the first max_rows members are the first max_rows rows: stop there.
    const bool sorted = store.ids_sorted();
    const uint64_t keep = std::min(res.count, options.max_rows);
    const uint64_t collect = sorted ? keep : res.count;
    reserve_huge(res.rows, collect);
    reserve_huge(res.ids, collect);
    for (uint64_t i = 0; i < nblocks && res.rows.size() < collect; ++i) {
      const std::vector<uint64_t>& sel = blocks[i].sel;
      uint64_t row0 = (block0 + i) * kBlockRows;
      for (size_t w = 0; w < sel.size() && res.rows.size() < collect; ++w)
        for (uint64_t bits = sel[w]; bits && res.rows.size() < collect; bits &= bits - 1) {
          uint64_t r = row0 + w * 64 + static_cast<uint64_t>(__builtin_ctzll(bits));
          res.rows.push_back(r);
          res.ids.push_back(store.id_at(r));
        }
    }
    if (!sorted) {
      // The first `keep` by id: a partial sort, not a sort of every member.
      std::vector<size_t> order(res.ids.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      auto by_id = [&](size_t a, size_t b) { return res.ids[a] < res.ids[b]; };
      if (keep < order.size()) {
        std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(), by_id);
        order.resize(keep);
      } else {
        std::sort(order.begin(), order.end(), by_id);
      }
      std::vector<int64_t> ids(order.size());
      std::vector<uint64_t> rows(order.size());
      for (size_t i = 0; i < order.size(); ++i) ids[i] = res.ids[order[i]], rows[i] = res.rows[order[i]];
      res.ids = std::move(ids);
      res.rows = std::move(rows);
    }
  }
  res.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return res;
}

struct BlockEvaluator::Impl {
  std::vector<const Plan*> plans;
  SharedNodes shared;
  std::unique_ptr<BlockRunner> runner;  // made on the first plan that scans
};

BlockEvaluator::BlockEvaluator(const Store& store, std::vector<const Plan*> plans, bool share)
    : store_(store), impl_(std::make_unique<Impl>()) {
  impl_->plans = std::move(plans);
  if (share) impl_->shared = find_shared_nodes(impl_->plans);
}
BlockEvaluator::~BlockEvaluator() = default;

size_t BlockEvaluator::shared_tests() const { return impl_->shared.slots; }
uint64_t BlockEvaluator::shared_uses() const { return impl_->shared.uses; }

size_t BlockEvaluator::run_block(size_t i, uint64_t b, uint64_t* out) {
  const Plan& plan = *impl_->plans.at(i);
  const size_t nw = static_cast<size_t>(std::min<uint64_t>(kBlockWords, words_for(store_.rows()) - b * kBlockWords));
  if (plan.root.op == Op::False) {
    std::memset(out, 0, nw * 8);
    return nw;
  }
  if (plan.probe.node >= 0) {  // the few-ids path: the block's looked-up rows, one by one
    std::memset(out, 0, nw * 8);
    const uint64_t row0 = b * kBlockRows, end_row = row0 + nw * 64;
    const auto& rows = plan.probe.rows;
    for (auto it = std::lower_bound(rows.begin(), rows.end(), row0); it != rows.end() && *it < end_row; ++it)
      if (test_row(plan.root, store_, *it, nullptr)) set_bit(out, *it - row0);
    return nw;
  }
  if (!impl_->runner) {
    impl_->runner = std::make_unique<BlockRunner>(plan, store_, false);
    impl_->runner->decode_once(impl_->plans.size() > 1);
  }
  BlockRunner& r = *impl_->runner;
  r.use(plan);
  if (impl_->shared.slots) r.share(impl_->shared.slot[i].data(), impl_->shared.slots);
  r.run_block(b, out);
  return r.words();
}

}  // namespace seg::rt
