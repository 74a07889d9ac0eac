// The parser: a lexical pre-check (length, UTF-8, strings, parenthesis balance and depth),
// then the PEGTL grammar with actions that build our own AST. The only TU that sees PEGTL
// besides the grammar tests.
#include "grammar/parse.hpp"

#include <fmt/format.h>

#include <cstring>
#include <tuple>

#include <tao/pegtl/contrib/analyze.hpp>

#include "base/text_util.hpp"
#include "base/time_util.hpp"
#include "grammar/grammar.hpp"
#include "grammar/lex.hpp"
#include "grammar/non_ascii.hpp"

namespace seg {
namespace g = grammar;
namespace p = tao::pegtl;

const char* ast::value_kind_name(ValueKind k) {
  switch (k) {
    case ValueKind::Number: return "a number";
    case ValueKind::String: return "a string";
    case ValueKind::Symbol: return "a name";
    case ValueKind::Date: return "a date";
    case ValueKind::Timestamp: return "a timestamp";
    case ValueKind::RelTime: return "a relative time";
    case ValueKind::Bool: return "a boolean";
  }
  return "a value";
}

const char* ast::op_text(Op op) {
  switch (op) {
    case Op::Eq: return "=";
    case Op::Ne: return "!=";
    case Op::Lt: return "<";
    case Op::Le: return "<=";
    case Op::Gt: return ">";
    case Op::Ge: return ">=";
  }
  return "?";
}

namespace {

// Thrown by the control when a must<> fails, or by an action when a limit is exceeded.
struct Stop {
  const char* code;
  std::string message;
  std::string help;
  uint32_t begin;
  uint32_t end;
  bool fill_token;  // replace {tok} and widen the span to the token found there
};

struct State {
  std::string_view text;
  Diagnostics& diags;
  const Limits& limits;
  std::vector<ast::Expr> stack;
  std::vector<size_t> chain_marks;
  std::vector<std::vector<uint32_t>> not_frames;  // start offsets of the `not`s of each open unary
  std::vector<uint32_t> paren_starts;             // offsets of the open grouping parentheses
  ast::Expr pred;
  std::vector<ast::Value> values;
  size_t predicates = 0;
  size_t depth = 0;  // open parentheses + pending `not`s
  bool rel_negative = false;
  int64_t rel_offset = 0;
  uint32_t last_end = 0;

  uint32_t off(const char* p) const { return static_cast<uint32_t>(p - text.data()); }
  void deeper(uint32_t at) {
    if (++depth > limits.max_depth)
      throw Stop{"E402", fmt::format("the rule nests deeper than {} levels", limits.max_depth),
                 "split it into simpler conditions", at, at + 1, false};
  }
};

template <typename Rule>
struct control : p::normal<Rule> {
  template <typename Input, typename... States>
  [[noreturn]] static void raise(const Input& in, States&&... st) {
    // Offsets count from the rule's first byte (the input may start after a byte-order mark).
    uint32_t at = std::get<0>(std::tie(st...)).off(in.current());
    throw Stop{g::error<Rule>::code, g::error<Rule>::message, g::error<Rule>::help, at, at, true};
  }
};

template <typename Rule>
struct action : p::nothing<Rule> {};

template <typename Input>
Span span_of(const State& s, const Input& in) {
  return Span{s.off(in.begin()), s.off(in.end())};
}

// ---- values ----

void push_value(State& s, ast::Value v) {
  if (s.values.size() >= s.limits.max_list_values)
    throw Stop{"E404", fmt::format("the list has more than {} values", s.limits.max_list_values),
               "split the rule, or use a field that groups these values", v.span.begin, v.span.end, false};
  s.last_end = v.span.end;
  s.values.push_back(std::move(v));
}

template <>
struct action<g::number> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    push_value(s, ast::Value{ast::ValueKind::Number, span_of(s, in), in.string()});
  }
};

template <>
struct action<g::date> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Value v{ast::ValueKind::Date, span_of(s, in), in.string()};
    if (auto t = parse_timestamp(v.text)) v.seconds = *t;
    else s.diags.error("E108", v.span, fmt::format("`{}` is not a valid date", v.text), "dates are YYYY-MM-DD");
    push_value(s, std::move(v));
  }
};

template <>
struct action<g::timestamp> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Value v{ast::ValueKind::Timestamp, span_of(s, in), in.string()};
    if (auto t = parse_timestamp(v.text)) v.seconds = *t;
    else
      s.diags.error("E108", v.span, fmt::format("`{}` is not a valid timestamp", v.text),
                    "timestamps are YYYY-MM-DDTHH:MM:SSZ (UTC)");
    push_value(s, std::move(v));
  }
};

// Unescapes a quoted string (quotes included in `raw`); reports bad \u code points.
std::string unescape(State& s, std::string_view raw, uint32_t at) {
  std::string out;
  for (size_t i = 1; i + 1 < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\0') {
      // As \u{0} is refused, so is the raw byte (the printer could not write it back).
      s.diags.error("E106", Span{at + static_cast<uint32_t>(i), at + static_cast<uint32_t>(i + 1)},
                    "a NUL character is not a valid character", "use a Unicode scalar value");
      continue;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    char e = raw[++i];
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'u': {
        size_t close = raw.find('}', i);
        uint32_t cp = static_cast<uint32_t>(std::stoul(std::string(raw.substr(i + 2, close - i - 2)), nullptr, 16));
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0) {
          s.diags.error("E106", Span{at + static_cast<uint32_t>(i - 1), at + static_cast<uint32_t>(close + 1)},
                        fmt::format("\\u{{{:X}}} is not a valid character", cp), "use a Unicode scalar value");
        } else if (cp < 0x80) {
          out += static_cast<char>(cp);
        } else if (cp < 0x800) {
          out += static_cast<char>(0xC0 | (cp >> 6));
          out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
          out += static_cast<char>(0xE0 | (cp >> 12));
          out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
          out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
          out += static_cast<char>(0xF0 | (cp >> 18));
          out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
          out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
          out += static_cast<char>(0x80 | (cp & 0x3F));
        }
        i = close;
        break;
      }
      default: out += e;  // \" \' \\ (the grammar allows nothing else)
    }
  }
  return out;
}

struct string_action {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    Span sp = span_of(s, in);
    push_value(s, ast::Value{ast::ValueKind::String, sp, unescape(s, in.string_view(), sp.begin)});
  }
};
template <>
struct action<g::dq_string> : string_action {};
template <>
struct action<g::sq_string> : string_action {};

template <>
struct action<g::symbol> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    push_value(s, ast::Value{ast::ValueKind::Symbol, span_of(s, in), in.string()});
  }
};

template <>
struct action<g::bool_value> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Value v{ast::ValueKind::Bool, span_of(s, in), lower(in.string_view())};
    v.boolean = v.text == "true";
    push_value(s, std::move(v));
  }
};

template <>
struct action<g::rel_sign> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.rel_negative = in.peek_char() == '-';
  }
};

template <>
struct action<g::duration> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    std::string_view t = in.string_view();
    char unit = t.back();
    int64_t mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 604800;
    int64_t n = 0;
    bool big = t.size() > 13;
    for (size_t i = 0; !big && i + 1 < t.size(); ++i) n = n * 10 + (t[i] - '0');
    if (big || n * mult > kMaxNowOffset) {
      Span sp = span_of(s, in);
      s.diags.error("E109", sp, fmt::format("the duration `{}` is too long", t), "durations are limited to 10000 years");
      n = 0;
    }
    s.rel_offset = n * mult;
  }
};

template <>
struct action<g::reltime> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    // The span ends at the duration, not at whitespace or a comment after `now`.
    std::string_view t = in.string_view();
    size_t e = t.size();
    while (e > 3 && !std::isalnum(static_cast<unsigned char>(t[e - 1]))) --e;
    Span sp{s.off(in.begin()), s.off(in.begin()) + static_cast<uint32_t>(s.rel_offset == 0 ? 3 : e)};
    ast::Value v{ast::ValueKind::RelTime, sp, std::string(t.substr(0, sp.end - sp.begin))};
    v.seconds = s.rel_negative ? -s.rel_offset : s.rel_offset;
    s.rel_negative = false;
    s.rel_offset = 0;
    push_value(s, std::move(v));
  }
};

// ---- predicates ----

template <>
struct action<g::field_name> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.pred = ast::Expr{};
    s.pred.field = in.string();
    s.pred.field_span = span_of(s, in);
    s.values.clear();
    s.last_end = s.pred.field_span.end;
  }
};

// Sets the predicate kind; the operator span covers the keyword (of `len` bytes).
template <ast::Kind K, uint32_t len>
struct set_kind {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.pred.kind = K;
    s.pred.op_span = Span{s.off(in.begin()), s.off(in.begin()) + len};
  }
};
template <>
struct action<g::in_tok> : set_kind<ast::Kind::In, 2> {};
template <>
struct action<g::not_in_tok> : set_kind<ast::Kind::NotIn, 3> {};
template <>
struct action<g::between_tok> : set_kind<ast::Kind::Between, 7> {};
template <>
struct action<g::is_tok> : set_kind<ast::Kind::IsNull, 2> {};
template <>
struct action<g::is_not_tok> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.pred.kind = ast::Kind::IsNotNull;
  }
};
template <>
struct action<g::null_tok> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.last_end = s.off(in.begin()) + 4;
  }
};

template <>
struct action<g::set_op> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    std::string k = lower(in.string_view());
    s.pred.kind = k == "any" ? ast::Kind::Any : k == "all" ? ast::Kind::All : ast::Kind::None;
    s.pred.op_span = span_of(s, in);
  }
};

template <>
struct action<g::cmp_op> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    std::string_view t = in.string_view();
    s.pred.kind = ast::Kind::Compare;
    s.pred.op = t == "=" ? ast::Op::Eq : (t == "!=" || t == "<>") ? ast::Op::Ne : t == "<" ? ast::Op::Lt
              : t == "<=" ? ast::Op::Le : t == ">" ? ast::Op::Gt : ast::Op::Ge;
    s.pred.op_span = span_of(s, in);
  }
};

struct close_list_action {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.last_end = s.off(in.begin()) + 1;
  }
};
template <>
struct action<g::close_paren> : close_list_action {};

template <>
struct action<g::predicate> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    if (++s.predicates > s.limits.max_predicates)
      throw Stop{"E403", fmt::format("the rule has more than {} conditions", s.limits.max_predicates),
                 "split it into several segments", s.pred.field_span.begin, s.pred.field_span.end, false};
    s.pred.span = Span{s.pred.field_span.begin, s.last_end};
    s.pred.values = std::move(s.values);
    s.values.clear();
    s.stack.push_back(std::move(s.pred));
  }
};

// ---- structure ----

template <>
struct action<g::bool_cond> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    ast::Expr e;
    e.kind = ast::Kind::Bool;
    e.span = span_of(s, in);
    e.boolean = iequals(in.string_view(), "true");
    s.last_end = e.span.end;
    if (++s.predicates > s.limits.max_predicates)
      throw Stop{"E403", fmt::format("the rule has more than {} conditions", s.limits.max_predicates),
                 "split it into several segments", e.span.begin, e.span.end, false};
    s.stack.push_back(std::move(e));
  }
};

template <>
struct action<g::paren_open> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.deeper(s.off(in.begin()));
    s.paren_starts.push_back(s.off(in.begin()));
  }
};
template <>
struct action<g::paren_close> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    --s.depth;
    s.last_end = s.off(in.begin()) + 1;
    // The parenthesised expression's span covers its parentheses, so a warning about the
    // group puts its caret on the `(`.
    s.stack.back().span = Span{s.paren_starts.back(), s.last_end};
    s.stack.back().grouped = true;
    s.paren_starts.pop_back();
  }
};

template <>
struct action<g::unary_begin> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.not_frames.emplace_back();
  }
};
template <>
struct action<g::not_tok> {
  template <typename Input>
  static void apply(const Input& in, State& s) {
    s.deeper(s.off(in.begin()));
    s.not_frames.back().push_back(s.off(in.begin()));
  }
};
template <>
struct action<g::unary> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    auto nots = std::move(s.not_frames.back());
    s.not_frames.pop_back();
    s.depth -= nots.size();
    for (size_t i = nots.size(); i-- > 0;) {
      ast::Expr n;
      n.kind = ast::Kind::Not;
      n.span = Span{nots[i], s.stack.back().span.end};
      n.children.push_back(std::move(s.stack.back()));
      s.stack.back() = std::move(n);
    }
  }
};

template <>
struct action<g::chain_begin> {
  template <typename Input>
  static void apply(const Input&, State& s) {
    s.chain_marks.push_back(s.stack.size());
  }
};
template <ast::Kind K>
struct chain_action {
  template <typename Input>
  static void apply(const Input&, State& s) {
    size_t mark = s.chain_marks.back();
    s.chain_marks.pop_back();
    if (s.stack.size() - mark < 2) return;
    ast::Expr e;
    e.kind = K;
    e.span = Span{s.stack[mark].span.begin, s.stack.back().span.end};
    e.children.assign(std::make_move_iterator(s.stack.begin() + static_cast<ptrdiff_t>(mark)),
                      std::make_move_iterator(s.stack.end()));
    s.stack.resize(mark);
    s.stack.push_back(std::move(e));
  }
};
template <>
struct action<g::and_expr> : chain_action<ast::Kind::And> {};
template <>
struct action<g::or_expr> : chain_action<ast::Kind::Or> {};

// ---- the lexical pre-check ----

// Finds what must be reported before PEGTL runs: an unterminated string, unbalanced or too
// deeply nested parentheses (PEGTL would recurse once per level), invalid UTF-8.
// The bytes a grammar rule matches at the start of `text` (0: none).
template <typename Rule>
size_t matched(std::string_view text) {
  p::memory_input<p::tracking_mode::lazy> in(text.data(), text.size(), "");
  return p::parse<Rule>(in) ? static_cast<size_t>(in.current() - text.data()) : 0;
}

bool precheck(std::string_view t, Diagnostics& diags, const Limits& limits) {
  // The whole text, strings and comments included, is UTF-8 (found by fuzzing: an invalid
  // byte inside a quoted tag name reached the IR, and its canonical text did not compile).
  for (size_t i = 0; i < t.size();) {
    size_t n = utf8_len(t, i);
    if (!n) {
      diags.error("E115", Span{uint32_t(i), uint32_t(i + 1)},
                  fmt::format("the rule is not valid UTF-8: byte 0x{:02X} here begins no character", static_cast<uint8_t>(t[i])),
                  "save the rule as UTF-8 (a Latin-1 or Windows-1252 file shows this)");
      return false;
    }
    i += n;
  }
  std::vector<uint32_t> open;
  // A leading byte-order mark is skipped (parse_rule starts after it too).
  for (size_t i = t.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0; i < t.size();) {
    char c = t[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      diagnose_non_ascii(t, i, diags);  // E116, with the fix a look-alike or a pasted quote needs
      return false;
    }
    // Comments and strings as the grammar finds them (its own rules: grammar.hpp).
    if (c == '-' && i + 1 < t.size() && t[i + 1] == '-') {
      i += matched<grammar::comment>(t.substr(i));
      continue;
    }
    if (c == '"' || c == '\'') {
      const size_t n = c == '"' ? matched<grammar::loose_string<'"'>>(t.substr(i))
                                 : matched<grammar::loose_string<'\''>>(t.substr(i));
      if (n < 2 || t[i + n - 1] != c) {
        diags.error("E105", Span{uint32_t(i), uint32_t(i + n)}, "unterminated string",
                    fmt::format("close it with `{}` on the same line", c));
        return false;
      }
      i += n;
      continue;
    }
    if (c == '(') {
      open.push_back(uint32_t(i));
      if (open.size() > limits.max_depth) {
        diags.error("E402", Span{uint32_t(i), uint32_t(i + 1)},
                    fmt::format("the rule nests deeper than {} levels", limits.max_depth),
                    "split it into simpler conditions");
        return false;
      }
    } else if (c == ')') {
      if (open.empty()) {
        diags.error("E102", Span{uint32_t(i), uint32_t(i + 1)}, "this `)` has no matching `(`",
                    "remove it or add the `(` it closes");
        return false;
      }
      open.pop_back();
    }
    ++i;
  }
  if (!open.empty()) {
    diags.error("E102", Span{open.back(), open.back() + 1}, "this `(` is never closed",
                fmt::format("add `)` where the parenthesised part ends"));
    return false;
  }
  return true;
}

// A token as a message quotes it: control characters (a NUL, a tab) written out, since
// shown as they are they look like a space or nothing.
std::string visible(std::string_view tok) {
  std::string out;
  for (char c : tok) {
    const auto u = static_cast<unsigned char>(c);
    if (u == 0) out += "\\0 (a NUL byte)";
    else if (u < 0x20 || u == 0x7f) out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  return out;
}

// The token at an error position, for messages: a word, a number, a string or one character.
Span token_at(std::string_view t, uint32_t at) {
  if (at >= t.size()) return Span{at, at};
  size_t e = at;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':'; };
  if (word(t[at])) {
    while (e < t.size() && (word(t[e]) || t[e] == '-')) ++e;
  } else if (t[at] == '"' || t[at] == '\'') {
    e = t.find(t[at], at + 1);
    e = e == std::string_view::npos ? t.size() : e + 1;
  } else {
    e = at + std::max<size_t>(1, utf8_len(t, at));
  }
  return Span{at, static_cast<uint32_t>(std::min(e, t.size()))};
}

// Mistakes that span several tokens, read off the tokens around the stop (grammar::lex, so
// the boundaries are the grammar's): several values for one field written as conditions
// (`stage = Active or Deposit`), a misspelt or forgotten `and` after a value, SQL's `NOT
// BETWEEN` and `NOT =`, operators typed backwards (`=<`), `==` before `null`. Found by a
// review of wrong rules people type. The same contract as hint() below.
std::optional<std::string> token_hint(std::string_view text, std::string_view code, std::string& msg, Span& sp,
                                      std::string& help) {
  using grammar::TokenKind;
  std::vector<grammar::Token> toks;
  for (const auto& t : grammar::lex(text))
    if (t.kind != TokenKind::Comment) toks.push_back(t);
  size_t k = 0;  // the token the parse stopped at (toks.size(): the end of the rule)
  while (k < toks.size() && toks[k].span.end <= sp.begin) ++k;
  const auto word = [&](size_t i, std::string_view w) { return i < toks.size() && iequals(toks[i].text, w); };
  const auto punct = [&](size_t i, std::string_view p) {
    return i < toks.size() && toks[i].kind == TokenKind::Punct && toks[i].text == p;
  };
  const auto joiner = [&](size_t i) { return word(i, "and") || word(i, "or"); };
  const auto keyword = [&](size_t i) {
    for (const char* w : {"and", "or", "not", "in", "between", "is", "null", "any", "all", "none", "true", "false", "now"})
      if (word(i, w)) return true;
    return false;
  };
  const auto comparison = [&](size_t i) {
    for (const char* o : {"=", "!=", "<>", "<", "<=", ">", ">="})
      if (punct(i, o)) return true;
    return false;
  };
  // A word that begins a condition: a name followed by an operator or an operator's keyword.
  const auto starts_condition = [&](size_t i) {
    return i < toks.size() && toks[i].kind == TokenKind::Word && !keyword(i) &&
           (comparison(i + 1) || word(i + 1, "in") || word(i + 1, "not") || word(i + 1, "between") ||
            word(i + 1, "is") || word(i + 1, "any") || word(i + 1, "all") || word(i + 1, "none"));
  };
  const auto value = [&](size_t i) {
    return i < toks.size() && ((toks[i].kind == TokenKind::Word && !keyword(i)) || toks[i].kind == TokenKind::Number ||
                               (toks[i].kind == TokenKind::String && toks[i].closed));
  };
  const auto src = [&](size_t i) { return toks[i].text; };
  const auto span_of = [&](size_t a, size_t b) { return Span{toks[a].span.begin, toks[b].span.end}; };

  // `stage = Active or Deposit`, `spot = 12 or 13`, `stage = Active, Deposit`: one field's
  // values written as conditions. Found from the last value back to `FIELD =` over one kind
  // of separator (`or` or `,`), and for `,` on to the values after the stop.
  {
    size_t last = toks.size();  // the last value of the run
    if (code == "E111" && k > 0 && value(k - 1) && (k == toks.size() || joiner(k) || punct(k, ")"))) last = k - 1;
    if (code == "E110" && value(k) && k > 0 && word(k - 1, "or")) last = k;
    // (`1,000`, no space on either side, is a number with a separator: hint() says so.)
    const bool digit_group = punct(k, ",") && k > 0 && k + 1 < toks.size() && toks[k - 1].kind == TokenKind::Number &&
                             toks[k + 1].kind == TokenKind::Number && toks[k - 1].span.end == toks[k].span.begin &&
                             toks[k + 1].span.begin == toks[k].span.end;
    if (code == "E107" && punct(k, ",") && k > 0 && value(k - 1) && !digit_group && !starts_condition(k + 1)) last = k - 1;
    // On to the values after the stop (`spot = 12 or 13 or 14` was fixed to `spot in (12, 13)
    // or 14`; `stage = Active, spot = 1` took `spot` for a value), each a value of the same
    // kind that begins no condition.
    if (last < toks.size()) {
      const bool by_comma = code == "E107";
      while ((by_comma ? punct(last + 1, ",") : word(last + 1, "or")) && value(last + 2) && !starts_condition(last + 2) &&
             toks[last + 2].kind == toks[last].kind)
        last += 2;
    }
    if (last < toks.size()) {
      const bool comma = code == "E107" || punct(last - 1, ",");
      size_t first = last;
      while (first >= 2 && value(first - 2) && (comma ? punct(first - 1, ",") : word(first - 1, "or"))) first -= 2;
      bool alike = true;  // values of one kind: `spot = 1 or stage` is a condition being typed
      for (size_t i = first; i <= last; i += 2) alike &= toks[i].kind == toks[first].kind;
      if (alike && first < last && first >= 2 && punct(first - 1, "=") && toks[first - 2].kind == TokenKind::Word &&
          !keyword(first - 2)) {
        std::vector<std::string_view> values;
        for (size_t i = first; i <= last; i += 2) values.push_back(src(i));
        const std::string fixed = fmt::format("{} in ({})", src(first - 2), fmt::join(values, ", "));
        if (code != "E111") {
          sp = span_of(first - 2, last);
          help = fmt::format("several values of one field are a list: `{}`", fixed);
          return fixed;
        }
        // A word after `or` may be a field whose condition is still being typed (`stage =
        // Active or country`): said as an if, and fixed only when more follows it.
        msg = fmt::format("`{}` after `or` is read as a field, and no operator follows it", src(last));
        help = fmt::format("if `{}` is a value of `{}`, several values are a list: `{}`", src(last), src(first - 2), fixed);
        if (k == toks.size()) {
          sp = toks[last].span;
          return std::nullopt;
        }
        sp = span_of(first - 2, last);
        return fixed;
      }
    }
  }
  // `stage = (Active, Deposit)`: a list after `=`.
  if (code == "E103" && punct(k, "(") && k >= 2 && punct(k - 1, "=") && toks[k - 2].kind == TokenKind::Word) {
    sp = span_of(k - 1, k);
    help = fmt::format("a list is tested with `in`: `{} in (…)`", src(k - 2));
    return std::string("in (");
  }
  // After a value, a word that is `and` or `or` misspelt (`adn`, `nad`, `ro`) with a condition
  // after it, or a condition with no `and` or `or` before it: said at the word, not taken for
  // more words of the value (it was "a value with spaces is written as a string").
  if (code == "E107" && k < toks.size() && k > 0 && (value(k - 1) || punct(k - 1, ")")) && toks[k].kind == TokenKind::Word &&
      !joiner(k)) {
    // A condition or a group follows the word: the word stands where `and` or `or` goes.
    const bool condition_next = starts_condition(k + 1) || punct(k + 1, "(") || word(k + 1, "not");
    const std::string w = lower(src(k));
    const bool real_word = w == "nor" || w == "xor";  // words with a meaning of their own, not typos
    if (!keyword(k) && starts_condition(k)) {
      sp = toks[k].span;
      msg = fmt::format("a condition starts at `{}` without `and` or `or` before it", src(k));
      help = fmt::format("join conditions with `and` or `or`: `{} and {}`", src(k - 1), src(k));
      return std::nullopt;  // and or or? Only the person knows.
    }
    const auto near = nearest(w, {"and", "or"}, 1);
    if (!real_word && !near.empty() && edit_distance(w, near[0]) <= 1 && condition_next) {
      sp = toks[k].span;
      help = fmt::format("did you mean `{}`?", near[0]);
      return near[0];
    }
    // `country = DE ro AT`: `or` between two values of one field, which is a list.
    if (!real_word && !near.empty() && edit_distance(w, near[0]) <= 1 && value(k + 1) && !starts_condition(k + 1) &&
        k >= 3 && punct(k - 2, "=") && toks[k - 3].kind == TokenKind::Word && !keyword(k - 3) &&
        toks[k + 1].kind == toks[k - 1].kind) {
      const std::string fixed = fmt::format("{} in ({}, {})", src(k - 3), src(k - 1), src(k + 1));
      sp = span_of(k - 3, k + 1);
      help = fmt::format("did you mean `{}`? Several values of one field are a list: `{}`", near[0], fixed);
      if (near[0] == "and") return std::nullopt;  // two values at once: a contradiction, not a list
      return fixed;
    }
    if (condition_next) {
      sp = toks[k].span;
      msg = fmt::format("`{}` stands where `and` or `or` joins two conditions", src(k));
      help = "join conditions with `and` or `or`";
      return std::nullopt;
    }
  }
  // `spot NOT BETWEEN 1 AND 10` (SQL): the language's `not` goes before the condition;
  // `stage NOT = Blocked`: `!=`.
  if (code == "E111" && k >= 2 && word(k - 1, "not") && toks[k - 2].kind == TokenKind::Word) {
    if (word(k, "between")) {
      sp = span_of(k - 2, k);
      help = fmt::format("`not` goes before the whole condition: `not {} between …`", src(k - 2));
      return fmt::format("not {} between", src(k - 2));
    }
    if (punct(k, "=")) {
      sp = span_of(k - 1, k);
      help = "`not =` is written `!=`";
      return std::string("!=");
    }
  }
  // `spot =< 12`, `spot => 12`, `spot =! 1`: the two characters of an operator the other way
  // round (`spot ! = 1`: with a space).
  if (code == "E103" && k > 0 && punct(k - 1, "=") && toks[k - 1].span.end == sp.begin && k < toks.size()) {
    const std::string_view t = src(k);
    const char* op = t == "<" ? "<=" : t == ">" ? ">=" : t.substr(0, 1) == "!" ? "!=" : nullptr;
    if (op) {
      sp = Span{toks[k - 1].span.begin, toks[k].span.begin + 1};
      help = fmt::format("did you mean `{}`?", op);
      return std::string(op);
    }
  }
  if (code == "E111" && k < toks.size() && toks[k].text.substr(0, 1) == "!" && punct(k + 1, "=")) {
    sp = span_of(k, k + 1);
    help = "did you mean `!=`?";
    return std::string("!=");
  }
  // `stage === Active` (one fix, not one `=` at a time) and `country == NULL` (`is null`, not
  // `country = NULL` and a second round).
  if (code == "E103" && k > 0 && punct(k, "=") && (punct(k - 1, "=") || punct(k - 1, "!="))) {
    size_t e = k;
    while (punct(e + 1, "=") && toks[e + 1].span.begin == toks[e].span.end) ++e;
    if (word(e + 1, "null")) {
      const bool ne = punct(k - 1, "!=");
      sp = span_of(k - 1, e + 1);
      help = fmt::format("a missing value is tested with `{}`, not compared", ne ? "is not null" : "is null");
      return std::string(ne ? "is not null" : "is null");
    }
    if (punct(k - 1, "=")) {
      sp = span_of(k - 1, e);
      help = "equality is one `=`";
      return std::string("=");
    }
  }
  // `country <> NULL`: as `!= null`.
  if (code == "E103" && word(k, "null") && k > 0 && punct(k - 1, "<>")) {
    sp = span_of(k - 1, k);
    help = "a missing value is tested with `is not null`, not compared";
    return std::string("is not null");
  }
  // `spot between 1 adn 10`, `country is nul`, `is nnot null`: a keyword misspelt.
  if ((code == "E113" || code == "E114") && k < toks.size() && toks[k].kind == TokenKind::Word) {
    const std::string typed = lower(src(k));
    const char* want = code == "E113" ? "and" : word(k + 1, "null") ? "not" : "null";
    if (typed != want && edit_distance(typed, want) <= 1) {
      sp = toks[k].span;
      help = fmt::format("did you mean `{}`?", want);
      return std::string(want);
    }
    // `country is empty` (`none`, `blank`, `missing`): null in other words.
    for (const char* w : {"empty", "none", "nothing", "blank", "missing", "nil", "undefined"})
      if (code == "E114" && word(k, w)) {
        sp = toks[k].span;
        help = "a missing value is `null`";
        return std::string("null");
      }
    // `stage IS Active`: `is` is for null alone; a value is compared with `=`.
    if (code == "E114" && k > 0 && word(k - 1, "is") && value(k) && !word(k, "not")) {
      sp = toks[k - 1].span;
      help = fmt::format("`is` tests for null only; compare a value with `=`: `= {}`", src(k));
      return std::string("=");
    }
  }
  // `country isnull`, `country notnull` (SQL's spellings).
  if (code == "E111" && k < toks.size() && (word(k, "isnull") || word(k, "notnull"))) {
    sp = toks[k].span;
    const char* with = word(k, "isnull") ? "is null" : "is not null";
    help = fmt::format("write `{}`", with);
    return std::string(with);
  }
  // `registered_at > 2026-01-01T12:00:00+0200` and `… UTC`: the zone as the language writes it.
  if (code == "E107" && k > 0 && toks[k - 1].kind == TokenKind::Number && src(k - 1).size() == 19 && src(k - 1)[10] == 'T') {
    if ((punct(k, "+") || punct(k, "-")) && k + 1 < toks.size() && toks[k + 1].kind == TokenKind::Number &&
        src(k + 1).size() == 4 && toks[k + 1].span.begin == toks[k].span.end && toks[k].span.begin == toks[k - 1].span.end) {
      const std::string zone = fmt::format("{}{}:{}", src(k), src(k + 1).substr(0, 2), src(k + 1).substr(2));
      sp = span_of(k, k + 1);
      help = fmt::format("an offset is written with a colon: `{}`", zone);
      return zone;
    }
    if (word(k, "utc") || word(k, "gmt") || word(k, "z")) {
      sp = Span{toks[k - 1].span.end, toks[k].span.end};
      help = fmt::format("a time in UTC ends in `Z`: `{}Z`", src(k - 1));
      return std::string("Z");
    }
  }
  // `now` misspelt before its offset (`nwo - 30d`): said at the word, not at the `-`.
  if (code == "E107" && k > 0 && (punct(k, "-") || punct(k, "+")) && toks[k - 1].kind == TokenKind::Word &&
      !keyword(k - 1) && edit_distance(lower(src(k - 1)), "now") <= 1) {
    sp = toks[k - 1].span;
    msg = fmt::format("`{}` before `{}` is not `now`", src(k - 1), src(k));
    help = "did you mean `now`?";
    return std::string("now");
  }
  // `deposit_total > 100 EUR`, `spot = 10 %`: a unit or currency after a number.
  if (code == "E107" && k > 0 && toks[k - 1].kind == TokenKind::Number &&
      ((toks[k].kind == TokenKind::Word && src(k).size() == 3 && !keyword(k) && !starts_condition(k) &&
        std::all_of(src(k).begin(), src(k).end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); })) ||
       src(k) == "%") &&
      (k + 1 == toks.size() || joiner(k + 1) || punct(k + 1, ")"))) {
    sp = Span{toks[k - 1].span.end, toks[k].span.end};
    if (src(k) == "%") {  // 50 % is 50 or 0.5? Only the person knows.
      help = "a number has no `%`: write the number as the data holds it";
      return std::nullopt;
    }
    help = fmt::format("a number has no unit or currency: `{}`", src(k - 1));
    return std::string();
  }
  // `spot = 1;`: no `;` ends a rule.
  if (code == "E107" && k + 1 == toks.size() && src(k) == ";") {
    sp = toks[k].span;
    help = "a rule ends without `;`: delete it";
    return std::string();
  }
  // `registered_at > NOW() - 30d`: `now` is a word, not a call.
  if (code == "E107" && punct(k, "(") && punct(k + 1, ")") && k > 0 && word(k - 1, "now")) {
    sp = span_of(k - 1, k + 1);
    help = "`now` is written without parentheses";
    return std::string("now");
  }
  return std::nullopt;
}

// What people bring from other languages, recognised where the grammar stops: `= null`,
// `==`, `&&`, `||`, a dictionary value with spaces left unquoted, a misspelt operator,
// `30D`, `2026-1-1`, `2026-01-01 10:00:00`, `1or`. Widens `sp` to what should be replaced,
// rewrites `help` (and `msg` where the grammar's words miss the point), and returns the
// replacement (the diagnostic's fix).
std::optional<std::string> hint(std::string_view text, std::string_view said, std::string& msg, Span& sp,
                                std::string& help) {
  // Inside parentheses the grammar says what it met after a complete condition as E102 ("expected
  // `)`"), where outside it says E107: the same mistakes, the same hints (they were lost inside
  // parentheses; a review).
  const std::string_view code =
      said == "E102" && msg.find("to close the parenthesis") != std::string::npos ? std::string_view("E107") : said;
  {
    const Span was = sp;
    const std::string msg_was = msg, help_was = help;
    if (auto fix = token_hint(text, code, msg, sp, help)) return fix;
    if (sp.begin != was.begin || sp.end != was.end || msg != msg_was || help != help_was) return std::nullopt;
  }
  if (sp.begin >= text.size()) return std::nullopt;
  std::string_view tok = text.substr(sp.begin, sp.end - sp.begin);
  size_t before = sp.begin;  // the end of what precedes the token, spaces skipped
  while (before > 0 && std::isspace(static_cast<unsigned char>(text[before - 1]))) --before;
  if (code == "E103" && lower(tok) == "null" && before > 0 && text[before - 1] == '=') {
    bool ne = before >= 2 && text[before - 2] == '!';
    sp.begin = static_cast<uint32_t>(before - (ne ? 2 : 1));
    help = fmt::format("a missing value is tested with `{}`, not compared", ne ? "is not null" : "is null");
    return std::string(ne ? "is not null" : "is null");
  }
  // `stage = Made First Sale`, `stage = Not Processed`, `tag any (top up)`: a value of several
  // bare words (a dictionary label as people see it) stops at the second word; quoted whole,
  // the value reads as one (an unknown one then gets its own did-you-mean).
  if ((code == "E107" || code == "E102" || code == "E103") && !tok.empty() && std::isalpha(static_cast<unsigned char>(tok[0]))) {
    auto bare = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; };
    auto is_joiner = [&](std::string_view w) { return iequals(w, "and") || iequals(w, "or"); };
    size_t start = sp.begin;  // back over the bare words before the token, each a part of the value
    for (;;) {
      size_t e = start;
      while (e > 0 && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
      size_t b = e;
      while (b > 0 && bare(text[b - 1])) --b;
      if (b == e || is_joiner(text.substr(b, e - b)) || !std::isalpha(static_cast<unsigned char>(text[b]))) break;
      start = b;
    }
    size_t opener = start;  // what precedes the value: an operator, `(` or `,`
    while (opener > 0 && std::isspace(static_cast<unsigned char>(text[opener - 1]))) --opener;
    const bool after_value_start = opener > 0 && (text[opener - 1] == '=' || text[opener - 1] == '(' || text[opener - 1] == ',');
    const bool keyword_first = code == "E103" && iequals(tok, "not");  // `= Not Processed`: `not` is a keyword
    if (after_value_start && (start < sp.begin || keyword_first)) {
      size_t end = sp.begin;  // forward over bare words up to `and`/`or`, `,`, `)` or the end
      for (;;) {
        size_t b = end;
        while (b < text.size() && text[b] == ' ') ++b;
        size_t e = b;
        while (e < text.size() && bare(text[e])) ++e;
        if (e == b || is_joiner(text.substr(b, e - b))) break;
        end = e;
      }
      std::string_view item = text.substr(start, end - start);
      if (item.find(' ') != std::string_view::npos && code == "E102") {
        // In a list two words are two values missing a comma, or one value with a space:
        // only the dictionary knows, so both are said and nothing is fixed.
        help = fmt::format("separate values with `,`, or write a value with spaces as a string: \"{}\"", item);
        return std::nullopt;
      }
      if (item.find(' ') != std::string_view::npos) {
        sp = Span{static_cast<uint32_t>(start), static_cast<uint32_t>(end)};
        help = fmt::format("a value with spaces is written as a string: \"{}\"", item);
        return fmt::format("\"{}\"", item);
      }
    }
  }
  // `spot=1or spot=2`, `registered_at>2026-01-01and …`: a value with `and`/`or` run into
  // it (said "found `1or`" or "unexpected `-`", though only a space was missing; a review).
  if (code == "E103" || code == "E107" || code == "E102") {
    auto part = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ':' || c == '.'; };
    size_t b = sp.begin, e = sp.begin;
    while (b > 0 && part(text[b - 1])) --b;
    while (e < text.size() && part(text[e])) ++e;
    const std::string word = lower(text.substr(b, e - b));
    for (const char* joiner : {"and", "or"}) {
      const size_t n = std::strlen(joiner);
      if (word.size() > n && word.compare(word.size() - n, n, joiner) == 0 &&
          std::isdigit(static_cast<unsigned char>(word[0])) &&
          (std::isdigit(static_cast<unsigned char>(word[word.size() - n - 1])) || word[word.size() - n - 1] == 'z')) {
        const std::string_view value = text.substr(b, e - b - n);
        sp = Span{static_cast<uint32_t>(b), static_cast<uint32_t>(e)};
        msg = fmt::format("`{}` runs the value `{}` into `{}`", text.substr(b, e - b), value, text.substr(e - n, n));
        help = fmt::format("put a space between `{}` and `{}`", value, text.substr(e - n, n));
        return fmt::format("{} {}", value, text.substr(e - n, n));
      }
    }
  }
  // `# why` and `// why`: comments as shell, SQL's MySQL dialect and C write them.
  if ((code == "E107" || code == "E110" || code == "E103") &&
      (text.substr(sp.begin, 1) == "#" || text.substr(sp.begin, 2) == "//")) {
    sp.end = sp.begin + (text[sp.begin] == '#' ? 1 : 2);
    if (auto at = msg.find("`/`"); at != std::string::npos && sp.end - sp.begin == 2) msg.replace(at, 3, "`//`");
    help = "a comment starts with `--` in a rule";
    return std::string("--");
  }
  if (code == "E103" && tok == "=" && before == sp.begin && before > 0 && text[before - 1] == '=') {
    sp.begin -= 1;
    help = "equality is one `=`";
    return std::string("=");
  }
  if (code == "E107" && (text.substr(sp.begin, 2) == "&&" || text.substr(sp.begin, 2) == "||")) {
    bool both = text[sp.begin] == '&';
    sp.end = sp.begin + 2;
    help = fmt::format("`{}` is written `{}`", both ? "&&" : "||", both ? "and" : "or");
    return std::string(both ? "and" : "or");
  }
  if (code == "E111" && msg.find("after `not`") != std::string::npos) {
    // `tag not any (VIP)`: a set's `not any` is `none` (the generic help, `not in`, is an error on sets).
    const std::string word = lower(tok);
    size_t n = sp.begin;
    while (n > 0 && std::isspace(static_cast<unsigned char>(text[n - 1]))) --n;
    const bool after_not = n >= 3 && lower(std::string(text.substr(n - 3, 3))) == "not";
    if (after_not && (word == "any" || word == "none")) {
      const char* with = word == "any" ? "none" : "any";
      sp = Span{static_cast<uint32_t>(n - 3), sp.end};
      help = fmt::format("`not {}` is written `{}`: `tag {} (…)`", word, with, with);
      return std::string(with);
    }
    if (after_not && word == "all") {
      help = "`not` goes before the whole condition: `not tag all (…)`";
      return std::nullopt;
    }
  }
  if (code == "E111") {
    // `tag anyy (VIP)`: a misspelt word operator. (Not `and` or `or` themselves: the word before
    // them was taken for a field, and `any` for `and` led to another error; a review.)
    if (iequals(tok, "and") || iequals(tok, "or")) return std::nullopt;
    auto near = nearest(lower(tok), {"in", "between", "is", "any", "all", "none", "not"}, 1);
    if (!near.empty() && lower(tok) != near[0] && tok.size() > 1) {
      help = fmt::format("did you mean `{}`?", near[0]);
      return near[0];
    }
    return std::nullopt;
  }
  if (code == "E109" && tok.size() >= 2 && std::isdigit(static_cast<unsigned char>(tok[0]))) {
    // `30D`: units are lower-case (`M` would read as months, which are not a unit).
    char unit = tok.back();
    bool digits = true;
    for (char c : tok.substr(0, tok.size() - 1)) digits &= std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (digits && (unit == 'S' || unit == 'H' || unit == 'D' || unit == 'W')) {
      std::string fixed(tok);
      fixed.back() = static_cast<char>(std::tolower(static_cast<unsigned char>(unit)));
      help = fmt::format("units are lower-case: `{}`", fixed);
      return fixed;
    }
    if (digits && unit == 'M') help = "units are lower-case, and `m` is minutes: months are not a unit (30 days is `30d`)";
    return std::nullopt;
  }
  if (code == "E107") {
    // `2026-1-1`: a date without its zeros reads as `2026` and a stray `-`.
    size_t b = sp.begin;
    while (b > 0 && std::isdigit(static_cast<unsigned char>(text[b - 1]))) --b;
    size_t e = sp.begin;
    int parts = 1;
    std::string y(text.substr(b, sp.begin - b)), m, d;
    while (e < text.size() && text[e] == '-' && parts < 3) {
      size_t k = e + 1;
      while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) ++k;
      if (k == e + 1 || k - e - 1 > 2) break;
      (parts == 1 ? m : d) = std::string(text.substr(e + 1, k - e - 1));
      e = k;
      ++parts;
    }
    if (y.size() == 4 && parts == 3 && (m.size() == 1 || d.size() == 1)) {
      std::string date = fmt::format("{}-{:0>2}-{:0>2}", y, m, d);
      sp = Span{static_cast<uint32_t>(b), static_cast<uint32_t>(e)};
      // Said as what it is, not as the stray `-` the grammar sees (found by a review).
      msg = fmt::format("`{}` is not a date: its month and day have two digits", text.substr(b, e - b));
      help = fmt::format("dates are written YYYY-MM-DD: `{}`", date);
      return date;
    }
    // `2026-01-05T12:30Z`: a time without its seconds reads as `2026` and a stray `-`.
    if (y.size() == 4 && parts == 3 && e < text.size() && (text[e] == 'T' || text[e] == 't')) {
      size_t k = e + 1;
      std::vector<std::string> hms;
      while (hms.size() < 3 && k + 1 < text.size() + 1 && k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) {
        size_t j = k;
        while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
        hms.emplace_back(text.substr(k, j - k));
        k = j;
        if (k < text.size() && text[k] == ':') ++k;
        else break;
      }
      const bool zone = k < text.size() && (text[k] == 'Z' || text[k] == 'z');
      if (hms.size() < 3 && !hms.empty() && hms[0].size() == 2 && (hms.size() < 2 || hms[1].size() == 2)) {
        std::string at = fmt::format("{}-{}-{}T{}:{}:00Z", y, m, d, hms[0], hms.size() > 1 ? hms[1] : "00");
        sp = Span{static_cast<uint32_t>(b), static_cast<uint32_t>(k + (zone ? 1 : 0))};
        msg = fmt::format("`{}` is not a timestamp: it has no seconds", text.substr(sp.begin, sp.end - sp.begin));
        help = fmt::format("a timestamp has hours, minutes and seconds, in UTC with `Z`: `{}`", at);
        return zone ? std::optional<std::string>(at) : std::nullopt;  // without `Z`, UTC or local time? only the person knows
      }
    }
    // `01/10/2026`, `2026/01/05`, `05.01.2026`: dates of other habits.
    {
      auto date_char = [&](size_t i) { return std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '/' || text[i] == '.'; };
      size_t w = sp.begin;  // `05.01` lexed as one number: its start is before the digits
      while (w > 0 && date_char(w - 1)) --w;
      size_t k = w;
      while (k < text.size() && date_char(k)) ++k;
      std::string_view word = text.substr(w, k - w);
      const char sep = word.find('/') != std::string_view::npos ? '/' : '.';
      std::vector<std::string> p;
      for (size_t i = 0; i <= word.size();) {
        size_t j = std::min(word.find(sep, i), word.size());
        p.emplace_back(word.substr(i, j - i));
        i = j + 1;
      }
      if (p.size() == 3 && (p[0].size() == 4 || p[2].size() == 4)) {
        if (p[0].size() == 4) {
          std::string date = fmt::format("{}-{:0>2}-{:0>2}", p[0], p[1], p[2]);
          sp = Span{static_cast<uint32_t>(w), static_cast<uint32_t>(k)};
          help = fmt::format("dates are written YYYY-MM-DD: `{}`", date);
          return date;
        }
        // Day first or month first? Only the person knows: both are named, no fix.
        help = fmt::format("dates are written YYYY-MM-DD: `{0}-{1:0>2}-{2:0>2}` or `{0}-{2:0>2}-{1:0>2}`", p[2], p[1], p[0]);
        return std::nullopt;
      }
    }
    // `10,50`: a decimal comma; `1,000`, `1,000,000.50`, `1.000,50`: thousands separators
    // (said as a decimal comma, `1.000`, which is one: found by a review).
    // (After a timestamp, `,000Z` is a fraction of a second written with a comma: below.)
    const bool after_time = sp.begin >= 19 && text[sp.begin - 9] == 'T' && text[sp.begin - 3] == ':';
    if (!after_time && sp.begin > 0 && text[sp.begin] == ',' && std::isdigit(static_cast<unsigned char>(text[sp.begin - 1])) &&
        sp.begin + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[sp.begin + 1]))) {
      auto numeric = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == ',' || c == '.'; };
      size_t i = sp.begin, j = sp.begin;
      while (i > 0 && numeric(text[i - 1])) --i;
      while (j < text.size() && numeric(text[j])) ++j;
      while (j > sp.begin && !std::isdigit(static_cast<unsigned char>(text[j - 1]))) --j;  // `1,000.` ends at its digits
      const std::string_view run = text.substr(i, j - i);
      std::vector<std::string_view> groups;
      std::string seps;
      for (size_t a = 0;;) {
        const size_t b = run.find_first_of(",.", a);
        groups.push_back(run.substr(a, b == std::string_view::npos ? std::string_view::npos : b - a));
        if (b == std::string_view::npos) break;
        seps += run[b];
        a = b + 1;
      }
      const bool points = seps.find('.') != std::string::npos;
      // With both kinds the last separator is the decimal one; with commas alone, groups of
      // three after a first of one to three digits are thousands.
      const size_t whole_groups = points ? groups.size() - 1 : groups.size();
      const char grouping = points ? (seps.back() == '.' ? ',' : '.') : ',';
      bool thousands = whole_groups >= 2 && !groups[0].empty() && groups[0].size() <= 3 &&
                       (!points || seps.find(seps.back()) == seps.size() - 1);
      for (size_t g = 1; g < whole_groups && thousands; ++g) thousands = groups[g].size() == 3 && seps[g - 1] == grouping;
      if (thousands) {
        std::string number;
        for (size_t g = 0; g < whole_groups; ++g) number += groups[g];
        if (points) number += "." + std::string(groups.back());
        sp = Span{static_cast<uint32_t>(i), static_cast<uint32_t>(j)};
        msg = fmt::format("`{}` is not a number: a number has no thousands separators", run);
        help = fmt::format("write it without separators: `{}`{}", number,
                           points ? "" : "; a decimal is written with a point, and several values are a list: `in (…)`");
        return number;
      }
      if (seps == ",") {
        const std::string_view whole = groups[0], part = groups[1];
        help = fmt::format("a decimal is written with a point: `{0}.{1}`; several values are a list: `in ({0}, {1})`", whole, part);
      }
      return std::nullopt;
    }
    // `2026-01-01T12:00:00.000Z` (JavaScript's toISOString()): times are whole seconds.
    if (after_time && (text[sp.begin] == '.' || text[sp.begin] == ',') && sp.begin + 1 < text.size() &&
        std::isdigit(static_cast<unsigned char>(text[sp.begin + 1])) && before == sp.begin) {
      size_t d = sp.begin + 1;
      while (d < text.size() && std::isdigit(static_cast<unsigned char>(text[d]))) ++d;
      size_t z = d;
      while (z < text.size() && std::isalpha(static_cast<unsigned char>(text[z]))) ++z;
      tok = text.substr(sp.begin, z - sp.begin);
      sp.end = static_cast<uint32_t>(z);
      const std::string_view fraction = text.substr(sp.begin + 1, d - sp.begin - 1), rest = text.substr(d, z - d);
      msg = fmt::format("`{}`: a time is written to the second, without a fraction", text.substr(sp.begin - 19, 19 + tok.size()));
      if (fraction.find_first_not_of('0') == std::string_view::npos && (rest == "Z" || rest == "z")) {
        help = "drop the fraction: the time is the same";
        return std::string(rest);
      }
      help = "drop the fraction, and choose the second the bound means (the data's times are whole seconds)";
      return std::nullopt;
    }
    // `2026-01-01 10:00:00`: a time after a date, with a space for the `T`.
    if (before >= 10 && before < sp.begin && tok.size() >= 5 && tok[2] == ':') {
      std::string_view date = text.substr(before - 10, 10);
      bool is_date = date[4] == '-' && date[7] == '-';
      for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) is_date &= std::isdigit(static_cast<unsigned char>(date[i])) != 0;
      if (is_date) {
        help = fmt::format("a timestamp is one word, in UTC with `Z` or with an offset: `{}T{}{}Z`", date, tok,
                           tok.size() == 5 ? ":00" : "");  // `12:30` needs its seconds too
        return std::nullopt;  // UTC or local time? Only the person knows: no fix.
      }
    }
    return std::nullopt;
  }
  if (code == "E102" && text[sp.begin] == '-') {
    // `tag any (Top-up)`: a value with a hyphen, unquoted, stops at the `-`.
    size_t b = sp.begin;
    while (b > 0 && (std::isalnum(static_cast<unsigned char>(text[b - 1])) || text[b - 1] == '_' || text[b - 1] == '-')) --b;
    size_t e = sp.begin;
    while (e < text.size() && (std::isalnum(static_cast<unsigned char>(text[e])) || text[e] == '_' || text[e] == '-')) ++e;
    if (b == sp.begin || e == sp.begin + 1 || !std::isalpha(static_cast<unsigned char>(text[b]))) return std::nullopt;
    std::string_view item = text.substr(b, e - b);
    sp = Span{static_cast<uint32_t>(b), static_cast<uint32_t>(e)};
    help = fmt::format("a value with `-` is written as a string: \"{}\"", item);
    return fmt::format("\"{}\"", item);
  }
  if (code == "E103" && msg.find("in the list") != std::string::npos) {
    // `tag any (NOT REGISTERED)`: bare words up to `,` or `)` are one value with spaces.
    size_t end = text.find_first_of(",)", sp.begin);
    if (end == std::string_view::npos) return std::nullopt;
    while (end > sp.begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
    std::string_view item = text.substr(sp.begin, end - sp.begin);
    bool words = item.find(' ') != std::string_view::npos;
    for (char c : item) words &= std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ' ';
    if (!words) return std::nullopt;
    sp.end = static_cast<uint32_t>(end);
    help = fmt::format("a value with spaces is written as a string: \"{}\"", item);
    return fmt::format("\"{}\"", item);
  }
  return std::nullopt;
}


// Does only blanks and `--` comments follow `at`? Then a parse that stopped there ran out of
// text rather than met a wrong token.
bool only_blanks_after(std::string_view t, size_t at) {
  while (at < t.size()) {
    if (std::isspace(static_cast<unsigned char>(t[at]))) {
      ++at;
    } else if (t[at] == '-' && at + 1 < t.size() && t[at + 1] == '-') {
      while (at < t.size() && t[at] != '\n' && t[at] != '\r') ++at;  // as the grammar's `comment`
    } else {
      return false;
    }
  }
  return true;
}

// parse_rule, also saying whether a failure is the text running out (`ran_out`): a `(` left
// open, or the parse stopped at the end with something still expected. An unterminated string
// is not: a string ends on its line, so no further line finishes it.
std::optional<ast::Expr> parse(std::string_view text, Diagnostics& diags, const Limits& limits, bool& ran_out) {
  ran_out = false;
  if (text.size() > limits.max_rule_bytes) {
    // Readers stop at the limit + 1 byte, so the length past the limit is not known here.
    diags.error("E401", Span{uint32_t(limits.max_rule_bytes), uint32_t(limits.max_rule_bytes)},
                fmt::format("the rule is longer than {} bytes, the limit", limits.max_rule_bytes),
                "split it into several segments");
    // Still look for what else is wrong (a million `(` is also too deep): the scan is linear.
    // A parenthesis left open, or a string that runs to the end, is no news in a text that
    // may have been cut short.
    Diagnostics found;
    precheck(text, found, limits);
    for (const auto& d : found.list())
      if (d.code != "E102" && !(d.code == "E105" && d.span.end >= text.size())) diags.list().push_back(d);
    return std::nullopt;
  }
  if (!precheck(text, diags, limits)) {
    ran_out = !diags.list().empty() && diags.list().back().code == "E102" && text[diags.list().back().span.begin] == '(';
    return std::nullopt;
  }
  State s{text, diags, limits};
  size_t errors_before = diags.error_count();
  // A UTF-8 byte-order mark that an editor put before a rule file's first byte is not part
  // of the rule; spans still count from the text's first byte.
  const size_t bom = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  try {
    p::memory_input in(text.data() + bom, text.size() - bom, "rule");
    p::parse<g::rule, action, control>(in, s);
  } catch (const Stop& stop) {
    ran_out = only_blanks_after(text, stop.begin);
    std::string msg = stop.message;
    Span sp{stop.begin, stop.end};
    if (std::string_view(stop.code) == "E106" && sp.begin > 0 && text[sp.begin - 1] == '\\') {
      sp = Span{sp.begin - 1, std::min<uint32_t>(sp.begin + 1, static_cast<uint32_t>(text.size()))};
    } else if (stop.fill_token) {
      if (std::string_view(stop.code) == "E110") {
        // Name the keyword the missing condition should follow: `spot = 1 and` ends too soon.
        // The last token before the stop that is not a comment (`spot = 1 and -- why`).
        std::string prev;
        for (const grammar::Token& t : grammar::lex(text.substr(0, stop.begin)))
          if (t.kind != grammar::TokenKind::Comment) prev = lower(t.text);
        if (prev == "and" || prev == "or" || prev == "not")
          msg = fmt::format("expected a condition after `{}`, found {{tok}}", prev);
      }
      sp = token_at(text, stop.begin);
      std::string tok = sp.begin >= text.size() ? "the end of the rule"
                                                : fmt::format("`{}`", visible(text.substr(sp.begin, sp.end - sp.begin)));
      if (auto pos = msg.find("{tok}"); pos != std::string::npos) msg.replace(pos, 5, tok);
      if (sp.end == sp.begin && sp.begin > 0) {
        // At the end of the rule the caret goes at the end of its last line that is not blank
        // (after its spaces, where the value would be typed): a file's final newline put it on
        // an empty line past the rule (a review).
        size_t end = text.size();
        while (end > 0 && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
        while (end < text.size() && (text[end] == ' ' || text[end] == '\t')) ++end;
        sp = Span{static_cast<uint32_t>(end), static_cast<uint32_t>(end)};
      }
    }
    std::string help = stop.help;
    std::optional<std::string> fix = hint(text, stop.code, msg, sp, help);
    diags.error(stop.code, sp, std::move(msg), std::move(help));
    if (fix) diags.fix_last(std::move(*fix));
    return std::nullopt;
  }
  if (diags.error_count() > errors_before || s.stack.size() != 1) return std::nullopt;
  return std::move(s.stack.back());
}

}  // namespace

std::optional<ast::Expr> parse_rule(std::string_view text, Diagnostics& diags, const Limits& limits) {
  bool ran_out = false;
  return parse(text, diags, limits, ran_out);
}

bool rule_ends_too_soon(std::string_view text, const Limits& limits) {
  Diagnostics diags;
  bool ran_out = false;
  return !parse(text, diags, limits, ran_out) && ran_out;
}

size_t analyze_grammar() { return p::analyze<g::rule>(-1); }

}  // namespace seg
