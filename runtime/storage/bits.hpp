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
// A tag container is a bitmap above this many rows, or sparse bytes where smaller
// (tag_sparse.hpp); below it, a sorted uint16 array or bucketed bytes (tag_buckets.hpp) up to
// kSparseMin rows and sparse bytes from there.
// Measured on the workload (docs/runtime.md): 2048 rather than Roaring's 4096 makes the
// busiest `any` rule 15% faster for 0.2 bytes per client, since ORing a bitmap beats
// scattering a few thousand bits.
inline constexpr uint32_t kArrayMax = 2048;
// From this many rows up to kArrayMax a tag's container is sparse bytes although bucketed
// bytes would be smaller (decision 92): `any` of many such tags put every row of a list into
// the result one store at a time, where sparse bytes are expanded a word at a time (with VBMI2
// 8 words a step). About 1.3% of a chunk's rows; on the reference data T008-T031 and the like,
// +0.3 bytes a client (15.1 -> 15.4), Q4 1.6x and one such tag about 3x faster on a Zen 5.
inline constexpr uint32_t kSparseMin = 850;

// Bytes of a set column's tag data that can be read past a container's end, in whole
// vectors whatever the container's last one needs: a bucketed container's low bytes 32 at a
// time (decode_buckets_vbmi2), sparse bytes 64 at a time (expand_sparse_vbmi2). A masked load
// cost this machine's AMD core several times a plain one. What is read there, another
// container or padding at the data's end, is ignored.
inline constexpr uint64_t kTagReadPast = 64;

inline constexpr uint64_t words_for(uint64_t rows) { return (rows + 63) / 64; }
inline constexpr uint64_t blocks_for(uint64_t rows) { return (rows + kBlockRows - 1) / kBlockRows; }

inline bool test_bit(const uint64_t* w, uint64_t i) { return (w[i >> 6] >> (i & 63)) & 1; }
inline void set_bit(uint64_t* w, uint64_t i) { w[i >> 6] |= uint64_t{1} << (i & 63); }

// Bits set in each byte of a word, each in its byte.
inline uint64_t byte_popcounts(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  return (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
}
// Bits set in one word, inline: the x86-64 baseline has no POPCNT instruction, and
// std::popcount there is a call into libgcc (12% of a scan's time, measured).
inline uint64_t popcount64(uint64_t x) { return (byte_popcounts(x) * 0x0101010101010101ull) >> 56; }
// Bits set in n words; uses POPCNT where the CPU has it (chosen once, at load time).
uint64_t popcount_words(const uint64_t* w, size_t n);
// The set bits of n words and the sum of their positions (bit j of word i is at i * 64 + j),
// both mod 2^64: what an id checksum needs where ids are consecutive (id = first + position).
struct BitSums {
  uint64_t count = 0;
  uint64_t positions = 0;
};
BitSums bit_sums(const uint64_t* w, size_t n);
// The same word by word (what bit_sums runs where the processor has no VPOPCNTQ; for tests).
BitSums bit_sums_words(const uint64_t* w, size_t n);
#if defined(__x86_64__) && defined(__GNUC__) && !defined(SEG_NO_SIMD)
// The same four words at a time (AVX2: what bit_sums runs without VPOPCNTQ; for tests, where
// has_avx2()).
BitSums bit_sums_avx2(const uint64_t* w, size_t n);
bool has_avx2();
#endif

// Mask of the rows of word `word` (within the whole table) that exist: all ones except in
// the table's last, partial word.
inline uint64_t tail_mask(uint64_t rows, uint64_t word) {
  uint64_t first = word * 64;
  if (first + 64 <= rows) return ~uint64_t{0};
  if (first >= rows) return 0;
  return (uint64_t{1} << (rows - first)) - 1;
}

}  // namespace seg::rt
