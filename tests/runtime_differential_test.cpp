// The vectorized interpreter against the row-at-a-time reference evaluator: random schemas,
// tables (sizes around the word and block boundaries) and rules; ids, count and checksum
// must agree exactly, on one thread and on several.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <limits>
#include <set>

#include "compiler/compile.hpp"
#include "runtime/exec/evaluate.hpp"
#include "runtime/exec/kernels_avx512.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/jit/jit.hpp"
#include "runtime/membership/refresh.hpp"
#include "tests/support/property_scale.hpp"
#include "tests/support/random_ir.hpp"
#include "runtime/storage/value_index.hpp"
#include "tests/support/reference_eval.hpp"

namespace seg::testing {
namespace {

struct Counts {
  size_t rules = 0;
  size_t nonempty = 0;  // rules that selected someone (the test is not vacuous)
  size_t partial = 0;   // rules that selected some but not all
  size_t probed = 0;    // rules a lookup could serve (the few-ids path was run)
  size_t sequences = 0; // tables whose ids are a sequence (stored as no bytes)
  size_t dense_index = 0;     // tables with a dense value index (ids without gaps)
  size_t bucketed_index = 0;  // tables with a value index of buckets
  size_t lookups = 0;         // row lookups checked against a scan of their column
  size_t sliced_dense = 0;    // byte-sliced columns with a dense value index
  size_t fused = 0;     // rules the JIT compiled kernels for
  size_t other_simd = 0;  // scans run again on the other vector kernels (SSE2 / AVX2 / AVX-512, BMI2 or not)
  size_t other_sets = 0;  // how many other sets they ran on, summed
  size_t sliced = 0;      // tables with a column kept as byte slices (kSliced)
  size_t planes = 0;      // tables with a column kept as bit planes (kPlanes)
  size_t runs = 0;        // tables with a column kept as arithmetic runs (kRuns)
  size_t packed = 0;      // tables with packed slices (the frequent value's rows left out)
  size_t tails = 0;       // tables with a sliced column whose last bits are bit planes
  size_t packed_tails = 0;  // of those, tables where the column is packed too (decision 67)
  size_t whole = 0;       // tables loaded without slices whose 2+-byte columns stay whole
  size_t arithmetic = 0;  // constant-true plans counted over sequence ids without a pass
  size_t frequent = 0;        // tables with a frequent-value bitmap
  size_t bucketed_tags = 0;   // tables with a tag container of bucketed bytes (and arrays and bitmaps)
  size_t frequent_rules = 0;  // rules with a range that bitmap answers
  size_t frequent_others = 0; // of those, ranges answered as every row but the value's
};

// How many range leaves of `n` a frequent-value bitmap answers, and how many of them as every
// row but the value's.
void frequent_leaves(const rt::PlanNode& n, const rt::Store& store, size_t& exact, size_t& others) {
  if (n.op == rt::Op::Range && n.field >= 0) {
    int d = rt::frequent_decides(n, store.column(n.field));
    exact += d > 0;
    others += d < 0;
  }
  for (const auto& k : n.kids) frequent_leaves(k, store, exact, others);
}

// Runs `f` with each other set of vector kernels the processor has: the baseline (SSE2, no
// pext/pdep), and where the default is AVX-512, what a processor without it runs (AVX2 and
// BMI2: the EPYCs whose AVX-512 the hypervisor hides, whose paths would otherwise run only
// there). Returns how many sets ran (0: the processor has no other).
template <class F>
int on_other_kernels(F&& f) {
  const bool was = rt::kernel::avx512(), was_avx2 = rt::kernel::avx2_enabled(), was_bmi2 = rt::kernel::bmi2();
  struct Set {
    bool avx512, avx2, bmi2;
  };
  int ran = 0;
  Set last{was, was_avx2, was_bmi2};
  for (Set s : {Set{false, true, true}, Set{false, false, false}}) {
    const Set got{rt::kernel::use_avx512(s.avx512), rt::kernel::use_avx2(s.avx2), rt::kernel::use_bmi2(s.bmi2)};
    // The default's set again, or the one just run (what the processor lacks stays off).
    if ((got.avx512 == was && got.avx2 == was_avx2 && got.bmi2 == was_bmi2) ||
        (got.avx512 == last.avx512 && got.avx2 == last.avx2 && got.bmi2 == last.bmi2))
      continue;
    f();
    last = got;
    ++ran;
  }
  rt::kernel::use_avx512(was);
  rt::kernel::use_avx2(was_avx2);
  rt::kernel::use_bmi2(was_bmi2);
  return ran;
}


void check_table(uint64_t seed, size_t rows, size_t rules, Counts& counts) {
  Rng rng(seed);
  Schema schema = random_schema(rng);
  RefTable table = random_table(schema, rows, rng);
  std::string csv = table_csv(table, rng);
  // Every other table keeps its offsets whole (the layout before byte slices), so both
  // layouts meet every kind of rule; and every other pair has no frequent-value bitmaps.
  rt::LoadOptions load;
  load.slices = seed % 2 == 0;
  load.frequent = seed / 2 % 2 == 0;
  auto loaded = rt::load_csv_text(csv, "random.csv", schema, load);
  ASSERT_TRUE(loaded.ok()) << "seed " << seed << ": " << (loaded.errors.empty() ? "" : loaded.errors[0].to_string());
  const rt::Store& store = *loaded.store;
  ASSERT_EQ(store.rows(), rows);
  counts.sequences += rows > 1 && store.column(store.id_field()).is_sequence();
  for (size_t f = 0; f < schema.fields.size(); ++f) {
    const rt::Column& c = store.column(static_cast<int>(f));
    counts.dense_index += c.index_row && c.meta.index_dense;
    counts.sliced_dense += c.index_row && c.meta.index_dense && c.is_sliced();
    counts.bucketed_index += c.index_row && !c.meta.index_dense;
    if (c.type == FieldType::Set) {
      bool bucketed = false;
      for (uint64_t k = 0; k < c.meta.tag_count * c.meta.chunks; ++k) bucketed |= c.dir[k].kind == rt::kBucketed;
      counts.bucketed_tags += bucketed;
    }
    // A row lookup (a dense or bucketed value index, or bisected ids) finds and counts exactly
    // the rows a scan of the column finds, over random ranges of offsets.
    if (!rt::has_row_lookup(store, static_cast<int>(f)) || !c.meta.has_values) continue;
    for (int k = 0; k < 20; ++k) {
      uint64_t lo = rng.below(c.meta.max_offset + 2), hi = lo + rng.below(k < 10 ? 3 : c.meta.max_offset + 2);
      std::vector<uint64_t> want, got;
      for (uint64_t r = 0; r < rows; ++r)
        if (!c.is_null(r) && c.offset_at(r) >= lo && c.offset_at(r) <= hi) want.push_back(r);
      ASSERT_TRUE(rt::lookup_rows(store, static_cast<int>(f), lo, hi, UINT64_MAX, got));
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, want) << "seed " << seed << " field " << f << " [" << lo << ", " << hi << "]";
      EXPECT_EQ(rt::count_rows(store, static_cast<int>(f), lo, hi), want.size()) << "seed " << seed << " field " << f;
      ++counts.lookups;
    }
  }
  bool sliced = false, whole = false, planes = false, runs = false, packed = false, tails = false, packed_tails = false;
  for (size_t f = 0; f < schema.fields.size(); ++f) {
    const rt::Column& c = store.column(static_cast<int>(f));
    sliced |= c.is_sliced();
    planes |= c.is_planes();
    runs |= c.is_runs();
    packed |= c.is_sliced() && c.meta.packed;
    tails |= c.is_sliced() && c.meta.slice_tail;
    packed_tails |= c.is_sliced() && c.meta.slice_tail && c.meta.packed;
    whole |= static_cast<int>(f) != store.id_field() && c.type != FieldType::Set && c.meta.width >= 2 &&
             c.meta.encoding == rt::kOffsets;
  }
  ASSERT_FALSE((sliced || planes || runs) && !load.slices) << "seed " << seed;
  bool frequent = false;
  for (size_t f = 0; f < schema.fields.size(); ++f) frequent |= store.column(static_cast<int>(f)).frequent != nullptr;
  ASSERT_FALSE(frequent && !load.frequent) << "seed " << seed;
  counts.frequent += frequent;
  counts.sliced += sliced;
  counts.planes += planes;
  counts.runs += runs;
  counts.packed += packed;
  counts.tails += tails;
  counts.packed_tails += packed_tails;
  counts.whole += whole;
  for (size_t i = 0; i < rules; ++i) {
    ir::Node rule = random_rule(table, rng, 1 + static_cast<int>(rng.below(4)));
    if (i % 3 == 0 && rows > 0) rule = few_ids(table, rng, std::move(rule));
    if (i % 3 == 1 && rows > 0) rule = frequent_range(table, rng, std::move(rule));
    std::vector<int64_t> want = ref_select(rule, table, kRandomNow);
    uint64_t want_sum = 0;
    for (int64_t id : want) want_sum += static_cast<uint64_t>(id);
    // The scan, the scan with the JIT's kernels, the planner's choice, and the few-ids path
    // wherever a leaf allows it.
    const rt::PlanOptions paths[] = {{.probe = rt::ProbeMode::Never},
                                     {.probe = rt::ProbeMode::Never, .jit = true},
                                     {.probe = rt::ProbeMode::Auto},
                                     {.probe = rt::ProbeMode::Always}};
    for (const rt::PlanOptions& path : paths) {
      rt::Plan plan = rt::build_plan(rule, store, kRandomNow, path);
      if (path.probe == rt::ProbeMode::Never) {
        EXPECT_LT(plan.probe.node, 0);
      }
      if (path.probe == rt::ProbeMode::Always) counts.probed += plan.probe.node >= 0;
      if (path.probe == rt::ProbeMode::Never && !path.jit) {
        size_t exact = 0, others = 0;
        frequent_leaves(plan.root, store, exact, others);
        counts.frequent_rules += exact + others > 0;
        counts.frequent_others += others > 0;
      }
      if (path.jit && rt::jit::available()) {
        EXPECT_EQ(plan.jit_warning, "");
        counts.fused += plan.fused > 0;
      } else if (path.jit) {
        EXPECT_NE(plan.jit_warning, "");  // the interpreter runs it, and says why
      }
      std::string what = "seed " + std::to_string(seed) + " rows " + std::to_string(rows) + " rule " +
                         std::to_string(i) + " probe mode " + std::to_string(static_cast<int>(path.probe)) +
                         (path.jit ? " jit" : "") + "\n" + ir::print_rule(rule, schema);
      // Threads hand out blocks the same way on every path: several only on the scan's.
      for (unsigned threads : {1u, 3u}) {
        if (threads > 1 && (path.jit || path.probe != rt::ProbeMode::Never)) continue;
        rt::EvalOptions opt;
        opt.threads = threads;
        opt.min_blocks_per_thread = 1;  // several threads even on small tables
        opt.want_rows = true;
        rt::EvalResult got = rt::evaluate(plan, store, opt);
        ASSERT_EQ(got.ids, want) << what << " threads " << threads;
        ASSERT_EQ(got.count, want.size());
        ASSERT_EQ(got.checksum, want_sum);
      }
      // Count-only evaluation (no row collection) gives the same figures (for a constant-true
      // plan over sequence ids, by arithmetic).
      counts.arithmetic += plan.root.op == rt::Op::True && rows > 0 && store.column(store.id_field()).is_sequence();
      rt::EvalResult quick = rt::evaluate(plan, store);
      ASSERT_EQ(quick.count, want.size()) << what;
      ASSERT_EQ(quick.checksum, want_sum) << what;
      // And so do the other vector kernels the processor has (SSE2 / AVX2 / AVX-512, runtime/exec/simd.cpp).
      if (path.probe == rt::ProbeMode::Never && !path.jit) {
        bool same = true;
        const int sets = on_other_kernels([&] {
          rt::EvalResult other = rt::evaluate(plan, store, {.want_rows = true});
          same = same && other.ids == want && other.checksum == want_sum;
        });
        ASSERT_TRUE(same) << what << " other kernels";
        counts.other_simd += sets > 0;
        counts.other_sets += static_cast<size_t>(sets);
      }
      // A page of members is the first members of the whole (EvalOptions::max_rows).
      rt::EvalResult page = rt::evaluate(plan, store, {.want_rows = true, .max_rows = 3});
      std::vector<int64_t> first(want.begin(), want.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(3, want.size())));
      ASSERT_EQ(page.ids, first) << what;
      // Block by block (how a member cursor reads), the same members in the same order.
      if (store.blocks() > 1 && path.probe != rt::ProbeMode::Auto) {
        std::vector<int64_t> ids;
        for (uint64_t b = 0; b < store.blocks(); ++b) {
          rt::EvalResult part = rt::evaluate(plan, store, {.want_rows = true, .first_block = b, .end_block = b + 1});
          ids.insert(ids.end(), part.ids.begin(), part.ids.end());
        }
        if (store.ids_sorted()) ASSERT_EQ(ids, want) << what;
        else ASSERT_EQ(ids.size(), want.size()) << what;
      }
    }
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
    for (size_t rows : sizes) check_table(seed++, rows, property_scaled(110), counts);
  EXPECT_EQ(counts.rules, 8u * 12u * property_scaled(110));  // as written, with the block test: over 10,000 rules
  EXPECT_GT(counts.partial, counts.rules / 4);
  EXPECT_GT(counts.probed, counts.rules / 10);  // the few-ids path is exercised, not vacuous
  EXPECT_GT(counts.sequences, 8u);                // and so are sequence ids
  EXPECT_GT(counts.dense_index, 8u);              // dense value indexes
  EXPECT_GT(counts.bucketed_index, 8u);           // and bucketed ones,
  EXPECT_GT(counts.lookups, 1000u);               // whose lookups and counts match a scan,
  EXPECT_GT(counts.sliced_dense, 2u);             // and dense ones on byte-sliced columns
  EXPECT_GT(counts.sliced, 20u);                  // byte-sliced columns
  EXPECT_GT(counts.planes, 20u);                  // bit-plane columns
  EXPECT_GT(counts.runs, 8u);                     // columns of arithmetic runs
  EXPECT_GT(counts.packed, 5u);                   // packed slices
  EXPECT_GT(counts.tails, 10u);                   // byte slices with a tail of bit planes
  EXPECT_GT(counts.packed_tails, 3u);             // packed ones too
  EXPECT_GT(counts.whole, 20u);                   // and 2+-byte offsets kept whole
  EXPECT_GT(counts.arithmetic, 20u);              // and counts of `true` without a pass
  EXPECT_GT(counts.frequent, 10u);                // and frequent-value bitmaps,
  EXPECT_GT(counts.frequent_rules, counts.rules / 50);  // ranges they answer,
  EXPECT_GT(counts.frequent_others, counts.rules / 500);  // as every row but the value's too
  EXPECT_GT(counts.bucketed_tags, 10u);           // tag containers of bucketed bytes
  if (rt::kernel::avx512_available() || rt::kernel::avx2_available() || rt::kernel::bmi2_available()) {
    EXPECT_EQ(counts.other_simd, counts.rules);  // every scan ran on another kernel set
  }
  if (rt::kernel::avx512_available()) {  // and on both others: AVX2 with BMI2, and the baseline
    EXPECT_EQ(counts.other_sets, 2 * counts.rules);
  }
  // A build with the JIT must open its module (or this test would quietly skip the JIT).
  EXPECT_EQ(rt::jit::available(), SEG_JIT_BUILT == 1) << rt::jit::why_unavailable();
  if (rt::jit::available()) {
    EXPECT_GT(counts.fused, counts.rules / 4);  // and the JIT kernels
  }
}

TEST(RuntimeDifferential, BlockBoundaries) {
  // Tables of several 65536-row blocks, and just around one block.
  Counts counts;
  const size_t sizes[] = {65535, 65536, 65537, 140001};
  uint64_t seed = 5001;
  for (size_t rows : sizes) check_table(seed++, rows, property_scaled(25), counts);
  EXPECT_EQ(counts.rules, 4u * property_scaled(25));
  EXPECT_GT(counts.partial, counts.rules / 4);
  EXPECT_EQ(counts.sliced, 2u);  // seeds 5002 and 5004 (every random schema has a timestamp or wide column)
  EXPECT_EQ(counts.whole, 2u);
  EXPECT_EQ(counts.packed, 1u);  // seed 5004, slices and frequent values both on: packed slices over 3 blocks
  EXPECT_GE(counts.runs, 1u);    // and arithmetic runs across blocks
}

// Each rule of `texts` over `store`, alone on both kernel sets and all of them in one shared
// pass, against `want(i, row)`: whether rule i selects the row. (The targeted tests below.)
void check_rules(const Schema& schema, const rt::Store& store, const std::vector<std::string>& texts,
                 const std::function<bool(size_t, size_t)>& want) {
  std::vector<rt::Plan> plans;
  for (size_t i = 0; i < texts.size(); ++i) {
    Compiled compiled = compile_rule(texts[i], schema);
    ASSERT_TRUE(compiled.ir) << texts[i];
    plans.push_back(rt::build_plan(*compiled.ir, store, kRandomNow));
    uint64_t count = 0, sum = 0;
    for (size_t r = 0; r < store.rows(); ++r)
      if (want(i, r)) ++count, sum += r + 1;  // ids are rows + 1
    auto check = [&](const char* kernels) {
      rt::EvalResult got = rt::evaluate(plans.back(), store);
      EXPECT_EQ(got.count, count) << texts[i] << " " << kernels;
      EXPECT_EQ(got.checksum, sum) << texts[i] << " " << kernels;
    };
    check("default");
    on_other_kernels([&] { check("other"); });
  }
  std::vector<const rt::Plan*> ptrs;
  for (const auto& p : plans) ptrs.push_back(&p);
  std::vector<rt::RowSet> sets = rt::refresh(ptrs, store).sets;
  ASSERT_EQ(sets.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<uint32_t> expect;
    for (size_t r = 0; r < store.rows(); ++r)
      if (want(i, r)) expect.push_back(static_cast<uint32_t>(r));
    EXPECT_EQ(sets[i].rows(), expect) << texts[i] << " (shared pass)";
  }
}

// Packed slices with a tail (decision 67): a column with a frequent value whose other values
// end inside a byte. Values clustered within a few dozen of each other share their whole
// bytes, so rows equal to a bound after the slices are common and the tail decides them,
// read from a packed word's run that starts anywhere in the planes. Ranges, short and long
// lists, alone on both kernel sets and in one shared pass, against the values themselves.
TEST(RuntimeDifferential, PackedTailsDecideTiedRows) {
  Schema schema;
  schema.name = "packed";
  schema.fields.resize(2);
  schema.fields[0].name = "id";
  schema.fields[1].name = "v";
  schema.id_field = 0;
  Rng rng(67);
  const size_t rows = 2 * 65536 + 777;
  std::vector<int64_t> v(rows);
  const int64_t centres[] = {3, 70001, 1048000, 1500000, 2097151};  // 21 bits: 2 slices and 5 planes
  std::string csv = "id,v\n";
  for (size_t r = 0; r < rows; ++r) {
    v[r] = rng.chance(0.4) ? 0 : std::min<int64_t>(2097151, centres[rng.below(5)] + static_cast<int64_t>(rng.below(90)));
    csv.append(std::to_string(r + 1)).append(",").append(std::to_string(v[r])).append("\n");
  }
  auto loaded = rt::load_csv_text(csv, "packed.csv", schema);
  ASSERT_TRUE(loaded.ok());
  const rt::Store& store = *loaded.store;
  const rt::Column& c = store.column(1);
  ASSERT_TRUE(c.is_sliced() && c.meta.packed);
  ASSERT_EQ(c.meta.slices, 2);
  ASSERT_EQ(c.meta.slice_tail, 5);
  const std::set<int64_t> held(v.begin(), v.end());
  auto pick = [&] { return v[rng.below(rows)] + static_cast<int64_t>(rng.below(3)) - 1; };
  std::vector<std::string> texts;
  std::vector<std::function<bool(int64_t)>> want;
  for (int i = 0; i < 40; ++i) {
    int64_t a = pick(), b = pick();
    if (a > b) std::swap(a, b);
    texts.push_back(fmt::format("v between {} and {}", a, b));
    want.push_back([=](int64_t x) { return a <= x && x <= b; });
    texts.push_back(fmt::format("v >= {}", a));
    want.push_back([=](int64_t x) { return x >= a; });
    texts.push_back(fmt::format("not v between {} and {}", a, b));
    want.push_back([=](int64_t x) { return !(a <= x && x <= b); });
    std::vector<int64_t> list;
    for (int k = 0; k < (i % 2 ? 3 : 12); ++k) list.push_back(pick());  // a short list, and one tested row by row
    texts.push_back(fmt::format("v in ({})", fmt::join(list, ", ")));
    want.push_back([=](int64_t x) { return std::find(list.begin(), list.end(), x) != list.end(); });
  }
  size_t tied = 0;  // rules with a row equal to a bound in its whole bytes but not in its last bits
  for (size_t i = 0; i < texts.size(); ++i) {
    bool ties = false;  // a value held whose whole bytes (all but its last 5 bits) do not decide the rule
    for (int64_t x : held)
      for (int64_t y = x & ~int64_t{31}; y <= (x | 31) && !ties; ++y) ties = x != 0 && want[i](x) != want[i](y);
    tied += ties;
  }
  EXPECT_GT(tied, texts.size() / 2);  // the tail decided rows for most rules
  check_rules(schema, store, texts, [&](size_t i, size_t r) { return want[i](v[r]); });
}

// Tags kept as sparse bytes (decision 69) beside bitmaps, bucketed bytes and arrays, over
// two whole chunks and a short last one, one tag's rows in runs (whole groups of 4,096 rows
// empty, others full): `any`, `all` and `none` of random tag lists, with a range, alone on
// both kernel sets and in one shared pass, and row by row (has_tag), against the sets.
TEST(RuntimeDifferential, SparseTagContainersAnswerAsTheirRows) {
  Schema schema;
  schema.name = "sparse";
  schema.fields.resize(2);
  schema.fields[0].name = "id";
  schema.fields[1].name = "tags";
  schema.fields[1].type = FieldType::Set;
  const double share[] = {0.04, 0.10, 0.18, 0.35, 0.01, 0.08};  // t5: in runs
  for (size_t t = 0; t < 6; ++t) schema.fields[1].dict.add(fmt::format("t{}", t));
  schema.id_field = 0;
  Rng rng(69);
  const size_t rows = 2 * 65536 + 5000;
  std::vector<std::vector<bool>> has(6, std::vector<bool>(rows, false));
  for (size_t t = 0; t < 6; ++t) {
    if (t == 5) {
      for (size_t r = 0; r < rows; r += 32768)  // a run in each half chunk
        for (size_t k = r + rng.below(20000), end = std::min(rows, k + 2600); k < end; ++k) has[t][k] = true;
      continue;
    }
    for (size_t r = 0; r < rows; ++r) has[t][r] = rng.chance(share[t]);
  }
  std::string csv = "id,tags\n";
  for (size_t r = 0; r < rows; ++r) {
    csv.append(std::to_string(r + 1)).append(",");
    bool first = true;
    for (size_t t = 0; t < 6; ++t)
      if (has[t][r]) csv.append(fmt::format("{}t{}", first ? "" : "|", t)), first = false;
    csv.append("\n");
  }
  auto loaded = rt::load_csv_text(csv, "sparse.csv", schema);
  ASSERT_TRUE(loaded.ok());
  const rt::Store& store = *loaded.store;
  const rt::Column& c = store.column(1);
  size_t kinds[5] = {};
  for (uint64_t k = 0; k < c.meta.tag_count * c.meta.chunks; ++k) ++kinds[c.dir[k].kind];
  EXPECT_GE(kinds[rt::kSparse], 8u);  // t0, t1, t2, t5 in the two whole chunks
  EXPECT_GE(kinds[rt::kBitmap], 2u);  // t3
  EXPECT_GE(kinds[rt::kBucketed], 2u);  // t4, and the short chunk's
  for (int k = 0; k < 20000; ++k) {
    const uint32_t t = static_cast<uint32_t>(rng.below(6));
    const uint64_t r = rng.below(rows);
    const uint32_t code = *schema.fields[1].dict.find_key(fmt::format("t{}", t));
    ASSERT_EQ(store.has_tag(1, code, r), has[t][r]) << "t" << t << " row " << r;
  }
  std::vector<std::string> texts;
  std::vector<std::vector<bool>> want;
  const char* ops[] = {"any", "all", "none"};
  for (int i = 0; i < 60; ++i) {
    std::vector<size_t> list;
    for (size_t t = 0; t < 6; ++t)
      if (rng.chance(0.4)) list.push_back(t);
    if (list.empty()) list.push_back(rng.below(6));
    const int op = i % 3;
    std::string text = fmt::format("tags {} (", ops[op]);
    for (size_t j = 0; j < list.size(); ++j) text += fmt::format("{}t{}", j ? ", " : "", list[j]);
    text += ")";
    const uint64_t lo = rng.below(rows), hi = lo + rng.below(rows);
    if (i % 4 == 3) text += fmt::format(" and id between {} and {}", lo, hi);
    std::vector<bool> w(rows);
    for (size_t r = 0; r < rows; ++r) {
      size_t n = 0;
      for (size_t t : list) n += has[t][r];
      w[r] = (op == 0 ? n > 0 : op == 1 ? n == list.size() : n == 0) && (i % 4 != 3 || (r + 1 >= lo && r + 1 <= hi));
    }
    texts.push_back(text);
    want.push_back(std::move(w));
  }
  check_rules(schema, store, texts, [&](size_t i, size_t r) { return want[i][r]; });
}

}  // namespace
}  // namespace seg::testing
