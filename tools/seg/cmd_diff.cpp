// `seg diff`: what changing a rule would do to its members before it is saved: who enters,
// who leaves, samples of both, and which clauses of each rule account for the change. The
// work is the library's (api::diff); this prints it.
#include <fmt/format.h>

#include <optional>

#include <nlohmann/json.hpp>

#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"
#include "tools/seg/data.hpp"

namespace seg::cli {
namespace cmd_diff {

struct DiffCmd {
  CommonOptions common;  // --schema, --format, --now
  DataOptions data;
  std::string before, after;
  std::string state;               // a membership directory instead of --data
  std::optional<uint64_t> at;      // its version (default: the newest)
  size_t sample = 10;
  unsigned threads = 1;
};

std::string ids_text(const std::vector<int64_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
  return s.empty() ? "none" : s;
}

// Both rules' diagnostics as one JSON array, each with its `rule` (before or after).
nlohmann::ordered_json both_diagnostics(const DiffCmd& o, const std::vector<api::Rule>& rules) {
  const std::string* texts[2] = {&o.before, &o.after};
  const char* sides[2] = {"before", "after"};
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (int k = 0; k < 2; ++k)
    for (auto& d : nlohmann::ordered_json::parse(api::render_json(rules[k].diagnostics(), *texts[k]))) {
      nlohmann::ordered_json x = {{"rule", sides[k]}};
      x.update(d);
      all.push_back(std::move(x));
    }
  return all;
}

// What cannot be read or loaded, as every command says it: one JSON document under --format
// json (a review found `diff --state` printing none), text on stderr otherwise.
void say_load_failure(const DiffCmd& o, const std::vector<api::Diagnostic>& diags) {
  if (o.common.fmt() == Format::Json) {
    nlohmann::ordered_json j = {{"ok", false}, {"load_errors", nlohmann::ordered_json::parse(api::render_json(diags, ""))}};
    fmt::print("{}\n", j.dump(2));
  } else {
    print_diagnostics(diags, o.state, "");
  }
}

// Both rules compiled against `schema`, each named for its side (`<before>`, `<after>`), and
// the errors of both reported before exiting 1 (one JSON document under --format json, each
// diagnostic with its `rule`). An empty argument is a usage error, as for other commands.
std::optional<std::pair<api::Rule, api::Rule>> compile_both(const DiffCmd& o, const api::Schema& schema) {
  const std::string* texts[2] = {&o.before, &o.after};
  const char* sides[2] = {"before", "after"};
  for (int k = 0; k < 2; ++k)
    if (texts[k]->empty()) {
      fmt::print(stderr, "seg diff: the {} rule is empty: give a rule\n", sides[k]);
      exit_with(2);
      return std::nullopt;
    }
  std::vector<api::Rule> rules;
  for (int k = 0; k < 2; ++k)
    rules.push_back(api::Rule::compile(*texts[k], schema, api::RuleFormat::Text, fmt::format("<{}>", sides[k])));
  const bool ok = rules[0].ok() && rules[1].ok();
  if (o.common.fmt() == Format::Json) {
    if (!ok) {
      nlohmann::ordered_json j = {{"ok", false}, {"diagnostics", both_diagnostics(o, rules)}};
      fmt::print("{}\n", j.dump(2));
    }
  } else {
    for (int k = 0; k < 2; ++k)
      if (!rules[k].diagnostics().empty())
        fmt::print(stderr, "{}", api::render_text(rules[k].diagnostics(), fmt::format("<{}>", sides[k]), *texts[k], use_color(2)));
  }
  if (!ok) {
    exit_with(1);
    return std::nullopt;
  }
  return std::pair{std::move(rules[0]), std::move(rules[1])};
}

// Over a membership directory's clients at a version (`--state`): its own instant unless
// --now names one, as `seg members` counts them.
std::optional<api::Diff> diff_in_state(const DiffCmd& o, std::vector<api::Rule>& compiled) {
  std::vector<api::Diagnostic> diags;
  auto live = api::LiveMembership::read(o.state, diags, o.at);
  if (!live) {
    say_load_failure(o, diags);
    exit_with(diags.empty() || diags[0].io ? 2 : 1);
    return std::nullopt;
  }
  std::optional<int64_t> now = live->now();
  if (!o.common.now.empty() && !(now = resolve_now(o.common))) return std::nullopt;
  // Compiled here first, so a rule's errors are printed against its own text.
  auto rules = compile_both(o, live->schema());
  if (!rules) return std::nullopt;
  compiled = {rules->first, rules->second};
  auto d = live->diff(rules->first.canonical_text(), rules->second.canonical_text(), *now, o.sample, diags);
  if (!d) {  // both compiled above against the same schema: not expected, but never silent
    say_load_failure(o, diags);
    exit_with(1);
  }
  return d;
}

void run(const DiffCmd& o) {
  if (o.state.empty() == o.data.data.empty()) {
    fmt::print(stderr, "seg diff: give the clients as --data FILE or --state DIR (a membership directory), one of them\n");
    exit_with(2);
    return;
  }
  if (!o.state.empty() && !o.common.schema_file.empty()) {
    fmt::print(stderr, "seg diff: a membership directory has its own schema: --schema goes with --data only\n");
    exit_with(2);
    return;
  }
  if (o.at && o.state.empty()) {
    fmt::print(stderr, "seg diff: --at is a version of a membership directory: use it with --state\n");
    exit_with(2);
    return;
  }
  std::optional<api::Diff> diffed;
  std::vector<api::Rule> compiled;           // both rules, for their warnings
  nlohmann::ordered_json load = nullptr;     // the data file's load report (--data)
  if (!o.state.empty()) {
    if (!(diffed = diff_in_state(o, compiled))) return;
  } else {
    auto now = resolve_now(o.common);
    if (!now) return;
    auto store = open_data(o.data, o.common);
    if (!store) return;
    auto rules = compile_both(o, store->schema());
    if (!rules) return;
    compiled = {rules->first, rules->second};
    load = load_json(store->report());
    std::vector<api::Diagnostic> unused;
    auto old_q = api::Query::prepare(rules->first, *store, unused);
    auto new_q = api::Query::prepare(rules->second, *store, unused);
    api::RunOptions ro;
    ro.threads = o.threads;
    ro.now = *now;
    diffed = api::diff(*old_q, *new_q, ro, o.sample);
  }
  const api::Diff& d = *diffed;
  if (o.common.fmt() == Format::Json) {
    nlohmann::ordered_json j;
    j["ok"] = true;
    j.update(nlohmann::ordered_json::parse(d.json()));
    // What text output says on stderr, in the document (a review found JSON without them):
    // the rules' warnings and, from a data file, skipped rows and added values.
    j["diagnostics"] = both_diagnostics(o, compiled);
    if (!load.is_null()) j["load"] = std::move(load);
    fmt::print("{}\n", j.dump(2));
    return;
  }
  // The counts right-aligned so the two rules start in one column (a review: they did not).
  const std::string before = grouped(d.before), after = grouped(d.after);
  const size_t w = std::max(before.size(), after.size());
  std::string out = fmt::format("before: {:>{}} {}   {}\nafter:  {:>{}} {}   {}\n", before, w, d.before == 1 ? "member " : "members",
                                d.before_text, after, w, d.after == 1 ? "member " : "members", d.after_text);
  out += fmt::format("entered {}, exited {}, stayed {} ({})\n", grouped(d.entered), grouped(d.exited), grouped(d.stayed),
                     ms_text(d.elapsed_ms));
  // `--sample 0` asks for no ids: said so, not "(first 0): none" beside a count that is not 0.
  auto sample = [](const std::vector<int64_t>& ids) { return ids.empty() ? std::string("(--sample 0: no ids)") : ids_text(ids); };
  if (d.exited) {
    out += fmt::format("\nexited (first {}): {}\n", d.exited_sample.size(), sample(d.exited_sample));
    out += "  are out now because of:\n";
    for (const auto& c : d.exited_because) out += fmt::format("  {:>10} fail  {}\n", grouped(c.fails), c.text);
  }
  if (d.entered) {
    out += fmt::format("\nentered (first {}): {}\n", d.entered_sample.size(), sample(d.entered_sample));
    out += "  were out because of:\n";
    for (const auto& c : d.entered_because) out += fmt::format("  {:>10} fail  {}\n", grouped(c.fails), c.text);
  }
  fmt::print("{}", out);
}

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("diff", "Show who a rule change lets in and who it leaves out, and why");
  cmd->footer(
      "Examples:\n"
      "  seg diff 'stage = Active' 'stage in (Active, Deposit) and tag none (BLOCKED)' --data data/clients-1000000.seg\n"
      "  seg diff 'spot = 12' 'spot = 12 and tag any (VIP)' --data examples/clients.csv --format json\n"
      "  seg diff 'spot = 12' 'spot = 12 and tag any (VIP)' --state \"$DIR\" --at 3   (a membership's clients at version 3)\n"
      "Counts and samples of the members who enter (of the new rule only) and exit (of the old rule only),\n"
      "and for each clause (top-level `and` part) of the new rule how many leavers it rules out; of the old\n"
      "rule, how many newcomers it had ruled out.\n"
      "Exit codes: 0 compared, 1 rule or data errors, 2 usage or I/O error.");
  auto o = std::make_shared<DiffCmd>();
  cmd->add_option("before", o->before, "The rule as it is")->required()->type_name("RULE");
  cmd->add_option("after", o->after, "The rule as it would be")->required()->type_name("RULE");
  add_schema_option(*cmd, o->common);
  add_format_option(*cmd, o->common);
  add_now_option(*cmd, o->common);
  add_data_options(*cmd, o->data, false);
  cmd->add_option("--state", o->state, "A membership directory: compare over its clients as changes left them")
      ->type_name("DIR");
  cmd->add_option("--at", o->at, "With --state: the version to compare at (default: the newest)")
      ->check(whole_number("a version"));
  cmd->add_option("--sample", o->sample, "Ids shown of those who enter and of those who exit (default 10)")
      ->check(in_range(size_t{0}, size_t{1000}));
  cmd->add_option("--threads", o->threads, "Threads to evaluate on, at most (with --data; each takes a million rows or more)")->check(in_range(1u, 256u));
  cmd->callback([o] { run(*o); });
}

CommandRegistrar reg(56, setup);
}  // namespace cmd_diff
}  // namespace seg::cli
