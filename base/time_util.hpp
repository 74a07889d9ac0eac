// Calendar arithmetic in UTC (proleptic Gregorian), without the C library's time zone state.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace seg {

inline constexpr int64_t kSecondsPerDay = 86400;

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// The seconds a timestamp's text (four-digit years) can hold: 0000-01-01T00:00:00Z to
// 9999-12-31T23:59:59Z. Values outside would not print as text that reads back.
inline constexpr int64_t kFirstWritableSecond = days_from_civil(0, 1, 1) * kSecondsPerDay;
inline constexpr int64_t kLastWritableSecond = days_from_civil(10000, 1, 1) * kSecondsPerDay - 1;
inline constexpr bool writable_second(int64_t t) { return t >= kFirstWritableSecond && t <= kLastWritableSecond; }

struct Civil {
  int64_t year;
  unsigned month, day, hour, minute, second;
};

constexpr Civil civil_from_seconds(int64_t t) {
  // Floor division without `t - 86399`, which overflows for t near INT64_MIN (found by fuzzing).
  int64_t days = t / kSecondsPerDay;
  int64_t secs = t % kSecondsPerDay;
  if (secs < 0) {
    secs += kSecondsPerDay;
    --days;
  }
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Civil{y + (m <= 2), m, d, static_cast<unsigned>(secs / 3600), static_cast<unsigned>(secs / 60 % 60),
               static_cast<unsigned>(secs % 60)};
}

constexpr bool valid_date(int64_t y, unsigned m, unsigned d) {
  if (y < 0 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
  constexpr unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= mdays[m - 1] + (m == 2 && leap ? 1 : 0);
}

// `YYYY-MM-DDTHH:MM:SSZ`
std::string format_timestamp(int64_t t);
// `YYYY-MM-DD`
std::string format_date(int64_t t);
// The one reader of timestamps, for rules, JSON and data alike: `YYYY-MM-DD` or
// `YYYY-MM-DD[T| ]HH:MM:SS` with an optional `Z` or UTC offset `±HH:MM` (converted to UTC),
// years 0000-9999. nullopt when malformed or invalid, with the reason in `why` when given.
std::optional<int64_t> parse_timestamp(std::string_view s, std::string* why = nullptr);

}  // namespace seg
