// Loading data and compiling rules for the data commands, with errors printed the same way.
#include "tools/seg/data.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

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

namespace {
// Whether a progress line is on the terminal now, to be cleared: the clearing escape was written
// after every load on a terminal, shown or not, and on TERM=dumb too (found by a review).
bool g_progress_shown = false;
}  // namespace

std::function<void(uint64_t, uint64_t)> terminal_progress(const std::string& name) {
  const char* term = std::getenv("TERM");
  if (!::isatty(2) || (term && std::string_view(term) == "dumb")) return {};
  struct State {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(), last = start;
  };
  auto st = std::make_shared<State>();
  return [st, name](uint64_t bytes, uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    // Only loads that last: nothing for the first second, then four updates a second.
    if (now - st->start < std::chrono::seconds(1) || now - st->last < std::chrono::milliseconds(250)) return;
    st->last = now;
    g_progress_shown = true;
    if (total)
      fmt::print(stderr, "\rloading {}: {:3}% ({} MB)\033[K", name, static_cast<int>(100.0 * bytes / total), bytes >> 20);
    else
      fmt::print(stderr, "\rloading {}: {} MB\033[K", name, bytes >> 20);
  };
}

void clear_progress() {
  if (g_progress_shown) fmt::print(stderr, "\r\033[K");
  g_progress_shown = false;
}

void report_load(const api::LoadReport& r, Format f) {
  if (f == Format::Json) return;
  for (const auto& w : r.warnings) fmt::print(stderr, "{}\n", api::to_string(w));
  if (r.rows_skipped) {
    fmt::print(stderr, "skipped {} bad row{}{}\n", r.rows_skipped, r.rows_skipped == 1 ? "" : "s",
               r.skipped_reasons.size() < r.rows_skipped ? fmt::format(", the first {}:", r.skipped_reasons.size()) : ":");
    for (const auto& e : r.skipped_reasons) fmt::print(stderr, "  {}\n", api::to_string(e));
  }
  if (!r.added_values.empty()) {
    fmt::print(stderr, "added {} new dictionary value{}:", r.added_values.size(), r.added_values.size() == 1 ? "" : "s");
    // A value is shown up to 80 bytes (cut at a character's start): a 16 MB tag was written
    // to the terminal whole (found by a review). `--format json` lists them whole.
    for (size_t i = 0; i < r.added_values.size() && i < 5; ++i) {
      const std::string& v = r.added_values[i];
      size_t cut = v.size() <= 80 ? v.size() : 80;
      while (cut < v.size() && cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
      fmt::print(stderr, "{} {}{}", i ? "," : "", v.substr(0, cut), cut < v.size() ? fmt::format("... ({} bytes)", v.size()) : "");
    }
    fmt::print(stderr, "{}\n", r.added_values.size() > 5 ? ", ..." : "");
  }
}

nlohmann::ordered_json load_json(const api::LoadReport& r) {
  nlohmann::ordered_json j;
  j["rows_skipped"] = r.rows_skipped;
  j["skipped_reasons"] = nlohmann::ordered_json::parse(api::render_json(r.skipped_reasons, ""));
  j["warnings"] = nlohmann::ordered_json::parse(api::render_json(r.warnings, ""));
  j["added_values"] = r.added_values;
  return j;
}

std::optional<api::Store> open_data(const DataOptions& d, const CommonOptions& o) {
  auto schema = load_schema(o);
  if (!schema) return std::nullopt;
  api::OpenOptions oo;
  oo.skip_bad_rows = d.skip_bad_rows;
  oo.verify = d.verify;
  oo.slices = d.slices;
  oo.progress = terminal_progress(d.data == "-" ? "<stdin>" : d.data);
  oo.expected_schema_name = o.schema_file;
  std::vector<api::Diagnostic> diags;
  std::optional<api::Store> store;
  std::string source = d.data;
  if (!d.postgres.empty()) {
    api::Store::PostgresSource ps{d.postgres, d.table, d.query, {}};
    if (!d.mapping.empty()) {
      auto doc = read_document(d.mapping, o.fmt());
      if (!doc) return std::nullopt;
      ps.mapping_json = std::move(*doc);
    }
    oo.expected_schema_name.clear();  // rows, not a snapshot: they are read with the schema given
    source = !d.query.empty() ? "postgres:query" : d.mapping.empty() ? "postgres" : d.mapping;
    store = api::Store::open_postgres(ps, *schema, diags, oo);
  } else {
    if (d.data == "-") {
      // A rule on stdin too is refused before stdin is read: read as data first, the rule's
      // text failed as a bad data row (E702, exit 1) rather than as this usage error.
      claim_stdin("the data");
      if (rule_from_stdin(o)) claim_stdin("the rule");
    }
    store = api::Store::open(d.data, *schema, diags, oo);
  }
  if (oo.progress) clear_progress();
  if (!store) {
    bool io = !diags.empty() && diags[0].io;
    if (o.fmt() == Format::Json) {
      nlohmann::ordered_json j;
      j["ok"] = false;
      j["load_errors"] = nlohmann::ordered_json::parse(api::render_json(diags, ""));
      fmt::print("{}\n", j.dump(2));
    } else {
      fmt::print(stderr, "{}", api::render_text(diags, source, ""));
    }
    exit_with(io ? 2 : 1);
  }
  report_load(store->report(), o.fmt());
  return store;
}

std::optional<api::Rule> compile_for(const CommonOptions& o, const api::Schema& schema, std::string* json_diags) {
  auto arg = compile_rule_argument(o, schema);
  if (!arg) return std::nullopt;
  const api::Rule& rule = arg->rule;
  const std::string *text = &arg->text, &name = arg->name;
  if (o.fmt() == Format::Json) {
    std::string diags = api::render_json(rule.diagnostics(), *text);
    if (!rule.ok()) fmt::print("{{\n  \"ok\": false,\n  \"diagnostics\": {}\n}}\n", diags);
    else if (json_diags) *json_diags = diags;
  } else if (!rule.diagnostics().empty()) {
    fmt::print(stderr, "{}", api::render_text(rule.diagnostics(), name, *text, use_color(2)));
  }
  if (!rule.ok()) {
    exit_with(1);
  }
  return rule;
}

}  // namespace seg::cli
