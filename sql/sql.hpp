// IR -> SQL for PostgreSQL, SQLite, DuckDB and ClickHouse: a WHERE expression, a SELECT of
// member ids or a count, over the tables a mapping describes, with seg's meaning exactly
// (nulls, sets, whole days, `now`, exact decimals). docs/sql.md has each dialect's translation.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/diagnostics.hpp"
#include "base/limits.hpp"
#include "compiler/ir.hpp"
#include "schema/schema.hpp"

namespace seg::sql {

enum class Dialect { Postgres, Sqlite, DuckDb, ClickHouse };
std::optional<Dialect> parse_dialect(std::string_view name);  // postgres, sqlite, duckdb, clickhouse
const char* dialect_name(Dialect d);

// How one field is stored. A field the mapping file does not mention gets the dialect's
// default (default_mapping): a column of its own name, text keys, arrays (join tables in
// SQLite), native exact decimals and timestamps (text and integer units in SQLite).
struct FieldMapping {
  std::string column;  // in the main table; for a join table, its value column
  // Set fields: an array column, or a join table (key column = the client's id).
  bool join = false;
  std::string join_table, join_key;
  // Dictionaries: text keys, or integer codes (key -> code; keys without a code match nobody).
  bool codes = false;
  std::unordered_map<std::string, int64_t> code_of;
  // Decimals: the engine's exact decimal type, or an integer of units of 10^-scale (cents).
  bool scaled_decimal = false;
  // Timestamps: the engine's timestamp (UTC), `YYYY-MM-DDTHH:MM:SSZ` text, or epoch seconds.
  enum class Time { Native, Text, Epoch } time = Time::Native;
  // Bools: the engine's boolean, or 0/1.
  bool int_bool = false;
};

struct Mapping {
  std::string table = "clients";
  std::vector<FieldMapping> fields;  // one per schema field, in schema order
};

Mapping default_mapping(const Schema& schema, Dialect dialect);
// A mapping file (docs/sql.md) over the dialect's defaults; errors carry JSON paths (E6xx).
std::optional<Mapping> parse_mapping(std::string_view json, const Schema& schema, Dialect dialect,
                                     Diagnostics& diags, const Limits& limits = {});

enum class Shape { Where, Select, Count };

struct Options {
  Dialect dialect = Dialect::Postgres;
  Shape shape = Shape::Select;
  bool inline_values = false;  // literals in the text (escaped) instead of parameters
  // The clock for `now ± d` bounds: the value of the `now` parameter (or the inlined literal).
  int64_t now = 0;
};

// One bound parameter: its placeholder as the statement writes it ($1, ?1, {p1:Int64}), its
// SQL type, and its value as text (what a client library binds; integers in decimal, decimals
// exactly, timestamps in the form the column holds).
struct Param {
  std::string placeholder;
  std::string type;
  std::string value;
  bool is_integer = false;  // bind as a 64-bit integer (SQLite), not as text
};

struct Statement {
  std::string text;  // indented, one condition a line; no trailing semicolon
  std::vector<Param> params;
};

// The statement for `rule` (optimized IR of `schema`); nullopt with E63x diagnostics when the
// dialect or mapping cannot say a part of it.
std::optional<Statement> generate(const ir::Node& rule, const Schema& schema, const Mapping& mapping,
                                  const Options& options, Diagnostics& diags);

// A table or column name as the dialect reads it: bare when it is a plain lower-case
// identifier and no keyword, quoted otherwise ("Stage", `weird name` in ClickHouse).
std::string quote_identifier(std::string_view name, Dialect dialect);
// A table name that may be schema-qualified ("crm.clients"): each part quoted on its own.
std::string qualified_name(std::string_view name, Dialect dialect);

// A string as a literal of the dialect, whatever it holds (PostgreSQL: no NUL, which its
// text cannot hold; the caller refuses it): E'' in PostgreSQL when there is a backslash, a
// text cast of X'' in SQLite for control characters, chr(n) pieces in DuckDB, backslash
// escapes in ClickHouse.
std::string string_literal(std::string_view s, Dialect dialect);

// CREATE TABLE statements for the tables `mapping` describes (the main table, and a join
// table per set stored in one), typed as docs/sql.md says: what a user loads data into.
std::vector<std::string> create_tables(const Schema& schema, const Mapping& mapping, Dialect dialect);

// A PostgreSQL SELECT that reads the table `mapping` describes back as seg's CSV loader reads
// it: a column per field under its name, sets `|`-separated (with `\|` and `\\` escaped),
// UTC timestamps as YYYY-MM-DDTHH:MM:SSZ, exact decimals, dictionary keys.
std::string read_back_query(const Schema& schema, const Mapping& mapping);

// The statement as a client of each engine's command-line shell runs it: the text, a `;`, and
// the parameters as comments (`-- $1 = 'NotProcessed'`) when there are any.
std::string script_text(const Statement& s);

}  // namespace seg::sql
