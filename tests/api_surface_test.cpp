// The public API's services for clients (the CLI, the REPL, the service): rendering of
// diagnostics, the load report, snapshots, schema introspection, value counts and ranges,
// pages with printed cells, explain with kernels, completion and the form view of a rule.
// Each is checked against an independent answer (the data is small enough to count by hand).
#include <seg/seg.hpp>

#include "api/internal.hpp"
#include "tests/support/temp_dir.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <random>
#include <nlohmann/json.hpp>

namespace api_surface_test {
namespace {

namespace fs = std::filesystem;
using namespace seg::api;

// The files of this process's tests, in one directory removed when the process ends.
std::string temp_file(const std::string& name, const std::string& content) {
  static const seg::testing::TempDir dir("seg-api-surface");
  std::string p = dir / name;
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

// Five clients: stages Active x3, Deposit x1, NotProcessed x1; tags VIP x2, A|B x1, none x2;
// country null for one; a new tag NEWTAG added by the data.
const char* kCsv =
    "client_id,player_id,spot,stage,tags,deposit_total,registered_at,last_active_at,country\n"
    "1,10,12,Active,VIP|NEWTAG,10.50,2025-01-01T00:00:00Z,2026-10-01T00:00:00Z,DE\n"
    "2,20,12,Active,,0.00,2025-02-01T00:00:00Z,,\n"
    "3,30,13,Deposit,VIP,99.99,2025-03-01T00:00:00Z,2026-10-02T00:00:00Z,FR\n"
    "4,40,12,NotProcessed,A\\|B,1.00,2025-04-01T00:00:00Z,2026-10-03T00:00:00Z,DE\n"
    "5,50,14,Active,,5.00,2025-05-01T00:00:00Z,2026-10-04T00:00:00Z,DE\n";

struct ApiSurfaceData : ::testing::Test {
  std::string path = temp_file("clients.csv", kCsv);
  std::vector<Diagnostic> diags;
  std::optional<Store> store = Store::open(path, Schema::crm(), diags);
  void TearDown() override { fs::remove(path); }
  Query query(const std::string& text) {
    std::vector<Diagnostic> d;
    auto q = Query::prepare(Rule::compile(text, store->schema()), *store, d);
    EXPECT_TRUE(q) << text;
    return *q;
  }
};

TEST(ApiSurface, RenderedDiagnosticsPointAtTheSpan) {
  std::string text = "stage = Active and\n  spto = 12";
  Rule r = Rule::compile(text, Schema::crm(), RuleFormat::Text, "rule.seg");
  ASSERT_FALSE(r.ok());
  const Diagnostic& d = r.diagnostics().at(0);
  EXPECT_EQ(d.subject, Subject::Rule);
  EXPECT_EQ(text.substr(d.offset, d.end_offset - d.offset), "spto");
  std::string shown = render_text(r.diagnostics(), "rule.seg", text);
  EXPECT_NE(shown.find("rule.seg:2:3: error[E201]"), std::string::npos) << shown;
  EXPECT_NE(shown.find("  spto = 12"), std::string::npos) << shown;
  EXPECT_NE(shown.find("|   ^~~~\n"), std::string::npos) << shown;  // the caret under `spto`
  // The same rule starting at line 40 of a file of rules: the file's lines, the same caret.
  std::string in_file = render_text(r.diagnostics(), "rules.seg", text, false, 40);
  EXPECT_NE(in_file.find("rules.seg:41:3: error[E201]"), std::string::npos) << in_file;
  EXPECT_NE(in_file.find(" 41 |   spto = 12\n"), std::string::npos) << in_file;
  EXPECT_NE(in_file.find("    |   ^~~~\n"), std::string::npos) << in_file;  // the gutter is as wide as "41"
  auto j = nlohmann::json::parse(render_json(r.diagnostics(), text));
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j[0]["code"], "E201");
  EXPECT_EQ(j[0]["line"], 2);
  EXPECT_EQ(j[0]["column"], 3);
  // An empty rule's error is at 1:1, where a condition is expected (it was 0:0: "about no
  // place"; a review).
  for (const char* empty : {"", " "}) {
    Rule e = Rule::compile(empty, Schema::crm());
    ASSERT_FALSE(e.diagnostics().empty()) << '"' << empty << '"';
    EXPECT_EQ(e.diagnostics()[0].code, "E110");
    EXPECT_EQ(e.diagnostics()[0].subject, Subject::Rule);
    EXPECT_EQ(e.diagnostics()[0].line, 1);
    EXPECT_GE(e.diagnostics()[0].column, 1);
  }
}

// A line ends at LF, CRLF or a lone CR (old-Mac files): a comment stops there, so the
// conditions on the next line count, and diagnostics name the line and show it without its
// break. With `--` running on past a lone CR, `spot = 12 -- c\rand tag any (VIP)` was
// `spot = 12` alone, silently (found by a review).
TEST(ApiSurface, EveryLineEndEndsACommentAndALine) {
  for (const std::string eol : {"\n", "\r\n", "\r"}) {
    Rule r = Rule::compile("spot = 12 -- paid" + eol + "and tag any (VIP)" + eol, Schema::crm());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.canonical_text(), "tag any (VIP) and spot = 12");
    const std::string text = "stage = Active" + eol + "  and spott = 12" + eol;
    Rule bad = Rule::compile(text, Schema::crm(), RuleFormat::Text, "rule.seg");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.diagnostics().at(0).line, 2u);
    EXPECT_EQ(bad.diagnostics().at(0).column, 7u);
    std::string shown = render_text(bad.diagnostics(), "rule.seg", text);
    EXPECT_NE(shown.find("rule.seg:2:7: error[E201]"), std::string::npos) << shown;
    EXPECT_NE(shown.find(" 2 |   and spott = 12\n"), std::string::npos) << shown;  // the line, no CR
  }
}

// In CSV an empty field is null and a quoted empty one (`""`) a string field's empty string,
// and a page's cells are written so (csv_field with the typed cell): rows printed and loaded
// back are the same rows. Both were an empty field, so `name = ""` lost its members on the
// way (found by a review).
TEST(ApiSurface, AnEmptyStringIsNotNullThroughCsv) {
  std::vector<Diagnostic> d;
  auto schema = Schema::from_json(R"({"name": "mini", "id_field": "id", "fields": [
      {"name": "id", "type": "int"}, {"name": "name", "type": "string", "nullable": true},
      {"name": "code", "type": "string"}]})", d);
  ASSERT_TRUE(schema);
  std::string csv = "id,name,code\n1,\"\",a\n2,,\"\"\n3,x,\"b,c\"\n";
  for (int round = 0; round < 2; ++round) {
    auto store = Store::open(temp_file(fmt::format("strings_{}.csv", round), csv), *schema, d);
    ASSERT_TRUE(store) << (d.empty() ? "" : to_string(d[0]));
    auto ids = [&](const char* rule) {
      std::vector<Diagnostic> none;
      return Query::prepare(Rule::compile(rule, store->schema()), *store, none)->ids();
    };
    EXPECT_EQ(ids("name = \"\""), std::vector<int64_t>{1}) << "round " << round;
    EXPECT_EQ(ids("name is null"), std::vector<int64_t>{2}) << "round " << round;
    EXPECT_EQ(ids("code = \"\""), std::vector<int64_t>{2}) << "round " << round;  // not nullable: "" is its value
    // The rows as seg prints them, loaded again in the next round.
    std::vector<Diagnostic> none;
    Page p = Query::prepare(Rule::compile("true", store->schema()), *store, none)->rows(0, 10);
    csv = PageWriter(RowsFormat::Csv).write(p);
    EXPECT_EQ(csv, "id,name,code\n1,\"\",a\n2,,\"\"\n3,x,\"b,c\"\n");
  }
  EXPECT_EQ(csv_field("", Value{}), "");
  EXPECT_EQ(csv_field("", Value{std::string()}), "\"\"");
  EXPECT_EQ(csv_field("", Value{std::vector<std::string>{}}), "");  // an empty set is an empty field
}

// The one writer of member rows (eval, the REPL, the service): CSV's header once, before the
// first batch, its cells quoted as csv_field says; JSON Lines and a JSON array of the same
// objects, keys escaped; and ids given as numbers written as a page of that column would be.
TEST(ApiSurface, APageWriterWritesBatchesAsEveryClientDoes) {
  Page a;
  a.columns = {"id", "name", "tags"};
  a.rows = {{Value{int64_t{1}}, Value{std::string("a, \"b\"")}, Value{std::vector<std::string>{"X|Y", "Z"}}},
            {Value{int64_t{2}}, Value{}, Value{std::vector<std::string>{}}}};
  a.text = {{"1", "a, \"b\"", "X\\|Y|Z"}, {"2", "", ""}};
  Page b = a;
  b.rows.erase(b.rows.begin());
  b.text.erase(b.text.begin());
  // Batches in order (the operands of + are evaluated in no set order).
  auto batches = [&](PageWriter w) {
    std::string out = w.write(a);
    out += w.write(b);
    return out + w.finish();
  };
  EXPECT_EQ(batches(PageWriter(RowsFormat::Csv)),
            "id,name,tags\n1,\"a, \"\"b\"\"\",X\\|Y|Z\n2,,\n2,,\n");
  EXPECT_EQ(PageWriter(RowsFormat::Csv, false).write(b), "2,,\n");
  const std::string row1 = R"({"id":1,"name":"a, \"b\"","tags":["X|Y","Z"]})", row2 = R"({"id":2,"name":null,"tags":[]})";
  EXPECT_EQ(batches(PageWriter(RowsFormat::JsonLines)), row1 + "\n" + row2 + "\n" + row2 + "\n");
  std::string all = batches(PageWriter(RowsFormat::JsonArray));
  EXPECT_EQ(all, "[\n  " + row1 + ",\n  " + row2 + ",\n  " + row2 + "\n]\n");
  EXPECT_TRUE(nlohmann::json::parse(all).is_array());
  EXPECT_EQ(PageWriter(RowsFormat::JsonArray).finish(), "[]\n");
  // A page of no rows still has its header; a key that is not an identifier is escaped.
  Page none;
  none.columns = {"a\"b"};
  EXPECT_EQ(PageWriter(RowsFormat::Csv).write(none), "\"a\"\"b\"\n");
  Page ids;
  ids.columns = {"client_id"};
  ids.rows = {{Value{int64_t{5}}}, {Value{int64_t{-7}}}};
  ids.text = {{"5"}, {"-7"}};
  // A page a host made wrong is refused, not read past its end (a review: it crashed).
  Page ragged = a;
  ragged.rows[1].pop_back();
  Page unprinted = a;
  unprinted.text.clear();
  for (RowsFormat f : {RowsFormat::Csv, RowsFormat::JsonLines, RowsFormat::JsonArray})
    EXPECT_THROW((void)PageWriter(f).write(ragged), std::invalid_argument);
  EXPECT_THROW((void)PageWriter(RowsFormat::Csv).write(unprinted), std::invalid_argument);
  EXPECT_EQ(PageWriter(RowsFormat::JsonLines).write(unprinted), row1 + "\n" + row2 + "\n");  // JSON needs only the typed cells
  for (RowsFormat f : {RowsFormat::Csv, RowsFormat::JsonLines, RowsFormat::JsonArray}) {
    PageWriter by_page(f), by_ids(f);
    std::string from_ids = by_ids.write_ids("client_id", {5, -7}), from_page = by_page.write(ids);
    EXPECT_EQ(from_ids + by_ids.finish(), from_page + by_page.finish());
  }
}

// A diagnostic's `fix` is its suggestion as an edit: put in place of the span, the rule
// compiles without that diagnostic (what the page's one-click "Use …" relies on).
TEST(ApiSurface, AFixAppliedToItsSpanMakesTheRuleClean) {
  const Schema schema = Schema::crm();
  struct Case {
    std::string text, code, fix, fixed;
  };
  const Case cases[] = {
      {"stgae = Active", "E201", "stage", "stage = Active"},
      {"stage = Activ and spot = 3", "E202", "Active", "stage = Active and spot = 3"},
      {"spot = 3 and tag any (VIPP)", "W204", "VIP", "spot = 3 and tag any (VIP)"},
      {"stage in (\"Not processd\")", "E202", "NotProcessed", "stage in (NotProcessed)"},
      {"stage = Active and\n  lastt_active_at > 2026-01-01", "E201", "last_active_at",
       "stage = Active and\n  last_active_at > 2026-01-01"},
      // What people bring from other languages (issue 13).
      {"country = null", "E103", "is null", "country is null"},
      {"country != null and spot = 1", "E103", "is not null", "country is not null and spot = 1"},
      {"spot == 1", "E103", "=", "spot = 1"},
      {"spot = 1 && tag any (VIP)", "E107", "and", "spot = 1 and tag any (VIP)"},
      {"spot = 1 || tag any (VIP)", "E107", "or", "spot = 1 or tag any (VIP)"},
      {"tag any (VIP, NOT REGISTERED)", "E103", "\"NOT REGISTERED\"", "tag any (VIP, \"NOT REGISTERED\")"},
      {"tag anyy (VIP)", "E111", "any", "tag any (VIP)"},
      {"last_active_at > now - 30D", "E109", "30d", "last_active_at > now - 30d"},
      {"registered_at > 2026-1-1", "E107", "2026-01-01", "registered_at > 2026-01-01"},
      {"tag any (VIP, Top-up)", "E102", "\"Top-up\"", "tag any (VIP, \"Top-up\")"},
      {"stage = made_first", "E202", "MadeFirstSale", "stage = MadeFirstSale"},
      // Found by a review (2026-12-04): each suggestion parses, and is the fix.
      {"spot = 1 and tag = VIP", "E301", "tag any (VIP)", "spot = 1 and tag any (VIP)"},
      {"tag != VIP", "E301", "tag none (VIP)", "tag none (VIP)"},
      {"tag not any (VIP)", "E111", "none", "tag none (VIP)"},
      {"registered_at > 2026-01-05T12:30Z", "E107", "2026-01-05T12:30:00Z", "registered_at > 2026-01-05T12:30:00Z"},
      {"registered_at > 2026/01/05", "E107", "2026-01-05", "registered_at > 2026-01-05"},
      {"stage = Made First Sale", "E107", "\"Made First Sale\"", "stage = \"Made First Sale\""},
      {"stage = Not Processed and spot = 1", "E103", "\"Not Processed\"", "stage = \"Not Processed\" and spot = 1"},
      // Found by a review of wrong rules people type (2026-12-06): each in one edit.
      {"stage === Active", "E103", "=", "stage = Active"},
      {"country == NULL", "E103", "is null", "country is null"},
      {"country <> NULL", "E103", "is not null", "country is not null"},
      {"spot =< 12", "E103", "<=", "spot <= 12"},
      {"spot => 12", "E103", ">=", "spot >= 12"},
      {"spot =! 1", "E103", "!=", "spot != 1"},
      {"spot ! = 1", "E111", "!=", "spot != 1"},
      {"spot NOT BETWEEN 1 AND 10", "E111", "not spot between", "not spot between 1 AND 10"},
      {"stage NOT = Blocked", "E111", "!=", "stage != Blocked"},
      {"stage = Active adn spot = 12", "E107", "and", "stage = Active and spot = 12"},
      {"stage = Registration nad tag any (VIP)", "E107", "and", "stage = Registration and tag any (VIP)"},
      {"stage = Active or Deposit and spot = 1", "E111", "stage in (Active, Deposit)", "stage in (Active, Deposit) and spot = 1"},
      {"stage = Active, Deposit", "E107", "stage in (Active, Deposit)", "stage in (Active, Deposit)"},
      {"stage = (Active, Deposit)", "E103", "in (", "stage in (Active, Deposit)"},
      {"spot = 12 or 13", "E110", "spot in (12, 13)", "spot in (12, 13)"},
      {"registered_at > NOW() - 30d", "E107", "now", "registered_at > now - 30d"},
      {"player_id = 1,000,000", "E107", "1000000", "player_id = 1000000"},
      {"deposit_total > 1.000,50", "E107", "1000.50", "deposit_total > 1000.50"},
      {"registered_at > 2026-01-01T12:00:00.000Z", "E107", "Z", "registered_at > 2026-01-01T12:00:00Z"},
      {"player_id in (1,000,000, 1014515)", "W506", "1000000", "player_id in (1000000, 1014515)"},
      {"stage = \u0410ctive", "E116", "Active", "stage = Active"},
      {"spot = \uFF11\uFF12", "E116", "12", "spot = 12"},
      {"spot > \u22121", "E116", "-1", "spot > -1"},
      {"registered_at > 2026\u201001\u201001", "E116", "2026-01-01", "registered_at > 2026-01-01"},
      {"deposit_total > 100\u20AC", "E116", "100", "deposit_total > 100"},
      {"spot \u2265 12", "E116", ">=", "spot >= 12"},
      {"last_active_at > now \u2013 30d", "E116", "-", "last_active_at > now - 30d"},
      {"stage = \u201CActive\u201D", "E116", "\"Active\"", "stage = \"Active\""},
      {"spot = 1 \u200Band stage = Active", "E116", "", "spot = 1 and stage = Active"},
      {"spot = \"12\"", "E302", "12", "spot = 12"},
      {"registered_at > \"2026-01-01\"", "E302", "2026-01-01", "registered_at > 2026-01-01"},
      {"tag not in (BLOCKED)", "E301", "tag none (BLOCKED)", "tag none (BLOCKED)"},
      {"stage any (Active, Deposit)", "E301", "in", "stage in (Active, Deposit)"},
      {"spot none (1, 2)", "E301", "not in", "spot not in (1, 2)"},
      {"spot between 5 and 1", "W503", "spot between 1 and 5", "spot between 1 and 5"},
      {"country = ''", "E202", "country is null", "country is null"},
      {"country != ''", "E202", "country is not null", "country is not null"},
      {"tag any (\"V\u0406P\")", "W204", "VIP", "tag any (VIP)"},
      {"country = \"D\u0415\"", "E202", "DE", "country = DE"},
      {"spot between 1 adn 10", "E113", "and", "spot between 1 and 10"},
      {"country is nul", "E114", "null", "country is null"},
      {"country is nnot null", "E114", "not", "country is not null"},
      {"country isnull", "E111", "is null", "country is null"},
      {"stage IS Active", "E114", "=", "stage = Active"},
      {"registered_at > 2026-01-01T12:00:00+0200", "E107", "+02:00", "registered_at > 2026-01-01T12:00:00+02:00"},
      {"registered_at > 2026-01-01T12:00:00 UTC", "E107", "Z", "registered_at > 2026-01-01T12:00:00Z"},
      {"deposit_total > 100 EUR", "E107", "", "deposit_total > 100"},
      {"last_active_at > nwo - 30d", "E107", "now", "last_active_at > now - 30d"},
      {"spot = 1;", "E107", "", "spot = 1"},
      // A second review attacked these: each fixed the way it meant, or (below) not at all.
      {"(spot = 1,000) and stage = Active", "E102", "1000", "(spot = 1000) and stage = Active"},
      {"(stage = Active adn spot = 12)", "E102", "and", "(stage = Active and spot = 12)"},
      {"stage = Active and (last_active_at < NOW() - 30d)", "E102", "now", "stage = Active and (last_active_at < now - 30d)"},
      {"spot = 12 or 13 or 14", "E110", "spot in (12, 13, 14)", "spot in (12, 13, 14)"},
      {"stage = Active or Deposit or Churned and spot = 1", "E111", "stage in (Active, Deposit, Churned)",
       "stage in (Active, Deposit, Churned) and spot = 1"},
      {"tag = VIP or BLOCKED and spot = 1", "E111", "tag any (VIP, BLOCKED)", "tag any (VIP, BLOCKED) and spot = 1"},
      {"tag = (VIP, BLOCKED)", "E103", "any (", "tag any (VIP, BLOCKED)"},
      {"country = DE ro AT", "E107", "country in (DE, AT)", "country in (DE, AT)"},
      {"country is empty", "E114", "null", "country is null"},
      {"spot = \"+5\"", "E302", "5", "spot = 5"},
      {"spot = 1\u041E", "E116", "10", "spot = 10"},
      {"stage = Active\u200Band spot = 1", "E116", " ", "stage = Active and spot = 1"},
      {"deposit_total > 1\u00A0000", "E116", "", "deposit_total > 1000"},
      {"registered_at > 2026-01-05T12:00:00,000Z", "E107", "Z", "registered_at > 2026-01-05T12:00:00Z"},
      {"tag any (\u201CNOT REGISTERED\u201D)", "E116", "\"NOT REGISTERED\"", "tag any (\"NOT REGISTERED\")"},
      {"tag any (\u00ABVIP\u00BB)", "E116", "\"VIP\"", "tag any (\"VIP\")"},
      {"deposit_total > 1\u2009000", "E116", "", "deposit_total > 1000"},
      {"spot = 1\u2009and stage = Active", "E116", " ", "spot = 1 and stage = Active"},
  };
  for (const auto& c : cases) {
    Rule r = Rule::compile(c.text, schema);
    ASSERT_EQ(r.diagnostics().size(), 1u) << c.text;
    const Diagnostic& d = r.diagnostics()[0];
    EXPECT_EQ(d.code, c.code) << c.text;
    ASSERT_TRUE(d.fix.has_value()) << c.text;
    EXPECT_EQ(*d.fix, c.fix) << c.text;
    std::string fixed = c.text.substr(0, d.offset) + *d.fix + c.text.substr(d.end_offset);
    EXPECT_EQ(fixed, c.fixed);
    Rule again = Rule::compile(fixed, schema);
    EXPECT_TRUE(again.ok() && again.diagnostics().empty()) << fixed;
    auto j = nlohmann::json::parse(render_json(r.diagnostics(), c.text));
    EXPECT_EQ(j[0]["fix"], c.fix);
  }
  // No single edit is meant: no fix, only the prose.
  // (a time after a date with a space: UTC or local, only the person knows; `3M`: months
  // are not a unit)
  // (a condition with no `and` or `or` before it: which one? `stage = Active or Deposit` at
  // the end: `Deposit` may be a field still being typed; a fraction of a second: which second?
  // a curly quote that is not closed; a dash that may be a comment's)
  for (const char* text : {"zzzzzzzz = 1", "stage = Qqqqqqq", "spot = 1 and", "registered_at > 2026-01-01 10:00:00",
                           "last_active_at > now - 3M", "stage = Active spot = 12", "stage = Active or Deposit",
                           "registered_at > 2026-01-01T12:00:00.500Z", "stage = \u201CActive",
                           "stage = Active \u2013 why", "spot = 1 or stage",
                           // (the second review's: a real word, a comma or `or` before another
                           // condition, a Cyrillic word, a percentage, a date and time with a space)
                           "stage = Active nor spot = 12", "stage = Active oder spot = 12", "stage = Active, spot = 1",
                           "stage = Active or spot and country = DE", "tag any (\u0412\u041E\u0422)", "deposit_total > 50%",
                           "registered_at > \"2026-01-01 10:00:00\"", "stage != Active or Deposit and spot = 1"}) {
    Rule r = Rule::compile(text, schema);
    ASSERT_FALSE(r.diagnostics().empty()) << text;
    EXPECT_FALSE(r.diagnostics()[0].fix.has_value()) << text;
    EXPECT_FALSE(nlohmann::json::parse(render_json(r.diagnostics(), text))[0].contains("fix")) << text;
  }
}

// A byte-order mark an editor wrote before a rule file's first byte is skipped; spans still
// count from the text's first byte.
TEST(ApiSurface, AByteOrderMarkBeforeTheRuleIsSkipped) {
  const Schema schema = Schema::crm();
  Rule ok = Rule::compile("\xEF\xBB\xBFspot = 1", schema);
  EXPECT_TRUE(ok.ok() && ok.diagnostics().empty());
  EXPECT_EQ(ok.canonical_text(), "spot = 1");
  Rule typo = Rule::compile("\xEF\xBB\xBFspto = 1", schema);
  ASSERT_EQ(typo.diagnostics().size(), 1u);
  EXPECT_EQ(typo.diagnostics()[0].code, "E201");
  EXPECT_EQ(typo.diagnostics()[0].offset, 3u);
  EXPECT_EQ(typo.diagnostics()[0].end_offset, 7u);
  Rule broken = Rule::compile("\xEF\xBB\xBFspot = ", schema);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.diagnostics()[0].offset, 10u);  // the end of the text, BOM included
  // Only at the start: elsewhere it is a character outside a string.
  EXPECT_EQ(Rule::compile("spot = 1 \xEF\xBB\xBF", schema).diagnostics().at(0).code, "E116");
}

TEST(ApiSurface, DataDiagnosticsRenderWithFileAndLineAndIoIsAFlag) {
  std::vector<Diagnostic> diags;
  EXPECT_FALSE(Store::open("/nonexistent/clients.csv", Schema::crm(), diags));
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].subject, Subject::Data);
  EXPECT_TRUE(diags[0].io);  // cannot be read: a host's I/O problem, not bad data
  std::string bad = temp_file("bad.csv", std::string(kCsv).substr(0, std::string(kCsv).find('\n') + 1) +
                                             "1,10,x,Active,,1.00,2025-01-01T00:00:00Z,,\n");
  diags.clear();
  EXPECT_FALSE(Store::open(bad, Schema::crm(), diags));
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_FALSE(diags[0].io);
  EXPECT_EQ(render_text(diags, bad, ""),
            bad + ":2: column 3 (spot): error[E704]: " + diags[0].message + "\n  help: " + diags[0].suggestion + "\n");
  auto j = nlohmann::json::parse(render_json(diags, ""));
  EXPECT_EQ(j[0]["file"], bad);
  EXPECT_EQ(j[0]["line"], 2);
  EXPECT_EQ(j[0]["field"], "spot");
  fs::remove(bad);
}

TEST_F(ApiSurfaceData, TheLoadReportHasWhatTheLoadAdded) {
  ASSERT_TRUE(store);
  const LoadReport& r = store->report();
  EXPECT_EQ(r.rows_skipped, 0u);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(r.added_values, (std::vector<std::string>{"tags: NEWTAG", "tags: A|B"}));
  EXPECT_EQ(r.bytes, std::string(kCsv).size());
  EXPECT_GT(store->data_bytes(), 0u);
}

TEST_F(ApiSurfaceData, ASnapshotWrittenReopensTheSameAndAnotherSchemaIsE717) {
  ASSERT_TRUE(store);
  std::string snap = temp_file("clients.seg", "");
  std::vector<Diagnostic> d;
  ASSERT_TRUE(store->write_snapshot(snap, d));
  EXPECT_TRUE(Store::is_snapshot(snap));
  EXPECT_FALSE(Store::is_snapshot(SEG_SOURCE_DIR "/examples/clients.csv"));
  EXPECT_FALSE(Store::is_snapshot(snap + ".missing"));
  auto again = Store::open(snap, Schema::crm(), d);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->rows(), 5u);
  std::vector<Diagnostic> none;
  auto q = Query::prepare(Rule::compile("tag any (NEWTAG)", again->schema()), *again, none);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->ids(), std::vector<int64_t>{1});
  // A schema chosen on purpose that is not the snapshot's: E717 naming it.
  std::vector<Diagnostic> sd;
  auto other = Schema::from_json(R"({"name": "tiny", "id_field": "client_id", "fields": [{"name": "client_id", "type": "int"}]})", sd);
  ASSERT_TRUE(other) << (sd.empty() ? "" : to_string(sd[0]));
  OpenOptions o;
  o.expected_schema_name = "tiny.json";
  std::vector<Diagnostic> e;
  EXPECT_FALSE(Store::open(snap, *other, e, o));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].code, "E717");
  EXPECT_NE(e[0].message.find("tiny.json"), std::string::npos);
  // Which side is which: the schema chosen, and the data's own, each with its fields.
  EXPECT_NE(e[0].message.find("the schema `tiny` has 1 field (client_id); the data's (`crm`) has 9 (stage, tags"),
            std::string::npos) << e[0].message;
  // Without it the snapshot's own schema wins.
  e.clear();
  EXPECT_TRUE(Store::open(snap, *other, e));
  d.clear();
  EXPECT_FALSE(store->write_snapshot("/nonexistent/dir/x.seg", d));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].code, "E714");
  EXPECT_TRUE(d[0].io);
  fs::remove(snap);
}

TEST(ApiSurface, SchemaFieldsAreIntrospectable) {
  Schema crm = Schema::crm();
  auto fields = crm.fields();
  ASSERT_EQ(fields.size(), crm.field_names().size());
  auto stage = crm.find("STAGE");
  ASSERT_TRUE(stage);
  const FieldInfo& s = fields[*stage];
  EXPECT_EQ(s.name, "stage");
  EXPECT_EQ(s.type, FieldType::Enum);
  EXPECT_TRUE(s.ordered);
  EXPECT_FALSE(s.open);
  ASSERT_FALSE(s.values.empty());
  EXPECT_EQ(s.values[0].key, "NotProcessed");
  auto tags = crm.find("tag");  // an alias
  ASSERT_TRUE(tags);
  EXPECT_EQ(fields[*tags].type, FieldType::Set);
  EXPECT_TRUE(fields[*tags].open);
  EXPECT_TRUE(fields[*crm.find("client_id")].identifies);
  EXPECT_EQ(fields[*crm.find("deposit_total")].scale, 2);
  EXPECT_STREQ(type_name(FieldType::Timestamp), "timestamp");
  EXPECT_FALSE(crm.find("spto"));
  EXPECT_EQ(crm.suggest("spto"), std::vector<std::string>{"spot"});
}

TEST_F(ApiSurfaceData, ValueCountsAndRangesMatchTheData) {
  ASSERT_TRUE(store);
  auto stage = *store->schema().find("stage");
  std::map<std::string, uint64_t> counts;
  uint64_t total = 0;
  for (const auto& v : store->value_counts(stage)) {
    counts[v.key] = v.count;
    total += v.count;
  }
  EXPECT_EQ(counts["Active"], 3u);
  EXPECT_EQ(counts["Deposit"], 1u);
  EXPECT_EQ(counts["NotProcessed"], 1u);
  EXPECT_EQ(total, 5u);  // stage is not nullable: no (null) row
  auto tags = store->value_counts(*store->schema().find("tags"));
  ASSERT_FALSE(tags.empty());
  EXPECT_TRUE(tags.back().missing);
  EXPECT_EQ(tags.back().count, 2u);  // clients 2 and 5 have no tags
  std::map<std::string, uint64_t> by_tag;
  for (const auto& v : tags) by_tag[v.key] = v.count;
  EXPECT_EQ(by_tag["VIP"], 2u);
  EXPECT_EQ(by_tag["A|B"], 1u);
  EXPECT_EQ(by_tag["NEWTAG"], 1u);
  auto deposit = store->range(*store->schema().find("deposit_total"));
  ASSERT_TRUE(deposit);
  EXPECT_EQ(deposit->first, "0.00");
  EXPECT_EQ(deposit->second, "99.99");
  EXPECT_FALSE(store->range(*store->schema().find("tags")));
  // A small integer field counts each value present, checked against rules.
  auto spots = store->value_counts(*store->schema().find("spot"));
  ASSERT_FALSE(spots.empty());
  uint64_t spot_total = 0;
  for (const auto& v : spots) {
    EXPECT_FALSE(v.missing);  // spot is not nullable
    EXPECT_EQ(v.count, query("spot = " + v.key).count().count) << v.key;
    spot_total += v.count;
  }
  EXPECT_EQ(spot_total, store->rows());
  // A wide or non-integer field: only its null count, when nullable.
  auto last = store->value_counts(*store->schema().find("last_active_at"));
  ASSERT_EQ(last.size(), 1u);
  EXPECT_TRUE(last[0].missing);
  EXPECT_EQ(last[0].count, query("last_active_at is null").count().count);
  EXPECT_TRUE(store->value_counts(*store->schema().find("deposit_total")).empty());
}

TEST_F(ApiSurfaceData, PagesCarryTypedAndPrintedCellsAndTheRun) {
  ASSERT_TRUE(store);
  RunOptions o;
  o.want_ids = true;
  Page p = query("spot = 12").rows(1, 1, o);
  EXPECT_EQ(p.result.count, 3u);
  EXPECT_EQ(p.result.ids, (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(p.result.checksum, 7u);
  EXPECT_EQ(p.offset, 1u);
  ASSERT_EQ(p.rows.size(), 1u);
  ASSERT_EQ(p.text.size(), 1u);
  EXPECT_EQ(p.text[0][0], "2");
  Page past = query("spot = 12").rows(10, 5);
  EXPECT_EQ(past.offset, 3u);
  EXPECT_TRUE(past.rows.empty());
  // A tag holding `|` prints escaped in one cell and stays one value in the typed row.
  Page ab = query("client_id = 4").rows(0, 1);
  size_t tag_col = 0;
  for (size_t c = 0; c < ab.columns.size(); ++c)
    if (ab.columns[c] == "tags") tag_col = c;
  EXPECT_EQ(ab.text[0][tag_col], "A\\|B");
  EXPECT_EQ(std::get<std::vector<std::string>>(ab.rows[0][tag_col]), std::vector<std::string>{"A|B"});
  Result c = query("spot = 12").count();
  EXPECT_TRUE(c.ids.empty());  // only with want_ids
  EXPECT_EQ(c.rows_total, 5u);
}

TEST_F(ApiSurfaceData, ExplainNamesKernelsAndCosts) {
  ASSERT_TRUE(store);
  Explain e = query("spot = 12 and tag any (VIP)").explain();
  EXPECT_EQ(e.result.count, 1u);
  EXPECT_GE(e.blocks, 1u);
  EXPECT_EQ(e.threads, 1u);
  ASSERT_EQ(e.root.children.size(), 2u);
  bool range = false, tag = false;
  std::string kernels;
  for (const auto& k : e.root.children) {
    kernels += k.kernel + "; ";
    range |= k.kernel == "range, 2 bit planes";  // spot 12..14: offsets 0..2, two bits
    tag |= k.kernel == "any of 1 value";
    EXPECT_GT(k.estimated_cost, 0);
  }
  EXPECT_TRUE(range) << kernels;
  EXPECT_TRUE(tag) << kernels;
}

TEST(ApiSurface, CompletionUsesTheSchemaAndTheGrammarsTokens) {
  Schema crm = Schema::crm();
  Completion c = complete("stage = Active and sp", crm);
  EXPECT_EQ(c.start, 19u);
  EXPECT_EQ(c.word, "sp");
  EXPECT_EQ(c.matches, std::vector<std::string>{"spot"});
  EXPECT_EQ(complete("tag any (\"NOT R", crm).matches, std::vector<std::string>{"\"NOT REGISTERED\""});
  EXPECT_EQ(complete("stage <> A", crm).matches, std::vector<std::string>{"Active"});  // `<>` is an operator
  EXPECT_TRUE(complete("stage = Active -- a comment sp", crm).matches.empty());
  EXPECT_FALSE(complete("stage in (Act", crm).add_space);
  EXPECT_EQ(value_as_rule_text("NOT REGISTERED"), "\"NOT REGISTERED\"");
  EXPECT_EQ(value_as_rule_text("VIP"), "VIP");
  EXPECT_EQ(value_as_rule_text("and"), "\"and\"");  // a keyword is never a bare value
}

// A rule's top-level conditions, as canonical text in canonical order: an `and`'s parts, each
// printed on its own (an `or` among them without parentheses), or the rule whole. A `between`'s
// `and` is not one: the page's history split on ` and ` and cut it in two.
TEST(ApiSurface, ClausesAreTheTopLevelConditionsAsCanonicalText) {
  Schema crm = Schema::crm();
  EXPECT_EQ(Rule::compile("spot between 3 and 7 and stage = Active and (tag any (VIP) or spot = 5)", crm).clauses(),
            (std::vector<std::string>{"stage = Active", "tag any (VIP) or spot = 5", "spot between 3 and 7"}));
  EXPECT_EQ(Rule::compile("spot between 3 and 7", crm).clauses(), std::vector<std::string>{"spot between 3 and 7"});
  EXPECT_EQ(Rule::compile("spot = 1 or tag any (VIP)", crm).clauses(), std::vector<std::string>{"tag any (VIP) or spot = 1"});
  EXPECT_TRUE(Rule::compile("spot = ", crm).clauses().empty());
  // Each clause is rule text that compiles to itself.
  for (const std::string& c : Rule::compile("stage in (Active, Deposit) and last_active_at >= now - 30d and tag none (BLOCKED)", crm).clauses())
    EXPECT_EQ(Rule::compile(c, crm).canonical_text(), c);
}

// A key with a quote, a backslash or a control character is written as the printer writes it,
// wherever the library writes a key for a person to paste: value_as_rule_text, completion (in
// either quote), and a diagnostic's suggestion and fix. Each reads back as the same key.
// (The checker's suggestions quoted without escapes, `"Say "hi""`; found by a review.)
TEST(ApiSurface, KeysWithQuotesAndControlCharactersAreWrittenSoTheyReadBack) {
  std::vector<Diagnostic> d;
  auto schema = Schema::from_json(
      R"({"name":"t","id_field":"id","fields":[{"name":"id","type":"int"},)"
      R"({"name":"e","type":"enum","values":["Say \"hi\"","back\\slash","two\nlines","it's"]}]})",
      d);
  ASSERT_TRUE(schema) << (d.empty() ? "" : to_string(d[0]));
  for (std::string key : {"Say \"hi\"", "back\\slash", "two\nlines", "it's"}) {
    const std::string text = value_as_rule_text(key);
    Rule r = Rule::compile("e = " + text, *schema);
    ASSERT_TRUE(r.ok()) << text << ": " << to_string(r.diagnostics().at(0));
    EXPECT_EQ(r.canonical_text(), "e = " + text);  // the printer writes it the same way
    // Completed in an open string of either quote, the value reads back as the key.
    for (char q : {'"', '\''}) {
      Completion c = complete(std::string("e = ") + q + key.substr(0, 2), *schema);
      ASSERT_EQ(c.matches.size(), 1u) << key << " in " << q;
      Rule completed = Rule::compile("e = " + c.matches[0], *schema);
      ASSERT_TRUE(completed.ok()) << c.matches[0];
      EXPECT_EQ(completed.canonical_text(), "e = " + text) << c.matches[0];
    }
  }
  // A near miss of the quoted key: the suggestion and its fix are the key as written above.
  Rule wrong = Rule::compile(R"(e = "Say hi")", *schema);
  ASSERT_FALSE(wrong.ok());
  const Diagnostic& e202 = wrong.diagnostics().at(0);
  EXPECT_EQ(e202.code, "E202");
  ASSERT_TRUE(e202.fix.has_value()) << to_string(e202);
  EXPECT_EQ(*e202.fix, R"("Say \"hi\"")");
  std::string fixed = R"(e = "Say hi")";
  fixed.replace(e202.offset, e202.end_offset - e202.offset, *e202.fix);
  EXPECT_TRUE(Rule::compile(fixed, *schema).ok()) << fixed;
}

TEST(ApiSurface, ARuleOfTheFormsShapeShowsAsAFormOtherwiseWhyNot) {
  Schema crm = Schema::crm();
  Rule r = Rule::compile(R"({"title": "Top-up", "stages": ["Deposit"], "spot": 3, "tags": ["VIP"]})", crm, RuleFormat::Form);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.title(), "Top-up");
  EXPECT_FALSE(r.ir_tree().empty());
  std::string why;
  auto form = r.form_json(why);
  ASSERT_TRUE(form) << why;
  auto j = nlohmann::json::parse(*form);
  EXPECT_EQ(j["stages"], nlohmann::json::array({"Deposit"}));
  EXPECT_EQ(j["spot"], 3);
  // The title goes back out with the form (it was written as "", through export_as too: a review).
  EXPECT_EQ(j["title"], "Top-up");
  std::vector<Diagnostic> d;
  auto exported = r.export_as(RuleFormat::Form, d);
  ASSERT_TRUE(exported);
  EXPECT_EQ(nlohmann::json::parse(*exported)["title"], "Top-up");
  // Round trip: the form it shows compiles to the same rule.
  EXPECT_EQ(Rule::compile(*form, crm, RuleFormat::Form).hash(), r.hash());
  Rule other = Rule::compile("stage = Deposit or spot = 3", crm);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other.form_json(why));
  EXPECT_FALSE(why.empty());
}

}  // namespace
}  // namespace api_surface_test

namespace api_surface_test {
namespace {

// The operators the schema offers per field are exactly the ones the checker accepts: each
// offered one compiles, each withheld one is E301 (compiler/check.hpp operators_for).
TEST(ApiSurface, OperatorsOfferedAreExactlyTheOnesThatCompile) {
  Schema crm = Schema::crm();
  const std::vector<std::string> all = {"=", "!=", "<", "<=", ">", ">=", "between", "in", "not in",
                                        "is null", "is not null", "any", "all", "none"};
  for (const FieldInfo& f : crm.fields()) {
    std::string v;
    switch (f.type) {
      case FieldType::Int: v = "1"; break;
      case FieldType::Decimal: v = "1.00"; break;
      case FieldType::Timestamp: v = "2026-01-01"; break;
      case FieldType::Bool: v = "true"; break;
      case FieldType::String: v = "\"x\""; break;
      case FieldType::Enum:
      case FieldType::Set: v = value_as_rule_text(f.values.at(0).key); break;
    }
    for (const std::string& op : all) {
      std::string text;
      if (op == "between") text = f.name + " between " + v + " and " + v;
      else if (op == "in" || op == "not in" || op == "any" || op == "all" || op == "none")
        text = f.name + " " + op + " (" + v + ")";
      else if (op == "is null" || op == "is not null") text = f.name + " " + op;
      else text = f.name + " " + op + " " + v;
      bool offered = std::find(f.operators.begin(), f.operators.end(), op) != f.operators.end();
      Rule r = Rule::compile(text, crm);
      EXPECT_EQ(r.ok(), offered) << text << (r.diagnostics().empty() ? "" : ": " + to_string(r.diagnostics()[0]));
      if (!offered && !r.ok()) {
        EXPECT_EQ(r.diagnostics().at(0).code, "E301") << text;
      }
    }
  }
}

// Pages of members are slices of the id-ordered members, whether or not the data's ids come
// in row order (a page collects only up to its end: sorted ids stop early, others partially
// sort), and their count is always that of every member.
void expect_pages_are_slices(const std::string& csv, const char* label) {
  fs::path file = temp_file(fmt::format("pages_{}.csv", label), csv);
  std::vector<Diagnostic> d;
  auto store = Store::open(file.string(), Schema::crm(), d);
  ASSERT_TRUE(store) << (d.empty() ? "" : to_string(d[0]));
  for (const char* rule : {"spot > 3", "spot = 7", "tag any (VIP)", "stage = Active or spot < 2", "false"}) {
    auto q = Query::prepare(Rule::compile(rule, store->schema()), *store, d);
    ASSERT_TRUE(q) << rule;
    std::vector<int64_t> all = q->ids();
    for (uint64_t offset : {0u, 1u, 5u, 37u, 5000u})
      for (uint64_t limit : {0u, 1u, 10u, 100u, 3000u}) {
        Page p = q->rows(offset, limit);
        EXPECT_EQ(p.result.count, all.size()) << label << " " << rule;
        uint64_t first = std::min<uint64_t>(offset, all.size());
        uint64_t n = std::min<uint64_t>(limit, all.size() - first);
        ASSERT_EQ(p.rows.size(), n) << label << " " << rule << " " << offset << "+" << limit;
        for (uint64_t i = 0; i < n; ++i)
          EXPECT_EQ(std::get<int64_t>(p.rows[i][0]), all[first + i]) << label << " " << rule << " row " << i;
      }
  }
  fs::remove(file);
}

TEST(ApiSurface, PagesAreSlicesOfTheMembersWithIdsInAnyOrder) {
  std::string sorted = "client_id,player_id,spot,stage,tags,deposit_total,registered_at,last_active_at,country\n";
  std::string shuffled = sorted;
  const char* stages[] = {"NotProcessed", "Active", "Deposit", "Registration"};
  std::vector<int> ids(3000);
  for (int i = 0; i < 3000; ++i) ids[i] = i + 1;
  std::mt19937 rng(7);
  std::vector<int> perm = ids;
  std::shuffle(perm.begin(), perm.end(), rng);
  auto row = [&](int id) {
    return fmt::format("{},{},{},{},{},1.00,2025-01-01T00:00:00Z,,DE\n", id * 3, 1000 + id, id % 11, stages[id % 4],
                       id % 5 == 0 ? "VIP" : "REGISTERED");
  };
  for (int id : ids) sorted += row(id);
  for (int id : perm) shuffled += row(id);
  expect_pages_are_slices(sorted, "sorted");
  expect_pages_are_slices(shuffled, "shuffled");
}

// A member cursor hands out exactly the members ids() has (above `after`), in id order, in
// reads of any size, across evaluation batches of 1 and 16 blocks, with the ids of the store
// in row order (batch by batch) or not (all at once). Kept small: it runs under ASan in CI.
TEST(ApiSurface, AMemberCursorReadsExactlyTheMembersInIdOrder) {
  const char* stages[] = {"NotProcessed", "Active", "Deposit", "Registration"};
  auto csv = [&](const std::vector<int>& order) {
    std::string out = "client_id,player_id,spot,stage,tags,deposit_total,registered_at,last_active_at,country\n";
    for (int id : order)
      out += fmt::format("{},{},{},{},{},1.00,2025-01-01T00:00:00Z,,DE\n", id * 3, 1000 + id, id % 11, stages[id % 4],
                         id % 5 == 0 ? "VIP" : "REGISTERED");
    return out;
  };
  // 150,000 rows are three blocks of 65,536; the shuffled store has two.
  std::vector<int> sorted_ids(150000), shuffled_ids(70000);
  for (size_t i = 0; i < sorted_ids.size(); ++i) sorted_ids[i] = static_cast<int>(i) + 1;
  for (size_t i = 0; i < shuffled_ids.size(); ++i) shuffled_ids[i] = static_cast<int>(i) + 1;
  std::mt19937 rng(11);
  std::shuffle(shuffled_ids.begin(), shuffled_ids.end(), rng);
  for (const auto& [label, order] : {std::pair{"sorted", sorted_ids}, std::pair{"shuffled", shuffled_ids}}) {
    std::string file = temp_file(std::string("cursor_") + label + ".csv", csv(order));
    std::vector<Diagnostic> d;
    auto store = Store::open(file, Schema::crm(), d);
    ASSERT_TRUE(store) << label;
    const size_t spot = *store->schema().find("spot"), client = *store->schema().find("client_id");
    // Batches only matter with ids in row order; shuffled ones are read all at once.
    for (uint64_t batch : std::string(label) == "sorted" ? std::vector<uint64_t>{1, 16} : std::vector<uint64_t>{16}) {
      internal::set_member_batch_blocks(batch);
      for (const char* rule : {"spot > 3", "spot = 7 and stage = Active", "false"}) {
        auto q = Query::prepare(Rule::compile(rule, store->schema()), *store, d);
        ASSERT_TRUE(q) << rule;
        const std::vector<int64_t> all = q->ids();
        for (std::optional<int64_t> after : {std::optional<int64_t>{}, std::optional<int64_t>{200001},
                                              std::optional<int64_t>{all.empty() ? 0 : all.back()}}) {
          std::vector<int64_t> want;
          for (int64_t id : all)
            if (!after || id > *after) want.push_back(id);
          if (after) {
            EXPECT_EQ(q->count_after(*after), want.size()) << label << " " << rule << " after " << *after;
          }
          for (size_t max : {size_t{1000}, size_t{70000}, size_t{1} << 20}) {
            if (max == 1000 && (batch != 1 || after)) continue;  // small reads once
            MemberCursor c = q->members({}, after);
            std::vector<int64_t> got;
            for (std::vector<int64_t> part; !(part = c.next_ids(max)).empty();) {
              EXPECT_LE(part.size(), max);
              got.insert(got.end(), part.begin(), part.end());
            }
            EXPECT_TRUE(c.done());
            EXPECT_EQ(got, want) << label << " batch " << batch << " " << rule << " max " << max;
          }
          // Pages of the columns asked for, in that order (spot, then client_id).
          MemberCursor rows = q->members({}, after);
          std::vector<int64_t> by_rows;
          for (Page p; !(p = rows.next_rows(50000, {spot, client})).rows.empty();) {
            EXPECT_EQ(p.columns, (std::vector<std::string>{"spot", "client_id"}));
            for (size_t r = 0; r < p.rows.size(); ++r) {
              int64_t id = std::get<int64_t>(p.rows[r][1]);
              by_rows.push_back(id);
              EXPECT_EQ(std::get<int64_t>(p.rows[r][0]), id / 3 % 11);  // spot = n % 11, client_id = 3 n
              EXPECT_EQ(p.text[r][1], std::to_string(id));
            }
          }
          EXPECT_EQ(by_rows, want) << label << " batch " << batch << " " << rule << " rows";
        }
      }
      // Without columns, a page has Query::rows's: the id field first, then the others.
      auto q = Query::prepare(Rule::compile("spot = 7", store->schema()), *store, d);
      // count_after at the edges: everyone above the smallest int64, nobody above the largest.
      EXPECT_EQ(q->count_after(INT64_MIN), q->count().count);
      EXPECT_EQ(q->count_after(INT64_MAX), 0u);
      Page p = q->members().next_rows(3);
      ASSERT_EQ(p.rows.size(), 3u);
      EXPECT_EQ(p.columns, q->rows(0, 3).columns);
      EXPECT_EQ(p.text, q->rows(0, 3).text);
      // A position past the schema is said, not left out of the page (0.8.0).
      const size_t past = store->schema().fields().size();
      MemberCursor bad = q->members();
      EXPECT_THROW(bad.next_rows(3, {spot, past}), std::out_of_range);
      EXPECT_EQ(bad.next_rows(3, {spot}).rows.size(), 3u);  // the cursor goes on from where it was
    }
    internal::set_member_batch_blocks(16);
  }
}
// A leading byte order mark is no column and no space under which a caret would go (a
// review found the caret one column right of what it marked, and the column one too many).
TEST(ApiSurface, AByteOrderMarkMovesNeitherTheColumnNorTheCaret) {
  const std::string text = "\xEF\xBB\xBFstage = Active and stgae = 1";
  Rule r = Rule::compile(text, Schema::crm());
  ASSERT_EQ(r.diagnostics().size(), 1u);
  EXPECT_EQ(r.diagnostics()[0].column, 20u);
  const std::string shown = render_text(r.diagnostics(), "rule", text, false);
  EXPECT_NE(shown.find("\n   |                    ^~~~~\n"), std::string::npos) << shown;
}

}  // namespace
}  // namespace api_surface_test
