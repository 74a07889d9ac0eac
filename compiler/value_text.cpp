// Rule-text spelling of IR values (see value_text.hpp).
#include "compiler/value_text.hpp"

#include <fmt/format.h>

#include "base/text_util.hpp"
#include "base/time_util.hpp"

namespace seg {

std::string quote_string(std::string_view s, char quote) {
  std::string out(1, quote);
  for (unsigned char c : s) {
    if (c == static_cast<unsigned char>(quote)) {
      out += '\\';
      out += quote;
      continue;
    }
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) out += fmt::format("\\u{{{:x}}}", c);
        else out += static_cast<char>(c);
    }
  }
  return out + quote;
}

std::string symbol_text(std::string_view s) {
  if (is_identifier(s) && !is_keyword(s)) return std::string(s);
  return quote_string(s);
}

std::string decimal_text(int64_t scaled, int scale) {
  if (scale == 0) return fmt::format("{}", scaled);
  bool neg = scaled < 0;
  unsigned __int128 mag = neg ? static_cast<unsigned __int128>(-(static_cast<__int128>(scaled)))
                              : static_cast<unsigned __int128>(scaled);
  uint64_t pow = 1;
  for (int i = 0; i < scale; ++i) pow *= 10;
  uint64_t ip = static_cast<uint64_t>(mag / pow), fp = static_cast<uint64_t>(mag % pow);
  std::string out = fmt::format("{}{}", neg ? "-" : "", ip);
  if (fp) {
    std::string frac = fmt::format("{:0{}}", fp, scale);
    while (frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out;
}

std::string relative_text(int64_t offset) {
  if (offset == 0) return "now";
  uint64_t mag = offset < 0 ? 0 - static_cast<uint64_t>(offset) : static_cast<uint64_t>(offset);
  const std::pair<uint64_t, char> units[] = {{604800, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (auto [secs, u] : units)
    if (mag % secs == 0) return fmt::format("now {} {}{}", offset < 0 ? '-' : '+', mag / secs, u);
  return "now";
}

std::string value_text(const Field& f, int64_t v) {
  switch (f.type) {
    case FieldType::Int: return fmt::format("{}", v);
    case FieldType::Decimal: return decimal_text(v, f.scale);
    case FieldType::Timestamp: return format_timestamp(v);
    case FieldType::Bool: return v ? "true" : "false";
    case FieldType::Enum:
    case FieldType::Set:
      if (v >= 0 && v < f.dict.size()) return symbol_text(f.dict[static_cast<uint32_t>(v)].key);
      return fmt::format("<code {}>", v);
    case FieldType::String: break;
  }
  return "?";
}

std::optional<Bounds> enum_range_on_dictionary(const Field& f, ir::Bound lo, ir::Bound hi) {
  const int64_t size = static_cast<int64_t>(f.dict.size());
  const bool empty = (!hi.now_relative && hi.value < 0 && hi.value != ir::kMin) ||
                     (!lo.now_relative && lo.value >= size && lo.value != ir::kMax) ||
                     (!lo.now_relative && !hi.now_relative && lo.value > hi.value);
  if (empty) return std::nullopt;
  if (!lo.now_relative && lo.value < 0) lo.value = ir::kMin;
  if (!hi.now_relative && hi.value >= size) hi.value = ir::kMax;
  return Bounds{lo, hi};
}

const std::string& print_name(const Field& f) { return f.aliases.empty() ? f.name : f.aliases.front(); }

}  // namespace seg
