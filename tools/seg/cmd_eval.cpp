// `seg eval`: evaluates a rule over data and prints the count, checksum and share, or the
// member ids, or a page of rows.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"
#include "tools/seg/data.hpp"

namespace seg::cli {
namespace cmd_eval {

struct EvalCmd {
  CommonOptions common;
  DataOptions data;
  bool count = false;
  bool ids = false;
  uint64_t rows = 0;
  uint64_t offset = 0;
  unsigned threads = 1;
  bool jit = false;
};

void run(const EvalCmd& o) {
  auto now = resolve_now(o.common);  // before loading: a bad --now should not wait for the data
  if (!now) return;
  refuse_no_rule(o.common);  // before a load that may take seconds (found by a review)
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
  ro.want_ids = o.ids;
  api::Page page;
  if (o.rows > 0) page = query->rows(o.offset, o.rows, ro);
  else page.result = query->count(ro);
  const api::Result& r = page.result;
  for (const auto& w : r.warnings) fmt::print(stderr, "seg: warning: {}\n", w);
  double share = r.rows_total ? static_cast<double>(r.count) / static_cast<double>(r.rows_total) : 0.0;
  if (o.common.fmt() == Format::Json) {
    nlohmann::ordered_json j;
    j["ok"] = true;
    j["count"] = r.count;
    j["checksum"] = r.checksum;
    j["elapsed_ms"] = r.elapsed_ms;
    j["share"] = share;
    j["rows_total"] = r.rows_total;
    if (o.ids) j["ids"] = r.ids;
    j["load"] = load_json(store->report());
    j["diagnostics"] = nlohmann::ordered_json::parse(diags_json);
    if (o.rows > 0) {
      j["offset"] = page.offset;
      auto& rows = j["rows"] = nlohmann::ordered_json::array();
      // Typed values, never display text split again (a tag `A|B` is one tag).
      for (const auto& row : page.rows) {
        nlohmann::ordered_json obj;
        for (size_t c = 0; c < page.columns.size(); ++c) obj[page.columns[c]] = nlohmann::ordered_json::parse(api::value_json(row[c]));
        rows.push_back(std::move(obj));
      }
    }
    fmt::print("{}\n", j.dump(2));
  } else if (o.ids) {
    std::string out;
    for (int64_t id : r.ids) out += std::to_string(id) + '\n';
    fmt::print("{}", out);
  } else if (o.rows > 0) {
    // The summary a person reads first, then the page of members as CSV, the id column first.
    uint64_t first = page.offset, last = page.offset + page.rows.size();
    std::string what = last > first ? fmt::format("members {}-{}:", grouped(first + 1), grouped(last))
                       : r.count == 0 ? std::string("no members.")
                                      : fmt::format("no members past --offset {}.", o.offset);
    fmt::print("{} ({} of {}) in {}; {}\n", plural(r.count, "client", "clients"), share_text(r.count, r.rows_total),
               grouped(r.rows_total), ms_text(r.elapsed_ms), what);
    fmt::print("{}", api::PageWriter(api::RowsFormat::Csv).write(page));
  } else if (o.count) {
    fmt::print("{}\n", r.count);
  } else {
    fmt::print("count {}  checksum {}  share {:.3f}%  elapsed {:.2f} ms\n", r.count, r.checksum, share * 100,
               r.elapsed_ms);
  }
}

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "Evaluate a rule over client data");
  cmd->footer(
      "Examples:\n"
      "  seg eval 'tag any (VIP) and spot = 12' --data data/clients-1000000.seg\n"
      "  seg eval -f examples/rule.seg --data examples/clients.csv --ids\n"
      "  seg eval 'spot = 12' --data examples/clients.csv --rows 2 --offset 1 --format json\n"
      "Exit codes: 0 evaluated, 1 rule or data errors, 2 usage or I/O error.");
  auto o = std::make_shared<EvalCmd>();
  add_rule_options(*cmd, o->common);
  add_schema_option(*cmd, o->common);
  add_format_option(*cmd, o->common);
  add_now_option(*cmd, o->common);
  add_data_options(*cmd, o->data);
  auto* count = cmd->add_flag("--count", o->count, "Print only the number of members");
  auto* ids = cmd->add_flag("--ids", o->ids, "Print the member ids, sorted");
  // Checked as text first: "-1" would otherwise wrap to 2^64 - 1 (found by QA).
  const CLI::Validator whole(
      [](std::string& v) -> std::string {
        bool digits = !v.empty() && v.size() <= 15 && v.find_first_not_of("0123456789") == std::string::npos;
        return digits ? "" : "expects a whole number from 0 to 999999999999999, not '" + v + "'";
      },
      "");
  auto* rows = cmd->add_option("--rows", o->rows, "Print N member rows (sorted by id)")->check(whole);
  cmd->add_option("--offset", o->offset, "Skip the first N members before --rows")->needs(rows)->check(whole);
  count->excludes(ids)->excludes(rows);
  ids->excludes(rows);
  cmd->add_option("--threads", o->threads, "Threads to evaluate on, at most (each takes a million rows or more)")->check(in_range(1u, 256u));
  cmd->add_flag("--jit", o->jit, "Run each conjunction's column tests as one kernel compiled by the JIT (LLVM)");
  cmd->callback([o] { run(*o); });
}

CommandRegistrar reg(50, setup);
}  // namespace cmd_eval
}  // namespace seg::cli
