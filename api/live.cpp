// seg::api::LiveMembership: every segment's members kept current as client rows change and
// time passes (docs/membership.md). The data is the base snapshot plus one small store per
// batch ("parts"); a client's row is its newest one, and rows are numbered across parts
// ("global rows", what the segments' Roaring bitmaps hold). A batch re-evaluates only its own
// rows, against every segment; a clock step re-evaluates the segments whose rules name `now`.
// Every change is appended to the directory's log and flushed before it is applied, and
// opening replays the log through the same code, so the state after a crash is that of the
// changes acknowledged.
#include "api/live_impl.hpp"

namespace seg::api {

void moving_bounds(const ir::Node& n, std::vector<MovingBound>& out) {
  if (n.kind == ir::Kind::Range) {
    if (n.lo.now_relative) out.push_back({n.field, n.lo.value});
    if (n.hi.now_relative) out.push_back({n.field, n.hi.value});
  }
  for (const auto& c : n.children) moving_bounds(c, out);
}

namespace {
void with_keys_in(ir::Node& n, const seg::Schema& schema, std::map<int, DictionaryResolver>& resolvers) {
  if (!n.values.unknown.empty() && n.field >= 0 && static_cast<size_t>(n.field) < schema.fields.size()) {
    DictionaryResolver& r = resolvers.try_emplace(n.field, schema.fields[static_cast<size_t>(n.field)].dict).first->second;
    std::vector<std::string> several;
    for (auto& name : n.values.unknown)
      if (auto key = r.resolve_key(name, several)) name = std::move(*key);
  }
  for (auto& c : n.children) with_keys_in(c, schema, resolvers);
}
void unknown_names(const ir::Node& n, std::vector<std::string>& out) {
  out.insert(out.end(), n.values.unknown.begin(), n.values.unknown.end());
  for (const auto& c : n.children) unknown_names(c, out);
}
}  // namespace

ir::Node with_keys(const ir::Node& rule, const seg::Schema& schema) {
  ir::Node out = rule;
  std::map<int, DictionaryResolver> resolvers;
  with_keys_in(out, schema, resolvers);
  return out;
}

nlohmann::json dictionary_sizes(const seg::Schema& schema) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& f : schema.fields)
    if (f.is_dictionary() && f.dict.open) out[f.name] = f.dict.size();
  return out;
}

seg::Schema with_first_dictionaries(seg::Schema schema, const nlohmann::json& sizes) {
  if (!sizes.is_object()) throw std::invalid_argument("dictionary_sizes is not an object");
  for (auto& f : schema.fields) {
    if (!sizes.contains(f.name)) continue;
    const auto n = sizes.at(f.name).get<uint32_t>();
    if (!f.dict.open || n > f.dict.size()) throw std::invalid_argument("dictionary_sizes names more values than " + f.name + " has");
    std::vector<std::string> past;
    for (uint32_t c = n; c < f.dict.size(); ++c) past.push_back(f.dict[c].key);
    while (f.dict.size() > n) f.dict.pop_back();
    for (auto& k : past) f.dict.add_known_elsewhere(std::move(k));
  }
  return schema;
}

bool has_names(const ir::Node& rule) {
  if (!rule.values.unknown.empty()) return true;
  for (const auto& c : rule.children)
    if (has_names(c)) return true;
  return false;
}

bool same_names(const ir::Node& a, const ir::Node& b) {
  std::vector<std::string> x, y;
  unknown_names(a, x);
  unknown_names(b, y);
  return x == y;
}

// The rows of part `p` that `rule` holds at `at`, numbered within the part, ascending. A part
// of a few rows is tested row by row: a block evaluation's set-up costs more there.
std::vector<uint32_t> matches_in(const ir::Node& rule, const LivePart& p, int64_t at) {
  std::vector<uint32_t> out;
  const uint64_t n = p.store->rows();
  if (n == 0) return out;
  const rt::Plan plan = rt::build_plan(rule, *p.store, at, {.labels = false, .exact_names = true});
  if (n <= g_row_by_row) {
    for (uint64_t r = 0; r < n; ++r)
      if (rt::eval_row(plan.root, *p.store, r)) out.push_back(static_cast<uint32_t>(r));
    return out;
  }
  const rt::EvalResult r = rt::evaluate(plan, *p.store, {.want_bitmap = true});
  out.reserve(r.count);
  for_each_row(r.bitmap, [&](uint64_t row) { out.push_back(static_cast<uint32_t>(row)); });
  return out;
}

// The store holding global row `global` among `parts` (ascending by first row), and its row there.
const rt::Store& part_in(const std::vector<LivePart>& parts, uint64_t global, uint64_t& row) {
  auto it = std::upper_bound(parts.begin(), parts.end(), global, [](uint64_t g, const LivePart& p) { return g < p.first; });
  const LivePart& p = *(it - 1);
  row = global - p.first;
  return *p.store;
}

namespace internal {
void set_clock_rows_limit(uint64_t rows) { g_clock_rows_limit = rows; }
void set_row_by_row_limit(uint64_t clients) { g_row_by_row = clients; }
void set_compact_rows(uint64_t rows) { g_compact_rows = rows; }
void set_compaction_hold(bool hold) { g_compaction_hold = hold; }
void fail_next_apply() { g_fail_next_apply = true; }
void set_max_rows(uint64_t rows) { g_max_rows = rows ? std::min(rows, rt::kMaxMembershipRows) : rt::kMaxMembershipRows; }
}  // namespace internal

void append_json(std::string& out, const MemberEvent& e) {
  fmt::format_to(std::back_inserter(out), R"({{"segment":{},"client":{},"event":"{}","version":{}}})", e.segment, e.client,
                 e.entered ? "entered" : "exited", e.version);
}

std::string to_json_lines(const std::vector<MemberEvent>& events) {
  std::string out;
  out.reserve(events.size() * 64);
  for (const auto& e : events) {
    append_json(out, e);
    out += '\n';
  }
  return out;
}

std::optional<LiveMembership> LiveMembership::create(const std::string& dir, const Store& base,
                                                     const std::vector<std::pair<int64_t, std::string>>& segments,
                                                     int64_t now, std::vector<Diagnostic>& diagnostics) {
  if (!base.impl) {
    diagnostics.push_back(empty_argument("Store"));
    return std::nullopt;
  }
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    diagnostics.push_back(problem("E803", dir, "a membership directory must be new or empty",
                                  "open it instead (seg apply/members/events --state), or name a new directory"));
    return std::nullopt;
  }
  fs::create_directories(dir, ec);
  if (ec) {
    diagnostics.push_back(problem("E701", dir, "cannot be made: " + ec.message(), "", true));
    return std::nullopt;
  }
  // Every rule must compile before anything is written.
  nlohmann::json segs = nlohmann::json::array();
  std::map<int64_t, bool> seen;
  // Every segment's problems are said, not only the first one's (a host shows them all).
  bool refused = false;
  for (const auto& [id, text] : segments) {
    Rule r = Rule::compile(text, base.schema());
    if (!r.ok()) {
      for (auto d : r.diagnostics()) {
        d.source = "segment " + std::to_string(id);
        diagnostics.push_back(std::move(d));
      }
      refused = true;
    }
    if (!seen.emplace(id, true).second) {
      diagnostics.push_back(problem("E807", "segments", "segment " + std::to_string(id) + " is given twice"));
      refused = true;
    }
    if (r.ok()) segs.push_back({{"id", id}, {"rule", r.canonical_text()}});
  }
  if (refused) return std::nullopt;
  std::string error;
  if (!rt::write_snapshot(internal::store(base), dir + "/base.seg", error) || !fsync_path(dir + "/base.seg") ||
      !write_durably(dir, "log", std::string(kLogMagic, kMagicBytes), error) ||
      // Last: a directory without it is one whose making did not finish.
      !write_durably(dir, "segments.json", nlohmann::json{{"now", now}, {"segments", segs}}.dump(1) + "\n", error)) {
    diagnostics.push_back(problem("E701", dir, error.empty() ? "cannot be written" : error, "", true));
    return std::nullopt;
  }
  return open(dir, diagnostics);
}

std::optional<LiveMembership> LiveMembership::open(const std::string& dir, std::vector<Diagnostic>& diagnostics,
                                                   std::optional<uint64_t> at, std::vector<MemberEvent>* events,
                                                   uint64_t since) {
  return open_membership(dir, diagnostics, at, events, since, !at);
}

std::optional<LiveMembership> LiveMembership::read(const std::string& dir, std::vector<Diagnostic>& diagnostics,
                                                   std::optional<uint64_t> at, std::vector<MemberEvent>* events,
                                                   uint64_t since) {
  return open_membership(dir, diagnostics, at, events, since, false);
}

std::optional<std::vector<MemberEvent>> LiveMembership::apply(const ClientBatch& batch, std::vector<Diagnostic>& diagnostics) {
  need(impl, "LiveMembership::apply");
  if (impl->read_only) throw std::logic_error("seg::api::LiveMembership: opened read-only (at a version)");
  take_over_if_done(impl);
  Impl& m = *impl;
  std::shared_ptr<const rt::Store> rows;
  if (has_rows(batch.rows)) {
    // Against the base's schema: dictionary codes the base knows stay theirs. A row of a
    // client the batch also deletes is refused at its line (E804).
    rt::LoadOptions lo;
    lo.refused_ids = batch.deletes;
    std::sort(lo.refused_ids.begin(), lo.refused_ids.end());
    lo.refused_id_code = "E804";
    lo.refused_id_reason = "is both upserted and deleted in this batch";
    lo.whole_rows = true;  // a field left out would erase the client's
    rt::LoadResult r = rt::load_text(batch.rows, "batch", m.base->schema(), lo);
    if (!r.ok()) {
      for (const auto& e : r.errors) {
        diagnostics.push_back(from_load(e));
        if (e.code == "E804") diagnostics.back().suggestion = "send one of the two (a batch is one instant)";
      }
      return std::nullopt;
    }
    // Applied rows are not silent about what a data file's load would say (found by a
    // review): a last row without its newline (W701: maybe cut short), and values the batch
    // added to an open dictionary (W702: a misspelt tag becomes a tag of its own).
    for (const auto& w : r.warnings) diagnostics.push_back(from_load(w));
    const auto added = m.new_values_of(*r.store);  // not those an earlier batch brought
    if (!added.empty()) {
      const auto& fields = internal::schema(m.schema).fields;
      std::string listed;
      for (size_t i = 0; i < added.size() && i < 20; ++i)
        listed += (i ? ", " : "") + fields[added[i].first].name + ": " + capped(added[i].second, 64);
      if (added.size() > 20) listed += fmt::format(" and {} more", added.size() - 20);
      Diagnostic w = problem("W702", "batch",
                             fmt::format("the batch added {} new dictionary value{}: {}", added.size(),
                                         added.size() == 1 ? "" : "s", listed),
                             "check them for typos: a value once added is the dictionary's");
      w.severity = Severity::Warning;
      w.subject = Subject::Data;
      diagnostics.push_back(std::move(w));
    }
    rows = std::make_shared<const rt::Store>(std::move(*r.store));
  }
  // Members are rows of 32 bits (Roaring), and a batch's rows are new rows until a compaction
  // folds them into a base: checked before the batch is logged, since a logged batch that
  // could not be applied would fail every later open's replay (found by a review).
  if (rows && m.next_row + rows->rows() > g_max_rows) {
    // A compaction folds the batches' rows into one a client; one is started here, whatever
    // the wait after a failed one: only applied batches started them, so once past the
    // limit none ever would again (found by a review).
    const bool started = m.compacting || (!m.broken && m.version > m.generation && start_compaction_after_change(m));
    diagnostics.push_back(problem("E810", m.dir,
                                  "this batch would take the membership past " + std::to_string(g_max_rows.load()) +
                                      " rows since its base (" + std::to_string(m.next_row) + " now, " +
                                      std::to_string(rows->rows()) + " in the batch): compactions have not kept up",
                                  std::string("nothing of the batch is kept: ") +
                                      (started ? "a compaction runs now; send it again when it is done"
                                               : "free disk space so a compaction can be written, then send it again") +
                                      ", or send fewer rows at once"));
    return std::nullopt;
  }
  // A batch that changes no client (no rows, and deletes only of ids nobody has) makes no
  // version: nothing is logged and there are no events, and version() stays as it was. An
  // empty version would only tell a sender following the events that nothing happened. A
  // CSV of its header line alone is no rows too (found by a review: it made a version).
  if ((!rows || rows->rows() == 0) && std::none_of(batch.deletes.begin(), batch.deletes.end(), [&](int64_t id) { return m.row_of(id).has_value(); }))
    return std::vector<MemberEvent>{};
  std::string error;
  if (m.broken || !m.log({{"kind", "batch"}, {"version", m.version + 1}, {"deletes", batch.deletes}}, rows ? batch.rows : "", error)) {
    diagnostics.push_back(problem("E701", m.dir + "/log", error.empty() ? "an earlier change failed; reopen the directory" : error,
                                  "nothing of the batch is kept: free space and send it again", true));
    return std::nullopt;
  }
  std::vector<MemberEvent> out;
  m.applying([&] { m.apply_batch(rows, batch.deletes, out); });
  // The batch is applied and durable whatever compaction does: it runs on its own thread,
  // and one that cannot be written leaves this generation as it was (the next batch tries
  // again).
  if (!m.compacting && !m.broken && m.wants_compaction()) start_compaction_after_change(m);
  return out;
}

std::optional<std::vector<MemberEvent>> LiveMembership::update_segments(
    const std::vector<std::pair<int64_t, std::string>>& set, const std::vector<int64_t>& remove,
    std::vector<Diagnostic>& diagnostics) {
  need(impl, "LiveMembership::update_segments");
  if (impl->read_only) throw std::logic_error("seg::api::LiveMembership: opened read-only (at a version)");
  take_over_if_done(impl);
  Impl& m = *impl;
  nlohmann::json listed = nlohmann::json::array();
  std::map<int64_t, int> seen;
  for (int64_t id : remove) seen[id] |= 1;
  for (const auto& [id, text] : set) {
    if (seen[id]) {
      diagnostics.push_back(problem("E807", "segments", "segment " + std::to_string(id) + (seen[id] & 1 ? " is both saved and removed" : " is saved twice"),
                                    "send each segment once (the change is one instant)"));
      return std::nullopt;
    }
    seen[id] |= 2;
    Rule r = Rule::compile(text, m.schema);
    if (!r.ok()) {
      for (auto d : r.diagnostics()) {
        d.source = "segment " + std::to_string(id);
        diagnostics.push_back(std::move(d));
      }
      return std::nullopt;
    }
    // A segment saved with the rule it has changes nothing (found by a review: it made a version).
    if (auto at = m.seg_index.find(id); at != m.seg_index.end() && m.segs[at->second].text == r.canonical_text()) continue;
    listed.push_back({{"id", id}, {"rule", r.canonical_text()}});
  }
  std::vector<int64_t> removed;  // of those it has
  for (int64_t id : remove)
    if (m.seg_index.count(id)) removed.push_back(id);
  if (listed.empty() && removed.empty()) return std::vector<MemberEvent>{};  // no version, as for an empty batch
  std::string error;
  if (m.broken || !m.log({{"kind", "segments"}, {"version", m.version + 1}, {"set", listed}, {"remove", removed}}, "", error)) {
    diagnostics.push_back(problem("E701", m.dir + "/log", error.empty() ? "an earlier change failed; reopen the directory" : error,
                                  "nothing of the change is kept: free space and send it again", true));
    return std::nullopt;
  }
  std::vector<std::pair<int64_t, std::string>> canonical;
  for (const auto& x : listed) canonical.emplace_back(x["id"].get<int64_t>(), x["rule"].get<std::string>());
  std::vector<MemberEvent> out;
  m.applying([&] { m.apply_segments(canonical, removed, out); });
  return out;
}

bool LiveMembership::compact(std::vector<Diagnostic>& diagnostics) {
  need(impl, "LiveMembership::compact");
  if (impl->read_only) throw std::logic_error("seg::api::LiveMembership: opened read-only (at a version)");
  if (impl->compacting && !take_over(impl, true, diagnostics)) return false;
  if (impl->broken) {
    diagnostics.push_back(problem("E701", impl->dir + "/log", "an earlier change failed; reopen the directory", "", true));
    return false;
  }
  if (impl->version == impl->generation) return true;  // nothing since the base
  try {
    start_compaction(*impl);
  } catch (const std::exception& e) {  // no thread (std::system_error), no memory for the copies
    diagnostics.push_back(problem("E701", impl->dir, std::string("the compaction could not start: ") + e.what(), "", true));
    return false;
  }
  return take_over(impl, true, diagnostics);
}

bool LiveMembership::compacting() const { need(impl, "LiveMembership::compacting"); return impl->compacting != nullptr; }
void LiveMembership::set_compact_after(uint64_t rows) {
  need(impl, "LiveMembership::set_compact_after");
  impl->compact_rows = rows;  // read by apply(), on the caller's thread like this call
}

bool LiveMembership::finish_compaction(std::vector<Diagnostic>& diagnostics, bool wait) {
  need(impl, "LiveMembership::finish_compaction");
  if (!impl->compacting) return true;
  return take_over(impl, wait, diagnostics);
}

std::vector<std::pair<int64_t, std::string>> LiveMembership::segments() const {
  need(impl, "LiveMembership::segments");
  std::vector<std::pair<int64_t, std::string>> out;
  for (const auto& sg : impl->segs) out.emplace_back(sg.id, sg.text);
  return out;
}
uint64_t LiveMembership::generation() const { need(impl, "LiveMembership::generation"); return impl->generation; }
uint64_t LiveMembership::newest_generation(const std::string& dir) { return generations(dir).back(); }
const Schema& LiveMembership::schema() const { need(impl, "LiveMembership::schema"); return impl->schema; }

std::optional<std::vector<MemberEvent>> LiveMembership::advance(int64_t now, std::vector<Diagnostic>& diagnostics) {
  need(impl, "LiveMembership::advance");
  if (impl->read_only) throw std::logic_error("seg::api::LiveMembership: opened read-only (at a version)");
  if (now < impl->now) {
    diagnostics.push_back(problem("E806", impl->dir,
                                  "the clock does not go back: " + format_timestamp(now) + " is before the membership's " +
                                      format_timestamp(impl->now),
                                  "move the clock forward only"));
    return std::nullopt;
  }
  // A step is for good (the clock does not go back), so a typo in its year, or milliseconds
  // given for seconds, would stop every rule naming `now` for good: a step more than a year
  // past both this machine's clock and the membership's own is refused. A membership whose
  // clock is already ahead (made with --now) still steps. (The service refused this itself;
  // the C API and `seg apply --now` took 9999-12-31; found by reviews.)
  constexpr int64_t kYear = 366 * 86400;
  const int64_t ahead_of = std::max(clock_now(), impl->now);
  if (ahead_of <= INT64_MAX - kYear && now > ahead_of + kYear) {
    diagnostics.push_back(problem("E806", impl->dir,
                                  "the clock step to " + format_timestamp(now) +
                                      " is more than a year past this machine's clock and the membership's (" +
                                      format_timestamp(ahead_of) +
                                      "): a step cannot be undone, so this is taken for a mistake",
                                  "check the year, and that the time is in seconds since 1970, not milliseconds"));
    return std::nullopt;
  }
  // The same instant again is no step: no version (a sender following the events would see
  // an empty one), as for a batch that changes no client.
  if (now == impl->now) return std::vector<MemberEvent>{};
  take_over_if_done(impl);
  std::string error;
  if (impl->broken || !impl->log({{"kind", "clock"}, {"version", impl->version + 1}, {"now", now}}, "", error)) {
    diagnostics.push_back(problem("E701", impl->dir + "/log", error.empty() ? "an earlier change failed; reopen the directory" : error,
                                  "the clock did not move: free space and try again", true));
    return std::nullopt;
  }
  std::vector<MemberEvent> out;
  impl->applying([&] { impl->apply_clock(now, out); });
  return out;
}

uint64_t LiveMembership::version() const { need(impl, "LiveMembership::version"); return impl->version; }
const LiveStats& LiveMembership::stats() const { need(impl, "LiveMembership::stats"); return impl->stats; }
int64_t LiveMembership::now() const { need(impl, "LiveMembership::now"); return impl->now; }
}  // namespace seg::api
