// Word-array helpers compiled twice, with and without POPCNT, picked by the loader (ifunc).
#include "runtime/storage/bits.hpp"

namespace seg::rt {

__attribute__((target_clones("popcnt", "default"))) uint64_t popcount_words(const uint64_t* w, size_t n) {
  uint64_t c = 0;
  for (size_t i = 0; i < n; ++i) c += static_cast<uint64_t>(__builtin_popcountll(w[i]));
  return c;
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
