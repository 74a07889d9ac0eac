// SQL generation (sql/): whatever a value holds, it cannot change the statement. The first
// byte picks the dialect, the field (a string column or a tag set) and whether values are
// inlined; the rest is the value. Inline: the statement is the one written for the value `x`
// with only that literal replaced, and the literal, read back by this file's own reader of
// the dialect's string syntax, is the value. Bound: the text does not change at all and the
// parameter carries the value. SQLite also runs the statement over rows holding the value
// and near misses, and must select exactly the rows holding it.
#include <sqlite3.h>

#include <cstring>

#include "sql/sql.hpp"
#include "tests/support/random_ir.hpp"
#include "tests/fuzz/fuzz.hpp"

namespace {

using namespace seg;
using sql::Dialect;

const Schema& schema() {
  static const Schema s = seg::testing::strings_schema();
  return s;
}

ir::Node rule_for(const std::string& v, int field) {
  ir::Node n;
  n.field = field;
  n.kind = field == 1 ? ir::Kind::In : ir::Kind::SetAny;
  (field == 1 ? n.values.names : n.values.unknown).push_back(v);
  return n;
}

// Reads one string-valued expression of the dialect from `t` (all of it), as the engine would.
bool read_literal(Dialect d, std::string_view t, std::string& out) {
  out.clear();
  auto quoted = [&](std::string_view& rest, bool backslashes) {
    if (rest.empty() || rest[0] != '\'') return false;
    size_t i = 1;
    while (i < rest.size()) {
      char c = rest[i];
      if (c == '\'') {
        if (i + 1 < rest.size() && rest[i + 1] == '\'') {
          out += '\'';
          i += 2;
          continue;
        }
        rest.remove_prefix(i + 1);
        return true;
      }
      if (backslashes && c == '\\') {
        if (i + 1 >= rest.size()) return false;
        char e = rest[i + 1];
        if (e == 'x' && d == Dialect::ClickHouse) {
          if (i + 3 >= rest.size()) return false;
          out += static_cast<char>(std::stoi(std::string(rest.substr(i + 2, 2)), nullptr, 16));
          i += 4;
          continue;
        }
        if (e != '\\' && e != '\'') return false;  // the generator writes no other escape
        out += e;
        i += 2;
        continue;
      }
      out += c;
      ++i;
    }
    return false;
  };
  std::string_view rest = t;
  switch (d) {
    case Dialect::Postgres: {
      bool e = rest.size() > 1 && rest[0] == 'E';
      if (e) rest.remove_prefix(1);
      return quoted(rest, e) && rest.empty();
    }
    case Dialect::ClickHouse: return quoted(rest, true) && rest.empty();
    case Dialect::Sqlite: {
      const char* pre = "CAST(X'";
      if (rest.substr(0, std::strlen(pre)) == pre) {
        rest.remove_prefix(std::strlen(pre));
        size_t end = rest.find('\'');
        if (end == std::string_view::npos || rest.substr(end) != "' AS TEXT)" || end % 2) return false;
        for (size_t i = 0; i < end; i += 2) out += static_cast<char>(std::stoi(std::string(rest.substr(i, 2)), nullptr, 16));
        return true;
      }
      return quoted(rest, false) && rest.empty();
    }
    case Dialect::DuckDb: {
      bool paren = !rest.empty() && rest[0] == '(';
      if (paren) {
        if (rest.back() != ')') return false;
        rest = rest.substr(1, rest.size() - 2);
      }
      while (true) {
        if (rest.substr(0, 4) == "chr(") {
          size_t end = rest.find(')');
          if (end == std::string_view::npos) return false;
          out += static_cast<char>(std::stoi(std::string(rest.substr(4, end - 4))));
          rest.remove_prefix(end + 1);
        } else if (!quoted(rest, false)) {
          return false;
        }
        if (rest.empty()) return true;
        if (rest.substr(0, 4) != " || ") return false;
        rest.remove_prefix(4);
      }
    }
  }
  return false;
}

// Runs the SQLite statement over rows holding the value and near misses: exactly rows 1 and
// 2 (the value in the string column, or among the tags) must come back.
void run_in_sqlite(const sql::Statement& st, const std::string& v, int field) {
  sqlite3* db = nullptr;
  sqlite3_open(":memory:", &db);
  sqlite3_exec(db, "CREATE TABLE clients (id INTEGER PRIMARY KEY, s TEXT); CREATE TABLE client_tags (id INTEGER, tags TEXT)",
               nullptr, nullptr, nullptr);
  std::string misses[] = {v + "'", "'" + v, v + "\\", v.empty() ? std::string("x") : v.substr(1), v + std::string(1, '\0')};
  auto add = [&](int id, const std::string& value) {
    sqlite3_stmt* ins = nullptr;
    const char* sql = field == 1 ? "INSERT INTO clients VALUES (?1, ?2)" : "INSERT INTO client_tags VALUES (?1, ?2)";
    sqlite3_prepare_v2(db, sql, -1, &ins, nullptr);
    sqlite3_bind_int(ins, 1, id);
    sqlite3_bind_text(ins, 2, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    sqlite3_step(ins);
    sqlite3_finalize(ins);
    if (field != 1) {
      std::string row = "INSERT OR IGNORE INTO clients (id) VALUES (" + std::to_string(id) + ")";
      sqlite3_exec(db, row.c_str(), nullptr, nullptr, nullptr);
    }
  };
  add(1, v);
  add(2, v);
  int id = 3;
  for (const auto& m : misses)
    if (m != v) add(id++, m);
  sqlite3_stmt* q = nullptr;
  int rc = sqlite3_prepare_v2(db, st.text.c_str(), static_cast<int>(st.text.size()), &q, nullptr);
  SEG_FUZZ_CHECK(rc == SQLITE_OK, std::string("SQLite cannot prepare the statement: ") + sqlite3_errmsg(db) + "\n" + st.text);
  for (size_t i = 0; i < st.params.size(); ++i)
    sqlite3_bind_text(q, static_cast<int>(i + 1), st.params[i].value.data(), static_cast<int>(st.params[i].value.size()),
                      SQLITE_TRANSIENT);
  std::vector<int64_t> got;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) got.push_back(sqlite3_column_int64(q, 0));
  SEG_FUZZ_CHECK(rc == SQLITE_DONE, std::string("SQLite failed running the statement: ") + sqlite3_errmsg(db));
  sqlite3_finalize(q);
  sqlite3_close(db);
  SEG_FUZZ_CHECK((got == std::vector<int64_t>{1, 2}), "SQLite selects other rows than the two holding the value\n" + st.text);
}

}  // namespace

SEG_FUZZ_TARGET(sql) {
  if (size < 1) return 0;
  const Dialect dialects[] = {Dialect::Postgres, Dialect::Sqlite, Dialect::DuckDb, Dialect::ClickHouse};
  Dialect d = dialects[data[0] & 3];
  int field = (data[0] >> 2) & 1 ? 2 : 1;
  bool inline_values = (data[0] >> 3) & 1;
  std::string v(reinterpret_cast<const char*>(data + 1), size - 1);

  sql::Mapping m = sql::default_mapping(schema(), d);
  sql::Options o;
  o.dialect = d;
  o.inline_values = inline_values;
  Diagnostics dv, dx;
  auto with_v = sql::generate(rule_for(v, field), schema(), m, o, dv);
  auto with_x = sql::generate(rule_for("x", field), schema(), m, o, dx);
  SEG_FUZZ_CHECK(with_x.has_value(), "no statement for the value x");
  bool nul = v.find('\0') != std::string::npos;
  if (d == Dialect::Postgres && nul) {
    SEG_FUZZ_CHECK(!with_v && !dv.list().empty() && dv.list()[0].code == "E631", "PostgreSQL took a NUL");
    return 0;
  }
  SEG_FUZZ_CHECK(with_v.has_value(), "no statement for the value");
  if (!inline_values) {
    SEG_FUZZ_CHECK(with_v->text == with_x->text, "a bound value changed the statement\n" + with_v->text);
    SEG_FUZZ_CHECK(with_v->params.size() == 1 && with_v->params[0].value == v, "the parameter does not carry the value");
  } else {
    size_t at = with_x->text.find("'x'");
    SEG_FUZZ_CHECK(at != std::string::npos && with_x->text.find("'x'", at + 1) == std::string::npos,
                   "the value x is not one literal 'x'\n" + with_x->text);
    std::string before = with_x->text.substr(0, at), after = with_x->text.substr(at + 3);
    const std::string& t = with_v->text;
    SEG_FUZZ_CHECK(t.size() >= before.size() + after.size() && t.compare(0, before.size(), before) == 0 &&
                       t.compare(t.size() - after.size(), after.size(), after) == 0,
                   "the value changed the statement around its literal\n" + t);
    std::string lit = t.substr(before.size(), t.size() - before.size() - after.size()), back;
    SEG_FUZZ_CHECK(read_literal(d, lit, back), "the literal is not one string of the dialect: " + lit);
    SEG_FUZZ_CHECK(back == v, "the literal reads back as another string: " + lit);
  }
  if (d == Dialect::Sqlite) run_in_sqlite(*with_v, v, field);
  return 0;
}
