// StoreGatherer: rows of several stores copied into one (compaction of a membership).
#include "runtime/storage/gather.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "runtime/storage/tag_buckets.hpp"
#include "runtime/storage/tag_sparse.hpp"

namespace seg::rt {

StoreGatherer::StoreGatherer(Schema schema) : builder_(std::move(schema)) {}

StoreGatherer::Source& StoreGatherer::source(const Store& from) {
  auto [it, fresh] = sources_.try_emplace(&from);
  Source& src = it->second;
  if (!fresh) return src;
  const Schema& in = from.schema();
  Schema& out = builder_.schema();
  src.codes.assign(in.fields.size(), {});
  src.chunks.assign(in.fields.size(), {});
  for (size_t f = 0; f < in.fields.size(); ++f) {
    if (!in.fields[f].is_dictionary()) continue;
    for (uint32_t c = 0; c < in.fields[f].dict.size(); ++c) {
      const DictValue& v = in.fields[f].dict[c];
      auto code = out.fields[f].dict.find_key(v.key);
      src.codes[f].push_back(code ? *code : out.fields[f].dict.add(v.key, v.label));
    }
  }
  return src;
}

const StoreGatherer::ChunkTags& StoreGatherer::chunk_tags(const Store& from, Source& src, int field, uint64_t chunk) {
  ChunkTags& ct = src.chunks[static_cast<size_t>(field)];
  if (ct.chunk == chunk) return ct;
  ct.chunk = chunk;
  const Column& c = from.column(field);
  const uint64_t rows = std::min<uint64_t>(65536, from.rows() - (chunk << 16));
  // Two passes over the containers: how many values each row has, then the values, in code
  // order (the order tags_at gives).
  // A row past the chunk's end (only in a damaged snapshot) is skipped.
  std::vector<uint16_t> decoded;    // a bucketed container's rows
  std::vector<uint64_t> expanded;  // a sparse-bytes container's bitmap
  auto each = [&](auto&& visit) {
    for (uint32_t t = 0; t < c.meta.tag_count; ++t) {
      const Container& k = c.container(t, chunk);
      const auto* a = reinterpret_cast<const uint16_t*>(c.tag_data + k.offset);
      if (k.kind == kBucketed) {
        decoded.resize(k.card + 64);  // decode_buckets writes past the rows
        decode_buckets(c.tag_data + k.offset, k.card, decoded.data());
        a = decoded.data();
      }
      if (k.kind == kArray || k.kind == kBucketed) {
        for (uint32_t i = 0; i < k.card; ++i)
          if (a[i] < rows) visit(a[i], t);
      } else if (k.kind == kBitmap || k.kind == kSparse) {
        const auto* w = reinterpret_cast<const uint64_t*>(c.tag_data + k.offset);
        if (k.kind == kSparse) {
          expanded.resize(kBlockWords);
          expand_sparse_best<SparseInto::Assign>(c.tag_data + k.offset, expanded.data(), kBlockWords);
          w = expanded.data();
        }
        for (uint32_t i = 0; i < 1024; ++i)
          for (uint64_t m = w[i]; m; m &= m - 1)
            if (uint32_t r = i * 64 + static_cast<uint32_t>(__builtin_ctzll(m)); r < rows) visit(r, t);
      }
    }
  };
  ct.start.assign(rows + 1, 0);
  each([&](uint32_t r, uint32_t) { ++ct.start[r + 1]; });
  for (size_t i = 1; i < ct.start.size(); ++i) ct.start[i] += ct.start[i - 1];
  ct.tags.assign(ct.start.back(), 0);
  std::vector<uint32_t> fill(ct.start.begin(), ct.start.end() - 1);
  const auto& map = src.codes[static_cast<size_t>(field)];
  each([&](uint32_t r, uint32_t t) { ct.tags[fill[r]++] = map[t]; });
  return ct;
}

namespace {
// A string's or enum's code at `row`, checked against its dictionary's `size`: a snapshot's
// description is checked when it opens, each row's value is not (a pass over every value), and
// a crafted file with good checksums can hold one past its column's largest offset.
uint64_t code_at(const Column& c, uint64_t row, uint64_t size) {
  const auto code = static_cast<uint64_t>(c.value_at(row));
  if (code >= size) throw std::runtime_error("a damaged snapshot: row " + std::to_string(row) + " has a code past its dictionary");
  return code;
}
}  // namespace

void StoreGatherer::add(const Store& from, uint64_t row) {
  Source& src = source(from);
  const Schema& in = from.schema();
  for (size_t fi = 0; fi < in.fields.size(); ++fi) {
    const int f = static_cast<int>(fi);
    const Column& c = from.column(f);
    switch (in.fields[fi].type) {
      case FieldType::Set: {
        const ChunkTags& ct = chunk_tags(from, src, f, row >> 16);
        const uint64_t at = row & 0xffff;
        for (uint32_t i = ct.start[at]; i < ct.start[at + 1]; ++i) builder_.add_tag(f, ct.tags[i]);
        break;
      }
      case FieldType::String:
        if (c.is_null(row)) builder_.set_null(f);
        else builder_.set_string(f, c.string_at_code(code_at(c, row, c.meta.string_count)));
        break;
      case FieldType::Enum:
        if (c.is_null(row)) builder_.set_null(f);
        else builder_.set_value(f, src.codes[fi][code_at(c, row, src.codes[fi].size())]);
        break;
      case FieldType::Int:
      case FieldType::Decimal:
      case FieldType::Timestamp:
      case FieldType::Bool:
        if (c.is_null(row)) builder_.set_null(f);
        else builder_.set_value(f, c.value_at(row));
        break;
    }
  }
  if (!builder_.commit_row())
    throw std::logic_error("seg::rt::StoreGatherer: client " + std::to_string(from.id_at(row)) + " given twice");
}

}  // namespace seg::rt
