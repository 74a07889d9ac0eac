// The public C++ API (include/seg/seg.hpp), used as a host uses it: every way into a rule gives
// the same rule, load errors are the same diagnostics as rule errors, the API's answers agree
// with the reference evaluator on random schemas, tables and rules, and one store serves many
// queries on many threads at once.
#include <seg/seg.hpp>

#include <gtest/gtest.h>

#include <type_traits>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <random>
#include <set>
#include <stdexcept>
#include <fstream>
#include <thread>

#include "compiler/ir_json.hpp"
#include "compiler/passes/pass.hpp"
#include "schema/schema.hpp"
#include "tools/workload/workload.hpp"
#include "compiler/compile.hpp"
#include "runtime/storage/load.hpp"
#include "tests/support/property_scale.hpp"
#include "tests/support/random_rules.hpp"
#include "tests/support/reference_eval.hpp"

// Outside namespace seg, as a host is: the API's names are the only unqualified ones.
namespace api_test {
namespace {

namespace fs = std::filesystem;
using namespace seg::api;
namespace rt = seg::rt;
namespace testing = seg::testing;

std::string temp_file(const std::string& name, const std::string& content) {
  fs::path p = fs::temp_directory_path() / ("seg_api_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(p, std::ios::binary) << content;
  return p.string();
}

// The reference data at `rows` clients as a CSV file of this process; "" when it cannot be written.
std::string workload_csv(const std::string& name, uint64_t rows, uint64_t seed) {
  std::string path = fs::temp_directory_path() / ("seg_api_" + std::to_string(::getpid()) + "_" + name + ".csv");
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return "";
  bool ok = rt::write_workload_csv(f, rows, seed);
  std::fclose(f);
  return ok ? path : "";
}

const char* kQ1 = "stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12";

TEST(Api, EveryWayInGivesTheSameRule) {
  Schema crm = Schema::crm();
  Rule text = Rule::compile(kQ1, crm);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text.canonical_text(), kQ1);
  Rule form = Rule::compile(R"({"title": "Q1", "stages": ["NotProcessed", "Registration"], "spot": 12, "tags": ["REGISTERED"]})",
                            crm, RuleFormat::Form);
  Rule ir = Rule::compile(text.ir_json(), crm, RuleFormat::IrJson);
  Rule logic = Rule::compile(
      R"({"and": [{"in": [{"var": "stage"}, ["NotProcessed", "Registration"]]}, {"in": ["REGISTERED", {"var": "tags"}]}, {"==": [{"var": "spot"}, 12]}]})",
      crm, RuleFormat::JsonLogic);
  Rule rqb = Rule::compile(
      R"({"combinator": "and", "rules": [{"field": "stage", "operator": "in", "value": ["NotProcessed", "Registration"]}, {"field": "tags", "operator": "in", "value": ["REGISTERED"]}, {"field": "spot", "operator": "=", "value": 12}]})",
      crm, RuleFormat::QueryBuilder);
  for (const Rule* r : {&form, &ir, &logic, &rqb}) {
    ASSERT_TRUE(r->ok()) << (r->diagnostics().empty() ? "" : to_string(r->diagnostics()[0]));
    EXPECT_EQ(r->canonical_text(), text.canonical_text());
    EXPECT_EQ(r->hash(), text.hash());
  }
  EXPECT_FALSE(text.summary().empty());
}

TEST(Api, RuleDiagnosticsCarryLineAndColumnInCharacters) {
  Rule r = Rule::compile("tag any (\"Überweisung\")\n  and stgae = Active", Schema::crm());
  ASSERT_FALSE(r.ok());
  const Diagnostic* typo = nullptr;
  for (const auto& d : r.diagnostics())
    if (d.is_error()) typo = &d;
  ASSERT_NE(typo, nullptr);
  EXPECT_EQ(typo->code, "E201");
  EXPECT_EQ(typo->source, "<rule>");
  EXPECT_EQ(typo->line, 2u);
  EXPECT_EQ(typo->column, 7u);
  EXPECT_EQ(typo->end_column, 12u);
  EXPECT_FALSE(typo->suggestion.empty());
  EXPECT_NE(to_string(*typo).find("<rule>:2:7: error[E201]"), std::string::npos) << to_string(*typo);
  // JSON documents name a JSON path instead.
  Rule j = Rule::compile(R"({"stages": ["Depositt"], "tags": ["VIP"]})", Schema::crm(), RuleFormat::Form);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.diagnostics().at(0).json_path, "/stages/0");
  EXPECT_EQ(j.diagnostics().at(0).line, 0u);
}

TEST(Api, LoadErrorsAreTheSameDiagnostics) {
  std::string path = temp_file("bad.csv", "client_id,player_id,spot,stage,registered_at,deposit_total\n"
                                          "1,1,12,Active,2025-01-01,1.00\n"
                                          "2,1,twelve,Active,2025-01-01,1.00\n");
  std::vector<Diagnostic> diags;
  auto store = Store::open(path, Schema::crm(), diags);
  EXPECT_FALSE(store);
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].code, "E704");
  EXPECT_EQ(diags[0].source, path);
  EXPECT_EQ(diags[0].line, 3u);
  EXPECT_EQ(diags[0].column, 3u);
  EXPECT_EQ(diags[0].field, "spot");
  EXPECT_TRUE(diags[0].is_error());
  // The cell is quoted, and the load that stopped says how to see every bad row.
  EXPECT_NE(diags[0].message.find("'twelve'"), std::string::npos) << diags[0].message;
  EXPECT_NE(diags[0].suggestion.find("skip"), std::string::npos) << diags[0].suggestion;
  diags.clear();
  OpenOptions skip;
  skip.skip_bad_rows = true;
  auto some = Store::open(path, Schema::crm(), diags, skip);
  ASSERT_TRUE(some);
  EXPECT_EQ(some->rows(), 1u);
  EXPECT_EQ(some->rows_skipped(), 1u);
  fs::remove(path);
}

TEST(Api, PrepareRefusesARuleOfAnotherSchema) {
  std::vector<Diagnostic> diags;
  auto other = Schema::from_json(
      R"({"name": "tiny", "id_field": "id", "fields": [{"name": "id", "type": "int"}, {"name": "spot", "type": "int"}]})", diags);
  ASSERT_TRUE(other) << (diags.empty() ? "" : to_string(diags[0]));
  std::string path = temp_file("tiny.csv", "id,spot\n1,12\n2,13\n");
  auto store = Store::open(path, *other, diags);
  ASSERT_TRUE(store);
  EXPECT_FALSE(Query::prepare(Rule::compile("spot = 12", Schema::crm()), *store, diags));
  ASSERT_FALSE(diags.empty());
  EXPECT_EQ(diags.back().code, "E802");
  // The way to the store's schema in both APIs: the C API passes the suggestion on as it is.
  EXPECT_NE(diags.back().suggestion.find("Store::schema()"), std::string::npos) << diags.back().suggestion;
  EXPECT_NE(diags.back().suggestion.find("seg_store_schema()"), std::string::npos) << diags.back().suggestion;
  auto q = Query::prepare(Rule::compile("spot = 12", store->schema()), *store, diags);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->count().count, 1u);
  EXPECT_EQ(q->ids(), std::vector<int64_t>{1});
  fs::remove(path);
}

// Misuse a review found crashing or throwing, now answered: an indent past what nlohmann's
// serializer holds (a heap overflow from 1,025) counts as 16; an empty object handed to a
// factory is E808; a host's value of bytes that are not UTF-8 prints with U+FFFD; a
// membership refused for several reasons says each of them, a repeated id as E807.
TEST(Api, MisuseIsAnsweredNotACrash) {
  Rule rule = Rule::compile("spot = 1 and stage = Ignored", Schema::crm());
  ASSERT_TRUE(rule.ok());
  EXPECT_EQ(rule.ir_json(1100), rule.ir_json(16));
  EXPECT_NE(rule.ir_json(16), rule.ir_json(2));
  std::vector<Diagnostic> d;
  ExportOptions wide;
  wide.indent = 1000000;
  ExportOptions sixteen;
  sixteen.indent = 16;
  EXPECT_EQ(rule.export_as(RuleFormat::JsonLogic, d, wide), rule.export_as(RuleFormat::JsonLogic, d, sixteen));
  Rule bad = Rule::compile("spot = ", Schema::crm());
  EXPECT_EQ(render_json(bad.diagnostics(), "spot = ", 5000), render_json(bad.diagnostics(), "spot = ", 16));

  Rule no_schema = Rule::compile("spot = 1", Schema{});
  EXPECT_FALSE(no_schema.ok());
  ASSERT_EQ(no_schema.diagnostics().size(), 1u);
  EXPECT_EQ(no_schema.diagnostics()[0].code, "E808");
  const std::string path = temp_file("misuse.csv", "client_id,player_id,spot,stage,tags,deposit_total,registered_at\n1,1,1,Ignored,,0,2025-01-01\n");
  d.clear();
  EXPECT_FALSE(Store::open(path, Schema{}, d));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].code, "E808");
  auto store = Store::open(path, Schema::crm(), d);
  ASSERT_TRUE(store);
  d.clear();
  EXPECT_FALSE(Query::prepare(Rule{}, *store, d));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].code, "E808");
  d.clear();
  EXPECT_FALSE(Query::prepare(rule, Store{}, d));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].code, "E808");
  // The other factories that take an object (they crashed on an empty one; found by a review).
  d.clear();
  const std::string empty_dir = (fs::temp_directory_path() / ("seg_api_empty_" + std::to_string(::getpid()))).string();
  EXPECT_FALSE(LiveMembership::create(empty_dir, Store{}, {}, 0, d));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].code, "E808");
  EXPECT_FALSE(fs::exists(empty_dir));  // refused before anything was made
  d.clear();
  EXPECT_FALSE(sql_create_tables(Schema{}, {}, d));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].code, "E808");
  EXPECT_TRUE(complete("sp", Schema{}).matches.empty());
  EXPECT_FALSE(complete("sp", Schema::crm()).matches.empty());
  // A membership has one owner: moved, not copied (a copy shared its state and its lock).
  static_assert(!std::is_copy_constructible_v<LiveMembership> && std::is_move_constructible_v<LiveMembership>);

  EXPECT_EQ(value_json(Value{std::string("caf\xe9")}), "\"caf\xef\xbf\xbd\"");

  d.clear();
  const std::string dir = (fs::temp_directory_path() / ("seg_api_misuse_" + std::to_string(::getpid()))).string();
  EXPECT_FALSE(LiveMembership::create(dir, *store, {{1, "spot = "}, {1, "stage = Nope"}, {2, "spot = 1"}}, 0, d));
  std::vector<std::string> codes;
  for (const auto& x : d) codes.push_back(x.code);
  std::string said;
  for (const auto& c : codes) said += c + " ";
  EXPECT_EQ(codes, (std::vector<std::string>{"E103", "E202", "E807"})) << said;
  fs::remove_all(dir);
  fs::remove(path);
}

// On a store without an id field, members are numbered by row from 1, and count_after counts
// what the cursor hands out above a number (it threw, and the service's stream was a 500).
TEST(Api, CountAfterWithoutAnIdFieldCountsByRowAsTheCursorNumbers) {
  std::vector<Diagnostic> d;
  auto schema = Schema::from_json(R"({"name":"t","fields":[{"name":"cid","type":"int"},{"name":"v","type":"int","nullable":true}]})", d);
  ASSERT_TRUE(schema) << (d.empty() ? "" : to_string(d[0]));
  const std::string path = temp_file("noid.csv", "cid,v\n-5,1\n-4,-1\n-3,2\n-2,3\n");
  auto store = Store::open(path, *schema, d);
  ASSERT_TRUE(store);
  auto q = Query::prepare(Rule::compile("v > 0", store->schema()), *store, d);
  ASSERT_TRUE(q);
  for (int64_t after : {INT64_MIN, int64_t{0}, int64_t{1}, int64_t{2}, int64_t{3}, int64_t{4}, INT64_MAX}) {
    MemberCursor c = q->members({}, after);
    uint64_t n = 0;
    for (auto ids = c.next_ids(2); !ids.empty(); ids = c.next_ids(2)) n += ids.size();
    EXPECT_EQ(q->count_after(after), n) << after;
  }
  EXPECT_EQ(q->count_after(1), 2u);  // rows 3 and 4 (v = 2, 3); row 1 is at the cursor
  fs::remove(path);
}

// A hash is written one way by every client (it is stored in catalogs and compared by hosts).
TEST(Api, AHashIsSixteenLowerCaseHexDigits) {
  EXPECT_EQ(hash_text(0x1234abcdULL), "000000001234abcd");
  EXPECT_EQ(hash_text(UINT64_MAX), "ffffffffffffffff");
  Rule r = Rule::compile("spot = 12", Schema::crm());
  EXPECT_EQ(hash_text(r.hash()).size(), 16u);
}

// Every method of an empty handle (default-made or moved from) throws std::logic_error naming
// the call (0.8.0): a review found some of them reading through the null pointer.
TEST(Api, EveryMethodOfAnEmptyHandleThrowsNamingTheCall) {
  int calls = 0;
  auto throws = [&](const char* call, auto&& f) {
    ++calls;
    try {
      f();
      ADD_FAILURE() << call << " answered on an empty object";
    } catch (const std::logic_error& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("seg::api::") + call + ":"), std::string::npos) << e.what();
    }
  };
  std::vector<Diagnostic> d;
  std::string why;
  const Schema schema;
  throws("Schema::to_json", [&] { schema.to_json(); });
  throws("Schema::field_names", [&] { schema.field_names(); });
  throws("Schema::fields", [&] { schema.fields(); });
  throws("Schema::find", [&] { schema.find("spot"); });
  throws("Schema::suggest", [&] { schema.suggest("spto"); });
  throws("Schema::form_field", [&] { schema.form_field("tags"); });
  Rule made = Rule::compile("spot = 1", Schema::crm());
  ASSERT_TRUE(made.ok());
  const Rule rule = std::move(made);  // `made` is moved from: as empty as a default-made one
  ASSERT_TRUE(rule.ok());
  const Rule fresh;
  for (const Rule* r : std::initializer_list<const Rule*>{&made, &fresh}) {
    const Rule& e = *r;
    throws("Rule::ok", [&] { e.ok(); });
    throws("Rule::diagnostics", [&] { e.diagnostics(); });
    throws("Rule::canonical_text", [&] { e.canonical_text(); });
    throws("Rule::ir_json", [&] { e.ir_json(); });
    throws("Rule::hash", [&] { e.hash(); });
    throws("Rule::uses_now", [&] { e.uses_now(); });
    throws("Rule::clauses", [&] { e.clauses(); });
    throws("Rule::summary", [&] { e.summary(); });
    throws("Rule::title", [&] { e.title(); });
    throws("Rule::ir_tree", [&] { e.ir_tree(); });
    throws("Rule::form_json", [&] { e.form_json(why); });
    throws("Rule::export_as", [&] { e.export_as(RuleFormat::JsonLogic, d); });
    throws("Rule::to_sql", [&] { e.to_sql(SqlOptions{}, d); });
  }
  const Store store;
  throws("Store::rows", [&] { store.rows(); });
  throws("Store::schema", [&] { store.schema(); });
  throws("Store::rows_skipped", [&] { store.rows_skipped(); });
  throws("Store::report", [&] { store.report(); });
  throws("Store::data_bytes", [&] { store.data_bytes(); });
  throws("Store::value_counts", [&] { store.value_counts(0); });
  throws("Store::range", [&] { store.range(0); });
  throws("Store::absent", [&] { store.absent(0, {1}); });
  throws("Store::write_snapshot", [&] { store.write_snapshot("/nonexistent/x.seg", d); });
  const Query query;
  throws("Query::members", [&] { query.members(); });
  throws("Query::count", [&] { query.count(); });
  throws("Query::count_after", [&] { query.count_after(0); });
  throws("Query::ids", [&] { query.ids(); });
  throws("Query::rows", [&] { query.rows(0, 10); });
  throws("Query::explain", [&] { query.explain(); });
  MemberCursor cursor;
  throws("MemberCursor::next_ids", [&] { cursor.next_ids(10); });
  throws("MemberCursor::next_rows", [&] { cursor.next_rows(10); });
  throws("MemberCursor::done", [&] { cursor.done(); });
  const Membership membership;
  throws("Membership::counts", [&] { membership.counts(); });
  throws("Membership::count", [&] { membership.count(1); });
  throws("Membership::contains", [&] { membership.contains(1, 1); });
  throws("Membership::ids", [&] { membership.ids(1); });
  throws("Membership::stats", [&] { membership.stats(); });
  LiveMembership live;
  throws("LiveMembership::apply", [&] { live.apply(ClientBatch{}, d); });
  throws("LiveMembership::advance", [&] { live.advance(0, d); });
  throws("LiveMembership::update_segments", [&] { live.update_segments({}, {}, d); });
  throws("LiveMembership::compact", [&] { live.compact(d); });
  throws("LiveMembership::compacting", [&] { live.compacting(); });
  throws("LiveMembership::set_compact_after", [&] { live.set_compact_after(1); });
  throws("LiveMembership::finish_compaction", [&] { live.finish_compaction(d); });
  throws("LiveMembership::generation", [&] { live.generation(); });
  throws("LiveMembership::schema", [&] { live.schema(); });
  throws("LiveMembership::segments", [&] { live.segments(); });
  throws("LiveMembership::version", [&] { live.version(); });
  throws("LiveMembership::now", [&] { live.now(); });
  throws("LiveMembership::stats", [&] { live.stats(); });
  throws("LiveMembership::select", [&] { live.select("spot = 1", 0, 1, d); });
  throws("LiveMembership::diff", [&] { live.diff("spot = 1", "spot = 2", 0, 1, d); });
  throws("LiveMembership::view", [&] { live.view(); });
  throws("LiveMembership::clients", [&] { live.clients(); });
  throws("LiveMembership::counts", [&] { live.counts(); });
  throws("LiveMembership::count", [&] { live.count(1); });
  throws("LiveMembership::contains", [&] { live.contains(1, 1); });
  throws("LiveMembership::ids", [&] { live.ids(1); });
  throws("LiveMembership::rows", [&] { live.rows({1}); });
  const LiveMembership::View view;
  throws("LiveMembership::View::select", [&] { view.select("spot = 1", 0, 1, d); });
  throws("LiveMembership::View::diff", [&] { view.diff("spot = 1", "spot = 2", 0, 1, d); });
  throws("LiveMembership::View::ids", [&] { view.ids("spot = 1", 0, d); });
  throws("LiveMembership::View::clauses", [&] { view.clauses("spot = 1", 0, d); });
  throws("LiveMembership::View::absent", [&] { view.absent(0, {1}); });
  throws("LiveMembership::View::value_counts", [&] { view.value_counts(0); });
  throws("LiveMembership::View::version", [&] { view.version(); });
  throws("LiveMembership::View::now", [&] { view.now(); });
  // The free functions given an empty Query say so too (they said "prepared on the same Store").
  throws("diff", [&] { diff(query, query); });
  throws("Membership::refresh", [&] { Membership::refresh({SegmentQuery{1, query}}); });
  EventReader reader;
  throws("EventReader::next", [&] { reader.next(d); });
  throws("EventReader::seek", [&] { reader.seek(0, d); });
  throws("EventReader::version", [&] { reader.version(); });
  EXPECT_EQ(calls, 90);  // every call above ran
  EXPECT_TRUE(d.empty());  // nothing was said as if the call had been made
}

// The reference evaluator's table for a store's rows, read cell by cell (no evaluation).
testing::RefTable ref_table_of(const rt::Store& s) {
  testing::RefTable t;
  t.schema = s.schema();
  for (uint64_t r = 0; r < s.rows(); ++r) {
    testing::RefRow row(t.schema.fields.size());
    for (size_t f = 0; f < t.schema.fields.size(); ++f) {
      const seg::Field& fd = t.schema.fields[f];
      const rt::Column& c = s.column(static_cast<int>(f));
      testing::RefCell& cell = row[f];
      if (fd.type == seg::FieldType::Set) {
        cell.null = false;
        for (uint32_t k : s.tags_at(static_cast<int>(f), r)) cell.tags.push_back(fd.dict[k].key);
        continue;
      }
      if (c.is_null(r)) continue;
      cell.null = false;
      if (fd.type == seg::FieldType::Enum) cell.text = fd.dict[static_cast<uint32_t>(c.value_at(r))].key;
      else if (fd.type == seg::FieldType::String) cell.text = s.format_value(static_cast<int>(f), c.value_at(r));
      else cell.num = c.value_at(r);
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

// One CSV file as the API opens it and as the reference evaluator reads it.
struct Both {
  std::optional<Store> store;
  rt::LoadResult internal;
  testing::RefTable table;
};
Both open_both(const std::string& path) {
  Both b;
  std::vector<Diagnostic> diags;
  b.store = Store::open(path, Schema::crm(), diags);
  b.internal = rt::load_data(path, seg::crm_schema());
  if (b.internal.ok()) b.table = ref_table_of(*b.internal.store);
  return b;
}

// The API end to end (a CSV file, random rule text as people write it, prepare, run) against
// the reference evaluator over the same rows.
TEST(Api, AgreesWithTheReferenceEvaluator) {
  std::string path = workload_csv("ref", 3000, 77);
  ASSERT_FALSE(path.empty());
  std::vector<Diagnostic> diags;
  Both both = open_both(path);
  ASSERT_TRUE(both.store && both.internal.ok());
  const auto& store = both.store;
  const auto& internal = both.internal;
  const testing::RefTable& table = both.table;
  testing::RuleGen gen(2026);
  size_t rules = 0, nonempty = 0;
  const int64_t now = 1767225600;  // 2026-01-01
  for (int i = 0; i < 400; ++i) {
    std::string text = gen.rule(3);
    seg::Compiled c = seg::compile_rule(text, internal.store->schema());
    Rule r = Rule::compile(text, store->schema());
    ASSERT_EQ(r.ok(), c.ir.has_value()) << text;
    if (!c.ir) continue;  // the generator also writes rules with errors; both refuse them
    std::vector<int64_t> want = testing::ref_select(*c.ir, table, now);
    auto q = Query::prepare(r, *store, diags);
    ASSERT_TRUE(q);
    RunOptions o;
    o.now = now;
    o.threads = 1 + static_cast<unsigned>(i % 2);
    ASSERT_EQ(q->ids(o), want) << text;
    ASSERT_EQ(q->count(o).count, want.size()) << text;
    Page page = q->rows(0, 3, o);
    ASSERT_EQ(page.rows.size(), std::min<size_t>(3, want.size()));
    for (size_t k = 0; k < page.rows.size(); ++k) EXPECT_EQ(std::get<int64_t>(page.rows[k][0]), want[k]);
    ++rules;
    nonempty += !want.empty() && want.size() < table.rows.size();
  }
  EXPECT_GT(rules, 200u);
  EXPECT_GT(nonempty, 50u);  // not vacuous
  // The reference rules' shapes with random literals (the shared pass's benchmark catalog):
  // every one is a valid rule, and means what the reference evaluator says.
  size_t shaped_nonempty = 0;
  for (int i = 0; i < 120; ++i) {
    std::string text = gen.shaped();
    seg::Compiled c = seg::compile_rule(text, internal.store->schema());
    ASSERT_TRUE(c.ir.has_value()) << text;
    Rule r = Rule::compile(text, store->schema());
    ASSERT_TRUE(r.ok()) << text;
    auto q = Query::prepare(r, *store, diags);
    ASSERT_TRUE(q);
    RunOptions o;
    o.now = now;
    std::vector<int64_t> want = testing::ref_select(*c.ir, table, now);
    ASSERT_EQ(q->ids(o), want) << text;
    shaped_nonempty += !want.empty();
  }
  EXPECT_GT(shaped_nonempty, 30u);
  fs::remove(path);
}

// diff() against set algebra on the reference evaluator's answers: 40 random pairs of rules,
// their entered/exited/stayed counts, the samples (the first ids), and each clause's count of
// leavers it rules out (of the new rule) and of newcomers (of the old rule).
TEST(Api, DiffIsTheSetAlgebraOfTheReferenceAnswers) {
  std::string path = workload_csv("diff", 70000, 5);  // two blocks
  ASSERT_FALSE(path.empty());
  std::vector<Diagnostic> diags;
  Both both = open_both(path);
  ASSERT_TRUE(both.store && both.internal.ok());
  const auto& store = both.store;
  const auto& internal = both.internal;
  const testing::RefTable& table = both.table;
  const int64_t now = 1767225600;
  auto select = [&](const std::string& text) {
    seg::Compiled c = seg::compile_rule(text, internal.store->schema());
    return testing::ref_select(*c.ir, table, now);
  };
  auto minus = [](const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
    std::vector<int64_t> out;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
  };
  testing::RuleGen gen(99);
  size_t pairs = 0, changed = 0;
  const size_t want = testing::property_scaled(40);  // 8 under the sanitizers
  while (pairs < want) {
    // A rule and a variation of it: one more clause, or another rule altogether.
    std::string a = gen.rule(2);
    std::string b = pairs % 3 == 0 ? gen.rule(2) : "(" + a + ") and " + gen.predicate();
    Rule ra = Rule::compile(a, store->schema()), rb = Rule::compile(b, store->schema());
    if (!ra.ok() || !rb.ok()) continue;
    auto qa = Query::prepare(ra, *store, diags);
    auto qb = Query::prepare(rb, *store, diags);
    RunOptions o;
    o.now = now;
    Diff d = diff(*qa, *qb, o, 5);
    std::vector<int64_t> before = select(a), after = select(b);
    std::vector<int64_t> entered = minus(after, before), exited = minus(before, after);
    ASSERT_EQ(d.before, before.size()) << a;
    ASSERT_EQ(d.after, after.size()) << b;
    ASSERT_EQ(d.entered, entered.size()) << a << " -> " << b;
    ASSERT_EQ(d.exited, exited.size()) << a << " -> " << b;
    ASSERT_EQ(d.stayed, before.size() - exited.size());
    entered.resize(std::min<size_t>(5, entered.size()));
    exited.resize(std::min<size_t>(5, exited.size()));
    EXPECT_EQ(d.entered_sample, entered);
    EXPECT_EQ(d.exited_sample, exited);
    // Each clause, compiled from its printed text, rules out exactly the leavers it says.
    auto check_clauses = [&](const std::vector<DiffClause>& cs, const std::vector<int64_t>& who) {
      for (const auto& c : cs) {
        std::vector<int64_t> pass = select(c.text);
        EXPECT_EQ(c.fails, minus(who, pass).size()) << c.text;
      }
    };
    std::vector<int64_t> all_exited = minus(select(a), select(b)), all_entered = minus(select(b), select(a));
    check_clauses(d.exited_because, all_exited);
    check_clauses(d.entered_because, all_entered);
    EXPECT_EQ(d.exited_because.empty(), d.exited == 0);
    EXPECT_EQ(d.entered_because.empty(), d.entered == 0);
    changed += d.entered + d.exited > 0;
    ++pairs;
  }
  EXPECT_GT(changed, want / 2);  // not vacuous
  // Queries on two stores cannot be compared.
  auto other = Store::open(path, Schema::crm(), diags);
  auto q1 = Query::prepare(Rule::compile("spot = 1", store->schema()), *store, diags);
  auto q2 = Query::prepare(Rule::compile("spot = 1", other->schema()), *other, diags);
  EXPECT_THROW(diff(*q1, *q2), std::invalid_argument);
  fs::remove(path);
}

TEST(Api, RowsAreTypedValuesAndExplainIsData) {
  std::string path = temp_file("typed.jsonl",
                               "{\"client_id\": 7, \"player_id\": 70, \"spot\": 12, \"stage\": \"Active\", "
                               "\"tags\": [\"A|B\", \"VIP\"], \"deposit_total\": 10.5, \"registered_at\": \"2025-01-01\"}\n"
                               "{\"client_id\": 8, \"player_id\": 80, \"spot\": 13, \"stage\": \"Active\", "
                               "\"tags\": [\"VIP\"], \"deposit_total\": 1, \"registered_at\": \"2025-01-01\"}\n"
                               "{\"client_id\": 9, \"player_id\": 90, \"spot\": 12, \"stage\": \"Active\", "
                               "\"deposit_total\": 1, \"registered_at\": \"2025-01-01\"}\n");
  std::vector<Diagnostic> diags;
  auto store = Store::open(path, Schema::crm(), diags);
  ASSERT_TRUE(store);
  auto q = Query::prepare(Rule::compile("tag any (VIP) and spot = 12", store->schema()), *store, diags);
  ASSERT_TRUE(q);
  Page p = q->rows(0, 10);
  ASSERT_EQ(p.rows.size(), 1u);
  ASSERT_EQ(p.columns.at(0), "client_id");
  auto col = [&](const char* name) {
    for (size_t i = 0; i < p.columns.size(); ++i)
      if (p.columns[i] == name) return p.rows[0][i];
    return Value{};
  };
  EXPECT_EQ(std::get<int64_t>(col("client_id")), 7);
  EXPECT_EQ(std::get<std::string>(col("deposit_total")), "10.50");
  EXPECT_EQ(std::get<std::vector<std::string>>(col("tags")), (std::vector<std::string>{"VIP", "A|B"}));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(col("last_active_at")));
  ExplainNode e = q->explain().root;
  EXPECT_EQ(e.rows_in, 3u);
  EXPECT_EQ(e.rows_out, 1u);
  EXPECT_EQ(e.op, "and");
  ASSERT_EQ(e.children.size(), 2u);
  EXPECT_EQ(e.children[0].rows_in, 3u);
  for (const auto& k : e.children) EXPECT_FALSE(k.label.empty());
  fs::remove(path);
}

// One store, many prepared queries, many threads at once (the service's shape); every answer
// equals the one computed alone. tools/sanitize.sh runs this under ThreadSanitizer too.
TEST(Api, OneStoreManyQueriesManyThreads) {
  std::string path = workload_csv("threads", 150000, rt::kWorkloadSeed);
  ASSERT_FALSE(path.empty());
  std::vector<Diagnostic> diags;
  auto store = Store::open(path, Schema::crm(), diags);
  ASSERT_TRUE(store);
  std::vector<Query> queries;
  std::vector<uint64_t> want;
  for (const auto& w : rt::workload_rules()) {
    auto q = Query::prepare(Rule::compile(w.text, store->schema()), *store, diags);
    ASSERT_TRUE(q) << w.text;
    queries.push_back(*q);
    want.push_back(q->count().count);
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 12; ++round)
        for (size_t k = 0; k < queries.size(); ++k) {
          size_t i = (k + static_cast<size_t>(t)) % queries.size();
          RunOptions o;
          o.threads = 1 + static_cast<unsigned>(round % 2);
          if (queries[i].count(o).count != want[i]) ++wrong;
          if (round == 0 && queries[i].ids().size() != want[i]) ++wrong;
        }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  fs::remove(path);
}

// Store::absent and View::absent: of a pasted list of an integer field's values, those no
// client has, once each in the list's order, whichever path the planner takes for the list (a
// few values through the value index, a sorted list, 4,096 or more as a bitmap). Checked
// against the players read back from every client.
TEST(Api, AbsentValuesAreThoseNoClientHas) {
  std::string path = workload_csv("absent", 20000, rt::kWorkloadSeed);
  ASSERT_FALSE(path.empty());
  std::vector<Diagnostic> diags;
  auto store = Store::open(path, Schema::crm(), diags);
  ASSERT_TRUE(store);
  const Schema schema = store->schema();
  const std::optional<size_t> player = schema.form_field("players");
  ASSERT_TRUE(player);
  EXPECT_EQ(player, schema.find("player_id"));
  EXPECT_EQ(schema.form_field("stages"), schema.find("stage"));
  EXPECT_FALSE(schema.form_field("title"));
  // Every client's player, read back through a query of everyone.
  auto everyone = Query::prepare(Rule::compile("true", schema), *store, diags);
  ASSERT_TRUE(everyone);
  std::set<int64_t> held;
  MemberCursor all = everyone->members();
  for (Page page = all.next_rows(4096, {*player}); !page.rows.empty(); page = all.next_rows(4096, {*player}))
    for (const auto& row : page.rows)
      if (const int64_t* v = std::get_if<int64_t>(&row[0])) held.insert(*v);
  ASSERT_GT(held.size(), 1000u);
  const int64_t lo = *held.begin(), hi = *held.rbegin();
  auto expected = [&](const std::vector<int64_t>& values, const std::set<int64_t>& there) {
    std::vector<int64_t> out;
    std::set<int64_t> named;
    for (int64_t v : values)
      if (!there.count(v) && named.insert(v).second) out.push_back(v);
    return out;
  };
  std::mt19937_64 rng(7);
  const std::vector<int64_t> pool(held.begin(), held.end());
  for (size_t n : {size_t{1}, size_t{2}, size_t{7}, size_t{300}, size_t{5000}}) {
    std::vector<int64_t> values;
    for (size_t i = 0; i < n; ++i) {
      switch (rng() % 4) {
        case 0: values.push_back(pool[rng() % pool.size()]); break;             // a client's
        case 1: values.push_back(lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1))); break;  // in the span
        case 2: values.push_back(hi + 1 + static_cast<int64_t>(rng() % 1000)); break;  // past it
        default: values.push_back(values.empty() ? -5 : values[rng() % values.size()]);  // again
      }
    }
    auto got = store->absent(*player, values);
    ASSERT_TRUE(got) << n;
    EXPECT_EQ(*got, expected(values, held)) << n << " values";
  }
  EXPECT_EQ(store->absent(*player, {}), std::vector<int64_t>{});
  EXPECT_FALSE(store->absent(*schema.find("stage"), {1}));  // not an integer field
  EXPECT_FALSE(store->absent(schema.field_names().size(), {1}));

  // Over a membership's clients: a deleted client's player is gone, a new client's is there.
  std::ifstream in(path);
  std::string header, first;
  std::getline(in, header);
  std::getline(in, first);
  const int64_t first_id = std::stoll(first.substr(0, first.find(',')));
  const std::string after_id = first.substr(first.find(',') + 1);
  const int64_t first_player = std::stoll(after_id.substr(0, after_id.find(',')));
  const std::string dir = temp_file("absent_members", "");
  fs::remove(dir);
  auto m = LiveMembership::create(dir, *store, {}, 1790000000, diags);
  ASSERT_TRUE(m) << (diags.empty() ? "" : to_string(diags[0]));
  const int64_t new_player = hi + 12345;
  ClientBatch batch;
  batch.rows = header + "\n" + std::to_string(hi * 10) + "," + std::to_string(new_player) + after_id.substr(after_id.find(',')) + "\n";
  batch.deletes = {first_id};
  ASSERT_TRUE(m->apply(batch, diags)) << (diags.empty() ? "" : to_string(diags[0]));
  std::set<int64_t> now_held = held;
  if (std::count(pool.begin(), pool.end(), first_player) == 1) {
    // (Another client may have the same player: then it stays.)
    auto others = Query::prepare(Rule::compile("player_id = " + std::to_string(first_player), schema), *store, diags);
    ASSERT_TRUE(others);
    if (others->count().count == 1) now_held.erase(first_player);
  }
  now_held.insert(new_player);
  const std::vector<int64_t> asked = {new_player, first_player, hi + 1, pool[pool.size() / 2], new_player};
  auto got = m->view().absent(*player, asked);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, expected(asked, now_held));
  EXPECT_EQ(store->absent(*player, asked), expected(asked, held));  // the store itself is as it was
  fs::remove_all(dir);
  fs::remove(path);
}

// A JSON syntax error (E601) says where it is as the diagnostic's line and column, as a rule
// text's error does (they were only words in the message: 0:0 to a host), for every kind of
// document.
TEST(Api, JsonSyntaxErrorsCarryLineAndColumn) {
  Rule form = Rule::compile("{\n  \"stages\": [\"Active\",]\n}", Schema::crm(), RuleFormat::Form);
  ASSERT_FALSE(form.ok());
  ASSERT_EQ(form.diagnostics().size(), 1u);
  const Diagnostic& d = form.diagnostics()[0];
  EXPECT_EQ(d.code, "E601");
  EXPECT_EQ(d.subject, Subject::Json);
  EXPECT_EQ(d.line, 2u);
  EXPECT_EQ(d.column, 23u);
  EXPECT_NE(d.message.find("line 2, column 23"), std::string::npos) << d.message;
  EXPECT_NE(to_string(d).find("<form>:2:23: error[E601]"), std::string::npos) << to_string(d);
  std::vector<Diagnostic> diags;
  EXPECT_FALSE(Schema::from_json("{\"name\": \"x\",\n\n   \"fields\" []}", diags));
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].code, "E601");
  EXPECT_EQ(diags[0].line, 3u);
  EXPECT_EQ(diags[0].column, 13u);
  // A NUL byte is found before the parser runs: its place too.
  const std::string nul("{\"tags\":\n [\"V\0\"]}", 17);
  Rule with_nul = Rule::compile(nul, Schema::crm(), RuleFormat::Form);
  ASSERT_FALSE(with_nul.ok());
  EXPECT_EQ(with_nul.diagnostics().at(0).code, "E601");
  EXPECT_EQ(with_nul.diagnostics().at(0).line, 2u);
  EXPECT_EQ(with_nul.diagnostics().at(0).column, 5u);
  // The SQL mapping (seg.h: "E601, with its line and column").
  Rule rule = Rule::compile("spot = 12", Schema::crm());
  SqlOptions o;
  o.mapping_json = "{\n  \"table\": }";
  diags.clear();
  EXPECT_FALSE(rule.to_sql(o, diags));
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].code, "E601");
  EXPECT_EQ(diags[0].line, 2u);
  EXPECT_EQ(diags[0].column, 12u);
}

// A message quoting bytes that are not UTF-8 writes them as \xNN, so it stays text a host can
// put in JSON or decode (a form's raw 0xE9 reached E601's message; found by a review).
TEST(Api, MessagesAreUtf8WhateverTheDocumentHeld) {
  Rule latin1 = Rule::compile("{\"title\":\"\xE9\"}", Schema::crm(), RuleFormat::Form);
  ASSERT_EQ(latin1.diagnostics().size(), 1u);
  const std::string& m = latin1.diagnostics()[0].message;
  EXPECT_EQ(latin1.diagnostics()[0].code, "E601");
  EXPECT_EQ(m.find('\xE9'), std::string::npos) << m;
  EXPECT_NE(m.find("\\xE9"), std::string::npos) << m;
  EXPECT_EQ(latin1.diagnostics()[0].column, 12u);
  // Valid text quoted is left as it is.
  Rule umlaut = Rule::compile("{\"title\":\"\u00dc", Schema::crm(), RuleFormat::Form);
  ASSERT_FALSE(umlaut.ok());
  EXPECT_NE(umlaut.diagnostics()[0].message.find("\"\u00dc"), std::string::npos) << umlaut.diagnostics()[0].message;
}

// A membership's diff of two rules compiles both and gives every diagnostic of both, warnings
// too, each sourced by its side as `seg diff` names them, after what the caller's list held: it
// stopped at the first bad rule, sourced `<rule>`, replaced the caller's list, and dropped the
// warnings of a diff that answered (found by a review).
TEST(Api, AMembershipDiffGivesBothRulesDiagnosticsEachNamedBySide) {
  const std::string path = temp_file("mdiff.csv",
                                     "client_id,player_id,spot,stage,tags,deposit_total,registered_at,last_active_at,country\n"
                                     "1,101,12,Active,VIP,0.00,2025-01-01T00:00:00Z,,DE\n"
                                     "2,102,7,Active,,0.00,2025-01-01T00:00:00Z,,FR\n");
  std::vector<Diagnostic> diags;
  auto store = Store::open(path, Schema::crm(), diags);
  ASSERT_TRUE(store) << (diags.empty() ? "" : to_string(diags[0]));
  const std::string dir = temp_file("mdiff_members", "");
  fs::remove(dir);
  auto m = LiveMembership::create(dir, *store, {{1, "spot = 12"}}, 1790000000, diags);
  ASSERT_TRUE(m) << (diags.empty() ? "" : to_string(diags[0]));

  Diagnostic earlier;
  earlier.code = "W000";
  diags = {earlier};
  EXPECT_FALSE(m->diff("spto = 12", "spot = 12 and cuntry = DE", m->now(), 3, diags));
  ASSERT_EQ(diags.size(), 3u);
  EXPECT_EQ(diags[0].code, "W000");  // the caller's own, kept
  EXPECT_EQ(diags[1].code, "E201");
  EXPECT_EQ(diags[1].source, "<before>");
  EXPECT_NE(diags[1].message.find("spto"), std::string::npos) << diags[1].message;
  EXPECT_EQ(diags[2].code, "E201");
  EXPECT_EQ(diags[2].source, "<after>");
  EXPECT_NE(diags[2].message.find("cuntry"), std::string::npos) << diags[2].message;
  EXPECT_EQ(diags[2].column, 15u);  // in the after rule's own text

  // An answer keeps the warnings (W204: no client has the tag yet), on a View as well.
  diags.clear();
  auto d = m->view().diff("spot = 12", "spot = 12 and tag any (NOSUCHTAG)", m->now(), 3, diags);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->before, 1u);
  EXPECT_EQ(d->after, 0u);
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_FALSE(diags[0].is_error());
  EXPECT_EQ(diags[0].source, "<after>");
  // One rule's errors come after the caller's list too (select, ids and clauses share that).
  diags = {earlier};
  EXPECT_FALSE(m->view().ids("spto = 1", m->now(), diags));
  ASSERT_EQ(diags.size(), 2u);
  EXPECT_EQ(diags[0].code, "W000");
  EXPECT_EQ(diags[1].code, "E201");
  m.reset();
  fs::remove_all(dir);
  fs::remove(path);
}

// Rule::hash is of the IR, which holds the schema's dictionary codes: it compares rules
// compiled against one schema, and the canonical text compares across schemas (decision
// 111). The hash is kept as it is: catalogs have saved it.
TEST(Api, TheHashComparesRulesOfOneSchemaAndTheTextAcrossSchemas) {
  Schema crm = Schema::crm();
  // One schema: equal meaning, equal hash, however it is spelled or given.
  Rule a = Rule::compile("spot = 12 and stage in (Active, Registration)", crm);
  Rule b = Rule::compile("stage = Registration and spot = 12 or spot = 12 and stage = Active", crm);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.canonical_text(), b.canonical_text());
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_NE(a.hash(), Rule::compile("spot = 13 and stage in (Active, Registration)", crm).hash());

  // Two stores each adding one new tag to the open `tags` dictionary: each gives it the same
  // code, so two different rules, each compiled against its own store's schema, hash alike.
  const std::string header = "client_id,player_id,spot,stage,tags,deposit_total,registered_at,last_active_at,country\n";
  const std::string path_a = temp_file("hash_a.csv", header + "1,101,12,Active,AAA,0.00,2025-01-01T00:00:00Z,,DE\n");
  const std::string path_b = temp_file("hash_b.csv", header + "1,101,12,Active,BBB,0.00,2025-01-01T00:00:00Z,,DE\n");
  std::vector<Diagnostic> diags;
  auto store_a = Store::open(path_a, crm, diags);
  auto store_b = Store::open(path_b, crm, diags);
  ASSERT_TRUE(store_a && store_b) << (diags.empty() ? "" : to_string(diags[0]));
  Rule aaa = Rule::compile("tag any (AAA)", store_a->schema());
  Rule bbb = Rule::compile("tag any (BBB)", store_b->schema());
  ASSERT_TRUE(aaa.ok() && bbb.ok());
  EXPECT_EQ(aaa.hash(), bbb.hash());  // what the headers now say: not comparable across schemas
  EXPECT_NE(aaa.canonical_text(), bbb.canonical_text());  // the text tells them apart
  // And one rule against two schemas: the same text, whatever the hashes.
  Rule aaa_crm = Rule::compile("tag any (AAA)", crm);
  ASSERT_TRUE(aaa_crm.ok());
  EXPECT_EQ(aaa_crm.canonical_text(), aaa.canonical_text());
  fs::remove(path_a);
  fs::remove(path_b);
}

}  // namespace
}  // namespace api_test
