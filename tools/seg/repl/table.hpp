// Result tables for the REPL: aligned columns (numbers to the right) with a header rule,
// fitted to the terminal's width by shortening long cells and then leaving out columns.
#pragma once
#include <optional>
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "seg/seg.hpp"

namespace seg::repl {

struct Table {
  std::vector<std::string> header;
  std::vector<bool> right;  // right-aligned (numbers)
  std::vector<std::vector<std::string>> rows;
};

// Display width of UTF-8 text (code points; the data is keys, numbers and dates).
size_t text_width(std::string_view s);

// The first `width` display columns of s, ending in "..." when cut.
std::string cut_text(std::string_view s, size_t width);

struct RenderedTable {
  std::string text;
  std::vector<std::string> hidden;  // columns left out to fit the width
};

// `max_width` 0 means no limit. Columns are separated by two spaces.
RenderedTable render_table(const Table& t, size_t max_width = 0, bool color = false);

// Rows of the store as a table: the id field first, then the schema's fields in order; a set
// as its values joined by ", ", null as an empty cell.
Table rows_table(const api::Page& page, const api::Schema& schema);

// How member rows are written (.mode), as the sqlite3 shell's modes: an aligned table, CSV
// (the cells as `seg eval --rows` writes them), a JSON array of objects (typed values), or a
// Markdown table.
enum class Mode { Table, Csv, Json, Markdown };
std::optional<Mode> parse_mode(std::string_view name);
const char* mode_name(Mode m);

// The page with only `columns` (field names, in that order; all when empty).
api::Page select_columns(const api::Page& page, const std::vector<std::string>& columns);

// Member rows in a mode, a batch at a time: the header before the first batch, JSON's
// brackets around all of them.
class RowsWriter {
 public:
  RowsWriter(Mode mode, const api::Schema& schema, size_t width, bool color)
      : mode_(mode), schema_(schema), width_(width), color_(color),
        page_writer_(mode == Mode::Json ? api::RowsFormat::JsonArray : api::RowsFormat::Csv) {}
  std::string batch(const api::Page& page);
  std::string end();                // closes the output (JSON's `]`)
  std::vector<std::string> hidden;  // table: columns left out to fit the width

 private:
  Mode mode_;
  const api::Schema& schema_;
  size_t width_;
  bool color_;
  bool started_ = false;
  api::PageWriter page_writer_;  // CSV and JSON: the library's, as every client writes them
};

}  // namespace seg::repl
