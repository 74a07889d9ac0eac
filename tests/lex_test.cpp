// grammar/lex: the tokens tools see (completion, highlighting) are the grammar's own, and
// unfinished input (a string still being typed, a stray byte) never fails.
#include "grammar/lex.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace seg::grammar {
namespace {

std::string show(std::string_view text) {
  std::string out;
  for (const Token& t : lex(text)) {
    const char* k = "?";
    switch (t.kind) {
      case TokenKind::Word: k = "W"; break;
      case TokenKind::Number: k = "N"; break;
      case TokenKind::String: k = t.closed ? "S" : "S~"; break;
      case TokenKind::Punct: k = "P"; break;
      case TokenKind::Comment: k = "C"; break;
      case TokenKind::Invalid: k = "X"; break;
    }
    out += std::string(out.empty() ? "" : " ") + k + ":" + std::string(t.text);
    EXPECT_EQ(text.substr(t.span.begin, t.span.end - t.span.begin), t.text);
  }
  return out;
}

TEST(Lex, EveryKindOfToken) {
  EXPECT_EQ(show("stage in (NotProcessed, \"A b\") and spot <> 12"),
            "W:stage W:in P:( W:NotProcessed P:, S:\"A b\" P:) W:and W:spot P:<> N:12");
  EXPECT_EQ(show("registered_at between 2025-01-01 and 2025-06-01T10:00:00+02:00"),
            "W:registered_at W:between N:2025-01-01 W:and N:2025-06-01T10:00:00+02:00");
  EXPECT_EQ(show("last_active_at > now - 30d -- recent"), "W:last_active_at P:> W:now P:- N:30d C:-- recent");
  EXPECT_EQ(show("deposit_total >= -10.25"), "W:deposit_total P:>= N:-10.25");
  EXPECT_EQ(show("x != 'it\\'s'"), "W:x P:!= S:'it\\'s'");
}

TEST(Lex, UnfinishedAndWrongInputStillLexes) {
  EXPECT_EQ(show("tag any (\"NOT R"), "W:tag W:any P:( S~:\"NOT R");
  EXPECT_EQ(show("a = \"x\ny"), "W:a P:= S~:\"x W:y");  // a string ends with its line
  EXPECT_EQ(show("a = 1 ; b"), "W:a P:= N:1 X:; W:b");
  EXPECT_EQ(show(""), "");
  EXPECT_EQ(show("   \n\t"), "");
  EXPECT_EQ(show("a = \"bad \\q escape\""), "W:a P:= S:\"bad \\q escape\"");  // lenient: the parser reports it
}

}  // namespace
}  // namespace seg::grammar
