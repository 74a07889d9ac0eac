// Grammar tests: PEGTL's analysis finds no problem, and each group of grammar rules matches
// what it should and leaves the right input over; then the parser's AST: its shape (precedence)
// and the spans of its nodes.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <tao/pegtl.hpp>

#include "base/text_util.hpp"
#include "grammar/grammar.hpp"
#include "grammar/parse.hpp"
#include "tests/support/random_rules.hpp"

namespace {
namespace g = seg::grammar;
namespace p = tao::pegtl;

// Matches `Rule` at the start of `text` (no actions); returns what is left over, or nullopt.
template <typename Rule>
std::optional<std::string> rest_after(const std::string& text) {
  p::memory_input in(text, "test");
  try {
    if (!p::parse<Rule>(in)) return std::nullopt;
  } catch (const p::parse_error&) {
    return std::nullopt;
  }
  return std::string(in.current(), in.end());
}

// Shorthands: the rule matches and leaves `rest`; the rule does not match (or raises).
#define MATCHES(Rule, text, rest) EXPECT_EQ(rest_after<Rule>(text), std::optional<std::string>(rest)) << (text)
#define FAILS(Rule, text) EXPECT_EQ(rest_after<Rule>(text), std::nullopt) << (text)

TEST(Grammar, AnalyzeFindsNoProblems) { EXPECT_EQ(seg::analyze_grammar(), 0u); }

// ---- lexical ----

TEST(GrammarLexical, CommentsAndWhitespace) {
  MATCHES(g::comment, "-- a comment\nspot", "\nspot");  // the line break is whitespace after it
  // A line ends at LF, CRLF or a lone CR: a comment never runs on into the next line.
  MATCHES(g::comment, "-- old-Mac line\rand spot", "\rand spot");
  MATCHES(g::comment, "-- crlf\r\nspot", "\r\nspot");
  MATCHES(g::ws, "-- one\r-- two\rspot", "spot");
  MATCHES(g::comment, "-- to the end", "");
  MATCHES(g::comment, "----", "");
  FAILS(g::comment, "- x");
  FAILS(g::comment, " -- x");
  MATCHES(g::ws, "", "");
  MATCHES(g::ws, " \t\r\n -- one\n  -- two\n\tspot", "spot");
  MATCHES(g::ws, "spot", "spot");
  MATCHES(g::ws, "-- last line without newline", "");
  // A token takes the whitespace and comments after it, not before.
  MATCHES(g::tok<g::kw_and>, "and -- c\n  x", "x");
  FAILS(g::tok<g::kw_and>, " and");
}

TEST(GrammarLexical, KeywordsAreCaseInsensitiveAndWholeWords) {
  MATCHES(g::kw_and, "and x", " x");
  MATCHES(g::kw_and, "AND", "");
  MATCHES(g::kw_and, "aNd(", "(");
  FAILS(g::kw_and, "android");
  FAILS(g::kw_and, "and_x");
  FAILS(g::kw_and, "and1");
  MATCHES(g::kw_or, "Or (", " (");
  FAILS(g::kw_or, "order");
  FAILS(g::kw_not, "nothing");
  FAILS(g::kw_in, "inactive");
  FAILS(g::kw_is, "island");
  FAILS(g::kw_now, "nowhere");
  FAILS(g::kw_null, "nullable");
  MATCHES(g::kw_between, "BETWEEN 1", " 1");
  // The grammar's keywords are the one list, seg::kKeywords (any case).
  for (std::string_view k : seg::kKeywords) {
    MATCHES(g::keyword, std::string(k), "");
    std::string upper(k);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    MATCHES(g::keyword, upper, "");
  }
  for (const char* not_keyword : {"andd", "nul", "between_", "stage", "tag", "ignore"}) FAILS(g::keyword, not_keyword);
}

// The page's rule editor colours the same keywords (service/page/src/editor.js, KEYWORDS): a
// keyword added to the grammar and not there would show as a value (a maintainability review).
TEST(GrammarLexical, ThePagesEditorKnowsTheSameKeywords) {
  std::ifstream in(SEG_SOURCE_DIR "/service/page/src/editor.js");
  ASSERT_TRUE(in) << "service/page/src/editor.js";
  std::stringstream text;
  text << in.rdbuf();
  std::smatch m;
  const std::string js = text.str();
  ASSERT_TRUE(std::regex_search(js, m, std::regex(R"(const KEYWORDS = new Set\(\[([^\]]*)\]\))"))) << "no KEYWORDS set";
  std::set<std::string> page, grammar;
  const std::string list = m[1];
  const std::regex quoted(R"re("([^"]*)")re");
  for (std::sregex_iterator it(list.begin(), list.end(), quoted), end; it != end; ++it) page.insert((*it)[1]);
  for (std::string_view k : seg::kKeywords) grammar.insert(std::string(k));
  EXPECT_EQ(page, grammar);
}

TEST(GrammarLexical, NamesAreIdentifiersThatAreNotKeywords) {
  MATCHES(g::name, "stage = 1", " = 1");
  MATCHES(g::name, "android", "");
  MATCHES(g::name, "Orders", "");
  MATCHES(g::name, "nowhere", "");
  MATCHES(g::name, "not_processed", "");
  MATCHES(g::name, "_x1 y", " y");
  MATCHES(g::name, "T047,", ",");
  MATCHES(g::name, "a-b", "-b");
  FAILS(g::name, "and");
  FAILS(g::name, "NOT x");
  FAILS(g::name, "null");
  FAILS(g::name, "1abc");
  FAILS(g::name, "\"stage\"");
  FAILS(g::name, "");
}

TEST(GrammarLexical, Numbers) {
  MATCHES(g::number, "12", "");
  MATCHES(g::number, "-5 ", " ");
  MATCHES(g::number, "10.25)", ")");
  MATCHES(g::number, "007", "");
  MATCHES(g::number, "10.", ".");  // no digits after the point: the point is left over
  MATCHES(g::number, "1,2", ",2");
  FAILS(g::number, "12abc");
  FAILS(g::number, "1e3");
  FAILS(g::number, "- 5");
  FAILS(g::number, "+5");
  FAILS(g::number, ".5");
  FAILS(g::number, "--5");
}

TEST(GrammarLexical, Dates) {
  MATCHES(g::date, "2026-10-01", "");
  MATCHES(g::date, "2026-10-01 and", " and");
  MATCHES(g::date, "2026-13-45)", ")");  // the grammar takes the digits; the action rejects the date (E108)
  FAILS(g::date, "2026-10-01T12:00:00Z");  // a timestamp, not a date
  FAILS(g::date, "2026-1-01");
  FAILS(g::date, "26-10-01");
  FAILS(g::date, "2026-10-01x");
  FAILS(g::date, "2026/10/01");
}

TEST(GrammarLexical, Timestamps) {
  MATCHES(g::timestamp, "2026-10-01T12:30:00Z", "");
  MATCHES(g::timestamp, "2026-10-01T12:30:00", "");
  MATCHES(g::timestamp, "2026-10-01t12:30:00z or", " or");
  MATCHES(g::timestamp, "2026-10-01T12:30:00+02:00", "");  // an offset, converted to UTC (as in data)
  MATCHES(g::timestamp, "2026-10-01T12:30:00-05:30 or", " or");
  MATCHES(g::timestamp, "2026-10-01T12:30:00+02", "+02");  // not an offset: the parser then refuses "+02"
  FAILS(g::timestamp, "2026-10-01T12:30Z");
  FAILS(g::timestamp, "2026-10-01 12:30:00");
  FAILS(g::timestamp, "2026-10-01T12:30:00Zulu");
  FAILS(g::timestamp, "2026-10-01");
}

TEST(GrammarLexical, StringsAndEscapes) {
  MATCHES(g::dq_string, R"("NOT REGISTERED" x)", " x");
  MATCHES(g::dq_string, R"("" )", " ");
  MATCHES(g::dq_string, R"("say \"hi\"\n\t\\ \' \u{1F600}")", "");
  MATCHES(g::dq_string, R"("it's")", "");
  MATCHES(g::sq_string, R"('Top-up')", "");
  MATCHES(g::sq_string, R"('it\'s "x"')", "");
  MATCHES(g::dq_string, "\"caf\xC3\xA9\"", "");  // UTF-8 inside strings
  // Errors raise (must<>): an unknown escape, a bad \u, a string that is not closed on its line.
  FAILS(g::dq_string, R"("\q")");
  FAILS(g::dq_string, R"("\u{}")");
  FAILS(g::dq_string, R"("\u{1234567}")");
  FAILS(g::dq_string, R"("\u0041")");
  FAILS(g::dq_string, R"("open)");
  FAILS(g::dq_string, "\"two\nlines\"");
  FAILS(g::sq_string, R"('mixed")");
  FAILS(g::dq_string, "'single'");
  MATCHES(g::escape, R"(\u{41}x)", "x");
  MATCHES(g::escape, R"(\u{10FFFF})", "");  // the grammar takes 1-6 hex digits; the action checks the range
}

// A string as it is found before it is read (the parser's pre-check, the tools' lexer): where
// the grammar's string ends, it ends; a backslash never takes a line end; an unclosed one stops
// at its line.
TEST(GrammarLexical, LooseStringsEndWhereTheGrammarsDo) {
  for (const std::string text : {R"("NOT REGISTERED" x)", R"("" )", R"("say \"hi\"\n\t\\ \' \u{1F600}")", R"("it's")"}) {
    ASSERT_TRUE(rest_after<g::dq_string>(text)) << text;
    EXPECT_EQ(rest_after<g::loose_string<'"'>>(text), rest_after<g::dq_string>(text)) << text;
  }
  MATCHES(g::loose_string<'\''>, R"('it\'s "x"' and)", " and");
  // Not closed: the grammar raises; found, it runs to the line's end (the quote never comes).
  MATCHES(g::loose_string<'"'>, "\"open\nspot = 1", "\nspot = 1");
  MATCHES(g::loose_string<'"'>, "\"ends in \\\nspot", "\\\nspot");  // `\` does not take the line end
  MATCHES(g::loose_string<'"'>, R"("\q" x)", " x");  // an unknown escape is the grammar's E106, later
}

TEST(GrammarLexical, RelativeTimes) {
  MATCHES(g::reltime, "now", "");
  MATCHES(g::reltime, "now - 30d", "");
  MATCHES(g::reltime, "now-30d)", ")");
  MATCHES(g::reltime, "NOW + 2h and", " and");  // whitespace after a duration is value_tok's
  MATCHES(g::reltime, "now and x", "and x");  // after a bare `now` it is read looking for a sign
  MATCHES(g::reltime, "now -- a comment\n- 1w", "");  // comments may sit anywhere whitespace may
  for (const char* u : {"s", "m", "h", "d", "w"}) MATCHES(g::reltime, std::string("now - 5") + u, "");
  MATCHES(g::duration, "30d", "");
  MATCHES(g::duration, "15m,", ",");
  FAILS(g::duration, "30");
  FAILS(g::duration, "30y");
  FAILS(g::duration, "30dd");
  FAILS(g::duration, "d");
  FAILS(g::duration, "1.5h");
  FAILS(g::reltime, "now - 30");   // raises: a sign must be followed by a duration
  FAILS(g::reltime, "now - 30x");
  FAILS(g::reltime, "now - d");
  FAILS(g::reltime, "now -");
  FAILS(g::reltime, "nowhere");
  FAILS(g::reltime, "today");
}

TEST(GrammarLexical, ValuesTryTheLongestKindFirst) {
  MATCHES(g::value, "2026-10-01T00:00:00Z)", ")");
  MATCHES(g::value, "2026-10-01)", ")");
  MATCHES(g::value, "2026)", ")");
  MATCHES(g::value, "-2026", "");
  MATCHES(g::value, "true,", ",");
  MATCHES(g::value, "trueish", "");  // a symbol
  MATCHES(g::value, "'x'", "");
  MATCHES(g::value, "now-1d", "");
  MATCHES(g::value, "NotProcessed)", ")");
  FAILS(g::value, "null");
  FAILS(g::value, "and");
  FAILS(g::value, ")");
  FAILS(g::value, "");
  MATCHES(g::value_tok, "VIP  -- c\n, B", ", B");
  MATCHES(g::bool_value, "FALSE", "");
  FAILS(g::bool_value, "falsey");
}

// ---- predicates ----

TEST(GrammarPredicates, EveryOperator) {
  MATCHES(g::predicate, "spot = 12 and x", "and x");
  MATCHES(g::predicate, "spot=12", "");
  for (const char* op : {"=", "!=", "<>", "<", "<=", ">", ">="})
    MATCHES(g::predicate, std::string("spot ") + op + " 1 or", "or");
  MATCHES(g::predicate, "stage in (A, B) or x", "or x");
  MATCHES(g::predicate, "stage IN(A)", "");
  MATCHES(g::predicate, "stage not in (A)", "");
  MATCHES(g::predicate, "stage Not  In (\"Not processed\", 'b')", "");
  MATCHES(g::predicate, "spot between 1 and 5 x", "x");
  MATCHES(g::predicate, "registered_at between now - 1w and now)", ")");
  MATCHES(g::predicate, "country is null and", "and");
  MATCHES(g::predicate, "country IS NOT NULL", "");
  MATCHES(g::predicate, "tag any (VIP)", "");
  MATCHES(g::predicate, "tag ALL (VIP, \"Top-up\") or", "or");
  MATCHES(g::predicate, "tag none(BLOCKED)", "");
  MATCHES(g::predicate, "android = 1", "");  // a field may begin with a keyword
}

TEST(GrammarPredicates, Failures) {
  FAILS(g::predicate, "spot");
  FAILS(g::predicate, "spot =");
  FAILS(g::predicate, "spot == 1");
  FAILS(g::predicate, "spot => 1");
  FAILS(g::predicate, "in (A)");
  FAILS(g::predicate, "stage in ()");
  FAILS(g::predicate, "stage in (A,)");
  FAILS(g::predicate, "stage in (A B)");
  FAILS(g::predicate, "stage in A");
  FAILS(g::predicate, "stage not (A)");
  FAILS(g::predicate, "stage not = A");
  FAILS(g::predicate, "spot between 1 or 2");
  FAILS(g::predicate, "spot between 1");
  FAILS(g::predicate, "country is");
  FAILS(g::predicate, "country is not");
  FAILS(g::predicate, "country is empty");
  FAILS(g::predicate, "tag any VIP");
  FAILS(g::predicate, "tag any ()");
  FAILS(g::predicate, "\"stage\" = 1");
  FAILS(g::predicate, "1 = spot");
}

TEST(GrammarPredicates, OperatorsAndLists) {
  MATCHES(g::cmp_op, "<=1", "1");
  MATCHES(g::cmp_op, ">= 1", " 1");
  MATCHES(g::cmp_op, "<>", "");
  MATCHES(g::cmp_op, "==", "=");  // one `=`; the second is not a value (E103)
  MATCHES(g::cmp_op, "=>", ">");  // `=` then a stray `>`
  FAILS(g::cmp_op, "!");
  MATCHES(g::list, "(A) x", "x");
  MATCHES(g::list, "( A , 'b c' ,3,2026-01-01 ) and", "and");
  MATCHES(g::list, "(\n  A, -- first\n  B  -- second\n)", "");
  FAILS(g::list, "()");
  FAILS(g::list, "(,A)");
  FAILS(g::list, "(A,,B)");
  FAILS(g::list, "(A");
  FAILS(g::list, "A, B");
}

// ---- expressions ----

TEST(GrammarExpressions, ConditionsAndConnectives) {
  MATCHES(g::primary, "true and x", "and x");
  MATCHES(g::primary, "(spot = 1) x", "x");
  MATCHES(g::primary, "FALSE", "");
  FAILS(g::primary, "not spot = 1");  // `not` is read by unary
  MATCHES(g::unary, "not not spot = 1 and x", "and x");
  MATCHES(g::unary, "NOT(spot = 1)", "");
  FAILS(g::unary, "not");
  FAILS(g::unary, "not and");
  // `and` binds tighter than `or`: an and-chain stops at `or`.
  MATCHES(g::and_expr, "a = 1 and b = 2 or c = 3", "or c = 3");
  MATCHES(g::or_expr, "a = 1 or b = 2 and c = 3 )", ")");
  MATCHES(g::expr, "(a = 1 or b = 2) and not c = 3) x", ") x");
  MATCHES(g::expr, "a = 1 android = 2", "android = 2");  // `android` does not start `and`
  FAILS(g::expr, "a = 1 and");
  FAILS(g::expr, "a = 1 or or b = 2");
  FAILS(g::expr, "and a = 1");
  FAILS(g::expr, "()");
  FAILS(g::expr, "");
}

TEST(GrammarExpressions, WholeRules) {
  MATCHES(g::rule, "spot = 1", "");
  MATCHES(g::rule, "  -- leading comment\n spot = 1 -- trailing\n", "");
  MATCHES(g::rule, "true", "");
  MATCHES(g::rule, "((spot = 1))", "");
  MATCHES(g::rule,
          "stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12", "");
  MATCHES(g::rule, "not spot = 1 and not tag any (BLOCKED)", "");
  FAILS(g::rule, "");
  FAILS(g::rule, "-- only a comment");
  FAILS(g::rule, "spot = 1 )");
  FAILS(g::rule, "spot = 1 spot = 2");
  FAILS(g::rule, "(spot = 1");
  FAILS(g::rule, "spot = 1;");
}

// ---- the AST built by seg::parse_rule ----

using seg::Span;
namespace ast = seg::ast;

std::optional<ast::Expr> parse(std::string_view text, seg::Diagnostics& d) { return seg::parse_rule(text, d); }
ast::Expr parse_ok(std::string_view text) {
  seg::Diagnostics d;
  auto e = parse(text, d);
  EXPECT_TRUE(e) << text << "\n" << seg::render_text(d.list(), "rule", text);
  EXPECT_TRUE(d.empty()) << seg::render_text(d.list(), "rule", text);
  return e ? *e : ast::Expr{};
}

// An S-expression of the tree: (or (and (not a=) b=) c=).
std::string shape(const ast::Expr& e) {
  auto kids = [&](const char* k) {
    std::string s = "(";
    s += k;
    for (const auto& c : e.children) {
      s += ' ';
      s += shape(c);
    }
    return s + ")";
  };
  switch (e.kind) {
    case ast::Kind::Or: return kids("or");
    case ast::Kind::And: return kids("and");
    case ast::Kind::Not: return kids("not");
    case ast::Kind::Bool: return e.boolean ? "true" : "false";
    case ast::Kind::In: return e.field + " in";
    case ast::Kind::NotIn: return e.field + " not-in";
    case ast::Kind::Compare: return e.field + ast::op_text(e.op);
    case ast::Kind::Between: return e.field + " between";
    case ast::Kind::IsNull: return e.field + " is-null";
    case ast::Kind::IsNotNull: return e.field + " is-not-null";
    case ast::Kind::Any: return e.field + " any";
    case ast::Kind::All: return e.field + " all";
    case ast::Kind::None: return e.field + " none";
  }
  return "?";
}

std::string_view at(std::string_view text, Span s) { return text.substr(s.begin, s.end - s.begin); }

// Every span lies inside the text and inside its parent's; a predicate's parts lie inside it.
void expect_spans_nest(const ast::Expr& e, std::string_view text, Span parent) {
  SCOPED_TRACE(std::string(at(text, e.span)));
  EXPECT_LE(e.span.begin, e.span.end);
  EXPECT_LE(e.span.end, text.size());
  EXPECT_GE(e.span.begin, parent.begin);
  EXPECT_LE(e.span.end, parent.end);
  if (e.span.begin < e.span.end) {  // no span starts or ends on whitespace
    EXPECT_FALSE(std::isspace(static_cast<unsigned char>(text[e.span.begin])));
    EXPECT_FALSE(std::isspace(static_cast<unsigned char>(text[e.span.end - 1])));
  }
  if (!e.field.empty()) {
    // A predicate starts at its field, or at the parentheses around it (a group's span
    // covers its parentheses, so a caret on the group points at the `(`).
    std::string_view lead = at(text, Span{e.span.begin, e.field_span.begin});
    EXPECT_EQ(lead.find_first_not_of("( \t\n\r"), std::string_view::npos) << lead;
    EXPECT_EQ(at(text, e.field_span), e.field);
    EXPECT_GE(e.op_span.begin, e.field_span.end);
    EXPECT_LE(e.op_span.end, e.span.end);
    for (const auto& v : e.values) {
      EXPECT_GE(v.span.begin, e.op_span.end);
      EXPECT_LE(v.span.end, e.span.end);
      EXPECT_LT(v.span.begin, v.span.end);
    }
  }
  uint32_t prev_end = e.span.begin;
  for (const auto& c : e.children) {
    EXPECT_GE(c.span.begin, prev_end) << "children overlap";
    prev_end = c.span.end;
    expect_spans_nest(c, text, e.span);
  }
}
void expect_spans_nest(const ast::Expr& e, std::string_view text) {
  expect_spans_nest(e, text, Span{0, static_cast<uint32_t>(text.size())});
}

TEST(GrammarAst, PrecedenceNotThenAndThenOr) {
  EXPECT_EQ(shape(parse_ok("not a = 1 and b = 2 or c = 3")), "(or (and (not a=) b=) c=)");
  EXPECT_EQ(shape(parse_ok("a = 1 or b = 2 and c = 3")), "(or a= (and b= c=))");
  EXPECT_EQ(shape(parse_ok("not (a = 1 or b = 2) and c = 3")), "(and (not (or a= b=)) c=)");
  EXPECT_EQ(shape(parse_ok("not not a = 1")), "(not (not a=))");
  EXPECT_EQ(shape(parse_ok("(a = 1)")), "a=");
  // Chains are flat: one node per run of `and` or `or`, however long.
  EXPECT_EQ(shape(parse_ok("a = 1 and b = 2 and c = 3 or d = 4 or e = 5")), "(or (and a= b= c=) d= e=)");
  EXPECT_EQ(shape(parse_ok("a = 1 and (b = 2 and c = 3)")), "(and a= (and b= c=))");
  EXPECT_EQ(shape(parse_ok("true or FALSE and not true")), "(or true (and false (not true)))");
}

TEST(GrammarAst, EveryPredicateKind) {
  EXPECT_EQ(shape(parse_ok("a in (1) and b not in (1) and c between 1 and 2 and d is null and e is not null and "
                           "f any (x) and g all (x) and h none (x) and i != 1 and j <> 1 and k <= 1")),
            "(and a in b not-in c between d is-null e is-not-null f any g all h none i!= j!= k<=)");
  // Field names and keywords keep what was written; case is the checker's business.
  ast::Expr e = parse_ok("Stage IN (x)");
  EXPECT_EQ(e.field, "Stage");
  EXPECT_EQ(e.kind, ast::Kind::In);
}

TEST(GrammarAst, ValuesOfEveryKind) {
  std::string text = "x in (12, -3.50, \"a\\tb\\u{e9}\", 'c\\'d', Sym, 2026-01-02, 2026-01-02T03:04:05Z, now - 2h, "
                     "TRUE, now)";
  ast::Expr e = parse_ok(text);
  ASSERT_EQ(e.values.size(), 10u);
  using K = ast::ValueKind;
  std::vector<std::pair<K, std::string>> want = {
      {K::Number, "12"},       {K::Number, "-3.50"},     {K::String, "a\tb\xC3\xA9"}, {K::String, "c'd"},
      {K::Symbol, "Sym"},      {K::Date, "2026-01-02"},  {K::Timestamp, "2026-01-02T03:04:05Z"},
      {K::RelTime, "now - 2h"}, {K::Bool, "true"},       {K::RelTime, "now"}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(e.values[i].kind, want[i].first) << i;
    EXPECT_EQ(e.values[i].text, want[i].second) << i;
  }
  EXPECT_EQ(e.values[5].seconds, 1767312000);  // 2026-01-02T00:00:00Z
  EXPECT_EQ(e.values[6].seconds, 1767312000 + 3 * 3600 + 4 * 60 + 5);
  EXPECT_EQ(e.values[7].seconds, -7200);
  EXPECT_EQ(e.values[9].seconds, 0);
  EXPECT_TRUE(e.values[8].boolean);
  // A value's span is what was written, quotes included.
  EXPECT_EQ(at(text, e.values[2].span), "\"a\\tb\\u{e9}\"");
  EXPECT_EQ(at(text, e.values[7].span), "now - 2h");
}

TEST(GrammarAst, SpansOfNodes) {
  std::string text = "not spot = 1 and tag any (VIP, \"Top-up\")  or stage between A and B";
  ast::Expr e = parse_ok(text);
  ASSERT_EQ(shape(e), "(or (and (not spot=) tag any) stage between)");
  EXPECT_EQ(at(text, e.span), text);
  const ast::Expr& a = e.children[0];
  EXPECT_EQ(at(text, a.span), "not spot = 1 and tag any (VIP, \"Top-up\")");
  EXPECT_EQ(at(text, a.children[0].span), "not spot = 1");
  const ast::Expr& cmp = a.children[0].children[0];
  EXPECT_EQ(at(text, cmp.span), "spot = 1");
  EXPECT_EQ(at(text, cmp.field_span), "spot");
  EXPECT_EQ(at(text, cmp.op_span), "=");
  EXPECT_EQ(at(text, cmp.values[0].span), "1");
  const ast::Expr& any = a.children[1];
  EXPECT_EQ(at(text, any.span), "tag any (VIP, \"Top-up\")");  // up to `)`, not the spaces after
  EXPECT_EQ(at(text, any.op_span), "any");
  EXPECT_EQ(at(text, any.values[1].span), "\"Top-up\"");
  const ast::Expr& btw = e.children[1];
  EXPECT_EQ(at(text, btw.span), "stage between A and B");
  EXPECT_EQ(at(text, btw.op_span), "between");
  expect_spans_nest(e, text);
}

TEST(GrammarAst, SpansEndAtTheLastTokenNotAtCommentsOrSpaces) {
  std::string text = "-- head\n  last_active_at > now -- why\n  and country is not null   -- end\n";
  ast::Expr e = parse_ok(text);
  ASSERT_EQ(shape(e), "(and last_active_at> country is-not-null)");
  EXPECT_EQ(at(text, e.span), "last_active_at > now -- why\n  and country is not null");
  EXPECT_EQ(at(text, e.children[0].span), "last_active_at > now");
  EXPECT_EQ(at(text, e.children[0].values[0].span), "now");
  EXPECT_EQ(at(text, e.children[1].span), "country is not null");
  EXPECT_EQ(at(text, e.children[1].op_span), "is");
  std::string rel = "x > now - 30d -- c";
  EXPECT_EQ(at(rel, parse_ok(rel).values[0].span), "now - 30d");
  std::string nots = "not  not x = 1";
  ast::Expr n = parse_ok(nots);
  EXPECT_EQ(at(nots, n.span), nots);
  EXPECT_EQ(at(nots, n.children[0].span), "not x = 1");
  expect_spans_nest(e, text);
  expect_spans_nest(n, nots);
}

TEST(GrammarAst, EverySpanLiesInsideTheTextOnRandomRules) {
  int parsed = 0;
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    seg::testing::RuleGen gen(seed);
    std::string text = gen.rule();
    seg::Diagnostics d;
    auto e = parse(text, d);
    if (!e) continue;
    ++parsed;
    SCOPED_TRACE(text);
    expect_spans_nest(*e, text);
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(parsed, 1000);
}

TEST(GrammarAst, ErrorsStopTheParseAndPointIntoTheText) {
  for (std::string text : {"spot = ", "spot = 1 and", "(spot = 1 spot)", "stage in (A B)", "x between 1 2",
                           "tag any (\"V\\q\")", "spot = 1 )", "", "   ", "\xff"}) {
    seg::Diagnostics d;
    EXPECT_FALSE(parse(text, d)) << text;
    ASSERT_EQ(d.list().size(), 1u) << text;
    const auto& diag = d.list()[0];
    EXPECT_EQ(diag.code[0], 'E');
    EXPECT_LE(diag.span.begin, diag.span.end);
    EXPECT_LE(diag.span.end, text.size()) << text;
  }
  // A literal problem does not stop the parse: every bad date is reported, then no AST.
  seg::Diagnostics d;
  EXPECT_FALSE(parse("a = 2026-13-01 or b = 2026-02-30 or c = 2026-01-01T24:00:00Z", d));
  std::vector<std::string> codes;
  for (const auto& x : d.list()) codes.push_back(x.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"E108", "E108", "E108"}));
}

}  // namespace
