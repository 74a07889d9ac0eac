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
  // E602. IR JSON takes two levels per IR level ({"and": [ {...} ]}), and a rule may nest
  // max_depth levels: the JSON of every rule that parses must also read back.
  int max_json_depth = 320;
};

}  // namespace seg
