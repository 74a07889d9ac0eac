// Snapshots: a round trip keeps every cell and result; truncated, corrupt, foreign and
// newer-version files give their own clear errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>
#include <fstream>

#include "runtime/exec/evaluate.hpp"
#include "runtime/storage/gather.hpp"
#include "runtime/storage/hash.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/storage/snapshot.hpp"
#include "runtime/storage/tag_buckets.hpp"
#include "runtime/storage/value_index.hpp"
#include "schema/schema.hpp"
#include "tools/workload/workload.hpp"
#include "tests/support/random_ir.hpp"
#include "tests/support/files.hpp"

namespace seg::rt {
namespace {

using seg::testing::slurp;
using seg::testing::spit;

namespace fs = std::filesystem;

struct TempFile {
  fs::path path;
  // The process id keeps tests that CTest runs in parallel off each other's files.
  explicit TempFile(const char* name)
      : path(fs::temp_directory_path() / (std::to_string(::getpid()) + "-" + name)) {}
  ~TempFile() { fs::remove(path); }
};

void expect_same(const Store& a, const Store& b) {
  ASSERT_EQ(a.rows(), b.rows());
  ASSERT_EQ(a.column_count(), b.column_count());
  EXPECT_EQ(a.ids_sorted(), b.ids_sorted());
  EXPECT_EQ(schema_to_json(a.schema()), schema_to_json(b.schema()));
  for (uint64_t r = 0; r < a.rows(); r += 1 + a.rows() / 5000)
    for (size_t f = 0; f < a.column_count(); ++f)
      ASSERT_EQ(a.format_cell(static_cast<int>(f), r), b.format_cell(static_cast<int>(f), r)) << r << " " << f;
}

// An older version's snapshot in tests/data (written by that version from
// examples/clients.csv) and the CSV as loaded now; the two must hold the same.
std::pair<LoadResult, LoadResult> fixture_and_csv(const std::string& fixture) {
  auto old = open_snapshot(SEG_SOURCE_DIR "/tests/data/" + fixture);
  auto csv = load_data(SEG_SOURCE_DIR "/examples/clients.csv", crm_schema());
  EXPECT_TRUE(old.ok()) << (old.errors.empty() ? "" : old.errors[0].to_string());
  EXPECT_TRUE(csv.ok());
  if (old.ok() && csv.ok()) expect_same(*csv.store, *old.store);
  return {std::move(old), std::move(csv)};
}

// `store` written as a current snapshot and opened again.
LoadResult rewritten(const Store& store, const char* name) {
  TempFile again(name);
  std::string err;
  EXPECT_TRUE(write_snapshot(store, again.path.string(), err)) << err;
  return open_snapshot(again.path.string());
}

TEST(Snapshot, RoundTripOfTheWorkload) {
  TempFile tmp("seg_snapshot_rt.seg");
  Store s = generate_workload_store(crm_schema(), 140000);
  std::string err;
  ASSERT_TRUE(write_snapshot(s, tmp.path.string(), err)) << err;
  auto r = open_snapshot(tmp.path.string(), {.verify = true});
  ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
  expect_same(s, *r.store);
  EXPECT_EQ(s.data_bytes(), r.store->data_bytes());
  ir::Node all = ir::Node::constant(true);
  EXPECT_EQ(evaluate(build_plan(all, s, 0), s).checksum, evaluate(build_plan(all, *r.store, 0), *r.store).checksum);
}

// A snapshot of 16 MiB or more is read by two threads, half each: it opens the same, and
// cut anywhere (in either half, at the middle, one byte short) it is truncated, never read
// as complete with zeros where the bytes stopped.
// A snapshot opens whatever its dictionaries hold: they are in its schema's JSON, which the
// limit for documents people give (16 MiB) had cut, so two 9 MiB tags (or a million of 20
// characters) made a snapshot that was written and never opened again (found by a review).
TEST(Snapshot, DictionariesPastTheJsonLimitOpenAgain) {
  const std::string big_a(9u << 20, 'A'), big_b(9u << 20, 'B');
  const std::string csv = "client_id,player_id,spot,stage,tags,deposit_total,registered_at\n"
                          "1,1,12,Active," + big_a + ",0,2025-01-01\n2,2,12,Active," + big_b + "|VIP,0,2025-01-01\n";
  auto loaded = load_csv_text(csv, "big.csv", crm_schema());
  ASSERT_TRUE(loaded.ok()) << loaded.errors[0].to_string();
  TempFile f("big-dictionary.seg");
  std::string error;
  ASSERT_TRUE(write_snapshot(*loaded.store, f.path.string(), error)) << error;
  auto back = open_snapshot(f.path.string());
  ASSERT_TRUE(back.ok()) << back.errors[0].to_string();
  expect_same(*loaded.store, *back.store);
}

TEST(Snapshot, LargeSnapshotsReadInTwoHalvesOpenTheSameAndCutsAreFound) {
  TempFile tmp("seg_snapshot_large.seg");
  TempFile cut("seg_snapshot_large_cut.seg");
  Store s = generate_workload_store(crm_schema(), 1200000);  // ~18.3 MB
  std::string err;
  ASSERT_TRUE(write_snapshot(s, tmp.path.string(), err)) << err;
  const std::string bytes = slurp(tmp.path);
  ASSERT_GE(bytes.size(), uint64_t{16} << 20) << "too small to take the two-thread path";
  auto r = open_snapshot(tmp.path.string(), {.verify = true});
  ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
  expect_same(s, *r.store);
  ir::Node all = ir::Node::constant(true);
  EXPECT_EQ(evaluate(build_plan(all, s, 0), s).checksum, evaluate(build_plan(all, *r.store, 0), *r.store).checksum);
  // Progress and cancel are called while the two halves are read, not after (a Ctrl-C waited
  // for the whole read): the first report comes before the last byte, and a cancel at the
  // first one stops the load (E718).
  std::vector<uint64_t> reported;
  auto p = open_snapshot(tmp.path.string(), {.progress = [&](uint64_t b, uint64_t) { reported.push_back(b); }});
  ASSERT_TRUE(p.ok()) << p.errors[0].to_string();
  ASSERT_FALSE(reported.empty());
  EXPECT_LT(reported.front(), bytes.size());
  EXPECT_TRUE(std::is_sorted(reported.begin(), reported.end()));
  int asked = 0;
  auto stopped = open_snapshot(tmp.path.string(), {.cancelled = [&] { return ++asked >= 1; }});
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.errors[0].code, "E718") << stopped.errors[0].to_string();
  EXPECT_EQ(asked, 1);
  uint64_t half = bytes.size() / 2 / 4096 * 4096;
  for (uint64_t keep : {bytes.size() / 4, half - 1, half, half + 1, bytes.size() * 3 / 4, bytes.size() - 1}) {
    spit(cut.path, bytes.substr(0, keep));
    auto c = open_snapshot(cut.path.string(), {.verify = true});
    ASSERT_FALSE(c.ok()) << keep;
    EXPECT_EQ(c.errors[0].code, "E712") << keep << ": " << c.errors[0].to_string();
  }
}

// The value index is part of the snapshot (opening builds nothing), and a rule naming a few
// player ids finds the same rows through it as a scan does.
TEST(Snapshot, TheValueIndexIsKeptAndServesTheSameRows) {
  TempFile tmp("seg_snapshot_index.seg");
  Store s = generate_workload_store(crm_schema(), 140000);
  int player = s.schema().find("player_id");
  ASSERT_NE(s.column(player).index_row, nullptr);
  std::string err;
  ASSERT_TRUE(write_snapshot(s, tmp.path.string(), err)) << err;
  auto r = open_snapshot(tmp.path.string());
  ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
  const Column& c = r.store->column(player);
  ASSERT_NE(c.index_row, nullptr);
  EXPECT_EQ(c.meta.index_rows, 140000u);
  // The workload's player ids are numbered without gaps: a dense index (position = offset, no
  // directory) of each offset's block of 64 rows (18 bits of rows, 12 kept), and the column
  // itself in byte slices (decisions 62, 64).
  EXPECT_EQ(c.meta.index_dense, 1);
  EXPECT_EQ(c.index_dir, nullptr);
  EXPECT_EQ(c.meta.index_row_bytes, 0);
  EXPECT_EQ(c.meta.index_entry_bits, 12);
  EXPECT_EQ(c.meta.index_shift, 6u);
  EXPECT_TRUE(c.is_sliced());
  for (uint64_t row : {uint64_t{0}, uint64_t{1}, uint64_t{77777}, uint64_t{139998}, uint64_t{139999}}) {
    EXPECT_EQ(c.index_block_at(c.offset_at(row)), row >> 6);
    std::vector<uint64_t> found;
    ASSERT_TRUE(lookup_rows(*r.store, player, c.offset_at(row), c.offset_at(row), 1, found));
    EXPECT_EQ(found, std::vector<uint64_t>{row});
  }
  EXPECT_EQ(r.store->column(r.store->schema().find("spot")).index_row, nullptr);  // 100 values: no index
  EXPECT_EQ(r.store->column(r.store->id_field()).index_row, nullptr);  // ids grow with the row: bisected
  ir::Node in;
  in.kind = ir::Kind::In;
  in.field = player;
  for (int64_t id : {1000001, 1007920, 1093452, 1139999, 5}) in.values.codes.push_back(id);
  in.values.normalize();
  Plan probe = build_plan(in, *r.store, 0, {.probe = ProbeMode::Always});
  Plan scan = build_plan(in, *r.store, 0, {.probe = ProbeMode::Never});
  EXPECT_EQ(probe.probe.node, 0);
  auto a = evaluate(probe, *r.store, {.want_rows = true});
  auto b = evaluate(scan, *r.store, {.want_rows = true});
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.count, 4u);  // four of the five are players of the first 140,000 rows
}

// Snapshots written before value indexes (version 1) still open, with their indexes built on
// opening, and answer the same.
TEST(Snapshot, Version1OpensAndGetsItsIndexes) {
  auto v1 = open_snapshot(SEG_SOURCE_DIR "/tests/data/snapshot-v1.seg");
  ASSERT_TRUE(v1.ok()) << v1.errors[0].to_string();
  auto csv = load_data(SEG_SOURCE_DIR "/examples/clients.csv", crm_schema());
  ASSERT_TRUE(csv.ok());
  expect_same(*csv.store, *v1.store);
  int player = v1.store->schema().find("player_id");
  ASSERT_NE(v1.store->column(player).index_row, nullptr);
  EXPECT_NE(csv.store->column(player).index_row, nullptr);
  for (int64_t id : {1000001, 1000004, 1000006, 42}) {
    ir::Node in;
    in.kind = ir::Kind::In;
    in.field = player;
    in.values.codes = {id};
    Plan p1 = build_plan(in, *v1.store, 0, {.probe = ProbeMode::Always});
    Plan p2 = build_plan(in, *csv.store, 0, {.probe = ProbeMode::Never});
    EXPECT_EQ(p1.probe.node, id == 42 ? -1 : 0);  // 42 is no player's: the plan is `false`
    EXPECT_LT(p2.probe.node, 0);
    EXPECT_EQ(evaluate(p1, *v1.store, {.want_rows = true}).ids, evaluate(p2, *csv.store, {.want_rows = true}).ids) << id;
  }
  // Its offsets stay whole (slices came with version 3), and answer the same.
  int registered = v1.store->schema().find("registered_at");
  EXPECT_FALSE(v1.store->column(registered).is_sliced());
  EXPECT_TRUE(csv.store->column(registered).is_sliced());
  // Written again, it is a current snapshot with the index in it.
  TempFile again("seg_snapshot_v1_again.seg");
  std::string err;
  ASSERT_TRUE(write_snapshot(*v1.store, again.path.string(), err)) << err;
  EXPECT_EQ(slurp(again.path)[8], static_cast<char>(kSnapshotVersion));
  auto v2 = open_snapshot(again.path.string());
  ASSERT_TRUE(v2.ok()) << v2.errors[0].to_string();
  EXPECT_NE(v2.store->column(player).index_row, nullptr);
  expect_same(*csv.store, *v2.store);
}

// Version 6 listed an index's rows in 4 bytes with a directory (tests/data/snapshot-v6.seg,
// written by that version from examples/clients.csv). It opens as it is, finds the same rows
// as a scan, and written again keeps that index in a current file.
TEST(Snapshot, Version6IndexesOpenWithFourByteRows) {
  auto [v6, csv] = fixture_and_csv("snapshot-v6.seg");
  ASSERT_TRUE(v6.ok() && csv.ok());
  const int player = v6.store->schema().find("player_id");
  const Column& old = v6.store->column(player);
  ASSERT_NE(old.index_row, nullptr);
  EXPECT_EQ(old.meta.index_row_bytes, 4);
  EXPECT_EQ(old.meta.index_dense, 0);
  EXPECT_NE(old.index_dir, nullptr);
  EXPECT_EQ(csv.store->column(player).meta.index_dense, 1);  // built now: dense, 12 bits an offset
  EXPECT_EQ(csv.store->column(player).meta.index_entry_bits, 12);
  auto v7 = rewritten(*v6.store, "seg_snapshot_v6_again.seg");
  ASSERT_TRUE(v7.ok()) << v7.errors[0].to_string();
  EXPECT_EQ(v7.store->column(player).meta.index_row_bytes, 4);
  for (const Store* s : {&*v6.store, &*v7.store, &*csv.store})
    for (int64_t lo : {1000001, 1000002, 1000004, 1000006, 1000007, 42})
      for (int64_t hi : {lo, lo + 2}) {
        ir::Node in;
        in.kind = ir::Kind::Range;
        in.field = player;
        in.lo = ir::Bound{lo, false};
        in.hi = ir::Bound{hi, false};
        Plan probe = build_plan(in, *s, 0, {.probe = ProbeMode::Always});
        Plan scan = build_plan(in, *s, 0, {.probe = ProbeMode::Never});
        EXPECT_EQ(evaluate(probe, *s, {.want_rows = true}).ids, evaluate(scan, *s, {.want_rows = true}).ids)
            << lo << ".." << hi;
      }
}

// Version 7 listed a dense index's rows whole, 3 bytes each (tests/data/snapshot-v7.seg,
// written by that version from examples/clients.csv). It opens as blocks of one row of 24
// bits, finds the same rows as a scan and as an index built now, and written again keeps them.
TEST(Snapshot, Version7DenseIndexesOpenAsBlocksOfOneRow) {
  auto [v7, csv] = fixture_and_csv("snapshot-v7.seg");
  ASSERT_TRUE(v7.ok() && csv.ok());
  const int player = v7.store->schema().find("player_id");
  const ColumnMeta& m = v7.store->column(player).meta;
  EXPECT_EQ(m.index_dense, 1);
  EXPECT_EQ(m.index_entry_bits, 24);
  EXPECT_EQ(m.index_shift, 0u);
  EXPECT_EQ(m.index_row_bytes, 0);
  auto v8 = rewritten(*v7.store, "seg_snapshot_v7_again.seg");
  ASSERT_TRUE(v8.ok()) << v8.errors[0].to_string();
  EXPECT_EQ(v8.store->column(player).meta.index_entry_bits, 24);
  for (const Store* s : {&*v7.store, &*v8.store, &*csv.store})
    for (uint64_t lo = 0; lo < 8; ++lo)
      for (uint64_t hi : {lo, lo + 1, lo + 4}) {
        std::vector<uint64_t> got, want;
        ASSERT_TRUE(lookup_rows(*s, player, lo, hi, UINT64_MAX, got));
        std::sort(got.begin(), got.end());
        const Column& c = s->column(player);
        for (uint64_t r = 0; r < s->rows(); ++r)
          if (!c.is_null(r) && c.offset_at(r) >= lo && c.offset_at(r) <= hi) want.push_back(r);
        EXPECT_EQ(got, want) << lo << ".." << hi;
      }
}

TEST(Snapshot, RoundTripOfRandomTablesWithNewValues) {
  TempFile tmp("seg_snapshot_random.seg");
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    testing::Rng rng(seed);
    Schema schema = testing::random_schema(rng);
    size_t n = seed % 4 == 0 ? 0 : seed * 37;
    auto table = testing::random_table(schema, n, rng);
    auto loaded = load_csv_text(testing::table_csv(table, rng), "r.csv", schema);
    ASSERT_TRUE(loaded.ok());
    std::string err;
    ASSERT_TRUE(write_snapshot(*loaded.store, tmp.path.string(), err)) << err;
    auto r = load_data(tmp.path.string(), crm_schema());  // found by its magic; its own schema wins
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    expect_same(*loaded.store, *r.store);
    for (int i = 0; i < 50; ++i) {
      ir::Node rule = testing::random_rule(table, rng);
      auto a = evaluate(build_plan(rule, *loaded.store, testing::kRandomNow), *loaded.store);
      auto b = evaluate(build_plan(rule, *r.store, testing::kRandomNow), *r.store);
      ASSERT_EQ(a.count, b.count);
      ASSERT_EQ(a.checksum, b.checksum);
    }
  }
}

// Each section of kind `kind` in a snapshot's bytes (the table: 40-byte entries after the
// 64-byte header, their count at byte 36): `f(field, offset of its bytes)`.
template <class F>
void for_each_section(const std::string& bytes, SectionKind kind, F&& f) {
  const uint32_t sections = *reinterpret_cast<const uint32_t*>(bytes.data() + 36);
  for (uint32_t i = 0; i < sections; ++i) {
    const char* e = bytes.data() + 64 + 40 * i;
    if (*reinterpret_cast<const uint32_t*>(e + 4) == static_cast<uint32_t>(kind))
      f(*reinterpret_cast<const uint32_t*>(e), static_cast<size_t>(*reinterpret_cast<const uint64_t*>(e + 8)));
  }
}

class Damaged : public ::testing::Test {
 protected:
  void SetUp() override {
    Store s = generate_workload_store(crm_schema(), 5000);
    std::string err;
    ASSERT_TRUE(write_snapshot(s, tmp.path.string(), err)) << err;
    bytes = slurp(tmp.path);
  }
  LoadError error_after(const std::string& content, bool verify = false) {
    spit(tmp.path, content);
    auto r = open_snapshot(tmp.path.string(), {.verify = verify});
    EXPECT_FALSE(r.ok());
    return r.errors.empty() ? LoadError{} : r.errors[0];
  }
  TempFile tmp{"seg_snapshot_damaged.seg"};
  std::string bytes;
};

TEST_F(Damaged, Truncated) {
  for (size_t keep : {bytes.size() - 1, bytes.size() / 2, size_t{100}, size_t{40}}) {
    LoadError e = error_after(bytes.substr(0, keep));
    EXPECT_EQ(e.code, "E712") << keep;
    EXPECT_NE(e.message.find("truncated"), std::string::npos);
  }
}

TEST_F(Damaged, NotASnapshot) {
  EXPECT_EQ(error_after("client_id,spot\n1,2\n").code, "E710");
  EXPECT_EQ(error_after("SEG").code, "E710");
  std::string wrong = bytes;
  wrong[0] = 'X';
  EXPECT_EQ(error_after(wrong).code, "E710");
}

TEST_F(Damaged, WrongVersion) {
  for (char v : {char{0}, static_cast<char>(kSnapshotVersion + 1)}) {
    std::string other = bytes;
    other[8] = v;
    LoadError e = error_after(other);
    EXPECT_EQ(e.code, "E711");
    EXPECT_NE(e.message.find("version " + std::to_string(v)), std::string::npos) << e.message;
  }
}

// The value index is checked on every open, with or without checksums: a row past the end
// would be read by a lookup.
TEST_F(Damaged, AnIndexNamingARowPastTheEndIsFoundWithoutVerify) {
  bool found = false;
  for_each_section(bytes, SectionKind::IndexRows, [&](uint32_t, size_t offset) {
    std::string bad = bytes;
    // Position 17's high byte (12 bits an entry, two in three bytes): block 4,080 or more of
    // two rows each, past 5,000 rows.
    bad[offset + 17 * 3 / 2 + 1] = static_cast<char>(0xFF);
    LoadError err = error_after(bad, false);
    EXPECT_EQ(err.code, "E713");
    EXPECT_NE(err.message.find("past the end"), std::string::npos) << err.message;
    found = true;
  });
  EXPECT_TRUE(found) << "the workload's player_id has an index section";
}

TEST_F(Damaged, CorruptHeaderOrSchemaIsAlwaysFound) {
  for (size_t at : {size_t{20}, size_t{70}, size_t{600}}) {  // row count, section table, schema text
    std::string bad = bytes;
    bad[at] ^= 0x10;
    EXPECT_EQ(error_after(bad).code, "E713") << at;
  }
}

TEST_F(Damaged, CorruptDataIsFoundWithVerify) {
  std::string bad = bytes;
  // Inside a column's values (a byte of the first values section): what only a checksum finds.
  size_t at = 0;
  for_each_section(bytes, SectionKind::Values, [&](uint32_t, size_t offset) {
    if (!at) at = offset + 100;
  });
  ASSERT_NE(at, 0u);
  bad[at] ^= 0x01;
  LoadError e = error_after(bad, true);
  EXPECT_EQ(e.code, "E713");
  EXPECT_NE(e.message.find("checksum"), std::string::npos);
  spit(tmp.path, bad);
  EXPECT_EQ(open_snapshot(tmp.path.string()).errors.at(0).code, "E713");  // verification is the default
  EXPECT_TRUE(open_snapshot(tmp.path.string(), {.verify = false}).ok());  // the opt-out does not check data
}

// A column description is checksummed, so damaging one means sealing the file again: the
// description's checksum in the section table, then the header's over table and schema.
void reseal(std::string& bytes) {
  auto u32 = [&](size_t at) { return *reinterpret_cast<const uint32_t*>(bytes.data() + at); };
  auto u64 = [&](size_t at) { return *reinterpret_cast<uint64_t*>(bytes.data() + at); };
  const uint32_t sections = u32(36);
  for (uint32_t i = 0; i < sections; ++i) {
    char* e = bytes.data() + 64 + 40 * i;
    if (*reinterpret_cast<const uint32_t*>(e + 4) != static_cast<uint32_t>(SectionKind::Meta)) continue;
    *reinterpret_cast<uint64_t*>(e + 24) = xxh64(bytes.data() + u64(64 + 40 * i + 8), sizeof(ColumnMeta));
  }
  uint64_t a = xxh64(bytes.data(), 56);
  uint64_t b = xxh64(bytes.data() + 64, 40 * sections, a);
  *reinterpret_cast<uint64_t*>(bytes.data() + 56) = xxh64(bytes.data() + u64(40), u64(48), b);
}

// Each column description in a snapshot's bytes: the field, where it is, and what it says.
template <class F>
void for_each_meta(const std::string& bytes, F&& f) {
  for_each_section(bytes, SectionKind::Meta, [&](uint32_t field, size_t meta) {
    ColumnMeta m;
    std::memcpy(&m, bytes.data() + meta, sizeof m);
    f(field, meta, m);
  });
}

// A section table naming one kind of section twice for a column is refused: the second
// replaced the first for the column, and both stayed in the store's list of sections (found by
// a review of the reader). Here a column's validity bitmap is relabelled as another nullable
// column's, and a column description as another column's, the checksums resealed.
TEST_F(Damaged, TwoSectionsOfOneKindForAColumnAreRefused) {
  std::vector<std::pair<uint32_t, size_t>> validity;  // (field, table entry)
  const uint32_t sections = *reinterpret_cast<const uint32_t*>(bytes.data() + 36);
  for (uint32_t i = 0; i < sections; ++i) {
    const char* e = bytes.data() + 64 + 40 * i;
    if (*reinterpret_cast<const uint32_t*>(e + 4) == static_cast<uint32_t>(SectionKind::Validity))
      validity.emplace_back(*reinterpret_cast<const uint32_t*>(e), 64 + 40 * i);
  }
  ASSERT_GE(validity.size(), 2u) << "the workload has two nullable columns";
  std::string bad = bytes;
  std::memcpy(bad.data() + validity[1].second, &validity[0].first, 4);
  reseal(bad);
  LoadError err = error_after(bad);
  EXPECT_EQ(err.code, "E713");
  EXPECT_NE(err.message.find("has two sections of kind"), std::string::npos) << err.message;
  // Two descriptions for one column (the other column then has none, which would be said too;
  // the repeat is said first).
  std::string twice = bytes;
  for (uint32_t i = 0; i < sections; ++i) {
    char* e = twice.data() + 64 + 40 * i;
    if (*reinterpret_cast<const uint32_t*>(e + 4) != static_cast<uint32_t>(SectionKind::Meta)) continue;
    if (*reinterpret_cast<const uint32_t*>(e) == 0) continue;  // (field 0's own)
    const uint32_t field0 = 0;
    std::memcpy(e, &field0, 4);
    ColumnMeta m;
    std::memcpy(&m, twice.data() + *reinterpret_cast<const uint64_t*>(e + 8), sizeof m);
    m.field = 0;
    m.type = static_cast<uint8_t>(crm_schema().fields[0].type);
    std::memcpy(twice.data() + *reinterpret_cast<const uint64_t*>(e + 8), &m, sizeof m);
    break;
  }
  reseal(twice);
  err = error_after(twice);
  EXPECT_EQ(err.code, "E713");
  EXPECT_NE(err.message.find("has two column descriptions"), std::string::npos) << err.message;
}

// A value index's description is checked on every open: a dense index described as bucketed
// does not fill its section, entries of another width do not either, a shift that puts a
// block past the rows is refused, and so are a version 7 index in an older file and a
// version 8 one (blocks of several rows) in a version 7 file.
TEST_F(Damaged, IndexDescriptionsAreChecked) {
  const uint32_t player = static_cast<uint32_t>(crm_schema().find("player_id"));
  // The message opening fails with, once byte `at` is `value` (the checksums resealed).
  auto refused = [&](size_t at, char value) {
    std::string bad = bytes;
    bad[at] = value;
    reseal(bad);
    LoadError err = error_after(bad);
    EXPECT_EQ(err.code, "E713") << at << " = " << int{value};
    return err.message;
  };
  auto has = [](const std::string& message, std::initializer_list<const char*> any) {
    for (const char* part : any)
      if (message.find(part) != std::string::npos) return true;
    return false;
  };
  bool seen = false;
  for_each_meta(bytes, [&](uint32_t field, size_t meta, const ColumnMeta& m) {
    if (field != player) return;
    seen = true;
    ASSERT_EQ(m.index_dense, 1);
    ASSERT_EQ(m.index_entry_bits, 12);
    ASSERT_EQ(m.index_shift, 1u);  // 5,000 rows: 13 bits, blocks of 2
    std::string why = refused(meta + offsetof(ColumnMeta, index_dense), 0);
    EXPECT_TRUE(has(why, {"wrong size"})) << why;  // 0 bytes a row
    for (char width : {char{2}, char{4}, char{9}}) {
      why = refused(meta + offsetof(ColumnMeta, index_row_bytes), width);
      EXPECT_TRUE(has(why, {"wrong size", "does not match"})) << int{width} << ": " << why;
    }
    for (char bits : {char{8}, char{16}, char{33}, char{0}}) {
      why = refused(meta + offsetof(ColumnMeta, index_entry_bits), bits);
      EXPECT_TRUE(has(why, {"wrong size", "does not match"})) << int{bits} << ": " << why;
    }
    why = refused(meta + offsetof(ColumnMeta, index_shift), 2);  // blocks of 4: block 2,499 would be rows 9,996-9,999
    EXPECT_TRUE(has(why, {"past the end"})) << why;
    why = refused(8, 7);
    EXPECT_TRUE(has(why, {"version 8 index in a version 7 snapshot"})) << why;
    why = refused(8, 6);
    EXPECT_TRUE(has(why, {"version 7 index in a version 6 snapshot"})) << why;
  });
  EXPECT_TRUE(seen);
}

// A bucketed tag container's counts are checked on every open, with or without checksums
// (decoding trusts them to name 256 buckets and its rows), and one in a file of a version
// before 9 is refused.
TEST_F(Damaged, BucketedTagContainersAreChecked) {
  size_t dir = 0, data = 0;
  for_each_section(bytes, SectionKind::TagDir, [&](uint32_t, size_t offset) { dir = offset; });
  for_each_section(bytes, SectionKind::TagData, [&](uint32_t, size_t offset) { data = offset; });
  ASSERT_NE(dir, 0u);
  ASSERT_NE(data, 0u);
  Container k;
  // The first bucketed one (5,000 rows: T001 has ~500; REGISTERED's 2,000 are sparse bytes,
  // decision 92); every container before it has a kind (a walk past the directory would not).
  for (size_t at = dir;; at += sizeof(Container)) {
    std::memcpy(&k, bytes.data() + at, sizeof k);
    ASSERT_LE(k.kind, uint32_t{kSparse});
    if (k.kind == kBucketed) break;
  }
  ASSERT_GT(k.card, 44u);
  const size_t last_bit = kBucketCount + k.card - 1;  // the 0 closing bucket 255
  std::string bad = bytes;
  bad[data + k.offset + last_bit / 8] |= static_cast<char>(1 << (last_bit % 8));
  LoadError err = error_after(bad, false);
  EXPECT_EQ(err.code, "E713");
  EXPECT_NE(err.message.find("damaged bucketed container"), std::string::npos) << err.message;
  // In a version 8 file: refused. (The data without a frequent value, whose packed slices'
  // tail, of version 10, would be refused first.)
  std::string csv = "client_id,player_id,spot,stage,tags,deposit_total,registered_at,last_active_at,country\n";
  char line[512];
  // 2,000 rows: every tag on at most 850 of them, so none is sparse bytes (version 11, refused
  // first), and REGISTERED's ~800 are bucketed.
  for (uint64_t r = 0; r < 2000; ++r) {
    WorkloadRow row;
    workload_row(kWorkloadSeed, 2000, r, row);
    csv.append(line, format_workload_row(row, line));
  }
  LoadOptions no_frequent;
  no_frequent.frequent = false;
  auto plain = load_csv_text(csv, "workload.csv", crm_schema(), no_frequent);
  ASSERT_TRUE(plain.ok());
  std::string error;
  ASSERT_TRUE(write_snapshot(*plain.store, tmp.path.string(), error)) << error;
  bad = slurp(tmp.path);
  bad[8] = 8;
  reseal(bad);
  err = error_after(bad, false);
  EXPECT_EQ(err.code, "E713");
  EXPECT_NE(err.message.find("version 9 container in a version 8 snapshot"), std::string::npos) << err.message;
}

// A sparse-bytes tag container (decision 69) is written and read back as it was, its form is
// checked on every open, with or without checksums (expanding trusts its group counts and
// presence bits), and one in a file of a version before 11 is refused.
TEST_F(Damaged, SparseTagContainersAreChecked) {
  Store s = generate_workload_store(crm_schema(), 70000);  // a whole chunk: T001 on about 6,300 rows
  std::string error;
  ASSERT_TRUE(write_snapshot(s, tmp.path.string(), error)) << error;
  const std::string good = slurp(tmp.path);
  auto reopened = open_snapshot(tmp.path.string());
  ASSERT_TRUE(reopened.ok());
  const int tags = crm_schema().find("tags");
  const Column& before = s.column(tags);
  const Column& after = reopened.store->column(tags);
  size_t sparse = 0;
  Container k;
  for (uint64_t i = 0; i < before.meta.tag_count * before.meta.chunks; ++i) {
    EXPECT_EQ(after.dir[i].kind, before.dir[i].kind);
    if (before.dir[i].kind == kSparse) k = before.dir[i], ++sparse;
  }
  EXPECT_GE(sparse, 5u);  // Top-up and T001-T008 in the whole chunk
  for (uint32_t t = 0; t < before.meta.tag_count; ++t)
    for (uint64_t r = 0; r < 70000; r += 7) ASSERT_EQ(reopened.store->has_tag(tags, t, r), s.has_tag(tags, t, r));
  size_t data = 0;
  for_each_section(good, SectionKind::TagData, [&](uint32_t, size_t offset) { data = offset; });
  ASSERT_NE(data, 0u);
  std::string bad = good;
  bad[data + k.offset] ^= 1;  // the first group's count, always 0
  LoadError err = error_after(bad, false);
  EXPECT_EQ(err.code, "E713");
  EXPECT_NE(err.message.find("damaged sparse-bytes container"), std::string::npos) << err.message;
  bad = good;
  bad[data + k.offset + kSparseHead] = 0;  // a kept byte that is zero: the rows no longer add up
  EXPECT_NE(error_after(bad, false).message.find("damaged sparse-bytes container"), std::string::npos);
  bad = good;
  bad[8] = 10;
  reseal(bad);
  err = error_after(bad, false);
  EXPECT_EQ(err.code, "E713");
  EXPECT_NE(err.message.find("version 11 container in a version 10 snapshot"), std::string::npos) << err.message;
}

// The descriptions of byte-sliced columns are checked on every open: a wrong slice count or
// shift would make reads of the slices go past their section, or compare wrong bytes.
TEST_F(Damaged, SliceDescriptionsAreChecked) {
  size_t sliced = 0, tails = 0;
  for_each_meta(bytes, [&](uint32_t, size_t meta, const ColumnMeta& m) {
    if (m.encoding != kSliced) return;
    ++sliced;
    // One slice more: the values section is then the wrong size for it (packed slices' size
    // is checked after the description, which has too many slices for the bits).
    std::string bad = bytes;
    bad[meta + offsetof(ColumnMeta, slices)] = static_cast<char>(m.slices + 1);
    reseal(bad);
    LoadError err = error_after(bad);
    EXPECT_EQ(err.code, "E713");
    EXPECT_NE(err.message.find(!m.packed ? "wrong size" : m.slice_tail ? "damaged byte slice tail" : "damaged byte slices"),
              std::string::npos)
        << err.message;
    // Another shift: the section fits, the description does not.
    bad = bytes;
    bad[meta + offsetof(ColumnMeta, slice_shift)] = static_cast<char>((m.slice_shift + 1) % 8);
    reseal(bad);
    err = error_after(bad);
    EXPECT_EQ(err.code, "E713");
    EXPECT_NE(err.message.find(m.slice_tail ? "damaged byte slice tail" : "damaged byte slices"), std::string::npos)
        << err.message;
    // A tail one plane longer or shorter, or one on a column without: the values section is
    // the wrong size (or, packed, the description is refused).
    for (int d : {1, -1}) {
      if (m.slice_tail + d < 0) continue;
      bad = bytes;
      bad[meta + offsetof(ColumnMeta, slice_tail)] = static_cast<char>(m.slice_tail + d);
      reseal(bad);
      err = error_after(bad);
      EXPECT_EQ(err.code, "E713");
      EXPECT_TRUE(err.message.find("wrong size") != std::string::npos ||
                  err.message.find("damaged byte slice tail") != std::string::npos)
          << err.message;
    }
    if (m.slice_tail) {  // a tail in a version 7 file: refused
      bad = bytes;
      bad[8] = 7;
      reseal(bad);
      err = error_after(bad);
      EXPECT_EQ(err.code, "E713");
      EXPECT_TRUE(err.message.find("damaged byte slice tail") != std::string::npos ||
                  err.message.find("version 8 index in a version 7") != std::string::npos)
          << err.message;
      ++tails;
    }
    std::string old = bytes;  // slices in a version 2 snapshot (refused for them, or first for
    old[8] = 2;               // deposit_total's frequent-value bitmap, also newer than version 2)
    reseal(old);
    err = error_after(old);
    EXPECT_EQ(err.code, "E713");
    EXPECT_TRUE(err.message.find("unknown encoding") != std::string::npos ||
                err.message.find("bitmap in a version 2 snapshot") != std::string::npos)
        << err.message;
  });
  EXPECT_EQ(sliced, 4u);  // player_id (a dense value index), registered_at, last_active_at, deposit_total
  EXPECT_EQ(tails, 3u);   // the two timestamps (27 bits: 3 slices and 3 planes) and deposit_total (19: 2 and 3)
  // An id column described as sliced (its offsets are summed whole): refused.
  const uint32_t id = static_cast<uint32_t>(crm_schema().id_field);
  for_each_meta(bytes, [&](uint32_t field, size_t meta, ColumnMeta m) {
    if (field != id) return;
    const unsigned bits = 64 - static_cast<unsigned>(__builtin_clzll(m.max_offset));
    m.encoding = kSliced;
    m.slices = static_cast<uint8_t>((bits + 7) / 8);
    m.slice_shift = static_cast<uint8_t>(8 * m.slices - bits);
    std::string bad = bytes;
    std::memcpy(bad.data() + meta, &m, sizeof m);
    reseal(bad);
    LoadError err = error_after(bad);
    EXPECT_EQ(err.code, "E713");
    EXPECT_NE(err.message.find("id column client_id has byte slices"), std::string::npos) << err.message;
  });
  spit(tmp.path, bytes);
  EXPECT_TRUE(open_snapshot(tmp.path.string()).ok());  // resealing alone changes nothing
  std::string same = bytes;
  reseal(same);
  EXPECT_EQ(same, bytes);
}

// The descriptions of bit-plane columns are checked on every open: a wrong plane count would
// make reads go past their section, or put offsets together from the wrong bits.
TEST_F(Damaged, PlaneDescriptionsAreChecked) {
  std::vector<uint32_t> planed;
  for_each_meta(bytes, [&](uint32_t field, size_t meta, const ColumnMeta& m) {
    if (m.encoding != kPlanes) return;
    planed.push_back(field);
    // One plane more: the values section is then the wrong size for it.
    std::string bad = bytes;
    bad[meta + offsetof(ColumnMeta, slices)] = static_cast<char>(m.slices + 1);
    reseal(bad);
    LoadError err = error_after(bad);
    EXPECT_EQ(err.code, "E713");
    EXPECT_NE(err.message.find("wrong size"), std::string::npos) << err.message;
    // A shift (planes have none): the section fits, the description does not.
    bad = bytes;
    bad[meta + offsetof(ColumnMeta, slice_shift)] = 1;
    reseal(bad);
    err = error_after(bad);
    EXPECT_EQ(err.code, "E713");
    EXPECT_NE(err.message.find("damaged bit planes"), std::string::npos) << err.message;
    // Fewer planes than the offsets' bits, with a section of that size: still refused.
    ColumnMeta fewer = m;
    fewer.max_offset = uint64_t{1} << m.slices;
    bad = bytes;
    std::memcpy(bad.data() + meta, &fewer, sizeof fewer);
    reseal(bad);
    err = error_after(bad);
    EXPECT_NE(err.message.find("damaged bit planes"), std::string::npos) << err.message;
    // Planes in a version 4 snapshot (they came with version 5).
    std::string old = bytes;
    old[8] = 4;
    reseal(old);
    err = error_after(old);
    EXPECT_EQ(err.code, "E713");
    EXPECT_NE(err.message.find("unknown encoding"), std::string::npos) << err.message;
  });
  const Schema& schema = crm_schema();
  ASSERT_EQ(planed.size(), 2u);  // stage (8 values, 3 bits) and country (30, 5 bits); spot needs 7
  EXPECT_EQ(schema.fields[planed[0]].name, "stage");
  EXPECT_EQ(schema.fields[planed[1]].name, "country");
  // An id column described as bit planes (its offsets are summed whole): refused.
  for_each_meta(bytes, [&](uint32_t field, size_t meta, ColumnMeta m) {
    if (static_cast<int>(field) != schema.id_field) return;
    m.encoding = kPlanes;
    m.width = 1;
    m.max_offset = 3;
    m.slices = 2;
    std::string bad = bytes;
    std::memcpy(bad.data() + meta, &m, sizeof m);
    reseal(bad);
    EXPECT_NE(error_after(bad).message.find("id column client_id has bit planes"), std::string::npos);
  });
}

// A string's or an enum's codes index its dictionary (compaction maps them through it): a
// description whose codes reach past it is refused when the file opens. A negative base
// wrapped the sum that checked strings, and enums were not checked (found by a review).
// The header's "ids grow with the row" (flag bit 0) lets id lookups bisect, so with
// verification it is checked against the id column: a header claiming it of ids that do not
// grow (its checksum recomputed, as only a hand-made file would) is refused, not answered
// wrongly (a review). Without verification the claim is trusted, as the checksums are skipped.
TEST(Snapshot, AHeaderSayingIdsGrowIsChecked) {
  Diagnostics d;
  auto schema = parse_schema_json(R"({"name":"t","id_field":"id","fields":[
      {"name":"id","type":"int"}, {"name":"n","type":"int"}]})",
                                  d);
  ASSERT_TRUE(schema);
  TempFile tmp("seg_snapshot_ids_grow.seg");
  std::string err;
  // Growing ids with gaps (not a sequence: the column has bytes) open with the flag set.
  auto grow = load_csv_text("id,n\n10,1\n20,2\n35,3\n", "g.csv", *schema);
  ASSERT_TRUE(grow.ok() && grow.store->ids_sorted());
  ASSERT_TRUE(write_snapshot(*grow.store, tmp.path.string(), err)) << err;
  auto opened = open_snapshot(tmp.path.string());
  ASSERT_TRUE(opened.ok()) << opened.errors[0].message;
  EXPECT_TRUE(opened.store->ids_sorted());

  auto shuffled = load_csv_text("id,n\n10,1\n35,2\n20,3\n", "s.csv", *schema);
  ASSERT_TRUE(shuffled.ok());
  ASSERT_FALSE(shuffled.store->ids_sorted());
  ASSERT_TRUE(write_snapshot(*shuffled.store, tmp.path.string(), err)) << err;
  std::string bytes = slurp(tmp.path);
  uint32_t flags;
  std::memcpy(&flags, bytes.data() + 32, 4);
  ASSERT_EQ(flags, 0u);
  flags = 1;
  std::memcpy(bytes.data() + 32, &flags, 4);
  uint32_t sections;
  uint64_t schema_offset, schema_size;
  std::memcpy(&sections, bytes.data() + 36, 4);
  std::memcpy(&schema_offset, bytes.data() + 40, 8);
  std::memcpy(&schema_size, bytes.data() + 48, 8);
  const uint64_t a = xxh64(bytes.data(), 56);
  const uint64_t b = xxh64(bytes.data() + 64, 40 * size_t{sections}, a);
  const uint64_t sum = xxh64(bytes.data() + schema_offset, schema_size, b);
  std::memcpy(bytes.data() + 56, &sum, 8);
  spit(tmp.path, bytes);
  auto refused = open_snapshot(tmp.path.string());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.errors[0].code, "E713");
  EXPECT_NE(refused.errors[0].message.find("ids grow with the row, but row 2's id is not above row 1's"), std::string::npos)
      << refused.errors[0].message;
  auto trusted = open_snapshot(tmp.path.string(), {.verify = false});
  ASSERT_TRUE(trusted.ok());
  EXPECT_TRUE(trusted.store->ids_sorted());
}

TEST(Snapshot, CodesPastTheirDictionaryAreRefused) {
  Diagnostics d;
  auto schema = parse_schema_json(R"({"name":"t","id_field":"id","fields":[
      {"name":"id","type":"int"},
      {"name":"note","type":"string","nullable":true},
      {"name":"level","type":"enum","values":["low","mid","high"]}]})",
                                  d);
  ASSERT_TRUE(schema);
  auto loaded = load_csv_text("id,note,level\n1,a,low\n2,b,mid\n3,,high\n4,c,low\n", "c.csv", *schema);
  ASSERT_TRUE(loaded.ok());
  TempFile tmp("seg_snapshot_codes.seg");
  std::string err;
  ASSERT_TRUE(write_snapshot(*loaded.store, tmp.path.string(), err)) << err;
  const std::string bytes = slurp(tmp.path);
  ASSERT_TRUE(open_snapshot(tmp.path.string()).ok());
  const auto note = static_cast<uint32_t>(schema->find("note")), level = static_cast<uint32_t>(schema->find("level"));
  size_t refused = 0;
  for_each_meta(bytes, [&](uint32_t field, size_t meta, const ColumnMeta& m) {
    if (field != note && field != level) return;
    EXPECT_EQ(m.base, 0);
    EXPECT_EQ(m.max_offset, 2u);  // three values, all used
    const std::string what = field == note ? "string column note" : "enum column level";
    for (int64_t base : {int64_t{-1}, int64_t{1}, int64_t{1} << 40}) {
      ColumnMeta past = m;
      past.base = base;
      std::string bad = bytes;
      std::memcpy(bad.data() + meta, &past, sizeof past);
      reseal(bad);
      spit(tmp.path, bad);
      auto r = open_snapshot(tmp.path.string());
      ASSERT_FALSE(r.ok()) << what << " base " << base;
      EXPECT_EQ(r.errors[0].code, "E713");
      EXPECT_NE(r.errors[0].message.find(what + " has codes past its dictionary"), std::string::npos) << r.errors[0].message;
      ++refused;
    }
  });
  EXPECT_EQ(refused, 6u);
}

// A row whose enum code is past its dictionary (rows are not checked when a file opens, and a
// crafted file remakes its checksums) stops a compaction's gather with an error, where it read
// past the dictionary's code map.
TEST(Snapshot, GatheringACodePastTheDictionaryIsAnError) {
  Diagnostics d;
  auto schema = parse_schema_json(R"({"name":"t","id_field":"id","fields":[
      {"name":"id","type":"int"},
      {"name":"level","type":"enum","values":["low","mid","high"]}]})",
                                  d);
  ASSERT_TRUE(schema);
  auto loaded = load_csv_text("id,level\n1,high\n2,low\n3,mid\n4,low\n", "c.csv", *schema);  // not a sequence
  ASSERT_TRUE(loaded.ok());
  TempFile tmp("seg_snapshot_gather.seg");
  std::string err;
  ASSERT_TRUE(write_snapshot(*loaded.store, tmp.path.string(), err)) << err;
  std::string bytes = slurp(tmp.path);
  {
    auto r = open_snapshot(tmp.path.string());
    ASSERT_TRUE(r.ok());
    StoreGatherer g(r.store->schema());
    for (uint64_t row = 0; row < 4; ++row) g.add(*r.store, row);  // the file as written gathers
    EXPECT_EQ(g.finish().rows(), 4u);
  }
  const auto level = static_cast<uint32_t>(schema->find("level"));
  ColumnMeta m{};
  for_each_meta(bytes, [&](uint32_t field, size_t, const ColumnMeta& cm) {
    if (field == level) m = cm;
  });
  ASSERT_EQ(m.max_offset, 2u);
  // Row 0's offset made 3 (every bit on): in each bit plane, or its byte.
  const uint32_t sections = *reinterpret_cast<const uint32_t*>(bytes.data() + 36);
  bool done = false;
  for (uint32_t i = 0; i < sections; ++i) {
    const char* e = bytes.data() + 64 + 40 * i;
    if (*reinterpret_cast<const uint32_t*>(e) != level ||
        *reinterpret_cast<const uint32_t*>(e + 4) != static_cast<uint32_t>(SectionKind::Values))
      continue;
    const auto at = static_cast<size_t>(*reinterpret_cast<const uint64_t*>(e + 8));
    const auto size = static_cast<size_t>(*reinterpret_cast<const uint64_t*>(e + 16));
    if (m.encoding == kPlanes)
      for (unsigned k = 0; k < m.slices; ++k) bytes[at + k * (size / m.slices)] |= 1;
    else
      bytes[at] = 3;
    done = true;
  }
  ASSERT_TRUE(done);
  spit(tmp.path, bytes);
  auto r = open_snapshot(tmp.path.string(), {.verify = false});
  ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
  StoreGatherer g(r.store->schema());
  g.add(*r.store, 1);
  EXPECT_THROW(g.add(*r.store, 0), std::runtime_error);
}

// Packed slices' description is checked on every open: their size must be what the frequent
// value's bitmap leaves, or packed_start would point past them.
TEST_F(Damaged, PackedSlicesAreChecked) {
  size_t packed = 0;
  for_each_meta(bytes, [&](uint32_t, size_t meta, const ColumnMeta& m) {
    if (!m.packed) return;
    ++packed;
    EXPECT_EQ(m.encoding, kSliced);
    EXPECT_EQ(m.has_frequent, 1);
    // Described as unpacked: the slices are then too short for every row.
    std::string bad = bytes;
    bad[meta + offsetof(ColumnMeta, packed)] = 0;
    reseal(bad);
    LoadError err = error_after(bad);
    EXPECT_EQ(err.code, "E713");
    EXPECT_NE(err.message.find("wrong size"), std::string::npos) << err.message;
    bad = bytes;
    bad[meta + offsetof(ColumnMeta, packed)] = 2;
    reseal(bad);
    EXPECT_NE(error_after(bad).message.find("damaged packed slices"), std::string::npos);
    // Its tail (19 bits: 2 slices and 3 planes, packed alike since version 10) in a version 9
    // file, whose readers would take the planes for rows' bits.
    ASSERT_EQ(m.slice_tail, 3);
    bad = bytes;
    bad[8] = 9;
    reseal(bad);
    EXPECT_NE(error_after(bad).message.find("column deposit_total has a damaged byte slice tail"), std::string::npos);
    // A plane more or less: not what 19 bits leave past two bytes.
    for (int planes : {2, 4}) {
      bad = bytes;
      bad[meta + offsetof(ColumnMeta, slice_tail)] = static_cast<char>(planes);
      reseal(bad);
      EXPECT_NE(error_after(bad).message.find("damaged byte slice tail"), std::string::npos);
    }
  });
  EXPECT_EQ(packed, 1u);  // deposit_total: its zeros are left out of its slices
  // A column described as packed that has no frequent value, and so nothing to find rows by.
  const uint32_t registered = static_cast<uint32_t>(crm_schema().find("registered_at"));
  for_each_meta(bytes, [&](uint32_t field, size_t meta, const ColumnMeta& m) {
    if (field != registered) return;
    ASSERT_EQ(m.has_frequent, 0);
    std::string bad = bytes;
    bad[meta + offsetof(ColumnMeta, packed)] = 1;
    reseal(bad);
    EXPECT_NE(error_after(bad).message.find("column registered_at has damaged packed slices"), std::string::npos);
  });
}

// A frequent value's description is checked on every open: its bitmap must be there (and
// only then), of the version that has them, naming an offset the column holds.
TEST_F(Damaged, FrequentValuesAreChecked) {
  size_t frequent = 0;
  for_each_meta(bytes, [&](uint32_t, size_t meta, const ColumnMeta& m) {
    if (!m.has_frequent) return;
    ++frequent;
    auto refused = [&](const ColumnMeta& changed, const char* why) {
      std::string bad = bytes;
      std::memcpy(bad.data() + meta, &changed, sizeof changed);
      reseal(bad);
      LoadError err = error_after(bad);
      EXPECT_EQ(err.code, "E713") << why;
      EXPECT_NE(err.message.find("damaged frequent value"), std::string::npos) << why << ": " << err.message;
    };
    ColumnMeta past = m;
    past.frequent_offset = m.max_offset + 1;
    refused(past, "an offset past the column's");
    ColumnMeta unflagged = m;
    unflagged.has_frequent = 0;
    refused(unflagged, "a bitmap nothing describes");
    ColumnMeta two = m;
    two.has_frequent = 2;
    refused(two, "a flag that is not a flag");
    std::string old = bytes;  // a bitmap in a version 3 snapshot
    old[8] = 3;
    reseal(old);
    LoadError err = error_after(old);
    EXPECT_NE(err.message.find("frequent-value bitmap in a version 3 snapshot"), std::string::npos) << err.message;
  });
  EXPECT_EQ(frequent, 1u);  // deposit_total's zero
}

// Arithmetic runs (version 12, decision 85) are kept as they are, and checked on every open:
// runs out of order, or a step that would take a run's offsets past the column's greatest,
// are refused (reads trust both), as is a column of runs in a version 11 file.
TEST(Snapshot, ArithmeticRunsAreKeptAndChecked) {
  TempFile tmp("seg_snapshot_runs.seg");
  Store s = generate_workload_store(crm_schema(), 600000);  // player ids in runs of about 76 rows
  const auto player = static_cast<uint32_t>(crm_schema().find("player_id"));
  ASSERT_TRUE(s.column(static_cast<int>(player)).is_runs());
  std::string err;
  ASSERT_TRUE(write_snapshot(s, tmp.path.string(), err)) << err;
  {
    auto r = open_snapshot(tmp.path.string(), {.verify = true});
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    expect_same(s, *r.store);
    const Column& c = r.store->column(static_cast<int>(player));
    ASSERT_TRUE(c.is_runs());
    EXPECT_EQ(c.run_count, s.column(static_cast<int>(player)).run_count);
    for (uint64_t row : {uint64_t{0}, uint64_t{65535}, uint64_t{65536}, uint64_t{599999}})
      EXPECT_EQ(c.value_at(row), static_cast<int64_t>(1000000 + (row * 7919) % 600000 + 1));
  }
  const std::string bytes = slurp(tmp.path);
  size_t values = 0;
  for_each_section(bytes, SectionKind::Values, [&](uint32_t field, size_t at) {
    if (field == player) values = at;
  });
  ASSERT_NE(values, 0u);
  auto refused = [&](const std::string& bad) {
    spit(tmp.path, bad);
    auto r = open_snapshot(tmp.path.string(), {.verify = false});
    EXPECT_FALSE(r.ok());
    return r.errors.empty() ? std::string() : r.errors[0].code + " " + r.errors[0].message;
  };
  auto run_field = [&](std::string& b, size_t run, size_t member, uint64_t v) {
    std::memcpy(b.data() + values + run * sizeof(rt::Run) + member * 8, &v, 8);
  };
  std::string bad = bytes;
  run_field(bad, 1, 0, 0);  // run 1 starts where run 0 does
  EXPECT_NE(refused(bad).find("E713 corrupt snapshot: column player_id has damaged arithmetic runs"), std::string::npos);
  bad = bytes;
  run_field(bad, 0, 2, 8100);  // run 0 (76 rows from offset 0) would end at 607,500, past 599,999
  EXPECT_NE(refused(bad).find("damaged arithmetic runs"), std::string::npos);
  bad = bytes;
  run_field(bad, 3, 1, 600000);  // an offset past the greatest
  EXPECT_NE(refused(bad).find("damaged arithmetic runs"), std::string::npos);
  bad = bytes;
  bad[8] = 11;
  reseal(bad);
  EXPECT_NE(refused(bad).find("unknown encoding"), std::string::npos);
}

TEST(Hash, Xxh64KnownValues) {
  EXPECT_EQ(xxh64("", 0), 0xEF46DB3751D8E999ull);
  EXPECT_EQ(xxh64("a", 1), 0xD24EC4F1A98C6E5Bull);
  EXPECT_EQ(xxh64("abc", 3), 0x44BC2CF5AD770999ull);
}

}  // namespace
}  // namespace seg::rt
