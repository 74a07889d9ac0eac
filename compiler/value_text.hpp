// How IR values are written back as rule text: dictionary keys, decimals,
// timestamps and `now ± d`, quoted only where a bare identifier would not do.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/ir.hpp"
#include "schema/schema.hpp"

namespace seg {

// A string literal in canonical form: double quotes, escapes for `"`, `\`, newline, tab
// and other control characters. With `quote` `'`, the same in single quotes (completion
// inside a string the user opened with `'`).
std::string quote_string(std::string_view s, char quote = '"');
// A dictionary key or string value: bare when it is an identifier and not a keyword.
std::string symbol_text(std::string_view s);
// A scaled decimal: 50000 at scale 2 is "500", 1025 is "10.25", -5 is "-0.05".
std::string decimal_text(int64_t scaled, int scale);
// `now`, `now - 30d`: the largest unit that divides the offset.
std::string relative_text(int64_t offset);
// A value of `field` as rule text (not for timestamps: their printing depends on the bound).
std::string value_text(const Field& field, int64_t v);
// Before the optimizer a strict bound of an enum range can step off its dictionary (`stage <
// NotProcessed` is `<= code -1`, `stage > Blocked` `>= code 8`), and IR built in code may have
// any codes: the range's bounds with a code below the dictionary as no lower bound and one past
// it as no upper bound, or nothing when the range holds no code of the dictionary. How the
// printer and the IR JSON writer both read such a range (each had its own version: one printed
// `<code -1>`, the other crashed on a range open at both ends).
struct Bounds {
  ir::Bound lo, hi;
};
std::optional<Bounds> enum_range_on_dictionary(const Field& field, ir::Bound lo, ir::Bound hi);
// The name a rule prints a field with: its first alias when it has one (`tag`, `player`).
const std::string& print_name(const Field& field);

}  // namespace seg
