// The vectorized interpreter against the row-at-a-time reference evaluator. The bytes choose
// a random schema (seed), a table size (mostly small, sometimes around a 64-row word or the
// 65536-row block), the table (seed), then one rule per 8 bytes (seed and depth) from
// tests/support/random_ir. The table goes through the CSV loader as in the differential test.
// For each rule: evaluate() on 1 and 3 threads, with and without rows, must give exactly the
// reference's ids, count and checksum; the optimized rule must select the same rows, and its
// canonical text must compile to the same IR (unless it names values a closed dictionary lacks,
// which only random IR can).
#include <algorithm>

#include "compiler/compile.hpp"
#include "runtime/evaluate.hpp"
#include "runtime/load.hpp"
#include "runtime/plan.hpp"
#include "tests/fuzz/fuzz.hpp"
#include "tests/support/random_ir.hpp"
#include "tests/support/reference_eval.hpp"

namespace seg::fuzz {

// Does the rule hold unknown names on a closed dictionary? random_rule makes such IR (the
// evaluators must cope), but the language cannot write it: the checker refuses the names.
inline bool unknown_on_closed(const ir::Node& n, const Schema& s) {
  if (n.field >= 0 && !n.unknown.empty() && !s.fields[static_cast<size_t>(n.field)].dict.open) return true;
  for (const ir::Node& k : n.children)
    if (unknown_on_closed(k, s)) return true;
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
                : size_choice < 240 ? 64 * static_cast<size_t>(size_choice - 200) + (size_choice & 3) - 1
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
                                                            "\noptimized: " + ir::print_rule(opt, schema));
    if (fuzz::unknown_on_closed(opt, schema)) continue;
    std::string canonical = ir::print_rule(opt, schema);
    Compiled c = compile_rule(canonical, schema);
    SEG_FUZZ_CHECK(c.ir, "the canonical text of a random rule does not compile\n" + canonical + "\n" +
                             render_text(c.diags.list(), "rule", canonical));
    SEG_FUZZ_CHECK(ir::equal(*c.ir, opt) || fuzz::open_issue_int64_edge(opt), "the canonical text of a random rule means something else\n" + canonical +
                                              "\nIR1:\n" + ir::dump_tree(opt, schema) + "IR2:\n" +
                                              ir::dump_tree(*c.ir, schema));
  }
  return 0;
}
