// Completion of rule text: given the text before the cursor, the word being typed and what
// it can become. Field names and aliases where a field goes, operators after a field (by its
// type), the dictionary values of the field being compared (quoted when a bare identifier
// would not do), `and`/`or` after a condition. One implementation for the REPL's Tab and the
// service's /api/complete, over the grammar's own tokens (grammar/lex.hpp); and the
// helpers a REPL needs to read a rule typed over several lines.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "schema/schema.hpp"

namespace seg {

struct RuleCompletion {
  size_t start = 0;                  // where the word being typed starts in the text
  std::string word;                  // text[start, end)
  std::vector<std::string> matches;  // what the word can become, in display order
  bool add_space = true;             // after a unique match (not after a value: a list goes on)
};

RuleCompletion complete_rule(std::string_view before_cursor, const Schema& schema);

// A dictionary value as rule text: bare when it is an identifier and no keyword, otherwise
// quoted with `quote` (0: a double quote when needed).
std::string value_as_rule_text(std::string_view key, char quote = 0);

// A rule typed over several lines, for the REPL (api::rule_is_unfinished and the two after it
// say what each answers): whether more text could finish it, whether a line starts with
// `and`/`or`, and the text without its comments, all from the grammar's own rules.
bool rule_is_unfinished(std::string_view text);
bool line_continues_rule(std::string_view line);
std::string without_comments(std::string_view text);

}  // namespace seg
