// Every limit seg enforces, in one place (docs/limits.md). Each has its own diagnostic code.
#pragma once
#include <cstddef>

namespace seg {

struct Limits {
  size_t max_rule_bytes = 64 * 1024;  // E401
  size_t max_depth = 128;             // E402: parentheses and `not` nesting
  size_t max_predicates = 10000;      // E403
  size_t max_list_values = 10000;     // E404
  size_t max_json_bytes = 16u << 20;  // E602
  // E602. The JSON of every rule that parses must read back: a parenthesis level can hold an
  // `or` of an `and` (`(a or b and (...))`), two IR levels of two JSON levels each
  // ({"or": [ {...} ]}), plus the document's own. (IR read from JSON must also print as text
  // within max_depth: E402 at /rule.)
  int max_json_depth = 4 * 128 + 8;
};

}  // namespace seg
