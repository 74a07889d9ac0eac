// `seg serve`: the segments service (service/server.hpp, docs/service.md) on the data and
// catalog given; SIGHUP reloads the data, SIGTERM and SIGINT stop it after the requests in
// flight.
#include <fmt/format.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <thread>

#include "service/server.hpp"
#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"

namespace seg::cli {
namespace cmd_serve {

struct ServeOptions {
  service::ServerOptions server;
  std::string listen = "127.0.0.1:8080";
  std::string schema_file;
  uint64_t compact_after = 0;
  bool quiet = false;
};

void run(ServeOptions& o) {
  size_t colon = o.listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos && colon + 1 < o.listen.size() && o.listen.size() - colon <= 6 &&
      o.listen.find_first_not_of("0123456789", colon + 1) == std::string::npos)
    port = std::atoi(o.listen.c_str() + colon + 1);
  if (port < 0 || port > 65535 || colon == 0) {
    service::log_line(stderr, fmt::format("seg: --listen {} is not HOST:PORT (e.g. 127.0.0.1:8080; port 0 picks a free one)", o.listen));
    exit_with(2);
  }
  o.server.host = o.listen.substr(0, colon);
  if (o.server.host.size() > 2 && o.server.host.front() == '[' && o.server.host.back() == ']') {
    o.server.host = o.server.host.substr(1, o.server.host.size() - 2);
  } else if (o.server.host.find(':') != std::string::npos) {
    // `::1:8080` could be the address ::1:8080 or ::1 and a port: a URL's brackets say which.
    service::log_line(stderr, fmt::format("seg: --listen {}: an IPv6 address goes in brackets, as in a URL: {}", o.listen,
                                          service::host_port(o.server.host, port)));
    exit_with(2);
  }
  o.server.port = port;
  if (o.server.token.empty())
    if (const char* t = std::getenv("SEG_TOKEN")) o.server.token = t;
  o.server.access_log = !o.quiet;
  o.server.compact_after = o.compact_after;
  if (!o.schema_file.empty()) {
    std::string err;
    auto text = read_file(o.schema_file, err, api::limits().max_json_bytes);
    if (!text) {
      service::log_line(stderr, fmt::format("seg: {}", err));
      exit_with(2);
    }
    o.server.schema_json = *text;
  }
  // A log line to a closed pipe (`seg serve 2>&1 | head`) fails with EPIPE and is dropped,
  // instead of SIGPIPE ending the service (sockets already send with MSG_NOSIGNAL).
  ::signal(SIGPIPE, SIG_IGN);
  // glibc gives each thread that allocates an arena of its own, kept once grown: over the 64
  // request threads a sender catching up on old events (each page a replay) took the
  // service from 74 MB to 650 MB, where four arenas kept it at about 120 (found by a review).
  ::mallopt(M_ARENA_MAX, 4);
  // Signals go to one watcher thread (blocked everywhere else, the server's threads included).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::string error;
  auto server = service::Server::create(o.server, error);
  if (!server) {
    service::log_line(stderr, fmt::format("seg serve: {}", error));
    exit_with(2);
  }
  std::thread watcher([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (sig == SIGHUP) {
        std::string why;
        if (server->reload(why)) service::log_line(stderr, fmt::format("seg serve: reloaded {}", o.server.data));
        else service::log_line(stderr, fmt::format("seg serve: reload failed, still serving the data loaded before: {}", why));
        continue;
      }
      server->stop();
      return;
    }
  });
  bool ok = server->run(
      [](const std::string& url) {
        service::log_line(stdout, fmt::format("seg serve: listening on {}", url));
      },
      error);
  if (!ok) {
    service::log_line(stderr, fmt::format("seg serve: {}", error));
    // Wake the watcher so it can be joined.
    pthread_kill(watcher.native_handle(), SIGTERM);
    watcher.join();
    exit_with(2);
  }
  if (watcher.joinable()) {
    pthread_kill(watcher.native_handle(), SIGTERM);  // stopped by a request path: let it go too
    watcher.join();
  }
  service::log_line(stderr, fmt::format("seg serve: stopped"));
}

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "Serve the segments API (catalog, counts, members) over HTTP");
  cmd->footer(
      "Examples:\n"
      "  seg serve --data data/clients-1000000.seg --catalog segments.db\n"
      "  SEG_TOKEN=secret seg serve --data data/clients-1000000.seg --catalog segments.db --listen 0.0.0.0:8080\n"
      "The API is in docs/service.md. Loopback by default; any other address needs a token\n"
      "(--token or SEG_TOKEN), sent as `Authorization: Bearer TOKEN`. SIGHUP reloads the data;\n"
      "SIGTERM stops after the requests in flight.\n"
      "Exit codes: 0 stopped, 2 usage, data or catalog error, or the address cannot be bound.");
  auto o = std::make_shared<ServeOptions>();
  cmd->add_option("--data", o->server.data, "Data to serve: a .seg snapshot (or CSV, JSON Lines)")->required()->type_name("FILE");
  cmd->add_option("--catalog", o->server.catalog, "The SQLite catalog of saved segments (created when missing)")
      ->required()
      ->type_name("FILE");
  cmd->add_option("--listen", o->listen, "HOST:PORT to listen on (port 0: any free port; IPv6 as [::1]:8080)")->default_val("127.0.0.1:8080");
  cmd->add_option("--token", o->server.token, "Bearer token the API requires (default: $SEG_TOKEN)");
  cmd->add_option("--schema", o->schema_file, "Schema JSON of CSV or JSON Lines data (default: the bundled CRM schema)")
      ->type_name("FILE");
  cmd->add_option("--membership", o->server.membership,
                  "A membership directory (seg refresh --state) to keep current: POST /api/changes, GET /api/events")
      ->type_name("DIR");
  add_compact_after_option(*cmd, o->compact_after,
                           "With --membership: the changed rows after which a new base is written, in the background (default: a quarter of the base's, at least 65,536)");
  cmd->add_option("--events-in-memory", o->server.events_in_memory,
                  "With --membership: the newest events GET /api/events answers from memory (default 2,000,000, 32 "
                  "bytes each; older ones are read from the directory, this many at a time)")
      ->check(count_at_least_one("events"))
      ->type_name("N");
  cmd->add_flag("--quiet", o->quiet, "No access log on stderr");
  cmd->callback([o] { run(*o); });
}

CommandRegistrar reg(85, setup);
}  // namespace cmd_serve
}  // namespace seg::cli
