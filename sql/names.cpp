// Table and column names as each dialect reads them, quoted only where a bare name would not do.
#include <cctype>

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

}  // namespace seg::sql
