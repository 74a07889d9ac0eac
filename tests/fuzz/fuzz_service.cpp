// The segments service's requests (service/server.cpp, docs/service.md), over real HTTP to an
// in-process `seg serve` on a loopback port (examples/clients.csv, a catalog and a membership
// in a temporary folder, so saves, counts and changes go through the membership and events
// are paged). Byte 0 picks the endpoint, the rest is the body (or, for GETs, the query string
// or the path).
// Whatever arrives: an answer, never a 5xx; JSON (members as CSV aside) with a boolean `ok`;
// an error is `ok: false` with `error.code` and `error.message`, and its status is 4xx.
#include <fmt/format.h>
#include <httplib.h>

#include <condition_variable>

#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "seg/seg.hpp"
#include "service/server.hpp"
#include "tests/fuzz/fuzz.hpp"

namespace {

struct Running {
  std::unique_ptr<seg::service::Server> server;
  std::thread thread;
  std::unique_ptr<httplib::Client> client;
};

Running& running() {
  static Running* r = [] {
    auto* run = new Running;
    // Under the target's private directory, removed at exit.
    std::string dir = seg::fuzz::temp_dir() + "/service";
    std::filesystem::create_directories(dir);
    seg::service::ServerOptions o;
    o.data = std::string(SEG_SOURCE_DIR) + "/examples/clients.csv";
    o.catalog = dir + "/segments.db";
    o.port = 0;
    // The access log is written (it quotes the path), to nowhere: a path that was not UTF-8
    // once killed the service there.
    o.access_log = true;
    o.log = std::fopen("/dev/null", "w");
    // A membership of the same clients, no segment yet: the catalog's join it as they are saved.
    std::vector<seg::api::Diagnostic> d;
    auto store = seg::api::Store::open(o.data, seg::api::Schema::crm(), d);
    o.membership = dir + "/membership";
    std::filesystem::remove_all(o.membership);
    if (!store || !seg::api::LiveMembership::create(o.membership, *store, {}, 1790000000, d)) {
      std::fprintf(stderr, "seg_fuzz_service: no membership: %s\n", d.empty() ? "" : seg::api::to_string(d[0]).c_str());
      std::abort();
    }
    // Few events in memory, so that older cursors are replayed from the directory.
    o.events_in_memory = 64;
    std::string error;
    run->server = seg::service::Server::create(o, error);
    if (!run->server) {
      std::fprintf(stderr, "seg_fuzz_service: %s\n", error.c_str());
      std::abort();
    }
    std::mutex mu;
    std::string url;
    std::unique_lock lock(mu);
    std::condition_variable cv;
    run->thread = std::thread([&, run] {
      std::string err;
      run->server->run(
          [&](const std::string& u) {
            std::lock_guard g(mu);
            url = u;
            cv.notify_one();
          },
          err);
    });
    cv.wait(lock, [&] { return !url.empty(); });
    run->client = std::make_unique<httplib::Client>(url);
    run->client->set_keep_alive(true);
    run->client->set_tcp_nodelay(true);
    run->client->set_read_timeout(60, 0);
    return run;
  }();
  return *r;
}

}  // namespace

SEG_FUZZ_TARGET(service) {
  if (size < 1) return 0;
  httplib::Client& c = *running().client;
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  const char* json = "application/json";
  std::string what;
  // Creating segments writes the catalog with fsync; the first 2,000 are enough to reach every
  // path, and each later one (an fsync) would only slow the target below 1,000 inputs a second.
  // Changes are logged with fsync too.
  static int created = 0, changed = 0;
  int pick = data[0] % 15;
  if ((pick == 4 || pick == 9) && ++created > 2000) pick = 0;
  if (pick == 11 && ++changed > 2000) pick = 0;
  // A query string from the body, as bytes a client could send; no `wait` (a long poll would
  // hold each input up to 30 s).
  auto query = [&] {
    std::string q;
    for (unsigned char ch : body) {
      if (std::isalnum(ch) || ch == '=' || ch == '&' || ch == '-') q += static_cast<char>(ch);
      else q += fmt::format("%{:02X}", ch);
    }
    for (size_t at; (at = q.find("wait")) != std::string::npos;) q[at + 3] = 'T';
    return q;
  };
  auto call = [&]() -> httplib::Result {
    switch (pick) {
      case 0: what = "POST /api/check"; return c.Post("/api/check", body, json);
      case 1: what = "POST /api/count"; return c.Post("/api/count", body, json);
      case 2: what = "POST /api/sql"; return c.Post("/api/sql", body, json);
      case 3: what = "POST /api/complete"; return c.Post("/api/complete", body, json);
      case 4: what = "POST /api/segments"; return c.Post("/api/segments", body, json);
      case 5: what = "PUT /api/segments/1"; return c.Put("/api/segments/1", body, json);
      case 6:  // the query string of a listing or a member export
        what = std::string(data[0] & 0x80 ? "GET /api/segments/1/members?" : "GET /api/segments?") + query();
        return c.Get(what.substr(4));
      case 10:  // a page of events (since, skip, limit)
        what = "GET /api/events?" + query();
        return c.Get(what.substr(4));
      case 11: what = "POST /api/changes"; return c.Post("/api/changes", body, json);
      case 12: what = "GET /api/membership?" + query(); return c.Get(what.substr(4));
      case 13: what = "POST /api/diff"; return c.Post("/api/diff", body, json);
      case 14:  // what a saved segment's edit did (from, to, sample, now)
        what = "GET /api/segments/1/diff?" + query();
        return c.Get(what.substr(4));
      case 8:
        if (data[0] & 0x80) {
          // Any path under /api/, percent-encoded bytes included (httplib decodes them).
          std::string p = "/api/";
          for (unsigned char ch : body) {
            if (std::isalnum(ch) || ch == '/' || ch == '-') p += static_cast<char>(ch);
            else p += fmt::format("%{:02X}", ch);
          }
          what = "GET " + p;
          return c.Get(p);
        }
        what = "GET /api/segments/1/versions";
        return c.Get("/api/segments/1/versions");
      case 7: what = "DELETE /api/segments/2"; return c.Delete("/api/segments/2", body, json);
      default:
        what = "POST /api/segments (rule)";
        return c.Post("/api/segments",
                      "{\"title\": \"t\", \"rule\": " +
                          nlohmann::json(body).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "}",
                      json);
    }
  };
  httplib::Result res = call();
  SEG_FUZZ_CHECK(static_cast<bool>(res), what + ": no answer (" + httplib::to_string(res.error()) + ")");
  int status = res->status;
  SEG_FUZZ_CHECK(status < 500, what + ": status " + std::to_string(status) + "\n" + res->body);
  std::string type = res->get_header_value("Content-Type");
  if (type.rfind("text/csv", 0) == 0) {
    SEG_FUZZ_CHECK(status == 200, what + ": CSV with status " + std::to_string(status));
    return 0;
  }
  nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
  SEG_FUZZ_CHECK(j.is_object() && j.contains("ok") && j["ok"].is_boolean(), what + ": not a JSON answer with ok\n" + res->body);
  bool ok = j["ok"].get<bool>();
  // A check of a rule with errors is an answer (200, ok false); a failed request is 4xx, never ok.
  SEG_FUZZ_CHECK(!(ok && status >= 300), what + ": ok true with status " + std::to_string(status));
  if (status >= 400)
    SEG_FUZZ_CHECK(!ok && j.contains("error") && j["error"].contains("code") && j["error"].contains("message"),
                   what + ": an error without code and message\n" + res->body);
  return 0;
}
