// The column store: a schema (with the dictionary values the data added) and one column per
// field, every buffer a flat view so a snapshot can be mapped instead of parsed.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/schema.hpp"
#include "runtime/storage/bits.hpp"
#include "runtime/storage/column.hpp"

namespace seg::rt {

// What a buffer of a column holds; the snapshot's section kinds.
enum class SectionKind : uint32_t {
  Meta = 1,
  Values = 2,
  Validity = 3,
  Zones = 4,
  TagDir = 5,
  TagData = 6,
  TagNonempty = 7,
  StrOffsets = 8,
  StrBlob = 9,
  IndexDir = 10,   // a value index's bucket directory (since snapshot version 2)
  IndexRows = 11,  // a value index's rows in value order
  Frequent = 12,   // the rows of a column's frequent value, a bit each (since version 4)
};
struct Section {
  uint32_t field = 0;
  SectionKind kind = SectionKind::Meta;
  const void* data = nullptr;
  uint64_t size = 0;  // bytes
};

class Store {
 public:
  Store() = default;
  Store(Store&&) = default;
  Store& operator=(Store&&) = default;

  const Schema& schema() const { return schema_; }
  uint64_t rows() const { return rows_; }
  uint64_t blocks() const { return blocks_for(rows_); }
  const Column& column(int field) const { return columns_[static_cast<size_t>(field)]; }
  size_t column_count() const { return columns_.size(); }

  // Members are reported by the schema's id field; without one, by row number + 1.
  int id_field() const { return schema_.id_field; }
  int64_t id_at(uint64_t row) const {
    return schema_.id_field >= 0 ? columns_[static_cast<size_t>(schema_.id_field)].value_at(row)
                                 : static_cast<int64_t>(row + 1);
  }
  // Ids strictly increase with the row number: results come out sorted without a sort.
  bool ids_sorted() const { return ids_sorted_; }

  // The column's own code of a string value, if any row has it.
  std::optional<uint64_t> string_code(int field, std::string_view s) const;

  // A stored value as a person reads it: the dictionary key, the decimal, the timestamp.
  std::string format_value(int field, int64_t value) const;
  // Row `row`'s cell as one line of text: "" for null; a set's values `|`-joined with `|` and
  // `\` inside a value escaped (`\|`, `\\`), as the CSV loader reads them back; control
  // characters of other values as escapes (`\n`, `\u{1b}`). JSON output uses typed access.
  std::string format_cell(int field, uint64_t row) const;
  // The codes of a set field's values on row `row`, in code order.
  std::vector<uint32_t> tags_at(int field, uint64_t row) const;
  // tags_at for many rows (any order; the result in the order given): a block holding many of
  // them has each of its tag containers read once for all of them, rather than each row
  // asking every container (a member export with `tags` took 40x another column's time).
  std::vector<std::vector<uint32_t>> tags_of_rows(int field, const std::vector<uint64_t>& rows) const;
  // A set cell's codes as format_cell writes them (`A|B`, `\|` and `\\` escaped).
  std::string format_tags(int field, const std::vector<uint32_t>& codes) const;
  // Does row `row` hold set value `code` (set fields)?
  bool has_tag(int field, uint32_t code, uint64_t row) const;

  // Bytes of column data held (what a client costs in memory).
  uint64_t data_bytes() const;
  const std::vector<Section>& sections() const { return sections_; }

 private:
  friend class StoreBuilder;
  friend struct StoreAccess;

  Schema schema_;
  uint64_t rows_ = 0;
  bool ids_sorted_ = true;
  std::vector<Column> columns_;
  std::vector<Section> sections_;
  std::vector<std::shared_ptr<const void>> keep_;  // owned buffers or the mapping
};

// For the snapshot reader, which assembles a Store from mapped sections.
struct StoreAccess {
  static Schema& schema(Store& s) { return s.schema_; }
  static uint64_t& rows(Store& s) { return s.rows_; }
  static bool& ids_sorted(Store& s) { return s.ids_sorted_; }
  static std::vector<Column>& columns(Store& s) { return s.columns_; }
  static std::vector<Section>& sections(Store& s) { return s.sections_; }
  static std::vector<std::shared_ptr<const void>>& keep(Store& s) { return s.keep_; }
};

}  // namespace seg::rt
