// Column layouts of the store: flat, pointer-based views that work the same over owned
// memory and over a memory-mapped snapshot (so opening a snapshot parses nothing).
#pragma once
#include <cstdint>
#include <string_view>

#include "runtime/storage/runs.hpp"
#include "runtime/storage/tag_buckets.hpp"
#include "runtime/storage/tag_sparse.hpp"
#include "schema/schema.hpp"

namespace seg::rt {

// Per 65536-row block of an ordered column: min/max of the non-null values and how many
// there are; a block with no value in a predicate's range is skipped without reading it.
struct Zone {
  int64_t min = 0;
  int64_t max = 0;
  uint32_t valid = 0;  // non-null rows in the block
  uint32_t reserved = 0;
};

// A tag's rows within one chunk: kind 0 = empty, 1 = sorted uint16 array of `card` row
// offsets, 2 = 1024-word bitmap, 3 = bucketed bytes (tag_buckets.hpp; snapshot version 9),
// 4 = sparse bytes (tag_sparse.hpp; version 11). `offset` is in bytes into the column's
// container data.
struct Container {
  uint32_t card = 0;
  uint32_t kind = 0;
  uint64_t offset = 0;
};
enum : uint32_t { kEmpty = 0, kArray = 1, kBitmap = 2, kBucketed = 3, kSparse = 4 };
// Bytes a container's rows take in the column's tag data (an array's without the padding to
// 8 bytes that the next one starts after). Sparse bytes take at most this: how many bytes they
// keep depends on where the rows fall (sparse_bytes_for(sparse_kept_count(p)) is exact).
inline uint64_t container_bytes(uint32_t kind, uint64_t card) {
  switch (kind) {
    case kArray: return card * 2;
    case kBitmap: return kBlockWords * 8;
    case kBucketed: return bucket_bytes(card);
    case kSparse: return sparse_bytes_for(card < kBlockRows / 8 ? card : kBlockRows / 8);
    default: return 0;
  }
}

// How a number column's offsets are kept. A column whose every row holds min + row (the
// auto-increment ids of most CRM tables) is a sequence: its offsets are the row numbers, and
// it costs no bytes. A sliced column keeps each offset's bytes in separate arrays, most
// significant first (ByteSlice): a range test reads the first two bytes of every row and the
// next ones only where those equal a bound's, and offsets need only as many bytes as their
// bits (docs/decisions.md, 55). A column of bit planes keeps 1-byte offsets of at most 5 bits
// (a stage, a country) as one bitmap per bit, most significant first: it costs as many
// eighths of a byte a row as its offsets have bits (decision 58). A column of arithmetic runs
// keeps only where each run of equal steps begins (runs.hpp; decision 85): ids numbered with a
// stride, a constant, cost a few bytes a run.
enum : uint32_t { kOffsets = 0, kSequence = 1, kSliced = 2, kPlanes = 3, kRuns = 4 };
// A 1-byte column whose offsets need at most this many bits is kept as bit planes. Beyond it
// putting a word's bytes together costs more than the bytes it saves reading (a spot's 7
// planes: 1.1-1.4x slower than its bytes; decision 58).
inline constexpr unsigned kMaxPlanes = 5;
// A column gets a frequent-value bitmap when one value is on at least 1 row in this many.
inline constexpr uint64_t kFrequentShare = 8;
// Packed slices (decision 59): packed_start for `words` 64-row words (words + 1 entries),
// from the frequent bitmap; returns the count of the other rows (the last entry).
inline uint64_t packed_starts(uint64_t words, const uint64_t* frequent, uint32_t* start) {
  uint64_t at = 0;
  for (uint64_t w = 0; w < words; ++w) {
    start[w] = static_cast<uint32_t>(at);
    at += 64 - static_cast<uint64_t>(__builtin_popcountll(frequent[w]));
  }
  start[words] = static_cast<uint32_t>(at);
  return at;
}
// A packed slice's bytes for `others` rows: padded past them by a line (a word's last load
// reads 64 bytes from its first row).
inline uint64_t packed_stride(uint64_t others) { return (others + 63) / 64 * 64 + 64; }

// Fixed-size description of one column, stored verbatim in snapshots (little-endian).
struct ColumnMeta {
  uint32_t field = 0;
  uint8_t type = 0;       // FieldType
  uint8_t width = 1;      // bytes per stored offset: 1, 2, 4 or 8
  uint8_t has_nulls = 0;  // a validity bitmap is present
  uint8_t has_values = 0; // at least one non-null value (min/max meaningful)
  int64_t base = 0;       // stored value = base + offset (frame of reference)
  uint64_t max_offset = 0;
  uint64_t null_count = 0;
  int64_t min = 0, max = 0;  // of the non-null values
  uint64_t tag_count = 0;    // set columns: dictionary values with a row in the container directory
  uint64_t chunks = 0;       // set columns: number of 65536-row chunks
  uint64_t string_count = 0; // string columns: size of the column's own dictionary
  // Value index (runtime/storage/value_index.hpp): rows listed in value order, found through
  // a directory of buckets of `index_shift` low bits. 0 rows: the column has no index.
  uint64_t index_rows = 0;
  uint64_t index_buckets = 0;
  uint32_t index_shift = 0;
  uint32_t encoding = 0;  // kOffsets, kSequence (offset = row, no bytes; version 2), kSliced (version 3), kPlanes (version 5),
                          // kRuns (version 12)
  // Sliced columns: the byte arrays (1-8) and the shift that puts the offsets' top bit at the
  // top of the first: slice k holds byte (slices - 1 - k) of (offset << slice_shift), or of
  // (offset >> slice_tail) when the column has a tail.
  // Bit planes: `slices` bitmaps (1-5), plane k holding bit (slices - 1 - k) of each offset.
  uint8_t slices = 0;
  uint8_t slice_shift = 0;
  // A value on at least one row in kFrequentShare (deposit_total's zero): its rows as a bitmap
  // (Column::frequent), which answers `= value`, `!= value`, and a range that leaves out only
  // it, reading a bit a row (version 4; docs/decisions.md, 57).
  uint8_t has_frequent = 0;
  // Sliced with a frequent value: the slices hold only the other rows, in row order (version 6;
  // decision 59). Column::packed_start finds a word's first.
  uint8_t packed = 0;
  // Value index (version 7): bytes a listed row takes, 3 (stores of at most 2^24 rows) or 4 (0:
  // no index); and whether it is dense: every offset of [0, max_offset] on exactly one row (ids
  // numbered without gaps), so the row of offset v is listed at position v and no directory is
  // kept. Older snapshots' indexes are 4 bytes a row with a directory.
  uint8_t index_row_bytes = 0;
  uint8_t index_dense = 0;
  // A dense index from version 8 lists not the row of each offset but its block, `row >>
  // index_shift`, in this many bits (12 up to 2^24 rows: blocks of 4096 rows at 10M; 16
  // beyond); a lookup scans that block for the value (decision 64). 0 in older files, whose
  // dense indexes list whole rows of index_row_bytes (read as blocks of one row).
  uint8_t index_entry_bits = 0;
  // Sliced (version 8; packed too from version 10): offsets of at least 17 bits that end
  // inside a byte keep their last `slice_tail` bits (1-7) as bit planes after the byte slices,
  // a bit for each byte of a slice, and the slices then hold offset >> slice_tail with no
  // shift: a 27-bit timestamp takes 3 bytes and 3 bits a row instead of 4 bytes (decisions
  // 65, 67).
  uint8_t slice_tail = 0;
  uint64_t frequent_offset = 0;
};
static_assert(sizeof(ColumnMeta) == 112);

// A column as the evaluator sees it. Numbers, bools, enum codes and string codes are
// frame-of-reference integers; sets are per-value containers per chunk.
struct Column {
  ColumnMeta meta;
  FieldType type = FieldType::Int;
  const uint8_t* data = nullptr;    // offsets, width bytes each, padded to whole 64-row words; none for a sequence;
                                    // a sliced column's `slices` arrays of one byte a row, `stride` bytes apart;
                                    // bit planes: `slices` bitmaps, `stride` bytes apart
  uint64_t stride = 0;              // sliced, planes: bytes from one slice or plane to the next
  const uint64_t* valid = nullptr;  // 1 = not null; nullptr when the column has no nulls
  const Zone* zones = nullptr;      // one per block (ordered and code columns)
  // Set columns.
  const Container* dir = nullptr;   // [tag * chunks + chunk]
  const uint8_t* tag_data = nullptr;
  uint64_t tag_data_size = 0;
  const uint64_t* nonempty = nullptr;  // set columns: rows with at least one value
  // String columns: the column's own dictionary (codes are positions).
  const uint64_t* str_offsets = nullptr;  // string_count + 1 entries into str_blob
  const char* str_blob = nullptr;
  // Value index: the non-null rows in (value, row) order, meta.index_row_bytes each
  // (index_row_at), and per bucket (offset >> index_shift) the position of its first row;
  // index_buckets + 1 entries. A dense index has no directory, and lists the block of each
  // offset's row instead (index_block_at).
  const uint8_t* index_row = nullptr;
  const uint32_t* index_dir = nullptr;
  // Rows whose offset is meta.frequent_offset (not null), when meta.has_frequent.
  const uint64_t* frequent = nullptr;
  // Packed slices (meta.packed): per 64-row word, the position in the slices of its first row
  // that is not the frequent value's (a count of those before it; made on opening).
  const uint32_t* packed_start = nullptr;
  // Arithmetic runs (kRuns): `data` holds run_count runs and their sentinel; run_block, per
  // 65536-row block, the run holding its first row (blocks + 1 entries; made on opening).
  const Run* runs = nullptr;
  uint64_t run_count = 0;
  const uint32_t* run_block = nullptr;

  bool is_sequence() const { return meta.encoding == kSequence; }
  bool is_sliced() const { return meta.encoding == kSliced; }
  bool is_planes() const { return meta.encoding == kPlanes; }
  bool is_runs() const { return meta.encoding == kRuns; }
  // The run holding `row`: bisected among those of its block.
  const Run& run_of(uint64_t row) const {
    const Run* first = runs + run_block[row >> kBlockShift];
    const Run* last = runs + run_block[(row >> kBlockShift) + 1] + 1;  // the next block's first may start before
    return *(std::upper_bound(first, last, row, [](uint64_t r, const Run& x) { return r < x.row; }) - 1);
  }
  uint64_t offset_at(uint64_t row) const {
    if (is_sequence()) return row;
    if (is_runs()) {
      const Run& r = run_of(row);
      return r.offset + static_cast<uint64_t>(r.step) * (row - r.row);
    }
    if (is_planes()) {
      const auto* p = reinterpret_cast<const uint64_t*>(data) + (row >> 6);
      uint64_t v = 0;
      for (unsigned k = 0; k < meta.slices; ++k) v = v << 1 | ((p[k * (stride / 8)] >> (row & 63)) & 1);
      return v;
    }
    if (is_sliced()) {
      uint64_t at = row;
      if (meta.packed) {
        const uint64_t f = frequent[row >> 6], below = (uint64_t{1} << (row & 63)) - 1;
        if ((f >> (row & 63)) & 1) return meta.frequent_offset;
        at = packed_start[row >> 6] + static_cast<uint64_t>(__builtin_popcountll(~f & below));
      }
      uint64_t v = 0;
      for (unsigned k = 0; k < meta.slices; ++k) v = v << 8 | data[k * stride + at];
      if (meta.slice_tail) {  // a bit for each byte of a slice: at `at` too
        const uint64_t* t = tail_planes() + (at >> 6);
        for (unsigned j = 0; j < meta.slice_tail; ++j) v = v << 1 | ((t[j * (stride / 64)] >> (at & 63)) & 1);
      }
      return v >> meta.slice_shift;
    }
    switch (meta.width) {
      case 1: return data[row];
      case 2: return reinterpret_cast<const uint16_t*>(data)[row];
      case 4: return reinterpret_cast<const uint32_t*>(data)[row];
      default: return reinterpret_cast<const uint64_t*>(data)[row];
    }
  }
  // Wraps like the stored form: base + offset is exact in two's complement.
  int64_t value_at(uint64_t row) const {
    return static_cast<int64_t>(static_cast<uint64_t>(meta.base) + offset_at(row));
  }
  // The row listed at position `i` of a bucketed value index.
  uint64_t index_row_at(uint64_t i) const {
    const uint8_t* p = index_row + i * meta.index_row_bytes;
    uint64_t r = uint64_t{p[0]} | uint64_t{p[1]} << 8 | uint64_t{p[2]} << 16;
    return meta.index_row_bytes == 4 ? r | uint64_t{p[3]} << 24 : r;
  }
  // The block (row >> meta.index_shift) listed at position `i` of a dense value index.
  uint64_t index_block_at(uint64_t i) const {
    if (meta.index_entry_bits == 12) {  // two entries in three bytes, the first in the low bits
      const uint8_t* p = index_row + i * 3 / 2;
      const uint64_t v = uint64_t{p[0]} | uint64_t{p[1]} << 8;
      return i & 1 ? v >> 4 : v & 0xFFF;
    }
    const uint8_t* p = index_row + i * (meta.index_entry_bits / 8);
    uint64_t v = uint64_t{p[0]} | uint64_t{p[1]} << 8;
    if (meta.index_entry_bits >= 24) v |= uint64_t{p[2]} << 16;
    if (meta.index_entry_bits == 32) v |= uint64_t{p[3]} << 24;
    return v;
  }
  // A sliced column's tail (meta.slice_tail planes of stride bits, stride / 64 words apart)
  // after its slices.
  const uint64_t* tail_planes() const { return reinterpret_cast<const uint64_t*>(data + meta.slices * stride); }
  bool is_null(uint64_t row) const { return valid && !((valid[row >> 6] >> (row & 63)) & 1); }
  std::string_view string_at_code(uint64_t code) const {
    return {str_blob + str_offsets[code], static_cast<size_t>(str_offsets[code + 1] - str_offsets[code])};
  }
  const Container& container(uint64_t tag, uint64_t chunk) const { return dir[tag * meta.chunks + chunk]; }
};

}  // namespace seg::rt
