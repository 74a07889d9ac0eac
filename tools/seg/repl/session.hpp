// REPL session state: the schema, the loaded data, `now`, display settings, the last rule and
// the named segments; and what happens to a rule: check, then evaluate and show the result.
#pragma once
#include <signal.h>
#include <sys/wait.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/text_util.hpp"
#include "seg/seg.hpp"
#include "service/catalog.hpp"
#include "tools/seg/data.hpp"
#include "tools/seg/repl/input.hpp"
#include "tools/seg/repl/table.hpp"

namespace seg::repl {

// Where output goes. On a terminal everything is for the person; without one, results go to
// stdout and messages to stderr so a script's output holds exactly its results.
struct Out {
  bool tty = false;    // interactive (stdin is a terminal)
  bool color = false;  // stdout takes colors (a terminal, no NO_COLOR)
  bool color_err = false;
  size_t width = 0;    // terminal columns for tables; 0 = no limit
  size_t height = 0;   // terminal lines: a longer result goes through the pager; 0 = never
  std::string pager;   // $PAGER (default `less -FRX`); empty: no pager
  // `.output FILE` / `.once FILE`: results go there (no colors, no width) until it is reset.
  mutable std::FILE* sink = nullptr;
  mutable std::string sink_path;
  mutable bool sink_once = false;  // `.once`: only for the next rule (or .members)

  std::FILE* results() const { return sink ? sink : stdout; }
  bool colored() const { return color && !sink; }
  size_t table_width() const { return sink ? 0 : width; }
  template <typename... A>
  void result(fmt::format_string<A...> f, A&&... a) const {
    fmt::print(results(), f, std::forward<A>(a)...);
  }
  // A long result on a terminal goes through the pager, as psql and the sqlite3 shell page
  // theirs; anything else is printed as it is.
  void paged(const std::string& text) const {
    size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
    if (!sink && tty && height && !pager.empty() && lines + 2 > height) {
      std::fflush(stdout);
      if (std::FILE* p = ::popen(pager.c_str(), "w")) {
        // A pager gone before reading it all (quit early, or never started) must not end the
        // session with SIGPIPE.
        auto* before = ::signal(SIGPIPE, SIG_IGN);
        std::fwrite(text.data(), 1, text.size(), p);
        ::signal(SIGPIPE, before);
        // A pager the shell could not run (126, 127: a wrong $PAGER) showed nothing: the
        // text is printed here instead of lost (found by a review).
        const int st = ::pclose(p);
        if (st != -1 && !(WIFEXITED(st) && (WEXITSTATUS(st) == 126 || WEXITSTATUS(st) == 127))) return;
      }
    }
    std::fwrite(text.data(), 1, text.size(), results());
  }
  // Closes a `.output`/`.once` file (results go to stdout again); false when it could not be
  // written in full.
  bool close_sink() const {
    if (!sink) return true;
    bool ok = std::fclose(sink) == 0;
    sink = nullptr;
    sink_once = false;
    return ok;
  }
  // Confirmations and hints: beside the results on a terminal, on stderr in a script.
  template <typename... A>
  void info(fmt::format_string<A...> f, A&&... a) const {
    if (tty) {
      fmt::print(stdout, f, std::forward<A>(a)...);
    } else {
      std::fflush(stdout);
      fmt::print(stderr, f, std::forward<A>(a)...);
    }
  }
  template <typename... A>
  void error(fmt::format_string<A...> f, A&&... a) const {
    std::fflush(stdout);
    fmt::print(stderr, "{}", color_err ? "\x1b[1;31merror\x1b[0m: " : "error: ");
    fmt::print(stderr, f, std::forward<A>(a)...);
  }
  std::string bold(std::string_view s) const { return colored() ? fmt::format("\x1b[1m{}\x1b[0m", s) : std::string(s); }
  std::string dim(std::string_view s) const { return colored() ? fmt::format("\x1b[2m{}\x1b[0m", s) : std::string(s); }
};

struct Segment {
  std::string name;
  std::string text;  // canonical rule text; compiled again against whatever data is loaded
  int64_t id = 0;       // in the catalog (`--catalog`); 0 for a segment of this session only
  int64_t version = 0;  // the catalog version this session last saw or wrote
  std::string title;    // the catalog's title (the name unless that is `#ID`)
};

// `#12`: a catalog segment named by its id (its title is no name, or is taken).
inline bool id_name(std::string_view name) {
  return name.size() > 1 && name[0] == '#' && name.find_first_not_of("0123456789", 1) == std::string_view::npos;
}

// Everything about rules and data goes through the public API (include/seg/seg.hpp).
struct Session {
  api::Schema schema;             // --schema, or the bundled CRM schema
  std::optional<api::Store> store;
  api::Schema store_schema;       // the store's, with the values its data added (when store is set)
  std::string data_path;
  bool skip_bad_rows = false;    // --skip-bad-rows, for .load too
  bool verify = true;            // snapshot checksums (--no-verify turns them off), for .load too
  std::optional<int64_t> now;     // --now / .now; otherwise the clock at each evaluation
  size_t rows = 10;               // member rows shown after a rule (.rows)
  Mode mode = Mode::Table;        // how rows are written (.mode)
  std::vector<std::string> columns;  // the columns rows show (.columns); all when empty
  // `.read FILE`: runs the file's rules and commands (set by the shell, which reads entries).
  std::function<void(const std::string& path, const Out& o)> read_script;
  // Where the command being run was typed: its input's name and line, and the byte at which
  // the text after the command's name starts (run_command), so a rule given to a command
  // (`.fmt RULE`, `.save NAME RULE`) is reported at its place in a script.
  std::string command_source = "<rule>";
  uint32_t command_line = 1;
  size_t command_rest_at = 0;
  int read_depth = 0;             // .read inside .read, bounded
  bool timer = true;              // show elapsed times (.timer)
  std::string last_text;          // the last rule that compiled
  std::optional<api::Rule> last_rule;
  // The last rule typed had errors: .save, .fmt, .ir and .explain then have no rule (they
  // used the one before it, and `.save` after a typo saved another segment than meant; found
  // by a review).
  bool last_failed = false;
  std::vector<Segment> segments;  // .save, in the order saved (with a catalog: its segments first)
  // `--catalog FILE`: the catalog `seg serve` uses; .save writes there (a new segment, or a
  // new version of the one with that name) and its segments are this session's too.
  std::optional<service::Catalog> catalog;
  bool quit = false;
  int exit_code = 0;              // worst problem so far: 1 rule or data, 2 usage or I/O
  bool hinted = false;            // told how to load data

  const api::Schema& active_schema() const { return store ? store_schema : schema; }
  int64_t now_value() const {
    return now ? *now : api::clock_now();
  }
  api::RunOptions run_options() const {
    api::RunOptions r;
    r.now = now_value();
    return r;
  }
  void problem(int code) { exit_code = std::max(exit_code, code); }
  // By name (`vip`), by catalog id (`#3`, whatever the segment's name: docs/repl.md), else by
  // a catalog title that is no name ("My VIPs", quoted): a title with a space could not be
  // named at all (a review). A title several segments share names none of them: `ambiguous`
  // gets their names (`#6`, `#7`) to say so.
  Segment* find_segment(std::string_view name, std::vector<std::string>* ambiguous = nullptr) {
    for (auto& s : segments)
      if (s.name == name) return &s;
    if (id_name(name)) {
      if (name.size() > 18) return nullptr;  // past any id (and std::stoll's range)
      const int64_t id = std::stoll(std::string(name.substr(1)));
      for (auto& s : segments)
        if (id > 0 && s.id == id) return &s;
      return nullptr;
    }
    Segment* found = nullptr;
    std::vector<std::string> alike;
    for (auto& s : segments)
      if (!s.title.empty() && s.title == name) found = &s, alike.push_back(s.name);
    if (alike.size() > 1) {
      if (ambiguous) *ambiguous = std::move(alike);
      return nullptr;
    }
    return found;
  }
  std::vector<std::string> segment_names() const {
    std::vector<std::string> out;
    for (const auto& s : segments) out.push_back(s.name);
    return out;
  }
};

using cli::ms_text;  // tools/seg/common.hpp
using cli::plural;
using cli::share_text;

// Data files a person is likely to want: the .seg, .csv and .jsonl files in ./data and ./.
std::vector<std::string> data_files_here();

std::string load_hint();

// Diagnostics for a rule that began on line `first_line` of the input (1 on a terminal).
void print_diagnostics(const std::vector<api::Diagnostic>& d, const std::string& source, const std::string& text,
                       uint32_t first_line, const Out& o);

// The data, with load errors, skipped rows and new dictionary values reported. On failure the
// data loaded before stays.
bool load_data(Session& s, const std::string& path, const Out& o);

// A rule compiled against the active schema, bound to the loaded data (which must be there).
api::Query query_for(const Session& s, const api::Rule& rule);

// A rule compiled against the active schema, its diagnostics printed; nullopt on errors.
std::optional<api::Rule> compile(const Session& s, const std::string& text, const std::string& source,
                                 uint32_t first_line, const Out& o);

// A saved segment compiled against the data loaded now (its dictionary codes may differ).
std::optional<api::Rule> compile_segment(const Session& s, const Segment& seg, const Out& o);

// A name `.save` takes: letters, digits, `_`, `-`, `.`, at most 64.
bool valid_name(std::string_view name);

// The catalog's current segments as this session's (named by title; `#ID` where a title is
// not a .save name or is taken). Replaces the segments read before from it.
void read_catalog(Session& s);

// One rule: its diagnostics, then (with data) the count, share, time and first rows, or
// (without data) its canonical text and how to load data.
void run_rule(Session& s, const std::string& text, const std::string& source, uint32_t first_line,
                     const Out& o);

}  // namespace seg::repl
