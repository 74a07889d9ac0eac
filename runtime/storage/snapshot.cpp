// Snapshot writer and reader. File: a 64-byte header, the section table, the schema JSON,
// then each section 64-byte aligned. Every section carries an XXH64 checksum; one more
// covers header, table and schema.
#include "runtime/storage/snapshot.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <signal.h>

#include <algorithm>
#include <set>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

#include "base/diagnostics.hpp"
#include "runtime/storage/bits.hpp"
#include "runtime/storage/hash.hpp"
#include "runtime/storage/tag_buckets.hpp"
#include "runtime/storage/value_index.hpp"
#include "runtime/storage/input.hpp"
#include "runtime/storage/load_common.hpp"

namespace seg::rt {
namespace {

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t header_size;
  uint64_t file_size;
  uint64_t rows;
  uint32_t flags;  // bit 0: ids increase with the row
  uint32_t section_count;
  uint64_t schema_offset;
  uint64_t schema_size;
  uint64_t meta_checksum;  // header up to here, section table, schema
};
static_assert(sizeof(Header) == 64);
constexpr uint32_t kKnownFlags = 1;  // the flags this seg writes and reads

struct SectionEntry {
  uint32_t field;
  uint32_t kind;
  uint64_t offset;
  uint64_t size;
  uint64_t checksum;
  uint64_t reserved;
};
static_assert(sizeof(SectionEntry) == 40);

uint64_t align64(uint64_t x) { return (x + 63) / 64 * 64; }

// More rows than any snapshot holds (2^40; a 1-bit column of them is 128 GiB); keeps every
// section-size product below 2^64.
constexpr uint64_t kMaxSnapshotRows = uint64_t{1} << 40;

uint64_t meta_checksum(const Header& h, const SectionEntry* table, const char* schema) {
  uint64_t a = xxh64(&h, offsetof(Header, meta_checksum));
  uint64_t b = xxh64(table, sizeof(SectionEntry) * h.section_count, a);
  return xxh64(schema, h.schema_size, b);
}

LoadResult failure(const std::string& path, const char* code, std::string msg) {
  LoadResult r = io_failure(path, std::move(msg));
  r.errors[0].code = code;
  return r;
}

LoadResult corrupt_at(const std::string& path, const std::string& why) {
  return failure(path, "E713", "corrupt snapshot: " + why);
}

bool write_all(int fd, const void* p, uint64_t n) {
  const char* c = static_cast<const char*>(p);
  while (n) {
    ssize_t w = ::write(fd, c, std::min<uint64_t>(n, uint64_t{1} << 30));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    c += w;
    n -= static_cast<uint64_t>(w);
  }
  return true;
}

// The file a path names once its symlinks are followed (a chain too, relative links against
// their own folder), resolved once so the temporary file, the checks and the rename agree.
bool resolve_target(const std::string& path, std::string& target, std::string& error) {
  namespace fs = std::filesystem;
  fs::path p = path;
  for (int hops = 0;; ++hops) {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) break;
    if (hops == 40) {
      error = "cannot write " + path + ": too many levels of symbolic links";
      return false;
    }
    std::error_code ec;
    fs::path to = fs::read_symlink(p, ec);
    if (ec) break;
    p = to.is_absolute() ? to : p.parent_path() / to;
  }
  target = p.string();
  return true;
}

// A file written under a temporary name of its own in the target's folder and renamed over
// the target once complete and on disk. The temporary is unnamed (O_TMPFILE) until the last
// moment where the file system allows, so a killed writer leaves nothing behind; elsewhere it
// is created exclusively with a unique name (never followed through a planted symlink), and
// leftovers of dead writers are removed by the next one.
class AtomicFile {
 public:
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!tmp_.empty()) ::unlinkat(dir_, tmp_.c_str(), 0);
    if (dir_ >= 0) ::close(dir_);
  }
  int fd() const { return fd_; }

  bool begin(const std::string& path, std::string& error) {
    path_ = path;
    std::string target;
    if (!resolve_target(path, target, error)) return false;
    struct stat st;
    // A rename replaces what is there, so the target must be a regular file or nothing: not
    // a device, a FIFO or a directory (`-o /dev/full` replaced the device; found by QA).
    if (::stat(target.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      error = "cannot write " + path + ": not a regular file (a snapshot is renamed into place)";
      return false;
    }
    namespace fs = std::filesystem;
    fs::path t = target;
    std::string dir = t.has_parent_path() ? t.parent_path().string() : ".";
    base_ = t.filename().string();
    dir_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_ < 0) {
      error = "cannot write " + path + ": " + dir + ": " + std::strerror(errno);
      return false;
    }
    remove_leftovers();
    fd_ = ::openat(dir_, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    if (fd_ >= 0) return true;
    // No O_TMPFILE here: a named temporary, created exclusively.
    for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
      std::string name = temp_name();
      fd_ = ::openat(dir_, name.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0666);
      if (fd_ >= 0) tmp_ = name;
      else if (errno != EEXIST) break;
    }
    if (fd_ < 0) {
      error = "cannot write " + path + ": cannot create a temporary file in " + dir + ": " + std::strerror(errno);
      return false;
    }
    return true;
  }

  bool commit(std::string& error) {
    auto fail = [&](const char* what) {
      error = "cannot write " + path_ + ": " + what + ": " + std::strerror(errno);
      return false;
    };
    if (::fsync(fd_) != 0) return fail("fsync");
    if (tmp_.empty()) {
      // Give the unnamed file a unique name, then rename it over the target.
      std::string proc = "/proc/self/fd/" + std::to_string(fd_);
      for (int attempt = 0; attempt < 100 && tmp_.empty(); ++attempt) {
        std::string name = temp_name();
        if (::linkat(AT_FDCWD, proc.c_str(), dir_, name.c_str(), AT_SYMLINK_FOLLOW) == 0) tmp_ = name;
        else if (errno != EEXIST) return fail("link");
      }
      if (tmp_.empty()) return fail("link");
    }
    if (::close(fd_) != 0) {
      fd_ = -1;
      return fail("close");
    }
    fd_ = -1;
    if (::renameat(dir_, tmp_.c_str(), dir_, base_.c_str()) != 0) return fail("rename");
    tmp_.clear();
    // The rename is durable only once the folder is on disk too.
    if (::fsync(dir_) != 0) return fail("fsync of the folder");
    return true;
  }

 private:
  std::string prefix() const { return "." + base_ + ".seg-tmp."; }
  std::string temp_name() const {
    static std::atomic<uint64_t> counter{0};
    uint64_t r = xxh64(&counter, sizeof counter,
                       static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                           counter.fetch_add(1));
    return prefix() + std::to_string(::getpid()) + "." + std::to_string(r % 1000000007);
  }
  // `.NAME.seg-tmp.PID.N` of writers that are gone (killed between naming and renaming).
  void remove_leftovers() {
    int d = ::dup(dir_);
    if (d < 0) return;
    DIR* dp = ::fdopendir(d);
    if (!dp) {
      ::close(d);
      return;
    }
    std::string pre = prefix();
    while (dirent* e = ::readdir(dp)) {
      std::string_view n = e->d_name;
      if (!n.starts_with(pre)) continue;
      long pid = std::atol(std::string(n.substr(pre.size())).c_str());
      if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) ::unlinkat(dir_, e->d_name, 0);
    }
    ::closedir(dp);
  }
  std::string path_, base_, tmp_;
  int dir_ = -1, fd_ = -1;
};

}  // namespace

bool is_snapshot_file(const std::string& path) {
  char magic[sizeof kSnapshotMagic] = {};
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  const size_t got = std::fread(magic, 1, sizeof magic, f);
  std::fclose(f);
  return got == sizeof magic && std::memcmp(magic, kSnapshotMagic, sizeof magic) == 0;
}

bool write_snapshot(const Store& store, const std::string& path, std::string& error) {
  std::string schema = schema_to_json(store.schema());
  const auto& secs = store.sections();
  Header h{};
  std::memcpy(h.magic, kSnapshotMagic, 8);
  h.version = kSnapshotVersion;
  h.header_size = sizeof(Header);
  h.rows = store.rows();
  h.flags = store.ids_sorted() ? 1 : 0;
  h.section_count = static_cast<uint32_t>(secs.size());
  std::vector<SectionEntry> table(secs.size());
  h.schema_offset = sizeof(Header) + sizeof(SectionEntry) * secs.size();
  h.schema_size = schema.size();
  uint64_t pos = align64(h.schema_offset + h.schema_size);
  for (size_t i = 0; i < secs.size(); ++i) {
    table[i] = SectionEntry{secs[i].field, static_cast<uint32_t>(secs[i].kind), pos, secs[i].size,
                            xxh64(secs[i].data, secs[i].size), 0};
    pos = align64(pos + secs[i].size);
  }
  h.file_size = pos;
  h.meta_checksum = meta_checksum(h, table.data(), schema.data());

  std::vector<std::pair<const void*, uint64_t>> parts;  // the file's bytes in order, padding included
  static const char zeros[64] = {};
  uint64_t at = 0;
  auto put = [&](const void* p, uint64_t n) {
    if (n) parts.emplace_back(p, n);
    at += n;
  };
  put(&h, sizeof h);
  put(table.data(), sizeof(SectionEntry) * table.size());
  put(schema.data(), schema.size());
  for (size_t i = 0; i < secs.size(); ++i) {
    put(zeros, table[i].offset - at);
    put(secs[i].data, secs[i].size);
  }
  put(zeros, h.file_size - at);
  auto write_parts = [&](int fd) {
    for (auto [p, n] : parts)
      if (!write_all(fd, p, n)) return false;
    return true;
  };

  if (path == "-") {
    if (::isatty(1)) {
      error = "will not write a binary snapshot to a terminal; redirect standard output or give a file";
      return false;
    }
    if (!write_parts(1)) {
      error = "cannot write to standard output: " + std::string(std::strerror(errno));
      return false;
    }
    return true;
  }

  AtomicFile out;
  if (!out.begin(path, error)) return false;
  if (!write_parts(out.fd())) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  return out.commit(error);
}

namespace {

// Private memory the store keeps, grown by doubling while an input of unknown size is read.
// Anonymous mappings in 2 MiB-aligned huge pages where the kernel allows (MADV_HUGEPAGE):
// with 4 KiB pages, a 10M-row snapshot took 70,000 page faults and as many TLB misses, and
// reading it ran at a quarter of the speed (measured; docs/performance.md).
struct Buffer {
  static constexpr uint64_t kHuge = uint64_t{2} << 20;
  uint8_t* data = nullptr;   // kHuge-aligned inside the mapping
  void* map = nullptr;
  uint64_t map_size = 0, capacity = 0;
  ~Buffer() {
    if (map) ::munmap(map, map_size);
  }
  bool reserve(uint64_t n) {
    if (n <= capacity) return true;
    uint64_t cap = std::max<uint64_t>((n + kHuge - 1) / kHuge * kHuge, kHuge);
    uint64_t size = cap + kHuge;  // room to align the start
    void* m = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return false;
    auto* p = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(m) + kHuge - 1) / kHuge * kHuge);
    ::madvise(p, cap, MADV_HUGEPAGE);  // a hint: where THP is off, 4 KiB pages still work
    if (data) std::memcpy(p, data, capacity);
    if (map) ::munmap(map, map_size);
    map = m;
    map_size = size;
    data = p;
    capacity = cap;
    return true;
  }
  std::shared_ptr<const void> release() {
    void* m = map;
    uint64_t size = map_size;
    uint8_t* p = data;
    map = nullptr;
    data = nullptr;
    return std::shared_ptr<const void>(p, [m, size](const void*) { ::munmap(m, size); });
  }
};

// Whether a string's or an enum's codes (base + offset, up to base + max_offset) all index a
// dictionary of `n` values. Written as a sum, a negative base wrapped and passed (found by a
// review).
bool codes_within(const Column& c, uint64_t n) {
  if (!c.meta.has_values) return true;
  return c.meta.base >= 0 && static_cast<uint64_t>(c.meta.base) < n && c.meta.max_offset < n - static_cast<uint64_t>(c.meta.base);
}

// From this size on, a regular file is read by two threads (below it, starting one costs
// more than it saves).
constexpr uint64_t kParallelReadBytes = uint64_t{16} << 20;

// What a step of opening returns: the failure that stops the load, or nothing to go on.
using MaybeFailure = std::optional<LoadResult>;

// Opening a snapshot, one function a step, run by open_snapshot in the order of its checks;
// what the steps share (the bytes read, the header, the section table, the store being
// assembled) is kept here. Each step stops at its first failure.
struct SnapshotReader {
  SnapshotReader(Input& input, const LoadOptions& load_options)
      : in(input), options(load_options), path(input.name()) {}
  // sc, cols and sections refer into s: a copy's would still refer into the original's.
  SnapshotReader(const SnapshotReader&) = delete;
  SnapshotReader& operator=(const SnapshotReader&) = delete;

  Input& in;
  const LoadOptions& options;
  const std::string path;
  std::shared_ptr<const void> mapping;  // the file's bytes; the store keeps them once it opens
  const uint8_t* base = nullptr;
  uint64_t size = 0;  // bytes read
  Header h{};
  const SectionEntry* table = nullptr;
  const char* schema_text = nullptr;
  Store s;
  const Schema& sc = s.schema();
  std::vector<Column>& cols = StoreAccess::columns(s);
  std::vector<Section>& sections = StoreAccess::sections(s);
  uint64_t words = 0, blocks = 0;  // of the rows: set once the sections are attached
  std::set<std::pair<uint32_t, uint32_t>> attached;  // (field, kind) of each section attached
  std::string newer_in;  // a set column with a container of a later version than the file's
  int newer_version = 0;

  LoadResult corrupt(const std::string& why) const { return failure(path, "E713", "corrupt snapshot: " + why); }
  LoadResult truncated() const {
    return failure(path, "E712",
                   "truncated snapshot: " + std::to_string(size) + " bytes of " + std::to_string(h.file_size));
  }

  // The whole input, read into private memory: the file is never mapped, as a mapping dies of
  // SIGBUS when someone truncates the file and silently changes when someone rewrites it in
  // place (`cp new.seg old.seg` does both), and the service keeps a store open for days.
  // Reading costs one pass over the file at open, which the checksums need anyway
  // (docs/runtime.md, performance.md).
  MaybeFailure read_file() {
    Buffer buf;
    // A regular file's size is known: one allocation, and one byte more to see it grow.
    if (!buf.reserve(in.regular() ? in.size() + 1 : 1 << 20))
      return failure(path, "E701", "cannot allocate " + std::to_string(in.regular() ? in.size() + 1 : 1 << 20) +
                                       " bytes to read the snapshot");
    bool positional = false;  // reading on with read_at() after the two threads
    if (in.regular() && in.size() >= kParallelReadBytes) {
      // Two threads read the two halves: most of the time is the kernel zeroing the fresh pages
      // and copying into them, which two cores do in half the time (docs/performance.md). Then
      // the loop below reads on from where they stopped, so a file that grew meanwhile is seen,
      // and one that shrank is truncated where the bytes stop.
      uint64_t half = in.size() / 2 / 4096 * 4096;
      std::atomic<int> read_errno{0};
      // Progress and cancel are the caller's, called on its thread (this one) as the halves
      // go, 4 MiB at a time: they were not called until both halves were in (a Ctrl-C waited
      // for the read).
      std::atomic<uint64_t> done{0};
      std::atomic<bool> stop{false};
      auto read_range = [&](uint64_t from, uint64_t to, bool callers_thread) {
        uint64_t at = from;
        while (at < to && !stop) {
          ssize_t got = in.read_at(reinterpret_cast<char*>(buf.data) + at, std::min<uint64_t>(to - at, uint64_t{4} << 20), at);
          if (got <= 0) {
            if (got < 0) read_errno = errno;
            break;
          }
          at += static_cast<uint64_t>(got);
          done += static_cast<uint64_t>(got);
          if (!callers_thread) continue;
          if (options.progress) options.progress(done.load(), in.size());
          if (options.cancelled && options.cancelled()) stop = true;
        }
        return at;
      };
      uint64_t second_end = 0;
      std::thread second([&] { second_end = read_range(half, in.size(), false); });
      uint64_t first_end = read_range(0, half, true);
      second.join();
      if (stop) return cancelled_load(path);
      if (read_errno) return io_failure(path, "read error: " + std::string(std::strerror(read_errno)));
      // Only bytes read without a gap count.
      size = first_end < half ? first_end : second_end;
      positional = true;
    }
    while (true) {
      if (size == buf.capacity && !buf.reserve(buf.capacity * 2))
        return failure(path, "E701", "cannot allocate memory to read the snapshot (" + std::to_string(size) + " bytes read)");
      uint64_t want = std::min<uint64_t>(buf.capacity - size, uint64_t{64} << 20);
      ssize_t got = positional ? in.read_at(reinterpret_cast<char*>(buf.data) + size, want, size)
                               : in.read(reinterpret_cast<char*>(buf.data) + size, want);
      if (got < 0) return io_failure(path, "read error: " + std::string(std::strerror(errno)));
      if (got == 0) break;
      size += static_cast<uint64_t>(got);
      if (options.progress) options.progress(size, in.size());
      if (options.cancelled && options.cancelled()) return cancelled_load(path);
    }
    mapping = buf.release();
    base = static_cast<const uint8_t*>(mapping.get());
    return std::nullopt;
  }

  // The header: a seg snapshot of a version this seg reads, whose header, section table and
  // schema match their checksum, and which is as long as the header says, no more, no less.
  MaybeFailure check_header() {
    if (size < 8) return failure(path, "E710", "not a seg snapshot (too short for the header)");

    if (std::memcmp(base, kSnapshotMagic, 8) != 0) return failure(path, "E710", "not a seg snapshot (wrong magic bytes)");
    if (size < sizeof(Header)) return failure(path, "E712", "truncated snapshot: the header is incomplete");
    std::memcpy(&h, base, sizeof h);
    if (h.version < kOldestSnapshotVersion || h.version > kSnapshotVersion)
      return failure(path, "E711",
                     "snapshot version " + std::to_string(h.version) + " is not supported (this seg reads versions " +
                         std::to_string(kOldestSnapshotVersion) + " to " + std::to_string(kSnapshotVersion) +
                         "); convert the data again");
    // The header, section table and schema are checksummed together: a damaged size field is
    // told apart from a file that really is short when they are all there to check.
    uint64_t table_end = sizeof(Header) + uint64_t{h.section_count} * sizeof(SectionEntry);
    if (h.header_size != sizeof(Header) || h.schema_offset != table_end || h.section_count > (1u << 24))
      return failure(path, "E713", "corrupt snapshot: the header is inconsistent");
    if (table_end > size || h.schema_size > size - table_end) return h.file_size > size ? truncated()
        : failure(path, "E713", "corrupt snapshot: the header is inconsistent");
    table = reinterpret_cast<const SectionEntry*>(base + sizeof(Header));
    schema_text = reinterpret_cast<const char*>(base + h.schema_offset);
    if (meta_checksum(h, table, schema_text) != h.meta_checksum)
      return failure(path, "E713", "corrupt snapshot: header checksum mismatch");
    // A flag this seg does not know is a feature of a newer writer whose data it would misread:
    // refused, as a newer version is, rather than ignored.
    if (h.flags & ~kKnownFlags)
      return failure(path, "E711",
                     "the snapshot uses features this seg does not know (header flag bits " +
                         std::to_string(h.flags & ~kKnownFlags) +
                         "); convert the data again with this seg, or open it with the newer one that wrote it");
    if (h.file_size > size) return truncated();
    if (h.file_size < size)
      return corrupt_at(path, std::to_string(size - h.file_size) + " bytes follow the end of the snapshot (" +
                                  std::to_string(h.file_size) + " bytes); was something appended to it?");
    return std::nullopt;
  }

  // The schema and a row count it can hold; the store starts from them, a column a field.
  MaybeFailure load_schema() {
    Diagnostics d;
    // The JSON size limit is for documents people give; this one the writer made, and it holds
    // every dictionary value the data brought (a million tags of 20 characters pass 16 MiB):
    // under the limit, such a snapshot was written and then never opened again (found by a
    // review). Its checksum above vouches for it; its size is bounded by the file.
    Limits own;
    own.max_json_bytes = std::max<size_t>(own.max_json_bytes, h.schema_size);
    auto schema = parse_schema_json({schema_text, h.schema_size}, d, own, SchemaSource::Written);
    if (!schema) return failure(path, "E713", "corrupt snapshot: its schema does not load");
    // The sections bound the row count, but only if there is a column and the size arithmetic
    // below cannot wrap: a crafted header claiming 2^62 rows of a field-less schema opened and
    // made every evaluation run ~2^46 blocks (found by fuzzing, tests/limits_data_test.cpp).
    if (h.rows > kMaxSnapshotRows || (schema->fields.empty() && h.rows != 0))
      return failure(path, "E713", "corrupt snapshot: the header claims " + std::to_string(h.rows) + " rows");
    StoreAccess::schema(s) = std::move(*schema);
    StoreAccess::rows(s) = h.rows;
    StoreAccess::ids_sorted(s) = h.flags & 1;
    cols.resize(sc.fields.size());
    return std::nullopt;
  }

  // Every byte is accounted for: sections do not overlap, and what lies between them (the
  // alignment padding, which no checksum covers) is zero, so no flipped byte goes unseen.
  MaybeFailure check_padding() const {
    std::vector<std::pair<uint64_t, uint64_t>> spans;
    for (uint32_t i = 0; i < h.section_count; ++i) {
      if (table[i].offset > h.file_size || table[i].size > h.file_size - table[i].offset)
        return corrupt("a section lies outside the file");
      spans.emplace_back(table[i].offset, table[i].size);
    }
    std::sort(spans.begin(), spans.end());
    uint64_t at = h.schema_offset + h.schema_size;
    for (auto [off, len] : spans) {
      if (off < at) return corrupt("sections overlap");
      for (uint64_t k = at; k < off; ++k)
        if (base[k]) return corrupt("a byte between sections is not zero (offset " + std::to_string(k) + ")");
      at = off + len;
    }
    for (uint64_t k = at; k < h.file_size; ++k)
      if (base[k]) return corrupt("a byte after the last section is not zero (offset " + std::to_string(k) + ")");
    return std::nullopt;
  }

  // Column descriptions first: they say how large every other section must be. Every section
  // is checked to be aligned and to name a field; every field must have a description.
  MaybeFailure read_column_descriptions() {
    std::vector<bool> have_meta(cols.size());
    for (uint32_t i = 0; i < h.section_count; ++i) {
      const SectionEntry& e = table[i];
      if (e.offset > h.file_size || e.size > h.file_size - e.offset) return corrupt("a section lies outside the file");
      // The writer aligns every section to 64 bytes; the columns read them as uint64_t arrays
      // (a misaligned one was found by fuzzing).
      if (e.offset % 64) return corrupt("a section is not aligned");
      if (e.field >= cols.size()) return corrupt("a section names field " + std::to_string(e.field));
      if (static_cast<SectionKind>(e.kind) != SectionKind::Meta) continue;
      if (e.size != sizeof(ColumnMeta) || xxh64(base + e.offset, e.size) != e.checksum)
        return corrupt("column description " + std::to_string(e.field) + " is damaged");
      if (have_meta[e.field]) return corrupt("field " + sc.fields[e.field].name + " has two column descriptions");
      Column& c = cols[e.field];
      std::memcpy(&c.meta, base + e.offset, sizeof(ColumnMeta));
      c.type = sc.fields[e.field].type;
      if (c.meta.type != static_cast<uint8_t>(c.type) || c.meta.field != e.field)
        return corrupt("column " + std::to_string(e.field) + " does not match the schema");
      if (!(c.meta.width == 1 || c.meta.width == 2 || c.meta.width == 4 || c.meta.width == 8))
        return corrupt("column " + std::to_string(e.field) + " has width " + std::to_string(c.meta.width));
      // Before version 7 an index listed its rows in 4 bytes each, with a directory (a version 7
      // description in an older file is refused with the column's other checks, below).
      if (h.version < 7 && c.meta.index_rows && !c.meta.index_row_bytes && !c.meta.index_dense) c.meta.index_row_bytes = 4;
      // A version 7 dense index lists whole rows: blocks of one row, of its row width.
      if (h.version == 7 && c.meta.index_dense && !c.meta.index_entry_bits && c.meta.index_row_bytes <= 4) {
        c.meta.index_entry_bits = static_cast<uint8_t>(c.meta.index_row_bytes * 8);
        c.meta.index_row_bytes = 0;
      }
      have_meta[e.field] = true;
    }
    for (size_t f = 0; f < cols.size(); ++f)
      if (!have_meta[f]) return corrupt("field " + sc.fields[f].name + " has no column");
    return std::nullopt;
  }

  // Every section, in the table's order, attached to its column and listed in the store.
  MaybeFailure attach_sections() {
    words = words_for(h.rows), blocks = blocks_for(h.rows);
    for (uint32_t i = 0; i < h.section_count; ++i)
      if (auto failed = attach_section(i)) return failed;
    return std::nullopt;
  }

  // One section: its checksum (with options.verify), a kind this version has, and the size
  // its column's description says, so that no read of it goes past its end.
  MaybeFailure attach_section(uint32_t i) {
    const SectionEntry& e = table[i];
    Column& c = cols[e.field];
    const uint8_t* p = base + e.offset;
    auto kind = static_cast<SectionKind>(e.kind);
    if (kind == SectionKind::Meta) {
      sections.push_back({e.field, kind, &c.meta, sizeof(ColumnMeta)});
      return std::nullopt;
    }
    if (options.verify && xxh64(p, e.size) != e.checksum)
      return corrupt("checksum mismatch in section " + std::to_string(i) + " (field " + sc.fields[e.field].name + ")");
    // One section of a kind a column: a second would replace the first for the column but
    // both stay in the store's list, which a snapshot written from it would repeat (found by
    // a review of this reader).
    if (!attached.emplace(e.field, e.kind).second)
      return corrupt("field " + sc.fields[e.field].name + " has two sections of kind " + std::to_string(e.kind));
    auto expect = [&](uint64_t n) { return e.size == n; };
    bool ok = true;
    switch (kind) {
      case SectionKind::Values:
        // Packed slices' size depends on the frequent-value bitmap: checked below, with it.
        if (c.is_runs()) {  // runs and their sentinel (checked with the column, below)
          ok = e.size >= 2 * sizeof(Run) && e.size % sizeof(Run) == 0;  // the version: with the encoding
          c.data = p;
          c.runs = reinterpret_cast<const Run*>(p);
          c.run_count = e.size / sizeof(Run) - 1;
          break;
        }
        ok = !c.is_sequence() && c.meta.slice_tail < 8 &&
             (c.meta.packed || expect(c.is_planes()   ? words * 8 * c.meta.slices
                                      : c.is_sliced() ? words * 64 * c.meta.slices + words * 8 * c.meta.slice_tail
                                                      : words * 64 * c.meta.width));
        c.data = p;
        c.stride = c.is_planes() ? words * 8 : words * 64;
        break;
      case SectionKind::Validity: ok = expect(words * 8), c.valid = reinterpret_cast<const uint64_t*>(p); break;
      case SectionKind::Zones: ok = expect(blocks * sizeof(Zone)), c.zones = reinterpret_cast<const Zone*>(p); break;
      case SectionKind::TagDir: {
        // A crafted tag_count must not wrap the product to the section's size (later checks
        // against the dictionary would come too late for the reads between).
        uint64_t n = 0;
        ok = c.meta.chunks == blocks && !__builtin_mul_overflow(c.meta.tag_count, c.meta.chunks, &n) &&
             !__builtin_mul_overflow(n, sizeof(Container), &n) && expect(n);
        c.dir = reinterpret_cast<const Container*>(p);
        break;
      }
      case SectionKind::TagData: c.tag_data = p, c.tag_data_size = e.size; break;
      case SectionKind::TagNonempty: ok = expect(words * 8), c.nonempty = reinterpret_cast<const uint64_t*>(p); break;
      case SectionKind::StrOffsets:
        // (string_count + 1) * 8 must not wrap to the section's size.
        ok = c.meta.string_count < e.size && expect((c.meta.string_count + 1) * 8);
        c.str_offsets = reinterpret_cast<const uint64_t*>(p);
        break;
      case SectionKind::StrBlob: c.str_blob = reinterpret_cast<const char*>(p); break;
      case SectionKind::IndexDir:
        ok = h.version >= 2 && c.meta.index_buckets < e.size && expect((c.meta.index_buckets + 1) * 4);
        c.index_dir = reinterpret_cast<const uint32_t*>(p);
        break;
      case SectionKind::IndexRows:
        // index_row_bytes is checked with the column (check_value_index); bound it here so the
        // product cannot wrap.
        ok = h.version >= 2 && c.meta.index_row_bytes <= 4 && c.meta.index_entry_bits <= 32 &&
             c.meta.index_rows <= h.rows &&
             expect(c.meta.index_dense ? (c.meta.index_rows * c.meta.index_entry_bits + 7) / 8
                                       : c.meta.index_rows * c.meta.index_row_bytes);
        c.index_row = p;
        break;
      case SectionKind::Frequent:
        if (h.version < 4) return corrupt("a frequent-value bitmap in a version " + std::to_string(h.version) + " snapshot");
        ok = expect(words * 8);
        c.frequent = reinterpret_cast<const uint64_t*>(p);
        break;
      default: return corrupt("unknown section kind " + std::to_string(e.kind));
    }
    if (!ok) return corrupt("section " + std::to_string(i) + " (field " + sc.fields[e.field].name + ") has the wrong size");
    sections.push_back({e.field, kind, p, e.size});
    return std::nullopt;
  }

  // Structure that reads depend on: every column complete, containers and strings in bounds.
  MaybeFailure check_columns() {
    for (size_t f = 0; f < cols.size(); ++f) {
      Column& c = cols[f];
      const std::string& name = sc.fields[f].name;
      if (auto failed = c.type == FieldType::Set ? check_set_column(f, c, name) : check_value_column(f, c, name))
        return failed;
    }
    // After the other columns' checks, which name what versions 2-10 added.
    if (!newer_in.empty())
      return corrupt("set column " + newer_in + " has a version " + std::to_string(newer_version) + " container in a version " +
                     std::to_string(h.version) + " snapshot");
    return check_ids_grow();
  }

  // The header's "ids grow with the row" lets id lookups bisect the id column, so a header that
  // says it wrongly gives wrong members. Only a file whose checksums were recomputed by hand can
  // (a review), but verification reads every byte anyway: with it, the claim is checked as well
  // (the id column is plain offsets, never slices or runs; a sequence of its rows grows by what
  // it is, and costs nothing).
  MaybeFailure check_ids_grow() const {
    if (!options.verify || !(h.flags & 1) || sc.id_field < 0 || h.rows < 2) return std::nullopt;
    const Column& c = cols[static_cast<size_t>(sc.id_field)];
    if (c.is_sequence()) return std::nullopt;
    uint64_t before = c.offset_at(0);
    for (uint64_t r = 1; r < h.rows; ++r) {
      const uint64_t o = c.offset_at(r);
      if (o <= before)
        return corrupt("the header says ids grow with the row, but row " + std::to_string(r) + "'s id is not above row " +
                       std::to_string(r - 1) + "'s");
      before = o;
    }
    return std::nullopt;
  }

  // A set column: its sections all there, no more tags than its dictionary, and every
  // container's directory entry and bytes well formed (decoding trusts them).
  MaybeFailure check_set_column(size_t f, Column& c, const std::string& name) {
    if (!c.dir || !c.nonempty || (!c.tag_data && c.meta.tag_count * c.meta.chunks > 0))
      return corrupt("set column " + name + " is incomplete");
    if (c.meta.tag_count > sc.fields[f].dict.size()) return corrupt("set column " + name + " has too many values");
    for (uint64_t k = 0; k < c.meta.tag_count * c.meta.chunks; ++k) {
      const Container& ct = c.dir[k];
      // (Sparse bytes' size depends on their presence bits: checked with them, below.)
      const uint64_t need = ct.kind == kSparse ? kSparseHead + kTagReadPast
                                               : container_bytes(ct.kind, ct.card) + (ct.kind == kBucketed ? kTagReadPast : 0);
      if (ct.kind > kSparse || ct.card > kBlockRows || ct.offset > c.tag_data_size ||
          need > c.tag_data_size - ct.offset || ct.offset % 8)
        return corrupt("set column " + name + " has a damaged container directory");
      if (ct.kind == kBucketed && h.version < 9 && newer_in.empty()) newer_in = name, newer_version = 9;
      if (ct.kind == kSparse && h.version < 11 && newer_in.empty()) newer_in = name, newer_version = 11;
      // Decoding trusts the counts to name 256 buckets and `card` rows (tag_buckets.hpp).
      if (ct.kind == kBucketed && !buckets_well_formed(c.tag_data + ct.offset, ct.card))
        return corrupt("set column " + name + " has a damaged bucketed container");
      // Expanding trusts each group's count and the presence bits to stay within the kept
      // bytes, and them to hold `card` rows (tag_sparse.hpp).
      if (ct.kind == kSparse &&
          !sparse_well_formed(c.tag_data + ct.offset, c.tag_data_size - ct.offset - kTagReadPast, ct.card))
        return corrupt("set column " + name + " has a damaged sparse-bytes container");
    }
    return std::nullopt;
  }

  // A value column (every type but sets), one part of its description after the other.
  MaybeFailure check_value_column(size_t f, Column& c, const std::string& name) {
    if (auto failed = check_encoding(f, c, name)) return failed;
    if (auto failed = check_runs(f, c, name)) return failed;
    if (auto failed = check_frequent_and_packed(f, c, name)) return failed;
    if (auto failed = check_rows_and_index(c, name)) return failed;
    return check_codes(f, c, name);
  }

  // An encoding this version has, and byte slices or bit planes as many as the offsets' bits.
  MaybeFailure check_encoding(size_t f, const Column& c, const std::string& name) const {
    if (c.meta.encoding > kRuns || (h.version < 2 && c.meta.encoding != kOffsets) ||
        (h.version < 3 && c.meta.encoding == kSliced) || (h.version < 5 && c.meta.encoding == kPlanes) ||
        (h.version < 12 && c.meta.encoding == kRuns))
      return corrupt("column " + name + " has an unknown encoding");
    // A sliced column's slices must be what its offsets' bits need: offset_at and the range
    // kernel read that many, and a bound shifted by slice_shift must not overflow.
    if (c.is_sliced()) {
      // The id column's offsets are summed whole (finish_block): never sliced.
      if (static_cast<int>(f) == sc.id_field) return corrupt("id column " + name + " has byte slices");
      const unsigned bits = c.meta.max_offset ? 64 - static_cast<unsigned>(__builtin_clzll(c.meta.max_offset)) : 0;
      if (c.meta.slice_tail) {  // the bits past the whole bytes, of 17 bits or more, with no shift
        if (h.version < 8 || (c.meta.packed && h.version < 10) || c.meta.width < 2 || bits < 17 ||
            c.meta.slice_tail != bits % 8 || c.meta.slices != bits / 8 || c.meta.slice_shift != 0)
          return corrupt("column " + name + " has a damaged byte slice tail");
      } else if (c.meta.width < 2 || bits <= 8 || c.meta.slices != (bits + 7) / 8 ||
                 c.meta.slice_shift != 8 * c.meta.slices - bits) {
        return corrupt("column " + name + " has damaged byte slices");
      }
    }
    if (c.meta.slice_tail && !c.is_sliced()) return corrupt("column " + name + " has a byte slice tail but no slices");
    // Bit planes: as many as the offsets' bits (offset_at and the kernels read that many).
    if (c.is_planes()) {
      if (static_cast<int>(f) == sc.id_field) return corrupt("id column " + name + " has bit planes");
      const unsigned bits = static_cast<unsigned>(std::bit_width(c.meta.max_offset));
      if (c.meta.width != 1 || bits > kMaxPlanes || c.meta.slices != std::max(1u, bits) || c.meta.slice_shift != 0)
        return corrupt("column " + name + " has damaged bit planes");
    }
    return std::nullopt;
  }

  // Arithmetic runs: rows in order, every offset within the column's (runs_well_formed), no
  // nulls, nothing else of a stored column's layout; the block directory is made here.
  MaybeFailure check_runs(size_t f, Column& c, const std::string& name) {
    if (!c.is_runs()) return std::nullopt;
    if (static_cast<int>(f) == sc.id_field) return corrupt("id column " + name + " has arithmetic runs");
    if (!c.runs || c.meta.has_nulls || c.valid || !c.meta.has_values || c.meta.has_frequent || c.meta.packed ||
        c.meta.slices || c.meta.slice_tail || c.meta.slice_shift || !runs_well_formed(c.runs, c.run_count, h.rows, c.meta.max_offset))
      return corrupt("column " + name + " has damaged arithmetic runs");
    auto block = std::shared_ptr<uint32_t[]>(new uint32_t[blocks + 1]);
    run_blocks(c.runs, c.run_count, blocks, kBlockShift, block.get());
    c.run_block = block.get();
    StoreAccess::keep(s).push_back(std::shared_ptr<const void>(block, block.get()));
    return std::nullopt;
  }

  // The frequent value and the packed slices that hold the rows its bitmap does not; the
  // packed slices' starts are made here.
  MaybeFailure check_frequent_and_packed(size_t f, Column& c, const std::string& name) {
    // A frequent value's bitmap comes with its description, and names an offset the column has.
    if (c.meta.has_frequent > 1 || (c.meta.has_frequent && (h.version < 4 || !c.frequent || c.is_sequence() ||
                                                             c.meta.frequent_offset > c.meta.max_offset)) ||
        (!c.meta.has_frequent && (c.frequent || c.meta.frequent_offset)))
      return corrupt("column " + name + " has a damaged frequent value");
    // Packed slices hold the rows the frequent-value bitmap does not: as many bytes a slice as
    // the bitmap leaves (so every position packed_start gives is inside), and a start per word.
    if (c.meta.packed) {
      if (c.meta.packed > 1 || h.version < 6 || !c.is_sliced() || !c.frequent || words * 64 >= (uint64_t{1} << 32))
        return corrupt("column " + name + " has damaged packed slices");
      uint64_t values = 0;
      for (const auto& sec : sections)
        if (sec.field == f && sec.kind == SectionKind::Values) values = sec.size;
      auto start = std::shared_ptr<uint32_t[]>(new uint32_t[words + 1]);
      c.stride = packed_stride(packed_starts(words, c.frequent, start.get()));
      if (values != c.stride * c.meta.slices + c.stride / 8 * c.meta.slice_tail)
        return corrupt("column " + name + " has packed slices of the wrong size");
      c.packed_start = start.get();
      StoreAccess::keep(s).push_back(std::shared_ptr<const void>(start, start.get()));
    }
    return std::nullopt;
  }

  // A sequence of its rows, the sections every value column needs, and a value index this
  // version can have and check_value_index accepts.
  MaybeFailure check_rows_and_index(const Column& c, const std::string& name) const {
    // A sequence's offsets are its rows: so it must have one value per row and no nulls.
    if (c.is_sequence() && (c.meta.has_nulls || !c.meta.has_values || c.meta.max_offset != h.rows - 1))
      return corrupt("column " + name + " is not a sequence of its rows");
    if ((!c.data && !c.is_sequence()) || !c.zones || (c.meta.has_nulls && !c.valid))
      return corrupt("column " + name + " is incomplete");
    if (h.version < 2 && (c.meta.index_rows || c.meta.index_buckets || c.meta.index_shift))
      return corrupt("column " + name + " describes an index in a version 1 snapshot");
    if (h.version < 7 && (c.meta.index_dense || (c.meta.index_rows && c.meta.index_row_bytes != 4)))
      return corrupt("column " + name + " describes a version 7 index in a version " + std::to_string(h.version) + " snapshot");
    if (h.version < 8 && c.meta.index_dense && c.meta.index_shift)
      return corrupt("column " + name + " describes a version 8 index in a version " + std::to_string(h.version) + " snapshot");
    if (const char* why = check_value_index(c, h.rows)) return corrupt("column " + name + ": " + why);
    return std::nullopt;
  }

  // Strings' offsets within their blob and in order; string and enum codes within their
  // dictionary.
  MaybeFailure check_codes(size_t f, const Column& c, const std::string& name) const {
    if (c.type == FieldType::String) {
      if (!c.str_offsets) return corrupt("string column " + name + " is incomplete");
      uint64_t blob = 0;
      for (const auto& sec : sections)
        if (sec.field == f && sec.kind == SectionKind::StrBlob) blob = sec.size;
      for (uint64_t k = 0; k <= c.meta.string_count; ++k)
        if (c.str_offsets[k] > blob || (k && c.str_offsets[k] < c.str_offsets[k - 1]))
          return corrupt("string column " + name + " has damaged offsets");
      if (!codes_within(c, c.meta.string_count)) return corrupt("string column " + name + " has codes past its dictionary");
    }
    // An enum's codes index its dictionary (compaction maps them through it: gather.cpp).
    if (c.type == FieldType::Enum && !codes_within(c, sc.fields[f].dict.size()))
      return corrupt("enum column " + name + " has codes past its dictionary");
    return std::nullopt;
  }

  // The store, once every check passed: it keeps the file's bytes, which its columns point into.
  LoadResult finish(std::chrono::steady_clock::time_point t0) {
    StoreAccess::keep(s).push_back(std::move(mapping));
    // Version 1 had no value indexes: they are built now (about 0.1 s at 10M rows), so a store
    // answers alike whatever version it came from, and `seg convert` writes them.
    if (h.version < 2)
      for (size_t f = 0; f < cols.size(); ++f) build_value_index(s, static_cast<int>(f));
    LoadResult r;
    r.store = std::move(s);
    r.bytes = size;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }
};

}  // namespace

LoadResult open_snapshot(const std::string& path, const LoadOptions& options) {
  return with_input(path, [&](Input& in) { return open_snapshot(in, options); });
}

// Reads the whole file, then checks it before a store is made of it: header, schema, padding,
// column descriptions, sections, columns, in that order (each step: SnapshotReader above).
LoadResult open_snapshot(Input& in, const LoadOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  SnapshotReader reader(in, options);
  if (auto failed = reader.read_file()) return std::move(*failed);
  if (auto failed = reader.check_header()) return std::move(*failed);
  if (auto failed = reader.load_schema()) return std::move(*failed);
  if (auto failed = reader.check_padding()) return std::move(*failed);
  if (auto failed = reader.read_column_descriptions()) return std::move(*failed);
  if (auto failed = reader.attach_sections()) return std::move(*failed);
  if (auto failed = reader.check_columns()) return std::move(*failed);
  return reader.finish(t0);
}

}  // namespace seg::rt
