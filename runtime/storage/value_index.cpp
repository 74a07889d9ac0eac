// The value index: non-null rows sorted by (offset, row), and a directory of buckets (the
// offset's high bits) pointing into them. 3 bytes a row up to 2^24 rows (4 beyond) plus 4 per
// bucket, about one bucket per 8 to 16 rows: a lookup reads one directory entry and bisects a
// bucket of ~12 rows through the column (about five cache misses), where a hash table or a
// copy of the values beside the rows would cost 4 to 8 more bytes a client. A dense column
// (every offset of its range on exactly one row: ids numbered without gaps) needs neither the
// directory nor the bisection: position v lists the block of 4096 rows (at 10M) holding offset
// v, in 12 bits, and a lookup scans that block's top byte slice for it (decisions 62, 64).
#include "runtime/storage/value_index.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>

#include "runtime/storage/bits.hpp"

#if defined(__SSE2__) && !defined(SEG_NO_SIMD)
#include <emmintrin.h>
#define SEG_INDEX_SSE2 1
#endif

namespace seg::rt {
namespace {

void* alloc_bytes(Store& s, uint64_t n) {
  uint64_t size = std::max<uint64_t>(64, (n + 63) / 64 * 64);
  void* p = std::aligned_alloc(64, size);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, size);  // snapshot padding must be zero
  StoreAccess::keep(s).emplace_back(p, [](const void* q) { std::free(const_cast<void*>(q)); });
  return p;
}

// Bytes a listed row takes in a store of `n` rows.
uint8_t row_bytes(uint64_t n) { return n <= (uint64_t{1} << 24) ? 3 : 4; }

// Writes `rows` into the index's row list (row_bytes each, little-endian) and records it.
void keep_rows(Store& s, int field, const std::vector<uint32_t>& rows, uint64_t n) {
  const uint8_t width = row_bytes(n);
  auto* out = static_cast<uint8_t*>(alloc_bytes(s, std::max<uint64_t>(rows.size(), 1) * width));
  for (size_t i = 0; i < rows.size(); ++i)
    for (uint8_t k = 0; k < width; ++k) out[i * width + k] = static_cast<uint8_t>(rows[i] >> (8 * k));
  Column& col = StoreAccess::columns(s)[static_cast<size_t>(field)];
  col.meta.index_rows = rows.size();
  col.meta.index_row_bytes = width;
  col.index_row = out;
  StoreAccess::sections(s).push_back({static_cast<uint32_t>(field), SectionKind::IndexRows, out, rows.size() * width});
}

// Bits a dense index's entry takes, and the shift that turns a row into its block: 12 bits up
// to 2^24 rows (blocks of 4096 rows at 10M, 256 at 1M), 16 beyond. A lookup scans a block's
// top byte slice (4 KB at 10M, 64 lines): 1.5 bytes a client instead of 3 for the row, for
// lookups of about a microsecond instead of one cache miss (decision 64).
uint8_t dense_entry_bits(uint64_t n) { return n <= (uint64_t{1} << 24) ? 12 : 16; }
uint32_t dense_shift(uint64_t n, uint8_t bits) {
  const auto w = static_cast<uint32_t>(std::bit_width(n > 0 ? n - 1 : 0));
  return w > bits ? w - bits : 0;
}

// The dense case: each offset of [0, max_offset] on exactly one row. Lists each offset's block
// by offset and returns true, or false (nothing kept) when an offset repeats.
bool build_dense_index(Store& s, int field) {
  const Column& c = s.column(field);
  const uint64_t n = s.rows();
  const uint64_t values = c.meta.max_offset + 1;
  std::vector<uint32_t> rows(values, UINT32_MAX);
  for (uint64_t r = 0; r < n; ++r) {
    if (c.is_null(r)) continue;
    const uint64_t o = c.offset_at(r);
    if (o > c.meta.max_offset || rows[o] != UINT32_MAX) return false;
    rows[o] = static_cast<uint32_t>(r);
  }
  const uint8_t bits = dense_entry_bits(n);
  const uint32_t shift = dense_shift(n, bits);
  const uint64_t size = (values * bits + 7) / 8;
  auto* out = static_cast<uint8_t*>(alloc_bytes(s, size));
  for (uint64_t i = 0; i < values; ++i) {
    const uint64_t b = rows[i] >> shift;
    if (bits == 12) {
      uint8_t* p = out + i * 3 / 2;
      if (i & 1) {
        p[0] = static_cast<uint8_t>(p[0] | (b & 0xF) << 4);
        p[1] = static_cast<uint8_t>(b >> 4);
      } else {
        p[0] = static_cast<uint8_t>(b);
        p[1] = static_cast<uint8_t>(b >> 8 & 0xF);
      }
    } else {
      out[i * 2] = static_cast<uint8_t>(b);
      out[i * 2 + 1] = static_cast<uint8_t>(b >> 8);
    }
  }
  Column& col = StoreAccess::columns(s)[static_cast<size_t>(field)];
  col.meta.index_rows = values;
  col.meta.index_row_bytes = 0;
  col.meta.index_entry_bits = bits;
  col.meta.index_dense = 1;
  col.meta.index_buckets = 0;
  col.meta.index_shift = shift;
  col.index_row = out;
  StoreAccess::sections(s).push_back({static_cast<uint32_t>(field), SectionKind::IndexRows, out, size});
  return true;
}

bool sorted_id_column(const Store& s, int field) {
  return field == s.id_field() && s.ids_sorted() && !s.column(field).valid;
}

// First position p in [b, e) with offset_of(p) >= v (offsets non-decreasing there).
template <class OffsetOf>
uint64_t first_at_least(uint64_t b, uint64_t e, uint64_t v, OffsetOf offset_of) {
  while (b < e) {
    uint64_t m = b + (e - b) / 2;
    if (offset_of(m) < v) b = m + 1;
    else e = m;
  }
  return b;
}

}  // namespace

bool build_value_index(Store& s, int field, IndexFor why) {
  const Column& c = s.column(field);
  uint64_t n = s.rows();
  if (c.index_row) return true;
  const bool ranges = why == IndexFor::Ranges;
  const bool typed = c.type == FieldType::Int || (ranges && c.type == FieldType::Timestamp);
  if (!typed || !c.meta.has_values || c.meta.width > 4 || n >= (uint64_t{1} << 32)) return false;
  if (sorted_id_column(s, field)) return false;
  uint64_t present = n - c.meta.null_count;
  // As many possible values as rows: if none repeats, the dense index.
  if (present > 0 && c.meta.max_offset + 1 == present && build_dense_index(s, field)) return true;
  // Fewer possible values than a quarter of the rows: low cardinality, a scan is the way.
  if (!ranges && c.meta.max_offset + 1 < present / kIndexMaxRepeat) return false;
  // Buckets: a power of two near one per 8-16 rows, over the offset's high bits.
  uint64_t want = std::bit_ceil(std::max<uint64_t>(1, present / 16));
  uint32_t bits = static_cast<uint32_t>(std::bit_width(c.meta.max_offset));
  uint32_t want_bits = static_cast<uint32_t>(std::countr_zero(want));
  uint32_t shift = bits > want_bits ? bits - want_bits : 0;
  uint64_t buckets = (c.meta.max_offset >> shift) + 1;

  std::vector<uint32_t> count(buckets + 1, 0);
  uint64_t seen = 0;
  for (uint64_t r = 0; r < n; ++r) {
    if (c.is_null(r)) continue;
    // A snapshot whose description disagrees with its values (a damaged file read without
    // verification) gets no index rather than writes past its buckets.
    if (c.offset_at(r) > c.meta.max_offset) return false;
    ++count[(c.offset_at(r) >> shift) + 1];
    ++seen;
  }
  if (seen != present) return false;
  for (uint64_t b = 0; b < buckets; ++b) count[b + 1] += count[b];
  std::vector<uint32_t> rows(present);
  {
    std::vector<uint32_t> at(count.begin(), count.end() - 1);
    for (uint64_t r = 0; r < n; ++r)
      if (!c.is_null(r)) rows[at[c.offset_at(r) >> shift]++] = static_cast<uint32_t>(r);
  }
  // Within a bucket rows are in row order; order them by value (ties stay in row order).
  uint64_t distinct = 0;
  std::vector<uint64_t> keys;
  for (uint64_t b = 0; b < buckets; ++b) {
    uint32_t lo = count[b], hi = count[b + 1];
    if (hi - lo > 1) {
      keys.clear();
      for (uint32_t i = lo; i < hi; ++i) keys.push_back((c.offset_at(rows[i]) - (b << shift)) << 32 | rows[i]);
      std::sort(keys.begin(), keys.end());
      for (uint32_t i = lo; i < hi; ++i) rows[i] = static_cast<uint32_t>(keys[i - lo]);
    }
    for (uint32_t i = lo; i < hi; ++i) distinct += i == lo || c.offset_at(rows[i]) != c.offset_at(rows[i - 1]);
  }
  if (!ranges && distinct * kIndexMaxRepeat < present) return false;  // values repeat: scans serve it

  auto* dir = static_cast<uint32_t*>(alloc_bytes(s, (buckets + 1) * 4));
  std::memcpy(dir, count.data(), (buckets + 1) * 4);
  Column& col = StoreAccess::columns(s)[static_cast<size_t>(field)];
  col.meta.index_buckets = buckets;
  col.meta.index_shift = shift;
  col.index_dir = dir;
  StoreAccess::sections(s).push_back({static_cast<uint32_t>(field), SectionKind::IndexDir, dir, (buckets + 1) * 4});
  keep_rows(s, field, rows, n);
  return true;
}

bool has_row_lookup(const Store& s, int field) {
  return s.column(field).index_row || sorted_id_column(s, field);
}

std::optional<uint64_t> row_of_id(const Store& s, int64_t id) {
  const int f = s.id_field();
  if (!has_row_lookup(s, f)) {
    for (uint64_t r = 0; r < s.rows(); ++r)
      if (s.id_at(r) == id) return r;
    return std::nullopt;
  }
  const Column& c = s.column(f);
  if (!c.meta.has_values || id < c.meta.base) return std::nullopt;
  const uint64_t off = static_cast<uint64_t>(id) - static_cast<uint64_t>(c.meta.base);
  std::vector<uint64_t> rows;
  lookup_rows(s, f, off, off, 1, rows);  // ids are unique: one row at most
  if (rows.empty()) return std::nullopt;
  return rows[0];
}

namespace {

// Where the rows of `field` holding offsets in [lo, hi] are listed: positions [first, last) of
// its value index, or rows [first, last) of the id column when ids grow with the row.
std::pair<uint64_t, uint64_t> listed_span(const Store& s, const Column& c, uint64_t lo, uint64_t hi) {
  if (!c.meta.has_values || lo > hi || lo > c.meta.max_offset) return {0, 0};
  hi = std::min(hi, c.meta.max_offset);
  if (c.index_row && c.meta.index_dense) return {lo, hi + 1};  // hi <= max_offset, the last position
  if (c.index_row) {
    uint32_t sh = c.meta.index_shift;
    uint64_t b0 = lo >> sh, b1 = hi >> sh;
    auto by_index = [&](uint64_t p) { return c.offset_at(c.index_row_at(p)); };
    uint64_t first = first_at_least(c.index_dir[b0], c.index_dir[b0 + 1], lo, by_index);
    uint64_t last = first_at_least(c.index_dir[b1], c.index_dir[b1 + 1], hi + 1, by_index);
    return {first, std::max(first, last)};
  }
  // The id column with ids growing by row: offsets increase with the row, bisect them.
  auto by_row = [&](uint64_t r) { return c.offset_at(r); };
  uint64_t first = first_at_least(0, s.rows(), lo, by_row);
  if (hi == UINT64_MAX) return {first, s.rows()};  // hi + 1 would wrap (8-byte offsets)
  return {first, std::max(first, first_at_least(first, s.rows(), hi + 1, by_row))};
}

// Appends the rows in [r0, r1) whose offset lies in [lo, hi] (not null). A sliced column is
// filtered on its first slice, the offsets' top byte (16 rows a compare), and only the rows
// whose top byte falls in [lo, hi]'s are read whole: at 10M about 27 of a block's 4096 for one
// value. Other layouts read each row's offset.
void scan_rows(const Column& c, uint64_t r0, uint64_t r1, uint64_t lo, uint64_t hi, std::vector<uint64_t>& out) {
  auto take = [&](uint64_t r) {
    if (c.is_null(r)) return;
    const uint64_t o = c.offset_at(r);
    if (o >= lo && o <= hi) out.push_back(r);
  };
  uint64_t r = r0;
  if (c.is_runs()) {  // each run's rows in [lo, hi]: one span of it (runs.hpp)
    for (const Run* run = &c.run_of(r0); run->row < r1; ++run) {
      const uint64_t ja = std::max(run->row, r0) - run->row, jb = std::min(run[1].row, r1) - run->row;
      const auto [j0, j1] = run_span(run->offset, run->step, jb, lo, hi);
      for (uint64_t j = std::max(j0, ja); j < j1; ++j) out.push_back(run->row + j);
    }
    return;
  }
  if (c.is_sliced() && !c.meta.packed) {
    const unsigned down = 8 * (c.meta.slices - 1u) + c.meta.slice_tail;
    const auto top = [&](uint64_t o) { return static_cast<uint8_t>((o << c.meta.slice_shift) >> down); };
    const uint8_t a = top(lo), span = static_cast<uint8_t>(top(hi) - a);
    const uint8_t* first = c.data;  // slice 0: the top byte of each row's offset
#ifdef SEG_INDEX_SSE2
    const __m128i va = _mm_set1_epi8(static_cast<char>(a)), vspan = _mm_set1_epi8(static_cast<char>(span));
    for (; r + 16 <= r1; r += 16) {
      // byte - a, wrapping, is at most span exactly when a <= byte <= a + span.
      const __m128i d = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(first + r)), va);
      auto m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, vspan), d)));
      for (; m; m &= m - 1) take(r + static_cast<uint64_t>(__builtin_ctz(m)));
    }
#endif
    for (; r < r1; ++r)
      if (static_cast<uint8_t>(first[r] - a) <= span) take(r);
    return;
  }
  // Whole offsets (`seg convert --no-slices`, the id column): one compare a row, in its width.
  const auto plain = [&]<class T>(const T* v) {
    for (; r < r1; ++r)
      if (static_cast<uint64_t>(v[r]) - lo <= hi - lo) take(r);
  };
  if (c.meta.encoding == kOffsets) {
    switch (c.meta.width) {
      case 1: return plain(c.data);
      case 2: return plain(reinterpret_cast<const uint16_t*>(c.data));
      case 4: return plain(reinterpret_cast<const uint32_t*>(c.data));
      default: return plain(reinterpret_cast<const uint64_t*>(c.data));
    }
  }
  for (; r < r1; ++r) take(r);
}

}  // namespace

bool lookup_rows(const Store& s, int field, uint64_t lo, uint64_t hi, uint64_t cap, std::vector<uint64_t>& out) {
  const Column& c = s.column(field);
  auto [first, last] = listed_span(s, c, lo, hi);
  if (out.size() + (last - first) > cap) return false;
  if (!c.index_row || !c.meta.index_dense) {
    for (uint64_t i = first; i < last; ++i) out.push_back(c.index_row ? c.index_row_at(i) : i);
    return true;
  }
  // A dense index lists blocks: scan each block that holds one of the offsets, once.
  if (first == last) return true;
  const uint32_t shift = c.meta.index_shift;
  const uint64_t lowest = first, highest = last - 1;  // clang 14 cannot capture structured bindings
  const auto scan = [&](uint64_t b) {
    scan_rows(c, b << shift, std::min(s.rows(), (b + 1) << shift), lowest, highest, out);
  };
  if (last - first == 1) {
    scan(c.index_block_at(first));
    return true;
  }
  // The blocks as bits (at most 2^16 of them: 8 KB), scanned in order.
  std::vector<uint64_t> blocks(((s.rows() - 1) >> shift) / 64 + 1, 0);
  for (uint64_t i = first; i < last; ++i) {
    const uint64_t b = c.index_block_at(i);
    blocks[b / 64] |= uint64_t{1} << (b % 64);
  }
  for (size_t w = 0; w < blocks.size(); ++w)
    for (uint64_t m = blocks[w]; m; m &= m - 1) scan(w * 64 + static_cast<uint64_t>(__builtin_ctzll(m)));
  return true;
}

uint64_t lookup_reads(const Store& s, int field, uint64_t values) {
  const Column& c = s.column(field);
  if (!c.index_row || !c.meta.index_dense) return values;
  const uint32_t shift = c.meta.index_shift;
  return values > s.rows() >> shift ? s.rows() : values << shift;
}

uint64_t count_rows(const Store& s, int field, uint64_t lo, uint64_t hi) {
  auto [first, last] = listed_span(s, s.column(field), lo, hi);
  return last - first;
}

const char* check_value_index(const Column& c, uint64_t rows) {
  if (!c.index_row && !c.index_dir && c.meta.index_rows == 0 && c.meta.index_row_bytes == 0 && !c.meta.index_dense &&
      !c.meta.index_entry_bits)
    return nullptr;
  if (!c.index_row || (!c.index_dir && !c.meta.index_dense)) return "an index section is missing";
  if (c.type != FieldType::Int || c.meta.width > 4 || c.meta.index_shift > 63 ||
      c.meta.index_rows != rows - c.meta.null_count || c.meta.index_dense > 1)
    return "the index does not match its column";
  if (c.meta.index_dense) {
    const uint8_t bits = c.meta.index_entry_bits;
    if (rows == 0 || c.index_dir || c.meta.index_buckets || c.meta.index_row_bytes || c.meta.index_rows != c.meta.max_offset + 1 ||
        !(bits == 12 || bits == 16 || bits == 24 || bits == 32) || c.meta.index_shift > 32 ||
        (rows - 1) >> c.meta.index_shift >= uint64_t{1} << bits)
      return "the dense index does not match its column";
    for (uint64_t i = 0; i < c.meta.index_rows; ++i)
      if (c.index_block_at(i) << c.meta.index_shift >= rows) return "the index names a row past the end";
    return nullptr;
  }
  if (c.meta.index_entry_bits || c.meta.index_row_bytes < row_bytes(rows) || c.meta.index_row_bytes > 4 ||
      (c.meta.max_offset >> c.meta.index_shift) + 1 != c.meta.index_buckets)
    return "the index does not match its column";
  for (uint64_t i = 0; i < c.meta.index_rows; ++i)
    if (c.index_row_at(i) >= rows) return "the index names a row past the end";
  uint32_t prev = 0;
  for (uint64_t b = 0; b <= c.meta.index_buckets; ++b) {
    if (c.index_dir[b] < prev) return "the index directory decreases";
    prev = c.index_dir[b];
  }
  if (c.index_dir[0] != 0 || prev != c.meta.index_rows) return "the index directory does not cover its rows";
  return nullptr;
}

}  // namespace seg::rt
