// What a View of a membership reads (its clients frozen at one version: select, diff, ids,
// clauses) and the membership's own reads of its members (counts, contains, rows).
#include "api/live_impl.hpp"

namespace seg::api {

LiveMembership::View LiveMembership::view() const {
  need(impl, "LiveMembership::view");
  View v;
  v.impl = std::make_shared<const View::Impl>(View::Impl{impl->clients_now(), impl->schema, impl->now, impl->version});
  return v;
}
namespace {
// A rule compiled against a View's schema, or nullopt with its diagnostics appended to the
// caller's (which may hold its own already).
std::optional<Rule> compiled_for(const LiveMembership::View::Impl& v, const std::string& rule_text,
                                 std::vector<Diagnostic>& diagnostics) {
  Rule rule = Rule::compile(rule_text, v.schema);
  if (rule.ok()) return rule;
  diagnostics.insert(diagnostics.end(), rule.diagnostics().begin(), rule.diagnostics().end());
  return std::nullopt;
}
}  // namespace
uint64_t LiveMembership::View::version() const { need(impl, "LiveMembership::View::version"); return impl->version; }
int64_t LiveMembership::View::now() const { need(impl, "LiveMembership::View::now"); return impl->now; }

std::optional<LiveMembership::Selection> LiveMembership::select(const std::string& rule_text, int64_t at, uint64_t preview,
                                                                std::vector<Diagnostic>& diagnostics) const {
  need(impl, "LiveMembership::select");
  return view().select(rule_text, at, preview, diagnostics);
}
std::optional<Diff> LiveMembership::diff(const std::string& before, const std::string& after, int64_t at, size_t sample,
                                         std::vector<Diagnostic>& diagnostics) const {
  need(impl, "LiveMembership::diff");
  return view().diff(before, after, at, sample, diagnostics);
}

std::optional<LiveMembership::Selection> LiveMembership::View::select(const std::string& rule_text, int64_t at,
                                                                      uint64_t preview,
                                                                      std::vector<Diagnostic>& diagnostics) const {
  need(impl, "LiveMembership::View::select");
  auto t0 = std::chrono::steady_clock::now();
  const LiveClients& c = impl->clients;
  std::optional<Rule> rule = compiled_for(*impl, rule_text, diagnostics);
  if (!rule) return std::nullopt;
  LiveClients::Members members = impl->members(*rule->impl->ir, at);
  Selection out;
  out.result.count = rt::popcount_words(members.bits.data(), members.bits.size());
  out.result.rows_total = c.clients;
  out.result.checksum = members.checksum;
  DiffRows ids;
  ids.id_at = [&](uint64_t global) { return c.id_at(global); };
  ids.sorted_rows = c.sorted_rows();
  std::vector<std::pair<const rt::Store*, uint64_t>> cells;
  for (const auto& [id, global] : first_members(members.bits, ids, static_cast<size_t>(preview))) {
    uint64_t row;
    const rt::Store& st = c.part_of(global, row);
    cells.emplace_back(&st, row);
  }
  out.first = page_of_cells(*c.base, cells);
  out.result.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

std::optional<std::vector<int64_t>> LiveMembership::View::ids(const std::string& rule_text, int64_t at,
                                                              std::vector<Diagnostic>& diagnostics) const {
  need(impl, "LiveMembership::View::ids");
  const LiveClients& c = impl->clients;
  std::optional<Rule> rule = compiled_for(*impl, rule_text, diagnostics);
  if (!rule) return std::nullopt;
  const LiveClients::Members members = impl->members(*rule->impl->ir, at, false);
  std::vector<int64_t> out;
  out.reserve(rt::popcount_words(members.bits.data(), members.bits.size()));
  for_each_row(members.bits, [&](uint64_t global) { out.push_back(c.id_at(global)); });
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Store::ValueCount> LiveMembership::View::value_counts(size_t field) const {
  need(impl, "LiveMembership::View::value_counts");
  const View::Impl& v = (*impl);
  const LiveClients& c = v.clients;
  const seg::Schema& sc = internal::schema(v.schema);
  // A small integer field's values over the base and every batch (a batch may bring others).
  std::optional<std::pair<int64_t, int64_t>> small;
  if (field < sc.fields.size() && !sc.fields[field].is_dictionary() &&
      (sc.fields[field].type == seg::FieldType::Int || sc.fields[field].type == seg::FieldType::Bool)) {
    bool any = false;
    int64_t lo = 0, hi = 0;
    for (const LivePart& p : c.parts) {
      const auto& meta = p.store->column(static_cast<int>(field)).meta;
      if (!meta.has_values) continue;
      lo = any ? std::min(lo, meta.min) : meta.min;
      hi = any ? std::max(hi, meta.max) : meta.max;
      any = true;
    }
    if (any && static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) < 256) small = std::pair{lo, hi};
  }
  auto members = [&](const ir::Node& q) {
    const LiveClients::Members m = c.members(q, v.now, false);
    return rt::popcount_words(m.bits.data(), m.bits.size());
  };
  auto format = [&](int64_t x) { return c.base->format_value(static_cast<int>(field), x); };
  if (field >= sc.fields.size() || !sc.fields[field].is_dictionary() || c.parts.size() < 2)
    return count_values(sc, field, small, format, members);
  // A dictionary's values: each one's clients are the base's (one plan a value over the base
  // alone, through its containers), less the base's rows that are no client's any more, plus
  // the batches' live rows, each read once for all values. (Through `members`, each value
  // took a plan on every batch's part: with thousands of batches bringing tags, the schema
  // took minutes; found by a review of how things scale.)
  const int f = static_cast<int>(field);
  std::vector<uint32_t> dead;
  c.dead.for_each([&](uint32_t g) { dead.push_back(g); });
  std::sort(dead.begin(), dead.end());
  std::unordered_map<std::string, int64_t> delta;  // by key: batches' live rows less the base's dead ones
  auto tally = [&](const rt::Store& s, const std::vector<uint64_t>& rows, int64_t sign) {
    const seg::Field& sf = s.schema().fields[field];
    if (sf.type == seg::FieldType::Set) {
      for (const auto& codes : s.tags_of_rows(f, rows))
        for (uint32_t code : codes) delta[sf.dict[code].key] += sign;
      return;
    }
    for (uint64_t r : rows)
      if (!s.column(f).is_null(r)) delta[s.format_value(f, s.column(f).value_at(r))] += sign;
  };
  std::vector<uint64_t> rows;
  for (uint32_t g : dead)
    if (g < c.base->rows()) rows.push_back(g);
  tally(*c.base, rows, -1);
  for (size_t p = 1; p < c.parts.size(); ++p) {
    rows.clear();
    for (uint64_t r = 0; r < c.parts[p].store->rows(); ++r)
      if (!std::binary_search(dead.begin(), dead.end(), static_cast<uint32_t>(c.parts[p].first + r))) rows.push_back(r);
    tally(*c.parts[p].store, rows, +1);
  }
  return count_values(sc, field, small, format, [&](const ir::Node& q) -> uint64_t {
    const bool one_value = (q.kind == ir::Kind::SetAny || q.kind == ir::Kind::In) && !q.negated &&
                           q.values.codes.size() + q.values.unknown.size() == 1 && q.values.names.empty();
    if (!one_value) return members(q);  // the nulls: as a rule counts them
    // A value known elsewhere has holders in the base too once a compaction wrote it there.
    const std::string& key =
        q.values.unknown.empty() ? sc.fields[field].dict[static_cast<uint32_t>(q.values.codes[0])].key : q.values.unknown[0];
    const uint64_t in_base =
        rt::evaluate(rt::build_plan(q, *c.base, v.now, {.labels = false, .exact_names = true}), *c.base, rt::EvalOptions{}).count;
    return static_cast<uint64_t>(std::max<int64_t>(0, static_cast<int64_t>(in_base) + delta[key]));
  });
}

std::optional<std::vector<int64_t>> LiveMembership::View::absent(size_t field, const std::vector<int64_t>& values) const {
  need(impl, "LiveMembership::View::absent");
  const LiveClients& c = impl->clients;
  return absent_values(c.base->schema(), field, values, [&](const ir::Node& in) {
    const LiveClients::Members members = c.members(in, impl->now, false);
    std::vector<int64_t> held;
    for_each_row(members.bits, [&](uint64_t global) {
      uint64_t row;
      held.push_back(c.part_of(global, row).column(in.field).value_at(row));
    });
    return held;
  });
}

std::optional<Diff> LiveMembership::View::diff(const std::string& before, const std::string& after, int64_t at,
                                               size_t sample, std::vector<Diagnostic>& diagnostics) const {
  need(impl, "LiveMembership::View::diff");
  const LiveClients& c = impl->clients;
  // Both rules compiled and all their diagnostics given, warnings too, each sourced by its
  // side as `seg diff` names them: it stopped at the first bad rule, every one sourced
  // `<rule>`, so an editor could not tell which to underline (found by a review).
  Rule rules[2] = {Rule::compile(before, impl->schema, RuleFormat::Text, "<before>"),
                   Rule::compile(after, impl->schema, RuleFormat::Text, "<after>")};
  for (const Rule& r : rules) diagnostics.insert(diagnostics.end(), r.diagnostics().begin(), r.diagnostics().end());
  if (!rules[0].ok() || !rules[1].ok()) return std::nullopt;
  DiffRows over;
  over.words = rt::words_for(c.next_row);
  over.rows_of = [&](const ir::Node& ir) { return impl->members(ir, at, false).bits; };
  over.id_at = [&](uint64_t global) { return c.id_at(global); };
  over.sorted_rows = c.sorted_rows();
  return diff_rows(*rules[0].impl, *rules[1].impl, c.base->schema(), over, sample);
}

std::optional<ExplainNode> LiveMembership::View::clauses(const std::string& rule_text, int64_t at,
                                                         std::vector<Diagnostic>& diagnostics) const {
  need(impl, "LiveMembership::View::clauses");
  const LiveClients& c = impl->clients;
  std::optional<Rule> rule = compiled_for(*impl, rule_text, diagnostics);
  if (!rule) return std::nullopt;
  return clause_figures(*rule->impl->ir, c.base->schema(), c.everyone(),
                        [&](const ir::Node& ir) { return impl->members(ir, at, false).bits; });
}

uint64_t LiveMembership::clients() const { need(impl, "LiveMembership::clients"); return impl->live.count(); }
std::vector<SegmentCount> LiveMembership::counts() const {
  need(impl, "LiveMembership::counts");
  std::vector<SegmentCount> out;
  for (const auto& s : impl->segs) out.push_back({s.id, impl->sets[s.distinct].count()});
  return out;
}
uint64_t LiveMembership::count(int64_t segment) const { need(impl, "LiveMembership::count"); return impl->set(segment).count(); }
bool LiveMembership::contains(int64_t segment, int64_t client) const {
  need(impl, "LiveMembership::contains");
  const rt::RowSet& s = impl->set(segment);
  auto r = impl->row_of(client);
  return r && s.contains(static_cast<uint32_t>(*r));
}
std::vector<int64_t> LiveMembership::ids(int64_t segment) const { need(impl, "LiveMembership::ids"); return impl->ids_of(impl->set(segment)); }

Page LiveMembership::rows(const std::vector<int64_t>& ids, const std::vector<size_t>& fields) const {
  need(impl, "LiveMembership::rows");
  const Impl& m = *impl;
  std::vector<std::pair<const rt::Store*, uint64_t>> cells;
  std::vector<size_t> gone;  // positions in `ids` of clients nobody is now
  for (size_t i = 0; i < ids.size(); ++i) {
    if (auto r = m.row_of(ids[i])) {
      uint64_t row;
      const rt::Store& st = m.part_of(*r, row);
      cells.emplace_back(&st, row);
    } else {
      gone.push_back(i);
    }
  }
  Page p = page_of_cells(*m.base, cells, fields);
  if (gone.empty()) return p;
  // The columns are the page's; the id's is found by name.
  const int id_field = m.base->id_field();
  const std::string id_name = id_field >= 0 ? m.base->schema().fields[static_cast<size_t>(id_field)].name : "";
  Page out;
  out.columns = p.columns;
  size_t kept = 0, g = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (g < gone.size() && gone[g] == i) {
      ++g;
      std::vector<Value> row(out.columns.size());
      std::vector<std::string> text(out.columns.size());
      for (size_t c = 0; c < out.columns.size(); ++c)
        if (out.columns[c] == id_name) {
          row[c] = ids[i];
          text[c] = std::to_string(ids[i]);
        }
      out.rows.push_back(std::move(row));
      out.text.push_back(std::move(text));
    } else {
      out.rows.push_back(std::move(p.rows[kept]));
      out.text.push_back(std::move(p.text[kept]));
      ++kept;
    }
  }
  return out;
}

}  // namespace seg::api
