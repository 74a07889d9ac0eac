// A CSV stream (runtime/storage/load.hpp). The first byte chooses: bits 0-1 the schema (0, 3: the
// bundled CRM schema; 1: a random schema from the next 8 bytes' seed; 2: a schema with every
// type), bit 2 skip_bad_rows, bit 3 also load the bytes from a file (the streaming reader must
// agree with load_csv_text), bit 4 read JSON Lines instead of CSV, bit 5 a line limit
// (max_line_bytes) of 128 bytes for both loaders: E409 at the limit, and the file loader's
// buffer (the limit + 1) is smaller than most inputs, so lines cross its reads. The rest is the
// data. Whatever the bytes: no crash, a store or an error with a code. A store that loads is
// used (cells, plans, evaluation, which must agree with eval_row), written as a snapshot,
// opened (with verify) and compared.
//
// Speed (docs/fuzzing.md; a load takes about 0.4 ms under ASan, the checks more): the file
// loaders zero a buffer of min(4 MiB, limit + 1) bytes first, 28 ms under ASan with the default
// limit (16 MiB), so an input of mode bit 3 without bit 5 loads (both ways) with a limit of
// 4 KiB (about the longest input the fuzzer makes: the loaders behave the same but for E409),
// and with the default limit only when its hash is 0 modulo 1024. The file loader runs on a
// sample of the inputs of bit 3 (fuzz::sampled: 1 in 8; every input when replaying) and on 1 in
// 4 of those of bits 3 and 5 (lines cross its reads); it compares 300 rows' cells on the
// sample, 64 rows' on the others. The sample also evaluates every rule on 1 and 2 threads (the
// others about 6 rules on one), and 1 input in 32 gets the snapshot round trip (5 ms).
#include <deque>

#include "schema/schema.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/storage/snapshot.hpp"
#include "tests/fuzz/fuzz.hpp"
#include "tests/fuzz/store_check.hpp"
#include "tests/support/random_ir.hpp"

namespace seg::fuzz {

inline const Schema& every_type_schema() {
  static const Schema s = [] {
    Diagnostics d;
    auto parsed = parse_schema_json(R"({"name": "every_type", "id_field": "id", "fields": [
      {"name": "id", "type": "int"},
      {"name": "n", "type": "int", "nullable": true, "aliases": ["num"]},
      {"name": "d", "type": "decimal", "scale": 3, "nullable": true},
      {"name": "t", "type": "timestamp", "nullable": true},
      {"name": "b", "type": "bool", "nullable": true},
      {"name": "s", "type": "string", "nullable": true},
      {"name": "e", "type": "enum", "ordered": true, "values": ["Low", {"key": "Mid", "label": "Middle"}, "High"]},
      {"name": "o", "type": "enum", "open": true, "nullable": true, "values": ["x"]},
      {"name": "tags", "type": "set", "open": true, "values": ["A", "B b", "C"]},
      {"name": "fixed", "type": "set", "values": ["P", "Q"]}]})",
                                    d);
    if (!parsed) fail("every_type_schema", render_text(d.list(), "schema", ""));
    return *parsed;
  }();
  return s;
}

// The random schema of a seed (mode 1). The last 16 are kept: making one is a twentieth of a
// millisecond, a tenth of a load, and a pure function of the seed.
inline const Schema& random_schema_for(uint64_t seed) {
  static std::deque<std::pair<uint64_t, Schema>> kept;  // most recently used first
  for (auto it = kept.begin(); it != kept.end(); ++it)
    if (it->first == seed) {
      if (it != kept.begin()) {
        auto hit = std::move(*it);
        kept.erase(it);
        kept.push_front(std::move(hit));
      }
      return kept.front().second;
    }
  if (kept.size() >= 16) kept.pop_back();
  testing::Rng rng(seed);
  kept.emplace_front(seed, testing::random_schema(rng));
  return kept.front().second;
}

inline std::string errors_text(const rt::LoadResult& r) {
  std::string out;
  for (const rt::LoadError& e : r.errors)
    out += e.code + " " + std::to_string(e.line) + ":" + std::to_string(e.column) + " " + e.column_name + " " +
           e.message + "\n";
  return out;
}

inline std::string cells(const rt::Store& s, uint64_t max_rows = 300) {
  std::string out;
  for (uint64_t r = 0; r < std::min<uint64_t>(s.rows(), max_rows); ++r) {
    for (size_t f = 0; f < s.schema().fields.size(); ++f) out += s.format_cell(static_cast<int>(f), r) + "\x1f";
    out += "\n";
  }
  return out;
}

}  // namespace seg::fuzz

SEG_FUZZ_TARGET(csv) {
  using namespace seg;
  const bool full = fuzz::sampled(data, size);
  const uint64_t hash = fuzz::input_hash(data, size);
  fuzz::Bytes in(data, size);
  uint8_t mode = in.byte();
  const Schema* schema = &crm_schema();
  if ((mode & 3) == 1) {
    schema = &fuzz::random_schema_for(in.u64());
  } else if ((mode & 3) == 2) {
    schema = &fuzz::every_type_schema();
  }
  rt::LoadOptions opt;
  opt.skip_bad_rows = mode & 4;
  if (mode & 32)
    opt.limits.max_line_bytes = 128;
  else if ((mode & 8) && hash % 1024 != 0)
    opt.limits.max_line_bytes = 4096;
  std::string_view csv = in.rest();
  bool jsonl = mode & 16;
  rt::LoadResult r = jsonl ? rt::load_jsonl_text(csv, "fuzz.jsonl", *schema, opt)
                           : rt::load_csv_text(csv, "fuzz.csv", *schema, opt);
  for (const rt::LoadError& e : r.errors) {
    SEG_FUZZ_CHECK(e.code.size() == 4 && e.code[0] == 'E', "error without a code: " + e.message);
    (void)e.to_string();
  }
  SEG_FUZZ_CHECK(r.ok() || !r.errors.empty(), "no store and no error");
  if ((mode & 8) && (full || ((mode & 32) && hash % 4 == 1))) {
    std::string path = fuzz::temp_file(jsonl ? "fuzz.jsonl" : "fuzz.csv", csv);
    rt::LoadResult f = jsonl ? rt::load_jsonl(path, *schema, opt) : rt::load_csv(path, *schema, opt);
    SEG_FUZZ_CHECK(f.ok() == r.ok() && fuzz::errors_text(f) == fuzz::errors_text(r) && f.skipped == r.skipped,
                   "file and text loaders disagree\nfile:\n" + fuzz::errors_text(f) + "text:\n" + fuzz::errors_text(r));
    const uint64_t compared = full ? 300 : 64;
    if (f.ok())
      SEG_FUZZ_CHECK(f.store->rows() == r.store->rows() && fuzz::cells(*f.store, compared) == fuzz::cells(*r.store, compared),
                     "file and text loaders load different rows");
  }
  if (!r.ok()) return 0;
  const rt::Store& store = *r.store;
  fuzz::exercise_store(store, true, full, hash);
  if (!fuzz::sampled(data, size, 32)) return 0;

  std::string path = fuzz::temp_dir() + "/fuzz.seg", error;
  SEG_FUZZ_CHECK(rt::write_snapshot(store, path, error), "snapshot not written: " + error);
  rt::LoadOptions verify;
  verify.verify = true;
  rt::LoadResult snap = rt::open_snapshot(path, verify);
  SEG_FUZZ_CHECK(snap.ok(), "a written snapshot does not open: " + fuzz::errors_text(snap));
  SEG_FUZZ_CHECK(snap.store->rows() == store.rows() && fuzz::cells(*snap.store) == fuzz::cells(store),
                 "the snapshot holds other values");
  SEG_FUZZ_CHECK(schema_to_json(snap.store->schema()) == schema_to_json(store.schema()), "the snapshot's schema differs");
  fuzz::exercise_store(*snap.store, true, false, hash >> 8);
  return 0;
}
