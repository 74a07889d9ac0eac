// Sorted-vector set operations used by the passes that merge value lists.
#pragma once
#include <algorithm>
#include <iterator>
#include <vector>

#include "compiler/ir.hpp"

namespace seg::passes {

template <typename T>
std::vector<T> set_union(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> out;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}
template <typename T>
std::vector<T> set_intersection(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}
template <typename T>
std::vector<T> set_difference(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}
template <typename T>
bool intersects(const std::vector<T>& a, const std::vector<T>& b) {
  return !set_intersection(a, b).empty();
}

inline Span span_union(Span a, Span b) {
  if (a.begin == 0 && a.end == 0) return b;
  if (b.begin == 0 && b.end == 0) return a;
  return Span{std::min(a.begin, b.begin), std::max(a.end, b.end)};
}

// Applies `f` to every node bottom-up (children first); returns whether any call changed something.
template <typename F>
bool post_order(ir::Node& n, F&& f) {
  bool changed = false;
  for (auto& c : n.children) changed |= post_order(c, f);
  changed |= f(n);
  return changed;
}

}  // namespace seg::passes
