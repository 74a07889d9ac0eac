// seg's public C++ API: the only header a host program needs. Compile a rule (from text, the
// segment form, IR JSON, react-querybuilder or JsonLogic), open a store (snapshot, CSV or
// JSON Lines), prepare the rule against it and run it for a count, ids, a page of typed rows
// or an explain tree. Errors in what a call is given (rules, data, documents) are data
// (Diagnostic), never printing; exceptions only for misuse a call names (a read-only
// membership changed, queries of different stores compared, a segment it does not have) and
// std::bad_alloc.
//
// Compiles as C++17 or later (the library itself is C++20); seg.h is the C API.
//
// A default-made or moved-from Schema, Rule, Store, Query, MemberCursor, Membership,
// LiveMembership, LiveMembership::View or EventReader is empty: assign to it or destroy it.
// Any of its methods throws std::logic_error naming the call (0.8.0; some crashed before).
// Handed to a factory (Rule::compile, Store::open, Query::prepare, LiveMembership::create,
// sql_create_tables) an empty one is an E808 diagnostic; complete() with an empty Schema
// offers nothing.
//
// Thread safety: Schema, Rule, Store and Query are immutable once made. One Store may be
// shared by any number of threads, each running any Query prepared against it, at once.
// Copies are cheap (shared ownership); a Query keeps its Store alive.
#pragma once
#include <cstdint>
#include <stdexcept>  // the std::logic_error and std::out_of_range this header promises
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// Symbols the shared library exports (everything else in it is hidden).
#if defined(_WIN32)
#define SEG_API
#else
#define SEG_API __attribute__((visibility("default")))
#endif
// The classes' private state: not exported, though the classes are (their `impl` members are
// public so the library's own files reach them; a host never names one).
#if defined(_WIN32)
#define SEG_HIDDEN
#else
#define SEG_HIDDEN __attribute__((visibility("hidden")))
#endif

namespace seg::api {

enum class Severity { Error, Warning };
// What a diagnostic is about: rule text (a span), a JSON document (a path) or data (file:line).
enum class Subject { Rule, Json, Data };

// One problem with a rule, a JSON document or a data file, in one shape for all three.
struct Diagnostic {
  Subject subject = Subject::Rule;
  Severity severity = Severity::Error;
  std::string code;        // stable: E1xx-E6xx rules and JSON, E7xx/W7xx data (docs/diagnostics.md)
  std::string message;
  std::string suggestion;  // may be empty
  std::optional<std::string> fix;  // rule text: the suggestion as an edit, replacing [offset, end_offset)
  std::string source;      // "<rule>", a file name, "<stdin>"
  uint64_t line = 0;       // 1-based; 0 when not about a line
  uint32_t column = 0;     // 1-based, in characters; 0 when not about a column
  uint32_t end_column = 0; // rule text: one past the span's last column (same line)
  std::string json_path;   // JSON documents: RFC 6901 pointer; empty otherwise
  bool whole_document = false;  // JSON documents: about the document as a whole (json_path "")
  std::string field;       // data: the column or member the problem is in
  uint32_t offset = 0, end_offset = 0;  // rule text: the span in bytes, half-open
  bool io = false;         // data: the input could not be read or written at all (not bad content)
  bool is_error() const { return severity == Severity::Error; }
};

// One line: "source:line:column: error[CODE]: message" for rules and JSON, "file:line: column
// 3 (stage): error[E706]: message" for data; then "help: suggestion" on a line of its own when
// there is one.
SEG_API std::string to_string(const Diagnostic& d);
// As a compiler shows them: location, the source line and a caret under the span, the help
// line; `text` is the rule the diagnostics are about (data diagnostics print as to_string).
// `first_line`: the line of the file `source_name` that `text` starts on, for a rule read from
// a file of several: the lines shown are the file's (the diagnostics' own count from the rule).
SEG_API std::string render_text(const std::vector<Diagnostic>& diagnostics, std::string_view source_name,
                                std::string_view text, bool color = false, uint32_t first_line = 1);
// One JSON array for a UI: rules {code, severity, line, column, end_line, end_column, begin,
// end, path, message, suggestion, fix}; data {code, severity, file, line, column, field, message,
// suggestion}, each member only where there is something to say.
// (`indent` here and below: -1 for one line, else spaces, at most 16: more counts as 16.)
SEG_API std::string render_json(const std::vector<Diagnostic>& diagnostics, std::string_view text, int indent = -1);

enum class FieldType { Int, Decimal, Timestamp, Bool, String, Enum, Set };
SEG_API const char* type_name(FieldType t);  // "int", "decimal", ... as schema JSON writes them

struct DictionaryValue {
  std::string key;    // what rules and data write
  std::string label;  // what a person sees (the key when the schema gives none)
};

// One field as a UI or a REPL shows it.
struct FieldInfo {
  std::string name;
  std::vector<std::string> aliases;
  FieldType type = FieldType::Int;
  int scale = 0;          // decimals: digits after the point
  bool nullable = false;
  bool identifies = false;  // the client id field (members are reported by it)
  bool ordered = false;     // enum: compared in dictionary order (the funnel)
  bool open = false;        // dictionary takes unknown values (tags)
  std::vector<DictionaryValue> values;  // enum and set fields, in dictionary order
  std::vector<std::string> operators;   // what rule text may use on it: "=", "in", "any", "between", ...
};

class SEG_API Schema {
 public:
  // The bundled reference CRM schema.
  static Schema crm();
  // A schema JSON document (docs/runtime.md); nullopt with diagnostics on errors.
  static std::optional<Schema> from_json(std::string_view json, std::vector<Diagnostic>& diagnostics);
  std::string to_json() const;
  std::vector<std::string> field_names() const;
  std::vector<FieldInfo> fields() const;
  // A field by name or alias, case-insensitive; nullopt when there is none.
  std::optional<size_t> find(std::string_view name) const;
  // Names and aliases close to `name`, closest first, for "did you mean".
  std::vector<std::string> suggest(std::string_view name, size_t max = 1) const;
  // The field a segment form's section fills ("stages", "tags", "spot", "players": the
  // form's JSON members, docs/service.md); nullopt when the schema has none or `section` is
  // not one.
  std::optional<size_t> form_field(std::string_view section) const;

  struct SEG_HIDDEN Impl;
  std::shared_ptr<const Impl> impl;
};

// How a rule is given.
enum class RuleFormat { Text, Form, IrJson, QueryBuilder, JsonLogic };

// How Rule::export_as writes a rule.
struct ExportOptions {
  // Rule builders have no clock: a `now ± d` bound is exported at this time (seconds since the
  // epoch) when given, and refused (E620) otherwise.
  std::optional<int64_t> now;
  int indent = -1;  // JSON indentation; -1 for one line, else spaces (at most 16: more counts as 16)
};

// SQL for a database that holds the clients (docs/sql.md): the same members as seg selects.
enum class SqlDialect { Postgres, Sqlite, DuckDb, ClickHouse };
// "postgres", "sqlite", "duckdb", "clickhouse"; nullopt for another name.
SEG_API std::optional<SqlDialect> sql_dialect(std::string_view name);

struct SqlOptions {
  SqlDialect dialect = SqlDialect::Postgres;
  // The mapping file's JSON (table, columns, how sets, dictionaries, decimals and times are
  // stored); empty for the default: one table `clients`, a column per field (docs/sql.md).
  std::string mapping_json;
  enum class Shape { Select, Count, Where } shape = Shape::Select;  // member ids, count(*), or the condition
  bool inline_values = false;  // literals in the text instead of bound parameters
  // The value of the `now` parameter for `now ± d` bounds (seconds since the epoch); the
  // current time when absent.
  std::optional<int64_t> now;
};

struct SqlParam {
  std::string placeholder;  // as the statement writes it: $1, ?1, {p1:Int64}
  std::string type;         // its SQL type
  std::string value;        // as text: integers in decimal, decimals exactly, times as the column holds them
  bool integer = false;     // a 64-bit integer (bind it as one where the driver asks)
};

struct SqlStatement {
  std::string text;  // indented, one condition a line, no trailing `;`
  std::vector<SqlParam> params;
  // The text with `;` and the parameters as `--` comments, as `seg sql` prints it.
  SEG_API std::string script() const;
  // {"sql": text, "params": [{"placeholder", "type", "value", "integer"}]}, one line: what
  // `seg sql --format json`, the service and seg_rule_sql answer.
  SEG_API std::string json() const;
};

// CREATE TABLE statements for the tables `options.mapping_json` (or the default mapping)
// describes, typed for the dialect: what to load data into. nullopt with E630 diagnostics.
SEG_API std::optional<std::vector<std::string>> sql_create_tables(const Schema& schema, const SqlOptions& options,
                                                                  std::vector<Diagnostic>& diagnostics);

// A compiled rule: its optimized IR, canonical text, hash and a readable summary.
class SEG_API Rule {
 public:
  // `source_name` names the source in diagnostics ("<rule>", a file name, "<stdin>").
  static Rule compile(std::string_view source, const Schema& schema, RuleFormat format = RuleFormat::Text,
                      std::string_view source_name = {});

  bool ok() const;  // no errors (warnings allowed)
  const std::vector<Diagnostic>& diagnostics() const;
  // Empty unless ok().
  const std::string& canonical_text() const;
  std::string ir_json(int indent = -1) const;
  // Equal for rules of equal meaning after optimization, compiled against the same schema: it
  // hashes the schema's dictionary codes, so across schemas (two stores' own, whose open
  // dictionaries grew apart) equal rules may hash apart and different ones alike. The
  // canonical text is what compares across schemas (docs/decisions.md, 111).
  uint64_t hash() const;
  // Whether the rule names `now` (`registered_at >= now - 30d`): its members move with the
  // clock, so a count of it holds only for the instant it was made at.
  bool uses_now() const;
  // Its top-level conditions as canonical text: the parts of its outermost `and`, or the whole
  // rule when it is not one (`spot between 3 and 7` is one). What a version history lists as
  // added and removed, and what Diff explains by. Empty unless ok(). (0.4.0)
  std::vector<std::string> clauses() const;
  const std::string& summary() const;
  const std::string& title() const;  // the form's title (RuleFormat::Form); empty otherwise
  // The IR as an indented tree for people (`seg ir`, `seg form`).
  std::string ir_tree() const;
  // The segment form JSON that means this rule, when the rule has the form's shape
  // (stage in, tag any, spot =, player in, each at most once, joined by and); otherwise
  // nullopt with `why` saying which part a form cannot show.
  std::optional<std::string> form_json(std::string& why, int indent = -1) const;
  // The rule in another format: react-querybuilder or JsonLogic JSON with seg's meaning kept,
  // nulls included (docs/interop.md); also Text (canonical text), IrJson and Form. nullopt with
  // an E620 diagnostic naming the part the format cannot say, or E801 for a rule that did not
  // compile (as to_sql and Query::prepare).
  std::optional<std::string> export_as(RuleFormat format, std::vector<Diagnostic>& diagnostics,
                                       const ExportOptions& options = {}) const;
  // The rule as SQL for a database (docs/sql.md); nullopt with diagnostics (E601 for a mapping
  // that is not JSON; E630, E603, E605 or E613 for the mapping, with JSON paths; E631 for what
  // the dialect cannot say; E801 for a rule that did not compile).
  std::optional<SqlStatement> to_sql(const SqlOptions& options, std::vector<Diagnostic>& diagnostics) const;

  struct SEG_HIDDEN Impl;
  std::shared_ptr<const Impl> impl;
};

struct OpenOptions {
  bool skip_bad_rows = false;  // count and skip bad rows instead of stopping
  bool verify = true;          // snapshots: check every section's checksum
  // Bytes read and the total (0 when unknown), now and then during long loads.
  std::function<void(uint64_t bytes, uint64_t total)> progress;
  // Asked as often as `progress`: returning true stops the load, which then fails with E718
  // (a shell's Ctrl-C; a service's shutdown).
  std::function<bool()> cancelled;
  // A snapshot brings its own schema. Set this (to the schema's file name) when the schema
  // passed to open() was chosen on purpose: a snapshot of another schema is then E717.
  std::string expected_schema_name;
  // Rows loaded (CSV, JSON Lines, PostgreSQL) keep offsets of two bytes or more as byte
  // slices, which range tests read a byte at a time, 1-byte offsets of at most 5 bits as bit
  // planes, a bit a row each, and columns of long runs of equal steps as those runs
  // (docs/runtime.md). false keeps them whole, as snapshots before version 3: for
  // comparisons. A snapshot opens as written.
  bool slices = true;
};

// What a successful open did besides loading: rows skipped (with their first reasons),
// warnings (W701), new values of open dictionaries, bytes and time.
struct LoadReport {
  uint64_t rows_skipped = 0;
  std::vector<Diagnostic> skipped_reasons;
  std::vector<Diagnostic> warnings;
  std::vector<std::string> added_values;  // "field: value"
  uint64_t bytes = 0;
  double seconds = 0;
};

// Client data in columns, immutable once opened.
class SEG_API Store {
 public:
  // A snapshot (its own schema), CSV or JSON Lines (of `schema`); "-" is stdin. Load
  // errors come back as diagnostics (E7xx with file:line), warnings too (W701).
  static std::optional<Store> open(const std::string& path, const Schema& schema, std::vector<Diagnostic>& diagnostics,
                                   const OpenOptions& options = {});
  // Whether `path` is a snapshot (it starts with a snapshot's magic; false when it cannot be
  // read): a snapshot opens as written, so OpenOptions::slices does not apply to it.
  static bool is_snapshot(const std::string& path);
  // Client data from the CRM's PostgreSQL (docs/sql.md, "Loading from PostgreSQL"): a table
  // read back through a mapping, or a query whose columns are the fields as the CSV loader
  // reads them, streamed (COPY) with bounded memory. Rows are numbered as CSV lines in
  // "postgres:TABLE"; the row errors are the CSV loader's; a connection, query or copy
  // failure is E701 and nothing is kept.
  struct PostgresSource {
    std::string conninfo;      // libpq: "host=/run/postgresql dbname=crm", "postgresql://…"
    std::string table;         // default: the mapping's table (`clients`)
    std::string query;         // instead of a table
    std::string mapping_json;  // empty: the default PostgreSQL mapping
  };
  static std::optional<Store> open_postgres(const PostgresSource& source, const Schema& schema,
                                            std::vector<Diagnostic>& diagnostics, const OpenOptions& options = {});
  uint64_t rows() const;
  Schema schema() const;  // with the values loading added to open dictionaries
  uint64_t rows_skipped() const;
  const LoadReport& report() const;
  uint64_t data_bytes() const;  // resident bytes of the columns

  // How many clients have each value of a dictionary field (in dictionary order), then
  // "(null)" (enum) or "(none)" (set, no values) with `missing` set when the field can lack one.
  struct ValueCount {
    std::string key, label;
    uint64_t count = 0;
    bool missing = false;
  };
  // Clients per value: every value of a dictionary field, each value present of an integer
  // or bool field whose values span fewer than 256 (spot), and `(null)`/`(none)` for clients
  // without one (`missing`). Other fields: only the null count, when nullable.
  std::vector<ValueCount> value_counts(size_t field) const;
  // The smallest and largest value of a field in the data, as rule text writes them; nullopt
  // when every row is null or the field is a set.
  std::optional<std::pair<std::string, std::string>> range(size_t field) const;
  // Of `values` of an integer field, those no client has: each once, in the order given. A
  // pasted list's typos and ids since deleted, which a rule's `in` passes silently (it just
  // matches fewer): the service names a form's players no client has. nullopt when `field`
  // is not an integer field.
  std::optional<std::vector<int64_t>> absent(size_t field, const std::vector<int64_t>& values) const;
  // Writes a snapshot atomically (temporary file, fsync, rename; "-" is stdout). False with
  // an E714 diagnostic on an I/O problem.
  bool write_snapshot(const std::string& path, std::vector<Diagnostic>& diagnostics) const;

  struct SEG_HIDDEN Impl;
  std::shared_ptr<const Impl> impl;
};

// A typed cell: null, an integer (ints, bools as 0/1), exact text (decimals, timestamps,
// dictionary keys, strings) or a set's values.
using Value = std::variant<std::monostate, int64_t, bool, std::string, std::vector<std::string>>;

struct RunOptions {
  unsigned threads = 1;
  std::optional<int64_t> now;  // seconds since the epoch for `now`; the clock when unset
  bool want_ids = false;       // count(): also fill Result::ids
  // Run each conjunction's column tests as one kernel compiled by the JIT (LLVM 14; off by
  // default: docs/performance.md has the A/B). When it cannot, the interpreter runs the rule
  // and Result::warnings says why.
  bool jit = false;
};

struct Result {
  uint64_t count = 0;
  uint64_t rows_total = 0;
  uint64_t checksum = 0;  // sum of member ids mod 2^64
  double elapsed_ms = 0;
  std::vector<int64_t> ids;  // sorted; only with RunOptions::want_ids
  std::vector<std::string> warnings;  // e.g. the JIT asked for and not used, and why
};

struct Page {
  std::vector<std::string> columns;     // field names, the id field first
  std::vector<std::vector<Value>> rows;
  // The same cells as seg prints them: sets joined by `|` (with `|` and `\` escaped),
  // control characters escaped.
  std::vector<std::vector<std::string>> text;
  uint64_t offset = 0;  // of the first row among the members (the asked offset, at most count)
  Result result;        // of the run the page was cut from
};

// A page's cells written out, the same by every client (eval, the service's member streams):
// a printed cell as a CSV field (quoted when it holds a comma, a quote or a newline), and a
// typed cell as JSON text (null, a number, true/false, a string, an array of strings).
SEG_API std::string csv_field(std::string_view cell);
// The same for a page's cell, whose typed value says what an empty printed cell is: null is
// an empty field, the empty string `""` (as the CSV loader reads them back: docs/runtime.md).
SEG_API std::string csv_field(std::string_view cell, const Value& typed);
SEG_API std::string value_json(const Value& v);

// Pages of members as text, batch after batch, written the same by every client (`seg eval
// --rows`, the REPL's `.members`, the service's member streams):
//  - Csv: the column names as a header before the first batch (unless `header` is false; write
//    a page of no rows to have the header of no members), then a line a row, cells by csv_field;
//  - JsonLines: an object a line, {"column": value_json(cell), ...};
//  - JsonArray: those objects in one array, a line each, indented; finish() closes it ("[]" when empty).
enum class RowsFormat { Csv, JsonLines, JsonArray };
class SEG_API PageWriter {
 public:
  explicit PageWriter(RowsFormat format, bool header = true) : format_(format), header_(header) {}
  // std::invalid_argument for a page whose rows (and, for CSV, printed rows) do not each have
  // a cell a column.
  std::string write(const Page& page);
  // Rows of one int column given as numbers (a member stream of ids alone, read without
  // making a page): as write() would write a page of that column.
  std::string write_ids(std::string_view column, const std::vector<int64_t>& ids);
  std::string finish();

 private:
  std::string start(const std::vector<std::string>& columns);
  RowsFormat format_;
  bool header_;
  bool started_ = false;  // the header or the array's `[` is written
  bool any_row_ = false;
};

// A rule's hash (Rule::hash) as catalogs, JSON answers and the CLI write it: 16 lower-case hex digits.
SEG_API std::string hash_text(uint64_t hash);

struct ExplainNode {
  std::string label;   // what the node tests
  std::string op;      // and, or, not, range, in, tag_any, ...
  std::string kernel;  // how it runs ("range, 1-byte offsets", "any of 2 values")
  uint64_t rows_in = 0, rows_out = 0;
  double ms = 0;
  uint64_t blocks = 0, zone_skipped = 0;
  double estimated_selectivity = 0, estimated_cost = 0;
  std::vector<ExplainNode> children;
  // As one JSON object, every member (children only when there are some): `seg explain
  // --format json` and the service's `plan` write it through here. A membership's
  // per-clause figures (LiveMembership::View::clauses) have no kernel or estimates: "" and 0.
  SEG_API std::string json() const;
};

struct Explain {
  ExplainNode root;  // the plan in execution order
  // How the rows were reached: "scan", or the few-ids path ("rows by value index of player:
  // 2 values, 2 rows tested one by one"); docs/runtime.md.
  std::string path;
  Result result;
  uint64_t blocks = 0;
  unsigned threads = 1;
  // As `seg explain` and the REPL's `.explain` print it: a table of the nodes (rows in, rows
  // out, time, estimate, kernel, blocks the zone maps decided), the path, and a summary that
  // says why fewer threads ran than `threads_asked` (0: not said) and, with `second_run`, that
  // the figures are of a second run (the first warmed the caches, as both clients do). (0.8.0)
  SEG_API std::string text(unsigned threads_asked = 0, bool second_run = false) const;
};

// A rule bound to a store: checked that the store's schema is the rule's.
// A query's members in id order, evaluated a few blocks at a time as they are read. When the
// store's ids are in row order (snapshots of data written in id order, the reference data),
// memory stays at one batch (about a million rows' worth) whatever the number of members;
// otherwise every member is collected and sorted at the first read (16 bytes a member).
// `now` is fixed when the cursor is made, so every batch is of the same evaluation.
class SEG_API MemberCursor {
 public:
  // Up to `max` (at least 1) more members' ids; empty once every member was read.
  std::vector<int64_t> next_ids(size_t max);
  // Up to `max` more members as a page of rows; no rows once every member was read. Columns:
  // the fields at `fields` (schema positions) in that order, or when empty those of
  // Query::rows (the id field, then the others). `result` and `offset` are not filled.
  // A position past the schema throws std::out_of_range (0.8.0; it was left out).
  Page next_rows(size_t max, const std::vector<size_t>& fields = {});
  bool done();

  struct SEG_HIDDEN Impl;
  std::shared_ptr<Impl> impl;
};

class SEG_API Query {
 public:
  static std::optional<Query> prepare(const Rule& rule, const Store& store, std::vector<Diagnostic>& diagnostics);

  // The members with ids above `after` (all when unset), in id order, read a batch at a time.
  MemberCursor members(const RunOptions& options = {}, std::optional<int64_t> after = std::nullopt) const;

  Result count(const RunOptions& options = {}) const;
  // How many members have an id above `after`: what members(options, after) will hand out,
  // counted by the plan with the id's range beside the rule's tests (a stream's "members
  // left" from a cursor; the service pasted rule text for it). On a store without an id field
  // members are numbered by row from 1, as the cursor numbers them. (0.8.0)
  uint64_t count_after(int64_t after, const RunOptions& options = {}) const;
  std::vector<int64_t> ids(const RunOptions& options = {}) const;  // sorted
  Page rows(uint64_t offset, uint64_t limit, const RunOptions& options = {}) const;
  Explain explain(const RunOptions& options = {}) const;

  struct SEG_HIDDEN Impl;
  std::shared_ptr<const Impl> impl;
};

// What changing a rule would do to its members, before it is saved (`seg diff`, POST
// /api/diff): who enters, who leaves, and why, by clause. A clause is a top-level conjunct of
// a rule (the rule itself when it is not an `and`), as canonical rule text.
struct DiffClause {
  std::string text;
  uint64_t fails = 0;  // of the members counted (see Diff), how many this clause rules out
};
struct Diff {
  std::string before_text, after_text;  // the two rules as canonical text
  uint64_t before = 0, after = 0;  // members of each rule
  uint64_t entered = 0;            // members of `after` only
  uint64_t exited = 0;             // members of `before` only
  uint64_t stayed = 0;             // members of both
  std::vector<int64_t> entered_sample, exited_sample;  // the first ids of each, in id order
  // Why the leavers leave: each clause of `after`, with how many of them it rules out (a
  // leaver may fail several). Why the newcomers were out: each clause of `before`.
  std::vector<DiffClause> exited_because, entered_because;
  double elapsed_ms = 0;
  // As JSON: `before`/`after` ({text, count}), `entered`/`exited` ({count, sample, because:
  // [{clause, fails}]}), `stayed`, `elapsed_ms`: what `seg diff --format json` and the
  // service's POST /api/diff answer (each adds its own members).
  SEG_API std::string json() const;
};
// Both queries must be on the same Store (std::invalid_argument otherwise); `now` and
// `threads` of `options` apply to both, so the two sets are of one instant.
SEG_API Diff diff(const Query& before, const Query& after, const RunOptions& options = {}, size_t sample = 10);

// Many saved segments at once (docs/membership.md): every segment's members over one store
// in one shared pass (`seg refresh`), kept as compressed bitmaps (Roaring).
struct SegmentQuery {
  int64_t id = 0;  // the segment's id (the catalog's)
  Query query;
};
struct SegmentCount {
  int64_t id = 0;
  uint64_t count = 0;
};
struct RefreshStats {
  uint64_t segments = 0;  // asked for
  uint64_t distinct = 0;  // evaluated: segments of equal meaning (Rule::hash) share one
  uint64_t blocks = 0;    // blocks of 65536 rows, each read once for all segments
  uint64_t bitmap_bytes = 0;  // the members' bitmaps, serialized (0 when not kept)
  uint64_t shared_tests = 0;  // distinct tests several segments make alike, evaluated once a block
  uint64_t shared_uses = 0;   // the places in the segments' rules those served
  uint64_t column_bytes = 0;  // every column and set value the rules test, each counted once
  double elapsed_ms = 0;
  // RefreshOptions::measure_floor: this machine's single-thread streaming read (bytes a
  // second, measured after the pass) and column_bytes at that pace: the pass's floor.
  double scan_bytes_per_second = 0;
  double read_once_ms = 0;
};
struct RefreshOptions {
  // Keep every segment's members (ids(), contains()); false keeps counts only, with no
  // bitmaps to build (ids() and contains() are then std::logic_error).
  bool members = true;
  // Evaluate a test several segments make alike once a block for all of them; false
  // evaluates each segment on its own (for A/B measurements).
  bool share = true;
  // Also measure the floor the pass is compared with (RefreshStats::read_once_ms): reads
  // 512 MB five times, so for benchmarks (`seg refresh --one-by-one`), not for serving.
  bool measure_floor = false;
};
class SEG_API Membership {
 public:
  // Every query must be on the same Store (std::invalid_argument otherwise); `now` of
  // `options` is the instant of every rule. Ids may repeat only with one query each.
  static Membership refresh(const std::vector<SegmentQuery>& segments, const RunOptions& options = {},
                            const RefreshOptions& how = {});
  std::vector<SegmentCount> counts() const;  // in the order given
  // A segment's members: their count, whether a client is one, their ids (sorted). An id not
  // refreshed is std::out_of_range.
  uint64_t count(int64_t segment) const;
  bool contains(int64_t segment, int64_t client) const;
  std::vector<int64_t> ids(int64_t segment) const;
  const RefreshStats& stats() const;

  struct SEG_HIDDEN Impl;
  std::shared_ptr<const Impl> impl;
};

// Membership kept current as client data changes (docs/membership.md): a directory holding
// the base data (a snapshot), the segments' rules and a log of every change since, each
// appended and flushed to disk (fsync) before it is acknowledged. Opening replays the log, so
// a crash loses no acknowledged change; a change cut short by a crash was never acknowledged
// and is dropped. Versions count the changes (0: the base); events are numbered by them.
struct MemberEvent {
  int64_t segment = 0;
  int64_t client = 0;
  bool entered = false;  // false: exited
  uint64_t version = 0;  // of the change that caused it
  // Written out, not defaulted: the header compiles as C++17 too (a host's default standard).
  bool operator==(const MemberEvent& o) const {
    return segment == o.segment && client == o.client && entered == o.entered && version == o.version;
  }
  bool operator!=(const MemberEvent& o) const { return !(*this == o); }
};
// Events as JSON Lines, one object a line: {"segment", "client", "event": "entered" or
// "exited", "version"} (what `seg apply` prints and the C API returns).
SEG_API std::string to_json_lines(const std::vector<MemberEvent>& events);
// One event as a JSON object, appended to `out` (no newline): the one writer of its members,
// for clients that put events into documents of their own (the service's /api/events).
SEG_API void append_json(std::string& out, const MemberEvent& event);
struct ClientBatch {
  // Upserts: whole client rows (CSV with a header, or JSON Lines), replacing a client's row
  // or adding a client. Empty: none.
  std::string rows;
  std::vector<int64_t> deletes;  // client ids; ids nobody has are ignored (a batch of only those makes no version)
};
// What clock steps cost so far (since open; replayed ones included).
struct LiveStats {
  uint64_t clock_rows_tested = 0;  // base rows between a `now` bound's old and new instants, tested one by one
  uint64_t clock_full_passes = 0;  // rules evaluated over the whole base (their columns have no index)
  uint64_t compactions = 0;        // new bases written since open
  uint64_t compaction_failures = 0;   // compactions that could not be written or taken over
  std::string last_compaction_error;  // why the last of them failed
};
// One owner: a LiveMembership moves but is not copied (a copy would share its state and the
// directory's lock with the original). Its calls are one caller's at a time; a View is what
// other threads read.
class SEG_API LiveMembership {
 public:
  LiveMembership() = default;  // empty: see the top of this file
  LiveMembership(LiveMembership&&) noexcept = default;
  LiveMembership& operator=(LiveMembership&&) noexcept = default;
  LiveMembership(const LiveMembership&) = delete;
  LiveMembership& operator=(const LiveMembership&) = delete;

  // A new membership directory `dir` (made; an existing non-empty one is refused) over `base`
  // (written into it as a snapshot), for `segments` (id, rule text; every rule must compile
  // against base's schema) at instant `now`.
  static std::optional<LiveMembership> create(const std::string& dir, const Store& base,
                                              const std::vector<std::pair<int64_t, std::string>>& segments, int64_t now,
                                              std::vector<Diagnostic>& diagnostics);
  // Opens `dir` and replays its log: all of it, or up to version `at` (then read-only:
  // apply and advance throw std::logic_error). `events`, when given, receives the events of
  // the versions after `since` (`seg events --since`), from older generations' logs when
  // they are before the newest base. One process at a time changes a directory: a second
  // writable open is E803.
  static std::optional<LiveMembership> open(const std::string& dir, std::vector<Diagnostic>& diagnostics,
                                            std::optional<uint64_t> at = std::nullopt,
                                            std::vector<MemberEvent>* events = nullptr, uint64_t since = 0);
  // The same, read-only and without taking the directory from the process that changes it:
  // the newest version it has written (or `at`), for readers (`seg members`, `seg events`).
  static std::optional<LiveMembership> read(const std::string& dir, std::vector<Diagnostic>& diagnostics,
                                            std::optional<uint64_t> at = std::nullopt,
                                            std::vector<MemberEvent>* events = nullptr, uint64_t since = 0);
  // Applies one batch as one version: the changed clients are re-evaluated against every
  // segment at now(). A batch that changes no client (no rows, deletes only of ids nobody
  // has) is not logged and makes no version. Returns the entered/exited events (by segment, then client), or
  // nullopt with diagnostics when the batch is refused (bad rows, E804) or cannot be logged
  // (E701, a full disk): then nothing of it is kept. Applied, `diagnostics` may get warnings:
  // W701 (its last row has no newline: maybe cut short) and W702 (the values it added to an
  // open dictionary, such as a new tag).
  std::optional<std::vector<MemberEvent>> apply(const ClientBatch& batch, std::vector<Diagnostic>& diagnostics);
  // Moves the clock to `now` as one version: segments whose rules name `now` are
  // re-evaluated. Returns their events; the same instant again is no step (no version, no
  // events). nullopt with diagnostics when `now` is before now() or more than a year past both
  // the machine's clock and now() (E806: a step cannot be undone, so that is taken for a
  // mistake) or the step cannot be logged (E701): nothing changes then.
  std::optional<std::vector<MemberEvent>> advance(int64_t now, std::vector<Diagnostic>& diagnostics);
  // Saves segments (id, rule text: new ones, or new rules for existing ones) and removes
  // others (ids it does not have are ignored), as one version; a change that changes nothing
  // (the same canonical rules, removals of ids it does not have) makes no version. A new segment starts with its
  // members and no events; a changed rule's segment gets entered/exited events for the
  // difference; a removed one ends without events (decision 51). nullopt with diagnostics
  // when a rule does not compile, an id is given twice (E807), or the change cannot be
  // logged (E701): then nothing changes.
  std::optional<std::vector<MemberEvent>> update_segments(const std::vector<std::pair<int64_t, std::string>>& set,
                                                          const std::vector<int64_t>& remove,
                                                          std::vector<Diagnostic>& diagnostics);
  // Writes the clients' newest rows as a new base (a new generation starting at version()),
  // so later opens replay only the changes after it; older generations stay for `at` and
  // `since`. Waits for it (and for one already running). False with diagnostics (E701) when
  // it cannot be written; the membership goes on as it was.
  // apply() starts one itself when the batches' rows (or the rows no client holds any more:
  // deleted and replaced ones) pass a quarter of the base's (and 65,536 rows at least), or after 16,384 batches, on a
  // thread of its own: the membership takes changes meanwhile, and the next change after it
  // is done (or finish_compaction) takes it over (docs/membership.md, "Compaction").
  bool compact(std::vector<Diagnostic>& diagnostics);
  bool compacting() const;  // a compaction runs, or is done and not yet taken over
  // The batches' rows since the base after which apply() starts a compaction, in place of the
  // quarter of the base above (0: that default again). `seg apply --compact-after`.
  void set_compact_after(uint64_t rows);
  // Takes over the compaction apply() started: waits for it, or (`wait` false) only when it
  // is done. True when there is none or it took over; false with diagnostics when it failed
  // (or, not waiting, is still running: no diagnostics then). A process that exits after
  // apply() calls it, or the compaction's work is lost (the next one redoes it).
  bool finish_compaction(std::vector<Diagnostic>& diagnostics, bool wait = true);
  uint64_t generation() const;  // the version the base in use holds (0: the directory's first)
  // The version the newest generation of `dir` starts at (0 until a compaction): opening with
  // `since` at it replays only that generation, however many older ones the directory keeps.
  static uint64_t newest_generation(const std::string& dir);
  // The base's: what segments' rules compile against. Values the batches since added to open
  // dictionaries are known to it (a rule naming one gets no W204) without codes of their own.
  const Schema& schema() const;
  std::vector<std::pair<int64_t, std::string>> segments() const;  // id, canonical rule text
  uint64_t version() const;
  int64_t now() const;
  const LiveStats& stats() const;
  // A rule that need not be a segment (rule text, compiled against schema()) over the
  // clients as they are now, each one's newest row from the base and the batches since: the
  // count (rows_total: clients(); checksum: the ids' sum) and its first `preview` members by
  // id with their cells as they are now. What an editor shows of a rule before it is saved
  // (`seg serve --membership`'s live counts). nullopt with diagnostics when it does not compile.
  struct Selection {
    Result result;
    Page first;  // result and offset left empty
  };
  std::optional<Selection> select(const std::string& rule_text, int64_t now, uint64_t preview,
                                  std::vector<Diagnostic>& diagnostics) const;
  // What changing rule `before` into `after` would do (api::diff), over the clients as they
  // are now at instant `at`: the same clients select() counts, so an editor's change figures
  // agree with its live count. nullopt when either does not compile. The diagnostics of both
  // rules, warnings too, are appended to `diagnostics` either way, sourced `<before>` and
  // `<after>` (as `seg diff` names them).
  std::optional<Diff> diff(const std::string& before, const std::string& after, int64_t at, size_t sample,
                           std::vector<Diagnostic>& diagnostics) const;
  // The clients as they are now, frozen: select() and diff() over them, answering the same as
  // the membership's own while it goes on changing (the stores are shared, not copied; the
  // rows no client holds any more are listed). A service takes one under its lock and
  // evaluates after letting go, so changes do not wait for an editor's live count. A View
  // may be read from several threads at once.
  class SEG_API View {
   public:
    std::optional<Selection> select(const std::string& rule_text, int64_t now, uint64_t preview,
                                    std::vector<Diagnostic>& diagnostics) const;
    std::optional<Diff> diff(const std::string& before, const std::string& after, int64_t at, size_t sample,
                             std::vector<Diagnostic>& diagnostics) const;
    // The ids (sorted) of every client a rule that need not be a segment selects at instant
    // `at`: an archived segment's members, which the membership no longer keeps. nullopt with
    // diagnostics when it does not compile.
    std::optional<std::vector<int64_t>> ids(const std::string& rule_text, int64_t at,
                                            std::vector<Diagnostic>& diagnostics) const;
    // Each clause's figures over these clients at instant `at` (what Query::explain gives over
    // one store): the rule's tree as compiled, each node with `rows_in` (the clients reaching
    // it: every client at the root, what its earlier siblings passed in an `and`, what they
    // left unmatched in an `or`) and `rows_out` (those it passes), and each test's `ms`. Each
    // test is evaluated once over all the clients. nullopt with diagnostics when the rule
    // does not compile.
    std::optional<ExplainNode> clauses(const std::string& rule_text, int64_t at,
                                       std::vector<Diagnostic>& diagnostics) const;
    // Store::absent over these clients: the values of an integer field that none of them has.
    std::optional<std::vector<int64_t>> absent(size_t field, const std::vector<int64_t>& values) const;
    // Store::value_counts over these clients (as changes left them), the values the batches
    // added included. (0.5.0)
    std::vector<Store::ValueCount> value_counts(size_t field) const;
    uint64_t version() const;  // the membership's when taken
    int64_t now() const;

    struct SEG_HIDDEN Impl;
    std::shared_ptr<const Impl> impl;
  };
  View view() const;
  uint64_t clients() const;                  // clients present now
  std::vector<SegmentCount> counts() const;  // in the order segments were added
  // These three throw std::out_of_range for a segment it does not have (segments() lists them).
  uint64_t count(int64_t segment) const;
  bool contains(int64_t segment, int64_t client) const;
  std::vector<int64_t> ids(int64_t segment) const;  // sorted
  // Clients as they are now, one row for each id in the order given: the cells of `fields`
  // (schema positions; empty: every field, the id first; one past the schema throws
  // std::out_of_range, 0.8.0). An id nobody has now (deleted since the ids were read) keeps
  // its row, its id and every other cell null, so a list of members read earlier comes back
  // whole (the service's member streams page through one).
  Page rows(const std::vector<int64_t>& ids, const std::vector<size_t>& fields = {}) const;

  struct SEG_HIDDEN Impl;
  std::shared_ptr<Impl> impl;
};

// The events of a membership directory after a version, read a page at a time: each page
// replays the log on from where the last one stopped, so reading a long history costs one
// replay however many pages it takes (`seg events`; the service's /api/events before the
// events it keeps in memory). It reads: a process changing the directory goes on meanwhile,
// and each page sees the directory as it is then, its newer versions and generations
// included. Moves but is not copied. (0.6.0)
class SEG_API EventReader {
 public:
  EventReader() = default;  // empty: see the top of this file
  EventReader(EventReader&&) noexcept = default;
  EventReader& operator=(EventReader&&) noexcept = default;
  EventReader(const EventReader&) = delete;  // a copy would share its place in the log
  EventReader& operator=(const EventReader&) = delete;

  // Positioned at version `since` (its events and those before it are not read). nullopt with
  // diagnostics: E803 (not a membership directory, or no version `since` yet), E811 (the
  // generation that holds it was removed).
  static std::optional<EventReader> open(const std::string& dir, uint64_t since, std::vector<Diagnostic>& diagnostics);
  // The events of the next versions, in version order, up to version `upto` at most, stopping
  // once they number `max_events` or more (0: no limit; a version's events are never split, so
  // the last can take them past it). Empty when no newer version has events yet (version()
  // still moves over versions without any). Warnings go to `diagnostics` (W703: the log ends
  // in a record cut short that no process is writing, said once). nullopt with diagnostics
  // (E803: a damaged record, or a newer generation's gen-V.json lost; E811: a generation it
  // needs was removed) when the next version cannot be read; the events of the versions read
  // before it come first, from this call, and every later call reports the problem. A version
  // read from a live log may be one its writer then fails to make durable and cuts back (a
  // full disk): the next call reports E803 then.
  std::optional<std::vector<MemberEvent>> next(std::vector<Diagnostic>& diagnostics, size_t max_events = 0,
                                               uint64_t upto = UINT64_MAX);
  // Moves on to version `since` (not before version(): std::logic_error) without returning its
  // events: by replaying on, or from a later generation's base when one starts on the way,
  // which replays less. False with diagnostics as next() (a reader that failed stays failed),
  // or E803 when there is no version `since` yet; version() then says how far it got (it may
  // have moved on, up to the newest version).
  bool seek(uint64_t since, std::vector<Diagnostic>& diagnostics);
  uint64_t version() const;  // the last version read: the cursor that goes on from here

  struct SEG_HIDDEN Impl;
  std::shared_ptr<Impl> impl;
};

// Completion of rule text for editors and REPLs: the word before the cursor and what it can
// become (fields and aliases, operators for the field's type, its dictionary values quoted as
// rule text needs them, and/or), from the grammar's own tokens.
struct Completion {
  size_t start = 0;                  // where the word being typed starts in the text
  std::string word;
  std::vector<std::string> matches;  // in display order
  bool add_space = true;             // after a unique match (not after a value: a list goes on)
};
SEG_API Completion complete(std::string_view text_before_cursor, const Schema& schema);
// A dictionary value as rule text writes it: bare when it is an identifier, quoted otherwise.
SEG_API std::string value_as_rule_text(std::string_view key);

// A rule typed over several lines (REPLs, editors), read by the grammar's own rules.
// Does the text stop where more could finish it: a `(` left open, or a trailing `and`,
// operator or `between` bound with only blanks and comments after it? False for a rule that
// parses, or one wrong where it stands (a stray `)`; an unterminated string, as strings end on
// their line).
SEG_API bool rule_is_unfinished(std::string_view text);
// Does this line go on with the rule before it: is its first token `and` or `or` (a rule
// pasted with a condition a line)?
SEG_API bool line_continues_rule(std::string_view line);
// The text without its `--` comments (line breaks kept; a `--` inside a string stays).
SEG_API std::string without_comments(std::string_view text);

// The limits every way in applies (docs/limits.md), for hosts that bound their own inputs
// (request bodies, pasted lists) the same way.
struct Limits {
  size_t max_rule_bytes = 0;   // E401
  size_t max_json_bytes = 0;   // E405
  size_t max_list_values = 0;  // E404
  size_t max_json_depth = 0;   // E406: arrays and objects inside each other
};
SEG_API Limits limits();

// A date or timestamp as rules and data write them (`2026-10-01`, `2026-10-01T10:00:00Z`,
// `+02:00` offsets), as seconds since the epoch; nullopt when it is not one.
SEG_API std::optional<int64_t> parse_timestamp(std::string_view text);
// Seconds since the epoch as rules and data write a timestamp (`2026-10-01T10:00:00Z`).
SEG_API std::string format_timestamp(int64_t seconds);
// The system clock in seconds since the epoch: the `now` a rule is evaluated at when
// RunOptions::now is not given (clients showing or fixing `now` use the same clock).
SEG_API int64_t clock_now();
// Up to `max` of `candidates` closest to `word` (case-insensitive), only those close enough
// to help: the "did you mean" of the diagnostics, for a client's own names (its commands).
SEG_API std::vector<std::string> nearest_names(std::string_view word, const std::vector<std::string>& candidates,
                                               size_t max = 3);

SEG_API const char* version();

}  // namespace seg::api
