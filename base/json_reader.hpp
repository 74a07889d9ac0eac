// Strict JSON reading with JSON paths: parse with limits, then typed accessors that report
// every problem as a diagnostic at its path (/rule/and/2/values/0) instead of throwing.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/diagnostics.hpp"
#include "base/limits.hpp"

namespace seg {

using Json = nlohmann::json;

// The text of each non-integer number in a document, by its JSON path ("" for a document
// that is one number), for readers that must not go through a double (exact decimals).
using NumberTexts = std::unordered_map<std::string, std::string>;

// Parses `text`; on a syntax error (E601), a member given twice in one object (E613), over
// max_json_bytes (E405) or max_json_depth (E406) reports it and returns nullopt. With
// `numbers`, records the text of every non-integer number.
std::optional<Json> parse_json(std::string_view text, Diagnostics& diags, const Limits& limits = {},
                               NumberTexts* numbers = nullptr);

// "/a/b" + key, escaping "~" and "/" as RFC 6901 says.
std::string json_path(std::string_view parent, std::string_view key);
std::string json_path(std::string_view parent, size_t index);
const char* json_type_name(const Json& j);
// An integer that fits in int64. nlohmann keeps one above INT64_MAX as unsigned, and
// get<int64_t>() of it wraps to a negative number.
inline bool is_int64(const Json& j) {
  return j.is_number_integer() && !(j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX));
}

// Checks that every member of `obj` is one of `allowed`; reports E605 with a suggestion otherwise.
void check_members(const Json& obj, std::string_view path, std::initializer_list<std::string_view> allowed,
                   Diagnostics& diags);
// Member accessors: report E604 (missing, when required) or E603 (wrong type).
const Json* member(const Json& obj, std::string_view path, std::string_view key, Json::value_t type,
                   bool required, Diagnostics& diags);

}  // namespace seg
