// The few-ids path's planning: looks up the rows of each leaf of the root conjunction that
// names values of a column with a row lookup, and keeps the leaf with the fewest rows when
// they are few enough (or, in ProbeMode::Always, whenever a leaf allows it).
#include "runtime/exec/probe.hpp"

#include <algorithm>

#include "runtime/storage/bits.hpp"
#include "runtime/storage/value_index.hpp"

namespace seg::rt {
namespace {

bool probeable(const PlanNode& n, const Store& store) {
  switch (n.op) {
    case Op::Range:
    case Op::InSmall:
    case Op::InSorted:
    case Op::InBitmap: return !n.negated && has_row_lookup(store, n.field);
    default: return false;
  }
}

uint64_t value_count(const PlanNode& n) {
  if (n.op == Op::Range) return 1;
  if (n.op == Op::InBitmap) return popcount_words(n.bits.data(), n.bits.size());
  return n.offsets.size();
}

// The rows of leaf `n`, unless there are more than `cap`.
bool rows_of(const PlanNode& n, const Store& store, uint64_t cap, std::vector<uint64_t>& out) {
  switch (n.op) {
    case Op::Range: return lookup_rows(store, n.field, n.lo, n.hi, cap, out);
    case Op::InBitmap:
      for (size_t w = 0; w < n.bits.size(); ++w)
        for (uint64_t b = n.bits[w]; b; b &= b - 1) {
          uint64_t v = n.lo + w * 64 + static_cast<uint64_t>(__builtin_ctzll(b));
          if (!lookup_rows(store, n.field, v, v, cap, out)) return false;
        }
      return true;
    default:
      for (uint64_t v : n.offsets)
        if (!lookup_rows(store, n.field, v, v, cap, out)) return false;
      return true;
  }
}

}  // namespace

void choose_probe(Plan& plan, const Store& store, ProbeMode mode) {
  // A constant has nothing to look up.
  if (mode == ProbeMode::Never || plan.root.op == Op::True || plan.root.op == Op::False) return;
  std::vector<PlanNode*> leaves;
  if (plan.root.op == Op::And)
    for (auto& k : plan.root.kids) leaves.push_back(&k);
  else
    leaves.push_back(&plan.root);
  const uint64_t cap = mode == ProbeMode::Always ? UINT64_MAX : store.rows() / kProbeRowShare;
  PlanNode* best = nullptr;
  std::vector<uint64_t> rows, found;
  for (PlanNode* n : leaves) {
    if (!probeable(*n, store) || value_count(*n) > std::max<uint64_t>(cap, 1)) continue;
    if (mode != ProbeMode::Always) {
      const uint64_t values = n->op == Op::Range ? count_rows(store, n->field, n->lo, n->hi) : value_count(*n);
      if (lookup_reads(store, n->field, values) > store.rows() / kProbeReadShare) continue;
    }
    found.clear();
    uint64_t limit = best ? std::min<uint64_t>(cap, rows.size()) : cap;
    if (!rows_of(*n, store, limit, found)) continue;
    best = n;
    rows.swap(found);
  }
  if (!best) return;
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  best->probed = true;
  plan.probe.node = best->id;
  plan.probe.values = value_count(*best);
  plan.probe.rows = std::move(rows);
  // The lookup runs first, so the probed leaf goes first among its siblings: explain lists the
  // plan in execution order (it was listed after the scans it replaces, found by a review).
  // Node ids stay with their nodes, so statistics are unaffected.
  if (plan.root.op == Op::And) {
    auto& kids = plan.root.kids;
    auto it = kids.begin() + (best - kids.data());
    std::rotate(kids.begin(), it, it + 1);
  }
}

}  // namespace seg::rt
