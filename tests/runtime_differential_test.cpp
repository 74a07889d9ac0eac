// The vectorized interpreter against the row-at-a-time reference evaluator: random schemas,
// tables (sizes around the word and block boundaries) and rules; ids, count and checksum
// must agree exactly, on one thread and on several.
#include <gtest/gtest.h>

#include "runtime/exec/evaluate.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/exec/plan.hpp"
#include "tests/support/random_ir.hpp"
#include "tests/support/reference_eval.hpp"

namespace seg::testing {
namespace {

struct Counts {
  size_t rules = 0;
  size_t nonempty = 0;  // rules that selected someone (the test is not vacuous)
  size_t partial = 0;   // rules that selected some but not all
};

void check_table(uint64_t seed, size_t rows, size_t rules, Counts& counts) {
  Rng rng(seed);
  Schema schema = random_schema(rng);
  RefTable table = random_table(schema, rows, rng);
  std::string csv = table_csv(table, rng);
  auto loaded = rt::load_csv_text(csv, "random.csv", schema);
  ASSERT_TRUE(loaded.ok()) << "seed " << seed << ": " << (loaded.errors.empty() ? "" : loaded.errors[0].to_string());
  const rt::Store& store = *loaded.store;
  ASSERT_EQ(store.rows(), rows);
  for (size_t i = 0; i < rules; ++i) {
    ir::Node rule = random_rule(table, rng, 1 + static_cast<int>(rng.below(4)));
    std::vector<int64_t> want = ref_select(rule, table, kRandomNow);
    uint64_t want_sum = 0;
    for (int64_t id : want) want_sum += static_cast<uint64_t>(id);
    rt::Plan plan = rt::build_plan(rule, store, kRandomNow);
    for (unsigned threads : {1u, 3u}) {
      rt::EvalOptions opt;
      opt.threads = threads;
      opt.min_blocks_per_thread = 1;  // several threads even on small tables
      opt.want_rows = true;
      rt::EvalResult got = rt::evaluate(plan, store, opt);
      ASSERT_EQ(got.ids, want) << "seed " << seed << " rows " << rows << " rule " << i << " threads " << threads
                               << "\n" << ir::print_rule(rule, schema);
      ASSERT_EQ(got.count, want.size());
      ASSERT_EQ(got.checksum, want_sum);
    }
    // Count-only evaluation (no row collection) gives the same figures.
    rt::EvalResult quick = rt::evaluate(plan, store);
    ASSERT_EQ(quick.count, want.size());
    ASSERT_EQ(quick.checksum, want_sum);
    ++counts.rules;
    counts.nonempty += !want.empty();
    counts.partial += !want.empty() && want.size() < rows;
  }
}

TEST(RuntimeDifferential, SmallTablesManyRules) {
  Counts counts;
  const size_t sizes[] = {0, 1, 2, 3, 63, 64, 65, 127, 129, 200, 500, 1000};
  uint64_t seed = 1000;
  for (int round = 0; round < 8; ++round)
    for (size_t rows : sizes) check_table(seed++, rows, 110, counts);
  EXPECT_EQ(counts.rules, 8u * 12u * 110u);  // with the block test: over 10,000 rules
  EXPECT_GT(counts.partial, counts.rules / 4);
}

TEST(RuntimeDifferential, BlockBoundaries) {
  // Tables of several 65536-row blocks, and just around one block.
  Counts counts;
  const size_t sizes[] = {65535, 65536, 65537, 140001};
  uint64_t seed = 5000;
  for (size_t rows : sizes) check_table(seed++, rows, 25, counts);
  EXPECT_EQ(counts.rules, 100u);
  EXPECT_GT(counts.partial, 25u);
}

}  // namespace
}  // namespace seg::testing
