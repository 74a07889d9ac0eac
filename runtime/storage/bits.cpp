// Word-array helpers compiled twice, with and without POPCNT, picked by the loader (ifunc);
// popcount_words also has an AVX-512 VPOPCNTQ version (eight words an instruction), picked
// once at run time: the shared pass counts 8 KB per segment and block with it.
#include "runtime/storage/bits.hpp"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(SEG_NO_SIMD)
#include <immintrin.h>
#define SEG_VPOPCNT 1
#endif

namespace seg::rt {
namespace {

__attribute__((target_clones("popcnt", "default"))) uint64_t popcount_plain(const uint64_t* w, size_t n) {
  uint64_t c = 0;
  for (size_t i = 0; i < n; ++i) c += static_cast<uint64_t>(__builtin_popcountll(w[i]));
  return c;
}

#ifdef SEG_VPOPCNT
__attribute__((target("avx512f,avx512vpopcntdq,popcnt"))) uint64_t popcount_vpopcnt(const uint64_t* w, size_t n) {
  __m512i acc = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_loadu_si512(w + i)));
  // (Not _mm512_reduce_add_epi64: GCC 12's header trips -Wuninitialized in it.)
  alignas(64) uint64_t lanes[8];
  _mm512_store_si512(lanes, acc);
  uint64_t c = 0;
  for (uint64_t x : lanes) c += x;
  for (; i < n; ++i) c += static_cast<uint64_t>(__builtin_popcountll(w[i]));
  return c;
}
#endif

}  // namespace

uint64_t popcount_words(const uint64_t* w, size_t n) {
#ifdef SEG_VPOPCNT
  static const bool vpopcnt = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
  }();
  if (vpopcnt) return popcount_vpopcnt(w, n);
#endif
  return popcount_plain(w, n);
}

// Position i*64 + j of bit j of word i, summed over the set bits: 64 * sum(i * popcount) plus,
// for each of the six bits of j, the popcount of the bits whose index has it, weighted. The
// non-zero words are listed first (branch-free), so a sparse selection costs a pass of
// compares, not seven popcounts a word.
__attribute__((target_clones("popcnt", "default"))) BitSums bit_sums(const uint64_t* w, size_t n) {
  uint64_t count = 0, words = 0, p0 = 0, p1 = 0, p2 = 0, p3 = 0, p4 = 0, p5 = 0;
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
      p0 += static_cast<uint64_t>(__builtin_popcountll(s & 0xAAAAAAAAAAAAAAAAull));
      p1 += static_cast<uint64_t>(__builtin_popcountll(s & 0xCCCCCCCCCCCCCCCCull));
      p2 += static_cast<uint64_t>(__builtin_popcountll(s & 0xF0F0F0F0F0F0F0F0ull));
      p3 += static_cast<uint64_t>(__builtin_popcountll(s & 0xFF00FF00FF00FF00ull));
      p4 += static_cast<uint64_t>(__builtin_popcountll(s & 0xFFFF0000FFFF0000ull));
      p5 += static_cast<uint64_t>(__builtin_popcountll(s & 0xFFFFFFFF00000000ull));
    }
  }
  return {count, 64 * words + p0 + 2 * p1 + 4 * p2 + 8 * p3 + 16 * p4 + 32 * p5};
}

}  // namespace seg::rt
