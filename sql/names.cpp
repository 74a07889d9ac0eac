// Table and column names as each dialect reads them, quoted only where a bare name would not do,
// and string literals spelt so that no value can leave them.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <string_view>
#include <vector>

#include "sql/sql.hpp"

namespace seg::sql {

namespace {

bool plain_identifier(std::string_view s) {
  // Words some dialect reserves or reads as a value: SQLite's keywords and PostgreSQL's
  // reserved words (DuckDB's are among them), sorted. A column named like one is quoted
  // everywhere, which every dialect reads the same; quoting one too many costs nothing, one too
  // few reads `current_timestamp` as the clock (found by a review).
  static constexpr std::string_view kReserved[] = {
      "abort", "action", "add", "after", "all", "alter", "always", "analyse", "analyze", "and", "any", "array", "as",
      "asc", "asymmetric", "attach", "authorization", "autoincrement", "before", "begin", "between", "binary", "both",
      "by", "cascade", "case", "cast", "check", "collate", "collation", "column", "commit", "concurrently", "conflict",
      "constraint", "create", "cross", "current", "current_catalog", "current_date", "current_role", "current_schema",
      "current_time", "current_timestamp", "current_user", "database", "default", "deferrable", "deferred", "delete",
      "desc", "detach", "distinct", "do", "drop", "each", "else", "end", "escape", "except", "exclude", "exclusive",
      "exists", "explain", "fail", "false", "fetch", "filter", "first", "following", "for", "foreign", "freeze", "from",
      "full", "generated", "glob", "grant", "group", "groups", "having", "if", "ignore", "ilike", "immediate", "in",
      "index", "indexed", "initially", "inner", "insert", "instead", "intersect", "into", "is", "isnull", "join", "key",
      "last", "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp", "match", "materialized",
      "natural", "no", "not", "nothing", "notnull", "null", "nulls", "of", "offset", "on", "only", "or", "order",
      "others", "outer", "over", "overlaps", "partition", "placing", "plan", "pragma", "preceding", "primary", "query",
      "raise", "range", "recursive", "references", "regexp", "reindex", "release", "rename", "replace", "restrict",
      "returning", "right", "rollback", "row", "rows", "savepoint", "select", "session_user", "set", "similar", "some",
      "symmetric", "system_user", "table", "tablesample", "temp", "temporary", "then", "ties", "to", "trailing",
      "transaction", "trigger", "true", "unbounded", "union", "unique", "update", "user", "using", "vacuum", "values",
      "variadic", "verbose", "view", "virtual", "when", "where", "window", "with", "without"};
  static_assert(std::is_sorted(std::begin(kReserved), std::end(kReserved)), "binary_search needs them sorted");
  if (s.empty() || !(std::islower(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  return !std::binary_search(std::begin(kReserved), std::end(kReserved), s);
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
