// The vectorized interpreter against the row-at-a-time reference evaluator. The bytes choose
// a random schema (seed), a table size (mostly small, sometimes around a 64-row word or the
// 65536-row block), the table (seed), then one rule per 8 bytes (seed and depth) from
// tests/support/random_ir. The table goes through the CSV loader as in the differential test.
// For each rule: evaluate() on 1 and 3 threads, with and without rows, must give exactly the
// reference's ids, count and checksum; the optimized rule, and its canonical text compiled
// again, must select the same rows (unless it is IR that rule text cannot write).
#include <algorithm>

#include "compiler/compile.hpp"
#include "base/time_util.hpp"
#include "runtime/evaluate.hpp"
#include "runtime/load.hpp"
#include "runtime/plan.hpp"
#include "tests/fuzz/fuzz.hpp"
#include "tests/support/random_ir.hpp"
#include "tests/support/reference_eval.hpp"

namespace seg::fuzz {

// IR that random_rule makes (the evaluators must cope with it) but rule text cannot write, so
// its canonical text is refused: unknown names on a closed dictionary (E202), a null test on
// a set field (E301: the language says a set is never null; the IR means "empty"), timestamps
// beyond the years 0000-9999, `now ± d` beyond 10,000 years (E109).
inline bool inexpressible(const ir::Node& n, const Schema& s) {
  if (n.field >= 0) {
    const Field& f = s.fields[static_cast<size_t>(n.field)];
    if (!n.unknown.empty() && !f.dict.open) return true;
    if (n.kind == ir::Kind::IsNull && f.type == FieldType::Set) return true;
    // Timestamps are written with four-digit years: 0000-01-01 .. 9999-12-31.
    auto unwritable = [](int64_t t) { return t < kFirstWritableSecond || t > kLastWritableSecond; };
    if (f.type == FieldType::Timestamp) {
      for (int64_t v : n.values)
        if (unwritable(v)) return true;
      if (n.kind == ir::Kind::Range && ((!n.lo.now_relative && n.lo.value != ir::kMin && unwritable(n.lo.value)) ||
                                        (!n.hi.now_relative && n.hi.value != ir::kMax && unwritable(n.hi.value))))
        return true;
      for (const ir::Bound& b : {n.lo, n.hi})
        if (n.kind == ir::Kind::Range && b.now_relative && (b.value > kMaxNowOffset || b.value < -kMaxNowOffset))
          return true;
    }
  }
  for (const ir::Node& k : n.children)
    if (inexpressible(k, s)) return true;
  return false;
}

}  // namespace seg::fuzz

SEG_FUZZ_TARGET(interpreter) {
  using namespace seg;
  using namespace seg::testing;
  fuzz::Bytes in(data, size);
  uint64_t schema_seed = in.u64();
  uint8_t size_choice = in.byte();
  uint64_t table_seed = in.u64();
  size_t rows = size_choice < 200  ? size_choice
                // 63 .. 2563, around multiples of 64 (one word of rows). (size_choice - 200 made
                // 200 give 0 - 1 = SIZE_MAX rows: found by fuzzing, as an out-of-memory.)
                : size_choice < 240 ? 64 * static_cast<size_t>(size_choice - 199) + (size_choice & 3) - 1
                : size_choice < 254 ? 1000 + 50 * static_cast<size_t>(size_choice - 240)
                                    : 65535 + (size_choice & 1) * 2;  // 65535, 65537
  Rng schema_rng(schema_seed);
  Schema schema = random_schema(schema_rng);
  Rng table_rng(table_seed);
  RefTable table = random_table(schema, rows, table_rng);
  std::string csv = table_csv(table, table_rng);
  auto loaded = rt::load_csv_text(csv, "random.csv", schema);
  SEG_FUZZ_CHECK(loaded.ok(), "a random table does not load: " + (loaded.errors.empty() ? "" : loaded.errors[0].to_string()));
  const rt::Store& store = *loaded.store;
  SEG_FUZZ_CHECK(store.rows() == rows, "rows lost in loading");
  const int64_t now = kRandomNow;
  for (int k = 0; k < 12 && in.left() > 0; ++k) {
    uint8_t depth = in.byte();
    Rng rule_rng(in.u64());
    ir::Node rule = random_rule(table, rule_rng, 1 + depth % 5);
    std::string printed = ir::print_rule(rule, schema);
    std::vector<int64_t> want = ref_select(rule, table, now);
    uint64_t want_sum = 0;
    for (int64_t id : want) want_sum += static_cast<uint64_t>(id);
    rt::Plan plan = rt::build_plan(rule, store, now);
    for (unsigned threads : {1u, 3u}) {
      rt::EvalOptions opt;
      opt.threads = threads;
      opt.want_rows = true;
      opt.explain = depth & 0x80;
      rt::EvalResult got = rt::evaluate(plan, store, opt);
      SEG_FUZZ_CHECK(got.ids == want && got.count == want.size() && got.checksum == want_sum,
                     "interpreter and reference disagree (" + std::to_string(got.count) + " vs " +
                         std::to_string(want.size()) + " rows, " + std::to_string(threads) + " threads, " +
                         std::to_string(rows) + " rows in the table)\n" + printed + "\n" + ir::dump_tree(rule, schema));
    }
    rt::EvalResult quick = rt::evaluate(plan, store);
    SEG_FUZZ_CHECK(quick.count == want.size() && quick.checksum == want_sum, "count-only evaluation differs\n" + printed);

    // The optimizer and the printer keep the meaning on every type the random schemas have.
    ir::Node opt = rule;
    Diagnostics d;
    optimize(opt, schema, d);
    SEG_FUZZ_CHECK(ref_select(opt, table, now) == want, "the optimizer changed the meaning\n" + printed +
                                                            "\noptimized: " + ir::print_rule(opt, schema) +
                                                            "\nIR:\n" + ir::dump_tree(rule, schema) + "optimized IR:\n" +
                                                            ir::dump_tree(opt, schema));
    if (fuzz::inexpressible(opt, schema)) continue;
    std::string canonical = ir::print_rule(opt, schema);
    Compiled c = compile_rule(canonical, schema);
    SEG_FUZZ_CHECK(c.ir, "the canonical text of a random rule does not compile\n" + canonical + "\n" +
                             render_text(c.diags.list(), "rule", canonical));
    // Random IR has shapes the front end never makes (`in` on a timestamp, a negated range at
    // an int64 edge), which compile back to other, equivalent IR: the meaning must be the same.
    // (Structural equality is checked by the rule and ir_json targets, on IR the language makes.)
    SEG_FUZZ_CHECK(ref_select(*c.ir, table, now) == want, "the canonical text of a random rule selects other rows\n" +
                                                             canonical + "\nIR1:\n" + ir::dump_tree(opt, schema) +
                                                             "IR2:\n" + ir::dump_tree(*c.ir, schema));
  }
  return 0;
}
