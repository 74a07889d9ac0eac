// `seg apply`, `seg events`, `seg members`: a membership directory kept current (made by
// `seg refresh --state DIR`). apply moves the clock (--now) and applies a batch of client
// rows and deletions, printing the entered/exited events as JSON Lines; events replays the
// log to print the events after a version; members prints a segment's members, now or at a
// version. The work is the library's (api::LiveMembership).
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"

namespace seg::cli {
namespace cmd_live {

// Exits 2 for an I/O error, 1 for anything else (a damaged or missing history).
[[noreturn]] void exit_for(const std::vector<api::Diagnostic>& diags) {
  auto error = std::find_if(diags.begin(), diags.end(), [](const api::Diagnostic& d) { return d.is_error(); });
  exit_with(error == diags.end() || error->io ? 2 : 1);
}

// The directory to change (apply), or only to read (events, members: then a running `seg
// serve --membership` keeps it).
std::optional<api::LiveMembership> open_state(const std::string& dir, bool to_change, std::optional<uint64_t> at = std::nullopt) {
  std::vector<api::Diagnostic> diags;
  auto live = to_change ? api::LiveMembership::open(dir, diags) : api::LiveMembership::read(dir, diags, at);
  print_diagnostics(diags, dir, "");  // errors, or an opened membership's warnings (W703)
  if (!live) exit_for(diags);
  return live;
}

void print_events(const std::vector<api::MemberEvent>& events) { fmt::print("{}", api::to_json_lines(events)); }

struct ApplyCmd {
  std::string state, now;
  std::vector<std::string> batches;  // applied in order, each its own version
  std::vector<int64_t> deletes;
  uint64_t compact_after = 0;
  bool compact = false;
};

void compact_state(api::LiveMembership& live) {
  if (live.version() == live.generation()) {
    fmt::print(stderr, "seg apply: nothing to compact: version {} is the base already\n", live.version());
    return;
  }
  std::vector<api::Diagnostic> diags;
  auto t0 = std::chrono::steady_clock::now();
  if (!live.compact(diags)) {
    print_diagnostics(diags, "", "");
    fmt::print(stderr, "seg apply: the new base was not written; version {} and every change before it are applied and kept\n",
               live.version());
    exit_with(2);
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  fmt::print(stderr, "seg apply: version {} is the new base, written in {:.2f} ms\n", live.generation(), ms);
}

// What this command has applied before a batch: the clock step's version (0: none) and how
// many batches. A refused batch says so, since those stay (they are versions of their own).
struct AppliedBefore {
  uint64_t clock_version = 0;
  size_t batches = 0;
  void say() const {
    std::string what;
    if (clock_version) what = fmt::format("the clock step (version {})", clock_version);
    if (batches)
      what += fmt::format("{}the {} batch{} before it", what.empty() ? "" : " and ", batches, batches > 1 ? "es" : "");
    if (!what.empty())
      fmt::print(stderr, "seg apply: {} {} applied and kept\n", what, (clock_version ? 1 : 0) + batches > 1 ? "are" : "is");
  }
};

// Applies one batch (a file, or none: deletions only) as one version; exits when it is
// refused, saying what this command applied before it. Its time in ms.
double apply_batch(const std::string& file, const std::vector<int64_t>& deletes, const AppliedBefore& before,
                   size_t segments, api::LiveMembership& live);

void run_apply(const ApplyCmd& o) {
  // Nothing asked is a usage error, not a silent exit 0 (found by a review).
  if (o.batches.empty() && o.deletes.empty() && o.now.empty() && !o.compact) {
    fmt::print(stderr, "seg apply: nothing to do: give a batch file, --delete IDS, --now TIME or --compact (seg apply --help)\n");
    exit_with(2);
  }
  auto live = open_state(o.state, true);
  if (o.compact_after) live->set_compact_after(o.compact_after);
  // What can be refused before anything changes is, before the clock moves: stdin named
  // twice, a batch file that cannot be read.
  if (std::count(o.batches.begin(), o.batches.end(), "-") > 1) {
    fmt::print(stderr, "seg apply: stdin (-) can be read once: give it as one batch\n");
    exit_with(2);
  }
  for (const auto& f : o.batches)
    if (f != "-" && ::access(f.c_str(), R_OK) != 0) {
      fmt::print(stderr, "seg apply: {}: {} (nothing applied)\n", f, std::strerror(errno));
      exit_with(2);
    }
  AppliedBefore before;
  if (!o.now.empty()) {
    auto t = api::parse_timestamp(o.now);
    if (!t) {
      fmt::print(stderr, "seg: --now `{}` is not a date or timestamp (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)\n", o.now);
      exit_with(2);
    }
    if (*t < live->now()) {
      fmt::print(stderr, "seg apply: --now {} is before the membership's clock ({}): time does not go back\n", o.now,
                 api::format_timestamp(live->now()));
      exit_with(2);
    }
    if (*t > live->now()) {
      auto t0 = std::chrono::steady_clock::now();
      auto tested = live->stats().clock_rows_tested;
      std::vector<api::Diagnostic> diags;
      auto events = live->advance(*t, diags);
      if (!events) {
        fmt::print(stderr, "seg apply: the clock was not moved: {}\n",
                   diags.empty() ? std::string("unknown failure") : api::to_string(diags[0]));
        exit_with(2);
      }
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      print_events(*events);
      fmt::print(stderr, "seg apply: version {}: the clock moved to {} in {:.2f} ms: {}, {} tested\n", live->version(), o.now,
                 ms, plural(events->size(), "event", "events"), plural(live->stats().clock_rows_tested - tested, "row", "rows"));
      before.clock_version = live->version();
    } else if (o.batches.empty() && o.deletes.empty()) {
      fmt::print(stderr, "seg apply: the clock is at {} already: nothing moved (still version {})\n", o.now, live->version());
    }
  }
  // --delete goes with the first batch (or alone). The segments do not change here: counted
  // once for the log lines (counts() of 1,000 segments each batch was a tenth of a run's time).
  const size_t segments = live->counts().size();
  std::vector<double> ms;
  if (o.batches.empty() && !o.deletes.empty()) ms.push_back(apply_batch("", o.deletes, before, segments, *live));
  for (size_t i = 0; i < o.batches.size(); ++i, ++before.batches)
    ms.push_back(apply_batch(o.batches[i], i == 0 ? o.deletes : std::vector<int64_t>{}, before, segments, *live));
  if (ms.size() > 1) {
    // Several batches: the spread of their times (what a sender of batches waits for events).
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    auto rank = [&](double q) { return sorted[std::min(sorted.size() - 1, static_cast<size_t>(q * static_cast<double>(sorted.size())))]; };
    double total = 0;
    for (double m : ms) total += m;
    fmt::print(stderr, "seg apply: {} batches in {:.2f} ms: p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms\n", ms.size(),
               total, rank(0.5), rank(0.99), sorted.back());
  }
  if (o.compact) compact_state(*live);
}

double apply_batch(const std::string& file, const std::vector<int64_t>& deletes, const AppliedBefore& before,
                   size_t segments, api::LiveMembership& live) {
  api::ClientBatch b;
  b.deletes = deletes;
  if (!file.empty()) {
    std::string error;
    // Whole, however large (a data file is not bounded either): the batch is logged as given.
    constexpr size_t kWhole = SIZE_MAX / 2;
    auto text = file == "-" ? read_stdin(kWhole) : read_file(file, error, kWhole);
    if (!text) {
      before.say();
      input_failure(file, error, Format::Text);
    }
    // An empty file is no batch, not "nothing changed": a data file without its header line is
    // E702 everywhere else, and an upload cut to nothing would pass unnoticed (found by a review).
    if (text->empty()) {
      before.say();
      fmt::print(stderr, "{}: error[E702]: the file is empty: a batch is a header line, then rows (deletes alone: "
                         "--delete without a file)\n",
                 file == "-" ? "<stdin>" : file);
      exit_with(1);
    }
    b.rows = std::move(*text);
  }
  std::vector<api::Diagnostic> diags;
  auto t0 = std::chrono::steady_clock::now();
  const uint64_t failures = live.stats().compaction_failures;
  const uint64_t version_before = live.version();
  auto events = live.apply(b, diags);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  for (auto& d : diags)
    if (d.source == "batch") d.source = file.empty() ? "batch" : file == "-" ? "<stdin>" : file;
  if (!events) {
    print_diagnostics(diags, file, "");
    fmt::print(stderr, "seg apply: the batch was not applied (nothing of it is kept)\n");
    before.say();
    exit_with(!diags.empty() && diags[0].io ? 2 : 1);
  }
  print_events(*events);
  print_diagnostics(diags, file, "");  // the applied batch's warnings (W701, W702)
  if (live.version() == version_before) {
    fmt::print(stderr, "seg apply: nothing changed (no rows, and no client has the ids deleted): still version {}\n",
               live.version());
    return ms;
  }
  fmt::print(stderr, "seg apply: version {} applied in {:.2f} ms: {}, {}, {}\n", live.version(), ms,
             plural(events->size(), "event", "events"), plural(segments, "segment", "segments"),
             plural(live.clients(), "client", "clients"));
  if (live.stats().compaction_failures > failures && !live.compacting())  // it could not even start
    fmt::print(stderr, "seg apply: warning: the batch is applied, but the new base was not started: {}\n",
               live.stats().last_compaction_error);
  if (live.compacting()) {
    // The compaction runs on its own thread; this process ends here, so it waits for it.
    auto t1 = std::chrono::steady_clock::now();
    std::vector<api::Diagnostic> cdiags;
    if (!live.finish_compaction(cdiags)) {
      // A warning, not a failure: the batch is applied and durable (sending it again would
      // make a second version).
      print_diagnostics(cdiags, "", "");
      fmt::print(stderr, "seg apply: warning: the batch is applied, but the new base was not written (a later batch tries again)\n");
      return ms;
    }
    double cms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
    // (Its cause: the batches' rows past --compact-after or a quarter of the base, or 16,384 batches.)
    fmt::print(stderr, "seg apply: compacted: version {} is the new base ({:.2f} ms more)\n", live.generation(), cms);
  }
  return ms;
}

struct EventsCmd {
  std::string state;
  uint64_t since = 0;
  bool follow = false;
  unsigned poll_ms = 250;
};

// A page at a time (EventReader): a long history is printed as it is read, with one page in
// memory, and what was printed before a damaged record stays printed, the error saying up to
// which version. Up to the newest version written (a page that finds none ends it), or with
// --follow on as versions come: the reader looks again every --poll-ms, and each page is
// flushed whole, so a pipe's reader never waits on a buffer.
void run_events(const EventsCmd& o) {
  std::vector<api::Diagnostic> diags;
  auto reader = api::EventReader::open(o.state, o.since, diags);
  print_diagnostics(diags, o.state, "");
  if (!reader) exit_for(diags);
  for (;;) {
    diags.clear();
    auto page = reader->next(diags, 1 << 20);
    if (page && !diags.empty()) print_diagnostics(diags, o.state, "");  // W703, once
    if (!page) {
      std::fflush(stdout);
      print_diagnostics(diags, o.state, "");
      fmt::print(stderr, "seg events: the events up to version {} are printed; the versions after it cannot be read\n",
                 reader->version());
      exit_for(diags);
    }
    if (page->empty()) {
      if (!o.follow) break;
      // A reader of the pipe that went away ends it now, as the next write would (SIGPIPE),
      // rather than at the next version, which may be hours away.
      pollfd out{STDOUT_FILENO, 0, 0};
      if (::poll(&out, 1, 0) > 0 && (out.revents & (POLLERR | POLLHUP))) {
        std::raise(SIGPIPE);
        exit_with(2);  // SIGPIPE ignored
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(o.poll_ms));
      continue;
    }
    print_events(*page);
    if (o.follow) std::fflush(stdout);
  }
}

struct MembersCmd {
  std::string state;
  int64_t segment = 0;
  std::optional<uint64_t> at;
  bool count = false;
};

void run_members(const MembersCmd& o) {
  auto live = open_state(o.state, false, o.at);
  try {
    if (o.count) {
      fmt::print("{}\n", live->count(o.segment));
      return;
    }
    std::string out;
    for (int64_t id : live->ids(o.segment)) out += std::to_string(id) + "\n";
    fmt::print("{}", out);
  } catch (const std::out_of_range&) {
    fmt::print(stderr, "seg members: no segment {} in {}\n", o.segment, o.state);
    exit_with(1);
  }
}

void setup(CLI::App& app) {
  {
    auto* cmd = app.add_subcommand("apply", "Apply a batch of client changes to a membership directory; print the events");
    cmd->footer(
        "Examples:\n"
        "  seg refresh --rules-file examples/segments.seg --data examples/clients.csv --now 2026-11-01 --state \"$DIR\"\n"
        "  seg apply examples/changes.csv --state \"$DIR\" --delete 2 --now 2026-12-01\n"
        "  seg apply batches/*.csv --state \"$DIR\" > events.jsonl   (in order; the times' p50/p99 at the end)\n"
        "The batch holds whole client rows (CSV with a header, or JSON Lines): a client's new row, or a new client.\n"
        "--now first moves the clock (segments whose rules name `now` are re-evaluated), then the batch is\n"
        "applied at that instant. Each is one version, flushed to disk before its events are printed, one JSON\n"
        "object a line: {\"segment\", \"client\", \"event\": \"entered\"|\"exited\", \"version\"}. A bad row refuses\n"
        "the whole batch; with several, those before it stay applied (it says how many). --delete goes with\n"
        "the first. A batch after which the batches' rows pass a quarter of the base's makes the newest\n"
        "rows the new base (so opening replays less; older versions stay readable); --compact does it now.\n"
        "Exit codes: 0 applied, 1 batch refused (bad rows) or not a membership directory, 2 usage or I/O error.");
    auto o = std::make_shared<ApplyCmd>();
    cmd->add_option("batch", o->batches,
                    "Client rows to upsert (CSV or JSON Lines; - for stdin); several files are applied in order, each "
                    "its own version")
        ->type_name("FILE");
    cmd->add_option("--state", o->state, "The membership directory")->required()->type_name("DIR");
    // One id an occurrence (or a comma list): taking every word after it swallowed the batch
    // file in `--delete 5 batch.csv` (found by a review).
    cmd->add_option("--delete", o->deletes, "A client id to delete (repeatable, or ids with commas)")
        ->allow_extra_args(false)
        ->delimiter(',')
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--now", o->now, "Move the clock to this instant first (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)")
        ->type_name("TIMESTAMP")
        ->check(not_empty("a date or timestamp"));
    cmd->add_flag("--compact", o->compact, "Then write the clients' newest rows as a new base");
    add_compact_after_option(*cmd, o->compact_after,
                             "The changed rows after which a batch starts a new base (default: a quarter of the base's, at least 65,536)");
    cmd->callback([o] { run_apply(*o); });
  }
  {
    auto* cmd = app.add_subcommand("events", "Print a membership directory's entered/exited events after a version");
    cmd->footer(
        "Examples:\n"
        "  seg events --state \"$DIR\" --since 41\n"
        "  seg events --state \"$DIR\" --since \"$(cat cursor)\" --follow | sender   (stays, printing versions as they come)\n"
        "The events of every version after --since (0: all), as `seg apply` printed them: a sender that keeps\n"
        "the last version it handled resumes from there and sees each event once. Read and printed a page at a\n"
        "time, so a long history takes the memory of a page; a damaged log stops it after the versions before\n"
        "the damage are printed, saying up to which one.\n"
        "Exit codes: 0 printed, 1 not a membership directory or a damaged or removed history, 2 usage or I/O error.");
    auto o = std::make_shared<EventsCmd>();
    cmd->add_option("--state", o->state, "The membership directory")->required()->type_name("DIR");
    cmd->add_option("--since", o->since, "Print events of versions after this one (default 0: all)")
        ->check(whole_number("a version"));
    cmd->add_flag("--follow", o->follow,
                  "Then stay and print each new version's events as another process (seg apply, seg serve) writes them");
    cmd->add_option("--poll-ms", o->poll_ms, "With --follow: how often to look for new versions (default 250)")
        ->check(in_range(10u, 60000u));
    cmd->callback([o] { run_events(*o); });
  }
  {
    auto* cmd = app.add_subcommand("members", "Print a segment's members in a membership directory, now or at a version");
    cmd->footer(
        "Examples:\n"
        "  seg members 3 --state \"$DIR\"\n"
        "  seg members 3 --state \"$DIR\" --at 12 --count\n"
        "Client ids, one a line, in order; --at reads the members as they were after that version.\n"
        "Exit codes: 0 printed, 1 no such segment or version, or not a membership directory, 2 usage or I/O error.");
    auto o = std::make_shared<MembersCmd>();
    cmd->add_option("segment", o->segment, "The segment's id")->required();
    cmd->add_option("--state", o->state, "The membership directory")->required()->type_name("DIR");
    cmd->add_option("--at", o->at, "The version to read (default: the newest)")->check(whole_number("a version"));
    cmd->add_flag("--count", o->count, "Print only how many");
    cmd->callback([o] { run_members(*o); });
  }
}

CommandRegistrar reg(58, setup);
}  // namespace cmd_live
}  // namespace seg::cli
