// The catalog of saved segments on SQLite (see catalog.hpp).
#include "service/catalog.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <stdexcept>

namespace seg::service {

const char* origin_name(Origin o) {
  switch (o) {
    case Origin::Form: return "form";
    case Origin::Text: return "text";
    case Origin::Import: return "import";
  }
  return "text";
}

std::optional<Origin> origin_from_name(std::string_view s) {
  for (Origin o : {Origin::Form, Origin::Text, Origin::Import})
    if (s == origin_name(o)) return o;
  return std::nullopt;
}

namespace {

// Migrations, in order: migration i brings a catalog from user_version i to i + 1. A released
// migration is never edited; a change of the schema is a new one at the end.
const char* const kMigrations[] = {
    // 1: segments and their versions. AUTOINCREMENT: an id is never handed out twice, even
    // after the highest one is gone.
    "CREATE TABLE segments ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  current_version INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE segment_versions ("
    "  segment_id INTEGER NOT NULL REFERENCES segments(id),"
    "  version INTEGER NOT NULL,"
    "  title TEXT NOT NULL,"
    "  rule_text TEXT NOT NULL,"
    "  ir_json TEXT NOT NULL,"
    "  hash TEXT NOT NULL,"
    "  origin TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  archived INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (segment_id, version)) WITHOUT ROWID;",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A SQLite error the catalog cannot recover from (disk full, I/O error, a corrupt file):
// surfaced to the caller, who answers 500 and keeps serving reads.
[[noreturn]] void fail(sqlite3* db, const char* what) {
  throw std::runtime_error(fmt::format("catalog: {}: {}", what, sqlite3_errmsg(db)));
}

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) != SQLITE_OK) fail(db, "prepare");
  }
  ~Statement() { sqlite3_finalize(st_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& bind(int i, int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  bool step() {
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, "step");
  }
  int64_t i64(int col) const { return sqlite3_column_int64(st_, col); }
  std::string text(int col) const {
    const unsigned char* t = sqlite3_column_text(st_, col);
    return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(st_, col))) : "";
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error(fmt::format("catalog: {}", msg));
  }
}

const char* kSelectVersion =
    "SELECT v.segment_id, v.version, v.title, v.rule_text, v.ir_json, v.hash, v.origin, v.source, v.archived,"
    "       v.updated_at, s.created_at "
    "FROM segment_versions v JOIN segments s ON s.id = v.segment_id ";
// The same columns without the two large ones (IR JSON, the source as given), for listings.
const char* kSelectVersionLight =
    "SELECT v.segment_id, v.version, v.title, v.rule_text, '', v.hash, v.origin, '', v.archived,"
    "       v.updated_at, s.created_at "
    "FROM segment_versions v JOIN segments s ON s.id = v.segment_id ";

Segment read_segment(const Statement& st) {
  Segment s;
  s.id = st.i64(0);
  s.version = st.i64(1);
  s.content.title = st.text(2);
  s.content.rule_text = st.text(3);
  s.content.ir_json = st.text(4);
  s.content.hash = std::stoull(st.text(5), nullptr, 16);
  s.content.origin = origin_from_name(st.text(6)).value_or(Origin::Text);
  s.content.source = st.text(7);
  s.archived = st.i64(8) != 0;
  s.updated_at = st.i64(9);
  s.created_at = st.i64(10);
  return s;
}

}  // namespace

struct Catalog::Db {
  sqlite3* db = nullptr;
  // One connection, used by one thread at a time: SQLite serializes writers anyway, and the
  // service's reads are short. Other processes are waited for (busy timeout), not failed.
  mutable std::mutex mu;
  // Every transaction of this connection (PRAGMA data_version sees only other connections').
  uint64_t writes = 0;
  // The listings without bodies, kept until a write here or elsewhere: by include_archived.
  struct Listing {
    int64_t data_version = -1;
    uint64_t writes = 0;
    std::shared_ptr<const std::vector<Segment>> rows;
  };
  Listing listings[2];
  ~Db() { sqlite3_close_v2(db); }

  // SQLite's count of other connections' commits (PRAGMA data_version); under `mu`.
  int64_t others_writes() const {
    Statement v(db, "PRAGMA data_version");
    v.step();
    return v.i64(0);
  }

  // Runs `body` in one IMMEDIATE transaction (the write lock taken up front, so a
  // read-then-write cannot be overtaken); rolled back on any exception.
  template <typename F>
  auto transaction(F&& body) -> decltype(body()) {
    ++writes;
    exec(db, "BEGIN IMMEDIATE");
    try {
      auto r = body();
      exec(db, "COMMIT");
      return r;
    } catch (...) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  void insert_version(int64_t id, int64_t version, const SegmentContent& c, bool archived, int64_t at) {
    Statement ins(db,
                  "INSERT INTO segment_versions (segment_id, version, title, rule_text, ir_json, hash, origin, source,"
                  " archived, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.bind(1, id).bind(2, version).bind(3, c.title).bind(4, c.rule_text).bind(5, c.ir_json);
    ins.bind(6, fmt::format("{:016x}", c.hash))  // as api::hash_text writes it (the catalog is below the API)
       .bind(7, std::string(origin_name(c.origin))).bind(8, c.source);
    ins.bind(9, int64_t{archived}).bind(10, at);
    ins.step();
  }

  std::optional<Segment> current(int64_t id) const {
    Statement st(db, fmt::format("{}WHERE v.segment_id = ? AND v.version = s.current_version", kSelectVersion).c_str());
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return read_segment(st);
  }

  // A new version of segment `id` from `make(current)`, if `expected` is its current version.
  // `restores`: the change may apply to an archived segment (only restoring one does).
  WriteStatus write(int64_t id, int64_t expected, const std::function<void(Segment&)>& change, Segment* out,
                    bool restores = false) {
    std::lock_guard lock(mu);
    return transaction([&] {
      auto cur = current(id);
      if (!cur) return WriteStatus::NotFound;
      if (cur->version != expected) return WriteStatus::Stale;
      if (cur->archived && !restores) return WriteStatus::Archived;
      Segment next = *cur;
      change(next);
      next.version = cur->version + 1;
      next.updated_at = now_seconds();
      insert_version(id, next.version, next.content, next.archived, next.updated_at);
      Statement up(db, "UPDATE segments SET current_version = ? WHERE id = ?");
      up.bind(1, next.version).bind(2, id);
      up.step();
      if (out) *out = next;
      return WriteStatus::Ok;
    });
  }
};

int Catalog::schema_version() { return kSchemaVersion; }

std::optional<Catalog> Catalog::open(const std::string& path, std::string& error) {
  auto d = std::make_shared<Db>();
  if (sqlite3_open_v2(path.c_str(), &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    error = fmt::format("{}: cannot open the catalog: {}", path, d->db ? sqlite3_errmsg(d->db) : "out of memory");
    return std::nullopt;
  }
  try {
    sqlite3_busy_timeout(d->db, 5000);
    // WAL: readers never block the writer. synchronous=FULL: a commit that returned is on
    // disk (the WAL is synced at each commit), so an acknowledged write survives a crash of
    // the process and of the machine.
    exec(d->db, "PRAGMA journal_mode=WAL");
    exec(d->db, "PRAGMA synchronous=FULL");
    exec(d->db, "PRAGMA foreign_keys=ON");
    int version = 0;
    {
      Statement st(d->db, "PRAGMA user_version");
      if (st.step()) version = static_cast<int>(st.i64(0));
    }
    if (version > kSchemaVersion) {
      error = fmt::format("{}: the catalog is of schema version {}, newer than this seg reads ({}); use a newer seg",
                          path, version, kSchemaVersion);
      return std::nullopt;
    }
    if (version == 0) {
      // A file that is not empty and has no catalog version is someone else's database.
      Statement st(d->db, "SELECT count(*) FROM sqlite_master");
      if (st.step() && st.i64(0) > 0) {
        error = fmt::format("{}: not a seg catalog (a SQLite database with other tables)", path);
        return std::nullopt;
      }
    }
    for (int v = version; v < kSchemaVersion; ++v) {
      d->transaction([&] {
        exec(d->db, kMigrations[v]);
        exec(d->db, fmt::format("PRAGMA user_version = {}", v + 1).c_str());
        return 0;
      });
    }
  } catch (const std::exception& e) {
    error = fmt::format("{}: {}", path, e.what());
    return std::nullopt;
  }
  return Catalog(std::move(d));
}

bool clean_title(std::string& title, std::string& why) {
  title.erase(0, title.find_first_not_of(" \t"));
  title.erase(title.find_last_not_of(" \t") + 1);
  bool control = false;
  for (size_t i = 0; i < title.size() && !control; ++i) {
    const auto b0 = static_cast<unsigned char>(title[i]);
    const auto b1 = i + 1 < title.size() ? static_cast<unsigned char>(title[i + 1]) : 0;
    control = b0 < 0x20 || b0 == 0x7f || (b0 == 0xC2 && b1 >= 0x80 && b1 <= 0x9F) ||
              (b0 == 0xE2 && b1 == 0x80 && i + 2 < title.size() && (title[i + 2] == '\xA8' || title[i + 2] == '\xA9'));
  }
  if (title.size() <= kMaxTitleBytes && !control) return true;
  why = fmt::format("a title is one line of at most {} bytes, without control characters", kMaxTitleBytes);
  return false;
}

namespace {
void refuse_unclean(const SegmentContent& c) {
  std::string t = c.title, why;
  if (!clean_title(t, why) || t != c.title) throw std::invalid_argument("catalog: " + (why.empty() ? "a title with spaces around it" : why));
}
}  // namespace

Segment Catalog::create(const SegmentContent& c) {
  refuse_unclean(c);
  std::lock_guard lock(db_->mu);
  return db_->transaction([&] {
    Segment s;
    s.content = c;
    s.version = 1;
    s.created_at = s.updated_at = now_seconds();
    Statement ins(db_->db, "INSERT INTO segments (current_version, created_at) VALUES (1, ?)");
    ins.bind(1, s.created_at);
    ins.step();
    s.id = sqlite3_last_insert_rowid(db_->db);
    db_->insert_version(s.id, 1, c, false, s.updated_at);
    return s;
  });
}

WriteStatus Catalog::update(int64_t id, int64_t expected_version, const SegmentContent& c, Segment* out) {
  refuse_unclean(c);
  return db_->write(id, expected_version, [&](Segment& s) { s.content = c; }, out);
}

WriteStatus Catalog::set_archived(int64_t id, int64_t expected_version, bool archived, Segment* out) {
  return db_->write(id, expected_version, [&](Segment& s) { s.archived = archived; }, out, !archived);
}

std::optional<Segment> Catalog::get(int64_t id) const {
  std::lock_guard lock(db_->mu);
  return db_->current(id);
}

std::optional<Segment> Catalog::get_version(int64_t id, int64_t version) const {
  std::lock_guard lock(db_->mu);
  Statement st(db_->db, fmt::format("{}WHERE v.segment_id = ? AND v.version = ?", kSelectVersion).c_str());
  st.bind(1, id).bind(2, version);
  if (!st.step()) return std::nullopt;
  return read_segment(st);
}

std::vector<Segment> Catalog::versions(int64_t id) const {
  std::lock_guard lock(db_->mu);
  Statement st(db_->db, fmt::format("{}WHERE v.segment_id = ? ORDER BY v.version", kSelectVersion).c_str());
  st.bind(1, id);
  std::vector<Segment> out;
  while (st.step()) out.push_back(read_segment(st));
  return out;
}

std::vector<Segment> Catalog::list(bool include_archived) const {
  std::lock_guard lock(db_->mu);
  std::string sql = fmt::format("{}WHERE v.version = s.current_version{} ORDER BY v.segment_id", kSelectVersion,
                                include_archived ? "" : " AND v.archived = 0");
  Statement st(db_->db, sql.c_str());
  std::vector<Segment> out;
  while (st.step()) out.push_back(read_segment(st));
  return out;
}

int64_t Catalog::others_writes() const {
  std::lock_guard lock(db_->mu);
  return db_->others_writes();
}

std::shared_ptr<const std::vector<Segment>> Catalog::list_light(bool include_archived) const {
  std::lock_guard lock(db_->mu);
  const int64_t data_version = db_->others_writes();
  Db::Listing& l = db_->listings[include_archived ? 1 : 0];
  if (l.rows && l.data_version == data_version && l.writes == db_->writes) return l.rows;
  std::string sql = fmt::format("{}WHERE v.version = s.current_version{} ORDER BY v.segment_id", kSelectVersionLight,
                                include_archived ? "" : " AND v.archived = 0");
  Statement st(db_->db, sql.c_str());
  auto rows = std::make_shared<std::vector<Segment>>();
  while (st.step()) rows->push_back(read_segment(st));
  l = Db::Listing{data_version, db_->writes, std::move(rows)};
  return l.rows;
}

std::string Catalog::integrity_check() const {
  std::lock_guard lock(db_->mu);
  Statement st(db_->db, "PRAGMA integrity_check");
  std::string out;
  while (st.step()) out += fmt::format("{}{}", out.empty() ? "" : "\n", st.text(0));
  return out;
}

}  // namespace seg::service
