// Tag containers of bucketed bytes (runtime/storage/tag_buckets.hpp, decision 66): encoded
// rows decode to themselves by all three decoders, every row of the chunk is found or not as the
// set says, damaged counts are told apart from good ones, and a store chooses the container
// that is smallest for each tag and chunk.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "runtime/exec/kernels_avx512.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/storage/tag_buckets.hpp"
#include "schema/schema.hpp"
#include "tools/workload/workload.hpp"

namespace seg::rt {
namespace {

// `n` distinct sorted rows of a chunk, spread (`clustered`: within a few buckets, so some
// buckets hold many rows and most none).
std::vector<uint16_t> random_rows(std::mt19937_64& g, size_t n, bool clustered) {
  std::set<uint16_t> s;
  const uint32_t span = clustered ? 1024 : 65536, from = clustered ? static_cast<uint32_t>(g() % (65536 - span)) : 0;
  while (s.size() < std::min<size_t>(n, span)) s.insert(static_cast<uint16_t>(from + g() % span));
  return {s.begin(), s.end()};
}

std::vector<uint8_t> encoded(const std::vector<uint16_t>& rows) {
  std::vector<uint8_t> out(bucket_bytes(rows.size()) + kTagReadPast, 0);  // as a column's tag data has
  encode_buckets(rows.data(), rows.size(), out.data());
  return out;
}

TEST(TagBuckets, RowsComeBackFromEveryDecoder) {
  std::mt19937_64 g(66);
  size_t checked = 0, vbmi2 = 0;
  for (size_t n : {size_t{1}, size_t{2}, size_t{31}, size_t{32}, size_t{33}, size_t{41}, size_t{63}, size_t{64},
                   size_t{65}, size_t{255}, size_t{256}, size_t{257}, size_t{1000}, size_t{2048}, size_t{5000}}) {
    for (bool clustered : {false, true}) {
      std::vector<uint16_t> rows = random_rows(g, n, clustered);
      if (n == 2048 && clustered) {  // the first and last rows of the chunk
        rows = {0, 255, 256, 65279, 65280, 65535};
      }
      const std::vector<uint8_t> c = encoded(rows);
      ASSERT_TRUE(buckets_well_formed(c.data(), rows.size())) << n;
      std::vector<uint16_t> back(rows.size() + 64, 0xEEEE), one_by_one(rows.size() + 64, 0xEEEE);
      decode_buckets(c.data(), rows.size(), back.data());
      EXPECT_TRUE(std::equal(rows.begin(), rows.end(), back.begin())) << n << (clustered ? " clustered" : "");
      decode_buckets_scalar(c.data(), rows.size(), one_by_one.data());
      EXPECT_TRUE(std::equal(rows.begin(), rows.end(), one_by_one.begin())) << n << (clustered ? " clustered" : "");
#ifdef SEG_AVX512
      if (kernel::vbmi2()) {
        std::vector<uint16_t> fast(rows.size() + 64, 0xEEEE);
        kernel::decode_buckets_vbmi2(c.data(), rows.size(), fast.data());
        EXPECT_TRUE(std::equal(rows.begin(), rows.end(), fast.begin())) << n << (clustered ? " clustered" : "");
        ++vbmi2;
      }
#endif
      ++checked;
    }
  }
  EXPECT_EQ(checked, 30u);
  if (kernel::vbmi2()) {
    EXPECT_EQ(vbmi2, checked);
  }
}

// Every row of the chunk, in or not, against the set it was encoded from.
TEST(TagBuckets, EveryRowIsFoundOrNotAsTheSetSays) {
  std::mt19937_64 g(67);
  for (size_t n : {size_t{1}, size_t{50}, size_t{700}, size_t{2048}}) {
    for (bool clustered : {false, true}) {
      const std::vector<uint16_t> rows = random_rows(g, n, clustered);
      const std::vector<uint8_t> c = encoded(rows);
      std::vector<bool> in(65536, false);
      for (uint16_t r : rows) in[r] = true;
      size_t found = 0;
      for (uint32_t r = 0; r < 65536; ++r) {
        const bool got = buckets_contain(c.data(), rows.size(), static_cast<uint16_t>(r));
        ASSERT_EQ(got, in[r]) << "row " << r << " of " << n << (clustered ? " clustered" : "");
        found += got;
      }
      EXPECT_EQ(found, rows.size());
    }
  }
}

// The checks a snapshot's containers get on opening: a row more or fewer in the counts, a
// bucket more (a 1 where the last 0 belongs), or a bit past the counts are refused, since
// decoding would read or write past the container's rows or buckets.
TEST(TagBuckets, DamagedCountsAreRefused) {
  std::mt19937_64 g(68);
  for (size_t n : {size_t{1}, size_t{63}, size_t{64}, size_t{192}, size_t{500}}) {
    const std::vector<uint16_t> rows = random_rows(g, n, false);
    std::vector<uint8_t> c = encoded(rows);
    auto* counts = reinterpret_cast<uint64_t*>(c.data());
    const uint64_t bits = kBucketCount + n;
    ASSERT_TRUE(buckets_well_formed(c.data(), n));
    EXPECT_FALSE(buckets_well_formed(c.data(), n - 1)) << n;  // the card says one row fewer
    // The first 0 made a 1: a row more than the card.
    for (uint64_t b = 0; b < bits; ++b)
      if (!test_bit(counts, b)) {
        set_bit(counts, b);
        EXPECT_FALSE(buckets_well_formed(c.data(), n)) << n;
        counts[b / 64] &= ~(uint64_t{1} << (b % 64));
        break;
      }
    // The first 1 made a 0: a row fewer, and a bucket more.
    for (uint64_t b = 0; b < bits; ++b)
      if (test_bit(counts, b)) {
        counts[b / 64] &= ~(uint64_t{1} << (b % 64));
        EXPECT_FALSE(buckets_well_formed(c.data(), n)) << n;
        set_bit(counts, b);
        break;
      }
    // A 1 moved to the last bit: the rows of bucket 255 then run past the counts.
    {
      std::vector<uint8_t> bad = c;
      auto* w = reinterpret_cast<uint64_t*>(bad.data());
      for (uint64_t b = 0; b < bits; ++b)
        if (test_bit(w, b)) {
          w[b / 64] &= ~(uint64_t{1} << (b % 64));
          break;
        }
      set_bit(w, bits - 1);
      EXPECT_FALSE(buckets_well_formed(bad.data(), n)) << n;
    }
    if (bits % 64) {  // a bit past the counts, in their last word
      std::vector<uint8_t> bad = c;
      set_bit(reinterpret_cast<uint64_t*>(bad.data()), bits);
      EXPECT_FALSE(buckets_well_formed(bad.data(), n)) << n;
    }
    EXPECT_TRUE(buckets_well_formed(c.data(), n));  // put back as it was
  }
}

// A store keeps each tag's rows in a chunk as a uint16 array up to 44 rows, bucketed bytes from
// 45 to kSparseMin, sparse bytes beyond while they are smaller than a bitmap (decision 92), a
// bitmap beyond that; and answers has_tag for every row as the rows loaded say.
TEST(TagBuckets, StoresChooseTheSmallestContainer) {
  EXPECT_FALSE(buckets_smaller(44));
  EXPECT_TRUE(buckets_smaller(45));
  EXPECT_TRUE(buckets_smaller(kArrayMax));
  // Rows of tag k. Spread over the chunk, 2,049 rows leave about 1,800 of the bitmap's bytes
  // not zero and 12,000 about 6,600 (sparse bytes, decision 69); 20,000 about 7,700, which
  // with the presence bits are more than a bitmap's 8,192.
  const std::vector<size_t> members = {5, 44, 45, 300, kSparseMin, kSparseMin + 1, kArrayMax, kArrayMax + 1, 12000, 20000};
  Schema s;
  s.name = "tags";
  s.fields.resize(2);
  s.fields[0].name = "id";
  s.fields[1].name = "tags";
  s.fields[1].type = FieldType::Set;
  auto name = [](size_t k) { return std::string(1, 't').append(std::to_string(k)); };
  for (size_t k = 0; k < members.size(); ++k) s.fields[1].dict.add(name(k));
  s.id_field = 0;
  std::string csv = "id,tags\n";
  std::mt19937_64 g(69);
  std::vector<std::vector<bool>> has(members.size(), std::vector<bool>(70000, false));
  for (size_t k = 0; k < members.size(); ++k)
    for (uint16_t r : random_rows(g, members[k], k % 2 == 1 && members[k] <= 1024)) has[k][r] = true;
  for (size_t r = 0; r < 70000; ++r) {
    csv.append(std::to_string(r + 1)).push_back(',');
    bool first = true;
    for (size_t k = 0; k < members.size(); ++k) {
      if (!has[k][r]) continue;
      if (!first) csv.push_back('|');
      csv.push_back('t');
      csv.append(std::to_string(k));
      first = false;
    }
    csv.push_back('\n');
  }
  auto loaded = load_csv_text(csv, "tags.csv", s, {});
  ASSERT_TRUE(loaded.ok());
  const Store& store = *loaded.store;
  const Column& c = store.column(1);
  ASSERT_EQ(c.meta.chunks, 2u);
  const uint32_t want[] = {kArray, kArray, kBucketed, kBucketed, kBucketed, kSparse, kSparse, kSparse, kSparse, kBitmap};
  for (size_t k = 0; k < members.size(); ++k) {
    const uint32_t code = *s.fields[1].dict.find_key(name(k));
    const Container& first = c.container(code, 0);
    EXPECT_EQ(first.card, members[k]);
    EXPECT_EQ(first.kind, want[k]) << members[k] << " rows";
    if (first.kind == kSparse) {
      EXPECT_LT(sparse_bytes_for(sparse_kept_count(c.tag_data + first.offset)), kBlockWords * 8);
      EXPECT_LE(sparse_bytes_for(sparse_kept_count(c.tag_data + first.offset)), container_bytes(kSparse, first.card));
    }
    EXPECT_EQ(c.container(code, 1).kind, kEmpty);
    for (uint64_t r = 0; r < 70000; ++r) ASSERT_EQ(store.has_tag(1, code, r), has[k][r]) << "t" << k << " row " << r;
  }
}

}  // namespace
// tags_of_rows (a block's containers read once for its rows) gives each row what tags_at
// (each row asking every container) gives: over the reference data, whose tags are held in
// every container kind (arrays, bucketed, sparse bytes, bitmaps), rows dense in some blocks
// and sparse in others, in no order and with repeats.
TEST(TagBuckets, TagsOfManyRowsAreEachRowsTags) {
  const Store s = generate_workload_store(crm_schema(), 300000, 11);
  const int tags = s.schema().find("tags");
  ASSERT_GE(tags, 0);
  std::vector<uint32_t> kinds(5, 0);
  const Column& c = s.column(tags);
  for (uint32_t t = 0; t < c.meta.tag_count; ++t)
    for (uint64_t b = 0; b < (s.rows() + kBlockRows - 1) / kBlockRows; ++b) ++kinds[c.container(t, b).kind];
  for (uint32_t k : {kBitmap, kBucketed, kSparse}) EXPECT_GT(kinds[k], 0u) << "no container of kind " << k;
  std::mt19937_64 rng(5);
  std::vector<uint64_t> rows;
  for (int i = 0; i < 3000; ++i) rows.push_back(rng() % 65536);              // block 0: many rows
  for (int i = 0; i < 20; ++i) rows.push_back(65536 + rng() % 65536);        // block 1: few rows
  for (int i = 0; i < 500; ++i) rows.push_back(s.rows() - 1 - rng() % 30000);  // the last, partial block
  rows.push_back(rows[7]);
  const auto got = s.tags_of_rows(tags, rows);
  ASSERT_EQ(got.size(), rows.size());
  size_t with_tags = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(got[i], s.tags_at(tags, rows[i])) << "row " << rows[i];
    with_tags += !got[i].empty();
  }
  EXPECT_GT(with_tags, rows.size() / 2);  // not vacuous
  // Arrays (a tag on a few rows of a block; the reference data has none): a small table, all
  // of whose rows are asked at once.
  std::string csv = "client_id,player_id,spot,stage,tags,deposit_total,registered_at\n";
  for (int i = 1; i <= 200; ++i)
    csv += std::to_string(i) + "," + std::to_string(i) + ",1,Active," + (i % 67 == 0 ? "RARE|" : "") + (i % 2 ? "VIP" : "") +
           ",0,2025-01-01\n";
  auto small = load_csv_text(csv, "rare.csv", crm_schema());
  ASSERT_TRUE(small.ok());
  const Column& sc = small.store->column(tags);
  bool array = false;
  for (uint32_t t = 0; t < sc.meta.tag_count; ++t) array |= sc.container(t, 0).kind == kArray;
  EXPECT_TRUE(array);
  std::vector<uint64_t> all(200);
  for (uint64_t r = 0; r < 200; ++r) all[r] = 199 - r;
  const auto each = small.store->tags_of_rows(tags, all);
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(each[i], small.store->tags_at(tags, all[i])) << "row " << all[i];
}

}  // namespace seg::rt
