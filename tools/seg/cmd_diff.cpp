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

// Over a membership directory's clients at a version (`--state`): its own instant unless
// --now names one, as `seg members` counts them.
std::optional<api::Diff> diff_in_state(const DiffCmd& o, const CommonOptions& before, const CommonOptions& after) {
  std::vector<api::Diagnostic> diags;
  auto live = api::LiveMembership::read(o.state, diags, o.at);
  if (!live) {
    print_diagnostics(diags, o.state, "");
    exit_with(diags.empty() || diags[0].io ? 2 : 1);
    return std::nullopt;
  }
  std::optional<int64_t> now = live->now();
  if (!o.common.now.empty() && !(now = resolve_now(o.common))) return std::nullopt;
  // Compiled here first, so a rule's errors are printed against its own text.
  auto old_rule = compile_for(before, live->schema());
  if (!old_rule) return std::nullopt;
  auto new_rule = compile_for(after, live->schema());
  if (!new_rule) return std::nullopt;
  auto d = live->diff(old_rule->canonical_text(), new_rule->canonical_text(), *now, o.sample, diags);
  if (!d) {  // both compiled above against the same schema: not expected, but never silent
    print_diagnostics(diags, o.state, "");
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
  CommonOptions before = o.common, after = o.common;
  before.rule = o.before;
  after.rule = o.after;
  std::optional<api::Diff> diffed;
  if (!o.state.empty()) {
    if (!(diffed = diff_in_state(o, before, after))) return;
  } else {
    auto now = resolve_now(o.common);
    if (!now) return;
    auto store = open_data(o.data, o.common);
    if (!store) return;
    auto old_rule = compile_for(before, store->schema());
    if (!old_rule) return;
    auto new_rule = compile_for(after, store->schema());
    if (!new_rule) return;
    std::vector<api::Diagnostic> unused;
    auto old_q = api::Query::prepare(*old_rule, *store, unused);
    auto new_q = api::Query::prepare(*new_rule, *store, unused);
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
    fmt::print("{}\n", j.dump(2));
    return;
  }
  std::string out = fmt::format("before: {} members   {}\nafter:  {} members   {}\n", d.before, d.before_text, d.after,
                                d.after_text);
  out += fmt::format("entered {}, exited {}, stayed {} ({:.2f} ms)\n", d.entered, d.exited, d.stayed, d.elapsed_ms);
  if (d.exited) {
    out += fmt::format("\nexited (first {}): {}\n", d.exited_sample.size(), ids_text(d.exited_sample));
    for (const auto& c : d.exited_because) out += fmt::format("  {:>10} fail  {}\n", c.fails, c.text);
  }
  if (d.entered) {
    out += fmt::format("\nentered (first {}): {}\n", d.entered_sample.size(), ids_text(d.entered_sample));
    out += "  were out because of:\n";
    for (const auto& c : d.entered_because) out += fmt::format("  {:>10} fail  {}\n", c.fails, c.text);
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
  cmd->add_option("before", o->before, "The rule as it is")->required();
  cmd->add_option("after", o->after, "The rule as it would be")->required();
  add_schema_option(*cmd, o->common);
  add_format_option(*cmd, o->common);
  add_now_option(*cmd, o->common);
  add_data_options(*cmd, o->data, false);
  cmd->add_option("--state", o->state, "A membership directory: compare over its clients as changes left them")
      ->type_name("DIR");
  cmd->add_option("--at", o->at, "With --state: the version to compare at (default: the newest)");
  cmd->add_option("--sample", o->sample, "Ids shown of those who enter and of those who exit (default 10)")
      ->check(CLI::Range(size_t{0}, size_t{1000}));
  cmd->add_option("--threads", o->threads, "Threads to evaluate on (with --data)")->check(CLI::Range(1u, 256u));
  cmd->callback([o] { run(*o); });
}

CommandRegistrar reg(56, setup);
}  // namespace cmd_diff
}  // namespace seg::cli
