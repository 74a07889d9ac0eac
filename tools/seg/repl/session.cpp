// The REPL session: loading data and running a rule (see session.hpp).
#include "tools/seg/repl/session.hpp"

#include "tools/seg/repl/line_editor.hpp"

#include <fstream>
#include <string_view>

namespace seg::repl {
std::vector<std::string> data_files_here() {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const char* dir : {"data", "."}) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      auto ext = it->path().extension().string();
      if (ext != ".seg" && ext != ".csv" && ext != ".jsonl") continue;
      // Rule files are .seg too (examples/rule.seg): a snapshot starts with its magic bytes.
      if (ext == ".seg") {
        char magic[8] = {};
        std::ifstream(it->path(), std::ios::binary).read(magic, sizeof magic);
        if (std::string_view(magic, sizeof magic) != std::string_view("SEGSNAP\0", 8)) continue;
      }
      std::string p = it->path().lexically_normal().string();
      out.push_back(p);
    }
  }
  // Snapshots first: they open instantly.
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    bool sa = a.ends_with(".seg"), sb = b.ends_with(".seg");
    return sa != sb ? sa : a < b;
  });
  return out;
}

std::string load_hint() {
  auto files = data_files_here();
  std::string example = files.empty() ? "data/clients.seg" : files.front();
  return fmt::format("no data loaded: `.load FILE` (CSV, JSON Lines or .seg snapshot) to count members, e.g. .load {}",
                     example);
}

void print_diagnostics(const std::vector<api::Diagnostic>& d, const std::string& source, const std::string& text,
                       uint32_t first_line, const Out& o) {
  if (d.empty()) return;
  std::fflush(stdout);
  // Line numbers count from the start of the input: the rule is shown where it was typed.
  fmt::print(stderr, "{}", api::render_text(d, source, text, o.color_err, first_line));
}

bool load_data(Session& s, const std::string& path, const Out& o) {
  api::OpenOptions oo;
  oo.skip_bad_rows = s.skip_bad_rows;
  oo.verify = s.verify;
  if (o.tty) {
    oo.progress = cli::terminal_progress(path);
    // Ctrl-C stops a long load (E718); the data loaded before stays.
    detail::g_interrupted = 0;
    oo.cancelled = [] { return detail::g_interrupted != 0; };
  }
  std::vector<api::Diagnostic> diags;
  auto store = api::Store::open(path, s.schema, diags, oo);
  detail::g_interrupted = 0;  // the Ctrl-C that stopped the load is spent
  cli::clear_progress();
  if (!store) {
    std::fflush(stdout);
    fmt::print(stderr, "{}", api::render_text(diags, path, ""));
    bool io = !diags.empty() && diags[0].io;
    std::error_code exists_ec;
    if (io && !std::filesystem::exists(path, exists_ec)) {
      // A near miss of a file that is there: suggest it (only when the name given is not
      // there: a directory named was offered back as its own correction).
      namespace fs = std::filesystem;
      fs::path p(path);
      fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
      std::vector<std::string> names;
      std::error_code ec;
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        names.push_back(it->path().filename().string());
      auto near = api::nearest_names(p.filename().string(), names, 1);
      if (!near.empty())
        fmt::print(stderr, "  help: did you mean {}?\n", (p.has_parent_path() ? dir / near[0] : fs::path(near[0])).string());
    }
    o.info("{}\n", s.store ? fmt::format("still loaded: {} ({})", s.data_path, plural(s.store->rows(), "client", "clients"))
                           : std::string("no data loaded"));
    s.problem(io ? 2 : 1);
    return false;
  }
  cli::report_load(store->report(), cli::Format::Text);
  s.store = std::move(store);
  s.store_schema = s.store->schema();
  s.data_path = path;
  o.info("loaded {}: {} in {}\n", path, plural(s.store->rows(), "client", "clients"),
         ms_text(s.store->report().seconds * 1000));
  // The last rule was compiled against the schema before: its fields and dictionary codes are
  // that schema's, and `.explain` and `.save` use it. It is compiled again against this data,
  // or dropped saying why (a review found `.explain` after loading other data crashed).
  if (s.last_rule) {
    api::Rule again = api::Rule::compile(s.last_text, s.active_schema(), api::RuleFormat::Text, "last rule");
    if (again.ok()) {
      s.last_rule = std::move(again);
    } else {
      o.error("the last rule does not compile against this data, so it is dropped:\n");
      print_diagnostics(again.diagnostics(), "last rule", s.last_text, 1, o);
      s.problem(1);
      s.last_rule.reset();
      s.last_text.clear();
    }
  }
  return true;
}

void read_catalog(Session& s) {
  if (!s.catalog) return;
  std::vector<Segment> kept;
  for (auto& seg : s.segments)
    if (!seg.id) kept.push_back(std::move(seg));  // this session's own
  s.segments.clear();
  for (const auto& c : s.catalog->list(false)) {
    Segment seg{c.content.title, c.content.rule_text, c.id, c.version, c.content.title};
    if (!valid_name(seg.name) || s.find_segment(seg.name)) seg.name = fmt::format("#{}", c.id);
    s.segments.push_back(std::move(seg));
  }
  for (auto& seg : kept)
    if (!s.find_segment(seg.name)) s.segments.push_back(std::move(seg));
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') return false;
  return true;
}

api::Query query_for(const Session& s, const api::Rule& rule) {
  std::vector<api::Diagnostic> d;
  // Rules are compiled against the store's own schema (load_data compiles the last rule again
  // when the data changes), so preparing does not fail; if it ever does, the command fails
  // with the reason rather than the session dying.
  auto q = api::Query::prepare(rule, *s.store, d);
  if (!q) throw std::runtime_error(d.empty() ? "the rule does not fit the data loaded" : api::to_string(d[0]));
  return std::move(*q);
}

std::optional<api::Rule> compile(const Session& s, const std::string& text, const std::string& source,
                                 uint32_t first_line, const Out& o) {
  api::Rule rule = api::Rule::compile(text, s.active_schema(), api::RuleFormat::Text, source);
  print_diagnostics(rule.diagnostics(), source, text, first_line, o);
  if (!rule.ok()) return std::nullopt;
  return rule;
}

std::optional<api::Rule> compile_segment(const Session& s, const Segment& seg, const Out& o) {
  api::Rule rule = api::Rule::compile(seg.text, s.active_schema(), api::RuleFormat::Text, seg.name);
  if (!rule.ok()) {
    o.error("segment {} no longer compiles against this data:\n", seg.name);
    print_diagnostics(rule.diagnostics(), seg.name, seg.text, 1, o);
    return std::nullopt;
  }
  return rule;
}

void run_rule(Session& s, const std::string& text, const std::string& source, uint32_t first_line,
                     const Out& o) {
  auto t0 = std::chrono::steady_clock::now();
  auto rule = compile(s, text, source, first_line, o);
  if (!rule) {
    s.problem(1);
    s.last_rule.reset();
    s.last_text.clear();
    s.last_failed = true;
    return;
  }
  s.last_text = text;
  s.last_rule = rule;
  s.last_failed = false;
  if (!s.store) {
    o.result("ok: {}\n", rule->canonical_text());
    if (o.tty || !s.hinted) o.info("{}\n", o.dim(load_hint()));
    s.hinted = true;
    return;
  }
  api::Page page = select_columns(query_for(s, *rule).rows(0, s.rows, s.run_options()), s.columns);
  const api::Result& r = page.result;
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  uint64_t total = r.rows_total;
  std::string head = fmt::format("{} ({} of {})", plural(r.count, "client", "clients"), share_text(r.count, total),
                                 grouped(total));
  std::string count_line = fmt::format("{}{}\n", o.bold(head), s.timer ? fmt::format(" in {}", ms_text(ms)) : "");
  // In a table the count heads the rows; in csv, json and markdown the output is the rows
  // alone (what a file or a pipe wants), and the count is a message beside them.
  if (s.mode == Mode::Table) o.result("{}", count_line);
  else o.info("{}", count_line);
  // In csv, json and markdown no rows are still a result: a header, `[]` (`.rows 0` and a
  // `.once` file had left an empty file, which is no JSON).
  if (s.mode == Mode::Table && (s.rows == 0 || r.count == 0)) return;
  RowsWriter w(s.mode, s.active_schema(), o.table_width(), o.colored());
  std::string rows = w.batch(page);
  rows += w.end();
  o.paged(rows);
  std::string more;
  if (s.rows > 0 && r.count > page.rows.size())  // `.rows 0` asked for none: no reminder
    more = fmt::format("first {} of {} shown; .rows N to change", grouped(page.rows.size()), grouped(r.count));
  if (!w.hidden.empty())
    more += fmt::format("{}{} not shown (terminal too narrow)", more.empty() ? "" : "; ", fmt::join(w.hidden, ", "));
  if (more.empty()) return;
  if (s.mode == Mode::Table) o.result("{}\n", o.dim("(" + more + ")"));
  else o.info("({})\n", more);
}

}  // namespace seg::repl
