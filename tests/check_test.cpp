// The checker on a schema with every field type: operators per type, literal types, dictionary
// value resolution (keys, labels, ambiguity), and that every error of a rule is reported.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "compiler/check.hpp"
#include "compiler/compile.hpp"

namespace seg {
namespace {

const Schema& test_schema() {
  static const Schema s = [] {
    Diagnostics d;
    auto r = parse_schema_json(R"({"name":"t","id_field":"id","fields":[
      {"name":"id","type":"int"},
      {"name":"vip","type":"bool","nullable":true},
      {"name":"note","type":"string","nullable":true},
      {"name":"level","type":"enum","ordered":true,"values":["low","mid","high"]},
      {"name":"source","type":"enum","open":true,"values":[{"key":"web_form","label":"Web form"},{"key":"WebForm","label":"Web"}]},
      {"name":"score","type":"decimal","scale":1},
      {"name":"seen","type":"timestamp","nullable":true},
      {"name":"labels","type":"set","open":true,"values":["a","b"]}]})",
                               d);
    EXPECT_TRUE(r) << render_text(d.list(), "schema", "");
    return *r;
  }();
  return s;
}

std::vector<std::string> codes(const std::string& rule) {
  Compiled c = compile_rule(rule, test_schema());
  std::vector<std::string> out;
  for (const auto& d : c.diags.list()) out.push_back(d.code);
  return out;
}
std::string canonical(const std::string& rule) {
  Compiled c = compile_rule(rule, test_schema());
  EXPECT_TRUE(c.ir) << rule << "\n" << render_text(c.diags.list(), "rule", rule);
  return c.ir ? ir::print_rule(*c.ir, test_schema()) : "";
}
using V = std::vector<std::string>;

TEST(Check, BoolFields) {
  EXPECT_EQ(canonical("vip = TRUE"), "vip = true");
  EXPECT_EQ(canonical("vip != true"), "vip = false");
  EXPECT_EQ(codes("vip > false"), V{"E301"});
  EXPECT_EQ(codes("vip = 1"), V{"E302"});
}

TEST(Check, StringFields) {
  EXPECT_EQ(canonical("note in ('x y', abc, \"x y\")"), "note in (abc, \"x y\")");
  EXPECT_EQ(canonical("note = \"say \\\"hi\\\"\\n\""), "note = \"say \\\"hi\\\"\\n\"");
  EXPECT_EQ(codes("note = 12"), V{"E302"});
  EXPECT_EQ(codes("note < \"b\""), V{"E301"});
}

TEST(Check, AmbiguousValueListsTheCandidates) {
  Compiled c = compile_rule("source = \"web form\"", test_schema());
  ASSERT_EQ(c.diags.list().size(), 1u);
  EXPECT_EQ(c.diags.list()[0].code, "E203");
  EXPECT_NE(c.diags.list()[0].message.find("web_form"), std::string::npos);
  EXPECT_NE(c.diags.list()[0].message.find("WebForm"), std::string::npos);
  // The exact key wins over loose matches.
  EXPECT_EQ(canonical("source = WebForm"), "source = WebForm");
  EXPECT_EQ(canonical("source = Web"), "source = WebForm");  // by label
}

TEST(Check, OpenEnumUnknownValueWarns) {
  EXPECT_EQ(codes("source = Phone"), V{"W204"});
  EXPECT_EQ(canonical("source in (Phone, web_form)"), "source in (web_form, Phone)");
}

TEST(Check, DecimalsAndIntegers) {
  EXPECT_EQ(canonical("score >= 2.50"), "score >= 2.5");
  EXPECT_EQ(codes("score = 2.55"), V{"E303"});
  EXPECT_EQ(codes("id = 1.5"), V{"E303"});
  EXPECT_EQ(codes("id = 99999999999999999999"), V{"E305"});
  EXPECT_EQ(canonical("id = -9223372036854775808"), "id = -9223372036854775808");
  EXPECT_EQ(codes("id < -9223372036854775808"), V{"W501"});
}

// One condition that can never match, under `not`s, is said as one condition: its field and
// why, not "the conditions contradict each other" (found by review).
TEST(Check, AConstantConditionUnderNotsIsNamedAsOne) {
  for (const char* rule : {"not ((not score is null))", "not (score is not null)", "score is null"}) {
    Compiled c = compile_rule(rule, test_schema());
    ASSERT_EQ(c.diags.list().size(), 1u) << rule;
    const Diagnostic& d = c.diags.list()[0];
    EXPECT_EQ(d.code, "W501") << rule;
    EXPECT_EQ(d.message, "this rule can never match") << rule;
    EXPECT_EQ(d.suggestion, "`score` is never null") << rule;
  }
}

// A part that contradicts itself is W501 even when it names a value the dictionary does not
// know: the contradiction holds whatever that value turns out to be (it was said only as the
// value's W204, "`none` excludes nobody for it"; found by a review). A value unknown alone
// folds nothing, so it stays W204 only.
TEST(Check, AContradictionNamingAnUnknownValueIsSaid) {
  EXPECT_EQ(codes("labels any (a) and labels none (a, zz)"), (V{"W204", "W501"}));
  EXPECT_EQ(codes("labels any (zz) and labels none (zz)"), (V{"W204", "W204", "W501"}));
  EXPECT_EQ(codes("source = Phone and source = web_form"), (V{"W204", "W501"}));
  EXPECT_EQ(codes("vip = true or (labels all (a) and labels none (a, zz))"), (V{"W204", "W501"}));
  EXPECT_EQ(codes("labels all (a, zz)"), V{"W204"});
  EXPECT_EQ(codes("labels any (zz) and id = 1"), V{"W204"});
  EXPECT_EQ(codes("source = Phone"), V{"W204"});
}

// W506 where the thousands are the likely reading (three parts or more led by a short one, a
// fraction, a group led by a zero, or a list whose other values are apart by `, `), and not
// for a list written without spaces, whose values the fix would have merged (`(1,2,3,100)` ->
// `3100`, a second review; `(100,200,300)` -> `100200300`, a review of the zero-led rule).
// An unknown field's "did you mean": fields as near as the nearest are all named and none is
// put in as the fix (one was picked: a review); a name and its alias are one field; at one
// distance, a name the word starts wins (`stag` is `stage` half typed, not `tag` plus a letter).
TEST(Check, AnUnknownFieldNamesEveryFieldAsNearAndFixesOnlyOne) {
  Diagnostics d;
  auto two = parse_schema_json(R"({"name":"t","fields":[{"name":"id","type":"int"},{"name":"spot","type":"int"},
                                   {"name":"slot","type":"int"}]})", d);
  ASSERT_TRUE(two);
  auto e201 = [](const std::string& rule, const Schema& schema) {
    Compiled c = compile_rule(rule, schema);
    EXPECT_EQ(c.diags.list().size(), 1u) << rule;
    return c.diags.list().empty() ? Diagnostic{} : c.diags.list()[0];
  };
  Diagnostic tie = e201("sxot = 1", *two);
  EXPECT_EQ(tie.suggestion, "did you mean one of `spot`, `slot`?");
  EXPECT_FALSE(tie.fix);
  Diagnostic one = e201("spto = 1", *two);
  EXPECT_EQ(one.fix, std::optional<std::string>("spot"));
  Diagnostic alias = e201("tagz any (VIP)", crm_schema());
  EXPECT_EQ(alias.suggestion, "did you mean `tags`?");
  EXPECT_EQ(alias.fix, std::optional<std::string>("tags"));
  Diagnostic started = e201("stag = Active", crm_schema());
  EXPECT_EQ(started.suggestion, "did you mean `stage`?");
  EXPECT_EQ(started.fix, std::optional<std::string>("stage"));
}

TEST(Check, ThousandsInAListOnlyWhereTheyAreTheLikelyReading) {
  auto w506 = [](const std::string& rule) {
    Compiled c = compile_rule(rule, crm_schema());
    std::vector<std::string> fixes;
    for (const auto& d : c.diags.list())
      if (d.code == "W506") fixes.push_back(d.fix.value_or("(none)"));
    return fixes;
  };
  EXPECT_EQ(w506("player_id in (1,000,000)"), V{"1000000"});
  EXPECT_EQ(w506("player_id in (1,500, 1014515)"), V{"1500"});
  EXPECT_EQ(w506("player_id in (1,000)"), V{"1000"});  // a group led by a zero: nobody writes 000 for 0
  EXPECT_EQ(w506("spot in (12,050,7)"), V{"12050"});
  EXPECT_EQ(w506("player_id in (1,234,567)"), V{"1234567"});
  EXPECT_EQ(w506("player_id in (-12,345,678)"), V{"-12345678"});
  EXPECT_EQ(w506("player_id in (100,000,000)"), V{"100000000"});  // zero-led groups, whatever the first
  EXPECT_EQ(w506("player_id in (100,200,300, 7)"), V{"100200300"});  // the list's other values are spaced
  for (const char* zero_first : {"spot in (0,001)", "spot in (0,000)", "spot in (007,000)", "spot in (1,0,000)", "spot in (-0,500)"})
    EXPECT_EQ(w506(zero_first), V{}) << zero_first;  // no number's leading group starts with 0
  EXPECT_EQ(w506("deposit_total in (1,000.50, 2,000.75)"), (V{"1000.50", "2000.75"}));
  for (const char* values : {"spot in (1,2,3,100)", "player_id in (100,200)", "player_id in (100,200,300)",
                             "player_id in (-100,200,300,400)", "spot in (1,234,5678)", "spot in (1,500)",
                             "spot in (1, 000)", "deposit_total in (1.5,2.5)", "spot in (1,0000)"})
    EXPECT_EQ(w506(values), V{}) << values;
}

TEST(Check, TimestampsAndNow) {
  EXPECT_EQ(canonical("seen = 2026-10-01"), "seen = 2026-10-01");
  EXPECT_EQ(canonical("seen < 2026-10-01T00:00:00Z"), "seen < 2026-10-01");
  EXPECT_EQ(canonical("seen >= now-1w"), "seen >= now - 1w");
  EXPECT_EQ(canonical("seen between now - 2d and now"), "seen between now - 2d and now");
  EXPECT_EQ(codes("id > now"), V{"E304"});
  EXPECT_EQ(codes("seen = 12"), V{"E302"});
  EXPECT_EQ(codes("seen = \"2026-10-01\""), V{"E302"});
}

TEST(Check, OrderingNeedsAnOrderedField) {
  EXPECT_EQ(canonical("level >= mid"), "level != low");  // the shorter way: 1 value, not 2
  EXPECT_EQ(codes("source > web_form"), V{"E301"});
  EXPECT_EQ(codes("level = 2"), V{"E302"});
}

TEST(Check, SetOperatorsOnlyOnSets) {
  EXPECT_EQ(codes("labels = a"), V{"E301"});
  EXPECT_EQ(codes("level any (low)"), V{"E301"});
  EXPECT_EQ(canonical("labels all (b, a) and labels none (c)"), "labels all (a, b) and labels none (c)");
}

TEST(Check, EveryErrorIsReported) {
  EXPECT_EQ(codes("idd = 1 and level = highest or vip = 3 and score = 1.25"), (V{"E201", "E202", "E302", "E303"}));
}

TEST(Check, FieldsAreCaseInsensitive) {
  EXPECT_EQ(canonical("LEVEL = LOW and Id = 3"), "id = 3 and level = low");
}

// Text output never writes a control character it was handed: a value named with an escape
// sequence (ESC [31m) is quoted in the message as `\u{1B}`, a C1 control (U+009B, CSI) too, and
// the file name as well; the JSON form keeps the value as it is (JSON escapes it).
TEST(Check, TextDiagnosticsEscapeControlCharacters) {
  const std::string rule = "labels any (\"A\x1b[31mB\", \"C\xC2\x9B" "D\")";
  Compiled c = compile_rule(rule, test_schema());
  ASSERT_EQ(c.diags.list().size(), 2u) << render_text(c.diags.list(), "rule", rule);  // W204 twice
  const std::string text = render_text(c.diags.list(), "bad\x07name", rule);
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x07'), std::string::npos) << text;
  EXPECT_EQ(text.find("\xC2\x9B"), std::string::npos) << text;
  EXPECT_NE(text.find("A\\u{1B}[31mB"), std::string::npos) << text;
  EXPECT_NE(text.find("C\\u{9B}D"), std::string::npos) << text;
  EXPECT_NE(text.find("bad\\u{7}name"), std::string::npos) << text;
  EXPECT_NE(render_json(c.diags.list(), rule).find("\\u001b"), std::string::npos);
}

// A list of unknown tags (a pasted column of a spreadsheet) gets one W204 a name, repeats said
// once, and suggestions only for its first values: each compares the value with the whole
// dictionary, which took minutes for thousands over a large one (a review of how things
// scale). Every W204 is still there, with a help.
TEST(Check, ManyUnknownValuesAreEachSaidOnceAndOnlyTheFirstGetSuggestions) {
  std::string rule = "tags any (";
  for (int i = 0; i < 300; ++i) rule += fmt::format("{}BLOCKED{}, BLOCKED{}", i ? ", " : "", i, i);  // each twice
  rule += ")";
  Compiled c = compile_rule(rule, crm_schema());
  ASSERT_TRUE(c.ir);
  ASSERT_EQ(c.diags.list().size(), 300u);
  size_t suggested = 0;
  for (size_t i = 0; i < c.diags.list().size(); ++i) {
    const Diagnostic& d = c.diags.list()[i];
    EXPECT_EQ(d.code, "W204");
    EXPECT_NE(d.message.find(fmt::format("`BLOCKED{}`", i)), std::string::npos) << d.message;
    EXPECT_FALSE(d.suggestion.empty());
    if (d.suggestion.find("did you mean") != std::string::npos) ++suggested;
  }
  EXPECT_EQ(suggested, 20u);
  EXPECT_NE(c.diags.list()[0].suggestion.find("did you mean `BLOCKED`?"), std::string::npos) << c.diags.list()[0].suggestion;
  // The same name in another condition is said again there (and the two contradict).
  Compiled two = compile_rule("tags any (BLOCKED0) and tags none (BLOCKED0)", crm_schema());
  std::vector<std::string> two_codes;
  for (const auto& d : two.diags.list()) two_codes.push_back(d.code);
  EXPECT_EQ(two_codes, (std::vector<std::string>{"W204", "W204", "W501"}));
}

// The resolver that gathers a dictionary's loose forms once answers as the function that folds
// the whole dictionary for each value: keys, labels, case, spaces, `_` and `-`, ambiguity.
TEST(Check, DictionaryResolverAgreesWithResolvingOneValue) {
  Dictionary d;
  d.add("NotProcessed", "Not processed");
  d.add("not_processed");  // the same loose form as the first: ambiguous
  d.add("Top-up", "Topped up");
  d.add("VIP");
  d.add("vip_gold", "VIP gold");
  d.add("Registered", "registered");  // a label equal to its key, loosely
  DictionaryResolver r(d);
  for (std::string v : {"NotProcessed", "notprocessed", "Not processed", "NOT_PROCESSED", "not_processed", "topup",
                        "Topped Up", "top up", "vip", "VIP", "VIP gold", "vipgold", "registered", "REGISTERED", "x", "",
                        " ", "-"}) {
    std::vector<uint32_t> a, b;
    const auto one = resolve_dictionary_value(d, v, a), many = r.resolve(v, b);
    EXPECT_EQ(one, many) << v;
    EXPECT_EQ(a, b) << v;
  }
}

}  // namespace
}  // namespace seg
