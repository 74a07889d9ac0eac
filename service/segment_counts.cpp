// The segments service's counts of its saved segments: a cache by segment version and data
// version (a rule naming `now` counted again after --clock-counts seconds), warmed on a
// background thread below the requests whenever the data or the catalog changes, so that
// the Segments page's table lists counts without waiting.
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "service/server_impl.hpp"

namespace seg::service {

void Server::Impl::warm() {
  std::lock_guard lock(warm_mu);
  ++warm_wanted;
  warm_cv.notify_one();
}

void Server::Impl::warm_loop() {
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
    // A failure here (out of memory, the catalog's file) is logged and left to the next
    // request for a count, which reports it: a background thread's exception would end the
    // process.
    try {
      auto d = current();
      bool whole = true;
      const auto listing = catalog->list_light(true);  // held: see the listing in routes_catalog.cpp
      for (const Segment& s : *listing) {  // archived ones too: "Show archived"
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
    } catch (const std::exception& e) {
      log_line(stderr, fmt::format("seg serve: counting the saved segments ahead stopped: {}", e.what()));
    }
  }
}

void Server::Impl::remember(const Segment& s, const Data& d, std::optional<uint64_t> n, std::string summary,
                            std::optional<int64_t> counted_at) {
  std::lock_guard lock(counts_mu);
  counts[s.id] = CachedCount{s.version, d.version, n, std::move(summary), counted_at};
}

Server::Impl::CachedCount Server::Impl::facts_of(const Segment& s, const Data& d) {
  if (auto f = cached_facts(s, d)) return *f;
  api::Rule rule = api::Rule::compile(s.content.rule_text, d.schema);
  std::optional<uint64_t> n;
  std::optional<int64_t> at;
  std::string summary = s.content.rule_text;
  if (rule.ok()) {
    api::RunOptions o;
    if (rule.uses_now()) at = o.now = clock_seconds();
    n = query(rule, d).count(o).count;
    summary = rule.summary();
  }
  remember(s, d, n, summary, at);
  return CachedCount{s.version, d.version, n, summary, at};
}

std::optional<Server::Impl::CachedCount> Server::Impl::cached_facts(const Segment& s, const Data& d) {
  std::lock_guard lock(counts_mu);
  auto it = counts.find(s.id);
  if (it == counts.end() || it->second.version != s.version || it->second.data_version != d.version) return std::nullopt;
  if (it->second.counted_at && clock_seconds() - *it->second.counted_at >= options.clock_counts_seconds) return std::nullopt;
  return it->second;
}

json Server::Impl::segment_with_facts(const Segment& s, const Data& d, bool with_ir) {
  json j = segment_json(s, with_ir);
  CachedCount f = facts_of(s, d);
  j["summary"] = f.summary;
  j["clients"] = f.count ? json(*f.count) : json(nullptr);
  if (auto n = membership_count(s); n) j["clients"] = *n;
  return j;
}

}  // namespace seg::service
