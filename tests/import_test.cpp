// Importing react-querybuilder and JsonLogic documents: the same IR as the rule text they mean,
// and diagnostics at the path of the imported document.
#include <gtest/gtest.h>

#include "compiler/compile.hpp"
#include "adapters/import.hpp"
#include "tests/support/schema.hpp"

namespace seg {
namespace {

using seg::testing::S;

void expect_same(const std::string& doc, ImportFormat fmt, const std::string& rule) {
  Diagnostics d;
  auto ir = import_rule(doc, fmt, S(), d);
  ASSERT_TRUE(ir) << doc << "\n" << render_text(d.list(), "doc", "");
  optimize(*ir, S(), d);
  Compiled c = compile_rule(rule, S());
  ASSERT_TRUE(c.ir) << rule;
  EXPECT_TRUE(ir::equal(*ir, *c.ir)) << doc << "\n got:  " << ir::print_rule(*ir, S()) << "\n want: "
                                     << ir::print_rule(*c.ir, S());
}

TEST(ImportQueryBuilder, Q1AsTheBuilderSendsIt) {
  expect_same(R"({"combinator":"and","rules":[
      {"field":"stage","operator":"in","value":"NotProcessed,Registration"},
      {"field":"tags","operator":"in","value":["REGISTERED"]},
      {"field":"spot","operator":"=","value":"12"}]})",
              ImportFormat::QueryBuilder, "stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12");
}

TEST(ImportQueryBuilder, GroupsNotBetweenAndNulls) {
  expect_same(R"({"combinator":"or","not":true,"rules":[
      {"field":"deposit_total","operator":"between","value":["10","20.5"]},
      {"field":"country","operator":"null"},
      {"combinator":"and","rules":[{"field":"spot","operator":">","value":"3"},{"field":"tags","operator":"notIn","value":"VIP"}]}]})",
              ImportFormat::QueryBuilder,
              "not (deposit_total between 10 and 20.5 or country is null or (spot > 3 and tag none (VIP)))");
  expect_same(R"({"combinator":"and","rules":[{"field":"deposit_total","operator":">","value":"500"},
      {"field":"last_active_at","operator":">=","value":"2026-10-01"}]})",
              ImportFormat::QueryBuilder, "deposit_total > 500 and last_active_at >= 2026-10-01");
}

TEST(ImportQueryBuilder, ErrorsNameTheDocumentPath) {
  Diagnostics d;
  EXPECT_FALSE(import_rule(R"({"combinator":"and","rules":[{"field":"spot","operator":"=","value":"12"},
      {"field":"stage","operator":"in","value":"Deposit,Actve"}]})",
                           ImportFormat::QueryBuilder, S(), d));
  ASSERT_EQ(d.list().size(), 1u);
  EXPECT_EQ(d.list()[0].code, "E202");
  // The value is one string ("Deposit,Actve"): the path names it, the message the bad item.
  EXPECT_EQ(d.list()[0].json_path, "/rules/1/value");
  Diagnostics d2;
  EXPECT_FALSE(import_rule(R"({"rules":[{"field":"stage","operator":"contains","value":"x"}]})", ImportFormat::QueryBuilder,
                           S(), d2));
  ASSERT_EQ(d2.list().size(), 1u);
  EXPECT_EQ(d2.list()[0].json_path, "/rules/0/operator");
}

TEST(ImportJsonLogic, Q1AndQ3) {
  expect_same(R"({"and":[{"in":[{"var":"stage"},["NotProcessed","Registration"]]},{"in":["REGISTERED",{"var":"tags"}]},
      {"==":[{"var":"spot"},12]}]})",
              ImportFormat::JsonLogic, "stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12");
  expect_same(R"({"and":[{"or":[{"in":[{"var":"stage"},["Deposit","Active"]]},{">":[{"var":"deposit_total"},"500"]}]},
      {"and":[{"in":["VIP",{"var":"tags"}]},{"in":["Top-up",{"var":"tags"}]}]},{"none":[{"var":"tags"},{"in":[{"var":""},["BLOCKED"]]}]},
      {">=":[{"var":"last_active_at"},"2026-10-01T00:00:00Z"]},{"in":[{"var":"country"},["DE","AT","CH"]]}]})",
              ImportFormat::JsonLogic,
              "(stage in (Deposit, Active) or deposit_total > 500) and tag all (VIP, \"Top-up\") and tag none (BLOCKED) "
              "and last_active_at >= 2026-10-01 and country in (DE, AT, CH)");
}

TEST(ImportJsonLogic, BetweenNegationNullAndReversedOperands) {
  expect_same(R"({"<=":[10,{"var":"spot"},20]})", ImportFormat::JsonLogic, "spot between 10 and 20");
  expect_same(R"({">":[20,{"var":"spot"},10]})", ImportFormat::JsonLogic, "spot between 11 and 19");
  expect_same(R"({"!":{"==":[{"var":"last_active_at"},null]}})", ImportFormat::JsonLogic, "last_active_at is not null");
  expect_same(R"({"<":[5,{"var":"spot"}]})", ImportFormat::JsonLogic, "spot > 5");
  expect_same(R"({"some":[{"var":"tag"},{"in":[{"var":""},["VIP"]]}]})", ImportFormat::JsonLogic, "tag any (VIP)");
}

TEST(ImportJsonLogic, UnsupportedOperatorSuggests) {
  Diagnostics d;
  EXPECT_FALSE(import_rule(R"({"and":[{"=":[{"var":"spot"},1]}]})", ImportFormat::JsonLogic, S(), d));
  ASSERT_EQ(d.list().size(), 1u);
  EXPECT_EQ(d.list()[0].json_path, "/and/0/=");
  EXPECT_EQ(d.list()[0].suggestion, "did you mean '=='?");
}

TEST(ImportJsonLogic, ValueErrorsNameTheDocumentPath) {
  Diagnostics d;
  EXPECT_FALSE(import_rule(R"({"or":[{"==":[{"var":"spot"},1]},{"in":[{"var":"country"},["DE","Atlantis"]]}]})",
                           ImportFormat::JsonLogic, S(), d));
  ASSERT_EQ(d.list().size(), 1u);
  EXPECT_EQ(d.list()[0].json_path, "/or/1/in/1/1");
}

}  // namespace
}  // namespace seg

namespace seg {
namespace {

std::vector<Diagnostic> import_errors(const std::string& doc, ImportFormat fmt) {
  Diagnostics d;
  EXPECT_FALSE(import_rule(doc, fmt, S(), d)) << doc;
  return d.list();
}

TEST(ImportNumbers, DecimalsAsJsonNumbersAreReadFromTheirText) {
  expect_same(R"({"<=":[{"var":"deposit_total"},100.5]})", ImportFormat::JsonLogic, "deposit_total <= 100.5");
  expect_same(R"({"==":[{"var":"deposit_total"},0.1]})", ImportFormat::JsonLogic, "deposit_total = 0.1");
  expect_same(R"({">=":[{"var":"deposit_total"},100.50]})", ImportFormat::JsonLogic, "deposit_total >= 100.5");
  expect_same(R"({">=":[{"var":"deposit_total"},1e2]})", ImportFormat::JsonLogic, "deposit_total >= 100");
  expect_same(R"({">=":[{"var":"deposit_total"},1.5E-1]})", ImportFormat::JsonLogic, "deposit_total >= 0.15");
  // 90071992547409.93 is not a double: read through one it would be ...409.94.
  expect_same(R"({"combinator":"and","rules":[{"field":"deposit_total","operator":"=","value":90071992547409.93}]})",
              ImportFormat::QueryBuilder, "deposit_total = 90071992547409.93");
  expect_same(R"({"combinator":"and","rules":[{"field":"deposit_total","operator":"between","value":[10,100.5]}]})",
              ImportFormat::QueryBuilder, "deposit_total between 10 and 100.5");
  // Strict bounds step one unit of the scale.
  expect_same(R"({">":[{"var":"deposit_total"},100.5]})", ImportFormat::JsonLogic, "deposit_total >= 100.51");
  // More digits than the field's scale: the diagnostic rule text gets, at the number's path.
  auto e = import_errors(R"({"==":[{"var":"deposit_total"},100.505]})", ImportFormat::JsonLogic);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].code, "E303");
  EXPECT_EQ(e[0].json_path, "/==/1");
  EXPECT_EQ(compile_rule("deposit_total = 100.505", S()).diags.list().at(0).code, "E303");
  EXPECT_EQ(import_errors(R"({"==":[{"var":"deposit_total"},1e300]})", ImportFormat::JsonLogic).at(0).code, "E305");
}

// JSON has one kind of number: 12.0 and 1e1 on an integer field are 12 and 10, as the strings
// "12.0" and "10" and the rule text `spot = 12.0` are; 12.5 is refused as "12.5" is (a review
// found the number 12.0 refused where the string "12.0" was taken).
TEST(ImportNumbers, IntegralNumbersOnIntegerFieldsAreTheirIntegers) {
  expect_same(R"({"==":[{"var":"spot"},12.0]})", ImportFormat::JsonLogic, "spot = 12");
  expect_same(R"({"==":[{"var":"spot"},"12.0"]})", ImportFormat::JsonLogic, "spot = 12");
  expect_same(R"({">":[{"var":"spot"},1e1]})", ImportFormat::JsonLogic, "spot >= 11");
  expect_same(R"({"combinator":"and","rules":[{"field":"spot","operator":"between","value":[1.0,5.00]}]})",
              ImportFormat::QueryBuilder, "spot between 1 and 5");
  for (const char* doc : {R"({"==":[{"var":"spot"},12.5]})", R"({"==":[{"var":"spot"},"12.5"]})"}) {
    auto e = import_errors(doc, ImportFormat::JsonLogic);
    ASSERT_EQ(e.size(), 1u) << doc;
    EXPECT_EQ(e[0].code, "E302") << doc;
    EXPECT_EQ(e[0].json_path, "/==/1") << doc;
  }
}

TEST(ImportQueryBuilder, MatchModesOnSetFields) {
  auto rule = [](std::string mode, std::string threshold = "", std::string values = R"(["VIP","REGISTERED","BLOCKED"])") {
    return R"({"combinator":"and","rules":[{"field":"tags","operator":"=","match":{"mode":")" + mode + "\"" + threshold +
           R"(},"value":{"combinator":"and","rules":[{"field":"","operator":"in","value":)" + values + "}]}}]}";
  };
  expect_same(rule("some"), ImportFormat::QueryBuilder, "tag any (VIP, REGISTERED, BLOCKED)");
  expect_same(rule("none"), ImportFormat::QueryBuilder, "tag none (VIP, REGISTERED, BLOCKED)");
  expect_same(rule("atLeast", R"(,"threshold":1)"), ImportFormat::QueryBuilder, "tag any (VIP, REGISTERED, BLOCKED)");
  expect_same(rule("atMost", R"(,"threshold":0)"), ImportFormat::QueryBuilder, "tag none (VIP, REGISTERED, BLOCKED)");
  expect_same(rule("exactly", R"(,"threshold":0)"), ImportFormat::QueryBuilder, "tag none (VIP, REGISTERED, BLOCKED)");
  expect_same(rule("atLeast", R"(,"threshold":3)"), ImportFormat::QueryBuilder, "tag all (VIP, REGISTERED, BLOCKED)");
  // Counts seg can say as conditions: at least 2 of 3 is an or of the pairs.
  expect_same(rule("atLeast", R"(,"threshold":2)"), ImportFormat::QueryBuilder,
              "tag all (VIP, REGISTERED) or tag all (VIP, BLOCKED) or tag all (REGISTERED, BLOCKED)");
  expect_same(rule("atMost", R"(,"threshold":1)"), ImportFormat::QueryBuilder,
              "not (tag all (VIP, REGISTERED) or tag all (VIP, BLOCKED) or tag all (REGISTERED, BLOCKED))");
  expect_same(rule("exactly", R"(,"threshold":3)"), ImportFormat::QueryBuilder, "tag all (VIP, REGISTERED, BLOCKED)");
  expect_same(rule("atLeast", R"(,"threshold":4)"), ImportFormat::QueryBuilder, "false");
  // The builder's `all` is a subset test; the tags dictionary is open, so seg cannot say it.
  auto e = import_errors(rule("all"), ImportFormat::QueryBuilder);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].json_path, "/rules/0/match/mode");
  EXPECT_NE(e[0].message.find("subset"), std::string::npos);
  // A share of the client's tags, and counts past what conditions can say, are refused.
  EXPECT_EQ(import_errors(rule("atLeast", R"(,"threshold":0.5)"), ImportFormat::QueryBuilder).at(0).json_path,
            "/rules/0/match/threshold");
  std::string many = "[";
  for (int i = 0; i < 20; ++i) many += (i ? ",\"T" : "\"T") + std::to_string(100 + i) + "\"";
  many += "]";
  EXPECT_NE(import_errors(rule("atLeast", R"(,"threshold":10)", many), ImportFormat::QueryBuilder).at(0).message.find(
                "more than 256 conditions"),
            std::string::npos);
  // The subquery is held to what groups and rules are held to: a negation, a muted rule, an
  // unknown member or combinator, an element's named field are each refused at their path;
  // they were ignored, and `some` of "not (VIP or BLOCKED)" imported as `tag any (VIP, BLOCKED)`.
  const std::pair<const char*, const char*> strict[] = {
      {R"({"combinator":"or","not":true,"rules":[{"field":"","operator":"=","value":"VIP"},{"field":"","operator":"=","value":"BLOCKED"}]})",
       "/rules/0/value/not"},
      {R"({"combinator":"or","rules":[{"field":"","operator":"=","value":"VIP","muted":true},{"field":"","operator":"=","value":"BLOCKED"}]})",
       "/rules/0/value/rules/0/muted"},
      {R"({"combinator":"or","bogus":1,"rules":[{"field":"","operator":"=","value":"VIP"}]})", "/rules/0/value/bogus"},
      {R"({"combinator":"xor","rules":[{"field":"","operator":"=","value":"VIP"}]})", "/rules/0/value/combinator"},
      {R"({"combinator":"or","rules":[{"field":"name","operator":"=","value":"VIP"}]})", "/rules/0/value/rules/0/field"},
      {R"({"combinator":"or","rules":[{"field":"","operator":"=","value":"VIP","zzz":2}]})", "/rules/0/value/rules/0/zzz"},
  };
  for (const auto& [sub, path] : strict) {
    std::string doc = std::string(R"({"combinator":"and","rules":[{"field":"tags","operator":"=","match":{"mode":"some"},"value":)") + sub + "}]}";
    auto m = import_errors(doc, ImportFormat::QueryBuilder);
    ASSERT_FALSE(m.empty()) << doc;
    EXPECT_EQ(m[0].json_path, path) << doc;
  }
  // An empty `or` group inside a query: the builder's formats read it as true or leave it out,
  // seg would read nobody; refused at its path. An empty `and` group is true either way.
  EXPECT_EQ(import_errors(R"({"combinator":"and","rules":[{"field":"spot","operator":"=","value":1},{"combinator":"or","rules":[]}]})",
                          ImportFormat::QueryBuilder)
                .at(0)
                .json_path,
            "/rules/1");
  expect_same(R"({"combinator":"and","rules":[{"field":"spot","operator":"=","value":1},{"combinator":"and","rules":[]}]})",
              ImportFormat::QueryBuilder, "spot = 1");
  // The query itself an empty `or`: refused too (it was `false` without a word).
  auto top = import_errors(R"({"combinator":"or","rules":[]})", ImportFormat::QueryBuilder);
  ASSERT_FALSE(top.empty());
  EXPECT_EQ(top[0].code, "E606");
  EXPECT_EQ(top[0].json_path, "");  // the document itself
  EXPECT_NE(top[0].message.find("the query is an empty `or` group"), std::string::npos) << top[0].message;
  // A match on a field with one value is refused, not read as something else.
  EXPECT_EQ(import_errors(R"({"combinator":"and","rules":[{"field":"spot","operator":"=","match":{"mode":"some"},"value":{"combinator":"and","rules":[{"field":"","operator":"=","value":3}]}}]})",
                          ImportFormat::QueryBuilder)
                .at(0)
                .json_path,
            "/rules/0/match");
}

// Values the dictionary reads as one are one value of a match's count (`"VIP"`, `"vip"`), and a
// comma-separated list is split as the builder splits it: `\,` is a comma in a value, items are
// trimmed and empty ones dropped (found by a review).
TEST(ImportQueryBuilder, MatchCountsAndListsReadValuesAsTheBuilderAndDictionaryDo) {
  auto match = [](const std::string& mode, int threshold, const std::string& values) {
    return std::string(R"({"combinator":"and","rules":[{"field":"tags","operator":"=","match":{"mode":")") + mode +
           R"(","threshold":)" + std::to_string(threshold) +
           R"(},"value":{"combinator":"or","rules":[{"field":"","operator":"in","value":)" + values + "}]}}]}";
  };
  expect_same(match("atLeast", 2, R"(["VIP","vip"])"), ImportFormat::QueryBuilder, "false");
  expect_same(match("exactly", 1, R"(["VIP","vip"])"), ImportFormat::QueryBuilder, "tag any (VIP)");
  expect_same(match("atLeast", 2, R"(["VIP","vip","Top-up"])"), ImportFormat::QueryBuilder, "tag all (\"Top-up\", VIP)");
  expect_same(match("atMost", 1, R"(["Top-up","top_up","VIP"])"), ImportFormat::QueryBuilder,
              "not tag all (\"Top-up\", VIP)");
  expect_same(R"({"combinator":"and","rules":[{"field":"spot","operator":"in","value":" 12,,13 , "}]})",
              ImportFormat::QueryBuilder, "spot in (12, 13)");
  expect_same(R"({"combinator":"and","rules":[{"field":"tags","operator":"in","value":"VIP,,Top-up"}]})",
              ImportFormat::QueryBuilder, "tag any (\"Top-up\", VIP)");
  expect_same(R"({"combinator":"and","rules":[{"field":"tags","operator":"in","value":"a\\,b,VIP"}]})",
              ImportFormat::QueryBuilder, "tag any (\"a,b\", VIP)");
}

TEST(ImportQueryBuilder, DisabledIndependentCombinatorsAndValueSource) {
  // `disabled` only makes a rule read-only in the builder, which keeps it in every format it
  // writes: it counts (it was skipped, and a lone one between ors made the query everyone).
  expect_same(R"({"combinator":"and","rules":[{"field":"spot","operator":"=","value":1},
      {"field":"stage","operator":"=","value":"Deposit","disabled":true},
      {"combinator":"or","disabled":true,"rules":[{"field":"tags","operator":"=","value":"VIP"}]}]})",
              ImportFormat::QueryBuilder, "spot = 1 and stage = Deposit and tag any (VIP)");
  expect_same(R"({"rules":[{"field":"spot","operator":"=","value":1,"disabled":true},"or",{"field":"spot","operator":"=","value":2}]})",
              ImportFormat::QueryBuilder, "spot in (1, 2)");
  // `muted` it leaves out, but its own JsonLogic and SQL disagree on the rest: refused.
  for (const char* doc : {R"({"combinator":"or","rules":[{"field":"spot","operator":"=","value":1,"muted":true},{"field":"spot","operator":"=","value":2}]})",
                          R"({"combinator":"or","rules":[{"field":"spot","operator":"=","value":2},{"combinator":"and","muted":true,"rules":[]}]})"}) {
    auto m = import_errors(doc, ImportFormat::QueryBuilder);
    ASSERT_EQ(m.size(), 1u) << doc;
    EXPECT_EQ(m[0].code, "E605");
    EXPECT_NE(m[0].json_path.find("/muted"), std::string::npos) << m[0].json_path;
  }
  expect_same(R"({"combinator":"or","rules":[{"field":"spot","operator":"=","value":1,"muted":false}]})",
              ImportFormat::QueryBuilder, "spot = 1");
  // and binds tighter than or, as the builder's own formatter reads it.
  expect_same(R"({"rules":[{"field":"spot","operator":"=","value":1},"or",{"field":"spot","operator":"=","value":2},"and",
      {"field":"stage","operator":"=","value":"Deposit"}]})",
              ImportFormat::QueryBuilder, "spot = 1 or spot = 2 and stage = Deposit");
  EXPECT_EQ(import_errors(R"({"rules":[{"field":"spot","operator":"=","value":1},"xor",{"field":"spot","operator":"=","value":2}]})",
                          ImportFormat::QueryBuilder)
                .at(0)
                .json_path,
            "/rules/1");
  auto e = import_errors(R"({"combinator":"and","rules":[{"field":"spot","operator":"=","value":"player_id","valueSource":"field"}]})",
                         ImportFormat::QueryBuilder);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].json_path, "/rules/0/valueSource");
}

TEST(ImportTimes, MillisecondsOffsetsAndWholeDays) {
  expect_same(R"({">=":[{"var":"registered_at"},"2026-10-01T10:00:00.000Z"]})", ImportFormat::JsonLogic,
              "registered_at >= 2026-10-01T10:00:00Z");
  expect_same(R"({">=":[{"var":"registered_at"},"2026-10-01T10:00:00+02:00"]})", ImportFormat::JsonLogic,
              "registered_at >= 2026-10-01T08:00:00Z");
  expect_same(R"({">=":[{"var":"registered_at"},"2026-10-01T10:00"]})", ImportFormat::JsonLogic,
              "registered_at >= 2026-10-01T10:00:00Z");
  // A time between two seconds: the data holds whole seconds.
  expect_same(R"({">":[{"var":"registered_at"},"2026-10-01T10:00:00.500Z"]})", ImportFormat::JsonLogic,
              "registered_at >= 2026-10-01T10:00:01Z");
  expect_same(R"({"<":[{"var":"registered_at"},"2026-10-01T10:00:00.500Z"]})", ImportFormat::JsonLogic,
              "registered_at <= 2026-10-01T10:00:00Z");
  expect_same(R"({"==":[{"var":"registered_at"},"2026-10-01T10:00:00.500Z"]})", ImportFormat::JsonLogic, "false");
  // A date is its whole day, as in rule text, for every operator and both builders.
  for (const char* op : {"=", "!=", "<", "<=", ">", ">="}) {
    std::string qb = std::string(R"({"combinator":"and","rules":[{"field":"registered_at","operator":")") + op +
                     R"(","value":"2026-10-01"}]})";
    std::string text = std::string("registered_at ") + op + " 2026-10-01";
    // The builders' != holds for a client with no value; registered_at always has one.
    expect_same(qb, ImportFormat::QueryBuilder, text);
    std::string jop = std::string(op) == "=" ? "==" : op;
    expect_same(std::string(R"({")") + jop + R"(":[{"var":"registered_at"},"2026-10-01"]})", ImportFormat::JsonLogic, text);
  }
  expect_same(R"({"combinator":"and","rules":[{"field":"registered_at","operator":"between","value":"2026-10-01,2026-10-31"}]})",
              ImportFormat::QueryBuilder, "registered_at between 2026-10-01 and 2026-10-31");
}

TEST(ImportTimes, AMidnightTimestampOnEqualsWarns) {
  // A date picker that sends toISOString() of midnight would select one second of the day.
  Diagnostics d;
  auto ir = import_rule(R"({"==":[{"var":"registered_at"},"2026-10-01T00:00:00.000Z"]})", ImportFormat::JsonLogic, S(), d);
  ASSERT_TRUE(ir);
  ASSERT_EQ(d.list().size(), 1u);
  EXPECT_EQ(d.list()[0].code, "W504");
  EXPECT_EQ(d.list()[0].json_path, "/==/1");
  EXPECT_NE(d.list()[0].suggestion.find("\"2026-10-01\""), std::string::npos);
  Diagnostics none;
  EXPECT_TRUE(import_rule(R"({"==":[{"var":"registered_at"},"2026-10-01"]})", ImportFormat::JsonLogic, S(), none));
  EXPECT_TRUE(none.list().empty());
}

// `=` a time between two seconds (toISOString()'s milliseconds) matches nobody: said, with
// the place, since the const it becomes has none (found by a review: the rule became `false`
// without a word); and a NUL byte in a document is an error, not its end.
TEST(ImportTimes, ATimeBetweenSecondsIsSaidToMatchNobody) {
  Diagnostics d;
  auto ir = import_rule(R"({"and":[{"==":[{"var":"spot"},1]},{"==":[{"var":"registered_at"},"2026-10-01T10:00:00.500Z"]}]})",
                        ImportFormat::JsonLogic, S(), d);
  ASSERT_TRUE(ir);
  ASSERT_FALSE(d.list().empty());
  EXPECT_EQ(d.list()[0].code, "W501");
  EXPECT_EQ(d.list()[0].json_path, "/and/1/==/1");
  EXPECT_NE(d.list()[0].suggestion.find("2026-10-01T10:00:00Z"), std::string::npos) << d.list()[0].suggestion;
  Diagnostics nul;
  EXPECT_FALSE(import_rule(std::string(R"({"combinator":"and","rules":[]})") + std::string(1, '\0') + "garbage",
                           ImportFormat::QueryBuilder, S(), nul));
  ASSERT_FALSE(nul.list().empty());
  EXPECT_EQ(nul.list()[0].code, "E601");
  EXPECT_NE(nul.list()[0].message.find("NUL byte"), std::string::npos) << nul.list()[0].message;
}

// A value `in` a one-valued field (json-logic-js: a substring test) is said in the
// document's own words, at its place (the IR's error named an `any` nobody wrote).
TEST(ImportJsonLogic, AValueInAOneValuedFieldIsSaidInItsOwnWords) {
  Diagnostics d;
  EXPECT_FALSE(import_rule(R"({"in":["VI",{"var":"country"}]})", ImportFormat::JsonLogic, S(), d));
  ASSERT_FALSE(d.list().empty());
  EXPECT_EQ(d.list()[0].json_path, "/in");
  EXPECT_NE(d.list()[0].message.find("`country` holds one value"), std::string::npos) << d.list()[0].message;
  EXPECT_EQ(d.list()[0].message.find("'any'"), std::string::npos) << d.list()[0].message;
}

TEST(ImportNulls, NegationsHoldForClientsWithoutAValueAsTheBuildersEvaluateThem) {
  // json-logic-js: null != "DE" is true; the querybuilder's != becomes that in its JsonLogic.
  expect_same(R"({"!=":[{"var":"country"},"DE"]})", ImportFormat::JsonLogic, "not country = DE");
  expect_same(R"({"combinator":"and","rules":[{"field":"country","operator":"!=","value":"DE"}]})", ImportFormat::QueryBuilder,
              "not country = DE");
  expect_same(R"({"combinator":"and","rules":[{"field":"country","operator":"notIn","value":"DE,AT"}]})",
              ImportFormat::QueryBuilder, "not country in (DE, AT)");
  // With the null case ruled out, it is seg's !=.
  expect_same(R"({"and":[{"!=":[{"var":"country"},null]},{"!=":[{"var":"country"},"DE"]}]})", ImportFormat::JsonLogic,
              "country != DE");
  // JsonLogic's all is a subset test (and false on no tags): refused over the open tags.
  auto e = import_errors(R"({"all":[{"var":"tags"},{"in":[{"var":""},["VIP"]]}]})", ImportFormat::JsonLogic);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].json_path, "/all");
  // "Has every one of them", as both builders write it, is seg's all.
  expect_same(R"({"and":[{"in":["VIP",{"var":"tags"}]},{"in":["REGISTERED",{"var":"tags"}]}]})", ImportFormat::JsonLogic,
              "tag all (VIP, REGISTERED)");
  expect_same(R"({"!":{"and":[{"in":["VIP",{"var":"tags"}]},{"in":["REGISTERED",{"var":"tags"}]}]}})", ImportFormat::JsonLogic,
              "not tag all (VIP, REGISTERED)");
  expect_same(R"({"combinator":"and","rules":[{"field":"tags","operator":"contains","value":"VIP"},
      {"field":"tags","operator":"doesNotContain","value":"BLOCKED"}]})",
              ImportFormat::QueryBuilder, "tag any (VIP) and tag none (BLOCKED)");
}

}  // namespace
}  // namespace seg

namespace seg {
namespace {

TEST(ImportPaths, GeneratedNodesPointAtTheDocumentsOwnPlaces) {
  // Found by fuzzing: a count made into an or of alls named /rules/0/or/0/values/0, a path
  // the document does not have. Now the rule; each value once.
  Diagnostics d;
  ASSERT_TRUE(import_rule(R"({"combinator":"and","rules":[{"field":"tags","operator":"=","match":{"mode":"atLeast","threshold":2},)"
                          R"("value":{"combinator":"or","rules":[{"field":"","operator":"in","value":["VIO","REGISTERED","T001"]}]}}]})",
                          ImportFormat::QueryBuilder, S(), d));
  ASSERT_EQ(d.list().size(), 1u);
  EXPECT_EQ(d.list()[0].code, "W204");
  EXPECT_EQ(d.list()[0].json_path, "/rules/0");
  // An and of memberships read as one `all`: each value at its own membership test.
  Diagnostics j;
  ASSERT_TRUE(import_rule(R"({"and":[{"in":["VIP",{"var":"tags"}]},{"in":["NEWTAG",{"var":"tags"}]}]})", ImportFormat::JsonLogic,
                          S(), j));
  ASSERT_EQ(j.list().size(), 1u);
  EXPECT_EQ(j.list()[0].json_path, "/and/1/in/0");
  Diagnostics q;
  ASSERT_TRUE(import_rule(R"({"combinator":"and","not":true,"rules":[{"field":"tags","operator":"contains","value":"VIP"},)"
                          R"({"field":"tags","operator":"contains","value":"NEWTAG"}]})",
                          ImportFormat::QueryBuilder, S(), q));
  ASSERT_EQ(q.list().size(), 1u);
  EXPECT_EQ(q.list()[0].json_path, "/rules/1/value");
}

// A type error the IR reader finds at `op` is reported at the builder's own member (the
// querybuilder rule's `operator`, the JsonLogic node itself), in the builder's words.
TEST(ImportDiagnostics, AnOperatorErrorIsAtTheBuildersOwnMember) {
  Diagnostics qb;
  EXPECT_FALSE(import_rule(R"({"combinator":"and","rules":[{"field":"spot","operator":"=","value":1},)"
                           R"({"combinator":"or","rules":[{"field":"country","operator":"<","value":"DE"}]}]})",
                           ImportFormat::QueryBuilder, S(), qb));
  ASSERT_FALSE(qb.list().empty());
  EXPECT_EQ(qb.list()[0].code, "E301");
  EXPECT_EQ(qb.list()[0].json_path, "/rules/1/rules/0/operator");
  EXPECT_EQ(qb.list()[0].suggestion, "use operator `in` or `=`");
  Diagnostics jl;
  EXPECT_FALSE(import_rule(R"({"and":[{"==":[{"var":"spot"},1]},{"<":[{"var":"country"},"DE"]}]})",
                           ImportFormat::JsonLogic, S(), jl));
  ASSERT_FALSE(jl.list().empty());
  EXPECT_EQ(jl.list()[0].code, "E301");
  EXPECT_EQ(jl.list()[0].json_path, "/and/1/<");  // the operator's member, as /operator above
  EXPECT_EQ(jl.list()[0].suggestion, "use `in` or `==`");
  // On a set field, in the builder's words and at the operator (it had no path at the top
  // level, and IR words: found by a review); `!` with a second argument names `!`.
  for (const auto& [doc, path] : std::vector<std::pair<std::string, std::string>>{
           {R"({"==":[{"var":"tags"},"VIP"]})", "/=="}, {R"({"and":[{"<":[{"var":"tags"},3]}]})", "/and/0/<"},
           {R"({"!=":[{"var":"tags"},"VIP"]})", "/!="}}) {
    Diagnostics d;
    EXPECT_FALSE(import_rule(doc, ImportFormat::JsonLogic, S(), d)) << doc;
    ASSERT_FALSE(d.list().empty()) << doc;
    EXPECT_EQ(d.list()[0].code, "E301") << doc;
    EXPECT_EQ(d.list()[0].json_path, path) << doc;
    EXPECT_NE(d.list()[0].message.find("test it with some, all or none"), std::string::npos) << d.list()[0].message;
  }
  Diagnostics two;
  EXPECT_FALSE(import_rule(R"({"!":[{"==":[{"var":"country"},"DE"]},1]})", ImportFormat::JsonLogic, S(), two));
  ASSERT_FALSE(two.list().empty());
  EXPECT_EQ(two.list()[0].json_path, "/!");
  EXPECT_EQ(two.list()[0].message, "'!' takes one argument");
}

// A part that can never match (or a rule that always does) is said at its path, as rule text
// says it (W501, W502), instead of compiling silently to `false` or `true`.
TEST(ImportDiagnostics, ConstantPartsAreWarnedAtTheirPaths) {
  auto warnings = [](const std::string& doc, ImportFormat f) {
    Diagnostics d;
    EXPECT_TRUE(import_rule(doc, f, S(), d)) << doc;
    std::vector<std::string> out;
    for (const auto& x : d.list()) out.push_back(x.code + " " + x.json_path + (x.json ? "" : " (not json)"));
    return out;
  };
  using V = std::vector<std::string>;
  // Bounds the wrong way round are said as rule text says them (W503, the W501 it implies
  // left out as there); a notBetween of them is a condition that always holds, said too.
  EXPECT_EQ(warnings(R"({"combinator":"and","rules":[{"field":"spot","operator":"between","value":[5,1]}]})",
                     ImportFormat::QueryBuilder), V{"W503 /rules/0"});
  EXPECT_EQ(warnings(R"({"combinator":"and","rules":[{"field":"spot","operator":"notBetween","value":[5,1]},)"
                     R"({"field":"country","operator":"=","value":"DE"}]})", ImportFormat::QueryBuilder),
            (V{"W503 /rules/0", "W502 /rules/0"}));
  EXPECT_EQ(warnings(R"({"<=":[5,{"var":"spot"},1]})", ImportFormat::JsonLogic), V{"W503 "});
  EXPECT_EQ(warnings(R"({"combinator":"and","rules":[{"field":"stage","operator":"=","value":"Active"},)"
                     R"({"field":"spot","operator":"null"}]})", ImportFormat::QueryBuilder), V{"W501 "});  // the whole rule, as in text
  EXPECT_EQ(warnings(R"({"combinator":"and","rules":[]})", ImportFormat::QueryBuilder), V{"W502 "});
  EXPECT_EQ(warnings(R"({"or":[{"==":[{"var":"spot"},12]},{"and":[{"==":[{"var":"stage"},"Active"]},)"
                     R"({"==":[{"var":"stage"},"Deposit"]}]}]})", ImportFormat::JsonLogic),
            V{"W501 /or/1"});
  EXPECT_EQ(warnings(R"({"==":[{"var":"spot"},12]})", ImportFormat::JsonLogic), V{});
}

// What react-querybuilder's formatQuery writes for a match subquery: an `or` of `==` element
// tests (refused before: 126 of 400 random builder queries, a review).
TEST(ImportJsonLogic, SomeAndNoneOverAnOrOfElementTests) {
  auto warnings = [](const std::string& doc, ImportFormat f) {
    Diagnostics d;
    EXPECT_TRUE(import_rule(doc, f, S(), d)) << doc;
    std::vector<std::string> out;
    for (const auto& x : d.list()) out.push_back(x.code + " " + x.json_path);
    return out;
  };
  using V = std::vector<std::string>;
  expect_same(R"({"and":[{"some":[{"var":"tags"},{"or":[{"==":[{"var":""},"VIP"]},{"==":[{"var":""},"BLOCKED"]}]}]}]})",
              ImportFormat::JsonLogic, "tag any (VIP, BLOCKED)");
  expect_same(R"({"none":[{"var":"tags"},{"or":[{"==":[{"var":""},"VIP"]},{"in":[{"var":""},["BLOCKED","T001"]]}]}]})",
              ImportFormat::JsonLogic, "tag none (VIP, BLOCKED, T001)");
  // A value's warning names its own place in the `or`.
  EXPECT_EQ(warnings(R"({"some":[{"var":"tags"},{"or":[{"==":[{"var":""},"VIP"]},{"==":[{"var":""},"NOPE"]}]}]})",
                     ImportFormat::JsonLogic),
            V{"W204 /some/1/or/1/==/1"});
  // Anything else under the `or` (an `and`, another field) is still refused.
  EXPECT_FALSE(import_errors(R"({"some":[{"var":"tags"},{"or":[{"==":[{"var":""},"VIP"]},{"==":[{"var":"x"},"B"]}]}]})",
                             ImportFormat::JsonLogic)
                   .empty());
  EXPECT_FALSE(import_errors(R"({"some":[{"var":"tags"},{"and":[{"==":[{"var":""},"VIP"]}]}]})", ImportFormat::JsonLogic).empty());
}

// A JsonLogic document given as react-querybuilder's is said as that, once; `some` over a
// field with one value is said in the document's words at its place (it had no path).
TEST(ImportDiagnostics, JsonLogicAsQueryBuilderAndSomeOverOneValue) {
  auto e = import_errors(R"({"and":[{"==":[{"var":"spot"},1]}]})", ImportFormat::QueryBuilder);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].code, "E606");
  EXPECT_NE(e[0].suggestion.find("--from jsonlogic"), std::string::npos) << e[0].suggestion;
  auto s = import_errors(R"({"some":[{"var":"country"},{"in":[{"var":""},["DE"]]}]})", ImportFormat::JsonLogic);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].json_path, "/some");
  EXPECT_NE(s[0].message.find("`country` holds one"), std::string::npos) << s[0].message;
}

// "Has a value" reached for with truthiness or `missing`: refused with the null test that is
// meant, which imports (a review found "did you mean '!='?").
TEST(ImportJsonLogic, TruthinessAndMissingPointAtTheNullTest) {
  for (const char* doc : {R"({"!!":[{"var":"country"}]})", R"({"missing":["country"]})"}) {
    auto e = import_errors(doc, ImportFormat::JsonLogic);
    ASSERT_EQ(e.size(), 1u) << doc;
    EXPECT_NE(e[0].suggestion.find(R"({"!=": [{"var": "country"}, null]})"), std::string::npos) << e[0].suggestion;
  }
  expect_same(R"({"!=": [{"var": "country"}, null]})", ImportFormat::JsonLogic, "country is not null");
  expect_same(R"({"==": [{"var": "country"}, null]})", ImportFormat::JsonLogic, "country is null");
}

}  // namespace
}  // namespace seg
