// A membership's private parts, shared by api/live*.cpp only (not installed: hosts use
// include/seg/seg.hpp). The log's format and the directory's file names; the durable-file
// helpers (live_files.cpp); a membership's clients (LiveClients) and its state (Impl), whose
// methods apply and replay a change (live_apply.cpp); the functions of its generations (live_generations.cpp)
// and compactions (live_compaction.cpp). api/live.cpp has the public calls and live_view.cpp
// what a View reads.
#pragma once
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <thread>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "api/impl.hpp"
#include "api/internal.hpp"
#include "runtime/exec/evaluate.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/membership/dead_rows.hpp"
#include "runtime/membership/refresh.hpp"
#include "runtime/storage/bits.hpp"
#include "runtime/storage/gather.hpp"
#include "runtime/storage/hash.hpp"
#include "runtime/storage/snapshot.hpp"
#include "runtime/storage/value_index.hpp"

namespace seg::api {
namespace live {

namespace fs = std::filesystem;
// The log: 8 magic bytes, then records of size (8 bytes), XXH64 of the payload (8 bytes),
// XXH64 of those 16 bytes, and the payload: a JSON header line, then a batch's rows as given
// (raw bytes: rows need not be valid UTF-8 for the loader to report them, and a batch is not
// escaped twice). The header's own sum tells a damaged size from a record cut short by a
// crash: without it (SEGLOG2, still read and appended to as written), a size damaged into one
// past the file's end read as a torn last record, and the writer's next open cut every record
// after it off (found by a review).
constexpr char kLogMagic[] = "SEGLOG3\n";
constexpr char kLogMagicV2[] = "SEGLOG2\n";
constexpr size_t kMagicBytes = 8;
// A log's record header: 16 bytes in SEGLOG2, 24 (with its sum) in SEGLOG3; `magic` is the
// log's first 8 bytes.
inline size_t header_bytes(std::string_view magic) { return magic.substr(0, kMagicBytes) == std::string_view(kLogMagicV2, kMagicBytes) ? 16 : 24; }
inline bool is_log(std::string_view magic) {
  return magic.size() >= kMagicBytes && (magic.substr(0, kMagicBytes) == std::string_view(kLogMagic, kMagicBytes) ||
                                         magic.substr(0, kMagicBytes) == std::string_view(kLogMagicV2, kMagicBytes));
}
constexpr uint64_t kGone = UINT64_MAX;
// A batch's text holds rows when it has more than spaces and line ends (a blank one is no
// rows, whether applied or replayed: a logged "\n" once made every later open fail).
inline bool has_rows(std::string_view text) { return text.find_first_not_of(" \t\r\n") != std::string_view::npos; }
// A clock step tests a rule's rows between its bounds' old and new instants one by one while
// they are at most one row in this many; more, and one pass over the whole base is cheaper
// (10M clients, 23 rules naming `now`: 13,208 rows tested in 21 ms, 300,239 in 234 ms, where
// a pass over the base took 45 ms).
constexpr uint64_t kClockRowShare = 128;
constexpr uint64_t kClockRowsAlways = 4096;  // small bases: one by one whatever the share
// A batch part of at most this many rows is tested row by row (eval_row) rather than
// evaluated as blocks, whose set-up costs more than a few rows (1,000 segments at 10M clients:
// most of a one-client batch's time was that, and each plan's labels; docs/performance.md).
constexpr uint64_t kRowByRow = 64;
inline std::atomic<uint64_t> g_row_by_row{kRowByRow};  // tests: 0 evaluates every part as blocks
inline std::atomic<uint64_t> g_clock_rows_limit{0};  // tests: 0, the rule above
// A batch after which the rows of the batches since the base are more than a quarter of the
// base's (and at least kCompactRowsAlways), or the batches more than kCompactParts, starts a
// new generation: the newest rows compacted into a new base (docs/membership.md).
constexpr uint64_t kCompactShare = 4;
constexpr uint64_t kCompactRowsAlways = 65536;
constexpr uint64_t kCompactParts = 16384;
inline std::atomic<uint64_t> g_compact_rows{0};  // tests: 0, the rule above
inline std::atomic<uint64_t> g_max_rows{rt::kMaxMembershipRows};  // tests: fewer, to reach the limit
inline std::atomic<bool> g_compaction_hold{false};  // tests: a compaction's thread waits before it ends
inline std::atomic<bool> g_fail_next_apply{false};  // tests: the next logged change throws once applied

// A directory's generations: generation 0 is base.seg, log and segments.json (the directory
// as `create` made it); a compaction at version V adds base-V.seg, log-V and gen-V.json, the
// last written last, so a generation without it is one whose making did not finish.
inline std::string base_file(uint64_t gen) { return gen ? "base-" + std::to_string(gen) + ".seg" : "base.seg"; }
inline std::string log_file(uint64_t gen) { return gen ? "log-" + std::to_string(gen) : "log"; }
inline std::string meta_file(uint64_t gen) { return gen ? "gen-" + std::to_string(gen) + ".json" : "segments.json"; }

// The log's file descriptor, closed with its owner (an Impl is replaced whole by compaction).
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd = std::exchange(o.fd, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

Diagnostic problem(const std::string& code, const std::string& source, const std::string& message,
                   const std::string& suggestion = "", bool io = false);

bool write_all(int fd, const char* p, size_t n);

std::optional<std::string> read_whole(const std::string& path, std::string& error);

// `size` bytes of a file from byte `from`: the records a compaction's new log starts with.
std::optional<std::string> read_range(const std::string& path, uint64_t from, uint64_t size, std::string& error);

// A log's bytes, read where a record is: from its file a record at a time (pread), so that
// opening a membership holds its largest record in memory, not its whole log, which grows
// until the next compaction and without bound while compactions fail; or from a text in
// memory (the few records a compaction's new log starts with). The size is the file's when
// opened: a writer's later appends are not read, and bytes a writer cuts off (a torn last
// record) read short, as cut short.
class LogBytes {
 public:
  explicit LogBytes(std::string_view text) : text_(text), size_(text.size()), header_(header_bytes(text)) {}
  // nullopt with `error` when the file cannot be opened or is not a log.
  static std::optional<LogBytes> open(const std::string& path, std::string& error);
  uint64_t size() const { return size_; }
  size_t header() const { return header_; }
  // `n` bytes from byte `at`: a view of the text, or of `buf` read from the file; shorter
  // when the file ends first (or cannot be read: `error()` then says why).
  std::string_view read(uint64_t at, size_t n, std::string& buf) const;
  // Whether every byte from `at` on is zero (a file extended by a write whose bytes never
  // reached the disk).
  bool zeros_from(uint64_t at) const;
  const std::string& error() const { return error_; }

 private:
  LogBytes() = default;
  std::string_view text_;
  std::shared_ptr<Fd> fd_;
  uint64_t size_ = 0;
  size_t header_ = 24;
  mutable std::string error_;
};

bool fsync_path(const std::string& path);

// Written whole or not at all: a temporary file, flushed, renamed over the name, and the
// directory flushed so the rename itself survives a crash.
bool write_durably(const std::string& dir, const std::string& name, const std::string& content, std::string& error);

inline int64_t plus(int64_t a, int64_t b) {
  int64_t v;
  if (__builtin_add_overflow(a, b, &v)) v = b > 0 ? ir::kMax : ir::kMin;
  return v;
}

// A record of `payload` for a log whose headers take `header` bytes (header_bytes).
std::string frame(std::string_view payload, size_t header);

}  // namespace live

// The helpers above by their short names, as in the files of the membership (this header is
// theirs alone).
using namespace live;

// Each bound of a rule that moves with `now`: its field and its offset from `now`.
struct MovingBound {
  int field;
  int64_t offset;
};
// (live.cpp, as matches_in and part_in below)
void moving_bounds(const ir::Node& n, std::vector<MovingBound>& out);

// A batch's rows in a membership: its store (never changed once made) and the global row of
// its row 0. parts[0] is the base.
struct LivePart {
  std::shared_ptr<const rt::Store> store;
  uint64_t first;
};

// The sizes of `schema`'s open dictionaries (field name: values with codes), which a
// generation's gen-V.json keeps; and a later base's schema with its dictionaries cut back to
// those sizes, the values past them known elsewhere: what a membership checks rules against.
nlohmann::json dictionary_sizes(const seg::Schema& schema);
seg::Schema with_first_dictionaries(seg::Schema schema, const nlohmann::json& sizes);

// `rule` with each unknown name (a value its compiler had no code for) as the key it names
// among `schema`'s values and those the batches brought (DictionaryResolver::resolve_key), for
// every store to find by key (PlanOptions::exact_names): one batch's store may hold only
// another spelling than the one the name means. A name that matches nothing, or several,
// stays as it is and so finds nothing. Every evaluation in a membership takes its rules so.
ir::Node with_keys(const ir::Node& rule, const seg::Schema& schema);
// Whether two rules name the same unknown names (a rule and itself after the batches brought
// values: whether its names mean other values now).
bool same_names(const ir::Node& a, const ir::Node& b);
bool has_names(const ir::Node& rule);  // whether it has unknown names at all

// The rows of part `p` that `rule` (with_keys) holds at `at`, ascending; and the part holding a global row.
std::vector<uint32_t> matches_in(const ir::Node& rule, const LivePart& p, int64_t at);

const rt::Store& part_in(const std::vector<LivePart>& parts, uint64_t global, uint64_t& row);

// The clients of a membership at one version, as a live count or a diff reads them: the base
// and the batches' parts (shared, never changed), and the rows that are no client's newest.
// Nothing here changes when the membership goes on, so a View holds one and reads it with no
// lock (LiveMembership::view).
struct LiveClients {
  std::shared_ptr<const rt::Store> base;
  std::vector<LivePart> parts;
  uint64_t next_row = 0;
  // Global rows below next_row that are no client's newest (a changed client's older row, a
  // deleted client's last one): few, as compaction starts when they pass a share of the base.
  rt::DeadRows::Frozen dead;
  uint64_t clients = 0;

  const rt::Store& part_of(uint64_t global, uint64_t& row) const { return part_in(parts, global, row); }
  int64_t id_at(uint64_t global) const {
    uint64_t row;
    return part_of(global, row).id_at(row);
  }
  // Ids grow with the global row over the base's rows when they do in the base.
  uint64_t sorted_rows() const { return base->ids_sorted() ? (parts.size() > 1 ? parts[1].first : next_row) : 0; }

  // Every client: the global rows below next_row but the dead ones.
  std::vector<uint64_t> everyone() const {
    std::vector<uint64_t> bits(rt::words_for(next_row), ~uint64_t{0});
    if (!bits.empty()) bits.back() = rt::tail_mask(next_row, bits.size() - 1);
    dead.for_each([&](uint32_t g) { bits[g >> 6] &= ~(uint64_t{1} << (g & 63)); });
    return bits;
  }
  // The clients `rule` (with_keys) holds at `at`: a bitmap over the global rows (words_for(next_row)
  // words) and the sum of their ids. The base's evaluation gives its bitmap and id sum, each
  // batch's members are set row by row, and the dead rows are cleared and their ids taken off
  // the sum. No Roaring set is built, so a rule of millions of members costs about its
  // evaluation over the base.
  struct Members {
    std::vector<uint64_t> bits;
    uint64_t checksum = 0;
  };
  // Without `checksum` (a diff's or the clauses' bitmaps, which only count) the dead rows are
  // cleared without looking up their ids: a lookup each, millions after a large batch.
  Members members(const ir::Node& rule, int64_t at, bool checksum = true) const {
    // No labels: nothing here shows a plan, and printing each test costs more than planning it.
    rt::EvalResult r =
        rt::evaluate(rt::build_plan(rule, *base, at, {.labels = false, .exact_names = true}), *base, {.want_bitmap = true});
    Members out{std::move(r.bitmap), r.checksum};
    out.bits.resize(rt::words_for(next_row));  // the batches' rows after the base's (empty: none matched)
    for (size_t p = 1; p < parts.size(); ++p)
      for (uint32_t row : matches_in(rule, parts[p], at)) {
        const uint64_t g = parts[p].first + row;
        out.bits[g >> 6] |= uint64_t{1} << (g & 63);
        if (checksum) out.checksum += static_cast<uint64_t>(parts[p].store->id_at(row));
      }
    if (!checksum) {
      dead.for_each([&](uint32_t g) { out.bits[g >> 6] &= ~(uint64_t{1} << (g & 63)); });
      return out;
    }
    dead.for_each([&](uint32_t g) {
      if (out.bits[g >> 6] >> (g & 63) & 1) {
        out.bits[g >> 6] &= ~(uint64_t{1} << (g & 63));
        out.checksum -= static_cast<uint64_t>(id_at(g));
      }
    });
    return out;
  }
};

struct LiveMembership::View::Impl {
  LiveClients clients;
  Schema schema;
  int64_t now = 0;
  uint64_t version = 0;
  // The clients a rule compiled against `schema` holds: its unknown names resolved over all
  // the membership's values first (with_keys; the rule is copied only when it has any).
  LiveClients::Members members(const ir::Node& rule, int64_t at, bool checksum = true) const {
    return has_names(rule) ? clients.members(with_keys(rule, internal::schema(schema)), at, checksum)
                           : clients.members(rule, at, checksum);
  }
};

struct LiveMembership::Impl {
  using Moving = MovingBound;
  std::string dir;
  std::shared_ptr<const rt::Store> base;
  Schema schema;
  struct Seg {
    int64_t id;
    std::string text;
    size_t distinct;
  };
  std::vector<Seg> segs;
  std::unordered_map<int64_t, size_t> seg_index;
  struct Distinct {
    ir::Node ir;        // with_keys(compiled, schema): what every evaluation here reads
    ir::Node compiled;  // as its segments' rule compiled, where `names` (else empty)
    bool now_dependent;
    bool names;  // it has unknown names, whose meaning the batches' values may change
    std::vector<size_t> segs;  // indices into `segs`
  };
  std::vector<Distinct> distinct;
  using Meaning = std::pair<uint64_t, std::string>;  // Rule::hash and canonical text
  std::map<Meaning, size_t> by_meaning;             // into `distinct`
  std::vector<rt::RowSet> sets;  // by distinct rule: the global rows of its members
  using Part = LivePart;
  std::vector<Part> parts;  // parts[0] is the base
  rt::RowSet live;          // global rows that are some client's newest row
  rt::DeadRows dead;        // the others below next_row, as they died (a View shares them)
  std::unordered_map<int64_t, uint64_t> moved;  // clients changed since the base: newest global row, or kGone
  uint64_t next_row = 0;
  uint64_t generation = 0;  // the version the base holds
  uint64_t version = 0;
  int64_t now = 0;
  LiveStats stats;
  Fd log_fd;
  uint64_t log_size = 0;  // bytes of the log up to its last whole record
  size_t log_header = 24;  // its records' header bytes (header_bytes: an older log is appended to as written)
  bool read_only = false;
  // Where the replay that opened it stopped: generation read_gen's log, at byte read_byte
  // (an EventReader goes on from there).
  uint64_t read_gen = 0;
  uint64_t read_byte = 0;
  bool broken = false;    // a failed append could not be cut back, or a logged change failed part way (applying)

  // A compaction on its own thread (docs/membership.md, "Compaction"): the new generation's
  // base written and its segments evaluated while this generation takes further changes.
  struct Made {
    std::shared_ptr<Impl> fresh;  // the new generation at its first version; null when it failed
    std::vector<Diagnostic> diagnostics;
  };
  struct Compaction {
    uint64_t version = 0;    // V: the new base holds the clients as of it
    uint64_t log_bytes = 0;  // of this generation's log, up to V's record
    std::string meta;        // gen-V.json, written when the new generation takes over
    std::future<Made> made;  // its destructor waits for the thread
  };
  std::unique_ptr<Compaction> compacting;
  // Clients upserted or deleted by the batches since the base (each time), and, after a
  // compaction failed (a full disk), the count it must pass before the next is started:
  // another share of changes later, not at every batch. Counted in changes, not rows, so a
  // stream of deletions (which adds no rows) retries too.
  uint64_t changes_since_base = 0;
  uint64_t compact_retry_changes = 0;
  uint64_t compact_rows = 0;  // set_compact_after: 0, the default
  // The directory's writer lock (`lock`, flock), taken before the generations are listed and
  // held for the writer's life, across compactions: a second writer cannot open between a
  // take-over and its own lock of the older log (decision 56).
  Fd dir_lock;

  const rt::Store& part_of(uint64_t global, uint64_t& row) const { return part_in(parts, global, row); }
  int64_t id_at(uint64_t global) const {
    uint64_t row;
    return part_of(global, row).id_at(row);
  }
  std::optional<uint64_t> row_of(int64_t client) const {
    if (auto it = moved.find(client); it != moved.end()) {
      if (it->second == kGone) return std::nullopt;
      return it->second;
    }
    return rt::row_of_id(*base, client);
  }
  std::vector<int64_t> ids_of(const rt::RowSet& s) const {
    std::vector<int64_t> out;
    out.reserve(s.count());
    for (uint32_t r : s.rows()) out.push_back(id_at(r));
    std::sort(out.begin(), out.end());
    return out;
  }
  const rt::RowSet& set(int64_t segment) const {
    auto it = seg_index.find(segment);
    if (it == seg_index.end()) throw std::out_of_range("seg::api::LiveMembership: no segment " + std::to_string(segment));
    return sets[segs[it->second].distinct];
  }

  // The clients as they are now, for a View (LiveClients): the parts' list is copied, the
  // stores and the dead rows' chunks shared (listing the dead rows from `live` here, under
  // the caller's lock, took up to 10 MB a count at 10M clients).
  LiveClients clients_now() const { return {base, parts, next_row, dead.freeze(), live.count()}; }

  // By row, where every client keeps its row (a clock step, a segment's new rule: both sets
  // hold live rows only): the differences first, so only the clients who move are looked up.
  void events_by_row(const std::vector<int64_t>& segments, const rt::RowSet& before, const rt::RowSet& after,
                     std::vector<MemberEvent>& out) const {
    rt::RowSet entered = after, exited = before;
    entered.remove_all(before);
    exited.remove_all(after);
    emit(segments, ids_of(entered), ids_of(exited), out);
  }
  std::vector<int64_t> segment_ids(const Distinct& d) const {
    std::vector<int64_t> out;
    for (size_t s : d.segs) out.push_back(segs[s].id);
    return out;
  }
  void emit(const std::vector<int64_t>& segments, const std::vector<int64_t>& entered, const std::vector<int64_t>& exited,
            std::vector<MemberEvent>& out) const {
    for (int64_t s : segments) {
      for (int64_t c : entered) out.push_back({s, c, true, version});
      for (int64_t c : exited) out.push_back({s, c, false, version});
    }
  }
  // A version's events, by segment then client, after those of earlier versions.
  static void append_in_order(std::vector<MemberEvent>& evs, std::vector<MemberEvent>& out) {
    std::sort(evs.begin(), evs.end(), [](const MemberEvent& a, const MemberEvent& b) {
      return std::tie(a.segment, a.client) < std::tie(b.segment, b.client);
    });
    out.insert(out.end(), evs.begin(), evs.end());
  }

  // One batch, already checked (rows loaded, client ids distinct, none both upserted and
  // deleted). Its clients are numbered k: the upserted rows (k is the row in their part), then
  // the deleted ids. A rule's events compare which k it held before the batch (at their old
  // rows) with which it holds after (at their new rows), in client id order: no id is looked
  // up or sorted per rule, and the events come out in order (by segment, then client).
  void apply_batch(std::shared_ptr<const rt::Store> rows, const std::vector<int64_t>& deletes, std::vector<MemberEvent>& out);
  // The values `rows` adds to open dictionaries that neither the base nor an earlier batch
  // has (field, key): what W702 names. know_values_of makes them known to `schema` (no W204).
  std::vector<std::pair<size_t, std::string>> new_values_of(const rt::Store& rows) const;
  bool know_values_of(const rt::Store& rows);  // true when it made values known

  // The base rows a clock step from `from` to `to` can change for rule `d`: those whose value
  // lies between each moving bound's old and new instants, found through the columns' value
  // indexes. False when a column has none (then the rule is evaluated over the whole base).
  bool rows_between(const Distinct& d, int64_t from, int64_t to, std::vector<uint64_t>& rows) const;
  // The same among the batches' parts, found in `values`: for each column a moving bound names,
  // the parts' live rows (global) with a value there, by value, gathered once a clock step
  // (a part has no value index, and reading each part's values again for each rule was most
  // of a step). Live global rows, ascending.
  using PartValues = std::map<int, std::vector<std::pair<int64_t, uint32_t>>>;
  void part_rows_between(const Distinct& d, int64_t from, int64_t to, PartValues& values, std::vector<uint32_t>& rows) const;
  // The members of `rule` among all the batches' parts, as global rows, in one set.
  rt::RowSet members_in_parts(const ir::Node& rule, int64_t at) const {
    std::vector<uint32_t> rows;
    for (size_t p = 1; p < parts.size(); ++p)
      for (uint32_t r : seg::api::matches_in(rule, parts[p], at)) rows.push_back(static_cast<uint32_t>(parts[p].first + r));
    rt::RowSet out;
    out.add_many(rows);  // once: ORing each part's set in turn copied the growing set each time
    return out;
  }

  // Time moves: only rules naming `now` can change. In the base, only rows between a moving
  // bound's old and new instants can (tested one by one); rules whose columns have no index,
  // and the batches' small parts, are evaluated whole.
  void apply_clock(int64_t to, std::vector<MemberEvent>& out);

  // Appends a record and flushes it to disk: after this the change survives a crash. When it
  // cannot (a full disk), the log is cut back to where it was, so that no torn record stands
  // before the next one, and `error` says why.
  bool log(const nlohmann::json& head, std::string_view rows, std::string& error);

  // Applies a change already logged. One that throws part way (no memory) has left the state
  // between two versions, which no replay makes: later changes are refused (`broken`) until
  // a replay makes it whole: the directory opened again, or a compaction in flight taken
  // over (its new state replays the logged change). Its events are in the log, not in what
  // this process handed out.
  template <class F>
  void applying(F&& apply) {
    try {
      apply();
      if (g_fail_next_apply.exchange(false)) throw std::bad_alloc();
    } catch (...) {
      broken = true;
      throw;
    }
  }

  // Segment `id`'s rule, checked when it was given (a log replayed against another base is
  // damage: std::invalid_argument).
  Rule compiled(int64_t id, const std::string& text) const;
  // The distinct rule of `r`'s meaning: an existing one, or a new one listed in `fresh` (its
  // members still to evaluate).
  size_t distinct_of(const Rule& r, std::vector<size_t>& fresh);
  // The segments a directory starts with; returns the distinct rules to evaluate.
  std::vector<size_t> add_segments(const std::vector<std::pair<int64_t, std::string>>& listed);

  // The members of distinct rules `which` at now(): the base in one shared pass, then each
  // batch's part, the rows that are not a client's newest taken out.
  void evaluate_whole(const std::vector<size_t>& which);

  // After segments were removed or changed: `segs` without the removed ones, and distinct
  // rules no segment names dropped (with their members).
  void reindex(const std::vector<bool>& removed);

  // Segments saved, changed or removed, as one version (decision 51): a new segment starts
  // with its members and no events; a changed rule's segment gets the difference as events
  // (who the new rule takes in, who it lets go); a removed one ends without events. A
  // segment keeps its place in counts().
  void apply_segments(const std::vector<std::pair<int64_t, std::string>>& set, const std::vector<int64_t>& remove,
                      std::vector<MemberEvent>& out);

  // The clients' newest rows as one store: the base's live rows and the batches' in client
  // id order when the base's ids are sorted (so the new base's are too), else the base's
  // first. Static: a compaction's thread gathers from what it was given (the parts' stores
  // are immutable, `live` a copy) while the membership goes on.
  static rt::Store gathered(const std::vector<Part>& parts, const rt::RowSet& live, const seg::Schema& schema);  // live_compaction.cpp

  uint64_t compact_limit() const {
    if (compact_rows) return compact_rows;
    return g_compact_rows ? g_compact_rows.load() : std::max(base->rows() / kCompactShare, kCompactRowsAlways);
  }
  // A compaction that failed (or could not start): counted with its reason, and the next put
  // off by another share of changed rows rather than tried at every batch.
  void compaction_failed(std::string why) {
    ++stats.compaction_failures;
    stats.last_compaction_error = std::move(why);
    compact_retry_changes = changes_since_base + compact_limit();
  }
  bool wants_compaction() const {
    // The batches' rows, or the rows that are no client's newest when more (deleted clients
    // add no rows, but their base rows stay dead until a new base: every live count and diff
    // steps over them).
    const uint64_t delta = std::max(next_row - base->rows(), next_row - live.count());
    return changes_since_base >= compact_retry_changes && (delta > compact_limit() || parts.size() > kCompactParts);
  }

  // One record of the log, as apply() or advance() made it. False with `error` when it is not
  // one (a damaged file whose checksum still matches) or its batch no longer loads.
  bool replay(std::string_view payload, std::vector<MemberEvent>& out, std::string& error);

  bool replay_batch(std::string_view text, const std::vector<int64_t>& deletes, std::vector<MemberEvent>& out,
                    std::string& error);
};

namespace live {

// live_generations.cpp
std::vector<uint64_t> generations(const std::string& dir);

std::shared_ptr<LiveMembership::Impl> load_generation(const std::string& dir, uint64_t gen, const std::string& meta_text,
                                                      std::vector<Diagnostic>& diagnostics);

// The record at byte `at` of a log (its header, then the payload): its payload (a view of
// the log's text or of `buf`), unless it is cut short, and whether its header and payload
// pass their checksums. A header failing its sum is damage, unless it and everything after
// it are zeros (a file extended by a write whose bytes never reached the disk: torn).
struct Record {
  std::optional<std::string_view> payload;  // nullopt: cut short (fewer bytes left than it says), or its header damaged
  bool head_ok = true;
  bool sum_ok = false;
};
Record record_at(const LogBytes& log, uint64_t at, std::string& buf);

// Replays the records of `log` from byte `at_byte` while the version is before `stop`,
// appending their events to `events` (when given) and stopping after the record that brings
// them to `max_events`. The byte after the last record replayed; nullopt with `error` when a
// record is damaged or cannot be replayed. `torn`: the bytes of a last record cut short.
std::optional<uint64_t> replay_records(LiveMembership::Impl& m, const LogBytes& log, uint64_t at_byte, uint64_t stop,
                                       std::vector<MemberEvent>* events, std::string& error, uint64_t* torn = nullptr,
                                       size_t max_events = SIZE_MAX);

bool take_log(LiveMembership::Impl& m, uint64_t gen, size_t end, std::vector<Diagnostic>& diagnostics);

void remove_unfinished(const std::string& dir, const std::vector<uint64_t>& gens);

uint64_t last_version_in(const LogBytes& log);

// The byte of a log's first record past version `v`, and the version of the last whole record
// before that byte (`base` when there is none).
struct ByteAfter {
  uint64_t byte;
  uint64_t before;
};
ByteAfter byte_after_version(const LogBytes& log, uint64_t v, uint64_t base);

bool writer_appending(const std::string& log_path, uint64_t size_seen);

Diagnostic versions_missing(const std::string& log_path, uint64_t version, uint64_t next_gen);
Diagnostic torn_record(const std::string& log_path, uint64_t bytes, uint64_t version);
Diagnostic no_version(const std::string& dir, uint64_t wanted, uint64_t newest, bool cursor);
// The index in `gens` of the generation a replay to `version` starts from: the newest at or before it.
size_t generation_index(const std::vector<uint64_t>& gens, uint64_t version);

std::string lost_generation(const std::string& dir, const std::vector<uint64_t>& gens, uint64_t newest);

std::shared_ptr<LiveMembership::Impl> open_generation(const std::string& dir, const std::vector<uint64_t>& gens, size_t g,
                                                      std::optional<uint64_t> at, std::vector<MemberEvent>* events,
                                                      bool writable, std::vector<Diagnostic>& diagnostics);

// live_compaction.cpp
LiveMembership::Impl::Made make_generation(std::string dir, uint64_t v, std::vector<LiveMembership::Impl::Part> parts,
                                           rt::RowSet live, std::string meta, Schema schema);

void start_compaction(LiveMembership::Impl& m);

bool start_compaction_after_change(LiveMembership::Impl& m);

bool take_over(std::shared_ptr<LiveMembership::Impl>& impl, bool wait, std::vector<Diagnostic>& diagnostics);

void take_over_if_done(std::shared_ptr<LiveMembership::Impl>& impl);

// `cursor`: `at` is a reader's cursor (its E803 says "to follow from").
std::optional<LiveMembership> open_membership(const std::string& dir, std::vector<Diagnostic>& diagnostics,
                                             std::optional<uint64_t> at, std::vector<MemberEvent>* events, uint64_t since,
                                             bool writable, bool cursor = false);

}  // namespace live
}  // namespace seg::api
