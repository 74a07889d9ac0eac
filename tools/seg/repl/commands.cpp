// The REPL dot-commands (see commands.hpp).
#include "tools/seg/repl/commands.hpp"

#include "service/segment_content.hpp"

namespace seg::repl {
namespace cmd {

bool need_rule(const Session& s, const Out& o) {
  if (s.last_rule) return true;
  if (s.last_failed) o.error("the last rule had errors (above): type it again without them first\n");
  else o.error("no rule yet: type a rule first (e.g. stage = Active)\n");
  return false;
}

bool need_data(Session& s, const Out& o) {
  if (s.store) return true;
  o.error("{}\n", load_hint());
  s.problem(2);
  return false;
}

void help(Session& s, const std::vector<std::string>& args, const std::string&, const Out& o) {
  if (args.size() > 1) {
    o.error("usage: .help [COMMAND] (one command)\n");
    return s.problem(2);
  }
  if (!args.empty()) {
    std::string name = args[0][0] == '.' ? args[0] : "." + args[0];
    std::vector<std::string> names;
    for (const auto& c : commands()) {
      if (iequals(c.info.name, name)) return o.result("{:<24} {}\n", c.usage, c.help);
      names.push_back(c.info.name);
    }
    // Not a command: said, as an unknown command is (it printed the whole help, exit 0).
    auto near = api::nearest_names(name, names, 1);
    o.error("no command {}{}; .help lists the commands\n", name, near.empty() ? "" : fmt::format(" (did you mean {}?)", near[0]));
    return s.problem(2);
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
  Table t;
  t.header = {"field", "type", "aliases", "nullable", "values"};
  t.right = {false, false, false, false, false};
  for (const api::FieldInfo& fd : s.active_schema().fields()) {
    std::string type(api::type_name(fd.type));
    if (fd.type == api::FieldType::Decimal) type += fmt::format("({})", fd.scale);
    if (fd.ordered) type += ", ordered";
    if (fd.open) type += ", open";
    std::string values;
    if (fd.type == api::FieldType::Enum || fd.type == api::FieldType::Set) {
      std::vector<std::string> keys;
      for (size_t i = 0; i < fd.values.size() && i < 5; ++i) keys.push_back(fd.values[i].key);
      values = fmt::format("{}: {}{}", fd.values.size(), fmt::join(keys, ", "), fd.values.size() > 5 ? ", ..." : "");
    }
    if (fd.identifies) values = "identifies the client";
    t.rows.push_back({fd.name, type, fmt::format("{}", fmt::join(fd.aliases, ", ")), fd.nullable ? "yes" : "no", values});
  }
  o.result("{}", render_table(t, o.width, o.color).text);
  if (s.store)
    o.result("{}\n", o.dim(fmt::format("({} loaded from {}; .values FIELD lists a dictionary with counts)",
                                       plural(s.store->rows(), "client", "clients"), s.data_path)));
  else
    o.result("{}\n", o.dim("(.values FIELD lists a dictionary's values)"));
}

std::optional<size_t> find_field(Session& s, const std::string& name, const Out& o) {
  const api::Schema& sc = s.active_schema();
  if (auto f = sc.find(name)) return f;
  auto near = sc.suggest(name, 1);
  o.error("unknown field `{}`{}\n", visible_text(name), near.empty() ? "" : fmt::format("; did you mean `{}`?", near[0]));
  s.problem(1);
  return std::nullopt;
}

void values(Session& s, const std::vector<std::string>& args, const std::string&, const Out& o) {
  if (args.size() != 1) {
    o.error("usage: .values FIELD (e.g. .values stage)\n");
    return s.problem(2);
  }
  auto f = find_field(s, args[0], o);
  if (!f) return;
  const api::FieldInfo fd = s.active_schema().fields()[*f];
  bool dictionary = fd.type == api::FieldType::Enum || fd.type == api::FieldType::Set;
  std::vector<api::Store::ValueCount> counts;
  if (s.store) counts = s.store->value_counts(*f);
  bool per_value = std::any_of(counts.begin(), counts.end(), [](const auto& c) { return !c.missing; });
  if (!dictionary && !per_value) {
    std::string range, nulls;
    if (s.store)
      if (auto r = s.store->range(*f)) range = fmt::format("; in the data from {} to {}", r->first, r->second);
    for (const auto& c : counts)
      if (c.missing) nulls = fmt::format("; {} without a value", plural(c.count, "client", "clients"));
    // An answer, not a mistake (docs/repl.md): the range is what there is to show.
    std::string type(api::type_name(fd.type));
    o.result("{} is {} {} field, without a dictionary{}{}\n", fd.name,
             std::string_view("aeiou").find(type[0]) != std::string_view::npos ? "an" : "a", type, range, nulls);
    return;
  }
  Table t;
  bool labels = false;
  for (const auto& v : fd.values) labels |= v.label != v.key;
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
  if (s.store) {
    for (const auto& v : counts)
      add_row(v.missing || !dictionary ? v.key : api::value_as_rule_text(v.key), v.label != v.key ? v.label : "", v.count);
  } else {
    for (const auto& v : fd.values) add_row(api::value_as_rule_text(v.key), v.label != v.key ? v.label : "", std::nullopt);
  }
  o.result("{}", render_table(t, o.width, o.color).text);
  if (!s.store) o.result("{}\n", o.dim("(no data loaded: .load FILE to see how many clients have each value)"));
}

void show_ir(Session& s, const std::vector<std::string>&, const std::string&, const Out& o) {
  if (!need_rule(s, o)) return s.problem(2);
  const api::Rule& r = *s.last_rule;
  o.result("{}text: {}\nhash: {}\n", r.ir_tree(), r.canonical_text(), api::hash_text(r.hash()));
}

void explain(Session& s, const std::vector<std::string>&, const std::string&, const Out& o) {
  if (!need_rule(s, o)) return s.problem(2);
  if (!need_data(s, o)) return;
  api::Query q = query_for(s, *s.last_rule);
  // The first run warms the caches; the second is shown.
  q.explain(s.run_options());
  const api::RunOptions ro = s.run_options();
  api::Explain e = q.explain(ro);
  o.result("{}", e.text(ro.threads, true));  // as `seg explain` prints it: one writer, the library's
}

// A rule given to a command, `at` bytes into `rest`: compiled with the command's input name
// and line, and indented by the text before it, so diagnostics point at its place there.
std::optional<api::Rule> compile_argument(Session& s, const std::string& rest, size_t at, const Out& o) {
  return compile(s, std::string(s.command_rest_at + at, ' ') + rest.substr(at), s.command_source, s.command_line, o);
}

void format(Session& s, const std::vector<std::string>&, const std::string& rest, const Out& o) {
  if (!trim(rest).empty()) {
    auto rule = compile_argument(s, rest, 0, o);
    if (!rule) return s.problem(1);
    return o.result("{}\n", rule->canonical_text());
  }
  if (!need_rule(s, o)) return s.problem(2);
  o.result("{}\n", s.last_rule->canonical_text());
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
    return o.result("{}\n", s.now ? api::format_timestamp(*s.now)
                                   : fmt::format("the clock ({} now); .now TIMESTAMP fixes it",
                                                 api::format_timestamp(s.now_value())));
  if (args.size() == 1 && (iequals(args[0], "clock") || iequals(args[0], "off"))) {
    s.now.reset();
    return o.info("`now` follows the clock\n");
  }
  auto t = args.size() == 1 ? api::parse_timestamp(args[0]) : std::nullopt;
  if (!t) {
    // One word that is not a time is named (`2026-13-01` got only the usage, where a rule's
    // date says what is wrong; a review).
    if (args.size() == 1)
      o.error("`{}` is not a date or time (.now YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, or .now clock)\n", args[0]);
    else o.error("usage: .now TIMESTAMP (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ), or .now clock\n");
    return s.problem(2);
  }
  s.now = *t;
  o.info("`now` is {}\n", api::format_timestamp(*t));
}

void save(Session& s, const std::vector<std::string>& args, const std::string& rest, const Out& o) {
  if (args.empty() || !(valid_name(args[0]) || id_name(args[0]))) {
    o.error("usage: .save NAME [RULE] (NAME: letters, digits, _ - ., or #ID for a catalog segment; without RULE the "
            "last rule)\n");
    return s.problem(2);
  }
  Segment* old = s.find_segment(args[0]);  // (compiling the rule below changes no segment)
  if (id_name(args[0]) && !old) {
    o.error("no segment {} ({}): .segments lists them\n", args[0], s.catalog ? "in the catalog" : "without --catalog");
    return s.problem(1);
  }
  std::optional<api::Rule> rule;
  size_t at = rest.find(args[0]);
  std::string text = at == std::string::npos ? "" : trim(rest.substr(at + args[0].size()));
  if (!text.empty()) {
    rule = compile_argument(s, rest, at + args[0].size(), o);
    if (!rule) return s.problem(1);
  } else {
    if (!need_rule(s, o)) return s.problem(2);
    rule = s.last_rule;
  }
  Segment seg{old ? old->name : args[0], rule->canonical_text(), 0, 0, old ? old->title : args[0]};
  if (s.catalog) {
    // The catalog the service uses: a new version of the segment of that name (refused, not
    // lost, when someone changed it since this session read it), or a new segment. A
    // segment named by `#ID` keeps its title.
    service::SegmentContent c =
        service::content_of(*rule, service::Origin::Text, text.empty() ? s.last_text : text, seg.title);
    if (std::string why; !service::clean_title(c.title, why) || c.title != seg.title) {
      o.error("`{}` cannot be a segment's title in the catalog: {}\n", seg.name, why.empty() ? "spaces around it" : why);
      return s.problem(1);
    }
    try {
      if (old && old->id) {
        service::Segment out;
        switch (s.catalog->update(old->id, old->version, c, &out)) {
          case service::WriteStatus::Ok: seg.id = out.id, seg.version = out.version; break;
          case service::WriteStatus::NotFound:
          case service::WriteStatus::Stale:
          case service::WriteStatus::Archived:  // archived since: the session lists only the others
            o.error("segment {} changed in the catalog since this session read it: .segments reads it again\n", seg.name);
            return s.problem(1);
        }
      } else {
        service::Segment made = s.catalog->create(c);
        seg.id = made.id;
        seg.version = made.version;
      }
    } catch (const std::exception& e) {
      o.error("cannot write the catalog: {}\n", e.what());
      return s.problem(2);
    }
  }
  if (old) *old = seg;
  else s.segments.push_back(seg);
  std::string count;
  if (s.store) count = fmt::format(" ({})", plural(query_for(s, *rule).count(s.run_options()).count, "client", "clients"));
  // A catalog segment's earlier versions stay (the service lists them): said, since `.save NAME`
  // of a name the service also has writes a new version of the service's segment.
  o.info("{} segment {}{}{}: {}\n", old ? "replaced" : "saved", seg.name,
         seg.id ? fmt::format(" (Segment ID {}, version {}{})", seg.id, seg.version,
                              old && seg.version > 1 ? fmt::format("; version {} kept", seg.version - 1) : "")
                : "",
         count, rule->summary());
}

void segments(Session& s, const std::vector<std::string>&, const std::string&, const Out& o) {
  read_catalog(s);  // what the service (or another session) saved meanwhile
  if (s.segments.empty()) return o.info("no segments yet: type a rule, then .save NAME\n");
  Table t;
  t.header = {"id", "name"};
  t.right = {true, false};
  if (s.store) t.header.push_back("clients"), t.right.push_back(true);
  t.header.push_back("conditions"), t.right.push_back(false);
  for (size_t i = 0; i < s.segments.size(); ++i) {
    const Segment& seg = s.segments[i];
    auto rule = compile_segment(s, seg, o);
    std::vector<std::string> r{std::to_string(seg.id ? seg.id : static_cast<int64_t>(i + 1)), seg.name};
    if (s.store) r.push_back(rule ? grouped(query_for(s, *rule).count(s.run_options()).count) : "?");
    r.push_back(rule ? rule->summary() : seg.text);
    t.rows.push_back(std::move(r));
  }
  o.result("{}", render_table(t, o.width, o.color).text);
}

void members(Session& s, const std::vector<std::string>& args, const std::string&, const Out& o) {
  if (args.empty() || args.size() > 2) {
    o.error("usage: .members NAME [FILE] (every member's row, in the .mode and .columns set, to FILE or the output)\n");
    return s.problem(2);
  }
  std::vector<std::string> alike;
  Segment* seg = s.find_segment(args[0], &alike);
  if (!seg && !alike.empty()) {
    o.error("{} segments are titled {}: name one by its id ({})\n", alike.size(), args[0], fmt::join(alike, ", "));
    return s.problem(1);
  }
  if (!seg) {
    auto near = api::nearest_names(args[0], s.segment_names(), 1);
    if (s.segments.empty())
      o.error("no segment named {}: save one first with .save NAME after a rule\n", args[0]);
    else
      o.error("no segment named {}{}; saved: {}\n", args[0],
              near.empty() ? "" : fmt::format(" (did you mean {}?)", near[0]), fmt::join(s.segment_names(), ", "));
    return s.problem(1);
  }
  if (!need_data(s, o)) return;
  auto rule = compile_segment(s, *seg, o);
  if (!rule) return s.problem(1);
  std::FILE* to = o.results();
  if (args.size() == 2 && !(to = std::fopen(args[1].c_str(), "wb"))) {
    o.error("cannot write {}: {}\n", args[1], std::strerror(errno));
    return s.problem(2);
  }
  // Every member, a batch at a time (a campaign's list can be millions of rows), with the
  // columns and in the mode chosen: `.columns client_id` and `.mode csv` give the id list.
  std::vector<size_t> fields;
  const api::Schema& sc = s.active_schema();
  for (const auto& c : s.columns) fields.push_back(*sc.find(c));
  api::MemberCursor cursor = query_for(s, *rule).members(s.run_options());
  bool to_file = args.size() == 2;
  // A table is for the screen: a FILE in table mode gets CSV (what a spreadsheet or a mailing
  // tool reads); .mode json or markdown write those.
  Mode mode = to_file && s.mode == Mode::Table ? Mode::Csv : s.mode;
  RowsWriter w(mode, sc, to_file ? 0 : o.table_width(), !to_file && o.colored());
  bool ok = true;
  uint64_t n = 0;
  // On the screen the rows go through the pager when long; elsewhere they are written as made.
  bool screen = !to_file && !o.sink && o.tty;
  std::string shown;
  auto put = [&](const std::string& text) {
    if (screen) shown += text;
    else ok = ok && std::fwrite(text.data(), 1, text.size(), to) == text.size();
  };
  for (;;) {
    api::Page page = cursor.next_rows(65536, fields);
    if (page.rows.empty() && n > 0) break;
    n += page.rows.size();
    put(w.batch(page));
    if (page.rows.empty()) break;
  }
  put(w.end());
  if (screen) o.paged(shown);
  if (to_file) ok = std::fclose(to) == 0 && ok;
  if (!ok) {
    o.error("cannot write {}: {}\n", to_file ? args[1] : o.sink_path, std::strerror(errno));
    return s.problem(2);
  }
  if (to_file || o.sink)
    o.info("wrote {} of segment {} ({}) to {}\n", plural(n, "member", "members"), seg->name, mode_name(mode),
           to_file ? args[1] : o.sink_path);
  if (!to_file && o.sink_once && !o.close_sink()) s.problem(2);  // `.once FILE` then `.members NAME`
}

void mode(Session& s, const std::vector<std::string>& args, const std::string&, const Out& o) {
  if (args.empty()) return o.result("{}\n", mode_name(s.mode));
  auto m = args.size() == 1 ? parse_mode(args[0]) : std::nullopt;
  if (!m) {
    o.error("usage: .mode table|csv|json|markdown (now {})\n", mode_name(s.mode));
    return s.problem(2);
  }
  s.mode = *m;
  o.info("rows are written as {}\n", mode_name(s.mode));
}

void columns(Session& s, const std::vector<std::string>& args, const std::string&, const Out& o) {
  const api::Schema& sc = s.active_schema();
  if (args.empty())
    return o.result("{}\n", s.columns.empty() ? "all (the id first, then the schema's fields)" : fmt::format("{}", fmt::join(s.columns, " ")));
  if (args.size() == 1 && iequals(args[0], "all")) {
    s.columns.clear();
    return o.info("rows show every column\n");
  }
  // `all` with fields after it read as a field named `all` (found by a review).
  if (std::any_of(args.begin(), args.end(), [&](const std::string& a) { return iequals(a, "all") && !sc.find(a); })) {
    o.error("`all` stands alone (.columns all: every column); otherwise name the columns\n");
    return s.problem(2);
  }
  std::vector<std::string> chosen;
  for (const auto& a : args) {
    auto f = find_field(s, a, o);
    if (!f) return;
    std::string name = sc.fields()[*f].name;  // an alias names its field
    if (std::find(chosen.begin(), chosen.end(), name) == chosen.end()) chosen.push_back(name);
  }
  s.columns = std::move(chosen);
  o.info("rows show {}\n", fmt::join(s.columns, ", "));
}

void open_sink(Session& s, const std::vector<std::string>& args, const Out& o, bool once) {
  if (!o.close_sink()) {
    o.error("cannot write {}: {}\n", o.sink_path, std::strerror(errno));
    s.problem(2);
  }
  if (args.empty() && !once) return o.info("results go to the screen again\n");
  if (args.size() != 1) {
    o.error("usage: {}\n", once ? ".once FILE (the next result only)" : ".output [FILE] (no FILE: the screen again)");
    return s.problem(2);
  }
  std::FILE* f = std::fopen(args[0].c_str(), "wb");
  if (!f) {
    o.error("cannot write {}: {}\n", args[0], std::strerror(errno));
    return s.problem(2);
  }
  o.sink = f;
  o.sink_path = args[0];
  o.sink_once = once;
  o.info("{} to {}\n", once ? "the next rule's result goes" : "results go", args[0]);
}

void output(Session& s, const std::vector<std::string>& args, const std::string&, const Out& o) { open_sink(s, args, o, false); }
void once(Session& s, const std::vector<std::string>& args, const std::string&, const Out& o) { open_sink(s, args, o, true); }

void read(Session& s, const std::vector<std::string>& args, const std::string&, const Out& o) {
  if (args.size() != 1) {
    o.error("usage: .read FILE (run the rules and commands in FILE)\n");
    return s.problem(2);
  }
  if (s.read_depth >= 16) {
    o.error(".read nested more than 16 deep (does a file read itself?)\n");
    return s.problem(2);
  }
  if (s.read_script) s.read_script(args[0], o);
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
      {{".members", {Arg::Segment, Arg::File}}, ".members NAME [FILE]", "Every member's row of a segment (in the .mode and .columns set), to FILE or the output", cmd::members},
      {{".mode", {}}, ".mode table|csv|json|markdown", "How rows are written (default table)", cmd::mode},
      {{".columns", {Arg::Field}}, ".columns [FIELD ...|all]", "The columns rows show (default all)", cmd::columns},
      {{".output", {Arg::File}}, ".output [FILE]", "Write results to FILE until .output alone", cmd::output},
      {{".once", {Arg::File}}, ".once FILE", "Write the next result to FILE", cmd::once},
      {{".read", {Arg::File}}, ".read FILE", "Run the rules and commands in FILE", cmd::read},
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
  s.command_rest_at = line.find_first_not_of(" \t") + (sp == std::string::npos ? t.size() : sp + 1);
  size_t unclosed = std::string::npos;
  auto args = split_words(rest, &unclosed);
  for (const auto& c : commands()) {
    if (!iequals(c.info.name, name)) continue;
    // A command whose usage names no argument takes none: `.quit now` or `.schema stage`
    // doing what the bare command does would hide a typo (`.schema` for `.values`).
    if (!args.empty() && !std::strchr(c.usage, ' ')) {
      o.error("{} takes no arguments (usage: {})\n", c.info.name, c.usage);
      return s.problem(2);
    }
    // Only where the words are the command's own: a rule's text (`.save NAME RULE`, `.fmt
    // RULE`) has its strings and comments read by the parser, which says what is wrong with
    // them (a review found `.save w tag any ("Women 's")` refused here).
    const bool takes_rule = std::find(c.info.args.begin(), c.info.args.end(), Arg::Rule) != c.info.args.end();
    if (unclosed != std::string::npos && !takes_rule) {
      std::string_view from = std::string_view(rest).substr(unclosed);
      from = from.substr(0, utf8_prefix(from, 24));
      o.error("{}: the quote {} is never closed: {} (usage: {})\n", c.info.name, rest[unclosed], from, c.usage);
      return s.problem(2);
    }
    try {
      return c.run(s, args, rest, o);
    } catch (const std::runtime_error& e) {  // query_for's: the command fails, the session goes on
      o.error("{}: {}\n", c.info.name, e.what());
      return s.problem(1);
    }
  }
  std::vector<std::string> names;
  for (const auto& c : commands()) names.push_back(c.info.name);
  auto near = api::nearest_names(name, names, 1);
  o.error("unknown command {}{}; .help lists the commands\n", name,
          near.empty() ? "" : fmt::format(" (did you mean {}?)", near[0]));
  s.problem(2);
}

}  // namespace seg::repl
