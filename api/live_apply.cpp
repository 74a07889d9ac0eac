// A membership's changes, applied and replayed (live_impl.hpp): a batch of clients, a clock
// step, segments saved or removed, each as one version with its events; a log record read
// back through the same calls. The state they change is LiveMembership::Impl's.
#include "api/live_impl.hpp"

namespace seg::api {

// The values a batch's rows add to open dictionaries that the membership does not know yet:
// the batch's store gives them codes past the base's, and neither the base's dictionary nor
// an earlier batch has them. W702 names these (it named every value past the base's, so each
// batch carrying a campaign tag an earlier one brought warned again; found by a review).
std::vector<std::pair<size_t, std::string>> LiveMembership::Impl::new_values_of(const rt::Store& rows) const {
  const seg::Schema& have = internal::schema(schema);
  const seg::Schema& got = rows.schema();
  const seg::Schema& at_base = base->schema();
  std::vector<std::pair<size_t, std::string>> out;
  for (size_t f = 0; f < got.fields.size() && f < have.fields.size(); ++f) {
    const Dictionary& d = got.fields[f].dict;
    if (!d.open) continue;
    const Dictionary& known = have.fields[f].dict;
    for (uint32_t c = at_base.fields[f].dict.size(); c < d.size(); ++c)
      if (!known.find_key(d[c].key) && !known.known_elsewhere(d[c].key)) out.emplace_back(f, d[c].key);
  }
  return out;
}

// Those values become known to the schema rules are checked against, so a rule naming a tag
// only the batches have gets no W204 while it counts their clients (the editor of `seg serve
// --membership` said "no client has the tag yet" beside a count of 1). The IR is unchanged:
// such a value has no code in the base's dictionary, and each store's plan finds it by key.
bool LiveMembership::Impl::know_values_of(const rt::Store& rows) {
  auto fresh = new_values_of(rows);
  if (fresh.empty()) return false;
  if (internal::know_values_in_place(schema, fresh)) return true;
  seg::Schema more = internal::schema(schema);
  for (auto& [f, key] : fresh) more.fields[f].dict.add_known_elsewhere(std::move(key));
  schema = internal::wrap(std::move(more));
  return true;
}

// One batch, already checked (rows loaded, client ids distinct, none both upserted and
// deleted). Its clients are numbered k: the upserted rows (k is the row in their part), then
// the deleted ids. A rule's events compare which k it held before the batch (at their old
// rows) with which it holds after (at their new rows), in client id order: no id is looked
// up or sorted per rule, and the events come out in order (by segment, then client).
void LiveMembership::Impl::apply_batch(std::shared_ptr<const rt::Store> rows, const std::vector<int64_t>& deletes, std::vector<MemberEvent>& out) {
  const uint64_t upserts = rows ? rows->rows() : 0;
  if (next_row + upserts > rt::kMaxMembershipRows)  // apply() refuses such a batch before logging it (E810)
    throw std::logic_error("seg::api::LiveMembership: more than 2^32 rows since the base");
  ++version;
  // Rules whose names mean other values now that the batch brought values (a rule naming
  // `NEWTAG` when a batch brings it beside an earlier batch's `newtag`, which it had meant):
  // evaluated whole after the batch, and their events the difference (below).
  std::vector<size_t> remeant;
  std::vector<rt::RowSet> remeant_before;
  if (rows && know_values_of(*rows))
    for (size_t i = 0; i < distinct.size(); ++i) {
      if (!distinct[i].names) continue;  // (a copy of each rule, lists of 100,000 ids too, for nothing)
      ir::Node now_means = with_keys(distinct[i].compiled, internal::schema(schema));
      if (same_names(now_means, distinct[i].ir)) continue;
      distinct[i].ir = std::move(now_means);
      remeant.push_back(i);
      remeant_before.push_back(std::move(sets[i]));
      sets[i] = rt::RowSet();
    }
  std::vector<int64_t> gone = deletes;
  std::sort(gone.begin(), gone.end());
  gone.erase(std::unique(gone.begin(), gone.end()), gone.end());
  std::vector<int64_t> client;
  client.reserve(upserts + gone.size());
  for (uint64_t r = 0; r < upserts; ++r) client.push_back(rows->id_at(r));
  client.insert(client.end(), gone.begin(), gone.end());
  const auto n = static_cast<uint32_t>(client.size());
  std::vector<std::pair<uint32_t, uint32_t>> was;  // the clients' rows before the batch, ascending, and their k
  for (uint32_t k = 0; k < n; ++k)
    if (auto r = row_of(client[k])) was.emplace_back(static_cast<uint32_t>(*r), k);
  std::sort(was.begin(), was.end());
  std::vector<uint32_t> old_rows;
  old_rows.reserve(was.size());
  for (const auto& w : was) old_rows.push_back(w.first);
  std::vector<uint32_t> by_rank(n), rank(n);  // k in client id order, and back
  for (uint32_t k = 0; k < n; ++k) by_rank[k] = k;
  std::sort(by_rank.begin(), by_rank.end(), [&](uint32_t a, uint32_t b) { return client[a] < client[b]; });
  for (uint32_t q = 0; q < n; ++q) rank[by_rank[q]] = q;
  std::optional<Part> part;
  if (upserts) {
    part = Part{rows, next_row};
    parts.push_back(*part);
    next_row += upserts;
  }

  // Each rule's moves by rank: rank << 1 | 1 entered, rank << 1 exited.
  std::vector<std::vector<uint64_t>> moves(distinct.size());
  std::vector<uint8_t> state(n, 0);  // by rank: 1 held before, 2 holds after
  std::vector<uint32_t> taken, touched, added;
  for (size_t i = 0; i < distinct.size(); ++i) {
    if (std::binary_search(remeant.begin(), remeant.end(), i)) continue;
    const std::vector<uint32_t> holds = part ? seg::api::matches_in(distinct[i].ir, *part, now) : std::vector<uint32_t>();
    taken.clear();
    sets[i].take_all(old_rows, taken);  // the clients it held: was[t] for each t taken
    if (taken.empty() && holds.empty()) continue;
    added.assign(holds.begin(), holds.end());
    for (uint32_t& r : added) r += static_cast<uint32_t>(part->first);
    sets[i].add_many(added);
    touched.clear();
    for (uint32_t t : taken) state[rank[was[t].second]] = 1, touched.push_back(rank[was[t].second]);
    for (uint32_t k : holds) {
      if (!state[rank[k]]) touched.push_back(rank[k]);
      state[rank[k]] |= 2;
    }
    std::vector<uint64_t>& mv = moves[i];
    auto take = [&](uint32_t q) {
      if (state[q] != 3) mv.push_back(uint64_t{q} << 1 | (state[q] == 2));
      state[q] = 0;
    };
    if (touched.size() * 16 >= n) {  // a good share of the batch: its ranks in order
      for (uint32_t q = 0; q < n; ++q)
        if (state[q]) take(q);
    } else {
      std::sort(touched.begin(), touched.end());
      for (uint32_t q : touched) take(q);
    }
  }

  std::vector<std::pair<int64_t, size_t>> order;  // segment id and its rule, for rules with moves
  size_t total = 0;
  for (size_t i = 0; i < distinct.size(); ++i)
    if (!moves[i].empty())
      for (size_t s : distinct[i].segs) order.emplace_back(segs[s].id, i), total += moves[i].size();
  std::sort(order.begin(), order.end());
  // Grown geometrically, not to the exact size: a replay appends one batch after another to
  // one vector, and an exact reserve each time copied every earlier event again (a replay of
  // 2,000 versions took minutes, most of it copying and faulting in fresh pages).
  if (out.capacity() - out.size() < total) out.reserve(std::max(out.size() + total, 2 * out.capacity()));
  for (const auto& [segment, i] : order)
    for (uint64_t m : moves[i]) out.push_back({segment, client[by_rank[m >> 1]], (m & 1) != 0, version});

  taken.clear();
  live.take_all(old_rows, taken);
  for (uint32_t t : taken) dead.add(old_rows[t]);
  for (int64_t id : gone) moved[id] = kGone;
  changes_since_base += n;
  for (uint64_t r = 0; r < upserts; ++r) {
    moved[client[r]] = part->first + r;
    live.add(static_cast<uint32_t>(part->first + r));
  }
  if (remeant.empty()) return;
  // By client id, not by row: a client the batch changed has another row now.
  evaluate_whole(remeant);
  const size_t first = out.size() - total;
  for (size_t k = 0; k < remeant.size(); ++k) {
    const std::vector<int64_t> was = ids_of(remeant_before[k]), is = ids_of(sets[remeant[k]]);
    std::vector<int64_t> entered, exited;
    std::set_difference(is.begin(), is.end(), was.begin(), was.end(), std::back_inserter(entered));
    std::set_difference(was.begin(), was.end(), is.begin(), is.end(), std::back_inserter(exited));
    emit(segment_ids(distinct[remeant[k]]), entered, exited, out);
  }
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(), [](const MemberEvent& a, const MemberEvent& b) {
    return std::tie(a.segment, a.client) < std::tie(b.segment, b.client);
  });
}

// The base rows a clock step from `from` to `to` can change for rule `d`: those whose value
// lies between each moving bound's old and new instants, found through the columns' value
// indexes. False when a column has none (then the rule is evaluated over the whole base).
bool LiveMembership::Impl::rows_between(const Distinct& d, int64_t from, int64_t to, std::vector<uint64_t>& rows) const {
  std::vector<MovingBound> bounds;
  moving_bounds(d.ir, bounds);
  for (const auto& b : bounds) {
    if (!rt::has_row_lookup(*base, b.field)) return false;
    const rt::Column& c = base->column(b.field);
    if (!c.meta.has_values) continue;
    int64_t lo = plus(from, b.offset), hi = plus(to, b.offset);
    if (lo > hi) std::swap(lo, hi);
    if (hi < c.meta.base) continue;
    const uint64_t off_lo = lo <= c.meta.base ? 0 : static_cast<uint64_t>(lo) - static_cast<uint64_t>(c.meta.base);
    const uint64_t off_hi = static_cast<uint64_t>(hi) - static_cast<uint64_t>(c.meta.base);
    rt::lookup_rows(*base, b.field, off_lo, off_hi, UINT64_MAX, rows);
  }
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return true;
}

void LiveMembership::Impl::part_rows_between(const Distinct& d, int64_t from, int64_t to, PartValues& values,
                                             std::vector<uint32_t>& rows) const {
  std::vector<MovingBound> bounds;
  moving_bounds(d.ir, bounds);
  for (const auto& b : bounds) {
    auto [it, fresh] = values.try_emplace(b.field);
    std::vector<std::pair<int64_t, uint32_t>>& by_value = it->second;
    if (fresh) {
      for (size_t p = 1; p < parts.size(); ++p) {
        const rt::Column& c = parts[p].store->column(b.field);
        if (!c.meta.has_values) continue;
        for (uint64_t r = 0; r < parts[p].store->rows(); ++r) {
          const auto g = static_cast<uint32_t>(parts[p].first + r);
          if (!c.is_null(r) && live.contains(g)) by_value.emplace_back(c.value_at(r), g);
        }
      }
      std::sort(by_value.begin(), by_value.end());
    }
    int64_t lo = plus(from, b.offset), hi = plus(to, b.offset);
    if (lo > hi) std::swap(lo, hi);
    auto first = std::lower_bound(by_value.begin(), by_value.end(), std::pair<int64_t, uint32_t>{lo, 0});
    for (; first != by_value.end() && first->first <= hi; ++first) rows.push_back(first->second);
  }
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
}

// Time moves: only rules naming `now` can change, and only rows whose value of a moving
// bound's column lies between its old and new instants: in the base found through the
// columns' value indexes, in the batches' parts by reading their values, and tested one by
// one. Rules whose base columns have no index are evaluated whole. (The parts were evaluated
// whole, a plan for each part and rule, and ORed into the sets one part at a time: a step's
// time grew with the square of the batches since the last compaction, 370 ms after 2,000;
// found by a review of how things scale.)
void LiveMembership::Impl::apply_clock(int64_t to, std::vector<MemberEvent>& out) {
  ++version;
  const int64_t from = now;
  now = to;
  std::vector<size_t> whole;
  std::vector<rt::Plan> plans;
  std::vector<MemberEvent> evs;
  PartValues part_values;
  for (size_t i = 0; i < distinct.size(); ++i) {
    if (!distinct[i].now_dependent) continue;
    std::vector<uint64_t> rows;
    const uint64_t limit = g_clock_rows_limit ? g_clock_rows_limit.load()
                                              : std::max(base->rows() / kClockRowShare, kClockRowsAlways);
    if (!rows_between(distinct[i], from, to, rows) || rows.size() > limit) {
      whole.push_back(i);
      plans.push_back(rt::build_plan(distinct[i].ir, *base, now, {.exact_names = true}));
      ++stats.clock_full_passes;
      continue;
    }
    stats.clock_rows_tested += rows.size();
    rt::Plan plan = rt::build_plan(distinct[i].ir, *base, now, {.exact_names = true});
    rt::RowSet before, after;
    for (uint64_t r : rows) {
      const auto row = static_cast<uint32_t>(r);
      if (!live.contains(row)) continue;  // a client's older row
      if (sets[i].contains(row)) before.add(row);
      if (rt::eval_row(plan.root, *base, r)) after.add(row);
    }
    std::vector<uint32_t> in_parts, held, holds;  // the parts' rows that can change, global
    part_rows_between(distinct[i], from, to, part_values, in_parts);
    stats.clock_rows_tested += in_parts.size();
    std::optional<rt::Plan> plan_of_part;
    const rt::Store* planned = nullptr;  // the part's store plan_of_part was built on
    for (uint32_t g : in_parts) {
      uint64_t row;
      const rt::Store& s = part_in(parts, g, row);
      if (planned != &s) plan_of_part = rt::build_plan(distinct[i].ir, s, now, {.labels = false, .exact_names = true}), planned = &s;
      if (sets[i].contains(g)) held.push_back(g);
      if (rt::eval_row(plan_of_part->root, s, row)) holds.push_back(g);
    }
    before.add_many(held);
    after.add_many(holds);
    events_by_row(segment_ids(distinct[i]), before, after, evs);
    sets[i].remove_all(before);
    sets[i].add_all(after);
  }
  // The rest in one shared pass over the base.
  std::vector<const rt::Plan*> ptrs;
  for (const auto& p : plans) ptrs.push_back(&p);
  std::vector<rt::RowSet> in_base = rt::refresh(ptrs, *base).sets;
  for (size_t k = 0; k < whole.size(); ++k) {
    const size_t i = whole[k];
    rt::RowSet after = std::move(in_base[k]);
    if (parts.size() > 1) after.add_all(members_in_parts(distinct[i].ir, now));
    after = after.both(live);
    events_by_row(segment_ids(distinct[i]), sets[i], after, evs);
    sets[i] = std::move(after);
  }
  append_in_order(evs, out);
}

// Appends a record and flushes it to disk: after this the change survives a crash. When it
// cannot (a full disk), the log is cut back to where it was, so that no torn record stands
// before the next one, and `error` says why.
bool LiveMembership::Impl::log(const nlohmann::json& head, std::string_view rows, std::string& error) {
  std::string rec = frame(head.dump() + "\n" + std::string(rows), log_header);
  if (write_all(log_fd.fd, rec.data(), rec.size()) && ::fdatasync(log_fd.fd) == 0) {
    log_size += rec.size();
    return true;
  }
  error = dir + "/log: cannot be written: " + std::strerror(errno);
  if (::ftruncate(log_fd.fd, static_cast<off_t>(log_size)) != 0 || ::lseek(log_fd.fd, static_cast<off_t>(log_size), SEEK_SET) < 0)
    broken = true;  // the log's end is unknown: refuse further changes (reopening cuts it)
  return false;
}

// Segment `id`'s rule, checked when it was given (a log replayed against another base is
// damage: std::invalid_argument).
Rule LiveMembership::Impl::compiled(int64_t id, const std::string& text) const {
  Rule r = Rule::compile(text, schema);
  if (!r.ok()) throw std::invalid_argument("segment " + std::to_string(id) + ": " + to_string(r.diagnostics()[0]));
  return r;
}

// The distinct rule of `r`'s meaning: an existing one, or a new one listed in `fresh` (its
// members still to evaluate).
size_t LiveMembership::Impl::distinct_of(const Rule& r, std::vector<size_t>& fresh) {
  auto [it, is_new] = by_meaning.try_emplace({r.hash(), r.canonical_text()}, distinct.size());
  if (is_new) {
    // The rule as compiled is kept beside it only when it has names to resolve again.
    const ir::Node& compiled = *r.impl->ir;
    const bool names = has_names(compiled);
    distinct.push_back({names ? with_keys(compiled, internal::schema(schema)) : compiled, names ? compiled : ir::Node{},
                        ir::uses_now(compiled), names, {}});
    sets.emplace_back();
    fresh.push_back(it->second);
  }
  return it->second;
}

// The segments a directory starts with; returns the distinct rules to evaluate.
std::vector<size_t> LiveMembership::Impl::add_segments(const std::vector<std::pair<int64_t, std::string>>& listed) {
  std::vector<size_t> fresh;
  for (const auto& [id, text] : listed) {
    Rule r = compiled(id, text);
    const size_t d = distinct_of(r, fresh);
    seg_index[id] = segs.size();
    distinct[d].segs.push_back(segs.size());
    segs.push_back({id, r.canonical_text(), d});
  }
  return fresh;
}

// The members of distinct rules `which` at now(): the base in one shared pass, then each
// batch's part, the rows that are not a client's newest taken out.
void LiveMembership::Impl::evaluate_whole(const std::vector<size_t>& which) {
  std::vector<rt::Plan> plans;
  for (size_t i : which) plans.push_back(rt::build_plan(distinct[i].ir, *base, now, {.exact_names = true}));
  std::vector<const rt::Plan*> ptrs;
  for (const auto& p : plans) ptrs.push_back(&p);
  std::vector<rt::RowSet> in_base = rt::refresh(ptrs, *base).sets;
  // A deleted client's base row is not live, and a batch of deletes alone makes no part: so
  // the base's members are held to `live` whenever a row is not (it was done only when a
  // batch had made a part, and a segment added after a first batch that only deleted counted
  // the deleted clients; found by a mutation-testing review).
  const bool all_live = parts.size() == 1 && live.count() == base->rows();
  for (size_t k = 0; k < which.size(); ++k) {
    rt::RowSet s = std::move(in_base[k]);
    if (parts.size() > 1) s.add_all(members_in_parts(distinct[which[k]].ir, now));
    if (!all_live) s = s.both(live);
    sets[which[k]] = std::move(s);
  }
}

// After segments were removed or changed: `segs` without the removed ones, and distinct
// rules no segment names dropped (with their members).
void LiveMembership::Impl::reindex(const std::vector<bool>& removed) {
  std::vector<Seg> kept;
  for (size_t i = 0; i < segs.size(); ++i)
    if (!removed[i]) kept.push_back(std::move(segs[i]));
  segs = std::move(kept);
  std::vector<size_t> new_index(distinct.size(), SIZE_MAX);
  std::vector<Distinct> d2;
  std::vector<rt::RowSet> s2;
  for (auto& s : segs) {
    if (new_index[s.distinct] == SIZE_MAX) {
      new_index[s.distinct] = d2.size();
      d2.push_back(std::move(distinct[s.distinct]));
      d2.back().segs.clear();
      s2.push_back(std::move(sets[s.distinct]));
    }
    s.distinct = new_index[s.distinct];
  }
  distinct = std::move(d2);
  sets = std::move(s2);
  seg_index.clear();
  for (size_t i = 0; i < segs.size(); ++i) {
    seg_index[segs[i].id] = i;
    distinct[segs[i].distinct].segs.push_back(i);
  }
  std::map<Meaning, size_t> m;
  for (auto& [key, i] : by_meaning)
    if (new_index[i] != SIZE_MAX) m.emplace(key, new_index[i]);
  by_meaning = std::move(m);
}

// Segments saved, changed or removed, as one version (decision 51): a new segment starts
// with its members and no events; a changed rule's segment gets the difference as events
// (who the new rule takes in, who it lets go); a removed one ends without events. A
// segment keeps its place in counts().
void LiveMembership::Impl::apply_segments(const std::vector<std::pair<int64_t, std::string>>& set, const std::vector<int64_t>& remove,
                    std::vector<MemberEvent>& out) {
  ++version;
  std::vector<bool> removed(segs.size(), false);
  for (int64_t id : remove)
    if (auto it = seg_index.find(id); it != seg_index.end()) removed[it->second] = true;
  std::vector<size_t> fresh;
  std::map<int64_t, size_t> changed;  // segment id: its distinct rule before
  for (const auto& [id, text] : set) {
    Rule r = compiled(id, text);
    const size_t d = distinct_of(r, fresh);
    auto it = seg_index.find(id);
    if (it == seg_index.end()) {
      seg_index[id] = segs.size();
      segs.push_back({id, r.canonical_text(), d});
      removed.push_back(false);
      continue;
    }
    Seg& sg = segs[it->second];
    if (sg.distinct != d) changed.try_emplace(id, sg.distinct);
    sg.distinct = d;
    sg.text = r.canonical_text();
  }
  evaluate_whole(fresh);
  std::map<int64_t, rt::RowSet> before;  // copied: reindex drops rules no segment names
  for (const auto& [id, old] : changed) before[id] = sets[old];
  reindex(removed);
  std::vector<MemberEvent> evs;
  for (const auto& [id, was] : before) events_by_row({id}, was, sets[segs[seg_index.at(id)].distinct], evs);
  append_in_order(evs, out);
}

// One record of the log, as apply() or advance() made it. False with `error` when it is not
// one (a damaged file whose checksum still matches) or its batch no longer loads.
bool LiveMembership::Impl::replay(std::string_view payload, std::vector<MemberEvent>& out, std::string& error) {
  size_t nl = payload.find('\n');
  nlohmann::json head = nlohmann::json::parse(payload.substr(0, nl), nullptr, false);
  std::string_view text = nl == std::string_view::npos ? std::string_view() : payload.substr(nl + 1);
  try {
    if (!head.is_object()) throw std::invalid_argument("not a record");
    if (head.at("version").get<uint64_t>() != version + 1)
      throw std::invalid_argument("it says version " + head.at("version").dump() + ", out of order");
    const std::string kind = head.at("kind").get<std::string>();
    if (kind == "clock") {
      apply_clock(head.at("now").get<int64_t>(), out);
      return true;
    }
    if (kind == "segments") {
      std::vector<std::pair<int64_t, std::string>> set;
      for (const auto& x : head.at("set")) set.emplace_back(x.at("id").get<int64_t>(), x.at("rule").get<std::string>());
      apply_segments(set, head.at("remove").get<std::vector<int64_t>>(), out);
      return true;
    }
    return replay_batch(text, head.at("deletes").get<std::vector<int64_t>>(), out, error);
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
}

bool LiveMembership::Impl::replay_batch(std::string_view text, const std::vector<int64_t>& deletes, std::vector<MemberEvent>& out,
                  std::string& error) {
  std::shared_ptr<const rt::Store> rows;
  if (has_rows(text)) {
    rt::LoadResult r = rt::load_text(text, "log", base->schema());
    if (!r.ok()) {
      error = "a logged batch no longer loads: " + (r.errors.empty() ? std::string() : r.errors[0].to_string());
      return false;
    }
    rows = std::make_shared<const rt::Store>(std::move(*r.store));
  }
  apply_batch(rows, deletes, out);
  return true;
}

}  // namespace seg::api
