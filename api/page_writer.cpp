// Cells and pages of members as CSV and JSON text (csv_field, value_json, PageWriter): the one
// writer of member rows that `seg eval`, the REPL and the service's member streams share.
#include <fmt/format.h>

#include <iterator>
#include <stdexcept>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <variant>

#include "seg/seg.hpp"

namespace seg::api {

std::string csv_field(std::string_view cell) {
  if (cell.find_first_of(",\"\n") == std::string_view::npos) return std::string(cell);
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_field(std::string_view cell, const Value& typed) {
  if (cell.empty() && std::holds_alternative<std::string>(typed)) return "\"\"";
  return csv_field(cell);
}

std::string value_json(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>) return "null";
        // Bytes that are not UTF-8 (a host's own value; loaded data is checked) as U+FFFD, as
        // render_json does: nlohmann throws otherwise, and errors here are data.
        else return nlohmann::json(x).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      },
      v);
}

std::string PageWriter::start(const std::vector<std::string>& columns) {
  std::string out;
  if (started_) return out;
  started_ = true;
  if (format_ == RowsFormat::JsonArray) return "[";
  if (format_ == RowsFormat::Csv && header_) {
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c) out += ',';
      out += csv_field(columns[c]);
    }
    out += '\n';
  }
  return out;
}

namespace {
// A page a host made may have any shape: one that is not a row of cells a column (typed and
// printed) is refused, never read past its end.
void check_shape(const Page& page, bool printed) {
  const size_t n = page.columns.size();
  if (printed && page.text.size() != page.rows.size())
    throw std::invalid_argument(fmt::format("seg::api::PageWriter::write: {} rows and {} printed rows", page.rows.size(),
                                            page.text.size()));
  for (size_t r = 0; r < page.rows.size(); ++r)
    if (page.rows[r].size() != n || (printed && page.text[r].size() != n))
      throw std::invalid_argument(
          fmt::format("seg::api::PageWriter::write: row {} has {} cells ({} printed) for {} columns", r, page.rows[r].size(),
                      printed ? page.text[r].size() : page.rows[r].size(), n));
}
}  // namespace

std::string PageWriter::write(const Page& page) {
  check_shape(page, format_ == RowsFormat::Csv);
  std::string out = start(page.columns);
  if (format_ == RowsFormat::Csv) {
    for (size_t r = 0; r < page.rows.size(); ++r) {
      for (size_t c = 0; c < page.columns.size(); ++c) {
        if (c) out += ',';
        out += csv_field(page.text[r][c], page.rows[r][c]);
      }
      out += '\n';
    }
    return out;
  }
  // The keys once a page, as JSON strings (column names are identifiers, but a host's page
  // may say anything).
  std::vector<std::string> keys;
  for (const auto& name : page.columns) keys.push_back(value_json(Value{name}));
  for (const auto& row : page.rows) {
    if (format_ == RowsFormat::JsonArray) out += any_row_ ? ",\n  " : "\n  ";
    any_row_ = true;
    for (size_t c = 0; c < keys.size(); ++c) fmt::format_to(std::back_inserter(out), "{}{}:{}", c ? "," : "{", keys[c], value_json(row[c]));
    out += keys.empty() ? "{}" : "}";
    if (format_ == RowsFormat::JsonLines) out += '\n';
  }
  return out;
}

std::string PageWriter::write_ids(std::string_view column, const std::vector<int64_t>& ids) {
  std::string out = start({std::string(column)});
  const std::string key = format_ == RowsFormat::Csv ? "" : value_json(Value{std::string(column)});
  out.reserve(out.size() + ids.size() * (key.size() + 12));
  for (int64_t id : ids) {
    if (format_ == RowsFormat::Csv) {
      fmt::format_to(std::back_inserter(out), "{}\n", id);
      continue;
    }
    if (format_ == RowsFormat::JsonArray) out += any_row_ ? ",\n  " : "\n  ";
    any_row_ = true;
    fmt::format_to(std::back_inserter(out), "{{{}:{}}}", key, id);
    if (format_ == RowsFormat::JsonLines) out += '\n';
  }
  return out;
}

// CSV and JSON Lines need no closing (a CSV header needs a page's columns: a client writes a
// page, even of no rows, to have one).
std::string PageWriter::finish() {
  if (format_ != RowsFormat::JsonArray) return "";
  std::string out = start({});
  return out + (any_row_ ? "\n]\n" : "]\n");
}

}  // namespace seg::api
