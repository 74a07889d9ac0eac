// JSON Lines loader: one object per line, members named like schema fields (any case,
// aliases too); sets as arrays of strings (or a `|`-separated string), timestamps as text or
// epoch seconds, decimals as numbers or strings, read exactly from the number's own text.
#include <charconv>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unordered_set>

#include <chrono>
#include <cstring>

#include "base/time_util.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/storage/load_common.hpp"
#include "runtime/storage/row_parser.hpp"
#include "runtime/storage/values.hpp"

namespace seg::rt {
namespace {

// One row's object as the SAX parser saw it: each member's kind and, for numbers, their own
// text, so a decimal is read exactly (nlohmann's DOM keeps a double: 90071992547409.93
// became ...409.94). Members holding objects, or arrays of anything but strings, keep only
// the type name for the error.
struct Member {
  std::string key;
  enum Kind { Null, Bool, Number, String, Array, Other } kind = Null;
  bool is_integer = false;            // Number: an integer literal within int64 (no point, no exponent)
  std::string text;                   // Number: its own text; String: the value
  std::vector<std::string> strings;   // Array of strings
  const char* bad_type = nullptr;     // Other (or an array element that is not a string)
};

class RowSax {
 public:
  std::vector<Member> members;
  std::string error;      // a syntax error or a duplicate member
  bool top_object = true; // false when the line is not an object
  const char* top_type = "object";

  // Before each line: every field of the state, as a row that failed part way (inside an
  // array, say, with --skip-bad-rows) leaves it (a review found the next rows' scalars read as
  // null after one bad byte in a tag list).
  void reset() {
    members.clear();
    error.clear();
    top_object = true;
    top_type = "object";
    depth_ = 0;
    nested_ = 0;
    in_array_ = false;
    keys_.clear();
  }

  bool null() { return value(Member::Null, "null"); }
  bool boolean(bool v) {
    if (!value(Member::Bool, "boolean")) return false;
    if (depth_ == 1 && !nested_ && !in_array_) members.back().text = v ? "1" : "0";
    return true;
  }
  bool number_integer(int64_t v) { return number(std::to_string(v), true); }
  bool number_unsigned(uint64_t v) { return number(std::to_string(v), v <= uint64_t{INT64_MAX}); }
  bool number_float(double, const std::string& text) { return number(text, false); }
  bool string(std::string& v) {
    if (depth_ == 1 && in_array_ && !nested_) {
      members.back().strings.push_back(std::move(v));
      return true;
    }
    if (!value(Member::String, "string")) return false;
    if (depth_ == 1 && !nested_ && !in_array_) members.back().text = std::move(v);
    return true;
  }
  bool binary(nlohmann::json::binary_t&) { return value(Member::Other, "binary"); }
  bool start_object(size_t) {
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (!nested_) value(Member::Other, "object");
    ++nested_;
    return true;
  }
  bool end_object() {
    if (nested_) {
      --nested_;
      return true;
    }
    depth_ = 0;
    return true;
  }
  bool start_array(size_t) {
    if (depth_ == 0) return top("array");
    if (nested_) {
      ++nested_;
      return true;
    }
    if (in_array_) {
      element_type("array");
      ++nested_;
      return true;
    }
    members.back().kind = Member::Array;
    in_array_ = true;
    return true;
  }
  bool end_array() {
    if (nested_) {
      --nested_;
      return true;
    }
    in_array_ = false;
    return true;
  }
  bool key(std::string& k) {
    if (depth_ != 1 || nested_) return true;
    if (!keys_.insert(k).second) {
      error = "member /" + k + " given twice";
      return false;
    }
    members.push_back(Member{});
    members.back().key = std::move(k);
    return true;
  }
  bool parse_error(size_t position, const std::string& last_token, const nlohmann::json::exception& e) {
    // A number past a double (1e400) is valid JSON the parser cannot hold: said so, with its
    // member, rather than "not valid JSON" (found by a review).
    if (error.empty() && dynamic_cast<const nlohmann::json::out_of_range*>(&e))
      error = (members.empty() || depth_ != 1 || nested_ ? std::string() : "member /" + members.back().key + ": ") + "the number " +
              last_token + " is out of range";
    // Otherwise where and why, from the parser's own message ("... column 29: syntax error
    // while parsing value - invalid literal; last read: '...'"): a bare "not valid JSON" left a
    // long row to be searched by eye (found by a review). The byte is where the parser stopped:
    // the end of the token it could not take.
    if (error.empty()) {
      std::string_view what = e.what();
      const size_t colon = what.find(": ");
      std::string_view why = colon == std::string_view::npos ? std::string_view() : what.substr(colon + 2);
      if (why.starts_with("syntax error while parsing "))
        if (size_t dash = why.find(" - "); dash != std::string_view::npos) why.remove_prefix(dash + 3);
      error = fmt::format("not valid JSON at byte {} of the line{}{}", position + column_shift, why.empty() ? "" : ": ", why);
    }
    return false;
  }
  size_t column_shift = 0;  // bytes taken off the line before parsing (a byte order mark)

 private:
  bool top(const char* type) {
    top_object = false;
    top_type = type;
    return false;
  }
  void element_type(const char* type) {
    if (!members.back().bad_type) members.back().bad_type = type;
  }
  bool value(Member::Kind kind, const char* type) {
    if (depth_ == 0) return top(type);
    if (nested_) return true;
    if (in_array_) {
      element_type(type);
      return true;
    }
    members.back().kind = kind;
    if (kind == Member::Other) members.back().bad_type = type;
    return true;
  }
  bool number(std::string text, bool integer) {
    if (!value(Member::Number, "number")) return false;
    if (depth_ == 1 && !nested_ && !in_array_) {
      members.back().text = std::move(text);
      members.back().is_integer = integer;
    }
    return true;
  }
  int depth_ = 0;
  int nested_ = 0;  // depth inside a member's object or an array's element
  bool in_array_ = false;
  std::unordered_set<std::string> keys_;
};

class JsonlLoader {
 public:
  JsonlLoader(std::string_view name, const Schema& schema, const LoadOptions& opt)
      : opt_(opt), builder_(schema), parser_(builder_, opt.limits.max_dictionary_values), report_(name, opt) {
    builder_.set_slices(opt.slices);
    builder_.set_frequent(opt.frequent);
    seen_.resize(schema.fields.size());
  }

  bool line(std::string_view text, uint64_t line_no) {
    // A byte order mark before the first line, whatever follows it (a blank line after one was
    // "not valid JSON"; found by a review).
    sax_.column_shift = 0;
    if (line_no == 1 && text.starts_with("\xEF\xBB\xBF")) {
      text.remove_prefix(3);
      sax_.column_shift = 3;
    }
    size_t a = text.find_first_not_of(" \t\r");
    if (a == std::string_view::npos) return true;  // blank lines carry no row
    // nlohmann's parser takes a NUL byte for the end of its input: `{row}\0{row}` loaded the
    // first row and dropped the rest of the line without a word (found by a review).
    if (size_t nul = text.find('\0'); nul != std::string_view::npos)
      return bad(line_no, "", "E709", fmt::format("a NUL byte at column {}: a JSON Lines row is text", nul + 1));
    sax_.reset();
    bool parsed = nlohmann::json::sax_parse(text.begin(), text.end(), &sax_);
    if (!sax_.top_object)
      return bad(line_no, "", "E709", std::string("expected an object, not ") + (sax_.top_type));
    if (!parsed) return bad(line_no, "", "E709", sax_.error.empty() ? "not valid JSON" : sax_.error);
    std::fill(seen_.begin(), seen_.end(), 0);
    const Schema& s = builder_.schema();
    std::string code, why;
    std::string id_text;
    for (const Member& m : sax_.members) {
      int f = s.find(m.key);
      if (f < 0) return bad(line_no, m.key, "E709", "'" + m.key + "' is not a schema field");
      if (seen_[static_cast<size_t>(f)]++) return bad(line_no, m.key, "E709", "field given twice");
      if (f == s.id_field) id_text = m.kind == Member::String ? "\"" + m.text + "\"" : m.text;
      if (!value(f, m, code, why)) return bad(line_no, m.key, code, why);
    }
    for (size_t f = 0; f < seen_.size(); ++f) {
      if (!seen_[f] && opt_.whole_rows)
        return bad(line_no, s.fields[f].name, "E709",
                   "field " + s.fields[f].name +
                       " is missing: a batch's rows replace clients' whole rows, so a field left out would be erased "
                       "(give every field; null for none)");
      if (!seen_[f] && !parser_.null_cell(static_cast<int>(f), code, why))
        return bad(line_no, s.fields[f].name, code, why);
    }
    if (auto id = parser_.id_in(opt_.refused_ids))
      return bad(line_no, s.fields[static_cast<size_t>(s.id_field)].name, opt_.refused_id_code,
                 "client " + std::to_string(*id) + " " + opt_.refused_id_reason);
    if (!parser_.commit_row())
      return bad(line_no, s.id_field >= 0 ? s.fields[static_cast<size_t>(s.id_field)].name : "", "E708",
                 "duplicate id " + id_text);
    return true;
  }

  bool too_long(uint64_t line_no, size_t max) { return report_.too_long(line_no, max); }
  Reporter& reporter() { return report_; }
  LoadResult finish(uint64_t bytes, double seconds) { return report_.finish(builder_, parser_, bytes, seconds); }

 private:
  bool bad(uint64_t line, const std::string& member, std::string_view code, std::string msg) {
    return report_.bad_row(line, 0, member, code, std::move(msg), parser_);
  }

  bool value(int f, const Member& m, std::string& code, std::string& why) {
    const Field& fd = builder_.schema().fields[static_cast<size_t>(f)];
    static const char* const kinds[] = {"null", "boolean", "number", "string", "array", "object"};
    auto wrong = [&] {
      code = "E709";
      const std::string_view type = type_name(fd.type);
      why = std::string(type.find_first_of("aeiou") == 0 ? "an " : "a ") + std::string(type) + " field cannot hold a JSON " +
            (m.kind == Member::Other && m.bad_type ? m.bad_type : kinds[m.kind]);
      return false;
    };
    switch (m.kind) {
      case Member::Null: return parser_.null_cell(f, code, why);
      case Member::String:
        if (m.text.empty() && fd.type != FieldType::Set && fd.type != FieldType::String)
          return parser_.null_cell(f, code, why);
        if (fd.type == FieldType::String) {
          builder_.set_string(f, m.text);  // "" is a value here, not null (UTF-8 checked by the parser)
          return true;
        }
        return parser_.cell(f, m.text, code, why);
      case Member::Bool:
        if (fd.type != FieldType::Bool) return wrong();
        builder_.set_value(f, m.text == "1" ? 1 : 0);
        return true;
      case Member::Number:
        if (fd.type == FieldType::Timestamp) {
          // Epoch seconds, within the years a timestamp is written in (0000-9999), so every
          // value loaded prints as text that loads again (found by QA). A number written with
          // an exponent is read from its plain text, as an int field reads it: `1e3` is 1000
          // seconds (it was refused as outside the years; a review), `1e20` is outside them.
          std::string plain, unused;
          const std::string& digits = m.is_integer || !plain_number_text(m.text, plain, unused) ? m.text : plain;
          const size_t from = !digits.empty() && digits[0] == '-' ? 1 : 0;
          const bool whole = digits.size() > from && digits.find_first_not_of("0123456789", from) == std::string::npos;
          code = "E705";
          if (!whole) {
            why = "epoch seconds must be a whole number, not " + m.text;
            return false;
          }
          int64_t t = 0;
          const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), t);
          if (ec != std::errc() || end != digits.data() + digits.size() || !writable_second(t)) {
            why = "epoch seconds " + m.text + " fall outside the years 0000-9999";
            return false;
          }
          code.clear();
          builder_.set_value(f, t);
          return true;
        }
        if (fd.type != FieldType::Int && fd.type != FieldType::Decimal) return wrong();
        {
          // From the number's own text, exactly (an exponent is written out first).
          std::string plain;
          if (!plain_number_text(m.text, plain, why)) {
            code = "E704";
            return false;
          }
          return parser_.cell(f, plain, code, why);
        }
      case Member::Array:
        if (fd.type != FieldType::Set) return wrong();
        if (m.bad_type) {
          code = "E709";
          why = std::string("set values must be strings, not ") + m.bad_type;
          return false;
        }
        for (const auto& e : m.strings)
          if (!parser_.tag(f, e, code, why)) return false;
        return true;
      case Member::Other: return wrong();
    }
    return wrong();
  }

  LoadOptions opt_;
  RowSax sax_;
  StoreBuilder builder_;
  RowParser parser_;
  Reporter report_;
  std::vector<uint8_t> seen_;
};

}  // namespace

LoadResult load_jsonl_text(std::string_view text, std::string_view name, const Schema& schema, const LoadOptions& opt) {
  JsonlLoader loader(name, schema, opt);
  return load_lines(text, loader, opt);
}

LoadResult load_jsonl(const std::string& path, const Schema& schema, const LoadOptions& opt) {
  return with_input(path, [&](Input& in) { return load_jsonl(in, schema, opt); });
}

LoadResult load_jsonl(Input& in, const Schema& schema, const LoadOptions& opt) {
  JsonlLoader loader(in.name(), schema, opt);
  return stream_lines(in, loader, opt);
}

}  // namespace seg::rt
