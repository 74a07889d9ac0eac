// The `seg serve` test harness shared by service_test.cpp and service_threads_test.cpp: the
// binary started on a free port of 127.0.0.1 with a small data file and a fresh catalog,
// JSON requests, a membership directory. (service_threads_test.cpp holds the tests the
// TSan run takes, so its build compiles those alone.)
#pragma once
#include <fmt/format.h>
#include <sqlite3.h>
#include <httplib.h>
#include <seg/seg.hpp>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <condition_variable>
#include <thread>

#include "api/internal.hpp"
#include "service/backlog.hpp"
#include "service/catalog.hpp"
#include "service/server.hpp"

namespace service_test {

namespace fs = std::filesystem;
using json = nlohmann::json;

inline const char* kHeader = "client_id,player_id,spot,stage,tags,deposit_total,registered_at,last_active_at,country\n";
inline const char* kRows =
    "1,10,12,Active,VIP,10.50,2025-01-01T00:00:00Z,2026-10-01T00:00:00Z,DE\n"
    "2,20,12,Registration,REGISTERED,0.00,2025-02-01T00:00:00Z,,\n"
    "3,30,13,Deposit,VIP|REGISTERED,99.99,2025-03-01T00:00:00Z,2026-10-02T00:00:00Z,FR\n"
    "4,40,12,NotProcessed,REGISTERED,1.00,2025-04-01T00:00:00Z,2026-10-03T00:00:00Z,DE\n"
    "5,50,14,Active,,5.00,2025-05-01T00:00:00Z,2026-10-04T00:00:00Z,DE\n";

// A running `seg serve`, stopped with SIGTERM whatever the test's outcome.
class Serve {
 public:
  // Serves the small table above, or `data_file` when given (not copied).
  explicit Serve(const std::vector<std::string>& extra = {}, const std::string& data_file = "") {
    dir_ = fs::temp_directory_path() / fmt::format("seg_serve_{}_{}", ::getpid(), counter()++);
    fs::create_directories(dir_);
    data_ = data_file.empty() ? (dir_ / "clients.csv").string() : data_file;
    if (data_file.empty()) write_data(std::string(kHeader) + kRows);
    start(extra);
  }
  ~Serve() {
    stop();
    fs::remove_all(dir_);
  }
  void write_data(const std::string& csv) {
    fs::path tmp = dir_ / "clients.csv.tmp";
    std::ofstream(tmp, std::ios::binary) << csv;
    fs::rename(tmp, dir_ / "clients.csv");
  }
  std::string data() const { return data_; }
  // What it wrote after its first line (the access log with "+log").
  std::string output() const {
    std::lock_guard lock(log_->mu);
    return log_->text;
  }
  std::string catalog() const { return (dir_ / "segments.db").string(); }
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  httplib::Client client() const {
    httplib::Client c(host_, port_);
    c.set_read_timeout(30, 0);
    return c;
  }
  // Kills the server without warning (SIGKILL) and starts it again on the same files.
  void kill_and_restart() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      pid_ = -1;
    }
    port_ = 0;
    start(extra_);
  }
  // Stops the server; its exit status.
  int stop() {
    if (pid_ <= 0) return status_;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, &status_, 0);
    pid_ = -1;
    return status_;
  }
  bool started() const { return port_ > 0; }
  // Lets the running server's files grow again (see "+fsize=N").
  bool lift_file_size_limit() const {
    rlimit r{};
    if (::prlimit(pid_, RLIMIT_FSIZE, nullptr, &r) != 0) return false;
    r.rlim_cur = r.rlim_max;
    return ::prlimit(pid_, RLIMIT_FSIZE, &r, nullptr) == 0;
  }
  // Waits for a server that stops by itself (one that refused to start); its exit status.
  int wait_exit() {
    if (pid_ <= 0) return status_;
    ::waitpid(pid_, &status_, 0);
    pid_ = -1;
    return status_;
  }
  // Sends SIGTERM without waiting (stop() waits).
  void terminate() const {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
  }
  std::string startup_error;

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  void start(const std::vector<std::string>& extra) {
    extra_ = extra;
    int out[2];
    if (::pipe(out) != 0) return;
    std::vector<std::string> args = {SEG_BINARY_DIR "/seg", "serve", "--data", data(), "--catalog", catalog()};
    // "+log" (the test's own marker, not a flag of seg) keeps the access log, in output();
    // "+log-to-full" keeps it too, on a stderr where every write fails (/dev/full).
    bool log_to_full = std::find(extra.begin(), extra.end(), "+log-to-full") != extra.end();
    bool keep_log = log_to_full || std::find(extra.begin(), extra.end(), "+log") != extra.end();
    if (!keep_log) args.push_back("--quiet");
    bool has_listen = false;
    for (const auto& e : extra) has_listen |= e == "--listen";
    if (!has_listen) args.insert(args.end(), {"--listen", "127.0.0.1:0"});
    // "+fsize=N": no file it writes grows past N bytes (RLIMIT_FSIZE; a write past it fails
    // with EFBIG, as on a full disk) until lift_file_size_limit().
    rlim_t fsize = RLIM_INFINITY;
    for (const auto& e : extra)
      if (e.rfind("+fsize=", 0) == 0) fsize = std::stoull(e.substr(7));
    for (const auto& e : extra)
      if (e != "+log" && e != "+log-to-full" && e.rfind("+fsize=", 0) != 0) args.push_back(e);
    pid_ = ::fork();
    if (pid_ == 0) {
      // Stopped whatever the outcome: a test process killed by a signal (no destructor runs)
      // left its servers running (found after a SIGPIPE during this session).
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      ::dup2(out[1], 1);
      ::dup2(out[1], 2);
      if (log_to_full) {
        int full = ::open("/dev/full", O_WRONLY);
        ::dup2(full, 2);
      }
      if (fsize != RLIM_INFINITY) {
        ::signal(SIGXFSZ, SIG_IGN);  // kept across exec: the write fails instead of killing
        rlimit r{};
        ::getrlimit(RLIMIT_FSIZE, &r);
        r.rlim_cur = fsize;
        ::setrlimit(RLIMIT_FSIZE, &r);
      }
      ::close(out[0]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    // The first line says where it listens (or why it cannot).
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    // Keep draining its output so it never blocks on a full pipe.
    std::thread([fd = out[0], log = log_] {
      char buf[4096];
      for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) {
        std::lock_guard lock(log->mu);
        log->text.append(buf, static_cast<size_t>(n));
      }
      ::close(fd);
    }).detach();
    std::string marker = "listening on http://";
    size_t at = line.find(marker);
    if (at == std::string::npos) {
      startup_error = line;
      return;
    }
    std::string hp = line.substr(at + marker.size());
    host_ = hp.substr(0, hp.rfind(':'));
    port_ = std::stoi(hp.substr(hp.rfind(':') + 1));
  }

  fs::path dir_;
  std::string data_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
  int status_ = 0;
  std::string host_;
  int port_ = 0;
  struct Log {
    std::mutex mu;
    std::string text;
  };
  std::shared_ptr<Log> log_ = std::make_shared<Log>();
};

inline json post(httplib::Client& c, const std::string& path, const json& body, int* status = nullptr) {
  auto r = c.Post(path.c_str(), body.dump(), "application/json");
  if (!r) return json{{"transport_error", true}};
  if (status) *status = r->status;
  return json::parse(r->body, nullptr, false);
}

inline json get(httplib::Client& c, const std::string& path, int* status = nullptr) {
  auto r = c.Get(path.c_str());
  if (!r) return json{{"transport_error", true}};
  if (status) *status = r->status;
  return json::parse(r->body, nullptr, false);
}

// The library's own answer on the same data: what every count must equal.
inline std::vector<int64_t> library_ids(const std::string& data, const std::string& rule) {
  std::vector<seg::api::Diagnostic> d;
  auto store = seg::api::Store::open(data, seg::api::Schema::crm(), d);
  auto q = seg::api::Query::prepare(seg::api::Rule::compile(rule, store->schema()), *store, d);
  return q->ids();
}

// A fresh connection with raw bytes sent on it (for requests httplib's client cannot make:
// chunked bodies, many at once); -1 when it cannot connect.
inline int raw_send(const std::string& host, int port, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  for (size_t at = 0; at < bytes.size();) {
    ssize_t n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close once it has answered
    at += static_cast<size_t>(n);
  }
  return fd;
}

// A segment as another program saves it in the catalog (the REPL's `.save`, a second service):
// the rule compiled against the CRM schema, written through seg::service::Catalog directly.
inline seg::service::SegmentContent saved_content(const std::string& title, const std::string& rule) {
  seg::api::Rule r = seg::api::Rule::compile(rule, seg::api::Schema::crm());
  seg::service::SegmentContent sc;
  sc.title = title;
  sc.rule_text = r.canonical_text();
  sc.ir_json = r.ir_json();
  sc.hash = r.hash();
  sc.origin = seg::service::Origin::Text;
  sc.source = rule;
  return sc;
}

// A folder with the small table as a CSV and a membership made from it with no segment (the
// catalog's join it as they are saved); removed at the end.
struct MembershipDir {
  fs::path dir;
  std::string csv, state;
  bool ok = false;
  explicit MembershipDir(const char* name)
      : dir(fs::temp_directory_path() / fmt::format("{}_{}", name, ::getpid())),
        csv((dir / "clients.csv").string()),
        state((dir / "state").string()) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(csv) << kHeader << kRows;
    std::vector<seg::api::Diagnostic> d;
    auto store = seg::api::Store::open(csv, seg::api::Schema::crm(), d);
    ok = store && seg::api::LiveMembership::create(state, *store, {}, 1790000000, d);
  }
  ~MembershipDir() { fs::remove_all(dir); }
};

// A service over a fresh membership with one saved segment, `spot = 12` (id 1: clients 1, 2
// and 4 of the small table).
struct ServedSpot12 {
  MembershipDir dir;
  Serve serve;
  std::string error;
  explicit ServedSpot12(const char* name) : dir(name), serve({"--membership", dir.state}, dir.csv) {
    if (!dir.ok) error = "no membership directory";
    else if (!serve.started()) error = serve.startup_error;
    if (!error.empty()) return;
    auto c = serve.client();
    json saved = post(c, "/api/segments", {{"title", "Spot 12"}, {"rule", "spot = 12"}});
    if (saved["segment"]["id"] != 1) error = saved.dump();
  }
};

}  // namespace service_test
