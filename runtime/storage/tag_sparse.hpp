// A tag container of sparse bytes (kSparse, decision 69): a chunk's 8 KB bitmap without its
// zero bytes. A tag on 3% to 20% of a chunk's rows leaves most of a bitmap's bytes zero (at
// 5%, two thirds of them), so the container keeps a bit for each of the bitmap's 8,192 bytes
// (set: the byte is not zero) and the bytes that are not, in order. A test puts the bitmap's
// words back 512 rows at a time (a presence word spreads the next bytes over its 64 bytes:
// VPEXPANDB), so `any` and `all` run at a bitmap's speed on fewer bytes. Layout, 8-aligned:
//   16 uint16   how many kept bytes come before each 4,096 rows (a row's byte is found
//               without counting from the start: the planner samples rows one by one)
//   128 uint64  presence: bit i = the bitmap's byte i is not zero
//   the kept bytes, padded to 8
#pragma once
#include <cstddef>
#include <cstdint>

#include "runtime/storage/bits.hpp"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(SEG_NO_SIMD)
#include <immintrin.h>
#include <tmmintrin.h>
#define SEG_SPARSE_SSSE3 1
#endif

namespace seg::rt {

inline constexpr uint64_t kSparseGroups = 16;                  // 4,096 rows: 8 presence words each
inline constexpr uint64_t kSparseDirBytes = kSparseGroups * 2;
inline constexpr uint64_t kSparsePresenceWords = kBlockRows / 8 / 64;  // 128
inline constexpr uint64_t kSparseHead = kSparseDirBytes + kSparsePresenceWords * 8;  // 1,056

inline const uint16_t* sparse_dir(const uint8_t* p) { return reinterpret_cast<const uint16_t*>(p); }
inline const uint64_t* sparse_presence(const uint8_t* p) {
  return reinterpret_cast<const uint64_t*>(p + kSparseDirBytes);
}
inline const uint8_t* sparse_kept(const uint8_t* p) { return p + kSparseHead; }
// Bytes of a container keeping `kept` bytes.
inline constexpr uint64_t sparse_bytes_for(uint64_t kept) { return kSparseHead + (kept + 7) / 8 * 8; }
// The kept bytes' number, from the last group's count and its presence words.
inline uint64_t sparse_kept_count(const uint8_t* p) {
  const uint64_t* pr = sparse_presence(p);
  uint64_t n = sparse_dir(p)[kSparseGroups - 1];
  for (uint64_t w = (kSparseGroups - 1) * 8; w < kSparsePresenceWords; ++w) n += popcount64(pr[w]);
  return n;
}

// The bitmap's bytes that `card` sorted row offsets (< 65536) leave not zero.
inline uint64_t sparse_kept_for(const uint16_t* rows, uint64_t card) {
  uint64_t kept = 0;
  for (uint64_t i = 0; i < card; ++i) kept += i == 0 || rows[i] >> 3 != rows[i - 1] >> 3;
  return kept;
}

// Writes `card` sorted row offsets in the form above; `out` has sparse_bytes_for(kept) zeroed bytes.
inline void encode_sparse(const uint16_t* rows, uint64_t card, uint8_t* out) {
  auto* dir = reinterpret_cast<uint16_t*>(out);
  auto* presence = reinterpret_cast<uint64_t*>(out + kSparseDirBytes);
  uint8_t* kept = out + kSparseHead;
  uint64_t n = 0;
  for (uint64_t i = 0, g = 0; i < card; ++i) {
    const uint64_t byte = rows[i] >> 3;
    if (i == 0 || byte != rows[i - 1] >> 3) {
      for (; g <= byte / 512; ++g) dir[g] = static_cast<uint16_t>(n);  // groups up to this byte's start here
      set_bit(presence, byte);
      ++n;
    }
    kept[n - 1] |= static_cast<uint8_t>(1u << (rows[i] & 7));
  }
  for (uint64_t g = card ? rows[card - 1] / 4096 + 1 : 0; g < kSparseGroups; ++g) dir[g] = static_cast<uint16_t>(n);
}

// What an expander does with each of the bitmap's words: `any` ORs them in, `all` ANDs them
// in (the bitmap read in place, no copy), `none` of one tag clears them (AndNot), and the rest
// assign.
enum class SparseInto : uint8_t { Assign, Or, And, AndNot };
template <SparseInto M>
inline uint64_t sparse_into(uint64_t& out, uint64_t x) {
  return out = M == SparseInto::Or       ? out | x
               : M == SparseInto::And    ? out & x
               : M == SparseInto::AndNot ? out & ~x
                                         : x;
}

// One bitmap word from its presence byte `b`: the next kept bytes (`kept` moves past them) put
// in the word's bytes that are kept, a byte at a time. The expanders' reference, and their
// way for a block's last words past a multiple of 8.
inline uint64_t sparse_word_bytes(uint64_t b, const uint8_t*& kept) {
  uint64_t x = 0;
  for (; b; b &= b - 1) x |= uint64_t{*kept++} << (8 * static_cast<unsigned>(__builtin_ctzll(b)));
  return x;
}

// The bitmap's words [0, nw) back into `out` (nw <= 1024), a byte at a time; what the faster
// versions (expand_sparse_ssse3, kernel::expand_sparse_vbmi2) do a word or 8 words at a time,
// and the reference the tests hold them to. Returns the OR of the words written.
template <SparseInto M>
inline uint64_t expand_sparse(const uint8_t* p, uint64_t* out, size_t nw) {
  const uint64_t* presence = sparse_presence(p);
  const uint8_t* kept = sparse_kept(p);
  uint64_t any = 0;
  for (size_t w = 0; w < nw; ++w) any |= sparse_into<M>(out[w], sparse_word_bytes((presence[w >> 3] >> (8 * (w & 7))) & 0xFF, kept));
  return any;
}

#ifdef SEG_SPARSE_SSSE3
// For each presence byte: where each of a word's 8 bytes comes from among its kept bytes
// (0x80: a zero byte).
struct SparseShuffle {
  alignas(8) uint8_t from[256][8] = {};
  constexpr SparseShuffle() {
    for (unsigned m = 0; m < 256; ++m)
      for (unsigned j = 0, k = 0; j < 8; ++j) from[m][j] = (m >> j & 1) ? static_cast<uint8_t>(k++) : 0x80;
  }
};
inline constexpr SparseShuffle kSparseShuffle{};

// expand_sparse a word at a time: PSHUFB puts the word's kept bytes in their places. Without
// VBMI2 (kernel::expand_sparse_vbmi2) this is the expander, where SSSE3 is (every x86-64
// processor since 2006; the baseline build assumes only SSE2): a byte at a time took 13x a
// bitmap's time. Where each of a presence word's 8 words starts among the kept bytes comes
// from the word's byte counts summed by one multiply, so their loads do not wait on each
// other (advancing a pointer word by word was 1.2x slower). Reads 8 bytes from each word's
// first kept byte (kTagReadPast covers it).
template <SparseInto M>
__attribute__((target("ssse3"))) inline uint64_t expand_sparse_ssse3(const uint8_t* p, uint64_t* out, size_t nw) {
  const uint64_t* presence = sparse_presence(p);
  const uint8_t* kept = sparse_kept(p);
  uint64_t any = 0;
  for (size_t w0 = 0; w0 < nw; w0 += 8) {
    const uint64_t m = presence[w0 / 8];
    const uint64_t upto = byte_popcounts(m) * 0x0101010101010101ull;  // byte j: kept bytes of words w0..w0+j
    const uint64_t before = upto << 8;
    for (size_t j = 0; j < 8 && w0 + j < nw; ++j) {
      const unsigned b = static_cast<unsigned>(m >> (8 * j)) & 0xFF;
      const __m128i x = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(kept + ((before >> (8 * j)) & 0xFF)));
      const __m128i from = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(kSparseShuffle.from[b]));
      const auto y = static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_shuffle_epi8(x, from)));
      any |= sparse_into<M>(out[w0 + j], y);
    }
    kept += upto >> 56;
  }
  return any;
}
// For each presence byte: its set bits as 0xFF bytes (PDEP's mask in expand_sparse_bmi2).
struct SparseByteMask {
  uint64_t of[256] = {};
  constexpr SparseByteMask() {
    for (unsigned m = 0; m < 256; ++m)
      for (unsigned j = 0; j < 8; ++j)
        if (m >> j & 1) of[m] |= uint64_t{0xFF} << (8 * j);
  }
};
inline constexpr SparseByteMask kSparseByteMask{};

// expand_sparse a word at a time with BMI2's PDEP, which deposits the next kept bytes into the
// word's bytes that are kept; the word's first kept byte found by advancing a pointer. Where
// VBMI2 is not (the EPYCs whose AVX-512 the hypervisor hides have BMI2): on a Zen 5 with
// AVX-512 turned off (SEG_SIMD=avx2) a stand-alone loop over 30 containers took 0.48-0.52 ns
// a word against expand_sparse_ssse3's 0.74-1.0 (its multiply-found starts cost more than
// the pointer's one-add chain there; on the machine of decision 69 the pointer was slower
// for PSHUFB). Reads 8 bytes from each word's first kept byte (kTagReadPast covers it).
template <SparseInto M>
__attribute__((target("bmi2,popcnt"))) inline uint64_t expand_sparse_bmi2(const uint8_t* p, uint64_t* out, size_t nw) {
  const auto* present = reinterpret_cast<const uint8_t*>(sparse_presence(p));  // byte w: word w's kept bytes
  const uint8_t* kept = sparse_kept(p);
  uint64_t any = 0;
  for (size_t w = 0; w < nw; ++w) {
    const unsigned b = present[w];
    uint64_t x;
    __builtin_memcpy(&x, kept, 8);
    any |= sparse_into<M>(out[w], _pdep_u64(x, kSparseByteMask.of[b]));
    kept += __builtin_popcount(b);
  }
  return any;
}

inline bool sparse_ssse3() {
  static const bool has = (__builtin_cpu_init(), __builtin_cpu_supports("ssse3"));
  return has;
}
#endif

// The fastest expand_sparse this processor has short of VBMI2.
template <SparseInto M>
inline uint64_t expand_sparse_best(const uint8_t* p, uint64_t* out, size_t nw) {
#ifdef SEG_SPARSE_SSSE3
  if (sparse_ssse3()) return expand_sparse_ssse3<M>(p, out, nw);
#endif
  return expand_sparse<M>(p, out, nw);
}

// Whether row offset `lo` is in the container: its byte's presence bit, then the byte, found
// from its group's count and at most 8 presence words.
inline bool sparse_contains(const uint8_t* p, uint16_t lo) {
  const uint64_t* presence = sparse_presence(p);
  const uint64_t byte = lo >> 3, w = byte >> 6;
  if (!((presence[w] >> (byte & 63)) & 1)) return false;
  uint64_t at = sparse_dir(p)[byte / 512];
  for (uint64_t k = w & ~uint64_t{7}; k < w; ++k) at += popcount64(presence[k]);
  at += popcount64(presence[w] & ((uint64_t{1} << (byte & 63)) - 1));
  return (sparse_kept(p)[at] >> (lo & 7)) & 1;
}

// Whether a container read from storage has the form above within `avail` bytes, so that
// expanding it stays within them (and the read-past padding after the tag data): each group's
// count is the kept bytes before it, no kept byte is zero, and they hold `card` rows.
inline bool sparse_well_formed(const uint8_t* p, uint64_t avail, uint64_t card) {
  if (avail < kSparseHead) return false;
  const uint16_t* dir = sparse_dir(p);
  const uint64_t* presence = sparse_presence(p);
  uint64_t n = 0;
  for (uint64_t w = 0; w < kSparsePresenceWords; ++w) {
    if (w % 8 == 0 && dir[w / 8] != n) return false;
    n += popcount64(presence[w]);
  }
  if (sparse_bytes_for(n) > avail) return false;
  uint64_t rows = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const uint8_t b = sparse_kept(p)[i];
    if (b == 0) return false;
    rows += popcount64(b);
  }
  return rows == card;
}

}  // namespace seg::rt
