// The segments service's catalog endpoints (docs/service.md): saved segments listed,
// created, read, edited, archived, their versions, and their members streamed.
#include <algorithm>
#include <charconv>

#include "service/server_impl.hpp"

namespace seg::service {

void Server::Impl::route_catalog() {
  route("GET", "/api/segments", &Impl::list_segments);
  route("POST", "/api/segments", &Impl::create_segment);
  route("GET", R"(/api/segments/(\d+))", &Impl::get_segment);
  route("PUT", R"(/api/segments/(\d+))", &Impl::edit_segment);
  route("DELETE", R"(/api/segments/(\d+))", &Impl::archive_segment);
  route("POST", R"(/api/segments/(\d+)/restore)", &Impl::restore_segment);
  route("GET", R"(/api/segments/(\d+)/versions)", &Impl::list_versions);
  route("GET", R"(/api/segments/(\d+)/members)", &Impl::stream_members);
}

void Server::Impl::list_segments(const httplib::Request& req, httplib::Response& res) {
  auto d = current();
  const std::string archived_param = req.has_param("archived") ? req.get_param_value("archived") : "false";
  if (archived_param != "true" && archived_param != "false")
    return reply_error(res, 400, "bad_request", "archived is `true` (archived segments too) or `false`");
  const bool archived = archived_param == "true";
  std::string counts_param = req.has_param("counts") ? req.get_param_value("counts") : "all";
  if (counts_param != "all" && counts_param != "cached")
    return reply_error(res, 400, "bad_request", "counts is `all` (computed now when needed) or `cached`");
  bool only_cached = counts_param == "cached" && warmed_version != d->version;
  // Written directly (the members of segment_json and segment_with_facts, in their order)
  // into the answer's own body, reserved at the last listing's size: 10,000 segments took
  // 150 ms through nlohmann objects, and the copies and page faults of a growing buffer were
  // most of what remained (docs/performance.md).
  std::string out;
  out.reserve(last_listing_bytes.load() + 4096);
  size_t pending = 0, n = 0;
  uint64_t membership_version = 0, clients = 0;
  std::string problem;
  const auto members = membership_counts(membership_version, clients, problem);
  fmt::format_to(std::back_inserter(out), "{{\"ok\":true,\"data_version\":{},", d->version);
  if (live)
    fmt::format_to(std::back_inserter(out), "\"membership_version\":{},\"clients\":{},\"instance\":\"{}\",",
                   membership_version, clients, instance);
  if (!problem.empty()) {
    // The page says so above the table: the counts in it are behind the catalog.
    out.append("\"membership_problem\":");
    append_json_string(out, problem);
    out.append(",");
  }
  out.append("\"segments\":[");
  // Held here: `for (… : *catalog->list_light())` would destroy the pointer before the loop
  // (a range-for keeps only the vector reference alive, until C++23), and the catalog's cache
  // frees the vector when a save and another listing replace it: the service died under
  // concurrent saves and listings (found by a review).
  const auto listing = catalog->list_light(archived);
  for (const Segment& s : *listing) {
    std::optional<CachedCount> f = only_cached ? cached_facts(s, *d) : std::optional(facts_of(s, *d));
    fmt::format_to(std::back_inserter(out), "{}{{\"id\":{},\"version\":{},\"title\":", n++ ? "," : "", s.id, s.version);
    append_json_string(out, s.content.title);
    out.append(",\"rule\":");
    append_json_string(out, s.content.rule_text);
    fmt::format_to(std::back_inserter(out), ",\"hash\":\"{}\",\"origin\":\"{}\",\"archived\":{},\"created_at\":{},\"updated_at\":{},\"summary\":",
                   api::hash_text(s.content.hash), origin_name(s.content.origin), s.archived, s.created_at, s.updated_at);
    if (f) append_json_string(out, f->summary);
    else out.append("null");
    // With a membership, its count: the data as changed since the snapshot was served.
    auto m = members.find(s.id);
    std::optional<uint64_t> archived_n = s.archived ? membership_count(s) : std::nullopt;
    // A segment not counted yet is `pending` (its summary is still to come) even when the
    // membership has its count (found by a review: the flag was left out then).
    const char* end = f ? "}" : ",\"pending\":true}";
    if (m != members.end() && !s.archived) fmt::format_to(std::back_inserter(out), ",\"clients\":{}{}", m->second, end);
    else if (archived_n) fmt::format_to(std::back_inserter(out), ",\"clients\":{}{}", *archived_n, end);
    else if (f && f->count) fmt::format_to(std::back_inserter(out), ",\"clients\":{}}}", *f->count);
    else fmt::format_to(std::back_inserter(out), ",\"clients\":null{}", end);
    pending += !f;
  }
  fmt::format_to(std::back_inserter(out), "],\"pending\":{}}}", pending);
  last_listing_bytes = out.size();
  res.set_header("Content-Type", "application/json");
  res.body = std::move(out);
}

void Server::Impl::create_segment(const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req, res);
  // No `now`: a saved segment is counted at the service's clock, so one here would change
  // nothing, silently (found by a review).
  if (!body || !only_members(*body, {"title", "rule", "form", "ir", "querybuilder", "jsonlogic"}, res)) return;
  auto in = segment_input(*body, res);
  if (!in) return;
  SegmentContent& c = in->content;
  if (c.title.empty()) {
    reply_error(res, 400, "bad_request", "a segment needs a `title`");
    return;
  }
  Segment s = catalog->create(c);
  auto unsynced = sync_membership(s.id);
  json j = segment_json(s);
  api::RunOptions o;
  std::optional<int64_t> at;
  if (in->rule.uses_now()) at = o.now = clock_seconds();
  uint64_t n = query(in->rule, *in->data).count(o).count;
  remember(s, *in->data, n, in->rule.summary(), at);
  j["summary"] = in->rule.summary();
  j["clients"] = n;
  // With a membership, its count, as the listing and GET show (found by a review: the data
  // file's count came back here).
  if (auto m = membership_count(s); m) j["clients"] = *m;
  res.set_header("Location", fmt::format("/api/segments/{}", s.id));
  json out = {{"ok", true}, {"segment", j}, {"diagnostics", diagnostics_json(in->rule, in->request)}};
  say_unsynced(out, unsynced);
  reply(res, out, 201);
}

void Server::Impl::get_segment(const httplib::Request& req, httplib::Response& res) {
  auto sid = segment_id(req, res);
  if (!sid) return;
  int64_t id = *sid;
  auto s = catalog->get(id);
  if (!s) return reply_error(res, 404, "not_found", fmt::format("no segment {}", id));
  auto d = current();
  reply(res, {{"ok", true}, {"data_version", d->version}, {"segment", segment_with_facts(*s, *d, true)}});
}

// An edit names the version it edits: {"version": 3, "title": ..., one rule member}.
void Server::Impl::edit_segment(const httplib::Request& req, httplib::Response& res) {
  auto sid = segment_id(req, res);
  if (!sid) return;
  int64_t id = *sid;
  auto body = parse_body(req, res);
  if (!body || !only_members(*body, {"version", "title", "rule", "form", "ir", "querybuilder", "jsonlogic"}, res))
    return;
  // Versions count from 1: a version below that is a mistake in the request, not an edit of
  // an old version (it was 409 stale_version; a review).
  if (!body->contains("version") || !is_int64((*body)["version"]) || (*body)["version"].get<int64_t>() < 1) {
    reply_error(res, 400, "bad_request",
                body->contains("version")
                    ? fmt::format("`version` is {}: the version number the edit is of, an integer from 1", (*body)["version"].dump())
                    : std::string("an edit names the `version` it edits (optimistic concurrency)"));
    return;
  }
  auto in = segment_input(*body, res);
  if (!in) return;
  SegmentContent& c = in->content;
  if (c.title.empty()) {
    auto cur = catalog->get(id);
    if (cur) c.title = cur->content.title;  // an edit of the rule alone keeps the title
  }
  Segment out;
  switch (catalog->update(id, (*body)["version"].get<int64_t>(), c, &out)) {
    case WriteStatus::Ok: {
      auto unsynced = sync_membership(id);
      json answer = {{"ok", true}, {"segment", segment_with_facts(out, *in->data, true)}};
      say_unsynced(answer, unsynced);
      return reply(res, answer);
    }
    case WriteStatus::NotFound: return reply_error(res, 404, "not_found", fmt::format("no segment {}", id));
    case WriteStatus::Stale:
      return reply_error(res, 409, "stale_version",
                         fmt::format("segment {} has changed since version {}: reload it and edit again", id,
                                     (*body)["version"].get<int64_t>()));
    // An archived segment is read-only: an edit would change a segment hidden from the
    // listing and from the membership (found by a review).
    case WriteStatus::Archived:
      return reply_error(res, 409, "archived", fmt::format("segment {} is archived: it cannot be edited", id), nullptr,
                         "save the rule as a new segment");
  }
}

// Archiving and restoring: a new version with `archived` set or cleared, named by the
// version it changes (stale: 409); the membership follows the catalog.
void Server::Impl::set_archived(httplib::Response& res, int64_t id, int64_t version, bool archived) {
  Segment out;
  switch (catalog->set_archived(id, version, archived, &out)) {
    case WriteStatus::Ok: {
      auto unsynced = sync_membership(id);
      json answer = {{"ok", true}, {"segment", segment_json(out)}};
      say_unsynced(answer, unsynced);
      return reply(res, answer);
    }
    case WriteStatus::NotFound: return reply_error(res, 404, "not_found", fmt::format("no segment {}", id));
    case WriteStatus::Stale:
      return reply_error(res, 409, "stale_version", fmt::format("segment {} has changed since version {}", id, version));
    case WriteStatus::Archived: return reply_error(res, 409, "archived", fmt::format("segment {} is archived already", id));
  }
}

// Archiving: DELETE /api/segments/{id}?version=N (the segment and its versions stay readable).
void Server::Impl::archive_segment(const httplib::Request& req, httplib::Response& res) {
  auto sid = segment_id(req, res);
  if (!sid) return;
  std::string v = req.get_param_value("version");
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 18) {
    reply_error(res, 400, "bad_request", "archiving names the `version` it archives: ?version=N");
    return;
  }
  set_archived(res, *sid, std::stoll(v), true);
}

// Restoring: POST /api/segments/{id}/restore?version=N, N the archived version (archiving
// by mistake is undone; the restored segment is a new version with the same rule).
void Server::Impl::restore_segment(const httplib::Request& req, httplib::Response& res) {
  auto sid = segment_id(req, res);
  if (!sid) return;
  uint64_t version = 0;
  if (!req.has_param("version")) return reply_error(res, 400, "bad_request", "restoring names the archived `version` it restores: ?version=N");
  if (!whole_param(req, res, "version", INT64_MAX, version, 1)) return;
  auto current = catalog->get(*sid);
  if (!current) return reply_error(res, 404, "not_found", fmt::format("no segment {}", *sid));
  if (!current->archived) return reply_error(res, 409, "not_archived", fmt::format("segment {} is not archived", *sid));
  set_archived(res, *sid, static_cast<int64_t>(version), false);
}

void Server::Impl::list_versions(const httplib::Request& req, httplib::Response& res) {
  auto sid = segment_id(req, res);
  if (!sid) return;
  int64_t id = *sid;
  auto vs = catalog->versions(id);
  if (vs.empty()) return reply_error(res, 404, "not_found", fmt::format("no segment {}", id));
  // Each version's top-level conditions as the library prints them, for the page's history
  // to say which were added and removed: the page split the text on ` and ` itself, and so
  // cut `spot between 3 and 7` in two (found by a review). A rule the schema served now
  // does not take has none; the page then shows the rule whole.
  const api::Schema schema = rules_schema(*current());
  json list = json::array();
  for (const auto& s : vs) {
    json j = segment_json(s);
    api::Rule rule = api::Rule::compile(s.content.rule_text, schema);
    if (rule.ok()) j["clauses"] = rule.clauses();
    list.push_back(std::move(j));
  }
  reply(res, {{"ok", true}, {"versions", list}});
}

namespace {

// A member stream's state, shared by the chunks httplib asks for: the members come from a
// cursor that evaluates a batch of blocks at a time, so memory stays at one batch however
// many members there are (when the data's ids are in row order; MemberCursor in
// include/seg/seg.hpp), or from a membership's list of ids, each batch's cells read as it
// is sent.
struct MemberStream {
  std::shared_ptr<Server::Impl::WaitSlot> slot;  // the waiting slot, held until the stream is done or cut
  std::shared_ptr<const Data> data;  // the store stays while it streams, reloads or not
  std::optional<api::MemberCursor> cursor;
  Server::Impl::Live* live = nullptr;  // with a membership: its ids from `next` on
  std::vector<int64_t> ids;
  size_t next = 0;
  std::vector<std::string> names;
  std::vector<size_t> cols;  // schema positions: the page has these columns, in this order
  bool csv = true;
  api::PageWriter writer{api::RowsFormat::Csv};

  std::vector<int64_t> next_ids(size_t n) {
    if (cursor) return cursor->next_ids(n);
    size_t to = std::min(ids.size(), next + n);
    std::vector<int64_t> out(ids.begin() + static_cast<std::ptrdiff_t>(next), ids.begin() + static_cast<std::ptrdiff_t>(to));
    next = to;
    return out;
  }
  // The next batch of rows with their columns: from the cursor, or the membership's cells as
  // they are now.
  api::Page next_rows(size_t n) {
    if (cursor) return cursor->next_rows(n, cols);
    std::vector<int64_t> batch = next_ids(n);
    if (batch.empty()) return api::Page{};
    return Server::Impl::membership_rows(*live, batch, cols);
  }
  // One chunk: the header first, then a batch of members. False when the reader is gone.
  bool fill(httplib::DataSink& sink) {
    std::string chunk;
    bool more = false;
    if (names.size() == 1) {
      // The id column alone: ids straight from the cursor, no pages of rows.
      std::vector<int64_t> batch = next_ids(65536);
      more = !batch.empty();
      chunk = writer.write_ids(names[0], batch);
    } else {
      api::Page page = next_rows(16384);  // only the columns asked for
      more = !page.rows.empty();
      page.columns = names;  // the fields asked for, on a page of no rows too (the header)
      chunk = writer.write(page);
    }
    if (!chunk.empty() && !sink.write(chunk.data(), chunk.size())) return false;
    if (!more) sink.done();
    return true;
  }
};

// The columns a member stream asked for (`columns=stage,tags`, by name or alias) after the id
// field, which comes first; `all` is every field, as the REPL's `.columns all` (a review found
// no short way to ask for them); nullopt with a 400 written for a field the schema lacks.
std::optional<std::vector<size_t>> member_columns(const httplib::Request& req, httplib::Response& res,
                                                  const api::Schema& schema, size_t id_field) {
  std::vector<size_t> cols = {id_field};
  if (!req.has_param("columns")) return cols;
  std::string list = req.get_param_value("columns");
  for (size_t at = 0; at <= list.size();) {
    size_t comma = std::min(list.find(',', at), list.size());
    std::string name = list.substr(at, comma - at);
    at = comma + 1;
    if (name.empty()) continue;
    std::string lower = name;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == "all") {  // any case, as field names are
      for (size_t f = 0; f < schema.fields().size(); ++f)
        if (std::find(cols.begin(), cols.end(), f) == cols.end()) cols.push_back(f);
      continue;
    }
    auto f = schema.find(name);
    if (!f) {
      auto near = schema.suggest(name);
      reply_error(res, 400, "bad_request",
                  fmt::format("no field `{}`{}", name, near.empty() ? "" : fmt::format("; did you mean `{}`?", near[0])));
      return std::nullopt;
    }
    if (std::find(cols.begin(), cols.end(), *f) == cols.end()) cols.push_back(*f);
  }
  return cols;
}

}  // namespace

// With a membership the members are the membership's, as the table counts them: the
// segment's set at the membership's version now. A segment the membership does not hold
// (its rule does not compile against the membership's data) is the data file's, as in the
// table: no ids then, and the data file's version and schema.
Server::Impl::MemberSet Server::Impl::member_set(const Segment& s, const Data& d) {
  MemberSet m{std::nullopt, d.version, d.schema};
  if (!live) return m;
  {
    std::lock_guard lock(live->mu);
    try {
      m.ids = live->m->ids(s.id);
      m.version = live->m->version();
      m.schema = live->m->schema();
    } catch (const std::out_of_range&) {
    }
  }
  if (!m.ids && s.archived) {
    // An archived segment is not in the membership, but its members are still its clients
    // as changes left them (a review found the data file's streamed: deleted clients back).
    api::LiveMembership::View view = membership_view();
    std::vector<api::Diagnostic> diags;
    m.ids = view.ids(s.content.rule_text, view.now(), diags);
    if (m.ids) {
      m.version = view.version();
      std::lock_guard lock(live->mu);
      m.schema = live->m->schema();
    }
  }
  return m;
}

// Members, streamed: CSV (a header, then one member a line, the id first) or JSON Lines,
// with the columns asked for (`columns=stage,tags`; the id alone by default). The data
// version the set was computed on is in X-Seg-Data-Version, so a mailing sends to one
// consistent set; `cursor=ID` resumes after the member with that id, and `data_version=N`
// refuses (409) when the data has changed since the stream that gave the cursor.
void Server::Impl::stream_members(const httplib::Request& req, httplib::Response& res) {
  auto sid = segment_id(req, res);
  if (!sid) return;
  int64_t id = *sid;
  std::string format = req.has_param("format") ? req.get_param_value("format") : "csv";
  if (format != "csv" && format != "jsonl") return reply_error(res, 400, "bad_request", "format is csv or jsonl");
  std::optional<int64_t> after;
  if (req.has_param("cursor")) {
    std::string c = req.get_param_value("cursor");
    int64_t v = 0;
    auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), v);
    if (ec != std::errc() || end != c.data() + c.size())
      return reply_error(res, 400, "bad_request", "cursor is the id of the last member received");
    after = v;
  }
  uint64_t asked_version = 0;  // a malformed one is a bad request, not a change of data
  if (!whole_param(req, res, "data_version", UINT64_MAX, asked_version)) return;
  auto s = catalog->get(id);
  if (!s) return reply_error(res, 404, "not_found", fmt::format("no segment {}", id));
  auto slot = wait_slot();  // held until the stream is done or cut
  if (!slot) return busy(res);
  auto d = current();
  MemberSet set = member_set(*s, *d);
  if (req.has_param("data_version") && asked_version != set.version)
    return reply_error(res, 409, "data_changed",
                       fmt::format("the data is now version {}: start the members again without a cursor", set.version));
  auto fields = set.schema.fields();
  std::optional<size_t> id_field;
  for (size_t f = 0; f < fields.size(); ++f)
    if (fields[f].identifies) id_field = f;
  // Members are streamed by id (the id column first, a cursor resumes after an id): data
  // whose schema names no id field has none, and its first field was headed over row numbers
  // (a review).
  if (!id_field)
    return reply_error(res, 409, "no_id_field",
                       "the data's schema names no id field (`id_field`), so its members have no ids to stream; "
                       "count them with POST /api/count, or serve data whose schema names one");
  auto cols = member_columns(req, res, set.schema, *id_field);
  if (!cols) return;
  auto st = std::make_shared<MemberStream>();
  st->slot = slot;
  st->data = d;
  for (size_t c : *cols) st->names.push_back(fields[c].name);
  st->cols = std::move(*cols);
  st->csv = format == "csv";
  st->writer = api::PageWriter(st->csv ? api::RowsFormat::Csv : api::RowsFormat::JsonLines);
  uint64_t total = 0;
  if (set.ids) {
    st->live = live.get();
    st->ids = std::move(*set.ids);
    if (after) st->next = static_cast<size_t>(std::upper_bound(st->ids.begin(), st->ids.end(), *after) - st->ids.begin());
    total = st->ids.size() - st->next;
  } else {
    api::Rule rule = api::Rule::compile(s->content.rule_text, d->schema);
    if (!rule.ok())
      return reply_error(res, 409, "does_not_compile", "the segment's rule does not compile against the data served now",
                         json::parse(api::render_json(rule.diagnostics(), s->content.rule_text)));
    api::Query q = query(rule, *d);
    // One `now` for the count in the header and every batch of the stream.
    api::RunOptions o;
    o.now = clock_seconds();
    // How many follow: with a cursor, the members above it.
    total = after ? q.count_after(*after, o) : q.count(o).count;
    st->cursor.emplace(q.members(o, after));
  }
  res.set_header("X-Seg-Data-Version", std::to_string(set.version));
  res.set_header("X-Seg-Members", std::to_string(total));
  // A provider runs outside httplib's handler try, where an exception would end the process:
  // one cuts this stream instead (the reader sees a chunked answer without its last chunk).
  auto provide = [st](size_t, httplib::DataSink& sink) {
    try {
      if (st->fill(sink)) return true;
    } catch (const std::exception& e) {
      log_line(stderr, fmt::format("seg serve: a member stream was cut: {}", e.what()));
    }
    stream_cut = true;
    return false;
  };
  res.set_chunked_content_provider(st->csv ? "text/csv" : "application/x-ndjson", provide);
}

}  // namespace seg::service
