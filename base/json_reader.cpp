// Strict JSON reading helpers shared by the schema, IR and form readers.
#include "base/json_reader.hpp"

#include <fmt/format.h>

#include <unordered_set>

namespace seg {

namespace {

// Builds the document as nlohmann's own parser does, plus what its parser cannot: the depth
// limit checked before a hostile document builds a deep tree, a member given twice refused
// (nlohmann keeps the last one silently, which would lose what the person wrote first), and
// the text of every non-integer number kept by its JSON path (a builder's 100.5 must be read
// as the decimal it spells, never through a double).
class DocumentBuilder {
 public:
  DocumentBuilder(int max_depth, NumberTexts* numbers) : max_depth_(static_cast<size_t>(max_depth)), numbers_(numbers) {}

  enum class Stop { None, TooDeep, Duplicate, Syntax };
  Stop stop = Stop::None;
  std::string duplicate_path;
  std::string syntax_what;
  size_t syntax_byte = 0;
  bool syntax_located = false;
  Json root;

  bool null() { return value(Json()); }
  bool boolean(bool b) { return value(b); }
  bool number_integer(Json::number_integer_t v) { return value(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return value(v); }
  bool number_float(Json::number_float_t v, const std::string& text) {
    if (numbers_) (*numbers_)[stack_.empty() ? std::string() : next_path()] = text;
    return value(v);
  }
  bool string(std::string& s) { return value(std::move(s)); }
  bool binary(Json::binary_t&) { return false; }  // never produced when parsing text
  bool start_object(std::size_t) { return open(Json::object()); }
  bool start_array(std::size_t) { return open(Json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(std::string& k) {
    if (stack_.size() > max_depth_) return fail(Stop::TooDeep);
    Frame& top = stack_.back();
    if (!top.keys.insert(k).second) {
      duplicate_path = json_path(top.path, k);
      return fail(Stop::Duplicate);
    }
    top.key = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    syntax_what = e.what();
    if (const auto* pe = dynamic_cast<const Json::parse_error*>(&e)) {
      syntax_byte = pe->byte;
      syntax_located = true;
    }
    return fail(Stop::Syntax);
  }

 private:
  struct Frame {
    Json* container;
    std::string path;
    std::unordered_set<std::string> keys;
    std::string key;
  };

  bool fail(Stop why) {
    stop = why;
    return false;
  }
  std::string next_path() const {
    const Frame& top = stack_.back();
    return top.container->is_object() ? json_path(top.path, top.key) : json_path(top.path, top.container->size());
  }
  // Places `v` where the parse is and returns where it now lives.
  Json* place(Json&& v) {
    if (stack_.empty()) {
      root = std::move(v);
      return &root;
    }
    Frame& top = stack_.back();
    if (top.container->is_object()) return &((*top.container)[top.key] = std::move(v));
    top.container->push_back(std::move(v));
    return &top.container->back();
  }
  bool value(Json&& v) {
    if (stack_.size() > max_depth_) return fail(Stop::TooDeep);
    place(std::move(v));
    return true;
  }
  bool open(Json&& empty) {
    if (stack_.size() > max_depth_) return fail(Stop::TooDeep);
    std::string path = stack_.empty() ? std::string() : next_path();
    // A pointer into the parent stays valid while this container is open: nothing else is
    // added to the parent until it closes.
    Json* at = place(std::move(empty));
    stack_.push_back(Frame{at, std::move(path), {}, {}});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  size_t max_depth_;
  NumberTexts* numbers_;
  std::vector<Frame> stack_;
};

// E601 at a place in the text: its line and column are the diagnostic's too, where a host
// reads them (seg_diagnostic_line/column), not only words in the message.
void syntax_error(Diagnostics& diags, LineCol at, std::string_view what) {
  diags.json_error("E601", "", fmt::format("invalid JSON at line {}, column {}: {}", at.line, at.column, what));
  diags.list().back().line = at.line;
  diags.list().back().column = at.column;
}

}  // namespace

std::optional<Json> parse_json(std::string_view text, Diagnostics& diags, const Limits& limits, NumberTexts* numbers) {
  if (text.size() > limits.max_json_bytes) {
    // (Readers stop at the limit and a byte, so the document's own size is not known here.)
    diags.json_error("E405", "", fmt::format("the JSON document is larger than the limit of {} bytes", limits.max_json_bytes));
    return std::nullopt;
  }
  // nlohmann's parser takes a NUL byte for the end of its input, and a document cut there may
  // still parse: what follows would be dropped without a word.
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    syntax_error(diags, line_col(text, static_cast<uint32_t>(nul)), "a NUL byte (a JSON document is text)");
    return std::nullopt;
  }
  DocumentBuilder builder(limits.max_json_depth, numbers);
  if (Json::sax_parse(text.begin(), text.end(), &builder)) return std::move(builder.root);
  switch (builder.stop) {
    case DocumentBuilder::Stop::Duplicate:
      diags.json_error("E613", builder.duplicate_path, "this member is given twice in one object",
                       "keep one: a JSON reader would silently use the last");
      break;
    case DocumentBuilder::Stop::TooDeep:
      diags.json_error("E406", "", fmt::format("the JSON document nests deeper than {} levels", limits.max_json_depth));
      break;
    case DocumentBuilder::Stop::None:
    case DocumentBuilder::Stop::Syntax: {
      std::string what = builder.syntax_what;
      if (builder.syntax_located) {
        // nlohmann's text is "[json.exception…] parse error at line L, column C: what"; keep "what".
        auto p = what.rfind(": ");
        what = p == std::string::npos ? what : what.substr(p + 2);
        syntax_error(diags, line_col(text, static_cast<uint32_t>(builder.syntax_byte > 0 ? builder.syntax_byte - 1 : 0)), what);
      } else {
        // A number too large for a double (1e400) is out_of_range, not parse_error (found by fuzzing).
        auto p = what.find("] ");
        diags.json_error("E601", "", fmt::format("invalid JSON: {}", p == std::string::npos ? what : what.substr(p + 2)));
      }
      break;
    }
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
