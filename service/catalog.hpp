// The catalog of saved segments (issue 10): SQLite in WAL mode, every write one transaction,
// its schema versioned by migrations. A segment has a stable id (the "Segment ID" people see
// and mailings refer to) and versions: an edit is a new version, earlier ones stay readable,
// and an edit names the version it edits, so a stale one is refused instead of lost.
// The catalog stores what the engine made of a rule (canonical text, IR JSON, hash); it does
// not compile rules itself (the service does, through the public API).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace seg::service {

// How a segment's rule was given.
enum class Origin { Form, Text, Import };
const char* origin_name(Origin o);
std::optional<Origin> origin_from_name(std::string_view s);

// A title is a line people read in a table: spaces around it trimmed, at most this many
// bytes, no control characters (C0, DEL, C1, U+2028/2029: a 5 MB title made every listing
// 5 MB, a line break broke the table; found by reviews). Every writer of the catalog (the
// service, the REPL's .save) goes through clean_title, and create/update refuse a title it
// would not give (std::invalid_argument).
inline constexpr size_t kMaxTitleBytes = 1000;
// Trims `title`; false with `why` when it still cannot be a title.
bool clean_title(std::string& title, std::string& why);

// What an edit or a new segment carries.
struct SegmentContent {
  std::string title;      // need not be unique
  std::string rule_text;  // canonical text
  std::string ir_json;
  uint64_t hash = 0;
  Origin origin = Origin::Text;
  std::string source;     // what the person gave (form JSON, rule text, imported JSON), kept as given
};

struct Segment {
  int64_t id = 0;
  int64_t version = 0;  // 1 for a new segment, +1 per edit or archive
  SegmentContent content;
  bool archived = false;
  int64_t created_at = 0;  // seconds since the epoch, of version 1
  int64_t updated_at = 0;  // of this version
};

// The result of a write that names the version it edits. Archived: the version named is the
// current one, and it is archived: an archived segment is read-only until restored.
enum class WriteStatus { Ok, NotFound, Stale, Archived };

class Catalog {
 public:
  // Opens (creating if needed) and migrates the catalog at `path`. nullopt with `error` set
  // when the file cannot be opened, is not a catalog, or is of a newer schema than this build.
  static std::optional<Catalog> open(const std::string& path, std::string& error);

  // The schema version this build writes (migrations bring older catalogs up to it).
  static int schema_version();

  Segment create(const SegmentContent& c);
  // A new version, if `expected_version` is the current one and not archived.
  WriteStatus update(int64_t id, int64_t expected_version, const SegmentContent& c, Segment* out = nullptr);
  // Archiving (or restoring) is a version too, so it is ordered with edits. Archiving an
  // archived segment is Archived (no version that changes nothing).
  WriteStatus set_archived(int64_t id, int64_t expected_version, bool archived, Segment* out = nullptr);

  std::optional<Segment> get(int64_t id) const;
  std::optional<Segment> get_version(int64_t id, int64_t version) const;
  std::vector<Segment> versions(int64_t id) const;  // oldest first
  std::vector<Segment> list(bool include_archived = false) const;  // current versions, by id
  // The same without bodies (`ir_json` and `source` left empty: a listing of thousands reads
  // a tenth of the bytes), kept in memory until the catalog changes (a write through this
  // Catalog, or any other connection's, which SQLite's `PRAGMA data_version` tells): listing
  // 10,000 segments read them from SQLite in 25-45 ms each time.
  std::shared_ptr<const std::vector<Segment>> list_light(bool include_archived = false) const;
  // A number that changes when another connection (another process, the REPL's `.save`, a
  // second `seg serve`) commits to the catalog: SQLite's `PRAGMA data_version`.
  int64_t others_writes() const;

  // SQLite's `PRAGMA integrity_check`: "ok" when the file is sound.
  std::string integrity_check() const;

  struct Db;

 private:
  explicit Catalog(std::shared_ptr<Db> db) : db_(std::move(db)) {}
  std::shared_ptr<Db> db_;
};

}  // namespace seg::service
