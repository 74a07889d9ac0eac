// The value index: non-null rows sorted by (offset, row), and a directory of buckets (the
// offset's high bits) pointing into them. 4 bytes a row plus 4 per bucket, about one bucket
// per 8 to 16 rows: a lookup reads one directory entry and bisects a bucket of ~12 rows
// through the column (about five cache misses), where a hash table or a copy of the values
// beside the rows would cost 4 to 8 more bytes a client.
#include "runtime/storage/value_index.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>

#include "runtime/storage/bits.hpp"

namespace seg::rt {
namespace {

uint32_t* alloc_words(Store& s, uint64_t n) {
  uint64_t size = std::max<uint64_t>(64, (n * 4 + 63) / 64 * 64);
  void* p = std::aligned_alloc(64, size);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, size);  // snapshot padding must be zero
  StoreAccess::keep(s).emplace_back(p, [](const void* q) { std::free(const_cast<void*>(q)); });
  return static_cast<uint32_t*>(p);
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

  uint32_t* dir = alloc_words(s, buckets + 1);
  std::memcpy(dir, count.data(), (buckets + 1) * 4);
  uint32_t* row = alloc_words(s, std::max<uint64_t>(present, 1));
  std::memcpy(row, rows.data(), present * 4);
  Column& col = StoreAccess::columns(s)[static_cast<size_t>(field)];
  col.meta.index_rows = present;
  col.meta.index_buckets = buckets;
  col.meta.index_shift = shift;
  col.index_dir = dir;
  col.index_row = row;
  auto& sections = StoreAccess::sections(s);
  sections.push_back({static_cast<uint32_t>(field), SectionKind::IndexDir, dir, (buckets + 1) * 4});
  sections.push_back({static_cast<uint32_t>(field), SectionKind::IndexRows, row, present * 4});
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

bool lookup_rows(const Store& s, int field, uint64_t lo, uint64_t hi, uint64_t cap, std::vector<uint64_t>& out) {
  const Column& c = s.column(field);
  if (!c.meta.has_values || lo > hi || lo > c.meta.max_offset) return true;
  hi = std::min(hi, c.meta.max_offset);
  uint64_t first, last;
  if (c.index_row) {
    uint32_t sh = c.meta.index_shift;
    uint64_t b0 = lo >> sh, b1 = hi >> sh;
    auto by_index = [&](uint64_t p) { return c.offset_at(c.index_row[p]); };
    first = first_at_least(c.index_dir[b0], c.index_dir[b0 + 1], lo, by_index);
    last = hi == UINT64_MAX ? c.index_dir[b1 + 1] : first_at_least(c.index_dir[b1], c.index_dir[b1 + 1], hi + 1, by_index);
    if (last < first) last = first;
    if (out.size() + (last - first) > cap) return false;
    for (uint64_t i = first; i < last; ++i) out.push_back(c.index_row[i]);
    return true;
  }
  // The id column with ids growing by row: offsets increase with the row, bisect them.
  auto by_row = [&](uint64_t r) { return c.offset_at(r); };
  first = first_at_least(0, s.rows(), lo, by_row);
  last = hi == UINT64_MAX ? s.rows() : first_at_least(0, s.rows(), hi + 1, by_row);
  if (out.size() + (last - first) > cap) return false;
  for (uint64_t r = first; r < last; ++r) out.push_back(r);
  return true;
}

const char* check_value_index(const Column& c, uint64_t rows) {
  if (!c.index_row && !c.index_dir && c.meta.index_rows == 0) return nullptr;
  if (!c.index_row || !c.index_dir) return "an index section is missing";
  if (c.type != FieldType::Int || c.meta.width > 4 || c.meta.index_shift > 63 ||
      c.meta.index_rows != rows - c.meta.null_count || (c.meta.max_offset >> c.meta.index_shift) + 1 != c.meta.index_buckets)
    return "the index does not match its column";
  uint32_t prev = 0;
  for (uint64_t b = 0; b <= c.meta.index_buckets; ++b) {
    if (c.index_dir[b] < prev) return "the index directory decreases";
    prev = c.index_dir[b];
  }
  if (c.index_dir[0] != 0 || prev != c.meta.index_rows) return "the index directory does not cover its rows";
  for (uint64_t i = 0; i < c.meta.index_rows; ++i)
    if (c.index_row[i] >= rows) return "the index names a row past the end";
  return nullptr;
}

}  // namespace seg::rt
