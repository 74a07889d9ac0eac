// The REPL dot-commands (see commands.hpp).
#include "tools/seg/repl/commands.hpp"

namespace seg::repl {
namespace cmd {

bool need_rule(const Session& s, const Out& o) {
  if (s.last_ir) return true;
  o.error("no rule yet: type a rule first (e.g. stage = Active)\n");
  return false;
}

bool need_data(Session& s, const Out& o) {
  if (s.store) return true;
  o.error("{}\n", load_hint());
  s.problem(2);
  return false;
}

void help(Session&, const std::vector<std::string>& args, const std::string&, const Out& o) {
  if (!args.empty()) {
    std::string name = args[0][0] == '.' ? args[0] : "." + args[0];
    for (const auto& c : commands())
      if (iequals(c.info.name, name)) return o.result("{:<24} {}\n", c.usage, c.help);
  }
  o.result(
      "Type a rule to see its members, for example:\n"
      "  stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12\n"
      "A rule goes on over several lines while a parenthesis is open or a line ends in `and`/`or`\n"
      "(an empty line ends it). Tab completes field names, keywords and values (stages, tags,\n"
      "countries); Up/Down and Ctrl-R recall earlier rules; Ctrl-C cancels a line; Ctrl-D leaves.\n\n");
  for (const auto& c : commands())
    if (c.info.name != ".exit") o.result("{:<24} {}\n", c.usage, c.help);
}

void load(Session& s, const std::vector<std::string>& args, const std::string&, const Out& o) {
  if (args.size() != 1) {
    o.error("usage: .load FILE (CSV, JSON Lines or a .seg snapshot)\n");
    auto files = data_files_here();
    if (!files.empty()) o.info("data files here: {}\n", fmt::join(files, ", "));
    return s.problem(2);
  }
  load_data(s, args[0], o);
}

void schema(Session& s, const std::vector<std::string>&, const std::string&, const Out& o) {
  const Schema& sc = s.active_schema();
  Table t;
  t.header = {"field", "type", "aliases", "nullable", "values"};
  t.right = {false, false, false, false, false};
  for (size_t f = 0; f < sc.fields.size(); ++f) {
    const Field& fd = sc.fields[f];
    std::string type(type_name(fd.type));
    if (fd.type == FieldType::Decimal) type += fmt::format("({})", fd.scale);
    if (fd.type == FieldType::Enum && fd.dict.ordered) type += ", ordered";
    if (fd.dict.open) type += ", open";
    std::string values;
    if (fd.is_dictionary()) {
      std::vector<std::string> keys;
      for (uint32_t i = 0; i < fd.dict.size() && i < 5; ++i) keys.push_back(fd.dict[i].key);
      values = fmt::format("{}: {}{}", fd.dict.size(), fmt::join(keys, ", "), fd.dict.size() > 5 ? ", ..." : "");
    }
    if (static_cast<int>(f) == sc.id_field) values = "identifies the client";
    t.rows.push_back({fd.name, type, fmt::format("{}", fmt::join(fd.aliases, ", ")), fd.nullable ? "yes" : "no", values});
  }
  o.result("{}", render_table(t, o.width, o.color).text);
  if (s.store)
    o.result("{}\n", o.dim(fmt::format("({} loaded from {}; .values FIELD lists a dictionary with counts)",
                                       plural(s.store->rows(), "client", "clients"), s.data_path)));
  else
    o.result("{}\n", o.dim("(.values FIELD lists a dictionary's values)"));
}

int find_field(Session& s, const std::string& name, const Out& o) {
  const Schema& sc = s.active_schema();
  int f = sc.find(name);
  if (f >= 0) return f;
  auto near = nearest(name, sc.all_names(), 1);
  o.error("unknown field `{}`{}\n", name, near.empty() ? "" : fmt::format("; did you mean `{}`?", near[0]));
  s.problem(1);
  return -1;
}

void values(Session& s, const std::vector<std::string>& args, const std::string&, const Out& o) {
  if (args.size() != 1) {
    o.error("usage: .values FIELD (e.g. .values stage)\n");
    return s.problem(2);
  }
  int f = find_field(s, args[0], o);
  if (f < 0) return;
  const Schema& sc = s.active_schema();
  const Field& fd = sc.fields[static_cast<size_t>(f)];
  if (!fd.is_dictionary()) {
    std::string range;
    if (s.store) {
      const auto& meta = s.store->column(f).meta;
      if (meta.has_values)
        range = fmt::format("; in the data from {} to {}", s.store->format_value(f, meta.min),
                            s.store->format_value(f, meta.max));
    }
    // An answer, not a mistake (docs/repl.md): the range is what there is to show.
    std::string type(type_name(fd.type));
    o.result("{} is {} {} field, without a dictionary{}\n", fd.name,
             std::string_view("aeiou").find(type[0]) != std::string_view::npos ? "an" : "a", type, range);
    return;
  }
  Table t;
  bool labels = false;
  for (const auto& v : fd.dict.values()) labels |= !v.label.empty() && v.label != v.key;
  t.header = {"value"};
  t.right = {false};
  if (labels) t.header.push_back("label"), t.right.push_back(false);
  if (s.store) {
    t.header.push_back("clients"), t.right.push_back(true);
    t.header.push_back("share"), t.right.push_back(true);
  }
  auto add_row = [&](std::string value, std::string label, std::optional<uint64_t> n) {
    std::vector<std::string> r{std::move(value)};
    if (labels) r.push_back(std::move(label));
    if (n) r.push_back(grouped(*n)), r.push_back(share_text(*n, s.store->rows()));
    t.rows.push_back(std::move(r));
  };
  for (uint32_t code = 0; code < fd.dict.size(); ++code) {
    const DictValue& v = fd.dict[code];
    std::optional<uint64_t> n;
    if (s.store) {
      ir::Node q;
      q.kind = fd.type == FieldType::Set ? ir::Kind::SetAny : ir::Kind::In;
      q.field = f;
      q.values.codes = {code};
      n = run_plan(s, q, false).count;
    }
    add_row(detail::value_text(v.key, 0), v.label != v.key ? v.label : "", n);
  }
  if (s.store && (fd.nullable || fd.type == FieldType::Set)) {
    ir::Node q;
    q.kind = ir::Kind::IsNull;
    q.field = f;
    add_row(fd.type == FieldType::Set ? "(none)" : "(null)", "", run_plan(s, q, false).count);
  }
  o.result("{}", render_table(t, o.width, o.color).text);
  if (!s.store) o.result("{}\n", o.dim("(no data loaded: .load FILE to see how many clients have each value)"));
}

void show_ir(Session& s, const std::vector<std::string>&, const std::string&, const Out& o) {
  if (!need_rule(s, o)) return s.problem(2);
  const Schema& sc = s.active_schema();
  o.result("{}text: {}\nhash: {:016x}\n", ir::dump_tree(*s.last_ir, sc), ir::print_rule(*s.last_ir, sc),
           ir::stable_hash(*s.last_ir));
}

void explain_node(const rt::PlanNode& n, const rt::EvalResult& r, int depth, Table& t) {
  const rt::NodeStats& st = r.stats[static_cast<size_t>(n.id)];
  t.rows.push_back({std::string(static_cast<size_t>(depth) * 2, ' ') + rt::plan_label(n), grouped(st.rows_in),
                    grouped(st.rows_out), fmt::format("{:.3f}", st.ns / 1e6), fmt::format("{:.2f}%", n.selectivity * 100)});
  for (const auto& k : n.kids) explain_node(k, r, depth + 1, t);
}

void explain(Session& s, const std::vector<std::string>&, const std::string&, const Out& o) {
  if (!need_rule(s, o)) return s.problem(2);
  if (!need_data(s, o)) return;
  rt::Plan plan;
  // The first run maps a snapshot's pages and warms the caches; the second is shown.
  run_plan(s, *s.last_ir, false, nullptr, true);
  rt::EvalResult r = run_plan(s, *s.last_ir, false, &plan, true);
  Table t;
  t.header = {"plan (in execution order)", "rows in", "rows out", "ms", "estimate"};
  t.right = {false, true, true, true, true};
  explain_node(plan.root, r, 0, t);
  o.result("{}", render_table(t, 0, o.color).text);
  o.result("{} of {} match in {} over {} (the second of two runs)\n", grouped(r.count), grouped(s.store->rows()),
           ms_text(r.elapsed_ms), plural(r.blocks, "block", "blocks"));
}

void format(Session& s, const std::vector<std::string>&, const std::string& rest, const Out& o) {
  const Schema& sc = s.active_schema();
  if (!trim(rest).empty()) {
    Compiled c = compile_rule(rest, sc);
    print_diagnostics(c.diags, "<rule>", rest, 1, o);
    if (!c.ir) return s.problem(1);
    return o.result("{}\n", ir::print_rule(*c.ir, sc));
  }
  if (!need_rule(s, o)) return s.problem(2);
  o.result("{}\n", ir::print_rule(*s.last_ir, sc));
}

void rows(Session& s, const std::vector<std::string>& args, const std::string&, const Out& o) {
  if (args.empty()) return o.result("{}\n", s.rows);
  char* end = nullptr;
  long n = std::strtol(args[0].c_str(), &end, 10);
  if (args.size() != 1 || *end || n < 0 || n > 100000) {
    o.error("usage: .rows N (0 to 100000 member rows shown after a rule; now {})\n", s.rows);
    return s.problem(2);
  }
  s.rows = static_cast<size_t>(n);
  o.info("rows shown after a rule: {}\n", s.rows);
}

void timer(Session& s, const std::vector<std::string>& args, const std::string&, const Out& o) {
  if (args.empty()) return o.result("{}\n", s.timer ? "on" : "off");
  if (args.size() == 1 && (iequals(args[0], "on") || iequals(args[0], "off"))) {
    s.timer = iequals(args[0], "on");
    return o.info("timer {}\n", s.timer ? "on" : "off");
  }
  o.error("usage: .timer on|off\n");
  s.problem(2);
}

void now(Session& s, const std::vector<std::string>& args, const std::string&, const Out& o) {
  if (args.empty())
    return o.result("{}\n", s.now ? format_timestamp(*s.now)
                                   : fmt::format("the clock ({} now); .now TIMESTAMP fixes it",
                                                 format_timestamp(s.now_value())));
  if (args.size() == 1 && (iequals(args[0], "clock") || iequals(args[0], "off"))) {
    s.now.reset();
    return o.info("`now` follows the clock\n");
  }
  auto t = args.size() == 1 ? parse_timestamp(args[0]) : std::nullopt;
  if (!t) {
    o.error("usage: .now TIMESTAMP (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ), or .now clock\n");
    return s.problem(2);
  }
  s.now = *t;
  o.info("`now` is {}\n", format_timestamp(*t));
}

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

void save(Session& s, const std::vector<std::string>& args, const std::string& rest, const Out& o) {
  if (args.empty() || !valid_name(args[0])) {
    o.error("usage: .save NAME [RULE] (NAME: letters, digits, _ - .; without RULE the last rule)\n");
    return s.problem(2);
  }
  const Schema& sc = s.active_schema();
  std::string text;
  std::optional<ir::Node> ir;
  size_t at = rest.find(args[0]);
  std::string rule = at == std::string::npos ? "" : trim(rest.substr(at + args[0].size()));
  if (!rule.empty()) {
    Compiled c = compile_rule(rule, sc);
    print_diagnostics(c.diags, "<rule>", rule, 1, o);
    if (!c.ir) return s.problem(1);
    ir = std::move(c.ir);
  } else {
    if (!need_rule(s, o)) return s.problem(2);
    ir = s.last_ir;
  }
  Segment seg{args[0], ir::print_rule(*ir, sc)};
  Segment* old = s.find_segment(seg.name);
  if (old) *old = seg;
  else s.segments.push_back(seg);
  std::string count;
  if (s.store) count = fmt::format(" ({})", plural(run_plan(s, *ir, false).count, "client", "clients"));
  o.info("{} segment {}{}: {}\n", old ? "replaced" : "saved", seg.name, count, summarize(*ir, sc));
}

void segments(Session& s, const std::vector<std::string>&, const std::string&, const Out& o) {
  if (s.segments.empty()) return o.info("no segments yet: type a rule, then .save NAME\n");
  Table t;
  t.header = {"id", "name"};
  t.right = {true, false};
  if (s.store) t.header.push_back("clients"), t.right.push_back(true);
  t.header.push_back("conditions"), t.right.push_back(false);
  for (size_t i = 0; i < s.segments.size(); ++i) {
    const Segment& seg = s.segments[i];
    auto ir = compile_segment(s, seg, o);
    std::vector<std::string> r{std::to_string(i + 1), seg.name};
    if (s.store) r.push_back(ir ? grouped(run_plan(s, *ir, false).count) : "?");
    r.push_back(ir ? summarize(*ir, s.active_schema()) : seg.text);
    t.rows.push_back(std::move(r));
  }
  o.result("{}", render_table(t, o.width, o.color).text);
}

void members(Session& s, const std::vector<std::string>& args, const std::string&, const Out& o) {
  if (args.empty() || args.size() > 2) {
    o.error("usage: .members NAME [FILE] (member client ids, one per line, to FILE or the screen)\n");
    return s.problem(2);
  }
  Segment* seg = s.find_segment(args[0]);
  if (!seg) {
    auto near = nearest(args[0], s.segment_names(), 1);
    if (s.segments.empty())
      o.error("no segment named {}: save one first with .save NAME after a rule\n", args[0]);
    else
      o.error("no segment named {}{}; saved: {}\n", args[0],
              near.empty() ? "" : fmt::format(" (did you mean {}?)", near[0]), fmt::join(s.segment_names(), ", "));
    return s.problem(1);
  }
  if (!need_data(s, o)) return;
  auto ir = compile_segment(s, *seg, o);
  if (!ir) return s.problem(1);
  rt::EvalResult r = run_plan(s, *ir, true);
  std::string out;
  out.reserve(r.ids.size() * 8);
  for (int64_t id : r.ids) out += fmt::format("{}\n", id);
  if (args.size() == 1) return o.result("{}", out);
  std::FILE* f = std::fopen(args[1].c_str(), "wb");
  bool ok = f && std::fwrite(out.data(), 1, out.size(), f) == out.size();
  if (f) ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    o.error("cannot write {}: {}\n", args[1], std::strerror(errno));
    return s.problem(2);
  }
  o.info("wrote {} of segment {} to {}\n", plural(r.ids.size(), "member id", "member ids"), seg->name, args[1]);
}

void quit(Session& s, const std::vector<std::string>&, const std::string&, const Out&) { s.quit = true; }

}  // namespace cmd

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {{".help", {Arg::Command}}, ".help [COMMAND]", "Show this help, or one command's", cmd::help},
      {{".load", {Arg::File}}, ".load FILE", "Load clients: CSV, JSON Lines or a .seg snapshot (replaces the data)", cmd::load},
      {{".schema", {}}, ".schema", "The fields rules can use, their types and aliases", cmd::schema},
      {{".values", {Arg::Field}}, ".values FIELD", "A field's dictionary values (stages, tags, ...) with client counts", cmd::values},
      {{".ir", {}}, ".ir", "The optimized IR of the last rule", cmd::show_ir},
      {{".explain", {}}, ".explain", "How the last rule runs over the data: plan, rows and time per step", cmd::explain},
      {{".fmt", {Arg::Rule}}, ".fmt [RULE]", "The canonical text of RULE, or of the last rule", cmd::format},
      {{".rows", {}}, ".rows N", "Show N member rows after each rule (default 10; 0: only the count)", cmd::rows},
      {{".timer", {Arg::OnOff}}, ".timer on|off", "Show how long each rule took", cmd::timer},
      {{".now", {}}, ".now TIMESTAMP|clock", "Fix `now` (YYYY-MM-DD[THH:MM:SSZ]) or let it follow the clock", cmd::now},
      {{".save", {Arg::Segment, Arg::Rule}}, ".save NAME [RULE]", "Save the last rule (or RULE) as a named segment", cmd::save},
      {{".segments", {}}, ".segments", "The saved segments: id, name, clients and conditions", cmd::segments},
      {{".members", {Arg::Segment, Arg::File}}, ".members NAME [FILE]", "A segment's member client ids, one per line, to FILE or the screen", cmd::members},
      {{".quit", {}}, ".quit", "Leave (also .exit or Ctrl-D)", cmd::quit},
      {{".exit", {}}, ".exit", "Leave", cmd::quit},
  };
  return table;
}

const std::vector<CommandInfo>& command_infos() {
  static const std::vector<CommandInfo> infos = [] {
    std::vector<CommandInfo> v;
    for (const auto& c : commands()) v.push_back(c.info);
    return v;
  }();
  return infos;
}

void run_command(Session& s, const std::string& line, const Out& o) {
  std::string t = trim(line);
  size_t sp = t.find_first_of(" \t");
  std::string name = t.substr(0, sp);
  std::string rest = sp == std::string::npos ? "" : t.substr(sp + 1);
  auto args = split_words(rest);
  for (const auto& c : commands())
    if (iequals(c.info.name, name)) return c.run(s, args, rest, o);
  std::vector<std::string> names;
  for (const auto& c : commands()) names.push_back(c.info.name);
  auto near = nearest(name, names, 1);
  o.error("unknown command {}{}; .help lists the commands\n", name,
          near.empty() ? "" : fmt::format(" (did you mean {}?)", near[0]));
  s.problem(2);
}

}  // namespace seg::repl
