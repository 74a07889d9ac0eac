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

// Text from a document or a user, made safe for a terminal: each C0 and C1 control character
// and DEL (an ESC would start a terminal escape, a NUL or line break would cut the line) handed
// to `escape(out, code)` to be written in a form of the caller's; UTF-8 text stays as it is.
// The one scan: diagnostics write `\u{1B}` (base/diagnostics.cpp), tool output `\x1b`.
template <class Escape>
std::string controls_escaped(std::string_view s, Escape escape) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    const bool c1 = u == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(s[i + 1]) <= 0x9F;
    if (u < 0x20 || u == 0x7f || c1) escape(out, c1 ? static_cast<unsigned char>(s[++i]) : u);
    else out += s[i];
  }
  return out;
}

// Tool output quoting a document's or a user's text: control characters as \xNN.
inline std::string visible_text(std::string_view s) {
  return controls_escaped(s, [](std::string& out, unsigned char code) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out += kHex[code >> 4];
    out += kHex[code & 15];
  });
}

// A dictionary value that is empty or only spaces and tabs: the loaders trim those around a
// name (runtime/storage/row_parser.cpp) and skip an empty one, so no client can hold it. The
// checker and the IR JSON reader refuse it (E202), as the segment form does (E608).
inline bool blank_name(std::string_view s) { return s.find_first_not_of(" \t") == std::string_view::npos; }

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
