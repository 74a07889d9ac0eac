// Importing react-querybuilder and JsonLogic documents: the same IR as the rule text they mean,
// and diagnostics at the path of the imported document.
#include <gtest/gtest.h>

#include "compiler/compile.hpp"
#include "adapters/import.hpp"

namespace seg {
namespace {

const Schema& S() { return crm_schema(); }

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
  EXPECT_EQ(d.list()[0].json_path, "/rules/1/value/1");
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
      {"all":[{"var":"tags"},{"in":[{"var":""},["VIP","Top-up"]]}]},{"none":[{"var":"tags"},{"in":[{"var":""},["BLOCKED"]]}]},
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
