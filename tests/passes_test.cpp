// Each optimizer pass alone: the IR before and after (as canonical text or tree), whether it
// reports a change, and the never/always-match warnings.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <random>

#include "compiler/compile.hpp"
#include "compiler/passes/passes.hpp"
#include "tests/support/reference_eval.hpp"
#include "tests/support/schema.hpp"

namespace seg {
namespace {

using seg::testing::S;

ir::Node lowered(const std::string& text) {
  CompileOptions o;
  o.passes.enabled = false;
  Compiled c = compile_rule(text, S(), o);
  EXPECT_TRUE(c.ir) << text << "\n" << render_text(c.diags.list(), "rule", text);
  return c.ir ? *c.ir : ir::Node::constant(false);
}

// Runs one pass once; returns the tree after it and whether the pass said it changed anything.
std::pair<std::string, bool> run(PassFn pass, const std::string& text) {
  ir::Node n = lowered(text);
  Diagnostics d;
  PassContext ctx{S(), d};
  bool changed = pass(n, ctx);
  return {ir::dump_tree(n, S()), changed};
}

std::string tree(const std::string& text) { return ir::dump_tree(lowered(text), S()); }

// A rule's canonical text, after every pass.
std::string canonical(const std::string& rule) {
  Compiled c = compile_rule(rule, S());
  EXPECT_TRUE(c.ir) << rule;
  return c.ir ? ir::print_rule(*c.ir, S()) : std::string();
}

// Drops the "@begin..end" origins so expectations read as meaning only.
std::string strip(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ' ' && i + 2 < s.size() && s[i + 1] == ' ' && s[i + 2] == '@') {
      while (i < s.size() && s[i] != '\n') ++i;
    }
    if (i < s.size()) out += s[i];
  }
  return out;
}

TEST(PassFlatten, NestedAndOrBecomeOneLevel) {
  auto [after, changed] = run(passes::flatten, "spot = 1 and (spot = 2 and (stage = Deposit and spot = 3))");
  EXPECT_TRUE(changed);
  EXPECT_EQ(strip(after), "and\n  in spot {1}\n  in spot {2}\n  in stage {Deposit}\n  in spot {3}\n");
}

TEST(PassFlatten, DoubleNotGoesAway) {
  auto [after, changed] = run(passes::flatten, "not not spot = 1");
  EXPECT_TRUE(changed);
  EXPECT_EQ(strip(after), "in spot {1}\n");
}

TEST(PassFlatten, NothingToDoReportsNoChange) {
  auto [after, changed] = run(passes::flatten, "spot = 1 and stage = Deposit");
  EXPECT_FALSE(changed);
  EXPECT_EQ(after, tree("spot = 1 and stage = Deposit"));
}

TEST(PassFoldConstants, TrueAndFalseAbsorbOrVanish) {
  EXPECT_EQ(strip(run(passes::fold_constants, "spot = 1 and true").first), "and\n  in spot {1}\n");
  EXPECT_EQ(strip(run(passes::fold_constants, "spot = 1 and false").first), "false\n");
  EXPECT_EQ(strip(run(passes::fold_constants, "spot = 1 or true").first), "true\n");
  EXPECT_EQ(strip(run(passes::fold_constants, "not false").first), "true\n");
}

TEST(PassFoldConstants, NullTestsOnFieldsThatAreNeverNull) {
  EXPECT_EQ(strip(run(passes::fold_constants, "spot is null").first), "false\n");
  EXPECT_EQ(strip(run(passes::fold_constants, "spot is not null").first), "true\n");
  // last_active_at may be null: nothing to fold.
  auto [after, changed] = run(passes::fold_constants, "last_active_at is null");
  EXPECT_FALSE(changed);
}

TEST(PassFoldConstants, EmptyRangesAndWholeDictionaries) {
  EXPECT_EQ(strip(run(passes::fold_constants, "spot between 5 and 3").first), "false\n");
  EXPECT_EQ(strip(run(passes::fold_constants,
                      "country in (DE, AT, CH, FR, IT, ES, PT, NL, BE, PL, CZ, SK, HU, RO, BG, GR, SE, NO, DK, FI, IE,"
                      " GB, US, CA, BR, MX, AR, TR, UA, KZ)")
                    .first),
            "not_is_null country \n");
}

TEST(PassFoldConstants, UnknownTagsAreKeptNotFolded) {
  // A tag the schema does not know may be in the data by the time the rule runs.
  auto [after, changed] = run(passes::fold_constants, "tag any (T999)");
  EXPECT_FALSE(changed);
  EXPECT_EQ(strip(after), "any tags {\"T999\"?}\n");
}

TEST(PassNormalizeValues, OrderedDictionaryRangeBecomesList) {
  auto [after, changed] = run(passes::normalize_values, "stage >= Active");
  EXPECT_TRUE(changed);
  EXPECT_EQ(strip(after), "in stage {Active, Churned, Blocked}\n");
}

TEST(PassNormalizeValues, ClosedListIsWrittenTheShorterWay) {
  // 6 of 8 stages: the negative list (2 values) is shorter.
  EXPECT_EQ(strip(run(passes::normalize_values, "stage >= Registration").first),
            "not_in stage {NotProcessed, Ignored}\n");
  // 4 of 8: a tie keeps the positive list.
  EXPECT_EQ(strip(run(passes::normalize_values, "stage <= MadeFirstSale").first),
            "in stage {NotProcessed, Ignored, Registration, MadeFirstSale}\n");
}

TEST(PassNormalizeValues, PointRangeBecomesEquality) {
  EXPECT_EQ(strip(run(passes::normalize_values, "spot between 7 and 7").first), "in spot {7}\n");
}

TEST(PassSimplifyNegation, NonNullableFieldTakesTheNegationIn) {
  auto [after, changed] = run(passes::simplify_negation, "not stage in (Deposit)");
  EXPECT_TRUE(changed);
  EXPECT_EQ(strip(after), "not_in stage {Deposit}\n");
}

TEST(PassSimplifyNegation, NullableFieldSaysTheNullCase) {
  // `not country in (DE)` includes clients without a country; `country not in (DE)` does not.
  auto [after, changed] = run(passes::simplify_negation, "not country in (DE)");
  EXPECT_TRUE(changed);
  EXPECT_EQ(strip(after), "or\n  is_null country \n  not_in country {DE}\n");
}

TEST(PassMergePredicates, ANullTestDecidesTheSameTestInASiblingGroup) {
  // Under and, a comparison says the field has a value: the `is null` inside the or is false
  // (and what is left joins the sibling).
  EXPECT_EQ(strip(run(passes::merge_predicates, "country != US and (country = FR or country is null)").first),
            "in country {FR}\n");
  // Under or, `is null` makes the `is not null` of a sibling and true.
  EXPECT_EQ(strip(run(passes::merge_predicates, "country is null or (country is not null and spot = 3)").first),
            "or\n  is_null country \n  in spot {3}\n");
}

TEST(PassMergePredicates, OneValueAnysUnderAndAreAnAll) {
  EXPECT_EQ(strip(run(passes::merge_predicates, "tag any (VIP) and tag any (REGISTERED)").first),
            "all tags {REGISTERED, VIP}\n");
  EXPECT_EQ(strip(run(passes::merge_predicates, "tag all (VIP, BLOCKED) and tag any (REGISTERED)").first),
            "all tags {REGISTERED, VIP, BLOCKED}\n");
  // A two-value any is not one more value to hold.
  EXPECT_EQ(strip(run(passes::merge_predicates, "tag any (VIP, BLOCKED) and tag any (REGISTERED)").first),
            "and\n  any tags {VIP, BLOCKED}\n  any tags {REGISTERED}\n");
}

TEST(PassSimplifyNegation, DeMorganAndSetDuals) {
  EXPECT_EQ(strip(run(passes::simplify_negation, "not (tag any (VIP) and last_active_at is null)").first),
            "or\n  none tags {VIP}\n  not_is_null last_active_at \n");
}

// Two lists become one only within the list limit (E404), or the canonical text would not
// parse again: a membership kept `player in (120,000 ids)` in segments.json and never opened
// (found by a review).
TEST(PassMergePredicates, ListsJoinOnlyWithinTheListLimit) {
  const size_t half = Limits{}.max_list_values / 2 + 10;
  std::string a, b;
  for (size_t i = 0; i < half; ++i) {
    a += (i ? ", " : "") + std::to_string(1000000 + i);
    b += (i ? ", " : "") + std::to_string(2000000 + i);
  }
  const std::string rule = "player_id in (" + a + ") or player_id in (" + b + ")";
  Compiled c = compile_rule(rule, S());
  ASSERT_TRUE(c.ir) << render_text(c.diags.list(), "rule", rule.substr(0, 200));
  EXPECT_EQ(c.ir->kind, ir::Kind::Or);
  ASSERT_EQ(c.ir->children.size(), 2u);
  const std::string text = ir::print_rule(*c.ir, S());
  Compiled again = compile_rule(text, S());
  ASSERT_TRUE(again.ir) << render_text(again.diags.list(), "rule", text.substr(0, 200));
  EXPECT_EQ(ir::print_rule(*again.ir, S()), text);
  // Within the limit they still join.
  Compiled small = compile_rule("player_id in (1, 2) or player_id in (3)", S());
  ASSERT_TRUE(small.ir);
  EXPECT_EQ(small.ir->kind, ir::Kind::In);
}

TEST(PassMergePredicates, InIntersectionUnderAndUnionUnderOr) {
  EXPECT_EQ(strip(run(passes::merge_predicates, "spot in (1, 2, 3) and spot in (2, 3, 4)").first),
            "in spot {2, 3}\n");
  EXPECT_EQ(strip(run(passes::merge_predicates, "spot in (1, 2) or spot in (5)").first), "in spot {1, 2, 5}\n");
}

TEST(PassMergePredicates, ContradictoryEqualitiesLeaveAnEmptyList) {
  auto [after, changed] = run(passes::merge_predicates, "spot = 1 and spot = 2");
  EXPECT_TRUE(changed);
  EXPECT_EQ(strip(after), "in spot {}\n");
}

TEST(PassMergePredicates, RangeIntersection) {
  EXPECT_EQ(strip(run(passes::merge_predicates, "deposit_total > 10 and deposit_total <= 20.5").first),
            "range deposit_total [10.01, 20.5]\n");
}

TEST(PassMergePredicates, SetLists) {
  EXPECT_EQ(strip(run(passes::merge_predicates, "tag all (VIP) and tag all (BLOCKED)").first),
            "all tags {VIP, BLOCKED}\n");
  EXPECT_EQ(strip(run(passes::merge_predicates, "tag any (VIP) or tag any (BLOCKED)").first),
            "any tags {VIP, BLOCKED}\n");
  // Under or, `none` need only cover what `any` does not: everyone when it covers it all.
  EXPECT_EQ(strip(run(passes::merge_predicates, "tag any (VIP) or tag none (VIP)").first), "true\n");
  EXPECT_EQ(strip(run(passes::merge_predicates, "tag any (VIP, BLOCKED) or tag none (VIP, REGISTERED)").first),
            "or\n  any tags {VIP, BLOCKED}\n  none tags {REGISTERED}\n");
  EXPECT_EQ(strip(run(passes::merge_predicates, "tag any (VIP) or tag none (BLOCKED)").first),
            "or\n  any tags {VIP}\n  none tags {BLOCKED}\n");
}

// Under `or` one value is a one-point range: a range absorbs it or grows by it. At the int64
// edge this is what makes `spot >= 9223372036854775807` (an `in` once lowered) join back.
TEST(PassMergePredicates, PointJoinsARangeUnderOr) {
  EXPECT_EQ(strip(run(passes::merge_predicates, "spot = 5 or spot > 5").first), "range spot [5, +inf]\n");
  EXPECT_EQ(strip(run(passes::merge_predicates, "spot = 7 or spot between 1 and 9").first), "range spot [1, 9]\n");
  EXPECT_EQ(strip(run(passes::merge_predicates, "spot < -1 or spot >= 9223372036854775807").first),
            "not_range spot [-1, 9223372036854775806]\n");
  // Not adjacent: both stay.
  EXPECT_EQ(strip(run(passes::merge_predicates, "spot = 3 or spot > 5").first),
            "or\n  in spot {3}\n  range spot [6, +inf]\n");
}

// A node merged down to one predicate is that predicate, so merges cascade up a deep rule in
// one walk (they took one optimizer round per level, and the round limit cut deep rules short).
TEST(PassMergePredicates, MergesCascadeUpInOneWalk) {
  auto [after, changed] =
      run(passes::merge_predicates, "spot = 4 or (spot != 3 and (spot = 2 or (spot != 1 and spot in (0, 1, 2))))");
  EXPECT_TRUE(changed);
  EXPECT_EQ(strip(after), "in spot {0, 2, 4}\n");
}

TEST(PassOrderCanonically, SortsByFieldAndDedupes) {
  auto [after, changed] = run(passes::order_canonically, "spot = 12 and tag any (REGISTERED) and stage = Deposit and spot = 12");
  EXPECT_TRUE(changed);
  EXPECT_EQ(strip(after), "and\n  in stage {Deposit}\n  any tags {REGISTERED}\n  in spot {12}\n");
}

TEST(Optimizer, EqualMeaningGivesEqualIrAndHash) {
  const char* same[][2] = {
      {"spot = 12 and stage in (Registration, NotProcessed)", "stage in (\"Not processed\", registration) and spot = 12"},
      {"not stage in (Blocked)", "stage != Blocked"},
      {"stage >= Registration", "stage not in (NotProcessed, Ignored)"},
      {"spot > 5", "spot >= 6"},
      {"deposit_total > 500", "deposit_total >= 500.01"},
      {"last_active_at >= 2026-10-01", "last_active_at > 2026-09-30"},
      {"not (tag any (VIP) or spot = 1)", "tag none (VIP) and spot != 1"},
  };
  for (auto& [a, b] : same) {
    Compiled ca = compile_rule(a, S()), cb = compile_rule(b, S());
    ASSERT_TRUE(ca.ir && cb.ir);
    EXPECT_TRUE(ir::equal(*ca.ir, *cb.ir)) << a << "  vs  " << b;
    EXPECT_EQ(ir::stable_hash(*ca.ir), ir::stable_hash(*cb.ir)) << a;
    EXPECT_EQ(ir::print_rule(*ca.ir, S()), ir::print_rule(*cb.ir, S()));
  }
  Compiled x = compile_rule("spot = 12", S()), y = compile_rule("spot = 13", S());
  EXPECT_NE(ir::stable_hash(*x.ir), ir::stable_hash(*y.ir));
}

TEST(Optimizer, PassesCanBeSwitchedOff) {
  CompileOptions o;
  o.passes.only = {"flatten"};
  Compiled c = compile_rule("spot = 1 and spot = 2", S(), o);
  ASSERT_TRUE(c.ir);
  EXPECT_EQ(ir::print_rule(*c.ir, S()), "spot = 1 and spot = 2");
}

bool has_code(const Diagnostics& d, const std::string& code) {
  for (const auto& x : d.list())
    if (x.code == code) return true;
  return false;
}

TEST(Warnings, NeverMatchFoldsToFalseAndPointsAtTheRule) {
  std::string text = "spot = 1 and spot = 2";
  Compiled c = compile_rule(text, S());
  ASSERT_TRUE(c.ir);
  EXPECT_TRUE(c.ir->is_const(false));
  ASSERT_TRUE(has_code(c.diags, "W501"));
  EXPECT_EQ(c.diags.list()[0].span.begin, 0u);
  EXPECT_EQ(c.diags.list()[0].span.end, text.size());
}

// The help names the field whose conditions clash, also when they sit in an `and` inside the
// `and` (a review: `client_id < 10 and (client_id >= 20 and tag any (VIP))` was said to be a
// tag had and not had).
TEST(Warnings, TheClashInANestedAndNamesItsField) {
  Compiled c = compile_rule("client_id < 10 and (client_id >= 20 and tag any (VIP))", S());
  ASSERT_TRUE(has_code(c.diags, "W501"));
  const auto& d = c.diags.list()[0];
  EXPECT_NE(d.suggestion.find("no value of `client_id` lies in all of these ranges"), std::string::npos) << d.suggestion;
}

TEST(Warnings, AlwaysMatchOnANonNullField) {
  Compiled c = compile_rule("stage in (Deposit) or not stage in (Deposit)", S());
  ASSERT_TRUE(c.ir);
  EXPECT_TRUE(c.ir->is_const(true));
  EXPECT_TRUE(has_code(c.diags, "W502"));
  // On a nullable field the same shape is not always true: clients without a country.
  Compiled n = compile_rule("country in (DE) or country not in (DE)", S());
  ASSERT_TRUE(n.ir);
  EXPECT_FALSE(has_code(n.diags, "W502"));
  EXPECT_EQ(ir::print_rule(*n.ir, S()), "country is not null");
}

TEST(Warnings, ContradictionInsideAnOrPointsAtThatPart) {
  std::string text = "stage = Deposit or (spot = 1 and spot = 2)";
  Compiled c = compile_rule(text, S());
  ASSERT_TRUE(c.ir);
  ASSERT_TRUE(has_code(c.diags, "W501"));
  const auto& d = c.diags.list()[0];
  EXPECT_EQ(text.substr(d.span.begin, d.span.end - d.span.begin), "(spot = 1 and spot = 2)");
  EXPECT_EQ(ir::print_rule(*c.ir, S()), "stage = Deposit");
}

// A list and a range on one field: the range decides the list's values it takes or leaves out,
// so only the others stay in the list (`not in` included). Before, a list next to a range
// stayed as written unless it was one positive value, so `spot != 1 or spot < 6` (every
// spot) printed as itself, and `not (spot >= 6 and spot = 1)` got no W502 (found by comparing
// each part's folding on its own with the whole rule's).
TEST(PassMergePredicates, AListAndARangeKeepOnlyTheValuesTheRangeDoesNotDecide) {
  // Under and: values outside the range are left out by the range already.
  EXPECT_EQ(canonical("spot != 1 and spot > 5"), "spot >= 6");
  EXPECT_EQ(canonical("spot not in (1, 7) and spot > 5"), "spot != 7 and spot >= 6");
  EXPECT_EQ(canonical("spot not in (1, 7) and not spot between 5 and 10"), "spot != 1 and (spot < 5 or spot >= 11)");
  EXPECT_EQ(canonical("spot in (1, 7) and spot > 5"), "spot = 7");  // (as before)
  // Under or: values inside the range are taken by the range already.
  EXPECT_EQ(canonical("spot in (7, 9) or spot > 5"), "spot >= 6");
  EXPECT_EQ(canonical("spot in (1, 7, 30) or spot between 5 and 10"), "spot in (1, 30) or spot between 5 and 10");
  EXPECT_EQ(canonical("spot in (1, 4) or spot > 5"), "spot in (1, 4) or spot >= 6");  // (4 is not next to 6)
  EXPECT_EQ(canonical("spot not in (1, 7) or spot < 6"), "spot != 7");
  EXPECT_EQ(canonical("spot != 7 or not spot between 5 and 10"), "spot != 7");
  EXPECT_EQ(canonical("last_active_at != 2026-01-01T00:00:00Z or last_active_at > 2025-01-01T00:00:00Z"),
            "last_active_at is not null");
  // Every spot (spot is never null): W502, for the rule and for the same part inside another.
  for (const char* rule : {"spot != 1 or spot < 6", "not (spot >= 6 and spot = 1)"}) {
    Compiled c = compile_rule(rule, S());
    ASSERT_TRUE(c.ir) << rule;
    EXPECT_TRUE(c.ir->is_const(true)) << rule;
    EXPECT_TRUE(has_code(c.diags, "W502")) << rule;
  }
  Compiled part = compile_rule("stage = Deposit and (spot != 1 or spot < 6)", S());
  ASSERT_TRUE(part.ir);
  EXPECT_EQ(ir::print_rule(*part.ir, S()), "stage = Deposit");
  EXPECT_TRUE(has_code(part.diags, "W502"));
  // A bound relative to now is left alone: which values it takes moves with the clock.
  EXPECT_EQ(canonical("registered_at != 2026-01-01T00:00:00Z or registered_at > now - 1d"),
            "registered_at > now - 1d or registered_at != 2026-01-01T00:00:00Z");
}

// The shapes the pairs tests try, each passed to `check`: every pair of `atoms` under `and`
// and `or`, each negated or not; 3,000 drawn `A op (B op' C)`; and 2,000 drawn groups that
// share a part or hold a sibling (absorb: `(a or b) and (a or c)`, `a and (a or b)`), one atom
// in `negate_one_in` negated. Returns how many.
size_t each_shape(const std::vector<std::string>& atoms, uint64_t seed, unsigned negate_one_in,
                  const std::function<void(const std::string&)>& check) {
  size_t n = 0;
  auto run = [&](const std::string& rule) { check(rule), ++n; };
  auto maybe_not = [](const std::string& a, bool negate) { return negate ? "not (" + a + ")" : a; };
  for (const auto& a : atoms)
    for (const auto& b : atoms)
      for (const char* op : {"and", "or"})
        for (int neg = 0; neg < 4; ++neg) run(fmt::format("{} {} {}", maybe_not(a, neg & 1), op, maybe_not(b, neg & 2)));
  std::mt19937_64 rng(seed);
  auto pick = [&] { return maybe_not(atoms[rng() % atoms.size()], rng() % negate_one_in == 0); };
  for (int i = 0; i < 3000; ++i) {
    const bool outer_or = rng() % 2;
    run(fmt::format("{} {} ({} {} {})", pick(), outer_or ? "or" : "and", pick(), outer_or ? "and" : "or", pick()));
  }
  for (int i = 0; i < 2000; ++i) {
    const bool outer_or = rng() % 2;
    const char* in = outer_or ? "and" : "or";
    const char* out = outer_or ? "or" : "and";
    std::string a = pick(), b = pick(), c = rng() % 2 ? a : pick(), d = pick();
    if (i % 4 == 0) run(fmt::format("{} {} ({} {} {})", a, out, b, in, rng() % 2 ? a : c));
    else run(fmt::format("({} {} {}) {} ({} {} {})", a, in, b, out, rng() % 2 ? d : c, in, rng() % 2 ? c : d));
  }
  return n;
}

// The merge and normalize rules over every pair of conditions on one or two fields, exhaustively:
// two conditions of a nullable integer, an integer that is never null (lists, points, ranges
// open and closed, null tests, each negated or not) and a nullable dictionary, under `and` and
// `or`, and 3,000 drawn `A op (B op' C)`, each means after the optimizer what it meant before,
// on every value around the bounds and every dictionary case, null included. The random-rule tests seldom put two such conditions
// on one field: a mutation-testing review changed merge_predicates (a bound one off, a range's
// negation ignored, the wrong end kept, adjacency, null tests dropped under `or`) and nothing
// failed; each of those fails here.
TEST(PassMergePredicates, PairsOfConditionsOnOneFieldKeepTheirMeaning) {
  // `n` a nullable integer (null tests and negations decide on nulls), `spot` the CRM's
  // integer that is never null (merges may use that), `country` a nullable dictionary.
  Diagnostics sd;
  auto parsed = parse_schema_json(R"({"name":"t","id_field":"id","fields":[
      {"name":"id","type":"int"},
      {"name":"n","type":"int","nullable":true},
      {"name":"spot","type":"int"},
      {"name":"country","type":"enum","nullable":true,"values":["DE","AT","FR"]}]})",
                                  sd);
  ASSERT_TRUE(parsed) << render_text(sd.list(), "schema", "");
  const Schema& s = *parsed;
  const size_t n = static_cast<size_t>(s.find("n")), spot = static_cast<size_t>(s.find("spot")),
               country = static_cast<size_t>(s.find("country"));
  std::vector<std::string> atoms;
  for (const char* f : {"n", "spot"})
    for (const char* a : {"{} = 1", "{} = 4", "{} = 5", "{} != 5", "{} in (1, 5, 10)", "{} in (3, 4)", "{} not in (3, 4)",
                          "{} between 0 and 5", "{} between 1 and 10", "{} between 4 and 6", "{} between 5 and 20",
                          "{} < 3", "{} <= 3", "{} > 5", "{} >= 5", "{} >= 4"})
      atoms.push_back(fmt::format(fmt::runtime(a), f));
  for (const char* a : {"n is null", "n is not null", "country = DE", "country != DE", "country in (DE, AT)",
                        "country not in (DE, AT)", "country is null", "country is not null"})
    atoms.push_back(a);
  const std::vector<std::optional<int64_t>> values = {std::nullopt, -1, 0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 15, 20, 21};
  std::vector<testing::RefRow> rows;
  for (size_t i = 0; i < values.size(); ++i)
    for (const char* c : {"", "DE", "AT", "FR"}) {
      testing::RefRow row(s.fields.size());
      row[n].null = !values[i];
      row[n].num = values[i].value_or(0);
      // spot is never null: the values again, shifted so that n and spot differ in a row
      row[spot].null = false;
      row[spot].num = values[(i + 5) % values.size()].value_or(8);
      row[country].null = *c == 0;
      row[country].text = c;
      rows.push_back(row);
    }
  size_t checked = 0, failures = 0;
  auto check = [&](const std::string& rule) {
    CompileOptions none;
    none.passes.enabled = false;
    Compiled before = compile_rule(rule, s, none), after = compile_rule(rule, s);
    ASSERT_TRUE(before.ir && after.ir) << rule;
    for (const auto& row : rows)
      if (testing::ref_matches(*before.ir, s, row, 0) != testing::ref_matches(*after.ir, s, row, 0)) {
        if (++failures <= 10)
          ADD_FAILURE() << rule << "\noptimized: " << ir::print_rule(*after.ir, s) << "\nn "
                        << (row[n].null ? "null" : std::to_string(row[n].num)) << ", spot " << row[spot].num << ", country "
                        << (row[country].null ? "null" : row[country].text);
        break;
      }
    ++checked;
  };
  EXPECT_EQ(each_shape(atoms, 2026, 4, check), atoms.size() * atoms.size() * 8 + 5000);
  EXPECT_EQ(checked, atoms.size() * atoms.size() * 8 + 5000);
  EXPECT_EQ(failures, 0u);
}

// Past 64 ranges of a class on one field (decision 116) the ranges join by a sweep in order of
// their lower bounds, not by trying every pair. Groups of every size around that line, under
// and and or, with lists, holes, open ends, reversed and relative bounds: the same members as
// the rule unoptimized, canonical text that compiles to itself, and under or, the plain ranges
// left are the union's pieces (no two touch).
TEST(PassMergePredicates, ThousandsOfRangesOnOneFieldKeepTheirMeaningAndSettle) {
  Diagnostics sd;
  auto parsed = parse_schema_json(R"({"name":"t","id_field":"id","fields":[
      {"name":"id","type":"int"},
      {"name":"n","type":"int","nullable":true},
      {"name":"t","type":"timestamp","nullable":true}]})",
                                  sd);
  ASSERT_TRUE(parsed) << render_text(sd.list(), "schema", "");
  const Schema& s = *parsed;
  const size_t n = static_cast<size_t>(s.find("n")), t = static_cast<size_t>(s.find("t"));
  constexpr int64_t kNow = 1790000000, kDay = 86400;
  std::vector<testing::RefRow> rows;
  for (int v = -2; v <= 402; ++v) {  // every value the atoms below name, and one past each end
    testing::RefRow row(s.fields.size());
    row[n].null = v == -2;
    row[n].num = v;
    row[t].null = v % 7 == 0;
    row[t].num = kNow - (v % 60) * kDay + (v % 3) * 3600;  // days ago, both sides of a day's bound
    rows.push_back(row);
  }
  std::mt19937_64 rng(116);
  auto num = [&](int hi) { return static_cast<int>(rng() % static_cast<uint64_t>(hi + 1)); };
  auto atom = [&](bool on_t) -> std::string {
    const int a = num(400), b = std::min(400, a + num(6));
    if (on_t) {
      const int x = num(50), y = x + num(4);
      switch (num(4)) {
        case 0: return fmt::format("t between now - {}d and now - {}d", y, x);
        case 1: return fmt::format("t > now - {}d", x);
        case 2: return fmt::format("t < now - {}d", y);
        case 3: return fmt::format("not (t between now - {}d and now - {}d)", y, x);
        default: return fmt::format("t >= 2026-09-{:02}", 1 + y % 28);  // absolute beside relative
      }
    }
    switch (num(11)) {
      case 0: case 1: case 2: case 3: return fmt::format("n between {} and {}", a, b);
      case 4: return fmt::format("n between {} and {}", b + 1, a);  // reversed: nobody (W503)
      case 5: case 6: return fmt::format("not (n between {} and {})", a, b);
      case 7: return fmt::format("n < {}", a % 20);
      case 8: return fmt::format("n > {}", 380 + a % 20);
      case 9: return fmt::format("n in ({}, {})", a, b);
      case 10: return fmt::format("n != {}", a);
      default: return a % 2 ? "n is null" : "t is not null";
    }
  };
  size_t checked = 0, failures = 0, large = 0;
  for (int trial = 0; trial < 120; ++trial) {
    const bool is_and = trial % 2 == 1;
    const size_t count = trial < 40 ? 2 + num(70) : 60 + num(trial < 100 ? 300 : 3000);
    const bool mostly_plain = trial % 3 == 0;  // only the class the sweep takes, under this group's kind
    std::vector<std::string> parts;
    for (size_t i = 0; i < count; ++i) {
      if (mostly_plain) {
        const int a = num(400), b = std::min(400, a + num(3));
        parts.push_back(is_and ? fmt::format("not (n between {} and {})", a, b) : fmt::format("n between {} and {}", a, b));
      } else {
        parts.push_back(atom(num(5) == 0));
      }
    }
    const std::string rule = fmt::to_string(fmt::join(parts, is_and ? " and " : " or "));
    large += count > 64;
    CompileOptions none;
    none.passes.enabled = false;
    Compiled before = compile_rule(rule, s, none), after = compile_rule(rule, s);
    ASSERT_TRUE(before.ir && after.ir) << rule.substr(0, 300);
    for (const auto& row : rows)
      if (testing::ref_matches(*before.ir, s, row, kNow) != testing::ref_matches(*after.ir, s, row, kNow)) {
        if (++failures <= 5)
          ADD_FAILURE() << "trial " << trial << ": " << rule.substr(0, 300) << "\noptimized: "
                        << ir::print_rule(*after.ir, s).substr(0, 300) << "\nn " << (row[n].null ? "null" : std::to_string(row[n].num));
        break;
      }
    const std::string text = ir::print_rule(*after.ir, s);
    Compiled again = compile_rule(text, s);
    ASSERT_TRUE(again.ir) << text.substr(0, 300);
    EXPECT_EQ(ir::print_rule(*again.ir, s), text) << "trial " << trial;
    if (mostly_plain && !is_and) {
      // The union's pieces: no range left overlaps or touches another or a value of the list
      // (the list's own values may be neighbours: `n in (4, 5)` is how that prints).
      struct Piece {
        int64_t lo, hi;
        bool listed;
      };
      std::vector<Piece> pieces;
      auto add = [&](const ir::Node& c) {
        if (c.kind == ir::Kind::In)
          for (int64_t v : c.values.codes) pieces.push_back({v, v, true});
        else if (c.kind == ir::Kind::Range && !c.negated)
          pieces.push_back({c.lo.value, c.hi.value, false});
      };
      if (after.ir->kind == ir::Kind::Or) {
        for (const auto& c : after.ir->children) add(c);
      } else {
        add(*after.ir);
      }
      std::sort(pieces.begin(), pieces.end(), [](const Piece& x, const Piece& y) { return x.lo < y.lo; });
      for (size_t k = 1; k < pieces.size(); ++k) {
        const bool touch = pieces[k].lo <= pieces[k - 1].hi + 1;
        EXPECT_TRUE(!touch || (pieces[k].listed && pieces[k - 1].listed))
              << "trial " << trial << ": [" << pieces[k - 1].lo << ", " << pieces[k - 1].hi << "] and [" << pieces[k].lo
              << ", " << pieces[k].hi << "] touch in " << text.substr(0, 300);
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, 120u);
  EXPECT_GE(large, 70u);
  EXPECT_EQ(failures, 0u);
  // One walk of the pass joins what touches: a sweep by lower bounds makes a union in one go,
  // and a list's run of values joins a range at either end (upwards, then downwards). (The
  // optimizer's rounds would get there in more rounds; the rounds are bounded.)
  auto once = [&](const std::string& rule) {
    CompileOptions none;
    none.passes.enabled = false;
    Compiled c = compile_rule(rule, s, none);
    EXPECT_TRUE(c.ir) << rule;
    Diagnostics d;
    PassContext ctx{s, d};
    ir::Node root = c.ir ? *c.ir : ir::Node::constant(false);
    passes::merge_predicates(root, ctx);
    return root;
  };
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<std::string> parts;
    std::vector<std::pair<int, int>> spans;
    const size_t count = 65 + num(1000);
    for (size_t i = 0; i < count; ++i) {
      const int a = num(400), b = a + 1 + num(2 + trial % 20);  // never a point (a point lowers to a list)
      parts.push_back(fmt::format("n between {} and {}", a, b));
    }
    const ir::Node root = once(fmt::to_string(fmt::join(parts, " or ")));
    std::vector<std::pair<int64_t, int64_t>> left;
    if (root.kind == ir::Kind::Or) {
      for (const auto& c : root.children) left.push_back({c.lo.value, c.hi.value});
    } else {
      left.push_back({root.lo.value, root.hi.value});
    }
    std::sort(left.begin(), left.end());
    for (size_t k = 1; k < left.size(); ++k)
      EXPECT_GT(left[k].first, left[k - 1].second + 1) << "trial " << trial << ": one walk left [" << left[k - 1].first
                                                       << ", " << left[k - 1].second << "] and [" << left[k].first << ", "
                                                       << left[k].second << "]";
  }
  const ir::Node run = once("n in (1, 2, 3, 4, 9, 10, 11, 20) or n between 5 and 8");
  EXPECT_EQ(ir::print_rule(run, s), "n = 20 or n between 1 and 11");
  // `n < 0 or n > 1000` beside a hundred ranges between them is the hole `not (n between 0 and
  // 1000)`, as it is beside one range (the sweep's first and last survivors).
  for (size_t count : {1, 100}) {
    std::string rule = "n < 0 or n > 1000", want;
    for (size_t i = 0; i < count; ++i) {
      rule += fmt::format(" or n between {} and {}", 3 * i + 1, 3 * i + 2);
      want += fmt::format("n between {} and {} or ", 3 * i + 1, 3 * i + 2);
    }
    Compiled c = compile_rule(rule, s);
    ASSERT_TRUE(c.ir);
    EXPECT_EQ(ir::print_rule(*c.ir, s), want + "(n < 0 or n >= 1001)") << count;
  }
}

// Pairs of equal meaning a review (twenty-first session) found printing apart, each now one
// canonical text: a part said twice in a group (absorb factored it out of its own group and
// flatten put it back, round after round until the rounds ran out), excluded values at a
// range's ends, tag tests one of which implies the other, and a list beside a range.
TEST(Optimizer, EqualMeaningsAReviewFoundPrintAlike) {
  const std::pair<const char*, const char*> pairs[] = {
      {"(tag any (VIP, BLOCKED) and spot = 1 and tag any (VIP, BLOCKED)) or (stage = Active and spot = 2)",
       "(tag any (VIP, BLOCKED) and spot = 1) or (stage = Active and spot = 2)"},
      {"(tag any (VIP, BLOCKED) and (tag any (VIP) or tag any (BLOCKED))) or (tag none (VIP, BLOCKED) and spot < 4)",
       "tag any (VIP, BLOCKED) or spot < 4"},
      {"(tag all (VIP, BLOCKED) or spot = 1 or tag all (VIP, BLOCKED)) and (stage = Active or spot = 2)",
       "(tag all (VIP, BLOCKED) or spot = 1) and (stage = Active or spot = 2)"},
      // (tests merge_predicates cannot join with their copy: the repeat reaches absorb)
      {"(registered_at between 2025-01-01 and now - 30d and spot = 1 and registered_at between 2025-01-01 and now - 30d) "
       "or (stage = Active and spot = 2)",
       "(registered_at between 2025-01-01 and now - 30d and spot = 1) or (stage = Active and spot = 2)"},
      {"(not tag all (VIP, BLOCKED) and spot = 1 and not tag all (VIP, BLOCKED)) or (stage = Active and spot = 2)",
       "(not tag all (VIP, BLOCKED) and spot = 1) or (stage = Active and spot = 2)"},
      {"(registered_at between 2025-01-01 and now - 30d or spot = 1 or registered_at between 2025-01-01 and now - 30d) "
       "and (stage = Active or spot = 2)",
       "(registered_at between 2025-01-01 and now - 30d or spot = 1) and (stage = Active or spot = 2)"},
      {"deposit_total >= 0 and deposit_total != 0", "deposit_total > 0"},
      {"spot between 1 and 10 and spot not in (1, 2, 5, 10)", "spot between 3 and 9 and spot != 5"},
      {"spot != 4 and not (spot between 5 and 8) and spot != 9", "spot < 4 or spot > 9"},
      {"tag any (VIP) and tag any (VIP, BLOCKED)", "tag any (VIP)"},
      {"tag none (VIP) or tag none (VIP, BLOCKED)", "tag none (VIP)"},
      {"tag all (VIP) or tag all (VIP, BLOCKED)", "tag all (VIP)"},
      {"spot in (5, 9) or spot between 6 and 8", "spot between 5 and 9"},
      {"spot in (1, 2, 3, 4, 9, 10, 11, 20) or spot between 5 and 8", "spot between 1 and 11 or spot = 20"},
  };
  for (const auto& [a, b] : pairs) {
    EXPECT_EQ(canonical(a), canonical(b)) << a << "\n" << b;
    // and settled in a few rounds, not at the bound
    size_t rounds = 0;
    CompileOptions o;
    o.passes.after_change = [&](const PassInfo&, size_t round, const ir::Node&) { rounds = std::max(rounds, round); };
    ASSERT_TRUE(compile_rule(a, S(), o).ir) << a;
    EXPECT_LE(rounds, 6u) << a;
  }
}

// A dictionary that is never null (stage) is written the shorter way, and at a tie (four of
// eight) as the positive list: `in (S)` and `not in (the rest)` are one rule, with one canonical
// text and one hash (a segment's identity in the membership), for every split of the eight.
// A test beside a group decides the tests of its field inside it, at any depth: under `and`
// its siblings hold, under `or` they do not (merge_predicates' decide_from_context). Each of
// these was left as written.
TEST(PassMergePredicates, ATestBesideAGroupDecidesItsFieldsTestsInside) {
  EXPECT_EQ(canonical("spot < 6 and (spot >= 6 or country = DE)"), "spot < 6 and country = DE");       // never together
  EXPECT_EQ(canonical("spot = 1 and (spot < 6 or country = DE)"), "spot = 1");                         // implied
  EXPECT_EQ(canonical("spot = 1 or (spot != 1 and country = DE)"), "spot = 1 or country = DE");        // every value
  EXPECT_EQ(canonical("(country = DE and spot = 1) or country is not null"), "country is not null");  // implies it
  EXPECT_EQ(canonical("stage = Active and (country = DE or (stage = Deposit and spot = 1))"), "stage = Active and country = DE");
  EXPECT_EQ(canonical("tag any (VIP) and (tag none (VIP) or spot < 6)"), "tag any (VIP) and spot < 6");
  EXPECT_EQ(canonical("tag all (VIP, BLOCKED) and (tag any (BLOCKED) or spot = 1)"), "tag all (VIP, BLOCKED)");
  // Through a `not`: what is known holds for the row whatever the polarity inside.
  EXPECT_EQ(canonical("spot = 1 and not (spot = 2 and country = DE)"), "spot = 1");
  // Two equal tests side by side are one, not each other's reason to vanish.
  EXPECT_EQ(canonical("spot = 1 and spot = 1 and (spot = 1 or country = DE)"), "spot = 1");
  // Undecided: kept.
  EXPECT_EQ(canonical("spot < 6 and (spot = 3 or country = DE)"), "spot < 6 and (spot = 3 or country = DE)");
  EXPECT_EQ(canonical("country is null or (stage = Deposit and country != DE)"),
            "(stage = Deposit and country != DE) or country is null");
}

// `not tag all (…)` beside other tests of the tags (merge_not_alls): each was left as written.
TEST(PassMergePredicates, NotTagAllJoinsTheTagTestsBesideIt) {
  EXPECT_EQ(canonical("tag all (VIP, BLOCKED) and not tag all (VIP, BLOCKED)"), "false");
  EXPECT_EQ(canonical("tag any (VIP) or not tag all (VIP, BLOCKED)"), "true");
  EXPECT_EQ(canonical("tag all (VIP) or not tag all (VIP, BLOCKED)"), "true");
  EXPECT_EQ(canonical("tag none (BLOCKED) and not tag all (VIP, BLOCKED)"), "tag none (BLOCKED)");
  EXPECT_EQ(canonical("tag none (BLOCKED) or not tag all (VIP, BLOCKED)"), "not tag all (VIP, BLOCKED)");
  EXPECT_EQ(canonical("tag all (VIP, T000) and not tag all (VIP, BLOCKED)"), "tag all (VIP, T000) and tag none (BLOCKED)");
  EXPECT_EQ(canonical("tag all (VIP, T000) or not tag all (VIP, BLOCKED)"), "tag any (T000) or not tag all (VIP, BLOCKED)");
  EXPECT_EQ(canonical("not tag all (VIP, T000) or not tag all (VIP, BLOCKED)"), "not tag all (VIP, BLOCKED, T000)");
  // Nothing shared: as written.
  EXPECT_EQ(canonical("tag any (T000) or not tag all (VIP, BLOCKED)"), "tag any (T000) or not tag all (VIP, BLOCKED)");
  EXPECT_EQ(canonical("not tag all (VIP, T000) and not tag all (VIP, BLOCKED)"),
            "not tag all (VIP, BLOCKED) and not tag all (VIP, T000)");
  Compiled c = compile_rule("tag any (VIP) or not tag all (VIP, BLOCKED)", S());
  EXPECT_TRUE(has_code(c.diags, "W502"));
}

// A part a sibling group also has decides that group; a part two groups share is said once
// (the absorb pass). `not` on a nullable field says the null case outright, so negated rules
// make such pairs: the last one was left as eight conditions.
TEST(PassAbsorb, APartASiblingHasDecidesItAndASharedPartIsSaidOnce) {
  auto [after, changed] = run(passes::absorb, "spot = 1 and (spot = 1 or country = DE)");
  EXPECT_TRUE(changed);
  EXPECT_EQ(strip(after), "in spot {1}\n");
  EXPECT_FALSE(run(passes::absorb, "spot = 1 and (spot = 2 or country = DE)").second);
  EXPECT_EQ(canonical("spot = 1 or (spot = 1 and country = DE)"), "spot = 1");
  EXPECT_EQ(canonical("(stage = Deposit or spot = 1) and (stage = Deposit or country = DE)"),
            "stage = Deposit or (spot = 1 and country = DE)");
  EXPECT_EQ(canonical("(stage = Deposit and spot = 1) or (stage = Deposit and spot = 2)"), "stage = Deposit and spot in (1, 2)");
  EXPECT_EQ(canonical("(country = DE or country is null) and (country != DE or country is null)"), "country is null");
  EXPECT_EQ(canonical("not (country = DE and spot = 1) and not (country != DE and spot = 1)"), "spot != 1 or country is null");
  // Two groups sharing two parts: each factored in turn (and `country = DE and country = AT`
  // is nobody).
  EXPECT_EQ(canonical("(spot = 1 or stage = Deposit or country = DE) and (spot = 1 or stage = Deposit or country = AT)"),
            "stage = Deposit or spot = 1");
  // Nothing shared: as written.
  EXPECT_EQ(canonical("(stage = Deposit or spot = 1) and (stage = Active or spot = 2)"),
            "(stage = Deposit or spot = 1) and (stage = Active or spot = 2)");
}

// Factoring took one pair of groups a call, so a rule of thousands of groups sharing a part
// was left half done when the optimizer's rounds ran out, and its canonical text compiled to
// another IR (not a fixed point). Every group holding the part is now taken at once.
TEST(PassAbsorb, ThousandsOfGroupsSharingAPartAreFactoredInOneGo) {
  for (int shape = 0; shape < 2; ++shape) {
    std::string rule;
    for (int i = 0; i < 2000; ++i) {
      if (i) rule += " and ";
      rule += shape ? fmt::format("(spot = {} or deposit_total > {} or player_id = {} or (country = DE and last_active_at > now - {}d))",
                                  i % 7, i, i, i)
                    : fmt::format("(spot = 1 or deposit_total > {} or player_id = {})", i, i);
    }
    Compiled once = compile_rule(rule, S());
    ASSERT_TRUE(once.ir) << render_text(once.diags.list(), "rule", rule).substr(0, 2000);
    const std::string text = ir::print_rule(*once.ir, S());
    Compiled again = compile_rule(text, S());
    ASSERT_TRUE(again.ir);
    EXPECT_TRUE(ir::equal(*once.ir, *again.ir)) << "canonical text is not a fixed point (shape " << shape << ")";
    EXPECT_EQ(ir::print_rule(*again.ir, S()), text);
  }
}

// The same for tag tests: every pair of `any`, `all` and `none` over three tags (and an
// unknown one), each negated or not, under and/or, and 3,000 drawn triples, on every set of
// the tags a client can hold. `not tag all (…)` is the one negation left in front of a
// predicate, and the merges beside it (`tag any (VIP) or not tag all (VIP, BLOCKED)` is every
// client) are checked here.
TEST(PassMergePredicates, PairsOfTagTestsKeepTheirMeaning) {
  Diagnostics sd;
  auto parsed = parse_schema_json(R"({"name":"t","id_field":"id","fields":[
      {"name":"id","type":"int"},
      {"name":"tags","type":"set","aliases":["tag"],"open":true,"values":["A","B","C"]}]})",
                                  sd);
  ASSERT_TRUE(parsed) << render_text(sd.list(), "schema", "");
  const Schema& s = *parsed;
  const size_t tags = static_cast<size_t>(s.find("tags"));
  std::vector<std::string> atoms;
  for (const char* op : {"any", "all", "none"})
    for (const char* list : {"A", "B", "A, B", "A, C", "A, B, C", "B, C", "A, Z"})
      atoms.push_back(fmt::format("tag {} ({})", op, list));
  std::vector<testing::RefRow> rows;
  for (int held = 0; held < 16; ++held) {  // every subset of A, B, C and Y (a tag no rule names)
    testing::RefRow row(s.fields.size());
    for (int t = 0; t < 4; ++t)
      if (held & (1 << t)) row[tags].tags.push_back(std::string(1, "ABCY"[t]));
    rows.push_back(row);
  }
  size_t checked = 0, failures = 0;
  auto check = [&](const std::string& rule) {
    CompileOptions none;
    none.passes.enabled = false;
    Compiled before = compile_rule(rule, s, none), after = compile_rule(rule, s);
    ASSERT_TRUE(before.ir && after.ir) << rule;
    for (const auto& row : rows)
      if (testing::ref_matches(*before.ir, s, row, 0) != testing::ref_matches(*after.ir, s, row, 0)) {
        if (++failures <= 10) ADD_FAILURE() << rule << "\noptimized: " << ir::print_rule(*after.ir, s) << "\nrow " << fmt::format("{}", fmt::join(row[tags].tags, ","));
        break;
      }
    ++checked;
  };
  EXPECT_EQ(each_shape(atoms, 2027, 3, check), atoms.size() * atoms.size() * 8 + 5000);
  EXPECT_EQ(checked, atoms.size() * atoms.size() * 8 + 5000);
  EXPECT_EQ(failures, 0u);
}

TEST(PassNormalizeValues, ANeverNullDictionaryListAndItsComplementAreOneRule) {
  const Schema& s = S();
  const Field& stage = s.fields.at(static_cast<size_t>(s.find("stage")));
  ASSERT_FALSE(stage.nullable);
  const uint32_t n = static_cast<uint32_t>(stage.dict.size());
  ASSERT_EQ(n, 8u);
  for (uint32_t mask = 1; mask + 1 < (1u << n); ++mask) {
    std::vector<std::string> in, out;
    for (uint32_t c = 0; c < n; ++c) ((mask >> c) & 1 ? in : out).push_back(stage.dict[c].key);
    const std::string a = fmt::format("stage in ({})", fmt::join(in, ", "));
    const std::string b = fmt::format("stage not in ({})", fmt::join(out, ", "));
    Compiled ca = compile_rule(a, s), cb = compile_rule(b, s);
    ASSERT_TRUE(ca.ir && cb.ir) << a << " / " << b;
    const std::string text = ir::print_rule(*ca.ir, s);
    EXPECT_EQ(text, ir::print_rule(*cb.ir, s)) << a << " / " << b;
    EXPECT_EQ(ir::stable_hash(*ca.ir), ir::stable_hash(*cb.ir)) << a;
    // The shorter way; at a tie, the positive list.
    const size_t shown = std::min(in.size(), out.size());
    if (in.size() <= out.size()) EXPECT_EQ(text, shown == 1 ? "stage = " + in[0] : a) << a;
    else EXPECT_EQ(text, shown == 1 ? "stage != " + out[0] : b) << a;
  }
}

}  // namespace
}  // namespace seg
