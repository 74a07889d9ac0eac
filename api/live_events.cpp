// EventReader: a membership directory's events after a version, read a page at a time by
// replaying its log on from where the last page stopped (one replay for a whole history, not
// one a page), across the generations compactions made, as the directory has them now.
#include "api/live_impl.hpp"

namespace seg::api {

struct EventReader::Impl {
  std::shared_ptr<LiveMembership::Impl> m;  // read-only, at the last version read
  std::vector<Diagnostic> failed;           // a problem met after some events were returned: the next call's
  bool torn_said = false;                   // W703 said once
};

namespace {

// Replays m's log on from (read_gen, read_byte) while the version is before `upto` and `out`
// holds fewer than `max_events`: to the end of read_gen's log, or to the next generation's
// start, then that generation's log (a log goes on past the next generation's start while a
// compaction runs, and the next log holds those versions too: a reader that went past the
// start in the older log goes on in the newer one after the version it has). The generations
// are listed again at each step, so ones made since the reader opened are followed.
// `diagnostics` gets errors (false) and a warning once for a torn last record (W703).
bool replay_on(EventReader::Impl& r, uint64_t upto, size_t max_events, std::vector<MemberEvent>& out,
               std::vector<Diagnostic>& diagnostics) {
  using namespace live;
  LiveMembership::Impl& m = *r.m;
  bool looked_again = false;  // at the newest log's end, a second look before calling a generation lost
  while (m.version < upto && out.size() < max_events) {
    const std::vector<uint64_t> gens = generations(m.dir);
    auto after = std::upper_bound(gens.begin(), gens.end(), m.read_gen);
    const uint64_t next_gen = after == gens.end() ? UINT64_MAX : *after;
    std::string error;
    if (m.version >= next_gen) {
      const std::string next_path = m.dir + "/" + log_file(next_gen);
      auto next_log = LogBytes::open(next_path, error);
      if (!next_log) {
        diagnostics.push_back(problem("E803", next_path, error));
        return false;
      }
      const ByteAfter at = m.version == next_gen ? ByteAfter{kMagicBytes, next_gen} : byte_after_version(*next_log, m.version, next_gen);
      if (at.before < m.version) {
        // The newer log's copy of versions this reader read in the older one cannot be read
        // past `before`: name that record, not the reader's next version (which replaying from
        // there would have said).
        const std::string where = at.byte >= next_log->size()
                                      ? "ends after version " + std::to_string(at.before)
                                      : "damaged at byte " + std::to_string(at.byte) + ": the record of version " +
                                            std::to_string(at.before + 1) + " cannot be read";
        diagnostics.push_back(problem("E803", next_path,
                                      where + " (this reader read to version " + std::to_string(m.version) + " in " +
                                          log_file(m.read_gen) + "; restore the directory from a copy)"));
        return false;
      }
      m.read_byte = at.byte;
      m.read_gen = next_gen;
      continue;
    }
    const std::string log_path = m.dir + "/" + log_file(m.read_gen);
    auto log = LogBytes::open(log_path, error);
    if (!log) {
      // Not there any more: its generation was removed with the history before the next one.
      if (next_gen != UINT64_MAX && !std::filesystem::exists(log_path))
        diagnostics.push_back(problem("E811", m.dir,
                                      "the versions after " + std::to_string(m.version) + " were removed with their generation (no " +
                                          log_file(m.read_gen) + "): the oldest version readable is " + std::to_string(next_gen),
                                      "ask from version " + std::to_string(next_gen) + " on"));
      else
        diagnostics.push_back(problem("E803", log_path, error));
      return false;
    }
    uint64_t torn = 0;
    auto end = replay_records(m, *log, m.read_byte, std::min(upto, next_gen), &out, error, &torn, max_events);
    if (!end) {
      diagnostics.push_back(problem("E803", log_path, error));
      return false;
    }
    const bool moved = *end != m.read_byte;
    m.read_byte = *end;
    if (m.version >= upto || out.size() >= max_events || moved) continue;
    // Nothing more in this log (or a last record being written, or torn: read again later).
    if (next_gen != UINT64_MAX) {
      diagnostics.push_back(versions_missing(log_path, m.version, next_gen));
      return false;
    }
    // The newest log's end, as opening finds it: a log-V holding later versions whose
    // gen-V.json is lost is E803 (looked at twice: a take-over copies records to log-V just
    // before it writes gen-V.json), and a torn last record nobody is writing is W703.
    if (std::string lost = lost_generation(m.dir, gens, m.version); !lost.empty()) {
      if (!looked_again) {
        looked_again = true;
        continue;
      }
      diagnostics.push_back(problem("E803", m.dir, lost));
      return false;
    }
    if (torn && !r.torn_said && !writer_appending(log_path, log->size())) {
      r.torn_said = true;
      diagnostics.push_back(torn_record(log_path, torn, m.version));
    }
    break;
  }
  return true;
}

}  // namespace

std::optional<EventReader> EventReader::open(const std::string& dir, uint64_t since, std::vector<Diagnostic>& diagnostics) {
  auto m = live::open_membership(dir, diagnostics, since, nullptr, 0, false, /*cursor=*/true);
  if (!m) return std::nullopt;
  EventReader r;
  r.impl = std::make_shared<Impl>();
  r.impl->m = m->impl;
  return r;
}

std::optional<std::vector<MemberEvent>> EventReader::next(std::vector<Diagnostic>& diagnostics, size_t max_events,
                                                          uint64_t upto) {
  need(impl, "EventReader::next");
  if (!impl->failed.empty()) {
    diagnostics.insert(diagnostics.end(), impl->failed.begin(), impl->failed.end());
    return std::nullopt;
  }
  std::vector<MemberEvent> out;
  std::vector<Diagnostic> d;
  const bool ok = replay_on(*impl, upto, max_events ? max_events : SIZE_MAX, out, d);
  if (ok) {
    diagnostics.insert(diagnostics.end(), d.begin(), d.end());  // W703
    return out;
  }
  // A record that cannot be replayed may have changed the state part way: the reader stops.
  for (const auto& p : d)
    if (p.is_error()) impl->failed.push_back(p);
  if (!out.empty()) {
    for (const auto& p : d)
      if (!p.is_error()) diagnostics.push_back(p);
    return out;
  }
  diagnostics.insert(diagnostics.end(), d.begin(), d.end());
  return std::nullopt;
}

bool EventReader::seek(uint64_t since, std::vector<Diagnostic>& diagnostics) {
  need(impl, "EventReader::seek");
  if (since < version()) throw std::logic_error("seg::api::EventReader: seek backwards");
  if (!impl->failed.empty()) {  // as next(): a reader that failed stays failed
    diagnostics.insert(diagnostics.end(), impl->failed.begin(), impl->failed.end());
    return false;
  }
  if (since == version()) return true;
  // From a generation that starts after this reader's version, its base is nearer than
  // replaying every version between them.
  const std::vector<uint64_t> gens = live::generations(impl->m->dir);
  if (gens[live::generation_index(gens, since)] > version()) {
    auto fresh = open(impl->m->dir, since, diagnostics);
    if (!fresh) return false;
    impl = fresh->impl;
    return true;
  }
  while (version() < since) {
    auto passed = next(diagnostics, 1 << 16, since);  // a page at a time: the events are not kept
    if (!passed) return false;
    if (passed->empty() && version() < since) {
      diagnostics.push_back(live::no_version(impl->m->dir, since, version(), true));
      return false;
    }
  }
  return true;
}

uint64_t EventReader::version() const {
  need(impl, "EventReader::version");
  return impl->m->version;
}

}  // namespace seg::api
