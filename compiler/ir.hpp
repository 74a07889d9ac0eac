// The IR: what a segment rule means, independent of how it was written (text, form, JSON)
// and of how it runs. See docs/ir.md for every node and its null semantics.
#pragma once
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/diagnostics.hpp"
#include "compiler/value_list.hpp"

namespace seg {
struct Schema;
}

namespace seg::ir {

// Append only: a kind's number goes into stable_hash (saved with every segment in a catalog)
// and orders canonical text (ir::compare), so inserting one changes saved hashes and the
// canonical order of rules. Every switch over Kind names each kind (no `default:`), so
// -Werror=switch finds each place a new kind must be handled (tests/compile_fail).
enum class Kind : uint8_t {
  Const,   // true / false
  And,     // all children; empty And is true
  Or,      // any child; empty Or is false
  Not,     // plain negation (a null comparison is false, so `not` of it is true)
  In,      // field value (not null) is one of `values`; negated: not null and none of them
  Range,   // lo <= value <= hi (not null); negated: not null and outside [lo, hi]
  IsNull,  // value is null; negated: is not null
  SetAny,  // set field holds at least one of `values` (unknown names never match)
  SetAll,  // set field holds every one of `values` (false if any name is unknown)
  SetNone  // set field holds none of `values`
};
const char* kind_name(Kind k);

// Where a node came from, so later diagnostics point at what the person wrote.
struct Origin {
  Span span;                 // rule text
  std::string json_path;     // IR JSON (/rule/and/2)
  std::string form_section;  // the segment form (stages, tags, spot, players)
};

// A range bound: an absolute value, or an offset in seconds from `now` (timestamps only),
// resolved once per evaluation.
struct Bound {
  int64_t value = 0;
  bool now_relative = false;
  bool operator==(const Bound&) const = default;
};
inline constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
// The bound `d` further on, saturating at the int64 edges (which mean "open").
inline Bound shifted(Bound b, int64_t d) {
  int64_t v;
  if (__builtin_add_overflow(b.value, d, &v)) v = d > 0 ? kMax : kMin;
  return Bound{v, b.now_relative};
}

// Values are int64 everywhere (ValueList::codes, Bound): dictionary codes for enum/set fields,
// scaled integers for decimals (value * 10^scale), seconds since the epoch for timestamps, 0/1
// for bools. ValueList says where string values and names an open dictionary lacks go.
struct Node {
  Kind kind = Kind::Const;
  bool value = false;    // Const
  bool negated = false;  // In, Range, IsNull
  int field = -1;        // schema field index for predicates
  ValueList values;      // In, Set*
  Bound lo{kMin, false}, hi{kMax, false};  // Range, inclusive both ends
  std::vector<Node> children;         // And, Or, Not (exactly one)
  Origin origin;

  static Node constant(bool v, Origin o = {});
  static Node conj(Kind k, std::vector<Node> kids, Origin o = {});  // And / Or
  static Node negate(Node child, Origin o = {});
  bool is_const(bool v) const { return kind == Kind::Const && value == v; }
  bool is_predicate() const { return kind >= Kind::In; }
  bool is_set_predicate() const { return kind == Kind::SetAny || kind == Kind::SetAll || kind == Kind::SetNone; }
};

// Structural equality ignoring origins (meaning only).
bool equal(const Node& a, const Node& b);
// A total order on meaning (ignores origins), used to put and/or children in canonical order.
int compare(const Node& a, const Node& b);
// The order's first key: the lowest schema field index a node tests (a large number for one
// that tests none). compare() finds it by walking both trees; a caller ordering many nodes
// whose keys it already knows passes them (order_canonically: a deep rule's keys once each,
// bottom-up, instead of once per comparison at every level above).
int first_field(const Node& n);
int compare_given_first_fields(const Node& a, int a_first, const Node& b, int b_first);
// Stable 64-bit hash of the meaning (ignores origins); equal IR gives equal hash on every machine.
uint64_t stable_hash(const Node& n);
// Counts nodes (for limits and statistics).
size_t node_count(const Node& n);
// Levels of the tree: 1 for a leaf.
size_t height(const Node& n);
// The conditions its canonical text has, as the parser counts them against E403: a leaf or an
// empty and/or (printed `true`/`false`) each.
size_t condition_count(const Node& n);
// Whether a bound is relative to `now`: the rule's members move with the clock.
bool uses_now(const Node& n);
// The rule's top-level conditions: the parts of its outermost `and`, or the rule itself when
// it is not one (what a diff explains clause by clause and a version history lists).
std::vector<const Node*> top_level_clauses(const Node& n);

// An indented tree for `seg ir` (names resolved through the schema).
std::string dump_tree(const Node& n, const Schema& schema);

// Canonical rule text (docs/language.md "Canonical text"): keywords lower-case, minimal
// parentheses, strings quoted only where an identifier would not do.
std::string print_rule(const Node& n, const Schema& schema);
// How deep that text nests as the parser counts it (parentheses, `not`s; E402), so that IR
// from JSON can be refused when its text would be.
size_t printed_depth(const Node& n, const Schema& schema);

}  // namespace seg::ir
