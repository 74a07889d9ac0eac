// Text forms of typed values, shared by the loaders, the generator and row display:
// integers, exact decimals, UTC timestamps and bools.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace seg::rt {

// (Calendar arithmetic is seg::days_from_civil and seg::civil_from_seconds, base/time_util.hpp.)

// Each returns false (with `why` set) on text that is not a value of the type. Numbers go
// through seg::parse_decimal (base/numbers.hpp), the reader rules use: data and rules
// accept exactly the same spellings.
bool parse_int(std::string_view s, int64_t& out, std::string& why);
bool parse_decimal(std::string_view s, int scale, int64_t& out, std::string& why);
// seg::parse_timestamp (base/time_util.hpp), the one reader rules use too.
bool parse_timestamp(std::string_view s, int64_t& out, std::string& why);
bool parse_bool(std::string_view s, int64_t& out, std::string& why);
// A JSON number's text with its exponent written out exactly (`1.5e3` -> `1500`, `1E-2` ->
// `0.01`); text without an exponent is returned as it is. False past 64 powers of ten.
bool plain_number_text(std::string_view s, std::string& out, std::string& why);

// `YYYY-MM-DDTHH:MM:SSZ`; writes exactly 20 characters for years 0..9999.
std::string format_timestamp(int64_t t);
size_t format_timestamp(int64_t t, char* out);  // returns the length written
std::string format_decimal(int64_t v, int scale);
size_t format_decimal(int64_t v, int scale, char* out);  // out needs 32 bytes
size_t format_int(int64_t v, char* out);                 // out needs 21 bytes

}  // namespace seg::rt
