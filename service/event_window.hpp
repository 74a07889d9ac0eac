// The membership events `seg serve` keeps in memory for GET /api/events, and the pages a
// mailing sender reads them in (docs/service.md). Plain data and arithmetic over spans: the
// server holds the lock; these hold no engine logic.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "seg/seg.hpp"

namespace seg::service {

// Where a sender stands: every event of the versions up to `version` handled, and the first
// `skip` events of the next version that has any. A version's events are in a fixed order
// (segment, then client), so a version larger than a page is split across pages by count.
struct EventCursor {
  uint64_t version = 0;
  uint64_t skip = 0;
};

struct EventPage {
  size_t from = 0, to = 0;  // the events answered: [from, to) of the span given
  EventCursor next;         // the cursor to ask with next time
};

// Of `evs` (version order), the page after `at`: whole versions while they fit in `limit`
// events; a first version with more is split. `upto`: the version `evs` covers to, the
// cursor's version once all of them are answered. Nullopt when `at.skip` is not inside the
// next version's events (not a cursor this service gave).
std::optional<EventPage> page_of_events(std::span<const api::MemberEvent> evs, EventCursor at, size_t limit,
                                        uint64_t upto);

// The newest events, as whole versions: at most 1.5 x `cap` of them (trimmed to `cap`) unless
// the newest version alone has more. Every version in (from(), upto()] is here; older ones
// are dropped from the front as newer ones come (a service that runs for weeks and edits
// rules on millions of clients would otherwise grow by 32 bytes an event, for good).
// upto() is the newest version whose events were given, which is what cursors may reach: a
// change whose events never came (it threw after it was logged) is not skipped over.
class EventWindow {
 public:
  EventWindow(size_t cap, uint64_t from, std::vector<api::MemberEvent> events, uint64_t upto);
  // The events of the versions after upto() up to `upto`, in version order.
  void add(std::span<const api::MemberEvent> evs, uint64_t upto);
  std::span<const api::MemberEvent> events() const { return events_; }
  uint64_t from() const { return from_; }
  uint64_t upto() const { return upto_; }

 private:
  size_t cap_;
  uint64_t from_, upto_;
  std::vector<api::MemberEvent> events_;
};

}  // namespace seg::service
