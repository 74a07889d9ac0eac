// Pass absorb: a part that a sibling group also has decides that group, and a part two sibling
// groups share is said once: `a and (a or b)` is `a`, `a or (a and b)` is `a` (absorption);
// `(a or b) and (a or c)` is `a or (b and c)`, `(a and b) or (a and c)` is `a and (b or c)`
// (a common part factored out). Negations on nullable fields make such pairs: `not (country =
// DE and spot = 1)` beside `not (country != DE and spot = 1)` says `country is null` in both.
#include <algorithm>
#include <tuple>
#include <unordered_map>

#include "compiler/passes/passes.hpp"
#include "compiler/passes/post_order.hpp"

namespace seg::passes {

namespace {
using ir::Kind;
using ir::Node;

// A key for a node from itself, not its subtree: equal nodes have equal keys, and ir::equal
// checks a candidate. (stable_hash of every part at every level was the pass's whole cost on
// a deep rule: its subtree again at each level above it.)
uint64_t shallow_key(const Node& n) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&](uint64_t v) { h = (h ^ v) * 0x100000001b3ull; };
  mix(static_cast<uint64_t>(n.kind));
  mix(static_cast<uint64_t>(n.field));
  mix(n.value | (static_cast<uint64_t>(n.negated) << 1));
  mix(n.children.size());
  mix(n.values.size());
  if (!n.values.codes.empty()) mix(static_cast<uint64_t>(n.values.codes.front()));
  mix(static_cast<uint64_t>(n.lo.value));
  mix(static_cast<uint64_t>(n.hi.value));
  return h;
}

// The node of kind `k` over `kids`: their only one, or a group.
Node group_of(Kind k, std::vector<Node> kids, ir::Origin o) {
  if (kids.size() == 1) return std::move(kids[0]);
  return Node::conj(k, std::move(kids), std::move(o));
}

// Children of `n` equal to a child of a sibling group of the other kind let that group go.
bool absorb_groups(Node& n, Kind inner) {
  std::unordered_multimap<uint64_t, size_t> siblings;  // key of each child -> its place
  for (size_t i = 0; i < n.children.size(); ++i) siblings.emplace(shallow_key(n.children[i]), i);
  std::vector<bool> gone(n.children.size(), false);
  bool changed = false;
  for (size_t g = 0; g < n.children.size(); ++g) {
    if (n.children[g].kind != inner) continue;
    for (const auto& part : n.children[g].children) {
      auto [lo, hi] = siblings.equal_range(shallow_key(part));
      for (auto it = lo; it != hi && !gone[g]; ++it)
        if (it->second != g && !gone[it->second] && ir::equal(n.children[it->second], part)) gone[g] = changed = true;
      if (gone[g]) break;
    }
  }
  if (changed) drop_children(n, gone);
  return changed;
}

bool absorb_node(Node& n);

// A part that sibling groups share is said once: (a or b…) and (a or c…) and (a or d…) is
// a or ((b…) and (c…) and (d…)); the same with and and or swapped. Every group holding the part
// is taken at once, and the groups it makes are worked on at once too: taking one pair a call
// left a rule of thousands of such groups half done when the optimizer's rounds ran out, so
// its canonical text compiled to another IR.
bool factor_shared_parts(Node& n, Kind inner) {
  bool changed = false;
  for (bool again = true; again;) {  // a sweep, and another while one changed something
    again = false;
    std::unordered_multimap<uint64_t, std::pair<size_t, size_t>> seen;  // key of a part -> (group, part)
    std::vector<bool> used(n.children.size(), false);  // factored in this sweep: its parts moved
    std::vector<bool> gone(n.children.size(), false);  // groups folded into another
    for (size_t g = 0; g < n.children.size(); ++g) {
      if (n.children[g].kind != inner || used[g]) continue;
      for (size_t p = 0; p < n.children[g].children.size() && !used[g]; ++p) {
        const uint64_t key = shallow_key(n.children[g].children[p]);
        auto [lo, hi] = seen.equal_range(key);
        size_t first = n.children.size(), first_part = 0;
        // (Not a part of this same group: a part said twice in one group is a duplicate, which
        // order_canonically drops; factoring it made `a and (b and a)`, which flatten made
        // `a and b and a` again, round after round until the rounds ran out. Found by a review.)
        for (auto it = lo; it != hi && first == n.children.size(); ++it)
          if (it->second.first != g && !used[it->second.first] &&
              ir::equal(n.children[it->second.first].children[it->second.second], n.children[g].children[p]))
            std::tie(first, first_part) = it->second;
        if (first == n.children.size()) {
          seen.emplace(key, std::pair{g, p});
          continue;
        }
        // Every group from `first` on that holds the part (`g` among them).
        Node shared = n.children[first].children[first_part];
        std::vector<Node> rests;
        const ir::Origin origin = n.children[first].origin;
        for (size_t h = first; h < n.children.size(); ++h) {
          Node& group = n.children[h];
          if (group.kind != inner || used[h]) continue;
          auto at = std::find_if(group.children.begin(), group.children.end(), [&](const Node& c) { return ir::equal(c, shared); });
          if (at == group.children.end()) continue;
          group.children.erase(at);
          // A group left empty is its kind's unit (an empty or is false, an empty and true).
          rests.push_back(group_of(inner, std::move(group.children), group.origin));
          used[h] = true;
          if (h != first) gone[h] = true;
        }
        std::vector<Node> outer;
        outer.push_back(std::move(shared));
        outer.push_back(Node::conj(n.kind, std::move(rests), n.origin));
        post_order(outer.back(), absorb_node);  // the rests may share parts too
        n.children[first] = Node::conj(inner, std::move(outer), origin);
        again = changed = true;
      }
    }
    if (again) drop_children(n, gone);
  }
  return changed;
}

bool absorb_node(Node& n) {
  if (n.kind != Kind::And && n.kind != Kind::Or) return false;
  const Kind inner = n.kind == Kind::And ? Kind::Or : Kind::And;
  size_t groups = 0;
  for (const auto& c : n.children) groups += c.kind == inner;
  if (groups == 0) return false;  // (most rules: nothing to look up, so no table to build)
  bool changed = absorb_groups(n, inner);
  if (groups >= 2) changed |= factor_shared_parts(n, inner);
  if (changed && n.children.size() == 1) {
    Node only = std::move(n.children[0]);
    n = std::move(only);
  }
  return changed;
}
}  // namespace

bool absorb(ir::Node& root, PassContext&) { return post_order(root, absorb_node); }

}  // namespace seg::passes
