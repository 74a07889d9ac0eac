// The SQL differential test (docs/sql.md, docs/testing.md): random schemas, tables and rules;
// each table loaded into every engine under a random mapping (arrays or join tables, text
// keys or integer codes, native, text or epoch times, exact or scaled decimals), each rule
// turned into SQL for each engine (bound parameters or inline literals) and run there. The
// member ids must equal the interpreter's exactly. A second phase puts hostile strings
// (quotes, backslashes, `--`, NUL, placeholders, unicode) into data and rules: the statement
// must select exactly the rows holding the string. Rules nested in and/or up to seg's 128
// levels run among the random ones (SQLite may refuse them as too deep, E631), and a last
// phase puts `now ± d` bounds of every size seg accepts against values at the columns' edges.
//
// Usage: seg_sql_differential [--tables N] [--rules-per-table N] [--deep N] [--seed S]
//                             [--postgres CONNINFO] [--clickhouse HOST:PORT] [--duckdb SCRIPT]
// (--deep: how many rules nested up to 128 levels deep, spread over the tables; default 20.)
// SQLite (the C library) always runs; the others when named. Exit 1 on any disagreement,
// printed as a reproduction: the rule, its SQL, the rows the engines disagree on, each answer.
#include <fmt/format.h>
#include <httplib.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include <sys/wait.h>
#include <unistd.h>

#include "base/time_util.hpp"
#include "compiler/value_text.hpp"
#include "runtime/exec/evaluate.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/storage/load.hpp"
#include "sql/sql.hpp"
#include "tests/support/random_ir.hpp"

namespace seg::testing {
namespace {

using sql::Dialect;
using sql::FieldMapping;
using sql::Mapping;

// ---- the data as each engine takes it in (written here, not by the generator) -------

// A cell's value as text in the column's input form, or nullopt for NULL. Sets: one text per value.
struct CellValue {
  bool null = true;
  bool integer = false;  // bind as a 64-bit integer
  std::string text;
};

std::string sql_timestamp(int64_t t) {
  std::string s = format_timestamp(t);  // YYYY-MM-DDTHH:MM:SSZ
  s[10] = ' ';
  s.pop_back();
  return s;
}

// PostgreSQL has no year 0: seg's year 0 (astronomical) is its 1 BC, as the generator writes it.
std::string pg_timestamp(int64_t t) {
  std::string s = sql_timestamp(t);
  if (s.rfind("0000-", 0) == 0) s = "0001" + s.substr(4) + " BC";
  return s;
}

CellValue scalar_cell(const Field& f, const FieldMapping& fm, const RefCell& c, Dialect d) {
  CellValue v;
  if (c.null) return v;
  v.null = false;
  auto integer = [&](int64_t n) {
    v.integer = true;
    v.text = std::to_string(n);
  };
  switch (f.type) {
    case FieldType::Int: integer(c.num); break;
    case FieldType::Decimal:
      if (fm.scaled_decimal) integer(c.num);
      else {
        // Exactly the digits, all `scale` of them after the point.
        uint64_t u = c.num < 0 ? 0 - static_cast<uint64_t>(c.num) : static_cast<uint64_t>(c.num);
        uint64_t p = 1;
        for (int i = 0; i < f.scale; ++i) p *= 10;
        v.text = (c.num < 0 ? "-" : "") + std::to_string(u / p);
        if (f.scale) v.text += fmt::format(".{:0{}}", u % p, f.scale);
      }
      break;
    case FieldType::Timestamp:
      if (fm.time == FieldMapping::Time::Epoch) integer(c.num);
      else if (fm.time == FieldMapping::Time::Text) v.text = format_timestamp(c.num);
      else v.text = d == Dialect::Postgres ? pg_timestamp(c.num) : sql_timestamp(c.num);
      break;
    case FieldType::Bool:
      if (fm.int_bool) integer(c.num);
      else v.text = c.num ? "true" : "false";
      break;
    case FieldType::String: v.text = c.text; break;
    case FieldType::Enum:
      if (fm.codes) integer(fm.code_of.at(c.text));
      else v.text = c.text;
      break;
    case FieldType::Set: break;
  }
  (void)d;
  return v;
}

std::vector<CellValue> set_cells(const FieldMapping& fm, const RefCell& c) {
  std::vector<CellValue> out;
  for (const auto& t : c.tags) {
    CellValue v;
    v.null = false;
    if (fm.codes) {
      v.integer = true;
      v.text = std::to_string(fm.code_of.at(t));
    } else {
      v.text = t;
    }
    out.push_back(v);
  }
  return out;
}

// ---- engines -----------------------------------------------------------------------
struct Engine {
  double load_seconds = 0, query_seconds = 0;  // time spent, for the summary
  virtual ~Engine() = default;
  virtual const char* name() const = 0;
  virtual Dialect dialect() const = 0;
  virtual bool binds_parameters() const { return true; }
  virtual void execute(const std::string& sql) = 0;
  // Inserts rows: `columns` names, each row's cells (sets as arrays where `array_columns`).
  // `types`: "array", "decimal" or ""; `casts`: each column's type for engines that bind
  // text and cast (DuckDB), "" where no cast is needed.
  virtual void insert(const std::string& table, const std::vector<std::string>& columns,
                      const std::vector<std::vector<CellValue>>& rows, const std::vector<std::string>& types,
                      const std::vector<std::vector<std::vector<CellValue>>>& arrays,
                      const std::vector<std::string>& casts) = 0;
  virtual std::vector<int64_t> query(const sql::Statement& st) = 0;
  // Drops the tables of the last load.
  virtual void drop(const std::vector<std::string>& tables) {
    for (const auto& t : tables) execute("DROP TABLE IF EXISTS " + t);
  }
};

class SqliteEngine : public Engine {
 public:
  SqliteEngine() {
    if (sqlite3_open(":memory:", &db_) != SQLITE_OK) throw std::runtime_error("sqlite3_open failed");
  }
  ~SqliteEngine() override { sqlite3_close(db_); }
  const char* name() const override { return "sqlite"; }
  Dialect dialect() const override { return Dialect::Sqlite; }
  void execute(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string e = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("sqlite: " + e + "\n" + sql);
    }
  }
  void insert(const std::string& table, const std::vector<std::string>& columns,
              const std::vector<std::vector<CellValue>>& rows, const std::vector<std::string>&,
              const std::vector<std::vector<std::vector<CellValue>>>&, const std::vector<std::string>&) override {
    std::string sql = fmt::format("INSERT INTO {} ({}) VALUES (", table, fmt::join(columns, ", "));
    for (size_t i = 0; i < columns.size(); ++i) sql += fmt::format("{}?{}", i ? ", " : "", i + 1);
    sql += ")";
    sqlite3_stmt* st = prepare(sql);
    for (const auto& row : rows) {
      sqlite3_reset(st);
      for (size_t i = 0; i < row.size(); ++i) bind(st, static_cast<int>(i + 1), row[i]);
      if (sqlite3_step(st) != SQLITE_DONE) throw std::runtime_error(std::string("sqlite insert: ") + sqlite3_errmsg(db_));
    }
    sqlite3_finalize(st);
  }
  std::vector<int64_t> query(const sql::Statement& q) override {
    sqlite3_stmt* st = prepare(q.text);
    for (size_t i = 0; i < q.params.size(); ++i) {
      CellValue v{false, q.params[i].is_integer, q.params[i].value};
      bind(st, static_cast<int>(i + 1), v);
    }
    std::vector<int64_t> ids;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) ids.push_back(sqlite3_column_int64(st, 0));
    std::string err = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
    sqlite3_finalize(st);
    if (!err.empty()) throw std::runtime_error("sqlite: " + err);
    return ids;
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* prepare(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &st, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db_) + "\n" + sql);
    return st;
  }
  static void bind(sqlite3_stmt* st, int i, const CellValue& v) {
    if (v.null) sqlite3_bind_null(st, i);
    else if (v.integer) sqlite3_bind_int64(st, i, std::stoll(v.text));
    else sqlite3_bind_text(st, i, v.text.data(), static_cast<int>(v.text.size()), SQLITE_TRANSIENT);
  }
};

class PostgresEngine : public Engine {
 public:
  explicit PostgresEngine(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) throw std::runtime_error(std::string("postgres: ") + PQerrorMessage(conn_));
    execute("SET client_min_messages = warning");
  }
  ~PostgresEngine() override { PQfinish(conn_); }
  const char* name() const override { return "postgres"; }
  Dialect dialect() const override { return Dialect::Postgres; }
  void execute(const std::string& sql) override { run(sql, {}); }
  void insert(const std::string& table, const std::vector<std::string>& columns,
              const std::vector<std::vector<CellValue>>& rows, const std::vector<std::string>&,
              const std::vector<std::vector<std::vector<CellValue>>>& arrays, const std::vector<std::string>&) override {
    // One statement per 100 rows; arrays as PostgreSQL array literals.
    for (size_t start = 0; start < rows.size(); start += 100) {
      std::string sql = fmt::format("INSERT INTO {} ({}) VALUES ", table, fmt::join(columns, ", "));
      std::vector<std::optional<std::string>> params;
      for (size_t r = start; r < std::min(rows.size(), start + 100); ++r) {
        sql += r == start ? "(" : ", (";
        for (size_t i = 0; i < columns.size(); ++i) {
          sql += fmt::format("{}${}", i ? ", " : "", params.size() + 1);
          if (!arrays.empty() && !arrays[r][i].empty() ) {
            std::string lit = "{";
            for (size_t k = 0; k < arrays[r][i].size(); ++k) {
              lit += k ? ",\"" : "\"";
              for (char c : arrays[r][i][k].text) {
                if (c == '"' || c == '\\') lit += '\\';
                lit += c;
              }
              lit += '"';
            }
            params.push_back(lit + "}");
          } else if (rows[r][i].null) {
            params.push_back(std::nullopt);
          } else {
            params.push_back(rows[r][i].text);
          }
        }
        sql += ")";
      }
      run(sql, params);
    }
  }
  std::vector<int64_t> query(const sql::Statement& q) override {
    std::vector<std::optional<std::string>> params;
    for (const auto& p : q.params) params.push_back(p.value);
    PGresult* res = run_keep(q.text, params);
    std::vector<int64_t> ids;
    for (int i = 0; i < PQntuples(res); ++i) ids.push_back(std::stoll(PQgetvalue(res, i, 0)));
    PQclear(res);
    return ids;
  }

 private:
  PGconn* conn_;
  PGresult* run_keep(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    PGresult* res = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                                 nullptr, 0);
    auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      std::string e = PQresultErrorMessage(res);
      PQclear(res);
      throw std::runtime_error("postgres: " + e + sql.substr(0, 2000));
    }
    return res;
  }
  void run(const std::string& sql, const std::vector<std::optional<std::string>>& params) { PQclear(run_keep(sql, params)); }
};

class ClickHouseEngine : public Engine {
 public:
  explicit ClickHouseEngine(const std::string& host_port) {
    auto colon = host_port.rfind(':');
    client_ = std::make_unique<httplib::Client>(host_port.substr(0, colon), std::stoi(host_port.substr(colon + 1)));
    client_->set_keep_alive(true);
    client_->set_tcp_nodelay(true);  // else Nagle and delayed ACKs cost 40 ms a request
    client_->set_read_timeout(60, 0);
  }
  const char* name() const override { return "clickhouse"; }
  Dialect dialect() const override { return Dialect::ClickHouse; }
  // ClickHouse 18.16 (Debian 12's) predates server-side query parameters.
  bool binds_parameters() const override { return false; }
  void execute(const std::string& sql) override { post(sql); }
  void insert(const std::string& table, const std::vector<std::string>& columns,
              const std::vector<std::vector<CellValue>>& rows, const std::vector<std::string>& types,
              const std::vector<std::vector<std::vector<CellValue>>>& arrays, const std::vector<std::string>&) override {
    // JSONEachRow: strings as JSON strings, numbers from their text (exact decimals),
    // arrays as arrays.
    std::string body = fmt::format("INSERT INTO {} ({}) FORMAT JSONEachRow\n", table, fmt::join(columns, ", "));
    for (size_t r = 0; r < rows.size(); ++r) {
      std::string line = "{";
      for (size_t i = 0; i < columns.size(); ++i) {
        std::string key = nlohmann::json(columns[i]).dump();
        if (key.front() == '"' && columns[i].front() == '`') key = nlohmann::json(columns[i].substr(1, columns[i].size() - 2)).dump();
        line += (i ? "," : "") + key + ":";
        if (!arrays.empty() && types[i] == "array") {
          std::string a = "[";
          for (size_t k = 0; k < arrays[r][i].size(); ++k)
            a += (k ? "," : "") + (arrays[r][i][k].integer ? arrays[r][i][k].text : nlohmann::json(arrays[r][i][k].text).dump());
          line += a + "]";
        } else if (rows[r][i].null) {
          line += "null";
        } else if (rows[r][i].integer || types[i] == "decimal") {
          line += rows[r][i].text;
        } else {
          line += nlohmann::json(rows[r][i].text).dump();
        }
      }
      body += line + "}\n";
    }
    post(body);
  }
  std::vector<int64_t> query(const sql::Statement& q) override {
    std::string out = post(q.text + "\nFORMAT TabSeparated");
    std::vector<int64_t> ids;
    size_t pos = 0;
    while (pos < out.size()) {
      size_t nl = out.find('\n', pos);
      if (nl == std::string::npos) nl = out.size();
      if (nl > pos) ids.push_back(std::stoll(out.substr(pos, nl - pos)));
      pos = nl + 1;
    }
    return ids;
  }

 private:
  std::unique_ptr<httplib::Client> client_;
  std::string post(const std::string& body) {
    auto res = client_->Post("/", body, "text/plain");
    if (!res) throw std::runtime_error("clickhouse: no answer over HTTP");
    if (res->status != 200) throw std::runtime_error("clickhouse: " + res->body + body.substr(0, 2000));
    return res->body;
  }
};

// DuckDB through its Node.js client (tests/sql/duckdb_engine.mjs), one process driven
// over pipes: a JSON request per line, a JSON answer per line.
class DuckDbEngine : public Engine {
 public:
  explicit DuckDbEngine(const std::string& script) {
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) throw std::runtime_error("duckdb: pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("duckdb: fork failed");
    if (pid_ == 0) {
      dup2(to_child[0], 0);
      dup2(from_child[1], 1);
      close(to_child[1]);
      close(from_child[0]);
      execlp("node", "node", script.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    out_ = fdopen(to_child[1], "w");
    in_ = fdopen(from_child[0], "r");
    request({{"op", "exec"}, {"sql", "SELECT 1"}});  // fails here when node or the package is missing
  }
  ~DuckDbEngine() override {
    if (out_) fclose(out_);
    if (in_) fclose(in_);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }
  const char* name() const override { return "duckdb"; }
  Dialect dialect() const override { return Dialect::DuckDb; }
  void execute(const std::string& sql) override { request({{"op", "exec"}, {"sql", sql}}); }
  void insert(const std::string& table, const std::vector<std::string>& columns,
              const std::vector<std::vector<CellValue>>& rows, const std::vector<std::string>& types,
              const std::vector<std::vector<std::vector<CellValue>>>& arrays,
              const std::vector<std::string>& casts) override {
    for (size_t start = 0; start < rows.size(); start += 100) {
      std::string sql = fmt::format("INSERT INTO {} ({}) VALUES ", table, fmt::join(columns, ", "));
      nlohmann::json params = nlohmann::json::array();
      for (size_t r = start; r < std::min(rows.size(), start + 100); ++r) {
        sql += r == start ? "(" : ", (";
        for (size_t i = 0; i < columns.size(); ++i) {
          sql += fmt::format("{}${}{}", i ? ", " : "", params.size() + 1, casts.empty() || casts[i].empty() ? "" : "::" + casts[i]);
          if (!types.empty() && types[i] == "array") {
            nlohmann::json l = nlohmann::json::array();
            for (const auto& v : arrays[r][i]) l.push_back(param(v));
            params.push_back({{"l", l}, {"t", casts[i] == "BIGINT[]" ? "BIGINT" : "VARCHAR"}});
          } else {
            params.push_back(param(rows[r][i]));
          }
        }
        sql += ")";
      }
      request({{"op", "run"}, {"sql", sql}, {"params", params}});
    }
  }
  std::vector<int64_t> query(const sql::Statement& q) override {
    nlohmann::json params = nlohmann::json::array();
    for (const auto& p : q.params) params.push_back(param(CellValue{false, p.is_integer, p.value}));
    nlohmann::json answer = request({{"op", "query"}, {"sql", q.text}, {"params", params}});
    std::vector<int64_t> ids;
    for (const auto& id : answer["ids"]) ids.push_back(std::stoll(id.get<std::string>()));
    return ids;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  FILE* in_ = nullptr;
  static nlohmann::json param(const CellValue& v) {
    if (v.null) return nullptr;
    if (v.integer) return {{"i", v.text}};
    return {{"s", v.text}};
  }
  nlohmann::json request(const nlohmann::json& req) {
    std::string line = req.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict) + "\n";
    if (fwrite(line.data(), 1, line.size(), out_) != line.size() || fflush(out_) != 0)
      throw std::runtime_error("duckdb: the node process is gone");
    std::string answer;
    int c;
    while ((c = fgetc(in_)) != EOF && c != '\n') answer += static_cast<char>(c);
    if (answer.empty()) throw std::runtime_error("duckdb: no answer (is `npm ci` done in tests/sql?)");
    nlohmann::json j = nlohmann::json::parse(answer);
    if (!j["ok"].get<bool>()) throw std::runtime_error("duckdb: " + j["error"].get<std::string>() + "\n" + req.value("sql", "").substr(0, 2000));
    return j;
  }
};

// ---- one table, many rules ------------------------------------------------------------

struct Failure {
  std::string text;
};

// A random mapping for `dialect`: sets in arrays or join tables, dictionaries as keys or
// codes, times native, text or epoch, decimals exact or scaled, bools native or 0/1.
Mapping random_mapping(const RefTable& table, Dialect dialect, Rng& rng) {
  const Schema& s = table.schema;
  Mapping m = sql::default_mapping(s, dialect);
  m.table = rng.chance(0.2) ? "Client Table" : "clients";
  for (size_t i = 0; i < s.fields.size(); ++i) {
    const Field& f = s.fields[i];
    FieldMapping& fm = m.fields[i];
    if (rng.chance(0.15) && static_cast<int>(i) != s.id_field) fm.column = "Col " + f.name;  // needs quoting
    if (f.type == FieldType::Set && dialect != Dialect::Sqlite) fm.join = rng.chance(0.3);
    if (fm.join) {
      fm.join_table = "client_" + f.name;
      fm.join_key = m.fields[static_cast<size_t>(s.id_field)].column;
    }
    if (f.is_dictionary() && rng.chance(0.3)) {
      fm.codes = true;
      // Codes for every value the schema or the data has, spread out and not in key order.
      std::set<std::string> keys;
      for (const auto& v : f.dict.values()) keys.insert(v.key);
      for (const auto& row : table.rows) {
        if (f.type == FieldType::Set)
          for (const auto& t : row[i].tags) keys.insert(t);
        else if (!row[i].null)
          keys.insert(row[i].text);
      }
      int64_t code = rng.between(-50, 50);
      for (const auto& k : keys) fm.code_of[k] = (code += 1 + rng.between(0, 5)) * (rng.chance(0.5) ? 1 : 7);
      // Distinct codes: the *7 may collide; make them unique again.
      std::set<int64_t> used;
      for (auto& [k, c] : fm.code_of)
        while (!used.insert(c).second) ++c;
    }
    if (f.type == FieldType::Decimal) fm.scaled_decimal = dialect == Dialect::Sqlite || rng.chance(0.3);
    if (f.type == FieldType::Timestamp) {
      bool epoch = rng.chance(0.3);
      fm.time = epoch ? FieldMapping::Time::Epoch : dialect == Dialect::Sqlite ? FieldMapping::Time::Text : FieldMapping::Time::Native;
    }
    if (f.type == FieldType::Bool) fm.int_bool = dialect != Dialect::Postgres && dialect != Dialect::DuckDb ? true : rng.chance(0.5);
  }
  return m;
}

// Loads `table` into `e` under `m`; returns the tables made (to drop later).
std::vector<std::string> load(Engine& e, const RefTable& table, const Mapping& m) {
  const Schema& s = table.schema;
  std::vector<std::string> made;
  auto ddl = sql::create_tables(s, m, e.dialect());
  // Drop first (a failed earlier round may have left them).
  made.push_back(sql::qualified_name(m.table, e.dialect()));
  for (size_t i = 0; i < s.fields.size(); ++i)
    if (s.fields[i].type == FieldType::Set && m.fields[i].join) made.push_back(sql::qualified_name(m.fields[i].join_table, e.dialect()));
  e.drop(made);
  for (const auto& st : ddl) e.execute(st);
  std::vector<std::string> columns, types, casts;
  std::vector<size_t> fields;
  for (size_t i = 0; i < s.fields.size(); ++i) {
    if (s.fields[i].type == FieldType::Set && m.fields[i].join) continue;
    columns.push_back(sql::quote_identifier(m.fields[i].column, e.dialect()));
    const Field& f = s.fields[i];
    const FieldMapping& fm = m.fields[i];
    types.push_back(f.type == FieldType::Set ? "array" : f.type == FieldType::Decimal && !fm.scaled_decimal ? "decimal" : "");
    std::string cast;
    if (f.type == FieldType::Set) cast = fm.codes ? "BIGINT[]" : "VARCHAR[]";
    else if (f.type == FieldType::Decimal && !fm.scaled_decimal) cast = fmt::format("DECIMAL(18, {})", f.scale);
    else if (f.type == FieldType::Timestamp && fm.time == FieldMapping::Time::Native) cast = "TIMESTAMP";
    else if (f.type == FieldType::Bool && !fm.int_bool) cast = "BOOLEAN";
    casts.push_back(cast);
    fields.push_back(i);
  }
  std::vector<std::vector<CellValue>> rows;
  std::vector<std::vector<std::vector<CellValue>>> arrays;
  for (const auto& row : table.rows) {
    std::vector<CellValue> cells;
    std::vector<std::vector<CellValue>> arr;
    for (size_t i : fields) {
      if (s.fields[i].type == FieldType::Set) {
        CellValue empty_marker;
        empty_marker.null = false;
        cells.push_back(empty_marker);
        arr.push_back(set_cells(m.fields[i], row[i]));
      } else {
        cells.push_back(scalar_cell(s.fields[i], m.fields[i], row[i], e.dialect()));
        arr.emplace_back();
      }
    }
    rows.push_back(std::move(cells));
    arrays.push_back(std::move(arr));
  }
  bool any_array = std::find(types.begin(), types.end(), "array") != types.end();
  if (any_array && e.dialect() == Dialect::Postgres) {
    // Empty arrays: PostgreSQL's literal for them.
    for (size_t r = 0; r < rows.size(); ++r)
      for (size_t i = 0; i < columns.size(); ++i)
        if (types[i] == "array" && arrays[r][i].empty()) rows[r][i].text = "{}";
  }
  if (!rows.empty()) e.insert(made[0], columns, rows, types, any_array ? arrays : std::vector<std::vector<std::vector<CellValue>>>{}, casts);
  for (size_t i = 0; i < s.fields.size(); ++i) {
    if (s.fields[i].type != FieldType::Set || !m.fields[i].join) continue;
    std::vector<std::vector<CellValue>> jrows;
    for (const auto& row : table.rows)
      for (const auto& v : set_cells(m.fields[i], row[i]))
        jrows.push_back({CellValue{false, true, std::to_string(row[static_cast<size_t>(s.id_field)].num)}, v});
    std::vector<std::string> jcols = {sql::quote_identifier(m.fields[i].join_key, e.dialect()),
                                      sql::quote_identifier(m.fields[i].column, e.dialect())};
    if (!jrows.empty()) e.insert(sql::qualified_name(m.fields[i].join_table, e.dialect()), jcols, jrows, {"", ""}, {}, {});
  }
  return made;
}

std::string table_row_csv(const RefTable& t, int64_t id) {
  std::string out;
  for (const auto& row : t.rows) {
    if (row[static_cast<size_t>(t.schema.id_field)].num != id) continue;
    for (size_t f = 0; f < row.size(); ++f) {
      const RefCell& c = row[f];
      out += f ? "," : "";
      if (t.schema.fields[f].type == FieldType::Set) out += fmt::format("{}", fmt::join(c.tags, "|"));
      else if (c.null) out += "";
      else if (t.schema.fields[f].type == FieldType::String || t.schema.fields[f].is_dictionary()) out += quote_string(c.text);
      else out += std::to_string(c.num);
    }
  }
  return out;
}

// The interpreter's members of `rule`, sorted.
std::vector<int64_t> interpreter_ids(const ir::Node& rule, const rt::Store& store, int64_t now = kRandomNow) {
  rt::Plan plan = rt::build_plan(rule, store, now);
  rt::EvalOptions eo;
  eo.want_rows = true;
  std::vector<int64_t> ids = rt::evaluate(plan, store, eo).ids;
  std::sort(ids.begin(), ids.end());
  return ids;
}

// Runs `rule` on `e`: its members (sorted) or the error, and the statement.
struct EngineAnswer {
  std::optional<sql::Statement> statement;
  std::vector<int64_t> ids;
  std::string error;
  bool too_deep = false;  // no SQL: E631, deeper than the dialect's parser reads (SQLite)
};
EngineAnswer ask(Engine& e, const ir::Node& rule, const Schema& schema, const Mapping& m, bool inline_values,
                 int64_t now = kRandomNow) {
  EngineAnswer a;
  sql::Options o;
  o.dialect = e.dialect();
  o.shape = sql::Shape::Select;
  o.inline_values = inline_values;
  o.now = now;
  Diagnostics d;
  a.statement = sql::generate(rule, schema, m, o, d);
  if (!a.statement) {
    a.error = "no SQL: " + (d.list().empty() ? std::string("?") : d.list()[0].message);
    a.too_deep = !d.list().empty() && d.list()[0].code == "E631" &&
                 d.list()[0].message.find("levels of parentheses") != std::string::npos;
    return a;
  }
  auto t0 = std::chrono::steady_clock::now();
  try {
    a.ids = e.query(*a.statement);
    std::sort(a.ids.begin(), a.ids.end());
  } catch (const std::exception& ex) {
    a.error = ex.what();
  }
  e.query_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return a;
}

// A smaller rule that still disagrees: greedily the rule's own parts (a child of an and, or
// or not), or an and/or without one of its children, while the engine still disagrees.
ir::Node shrink(ir::Node rule, Engine& e, const Schema& schema, const Mapping& m, const rt::Store& store, bool inline_values) {
  auto disagrees = [&](const ir::Node& r) {
    EngineAnswer a = ask(e, r, schema, m, inline_values);
    return !a.error.empty() || a.ids != interpreter_ids(r, store);
  };
  for (int steps = 0; steps < 200; ++steps) {
    if (rule.children.empty()) break;
    bool smaller = false;
    for (const auto& c : rule.children)
      if (disagrees(c)) {
        rule = ir::Node(c);
        smaller = true;
        break;
      }
    if (!smaller && rule.children.size() > 2) {
      for (size_t i = 0; i < rule.children.size() && !smaller; ++i) {
        ir::Node fewer = rule;
        fewer.children.erase(fewer.children.begin() + static_cast<std::ptrdiff_t>(i));
        if (disagrees(fewer)) {
          rule = std::move(fewer);
          smaller = true;
        }
      }
    }
    if (!smaller) break;
  }
  return rule;
}

struct Stats {
  size_t rules = 0, statements = 0, nonempty = 0, partial = 0;
  size_t deep = 0, deep_refused = 0, deepest_sqlite = 0;  // deep rules; SQLite's E631; its deepest written
  size_t now_edges = 0;                                    // statements of the `now ± d` phase
};

// ---- deep and/or -----------------------------------------------------------------------
// A rule nested `levels` deep in alternating and/or (up to seg's 128 levels as rule text):
// each level one to three random conditions beside the part below, sometimes more than 64
// (written in groups), the part below anywhere among them. SQLite writes such a rule in its
// shallowest form or refuses it (E631); the other engines read seg's deepest rules.
ir::Node deep_rule(const RefTable& table, Rng& rng, size_t levels, const Limits& limits = {}) {
  // A condition the generator does not fold to true or false (which would fold its level
  // and all below it away), as far as SQLite's default mapping tells.
  Mapping m = sql::default_mapping(table.schema, Dialect::Sqlite);
  auto condition = [&] {
    for (int attempt = 0;; ++attempt) {
      ir::Node c = random_rule(table, rng, 1);
      sql::Options o;
      o.dialect = Dialect::Sqlite;
      o.shape = sql::Shape::Where;
      o.inline_values = true;
      o.now = kRandomNow;
      Diagnostics d;
      auto st = sql::generate(c, table.schema, m, o, d);
      if (attempt == 20 || (st && st->text != "1" && st->text != "0")) return c;
    }
  };
  ir::Node r = random_rule(table, rng, 2);
  for (size_t i = 0; i < levels; ++i) {
    ir::Node n;
    n.kind = i % 2 ? ir::Kind::And : ir::Kind::Or;
    size_t width = rng.chance(0.05) ? 65 + rng.below(8) : 1 + rng.below(3);
    for (size_t k = 0; k < width; ++k) n.children.push_back(condition());
    n.children.insert(n.children.begin() + static_cast<std::ptrdiff_t>(rng.below(width + 1)), r);
    if (ir::printed_depth(n, table.schema) > limits.max_depth) break;  // seg's own limit (E402)
    r = std::move(n);
  }
  return r;
}

bool check_table(std::vector<std::unique_ptr<Engine>>& engines, uint64_t seed, size_t rows, size_t rules, size_t deep,
                 Stats& stats) {
  Rng rng(seed);
  Schema schema = random_schema(rng);
  RefTable table = random_table(schema, rows, rng);
  std::string csv = table_csv(table, rng);
  auto loaded = rt::load_csv_text(csv, "random.csv", schema);
  if (!loaded.ok()) {
    fmt::print(stderr, "seed {}: the random table does not load: {}\n", seed, loaded.errors.at(0).to_string());
    return false;
  }
  std::vector<Mapping> mappings;
  std::vector<std::vector<std::string>> made;
  for (auto& e : engines) {
    mappings.push_back(random_mapping(table, e->dialect(), rng));
    try {
      auto t0 = std::chrono::steady_clock::now();
      made.push_back(load(*e, table, mappings.back()));
      e->load_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } catch (const std::exception& ex) {
      fmt::print(stderr, "seed {}: loading the table into {} failed: {}\n", seed, e->name(), ex.what());
      return false;
    }
  }
  bool ok = true;
  for (size_t i = 0; i < rules + deep && ok; ++i) {
    // The random rules, then `deep` rules nested from 1 to 128 levels.
    bool is_deep = i >= rules;
    size_t levels = is_deep ? 1 + rng.below(128) : 0;
    ir::Node rule = is_deep ? deep_rule(table, rng, levels) : random_rule(table, rng, 1 + static_cast<int>(rng.below(4)));
    std::vector<int64_t> want = interpreter_ids(rule, *loaded.store);
    ++stats.rules;
    stats.deep += is_deep;
    stats.nonempty += !want.empty();
    stats.partial += !want.empty() && want.size() < rows;
    for (size_t k = 0; k < engines.size(); ++k) {
      Engine& e = *engines[k];
      bool inline_values = !e.binds_parameters() || rng.chance(0.5);
      EngineAnswer a = ask(e, rule, schema, mappings[k], inline_values);
      if (a.statement) ++stats.statements;
      if (is_deep && e.dialect() == Dialect::Sqlite) {
        if (a.too_deep && ir::printed_depth(rule, schema) > 25) {  // refused, and only past where it used to fail
          ++stats.deep_refused;
          continue;
        }
        if (a.error.empty()) stats.deepest_sqlite = std::max(stats.deepest_sqlite, ir::printed_depth(rule, schema));
      }
      if (a.error.empty() && a.ids == want) continue;
      ok = false;
      // The reproduction: the smallest part of the rule that still disagrees, its SQL, the
      // rows it disagrees on and each side's answer.
      ir::Node small = shrink(rule, e, schema, mappings[k], *loaded.store, inline_values);
      std::vector<int64_t> small_want = interpreter_ids(small, *loaded.store);
      EngineAnswer b = ask(e, small, schema, mappings[k], inline_values);
      std::string repro = fmt::format("seed {} ({} rows), rule {}: {} disagrees with the interpreter\n  rule: {}\n",
                                      seed, rows, i, e.name(), ir::print_rule(rule, schema));
      repro += fmt::format("  smallest part that still disagrees: {}\n  SQL:\n{}", ir::print_rule(small, schema),
                           b.statement ? sql::script_text(*b.statement) : "(none)\n");
      if (!b.error.empty()) {
        repro += "  error: " + b.error + "\n";
      } else {
        std::vector<int64_t> only_seg, only_sql;
        std::set_difference(small_want.begin(), small_want.end(), b.ids.begin(), b.ids.end(), std::back_inserter(only_seg));
        std::set_difference(b.ids.begin(), b.ids.end(), small_want.begin(), small_want.end(), std::back_inserter(only_sql));
        std::string header;
        for (const auto& f : schema.fields) header += (header.empty() ? "" : ",") + f.name;
        repro += fmt::format("  the rows they disagree on:\n    {}\n", header);
        for (int64_t id : only_seg) repro += fmt::format("    {}   <- seg selects it, {} does not\n", table_row_csv(table, id), e.name());
        for (int64_t id : only_sql) repro += fmt::format("    {}   <- {} selects it, seg does not\n", table_row_csv(table, id), e.name());
        repro += "  schema: " + schema_to_json(schema) + "\n";
      }
      fmt::print(stderr, "{}", repro);
      break;
    }
  }
  for (size_t k = 0; k < engines.size(); ++k) {
    try {
      engines[k]->drop(made[k]);
    } catch (const std::exception&) {
    }
  }
  return ok;
}

// ---- `now ± d` at the edges -------------------------------------------------------------
// Bounds `now ± d` for every kind of offset seg accepts (up to 10,000 years either way), with
// `now` at 2026, in year 0 and at the end of 9999, on a timestamp column mapped natively
// (text in SQLite) and as epoch seconds, holding values at the edges of what the column can
// hold and next to each bound. PostgreSQL's timestamps start at 4714 BC: `now - 7000y` failed
// there with "timestamp out of range" (found by a review).
Schema now_schema() {
  Schema s;
  s.name = "now_edges";
  Field id, t;
  id.name = "id";
  id.type = FieldType::Int;
  t.name = "t";
  t.type = FieldType::Timestamp;
  t.nullable = true;
  s.fields = {id, t};
  s.id_field = 0;
  return s;
}

// The seconds a column of `fm` holds in `d`, as the data a user loads can have them.
std::pair<int64_t, int64_t> storable(Dialect d, const FieldMapping& fm) {
  if (fm.time == FieldMapping::Time::Native) {
    if (d == Dialect::ClickHouse) return {0, days_from_civil(2106, 1, 1) * kSecondsPerDay - 1};
    // Year 0 too: PostgreSQL holds it as 1 BC (pg_timestamp), DuckDB as year 0.
  }
  return {kFirstWritableSecond, kLastWritableSecond};
}

bool check_now_edges(Engine& e, Stats& stats) {
  constexpr int64_t kYear = 365 * kSecondsPerDay + kSecondsPerDay / 4;
  constexpr int64_t kMaxOffset = int64_t{10000} * 366 * kSecondsPerDay;  // seg's limit (E109)
  constexpr int64_t kPgFirst = -210866803200;                            // 4714-11-24 00:00:00 BC
  const int64_t nows[] = {kRandomNow, kFirstWritableSecond, kLastWritableSecond};
  std::vector<int64_t> offsets = {0, 1, -1, kSecondsPerDay, -kSecondsPerDay, -2026 * kYear, -6700 * kYear,
                                  -6740 * kYear, -7000 * kYear, -9999 * kYear, -10000 * kYear, -kMaxOffset,
                                  7000 * kYear, 9999 * kYear, 10000 * kYear, kMaxOffset};
  // From 2026: just past PostgreSQL's first second, on it and before it; on year 1 and year 0.
  for (int64_t target : {kPgFirst - 1, kPgFirst, kPgFirst + 1, days_from_civil(1, 1, 1) * kSecondsPerDay,
                         days_from_civil(1, 1, 1) * kSecondsPerDay - 1, kFirstWritableSecond})
    offsets.push_back(target - kRandomNow);
  Schema schema = now_schema();
  for (bool epoch : {false, true}) {
    Mapping m = sql::default_mapping(schema, e.dialect());
    m.table = "now_edges";
    m.fields[1].time = epoch ? FieldMapping::Time::Epoch
                             : e.dialect() == Dialect::Sqlite ? FieldMapping::Time::Text : FieldMapping::Time::Native;
    auto [first, last] = storable(e.dialect(), m.fields[1]);
    // Rows: the column's edges, a few values between, and each bound's neighbours.
    std::set<int64_t> values = {first, first + 1, last - 1, last, 0, kRandomNow};
    for (int64_t now : nows)
      for (int64_t off : offsets)
        for (int64_t delta : {-1, 0, 1}) {
          __int128 v = static_cast<__int128>(now) + off + delta;
          if (v >= first && v <= last) values.insert(static_cast<int64_t>(v));
        }
    RefTable table;
    table.schema = schema;
    int64_t id = 0;
    for (int64_t v : values) {
      RefRow row(2);
      row[0].null = false;
      row[0].num = ++id;
      row[1].null = false;
      row[1].num = v;
      table.rows.push_back(row);
    }
    RefRow null_row(2);
    null_row[0].null = false;
    null_row[0].num = ++id;
    table.rows.push_back(null_row);
    Rng rng(7);
    auto loaded = rt::load_csv_text(table_csv(table, rng), "now_edges.csv", schema);
    if (!loaded.ok()) {
      fmt::print(stderr, "now edges: the table does not load: {}\n", loaded.errors.at(0).to_string());
      return false;
    }
    std::vector<std::string> made;
    try {
      made = load(e, table, m);
    } catch (const std::exception& ex) {
      fmt::print(stderr, "now edges: loading into {} failed: {}\n", e.name(), ex.what());
      return false;
    }
    for (int64_t now : nows)
      for (int64_t off : offsets) {
        // `t >= now + off`, `t <= now + off`, between it and now, and each one negated.
        ir::Node at_least, at_most, between;
        for (ir::Node* n : {&at_least, &at_most, &between}) {
          n->kind = ir::Kind::Range;
          n->field = 1;
        }
        at_least.lo = {off, true};
        at_most.hi = {off, true};
        between.lo = {std::min<int64_t>(off, 0), true};
        between.hi = {std::max<int64_t>(off, 0), true};
        for (const ir::Node* n : {&at_least, &at_most, &between})
          for (bool negated : {false, true}) {
            ir::Node rule = negated ? ir::Node::negate(*n) : *n;
            bool inline_values = !e.binds_parameters() || (off & 1) != negated;
            std::vector<int64_t> want = interpreter_ids(rule, *loaded.store, now);
            EngineAnswer a = ask(e, rule, schema, m, inline_values, now);
            ++stats.now_edges;
            if (a.error.empty() && a.ids == want) continue;
            fmt::print(stderr, "now edges: {} ({} column, now {}) disagrees with the interpreter on {}\n{}  want {} rows, got {}{}\n",
                       e.name(), epoch ? "epoch" : "timestamp", format_timestamp(now), ir::print_rule(rule, schema),
                       a.statement ? sql::script_text(*a.statement) : "(no SQL)\n", want.size(), a.ids.size(),
                       a.error.empty() ? "" : "\n  error: " + a.error.substr(0, 400));
            return false;
          }
      }
    try {
      e.drop(made);
    } catch (const std::exception&) {
    }
  }
  return true;
}

// ---- hostile strings ------------------------------------------------------------------

std::string hostile_string(Rng& rng, bool allow_nul) {
  static const char* const kPieces[] = {"'", "''", "\"", "\\", "\\'", "--", "/*", "*/", ";", "$1", "?1", "{p1:String}",
                                        "%", "_", " ", "\n", "\t", "\r", "\x01", "\x7f", "é", "€", "😀", "a", "B",
                                        "DROP TABLE clients", ")", "(", ",", "E'", "X'41'", "\\x41", "\\0"};
  std::string s;
  size_t n = rng.below(6);
  for (size_t i = 0; i < n; ++i) {
    if (allow_nul && rng.chance(0.05)) s += std::string(1, '\0');  // between pieces: the text stays UTF-8
    s += kPieces[rng.below(std::size(kPieces))];
  }
  return s;
}

// A table of hostile strings (a string field and a tag set); each rule names some of them
// and must select exactly the rows holding them.
bool check_strings(Engine& e, uint64_t seed, size_t rounds, Stats& stats) {
  Rng rng(seed);
  bool nul = e.dialect() != Dialect::Postgres;  // PostgreSQL text cannot hold NUL
  for (size_t round = 0; round < rounds; ++round) {
    Schema s = strings_schema();
    RefTable t;
    t.schema = s;
    std::vector<std::string> pool;
    for (int i = 0; i < 12; ++i) {
      std::string v = hostile_string(rng, nul);
      if (std::find(pool.begin(), pool.end(), v) == pool.end()) pool.push_back(v);
    }
    for (size_t r = 0; r < 30; ++r) {
      RefRow row(3);
      row[0].null = false;
      row[0].num = static_cast<int64_t>(r) + 1;
      if (!rng.chance(0.1)) {
        row[1].null = false;
        row[1].text = pool[rng.below(pool.size())];
      }
      row[2].null = false;
      for (int k = 0; k < 2; ++k) {
        std::string v = pool[rng.below(pool.size())];
        if (std::find(row[2].tags.begin(), row[2].tags.end(), v) == row[2].tags.end()) row[2].tags.push_back(v);
      }
      t.rows.push_back(std::move(row));
    }
    Mapping m = random_mapping(t, e.dialect(), rng);
    for (auto& fm : m.fields) fm.codes = false;  // the strings themselves go into the statement
    std::vector<std::string> made;
    try {
      made = load(e, t, m);
    } catch (const std::exception& ex) {
      fmt::print(stderr, "strings seed {} round {}: loading into {} failed: {}\n", seed, round, e.name(), ex.what());
      return false;
    }
    for (int q = 0; q < 10; ++q) {
      ir::Node n;
      n.field = rng.chance(0.5) ? 1 : 2;
      n.kind = n.field == 1 ? ir::Kind::In : ir::Kind::SetAny;
      size_t k = 1 + rng.below(2);
      std::set<std::string> want_values;
      for (size_t j = 0; j < k; ++j) want_values.insert(pool[rng.below(pool.size())]);
      for (const auto& v : want_values) (n.field == 1 ? n.values.names : n.values.unknown).push_back(v);
      n.values.normalize();
      std::vector<int64_t> want;
      for (const auto& row : t.rows) {
        bool hit = n.field == 1 ? !row[1].null && want_values.count(row[1].text)
                                : std::any_of(row[2].tags.begin(), row[2].tags.end(), [&](const std::string& x) { return want_values.count(x) > 0; });
        if (hit) want.push_back(row[0].num);
      }
      sql::Options o;
      o.dialect = e.dialect();
      o.inline_values = !e.binds_parameters() || rng.chance(0.7);
      Diagnostics d;
      auto st = sql::generate(n, s, m, o, d);
      ++stats.statements;
      std::vector<int64_t> got;
      std::string error;
      if (!st) {
        error = d.list().empty() ? "no SQL" : d.list()[0].message;
      } else {
        try {
          got = e.query(*st);
          std::sort(got.begin(), got.end());
        } catch (const std::exception& ex) {
          error = ex.what();
        }
      }
      if (error.empty() && got == want) continue;
      std::string values;
      for (const auto& v : want_values) values += " " + nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      fmt::print(stderr, "strings seed {} round {}: {} selects other rows than the ones holding{}\n{}  want {} got {}{}\n",
                 seed, round, e.name(), values, st ? sql::script_text(*st) : "", fmt::join(want, ","), fmt::join(got, ","),
                 error.empty() ? "" : "\n  error: " + error);
      return false;
    }
    try {
      e.drop(made);
    } catch (const std::exception&) {
    }
  }
  return true;
}

int run(int argc, char** argv) {
  size_t tables = 100, rules = 20, deep = 20;
  uint64_t seed = 1;
  std::string pg, clickhouse, duckdb;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "{} needs a value\n", a);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--tables") tables = std::stoul(next());
    else if (a == "--rules-per-table") rules = std::stoul(next());
    else if (a == "--deep") deep = std::stoul(next());
    else if (a == "--seed") seed = std::stoull(next());
    else if (a == "--postgres") pg = next();
    else if (a == "--clickhouse") clickhouse = next();
    else if (a == "--duckdb") duckdb = next();
    else {
      fmt::print(stderr, "usage: seg_sql_differential [--tables N] [--rules-per-table N] [--deep N] [--seed S] [--postgres CONNINFO] [--clickhouse HOST:PORT] [--duckdb tests/sql/duckdb_engine.mjs]\n");
      return 2;
    }
  }
  std::vector<std::unique_ptr<Engine>> engines;
  try {
    engines.push_back(std::make_unique<SqliteEngine>());
    if (!pg.empty()) engines.push_back(std::make_unique<PostgresEngine>(pg));
    if (!clickhouse.empty()) engines.push_back(std::make_unique<ClickHouseEngine>(clickhouse));
    if (!duckdb.empty()) engines.push_back(std::make_unique<DuckDbEngine>(duckdb));
  } catch (const std::exception& ex) {
    fmt::print(stderr, "{}\n", ex.what());
    return 2;
  }
  Stats stats;
  bool ok = true;
  for (size_t t = 0; t < tables && ok; ++t) {
    Rng pick(seed * 1000 + t);
    size_t rows = 1 + pick.below(160);
    size_t deep_here = ((t + 1) * deep) / tables - (t * deep) / tables;  // `deep` in all, spread over the tables
    ok = check_table(engines, seed * 1000 + t, rows, rules, deep_here, stats);
  }
  for (auto& e : engines) ok = ok && check_strings(*e, seed, tables / 2 + 1, stats);
  for (auto& e : engines) ok = ok && check_now_edges(*e, stats);
  std::string names;
  for (auto& e : engines)
    names += fmt::format("{}{} (loading {:.1f} s, queries {:.1f} s)", names.empty() ? "" : ", ", e->name(), e->load_seconds,
                         e->query_seconds);
  fmt::print("{}: {} rules ({} selecting some, {} some but not all; {} nested 1 to 128 levels, {} of them too deep for "
             "SQLite, which took up to {}), {} statements and {} at the edges of `now ± d` over {}: {}\n",
             ok ? "ok" : "FAILED", stats.rules, stats.nonempty, stats.partial, stats.deep, stats.deep_refused,
             stats.deepest_sqlite, stats.statements, stats.now_edges, names,
             ok ? "every engine selected exactly the interpreter's members" : "see the reproduction above");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace seg::testing

int main(int argc, char** argv) { return seg::testing::run(argc, argv); }
