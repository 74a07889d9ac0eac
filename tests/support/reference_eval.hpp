// A deliberately simple row-at-a-time evaluator of the IR over its own row type, sharing no
// code with the runtime: the oracle the vectorized interpreter is checked against.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir.hpp"
#include "schema/schema.hpp"

namespace seg::testing {

// One cell as the data has it: numbers (ints, scaled decimals, epoch seconds, 0/1) in
// `num`, enum and string values by name in `text`, set values by name in `tags`.
struct RefCell {
  bool null = true;
  int64_t num = 0;
  std::string text;
  std::vector<std::string> tags;
};
using RefRow = std::vector<RefCell>;

struct RefTable {
  Schema schema;  // the schema rules are compiled against (dictionaries as declared)
  std::vector<RefRow> rows;
};

// Does `row` match `rule`? Dictionary codes in the rule are read through `schema`; names
// in `unknown` are compared with the row's names as they are.
bool ref_matches(const ir::Node& rule, const Schema& schema, const RefRow& row, int64_t now);

// The ids (schema id field, or row number + 1) of the matching rows, sorted.
std::vector<int64_t> ref_select(const ir::Node& rule, const RefTable& table, int64_t now);

}  // namespace seg::testing
