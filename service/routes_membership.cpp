// The segments service's membership endpoints (docs/service.md, docs/membership.md):
// changes in (POST /api/changes), events out (GET /api/events, long poll, resumable), and
// the membership's counts and state (GET /api/membership).
#include <algorithm>
#include <span>

#include "service/own_sockets.hpp"
#include "service/server_impl.hpp"

namespace seg::service {

void Server::Impl::route_membership() {
  route("GET", "/api/membership", &Impl::membership_state);
  route("POST", "/api/changes", &Impl::apply_changes);
  route("GET", "/api/events", &Impl::list_events);
}

namespace {

// An answer with events: {"ok": true, "version", "next"?, "events": [...]}, the events written
// as text from a copy taken under the membership's lock, after it is released. Built as
// nlohmann objects under the lock (about 300 bytes an event), a version of millions of
// events (a rule edited on 10M clients) held every change, count and long poll for seconds
// and each answer's objects took GBs (found by a review); as text it is about 60 bytes an
// event, and the lock is held for the copy only.
void reply_events(httplib::Response& res, uint64_t version, std::optional<EventCursor> next,
                  std::span<const api::MemberEvent> evs, const std::vector<api::Diagnostic>& warnings = {}) {
  std::string out;
  out.reserve(64 + evs.size() * 64);
  fmt::format_to(std::back_inserter(out), R"({{"ok":true,"version":{},)", version);
  if (!warnings.empty()) {  // an applied batch's (W701, W702): said, not dropped
    // The library's diagnostic objects (docs/cli.md), as every other answer has them: members
    // only where there is something to say (they were "" and 0 here; a review).
    fmt::format_to(std::back_inserter(out), R"("warnings":{},)", api::render_json(warnings, ""));
  }
  if (next) fmt::format_to(std::back_inserter(out), R"("next":{},)", next->version);
  if (next && next->skip) fmt::format_to(std::back_inserter(out), R"("skip":{},)", next->skip);
  out += R"("events":[)";
  for (size_t i = 0; i < evs.size(); ++i) {
    if (i) out += ',';
    api::append_json(out, evs[i]);
  }
  out += "]}";
  res.status = 200;
  res.set_content(std::move(out), "application/json");
}

// A 400 for a `skip` that is not inside the events of the cursor's version.
void reply_bad_skip(httplib::Response& res, const EventCursor& at) {
  reply_error(res, 400, "bad_request",
              fmt::format("skip={} is not inside the events of the first version after {}: not a cursor this "
                          "service gave",
                          at.skip, at.version),
              nullptr, "ask with the `next` and `skip` of the last page");
}

// One page of `evs`, which hold every event of the versions in (at.version, upto], into
// `out`: copied out, so the answer is written after any lock is released.
std::optional<EventPage> copy_page(std::span<const api::MemberEvent> evs, const EventCursor& at, uint64_t limit,
                                   uint64_t upto, std::vector<api::MemberEvent>& out) {
  auto p = page_of_events(evs, at, limit, upto);
  if (p) out.assign(evs.begin() + static_cast<std::ptrdiff_t>(p->from), evs.begin() + static_cast<std::ptrdiff_t>(p->to));
  return p;
}

// A change's body: {"rows": CSV or JSON Lines text, "deletes": [ids], "now": a clock step};
// false with a 400 written when it is not one.
bool read_changes(const httplib::Request& req, httplib::Response& res, api::ClientBatch& batch, std::optional<int64_t>& now) {
  auto body = parse_body(req, res);
  if (!body || !only_members(*body, {"rows", "deletes", "now"}, res)) return false;
  if (body->contains("rows")) {
    if (!(*body)["rows"].is_string()) {
      reply_error(res, 400, "bad_request", "`rows` is the clients' rows as text: CSV with a header, or JSON Lines");
      return false;
    }
    batch.rows = (*body)["rows"].get<std::string>();
  }
  if (body->contains("deletes")) {
    const json& d = (*body)["deletes"];
    if (!d.is_array() || !std::all_of(d.begin(), d.end(), [](const json& x) { return is_int64(x); })) {
      reply_error(res, 400, "bad_request", "`deletes` is a list of client ids");
      return false;
    }
    batch.deletes = d.get<std::vector<int64_t>>();
  }
  return read_now(*body, res, now);
}

void no_membership(httplib::Response& res) {
  reply_error(res, 404, "no_membership",
              "this service keeps no membership: start it with --membership DIR (made by `seg refresh --state DIR`)");
}

}  // namespace

void Server::Impl::wait_for_change(std::unique_lock<std::mutex>& lock, const httplib::Request& req, uint64_t seconds,
                                   const std::function<bool()>& moved) {
  lock.unlock();  // finding the connection reads /proc: not under the membership's lock
  const ClientWatch client(req);
  lock.lock();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  // Woken twice a second to ask: a client that gave up is noticed within half a second.
  while (!moved() && !client.gone()) {
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) break;
    live->changed.wait_for(lock, std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(500)), moved);
  }
}

// ?since=V&wait=S waits up to S seconds for a version after V (the Segments page follows the
// counts this way). A V this membership has not reached answers at once: the asker followed
// another one (the service restarted onto another directory), and must start over.
void Server::Impl::membership_state(const httplib::Request& req, httplib::Response& res) {
  if (!live) return no_membership(res);
  uint64_t since = 0, wait = 0;
  if (!whole_param(req, res, "since", UINT64_MAX, since) || !whole_param(req, res, "wait", kMaxWaitSeconds, wait)) return;
  std::unique_lock lock(live->mu);
  auto moved = [&] { return draining || live->m->version() != since; };
  if (req.has_param("since") && wait > 0 && !moved()) {
    auto slot = wait_slot();
    if (!slot) return busy(res);
    wait_for_change(lock, req, wait, moved);
  }
  json counts = json::array();
  for (const auto& c : live->m->counts()) counts.push_back({{"segment", c.id}, {"count", c.count}});
  // How its compactions go (docs/membership.md): the base in use, one running, failures.
  const api::LiveStats& st = live->m->stats();
  json compaction = {{"generation", live->m->generation()}, {"running", live->m->compacting()},
                     {"done", st.compactions}, {"failures", st.compaction_failures}};
  if (st.compaction_failures) compaction["last_error"] = st.last_compaction_error;
  json out = {{"ok", true},         {"version", live->m->version()}, {"now", live->m->now()},
              {"clients", live->m->clients()}, {"counts", counts},        {"compaction", compaction},
              {"segments_synced", live->unsynced.empty()}, {"instance", instance}};
  if (!live->unsynced.empty()) out["sync_error"] = live->unsynced;
  if (!live->broken.empty()) out["broken"] = broken_message();
  reply(res, out);
}

void Server::Impl::apply_changes(const httplib::Request& req, httplib::Response& res) {
  if (!live) return no_membership(res);
  api::ClientBatch batch;
  std::optional<int64_t> now;
  if (!read_changes(req, res, batch, now)) return;
  std::unique_lock lock(live->mu);
  if (!live->broken.empty())
    return reply_error(res, 503, "membership_broken", broken_message(), nullptr,
                       "restart seg serve, then send this change again");
  if (now && *now < live->m->now())
    return reply_error(res, 400, "bad_request",
                       fmt::format("`now` is before the membership's clock ({}): time does not go back",
                                   api::format_timestamp(live->m->now())));
  std::vector<api::MemberEvent> made;  // this request's: a clock step's, then the batch's
  bool stepped = false;
  // A change that throws after it is logged (no memory part way) is kept by the log, but
  // its events were never given: said, and the membership takes no more (see Live::broken).
  auto failed_part_way = [&](const std::exception& e) {
    live->broken = e.what();
    live->changed.notify_all();
    reply_error(res, 500, "internal",
                fmt::format("the change is logged but applying it failed part way ({}): the membership takes no "
                            "change until the service is restarted, which replays the log (its events then come "
                            "in GET /api/events)",
                            e.what()));
  };
  if (now && *now > live->m->now()) {
    std::vector<api::Diagnostic> diags;
    std::optional<std::vector<api::MemberEvent>> step;
    try {
      step = live->m->advance(*now, diags);
    } catch (const std::exception& e) {
      return failed_part_way(e);
    }
    // Refused (E806: more than a year ahead, which the library takes for a mistake that could
    // not be undone) or not logged (E701: a full disk): nothing changed.
    if (!step && !diags.empty() && diags[0].code == "E806")
      return reply_error(res, 400, "bad_request", diags[0].message, nullptr, diags[0].suggestion);
    if (!step)
      return reply_error(res, 503, "io", diags.empty() ? std::string("the clock step could not be logged") : diags[0].message);
    made = std::move(*step);
    stepped = true;
    live->window->add(made, live->m->version());
  }
  std::vector<api::Diagnostic> warnings;  // an applied batch's
  if (!batch.rows.empty() || !batch.deletes.empty()) {
    std::vector<api::Diagnostic> diags;
    std::optional<std::vector<api::MemberEvent>> evs;
    try {
      evs = live->m->apply(batch, diags);
    } catch (const std::exception& e) {
      return failed_part_way(e);
    }
    if (!evs) {
      live->changed.notify_all();  // a clock step before it may have made events
      json dj = json::parse(api::render_json(diags, ""));
      bool io = !diags.empty() && diags[0].io;
      // A clock step before it stays (its own version, its events in /api/events): said, so a
      // sender does not take the whole request for undone.
      std::string clock =
          stepped ? fmt::format("; the clock step before it is applied and kept (version {})", live->m->version()) : "";
      return reply_error(res, io ? 503 : 422, io ? "io" : "batch_refused",
                         "the batch was not applied (nothing of it is kept)" + clock, dj);
    }
    live->window->add(*evs, live->m->version());
    made.insert(made.end(), evs->begin(), evs->end());
    warnings = std::move(diags);
  }
  live->changed.notify_all();
  const uint64_t version = live->m->version();
  lock.unlock();
  reply_events(res, version, std::nullopt, made, warnings);
}

// ?since=V&skip=K: the events after the cursor a page gave (`next`, `skip`); &limit=N: at
// most N a page (10,000); &wait=S: a long poll.
void Server::Impl::list_events(const httplib::Request& req, httplib::Response& res) {
  if (!live) return no_membership(res);
  EventCursor at;
  uint64_t wait = 0, limit = kEventsPerAnswer;
  if (!whole_param(req, res, "since", UINT64_MAX, at.version) || !whole_param(req, res, "skip", UINT64_MAX, at.skip) ||
      !whole_param(req, res, "limit", kEventsPerAnswer, limit, 1) || !whole_param(req, res, "wait", kMaxWaitSeconds, wait))
    return;
  const uint64_t since = at.version;
  std::unique_lock lock(live->mu);
  // A cursor past this membership's version was handed out by another one (a directory
  // restored from a copy, or another directory): waiting and answering "no events" would
  // let the sender keep it and never get the versions up to it (found by a review).
  if (since > live->m->version()) {
    reply_error(res, 409, "cursor_ahead",
                fmt::format("the membership is at version {}, before since={}: that cursor came from another "
                            "membership (or this one restored from an older copy)",
                            live->m->version(), since),
                nullptr, fmt::format("start again from version {} (or 0 for all events)", live->m->version()));
    return;
  }
  // The versions whose events were given (a change that failed part way is not passed over).
  auto moved = [&] { return draining || live->window->upto() > since; };
  if (wait > 0 && !moved()) {
    auto slot = wait_slot();
    if (!slot) return busy(res);
    wait_for_change(lock, req, wait, moved);
  }
  const uint64_t version = live->window->upto();
  if (since >= live->window->from()) {
    std::vector<api::MemberEvent> answer;
    auto p = copy_page(live->window->events(), at, limit, version, answer);
    lock.unlock();
    if (!p) return reply_bad_skip(res, at);
    return reply_events(res, version, p->next, answer);
  }
  const uint64_t kept_from = live->window->from();
  lock.unlock();
  list_older_events(res, at, limit, version, kept_from);
}

// From before the events in memory (which start after `kept_from`): the directory's
// generations hold them (a replay from the one that has the cursor's version: slower, one at
// a time). A replay's first --events-in-memory events are kept for the pages after it, so a
// sender catching up reads a replay per that many events, not per page. `version`: the
// newest version in memory when the request looked.
void Server::Impl::list_older_events(httplib::Response& res, const EventCursor& at, uint64_t limit, uint64_t version,
                                     uint64_t kept_from) {
  const uint64_t since = at.version;
  // A replay can take seconds and they run one at a time: each waiting one holds a thread,
  // so it takes one of the waiting slots, as long polls do (decision 70), or is 503 busy.
  auto slot = wait_slot();
  if (!slot) return busy(res);
  std::vector<api::Diagnostic> d;
  std::vector<api::MemberEvent> answer;
  std::shared_ptr<const Replayed> older = replay(since, kept_from, d);
  if (!older) {
    // Gone only when the generations that held it were removed (E811); anything else (a
    // damaged log, a read that failed) is the service's fault, and a sender must not take
    // it for "start over". The error, not a warning (W703) read on the way.
    std::erase_if(d, [](const api::Diagnostic& x) { return !x.is_error(); });
    if (d.empty() || d[0].code != "E811")
      return reply_error(res, 500, "history_unreadable",
                         fmt::format("the events after version {} cannot be read: {}", since,
                                     d.empty() ? std::string("unknown error") : api::to_string(d[0])),
                         nullptr, "the membership's older generations need repair (docs/membership.md); newer cursors still work");
    // The message names the generation that is missing; any version from the first one the
    // directory keeps is readable, and from `kept_from` on the events are in memory (a
    // review read "versions after <kept_from> can" as the oldest cursor that works).
    return reply_error(res, 410, "history_gone",
                       fmt::format("the events after version {} cannot be read: {}", since, api::to_string(d[0])),
                       nullptr,
                       fmt::format("start again from a version of a generation the directory still holds (version {} "
                                   "or later always works)",
                                   kept_from));
  }
  // The replay's page, then, when it reaches the events in memory with room left, whole
  // versions of those. With no event between the cursor and them (the service started on a
  // newer generation since the cursor was given), the cursor goes on in them, skip and all.
  const bool none_older = older->upto == kept_from && !has_events_after(*older, since);
  // (Trimmed meanwhile, a cursor inside a version stays as it was; one at a version's end
  // moves to the events in memory, there being none before them.)
  std::optional<EventPage> p = EventPage{0, 0, at.skip ? EventCursor{since, at.skip} : EventCursor{kept_from, 0}};
  EventCursor rest{kept_from, at.skip};
  if (!none_older) {
    p = copy_page(older->events, at, limit, older->upto, answer);
    if (!p) return reply_bad_skip(res, at);
    rest.skip = 0;
  }
  uint64_t answered = version;
  if (none_older || (p->next.version == kept_from && p->next.skip == 0 && answer.size() < limit)) {
    std::unique_lock again(live->mu);
    // Unless they were trimmed meanwhile: `next` then goes on from where the replay ended.
    if (live->window->from() == kept_from) {
      // The window as it is now: changes may have come since `version` was read, and a page
      // that took their events with an older `upto` would hand them out twice.
      answered = live->window->upto();
      auto q = page_of_events(live->window->events(), rest, limit - answer.size(), answered);
      if (!q) return reply_bad_skip(res, at);
      if (q->next.skip == 0 || answer.empty()) {
        answer.insert(answer.end(), live->window->events().begin() + static_cast<std::ptrdiff_t>(q->from),
                      live->window->events().begin() + static_cast<std::ptrdiff_t>(q->to));
        p->next = q->next;
      }
    }
  }
  reply_events(res, answered, p->next, answer);
}

}  // namespace seg::service
