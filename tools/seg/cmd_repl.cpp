// `seg repl`: an interactive shell for segment rules, in the manner of the sqlite3 shell: type a
// rule, see its diagnostics or its members; dot-commands load data, save and export segments.
// This file runs the loop; the pieces live in tools/seg/repl/: reader (entries: a rule over
// several lines, the library deciding when it goes on), input (history entries, dot-command
// words), completion, line_editor (libedit), table, session (state and running a rule),
// commands (dot-commands).
#include <fmt/format.h>
#include <unistd.h>

#include <clocale>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"
#include "tools/seg/data.hpp"
#include "tools/seg/repl/commands.hpp"
#include "tools/seg/repl/input.hpp"
#include "tools/seg/repl/line_editor.hpp"
#include "tools/seg/repl/reader.hpp"
#include "tools/seg/repl/session.hpp"

namespace seg::cli {
namespace cmd_repl {

struct ReplOptions {
  CommonOptions common;
  DataOptions data;
  size_t rows = 10;
  std::string catalog;
};

// One entry of the input (or of a `.read` file, named `source`): a dot-command or a rule.
void run_entry(repl::Session& s, const repl::Entry& e, const std::string& source, const repl::Out& o) {
  // A script exits with the worst problem met: an unfinished rule dropped for a command is one,
  // as the same rule at the end of the input is (an E110).
  if (e.dropped_rule) s.problem(1);
  if (e.command) {
    s.command_source = source;
    s.command_line = source == "<rule>" ? 1 : e.first_line;
    // `.once FILE` takes the next rule's result or `.members` (docs/repl.md): another
    // dot-command between (`.schema`) writes to the screen, not into the file (found by a
    // review: the file took everything until the next rule).
    const std::string name = repl::split_words(e.lines[0]).at(0);
    // `.read` passes it on: the next result may be a script's first rule.
    if (o.sink_once && name != ".members" && name != ".once" && name != ".output" && name != ".read") {
      std::FILE* held = o.sink;
      o.sink = nullptr;
      repl::run_command(s, e.lines[0], o);
      if (!o.sink) o.sink = held;  // (a command that opened a sink of its own closed this one)
      return;
    }
    repl::run_command(s, e.lines[0], o);
  }
  else {
    repl::run_rule(s, e.text(), source, source == "<rule>" ? 1 : e.first_line, o);
    // `.once FILE`: the next rule's result went there; results go to the screen again. Here and
    // not in the input's loop, so a `.once` inside a `.read` script ends too (it took every
    // later rule of the script, several JSON documents in one file: a review). A rule with
    // errors wrote no result: the file waits for the rule typed again without them.
    if (o.sink_once && !s.last_failed && !o.close_sink()) {
      o.error("cannot write {}: {}\n", o.sink_path, std::strerror(errno));
      s.problem(2);
    }
  }
}

void banner(const repl::Session& s, const repl::Out& o) {
  o.result("seg repl: type a rule to see its members; .help for commands and keys, .quit to leave.\n");
  if (!s.store) o.result("{}\n", repl::load_hint());
}

void run(const ReplOptions& opt) {
  repl::Session s;
  auto schema = load_schema(opt.common);
  if (!schema) return;
  s.schema = std::move(*schema);
  s.skip_bad_rows = opt.data.skip_bad_rows;
  s.verify = opt.data.verify;
  s.rows = opt.rows;
  if (!opt.common.now.empty()) {
    auto now = resolve_now(opt.common);
    if (!now) return;
    s.now = *now;
  }
  repl::Out o;
  o.tty = ::isatty(0);
  o.color = use_color(1);
  o.color_err = use_color(2);
  s.timer = o.tty;  // a script's output stays the same from run to run
  if (opt.data.data == "-") {  // stdin is where the shell reads rules and commands
    fmt::print(stderr, "seg repl: --data - would read the rules' input as data: give a file (or .load FILE)\n");
    exit_with(2);
  }
  if (!opt.data.data.empty()) {
    auto store = open_data(opt.data, opt.common);
    if (!store) return;
    s.store = std::move(store);
    s.store_schema = s.store->schema();
    s.data_path = opt.data.data;
  }
  if (!opt.catalog.empty()) {
    std::string error;
    s.catalog = service::Catalog::open(opt.catalog, error);
    if (!s.catalog) {
      fmt::print(stderr, "seg: cannot open the catalog {}: {}\n", opt.catalog, error);
      exit_with(2);
    }
    repl::read_catalog(s);
  }
  if (o.tty) std::setlocale(LC_CTYPE, "");  // libedit reads UTF-8 by the locale
  // $PAGER as other shells use it (empty: none); by default less, which leaves a result that
  // fits on one screen on it (-F) and keeps colors (-R).
  if (const char* pager = std::getenv("PAGER")) o.pager = pager;
  else if (std::filesystem::exists("/usr/bin/less")) o.pager = "less -FRX";
  repl::Reader reader(o.tty, s);
  if (o.tty) banner(s, o);
  s.read_script = [&s](const std::string& path, const repl::Out& out) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {  // an ifstream opens one, then reads nothing
      out.error("cannot read {}: {}\n", path, std::strerror(EISDIR));
      return s.problem(2);
    }
    std::ifstream in(path);
    if (!in) {
      out.error("cannot read {}: {}\n", path, std::strerror(errno));
      return s.problem(2);
    }
    ++s.read_depth;
    repl::Reader script(in);
    repl::Entry e;
    while (!s.quit && script.next(e)) run_entry(s, e, path, out);
    --s.read_depth;
  };
  repl::Entry e;
  while (!s.quit && reader.next(e)) {
    o.width = o.tty ? repl::terminal_width() : 0;
    o.height = o.tty ? repl::terminal_height() : 0;
    run_entry(s, e, o.tty ? "<rule>" : "<stdin>", o);
    std::fflush(stdout);
  }
  if (!o.close_sink()) {
    o.error("cannot write {}: {}\n", o.sink_path, std::strerror(errno));
    s.problem(2);
  }
  if (o.tty && !s.quit) fmt::print("\n");  // after Ctrl-D, leave the shell's prompt on its own line
  // On a terminal, mistakes were seen and fixed as they happened; a script reports the worst.
  if (!o.tty && s.exit_code) exit_with(s.exit_code);
}

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("repl", "Interactive shell: type rules, see members, save segments");
  cmd->footer(
      "Type a rule to see how many clients match and the first of them; .help lists the\n"
      "dot-commands (.load FILE, .schema, .values FIELD, .save NAME, .segments, .members NAME\n"
      "[FILE], ...). Tab completes fields, keywords and values; history is kept in\n"
      "$SEG_HISTORY or ~/.seg_history. Without a terminal on stdin, rules are read one after\n"
      "another with no prompts and no line editing, one result per rule (colors only where\n"
      "the output is a terminal).\n"
      "Examples:\n"
      "  seg repl --data data/clients-1000000.seg\n"
      "  printf 'spot = 12\\n.rows 0\\ntag any (VIP)\\n' | seg repl --data examples/clients.csv --now 2026-11-01\n"
      "Exit codes: 0 on a terminal; from a script, 0 fine, 1 a rule or the data had errors,\n"
      "2 usage or I/O error (also for bad options, or --data that cannot be read; bad rows in it are 1).");
  auto o = std::make_shared<ReplOptions>();
  add_data_options(*cmd, o->data, false);
  add_schema_option(*cmd, o->common);
  add_now_option(*cmd, o->common);
  cmd->add_option("--rows", o->rows, "Member rows shown after each rule (default 10; .rows N changes it)")
      ->check(in_range(size_t{0}, size_t{100000}));
  cmd->add_option("--catalog", o->catalog,
                  "The segments catalog `seg serve` uses (SQLite): .save writes there, .segments lists it")
      ->type_name("FILE");
  cmd->callback([o] { run(*o); });
}

CommandRegistrar reg(90, setup);
}  // namespace cmd_repl
}  // namespace seg::cli
