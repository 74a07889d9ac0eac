// JSON Lines loader: one object per line, members named like schema fields (any case,
// aliases too); sets as arrays of strings (or a `|`-separated string), timestamps as text or
// epoch seconds, decimals as numbers or strings (read from their shortest exact text).
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>

#include "compiler/json_reader.hpp"
#include "compiler/time_util.hpp"
#include "runtime/load.hpp"
#include "runtime/load_common.hpp"
#include "runtime/row_parser.hpp"

namespace seg::rt {
namespace {

class JsonlLoader {
 public:
  JsonlLoader(std::string_view name, const Schema& schema, const LoadOptions& opt)
      : builder_(schema), parser_(builder_, opt.limits.max_dictionary_values), report_(name, opt) {
    seen_.resize(schema.fields.size());
  }

  bool line(std::string_view text, uint64_t line_no) {
    size_t a = text.find_first_not_of(" \t\r");
    if (a == std::string_view::npos) return true;  // blank lines carry no row
    // A member given twice would otherwise be last-wins (the first value silently lost).
    DuplicateKeys dups;
    bool dup = false;
    auto cb = [&](int, nlohmann::json::parse_event_t e, nlohmann::json& parsed) {
      if (!dup && !dups.see(e, parsed)) dup = true;
      return true;
    };
    auto j = nlohmann::json::parse(text.begin(), text.end(), cb, false);
    if (dup) return bad(line_no, "", "E709", "member " + dups.path() + " given twice");
    if (j.is_discarded()) return bad(line_no, "", "E709", "not valid JSON");
    if (!j.is_object()) return bad(line_no, "", "E709", "expected an object, not " + std::string(j.type_name()));
    std::fill(seen_.begin(), seen_.end(), 0);
    const Schema& s = builder_.schema();
    std::string code, why;
    std::string id_text;
    for (auto it = j.begin(); it != j.end(); ++it) {
      int f = s.find(it.key());
      if (f < 0) return bad(line_no, it.key(), "E709", "'" + it.key() + "' is not a schema field");
      if (seen_[static_cast<size_t>(f)]++) return bad(line_no, it.key(), "E709", "field given twice");
      if (f == s.id_field) id_text = it.value().dump();
      if (!value(f, it.value(), code, why)) return bad(line_no, it.key(), code, why);
    }
    for (size_t f = 0; f < seen_.size(); ++f)
      if (!seen_[f] && !parser_.null_cell(static_cast<int>(f), code, why))
        return bad(line_no, s.fields[f].name, code, why);
    if (!builder_.commit_row())
      return bad(line_no, s.id_field >= 0 ? s.fields[static_cast<size_t>(s.id_field)].name : "", "E708",
                 "duplicate id " + id_text);
    return true;
  }

  bool too_long(uint64_t line_no, size_t max) { return report_.too_long(line_no, max); }
  LoadResult finish(uint64_t bytes, double seconds) { return report_.finish(builder_, parser_, bytes, seconds); }

 private:
  bool bad(uint64_t line, const std::string& member, std::string_view code, std::string msg) {
    return report_.bad_row(line, 0, member, code, std::move(msg), builder_);
  }

  bool value(int f, const nlohmann::json& v, std::string& code, std::string& why) {
    const Field& fd = builder_.schema().fields[static_cast<size_t>(f)];
    auto wrong = [&] {
      code = "E709";
      why = std::string("a ") + std::string(type_name(fd.type)) + " field cannot hold a JSON " + v.type_name();
      return false;
    };
    switch (v.type()) {
      case nlohmann::json::value_t::null: return parser_.null_cell(f, code, why);
      case nlohmann::json::value_t::string: {
        const auto& s = v.get_ref<const std::string&>();
        if (s.empty() && fd.type != FieldType::Set && fd.type != FieldType::String) return parser_.null_cell(f, code, why);
        if (fd.type == FieldType::String) {
          builder_.set_string(f, s);  // "" is a value here, not null
          return true;
        }
        return parser_.cell(f, s, code, why);
      }
      case nlohmann::json::value_t::boolean:
        if (fd.type != FieldType::Bool) return wrong();
        builder_.set_value(f, v.get<bool>() ? 1 : 0);
        return true;
      case nlohmann::json::value_t::number_integer:
      case nlohmann::json::value_t::number_unsigned:
        if (fd.type == FieldType::Timestamp) {
          // Epoch seconds, within the years a timestamp is written in (0000-9999), so every
          // value loaded prints as text that loads again (found by QA).
          if ((v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(kLastWritableSecond)) ||
              (!v.is_number_unsigned() &&
               (v.get<int64_t>() < kFirstWritableSecond || v.get<int64_t>() > kLastWritableSecond))) {
            code = "E705";
            why = "epoch seconds " + v.dump() + " fall outside the years 0000-9999";
            return false;
          }
          builder_.set_value(f, v.get<int64_t>());  // epoch seconds
          return true;
        }
        [[fallthrough]];
      case nlohmann::json::value_t::number_float:
        if (fd.type != FieldType::Int && fd.type != FieldType::Decimal) return wrong();
        return parser_.cell(f, v.dump(), code, why);  // the shortest text that reads back exactly
      case nlohmann::json::value_t::array:
        if (fd.type != FieldType::Set) return wrong();
        for (const auto& e : v) {
          if (!e.is_string()) {
            code = "E709";
            why = std::string("set values must be strings, not ") + e.type_name();
            return false;
          }
          if (!parser_.tag(f, e.get_ref<const std::string&>(), code, why)) return false;
        }
        return true;
      default: return wrong();
    }
  }

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
  JsonlLoader loader(path, schema, opt);
  return stream_lines(path, loader, opt);
}

}  // namespace seg::rt
