// The lexer over the grammar's own token rules (see lex.hpp). A PEGTL translation unit, like
// grammar/parse.cpp: the token boundaries are the parser's, never a second copy of them.
#include "grammar/lex.hpp"

#include "grammar/grammar.hpp"

namespace seg::grammar {
namespace {


// Numbers in the grammar's order: timestamps before dates before durations before numbers,
// as `value` tries them (they share a prefix).
struct lex_number : p::sor<timestamp, date, duration, number, p::plus<p::digit>> {};
struct lex_punct : p::sor<cmp_op, p::one<'(', ')', ',', '+', '-'>> {};
struct lex_word : p::identifier {};

template <typename Rule>
size_t match(std::string_view rest) {
  p::memory_input<p::tracking_mode::lazy> in(rest.data(), rest.size(), "");
  try {
    if (p::parse<Rule>(in)) return static_cast<size_t>(in.current() - rest.data());
  } catch (const p::parse_error&) {
    // A `must` inside a literal rule failed: not this kind of token.
  }
  return 0;
}

}  // namespace

std::vector<Token> lex(std::string_view text) {
  std::vector<Token> out;
  size_t i = 0;
  auto push = [&](TokenKind k, size_t n, bool closed = true) {
    Token t;
    t.kind = k;
    t.span = Span{static_cast<uint32_t>(i), static_cast<uint32_t>(i + n)};
    t.text = text.substr(i, n);
    t.closed = closed;
    out.push_back(t);
    i += n;
  };
  while (i < text.size()) {
    std::string_view rest = text.substr(i);
    unsigned char c = static_cast<unsigned char>(rest[0]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      ++i;
    } else if (size_t n = match<comment>(rest)) {
      push(TokenKind::Comment, n);
    } else if (c == '"' || c == '\'') {
      // Strings as the grammar finds them, without its `must`: an unfinished one (the user is
      // still typing it) is a token that runs to the end of its line instead of an error.
      size_t n = c == '"' ? match<loose_string<'"'>>(rest) : match<loose_string<'\''>>(rest);
      push(TokenKind::String, n, n >= 2 && rest[n - 1] == static_cast<char>(c));
    } else if (size_t n = match<lex_number>(rest)) {
      push(TokenKind::Number, n);
    } else if (size_t n = match<lex_word>(rest)) {
      push(TokenKind::Word, n);
    } else if (size_t n = match<lex_punct>(rest)) {
      push(TokenKind::Punct, n);
    } else {
      push(TokenKind::Invalid, 1);
    }
  }
  return out;
}

}  // namespace seg::grammar
