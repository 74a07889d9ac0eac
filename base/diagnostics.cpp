// Rendering of diagnostics as compiler-style text and as JSON, and "did you mean" helpers.
#include "base/diagnostics.hpp"

#include "base/text_util.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <nlohmann/json.hpp>

namespace seg {

std::string capped(std::string text, size_t max_bytes) {
  text = utf8_escaped(std::move(text));  // first: the cut below keeps whole characters
  if (text.size() <= max_bytes) return text;
  const size_t whole = text.size();
  text.resize(utf8_prefix(text, max_bytes));
  text += "… (" + std::to_string(whole) + " bytes in all)";
  return text;
}

void Diagnostics::add(Severity s, std::string code, Span span, std::string message, std::string suggestion) {
  list_.push_back(Diagnostic{s, std::move(code), span, {}, capped(std::move(message)), capped(std::move(suggestion))});
}
void Diagnostics::json_error(std::string code, std::string path, std::string message, std::string suggestion) {
  list_.push_back(Diagnostic{Severity::Error, std::move(code), {}, std::move(path), capped(std::move(message)),
                             capped(std::move(suggestion))});
  list_.back().json = true;
}
void Diagnostics::json_warning(std::string code, std::string path, std::string message, std::string suggestion) {
  list_.push_back(Diagnostic{Severity::Warning, std::move(code), {}, std::move(path), capped(std::move(message)),
                             capped(std::move(suggestion))});
  list_.back().json = true;
}
bool Diagnostics::has_errors() const { return error_count() > 0; }
size_t Diagnostics::error_count() const {
  return std::count_if(list_.begin(), list_.end(), [](auto& d) { return d.severity == Severity::Error; });
}

namespace {
// One step of line_col's count from byte i: past a line break (LF, CRLF or a lone CR, as rule
// text's comments end: grammar/grammar.hpp), or past one character.
void step(std::string_view text, size_t& i, LineColIndex::Place& p) {
  if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) {
    ++p.lc.line;
    p.lc.column = 1;
    p.line_start = static_cast<uint32_t>(++i);
  } else if (text[i] == '\r') {
    ++i;  // the CR of a CRLF: not a character of the line
  } else if (i == 0 && text.substr(0, 3) == "\xEF\xBB\xBF") {
    i += 3;  // a leading byte order mark is no character of the line (the parser skips it)
  } else {
    // Columns count characters, not the bytes of UTF-8 sequences; a byte of bad UTF-8 is a
    // character of its own (next_code_point), so a span over a stray continuation byte is
    // one column wide, not empty.
    next_code_point(text, i);
    ++p.lc.column;
  }
}
}  // namespace

LineCol line_col(std::string_view text, uint32_t offset) {
  offset = std::min<uint32_t>(offset, static_cast<uint32_t>(text.size()));
  LineColIndex::Place p;
  for (size_t i = 0; i < offset;) step(text, i, p);
  return p.lc;
}

LineColIndex::LineColIndex(std::string_view text) : text_(text) {
  LineColIndex::Place p;
  marks_.push_back({0, p});
  for (size_t i = 0; i < text.size();) {
    step(text, i, p);
    if (i >= marks_.back().pos + kStep && i < text.size()) marks_.push_back({static_cast<uint32_t>(i), p});
  }
}

LineColIndex::Place LineColIndex::at(uint32_t offset) const {
  offset = std::min<uint32_t>(offset, static_cast<uint32_t>(text_.size()));
  auto m = std::upper_bound(marks_.begin(), marks_.end(), offset, [](uint32_t o, const Mark& k) { return o < k.pos; });
  --m;  // marks_[0] is at 0
  Place p = m->place;
  for (size_t i = m->pos; i < offset;) step(text_, i, p);
  return p;
}

namespace {
// The line holding `offset`, its break left out, from its start (`line_start`, from
// LineColIndex). Looked for no further than kLineLook bytes past the offset: the line shown is
// cut to 120 bytes around the span anyway, and scanning a 4 MiB one-line rule to its end for
// each of its diagnostics was quadratic in them.
constexpr size_t kLineLook = 1024;
std::string_view line_at(std::string_view text, uint32_t offset, uint32_t line_start) {
  size_t at = std::min<size_t>(offset, text.size());
  // The LF of a CRLF is on its CR's line, which ends at the CR.
  if (at > line_start && at < text.size() && text[at] == '\n' && text[at - 1] == '\r') --at;
  const size_t limit = std::min(text.size(), at + kLineLook);
  size_t e = text.substr(0, limit).find_first_of("\r\n", at);
  if (e == std::string_view::npos) e = limit;
  return text.substr(line_start, e - line_start);
}
const char* sev_name(Severity s) { return s == Severity::Error ? "error" : "warning"; }
// A message, help or file name as the terminal shows it: control characters (C0, DEL, C1)
// written as the language's escapes (`\u{1B}`), so a value quoted from a rule or a file
// cannot move the cursor, recolour or retitle the terminal (an escape sequence in a tag name
// did; JSON output escapes them anyway).
std::string printable(std::string_view s) {
  return controls_escaped(s, [](std::string& out, unsigned char code) { out += fmt::format("\\u{{{:X}}}", code); });
}
}  // namespace

std::string render_text(const std::vector<Diagnostic>& diags, std::string_view source_name,
                        std::string_view text, bool color, uint32_t first_line) {
  const char* bold = color ? "\x1b[1m" : "";
  const char* red = color ? "\x1b[1;31m" : "";
  const char* yellow = color ? "\x1b[1;33m" : "";
  const char* green = color ? "\x1b[1;32m" : "";
  const char* cyan = color ? "\x1b[1;36m" : "";
  const char* reset = color ? "\x1b[0m" : "";
  std::string out;
  const std::string name = printable(source_name);
  std::optional<LineColIndex> index;  // made at the first diagnostic with a place in the text
  for (const auto& d : diags) {
    const char* sc = d.severity == Severity::Error ? red : yellow;
    const std::string message = printable(d.message), suggestion = printable(d.suggestion);
    // A diagnostic without a place in a text says none. A syntax error (E1xx) is always about
    // the rule's text, so an empty rule's E110 gets its place too: 1:1, with the caret.
    const bool syntax = d.code.size() == 4 && d.code.compare(0, 2, "E1") == 0;
    if (d.json || !d.json_path.empty() || (text.empty() && d.span.begin == 0 && d.span.end == 0 && !syntax)) {
      out += fmt::format("{}{}: {}{}[{}]{}{}: {}{}\n", bold, name, sc, sev_name(d.severity), d.code, reset,
                         d.json_path.empty() ? "" : fmt::format(" at {}", printable(d.json_path)), message, reset);
      if (!suggestion.empty()) out += fmt::format("  {}help{}: {}\n", green, reset, suggestion);
      continue;
    }
    if (!index) index.emplace(text);
    const LineColIndex::Place place = index->at(d.span.begin);
    const LineCol lc = place.lc;
    const uint64_t line_no = uint64_t{lc.line} + (first_line ? first_line - 1 : 0);
    out += fmt::format("{}{}:{}:{}: {}{}[{}]{}{}: {}{}\n", bold, name, line_no, lc.column, sc,
                       sev_name(d.severity), d.code, reset, bold, message, reset);
    const uint32_t ls = place.line_start;
    std::string_view line = line_at(text, d.span.begin, ls);
    std::string gutter = fmt::format("{}", line_no);
    std::string pad(gutter.size(), ' ');
    // Long lines (a 64 KiB rule on one line) are cut around the span so the caret stays readable.
    uint32_t col0 = d.span.begin - ls;
    size_t cut = 0;
    if (line.size() > 120 && col0 > 60) cut = col0 - 40;
    // Keep whole UTF-8 sequences when cutting.
    while (cut > 0 && cut < line.size() && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    size_t shown_len = std::min<size_t>(120, line.size() - std::min(cut, line.size()));
    while (cut + shown_len < line.size() && (static_cast<unsigned char>(line[cut + shown_len]) & 0xC0) == 0x80) ++shown_len;
    std::string_view shown = line.substr(cut, shown_len);
    // Tabs, a CR of CRLF line ends and other control characters (C0, DEL, C1) would move the
    // caret or drive the terminal: each is a space, one column as the caret counts it.
    std::string shown_s;
    for (size_t i = 0; i < shown.size(); ++i) {
      const auto c = static_cast<unsigned char>(shown[i]);
      if (c == 0xC2 && i + 1 < shown.size() && static_cast<unsigned char>(shown[i + 1]) >= 0x80 &&
          static_cast<unsigned char>(shown[i + 1]) <= 0x9F) {
        shown_s += ' ';
        ++i;
      } else {
        shown_s += c < 0x20 || c == 0x7f ? ' ' : shown[i];
      }
    }
    out += fmt::format(" {}{} |{} {}{}{}\n", cyan, gutter, reset, cut ? "..." : "", shown_s,
                       cut + shown.size() < line.size() ? "..." : "");
    // Terminal columns, not characters: a wide character (CJK, emoji) takes two, a byte order
    // mark or a combining mark none, or the caret drifts from what it marks (found by a review).
    auto chars = [](std::string_view s) { return display_columns(s); };
    uint32_t end = std::min<uint32_t>(d.span.end, ls + static_cast<uint32_t>(line.size()));
    size_t before = col0 >= cut ? chars(line.substr(cut, col0 - cut)) : 0;
    size_t width = end > d.span.begin ? chars(text.substr(d.span.begin, end - d.span.begin)) : 1;
    width = std::min(width, chars(shown) + 1 - std::min(chars(shown), before));
    if (width == 0) width = 1;
    std::string marks = fmt::format("^{:~<{}}", "", width - 1);
    out += fmt::format(" {} {}|{} {}{}{}{}\n", pad, cyan, reset, std::string(before + (cut ? 3 : 0), ' '), sc, marks,
                       reset);
    if (!suggestion.empty()) out += fmt::format(" {} {}= help{}: {}\n", pad, green, reset, suggestion);
  }
  return out;
}

std::string render_json(const std::vector<Diagnostic>& diags, std::string_view text) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  const LineColIndex index(text);
  for (const auto& d : diags) {
    nlohmann::ordered_json j;
    j["code"] = d.code;
    j["severity"] = sev_name(d.severity);
    if (!d.json && d.json_path.empty()) {
      LineCol b = index.at(d.span.begin).lc, e = index.at(d.span.end).lc;
      j["line"] = b.line;
      j["column"] = b.column;
      j["end_line"] = e.line;
      j["end_column"] = e.column;
      j["begin"] = d.span.begin;
      j["end"] = d.span.end;
    } else {
      j["path"] = d.json_path;
    }
    j["message"] = d.message;
    if (!d.suggestion.empty()) j["suggestion"] = d.suggestion;
    if (d.fix && !d.json && d.json_path.empty()) j["fix"] = *d.fix;
    arr.push_back(std::move(j));
  }
  return arr.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment (Damerau) distance, case-insensitive: "stgae" is one swap from "stage".
  const size_t n = a.size(), m = b.size();
  if (n > 256 || m > 256) return std::max(n, m);
  // Rows on the stack: "did you mean" compares an unknown value with every value of a
  // dictionary (up to 2^20), and three allocations a pair were most of its time.
  size_t rows[3][257];
  size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
  for (size_t j = 0; j <= m; ++j) prev[j] = j;
  // Both in lower case once (std::tolower in the inner loop, five calls a cell, was half the
  // time of a "did you mean" over a large dictionary).
  char la[256], lb[256];
  for (size_t i = 0; i < n; ++i) la[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(a[i])));
  for (size_t j = 0; j < m; ++j) lb[j] = static_cast<char>(std::tolower(static_cast<unsigned char>(b[j])));
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = la[i - 1] == lb[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && la[i - 1] == lb[j - 2] && la[i - 2] == lb[j - 1]) cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::vector<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates, size_t max,
                                 std::vector<size_t>* scores) {
  std::vector<std::pair<size_t, std::string>> scored;
  // Close enough to help: at most a third of the word's length (at least 1, at most 3 edits),
  // or a case-insensitive prefix of at least 3 characters.
  size_t limit = std::clamp<size_t>(word.size() / 3, 1, 3);
  for (const auto& c : candidates) {
    // Lengths further apart than the limit are further apart in edits too: no need to count
    // them (a long unknown tag against every tag of the dictionary cost the importer
    // 0.2 s per crafted document, found by seg_fuzz_import's slow units).
    size_t gap = word.size() > c.size() ? word.size() - c.size() : c.size() - word.size();
    size_t d = gap > limit ? limit + 1 : edit_distance(word, c);
    bool prefix = word.size() >= 3 && c.size() >= word.size() &&
                  std::equal(word.begin(), word.end(), c.begin(), [](char x, char y) {
                    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
                  });
    // Ranked by distance, and at one distance a name the word starts is nearer: `stag` is
    // `stage` half typed more likely than `tag` with a letter too many.
    if (d <= limit || prefix) scored.emplace_back(2 * (prefix ? std::min<size_t>(d, 1) : d) + (prefix ? 0 : 1), c);
  }
  std::stable_sort(scored.begin(), scored.end(), [](auto& x, auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  if (scores) scores->clear();
  for (auto& s : scored) {
    if (out.size() >= max) break;
    if (std::find(out.begin(), out.end(), s.second) == out.end()) {
      out.push_back(s.second);
      if (scores) scores->push_back(s.first);
    }
  }
  return out;
}

}  // namespace seg
