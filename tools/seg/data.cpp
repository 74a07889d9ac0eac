// Loading data and compiling rules for the data commands, with errors printed the same way.
#include "tools/seg/data.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

#include "compiler/compile.hpp"
#include "tools/seg/command.hpp"

namespace seg::cli {

void add_data_options(CLI::App& cmd, DataOptions& o, bool required) {
  auto* opt = cmd.add_option("--data", o.data, "Data file: .csv, .jsonl or a .seg snapshot (- for stdin)")
                  ->type_name("FILE");
  if (required) opt->required();
  cmd.add_flag("--skip-bad-rows", o.skip_bad_rows, "Skip rows that do not load (counted and shown) instead of stopping");
  // Verification is the default; --verify (its old opt-in) is gone rather than kept as a no-op.
  cmd.add_flag_callback(
      "--no-verify", [&o] { o.verify = false; },
      "Snapshots: skip checking each section's checksum when opening (only for storage you trust)");
}

std::function<void(uint64_t, uint64_t)> terminal_progress(const std::string& name) {
  if (!::isatty(2)) return {};
  struct State {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(), last = start;
  };
  auto st = std::make_shared<State>();
  return [st, name](uint64_t bytes, uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    // Only loads that last: nothing for the first second, then four updates a second.
    if (now - st->start < std::chrono::seconds(1) || now - st->last < std::chrono::milliseconds(250)) return;
    st->last = now;
    if (total)
      fmt::print(stderr, "\rloading {}: {:3}% ({} MB)\033[K", name, static_cast<int>(100.0 * bytes / total), bytes >> 20);
    else
      fmt::print(stderr, "\rloading {}: {} MB\033[K", name, bytes >> 20);
  };
}

static void clear_progress() {
  if (::isatty(2)) fmt::print(stderr, "\r\033[K");
}

void report_load(const rt::LoadResult& r, Format f) {
  if (f == Format::Json) return;
  for (const auto& w : r.warnings) fmt::print(stderr, "{}\n", w.to_string());
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

static nlohmann::ordered_json error_json(const rt::LoadError& e) {
  nlohmann::ordered_json j;
  j["severity"] = e.warning ? "warning" : "error";
  j["code"] = e.code;
  j["file"] = e.file;
  if (e.line) j["line"] = e.line;
  if (e.column) j["column"] = e.column;
  if (!e.column_name.empty()) j["field"] = e.column_name;
  j["message"] = e.message;
  return j;
}

nlohmann::ordered_json load_json(const rt::LoadResult& r) {
  nlohmann::ordered_json j;
  j["rows_skipped"] = r.skipped;
  auto& reasons = j["skipped_reasons"] = nlohmann::ordered_json::array();
  if (r.skipped)
    for (const auto& e : r.errors) reasons.push_back(error_json(e));
  auto& warnings = j["warnings"] = nlohmann::ordered_json::array();
  for (const auto& w : r.warnings) warnings.push_back(error_json(w));
  j["added_values"] = r.added;
  return j;
}

std::optional<rt::Store> open_data(const DataOptions& d, const CommonOptions& o, rt::LoadResult* info) {
  auto schema = load_schema(o);
  if (!schema) return std::nullopt;
  rt::LoadOptions lo;
  lo.skip_bad_rows = d.skip_bad_rows;
  lo.verify = d.verify;
  lo.progress = terminal_progress(d.data == "-" ? "<stdin>" : d.data);
  rt::LoadResult r = rt::load_data(d.data, *schema, lo);
  if (lo.progress) clear_progress();
  if (r.ok() && !o.schema_file.empty() && r.errors.empty()) {
    // A snapshot brings its own schema; one given with --schema must be that one.
    std::string why = schema_difference(*schema, r.store->schema());
    if (!why.empty()) {
      rt::LoadError e;
      e.code = "E717";
      e.file = d.data;
      e.message = fmt::format("the data was written with another schema than {} ({}); convert it again with "
                              "this schema, or leave out --schema to use the data's own",
                              o.schema_file, why);
      r.errors.push_back(std::move(e));
      r.store.reset();
    }
  }
  if (!r.ok()) {
    bool io = !r.errors.empty() && r.errors[0].code == "E701";
    if (o.fmt() == Format::Json) {
      nlohmann::ordered_json j;
      j["ok"] = false;
      auto& errs = j["load_errors"] = nlohmann::ordered_json::array();
      for (const auto& e : r.errors) errs.push_back(error_json(e));
      fmt::print("{}\n", j.dump(2));
    } else {
      for (const auto& e : r.errors) fmt::print(stderr, "{}\n", e.to_string());
    }
    exit_with(io ? 2 : 1);
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
    exit_with(1);
  }
  return std::move(c.ir);
}

}  // namespace seg::cli
