// seg's public C++ API: the only header a host program needs. Compile a rule (from text, the
// segment form, IR JSON, react-querybuilder or JsonLogic), open a store (snapshot, CSV or
// JSON Lines), prepare the rule against it and run it for a count, ids, a page of typed rows
// or an explain tree. Errors are data (Diagnostic), never exceptions or printing.
//
// Thread safety: Schema, Rule, Store and Query are immutable once made. One Store may be
// shared by any number of threads, each running any Query prepared against it, at once.
// Copies are cheap (shared ownership); a Query keeps its Store alive.
#pragma once
#include <cstdint>
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

namespace seg::api {

enum class Severity { Error, Warning };

// One problem with a rule, a JSON document or a data file, in one shape for all three.
struct Diagnostic {
  Severity severity = Severity::Error;
  std::string code;        // stable: E1xx-E6xx rules and JSON, E7xx/W7xx data (docs/diagnostics.md)
  std::string message;
  std::string suggestion;  // may be empty
  std::string source;      // "<rule>", a file name, "<stdin>"
  uint64_t line = 0;       // 1-based; 0 when not about a line
  uint32_t column = 0;     // 1-based, in characters; 0 when not about a column
  uint32_t end_column = 0; // rule text: one past the span's last column (same line)
  std::string json_path;   // JSON documents: RFC 6901 pointer; empty otherwise
  std::string field;       // data: the column or member the problem is in
  bool is_error() const { return severity == Severity::Error; }
};

// "source:line:column: error[CODE]: message" (and "help: suggestion").
SEG_API std::string to_string(const Diagnostic& d);

class SEG_API Schema {
 public:
  // The bundled reference CRM schema.
  static Schema crm();
  // A schema JSON document (docs/runtime.md); nullopt with diagnostics on errors.
  static std::optional<Schema> from_json(std::string_view json, std::vector<Diagnostic>& diagnostics);
  std::string to_json() const;
  std::vector<std::string> field_names() const;

  struct Impl;
  std::shared_ptr<const Impl> impl;
};

// How a rule is given.
enum class RuleFormat { Text, Form, IrJson, QueryBuilder, JsonLogic };

// A compiled rule: its optimized IR, canonical text, hash and a readable summary.
class SEG_API Rule {
 public:
  static Rule compile(std::string_view source, const Schema& schema, RuleFormat format = RuleFormat::Text);

  bool ok() const;  // no errors (warnings allowed)
  const std::vector<Diagnostic>& diagnostics() const;
  // Empty unless ok().
  const std::string& canonical_text() const;
  std::string ir_json(int indent = -1) const;
  uint64_t hash() const;  // equal for rules of equal meaning after optimization
  const std::string& summary() const;

  struct Impl;
  std::shared_ptr<const Impl> impl;
};

struct OpenOptions {
  bool skip_bad_rows = false;  // count and skip bad rows instead of stopping
  bool verify = true;          // snapshots: check every section's checksum
  // Bytes read and the total (0 when unknown), now and then during long loads.
  std::function<void(uint64_t bytes, uint64_t total)> progress;
};

// Client data in columns, immutable once opened.
class SEG_API Store {
 public:
  // A snapshot (its own schema), CSV or JSON Lines (of `schema`); "-" is stdin. Load
  // errors come back as diagnostics (E7xx with file:line), warnings too (W701).
  static std::optional<Store> open(const std::string& path, const Schema& schema, std::vector<Diagnostic>& diagnostics,
                                   const OpenOptions& options = {});
  uint64_t rows() const;
  Schema schema() const;  // with the values loading added to open dictionaries
  uint64_t rows_skipped() const;

  struct Impl;
  std::shared_ptr<const Impl> impl;
};

// A typed cell: null, an integer (ints, bools as 0/1), exact text (decimals, timestamps,
// dictionary keys, strings) or a set's values.
using Value = std::variant<std::monostate, int64_t, bool, std::string, std::vector<std::string>>;

struct Page {
  std::vector<std::string> columns;     // field names, the id field first
  std::vector<std::vector<Value>> rows;
};

struct ExplainNode {
  std::string label;   // what the node tests
  std::string op;      // and, or, not, range, in, tag_any, ...
  uint64_t rows_in = 0, rows_out = 0;
  double ms = 0;
  uint64_t blocks = 0, zone_skipped = 0;
  double estimated_selectivity = 0;
  std::vector<ExplainNode> children;
};

struct RunOptions {
  unsigned threads = 1;
  std::optional<int64_t> now;  // seconds since the epoch for `now`; the clock when unset
};

struct Result {
  uint64_t count = 0;
  uint64_t rows_total = 0;
  uint64_t checksum = 0;  // sum of member ids mod 2^64
  double elapsed_ms = 0;
};

// A rule bound to a store: checked that the store's schema is the rule's.
class SEG_API Query {
 public:
  static std::optional<Query> prepare(const Rule& rule, const Store& store, std::vector<Diagnostic>& diagnostics);

  Result count(const RunOptions& options = {}) const;
  std::vector<int64_t> ids(const RunOptions& options = {}) const;  // sorted
  Page rows(uint64_t offset, uint64_t limit, const RunOptions& options = {}) const;
  ExplainNode explain(const RunOptions& options = {}) const;

  struct Impl;
  std::shared_ptr<const Impl> impl;
};

SEG_API const char* version();

}  // namespace seg::api
