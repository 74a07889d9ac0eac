// Parsing and printing of integers, decimals, timestamps and bools without locales or
// floating point (decimals stay exact; timestamps use civil-date arithmetic).
#include "runtime/storage/values.hpp"

#include "base/numbers.hpp"
#include "base/time_util.hpp"

#include <charconv>
#include <cstring>
#include <limits>

namespace seg::rt {

// The one reader (base/numbers.hpp), with the reasons a data row shows.
bool parse_decimal(std::string_view s, int scale, int64_t& out, std::string& why) {
  switch (seg::parse_decimal(s, scale, out)) {
    case DecimalError::None: return true;
    case DecimalError::Syntax: why = scale ? "expected a decimal number" : "expected an integer"; return false;
    case DecimalError::Digits:
      why = scale ? "more than " + std::to_string(scale) + " digits after the point" : "expected a whole number";
      return false;
    case DecimalError::Range: why = scale ? "decimal out of range" : "integer out of the 64-bit range"; return false;
  }
  return false;
}

bool parse_int(std::string_view s, int64_t& out, std::string& why) { return parse_decimal(s, 0, out, why); }

bool parse_timestamp(std::string_view s, int64_t& out, std::string& why) {
  auto t = seg::parse_timestamp(s, &why);  // the rules' reader: data and rules accept the same
  if (t) out = *t;
  return t.has_value();
}

bool plain_number_text(std::string_view s, std::string& out, std::string& why) {
  size_t e = s.find_first_of("eE");
  if (e == std::string_view::npos) {
    out.assign(s);
    return true;
  }
  std::string_view mant = s.substr(0, e), ex = s.substr(e + 1);
  if (!ex.empty() && ex[0] == '+') ex.remove_prefix(1);
  int exp = 0;
  auto [end, ec] = std::from_chars(ex.data(), ex.data() + ex.size(), exp);
  if (ec != std::errc() || end != ex.data() + ex.size() || ex.empty() || exp < -64 || exp > 64) {
    why = "number out of range";
    return false;
  }
  bool neg = !mant.empty() && mant[0] == '-';
  if (neg || (!mant.empty() && mant[0] == '+')) mant.remove_prefix(1);
  size_t dot = mant.find('.');
  std::string digits(mant.substr(0, dot));
  if (dot != std::string_view::npos) digits.append(mant.substr(dot + 1));
  long point = static_cast<long>(dot == std::string_view::npos ? mant.size() : dot) + exp;
  std::string r;
  if (point <= 0) r = "0." + std::string(static_cast<size_t>(-point), '0') + digits;
  else if (static_cast<size_t>(point) >= digits.size()) r = digits + std::string(static_cast<size_t>(point) - digits.size(), '0');
  else r = digits.substr(0, static_cast<size_t>(point)) + "." + digits.substr(static_cast<size_t>(point));
  // The exponent form has no digit count of its own: 1.50e1 is 15, not 15.0.
  if (r.find('.') != std::string::npos) {
    while (r.back() == '0') r.pop_back();
    if (r.back() == '.') r.pop_back();
  }
  out = neg ? "-" + r : r;
  return true;
}

bool parse_bool(std::string_view s, int64_t& out, std::string& why) {
  auto is = [&](const char* w) {
    size_t n = std::strlen(w);
    if (s.size() != n) return false;
    for (size_t i = 0; i < n; ++i)
      if ((s[i] | 0x20) != w[i]) return false;
    return true;
  };
  if (is("true") || s == "1") return out = 1, true;
  if (is("false") || s == "0") return out = 0, true;
  why = "expected true or false";
  return false;
}

static void two(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

size_t format_timestamp(int64_t t, char* out) {
  const Civil c = civil_from_seconds(t);  // no step overflows, down to INT64_MIN
  if (c.year < 0 || c.year > 9999) {
    // Outside four-digit years: still unambiguous, though no loader reads it back.
    size_t n = format_int(t, out);
    return n;
  }
  unsigned yy = static_cast<unsigned>(c.year);
  out[0] = static_cast<char>('0' + yy / 1000);
  out[1] = static_cast<char>('0' + yy / 100 % 10);
  out[2] = static_cast<char>('0' + yy / 10 % 10);
  out[3] = static_cast<char>('0' + yy % 10);
  out[4] = '-';
  two(out + 5, c.month);
  out[7] = '-';
  two(out + 8, c.day);
  out[10] = 'T';
  two(out + 11, c.hour);
  out[13] = ':';
  two(out + 14, c.minute);
  out[16] = ':';
  two(out + 17, c.second);
  out[19] = 'Z';
  return 20;
}

std::string format_timestamp(int64_t t) {
  char buf[32];
  return std::string(buf, format_timestamp(t, buf));
}

size_t format_int(int64_t v, char* out) {
  char tmp[24];
  size_t n = 0;
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  do {
    tmp[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u);
  size_t k = 0;
  if (v < 0) out[k++] = '-';
  while (n) out[k++] = tmp[--n];
  return k;
}

size_t format_decimal(int64_t v, int scale, char* out) {
  if (scale == 0) return format_int(v, out);
  char tmp[32];
  size_t n = 0;
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  for (int i = 0; i < scale; ++i) {
    tmp[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  }
  tmp[n++] = '.';
  do {
    tmp[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u);
  size_t k = 0;
  if (v < 0) out[k++] = '-';
  while (n) out[k++] = tmp[--n];
  return k;
}

std::string format_decimal(int64_t v, int scale) {
  char buf[48];
  return std::string(buf, format_decimal(v, scale, buf));
}

}  // namespace seg::rt
