// The JIT's pass: in every `and` (and a plan that is one test), the range and short-`in` tests
// of stored columns are gathered, in the plan's order, into one Fused node at the place of the
// first; its kernel comes from the JIT's cache by shape, its literals go into `params`.
#include "runtime/exec/fuse.hpp"

#include "runtime/jit/jit.hpp"

namespace seg::rt {
namespace {

bool fusable(const PlanNode& n, const Store& store) {
  if (n.op != Op::Range && n.op != Op::InSmall) return false;
  const Column& c = store.column(n.field);
  // The JIT reads offsets whole; a range a frequent-value bitmap answers reads the bitmap.
  return c.type != FieldType::Set && c.meta.encoding == kOffsets && c.data && !frequent_decides(n, c);
}

void add_params(const PlanNode& n, std::vector<uint64_t>& params) {
  if (n.op == Op::Range) {
    params.push_back(n.lo);
    params.push_back(n.hi - n.lo);
  } else {
    params.insert(params.end(), n.offsets.begin(), n.offsets.end());
  }
}

// One Fused node for `tests` (in order); false with `error` when its kernel does not compile.
bool make_group(std::vector<PlanNode>&& tests, const Store& store, PlanNode& group, std::string& error) {
  group = PlanNode{};
  group.op = Op::Fused;
  std::vector<jit::LeafShape> shape;
  for (auto& t : tests) {
    const Column& c = store.column(t.field);
    shape.push_back({t.op == Op::Range, c.meta.width, static_cast<uint8_t>(t.offsets.size()), t.negated, c.valid != nullptr});
    add_params(t, group.params);
    group.selectivity *= t.selectivity;
    group.cost += t.cost;
    group.kids.push_back(std::move(t));
  }
  jit::Kernel kernel = jit::kernel_for(shape, error);
  if (!kernel) return false;
  group.kernel = kernel;
  group.label = group.kids.size() == 1 ? group.kids[0].label : "fused";
  return true;
}

// Returns false (with `error`) when a kernel would not compile. Under an `and`, each run of
// consecutive tests in the plan's order becomes one kernel: a run never jumps over a cheaper
// or more selective test of another kind (a tag test), so no column is read on more rows than
// the interpreter would read it. Elsewhere (the plan's root, under `or` or `not`) a test
// becomes a kernel of its own.
bool fuse(PlanNode& n, const Store& store, int& fused, std::string& error) {
  for (auto& k : n.kids) {
    if (n.op == Op::And && k.kids.empty()) continue;  // grouped below with its neighbours
    if (!fuse(k, store, fused, error)) return false;
  }
  if (n.kids.empty()) {
    if (!fusable(n, store)) return true;
    std::vector<PlanNode> one;
    one.push_back(std::move(n));
    if (!make_group(std::move(one), store, n, error)) return false;
    ++fused;
    return true;
  }
  if (n.op != Op::And) return true;
  std::vector<PlanNode> out, run;
  auto flush = [&]() {
    if (run.empty()) return true;
    PlanNode group;
    if (!make_group(std::move(run), store, group, error)) return false;
    run.clear();
    out.push_back(std::move(group));
    ++fused;
    return true;
  };
  for (auto& k : n.kids) {
    if (fusable(k, store) && run.size() < kMaxFused) {
      run.push_back(std::move(k));
      continue;
    }
    if (!flush()) return false;
    out.push_back(std::move(k));
  }
  if (!flush()) return false;
  n.kids = std::move(out);
  return true;
}

}  // namespace

void fuse_plan(Plan& plan, const Store& store) {
  if (plan.probe.node >= 0) return;  // the few-ids path tests rows one by one
  if (!jit::available()) {
    plan.jit_warning = jit::why_unavailable();
    return;
  }
  PlanNode copy = plan.root;
  int fused = 0;
  std::string error;
  if (!fuse(copy, store, fused, error)) {
    plan.jit_warning = "the JIT failed, the interpreter runs the plan: " + error;
    return;
  }
  plan.root = std::move(copy);
  plan.fused = fused;
  number_plan(plan);
}

}  // namespace seg::rt
