// Loading data into a store: CSV and JSON Lines (streamed), snapshots (read into memory,
// decision 16); bad rows
// are reported with file, line, column and reason (codes E7xx, docs/runtime.md).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.hpp"
#include "schema/schema.hpp"
#include "runtime/storage/store.hpp"

namespace seg::rt {

class Input;

struct LoadOptions {
  bool skip_bad_rows = false;  // go on past bad rows, counting them
  // Without skip_bad_rows: the help of the bad row that stopped the load, when it has no
  // other ("did you mean" comes first). Opening data says how to skip bad rows; a membership
  // batch, which cannot skip any, says nothing.
  std::string stop_hint;
  size_t max_reported = 5;     // errors kept when skipping
  // Called now and then during long loads with the bytes read and the total (0 when the
  // input's size is unknown, as for a pipe). The library itself never prints.
  std::function<void(uint64_t bytes, uint64_t total)> progress;
  // Asked as often as `progress`: true stops the load (E718), as a person's Ctrl-C does.
  std::function<bool()> cancelled;
  bool verify = true;          // snapshots: check every section's checksum (opt out: trusted storage)
  Limits limits;               // max_line_bytes (E409), max_dictionary_values (E408)
  bool slices = true;          // CSV, JSON Lines: offsets of 2+ bytes as byte slices, narrow 1-byte ones as bit planes; off for A/B
  bool frequent = true;        // CSV, JSON Lines: a bitmap of a frequent value's rows (ColumnMeta::has_frequent)
  // Ids no row may have, ascending: a row with one is bad, its error `refused_id_code` and
  // "client ID " + `refused_id_reason` at its line and id column (a membership batch's
  // deletions, which its rows may not also upsert: E804).
  std::vector<int64_t> refused_ids;
  std::string refused_id_code, refused_id_reason;
  // Every field must be given: a CSV header names each one, a JSON line has each member (null
  // for none). A membership batch's rows replace clients' rows whole, so a field left out
  // (which a data file's load reads as null) would erase what the client had: a batch of
  // `client_id,spot` wiped every client's tags, and segments' members left (found by a review).
  bool whole_rows = false;
};

struct LoadError {
  std::string code;     // E7xx, or W7xx for a warning
  bool warning = false;
  std::string file;
  uint64_t line = 0;    // 1-based; 0 when not about a line
  int column = 0;       // 1-based input column; 0 for the whole row or file
  std::string column_name;
  std::string message;
  std::string suggestion;  // "did you mean `Active`?" for a value a dictionary lacks; "" when none
  std::string to_string() const;  // "file:line: column 3 (stage): error[E706]: ..." (or warning[W701])
};

struct LoadResult {
  std::optional<Store> store;      // set unless a fatal error stopped the load
  std::vector<LoadError> errors;   // the first few bad rows (or the fatal error)
  std::vector<LoadError> warnings; // e.g. W701, a last line without a newline (maybe cut short)
  uint64_t skipped = 0;            // bad rows skipped (skip_bad_rows)
  uint64_t bytes = 0;              // input bytes read
  double seconds = 0;
  std::vector<std::string> added;  // "field: value" for each new open-dictionary value
  bool ok() const { return store.has_value(); }
};

LoadResult load_csv(const std::string& path, const Schema& schema, const LoadOptions& options = {});
LoadResult load_csv_text(std::string_view text, std::string_view name, const Schema& schema,
                         const LoadOptions& options = {});
LoadResult load_jsonl(const std::string& path, const Schema& schema, const LoadOptions& options = {});
LoadResult load_jsonl_text(std::string_view text, std::string_view name, const Schema& schema,
                           const LoadOptions& options = {});
// By content: a snapshot (its magic; its own schema is used), JSON Lines (.jsonl/.ndjson or
// a first byte '{'), otherwise CSV. "-" is stdin. Every input is read exactly once, so pipes,
// FIFOs and stdin load the same as files.
LoadResult load_data(const std::string& path, const Schema& schema, const LoadOptions& options = {});
// Rows held in memory (a batch of changes), by the same rule: JSON Lines when the first byte
// that is not blank is '{', otherwise CSV.
LoadResult load_text(std::string_view text, std::string_view name, const Schema& schema, const LoadOptions& options = {});
bool starts_like_jsonl(std::string_view head);
// The same over an input already opened (its peeked prefix is not lost).
LoadResult load_data(Input& in, const Schema& schema, const LoadOptions& options = {});
LoadResult load_csv(Input& in, const Schema& schema, const LoadOptions& options = {});
LoadResult load_jsonl(Input& in, const Schema& schema, const LoadOptions& options = {});

}  // namespace seg::rt
