// Pass absorb: a part that a sibling group also has decides that group, and a part two sibling
// groups share is said once: `a and (a or b)` is `a`, `a or (a and b)` is `a` (absorption);
// `(a or b) and (a or c)` is `a or (b and c)`, `(a and b) or (a and c)` is `a and (b or c)`
// (a common part factored out). Negations on nullable fields make such pairs: `not (country =
// DE and spot = 1)` beside `not (country != DE and spot = 1)` says `country is null` in both.
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
  std::unordered_multimap<uint64_t, size_t> siblings;  // hash of each child -> its place
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
  if (!changed) return false;
  std::vector<Node> kept;
  for (size_t i = 0; i < n.children.size(); ++i)
    if (!gone[i]) kept.push_back(std::move(n.children[i]));
  n.children = std::move(kept);
  return true;
}

// The first two sibling groups of the other kind that share a part: the part is said once.
bool factor_one_pair(Node& n, Kind inner) {
  std::unordered_multimap<uint64_t, std::pair<size_t, size_t>> seen;  // hash of a part -> (group, part)
  for (size_t g = 0; g < n.children.size(); ++g) {
    if (n.children[g].kind != inner) continue;
    const Node& group = n.children[g];
    for (size_t p = 0; p < group.children.size(); ++p) {
      const uint64_t h = shallow_key(group.children[p]);
      auto [lo, hi] = seen.equal_range(h);
      for (auto it = lo; it != hi; ++it) {
        auto [og, op] = it->second;
        if (og == g || !ir::equal(n.children[og].children[op], group.children[p])) continue;
        // (a or b…) and (a or c…) is a or ((b…) and (c…)); the same with and and or swapped.
        Node& first = n.children[og];
        Node& second = n.children[g];
        Node shared = std::move(first.children[op]);
        std::vector<Node> rest_first, rest_second;
        for (size_t i = 0; i < first.children.size(); ++i)
          if (i != op) rest_first.push_back(std::move(first.children[i]));
        for (size_t i = 0; i < second.children.size(); ++i)
          if (i != p) rest_second.push_back(std::move(second.children[i]));
        // A group left empty is its kind's unit (an empty or is false, an empty and true),
        // which fold_constants folds: `(a) and (a or c)` is absorption's case anyway.
        std::vector<Node> both;
        both.push_back(group_of(inner, std::move(rest_first), first.origin));
        both.push_back(group_of(inner, std::move(rest_second), second.origin));
        std::vector<Node> outer;
        outer.push_back(std::move(shared));
        outer.push_back(Node::conj(n.kind, std::move(both), n.origin));
        Node factored = Node::conj(inner, std::move(outer), first.origin);
        first = std::move(factored);
        n.children.erase(n.children.begin() + static_cast<std::ptrdiff_t>(g));
        return true;
      }
      seen.emplace(h, std::pair{g, p});
    }
  }
  return false;
}
}  // namespace

bool absorb(ir::Node& root, PassContext&) {
  return post_order(root, [](ir::Node& n) {
    if (n.kind != Kind::And && n.kind != Kind::Or) return false;
    const Kind inner = n.kind == Kind::And ? Kind::Or : Kind::And;
    size_t groups = 0;
    for (const auto& c : n.children) groups += c.kind == inner;
    if (groups == 0) return false;  // (most rules: nothing to look up, so no table to build)
    bool changed = absorb_groups(n, inner);
    if (groups >= 2) changed |= factor_one_pair(n, inner);
    if (changed && n.children.size() == 1) {
      Node only = std::move(n.children[0]);
      n = std::move(only);
    }
    return changed;
  });
}

}  // namespace seg::passes
