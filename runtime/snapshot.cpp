// Snapshot writer and mapper. File: a 64-byte header, the section table, the schema JSON,
// then each section 64-byte aligned. Every section carries an XXH64 checksum; one more
// covers header, table and schema.
#include "runtime/snapshot.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "compiler/diagnostics.hpp"
#include "runtime/bits.hpp"
#include "runtime/hash.hpp"
#include "runtime/load_common.hpp"

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

}  // namespace

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

  // Written to PATH.tmp, then renamed over PATH, so a reader never sees half a file. A rename
  // replaces what is there, so PATH must be a regular file or nothing: not a device, a FIFO or
  // a directory (`-o /dev/full` replaced the device with a file; found by QA). A symlink is
  // followed: its target is what gets written.
  std::string target = path;
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    namespace fs = std::filesystem;
    std::error_code ec;  // read, not resolved: the link may point at a file not written yet
    fs::path to = fs::read_symlink(path, ec);
    if (!ec) target = (to.is_absolute() ? to : fs::path(path).parent_path() / to).string();
  }
  if (::stat(target.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    error = "cannot write " + path + ": not a regular file (a snapshot is renamed into place)";
    return false;
  }
  std::string tmp = target + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) {
    error = "cannot write " + tmp + ": " + std::strerror(errno);
    return false;
  }
  static const char zeros[64] = {};
  uint64_t at = 0;
  bool ok = true;
  auto put = [&](const void* p, uint64_t n) {
    ok = ok && (n == 0 || std::fwrite(p, 1, n, f) == n);
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
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), target.c_str()) != 0) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

LoadResult open_snapshot(const std::string& path, const LoadOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_failure(path, "cannot open: " + std::string(std::strerror(errno)));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return io_failure(path, "not a regular file");
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  void* map = size ? mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
  ::close(fd);
  if (size < 8) return failure(path, "E710", "not a seg snapshot (too short for the header)");
  if (map == MAP_FAILED) return io_failure(path, "cannot map: " + std::string(std::strerror(errno)));
  auto mapping = std::shared_ptr<const void>(map, [size](const void* p) { munmap(const_cast<void*>(p), size); });
  const auto* base = static_cast<const uint8_t*>(map);

  if (std::memcmp(base, kSnapshotMagic, 8) != 0) return failure(path, "E710", "not a seg snapshot (wrong magic bytes)");
  if (size < sizeof(Header)) return failure(path, "E712", "truncated snapshot: the header is incomplete");
  Header h;
  std::memcpy(&h, base, sizeof h);
  if (h.version != kSnapshotVersion)
    return failure(path, "E711",
                   "snapshot version " + std::to_string(h.version) + " is not supported (this seg reads version " +
                       std::to_string(kSnapshotVersion) + "); convert the data again");
  auto truncated = [&] {
    return failure(path, "E712",
                   "truncated snapshot: " + std::to_string(size) + " bytes of " + std::to_string(h.file_size));
  };
  // The header, section table and schema are checksummed together: a damaged size field is
  // told apart from a file that really is short when they are all there to check.
  uint64_t table_end = sizeof(Header) + uint64_t{h.section_count} * sizeof(SectionEntry);
  if (h.header_size != sizeof(Header) || h.schema_offset != table_end || h.section_count > (1u << 24))
    return failure(path, "E713", "corrupt snapshot: the header is inconsistent");
  if (table_end > size || h.schema_size > size - table_end) return h.file_size > size ? truncated()
      : failure(path, "E713", "corrupt snapshot: the header is inconsistent");
  const auto* table = reinterpret_cast<const SectionEntry*>(base + sizeof(Header));
  const char* schema_text = reinterpret_cast<const char*>(base + h.schema_offset);
  if (meta_checksum(h, table, schema_text) != h.meta_checksum)
    return failure(path, "E713", "corrupt snapshot: header checksum mismatch");
  if (h.file_size > size) return truncated();

  Store s;
  Diagnostics d;
  auto schema = parse_schema_json({schema_text, h.schema_size}, d);
  if (!schema) return failure(path, "E713", "corrupt snapshot: its schema does not load");
  // The sections bound the row count, but only if there is a column and the size arithmetic
  // below cannot wrap: a crafted header claiming 2^62 rows of a field-less schema opened and
  // made every evaluation run ~2^46 blocks (found by fuzzing, tests/limits_data_test.cpp).
  if (h.rows > kMaxSnapshotRows || (schema->fields.empty() && h.rows != 0))
    return failure(path, "E713", "corrupt snapshot: the header claims " + std::to_string(h.rows) + " rows");
  StoreAccess::schema(s) = std::move(*schema);
  StoreAccess::rows(s) = h.rows;
  StoreAccess::ids_sorted(s) = h.flags & 1;
  const Schema& sc = s.schema();
  auto& cols = StoreAccess::columns(s);
  cols.resize(sc.fields.size());
  auto& sections = StoreAccess::sections(s);
  auto corrupt = [&](const std::string& why) { return failure(path, "E713", "corrupt snapshot: " + why); };

  // Column descriptions first: they say how large every other section must be.
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
    Column& c = cols[e.field];
    std::memcpy(&c.meta, base + e.offset, sizeof(ColumnMeta));
    c.type = sc.fields[e.field].type;
    if (c.meta.type != static_cast<uint8_t>(c.type) || c.meta.field != e.field)
      return corrupt("column " + std::to_string(e.field) + " does not match the schema");
    if (!(c.meta.width == 1 || c.meta.width == 2 || c.meta.width == 4 || c.meta.width == 8))
      return corrupt("column " + std::to_string(e.field) + " has width " + std::to_string(c.meta.width));
    have_meta[e.field] = true;
  }
  for (size_t f = 0; f < cols.size(); ++f)
    if (!have_meta[f]) return corrupt("field " + sc.fields[f].name + " has no column");

  uint64_t words = words_for(h.rows), blocks = blocks_for(h.rows);
  for (uint32_t i = 0; i < h.section_count; ++i) {
    const SectionEntry& e = table[i];
    Column& c = cols[e.field];
    const uint8_t* p = base + e.offset;
    auto kind = static_cast<SectionKind>(e.kind);
    if (kind == SectionKind::Meta) {
      sections.push_back({e.field, kind, &c.meta, sizeof(ColumnMeta)});
      continue;
    }
    if (options.verify && xxh64(p, e.size) != e.checksum)
      return corrupt("checksum mismatch in section " + std::to_string(i) + " (field " + sc.fields[e.field].name + ")");
    auto expect = [&](uint64_t n) { return e.size == n; };
    bool ok = true;
    switch (kind) {
      case SectionKind::Values: ok = expect(words * 64 * c.meta.width), c.data = p; break;
      case SectionKind::Validity: ok = expect(words * 8), c.valid = reinterpret_cast<const uint64_t*>(p); break;
      case SectionKind::Zones: ok = expect(blocks * sizeof(Zone)), c.zones = reinterpret_cast<const Zone*>(p); break;
      case SectionKind::TagDir:
        ok = expect(c.meta.tag_count * c.meta.chunks * sizeof(Container)) && c.meta.chunks == blocks;
        c.dir = reinterpret_cast<const Container*>(p);
        break;
      case SectionKind::TagData: c.tag_data = p, c.tag_data_size = e.size; break;
      case SectionKind::TagNonempty: ok = expect(words * 8), c.nonempty = reinterpret_cast<const uint64_t*>(p); break;
      case SectionKind::StrOffsets:
        // (string_count + 1) * 8 must not wrap to the section's size.
        ok = c.meta.string_count < e.size && expect((c.meta.string_count + 1) * 8);
        c.str_offsets = reinterpret_cast<const uint64_t*>(p);
        break;
      case SectionKind::StrBlob: c.str_blob = reinterpret_cast<const char*>(p); break;
      default: return corrupt("unknown section kind " + std::to_string(e.kind));
    }
    if (!ok) return corrupt("section " + std::to_string(i) + " (field " + sc.fields[e.field].name + ") has the wrong size");
    sections.push_back({e.field, kind, p, e.size});
  }
  // Structure that reads depend on: every column complete, containers and strings in bounds.
  for (size_t f = 0; f < cols.size(); ++f) {
    Column& c = cols[f];
    const std::string& name = sc.fields[f].name;
    if (c.type == FieldType::Set) {
      if (!c.dir || !c.nonempty || (!c.tag_data && c.meta.tag_count * c.meta.chunks > 0))
        return corrupt("set column " + name + " is incomplete");
      if (c.meta.tag_count > sc.fields[f].dict.size()) return corrupt("set column " + name + " has too many values");
      for (uint64_t k = 0; k < c.meta.tag_count * c.meta.chunks; ++k) {
        const Container& ct = c.dir[k];
        uint64_t need = ct.kind == kArray ? uint64_t{ct.card} * 2 : ct.kind == kBitmap ? kBlockWords * 8 : 0;
        if (ct.kind > kBitmap || ct.card > kBlockRows || ct.offset > c.tag_data_size ||
            need > c.tag_data_size - ct.offset || ct.offset % 8)
          return corrupt("set column " + name + " has a damaged container directory");
      }
      continue;
    }
    if (!c.data || !c.zones || (c.meta.has_nulls && !c.valid)) return corrupt("column " + name + " is incomplete");
    if (c.type == FieldType::String) {
      if (!c.str_offsets) return corrupt("string column " + name + " is incomplete");
      uint64_t blob = 0;
      for (const auto& sec : sections)
        if (sec.field == f && sec.kind == SectionKind::StrBlob) blob = sec.size;
      for (uint64_t k = 0; k <= c.meta.string_count; ++k)
        if (c.str_offsets[k] > blob || (k && c.str_offsets[k] < c.str_offsets[k - 1]))
          return corrupt("string column " + name + " has damaged offsets");
      if (c.meta.has_values && c.meta.max_offset + static_cast<uint64_t>(c.meta.base) >= c.meta.string_count)
        return corrupt("string column " + name + " has codes past its dictionary");
    }
  }
  StoreAccess::keep(s).push_back(std::move(mapping));
  LoadResult r;
  r.store = std::move(s);
  r.bytes = size;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace seg::rt
