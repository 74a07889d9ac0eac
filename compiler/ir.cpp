// IR node construction, structural equality and the stable hash of a rule's meaning.
#include "compiler/ir.hpp"

#include <algorithm>

namespace seg::ir {

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Const: return "const";
    case Kind::And: return "and";
    case Kind::Or: return "or";
    case Kind::Not: return "not";
    case Kind::In: return "in";
    case Kind::Range: return "range";
    case Kind::IsNull: return "is_null";
    case Kind::SetAny: return "any";
    case Kind::SetAll: return "all";
    case Kind::SetNone: return "none";
  }
  return "?";
}

Node Node::constant(bool v, Origin o) {
  Node n;
  n.kind = Kind::Const;
  n.value = v;
  n.origin = std::move(o);
  return n;
}

Node Node::conj(Kind k, std::vector<Node> kids, Origin o) {
  Node n;
  n.kind = k;
  n.children = std::move(kids);
  n.origin = std::move(o);
  return n;
}

Node Node::negate(Node child, Origin o) {
  Node n;
  n.kind = Kind::Not;
  n.children.push_back(std::move(child));
  n.origin = std::move(o);
  return n;
}

bool equal(const Node& a, const Node& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::Const: return a.value == b.value;
    case Kind::And:
    case Kind::Or:
    case Kind::Not:
      if (a.children.size() != b.children.size()) return false;
      for (size_t i = 0; i < a.children.size(); ++i)
        if (!equal(a.children[i], b.children[i])) return false;
      return true;
    case Kind::Range:
      return a.field == b.field && a.negated == b.negated && a.lo == b.lo && a.hi == b.hi;
    case Kind::IsNull: return a.field == b.field && a.negated == b.negated;
    case Kind::In:
    case Kind::SetAny:
    case Kind::SetAll:
    case Kind::SetNone:
      return a.field == b.field && a.negated == b.negated && a.values == b.values;
  }
  return false;  // every kind returns above
}

int first_field(const Node& n) {
  if (n.is_predicate()) return n.field;
  int m = 1 << 30;
  for (const auto& c : n.children) m = std::min(m, first_field(c));
  return m;
}

namespace {
template <typename T>
int cmp3(const T& a, const T& b) {
  return a < b ? -1 : b < a ? 1 : 0;
}
}  // namespace

// Predicates and groups are ordered by the first schema field they test (so the bundled
// schema's order, stage, tags, spot, player, reads like the segment form), predicates before
// groups on the same field, then by kind and values.
int compare(const Node& a, const Node& b) { return compare_given_first_fields(a, first_field(a), b, first_field(b)); }

int compare_given_first_fields(const Node& a, int a_first, const Node& b, int b_first) {
  if (int c = cmp3(a_first, b_first)) return c;
  if (int c = cmp3(!a.is_predicate(), !b.is_predicate())) return c;
  if (int c = cmp3(static_cast<int>(a.kind), static_cast<int>(b.kind))) return c;
  if (int c = cmp3(a.field, b.field)) return c;
  if (int c = cmp3(a.value, b.value)) return c;
  if (int c = cmp3(a.negated, b.negated)) return c;
  if (int c = cmp3(a.values, b.values)) return c;  // codes, names, unknown names in turn
  if (int c = cmp3(std::pair(a.lo.now_relative, a.lo.value), std::pair(b.lo.now_relative, b.lo.value))) return c;
  if (int c = cmp3(std::pair(a.hi.now_relative, a.hi.value), std::pair(b.hi.now_relative, b.hi.value))) return c;
  if (int c = cmp3(a.children.size(), b.children.size())) return c;
  for (size_t i = 0; i < a.children.size(); ++i)
    if (int c = compare(a.children[i], b.children[i])) return c;
  return 0;
}

namespace {
// FNV-1a over a fixed little-endian encoding: the same on every machine and build.
struct Hasher {
  uint64_t h = 0xcbf29ce484222325ull;
  void byte(uint8_t b) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) byte(static_cast<uint8_t>(v >> (8 * i)));
  }
  void str(const std::string& s) {
    u64(s.size());
    for (char c : s) byte(static_cast<uint8_t>(c));
  }
  void node(const Node& n) {
    byte(static_cast<uint8_t>(n.kind));
    switch (n.kind) {
      case Kind::Const: byte(n.value); return;
      case Kind::And:
      case Kind::Or:
      case Kind::Not:
        u64(n.children.size());
        for (const auto& c : n.children) node(c);
        return;
      case Kind::Range:
        u64(static_cast<uint64_t>(n.field));
        byte(n.negated);
        u64(static_cast<uint64_t>(n.lo.value));
        byte(n.lo.now_relative);
        u64(static_cast<uint64_t>(n.hi.value));
        byte(n.hi.now_relative);
        return;
      case Kind::IsNull:
        u64(static_cast<uint64_t>(n.field));
        byte(n.negated);
        return;
      case Kind::In:
      case Kind::SetAny:
      case Kind::SetAll:
      case Kind::SetNone:
        u64(static_cast<uint64_t>(n.field));
        byte(n.negated);
        list(n.values);
    }
  }
  // Codes, names, unknown names, each with its length first. Hashes are stored with segments
  // and shown, so this encoding never changes (tests/value_list_test.cpp pins some).
  void list(const ValueList& l) {
    u64(l.codes.size());
    for (auto v : l.codes) u64(static_cast<uint64_t>(v));
    u64(l.names.size());
    for (const auto& s : l.names) str(s);
    u64(l.unknown.size());
    for (const auto& s : l.unknown) str(s);
  }
};
}  // namespace

uint64_t stable_hash(const Node& n) {
  Hasher h;
  h.node(n);
  return h.h;
}

size_t node_count(const Node& n) {
  size_t c = 1;
  for (const auto& k : n.children) c += node_count(k);
  return c;
}

size_t height(const Node& n) {
  size_t h = 0;
  for (const auto& k : n.children) h = std::max(h, height(k));
  return h + 1;
}

size_t condition_count(const Node& n) {
  if (n.children.empty()) return 1;  // a leaf, or an empty and/or
  size_t c = 0;
  for (const auto& k : n.children) c += condition_count(k);
  return c;
}

std::vector<const Node*> top_level_clauses(const Node& n) {
  std::vector<const Node*> out;
  if (n.kind == Kind::And && !n.children.empty())
    for (const auto& c : n.children) out.push_back(&c);
  else
    out.push_back(&n);
  return out;
}

bool uses_now(const Node& n) {
  if (n.kind == Kind::Range && (n.lo.now_relative || n.hi.now_relative)) return true;
  for (const auto& c : n.children)
    if (uses_now(c)) return true;
  return false;
}

}  // namespace seg::ir
