// The segments service's HTTP API (see server.hpp and docs/service.md). cpp-httplib serves
// (Debian's libcpp-httplib-dev; docs/decisions.md 29); every answer is JSON with `ok`, except
// the member streams.
#include "service/server.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <ctime>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <span>
#include <unordered_map>
#include <nlohmann/json.hpp>

#include "seg/seg.hpp"
#include "service/catalog.hpp"
#include "service/event_window.hpp"
#include "service/page_assets.hpp"

namespace seg::service {

using json = nlohmann::ordered_json;

void log_line(std::FILE* f, const std::string& line) noexcept {
  // One line at a time: each stdio call locks the stream alone, so another request's line
  // could come between a line and its newline (two access-log records on one line, seen in CI).
  ::flockfile(f);
  std::fwrite(line.data(), 1, line.size(), f);
  std::fputc('\n', f);
  std::fflush(f);
  ::funlockfile(f);
}

bool is_loopback(const std::string& host) {
  // An address, not a prefix of a name: `127.corp.example` may resolve to any machine.
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  return host == "localhost" || host == "::1";
}

namespace {

// The data served now. Requests take a reference and keep it to the end, so a reload swaps
// the pointer and the old store lives until its last request finishes.
struct Data {
  api::Store store;
  api::Schema schema;
  uint64_t version = 0;  // 1 for the first load, +1 per reload
};

// JSON text of an answer or a log line. A request's path and query parameters arrive
// percent-decoded and may be any bytes; where one is quoted back (a field name that is not
// there, the access log's path) a byte that is not UTF-8 becomes U+FFFD. nlohmann's default
// throws on it, and that killed the service from the access log (found by the fuzzer).
std::string json_text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// An integer that fits in int64: nlohmann keeps one above INT64_MAX as unsigned, and
// get<int64_t>() of it wraps (a version 2^64-1 read as -1, a client id deleted as -1).
bool is_int64(const json& j) {
  return j.is_number_integer() && !(j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX));
}

// An error answer: {"ok": false, "error": {"code", "message"}, "diagnostics"?}.
void reply_error(httplib::Response& res, int status, const std::string& code, const std::string& message,
                 const json& diagnostics = nullptr, const std::string& suggestion = "") {
  json j;
  j["ok"] = false;
  j["error"] = {{"code", code}, {"message", message}};
  if (!suggestion.empty()) j["error"]["suggestion"] = suggestion;
  if (!diagnostics.is_null()) j["diagnostics"] = diagnostics;
  res.status = status;
  res.set_content(json_text(j), "application/json");
}

void reply(httplib::Response& res, const json& j, int status = 200) {
  res.status = status;
  res.set_content(json_text(j), "application/json");
}

// Where the rule is in a request body: exactly one of these members.
struct RuleMember {
  const char* name;
  api::RuleFormat format;
};
constexpr RuleMember kRuleMembers[] = {{"rule", api::RuleFormat::Text},
                                       {"form", api::RuleFormat::Form},
                                       {"ir", api::RuleFormat::IrJson},
                                       {"querybuilder", api::RuleFormat::QueryBuilder},
                                       {"jsonlogic", api::RuleFormat::JsonLogic}};

struct RuleRequest {
  std::string member;  // which one
  api::RuleFormat format = api::RuleFormat::Text;
  std::string source;  // rule text, or the member's JSON
  std::optional<int64_t> now;
};

// The body's `now` (a date or timestamp string) into `now` when it has one; false with an
// error written to `res` when it is not one.
bool read_now(const json& body, httplib::Response& res, std::optional<int64_t>& now) {
  if (!body.contains("now")) return true;
  const json& n = body["now"];
  std::optional<int64_t> t;
  if (n.is_string()) t = api::parse_timestamp(n.get<std::string>());
  if (!t) {
    reply_error(res, 400, "bad_request", "`now` must be a date or timestamp string (2026-10-01T10:00:00Z)");
    return false;
  }
  now = t;
  return true;
}

// The rule a body carries, or an error already written to `res`.
std::optional<RuleRequest> rule_request(const json& body, httplib::Response& res) {
  RuleRequest r;
  int found = 0;
  for (const auto& m : kRuleMembers) {
    if (!body.contains(m.name)) continue;
    ++found;
    r.member = m.name;
    r.format = m.format;
    const json& v = body[m.name];
    if (m.format == api::RuleFormat::Text) {
      if (!v.is_string()) {
        reply_error(res, 400, "bad_request", "`rule` must be a string of rule text");
        return std::nullopt;
      }
      r.source = v.get<std::string>();
    } else {
      if (!v.is_object()) {
        reply_error(res, 400, "bad_request", fmt::format("`{}` must be a JSON object", m.name));
        return std::nullopt;
      }
      r.source = v.dump();
    }
  }
  if (found != 1) {
    reply_error(res, 400, "bad_request",
                found == 0 ? "the body needs one of `rule`, `form`, `ir`, `querybuilder`, `jsonlogic`"
                           : "the body has more than one of `rule`, `form`, `ir`, `querybuilder`, `jsonlogic`; give one");
    return std::nullopt;
  }
  if (!read_now(body, res, r.now)) return std::nullopt;
  return r;
}

// Diagnostics as JSON, their paths pointing into the request body (`/form/stages/0`).
json diagnostics_json(const api::Rule& rule, const RuleRequest& r) {
  json d = json::parse(api::render_json(rule.diagnostics(), r.format == api::RuleFormat::Text ? r.source : ""));
  if (r.format != api::RuleFormat::Text)
    for (auto& x : d)
      if (x.contains("path") && x["path"].is_string()) x["path"] = "/" + r.member + x["path"].get<std::string>();
  return d;
}

// How deep `text`'s arrays and objects nest (brackets in strings not counted), stopping
// past `limit`: nlohmann's parser, copies and dump() recurse once a level, so a body nested a
// million deep, far under the size limit, overflowed the stack and killed the service.
size_t json_nesting(std::string_view text, size_t limit) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '{' || ch == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) break;
    } else if ((ch == '}' || ch == ']') && depth) {
      --depth;
    }
  }
  return deepest;
}

std::optional<json> parse_body(const httplib::Request& req, httplib::Response& res) {
  // The library refuses a rule document nested deeper than its limit (E406) with the path; the
  // body around it adds a few levels (`{"before": {"ir": …}}`).
  const size_t limit = api::limits().max_json_depth + 8;
  if (json_nesting(req.body, limit) > limit) {
    reply_error(res, 400, "too_deep", fmt::format("the body nests deeper than {} levels (E406)", limit));
    return std::nullopt;
  }
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    reply_error(res, 400, "bad_json", "the body is not a JSON object");
    return std::nullopt;
  }
  return body;
}

// A segment as the API shows it; lists leave out the IR (parsing 10,000 IR documents
// dominated listing them).
json segment_json(const Segment& s, bool with_ir = true) {
  json j;
  j["id"] = s.id;
  j["version"] = s.version;
  j["title"] = s.content.title;
  j["rule"] = s.content.rule_text;
  if (with_ir) j["ir"] = json::parse(s.content.ir_json, nullptr, false);
  j["hash"] = fmt::format("{:016x}", s.content.hash);
  j["origin"] = origin_name(s.content.origin);
  j["archived"] = s.archived;
  j["created_at"] = s.created_at;
  j["updated_at"] = s.updated_at;
  return j;
}

// A string as JSON text (quoted, escaped: nlohmann's escaping, as everywhere), appended.
// The listing writes its JSON directly, because building 10,000 nlohmann objects and
// serializing them was most of its time.
void append_json_string(std::string& out, std::string_view s) { out += json_text(json(s)); }

// The segment id of a /api/segments/{id}... path; an id past int64 is no segment (404).
std::optional<int64_t> segment_id(const httplib::Request& req, httplib::Response& res) {
  const std::string m = req.matches[1];
  int64_t id = 0;
  auto [end, ec] = std::from_chars(m.data(), m.data() + m.size(), id);
  if (ec != std::errc() || end != m.data() + m.size()) {
    reply_error(res, 404, "not_found", fmt::format("no segment {}", m));
    return std::nullopt;
  }
  return id;
}

// A query parameter that is a whole number up to `max` (absent: `out` stays); a 400 otherwise.
bool whole_param(const httplib::Request& req, httplib::Response& res, const char* name, uint64_t max, uint64_t& out) {
  if (!req.has_param(name)) return true;
  const std::string v = req.get_param_value(name);
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size() || out > max) {
    reply_error(res, 400, "bad_request", fmt::format("`{}` must be a whole number from 0 to {}", name, max));
    return false;
  }
  return true;
}

json explain_json(const api::ExplainNode& n) {
  json j;
  j["label"] = n.label;
  j["op"] = n.op;
  j["rows_in"] = n.rows_in;
  j["rows_out"] = n.rows_out;
  j["ms"] = n.ms;
  if (!n.children.empty()) {
    auto& kids = j["children"] = json::array();
    for (const auto& k : n.children) kids.push_back(explain_json(k));
  }
  return j;
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  api::Schema base_schema;
  std::optional<Catalog> catalog;
  std::mutex data_mu;
  std::shared_ptr<const Data> data;
  std::mutex reload_mu;  // one reload at a time
  httplib::Server http;
  std::atomic<int> in_flight{0};
  std::atomic<bool> draining{false};
  std::atomic<uint64_t> request_count{0};  // the access log's request ids
  static inline thread_local std::chrono::steady_clock::time_point request_started;
  // Set when a member stream stopped before its end (the client stopped reading): the access
  // log says so, since the status line (200) went out first.
  static inline thread_local bool stream_cut = false;

  // Every saved segment's count and summary, computed in the background after each load,
  // so the first listing after a start or a reload does not evaluate thousands of rules while
  // a person waits (10,000 segments over 10M clients: 6 s). `?counts=cached` lists without
  // waiting for it.
  std::thread warmer;
  std::mutex warm_mu;
  std::condition_variable warm_cv;
  uint64_t warm_wanted = 0;
  bool warm_stop = false;
  // The data version the warmer has been through every segment of. After that, a segment not
  // in the cache (just archived, or saved by another process on the catalog) is counted when
  // listed, even with `counts=cached`: there is nothing left to wait for.
  std::atomic<uint64_t> warmed_version{0};
  std::atomic<size_t> last_listing_bytes{0};  // to reserve the next listing's answer at once

  // This start's id, in every answer that carries a membership version: versions are a
  // membership's own, so after a restart (onto another directory, or one restored from a copy)
  // a smaller version is not a late answer, and the page tells the two apart by this.
  const std::string instance = [] {
    std::random_device rd;
    return fmt::format("{:08x}{:08x}", rd(), rd());
  }();

  // The membership kept current (--membership): one writer at a time; the newest events
  // (from the newest generation's first version when the service started, up to
  // --events-in-memory of them) kept for GET /api/events, whose long polls wait on `changed`.
  // Older versions' events are read from the directory when asked for (a start opens one
  // generation only), and the last two such reads are kept for the pages that follow them.
  struct Replayed {
    uint64_t since = 0, upto = 0;  // the events of the versions in (since, upto]
    std::vector<api::MemberEvent> events;
  };
  struct Live {
    std::mutex mu;
    std::condition_variable changed;
    std::optional<api::LiveMembership> m;
    std::optional<EventWindow> window;
    std::mutex history_mu;  // one read of older generations at a time (each is a replay)
    std::mutex sync_mu;     // one sync of the catalog's segments at a time; taken before mu
    // The last two replays, the most recent first (under history_mu): two senders catching
    // up at once each keep theirs instead of evicting the other's at every page.
    std::array<std::shared_ptr<const Replayed>, 2> replayed;
    std::atomic<uint64_t> replays{0};
    // Why the last sync of the catalog's segments into the membership failed (a full disk),
    // empty once one succeeds: the saves stand, and take_compactions() syncs again.
    std::string unsynced;
    // Why a change threw after it was logged (no memory part way): the membership refuses
    // every later change until the service starts again and replays its log.
    std::string broken;
  };
  std::unique_ptr<Live> live;
  // A compaction apply() starts runs on a thread of its own; this one takes it over once it
  // is done, so a membership that gets no further change does not hold two generations.
  std::thread taker;
  std::mutex taker_mu;
  std::condition_variable taker_cv;
  bool taker_stop = false;
  // Also syncs the catalog's segments again, every 2 s, while the last sync failed.
  void take_compactions() {
    uint64_t failures_told = 0;
    auto last_sync = std::chrono::steady_clock::now();
    for (;;) {
      {
        std::unique_lock lock(taker_mu);
        if (taker_cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return taker_stop; })) return;
      }
      if (std::chrono::steady_clock::now() - last_sync > std::chrono::seconds(2)) {
        last_sync = std::chrono::steady_clock::now();
        bool behind;
        {
          std::lock_guard lock(live->mu);
          behind = !live->unsynced.empty();
        }
        if (behind && !sync_membership(std::nullopt, true))
          log_line(stderr, "seg serve: the membership's segments are the catalog's again");
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
  }
  static constexpr int kMaxWaitSeconds = 30;      // a long poll's longest wait

  // Long polls and member streams hold a worker thread while they wait on a change or on
  // their reader (up to 30 s and 300 s). At most kMaxWaiting of the 64 do at once, so the
  // others always serve the page and the API; one more gets 503 `busy` with a Retry-After
  // (docs/service.md). A slot is released when its holder is destroyed.
  static constexpr int kMaxWaiting = 32;
  std::atomic<int> waiting{0};
  struct WaitSlot {
    std::atomic<int>& n;
    explicit WaitSlot(std::atomic<int>& count) : n(count) {}
    WaitSlot(const WaitSlot&) = delete;
    WaitSlot& operator=(const WaitSlot&) = delete;
    ~WaitSlot() { --n; }
  };
  // A slot, or null when all are taken (the answer is then busy()).
  std::shared_ptr<WaitSlot> wait_slot() {
    if (waiting.fetch_add(1) >= kMaxWaiting) {
      --waiting;
      return nullptr;
    }
    return std::make_shared<WaitSlot>(waiting);
  }
  static void busy(httplib::Response& res) {
    res.set_header("Retry-After", "2");
    reply_error(res, 503, "busy",
                fmt::format("{} requests are waiting already (long polls and member streams): try again in a moment",
                            kMaxWaiting));
  }

  // The catalog's segments are the membership's (docs/service.md): saved and not archived,
  // with rules that compile against the membership's data (others are left out, and say so).
  // `only`: one segment after it was saved or archived; otherwise all of them (at start:
  // those saved or archived while the service was down, and after a sync failed). One
  // version when anything differs; its events (a changed rule's) go to the events list.
  // Returns why the membership could not take the change (it could not be logged), which
  // the save's answer says; the next syncs of all segments retry until one succeeds.
  std::optional<std::string> sync_membership(std::optional<int64_t> only = std::nullopt, bool retry = false) {
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
    if (!only) live->unsynced.clear();
    return std::nullopt;
  }

  static bool has_events_after(const Replayed& r, uint64_t since) {
    return std::any_of(r.events.begin(), r.events.end(), [&](const api::MemberEvent& e) { return e.version > since; });
  }
  // The events of the versions in (since, kept_from] (those in memory start after
  // kept_from), read from the directory: a kept replay when one holds the cursor's next events
  // or reaches kept_from, else a new one, its first --events-in-memory events kept (whole
  // versions, at least one). Null with `d` when they cannot be read. One at a time.
  std::shared_ptr<const Replayed> replay(uint64_t since, uint64_t kept_from, std::vector<api::Diagnostic>& d) {
    std::lock_guard history(live->history_mu);
    for (auto& r : live->replayed)
      if (r && r->since <= since && since < r->upto && (r->upto == kept_from || has_events_after(*r, since))) {
        std::swap(r, live->replayed.front());  // the most recent first
        return live->replayed.front();
      }
    auto r = std::make_shared<Replayed>();
    ++live->replays;
    if (!api::LiveMembership::read(options.membership, d, kept_from, &r->events, since)) return nullptr;
    r->since = since;
    r->upto = kept_from;
    const size_t keep = whole_versions_within(r->events, options.events_in_memory);
    if (keep < r->events.size()) {
      r->upto = r->events[keep - 1].version;
      r->events.resize(keep);
      r->events.shrink_to_fit();
    }
    live->replayed.back() = std::move(live->replayed.front());  // the older one goes
    live->replayed.front() = r;
    return r;
  }

  // A save's answer when the membership could not take it: the save stands (the catalog is
  // what the membership follows), and says so, so the page can tell counts are behind.
  void say_unsynced(json& answer, const std::optional<std::string>& why) {
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
  // Under live->mu, with live->broken set.
  std::string broken_message() const {
    return "a change failed part way (" + live->broken +
           "): the membership takes no change until the service is restarted, which replays its log";
  }

  // One saved segment's count in the membership, when it is in one.
  std::optional<uint64_t> membership_count(const Segment& s) {
    if (!live || s.archived) return std::nullopt;
    std::lock_guard lock(live->mu);
    try {
      return live->m->count(s.id);
    } catch (const std::out_of_range&) {
      return std::nullopt;  // its rule does not compile against the membership's data
    }
  }
  // Each saved segment's count in the membership, when there is one (under its lock, once
  // for a whole listing).
  // `problem`: why the counts may be behind the catalog (empty when they are not).
  std::unordered_map<int64_t, uint64_t> membership_counts(uint64_t& version, uint64_t& clients, std::string& problem) {
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
  // The data file's rows, and with a membership the clients it holds as changes left them
  // (and its version): what the page's header counts.
  void add_clients(json& j, const Data& d) {
    j["rows"] = d.store.rows();
    if (!live) return;
    std::lock_guard lock(live->mu);
    j["clients"] = live->m->clients();
    j["membership_version"] = live->m->version();
    j["instance"] = instance;
  }
  static constexpr size_t kEventsPerAnswer = 10000;  // the most a page of events holds

  ~Impl() {
    {
      std::lock_guard lock(warm_mu);
      warm_stop = true;
    }
    warm_cv.notify_all();
    if (warmer.joinable()) warmer.join();
    {
      std::lock_guard lock(taker_mu);
      taker_stop = true;
    }
    taker_cv.notify_all();
    if (taker.joinable()) taker.join();
    // A compaction still running is waited for either way: take it over, so its work is kept.
    if (live && live->m) {
      std::lock_guard lock(live->mu);
      std::vector<api::Diagnostic> d;
      if (live->m->compacting() && !live->m->finish_compaction(d) && !d.empty())
        log_line(stderr, fmt::format("seg serve: the membership's new base was not written: {}", api::to_string(d[0])));
    }
  }

  void warm() {
    std::lock_guard lock(warm_mu);
    ++warm_wanted;
    warm_cv.notify_one();
  }

  void warm_loop() {
    // Below the requests: a person's count comes first.
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
    uint64_t done = 0;
    for (;;) {
      {
        std::unique_lock lock(warm_mu);
        warm_cv.wait(lock, [&] { return warm_stop || warm_wanted != done; });
        if (warm_stop) return;
        done = warm_wanted;
      }
      auto d = current();
      bool whole = true;
      for (const Segment& s : *catalog->list_light(true)) {  // archived ones too: "Show archived"
        {
          std::lock_guard lock(warm_mu);
          if (warm_stop || warm_wanted != done) {  // stopping, or newer data to warm for
            whole = false;
            break;
          }
        }
        facts_of(s, *d);
      }
      if (whole) warmed_version = d->version;
    }
  }

  std::shared_ptr<const Data> current() {
    std::lock_guard lock(data_mu);
    return data;
  }

  bool load(std::string& error) {
    std::lock_guard lock(reload_mu);
    std::vector<api::Diagnostic> diags;
    auto store = api::Store::open(options.data, base_schema, diags);
    if (!store) {
      error = diags.empty() ? options.data + ": cannot be opened" : api::to_string(diags[0]);
      return false;
    }
    auto d = std::make_shared<Data>(Data{*store, store->schema(), 0});
    {
      std::lock_guard dl(data_mu);
      d->version = data ? data->version + 1 : 1;
      data = std::move(d);
    }
    warm();
    return true;
  }

  // Compiles a request's rule against the data served now; writes the 422 when it has errors.
  std::optional<api::Rule> compile(const RuleRequest& r, const Data& d, httplib::Response& res) {
    api::Rule rule = api::Rule::compile(r.source, d.schema, r.format, "<" + r.member + ">");
    if (!rule.ok()) {
      reply_error(res, 422, "rule_errors", "the rule has errors", diagnostics_json(rule, r));
      return std::nullopt;
    }
    return rule;
  }

  // The membership's clients as they are now, taken under its lock: a live count or a diff
  // evaluates over them after letting go, so changes do not wait for it.
  api::LiveMembership::View membership_view() const {
    std::lock_guard lock(live->mu);
    return live->m->view();
  }

  // What changing rule `before` into `after` does (POST /api/diff, GET
  // /api/segments/{id}/diff), with `extra` members first. With a membership, over its clients
  // as changes left them, at its instant unless `now` names one: the same clients as the live
  // count's, so the page's change figures agree with it (docs/service.md).
  void reply_diff(httplib::Response& res, const api::Rule& before, const api::Rule& after, const Data& d,
                  std::optional<int64_t> now, size_t sample, json extra = json::object()) {
    std::optional<api::Diff> diff;
    uint64_t membership_version = 0;
    if (live) {
      std::vector<api::Diagnostic> diags;
      const api::LiveMembership::View view = membership_view();
      diff = view.diff(before.canonical_text(), after.canonical_text(), now ? *now : view.now(), sample, diags);
      membership_version = view.version();
      if (!diff)
        return reply_error(res, 422, "rule_errors",
                           "the rules do not compile against the membership's data: " +
                               (diags.empty() ? std::string("unknown error") : api::to_string(diags[0])),
                           json::parse(api::render_json(diags, "")));
    } else {
      api::RunOptions o;
      o.now = now;
      diff = api::diff(query(before, d), query(after, d), o, sample);
    }
    json j = {{"ok", true}};
    j.update(extra);
    j.update(json::parse(diff->json()));
    j["data_version"] = d.version;
    if (live) {
      j["membership_version"] = membership_version;
      j["instance"] = instance;
    }
    reply(res, j);
  }

  api::Query query(const api::Rule& rule, const Data& d) {
    std::vector<api::Diagnostic> unused;
    return *api::Query::prepare(rule, d.store, unused);  // compiled against this store's schema
  }

  // A saved segment's member count on the data served now (its canonical text compiled
  // again: dictionary codes may differ between data versions); nullopt when it no longer
  // compiles. Counts are kept per (segment version, data version), so listing thousands of
  // segments reads the catalog and this cache, not the data.
  // The segments table's summary ("Stages: … · Tags: any of …") is kept beside the count: it
  // needs the rule compiled, and labels come from the data's dictionaries.
  struct CachedCount {
    int64_t version = 0;
    uint64_t data_version = 0;
    std::optional<uint64_t> count;
    std::string summary;
  };
  std::mutex counts_mu;
  std::unordered_map<int64_t, CachedCount> counts;

  void remember(const Segment& s, const Data& d, std::optional<uint64_t> n, std::string summary) {
    std::lock_guard lock(counts_mu);
    counts[s.id] = CachedCount{s.version, d.version, n, std::move(summary)};
  }

  CachedCount facts_of(const Segment& s, const Data& d) {
    if (auto f = cached_facts(s, d)) return *f;
    api::Rule rule = api::Rule::compile(s.content.rule_text, d.schema);
    std::optional<uint64_t> n;
    std::string summary = s.content.rule_text;
    if (rule.ok()) {
      n = query(rule, d).count().count;
      summary = rule.summary();
    }
    remember(s, d, n, summary);
    return CachedCount{s.version, d.version, n, summary};
  }

  std::optional<CachedCount> cached_facts(const Segment& s, const Data& d) {
    std::lock_guard lock(counts_mu);
    auto it = counts.find(s.id);
    if (it != counts.end() && it->second.version == s.version && it->second.data_version == d.version)
      return it->second;
    return std::nullopt;
  }

  // A segment as the API shows it with its count and summary on the data served now.
  json segment_with_facts(const Segment& s, const Data& d, bool with_ir) {
    json j = segment_json(s, with_ir);
    CachedCount f = facts_of(s, d);
    j["summary"] = f.summary;
    j["clients"] = f.count ? json(*f.count) : json(nullptr);
    if (auto n = membership_count(s); n) j["clients"] = *n;
    return j;
  }

  // What a create or an edit carries: a title and a rule, compiled against the data now.
  struct SegmentInput {
    RuleRequest request;
    std::shared_ptr<const Data> data;
    api::Rule rule;
    SegmentContent content;
  };
  std::optional<SegmentInput> segment_input(const json& body, httplib::Response& res) {
    if (body.contains("title") && !body["title"].is_string()) {
      reply_error(res, 400, "bad_request", "`title` must be a string");
      return std::nullopt;
    }
    auto r = rule_request(body, res);
    if (!r) return std::nullopt;
    auto d = current();
    auto rule = compile(*r, *d, res);
    if (!rule) return std::nullopt;
    SegmentContent c;
    c.title = body.value("title", std::string());
    c.rule_text = rule->canonical_text();
    c.ir_json = rule->ir_json();
    c.hash = rule->hash();
    c.origin = r->format == api::RuleFormat::Text ? Origin::Text
               : r->format == api::RuleFormat::Form ? Origin::Form
                                                    : Origin::Import;
    c.source = r->source;
    if (c.title.empty() && r->format == api::RuleFormat::Form) c.title = rule->title();
    return SegmentInput{std::move(*r), std::move(d), std::move(*rule), std::move(c)};
  }

  void routes();
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

std::unique_ptr<Server> Server::create(const ServerOptions& o, std::string& error) {
  if (!is_loopback(o.host) && o.token.empty()) {
    error = fmt::format("listening on {} (not loopback) needs a token: --token TOKEN or SEG_TOKEN", o.host);
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  impl->options = o;
  if (o.schema_json.empty()) {
    impl->base_schema = api::Schema::crm();
  } else {
    std::vector<api::Diagnostic> d;
    auto s = api::Schema::from_json(o.schema_json, d);
    if (!s) {
      error = d.empty() ? "the schema does not load" : api::to_string(d[0]);
      return nullptr;
    }
    impl->base_schema = *s;
  }
  auto cat = Catalog::open(o.catalog, error);
  if (!cat) return nullptr;
  impl->catalog = std::move(cat);
  if (!impl->load(error)) return nullptr;
  if (!o.membership.empty()) {
    impl->live = std::make_unique<Impl::Live>();
    std::vector<api::Diagnostic> d;
    const uint64_t events_from = api::LiveMembership::newest_generation(o.membership);
    std::vector<api::MemberEvent> events;
    impl->live->m = api::LiveMembership::open(o.membership, d, std::nullopt, &events, events_from);
    if (!impl->live->m) {
      error = d.empty() ? o.membership + ": not a membership directory" : api::to_string(d[0]);
      return nullptr;
    }
    impl->live->window.emplace(o.events_in_memory, events_from, std::move(events), impl->live->m->version());
    // The membership's segments are the catalog's. One the catalog never had came from
    // elsewhere (a rules file), and its id may name another segment here: refused, not
    // dropped or replaced.
    std::set<int64_t> known;
    for (const Segment& s : impl->catalog->list(true)) known.insert(s.id);
    std::string strangers;
    for (const auto& [id, text] : impl->live->m->segments())
      if (!known.count(id)) strangers += (strangers.empty() ? "" : ", ") + std::to_string(id);
    if (!strangers.empty()) {
      error = fmt::format("{}: segments {} are not in the catalog {}: make the membership from the catalog "
                          "(seg refresh --catalog {} --data FILE --state DIR)",
                          o.membership, strangers, o.catalog, o.catalog);
      return nullptr;
    }
    impl->sync_membership();
    impl->taker = std::thread([p = impl.get()] { p->take_compactions(); });
  }
  impl->warmer = std::thread([p = impl.get()] { p->warm_loop(); });
  impl->routes();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

bool Server::reload(std::string& error) { return impl_->load(error); }

void Server::stop() {
  // New requests get 503 while those in flight finish (httplib's own stop() would cut a
  // member stream short); then the listener closes. A request that never logs (a client gone
  // mid-answer) cannot hold the stop past 30 s.
  impl_->draining = true;
  if (impl_->live) {  // long polls answer now
    std::lock_guard lock(impl_->live->mu);
    impl_->live->changed.notify_all();
  }
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (impl_->in_flight > 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  impl_->http.stop();
}

bool Server::run(const std::function<void(const std::string&)>& on_listening, std::string& error) {
  int port = impl_->options.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(impl_->options.host);
    if (port < 0) {
      error = fmt::format("cannot listen on {}", impl_->options.host);
      return false;
    }
  } else if (!impl_->http.bind_to_port(impl_->options.host, port)) {
    error = fmt::format("cannot listen on {}:{} (in use, or not an address of this machine)", impl_->options.host, port);
    return false;
  }
  on_listening(fmt::format("http://{}:{}", impl_->options.host, port));
  return impl_->http.listen_after_bind();
}

void Server::Impl::routes() {
  const api::Limits lim = api::limits();
  // A body holds one JSON document of the CLI's size limit, and a little envelope.
  http.set_payload_max_length(lim.max_json_bytes + 4096);
  // Answers are small and latency is the point (a count per keystroke): without TCP_NODELAY,
  // Nagle's algorithm and the client's delayed ACK added ~80 ms to every answer (measured).
  http.set_tcp_nodelay(true);
  // A member stream waits on its reader: a mailing sender may work between reads for longer
  // than httplib's 5 s default, which cut streams off. A reader gone for this long is gone.
  http.set_write_timeout(300, 0);
  // httplib gives a keep-alive connection one pool thread until it closes: with the default
  // pool (8 threads here) a ninth browser tab or client waited for another's connection to
  // end. Threads are cheap next to that wait; the evaluation itself is short.
  http.new_task_queue = [] { return new httplib::ThreadPool(64); };

  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    // Every request is counted from here to its log line (written after the whole answer,
    // streams included), so stop() can wait for the ones in flight.
    ++in_flight;
    // httplib handles a request, its answer and its log line on one thread: the start time
    // waits here for the logger; the id goes back to the client too.
    request_started = std::chrono::steady_clock::now();
    stream_cut = false;
    res.set_header("X-Request-Id", std::to_string(++request_count));
    // No compression on the fly. Debian's httplib compresses every text and JSON answer with
    // Brotli at its slowest quality for any client that accepts `br` (every browser): 600 ms
    // for the page's script and 10-20 ms per API answer, against 4 ms and under 1 ms plain on
    // loopback (measured; docs/decisions.md 32). It decides from the request's
    // Accept-Encoding, which this handler runs before: the header is dropped here. The
    // request object is httplib's own non-const one, handed to us by const reference.
    auto& own = const_cast<httplib::Request&>(req);
    own.headers.erase("Accept-Encoding");
    // httplib applies a Range header to whatever answer a handler writes: a JSON answer cut
    // mid-document, a member stream marked 206 but sent whole (a resumed download would send
    // every member again), and a hundred ranges of the page's script built in memory from a
    // 300-byte header (found by a review). No answer here is a file to resume: ranges go.
    own.ranges.clear();
    // httplib 0.11 applies the body limit (413) only to bodies with a Content-Length: a chunked
    // one was read whole, however large. Bodies here are JSON documents of a known size, so a
    // body with any Transfer-Encoding (`chunked` in any case: httplib reads it so) is refused on
    // its headers, before any of it is read. (httplib keeps the connection: what the client
    // sends after the headers is read as its next request, a bad one, refused within httplib's
    // header limits.)
    if (req.has_header("Transfer-Encoding")) {
      reply_error(res, 411, "length_required", "send the body with a Content-Length, not chunked");
      return httplib::Server::HandlerResponse::Handled;
    }
    // httplib inflates a gzip or Brotli body after checking only its compressed length: 19 KB
    // became a 20 MB document, and 16 MiB could become gigabytes. Bodies are sent plain.
    if (req.has_header("Content-Encoding")) {
      reply_error(res, 415, "unsupported_encoding", "send the body uncompressed, without a Content-Encoding");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (draining) {
      reply_error(res, 503, "shutting_down", "the service is stopping");
      return httplib::Server::HandlerResponse::Handled;
    }
    // The page's own files hold no data and load without the token; the page then asks for it.
    if (options.token.empty() || req.path == "/" || req.path.rfind("/assets/", 0) == 0)
      return httplib::Server::HandlerResponse::Unhandled;
    if (req.get_header_value("Authorization") == "Bearer " + options.token) return httplib::Server::HandlerResponse::Unhandled;
    reply_error(res, 401, "unauthorized", "this service needs `Authorization: Bearer TOKEN`");
    return httplib::Server::HandlerResponse::Handled;
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    reply_error(res, 500, "internal", what);
  });
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    // Only for answers no handler wrote (404 of an unknown path, 413 of a huge body).
    if (!res.body.empty()) return;
    // httplib parses a form-encoded body (curl -d's default type) itself, and refuses one over
    // 8 KiB with a 413 before any handler sees it, however far under the limit it is.
    if (res.status == 413 && req.get_header_value("Content-Type") == "application/x-www-form-urlencoded")
      reply_error(res, 413, "too_large",
                  "a form-encoded body is limited to 8 KiB; send the JSON as `Content-Type: application/json` "
                  "(curl: -H 'Content-Type: application/json')");
    else if (res.status == 413) reply_error(res, 413, "too_large", "the body is larger than the limit");
    else if (res.status == 404) reply_error(res, 404, "not_found", "no such endpoint");
    else reply_error(res, res.status, "http", fmt::format("HTTP {}", res.status));
  });
  http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    // A request httplib answers without routing it would not have passed the pre-routing
    // handler: no id, no start, and not counted in flight (none is known in 0.11: a body over
    // the limit is routed first; the guard keeps the count right if that changes).
    const bool routed = res.has_header("X-Request-Id");
    if (options.access_log) {
      // One JSON line per request: when it ended (UTC), its id (X-Request-Id), what it was,
      // how it ended and how long it took, member streams included.
      auto now = std::chrono::system_clock::now();
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
      std::time_t secs = static_cast<std::time_t>(ms / 1000);
      std::tm utc{};
      ::gmtime_r(&secs, &utc);
      json j;
      j["time"] = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                              utc.tm_hour, utc.tm_min, utc.tm_sec, ms % 1000);
      j["id"] = routed ? json(std::stoull(res.get_header_value("X-Request-Id"))) : json(nullptr);
      j["method"] = req.method;
      j["path"] = req.path;
      j["status"] = res.status;
      if (stream_cut) j["incomplete"] = true;
      if (routed)
        j["ms"] = std::round(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - request_started).count() *
                             1000) / 1000;
      j["remote"] = req.remote_addr;
      log_line(options.log, json_text(j));
    }
    if (routed) --in_flight;
  });

  // The Segments page (docs/page.md): its files are embedded in seg. `no-cache` with an ETag:
  // a browser asks again on every load and gets a 304 while the binary is the same.
  auto page = [](const httplib::Request& req, httplib::Response& res) {
    auto a = page_asset(req.path);
    if (!a) return reply_error(res, 404, "not_found", "no such file");
    res.set_header("ETag", std::string(a->etag));
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Content-Type-Options", "nosniff");
    // Scripts only from here; CodeMirror writes its styles into <style> elements.
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
    if (req.get_header_value("If-None-Match") == a->etag) {
      res.status = 304;
      return;
    }
    res.set_content(a->body.data(), a->body.size(), std::string(a->content_type));
  };
  http.Get("/", page);
  http.Get("/assets/app.js", page);
  http.Get("/assets/app.css", page);

  http.Get("/api/health", [this](const httplib::Request&, httplib::Response& res) {
    auto d = current();
    reply(res, {{"ok", true},
                {"data_version", d->version},
                {"rows", d->store.rows()},
                {"version", api::version()},
                {"waiting", waiting.load()},
                {"event_replays", live ? live->replays.load() : 0}});
  });

  http.Get("/api/schema", [this](const httplib::Request&, httplib::Response& res) {
    auto d = current();
    auto fields = d->schema.fields();
    json out = json::array();
    for (size_t f = 0; f < fields.size(); ++f) {
      const api::FieldInfo& fi = fields[f];
      json j;
      j["name"] = fi.name;
      j["type"] = api::type_name(fi.type);
      if (fi.type == api::FieldType::Decimal) j["scale"] = fi.scale;
      j["aliases"] = fi.aliases;
      j["nullable"] = fi.nullable;
      j["identifies"] = fi.identifies;
      j["operators"] = fi.operators;
      if (fi.type == api::FieldType::Enum || fi.type == api::FieldType::Set) {
        j["ordered"] = fi.ordered;
        j["open"] = fi.open;
        auto& values = j["values"] = json::array();
        for (const auto& v : d->store.value_counts(f))
          values.push_back({{"key", v.key}, {"label", v.label}, {"clients", v.count}, {"missing", v.missing}});
      } else if (auto r = d->store.range(f)) {
        j["range"] = {r->first, r->second};
      }
      out.push_back(std::move(j));
    }
    json j = {{"ok", true}, {"data_version", d->version}};
    add_clients(j, *d);
    j["fields"] = std::move(out);
    reply(res, j);
  });

  http.Post("/api/check", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req, res);
    if (!body) return;
    auto r = rule_request(*body, res);
    if (!r) return;
    auto d = current();
    api::Rule rule = api::Rule::compile(r->source, d->schema, r->format, "<" + r->member + ">");
    json j;
    j["ok"] = rule.ok();
    j["diagnostics"] = diagnostics_json(rule, *r);
    if (rule.ok()) {
      j["text"] = rule.canonical_text();
      j["summary"] = rule.summary();
      j["hash"] = fmt::format("{:016x}", rule.hash());
      j["ir"] = json::parse(rule.ir_json());
      std::string why;
      auto form = rule.form_json(why);
      if (form) j["form"] = json::parse(*form);
      else j["form_unavailable"] = why;
    }
    // Whether the rule is valid is the answer, so it is 200 either way (docs/decisions.md 30).
    reply(res, j);
  });

  // The rule as SQL for the CRM's database or a warehouse (docs/sql.md): `dialect`
  // (postgres, sqlite, duckdb, clickhouse), `shape` (select, count, where), `inline`, an
  // optional `mapping` object and `now`.
  http.Post("/api/sql", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req, res);
    if (!body) return;
    auto r = rule_request(*body, res);
    if (!r) return;
    api::SqlOptions o;
    // value() throws on a member of another type (a 500): strings are checked first.
    auto text_member = [&](const char* name, const char* fallback) {
      return !body->contains(name) ? std::optional<std::string>(fallback)
             : (*body)[name].is_string() ? std::optional<std::string>((*body)[name].get<std::string>())
                                         : std::nullopt;
    };
    std::string dialect = text_member("dialect", "postgres").value_or("");
    std::string shape = text_member("shape", "select").value_or("");
    auto which = api::sql_dialect(dialect);
    if (!which || (shape != "select" && shape != "count" && shape != "where") ||
        (body->contains("inline") && !(*body)["inline"].is_boolean()) ||
        (body->contains("mapping") && !(*body)["mapping"].is_object())) {
      reply_error(res, 400, "bad_request",
                  "`dialect` is postgres, sqlite, duckdb or clickhouse; `shape` select, count or where; `inline` a "
                  "boolean; `mapping` an object (docs/sql.md)");
      return;
    }
    o.dialect = *which;
    o.shape = shape == "count" ? api::SqlOptions::Shape::Count
              : shape == "where" ? api::SqlOptions::Shape::Where
                                 : api::SqlOptions::Shape::Select;
    o.inline_values = body->value("inline", false);
    if (body->contains("mapping")) o.mapping_json = (*body)["mapping"].dump();
    o.now = r->now;
    auto d = current();
    auto rule = compile(*r, *d, res);
    if (!rule) return;
    std::vector<api::Diagnostic> diags;
    auto st = rule->to_sql(o, diags);
    json dj = json::parse(api::render_json(diags, ""));
    for (auto& x : dj)
      if (x.contains("path") && x["path"].is_string()) x["path"] = "/mapping" + x["path"].get<std::string>();
    if (!st) {
      reply_error(res, 422, "sql_errors", "the mapping or the dialect cannot say this rule", dj);
      return;
    }
    json j = json::parse(st->json());
    j["ok"] = true;
    j["dialect"] = dialect;
    if (!dj.empty()) j["diagnostics"] = dj;
    reply(res, j);
  });

  http.Post("/api/complete", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req, res);
    if (!body) return;
    if (!body->contains("text") || !(*body)["text"].is_string()) {
      reply_error(res, 400, "bad_request", "the body needs `text` (rule text) and optionally `cursor` (a byte offset)");
      return;
    }
    std::string text = (*body)["text"];
    size_t cursor = text.size();
    if (body->contains("cursor")) {
      const json& c = (*body)["cursor"];
      // Within the text, and not inside a UTF-8 character (its continuation bytes are 10xxxxxx).
      if (!c.is_number_unsigned() || c.get<uint64_t>() > text.size() ||
          (c.get<uint64_t>() < text.size() && (static_cast<unsigned char>(text[c.get<size_t>()]) & 0xC0) == 0x80)) {
        reply_error(res, 400, "bad_request", "`cursor` must be a byte offset within `text`, between two characters");
        return;
      }
      cursor = c.get<size_t>();
    }
    auto d = current();
    api::Completion c = api::complete(std::string_view(text).substr(0, cursor), d->schema);
    reply(res, {{"ok", true}, {"start", c.start}, {"word", c.word}, {"matches", c.matches}, {"add_space", c.add_space}});
  });

  // What a rule change would do, before it is saved: {"before": {a rule member}, "after":
  // {a rule member}, "now"?, "sample"?} (docs/service.md).
  http.Post("/api/diff", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req, res);
    if (!body) return;
    auto d = current();
    std::optional<api::Rule> rules[2];
    const char* sides[2] = {"before", "after"};
    for (int k = 0; k < 2; ++k) {
      if (!body->contains(sides[k]) || !(*body)[sides[k]].is_object())
        return reply_error(res, 400, "bad_request",
                           "the body needs `before` and `after`, each an object with one of `rule`, `form`, `ir`, "
                           "`querybuilder`, `jsonlogic`");
      auto r = rule_request((*body)[sides[k]], res);
      if (!r) return;
      api::Rule rule = api::Rule::compile(r->source, d->schema, r->format, "<" + r->member + ">");
      if (!rule.ok()) {
        json diags = diagnostics_json(rule, *r);
        // Paths into the body: `/before/ir/…`, and for rule text (which has line and column
        // too) the member that holds it, `/before/rule`.
        for (auto& x : diags)
          x["path"] = std::string("/") + sides[k] +
                      (x.contains("path") && x["path"].is_string() ? x["path"].get<std::string>() : "/" + r->member);
        return reply_error(res, 422, "rule_errors", fmt::format("the `{}` rule has errors", sides[k]), diags);
      }
      rules[k] = std::move(rule);
    }
    api::RunOptions o;
    if (!read_now(*body, res, o.now)) return;
    size_t sample = 10;
    if (body->contains("sample")) {
      const json& v = (*body)["sample"];
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 1000)
        return reply_error(res, 400, "bad_request", "`sample` is how many ids to show of each side, 0 to 1000");
      sample = v.get<size_t>();
    }
    reply_diff(res, *rules[0], *rules[1], *d, o.now, sample);
  });

  // What an earlier edit of a saved segment did, over the clients as they are now: the rules of
  // versions `from` and `to` (default: the current one and the one before it), answered as
  // POST /api/diff answers, with the two versions. `sample` and `now` as there.
  http.Get(R"(/api/segments/(\d+)/diff)", [this](const httplib::Request& req, httplib::Response& res) {
    auto sid = segment_id(req, res);
    if (!sid) return;
    const int64_t id = *sid;
    auto current_version = catalog->get(id);
    if (!current_version) return reply_error(res, 404, "not_found", fmt::format("no segment {}", id));
    const uint64_t newest = static_cast<uint64_t>(current_version->version);
    uint64_t to = newest, sample = 10;
    if (!whole_param(req, res, "to", newest, to) || !whole_param(req, res, "sample", 1000, sample)) return;
    uint64_t from = to - 1;  // the version before `to` unless named
    if (!whole_param(req, res, "from", newest, from)) return;
    if (from < 1 || to < 1)
      return reply_error(res, 400, "bad_request",
                         fmt::format("`from` and `to` are versions of segment {} (1 to {}); version 1 has none before it",
                                     id, current_version->version));
    std::optional<int64_t> now;
    if (req.has_param("now") && !(now = api::parse_timestamp(req.get_param_value("now"))))
      return reply_error(res, 400, "bad_request", "`now` must be a date or timestamp (2026-10-01T10:00:00Z)");
    auto d = current();
    std::optional<api::Rule> rules[2];
    const uint64_t versions[2] = {from, to};
    for (int k = 0; k < 2; ++k) {
      auto v = catalog->get_version(id, static_cast<int64_t>(versions[k]));
      if (!v) return reply_error(res, 404, "not_found", fmt::format("segment {} has no version {}", id, versions[k]));
      rules[k] = api::Rule::compile(v->content.rule_text, d->schema, api::RuleFormat::Text, fmt::format("<version {}>", versions[k]));
      if (!rules[k]->ok())
        return reply_error(res, 422, "rule_errors",
                           fmt::format("version {}'s rule does not compile against the data as it is now", versions[k]),
                           json::parse(api::render_json(rules[k]->diagnostics(), v->content.rule_text)));
    }
    reply_diff(res, *rules[0], *rules[1], *d, now, sample, {{"from", from}, {"to", to}});
  });

  http.Post("/api/count", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req, res);
    if (!body) return;
    auto r = rule_request(*body, res);
    if (!r) return;
    auto d = current();
    // `"check": true`: a rule with errors is answered as /api/check answers it (200, ok false,
    // the diagnostics) rather than 422, so a live editor checks and counts in one request.
    if (body->contains("check") && !(*body)["check"].is_boolean())
      return reply_error(res, 400, "bad_request", "`check` is true or false");
    api::Rule rule = api::Rule::compile(r->source, d->schema, r->format, "<" + r->member + ">");
    if (!rule.ok()) {
      if (body->value("check", false)) return reply(res, {{"ok", false}, {"diagnostics", diagnostics_json(rule, *r)}});
      return reply_error(res, 422, "rule_errors", "the rule has errors", diagnostics_json(rule, *r));
    }
    int64_t preview = 0;
    if (body->contains("preview")) {
      const json& p = (*body)["preview"];
      if (!p.is_number_integer() || p.get<int64_t>() < 0 || p.get<int64_t>() > 100) {
        reply_error(res, 400, "bad_request", "`preview` is how many members to show, 0 to 100");
        return;
      }
      preview = p.get<int64_t>();
    }
    api::RunOptions o;
    o.now = r->now;
    api::Query q = query(rule, *d);
    // With a membership, the clients are the membership's as changes left them, so the count,
    // the preview and each clause's figures are of those (the table's counts are too); without
    // one, the data file's plan as it ran.
    std::optional<api::Explain> e;
    std::optional<api::LiveMembership::Selection> sel;
    std::optional<api::ExplainNode> clauses;
    uint64_t membership_version = 0;
    if (live) {
      std::vector<api::Diagnostic> diags;
      const api::LiveMembership::View view = membership_view();
      // At the membership's instant unless the request names one: the table's counts are at it.
      const int64_t at = r->now ? *r->now : view.now();
      sel = view.select(rule.canonical_text(), at, static_cast<uint64_t>(preview), diags);
      if (sel) clauses = view.clauses(rule.canonical_text(), at, diags);
      membership_version = view.version();
      if (!sel || !clauses)
        return reply_error(res, 422, "rule_errors",
                           "the rule does not compile against the membership's data: " +
                               (diags.empty() ? std::string("unknown error") : api::to_string(diags[0])));
    } else {
      e = q.explain(o);
    }
    const api::Result& counted = sel ? sel->result : e->result;
    json j;
    j["ok"] = true;
    j["count"] = counted.count;
    j["rows_total"] = counted.rows_total;
    j["share"] = counted.rows_total ? static_cast<double>(counted.count) / static_cast<double>(counted.rows_total) : 0.0;
    j["elapsed_ms"] = counted.elapsed_ms;
    j["data_version"] = d->version;
    if (sel) {
      j["membership_version"] = membership_version;
      j["instance"] = instance;
    }
    j["text"] = rule.canonical_text();
    j["summary"] = rule.summary();
    // Whether the creation form can show this rule: the page's Form/Rule switch asks on
    // every edit, so it comes with the count rather than costing a second request.
    std::string why;
    if (auto form = rule.form_json(why)) j["form"] = json::parse(*form);
    else j["form_unavailable"] = why;
    j["plan"] = explain_json(clauses ? *clauses : e->root);
    j["path"] = clauses ? "membership: each clause over its clients" : e->path;
    if (sel && preview > 0) {
      j["preview"] = {{"columns", sel->first.columns}, {"rows", sel->first.text}};
    } else if (preview > 0) {
      // The first members as seg prints them: a second run, as explain() keeps no rows, which
      // collects only the page's members (not a member cursor: with ids out of row order it
      // would sort every member).
      api::Page page = q.rows(0, static_cast<uint64_t>(preview), o);
      j["preview"] = {{"columns", page.columns}, {"rows", page.text}};
    }
    j["diagnostics"] = diagnostics_json(rule, *r);
    reply(res, j);
  });

  // ---- the catalog ----

  http.Get("/api/segments", [this](const httplib::Request& req, httplib::Response& res) {
    auto d = current();
    bool archived = req.get_param_value("archived") == "true";
    std::string counts_param = req.has_param("counts") ? req.get_param_value("counts") : "all";
    if (counts_param != "all" && counts_param != "cached")
      return reply_error(res, 400, "bad_request", "counts is `all` (computed now when needed) or `cached`");
    bool only_cached = counts_param == "cached" && warmed_version != d->version;
    // Written directly (the members of segment_json and segment_with_facts, in their order)
    // into the answer's own body, reserved at the last listing's size: 10,000 segments took
    // 150 ms through nlohmann objects, and the copies and page faults of a growing buffer were
    // most of what remained (docs/performance.md).
    std::string out;
    out.reserve(last_listing_bytes.load() + 4096);
    size_t pending = 0, n = 0;
    uint64_t membership_version = 0, clients = 0;
    std::string problem;
    const auto members = membership_counts(membership_version, clients, problem);
    fmt::format_to(std::back_inserter(out), "{{\"ok\":true,\"data_version\":{},", d->version);
    if (live)
      fmt::format_to(std::back_inserter(out), "\"membership_version\":{},\"clients\":{},\"instance\":\"{}\",",
                     membership_version, clients, instance);
    if (!problem.empty()) {
      // The page says so above the table: the counts in it are behind the catalog.
      out.append("\"membership_problem\":");
      append_json_string(out, problem);
      out.append(",");
    }
    out.append("\"segments\":[");
    for (const Segment& s : *catalog->list_light(archived)) {
      std::optional<CachedCount> f = only_cached ? cached_facts(s, *d) : std::optional(facts_of(s, *d));
      fmt::format_to(std::back_inserter(out), "{}{{\"id\":{},\"version\":{},\"title\":", n++ ? "," : "", s.id, s.version);
      append_json_string(out, s.content.title);
      out.append(",\"rule\":");
      append_json_string(out, s.content.rule_text);
      fmt::format_to(std::back_inserter(out), ",\"hash\":\"{:016x}\",\"origin\":\"{}\",\"archived\":{},\"created_at\":{},\"updated_at\":{},\"summary\":",
                     s.content.hash, origin_name(s.content.origin), s.archived, s.created_at, s.updated_at);
      if (f) append_json_string(out, f->summary);
      else out.append("null");
      // With a membership, its count: the data as changed since the snapshot was served.
      auto m = members.find(s.id);
      if (m != members.end() && !s.archived) fmt::format_to(std::back_inserter(out), ",\"clients\":{}}}", m->second);
      else if (f && f->count) fmt::format_to(std::back_inserter(out), ",\"clients\":{}}}", *f->count);
      else out.append(f ? ",\"clients\":null}" : ",\"clients\":null,\"pending\":true}");
      pending += !f;
    }
    fmt::format_to(std::back_inserter(out), "],\"pending\":{}}}", pending);
    last_listing_bytes = out.size();
    res.set_header("Content-Type", "application/json");
    res.body = std::move(out);
  });

  http.Post("/api/segments", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req, res);
    if (!body) return;
    auto in = segment_input(*body, res);
    if (!in) return;
    SegmentContent& c = in->content;
    if (c.title.empty()) {
      reply_error(res, 400, "bad_request", "a segment needs a `title`");
      return;
    }
    Segment s = catalog->create(c);
    auto unsynced = sync_membership(s.id);
    json j = segment_json(s);
    uint64_t n = query(in->rule, *in->data).count().count;
    remember(s, *in->data, n, in->rule.summary());
    j["summary"] = in->rule.summary();
    j["clients"] = n;
    res.set_header("Location", fmt::format("/api/segments/{}", s.id));
    json out = {{"ok", true}, {"segment", j}, {"diagnostics", diagnostics_json(in->rule, in->request)}};
    say_unsynced(out, unsynced);
    reply(res, out, 201);
  });

  http.Get(R"(/api/segments/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto sid = segment_id(req, res);
    if (!sid) return;
    int64_t id = *sid;
    auto s = catalog->get(id);
    if (!s) return reply_error(res, 404, "not_found", fmt::format("no segment {}", id));
    auto d = current();
    reply(res, {{"ok", true}, {"data_version", d->version}, {"segment", segment_with_facts(*s, *d, true)}});
  });

  // An edit names the version it edits: {"version": 3, "title": ..., one rule member}.
  http.Put(R"(/api/segments/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto sid = segment_id(req, res);
    if (!sid) return;
    int64_t id = *sid;
    auto body = parse_body(req, res);
    if (!body) return;
    if (!body->contains("version") || !is_int64((*body)["version"])) {
      reply_error(res, 400, "bad_request", "an edit names the `version` it edits (optimistic concurrency)");
      return;
    }
    auto in = segment_input(*body, res);
    if (!in) return;
    SegmentContent& c = in->content;
    if (c.title.empty()) {
      auto cur = catalog->get(id);
      if (cur) c.title = cur->content.title;  // an edit of the rule alone keeps the title
    }
    Segment out;
    switch (catalog->update(id, (*body)["version"].get<int64_t>(), c, &out)) {
      case WriteStatus::Ok: {
        auto unsynced = sync_membership(id);
        json answer = {{"ok", true}, {"segment", segment_with_facts(out, *in->data, true)}};
        say_unsynced(answer, unsynced);
        return reply(res, answer);
      }
      case WriteStatus::NotFound: return reply_error(res, 404, "not_found", fmt::format("no segment {}", id));
      case WriteStatus::Stale:
        return reply_error(res, 409, "stale_version",
                           fmt::format("segment {} has changed since version {}: reload it and edit again", id,
                                       (*body)["version"].get<int64_t>()));
    }
  });

  // Archiving: DELETE /api/segments/{id}?version=N (the segment and its versions stay readable).
  http.Delete(R"(/api/segments/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto sid = segment_id(req, res);
    if (!sid) return;
    int64_t id = *sid;
    std::string v = req.get_param_value("version");
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 18) {
      reply_error(res, 400, "bad_request", "archiving names the `version` it archives: ?version=N");
      return;
    }
    Segment out;
    switch (catalog->set_archived(id, std::stoll(v), true, &out)) {
      case WriteStatus::Ok: {
        auto unsynced = sync_membership(id);
        json answer = {{"ok", true}, {"segment", segment_json(out)}};
        say_unsynced(answer, unsynced);
        return reply(res, answer);
      }
      case WriteStatus::NotFound: return reply_error(res, 404, "not_found", fmt::format("no segment {}", id));
      case WriteStatus::Stale:
        return reply_error(res, 409, "stale_version", fmt::format("segment {} has changed since version {}", id, v));
    }
  });

  http.Get(R"(/api/segments/(\d+)/versions)", [this](const httplib::Request& req, httplib::Response& res) {
    auto sid = segment_id(req, res);
    if (!sid) return;
    int64_t id = *sid;
    auto vs = catalog->versions(id);
    if (vs.empty()) return reply_error(res, 404, "not_found", fmt::format("no segment {}", id));
    json list = json::array();
    for (const auto& s : vs) list.push_back(segment_json(s));
    reply(res, {{"ok", true}, {"versions", list}});
  });

  // Members, streamed: CSV (a header, then one member a line, the id first) or JSON Lines,
  // with the columns asked for (`columns=stage,tags`; the id alone by default). The data
  // version the set was computed on is in X-Seg-Data-Version, so a mailing sends to one
  // consistent set; `cursor=ID` resumes after the member with that id, and `data_version=N`
  // refuses (409) when the data has changed since the stream that gave the cursor.
  http.Get(R"(/api/segments/(\d+)/members)", [this](const httplib::Request& req, httplib::Response& res) {
    auto sid = segment_id(req, res);
    if (!sid) return;
    int64_t id = *sid;
    std::string format = req.has_param("format") ? req.get_param_value("format") : "csv";
    if (format != "csv" && format != "jsonl") return reply_error(res, 400, "bad_request", "format is csv or jsonl");
    std::optional<int64_t> after;
    if (req.has_param("cursor")) {
      std::string c = req.get_param_value("cursor");
      int64_t v = 0;
      auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), v);
      if (ec != std::errc() || end != c.data() + c.size())
        return reply_error(res, 400, "bad_request", "cursor is the id of the last member received");
      after = v;
    }
    uint64_t asked_version = 0;  // a malformed one is a bad request, not a change of data
    if (!whole_param(req, res, "data_version", UINT64_MAX, asked_version)) return;
    auto s = catalog->get(id);
    if (!s) return reply_error(res, 404, "not_found", fmt::format("no segment {}", id));
    auto slot = wait_slot();  // held until the stream is done or cut
    if (!slot) return busy(res);
    auto d = current();
    // With a membership the members are the membership's, as the table counts them: the
    // segment's set at the membership's version now (this stream's data version), each
    // batch's cells read as it is sent. A segment the membership does not hold (its rule does
    // not compile against the membership's data) is the data file's, as in the table.
    std::optional<std::vector<int64_t>> live_ids;
    uint64_t version = d->version;
    api::Schema schema = d->schema;
    if (live) {
      std::lock_guard lock(live->mu);
      try {
        live_ids = live->m->ids(id);
        version = live->m->version();
        schema = live->m->schema();
      } catch (const std::out_of_range&) {
      }
    }
    if (req.has_param("data_version") && asked_version != version)
      return reply_error(res, 409, "data_changed",
                         fmt::format("the data is now version {}: start the members again without a cursor", version));
    // The columns: the id field first, then those asked for, by name or alias.
    auto fields = schema.fields();
    size_t id_field = 0;
    for (size_t f = 0; f < fields.size(); ++f)
      if (fields[f].identifies) id_field = f;
    std::vector<size_t> cols = {id_field};
    if (req.has_param("columns")) {
      std::string list = req.get_param_value("columns");
      for (size_t at = 0; at <= list.size();) {
        size_t comma = std::min(list.find(',', at), list.size());
        std::string name = list.substr(at, comma - at);
        at = comma + 1;
        if (name.empty()) continue;
        auto f = schema.find(name);
        if (!f) {
          auto near = schema.suggest(name);
          return reply_error(res, 400, "bad_request",
                             fmt::format("no field `{}`{}", name, near.empty() ? "" : fmt::format("; did you mean `{}`?", near[0])));
        }
        if (std::find(cols.begin(), cols.end(), *f) == cols.end()) cols.push_back(*f);
      }
    }
    // Members come from a cursor that evaluates a batch of blocks at a time, so memory stays
    // at one batch however many members there are (when the data's ids are in row order;
    // MemberCursor in include/seg/seg.hpp); a membership's from its list of ids.
    struct Stream {
      std::shared_ptr<WaitSlot> slot;
      std::shared_ptr<const Data> data;  // the store stays while it streams, reloads or not
      std::optional<api::MemberCursor> cursor;
      Live* live = nullptr;       // with a membership: its ids from `next` on
      std::vector<int64_t> ids;
      size_t next = 0;
      std::vector<std::string> names;
      std::vector<size_t> cols;  // schema positions: the page has these columns, in this order
      bool csv = true, header = true;
    };
    auto st = std::make_shared<Stream>();
    st->slot = slot;
    st->data = d;
    for (size_t c : cols) st->names.push_back(fields[c].name);
    st->cols = cols;
    st->csv = st->header = format == "csv";
    uint64_t total = 0;
    if (live_ids) {
      st->live = live.get();
      st->ids = std::move(*live_ids);
      if (after) st->next = static_cast<size_t>(std::upper_bound(st->ids.begin(), st->ids.end(), *after) - st->ids.begin());
      total = st->ids.size() - st->next;
    } else {
      api::Rule rule = api::Rule::compile(s->content.rule_text, d->schema);
      if (!rule.ok())
        return reply_error(res, 409, "does_not_compile", "the segment's rule does not compile against the data served now",
                           json::parse(api::render_json(rule.diagnostics(), s->content.rule_text)));
      api::Query q = query(rule, *d);
      // One `now` for the count in the header and every batch of the stream.
      api::RunOptions o;
      o.now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      // How many follow: with a cursor, the members above it (the rule and `id > cursor`).
      total = q.count(o).count;
      if (after) {
        api::Rule rest =
            api::Rule::compile(fmt::format("({}) and {} > {}", s->content.rule_text, fields[id_field].name, *after), d->schema);
        if (rest.ok()) {
          total = query(rest, *d).count(o).count;
        } else {
          // The rule is at a limit the wrapper crosses (nesting, size): count what the cursor
          // will stream, ids only, a pass of its own.
          api::MemberCursor counter = q.members(o, after);
          total = 0;
          for (auto ids = counter.next_ids(65536); !ids.empty(); ids = counter.next_ids(65536)) total += ids.size();
        }
      }
      st->cursor.emplace(q.members(o, after));
    }
    res.set_header("X-Seg-Data-Version", std::to_string(version));
    res.set_header("X-Seg-Members", std::to_string(total));
    // The next batch of ids, or of rows with their columns: from the cursor, or from the
    // membership's list, its cells as they are now.
    auto next_ids = [st](size_t n) {
      if (st->cursor) return st->cursor->next_ids(n);
      size_t to = std::min(st->ids.size(), st->next + n);
      std::vector<int64_t> out(st->ids.begin() + static_cast<std::ptrdiff_t>(st->next),
                               st->ids.begin() + static_cast<std::ptrdiff_t>(to));
      st->next = to;
      return out;
    };
    auto next_rows = [st, next_ids](size_t n) {
      if (st->cursor) return st->cursor->next_rows(n, st->cols);
      std::vector<int64_t> ids = next_ids(n);
      if (ids.empty()) return api::Page{};
      std::lock_guard lock(st->live->mu);
      return st->live->m->rows(ids, st->cols);
    };
    auto fill = [st, next_ids, next_rows](httplib::DataSink& sink) -> bool {
      std::string chunk;
      if (st->header) {
        chunk = fmt::format("{}\n", fmt::join(st->names, ","));
        st->header = false;
      }
      bool more = false;
      if (st->names.size() == 1) {
        // The id column alone: ids straight from the cursor, no pages of rows.
        std::vector<int64_t> ids = next_ids(65536);
        more = !ids.empty();
        chunk.reserve(chunk.size() + ids.size() * (st->csv ? 10 : 24));
        for (int64_t id : ids) {
          if (st->csv) fmt::format_to(std::back_inserter(chunk), "{}\n", id);
          else fmt::format_to(std::back_inserter(chunk), "{{\"{}\":{}}}\n", st->names[0], id);
        }
      } else {
        api::Page page = next_rows(16384);  // only the columns asked for
        more = !page.rows.empty();
        for (size_t r = 0; r < page.rows.size(); ++r) {
          for (size_t k = 0; k < st->cols.size(); ++k) {
            if (st->csv)
              fmt::format_to(std::back_inserter(chunk), "{}{}", k ? "," : "", api::csv_field(page.text[r][k]));
            else
              fmt::format_to(std::back_inserter(chunk), "{}\"{}\":{}", k ? "," : "{", st->names[k],
                             api::value_json(page.rows[r][k]));
          }
          chunk += st->csv ? "\n" : "}\n";
        }
      }
      if (!chunk.empty() && !sink.write(chunk.data(), chunk.size())) {
        stream_cut = true;
        return false;
      }
      if (!more) sink.done();
      return true;
    };
    // A provider runs outside httplib's handler try, where an exception would end the process:
    // one cuts this stream instead (the reader sees a chunked answer without its last chunk).
    auto provide = [fill](size_t, httplib::DataSink& sink) {
      try {
        return fill(sink);
      } catch (const std::exception& e) {
        log_line(stderr, fmt::format("seg serve: a member stream was cut: {}", e.what()));
        stream_cut = true;
        return false;
      }
    };
    res.set_chunked_content_provider(st->csv ? "text/csv" : "application/x-ndjson", provide);
  });

  // Membership kept current (docs/membership.md): changes in, events out.
  // An answer with events: {"ok": true, "version", "next"?, "events": [...]}, the events written
  // as text from a copy taken under the membership's lock, after it is released. Built as
  // nlohmann objects under the lock (about 300 bytes an event), a version of millions of
  // events (a rule edited on 10M clients) held every change, count and long poll for seconds
  // and each answer's objects took GBs (found by a review); as text it is about 60 bytes an
  // event, and the lock is held for the copy only.
  auto reply_events = [](httplib::Response& res, uint64_t version, std::optional<EventCursor> next,
                         std::span<const api::MemberEvent> evs) {
    std::string out;
    out.reserve(64 + evs.size() * 64);
    fmt::format_to(std::back_inserter(out), R"({{"ok":true,"version":{},)", version);
    if (next) fmt::format_to(std::back_inserter(out), R"("next":{},)", next->version);
    if (next && next->skip) fmt::format_to(std::back_inserter(out), R"("skip":{},)", next->skip);
    out += R"("events":[)";
    for (size_t i = 0; i < evs.size(); ++i)
      fmt::format_to(std::back_inserter(out), R"({}{{"segment":{},"client":{},"event":"{}","version":{}}})", i ? "," : "",
                     evs[i].segment, evs[i].client, evs[i].entered ? "entered" : "exited", evs[i].version);
    out += "]}";
    res.status = 200;
    res.set_content(std::move(out), "application/json");
  };
  auto no_membership = [](httplib::Response& res) {
    reply_error(res, 404, "no_membership",
                "this service keeps no membership: start it with --membership DIR (made by `seg refresh --state DIR`)");
  };
  // ?since=V&wait=S waits up to S seconds for a version after V (the Segments page follows the
  // counts this way). A V this membership has not reached answers at once: the asker followed
  // another one (the service restarted onto another directory), and must start over.
  http.Get("/api/membership", [this, no_membership](const httplib::Request& req, httplib::Response& res) {
    if (!live) return no_membership(res);
    uint64_t since = 0, wait = 0;
    if (!whole_param(req, res, "since", UINT64_MAX, since) || !whole_param(req, res, "wait", kMaxWaitSeconds, wait)) return;
    std::unique_lock lock(live->mu);
    auto moved = [&] { return draining || live->m->version() != since; };
    if (req.has_param("since") && wait > 0 && !moved()) {
      auto slot = wait_slot();
      if (!slot) return busy(res);
      live->changed.wait_for(lock, std::chrono::seconds(wait), moved);
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
  });
  http.Post("/api/changes", [this, no_membership, reply_events](const httplib::Request& req, httplib::Response& res) {
    if (!live) return no_membership(res);
    auto body = parse_body(req, res);
    if (!body) return;
    api::ClientBatch batch;
    if (body->contains("rows")) {
      if (!(*body)["rows"].is_string())
        return reply_error(res, 400, "bad_request", "`rows` is the clients' rows as text: CSV with a header, or JSON Lines");
      batch.rows = (*body)["rows"].get<std::string>();
    }
    if (body->contains("deletes")) {
      const json& d = (*body)["deletes"];
      if (!d.is_array() || !std::all_of(d.begin(), d.end(), [](const json& x) { return is_int64(x); }))
        return reply_error(res, 400, "bad_request", "`deletes` is a list of client ids");
      batch.deletes = d.get<std::vector<int64_t>>();
    }
    std::optional<int64_t> now;
    if (!read_now(*body, res, now)) return;
    std::unique_lock lock(live->mu);
    if (!live->broken.empty())
      return reply_error(res, 503, "membership_broken", broken_message(), nullptr,
                         "restart seg serve, then send this change again");
    if (now && *now < live->m->now())
      return reply_error(res, 400, "bad_request",
                         fmt::format("`now` is before the membership's clock ({}): time does not go back", live->m->now()));
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
      try {
        made = live->m->advance(*now);
        stepped = true;
        live->window->add(made, live->m->version());
      } catch (const std::runtime_error& e) {
        return reply_error(res, 503, "io", e.what());
      } catch (const std::exception& e) {
        return failed_part_way(e);
      }
    }
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
        json dj = json::array();
        for (const auto& d : diags)
          dj.push_back({{"code", d.code}, {"message", d.message}, {"line", d.line}, {"column", d.column},
                        {"field", d.field}, {"suggestion", d.suggestion}});
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
    }
    live->changed.notify_all();
    const uint64_t version = live->m->version();
    lock.unlock();
    reply_events(res, version, std::nullopt, made);
  });
  // ?since=V&skip=K: the events after the cursor a page gave (`next`, `skip`); &limit=N: at
  // most N a page (10,000); &wait=S: a long poll.
  http.Get("/api/events", [this, no_membership, reply_events](const httplib::Request& req, httplib::Response& res) {
    if (!live) return no_membership(res);
    EventCursor at;
    uint64_t wait = 0, limit = kEventsPerAnswer;
    if (!whole_param(req, res, "since", UINT64_MAX, at.version) || !whole_param(req, res, "skip", UINT64_MAX, at.skip) ||
        !whole_param(req, res, "limit", kEventsPerAnswer, limit) || !whole_param(req, res, "wait", kMaxWaitSeconds, wait))
      return;
    if (limit == 0) return reply_error(res, 400, "bad_request", fmt::format("`limit` is 1 to {}", kEventsPerAnswer));
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
      live->changed.wait_for(lock, std::chrono::seconds(wait), moved);
    }
    const uint64_t version = live->window->upto();
    auto bad_skip = [&] {
      reply_error(res, 400, "bad_request",
                  fmt::format("skip={} is not inside the events of the first version after {}: not a cursor this "
                              "service gave",
                              at.skip, since),
                  nullptr, "ask with the `next` and `skip` of the last page");
    };
    // One page of `evs`, which hold every event of the versions in (since, upto]: copied out,
    // so the answer is written after any lock is released.
    auto page = [&](std::span<const api::MemberEvent> evs, uint64_t upto, std::vector<api::MemberEvent>& out) {
      auto p = page_of_events(evs, at, limit, upto);
      if (p) out.assign(evs.begin() + static_cast<std::ptrdiff_t>(p->from), evs.begin() + static_cast<std::ptrdiff_t>(p->to));
      return p;
    };
    std::vector<api::MemberEvent> answer;
    if (since >= live->window->from()) {
      auto p = page(live->window->events(), version, answer);
      lock.unlock();
      if (!p) return bad_skip();
      return reply_events(res, version, p->next, answer);
    }
    // From before the events in memory: the directory's generations hold them (a replay from
    // the one that has `since`: slower, one at a time). A replay's first --events-in-memory
    // events are kept for the pages after it, so a sender catching up reads a replay per
    // that many events, not per page.
    const uint64_t kept_from = live->window->from();
    lock.unlock();
    // A replay can take seconds and they run one at a time: each waiting one holds a thread,
    // so it takes one of the waiting slots, as long polls do (decision 70), or is 503 busy.
    auto slot = wait_slot();
    if (!slot) return busy(res);
    std::vector<api::Diagnostic> d;
    std::shared_ptr<const Replayed> older = replay(since, kept_from, d);
    if (!older) {
      // Gone only when the generations that held it were removed (E811); anything else (a
      // damaged log, a read that failed) is the service's fault, and a sender must not take
      // it for "start over".
      if (d.empty() || d[0].code != "E811")
        return reply_error(res, 500, "history_unreadable",
                           fmt::format("the events after version {} cannot be read: {}", since,
                                       d.empty() ? std::string("unknown error") : api::to_string(d[0])),
                           nullptr, "the membership's older generations need repair (docs/membership.md); newer cursors still work");
      return reply_error(res, 410, "history_gone",
                         fmt::format("the events after version {} cannot be read: {} (versions after {} can)", since,
                                     api::to_string(d[0]), kept_from));
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
      p = page(older->events, older->upto, answer);
      if (!p) return bad_skip();
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
        if (!q) return bad_skip();
        if (q->next.skip == 0 || answer.empty()) {
          answer.insert(answer.end(), live->window->events().begin() + static_cast<std::ptrdiff_t>(q->from),
                        live->window->events().begin() + static_cast<std::ptrdiff_t>(q->to));
          p->next = q->next;
        }
      }
    }
    reply_events(res, answered, p->next, answer);
  });

  http.Post("/api/data/reload", [this](const httplib::Request&, httplib::Response& res) {
    std::string error;
    if (!load(error)) {
      reply_error(res, 500, "reload_failed", error + " (still serving the data loaded before)");
      return;
    }
    auto d = current();
    reply(res, {{"ok", true}, {"data_version", d->version}, {"rows", d->store.rows()}});
  });
}

}  // namespace seg::service
