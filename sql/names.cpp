// Table and column names as each dialect reads them, quoted only where a bare name would not do,
// and string literals spelt so that no value can leave them.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "sql/sql.hpp"

namespace seg::sql {

namespace {

bool plain_identifier(std::string_view s) {
  // Words some dialect reserves; a column named like one is quoted everywhere, which every
  // dialect reads the same.
  static const char* const kReserved[] = {
      "all",    "and",   "any",    "array",  "as",     "asc",      "between", "by",     "case",    "cast",
      "check",  "column", "create", "default", "desc",  "distinct", "else",    "end",    "exists",  "false",
      "from",   "grant", "group",  "having", "in",     "index",    "is",      "join",   "key",     "like",
      "limit",  "not",   "null",   "offset", "on",     "or",       "order",   "primary", "select", "table",
      "then",   "to",    "true",   "union",  "unique", "user",     "using",   "when",   "where",   "with"};
  if (s.empty() || !(std::islower(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  for (const char* r : kReserved)
    if (s == r) return false;
  return true;
}

}  // namespace

std::string quote_identifier(std::string_view s, Dialect d) {
  if (plain_identifier(s)) return std::string(s);
  std::string out;
  if (d == Dialect::ClickHouse) {
    // ClickHouse escapes inside back quotes with backslashes.
    out = "`";
    for (char c : s) {
      if (c == '`' || c == '\\') out += '\\';
      out += c;
    }
    return out + "`";
  }
  out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string qualified_name(std::string_view s, Dialect d) {
  std::string out;
  for (size_t start = 0;;) {
    size_t dot = s.find('.', start);
    out += quote_identifier(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start), d);
    if (dot == std::string_view::npos) return out;
    out += '.';
    start = dot + 1;
  }
}

std::string string_literal(std::string_view s, Dialect d) {
  bool control = std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  std::string out;
  switch (d) {
    case Dialect::Postgres: {
      // E'' reads backslashes the same whatever standard_conforming_strings says.
      bool backslash = s.find('\\') != std::string_view::npos;
      out = backslash ? "E'" : "'";
      for (char c : s) {
        if (c == '\'') out += '\'';
        if (c == '\\') out += '\\';
        out += c;
      }
      return out + "'";
    }
    case Dialect::Sqlite: {
      if (control) {
        // SQLite's string literals cannot hold NUL; a blob of the UTF-8 bytes read as text can.
        out = "CAST(X'";
        for (unsigned char c : s) out += fmt::format("{:02X}", c);
        return out + "' AS TEXT)";
      }
      out = "'";
      for (char c : s) {
        if (c == '\'') out += '\'';
        out += c;
      }
      return out + "'";
    }
    case Dialect::DuckDb: {
      // DuckDB reads backslashes literally; control characters are spelt chr(n) between
      // the quoted runs.
      std::vector<std::string> pieces;
      std::string run;
      auto flush = [&] {
        if (!run.empty()) pieces.push_back("'" + run + "'");
        run.clear();
      };
      for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
          flush();
          pieces.push_back(fmt::format("chr({})", u));
          continue;
        }
        if (c == '\'') run += '\'';
        run += c;
      }
      flush();
      if (pieces.empty()) return "''";
      for (const auto& p : pieces) out += (out.empty() ? "" : " || ") + p;
      return pieces.size() == 1 ? out : "(" + out + ")";
    }
    case Dialect::ClickHouse:
      out = "'";
      for (unsigned char c : s) {
        if (c == '\'' || c == '\\') {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02X}", c);
        } else {
          out += static_cast<char>(c);
        }
      }
      return out + "'";
  }
  return out;
}

}  // namespace seg::sql
