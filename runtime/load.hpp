// Loading data into a store: CSV and JSON Lines (streamed), snapshots (mapped); bad rows
// are reported with file, line, column and reason (codes E7xx, docs/runtime.md).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/limits.hpp"
#include "compiler/schema.hpp"
#include "runtime/store.hpp"

namespace seg::rt {

struct LoadOptions {
  bool skip_bad_rows = false;  // go on past bad rows, counting them
  size_t max_reported = 5;     // errors kept when skipping
  bool progress = false;       // progress on stderr for long loads (callers pass isatty(2))
  bool verify = false;         // snapshots: check every section's checksum
  Limits limits;               // max_line_bytes (E409), max_dictionary_values (E408)
};

struct LoadError {
  std::string code;     // E7xx
  std::string file;
  uint64_t line = 0;    // 1-based; 0 when not about a line
  int column = 0;       // 1-based input column; 0 for the whole row or file
  std::string column_name;
  std::string message;
  std::string to_string() const;  // "file:line: column 3 (stage): error[E706]: ..."
};

struct LoadResult {
  std::optional<Store> store;      // set unless a fatal error stopped the load
  std::vector<LoadError> errors;   // the first few bad rows (or the fatal error)
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
// a first byte '{'), otherwise CSV.
LoadResult load_data(const std::string& path, const Schema& schema, const LoadOptions& options = {});

}  // namespace seg::rt
