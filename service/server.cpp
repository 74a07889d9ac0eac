// The segments service's HTTP API (see server.hpp and docs/service.md). cpp-httplib serves
// (Debian's libcpp-httplib-dev; docs/decisions.md 29); every answer is JSON with `ok`, except
// the member streams. This file: starting and stopping, the data served, and what every
// request passes through (the pre-routing handler, errors, the access log) before the routes
// of routes_rules.cpp, routes_catalog.cpp and routes_membership.cpp. The counts kept of the
// saved segments are segment_counts.cpp's.
#include "service/server.hpp"

#include <algorithm>
#include <filesystem>
#include <cmath>
#include <strings.h>
#include <ctime>
#include <set>

#include <arpa/inet.h>
#include <unistd.h>

#include "service/backlog.hpp"
#include "service/page_assets.hpp"
#include "service/segment_content.hpp"
#include "service/server_impl.hpp"

namespace seg::service {

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

std::string host_port(const std::string& host, int port) {
  return host.find(':') == std::string::npos ? fmt::format("{}:{}", host, port) : fmt::format("[{}]:{}", host, port);
}

Server::Impl::~Impl() {
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

// The waiting slots long polls and member streams hold: a bounded number, so that waiting
// requests always leave threads for everyone else.
std::shared_ptr<Server::Impl::WaitSlot> Server::Impl::wait_slot() {
  if (waiting.fetch_add(1) >= kMaxWaiting) {
    --waiting;
    return nullptr;
  }
  return std::make_shared<WaitSlot>(waiting);
}

void Server::Impl::busy(httplib::Response& res) {
  res.set_header("Retry-After", "2");
  reply_error(res, 503, "busy",
              fmt::format("{} requests are waiting already (long polls and member streams): try again in a moment",
                          kMaxWaiting));
}

std::shared_ptr<const Data> Server::Impl::current() {
  std::lock_guard lock(data_mu);
  return data;
}

bool Server::Impl::load(std::string& error) {
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

std::optional<api::Rule> Server::Impl::compile(const RuleRequest& r, const Data& d, httplib::Response& res) {
  api::Rule rule = api::Rule::compile(r.source, rules_schema(d), r.format, "<" + r.member + ">");
  if (!rule.ok()) {
    reply_error(res, 422, "rule_errors", "the rule has errors", diagnostics_json(rule, r));
    return std::nullopt;
  }
  return rule;
}

api::Query Server::Impl::query(const api::Rule& rule, const Data& d) {
  std::vector<api::Diagnostic> diags;
  if (auto q = api::Query::prepare(rule, d.store, diags)) return std::move(*q);
  // Rules are compiled against rules_schema(): with a membership, its schema, whose open
  // dictionaries may be ahead of the data file's (values its batches added, in a compacted
  // base). Over the data file the rule is its canonical text compiled against that file's own.
  api::Rule again = api::Rule::compile(rule.canonical_text(), d.schema);
  diags = again.diagnostics();
  if (again.ok())
    if (auto q = api::Query::prepare(again, d.store, diags)) return std::move(*q);
  throw std::runtime_error("the rule cannot run over the data file: " +
                           (diags.empty() ? std::string("unknown error") : api::to_string(diags[0])));
}

int64_t clock_seconds() { return api::clock_now(); }

std::optional<Server::Impl::SegmentInput> Server::Impl::segment_input(const json& body, httplib::Response& res) {
  if (body.contains("title") && !body["title"].is_string()) {
    reply_error(res, 400, "bad_request", "`title` must be a string");
    return std::nullopt;
  }
  auto r = rule_request(body, res);
  if (!r) return std::nullopt;
  auto d = current();
  auto rule = compile(*r, *d, res);
  if (!rule) return std::nullopt;
  SegmentContent c = content_of(*rule,
                                r->format == api::RuleFormat::Text   ? Origin::Text
                                : r->format == api::RuleFormat::Form ? Origin::Form
                                                                     : Origin::Import,
                                r->source, body.value("title", std::string()));
  // A form's own title stands when there is no `title`; either is held to the catalog's rule
  // (service/catalog.hpp) here, so a bad one is the client's 400, not the catalog's refusal
  // as a 500 (found by a review: a form title with a control character).
  const bool form_title = c.title.empty() && r->format == api::RuleFormat::Form;
  if (form_title) c.title = rule->title();
  std::string why;
  if (!clean_title(c.title, why)) {
    reply_error(res, 400, "bad_request",
                fmt::format("{} is one line of at most {} bytes, without control characters",
                            form_title ? "the form's `title`" : "a `title`", kMaxTitleBytes));
    return std::nullopt;
  }
  return SegmentInput{std::move(*r), std::move(d), std::move(*rule), std::move(c)};
}

namespace {
// RFC 9110 13.1.2: If-None-Match is `*` or a list of entity tags, compared weakly (a `W/`
// prefix does not count), over every If-None-Match header the request has. Only the exact
// header matched before, so a browser's or proxy's list never got its 304.
bool none_match(const httplib::Request& req, std::string_view etag) {
  // A header that is not such a list is ignored whole (`"a""a"` matched its first tag; a
  // review): the page is sent again, never a 304 for a validator the client did not send.
  auto matches = [&](const std::string& value) {
    bool found = false;
    size_t i = 0;
    while (true) {
      while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
      if (i >= value.size()) return found;
      if (value[i] == '*') {
        found = true;
        ++i;
      } else {
        if (value.compare(i, 2, "W/") == 0) i += 2;
        if (i >= value.size() || value[i] != '"') return false;  // not an entity tag
        const size_t close = value.find('"', i + 1);
        if (close == std::string::npos) return false;
        found = found || std::string_view(value).substr(i, close + 1 - i) == etag;
        i = close + 1;
      }
      while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
      if (i < value.size() && value[i] != ',') return false;  // two tags without a comma
      ++i;
    }
  };
  for (size_t h = 0; h < req.get_header_value_count("If-None-Match"); ++h)
    if (matches(req.get_header_value("If-None-Match", h))) return true;
  return false;
}
}  // namespace

void Server::Impl::reply_not_routed(const httplib::Request& req, httplib::Response& res) const {
  std::string allow;
  for (const auto& [method, pattern] : routes_known)
    if (std::regex_match(req.path, pattern) && allow.find(method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + method;
  if (allow.empty()) return reply_error(res, 404, "not_found", "no such endpoint");
  res.set_header("Allow", allow);
  reply_error(res, 405, "method_not_allowed", fmt::format("{} takes {}, not {}", req.path, allow, req.method));
}

void Server::Impl::route(const std::string& method, const std::string& pattern, httplib::Server::Handler handler) {
  routes_known.emplace_back(method, std::regex(pattern));
  if (method == "GET") http.Get(pattern, std::move(handler));
  else if (method == "POST") http.Post(pattern, std::move(handler));
  else if (method == "PUT") http.Put(pattern, std::move(handler));
  else http.Delete(pattern, std::move(handler));
}

void Server::Impl::route(const std::string& method, const std::string& pattern, Endpoint endpoint) {
  route(method, pattern, [this, endpoint](const httplib::Request& req, httplib::Response& res) { (this->*endpoint)(req, res); });
}

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
  // The data first: a --data that does not open left a new, empty catalog file behind
  // (found by a review).
  if (!impl->load(error)) return nullptr;
  std::error_code ec;
  impl->catalog_made_here = !std::filesystem::exists(o.catalog, ec);
  auto cat = Catalog::open(o.catalog, error);
  if (!cat) return nullptr;
  impl->catalog = std::move(cat);
  if (!o.membership.empty()) {
    impl->live = std::make_unique<Impl::Live>();
    std::vector<api::Diagnostic> d;
    const uint64_t events_from = api::LiveMembership::newest_generation(o.membership);
    std::vector<api::MemberEvent> events;
    impl->live->m = api::LiveMembership::open(o.membership, d, std::nullopt, &events, events_from);
    if (!impl->live->m) {
      auto first_error = std::find_if(d.begin(), d.end(), [](const api::Diagnostic& x) { return x.is_error(); });
      error = first_error == d.end() ? o.membership + ": not a membership directory" : api::to_string(*first_error);
      impl->forget_unused_catalog();  // as when it cannot listen: a refused start leaves no file
      return nullptr;
    }
    for (const auto& w : d) log_line(stderr, "seg serve: " + api::to_string(w));  // warnings (W703)
    if (o.compact_after) impl->live->m->set_compact_after(o.compact_after);
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
      impl->forget_unused_catalog();
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

// A start that cannot listen left the catalog file it had just made, empty, behind (a port
// typed wrong, or in use; found by a review): one this start made and nothing was saved in is
// removed, with SQLite's files beside it.
void Server::Impl::forget_unused_catalog() {
  if (!catalog_made_here || !catalog || !catalog->list(true).empty()) return;
  // Unlinked, not closed: the warmer may be reading it until the server is destroyed.
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(options.catalog + suffix, ec);
}

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
      error = "cannot listen on " + host_port(impl_->options.host, 0);
      return false;
    }
  } else if (!impl_->http.bind_to_port(impl_->options.host, port)) {
    error = fmt::format("cannot listen on {} (in use, or not an address of this machine)", host_port(impl_->options.host, port));
    impl_->forget_unused_catalog();
    return false;
  }
  // A burst of new connections needs more than httplib's queue of 5 (backlog.cpp). Without
  // it the service still works, as it did: a refusal is not worth failing the start for.
  if (raise_listen_backlog(port) < 0)
    log_line(stderr, fmt::format("seg serve: warning: the accept queue of port {} stays at 5: a burst of new connections may wait seconds", port));
  on_listening("http://" + host_port(impl_->options.host, port));
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
  // httplib's default socket options add SO_REUSEPORT, with which a second `seg serve` on a
  // port in use bound it too and the kernel split the requests between the two (saves going
  // to two catalogs; found by a review). SO_REUSEADDR alone still allows a quick restart.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) { return screen_request(req, res); });
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
  http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) { answer_unhandled(req, res); });

  http.set_logger([this](const httplib::Request& req, const httplib::Response& res) { log_request(req, res); });

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
    if (none_match(req, a->etag)) {
      res.status = 304;
      return;
    }
    res.set_content(a->body.data(), a->body.size(), std::string(a->content_type));
  };
  route("GET", "/", page);
  route("GET", "/assets/app.js", page);
  route("GET", "/assets/app.css", page);

  route_rules();
  route_catalog();
  route_membership();
}

httplib::Server::HandlerResponse Server::Impl::screen_request(const httplib::Request& req, httplib::Response& res) {
  // Every request is counted from here to its log line (written after the whole answer,
  // streams included), so stop() can wait for the ones in flight.
  ++in_flight;
  // httplib handles a request, its answer and its log line on one thread: the start time
  // waits here for the logger; the id goes back to the client too.
  request_started = std::chrono::steady_clock::now();
  // Every answer is whole (a Range header is ignored): said so, as RFC 9110 has it. httplib
  // adds `Accept-Ranges: bytes` to a HEAD answer that has no such header, so a client took
  // ranges to be offered (found by a review); set here, before any handler, it is on all.
  res.set_header("Accept-Ranges", "none");
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
  // A POST or PUT without a Content-Length is refused on its headers too. httplib reads such a
  // body to the end of the connection: a client that half-closed after it had its request
  // run and never saw the answer (found by a review), and one that kept the connection open
  // waited 5 s for httplib's read to time out before the 411 below in the error handler.
  if ((req.method == "POST" || req.method == "PUT") && !req.has_header("Content-Length")) {
    reply_error(res, 411, "length_required", "send the body with a Content-Length (for no body `Content-Length: 0`, as curl -d '' sends)");
    return httplib::Server::HandlerResponse::Handled;
  }
  // A Content-Length is digits, one value (RFC 9112 6.3: two that differ are an error, and a
  // proxy that takes the other one would see another request in the body: httplib took the
  // first; `+19` and `-1` it read too).
  if (req.has_header("Content-Length")) {
    const std::string length = req.get_header_value("Content-Length");
    bool digits = !length.empty() && length.size() <= 19;
    for (char ch : length) digits = digits && ch >= '0' && ch <= '9';
    for (size_t i = 1; digits && i < req.get_header_value_count("Content-Length"); ++i)
      digits = req.get_header_value("Content-Length", i) == length;
    if (!digits) {
      reply_error(res, 400, "http", "the Content-Length must be one number of bytes (digits only, one value)");
      return httplib::Server::HandlerResponse::Handled;
    }
    // (One over the limit is left to httplib, which reads the body past and answers 413: a
    // refusal here, on the headers, cut off a client still sending it, which then saw a
    // broken connection rather than the 413.)
  }
  // httplib reads a multipart body itself and hands the handler none (a `curl -F` upload was
  // "unexpected end of input"); the API takes JSON bodies: said on the headers (found by a
  // review).
  if (req.get_header_value("Content-Type").rfind("multipart/", 0) == 0) {
    reply_error(res, 415, "unsupported_media_type",
                "the API takes JSON bodies (`Content-Type: application/json`), not multipart forms");
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
  // The scheme's case is free (RFC 9110 11.1: `bearer` is `Bearer`); the token's is not.
  const std::string auth = req.get_header_value("Authorization");
  const bool allowed = options.token.empty() || req.path == "/" || req.path.rfind("/assets/", 0) == 0 ||
                       (auth.size() == 7 + options.token.size() && strncasecmp(auth.c_str(), "Bearer ", 7) == 0 &&
                        auth.compare(7, std::string::npos, options.token) == 0);
  if (!allowed) {
    res.set_header("WWW-Authenticate", "Bearer");  // RFC 6750 3: the scheme a 401 asks for
    reply_error(res, 401, "unauthorized", "this service needs `Authorization: Bearer TOKEN`");
    return httplib::Server::HandlerResponse::Handled;
  }
  // A method no route takes (PATCH, OPTIONS, …) is answered on its headers: httplib reads a
  // PATCH's body like a POST's, to the end of the connection when it has no Content-Length,
  // so the 405 came after its 5 s read timeout as a 400 (found by a review). After the token,
  // so that the routes are not named to a client without it.
  if (req.method != "GET" && req.method != "HEAD" && req.method != "POST" && req.method != "PUT" && req.method != "DELETE") {
    reply_not_routed(req, res);
    return httplib::Server::HandlerResponse::Handled;
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

void Server::Impl::answer_unhandled(const httplib::Request& req, httplib::Response& res) {
  // Only for answers no handler wrote (404 of an unknown path, 413 of a huge body).
  if (!res.body.empty()) return;
  // httplib parses a form-encoded body (curl -d's default type) itself, and refuses one over
  // 8 KiB with a 413 before any handler sees it, however far under the limit it is.
  if (res.status == 413 && req.get_header_value("Content-Type") == "application/x-www-form-urlencoded")
    reply_error(res, 413, "too_large",
                "a form-encoded body is limited to 8 KiB; send the JSON as `Content-Type: application/json` "
                "(curl: -H 'Content-Type: application/json')");
  else if (res.status == 413) reply_error(res, 413, "too_large", "the body is larger than the limit");
  else if (res.status == 400) {
    reply_error(res, 400, "http", "the request is not valid HTTP/1.1 (its request line, a header, or a body shorter "
                                  "than its Content-Length)");
    // What follows on the connection cannot be read as a request either: the client is told
    // to close it, so it does not wait 5 s for httplib's keep-alive to end (found by a
    // review). httplib itself still holds the socket until the client closes or 5 s pass.
    res.set_header("Connection", "close");
  }
  else if (res.status == 404) reply_not_routed(req, res);
  // httplib parses a Range header before routing and refuses one it cannot read (a valid one
  // is dropped in the pre-routing handler: answers are whole).
  else if (res.status == 416)
    reply_error(res, 416, "http", "the Range header is not valid; send none: every answer is whole");
  else if (res.status == 414)
    reply_error(res, 414, "http", "the request line is longer than 8 KiB (a rule goes in a JSON body, not the URL)");
  else reply_error(res, res.status, "http", fmt::format("HTTP {}", res.status));
}

void Server::Impl::log_request(const httplib::Request& req, const httplib::Response& res) {
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
    // (Only a routed request can have streamed: one httplib answered itself, a 414, runs no
    // handler and would read the flag a stream before it on this thread left; found by a review.)
    if (routed && stream_cut) j["incomplete"] = true;
    if (routed)
      j["ms"] = std::round(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - request_started).count() *
                           1000) / 1000;
    j["remote"] = req.remote_addr;
    log_line(options.log, json_text(j));
  }
  if (routed) --in_flight;
  stream_cut = false;
}

}  // namespace seg::service
