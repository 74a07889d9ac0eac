// Small text helpers shared by the checker, printer and loaders (case folding, identifiers).
#pragma once
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
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

// Length of the valid UTF-8 sequence at `t[i]`, or 0: shortest form only, no surrogates, at
// most U+10FFFF (what JSON writers accept, so every name a rule holds can be written as IR
// JSON). The one check: rule text (E115), loaded values (E704), diagnostics (utf8_escaped).
inline size_t utf8_len(std::string_view t, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(t[i + k]); };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (n == 0 || i + n > t.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((b(k) >> 6) != 2) return 0;
  if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xF0 && b(1) < 0x90)) return 0;  // overlong
  if (c == 0xED && b(1) > 0x9F) return 0;                                  // surrogate
  if (c == 0xF4 && b(1) > 0x8F) return 0;                                  // past U+10FFFF
  return n;
}

// Text that may hold a caller's bytes, made valid UTF-8: each byte that begins no character
// written as \xNN (as visible_text writes control characters), valid text left as it is. A
// message quoting a document (nlohmann's "last read: '…'" in E601) carried a form's raw 0xE9,
// which a host's JSON writer or a Python binding's decoder refuses (found by a review).
inline std::string utf8_escaped(std::string text) {
  size_t i = 0;  // past the valid start: most text is valid throughout, and returned as it is
  while (i < text.size()) {
    const size_t n = utf8_len(text, i);
    if (!n) break;
    i += n;
  }
  if (i == text.size()) return text;
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out(text, 0, i);
  while (i < text.size()) {
    if (size_t n = utf8_len(text, i)) {
      out.append(text, i, n);
      i += n;
    } else {
      const auto u = static_cast<unsigned char>(text[i++]);
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// A dictionary value that is empty or only spaces and tabs: the loaders trim those around a
// name (runtime/storage/row_parser.cpp) and skip an empty one, so no client can hold it. The
// checker and the IR JSON reader refuse it (E202), as the segment form does (E608).
// The bytes of `s`'s first `max_bytes` that end on a character boundary: a cut there splits
// no UTF-8 character.
inline size_t utf8_prefix(std::string_view s, size_t max_bytes) {
  size_t cut = std::min(max_bytes, s.size());
  while (cut > 0 && cut < s.size() && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}
// The code point of the UTF-8 character at `i`, `i` moved past it. A byte that starts no
// sequence (a stray continuation byte, 0xF8-0xFF) or a sequence cut short by a byte that does
// not continue it is one character of its own, U+FFFD, as a terminal shows it: so every byte
// of bad text is inside some character, and a span over one has a width.
inline uint32_t next_code_point(std::string_view s, size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const size_t len = c < 0x80 ? 1 : c >= 0xF8 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (len <= 1) {
    ++i;
    return len == 1 ? c : 0xFFFD;
  }
  uint32_t cp = c & (0xFF >> (len + 1));
  size_t k = 1;
  for (; k < len && i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; ++k)
    cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += k;
  return k == len ? cp : 0xFFFD;
}
// Characters that look like an ASCII one and are not, as text pasted from documents, PDFs and
// other keyboard layouts brings them: Cyrillic and Greek letters drawn as Latin ones, full-width
// forms, the minus sign and hyphens. Their ASCII twin and what they are, for diagnostics (a
// review found `stage = Аctive`, with a Cyrillic А, told to write it as a string).
struct LookAlike {
  char ascii = 0;  // 0: none known
  const char* what = "";
};
inline LookAlike ascii_look_alike(uint32_t cp) {
  struct Entry {
    uint32_t cp;
    char ascii;
  };
  static constexpr Entry kCyrillic[] = {
      {0x0405, 'S'}, {0x0406, 'I'}, {0x0408, 'J'}, {0x0410, 'A'}, {0x0412, 'B'}, {0x0415, 'E'}, {0x041A, 'K'},
      {0x041C, 'M'}, {0x041D, 'H'}, {0x041E, 'O'}, {0x0420, 'P'}, {0x0421, 'C'}, {0x0422, 'T'}, {0x0423, 'Y'},
      {0x0425, 'X'}, {0x0430, 'a'}, {0x0435, 'e'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0443, 'y'},
      {0x0445, 'x'}, {0x0455, 's'}, {0x0456, 'i'}, {0x0458, 'j'}, {0x04BB, 'h'}, {0x04CF, 'l'}, {0x0501, 'd'}};
  static constexpr Entry kGreek[] = {{0x0391, 'A'}, {0x0392, 'B'}, {0x0395, 'E'}, {0x0396, 'Z'}, {0x0397, 'H'},
                                     {0x0399, 'I'}, {0x039A, 'K'}, {0x039C, 'M'}, {0x039D, 'N'}, {0x039F, 'O'},
                                     {0x03A1, 'P'}, {0x03A4, 'T'}, {0x03A5, 'Y'}, {0x03A7, 'X'}, {0x03BF, 'o'}};
  for (const Entry& e : kCyrillic)
    if (e.cp == cp) return {e.ascii, "a Cyrillic letter"};
  for (const Entry& e : kGreek)
    if (e.cp == cp) return {e.ascii, "a Greek letter"};
  if (cp >= 0xFF01 && cp <= 0xFF5E) return {static_cast<char>(cp - 0xFEE0), "a full-width form"};
  if (cp == 0x2212) return {'-', "a minus sign"};
  if (cp == 0x2010 || cp == 0x2011 || cp == 0x2012) return {'-', "a typographic hyphen"};
  return {};
}
// `text` with each character ascii_look_alike knows replaced by its twin; nullopt when none
// was, when another character outside ASCII is left, or when its Cyrillic or Greek letters
// stand among no ASCII letter or digit: `ВОТ` is a Cyrillic word, not a misspelt `BOT` (a
// review found it "fixed" into another tag).
inline std::optional<std::string> ascii_twin(std::string_view text) {
  std::string out;
  bool replaced = false, script = false, ascii_alnum = false;
  for (size_t i = 0; i < text.size();) {
    const uint32_t cp = next_code_point(text, i);
    ascii_alnum |= cp < 0x80 && std::isalnum(static_cast<int>(cp));
    script |= (cp >= 0x0370 && cp <= 0x03FF) || (cp >= 0x0400 && cp <= 0x052F);
  }
  if (script && !ascii_alnum) return std::nullopt;
  for (size_t i = 0; i < text.size();) {
    const size_t at = i;
    const uint32_t cp = next_code_point(text, i);
    if (cp < 0x80) {
      out += text.substr(at, i - at);
      continue;
    }
    const LookAlike l = ascii_look_alike(cp);
    if (!l.ascii) return std::nullopt;
    out += l.ascii;
    replaced = true;
  }
  if (!replaced) return std::nullopt;
  return out;
}
// Terminal columns a character takes: a wide one (CJK, emoji) two, a byte order mark, a
// zero-width space or a combining mark none, others one.
inline size_t code_point_columns(uint32_t cp) {
  if (cp == 0xFEFF || cp == 0x200B || (cp >= 0x0300 && cp <= 0x036F)) return 0;
  const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
                    (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                    (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) || (cp >= 0x1F680 && cp <= 0x1F6FF) ||
                    (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x1FA70 && cp <= 0x1FAFF) ||
                    (cp >= 0x20000 && cp <= 0x3FFFD);
  return wide ? 2 : 1;
}
// Terminal columns of a text: what a caret under it or a table's column must count.
inline size_t display_columns(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) n += code_point_columns(next_code_point(s, i));
  return n;
}

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
