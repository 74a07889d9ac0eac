// `seg sql`: a rule as SQL for PostgreSQL, SQLite, DuckDB or ClickHouse, with the members seg
// would select (the library's Rule::to_sql does the work; docs/sql.md).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"

namespace seg::cli {
namespace cmd_sql {

struct SqlCmdOptions {
  CommonOptions common;
  std::string dialect = "postgres";
  std::string mapping;
  bool inline_values = false;
  bool count = false;
  bool where = false;
  bool create_tables = false;
};

// --create-tables: the DDL for the mapping, no rule.
void print_create_tables(const SqlCmdOptions& o, const api::Schema& schema, const api::SqlOptions& so) {
  std::vector<api::Diagnostic> diags;
  auto tables = api::sql_create_tables(schema, so, diags);
  if (o.common.fmt() == Format::Json) {
    nlohmann::ordered_json j;
    j["ok"] = tables.has_value();
    if (tables) j["statements"] = *tables;
    j["diagnostics"] = nlohmann::ordered_json::parse(api::render_json(diags, so.mapping_json));
    fmt::print("{}\n", j.dump(2));
  } else {
    print_diagnostics(diags, o.mapping, so.mapping_json);
    if (tables)
      for (const auto& t : *tables) fmt::print("{};\n", t);
  }
  if (!tables) exit_with(1);
}

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("sql", "Write a rule as SQL for PostgreSQL, SQLite, DuckDB or ClickHouse");
  cmd->footer(
      "The statement selects exactly seg's members, nulls included: `!=` and `not in` are false\n"
      "on null, `not` is plain negation, dates are whole days, decimals exact. Values are bound\n"
      "parameters, listed after the statement as comments; --inline writes them into the text,\n"
      "escaped for the dialect (the form a shell such as psql runs as it is). `now` is a\n"
      "parameter too: --now fixes it (default: the current time).\n"
      "Without --mapping, the table is `clients` with one column per field under its own name\n"
      "(SQLite: tags in client_tags(client_id, tag), times as text, decimals as integer cents).\n"
      "Examples:\n"
      "  seg sql 'stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12'\n"
      "  seg sql -f examples/rule.seg --dialect clickhouse --inline --count\n"
      "  seg sql 'last_active_at >= now - 30d' --dialect sqlite --mapping examples/mapping.json\n"
      "  seg sql --create-tables --dialect duckdb\n"
      "Mapping files and each dialect's translation: docs/sql.md.\n"
      "Exit codes: 0 written, 1 the rule or mapping has errors or cannot be said in the dialect,\n"
      "2 usage or I/O error.");
  auto o = std::make_shared<SqlCmdOptions>();
  add_rule_options(*cmd, o->common);
  cmd->add_option("--dialect,-d", o->dialect, "The database (default postgres)")
      ->check(CLI::IsMember({"postgres", "sqlite", "duckdb", "clickhouse"}));
  cmd->add_option("--mapping", o->mapping, "A mapping file: the table, and how each field is stored (docs/sql.md)")
      ->type_name("FILE");
  cmd->add_flag("--inline", o->inline_values, "Literals in the text (escaped) instead of bound parameters");
  auto* count = cmd->add_flag("--count", o->count, "SELECT count(*) instead of the member ids");
  cmd->add_flag("--where", o->where, "Only the condition, for a WHERE clause of your own")->excludes(count);
  cmd->add_flag("--create-tables", o->create_tables,
                "Print the CREATE TABLE statements of the mapping (what to load the data into); no rule");
  add_now_option(*cmd, o->common);
  add_schema_option(*cmd, o->common);
  add_format_option(*cmd, o->common);
  cmd->callback([o] {
    if (o->create_tables && (rule_argument_given(o->common) || !o->common.rule_file.empty())) {
      fmt::print(stderr, "seg sql: --create-tables takes no rule\n");
      exit_with(2);
    }
    // Nor the options that shape a rule's query: taken and ignored, they said nothing (found by
    // a review).
    if (o->create_tables && (o->count || o->where || o->inline_values)) {
      fmt::print(stderr, "seg sql: --create-tables prints the tables only: it takes no --count, --where or --inline\n");
      exit_with(2);
    }
    auto schema = load_schema(o->common);
    if (!schema) return;
    api::SqlOptions so;
    auto dialect = api::sql_dialect(o->dialect);
    if (!dialect) {  // the option's own check names the same four; this one keeps a fifth from reaching *
      fmt::print(stderr, "seg sql: unknown dialect `{}`\n", o->dialect);
      exit_with(2);
    }
    so.dialect = *dialect;
    so.shape = o->count ? api::SqlOptions::Shape::Count : o->where ? api::SqlOptions::Shape::Where : api::SqlOptions::Shape::Select;
    so.inline_values = o->inline_values;
    auto now = resolve_now(o->common);
    if (!now) return;
    so.now = *now;
    if (!o->mapping.empty()) {
      auto doc = read_document(o->mapping, o->common.fmt());
      if (!doc) return;
      so.mapping_json = std::move(*doc);
    }
    if (o->create_tables) return print_create_tables(*o, *schema, so);
    auto arg = compile_rule_argument(o->common, *schema);
    if (!arg) return;
    const api::Rule& rule = arg->rule;
    const std::string *text = &arg->text, &name = arg->name;
    std::vector<api::Diagnostic> sql_diags;
    std::optional<api::SqlStatement> st;
    if (rule.ok()) st = rule.to_sql(so, sql_diags);
    if (o->common.fmt() == Format::Json) {
      nlohmann::ordered_json j;
      j["ok"] = st.has_value();
      if (st) {
        j["dialect"] = o->dialect;
        j.update(nlohmann::ordered_json::parse(st->json()));
      }
      auto diags = nlohmann::ordered_json::parse(api::render_json(rule.diagnostics(), *text));
      for (auto& d : nlohmann::ordered_json::parse(api::render_json(sql_diags, so.mapping_json))) diags.push_back(d);
      j["diagnostics"] = diags;
      fmt::print("{}\n", j.dump(2));
    } else {
      print_diagnostics(rule.diagnostics(), name, *text);
      print_diagnostics(sql_diags, o->mapping.empty() ? "<sql>" : o->mapping, so.mapping_json);
      if (st) {
        std::string script = st->script();
        // A condition goes into someone else's statement: no `;` after it.
        if (o->where) script.erase(st->text.size(), 1);
        fmt::print("{}", script);
      }
    }
    if (!st) exit_with(1);
  });
}

CommandRegistrar reg(48, setup);
}  // namespace cmd_sql
}  // namespace seg::cli
