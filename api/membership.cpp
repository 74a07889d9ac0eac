// seg::api::Membership: many segments' members over one store, from the shared pass
// (runtime/membership/refresh.cpp). Segments of equal meaning (Rule::hash and canonical text)
// are evaluated once and share their bitmap.
#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "api/impl.hpp"
#include "runtime/exec/bandwidth.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/membership/refresh.hpp"
#include "runtime/storage/value_index.hpp"

namespace seg::api {

struct Membership::Impl {
  std::shared_ptr<const Store::Impl> store;
  std::vector<int64_t> order;                   // segment ids, as given
  std::unordered_map<int64_t, size_t> set_of;   // segment id -> index in `sets`
  std::vector<rt::RowSet> sets;                 // by distinct rule (RefreshOptions::members)
  std::vector<uint64_t> counts;                 // by distinct rule
  RefreshStats stats;

  size_t index(int64_t segment) const {
    auto it = set_of.find(segment);
    if (it == set_of.end()) throw std::out_of_range("seg::api::Membership: segment " + std::to_string(segment) + " was not refreshed");
    return it->second;
  }
  const rt::RowSet& set(int64_t segment) const {
    size_t i = index(segment);
    if (sets.empty()) throw std::logic_error("seg::api::Membership: refreshed with counts only (RefreshOptions::members)");
    return sets[i];
  }
};

Membership Membership::refresh(const std::vector<SegmentQuery>& segments, const RunOptions& options,
                               const RefreshOptions& how) {
  auto t0 = std::chrono::steady_clock::now();
  auto m = std::make_shared<Impl>();
  if (segments.empty()) return Membership{m};
  for (const auto& s : segments) {
    need(s.query.impl, "Membership::refresh");  // an empty Query said as such, not as another Store
    if (s.query.impl->store.get() != segments[0].query.impl->store.get())
      throw std::invalid_argument("seg::api::Membership::refresh: every query must be prepared on the same Store");
  }
  m->store = segments[0].query.impl->store;
  const rt::Store& store = m->store->store;
  const int64_t now = options.now ? *options.now : clock_now();
  // One plan per meaning: equal hash and equal canonical text (the hash alone could collide).
  std::map<std::pair<uint64_t, std::string>, size_t> distinct;
  std::vector<rt::Plan> plans;
  std::vector<size_t> plan_of(segments.size());
  for (size_t i = 0; i < segments.size(); ++i) {
    const Rule::Impl& r = *segments[i].query.impl->rule;
    auto [it, fresh] = distinct.try_emplace({r.hash, r.text}, plans.size());
    if (fresh) plans.push_back(rt::build_plan(*r.ir, store, now));
    plan_of[i] = it->second;
  }
  std::vector<const rt::Plan*> ptrs;
  for (const auto& p : plans) ptrs.push_back(&p);
  rt::Refreshed r = rt::refresh(ptrs, store, {.members = how.members, .share = how.share});
  m->sets = std::move(r.sets);
  m->counts = std::move(r.counts);
  m->stats.shared_tests = r.shared_tests;
  m->stats.shared_uses = r.shared_uses;
  m->stats.column_bytes = rt::plans_bytes(ptrs, store);
  for (size_t i = 0; i < segments.size(); ++i) {
    if (!m->set_of.emplace(segments[i].id, plan_of[i]).second)
      throw std::invalid_argument("seg::api::Membership::refresh: segment " + std::to_string(segments[i].id) + " given twice");
    m->order.push_back(segments[i].id);
  }
  m->stats.segments = segments.size();
  m->stats.distinct = plans.size();
  m->stats.blocks = store.blocks();
  for (const auto& s : m->sets) m->stats.bitmap_bytes += s.bytes();
  m->stats.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (how.measure_floor) {
    m->stats.scan_bytes_per_second = rt::measure_scan_bandwidth();
    if (m->stats.scan_bytes_per_second > 0)
      m->stats.read_once_ms = static_cast<double>(m->stats.column_bytes) / m->stats.scan_bytes_per_second * 1e3;
  }
  return Membership{m};
}

std::vector<SegmentCount> Membership::counts() const {
  need(impl, "Membership::counts");
  std::vector<SegmentCount> out;
  for (int64_t id : impl->order) out.push_back({id, impl->counts[impl->index(id)]});
  return out;
}

uint64_t Membership::count(int64_t segment) const {
  need(impl, "Membership::count");
  return impl->counts[impl->index(segment)];
}

bool Membership::contains(int64_t segment, int64_t client) const {
  need(impl, "Membership::contains");
  const rt::RowSet& s = impl->set(segment);
  auto row = rt::row_of_id(impl->store->store, client);
  return row && s.contains(static_cast<uint32_t>(*row));
}

std::vector<int64_t> Membership::ids(int64_t segment) const {
  need(impl, "Membership::ids");
  const rt::RowSet& s = impl->set(segment);
  const rt::Store& store = impl->store->store;
  std::vector<int64_t> out;
  out.reserve(s.count());
  for (uint32_t r : s.rows()) out.push_back(store.id_at(r));
  if (!store.ids_sorted()) std::sort(out.begin(), out.end());
  return out;
}

const RefreshStats& Membership::stats() const {
  need(impl, "Membership::stats");
  static const RefreshStats none;
  return impl ? impl->stats : none;
}

}  // namespace seg::api
