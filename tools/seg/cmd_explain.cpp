// `seg explain`: shows the plan a rule runs as, in execution order, with each node's
// estimate and measured rows in, rows out, time and blocks its zone map decided.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"
#include "tools/seg/data.hpp"

namespace seg::cli {
namespace cmd_explain {

struct ExplainCmd {
  CommonOptions common;
  DataOptions data;
  unsigned threads = 1;
  bool jit = false;
};

nlohmann::ordered_json json(const api::ExplainNode& n) { return nlohmann::ordered_json::parse(n.json()); }

void run(const ExplainCmd& o) {
  auto now = resolve_now(o.common);  // before loading: a bad --now should not wait for the data
  if (!now) return;
  refuse_no_rule(o.common);  // before a load that may take seconds
  auto store = open_data(o.data, o.common);
  if (!store) return;
  std::string diags_json = "[]";
  auto rule = compile_for(o.common, store->schema(), &diags_json);
  if (!rule) return;
  std::vector<api::Diagnostic> unused;
  auto query = api::Query::prepare(*rule, *store, unused);  // the rule was compiled for this store: cannot fail
  api::RunOptions ro;
  ro.threads = o.threads;
  ro.jit = o.jit;
  ro.now = *now;
  // The first run warms the caches; the second is reported,
  // so the figures show the plan rather than the page faults.
  query->explain(ro);
  api::Explain e = query->explain(ro);
  const api::Result& r = e.result;
  for (const auto& w : r.warnings) fmt::print(stderr, "seg: warning: {}\n", w);
  if (o.common.fmt() == Format::Json) {
    nlohmann::ordered_json j;
    j["ok"] = true;
    j["count"] = r.count;
    j["checksum"] = r.checksum;
    j["elapsed_ms"] = r.elapsed_ms;
    j["rows_total"] = r.rows_total;
    j["blocks"] = e.blocks;
    j["threads"] = e.threads;
    j["threads_asked"] = o.threads;
    j["path"] = e.path;
    j["plan"] = json(e.root);
    j["load"] = load_json(store->report());
    j["diagnostics"] = nlohmann::ordered_json::parse(diags_json);
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("{}", e.text(o.threads, true));
  }
}

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("explain", "Show how a rule runs over data, with rows and time per plan node");
  cmd->footer(
      "Examples:\n"
      "  seg explain 'stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12' --data data/clients-1000000.seg\n"
      "Exit codes: 0 evaluated, 1 rule or data errors, 2 usage or I/O error.");
  auto o = std::make_shared<ExplainCmd>();
  add_rule_options(*cmd, o->common);
  add_schema_option(*cmd, o->common);
  add_format_option(*cmd, o->common);
  add_now_option(*cmd, o->common);
  add_data_options(*cmd, o->data);
  cmd->add_option("--threads", o->threads, "Threads to evaluate on, at most (each takes a million rows or more)")->check(in_range(1u, 256u));
  cmd->add_flag("--jit", o->jit, "Run each conjunction's column tests as one kernel compiled by the JIT (LLVM)");
  cmd->callback([o] { run(*o); });
}

CommandRegistrar reg(55, setup);
}  // namespace cmd_explain
}  // namespace seg::cli
