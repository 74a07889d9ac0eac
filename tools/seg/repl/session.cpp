// The REPL session: loading data and running a rule (see session.hpp).
#include "tools/seg/repl/session.hpp"

namespace seg::repl {
std::string plural(uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", grouped(n), n == 1 ? one : many);
}

std::string share_text(uint64_t count, uint64_t total) {
  if (!total || !count) return "0%";
  double p = 100.0 * static_cast<double>(count) / static_cast<double>(total);
  if (p >= 10) return fmt::format("{:.1f}%", p);
  if (p >= 0.01) return fmt::format("{:.2f}%", p);
  return "<0.01%";
}

std::string ms_text(double ms) {
  if (ms >= 1000) return fmt::format("{:.2f} s", ms / 1000);
  if (ms >= 10) return fmt::format("{:.0f} ms", ms);
  return fmt::format("{:.2f} ms", ms);
}

std::vector<std::string> data_files_here() {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const char* dir : {"data", "."}) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      auto ext = it->path().extension().string();
      if (ext != ".seg" && ext != ".csv" && ext != ".jsonl") continue;
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

void print_diagnostics(const Diagnostics& d, const std::string& source, const std::string& text,
                              uint32_t first_line, const Out& o) {
  if (d.empty()) return;
  std::string shifted = std::string(first_line - 1, '\n') + text;
  std::vector<Diagnostic> list = d.list();
  for (auto& x : list) {
    x.span.begin += first_line - 1;
    x.span.end += first_line - 1;
  }
  std::fflush(stdout);
  fmt::print(stderr, "{}", render_text(list, source, shifted, o.color_err));
}

bool load_data(Session& s, const std::string& path, const Out& o) {
  rt::LoadOptions lo;
  lo.skip_bad_rows = s.skip_bad_rows;
  lo.verify = s.verify;
  if (o.tty) lo.progress = cli::terminal_progress(path);
  rt::LoadResult r = rt::load_data(path, s.schema, lo);
  if (lo.progress) std::fputs("\r\033[K", stderr);
  if (!r.ok()) {
    std::fflush(stdout);
    for (const auto& e : r.errors) fmt::print(stderr, "{}\n", e.to_string());
    bool io = !r.errors.empty() && r.errors[0].code == "E701";
    if (io) {
      // A near miss of a file that is there: suggest it.
      namespace fs = std::filesystem;
      fs::path p(path);
      fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
      std::vector<std::string> names;
      std::error_code ec;
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        names.push_back(it->path().filename().string());
      auto near = nearest(p.filename().string(), names, 1);
      if (!near.empty())
        fmt::print(stderr, "  help: did you mean {}?\n", (p.has_parent_path() ? dir / near[0] : fs::path(near[0])).string());
    }
    o.info("{}\n", s.store ? fmt::format("still loaded: {} ({})", s.data_path, plural(s.store->rows(), "client", "clients"))
                           : std::string("no data loaded"));
    s.problem(io ? 2 : 1);
    return false;
  }
  cli::report_load(r, cli::Format::Text);
  s.store = std::move(r.store);
  s.data_path = path;
  o.info("loaded {}: {} in {}\n", path, plural(s.store->rows(), "client", "clients"), ms_text(r.seconds * 1000));
  return true;
}

rt::EvalResult run_plan(const Session& s, const ir::Node& ir, bool want_rows, rt::Plan* plan_out,
                               bool explain) {
  rt::Plan plan = rt::build_plan(ir, *s.store, s.now_value());
  rt::EvalOptions eo;
  eo.want_rows = want_rows;
  eo.explain = explain;
  rt::EvalResult r = rt::evaluate(plan, *s.store, eo);
  if (plan_out) *plan_out = std::move(plan);
  return r;
}

std::optional<ir::Node> compile_segment(const Session& s, const Segment& seg, const Out& o) {
  Compiled c = compile_rule(seg.text, s.active_schema());
  if (!c.ir) {
    o.error("segment {} no longer compiles against this data:\n", seg.name);
    print_diagnostics(c.diags, seg.name, seg.text, 1, o);
  }
  return std::move(c.ir);
}

void run_rule(Session& s, const std::string& text, const std::string& source, uint32_t first_line,
                     const Out& o) {
  auto t0 = std::chrono::steady_clock::now();
  Compiled c = compile_rule(text, s.active_schema());
  print_diagnostics(c.diags, source, text, first_line, o);
  if (!c.ir) {
    s.problem(1);
    return;
  }
  s.last_text = text;
  s.last_ir = c.ir;
  const Schema& schema = s.active_schema();
  if (!s.store) {
    o.result("ok: {}\n", ir::print_rule(*c.ir, schema));
    if (o.tty || !s.hinted) o.info("{}\n", o.dim(load_hint()));
    s.hinted = true;
    return;
  }
  rt::EvalResult r = run_plan(s, *c.ir, s.rows > 0);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  uint64_t total = s.store->rows();
  std::string head = fmt::format("{} ({} of {})", plural(r.count, "client", "clients"), share_text(r.count, total),
                                 grouped(total));
  o.result("{}{}\n", o.bold(head), s.timer ? fmt::format(" in {}", ms_text(ms)) : "");
  if (s.rows > 0 && r.count > 0) {
    Table t = rows_table(*s.store, r.rows, 0, s.rows);
    RenderedTable rt = render_table(t, o.width, o.color);
    o.result("{}", rt.text);
    std::string more;
    if (r.count > t.rows.size())
      more = fmt::format("first {} of {} shown; .rows N to change", grouped(t.rows.size()), grouped(r.count));
    if (!rt.hidden.empty())
      more += fmt::format("{}{} not shown (terminal too narrow)", more.empty() ? "" : "; ", fmt::join(rt.hidden, ", "));
    if (!more.empty()) o.result("{}\n", o.dim("(" + more + ")"));
  }
}

}  // namespace seg::repl
