// Each clause's figures over a set of clients that no single plan covers (a membership's base
// and batches, each its own store, planned apart): the rule's tree as compiled (its canonical
// text's order), every node with the clients that reach it and those it passes, as an
// evaluation takes its clauses in that order. Each test is evaluated once over all the
// clients (a bitmap); the rest is set algebra.
#include <chrono>

#include "api/impl.hpp"
#include "runtime/storage/bits.hpp"

namespace seg::api {
namespace {

using Bits = std::vector<uint64_t>;

struct Figures {
  const seg::Schema& schema;
  const std::function<Bits(const ir::Node&)>& rows_of;

  static uint64_t count(const Bits& b) { return rt::popcount_words(b.data(), b.size()); }

  // `in`: the clients reaching `n`; returns those it passes (in & n) and fills `e`. The
  // meaning of rows_in follows the evaluator's (runtime/exec/evaluate.cpp): an `and` child gets
  // what its earlier siblings passed, an `or` child what they left unmatched, a `not` its own
  // input.
  Bits node(const ir::Node& n, const Bits& in, ExplainNode& e) const {
    e.label = ir::print_rule(n, schema);
    e.op = ir::kind_name(n.kind);
    e.rows_in = count(in);
    Bits out(in.size(), 0);
    switch (n.kind) {
      case ir::Kind::And: {
        out = in;
        for (const auto& k : n.children) {
          e.children.emplace_back();
          out = node(k, out, e.children.back());
        }
        break;
      }
      case ir::Kind::Or: {
        Bits rest = in;
        for (const auto& k : n.children) {
          e.children.emplace_back();
          const Bits hit = node(k, rest, e.children.back());
          for (size_t w = 0; w < in.size(); ++w) {
            out[w] |= hit[w];
            rest[w] &= ~hit[w];
          }
        }
        break;
      }
      case ir::Kind::Not: {
        e.children.emplace_back();
        const Bits hit = node(n.children[0], in, e.children.back());
        for (size_t w = 0; w < in.size(); ++w) out[w] = in[w] & ~hit[w];
        break;
      }
      case ir::Kind::Const:
      case ir::Kind::In:
      case ir::Kind::Range:
      case ir::Kind::IsNull:
      case ir::Kind::SetAny:
      case ir::Kind::SetAll:
      case ir::Kind::SetNone: {  // a test: its clients among those reaching it
        if (e.rows_in == 0) break;  // nobody to test (an `and` whose earlier clauses passed nobody)
        const auto t0 = std::chrono::steady_clock::now();
        const Bits all = rows_of(n);
        for (size_t w = 0; w < in.size(); ++w) out[w] = in[w] & all[w];
        e.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        break;
      }
    }
    if (n.kind == ir::Kind::And || n.kind == ir::Kind::Or || n.kind == ir::Kind::Not)
      for (const auto& k : e.children) e.ms += k.ms;
    e.rows_out = count(out);
    return out;
  }
};

}  // namespace

ExplainNode clause_figures(const ir::Node& rule, const seg::Schema& schema, const std::vector<uint64_t>& everyone,
                           const std::function<std::vector<uint64_t>(const ir::Node&)>& rows_of) {
  ExplainNode root;
  Figures{schema, rows_of}.node(rule, everyone, root);
  return root;
}

}  // namespace seg::api
