// The values one predicate lists (In, SetAny/SetAll/SetNone), and their set algebra: the one
// place where merging or comparing two lists handles codes, string names and unknown names.
#pragma once
#include <compare>
#include <cstdint>
#include <string>
#include <vector>

namespace seg::ir {

// Three kinds of value, each list sorted and unique (normalize() makes them so). They never
// stand for the same value, so every set operation works on each list on its own:
// - codes: dictionary codes for enum/set fields, scaled integers for decimals (value * 10^scale),
//   seconds since the epoch for timestamps, 0/1 for bools, plain integers;
// - names: the values of String fields (which keep nothing else);
// - unknown: for open dictionaries (tags), names the dictionary did not know when the rule was
//   compiled. They are kept apart from codes because the data's dictionary may know them by the
//   time the rule runs (docs/ir.md, "Unknown values").
struct ValueList {
  std::vector<int64_t> codes;
  std::vector<std::string> names;
  std::vector<std::string> unknown;

  bool empty() const { return codes.empty() && names.empty() && unknown.empty(); }
  size_t size() const { return codes.size() + names.size() + unknown.size(); }
  // Codes alone: what a numeric range can be compared with.
  bool only_codes() const { return names.empty() && unknown.empty(); }
  // Sorts and deduplicates each list; returns whether that changed anything.
  bool normalize();

  bool operator==(const ValueList&) const = default;
  // Codes, then names, then unknown names, each lexicographically: the order ir::compare has
  // always sorted predicates by, which canonical IR (and so a rule's stable hash) depends on.
  auto operator<=>(const ValueList&) const = default;
};

// The set algebra of sorted, unique lists (normalize() first).
ValueList set_union(const ValueList& a, const ValueList& b);
ValueList set_intersection(const ValueList& a, const ValueList& b);
ValueList set_difference(const ValueList& a, const ValueList& b);  // in a, not in b
bool intersects(const ValueList& a, const ValueList& b);

}  // namespace seg::ir
