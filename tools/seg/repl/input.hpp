// REPL input: when a typed line needs a continuation line, comments, history entries, and
// the small text helpers (thousands separators) the REPL prints with.
#pragma once
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/text_util.hpp"

namespace seg::repl {

// Walks rule text the way the lexer does for what matters here: strings (with escapes) and
// `--` comments, so a parenthesis or `and` inside them does not count.
struct Scan {
  int open_parens = 0;      // '(' minus ')' outside strings and comments
  bool in_string = false;   // an unterminated string at the end
  std::string last_word;    // the last identifier-like token outside strings and comments
  bool last_is_word = false;  // nothing but blanks/comments after last_word
  char last_symbol = 0;       // the last other character outside strings and comments
};

Scan scan_rule(std::string_view text);

// Does the rule typed so far go on on the next line? An open parenthesis, or a trailing
// `and`, `or`, `not` or comparison operator (a rule cannot end there), says it does.
bool needs_more(std::string_view text);

// Does this line go on with the rule before it? A line that starts with `and` or `or` does:
// a rule pasted with its conditions on lines of their own (as docs/language.md writes it)
// runs as one rule.
bool continues_rule(std::string_view line);

// The line without its `--` comment (outside strings), trailing blanks removed.
std::string strip_comment(std::string_view line);

std::string trim(std::string_view s);

// A rule typed over several lines as one history entry: the lines without their comments,
// joined by single spaces, so recalling it gives one editable line that means the same.
std::string history_entry(const std::vector<std::string>& lines);

// Whitespace-separated words of a dot-command line; a word may be quoted with "..." or '...'.
std::vector<std::string> split_words(std::string_view line);

// 1234567 -> "1,234,567".
std::string grouped(uint64_t n);

}  // namespace seg::repl
