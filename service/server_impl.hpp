// The segments service's insides, shared by its files: the data served, the requests' JSON
// helpers (service/requests.cpp) and Server::Impl, whose routes are set up by server.cpp (the
// handlers every request passes, the page), routes_rules.cpp (the data and rules),
// routes_catalog.cpp (saved segments and their members) and routes_membership.cpp (changes
// and events); membership.cpp keeps the membership following the catalog, and
// segment_counts.cpp the saved segments' counts.
#pragma once
#include <httplib.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "seg/seg.hpp"
#include "service/catalog.hpp"
#include "service/event_window.hpp"
#include "service/server.hpp"

namespace seg::service {

using json = nlohmann::ordered_json;

// The data served now. Requests take a reference and keep it to the end, so a reload swaps
// the pointer and the old store lives until its last request finishes.
struct Data {
  api::Store store;
  api::Schema schema;
  uint64_t version = 0;  // 1 for the first load, +1 per reload
};

// ---- reading requests and writing answers (service/requests.cpp) ----

// JSON text of an answer or a log line; a byte that is not UTF-8 becomes U+FFFD.
std::string json_text(const json& j);
// An integer that fits in int64 (nlohmann keeps one above INT64_MAX as unsigned).
bool is_int64(const json& j);
// An error answer: {"ok": false, "error": {"code", "message", "suggestion"?}, "diagnostics"?}.
void reply_error(httplib::Response& res, int status, const std::string& code, const std::string& message,
                 const json& diagnostics = nullptr, const std::string& suggestion = "");
void reply(httplib::Response& res, const json& j, int status = 200);

// The rule a request carries: exactly one of `rule`, `form`, `ir`, `querybuilder`, `jsonlogic`.
struct RuleRequest {
  std::string member;  // which one
  api::RuleFormat format = api::RuleFormat::Text;
  std::string source;  // rule text, or the member's JSON
  std::optional<int64_t> now;
};
// The body's `now` (a date or timestamp string) into `now` when it has one; false with an
// error written to `res` when it is not one.
bool read_now(const json& body, httplib::Response& res, std::optional<int64_t>& now);
// The rule a body carries, or an error already written to `res`.
std::optional<RuleRequest> rule_request(const json& body, httplib::Response& res);
// Diagnostics as JSON, their paths pointing into the request body (`/form/stages/0`).
json diagnostics_json(const api::Rule& rule, const RuleRequest& r);
// Diagnostics' JSON paths moved under `prefix` (where their document is in the request body,
// `/mapping`); those with no path get `prefix + unplaced` when that is given (rule text's,
// which have a line and column instead), else they stay without one.
void prefix_paths(json& diagnostics, const std::string& prefix, const std::optional<std::string>& unplaced = std::nullopt);
// How deep `text`'s arrays and objects nest, stopping past `limit`.
size_t json_nesting(std::string_view text, size_t limit);
// The body as a JSON object, or an error already written to `res` (too deep, not JSON).
std::optional<json> parse_body(const httplib::Request& req, httplib::Response& res);
// The clock as a rule's `now`: seconds since the epoch.
int64_t clock_seconds();
// Whether every member of `body` is one of `known`; otherwise a 400 naming the stranger is
// written. Where a misspelt member would lose data silently (`delete` for `deletes`: a 200
// that applied nothing; found by a review): the writes.
bool only_members(const json& body, std::initializer_list<std::string_view> known, httplib::Response& res);
// A segment as the API shows it; lists leave out the IR.
json segment_json(const Segment& s, bool with_ir = true);
// A string as JSON text (quoted, escaped), appended.
void append_json_string(std::string& out, std::string_view s);
// The segment id of a /api/segments/{id}... path; an id past int64 is no segment (404).
std::optional<int64_t> segment_id(const httplib::Request& req, httplib::Response& res);
// A query parameter that is a whole number up to `max` (absent: `out` stays); a 400 otherwise.
bool whole_param(const httplib::Request& req, httplib::Response& res, const char* name, uint64_t max, uint64_t& out,
                 uint64_t min = 0);
json explain_json(const api::ExplainNode& n);
// The first error of a library call's diagnostics as text (they may carry warnings first, a
// membership diff's since 0.4.1), for a message that quotes why it was refused.
std::string first_error_text(const std::vector<api::Diagnostic>& d);

// ---- the service ----

struct Server::Impl {
  ServerOptions options;
  api::Schema base_schema;
  std::optional<Catalog> catalog;
  bool catalog_made_here = false;  // the catalog file did not exist before this start
  // Removes the catalog file this start made when nothing was saved in it (a start that cannot
  // listen does not leave one behind).
  void forget_unused_catalog();
  std::mutex data_mu;
  std::shared_ptr<const Data> data;
  std::mutex reload_mu;  // one reload at a time
  httplib::Server http;
  // Each route's method and path pattern as registered: a path the API has, asked with a
  // method it does not take, is 405 with the ones it takes (it was 404 "no such endpoint").
  std::vector<std::pair<std::string, std::regex>> routes_known;
  // 405 with the path's Allow when a route takes the path with another method, else 404.
  void reply_not_routed(const httplib::Request& req, httplib::Response& res) const;
  void route(const std::string& method, const std::string& pattern, httplib::Server::Handler handler);
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
    // Where the last replay stopped (under history_mu): the next page of a sender catching up
    // goes on from it, so a pass over a long history is one replay, not one a page. Dropped
    // once it reaches the events in memory (it holds a membership's worth of state).
    std::optional<api::EventReader> reader;
    std::chrono::steady_clock::time_point reader_used;  // a sender that stopped part way: dropped after a minute
    std::atomic<uint64_t> replays{0};
    // Why the last sync of the catalog's segments into the membership failed (a full disk),
    // empty once one succeeds: the saves stand, and take_compactions() syncs again.
    std::string unsynced;
    // Why a change threw after it was logged (no memory part way): the membership refuses
    // every later change until the service starts again and replays its log.
    std::string broken;
    // Archived segments are not in the membership (decision 51), yet stay readable: their
    // counts over its clients, by segment id: (segment version, membership version, count).
    std::mutex archived_mu;
    std::unordered_map<int64_t, std::array<uint64_t, 3>> archived_counts;
  };
  std::unique_ptr<Live> live;
  // A compaction apply() starts runs on a thread of its own; this one takes it over once it
  // is done, so a membership that gets no further change does not hold two generations.
  std::thread taker;
  std::mutex taker_mu;
  std::condition_variable taker_cv;
  bool taker_stop = false;
  // Also syncs the catalog's segments again, every 2 s, while the last sync failed.
  void take_compactions();
  // One round of take_compactions: sync the segments when behind, take a finished compaction.
  void take_compaction_round(std::chrono::steady_clock::time_point& last_sync, uint64_t& failures_told);
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
  std::shared_ptr<WaitSlot> wait_slot();
  // A long poll's wait: up to `seconds` on the membership's changes (`lock` holds live->mu)
  // until `moved` says so, or until the client hangs up (ClientWatch), which frees its slot.
  void wait_for_change(std::unique_lock<std::mutex>& lock, const httplib::Request& req, uint64_t seconds,
                       const std::function<bool()>& moved);
  static void busy(httplib::Response& res);

  // The catalog's segments are the membership's (docs/service.md): saved and not archived,
  // with rules that compile against the membership's data (others are left out, and say so).
  // `only`: one segment after it was saved or archived; otherwise all of them (at start:
  // those saved or archived while the service was down, and after a sync failed). One
  // version when anything differs; its events (a changed rule's) go to the events list.
  // Returns why the membership could not take the change (it could not be logged), which
  // the save's answer says; the next syncs of all segments retry until one succeeds.
  std::optional<std::string> sync_membership(std::optional<int64_t> only = std::nullopt, bool retry = false);
  // The catalog's others_writes() when the last whole sync read it: another program's save
  // since then is synced by the background round.
  std::atomic<int64_t> catalog_synced{-1};
  static bool has_events_after(const Replayed& r, uint64_t since);
  // The events of the versions in (since, kept_from] (those in memory start after
  // kept_from), read from the directory: a kept replay when one holds the cursor's next events
  // or reaches kept_from, else a new one, its first --events-in-memory events kept (whole
  // versions, at least one). Null with `d` when they cannot be read. One at a time.
  std::shared_ptr<const Replayed> replay(uint64_t since, uint64_t kept_from, std::vector<api::Diagnostic>& d);
  // A save's answer when the membership could not take it: the save stands (the catalog is
  // what the membership follows), and says so, so the page can tell counts are behind.
  void say_unsynced(json& answer, const std::optional<std::string>& why);
  // Under live->mu, with live->broken set.
  std::string broken_message() const;
  // One saved segment's count in the membership, when it is in one.
  std::optional<uint64_t> membership_count(const Segment& s);
  // Each saved segment's count in the membership, when there is one (under its lock, once
  // for a whole listing).
  // `problem`: why the counts may be behind the catalog (empty when they are not).
  std::unordered_map<int64_t, uint64_t> membership_counts(uint64_t& version, uint64_t& clients, std::string& problem);
  // The data file's rows, and with a membership the clients it holds as changes left them
  // (and its version): what the page's header counts.
  void add_clients(json& j, const Data& d);
  // The membership's clients as they are now, taken under its lock: a live count or a diff
  // evaluates over them after letting go, so changes do not wait for it.
  api::LiveMembership::View membership_view() const;
  // What the editor's rules are checked and counted against (/api/check, /api/count): the
  // membership's schema when there is one, which knows the tags its batches added (no W204
  // "no client has it yet" beside a count of its clients), else the data file's.
  api::Schema rules_schema(const Data& d) const;
  // Clients' cells from the membership (`live`), read under its lock 1,024 rows a hold, which
  // every change takes: 16,384 rows with `tags` held it for about 250 ms, and a few exports
  // stalled every change (found by a review).
  static api::Page membership_rows(Live& live, const std::vector<int64_t>& ids, const std::vector<size_t>& cols);
  static constexpr size_t kEventsPerAnswer = 10000;  // the most a page of events holds

  ~Impl();
  // Asks the warmer to count every segment on the data served now.
  void warm();
  void warm_loop();
  std::shared_ptr<const Data> current();
  // Opens the data file (again) and swaps it in.
  bool load(std::string& error);

  // Compiles a request's rule against the data served now; writes the 422 when it has errors.
  std::optional<api::Rule> compile(const RuleRequest& r, const Data& d, httplib::Response& res);
  // What changing rule `before` into `after` does (POST /api/diff, GET
  // /api/segments/{id}/diff), with `extra` members first. With a membership, over its clients
  // as changes left them, at its instant unless `now` names one: the same clients as the live
  // count's, so the page's change figures agree with it (docs/service.md).
  void reply_diff(httplib::Response& res, const api::Rule& before, const api::Rule& after, const Data& d,
                  std::optional<int64_t> now, size_t sample, json extra = json::object());
  api::Query query(const api::Rule& rule, const Data& d);

  // A saved segment's member count on the data served now (its canonical text compiled
  // again: dictionary codes may differ between data versions); nullopt when it no longer
  // compiles. Counts are kept per (segment version, data version), so listing thousands of
  // segments reads the catalog and this cache, not the data.
  // The segments table's summary ("Stages: … · Tags: any of …") is kept beside the count: it
  // needs the rule compiled, and labels come from the data's dictionaries.
  // A rule that names `now` moves with the clock: its count is kept for
  // options.clock_counts_seconds from the instant it was made at (`counted_at`), then made
  // again (decision 98).
  struct CachedCount {
    int64_t version = 0;
    uint64_t data_version = 0;
    std::optional<uint64_t> count;
    std::string summary;
    std::optional<int64_t> counted_at;  // rules naming `now`: the instant counted at
  };
  std::mutex counts_mu;
  std::unordered_map<int64_t, CachedCount> counts;

  void remember(const Segment& s, const Data& d, std::optional<uint64_t> n, std::string summary,
                std::optional<int64_t> counted_at = std::nullopt);
  CachedCount facts_of(const Segment& s, const Data& d);
  std::optional<CachedCount> cached_facts(const Segment& s, const Data& d);
  // A segment as the API shows it with its count and summary on the data served now.
  json segment_with_facts(const Segment& s, const Data& d, bool with_ir);

  // What a create or an edit carries: a title and a rule, compiled against the data now.
  struct SegmentInput {
    RuleRequest request;
    std::shared_ptr<const Data> data;
    api::Rule rule;
    SegmentContent content;
  };
  std::optional<SegmentInput> segment_input(const json& body, httplib::Response& res);

  // The routes, by the file that sets them up: each file's route_*() is its table of
  // endpoints, and each endpoint is a member below it names (docs/service.md has them all).
  void routes();             // server.cpp: what every request passes, the page, then the others
  // server.cpp: what every request passes before routing (limits, token, methods), the answer
  // to one no handler wrote (404, 405, 413, …), and the access log's line.
  httplib::Server::HandlerResponse screen_request(const httplib::Request& req, httplib::Response& res);
  void answer_unhandled(const httplib::Request& req, httplib::Response& res);
  void log_request(const httplib::Request& req, const httplib::Response& res);
  using Endpoint = void (Impl::*)(const httplib::Request&, httplib::Response&);
  void route(const std::string& method, const std::string& pattern, Endpoint endpoint);

  void route_rules();  // routes_rules.cpp: the data and rules
  void health(const httplib::Request&, httplib::Response& res);
  void describe_schema(const httplib::Request&, httplib::Response& res);
  void check_rule(const httplib::Request& req, httplib::Response& res);
  void rule_sql(const httplib::Request& req, httplib::Response& res);
  void complete_rule(const httplib::Request& req, httplib::Response& res);
  void diff_rules(const httplib::Request& req, httplib::Response& res);
  void diff_versions(const httplib::Request& req, httplib::Response& res);
  void count_rule(const httplib::Request& req, httplib::Response& res);
  void reload_data(const httplib::Request&, httplib::Response& res);
  // A form's players no client has (`players_unknown` of a count), the last answer kept.
  std::optional<json> unknown_players(const json& players, const Data& d);
  struct {
    std::mutex mu;
    std::string key;
    json answer;
  } unknown_players_cache;

  void route_catalog();  // routes_catalog.cpp: saved segments and their members
  void list_segments(const httplib::Request& req, httplib::Response& res);
  void create_segment(const httplib::Request& req, httplib::Response& res);
  void get_segment(const httplib::Request& req, httplib::Response& res);
  void edit_segment(const httplib::Request& req, httplib::Response& res);
  void archive_segment(const httplib::Request& req, httplib::Response& res);
  void restore_segment(const httplib::Request& req, httplib::Response& res);
  void set_archived(httplib::Response& res, int64_t id, int64_t version, bool archived);
  void list_versions(const httplib::Request& req, httplib::Response& res);
  void stream_members(const httplib::Request& req, httplib::Response& res);
  // Whose members a stream sends: a membership's ids (nullopt: the data file's rule
  // evaluation), at which version, read with which schema.
  struct MemberSet {
    std::optional<std::vector<int64_t>> ids;
    uint64_t version = 0;
    api::Schema schema;
  };
  MemberSet member_set(const Segment& s, const Data& d);

  void route_membership();  // routes_membership.cpp: changes in, events out
  void membership_state(const httplib::Request& req, httplib::Response& res);
  void apply_changes(const httplib::Request& req, httplib::Response& res);
  void list_events(const httplib::Request& req, httplib::Response& res);
  void list_older_events(httplib::Response& res, const EventCursor& at, uint64_t limit, uint64_t version, uint64_t kept_from);
};

}  // namespace seg::service
