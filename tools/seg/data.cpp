// Loading data and compiling rules for the data commands, with errors printed the same way.
#include "tools/seg/data.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "compiler/compile.hpp"
#include "tools/seg/command.hpp"

namespace seg::cli {

void add_data_options(CLI::App& cmd, DataOptions& o, bool required) {
  auto* opt = cmd.add_option("--data", o.data, "Data file: .csv, .jsonl or a .seg snapshot");
  if (required) opt->required();
  cmd.add_flag("--skip-bad-rows", o.skip_bad_rows, "Skip rows that do not load (counted and shown) instead of stopping");
  cmd.add_flag("--verify", o.verify, "Snapshots: check every section's checksum when opening");
}

void report_load(const rt::LoadResult& r, Format f) {
  if (f == Format::Json) return;
  if (r.skipped) {
    fmt::print(stderr, "skipped {} bad row{}{}\n", r.skipped, r.skipped == 1 ? "" : "s",
               r.errors.size() < r.skipped ? fmt::format(", the first {}:", r.errors.size()) : ":");
    for (const auto& e : r.errors) fmt::print(stderr, "  {}\n", e.to_string());
  }
  if (!r.added.empty()) {
    fmt::print(stderr, "added {} new dictionary value{}:", r.added.size(), r.added.size() == 1 ? "" : "s");
    for (size_t i = 0; i < r.added.size() && i < 5; ++i) fmt::print(stderr, "{} {}", i ? "," : "", r.added[i]);
    fmt::print(stderr, "{}\n", r.added.size() > 5 ? ", ..." : "");
  }
}

std::optional<rt::Store> open_data(const DataOptions& d, const CommonOptions& o, rt::LoadResult* info) {
  auto schema = load_schema(o);
  if (!schema) return std::nullopt;
  rt::LoadOptions lo;
  lo.skip_bad_rows = d.skip_bad_rows;
  lo.verify = d.verify;
  lo.progress = isatty(2);
  rt::LoadResult r = rt::load_data(d.data, *schema, lo);
  if (!r.ok()) {
    for (const auto& e : r.errors) fmt::print(stderr, "{}\n", e.to_string());
    set_exit(!r.errors.empty() && r.errors[0].code == "E701" ? 2 : 1);
    return std::nullopt;
  }
  report_load(r, o.fmt());
  std::optional<rt::Store> s = std::move(r.store);
  r.store.reset();
  if (info) *info = std::move(r);
  return s;
}

std::optional<ir::Node> compile_for(const CommonOptions& o, const Schema& schema, std::string* json_diags) {
  std::string name;
  auto text = read_rule(o, name);
  if (!text) return std::nullopt;
  Compiled c = compile_rule(*text, schema);
  if (o.fmt() == Format::Json) {
    std::string diags = render_json(c.diags.list(), *text);
    if (!c.ir) fmt::print("{{\n  \"ok\": false,\n  \"diagnostics\": {}\n}}\n", diags);
    else if (json_diags) *json_diags = diags;
  } else if (!c.diags.empty()) {
    print_diagnostics(c.diags, name, *text, Format::Text);
  }
  if (!c.ir) {
    set_exit(1);
    return std::nullopt;
  }
  return std::move(c.ir);
}

}  // namespace seg::cli
