// The rule grammar in PEGTL (docs/language.md is its prose form). Included only by
// grammar/parse.cpp and the grammar tests: PEGTL templates stay out of other translation units.
#pragma once
#include <tao/pegtl.hpp>

namespace seg::grammar {
namespace p = tao::pegtl;

// ---- Lexical -------------------------------------------------------------------------------

// A comment runs from `--` to the end of the line, the line break not included. A line ends
// at LF, CRLF or a lone CR (PEGTL's eol is LF or CRLF only: with a file's old-Mac line ends,
// a comment ran on to the end of the rule and silently took the conditions after it).
struct comment : p::seq<p::two<'-'>, p::star<p::not_one<'\r', '\n'>>> {};
// Whitespace and comments, skipped after every token.
struct ws : p::star<p::sor<p::space, comment>> {};
// A token followed by whatever whitespace and comments come after it.
template <typename R>
struct tok : p::seq<R, ws> {};

// A character that may continue an identifier (ends keywords: `android` is not `and`).
struct ident_other : p::identifier_other {};
// A case-insensitive keyword that is not the start of a longer identifier.
template <char... Cs>
struct ikw : p::seq<p::istring<Cs...>, p::not_at<ident_other>> {};

struct kw_and : ikw<'a', 'n', 'd'> {};
struct kw_or : ikw<'o', 'r'> {};
struct kw_not : ikw<'n', 'o', 't'> {};
struct kw_in : ikw<'i', 'n'> {};
struct kw_between : ikw<'b', 'e', 't', 'w', 'e', 'e', 'n'> {};
struct kw_is : ikw<'i', 's'> {};
struct kw_null : ikw<'n', 'u', 'l', 'l'> {};
struct kw_true : ikw<'t', 'r', 'u', 'e'> {};
struct kw_false : ikw<'f', 'a', 'l', 's', 'e'> {};
struct kw_any : ikw<'a', 'n', 'y'> {};
struct kw_all : ikw<'a', 'l', 'l'> {};
struct kw_none : ikw<'n', 'o', 'n', 'e'> {};
struct kw_now : ikw<'n', 'o', 'w'> {};
// Any keyword: these are never field names or bare symbols.
struct keyword : p::sor<kw_and, kw_or, kw_not, kw_in, kw_between, kw_is, kw_null, kw_true, kw_false, kw_any,
                        kw_all, kw_none, kw_now> {};

// An identifier that is not a keyword: `[A-Za-z_][A-Za-z0-9_]*`.
struct name : p::seq<p::not_at<keyword>, p::identifier> {};

// ---- Literals ------------------------------------------------------------------------------

// A decimal number: optional minus, digits, optional fraction (`12`, `-5`, `10.25`).
struct number : p::seq<p::opt<p::one<'-'>>, p::plus<p::digit>, p::opt<p::one<'.'>, p::plus<p::digit>>,
                       p::not_at<ident_other>> {};
// The digits of a calendar date, `YYYY-MM-DD` (validated by the action).
struct date_digits : p::seq<p::rep<4, p::digit>, p::one<'-'>, p::rep<2, p::digit>, p::one<'-'>, p::rep<2, p::digit>> {};
// A date used as a value: not followed by a time.
struct date : p::seq<date_digits, p::not_at<p::one<'T', 't'>>, p::not_at<ident_other>> {};
// A UTC offset after a time, `+02:00` (the timestamp is converted to UTC).
struct utc_offset : p::seq<p::one<'+', '-'>, p::rep<2, p::digit>, p::one<':'>, p::rep<2, p::digit>> {};
// A timestamp `YYYY-MM-DDTHH:MM:SS` with an optional `Z` or UTC offset, as data accepts it.
struct timestamp : p::seq<date_digits, p::one<'T', 't'>, p::rep<2, p::digit>, p::one<':'>, p::rep<2, p::digit>,
                          p::one<':'>, p::rep<2, p::digit>, p::opt<p::sor<p::one<'Z', 'z'>, utc_offset>>,
                          p::not_at<ident_other>> {};

// A backslash escape inside a string: \" \' \\ \n \t \u{hex}.
struct hex_code : p::seq<p::one<'{'>, p::rep_min_max<1, 6, p::xdigit>, p::one<'}'>> {};
struct escape_char : p::sor<p::one<'"', '\'', '\\', 'n', 't'>, p::seq<p::one<'u'>, hex_code>> {};
struct escape : p::seq<p::one<'\\'>, p::must<escape_char>> {};
// A double-quoted string; it may not span lines (write \n).
struct dq_body : p::star<p::sor<escape, p::not_one<'"', '\\', '\n', '\r'>>> {};
struct dq_string : p::seq<p::one<'"'>, dq_body, p::must<p::one<'"'>>> {};
// A single-quoted string, same escapes.
struct sq_body : p::star<p::sor<escape, p::not_one<'\'', '\\', '\n', '\r'>>> {};
struct sq_string : p::seq<p::one<'\''>, sq_body, p::must<p::one<'\''>>> {};
// A string as it is found before it is read: a backslash takes the next character on its line
// (the grammar says E106 for one it does not know), and the string ends at its quote, or
// unclosed at its line's end. The parser's pre-check (E105) and the tools' lexer
// (grammar/lex.cpp) find strings with this, so they end where the grammar's do.
struct loose_escape : p::seq<p::one<'\\'>, p::not_one<'\n', '\r'>> {};
template <char Q>
struct loose_body : p::star<p::sor<loose_escape, p::not_one<Q, '\\', '\n', '\r'>>> {};
template <char Q>
struct loose_string : p::seq<p::one<Q>, loose_body<Q>, p::opt<p::one<Q>>> {};

// A duration: digits and a unit (s m h d w).
struct duration : p::seq<p::plus<p::digit>, p::one<'s', 'm', 'h', 'd', 'w'>, p::not_at<ident_other>> {};
// The sign of a relative time.
struct rel_sign : p::one<'+', '-'> {};
// `now`, optionally plus or minus a duration: `now - 30d`, `now+2h`.
struct reltime : p::seq<kw_now, ws, p::opt<rel_sign, ws, p::must<duration>>> {};

// A bare identifier in value position: a dictionary value (`NotProcessed`, `REGISTERED`).
struct symbol : name {};
// The literal `true` / `false` as a value.
struct bool_value : p::sor<kw_true, kw_false> {};

// Any value. Timestamps before dates before numbers: they share a prefix.
struct value : p::sor<timestamp, date, number, dq_string, sq_string, reltime, bool_value, symbol> {};
struct value_tok : tok<value> {};

// ---- Punctuation ---------------------------------------------------------------------------

struct open_paren : tok<p::one<'('>> {};
struct close_paren : tok<p::one<')'>> {};
struct comma : tok<p::one<','>> {};

// ---- Predicates ----------------------------------------------------------------------------

// The field a predicate tests.
struct field_name : name {};
struct field : tok<field_name> {};

// The comparison operators; two-character ones first.
struct cmp_op : p::sor<p::string<'<', '='>, p::string<'>', '='>, p::string<'!', '='>, p::string<'<', '>'>,
                       p::one<'='>, p::one<'<'>, p::one<'>'>> {};
struct cmp_tok : tok<cmp_op> {};

// A list must hold at least one value (`stage in ()` is an error).
struct list_not_empty : p::not_at<p::one<')'>> {};
// A value in a list, after `(` or `,`.
struct list_value : value_tok {};
// A list of values: `(A, B, "C d")`.
struct list : p::seq<open_paren, p::must<list_not_empty>, p::must<list_value>,
                     p::star<comma, p::must<list_value>>, p::must<close_paren>> {};
// The list after `in`, `not in`, `any`, `all`, `none`.
struct list_after_op : list {};

// `field in (…)`.
struct in_tok : tok<kw_in> {};
struct in_tail : p::seq<in_tok, p::must<list_after_op>> {};
// `field not in (…)`.
struct not_in_tok : tok<kw_not> {};
struct in_after_not : in_tok {};
struct not_in_tail : p::seq<not_in_tok, p::must<in_after_not>, p::must<list_after_op>> {};
// `field <op> value`.
struct cmp_value : value_tok {};
struct cmp_tail : p::seq<cmp_tok, p::must<cmp_value>> {};
// `field between low and high`.
struct between_tok : tok<kw_between> {};
struct between_low : value_tok {};
struct between_and : tok<kw_and> {};
struct between_high : value_tok {};
struct between_tail : p::seq<between_tok, p::must<between_low>, p::must<between_and>, p::must<between_high>> {};
// `field is null` / `field is not null`.
struct is_tok : tok<kw_is> {};
struct is_not_tok : tok<kw_not> {};
struct null_tok : tok<kw_null> {};
struct is_tail : p::seq<is_tok, p::opt<is_not_tok>, p::must<null_tok>> {};
// `field any|all|none (…)`, multi-valued fields only (the checker enforces that).
struct set_op : p::sor<kw_any, kw_all, kw_none> {};
struct set_tok : tok<set_op> {};
struct set_tail : p::seq<set_tok, p::must<list_after_op>> {};

// Whatever follows the field name.
struct predicate_tail : p::sor<in_tail, not_in_tail, cmp_tail, between_tail, is_tail, set_tail> {};
// A predicate: a field and a test on it.
struct predicate : p::seq<field, p::must<predicate_tail>> {};

// ---- Expressions ---------------------------------------------------------------------------

struct expr;
// A parenthesised expression.
struct paren_close : close_paren {};
struct paren_open : open_paren {};
struct paren_expr : p::seq<paren_open, p::must<expr>, p::must<paren_close>> {};
// `true` / `false` as a whole condition.
struct bool_cond : p::sor<kw_true, kw_false> {};
struct bool_tok : tok<bool_cond> {};
// A primary condition.
struct primary : p::sor<paren_expr, bool_tok, predicate> {};
// Marks where a unary starts (the action records the `not`s that follow).
struct unary_begin : p::success {};
// One `not` (they bind tightest; a run of them is read without recursion).
struct not_tok : tok<kw_not> {};
// A condition after any number of `not`s.
struct condition : primary {};
struct unary : p::seq<unary_begin, p::star<not_tok>, p::must<condition>> {};
// Marks where an and/or chain starts.
struct chain_begin : p::success {};
// Conditions joined by `and`.
struct and_tok : tok<kw_and> {};
struct and_expr : p::seq<chain_begin, unary, p::star<and_tok, p::must<unary>>> {};
// And-chains joined by `or` (lowest precedence).
struct or_tok : tok<kw_or> {};
struct or_expr : p::seq<chain_begin, and_expr, p::star<or_tok, p::must<and_expr>>> {};
struct expr : p::seq<or_expr> {};
// The end of the rule: anything else here is a stray token.
struct rule_end : p::eof {};
// A whole rule.
struct rule : p::seq<ws, p::must<expr>, p::must<rule_end>> {};

// ---- Error messages ------------------------------------------------------------------------
// Every rule under must<> has a code and a message here; a missing entry is a compile error.
// `{tok}` is replaced with the token found where the error is.

template <typename Rule>
struct error;  // no primary definition on purpose
// What a value is, for the errors that expected one (the parser's hints may say more).
inline constexpr const char* kValueHelp =
    "a value is a number (`12`), a name (`Active`), a date (`2026-10-01`) or a string in quotes";
#define SEG_ERROR(RULE, CODE, MSG, HELP)          \
  template <>                                     \
  struct error<RULE> {                            \
    static constexpr const char* code = CODE;     \
    static constexpr const char* message = MSG;   \
    static constexpr const char* help = HELP;     \
  }
SEG_ERROR(expr, "E110", "expected a condition, found {tok}",
          "a condition is a field test such as `stage = Registration`, `true`, `false`, `not …` or `( … )`");
SEG_ERROR(condition, "E110", "expected a condition, found {tok}",
          "a condition is a field test such as `spot = 12`, `true`, `false` or `( … )`");
// Never raised (their first sub-rule cannot fail softly) but required under must<>; the
// parser names the `and`/`or`/`not` before a missing condition itself.
SEG_ERROR(unary, "E110", "expected a condition, found {tok}", "");
SEG_ERROR(and_expr, "E110", "expected a condition, found {tok}", "");
SEG_ERROR(rule_end, "E107", "unexpected {tok} after a complete condition",
          "join conditions with `and` or `or`, or remove it");
SEG_ERROR(paren_close, "E102", "expected `)` to close the parenthesis, found {tok}",
          "close the parenthesis with `)`, or join the conditions with `and` or `or`");
SEG_ERROR(predicate_tail, "E111", "expected an operator after the field name, found {tok}",
          "one of: in, not in, =, !=, <, <=, >, >=, between, is null, any, all, none");
SEG_ERROR(in_after_not, "E111", "expected `in` after `not`, found {tok}", "write `field not in (…)`");
SEG_ERROR(list_after_op, "E112", "expected a list in parentheses, found {tok}", "write the values as `(A, B)`");
SEG_ERROR(list_not_empty, "E104", "a list needs at least one value", "add a value, or remove the condition");
SEG_ERROR(list_value, "E103", "expected a value in the list, found {tok}", kValueHelp);
SEG_ERROR(close_paren, "E102", "expected `,` or `)` in the list, found {tok}", "separate values with `,`");
SEG_ERROR(cmp_value, "E103", "expected a value after the operator, found {tok}", kValueHelp);
SEG_ERROR(between_low, "E103", "expected a value after `between`, found {tok}", kValueHelp);
SEG_ERROR(between_and, "E113", "expected `and` between the two bounds, found {tok}", "write `field between A and B`");
SEG_ERROR(between_high, "E103", "expected a value after `and`, found {tok}", kValueHelp);
SEG_ERROR(null_tok, "E114", "expected `null` after `is` or `is not`, found {tok}", "write `field is null` or `field is not null`");
SEG_ERROR(duration, "E109", "expected a duration after `now +`/`now -`, found {tok}",
          "a number and a unit: s, m, h, d or w (`now - 30d`)");
SEG_ERROR(escape_char, "E106", "unknown escape in a string", "escapes are \\\" \\' \\\\ \\n \\t and \\u{hex}");
SEG_ERROR(p::one<'"'>, "E105", "unterminated string", "close it with `\"`");
SEG_ERROR(p::one<'\''>, "E105", "unterminated string", "close it with `'`");
#undef SEG_ERROR

}  // namespace seg::grammar
