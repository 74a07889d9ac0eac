// Tag containers of sparse bytes (runtime/storage/tag_sparse.hpp, decision 69): encoded rows
// expand back to their bitmap, assigned or ORed, a byte at a time, a word at a time (PSHUFB, PDEP)
// and 64 bytes at a time (VPEXPANDB), over a whole chunk or a last one's first words; every row of the chunk is found
// or not as the set says; many containers ORed together at once give the OR of their bitmaps;
// damaged containers are told apart from good ones.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "runtime/exec/kernels_avx512.hpp"
#include "runtime/storage/bits.hpp"
#include "runtime/storage/tag_sparse.hpp"

namespace seg::rt {
namespace {

// `n` distinct sorted rows of a chunk: spread, or in a few runs (so whole groups of 4,096
// rows are empty and others full).
std::vector<uint16_t> rows_of(std::mt19937_64& g, size_t n, bool runs) {
  std::set<uint16_t> s;
  while (s.size() < n) {
    if (!runs) {
      s.insert(static_cast<uint16_t>(g() % 65536));
      continue;
    }
    const uint32_t from = static_cast<uint32_t>(g() % 65536), len = static_cast<uint32_t>(1 + g() % 3000);
    for (uint32_t r = from; r < from + len && r < 65536 && s.size() < n; ++r) s.insert(static_cast<uint16_t>(r));
  }
  return {s.begin(), s.end()};
}

struct Encoded {
  std::vector<uint8_t> bytes;
  std::vector<uint64_t> bitmap;  // what it encodes
};
Encoded encode(const std::vector<uint16_t>& rows) {
  Encoded e;
  e.bytes.assign(sparse_bytes_for(sparse_kept_for(rows.data(), rows.size())) + kTagReadPast, 0);  // as tag data has
  encode_sparse(rows.data(), rows.size(), e.bytes.data());
  e.bitmap.assign(kBlockWords, 0);
  for (uint16_t r : rows) set_bit(e.bitmap.data(), r);
  return e;
}

// Each expander, in each of its four ways (assign, OR, AND, AND NOT), as function pointers.
using Expand = uint64_t (*)(const uint8_t*, uint64_t*, size_t);
struct Expander {
  const char* name;
  Expand assign, ored, anded, cleared;
};
std::vector<Expander> expanders() {
  std::vector<Expander> out = {{"a byte at a time", expand_sparse<SparseInto::Assign>, expand_sparse<SparseInto::Or>,
                                expand_sparse<SparseInto::And>, expand_sparse<SparseInto::AndNot>}};
#ifdef SEG_SPARSE_SSSE3
  if (sparse_ssse3())
    out.push_back({"PSHUFB", expand_sparse_ssse3<SparseInto::Assign>, expand_sparse_ssse3<SparseInto::Or>,
                   expand_sparse_ssse3<SparseInto::And>, expand_sparse_ssse3<SparseInto::AndNot>});
#endif
#ifdef SEG_AVX512
  if (kernel::bmi2())
    out.push_back({"PDEP", expand_sparse_bmi2<SparseInto::Assign>, expand_sparse_bmi2<SparseInto::Or>,
                   expand_sparse_bmi2<SparseInto::And>, expand_sparse_bmi2<SparseInto::AndNot>});
  if (kernel::vbmi2())
    out.push_back({"VPEXPANDB", kernel::expand_sparse_vbmi2<SparseInto::Assign>, kernel::expand_sparse_vbmi2<SparseInto::Or>,
                   kernel::expand_sparse_vbmi2<SparseInto::And>, kernel::expand_sparse_vbmi2<SparseInto::AndNot>});
#endif
  return out;
}

TEST(TagSparse, RowsComeBackFromEveryExpander) {
  std::mt19937_64 g(69);
  const std::vector<Expander> all = expanders();
  size_t checked = 0, runs_of_each = 0;
  for (size_t n : {size_t{1}, size_t{7}, size_t{8}, size_t{300}, size_t{2049}, size_t{5000}, size_t{12000},
                   size_t{30000}, size_t{65536}}) {
    for (bool runs : {false, true}) {
      std::vector<uint16_t> rows = rows_of(g, n, runs);
      if (n == 7) rows = {0, 7, 8, 4095, 4096, 65528, 65535};  // the first and last rows, both sides of a group
      const Encoded e = encode(rows);
      const uint64_t kept = sparse_kept_count(e.bytes.data());
      EXPECT_EQ(kept, sparse_kept_for(rows.data(), rows.size()));
      ASSERT_TRUE(sparse_well_formed(e.bytes.data(), e.bytes.size() - kTagReadPast, rows.size())) << n;
      std::vector<uint64_t> pattern(kBlockWords);
      for (auto& x : pattern) x = g() & g();  // what ANDs meet: about a quarter of the bits
      for (size_t nw : {size_t{kBlockWords}, size_t{1000}, size_t{9}, size_t{8}, size_t{1}}) {
        uint64_t any = 0, any_and = 0, any_cleared = 0;
        for (size_t w = 0; w < nw; ++w)
          any |= e.bitmap[w], any_and |= e.bitmap[w] & pattern[w], any_cleared |= pattern[w] & ~e.bitmap[w];
        for (const Expander& x : all) {
          const std::string what = std::to_string(n) + (runs ? " rows in runs, " : " rows, ") + std::to_string(nw) + " words, " + x.name;
          std::vector<uint64_t> got(kBlockWords, 0xA5A5A5A5A5A5A5A5ull), ored(kBlockWords, 0x0101010101010101ull), anded = pattern, cleared = pattern;
          EXPECT_EQ(x.assign(e.bytes.data(), got.data(), nw) != 0, any != 0) << what;
          EXPECT_EQ(x.ored(e.bytes.data(), ored.data(), nw) != 0, true) << what;
          EXPECT_EQ(x.anded(e.bytes.data(), anded.data(), nw) != 0, any_and != 0) << what;
          EXPECT_EQ(x.cleared(e.bytes.data(), cleared.data(), nw) != 0, any_cleared != 0) << what;
          for (size_t w = 0; w < kBlockWords; ++w) {
            ASSERT_EQ(got[w], w < nw ? e.bitmap[w] : 0xA5A5A5A5A5A5A5A5ull) << what << ", word " << w;
            ASSERT_EQ(ored[w], (w < nw ? e.bitmap[w] : 0) | 0x0101010101010101ull) << what << ", word " << w;
            ASSERT_EQ(anded[w], w < nw ? e.bitmap[w] & pattern[w] : pattern[w]) << what << ", word " << w;
            ASSERT_EQ(cleared[w], w < nw ? pattern[w] & ~e.bitmap[w] : pattern[w]) << what << ", word " << w;
          }
          ++runs_of_each;
        }
      }
      std::vector<bool> in(65536, false);
      for (uint16_t r : rows) in[r] = true;
      for (uint32_t r = 0; r < 65536; ++r) ASSERT_EQ(sparse_contains(e.bytes.data(), static_cast<uint16_t>(r)), in[r]) << n << " row " << r;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 18u);
  EXPECT_EQ(runs_of_each, 90u * all.size());
#ifdef SEG_AVX512
  if (kernel::vbmi2()) {
    EXPECT_EQ(all.size(), 4u);  // the VPEXPANDB and PDEP expanders ran too (and PSHUFB: every AVX-512 processor has SSSE3 and BMI2)
  }
#endif
}

// `tag any` of many tags ORs its sparse containers together (kernel::or_sparse_vbmi2): for
// each number of containers around its two-at-a-time steps and its batch, and block ends
// around its 1,024-row steps, the words are the OR of the containers' bitmaps and what `out`
// held, and no word past the block's end is touched.
TEST(TagSparse, ManyContainersOrTogether) {
#ifdef SEG_AVX512
  if (!kernel::vbmi2()) GTEST_SKIP() << "no VBMI2 here: the OR of many containers runs one expander at a time";
  std::mt19937_64 g(92);
  std::vector<Encoded> pool;
  for (size_t i = 0; i < kernel::kSparseOrBatch; ++i)  // 0.1% to 20% of the rows, two in runs
    pool.push_back(encode(rows_of(g, 65 + g() % 13000, i % 16 == 3)));
  size_t checked = 0;
  for (size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{17}, kernel::kSparseOrBatch - 1, kernel::kSparseOrBatch}) {
    std::vector<const uint8_t*> ptrs;
    for (size_t i = 0; i < n; ++i) ptrs.push_back(pool[(i * 7 + n) % pool.size()].bytes.data());
    for (size_t nw : {size_t{kBlockWords}, size_t{1016}, size_t{1000}, size_t{24}, size_t{17}, size_t{16}, size_t{9},
                      size_t{8}, size_t{5}, size_t{1}}) {
      std::vector<uint64_t> got(kBlockWords), want(kBlockWords);
      for (size_t w = 0; w < kBlockWords; ++w) got[w] = want[w] = g() & g() & g();
      for (size_t i = 0; i < n; ++i) {
        const Encoded& e = pool[(i * 7 + n) % pool.size()];
        for (size_t w = 0; w < nw; ++w) want[w] |= e.bitmap[w];
      }
      kernel::or_sparse_vbmi2(ptrs.data(), n, got.data(), nw);
      for (size_t w = 0; w < kBlockWords; ++w)
        ASSERT_EQ(got[w], want[w]) << n << " containers, " << nw << " words, word " << w;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 60u);
#else
  GTEST_SKIP() << "built without the x86 kernels";
#endif
}

TEST(TagSparse, DamagedContainersAreRefused) {
  std::mt19937_64 g(70);
  const std::vector<uint16_t> rows = rows_of(g, 5000, false);
  const Encoded e = encode(rows);
  const uint64_t avail = e.bytes.size() - kTagReadPast;
  ASSERT_TRUE(sparse_well_formed(e.bytes.data(), avail, rows.size()));
  EXPECT_FALSE(sparse_well_formed(e.bytes.data(), avail, rows.size() + 1));  // not the rows it says
  EXPECT_FALSE(sparse_well_formed(e.bytes.data(), avail - 8, rows.size()));  // the kept bytes cut short
  EXPECT_FALSE(sparse_well_formed(e.bytes.data(), kSparseHead - 1, rows.size()));
  std::vector<uint8_t> bad = e.bytes;
  bad[4] ^= 1;  // a group's count
  EXPECT_FALSE(sparse_well_formed(bad.data(), avail, rows.size()));
  bad = e.bytes;
  bad[kSparseHead + 10] = 0;  // a kept byte that is zero
  EXPECT_FALSE(sparse_well_formed(bad.data(), avail, rows.size()));
  bad = e.bytes;  // one more presence bit: the groups after it count one byte less than they say
  for (size_t i = kSparseDirBytes; i < kSparseHead; ++i)
    if (bad[i] != 0xFF) {
      bad[i] |= static_cast<uint8_t>(bad[i] + 1);  // the lowest clear bit
      break;
    }
  EXPECT_FALSE(sparse_well_formed(bad.data(), avail, rows.size()));
  // A container that keeps every byte, as many rows as the chunk: past the room it is given.
  const Encoded all = encode(rows_of(g, 65536, false));
  EXPECT_TRUE(sparse_well_formed(all.bytes.data(), all.bytes.size() - kTagReadPast, 65536));
  EXPECT_FALSE(sparse_well_formed(all.bytes.data(), all.bytes.size() - kTagReadPast - 1, 65536));
}

}  // namespace
}  // namespace seg::rt
