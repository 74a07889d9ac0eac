// Seeded random schemas, tables and rules for differential testing: every field type,
// nulls, empty and unknown set values, open dictionaries that grow, now-relative bounds.
#pragma once
#include <cstdint>
#include <string>

#include "compiler/ir.hpp"
#include "schema/schema.hpp"
#include "tests/support/reference_eval.hpp"

namespace seg::testing {

// splitmix64 stream: the same sequence on every platform and standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next();
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  int64_t between(int64_t lo, int64_t hi);  // inclusive
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }

 private:
  uint64_t s_;
};

inline constexpr int64_t kRandomNow = 1767225600;  // 2026-01-01T00:00:00Z, the `now` of random tests

// An id field plus at least one field of every type (and ordered/unordered, open/closed
// dictionaries), some nullable.
Schema random_schema(Rng& rng);
// Rows over `schema`; open dictionaries get values the schema lacks; ids unique, sometimes
// out of order.
RefTable random_table(const Schema& schema, size_t rows, Rng& rng);
// The table as CSV in the workload format (header names in random case).
std::string table_csv(const RefTable& table, Rng& rng);
// An id, a nullable string `s` and an open tag set `tags`: the schema the SQL escaping tests
// put hostile strings into.
Schema strings_schema();
// A random rule over the table's schema whose literals are drawn mostly from the data.
ir::Node random_rule(const RefTable& table, Rng& rng, int max_depth = 4);
// `field in (a few values of its rows) and rule`, over an integer field: the rules the
// few-ids path serves (a value index on wide or shuffled columns, bisection of sorted ids).
ir::Node few_ids(const RefTable& table, Rng& rng, ir::Node rule);
// `rule` and a range on a number column's most common value (`= v`, `!= v`, `> v`, `< v`,
// `>= v`, `<= v`): where the value is frequent, the ranges a frequent-value bitmap answers.
ir::Node frequent_range(const RefTable& table, Rng& rng, ir::Node rule);

}  // namespace seg::testing
