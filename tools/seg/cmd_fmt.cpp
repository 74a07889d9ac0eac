// `seg fmt`: print a rule as canonical text (through the IR: one printer for everything).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"

namespace seg::cli {
namespace cmd_fmt {

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("fmt", "Print a rule in canonical form");
  cmd->footer(
      "The canonical text: lower-case keywords, conditions in schema field order, values in\n"
      "dictionary order, quotes and parentheses only where needed. Comments do not survive.\n"
      "Examples:\n"
      "  seg fmt 'STAGE IN (notprocessed,\"Registration\") AND Tag Any (registered)'\n"
      "  seg fmt -f examples/rule.seg\n"
      "Exit codes: 0 formatted, 1 the rule has errors, 2 usage or I/O error.");
  auto o = std::make_shared<CommonOptions>();
  add_rule_options(*cmd, *o);
  add_schema_option(*cmd, *o);
  add_format_option(*cmd, *o);
  cmd->callback([o] {
    auto schema = load_schema(*o);
    if (!schema) return;
    auto arg = compile_rule_argument(*o, *schema);
    if (!arg) return;
    const api::Rule& rule = arg->rule;
    const std::string *text = &arg->text, &name = arg->name;
    if (o->fmt() == Format::Json) {
      nlohmann::ordered_json j;
      j["ok"] = rule.ok();
      if (rule.ok()) j["text"] = rule.canonical_text();
      j["diagnostics"] = nlohmann::ordered_json::parse(api::render_json(rule.diagnostics(), *text));
      fmt::print("{}\n", j.dump(2));
    } else {
      print_diagnostics(rule.diagnostics(), name, *text);
      if (rule.ok()) fmt::print("{}\n", rule.canonical_text());
    }
    if (!rule.ok()) exit_with(1);
  });
}

CommandRegistrar reg(20, setup);
}  // namespace cmd_fmt
}  // namespace seg::cli
