// Bytes per plan and a streaming-read measurement, for `seg bench`'s bandwidth bound.
#include "runtime/exec/bandwidth.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <vector>

namespace seg::rt {
namespace {

// Columns named, with how much of each a test reads: only its null bitmap (`is null`, `is
// not null`: no value is read), only the frequent value's bitmap (a range it decides), a
// sliced column's first two slices (ranges and short lists), or all of it (other tests); and
// set values named. Levels only grow: a column tested two ways reads what the larger needs.
enum Reads : int { kNullBits = -1, kFrequentBits = 0, kTwoSlices = 1, kWhole = 2 };
using Columns = std::map<int, int>;
void collect(const PlanNode& n, const Store& store, Columns& columns, std::set<std::pair<int, uint32_t>>& tags) {
  auto reads = [&](int level) {
    auto [it, fresh] = columns.emplace(n.field, level);
    if (!fresh) it->second = std::max(it->second, level);
  };
  switch (n.op) {
    case Op::TagAny:
    case Op::TagAll:
    case Op::TagNone:
      for (uint32_t t : n.tags) tags.insert({n.field, t});
      break;
    case Op::Range: reads(frequent_decides(n, store.column(n.field)) ? kFrequentBits : kTwoSlices); break;
    case Op::InSmall: reads(kTwoSlices); break;
    case Op::IsNull:
    case Op::NotNull: reads(kNullBits); break;
    case Op::InBitmap:
    case Op::InSorted: reads(kWhole); break;
    case Op::False:
    case Op::True:
    case Op::And:
    case Op::Or:
    case Op::Not:
    case Op::Fused: break;  // its kids are the tests
  }
  for (const auto& k : n.kids) collect(k, store, columns, tags);
}

}  // namespace

namespace {

// Bytes of the columns and set values named, each once: for a column only tested by ranges
// its frequent-value bitmap decides, the bitmap; for a sliced column only tested by ranges and
// short lists, its first two slices (the kernels always read those; the rest only where two
// bytes do not decide, which depends on the data); for bit planes, every plane.
uint64_t stored_bytes(const Columns& columns, const std::set<std::pair<int, uint32_t>>& tags, const Store& store) {
  uint64_t bytes = 0;
  for (auto [f, level] : columns) {
    const Column& c = store.column(f);
    if (c.type == FieldType::Set) {
      bytes += words_for(store.rows()) * 8;  // the non-empty bitmap
      continue;
    }
    if (level == kNullBits) {}  // the null bitmap, below (none: the test needs nothing read)
    else if (level == kFrequentBits) bytes += words_for(store.rows()) * 8;
    else if (c.is_sliced() && c.meta.packed) {  // the other rows' slices (not the padding's), the bitmap, the starts
      const uint64_t words = words_for(store.rows()), pad = words * 64 - store.rows();
      const uint64_t others = c.packed_start[words] > pad ? c.packed_start[words] - pad : 0;
      bytes += (level == kWhole ? others * c.meta.slices + others * c.meta.slice_tail / 8 : others * 2) + words * 12;
    }
    else if (c.is_sliced()) bytes += level == kWhole ? store.rows() * c.meta.slices + store.rows() * c.meta.slice_tail / 8 : store.rows() * 2;
    else if (c.is_planes()) bytes += (store.rows() * c.meta.slices + 7) / 8;
    else if (c.is_runs()) bytes += (c.run_count + 1) * sizeof(Run);
    else if (!c.is_sequence()) bytes += store.rows() * c.meta.width;  // a sequence stores nothing
    if (c.valid) bytes += words_for(store.rows()) * 8;
  }
  for (auto [f, t] : tags) {
    const Column& c = store.column(f);
    for (uint64_t ch = 0; ch < c.meta.chunks; ++ch) {
      const Container& k = c.container(t, ch);
      bytes += k.kind == kSparse ? sparse_bytes_for(sparse_kept_count(c.tag_data + k.offset)) : container_bytes(k.kind, k.card);
    }
  }
  return bytes;
}

}  // namespace

uint64_t plan_bytes(const Plan& plan, const Store& store, uint64_t matches) {
  Columns columns;
  std::set<std::pair<int, uint32_t>> tags;
  collect(plan.root, store, columns, tags);
  uint64_t bytes = stored_bytes(columns, tags, store);
  if (store.id_field() >= 0 && !store.column(store.id_field()).is_sequence())
    bytes += std::min<uint64_t>(matches * 64, store.rows() * store.column(store.id_field()).meta.width);
  return bytes;
}

uint64_t plans_bytes(const std::vector<const Plan*>& plans, const Store& store) {
  Columns columns;
  std::set<std::pair<int, uint32_t>> tags;
  for (const Plan* p : plans) collect(p->root, store, columns, tags);
  return stored_bytes(columns, tags, store);
}

double measure_scan_bandwidth(uint64_t bytes, int repeats) {
  std::vector<uint64_t> buf(bytes / 8);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = i;  // touch every page first
  double best = 0;
  volatile uint64_t sink = 0;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    uint64_t a = 0, b = 0, c = 0, d = 0;  // independent sums so the loop is load-bound
    for (size_t i = 0; i + 4 <= buf.size(); i += 4) {
      a += buf[i];
      b += buf[i + 1];
      c += buf[i + 2];
      d += buf[i + 3];
    }
    sink = sink + a + b + c + d;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, static_cast<double>(bytes) / s);
  }
  return best;
}

void evict_caches() {
  static std::vector<uint64_t> buf = [] {
    std::vector<uint64_t> b((uint64_t{256} << 20) / 8);  // 8x this machine's 32 MB L3
    for (size_t i = 0; i < b.size(); ++i) b[i] = i;
    return b;
  }();
  uint64_t a = 0;
  for (size_t i = 0; i < buf.size(); i += 8) a += buf[i];  // a load a line
  asm volatile("" : : "r"(a));  // the loads are kept: their sum is used
}

}  // namespace seg::rt
