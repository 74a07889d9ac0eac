// The vectorized interpreter against the row-at-a-time reference evaluator. The bytes choose
// a random table (schema, size, rows: tests/support/random_ir, loaded through the CSV loader as
// in the differential test), then one rule per 9 bytes (depth, seed) from random_rule. For each
// rule: evaluate() with and without rows must give exactly the reference's ids, count and
// checksum; the optimized rule, and its canonical text compiled again, must select the same
// rows (unless it is IR that rule text cannot write).
//
// Layout: byte 0 `t`, byte 1 `m`, then the rules.
//   - Compact (almost every input): schema number (t >> 4) & 7, size class t & 15
//     (kInterpreterSizes: around the first 64-row words, up to 257 rows), table variant m & 1.
//     So there are 256 small tables, each made once and kept: making one takes milliseconds,
//     a rule well under one. m == 0xff picks the large table instead, 65537 rows (a full
//     65536-row block and one more row: the block boundary), on one input in 8 by the input's
//     hash (large_input), so that its mutations, which the fuzzer likes for their rare
//     coverage, mostly run at the small tables' speed.
//   - Explicit: t == 0xff and m == the low byte of input_hash of the next 17 bytes. These are
//     the first layout of this target, kept so that its regression inputs (saved with the two
//     bytes in front) mean what they meant: u64 schema seed, size byte, u64 table seed
//     (explicit_rows), then the rules: any schema and table. The check byte keeps the fuzzer
//     from making a new table (milliseconds) on most mutations of such an input: a changed
//     seed makes it a compact input.
//
// Speed (docs/fuzzing.md; about 1,000 inputs a second under ASan). Fuzzing evaluates the first
// rule of an input (replaying, or SEG_FUZZ_FULL=1: all 12): with and without rows, against the
// reference, and the optimized rule against the reference. On a sample (fuzz::sampled, 1 input
// in 8; every input when replaying) also on the other thread count and the canonical text.
// The large table is evaluated on 3 threads (two blocks, so two threads really run); outside
// the sample the reference checks it on the rows around the block boundary only (a pass over
// 65537 rows takes 20 ms under ASan), and the optimized rule and the canonical text, which do
// not depend on the data, are checked on it on 1 input in 64.
#include <algorithm>
#include <deque>
#include <memory>
#include <tuple>

#include <nlohmann/json.hpp>

#include "compiler/compile.hpp"
#include "compiler/ir_json.hpp"
#include "base/time_util.hpp"
#include "runtime/exec/evaluate.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/exec/plan.hpp"
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
    if (!n.values.unknown.empty() && !f.dict.open) return true;
    if (n.kind == ir::Kind::IsNull && f.type == FieldType::Set) return true;
    // Timestamps are written with four-digit years: 0000-01-01 .. 9999-12-31.
    auto unwritable = [](int64_t t) { return !writable_second(t); };
    if (f.type == FieldType::Timestamp) {
      for (int64_t v : n.values.codes)
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

// Table sizes of the compact layout: empty, tiny, and around the first selection words.
inline constexpr size_t kInterpreterSizes[16] = {0, 1, 2, 3, 5, 9, 31, 63, 64, 65, 100, 127, 128, 129, 192, 257};
// The large table is the one of the explicit regression input relative_bound_at_int64_max_printed
// (size byte 255 and these seeds), so that a run makes one table of 65537 rows, not two.
inline constexpr uint64_t kLargeSchemaSeed = 0xffffffffffffff8bull, kLargeTableSeed = 0xf2000000000002a8ull;
inline constexpr size_t kLargeRows = 65537;

// The table size of the explicit layout's size byte: 0-199 rows; 200-253 around a multiple of
// 64 rows up to 4 words (63 .. 258); 254, 255 the large table's sizes (65535, 65537) when the
// seeds are the large table's, else 255, 257. (size_choice - 200 made 200 give 0 - 1 =
// SIZE_MAX rows: found by fuzzing, as an out of memory.) The sizes of the regression inputs
// (0-199, 200, and 255 with the large table's seeds) are what they were before the sizes were
// capped, so these inputs keep their tables; any other explicit table takes a few ms to make.
inline size_t explicit_rows(uint8_t size_choice, uint64_t schema_seed, uint64_t table_seed) {
  if (size_choice < 200) return size_choice;
  if (size_choice < 254) return 64 * (1 + static_cast<size_t>(size_choice - 200) % 4) + (size_choice & 3) - 1;
  bool large = schema_seed == kLargeSchemaSeed && table_seed == kLargeTableSeed;
  return (large ? 65535 : 255) + (size_choice & 1) * 2;
}

// A random table as the differential test makes it: the schema, the rows and the store loaded
// from their CSV.
struct InterpreterTable {
  Schema schema;
  testing::RefTable table;
  std::optional<rt::Store> store;
};

inline std::unique_ptr<InterpreterTable> make_interpreter_table(uint64_t schema_seed, size_t rows, uint64_t table_seed) {
  using namespace seg::testing;
  auto t = std::make_unique<InterpreterTable>();
  Rng schema_rng(schema_seed);
  t->schema = random_schema(schema_rng);
  Rng table_rng(table_seed);
  t->table = random_table(t->schema, rows, table_rng);
  std::string csv = table_csv(t->table, table_rng);
  auto loaded = rt::load_csv_text(csv, "random.csv", t->schema);
  SEG_FUZZ_CHECK(loaded.ok(), "a random table does not load: " + (loaded.errors.empty() ? "" : loaded.errors[0].to_string()));
  SEG_FUZZ_CHECK(loaded.store->rows() == rows, "rows lost in loading");
  t->store = std::move(loaded.store);
  return t;
}

// The tables made so far: up to 512 of at most 4096 rows (every compact one fits) and the
// last two larger ones. A table is a pure function of (schema seed, rows, table seed), so the
// cache changes how fast an input runs, never what it checks.
inline const InterpreterTable& interpreter_table(uint64_t schema_seed, size_t rows, uint64_t table_seed) {
  using Key = std::tuple<uint64_t, size_t, uint64_t>;
  using Entry = std::pair<Key, std::unique_ptr<InterpreterTable>>;
  static std::deque<Entry> small, large;  // most recently used first
  std::deque<Entry>& cache = rows > 4096 ? large : small;
  const size_t capacity = rows > 4096 ? 2 : 512;
  Key key{schema_seed, rows, table_seed};
  for (auto it = cache.begin(); it != cache.end(); ++it)
    if (it->first == key) {
      if (it != cache.begin()) {
        Entry hit = std::move(*it);
        cache.erase(it);
        cache.push_front(std::move(hit));
      }
      return *cache.front().second;
    }
  if (cache.size() >= capacity) cache.pop_back();  // before making the next: bounded memory
  cache.emplace_front(key, make_interpreter_table(schema_seed, rows, table_seed));
  return *cache.front().second;
}

}  // namespace seg::fuzz

SEG_FUZZ_TARGET(interpreter) {
  using namespace seg;
  using namespace seg::testing;
  const bool full = fuzz::sampled(data, size);
  fuzz::Bytes in(data, size);
  uint64_t schema_seed, table_seed;
  size_t rows;
  uint8_t t = in.byte(), m = in.byte();
  if (fuzz::explicit_input(data, size)) {
    schema_seed = in.u64();
    uint8_t size_choice = in.byte();
    table_seed = in.u64();
    rows = fuzz::explicit_rows(size_choice, schema_seed, table_seed);
  } else if (m == 0xff && fuzz::large_input(data, size)) {
    schema_seed = fuzz::kLargeSchemaSeed;
    table_seed = fuzz::kLargeTableSeed;
    rows = fuzz::kLargeRows;
  } else {
    schema_seed = 0x5e9f0000 + ((t >> 4) & 7);
    rows = fuzz::kInterpreterSizes[t & 15];
    table_seed = 0x7ab1e000 + (static_cast<uint64_t>(t & 0x7f) << 1) + (m & 1);
  }
  const fuzz::InterpreterTable& tab = fuzz::interpreter_table(schema_seed, rows, table_seed);
  const Schema& schema = tab.schema;
  const RefTable& table = tab.table;
  const rt::Store& store = *tab.store;
  const int64_t now = kRandomNow;
  const bool large = rows > 4096;
  // Rules per input: all 12 when replaying (or SEG_FUZZ_FULL=1), else the first.
  const int max_rules = fuzz::full_checks() ? 12 : 1;
  for (int k = 0; k < max_rules && in.left() > 0; ++k) {
    uint8_t depth = in.byte();
    Rng rule_rng(in.u64());
    ir::Node rule = random_rule(table, rule_rng, 1 + depth % 5);
    std::string printed = ir::print_rule(rule, schema);  // the printer copes with any IR (UBSan)
    // So does the IR JSON writer (it read a code past an enum's dictionary for a range open at
    // both ends; found by tests/ir_schema_test.cpp), and what it writes is JSON.
    SEG_FUZZ_CHECK(nlohmann::json::accept(ir_to_json(rule, schema)), "the IR JSON of a random rule is not JSON\n" + printed);
    auto disagree = [&](const std::string& what, uint64_t got, uint64_t want) {
      return what + " (" + std::to_string(got) + " vs " + std::to_string(want) + " rows, " + std::to_string(rows) +
             " rows in the table)\n" + printed + "\n" + ir::dump_tree(rule, schema);
    };
    rt::Plan plan = rt::build_plan(rule, store, now);
    // The small tables are evaluated on one thread; the large one on 3 threads with a thread
    // per block (below 16 blocks a second thread would not start): two blocks, two threads.
    // A sampled input is evaluated both ways (on one block, 3 threads is the 1-thread path).
    auto with_threads = [&](unsigned threads) {
      rt::EvalOptions opt;
      opt.want_rows = true;
      opt.explain = depth & 0x80;
      opt.threads = threads;
      opt.min_blocks_per_thread = 1;
      return rt::evaluate(plan, store, opt);
    };
    const unsigned threads = large ? 3 : 1;
    rt::EvalResult one = with_threads(threads);
    SEG_FUZZ_CHECK(one.ids.size() == one.count && one.rows.size() == one.count, "count and rows disagree\n" + printed);
    std::vector<int64_t> want;
    if (!large || full) {
      want = ref_select(rule, table, now);
      uint64_t want_sum = 0;
      for (int64_t id : want) want_sum += static_cast<uint64_t>(id);
      SEG_FUZZ_CHECK(one.ids == want && one.checksum == want_sum,
                     disagree("interpreter and reference disagree", one.count, want.size()));
    } else {
      // The large table outside the sample: the reference (20 ms a pass over 65537 rows) is
      // asked about the first two words and the last 129 rows only, across the block boundary.
      const uint64_t tail = rows - 129;  // rows > 4096
      std::vector<int64_t> got_near, want_near;
      for (size_t i = 0; i < one.rows.size(); ++i)
        if (one.rows[i] < 128 || one.rows[i] >= tail) got_near.push_back(one.ids[i]);
      for (uint64_t r : {uint64_t{0}, tail})
        for (uint64_t e = r + (r ? 129 : 128); r < e; ++r)
          if (ref_matches(rule, table.schema, table.rows[r], now))
            want_near.push_back(table.schema.id_field >= 0 ? table.rows[r][static_cast<size_t>(table.schema.id_field)].num
                                                           : static_cast<int64_t>(r + 1));
      std::sort(got_near.begin(), got_near.end());
      std::sort(want_near.begin(), want_near.end());
      SEG_FUZZ_CHECK(got_near == want_near, disagree("interpreter and reference disagree near the block boundary",
                                                     got_near.size(), want_near.size()));
    }
    if (full) {
      rt::EvalResult other = with_threads(large ? 1 : 3);
      SEG_FUZZ_CHECK(other.ids == one.ids && other.count == one.count && other.checksum == one.checksum,
                     disagree("1 and 3 threads disagree", other.count, one.count));
    }
    rt::EvalResult quick = rt::evaluate(plan, store);
    SEG_FUZZ_CHECK(quick.count == one.count && quick.checksum == one.checksum,
                   disagree("count-only evaluation differs", quick.count, one.count));

    // The optimizer and the printer keep the meaning on every type the random schemas have.
    ir::Node optimized = rule;
    Diagnostics d;
    optimize(optimized, schema, d);
    // On the large table on 1 input in 64: the optimizer does not look at the data, and these
    // are two more passes of the reference over 65537 rows (40 ms).
    if (large && !fuzz::sampled(data, size, 64)) continue;
    SEG_FUZZ_CHECK(ref_select(optimized, table, now) == want,
                   "the optimizer changed the meaning\n" + printed + "\noptimized: " + ir::print_rule(optimized, schema) +
                       "\nIR:\n" + ir::dump_tree(rule, schema) + "optimized IR:\n" + ir::dump_tree(optimized, schema));
    // The canonical text on a sample: the rule and ir_json targets check it on every input.
    if (!full || fuzz::inexpressible(optimized, schema)) continue;
    std::string canonical = ir::print_rule(optimized, schema);
    Compiled c = compile_rule(canonical, schema);
    SEG_FUZZ_CHECK(c.ir, "the canonical text of a random rule does not compile\n" + canonical + "\n" +
                             render_text(c.diags.list(), "rule", canonical));
    // Random IR has shapes the front end never makes (`in` on a timestamp, a negated range at
    // an int64 edge), which compile back to other, equivalent IR: the meaning must be the same.
    // (Structural equality is checked by the rule and ir_json targets, on IR the language makes.)
    SEG_FUZZ_CHECK(ref_select(*c.ir, table, now) == want, "the canonical text of a random rule selects other rows\n" +
                                                             canonical + "\nIR1:\n" + ir::dump_tree(optimized, schema) +
                                                             "IR2:\n" + ir::dump_tree(*c.ir, schema));
  }
  return 0;
}
