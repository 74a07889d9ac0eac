// AVX2 versions of the kernels, for processors with AVX2 and BMI2 but no AVX-512
// (kernel::avx2()): this project's CI machine, an AMD EPYC whose AVX-512 the hypervisor hides,
// and most x86-64 servers before 2017. Byte-slice ranges and short lists (the first two slices
// as one 16-bit prefix where that decides most rows, decision 88; else slice by slice, two
// 32-byte compares a word's slice where SSE2 takes four), bit-plane ranges and lists four words
// a step, 1-byte ranges and lists, and the list of selected words. Each function carries the
// target attribute itself: the rest of the build stays at the x86-64 baseline (decision 87).
#pragma once
#include <cstdint>
#include <cstring>

#include "runtime/exec/kernels_sliced.hpp"

#ifdef SEG_AVX512  // x86-64 with GCC's target attributes (kernels_avx512.hpp)
#define SEG_AVX2_FN __attribute__((target("avx2,bmi2")))

namespace seg::rt::kernel {

// Two 32-byte compare results as one 64-bit mask (no lambdas here: a lambda does not take its
// enclosing function's target).
SEG_AVX2_FN inline uint64_t mask64_avx2(__m256i x, __m256i y) {
  return static_cast<uint32_t>(_mm256_movemask_epi8(x)) |
         static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(y))) << 32;
}
SEG_AVX2_FN inline __m256i load_avx2(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// A word's first two slices (`p`, `p + stride`) as 16-bit prefixes, slice 0 the high byte, in
// four vectors of 16 rows: unpacklo/hi pair the slices within each 128-bit lane, so that
// packs_epi16 of (v[0], v[1]) and of (v[2], v[3]) puts compare results back in row order.
SEG_AVX2_FN inline void prefixes16(const uint8_t* p, uint64_t stride, __m256i* v) {
  const __m256i a0 = load_avx2(p), a1 = load_avx2(p + 32), b0 = load_avx2(p + stride), b1 = load_avx2(p + stride + 32);
  v[0] = _mm256_unpacklo_epi8(b0, a0), v[1] = _mm256_unpackhi_epi8(b0, a0);
  v[2] = _mm256_unpacklo_epi8(b1, a1), v[3] = _mm256_unpackhi_epi8(b1, a1);
}

// SlicedRangeAvx512's steps in 32-byte halves. Unsigned compares from min/max and equality:
// x <= lo where min(x, lo) == x, x >= hi where max(x, hi) == x.
template <bool Lo, bool Hi, TailUse T = TailUse::None>
struct SlicedRangeAvx2 {
  static constexpr bool kTakesSelection = true;
  SEG_AVX2_FN static void step(RangeState& st, const uint8_t* p, uint8_t lo, uint8_t hi) {
    const __m256i a = load_avx2(p), b = load_avx2(p + 32);
    if constexpr (Lo) {
      const __m256i l = _mm256_set1_epi8(static_cast<char>(lo));
      const uint64_t at_most = mask64_avx2(_mm256_cmpeq_epi8(_mm256_min_epu8(a, l), a), _mm256_cmpeq_epi8(_mm256_min_epu8(b, l), b));
      const uint64_t eq = mask64_avx2(_mm256_cmpeq_epi8(a, l), _mm256_cmpeq_epi8(b, l));
      st.above |= st.eq_lo & ~at_most;
      st.eq_lo &= eq;
    }
    if constexpr (Hi) {
      const __m256i h = _mm256_set1_epi8(static_cast<char>(hi));
      const uint64_t at_least = mask64_avx2(_mm256_cmpeq_epi8(_mm256_max_epu8(a, h), a), _mm256_cmpeq_epi8(_mm256_max_epu8(b, h), b));
      const uint64_t eq = mask64_avx2(_mm256_cmpeq_epi8(a, h), _mm256_cmpeq_epi8(b, h));
      st.below |= st.eq_hi & ~at_least;
      st.eq_hi &= eq;
    }
  }
  SEG_AVX2_FN static uint64_t word(const uint8_t* p, uint64_t sel, const SlicedRange& r) {
    return range_steps<T, SlicedRangeAvx2>(r, p, sel);
  }
};

// The same range with the first two slices as 16-bit prefixes, 16 rows a compare, for a range
// with prefixes strictly between its bounds' (SlicedRange::prefix_inside; the evaluator picks
// SlicedRangeAvx2 otherwise): a row whose prefix is strictly between passes, one equal to
// neither bound's fails, and only a word with a row equal to a bound's prefix (64 rows of
// values spread over 16 bits or more: under one word in a hundred) takes SlicedRangeAvx2's
// slice-by-slice steps, out of line. A byte at a time, the first two slices took about 70
// instructions a word, twice this, and the loop was bound by them, not by its reads.
template <bool Lo, bool Hi, TailUse T = TailUse::None>
struct SlicedPrefixAvx2 {
  static constexpr bool kTakesSelection = true;
  [[gnu::noinline]] SEG_AVX2_FN static uint64_t steps(const uint8_t* p, uint64_t sel, const SlicedRange& r) {
    return SlicedRangeAvx2<Lo, Hi, T>::word(p, sel, r);
  }
  SEG_AVX2_FN static inline uint64_t word(const uint8_t* p, uint64_t sel, const SlicedRange& r) {
    if (!sel) return 0;
    __m256i v[4];
    prefixes16(p, r.stride, v);
    const __m256i first = _mm256_set1_epi16(static_cast<short>(r.in_lo));
    const __m256i span = _mm256_set1_epi16(static_cast<short>(r.in_span));
    const __m256i last = _mm256_set1_epi16(static_cast<short>(r.in_lo + r.in_span));
    const __m256i l = _mm256_set1_epi16(static_cast<short>(r.lo16)), h = _mm256_set1_epi16(static_cast<short>(r.hi16));
    __m256i in[4], tie = _mm256_setzero_si256();
    for (int i = 0; i < 4; ++i) {
      if constexpr (Lo && Hi) {
        const __m256i d = _mm256_sub_epi16(v[i], first);
        in[i] = _mm256_cmpeq_epi16(_mm256_min_epu16(d, span), d);
      } else if constexpr (Lo) {
        in[i] = _mm256_cmpeq_epi16(_mm256_max_epu16(v[i], first), v[i]);
      } else {
        in[i] = _mm256_cmpeq_epi16(_mm256_min_epu16(v[i], last), v[i]);
      }
      if constexpr (Lo) tie = _mm256_or_si256(tie, _mm256_cmpeq_epi16(v[i], l));
      if constexpr (Hi) tie = _mm256_or_si256(tie, _mm256_cmpeq_epi16(v[i], h));
    }
    if (!_mm256_testz_si256(tie, tie)) [[unlikely]]
      return steps(p, sel, r);
    return mask64_avx2(_mm256_packs_epi16(in[0], in[1]), _mm256_packs_epi16(in[2], in[3]));
  }
};

// A short `in` list on byte slices, the first two slices as 16-bit prefixes as SlicedPrefixAvx2
// does: a row whose prefix is none of the values' fails, and only a word with a row whose
// prefix is one of them (rare for a few values of a column spread over 16 bits or more) is
// tested slice by slice (sliced_in_word, out of line). The SSE2 loop compared each value with
// each of the first two slices, 32 compares and movemasks a word for three values.
struct SlicedInAvx2 {
  static constexpr bool kTakesSelection = true;
  [[gnu::noinline]] static uint64_t steps(const uint8_t* p, uint64_t sel, const SlicedIn& q) {
    return sliced_in_bits(q, p, sel);
  }
  SEG_AVX2_FN static inline uint64_t word(const uint8_t* p, uint64_t sel, const SlicedIn& q) {
    if (!sel) return 0;
    __m256i v[4];
    prefixes16(p, q.stride, v);
    __m256i hit = _mm256_setzero_si256();
    for (size_t j = 0; j < q.n; ++j) {
      const __m256i x = _mm256_set1_epi16(static_cast<short>(q.v[j][0] << 8 | q.v[j][1]));
      hit = _mm256_or_si256(hit, _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi16(v[0], x), _mm256_cmpeq_epi16(v[1], x)),
                                                 _mm256_or_si256(_mm256_cmpeq_epi16(v[2], x), _mm256_cmpeq_epi16(v[3], x))));
    }
    if (_mm256_testz_si256(hit, hit)) [[likely]]
      return 0;
    return steps(p, sel, q);
  }
};

// A one-value range: both slices' differences ORed and tested for zero, one mask from two loads.
template <TailUse T = TailUse::None>
struct SlicedEqAvx2 {
  static constexpr bool kTakesSelection = true;
  SEG_AVX2_FN static uint64_t eq(const uint8_t* p, uint8_t v) {
    const __m256i x = _mm256_set1_epi8(static_cast<char>(v));
    return mask64_avx2(_mm256_cmpeq_epi8(load_avx2(p), x), _mm256_cmpeq_epi8(load_avx2(p + 32), x));
  }
  // The rows among 32 from p whose first two slices are l0 and l1.
  SEG_AVX2_FN static __m256i both(const uint8_t* p, uint64_t stride, __m256i l0, __m256i l1) {
    const __m256i d = _mm256_or_si256(_mm256_xor_si256(load_avx2(p), l0), _mm256_xor_si256(load_avx2(p + stride), l1));
    return _mm256_cmpeq_epi8(d, _mm256_setzero_si256());
  }
  SEG_AVX2_FN static uint64_t word(const uint8_t* p, uint64_t sel, const SlicedRange& r) {
    if (!sel) return 0;
    const __m256i l0 = _mm256_set1_epi8(static_cast<char>(r.lo[0])), l1 = _mm256_set1_epi8(static_cast<char>(r.lo[1]));
    uint64_t m = mask64_avx2(both(p, r.stride, l0, l1), both(p + 32, r.stride, l0, l1));
    const uint8_t* q = p + 2 * r.stride;
    unsigned k = 2;
    for (; k < r.slices && (m & sel); ++k, q += r.stride) m &= eq(q, r.lo[k]);
    RangeState st{m, m, 0, 0};  // equal to both bounds so far, above and below neither
    tail_end<T>(st, r, q - k * r.stride, sel);
    return st.result();
  }
};

// 1-byte offsets (spot, and the id-less small columns): lo <= v <= lo + span as (v - lo) <= span
// unsigned, two 32-byte compares a word, as RangeAvx512 does in one.
struct Range1Avx2 {
  SEG_AVX2_FN static uint64_t word(const uint8_t* v, uint64_t /*sel*/, uint8_t lo, uint8_t span) {
    const __m256i l = _mm256_set1_epi8(static_cast<char>(lo)), s = _mm256_set1_epi8(static_cast<char>(span));
    const __m256i a = _mm256_sub_epi8(load_avx2(v), l), b = _mm256_sub_epi8(load_avx2(v + 32), l);
    return mask64_avx2(_mm256_cmpeq_epi8(_mm256_min_epu8(a, s), a), _mm256_cmpeq_epi8(_mm256_min_epu8(b, s), b));
  }
};
// 1-byte offsets equal to one of N values (a short `in` list, N <= kSmallIn), each broadcast
// once before a block's words and the loop over them unrolled (broadcast again each word, as
// AVX-512's InSmallAvx512 does, `spot in (4 values)` took 2.2x a range's time).
template <size_t N>
struct InBytesAvx2 {
  __m256i v[N];
  SEG_AVX2_FN explicit InBytesAvx2(const uint8_t* vals) {
    for (size_t j = 0; j < N; ++j) v[j] = _mm256_set1_epi8(static_cast<char>(vals[j]));
  }
  SEG_AVX2_FN static uint64_t word(const uint8_t* p, uint64_t /*sel*/, const InBytesAvx2& s) {
    const __m256i a = load_avx2(p), b = load_avx2(p + 32);
    __m256i ea = _mm256_cmpeq_epi8(a, s.v[0]), eb = _mm256_cmpeq_epi8(b, s.v[0]);
    for (size_t j = 1; j < N; ++j) {
      ea = _mm256_or_si256(ea, _mm256_cmpeq_epi8(a, s.v[j]));
      eb = _mm256_or_si256(eb, _mm256_cmpeq_epi8(b, s.v[j]));
    }
    return mask64_avx2(ea, eb);
  }
};

// selected_words_scalar (kernels.hpp) four words a step: their non-zero mask picks four
// 16-bit word numbers from a table, the step's first word added to each, stored whole; the
// count moves by the mask's bits. Writes up to 3 entries past the last it returns (kIdxSlack).
// Every test after a rule's first lists its selection's words, and the shared pass does for
// each of its plans' tests: the word-by-word loop was 3-8% of their time here.
SEG_AVX2_FN inline size_t selected_words_avx2(const uint64_t* sel, size_t nw, uint16_t* idx) {
  // kPick[m]: the positions of m's set bits, 16 bits each, first in the low lane.
  static constexpr uint64_t kPick[16] = {
      0x0000000000000000, 0x0000000000000000, 0x0000000000000001, 0x0000000000010000,
      0x0000000000000002, 0x0000000000020000, 0x0000000000020001, 0x0000000200010000,
      0x0000000000000003, 0x0000000000030000, 0x0000000000030001, 0x0000000300010000,
      0x0000000000030002, 0x0000000300020000, 0x0000000300020001, 0x0003000200010000};
  const __m256i zero = _mm256_setzero_si256();
  size_t k = 0, w = 0;
  for (; w + 4 <= nw; w += 4) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sel + w));
    const unsigned m = ~static_cast<unsigned>(_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(x, zero)))) & 0xFu;
    const uint64_t at = kPick[m] + w * 0x0001000100010001ull;
    std::memcpy(idx + k, &at, 8);
    k += static_cast<size_t>(__builtin_popcount(m));
  }
  for (; w < nw; ++w) {
    idx[k] = static_cast<uint16_t>(w);
    k += sel[w] != 0;
  }
  return k;
}

// A test on bit planes four words at a time, over every word of a block in order (a rule's
// first tests, where most words are selected): 256 rows a step, `in` may be `out`. `Test::of(x)`
// gives four words' matches from their planes `x` (under AVX2), `Test::word(p)` one word's (the
// block's last words, fewer than four).
template <unsigned Planes, class Test>
[[gnu::always_inline]] SEG_AVX2_FN inline bool planes_avx2(const uint64_t* p, uint64_t stride, const Test& t,
                                                           const uint64_t* in, uint64_t* out, const uint64_t* valid,
                                                           bool negated, size_t nw) {
  const __m256i flip = negated ? _mm256_set1_epi8(-1) : _mm256_setzero_si256();
  __m256i any = _mm256_setzero_si256();
  size_t w = 0;
  for (; w + 4 <= nw; w += 4) {
    __m256i x[Planes];
    for (unsigned k = 0; k < Planes; ++k) x[k] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + k * stride + w));
    __m256i m = _mm256_xor_si256(t.of(x), flip);
    if (valid) m = _mm256_and_si256(m, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(valid + w)));
    const __m256i r = _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + w)), m);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + w), r);
    any = _mm256_or_si256(any, r);
  }
  uint64_t rest = 0;
  for (; w < nw; ++w) {
    uint64_t m = t.word(p + w);
    if (negated) m = ~m;
    if (valid) m &= valid[w];
    rest |= out[w] = in[w] & m;
  }
  return rest != 0 || !_mm256_testz_si256(any, any);
}

// planes_range (kernels.hpp) on four words: a row leaves "equal" to a bound at its first plane
// bit that differs, above or below by that bit; a side every offset passes is left out.
template <unsigned Planes, bool Lo, bool Hi>
struct PlanesRangeAvx2 {
  __m256i l[Planes], h[Planes];
  uint64_t stride;
  uint8_t lo, hi;
  SEG_AVX2_FN PlanesRangeAvx2(uint64_t stride_, uint8_t lo_, uint8_t hi_) : stride(stride_), lo(lo_), hi(hi_) {
    for (unsigned k = 0; k < Planes; ++k) {
      l[k] = _mm256_set1_epi64x(-static_cast<long long>((lo >> (Planes - 1 - k)) & 1));
      h[k] = _mm256_set1_epi64x(-static_cast<long long>((hi >> (Planes - 1 - k)) & 1));
    }
  }
  SEG_AVX2_FN __m256i of(const __m256i* x) const {
    const __m256i ones = _mm256_set1_epi8(-1);
    __m256i above = _mm256_setzero_si256(), eq_lo = ones, below = _mm256_setzero_si256(), eq_hi = ones;
    for (unsigned k = 0; k < Planes; ++k) {
      if constexpr (Lo) {
        above = _mm256_or_si256(above, _mm256_andnot_si256(l[k], _mm256_and_si256(eq_lo, x[k])));
        eq_lo = _mm256_andnot_si256(_mm256_xor_si256(x[k], l[k]), eq_lo);
      }
      if constexpr (Hi) {
        below = _mm256_or_si256(below, _mm256_and_si256(h[k], _mm256_andnot_si256(x[k], eq_hi)));
        eq_hi = _mm256_andnot_si256(_mm256_xor_si256(x[k], h[k]), eq_hi);
      }
    }
    return _mm256_and_si256(Lo ? _mm256_or_si256(above, eq_lo) : ones, Hi ? _mm256_or_si256(below, eq_hi) : ones);
  }
  uint64_t word(const uint64_t* p) const { return planes_range<Planes, Lo, Hi>(p, stride, lo, hi); }
};
template <unsigned Planes, bool Lo, bool Hi>
SEG_AVX2_FN inline bool planes_range_avx2(const uint64_t* p, uint64_t stride, uint8_t lo, uint8_t hi, const uint64_t* in,
                                          uint64_t* out, const uint64_t* valid, bool negated, size_t nw) {
  return planes_avx2<Planes>(p, stride, PlanesRangeAvx2<Planes, Lo, Hi>(stride, lo, hi), in, out, valid, negated, nw);
}

// planes_in on four words (a stage or country list, `country in (DE, AT, CH)`): each value's
// rows are those whose every plane bit is the value's, two instructions a plane and value for
// 256 rows, where the word-by-word loop took three for 64.
template <unsigned Planes>
struct PlanesInAvx2 {
  uint64_t stride;
  const uint8_t* vals;
  size_t n;
  SEG_AVX2_FN __m256i of(const __m256i* x) const {
    __m256i m = _mm256_setzero_si256();
    for (size_t i = 0; i < n; ++i) {
      __m256i eq = _mm256_set1_epi8(-1);
      for (unsigned k = 0; k < Planes; ++k)  // a row stays where its bit is the value's
        eq = (vals[i] >> (Planes - 1 - k)) & 1 ? _mm256_and_si256(eq, x[k]) : _mm256_andnot_si256(x[k], eq);
      m = _mm256_or_si256(m, eq);
    }
    return m;
  }
  uint64_t word(const uint64_t* p) const { return planes_in<Planes>(p, stride, vals, n); }
};
template <unsigned Planes>
SEG_AVX2_FN inline bool planes_in_avx2(const uint64_t* p, uint64_t stride, const uint8_t* vals, size_t n,
                                       const uint64_t* in, uint64_t* out, const uint64_t* valid, bool negated, size_t nw) {
  return planes_avx2<Planes>(p, stride, PlanesInAvx2<Planes>{stride, vals, n}, in, out, valid, negated, nw);
}

// An AVX2 sliced kernel on packed words: the selection squeezed to the word's other rows and
// the answer spread back (BMI2), as PackedAvx512 does.
template <class Inner>
struct PackedAvx2 {
  static constexpr bool kTakesSelection = true;
  template <class... A>
  SEG_AVX2_FN static uint64_t word(PackedWord w, uint64_t sel, const A&... args) {
    return _pdep_u64(Inner::word(w.p, _pext_u64(sel, w.others), args...), w.others) | w.frequent_hits;
  }
};

}  // namespace seg::rt::kernel
#endif
