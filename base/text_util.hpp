// Small text helpers shared by the checker, printer and loaders (case folding, identifiers).
#pragma once
#include <cctype>
#include <string>
#include <string_view>

namespace seg {

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// `s` starts with `prefix`, ignoring ASCII case (completion matches `sta` to `stage`).
inline bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return prefix.size() <= s.size() && iequals(s.substr(0, prefix.size()), prefix);
}

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The loose form dictionary values are matched by: lower case without spaces, '_' and '-'.
inline std::string fold_value(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '_' || c == '-') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

inline bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

// The language's keywords (case-insensitive), the one list: an identifier equal to one must be
// quoted. The grammar's `keyword` rule (grammar/grammar.hpp) is checked against it
// (tests/grammar_test.cpp), and REPL completion offers these words.
inline constexpr std::string_view kKeywords[] = {"and", "or",    "not", "in",  "between", "is",  "null",
                                                 "true", "false", "any", "all", "none",    "now"};

inline bool is_keyword(std::string_view s) {
  for (std::string_view k : kKeywords)
    if (iequals(s, k)) return true;
  return false;
}

}  // namespace seg
