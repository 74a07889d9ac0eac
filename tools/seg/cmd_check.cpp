// `seg check`: parse and check a rule against the schema; print its diagnostics.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"

namespace seg::cli {
namespace cmd_check {

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("check", "Check a rule against the schema and show its diagnostics");
  cmd->footer(
      "Examples:\n"
      "  seg check 'stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12'\n"
      "  seg check -f examples/rule.seg --format json\n"
      "Exit codes: 0 no errors (warnings allowed), 1 the rule has errors, 2 usage or I/O error.");
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
    size_t errors = 0, warnings = 0;
    for (const auto& d : rule.diagnostics()) ++(d.is_error() ? errors : warnings);
    if (o->fmt() == Format::Json) {
      nlohmann::ordered_json j;
      j["ok"] = errors == 0;
      j["errors"] = errors;
      j["warnings"] = warnings;
      j["diagnostics"] = nlohmann::ordered_json::parse(api::render_json(rule.diagnostics(), *text));
      fmt::print("{}\n", j.dump(2));
    } else {
      print_diagnostics(rule.diagnostics(), name, *text);
      if (errors == 0) fmt::print("ok{}\n", warnings ? fmt::format(" ({} warning{})", warnings, warnings == 1 ? "" : "s") : "");
    }
    if (errors) exit_with(1);
  });
}

CommandRegistrar reg(10, setup);
}  // namespace cmd_check
}  // namespace seg::cli
