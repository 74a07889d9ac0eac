// The rule limits of base/limits.hpp on generated inputs too big for golden files: each
// just below (compiles) and just above (its own error code, at the right place), and hostile
// inputs far above (a million `(`) answer quickly with an error, never a crash or a deep stack.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "compiler/compile.hpp"
#include "grammar/parse.hpp"

namespace seg {
namespace {

struct Outcome {
  std::vector<Diagnostic> list;
  std::vector<std::string> codes;
  std::vector<Span> spans;
  bool compiled = false;
  std::string rendered;
};

Outcome run(const std::string& text, const CompileOptions& options = {}) {
  Outcome o;
  Compiled c = compile_rule(text, crm_schema(), options);
  o.compiled = c.ir.has_value();
  o.list = c.diags.list();
  for (const auto& d : c.diags.list()) {
    o.codes.push_back(d.code);
    o.spans.push_back(d.span);
  }
  o.rendered = render_text(c.diags.list(), "rule", text);
  return o;
}

using V = std::vector<std::string>;

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}
std::string nested_parens(size_t n) { return std::string(n, '(') + "spot = 1" + std::string(n, ')'); }
std::string nested_nots(size_t n) { return repeat("not ", n) + "spot = 1"; }
// `spot = 0 or spot = 1 or …`: n conditions.
std::string conditions(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += (i ? " or spot = " : "spot = ") + std::to_string(i);
  return s;
}
// `tag any (T000,T001,…)`: n values (they repeat after T255).
std::string tag_list(size_t n) {
  std::string s = "tag any (";
  char buf[8];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "T%03zu", i % 256);
    if (i) s += ',';
    s += buf;
  }
  return s + ")";
}

// ---- Messages quoting what was written ----

// A message quotes a name or value the user wrote, cut past 1,000 bytes with the whole length
// said: a 4 MB unknown field made a 4 MB message (found by a review). The cut keeps UTF-8 whole.
TEST(Limits, AMessageQuotingAHugeNameIsCut) {
  const std::string name = "x" + std::string(400000, 'y');
  Outcome o = run("spot = 1 and " + name + " = 1");
  ASSERT_FALSE(o.compiled);
  ASSERT_EQ(o.codes, V{"E201"});
  const std::string& m = o.list[0].message;
  EXPECT_LT(m.size(), 1100u);
  // "unknown field `NAME`": the whole length is said.
  EXPECT_NE(m.find("(" + std::to_string(name.size() + 16) + " bytes in all)"), std::string::npos) << m;
  // A value with a two-byte character where the cut falls: no character is cut in half.
  for (size_t at : {995u, 996u, 997u, 998u, 999u, 1000u}) {
    Outcome e = run("stage = \"" + std::string(at, 'a') + "\xC3\xA9" + std::string(200, 'b') + "\"");
    ASSERT_FALSE(e.list.empty());
    const std::string& v = e.list[0].message;
    EXPECT_LT(v.size(), 1100u) << at;
    for (size_t i = 0; i < v.size(); ++i) {
      if (static_cast<unsigned char>(v[i]) == 0xC3) {
        EXPECT_EQ(i + 1 < v.size() ? static_cast<unsigned char>(v[i + 1]) : 0, 0xA9u) << at;
      }
    }
  }
}

// ---- E401: rule length ----

TEST(Limits, RuleBytesAtTheLimitCompiles) {
  const size_t max = Limits{}.max_rule_bytes;
  std::string head = "spot = 1 -- ";
  std::string at = head + std::string(max - head.size(), 'x');
  ASSERT_EQ(at.size(), max);
  Outcome o = run(at);
  EXPECT_TRUE(o.compiled) << o.rendered;
  EXPECT_EQ(o.codes, V{});
}

TEST(Limits, RuleBytesOneOverIsE401AtTheFirstByteTooMany) {
  const size_t max = Limits{}.max_rule_bytes;
  std::string head = "spot = 1 -- ";
  std::string over = head + std::string(max + 1 - head.size(), 'x');
  ASSERT_EQ(over.size(), max + 1);
  Outcome o = run(over);
  EXPECT_FALSE(o.compiled);
  ASSERT_EQ(o.codes, V{"E401"});
  EXPECT_EQ(o.spans[0].begin, max);
  EXPECT_NE(o.rendered.find(fmt::format("the rule is longer than {} bytes, the limit", max)), std::string::npos) << o.rendered;
  // The 4 MiB line is cut around the caret, not printed whole.
  EXPECT_LT(o.rendered.size(), 1000u) << o.rendered;
  EXPECT_NE(o.rendered.find("..."), std::string::npos);
}

TEST(Limits, ARuleCutAtTheLimitInsideAStringIsOnlyE401) {
  // Readers stop at the limit + 1 byte, so a long string is cut open there: that is no news.
  const size_t max = Limits{}.max_rule_bytes;
  std::string over = "tag any (\"" + std::string(max, 'a');
  Outcome o = run(over);
  EXPECT_EQ(o.codes, V{"E401"}) << o.rendered.substr(0, 300);
  // A string left open before a line break is still reported: it is wrong whatever follows.
  std::string broken = "tag any (\"x\n" + std::string(max, ' ');
  EXPECT_EQ(run(broken).codes, (V{"E401", "E105"}));
}

TEST(Limits, RuleBytesIsAnOption) {
  CompileOptions opt;
  opt.limits.max_rule_bytes = 8;
  EXPECT_TRUE(run("spot = 1", opt).compiled);
  EXPECT_EQ(run("spot = 12", opt).codes, V{"E401"});
}

// The canonical text is held to the limit too, with the limits given (compile_rule's own
// step, which `seg bench` and `seg ir` share with Rule::compile): a list written without
// spaces prints longer than it was typed.
TEST(Limits, TheCanonicalTextIsHeldToTheByteLimitGiven) {
  CompileOptions opt;
  opt.limits.max_rule_bytes = 20;
  const std::string typed = "spot in (1,2,3,4,5)";  // 19 bytes; canonical "spot in (1, 2, 3, 4, 5)", 23
  ASSERT_LE(typed.size(), opt.limits.max_rule_bytes);
  Compiled c = compile_rule(typed, crm_schema(), opt);
  EXPECT_FALSE(c.ir);
  EXPECT_TRUE(c.text.empty());
  ASSERT_EQ(c.diags.list().size(), 1u);
  EXPECT_EQ(c.diags.list()[0].code, "E401");
  EXPECT_NE(c.diags.list()[0].message.find("23 bytes"), std::string::npos) << c.diags.list()[0].message;
  opt.limits.max_rule_bytes = 23;
  Compiled fits = compile_rule(typed, crm_schema(), opt);
  ASSERT_TRUE(fits.ir);
  EXPECT_EQ(fits.text, "spot in (1, 2, 3, 4, 5)");
  EXPECT_EQ(fits.text, ir::print_rule(*fits.ir, crm_schema()));
}

// A rule built another way (a form, an import) goes through the same steps: optimized, printed,
// and held to the number of conditions at the document's root.
TEST(Limits, ABuiltRuleIsOptimizedPrintedAndHeldToTheConditions) {
  Compiled small = compile_rule("spot = 1 and spot = 1", crm_schema());
  ASSERT_TRUE(small.ir);
  Compiled again = compile_built(small.ir, {}, crm_schema());
  ASSERT_TRUE(again.ir);
  EXPECT_EQ(again.text, "spot = 1");
  CompileOptions opt;
  opt.limits.max_predicates = 1;  // the two below print as `spot = 1 or tag any (VIP)`
  Compiled three = compile_rule("spot = 1 or tag any (VIP)", crm_schema());
  ASSERT_TRUE(three.ir);
  Compiled over = compile_built(three.ir, {}, crm_schema(), opt);
  EXPECT_FALSE(over.ir);
  ASSERT_EQ(over.diags.list().size(), 1u);
  EXPECT_EQ(over.diags.list()[0].code, "E403");
  EXPECT_TRUE(over.diags.list()[0].json);
  // Errors of building it leave no IR, whatever was built.
  Diagnostics built_wrong;
  built_wrong.json_error("E605", "/x", "unknown member", "");
  EXPECT_FALSE(compile_built(small.ir, std::move(built_wrong), crm_schema()).ir);
}

// ---- E402: nesting depth ----

TEST(Limits, DepthOfParentheses) {
  const size_t max = Limits{}.max_depth;
  Outcome below = run(nested_parens(max));
  EXPECT_TRUE(below.compiled) << below.rendered;
  Outcome above = run(nested_parens(max + 1));
  ASSERT_EQ(above.codes, V{"E402"});
  // The caret is on the first `(` too many.
  EXPECT_EQ(above.spans[0], (Span{uint32_t(max), uint32_t(max + 1)}));
  EXPECT_NE(above.rendered.find("the rule nests deeper than 128 levels"), std::string::npos) << above.rendered;
}

TEST(Limits, DepthOfNot) {
  const size_t max = Limits{}.max_depth;
  Outcome below = run(nested_nots(max));
  EXPECT_TRUE(below.compiled) << below.rendered;
  EXPECT_EQ(below.codes, V{});
  Outcome above = run(nested_nots(max + 1));
  ASSERT_EQ(above.codes, V{"E402"});
  EXPECT_EQ(above.spans[0].begin, 4 * max);  // the first `not` too many
}

TEST(Limits, TwoHundredNestedNots) {
  Outcome o = run(nested_nots(200));
  EXPECT_EQ(o.codes, V{"E402"});
  // `not (not (…))` nests both ways and counts both.
  std::string mixed = repeat("not (", 100) + "spot = 1" + std::string(100, ')');
  EXPECT_EQ(run(mixed).codes, V{"E402"});
  std::string mixed_ok = repeat("not (", 64) + "spot = 1" + std::string(64, ')');
  EXPECT_TRUE(run(mixed_ok).compiled);
}

TEST(Limits, MoreOpenParenthesesThanTheByteLimitIsQuick) {
  Outcome o = run(std::string(Limits{}.max_rule_bytes + 1000, '('));
  // Too long, and the linear pre-check also finds it too deep; PEGTL never runs.
  EXPECT_EQ(o.codes, (V{"E401", "E402"}));
  EXPECT_FALSE(o.compiled);
}

TEST(Limits, DeepInputsInsideTheByteLimitAreQuick) {
  // As deep as the byte limit allows, each way: an error, and no stack overflow.
  const size_t max = Limits{}.max_rule_bytes;
  for (const std::string& text : {std::string(max, '('), std::string(max, ')'),
                                  std::string(max / 2, '(') + std::string(max / 2, ')'), nested_nots(max / 4 - 4),
                                  repeat("(not ", max / 5)}) {
    Outcome o = run(text);
    EXPECT_FALSE(o.compiled);
    ASSERT_EQ(o.codes.size(), 1u) << o.rendered;
    EXPECT_TRUE(o.codes[0] == "E402" || o.codes[0] == "E102") << o.codes[0];
  }
}

TEST(Limits, DepthIsAnOption) {
  CompileOptions opt;
  opt.limits.max_depth = 2;
  EXPECT_TRUE(run("not (spot = 1)", opt).compiled);
  EXPECT_EQ(run("((spot = 1))", opt).codes, V{});
  EXPECT_EQ(run("(((spot = 1)))", opt).codes, V{"E402"});
  EXPECT_EQ(run("not not not spot = 1", opt).codes, V{"E402"});
}

// ---- E403: conditions ----

TEST(Limits, TenThousandConditionsCompileAndOneMoreIsE403) {
  CompileOptions opt;
  const size_t max = opt.limits.max_predicates;
  Outcome below = run(conditions(max), opt);
  EXPECT_TRUE(below.compiled) << below.rendered.substr(0, 500);
  std::string text = conditions(max + 1);
  Outcome above = run(text, opt);
  ASSERT_EQ(above.codes, V{"E403"});
  // The caret is on the field of the 10,001st condition.
  EXPECT_EQ(above.spans[0].begin, text.rfind("spot"));
}

TEST(Limits, TrueAndFalseCountAsConditions) {
  CompileOptions opt;
  opt.limits.max_predicates = 3;
  // (no W501: a literal `false` in a rule is meant, not a surprise)
  EXPECT_EQ(run("true and spot = 1 and false", opt).codes, V{});
  EXPECT_EQ(run("true and spot = 1 and false or true", opt).codes, V{"E403"});
}

// ---- E404: values in one list ----

TEST(Limits, AHundredThousandListValuesCompileAndOneMoreIsE404) {
  const size_t max = Limits{}.max_list_values;
  Outcome below = run(tag_list(max));
  EXPECT_TRUE(below.compiled) << below.rendered.substr(0, 500);
  std::string text = tag_list(max + 1);
  ASSERT_LE(text.size(), Limits{}.max_rule_bytes);
  Outcome above = run(text);
  ASSERT_EQ(above.codes, V{"E404"});
  // The caret is on the 100,001st value.
  EXPECT_EQ(above.spans[0].begin, text.size() - 1 - 4);
  EXPECT_EQ(above.spans[0].end, text.size() - 1);
}

TEST(Limits, ListLimitIsPerList) {
  CompileOptions opt;
  opt.limits.max_list_values = 2;
  EXPECT_TRUE(run("spot in (1, 2) and player in (3, 4)", opt).compiled);
  EXPECT_EQ(run("spot in (1, 2, 3)", opt).codes, V{"E404"});
  EXPECT_EQ(run("tag any (VIP, BLOCKED, \"Top-up\")", opt).codes, V{"E404"});
}

// ---- the parser alone honours the same limits ----

TEST(Limits, ParseRuleReportsLimitsWithoutTheChecker) {
  Limits l;
  l.max_depth = 1;
  Diagnostics d;
  EXPECT_FALSE(parse_rule("((spot = 1))", d, l));
  ASSERT_EQ(d.list().size(), 1u);
  EXPECT_EQ(d.list()[0].code, "E402");
  Diagnostics ok;
  EXPECT_TRUE(parse_rule("(no_such_field = 1)", ok, l));
  EXPECT_TRUE(ok.empty());
}

}  // namespace
}  // namespace seg
