// A tag container of bucketed bytes (kBucketed, decision 66): a tag's rows within one chunk
// as each row's low byte, in row order, and how many rows fall in each of the chunk's 256
// buckets of 256 rows, counted in unary: a 1 per row, then a 0 closing its bucket. It is
// 9 bits a row and 32 bytes a container, where a sorted uint16 array is 16 bits a row.
#pragma once
#include <cstddef>
#include <cstdint>

#include "runtime/storage/bits.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace seg::rt {

inline constexpr uint32_t kBucketCount = 256;  // buckets of 256 rows in a chunk of 65536

// The unary counts' words: a bit a row and one a bucket.
inline constexpr uint64_t bucket_words(uint64_t card) { return (kBucketCount + card + 63) / 64; }
// Bytes of a container of `card` rows: the counts, then the low bytes padded to 8.
inline constexpr uint64_t bucket_bytes(uint64_t card) { return bucket_words(card) * 8 + (card + 7) / 8 * 8; }
inline const uint8_t* bucket_lows(const uint8_t* p, uint64_t card) { return p + bucket_words(card) * 8; }

// Whether `card` rows take fewer bytes bucketed than as a uint16 array (from 45 rows).
inline constexpr bool buckets_smaller(uint64_t card) { return bucket_bytes(card) < (card * 2 + 7) / 8 * 8; }

// Writes `card` sorted row offsets (< 65536) in the form above; `out` has bucket_bytes(card)
// zeroed bytes.
inline void encode_buckets(const uint16_t* rows, uint64_t card, uint8_t* out) {
  auto* counts = reinterpret_cast<uint64_t*>(out);
  uint8_t* lows = out + bucket_words(card) * 8;
  uint64_t pos = 0, i = 0;
  for (uint32_t b = 0; b < kBucketCount; ++b, ++pos) {  // the 0 closing bucket b is left clear
    for (; i < card && rows[i] >> 8 == b; ++i, ++pos) {
      set_bit(counts, pos);
      lows[i] = static_cast<uint8_t>(rows[i]);
    }
  }
}

// The container's row offsets, in order, into `out` (room for card + 64): the row at count
// bit p, the i-th row, is in bucket p - i (the 0s before it). One by one, what the SSE2
// version below does; kept as the reference the tests hold it to.
inline void decode_buckets_scalar(const uint8_t* p, uint64_t card, uint16_t* out) {
  const auto* counts = reinterpret_cast<const uint64_t*>(p);
  const uint8_t* lows = bucket_lows(p, card);
  uint64_t i = 0;
  for (uint64_t w = 0; i < card; ++w)
    for (uint64_t x = counts[w]; x; x &= x - 1, ++i)
      out[i] = static_cast<uint16_t>((w * 64 + static_cast<uint64_t>(__builtin_ctzll(x)) - i) << 8 | lows[i]);
}

#if defined(__SSE2__)
// The positions of the 1s of each byte value, as 8 uint16 (Lemire's table decoding of a
// bitmap): a count byte's 1s come out 8 at a time, whatever their number.
struct BytePositions {
  alignas(16) uint16_t at[256][8] = {};
  uint8_t ones[256] = {};
  constexpr BytePositions() {
    for (unsigned v = 0; v < 256; ++v)
      for (unsigned b = 0; b < 8; ++b)
        if (v >> b & 1) at[v][ones[v]++] = static_cast<uint16_t>(b);
  }
};
inline constexpr BytePositions kBytePositions{};

// Two passes: each count byte's 1s' positions into `out` (8 written, as many kept as the byte
// has), then, 8 rows a vector, row i = (position - i) << 8 | low byte i in place. Without
// VBMI2 (decode_buckets_vbmi2) this is the decoder: one by one cost 2-3x a uint16 array's
// loops (decision 66).
inline void decode_buckets(const uint8_t* p, uint64_t card, uint16_t* out) {
  const uint8_t* lows = bucket_lows(p, card);
  const uint64_t bytes = (kBucketCount + card + 7) / 8;
  uint64_t i = 0;
  for (uint64_t j = 0; j < bytes; ++j) {
    const uint8_t v = p[j];
    const __m128i at = _mm_load_si128(reinterpret_cast<const __m128i*>(kBytePositions.at[v]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_add_epi16(at, _mm_set1_epi16(static_cast<short>(8 * j))));
    i += kBytePositions.ones[v];
  }
  const __m128i lanes = _mm_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7);
  for (i = 0; i < card; i += 8) {
    auto* o = reinterpret_cast<__m128i*>(out + i);
    const __m128i bucket = _mm_sub_epi16(_mm_loadu_si128(o), _mm_add_epi16(lanes, _mm_set1_epi16(static_cast<short>(i))));
    const __m128i low = _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(lows + i)), _mm_setzero_si128());
    _mm_storeu_si128(o, _mm_or_si128(_mm_slli_epi16(bucket, 8), low));
  }
}
#else
inline void decode_buckets(const uint8_t* p, uint64_t card, uint16_t* out) { decode_buckets_scalar(p, card, out); }
#endif

// Whether row offset `lo` is in the container. The 0 numbered k (closing bucket k), at count
// bit p, has p - k rows before it: bucket b's rows are those from the 0 closing b - 1 to the
// 0 closing b, about card / 256 of them. (The planner samples rows through this.)
inline bool buckets_contain(const uint8_t* p, uint64_t card, uint16_t lo) {
  const auto* counts = reinterpret_cast<const uint64_t*>(p);
  const uint64_t b = lo >> 8;
  uint64_t zeros = 0, start = 0;  // 0s before the current word; bucket b's first row
  for (uint64_t w = 0; w < bucket_words(card); ++w) {
    uint64_t z = ~counts[w];  // bits past the counts are 0, so 1 here: after the last 0 that matters
    const uint64_t nz = popcount64(z);
    if (zeros + nz < b) {  // neither the 0 closing b - 1 nor the one closing b is in this word
      zeros += nz;
      continue;
    }
    for (; z; z &= z - 1, ++zeros) {
      const uint64_t rows_before = w * 64 + static_cast<uint64_t>(__builtin_ctzll(z)) - zeros;
      if (zeros + 1 == b) start = rows_before;
      if (zeros == b) {
        const uint8_t* lows = bucket_lows(p, card);
        for (uint64_t i = start; i < rows_before; ++i)
          if (lows[i] == static_cast<uint8_t>(lo)) return true;
        return false;
      }
    }
  }
  return false;
}

// Whether a container read from storage has the form above, so decoding it stays within its
// bytes and buckets: `card` 1s in all, and 256 0s with the last bit one of them (nothing
// after). Row order within a bucket is not checked: unordered rows are still the tag's.
inline bool buckets_well_formed(const uint8_t* p, uint64_t card) {
  const auto* counts = reinterpret_cast<const uint64_t*>(p);
  const uint64_t words = bucket_words(card), bits = kBucketCount + card;
  uint64_t ones = 0;
  for (uint64_t w = 0; w < words; ++w) ones += popcount64(counts[w]);
  const uint64_t last = bits - 1;
  if (ones != card || test_bit(counts, last)) return false;
  return bits % 64 == 0 || (counts[words - 1] >> (bits % 64)) == 0;
}

}  // namespace seg::rt
