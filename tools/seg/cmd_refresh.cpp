// `seg refresh`: every saved segment's members over one data set in one shared pass (the
// catalog's segments, or a file of rules), with their counts. The work is the library's
// (api::Membership); this gathers the rules and prints the counts.
#include <algorithm>
#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "service/catalog.hpp"
#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"
#include "tools/seg/data.hpp"

namespace seg::cli {
namespace cmd_refresh {

struct RefreshCmd {
  CommonOptions common;  // --schema, --format, --now
  DataOptions data;
  std::string catalog, rules_file;
  std::string state;  // --state DIR: also make a membership directory (seg apply/events/members)
  bool one_by_one = false;
  bool bitmaps = false;   // keep the members as bitmaps, as a membership does, and report their size
  bool no_share = false;  // each segment on its own in the pass (A/B of the shared tests)
};

struct Named {
  int64_t id;
  std::string title, text, source;  // source: where the rule came from, for its diagnostics
  size_t line = 1;                   // of the rule in `source`
};

std::vector<Named> gather(const RefreshCmd& o) {
  std::vector<Named> out;
  if (!o.catalog.empty()) {
    std::string error;
    // Counting a catalog that is not there is a mistake (opening it made an empty one and
    // reported 0 segments, found by a review). With --state it is a new service's first
    // membership (the README's quick start), and the catalog starts empty.
    std::error_code ec;
    if (o.state.empty() && !std::filesystem::exists(o.catalog, ec))
      input_failure(o.catalog,
                    fmt::format("{}: no such file (a catalog is made by `seg serve --catalog`, the REPL, or `seg refresh "
                                "--catalog FILE --state DIR` for a new service)",
                                o.catalog),
                    o.common.fmt());
    auto cat = service::Catalog::open(o.catalog, error);
    if (!cat) input_failure(o.catalog, error, o.common.fmt());
    for (const auto& s : cat->list())
      out.push_back({s.id, s.content.title, s.content.rule_text, fmt::format("{}: segment {}", o.catalog, s.id)});
  } else {
    for (auto& r : read_rules_file(o.rules_file, o.common.fmt()))
      out.push_back({static_cast<int64_t>(r.line), "", r.text, o.rules_file, r.line});
  }
  return out;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// --state must name a new or empty directory: said before the data is read and every segment
// counted, not after (found by a review), and a file there is named as a file. The library
// checks again when it makes the directory.
void check_state_dir(const RefreshCmd& o) {
  if (o.state.empty()) return;
  std::error_code ec;
  const auto st = std::filesystem::status(o.state, ec);
  if (std::filesystem::exists(st) && !std::filesystem::is_directory(st)) {
    fmt::print(stderr, "seg refresh: --state {}: is a file, not a directory (name a new directory)\n", o.state);
    exit_with(2);
  }
  if (std::filesystem::is_directory(st) && !std::filesystem::is_empty(o.state, ec)) {
    fmt::print(stderr,
               "seg refresh: --state {}: a membership directory must be new or empty (this one has files: to change "
               "it, use seg apply --state; or name a new directory)\n",
               o.state);
    exit_with(2);
  }
}

// The segments whose rules compiled and prepared, and what is said of the others.
struct Prepared {
  std::vector<api::SegmentQuery> queries;
  std::vector<const Named*> kept;
  std::vector<nlohmann::ordered_json> warnings;  // a kept segment's diagnostics (JSON only)
  // The text table keeps a segment a line: a rule written over several lines (a catalog's, with
  // comments) is shown as its canonical text, which is one line.
  std::vector<std::string> one_line;
  nlohmann::ordered_json failed = nlohmann::ordered_json::array();
};

Prepared prepare(const RefreshCmd& o, const std::vector<Named>& named, const api::Store& store) {
  Prepared p;
  const api::Schema schema = store.schema();
  for (const auto& n : named) {
    api::Rule rule = api::Rule::compile(n.text, schema);
    std::vector<api::Diagnostic> diags = rule.diagnostics();
    std::optional<api::Query> q;
    if (rule.ok()) q = api::Query::prepare(rule, store, diags);
    // Errors and warnings alike are said, at the rule's own line of its file (the diagnostics
    // count lines from the rule's): a kept segment's warnings were dropped (found by a review).
    if (o.common.fmt() == Format::Text && !diags.empty()) print_diagnostics(diags, n.source, n.text, n.line);
    auto diags_json = [&] { return nlohmann::ordered_json::parse(api::render_json(diags, n.text)); };
    if (!q) {  // reported and left out; the others are refreshed (exit 1 at the end)
      // The error that left it out, not a warning before it (a review found W204 named).
      auto why = std::find_if(diags.begin(), diags.end(), [](const api::Diagnostic& d) { return d.is_error(); });
      if (why == diags.end()) why = diags.begin();
      if (o.common.fmt() == Format::Json)
        p.failed.push_back({{"id", n.id},
                            {"source", n.source},
                            {"line", n.line},
                            {"message", why == diags.end() ? "" : why->message},
                            {"code", why == diags.end() ? "" : why->code},
                            {"diagnostics", diags_json()}});
      continue;
    }
    p.queries.push_back({n.id, std::move(*q)});
    p.kept.push_back(&n);
    p.warnings.push_back(o.common.fmt() == Format::Json ? diags_json() : nlohmann::ordered_json::array());
    p.one_line.push_back(n.text.find_first_of("\r\n") == std::string::npos ? n.text : rule.canonical_text());
  }
  return p;
}

// The shared pass, and with --one-by-one the A/B: each segment alone, as a client without the
// shared pass would; their counts must agree.
struct Counted {
  api::Membership m;
  double alone_ms = 0;
  size_t disagree = 0;
};

Counted count(const RefreshCmd& o, const Prepared& p, const api::RunOptions& ro) {
  // The A/B warms up first: the first pass over a freshly opened store also pays for touching
  // its pages (253-298 against 240 ms warm at 10M, 1,000 segments), which the one-by-one
  // runs after it did not; one untimed pass puts both on the same footing.
  if (o.one_by_one) (void)api::Membership::refresh(p.queries, ro, {.members = false, .share = !o.no_share});
  Counted c{api::Membership::refresh(p.queries, ro,
                                     {.members = o.bitmaps, .share = !o.no_share, .measure_floor = o.one_by_one})};
  if (o.one_by_one) {
    auto t0 = std::chrono::steady_clock::now();
    for (const auto& q : p.queries)
      if (q.query.count(ro).count != c.m.count(q.id)) ++c.disagree;
    c.alone_ms = ms_since(t0);
  }
  return c;
}

void print_json(const RefreshCmd& o, const Prepared& p, const Counted& c, const api::Store& store) {
  const api::RefreshStats& st = c.m.stats();
  auto counts = c.m.counts();
  nlohmann::ordered_json j;
  j["ok"] = p.failed.empty() && c.disagree == 0;
  j["rows"] = store.rows();
  auto segs = nlohmann::ordered_json::array();
  for (size_t i = 0; i < counts.size(); ++i)
    segs.push_back({{"id", counts[i].id}, {"title", p.kept[i]->title}, {"rule", p.kept[i]->text}, {"count", counts[i].count},
                    {"diagnostics", p.warnings[i]}});
  j["segments"] = segs;
  j["failed"] = p.failed;
  j["load"] = load_json(store.report());  // skipped rows and added values, as eval says them
  j["stats"] = {{"segments", st.segments},         {"distinct", st.distinct},
                {"blocks", st.blocks},             {"shared_tests", st.shared_tests},
                {"shared_uses", st.shared_uses},   {"column_bytes", st.column_bytes},
                {"bitmap_bytes", st.bitmap_bytes}, {"elapsed_ms", st.elapsed_ms}};
  // The floor the issue measures the pass against: every column the rules test read once,
  // at this machine's single-thread streaming rate (measured now, as `seg bench` does).
  if (o.one_by_one)
    j["one_by_one"] = {{"elapsed_ms", c.alone_ms}, {"disagree", c.disagree}, {"read_once_ms", st.read_once_ms},
                       {"bandwidth_gb_s", st.scan_bytes_per_second / 1e9}};
  fmt::print("{}\n", j.dump(2));
}

void print_text(const RefreshCmd& o, const Prepared& p, const Counted& c, const api::Store& store, size_t asked) {
  const api::RefreshStats& st = c.m.stats();
  auto counts = c.m.counts();
  std::string out = fmt::format("{:>10}  {:>10}  {}\n", "segment", "members", "rule");
  for (size_t i = 0; i < counts.size(); ++i) {
    const Named& n = *p.kept[i];
    out += fmt::format("{:>10}  {:>10}  {}{}\n", counts[i].id, grouped(counts[i].count), n.title.empty() ? "" : n.title + ": ",
                       p.one_line[i]);
  }
  out += fmt::format("{} ({} distinct) over {} in one pass: {:.1f} ms; {} shared by {}{}\n",
                     plural(st.segments, "segment", "segments"), grouped(st.distinct),
                     plural(store.rows(), "client", "clients"), st.elapsed_ms, plural(st.shared_tests, "test", "tests"),
                     plural(st.shared_uses, "place", "places"),
                     o.bitmaps ? fmt::format("; bitmaps {} bytes", st.bitmap_bytes) : std::string());
  if (o.one_by_one) {
    const double floor_ms = st.read_once_ms;
    out += fmt::format("one by one: {:.1f} ms ({:.2f}x the shared pass); counts {}\n", c.alone_ms,
                       st.elapsed_ms > 0 ? c.alone_ms / st.elapsed_ms : 0.0,
                       c.disagree ? fmt::format("DIFFER for {} segments", c.disagree) : std::string("agree"));
    out += fmt::format("every column the rules test, read once: {:.1f} MB, {:.1f} ms at {:.1f} GB/s ({:.1f}x under the shared pass)\n",
                       static_cast<double>(st.column_bytes) / 1e6, floor_ms, st.scan_bytes_per_second / 1e9,
                       floor_ms > 0 ? st.elapsed_ms / floor_ms : 0.0);
  }
  fmt::print("{}", out);
  if (asked != p.kept.size())
    fmt::print(stderr, "seg refresh: {} of {} segments left out: their rules do not compile (above)\n",
               asked - p.kept.size(), asked);
}

// --state: the membership directory `seg apply`, `events` and `members` go on from.
void make_state(const RefreshCmd& o, const Prepared& p, const api::Store& store, int64_t now) {
  std::vector<std::pair<int64_t, std::string>> rules;
  for (const Named* n : p.kept) rules.push_back({n->id, n->text});
  std::vector<api::Diagnostic> diags;
  if (!api::LiveMembership::create(o.state, store, rules, now, diags)) {
    print_diagnostics(diags, o.state, "");
    exit_with(diags.empty() || diags[0].io ? 2 : 1);
  }
  fmt::print(stderr, "seg refresh: membership directory {} made at version 0 (seg apply, events, members)\n", o.state);
}

void run(const RefreshCmd& o) {
  if (o.catalog.empty() == o.rules_file.empty()) {
    fmt::print(stderr, "seg refresh: give the segments as --catalog FILE or as --rules-file FILE (one of them)\n");
    exit_with(2);
  }
  auto now = resolve_now(o.common);
  if (!now) return;
  check_state_dir(o);
  std::vector<Named> named = gather(o);
  auto store = open_data(o.data, o.common);
  if (!store) return;
  const Prepared p = prepare(o, named, *store);
  api::RunOptions ro;
  ro.now = *now;
  const Counted c = count(o, p, ro);
  if (o.common.fmt() == Format::Json) print_json(o, p, c, *store);
  else print_text(o, p, c, *store, named.size());
  if (!o.state.empty()) make_state(o, p, *store, *now);
  if (c.disagree || named.size() != p.kept.size()) exit_with(1);
}

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("refresh", "Count every saved segment's members in one shared pass over the data");
  cmd->footer(
      "Examples:\n"
      "  seg refresh --catalog segments.db --data data/clients-1000000.seg\n"
      "  seg refresh --rules-file rules.seg --data data/clients-1000000.seg --one-by-one   # A/B against each alone\n"
      "  seg refresh --rules-file rules.seg --data data/clients-1000000.seg --no-share    # A/B of the shared tests\n"
      "  seg refresh --rules-file examples/segments.seg --data examples/clients.csv\n"
      "  seg refresh --rules-file examples/segments.seg --data examples/clients.csv --state \"$DIR\"   # then seg apply\n"
      "The segments are the catalog's (`seg serve --catalog`, archived ones left out) or the lines of a rules\n"
      "file (blank lines and # comments skipped; a segment's id is its line number). Each block of the data\n"
      "is read once for all of them, segments with rules of equal meaning are evaluated once, and a test\n"
      "several rules make alike (`stage = Active`, `tag any (VIP)`) is evaluated once a block for all of them.\n"
      "A rule that does not compile is reported and left out; the others are still counted (exit 1).\n"
      "Exit codes: 0 counted, 1 some rules left out or counts differing (--one-by-one), 2 usage or I/O error.");
  auto o = std::make_shared<RefreshCmd>();
  auto* cat = cmd->add_option("--catalog", o->catalog, "The segments service's catalog (SQLite file)")->type_name("FILE");
  auto* rf = cmd->add_option("--rules-file", o->rules_file, "Rules, one a line (# and -- comments); ids are line numbers")->type_name("FILE");
  cat->excludes(rf);
  add_schema_option(*cmd, o->common);
  add_format_option(*cmd, o->common);
  add_now_option(*cmd, o->common);
  add_data_options(*cmd, o->data);
  cmd->add_option("--state", o->state, "Also make a membership directory here, kept current by `seg apply`")->type_name("DIR");
  cmd->add_flag("--one-by-one", o->one_by_one,
                "Also count each segment alone (after an untimed warm-up pass), time it and check the counts agree; and time reading every column once");
  cmd->add_flag("--bitmaps", o->bitmaps, "Keep the members as bitmaps, as a membership does (--state), and report their size");
  cmd->add_flag("--no-share", o->no_share, "Evaluate each segment on its own in the pass, sharing no test (A/B)");
  cmd->callback([o] { run(*o); });
}

CommandRegistrar reg(57, setup);
}  // namespace cmd_refresh
}  // namespace seg::cli
