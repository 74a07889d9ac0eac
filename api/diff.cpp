// seg::api::diff: the members two rules select over one store (or, through diff_rows, over
// a membership's clients as they are now), told apart (entered, exited, stayed) with samples,
// and each clause's share of the change. One evaluation of each rule and of each clause, as
// row bitmaps (a bit per client: 1.25 MB at 10M), so the set algebra and the counts are word
// operations.
#include <algorithm>
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

// For each clause of `rule`, how many rows of `who` it rules out.
std::vector<DiffClause> because(const ir::Node& rule, const Bits& who, const seg::Schema& schema, const DiffRows& over) {
  std::vector<DiffClause> out;
  if (count_of(who) == 0) return out;
  for (const ir::Node* c : ir::top_level_clauses(rule)) {
    Bits pass = over.rows_of(*c);
    uint64_t fails = 0;
    for (size_t w = 0; w < who.size(); ++w) fails += rt::popcount64(who[w] & ~pass[w]);
    out.push_back({ir::print_rule(*c, schema), fails});
  }
  return out;
}

std::vector<int64_t> sample_of(const Bits& b, const DiffRows& over, size_t n) {
  std::vector<int64_t> ids;
  for (const auto& [id, row] : first_members(b, over, n)) ids.push_back(id);
  return ids;
}

}  // namespace

// The n smallest ids kept in a heap, so a set of millions is not sorted for ten of them.
// Below `sorted_rows` ids grow with the row, so once the heap is full and such a row is no
// smaller than its largest, none up to there is.
std::vector<std::pair<int64_t, uint64_t>> first_members(const Bits& b, const DiffRows& over, size_t n) {
  std::vector<std::pair<int64_t, uint64_t>> out;  // (id, row), a max-heap by id until sorted
  if (n == 0) return out;
  size_t w = 0;
  uint64_t m = b.empty() ? 0 : b[0];
  while (w < b.size()) {
    if (!m) {
      if (++w < b.size()) m = b[w];
      continue;
    }
    const uint64_t row = w * 64 + static_cast<uint64_t>(__builtin_ctzll(m));
    m &= m - 1;
    const int64_t id = over.id_at(row);
    if (out.size() < n) {
      out.emplace_back(id, row);
      std::push_heap(out.begin(), out.end());
    } else if (id < out.front().first) {
      std::pop_heap(out.begin(), out.end());
      out.back() = {id, row};
      std::push_heap(out.begin(), out.end());
    } else if (row < over.sorted_rows) {
      w = over.sorted_rows / 64;
      m = w < b.size() ? b[w] & (~uint64_t{0} << (over.sorted_rows % 64)) : 0;
    }
  }
  std::sort_heap(out.begin(), out.end());
  return out;
}

Diff diff_rows(const Rule::Impl& before, const Rule::Impl& after, const seg::Schema& schema, const DiffRows& over,
               size_t sample) {
  auto t0 = std::chrono::steady_clock::now();
  const ir::Node& a = *before.ir;
  const ir::Node& b = *after.ir;
  Bits old_rows = over.rows_of(a), new_rows = over.rows_of(b);
  Bits entered(over.words), exited(over.words), stayed(over.words);
  for (size_t w = 0; w < over.words; ++w) {
    entered[w] = new_rows[w] & ~old_rows[w];
    exited[w] = old_rows[w] & ~new_rows[w];
    stayed[w] = old_rows[w] & new_rows[w];
  }
  Diff d;
  d.before_text = before.text;
  d.after_text = after.text;
  d.before = count_of(old_rows);
  d.after = count_of(new_rows);
  d.entered = count_of(entered);
  d.exited = count_of(exited);
  d.stayed = count_of(stayed);
  d.entered_sample = sample_of(entered, over, sample);
  d.exited_sample = sample_of(exited, over, sample);
  d.exited_because = because(b, exited, schema, over);
  d.entered_because = because(a, entered, schema, over);
  d.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return d;
}

Diff diff(const Query& before, const Query& after, const RunOptions& options, size_t sample) {
  need(before.impl, "diff");  // an empty Query said as such, not as one of another Store
  need(after.impl, "diff");
  if (before.impl->store.get() != after.impl->store.get())
    throw std::invalid_argument("seg::api::diff: both queries must be prepared on the same Store");
  const rt::Store& s = before.impl->store->store;
  const int64_t now = options.now ? *options.now : clock_now();
  DiffRows over;
  over.words = rt::words_for(s.rows());
  over.rows_of = [&](const ir::Node& ir) { return rows_of(ir, s, now, options.threads); };
  over.id_at = [&](uint64_t row) { return s.id_at(row); };
  over.sorted_rows = s.ids_sorted() ? s.rows() : 0;
  return diff_rows(*before.impl->rule, *after.impl->rule, s.schema(), over, sample);
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
