// Exporting to react-querybuilder and JsonLogic: what each part becomes, what is refused
// (E620), and that our own importers read every export back to the same IR. The builders' own
// code checks the same on random rules in tools/test_builders.sh.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/export.hpp"
#include "adapters/import.hpp"
#include "compiler/compile.hpp"
#include "compiler/ir_json.hpp"
#include "schema/schema.hpp"
#include "seg/seg.hpp"
#include "tests/support/schema.hpp"

namespace seg {
namespace {

using seg::testing::S;

std::string out(const std::string& rule, ExportFormat f, std::optional<int64_t> now = {}) {
  Compiled c = compile_rule(rule, S());
  EXPECT_TRUE(c.ir) << rule;
  Diagnostics d;
  ExportOptions o;
  o.now = now;
  auto doc = export_rule(*c.ir, f, S(), d, o);
  EXPECT_TRUE(doc) << rule << "\n" << render_text(d.list(), "export", "");
  if (!doc) return "";
  // Read back by our importer: the same IR.
  auto back = import_rule(*doc, f == ExportFormat::JsonLogic ? ImportFormat::JsonLogic : ImportFormat::QueryBuilder, S(), d);
  EXPECT_TRUE(back) << *doc;
  if (back && !now) {
    optimize(*back, S(), d);
    EXPECT_TRUE(ir::equal(*back, *c.ir)) << rule << "\n" << *doc << "\n" << ir::print_rule(*back, S());
  }
  return *doc;
}

TEST(ExportJsonLogic, EachPart) {
  EXPECT_EQ(out("stage in (Deposit, Active) and spot = 12", ExportFormat::JsonLogic),
            R"({"and":[{"in":[{"var":"stage"},["Deposit","Active"]]},{"==":[{"var":"spot"},12]}]})");
  EXPECT_EQ(out("tag any (VIP, REGISTERED)", ExportFormat::JsonLogic),
            R"({"some":[{"var":"tags"},{"in":[{"var":""},["REGISTERED","VIP"]]}]})");
  // JsonLogic's all is a subset test: "has both" is one membership each.
  EXPECT_EQ(out("tag all (VIP, REGISTERED)", ExportFormat::JsonLogic),
            R"({"and":[{"in":["REGISTERED",{"var":"tags"}]},{"in":["VIP",{"var":"tags"}]}]})");
  EXPECT_EQ(out("tag none (BLOCKED)", ExportFormat::JsonLogic), R"({"none":[{"var":"tags"},{"in":[{"var":""},["BLOCKED"]]}]})");
  // Exact decimals as JSON numbers; a whole one without ".0".
  EXPECT_EQ(out("deposit_total between 10.5 and 100", ExportFormat::JsonLogic),
            R"({"<=":[10.5,{"var":"deposit_total"},100]})");
  // A decimal a double cannot hold goes as a string, which reads back exactly.
  EXPECT_EQ(out("deposit_total = 90071992547409.93", ExportFormat::JsonLogic),
            R"({"==":[{"var":"deposit_total"},"90071992547409.93"]})");
  // Whole numbers past 2^53 go as strings too: JavaScript reads 9007199254740993 as ...992,
  // another client. 2^53 itself is exact. (out() reads each back to the same IR.)
  EXPECT_EQ(out("client_id in (9007199254740992, 9007199254740993, -9007199254740993)", ExportFormat::JsonLogic),
            R"({"in":[{"var":"client_id"},["-9007199254740993",9007199254740992,"9007199254740993"]]})");
  EXPECT_EQ(out("player = 9007199254740993", ExportFormat::QueryBuilder),
            R"({"combinator":"and","rules":[{"field":"player_id","operator":"=","value":"9007199254740993"}]})");
  EXPECT_EQ(out("deposit_total = 92233720368547758", ExportFormat::JsonLogic),
            R"({"==":[{"var":"deposit_total"},"92233720368547758"]})");
  EXPECT_EQ(out("registered_at >= 2026-10-01", ExportFormat::JsonLogic),
            R"({">=":[{"var":"registered_at"},"2026-10-01T00:00:00Z"]})");
}

TEST(ExportJsonLogic, NullsKeepSeqsMeaning) {
  // seg's != is false without a value; JsonLogic's is true: the export says "not null" too.
  EXPECT_EQ(out("country != DE", ExportFormat::JsonLogic),
            R"({"and":[{"!=":[{"var":"country"},null]},{"!":{"==":[{"var":"country"},"DE"]}}]})");
  // seg's `not country = DE` is JsonLogic's own !=.
  EXPECT_EQ(out("not country = DE", ExportFormat::JsonLogic), R"({"!=":[{"var":"country"},"DE"]})");
  // JavaScript reads null as 0 in an ordering: guarded on a nullable field, not on others.
  EXPECT_EQ(out("last_active_at < 2026-01-01", ExportFormat::JsonLogic),
            R"({"and":[{"!=":[{"var":"last_active_at"},null]},{"<=":[{"var":"last_active_at"},"2025-12-31T23:59:59Z"]}]})");
  EXPECT_EQ(out("spot < 5", ExportFormat::JsonLogic), R"({"<=":[{"var":"spot"},4]})");
  EXPECT_EQ(out("country is null", ExportFormat::JsonLogic), R"({"==":[{"var":"country"},null]})");
}

TEST(ExportQueryBuilder, EachPart) {
  EXPECT_EQ(out("stage in (Deposit, Active) and spot = 12", ExportFormat::QueryBuilder),
            R"({"combinator":"and","rules":[{"field":"stage","operator":"in","value":["Deposit","Active"]},)"
            R"({"field":"spot","operator":"=","value":12}]})");
  // One rule is still a group, as the builder's query always is.
  EXPECT_EQ(out("tag any (VIP)", ExportFormat::QueryBuilder),
            R"({"combinator":"and","rules":[{"field":"tags","operator":"=","match":{"mode":"some"},)"
            R"("value":{"combinator":"and","rules":[{"field":"","operator":"in","value":["VIP"]}]}}]})");
  EXPECT_EQ(out("not (spot = 1 or stage = Deposit)", ExportFormat::QueryBuilder),
            R"({"combinator":"and","rules":[{"field":"stage","operator":"!=","value":"Deposit"},)"
            R"({"field":"spot","operator":"!=","value":1}]})");
  EXPECT_EQ(out("country != DE", ExportFormat::QueryBuilder),
            R"({"combinator":"and","rules":[{"field":"country","operator":"notNull","value":null},)"
            R"({"field":"country","operator":"!=","value":"DE"}]})");
  EXPECT_EQ(out("not country in (DE, AT)", ExportFormat::QueryBuilder),
            R"({"combinator":"and","rules":[{"field":"country","operator":"notIn","value":["DE","AT"]}]})");
}

// What a review of the exports against the builders' own code found (react-querybuilder's
// formatQuery and parseJsonLogic, json-logic-js), on a schema with what the CRM's lacks: a
// nullable int, a decimal of scale 9, a string, an open set. Each export is read back by our
// importer to the same IR (out_in below), and its shape is what the builders read right.
TEST(Export, WhatTheBuildersOwnCodeMisreadIsWrittenSoItReadsRight) {
  Diagnostics sd;
  auto schema = parse_schema_json(R"({"name":"r","id_field":"id","fields":[{"name":"id","type":"int"},
      {"name":"n","type":"int","nullable":true},{"name":"d9","type":"decimal","scale":9,"nullable":true},
      {"name":"s","type":"string","nullable":true},{"name":"tags","type":"set","open":true,"values":["VIP"]}]})",
                                  sd);
  ASSERT_TRUE(schema);
  auto out_in = [&](const std::string& rule, ExportFormat f) {
    Compiled c = compile_rule(rule, *schema);
    EXPECT_TRUE(c.ir) << rule;
    if (!c.ir) return std::string();
    Diagnostics d;
    auto doc = export_rule(*c.ir, f, *schema, d, {});
    EXPECT_TRUE(doc) << rule;
    if (!doc) return std::string();
    auto back = import_rule(*doc, f == ExportFormat::JsonLogic ? ImportFormat::JsonLogic : ImportFormat::QueryBuilder, *schema, d);
    EXPECT_TRUE(back) << *doc;
    if (back) {
      optimize(*back, *schema, d);
      EXPECT_TRUE(ir::equal(*back, *c.ir)) << rule << "\n" << *doc << "\n" << ir::print_rule(*back, *schema);
    }
    return *doc;
  };
  // notBetween is `!(a <= n <= b)` in the builder's JsonLogic, where null reads as 0, and NOT
  // BETWEEN in its SQL, false on null: the clients with no value are said beside it.
  EXPECT_EQ(out_in("not n between -1 and 1", ExportFormat::QueryBuilder),
            R"({"combinator":"or","rules":[{"field":"n","operator":"null","value":null},)"
            R"({"field":"n","operator":"notBetween","value":[-1,1]}]})");
  // Small decimals are JSON numbers (their shortest form has an exponent): as strings they
  // never equalled a number in the builders' `in`.
  EXPECT_EQ(out_in("d9 in (0.000000001, 0.000033448, 0.5)", ExportFormat::JsonLogic),
            R"({"in":[{"var":"d9"},[1e-09,3.3448e-05,0.5]]})");
  // The builder trims each value of a list (not a single one): such a list is one `=` a value.
  EXPECT_EQ(out_in(R"(s in ("a ", "  "))", ExportFormat::QueryBuilder),
            R"({"combinator":"or","rules":[{"field":"s","operator":"=","value":"  "},{"field":"s","operator":"=","value":"a "}]})");
  EXPECT_EQ(out_in("not s in (\"a\", \"\u00a0b\")", ExportFormat::QueryBuilder),
            "{\"combinator\":\"and\",\"rules\":[{\"field\":\"s\",\"operator\":\"!=\",\"value\":\"a\"},"
            "{\"field\":\"s\",\"operator\":\"!=\",\"value\":\"\u00a0b\"}]}");
  EXPECT_EQ(out_in(R"(s in ("a", "b c"))", ExportFormat::QueryBuilder),
            R"({"combinator":"and","rules":[{"field":"s","operator":"in","value":["a","b c"]}]})");
  // In JsonLogic too, since the querybuilder's parseJsonLogic joins a list with commas (an
  // empty value, or one holding a comma, is lost or split there as well).
  EXPECT_EQ(out_in(R"(s in ("a ", "b"))", ExportFormat::JsonLogic), R"({"or":[{"==":[{"var":"s"},"a "]},{"==":[{"var":"s"},"b"]}]})");
  EXPECT_EQ(out_in(R"(s in ("", "x,y"))", ExportFormat::QueryBuilder),
            R"({"combinator":"or","rules":[{"field":"s","operator":"=","value":""},{"field":"s","operator":"=","value":"x,y"}]})");
  // What parseJsonLogic makes of a list of small decimals: one string, exponents kept.
  Diagnostics di;
  auto joined = import_rule(R"({"combinator":"and","rules":[{"field":"d9","operator":"in","value":"1e-9,0.000033448"}]})",
                            ImportFormat::QueryBuilder, *schema, di);
  ASSERT_TRUE(joined) << render_text(di.list(), "import", "");
  EXPECT_EQ(ir::print_rule(*joined, *schema), "d9 in (0.000000001, 0.000033448)");
  // Tags the dictionary does not have are told apart as rule text tells them (data may hold
  // Foo and foo as two tags): the match subquery's import kept one of them.
  EXPECT_NE(out_in("tags any (Foo, foo)", ExportFormat::QueryBuilder).find(R"(["Foo","foo"])"), std::string::npos);
  // A field alone as a JsonLogic condition is truthiness, said as such.
  Diagnostics d;
  EXPECT_FALSE(import_rule(R"({"and":[{"var":"n"},{"==":[{"var":"id"},1]}]})", ImportFormat::JsonLogic, *schema, d));
  ASSERT_FALSE(d.list().empty());
  EXPECT_EQ(d.list()[0].json_path, "/and/0/var");
  EXPECT_NE(d.list()[0].message.find("a field alone"), std::string::npos) << d.list()[0].message;
}

TEST(Export, ARuleThatIsAlwaysTrueOrFalseSurvivesTheBuildersParsers) {
  // Both builders' parsers read a literal true or false, or an empty group, as an empty group.
  EXPECT_EQ(out("spot = 1 or spot != 1", ExportFormat::JsonLogic), R"({"!=":[{"var":"client_id"},null]})");
  EXPECT_EQ(out("spot = 1 and spot = 2", ExportFormat::QueryBuilder),
            R"({"combinator":"and","rules":[{"field":"client_id","operator":"null","value":null}]})");
}

// Bounds at the ends of the years a timestamp holds (0000-9999): a strict one past them is past
// every value, never a time of year 10000 or -1 that no reader takes back (found by a review).
// Each rule's IR JSON reads back, and its exports read back to the same IR (out() checks).
TEST(Export, TimesAtTheEndsOfTheYearsReadBack) {
  for (const char* rule : {"registered_at > 9999-12-31", "registered_at < 0000-01-01",
                           "registered_at > 9999-12-31T23:59:59Z", "registered_at < 0000-01-01T00:00:00Z",
                           "registered_at >= 9999-12-31T23:59:59Z or last_active_at <= 0000-01-01",
                           "not (registered_at <= 9999-12-31) and spot = 1"}) {
    Compiled c = compile_rule(rule, S());
    ASSERT_TRUE(c.ir) << rule;
    Diagnostics d;
    std::string json = ir_to_json(*c.ir, S());
    EXPECT_EQ(json.find("10000-"), std::string::npos) << json;
    EXPECT_EQ(json.find("\"-0"), std::string::npos) << json;
    auto back = ir_from_json(json, S(), d);
    ASSERT_TRUE(back) << rule << "\n" << json << "\n" << render_text(d.list(), "json", "");
    EXPECT_TRUE(ir::equal(*back, *c.ir)) << rule;
    out(rule, ExportFormat::JsonLogic);
    out(rule, ExportFormat::QueryBuilder);
  }
  // A builder's own `>` the last second (or `<` the first) reads as nobody, with no made-up time.
  for (const char* doc : {R"({"rules":[{"field":"registered_at","operator":">","value":"9999-12-31"}]})",
                          R"({"rules":[{"field":"registered_at","operator":"<","value":"0000-01-01T00:00:00Z"}]})"}) {
    Diagnostics d;
    auto node = import_rule(doc, ImportFormat::QueryBuilder, S(), d);
    ASSERT_TRUE(node) << doc << "\n" << render_text(d.list(), "json", "");
    std::string json = ir_to_json(*node, S());
    Diagnostics d2;
    EXPECT_TRUE(ir_from_json(json, S(), d2)) << json;
  }
}

TEST(Export, NowIsRefusedUnlessFixed) {
  Compiled c = compile_rule("last_active_at >= now - 30d and spot = 3", S());
  ASSERT_TRUE(c.ir);
  for (auto f : {ExportFormat::JsonLogic, ExportFormat::QueryBuilder}) {
    Diagnostics d;
    EXPECT_FALSE(export_rule(*c.ir, f, S(), d));
    ASSERT_EQ(d.list().size(), 1u);
    EXPECT_EQ(d.list()[0].code, "E620");
    EXPECT_NE(d.list()[0].message.find("`last_active_at >= now - 30d`"), std::string::npos) << d.list()[0].message;
  }
  EXPECT_EQ(out("last_active_at >= now - 30d", ExportFormat::JsonLogic, 1790000000),
            R"({"and":[{"!=":[{"var":"last_active_at"},null]},{">=":[{"var":"last_active_at"},"2026-08-22T14:13:20Z"]}]})");
}

// At a `now` that puts a bound outside the years 0000-9999, the bound is past every value a
// timestamp can hold: that side is open, or the test holds for nobody. It was refused (E620),
// and before that written as a timestamp no reader takes (found by two reviews). Each export
// reads back, through the same importer, as the rule evaluated at that `now`.
TEST(Export, ANowBoundOutsideTheWritableYearsIsOpenOrNobody) {
  const int64_t now = 1793491200;  // 2026-11-01
  struct Case {
    const char* rule;
    const char* same_as;  // what it means at `now`
  };
  for (const Case& k : {Case{"registered_at > now - 521000w and spot = 3", "spot = 3"},
                        Case{"registered_at < now + 521000w", "true"},
                        Case{"last_active_at <= now - 3650000d", "false"},
                        Case{"last_active_at >= now - 3650000d", "last_active_at is not null"},
                        Case{"not last_active_at <= now - 3650000d", "true"},
                        Case{"not (last_active_at between now - 3650000d and now + 3650000d)", "last_active_at is null"},
                        Case{"last_active_at between now - 3650000d and now - 30d", "last_active_at <= 2026-10-02T00:00:00Z"}}) {
    Compiled c = compile_rule(k.rule, S());
    ASSERT_TRUE(c.ir) << k.rule;
    Compiled want = compile_rule(k.same_as, S());
    ASSERT_TRUE(want.ir) << k.same_as;
    for (auto f : {ExportFormat::JsonLogic, ExportFormat::QueryBuilder}) {
      Diagnostics d;
      ExportOptions o;
      o.now = now;
      auto doc = export_rule(*c.ir, f, S(), d, o);
      ASSERT_TRUE(doc) << k.rule << ": " << (d.list().empty() ? "" : d.list()[0].message);
      Diagnostics back;
      auto ir = import_rule(*doc, f == ExportFormat::JsonLogic ? ImportFormat::JsonLogic : ImportFormat::QueryBuilder, S(), back);
      ASSERT_TRUE(ir) << *doc;
      optimize(*ir, S(), back);
      EXPECT_TRUE(ir::equal(*ir, *want.ir)) << k.rule << " -> " << *doc << " -> " << ir::print_rule(*ir, S());
    }
  }
}

TEST(Export, InTheLibrary) {
  api::Schema schema = api::Schema::crm();
  api::Rule rule = api::Rule::compile("stage = Deposit and last_active_at >= now - 1d", schema);
  ASSERT_TRUE(rule.ok());
  std::vector<api::Diagnostic> d;
  EXPECT_FALSE(rule.export_as(api::RuleFormat::JsonLogic, d));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].code, "E620");
  // At the part's place in the rule text, as the compiler's diagnostics are.
  EXPECT_EQ(d[0].subject, api::Subject::Rule);
  EXPECT_EQ(d[0].source, "<rule>");
  EXPECT_EQ(d[0].line, 1u);
  EXPECT_EQ(d[0].column, 21u);  // `last_active_at >= now - 1d`
  EXPECT_EQ(d[0].end_column, 47u);
  // A rule the form cannot show: under the part that does not fit, or the whole rule when it
  // lacks what the form needs (tags); a rule from JSON has no text to point into.
  struct Misfit {
    const char* rule;
    uint32_t column, end_column;
  };
  for (const Misfit& m : {Misfit{"tag any (VIP) and\n  spot > 3", 3, 11}, Misfit{"stage = Active", 1, 15}}) {
    d.clear();
    EXPECT_FALSE(api::Rule::compile(m.rule, schema).export_as(api::RuleFormat::Form, d)) << m.rule;
    ASSERT_EQ(d.size(), 1u) << m.rule;
    EXPECT_EQ(d[0].code, "E620");
    EXPECT_EQ(d[0].line, m.column == 3 ? 2u : 1u) << m.rule;
    EXPECT_EQ(d[0].column, m.column) << m.rule;
    EXPECT_EQ(d[0].end_column, m.end_column) << m.rule;
    const std::string shown = api::render_text(d, "<rule>", m.rule);
    EXPECT_NE(shown.find(m.column == 3 ? "  ^~~~~~~~" : "^~~~~~~~~~~~~~"), std::string::npos) << shown;
  }
  d.clear();
  EXPECT_FALSE(api::Rule::compile(R"({"combinator":"and","rules":[{"field":"spot","operator":">","value":3}]})", schema,
                                  api::RuleFormat::QueryBuilder)
                   .export_as(api::RuleFormat::Form, d));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].code, "E620");
  EXPECT_EQ(d[0].subject, api::Subject::Json);
  d.clear();
  api::ExportOptions o;
  o.now = 1790000000;
  auto doc = rule.export_as(api::RuleFormat::QueryBuilder, d, o);
  ASSERT_TRUE(doc);
  api::Rule back = api::Rule::compile(*doc, schema, api::RuleFormat::QueryBuilder);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.canonical_text(), "stage = Deposit and last_active_at >= 2026-09-20T14:13:20Z");
  // The other formats through the same call.
  EXPECT_EQ(*rule.export_as(api::RuleFormat::Text, d), rule.canonical_text());
  EXPECT_EQ(*rule.export_as(api::RuleFormat::IrJson, d), rule.ir_json());
  EXPECT_FALSE(api::Rule::compile("spot = 1 or stage = Deposit", schema).export_as(api::RuleFormat::Form, d));
}

}  // namespace
}  // namespace seg
