// The executable plan: built from the IR against one store (codes resolved, bounds turned
// into frame-of-reference offsets, constants folded, conjuncts ordered by estimated cost).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir.hpp"
#include "runtime/jit/jit.hpp"
#include "runtime/storage/store.hpp"

namespace seg::rt {

enum class Op : uint8_t {
  False,
  True,
  And,
  Or,
  Not,
  Range,     // lo <= offset <= hi, not null (negated: not null and outside)
  InSmall,   // offset is one of `offsets` (at most kSmallIn), not null (negated: none of them)
  InBitmap,  // bit (offset - lo) of `bits` is set
  InSorted,  // offset is in the sorted `offsets`
  IsNull,    // value is null (set fields: the set is empty)
  NotNull,
  TagAny,    // at least one of `tags`
  TagAll,    // every one of `tags`
  TagNone,   // none of `tags`
  Fused,     // the JIT's kernel (`kernel`, literals in `params`) for its kids, column tests of one conjunction
};
const char* op_name(Op op);
inline constexpr size_t kSmallIn = 8;
// A list this long is a bitmap over a span of up to 2^26 values (8 MB), not only 2^22, while
// the bitmap is at most 64 times the list's own bytes.
inline constexpr size_t kLongIn = 4096;

struct PlanNode {
  Op op = Op::True;
  int field = -1;
  bool negated = false;           // Range, In*: match non-null rows outside the set instead
  uint64_t lo = 0, hi = 0;        // Range: offsets; InBitmap: lo = offset of bit 0
  int64_t zone_lo = 0, zone_hi = 0;  // values every match lies within (zone-map test)
  std::vector<uint64_t> offsets;  // InSmall, InSorted (sorted)
  std::vector<uint64_t> bits;     // InBitmap
  std::vector<uint32_t> tags;     // Tag*: dictionary codes present in the store
  std::vector<PlanNode> kids;     // And, Or, Not; Fused: the tests its kernel runs
  jit::Kernel kernel = nullptr;   // Fused: the JIT's code for its kids
  std::vector<uint64_t> params;   // Fused: each kid's literals (range: lo, hi - lo; in: its values)
  double selectivity = 1.0;       // estimated share of rows matching
  double cost = 0.0;              // estimated work per row reaching the node
  bool probed = false;            // its rows come from a lookup (Plan::probe), not a scan
  std::string label;              // what the node tests, for explain
  int id = 0;                     // pre-order index, for explain statistics
  int depth = 0;
};

// The few-ids path (runtime/exec/probe.cpp): one leaf of the root conjunction names few
// values of a column with a row lookup (a value index, or ids growing with the row), so its
// rows are found through the lookup and only they are tested, row by row, instead of a scan.
struct Probe {
  int node = -1;               // PlanNode::id of the leaf whose rows were looked up; -1: scan
  uint64_t values = 0;         // values (or ranges) looked up
  std::vector<uint64_t> rows;  // the rows found, ascending
};

struct Plan {
  PlanNode root;
  int node_count = 0;
  int max_depth = 0;
  int64_t now = 0;
  Probe probe;
  int fused = 0;            // Fused nodes (JIT kernels) in the plan
  std::string jit_warning;  // why the JIT was asked for and not used, when it was not
};

// Whether the planner may take the few-ids path: by estimated cost (the default), never
// (always scan), or wherever a leaf allows it (the differential tests run all three).
enum class ProbeMode : uint8_t { Auto, Never, Always };
struct PlanOptions {
  ProbeMode probe = ProbeMode::Auto;
  // Run the column tests of each conjunction as one kernel compiled by the JIT (docs/runtime.md,
  // "The JIT"), where the JIT is built and compiles; otherwise, and on the few-ids path, the
  // interpreter runs them.
  bool jit = false;
  // Label each test in rule syntax (explain, the editor's per-clause counts). Printing a
  // test's rule text costs more than planning it over a batch of a few rows, so the
  // membership's evaluations, which show no plan, go without.
  bool labels = true;
  // The IR's unknown names (values its compiler had no code for) are keys to find exactly,
  // not as the compiler resolves a value (exact key, then loosely): a live membership resolves
  // them itself against every store's values at once, where one batch's store may hold only
  // another spelling (`newtag` for `NEWTAG`, which a second batch brings).
  bool exact_names = false;
};

// `ir` must have been compiled against store.schema() (or a schema whose dictionaries the
// store's extend: codes only ever get appended). `now` resolves now-relative bounds.
Plan build_plan(const ir::Node& ir, const Store& store, int64_t now, const PlanOptions& options = {});

// Numbers the nodes in pre-order (PlanNode::id, depth) and sets node_count and max_depth:
// after building, and after a pass that rewrites the tree (fuse.cpp).
void number_plan(Plan& plan);

// Whether a range leaf is answered by its column's frequent-value bitmap (Column::frequent,
// decision 57): +1 when its rows are exactly the frequent value's, -1 when they are every
// non-null row but those (the value is the column's least or greatest, and the range all the
// others), 0 when the bitmap does not decide it. Negation is the node's own, applied after.
int frequent_decides(const PlanNode& n, const Column& c);

// Which kernel a value test (range, in) runs on its column, by the column's form: decided
// here once, for the runner (block_runner.cpp, compare) and for explain (plan_kernel), so
// explain names the kernel that runs (they had each made the choice).
// FrequentRows / FrequentOthers: the frequent value's rows, or every row but them (frequent_decides'
// +1 and -1), so the runner need not ask frequent_decides again.
enum class ValueKernel { FrequentRows, FrequentOthers, Sliced, Planes, Runs, Offsets };
ValueKernel value_kernel(const PlanNode& n, const Column& c);

// One row through one plan node (estimates, and the scalar check of a leaf).
bool eval_row(const PlanNode& n, const Store& store, uint64_t row);

// The plan as an indented tree (with estimates); explain adds measured figures beside it.
std::string plan_label(const PlanNode& n);
// How a node runs, for explain: "range, 1-byte offsets", "any of 2 values".
std::string plan_kernel(const PlanNode& n, const Store& s);
// How the plan reaches rows, for explain: "scan", or the lookup of the few-ids path.
std::string plan_path(const Plan& p, const Store& s);

}  // namespace seg::rt
