// Packs loaded rows into the store's layout: frame-of-reference integers in the narrowest
// width, validity bitmaps apart from values, zone maps per block, tag containers per chunk.
#include "runtime/storage/store_builder.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <unordered_map>

#include "runtime/storage/bits.hpp"
#include "runtime/storage/value_index.hpp"

namespace seg::rt {

StoreBuilder::StoreBuilder(Schema schema) : schema_(std::move(schema)) {
  size_t n = schema_.fields.size();
  staged_.assign(n, 0);
  staged_null_.assign(n, 1);
  values_.resize(n);
  validity_.resize(n);
  null_counts_.assign(n, 0);
  tags_.resize(n);
  strings_.resize(n);
}

void StoreBuilder::set_string(int field, std::string_view s) {
  StrCol& sc = strings_[static_cast<size_t>(field)];
  auto it = sc.codes.find(s);
  uint32_t code;
  if (it != sc.codes.end()) {
    code = it->second;
  } else {
    code = static_cast<uint32_t>(sc.values.size());
    sc.values.emplace_back(s);
    sc.codes.emplace(std::string(s), code);
  }
  set_value(field, code);
}

void StoreBuilder::add_tag(int field, uint32_t code) {
  // A repeat is one tag. A stamp per tag keeps this linear: a row with 1M tags used to take
  // minutes with a search of the staged list per tag.
  TagCol& t = tags_[static_cast<size_t>(field)];
  if (t.staged_in.size() <= code) t.staged_in.resize(std::max<size_t>(code + 1, t.staged_in.size() * 2));
  if (t.staged_in[code] == rows_ + 1) return;
  t.staged_in[code] = rows_ + 1;
  t.staged.push_back(code);
}

bool StoreBuilder::id_is_new(int64_t id) {
  if (rows_ == 0 || (ids_sorted_ && id > max_id_)) {
    max_id_ = rows_ == 0 ? id : std::max(max_id_, id);
    if (!ids_sorted_) seen_ids_.insert(id);
    return true;
  }
  if (ids_sorted_) {
    // First id out of order: remember every earlier id from now on.
    ids_sorted_ = false;
    const auto& col = values_[static_cast<size_t>(schema_.id_field)];
    seen_ids_.reserve(col.size() * 2);
    seen_ids_.insert(col.begin(), col.end());
  }
  if (!seen_ids_.insert(id).second) return false;
  max_id_ = std::max(max_id_, id);
  return true;
}

bool StoreBuilder::commit_row() {
  if (schema_.id_field >= 0) {
    size_t f = static_cast<size_t>(schema_.id_field);
    if (!staged_null_[f] && !id_is_new(staged_[f])) {
      discard_row();
      return false;
    }
  }
  uint64_t row = rows_;
  uint64_t chunk = row >> kBlockShift;
  if ((row & 63) == 0)
    for (auto& v : validity_) v.push_back(0);
  for (size_t f = 0; f < schema_.fields.size(); ++f) {
    const Field& fd = schema_.fields[f];
    if (fd.type == FieldType::Set) {
      TagCol& t = tags_[f];
      if ((row & 63) == 0) t.nonempty.push_back(0);
      if (!t.staged.empty()) {
        set_bit(t.nonempty.data(), row);
        for (uint32_t code : t.staged) {
          if (t.rows.size() <= code) t.rows.resize(code + 1);
          auto& chunks = t.rows[code];
          if (chunks.size() <= chunk) chunks.resize(chunk + 1);
          chunks[chunk].push_back(static_cast<uint16_t>(row & (kBlockRows - 1)));
        }
        t.staged.clear();
      }
      continue;
    }
    if (fd.type == FieldType::String) strings_[f].committed = strings_[f].values.size();
    bool null = staged_null_[f];
    values_[f].push_back(null ? 0 : staged_[f]);
    if (null) ++null_counts_[f];
    else set_bit(validity_[f].data(), row);
    staged_null_[f] = 1;
  }
  ++rows_;
  return true;
}

void StoreBuilder::discard_row() {
  std::fill(staged_null_.begin(), staged_null_.end(), 1);
  for (auto& t : tags_) {
    for (uint32_t code : t.staged) t.staged_in[code] = 0;
    t.staged.clear();
  }
  for (auto& sc : strings_) {
    while (sc.values.size() > sc.committed) {
      sc.codes.erase(sc.values.back());
      sc.values.pop_back();
    }
  }
}

void* StoreBuilder::alloc(Store& s, uint64_t bytes) {
  // 64-byte aligned, zeroed (padding rows read as offset 0 and never as selected).
  uint64_t size = std::max<uint64_t>(64, (bytes + 63) / 64 * 64);
  void* p = std::aligned_alloc(64, size);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, size);
  s.keep_.emplace_back(p, [](const void* q) { std::free(const_cast<void*>(q)); });
  return p;
}

static uint8_t width_for(uint64_t range) {
  if (range <= 0xFF) return 1;
  if (range <= 0xFFFF) return 2;
  if (range <= 0xFFFFFFFFull) return 4;
  return 8;
}

// Byte slices: the offsets shifted so their top bit is the first slice's top bit (a range's
// bounds then split the first byte's 256 values finely), then one array per byte, most
// significant first. Only as many slices as the offsets have bits: 24-bit values take 3
// bytes. Made from the column's whole offsets (nulls are 0 there, and stay 0), which are
// then freed.
//
// With a frequent value (mark_frequent ran first), the slices hold only the other rows, in row
// order, and each word's first is found through packed_start (decision 59): deposit_total's
// zeros, half the rows, then cost nothing in the slices.
//
// Offsets of 17 bits or more that end inside a byte keep their last bits as bit planes after
// the slices (a tail, ColumnMeta::slice_tail; decision 65): a 27-bit timestamp in 3 slices and
// 3 planes. The kernels compare at least two slices, hence 17. A plane has a bit for each byte
// of a slice, so packed slices' tails are packed alike (decision 67).
void StoreBuilder::slice_column(Store& s, int f) {
  Column& c = s.columns_[static_cast<size_t>(f)];
  const uint64_t n = rows_, words = words_for(n);
  const bool packed = c.frequent && words * 64 < (uint64_t{1} << 32);
  uint32_t* start = packed ? static_cast<uint32_t*>(alloc(s, (words + 1) * 4)) : nullptr;
  const uint64_t stride = packed ? packed_stride(packed_starts(words, c.frequent, start)) : words * 64;
  const unsigned bits = 64 - static_cast<unsigned>(__builtin_clzll(c.meta.max_offset));  // max_offset >= 256 here
  const unsigned tail = bits >= 17 ? bits % 8 : 0;
  const unsigned slices = tail ? bits / 8 : (bits + 7) / 8, shift = tail ? 0 : 8 * slices - bits;
  auto* data = static_cast<uint8_t*>(alloc(s, stride * slices + stride / 8 * tail));
  auto* planes = reinterpret_cast<uint64_t*>(data + stride * slices);
  uint64_t at = 0;  // the row's place in the slices
  for (uint64_t r = 0; r < words * 64; ++r) {
    if (packed && ((c.frequent[r >> 6] >> (r & 63)) & 1)) continue;
    uint64_t y = (r < n ? c.offset_at(r) : 0) << shift;
    for (unsigned j = 0; j < tail; ++j) planes[j * (stride / 64) + (at >> 6)] |= ((y >> (tail - 1 - j)) & 1) << (at & 63);
    y >>= tail;
    for (unsigned k = 0; k < slices; ++k) data[k * stride + at] = static_cast<uint8_t>(y >> (8 * (slices - 1 - k)));
    ++at;
  }
  c.meta.slice_shift = static_cast<uint8_t>(shift);
  c.meta.slice_tail = static_cast<uint8_t>(tail);
  if (packed) {
    c.packed_start = start;
    c.meta.packed = 1;
  }
  replace_offsets(s, f, kSliced, slices, data, stride, stride / 8 * tail);
}

// Bit planes (decision 58): 1-byte offsets of at most kMaxPlanes bits as one bitmap per bit,
// most significant first; a column of one value keeps one plane of zeros.
void StoreBuilder::plane_column(Store& s, int f) {
  Column& c = s.columns_[static_cast<size_t>(f)];
  const uint64_t n = rows_, words = words_for(n);
  const unsigned planes = std::max(1u, static_cast<unsigned>(std::bit_width(c.meta.max_offset)));
  auto* data = static_cast<uint64_t*>(alloc(s, words * 8 * planes));
  for (uint64_t r = 0; r < n; ++r) {
    uint64_t v = c.offset_at(r);
    for (unsigned k = 0; k < planes; ++k) data[k * words + (r >> 6)] |= ((v >> (planes - 1 - k)) & 1) << (r & 63);
  }
  replace_offsets(s, f, kPlanes, planes, data, words * 8);
}

// Arithmetic runs (decision 85): where a column without nulls is made of runs of equal steps
// averaging kMinRunRows rows or more (ids numbered with a stride, as the reference player ids
// are: 1000001 + 7919 r mod rows; a constant column), each run's first row, offset and step
// replace the offsets. Tests solve a run at a time (eval_runs.cpp, compare_runs).
void StoreBuilder::run_column(Store& s, int f) {
  Column& c = s.columns_[static_cast<size_t>(f)];
  const uint64_t n = rows_;
  const auto at = [&](uint64_t r) { return c.offset_at(r); };
  const uint64_t count = count_runs(n, at);
  if (count == 0 || count * kMinRunRows > n) return;
  auto* runs = static_cast<Run*>(alloc(s, (count + 1) * sizeof(Run)));
  make_runs(n, at, runs);
  auto* blocks = static_cast<uint32_t*>(alloc(s, (blocks_for(n) + 1) * 4));
  run_blocks(runs, count, blocks_for(n), kBlockShift, blocks);
  replace_offsets(s, f, kRuns, 0, runs, 0, (count + 1) * sizeof(Run));
  c.runs = runs;
  c.run_count = count;
  c.run_block = blocks;
}

// A column's whole offsets replaced by `parts` arrays of `stride` bytes (slices or planes)
// and `more` bytes after them (a sliced column's tail); the whole ones are freed.
void StoreBuilder::replace_offsets(Store& s, int f, uint32_t encoding, unsigned parts, const void* data, uint64_t stride,
                                   uint64_t more) {
  Column& c = s.columns_[static_cast<size_t>(f)];
  const void* whole = c.data;
  c.meta.encoding = encoding;
  c.meta.slices = static_cast<uint8_t>(parts);
  c.data = static_cast<const uint8_t*>(data);
  c.stride = stride;
  for (auto& sec : s.sections_)
    if (sec.field == static_cast<uint32_t>(f) && sec.kind == SectionKind::Values)
      sec = {sec.field, sec.kind, data, stride * parts + more};
  std::erase_if(s.keep_, [&](const std::shared_ptr<const void>& p) { return p.get() == whole; });
}

// A frequent value (decision 57): the most common offset among about 4,096 rows spread over
// the column, counted over all of them; on at least 1 row in kFrequentShare, its rows become
// a bitmap. Whole offsets (before slicing: one read a row).
void StoreBuilder::mark_frequent(Store& s, int f) {
  Column& c = s.columns_[static_cast<size_t>(f)];
  const uint64_t n = rows_;
  if (n == 0 || !c.meta.has_values) return;
  std::unordered_map<uint64_t, uint64_t> seen;
  const uint64_t step = std::max<uint64_t>(1, n / 4096);
  uint64_t sampled = 0;
  for (uint64_t r = 0; r < n; r += step, ++sampled)
    if (!c.is_null(r)) ++seen[c.offset_at(r)];
  uint64_t best = 0, most = 0;
  for (const auto& [off, k] : seen)
    if (k > most || (k == most && off < best)) best = off, most = k;
  if (most * kFrequentShare * 2 < sampled) return;  // under half the share among the samples: not counted
  auto* bits = static_cast<uint64_t*>(alloc(s, words_for(n) * 8));
  uint64_t count = 0;
  for (uint64_t r = 0; r < n; ++r)
    if (c.offset_at(r) == best && !c.is_null(r)) bits[r >> 6] |= uint64_t{1} << (r & 63), ++count;
  if (count * kFrequentShare < n) {
    std::erase_if(s.keep_, [&](const std::shared_ptr<const void>& p) { return p.get() == bits; });
    return;
  }
  c.meta.has_frequent = 1;
  c.meta.frequent_offset = best;
  c.frequent = bits;
  s.sections_.push_back({static_cast<uint32_t>(f), SectionKind::Frequent, bits, words_for(n) * 8});
}

void StoreBuilder::pack_numeric(Store& s, int f, std::vector<int64_t>& vals, std::vector<uint64_t>& valid,
                                uint64_t nulls) {
  Column& c = s.columns_[static_cast<size_t>(f)];
  uint64_t n = rows_;
  bool any = false;
  int64_t mn = 0, mx = 0;
  for (uint64_t r = 0; r < n; ++r) {
    if (nulls && !test_bit(valid.data(), r)) continue;
    int64_t v = vals[r];
    if (!any) mn = mx = v, any = true;
    else mn = std::min(mn, v), mx = std::max(mx, v);
  }
  c.meta.has_values = any;
  c.meta.min = mn;
  c.meta.max = mx;
  c.meta.base = mn;
  c.meta.max_offset = static_cast<uint64_t>(mx) - static_cast<uint64_t>(mn);
  c.meta.width = width_for(c.meta.max_offset);
  c.meta.null_count = nulls;
  c.meta.has_nulls = nulls > 0;
  uint64_t padded = words_for(n) * 64;
  bool sequence = any && !nulls && c.meta.max_offset == n - 1;
  for (uint64_t r = 0; sequence && r < n; ++r) sequence = static_cast<uint64_t>(vals[r]) - static_cast<uint64_t>(mn) == r;
  if (sequence) c.meta.encoding = kSequence;
  if (!sequence) {
    uint8_t* data = static_cast<uint8_t*>(alloc(s, padded * c.meta.width));
    auto pack = [&](auto* out) {
      using T = std::remove_pointer_t<decltype(out)>;
      for (uint64_t r = 0; r < n; ++r) {
        bool is_null = nulls && !test_bit(valid.data(), r);
        out[r] = is_null ? T{0} : static_cast<T>(static_cast<uint64_t>(vals[r]) - static_cast<uint64_t>(mn));
      }
    };
    switch (c.meta.width) {
      case 1: pack(data); break;
      case 2: pack(reinterpret_cast<uint16_t*>(data)); break;
      case 4: pack(reinterpret_cast<uint32_t*>(data)); break;
      default: pack(reinterpret_cast<uint64_t*>(data)); break;
    }
    c.data = data;
    s.sections_.push_back({static_cast<uint32_t>(f), SectionKind::Values, data, padded * c.meta.width});
  }
  if (nulls) {
    uint64_t bytes = words_for(n) * 8;
    auto* v = static_cast<uint64_t*>(alloc(s, bytes));
    std::memcpy(v, valid.data(), bytes);
    c.valid = v;
    s.sections_.push_back({static_cast<uint32_t>(f), SectionKind::Validity, v, bytes});
  }
  uint64_t nb = blocks_for(n);
  auto* zones = static_cast<Zone*>(alloc(s, nb * sizeof(Zone)));
  for (uint64_t b = 0; b < nb; ++b) {
    Zone z;
    uint64_t end = std::min(n, (b + 1) * kBlockRows);
    for (uint64_t r = b * kBlockRows; r < end; ++r) {
      if (nulls && !test_bit(valid.data(), r)) continue;
      int64_t v = vals[r];
      if (z.valid == 0) z.min = z.max = v;
      else z.min = std::min(z.min, v), z.max = std::max(z.max, v);
      ++z.valid;
    }
    zones[b] = z;
  }
  c.zones = zones;
  s.sections_.push_back({static_cast<uint32_t>(f), SectionKind::Zones, zones, nb * sizeof(Zone)});
  std::vector<int64_t>().swap(vals);
}

void StoreBuilder::pack_set(Store& s, int f, TagCol& t) {
  Column& c = s.columns_[static_cast<size_t>(f)];
  uint64_t n = rows_;
  uint64_t chunks = blocks_for(n);
  uint64_t tags = schema_.fields[static_cast<size_t>(f)].dict.size();
  c.meta.tag_count = tags;
  c.meta.chunks = chunks;
  c.meta.has_values = n > 0;
  auto* dir = static_cast<Container*>(alloc(s, std::max<uint64_t>(1, tags * chunks) * sizeof(Container)));
  uint64_t bytes = 0;
  bool read_past = false;  // a bucketed or sparse container: vector reads past the last one
  for (uint64_t tag = 0; tag < tags; ++tag) {
    for (uint64_t ch = 0; ch < chunks; ++ch) {
      Container& k = dir[tag * chunks + ch];
      const std::vector<uint16_t>* rows =
          tag < t.rows.size() && ch < t.rows[tag].size() ? &t.rows[tag][ch] : nullptr;
      k.card = rows ? static_cast<uint32_t>(rows->size()) : 0;
      k.offset = bytes;
      // Over kSparseMin rows, a bitmap's bytes that are not zero (decision 92), while they are
      // fewer than a bitmap's (a tag on up to about a fifth of the chunk; decision 69); over
      // kArrayMax, a bitmap.
      const uint64_t sparse = k.card > kSparseMin ? sparse_bytes_for(sparse_kept_for(rows->data(), k.card)) : 0;
      if (k.card == 0) k.kind = kEmpty;
      else if (k.card > kSparseMin && sparse < kBlockWords * 8) k.kind = kSparse, bytes += sparse, read_past = true;
      else if (k.card > kArrayMax) k.kind = kBitmap, bytes += kBlockWords * 8;
      else if (buckets_smaller(k.card)) k.kind = kBucketed, bytes += bucket_bytes(k.card), read_past = true;
      else k.kind = kArray, bytes += (k.card * 2 + 7) / 8 * 8;
    }
  }
  if (read_past) bytes += kTagReadPast;
  auto* data = static_cast<uint8_t*>(alloc(s, bytes));
  for (uint64_t tag = 0; tag < tags && tag < t.rows.size(); ++tag) {
    for (uint64_t ch = 0; ch < chunks && ch < t.rows[tag].size(); ++ch) {
      const Container& k = dir[tag * chunks + ch];
      const auto& rows = t.rows[tag][ch];
      if (k.kind == kArray) {
        std::memcpy(data + k.offset, rows.data(), rows.size() * 2);  // rows arrive in order
      } else if (k.kind == kBucketed) {
        encode_buckets(rows.data(), rows.size(), data + k.offset);
      } else if (k.kind == kSparse) {
        encode_sparse(rows.data(), rows.size(), data + k.offset);
      } else if (k.kind == kBitmap) {
        auto* w = reinterpret_cast<uint64_t*>(data + k.offset);
        for (uint16_t r : rows) set_bit(w, r);
      }
    }
  }
  c.dir = dir;
  c.tag_data = data;
  c.tag_data_size = bytes;
  s.sections_.push_back({static_cast<uint32_t>(f), SectionKind::TagDir, dir, tags * chunks * sizeof(Container)});
  s.sections_.push_back({static_cast<uint32_t>(f), SectionKind::TagData, data, bytes});
  uint64_t nbytes = words_for(n) * 8;
  auto* ne = static_cast<uint64_t*>(alloc(s, nbytes));
  if (nbytes) std::memcpy(ne, t.nonempty.data(), nbytes);
  c.nonempty = ne;
  s.sections_.push_back({static_cast<uint32_t>(f), SectionKind::TagNonempty, ne, nbytes});
  TagCol().rows.swap(t.rows);
}

void StoreBuilder::pack_strings(Store& s, int f, StrCol& sc) {
  // Sort the column's dictionary so codes follow string order and lookups can bisect.
  size_t k = sc.values.size();
  std::vector<uint32_t> order(k);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return sc.values[a] < sc.values[b]; });
  std::vector<int64_t> remap(k);
  for (size_t i = 0; i < k; ++i) remap[order[i]] = static_cast<int64_t>(i);
  auto& vals = values_[static_cast<size_t>(f)];
  for (auto& v : vals) v = k ? remap[static_cast<size_t>(v)] : 0;
  uint64_t blob = 0;
  for (auto& v : sc.values) blob += v.size();
  auto* offs = static_cast<uint64_t*>(alloc(s, (k + 1) * 8));
  auto* chars = static_cast<char*>(alloc(s, blob));
  uint64_t pos = 0;
  for (size_t i = 0; i < k; ++i) {
    offs[i] = pos;
    const std::string& v = sc.values[order[i]];
    std::memcpy(chars + pos, v.data(), v.size());
    pos += v.size();
  }
  offs[k] = pos;
  Column& c = s.columns_[static_cast<size_t>(f)];
  c.meta.string_count = k;
  c.str_offsets = offs;
  c.str_blob = chars;
  s.sections_.push_back({static_cast<uint32_t>(f), SectionKind::StrOffsets, offs, (k + 1) * 8});
  s.sections_.push_back({static_cast<uint32_t>(f), SectionKind::StrBlob, chars, blob});
}

Store StoreBuilder::finish() {
  Store s;
  s.rows_ = rows_;
  s.ids_sorted_ = ids_sorted_;
  s.columns_.resize(schema_.fields.size());
  for (size_t f = 0; f < schema_.fields.size(); ++f) {
    Column& c = s.columns_[f];
    c.type = schema_.fields[f].type;
    c.meta.field = static_cast<uint32_t>(f);
    c.meta.type = static_cast<uint8_t>(c.type);
    if (c.type == FieldType::Set) {
      pack_set(s, static_cast<int>(f), tags_[f]);
    } else {
      if (c.type == FieldType::String) pack_strings(s, static_cast<int>(f), strings_[f]);
      pack_numeric(s, static_cast<int>(f), values_[f], validity_[f], null_counts_[f]);
    }
  }
  s.schema_ = std::move(schema_);
  for (size_t f = 0; f < s.columns_.size(); ++f) build_value_index(s, static_cast<int>(f));
  // Arithmetic runs first: a column they suit needs neither a frequent value's bitmap nor
  // slices. Not the id column (its offsets are summed whole: finish_block), not one with nulls.
  for (size_t f = 0; f < s.columns_.size() && slices_; ++f) {
    const Column& c = s.columns_[f];
    if (c.type != FieldType::Set && c.data && c.meta.encoding == kOffsets && !c.valid && c.meta.has_values &&
        c.meta.max_offset < kMaxRunOffset && static_cast<int>(f) != s.schema_.id_field)
      run_column(s, static_cast<int>(f));
  }
  // Columns of 2-byte offsets or more with a frequent value: a 1-byte column is read at a
  // byte a row already, and its frequent values (a stage most clients are in) would cost an
  // eighth of a byte a client each for little.
  for (size_t f = 0; f < s.columns_.size() && frequent_; ++f) {
    const Column& c = s.columns_[f];
    if (c.type != FieldType::Set && c.type != FieldType::String && c.data && c.meta.encoding == kOffsets &&
        c.meta.width >= 2 && static_cast<int>(f) != s.schema_.id_field)
      mark_frequent(s, static_cast<int>(f));
  }
  // Offsets of 2 bytes or more become byte slices, but for two kinds of column that read one
  // row's offset at a time: the id column (its offsets are summed for the checksum,
  // finish_block) and a column with a bucketed value index (a lookup bisects through it;
  // sliced, each step would wait on 3-4 lines; decision 55). A dense index finds its rows
  // without reading the column, so that column is sliced (decision 62).
  for (size_t f = 0; f < s.columns_.size() && slices_; ++f) {
    const Column& c = s.columns_[f];
    if (c.type != FieldType::Set && c.data && c.meta.encoding == kOffsets && c.meta.width >= 2 &&
        static_cast<int>(f) != s.schema_.id_field && (!c.index_row || c.meta.index_dense))
      slice_column(s, static_cast<int>(f));
  }
  // 1-byte offsets of at most kMaxPlanes bits become bit planes: a stage (3 bits) costs 3/8 of
  // a byte a row, and a test reads only that (decision 58). Not the id column (summed whole).
  // A 1-byte column has a value index only in a store of about a thousand rows or fewer
  // (value_index.cpp: values repeating at most 4 times), where its lookups cost nothing
  // either way, so unlike slices, planes do not skip it.
  for (size_t f = 0; f < s.columns_.size() && slices_; ++f) {
    const Column& c = s.columns_[f];
    if (c.type != FieldType::Set && c.data && c.meta.encoding == kOffsets && c.meta.width == 1 &&
        c.meta.max_offset < (uint64_t{1} << kMaxPlanes) && static_cast<int>(f) != s.schema_.id_field)
      plane_column(s, static_cast<int>(f));
  }
  // Meta sections last: they describe the final widths, counts and indexes.
  for (size_t f = 0; f < s.columns_.size(); ++f)
    s.sections_.push_back({static_cast<uint32_t>(f), SectionKind::Meta, &s.columns_[f].meta, sizeof(ColumnMeta)});
  return s;
}

}  // namespace seg::rt
