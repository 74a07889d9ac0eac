// Strict JSON reading with JSON paths: parse with limits, then typed accessors that report
// every problem as a diagnostic at its path (/rule/and/2/values/0) instead of throwing.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/diagnostics.hpp"
#include "base/limits.hpp"

namespace seg {

using Json = nlohmann::json;

// Parses `text`; on a syntax error (E601) or over max_json_bytes (E405) or max_json_depth
// (E406) reports it and returns nullopt.
std::optional<Json> parse_json(std::string_view text, Diagnostics& diags, const Limits& limits = {});

// Finds a member given twice in one object while nlohmann parses (it keeps the last one
// silently, which would lose what the person wrote first). Feed it every parser callback.
class DuplicateKeys {
 public:
  // Returns false once a duplicate has been seen; path() is then its JSON path.
  bool see(Json::parse_event_t event, const Json& parsed);
  const std::string& path() const { return path_; }

 private:
  struct Frame {
    bool object;
    std::unordered_set<std::string> keys;
    std::string key;
    size_t index = 0;
  };
  std::vector<Frame> stack_;
  std::string path_;
};

// "/a/b" + key, escaping "~" and "/" as RFC 6901 says.
std::string json_path(std::string_view parent, std::string_view key);
std::string json_path(std::string_view parent, size_t index);
const char* json_type_name(const Json& j);

// Checks that every member of `obj` is one of `allowed`; reports E605 with a suggestion otherwise.
void check_members(const Json& obj, std::string_view path, std::initializer_list<std::string_view> allowed,
                   Diagnostics& diags);
// Member accessors: report E604 (missing, when required) or E603 (wrong type).
const Json* member(const Json& obj, std::string_view path, std::string_view key, Json::value_t type,
                   bool required, Diagnostics& diags);

}  // namespace seg
