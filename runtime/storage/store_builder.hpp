// Builds a Store row by row (loaders and the generator feed it), then packs each column.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <optional>
#include <unordered_set>
#include <vector>

#include "schema/schema.hpp"
#include "runtime/storage/store.hpp"

namespace seg::rt {

// Heterogeneous lookup so loaders find dictionary values by string_view without copying.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringCodes = std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>;

class StoreBuilder {
 public:
  explicit StoreBuilder(Schema schema);

  // Loaders add new values of open dictionaries here; codes already given never change.
  Schema& schema() { return schema_; }
  uint64_t rows() const { return rows_; }

  // Stage the current row's cells; every field starts null (sets empty) for each row.
  void set_value(int field, int64_t v) {
    staged_[static_cast<size_t>(field)] = v;
    staged_null_[static_cast<size_t>(field)] = 0;
  }
  void set_null(int field) { staged_null_[static_cast<size_t>(field)] = 1; }
  // The staged row's id, when the schema has an id field and the row gives it.
  std::optional<int64_t> staged_id() const {
    if (schema_.id_field < 0 || staged_null_[static_cast<size_t>(schema_.id_field)]) return std::nullopt;
    return staged_[static_cast<size_t>(schema_.id_field)];
  }
  void set_string(int field, std::string_view s);
  void add_tag(int field, uint32_t code);
  // Appends the staged row. False (and nothing appended) when its id repeats an earlier row's.
  bool commit_row();
  void discard_row();

  Store finish();

  // Offsets of two bytes or more kept as byte slices (kSliced), 1-byte offsets of at most
  // kMaxPlanes bits as bit planes (kPlanes), and columns of long arithmetic runs as runs
  // (kRuns), the default; off keeps them whole (kOffsets), as snapshots before version 3 did:
  // the A/B and the tests of both.
  void set_slices(bool on) { slices_ = on; }
  // A value on at least 1 row in kFrequentShare gets a bitmap of its rows (the default; off
  // for the tests of both ways).
  void set_frequent(bool on) { frequent_ = on; }

 private:
  struct TagCol {
    std::vector<std::vector<std::vector<uint16_t>>> rows;  // [tag][chunk] -> row offsets
    std::vector<uint64_t> nonempty;
    std::vector<uint32_t> staged;
    std::vector<uint64_t> staged_in;  // [tag] -> the row (+1) it was last staged in: linear de-duplication
  };
  struct StrCol {
    StringCodes codes;
    std::vector<std::string> values;
    size_t committed = 0;  // values of committed rows; a discarded row's new ones are dropped
  };
  void pack_numeric(Store& s, int f, std::vector<int64_t>& vals, std::vector<uint64_t>& valid, uint64_t nulls);
  void pack_set(Store& s, int f, TagCol& t);
  void pack_strings(Store& s, int f, StrCol& sc);
  void* alloc(Store& s, uint64_t bytes);
  void slice_column(Store& s, int f);
  void plane_column(Store& s, int f);
  void run_column(Store& s, int f);
  void replace_offsets(Store& s, int f, uint32_t encoding, unsigned parts, const void* data, uint64_t stride,
                       uint64_t more = 0);
  void mark_frequent(Store& s, int f);
  bool id_is_new(int64_t id);

  Schema schema_;
  uint64_t rows_ = 0;
  std::vector<int64_t> staged_;
  std::vector<uint8_t> staged_null_;
  std::vector<std::vector<int64_t>> values_;    // per field (numeric, enum, bool, string codes)
  std::vector<std::vector<uint64_t>> validity_; // per field
  std::vector<uint64_t> null_counts_;
  std::vector<TagCol> tags_;                    // per field (set fields only used)
  std::vector<StrCol> strings_;                 // per field (string fields only used)
  // Duplicate ids: while ids only grow nothing is stored; the first id out of order builds a set.
  int64_t max_id_ = 0;
  bool ids_sorted_ = true;
  bool slices_ = true;
  bool frequent_ = true;
  std::unordered_set<int64_t> seen_ids_;
};

}  // namespace seg::rt
