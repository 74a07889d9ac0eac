// StoreGatherer: rows of several stores copied into one (compaction of a membership).
#include "runtime/storage/gather.hpp"

#include <stdexcept>
#include <string>

namespace seg::rt {

StoreGatherer::StoreGatherer(Schema schema) : builder_(std::move(schema)) {}

void StoreGatherer::map_codes(const Store& from) {
  if (mapped_ == &from) return;
  mapped_ = &from;
  const Schema& src = from.schema();
  Schema& dst = builder_.schema();
  codes_.assign(src.fields.size(), {});
  for (size_t f = 0; f < src.fields.size(); ++f) {
    if (!src.fields[f].is_dictionary()) continue;
    auto& map = codes_[f];
    for (uint32_t c = 0; c < src.fields[f].dict.size(); ++c) {
      const DictValue& v = src.fields[f].dict[c];
      auto code = dst.fields[f].dict.find_key(v.key);
      map.push_back(code ? *code : dst.fields[f].dict.add(v.key, v.label));
    }
  }
}

void StoreGatherer::add(const Store& from, uint64_t row) {
  map_codes(from);
  const Schema& src = from.schema();
  for (size_t fi = 0; fi < src.fields.size(); ++fi) {
    const int f = static_cast<int>(fi);
    const Column& c = from.column(f);
    switch (src.fields[fi].type) {
      case FieldType::Set:
        for (uint32_t t : from.tags_at(f, row)) builder_.add_tag(f, codes_[fi][t]);
        break;
      case FieldType::String:
        if (c.is_null(row)) builder_.set_null(f);
        else builder_.set_string(f, c.string_at_code(static_cast<uint64_t>(c.value_at(row))));
        break;
      case FieldType::Enum:
        if (c.is_null(row)) builder_.set_null(f);
        else builder_.set_value(f, codes_[fi][static_cast<size_t>(c.value_at(row))]);
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
