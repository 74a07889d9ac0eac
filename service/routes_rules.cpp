// The segments service's data and rule endpoints (docs/service.md): health, schema and
// reload; check, SQL, completion, count and the diff of two rules or of a segment's versions.
#include <mutex>

#include "service/server_impl.hpp"

namespace seg::service {

void Server::Impl::reply_diff(httplib::Response& res, const api::Rule& before, const api::Rule& after, const Data& d,
                std::optional<int64_t> now, size_t sample, json extra) {
  std::optional<api::Diff> diff;
  uint64_t membership_version = 0;
  if (live) {
    std::vector<api::Diagnostic> diags;
    const api::LiveMembership::View view = membership_view();
    diff = view.diff(before.canonical_text(), after.canonical_text(), now ? *now : view.now(), sample, diags);
    membership_version = view.version();
    if (!diff)
      return reply_error(res, 422, "rule_errors",
                         "the rules do not compile against the membership's data: " +
                             first_error_text(diags),
                         json::parse(api::render_json(diags, "")));
  } else {
    api::RunOptions o;
    o.now = now;
    diff = api::diff(query(before, d), query(after, d), o, sample);
  }
  json j = {{"ok", true}};
  j.update(extra);
  j.update(json::parse(diff->json()));
  j["data_version"] = d.version;
  if (live) {
    j["membership_version"] = membership_version;
    j["instance"] = instance;
  }
  reply(res, j);
}

void Server::Impl::route_rules() {
  route("GET", "/api/health", &Impl::health);
  route("GET", "/api/schema", &Impl::describe_schema);
  route("POST", "/api/check", &Impl::check_rule);
  route("POST", "/api/sql", &Impl::rule_sql);
  route("POST", "/api/complete", &Impl::complete_rule);
  route("POST", "/api/diff", &Impl::diff_rules);
  route("GET", R"(/api/segments/(\d+)/diff)", &Impl::diff_versions);
  route("POST", "/api/count", &Impl::count_rule);
  route("POST", "/api/data/reload", &Impl::reload_data);
}

void Server::Impl::health(const httplib::Request&, httplib::Response& res) {
  auto d = current();
  reply(res, {{"ok", true},
              {"data_version", d->version},
              {"rows", d->store.rows()},
              {"version", api::version()},
              {"waiting", waiting.load()},
              {"event_replays", live ? live->replays.load() : 0}});
}

void Server::Impl::describe_schema(const httplib::Request&, httplib::Response& res) {
  auto d = current();
  // With a membership its clients as changes left them, as the counts beside the form are: the
  // values and their clients were the data file's, without a tag a batch added (found by a
  // review).
  std::optional<api::LiveMembership::View> view;
  if (live) view = membership_view();
  auto fields = rules_schema(*d).fields();
  json out = json::array();
  for (size_t f = 0; f < fields.size(); ++f) {
    const api::FieldInfo& fi = fields[f];
    json j;
    j["name"] = fi.name;
    j["type"] = api::type_name(fi.type);
    if (fi.type == api::FieldType::Decimal) j["scale"] = fi.scale;
    j["aliases"] = fi.aliases;
    j["nullable"] = fi.nullable;
    j["identifies"] = fi.identifies;
    j["operators"] = fi.operators;
    if (fi.type == api::FieldType::Enum || fi.type == api::FieldType::Set) {
      j["ordered"] = fi.ordered;
      j["open"] = fi.open;
      auto& values = j["values"] = json::array();
      for (const auto& v : view ? view->value_counts(f) : d->store.value_counts(f))
        values.push_back({{"key", v.key}, {"label", v.label}, {"clients", v.count}, {"missing", v.missing}});
    } else if (auto r = d->store.range(f)) {
      j["range"] = {r->first, r->second};
    }
    out.push_back(std::move(j));
  }
  json j = {{"ok", true}, {"data_version", d->version}};
  add_clients(j, *d);
  j["fields"] = std::move(out);
  reply(res, j);
}

void Server::Impl::check_rule(const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req, res);
  if (!body) return;
  auto r = rule_request(*body, res);
  if (!r) return;
  auto d = current();
  api::Rule rule = api::Rule::compile(r->source, rules_schema(*d), r->format, "<" + r->member + ">");
  json j;
  j["ok"] = rule.ok();
  j["diagnostics"] = diagnostics_json(rule, *r);
  if (rule.ok()) {
    j["text"] = rule.canonical_text();
    j["summary"] = rule.summary();
    j["hash"] = api::hash_text(rule.hash());
    j["ir"] = json::parse(rule.ir_json());
    std::string why;
    auto form = rule.form_json(why);
    if (form) j["form"] = json::parse(*form);
    else j["form_unavailable"] = why;
  }
  // Whether the rule is valid is the answer, so it is 200 either way (docs/decisions.md 30).
  reply(res, j);
}

// The rule as SQL for the CRM's database or a warehouse (docs/sql.md): `dialect`
// (postgres, sqlite, duckdb, clickhouse), `shape` (select, count, where), `inline`, an
// optional `mapping` object and `now`.
void Server::Impl::rule_sql(const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req, res);
  if (!body) return;
  auto r = rule_request(*body, res);
  if (!r) return;
  api::SqlOptions o;
  // value() throws on a member of another type (a 500): strings are checked first.
  auto text_member = [&](const char* name, const char* fallback) {
    return !body->contains(name) ? std::optional<std::string>(fallback)
           : (*body)[name].is_string() ? std::optional<std::string>((*body)[name].get<std::string>())
                                       : std::nullopt;
  };
  std::string dialect = text_member("dialect", "postgres").value_or("");
  std::string shape = text_member("shape", "select").value_or("");
  auto which = api::sql_dialect(dialect);
  // The member that is wrong, as it was given (every rule was listed, whichever was broken; a
  // review).
  auto given = [&](const char* name) { return (*body)[name].dump(); };
  std::string wrong;
  if (!which)
    wrong = fmt::format("`dialect` is {}: postgres, sqlite, duckdb or clickhouse", given("dialect"));
  else if (shape != "select" && shape != "count" && shape != "where")
    wrong = fmt::format("`shape` is {}: select, count or where", given("shape"));
  else if (body->contains("inline") && !(*body)["inline"].is_boolean())
    wrong = fmt::format("`inline` is {}: true or false", given("inline"));
  else if (body->contains("mapping") && !(*body)["mapping"].is_object())
    wrong = "`mapping` is not an object (docs/sql.md)";
  if (!wrong.empty()) return reply_error(res, 400, "bad_request", wrong);
  o.dialect = *which;
  o.shape = shape == "count" ? api::SqlOptions::Shape::Count
            : shape == "where" ? api::SqlOptions::Shape::Where
                               : api::SqlOptions::Shape::Select;
  o.inline_values = body->value("inline", false);
  if (body->contains("mapping")) o.mapping_json = (*body)["mapping"].dump();
  o.now = r->now;
  auto d = current();
  auto rule = compile(*r, *d, res);
  if (!rule) return;
  std::vector<api::Diagnostic> diags;
  auto st = rule->to_sql(o, diags);
  json dj = json::parse(api::render_json(diags, ""));
  prefix_paths(dj, "/mapping");
  if (!st) {
    reply_error(res, 422, "sql_errors", "the mapping or the dialect cannot say this rule", dj);
    return;
  }
  json j = json::parse(st->json());
  j["ok"] = true;
  j["dialect"] = dialect;
  if (!dj.empty()) j["diagnostics"] = dj;
  reply(res, j);
}

void Server::Impl::complete_rule(const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req, res);
  if (!body) return;
  if (!body->contains("text") || !(*body)["text"].is_string()) {
    reply_error(res, 400, "bad_request", "the body needs `text` (rule text) and optionally `cursor` (a byte offset)");
    return;
  }
  std::string text = (*body)["text"];
  size_t cursor = text.size();
  if (body->contains("cursor")) {
    const json& c = (*body)["cursor"];
    // Within the text, and not inside a UTF-8 character (its continuation bytes are 10xxxxxx).
    if (!c.is_number_unsigned() || c.get<uint64_t>() > text.size() ||
        (c.get<uint64_t>() < text.size() && (static_cast<unsigned char>(text[c.get<size_t>()]) & 0xC0) == 0x80)) {
      reply_error(res, 400, "bad_request", "`cursor` must be a byte offset within `text`, between two characters");
      return;
    }
    cursor = c.get<size_t>();
  }
  auto d = current();
  api::Completion c = api::complete(std::string_view(text).substr(0, cursor), rules_schema(*d));
  reply(res, {{"ok", true}, {"start", c.start}, {"word", c.word}, {"matches", c.matches}, {"add_space", c.add_space}});
}

// What a rule change would do, before it is saved: {"before": {a rule member}, "after":
// {a rule member}, "now"?, "sample"?} (docs/service.md).
void Server::Impl::diff_rules(const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req, res);
  if (!body) return;
  auto d = current();
  std::optional<api::Rule> rules[2];
  const char* sides[2] = {"before", "after"};
  for (int k = 0; k < 2; ++k) {
    if (!body->contains(sides[k]) || !(*body)[sides[k]].is_object())
      return reply_error(res, 400, "bad_request",
                         "the body needs `before` and `after`, each an object with one of `rule`, `form`, `ir`, "
                         "`querybuilder`, `jsonlogic`");
    auto r = rule_request((*body)[sides[k]], res);
    if (!r) return;
    api::Rule rule = api::Rule::compile(r->source, rules_schema(*d), r->format, "<" + r->member + ">");
    if (!rule.ok()) {
      json diags = diagnostics_json(rule, *r);
      // Paths into the body: `/before/ir/…`, and for rule text (which has line and column
      // too) the member that holds it, `/before/rule`.
      prefix_paths(diags, std::string("/") + sides[k], "/" + r->member);
      return reply_error(res, 422, "rule_errors", fmt::format("the `{}` rule has errors", sides[k]), diags);
    }
    rules[k] = std::move(rule);
  }
  api::RunOptions o;
  if (!read_now(*body, res, o.now)) return;
  size_t sample = 10;
  if (body->contains("sample")) {
    const json& v = (*body)["sample"];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 1000)
      return reply_error(res, 400, "bad_request", "`sample` is how many ids to show of each side, 0 to 1000");
    sample = v.get<size_t>();
  }
  reply_diff(res, *rules[0], *rules[1], *d, o.now, sample);
}

// What an earlier edit of a saved segment did, over the clients as they are now: the rules of
// versions `from` and `to` (default: the current one and the one before it), answered as
// POST /api/diff answers, with the two versions. `sample` and `now` as there.
void Server::Impl::diff_versions(const httplib::Request& req, httplib::Response& res) {
  auto sid = segment_id(req, res);
  if (!sid) return;
  const int64_t id = *sid;
  auto current_version = catalog->get(id);
  if (!current_version) return reply_error(res, 404, "not_found", fmt::format("no segment {}", id));
  const uint64_t newest = static_cast<uint64_t>(current_version->version);
  uint64_t to = newest, sample = 10;
  if (!whole_param(req, res, "to", newest, to, 1) || !whole_param(req, res, "sample", 1000, sample)) return;
  uint64_t from = to - 1;  // the version before `to` unless named
  if (!whole_param(req, res, "from", newest, from, 1)) return;
  if (from < 1 || to < 1)
    return reply_error(res, 400, "bad_request",
                       fmt::format("`from` and `to` are versions of segment {} (1 to {}); version 1 has none before it",
                                   id, current_version->version));
  std::optional<int64_t> now;
  if (req.has_param("now") && !(now = api::parse_timestamp(req.get_param_value("now"))))
    return reply_error(res, 400, "bad_request", "`now` must be a date or timestamp (2026-10-01T10:00:00Z)");
  auto d = current();
  std::optional<api::Rule> rules[2];
  const uint64_t versions[2] = {from, to};
  for (int k = 0; k < 2; ++k) {
    auto v = catalog->get_version(id, static_cast<int64_t>(versions[k]));
    if (!v) return reply_error(res, 404, "not_found", fmt::format("segment {} has no version {}", id, versions[k]));
    rules[k] = api::Rule::compile(v->content.rule_text, rules_schema(*d), api::RuleFormat::Text, fmt::format("<version {}>", versions[k]));
    if (!rules[k]->ok())
      return reply_error(res, 422, "rule_errors",
                         fmt::format("version {}'s rule does not compile against the data as it is now", versions[k]),
                         json::parse(api::render_json(rules[k]->diagnostics(), v->content.rule_text)));
  }
  reply_diff(res, *rules[0], *rules[1], *d, now, sample, {{"from", from}, {"to", to}});
}

// The ids of a form's `players` that no client has: the form's `player in (…)` passes them
// silently (it just matches fewer), so the count of a form answers them as `players_unknown`
// (`count`, and `ids`: the first 100 in the form's order) and the page names them under
// Players. The library answers (Store::absent): over the membership's clients when there is
// one (as the live count), else the data file's.
// The last answer is kept, keyed by the players and the data's (or the membership's)
// version: the page counts on every change of the form, and a long pasted list is read
// again each time otherwise.
std::optional<json> Server::Impl::unknown_players(const json& players, const Data& d) {
  const std::string key = fmt::format("{} {} {}", d.version, live ? membership_view().version() : 0, players.dump());
  {
    std::lock_guard lock(unknown_players_cache.mu);
    if (unknown_players_cache.key == key) return unknown_players_cache.answer;
  }
  std::vector<int64_t> asked;
  for (const json& p : players)
    if (is_int64(p)) asked.push_back(p.get<int64_t>());
  if (asked.empty()) return std::nullopt;
  std::optional<std::vector<int64_t>> absent;
  if (live) {
    const api::LiveMembership::View view = membership_view();
    std::optional<size_t> field;
    {
      std::lock_guard lock(live->mu);
      field = live->m->schema().form_field("players");
    }
    if (field) absent = view.absent(*field, asked);
  } else if (auto field = d.schema.form_field("players")) {
    absent = d.store.absent(*field, asked);
  }
  if (!absent) return std::nullopt;
  json ids = json::array();
  for (size_t i = 0; i < absent->size() && i < 100; ++i) ids.push_back((*absent)[i]);
  json answer = {{"count", absent->size()}, {"ids", std::move(ids)}};
  std::lock_guard lock(unknown_players_cache.mu);
  unknown_players_cache.key = key;
  unknown_players_cache.answer = answer;
  return answer;
}

void Server::Impl::count_rule(const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req, res);
  if (!body) return;
  auto r = rule_request(*body, res);
  if (!r) return;
  auto d = current();
  // `"check": true`: a rule with errors is answered as /api/check answers it (200, ok false,
  // the diagnostics) rather than 422, so a live editor checks and counts in one request.
  if (body->contains("check") && !(*body)["check"].is_boolean())
    return reply_error(res, 400, "bad_request", "`check` is true or false");
  api::Rule rule = api::Rule::compile(r->source, rules_schema(*d), r->format, "<" + r->member + ">");
  if (!rule.ok()) {
    if (body->value("check", false)) return reply(res, {{"ok", false}, {"diagnostics", diagnostics_json(rule, *r)}});
    return reply_error(res, 422, "rule_errors", "the rule has errors", diagnostics_json(rule, *r));
  }
  int64_t preview = 0;
  if (body->contains("preview")) {
    const json& p = (*body)["preview"];
    if (!p.is_number_integer() || p.get<int64_t>() < 0 || p.get<int64_t>() > 100) {
      reply_error(res, 400, "bad_request", "`preview` is how many members to show, 0 to 100");
      return;
    }
    preview = p.get<int64_t>();
  }
  api::RunOptions o;
  o.now = r->now;
  api::Query q = query(rule, *d);
  // With a membership, the clients are the membership's as changes left them, so the count,
  // the preview and each clause's figures are of those (the table's counts are too); without
  // one, the data file's plan as it ran.
  std::optional<api::Explain> e;
  std::optional<api::LiveMembership::Selection> sel;
  std::optional<api::ExplainNode> clauses;
  uint64_t membership_version = 0;
  if (live) {
    std::vector<api::Diagnostic> diags;
    const api::LiveMembership::View view = membership_view();
    // At the membership's instant unless the request names one: the table's counts are at it.
    const int64_t at = r->now ? *r->now : view.now();
    sel = view.select(rule.canonical_text(), at, static_cast<uint64_t>(preview), diags);
    if (sel) clauses = view.clauses(rule.canonical_text(), at, diags);
    membership_version = view.version();
    if (!sel || !clauses)  // with its diagnostics, as every other 422 of a rule (a review)
      return reply_error(res, 422, "rule_errors",
                         "the rule does not compile against the membership's data: " + first_error_text(diags),
                         json::parse(api::render_json(diags, rule.canonical_text())));
  } else {
    e = q.explain(o);
  }
  const api::Result& counted = sel ? sel->result : e->result;
  json j;
  j["ok"] = true;
  j["count"] = counted.count;
  j["rows_total"] = counted.rows_total;
  j["share"] = counted.rows_total ? static_cast<double>(counted.count) / static_cast<double>(counted.rows_total) : 0.0;
  j["elapsed_ms"] = counted.elapsed_ms;
  j["data_version"] = d->version;
  if (sel) {
    j["membership_version"] = membership_version;
    j["instance"] = instance;
  }
  j["text"] = rule.canonical_text();
  j["summary"] = rule.summary();
  // Whether the creation form can show this rule: the page's Form/Rule switch asks on
  // every edit, so it comes with the count rather than costing a second request.
  std::string why;
  if (auto form = rule.form_json(why)) j["form"] = json::parse(*form);
  else j["form_unavailable"] = why;
  j["plan"] = explain_json(clauses ? *clauses : e->root);
  j["path"] = clauses ? "membership: each clause over its clients" : e->path;
  if (sel && preview > 0) {
    j["preview"] = {{"columns", sel->first.columns}, {"rows", sel->first.text}};
  } else if (preview > 0) {
    // The first members as seg prints them: a second run, as explain() keeps no rows, which
    // collects only the page's members (not a member cursor: with ids out of row order it
    // would sort every member).
    api::Page page = q.rows(0, static_cast<uint64_t>(preview), o);
    j["preview"] = {{"columns", page.columns}, {"rows", page.text}};
  }
  if (r->member == "form" && (*body)["form"].contains("players") && (*body)["form"]["players"].is_array())
    if (auto unknown = unknown_players((*body)["form"]["players"], *d)) j["players_unknown"] = std::move(*unknown);
  j["diagnostics"] = diagnostics_json(rule, *r);
  reply(res, j);
}

void Server::Impl::reload_data(const httplib::Request&, httplib::Response& res) {
  std::string error;
  if (!load(error)) {
    reply_error(res, 500, "reload_failed", error + " (still serving the data loaded before)");
    return;
  }
  auto d = current();
  reply(res, {{"ok", true}, {"data_version", d->version}, {"rows", d->store.rows()}});
}

}  // namespace seg::service
