// The dense value index at sizes where it lists blocks of rows (decision 64): every lookup,
// of one offset or a range, finds exactly the rows a scan of the column finds, on byte slices
// and on whole offsets, with nulls, and at the edges of blocks and of the table.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <vector>

#include "runtime/storage/load.hpp"
#include "runtime/storage/value_index.hpp"
#include "tests/support/property_scale.hpp"
#include "tests/support/random_ir.hpp"

namespace seg::testing {
namespace {

struct Seen {
  size_t columns = 0;    // dense indexes of blocks of more than one row
  size_t sliced = 0;     // of those, on byte-sliced columns (the top-slice scan)
  size_t with_nulls = 0; // and with null rows (offset 0 stored, masked out)
  size_t lookups = 0;
};

// Every non-null row as (offset, row), in that order: a scan of the column, made once.
std::vector<std::pair<uint64_t, uint64_t>> scan(const rt::Column& c, uint64_t rows) {
  std::vector<std::pair<uint64_t, uint64_t>> all;
  for (uint64_t r = 0; r < rows; ++r)
    if (!c.is_null(r)) all.emplace_back(c.offset_at(r), r);
  std::sort(all.begin(), all.end());
  return all;
}

// The rows of `all` holding offsets in [lo, hi], in row order.
std::vector<uint64_t> rows_in(const std::vector<std::pair<uint64_t, uint64_t>>& all, uint64_t lo, uint64_t hi) {
  std::vector<uint64_t> want;
  for (auto it = std::lower_bound(all.begin(), all.end(), std::pair<uint64_t, uint64_t>{lo, 0});
       it != all.end() && it->first <= hi; ++it)
    want.push_back(it->second);
  std::sort(want.begin(), want.end());
  return want;
}

void check(uint64_t seed, size_t rows, bool slices, Seen& seen) {
  Rng rng(seed);
  Schema schema = random_schema(rng);
  RefTable table = random_table(schema, rows, rng);  // rows / 100 odd: a dense integer column
  rt::LoadOptions load;
  load.slices = slices;
  auto loaded = rt::load_csv_text(table_csv(table, rng), "dense.csv", schema, load);
  ASSERT_TRUE(loaded.ok()) << seed;
  const rt::Store& store = *loaded.store;
  for (size_t f = 0; f < schema.fields.size(); ++f) {
    const int field = static_cast<int>(f);
    const rt::Column& c = store.column(field);
    if (!c.index_row || !c.meta.index_dense) continue;
    // 12 bits of block: the shift drops the row number's bits beyond them.
    const auto bits = static_cast<uint32_t>(std::bit_width(rows - 1));
    EXPECT_EQ(c.meta.index_entry_bits, 12);
    EXPECT_EQ(c.meta.index_shift, bits > 12 ? bits - 12 : 0);
    if (c.meta.index_shift == 0) continue;
    ++seen.columns;
    seen.sliced += c.is_sliced();
    seen.with_nulls += c.meta.null_count > 0;
    const uint64_t block = uint64_t{1} << c.meta.index_shift;
    const auto all = scan(c, rows);
    // The first and last offsets, rows at both ends of blocks and of the table, and random ones.
    std::vector<uint64_t> offsets = {0, c.meta.max_offset};
    for (uint64_t r : {uint64_t{0}, block - 1, block, rows - 1, rows - 2, (rows - 1) / block * block})
      if (r < rows && !c.is_null(r)) offsets.push_back(c.offset_at(r));
    for (int k = 0; k < 60; ++k) offsets.push_back(rng.below(c.meta.max_offset + 1));
    for (size_t i = 0; i < offsets.size(); ++i) {
      const uint64_t o = offsets[i];
      const uint64_t widths[] = {0, 1, rng.below(40), rng.below(i % 8 == 0 ? c.meta.max_offset + 1 : 5000)};
      for (uint64_t w : widths) {
        std::vector<uint64_t> got;
        ASSERT_TRUE(rt::lookup_rows(store, field, o, o + w, UINT64_MAX, got));
        std::sort(got.begin(), got.end());
        EXPECT_EQ(got, rows_in(all, o, o + w)) << "seed " << seed << " [" << o << ", " << o + w << "]";
        ++seen.lookups;
      }
    }
    // Past the values: nothing, without reading a block.
    std::vector<uint64_t> none;
    ASSERT_TRUE(rt::lookup_rows(store, field, c.meta.max_offset + 1, c.meta.max_offset + 9, UINT64_MAX, none));
    EXPECT_TRUE(none.empty());
    // A lookup reads a block a value, and never more than the table.
    EXPECT_EQ(rt::lookup_reads(store, field, 3), 3 * block);
    EXPECT_EQ(rt::lookup_reads(store, field, rows), rows);
  }
}

TEST(DenseValueIndex, LookupsOfBlocksFindWhatAScanFinds) {
  Seen seen;
  uint64_t seed = 700;
  // Tables a size, scaled by SEG_PROPERTY_RULES (under the sanitizers two a size, with and
  // without byte slices, and one of the largest).
  for (size_t rows : {size_t{4100}, size_t{65536}, size_t{140100}, size_t{300100}})
    for (size_t k = 0, n = rows > 200000 ? property_scaled(2) : std::max<size_t>(2, property_scaled(4)); k < n; ++k)
      check(seed++, rows, k % 2 == 0, seen);
  EXPECT_GT(seen.columns, 6u);
  EXPECT_GT(seen.sliced, 3u);
  EXPECT_GT(seen.with_nulls, 0u);
  EXPECT_GT(seen.lookups, 500u);
}

}  // namespace
}  // namespace seg::testing
