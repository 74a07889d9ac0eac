// Exact integer and decimal parsing (see numbers.hpp).
#include "base/numbers.hpp"

#include <charconv>
#include <climits>

namespace seg {

DecimalError parse_decimal(std::string_view t, int scale, int64_t& out) {
  bool neg = !t.empty() && t[0] == '-';
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  size_t dot = t.find('.');
  std::string_view ip = t.substr(0, dot), fp = dot == std::string_view::npos ? "" : t.substr(dot + 1);
  if (ip.empty() || (dot != std::string_view::npos && fp.empty())) return DecimalError::Syntax;
  for (char c : ip)
    if (c < '0' || c > '9') return DecimalError::Syntax;
  for (char c : fp)
    if (c < '0' || c > '9') return DecimalError::Syntax;
  // Trailing zeros in the fraction do not add precision: 10.50 fits scale 1.
  while (fp.size() > static_cast<size_t>(scale) && fp.back() == '0') fp.remove_suffix(1);
  if (fp.size() > static_cast<size_t>(scale)) return DecimalError::Digits;
  // The integer part through from_chars (no locale, no exceptions), then the scale in 128 bits.
  unsigned __int128 v = 0;
  uint64_t whole = 0;
  auto [end, ec] = std::from_chars(ip.data(), ip.data() + ip.size(), whole);
  if (ec == std::errc::result_out_of_range) return DecimalError::Range;
  if (ec != std::errc() || end != ip.data() + ip.size()) return DecimalError::Syntax;
  v = whole;
  const unsigned __int128 limit = static_cast<unsigned __int128>(INT64_MAX) + (neg ? 1 : 0);
  for (int i = 0; i < scale; ++i) {
    v = v * 10 + static_cast<unsigned>(i < static_cast<int>(fp.size()) ? fp[static_cast<size_t>(i)] - '0' : 0);
    if (v > limit) return DecimalError::Range;
  }
  if (v > limit) return DecimalError::Range;
  out = neg ? static_cast<int64_t>(0 - static_cast<uint64_t>(v)) : static_cast<int64_t>(v);
  return DecimalError::None;
}

}  // namespace seg
