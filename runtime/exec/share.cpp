// Finds the tests several plans make alike (runtime/exec/share.hpp): each node gets a key
// spelling out everything its result depends on, and keys met in enough places get a slot.
#include "runtime/exec/share.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>

namespace seg::rt {
namespace {

template <class T>
void put(std::string& key, const T& v) {
  key.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
void put_all(std::string& key, const std::vector<T>& v) {
  put(key, v.size());
  key.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// Whether a node's test can be shared: not a constant (nothing to save), not a JIT kernel
// (its code and parameters are the plan's own; the shared pass builds no kernels anyway).
bool shareable(const PlanNode& n) { return n.op != Op::True && n.op != Op::False && n.op != Op::Fused; }

struct Place {
  int plan;
  int node;
  double words;  // estimated share of the column's words this place reads: min(1, 64 * reach)
};

struct Walk {
  std::unordered_map<std::string, std::vector<Place>> by_key;

  // Returns the node's key, after recording the keys of its subtrees. `reach` is the
  // planner's estimate of the share of rows that get to this node.
  std::string visit(const PlanNode& n, int plan, double reach) {
    std::string key;
    put(key, n.op);
    put(key, n.field);
    put(key, n.negated);
    put(key, n.lo);
    put(key, n.hi);
    put_all(key, n.offsets);
    put_all(key, n.bits);
    put_all(key, n.tags);
    put(key, n.kids.size());
    // Rows reaching each kid: an `and` passes on what its earlier kids kept, an `or` what
    // they did not match (the interpreter's order, which is the plan's).
    double r = reach;
    for (const auto& k : n.kids) {
      std::string kk = visit(k, plan, r);
      put(key, kk.size());
      key += kk;
      if (n.op == Op::And) r *= k.selectivity;
      if (n.op == Op::Or) r *= 1 - k.selectivity;
    }
    // A word of 64 rows is read when any of them is selected: at a reach of 1/64 and up
    // nearly every word is.
    if (shareable(n)) by_key[key].push_back({plan, n.id, std::min(1.0, 64 * reach)});
    return key;
  }
};

}  // namespace

SharedNodes find_shared_nodes(const std::vector<const Plan*>& plans) {
  SharedNodes out;
  out.slot.resize(plans.size());
  Walk walk;
  for (size_t i = 0; i < plans.size(); ++i) {
    const Plan& p = *plans[i];
    out.slot[i].assign(static_cast<size_t>(p.node_count), -1);
    if (p.probe.node >= 0) continue;
    walk.visit(p.root, static_cast<int>(i), 1.0);
  }
  // Evaluated in place, the places read `words` of the column between them; shared, one
  // evaluation reads all of it (1.0) and each place ands 8 KB a block. Share only where the
  // places together would read clearly more than the whole column once.
  constexpr double kShareAbove = 1.25;
  for (auto& [key, places] : walk.by_key) {
    if (places.size() < 2) continue;
    double words = 0;
    for (const Place& p : places) words += p.words;
    if (words < kShareAbove) continue;
    int slot = static_cast<int>(out.slots++);
    for (const Place& p : places) out.slot[static_cast<size_t>(p.plan)][static_cast<size_t>(p.node)] = slot;
    out.uses += places.size();
  }
  return out;
}

}  // namespace seg::rt
