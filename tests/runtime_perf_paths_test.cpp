// The evaluator's fast paths against plain loops: the position sums behind the checksum of
// consecutive ids, the byte-to-bit packing of `any` over many array members, and whole rules
// over stores whose ids are consecutive, have gaps in some blocks, are near the int64 limits,
// or are not sorted (the id-reading path), checked row by row with eval_row.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "compiler/compile.hpp"
#include "runtime/storage/bits.hpp"
#include "runtime/exec/evaluate.hpp"
#include "runtime/exec/kernels.hpp"
#include "runtime/exec/kernels_avx512.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/storage/store_builder.hpp"
#include "tools/workload/workload.hpp"
#include "tests/support/random_ir.hpp"

namespace seg::rt {
namespace {

BitSums plain_bit_sums(const std::vector<uint64_t>& w) {
  BitSums s;
  for (size_t i = 0; i < w.size(); ++i)
    for (int j = 0; j < 64; ++j)
      if ((w[i] >> j) & 1) ++s.count, s.positions += i * 64 + static_cast<uint64_t>(j);
  return s;
}

TEST(RuntimePerfPaths, BitSumsAgreeWithPlainLoop) {
  testing::Rng rng(7);
  const size_t sizes[] = {0, 1, 2, 17, 63, 64, 1023, 1024, 1025, 2049, 5000};
  const double densities[] = {0, 0.0005, 0.02, 0.3, 0.5, 0.97, 1};
  for (size_t n : sizes)
    for (double d : densities)
      for (int round = 0; round < 3; ++round) {
        std::vector<uint64_t> w(n, 0);
        for (auto& x : w)
          for (int j = 0; j < 64; ++j)
            if (d >= 1 || rng.chance(d)) x |= uint64_t{1} << j;
        if (round == 2 && n) w.back() = ~uint64_t{0}, w.front() = uint64_t{1} << 63;  // edge bits
        // bit_sums (VPOPCNTQ where the processor has it) and the word-by-word version
        const BitSums want = plain_bit_sums(w);
        std::vector<BitSums> got = {bit_sums(w.data(), w.size()), bit_sums_words(w.data(), w.size())};
#if defined(__x86_64__) && defined(__GNUC__) && !defined(SEG_NO_SIMD)
        if (has_avx2()) got.push_back(bit_sums_avx2(w.data(), w.size()));  // without VPOPCNTQ
#endif
        for (size_t k = 0; k < got.size(); ++k) {
          ASSERT_EQ(got[k].count, want.count) << "n " << n << " density " << d << " version " << k;
          ASSERT_EQ(got[k].positions, want.positions) << "n " << n << " density " << d << " version " << k;
        }
      }
}

// Over 2^20 words bit_sums adds up pieces (bit_sums_avx2's sums are 32-bit).
TEST(RuntimePerfPaths, BitSumsOfManyWords) {
  testing::Rng rng(8);
  std::vector<uint64_t> w((size_t{1} << 20) + 5);
  for (auto& x : w) x = rng.next() & rng.next();
  w.back() = ~uint64_t{0};
  const BitSums want = plain_bit_sums(w), got = bit_sums(w.data(), w.size());
  EXPECT_EQ(got.count, want.count);
  EXPECT_EQ(got.positions, want.positions);
}

TEST(RuntimePerfPaths, TakeByteBitsPacksAndClears) {
  testing::Rng rng(11);
  alignas(64) uint8_t a[64], b[64];
  for (int round = 0; round < 2000; ++round) {
    double d = rng.chance(0.2) ? (rng.chance(0.5) ? 0.0 : 1.0) : 0.5;
    for (int i = 0; i < 64; ++i) a[i] = b[i] = rng.chance(d) ? 0xFF : 0x00;
    uint64_t want = 0;
    for (int i = 0; i < 64; ++i) want |= static_cast<uint64_t>(a[i] != 0) << i;
    ASSERT_EQ(kernel::take_byte_bits(a), want);
    ASSERT_EQ(kernel::take_byte_bits_scalar(b), want);
    for (int i = 0; i < 64; ++i) ASSERT_EQ(a[i] | b[i], 0);
  }
#ifdef SEG_AVX512
  // The AVX-512 loop over several words ORs each word's bits into what is there.
  if (!kernel::avx512_available()) return;
  alignas(64) uint8_t bytes[64 * 5];
  uint64_t acc[5], want[5];
  for (int round = 0; round < 500; ++round) {
    for (int w = 0; w < 5; ++w) {
      acc[w] = want[w] = rng.chance(0.5) ? rng.next() : 0;
      for (int i = 0; i < 64; ++i) {
        bytes[64 * w + i] = rng.chance(0.3) ? 0xFF : 0x00;
        want[w] |= static_cast<uint64_t>(bytes[64 * w + i] != 0) << i;
      }
    }
    kernel::take_byte_bits_avx512(bytes, acc, 5);
    for (int w = 0; w < 5; ++w) ASSERT_EQ(acc[w], want[w]) << w;
    for (uint8_t x : bytes) ASSERT_EQ(x, 0);
  }
#endif
}

// The workload's rows with client_id replaced by id(r).
template <class IdFn>
Store workload_with_ids(uint64_t rows, IdFn id) {
  StoreBuilder b(crm_schema());
  Schema& s = b.schema();
  int f_client = s.find("client_id"), f_player = s.find("player_id"), f_spot = s.find("spot"),
      f_stage = s.find("stage"), f_tags = s.find("tags"), f_dep = s.find("deposit_total"),
      f_reg = s.find("registered_at"), f_last = s.find("last_active_at"), f_country = s.find("country");
  std::vector<uint32_t> stage_code, tag_code, country_code;
  for (const auto& n : workload_stage_names()) stage_code.push_back(s.fields[f_stage].dict.add(n));
  for (const auto& n : workload_tag_names()) tag_code.push_back(s.fields[f_tags].dict.add(n));
  for (const auto& n : workload_countries()) country_code.push_back(s.fields[f_country].dict.add(n));
  WorkloadRow w;
  for (uint64_t r = 0; r < rows; ++r) {
    workload_row(kWorkloadSeed, rows, r, w);
    b.set_value(f_client, id(r));
    b.set_value(f_player, w.player_id);
    b.set_value(f_spot, w.spot);
    b.set_value(f_stage, stage_code[static_cast<size_t>(w.stage)]);
    for (int i = 0; i < w.ntags; ++i) b.add_tag(f_tags, tag_code[w.tags[i]]);
    b.set_value(f_dep, w.deposit_cents);
    b.set_value(f_reg, w.registered_at);
    if (w.has_last_active) b.set_value(f_last, w.last_active_at);
    if (w.country >= 0) b.set_value(f_country, country_code[static_cast<size_t>(w.country)]);
    EXPECT_TRUE(b.commit_row());
  }
  return b.finish();
}

std::vector<std::string> rules_to_check() {
  std::vector<std::string> r;
  for (const auto& q : workload_rules()) r.push_back(q.text);
  r.push_back("tag any (T000, T001)");                   // few array members: bit by bit
  r.push_back("tag any (T010, T020, REGISTERED, VIP)");  // bitmaps and arrays
  r.push_back("tag none (T000, T001, T002, T003, T004, T005, T006, T007, T008, T009, T010, T011)");
  r.push_back("spot in (1, 3, 5) and tag any (T000, T001, T002, T003, T004, T005, T006, T007, T008)");
  r.push_back("stage in (NotProcessed, Registration)");  // half the words: streamed whole
  r.push_back("spot = 12 and stage = Registration");     // sparse second leaf: listed words
  return r;
}

void check_rules(const Store& store, const std::string& what) {
  for (const auto& text : rules_to_check()) {
    Compiled c = compile_rule(text, store.schema());
    ASSERT_TRUE(c.ir) << text;
    Plan plan = build_plan(*c.ir, store, 0);
    uint64_t count = 0, sum = 0;
    std::vector<int64_t> ids;
    for (uint64_t row = 0; row < store.rows(); ++row)
      if (eval_row(plan.root, store, row)) ++count, sum += static_cast<uint64_t>(store.id_at(row)), ids.push_back(store.id_at(row));
    std::sort(ids.begin(), ids.end());
    EvalResult quick = evaluate(plan, store);
    EXPECT_EQ(quick.count, count) << what << ": " << text;
    EXPECT_EQ(quick.checksum, sum) << what << ": " << text;
    EvalOptions opt;
    opt.want_rows = true;
    opt.threads = 3;
    opt.min_blocks_per_thread = 1;
    EvalResult full = evaluate(plan, store, opt);
    EXPECT_EQ(full.count, count) << what << ": " << text;
    EXPECT_EQ(full.checksum, sum) << what << ": " << text;
    EXPECT_EQ(full.ids, ids) << what << ": " << text;
  }
}

constexpr uint64_t kRows = 3 * kBlockRows + 777;  // three full blocks and a partial one

TEST(RuntimePerfPaths, ConsecutiveIds) {
  Store s = workload_with_ids(kRows, [](uint64_t r) { return static_cast<int64_t>(r + 1); });
  ASSERT_TRUE(s.ids_sorted());
  check_rules(s, "consecutive");
}

TEST(RuntimePerfPaths, IdsWithAGapInOneBlock) {
  // Block 0 consecutive; block 1 has a gap of 7 (its zone spans more values than rows);
  // blocks 2 and 3 consecutive again from a new start.
  Store s = workload_with_ids(kRows, [](uint64_t r) { return static_cast<int64_t>(r + 1 + (r >= kBlockRows + 500 ? 7 : 0)); });
  ASSERT_TRUE(s.ids_sorted());
  check_rules(s, "gap");
}

TEST(RuntimePerfPaths, ConsecutiveIdsAtTheInt64Edges) {
  const int64_t top = std::numeric_limits<int64_t>::max();
  Store hi = workload_with_ids(kRows, [&](uint64_t r) { return top - static_cast<int64_t>(kRows - 1 - r); });
  check_rules(hi, "top");
  const int64_t bottom = std::numeric_limits<int64_t>::min();
  Store lo = workload_with_ids(kRows, [&](uint64_t r) { return bottom + static_cast<int64_t>(r); });
  check_rules(lo, "bottom");
}

TEST(RuntimePerfPaths, DescendingIds) {
  // Consecutive values, but not sorted: the zone maps alone would pass; the checksum must read ids.
  Store s = workload_with_ids(kRows, [](uint64_t r) { return static_cast<int64_t>(kRows - r); });
  ASSERT_FALSE(s.ids_sorted());
  check_rules(s, "descending");
}

}  // namespace
}  // namespace seg::rt
