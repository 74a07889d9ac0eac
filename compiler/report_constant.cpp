// Finds the outermost parts of a rule that fold to true or false, and warns about them.
#include "compiler/report_constant.hpp"

#include <functional>
#include <map>

#include <fmt/format.h>

#include "compiler/passes/pass.hpp"

namespace seg {

namespace {
// Each part is optimized on its own, so examining every part costs the sum of the parts'
// sizes: the sum of every node's depth. Past this, only the whole rule is examined (a rule at
// the nesting limit made it quadratic: 127 optimizations of its levels, 0.3 s).
constexpr size_t kMaxNodesOptimizedForParts = 20000;

size_t sum_of_depths(const ir::Node& n, size_t depth = 1) {
  size_t sum = depth;
  for (const auto& c : n.children) sum += sum_of_depths(c, depth + 1);
  return sum;
}

bool literal_or_known(const ir::Node& n) {
  if (n.kind == ir::Kind::Const) return true;
  if (!n.values.unknown.empty()) return true;
  return false;
}

// A node read from a JSON document is reported at its path there, one from text at its span.
bool from_json(const ir::Node& n) { return !n.origin.json_path.empty(); }

bool already_warned(const ir::Node& n, const Diagnostics& diags) {
  for (const auto& d : diags.list())
    if (d.severity == Severity::Warning && d.code != "W505" && (from_json(n) ? d.json && d.json_path == n.origin.json_path : d.span == n.origin.span))
      return true;
  return false;
}

void warn(Diagnostics& diags, const char* code, const ir::Node& n, std::string message, std::string help) {
  if (from_json(n)) diags.json_warning(code, n.origin.json_path, std::move(message), std::move(help));
  else diags.warning(code, n.origin.span, std::move(message), std::move(help));
}

void visit(const ir::Node& n, const Schema& schema, Diagnostics& diags, bool whole, bool descend) {
  // A group of one (a builder's `and` around a single condition) is that condition.
  if ((n.kind == ir::Kind::And || n.kind == ir::Kind::Or) && n.children.size() == 1) {
    visit(n.children[0], schema, diags, whole, descend);
    return;
  }
  // A part the checker already warned about (W503: between with its bounds swapped) is one
  // mistake, reported once. W505 (an `and` in an `or` without parentheses) is about how the
  // part reads, not what it means: a constant part under it is still reported.
  if (literal_or_known(n) || already_warned(n, diags)) return;
  ir::Node copy = n;
  Diagnostics scratch;
  optimize(copy, schema, scratch);
  if (copy.kind == ir::Kind::Const) {
    // A literal `true`/`false` inside does not make the part surprising. A tag the dictionary
    // does not know does: the optimizer keeps such names as names (the data may know them when
    // the rule runs), so a part folds only through what it says of them, and `tag any (VIP)
    // and tag none (VIP, NEW)` never matches whatever NEW turns out to be (it was said only as
    // NEW's W204, "`none` excludes nobody for it"; found by a review).
    bool has_literal = false;
    std::vector<const ir::Node*> stack{&n};
    while (!stack.empty() && !has_literal) {
      const ir::Node* x = stack.back();
      stack.pop_back();
      has_literal |= x->kind == ir::Kind::Const;
      for (const auto& c : x->children) stack.push_back(&c);
    }
    if (!has_literal) {
      // One condition is constant by itself (a null test on a field that is never null, a
      // bound past the last value), under `not`s or not; a group is constant because its
      // conditions clash.
      const ir::Node* inner = &n;
      while (inner->kind == ir::Kind::Not && inner->children.size() == 1) inner = &inner->children[0];
      bool single = inner->is_predicate();
      const char* what = whole ? "this rule" : single ? "this condition" : "this part";
      if (copy.value)
        warn(diags, "W502", n, fmt::format("{} {}", what, whole ? "matches every client" : "always holds"),
                      whole ? "check the conditions: a segment of everyone is rarely meant" : "it can be removed");
      else if (single)
        warn(diags, "W501", n, fmt::format("{} can never match", what),
                      inner->kind == ir::Kind::IsNull ? fmt::format("`{}` is never null", schema.fields[inner->field].name)
                                                      : fmt::format("no value of `{}` satisfies it", schema.fields[inner->field].name));
      else {
        // The help names the clash the conditions make: a field empty and not, a tag had and
        // not had, ranges apart, or two values (it said "two different values" for all of
        // them; found by a review).
        bool nulls = false, sets = false, ranges = false;
        std::function<void(const ir::Node&)> kinds = [&](const ir::Node& k) {
          nulls |= k.kind == ir::Kind::IsNull;
          sets |= k.kind == ir::Kind::SetAny || k.kind == ir::Kind::SetAll || k.kind == ir::Kind::SetNone;
          ranges |= k.kind == ir::Kind::Range;
          for (const auto& c : k.children) kinds(c);
        };
        // Only the conditions that clash: those on one field, when they alone can never hold
        // (`spot = 1 and spot = 2 and tag any (VIP)` was said to be a tag had and not had,
        // from the kinds of every condition in the part; a review).
        const ir::Node* clash = &n;
        ir::Node one_field;
        std::string name = "a field";
        if (n.kind == ir::Kind::And) {
          // The conditions of this `and` and of the `and`s inside it, as written (`a and (b and
          // c)`: the clash of `client_id < 10 and (client_id >= 20 and tag any (VIP))` was
          // said to be a tag's, a review found).
          std::map<size_t, std::vector<const ir::Node*>> by_field;
          auto collect = [&](auto&& self, const ir::Node& group) -> void {
            for (const auto& c : group.children) {
              if (c.kind == ir::Kind::And) {
                self(self, c);
                continue;
              }
              const ir::Node* p = &c;
              while (p->kind == ir::Kind::Not && p->children.size() == 1) p = &p->children[0];
              if (p->is_predicate()) by_field[static_cast<size_t>(p->field)].push_back(&c);
            }
          };
          collect(collect, n);
          for (const auto& [field, conditions] : by_field) {
            if (conditions.size() < 2) continue;
            ir::Node part = n;
            part.children.clear();
            for (const ir::Node* c : conditions) part.children.push_back(*c);
            ir::Node folded = part;
            Diagnostics unused;
            optimize(folded, schema, unused);
            if (folded.kind == ir::Kind::Const && !folded.value) {
              one_field = std::move(part);
              clash = &one_field;
              name = fmt::format("`{}`", schema.fields[field].name);
              break;
            }
          }
        }
        kinds(*clash);
        const std::string help =
            nulls    ? fmt::format("check the conditions: {} cannot be empty and hold a value at once", name)
            : sets   ? std::string("check the conditions: a client cannot have a tag and be without it at once")
            : ranges ? fmt::format("check the bounds: no value of {} lies in all of these ranges at once", name)
                     : fmt::format("check the values: {} cannot hold two different values at once", name);
        warn(diags, "W501", n,
             fmt::format("{} can never match: {} conditions contradict each other", what, whole ? "the" : "its"), help);
      }
      return;
    }
  }
  if (!descend) return;
  for (const auto& c : n.children) visit(c, schema, diags, false, descend);
}
}  // namespace

void report_constant_parts(const ir::Node& lowered, const Schema& schema, Diagnostics& diags) {
  // A segment of every client is rarely meant, however it is written (`true` too): a mailing
  // to it goes to everyone. Said once, for the whole rule.
  ir::Node whole = lowered;
  Diagnostics scratch;
  optimize(whole, schema, scratch);
  if (whole.is_const(true) && !already_warned(lowered, diags)) {
    bool any_warning = false;
    for (const auto& d : diags.list()) any_warning |= d.code == "W502" && d.span == lowered.origin.span && !d.json;
    if (!any_warning)
      warn(diags, "W502", lowered, "this rule matches every client", "check the conditions: a segment of everyone is rarely meant");
    return;
  }
  visit(lowered, schema, diags, true, sum_of_depths(lowered) <= kMaxNodesOptimizedForParts);
}

}  // namespace seg
