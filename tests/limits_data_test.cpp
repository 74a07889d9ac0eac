// Limits that hold (issue 6): damaged and hostile data files give a clear error (never a
// crash, a hang or running out of memory), each rule limit of base/limits.hpp holds just
// below and just above it, and every input a fuzz target ever crashed on
// (tests/fuzz/regressions/<target>/) is replayed through the same target code.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "compiler/compile.hpp"
#include "adapters/form.hpp"
#include "adapters/import.hpp"
#include "compiler/ir_json.hpp"
#include "base/text_util.hpp"
#include "base/time_util.hpp"
#include "runtime/exec/evaluate.hpp"
#include "runtime/storage/hash.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/storage/snapshot.hpp"
#include "runtime/storage/store_builder.hpp"
#include "tools/workload/workload.hpp"
#include "seg/seg.hpp"
#include "tests/support/reference_eval.hpp"

// The fuzz targets, as plain functions seg_fuzz_<name>(data, size) that throw on a broken
// invariant (tests/fuzz/fuzz.hpp).
#define SEG_FUZZ_REPLAY 1
#include "tests/fuzz/fuzz_csv.cpp"
#include "tests/fuzz/fuzz_form_json.cpp"
#include "tests/fuzz/fuzz_interpreter.cpp"
#include "tests/fuzz/fuzz_ir_json.cpp"
#include "tests/fuzz/fuzz_rule.cpp"
#include "tests/fuzz/fuzz_schema_json.cpp"
#include "tests/fuzz/fuzz_snapshot.cpp"
#include "tests/fuzz/fuzz_import.cpp"
#include "tests/fuzz/fuzz_sql.cpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/files.hpp"

namespace seg {
namespace {

using seg::testing::slurp;
using seg::testing::spit;
using seg::testing::TempDir;

namespace fs = std::filesystem;

// ---- fuzz regressions ------------------------------------------------------------------

using Target = int (*)(const uint8_t*, size_t);

void replay(const char* name, Target target) {
  fs::path dir = fs::path(SEG_SOURCE_DIR) / "tests/fuzz/regressions" / name;
  // A target without its folder, or with an empty one, would pass having replayed nothing.
  ASSERT_TRUE(fs::is_directory(dir)) << dir << " is missing";
  size_t replayed = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++replayed;
    std::string bytes = slurp(e.path());
    SCOPED_TRACE(e.path().string());
    try {
      target(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    } catch (const fuzz::InvariantBroken& x) {
      ADD_FAILURE() << "fuzz regression " << e.path().filename() << ": " << x.what();
    }
  }
  EXPECT_GT(replayed, 0u) << dir << " is empty";
}

TEST(FuzzRegressions, Rule) { replay("rule", seg_fuzz_rule); }
TEST(FuzzRegressions, IrJson) { replay("ir_json", seg_fuzz_ir_json); }
TEST(FuzzRegressions, FormJson) { replay("form_json", seg_fuzz_form_json); }
TEST(FuzzRegressions, SchemaJson) { replay("schema_json", seg_fuzz_schema_json); }
TEST(FuzzRegressions, Csv) { replay("csv", seg_fuzz_csv); }
TEST(FuzzRegressions, Snapshot) { replay("snapshot", seg_fuzz_snapshot); }
TEST(FuzzRegressions, Interpreter) { replay("interpreter", seg_fuzz_interpreter); }
TEST(FuzzRegressions, Import) { replay("import", seg_fuzz_import); }
TEST(FuzzRegressions, Sql) { replay("sql", seg_fuzz_sql); }

// The findings themselves, stated plainly.
TEST(FuzzFindings, InvalidUtf8InsideAStringIsRefused) {
  for (std::string bad : {std::string("tag any (\"B\xe8\x18\")"), std::string("tag any ('\xc0\x80')"),
                          std::string("tag any (\"\xed\xa0\x80\")"), std::string("spot = 1 -- \xff")}) {
    Compiled c = compile_rule(bad, crm_schema());
    EXPECT_FALSE(c.ir) << bad;
    ASSERT_FALSE(c.diags.list().empty());
    EXPECT_EQ(c.diags.list()[0].code, "E115") << bad;
  }
  Compiled ok = compile_rule("tag any (\"caf\xc3\xa9 \xf0\x9f\x98\x80\")", crm_schema());
  EXPECT_TRUE(ok.ir);
}

// A byte of bad UTF-8 is a character of its own where columns are counted, so an editor has
// something to underline: a stray continuation byte's span was empty (1:1-1; found by a review
// of the C API), while a lead byte's was one column wide. Columns after bad bytes count them.
TEST(FuzzFindings, ABadUtf8ByteIsOneColumnWide) {
  for (std::string bad : {std::string("\x80"), std::string("a\x80"), std::string("\xe9"), std::string("\xff"),
                          std::string("tag any (\"\xe9" "a\")")}) {
    Compiled c = compile_rule(bad, crm_schema());
    ASSERT_FALSE(c.diags.list().empty()) << bad;
    const Diagnostic& d = c.diags.list()[0];
    EXPECT_EQ(d.code, "E115") << bad;
    const LineCol from = line_col(bad, d.span.begin), to = line_col(bad, d.span.end);
    EXPECT_EQ(to.column, from.column + 1) << bad << " spans " << d.span.begin << "-" << d.span.end;
  }
  // Columns: "\xe9" cut short by `a` is one character and `a` the next, as a terminal shows them.
  EXPECT_EQ(line_col("\xe9" "a=", 2).column, 3u);
  EXPECT_EQ(line_col("\x80\x80x", 2).column, 3u);
  EXPECT_EQ(line_col("\xc3\xa9x", 2).column, 2u);  // é is one
  EXPECT_EQ(display_columns("\xe9" "a"), 2u);
  EXPECT_EQ(display_columns("\x80\xff"), 2u);
  // The library's diagnostics count the same way (they counted continuation bytes as nothing).
  for (std::string bad : {std::string("\x80"), std::string("a\x80\x80"), std::string("tag any (\"\xe9" "a\")")}) {
    api::Rule r = api::Rule::compile(bad, api::Schema::crm());
    ASSERT_FALSE(r.diagnostics().empty()) << bad;
    const api::Diagnostic& d = r.diagnostics()[0];
    const LineCol from = line_col(bad, d.offset), to = line_col(bad, d.end_offset);
    EXPECT_EQ(d.column, from.column) << bad;
    EXPECT_EQ(d.end_column, to.column) << bad;
    EXPECT_GT(d.end_column, d.column) << bad;
  }
}

// Where each of many diagnostics is: the index's answer is line_col's, at every offset of a
// text with every kind of line break, a byte order mark, wide and bad UTF-8, and lines longer
// than the index's step (it keeps a place every 512 bytes).
TEST(FuzzFindings, LineColIndexAgreesWithLineCol) {
  std::string text = "\xEF\xBB\xBFspot = 1\r\nand\rstage\n\xc3\xa9\xe4\xb8\xad\x80\xe9" "a\r\n\n";
  for (int i = 0; i < 300; ++i) text += i % 7 == 0 ? "\r\n" : i % 11 == 0 ? "\xf0\x9f\x98\x80" : "tag any (VIP) ";
  const LineColIndex index(text);
  for (uint32_t o = 0; o <= text.size() + 2; ++o) {
    const LineCol a = line_col(text, o), b = index.at(o).lc;
    ASSERT_EQ(a.line, b.line) << o;
    ASSERT_EQ(a.column, b.column) << o;
  }
}

TEST(FuzzFindings, NulInsideAStringIsRefusedLikeItsEscape) {
  for (std::string bad : {std::string("tag any (\"a\0b\")", 15), std::string("tag any (\"a\\u{0}b\")")}) {
    Compiled c = compile_rule(bad, crm_schema());
    EXPECT_FALSE(c.ir);
    ASSERT_FALSE(c.diags.list().empty());
    EXPECT_EQ(c.diags.list()[0].code, "E106");
  }
}

TEST(FuzzFindings, JsonNumberTooLargeForADoubleIsAnError) {
  Diagnostics d1, d2, d3;
  EXPECT_FALSE(ir_from_json("1e3308", crm_schema(), d1));
  EXPECT_FALSE(form_from_json(R"({"spot": 12e0777})", d2));
  EXPECT_FALSE(parse_schema_json(R"({"fields": [], "x": -2e308})", d3));
  for (Diagnostics* d : {&d1, &d2, &d3}) {
    ASSERT_EQ(d->list().size(), 1u);
    EXPECT_EQ(d->list()[0].code, "E601");
    EXPECT_NE(d->list()[0].message.find("number overflow"), std::string::npos) << d->list()[0].message;
  }
}

// format_timestamp(INT64_MIN) computed INT64_MIN - 86399 (UBSan; random IR, or a damaged
// snapshot's timestamp column, reaches it through the printer and format_cell).
TEST(FuzzFindings, TimestampsAtTheInt64EdgesFormatWithoutOverflow) {
  for (int64_t t : {ir::kMin, ir::kMin + 1, int64_t{-86401}, int64_t{-1}, int64_t{0}, ir::kMax})
    EXPECT_FALSE(format_timestamp(t).empty()) << t;
  EXPECT_EQ(format_timestamp(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_timestamp(-86400), "1969-12-31T00:00:00Z");
}

// IR JSON `doc`, optimized, prints as canonical text that compiles to the same IR.
void expect_a_fixed_point(const std::string& doc) {
  Diagnostics d;
  auto ir = ir_from_json(doc, crm_schema(), d);
  ASSERT_TRUE(ir) << render_text(d.list(), "json", doc);
  optimize(*ir, crm_schema(), d);
  std::string text = ir::print_rule(*ir, crm_schema());
  Compiled c = compile_rule(text, crm_schema());
  ASSERT_TRUE(c.ir) << text;
  EXPECT_TRUE(ir::equal(*ir, *c.ir)) << doc << "\ncanonical: " << text << "\n"
                                    << ir::dump_tree(*ir, crm_schema()) << ir::dump_tree(*c.ir, crm_schema());
}

// A negated range whose outside is one int64 edge point is optimizer output; its canonical
// text (`spot >= 9223372036854775807`) lowers to an `in` of that point, which merge_predicates
// did not join back to the range under `or`: same meaning, another IR and hash. Fixed there.
TEST(FuzzFindings, NotRangeAtInt64EdgeIsAFixedPoint) {
  for (const char* doc : {R"({"version":1,"rule":{"field":"spot","op":"not_range","min":-1,"max":9223372036854775806}})",
                          R"({"version":1,"rule":{"field":"spot","op":"not_range","min":-9223372036854775807,"max":5}})"}) {
    expect_a_fixed_point(doc);
  }
}

// A JSON not_range from a time relative to now to an absolute time prints as two halves (`<=
// now or >= T`) that do not merge back, so the optimizer now makes it those halves: its canonical
// text compiled to another IR (found by fuzzing in CI, 2026-12-05).
TEST(FuzzFindings, NotRangeFromNowToATimeIsAFixedPoint) {
  for (const char* range : {R"("min":{"now":1},"max":"2022-12-05T05:35:46Z")",
                            R"("min":"2022-12-05T05:35:46Z","max":{"now":-86400})",
                            R"("min":{"now":0},"max":"9999-12-31T23:59:59Z")"}) {
    std::string doc = fmt::format(R"({{"version":1,"rule":{{"or":[{{"field":"last_active_at","op":"not_range",{}}},)"
                                  R"({{"field":"last_active_at","op":"is_null"}}]}}}})",
                                  range);
    expect_a_fixed_point(doc);
  }
}

// A range whose given bounds are the int64 edges is open at both ends in the IR, and its JSON
// must still name a bound: `not_range` with `max` 9223372036854775807 was written with
// neither, which reads as E604 (found by fuzzing, 2026-12-05). Every range and not_range of the
// integer and decimal fields with `min`, `max` or both at the edges and one step in: written
// and read back, it is the same IR and the same JSON.
TEST(FuzzFindings, RangesAtTheInt64EdgesReadBack) {
  const Schema& s = crm_schema();
  const std::vector<std::string> lows = {"-9223372036854775808", "-9223372036854775807"};
  const std::vector<std::string> highs = {"9223372036854775807", "9223372036854775806"};
  int cases = 0;
  for (const char* field : {"spot", "player_id"})
    for (const char* op : {"range", "not_range"})
      for (int shape = 0; shape < 3; ++shape)  // min only, max only, both
        for (size_t i = 0; i < 2; ++i)
          for (size_t k = 0; k < 2; ++k) {
            std::string bounds = shape == 0   ? fmt::format(R"("min":{})", lows[i])
                                 : shape == 1 ? fmt::format(R"("max":{})", highs[k])
                                              : fmt::format(R"("min":{},"max":{})", lows[i], highs[k]);
            std::string doc = fmt::format(R"({{"version":1,"rule":{{"field":"{}","op":"{}",{}}}}})", field, op, bounds);
            Diagnostics d1, d2;
            auto ir = ir_from_json(doc, s, d1);
            ASSERT_TRUE(ir) << doc << "\n" << render_text(d1.list(), "json", "");
            const std::string written = ir_to_json(*ir, s);
            auto back = ir_from_json(written, s, d2);
            ASSERT_TRUE(back) << doc << "\nwritten: " << written << "\n" << render_text(d2.list(), "json", "");
            EXPECT_TRUE(ir::equal(*ir, *back)) << doc << "\nwritten: " << written;
            EXPECT_EQ(ir_to_json(*back, s), written) << doc;
            ++cases;
          }
  EXPECT_EQ(cases, 48);
  // deposit_total's largest value (scale 2) is the same edge.
  Diagnostics d;
  auto dec = ir_from_json(R"({"version":1,"rule":{"field":"deposit_total","op":"not_range","max":"92233720368547758.07"}})", s, d);
  ASSERT_TRUE(dec) << render_text(d.list(), "json", "");
  Diagnostics d2;
  auto back = ir_from_json(ir_to_json(*dec, s), s, d2);
  ASSERT_TRUE(back) << ir_to_json(*dec, s) << "\n" << render_text(d2.list(), "json", "");
  EXPECT_TRUE(ir::equal(*dec, *back));
}

// A negated half range of a timestamp whose other half lies past the years a timestamp holds:
// `not >= the int64 edge` (`< that`) is every time there is, not none (the optimizer turned `not
// x = 292277026596-12-04T15:30:07Z` into `x is null`; found by fuzzing in CI, 2026-12-05). Every
// negated and plain range at bounds around the years' ends and the int64 edges, alone and under
// `not`, means after the optimizer what it meant before, on times at both ends and null.
TEST(FuzzFindings, RangesAtTheEndsOfTheYearsKeepTheirMeaning) {
  const Schema& s = crm_schema();
  const int f = s.find("last_active_at");
  ASSERT_GE(f, 0);
  const std::vector<int64_t> edges = {ir::kMin,          ir::kMin + 1,          kFirstWritableSecond - 1,
                                      kFirstWritableSecond, 0,                  1764547200,
                                      kLastWritableSecond,  kLastWritableSecond + 1, ir::kMax - 1,
                                      ir::kMax};
  std::vector<testing::RefRow> rows;
  for (std::optional<int64_t> t : {std::optional<int64_t>{}, std::optional{kFirstWritableSecond},
                                   std::optional<int64_t>{0}, std::optional<int64_t>{1764547200},
                                   std::optional{kLastWritableSecond}}) {
    testing::RefRow row(s.fields.size());
    row[f].null = !t;
    row[f].num = t.value_or(0);
    rows.push_back(row);
  }
  const int64_t now = 1764547200;
  size_t checked = 0;
  for (int64_t lo : edges)
    for (int64_t hi : edges)
      for (bool negated : {false, true})
        for (bool under_not : {false, true}) {
          ir::Node r;
          r.kind = ir::Kind::Range;
          r.field = f;
          r.lo = {lo, false};
          r.hi = {hi, false};
          r.negated = negated;
          ir::Node rule = under_not ? ir::Node::negate(r) : r;
          ir::Node opt = rule;
          Diagnostics d;
          optimize(opt, s, d);
          for (const auto& row : rows) {
            ++checked;
            ASSERT_EQ(testing::ref_matches(rule, s, row, now), testing::ref_matches(opt, s, row, now))
                << ir::dump_tree(rule, s) << "optimized:\n"
                << ir::dump_tree(opt, s) << "value: " << (row[f].null ? "null" : format_timestamp(row[f].num));
          }
        }
  EXPECT_EQ(checked, edges.size() * edges.size() * 4 * rows.size());
}

// `tag all ("")` compiled (with W204) and normalised to `tag any ("")`, whose form the form
// reader refuses (E608: an empty tag name), so a rule did not compile the same as its form
// (found by fuzzing). No client holds an empty value (an empty cell is null, an empty tag is
// skipped): it is E202 in rule text and IR JSON alike, for any dictionary.
TEST(FuzzFindings, AnEmptyDictionaryValueIsAnErrorEverywhere) {
  // Only spaces and tabs too: the loaders trim them around a name, so none is held either (the
  // rule `tag any ('x', "\t\t")` compiled and its form did not; found by fuzzing again).
  for (const char* rule : {R"(tag all ("") and spot = 1)", R"(tag any (VIP, ""))", R"(stage in (Deposit, ""))",
                           R"(country != "")", R"(tag any ('Tvao(lap', "\t\t\t"))", R"(tag none ("   "))",
                           R"(stage = " \t ")"}) {
    Compiled c = compile_rule(rule, crm_schema());
    EXPECT_FALSE(c.ir) << rule;
    auto e202 = std::find_if(c.diags.list().begin(), c.diags.list().end(), [](const Diagnostic& x) { return x.code == "E202"; });
    ASSERT_NE(e202, c.diags.list().end()) << rule;  // (a W204 for another value may come first)
    EXPECT_NE(e202->message.find("an empty"), std::string::npos) << e202->message;
    EXPECT_FALSE(e202->suggestion.empty()) << rule;
  }
  Diagnostics d;
  EXPECT_FALSE(ir_from_json(R"({"version":1,"rule":{"field":"tags","op":"any","values":["VIP",""]}})", crm_schema(), d));
  ASSERT_EQ(d.list().size(), 1u) << render_text(d.list(), "json", "");
  EXPECT_EQ(d.list()[0].code, "E202");
  EXPECT_EQ(d.list()[0].json_path, "/rule/values/1");
  Diagnostics blank;
  EXPECT_FALSE(ir_from_json(R"({"version":1,"rule":{"field":"stage","op":"in","values":["Deposit"," \t"]}})", crm_schema(), blank));
  ASSERT_EQ(blank.list().size(), 1u) << render_text(blank.list(), "json", "");
  EXPECT_EQ(blank.list()[0].code, "E202");
  EXPECT_NE(blank.list()[0].message.find("only spaces and tabs"), std::string::npos) << blank.list()[0].message;
  // A name with spaces inside is a name (a new tag nobody has yet: W204, not an error).
  EXPECT_TRUE(compile_rule(R"(tag any ("NEW TAG"))", crm_schema()).ir);
}

// ---- data files ------------------------------------------------------------------------

// A clear error: at least one, with an E7xx code, the file's name and a message.
void expect_clear_error(const rt::LoadResult& r, const std::string& code, const std::string& words = "") {
  EXPECT_FALSE(r.ok());
  ASSERT_FALSE(r.errors.empty());
  const rt::LoadError& e = r.errors[0];
  EXPECT_EQ(e.code, code) << e.to_string();
  EXPECT_FALSE(e.file.empty());
  EXPECT_FALSE(e.message.empty());
  if (!words.empty()) {
    EXPECT_NE(e.to_string().find(words), std::string::npos) << e.to_string();
  }
}

std::string workload_snapshot(const TempDir& dir, uint64_t rows) {
  std::string path = dir / "workload.seg", error;
  rt::Store s = rt::generate_workload_store(crm_schema(), rows);
  EXPECT_TRUE(rt::write_snapshot(s, path, error)) << error;
  return slurp(path);
}

TEST(DataLimits, TruncatedSnapshotAtEveryCutIsAnError) {
  TempDir dir;
  std::string good = workload_snapshot(dir, 3000);
  std::string path = dir / "cut.seg";
  for (size_t cut = 0; cut < good.size(); cut += cut < 512 ? 1 : 997) {
    spit(path, std::string_view(good).substr(0, cut));
    for (bool verify : {false, true}) {
      rt::LoadResult r = rt::open_snapshot(path, {.verify = verify});
      ASSERT_FALSE(r.ok()) << "cut at " << cut;
      ASSERT_FALSE(r.errors.empty());
      const std::string& c = r.errors[0].code;
      EXPECT_TRUE(c == "E710" || c == "E712" || c == "E713") << "cut at " << cut << ": " << r.errors[0].to_string();
    }
  }
  // load_data picks the snapshot reader by the magic bytes and reports the same.
  spit(path, std::string_view(good).substr(0, good.size() / 2));
  expect_clear_error(rt::load_data(path, crm_schema()), "E712", "truncated");
}

TEST(DataLimits, CorruptSnapshotBytesNeverCrash) {
  TempDir dir;
  std::string good = workload_snapshot(dir, 2000);
  std::string path = dir / "bad.seg";
  size_t errors = 0, opened = 0;
  // Every byte of the header, section table and schema, and a stride through the data; each
  // flipped both without and with verification. What opens is evaluated (answers may be wrong).
  for (size_t i = 0; i < good.size(); i += i < 4096 ? 1 : 331) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ (i % 7 == 0 ? 0x80 : 0x11));
    spit(path, bad);
    for (bool verify : {false, true}) {
      rt::LoadResult r = rt::open_snapshot(path, {.verify = verify});
      if (!r.ok()) {
        ASSERT_FALSE(r.errors.empty());
        EXPECT_EQ(r.errors[0].code.compare(0, 2, "E7"), 0) << r.errors[0].to_string();
        ++errors;
        continue;
      }
      ++opened;
      fuzz::exercise_store(*r.store, false);
    }
  }
  EXPECT_GT(errors, 0u);
  EXPECT_GT(opened, 0u);  // padding bytes and unverified data do not stop an open
}

TEST(DataLimits, CorruptSnapshotDataIsFoundWithVerify) {
  TempDir dir;
  std::string good = workload_snapshot(dir, 2000);
  std::string path = dir / "bad.seg";
  std::string bad = good;
  bad[good.size() - 2000] ^= 0x5a;  // inside the last column's data
  spit(path, bad);
  rt::LoadResult r = rt::open_snapshot(path, {.verify = true});
  if (r.ok()) GTEST_SKIP() << "the byte was padding";
  expect_clear_error(r, "E713", "checksum");
}

// A snapshot of a schema without fields has no column to bound its row count: a crafted
// header claiming 2^62 rows must not make every evaluation run for years.
TEST(DataLimits, SnapshotRowCountIsBoundedByItsColumns) {
  TempDir dir;
  Schema empty;
  empty.name = "empty";
  rt::StoreBuilder b(empty);
  rt::Store s = b.finish();
  std::string path = dir / "empty.seg", error;
  ASSERT_TRUE(rt::write_snapshot(s, path, error)) << error;
  std::string bytes = slurp(path);
  uint64_t rows = uint64_t{1} << 62;
  std::memcpy(bytes.data() + 24, &rows, 8);
  fuzz::fix_checksums(bytes, false);
  spit(path, bytes);
  expect_clear_error(rt::open_snapshot(path, {.verify = true}), "E713", "rows");

  // A row count whose section sizes would wrap around 2^64, on a schema with fields.
  std::string work = workload_snapshot(dir, 100);
  for (uint64_t claim : {~uint64_t{0}, ~uint64_t{0} - 62, uint64_t{1} << 61}) {
    std::string bad = work;
    std::memcpy(bad.data() + 24, &claim, 8);
    fuzz::fix_checksums(bad, false);
    spit(path, bad);
    expect_clear_error(rt::open_snapshot(path), "E713");
  }
}

// A header flag this seg does not know (a newer writer's feature) is refused (E711), not
// ignored: the data would be misread.
TEST(DataLimits, ASnapshotFlagThisSegDoesNotKnowIsRefused) {
  TempDir dir;
  std::string path = dir / "flags.seg";
  std::string work = workload_snapshot(dir, 100);
  for (uint32_t flags : {2u, 1u | (1u << 31)}) {
    std::string bad = work;
    std::memcpy(bad.data() + 32, &flags, 4);
    fuzz::fix_checksums(bad, false);
    spit(path, bad);
    expect_clear_error(rt::open_snapshot(path), "E711", "features this seg does not know");
  }
}

const char* kCrmHeader = "client_id,player_id,spot,stage,tags,deposit_total,registered_at,last_active_at,country\n";

TEST(DataLimits, CsvWithAnInvalidUtf8ByteIsAnError) {
  TempDir dir;
  struct Case {
    std::string row;
    int column;
  };
  // A Latin-1 tag (é = 0xE9), a stray continuation byte in the stage, an overlong NUL in a tag.
  for (const Case& c : {Case{"1,1000001,12,Registration,Caf\xe9,0,2025-01-01,,DE", 5},
                        Case{"2,1000001,12,Regis\x80tration,VIP,0,2025-01-01,,DE", 4},
                        Case{"3,1000001,12,Registration,VIP|\xc0\x80,0,2025-01-01,,DE", 5}}) {
    std::string csv = std::string(kCrmHeader) + c.row + "\n";
    std::string path = dir / "latin1.csv";
    spit(path, csv);
    std::vector<rt::LoadResult> results;
    results.push_back(rt::load_csv_text(csv, "latin1.csv", crm_schema()));
    results.push_back(rt::load_csv(path, crm_schema()));
    results.push_back(rt::load_data(path, crm_schema()));
    for (const rt::LoadResult& r : results) {
      expect_clear_error(r, "E704", "UTF-8");
      EXPECT_EQ(r.errors[0].line, 2u);
      EXPECT_EQ(r.errors[0].column, c.column);
    }
  }
  // With skip_bad_rows the row is dropped and the rest loads; the snapshot can be written.
  std::string csv = std::string(kCrmHeader) + "1,1000001,12,Registration,Caf\xe9,0,2025-01-01,,DE\n" +
                    "2,1000001,12,Registration,Caf\xc3\xa9,0,2025-01-01,,DE\n";
  rt::LoadResult r = rt::load_csv_text(csv, "mixed.csv", crm_schema(), {.skip_bad_rows = true});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_EQ(r.store->rows(), 1u);
  std::string error;
  EXPECT_TRUE(rt::write_snapshot(*r.store, dir / "mixed.seg", error)) << error;
}

// One 100 MB line (a file without newlines, or one giant quoted cell): the loaders must answer
// with an error promptly and without running out of memory.
// A line longer than max_line_bytes (16 MiB) stops the load with E409 as soon as that many
// bytes have been read without a newline: memory stays bounded by the limit, not the line.
TEST(DataLimits, HundredMegabyteLineIsAnErrorNotAHang) {
  TempDir dir;
  const size_t kLine = size_t{100} << 20;
  std::string path = dir / "long.csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << kCrmHeader;
    std::string chunk(1 << 20, 'x');
    for (size_t i = 0; i < kLine / chunk.size(); ++i) out << chunk;
    out << "\n";
  }
  rt::LoadResult r = rt::load_csv(path, crm_schema());
  expect_clear_error(r, "E409", "longer than 16777216 bytes");
  EXPECT_EQ(r.errors[0].line, 2u);
  EXPECT_LT(r.bytes, kLine / 2);  // stopped early, not after reading the whole line (no timing:
                                  // tests never assert a time; reading less is what shows it)

  std::string jpath = dir / "long.jsonl";
  {
    std::ofstream out(jpath, std::ios::binary);
    out << "{\"client_id\": \"";
    std::string chunk(1 << 20, 'y');
    for (size_t i = 0; i < kLine / chunk.size(); ++i) out << chunk;
    out << "\"}\n";
  }
  rt::LoadResult j = rt::load_jsonl(jpath, crm_schema());
  expect_clear_error(j, "E409");
  EXPECT_EQ(j.errors[0].line, 1u);
}

// max_line_bytes, just below and just above, in every loader (text and file, CSV and JSON
// Lines), with a limit small enough to test at its edge; the newline does not count.
TEST(DataLimits, LineLengthAtTheLimit) {
  TempDir dir;
  const std::string header(kCrmHeader);
  const std::string jrow = R"({"client_id":1,"player_id":1000001,"spot":12,"stage":"Registration",)"
                           R"("tags":["REGISTERED"],"deposit_total":0,"registered_at":"2025-01-01","country":"DE"})";
  for (bool skip : {false, true}) {
    for (size_t extra : {0, 1}) {
      SCOPED_TRACE(fmt::format("skip {} extra {}", skip, extra));
      rt::LoadOptions opt;
      opt.skip_bad_rows = skip;  // a line over the limit stops the load even when skipping
      opt.limits.max_line_bytes = jrow.size() + 8;
      const size_t want = opt.limits.max_line_bytes + extra;
      // JSON Lines: spaces before the closing brace pad the row to `want` bytes.
      std::string jline = jrow.substr(0, jrow.size() - 1) + std::string(want - jrow.size(), ' ') + "}";
      // CSV: a quoted tag pads the row.
      std::string prefix = "2,1000002,12,Registration,\"", suffix = "\",0,2025-01-01,,DE";
      std::string cline = prefix + std::string(want - prefix.size() - suffix.size(), 'T') + suffix;
      ASSERT_EQ(jline.size(), want);
      ASSERT_EQ(cline.size(), want);
      ASSERT_LT(header.size(), opt.limits.max_line_bytes);
      // The newline is not counted, CR LF either (a review found the CR counted).
      for (const std::string eol : {"\n", "\r\n"})
      for (int from_file = 0; from_file < 2; ++from_file) {
        SCOPED_TRACE(fmt::format("crlf {} from file {}", eol.size() == 2, from_file));
        std::string jpath = dir / "rows.jsonl", cpath = dir / "rows.csv";
        std::ofstream(jpath, std::ios::binary) << jline << eol;
        std::ofstream(cpath, std::ios::binary) << header << cline << eol;
        rt::LoadResult j = from_file ? rt::load_jsonl(jpath, crm_schema(), opt)
                                     : rt::load_jsonl_text(jline + eol, "rows.jsonl", crm_schema(), opt);
        rt::LoadResult c = from_file ? rt::load_csv(cpath, crm_schema(), opt)
                                     : rt::load_csv_text(header + cline + eol, "rows.csv", crm_schema(), opt);
        if (extra == 0) {
          ASSERT_TRUE(j.ok()) << j.errors[0].to_string();
          ASSERT_TRUE(c.ok()) << c.errors[0].to_string();
          EXPECT_EQ(j.store->rows(), 1u);
          EXPECT_EQ(c.store->rows(), 1u);
        } else {
          expect_clear_error(j, "E409");
          EXPECT_EQ(j.errors[0].line, 1u);
          expect_clear_error(c, "E409");
          EXPECT_EQ(c.errors[0].line, 2u);
        }
      }
    }
  }
}

// max_dictionary_values when data grows an open dictionary (tags): the row that would pass
// the limit is bad (E408): an error, or with skip_bad_rows skipped and reported.
TEST(DataLimits, OpenDictionaryGrowsToTheLimit) {
  const Field& tags = crm_schema().fields[static_cast<size_t>(crm_schema().find("tags"))];
  rt::LoadOptions opt;
  opt.limits.max_dictionary_values = tags.dict.size() + 2;  // room for two new tags
  std::string csv = std::string(kCrmHeader) + "1,1000001,12,Registration,NEW1,0,2025-01-01,,DE\n" +
                    "2,1000002,12,Registration,NEW2|NEW1,0,2025-01-01,,DE\n";
  rt::LoadResult at = rt::load_csv_text(csv, "tags.csv", crm_schema(), opt);
  ASSERT_TRUE(at.ok()) << at.errors[0].to_string();
  EXPECT_EQ(at.added.size(), 2u);
  std::string over = csv + "3,1000003,12,Registration,NEW3,0,2025-01-01,,DE\n";
  expect_clear_error(rt::load_csv_text(over, "tags.csv", crm_schema(), opt), "E408", "NEW3");
  opt.skip_bad_rows = true;
  rt::LoadResult skipped = rt::load_csv_text(over, "tags.csv", crm_schema(), opt);
  ASSERT_TRUE(skipped.ok());
  EXPECT_EQ(skipped.store->rows(), 2u);
  EXPECT_EQ(skipped.skipped, 1u);
  ASSERT_EQ(skipped.errors.size(), 1u);
  EXPECT_EQ(skipped.errors[0].code, "E408");
  EXPECT_EQ(skipped.errors[0].line, 4u);
}

TEST(DataLimits, MissingFileIsAnError) {
  TempDir dir;
  std::string path = dir / "not-there.csv";
  expect_clear_error(rt::load_csv(path, crm_schema()), "E701", "No such file");
  expect_clear_error(rt::load_jsonl(dir / "not-there.jsonl", crm_schema()), "E701", "No such file");
  expect_clear_error(rt::load_data(path, crm_schema()), "E701", "No such file");
  expect_clear_error(rt::open_snapshot(dir / "not-there.seg"), "E701", "No such file");
  std::string error;
  rt::Store s = rt::generate_workload_store(crm_schema(), 10);
  EXPECT_FALSE(rt::write_snapshot(s, dir / "no-such-dir/out.seg", error));
  EXPECT_FALSE(error.empty());
}

TEST(DataLimits, DirectoryInsteadOfAFileIsAnError) {
  TempDir dir;
  std::string d = dir.path.string();
  expect_clear_error(rt::load_csv(d, crm_schema()), "E701");
  expect_clear_error(rt::load_jsonl(d, crm_schema()), "E701");
  expect_clear_error(rt::load_data(d, crm_schema()), "E701");
  expect_clear_error(rt::open_snapshot(d), "E701");
  fs::create_directory(dir.path / "sub.seg");
  expect_clear_error(rt::load_data(dir / "sub.seg", crm_schema()), "E701");
  std::string error;
  rt::Store s = rt::generate_workload_store(crm_schema(), 10);
  EXPECT_FALSE(rt::write_snapshot(s, dir / "sub.seg", error));  // cannot replace a directory
  EXPECT_FALSE(error.empty());
}

TEST(DataLimits, EmptyFilesAreErrors) {
  TempDir dir;
  std::string path = dir / "empty.csv";
  spit(path, "");
  expect_clear_error(rt::load_csv(path, crm_schema()), "E702", "no header");
  expect_clear_error(rt::open_snapshot(path), "E710");
}

// ---- rule limits (base/limits.hpp, docs/limits.md) ---------------------------------
// tests/limits_test.cpp covers the limits of rule text (bytes, depth by parentheses and by
// `not`, conditions, list values); these are the JSON side and what lies past the parser.

std::string first_code(const Diagnostics& d) {
  for (const Diagnostic& x : d.list())
    if (x.severity == Severity::Error) return x.code;
  return "";
}

// Rules at the deepest nesting the text allows, in the shapes that make the deepest IR:
// every later stage (optimizer, printer, IR JSON both ways, plan, evaluation) copes with
// them. (Found while writing this test: max_json_depth was 256, less than the JSON of such a
// rule's IR, so ir_from_json refused what ir_to_json wrote.)
std::string deepest_rule(int shape) {
  const size_t max = Limits{}.max_depth;
  std::string text = "spot = 0";
  for (size_t i = 1; i <= max; ++i) {
    std::string s = "spot = " + std::to_string(i), p = "player_id = " + std::to_string(i);
    switch (shape) {
      case 0:  // alternating: (s or p and (...)), (s and p or (...))
        text = "(" + s + (i % 2 ? " or " : " and ") + p + (i % 2 ? " and " : " or ") + text + ")";
        break;
      case 1:  // an `or` of an `and` on every level: two IR levels per parenthesis
        text = "(" + s + " or " + p + " and " + text + ")";
        break;
      default:  // `not` and a parenthesis, two levels each step
        if (i * 2 > max) return text;
        text = "not (" + s + " or " + text + ")";
    }
  }
  return text;
}

TEST(RuleLimits, DeepestRuleGoesThroughEveryStage) {
  rt::Store s = rt::generate_workload_store(crm_schema(), 1000);
  for (int shape = 0; shape < 3; ++shape) {
    SCOPED_TRACE(shape);
    std::string text = deepest_rule(shape);
    Compiled c = compile_rule(text, crm_schema());
    ASSERT_TRUE(c.ir) << render_text(c.diags.list(), "rule", text);
    std::string canonical = ir::print_rule(*c.ir, crm_schema());
    EXPECT_LE(ir::printed_depth(*c.ir, crm_schema()), Limits{}.max_depth);
    Compiled again = compile_rule(canonical, crm_schema());
    ASSERT_TRUE(again.ir) << render_text(again.diags.list(), "canonical", canonical);
    EXPECT_TRUE(ir::equal(*c.ir, *again.ir));
    Diagnostics d;
    auto back = ir_from_json(ir_to_json(*c.ir, crm_schema()), crm_schema(), d);
    ASSERT_TRUE(back) << "the deepest rule's IR JSON does not read back: " << render_text(d.list(), "json", "");
    EXPECT_TRUE(ir::equal(*c.ir, *back));
    EXPECT_LE(rt::evaluate(rt::build_plan(*c.ir, s, 0), s).count, 1000u);
  }
}

// IR JSON is refused when its rule text would nest deeper than the parser allows (E402 at
// /rule), so whatever reads back also prints as rule text that parses: `not` nested max_depth
// times is the deepest text; once more is refused.
TEST(RuleLimits, IrJsonNestingAsRuleText) {
  auto nots = [](size_t n) {
    std::string s = R"({"version":1,"rule":)";
    for (size_t i = 0; i < n; ++i) s += R"({"not":)";
    s += R"({"field":"spot","op":"in","values":[1,2]})";
    return s + std::string(n, '}') + "}";
  };
  const size_t max = Limits{}.max_depth;
  // (The value list's parenthesis is counted apart from the `not`s, as the parser does.)
  Diagnostics ok, bad;
  auto ir = ir_from_json(nots(max), crm_schema(), ok);
  ASSERT_TRUE(ir) << render_text(ok.list(), "json", "");
  std::string text = ir::print_rule(*ir, crm_schema());
  Compiled c = compile_rule(text, crm_schema());
  EXPECT_TRUE(c.ir) << render_text(c.diags.list(), "rule", text);
  EXPECT_FALSE(ir_from_json(nots(max + 1), crm_schema(), bad));
  EXPECT_EQ(first_code(bad), "E402");
  EXPECT_FALSE(compile_rule("not " + text, crm_schema()).ir);  // the text refuses it too
}

// IR JSON bounds its nodes by the condition limit: 2 * max_predicates + 16 nodes.
TEST(RuleLimits, NodesInIrJson) {
  const size_t max_nodes = Limits{}.max_predicates * 2 + 16;
  auto doc = [](size_t kids) {  // an `or` and its kids: kids + 1 nodes
    std::string s = R"({"version":1,"rule":{"or":[)";
    for (size_t i = 0; i < kids; ++i) s += fmt::format(R"({}{{"field":"spot","op":"in","values":[1]}})", i ? "," : "");
    return s + "]}}";
  };
  Diagnostics ok, bad;
  EXPECT_TRUE(ir_from_json(doc(max_nodes - 1), crm_schema(), ok)) << render_text(ok.list(), "json", "");
  EXPECT_FALSE(ir_from_json(doc(max_nodes), crm_schema(), bad));
  EXPECT_EQ(first_code(bad), "E403");
}

TEST(RuleLimits, ListValuesInIrJson) {
  const size_t max = Limits{}.max_list_values;
  auto doc = [](size_t n) {
    std::string s = R"({"version":1,"rule":{"field":"spot","op":"in","values":[)";
    for (size_t i = 0; i < n; ++i) s += fmt::format("{}{}", i ? "," : "", i);
    return s + "]}}";
  };
  Diagnostics ok, bad;
  EXPECT_TRUE(ir_from_json(doc(max), crm_schema(), ok)) << render_text(ok.list(), "json", "");
  EXPECT_FALSE(ir_from_json(doc(max + 1), crm_schema(), bad));
  EXPECT_EQ(first_code(bad), "E404");
}

TEST(RuleLimits, EveryWayInHasTheLimitsOfRuleText) {
  // A pasted list of player ids is a real case: 100,000 of them in a form is a rule, and its
  // canonical text evaluates like any other.
  const size_t max = Limits{}.max_list_values;
  auto form = [](size_t n, int64_t first) {
    std::string s = R"({"title":"Pasted","stages":[],"tags":["VIP"],"players":[)";
    for (size_t i = 0; i < n; ++i) s += fmt::format("{}{}", i ? "," : "", first + static_cast<int64_t>(i));
    return s + "]}";
  };
  api::Schema schema = api::Schema::crm();
  api::Rule big = api::Rule::compile(form(max, 1000000), schema, api::RuleFormat::Form);
  ASSERT_TRUE(big.ok());
  EXPECT_TRUE(api::Rule::compile(big.canonical_text(), schema).ok());
  // One more player is E404 at /players, as one more value in rule text or IR JSON is.
  api::Rule over = api::Rule::compile(form(max + 1, 1000000), schema, api::RuleFormat::Form);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.diagnostics().at(0).code, "E404");
  EXPECT_EQ(over.diagnostics().at(0).json_path, "/players");
  // IR JSON whose canonical text would be longer than rule text may be is E401: two lists of
  // 100,000 nineteen-digit ids print in 4.2 MB.
  auto ir = [&](size_t n) {
    std::string s = R"({"version":1,"rule":{"or":[)";
    for (const char* field : {"player_id", "client_id"}) {
      s += fmt::format(R"({}{{"field":"{}","op":"in","values":[)", field[0] == 'p' ? "" : ",", field);
      for (size_t i = 0; i < n; ++i) s += fmt::format("{}{}", i ? "," : "", int64_t{1000000000000000000} + static_cast<int64_t>(i));
      s += "]}";
    }
    return s + "]}}";
  };
  api::Rule long_text = api::Rule::compile(ir(max), schema, api::RuleFormat::IrJson);
  ASSERT_FALSE(long_text.ok());
  EXPECT_EQ(long_text.diagnostics().at(0).code, "E401");
  EXPECT_TRUE(api::Rule::compile(ir(max / 4), schema, api::RuleFormat::IrJson).ok());
  // An import with more conditions than rule text may have is E403, as the text is: 5,001
  // `and` pairs (10,002 conditions, none mergeable) were accepted and printed as text that no
  // reader took back. 5,000 pairs (10,000) are the limit, and their text compiles.
  auto pairs = [](size_t n) {
    std::string s = R"({"combinator":"or","rules":[)";
    for (size_t i = 0; i < n; ++i)
      s += fmt::format(R"({}{{"combinator":"and","rules":[{{"field":"spot","operator":"=","value":{}}},)"
                       R"({{"field":"player_id","operator":">","value":{}}}]}})",
                       i ? "," : "", i, i);
    return s + "]}";
  };
  const size_t max_conditions = Limits{}.max_predicates;
  api::Rule at_limit = api::Rule::compile(pairs(max_conditions / 2), schema, api::RuleFormat::QueryBuilder);
  ASSERT_TRUE(at_limit.ok()) << at_limit.diagnostics().at(0).message;
  EXPECT_TRUE(api::Rule::compile(at_limit.canonical_text(), schema).ok());
  api::Rule too_many = api::Rule::compile(pairs(max_conditions / 2 + 1), schema, api::RuleFormat::QueryBuilder);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.diagnostics().at(0).code, "E403");
}

TEST(RuleLimits, JsonBytes) {
  const size_t max = Limits{}.max_json_bytes;
  std::string doc = R"({"version":1,"rule":{"const":true}})";
  std::string at = doc + std::string(max - doc.size(), ' ');
  Diagnostics ok, bad;
  EXPECT_TRUE(ir_from_json(at, crm_schema(), ok)) << render_text(ok.list(), "json", "");
  EXPECT_FALSE(ir_from_json(at + " ", crm_schema(), bad));
  EXPECT_EQ(first_code(bad), "E405");
  // Every JSON reader has the same limit: schemas, forms, imports.
  std::string schema = R"({"fields": []})";
  Diagnostics sbad, fbad, ibad;
  EXPECT_FALSE(parse_schema_json(schema + std::string(max - schema.size() + 1, ' '), sbad));
  EXPECT_EQ(first_code(sbad), "E405");
  std::string form = R"({"title":"t","stages":["Registration"]})";
  EXPECT_FALSE(form_from_json(form + std::string(max - form.size() + 1, ' '), fbad));
  EXPECT_EQ(first_code(fbad), "E405");
  std::string logic = R"({"==":[{"var":"spot"},12]})";
  EXPECT_FALSE(import_rule(logic + std::string(max - logic.size() + 1, ' '), ImportFormat::JsonLogic, crm_schema(), ibad));
  EXPECT_EQ(first_code(ibad), "E405");
}

TEST(RuleLimits, JsonDepth) {
  const int max = Limits{}.max_json_depth;
  // {"version":1,"rule": [[...]]}: the object is depth 1 (nlohmann counts from 0 at the top).
  auto doc = [](int arrays) {
    return R"({"version":1,"rule":)" + std::string(static_cast<size_t>(arrays), '[') +
           std::string(static_cast<size_t>(arrays), ']') + "}";
  };
  Diagnostics ok, bad;
  EXPECT_FALSE(ir_from_json(doc(max), crm_schema(), ok));
  EXPECT_NE(first_code(ok), "E406") << render_text(ok.list(), "json", "");  // a shape error, not the limit
  EXPECT_FALSE(ir_from_json(doc(max + 1), crm_schema(), bad));
  EXPECT_EQ(first_code(bad), "E406");
  Diagnostics deep, sdeep;
  EXPECT_FALSE(ir_from_json(std::string(1000000, '['), crm_schema(), deep));  // no recursion
  EXPECT_EQ(first_code(deep), "E406");
  EXPECT_FALSE(parse_schema_json(std::string(1000000, '['), sdeep));
  EXPECT_EQ(first_code(sdeep), "E406");
}

// The builders' nesting limit counts levels, not nodes: a flat list of 2,000 conditions
// imports in both formats (any list of 520 was refused as nested 520 deep, found by a
// review), and a document nested past the limit still does not.
TEST(RuleLimits, ImportsCountNestingNotNodes) {
  const int max = Limits{}.max_json_depth;
  std::string logic = R"({"or":[)", rqb = R"({"combinator":"or","rules":[)";
  for (int i = 0; i < 2000; ++i) {
    logic += fmt::format(R"({}{{"==":[{{"var":"spot"}},{}]}})", i ? "," : "", i);
    rqb += fmt::format(R"({}{{"field":"spot","operator":"=","value":{}}})", i ? "," : "", i);
  }
  logic += "]}";
  rqb += "]}";
  for (auto [text, format] : {std::pair{logic, ImportFormat::JsonLogic}, std::pair{rqb, ImportFormat::QueryBuilder}}) {
    Diagnostics d;
    auto node = import_rule(text, format, crm_schema(), d);
    ASSERT_TRUE(node) << render_text(d.list(), "json", "");
    EXPECT_TRUE((node->kind == ir::Kind::In && node->values.size() == 2000) || node->children.size() == 2000) << print_rule(*node, crm_schema()).substr(0, 200);
  }
  // Nested 100 deep (rule text allows 128) inside a list of 400: within the limits.
  std::string nested;
  for (int i = 0; i < 100; ++i) nested += R"({"!":)";
  nested += R"({"==":[{"var":"spot"},1]})" + std::string(100, '}');
  std::string wide = R"({"and":[)";
  for (int i = 0; i < 400; ++i) wide += R"({"==":[{"var":"stage"},"Active"]},)";
  Diagnostics w;
  EXPECT_TRUE(import_rule(wide + nested + "]}", ImportFormat::JsonLogic, crm_schema(), w)) << render_text(w.list(), "json", "");
  std::string deep;
  for (int i = 0; i < max + 1; ++i) deep += R"({"!":)";
  deep += R"({"==":[{"var":"spot"},1]})" + std::string(static_cast<size_t>(max + 1), '}');
  Diagnostics d;
  EXPECT_FALSE(import_rule(deep, ImportFormat::JsonLogic, crm_schema(), d));
  EXPECT_EQ(first_code(d), "E406");
}

std::string schema_with(size_t fields, size_t values) {
  std::string s = R"({"fields":[{"name":"id","type":"int"},{"name":"tags","type":"set","values":[)";
  for (size_t i = 0; i < values; ++i) s += fmt::format("{}\"v{}\"", i ? "," : "", i);
  s += "]}";
  for (size_t i = 2; i < fields; ++i) s += fmt::format(R"(,{{"name":"f{}","type":"int"}})", i);
  return s + "]}";
}

TEST(SchemaLimits, Fields) {
  const size_t max = Limits{}.max_schema_fields;
  Diagnostics ok, bad;
  EXPECT_TRUE(parse_schema_json(schema_with(max, 1), ok)) << render_text(ok.list(), "schema", "");
  EXPECT_FALSE(parse_schema_json(schema_with(max + 1, 1), bad));
  EXPECT_EQ(first_code(bad), "E407");
}

TEST(SchemaLimits, DictionaryValues) {
  Limits small;
  small.max_dictionary_values = 50;
  Diagnostics ok, bad;
  EXPECT_TRUE(parse_schema_json(schema_with(2, 50), ok, small)) << render_text(ok.list(), "schema", "");
  EXPECT_FALSE(parse_schema_json(schema_with(2, 51), bad, small));
  EXPECT_EQ(first_code(bad), "E408");
  EXPECT_NE(render_text(bad.list(), "schema", "").find("/fields/1/values"), std::string::npos);
}

}  // namespace
}  // namespace seg
