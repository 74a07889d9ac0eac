// The one reader of integers and exact decimals, for rule text, IR JSON, imports and data
// alike (issue 9: the checker and the loaders used to disagree on `10.50` at scale 1).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace seg {

enum class DecimalError { None, Syntax, Digits, Range };

// `12`, `-3.5`, `+0.25`: digits with an optional sign and point (digits on both sides of the
// point), scaled by 10^scale exactly. Trailing zeros past the scale add no precision and are
// accepted (`10.50` at scale 1 is 105); other digits past it are Digits. Integers are scale 0.
DecimalError parse_decimal(std::string_view text, int scale, int64_t& out);

// A JSON number's own text as a plain decimal ("1e2" -> "100", "1.5e-1" -> "0.15"), so a
// builder's 100.5 is read as the decimal it spells. Exponents far out of range give text
// that parse_decimal refuses (the importers' E305, E303).
std::string plain_decimal(const std::string& number);

}  // namespace seg
