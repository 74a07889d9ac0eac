// `seg export`: a rule as react-querybuilder or JsonLogic JSON, so a segment written as text
// opens in the builder (the library's Rule::export_as does the work).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"

namespace seg::cli {
namespace cmd_export {

struct ExportCmdOptions {
  CommonOptions common;
  std::string to;
  bool compact = false;
};

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Write a rule as react-querybuilder or JsonLogic JSON");
  cmd->footer(
      "seg's meaning is kept, nulls included: where a builder reads a negation as true for a\n"
      "client with no value, the export says `is not null` beside it. A part the target cannot\n"
      "say is an error (E620): `now` has no clock in either, so give --now to export at a fixed time.\n"
      "Examples:\n"
      "  seg export 'stage in (Deposit, Active) and tag any (VIP)' --to querybuilder\n"
      "  seg export -f examples/rule.seg --to jsonlogic --compact\n"
      "  seg export 'last_active_at >= now - 30d' --to jsonlogic --now 2026-10-01\n"
      "Mapping: see docs/interop.md. The document goes to stdout.\n"
      "Exit codes: 0 exported, 1 the rule has errors or cannot be said in the target, 2 usage or I/O error.");
  auto o = std::make_shared<ExportCmdOptions>();
  add_rule_options(*cmd, o->common);
  cmd->add_option("--to", o->to, "The target format")->check(CLI::IsMember({"querybuilder", "jsonlogic"}))->required();
  cmd->add_flag("--compact", o->compact, "One line instead of indented JSON");
  add_now_option(*cmd, o->common);
  add_schema_option(*cmd, o->common);
  add_format_option(*cmd, o->common);
  cmd->callback([o] {
    std::string name;
    auto text = read_rule(o->common, name);
    if (!text) return;
    auto schema = load_schema(o->common);
    if (!schema) return;
    api::ExportOptions eo;
    eo.indent = o->compact ? -1 : 2;
    if (!o->common.now.empty()) {
      auto now = resolve_now(o->common);
      if (!now) return;
      eo.now = *now;
    }
    api::Rule rule = api::Rule::compile(*text, *schema, api::RuleFormat::Text, name);
    std::vector<api::Diagnostic> diags = rule.diagnostics();
    std::optional<std::string> doc;
    if (rule.ok())
      doc = rule.export_as(o->to == "jsonlogic" ? api::RuleFormat::JsonLogic : api::RuleFormat::QueryBuilder, diags, eo);
    if (o->common.fmt() == Format::Json) {
      nlohmann::ordered_json j;
      j["ok"] = doc.has_value();
      if (doc) j[o->to] = nlohmann::ordered_json::parse(*doc);
      j["diagnostics"] = nlohmann::ordered_json::parse(api::render_json(diags, *text));
      fmt::print("{}\n", j.dump(2));
    } else {
      print_diagnostics(diags, name, *text);
      if (doc) fmt::print("{}\n", *doc);
    }
    if (!doc) exit_with(1);
  });
}

CommandRegistrar reg(47, setup);
}  // namespace cmd_export
}  // namespace seg::cli
