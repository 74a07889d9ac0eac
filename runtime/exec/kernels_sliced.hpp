// Tests on byte-sliced columns (kSliced, runtime/storage/column.hpp). A range: 64 rows'
// first two bytes decide every row whose 16-bit prefix differs from both bounds'; only rows
// still equal to a bound read the next slice, which on values spread over their range is
// almost no word. So a 4-byte column costs about 2 bytes a row instead of 4, and a 3-byte
// one 2 instead of 3 (or 4 whole). A short `in` list the same way, value by value; and one
// row's offset put together, for the long lists that test rows one by one. Offsets whose bits
// end inside a byte keep those last bits as bit planes (a tail, decision 65), which the
// kernels read only for rows still equal to a bound after every byte slice.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "runtime/exec/kernels.hpp"
#include "runtime/exec/kernels_avx512.hpp"

namespace seg::rt::kernel {

// A sliced column's tail (ColumnMeta::slice_tail): the offsets' last `bits` bits, below the
// byte slices, as bit planes (most significant first) `stride` words apart, a bit for each
// byte of a slice. A kernel finds a word's tails from its pointer into the first slice: `p -
// base` is the position of its first row there, a multiple of 64 for a word of rows, anywhere
// for a packed word's run (decision 67).
struct SliceTail {
  const uint8_t* base = nullptr;
  const uint64_t* planes = nullptr;
  uint64_t stride = 0;
  unsigned bits = 0;
  // The 64 tails from `p`, plane by plane, into `out` (`bits` words).
  void at(const uint8_t* p, uint64_t* out) const {
    const uint64_t pos = static_cast<uint64_t>(p - base), sh = pos & 63;
    const uint64_t* w = planes + pos / 64;
    for (unsigned j = 0; j < bits; ++j, w += stride)
      out[j] = sh ? (w[0] >> sh) | (w[1] << (64 - sh)) : w[0];  // w[1]: the padding has a line past the last run
  }
};

// Per slice: the rows whose byte is above lo's / equal to it, below hi's / equal to it.
struct ByteCmp {
  uint64_t gt_lo, eq_lo, lt_hi, eq_hi;
};

// A word's tails (`w`: a word a plane, SliceTail::at) against the bounds' tails, as a byte
// compare of the same bits would answer: bit by bit from the top, a row leaves "equal" at its
// first bit that differs, above or below by that bit.
inline ByteCmp tail_cmp(const uint64_t* w, unsigned bits, uint8_t lo, uint8_t hi) {
  ByteCmp c{0, ~uint64_t{0}, 0, ~uint64_t{0}};
  for (unsigned j = 0; j < bits; ++j) {
    const uint64_t x = w[j];
    const uint64_t l = 0 - static_cast<uint64_t>((lo >> (bits - 1 - j)) & 1u);
    const uint64_t h = 0 - static_cast<uint64_t>((hi >> (bits - 1 - j)) & 1u);
    c.gt_lo |= c.eq_lo & x & ~l;
    c.eq_lo &= ~(x ^ l);
    c.lt_hi |= c.eq_hi & ~x & h;
    c.eq_hi &= ~(x ^ h);
  }
  return c;
}
// The rows of a word whose tail is `v`.
inline uint64_t tail_eq(const uint64_t* w, unsigned bits, uint8_t v) {
  uint64_t eq = ~uint64_t{0};
  for (unsigned j = 0; j < bits; ++j) eq &= ~(w[j] ^ (0 - static_cast<uint64_t>((v >> (bits - 1 - j)) & 1u)));
  return eq;
}

// A range [lo, hi] of offsets as bytes of the sliced form (offset << shift), first slice
// first, and its tails' bits when the column has a tail (then shift is 0 and the slices hold
// offset >> tail bits). A side that every value passes (lo = 0, hi = the column's largest
// offset) is off: rows equal to its byte would read further slices for nothing.
struct SlicedRange {
  uint64_t stride = 0;  // from a row's byte in one slice to its byte in the next
  unsigned slices = 0;
  bool has_lo = false, has_hi = false;
  uint8_t lo[8] = {}, hi[8] = {};
  SliceTail tail;
  uint8_t lo_tail = 0, hi_tail = 0;
  mutable bool tied = false;  // TailUse::Flag: a selected row was still equal to a bound after the slices
  // The first two slices as one 16-bit prefix (slice 0 the high byte): the bounds' prefixes,
  // and the prefixes strictly between them, in_lo..in_lo + in_span (SlicedRangeAvx2), when
  // there are any (`prefix_inside`).
  uint16_t lo16 = 0, hi16 = 0, in_lo = 0, in_span = 0;
  bool prefix_inside = false;
  // Both sides on and equal, tail too: a test of one value (SlicedEqAvx512).
  bool one_value() const {
    return has_lo && has_hi && lo_tail == hi_tail && std::memcmp(lo, hi, slices) == 0;
  }

  SlicedRange(uint64_t stride_, unsigned n, unsigned shift, uint64_t lo_off, uint64_t hi_off, uint64_t max_off,
              SliceTail tail_ = {})
      : stride(stride_), slices(n), tail(tail_) {
    // The plan clips bounds to the column's offsets; clipped again, a shifted bound cannot
    // carry past the slices.
    lo_off = lo_off < max_off ? lo_off : max_off;
    hi_off = hi_off < max_off ? hi_off : max_off;
    has_lo = lo_off > 0;
    has_hi = hi_off < max_off;
    uint64_t a = lo_off << shift, b = hi_off << shift;
    const uint64_t low = (uint64_t{1} << tail.bits) - 1;
    lo_tail = static_cast<uint8_t>(a & low), hi_tail = static_cast<uint8_t>(b & low);
    a >>= tail.bits, b >>= tail.bits;
    for (unsigned k = 0; k < n; ++k) {
      lo[k] = static_cast<uint8_t>(a >> (8 * (n - 1 - k)));
      hi[k] = static_cast<uint8_t>(b >> (8 * (n - 1 - k)));
    }
    lo16 = static_cast<uint16_t>(lo[0] << 8 | lo[1]);
    hi16 = static_cast<uint16_t>(hi[0] << 8 | hi[1]);
    const uint32_t first = has_lo ? lo16 + 1u : 0u, last = has_hi ? hi16 - 1u : 0xFFFFu;  // hi16 - 1 wraps at 0: empty
    prefix_inside = has_hi ? hi16 > 0 && first <= last : first <= last;
    in_lo = static_cast<uint16_t>(first);
    in_span = static_cast<uint16_t>(last - first);
  }
};

inline ByteCmp byte_cmp_scalar(const uint8_t* b, uint8_t lo, uint8_t hi) {
  ByteCmp c{0, 0, 0, 0};
  for (int i = 0; i < 64; ++i) {
    uint64_t bit = uint64_t{1} << i;
    c.gt_lo |= b[i] > lo ? bit : 0;
    c.eq_lo |= b[i] == lo ? bit : 0;
    c.lt_hi |= b[i] < hi ? bit : 0;
    c.eq_hi |= b[i] == hi ? bit : 0;
  }
  return c;
}

#ifdef SEG_SSE2
inline ByteCmp byte_cmp_sse(const uint8_t* b, uint8_t lo, uint8_t hi) {
  const __m128i l = _mm_set1_epi8(static_cast<char>(lo)), h = _mm_set1_epi8(static_cast<char>(hi));
  ByteCmp c{0, 0, 0, 0};
  for (int k = 0; k < 4; ++k) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16 * k));
    uint64_t eql = mask16(_mm_cmpeq_epi8(x, l)), eqh = mask16(_mm_cmpeq_epi8(x, h));
    uint64_t gel = mask16(_mm_cmpeq_epi8(_mm_max_epu8(x, l), x));  // x >= lo, unsigned
    uint64_t leh = mask16(_mm_cmpeq_epi8(_mm_min_epu8(x, h), x));  // x <= hi
    c.gt_lo |= (gel & ~eql) << (16 * k);
    c.eq_lo |= eql << (16 * k);
    c.lt_hi |= (leh & ~eqh) << (16 * k);
    c.eq_hi |= eqh << (16 * k);
  }
  return c;
}
#endif

// The rows of a word (`p`: its 64 bytes in the first slice) in the range. The first two
// slices are always compared (a sliced column has at least two): whether a word needs its
// second is a coin toss the branch predictor loses, and the second slice's line is on its
// way anyway (the hardware prefetcher follows the stream); further slices only while a row of
// `sel` is undecided. Rows outside `sel` may come out either way.
struct RangeState {
  uint64_t eq_lo, eq_hi, above, below;
  void step(const ByteCmp& c) {
    above |= eq_lo & c.gt_lo;
    eq_lo &= c.eq_lo;
    below |= eq_hi & c.lt_hi;
    eq_hi &= c.eq_hi;
  }
  uint64_t result() const { return (above | eq_lo) & (below | eq_hi); }
};
inline RangeState range_start(const SlicedRange& r) {
  return {r.has_lo ? ~uint64_t{0} : 0, r.has_hi ? ~uint64_t{0} : 0, r.has_lo ? 0 : ~uint64_t{0},
          r.has_hi ? 0 : ~uint64_t{0}};
}

// The tail's step, for rows of `sel` still equal to a bound after the byte slices (`p0`: the
// word in the first slice). The compare itself is out of line and cold: it runs for almost no
// word, and inlined it made the kernels' word functions too large to inline in their loops.
[[gnu::noinline, gnu::cold]] inline ByteCmp tail_cmp_of(const SlicedRange& r, const uint8_t* p0) {
  uint64_t w[8];
  r.tail.at(p0, w);
  return tail_cmp(w, r.tail.bits, r.lo_tail, r.hi_tail);
}
inline void tail_step(RangeState& st, const SlicedRange& r, const uint8_t* p0, uint64_t sel) {
  if (r.tail.bits && ((st.eq_lo | st.eq_hi) & sel)) st.step(tail_cmp_of(r, p0));
}

// What a range kernel does with a column's tail, a template argument rather than a test in the
// word function (the test alone made every sliced range 6-9% slower; decision 65). None: no
// tail. Read: rows still equal to a bound after the slices are decided by the tail. Flag: they
// pass, and SlicedRange::tied records that some did; reading the tail in the word function,
// even out of line and never taken, made its loop 10-25% slower (registers kept across the
// call), so a block is run again with Read only when a word tied (decision 65).
enum class TailUse : uint8_t { None, Flag, Read };

template <TailUse T>
inline void tail_end(RangeState& st, const SlicedRange& r, const uint8_t* p0, uint64_t sel) {
  if constexpr (T == TailUse::Read) tail_step(st, r, p0, sel);
  if constexpr (T == TailUse::Flag)
    if ((st.eq_lo | st.eq_hi) & sel) r.tied = true;
}

template <TailUse T = TailUse::None, class Cmp>
inline uint64_t sliced_range_word(const SlicedRange& r, const uint8_t* p, uint64_t sel, Cmp&& cmp) {
  if (!sel) return 0;
  RangeState st = range_start(r);
  st.step(cmp(p, r.lo[0], r.hi[0]));
  st.step(cmp(p + r.stride, r.lo[1], r.hi[1]));
  p += 2 * r.stride;
  unsigned k = 2;
  for (; k < r.slices && ((st.eq_lo | st.eq_hi) & sel); ++k, p += r.stride) st.step(cmp(p, r.lo[k], r.hi[k]));
  tail_end<T>(st, r, p - k * r.stride, sel);  // back to the first slice
  return st.result();
}

// The same steps for the vector kernels: `Step::step(st, p, lo, hi)` compares one slice under
// its kernel's target (SlicedRangeAvx512, SlicedRangeAvx2), and this body, always inlined into
// their word(), runs under that target too.
template <TailUse T, class Step>
[[gnu::always_inline]] inline uint64_t range_steps(const SlicedRange& r, const uint8_t* p, uint64_t sel) {
  if (!sel) return 0;
  RangeState st = range_start(r);
  Step::step(st, p, r.lo[0], r.hi[0]);
  Step::step(st, p + r.stride, r.lo[1], r.hi[1]);
  p += 2 * r.stride;
  unsigned k = 2;
  for (; k < r.slices && ((st.eq_lo | st.eq_hi) & sel); ++k, p += r.stride) Step::step(st, p, r.lo[k], r.hi[k]);
  tail_end<T>(st, r, p - k * r.stride, sel);  // back to the first slice
  return st.result();
}


template <TailUse T = TailUse::None>
inline uint64_t sliced_range_bits(const SlicedRange& r, const uint8_t* p, uint64_t sel) {
#ifdef SEG_SSE2
  return sliced_range_word<T>(r, p, sel, byte_cmp_sse);
#else
  return sliced_range_word<T>(r, p, sel, byte_cmp_scalar);
#endif
}

#ifdef SEG_AVX512
// For words_avx512 (it passes the word's selection to kernels that take one). `Lo`, `Hi`:
// which bounds the range has (SlicedRange::has_lo, has_hi), so a one-sided range, the common
// kind, compares each byte once rather than twice: the shared pass runs in cache, where
// compares are the cost. Its word() is range_steps over its step() (a baseline kernel's
// function-pointer compare could not inline into a target function).
template <bool Lo, bool Hi, TailUse T = TailUse::None>
struct SlicedRangeAvx512 {
  static constexpr bool kTakesSelection = true;
  SEG_AVX512_FN static void step(RangeState& st, const uint8_t* p, uint8_t lo, uint8_t hi) {
    const __m512i x = _mm512_loadu_si512(p);
    if constexpr (Lo) {
      const __m512i l = _mm512_set1_epi8(static_cast<char>(lo));
      st.above |= st.eq_lo & _mm512_cmpgt_epu8_mask(x, l);
      st.eq_lo &= _mm512_cmpeq_epu8_mask(x, l);
    }
    if constexpr (Hi) {
      const __m512i h = _mm512_set1_epi8(static_cast<char>(hi));
      st.below |= st.eq_hi & _mm512_cmplt_epu8_mask(x, h);
      st.eq_hi &= _mm512_cmpeq_epu8_mask(x, h);
    }
  }
  SEG_AVX512_FN static uint64_t word(const uint8_t* p, uint64_t sel, const SlicedRange& r) {
    return range_steps<T, SlicedRangeAvx512>(r, p, sel);
  }
};

// SlicedRangeAvx512 with the first two slices as 16-bit prefixes, for a range with prefixes
// strictly between its bounds' (SlicedRange::prefix_inside), as SlicedPrefixAvx2 does: 32 rows
// a compare, and only a word with a row equal to a bound's prefix goes slice by slice (out of
// line). The prefixes are the slices' bytes widened in row order (slice 0 the high byte), so
// the two 32-row masks join by a shift. Byte by byte, a two-sided range on registered_at took
// 1.4x the AVX2 prefix kernel's time on a Zen 5 (0.81 against 0.57 ms at 10M).
template <bool Lo, bool Hi, TailUse T = TailUse::None>
struct SlicedPrefixAvx512 {
  static constexpr bool kTakesSelection = true;
  [[gnu::noinline]] SEG_AVX512_FN static uint64_t steps(const uint8_t* p, uint64_t sel, const SlicedRange& r) {
    return SlicedRangeAvx512<Lo, Hi, T>::word(p, sel, r);
  }
  // Rows [32 h, 32 h + 32) of the word: whether each prefix is inside, and whether any equals a bound's.
  SEG_AVX512_FN static uint32_t half(const uint8_t* p, uint64_t stride, const SlicedRange& r, uint32_t& tie) {
    const __m512i hi = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    const __m512i lo = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + stride)));
    const __m512i v = _mm512_or_si512(_mm512_slli_epi16(hi, 8), lo);
    if constexpr (Lo) tie |= _mm512_cmpeq_epi16_mask(v, _mm512_set1_epi16(static_cast<short>(r.lo16)));
    if constexpr (Hi) tie |= _mm512_cmpeq_epi16_mask(v, _mm512_set1_epi16(static_cast<short>(r.hi16)));
    if constexpr (Lo && Hi)
      return _mm512_cmple_epu16_mask(_mm512_sub_epi16(v, _mm512_set1_epi16(static_cast<short>(r.in_lo))),
                                     _mm512_set1_epi16(static_cast<short>(r.in_span)));
    else if constexpr (Lo) return _mm512_cmpge_epu16_mask(v, _mm512_set1_epi16(static_cast<short>(r.in_lo)));
    else if constexpr (Hi) return _mm512_cmple_epu16_mask(v, _mm512_set1_epi16(static_cast<short>(r.in_lo + r.in_span)));
    else return ~uint32_t{0};
  }
  SEG_AVX512_FN static inline uint64_t word(const uint8_t* p, uint64_t sel, const SlicedRange& r) {
    if (!sel) return 0;
    uint32_t tie = 0;
    const uint64_t in = half(p, r.stride, r, tie) | uint64_t{half(p + 32, r.stride, r, tie)} << 32;
    if (tie) [[unlikely]]
      return steps(p, sel, r);
    return in;
  }
};

// A range of one value (`deposit_total = 133`: lo = hi, both sides on): a row stays in while
// its every byte equals the value's, so a slice costs one compare, where the range kernel
// makes four (above and equal to lo, below and equal to hi) for the same answer.
template <TailUse T = TailUse::None>
struct SlicedEqAvx512 {
  static constexpr bool kTakesSelection = true;
  SEG_AVX512_FN static uint64_t eq(const uint8_t* p, uint8_t v) {
    return _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(p), _mm512_set1_epi8(static_cast<char>(v)));
  }
  SEG_AVX512_FN static uint64_t word(const uint8_t* p, uint64_t sel, const SlicedRange& r) {
    if (!sel) return 0;
    // Both slices' differences ORed, then tested for zero: one mask from two loads. Written
    // as two compares ANDed, GCC made the second a compare masked by the first, with its
    // load folded in, and on this processor (AMD Zen 4) that load waited for the first
    // compare: the slices' lines were fetched one after the other, 1.8x the range kernel's
    // time on registered_at.
    const __m512i d0 = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_set1_epi8(static_cast<char>(r.lo[0])));
    const __m512i d = _mm512_ternarylogic_epi64(d0, _mm512_loadu_si512(p + r.stride),
                                                _mm512_set1_epi8(static_cast<char>(r.lo[1])), 0xF6);  // a | (b ^ c)
    uint64_t m = _mm512_testn_epi8_mask(d, d);
    p += 2 * r.stride;
    unsigned k = 2;
    for (; k < r.slices && (m & sel); ++k, p += r.stride) m &= eq(p, r.lo[k]);
    RangeState st{m, m, 0, 0};  // equal to both bounds so far, above and below neither
    tail_end<T>(st, r, p - k * r.stride, sel);
    return st.result();
  }
};
#endif

// A short `in` list (up to 8 offsets) as bytes of the sliced form, value by value, and their
// tails' bits when the column has a tail.
struct SlicedIn {
  uint64_t stride = 0;
  unsigned slices = 0;
  size_t n = 0;
  uint8_t v[8][8] = {};  // [value][slice]
  SliceTail tail;
  uint8_t tails[8] = {};

  SlicedIn(uint64_t stride_, unsigned slices_, unsigned shift, const uint64_t* offsets, size_t count,
           SliceTail tail_ = {})
      : stride(stride_), slices(slices_), n(count < 8 ? count : 8), tail(tail_) {
    for (size_t j = 0; j < n; ++j) {
      const uint64_t y = offsets[j] << shift;
      tails[j] = static_cast<uint8_t>(y & ((uint64_t{1} << tail.bits) - 1));
      for (unsigned k = 0; k < slices; ++k) v[j][k] = static_cast<uint8_t>((y >> tail.bits) >> (8 * (slices - 1 - k)));
    }
  }
};

// The candidates left after the byte slices (`alive`, per value) narrowed by the tail (out of
// line and cold, as tail_cmp_of).
[[gnu::noinline, gnu::cold]] inline uint64_t tail_in_of(const SlicedIn& q, const uint8_t* p0, uint64_t* alive) {
  uint64_t w[8];
  q.tail.at(p0, w);
  uint64_t any = 0;
  for (size_t j = 0; j < q.n; ++j) any |= alive[j] &= alive[j] ? tail_eq(w, q.tail.bits, q.tails[j]) : 0;
  return any;
}
inline uint64_t tail_in(const SlicedIn& q, const uint8_t* p0, uint64_t* alive, uint64_t any) {
  return q.tail.bits && any ? tail_in_of(q, p0, alive) : any;
}

inline uint64_t byte_eq_scalar(const uint8_t* b, uint8_t x) {
  uint64_t m = 0;
  for (int i = 0; i < 64; ++i) m |= uint64_t{b[i] == x} << i;
  return m;
}
#ifdef SEG_SSE2
inline uint64_t byte_eq_sse(const uint8_t* b, uint8_t x) {
  const __m128i c = _mm_set1_epi8(static_cast<char>(x));
  uint64_t m = 0;
  for (int k = 0; k < 4; ++k)
    m |= mask16(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16 * k)), c)) << (16 * k);
  return m;
}
#endif

// The rows of a word equal to one of the values: each value's candidates narrow slice by
// slice, the first two always (as ranges do), further ones while a selected row is still a
// candidate of some value.
template <class Eq>
inline uint64_t sliced_in_word(const SlicedIn& q, const uint8_t* p, uint64_t sel, Eq&& eq) {
  if (!sel) return 0;
  const uint8_t* p0 = p;
  uint64_t alive[8], any = 0;
  for (size_t j = 0; j < q.n; ++j) any |= alive[j] = sel & eq(p, q.v[j][0]) & eq(p + q.stride, q.v[j][1]);
  p += 2 * q.stride;
  for (unsigned k = 2; k < q.slices && any; ++k, p += q.stride) {
    any = 0;
    for (size_t j = 0; j < q.n; ++j) any |= alive[j] &= alive[j] ? eq(p, q.v[j][k]) : 0;
  }
  return tail_in(q, p0, alive, any);
}

inline uint64_t sliced_in_bits(const SlicedIn& q, const uint8_t* p, uint64_t sel) {
#ifdef SEG_SSE2
  return sliced_in_word(q, p, sel, byte_eq_sse);
#else
  return sliced_in_word(q, p, sel, byte_eq_scalar);
#endif
}

#ifdef SEG_AVX512
// sliced_in_word with AVX-512's byte compare (the loop again, for the target).
struct SlicedInAvx512 {
  static constexpr bool kTakesSelection = true;
  SEG_AVX512_FN static uint64_t word(const uint8_t* p, uint64_t sel, const SlicedIn& q);
};
SEG_AVX512_FN inline uint64_t SlicedInAvx512::word(const uint8_t* p, uint64_t sel, const SlicedIn& q) {
  if (!sel) return 0;
  const uint8_t* p0 = p;
  uint64_t alive[8], any = 0;
  const __m512i x0 = _mm512_loadu_si512(p), x1 = _mm512_loadu_si512(p + q.stride);
  for (size_t j = 0; j < q.n; ++j)
    any |= alive[j] = sel & _mm512_cmpeq_epi8_mask(x0, _mm512_set1_epi8(static_cast<char>(q.v[j][0]))) &
                      _mm512_cmpeq_epi8_mask(x1, _mm512_set1_epi8(static_cast<char>(q.v[j][1])));
  p += 2 * q.stride;
  for (unsigned k = 2; k < q.slices && any; ++k, p += q.stride) {
    __m512i x = _mm512_loadu_si512(p);
    any = 0;
    for (size_t j = 0; j < q.n; ++j)
      any |= alive[j] &= _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(static_cast<char>(q.v[j][k])));
  }
  return tail_in(q, p0, alive, any);
}
#endif

// Packed slices (decision 59): a word's rows that are not the frequent value's are consecutive
// in the slices from `p`; a kernel tests them there with the selection squeezed to them
// (pext), and its answer is spread back to their rows (pdep). The frequent value's rows
// (`frequent_hits`) pass when the value does.
struct PackedWord {
  const uint8_t* p;
  uint64_t others;         // the word's rows in the slices
  uint64_t frequent_hits;  // the frequent value's rows, if the test passes the value; else 0
};

// pext and pdep for the baseline (no BMI2): bit by bit over the mask.
inline uint64_t pext_scalar(uint64_t x, uint64_t mask) {
  uint64_t r = 0;
  for (uint64_t b = 1; mask; mask &= mask - 1, b <<= 1) r |= x & mask & (~mask + 1) ? b : 0;
  return r;
}
inline uint64_t pdep_scalar(uint64_t x, uint64_t mask) {
  uint64_t r = 0;
  for (uint64_t b = 1; mask; mask &= mask - 1, b <<= 1) r |= x & b ? mask & (~mask + 1) : 0;
  return r;
}

#ifdef SEG_AVX512
// The instructions, where the processor has BMI2 (kernel::bmi2()): out of line, as a baseline
// function cannot inline a target one, but one call costs a few cycles where the loops above
// cost about a hundred a word.
__attribute__((target("bmi2"), noinline)) inline uint64_t spread_bmi2(uint64_t x, uint64_t others) {
  return _pdep_u64(x, others);
}
__attribute__((target("bmi2"), noinline)) inline uint64_t squeeze_bmi2(uint64_t sel, uint64_t others) {
  return _pext_u64(sel, others);
}
#endif

// A baseline word kernel `fn(p, sel)` on a packed word; `hw`: kernel::bmi2(), read once a block.
template <class Fn>
inline uint64_t packed_word(const PackedWord& w, uint64_t sel, Fn&& fn, bool hw) {
#ifdef SEG_AVX512
  if (hw) return spread_bmi2(fn(w.p, squeeze_bmi2(sel, w.others)), w.others) | w.frequent_hits;
#else
  (void)hw;
#endif
  return pdep_scalar(fn(w.p, pext_scalar(sel, w.others)), w.others) | w.frequent_hits;
}

#ifdef SEG_AVX512
// An AVX-512 sliced kernel (SlicedRangeAvx512, SlicedInAvx512) on packed words.
template <class Inner>
struct PackedAvx512 {
  static constexpr bool kTakesSelection = true;
  template <class... A>
  SEG_AVX512_FN static uint64_t word(PackedWord w, uint64_t sel, const A&... args) {
    return _pdep_u64(Inner::word(w.p, _pext_u64(sel, w.others), args...), w.others) | w.frequent_hits;
  }
};

// A packed slice's word back as 64 bytes at `out`: the word's other rows (`others`) take the
// next bytes from `p`, the frequent value's rows `fill` (its byte in this slice). Eight rows
// at a time: their bits of `others` become a byte mask (pdep), and pdep spreads the next 8
// bytes of `p` over it. Reads up to 8 bytes past the word's run (the slices are padded by a line).
SEG_AVX512_FN inline void unpack_word(const uint8_t* p, uint64_t others, uint8_t fill, uint8_t* out) {
  const uint64_t fills = 0x0101010101010101ull * fill;
  for (int g = 0; g < 8; ++g, others >>= 8) {
    const uint64_t rows = _pdep_u64(others & 0xFF, 0x0101010101010101ull) * 0xFF;
    uint64_t x;
    std::memcpy(&x, p, 8);
    x = _pdep_u64(x, rows) | (fills & ~rows);
    std::memcpy(out + 8 * g, &x, 8);
    p += __builtin_popcountll(others & 0xFF);
  }
}
// `words` words of a packed slice `s` from their starts and frequent-value bitmap, at `out`.
SEG_AVX512_FN inline void unpack_words(const uint8_t* s, const uint32_t* start, const uint64_t* frequent, size_t words,
                                       uint8_t fill, uint8_t* out) {
  for (size_t w = 0; w < words; ++w) unpack_word(s + start[w], ~frequent[w], fill, out + 64 * w);
}
// The tails of `words` packed words (`t`, over the slices from their first: t.base) as whole
// words, `stride` words a plane, at `out`: each word's run spread over its other rows (pdep),
// the frequent value's rows given the last bits of `fill` (its offset).
SEG_AVX512_FN inline void unpack_tail_words(const SliceTail& t, const uint32_t* start, const uint64_t* frequent,
                                            size_t words, uint64_t fill, uint64_t* out, size_t stride) {
  uint64_t bits[8];
  for (size_t w = 0; w < words; ++w) {
    t.at(t.base + start[w], bits);
    for (unsigned j = 0; j < t.bits; ++j) {
      const uint64_t f = 0 - ((fill >> (t.bits - 1 - j)) & 1);
      out[j * stride + w] = _pdep_u64(bits[j], ~frequent[w]) | (f & frequent[w]);
    }
  }
}
#endif

// One row's offset from its slices (`p`: its byte in the first slice).
inline uint64_t sliced_offset(const uint8_t* p, uint64_t stride, unsigned slices, unsigned shift) {
  uint64_t x = 0;
  for (unsigned k = 0; k < slices; ++k, p += stride) x = x << 8 | *p;
  return x >> shift;
}

}  // namespace seg::rt::kernel
