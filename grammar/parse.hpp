// Rule text -> AST. PEGTL lives behind this plain header (only grammar/parse.cpp sees it).
#pragma once
#include <optional>
#include <string_view>

#include "base/diagnostics.hpp"
#include "base/limits.hpp"
#include "grammar/ast.hpp"

namespace seg {

// Parses a rule; on a syntax or limit error reports it (E1xx, E4xx) and returns nullopt.
// Literal problems that do not stop parsing (a bad date) are reported and parsing goes on.
std::optional<ast::Expr> parse_rule(std::string_view text, Diagnostics& diags, const Limits& limits = {});

// Does the rule stop where more text could still finish it: a `(` left open, or a trailing
// `and`, operator or `between` bound with nothing after it but blanks and comments? A REPL
// reads another line when it does. False for a rule that parses or is wrong where it stands
// (a stray `)`, an unterminated string: strings end on their line).
bool rule_ends_too_soon(std::string_view text, const Limits& limits = {});

// Number of problems PEGTL's grammar analysis finds (0 for a sound grammar); kept by a test.
size_t analyze_grammar();

}  // namespace seg
