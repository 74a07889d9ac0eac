// `seg import`: a rule from another rule builder's JSON (react-querybuilder, JsonLogic) as
// canonical rule text and IR.
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"

namespace seg::cli {
namespace cmd_import {

struct ImportOptions {
  CommonOptions common;
  std::string file;
  std::string from = "querybuilder";
};

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("import", "Read a rule from react-querybuilder or JsonLogic JSON");
  cmd->footer(
      "Examples:\n"
      "  seg import examples/group.json --from querybuilder\n"
      "  seg import examples/logic.json --from jsonlogic\n"
      "  echo '{\"and\":[{\"in\":[{\"var\":\"stage\"},[\"Deposit\"]]},{\"==\":[{\"var\":\"spot\"},3]}]}' | seg import - --from jsonlogic\n"
      "Mapping: see docs/interop.md. Diagnostics name the JSON path in the imported document.\n"
      "Exit codes: 0 imported, 1 the document has errors, 2 usage or I/O error.");
  auto o = std::make_shared<ImportOptions>();
  cmd->add_option("file", o->file, "The JSON document (- for stdin)")->required()->type_name("FILE");
  cmd->add_option("--from", o->from, "The document's format")
      ->check(CLI::IsMember({"querybuilder", "jsonlogic"}))
      ->default_val("querybuilder");
  add_schema_option(*cmd, o->common);
  add_format_option(*cmd, o->common);
  cmd->callback([o] {
    auto schema = load_schema(o->common);
    if (!schema) return;
    auto doc = read_document(o->file, o->common.fmt());
    if (!doc) return;
    const std::string& text = *doc;
    std::string source = o->file == "-" ? "<stdin>" : o->file;
    api::Rule rule = api::Rule::compile(
        text, *schema, o->from == "jsonlogic" ? api::RuleFormat::JsonLogic : api::RuleFormat::QueryBuilder, source);
    if (o->common.fmt() == Format::Json) {
      nlohmann::ordered_json j;
      j["ok"] = rule.ok();
      if (rule.ok()) {
        j["text"] = rule.canonical_text();
        j["ir"] = nlohmann::ordered_json::parse(rule.ir_json());
        j["hash"] = api::hash_text(rule.hash());
      }
      j["diagnostics"] = nlohmann::ordered_json::parse(api::render_json(rule.diagnostics(), ""));
      fmt::print("{}\n", j.dump(2));
    } else {
      print_diagnostics(rule.diagnostics(), source, "");
      if (rule.ok()) fmt::print("{}\n", rule.canonical_text());
    }
    if (!rule.ok()) exit_with(1);
  });
}

CommandRegistrar reg(45, setup);
}  // namespace cmd_import
}  // namespace seg::cli
