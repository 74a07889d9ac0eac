// Strict JSON reading helpers shared by the schema, IR and form readers.
#include "base/json_reader.hpp"

#include <fmt/format.h>

namespace seg {

namespace {
struct TooDeep {};
struct Duplicate {};
}  // namespace

bool DuplicateKeys::see(Json::parse_event_t event, const Json& parsed) {
  using E = Json::parse_event_t;
  auto next_in_array = [&] {
    if (!stack_.empty() && !stack_.back().object) ++stack_.back().index;
  };
  switch (event) {
    case E::object_start: stack_.push_back(Frame{true, {}, {}, 0}); break;
    case E::array_start: stack_.push_back(Frame{false, {}, {}, 0}); break;
    case E::object_end:
    case E::array_end:
      if (!stack_.empty()) stack_.pop_back();
      next_in_array();
      break;
    case E::value: next_in_array(); break;
    case E::key: {
      if (stack_.empty() || !parsed.is_string()) break;
      Frame& top = stack_.back();
      top.key = parsed.get<std::string>();
      if (!top.keys.insert(top.key).second) {
        std::string p;
        for (size_t i = 0; i + 1 < stack_.size(); ++i)
          p = stack_[i].object ? json_path(p, stack_[i].key) : json_path(p, stack_[i].index);
        path_ = json_path(p, top.key);
        return false;
      }
      break;
    }
  }
  return true;
}

std::optional<Json> parse_json(std::string_view text, Diagnostics& diags, const Limits& limits) {
  if (text.size() > limits.max_json_bytes) {
    diags.json_error("E405", "", fmt::format("the JSON document is {} bytes; the limit is {}", text.size(), limits.max_json_bytes));
    return std::nullopt;
  }
  DuplicateKeys dups;
  try {
    // The callback sees the depth of every value as it is parsed; throwing stops the parse
    // before a hostile document builds a deep tree.
    auto cb = [&](int depth, Json::parse_event_t event, Json& parsed) {
      if (depth > limits.max_json_depth) throw TooDeep{};
      if (!dups.see(event, parsed)) throw Duplicate{};
      return true;
    };
    return Json::parse(text.begin(), text.end(), cb);
  } catch (const Duplicate&) {
    diags.json_error("E613", dups.path(), "this member is given twice in one object",
                     "keep one: a JSON reader would silently use the last");
  } catch (const TooDeep&) {
    diags.json_error("E406", "", fmt::format("the JSON document nests deeper than {} levels", limits.max_json_depth));
  } catch (const Json::parse_error& e) {
    // nlohmann's text is "[json.exception…] parse error at line L, column C: what"; keep "what".
    std::string what = e.what();
    auto p = what.rfind(": ");
    what = p == std::string::npos ? what : what.substr(p + 2);
    LineCol lc = line_col(text, static_cast<uint32_t>(e.byte > 0 ? e.byte - 1 : 0));
    diags.json_error("E601", "", fmt::format("invalid JSON at line {}, column {}: {}", lc.line, lc.column, what));
  } catch (const Json::exception& e) {
    // A number too large for a double (1e400) is out_of_range, not parse_error (found by fuzzing).
    std::string what = e.what();
    auto p = what.find("] ");
    diags.json_error("E601", "", fmt::format("invalid JSON: {}", p == std::string::npos ? what : what.substr(p + 2)));
  }
  return std::nullopt;
}

std::string json_path(std::string_view parent, std::string_view key) {
  std::string out(parent);
  out += '/';
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}
std::string json_path(std::string_view parent, size_t index) { return fmt::format("{}/{}", parent, index); }

const char* json_type_name(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "an integer";
    case Json::value_t::number_float: return "a number";
    default: return "a value";
  }
}

static const char* wanted(Json::value_t t) {
  switch (t) {
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer: return "an integer";
    default: return "a value";
  }
}

static bool type_ok(const Json& j, Json::value_t t) {
  if (t == Json::value_t::number_integer) return j.is_number_integer();
  return j.type() == t;
}

void check_members(const Json& obj, std::string_view path, std::initializer_list<std::string_view> allowed,
                   Diagnostics& diags) {
  if (!obj.is_object()) return;
  std::vector<std::string> names(allowed.begin(), allowed.end());
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(names.begin(), names.end(), it.key()) != names.end()) continue;
    auto near = nearest(it.key(), names, 1);
    diags.json_error("E605", json_path(path, it.key()), fmt::format("unknown member '{}'", it.key()),
                     near.empty() ? fmt::format("expected one of: {}", fmt::join(names, ", "))
                                  : fmt::format("did you mean '{}'?", near[0]));
  }
}

const Json* member(const Json& obj, std::string_view path, std::string_view key, Json::value_t type, bool required,
                   Diagnostics& diags) {
  auto it = obj.find(std::string(key));
  if (it == obj.end()) {
    if (required) diags.json_error("E604", std::string(path), fmt::format("missing member '{}'", key));
    return nullptr;
  }
  if (!type_ok(*it, type)) {
    diags.json_error("E603", json_path(path, key),
                     fmt::format("'{}' must be {}, not {}", key, wanted(type), json_type_name(*it)));
    return nullptr;
  }
  return &*it;
}

}  // namespace seg
