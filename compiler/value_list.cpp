// Set algebra of ir::ValueList: each operation is written once and applied to the three lists.
#include "compiler/value_list.hpp"

#include <algorithm>
#include <iterator>

namespace seg::ir {

namespace {

template <typename T>
bool sort_unique(std::vector<T>& v) {
  if (std::adjacent_find(v.begin(), v.end(), [](const T& a, const T& b) { return !(a < b); }) == v.end()) return false;
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return true;
}

// Runs a sorted-range algorithm (std::set_union, ...) on codes, names and unknown names in
// turn: the kinds of value never meet, so the whole list's result is the three results.
template <typename Algorithm>
ValueList each_list(const ValueList& a, const ValueList& b, Algorithm algorithm) {
  ValueList out;
  auto run = [&](const auto& x, const auto& y, auto& result) {
    algorithm(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(result));
  };
  run(a.codes, b.codes, out.codes);
  run(a.names, b.names, out.names);
  run(a.unknown, b.unknown, out.unknown);
  return out;
}

}  // namespace

bool ValueList::normalize() {
  bool changed = sort_unique(codes);  // all three lists, no short circuit
  changed |= sort_unique(names);
  changed |= sort_unique(unknown);
  return changed;
}

// (Lambdas, because std::set_union and friends are overload sets, not objects.)
ValueList set_union(const ValueList& a, const ValueList& b) {
  return each_list(a, b, [](auto... args) { std::set_union(args...); });
}
ValueList set_intersection(const ValueList& a, const ValueList& b) {
  return each_list(a, b, [](auto... args) { std::set_intersection(args...); });
}
ValueList set_difference(const ValueList& a, const ValueList& b) {
  return each_list(a, b, [](auto... args) { std::set_difference(args...); });
}
bool intersects(const ValueList& a, const ValueList& b) { return !set_intersection(a, b).empty(); }

}  // namespace seg::ir
