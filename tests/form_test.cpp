// The segment form: form -> IR equals the rule text's IR, IR -> form, summaries, form JSON errors.
#include <gtest/gtest.h>

#include "compiler/compile.hpp"
#include "adapters/form.hpp"
#include "schema/schema.hpp"
#include "tests/support/schema.hpp"

namespace seg {
namespace {

using seg::testing::S;

TEST(Form, TopUpFormIsTheSameIrAsItsRuleText) {
  Diagnostics d;
  auto form = form_from_json(R"({"title":"Top-up","stages":["NotProcessed","Registration"],"tags":["REGISTERED"],"spot":12})", d);
  ASSERT_TRUE(form);
  EXPECT_EQ(form->title, "Top-up");
  auto ir = form_to_ir(*form, S(), d);
  ASSERT_TRUE(ir);
  EXPECT_EQ(ir::print_rule(*ir, S()), "stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12");
  Compiled c = compile_rule("stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12", S());
  ASSERT_TRUE(c.ir);
  EXPECT_TRUE(ir::equal(*ir, *c.ir));
  EXPECT_EQ(ir::stable_hash(*ir), ir::stable_hash(*c.ir));
  EXPECT_EQ(summarize(*ir, S()), "Stages: Not processed, Registration · Tags: any of REGISTERED · Spot: 12");
  EXPECT_TRUE(d.empty());
}

TEST(Form, EmptySectionsAreLeftOut) {
  SegmentForm f;
  f.players = {1000002, 1000001};
  f.tags = {"VIP"};
  Diagnostics d;
  auto ir = form_to_ir(f, S(), d);
  ASSERT_TRUE(ir);
  EXPECT_EQ(ir::print_rule(*ir, S()), "tag any (VIP) and player in (1000001, 1000002)");
}

TEST(Form, AFormWithoutATagIsAnError) {
  // The CRM requires at least one tag; a form of nothing else would be every client.
  for (SegmentForm f : {SegmentForm{}, SegmentForm{"Deposits", {"Deposit"}, {}, std::nullopt, {}}}) {
    Diagnostics d;
    EXPECT_FALSE(form_to_ir(f, S(), d));
    ASSERT_EQ(d.list().size(), 1u);
    EXPECT_EQ(d.list()[0].code, "E608");
    EXPECT_EQ(d.list()[0].json_path, "/tags");
  }
  // An empty tag name is an input left unfilled: an error at its place, not `tag any ("")`.
  for (std::string empty : {"", "  "}) {
    Diagnostics d;
    EXPECT_FALSE(form_to_ir(SegmentForm{"t", {}, {}, std::nullopt, {"VIP", empty}}, S(), d));
    ASSERT_EQ(d.list().size(), 1u);
    EXPECT_EQ(d.list()[0].code, "E608");
    EXPECT_EQ(d.list()[0].json_path, "/tags/1");
  }
  // With no tag and an unknown stage, both are said at once.
  {
    Diagnostics d;
    EXPECT_FALSE(form_to_ir(SegmentForm{"t", {"Nope"}, {}, std::nullopt, {}}, S(), d));
    ASSERT_EQ(d.list().size(), 2u);
    EXPECT_EQ(d.list()[0].code, "E608");
    EXPECT_EQ(d.list()[1].code, "E202");
    EXPECT_EQ(d.list()[1].json_path, "/stages/0");
  }
  // And a rule without `tag any (…)` has no form, with the reason.
  std::string why;
  Compiled c = compile_rule("stage = Deposit and spot = 3", S());
  ASSERT_TRUE(c.ir);
  EXPECT_FALSE(ir_to_form(*c.ir, S(), why));
  EXPECT_NE(why.find("needs tags"), std::string::npos) << why;
}

TEST(Form, StagesByLabelAndOriginsNameTheSection) {
  SegmentForm f;
  f.stages = {"Made first sale", "deposit"};
  f.tags = {"VIP"};
  Diagnostics d;
  auto ir = form_to_ir(f, S(), d);
  ASSERT_TRUE(ir);
  EXPECT_EQ(ir::print_rule(*ir, S()), "stage in (MadeFirstSale, Deposit) and tag any (VIP)");
  EXPECT_EQ(ir->children.at(0).origin.form_section, "stages");
}

TEST(Form, BadStageIsReportedAtItsJsonPath) {
  SegmentForm f;
  f.stages = {"Deposit", "Depost"};
  f.tags = {"VIP"};
  Diagnostics d;
  EXPECT_FALSE(form_to_ir(f, S(), d));
  ASSERT_EQ(d.list().size(), 1u);
  EXPECT_EQ(d.list()[0].code, "E202");
  EXPECT_EQ(d.list()[0].json_path, "/stages/1");
  EXPECT_EQ(d.list()[0].suggestion, "did you mean \"Deposit\"?");
}

TEST(Form, JsonErrorsHavePaths) {
  Diagnostics d;
  EXPECT_FALSE(form_from_json(R"({"title":"x","stages":"Deposit","spot":"12","tagz":[]})", d));
  std::vector<std::string> paths;
  for (const auto& x : d.list()) paths.push_back(x.code + " " + x.json_path);
  EXPECT_EQ(paths, (std::vector<std::string>{"E605 /tagz", "E603 /stages", "E603 /spot"}));
}

// A tag with a NUL would save a segment whose rule text never compiles (E106, as IR JSON
// says); a player id past int64 is out of range (E305, as IR JSON says), not "not a number".
TEST(Form, ValuesRuleTextCannotHoldAreRefusedAtTheirPaths) {
  Diagnostics d;
  EXPECT_FALSE(form_from_json(R"({"title":"x","players":[99999999999999999999, 1.5],"tags":["VIP","a\u0000b"]})", d));
  std::vector<std::string> paths;
  for (const auto& x : d.list()) paths.push_back(x.code + " " + x.json_path);
  EXPECT_EQ(paths, (std::vector<std::string>{"E106 /tags/1", "E305 /players/0", "E603 /players/1"}));
  // A small id written as a decimal is a wrong form, not too big (it was "does not fit in 64 bits").
  Diagnostics w;
  EXPECT_FALSE(form_from_json(R"({"title":"x","players":[1001.0, 1e3],"tags":["VIP"]})", w));
  ASSERT_EQ(w.list().size(), 2u);
  EXPECT_EQ(w.list()[0].code, "E603");
  EXPECT_NE(w.list()[0].message.find("1001, not as a decimal"), std::string::npos) << w.list()[0].message;
  EXPECT_NE(w.list()[1].message.find("1000, not as a decimal"), std::string::npos) << w.list()[1].message;
}

TEST(Form, RuleToFormWhereItFitsAndWhyNotWhereItDoesNot) {
  std::string why;
  Compiled c = compile_rule("spot = 3 and stage != Blocked and tag any (VIP, \"Top-up\")", S());
  ASSERT_TRUE(c.ir);
  auto f = ir_to_form(*c.ir, S(), why);
  ASSERT_TRUE(f) << why;
  EXPECT_EQ(f->stages.size(), 7u);  // every stage but Blocked
  EXPECT_EQ(f->tags, (std::vector<std::string>{"Top-up", "VIP"}));
  EXPECT_EQ(f->spot, 3);

  Compiled no = compile_rule("spot = 3 or stage = Deposit", S());
  ASSERT_TRUE(no.ir);
  EXPECT_FALSE(ir_to_form(*no.ir, S(), why));
  EXPECT_NE(why.find("`stage = Deposit or spot = 3` does not fit"), std::string::npos) << why;

  Compiled two = compile_rule("spot = 3 and deposit_total > 10", S());
  EXPECT_FALSE(ir_to_form(*two.ir, S(), why));
  EXPECT_NE(why.find("`deposit_total > 10` does not fit"), std::string::npos) << why;
}

TEST(Form, SummaryOfAGeneralRuleShowsTheRestAsText) {
  Compiled c = compile_rule("stage in (Deposit, Active) and tag none (BLOCKED) and deposit_total > 500", S());
  ASSERT_TRUE(c.ir);
  EXPECT_EQ(summarize(*c.ir, S()), "Stages: Deposit, Active · Tags: none of BLOCKED · deposit_total > 500");
}

// A section needs its field only when the form uses it (a review: a schema without spot and
// player_id made a form of `stage = A and tag any (VIP)`, and refused that very form, saying
// the schema had no form fields at all).
TEST(Form, ASchemaWithoutASectionsFieldTakesFormsWithoutThatSection) {
  Diagnostics sd;
  auto schema = parse_schema_json(R"({"name":"r","id_field":"id","fields":[{"name":"id","type":"int"},
      {"name":"stage","type":"enum","values":["A","B"]},{"name":"tags","type":"set","open":true,"values":["VIP"]}]})",
                                  sd);
  ASSERT_TRUE(schema);
  Diagnostics d;
  auto form = form_from_json(R"({"stages":["A"],"tags":["VIP"]})", d);
  ASSERT_TRUE(form);
  auto ir = form_to_ir(*form, *schema, d);
  ASSERT_TRUE(ir) << render_text(d.list(), "form", "");
  Compiled c = compile_rule("stage = A and tags any (VIP)", *schema);
  ASSERT_TRUE(c.ir);
  optimize(*ir, *schema, d);
  EXPECT_EQ(ir::print_rule(*ir, *schema), ir::print_rule(*c.ir, *schema));
  // A section whose field is missing is said at its path, naming the field.
  Diagnostics e;
  form = form_from_json(R"({"tags":["VIP"],"spot":3,"players":[7]})", e);
  ASSERT_TRUE(form);
  EXPECT_FALSE(form_to_ir(*form, *schema, e));
  ASSERT_EQ(e.list().size(), 2u);
  EXPECT_EQ(e.list()[0].code, "E201");
  EXPECT_EQ(e.list()[0].json_path, "/spot");
  EXPECT_NE(e.list()[0].message.find("no field `spot`"), std::string::npos) << e.list()[0].message;
  EXPECT_EQ(e.list()[1].json_path, "/players");
  EXPECT_NE(e.list()[1].message.find("no field `player_id`"), std::string::npos) << e.list()[1].message;
}

}  // namespace
}  // namespace seg
