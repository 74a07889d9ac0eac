// Membership (runtime/membership/, api::Membership): the shared pass against the reference
// evaluator on random tables and rules, the Roaring row sets on their own, and the API's
// sharing of equal rules.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "runtime/exec/plan.hpp"
#include "runtime/membership/refresh.hpp"
#include "runtime/membership/row_set.hpp"
#include "runtime/storage/bits.hpp"
#include "runtime/storage/load.hpp"
#include "seg/seg.hpp"
#include "tests/support/random_ir.hpp"
#include "tests/support/reference_eval.hpp"

namespace seg::testing {
namespace {

std::vector<int64_t> ids_of(const rt::RowSet& s, const rt::Store& store) {
  std::vector<int64_t> out;
  for (uint32_t r : s.rows()) out.push_back(store.id_at(r));
  std::sort(out.begin(), out.end());
  return out;
}

// Many plans in one pass (each probe mode; a third of the rules on the few-ids path) give
// each rule the reference evaluator's members. Sizes cross the word and block boundaries.
TEST(Membership, TheSharedPassSelectsWhatTheReferenceDoes) {
  size_t nonempty = 0, partial = 0, probed = 0, packed_tables = 0, packed_blocks = 0, packed_tails = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    Rng rng(seed * 7919);
    Schema schema = random_schema(rng);
    const size_t sizes[] = {1, 63, 64, 130, 65536, 65536 + 200};
    const size_t rows = sizes[seed % 6];
    RefTable table = random_table(schema, rows, rng);
    auto loaded = rt::load_csv_text(table_csv(table, rng), "random.csv", schema);
    ASSERT_TRUE(loaded.ok());
    const rt::Store& store = *loaded.store;
    // Packed slices are unpacked a block at a time in a pass of many plans (eval_sliced.cpp,
    // unpacked_block): ranges on a frequent value's column test that.
    // A packed column's tail is unpacked with it (decision 67).
    bool packed = false, tail = false;
    for (size_t f = 0; f < store.column_count(); ++f) {
      packed |= store.column(static_cast<int>(f)).meta.packed;
      tail |= store.column(static_cast<int>(f)).meta.packed && store.column(static_cast<int>(f)).meta.slice_tail;
    }
    packed_tables += packed;
    packed_tails += tail;
    packed_blocks += packed && store.blocks() > 1;  // unpacked again on the next block, and a last partial one
    std::vector<ir::Node> rules;
    std::vector<rt::Plan> plans;
    for (size_t i = 0; i < 60; ++i) {
      ir::Node rule = random_rule(table, rng, 1 + static_cast<int>(rng.below(4)));
      if (i % 3 == 0) rule = few_ids(table, rng, std::move(rule));
      if (i % 3 == 1) rule = frequent_range(table, rng, std::move(rule));
      rt::ProbeMode mode = i % 2 ? rt::ProbeMode::Always : rt::ProbeMode::Never;
      plans.push_back(rt::build_plan(rule, store, kRandomNow, {.probe = mode}));
      probed += plans.back().probe.node >= 0;
      rules.push_back(std::move(rule));
    }
    std::vector<const rt::Plan*> ptrs;
    for (const auto& p : plans) ptrs.push_back(&p);
    std::vector<rt::RowSet> sets = rt::refresh(ptrs, store).sets;
    ASSERT_EQ(sets.size(), rules.size());
    for (size_t i = 0; i < rules.size(); ++i) {
      std::vector<int64_t> want = ref_select(rules[i], table, kRandomNow);
      ASSERT_EQ(ids_of(sets[i], store), want) << "seed " << seed << " rule " << i << "\n" << ir::print_rule(rules[i], schema);
      ASSERT_EQ(sets[i].count(), want.size());
      nonempty += !want.empty();
      partial += !want.empty() && want.size() < rows;
    }
  }
  EXPECT_GT(nonempty, 100u);  // not vacuous
  EXPECT_GT(partial, 50u);
  EXPECT_GE(probed, 10u);  // the few-ids path ran (11 with these seeds)
  EXPECT_GT(packed_tables, 0u);
  EXPECT_GT(packed_blocks, 0u);
  EXPECT_GT(packed_tails, 0u);
}

// Rules built from a small pool of sub-rules share whole tests and subtrees: evaluated once
// a block for all of them (exec/share.hpp), each rule must still get the reference's members,
// with or without sharing, members kept or counted only. Plans on the few-ids path and
// constants are among them.
TEST(Membership, SharedTestsGiveEachRuleItsOwnMembers) {
  uint64_t shared_uses = 0, nested = 0, nonempty = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    Rng rng(seed * 104729);
    Schema schema = random_schema(rng);
    const size_t sizes[] = {65536 + 200, 63, 1000, 65536, 130, 3 * 65536 + 7};
    const size_t rows = sizes[seed % 6];
    RefTable table = random_table(schema, rows, rng);
    auto loaded = rt::load_csv_text(table_csv(table, rng), "random.csv", schema);
    ASSERT_TRUE(loaded.ok());
    const rt::Store& store = *loaded.store;
    std::vector<ir::Node> pool;
    for (size_t i = 0; i < 6; ++i) pool.push_back(random_rule(table, rng, 1 + static_cast<int>(rng.below(3))));
    std::vector<ir::Node> rules;
    std::vector<rt::Plan> plans;
    for (size_t i = 0; i < 40; ++i) {
      std::vector<ir::Node> kids;
      for (size_t k = 0, n = 1 + rng.below(3); k < n; ++k) {
        ir::Node kid = pool[rng.below(pool.size())];
        if (rng.below(4) == 0) kid = ir::Node::negate(std::move(kid));
        kids.push_back(std::move(kid));
      }
      if (rng.below(2)) kids.push_back(random_rule(table, rng, 1));  // a test of its own
      // A pool rule inside a shared pair: subtrees shared within shared subtrees.
      if (rng.below(3) == 0) kids.push_back(ir::Node::conj(ir::Kind::Or, {pool[0], pool[1]}));
      ir::Node rule = kids.size() == 1 ? std::move(kids[0]) : ir::Node::conj(rng.below(2) ? ir::Kind::And : ir::Kind::Or, std::move(kids));
      if (i % 7 == 0) rule = few_ids(table, rng, std::move(rule));
      plans.push_back(rt::build_plan(rule, store, kRandomNow));
      rules.push_back(std::move(rule));
    }
    std::vector<const rt::Plan*> ptrs;
    for (const auto& p : plans) ptrs.push_back(&p);
    rt::Refreshed shared = rt::refresh(ptrs, store);
    rt::Refreshed alone = rt::refresh(ptrs, store, {.members = true, .share = false});
    rt::Refreshed counted = rt::refresh(ptrs, store, {.members = false, .share = true});
    EXPECT_EQ(alone.shared_uses, 0u);
    EXPECT_TRUE(counted.sets.empty());
    shared_uses += shared.shared_uses;
    nested += shared.shared_tests > 0 && shared.shared_uses > 2 * shared.shared_tests;
    for (size_t i = 0; i < rules.size(); ++i) {
      std::vector<int64_t> want = ref_select(rules[i], table, kRandomNow);
      std::string why = "seed " + std::to_string(seed) + " rule " + std::to_string(i) + "\n" + ir::print_rule(rules[i], schema);
      ASSERT_EQ(ids_of(shared.sets[i], store), want) << why;
      ASSERT_EQ(ids_of(alone.sets[i], store), want) << why;
      ASSERT_EQ(shared.counts[i], want.size()) << why;
      ASSERT_EQ(counted.counts[i], want.size()) << why;
      nonempty += !want.empty() && want.size() < rows;
    }
  }
  EXPECT_GT(shared_uses, 100u);  // the pool's tests were shared, not each evaluated alone
  EXPECT_GT(nested, 0u);
  EXPECT_GT(nonempty, 60u);
}

TEST(Membership, RowSetsKeepBlocksAndRows) {
  // A dense block (a bitmap container), a sparse one (an array), an empty one, and a short
  // last block; then rows added and removed one by one.
  std::vector<uint64_t> dense(rt::kBlockWords, 0x00FF00FF00FF00FFull), sparse(rt::kBlockWords, 0), none(rt::kBlockWords, 0);
  sparse[3] = 0b1011;
  sparse[1000] = uint64_t{1} << 63;
  std::vector<uint64_t> last(10, ~uint64_t{0});
  rt::RowSet s;
  s.append_block(0, dense.data(), dense.size());
  s.append_block(1, sparse.data(), sparse.size());
  s.append_block(2, none.data(), none.size());
  s.append_block(3, last.data(), last.size());
  EXPECT_EQ(s.count(), 32768u + 4u + 640u);
  EXPECT_TRUE(s.contains(0));
  EXPECT_FALSE(s.contains(8));
  EXPECT_TRUE(s.contains(65536 + 3 * 64 + 3));
  EXPECT_FALSE(s.contains(65536 + 3 * 64 + 2));
  EXPECT_TRUE(s.contains(65536 + 1000 * 64 + 63));
  EXPECT_FALSE(s.contains(2 * 65536));
  EXPECT_TRUE(s.contains(3 * 65536 + 639));
  EXPECT_FALSE(s.contains(3 * 65536 + 640));
  s.remove(0);
  s.add(2 * 65536 + 5);
  EXPECT_FALSE(s.contains(0));
  EXPECT_TRUE(s.contains(2 * 65536 + 5));
  std::vector<uint32_t> rows = s.rows();
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end()));
  EXPECT_EQ(rows.size(), s.count());
  // Set algebra.
  rt::RowSet t;
  t.add(1);
  t.add(2 * 65536 + 5);
  EXPECT_EQ(s.both(t).count(), 2u);
  rt::RowSet u = s;
  u.remove_all(t);
  EXPECT_EQ(u.count(), s.count() - 2);
  u.add_all(t);
  EXPECT_TRUE(u == s);
}

// take_all removes what remove_all does and names what both() holds, on random sets whose
// containers are bitmaps, arrays and runs, including bitmaps it empties or leaves small enough
// to become arrays, and rows in chunks the set does not have.
TEST(Membership, TakeAllIsBothThenRemoveAll) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 200; ++round) {
    rt::RowSet s;
    std::vector<uint32_t> candidates;
    for (uint32_t chunk = 0; chunk < 6; ++chunk) {
      const uint32_t base = chunk << 16;
      switch (rng() % 4) {
        case 0: {  // a bitmap, just above the array limit or dense
          const uint32_t n = rng() % 2 ? 4097 + static_cast<uint32_t>(rng() % 8) : 30000;
          const uint32_t from = static_cast<uint32_t>(rng() % 65536);
          for (uint32_t k = 0; k < n; ++k) s.add(base + (from + k * 13) % 65536);  // n distinct rows
          break;
        }
        case 1:  // an array
          for (uint32_t k = 0, n = 1 + static_cast<uint32_t>(rng() % 300); k < n; ++k) s.add(base + static_cast<uint32_t>(rng() % 65536));
          break;
        case 2: {  // a run (odd rounds)
          if (round % 2 == 0) break;
          const uint32_t first = static_cast<uint32_t>(rng() % 60000);
          s.add_range(base + first, base + first + 1 + rng() % 5000);
          break;
        }
        default: break;  // no container
      }
    }
    std::vector<uint32_t> members = s.rows();
    if (rng() % 4 == 0) candidates = members;  // every container emptied
    else
      for (size_t k = 0, want = rng() % 3 == 0 ? members.size() : rng() % 200; k < want && !members.empty(); ++k)
        candidates.push_back(members[rng() % members.size()]);
    for (size_t k = 0, n = rng() % 100; k < n; ++k) candidates.push_back(static_cast<uint32_t>(rng() % (7u << 16)));
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    rt::RowSet c;
    c.add_many(candidates);
    rt::RowSet want_taken = s.both(c), want_left = s;
    want_left.remove_all(c);
    std::vector<uint32_t> taken;
    s.take_all(candidates, taken);
    ASSERT_TRUE(s == want_left) << "round " << round;
    std::vector<uint32_t> taken_rows;
    for (uint32_t t : taken) taken_rows.push_back(candidates[t]);
    ASSERT_EQ(taken_rows, want_taken.rows()) << "round " << round;
    EXPECT_EQ(s.count(), want_left.count());
    // Without runs, the containers a set of these rows is built of: a bitmap left with 4096
    // rows or fewer became an array (equality does not see the kind; the serialized size does).
    if (round % 2 == 0) {
      rt::RowSet canonical;
      canonical.add_many(s.rows());
      ASSERT_EQ(s.bytes(), canonical.bytes()) << "round " << round;
    }
    for (uint32_t r : taken_rows) EXPECT_FALSE(s.contains(r));
    rt::RowSet again = s;  // still a well-formed set: the algebra works on it
    again.add_all(want_taken);
    want_left.add_all(want_taken);
    ASSERT_TRUE(again == want_left);
  }
}

// The API: equal rules (in different spellings) evaluated once, counts and ids those of each
// query alone, and misuse refused.
TEST(Membership, TheApiSharesEqualRulesAndAgreesWithEachQueryAlone) {
  api::Schema schema = api::Schema::crm();
  std::vector<api::Diagnostic> diags;
  auto store = api::Store::open(SEG_SOURCE_DIR "/examples/clients.csv", schema, diags);
  ASSERT_TRUE(store) << (diags.empty() ? "" : diags[0].message);
  const char* texts[] = {"stage = Active", "stage=active", "tag any (VIP) or spot = 12", "not stage = Active",
                         "player_id in (1000004, 1000007)", "false"};
  std::vector<api::SegmentQuery> segs;
  int64_t id = 100;
  for (const char* t : texts) {
    api::Rule r = api::Rule::compile(t, store->schema());
    ASSERT_TRUE(r.ok()) << t;
    auto q = api::Query::prepare(r, *store, diags);
    ASSERT_TRUE(q);
    segs.push_back({id++, *q});
  }
  api::RunOptions ro;
  ro.now = 1767225600;
  api::Membership m = api::Membership::refresh(segs, ro);
  EXPECT_EQ(m.stats().segments, 6u);
  EXPECT_EQ(m.stats().distinct, 5u);  // the two spellings of `stage = Active` share one
  auto counts = m.counts();
  ASSERT_EQ(counts.size(), 6u);
  for (size_t i = 0; i < segs.size(); ++i) {
    std::vector<int64_t> alone = segs[i].query.ids(ro);
    EXPECT_EQ(counts[i].id, segs[i].id);
    EXPECT_EQ(counts[i].count, alone.size()) << texts[i];
    EXPECT_EQ(m.ids(segs[i].id), alone) << texts[i];
    for (int64_t c : alone) EXPECT_TRUE(m.contains(segs[i].id, c));
  }
  EXPECT_GT(m.count(100), 0u);
  EXPECT_FALSE(m.contains(100, -12345));  // nobody has that id
  EXPECT_GT(m.stats().column_bytes, 0u);
  EXPECT_GT(m.stats().bitmap_bytes, 0u);
  // Counts only: the same counts, no bitmaps, and members refused rather than made up.
  api::Membership c = api::Membership::refresh(segs, ro, {.members = false, .share = true});
  for (size_t i = 0; i < segs.size(); ++i) EXPECT_EQ(c.count(segs[i].id), counts[i].count) << texts[i];
  EXPECT_EQ(c.stats().bitmap_bytes, 0u);
  EXPECT_THROW(c.ids(100), std::logic_error);
  EXPECT_THROW(c.contains(100, 1000004), std::logic_error);
  EXPECT_THROW(m.count(7), std::out_of_range);
  std::vector<api::SegmentQuery> twice = {segs[0], segs[0]};
  EXPECT_THROW(api::Membership::refresh(twice, ro), std::invalid_argument);
  auto other = api::Store::open(SEG_SOURCE_DIR "/examples/clients.csv", schema, diags);
  auto q2 = api::Query::prepare(api::Rule::compile("spot = 1", other->schema()), *other, diags);
  std::vector<api::SegmentQuery> mixed = {segs[0], {1, *q2}};
  EXPECT_THROW(api::Membership::refresh(mixed, ro), std::invalid_argument);
  EXPECT_EQ(api::Membership::refresh({}, ro).counts().size(), 0u);
}

}  // namespace
}  // namespace seg::testing
