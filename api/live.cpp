// seg::api::LiveMembership: every segment's members kept current as client rows change and
// time passes (docs/membership.md). The data is the base snapshot plus one small store per
// batch ("parts"); a client's row is its newest one, and rows are numbered across parts
// ("global rows", what the segments' Roaring bitmaps hold). A batch re-evaluates only its own
// rows, against every segment; a clock step re-evaluates the segments whose rules name `now`.
// Every change is appended to the directory's log and flushed before it is applied, and
// opening replays the log through the same code, so the state after a crash is that of the
// changes acknowledged.
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
namespace {

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
// A log's record header: 16 bytes in SEGLOG2, 24 (with its sum) in SEGLOG3.
size_t header_bytes(const std::string& log) { return log.compare(0, kMagicBytes, kLogMagicV2, kMagicBytes) == 0 ? 16 : 24; }
bool is_log(const std::string& log) {
  return log.size() >= kMagicBytes && (log.compare(0, kMagicBytes, kLogMagic, kMagicBytes) == 0 ||
                                       log.compare(0, kMagicBytes, kLogMagicV2, kMagicBytes) == 0);
}
constexpr uint64_t kGone = UINT64_MAX;
// A batch's text holds rows when it has more than spaces and line ends (a blank one is no
// rows, whether applied or replayed: a logged "\n" once made every later open fail).
bool has_rows(std::string_view text) { return text.find_first_not_of(" \t\r\n") != std::string_view::npos; }
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
std::atomic<uint64_t> g_row_by_row{kRowByRow};  // tests: 0 evaluates every part as blocks
std::atomic<uint64_t> g_clock_rows_limit{0};  // tests: 0, the rule above
// A batch after which the rows of the batches since the base are more than a quarter of the
// base's (and at least kCompactRowsAlways), or the batches more than kCompactParts, starts a
// new generation: the newest rows compacted into a new base (docs/membership.md).
constexpr uint64_t kCompactShare = 4;
constexpr uint64_t kCompactRowsAlways = 65536;
constexpr uint64_t kCompactParts = 16384;
std::atomic<uint64_t> g_compact_rows{0};  // tests: 0, the rule above
std::atomic<uint64_t> g_max_rows{rt::kMaxMembershipRows};  // tests: fewer, to reach the limit
std::atomic<bool> g_compaction_hold{false};  // tests: a compaction's thread waits before it ends
std::atomic<bool> g_fail_next_apply{false};  // tests: the next logged change throws once applied

// A directory's generations: generation 0 is base.seg, log and segments.json (the directory
// as `create` made it); a compaction at version V adds base-V.seg, log-V and gen-V.json, the
// last written last, so a generation without it is one whose making did not finish.
std::string base_file(uint64_t gen) { return gen ? "base-" + std::to_string(gen) + ".seg" : "base.seg"; }
std::string log_file(uint64_t gen) { return gen ? "log-" + std::to_string(gen) : "log"; }
std::string meta_file(uint64_t gen) { return gen ? "gen-" + std::to_string(gen) + ".json" : "segments.json"; }

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
                   const std::string& suggestion = "", bool io = false) {
  Diagnostic d;
  d.subject = Subject::Data;
  d.code = code;
  d.source = source;
  d.message = message;
  d.suggestion = suggestion;
  d.io = io;
  return d;
}

bool write_all(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

std::optional<std::string> read_whole(const std::string& path, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = path + ": read error: " + std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

// `size` bytes of a file from byte `from`: the records a compaction's new log starts with.
std::optional<std::string> read_range(const std::string& path, uint64_t from, uint64_t size, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string out(size, '\0');
  uint64_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd, out.data() + got, size - got, static_cast<off_t>(from + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = path + (n == 0 ? ": shorter than written" : std::string(": read error: ") + std::strerror(errno));
      ::close(fd);
      return std::nullopt;
    }
    got += static_cast<uint64_t>(n);
  }
  ::close(fd);
  return out;
}

bool fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

// Written whole or not at all: a temporary file, flushed, renamed over the name, and the
// directory flushed so the rename itself survives a crash.
bool write_durably(const std::string& dir, const std::string& name, const std::string& content, std::string& error) {
  std::string tmp = dir + "/." + name + ".tmp", path = dir + "/" + name;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && write_all(fd, content.data(), content.size()) && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  ok = ok && ::rename(tmp.c_str(), path.c_str()) == 0 && fsync_path(dir);
  if (!ok) error = path + ": cannot be written: " + std::strerror(errno);
  return ok;
}

int64_t plus(int64_t a, int64_t b) {
  int64_t v;
  if (__builtin_add_overflow(a, b, &v)) v = b > 0 ? ir::kMax : ir::kMin;
  return v;
}

// A record of `payload` for a log whose headers take `header` bytes (header_bytes).
std::string frame(std::string_view payload, size_t header) {
  std::string out(header, '\0');
  uint64_t size = payload.size(), sum = rt::xxh64(payload.data(), payload.size());
  std::memcpy(out.data(), &size, 8);
  std::memcpy(out.data() + 8, &sum, 8);
  if (header == 24) {
    const uint64_t head = rt::xxh64(out.data(), 16);
    std::memcpy(out.data() + 16, &head, 8);
  }
  return out.append(payload);
}

}  // namespace

// Each bound of a rule that moves with `now`: its field and its offset from `now`.
struct MovingBound {
  int field;
  int64_t offset;
};
void moving_bounds(const ir::Node& n, std::vector<MovingBound>& out) {
  if (n.kind == ir::Kind::Range) {
    if (n.lo.now_relative) out.push_back({n.field, n.lo.value});
    if (n.hi.now_relative) out.push_back({n.field, n.hi.value});
  }
  for (const auto& c : n.children) moving_bounds(c, out);
}

// A batch's rows in a membership: its store (never changed once made) and the global row of
// its row 0. parts[0] is the base.
struct LivePart {
  std::shared_ptr<const rt::Store> store;
  uint64_t first;
};

// The rows of part `p` that `rule` holds at `at`, numbered within the part, ascending. A part
// of a few rows is tested row by row: a block evaluation's set-up costs more there.
std::vector<uint32_t> matches_in(const ir::Node& rule, const LivePart& p, int64_t at) {
  std::vector<uint32_t> out;
  const uint64_t n = p.store->rows();
  if (n == 0) return out;
  const rt::Plan plan = rt::build_plan(rule, *p.store, at, {.labels = false});
  if (n <= g_row_by_row) {
    for (uint64_t r = 0; r < n; ++r)
      if (rt::eval_row(plan.root, *p.store, r)) out.push_back(static_cast<uint32_t>(r));
    return out;
  }
  const rt::EvalResult r = rt::evaluate(plan, *p.store, {.want_bitmap = true});
  out.reserve(r.count);
  for (size_t w = 0; w < r.bitmap.size(); ++w)
    for (uint64_t m = r.bitmap[w]; m; m &= m - 1) out.push_back(static_cast<uint32_t>(w * 64 + static_cast<uint64_t>(__builtin_ctzll(m))));
  return out;
}

// The store holding global row `global` among `parts` (ascending by first row), and its row there.
const rt::Store& part_in(const std::vector<LivePart>& parts, uint64_t global, uint64_t& row) {
  auto it = std::upper_bound(parts.begin(), parts.end(), global, [](uint64_t g, const LivePart& p) { return g < p.first; });
  const LivePart& p = *(it - 1);
  row = global - p.first;
  return *p.store;
}

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
  // The clients `rule` holds at `at`: a bitmap over the global rows (words_for(next_row)
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
    rt::EvalResult r = rt::evaluate(rt::build_plan(rule, *base, at, {.labels = false}), *base, {.want_bitmap = true});
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
    ir::Node ir;
    bool now_dependent;
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

  // The members of `d` among the rows of a batch's part, as global rows.
  rt::RowSet members_in(const Distinct& d, const Part& p) const { return members_in(d.ir, p, now); }
  rt::RowSet members_in(const ir::Node& rule, const Part& p, int64_t at) const {
    std::vector<uint32_t> rows = seg::api::matches_in(rule, p, at);
    for (uint32_t& r : rows) r += static_cast<uint32_t>(p.first);
    rt::RowSet out;
    out.add_many(rows);
    return out;
  }
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
  void apply_batch(std::shared_ptr<const rt::Store> rows, const std::vector<int64_t>& deletes, std::vector<MemberEvent>& out) {
    const uint64_t upserts = rows ? rows->rows() : 0;
    if (next_row + upserts > rt::kMaxMembershipRows)  // apply() refuses such a batch before logging it (E810)
      throw std::logic_error("seg::api::LiveMembership: more than 2^32 rows since the base");
    ++version;
    std::vector<int64_t> gone = deletes;
    std::sort(gone.begin(), gone.end());
    gone.erase(std::unique(gone.begin(), gone.end()), gone.end());
    std::vector<int64_t> client;
    client.reserve(upserts + gone.size());
    for (uint64_t r = 0; r < upserts; ++r) client.push_back(rows->id_at(r));
    client.insert(client.end(), gone.begin(), gone.end());
    const auto n = static_cast<uint32_t>(client.size());
    std::vector<std::pair<uint32_t, uint32_t>> was;  // the clients' rows before the batch, ascending, and their k
    for (uint32_t k = 0; k < n; ++k)
      if (auto r = row_of(client[k])) was.emplace_back(static_cast<uint32_t>(*r), k);
    std::sort(was.begin(), was.end());
    std::vector<uint32_t> old_rows;
    old_rows.reserve(was.size());
    for (const auto& w : was) old_rows.push_back(w.first);
    std::vector<uint32_t> by_rank(n), rank(n);  // k in client id order, and back
    for (uint32_t k = 0; k < n; ++k) by_rank[k] = k;
    std::sort(by_rank.begin(), by_rank.end(), [&](uint32_t a, uint32_t b) { return client[a] < client[b]; });
    for (uint32_t q = 0; q < n; ++q) rank[by_rank[q]] = q;
    std::optional<Part> part;
    if (upserts) {
      part = Part{rows, next_row};
      parts.push_back(*part);
      next_row += upserts;
    }

    // Each rule's moves by rank: rank << 1 | 1 entered, rank << 1 exited.
    std::vector<std::vector<uint64_t>> moves(distinct.size());
    std::vector<uint8_t> state(n, 0);  // by rank: 1 held before, 2 holds after
    std::vector<uint32_t> taken, touched, added;
    for (size_t i = 0; i < distinct.size(); ++i) {
      const std::vector<uint32_t> holds = part ? seg::api::matches_in(distinct[i].ir, *part, now) : std::vector<uint32_t>();
      taken.clear();
      sets[i].take_all(old_rows, taken);  // the clients it held: was[t] for each t taken
      if (taken.empty() && holds.empty()) continue;
      added.assign(holds.begin(), holds.end());
      for (uint32_t& r : added) r += static_cast<uint32_t>(part->first);
      sets[i].add_many(added);
      touched.clear();
      for (uint32_t t : taken) state[rank[was[t].second]] = 1, touched.push_back(rank[was[t].second]);
      for (uint32_t k : holds) {
        if (!state[rank[k]]) touched.push_back(rank[k]);
        state[rank[k]] |= 2;
      }
      std::vector<uint64_t>& mv = moves[i];
      auto take = [&](uint32_t q) {
        if (state[q] != 3) mv.push_back(uint64_t{q} << 1 | (state[q] == 2));
        state[q] = 0;
      };
      if (touched.size() * 16 >= n) {  // a good share of the batch: its ranks in order
        for (uint32_t q = 0; q < n; ++q)
          if (state[q]) take(q);
      } else {
        std::sort(touched.begin(), touched.end());
        for (uint32_t q : touched) take(q);
      }
    }

    std::vector<std::pair<int64_t, size_t>> order;  // segment id and its rule, for rules with moves
    size_t total = 0;
    for (size_t i = 0; i < distinct.size(); ++i)
      if (!moves[i].empty())
        for (size_t s : distinct[i].segs) order.emplace_back(segs[s].id, i), total += moves[i].size();
    std::sort(order.begin(), order.end());
    out.reserve(out.size() + total);
    for (const auto& [segment, i] : order)
      for (uint64_t m : moves[i]) out.push_back({segment, client[by_rank[m >> 1]], (m & 1) != 0, version});

    taken.clear();
    live.take_all(old_rows, taken);
    for (uint32_t t : taken) dead.add(old_rows[t]);
    for (int64_t id : gone) moved[id] = kGone;
    changes_since_base += n;
    for (uint64_t r = 0; r < upserts; ++r) {
      moved[client[r]] = part->first + r;
      live.add(static_cast<uint32_t>(part->first + r));
    }
  }

  // The base rows a clock step from `from` to `to` can change for rule `d`: those whose value
  // lies between each moving bound's old and new instants, found through the columns' value
  // indexes. False when a column has none (then the rule is evaluated over the whole base).
  bool rows_between(const Distinct& d, int64_t from, int64_t to, std::vector<uint64_t>& rows) const {
    std::vector<MovingBound> bounds;
    moving_bounds(d.ir, bounds);
    for (const auto& b : bounds) {
      if (!rt::has_row_lookup(*base, b.field)) return false;
      const rt::Column& c = base->column(b.field);
      if (!c.meta.has_values) continue;
      int64_t lo = plus(from, b.offset), hi = plus(to, b.offset);
      if (lo > hi) std::swap(lo, hi);
      if (hi < c.meta.base) continue;
      const uint64_t off_lo = lo <= c.meta.base ? 0 : static_cast<uint64_t>(lo) - static_cast<uint64_t>(c.meta.base);
      const uint64_t off_hi = static_cast<uint64_t>(hi) - static_cast<uint64_t>(c.meta.base);
      rt::lookup_rows(*base, b.field, off_lo, off_hi, UINT64_MAX, rows);
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    return true;
  }

  // Time moves: only rules naming `now` can change. In the base, only rows between a moving
  // bound's old and new instants can (tested one by one); rules whose columns have no index,
  // and the batches' small parts, are evaluated whole.
  void apply_clock(int64_t to, std::vector<MemberEvent>& out) {
    ++version;
    const int64_t from = now;
    now = to;
    std::vector<size_t> whole;
    std::vector<rt::Plan> plans;
    std::vector<MemberEvent> evs;
    for (size_t i = 0; i < distinct.size(); ++i) {
      if (!distinct[i].now_dependent) continue;
      std::vector<uint64_t> rows;
      const uint64_t limit = g_clock_rows_limit ? g_clock_rows_limit.load()
                                                : std::max(base->rows() / kClockRowShare, kClockRowsAlways);
      if (!rows_between(distinct[i], from, to, rows) || rows.size() > limit) {
        whole.push_back(i);
        plans.push_back(rt::build_plan(distinct[i].ir, *base, now));
        ++stats.clock_full_passes;
        continue;
      }
      stats.clock_rows_tested += rows.size();
      rt::Plan plan = rt::build_plan(distinct[i].ir, *base, now);
      rt::RowSet before, after;
      for (uint64_t r : rows) {
        const auto row = static_cast<uint32_t>(r);
        if (!live.contains(row)) continue;  // a client's older row
        if (sets[i].contains(row)) before.add(row);
        if (rt::eval_row(plan.root, *base, r)) after.add(row);
      }
      for (size_t p = 1; p < parts.size(); ++p) {  // the batches' parts, whole
        rt::RowSet rows_of_part;
        rows_of_part.add_range(parts[p].first, parts[p].first + parts[p].store->rows());
        before.add_all(sets[i].both(rows_of_part).both(live));
        after.add_all(members_in(distinct[i], parts[p]).both(live));
      }
      events_by_row(segment_ids(distinct[i]), before, after, evs);
      sets[i].remove_all(before);
      sets[i].add_all(after);
    }
    // The rest in one shared pass over the base.
    std::vector<const rt::Plan*> ptrs;
    for (const auto& p : plans) ptrs.push_back(&p);
    std::vector<rt::RowSet> in_base = rt::refresh(ptrs, *base).sets;
    for (size_t k = 0; k < whole.size(); ++k) {
      const size_t i = whole[k];
      rt::RowSet after = std::move(in_base[k]);
      for (size_t p = 1; p < parts.size(); ++p) after.add_all(members_in(distinct[i], parts[p]));
      after = after.both(live);
      events_by_row(segment_ids(distinct[i]), sets[i], after, evs);
      sets[i] = std::move(after);
    }
    append_in_order(evs, out);
  }

  // Appends a record and flushes it to disk: after this the change survives a crash. When it
  // cannot (a full disk), the log is cut back to where it was, so that no torn record stands
  // before the next one, and `error` says why.
  bool log(const nlohmann::json& head, std::string_view rows, std::string& error) {
    std::string rec = frame(head.dump() + "\n" + std::string(rows), log_header);
    if (write_all(log_fd.fd, rec.data(), rec.size()) && ::fdatasync(log_fd.fd) == 0) {
      log_size += rec.size();
      return true;
    }
    error = dir + "/log: cannot be written: " + std::strerror(errno);
    if (::ftruncate(log_fd.fd, static_cast<off_t>(log_size)) != 0 || ::lseek(log_fd.fd, static_cast<off_t>(log_size), SEEK_SET) < 0)
      broken = true;  // the log's end is unknown: refuse further changes (reopening cuts it)
    return false;
  }

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
  Rule compiled(int64_t id, const std::string& text) const {
    Rule r = Rule::compile(text, schema);
    if (!r.ok()) throw std::invalid_argument("segment " + std::to_string(id) + ": " + to_string(r.diagnostics()[0]));
    return r;
  }
  // The distinct rule of `r`'s meaning: an existing one, or a new one listed in `fresh` (its
  // members still to evaluate).
  size_t distinct_of(const Rule& r, std::vector<size_t>& fresh) {
    auto [it, is_new] = by_meaning.try_emplace({r.hash(), r.canonical_text()}, distinct.size());
    if (is_new) {
      distinct.push_back({*r.impl->ir, ir::uses_now(*r.impl->ir), {}});
      sets.emplace_back();
      fresh.push_back(it->second);
    }
    return it->second;
  }
  // The segments a directory starts with; returns the distinct rules to evaluate.
  std::vector<size_t> add_segments(const std::vector<std::pair<int64_t, std::string>>& listed) {
    std::vector<size_t> fresh;
    for (const auto& [id, text] : listed) {
      Rule r = compiled(id, text);
      const size_t d = distinct_of(r, fresh);
      seg_index[id] = segs.size();
      distinct[d].segs.push_back(segs.size());
      segs.push_back({id, r.canonical_text(), d});
    }
    return fresh;
  }

  // The members of distinct rules `which` at now(): the base in one shared pass, then each
  // batch's part, the rows that are not a client's newest taken out.
  void evaluate_whole(const std::vector<size_t>& which) {
    std::vector<rt::Plan> plans;
    for (size_t i : which) plans.push_back(rt::build_plan(distinct[i].ir, *base, now));
    std::vector<const rt::Plan*> ptrs;
    for (const auto& p : plans) ptrs.push_back(&p);
    std::vector<rt::RowSet> in_base = rt::refresh(ptrs, *base).sets;
    for (size_t k = 0; k < which.size(); ++k) {
      rt::RowSet s = std::move(in_base[k]);
      if (parts.size() > 1) {
        for (size_t p = 1; p < parts.size(); ++p) s.add_all(members_in(distinct[which[k]], parts[p]));
        s = s.both(live);
      }
      sets[which[k]] = std::move(s);
    }
  }

  // After segments were removed or changed: `segs` without the removed ones, and distinct
  // rules no segment names dropped (with their members).
  void reindex(const std::vector<bool>& removed) {
    std::vector<Seg> kept;
    for (size_t i = 0; i < segs.size(); ++i)
      if (!removed[i]) kept.push_back(std::move(segs[i]));
    segs = std::move(kept);
    std::vector<size_t> new_index(distinct.size(), SIZE_MAX);
    std::vector<Distinct> d2;
    std::vector<rt::RowSet> s2;
    for (auto& s : segs) {
      if (new_index[s.distinct] == SIZE_MAX) {
        new_index[s.distinct] = d2.size();
        d2.push_back(std::move(distinct[s.distinct]));
        d2.back().segs.clear();
        s2.push_back(std::move(sets[s.distinct]));
      }
      s.distinct = new_index[s.distinct];
    }
    distinct = std::move(d2);
    sets = std::move(s2);
    seg_index.clear();
    for (size_t i = 0; i < segs.size(); ++i) {
      seg_index[segs[i].id] = i;
      distinct[segs[i].distinct].segs.push_back(i);
    }
    std::map<Meaning, size_t> m;
    for (auto& [key, i] : by_meaning)
      if (new_index[i] != SIZE_MAX) m.emplace(key, new_index[i]);
    by_meaning = std::move(m);
  }

  // Segments saved, changed or removed, as one version (decision 51): a new segment starts
  // with its members and no events; a changed rule's segment gets the difference as events
  // (who the new rule takes in, who it lets go); a removed one ends without events. A
  // segment keeps its place in counts().
  void apply_segments(const std::vector<std::pair<int64_t, std::string>>& set, const std::vector<int64_t>& remove,
                      std::vector<MemberEvent>& out) {
    ++version;
    std::vector<bool> removed(segs.size(), false);
    for (int64_t id : remove)
      if (auto it = seg_index.find(id); it != seg_index.end()) removed[it->second] = true;
    std::vector<size_t> fresh;
    std::map<int64_t, size_t> changed;  // segment id: its distinct rule before
    for (const auto& [id, text] : set) {
      Rule r = compiled(id, text);
      const size_t d = distinct_of(r, fresh);
      auto it = seg_index.find(id);
      if (it == seg_index.end()) {
        seg_index[id] = segs.size();
        segs.push_back({id, r.canonical_text(), d});
        removed.push_back(false);
        continue;
      }
      Seg& sg = segs[it->second];
      if (sg.distinct != d) changed.try_emplace(id, sg.distinct);
      sg.distinct = d;
      sg.text = r.canonical_text();
    }
    evaluate_whole(fresh);
    std::map<int64_t, rt::RowSet> before;  // copied: reindex drops rules no segment names
    for (const auto& [id, old] : changed) before[id] = sets[old];
    reindex(removed);
    std::vector<MemberEvent> evs;
    for (const auto& [id, was] : before) events_by_row({id}, was, sets[segs[seg_index.at(id)].distinct], evs);
    append_in_order(evs, out);
  }

  // The clients' newest rows as one store: the base's live rows and the batches' in client
  // id order when the base's ids are sorted (so the new base's are too), else the base's
  // first. Static: a compaction's thread gathers from what it was given (the parts' stores
  // are immutable, `live` a copy) while the membership goes on.
  static rt::Store gathered(const std::vector<Part>& parts, const rt::RowSet& live) {
    const rt::Store& base = *parts[0].store;
    rt::StoreGatherer g(base.schema());
    std::vector<std::pair<int64_t, uint64_t>> newer;  // id, global row
    for (size_t p = 1; p < parts.size(); ++p)
      for (uint64_t r = 0; r < parts[p].store->rows(); ++r)
        if (live.contains(static_cast<uint32_t>(parts[p].first + r))) newer.emplace_back(parts[p].store->id_at(r), parts[p].first + r);
    std::sort(newer.begin(), newer.end());
    auto add_global = [&](uint64_t global) {
      uint64_t row;
      const rt::Store& s = part_in(parts, global, row);
      g.add(s, row);
    };
    size_t k = 0;
    const bool merge = base.ids_sorted();
    for (uint64_t r = 0; r < base.rows(); ++r) {
      if (!live.contains(static_cast<uint32_t>(r))) continue;
      if (merge)
        for (; k < newer.size() && newer[k].first < base.id_at(r); ++k) add_global(newer[k].second);
      g.add(base, r);
    }
    for (; k < newer.size(); ++k) add_global(newer[k].second);
    return g.finish();
  }

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
  bool replay(std::string_view payload, std::vector<MemberEvent>& out, std::string& error) {
    size_t nl = payload.find('\n');
    nlohmann::json head = nlohmann::json::parse(payload.substr(0, nl), nullptr, false);
    std::string_view text = nl == std::string_view::npos ? std::string_view() : payload.substr(nl + 1);
    try {
      if (!head.is_object()) throw std::invalid_argument("not a record");
      if (head.at("version").get<uint64_t>() != version + 1)
        throw std::invalid_argument("it says version " + head.at("version").dump() + ", out of order");
      const std::string kind = head.at("kind").get<std::string>();
      if (kind == "clock") {
        apply_clock(head.at("now").get<int64_t>(), out);
        return true;
      }
      if (kind == "segments") {
        std::vector<std::pair<int64_t, std::string>> set;
        for (const auto& x : head.at("set")) set.emplace_back(x.at("id").get<int64_t>(), x.at("rule").get<std::string>());
        apply_segments(set, head.at("remove").get<std::vector<int64_t>>(), out);
        return true;
      }
      return replay_batch(text, head.at("deletes").get<std::vector<int64_t>>(), out, error);
    } catch (const std::exception& e) {
      error = e.what();
      return false;
    }
  }

  bool replay_batch(std::string_view text, const std::vector<int64_t>& deletes, std::vector<MemberEvent>& out,
                    std::string& error) {
    std::shared_ptr<const rt::Store> rows;
    if (has_rows(text)) {
      rt::LoadResult r = rt::load_text(text, "log", base->schema());
      if (!r.ok()) {
        error = "a logged batch no longer loads: " + (r.errors.empty() ? std::string() : r.errors[0].to_string());
        return false;
      }
      rows = std::make_shared<const rt::Store>(std::move(*r.store));
    }
    apply_batch(rows, deletes, out);
    return true;
  }
};

namespace internal {
void set_clock_rows_limit(uint64_t rows) { g_clock_rows_limit = rows; }
void set_row_by_row_limit(uint64_t clients) { g_row_by_row = clients; }
void set_compact_rows(uint64_t rows) { g_compact_rows = rows; }
void set_compaction_hold(bool hold) { g_compaction_hold = hold; }
void fail_next_apply() { g_fail_next_apply = true; }
void set_max_rows(uint64_t rows) { g_max_rows = rows ? std::min(rows, rt::kMaxMembershipRows) : rt::kMaxMembershipRows; }
}  // namespace internal

void append_json(std::string& out, const MemberEvent& e) {
  fmt::format_to(std::back_inserter(out), R"({{"segment":{},"client":{},"event":"{}","version":{}}})", e.segment, e.client,
                 e.entered ? "entered" : "exited", e.version);
}

std::string to_json_lines(const std::vector<MemberEvent>& events) {
  std::string out;
  out.reserve(events.size() * 64);
  for (const auto& e : events) {
    append_json(out, e);
    out += '\n';
  }
  return out;
}

std::optional<LiveMembership> LiveMembership::create(const std::string& dir, const Store& base,
                                                     const std::vector<std::pair<int64_t, std::string>>& segments,
                                                     int64_t now, std::vector<Diagnostic>& diagnostics) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    diagnostics.push_back(problem("E803", dir, "a membership directory must be new or empty",
                                  "open it instead (seg apply/members/events --state), or name a new directory"));
    return std::nullopt;
  }
  fs::create_directories(dir, ec);
  if (ec) {
    diagnostics.push_back(problem("E701", dir, "cannot be made: " + ec.message(), "", true));
    return std::nullopt;
  }
  // Every rule must compile before anything is written.
  nlohmann::json segs = nlohmann::json::array();
  std::map<int64_t, bool> seen;
  // Every segment's problems are said, not only the first one's (a host shows them all).
  bool refused = false;
  for (const auto& [id, text] : segments) {
    Rule r = Rule::compile(text, base.schema());
    if (!r.ok()) {
      for (auto d : r.diagnostics()) {
        d.source = "segment " + std::to_string(id);
        diagnostics.push_back(std::move(d));
      }
      refused = true;
    }
    if (!seen.emplace(id, true).second) {
      diagnostics.push_back(problem("E807", "segments", "segment " + std::to_string(id) + " is given twice"));
      refused = true;
    }
    if (r.ok()) segs.push_back({{"id", id}, {"rule", r.canonical_text()}});
  }
  if (refused) return std::nullopt;
  std::string error;
  if (!rt::write_snapshot(internal::store(base), dir + "/base.seg", error) || !fsync_path(dir + "/base.seg") ||
      !write_durably(dir, "log", std::string(kLogMagic, kMagicBytes), error) ||
      // Last: a directory without it is one whose making did not finish.
      !write_durably(dir, "segments.json", nlohmann::json{{"now", now}, {"segments", segs}}.dump(1) + "\n", error)) {
    diagnostics.push_back(problem("E701", dir, error.empty() ? "cannot be written" : error, "", true));
    return std::nullopt;
  }
  return open(dir, diagnostics);
}

namespace {

// The generations of `dir` (their first versions, ascending; 0 when the directory was made).
std::vector<uint64_t> generations(const std::string& dir) {
  std::vector<uint64_t> out{0};
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    uint64_t v = 0;
    if (name.size() > 9 && name.compare(0, 4, "gen-") == 0 && name.compare(name.size() - 5, 5, ".json") == 0) {
      auto [end, err] = std::from_chars(name.data() + 4, name.data() + name.size() - 5, v);
      if (err == std::errc() && end == name.data() + name.size() - 5 && v > 0) out.push_back(v);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Generation `gen` of `dir` at its first version: its base loaded, its segments (from `meta`,
// the text of its gen-V.json) evaluated; no log read and none taken (read-only until
// take_log). The same whether the generation is opened or a compaction just made it.
std::shared_ptr<LiveMembership::Impl> load_generation(const std::string& dir, uint64_t gen, const std::string& meta_text,
                                                      std::vector<Diagnostic>& diagnostics) {
  using Impl = LiveMembership::Impl;
  auto m = std::make_shared<Impl>();
  m->dir = dir;
  m->read_only = true;
  const std::string meta_path = dir + "/" + meta_file(gen);
  nlohmann::json meta = nlohmann::json::parse(meta_text, nullptr, false);
  if (meta.is_discarded() || !meta.is_object() || !meta.contains("segments") || !meta.contains("now")) {
    diagnostics.push_back(problem("E803", meta_path, "not a membership directory's " + meta_file(gen)));
    return nullptr;
  }
  rt::LoadResult b = rt::load_data(dir + "/" + base_file(gen), seg::Schema{});
  if (!b.ok()) {
    for (const auto& e : b.errors) diagnostics.push_back(from_load(e));
    return nullptr;
  }
  rt::Store& base = *b.store;  // indexed below, then shared read-only
  m->schema = internal::wrap(base.schema());
  m->generation = m->version = gen;
  std::vector<std::pair<int64_t, std::string>> listed;
  try {
    m->now = meta.at("now").get<int64_t>();
    for (const auto& s : meta.at("segments")) listed.emplace_back(s.at("id").get<int64_t>(), s.at("rule").get<std::string>());
    if (gen && meta.at("version").get<uint64_t>() != gen) throw std::invalid_argument("its version is not its name's");
  } catch (const std::exception& e) {
    diagnostics.push_back(problem("E803", meta_path, std::string("not a membership directory's segments: ") + e.what()));
    return nullptr;
  }
  std::vector<size_t> fresh;
  try {
    fresh = m->add_segments(listed);
  } catch (const std::invalid_argument& e) {
    diagnostics.push_back(problem("E803", meta_path, std::string("a segment's rule no longer compiles: ") + e.what()));
    return nullptr;
  }
  // The columns `now` bounds name get a value index, so a clock step finds the rows between a
  // bound's old and new instants without a scan.
  for (const auto& d : m->distinct) {
    std::vector<MovingBound> bounds;
    moving_bounds(d.ir, bounds);
    for (const auto& mb : bounds) rt::build_value_index(base, mb.field, rt::IndexFor::Ranges);
  }
  m->base = std::make_shared<const rt::Store>(std::move(base));
  m->parts.push_back({m->base, 0});
  m->next_row = m->base->rows();
  m->live.add_range(0, m->base->rows());
  m->evaluate_whole(fresh);
  return m;
}

// Replays the records of `log` (a whole log file, magic included) from byte `at_byte` while
// the version is below `stop`, up to a last record cut short or failing its checksum (a crash
// while it was written: never acknowledged). Returns the byte after the last record replayed,
// or nullopt with `error` on damage: a whole record that cannot be replayed, or one failing
// its checksum with more of the log after it (a crash tears only the last record; treating
// it as torn would have cut every acknowledged record after it off at the next open).
// The record at byte `at` of a log's text (its header, then the payload): its payload, unless
// it is cut short, and whether its header and payload pass their checksums. A header failing
// its sum is damage, unless it and everything after it are zeros (a file extended by a write
// whose bytes never reached the disk: torn).
struct Record {
  std::optional<std::string_view> payload;  // nullopt: cut short (fewer bytes left than it says), or its header damaged
  bool head_ok = true;
  bool sum_ok = false;
};
Record record_at(const std::string& log, size_t at) {
  const size_t header = header_bytes(log);
  if (log.size() - at < header) return {};  // part of a header: torn
  uint64_t size, sum;
  std::memcpy(&size, log.data() + at, 8);
  std::memcpy(&sum, log.data() + at + 8, 8);
  if (header == 24) {
    uint64_t head;
    std::memcpy(&head, log.data() + at + 16, 8);
    if (rt::xxh64(log.data() + at, 16) != head)
      return {std::nullopt, log.find_first_not_of('\0', at) == std::string::npos, false};
  }
  if (size > log.size() - at - header) return {};
  std::string_view payload(log.data() + at + header, size);
  return {payload, true, rt::xxh64(payload.data(), payload.size()) == sum};
}

std::optional<size_t> replay_records(LiveMembership::Impl& m, const std::string& log, size_t at_byte, uint64_t stop,
                                     std::vector<MemberEvent>* events, std::string& error) {
  std::vector<MemberEvent> scratch;
  std::vector<MemberEvent>& out = events ? *events : scratch;
  while (at_byte < log.size() && m.version < stop) {
    Record r = record_at(log, at_byte);
    if (!r.head_ok) {
      error = "damaged at byte " + std::to_string(at_byte) + ": the header of the record of version " +
              std::to_string(m.version + 1) + " fails its checksum (restore the directory from a copy)";
      return std::nullopt;
    }
    if (!r.payload) break;  // cut short: the last record, torn
    const size_t next = at_byte + header_bytes(log) + r.payload->size();
    if (!r.sum_ok) {
      if (next == log.size()) break;  // the last record: torn
      error = "damaged at byte " + std::to_string(at_byte) + ": the record of version " + std::to_string(m.version + 1) +
              " fails its checksum and " + std::to_string(log.size() - next) +
              " bytes of records follow it (restore the directory from a copy)";
      return std::nullopt;
    }
    if (!m.replay(*r.payload, out, error)) {
      error = "record of version " + std::to_string(m.version + 1) + " cannot be replayed: " + error;
      return std::nullopt;
    }
    if (!events) scratch.clear();
    at_byte = next;
  }
  return at_byte;
}

// Takes generation `gen`'s log for writing: locked (one process changes a directory), cut
// after its last whole record (`end`), and appended to from there.
bool take_log(LiveMembership::Impl& m, uint64_t gen, size_t end, std::vector<Diagnostic>& diagnostics) {
  const std::string log_path = m.dir + "/" + log_file(gen);
  Fd fd(::open(log_path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.fd >= 0 && ::flock(fd.fd, LOCK_EX | LOCK_NB) != 0) {
    diagnostics.push_back(problem("E803", m.dir, "another process is changing this membership",
                                  "send changes to the process that has it open (seg serve --membership), or stop it"));
    return false;
  }
  if (fd.fd < 0 || ::ftruncate(fd.fd, static_cast<off_t>(end)) != 0 || ::lseek(fd.fd, 0, SEEK_END) < 0 || ::fsync(fd.fd) != 0) {
    diagnostics.push_back(problem("E701", log_path, std::string("cannot be opened for writing: ") + std::strerror(errno), "", true));
    return false;
  }
  m.log_fd = std::move(fd);
  m.log_size = end;
  m.read_only = false;
  return true;
}

// Files of generations whose making did not finish (a compaction cut short by a crash or a
// full disk: no gen-V.json): removed by the process that changes the directory, once it
// holds the lock. Readers never open them. Only those past the newest generation: one before
// it without its gen-V.json lost that file, and its base and log still hold the versions up
// to the next generation (removing them, as before, made the loss of one file the loss of
// that history: found by a review).
void remove_unfinished(const std::string& dir, const std::vector<uint64_t>& gens) {
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    std::string_view digits;
    if (name.size() > 9 && name.compare(0, 5, "base-") == 0 && name.compare(name.size() - 4, 4, ".seg") == 0)
      digits = std::string_view(name).substr(5, name.size() - 9);
    else if (name.size() > 4 && name.compare(0, 4, "log-") == 0)
      digits = std::string_view(name).substr(4);
    else if (name.size() > 5 && name[0] == '.' &&
             (name.compare(name.size() - 4, 4, ".tmp") == 0 || name.find(".seg-tmp.") != std::string::npos))
      doomed.push_back(e.path());  // write_durably's and write_snapshot's, never renamed
    uint64_t v = 0;
    if (digits.empty()) continue;
    auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (err == std::errc() && end == digits.data() + digits.size() && v > gens.back())
      doomed.push_back(e.path());
  }
  for (const auto& p : doomed) fs::remove(p, ec);
}

// The version of the last whole record of a log's text (0 when it has none).
uint64_t last_version_in(const std::string& log) {
  uint64_t last = 0;
  for (size_t at = kMagicBytes; at < log.size();) {
    Record r = record_at(log, at);
    if (!r.payload || !r.sum_ok) break;
    auto head = nlohmann::json::parse(r.payload->substr(0, r.payload->find('\n')), nullptr, false);
    if (head.is_object() && head.contains("version") && head["version"].is_number_unsigned())
      last = head["version"].get<uint64_t>();
    at += header_bytes(log) + r.payload->size();
  }
  return last;
}

// A log-V without its gen-V.json is a compaction cut short (its log a copy of the older log's
// tail, never past its end), unless it holds versions after `newest`, the last the generations
// replayed: then the take-over happened and gen-V.json was lost, and going on without it would
// serve an older version and let the next writer remove log-V with the changes in it (found
// by a review). An error message then, or "" when there is none.
std::string lost_generation(const std::string& dir, const std::vector<uint64_t>& gens, uint64_t newest) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    uint64_t v = 0;
    if (name.size() <= 4 || name.compare(0, 4, "log-") != 0) continue;
    auto [end, err] = std::from_chars(name.data() + 4, name.data() + name.size(), v);
    if (err != std::errc() || end != name.data() + name.size() || std::binary_search(gens.begin(), gens.end(), v)) continue;
    std::string error;
    auto log = read_whole(e.path().string(), error);
    if (!log) continue;
    // A writer's take-over writes gen-V.json before anything goes past the older log, so one
    // there now is a generation made since the list was read (a reader's race), not a loss.
    if (uint64_t last = last_version_in(*log); last > newest && !fs::exists(fs::path(dir) / meta_file(v), ec))
      return name + " holds versions up to " + std::to_string(last) + ", past the " + std::to_string(newest) +
             " the generations replay to, but " + meta_file(v) + " is missing (restore it from a copy)";
  }
  return "";
}

// Opens generation `gen` of `dir` and replays the log from there: that generation's log up to
// where the next generation starts, then (read-only) the later generations' logs, which
// continue it, up to version `at`. A writable open is of the newest generation and cuts a
// torn last record off its log.
std::shared_ptr<LiveMembership::Impl> open_generation(const std::string& dir, const std::vector<uint64_t>& gens, size_t g,
                                                      std::optional<uint64_t> at, std::vector<MemberEvent>* events,
                                                      bool writable, std::vector<Diagnostic>& diagnostics) {
  const uint64_t gen = gens[g];
  std::string error;
  auto meta_text = read_whole(dir + "/" + meta_file(gen), error);
  if (!meta_text) {
    if (g + 1 < gens.size())  // a later generation is there: this one's history was removed
      diagnostics.push_back(problem("E811", dir,
                                    "the versions before " + std::to_string(gens[g + 1]) + " were removed with their generation (no " +
                                        meta_file(gen) + "): the oldest version readable is " + std::to_string(gens[g + 1]),
                                    "ask from version " + std::to_string(gens[g + 1]) + " on"));
    else
      diagnostics.push_back(problem("E803", dir, "not a membership directory (no " + meta_file(gen) + "): " + error,
                                    "make one with `seg refresh --state DIR`"));
    return nullptr;
  }
  auto m = load_generation(dir, gen, *meta_text, diagnostics);
  if (!m) return nullptr;
  size_t end_of_records = kMagicBytes;
  for (size_t k = g; k < gens.size() && !(at && m->version >= *at); ++k) {
    if (k > g && m->version != gens[k]) {
      diagnostics.push_back(problem("E811", dir + "/" + log_file(gens[k - 1]),
                                    "ends at version " + std::to_string(m->version) + ", before generation " +
                                        std::to_string(gens[k]) + " starts: versions are missing"));
      return nullptr;
    }
    const std::string log_path = dir + "/" + log_file(gens[k]);
    auto log = read_whole(log_path, error);
    if (!log || !is_log(*log)) {
      diagnostics.push_back(problem("E803", log_path, log ? "not a membership log" : error));
      return nullptr;
    }
    // A log goes on past the next generation's start when changes came while the compaction
    // that made it ran: the next log holds those too, from its start.
    uint64_t stop = at.value_or(UINT64_MAX);
    if (k + 1 < gens.size()) stop = std::min(stop, gens[k + 1]);
    auto end = replay_records(*m, *log, kMagicBytes, stop, events, error);
    if (!end) {
      diagnostics.push_back(problem("E803", log_path, error));
      return nullptr;
    }
    end_of_records = *end;
    m->log_header = header_bytes(*log);
  }
  if (at && m->version < *at) {
    diagnostics.push_back(problem("E803", dir, "no version " + std::to_string(*at) + ": the newest is " + std::to_string(m->version)));
    return nullptr;
  }
  if (!at) {
    if (std::string lost = lost_generation(dir, gens, m->version); !lost.empty()) {
      diagnostics.push_back(problem("E803", dir, lost));
      return nullptr;
    }
  }
  if (writable) {
    if (!take_log(*m, gen, end_of_records, diagnostics)) return nullptr;
    remove_unfinished(dir, gens);
  }
  return m;
}

// A compaction's thread: the clients' newest rows at version V written as base-V.seg, then
// that generation loaded and its segments evaluated. It reads only what it was given (the
// stores are immutable; `live` and `meta` are copies), so the membership goes on meanwhile.
LiveMembership::Impl::Made make_generation(std::string dir, uint64_t v, std::vector<LiveMembership::Impl::Part> parts,
                                           rt::RowSet live, std::string meta) {
  LiveMembership::Impl::Made out;
  std::string error;
  const std::string path = dir + "/" + base_file(v);
  bool written;
  {
    rt::Store next = LiveMembership::Impl::gathered(parts, live);
    written = rt::write_snapshot(next, path, error) && fsync_path(path);
  }
  if (!written)
    out.diagnostics.push_back(problem("E701", dir, error.empty() ? "the compacted base cannot be written" : error,
                                      "the membership goes on from its older base; free space and it compacts again", true));
  else
    out.fresh = load_generation(dir, v, meta, out.diagnostics);
  while (g_compaction_hold) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return out;
}

// Starts a compaction at the current version on its own thread.
void start_compaction(LiveMembership::Impl& m) {
  auto c = std::make_unique<LiveMembership::Impl::Compaction>();
  c->version = m.version;
  c->log_bytes = m.log_size;
  nlohmann::json segs = nlohmann::json::array();
  for (const auto& sg : m.segs) segs.push_back({{"id", sg.id}, {"rule", sg.text}});
  c->meta = nlohmann::json{{"version", m.version}, {"now", m.now}, {"segments", segs}}.dump(1) + "\n";
  c->made = std::async(std::launch::async, make_generation, m.dir, m.version, m.parts, m.live, c->meta);
  m.compacting = std::move(c);
}

// start_compaction after a change: one that cannot start (no thread, no memory for the copies)
// is counted as a failed compaction, and the change stands. Whether one runs now.
bool start_compaction_after_change(LiveMembership::Impl& m) {
  try {
    start_compaction(m);
    return true;
  } catch (const std::exception& e) {
    m.compaction_failed(std::string("the compaction could not start: ") + e.what());
    return false;
  }
}

// Takes over the compaction in flight, waiting for it or (`wait` false) only when it is done:
// the changes logged since it started are copied to the new generation's log, gen-V.json is
// written (from then on the new generation is the directory's newest) and the new state
// replays those changes, as opening it would. False with diagnostics when it failed (its
// files are removed and the older generation goes on) or is not done.
bool take_over(std::shared_ptr<LiveMembership::Impl>& impl, bool wait, std::vector<Diagnostic>& diagnostics) {
  using Impl = LiveMembership::Impl;
  Impl& m = *impl;
  if (!m.compacting) return true;
  if (!wait && m.compacting->made.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
  std::unique_ptr<Impl::Compaction> c = std::move(m.compacting);
  Impl::Made made;
  try {
    made = c->made.get();
  } catch (const std::exception& e) {  // std::bad_alloc, more rows than Roaring holds
    made.diagnostics.push_back(problem("E701", m.dir, std::string("the compaction failed: ") + e.what()));
  }
  const uint64_t v = c->version;
  const size_t first_diagnostic = diagnostics.size();
  // A failure: noted (stats), the next compaction put off by another share of the base.
  auto failed = [&] {
    m.compaction_failed(diagnostics.size() > first_diagnostic ? to_string(diagnostics[first_diagnostic]) : "unknown error");
    return false;
  };
  // Before gen-V.json took: its files go, and the removals are made durable, or a crash could
  // bring back a gen-V.json whose log lacks the changes logged since (then refuse changes).
  auto give_up = [&] {
    std::error_code ec;
    for (const std::string& f : {meta_file(v), log_file(v), base_file(v)}) fs::remove(m.dir + "/" + f, ec);
    if (!fsync_path(m.dir)) {
      m.log_fd.reset();
      m.broken = true;
    }
    return failed();
  };
  if (!made.fresh) {
    diagnostics.insert(diagnostics.end(), made.diagnostics.begin(), made.diagnostics.end());
    return give_up();
  }
  std::string error;
  const std::string old_log = m.dir + "/" + log_file(m.generation);
  auto tail = read_range(old_log, c->log_bytes, m.log_size - c->log_bytes, error);
  if (!tail) {
    diagnostics.push_back(problem("E701", old_log, error, "", true));
    return give_up();
  }
  // The new log is written in the newest form, an older log's records framed again.
  std::string tail_log(kLogMagic, kMagicBytes);
  if (m.log_header == 24) {
    tail_log += *tail;
  } else {  // whole records this process appended, read as the older log's
    const std::string old_tail = std::string(kLogMagicV2, kMagicBytes) + *tail;
    for (size_t at = kMagicBytes; at < old_tail.size();) {
      const Record r = record_at(old_tail, at);
      if (!r.payload) break;
      if (!r.sum_ok) {  // framed afresh, damage would pass its new sum
        diagnostics.push_back(problem("E803", old_log, "damaged at byte " + std::to_string(c->log_bytes + at - kMagicBytes) +
                                                           ": a record written during the compaction fails its checksum"));
        return give_up();
      }
      tail_log += frame(*r.payload, 24);
      at += m.log_header + r.payload->size();
    }
  }
  if (!write_durably(m.dir, log_file(v), tail_log, error) ||
      // Last: until it is there, the generation does not exist and the old one goes on.
      !write_durably(m.dir, meta_file(v), c->meta, error)) {
    diagnostics.push_back(problem("E701", m.dir, error, "the membership goes on from its older base; free space and it compacts again", true));
    return give_up();
  }
  // The new generation exists now: a failure from here on leaves the directory right (a
  // reopen goes on from it) but this process's log closed, as a failed append does.
  Impl& fresh = *made.fresh;
  auto end = replay_records(fresh, tail_log, kMagicBytes, UINT64_MAX, nullptr, error);
  if (!end || *end != tail_log.size() || fresh.version != m.version) {
    diagnostics.push_back(problem("E803", m.dir + "/" + log_file(v), error.empty() ? "does not replay to the version in use" : error));
    m.log_fd.reset();
    m.broken = true;
    return failed();
  }
  if (!take_log(fresh, v, tail_log.size(), diagnostics)) {
    m.log_fd.reset();
    m.broken = true;
    return failed();
  }
  // The new generation's log is clean, so a failed append before (`broken`) does not carry over.
  fresh.stats = m.stats;
  fresh.dir_lock = std::move(m.dir_lock);
  ++fresh.stats.compactions;
  *impl = std::move(fresh);  // closes the older generation's log
  return true;
}

// Before a change: a compaction that has finished takes over, so the change goes to the new
// generation's log. One that failed is counted in the stats with its reason, and the next
// starts after another share of changed rows.
void take_over_if_done(std::shared_ptr<LiveMembership::Impl>& impl) {
  std::vector<Diagnostic> ignored;
  if (impl->compacting) take_over(impl, false, ignored);
}

std::optional<LiveMembership> open_membership(const std::string& dir, std::vector<Diagnostic>& diagnostics,
                                             std::optional<uint64_t> at, std::vector<MemberEvent>* events, uint64_t since,
                                             bool writable) {
  // A writer locks the directory before it lists the generations, and keeps the lock across
  // its compactions (Impl::dir_lock). A directory that is not a membership (no generation's
  // description: the first's may have been removed with its history) gets no lock file:
  // opening it fails below (E803).
  Fd lock;
  if (writable && (fs::exists(dir + "/" + meta_file(0)) || generations(dir).size() > 1)) {
    lock = Fd(::open((dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (lock.fd < 0) {
      diagnostics.push_back(problem("E701", dir + "/lock", std::string("cannot be opened: ") + std::strerror(errno), "", true));
      return std::nullopt;
    }
    if (::flock(lock.fd, LOCK_EX | LOCK_NB) != 0) {
      diagnostics.push_back(problem("E803", dir, "another process is changing this membership",
                                    "send changes to the process that has it open (seg serve --membership), or stop it"));
      return std::nullopt;
    }
  }
  std::vector<uint64_t> gens = generations(dir);
  // The generation to start from: the newest one at or before the first version wanted.
  auto start = [&](uint64_t v) { return static_cast<size_t>(std::upper_bound(gens.begin(), gens.end(), v) - gens.begin() - 1); };
  const size_t newest = gens.size() - 1;
  const size_t g = start(std::min(at.value_or(UINT64_MAX), events ? since : UINT64_MAX));
  std::vector<MemberEvent>* const wanted = events;
  std::shared_ptr<LiveMembership::Impl> m;
  if (!writable) {
    m = open_generation(dir, gens, g, at, events, false, diagnostics);
  } else {
    // Events from before the newest generation: read them from the older one first.
    if (events && g != newest) {
      if (!open_generation(dir, gens, g, std::nullopt, events, false, diagnostics)) return std::nullopt;
      events = nullptr;
    }
    m = open_generation(dir, gens, newest, std::nullopt, events, true, diagnostics);
  }
  if (!m) return std::nullopt;
  // A cursor past the newest version is not one this membership gave out (another directory's,
  // or a typo): printing nothing would look like "no events yet".
  if (wanted && since > m->version) {
    diagnostics.push_back(problem("E803", dir, "no version " + std::to_string(since) + " to follow from: the newest is " +
                                                   std::to_string(m->version)));
    return std::nullopt;
  }
  m->dir_lock = std::move(lock);
  if (wanted) std::erase_if(*wanted, [&](const MemberEvent& e) { return e.version <= since; });
  LiveMembership out;
  out.impl = m;
  return out;
}

}  // namespace

std::optional<LiveMembership> LiveMembership::open(const std::string& dir, std::vector<Diagnostic>& diagnostics,
                                                   std::optional<uint64_t> at, std::vector<MemberEvent>* events,
                                                   uint64_t since) {
  return open_membership(dir, diagnostics, at, events, since, !at);
}

std::optional<LiveMembership> LiveMembership::read(const std::string& dir, std::vector<Diagnostic>& diagnostics,
                                                   std::optional<uint64_t> at, std::vector<MemberEvent>* events,
                                                   uint64_t since) {
  return open_membership(dir, diagnostics, at, events, since, false);
}

std::optional<std::vector<MemberEvent>> LiveMembership::apply(const ClientBatch& batch, std::vector<Diagnostic>& diagnostics) {
  if (!impl || impl->read_only) throw std::logic_error("seg::api::LiveMembership: opened read-only (at a version)");
  take_over_if_done(impl);
  Impl& m = *impl;
  std::shared_ptr<const rt::Store> rows;
  if (has_rows(batch.rows)) {
    // Against the base's schema: dictionary codes the base knows stay theirs. A row of a
    // client the batch also deletes is refused at its line (E804).
    rt::LoadOptions lo;
    lo.refused_ids = batch.deletes;
    std::sort(lo.refused_ids.begin(), lo.refused_ids.end());
    lo.refused_id_code = "E804";
    lo.refused_id_reason = "is both upserted and deleted in this batch";
    rt::LoadResult r = rt::load_text(batch.rows, "batch", m.base->schema(), lo);
    if (!r.ok()) {
      for (const auto& e : r.errors) {
        diagnostics.push_back(from_load(e));
        if (e.code == "E804") diagnostics.back().suggestion = "send one of the two (a batch is one instant)";
      }
      return std::nullopt;
    }
    rows = std::make_shared<const rt::Store>(std::move(*r.store));
  }
  // Members are rows of 32 bits (Roaring), and a batch's rows are new rows until a compaction
  // folds them into a base: checked before the batch is logged, since a logged batch that
  // could not be applied would fail every later open's replay (found by a review).
  if (rows && m.next_row + rows->rows() > g_max_rows) {
    // A compaction folds the batches' rows into one a client; one is started here, whatever
    // the wait after a failed one: only applied batches started them, so once past the
    // limit none ever would again (found by a review).
    const bool started = m.compacting || (!m.broken && m.version > m.generation && start_compaction_after_change(m));
    diagnostics.push_back(problem("E810", m.dir,
                                  "this batch would take the membership past " + std::to_string(g_max_rows.load()) +
                                      " rows since its base (" + std::to_string(m.next_row) + " now, " +
                                      std::to_string(rows->rows()) + " in the batch): compactions have not kept up",
                                  std::string("nothing of the batch is kept: ") +
                                      (started ? "a compaction runs now; send it again when it is done"
                                               : "free disk space so a compaction can be written, then send it again") +
                                      ", or send fewer rows at once"));
    return std::nullopt;
  }
  std::string error;
  if (m.broken || !m.log({{"kind", "batch"}, {"version", m.version + 1}, {"deletes", batch.deletes}}, rows ? batch.rows : "", error)) {
    diagnostics.push_back(problem("E701", m.dir + "/log", error.empty() ? "an earlier change failed; reopen the directory" : error,
                                  "nothing of the batch is kept: free space and send it again", true));
    return std::nullopt;
  }
  std::vector<MemberEvent> out;
  m.applying([&] { m.apply_batch(rows, batch.deletes, out); });
  // The batch is applied and durable whatever compaction does: it runs on its own thread,
  // and one that cannot be written leaves this generation as it was (the next batch tries
  // again).
  if (!m.compacting && !m.broken && m.wants_compaction()) start_compaction_after_change(m);
  return out;
}

std::optional<std::vector<MemberEvent>> LiveMembership::update_segments(
    const std::vector<std::pair<int64_t, std::string>>& set, const std::vector<int64_t>& remove,
    std::vector<Diagnostic>& diagnostics) {
  if (!impl || impl->read_only) throw std::logic_error("seg::api::LiveMembership: opened read-only (at a version)");
  take_over_if_done(impl);
  Impl& m = *impl;
  nlohmann::json listed = nlohmann::json::array();
  std::map<int64_t, int> seen;
  for (int64_t id : remove) seen[id] |= 1;
  for (const auto& [id, text] : set) {
    if (seen[id]) {
      diagnostics.push_back(problem("E807", "segments", "segment " + std::to_string(id) + (seen[id] & 1 ? " is both saved and removed" : " is saved twice"),
                                    "send each segment once (the change is one instant)"));
      return std::nullopt;
    }
    seen[id] |= 2;
    Rule r = Rule::compile(text, m.schema);
    if (!r.ok()) {
      for (auto d : r.diagnostics()) {
        d.source = "segment " + std::to_string(id);
        diagnostics.push_back(std::move(d));
      }
      return std::nullopt;
    }
    listed.push_back({{"id", id}, {"rule", r.canonical_text()}});
  }
  std::string error;
  if (m.broken || !m.log({{"kind", "segments"}, {"version", m.version + 1}, {"set", listed}, {"remove", remove}}, "", error)) {
    diagnostics.push_back(problem("E701", m.dir + "/log", error.empty() ? "an earlier change failed; reopen the directory" : error,
                                  "nothing of the change is kept: free space and send it again", true));
    return std::nullopt;
  }
  std::vector<std::pair<int64_t, std::string>> canonical;
  for (const auto& x : listed) canonical.emplace_back(x["id"].get<int64_t>(), x["rule"].get<std::string>());
  std::vector<MemberEvent> out;
  m.applying([&] { m.apply_segments(canonical, remove, out); });
  return out;
}

bool LiveMembership::compact(std::vector<Diagnostic>& diagnostics) {
  if (!impl || impl->read_only) throw std::logic_error("seg::api::LiveMembership: opened read-only (at a version)");
  if (impl->compacting && !take_over(impl, true, diagnostics)) return false;
  if (impl->broken) {
    diagnostics.push_back(problem("E701", impl->dir + "/log", "an earlier change failed; reopen the directory", "", true));
    return false;
  }
  if (impl->version == impl->generation) return true;  // nothing since the base
  try {
    start_compaction(*impl);
  } catch (const std::exception& e) {  // no thread (std::system_error), no memory for the copies
    diagnostics.push_back(problem("E701", impl->dir, std::string("the compaction could not start: ") + e.what(), "", true));
    return false;
  }
  return take_over(impl, true, diagnostics);
}

bool LiveMembership::compacting() const { return impl && impl->compacting; }
void LiveMembership::set_compact_after(uint64_t rows) {
  if (!impl) throw std::logic_error("seg::api::LiveMembership: empty");
  impl->compact_rows = rows;  // read by apply(), on the caller's thread like this call
}

bool LiveMembership::finish_compaction(std::vector<Diagnostic>& diagnostics, bool wait) {
  if (!impl || !impl->compacting) return true;
  return take_over(impl, wait, diagnostics);
}

std::vector<std::pair<int64_t, std::string>> LiveMembership::segments() const {
  std::vector<std::pair<int64_t, std::string>> out;
  for (const auto& sg : impl->segs) out.emplace_back(sg.id, sg.text);
  return out;
}
uint64_t LiveMembership::generation() const { return impl->generation; }
uint64_t LiveMembership::newest_generation(const std::string& dir) { return generations(dir).back(); }
const Schema& LiveMembership::schema() const { return impl->schema; }

std::vector<MemberEvent> LiveMembership::advance(int64_t now) {
  if (!impl || impl->read_only) throw std::logic_error("seg::api::LiveMembership: opened read-only (at a version)");
  if (now < impl->now) throw std::invalid_argument("seg::api::LiveMembership::advance: time does not go back");
  take_over_if_done(impl);
  std::string error;
  if (impl->broken || !impl->log({{"kind", "clock"}, {"version", impl->version + 1}, {"now", now}}, "", error))
    throw std::runtime_error("seg::api::LiveMembership::advance: " +
                             (error.empty() ? "an earlier change failed; reopen the directory" : error));
  std::vector<MemberEvent> out;
  impl->applying([&] { impl->apply_clock(now, out); });
  return out;
}

uint64_t LiveMembership::version() const { return impl->version; }
const LiveStats& LiveMembership::stats() const { return impl->stats; }
int64_t LiveMembership::now() const { return impl->now; }
LiveMembership::View LiveMembership::view() const {
  View v;
  v.impl = std::make_shared<const View::Impl>(View::Impl{impl->clients_now(), impl->schema, impl->now, impl->version});
  return v;
}
namespace {
const LiveMembership::View::Impl& viewed(const std::shared_ptr<const LiveMembership::View::Impl>& impl) {
  if (!impl) throw std::logic_error("seg::api::LiveMembership::View: empty (take one with LiveMembership::view())");
  return *impl;
}
// A rule compiled against a View's schema, or nullopt with its diagnostics.
std::optional<Rule> compiled_for(const LiveMembership::View::Impl& v, const std::string& rule_text,
                                 std::vector<Diagnostic>& diagnostics) {
  Rule rule = Rule::compile(rule_text, v.schema);
  if (rule.ok()) return rule;
  diagnostics = rule.diagnostics();
  return std::nullopt;
}
}  // namespace
uint64_t LiveMembership::View::version() const { return viewed(impl).version; }
int64_t LiveMembership::View::now() const { return viewed(impl).now; }

std::optional<LiveMembership::Selection> LiveMembership::select(const std::string& rule_text, int64_t at, uint64_t preview,
                                                                std::vector<Diagnostic>& diagnostics) const {
  return view().select(rule_text, at, preview, diagnostics);
}
std::optional<Diff> LiveMembership::diff(const std::string& before, const std::string& after, int64_t at, size_t sample,
                                         std::vector<Diagnostic>& diagnostics) const {
  return view().diff(before, after, at, sample, diagnostics);
}

std::optional<LiveMembership::Selection> LiveMembership::View::select(const std::string& rule_text, int64_t at,
                                                                      uint64_t preview,
                                                                      std::vector<Diagnostic>& diagnostics) const {
  auto t0 = std::chrono::steady_clock::now();
  const LiveClients& c = viewed(impl).clients;
  std::optional<Rule> rule = compiled_for(*impl, rule_text, diagnostics);
  if (!rule) return std::nullopt;
  LiveClients::Members members = c.members(*rule->impl->ir, at);
  Selection out;
  out.result.count = rt::popcount_words(members.bits.data(), members.bits.size());
  out.result.rows_total = c.clients;
  out.result.checksum = members.checksum;
  DiffRows ids;
  ids.id_at = [&](uint64_t global) { return c.id_at(global); };
  ids.sorted_rows = c.sorted_rows();
  std::vector<std::pair<const rt::Store*, uint64_t>> cells;
  for (const auto& [id, global] : first_members(members.bits, ids, static_cast<size_t>(preview))) {
    uint64_t row;
    const rt::Store& st = c.part_of(global, row);
    cells.emplace_back(&st, row);
  }
  out.first = page_of_cells(*c.base, cells);
  out.result.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

std::optional<std::vector<int64_t>> LiveMembership::View::ids(const std::string& rule_text, int64_t at,
                                                              std::vector<Diagnostic>& diagnostics) const {
  const LiveClients& c = viewed(impl).clients;
  std::optional<Rule> rule = compiled_for(*impl, rule_text, diagnostics);
  if (!rule) return std::nullopt;
  const LiveClients::Members members = c.members(*rule->impl->ir, at, false);
  std::vector<int64_t> out;
  out.reserve(rt::popcount_words(members.bits.data(), members.bits.size()));
  for (size_t w = 0; w < members.bits.size(); ++w)
    for (uint64_t m = members.bits[w]; m; m &= m - 1) out.push_back(c.id_at(w * 64 + static_cast<uint64_t>(__builtin_ctzll(m))));
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<Diff> LiveMembership::View::diff(const std::string& before, const std::string& after, int64_t at,
                                               size_t sample, std::vector<Diagnostic>& diagnostics) const {
  const LiveClients& c = viewed(impl).clients;
  Rule rules[2] = {Rule::compile(before, impl->schema), Rule::compile(after, impl->schema)};
  for (const Rule& r : rules)
    if (!r.ok()) {
      diagnostics = r.diagnostics();
      return std::nullopt;
    }
  DiffRows over;
  over.words = rt::words_for(c.next_row);
  over.rows_of = [&](const ir::Node& ir) { return c.members(ir, at, false).bits; };
  over.id_at = [&](uint64_t global) { return c.id_at(global); };
  over.sorted_rows = c.sorted_rows();
  return diff_rows(*rules[0].impl, *rules[1].impl, c.base->schema(), over, sample);
}

std::optional<ExplainNode> LiveMembership::View::clauses(const std::string& rule_text, int64_t at,
                                                         std::vector<Diagnostic>& diagnostics) const {
  const LiveClients& c = viewed(impl).clients;
  std::optional<Rule> rule = compiled_for(*impl, rule_text, diagnostics);
  if (!rule) return std::nullopt;
  return clause_figures(*rule->impl->ir, c.base->schema(), c.everyone(),
                        [&](const ir::Node& ir) { return c.members(ir, at, false).bits; });
}

uint64_t LiveMembership::clients() const { return impl->live.count(); }
std::vector<SegmentCount> LiveMembership::counts() const {
  std::vector<SegmentCount> out;
  for (const auto& s : impl->segs) out.push_back({s.id, impl->sets[s.distinct].count()});
  return out;
}
uint64_t LiveMembership::count(int64_t segment) const { return impl->set(segment).count(); }
bool LiveMembership::contains(int64_t segment, int64_t client) const {
  const rt::RowSet& s = impl->set(segment);
  auto r = impl->row_of(client);
  return r && s.contains(static_cast<uint32_t>(*r));
}
std::vector<int64_t> LiveMembership::ids(int64_t segment) const { return impl->ids_of(impl->set(segment)); }

Page LiveMembership::rows(const std::vector<int64_t>& ids, const std::vector<size_t>& fields) const {
  const Impl& m = *impl;
  std::vector<std::pair<const rt::Store*, uint64_t>> cells;
  std::vector<size_t> gone;  // positions in `ids` of clients nobody is now
  for (size_t i = 0; i < ids.size(); ++i) {
    if (auto r = m.row_of(ids[i])) {
      uint64_t row;
      const rt::Store& st = m.part_of(*r, row);
      cells.emplace_back(&st, row);
    } else {
      gone.push_back(i);
    }
  }
  Page p = page_of_cells(*m.base, cells, fields);
  if (gone.empty()) return p;
  // The columns are the page's; the id's is found by name.
  const int id_field = m.base->id_field();
  const std::string id_name = id_field >= 0 ? m.base->schema().fields[static_cast<size_t>(id_field)].name : "";
  Page out;
  out.columns = p.columns;
  size_t kept = 0, g = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (g < gone.size() && gone[g] == i) {
      ++g;
      std::vector<Value> row(out.columns.size());
      std::vector<std::string> text(out.columns.size());
      for (size_t c = 0; c < out.columns.size(); ++c)
        if (out.columns[c] == id_name) {
          row[c] = ids[i];
          text[c] = std::to_string(ids[i]);
        }
      out.rows.push_back(std::move(row));
      out.text.push_back(std::move(text));
    } else {
      out.rows.push_back(std::move(p.rows[kept]));
      out.text.push_back(std::move(p.text[kept]));
      ++kept;
    }
  }
  return out;
}

}  // namespace seg::api
