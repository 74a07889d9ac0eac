// The interpreter's runner: one plan over one block at a time on selection bitmaps. Each node
// maps an input selection (64-bit words, one block of 65536 rows) to the subset that matches:
// `and` narrows one buffer in place and stops when it empties, `or` runs each child only on
// rows not yet matched, leaves skip words with nothing selected and whole blocks their zone
// map decides. The structure and the value tests are here and in block_runner.cpp; each
// column form's tests have a file: eval_tags.cpp (set columns), eval_sliced.cpp (byte-sliced
// and packed), eval_planes.cpp (bit planes), eval_runs.cpp (arithmetic runs).
#pragma once
#include <cassert>
#include <cstdint>
#include <vector>

#include "runtime/exec/evaluate.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/exec/word_loops.hpp"

namespace seg::rt::detail {

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

  // The structure (block_runner.cpp): a node with its statistics when explaining, a shared
  // test's result for the block, and / or / not / nulls and the value tests' dispatch.
  bool run(const PlanNode& n, const uint64_t* in, uint64_t* out);
  bool shared(const PlanNode& n, size_t s, const uint64_t* in, uint64_t* out);

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

  bool dispatch(const PlanNode& n, const uint64_t* in, uint64_t* out);
  int zone_decides(const PlanNode& n, const Column& c) const;  // -1 no row, +1 every non-null row, 0 read
  bool fused(const PlanNode& n, const uint64_t* in, uint64_t* out);
  bool compare(const PlanNode& n, const uint64_t* in, uint64_t* out);  // a value test, by its column's form
  bool frequent(const PlanNode& n, const Column& c, bool others, const uint64_t* in, uint64_t* out, const uint64_t* valid);

  // Set columns (eval_tags.cpp).
  void gather_tags(const PlanNode& n, uint64_t* acc);
  const uint16_t* bucketed_rows(const uint8_t* p, uint32_t card);
  template <SparseInto M>
  uint64_t sparse_words(const uint8_t* p, uint64_t* out);
  bool and_container(const Column& c, const Container& k, const uint64_t* in, uint64_t* out, bool negate, uint64_t* one);
  bool tag_any(const PlanNode& n, const uint64_t* in, uint64_t* out, bool none);
  bool tag_all(const PlanNode& n, const uint64_t* in, uint64_t* out);

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

  // Arithmetic runs (eval_runs.cpp).
  bool compare_runs(const PlanNode& n, const Column& c, const uint64_t* in, uint64_t* out, const uint64_t* valid);

  // Byte slices and packed slices (eval_sliced.cpp; unpacked_block below).
  bool compare_sliced(const PlanNode& n, const Column& c, const uint64_t* in, uint64_t* out, const uint64_t* valid);
  bool sliced_block(const PlanNode& n, const Column& c, const uint64_t* in, uint64_t* out, const uint64_t* valid,
                    bool* tied = nullptr);
  template <bool Packed, class Src>
  bool sliced_tests(const PlanNode& n, const Column& c, const Src& src, uint64_t stride, const kernel::SliceTail& tail,
                    const uint64_t* in, uint64_t* out, const uint64_t* valid, bool* tied = nullptr);

  // Bit planes (eval_planes.cpp).
  bool compare_planes(const PlanNode& n, const Column& c, const uint64_t* in, uint64_t* out, const uint64_t* valid);
  const uint8_t* plane_block(const Column& c);

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
  const uint8_t* unpacked_block(const Column& c);  // eval_sliced.cpp
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

}  // namespace seg::rt::detail
