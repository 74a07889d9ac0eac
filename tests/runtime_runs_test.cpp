// Arithmetic runs (runtime/storage/runs.hpp, decision 85): the arithmetic that solves a run
// against a brute force over its rows, runs made from offsets as counted, and the reference
// player ids kept as runs, whose lookups and tests find what a scan of every row finds.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "compiler/compile.hpp"
#include "runtime/exec/evaluate.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/storage/runs.hpp"
#include "runtime/storage/value_index.hpp"
#include "tests/support/random_ir.hpp"
#include "tools/workload/workload.hpp"

namespace seg::testing {
namespace runs_test {

// A run's first offset, step and length drawn so every offset stays in [0, 2000], or near the
// top of what runs allow (kMaxRunOffset), where a careless product would wrap.
struct Drawn {
  uint64_t f;
  int64_t s;
  uint64_t len;
};
Drawn draw_run(Rng& rng, bool high) {
  const int64_t s = rng.chance(0.2) ? 0 : rng.between(-50, 50);
  const uint64_t top = high ? rt::kMaxRunOffset - 1 : 2000, d = static_cast<uint64_t>(s < 0 ? -s : s);
  const uint64_t len = rng.below(s == 0 ? 300 : std::min<uint64_t>(300, top / d + 2));
  const uint64_t reach = len == 0 ? 0 : d * (len - 1);  // at most top
  uint64_t f = reach + rng.below(top - reach + 1);  // room below for a falling run
  if (s > 0) f -= reach;                            // and above for a rising one
  return {f, s, len};
}

TEST(Runs, ASpanIsTheRowsABruteForceFinds) {
  Rng rng(85);
  for (int i = 0; i < 20000; ++i) {
    const bool high = i % 4 == 0;
    const Drawn d = draw_run(rng, high);
    const uint64_t base = high && d.f > 10000 ? d.f - 10000 : 0;  // bounds about the run's offsets
    uint64_t lo = base + rng.below(high ? 20000 : 2200), hi = base + rng.below(high ? 20000 : 2200);
    if (rng.chance(0.3)) hi = lo;  // one value
    if (rng.chance(0.05)) lo = 0, hi = UINT64_MAX;
    std::vector<uint64_t> want;
    for (uint64_t j = 0; j < d.len; ++j) {
      const uint64_t v = d.f + static_cast<uint64_t>(d.s) * j;
      if (v >= lo && v <= hi) want.push_back(j);
    }
    const auto [first, last] = rt::run_span(d.f, d.s, d.len, lo, hi);
    std::vector<uint64_t> got;
    for (uint64_t j = first; j < last; ++j) got.push_back(j);
    ASSERT_EQ(got, want) << "f " << d.f << " s " << d.s << " len " << d.len << " [" << lo << ", " << hi << "]";
  }
}

TEST(Runs, ABitSpanSetsThoseBitsOnly) {
  for (uint64_t from = 0; from < 200; from += 7)
    for (uint64_t to = 0; to < 260; to += 5) {
      uint64_t w[5] = {0, 0, 0, 0, 0};
      rt::set_bit_span(w, from, to);
      for (uint64_t b = 0; b < 320; ++b) ASSERT_EQ((w[b / 64] >> (b % 64)) & 1, b >= from && b < to ? 1u : 0u) << from << " " << to;
    }
}

TEST(Runs, RunsAreMadeAsCountedAndGiveTheOffsetsBack) {
  Rng rng(851);
  for (int t = 0; t < 300; ++t) {
    std::vector<uint64_t> v;
    const size_t n = rng.below(2000);
    while (v.size() < n) {
      const Drawn d = draw_run(rng, false);
      for (uint64_t j = 0; j < d.len && v.size() < n; ++j) v.push_back(d.f + static_cast<uint64_t>(d.s) * j);
    }
    const auto at = [&](uint64_t r) { return v[r]; };
    const uint64_t count = rt::count_runs(n, at);
    std::vector<rt::Run> runs(count + 1);
    rt::make_runs(n, at, runs.data());
    ASSERT_EQ(runs[count].row, n);
    if (n == 0) continue;
    const uint64_t max = *std::max_element(v.begin(), v.end());
    ASSERT_TRUE(rt::runs_well_formed(runs.data(), count, n, max));
    for (uint64_t i = 0; i < count; ++i) {
      ASSERT_LT(runs[i].row, runs[i + 1].row);
      if (i > 0 && runs[i].row - runs[i - 1].row > 1) {  // a new run only where the step changes
        ASSERT_NE(v[runs[i].row] - v[runs[i].row - 1], static_cast<uint64_t>(runs[i - 1].step));
      }
      for (uint64_t r = runs[i].row; r < runs[i + 1].row; ++r)
        ASSERT_EQ(runs[i].offset + static_cast<uint64_t>(runs[i].step) * (r - runs[i].row), v[r]);
    }
    // Runs that would read an offset past the column's greatest are refused.
    if (max > 0) {
      EXPECT_FALSE(rt::runs_well_formed(runs.data(), count, n, max - 1));
    }
    EXPECT_FALSE(rt::runs_well_formed(runs.data(), count, n + 1, max));
    if (count > 1) {
      std::vector<rt::Run> bad = runs;
      bad[1].row = bad[0].row;
      EXPECT_FALSE(rt::runs_well_formed(bad.data(), count, n, max));
    }
  }
}

// The workload's player ids (1000001 + 7919 r mod rows) at 600,000 rows: 7,919 runs of about 76
// rows, kept as runs beside their dense index. Lookups find what a scan finds, and rules on
// them (ranges, short and long lists, negated) count what the values say.
TEST(Runs, TheWorkloadsPlayerIdsAreRunsAndAnswerAsTheirValues) {
  const uint64_t rows = 600000;
  rt::Store store = rt::generate_workload_store(crm_schema(), rows);
  const int player = store.schema().find("player_id");
  const rt::Column& c = store.column(player);
  ASSERT_TRUE(c.is_runs());
  EXPECT_LE(c.run_count, 7920u);
  ASSERT_TRUE(c.index_row && c.meta.index_dense);
  std::vector<uint64_t> offsets(rows);
  for (uint64_t r = 0; r < rows; ++r) {
    offsets[r] = c.offset_at(r);
    ASSERT_EQ(c.value_at(r), static_cast<int64_t>(1000000 + (r * 7919) % rows + 1)) << r;
  }
  Rng rng(7919);
  for (int k = 0; k < 200; ++k) {
    const uint64_t lo = rng.below(rows + 10), hi = lo + (k % 2 ? 0 : rng.below(k % 4 ? 40 : rows));
    std::vector<uint64_t> want, got;
    for (uint64_t r = 0; r < rows; ++r)
      if (offsets[r] >= lo && offsets[r] <= hi) want.push_back(r);
    ASSERT_TRUE(rt::lookup_rows(store, player, lo, hi, UINT64_MAX, got));
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got, want) << "[" << lo << ", " << hi << "]";
  }
  const auto id = [&](uint64_t off) { return std::to_string(1000001 + off); };
  for (int k = 0; k < 40; ++k) {
    const uint64_t a = rng.below(rows), b = std::min(rows - 1, a + rng.below(rows / 3));
    std::vector<uint64_t> list;
    for (size_t i = 0, n = k % 3 == 0 ? 3 : 30; i < n; ++i) list.push_back(rng.below(rows));
    std::string in;
    for (uint64_t x : list) in += (in.empty() ? "" : ", ") + id(x);
    const std::string texts[] = {"player_id between " + id(a) + " and " + id(b), "player_id in (" + in + ")",
                                 "not player_id in (" + in + ") and player_id >= " + id(a)};
    for (int t = 0; t < 3; ++t) {
      uint64_t want = 0;
      for (uint64_t r = 0; r < rows; ++r) {
        const bool listed = std::find(list.begin(), list.end(), offsets[r]) != list.end();
        want += t == 0 ? offsets[r] >= a && offsets[r] <= b : t == 1 ? listed : !listed && offsets[r] >= a;
      }
      Compiled compiled = compile_rule(texts[t], store.schema());
      ASSERT_TRUE(compiled.ir) << texts[t];
      for (rt::ProbeMode probe : {rt::ProbeMode::Never, rt::ProbeMode::Auto}) {
        rt::Plan plan = rt::build_plan(*compiled.ir, store, kRandomNow, {.probe = probe});
        EXPECT_EQ(rt::evaluate(plan, store).count, want) << texts[t];
      }
    }
  }
}

}  // namespace runs_test
}  // namespace seg::testing
