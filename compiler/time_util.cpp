// Formatting and strict parsing of UTC dates and timestamps.
#include "compiler/time_util.hpp"

#include <fmt/format.h>

namespace seg {

std::string format_timestamp(int64_t t) {
  Civil c = civil_from_seconds(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, c.hour, c.minute, c.second);
}

std::string format_date(int64_t t) {
  Civil c = civil_from_seconds(t);
  return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

static bool digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

std::optional<int64_t> parse_timestamp(std::string_view s) {
  unsigned y, m, d, hh = 0, mm = 0, ss = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, m) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  if (!valid_date(y, m, d)) return std::nullopt;
  if (s.size() > 10) {
    if (s[10] != 'T' && s[10] != 't') return std::nullopt;
    if (!digits(s, 11, 2, hh) || s.size() < 19 || s[13] != ':' || !digits(s, 14, 2, mm) || s[16] != ':' ||
        !digits(s, 17, 2, ss))
      return std::nullopt;
    if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;
    if (s.size() == 20 && (s[19] == 'Z' || s[19] == 'z')) {
    } else if (s.size() != 19) {
      return std::nullopt;
    }
  }
  return days_from_civil(y, m, d) * kSecondsPerDay + hh * 3600 + mm * 60 + ss;
}

}  // namespace seg
