// EventReader: a membership directory's events after a version, read a page at a time by
// replaying its log on from where the last page stopped (one replay for a whole history, not
// one a page), across the generations compactions made, as the directory has them now.
#include "api/live_impl.hpp"

namespace seg::api {

struct EventReader::Impl {
  std::shared_ptr<LiveMembership::Impl> m;  // read-only, at the last version read
  std::vector<Diagnostic> failed;           // a problem met after some events were returned: the next call's
};

namespace {

// Replays m's log on from (read_gen, read_byte) while the version is before `upto` and `out`
// holds fewer than `max_events`: to the end of read_gen's log, or to the next generation's
// start, then that generation's log from its start (a log goes on past the next generation's
// start while a compaction runs; the next log holds those versions too). The generations are
// listed again at each step, so ones made since the reader opened are followed.
bool replay_on(LiveMembership::Impl& m, uint64_t upto, size_t max_events, std::vector<MemberEvent>& out,
               std::vector<Diagnostic>& diagnostics) {
  using namespace live;
  while (m.version < upto && out.size() < max_events) {
    const std::vector<uint64_t> gens = generations(m.dir);
    auto after = std::upper_bound(gens.begin(), gens.end(), m.read_gen);
    const uint64_t next_gen = after == gens.end() ? UINT64_MAX : *after;
    if (m.version >= next_gen) {
      m.read_gen = next_gen;
      m.read_byte = kMagicBytes;
      continue;
    }
    const std::string log_path = m.dir + "/" + log_file(m.read_gen);
    std::string error;
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
    auto end = replay_records(m, *log, m.read_byte, std::min(upto, next_gen), &out, error, nullptr, max_events);
    if (!end) {
      diagnostics.push_back(problem("E803", log_path, error));
      return false;
    }
    const bool moved = *end != m.read_byte;
    m.read_byte = *end;
    if (m.version >= upto || out.size() >= max_events || moved) continue;
    // Nothing more in this log (or a last record being written, or torn: read again later).
    if (next_gen != UINT64_MAX) {
      diagnostics.push_back(problem("E811", log_path,
                                    "ends at version " + std::to_string(m.version) + ", before generation " +
                                        std::to_string(next_gen) + " starts: versions are missing"));
      return false;
    }
    break;
  }
  return true;
}

}  // namespace

std::optional<EventReader> EventReader::open(const std::string& dir, uint64_t since, std::vector<Diagnostic>& diagnostics) {
  std::vector<Diagnostic> d;
  auto m = live::open_membership(dir, d, since, nullptr, 0, false);
  if (!m) {
    // The one E803 of a version not there yet says what a cursor is for.
    for (auto& p : d)
      if (p.code == "E803" && p.message.rfind("no version " + std::to_string(since) + ":", 0) == 0)
        p.message = "no version " + std::to_string(since) + " to follow from" + p.message.substr(p.message.find(':'));
    diagnostics.insert(diagnostics.end(), d.begin(), d.end());
    return std::nullopt;
  }
  diagnostics.insert(diagnostics.end(), d.begin(), d.end());  // warnings (W703)
  EventReader r;
  r.impl = std::make_shared<Impl>();
  r.impl->m = m->impl;
  return r;
}

std::optional<std::vector<MemberEvent>> EventReader::next(std::vector<Diagnostic>& diagnostics, size_t max_events,
                                                          uint64_t upto) {
  if (!impl) throw std::logic_error("seg::api::EventReader: not opened");
  if (!impl->failed.empty()) {
    diagnostics.insert(diagnostics.end(), impl->failed.begin(), impl->failed.end());
    return std::nullopt;
  }
  std::vector<MemberEvent> out;
  std::vector<Diagnostic> d;
  if (replay_on(*impl->m, upto, std::max<size_t>(max_events, 1), out, d)) return out;
  // A record that cannot be replayed may have changed the state part way: the reader stops.
  impl->failed = d;
  if (!out.empty()) return out;
  diagnostics.insert(diagnostics.end(), d.begin(), d.end());
  return std::nullopt;
}

uint64_t EventReader::version() const {
  if (!impl) throw std::logic_error("seg::api::EventReader: not opened");
  return impl->m->version;
}

}  // namespace seg::api
