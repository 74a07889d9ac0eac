// Result tables for the REPL: aligned columns (numbers to the right) with a header rule,
// fitted to the terminal's width by shortening long cells and then leaving out columns.
#pragma once
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

}  // namespace seg::repl
