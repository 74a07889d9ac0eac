// Store queries that are not inline: string codes and the memory a store holds.
#include "runtime/storage/store.hpp"

#include <algorithm>

#include "runtime/storage/tag_buckets.hpp"
#include "runtime/storage/tag_sparse.hpp"
#include "runtime/storage/values.hpp"

namespace seg::rt {

std::optional<uint64_t> Store::string_code(int field, std::string_view s) const {
  const Column& c = column(field);
  // The builder sorts a column's strings, so codes follow string order: bisect.
  uint64_t lo = 0, hi = c.meta.string_count;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (c.string_at_code(mid) < s) lo = mid + 1;
    else hi = mid;
  }
  if (lo < c.meta.string_count && c.string_at_code(lo) == s) return lo;
  return std::nullopt;
}

// A code no dictionary value has (never stored; shown rather than hidden).
static std::string unknown_code(int64_t v) {
  std::string s = "#";
  s += std::to_string(v);
  return s;
}

std::string Store::format_value(int field, int64_t v) const {
  const Field& f = schema_.fields[static_cast<size_t>(field)];
  switch (f.type) {
    case FieldType::Int: return std::to_string(v);
    case FieldType::Decimal: return format_decimal(v, f.scale);
    case FieldType::Timestamp: return format_timestamp(v);
    case FieldType::Bool: return v ? "true" : "false";
    case FieldType::Enum:
    case FieldType::Set:
      if (v >= 0 && static_cast<uint64_t>(v) < f.dict.size()) return f.dict[static_cast<uint32_t>(v)].key;
      return unknown_code(v);
    case FieldType::String: {
      const Column& c = column(field);
      if (v >= 0 && static_cast<uint64_t>(v) < c.meta.string_count) return std::string(c.string_at_code(static_cast<uint64_t>(v)));
      return unknown_code(v);
    }
  }
  return std::to_string(v);
}

bool Store::has_tag(int field, uint32_t code, uint64_t row) const {
  const Column& c = column(field);
  if (code >= c.meta.tag_count) return false;
  const Container& k = c.container(code, row >> kBlockShift);
  uint16_t lo = static_cast<uint16_t>(row & (kBlockRows - 1));
  if (k.kind == kArray) {
    const auto* a = reinterpret_cast<const uint16_t*>(c.tag_data + k.offset);
    return std::binary_search(a, a + k.card, lo);
  }
  if (k.kind == kBitmap) return test_bit(reinterpret_cast<const uint64_t*>(c.tag_data + k.offset), lo);
  if (k.kind == kBucketed) return buckets_contain(c.tag_data + k.offset, k.card, lo);
  if (k.kind == kSparse) return sparse_contains(c.tag_data + k.offset, lo);
  return false;
}

std::vector<uint32_t> Store::tags_at(int field, uint64_t row) const {
  const Column& c = column(field);
  std::vector<uint32_t> out;
  if (c.nonempty && !test_bit(c.nonempty, row)) return out;  // no tag: no container to ask
  for (uint32_t t = 0; t < c.meta.tag_count; ++t)
    if (has_tag(field, t, row)) out.push_back(t);
  return out;
}

// Control characters shown as escapes, so a value cannot move the cursor or split a line.
static void append_visible(std::string& out, std::string_view v) {
  static const char hex[] = "0123456789abcdef";
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != 0x7f) {
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += "\\u{";
      if (c >> 4) out += hex[c >> 4];
      out += hex[c & 15];
      out += '}';
    }
  }
}

std::string Store::format_cell(int field, uint64_t row) const {
  const Column& c = column(field);
  std::string out;
  if (c.type == FieldType::Set) return format_tags(field, tags_at(field, row));
  if (c.is_null(row)) return {};
  append_visible(out, format_value(field, c.value_at(row)));
  return out;
}

std::vector<std::vector<uint32_t>> Store::tags_of_rows(int field, const std::vector<uint64_t>& rows) const {
  const Column& c = column(field);
  std::vector<std::vector<uint32_t>> out(rows.size());
  // The rows' positions by block, in row order within each.
  std::vector<size_t> order(rows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rows[a] < rows[b]; });
  // Below this many rows in a block, asking each row's containers (tags_at) is cheaper than
  // putting every container of the block into a bitmap.
  constexpr size_t kRowsForBlock = 64;
  std::vector<uint64_t> bits(kBlockWords, 0);
  std::vector<uint16_t> list;
  for (size_t from = 0; from < order.size();) {
    const uint64_t block = rows[order[from]] >> kBlockShift;
    size_t to = from;
    while (to < order.size() && rows[order[to]] >> kBlockShift == block) ++to;
    if (to - from < kRowsForBlock) {
      for (size_t k = from; k < to; ++k) out[order[k]] = tags_at(field, rows[order[k]]);
      from = to;
      continue;
    }
    const size_t nw = std::min<uint64_t>(kBlockWords, words_for(rows_) - block * kBlockWords);
    for (uint32_t t = 0; t < c.meta.tag_count; ++t) {
      const Container& k = c.container(t, block);
      if (k.kind == kEmpty) continue;
      const uint8_t* p = c.tag_data + k.offset;
      const uint64_t* words = bits.data();
      const uint16_t* members = nullptr;  // set in `bits`, cleared after
      if (k.kind == kBitmap) {
        words = reinterpret_cast<const uint64_t*>(p);
      } else if (k.kind == kSparse) {
        expand_sparse<SparseInto::Assign>(p, bits.data(), nw);
      } else {
        if (k.kind == kBucketed) {
          list.resize(k.card + 64);
          decode_buckets(p, k.card, list.data());
          members = list.data();
        } else {
          members = reinterpret_cast<const uint16_t*>(p);
        }
        for (uint32_t m = 0; m < k.card; ++m) bits[members[m] >> 6] |= uint64_t{1} << (members[m] & 63);
      }
      for (size_t q = from; q < to; ++q) {
        const uint64_t lo = rows[order[q]] & (kBlockRows - 1);
        if ((words[lo >> 6] >> (lo & 63)) & 1) out[order[q]].push_back(t);
      }
      // `bits` is all zero again for the next container: an array's words cleared one by one,
      // a sparse expansion's all.
      if (members)
        for (uint32_t m = 0; m < k.card; ++m) bits[members[m] >> 6] = 0;
      else if (k.kind == kSparse)
        std::fill(bits.begin(), bits.begin() + static_cast<std::ptrdiff_t>(nw), 0);
    }
    from = to;
  }
  return out;
}

std::string Store::format_tags(int field, const std::vector<uint32_t>& codes) const {
  // Escaped as the loaders read set cells: `\|` inside a value, `\\` for a backslash.
  const Dictionary& d = schema_.fields[static_cast<size_t>(field)].dict;
  std::string out;
  for (uint32_t t : codes) {
    if (!out.empty()) out += '|';
    for (char ch : d[t].key) {
      if (ch == '|' || ch == '\\') out += '\\';
      out += ch;
    }
  }
  return out;
}

uint64_t Store::data_bytes() const {
  uint64_t n = 0;
  for (const auto& s : sections_) n += s.size;
  // Made on opening, not stored, but resident all the same (packed slices' word starts).
  for (const auto& c : columns_)
    if (c.packed_start) n += (words_for(rows_) + 1) * 4;
  return n;
}

}  // namespace seg::rt
