// Tables the REPL prints (see table.hpp).
#include "tools/seg/repl/table.hpp"

#include <fmt/format.h>

#include <iterator>

#include "base/text_util.hpp"

namespace seg::repl {
// Terminal columns, not characters: a name in CJK or with an emoji takes two a character, and
// counted as one it pushed the columns after it out of line (found by a review).
size_t text_width(std::string_view s) { return display_columns(s); }

std::string cut_text(std::string_view s, size_t width) {
  if (text_width(s) <= width) return std::string(s);
  if (width <= 3) return std::string(width, '.');
  const size_t keep = width - 3;
  size_t cols = 0, i = 0;
  while (i < s.size()) {
    size_t next = i;
    const size_t w = code_point_columns(next_code_point(s, next));
    if (cols + w > keep) break;
    cols += w;
    i = next;
  }
  return std::string(s.substr(0, i)) + "...";
}

RenderedTable render_table(const Table& t, size_t max_width, bool color) {
  const size_t n = t.header.size();
  std::vector<size_t> w(n, 0);
  for (size_t c = 0; c < n; ++c) {
    w[c] = text_width(t.header[c]);
    for (const auto& r : t.rows) w[c] = std::max(w[c], text_width(r[c]));
  }
  std::vector<bool> shown(n, true);
  auto total = [&] {
    size_t sum = 0, k = 0;
    for (size_t c = 0; c < n; ++c)
      if (shown[c]) sum += w[c], ++k;
    return sum + (k ? 2 * (k - 1) : 0);
  };
  if (max_width) {
    // First shorten long text cells (tags) to 22 columns (a timestamp is 20: never cut).
    for (size_t c = 0; c < n && total() > max_width; ++c) {
      size_t floor = std::max<size_t>(22, text_width(t.header[c]));
      if (t.right[c] || w[c] <= floor) continue;
      w[c] = std::max(floor, w[c] - std::min(w[c] - floor, total() - max_width));
    }
    // Then leave out columns from the right, keeping at least the first.
    for (size_t c = n; c-- > 1 && total() > max_width;) shown[c] = false;
  }
  RenderedTable out;
  const char* bold = color ? "\x1b[1m" : "";
  const char* reset = color ? "\x1b[0m" : "";
  auto cell = [&](std::string_view s, size_t c) {
    std::string v = cut_text(s, w[c]);
    std::string pad(w[c] - text_width(v), ' ');
    return t.right[c] ? pad + v : v + pad;
  };
  auto line = [&](const std::vector<std::string>& r, bool header) {
    std::string l;
    bool first = true;
    for (size_t c = 0; c < n; ++c) {
      if (!shown[c]) continue;
      if (!first) l += "  ";
      first = false;
      l += header ? std::string(bold) + cell(r[c], c) + reset : cell(r[c], c);
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    return l + "\n";
  };
  out.text += line(t.header, true);
  std::vector<std::string> rule;
  for (size_t c = 0; c < n; ++c) rule.push_back(std::string(w[c], '-'));
  out.text += line(rule, false);
  for (const auto& r : t.rows) out.text += line(r, false);
  for (size_t c = 0; c < n; ++c)
    if (!shown[c]) out.hidden.push_back(t.header[c]);
  return out;
}

Table rows_table(const api::Page& page, const api::Schema& schema) {
  Table t;
  auto fields = schema.fields();
  for (const auto& name : page.columns) {
    auto f = schema.find(name);
    api::FieldType type = f ? fields[*f].type : api::FieldType::String;
    t.header.push_back(name);
    t.right.push_back(type == api::FieldType::Int || type == api::FieldType::Decimal);
  }
  for (size_t i = 0; i < page.rows.size(); ++i) {
    std::vector<std::string> r;
    for (size_t c = 0; c < page.columns.size(); ++c) {
      // A set's values one by one (a tag may hold `|`, which the one-cell text escapes).
      if (const auto* tags = std::get_if<std::vector<std::string>>(&page.rows[i][c])) {
        r.push_back(fmt::format("{}", fmt::join(*tags, ", ")));
      } else {
        r.push_back(page.text[i][c]);
      }
    }
    t.rows.push_back(std::move(r));
  }
  return t;
}

std::optional<Mode> parse_mode(std::string_view name) {
  for (Mode m : {Mode::Table, Mode::Csv, Mode::Json, Mode::Markdown})
    if (name == mode_name(m)) return m;
  return std::nullopt;
}

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::Table: return "table";
    case Mode::Csv: return "csv";
    case Mode::Json: return "json";
    case Mode::Markdown: return "markdown";
  }
  return "table";
}

api::Page select_columns(const api::Page& page, const std::vector<std::string>& columns) {
  if (columns.empty()) return page;
  std::vector<size_t> at;
  for (const auto& c : columns)
    for (size_t i = 0; i < page.columns.size(); ++i)
      if (page.columns[i] == c) at.push_back(i);
  api::Page out;
  out.offset = page.offset;
  out.result = page.result;
  for (size_t i : at) out.columns.push_back(page.columns[i]);
  for (size_t r = 0; r < page.rows.size(); ++r) {
    std::vector<api::Value> row;
    std::vector<std::string> text;
    for (size_t i : at) {
      row.push_back(page.rows[r][i]);
      text.push_back(page.text[r][i]);
    }
    out.rows.push_back(std::move(row));
    out.text.push_back(std::move(text));
  }
  return out;
}

namespace {
std::string markdown_cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}
}  // namespace

std::string RowsWriter::batch(const api::Page& page) {
  std::string out;
  bool first = !started_;
  started_ = true;
  switch (mode_) {
    case Mode::Table: {
      Table t = rows_table(page, schema_);
      RenderedTable rt = render_table(t, width_, color_);
      hidden = rt.hidden;
      if (first) return rt.text;
      // Later batches: the rows without the header and its rule.
      size_t cut = rt.text.find('\n', rt.text.find('\n') + 1);
      return cut == std::string::npos ? "" : rt.text.substr(cut + 1);
    }
    case Mode::Csv:
    case Mode::Json: return page_writer_.write(page);
    case Mode::Markdown: {
      Table t = rows_table(page, schema_);
      if (first) {
        out += "|";
        for (const auto& h : t.header) fmt::format_to(std::back_inserter(out), " {} |", markdown_cell(h));
        out += "\n|";
        for (bool right : t.right) out += right ? " ---: |" : " --- |";
        out += "\n";
      }
      for (const auto& r : t.rows) {
        out += "|";
        for (const auto& c : r) fmt::format_to(std::back_inserter(out), " {} |", markdown_cell(c));
        out += "\n";
      }
      return out;
    }
  }
  return out;
}

std::string RowsWriter::end() { return page_writer_.finish(); }

}  // namespace seg::repl
