// Compaction: the clients' newest rows written as a new generation's base on a thread of its
// own, and taken over by the membership once done (docs/membership.md, "Compaction").
#include "api/live_impl.hpp"

namespace seg::api {

rt::Store LiveMembership::Impl::gathered(const std::vector<Part>& parts, const rt::RowSet& live, const seg::Schema& schema) {
  const rt::Store& base = *parts[0].store;
  // Every value the batches brought stays in the dictionary, held or not: a rule's names
  // resolve against all of them (with_keys), and a value forgotten when its last client left
  // would change what another spelling of it names, with no event.
  seg::Schema keep = base.schema();
  for (size_t f = 0; f < keep.fields.size() && f < schema.fields.size(); ++f)
    for (const auto& key : schema.fields[f].dict.known_elsewhere()) keep.fields[f].dict.add(key);
  rt::StoreGatherer g(std::move(keep));
  std::vector<std::pair<int64_t, uint64_t>> newer;  // id, global row
  for (size_t p = 1; p < parts.size(); ++p)
    for (uint64_t r = 0; r < parts[p].store->rows(); ++r)
      if (live.contains(static_cast<uint32_t>(parts[p].first + r))) newer.emplace_back(parts[p].store->id_at(r), parts[p].first + r);
  std::sort(newer.begin(), newer.end());
  auto add_global = [&](uint64_t global) {
    uint64_t row;
    const rt::Store& s = part_in(parts, global, row);
    g.add(s, row);
  };
  size_t k = 0;
  const bool merge = base.ids_sorted();
  for (uint64_t r = 0; r < base.rows(); ++r) {
    if (!live.contains(static_cast<uint32_t>(r))) continue;
    if (merge)
      for (; k < newer.size() && newer[k].first < base.id_at(r); ++k) add_global(newer[k].second);
    g.add(base, r);
  }
  for (; k < newer.size(); ++k) add_global(newer[k].second);
  return g.finish();
}

}  // namespace seg::api

namespace seg::api::live {

// A compaction's thread: the clients' newest rows at version V written as base-V.seg, then
// that generation loaded and its segments evaluated. It reads only what it was given (the
// stores are immutable; `live` and `meta` are copies), so the membership goes on meanwhile.
LiveMembership::Impl::Made make_generation(std::string dir, uint64_t v, std::vector<LiveMembership::Impl::Part> parts,
                                           rt::RowSet live, std::string meta, Schema schema) {
  LiveMembership::Impl::Made out;
  std::string error;
  const std::string path = dir + "/" + base_file(v);
  bool written;
  {
    rt::Store next = LiveMembership::Impl::gathered(parts, live, internal::schema(schema));
    written = rt::write_snapshot(next, path, error) && fsync_path(path);
  }
  if (!written)
    out.diagnostics.push_back(problem("E701", dir, error.empty() ? "the compacted base cannot be written" : error,
                                      "the membership goes on from its older base; free space and it compacts again", true));
  else
    out.fresh = load_generation(dir, v, meta, out.diagnostics);
  while (g_compaction_hold) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return out;
}

// Starts a compaction at the current version on its own thread.
void start_compaction(LiveMembership::Impl& m) {
  auto c = std::make_unique<LiveMembership::Impl::Compaction>();
  c->version = m.version;
  c->log_bytes = m.log_size;
  nlohmann::json segs = nlohmann::json::array();
  for (const auto& sg : m.segs) segs.push_back({{"id", sg.id}, {"rule", sg.text}});
  c->meta = nlohmann::json{{"version", m.version}, {"now", m.now}, {"segments", segs},
                            {"dictionary_sizes", dictionary_sizes(internal::schema(m.schema))}}
                .dump(1) +
            "\n";
  c->made = std::async(std::launch::async, make_generation, m.dir, m.version, m.parts, m.live, c->meta, m.schema);
  m.compacting = std::move(c);
}

// start_compaction after a change: one that cannot start (no thread, no memory for the copies)
// is counted as a failed compaction, and the change stands. Whether one runs now.
bool start_compaction_after_change(LiveMembership::Impl& m) {
  try {
    start_compaction(m);
    return true;
  } catch (const std::exception& e) {
    m.compaction_failed(std::string("the compaction could not start: ") + e.what());
    return false;
  }
}

// Takes over the compaction in flight, waiting for it or (`wait` false) only when it is done:
// the changes logged since it started are copied to the new generation's log, gen-V.json is
// written (from then on the new generation is the directory's newest) and the new state
// replays those changes, as opening it would. False with diagnostics when it failed (its
// files are removed and the older generation goes on) or is not done.
bool take_over(std::shared_ptr<LiveMembership::Impl>& impl, bool wait, std::vector<Diagnostic>& diagnostics) {
  using Impl = LiveMembership::Impl;
  Impl& m = *impl;
  if (!m.compacting) return true;
  if (!wait && m.compacting->made.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
  std::unique_ptr<Impl::Compaction> c = std::move(m.compacting);
  Impl::Made made;
  try {
    made = c->made.get();
  } catch (const std::exception& e) {  // std::bad_alloc, more rows than Roaring holds
    made.diagnostics.push_back(problem("E701", m.dir, std::string("the compaction failed: ") + e.what()));
  }
  const uint64_t v = c->version;
  const size_t first_diagnostic = diagnostics.size();
  // A failure: noted (stats), the next compaction put off by another share of the base.
  auto failed = [&] {
    m.compaction_failed(diagnostics.size() > first_diagnostic ? to_string(diagnostics[first_diagnostic]) : "unknown error");
    return false;
  };
  // Before gen-V.json took: its files go, and the removals are made durable, or a crash could
  // bring back a gen-V.json whose log lacks the changes logged since (then refuse changes).
  auto give_up = [&] {
    std::error_code ec;
    for (const std::string& f : {meta_file(v), log_file(v), base_file(v)}) fs::remove(m.dir + "/" + f, ec);
    if (!fsync_path(m.dir)) {
      m.log_fd.reset();
      m.broken = true;
    }
    return failed();
  };
  if (!made.fresh) {
    diagnostics.insert(diagnostics.end(), made.diagnostics.begin(), made.diagnostics.end());
    return give_up();
  }
  std::string error;
  const std::string old_log = m.dir + "/" + log_file(m.generation);
  auto tail = read_range(old_log, c->log_bytes, m.log_size - c->log_bytes, error);
  if (!tail) {
    diagnostics.push_back(problem("E701", old_log, error, "", true));
    return give_up();
  }
  // The new log is written in the newest form, an older log's records framed again.
  std::string tail_log(kLogMagic, kMagicBytes);
  if (m.log_header == 24) {
    tail_log += *tail;
  } else {  // whole records this process appended, read as the older log's
    const std::string old_tail = std::string(kLogMagicV2, kMagicBytes) + *tail;
    const LogBytes old_records(old_tail);
    std::string buf;
    for (size_t at = kMagicBytes; at < old_tail.size();) {
      const Record r = record_at(old_records, at, buf);
      if (!r.payload) break;
      if (!r.sum_ok) {  // framed afresh, damage would pass its new sum
        diagnostics.push_back(problem("E803", old_log, "damaged at byte " + std::to_string(c->log_bytes + at - kMagicBytes) +
                                                           ": a record written during the compaction fails its checksum"));
        return give_up();
      }
      tail_log += frame(*r.payload, 24);
      at += m.log_header + r.payload->size();
    }
  }
  if (!write_durably(m.dir, log_file(v), tail_log, error) ||
      // Last: until it is there, the generation does not exist and the old one goes on.
      !write_durably(m.dir, meta_file(v), c->meta, error)) {
    diagnostics.push_back(problem("E701", m.dir, error, "the membership goes on from its older base; free space and it compacts again", true));
    return give_up();
  }
  // The new generation exists now: a failure from here on leaves the directory right (a
  // reopen goes on from it) but this process's log closed, as a failed append does.
  Impl& fresh = *made.fresh;
  auto end = replay_records(fresh, LogBytes(tail_log), kMagicBytes, UINT64_MAX, nullptr, error);
  if (!end || *end != tail_log.size() || fresh.version != m.version) {
    diagnostics.push_back(problem("E803", m.dir + "/" + log_file(v), error.empty() ? "does not replay to the version in use" : error));
    m.log_fd.reset();
    m.broken = true;
    return failed();
  }
  if (!take_log(fresh, v, tail_log.size(), diagnostics)) {
    m.log_fd.reset();
    m.broken = true;
    return failed();
  }
  // The new generation's log is clean, so a failed append before (`broken`) does not carry over.
  fresh.stats = m.stats;
  fresh.dir_lock = std::move(m.dir_lock);
  // The caller's --compact-after holds for every compaction of the process, not only its
  // first (the new generation fell back to the default share; found by a review).
  fresh.compact_rows = m.compact_rows;
  ++fresh.stats.compactions;
  *impl = std::move(fresh);  // closes the older generation's log
  return true;
}

// Before a change: a compaction that has finished takes over, so the change goes to the new
// generation's log. One that failed is counted in the stats with its reason, and the next
// starts after another share of changed rows.
void take_over_if_done(std::shared_ptr<LiveMembership::Impl>& impl) {
  std::vector<Diagnostic> ignored;
  if (impl->compacting) take_over(impl, false, ignored);
}

}  // namespace seg::api::live
