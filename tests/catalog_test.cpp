// The segments catalog (service/catalog.hpp) on a real SQLite file: versions, optimistic
// concurrency, migrations and refusal of foreign files, and the crash test: a writer killed
// with SIGKILL at random moments loses no acknowledged write and leaves a sound file.
#include "service/catalog.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

namespace seg::service {
namespace {

namespace fs = std::filesystem;

struct TempCatalog {
  fs::path dir = fs::temp_directory_path() / fmt::format("seg_catalog_{}_{}", ::getpid(), counter()++);
  TempCatalog() { fs::create_directories(dir); }
  ~TempCatalog() { fs::remove_all(dir); }
  std::string path() const { return (dir / "segments.db").string(); }
  static std::atomic<int>& counter() {
    static std::atomic<int> n{0};
    return n;
  }
};

SegmentContent content(const std::string& title, const std::string& rule, uint64_t hash = 0x1234abcd5678ef00ull) {
  SegmentContent c;
  c.title = title;
  c.rule_text = rule;
  c.ir_json = fmt::format("{{\"rule\":\"{}\"}}", rule);
  c.hash = hash;
  c.origin = Origin::Form;
  c.source = fmt::format("{{\"title\":\"{}\"}}", title);
  return c;
}

Catalog open_ok(const std::string& path) {
  std::string err;
  auto c = Catalog::open(path, err);
  if (!c) throw std::runtime_error(err);
  return std::move(*c);
}

TEST(Catalog, CreateGetListAndEveryFieldRoundTrips) {
  TempCatalog t;
  Catalog cat = open_ok(t.path());
  Segment a = cat.create(content("Top-up", "stage = Deposit", 0xffffffffffffffffull));
  Segment b = cat.create(content("Top-up", "spot = 3"));  // titles need not be unique
  EXPECT_EQ(a.version, 1);
  EXPECT_NE(a.id, b.id);
  auto got = cat.get(a.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->content.title, "Top-up");
  EXPECT_EQ(got->content.rule_text, "stage = Deposit");
  EXPECT_EQ(got->content.ir_json, "{\"rule\":\"stage = Deposit\"}");
  EXPECT_EQ(got->content.hash, 0xffffffffffffffffull);  // all 64 bits
  EXPECT_EQ(got->content.origin, Origin::Form);
  EXPECT_EQ(got->content.source, "{\"title\":\"Top-up\"}");
  EXPECT_FALSE(got->archived);
  EXPECT_GT(got->created_at, 0);
  auto all = cat.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, a.id);
  EXPECT_EQ(all[1].content.rule_text, "spot = 3");
  EXPECT_FALSE(cat.get(b.id + 100));
  // Reopened, everything is still there.
  Catalog again = open_ok(t.path());
  EXPECT_EQ(again.list().size(), 2u);
  EXPECT_EQ(again.integrity_check(), "ok");
}

// The kept listing is never stale: a write through this Catalog, or through another connection
// to the same file (another `seg serve`, another process), is seen by the next listing.
TEST(Catalog, TheKeptListingFollowsEveryWriteHereAndElsewhere) {
  TempCatalog t;
  Catalog a = open_ok(t.path());
  Catalog b = open_ok(t.path());  // another connection, as another process would have
  auto titles = [](const std::shared_ptr<const std::vector<Segment>>& l) {
    std::vector<std::string> out;
    for (const auto& s : *l) out.push_back(fmt::format("{}:{}:{}", s.content.title, s.version, int{s.archived}));
    return out;
  };
  EXPECT_TRUE(a.list_light()->empty());
  Segment x = a.create(content("X", "spot = 1"));
  auto first = a.list_light();
  EXPECT_EQ(titles(first), (std::vector<std::string>{"X:1:0"}));
  EXPECT_EQ(a.list_light(), first);  // nothing changed: the same listing, not read again
  EXPECT_TRUE(first->at(0).content.ir_json.empty());  // no bodies
  EXPECT_EQ(first->at(0).content.rule_text, "spot = 1");
  b.create(content("Y", "spot = 2"));  // elsewhere
  EXPECT_EQ(titles(a.list_light()), (std::vector<std::string>{"X:1:0", "Y:1:0"}));
  ASSERT_EQ(b.update(x.id, 1, content("X2", "spot = 3")), WriteStatus::Ok);
  EXPECT_EQ(titles(a.list_light()), (std::vector<std::string>{"X2:2:0", "Y:1:0"}));
  ASSERT_EQ(a.set_archived(x.id, 2, true), WriteStatus::Ok);  // here
  EXPECT_EQ(titles(a.list_light()), (std::vector<std::string>{"Y:1:0"}));
  EXPECT_EQ(titles(a.list_light(true)), (std::vector<std::string>{"X2:3:1", "Y:1:0"}));
  EXPECT_EQ(titles(b.list_light(true)), titles(a.list_light(true)));
}

// The catalog holds its titles to one rule whoever writes (the service, the REPL's .save): it
// was the HTTP handler's alone, and .save wrote any title.
TEST(Catalog, EveryWriterGetsTheTitleRule) {
  std::string why;
  std::string t = "  Top-up \t";
  EXPECT_TRUE(clean_title(t, why));
  EXPECT_EQ(t, "Top-up");
  for (std::string bad : {std::string("a\nb"), std::string("a\x7f"), std::string("a\xC2\x85"), std::string("a\xE2\x80\xA8" "b"),
                          std::string(kMaxTitleBytes + 1, 'x')}) {
    std::string b = bad;
    EXPECT_FALSE(clean_title(b, why)) << bad;
  }
  std::string longest(kMaxTitleBytes, 'x'), accents = "Réactivation été 🚀";
  EXPECT_TRUE(clean_title(longest, why));
  EXPECT_TRUE(clean_title(accents, why));
  TempCatalog tc;
  Catalog cat = open_ok(tc.path());
  EXPECT_THROW(cat.create(content("a\nb", "spot = 3")), std::invalid_argument);
  EXPECT_THROW(cat.create(content(" padded", "spot = 3")), std::invalid_argument);
  Segment ok = cat.create(content("fine", "spot = 3"));
  EXPECT_THROW(cat.update(ok.id, ok.version, content("tab\there", "spot = 3")), std::invalid_argument);
  EXPECT_EQ(cat.get(ok.id)->version, 1);  // nothing written
}

TEST(Catalog, AnEditIsANewVersionAndAStaleEditIsRefused) {
  TempCatalog t;
  Catalog cat = open_ok(t.path());
  Segment s = cat.create(content("VIP", "tag any (VIP)"));
  Segment v2;
  ASSERT_EQ(cat.update(s.id, 1, content("VIP DE", "tag any (VIP) and country = DE"), &v2), WriteStatus::Ok);
  EXPECT_EQ(v2.version, 2);
  EXPECT_EQ(v2.created_at, s.created_at);
  // Someone who still has version 1 open: refused, and nothing changed.
  EXPECT_EQ(cat.update(s.id, 1, content("lost", "spot = 1")), WriteStatus::Stale);
  EXPECT_EQ(cat.get(s.id)->content.title, "VIP DE");
  EXPECT_EQ(cat.update(s.id + 7, 1, content("x", "spot = 1")), WriteStatus::NotFound);
  auto versions = cat.versions(s.id);
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].content.rule_text, "tag any (VIP)");
  EXPECT_EQ(versions[1].content.rule_text, "tag any (VIP) and country = DE");
  EXPECT_EQ(cat.get_version(s.id, 1)->content.title, "VIP");
  EXPECT_FALSE(cat.get_version(s.id, 3));
}

TEST(Catalog, ArchivingIsAVersionAndHidesFromTheDefaultList) {
  TempCatalog t;
  Catalog cat = open_ok(t.path());
  Segment s = cat.create(content("Old", "spot = 1"));
  cat.create(content("Kept", "spot = 2"));
  EXPECT_EQ(cat.set_archived(s.id, 2, true), WriteStatus::Stale);
  Segment out;
  ASSERT_EQ(cat.set_archived(s.id, 1, true, &out), WriteStatus::Ok);
  EXPECT_TRUE(out.archived);
  EXPECT_EQ(out.version, 2);
  EXPECT_EQ(out.content.rule_text, "spot = 1");  // the rule is kept
  EXPECT_EQ(cat.list().size(), 1u);
  EXPECT_EQ(cat.list(true).size(), 2u);
  // Archived is read-only: no edit, no second archive (a version that changes nothing);
  // a stale version is still Stale. Restoring is the one change it takes.
  EXPECT_EQ(cat.update(s.id, 2, content("Edited", "spot = 3")), WriteStatus::Archived);
  EXPECT_EQ(cat.set_archived(s.id, 2, true), WriteStatus::Archived);
  EXPECT_EQ(cat.update(s.id, 1, content("Edited", "spot = 3")), WriteStatus::Stale);
  EXPECT_EQ(cat.versions(s.id).size(), 2u);
  ASSERT_EQ(cat.set_archived(s.id, 2, false), WriteStatus::Ok);
  EXPECT_EQ(cat.list().size(), 2u);
}

TEST(Catalog, IdsAreNeverHandedOutTwice) {
  TempCatalog t;
  std::set<int64_t> ids;
  for (int round = 0; round < 3; ++round) {
    Catalog cat = open_ok(t.path());
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(ids.insert(cat.create(content("s", "spot = 1")).id).second);
  }
}

TEST(Catalog, RefusesForeignAndNewerFiles) {
  TempCatalog t;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(t.path().c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE clients (id INTEGER)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  std::string err;
  EXPECT_FALSE(Catalog::open(t.path(), err));
  EXPECT_NE(err.find("not a seg catalog"), std::string::npos) << err;
  fs::remove(t.path());
  open_ok(t.path());  // a fresh catalog, then pretend a newer seg wrote it
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(t.path().c_str(), &db), SQLITE_OK);
    std::string sql = fmt::format("PRAGMA user_version = {}", Catalog::schema_version() + 1);
    sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  err.clear();
  EXPECT_FALSE(Catalog::open(t.path(), err));
  EXPECT_NE(err.find("newer than this seg reads"), std::string::npos) << err;
  err.clear();
  EXPECT_FALSE(Catalog::open((t.dir / "no" / "such" / "dir.db").string(), err));
  EXPECT_NE(err.find("cannot open"), std::string::npos) << err;
}

TEST(Catalog, TwoWritersOnOneVersionExactlyOneWins) {
  TempCatalog t;
  Catalog setup = open_ok(t.path());
  Segment s = setup.create(content("race", "spot = 0"));
  // Two connections (two server processes, or two threads) edit the same version at once.
  for (int round = 0; round < 20; ++round) {
    int64_t v = setup.get(s.id)->version;
    std::atomic<int> ok{0}, stale{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < 2; ++w) {
      threads.emplace_back([&, w] {
        Catalog mine = open_ok(t.path());
        WriteStatus r = mine.update(s.id, v, content(fmt::format("w{}", w), fmt::format("spot = {}", w)));
        (r == WriteStatus::Ok ? ok : stale)++;
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(stale.load(), 1);
    EXPECT_EQ(setup.get(s.id)->version, v + 1);
  }
  EXPECT_EQ(setup.versions(s.id).size(), 21u);
}

// A writer process creates and edits segments and reports each acknowledged write on a pipe;
// it is killed with SIGKILL at a random moment. After each kill the catalog opens, passes
// SQLite's integrity check, and holds every acknowledged write, each version whole.
TEST(Catalog, KilledWriterLosesNothingAcknowledged) {
  TempCatalog t;
  open_ok(t.path());
  std::mt19937 rng(20261129);
  std::map<int64_t, int64_t> acked;  // id -> last acknowledged version
  for (int round = 0; round < 12; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      try {
        Catalog cat = open_ok(t.path());
        for (int i = 0;; ++i) {
          Segment s = cat.create(content(fmt::format("t{}", i), fmt::format("spot = {}", i)));
          Segment v2;
          if (cat.update(s.id, 1, content(fmt::format("t{}'", i), fmt::format("spot = {}", i + 1)), &v2) !=
              WriteStatus::Ok)
            ::_exit(3);
          int64_t msg[2] = {s.id, v2.version};
          if (::write(fds[1], msg, sizeof msg) != sizeof msg) ::_exit(4);
        }
      } catch (...) {
        ::_exit(5);
      }
    }
    ::close(fds[1]);
    // Read acknowledgements for a random while, then kill mid-write.
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(20 + rng() % 120);
    int64_t msg[2];
    while (std::chrono::steady_clock::now() < until) {
      ssize_t n = ::read(fds[0], msg, sizeof msg);
      if (n != sizeof msg) break;
      acked[msg[0]] = msg[1];
    }
    ::kill(pid, SIGKILL);
    // Whatever was acknowledged before the kill but not read yet is in the pipe still.
    while (::read(fds[0], msg, sizeof msg) == sizeof msg) acked[msg[0]] = msg[1];
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped on its own: " << status;

    Catalog cat = open_ok(t.path());
    ASSERT_EQ(cat.integrity_check(), "ok");
    for (const auto& [id, version] : acked) {
      auto s = cat.get(id);
      ASSERT_TRUE(s) << "acknowledged segment " << id << " lost";
      ASSERT_GE(s->version, version);
      auto v1 = cat.get_version(id, 1);
      ASSERT_TRUE(v1);
      // Each version whole: its title and rule belong together.
      std::string n = v1->content.title.substr(1);
      EXPECT_EQ(v1->content.rule_text, fmt::format("spot = {}", n));
    }
    // No segment without its current version (a create or an edit is all or nothing).
    {
      sqlite3* db = nullptr;
      ASSERT_EQ(sqlite3_open(t.path().c_str(), &db), SQLITE_OK);
      sqlite3_stmt* st = nullptr;
      ASSERT_EQ(sqlite3_prepare_v2(db,
                                   "SELECT count(*) FROM segments s WHERE NOT EXISTS (SELECT 1 FROM segment_versions v "
                                   "WHERE v.segment_id = s.id AND v.version = s.current_version)",
                                   -1, &st, nullptr),
                SQLITE_OK);
      ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
      EXPECT_EQ(sqlite3_column_int64(st, 0), 0) << "a segment without its current version";
      sqlite3_finalize(st);
      sqlite3_close(db);
    }
    // A segment the writer created but was killed before editing is whole too (version 1).
    for (const Segment& s : cat.list(true))
      EXPECT_EQ(s.content.ir_json, fmt::format("{{\"rule\":\"{}\"}}", s.content.rule_text));
  }
  EXPECT_GT(acked.size(), 12u);  // the writer got somewhere before each kill
}

}  // namespace
}  // namespace seg::service
