// Exact integer and decimal parsing (see numbers.hpp).
#include "base/numbers.hpp"

#include <charconv>
#include <climits>
#include <string>

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

std::string plain_decimal(const std::string& number) {
  size_t e = number.find_first_of("eE");
  std::string mantissa = number.substr(0, e);
  long exp = 0;
  if (e != std::string::npos) {
    try {
      exp = std::stol(number.substr(e + 1));
    } catch (...) {
      exp = number[e + 1] == '-' ? -1000 : 1000;
    }
  }
  if (exp == 0) return mantissa;
  bool negative = !mantissa.empty() && mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  size_t point = mantissa.find('.');
  std::string digits = mantissa;
  long int_len = static_cast<long>(mantissa.size());
  if (point != std::string::npos) {
    digits.erase(point, 1);
    int_len = static_cast<long>(point);
  }
  if (exp > 64) return std::string(negative ? "-" : "") + "1" + std::string(40, '0');
  if (exp < -64) return std::string(negative ? "-" : "") + "0." + std::string(80, '0') + "1";
  long new_int = int_len + exp;
  std::string out;
  if (new_int <= 0) out = "0." + std::string(static_cast<size_t>(-new_int), '0') + digits;
  else if (new_int >= static_cast<long>(digits.size()))
    out = digits + std::string(static_cast<size_t>(new_int) - digits.size(), '0');
  else out = digits.substr(0, static_cast<size_t>(new_int)) + "." + digits.substr(static_cast<size_t>(new_int));
  return (negative ? "-" : "") + out;
}

}  // namespace seg
