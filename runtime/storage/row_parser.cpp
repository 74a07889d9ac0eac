// Typed cell parsing for the loaders: numbers, decimals, timestamps, dictionary values
// (closed dictionaries also match loosely, open ones grow) and `|`-separated sets.
#include "runtime/storage/row_parser.hpp"

#include <limits>

#include "base/diagnostics.hpp"
#include "base/text_util.hpp"
#include "runtime/storage/values.hpp"

namespace seg::rt {

namespace {
// Offset of the first byte that is not valid UTF-8 (shortest form, no surrogates, at most
// U+10FFFF), or npos. Text values end up in schema JSON (new tags) and JSON output, which
// take only UTF-8: a Latin-1 file is refused, not half loaded (found by fuzzing).
size_t invalid_utf8_at(std::string_view t) {
  for (size_t i = 0; i < t.size();) {
    const size_t n = utf8_len(t, i);  // base/text_util.hpp: the one check
    if (!n) return i;
    i += n;
  }
  return std::string_view::npos;
}

bool valid_text(std::string_view t, std::string& code, std::string& why) {
  size_t at = invalid_utf8_at(t);
  if (at == std::string_view::npos) return true;
  code = "E704";
  why = "not valid UTF-8 (byte " + std::to_string(at + 1) + " of the value)";
  return false;
}

// Dictionary values (enum values, tags) are names: spaces around them are trimmed (a
// hand-made `VIP| NEW` means NEW) and control characters refused, as in rule text, where a
// name cannot hold one either.
bool dictionary_name(std::string_view& t, std::string& code, std::string& why) {
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  for (size_t i = 0; i < t.size(); ++i) {
    auto c = static_cast<unsigned char>(t[i]);
    if (c < 0x20 || c == 0x7f) {
      code = "E704";
      why = "a control character (at byte " + std::to_string(i + 1) + " of the value) in a dictionary value";
      return false;
    }
  }
  return valid_text(t, code, why);
}
}  // namespace

RowParser::RowParser(StoreBuilder& builder, size_t max_dictionary_values)
    : b_(builder), max_dictionary_values_(max_dictionary_values) {
  const Schema& s = b_.schema();
  exact_.resize(s.fields.size());
  folded_.resize(s.fields.size());
  for (size_t f = 0; f < s.fields.size(); ++f) {
    const Field& fd = s.fields[f];
    if (!fd.is_dictionary()) continue;
    for (uint32_t c = 0; c < fd.dict.size(); ++c) {
      exact_[f].emplace(fd.dict[c].key, c);
      if (fd.dict.open) continue;
      for (const std::string* form : {&fd.dict[c].key, &fd.dict[c].label}) {
        if (form->empty()) continue;
        auto [it, fresh] = folded_[f].emplace(fold_value(*form), c);
        if (!fresh && it->second != c) it->second = std::numeric_limits<uint32_t>::max();
      }
    }
  }
}

bool RowParser::dict_value(int f, std::string_view name, uint32_t& out, std::string& code, std::string& why) {
  auto& ex = exact_[static_cast<size_t>(f)];
  if (auto it = ex.find(name); it != ex.end()) {
    out = it->second;
    return true;
  }
  Field& fd = b_.schema().fields[static_cast<size_t>(f)];
  if (fd.dict.open) {
    if (fd.dict.size() >= max_dictionary_values_) {
      code = "E408";
      why = "'" + std::string(name) + "' would be value " + std::to_string(fd.dict.size() + 1) + " of " + fd.name +
            "; the limit is " + std::to_string(max_dictionary_values_) + " (max_dictionary_values)";
      return false;
    }
    out = fd.dict.add(std::string(name));
    ex.emplace(std::string(name), out);
    added_.push_back(std::string(fd.name).append(": ").append(name));
    pending_.push_back(f);
    return true;
  }
  auto& fo = folded_[static_cast<size_t>(f)];
  auto it = fo.find(fold_value(name));
  if (it != fo.end() && it->second != std::numeric_limits<uint32_t>::max()) {
    out = it->second;
    return true;
  }
  code = "E706";
  why.clear();
  why += '\'';
  why += name;
  if (it == fo.end()) {
    why += "' is not a value of ";
    why += fd.name;
    unknown_field_ = f;
    unknown_value_.assign(name);
    return false;
  }
  // Loosely it is more than one of them (`a b` beside `ab` and `a_b`): said so, with them, as
  // the rule checker says it (found by a review: it was "not a value").
  why += "' matches several values of ";
  why += fd.name;
  why += ": ";
  std::vector<uint32_t> several;
  (void)resolve_dictionary_value(fd.dict, name, several);  // (an error's path: folds the dictionary once)
  for (size_t k = 0; k < several.size(); ++k) why.append(k ? ", " : "").append(fd.dict[several[k]].key);
  why += " (write one of them exactly)";
  return false;
}

std::string RowParser::take_suggestion() {
  if (unknown_field_ < 0) return "";
  const Field& fd = b_.schema().fields[static_cast<size_t>(unknown_field_)];
  unknown_field_ = -1;
  std::vector<std::string> keys;
  keys.reserve(fd.dict.size());
  for (uint32_t c = 0; c < fd.dict.size(); ++c) keys.push_back(fd.dict[c].key);
  // As the rule checker says it for the same typo (`stage = Activ`): the keys data writes.
  std::vector<std::string> near = nearest(unknown_value_, keys, 3);
  if (near.empty()) return "";
  std::string out = near.size() == 1 ? "did you mean " : "did you mean one of ";
  for (size_t k = 0; k < near.size(); ++k) out.append(k ? ", `" : "`").append(near[k]).append("`");
  return out + "?";
}

bool RowParser::commit_row() {
  if (!b_.commit_row()) return false;
  pending_.clear();
  return true;
}

std::optional<int64_t> RowParser::id_in(const std::vector<int64_t>& ids) const {
  if (ids.empty()) return std::nullopt;
  const std::optional<int64_t> id = b_.staged_id();
  if (id && std::binary_search(ids.begin(), ids.end(), *id)) return id;
  return std::nullopt;
}

void RowParser::discard_row() {
  // Newest first: each field's pending values are the last ones of its dictionary.
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
    Field& fd = b_.schema().fields[static_cast<size_t>(*it)];
    exact_[static_cast<size_t>(*it)].erase(fd.dict[fd.dict.size() - 1].key);
    fd.dict.pop_back();
    added_.pop_back();
  }
  pending_.clear();
  b_.discard_row();
}

bool RowParser::null_cell(int f, std::string& code, std::string& why) {
  const Field& fd = b_.schema().fields[static_cast<size_t>(f)];
  if (fd.nullable || fd.type == FieldType::Set) return true;
  code = "E707";
  why = fd.name + " cannot be empty (the field is not nullable)";
  return false;
}

bool RowParser::tag(int f, std::string_view name, std::string& code, std::string& why) {
  if (!dictionary_name(name, code, why)) return false;
  if (name.empty()) return true;
  uint32_t c;
  if (!dict_value(f, name, c, code, why)) return false;
  b_.add_tag(f, c);
  return true;
}

namespace {
// A cell as an E704/E705 message quotes it, as E706 quotes a value: `'seven': expected an
// integer`. Up to 40 bytes, cut at a character's start; the rendering escapes control
// characters (a user looking for the bad cell in a wide row had only the column number).
std::string quoted_cell(std::string_view text) {
  const size_t cut = utf8_prefix(text, 40);
  std::string q = "'";
  q.append(text.substr(0, cut)).append(cut < text.size() ? "...'" : "'");
  return q;
}
}  // namespace

bool RowParser::cell(int f, std::string_view text, std::string& code, std::string& why) {
  const Field& fd = b_.schema().fields[static_cast<size_t>(f)];
  if (text.empty()) return null_cell(f, code, why);
  int64_t v = 0;
  bool ok = true;
  switch (fd.type) {
    case FieldType::Int: ok = parse_int(text, v, why); break;
    case FieldType::Decimal: ok = parse_decimal(text, fd.scale, v, why); break;
    case FieldType::Timestamp:
      if (!parse_timestamp(text, v, why)) {
        code = "E705";
        why = quoted_cell(text) + ": " + why;
        return false;
      }
      break;
    case FieldType::Bool: ok = parse_bool(text, v, why); break;
    case FieldType::String:
      if (!valid_text(text, code, why)) return false;
      b_.set_string(f, text);
      return true;
    case FieldType::Enum: {
      if (!dictionary_name(text, code, why)) return false;
      if (text.empty()) return null_cell(f, code, why);
      uint32_t c;
      if (!dict_value(f, text, c, code, why)) return false;
      v = c;
      break;
    }
    case FieldType::Set: {
      // `|` separates values; `\|` is a bar and `\\` a backslash inside one (how the store
      // prints them, so printed rows load back); any other backslash is itself.
      if (text.find('\\') == std::string_view::npos) {
        size_t start = 0;
        while (start <= text.size()) {
          size_t bar = text.find('|', start);
          if (bar == std::string_view::npos) bar = text.size();
          if (!tag(f, text.substr(start, bar - start), code, why)) return false;
          start = bar + 1;
        }
        return true;
      }
      std::string one;
      for (size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == '|') {
          if (!tag(f, one, code, why)) return false;
          one.clear();
        } else if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == '|' || text[i + 1] == '\\')) {
          one += text[++i];
        } else {
          one += text[i];
        }
      }
      return true;
    }
  }
  if (!ok) {
    code = "E704";
    why = quoted_cell(text) + ": " + why;
    return false;
  }
  b_.set_value(f, v);
  return true;
}

}  // namespace seg::rt
