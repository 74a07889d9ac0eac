// Diagnostics: a user's mistake as data (code, severity, where, message, suggestion) and its rendering.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seg {

enum class Severity : uint8_t { Error, Warning };

// Byte offsets into the rule text, half-open.
struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
  bool operator==(const Span&) const = default;
};

struct Diagnostic {
  Severity severity = Severity::Error;
  std::string code;        // stable, documented in docs/diagnostics.md
  Span span;               // for rule text
  std::string json_path;   // for JSON documents (RFC 6901 pointer); empty for text
  std::string message;
  std::string suggestion;  // optional, shown as "help: ..."
  // The suggestion as an edit, when it is one: replace `span` with this text (an editor's
  // one-click fix). Only for rule text and only when exactly one replacement is meant.
  std::optional<std::string> fix;
  // About a JSON document (json_error, json_warning): json_path says where, "" being the whole
  // document, and there is no span.
  bool json = false;
  // A JSON document's syntax error (E601), which has no path: where in the document's text,
  // 1-based, the column in characters (line_col); 0 otherwise. The API hands them to hosts as
  // the diagnostic's line and column, as seg.h promises, not only in the message.
  uint32_t line = 0;
  uint32_t column = 0;
};

// A message or help quotes what the user wrote (a name, a value): a 4 MB identifier made a 4 MB
// message, printed whole even where the source line is cut at 120 bytes (found by a review).
// Cut at a character boundary past `max_bytes`, saying how long it was. Every diagnostic's
// message and help go through it (Diagnostics here, the API's and the loaders' in api/), so
// it also makes them valid UTF-8 (utf8_escaped: a byte that begins no character as \xNN).
inline constexpr size_t kMaxMessageBytes = 1000;
std::string capped(std::string text, size_t max_bytes = kMaxMessageBytes);

class Diagnostics {
 public:
  void error(std::string code, Span span, std::string message, std::string suggestion = {}) {
    add(Severity::Error, std::move(code), span, std::move(message), std::move(suggestion));
  }
  void warning(std::string code, Span span, std::string message, std::string suggestion = {}) {
    add(Severity::Warning, std::move(code), span, std::move(message), std::move(suggestion));
  }
  void json_error(std::string code, std::string path, std::string message, std::string suggestion = {});
  void json_warning(std::string code, std::string path, std::string message, std::string suggestion = {});
  void add(Severity s, std::string code, Span span, std::string message, std::string suggestion);
  void append(const Diagnostics& other) { list_.insert(list_.end(), other.list_.begin(), other.list_.end()); }

  // Attaches an edit to the diagnostic added last (see Diagnostic::fix).
  void fix_last(std::string replacement) {
    if (!list_.empty()) list_.back().fix = std::move(replacement);
  }
  bool has_errors() const;
  size_t error_count() const;
  bool empty() const { return list_.empty(); }
  const std::vector<Diagnostic>& list() const { return list_; }
  std::vector<Diagnostic>& list() { return list_; }

 private:
  std::vector<Diagnostic> list_;
};

// Line and column (1-based; column counts bytes) of a byte offset.
struct LineCol {
  uint32_t line = 1;
  uint32_t column = 1;
};
LineCol line_col(std::string_view text, uint32_t offset);

// Lines and columns of many offsets in one text (every diagnostic of a rule): line_col counts
// from the text's start, so a rule with thousands of diagnostics (a pasted list of unknown
// tags) rendered in time quadratic in them. This keeps the place every kStep bytes, and each
// lookup counts from the one before its offset. `line_start` is the byte its line starts at.
class LineColIndex {
 public:
  explicit LineColIndex(std::string_view text);
  struct Place {
    LineCol lc;
    uint32_t line_start = 0;
  };
  Place at(uint32_t offset) const;  // as line_col(text, offset)

 private:
  static constexpr uint32_t kStep = 512;
  struct Mark {
    uint32_t pos;  // a character's first byte, as line_col steps through the text
    Place place;
  };
  std::string_view text_;
  std::vector<Mark> marks_;
};

// Renders like a compiler: "name:line:col: error[E201]: message", the source line, a caret
// line under the span and "help: suggestion". JSON diagnostics render "name: error[E..] at /path".
// `first_line`: the line of `source_name` that `text` starts on (a rule in a file of rules, an
// entry of the REPL), so the lines shown are the file's.
std::string render_text(const std::vector<Diagnostic>& diags, std::string_view source_name,
                        std::string_view text, bool color = false, uint32_t first_line = 1);
// One JSON array of objects {code, severity, line, column, end_line, end_column, begin, end,
// path, message, suggestion}, for the form UI.
std::string render_json(const std::vector<Diagnostic>& diags, std::string_view text);

// Edit distance for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// Up to `max` candidates closest to `word` (case-insensitive), only those close enough to help,
// the closest first (at one edit distance, a name `word` starts comes first); `scores` (when
// given) gets each one's rank (lower is nearer), so a caller can tell a tie for the closest
// from one nearest.
std::vector<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates,
                                 size_t max = 3, std::vector<size_t>* scores = nullptr);

}  // namespace seg
