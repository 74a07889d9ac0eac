// The interpreter's word loops: selection arithmetic (and, or, not over 64-row words), the
// list of selected words, and the loops that run a kernel over the selected (or every) word
// of a block, in AVX-512, AVX2 or plain code. Shared by the node kinds' files (block_runner.hpp).
#pragma once
#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "runtime/exec/kernels.hpp"
#include "runtime/exec/kernels_avx2.hpp"
#include "runtime/exec/kernels_avx512.hpp"
#include "runtime/exec/kernels_sliced.hpp"
#include "runtime/storage/bits.hpp"
#include "runtime/storage/store.hpp"

namespace seg::rt::detail {

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

}  // namespace seg::rt::detail
