// Pass normalize_values: one spelling per meaning for a single predicate. Value lists sorted
// and deduplicated; a one-value `all` becomes `any`; ranges over dictionaries and bools become lists of codes; one-point integer
// and decimal ranges become `=`; a negated half-open range becomes the other half, and a negated
// range with one bound relative to now and one absolute becomes both halves; a list on a
// closed dictionary is written positively or negatively, whichever is shorter (ties positive).
#include <algorithm>

#include "base/time_util.hpp"
#include "compiler/passes/passes.hpp"
#include "compiler/passes/post_order.hpp"
#include "schema/schema.hpp"

namespace seg::passes {

namespace {
using ir::Kind;
using ir::Node;

bool flip_closed_list(Node& n, const Field& f);

// What the other half of a negated half range (`not <= h` is `> h`, `not >= l` is `< l`) holds
// of a timestamp, which holds years 0000-9999 only: nothing when its bound lies past the years'
// far end (year 10000 would not read back; found by a review), every value when it lies past
// their near end (`not >= 292277026596-12-04` is `< that`: every time there is; it had been
// taken for nothing too, and the optimizer turned `not x = <that>` into `x is null`; found by
// fuzzing).
enum class OtherHalf { Some, Nothing, Everything };
OtherHalf other_half(const Node& n, const Field& f, bool lo_open) {
  if (f.type != FieldType::Timestamp) return OtherHalf::Some;
  const ir::Bound b = lo_open ? ir::shifted(n.hi, 1) : ir::shifted(n.lo, -1);  // the other half's bound
  if (b.now_relative || writable_second(b.value)) return OtherHalf::Some;
  bool past_the_end = b.value > kLastWritableSecond;
  return past_the_end == lo_open ? OtherHalf::Nothing : OtherHalf::Everything;
}

bool normalize(Node& n, const Schema& schema) {
  if (!n.is_predicate()) return false;
  const Field& f = schema.fields[n.field];
  bool changed = n.values.normalize();
  if (n.kind == Kind::SetAll && n.values.size() == 1) {
    // Holding every one of one value is holding it: one spelling, `any` (which is also how
    // the builders' formats write it).
    n.kind = Kind::SetAny;
    return true;
  }
  if (n.kind == Kind::Range) {
    bool abs = !n.lo.now_relative && !n.hi.now_relative;
    if ((f.type == FieldType::Enum || f.type == FieldType::Bool) && abs) {
      int64_t top = f.type == FieldType::Bool ? 1 : static_cast<int64_t>(f.dict.size()) - 1;
      int64_t lo = std::max<int64_t>(n.lo.value, 0), hi = std::min<int64_t>(n.hi.value, top);
      n.kind = Kind::In;
      n.values.codes.clear();
      for (int64_t c = lo; c <= hi; ++c) n.values.codes.push_back(c);
      n.lo = ir::Bound{ir::kMin, false};
      n.hi = ir::Bound{ir::kMax, false};
      changed = true;  // and go on: the list may be written the shorter way below
    } else if ((f.type == FieldType::Int || f.type == FieldType::Decimal) && abs && n.lo.value == n.hi.value) {
      n.kind = Kind::In;
      n.values.codes = {n.lo.value};
      n.lo = ir::Bound{ir::kMin, false};
      n.hi = ir::Bound{ir::kMax, false};
      return true;
    }
    if (f.type == FieldType::Timestamp && n.kind == Kind::Range) {
      // A timestamp holds years 0000-9999 only (data and rules alike): a bound at or past
      // their ends bounds nothing, and is written as none. Kept, `not between 0000-01-01 and
      // X` printed `< 0000-01-01 or >= X+1s`, whose first half reads back as no condition:
      // another IR than the rule's (found by fuzzing).
      if (!n.lo.now_relative && n.lo.value != ir::kMin && n.lo.value <= kFirstWritableSecond) {
        n.lo = ir::Bound{ir::kMin, false};
        changed = true;
      }
      if (!n.hi.now_relative && n.hi.value != ir::kMax && n.hi.value >= kLastWritableSecond) {
        n.hi = ir::Bound{ir::kMax, false};
        changed = true;
      }
    }
    bool lo_open = !n.lo.now_relative && n.lo.value == ir::kMin;
    bool hi_open = !n.hi.now_relative && n.hi.value == ir::kMax;
    if (n.kind != Kind::Range) {
      // became a list above
    } else if (n.negated && !lo_open && !hi_open && n.lo.now_relative != n.hi.now_relative) {
      // Outside [now + a, T] has no one-predicate text: it prints as `< now + a or > T`, two
      // halves that do not merge back (their bounds do not compare), so it is those halves
      // here too. Only IR JSON says it this way (text's `not (between)` keeps its `not`, see
      // negation_prints_back); found by fuzzing.
      Node below = n, above = n;
      below.negated = above.negated = false;
      below.lo = ir::Bound{ir::kMin, false};
      below.hi = ir::shifted(n.lo, -1);
      above.lo = ir::shifted(n.hi, 1);
      above.hi = ir::Bound{ir::kMax, false};
      std::vector<Node> halves;
      halves.push_back(std::move(below));
      halves.push_back(std::move(above));
      ir::Origin o = n.origin;
      n = Node::conj(Kind::Or, std::move(halves), std::move(o));
      return true;
    } else if (n.negated && lo_open != hi_open && other_half(n, f, lo_open) == OtherHalf::Nothing) {
      // Not <= the last second a timestamp holds is no value: an empty list, which folds to
      // false, as lowering makes `> 9999-12-31`.
      n.kind = Kind::In;
      n.values.codes.clear();
      n.lo = ir::Bound{ir::kMin, false};
      n.hi = ir::Bound{ir::kMax, false};
      n.negated = false;
      return true;
    } else if (n.negated && lo_open != hi_open && other_half(n, f, lo_open) == OtherHalf::Everything) {
      // Not >= a second past the years is any value: a range open at both ends, which folds
      // to `is not null`.
      n.lo = ir::Bound{ir::kMin, false};
      n.hi = ir::Bound{ir::kMax, false};
      n.negated = false;
      return true;
    } else if (n.negated && lo_open != hi_open) {
      // Not null and not <= h is > h; not null and not >= l is < l.
      if (lo_open) {
        n.lo = ir::shifted(n.hi, 1);  // saturating: a now-relative bound may sit at the int64 edge
        n.hi = ir::Bound{ir::kMax, false};
      } else {
        n.hi = ir::shifted(n.lo, -1);
        n.lo = ir::Bound{ir::kMin, false};
      }
      n.negated = false;
      return true;
    } else {
      return changed;
    }
  }
  return changed | flip_closed_list(n, f);
}

bool flip_closed_list(Node& n, const Field& f) {
  bool changed = false;
  if (n.kind == Kind::In && f.type == FieldType::Enum && !f.dict.open && n.values.unknown.empty()) {
    // `not null and not in A` and `in (everything else)` mean the same on a closed dictionary.
    size_t size = f.dict.size(), count = n.values.codes.size();
    size_t other = size - count;
    bool flip = n.negated ? other <= count : other < count;
    if (flip && count > 0 && count < size) {
      std::vector<int64_t> rest;
      for (int64_t c = 0; c < static_cast<int64_t>(size); ++c)
        if (!std::binary_search(n.values.codes.begin(), n.values.codes.end(), c)) rest.push_back(c);
      n.values.codes = std::move(rest);
      n.negated = !n.negated;
      return true;
    }
  }
  if (n.kind == Kind::In && f.type == FieldType::Bool && n.values.codes.size() == 1 && n.negated) {
    n.values.codes[0] = 1 - n.values.codes[0];
    n.negated = false;
    return true;
  }
  return changed;
}
}  // namespace

bool normalize_values(ir::Node& root, PassContext& ctx) {
  return post_order(root, [&](ir::Node& n) { return normalize(n, ctx.schema); });
}

}  // namespace seg::passes
