// Finds the outermost parts of a rule that fold to true or false, and warns about them.
#include "compiler/report_constant.hpp"

#include "compiler/passes/pass.hpp"

namespace seg {

namespace {
constexpr size_t kMaxNodesForParts = 2000;  // beyond this only the whole rule is examined

bool literal_or_known(const ir::Node& n) {
  if (n.kind == ir::Kind::Const) return true;
  if (!n.unknown.empty()) return true;
  return false;
}

void visit(const ir::Node& n, const Schema& schema, Diagnostics& diags, bool whole, bool descend) {
  if (literal_or_known(n)) return;
  ir::Node copy = n;
  Diagnostics scratch;
  optimize(copy, schema, scratch);
  if (copy.kind == ir::Kind::Const) {
    // A literal `true`/`false` inside does not make the part surprising.
    bool has_literal = false;
    std::vector<const ir::Node*> stack{&n};
    while (!stack.empty() && !has_literal) {
      const ir::Node* x = stack.back();
      stack.pop_back();
      has_literal |= literal_or_known(*x);
      for (const auto& c : x->children) stack.push_back(&c);
    }
    if (!has_literal) {
      if (copy.value)
        diags.warning("W502", n.origin.span,
                      whole ? "this rule matches every client" : "this part always holds",
                      whole ? "check the conditions: a segment of everyone is rarely meant" : "it can be removed");
      else
        diags.warning("W501", n.origin.span,
                      whole ? "this rule can never match: the conditions contradict each other"
                            : "this part can never match: its conditions contradict each other",
                      "check the values: a field cannot hold two different values at once");
      return;
    }
  }
  if (!descend) return;
  for (const auto& c : n.children) visit(c, schema, diags, false, descend);
}
}  // namespace

void report_constant_parts(const ir::Node& lowered, const Schema& schema, Diagnostics& diags) {
  visit(lowered, schema, diags, true, node_count(lowered) <= kMaxNodesForParts);
}

}  // namespace seg
