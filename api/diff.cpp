// seg::api::diff: the members two rules select over one store, told apart (entered, exited,
// stayed) with samples, and each clause's share of the change. One evaluation of each rule
// and of each clause, as row bitmaps of the store (a bit per client: 1.25 MB at 10M), so the
// set algebra and the counts are word operations.
#include <chrono>
#include <stdexcept>

#include "api/impl.hpp"
#include "runtime/exec/evaluate.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/storage/bits.hpp"

#include <nlohmann/json.hpp>

namespace seg::api {
namespace {

using Bits = std::vector<uint64_t>;

// The rows `ir` selects, as a bitmap over the store's rows.
Bits rows_of(const ir::Node& ir, const rt::Store& s, int64_t now, unsigned threads) {
  rt::Plan plan = rt::build_plan(ir, s, now);
  rt::EvalOptions eo;
  eo.threads = std::max(1u, threads);
  eo.want_bitmap = true;
  rt::EvalResult r = rt::evaluate(plan, s, eo);
  if (r.bitmap.empty()) r.bitmap.assign(rt::words_for(s.rows()), 0);  // nobody matched
  return std::move(r.bitmap);
}

uint64_t count_of(const Bits& b) { return rt::popcount_words(b.data(), b.size()); }

// The top-level conjuncts of a rule (the rule itself when it is not an `and`).
std::vector<const ir::Node*> clauses(const ir::Node& n) {
  std::vector<const ir::Node*> out;
  if (n.kind == ir::Kind::And && !n.children.empty())
    for (const auto& c : n.children) out.push_back(&c);
  else
    out.push_back(&n);
  return out;
}

// For each clause of `rule`, how many rows of `who` it rules out.
std::vector<DiffClause> because(const ir::Node& rule, const Bits& who, const rt::Store& s, const seg::Schema& schema,
                                int64_t now, unsigned threads) {
  std::vector<DiffClause> out;
  if (count_of(who) == 0) return out;
  for (const ir::Node* c : clauses(rule)) {
    Bits pass = rows_of(*c, s, now, threads);
    uint64_t fails = 0;
    for (size_t w = 0; w < who.size(); ++w) fails += rt::popcount64(who[w] & ~pass[w]);
    out.push_back({ir::print_rule(*c, schema), fails});
  }
  return out;
}

// The first `n` ids of the rows in `b`, in id order.
std::vector<int64_t> sample_of(const Bits& b, const rt::Store& s, size_t n) {
  std::vector<int64_t> ids;
  for (size_t w = 0; w < b.size(); ++w)
    for (uint64_t m = b[w]; m; m &= m - 1) {
      uint64_t row = w * 64 + static_cast<uint64_t>(__builtin_ctzll(m));
      if (s.ids_sorted() && ids.size() >= n) return ids;  // rows are in id order
      ids.push_back(s.id_at(row));
    }
  std::sort(ids.begin(), ids.end());
  if (ids.size() > n) ids.resize(n);
  return ids;
}

}  // namespace

Diff diff(const Query& before, const Query& after, const RunOptions& options, size_t sample) {
  auto t0 = std::chrono::steady_clock::now();
  if (!before.impl || !after.impl || before.impl->store.get() != after.impl->store.get())
    throw std::invalid_argument("seg::api::diff: both queries must be prepared on the same Store");
  const rt::Store& s = before.impl->store->store;
  const seg::Schema& schema = s.schema();
  const ir::Node& a = *before.impl->rule->ir;
  const ir::Node& b = *after.impl->rule->ir;
  int64_t now = options.now ? *options.now : clock_now();
  Bits old_rows = rows_of(a, s, now, options.threads), new_rows = rows_of(b, s, now, options.threads);
  Bits entered(old_rows.size()), exited(old_rows.size()), stayed(old_rows.size());
  for (size_t w = 0; w < old_rows.size(); ++w) {
    entered[w] = new_rows[w] & ~old_rows[w];
    exited[w] = old_rows[w] & ~new_rows[w];
    stayed[w] = old_rows[w] & new_rows[w];
  }
  Diff d;
  d.before_text = before.impl->rule->text;
  d.after_text = after.impl->rule->text;
  d.before = count_of(old_rows);
  d.after = count_of(new_rows);
  d.entered = count_of(entered);
  d.exited = count_of(exited);
  d.stayed = count_of(stayed);
  d.entered_sample = sample_of(entered, s, sample);
  d.exited_sample = sample_of(exited, s, sample);
  d.exited_because = because(b, exited, s, schema, now, options.threads);
  d.entered_because = because(a, entered, s, schema, now, options.threads);
  d.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return d;
}

std::string Diff::json() const {
  auto clauses = [](const std::vector<DiffClause>& cs) {
    auto a = nlohmann::ordered_json::array();
    for (const auto& c : cs) a.push_back({{"clause", c.text}, {"fails", c.fails}});
    return a;
  };
  nlohmann::ordered_json j;
  j["before"] = {{"text", before_text}, {"count", before}};
  j["after"] = {{"text", after_text}, {"count", after}};
  j["entered"] = {{"count", entered}, {"sample", entered_sample}, {"because", clauses(entered_because)}};
  j["exited"] = {{"count", exited}, {"sample", exited_sample}, {"because", clauses(exited_because)}};
  j["stayed"] = stayed;
  j["elapsed_ms"] = elapsed_ms;
  return j.dump();
}

}  // namespace seg::api
