// `seg ir`: the optimized IR of a rule (or of an IR JSON document), as a tree or as JSON.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>
#include <iostream>

#include "base/json_reader.hpp"
#include "compiler/compile.hpp"
#include "compiler/ir_json.hpp"
#include "api/internal.hpp"
#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"

namespace seg::cli {
namespace cmd_ir {

struct IrOptions {
  CommonOptions common;
  std::string passes = "all";
  std::string from_json;
  bool trace = false;
};

std::optional<PassOptions> parse_passes(const std::string& spec) {
  PassOptions p;
  if (spec == "all") return p;
  if (spec == "none") {
    p.enabled = false;
    return p;
  }
  std::stringstream ss(spec);
  std::string name;
  while (std::getline(ss, name, ',')) {
    bool known = false;
    for (const auto& info : all_passes()) known |= name == info.name;
    if (!known) {
      std::vector<std::string> names;
      for (const auto& info : all_passes()) names.push_back(info.name);
      auto near = nearest(name, names, 1);
      fmt::print(stderr, "seg: unknown pass '{}'{}; passes are: {}\n", name,
                 near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near[0]), fmt::join(names, ", "));
      return std::nullopt;
    }
    p.only.push_back(name);
  }
  return p;
}

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("ir", "Show the IR a rule compiles to");
  std::string passes_help;
  for (const auto& p : all_passes()) passes_help += fmt::format("  {:18} {}\n", p.name, p.description);
  cmd->footer(fmt::format(
      "Passes (run in this order, repeatedly until nothing changes):\n{}"
      "Examples:\n"
      "  seg ir 'spot = 1 and spot = 2'\n"
      "  seg ir 'not stage in (Blocked)' --passes none\n"
      "  seg ir 'stage >= Deposit and spot = 3' --trace-passes\n"
      "  seg ir --from-json examples/rule.json --format json\n"
      "Exit codes: 0 fine, 1 the rule has errors, 2 usage or I/O error.",
      passes_help));
  auto o = std::make_shared<IrOptions>();
  add_rule_options(*cmd, o->common);
  add_schema_option(*cmd, o->common);
  add_format_option(*cmd, o->common);
  cmd->add_option("--passes", o->passes, "all, none, or a comma-separated list of pass names")
      ->default_val("all")
      ->check(not_empty("all, none or pass names"));
  cmd->add_flag("--trace-passes", o->trace, "Print the IR after each pass that changes it");
  cmd->add_option("--from-json", o->from_json, "Read the rule as IR JSON from FILE instead of rule text")->type_name("FILE");
  cmd->callback([o] {
    auto api_schema = load_schema(o->common);
    if (!api_schema) return;
    // The compiler's developer view: the passes one by one, so the engine's own types.
    const Schema* schema = &api::internal::schema(*api_schema);
    auto passes = parse_passes(o->passes);
    if (!passes) exit_with(2);
    std::string name, text;
    std::string prefix;  // where the IR document is in the file read: "/ir" in an envelope
    Compiled c;
    std::vector<std::string> trace;
    CompileOptions copts;
    copts.passes = *passes;
    if (o->trace)
      copts.passes.after_change = [&](const PassInfo& p, size_t round, const ir::Node& root) {
        trace.push_back(fmt::format("after {} (round {}):\n{}", p.name, round, ir::dump_tree(root, *schema)));
      };
    if (!o->from_json.empty() && (rule_argument_given(o->common) || !o->common.rule_file.empty())) {
      fmt::print(stderr, "seg: give the rule as rule text or with --from-json, not both\n");
      exit_with(2);
    }
    if (!o->from_json.empty()) {
      auto doc = read_document(o->from_json, o->common.fmt());  // a file, or stdin for "-" like form and import
      if (!doc) return;
      name = o->from_json == "-" ? "<stdin>" : o->from_json;
      // `seg ir --format json`'s own answer reads back: its `ir` member is the IR document (a
      // review fed one to the other and got E605 for every envelope member). The envelope is
      // read as every JSON input is (parse_json: size and depth limits, a member given twice
      // refused), so what goes on is at most max_json_depth deep, and its errors' paths start
      // at /ir as in the file (a DOM parse and dump() of a 100,000-deep envelope had overflowed
      // the stack, and a duplicate member in it was taken silently; found by a review).
      Diagnostics envelope;
      auto parsed = parse_json(*doc, envelope);
      if (!parsed) {
        c.diags = std::move(envelope);
      } else {
        if (parsed->is_object() && parsed->contains("ok") && parsed->contains("ir") && (*parsed)["ir"].is_object()) {
          *doc = (*parsed)["ir"].dump();
          prefix = "/ir";
        }
        c = compile_ir_json(*doc, *schema, copts);
      }
    } else {
      auto rule = read_rule(o->common, name);
      if (!rule) return;
      text = *rule;
      c = compile_rule(text, *schema, copts);
    }
    for (Diagnostic& d : c.diags.list())
      if (d.json) d.json_path = prefix + d.json_path;
    if (o->common.fmt() == Format::Json) {
      nlohmann::ordered_json j;
      j["ok"] = c.ir.has_value();
      if (c.ir) {
        j["ir"] = nlohmann::ordered_json::parse(ir_to_json(*c.ir, *schema));
        j["text"] = c.text;
        j["hash"] = api::hash_text(ir::stable_hash(*c.ir));
      }
      j["diagnostics"] = nlohmann::ordered_json::parse(render_json(c.diags.list(), text));
      fmt::print("{}\n", j.dump(2));
    } else {
      if (!c.diags.empty()) fmt::print(stderr, "{}", render_text(c.diags.list(), name, text, use_color(2)));
      for (const auto& t : trace) fmt::print("{}\n", t);
      if (c.ir) {
        fmt::print("{}", ir::dump_tree(*c.ir, *schema));
        fmt::print("text: {}\nhash: {}\n", c.text, api::hash_text(ir::stable_hash(*c.ir)));
      }
    }
    if (!c.ir) exit_with(1);
  });
}

CommandRegistrar reg(30, setup);
}  // namespace cmd_ir
}  // namespace seg::cli
