// Uses a loaded store the way `seg eval` and `seg explain` do: reads cells, builds plans for
// rules over every field, evaluates them on one and two threads. On a store from valid data
// (`trusted`) the vectorized result must also agree with the row-at-a-time eval_row.
#pragma once
#include <algorithm>

#include "runtime/exec/evaluate.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/storage/store.hpp"
#include "tests/fuzz/fuzz.hpp"

namespace seg::fuzz {

// A few IR predicates on `field` that every field type accepts.
inline std::vector<ir::Node> field_rules(const Schema& s, int field) {
  const Field& f = s.fields[static_cast<size_t>(field)];
  std::vector<ir::Node> out;
  ir::Node n;
  n.field = field;
  n.kind = ir::Kind::IsNull;
  out.push_back(n);
  n.negated = true;
  out.push_back(n);
  n.negated = false;
  switch (f.type) {
    case FieldType::Set:
      if (f.dict.size() == 0) break;
      for (ir::Kind k : {ir::Kind::SetAny, ir::Kind::SetAll, ir::Kind::SetNone}) {
        n.kind = k;
        n.values.codes = {0};
        if (f.dict.size() > 1) n.values.codes.push_back(static_cast<int64_t>(f.dict.size() - 1));
        out.push_back(n);
      }
      break;
    case FieldType::String:
      n.kind = ir::Kind::In;
      n.values.names = {"alpha", "zeta"};
      out.push_back(n);
      break;
    case FieldType::Enum:
      if (f.dict.size() == 0) break;
      n.kind = ir::Kind::In;
      n.values.codes = {0};
      out.push_back(n);
      n.negated = true;
      out.push_back(n);
      break;
    default:
      n.kind = ir::Kind::Range;
      n.lo = {0, false};
      n.hi = {1000, false};
      out.push_back(n);
      n.negated = true;
      out.push_back(n);
      n.negated = false;
      n.kind = ir::Kind::In;
      n.values.codes = {-1, 0, 1, 2, 3, 5, 8, 13, 21};
      out.push_back(n);
      break;
  }
  return out;
}

// `all` (the default, and on a sampled input): the cells of the first 300 rows, every rule,
// evaluated on 1 and on 2 threads with a thread per block (on a store of one block that is the
// 1-thread path again). Else (most fuzzed inputs) the first 32 rows, one thread and about 6 of
// the rules, chosen by `pick` (a hash of the input), always with the two that combine others:
// the cost of an input stays flat with the number of fields.
inline void exercise_store(const rt::Store& store, bool trusted, bool all = true, uint64_t pick = 0,
                           uint64_t max_rows = uint64_t{1} << 20) {
  const Schema& s = store.schema();
  SEG_FUZZ_CHECK(store.column_count() == s.fields.size(), "a column per field");
  if (store.rows() > max_rows) return;  // only a schema without fields can claim this many
  (void)store.data_bytes();
  uint64_t read_rows = std::min<uint64_t>(store.rows(), all ? 300 : 32);
  for (uint64_t r = 0; r < read_rows; ++r) {
    (void)store.id_at(r);
    for (size_t f = 0; f < s.fields.size(); ++f) (void)store.format_cell(static_cast<int>(f), r);
  }
  std::vector<ir::Node> rules;
  for (size_t f = 0; f < s.fields.size() && f < 32; ++f)
    for (ir::Node& n : field_rules(s, static_cast<int>(f))) rules.push_back(std::move(n));
  const size_t singles = rules.size();
  if (rules.size() >= 2) {
    rules.push_back(ir::Node::conj(ir::Kind::And, {rules[0], rules[rules.size() - 2]}));
    rules.push_back(ir::Node::conj(ir::Kind::Or, {rules[1], ir::Node::negate(rules.back())}));
  }
  const size_t stride = all ? 1 : std::max<size_t>(1, (singles + 5) / 6);
  const int64_t now = 1767225600;
  for (size_t i = 0; i < rules.size(); ++i) {
    if (i < singles && (i + pick) % stride != 0) continue;
    const ir::Node& rule = rules[i];
    rt::Plan plan = rt::build_plan(rule, store, now);
    (void)rt::plan_label(plan.root);
    rt::EvalOptions one;
    one.want_rows = true;
    one.explain = true;
    rt::EvalResult a = rt::evaluate(plan, store, one);
    SEG_FUZZ_CHECK(a.count == a.ids.size() && a.rows.size() == a.ids.size(), "count and rows disagree");
    if (all) {
      rt::EvalOptions two;
      two.threads = 2;
      two.min_blocks_per_thread = 1;
      two.want_rows = true;
      rt::EvalResult b = rt::evaluate(plan, store, two);
      SEG_FUZZ_CHECK(a.count == b.count && a.checksum == b.checksum && a.ids == b.ids,
                     "one and two threads disagree on " + ir::print_rule(rule, s));
    }
    if (!trusted) continue;
    std::vector<int64_t> want;
    for (uint64_t r = 0; r < store.rows(); ++r)
      if (rt::eval_row(plan.root, store, r)) want.push_back(store.id_at(r));
    std::sort(want.begin(), want.end());
    SEG_FUZZ_CHECK(a.ids == want, "evaluate and eval_row disagree on " + ir::print_rule(rule, s) + ": " +
                                      std::to_string(a.ids.size()) + " vs " + std::to_string(want.size()) + " rows");
  }
}

}  // namespace seg::fuzz
