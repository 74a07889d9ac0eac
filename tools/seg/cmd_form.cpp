// `seg form`: a segment form (JSON) as rule text, summary and IR; or a rule as a form.
#include <fmt/format.h>

#include <unistd.h>

#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "base/text_util.hpp"
#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"

namespace seg::cli {
namespace cmd_form {

struct FormOptions {
  CommonOptions common;
  std::string form_file;
  std::string to_form;  // a rule to turn into a form
};

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("form", "Turn a segment form into a rule, or a rule into a form");
  cmd->footer(
      "A form is JSON: {\"title\": \"Top-up\", \"stages\": [\"NotProcessed\", \"Registration\"],\n"
      "                 \"players\": [1001], \"spot\": 12, \"tags\": [\"REGISTERED\"]}\n"
      "It means: stage in (stages) and tag any (tags) and spot = S and player in (players),\n"
      "leaving out empty sections.\n"
      "Examples:\n"
      "  seg form examples/segment.json\n"
      "  echo '{\"stages\":[\"Deposit\"],\"spot\":3,\"tags\":[\"VIP\"]}' | seg form -\n"
      "  seg form --from-rule 'stage in (Deposit) and tag any (VIP) and spot = 3'\n"
      "Exit codes: 0 fine, 1 the form or rule has errors or does not fit the form, 2 usage or I/O error.");
  auto o = std::make_shared<FormOptions>();
  cmd->add_option("form", o->form_file, "Form JSON file (- for stdin)")->type_name("FILE");
  cmd->add_option("--from-rule", o->to_form, "Show the form for this rule text instead")->type_name("RULE");
  add_schema_option(*cmd, o->common);
  add_format_option(*cmd, o->common);
  cmd->callback([o] {
    auto schema = load_schema(o->common);
    if (!schema) return;
    bool json = o->common.fmt() == Format::Json;
    if (!o->to_form.empty() && !o->form_file.empty()) {
      fmt::print(stderr, "seg: give a form file or --from-rule RULE, not both\n");
      exit_with(2);
    }
    if (!o->to_form.empty()) {
      api::Rule rule = api::Rule::compile(o->to_form, *schema);
      // The library's export to the form: a rule the form cannot show is E620 there, as in
      // `seg export` and the service.
      std::vector<api::Diagnostic> diags = rule.diagnostics();
      std::optional<std::string> form;
      std::string why;
      if (rule.ok()) {
        api::ExportOptions eo;
        eo.indent = json ? -1 : 2;
        const size_t before = diags.size();
        form = rule.export_as(api::RuleFormat::Form, diags, eo);
        if (!form && diags.size() > before) why = diags[before].message;
      }
      if (json) {
        nlohmann::ordered_json j;
        j["ok"] = form.has_value();
        if (form) j["form"] = nlohmann::ordered_json::parse(*form);
        if (!why.empty()) j["why"] = why;
        j["diagnostics"] = nlohmann::ordered_json::parse(api::render_json(diags, o->to_form));
        fmt::print("{}\n", j.dump(2));
      } else {
        print_diagnostics(diags, "<rule>", o->to_form);
        if (form) fmt::print("{}\n", *form);
      }
      if (!form) exit_with(1);
      return;
    }
    if (o->form_file.empty() && ::isatty(0)) {
      fmt::print(stderr, "seg: give a form JSON file (or - for stdin), or --from-rule RULE\n");
      exit_with(2);
    }
    auto doc = read_document(o->form_file.empty() ? "-" : o->form_file, o->common.fmt());
    if (!doc) return;
    std::string name = o->form_file.empty() || o->form_file == "-" ? "<stdin>" : o->form_file;
    api::Rule rule = api::Rule::compile(*doc, *schema, api::RuleFormat::Form, name);
    if (json) {
      nlohmann::ordered_json j;
      j["ok"] = rule.ok();
      if (rule.ok()) {
        j["title"] = rule.title();
        j["text"] = rule.canonical_text();
        j["summary"] = rule.summary();
        j["ir"] = nlohmann::ordered_json::parse(rule.ir_json());
        j["hash"] = api::hash_text(rule.hash());
      }
      j["diagnostics"] = nlohmann::ordered_json::parse(api::render_json(rule.diagnostics(), ""));
      fmt::print("{}\n", j.dump(2));
    } else {
      print_diagnostics(rule.diagnostics(), name, "");
      if (rule.ok()) {
        // The title and summary hold the document's own text: control characters are shown,
        // not sent to the terminal (found by a review: an ESC in a title was an escape).
        if (!rule.title().empty()) fmt::print("title:   {}\n", visible_text(rule.title()));
        fmt::print("rule:    {}\nsummary: {}\nhash:    {}\nir:\n{}", rule.canonical_text(), visible_text(rule.summary()),
                   api::hash_text(rule.hash()), rule.ir_tree());
      }
    }
    if (!rule.ok()) exit_with(1);
  });
}

CommandRegistrar reg(40, setup);
}  // namespace cmd_form
}  // namespace seg::cli
