// E116: a character outside ASCII where the rule has no string (rule text is ASCII but for
// strings and comments), said with what it is and, where one edit makes the rule right, the
// fix: look-alike letters and digits (a Cyrillic `А`, full-width `１`), typographic quotes and
// dashes, invisible and typographic spaces, a currency sign after a number. Called by the
// lexical pre-check (parse.cpp) at the first such character, byte `i` of `t`. Kept apart from
// the PEGTL translation unit: it needs no grammar, and it is most of the pre-check's lines.
#include "grammar/non_ascii.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <string>

#include "base/text_util.hpp"

namespace seg {

void diagnose_non_ascii(std::string_view t, size_t i, Diagnostics& diags) {
  // A letter outside ASCII where only names, numbers and operators may be: a value that
  // needs quotes (Régistration) or typographic quotes pasted from a document (“12”).
  size_t b = i, e = i;
  auto wordish = [&](size_t k) {
    unsigned char x = static_cast<unsigned char>(t[k]);
    return x >= 0x80 || std::isalnum(x) || x == '_';
  };
  while (b > 0 && wordish(b - 1)) --b;
  while (e < t.size() && wordish(e)) e += std::max<size_t>(1, utf8_len(t, e));
  e = std::min(e, t.size());
  std::string_view word = t.substr(b, e - b);
  // Typographic quotes: “ ” ‘ ’, the German „ and guillemets « ».
  auto is_quote = [](uint32_t q) { return q == 0x201C || q == 0x201D || q == 0x2018 || q == 0x2019 || q == 0x201E || q == 0xAB || q == 0xBB; };
  bool quotes = false;
  for (size_t k = 0; k < word.size() && !quotes;) quotes = is_quote(next_code_point(word, k));
  size_t before = b;  // what precedes the word: a value follows an operator, `(` or `,`
  while (before > 0 && std::isspace(static_cast<unsigned char>(t[before - 1]))) --before;
  const bool value_position = before > 0 && std::strchr("=(,<>", t[before - 1]) != nullptr;
  std::string help;
  std::optional<std::string> fix;
  Span span{uint32_t(i), uint32_t(i + utf8_len(t, i))};
  // Look-alikes pasted from documents and chats: not a name to quote but an operator or a
  // space in disguise, named by its code point (a non-breaking space is invisible), and
  // characters that show as nothing.
  struct LookAlike {
    const char* bytes;
    const char* name;
    const char* write;
    const char* fix;  // nullptr: which is meant depends on the rule
  };
  static constexpr LookAlike kLookAlikes[] = {
      {"\xC2\xA0", "a non-breaking space (U+00A0)", "a plain space", " "},
      {"\xE2\x80\xAF", "a narrow no-break space (U+202F)", "a plain space", " "},
      {"\xE2\x80\x8B", "a zero-width space (U+200B)", "nothing: delete it", ""},
      {"\xEF\xBB\xBF", "a zero-width no-break space (U+FEFF, a byte-order mark)", "nothing: delete it", ""},
      {"\xC2\xAD", "a soft hyphen (U+00AD)", "nothing: delete it", ""},
      {"\xE2\x80\x8C", "a zero-width non-joiner (U+200C)", "nothing: delete it", ""},
      {"\xE2\x80\x8D", "a zero-width joiner (U+200D)", "nothing: delete it", ""},
      {"\xE2\x81\xA0", "a word joiner (U+2060)", "nothing: delete it", ""},
      {"\xE2\x80\x8E", "a left-to-right mark (U+200E)", "nothing: delete it", ""},
      {"\xE2\x80\x8F", "a right-to-left mark (U+200F)", "nothing: delete it", ""},
      {"\xE2\x80\xA8", "a line separator (U+2028)", "a plain line break or space", " "},
      {"\xE2\x80\xA9", "a paragraph separator (U+2029)", "a plain line break or space", " "},
      {"\xE3\x80\x80", "an ideographic space (U+3000)", "a plain space", " "},
      {"\xE2\x80\x89", "a thin space (U+2009)", "a plain space", " "},
      {"\xE2\x80\x8A", "a hair space (U+200A)", "a plain space", " "},
      {"\xE2\x80\x82", "an en space (U+2002)", "a plain space", " "},
      {"\xE2\x80\x83", "an em space (U+2003)", "a plain space", " "},
      {"\xE2\x80\x84", "a three-per-em space (U+2004)", "a plain space", " "},
      {"\xE2\x80\x85", "a four-per-em space (U+2005)", "a plain space", " "},
      {"\xE2\x80\x86", "a six-per-em space (U+2006)", "a plain space", " "},
      {"\xE2\x80\x87", "a figure space (U+2007)", "a plain space", " "},
      {"\xE2\x80\x88", "a punctuation space (U+2008)", "a plain space", " "},
      {"\xE2\x89\xA0", "`\xE2\x89\xA0` (U+2260)", "`!=`", "!="},
      {"\xE2\x89\xA5", "`\xE2\x89\xA5` (U+2265)", "`>=`", ">="},
      {"\xE2\x89\xA4", "`\xE2\x89\xA4` (U+2264)", "`<=`", "<="},
      {"\xEF\xBC\x9D", "a full-width `\xEF\xBC\x9D` (U+FF1D)", "`=`", "="},
      {"\xE2\x80\x94", "an em dash (U+2014)", "`-` (a minus), or `--` for a comment", nullptr},
      {"\xE2\x80\x93", "an en dash (U+2013)", "`-` (a minus), or `--` for a comment", nullptr},
  };
  std::string_view ch = t.substr(i, utf8_len(t, i));
  std::string what = fmt::format("`{}` cannot appear outside a string", ch);
  const LookAlike* known = nullptr;
  for (const auto& l : kLookAlikes)
    if (ch == l.bytes) known = &l;
  size_t at = i;
  const uint32_t cp = next_code_point(t, at);
  if (known) {
    const bool word_before = i > 0 && std::isalnum(static_cast<unsigned char>(t[i - 1]));
    const bool word_after = i + ch.size() < t.size() && std::isalnum(static_cast<unsigned char>(t[i + ch.size()]));
    what = fmt::format("{} cannot appear outside a string", known->name);
    help = known->fix && !*known->fix ? std::string("delete it") : fmt::format("write {} instead", known->write);
    if (known->fix) fix = known->fix;
    // Deleted between two words it would join them (`Active\u200Band`): a space there.
    if (fix && fix->empty() && word_before && word_after && cp != 0x00AD) {
      fix = " ";
      help = "write a plain space instead";
    }
    // A space in a number is a thousands separator (`1\u00A0000` is 1000, not `1 000`).
    if (fix && *fix == " " && i > 0 && std::isdigit(static_cast<unsigned char>(t[i - 1])) && i + ch.size() + 3 <= t.size()) {
      const std::string_view next = t.substr(i + ch.size(), 4);
      const bool three = std::isdigit(static_cast<unsigned char>(next[0])) && std::isdigit(static_cast<unsigned char>(next[1])) &&
                         std::isdigit(static_cast<unsigned char>(next[2])) &&
                         (next.size() < 4 || !std::isdigit(static_cast<unsigned char>(next[3])));
      if (three) {
        fix = "";
        help = "a number has no thousands separators: delete it";
      }
    }
    // A dash after `now` is its minus (`now – 30d`, as a word processor writes it).
    if (!known->fix && before >= 3 && iequals(t.substr(before - 3, 3), "now")) fix = "-";
  } else if (quotes) {
    help = "use straight quotes: \" or '";
    // The word with its quotes straightened (`“Active”` is one edit, not two).
    std::string straight;
    for (size_t k = 0; k < word.size();) {
      const size_t from = k;
      const uint32_t q = next_code_point(word, k);
      straight += q == 0x2018 || q == 0x2019 ? std::string("'") : is_quote(q) ? std::string("\"") : std::string(word.substr(from, k - from));
    }
    if (straight.size() >= 2 && (straight[0] == '"' || straight[0] == '\'') && straight.back() == straight[0]) {
      span = Span{uint32_t(b), uint32_t(e)};
      fix = straight;
    } else if (size_t at = i; cp == 0x201C || cp == 0x201E || cp == 0xAB || cp == 0x2018) {
      // Several words between an opening quote and its closing one on the line (`“NOT
      // REGISTERED”`): one string (a review found them fixed a quote at a time, or not).
      next_code_point(t, at);
      const size_t line_end = std::min(t.find_first_of("\r\n", at), t.size());
      for (size_t k = at; k < line_end;) {
        const size_t from = k;
        const uint32_t q = next_code_point(t, k);
        const bool closes = cp == 0xAB ? q == 0xBB : cp == 0x2018 ? q == 0x2019 : q == 0x201D || q == 0x201C;
        if (!closes) continue;
        const std::string_view inner = t.substr(at, from - at);
        const char mark = cp == 0x2018 ? '\'' : '"';
        if (inner.find(mark) == std::string_view::npos && inner.find('\\') == std::string_view::npos) {
          span = Span{uint32_t(i), uint32_t(k)};
          fix = fmt::format("{0}{1}{0}", mark, inner);
        }
        break;
      }
    }
  } else if (auto twin = ascii_twin(word)) {
    // `Аctive` with a Cyrillic А, `１２`, `−1`: the ASCII word it looks like (in a number a
    // Cyrillic or Greek O is a zero: `1О` is `10`).
    if (std::isdigit(static_cast<unsigned char>(word[0])))
      for (char& c : *twin)
        if (c == 'O' || c == 'o') c = '0';
    const seg::LookAlike look = ascii_look_alike(cp);
    span = Span{uint32_t(b), uint32_t(e)};
    what = word.size() == ch.size()
               ? fmt::format("`{}` (U+{:04X}) is {} that looks like `{}`", ch, cp, look.what, look.ascii)
               : fmt::format("`{}` has `{}` (U+{:04X}), {} that looks like `{}`", word, ch, cp, look.what, look.ascii);
    help = fmt::format("did you mean `{}`?", *twin);
    fix = *twin;
  } else if (std::isdigit(static_cast<unsigned char>(word[0]))) {
    // `100€`, `12кг`: a unit or currency sign run into a number.
    size_t n = 0;
    while (n < word.size() && (std::isdigit(static_cast<unsigned char>(word[n])) || word[n] == '.')) ++n;
    span = Span{uint32_t(b), uint32_t(e)};
    help = fmt::format("a number has no unit or currency sign: `{}`", word.substr(0, n));
    fix = std::string(word.substr(0, n));
  } else if (value_position) {
    help = fmt::format("names are ASCII letters, digits and `_`; write the value as a string: \"{}\"", word);
  } else {
    help = "field names and keywords are ASCII letters, digits and `_`";
  }
  diags.error("E116", span, what, help);
  if (fix) diags.fix_last(std::move(*fix));
}

}  // namespace seg
