// The service's event pages and the window of events it keeps (service/event_window.hpp),
// against random histories: reading page after page from version 0 gives every event once,
// in order, whatever the page size, and the window holds exactly the newest whole versions.
#include "service/event_window.hpp"

#include <gtest/gtest.h>

#include <random>

namespace {

using seg::api::MemberEvent;
using seg::service::EventCursor;
using seg::service::EventWindow;
using seg::service::page_of_events;

// Versions 1..n, each with 0 to `most` events (some none, some more than a page), in the
// order the membership gives them: by segment, then client.
std::vector<MemberEvent> random_history(std::mt19937_64& rng, uint64_t versions, int most) {
  std::vector<MemberEvent> out;
  for (uint64_t v = 1; v <= versions; ++v) {
    int n = static_cast<int>(rng() % 4 == 0 ? 0 : rng() % static_cast<uint64_t>(most + 1));
    for (int i = 0; i < n; ++i) out.push_back({static_cast<int64_t>(i / 3), static_cast<int64_t>(i), i % 2 == 0, v});
  }
  return out;
}

TEST(EventPages, ReadingPageAfterPageGivesEveryEventOnceInOrder) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    const uint64_t versions = 1 + rng() % 12;
    const auto all = random_history(rng, versions, 9);
    const size_t limit = 1 + rng() % 6;
    std::vector<MemberEvent> read;
    EventCursor at;
    for (int pages = 0;; ++pages) {
      ASSERT_LT(pages, 200);
      auto p = page_of_events(all, at, limit, versions);
      ASSERT_TRUE(p) << "round " << round;
      ASSERT_LE(p->to - p->from, limit);
      // A page ends at a version's end, unless it is one version larger than a page.
      if (p->next.skip == 0 && p->to < all.size() && p->to > 0) {
        EXPECT_NE(all[p->to - 1].version, all[p->to].version) << "round " << round;
        EXPECT_EQ(p->next.version, all[p->to - 1].version);
      }
      if (p->next.skip) {
        EXPECT_EQ(p->to - p->from, limit);
      }
      read.insert(read.end(), all.begin() + static_cast<std::ptrdiff_t>(p->from), all.begin() + static_cast<std::ptrdiff_t>(p->to));
      if (p->from == p->to) {
        EXPECT_EQ(p->next.version, versions);
        EXPECT_EQ(p->next.skip, 0u);
        break;
      }
      EXPECT_TRUE(p->next.version > at.version || p->next.skip > at.skip) << "round " << round;
      at = p->next;
    }
    EXPECT_EQ(read, all) << "round " << round << ", limit " << limit;
  }
}

TEST(EventPages, ASkipOutsideTheNextVersionIsRefused) {
  // Version 2: three events; version 3: none; version 4: one.
  const std::vector<MemberEvent> evs = {{1, 1, true, 2}, {1, 2, true, 2}, {2, 1, false, 2}, {1, 3, true, 4}};
  EXPECT_EQ(page_of_events(evs, {1, 2}, 10, 4)->from, 2u);
  EXPECT_EQ(page_of_events(evs, {0, 2}, 10, 4)->from, 2u);  // no events in version 1
  EXPECT_FALSE(page_of_events(evs, {1, 3}, 10, 4));  // all three: that cursor would be {2, 0}
  EXPECT_FALSE(page_of_events(evs, {2, 1}, 10, 4));  // version 4 has one
  EXPECT_FALSE(page_of_events(evs, {4, 1}, 10, 4));  // nothing after 4
  auto p = page_of_events(evs, {1, 1}, 1, 4);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->from, 1u);
  EXPECT_EQ(p->to, 2u);
  EXPECT_EQ(p->next.version, 1u);
  EXPECT_EQ(p->next.skip, 2u);
  p = page_of_events(evs, {2, 0}, 1, 4);  // version 3 has none: 4's one event, and 4 is done
  EXPECT_EQ(p->to - p->from, 1u);
  EXPECT_EQ(p->next.version, 4u);
}

TEST(EventWindow, KeepsTheNewestWholeVersionsWithinItsBound) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 200; ++round) {
    const size_t cap = 1 + rng() % 8;
    const uint64_t versions = 1 + rng() % 30;
    const auto all = random_history(rng, versions, 12);
    // Given in pieces of whole versions, as changes come.
    EventWindow w(cap, 0, {}, 0);
    size_t i = 0;
    uint64_t newest = 0;
    while (i < all.size()) {
      size_t j = i;
      const uint64_t upto = all[i].version + rng() % 3;
      while (j < all.size() && all[j].version <= upto) ++j;
      w.add(std::span<const MemberEvent>(all).subspan(i, j - i), upto);
      newest = all[j - 1].version;
      EXPECT_EQ(w.upto(), upto);
      i = j;
      // Exactly every event of the versions after from(), which is a version's end.
      std::vector<MemberEvent> want;
      for (size_t k = 0; k < i; ++k)
        if (all[k].version > w.from()) want.push_back(all[k]);
      ASSERT_EQ(std::vector<MemberEvent>(w.events().begin(), w.events().end()), want) << "round " << round;
      const size_t newest_alone = static_cast<size_t>(
          std::count_if(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(i), [&](const MemberEvent& e) { return e.version == newest; }));
      EXPECT_LE(w.events().size(), std::max(cap + cap / 2, newest_alone)) << "round " << round;
      EXPECT_LT(w.from(), newest);  // the newest version stays, however large
    }
  }
}

TEST(EventWindow, TrimsOnlyPastHalfAsMuchAgain) {
  // Cap 4: six single-event versions stay (at most 6), a seventh trims to the newest four.
  EventWindow w(4, 0, {}, 0);
  for (uint64_t v = 1; v <= 6; ++v) {
    const MemberEvent e{1, static_cast<int64_t>(v), true, v};
    w.add(std::span<const MemberEvent>(&e, 1), v);
  }
  EXPECT_EQ(w.from(), 0u);
  EXPECT_EQ(w.events().size(), 6u);
  const MemberEvent e{1, 7, true, 7};
  w.add(std::span<const MemberEvent>(&e, 1), 7);
  EXPECT_EQ(w.from(), 3u);
  ASSERT_EQ(w.events().size(), 4u);
  EXPECT_EQ(w.events().front().version, 4u);
}

}  // namespace
