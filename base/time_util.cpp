// Formatting and strict parsing of UTC dates and timestamps.
#include "base/time_util.hpp"

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

std::optional<int64_t> parse_timestamp(std::string_view s, std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<int64_t> {
    if (why) *why = reason;
    return std::nullopt;
  };
  const char* format = "expected a timestamp YYYY-MM-DDTHH:MM:SSZ (or a date YYYY-MM-DD)";
  unsigned y, m, d, hh = 0, mm = 0, ss = 0;
  if (s.size() < 10 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, m) || s[7] != '-' || !digits(s, 8, 2, d))
    return fail(format);
  int64_t offset = 0;
  if (s.size() > 10) {
    // `T` (any case) or a space between date and time, as databases and spreadsheets export.
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return fail(format);
    if (s.size() < 19 || !digits(s, 11, 2, hh) || s[13] != ':' || !digits(s, 14, 2, mm) || s[16] != ':' ||
        !digits(s, 17, 2, ss))
      return fail(format);
    std::string_view zone = s.substr(19);
    unsigned oh = 0, om = 0;
    if (zone.empty() || zone == "Z" || zone == "z") {
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && digits(zone, 1, 2, oh) && zone[3] == ':' &&
               digits(zone, 4, 2, om)) {
      if (oh > 23 || om > 59) return fail("no such UTC offset");
      offset = (zone[0] == '-' ? -1 : 1) * static_cast<int64_t>(oh * 3600 + om * 60);
    } else {
      return fail(format);
    }
  }
  if (!valid_date(y, m, d)) return fail("no such date");
  if (hh > 23 || mm > 59 || ss > 59) return fail("no such time of day");
  int64_t t = days_from_civil(y, m, d) * kSecondsPerDay + hh * 3600 + mm * 60 + ss - offset;
  if (!writable_second(t)) return fail("outside the years 0000-9999 in UTC");
  return t;
}

}  // namespace seg
