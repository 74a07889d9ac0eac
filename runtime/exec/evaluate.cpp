// Running plans over a store: evaluate() (one plan, optionally on several threads: counts,
// checksums, member rows, bitmaps; the few-ids path's rows one by one) and BlockEvaluator (many
// plans a block at a time, the shared pass). The runner itself is block_runner.hpp.
#include "runtime/exec/evaluate.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <system_error>
#include <thread>

#include <sys/mman.h>

#include "base/threads.hpp"
#include "runtime/exec/block_runner.hpp"
#include "runtime/exec/share.hpp"

namespace seg::rt {
namespace {

using namespace detail;

// Sum of the ids of the selected rows (frame of reference: count * base + sum of offsets).
template <class T>
uint64_t sum_offsets(const T* v, const uint64_t* sel, size_t nw) {
  uint16_t idx[kBlockWords + kernel::kIdxSlack];
  size_t k = selected_words(sel, nw, idx);
  uint64_t sum = 0;
  for (size_t i = 0; i < k; ++i) {
    if (i + kPrefetchAhead < k) prefetch_word(v, idx[i + kPrefetchAhead]);
    size_t w = idx[i];
    uint64_t s = sel[w];
    const T* x = v + 64 * w;
    if constexpr (sizeof(T) == 4) {
      sum += kernel::masked_sum(x, s);
      continue;
    }
    if (popcount64(s) > 24) {
      // Dense word: a vectorized sum of all 64, less the few rows not selected.
      uint64_t part = 0;
      for (int i = 0; i < 64; ++i) part += x[i];
      for (uint64_t u = ~s; u; u &= u - 1) part -= x[__builtin_ctzll(u)];
      sum += part;
      continue;
    }
    while (s) {
      sum += x[__builtin_ctzll(s)];
      s &= s - 1;
    }
  }
  return sum;
}

struct BlockResult {
  uint64_t count = 0;
  uint64_t checksum = 0;
  std::vector<uint64_t> sel;  // the block's selection (want_rows): 1 bit a row, expanded once at the end
};

// A result vector of `n` elements whose pages come as 2 MiB huge pages where the kernel
// allows. On this machine's virtualisation a fresh 4 KiB page costs a fault of about 20 us:
// 8.9M members written into 4 KiB pages spent about a second in faults (perf, `seg eval --ids`).
template <typename T>
void reserve_huge(std::vector<T>& v, size_t n) {
  v.reserve(n);
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  uintptr_t b = reinterpret_cast<uintptr_t>(v.data()), e = b + n * sizeof(T);
  uintptr_t ab = (b + kHuge - 1) & ~(kHuge - 1), ae = e & ~(kHuge - 1);
  if (ae > ab) ::madvise(reinterpret_cast<void*>(ab), ae - ab, MADV_HUGEPAGE);  // a hint only
}

// The block's ids are first, first + 1, ... in row order: they strictly increase (ids_sorted)
// and its zone map spans exactly as many values as it has rows. Then the checksum needs no
// id: count * first + the sum of the selected positions (auto-increment ids, the reference
// data's, never read the id column).
bool consecutive_ids(const Store& store, const Column& id, uint64_t b) {
  if (!store.ids_sorted() || !id.zones) return false;
  uint64_t rows = std::min<uint64_t>(kBlockRows, store.rows() - b * kBlockRows);
  const Zone& z = id.zones[b];
  return z.valid == rows && static_cast<uint64_t>(z.max) - static_cast<uint64_t>(z.min) == rows - 1;
}

// Whether a block's selection is every row: all its words ones but the last, which is `last`.
// Sixteen words a step, stopping at the first step that is not (most results stop there); word
// by word, with the table's tail worked out for each, this loop was the whole cost of a broad
// rule the zone maps decide (`client_id > 46`: 1-3 us a block).
bool whole_block(const uint64_t* sel, size_t nw, uint64_t last) {
  constexpr uint64_t kAll = ~uint64_t{0};
  size_t w = 0;
  for (; w + 16 < nw; w += 16) {
    uint64_t a = kAll;
    for (size_t j = 0; j < 16; ++j) a &= sel[w + j];
    if (a != kAll) return false;
  }
  for (; w + 1 < nw; ++w)
    if (sel[w] != kAll) return false;
  return sel[nw - 1] == last;
}

void finish_block(const Store& store, uint64_t b, const uint64_t* sel, size_t nw, bool want_rows, BlockResult& r) {
  uint64_t row0 = b * kBlockRows;
  const Column* idc = store.id_field() >= 0 ? &store.column(store.id_field()) : nullptr;
  if (!idc || idc->is_sequence() || consecutive_ids(store, *idc, b)) {
    // Without an id field the id is row + 1, and a sequence's is base + row: consecutive too.
    // A block wholly selected (a rule that folded to `true`, a broad one) has n rows at
    // positions 0..n-1: no popcounts (they were most of a 10M-row `true`: 0.45 ms).
    BitSums s;
    if (whole_block(sel, nw, tail_mask(store.rows(), b * kBlockWords + nw - 1))) {
      s.count = std::min<uint64_t>(kBlockRows, store.rows() - row0);
      s.positions = s.count * (s.count - 1) / 2;
    } else {
      s = bit_sums(sel, nw);
    }
    uint64_t first = !idc ? row0 + 1
                     : idc->is_sequence() ? static_cast<uint64_t>(idc->meta.base) + row0
                                          : static_cast<uint64_t>(idc->zones[b].min);
    r.count = s.count;
    r.checksum = s.count * first + s.positions;
  } else {
    r.count = popcount_words(sel, nw);
    const Column& id = *idc;
    uint64_t offs;
    switch (id.meta.width) {
      case 1: offs = sum_offsets(id.data + row0, sel, nw); break;
      case 2: offs = sum_offsets(reinterpret_cast<const uint16_t*>(id.data) + row0, sel, nw); break;
      case 4: offs = sum_offsets(reinterpret_cast<const uint32_t*>(id.data) + row0, sel, nw); break;
      default: offs = sum_offsets(reinterpret_cast<const uint64_t*>(id.data) + row0, sel, nw); break;
    }
    r.checksum = r.count * static_cast<uint64_t>(id.meta.base) + offs;
  }
  if (want_rows && r.count) r.sel.assign(sel, sel + nw);
}

// One row through the plan on the few-ids path, counting rows in and out per node for
// explain. The probed leaf is skipped: every row it gave holds one of its values.
bool test_row(const PlanNode& n, const Store& store, uint64_t row, std::vector<NodeStats>* stats) {
  if (!stats) {
    if (n.op != Op::And) return eval_row(n, store, row);
    for (const auto& k : n.kids)
      if (!k.probed && !eval_row(k, store, row)) return false;
    return true;
  }
  NodeStats& s = (*stats)[static_cast<size_t>(n.id)];
  ++s.rows_in;
  bool hit;
  switch (n.op) {
    case Op::And:
      hit = true;
      for (const auto& k : n.kids)
        if (!k.probed && !test_row(k, store, row, stats)) {
          hit = false;
          break;
        }
      break;
    case Op::Or:
      hit = false;
      for (const auto& k : n.kids)
        if (test_row(k, store, row, stats)) {
          hit = true;
          break;
        }
      break;
    case Op::Not: hit = !test_row(n.kids[0], store, row, stats); break;
    default: hit = n.probed || eval_row(n, store, row); break;
  }
  s.rows_out += hit;
  return hit;
}

// The few-ids path: only the rows the lookup found (Plan::probe) are tested, one by one.
EvalResult evaluate_probe(const Plan& plan, const Store& store, const EvalOptions& options, uint64_t block0,
                          uint64_t end, Clock::time_point t0) {
  EvalResult res;
  res.blocks = end - block0;
  std::vector<NodeStats>* stats = nullptr;
  if (options.explain) res.stats.resize(static_cast<size_t>(plan.node_count)), stats = &res.stats;
  const uint64_t first_row = block0 * kBlockRows, end_row = std::min(store.rows(), end * kBlockRows);
  const auto& rows = plan.probe.rows;
  auto it = std::lower_bound(rows.begin(), rows.end(), first_row);
  const uint64_t found = static_cast<uint64_t>(std::lower_bound(it, rows.end(), end_row) - it);
  std::vector<std::pair<int64_t, uint64_t>> hits;  // (id, row)
  for (; it != rows.end() && *it < end_row; ++it) {
    uint64_t r = *it;
    if (!test_row(plan.root, store, r, stats)) continue;
    int64_t id = store.id_at(r);
    ++res.count;
    res.checksum += static_cast<uint64_t>(id);
    if (options.want_rows) hits.emplace_back(id, r);
    if (options.want_bitmap) {
      if (res.bitmap.empty()) res.bitmap.assign(words_for(store.rows()), 0);
      set_bit(res.bitmap.data(), r);
    }
  }
  if (stats) {  // the probed leaf stands for a test of every row: in, all of them; out, those found
    NodeStats& leaf = (*stats)[static_cast<size_t>(plan.probe.node)];
    leaf.rows_in = end_row - first_row;
    leaf.rows_out = found;
  }
  if (options.want_rows) {
    if (!store.ids_sorted()) std::sort(hits.begin(), hits.end());
    if (hits.size() > options.max_rows) hits.resize(options.max_rows);
    res.ids.reserve(hits.size());
    res.rows.reserve(hits.size());
    for (auto [id, r] : hits) res.ids.push_back(id), res.rows.push_back(r);
  }
  if (stats) (*stats)[0].ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
  res.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return res;
}

}  // namespace

EvalResult evaluate(const Plan& plan, const Store& store, const EvalOptions& options) {
  auto t0 = Clock::now();
  EvalResult res;
  const uint64_t end = std::min(options.end_block, store.blocks());
  const uint64_t block0 = std::min(options.first_block, end);
  const uint64_t nblocks = end - block0;
  res.blocks = nblocks;
  if (options.explain) res.stats.resize(static_cast<size_t>(plan.node_count));
  if (plan.root.op == Op::False || nblocks == 0) {  // constant false does no work
    res.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    return res;
  }
  // Constant true, counted only, over ids that are the rows' (a sequence, or none: row + 1):
  // count and id sum are arithmetic, no block is visited (a `true` at 10M rows was 0.25 ms,
  // where DuckDB answers count(*) from its metadata).
  const int idf = store.id_field();
  if (plan.root.op == Op::True && !options.want_rows && !options.want_bitmap && !options.explain &&
      (idf < 0 || store.column(idf).is_sequence())) {
    const uint64_t lo = block0 * kBlockRows, hi = std::min(end * kBlockRows, store.rows());
    const uint64_t n = hi - lo;
    const uint64_t first = idf < 0 ? lo + 1 : static_cast<uint64_t>(store.column(idf).meta.base) + lo;
    res.count = n;
    res.checksum = n * first + (n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2));  // mod 2^64, as the blocks' sums
    res.threads = 1;
    res.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    return res;
  }
  if (plan.probe.node >= 0) return evaluate_probe(plan, store, options, block0, end, t0);
  std::vector<BlockResult> blocks(nblocks);
  std::atomic<uint64_t> next{0};
  auto worker = [&](std::vector<NodeStats>* stats_out) {
    BlockRunner runner(plan, store, options.explain);
    std::vector<uint64_t> sel(kBlockWords);
    for (uint64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < nblocks;) {
      runner.run_block(block0 + i, sel.data());
      finish_block(store, block0 + i, sel.data(), runner.words(), options.want_rows || options.want_bitmap, blocks[i]);
    }
    if (stats_out) *stats_out = std::move(runner.stats());
  };
  uint64_t by_size = std::max<uint64_t>(1, nblocks / std::max<uint64_t>(1, options.min_blocks_per_thread));
  unsigned threads = static_cast<unsigned>(std::clamp<uint64_t>(options.threads, 1, by_size));
  res.threads = threads;
  std::vector<std::vector<NodeStats>> thread_stats(threads);
  // One thread: the worker runs here. More: base/threads.hpp's pool, which rethrows a
  // worker's exception here (out of memory in a worker is the caller's E809, not an abort).
  if (threads == 1) {
    worker(options.explain ? &thread_stats[0] : nullptr);
  } else {
    run_on_threads(threads, [&](unsigned t) { worker(options.explain ? &thread_stats[t] : nullptr); });
  }
  for (const auto& b : blocks) {
    res.count += b.count;
    res.checksum += b.checksum;
  }
  if (options.explain)
    for (const auto& ts : thread_stats)
      for (size_t i = 0; i < ts.size(); ++i) {
        NodeStats& s = res.stats[i];
        s.rows_in += ts[i].rows_in;
        s.rows_out += ts[i].rows_out;
        s.ns += ts[i].ns;
        s.calls += ts[i].calls;
        s.zone_skipped += ts[i].zone_skipped;
      }
  if (options.want_bitmap) {
    res.bitmap.assign(words_for(store.rows()), 0);
    for (uint64_t i = 0; i < nblocks; ++i)
      std::copy(blocks[i].sel.begin(), blocks[i].sel.end(), res.bitmap.begin() + static_cast<std::ptrdiff_t>((block0 + i) * kBlockWords));
  }
  if (options.want_rows) {
    // Rows and ids written once each, straight from the blocks' selections. With ids in row
    // order, the first max_rows members are the first max_rows rows: stop there.
    const bool sorted = store.ids_sorted();
    const uint64_t keep = std::min(res.count, options.max_rows);
    const uint64_t collect = sorted ? keep : res.count;
    reserve_huge(res.rows, collect);
    reserve_huge(res.ids, collect);
    for (uint64_t i = 0; i < nblocks && res.rows.size() < collect; ++i) {
      const std::vector<uint64_t>& sel = blocks[i].sel;
      uint64_t row0 = (block0 + i) * kBlockRows;
      for (size_t w = 0; w < sel.size() && res.rows.size() < collect; ++w)
        for (uint64_t bits = sel[w]; bits && res.rows.size() < collect; bits &= bits - 1) {
          uint64_t r = row0 + w * 64 + static_cast<uint64_t>(__builtin_ctzll(bits));
          res.rows.push_back(r);
          res.ids.push_back(store.id_at(r));
        }
    }
    if (!sorted) {
      // The first `keep` by id: a partial sort, not a sort of every member.
      std::vector<size_t> order(res.ids.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      auto by_id = [&](size_t a, size_t b) { return res.ids[a] < res.ids[b]; };
      if (keep < order.size()) {
        std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(), by_id);
        order.resize(keep);
      } else {
        std::sort(order.begin(), order.end(), by_id);
      }
      std::vector<int64_t> ids(order.size());
      std::vector<uint64_t> rows(order.size());
      for (size_t i = 0; i < order.size(); ++i) ids[i] = res.ids[order[i]], rows[i] = res.rows[order[i]];
      res.ids = std::move(ids);
      res.rows = std::move(rows);
    }
  }
  res.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return res;
}

struct BlockEvaluator::Impl {
  std::vector<const Plan*> plans;
  SharedNodes shared;
  std::unique_ptr<BlockRunner> runner;  // made on the first plan that scans
};

BlockEvaluator::BlockEvaluator(const Store& store, std::vector<const Plan*> plans, bool share)
    : store_(store), impl_(std::make_unique<Impl>()) {
  impl_->plans = std::move(plans);
  if (share) impl_->shared = find_shared_nodes(impl_->plans);
}
BlockEvaluator::~BlockEvaluator() = default;

size_t BlockEvaluator::shared_tests() const { return impl_->shared.slots; }
uint64_t BlockEvaluator::shared_uses() const { return impl_->shared.uses; }

size_t BlockEvaluator::run_block(size_t i, uint64_t b, uint64_t* out) {
  const Plan& plan = *impl_->plans.at(i);
  const size_t nw = static_cast<size_t>(std::min<uint64_t>(kBlockWords, words_for(store_.rows()) - b * kBlockWords));
  if (plan.root.op == Op::False) {
    std::memset(out, 0, nw * 8);
    return nw;
  }
  if (plan.probe.node >= 0) {  // the few-ids path: the block's looked-up rows, one by one
    std::memset(out, 0, nw * 8);
    const uint64_t row0 = b * kBlockRows, end_row = row0 + nw * 64;
    const auto& rows = plan.probe.rows;
    for (auto it = std::lower_bound(rows.begin(), rows.end(), row0); it != rows.end() && *it < end_row; ++it)
      if (test_row(plan.root, store_, *it, nullptr)) set_bit(out, *it - row0);
    return nw;
  }
  if (!impl_->runner) {
    impl_->runner = std::make_unique<BlockRunner>(plan, store_, false);
    impl_->runner->decode_once(impl_->plans.size() > 1);
  }
  BlockRunner& r = *impl_->runner;
  r.use(plan);
  if (impl_->shared.slots) r.share(impl_->shared.slot[i].data(), impl_->shared.slots);
  r.run_block(b, out);
  return r.words();
}

}  // namespace seg::rt
