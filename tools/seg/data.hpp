// Helpers the data commands (eval, explain, bench, convert) share: loading --data with its
// errors reported and exit codes set, and compiling a rule against the store's schema.
#pragma once
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "compiler/ir.hpp"
#include "runtime/load.hpp"
#include "runtime/store.hpp"
#include "tools/seg/common.hpp"

namespace seg::cli {

struct DataOptions {
  std::string data;  // --data FILE (.csv, .jsonl, .seg: chosen by magic and extension)
  bool skip_bad_rows = false;
  bool verify = false;
};
void add_data_options(CLI::App& cmd, DataOptions& o, bool required = true);

// Loads the data (schema from --schema or the bundled one; a snapshot brings its own).
// Prints load errors on stderr and sets the exit code: 2 for I/O, 1 for bad data.
// `info`, when given, receives the load's figures (bytes, seconds, skipped rows).
std::optional<rt::Store> open_data(const DataOptions& d, const CommonOptions& o, rt::LoadResult* info = nullptr);
// Prints what a load skipped or added (stderr, text format only).
void report_load(const rt::LoadResult& r, Format f);

// Reads and compiles the rule against `schema`; exit 1 on errors. Text format: diagnostics go
// to stderr. JSON format: on errors prints {"ok": false, "diagnostics": [...]}; otherwise the
// diagnostics (warnings) are left in `json_diags` for the command's one result document.
std::optional<ir::Node> compile_for(const CommonOptions& o, const Schema& schema, std::string* json_diags = nullptr);

}  // namespace seg::cli
