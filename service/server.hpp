// `seg serve`: the segments service's HTTP API (docs/service.md) over the public library API
// and the catalog. A client of the engine like the CLI: it parses requests, calls
// include/seg/seg.hpp and service/catalog.hpp, and writes JSON; no engine logic.
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

namespace seg::service {

struct ServerOptions {
  std::string data;        // the data to serve (snapshot, CSV or JSON Lines), reopened on reload
  std::string catalog;     // the SQLite catalog file (created when missing)
  std::string schema_json; // a schema document; empty: the bundled CRM schema
  std::string host = "127.0.0.1";
  int port = 8080;         // 0: any free port (printed when listening)
  std::string token;       // bearer token; required when host is not loopback
  bool access_log = true;  // one JSON line per request
  std::FILE* log = stderr; // where the access log goes (the fuzz target's is /dev/null)
  // A membership directory (`seg refresh --state`, docs/membership.md): when given, the
  // service applies changes to it (POST /api/changes) and serves its events
  // (GET /api/events, long poll, resumable from a version) and counts (GET /api/membership).
  std::string membership;
  // With a membership: how many of the newest events GET /api/events answers from memory
  // (32 bytes each); older ones are replayed from the directory, this many at a time.
  size_t events_in_memory = 2'000'000;
  // A saved segment whose rule names `now` moves with the clock: its count in the table is
  // counted again once it is this old (others only when the segment or the data change).
  int64_t clock_counts_seconds = 60;
  // With a membership: the batches' rows after which it compacts (0: the library's default).
  uint64_t compact_after = 0;
};

class Server {
 public:
  // Opens the data and the catalog; false with `error` set when either cannot be opened or
  // the options are refused (a non-loopback host without a token).
  static std::unique_ptr<Server> create(const ServerOptions& options, std::string& error);
  ~Server();

  // Binds and serves until stop(); `on_listening` gets "http://HOST:PORT" once bound.
  // False with `error` when the address cannot be bound.
  bool run(const std::function<void(const std::string&)>& on_listening, std::string& error);
  // Finishes the requests in flight and makes run() return (any thread, a signal handler's
  // watcher thread included).
  void stop();
  // Opens the data file again and swaps it in; requests in flight finish on the old data.
  // False with `error` (the old data stays) when it cannot be opened.
  bool reload(std::string& error);

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Writes `line` and a newline to `f` and flushes. A write that fails (a full disk under the
// log, a closed pipe) is dropped: fmt::print throws then, and from the access logger (outside
// httplib's handler try) or a background thread that ended the service (found by a review).
void log_line(std::FILE* f, const std::string& line) noexcept;

// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(const std::string& host);
// HOST:PORT as a URL writes it: an IPv6 address in brackets ([::1]:8080).
std::string host_port(const std::string& host, int port);

}  // namespace seg::service
