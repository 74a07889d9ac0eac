// ir::ValueList: its set algebra against std::set on random lists, normalize(), the order and
// equality the IR uses, and the stable hash of predicates pinned to what it was before the type.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <tuple>

#include "compiler/ir.hpp"
#include "compiler/value_list.hpp"

namespace seg {
namespace {

using ir::ValueList;

// The same three lists as plain sets: what each operation must give, list by list.
struct Reference {
  std::set<int64_t> codes;
  std::set<std::string> names, unknown;
};

Reference reference_of(const ValueList& l) {
  return {{l.codes.begin(), l.codes.end()}, {l.names.begin(), l.names.end()}, {l.unknown.begin(), l.unknown.end()}};
}

ValueList list_of(const Reference& r) {
  return {{r.codes.begin(), r.codes.end()}, {r.names.begin(), r.names.end()}, {r.unknown.begin(), r.unknown.end()}};
}

template <typename T>
std::set<T> reference_union(const std::set<T>& a, const std::set<T>& b) {
  std::set<T> out = a;
  out.insert(b.begin(), b.end());
  return out;
}
template <typename T>
std::set<T> reference_intersection(const std::set<T>& a, const std::set<T>& b) {
  std::set<T> out;
  for (const T& x : a)
    if (b.count(x)) out.insert(x);
  return out;
}
template <typename T>
std::set<T> reference_difference(const std::set<T>& a, const std::set<T>& b) {
  std::set<T> out;
  for (const T& x : a)
    if (!b.count(x)) out.insert(x);
  return out;
}

// Small value pools, so that random lists overlap often, and sometimes are empty; names and
// unknown names share a pool, so that a name in one list and the same text in the other are
// seen to stay apart.
ValueList random_list(std::mt19937_64& rng, bool normalized) {
  static const char* pool[] = {"", "A", "B", "Brand New", "T999", "VIP", "a", "zeta"};
  auto below = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  ValueList l;
  for (size_t i = below(6); i > 0; --i) l.codes.push_back(static_cast<int64_t>(below(9)) - 4);
  if (below(5) == 0) l.codes.push_back(below(2) ? ir::kMin : ir::kMax);
  for (size_t i = below(4); i > 0; --i) l.names.push_back(pool[below(std::size(pool))]);
  for (size_t i = below(4); i > 0; --i) l.unknown.push_back(pool[below(std::size(pool))]);
  if (normalized) l.normalize();
  return l;
}

TEST(ValueList, SetAlgebraMatchesStdSetOnRandomLists) {
  std::mt19937_64 rng(20260115);
  for (int round = 0; round < 5000; ++round) {
    ValueList a = random_list(rng, true), b = random_list(rng, true);
    Reference ra = reference_of(a), rb = reference_of(b);
    Reference want_union{reference_union(ra.codes, rb.codes), reference_union(ra.names, rb.names),
                         reference_union(ra.unknown, rb.unknown)};
    Reference want_intersection{reference_intersection(ra.codes, rb.codes),
                                reference_intersection(ra.names, rb.names),
                                reference_intersection(ra.unknown, rb.unknown)};
    Reference want_difference{reference_difference(ra.codes, rb.codes), reference_difference(ra.names, rb.names),
                              reference_difference(ra.unknown, rb.unknown)};
    ValueList got_union = ir::set_union(a, b), got_intersection = ir::set_intersection(a, b);
    EXPECT_EQ(got_union, list_of(want_union)) << round;
    EXPECT_EQ(got_intersection, list_of(want_intersection)) << round;
    EXPECT_EQ(ir::set_difference(a, b), list_of(want_difference)) << round;
    bool want_intersects = !want_intersection.codes.empty() || !want_intersection.names.empty() ||
                           !want_intersection.unknown.empty();
    EXPECT_EQ(ir::intersects(a, b), want_intersects) << round;
    EXPECT_EQ(ir::intersects(b, a), want_intersects) << round;
    EXPECT_EQ(got_intersection.empty(), !want_intersects) << round;
    EXPECT_EQ(got_union.size(), want_union.codes.size() + want_union.names.size() + want_union.unknown.size());
    // Laws that tie the operations together.
    EXPECT_EQ(ir::set_union(b, a), got_union) << round;
    EXPECT_EQ(ir::set_union(ir::set_difference(a, b), got_intersection), a) << round;
    EXPECT_FALSE(ir::intersects(ir::set_difference(a, b), b)) << round;
  }
}

TEST(ValueList, KindsOfValueStayApart) {
  // The same text as a string value and as an unknown dictionary name is two values.
  ValueList names{{}, {"VIP"}, {}}, unknown{{}, {}, {"VIP"}};
  EXPECT_FALSE(ir::intersects(names, unknown));
  EXPECT_TRUE(ir::set_intersection(names, unknown).empty());
  EXPECT_EQ(ir::set_union(names, unknown), (ValueList{{}, {"VIP"}, {"VIP"}}));
  EXPECT_EQ(ir::set_difference(names, unknown), names);
}

TEST(ValueList, EmptySizeAndOnlyCodes) {
  ValueList l;
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.size(), 0u);
  EXPECT_TRUE(l.only_codes());
  l.codes = {1, 2};
  EXPECT_FALSE(l.empty());
  EXPECT_EQ(l.size(), 2u);
  EXPECT_TRUE(l.only_codes());
  l.unknown = {"T999"};
  EXPECT_EQ(l.size(), 3u);
  EXPECT_FALSE(l.only_codes());
  ValueList names_only{{}, {"a"}, {}};
  EXPECT_FALSE(names_only.empty());
  EXPECT_FALSE(names_only.only_codes());
}

TEST(ValueList, NormalizeSortsDeduplicatesAndSaysWhetherItChangedAnything) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 2000; ++round) {
    ValueList raw = random_list(rng, false);
    ValueList want = list_of(reference_of(raw));
    ValueList l = raw;
    bool changed = l.normalize();
    EXPECT_EQ(changed, raw != want) << round;
    EXPECT_EQ(l, want) << round;
    EXPECT_FALSE(l.normalize()) << round;  // a fixed point
  }
  ValueList unsorted_unknown{{1, 2}, {"a"}, {"b", "a"}};
  EXPECT_TRUE(unsorted_unknown.normalize());
  EXPECT_EQ(unsorted_unknown, (ValueList{{1, 2}, {"a"}, {"a", "b"}}));
}

ir::Node in_node(ValueList values) {
  ir::Node n;
  n.kind = ir::Kind::In;
  n.field = 1;
  n.values = std::move(values);
  return n;
}

// ir::compare orders predicates by codes, then names, then unknown names (the order canonical
// IR has always had); ir::equal compares all three.
TEST(ValueList, CompareAndEqualGoCodesThenNamesThenUnknown) {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 3000; ++round) {
    ValueList a = random_list(rng, true), b = random_list(rng, round % 3 != 0);
    if (round % 5 == 0) b = a;
    auto ta = std::tie(a.codes, a.names, a.unknown), tb = std::tie(b.codes, b.names, b.unknown);
    int want = ta < tb ? -1 : tb < ta ? 1 : 0;
    int got = ir::compare(in_node(a), in_node(b));
    EXPECT_EQ((got > 0) - (got < 0), want) << round;
    EXPECT_EQ(ir::equal(in_node(a), in_node(b)), want == 0) << round;
    EXPECT_EQ(a == b, want == 0) << round;
  }
}

// Hashes are stored with segments and shown (`seg ir`): the values below were computed by the
// code before ValueList (three separate vectors in ir::Node) and must never change.
TEST(ValueList, StableHashIsTheOneBeforeValueList) {
  ir::Node codes = in_node({{-7, 0, 42}, {}, {}});
  codes.field = 3;
  ir::Node names = in_node({{}, {"alpha", "zeta"}, {}});
  names.field = 9;
  names.negated = true;
  ir::Node tags;
  tags.kind = ir::Kind::SetAny;
  tags.field = 2;
  tags.values = {{1, 4}, {}, {"Brand New", "T999"}};
  ir::Node all_three;
  all_three.kind = ir::Kind::SetAll;
  all_three.field = 5;
  all_three.values = {{2}, {"x"}, {"y", "z"}};
  EXPECT_EQ(ir::stable_hash(codes), 0x048ed7880ff2dc07ull);
  EXPECT_EQ(ir::stable_hash(names), 0xd74e6133ea852790ull);
  EXPECT_EQ(ir::stable_hash(tags), 0x85ba9a0078ccd2daull);
  EXPECT_EQ(ir::stable_hash(all_three), 0xe6dc3f6098f00e24ull);
  EXPECT_EQ(ir::stable_hash(ir::Node::conj(ir::Kind::And, {codes, names, tags, all_three})), 0x19630d5977b05f41ull);
}

// A node of every kind, hashed: a kind's number is in the hash, so a kind inserted before
// another (rather than appended, compiler/ir.hpp) changes these, and this fails.
TEST(ValueList, EveryKindsHashIsPinned) {
  ir::Node in = in_node({{5}, {}, {}});
  in.field = 2;
  ir::Node range;
  range.kind = ir::Kind::Range;
  range.field = 5;
  range.lo = {100, false};
  range.hi = {-86400, true};
  ir::Node is_null;
  is_null.kind = ir::Kind::IsNull;
  is_null.field = 7;
  is_null.negated = true;
  ir::Node any, all, none;
  any.kind = ir::Kind::SetAny;
  all.kind = ir::Kind::SetAll;
  none.kind = ir::Kind::SetNone;
  for (ir::Node* s : {&any, &all, &none}) {
    s->field = 4;
    s->values = {{1, 3}, {}, {}};
  }
  const std::vector<std::pair<ir::Node, uint64_t>> pinned = {
      {ir::Node::constant(true), 0x08328707b4eb6e3aull},
      {ir::Node::conj(ir::Kind::And, {in, range}), 0x1d241ead58a2dea2ull},
      {ir::Node::conj(ir::Kind::Or, {in, range}), 0x6c8f898d8bcc596bull},
      {ir::Node::negate(is_null), 0x42bee0acd8ee080bull},
      {in, 0x032fc3623bcbaf27ull},
      {range, 0x13240925f3c3720bull},
      {is_null, 0x199c7199015d7b0dull},
      {any, 0x332cfa16cdcd41c6ull},
      {all, 0x580121da7b499389ull},
      {none, 0x89889861da7ac5e0ull},
  };
  for (const auto& [node, hash] : pinned)
    EXPECT_EQ(ir::stable_hash(node), hash) << ir::kind_name(node.kind) << fmt::format(" 0x{:016x}ull", ir::stable_hash(node));
}

}  // namespace
}  // namespace seg
