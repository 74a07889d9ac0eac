// Query: a rule prepared against a store, run for a count, ids, a page of rows, members read a
// batch at a time (MemberCursor) or an explain tree.
#include "seg/seg.hpp"
#include "api/internal.hpp"
#include "api/impl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <type_traits>
#include <variant>

#include "base/limits.hpp"
#include "base/time_util.hpp"
#include "compiler/check.hpp"
#include "compiler/compile.hpp"
#include "compiler/complete.hpp"
#include "adapters/form.hpp"
#include "adapters/export.hpp"
#include "adapters/import.hpp"
#include "sql/sql.hpp"
#include "sources/postgres.hpp"
#include "compiler/ir_json.hpp"
#include "compiler/passes/pass.hpp"
#include "schema/schema.hpp"
#include "runtime/exec/evaluate.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/storage/snapshot.hpp"

#include <nlohmann/json.hpp>

namespace seg::api {


std::optional<Query> Query::prepare(const Rule& rule, const Store& store, std::vector<Diagnostic>& diagnostics) {
  if (!rule.impl || !store.impl) {
    diagnostics.push_back(empty_argument(rule.impl ? "Store" : "Rule"));
    return std::nullopt;
  }
  if (!rule.ok()) {
    Diagnostic d;
    d.code = "E801";
    d.message = "the rule has errors; it cannot run";
    d.source = "<rule>";
    diagnostics.push_back(std::move(d));
    return std::nullopt;
  }
  // Codes in the IR are the schema's; the store's schema may only extend its dictionaries.
  std::string why = schema_difference(rule.impl->schema->schema, store.impl->store.schema());
  if (!why.empty()) {
    Diagnostic d;
    d.code = "E802";
    d.message = "the rule was compiled against another schema than the store's: " + why;
    // Both names: the C API passes this on as it is (seg_query_prepare).
    d.suggestion = "compile the rule with the store's schema (Store::schema(), seg_store_schema())";
    d.source = "<rule>";
    diagnostics.push_back(std::move(d));
    return std::nullopt;
  }
  return Query{std::make_shared<const Impl>(Impl{store.impl, rule.impl})};
}

namespace {
rt::EvalResult run(const Query::Impl& q, const RunOptions& o, bool rows, bool explain, rt::Plan* plan_out = nullptr,
                  uint64_t max_rows = UINT64_MAX) {
  const rt::Store& s = q.store->store;
  rt::Plan plan = rt::build_plan(*q.rule->ir, s, o.now ? *o.now : clock_now(), {.jit = o.jit});
  rt::EvalOptions eo;
  eo.threads = std::max(1u, o.threads);
  eo.want_rows = rows || o.want_ids;
  if (!o.want_ids) eo.max_rows = max_rows;  // ids asked for are all of them
  eo.explain = explain;
  rt::EvalResult r = rt::evaluate(plan, s, eo);
  r.jit_warning = plan.jit_warning;
  if (plan_out) *plan_out = std::move(plan);
  return r;
}

Value cell(const rt::Store& s, int f, uint64_t row) {
  const Field& fd = s.schema().fields[static_cast<size_t>(f)];
  const rt::Column& c = s.column(f);
  if (fd.type == seg::FieldType::Set) {
    std::vector<std::string> tags;
    for (uint32_t t : s.tags_at(f, row)) tags.push_back(fd.dict[t].key);
    return tags;
  }
  if (c.is_null(row)) return std::monostate{};
  int64_t v = c.value_at(row);
  switch (fd.type) {
    case seg::FieldType::Int: return v;
    case seg::FieldType::Bool: return v != 0;
    case seg::FieldType::Decimal:
    case seg::FieldType::Timestamp:
    case seg::FieldType::Enum:
    case seg::FieldType::String:
    case seg::FieldType::Set: break;  // exact text: decimals, timestamps, keys, strings
  }
  return s.format_value(f, v);
}

ExplainNode explain_node(const rt::PlanNode& n, const rt::Store& s, const rt::EvalResult& r) {
  ExplainNode e;
  e.label = rt::plan_label(n);
  e.op = rt::op_name(n.op);
  e.kernel = rt::plan_kernel(n, s);
  e.estimated_selectivity = n.selectivity;
  e.estimated_cost = n.cost;
  if (static_cast<size_t>(n.id) < r.stats.size()) {
    const rt::NodeStats& st = r.stats[static_cast<size_t>(n.id)];
    e.rows_in = st.rows_in;
    e.rows_out = st.rows_out;
    e.ms = st.ns / 1e6;
    e.blocks = st.calls;
    e.zone_skipped = st.zone_skipped;
  }
  for (const auto& k : n.kids) e.children.push_back(explain_node(k, s, r));
  return e;
}

Result result_of(rt::EvalResult& r, const rt::Store& s, bool ids) {
  Result out{r.count, s.rows(), r.checksum, r.elapsed_ms, {}, {}};
  if (ids) out.ids = std::move(r.ids);
  if (!r.jit_warning.empty()) out.warnings.push_back(r.jit_warning);
  return out;
}
}  // namespace

Result Query::count(const RunOptions& options) const {
  need(impl, "Query::count");
  rt::EvalResult r = run(*impl, options, false, false);
  return result_of(r, impl->store->store, options.want_ids);
}

uint64_t Query::count_after(int64_t after, const RunOptions& options) const {
  need(impl, "Query::count_after");
  const rt::Store& s = impl->store->store;
  if (after == ir::kMax) return 0;
  if (s.id_field() < 0) {  // no id field: members are numbered by row, as MemberCursor numbers them
    uint64_t n = 0;
    for (uint64_t row : run(*impl, options, true, false).rows) n += static_cast<int64_t>(row + 1) > after;
    return n;
  }
  // The rule and `id > after`, as IR: no text is pasted, so no limit of rule text is crossed.
  ir::Node above;
  above.kind = ir::Kind::Range;
  above.field = s.id_field();
  above.lo = ir::Bound{after + 1, false};
  std::vector<ir::Node> both{*impl->rule->ir, std::move(above)};
  rt::Plan plan = rt::build_plan(ir::Node::conj(ir::Kind::And, std::move(both)), s, options.now ? *options.now : clock_now(),
                                 {.jit = options.jit});
  rt::EvalOptions eo;
  eo.threads = std::max(1u, options.threads);
  return rt::evaluate(plan, s, eo).count;
}

std::vector<int64_t> Query::ids(const RunOptions& options) const { need(impl, "Query::ids"); return run(*impl, options, true, false).ids; }

Page page_of_cells(const rt::Store& s, const std::vector<std::pair<const rt::Store*, uint64_t>>& rows,
                   const std::vector<size_t>& fields) {
  Page p;
  std::vector<int> order;
  for (size_t f : fields) {
    // A position past the schema is the caller's mistake, said rather than left out: a
    // page without the column asked for looked like a page of it (found by a review).
    if (f >= s.schema().fields.size())
      throw std::out_of_range(fmt::format("seg::api: field position {} is past the schema's {} fields", f,
                                          s.schema().fields.size()));
    order.push_back(static_cast<int>(f));
  }
  if (fields.empty()) {
    if (s.id_field() >= 0) order.push_back(s.id_field());
    for (int f = 0; f < static_cast<int>(s.schema().fields.size()); ++f)
      if (f != s.id_field()) order.push_back(f);
  }
  for (int f : order) p.columns.push_back(s.schema().fields[static_cast<size_t>(f)].name);
  // Set cells a column at a time, each store's rows together (tags_of_rows reads a block's
  // containers once for all its rows), once for both forms of the cell: member streams with
  // `tags` were 40x slower than other columns.
  std::map<int, std::vector<std::vector<uint32_t>>> set_codes;
  std::map<const rt::Store*, std::pair<std::vector<size_t>, std::vector<uint64_t>>> by_store;  // positions, rows
  for (size_t i = 0; i < rows.size(); ++i) {
    auto& [at, rs] = by_store[rows[i].first];
    at.push_back(i);
    rs.push_back(rows[i].second);
  }
  for (int f : order) {
    if (s.schema().fields[static_cast<size_t>(f)].type != seg::FieldType::Set) continue;
    auto& codes = set_codes[f];
    codes.resize(rows.size());
    for (const auto& [store, where] : by_store) {
      const auto& [at, rs] = where;
      auto found = store->tags_of_rows(f, rs);
      for (size_t j = 0; j < at.size(); ++j) codes[at[j]] = std::move(found[j]);
    }
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto [store, r] = rows[i];
    std::vector<Value> row;
    std::vector<std::string> text;
    for (int f : order) {
      if (store->schema().fields[static_cast<size_t>(f)].type == seg::FieldType::Set) {
        const std::vector<uint32_t>& codes = set_codes[f][i];
        std::vector<std::string> keys;
        for (uint32_t t : codes) keys.push_back(store->schema().fields[static_cast<size_t>(f)].dict[t].key);
        row.push_back(std::move(keys));
        text.push_back(store->format_tags(f, codes));
        continue;
      }
      row.push_back(cell(*store, f, r));
      text.push_back(store->format_cell(f, r));
    }
    p.rows.push_back(std::move(row));
    p.text.push_back(std::move(text));
  }
  return p;
}

namespace {
// Rows [first, last) of `rows` as a page: the fields at `fields`, or the id field first and
// then the schema's others.
Page page_of(const rt::Store& s, const std::vector<uint64_t>& rows, uint64_t first, uint64_t last,
             const std::vector<size_t>& fields = {}) {
  std::vector<std::pair<const rt::Store*, uint64_t>> at;
  for (uint64_t i = first; i < last; ++i) at.emplace_back(&s, rows[i]);
  return page_of_cells(s, at, fields);
}
}  // namespace

Page Query::rows(uint64_t offset, uint64_t limit, const RunOptions& options) const {
  need(impl, "Query::rows");
  // Only the members up to the page's end are collected (a page of a broad rule was slow).
  uint64_t end = limit > UINT64_MAX - offset ? UINT64_MAX : offset + limit;
  rt::EvalResult r = run(*impl, options, true, false, nullptr, end);
  const rt::Store& s = impl->store->store;
  uint64_t first = std::min<uint64_t>(offset, r.rows.size());
  uint64_t last = first + std::min<uint64_t>(limit, r.rows.size() - first);
  Page p = page_of(s, r.rows, first, last);
  p.offset = first;
  p.result = result_of(r, s, options.want_ids);
  return p;
}

struct MemberCursor::Impl {
  std::shared_ptr<const Query::Impl> query;
  rt::Plan plan;  // built once: one `now` for every batch
  unsigned threads = 1;
  std::optional<int64_t> after;
  uint64_t next_block = 0;
  bool collected_all = false;  // ids not in row order: everything was evaluated at once
  std::vector<int64_t> ids;    // the batch being handed out
  std::vector<uint64_t> rows;
  size_t at = 0;

  // 16 blocks of 65,536 rows: a batch of at most a million members (16 MB of ids and rows).
  static inline std::atomic<uint64_t> batch_blocks{16};

  // True with members waiting in the batch; false at the end.
  bool fill() {
    const rt::Store& s = query->store->store;
    while (at >= ids.size()) {
      rt::EvalOptions eo;
      eo.threads = threads;
      eo.want_rows = true;
      if (s.ids_sorted()) {
        if (next_block >= s.blocks()) return false;
        eo.first_block = next_block;
        eo.end_block = next_block + batch_blocks.load();
        next_block = eo.end_block;
      } else if (collected_all) {
        return false;
      } else {
        collected_all = true;
      }
      rt::EvalResult r = rt::evaluate(plan, s, eo);
      ids = std::move(r.ids);
      rows = std::move(r.rows);
      at = after ? static_cast<size_t>(std::upper_bound(ids.begin(), ids.end(), *after) - ids.begin()) : 0;
    }
    return true;
  }
};

MemberCursor Query::members(const RunOptions& options, std::optional<int64_t> after) const {
  need(impl, "Query::members");
  MemberCursor c;
  c.impl = std::make_shared<MemberCursor::Impl>();
  c.impl->query = impl;
  c.impl->plan = rt::build_plan(*impl->rule->ir, impl->store->store, options.now ? *options.now : clock_now(),
                                {.jit = options.jit});
  c.impl->threads = std::max(1u, options.threads);
  c.impl->after = after;
  return c;
}

std::vector<int64_t> MemberCursor::next_ids(size_t max) {
  need(impl, "MemberCursor::next_ids");
  std::vector<int64_t> out;
  while (out.size() < std::max<size_t>(max, 1) && impl->fill()) {
    size_t n = std::min(std::max<size_t>(max, 1) - out.size(), impl->ids.size() - impl->at);
    out.insert(out.end(), impl->ids.begin() + static_cast<std::ptrdiff_t>(impl->at),
               impl->ids.begin() + static_cast<std::ptrdiff_t>(impl->at + n));
    impl->at += n;
  }
  return out;
}

Page MemberCursor::next_rows(size_t max, const std::vector<size_t>& fields) {
  need(impl, "MemberCursor::next_rows");
  const rt::Store& s = impl->query->store->store;
  // One batch at most per call: a page never spans two evaluations' vectors.
  if (!impl->fill()) return page_of(s, {}, 0, 0, fields);
  size_t n = std::min(std::max<size_t>(max, 1), impl->ids.size() - impl->at);
  Page p = page_of(s, impl->rows, impl->at, impl->at + n, fields);
  impl->at += n;
  return p;
}

bool MemberCursor::done() { need(impl, "MemberCursor::done"); return !impl->fill(); }

Explain Query::explain(const RunOptions& options) const {
  need(impl, "Query::explain");
  rt::Plan plan;
  rt::EvalResult r = run(*impl, options, false, true, &plan);
  const rt::Store& s = impl->store->store;
  Explain e;
  e.root = explain_node(plan.root, s, r);
  e.path = rt::plan_path(plan, s);
  e.blocks = r.blocks;
  e.threads = r.threads;
  e.result = result_of(r, s, options.want_ids);
  return e;
}

namespace {
nlohmann::ordered_json explain_json(const ExplainNode& n) {
  nlohmann::ordered_json j;
  j["op"] = n.op;
  j["label"] = n.label;
  j["kernel"] = n.kernel;
  j["estimated_selectivity"] = n.estimated_selectivity;
  j["estimated_cost"] = n.estimated_cost;
  j["rows_in"] = n.rows_in;
  j["rows_out"] = n.rows_out;
  j["ms"] = n.ms;
  j["blocks"] = n.blocks;
  j["zone_skipped"] = n.zone_skipped;
  if (!n.children.empty()) {
    auto& kids = j["children"] = nlohmann::ordered_json::array();
    for (const auto& k : n.children) kids.push_back(explain_json(k));
  }
  return j;
}
}  // namespace

std::string ExplainNode::json() const { return explain_json(*this).dump(); }

}  // namespace seg::api

namespace seg::api::internal {
void set_member_batch_blocks(uint64_t blocks) { MemberCursor::Impl::batch_blocks = std::max<uint64_t>(blocks, 1); }
}  // namespace seg::api::internal
