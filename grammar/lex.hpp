// The tokens of rule text as the grammar reads them (grammar/grammar.hpp's own token rules),
// for tools that look at partial or wrong rules: completion in the REPL and the service.
// Never fails: whatever no token rule matches is one Invalid byte.
#pragma once
#include <string_view>
#include <vector>

#include "base/diagnostics.hpp"

namespace seg::grammar {

enum class TokenKind {
  Word,     // an identifier or a keyword (`stage`, `and`, `NotProcessed`)
  Number,   // a number, date, timestamp or duration (`12`, `10.25`, `2026-10-01`, `30d`)
  String,   // a quoted string; `closed` false when it runs to the end of its line
  Punct,    // ( ) , + - and the comparison operators
  Comment,  // `--` to the end of the line
  Invalid,  // a byte no token starts with
};

struct Token {
  TokenKind kind = TokenKind::Invalid;
  Span span;
  std::string_view text;
  bool closed = true;  // strings only
};

// Whitespace is skipped; comments are tokens (an editor colours them, completion stops in them).
std::vector<Token> lex(std::string_view text);

}  // namespace seg::grammar
