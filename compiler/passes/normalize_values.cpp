// Pass normalize_values: one spelling per meaning for a single predicate. Value lists sorted
// and deduplicated; ranges over dictionaries and bools become lists of codes; one-point integer
// and decimal ranges become `=`; a negated half-open range becomes the other half; a list on a
// closed dictionary is written positively or negatively, whichever is shorter (ties positive).
#include <algorithm>

#include "compiler/passes/passes.hpp"
#include "compiler/passes/set_ops.hpp"
#include "schema/schema.hpp"

namespace seg::passes {

namespace {
using ir::Kind;
using ir::Node;

template <typename T>
bool sort_unique(std::vector<T>& v) {
  if (std::adjacent_find(v.begin(), v.end(), [](const T& a, const T& b) { return !(a < b); }) == v.end()) return false;
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return true;
}

bool flip_closed_list(Node& n, const Field& f);

bool normalize(Node& n, const Schema& schema) {
  if (!n.is_predicate()) return false;
  const Field& f = schema.fields[n.field];
  bool changed = sort_unique(n.values);  // all three lists, no short circuit
  changed |= sort_unique(n.names);
  changed |= sort_unique(n.unknown);
  if (n.kind == Kind::Range) {
    bool abs = !n.lo.now_relative && !n.hi.now_relative;
    if ((f.type == FieldType::Enum || f.type == FieldType::Bool) && abs) {
      int64_t top = f.type == FieldType::Bool ? 1 : static_cast<int64_t>(f.dict.size()) - 1;
      int64_t lo = std::max<int64_t>(n.lo.value, 0), hi = std::min<int64_t>(n.hi.value, top);
      n.kind = Kind::In;
      n.values.clear();
      for (int64_t c = lo; c <= hi; ++c) n.values.push_back(c);
      n.lo = ir::Bound{ir::kMin, false};
      n.hi = ir::Bound{ir::kMax, false};
      changed = true;  // and go on: the list may be written the shorter way below
    } else if ((f.type == FieldType::Int || f.type == FieldType::Decimal) && abs && n.lo.value == n.hi.value) {
      n.kind = Kind::In;
      n.values = {n.lo.value};
      n.lo = ir::Bound{ir::kMin, false};
      n.hi = ir::Bound{ir::kMax, false};
      return true;
    }
    bool lo_open = !n.lo.now_relative && n.lo.value == ir::kMin;
    bool hi_open = !n.hi.now_relative && n.hi.value == ir::kMax;
    if (n.kind != Kind::Range) {
      // became a list above
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
  if (n.kind == Kind::In && f.type == FieldType::Enum && !f.dict.open && n.unknown.empty()) {
    // `not null and not in A` and `in (everything else)` mean the same on a closed dictionary.
    size_t size = f.dict.size(), count = n.values.size();
    size_t other = size - count;
    bool flip = n.negated ? other <= count : other < count;
    if (flip && count > 0 && count < size) {
      std::vector<int64_t> rest;
      for (int64_t c = 0; c < static_cast<int64_t>(size); ++c)
        if (!std::binary_search(n.values.begin(), n.values.end(), c)) rest.push_back(c);
      n.values = std::move(rest);
      n.negated = !n.negated;
      return true;
    }
  }
  if (n.kind == Kind::In && f.type == FieldType::Bool && n.values.size() == 1 && n.negated) {
    n.values[0] = 1 - n.values[0];
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
