// AVX-512 (F, BW, VL) versions of the range and short-`in` kernels and of the word loop that
// runs them over a block, chosen at run time where the processor has them (kernel::avx512()).
// One compare of 64 bytes gives a whole selection word for 1-byte values, so a test on a
// dictionary code costs 3 instructions a word instead of 16 with SSE2, and 8-byte values,
// which SSE2 cannot compare unsigned, get vector compares too. Each function carries the
// target attribute itself: the rest of the build stays at the x86-64 baseline.
#pragma once
#include <cstddef>
#include <cstdint>

#include "runtime/exec/kernels.hpp"
#include "runtime/storage/tag_buckets.hpp"
#include "runtime/storage/tag_sparse.hpp"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(SEG_NO_SIMD)
#include <immintrin.h>
#define SEG_AVX512 1
// BMI2 (pdep, pext: packed slices) too: every processor with AVX-512 has it.
#define SEG_AVX512_FN __attribute__((target("avx512f,avx512bw,avx512vl,bmi2")))
#define SEG_VBMI2_FN __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi2,bmi2")))
#endif

namespace seg::rt::kernel {

// Whether the AVX-512 kernels run: the processor has them and nothing turned them off
// (SEG_SIMD=sse2 or avx2 in the environment, or use_avx512(false): the A/B and the tests of both).
bool avx512();
bool use_avx512(bool on);  // on: only where the processor has them; returns avx512() after
bool avx512_available();   // the processor has them (whatever the switch says)
// avx512() and the processor has VBMI2 too (VPCOMPRESSB, VPEXPANDB: decode_buckets_vbmi2,
// expand_sparse_vbmi2).
bool vbmi2();
// BMI2's pext and pdep where the processor has them: packed slices squeeze a word's selection
// and spread its answer with them (kernels_sliced.hpp, packed_word). Nearly every x86-64 since
// 2013 has them, AVX-512 or not; this project's CI machine (an AMD EPYC whose AVX-512 the
// hypervisor hides) has BMI2, where the bit-by-bit loops made a packed range 3.4 ns a row.
// Off with SEG_SIMD=sse2, or use_bmi2(false) (the tests of both).
bool bmi2();
bool use_bmi2(bool on);  // on: only where the processor has them; returns bmi2() after
bool bmi2_available();   // the processor has them (whatever the switch says)
// Whether the AVX2 kernels (kernels_avx2.hpp) run: the processor has AVX2 and BMI2, the
// AVX-512 ones do not run, and nothing turned them off (SEG_SIMD=sse2, or use_avx2(false)).
bool avx2();
bool avx2_enabled();     // the switch alone (AVX-512 may still take precedence)
bool use_avx2(bool on);  // on: only where the processor has them; returns avx2_enabled() after
bool avx2_available();

#ifdef SEG_AVX512
// Bit i: lo <= v[i] <= lo + span, as (v[i] - lo) <= span unsigned.
struct RangeAvx512 {
  static constexpr bool kTakesSelection = false;  // word() reads all 64 values whatever is selected
  // 64 bytes already in a register (bit planes).
  SEG_AVX512_FN static uint64_t word(__m512i x, uint8_t lo, uint8_t span) {
    return _mm512_cmple_epu8_mask(_mm512_sub_epi8(x, _mm512_set1_epi8(static_cast<char>(lo))),
                                  _mm512_set1_epi8(static_cast<char>(span)));
  }
  template <class T>
  SEG_AVX512_FN static uint64_t word(const T* v, T lo, T span) {
    if constexpr (sizeof(T) == 1) {
      return word(_mm512_loadu_si512(v), lo, span);
    } else if constexpr (sizeof(T) == 2) {
      const __m512i l = _mm512_set1_epi16(static_cast<short>(lo)), s = _mm512_set1_epi16(static_cast<short>(span));
      uint64_t a = _mm512_cmple_epu16_mask(_mm512_sub_epi16(_mm512_loadu_si512(v), l), s);
      uint64_t b = _mm512_cmple_epu16_mask(_mm512_sub_epi16(_mm512_loadu_si512(v + 32), l), s);
      return a | b << 32;
    } else if constexpr (sizeof(T) == 4) {
      const __m512i l = _mm512_set1_epi32(static_cast<int>(lo)), s = _mm512_set1_epi32(static_cast<int>(span));
      uint64_t bits = 0;
      for (int k = 0; k < 4; ++k)
        bits |= uint64_t{_mm512_cmple_epu32_mask(_mm512_sub_epi32(_mm512_loadu_si512(v + 16 * k), l), s)} << (16 * k);
      return bits;
    } else {
      const __m512i l = _mm512_set1_epi64(static_cast<long long>(lo)), s = _mm512_set1_epi64(static_cast<long long>(span));
      uint64_t bits = 0;
      for (int k = 0; k < 8; ++k)
        bits |= uint64_t{_mm512_cmple_epu64_mask(_mm512_sub_epi64(_mm512_loadu_si512(v + 8 * k), l), s)} << (8 * k);
      return bits;
    }
  }
};

// selected_words_scalar (kernels.hpp) sixteen words a step: their non-zero mask picks their
// indices out of a vector (compress), narrowed to 16 bits and stored whole (the entries past
// the selected ones are overwritten by the next step, or left in kIdxSlack). Every test of
// the shared pass lists its block's words first, and the scalar loop was most of a cheap
// test's time there. (maskz_cvtepi32_epi16: the unmasked form trips GCC 12's
// -Wmaybe-uninitialized in its header.)
SEG_AVX512_FN inline size_t selected_words_avx512(const uint64_t* sel, size_t nw, uint16_t* idx) {
  size_t k = 0;
  __m512i at = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i sixteen = _mm512_set1_epi32(16);
  for (size_t w = 0; w < nw; w += 16, at = _mm512_add_epi32(at, sixteen)) {
    const size_t left = nw - w;  // masked loads: the last block's words may end mid-step
    const __mmask8 lo = left >= 8 ? 0xFF : static_cast<__mmask8>((1u << left) - 1);
    const __mmask8 hi = left >= 16 ? 0xFF : left > 8 ? static_cast<__mmask8>((1u << (left - 8)) - 1) : 0;
    const __m512i a = _mm512_maskz_loadu_epi64(lo, sel + w), b = _mm512_maskz_loadu_epi64(hi, sel + w + 8);
    const __mmask16 m = static_cast<__mmask16>(_mm512_test_epi64_mask(a, a) | (_mm512_test_epi64_mask(b, b) << 8));
    const __m256i picked = _mm512_maskz_cvtepi32_epi16(0xFFFF, _mm512_maskz_compress_epi32(m, at));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + k), picked);
    k += static_cast<size_t>(__builtin_popcount(m));
  }
  return k;
}

// The rows of a bucketed tag container (runtime/storage/tag_buckets.hpp, decode_buckets) into
// `out`, a word of counts at a time: VPCOMPRESSB lines up the positions of the word's 1s, and
// row i is (64 w + position - i) << 8 | low byte i, 32 rows a vector. Both halves of a word
// are written whatever its count (a branch on it was mispredicted half the time): the rows
// past its count are written again by the words after, and `out` has room for card + 64.
// Stores are whole, so the loads of the rows that follow can be forwarded from them (a
// masked store's cannot). Low bytes are loaded 32 at a time, up to kTagReadPast bytes
// past the container (the column's tag data has them): a masked load cost this machine's AMD
// core several times a plain one. One by one, without VBMI2, decoding cost 2-3x what
// reading a uint16 array costs; this, 1.1-1.3x (decision 66).
SEG_VBMI2_FN inline void decode_buckets_vbmi2(const uint8_t* p, uint64_t card, uint16_t* out) {
  const auto* counts = reinterpret_cast<const uint64_t*>(p);
  const uint8_t* lows = bucket_lows(p, card);
  alignas(64) static constexpr uint8_t kIota[64] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                                    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
                                                    32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
                                                    48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};
  const __m512i iota8 = _mm512_load_si512(kIota);
  // (maskz extracts: GCC 12 warns of the undefined upper lanes in the plain ones)
  const __m512i iota16 = _mm512_cvtepu8_epi16(_mm512_maskz_extracti64x4_epi64(0xF, iota8, 0));
  auto low_bytes = [&](uint64_t at) SEG_VBMI2_FN {
    return _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(lows + at)));
  };
  uint64_t i = 0;
  for (uint64_t w = 0; i < card; ++w) {
    const uint64_t x = counts[w];
    const __m512i pos = _mm512_maskz_compress_epi8(x, iota8);
    // bucket = 64 w - i + position - lane: the 0s before the row's 1
    const __m512i base = _mm512_sub_epi16(_mm512_set1_epi16(static_cast<short>(64 * w - i)), iota16);
    const __m512i b0 = _mm512_add_epi16(_mm512_cvtepu8_epi16(_mm512_maskz_extracti64x4_epi64(0xF, pos, 0)), base);
    const __m512i b1 = _mm512_add_epi16(_mm512_cvtepu8_epi16(_mm512_maskz_extracti64x4_epi64(0xF, pos, 1)),
                                        _mm512_sub_epi16(base, _mm512_set1_epi16(32)));
    _mm512_storeu_si512(out + i, _mm512_or_si512(_mm512_slli_epi16(b0, 8), low_bytes(i)));
    _mm512_storeu_si512(out + i + 32, _mm512_or_si512(_mm512_slli_epi16(b1, 8), low_bytes(i + 32)));
    i += static_cast<uint64_t>(__builtin_popcountll(x));
  }
}

// A presence word's 64 bytes from the kept bytes at `from`. The load stays a separate
// instruction (the empty asm keeps the compiler from folding it): VPEXPANDB from memory made
// Q4 1.25x slower on a Zen 5.
SEG_VBMI2_FN inline __m512i expand_group_vbmi2(uint64_t m, const uint8_t* from) {
  __m512i src = _mm512_loadu_si512(from);
  __asm__("" : "+v"(src));
  return _mm512_maskz_expand_epi8(m, src);
}

// A sparse-bytes tag container's bitmap words [0, nw) (runtime/storage/tag_sparse.hpp,
// expand_sparse) into `out`: a presence word's 64 bits say which of 64 bytes (8 words, 512
// rows) are kept, and VPEXPANDB spreads the next kept bytes over them. The kept bytes are
// loaded whole, up to kTagReadPast bytes past the container (the tag data has them); a
// block's last words past a multiple of 8 are put back a byte at a time. Returns the OR of
// the words written.
template <SparseInto M>
SEG_VBMI2_FN inline uint64_t expand_sparse_vbmi2(const uint8_t* p, uint64_t* out, size_t nw) {
  const uint64_t* presence = sparse_presence(p);
  const uint8_t* kept = sparse_kept(p);
  __m512i any = _mm512_setzero_si512();
  size_t w = 0;
  for (; w + 8 <= nw; w += 8) {
    const uint64_t m = presence[w / 8];
    __builtin_prefetch(kept + 1024);  // a container is a short stream the hardware prefetcher barely starts on
    __m512i x = expand_group_vbmi2(m, kept);
    if constexpr (M == SparseInto::Or) x = _mm512_or_si512(x, _mm512_loadu_si512(out + w));
    if constexpr (M == SparseInto::And) x = _mm512_and_si512(x, _mm512_loadu_si512(out + w));
    if constexpr (M == SparseInto::AndNot)  // (_mm512_andnot_si512 trips GCC 12's -Wmaybe-uninitialized in its header)
      x = _mm512_and_si512(_mm512_xor_si512(x, _mm512_set1_epi64(-1)), _mm512_loadu_si512(out + w));
    _mm512_storeu_si512(out + w, x);
    any = _mm512_or_si512(any, x);
    kept += __builtin_popcountll(m);
  }
  uint64_t rest = 0;
  for (uint64_t m = w < nw ? presence[w / 8] : 0; w < nw; ++w, m >>= 8) rest |= sparse_into<M>(out[w], sparse_word_bytes(m & 0xFF, kept));
  return rest | (_mm512_test_epi64_mask(any, any) != 0);
}

// Up to this many sparse-bytes containers at a time in or_sparse_vbmi2 (its pointers on the stack).
inline constexpr size_t kSparseOrBatch = 32;

// The OR of `n` (<= kSparseOrBatch) sparse-bytes containers' words [0, nw) into `out`, 1,024
// rows at a time across all of them: `tag any` of many tags (Q4's 32). One container after
// the other (expand_sparse_vbmi2 each, OR) loads and stores the block's 64 bytes of `out` a
// container, and one container's steps follow each other through its kept-byte pointer; here
// each 64 bytes of `out` is loaded and stored once, a step expands two groups of 512 rows of
// a container (its pointers loaded and stored once for both), and two containers a step feed
// separate accumulators. Against one container after the other, in cache: 1.4 ns an expansion
// -> 0.8 (one group a step: 1.04; four: 1.45, out of registers). A container's kept bytes are
// a short stream of their own among n, so each is prefetched ahead. Loads the kept bytes as
// expand_sparse_vbmi2 does (64 from each group's first, kTagReadPast covers them).
SEG_VBMI2_FN inline void or_sparse_vbmi2(const uint8_t* const* containers, size_t n, uint64_t* out, size_t nw) {
  const uint8_t* kept[kSparseOrBatch];
  const uint64_t* presence[kSparseOrBatch];
  for (size_t t = 0; t < n; ++t) {
    presence[t] = sparse_presence(containers[t]);
    kept[t] = sparse_kept(containers[t]);
  }
  // Container t's groups g and g + 1 ORed into x0 and x1.
  auto two = [&](size_t t, size_t g, __m512i& x0, __m512i& x1) SEG_VBMI2_FN {
    const uint8_t* k = kept[t];
    const uint64_t m0 = presence[t][g], m1 = presence[t][g + 1];
    __builtin_prefetch(k + 512);
    x0 = _mm512_or_si512(x0, expand_group_vbmi2(m0, k));
    k += __builtin_popcountll(m0);
    x1 = _mm512_or_si512(x1, expand_group_vbmi2(m1, k));
    kept[t] = k + __builtin_popcountll(m1);
  };
  size_t w = 0;
  for (; w + 16 <= nw; w += 16) {
    __m512i a0 = _mm512_loadu_si512(out + w), a1 = _mm512_loadu_si512(out + w + 8);
    __m512i b0 = _mm512_setzero_si512(), b1 = _mm512_setzero_si512();
    size_t t = 0;
    for (; t + 2 <= n; t += 2) {
      two(t, w / 8, a0, a1);
      two(t + 1, w / 8, b0, b1);
    }
    if (t < n) two(t, w / 8, a0, a1);
    _mm512_storeu_si512(out + w, _mm512_or_si512(a0, b0));
    _mm512_storeu_si512(out + w + 8, _mm512_or_si512(a1, b1));
  }
  if (w + 8 <= nw) {  // one group left
    __m512i a = _mm512_loadu_si512(out + w);
    for (size_t t = 0; t < n; ++t) {
      const uint64_t m = presence[t][w / 8];
      a = _mm512_or_si512(a, expand_group_vbmi2(m, kept[t]));
      kept[t] += __builtin_popcountll(m);
    }
    _mm512_storeu_si512(out + w, a);
    w += 8;
  }
  for (size_t t = 0; t < n && w < nw; ++t) {  // a block's last words past a multiple of 8, a byte at a time
    uint64_t m = presence[t][w / 8];
    for (size_t v = w; v < nw; ++v, m >>= 8) out[v] |= sparse_word_bytes(m & 0xFF, kept[t]);
  }
}

// take_byte_bits (kernels.hpp) over `nw` words: each word's 64 bytes of 0x00 / 0xFF ORed into
// acc[w] as bits (one instruction for the mask, where SSE2 takes four) and zeroed.
SEG_AVX512_FN inline void take_byte_bits_avx512(uint8_t* bytes, uint64_t* acc, size_t nw) {
  const __m512i zero = _mm512_setzero_si512();
  for (size_t w = 0; w < nw; ++w) {
    acc[w] |= _mm512_movepi8_mask(_mm512_loadu_si512(bytes + 64 * w));
    _mm512_storeu_si512(bytes + 64 * w, zero);
  }
}

// A word of a column of `Planes` bit planes as 64 bytes in a register (kernels.hpp,
// planes_to_bytes): each plane's word is a byte mask, and the bytes it selects get that
// plane's bit added. A load and a masked add a plane.
template <unsigned Planes>
SEG_AVX512_FN inline __m512i planes_avx512(const uint64_t* p, uint64_t stride) {
  __m512i x = _mm512_setzero_si512();
  for (unsigned k = 0; k < Planes; ++k)
    x = _mm512_mask_add_epi8(x, p[k * stride], x, _mm512_set1_epi8(static_cast<char>(1u << (Planes - 1 - k))));
  return x;
}

// Bit i: the byte v[i] is one of N values, each broadcast once before a block's words.
// InSmallAvx512 broadcasts every value again each word and loops over them (its values are
// bytes in memory, which a store to the selection may alias for all GCC knows): `spot in
// (4 values)` took 1.6x a range's time on the same column, and the JIT's kernel 0.75x the
// interpreter's. Here the loop over the values unrolls and compares against registers.
template <size_t N>
struct InBytesAvx512 {
  static constexpr bool kTakesSelection = false;
  __m512i v[N];
  SEG_AVX512_FN explicit InBytesAvx512(const uint8_t* vals) {
    for (size_t j = 0; j < N; ++j) v[j] = _mm512_set1_epi8(static_cast<char>(vals[j]));
  }
  SEG_AVX512_FN static uint64_t word(__m512i x, const InBytesAvx512& s) {
    __mmask64 hit = _mm512_cmpeq_epi8_mask(x, s.v[0]);
    for (size_t j = 1; j < N; ++j) hit |= _mm512_cmpeq_epi8_mask(x, s.v[j]);
    return hit;
  }
  SEG_AVX512_FN static uint64_t word(const uint8_t* p, const InBytesAvx512& s) { return word(_mm512_loadu_si512(p), s); }
};

// Bit i: v[i] is one of vals[0..n) (the evaluator runs InBytesAvx512 on 1-byte values).
struct InSmallAvx512 {
  static constexpr bool kTakesSelection = false;
  template <class T>
  SEG_AVX512_FN static uint64_t word(const T* v, const T* vals, size_t n) {
    constexpr int lanes = 64 / static_cast<int>(sizeof(T));  // values in one 512-bit register
    uint64_t bits = 0;
    for (int k = 0; k < 64 / lanes; ++k) {
      __m512i x = _mm512_loadu_si512(v + lanes * k);
      uint64_t hit = 0;
      for (size_t j = 0; j < n; ++j) {
        if constexpr (sizeof(T) == 1) hit |= _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(static_cast<char>(vals[j])));
        else if constexpr (sizeof(T) == 2) hit |= _mm512_cmpeq_epi16_mask(x, _mm512_set1_epi16(static_cast<short>(vals[j])));
        else if constexpr (sizeof(T) == 4) hit |= _mm512_cmpeq_epi32_mask(x, _mm512_set1_epi32(static_cast<int>(vals[j])));
        else hit |= _mm512_cmpeq_epi64_mask(x, _mm512_set1_epi64(static_cast<long long>(vals[j])));
      }
      bits |= hit << (lanes * k);
    }
    return bits;
  }
};
#endif

}  // namespace seg::rt::kernel
