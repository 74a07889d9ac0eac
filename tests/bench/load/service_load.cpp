// A load generator for `seg serve` (docs/performance.md, "The service"): Q1-Q6 through
// POST /api/count from N concurrent clients (p50/p99 per rule), one segment's members
// streamed as CSV (MB/s), and the list of K saved segments. Run by tools/bench_service.sh,
// which starts the server on the reference data and stops it; never by ctest.
#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tools/workload/workload.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: seg_service_load HOST PORT [CLIENTS=16] [REQUESTS_PER_CLIENT_PER_RULE=50] [SEGMENTS=10000]\n");
    return 2;
  }
  std::string host = argv[1];
  int port = std::atoi(argv[2]);
  int clients = argc > 3 ? std::atoi(argv[3]) : 16;
  int per_client = argc > 4 ? std::atoi(argv[4]) : 50;
  int segments = argc > 5 ? std::atoi(argv[5]) : 10000;

  fmt::print("| rule | server elapsed_ms (median) | HTTP p50 ms | HTTP p99 ms | requests |\n|---|---|---|---|---|\n");
  for (const auto& rule : seg::rt::workload_rules()) {
    std::string body = json{{"rule", rule.text}}.dump();
    std::vector<std::vector<double>> lat(static_cast<size_t>(clients)), server(static_cast<size_t>(clients));
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        httplib::Client cl(host, port);
        cl.set_keep_alive(true);
        cl.set_tcp_nodelay(true);  // as browsers and curl do
        for (int i = 0; i < per_client; ++i) {
          auto t = Clock::now();
          auto r = cl.Post("/api/count", body, "application/json");
          double ms = ms_since(t);
          if (!r || r->status != 200) {
            ++errors;
            continue;
          }
          lat[static_cast<size_t>(c)].push_back(ms);
          server[static_cast<size_t>(c)].push_back(json::parse(r->body)["elapsed_ms"].get<double>());
        }
      });
    }
    for (auto& t : threads) t.join();
    std::vector<double> all, srv;
    for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
    for (auto& v : server) srv.insert(srv.end(), v.begin(), v.end());
    fmt::print("| {} | {:.2f} | {:.2f} | {:.2f} | {}{} |\n", rule.id, percentile(srv, 0.5), percentile(all, 0.5),
               percentile(all, 0.99), all.size(), errors ? fmt::format(" ({} errors)", errors.load()) : "");
  }

  httplib::Client cl(host, port);
  cl.set_read_timeout(600, 0);
  cl.set_tcp_nodelay(true);
  // Members of Q5 (most of the clients) streamed as CSV.
  const auto& q5 = seg::rt::workload_rules()[4];
  auto created = cl.Post("/api/segments", json{{"title", "Q5"}, {"rule", q5.text}}.dump(), "application/json");
  if (!created || created->status != 201) {
    fmt::print(stderr, "cannot create the Q5 segment\n");
    return 1;
  }
  int64_t id = json::parse(created->body)["segment"]["id"];
  auto t = Clock::now();
  size_t bytes = 0;
  auto r = cl.Get(fmt::format("/api/segments/{}/members", id).c_str(), [&](const char*, size_t n) {
    bytes += n;
    return true;
  });
  double s = ms_since(t) / 1000;
  fmt::print("\nmembers of Q5 as CSV: {} bytes in {:.2f} s = {:.0f} MB/s (status {})\n", bytes, s, bytes / 1e6 / s,
             r ? r->status : -1);

  // K saved segments, then the list (with each one's member count).
  for (int i = 1; i < segments; ++i)
    cl.Post("/api/segments", json{{"title", fmt::format("s{}", i)}, {"rule", fmt::format("spot = {}", i % 50)}}.dump(),
            "application/json");
  std::vector<double> list_ms;
  for (int i = 0; i < 3; ++i) {
    auto tl = Clock::now();
    auto l = cl.Get("/api/segments");
    list_ms.push_back(ms_since(tl));
    if (!l || l->status != 200) fmt::print(stderr, "list failed\n");
  }
  fmt::print("list of {} segments with member counts: median {:.0f} ms\n", segments, percentile(list_ms, 0.5));
  return 0;
}
