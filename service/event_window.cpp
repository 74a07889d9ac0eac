// The events kept for GET /api/events and their pages (see event_window.hpp).
#include "service/event_window.hpp"

#include <algorithm>

namespace seg::service {

namespace {

// The index past the events of the version `evs[i]` belongs to.
size_t end_of_version(std::span<const api::MemberEvent> evs, size_t i) {
  const uint64_t v = evs[i].version;
  return static_cast<size_t>(
      std::upper_bound(evs.begin() + static_cast<std::ptrdiff_t>(i), evs.end(), v,
                       [](uint64_t x, const api::MemberEvent& e) { return x < e.version; }) -
      evs.begin());
}

}  // namespace

std::optional<EventPage> page_of_events(std::span<const api::MemberEvent> evs, EventCursor at, size_t limit,
                                        uint64_t upto) {
  const size_t first = static_cast<size_t>(
      std::upper_bound(evs.begin(), evs.end(), at.version, [](uint64_t v, const api::MemberEvent& e) { return v < e.version; }) -
      evs.begin());
  if (at.skip > 0 && (first == evs.size() || at.skip >= end_of_version(evs, first) - first)) return std::nullopt;
  EventPage p;
  p.from = p.to = first + at.skip;
  p.next = {std::max(at.version, upto), 0};
  while (p.to < evs.size()) {
    const size_t end = end_of_version(evs, p.to);
    if (end - p.from <= limit) {
      p.to = end;
      continue;
    }
    if (p.to == p.from) {
      // The page's first version alone is more than a page: split it. The sender has every
      // version before it, and this many of its events.
      p.to = p.from + limit;
      p.next = {at.version, p.to - first};
    } else {
      p.next = {evs[p.to - 1].version, 0};
    }
    break;
  }
  return p;
}

EventWindow::EventWindow(size_t cap, uint64_t from, std::vector<api::MemberEvent> events, uint64_t upto)
    : cap_(cap), from_(from), upto_(upto), events_(std::move(events)) {
  add({}, upto);
}

void EventWindow::add(std::span<const api::MemberEvent> evs, uint64_t upto) {
  events_.insert(events_.end(), evs.begin(), evs.end());
  upto_ = upto;
  // Past half as much again, drop whole versions from the front until the rest fits (the
  // newest version stays whole): each event is then moved about twice, where trimming at
  // every change would move the whole window each time, under the membership's lock.
  if (events_.size() <= cap_ + cap_ / 2) return;
  size_t drop = 0;
  while (drop < events_.size() && events_.size() - drop > cap_) {
    const size_t end = end_of_version(events_, drop);
    if (end == events_.size()) break;
    drop = end;
  }
  if (drop == 0) return;
  from_ = events_[drop - 1].version;
  events_.erase(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(drop));
}

}  // namespace seg::service
