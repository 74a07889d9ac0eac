// The segments service's membership (--membership): kept following the catalog's segments,
// its compactions taken over, older events replayed from its directory, and its counts for
// the listings.
#include <algorithm>
#include <map>
#include <set>

#include "service/server_impl.hpp"

namespace seg::service {

void Server::Impl::take_compactions() {
  uint64_t failures_told = 0;
  auto last_sync = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock lock(taker_mu);
      if (taker_cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return taker_stop; })) return;
    }
    // As warm_loop: a failure is logged and tried again on the next round, never thrown out
    // of the thread (which would end the process).
    try {
      take_compaction_round(last_sync, failures_told);
    } catch (const std::exception& e) {
      log_line(stderr, fmt::format("seg serve: the membership's background round failed (it tries again): {}", e.what()));
    }
  }
}

void Server::Impl::take_compaction_round(std::chrono::steady_clock::time_point& last_sync, uint64_t& failures_told) {
  if (std::chrono::steady_clock::now() - last_sync > std::chrono::seconds(2)) {
    last_sync = std::chrono::steady_clock::now();
    bool behind;
    {
      std::lock_guard lock(live->mu);
      behind = !live->unsynced.empty();
    }
    // Saves by another program on the catalog (the REPL's `.save`, another `seg serve`) reach
    // the membership here, within about 2 s: they reached it only at the next start, and the
    // service answered the new rule with the old rule's count and members (found by a review).
    const bool elsewhere = catalog->others_writes() != catalog_synced.load();
    if ((behind || elsewhere) && !sync_membership(std::nullopt, true) && behind)
      log_line(stderr, "seg serve: the membership's segments are the catalog's again");
    // A reader a sender left part way holds a membership's state: let it go after a minute
    // unused (not waiting for a read that is running: the next round looks again).
    if (std::unique_lock history(live->history_mu, std::try_to_lock);
        history && live->reader && std::chrono::steady_clock::now() - live->reader_used > std::chrono::minutes(1))
      live->reader.reset();
  }
  std::lock_guard lock(live->mu);
  std::vector<api::Diagnostic> d;
  if (live->m->compacting()) live->m->finish_compaction(d, false);
  // Failures here or in a change's call (which takes over a finished compaction first).
  const api::LiveStats& st = live->m->stats();
  if (st.compaction_failures > failures_told) {
    failures_told = st.compaction_failures;
    log_line(stderr, fmt::format("seg serve: the membership's new base was not written (it tries again after more "
                                 "changes): {}",
                                 st.last_compaction_error));
  }
}

std::optional<std::string> Server::Impl::sync_membership(std::optional<int64_t> only, bool retry) {
  if (!live) return std::nullopt;
  // One sync at a time, each reading the catalog after the one before it wrote: a sync that
  // read the catalog and then waited could put back a rule a later save (an archive, a newer
  // edit) had already synced (found by a review). The catalog is read and the rules compiled
  // outside the membership's lock, so events, counts and changes do not wait on SQLite (up
  // to its 5 s busy timeout while another process writes the catalog) or on compiling a
  // thousand rules.
  std::lock_guard one(live->sync_mu);
  api::Schema schema;
  {
    std::lock_guard lock(live->mu);
    schema = live->m->schema();
  }
  std::vector<Segment> wanted;
  // Read before the segments: a save elsewhere after this is seen by the next round.
  const int64_t others = only ? 0 : catalog->others_writes();
  if (only) {
    if (auto s = catalog->get(*only)) wanted.push_back(*s);
  } else {
    wanted = catalog->list(false);
  }
  std::map<int64_t, std::string> rules;  // the wanted segments' canonical rules
  for (const Segment& s : wanted) {
    if (s.archived) continue;
    api::Rule r = api::Rule::compile(s.content.rule_text, schema);
    if (!r.ok()) {
      if (!retry)
        log_line(stderr, fmt::format("seg serve: segment {} is not in the membership: {}", s.id, api::to_string(r.diagnostics()[0])));
      continue;
    }
    rules[s.id] = r.canonical_text();
  }
  std::lock_guard lock(live->mu);
  // Broken, nothing more goes in, even when the library could take it again (a compaction
  // taken over replaces its state): a version after the one whose events were never given
  // would move every events cursor past them (found by a review).
  if (!live->broken.empty()) {
    live->unsynced = broken_message();
    return live->unsynced;
  }
  std::map<int64_t, std::string> has;
  for (auto& [id, text] : live->m->segments()) has[id] = text;
  std::vector<std::pair<int64_t, std::string>> set;
  std::vector<int64_t> remove;
  for (const auto& [id, text] : rules) {
    auto it = has.find(id);
    if (it == has.end() || it->second != text) set.emplace_back(id, text);
  }
  if (only) {
    if (!rules.count(*only) && has.count(*only)) remove.push_back(*only);
  } else {
    for (const auto& [id, text] : has)
      if (!rules.count(id)) remove.push_back(id);
  }
  if (!set.empty() || !remove.empty()) {
    std::vector<api::Diagnostic> diags;
    std::optional<std::vector<api::MemberEvent>> evs;
    std::string thrown;
    try {
      evs = live->m->update_segments(set, remove, diags);
    } catch (const std::exception& e) {  // no memory part way: the membership refuses changes until reopened
      live->broken = e.what();
      live->changed.notify_all();
      thrown = broken_message();
    }
    if (!evs) {
      // The code and the message (which names the file), without the library's suggestion
      // to send the change again: the service does that itself.
      const std::string why = !thrown.empty()  ? thrown
                              : diags.empty() ? std::string("unknown error")
                                              : diags[0].code + ": " + diags[0].message;
      if (live->unsynced.empty())
        log_line(stderr, fmt::format("seg serve: the membership's segments were not updated{}: {}",
                                     thrown.empty() ? " (tried again every 2 s)" : "", why));
      live->unsynced = why;
      return why;
    }
    live->window->add(*evs, live->m->version());
    live->changed.notify_all();
  }
  // A sync of one segment leaves others a failed sync missed: only a whole one catches up.
  if (!only) {
    live->unsynced.clear();
    catalog_synced = others;
  }
  return std::nullopt;
}

bool Server::Impl::has_events_after(const Server::Impl::Replayed& r, uint64_t since) {
  return std::any_of(r.events.begin(), r.events.end(), [&](const api::MemberEvent& e) { return e.version > since; });
}

std::shared_ptr<const Server::Impl::Replayed> Server::Impl::replay(uint64_t since, uint64_t kept_from, std::vector<api::Diagnostic>& d) {
  std::lock_guard history(live->history_mu);
  for (auto& r : live->replayed)
    if (r && r->since <= since && since < r->upto && (r->upto == kept_from || has_events_after(*r, since))) {
      std::swap(r, live->replayed.front());  // the most recent first
      return live->replayed.front();
    }
  // Go on from the last read when it stopped at or before `since` (a sender's next page; the
  // reader skips to `since` by replaying on, or from a later generation's base when one starts
  // on the way); else open one from the generation that holds `since`.
  auto& reader = live->reader;
  live->reader_used = std::chrono::steady_clock::now();
  const size_t cap = std::max<size_t>(options.events_in_memory, 1);
  if (!reader || reader->version() > since) {
    reader.reset();
    ++live->replays;
    reader = api::EventReader::open(options.membership, since, d);
    if (!reader) return nullptr;
  }
  if (!reader->seek(since, d)) {
    reader.reset();
    return nullptr;
  }
  // The log reaches kept_from (the events in memory start after it): a reader that stops
  // short of a version it needs found the log cut off.
  const uint64_t from = reader->version();
  auto events = reader->next(d, cap, kept_from);
  if (events && reader->version() == from)
    d.push_back({.subject = api::Subject::Data,
                 .code = "E803",
                 .message = fmt::format("the log ends at version {}, before version {} whose events are in memory", from,
                                        kept_from)});
  if (!events || reader->version() == from) {
    reader.reset();
    return nullptr;
  }
  auto r = std::make_shared<Replayed>();
  r->since = since;
  r->upto = reader->version();
  r->events = std::move(*events);
  if (r->upto >= kept_from) reader.reset();
  live->reader_used = std::chrono::steady_clock::now();  // a long read is not idleness
  live->replayed.back() = std::move(live->replayed.front());  // the older one goes
  live->replayed.front() = r;
  return r;
}

void Server::Impl::say_unsynced(json& answer, const std::optional<std::string>& why) {
  if (!why) return;
  bool broken;
  {
    std::lock_guard lock(live->mu);
    broken = !live->broken.empty();
  }
  answer["membership"] = {
      {"updated", false},
      {"error", *why},
      {"suggestion", broken ? "the segment is saved; restart seg serve: it replays the membership's log and adds "
                              "the catalog's segments"
                            : "the segment is saved; the service adds it to the membership again every 2 s "
                              "(GET /api/membership says `segments_synced` once it has)"}};
}

std::string Server::Impl::broken_message() const {
  return "a change failed part way (" + live->broken +
         "): the membership takes no change until the service is restarted, which replays its log";
}

std::optional<uint64_t> Server::Impl::membership_count(const Segment& s) {
  if (!live) return std::nullopt;
  if (s.archived) {
    // Counted over the membership's clients as its member stream lists them (a review found
    // the data file's: clients deleted since came back), and kept until either changes.
    api::LiveMembership::View view = membership_view();
    const std::array<uint64_t, 3> key = {static_cast<uint64_t>(s.version), view.version(), 0};
    {
      std::lock_guard lock(live->archived_mu);
      auto it = live->archived_counts.find(s.id);
      if (it != live->archived_counts.end() && it->second[0] == key[0] && it->second[1] == key[1]) return it->second[2];
    }
    std::vector<api::Diagnostic> d;
    auto sel = view.select(s.content.rule_text, view.now(), 0, d);
    if (!sel) return std::nullopt;  // its rule does not compile against the membership's data
    std::lock_guard lock(live->archived_mu);
    live->archived_counts[s.id] = {key[0], key[1], sel->result.count};
    return sel->result.count;
  }
  std::lock_guard lock(live->mu);
  try {
    return live->m->count(s.id);
  } catch (const std::out_of_range&) {
    return std::nullopt;  // its rule does not compile against the membership's data
  }
}

std::unordered_map<int64_t, uint64_t> Server::Impl::membership_counts(uint64_t& version, uint64_t& clients, std::string& problem) {
  std::unordered_map<int64_t, uint64_t> out;
  if (!live) return out;
  std::lock_guard lock(live->mu);
  for (const auto& c : live->m->counts()) out.emplace(c.id, c.count);
  version = live->m->version();
  clients = live->m->clients();
  if (!live->broken.empty()) problem = broken_message();
  else if (!live->unsynced.empty())
    problem = "a saved segment is not in the membership yet (the service tries again every 2 s): " + live->unsynced;
  return out;
}

void Server::Impl::add_clients(json& j, const Data& d) {
  j["rows"] = d.store.rows();
  if (!live) return;
  std::lock_guard lock(live->mu);
  j["clients"] = live->m->clients();
  j["membership_version"] = live->m->version();
  j["instance"] = instance;
}

api::Page Server::Impl::membership_rows(Live& live, const std::vector<int64_t>& ids, const std::vector<size_t>& cols) {
  constexpr size_t kRowsPerHold = 1024;
  api::Page page;
  for (size_t at = 0; at < ids.size(); at += kRowsPerHold) {
    std::vector<int64_t> part(ids.begin() + static_cast<std::ptrdiff_t>(at),
                              ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + kRowsPerHold)));
    api::Page p;
    {
      std::lock_guard lock(live.mu);
      p = live.m->rows(part, cols);
    }
    if (at == 0) page.columns = std::move(p.columns);
    std::move(p.rows.begin(), p.rows.end(), std::back_inserter(page.rows));
    std::move(p.text.begin(), p.text.end(), std::back_inserter(page.text));
  }
  return page;
}

api::Schema Server::Impl::rules_schema(const Data& d) const {
  if (!live) return d.schema;
  std::lock_guard lock(live->mu);
  return live->m->schema();
}

api::LiveMembership::View Server::Impl::membership_view() const {
  std::lock_guard lock(live->mu);
  return live->m->view();
}

}  // namespace seg::service
