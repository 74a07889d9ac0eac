// Turns the text of one cell into a typed value of the row being built: shared by the CSV
// and JSON Lines loaders so both accept and reject exactly the same values.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/storage/store_builder.hpp"

namespace seg::rt {

class RowParser {
 public:
  // An open dictionary may grow to `max_dictionary_values` (E408 for the row that would pass it).
  RowParser(StoreBuilder& builder, size_t max_dictionary_values);

  // Stages `text` as field `f`'s value; "" is null (the empty set for set fields).
  // On failure sets `code` (E7xx) and `why`.
  bool cell(int f, std::string_view text, std::string& code, std::string& why);
  // One value of a set field (JSON arrays); empty names are ignored.
  bool tag(int f, std::string_view name, std::string& code, std::string& why);
  // Non-nullable fields missing from the input: an error on every row.
  bool null_cell(int f, std::string& code, std::string& why);
  StoreBuilder& builder() { return b_; }
  // Appends the staged row (false when its id repeats; the row is then still staged, for
  // discard_row). Dictionary values the row added stay only once it is committed.
  bool commit_row();
  // The staged row's id when it is one of `ids` (ascending).
  std::optional<int64_t> id_in(const std::vector<int64_t>& ids) const;
  // Drops the staged row and every dictionary value it added: a skipped row leaves no trace.
  void discard_row();
  // "did you mean ...?" for the last value a closed dictionary lacked (E706), "" when nothing is
  // near; cleared by the call. Computed only when asked: a load skipping millions of bad rows
  // reports a few of them.
  std::string take_suggestion();
  // New open-dictionary values, "field: value", in the order met.
  std::vector<std::string>& added() { return added_; }

 private:
  bool dict_value(int f, std::string_view name, uint32_t& out, std::string& code, std::string& why);
  StoreBuilder& b_;
  size_t max_dictionary_values_;
  std::vector<StringCodes> exact_;   // per dictionary field
  std::vector<StringCodes> folded_;  // closed dictionaries: loose form -> code (UINT32_MAX: ambiguous)
  std::vector<std::string> added_;
  int unknown_field_ = -1;     // the last E706 "not a value": its field and text
  std::string unknown_value_;
  std::vector<int> pending_;  // fields whose dictionary grew by one value in the staged row
};

}  // namespace seg::rt
