// Block geometry and 64-bit word helpers shared by the store and the evaluator.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>

namespace seg::rt {

// One evaluation block is one tag chunk: 65536 rows = 1024 selection words, so a set
// predicate works on exactly one container per tag and a block's selection fits in L1 (8 KB).
inline constexpr uint32_t kBlockShift = 16;
inline constexpr uint64_t kBlockRows = uint64_t{1} << kBlockShift;
inline constexpr uint32_t kBlockWords = kBlockRows / 64;
// A tag container switches from a sorted uint16 array to a bitmap above this many rows
// (2 bytes per member against 8 KB per chunk: the break-even, as in Roaring).
inline constexpr uint32_t kArrayMax = 4096;

inline constexpr uint64_t words_for(uint64_t rows) { return (rows + 63) / 64; }
inline constexpr uint64_t blocks_for(uint64_t rows) { return (rows + kBlockRows - 1) / kBlockRows; }

inline bool test_bit(const uint64_t* w, uint64_t i) { return (w[i >> 6] >> (i & 63)) & 1; }
inline void set_bit(uint64_t* w, uint64_t i) { w[i >> 6] |= uint64_t{1} << (i & 63); }

inline uint64_t popcount_words(const uint64_t* w, size_t n) {
  uint64_t c = 0;
  for (size_t i = 0; i < n; ++i) c += static_cast<uint64_t>(std::popcount(w[i]));
  return c;
}

// Mask of the rows of word `word` (within the whole table) that exist: all ones except in
// the table's last, partial word.
inline uint64_t tail_mask(uint64_t rows, uint64_t word) {
  uint64_t first = word * 64;
  if (first + 64 <= rows) return ~uint64_t{0};
  if (first >= rows) return 0;
  return (uint64_t{1} << (rows - first)) - 1;
}

}  // namespace seg::rt
