// Every limit seg enforces, in one place (docs/limits.md). Each has its own diagnostic code,
// E401-E409, whatever the input (rule text, a JSON document, a data file).
#pragma once
#include <cstddef>
#include <cstdint>

namespace seg {

// `now ± d` is bounded to 10,000 years (E109), so resolving it can never overflow. A property
// of the language rather than a resource limit, so not a member of Limits.
constexpr int64_t kMaxNowOffset = int64_t{10000} * 366 * 86400;

struct Limits {
  // Rule text.
  size_t max_rule_bytes = 4u << 20;   // E401: also the canonical text of a rule given any other way
  size_t max_depth = 128;             // E402: parentheses and `not` nesting (IR JSON too, as its text)
  size_t max_predicates = 10000;      // E403
  size_t max_list_values = 100000;    // E404: a pasted list of player ids
  // JSON documents: IR JSON, imports, forms, schemas.
  size_t max_json_bytes = 16u << 20;  // E405
  // E406. The JSON of every rule that parses must read back: a parenthesis level can hold an
  // `or` of an `and` (`(a or b and (...))`), two IR levels of two JSON levels each
  // ({"or": [ {...} ]}), plus the document's own.
  int max_json_depth = 4 * 128 + 8;
  // Schemas.
  size_t max_schema_fields = 4096;           // E407
  size_t max_dictionary_values = 1u << 20;   // E408: in a schema, and as data grows an open one
  // Data files (CSV, JSON Lines): one line, without its newline.
  size_t max_line_bytes = 16u << 20;  // E409
};

}  // namespace seg
