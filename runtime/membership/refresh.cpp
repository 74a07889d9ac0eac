// The shared pass: blocks outside, plans inside. One plan at a time over the whole store
// streams each column it reads from memory (80 MB for an 8-byte column at 10M rows); block by
// block, a column block (256-512 KB) read for one plan is still in cache for the next.
#include "runtime/membership/refresh.hpp"

#include <stdexcept>

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime/exec/evaluate.hpp"
#include "runtime/storage/bits.hpp"

namespace seg::rt {
namespace {

// The members' bitmaps are new memory: 640 MB for 1,000 random segments at 10M clients, in
// containers of up to 8 KB from malloc. Faulting that in 4 KB pages cost 2-3 s here, more
// than the evaluation (0.5-0.8 s). So while the pass runs, the heap grows in steps of
// kHeapStep and each new stretch is marked for transparent huge pages before it is touched
// (what glibc's `glibc.malloc.hugetlb=1` tunable does for a whole process). A hint only: on
// a kernel without THP, or in a thread's own arena, nothing changes.
constexpr size_t kHeapStep = size_t{64} << 20;
class HugeHeap {
 public:
  HugeHeap() : top_(current()) {
    static bool padded = [] { return mallopt(M_TOP_PAD, static_cast<int>(kHeapStep)) == 1; }();
    (void)padded;
  }
  // After a block: mark the heap grown since the last call.
  void grown() {
    uintptr_t t = current();
    if (t <= top_) return;
    constexpr uintptr_t kHuge = uintptr_t{2} << 20;
    uintptr_t b = (top_ + kHuge - 1) & ~(kHuge - 1), e = t & ~(kHuge - 1);
    if (e > b) ::madvise(reinterpret_cast<void*>(b), e - b, MADV_HUGEPAGE);
    top_ = t;
  }

 private:
  static uintptr_t current() { return reinterpret_cast<uintptr_t>(::sbrk(0)); }
  uintptr_t top_;
};

}  // namespace

Refreshed refresh(const std::vector<const Plan*>& plans, const Store& store, const RefreshOptions& options) {
  if (store.rows() > kMaxMembershipRows) throw std::length_error("membership: a store of more than 2^32 rows");
  Refreshed out;
  if (options.members) out.sets.resize(plans.size());
  out.counts.assign(plans.size(), 0);
  BlockEvaluator ev(store, plans, options.share);
  out.shared_tests = ev.shared_tests();
  out.shared_uses = ev.shared_uses();
  std::vector<uint64_t> words(kBlockWords);
  HugeHeap heap;
  for (uint64_t b = 0; b < store.blocks(); ++b) {
    for (size_t i = 0; i < plans.size(); ++i) {
      size_t nw = ev.run_block(i, b, words.data());
      if (options.members) out.sets[i].append_block(b, words.data(), nw);
      else out.counts[i] += popcount_words(words.data(), nw);
    }
    if (options.members) heap.grown();
  }
  if (options.members)
    for (size_t i = 0; i < plans.size(); ++i) out.counts[i] = out.sets[i].count();
  return out;
}

}  // namespace seg::rt
