// Comparison kernels: 64 frame-of-reference offsets in, one 64-bit match mask out.
// SSE2 (the x86-64 baseline) where it pays, a scalar loop otherwise and as the fallback.
#pragma once
#include <cstdint>
#include <cstring>

#include "runtime/storage/bits.hpp"

#if defined(__SSE2__) && !defined(SEG_NO_SIMD)
#include <emmintrin.h>
#define SEG_SSE2 1
#endif

namespace seg::rt::kernel {

// Bit i: (v[i] - lo) <= span in unsigned arithmetic, i.e. lo <= v[i] <= lo + span.
template <class T>
inline uint64_t range_scalar(const T* v, T lo, T span) {
  uint64_t bits = 0;
  for (int i = 0; i < 64; ++i) bits |= static_cast<uint64_t>(static_cast<T>(v[i] - lo) <= span) << i;
  return bits;
}

// Bit i: v[i] equals one of vals[0..n).
// Calls `fn(Set<n>(vals))` for n from 1 to 8 (kSmallIn): a short `in` list handed to a kernel
// that holds a fixed number of values (InBytesAvx512, InBytesAvx2), its number picked once.
template <template <size_t> class Set, class F>
inline bool with_small_set(const uint8_t* vals, size_t n, F&& fn) {
  switch (n) {
    case 1: return fn(Set<1>(vals));
    case 2: return fn(Set<2>(vals));
    case 3: return fn(Set<3>(vals));
    case 4: return fn(Set<4>(vals));
    case 5: return fn(Set<5>(vals));
    case 6: return fn(Set<6>(vals));
    case 7: return fn(Set<7>(vals));
    default: return fn(Set<8>(vals));
  }
}

template <class T>
inline uint64_t in_small_scalar(const T* v, const T* vals, size_t n) {
  uint64_t bits = 0;
  for (int i = 0; i < 64; ++i) {
    bool hit = false;
    for (size_t k = 0; k < n; ++k) hit |= v[i] == vals[k];
    bits |= static_cast<uint64_t>(hit) << i;
  }
  return bits;
}

#ifdef SEG_SSE2
// 16 byte lanes of 0x00/0xFF -> 16 bits.
inline uint64_t mask16(__m128i m) { return static_cast<uint32_t>(_mm_movemask_epi8(m)); }

inline uint64_t range_sse(const uint8_t* v, uint8_t lo, uint8_t span) {
  const __m128i l = _mm_set1_epi8(static_cast<char>(lo)), s = _mm_set1_epi8(static_cast<char>(span));
  uint64_t bits = 0;
  for (int k = 0; k < 4; ++k) {
    __m128i d = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + 16 * k)), l);
    bits |= mask16(_mm_cmpeq_epi8(_mm_min_epu8(d, s), d)) << (16 * k);  // d <= s unsigned
  }
  return bits;
}
inline uint64_t range_sse(const uint16_t* v, uint16_t lo, uint16_t span) {
  // SSE2 has no unsigned 16-bit compare: flip the sign bit and compare signed.
  const __m128i l = _mm_set1_epi16(static_cast<short>(lo)), f = _mm_set1_epi16(static_cast<short>(0x8000));
  const __m128i s = _mm_xor_si128(_mm_set1_epi16(static_cast<short>(span)), f);
  uint64_t above = 0;
  for (int k = 0; k < 4; ++k) {
    const __m128i* p = reinterpret_cast<const __m128i*>(v + 16 * k);
    __m128i a = _mm_xor_si128(_mm_sub_epi16(_mm_loadu_si128(p), l), f);
    __m128i b = _mm_xor_si128(_mm_sub_epi16(_mm_loadu_si128(p + 1), l), f);
    above |= mask16(_mm_packs_epi16(_mm_cmpgt_epi16(a, s), _mm_cmpgt_epi16(b, s))) << (16 * k);
  }
  return ~above;
}
inline uint64_t range_sse(const uint32_t* v, uint32_t lo, uint32_t span) {
  const __m128i l = _mm_set1_epi32(static_cast<int>(lo)), f = _mm_set1_epi32(static_cast<int>(0x80000000u));
  const __m128i s = _mm_xor_si128(_mm_set1_epi32(static_cast<int>(span)), f);
  uint64_t above = 0;
  for (int k = 0; k < 4; ++k) {
    const __m128i* p = reinterpret_cast<const __m128i*>(v + 16 * k);
    __m128i g[4];
    for (int j = 0; j < 4; ++j) g[j] = _mm_cmpgt_epi32(_mm_xor_si128(_mm_sub_epi32(_mm_loadu_si128(p + j), l), f), s);
    __m128i m = _mm_packs_epi16(_mm_packs_epi32(g[0], g[1]), _mm_packs_epi32(g[2], g[3]));
    above |= mask16(m) << (16 * k);
  }
  return ~above;
}

inline uint64_t in_small_sse(const uint8_t* v, const uint8_t* vals, size_t n) {
  uint64_t bits = 0;
  for (int k = 0; k < 4; ++k) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(v + 16 * k)), hit = _mm_setzero_si128();
    for (size_t j = 0; j < n; ++j) hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8(static_cast<char>(vals[j]))));
    bits |= mask16(hit) << (16 * k);
  }
  return bits;
}
inline uint64_t in_small_sse(const uint16_t* v, const uint16_t* vals, size_t n) {
  uint64_t bits = 0;
  for (int k = 0; k < 4; ++k) {
    const __m128i* p = reinterpret_cast<const __m128i*>(v + 16 * k);
    __m128i a = _mm_loadu_si128(p), b = _mm_loadu_si128(p + 1), ha = _mm_setzero_si128(), hb = ha;
    for (size_t j = 0; j < n; ++j) {
      __m128i c = _mm_set1_epi16(static_cast<short>(vals[j]));
      ha = _mm_or_si128(ha, _mm_cmpeq_epi16(a, c));
      hb = _mm_or_si128(hb, _mm_cmpeq_epi16(b, c));
    }
    bits |= mask16(_mm_packs_epi16(ha, hb)) << (16 * k);
  }
  return bits;
}
inline uint64_t in_small_sse(const uint32_t* v, const uint32_t* vals, size_t n) {
  uint64_t bits = 0;
  for (int k = 0; k < 4; ++k) {
    const __m128i* p = reinterpret_cast<const __m128i*>(v + 16 * k);
    __m128i x[4], h[4];
    for (int j = 0; j < 4; ++j) x[j] = _mm_loadu_si128(p + j), h[j] = _mm_setzero_si128();
    for (size_t j = 0; j < n; ++j) {
      __m128i c = _mm_set1_epi32(static_cast<int>(vals[j]));
      for (int q = 0; q < 4; ++q) h[q] = _mm_or_si128(h[q], _mm_cmpeq_epi32(x[q], c));
    }
    bits |= mask16(_mm_packs_epi16(_mm_packs_epi32(h[0], h[1]), _mm_packs_epi32(h[2], h[3]))) << (16 * k);
  }
  return bits;
}
#endif

// Room past a block's words in an index list: selected_words_avx512 may write up to 15
// entries past the last it returns.
constexpr size_t kIdxSlack = 16;

// Indices of the non-zero words of `sel` (branch-free); returns how many.
inline size_t selected_words_scalar(const uint64_t* sel, size_t nw, uint16_t* idx) {
  size_t k = 0;
  for (size_t w = 0; w < nw; ++w) {
    idx[k] = static_cast<uint16_t>(w);
    k += sel[w] != 0;
  }
  return k;
}

// Sum of v[i] over the bits i set in `sel` (64 values).
template <class T>
inline uint64_t masked_sum_scalar(const T* v, uint64_t sel) {
  uint64_t sum = 0;
  for (; sel; sel &= sel - 1) sum += v[__builtin_ctzll(sel)];
  return sum;
}

#ifdef SEG_SSE2
// Four 32-bit lane masks for each 4-bit group of a selection word.
struct NibbleMasks {
  alignas(16) uint32_t m[16][4];
  constexpr NibbleMasks() : m{} {
    for (int n = 0; n < 16; ++n)
      for (int b = 0; b < 4; ++b) m[n][b] = (n >> b) & 1 ? 0xFFFFFFFFu : 0u;
  }
};
inline constexpr NibbleMasks kNibbleMasks{};

// Branch-free: a dense selection costs the same as a sparse one, no per-bit loop.
inline uint64_t masked_sum_sse(const uint32_t* v, uint64_t sel) {
  const __m128i zero = _mm_setzero_si128();
  __m128i acc = zero;
  for (int q = 0; q < 16; ++q) {
    __m128i m = _mm_load_si128(reinterpret_cast<const __m128i*>(kNibbleMasks.m[(sel >> (4 * q)) & 15]));
    __m128i x = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + 4 * q)), m);
    acc = _mm_add_epi64(acc, _mm_unpacklo_epi32(x, zero));
    acc = _mm_add_epi64(acc, _mm_unpackhi_epi32(x, zero));
  }
  alignas(16) uint64_t lanes[2];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), acc);
  return lanes[0] + lanes[1];
}
#endif

template <class T>
inline uint64_t masked_sum(const T* v, uint64_t sel) {
#ifdef SEG_SSE2
  if constexpr (sizeof(T) == 4) {
    // Measured: the bit loop wins below about 8 of 64 rows selected.
    if (popcount64(sel) > 8) return masked_sum_sse(v, sel);
  }
#endif
  return masked_sum_scalar(v, sel);
}

// Bit i: the top bit of b[i] (64 bytes of 0x00 / 0xFF); the bytes are zeroed.
inline uint64_t take_byte_bits_scalar(uint8_t* b) {
  uint64_t bits = 0;
  for (int i = 0; i < 64; ++i) bits |= static_cast<uint64_t>(b[i] >> 7) << i;
  std::memset(b, 0, 64);
  return bits;
}
#ifdef SEG_SSE2
inline uint64_t take_byte_bits_sse(uint8_t* b) {
  uint64_t bits = 0;
  for (int k = 0; k < 4; ++k) {
    __m128i* p = reinterpret_cast<__m128i*>(b + 16 * k);
    bits |= mask16(_mm_loadu_si128(p)) << (16 * k);
    _mm_storeu_si128(p, _mm_setzero_si128());
  }
  return bits;
}
#endif
inline uint64_t take_byte_bits(uint8_t* b) {
#ifdef SEG_SSE2
  return take_byte_bits_sse(b);
#else
  return take_byte_bits_scalar(b);
#endif
}

// Bit planes (decision 58): plane k of a column holds bit (planes - 1 - k) of every row's
// offset. A word's 64 offsets are put back together as bytes, in registers, for the 1-byte
// kernels: bit i of each plane's word goes to byte i. kSpread[b] has bit i of b in byte i.
struct SpreadBytes {
  uint64_t of[256];
  constexpr SpreadBytes() : of{} {
    for (int b = 0; b < 256; ++b)
      for (int i = 0; i < 8; ++i) of[b] |= static_cast<uint64_t>((b >> i) & 1) << (8 * i);
  }
};
inline constexpr SpreadBytes kSpread{};

// At most this many bit planes (ColumnMeta's kMaxPlanes; static_assert in eval_planes.cpp).
inline constexpr unsigned kMaxPlanesKernel = 5;

// Word w's offsets from `planes` planes `stride` words apart (p points at plane 0's word w).
inline void planes_to_bytes(const uint64_t* p, uint64_t stride, unsigned planes, uint8_t* out) {
  uint64_t b[8] = {};
  for (unsigned k = 0; k < planes; ++k) {
    const uint64_t x = p[k * stride];
    const unsigned up = planes - 1 - k;
    for (int q = 0; q < 8; ++q) b[q] |= kSpread.of[(x >> (8 * q)) & 0xFF] << up;
  }
  std::memcpy(out, b, 64);
}

// Tests on bit planes themselves, 64 rows a step with word operations (BitWeaving/V's
// compares): each plane is one bit of every row's offset, most significant first, so a row is
// above `lo` where, at the first bit they differ, its bit is 1 and lo's is 0. A few
// instructions a plane and word, where putting the word's bytes together first
// (planes_to_bytes) cost a table lookup a byte: 3-9x on the baseline (decision 86).
// Rows with lo <= offset <= hi.
// `Planes`: fixed, so the loop unrolls (eval_planes.cpp instantiates 1-5); `Lo`, `Hi`: whether
// the range has that side (a side every offset passes is not compared: `stage != Blocked`,
// the last stage, has no lower one).
template <unsigned Planes, bool Lo = true, bool Hi = true>
inline uint64_t planes_range(const uint64_t* p, uint64_t stride, uint8_t lo, uint8_t hi) {
  constexpr unsigned planes = Planes;
  uint64_t above = 0, eq_lo = ~uint64_t{0}, below = 0, eq_hi = ~uint64_t{0};
  for (unsigned k = 0; k < planes; ++k) {
    const uint64_t x = p[k * stride];
    const unsigned bit = planes - 1 - k;
    const uint64_t l = 0 - static_cast<uint64_t>((lo >> bit) & 1), h = 0 - static_cast<uint64_t>((hi >> bit) & 1);
    if constexpr (Lo) {
      above |= eq_lo & x & ~l;
      eq_lo &= ~(x ^ l);
    }
    if constexpr (Hi) {
      below |= eq_hi & ~x & h;
      eq_hi &= ~(x ^ h);
    }
  }
  return (Lo ? above | eq_lo : ~uint64_t{0}) & (Hi ? below | eq_hi : ~uint64_t{0});
}
// Rows whose offset is one of `vals` (n of them).
template <unsigned Planes>
inline uint64_t planes_in(const uint64_t* p, uint64_t stride, const uint8_t* vals, size_t n) {
  constexpr unsigned planes = Planes;
  uint64_t x[Planes];
  for (unsigned k = 0; k < planes; ++k) x[k] = p[k * stride];
  uint64_t any = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t eq = ~uint64_t{0};
    for (unsigned k = 0; k < planes; ++k) eq &= ~(x[k] ^ (0 - static_cast<uint64_t>((vals[i] >> (planes - 1 - k)) & 1)));
    any |= eq;
  }
  return any;
}

template <class T>
inline uint64_t range_bits(const T* v, T lo, T span) {
#ifdef SEG_SSE2
  if constexpr (sizeof(T) < 8) return range_sse(v, lo, span);
#endif
  return range_scalar(v, lo, span);
}

template <class T>
inline uint64_t in_small_bits(const T* v, const T* vals, size_t n) {
#ifdef SEG_SSE2
  if constexpr (sizeof(T) < 8) return in_small_sse(v, vals, n);
#endif
  return in_small_scalar(v, vals, n);
}

}  // namespace seg::rt::kernel
