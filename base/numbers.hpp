// The one reader of integers and exact decimals, for rule text, IR JSON, imports and data
// alike (issue 9: the checker and the loaders used to disagree on `10.50` at scale 1).
#pragma once
#include <cstdint>
#include <string_view>

namespace seg {

enum class DecimalError { None, Syntax, Digits, Range };

// `12`, `-3.5`, `+0.25`: digits with an optional sign and point (digits on both sides of the
// point), scaled by 10^scale exactly. Trailing zeros past the scale add no precision and are
// accepted (`10.50` at scale 1 is 105); other digits past it are Digits. Integers are scale 0.
DecimalError parse_decimal(std::string_view text, int scale, int64_t& out);

}  // namespace seg
