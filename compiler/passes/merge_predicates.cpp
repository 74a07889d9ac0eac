// Pass merge_predicates: predicates on the same field under one and/or become one:
// `in ∩ in` under and, `in ∪ in` under or, range intersection and union, a list beside a range
// down to the values the range does not decide, set lists joined,
// and contradictions (`spot = 1 and spot = 2`, `is null and = 3`) become false; one-value
// `any`s under and join into an `all`; a null test decides the same test in a sibling group.
#include <algorithm>
#include <map>
#include <optional>
#include <span>

#include "base/limits.hpp"
#include "compiler/passes/passes.hpp"
#include "compiler/passes/post_order.hpp"
#include "compiler/value_list.hpp"
#include "schema/schema.hpp"

namespace seg::passes {

namespace {
using ir::Bound;
using ir::Kind;
using ir::Node;

// The span a merged predicate points at: from the first of the two to the end of the last.
Span span_union(Span a, Span b) {
  if (a.begin == 0 && a.end == 0) return b;
  if (b.begin == 0 && b.end == 0) return a;
  return Span{std::min(a.begin, b.begin), std::max(a.end, b.end)};
}

bool open_lo(Bound b) { return !b.now_relative && b.value == ir::kMin; }
bool open_hi(Bound b) { return !b.now_relative && b.value == ir::kMax; }

// Ranges whose finite bounds are all absolute or all relative to now can be compared.
bool comparable(const Node& a, const Node& b) {
  int rel = -1;
  for (auto [bd, open] : {std::pair{a.lo, open_lo(a.lo)}, std::pair{a.hi, open_hi(a.hi)},
                          std::pair{b.lo, open_lo(b.lo)}, std::pair{b.hi, open_hi(b.hi)}}) {
    if (open) continue;
    if (rel == -1) rel = bd.now_relative;
    else if (rel != bd.now_relative) return false;
  }
  return true;
}
Bound max_lo(Bound x, Bound y) { return open_lo(x) ? y : open_lo(y) ? x : (x.value >= y.value ? x : y); }
Bound min_lo(Bound x, Bound y) { return open_lo(x) ? x : open_lo(y) ? y : (x.value <= y.value ? x : y); }
Bound min_hi(Bound x, Bound y) { return open_hi(x) ? y : open_hi(y) ? x : (x.value <= y.value ? x : y); }
Bound max_hi(Bound x, Bound y) { return open_hi(x) ? x : open_hi(y) ? y : (x.value >= y.value ? x : y); }

Node with_bounds(const Node& like, Bound lo, Bound hi, bool negated) {
  Node r = like;
  r.lo = lo;
  r.hi = hi;
  r.negated = negated;
  return r;
}
Node with_values(const Node& like, ir::ValueList values) {
  Node r = like;
  r.values = std::move(values);
  return r;
}
Node not_null_of(const Node& like) {
  Node r;
  r.kind = Kind::IsNull;
  r.negated = true;
  r.field = like.field;
  return r;
}
// Bounds that have been checked comparable() compare by value: open ends are kMin/kMax.
bool le(Bound x, Bound y) { return x.value <= y.value; }
Bound minus1(Bound b) { return ir::shifted(b, -1); }
Bound plus1(Bound b) { return ir::shifted(b, 1); }

bool needs_value(const Node& n) { return n.kind == Kind::In || n.kind == Kind::Range; }

// `all` implies `any` when they share a value. Only a shared code counts, as it always has: a
// shared unknown name would be as sound, but counting it would give some stored rules another
// canonical IR, and so another stable hash.
bool share_a_code(const Node& any, const Node& all) {
  return !set_intersection(any.values, all.values).codes.empty();
}

// Two `in` lists on one field under and (is_and) or under or. `not in A` holds for the values
// outside A (never for null), so or is the dual of and:
//   in A and in B:          in A ∩ B        in A or in B:          in A ∪ B
//   not in A and not in B:  not in A ∪ B    not in A or not in B:  not in A ∩ B
//   in A and not in B:      in A \ B        in A or not in B:      not in B \ A
Node merged_lists(const Node& a, const Node& b, bool is_and) {
  if (a.negated == b.negated) {
    bool unite = a.negated == is_and;
    return with_values(a, unite ? set_union(a.values, b.values) : set_intersection(a.values, b.values));
  }
  const Node& kept = a.negated != is_and ? a : b;  // under and the positive list, under or the negated one
  const Node& other = &kept == &a ? b : a;
  return with_values(kept, set_difference(kept.values, other.values));
}

// The values of an `in` list (codes only) that an absolute range takes (`taken`), or those it
// does not.
std::vector<int64_t> values_where(const Node& in, const Node& range, bool taken) {
  std::vector<int64_t> out;
  for (int64_t v : in.values.codes)
    if (((v >= range.lo.value && v <= range.hi.value) != range.negated) == taken) out.push_back(v);
  return out;
}

// How many values of a list (codes only, sorted, as normalize_values leaves them) an absolute
// range takes: a bisection, so that a list of 100,000 ids beside thousands of ranges on its
// field costs a copy only where a range changes it.
size_t count_taken(const std::vector<int64_t>& codes, const Node& range) {
  const int64_t lo = range.lo.value, hi = range.hi.value;
  size_t inside = 0;
  if (lo <= hi)
    inside = static_cast<size_t>(std::upper_bound(codes.begin(), codes.end(), hi) -
                                 std::lower_bound(codes.begin(), codes.end(), lo));
  return range.negated ? codes.size() - inside : inside;
}

// The values of `x` (codes only) are all values of `y` (codes only). Names of unknown values
// are left out, as share_a_code leaves them out.
bool codes_within(const Node& x, const Node& y) {
  return x.values.only_codes() && y.values.only_codes() &&
         std::includes(y.values.codes.begin(), y.values.codes.end(), x.values.codes.begin(), x.values.codes.end());
}

enum class Merge { No, IntoA, Both };  // IntoA: `a` now stands for both, drop `b`

// Two lists become one only within the list limit (E404): the canonical text is read back
// (a membership's segments.json, a saved segment), and `player in (60,000 ids) or player in
// (60,000 others)` printed as one list of 120,000 did not parse again (found by a review).
bool fits_one_list(const Node& merged) { return merged.values.size() <= Limits{}.max_list_values; }

Merge set_result(Node& a, Node r) {
  r.origin = a.origin;
  a = std::move(r);
  return Merge::IntoA;
}

// `a` stands for both as `in` (one of a and b) is, without copying its values: when `in` is b,
// b is dropped after IntoA, so it may move.
Merge keep_list(Node& a, Node& in) {
  if (&a == &in) return Merge::IntoA;
  Node r = std::move(in);
  return set_result(a, std::move(r));
}

Merge merge_and(Node& a, Node& b, const Field& f);
Merge merge_or(Node& a, Node& b, const Field& f);

// The value of a sorted list at R's low or high end that a one-value test beside R would merge
// into it: under and a range's own end values (`x >= 0 and x != 0`) or those just outside a
// hole, under or the values just outside a range (`x in (5) or x between 6 and 8`) or a hole's
// own ends.
std::optional<int64_t> value_at_end(const Node& r, const std::vector<int64_t>& v, bool low, bool is_and) {
  if (r.kind != Kind::Range || r.lo.value > r.hi.value || (low ? open_lo(r.lo) : open_hi(r.hi))) return std::nullopt;
  const bool own_ends = r.negated != is_and;
  const int64_t x = own_ends ? (low ? r.lo.value : r.hi.value) : (low ? r.lo.value - 1 : r.hi.value + 1);
  if (std::binary_search(v.begin(), v.end(), x)) return x;
  return std::nullopt;
}

// Moves the list's values at R's ends into R, each merged as a one-value test (under and an
// excluded value, a one-value hole; under or a point), from the low end up, then from the high
// end down, so a run of them moves whole. `values`: the list's values still to place. `a` and
// `b` are `in` and `rg` in some order.
Merge move_ends_into_range(Node& a, Node& in, Node& rg, std::vector<int64_t> values, bool is_and, const Field& f) {
  Node grown = rg;
  for (bool low : {true, false}) {
    while (auto x = value_at_end(grown, values, low, is_and)) {
      Node point = with_bounds(grown, Bound{*x, false}, Bound{*x, false}, is_and);
      Node r = grown;
      if ((is_and ? merge_and(r, point, f) : merge_or(r, point, f)) != Merge::IntoA) break;
      grown = std::move(r);
      values.erase(std::lower_bound(values.begin(), values.end(), *x));
    }
  }
  // Under and a range left with no value is false, the list with it; under or a hole closed by
  // its last values is every value, the list's too.
  if (values.empty() || grown.kind != Kind::Range) return set_result(a, std::move(grown));
  grown.origin = rg.origin;
  rg = std::move(grown);
  in.values.codes = std::move(values);
  return Merge::Both;
}

Merge merge_and(Node& a, Node& b, const Field& f) {
  if (a.kind == Kind::IsNull && b.kind == Kind::IsNull)
    return set_result(a, a.negated == b.negated ? a : Node::constant(false));
  if (a.kind == Kind::IsNull || b.kind == Kind::IsNull) {
    Node& nul = a.kind == Kind::IsNull ? a : b;
    Node& other = a.kind == Kind::IsNull ? b : a;
    if (!needs_value(other)) return Merge::No;
    return set_result(a, nul.negated ? other : Node::constant(false));
  }
  if (a.kind == Kind::In && b.kind == Kind::In) {
    Node r = merged_lists(a, b, true);
    return fits_one_list(r) ? set_result(a, std::move(r)) : Merge::No;
  }
  if ((a.kind == Kind::In && b.kind == Kind::Range) || (a.kind == Kind::Range && b.kind == Kind::In)) {
    Node& in = a.kind == Kind::In ? a : b;
    Node& rg = a.kind == Kind::In ? b : a;
    if (rg.lo.now_relative || rg.hi.now_relative || !in.values.only_codes()) return Merge::No;
    const size_t taken = count_taken(in.values.codes, rg);
    // `in A and R` is `in` the values of A that R takes.
    if (!in.negated) {
      if (taken == in.values.size()) return keep_list(a, in);  // all of them: the list as it is
      Node r = in;
      r.values.codes = values_where(in, rg, true);
      return set_result(a, std::move(r));
    }
    // `not in A and R`: R already leaves out the values of A it does not take (`spot != 1 and
    // spot > 5` is `spot > 5`), so only the others are still to leave out.
    if (taken == 0) return set_result(a, rg);
    // And R gives up the values of A at its ends, as a hole (`not (spot between v and v)`) does
    // beside it: `deposit_total >= 0 and deposit_total != 0` is `deposit_total > 0`, the mirror
    // of a list joining a range under or (found by a review). A range's end values, or the values
    // just outside a hole's ends, each merged as that one-value hole, while there are any.
    const std::vector<int64_t>& codes = in.values.codes;
    if (value_at_end(rg, codes, true, true) || value_at_end(rg, codes, false, true))
      return move_ends_into_range(a, in, rg, taken == codes.size() ? codes : values_where(in, rg, true), true, f);
    if (taken == in.values.size()) return Merge::No;
    in.values.codes = values_where(in, rg, true);
    return Merge::Both;
  }
  if (a.kind == Kind::Range && b.kind == Kind::Range && !a.negated && !b.negated && comparable(a, b)) {
    Node r = a;
    r.lo = max_lo(a.lo, b.lo);
    r.hi = min_hi(a.hi, b.hi);
    return set_result(a, std::move(r));
  }
  if (a.kind == Kind::Range && b.kind == Kind::Range && a.negated != b.negated && comparable(a, b)) {
    const Node& r = a.negated ? b : a;  // inside [l, h]
    const Node& n = a.negated ? a : b;  // outside [p, q]
    Bound l = r.lo, h = r.hi, p = n.lo, q = n.hi;
    if (!le(l, q) || !le(p, h)) return set_result(a, r);         // disjoint: outside holds already
    if (le(p, l) && le(h, q)) return set_result(a, Node::constant(false));  // inside the hole
    if (!le(p, l) && le(h, q)) return set_result(a, with_bounds(r, l, minus1(p), false));
    if (le(p, l) && !le(h, q)) return set_result(a, with_bounds(r, plus1(q), h, false));
    return Merge::No;  // the hole is strictly inside: two pieces
  }
  if (a.kind == Kind::Range && b.kind == Kind::Range && a.negated && b.negated && comparable(a, b)) {
    // Outside both holes: one hole when they overlap or touch.
    const Node& x = le(a.lo, b.lo) ? a : b;
    const Node& y = &x == &a ? b : a;
    if (!le(y.lo, plus1(x.hi))) return Merge::No;
    return set_result(a, with_bounds(a, x.lo, le(x.hi, y.hi) ? y.hi : x.hi, true));
  }
  if (a.kind == b.kind && (a.kind == Kind::SetAll || a.kind == Kind::SetNone))
    return set_result(a, with_values(a, set_union(a.values, b.values)));
  auto pair_is = [&](Kind x, Kind y) { return a.kind == x && b.kind == y; };
  if (pair_is(Kind::SetAll, Kind::SetNone) || pair_is(Kind::SetNone, Kind::SetAll)) {
    const Node& all = a.kind == Kind::SetAll ? a : b;
    const Node& none = a.kind == Kind::SetAll ? b : a;
    if (intersects(all.values, none.values)) return set_result(a, Node::constant(false));
    return Merge::No;
  }
  if (pair_is(Kind::SetAny, Kind::SetAll) || pair_is(Kind::SetAll, Kind::SetAny)) {
    const Node& any = a.kind == Kind::SetAny ? a : b;
    const Node& all = a.kind == Kind::SetAny ? b : a;
    if (share_a_code(any, all)) return set_result(a, all);  // all implies any
    // A one-value any is a one-value all: `tag all (A, B) and tag any (C)` is `tag all (A, B, C)`.
    if (any.values.size() == 1) return set_result(a, with_values(all, set_union(all.values, any.values)));
    return Merge::No;
  }
  if (pair_is(Kind::SetAny, Kind::SetAny) && (codes_within(a, b) || codes_within(b, a))) {
    // `tag any (VIP) and tag any (VIP, BLOCKED)` is `tag any (VIP)`: the fewer tags imply the
    // more (found by a review; two one-value anys of one tag are one).
    return set_result(a, codes_within(a, b) ? a : b);
  }
  if (pair_is(Kind::SetAny, Kind::SetAny) && a.values.size() == 1 && b.values.size() == 1) {
    // `tag any (A) and tag any (B)` is `tag all (A, B)` (how JsonLogic and the querybuilder
    // write "has both": one membership test per value).
    Node r = with_values(a, set_union(a.values, b.values));
    r.kind = Kind::SetAll;
    return set_result(a, std::move(r));
  }
  if (pair_is(Kind::SetAny, Kind::SetNone) || pair_is(Kind::SetNone, Kind::SetAny)) {
    Node& any = a.kind == Kind::SetAny ? a : b;
    const Node& none = a.kind == Kind::SetAny ? b : a;
    if (!intersects(any.values, none.values)) return Merge::No;
    // A value excluded by none cannot satisfy any.
    any.values = set_difference(any.values, none.values);
    return Merge::Both;
  }
  (void)f;
  return Merge::No;
}

Merge merge_or(Node& a, Node& b, const Field& f) {
  if (a.kind == Kind::IsNull && b.kind == Kind::IsNull)
    return set_result(a, a.negated == b.negated ? a : Node::constant(true));
  // `x is not null` takes every value, so a test of the value beside it under or adds nothing
  // (`country != DE or country is not null` is `country is not null`).
  if ((a.kind == Kind::IsNull && a.negated && needs_value(b)) || (b.kind == Kind::IsNull && b.negated && needs_value(a)))
    return set_result(a, a.kind == Kind::IsNull ? a : b);
  if (a.kind == Kind::In && b.kind == Kind::In) {
    Node r = merged_lists(a, b, false);
    return fits_one_list(r) ? set_result(a, std::move(r)) : Merge::No;
  }
  if ((a.kind == Kind::In && b.kind == Kind::Range) || (a.kind == Kind::Range && b.kind == Kind::In)) {
    // One value is a one-point range, so a range may absorb it or grow by it: `spot = 5 or
    // spot > 5` is `spot >= 5`. This also keeps canonical text a fixed point at the int64
    // edges, where `spot >= 9223372036854775807` lowers to `in` (found by fuzzing).
    Node& in = a.kind == Kind::In ? a : b;
    Node& rg = a.kind == Kind::In ? b : a;
    if (!in.values.only_codes()) return Merge::No;
    if (!rg.lo.now_relative && !rg.hi.now_relative) {
      // Only the values of the list R does not take still need the list.
      const size_t taken = count_taken(in.values.codes, rg);
      if (in.negated) {
        // `not in A or R` leaves out only those (`spot != 1 or spot < 6`: every spot).
        if (taken == 0) return keep_list(a, in);  // the list as it is
        Node r = in;
        r.values.codes = values_where(in, rg, false);
        return set_result(a, r.values.codes.empty() ? not_null_of(in) : std::move(r));
      }
      // `in A or R`: R takes the others (`spot in (7, 9) or spot > 5` is `spot > 5`).
      if (taken == in.values.size()) return set_result(a, rg);
      // And R grows by the values next to it, as a lone `spot = 5` joins it below: `spot in
      // (5, 9, 20) or spot between 6 and 8` is `spot = 20 or spot between 5 and 9`, as the
      // three written apart are; a run of values beside either end joins whole. A range grows
      // by the value below its low end or above its high end, a hole (`not (spot between p and
      // q)`) shrinks by a value at either end, each a point merged as the lone one is.
      const std::vector<int64_t>& codes = in.values.codes;
      if (taken == 0 && !value_at_end(rg, codes, true, false) && !value_at_end(rg, codes, false, false) && codes.size() != 1)
        return Merge::No;
      if (codes.size() > 1) return move_ends_into_range(a, in, rg, taken ? values_where(in, rg, false) : codes, false, f);
    }
    if (in.negated || in.values.size() != 1) return Merge::No;
    Bound only{in.values.codes[0], false};
    Node point = with_bounds(rg, only, only, false);
    Node range = rg;
    if (merge_or(range, point, f) == Merge::No) return Merge::No;
    return set_result(a, std::move(range));
  }
  if (a.kind == Kind::Range && b.kind == Kind::Range && !a.negated && !b.negated && comparable(a, b)) {
    const Node& x = (open_lo(a.lo) || (!open_lo(b.lo) && a.lo.value <= b.lo.value)) ? a : b;  // starts first
    const Node& y = &x == &a ? b : a;
    // Overlapping or adjacent: one range.
    bool touch = open_hi(x.hi) || open_lo(y.lo) || (x.hi.value >= ir::shifted(y.lo, -1).value);
    if (touch) {
      Node r = a;
      r.lo = min_lo(a.lo, b.lo);
      r.hi = max_hi(a.hi, b.hi);
      return set_result(a, std::move(r));
    }
    // (<= p) or (>= q) with a gap between: not null and outside (p, q).
    if (open_lo(x.lo) && open_hi(y.hi)) {
      Node r = a;
      r.negated = true;
      r.lo = ir::shifted(x.hi, 1);  // saturating, as everywhere a bound moves by one
      r.hi = ir::shifted(y.lo, -1);
      return set_result(a, std::move(r));
    }
    return Merge::No;
  }
  if (a.kind == Kind::Range && b.kind == Kind::Range && a.negated != b.negated && comparable(a, b)) {
    // inside [l, h] or outside [p, q]: not null and not in ([p, q] minus [l, h]).
    const Node& r = a.negated ? b : a;
    const Node& n = a.negated ? a : b;
    Bound l = r.lo, h = r.hi, p = n.lo, q = n.hi;
    if (!le(l, q) || !le(p, h)) return set_result(a, n);             // disjoint: inside is within outside
    if (le(l, p) && le(q, h)) return set_result(a, not_null_of(a));   // covers the hole
    if (le(l, p) && !le(q, h)) return set_result(a, with_bounds(n, plus1(h), q, true));
    if (!le(l, p) && le(q, h)) return set_result(a, with_bounds(n, p, minus1(l), true));
    return Merge::No;
  }
  if (a.kind == Kind::Range && b.kind == Kind::Range && a.negated && b.negated && comparable(a, b)) {
    // Outside A or outside B: outside their intersection.
    Bound lo = le(a.lo, b.lo) ? b.lo : a.lo, hi = le(a.hi, b.hi) ? a.hi : b.hi;
    if (!le(lo, hi)) return set_result(a, not_null_of(a));
    return set_result(a, with_bounds(a, lo, hi, true));
  }
  if (a.kind == b.kind && a.kind == Kind::SetAny) return set_result(a, with_values(a, set_union(a.values, b.values)));
  if (a.kind == b.kind && (a.kind == Kind::SetAll || a.kind == Kind::SetNone) && (codes_within(a, b) || codes_within(b, a))) {
    // Under or the fewer tags are the weaker test: `tag none (VIP) or tag none (VIP, BLOCKED)`
    // is `tag none (VIP)`, `tag all (VIP) or tag all (VIP, BLOCKED)` is `tag all (VIP)`.
    return set_result(a, codes_within(a, b) ? a : b);
  }
  if ((a.kind == Kind::SetAll && b.kind == Kind::SetAny) || (a.kind == Kind::SetAny && b.kind == Kind::SetAll)) {
    const Node& any = a.kind == Kind::SetAny ? a : b;
    const Node& all = a.kind == Kind::SetAny ? b : a;
    if (share_a_code(any, all)) return set_result(a, any);  // all implies any
  }
  if ((a.kind == Kind::SetAny && b.kind == Kind::SetNone) || (a.kind == Kind::SetNone && b.kind == Kind::SetAny)) {
    // `tag any (A) or tag none (B)`: a client with a value of B that is in A has `any`, so
    // `none` need only cover B \ A; with B within A every client matches (the dual of the
    // `and` above; `tag any (VIP) or tag none (VIP)` got no W502; found by a review).
    const Node& any = a.kind == Kind::SetAny ? a : b;
    Node& none = a.kind == Kind::SetAny ? b : a;
    if (!share_a_code(any, none)) return Merge::No;
    none.values = set_difference(none.values, any.values);
    if (none.values.size() == 0) return set_result(a, Node::constant(true));
    return Merge::Both;
  }
  return Merge::No;
}

// A null test beside an and/or decides the same test inside a sibling group: under and,
// `x is not null and (x is null or P)` is `x is not null and P` (as is `x != v and (x is null
// or P)`); under or, `x is null or (x is not null and P)` is `x is null or P`. (How the builders' formats write seg's `!=`
// and its negation; the merges below then join what is left.)
bool drop_decided_null_tests(Node& n) {
  if (n.kind != Kind::And && n.kind != Kind::Or) return false;
  bool is_and = n.kind == Kind::And;
  // Under and, `is not null` and every comparison (which needs a value) say the field has one;
  // under or, `is null` says it has none in the other branches.
  std::vector<int> decided;
  for (const auto& c : n.children)
    if ((c.kind == Kind::IsNull && c.negated == is_and) || (is_and && needs_value(c))) decided.push_back(c.field);
  if (decided.empty()) return false;
  bool changed = false;
  Kind inner = is_and ? Kind::Or : Kind::And;
  for (auto& c : n.children) {
    if (c.kind != inner) continue;
    auto& kids = c.children;
    auto gone = std::remove_if(kids.begin(), kids.end(), [&](const Node& k) {
      return k.kind == Kind::IsNull && k.negated != is_and &&
             std::find(decided.begin(), decided.end(), k.field) != decided.end();
    });
    if (gone == kids.end()) continue;
    kids.erase(gone, kids.end());
    changed = true;
    if (kids.empty()) {
      c = Node::constant(!is_and, c.origin);  // an or of nothing is false, an and true
    } else if (kids.size() == 1) {
      Node only = std::move(kids[0]);
      c = std::move(only);
    }
  }
  return changed;
}

// `not tag all (S)` is the one negation the passes leave in front of a predicate (docs/ir.md),
// so the merges above never saw it beside a test of the same tags: `tag all (VIP, BLOCKED) and
// not tag all (VIP, BLOCKED)` stayed as written, and `tag any (VIP) or not tag all (VIP,
// BLOCKED)` (every client) too. With S, T and X lists of codes only:
//   under and: none X and not all S  = none X                 (X meets S: none X implies it)
//              all T and not all S   = false if S ⊆ T, else all T and not all (S \ T)
//   under or:  any X or not all S    = true                   (X meets S)
//              none X or not all S   = not all S              (X meets S)
//              all T or not all S    = true if T ⊆ S, else all (T \ S) or not all S
//              not all S or not all R = not all (S ∪ R)     (a one-value none is a one-value not all)
bool is_not_all(const Node& n) {
  return n.kind == Kind::Not && n.children.size() == 1 && n.children[0].kind == Kind::SetAll &&
         n.children[0].values.only_codes();
}

bool merge_not_alls(Node& n) {
  const bool is_and = n.kind == Kind::And;
  bool changed = false;
  bool any = false;  // (most groups have no `not tag all`, nor a one-value none under or)
  for (const auto& c : n.children)
    any |= is_not_all(c) || (!is_and && c.kind == Kind::SetNone && c.values.size() == 1);
  if (!any) return false;
  // Under or, a one-value `none` is a one-value `not all`: `tag none (A) or tag none (B)` is
  // `not tag all (A, B)` (the dual of `any (A) and any (B)` being `all (A, B)`). Written so only
  // where it joins another on its field, or normalize_values would turn it back every round.
  if (!is_and) {
    auto one_value_none = [](const Node& c) { return c.kind == Kind::SetNone && c.values.only_codes() && c.values.size() == 1; };
    std::map<int, int> per_field;
    for (const auto& c : n.children)
      if (one_value_none(c) || is_not_all(c)) ++per_field[c.kind == Kind::Not ? c.children[0].field : c.field];
    for (auto& c : n.children)
      if (one_value_none(c) && per_field[c.field] > 1) {
        Node all = c;
        all.kind = Kind::SetAll;
        ir::Origin o = c.origin;
        c = Node::negate(std::move(all), std::move(o));
        changed = true;
      }
  }
  std::vector<bool> dropped(n.children.size(), false);
  for (size_t i = 0; i < n.children.size(); ++i) {
    if (dropped[i] || !is_not_all(n.children[i])) continue;
    for (size_t j = 0; j < n.children.size(); ++j) {
      if (j == i || dropped[j] || dropped[i] || !is_not_all(n.children[i])) continue;
      Node& s_node = n.children[i].children[0];  // the all S under the not
      Node& other = n.children[j];
      const bool other_not_all = is_not_all(other);
      const Node& p = other_not_all ? other.children[0] : other;
      if (p.field != s_node.field || !p.values.only_codes()) continue;
      const bool meets = intersects(p.values, s_node.values);
      if (other_not_all) {
        if (is_and) continue;
        s_node.values = set_union(s_node.values, p.values);
        dropped[j] = changed = true;
      } else if (p.kind == Kind::SetNone) {
        if (!meets) continue;
        dropped[is_and ? i : j] = changed = true;
      } else if (p.kind == Kind::SetAny) {
        if (is_and || !meets) continue;
        n.children[i] = Node::constant(true, n.children[i].origin);
        changed = true;
      } else if (p.kind == Kind::SetAll) {
        const ir::ValueList& inner = is_and ? s_node.values : p.values;  // the list that may lie within the other
        const ir::ValueList& outer = is_and ? p.values : s_node.values;
        if (set_difference(inner, outer).size() == 0) {
          n.children[i] = Node::constant(!is_and, n.children[i].origin);
          changed = true;
        } else if (meets) {
          if (is_and) s_node.values = set_difference(s_node.values, p.values);
          else other.values = set_difference(other.values, s_node.values);
          changed = true;
        }
      }
    }
  }
  if (changed) drop_children(n, dropped);
  return changed;
}

// What a predicate beside a group says decides the tests of its field inside that group, at
// any depth: under `and` its siblings hold, under `or` they do not. So in `spot < 6 and (spot
// >= 6 or country = DE)` the inner `spot >= 6` is false, and in `country is not null or (X and
// country = DE)` the inner `country = DE` is false too (it implies what is known not to hold).
// With P known to hold, Q is false where P and Q never hold together and true where P implies
// Q; with P known not to hold, Q is true where P or Q is every value and false where Q implies
// P. merge_and/merge_or answer each pair, as they know what two tests on one field make
// together. Only groups are entered (two predicates side by side are merge_children's), and the
// work is bounded (pairs asked and the values of their lists), so a rule of thousands of tests
// or lists of 100,000 ids on one field stays linear.
struct Known {
  const Node* p;
  bool holds;
};
constexpr size_t kMaxDecideWork = 1000000;  // pairs and the values in their lists, a pass
constexpr int kMaxKnownAsked = 8;            // known tests of its field a test is checked against

bool decided(const Node& p, bool holds, const Node& q, const Schema& schema, bool& value) {
  Node a = p, b = q;
  const Field& f = schema.fields[static_cast<size_t>(p.field)];
  const Merge m = holds ? merge_and(a, b, f) : merge_or(a, b, f);
  if (m == Merge::No) return false;
  Diagnostics unused;
  PassContext ctx{schema, unused};
  fold_constants(a, ctx);  // (an empty range or list, a null test on a field never null)
  if (m == Merge::Both) fold_constants(b, ctx);
  // P and Q is nobody / P or Q is everybody: Q is what P is not.
  if (a.is_const(!holds) || (m == Merge::Both && b.is_const(!holds))) {
    value = !holds;
    return true;
  }
  // P and Q is P (P implies Q) / P or Q is P (Q implies P): Q is what P is.
  if (m == Merge::IntoA && ir::equal(a, p)) {
    value = holds;
    return true;
  }
  return false;
}

void decide_from_context(Node& n, std::vector<Known>& known, const Schema& schema, size_t& pairs, bool& changed) {
  if (n.is_predicate()) {
    // The nearest few known tests of its field (a deep rule knows one a level: asking all of
    // them made each round quadratic in its depth).
    int asked = 0;
    for (auto it = known.rbegin(); it != known.rend() && asked < kMaxKnownAsked; ++it) {
      const Known& k = *it;
      if (k.p->field != n.field) continue;
      ++asked;
      // (A pair costs its lists' lengths: both are copied and merged.)
      pairs += 1 + k.p->values.size() + n.values.size();
      if (pairs > kMaxDecideWork) return;
      bool value = false;
      if (decided(*k.p, k.holds, n, schema, value)) {
        n = Node::constant(value, n.origin);
        changed = true;
        return;
      }
    }
    return;
  }
  if (n.kind == Kind::Not) {
    decide_from_context(n.children[0], known, schema, pairs, changed);
    return;
  }
  if (n.kind != Kind::And && n.kind != Kind::Or) return;
  // Its predicates by what the groups around it say; then each group inside it by that and by
  // these predicates (a predicate is never decided by its own siblings: two equal ones would
  // each decide the other).
  for (auto& c : n.children)
    if (c.is_predicate()) decide_from_context(c, known, schema, pairs, changed);
  bool groups = false;
  for (const auto& c : n.children) groups |= !c.is_predicate();
  if (!groups) return;
  const size_t outer = known.size();
  for (const auto& c : n.children)
    if (c.is_predicate()) known.push_back(Known{&c, n.kind == Kind::And});
  for (auto& c : n.children)
    if (!c.is_predicate() && pairs <= kMaxDecideWork) decide_from_context(c, known, schema, pairs, changed);
  known.resize(outer);
}

// Merges two predicates of a group; when `a` now stands for both, it points at both.
Merge join(Node& a, Node& b, bool is_and, const Field& f) {
  const Span joined = span_union(a.origin.span, b.origin.span);
  const Merge m = is_and ? merge_and(a, b, f) : merge_or(a, b, f);
  if (m == Merge::IntoA) a.origin.span = joined;
  return m;
}

// Ranges that join only where they overlap or touch: under or the ranges, under and the holes
// (`not (spot between 1 and 3)`). Their finite bounds must be all absolute or all relative to
// now (comparable()): 0 and 1 name the two classes, -1 a range that is neither.
int touching_class(const Node& c, bool is_and) {
  if (c.kind != Kind::Range || c.negated != is_and) return -1;
  const bool lo_open = open_lo(c.lo), hi_open = open_hi(c.hi);
  if (lo_open && hi_open) return -1;
  if (!lo_open && !hi_open && c.lo.now_relative != c.hi.now_relative) return -1;
  return lo_open ? c.hi.now_relative : c.lo.now_relative;
}

// Past this many ranges of one class in a group, they are joined by a sweep in order of their
// lower bound instead of trying every pair: thousands of ranges that never touch took each
// pair in turn (8,000 took 1.1 s). Below it the pairs are tried as they always were, so the
// canonical IR (and the stable hash) of every rule of a sensible size stays as it was.
constexpr size_t kPairwiseRanges = 64;

// Joins the touching ranges of each large class of a field's group (`members`: child indices,
// in the group's order) and marks the ones it joined into another as dropped. Returns which
// children were swept (pairs of those need not be tried again): empty when none were, as in
// every group of at most 64 tests.
std::vector<bool> sweep_touching_ranges(Node& n, std::span<const size_t> members, const Field& f,
                                        std::vector<bool>& dropped, bool& changed) {
  std::vector<bool> swept;
  if (members.size() <= kPairwiseRanges) return swept;
  const bool is_and = n.kind == Kind::And;
  for (int cls = 0; cls < 2; ++cls) {
    std::vector<size_t> rs;
    for (size_t i : members)
      if (!dropped[i] && touching_class(n.children[i], is_and) == cls) rs.push_back(i);
    if (rs.size() <= kPairwiseRanges) continue;
    // Open lower ends are kMin, so they sort first, as the interval sweep needs.
    std::stable_sort(rs.begin(), rs.end(),
                     [&](size_t x, size_t y) { return n.children[x].lo.value < n.children[y].lo.value; });
    size_t cur = rs[0];
    for (size_t k = 1; k < rs.size(); ++k) {
      const Merge m = join(n.children[cur], n.children[rs[k]], is_and, f);
      if (m == Merge::IntoA) {
        dropped[rs[k]] = changed = true;
      } else {
        changed |= m == Merge::Both;
        cur = rs[k];
      }
    }
    // `x < p or x > q` with ranges between is `not (x between p and q) or …`, as the pairs
    // would have found: the first and the last survivors are that pair.
    const size_t first = rs[0];
    if (!is_and && first != cur && open_lo(n.children[first].lo) && open_hi(n.children[cur].hi) &&
        join(n.children[first], n.children[cur], false, f) == Merge::IntoA)
      dropped[cur] = changed = true;
    swept.resize(n.children.size(), false);
    for (size_t i : rs) swept[i] = true;
  }
  return swept;
}

bool merge_children(Node& n, const Schema& schema) {
  if (n.kind != Kind::And && n.kind != Kind::Or) return false;
  bool is_and = n.kind == Kind::And;
  bool changed = drop_decided_null_tests(n);
  changed |= merge_not_alls(n);
  // Group by field: merging is only ever between predicates on one field.
  std::vector<size_t> order;
  for (size_t i = 0; i < n.children.size(); ++i)
    if (n.children[i].is_predicate()) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return n.children[x].field < n.children[y].field; });
  std::vector<bool> dropped(n.children.size(), false);
  for (size_t gi = 0; gi < order.size();) {
    size_t ge = gi;
    while (ge < order.size() && n.children[order[ge]].field == n.children[order[gi]].field) ++ge;
    const Field& f = schema.fields[n.children[order[gi]].field];
    const std::vector<bool> swept =
        sweep_touching_ranges(n, std::span<const size_t>(order).subspan(gi, ge - gi), f, dropped, changed);
    // Two swept ranges never join now (those of different classes are not comparable), so
    // a swept one is tried only against the others: group positions of those, in order.
    std::vector<size_t> unswept;
    if (!swept.empty())
      for (size_t x = gi; x < ge; ++x)
        if (!swept[order[x]]) unswept.push_back(x);
    for (size_t x = gi; x < ge; ++x) {
      if (dropped[order[x]]) continue;
      const bool x_swept = !swept.empty() && swept[order[x]];
      const size_t from = x_swept ? static_cast<size_t>(std::upper_bound(unswept.begin(), unswept.end(), x) - unswept.begin()) : x + 1;
      const size_t to = x_swept ? unswept.size() : ge;
      for (size_t k = from; k < to; ++k) {
        const size_t y = x_swept ? unswept[k] : k;
        Node& a = n.children[order[x]];
        if (dropped[order[y]] || !a.is_predicate()) continue;
        const Merge m = join(a, n.children[order[y]], is_and, f);
        if (m == Merge::No) continue;
        changed = true;
        if (m == Merge::IntoA) dropped[order[y]] = true;
      }
    }
    gi = ge;
  }
  if (changed) {
    drop_children(n, dropped);
    // Left with one predicate, the node is that predicate now, so its parent can merge it in
    // the same walk rather than one level per optimizer round.
    if (n.children.size() == 1) {
      Node only = std::move(n.children[0]);
      n = std::move(only);
    }
  }
  return changed;
}
}  // namespace

bool merge_predicates(ir::Node& root, PassContext& ctx) {
  bool changed = post_order(root, [&](ir::Node& n) { return merge_children(n, ctx.schema); });
  std::vector<Known> known;
  size_t pairs = 0;
  decide_from_context(root, known, ctx.schema, pairs, changed);
  return changed;
}

}  // namespace seg::passes
