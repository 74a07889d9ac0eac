// `seg check`: parse and check a rule against the schema; print its diagnostics.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "compiler/compile.hpp"
#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"

namespace seg::cli {
namespace {

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("check", "Check a rule against the schema and show its diagnostics");
  cmd->footer(
      "Examples:\n"
      "  seg check 'stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12'\n"
      "  seg check -f rule.seg --format json\n"
      "Exit codes: 0 no errors (warnings allowed), 1 the rule has errors, 2 usage or I/O error.");
  auto o = std::make_shared<CommonOptions>();
  add_rule_options(*cmd, *o);
  add_schema_option(*cmd, *o);
  add_format_option(*cmd, *o);
  cmd->callback([o] {
    std::string name;
    auto text = read_rule(*o, name);
    if (!text) return;
    auto schema = load_schema(*o);
    if (!schema) return;
    Compiled c = compile_rule(*text, *schema);
    if (o->fmt() == Format::Json) {
      nlohmann::ordered_json j;
      j["ok"] = !c.diags.has_errors();
      j["errors"] = c.diags.error_count();
      j["warnings"] = c.diags.warning_count();
      j["diagnostics"] = nlohmann::ordered_json::parse(render_json(c.diags.list(), *text));
      fmt::print("{}\n", j.dump(2));
    } else {
      print_diagnostics(c.diags, name, *text, Format::Text);
      if (!c.diags.has_errors())
        fmt::print("ok{}\n", c.diags.warning_count() ? fmt::format(" ({} warning{})", c.diags.warning_count(),
                                                                     c.diags.warning_count() == 1 ? "" : "s")
                                                       : "");
    }
    if (c.diags.has_errors()) exit_with(1);
  });
}

CommandRegistrar reg(10, setup);
}  // namespace
}  // namespace seg::cli
