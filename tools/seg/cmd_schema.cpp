// `seg schema`: prints a schema as the JSON document `--schema FILE` reads (docs/runtime.md):
// the bundled CRM schema, a given one checked and written back, or a data file's own (a
// snapshot keeps the schema it was written with). A person extending the schema starts from
// this; the installed tool ships no schema file to copy (a newcomer's review).
#include <fmt/format.h>

#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"
#include "tools/seg/data.hpp"

namespace seg::cli {
namespace cmd_schema {

struct SchemaCmd {
  CommonOptions common;
  DataOptions data;
};

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("schema", "Print a schema as the JSON document --schema reads");
  cmd->footer(
      "Without --data, the bundled CRM schema (or the --schema FILE given, checked); with --data,\n"
      "the data's own (a snapshot's, or the schema the CSV or JSON Lines file was read with, with\n"
      "the values it added to open dictionaries).\n"
      "Examples:\n"
      "  seg schema > crm.json             # then add a field and use --schema crm.json\n"
      "  seg schema --data examples/clients.csv\n"
      "Exit codes: 0 printed, 1 the data has errors, 2 a bad schema, usage or I/O error.");
  auto o = std::make_shared<SchemaCmd>();
  add_schema_option(*cmd, o->common);
  add_data_options(*cmd, o->data, false);
  cmd->callback([o] {
    std::optional<api::Schema> schema;
    if (!o->data.data.empty() || !o->data.postgres.empty()) {
      auto store = open_data(o->data, o->common);
      if (!store) return;
      schema = store->schema();
    } else {
      schema = load_schema(o->common);
      if (!schema) return;
    }
    fmt::print("{}\n", schema->to_json());
  });
}

CommandRegistrar reg(65, setup);
}  // namespace cmd_schema
}  // namespace seg::cli
