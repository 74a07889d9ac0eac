// Parsing and printing of integers, decimals, timestamps and bools without locales or
// floating point (decimals stay exact; timestamps use civil-date arithmetic).
#include "runtime/values.hpp"

#include "compiler/time_util.hpp"

#include <cstring>
#include <limits>

namespace seg::rt {

static bool digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    unsigned d = static_cast<unsigned>(s[i] - '0');
    if (d > 9) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

bool parse_int(std::string_view s, int64_t& out, std::string& why) {
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  if (i == s.size()) {
    why = "expected an integer";
    return false;
  }
  uint64_t v = 0;
  const uint64_t limit = neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  for (; i < s.size(); ++i) {
    unsigned d = static_cast<unsigned>(s[i] - '0');
    if (d > 9) {
      why = "expected an integer";
      return false;
    }
    if (v > (limit - d) / 10) {
      why = "integer out of the 64-bit range";
      return false;
    }
    v = v * 10 + d;
  }
  out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

bool parse_decimal(std::string_view s, int scale, int64_t& out, std::string& why) {
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  uint64_t v = 0;
  int frac = -1;  // digits after the point, -1 before it
  bool any = false;
  const uint64_t limit = neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.' && frac < 0) {
      frac = 0;
      continue;
    }
    unsigned d = static_cast<unsigned>(c - '0');
    if (d > 9) {
      why = "expected a decimal number";
      return false;
    }
    if (frac >= 0 && ++frac > scale) {
      why = "more than " + std::to_string(scale) + " digits after the point";
      return false;
    }
    if (v > (limit - d) / 10) {
      why = "decimal out of range";
      return false;
    }
    v = v * 10 + d;
    any = true;
  }
  if (!any) {
    why = "expected a decimal number";
    return false;
  }
  for (int k = frac < 0 ? 0 : frac; k < scale; ++k) {
    if (v > limit / 10) {
      why = "decimal out of range";
      return false;
    }
    v *= 10;
  }
  out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

bool parse_timestamp(std::string_view s, int64_t& out, std::string& why) {
  why = "expected a timestamp YYYY-MM-DDTHH:MM:SSZ";
  unsigned y, mo, d, h = 0, mi = 0, se = 0;
  if (s.size() < 10 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return false;
  size_t i = 10;
  if (i < s.size() && (s[i] == 'T' || s[i] == ' ')) {
    if (!digits(s, 11, 2, h) || s.size() < 19 || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
        !digits(s, 17, 2, se))
      return false;
    i = 19;
  }
  std::string_view rest = s.substr(i);
  if (!(rest.empty() || rest == "Z" || rest == "+00:00" || rest == "z")) return false;
  static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap)) {
    why = "no such date";
    return false;
  }
  if (h > 23 || mi > 59 || se > 59) {
    why = "no such time of day";
    return false;
  }
  out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
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
