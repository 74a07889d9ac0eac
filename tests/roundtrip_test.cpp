// Round-trip properties over 10,000 random rules: text -> IR -> text -> IR gives equal IR and
// the same text (fmt is idempotent); IR -> JSON -> IR is equal; form -> IR -> text -> IR -> form
// is equal; and the optimizer never changes what a rule selects (checked on random rows with the
// reference evaluator).
#include <gtest/gtest.h>

#include <cstdlib>

#include "compiler/compile.hpp"
#include "adapters/form.hpp"
#include "compiler/ir_json.hpp"
#include "tests/support/random_rules.hpp"
#include "tests/support/reference_eval.hpp"

namespace seg {
namespace {

// SEG_PROPERTY_RULES raises the count for long runs (docs/testing.md).
int rule_count(int fallback) {
  const char* e = std::getenv("SEG_PROPERTY_RULES");
  return e ? std::max(1, std::atoi(e)) : fallback;
}
const int kRules = rule_count(10000);

TEST(RoundTrip, TextIrTextIrIsStableOnRandomRules) {
  const Schema& schema = crm_schema();
  int compiled = 0, w505 = 0;
  for (int seed = 0; seed < kRules; ++seed) {
    testing::RuleGen gen(static_cast<uint64_t>(seed));
    std::string text = gen.rule();
    Compiled c1 = compile_rule(text, schema);
    if (!c1.ir) continue;
    ++compiled;
    std::string t1 = ir::print_rule(*c1.ir, schema);
    Compiled c2 = compile_rule(t1, schema);
    ASSERT_TRUE(c2.ir) << "seed " << seed << "\nrule:      " << text << "\ncanonical: " << t1 << "\n"
                       << render_text(c2.diags.list(), "canonical", t1);
    ASSERT_TRUE(ir::equal(*c1.ir, *c2.ir)) << "seed " << seed << "\nrule: " << text << "\ncanonical: " << t1
                                           << "\nIR1:\n" << ir::dump_tree(*c1.ir, schema) << "IR2:\n"
                                           << ir::dump_tree(*c2.ir, schema);
    EXPECT_EQ(ir::stable_hash(*c1.ir), ir::stable_hash(*c2.ir));
    std::string t2 = ir::print_rule(*c2.ir, schema);
    ASSERT_EQ(t1, t2) << "fmt is not idempotent for seed " << seed << ": " << text;
    // Canonical text writes the parentheses W505 asks for; the W505 fix on the rule as written
    // keeps its meaning and leaves nothing to warn about.
    for (const auto& d : c2.diags.list()) EXPECT_NE(d.code, "W505") << "canonical: " << t1;
    // (Fixes applied one at a time, as an editor's user would: each leaves one W505 fewer.)
    auto w505s = [](const Compiled& c) {
      std::vector<Diagnostic> out;
      for (const auto& d : c.diags.list())
        if (d.code == "W505") out.push_back(d);
      return out;
    };
    std::string fixed = text;
    for (auto left = w505s(c1); !left.empty();) {
      ++w505;
      ASSERT_TRUE(left[0].fix) << fixed;
      fixed = fixed.substr(0, left[0].span.begin) + *left[0].fix + fixed.substr(left[0].span.end);
      Compiled c3 = compile_rule(fixed, schema);
      ASSERT_TRUE(c3.ir) << fixed;
      ASSERT_TRUE(ir::equal(*c1.ir, *c3.ir)) << "rule: " << text << "\nfixed: " << fixed;
      auto now_left = w505s(c3);
      ASSERT_EQ(now_left.size() + 1, left.size()) << "rule: " << text << "\nfixed: " << fixed;
      left = std::move(now_left);
    }

    // The IR before any pass (`seg ir --passes none --format json`) is written too: a strict
    // bound off the dictionary's end (`stage < NotProcessed`) crashed the writer (a review).
    CompileOptions raw;
    raw.passes.enabled = false;
    Compiled c0 = compile_rule(text, schema, raw);
    ASSERT_TRUE(c0.ir) << text;
    Diagnostics rd;
    auto raw_back = ir_from_json(ir_to_json(*c0.ir, schema), schema, rd);
    ASSERT_TRUE(raw_back) << "seed " << seed << " " << text << "\n" << render_text(rd.list(), "json", "");
    Diagnostics od;
    optimize(*raw_back, schema, od);
    ASSERT_TRUE(ir::equal(*c1.ir, *raw_back)) << "seed " << seed << "\nrule: " << text << "\n" << ir_to_json(*c0.ir, schema, 2);

    Diagnostics jd;
    auto back = ir_from_json(ir_to_json(*c1.ir, schema), schema, jd);
    ASSERT_TRUE(back) << "seed " << seed << " " << render_text(jd.list(), "json", "");
    ASSERT_TRUE(ir::equal(*c1.ir, *back)) << "seed " << seed << "\n" << ir_to_json(*c1.ir, schema, 2);
  }
  // The generator writes valid rules most of the time; errors are the exception it also covers.
  EXPECT_GT(compiled, kRules * 9 / 10);
  EXPECT_GT(w505, 0) << "no random rule mixed and/or without parentheses: the W505 checks above ran on nothing";
}

TEST(RoundTrip, FormIrTextIrForm) {
  const Schema& schema = crm_schema();
  for (int seed = 0; seed < 2000; ++seed) {
    testing::RuleGen gen(static_cast<uint64_t>(seed) + 77);
    SegmentForm f0 = gen.form();
    Diagnostics d;
    auto ir0 = form_to_ir(f0, schema, d);
    ASSERT_TRUE(ir0) << render_text(d.list(), "form", "");
    std::string why;
    auto canonical = ir_to_form(*ir0, schema, why);
    ASSERT_TRUE(canonical) << why;
    // The canonical form means the same as the one filled in.
    auto ir1 = form_to_ir(*canonical, schema, d);
    ASSERT_TRUE(ir1 && ir::equal(*ir0, *ir1)) << form_to_json(f0);
    // form -> IR -> text -> IR -> form
    std::string text = ir::print_rule(*ir1, schema);
    Compiled c = compile_rule(text, schema);
    ASSERT_TRUE(c.ir) << text;
    ASSERT_TRUE(ir::equal(*ir1, *c.ir)) << text;
    auto f2 = ir_to_form(*c.ir, schema, why);
    ASSERT_TRUE(f2) << why;
    EXPECT_EQ(*f2, *canonical) << text;
  }
}

TEST(RoundTrip, OptimizerPreservesMeaningOnRandomRows) {
  const Schema& schema = crm_schema();
  testing::RuleGen rows_gen(4242);
  std::vector<testing::RefRow> rows;
  for (int i = 0; i < 300; ++i) rows.push_back(testing::random_crm_row(rows_gen, schema));
  const int64_t now = 1790000000;
  CompileOptions raw;
  raw.passes.enabled = false;
  for (int seed = 0; seed < kRules * 3 / 10; ++seed) {
    testing::RuleGen gen(static_cast<uint64_t>(seed) + 100000);
    std::string text = gen.rule();
    Compiled lowered = compile_rule(text, schema, raw);
    Compiled optimized = compile_rule(text, schema);
    if (!lowered.ir) continue;
    ASSERT_TRUE(optimized.ir);
    for (size_t r = 0; r < rows.size(); ++r) {
      bool a = testing::ref_matches(*lowered.ir, schema, rows[r], now);
      bool b = testing::ref_matches(*optimized.ir, schema, rows[r], now);
      ASSERT_EQ(a, b) << "seed " << seed << " row " << r << "\nrule: " << text << "\noptimized: "
                      << ir::print_rule(*optimized.ir, schema) << "\n" << ir::dump_tree(*lowered.ir, schema);
    }
  }
}

}  // namespace
}  // namespace seg
