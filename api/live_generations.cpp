// A membership directory's generations: listing them, loading one (its base, segments and
// log), replaying its log's records, and opening the newest (or the one a version is in).
#include "api/live_impl.hpp"

namespace seg::api::live {

// The generations of `dir` (their first versions, ascending; 0 when the directory was made).
std::vector<uint64_t> generations(const std::string& dir) {
  std::vector<uint64_t> out{0};
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    uint64_t v = 0;
    if (name.size() > 9 && name.compare(0, 4, "gen-") == 0 && name.compare(name.size() - 5, 5, ".json") == 0) {
      auto [end, err] = std::from_chars(name.data() + 4, name.data() + name.size() - 5, v);
      if (err == std::errc() && end == name.data() + name.size() - 5 && v > 0) out.push_back(v);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Generation `gen` of `dir` at its first version: its base loaded, its segments (from `meta`,
// the text of its gen-V.json) evaluated; no log read and none taken (read-only until
// take_log). The same whether the generation is opened or a compaction just made it.
std::shared_ptr<LiveMembership::Impl> load_generation(const std::string& dir, uint64_t gen, const std::string& meta_text,
                                                      std::vector<Diagnostic>& diagnostics) {
  using Impl = LiveMembership::Impl;
  auto m = std::make_shared<Impl>();
  m->dir = dir;
  m->read_only = true;
  const std::string meta_path = dir + "/" + meta_file(gen);
  nlohmann::json meta = nlohmann::json::parse(meta_text, nullptr, false);
  if (meta.is_discarded() || !meta.is_object() || !meta.contains("segments") || !meta.contains("now")) {
    diagnostics.push_back(problem("E803", meta_path, "not a membership directory's " + meta_file(gen)));
    return nullptr;
  }
  rt::LoadResult b = rt::load_data(dir + "/" + base_file(gen), seg::Schema{});
  if (!b.ok()) {
    for (const auto& e : b.errors) diagnostics.push_back(from_load(e));
    return nullptr;
  }
  rt::Store& base = *b.store;  // indexed below, then shared read-only
  // Rules are checked against the first generation's dictionaries, the values the batches
  // brought since known elsewhere (decision 119): a compaction wrote those into this base as
  // codes, and checking against them would turn a rule's unknown name into the value it
  // matches loosely now, for good. (A directory written before this keeps no sizes.)
  try {
    m->schema = internal::wrap(meta.contains("dictionary_sizes") ? with_first_dictionaries(base.schema(), meta["dictionary_sizes"])
                                                                 : base.schema());
  } catch (const std::exception& e) {
    diagnostics.push_back(problem("E803", meta_path, std::string("not a membership directory's dictionary sizes: ") + e.what()));
    return nullptr;
  }
  m->generation = m->version = gen;
  std::vector<std::pair<int64_t, std::string>> listed;
  try {
    m->now = meta.at("now").get<int64_t>();
    for (const auto& s : meta.at("segments")) listed.emplace_back(s.at("id").get<int64_t>(), s.at("rule").get<std::string>());
    if (gen && meta.at("version").get<uint64_t>() != gen) throw std::invalid_argument("its version is not its name's");
  } catch (const std::exception& e) {
    diagnostics.push_back(problem("E803", meta_path, std::string("not a membership directory's segments: ") + e.what()));
    return nullptr;
  }
  std::vector<size_t> fresh;
  try {
    fresh = m->add_segments(listed);
  } catch (const std::invalid_argument& e) {
    diagnostics.push_back(problem("E803", meta_path, std::string("a segment's rule no longer compiles: ") + e.what()));
    return nullptr;
  }
  // The columns `now` bounds name get a value index, so a clock step finds the rows between a
  // bound's old and new instants without a scan.
  for (const auto& d : m->distinct) {
    std::vector<MovingBound> bounds;
    moving_bounds(d.ir, bounds);
    for (const auto& mb : bounds) rt::build_value_index(base, mb.field, rt::IndexFor::Ranges);
  }
  m->base = std::make_shared<const rt::Store>(std::move(base));
  m->parts.push_back({m->base, 0});
  m->next_row = m->base->rows();
  m->live.add_range(0, m->base->rows());
  m->evaluate_whole(fresh);
  return m;
}

Record record_at(const LogBytes& log, uint64_t at, std::string& buf) {
  const size_t header = log.header();
  if (log.size() - at < header) return {};  // part of a header: torn
  const std::string_view h = log.read(at, header, buf);
  if (h.size() < header) return {};
  uint64_t size, sum;
  std::memcpy(&size, h.data(), 8);
  std::memcpy(&sum, h.data() + 8, 8);
  if (header == 24) {
    uint64_t head;
    std::memcpy(&head, h.data() + 16, 8);
    if (rt::xxh64(h.data(), 16) != head) return {std::nullopt, log.zeros_from(at), false};
  }
  if (size > log.size() - at - header) return {};
  const std::string_view payload = log.read(at + header, size, buf);
  if (payload.size() < size) return {};
  return {payload, true, rt::xxh64(payload.data(), payload.size()) == sum};
}

// Replays the records of `log` (a whole log, magic included) from byte `at_byte` while the
// version is below `stop`, up to a last record cut short or failing its checksum (a crash
// while it was written: never acknowledged). Returns the byte after the last record replayed,
// or nullopt with `error` on damage: a whole record that cannot be replayed, or one failing
// its checksum with more of the log after it (a crash tears only the last record; treating
// it as torn would have cut every acknowledged record after it off at the next open), or on
// a read error (a record that cannot be read is not torn: the writer would cut it off).
std::optional<uint64_t> replay_records(LiveMembership::Impl& m, const LogBytes& log, uint64_t at_byte, uint64_t stop,
                                       std::vector<MemberEvent>* events, std::string& error, uint64_t* torn,
                                       size_t max_events) {
  std::vector<MemberEvent> scratch;
  std::vector<MemberEvent>& out = events ? *events : scratch;
  std::string buf;
  while (at_byte < log.size() && m.version < stop) {
    Record r = record_at(log, at_byte, buf);
    if (!log.error().empty()) {
      error = log.error();
      return std::nullopt;
    }
    if (!r.head_ok) {
      error = "damaged at byte " + std::to_string(at_byte) + ": the header of the record of version " +
              std::to_string(m.version + 1) + " fails its checksum (restore the directory from a copy)";
      return std::nullopt;
    }
    if (!r.payload) {  // cut short: the last record, torn
      if (torn) *torn = log.size() - at_byte;
      break;
    }
    const uint64_t next = at_byte + log.header() + r.payload->size();
    if (!r.sum_ok) {
      if (next == log.size()) {  // the last record: torn
        if (torn) *torn = log.size() - at_byte;
        break;
      }
      error = "damaged at byte " + std::to_string(at_byte) + ": the record of version " + std::to_string(m.version + 1) +
              " fails its checksum and " + std::to_string(log.size() - next) +
              " bytes of records follow it (restore the directory from a copy)";
      return std::nullopt;
    }
    if (!m.replay(*r.payload, out, error)) {
      error = "record of version " + std::to_string(m.version + 1) + " cannot be replayed: " + error;
      return std::nullopt;
    }
    if (!events) scratch.clear();
    at_byte = next;
    if (out.size() >= max_events) break;  // after a whole record: a version's events are never split
  }
  return at_byte;
}

// Takes generation `gen`'s log for writing: locked (one process changes a directory), cut
// after its last whole record (`end`), and appended to from there.
bool take_log(LiveMembership::Impl& m, uint64_t gen, size_t end, std::vector<Diagnostic>& diagnostics) {
  const std::string log_path = m.dir + "/" + log_file(gen);
  Fd fd(::open(log_path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.fd >= 0 && ::flock(fd.fd, LOCK_EX | LOCK_NB) != 0) {
    // flock is per open file: a second writable open in this same process is refused too.
    diagnostics.push_back(problem("E803", m.dir, "another process (or another open handle in this one) is changing this membership",
                                  "send changes to the one that has it open (seg serve --membership), or close it"));
    return false;
  }
  if (fd.fd < 0 || ::ftruncate(fd.fd, static_cast<off_t>(end)) != 0 || ::lseek(fd.fd, 0, SEEK_END) < 0 || ::fsync(fd.fd) != 0) {
    diagnostics.push_back(problem("E701", log_path, std::string("cannot be opened for writing: ") + std::strerror(errno), "", true));
    return false;
  }
  m.log_fd = std::move(fd);
  m.log_size = end;
  m.read_only = false;
  return true;
}

// Files of generations whose making did not finish (a compaction cut short by a crash or a
// full disk: no gen-V.json): removed by the process that changes the directory, once it
// holds the lock. Readers never open them. Only those past the newest generation: one before
// it without its gen-V.json lost that file, and its base and log still hold the versions up
// to the next generation (removing them, as before, made the loss of one file the loss of
// that history: found by a review).
void remove_unfinished(const std::string& dir, const std::vector<uint64_t>& gens) {
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    std::string_view digits;
    if (name.size() > 9 && name.compare(0, 5, "base-") == 0 && name.compare(name.size() - 4, 4, ".seg") == 0)
      digits = std::string_view(name).substr(5, name.size() - 9);
    else if (name.size() > 4 && name.compare(0, 4, "log-") == 0)
      digits = std::string_view(name).substr(4);
    else if (name.size() > 5 && name[0] == '.' &&
             (name.compare(name.size() - 4, 4, ".tmp") == 0 || name.find(".seg-tmp.") != std::string::npos))
      doomed.push_back(e.path());  // write_durably's and write_snapshot's, never renamed
    uint64_t v = 0;
    if (digits.empty()) continue;
    auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (err == std::errc() && end == digits.data() + digits.size() && v > gens.back())
      doomed.push_back(e.path());
  }
  for (const auto& p : doomed) fs::remove(p, ec);
}

namespace {
// Calls `visit(version, byte, next byte)` for each whole record of a log that passes its
// checksum, in order, while it returns true; a record's version is its header line's.
template <class Visit>
void each_record(const LogBytes& log, Visit visit) {
  std::string buf;
  for (uint64_t at = kMagicBytes; at < log.size();) {
    Record r = record_at(log, at, buf);
    if (!r.payload || !r.sum_ok) break;
    auto head = nlohmann::json::parse(r.payload->substr(0, r.payload->find('\n')), nullptr, false);
    const uint64_t next = at + log.header() + r.payload->size();
    if (head.is_object() && head.contains("version") && head["version"].is_number_unsigned() &&
        !visit(head["version"].get<uint64_t>(), at, next))
      break;
    at = next;
  }
}
}  // namespace

// The version of the last whole record of a log (0 when it has none).
uint64_t last_version_in(const LogBytes& log) {
  uint64_t last = 0;
  each_record(log, [&](uint64_t v, uint64_t, uint64_t) {
    last = v;
    return true;
  });
  return last;
}

// The byte of a log's first record past version `v` (its records' end when there is none yet,
// or the first record that cannot be read: `before` then says where the walk stopped).
ByteAfter byte_after_version(const LogBytes& log, uint64_t v, uint64_t base) {
  ByteAfter r{kMagicBytes, base};
  each_record(log, [&](uint64_t version, uint64_t at, uint64_t next) {
    if (version > v) {
      r.byte = at;
      return false;
    }
    r = {next, version};
    return true;
  });
  return r;
}

// A log-V without its gen-V.json is a compaction cut short (its log a copy of the older log's
// tail, never past its end), unless it holds versions after `newest`, the last the generations
// replayed: then the take-over happened and gen-V.json was lost, and going on without it would
// serve an older version and let the next writer remove log-V with the changes in it (found
// by a review). An error message then, or "" when there is none.
std::string lost_generation(const std::string& dir, const std::vector<uint64_t>& gens, uint64_t newest) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    uint64_t v = 0;
    if (name.size() <= 4 || name.compare(0, 4, "log-") != 0) continue;
    auto [end, err] = std::from_chars(name.data() + 4, name.data() + name.size(), v);
    if (err != std::errc() || end != name.data() + name.size() || std::binary_search(gens.begin(), gens.end(), v)) continue;
    std::string error;
    auto log = LogBytes::open(e.path().string(), error);
    if (!log) continue;
    // A writer's take-over writes gen-V.json before anything goes past the older log, so one
    // there now is a generation made since the list was read (a reader's race), not a loss.
    if (uint64_t last = last_version_in(*log); last > newest && !fs::exists(fs::path(dir) / meta_file(v), ec))
      return name + " holds versions up to " + std::to_string(last) + ", past the " + std::to_string(newest) +
             " the generations replay to, but " + meta_file(v) + " is missing (restore it from a copy)";
  }
  return "";
}

// Does a writer hold `log_path` (a process changing the membership)? A reader takes no lock,
// so the last record it sees may be one being appended now, not a tear (found by a review:
// readers beside `seg serve --membership` warned W703 with "restore from a copy").
bool writer_appending(const std::string& log_path, uint64_t size_seen) {
  Fd fd(::open(log_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) return false;
  if (::flock(fd.fd, LOCK_SH | LOCK_NB) != 0) return errno == EWOULDBLOCK;  // closing the fd releases a lock taken
  // No writer now; but one that finished the record and closed between the read and this
  // check leaves a log of another size (a longer one, or one a new writer cut): not a tear.
  struct stat st{};
  return ::fstat(fd.fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != size_seen;
}

// The diagnostics opening and an EventReader share: a log that ends before the next
// generation starts (E811), a torn last record (W703), a version not there yet (E803).
Diagnostic versions_missing(const std::string& log_path, uint64_t version, uint64_t next_gen) {
  return problem("E811", log_path,
                 "ends at version " + std::to_string(version) + ", before generation " + std::to_string(next_gen) +
                     " starts: versions are missing");
}

Diagnostic torn_record(const std::string& log_path, uint64_t bytes, uint64_t version) {
  Diagnostic w = problem("W703", log_path,
                         fmt::format("the log ends in a record cut short ({} bytes after version {}): a change a crash "
                                     "interrupted, never acknowledged, is dropped",
                                     bytes, version),
                         "if acknowledged changes are missing, the log was cut short: restore the directory from a copy");
  w.severity = Severity::Warning;
  w.subject = Subject::Data;
  return w;
}

Diagnostic no_version(const std::string& dir, uint64_t wanted, uint64_t newest, bool cursor) {
  return problem("E803", dir,
                 "no version " + std::to_string(wanted) + (cursor ? " to follow from" : "") + ": the newest is " +
                     std::to_string(newest));
}

size_t generation_index(const std::vector<uint64_t>& gens, uint64_t version) {
  return static_cast<size_t>(std::upper_bound(gens.begin(), gens.end(), version) - gens.begin() - 1);
}

// Opens generation `gen` of `dir` and replays the log from there: that generation's log up to
// where the next generation starts, then (read-only) the later generations' logs, which
// continue it, up to version `at`. A writable open is of the newest generation and cuts a
// torn last record off its log.
std::shared_ptr<LiveMembership::Impl> open_generation(const std::string& dir, const std::vector<uint64_t>& gens, size_t g,
                                                      std::optional<uint64_t> at, std::vector<MemberEvent>* events,
                                                      bool writable, std::vector<Diagnostic>& diagnostics) {
  const uint64_t gen = gens[g];
  std::string error;
  auto meta_text = read_whole(dir + "/" + meta_file(gen), error);
  if (!meta_text) {
    if (g + 1 < gens.size())  // a later generation is there: this one's history was removed
      diagnostics.push_back(problem("E811", dir,
                                    "the versions before " + std::to_string(gens[g + 1]) + " were removed with their generation (no " +
                                        meta_file(gen) + "): the oldest version readable is " + std::to_string(gens[g + 1]),
                                    "ask from version " + std::to_string(gens[g + 1]) + " on"));
    else
      diagnostics.push_back(problem("E803", dir, "not a membership directory (no " + meta_file(gen) + "): " + error,
                                    "make one with `seg refresh --state DIR`"));
    return nullptr;
  }
  auto m = load_generation(dir, gen, *meta_text, diagnostics);
  if (!m) return nullptr;
  m->read_gen = gen;  // a replay that reads no record stops at the log's first
  m->read_byte = kMagicBytes;
  size_t end_of_records = kMagicBytes;
  for (size_t k = g; k < gens.size() && !(at && m->version >= *at); ++k) {
    if (k > g && m->version != gens[k]) {
      diagnostics.push_back(versions_missing(dir + "/" + log_file(gens[k - 1]), m->version, gens[k]));
      return nullptr;
    }
    const std::string log_path = dir + "/" + log_file(gens[k]);
    auto log = LogBytes::open(log_path, error);
    if (!log) {
      diagnostics.push_back(problem("E803", log_path, error));
      return nullptr;
    }
    // A log goes on past the next generation's start when changes came while the compaction
    // that made it ran: the next log holds those too, from its start.
    uint64_t stop = at.value_or(UINT64_MAX);
    if (k + 1 < gens.size()) stop = std::min(stop, gens[k + 1]);
    uint64_t torn = 0;
    auto end = replay_records(*m, *log, kMagicBytes, stop, events, error, &torn);
    if (!end) {
      diagnostics.push_back(problem("E803", log_path, error));
      return nullptr;
    }
    // A torn last record is a change a crash cut short, never acknowledged, and is dropped; but
    // a log cut short by other means looks the same, so it is said (found by a review: a
    // truncated log showed an older state without a word). A writable open cuts it off.
    if (torn && !(!writable && writer_appending(log_path, log->size()))) diagnostics.push_back(torn_record(log_path, torn, m->version));
    end_of_records = *end;
    m->log_header = log->header();
    m->read_gen = gens[k];  // where an EventReader goes on from
    m->read_byte = *end;
  }
  if (!at) {
    if (std::string lost = lost_generation(dir, gens, m->version); !lost.empty()) {
      diagnostics.push_back(problem("E803", dir, lost));
      return nullptr;
    }
  }
  if (writable) {
    if (!take_log(*m, gen, end_of_records, diagnostics)) return nullptr;
    remove_unfinished(dir, gens);
  }
  return m;
}

std::optional<LiveMembership> open_membership(const std::string& dir, std::vector<Diagnostic>& diagnostics,
                                             std::optional<uint64_t> at, std::vector<MemberEvent>* events, uint64_t since,
                                             bool writable, bool cursor) {
  // A writer locks the directory before it lists the generations, and keeps the lock across
  // its compactions (Impl::dir_lock). A directory that is not a membership (no generation's
  // description: the first's may have been removed with its history) gets no lock file:
  // opening it fails below (E803).
  Fd lock;
  if (writable && (fs::exists(dir + "/" + meta_file(0)) || generations(dir).size() > 1)) {
    lock = Fd(::open((dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (lock.fd < 0) {
      diagnostics.push_back(problem("E701", dir + "/lock", std::string("cannot be opened: ") + std::strerror(errno), "", true));
      return std::nullopt;
    }
    if (::flock(lock.fd, LOCK_EX | LOCK_NB) != 0) {
      diagnostics.push_back(problem("E803", dir, "another process (or another open handle in this one) is changing this membership",
                                    "send changes to the one that has it open (seg serve --membership), or close it"));
      return std::nullopt;
    }
  }
  std::vector<uint64_t> gens = generations(dir);
  // The generation to start from: the newest one at or before the first version wanted.
  const size_t newest = gens.size() - 1;
  const size_t g = generation_index(gens, std::min(at.value_or(UINT64_MAX), events ? since : UINT64_MAX));
  std::vector<MemberEvent>* const wanted = events;
  std::shared_ptr<LiveMembership::Impl> m;
  if (!writable) {
    m = open_generation(dir, gens, g, at, events, false, diagnostics);
  } else {
    // Events from before the newest generation: read them from the older one first.
    if (events && g != newest) {
      if (!open_generation(dir, gens, g, std::nullopt, events, false, diagnostics)) return std::nullopt;
      events = nullptr;
    }
    m = open_generation(dir, gens, newest, std::nullopt, events, true, diagnostics);
  }
  if (!m) return std::nullopt;
  if (at && m->version < *at) {
    diagnostics.push_back(no_version(dir, *at, m->version, cursor));
    return std::nullopt;
  }
  // A cursor past the newest version is not one this membership gave out (another directory's,
  // or a typo): printing nothing would look like "no events yet".
  if (wanted && since > m->version) {
    diagnostics.push_back(no_version(dir, since, m->version, true));
    return std::nullopt;
  }
  m->dir_lock = std::move(lock);
  if (wanted) std::erase_if(*wanted, [&](const MemberEvent& e) { return e.version <= since; });
  LiveMembership out;
  out.impl = m;
  return out;
}

}  // namespace seg::api::live
