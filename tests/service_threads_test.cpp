// `seg serve` under several threads at once: the service tests the ThreadSanitizer run takes
// (tools/sanitize.sh), in a file of their own so its build compiles only these (the whole of
// service_test.cpp was 46 s of its CPU and the last 25 s on one core). The harness is
// service_harness.hpp.
#include <gtest/gtest.h>

#include "tests/service_harness.hpp"

namespace service_test {
namespace {

// Long polls and member streams hold a worker thread each while they wait; at most 32 of the
// 64 do, so the rest of the API answers however many clients wait (64 long polls used to
// hold every thread: the page and every count waited up to 30 s behind them).
TEST(Service, WaitingRequestsLeaveThreadsForEveryoneElse) {
  ServedSpot12 m("seg_serve_waiting");
  ASSERT_EQ(m.error, "");
  Serve& s = m.serve;
  auto c = s.client();
  int st = 0;
  const uint64_t v = get(c, "/api/membership")["version"].get<uint64_t>();
  // 70 long polls at once, each on its own connection, closed after its answer.
  const std::string poll = fmt::format("GET /api/events?since={}&wait=30 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", v);
  std::vector<int> fds;
  for (int i = 0; i < 70; ++i) {
    int fd = raw_send(s.host(), s.port(), poll);
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
  }
  // Those beyond the 32 that may wait are answered at once: 503 busy, with a Retry-After.
  // An answer is whole when the server closes its connection.
  std::map<int, std::string> answers, partial;
  auto read_answers = [&](size_t want, std::chrono::seconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (answers.size() < want && std::chrono::steady_clock::now() < until) {
      for (int fd : fds) {
        if (answers.count(fd)) continue;
        char buf[4096];
        ssize_t got;
        while ((got = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) partial[fd].append(buf, static_cast<size_t>(got));
        if (got == 0) answers[fd] = partial[fd];
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  read_answers(38, std::chrono::seconds(20));
  ASSERT_EQ(answers.size(), 38u);
  for (const auto& [fd, text] : answers) {
    EXPECT_NE(text.find("HTTP/1.1 503"), std::string::npos) << text;
    EXPECT_NE(text.find("Retry-After: 2"), std::string::npos) << text;
    EXPECT_NE(text.find("\"busy\""), std::string::npos) << text;
  }
  // The others wait, and say so in /api/health; the API still answers, without waiting.
  auto quick = s.client();
  quick.set_read_timeout(5, 0);
  json health = get(quick, "/api/health", &st);
  ASSERT_EQ(st, 200) << health.dump();
  EXPECT_EQ(health["waiting"], 32);
  EXPECT_EQ(post(quick, "/api/count", {{"rule", "spot = 12"}}, &st)["count"], 3);
  EXPECT_EQ(st, 200);
  // A member stream would wait on its reader too: busy while 32 wait.
  auto members = quick.Get("/api/segments/1/members");
  ASSERT_TRUE(members);
  EXPECT_EQ(members->status, 503) << members->body;
  EXPECT_EQ(members->get_header_value("Retry-After"), "2");
  // A change answers every waiting poll with its events, and frees their threads.
  post(quick, "/api/changes", {{"deletes", {1}}}, &st);
  ASSERT_EQ(st, 200);
  read_answers(70, std::chrono::seconds(20));
  ASSERT_EQ(answers.size(), 70u);
  int answered = 0;
  for (const auto& [fd, text] : answers)
    if (text.find("HTTP/1.1 200") != std::string::npos) {
      ++answered;
      EXPECT_NE(text.find("\"exited\""), std::string::npos) << text;
    }
  EXPECT_EQ(answered, 32);
  for (int fd : fds) ::close(fd);
  // Nothing holds a slot now: a stream runs whole, and a long poll waits again.
  auto streamed = quick.Get("/api/segments/1/members");
  ASSERT_TRUE(streamed);
  EXPECT_EQ(streamed->status, 200) << streamed->body;
  EXPECT_EQ(streamed->body, "client_id\n2\n4\n");  // the membership's: client 1 was deleted
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (get(quick, "/api/health")["waiting"] != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(get(quick, "/api/health")["waiting"], 0);
}

// A long poll whose client hangs up gives its waiting slot back within about half a second,
// not at the end of its wait (a review: 32 followers whose HTTP timeout was shorter than their
// `wait` held every slot, and every other follower got 503 busy for up to 30 s). Both long
// polls, events and membership; a poll whose client stays is still answered by a change.
TEST(Service, ALongPollWhoseClientHangsUpGivesItsSlotBack) {
  ServedSpot12 m("seg_serve_hang_up");
  ASSERT_EQ(m.error, "");
  Serve& s = m.serve;
  auto quick = s.client();
  quick.set_read_timeout(5, 0);
  int st = 0;
  const uint64_t v = get(quick, "/api/membership")["version"].get<uint64_t>();
  auto waiting = [&](int want) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (get(quick, "/api/health")["waiting"] != want && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return get(quick, "/api/health")["waiting"].get<int>();
  };
  std::vector<int> fds;
  for (int i = 0; i < 32; ++i) {
    const std::string path = i % 2 ? fmt::format("/api/events?since={}&wait=30", v) : fmt::format("/api/membership?since={}&wait=30", v);
    int fd = raw_send(s.host(), s.port(), fmt::format("GET {} HTTP/1.1\r\nHost: t\r\n\r\n", path));
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
  }
  ASSERT_EQ(waiting(32), 32);
  auto busy = quick.Get(fmt::format("/api/events?since={}&wait=1", v));
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503);
  // All but one hang up: their slots come back long before their 30 s.
  const auto hung_up = std::chrono::steady_clock::now();
  for (size_t i = 1; i < fds.size(); ++i) ::close(fds[i]);
  EXPECT_EQ(waiting(1), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - hung_up, std::chrono::seconds(5));
  auto again = quick.Get(fmt::format("/api/events?since={}&wait=1", v));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200) << again->body;
  // The one still there gets the change's answer.
  post(quick, "/api/changes", {{"deletes", {1}}}, &st);
  ASSERT_EQ(st, 200);
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  char buf[4096];
  while (answer.find("\"counts\"") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    ssize_t got = ::recv(fds[0], buf, sizeof buf, MSG_DONTWAIT);
    if (got > 0) answer.append(buf, static_cast<size_t>(got));
    else std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
  EXPECT_NE(answer.find("\"counts\""), std::string::npos) << answer;
  ::close(fds[0]);
  EXPECT_EQ(waiting(0), 0);
}

// With --membership a segment's member stream is the membership's members, the clients the
// table counts as changes left them, not the data file's (found by writing the test above:
// a mailing sender was streamed a client deleted an hour before).
TEST(Service, MemberStreamsWithAMembershipAreItsMembers) {
  ServedSpot12 m("seg_serve_live_members");
  ASSERT_EQ(m.error, "");
  auto c = m.serve.client();
  int st = 0;
  // Client 1 deleted, 6 added in spot 12, 4 moved out of it: members 2 and 6.
  post(c, "/api/changes",
       {{"rows", std::string(kHeader) + "6,60,12,Active,VIP|Top-up,0.00,2025-01-01T00:00:00Z,,DE\n" +
                     "4,40,13,NotProcessed,REGISTERED,1.00,2025-04-01T00:00:00Z,2026-10-03T00:00:00Z,DE\n"},
        {"deletes", {1}}},
       &st);
  ASSERT_EQ(st, 200);
  const uint64_t version = get(c, "/api/membership")["version"].get<uint64_t>();
  auto r = c.Get("/api/segments/1/members");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "client_id\n2\n6\n");
  EXPECT_EQ(r->get_header_value("X-Seg-Members"), "2");
  EXPECT_EQ(r->get_header_value("X-Seg-Data-Version"), std::to_string(version));
  json listed = get(c, "/api/segments");
  EXPECT_EQ(listed["segments"][0]["clients"], 2) << listed.dump();  // what the table shows
  // A rule change's effect is over the same clients: of members 2 and 6, VIP keeps only 6
  // (over the data file as loaded, clients 1 and 4 would count too).
  json changed = post(c, "/api/diff", {{"before", {{"rule", "spot = 12"}}}, {"after", {{"rule", "spot = 12 and tag any (VIP)"}}}}, &st);
  ASSERT_EQ(st, 200) << changed.dump();
  EXPECT_EQ(changed["before"]["count"], 2) << changed.dump();
  EXPECT_EQ(changed["exited"]["sample"], json::array({2})) << changed.dump();
  EXPECT_EQ(changed["stayed"], 1);
  EXPECT_EQ(changed["exited"]["because"], json::parse(R"j([{"clause":"tag any (VIP)","fails":1},{"clause":"spot = 12","fails":0}])j"))
      << changed.dump();
  EXPECT_EQ(changed["membership_version"], version);
  EXPECT_TRUE(changed["instance"].is_string());
  // At the membership's instant unless the body names one: in 2000 nobody had registered.
  const json by_time = {{"before", {{"rule", "registered_at < now - 1d"}}}, {"after", {{"rule", "spot = 12"}}}};
  EXPECT_EQ(post(c, "/api/diff", by_time)["before"]["count"], 5);  // clients 2 to 6 (1 deleted)
  json then = by_time;
  then["now"] = "2000-01-01";
  EXPECT_EQ(post(c, "/api/diff", then)["before"]["count"], 0);
  // Columns: the cells as the changes left them; JSON Lines typed.
  r = c.Get("/api/segments/1/members?format=jsonl&columns=stage,tags,last_active_at");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body,
            "{\"client_id\":2,\"stage\":\"Registration\",\"tags\":[\"REGISTERED\"],\"last_active_at\":null}\n"
            "{\"client_id\":6,\"stage\":\"Active\",\"tags\":[\"Top-up\",\"VIP\"],\"last_active_at\":null}\n");
  // A cursor resumes after a member; a resume on another version is refused.
  r = c.Get(fmt::format("/api/segments/1/members?cursor=2&data_version={}&columns=spot", version));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "client_id,spot\n6,12\n");
  EXPECT_EQ(r->get_header_value("X-Seg-Members"), "1");
  post(c, "/api/changes", {{"deletes", {6}}}, &st);
  ASSERT_EQ(st, 200);
  r = c.Get(fmt::format("/api/segments/1/members?cursor=2&data_version={}", version));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  r = c.Get("/api/segments/1/members?cursor=2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "client_id\n");
  EXPECT_EQ(r->get_header_value("X-Seg-Members"), "0");
  // A clock step and a refused batch in one request: the step stays, and the answer says so.
  const uint64_t before = get(c, "/api/membership")["version"].get<uint64_t>();
  json refused = post(c, "/api/changes", {{"now", "2027-01-01"}, {"rows", std::string(kHeader) + "7,70,12,Nowhere,,0,2025-01-01,,DE\n"}}, &st);
  EXPECT_EQ(st, 422);
  EXPECT_NE(refused["error"]["message"].get<std::string>().find(
                fmt::format("the clock step before it is applied and kept (version {})", before + 1)),
            std::string::npos)
      << refused.dump();
  EXPECT_EQ(get(c, "/api/membership")["version"], before + 1);
}

// A batch past --compact-after starts a new base on its own thread: the change is answered at
// once, the service takes the new generation over with no further request, and the events
// before and after it still read as one history, across a restart too.
TEST(Service, MembershipCompactsInTheBackground) {
  MembershipDir m0("seg_serve_compaction");
  ASSERT_TRUE(m0.ok);
  Serve s({"--membership", m0.state, "--compact-after", "2"}, m0.csv);
  ASSERT_TRUE(s.started()) << s.startup_error;
  int st = 0;
  const json v2 = json::parse(
      R"([{"segment":1,"client":6,"event":"entered","version":2},{"segment":1,"client":7,"event":"entered","version":2}])");
  const json v3 = json::parse(R"([{"segment":1,"client":2,"event":"exited","version":3}])");
  json all = v2;
  all.insert(all.end(), v3.begin(), v3.end());
  {
    auto c = s.client();
    ASSERT_EQ(post(c, "/api/segments", {{"title", "Spot 12"}, {"rule", "spot = 12"}}, &st)["segment"]["id"], 1);
    std::string rows = std::string(kHeader) + "6,60,12,Active,VIP,0.00,2025-01-01T00:00:00Z,,DE\n" +
                       "7,70,12,Active,VIP,0.00,2025-01-01T00:00:00Z,,DE\n" + "8,80,13,Active,VIP,0.00,2025-01-01T00:00:00Z,,DE\n";
    json changed = post(c, "/api/changes", {{"rows", rows}}, &st);  // version 2: 3 rows, past the mark
    ASSERT_EQ(st, 200) << changed.dump();
    EXPECT_EQ(changed["events"].dump(), v2.dump());
    // Taken over with no further request: generation 2 appears.
    const fs::path gen2 = fs::path(m0.state) / "gen-2.json";
    for (int i = 0; i < 300 && !fs::exists(gen2); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(fs::exists(gen2));
    changed = post(c, "/api/changes", {{"deletes", {2}}}, &st);  // version 3, in the new generation's log
    ASSERT_EQ(st, 200) << changed.dump();
    EXPECT_EQ(changed["events"].dump(), v3.dump());
    EXPECT_EQ(get(c, "/api/events?since=0", &st)["events"].dump(), all.dump());
    json m = get(c, "/api/membership", &st);
    EXPECT_EQ(m["version"], 3);
    EXPECT_EQ(m["clients"], 7);
    EXPECT_EQ(m["compaction"]["generation"], 2) << m.dump();
    EXPECT_EQ(m["compaction"]["running"], false) << m.dump();
    EXPECT_EQ(m["compaction"]["done"], 1) << m.dump();
    EXPECT_EQ(m["compaction"]["failures"], 0) << m.dump();
    EXPECT_FALSE(m["compaction"].contains("last_error")) << m.dump();
  }
  std::string instance;
  {
    // Each start has its own instance, in every answer with a membership version, so the
    // page tells a restart from a late answer.
    auto c = s.client();
    instance = get(c, "/api/membership")["instance"];
    EXPECT_EQ(instance.size(), 16u);
    EXPECT_EQ(get(c, "/api/segments?counts=cached")["instance"], instance);
    EXPECT_EQ(post(c, "/api/count", {{"rule", "spot = 12"}})["instance"], instance);
    EXPECT_EQ(get(c, "/api/schema")["instance"], instance);
  }
  ASSERT_EQ(s.stop(), 0);
  std::vector<seg::api::Diagnostic> d;
  auto read = seg::api::LiveMembership::read(m0.state, d);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->generation(), 2u);
  EXPECT_EQ(read->version(), 3u);
  s.kill_and_restart();
  ASSERT_TRUE(s.started()) << s.startup_error;
  auto c = s.client();
  EXPECT_EQ(get(c, "/api/events?since=0", &st)["events"].dump(), all.dump());
  EXPECT_EQ(get(c, "/api/membership", &st)["clients"], 7);
  EXPECT_NE(get(c, "/api/membership")["instance"], instance);
}

// Membership kept current over HTTP (--membership DIR): counts, a change's events, a long
// poll woken by a change, resuming from a version, the errors, and the events surviving a
// SIGKILL of the server.
TEST(Service, MembershipChangesAndEventsOverHttp) {
  MembershipDir m0("seg_serve_membership");
  ASSERT_TRUE(m0.ok);
  const std::string &csv = m0.csv, &state = m0.state;
  Serve s({"--membership", state}, csv);
  ASSERT_TRUE(s.started()) << s.startup_error;
  auto c = s.client();
  int st = 0;
  // Segments saved in the catalog join the membership, each as a version.
  json a = post(c, "/api/segments", {{"title", "Spot 12"}, {"rule", "spot = 12"}}, &st);
  ASSERT_EQ(st, 201) << a.dump();
  json b = post(c, "/api/segments", {{"title", "VIP"}, {"rule", "tag any (VIP)"}}, &st);
  ASSERT_EQ(st, 201) << b.dump();
  ASSERT_EQ(a["segment"]["id"], 1);
  ASSERT_EQ(b["segment"]["id"], 2);
  json m = get(c, "/api/membership", &st);
  ASSERT_EQ(st, 200) << m.dump();
  EXPECT_EQ(m["version"], 2);
  EXPECT_EQ(m["counts"], json::parse(R"([{"segment":1,"count":3},{"segment":2,"count":2}])"));
  // A long poll from version 2, answered by the change below.
  json polled;
  std::thread poll([&] {
    auto pc = s.client();
    polled = get(pc, "/api/events?since=2&wait=20");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  json changed = post(c, "/api/changes",
                      {{"rows", std::string(kHeader) + "6,60,12,Active,VIP,0.00,2025-01-01T00:00:00Z,,DE\n"}, {"deletes", {1}}}, &st);
  poll.join();
  ASSERT_EQ(st, 200) << changed.dump();
  EXPECT_EQ(changed["version"], 3);
  const json want = json::parse(R"([{"segment":1,"client":1,"event":"exited","version":3},
                                   {"segment":1,"client":6,"event":"entered","version":3},
                                   {"segment":2,"client":1,"event":"exited","version":3},
                                   {"segment":2,"client":6,"event":"entered","version":3}])");
  EXPECT_EQ(changed["events"], want);
  EXPECT_EQ(polled["events"], want) << polled.dump();
  EXPECT_EQ(polled["next"], 3);
  // Resuming from the version handled: nothing new, at once.
  json rest = get(c, "/api/events?since=3", &st);
  EXPECT_EQ(st, 200);
  EXPECT_EQ(rest["events"], json::array());
  EXPECT_EQ(rest["next"], 3);
  // Errors: a bad row (422 with its line and code), a client both upserted and deleted, time
  // going back, a bad cursor; nothing of them is kept.
  json bad = post(c, "/api/changes", {{"rows", std::string(kHeader) + "7,70,12,Nowhere,,0,2025-01-01,,DE\n"}}, &st);
  EXPECT_EQ(st, 422);
  EXPECT_EQ(bad["diagnostics"][0]["code"], "E706");
  EXPECT_EQ(bad["diagnostics"][0]["line"], 2);
  json both = post(c, "/api/changes", {{"rows", std::string(kHeader) + "6,60,12,Active,,0,2025-01-01,,DE\n"}, {"deletes", {6}}}, &st);
  EXPECT_EQ(st, 422);
  EXPECT_EQ(both["diagnostics"][0]["code"], "E804");
  EXPECT_EQ(both["diagnostics"][0]["line"], 2);
  EXPECT_EQ(both["error"]["message"].get<std::string>().find("clock"), std::string::npos) << both.dump();
  post(c, "/api/changes", {{"now", "2020-01-01"}}, &st);
  EXPECT_EQ(st, 400);
  post(c, "/api/changes", {{"rows", 5}}, &st);
  EXPECT_EQ(st, 400);
  get(c, "/api/events?since=x", &st);
  EXPECT_EQ(st, 400);
  auto past_int64 = c.Post("/api/changes", R"({"deletes": [18446744073709551615]})", "application/json");
  ASSERT_TRUE(past_int64);
  EXPECT_EQ(past_int64->status, 400) << past_int64->body;  // not client -1 deleted
  get(c, "/api/events?wait=31", &st);
  EXPECT_EQ(st, 400);
  get(c, "/api/membership?since=1&wait=99", &st);
  EXPECT_EQ(st, 400);
  EXPECT_EQ(get(c, "/api/membership")["version"], 3);
  // The table's counts are the membership's, not the snapshot's (3 and 2 there).
  post(c, "/api/changes", {{"deletes", {6}}}, &st);
  ASSERT_EQ(st, 200);
  json listed = get(c, "/api/segments", &st);
  ASSERT_EQ(st, 200);
  EXPECT_EQ(listed["membership_version"], 4);
  EXPECT_EQ(listed["clients"], 4);  // the page's header: the membership's clients
  json schema = get(c, "/api/schema", &st);
  EXPECT_EQ(schema["clients"], 4);
  EXPECT_EQ(schema["membership_version"], 4);
  EXPECT_EQ(schema["rows"], get(c, "/api/health")["rows"]);  // still the data file's rows
  EXPECT_NE(schema["rows"], 4);
  EXPECT_EQ(listed["segments"][0]["clients"], 2) << listed.dump();  // 2 and 4
  EXPECT_EQ(listed["segments"][1]["clients"], 1) << listed.dump();  // 3
  EXPECT_EQ(get(c, "/api/segments/2")["segment"]["clients"], 1);
  // The editor's live count is of the same clients as the table: client 1 deleted, 6 added
  // and deleted (the data file still has 1 and not 6); a preview shows them as they are.
  json counted = post(c, "/api/count", {{"rule", "spot = 12"}, {"preview", 5}}, &st);
  ASSERT_EQ(st, 200) << counted.dump();
  EXPECT_EQ(counted["count"], 2) << counted.dump();
  EXPECT_EQ(counted["rows_total"], 4);
  EXPECT_EQ(counted["membership_version"], 4);
  ASSERT_EQ(counted["preview"]["rows"].size(), 2u);
  EXPECT_EQ(counted["preview"]["rows"][0][0], "2");
  EXPECT_EQ(counted["preview"]["rows"][1][0], "4");
  // A rule with errors is still answered as before.
  post(c, "/api/count", {{"rule", "spot = "}}, &st);
  EXPECT_EQ(st, 422);
  // A rule edited in the catalog: the membership's events are the people it moves.
  auto put = c.Put("/api/segments/2", json{{"version", 1}, {"rule", "tag any (VIP) or spot = 12"}}.dump(), "application/json");
  ASSERT_TRUE(put && put->status == 200) << (put ? put->body : "no answer");
  const json edited = json::parse(R"([{"segment":2,"client":2,"event":"entered","version":5},
                                     {"segment":2,"client":4,"event":"entered","version":5}])");
  EXPECT_EQ(get(c, "/api/events?since=4")["events"], edited);
  // Archived: out of the membership, without events.
  auto del = c.Delete("/api/segments/1?version=1");
  ASSERT_TRUE(del && del->status == 200) << (del ? del->body : "no answer");
  json after = get(c, "/api/membership?since=5&wait=5", &st);  // version 6 is there: at once
  EXPECT_EQ(st, 200);
  EXPECT_EQ(after["version"], 6);
  EXPECT_EQ(after["counts"], json::parse(R"([{"segment":2,"count":3}])"));
  json all = json::array();
  for (const auto& e : want) all.push_back(e);
  all.push_back({{"segment", 2}, {"client", 6}, {"event", "exited"}, {"version", 4}});
  all.push_back({{"segment", 1}, {"client", 6}, {"event", "exited"}, {"version", 4}});
  for (const auto& e : edited) all.push_back(e);
  auto by_version = [](json j) {
    std::vector<json> v(j.begin(), j.end());
    std::sort(v.begin(), v.end(), [](const json& x, const json& y) {
      return std::tie(x["version"], x["segment"], x["client"]) < std::tie(y["version"], y["segment"], y["client"]);
    });
    return json(v);
  };
  EXPECT_EQ(by_version(get(c, "/api/events?since=0")["events"]), by_version(all));
  // Killed and started again: the acknowledged changes and their events are still there.
  s.kill_and_restart();
  ASSERT_TRUE(s.started()) << s.startup_error;
  auto c2 = s.client();
  json again = get(c2, "/api/events?since=0", &st);
  EXPECT_EQ(st, 200);
  EXPECT_EQ(by_version(again["events"]), by_version(all));
  EXPECT_EQ(get(c2, "/api/membership")["counts"], json::parse(R"([{"segment":2,"count":3}])"));
  EXPECT_EQ(get(c2, "/api/membership")["version"], 6);  // nothing to catch up on
  s.stop();
  // A membership holding a segment the catalog never had is refused, not emptied.
  {
    const std::string other = (m0.dir / "other").string();
    std::vector<seg::api::Diagnostic> d;
    auto store = seg::api::Store::open(csv, seg::api::Schema::crm(), d);
    ASSERT_TRUE(seg::api::LiveMembership::create(other, *store, {{99, "spot = 12"}}, 1790000000, d));
    Serve stranger({"--membership", other}, csv);
    EXPECT_FALSE(stranger.started());
    EXPECT_NE(stranger.startup_error.find("segments 99 are not in the catalog"), std::string::npos) << stranger.startup_error;
    // The catalog this refused start made, empty, is not left behind (a review).
    EXPECT_FALSE(std::filesystem::exists(stranger.catalog())) << stranger.catalog();
  }
  // A directory another service has open, or one that is not a membership: an error at the
  // start that says so (it was a crash: found by a review).
  {
    s.kill_and_restart();
    ASSERT_TRUE(s.started()) << s.startup_error;
    Serve second({"--membership", state}, csv);
    EXPECT_FALSE(second.started());
    EXPECT_NE(second.startup_error.find("is changing this membership"), std::string::npos) << second.startup_error;
    EXPECT_EQ(second.stop(), 2 << 8);  // exit 2, not a signal
    Serve nowhere({"--membership", (m0.dir / "nowhere").string()}, csv);
    EXPECT_FALSE(nowhere.started());
    EXPECT_NE(nowhere.startup_error.find("not a membership directory"), std::string::npos) << nowhere.startup_error;
    s.stop();
  }
  // Without --membership, the endpoints say how to get one.
  {
    Serve plain;
    auto pc = plain.client();
    json none = get(pc, "/api/events", &st);
    EXPECT_EQ(st, 404);
    EXPECT_EQ(none["error"]["code"], "no_membership");
  }
}

TEST(Service, SavesAndListingsAtOnceLeaveTheServiceStanding) {
  Serve s;
  ASSERT_TRUE(s.started()) << s.startup_error;
  std::atomic<int> saved{0}, failures{0};
  std::atomic<bool> stop{false};
  std::mutex seen_mutex;
  std::string seen;  // what the failures were: status (0: no answer) and request
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&, t] {
      auto c = s.client();
      for (int i = 0; !stop; ++i) {
        int st = 0;
        bool ok = true;
        if (t % 3 == 0) {
          post(c, "/api/segments", {{"title", fmt::format("s{}-{}", t, i)}, {"rule", fmt::format("spot = {}", i % 20)}}, &st);
          if (st == 201) ++saved;
          else ok = false;
        } else {
          json l = get(c, t % 2 ? "/api/segments?archived=true" : "/api/segments", &st);
          ok = st == 200 && l.contains("segments");
        }
        if (!ok) {
          ++failures;
          std::lock_guard<std::mutex> lock(seen_mutex);
          seen += fmt::format("status {} ({}, thread {}, request {})\n", st, t % 3 == 0 ? "save" : "listing", t, i);
        }
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0) << seen << s.output();
  EXPECT_GT(saved, 0);
  auto c = s.client();
  json all = get(c, "/api/segments");
  ASSERT_TRUE(all.contains("segments")) << all.dump();
  EXPECT_EQ(all["segments"].size(), static_cast<size_t>(saved.load()));
  const int status = s.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(Service, CountsStayWholeWhileTheDataIsReloaded) {
  Serve s;
  ASSERT_TRUE(s.started()) << s.startup_error;
  // Two versions of the data alternate; every answer must be one version's, never a mix.
  std::string a = std::string(kHeader) + kRows;
  std::string b = a + "6,60,12,Active,,1.00,2025-06-01T00:00:00Z,,\n7,70,12,Active,,1.00,2025-06-01T00:00:00Z,,\n";
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, answers{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      auto c = s.client();
      while (!done) {
        json r = post(c, "/api/count", {{"rule", "spot = 12"}});
        bool whole = (r["count"] == 3 && r["rows_total"] == 5) || (r["count"] == 5 && r["rows_total"] == 7);
        if (!whole) ++bad;
        ++answers;
      }
    });
  }
  auto c = s.client();
  for (int i = 0; i < 10; ++i) {
    s.write_data(i % 2 ? a : b);
    int st = 0;
    post(c, "/api/data/reload", json::object(), &st);
    EXPECT_EQ(st, 200);
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(answers.load(), 10);
}

// After a start, saved segments are counted in the background: `?counts=cached` answers at
// once, with `pending` ones null, and before long every count is there and equal to the one
// computed on demand.
TEST(Service, CountsOfSavedSegmentsAreWarmedInTheBackground) {
  Serve s;
  ASSERT_TRUE(s.started()) << s.startup_error;
  {
    auto c = s.client();
    for (int i = 0; i < 40; ++i) {
      int st = 0;
      post(c, "/api/segments", {{"title", fmt::format("S{}", i)}, {"rule", fmt::format("spot = {} or tag any (VIP)", 10 + i % 5)}}, &st);
      ASSERT_EQ(st, 201);
    }
  }
  s.kill_and_restart();  // the counts cache is gone with the process
  ASSERT_TRUE(s.started()) << s.startup_error;
  auto c = s.client();
  int st = 0;
  json first = get(c, "/api/segments?counts=cached", &st);
  EXPECT_EQ(st, 200);
  ASSERT_EQ(first["segments"].size(), 40u);
  for (const auto& seg : first["segments"]) {
    if (seg.contains("pending")) {
      EXPECT_TRUE(seg["clients"].is_null());
      EXPECT_TRUE(seg["summary"].is_null());
    }
  }
  json warm;
  for (int tries = 0; tries < 200; ++tries) {
    warm = get(c, "/api/segments?counts=cached");
    if (warm["pending"] == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(warm["pending"], 0) << "the background count never finished";
  json all = get(c, "/api/segments");  // computed on demand where missing: the reference
  ASSERT_EQ(all["segments"].size(), 40u);
  for (size_t i = 0; i < 40; ++i) {
    EXPECT_EQ(warm["segments"][i]["id"], all["segments"][i]["id"]);
    EXPECT_EQ(warm["segments"][i]["clients"], all["segments"][i]["clients"]);
    EXPECT_EQ(warm["segments"][i]["summary"], all["segments"][i]["summary"]);
    EXPECT_EQ(all["segments"][i]["clients"], library_ids(s.data(), all["segments"][i]["rule"].get<std::string>()).size());
  }
  get(c, "/api/segments?counts=some", &st);
  EXPECT_EQ(st, 400);
  // Once the background pass is done, a version it never saw (an archive makes a new one) is
  // counted when listed: never pending for ever.
  int64_t id = all["segments"][0]["id"];
  json archived = get(c, fmt::format("/api/segments/{}", id));
  c.Delete(fmt::format("/api/segments/{}?version={}", id, archived["segment"]["version"].get<int64_t>()));
  json with_archived = get(c, "/api/segments?counts=cached&archived=true");
  EXPECT_EQ(with_archived["pending"], 0);
  bool seen = false;
  for (const auto& seg : with_archived["segments"]) {
    if (seg["id"] == id) {
      seen = true;
      EXPECT_TRUE(seg["archived"]);
      EXPECT_EQ(seg["clients"], all["segments"][0]["clients"]);
    }
  }
  EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace service_test
