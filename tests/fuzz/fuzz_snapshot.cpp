// The binary snapshot reader (runtime/storage/snapshot.hpp). The first byte is the mode, the rest the
// file. Mode bit 0: recompute every checksum after the fuzzer's changes (section checksums,
// then the header's), so damage reaches the structural checks behind them, as a deliberately
// crafted file would; bit 1: open with verify; bit 2: make the header's file size the real one.
// Whatever the bytes: no crash or hang, a store or an E7xx error. A store that opens is used
// like `seg eval` uses it (cells, plans, evaluation on 1 and, on a sample of the inputs, 2
// threads); its answers on damaged data may be wrong, but reading it must stay in bounds.
#include <cstddef>

#include "runtime/storage/hash.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/storage/snapshot.hpp"
#include "tests/fuzz/fuzz.hpp"
#include "tests/fuzz/store_check.hpp"

namespace seg::fuzz {

// The on-disk layout of runtime/storage/snapshot.cpp: a 64-byte header, then 40-byte section entries.
inline constexpr size_t kHeaderSize = 64, kEntrySize = 40;
inline constexpr size_t kFileSizeAt = 16, kSectionCountAt = 36, kSchemaOffsetAt = 40, kSchemaSizeAt = 48,
                        kMetaChecksumAt = 56;

template <typename T>
T get(const std::string& b, size_t at) {
  T v;
  std::memcpy(&v, b.data() + at, sizeof v);
  return v;
}
template <typename T>
void put(std::string& b, size_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof v);
}

// Makes every checksum that can be computed match, as a crafted file would.
inline void fix_checksums(std::string& b, bool fix_size) {
  if (b.size() < kHeaderSize) return;
  if (fix_size) put<uint64_t>(b, kFileSizeAt, b.size());
  uint64_t count = get<uint32_t>(b, kSectionCountAt);
  uint64_t table_end = kHeaderSize + count * kEntrySize;
  if (table_end > b.size()) return;
  for (uint64_t i = 0; i < count; ++i) {
    size_t e = kHeaderSize + i * kEntrySize;
    uint64_t off = get<uint64_t>(b, e + 8), sz = get<uint64_t>(b, e + 16);
    if (off <= b.size() && sz <= b.size() - off) put<uint64_t>(b, e + 24, rt::xxh64(b.data() + off, sz));
  }
  uint64_t schema_off = get<uint64_t>(b, kSchemaOffsetAt), schema_size = get<uint64_t>(b, kSchemaSizeAt);
  if (schema_off > b.size() || schema_size > b.size() - schema_off) return;
  uint64_t a = rt::xxh64(b.data(), kMetaChecksumAt);
  uint64_t t = rt::xxh64(b.data() + kHeaderSize, count * kEntrySize, a);
  put<uint64_t>(b, kMetaChecksumAt, rt::xxh64(b.data() + schema_off, schema_size, t));
}

}  // namespace seg::fuzz

SEG_FUZZ_TARGET(snapshot) {
  using namespace seg;
  fuzz::Bytes in(data, size);
  uint8_t mode = in.byte();
  std::string file(in.rest());
  if (mode & 1) fuzz::fix_checksums(file, mode & 4);
  std::string path = fuzz::temp_file("fuzz.seg", file);
  rt::LoadOptions opt;
  opt.verify = mode & 2;
  rt::LoadResult r = rt::open_snapshot(path, opt);
  if (!r.ok()) {
    SEG_FUZZ_CHECK(!r.errors.empty() && r.errors[0].code.size() == 4 && r.errors[0].code.compare(0, 2, "E7") == 0,
                   "a snapshot refused without an E7xx error");
    (void)r.errors[0].to_string();
    return 0;
  }
  // Every rule on 1 and 2 threads on a sample of the inputs (fuzz::sampled: 1 in 8; every input
  // when replaying), about 6 rules on one thread on the others.
  fuzz::exercise_store(*r.store, false, fuzz::sampled(data, size), fuzz::input_hash(data, size));
  return 0;
}
