// Helpers the commands that read data (eval, explain, diff, refresh, bench, convert, repl) share: loading --data with its
// errors reported and exit codes set, and compiling a rule against the store's schema.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "seg/seg.hpp"
#include "tools/seg/common.hpp"

namespace seg::cli {

struct DataOptions {
  std::string data;  // --data FILE (.csv, .jsonl, .seg: chosen by magic and extension; - is stdin)
  bool skip_bad_rows = false;
  bool verify = true;  // --no-verify turns the snapshot checksums off
  bool slices = true;  // `seg convert --no-slices` keeps offsets whole (OpenOptions::slices)
  // `seg convert --from-postgres CONNINFO [--table T | --query Q] [--mapping FILE]`: the data
  // from PostgreSQL instead of a file.
  std::string postgres, table, query, mapping;
};
void add_data_options(CLI::App& cmd, DataOptions& o, bool required = true);

// Loads the data (schema from --schema or the bundled one; a snapshot brings its own, and a
// --schema that differs from it is E717). Prints load errors (stderr; stdout as one JSON
// document under --format json) and sets the exit code: 2 for I/O, 1 for bad data.
// The store's report() has the load's figures (bytes, seconds, skipped rows).
std::optional<api::Store> open_data(const DataOptions& d, const CommonOptions& o);
// Prints what a load warned about, skipped or added (stderr, text format only).
void report_load(const api::LoadReport& r, Format f);
// The same for a command's JSON document: {"rows_skipped", "skipped_reasons", "warnings", "added_values"}.
nlohmann::ordered_json load_json(const api::LoadReport& r);
// "\rloading FILE: 42% (420 MB)" on stderr when it is a terminal and the load lasts; else empty.
std::function<void(uint64_t, uint64_t)> terminal_progress(const std::string& name);
// Clears the progress line, when one was shown.
void clear_progress();

// Reads and compiles the rule against `schema`; exit 1 on errors. Text format: diagnostics go
// to stderr. JSON format: on errors prints {"ok": false, "diagnostics": [...]}; otherwise the
// diagnostics (warnings) are left in `json_diags` for the command's one result document.
std::optional<api::Rule> compile_for(const CommonOptions& o, const api::Schema& schema, std::string* json_diags = nullptr);

}  // namespace seg::cli
