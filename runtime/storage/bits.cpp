// Word-array helpers compiled for several instruction sets. popcount_words has a baseline, a
// POPCNT, an AVX2 and an AVX-512 VPOPCNTQ version (eight words an instruction: the shared pass
// counts 8 KB per segment and block with it), picked at its first call; bit_sums a VPOPCNTQ version
// and one word by word (itself two, picked by the loader: ifunc), picked at its first call.
#include "runtime/storage/bits.hpp"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(SEG_NO_SIMD)
#include <immintrin.h>
#define SEG_VPOPCNT 1
#endif

namespace seg::rt {
namespace {

// No target_clones (an ifunc) here: its resolver runs while the program is relocated, before
// ThreadSanitizer's runtime starts, and the instrumented resolver crashed the TSan build.
// popcount_words picks one of these at its first call instead.
// One loop, compiled into each version below (inlined, it takes the caller's target).
[[gnu::always_inline]] inline uint64_t popcount_loop(const uint64_t* w, size_t n) {
  uint64_t c = 0;
  for (size_t i = 0; i < n; ++i) c += static_cast<uint64_t>(__builtin_popcountll(w[i]));
  return c;
}
uint64_t popcount_default(const uint64_t* w, size_t n) { return popcount_loop(w, n); }
#ifdef SEG_VPOPCNT
__attribute__((target("popcnt"))) uint64_t popcount_popcnt(const uint64_t* w, size_t n) { return popcount_loop(w, n); }
#endif

#ifdef SEG_VPOPCNT
// Whether the processor has VPOPCNTQ (AVX-512), asked once.
bool has_vpopcnt() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
  }();
  return has;
}

// A vector's eight lanes added up. (Not _mm512_reduce_add_epi64: GCC 12's header trips
// -Wuninitialized in it.)
__attribute__((target("avx512f"))) uint64_t sum_lanes(__m512i v) {
  alignas(64) uint64_t lanes[8];
  _mm512_store_si512(lanes, v);
  uint64_t t = 0;
  for (uint64_t x : lanes) t += x;
  return t;
}

__attribute__((target("avx512f,avx512vpopcntdq,popcnt"))) uint64_t popcount_vpopcnt(const uint64_t* w, size_t n) {
  __m512i acc = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_loadu_si512(w + i)));
  return sum_lanes(acc) + popcount_loop(w + i, n - i);
}

// A vector's bytes' bits counted by nibble lookups (VPSHUFB), each at most 8.
__attribute__((target("avx2"), always_inline)) inline __m256i byte_counts_avx2(__m256i x) {
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i bits = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                                        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  return _mm256_add_epi8(_mm256_shuffle_epi8(bits, _mm256_and_si256(x, nibble)),
                         _mm256_shuffle_epi8(bits, _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble)));
}
// Without VPOPCNTQ, sixteen words a step by nibble lookups, a step with no bit skipped: the
// shared pass counts every segment's 8 KB a block, and most segments' results are sparse
// (POPCNT word by word was 7.5% of the pass).
__attribute__((target("avx2"))) uint64_t popcount_avx2(const uint64_t* w, size_t n) {
  const __m256i zero = _mm256_setzero_si256();
  __m256i acc = zero;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i* v = reinterpret_cast<const __m256i*>(w + i);
    const __m256i a = _mm256_loadu_si256(v), b = _mm256_loadu_si256(v + 1), c = _mm256_loadu_si256(v + 2),
                  d = _mm256_loadu_si256(v + 3);
    const __m256i all = _mm256_or_si256(_mm256_or_si256(a, b), _mm256_or_si256(c, d));
    if (_mm256_testz_si256(all, all)) continue;
    const __m256i s = _mm256_add_epi8(_mm256_add_epi8(byte_counts_avx2(a), byte_counts_avx2(b)),
                                      _mm256_add_epi8(byte_counts_avx2(c), byte_counts_avx2(d)));  // <= 32 a byte
    acc = _mm256_add_epi64(acc, _mm256_sad_epu8(s, zero));
  }
  alignas(32) uint64_t l[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(l), acc);
  return l[0] + l[1] + l[2] + l[3] + popcount_loop(w + i, n - i);
}
#endif

}  // namespace

uint64_t popcount_words(const uint64_t* w, size_t n) {
#ifdef SEG_VPOPCNT
  using Fn = uint64_t (*)(const uint64_t*, size_t);
  static const Fn fn = [] {
    if (has_vpopcnt()) return Fn{popcount_vpopcnt};
    if (has_avx2()) return Fn{popcount_avx2};
    __builtin_cpu_init();
    return __builtin_cpu_supports("popcnt") ? Fn{popcount_popcnt} : Fn{popcount_default};
  }();
  return fn(w, n);
#else
  return popcount_default(w, n);
#endif
}

// Bit j of a word is in kPositionMasks[k] when bit k of j is set: the popcount of a word's bits
// under mask k, weighted 2^k and summed over k, is the sum of their positions in the word.
constexpr uint64_t kPositionMasks[6] = {0xAAAAAAAAAAAAAAAAull, 0xCCCCCCCCCCCCCCCCull, 0xF0F0F0F0F0F0F0F0ull,
                                        0xFF00FF00FF00FF00ull, 0xFFFF0000FFFF0000ull, 0xFFFFFFFF00000000ull};

// Position i*64 + j of bit j of word i, summed over the set bits: 64 * sum(i * popcount) plus
// the six weighted popcounts above. The non-zero words are listed first (branch-free), so a
// sparse selection costs a pass of compares, not seven popcounts a word.
__attribute__((target_clones("popcnt", "default"))) BitSums bit_sums_words(const uint64_t* w, size_t n) {
  uint64_t count = 0, words = 0, p[6] = {};
  uint32_t idx[1024];
  for (size_t base = 0; base < n; base += 1024) {
    size_t m = n - base < 1024 ? n - base : 1024, k = 0;
    for (size_t i = 0; i < m; ++i) {
      idx[k] = static_cast<uint32_t>(base + i);
      k += w[base + i] != 0;
    }
    for (size_t j = 0; j < k; ++j) {
      uint64_t i = idx[j], s = w[i];
      uint64_t c = static_cast<uint64_t>(__builtin_popcountll(s));
      count += c;
      words += c * i;
      for (int b = 0; b < 6; ++b) p[b] += static_cast<uint64_t>(__builtin_popcountll(s & kPositionMasks[b]));
    }
  }
  uint64_t positions = 64 * words;
  for (int b = 0; b < 6; ++b) positions += p[b] << b;
  return {count, positions};
}

#ifdef SEG_VPOPCNT
// The same sums eight words an instruction (VPOPCNTQ): every word, no listing, since a vector
// of eight costs less than listing them would. A rule's count and checksum over a block of a
// big result cost as much as its test did word by word (a `registered_at` range's half).
static __attribute__((target("avx512f,avx512vpopcntdq,popcnt"))) BitSums bit_sums_vpopcnt(const uint64_t* w, size_t n) {
  __m512i count = _mm512_setzero_si512(), words = count, p[6];
  __m512i m[6];
  for (int k = 0; k < 6; ++k) p[k] = count, m[k] = _mm512_set1_epi64(static_cast<long long>(kPositionMasks[k]));
  __m512i at = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);  // each lane's word index (under 2^32: n < 2^32 words here)
  const __m512i eight = _mm512_set1_epi64(8);
  size_t i = 0;
  for (; i + 8 <= n; i += 8, at = _mm512_add_epi64(at, eight)) {
    const __m512i x = _mm512_loadu_si512(w + i), c = _mm512_popcnt_epi64(x);
    count = _mm512_add_epi64(count, c);
    // (maskz: the unmasked form trips GCC 12's -Wmaybe-uninitialized in its header)
    words = _mm512_add_epi64(words, _mm512_maskz_mul_epu32(0xFF, c, at));
    for (int k = 0; k < 6; ++k) p[k] = _mm512_add_epi64(p[k], _mm512_popcnt_epi64(_mm512_and_si512(x, m[k])));
  }
  uint64_t positions = 64 * sum_lanes(words);
  for (int k = 0; k < 6; ++k) positions += sum_lanes(p[k]) << k;
  BitSums rest = bit_sums_words(w + i, n - i);
  return {sum_lanes(count) + rest.count, positions + rest.positions + 64 * i * rest.count};
}
#endif

#ifdef SEG_VPOPCNT
// Without VPOPCNTQ, four words a vector by nibble lookups (VPSHUFB): each byte's bits counted
// and their positions in the byte summed (a high nibble's positions 4 more a bit), the counts
// weighted by the byte's place in its word (8 j) and by the word's (64 i). About five
// instructions a word where the word-by-word loop takes some 25; a dense result's checksum
// (a deposit_total range's 8M members at 10M) was a fifth of the rule's time.
__attribute__((target("avx2"))) BitSums bit_sums_avx2(const uint64_t* w, size_t n) {
  const __m256i nibble = _mm256_set1_epi8(0x0F), zero = _mm256_setzero_si256(), ones = _mm256_set1_epi16(1);
  const __m256i at_low = _mm256_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6,  //
                                          0, 0, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6);
  const __m256i at_high = _mm256_setr_epi8(0, 4, 5, 9, 6, 10, 11, 15, 7, 11, 12, 16, 13, 17, 18, 22,  //
                                           0, 4, 5, 9, 6, 10, 11, 15, 7, 11, 12, 16, 13, 17, 18, 22);
  const __m256i place = _mm256_setr_epi8(0, 8, 16, 24, 32, 40, 48, 56, 0, 8, 16, 24, 32, 40, 48, 56,  //
                                         0, 8, 16, 24, 32, 40, 48, 56, 0, 8, 16, 24, 32, 40, 48, 56);
  __m256i count = zero, words = zero, inside = zero, places = zero;
  __m256i at = _mm256_setr_epi64x(0, 1, 2, 3);  // each lane's word index (under 2^32: n < 2^32 words here)
  const __m256i four = _mm256_set1_epi64x(4);
  size_t i = 0;
  for (; i + 4 <= n; i += 4, at = _mm256_add_epi64(at, four)) {
    // A sparse result's empty words (Q3's: nearly all) are skipped sixteen at a time: skipping
    // four at a time mispredicted on every other step of a result with a word in five set (Q1's).
    if (i % 16 == 0 && i + 16 <= n) {
      const __m256i* v = reinterpret_cast<const __m256i*>(w + i);
      const __m256i all = _mm256_or_si256(_mm256_or_si256(_mm256_loadu_si256(v), _mm256_loadu_si256(v + 1)),
                                          _mm256_or_si256(_mm256_loadu_si256(v + 2), _mm256_loadu_si256(v + 3)));
      if (_mm256_testz_si256(all, all)) {
        i += 12, at = _mm256_add_epi64(at, _mm256_set1_epi64x(12));
        continue;
      }
    }
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i));
    const __m256i lo = _mm256_and_si256(x, nibble), hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble);
    const __m256i c = byte_counts_avx2(x);                                                                 // <= 8
    const __m256i s = _mm256_add_epi8(_mm256_shuffle_epi8(at_low, lo), _mm256_shuffle_epi8(at_high, hi));  // <= 28
    const __m256i wc = _mm256_sad_epu8(c, zero);  // a word's bits, in its lane
    count = _mm256_add_epi64(count, wc);
    words = _mm256_add_epi64(words, _mm256_mul_epu32(wc, at));
    inside = _mm256_add_epi64(inside, _mm256_sad_epu8(s, zero));
    // 8 j c_j summed four bytes a 32-bit lane (at most 1,408 a step; n < 2^21 words keeps it
    // under 2^31, and bit_sums is called a block, 1,024 words, at a time; larger n in pieces)
    places = _mm256_add_epi32(places, _mm256_madd_epi16(_mm256_maddubs_epi16(c, place), ones));
  }
  alignas(32) uint64_t l[4][4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(l[0]), count);
  _mm256_store_si256(reinterpret_cast<__m256i*>(l[1]), words);
  _mm256_store_si256(reinterpret_cast<__m256i*>(l[2]), inside);
  _mm256_store_si256(reinterpret_cast<__m256i*>(l[3]), places);
  uint64_t total = 0, positions = 0;
  for (int k = 0; k < 4; ++k)
    total += l[0][k], positions += 64 * l[1][k] + l[2][k] + (l[3][k] & 0xFFFFFFFFu) + (l[3][k] >> 32);
  BitSums rest = bit_sums_words(w + i, n - i);
  return {total + rest.count, positions + rest.positions + 64 * i * rest.count};
}

// Whether the processor has AVX2, asked once.
bool has_avx2() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
  }();
  return has;
}
#endif

BitSums bit_sums(const uint64_t* w, size_t n) {
#ifdef SEG_VPOPCNT
  using Fn = BitSums (*)(const uint64_t*, size_t);
  static const Fn fn = has_vpopcnt() ? Fn{bit_sums_vpopcnt} : has_avx2() ? Fn{bit_sums_avx2} : Fn{bit_sums_words};
  if (fn == bit_sums_avx2 && n >= (size_t{1} << 20)) {  // its 32-bit sums, in pieces (see there)
    BitSums a = bit_sums_avx2(w, n / 2), b = bit_sums(w + n / 2, n - n / 2);
    return {a.count + b.count, a.positions + b.positions + 64 * (n / 2) * b.count};
  }
  return fn(w, n);
#else
  return bit_sums_words(w, n);
#endif
}

}  // namespace seg::rt
