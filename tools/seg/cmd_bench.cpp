// `seg bench`: runs the reference rules Q1-Q6 and reports median time, rows per second,
// bytes per client and how close each rule comes to the memory-bandwidth bound.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "compiler/compile.hpp"
#include "runtime/exec/bandwidth.hpp"
#include "runtime/exec/evaluate.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/jit/jit.hpp"
#include "tools/workload/workload.hpp"
#include "api/internal.hpp"
#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"
#include "tools/seg/data.hpp"

namespace seg::cli {
namespace cmd_bench {

struct BenchCmd {
  CommonOptions common;
  DataOptions data;
  uint64_t rows = 1000000;
  unsigned threads = 1;
  int repeat = 0;  // 0: chosen by size
  std::vector<std::string> rules;  // timed after Q1-Q6 as R1, R2, ...
  std::string rules_file;          // more of them, one a line
  std::string path = "auto";       // auto: the planner's choice; scan: never the few-ids path
  bool jit = false;                // conjunctions' column tests as JIT kernels
  bool cold = false;               // evict the caches before each run
  bool only = false;               // the rules given alone, without Q1-Q6 (profiling one rule)
  bool no_bound = false;           // skip the memory-bandwidth measurement (and so the bound)
};

// Q1-Q6, then the rules given (--rule, then --rules-file, one a line; blank lines and lines
// starting with # skipped) as R1, R2, ...
struct BenchRule {
  std::string id, text;
  const rt::WorkloadRule* workload = nullptr;
  std::string file;  // a --rules-file rule's: its diagnostics name the file and line
  size_t line = 0;
};
std::vector<BenchRule> bench_rules(const BenchCmd& o) {
  std::vector<BenchRule> out;
  if (!o.only)
    for (const auto& w : rt::workload_rules()) out.push_back({w.id, w.text, &w});
  size_t n = 0;
  for (const auto& r : o.rules) out.push_back({"R" + std::to_string(++n), r, nullptr});
  if (!o.rules_file.empty())
    for (auto& r : read_rules_file(o.rules_file, o.common.fmt()))
      out.push_back({"R" + std::to_string(++n), std::move(r.text), nullptr, o.rules_file, r.line});
  return out;
}

// The data timed: a file (--data) or the reference workload generated in memory.
struct Data {
  std::optional<api::Store> opened;
  std::optional<rt::Store> generated;
  std::string source;
  // The one of the two (found each time: a pointer kept would point into a moved-from Data).
  const rt::Store& store() const { return opened ? api::internal::store(*opened) : *generated; }
  double load_s = 0;
};

std::optional<Data> load(const BenchCmd& o) {
  Data d;
  auto t0 = std::chrono::steady_clock::now();
  // The engine's own types: bench measures plans and kernels against the memory bandwidth.
  if (!o.data.data.empty()) {
    d.opened = open_data(o.data, o.common);
    if (!d.opened) return std::nullopt;
    d.source = o.data.data;
  } else {
    auto api_schema = load_schema(o.common);
    if (!api_schema) return std::nullopt;
    const Schema* schema = &api::internal::schema(*api_schema);
    // Said up front rather than found as bad_alloc minutes in: generating holds every value
    // as 8 bytes per field while the store is packed beside it.
    uint64_t need = o.rows * (schema->fields.size() * 8 + 64);
    uint64_t have = static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    if (have && need > have) {
      fmt::print(stderr, "seg: --rows {} needs about {:.1f} GB of memory to generate; this machine has {:.1f} GB\n",
                 o.rows, need / 1e9, have / 1e9);
      exit_with(2);
    }
    d.generated = rt::generate_workload_store(*schema, o.rows);
    d.source = fmt::format("generated in memory, seed {}", rt::kWorkloadSeed);
  }
  d.load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return d;
}

struct Row {
  std::string id, rule;
  uint64_t count = 0, checksum = 0, bytes = 0;
  double median_ms = 0, min_ms = 0, bound_ms = 0;
  bool has_bound = false;  // measured, and the rule scans columns (a lookup reads lines: no bound)
  unsigned threads = 1;    // ran on (each thread takes 16 blocks: fewer than asked on small data)
  std::string check, path;
  int fused = 0;
};

// What every rule's row is measured with.
struct Setup {
  const rt::Store& store;
  rt::PlanOptions plan;
  int repeat;
  double bandwidth;  // bytes a second of one thread's scan; 0: not measured (--no-bound)
  bool pinned;       // generated data of a pinned size: Q1-Q6 checked against the pinned figures
  bool jit_warned = false;
};

// Every rule compiled before any is timed, so a wrong one is said at once (it was said after
// the rules before it had been timed), in the format asked for: its diagnostics at its own line
// of its file (the file's name, not R<n>) as refresh shows them, or a JSON document.
std::vector<ir::Node> compile_all(const BenchCmd& o, const std::vector<BenchRule>& rules, const Schema& schema) {
  std::vector<ir::Node> out;
  for (const BenchRule& rule : rules) {
    Compiled c = compile_rule(rule.text, schema);
    if (c.ir) {
      out.push_back(std::move(*c.ir));
      continue;
    }
    const bool in_file = rule.line != 0;
    if (o.common.fmt() == Format::Json) {
      nlohmann::ordered_json j;
      j["ok"] = false;
      j["rule"] = rule.id;
      if (in_file) j["source"] = rule.file, j["line"] = rule.line;
      j["diagnostics"] = nlohmann::ordered_json::parse(render_json(c.diags.list(), rule.text));
      fmt::print("{}\n", j.dump(2));
    } else {
      fmt::print(stderr, "{}", render_text(c.diags.list(), in_file ? rule.file : rule.id, rule.text, use_color(2),
                                           static_cast<uint32_t>(in_file ? rule.line : 1)));
    }
    exit_with(1);
  }
  return out;
}

// One rule, timed `repeat` times, plan building counted in each run.
Row time_rule(const BenchCmd& o, const BenchRule& rule, const ir::Node& ir, Setup& t) {
  const rt::Store* store = &t.store;
  const uint64_t n = store->rows();
  std::vector<double> times;
  rt::EvalResult last;
  for (int k = 0; k < t.repeat; ++k) {
    if (o.cold) rt::evict_caches();
    // Plan building is part of each evaluation (it resolves `now` and samples the data).
    auto t0 = std::chrono::steady_clock::now();
    rt::Plan plan = rt::build_plan(ir, *store, 0, t.plan);
    rt::EvalOptions eo;
    eo.threads = o.threads;
    last = rt::evaluate(plan, *store, eo);
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  Row r;
  r.id = rule.id;
  r.rule = rule.text;
  r.count = last.count;
  r.checksum = last.checksum;
  r.median_ms = times[times.size() / 2];
  r.min_ms = times.front();
  rt::Plan plan = rt::build_plan(ir, *store, 0, t.plan);
  r.path = rt::plan_path(plan, *store);
  if (!plan.jit_warning.empty() && !t.jit_warned)
    fmt::print(stderr, "seg: warning: {}\n", plan.jit_warning), t.jit_warned = true;
  r.fused = plan.fused;
  r.bytes = plan.probe.node >= 0 ? 0 : rt::plan_bytes(plan, *store, last.count);  // a lookup reads lines, not columns
  r.has_bound = t.bandwidth > 0 && plan.probe.node < 0;
  r.bound_ms = r.has_bound ? static_cast<double>(r.bytes) / t.bandwidth * 1e3 : 0;
  r.threads = last.threads;
  if (t.pinned && rule.workload) {
    const rt::Pinned* p = rule.workload->pinned(n);
    r.check = p->count == r.count && p->checksum == r.checksum ? "ok" : "MISMATCH";
  }
  return r;
}

struct Header {
  uint64_t n;
  const std::string& source;
  unsigned ran;  // the most threads any rule ran on
  int repeat;
  double load_s, per_client, bandwidth;
  bool pinned;
};

void print_json(const BenchCmd& o, const Header& h, const std::vector<Row>& out) {
  const uint64_t n = h.n;
  const double bandwidth = h.bandwidth;
  nlohmann::ordered_json j;
  j["ok"] = std::none_of(out.begin(), out.end(), [](const Row& r) { return r.check == "MISMATCH"; });
  j["rows"] = n;
  j["source"] = h.source;
  j["threads"] = h.ran;
  j["threads_asked"] = o.threads;
  j["repeat"] = h.repeat;
  j["cold"] = o.cold;
  j["load_s"] = h.load_s;
  j["bytes_per_client"] = h.per_client;
  j["scan_gb_per_s"] = bandwidth > 0 ? nlohmann::ordered_json(bandwidth / 1e9) : nlohmann::ordered_json();
  if (o.jit) {
    rt::jit::Stats js = rt::jit::stats();
    j["jit"] = {{"kernels_compiled", js.compiled}, {"compile_ms", js.compile_ms}, {"cache_hits", js.cache_hits}};
  }
  auto& rs = j["rules"] = nlohmann::ordered_json::array();
  for (const auto& r : out) {
    nlohmann::ordered_json x;
    x["id"] = r.id;
    x["rule"] = r.rule;
    x["count"] = r.count;
    x["checksum"] = r.checksum;
    x["median_ms"] = r.median_ms;
    x["min_ms"] = r.min_ms;
    x["rows_per_s"] = r.median_ms > 0 ? n / (r.median_ms / 1e3) : 0;
    x["bytes_read"] = r.bytes;
    x["bound_ms"] = r.has_bound ? nlohmann::ordered_json(r.bound_ms) : nlohmann::ordered_json();
    x["ratio"] = r.has_bound && r.bound_ms > 0 ? nlohmann::ordered_json(r.median_ms / r.bound_ms) : nlohmann::ordered_json();
    x["threads"] = r.threads;
    x["path"] = r.path;
    x["jit_kernels"] = r.fused;
    if (!r.check.empty()) x["pinned"] = r.check;
    rs.push_back(std::move(x));
  }
  fmt::print("{}\n", j.dump(2));
}

void print_text(const BenchCmd& o, const Header& h, const std::vector<Row>& out) {
  const uint64_t n = h.n;
  const unsigned ran = h.ran;
  fmt::print("{} rows ({}), {} thread{}{}, median of {} {}runs; loaded in {:.2f} s\n", n, h.source, ran, ran == 1 ? "" : "s",
             ran < o.threads ? fmt::format(" ({} asked: each thread takes at least a million rows)", o.threads) : "", h.repeat,
             o.cold ? "cold " : "", h.load_s);
  fmt::print("resident: {:.1f} bytes per client; single-thread memory scan: {}\n\n", h.per_client,
             h.bandwidth > 0 ? fmt::format("{:.1f} GB/s", h.bandwidth / 1e9) : "not measured (--no-bound)");
  fmt::print("{:<4} {:>10} {:>16} {:>10} {:>10} {:>12} {:>10} {:>10} {:>7}  {}\n", "rule", "count", "checksum",
             "median ms", "min ms", "rows/s", "MB read", "bound ms", "ratio", h.pinned ? "pinned" : "");
  for (const auto& r : out) {
    std::string ratio = r.has_bound && r.bound_ms > 0 ? fmt::format("{:>6.2f}x", r.median_ms / r.bound_ms) : "      -";
    std::string bound = r.has_bound ? fmt::format("{:.3f}", r.bound_ms) : "-";
    fmt::print("{:<4} {:>10} {:>16} {:>10.3f} {:>10.3f} {:>12.3g} {:>10.1f} {:>10} {}  {}\n", r.id, r.count,
               r.checksum, r.median_ms, r.min_ms, r.median_ms > 0 ? n / (r.median_ms / 1e3) : 0.0, r.bytes / 1e6,
               bound, ratio, r.check);
  }
  for (const auto& r : out)
    if (r.path != "scan") fmt::print("{}: {}\n", r.id, r.path);
  if (o.jit) {
    rt::jit::Stats js = rt::jit::stats();
    fmt::print("JIT: {} kernels compiled in {:.1f} ms ({:.1f} ms each, counted in no median: each rule's first run "
               "compiles), {} found in the cache\n",
               js.compiled, js.compile_ms, js.compiled ? js.compile_ms / static_cast<double>(js.compiled) : 0.0,
               js.cache_hits);
  }
  for (const auto& r : out)
    if (r.id[0] == 'R') fmt::print("{}: {}\n", r.id, r.rule);
}

void run(const BenchCmd& o) {
  if (o.only && o.rules.empty() && o.rules_file.empty()) {
    fmt::print(stderr, "seg: --only times the rules of --rule and --rules-file; give one\n");
    exit_with(2);
  }
  std::optional<Data> data = load(o);
  if (!data) return;
  const std::vector<BenchRule> rules = bench_rules(o);
  const std::vector<ir::Node> irs = compile_all(o, rules, data->store().schema());
  const uint64_t n = data->store().rows();
  // Generated data of a pinned size is checked against the pinned figures (workload_rules()).
  const bool pinned = o.data.data.empty() && rt::workload_rules().front().pinned(n);
  const int repeat = o.repeat > 0 ? o.repeat : n >= 5000000 ? 7 : 21;
  // About a second (512 MB touched and read five times): scripts comparing timings skip it.
  const double bandwidth = o.no_bound ? 0 : rt::measure_scan_bandwidth();
  Setup t{data->store(),
          {.probe = o.path == "scan" ? rt::ProbeMode::Never : rt::ProbeMode::Auto, .jit = o.jit},
          repeat,
          bandwidth,
          pinned};
  std::vector<Row> out;
  for (size_t i = 0; i < rules.size(); ++i) out.push_back(time_rule(o, rules[i], irs[i], t));
  // The threads the rules ran on (the most any did): the header said the threads asked, which
  // small data leaves unused (a review; `explain` says both too).
  unsigned ran = 1;
  for (const auto& r : out) ran = std::max(ran, r.threads);
  const double per_client = n ? static_cast<double>(data->store().data_bytes()) / static_cast<double>(n) : 0;
  const Header h{n, data->source, ran, repeat, data->load_s, per_client, bandwidth, pinned};
  if (o.common.fmt() == Format::Json) print_json(o, h, out);
  else print_text(o, h, out);
  if (std::any_of(out.begin(), out.end(), [](const Row& r) { return r.check == "MISMATCH"; })) exit_with(1);
}

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Benchmark the reference rules Q1-Q6");
  cmd->footer(
      "Examples:\n"
      "  seg bench                         # 1M generated rows, one thread\n"
      "  seg bench --rows 10000000 --threads 2\n"
      "  seg bench --data data/clients-1000000.seg --format json\n"
      "  seg bench --rule 'player_id in (1014515, 1010643) and stage = Ignored' --path scan   # A/B the few-ids path\n"
      "  seg bench --data c10m.seg --cold --rule 'deposit_total <= 321.3'   # the columns from memory each run\n"
      "With generated data of 1M or 10M rows, results are checked against the pinned figures (workload_rules() in tools/workload/workload.cpp).\n"
      "Exit codes: 0 done, 1 a result differs from the pinned one, 2 usage or I/O error.");
  auto o = std::make_shared<BenchCmd>();
  auto* rows = cmd->add_option("--rows", o->rows, "Rows to generate when no --data is given (default 1,000,000)")->check(in_range(uint64_t{1}, uint64_t{1} << 34));
  cmd->add_option("--threads", o->threads, "Threads to evaluate on, at most (each takes a million rows or more)")->check(in_range(1u, 256u));
  cmd->add_option("--repeat", o->repeat, "Runs per rule (default 21 at 1M, 7 from 5M rows)")->check(in_range(1, 1000));
  cmd->add_option("--rule", o->rules, "A rule to time after Q1-Q6 (R1, R2, ...); repeatable")->type_name("RULE");
  cmd->add_option("--rules-file", o->rules_file, "More rules to time, one a line (# and -- comments)")->type_name("FILE");
  cmd->add_flag("--only", o->only, "Time only the --rule and --rules-file rules, not Q1-Q6 (to profile one rule)");
  cmd->add_flag("--jit", o->jit, "Run each conjunction's column tests as one kernel compiled by the JIT (LLVM)");
  cmd->add_flag("--no-bound", o->no_bound,
                "Skip measuring the memory bandwidth (about a second), so no bound or ratio: for scripts that "
                "compare timings");
  cmd->add_flag("--cold", o->cold,
                "Read 256 MB before each run, so the rule's columns come from memory rather than the caches "
                "(as for one rule among many)");
  cmd->add_option("--path", o->path, "auto: the planner's choice; scan: never the few-ids path (for A/B)")
      ->check(CLI::IsMember({"auto", "scan"}));
  add_data_options(*cmd, o->data, false);
  // With --data the rows are the file's: --rows was ignored without a word (found by a review).
  rows->excludes(cmd->get_option("--data"));
  add_schema_option(*cmd, o->common);
  add_format_option(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

CommandRegistrar reg(80, setup);
}  // namespace cmd_bench
}  // namespace seg::cli
