// The C API (include/seg/seg.h): handles around the C++ API's objects; no logic of its own.
#include "seg/seg.h"

#include <mutex>
#include <fmt/format.h>

#include <cstring>
#include <deque>
#include <new>
#include <optional>

#include "seg/seg.hpp"

using namespace seg::api;

struct seg_diagnostics {
  // A deque: an item stays where it is while more are appended, so the strings handed out
  // (a short one lives inside its item) stay valid as long as the list, as seg.h says.
  std::deque<Diagnostic> list;
};
struct seg_schema {
  Schema schema;
  std::string json;  // seg_schema_json's, made at its first call
  std::once_flag json_once;
};
struct seg_rule {
  Rule rule;
  std::string ir_json;
  std::string exported;  // the last seg_rule_export result
  std::string sql;       // the last seg_rule_sql result
};
struct seg_store {
  Store store;
  std::string added_values;  // seg_store_added_values's JSON, made at open
};
struct seg_query {
  Query query;
  std::string diff_json;  // the last seg_query_diff result
  std::string rows;       // the last seg_query_rows page
};
struct seg_membership {
  LiveMembership live;
  std::string events;  // the last apply's or advance's events
  std::string diff_json;  // the last seg_membership_diff result
};
struct seg_events {
  EventReader reader;
  std::string page;  // the last seg_events_next's
};

namespace {
const Diagnostic* item(const seg_diagnostics* d, size_t i) { return d && i < d->list.size() ? &d->list[i] : nullptr; }
void set_last_error(const char* code, std::string_view message, std::string_view prefix = {}) noexcept;
// A call's diagnostics into the caller's list; with no list, the first error of a call that
// `failed` is seg_last_error()'s. Only then: a call that answered may carry errors that are not
// its failure (a store opened with skip_bad_rows keeps why rows were skipped), and seg.h
// promises "" after an answer (found by a review). A warning is never a failure.
// Where a diagnostic is, for seg_last_error(): `bad.csv:3:2 (player_id): `, `<schema> at
// /fields/spot/type: `, `<rule>:1:6: `; "" for the library's own (`<api>`). Without it a host
// that passes no list got "E704: expected an integer" and could not act on it (a review).
std::string where(const Diagnostic& d) {
  if (d.source.empty() || d.source == "<api>") return "";
  std::string s = d.source;
  if (d.line) s += fmt::format(":{}", d.line);
  if (d.column) s += fmt::format(":{}", d.column);
  if (!d.json_path.empty()) s += fmt::format(" at {}", d.json_path);
  if (!d.field.empty()) s += fmt::format(" ({})", d.field);
  return s + ": ";
}

void keep(seg_diagnostics* to, const std::vector<Diagnostic>& from, bool failed) {
  if (to)
    for (const auto& d : from) to->list.push_back(d);
  else if (failed)
    for (const auto& d : from)
      if (d.is_error()) {
        set_last_error(d.code.c_str(), d.message, where(d));
        break;
      }
}

Diagnostic problem(const char* code, std::string message, std::string suggestion) {
  Diagnostic e;
  e.code = code;
  e.source = "<api>";
  e.message = std::move(message);
  e.suggestion = std::move(suggestion);
  return e;
}
void add(seg_diagnostics* to, Diagnostic d) {
  if (to) to->list.push_back(std::move(d));
}
// E808: a call given NULL where it needs something, or a value it does not know. Returns
// false so that a check reads `if (!needed(p, diags, "name")) return failed`.
bool misuse(seg_diagnostics* diags, std::string message) {
  if (!diags) set_last_error("E808", message);
  add(diags, problem("E808", std::move(message), "see include/seg/seg.h for what each argument may be"));
  return false;
}
bool needed(const void* p, seg_diagnostics* diags, const char* name) {
  return p || misuse(diags, fmt::format("`{}` is NULL", name));
}
// The format a caller passed, read as the int it is. Not as a seg_format: in C++ an enum with
// enumerators 0..4 and no fixed type holds only 0..7, so loading 8 or -1 through one (what a
// binding's plain int gives) is undefined behaviour, and the sanitizer build aborted there
// instead of answering E808 (found by a review). Its bytes are copied, never loaded as the enum.
std::optional<RuleFormat> rule_format(const seg_format* format, seg_diagnostics* diags) {
  static_assert(sizeof(seg_format) == sizeof(int), "a C enum is int-sized");
  int value = 0;
  std::memcpy(&value, format, sizeof value);
  switch (value) {
    case SEG_TEXT: return RuleFormat::Text;
    case SEG_FORM: return RuleFormat::Form;
    case SEG_IR_JSON: return RuleFormat::IrJson;
    case SEG_QUERYBUILDER: return RuleFormat::QueryBuilder;
    case SEG_JSONLOGIC: return RuleFormat::JsonLogic;
    default: break;
  }
  misuse(diags, fmt::format("{} is not a seg_format", value));
  return std::nullopt;
}
// seg_last_error(): this thread's last failure of a call with no list to say it in.
thread_local std::string t_last_error;
void set_last_error(const char* code, std::string_view message, std::string_view prefix) noexcept {
  try {
    t_last_error = fmt::format("{}: {}{}", code, prefix, message);
  } catch (...) {
    t_last_error.clear();  // no memory for the message: "" rather than a stale one
  }
}
// A call with no list failing on its arguments: E808 in seg_last_error().
template <class R>
R refuse(R failed, std::string_view why) noexcept {
  set_last_error("E808", why);
  return failed;
}

// A C caller cannot catch: whatever the library throws (memory, a thread that cannot start,
// a file system error) becomes `failed` and an E809, in the list where there is one, in
// seg_last_error() where there is none.
template <class R, class F>
R guard(seg_diagnostics* diags, R failed, F f) noexcept {
  std::string what;
  if (!diags) t_last_error.clear();
  try {
    return f();
  } catch (const std::bad_alloc&) {
    what = "out of memory";
  } catch (const std::exception& e) {
    try {
      what = e.what();
    } catch (...) {
    }
  } catch (...) {
    what = "an unknown exception";
  }
  try {
    add(diags, problem("E809", fmt::format("the library failed: {}", what), "nothing was done; the call may be tried again"));
  } catch (...) {
  }
  if (!diags) set_last_error("E809", what, "the library failed: ");  // formatted inside its try
  return failed;
}
}  // namespace

extern "C" {

const char* seg_version(void) { return version(); }
const char* seg_last_error(void) { return t_last_error.c_str(); }

seg_diagnostics* seg_diagnostics_new(void) { return new (std::nothrow) seg_diagnostics; }
void seg_diagnostics_free(seg_diagnostics* d) { delete d; }
size_t seg_diagnostics_count(const seg_diagnostics* d) { return d ? d->list.size() : 0; }
int seg_diagnostic_is_error(const seg_diagnostics* d, size_t i) { return item(d, i) && item(d, i)->is_error(); }
const char* seg_diagnostic_code(const seg_diagnostics* d, size_t i) { return item(d, i) ? item(d, i)->code.c_str() : ""; }
const char* seg_diagnostic_message(const seg_diagnostics* d, size_t i) {
  return item(d, i) ? item(d, i)->message.c_str() : "";
}
const char* seg_diagnostic_suggestion(const seg_diagnostics* d, size_t i) {
  return item(d, i) ? item(d, i)->suggestion.c_str() : "";
}
const char* seg_diagnostic_source(const seg_diagnostics* d, size_t i) {
  return item(d, i) ? item(d, i)->source.c_str() : "";
}
uint64_t seg_diagnostic_line(const seg_diagnostics* d, size_t i) { return item(d, i) ? item(d, i)->line : 0; }
uint32_t seg_diagnostic_column(const seg_diagnostics* d, size_t i) { return item(d, i) ? item(d, i)->column : 0; }
const char* seg_diagnostic_json_path(const seg_diagnostics* d, size_t i) {
  return item(d, i) ? item(d, i)->json_path.c_str() : "";
}
uint32_t seg_diagnostic_end_column(const seg_diagnostics* d, size_t i) { return item(d, i) ? item(d, i)->end_column : 0; }
const char* seg_diagnostic_field(const seg_diagnostics* d, size_t i) { return item(d, i) ? item(d, i)->field.c_str() : ""; }
const char* seg_diagnostic_fix(const seg_diagnostics* d, size_t i, uint32_t* offset, uint32_t* end_offset) {
  const Diagnostic* e = item(d, i);
  if (!e || !e->fix) return nullptr;
  if (offset) *offset = e->offset;
  if (end_offset) *end_offset = e->end_offset;
  return e->fix->c_str();
}
void seg_diagnostics_clear(seg_diagnostics* d) {
  if (d) d->list.clear();
}

seg_schema* seg_schema_crm(void) {
  return guard(nullptr, static_cast<seg_schema*>(nullptr), [] { return new seg_schema{Schema::crm(), {}}; });
}
seg_schema* seg_schema_from_json(const char* json, size_t len, seg_diagnostics* diags) {
  return guard(diags, static_cast<seg_schema*>(nullptr), [&]() -> seg_schema* {
    if (!needed(json, diags, "json")) return nullptr;
    std::vector<Diagnostic> d;
    auto s = Schema::from_json(std::string_view(json, len), d);
    keep(diags, d, !s);
    return s ? new seg_schema{std::move(*s), {}} : nullptr;
  });
}
void seg_schema_free(seg_schema* s) { delete s; }
const char* seg_schema_json(seg_schema* s) {
  return guard(nullptr, "", [&]() -> const char* {
    if (!s) return "";
    // Made once: a schema is shared by threads compiling rules, and writing the string at each
    // call freed it under another thread reading it (found by a review).
    std::call_once(s->json_once, [&] { s->json = s->schema.to_json(); });
    return s->json.c_str();
  });
}

seg_rule* seg_rule_compile(const char* source, size_t len, const seg_schema* schema, seg_format format,
                           seg_diagnostics* diags) {
  return guard(diags, static_cast<seg_rule*>(nullptr), [&]() -> seg_rule* {
    auto how = rule_format(&format, diags);
    if (!needed(schema, diags, "schema") || !how) return nullptr;
    if (!source && len) return misuse(diags, "`source` is NULL with a length"), nullptr;
    Rule r = Rule::compile(std::string_view(source ? source : "", source ? len : 0), schema->schema, *how);
    std::vector<Diagnostic> d = r.diagnostics();
    keep(diags, d, !r.ok());  // a handle either way; a rule that did not compile says why
    return new seg_rule{r, r.ir_json(), {}};
  });
}
void seg_rule_free(seg_rule* r) { delete r; }
const char* seg_rule_export(seg_rule* r, seg_format format, const int64_t* now, seg_diagnostics* diags) {
  return guard(diags, static_cast<const char*>(nullptr), [&]() -> const char* {
    auto how = rule_format(&format, diags);
    if (!needed(r, diags, "r") || !how) return nullptr;
    ExportOptions o;
    if (now) o.now = *now;
    std::vector<Diagnostic> d;
    auto doc = r->rule.export_as(*how, d, o);
    keep(diags, d, !doc);
    if (!doc) return nullptr;
    r->exported = std::move(*doc);
    return r->exported.c_str();
  });
}
const char* seg_rule_sql(seg_rule* r, const char* dialect, const char* mapping_json, int flags, const int64_t* now,
                         seg_diagnostics* diags) {
  return guard(diags, static_cast<const char*>(nullptr), [&]() -> const char* {
    if (!needed(r, diags, "r") || !needed(dialect, diags, "dialect")) return nullptr;
    if (flags & ~(SEG_SQL_INLINE | SEG_SQL_COUNT | SEG_SQL_WHERE))
      return misuse(diags, fmt::format("flags {:#x}: only SEG_SQL_INLINE, SEG_SQL_COUNT and SEG_SQL_WHERE", static_cast<unsigned>(flags))), nullptr;
    if ((flags & SEG_SQL_COUNT) && (flags & SEG_SQL_WHERE))
      return misuse(diags, "SEG_SQL_COUNT and SEG_SQL_WHERE together: one shape"), nullptr;
    std::vector<Diagnostic> d;
    auto which = sql_dialect(dialect ? dialect : "");
    if (!which)  // a value the C API does not know: E808, as seg.h promises (E631 is a rule's part)
      return misuse(diags, fmt::format("unknown SQL dialect `{}`: postgres, sqlite, duckdb or clickhouse", dialect ? dialect : "")),
             nullptr;
    SqlOptions o;
    o.dialect = *which;
    if (mapping_json) o.mapping_json = mapping_json;
    o.inline_values = flags & SEG_SQL_INLINE;
    o.shape = flags & SEG_SQL_COUNT ? SqlOptions::Shape::Count : flags & SEG_SQL_WHERE ? SqlOptions::Shape::Where
                                                                                       : SqlOptions::Shape::Select;
    if (now) o.now = *now;
    auto st = r->rule.to_sql(o, d);
    keep(diags, d, !st);
    if (!st) return nullptr;
    r->sql = st->json();
    return r->sql.c_str();
  });
}
int seg_rule_ok(const seg_rule* r) { return r && r->rule.ok(); }
const char* seg_rule_text(const seg_rule* r) { return r ? r->rule.canonical_text().c_str() : ""; }
const char* seg_rule_ir_json(const seg_rule* r) { return r ? r->ir_json.c_str() : ""; }
const char* seg_rule_summary(const seg_rule* r) { return r ? r->rule.summary().c_str() : ""; }
const char* seg_rule_title(const seg_rule* r) { return r ? r->rule.title().c_str() : ""; }
uint64_t seg_rule_hash(const seg_rule* r) { return r ? r->rule.hash() : 0; }

seg_store* seg_store_open_flags(const char* path, const seg_schema* schema, int flags, seg_diagnostics* diags) {
  return guard(diags, static_cast<seg_store*>(nullptr), [&]() -> seg_store* {
    if (!needed(path, diags, "path") || !needed(schema, diags, "schema")) return nullptr;
    if (const int unknown = flags & ~(SEG_OPEN_SKIP_BAD_ROWS | SEG_OPEN_NO_VERIFY)) {
      misuse(diags, fmt::format("`flags` has bits seg_store_open_flags does not know: {:#x}", static_cast<unsigned>(unknown)));
      return nullptr;
    }
    std::vector<Diagnostic> d;
    OpenOptions o;
    o.skip_bad_rows = (flags & SEG_OPEN_SKIP_BAD_ROWS) != 0;
    o.verify = (flags & SEG_OPEN_NO_VERIFY) == 0;
    auto s = Store::open(path, schema->schema, d, o);
    keep(diags, d, !s);
    if (!s) return nullptr;
    std::string added = "[";
    for (const std::string& v : s->report().added_values) {
      if (added.size() > 1) added += ',';
      added += value_json(Value{v});
    }
    return new seg_store{std::move(*s), added + "]"};
  });
}
seg_store* seg_store_open(const char* path, const seg_schema* schema, int skip_bad_rows, seg_diagnostics* diags) {
  return seg_store_open_flags(path, schema, skip_bad_rows ? SEG_OPEN_SKIP_BAD_ROWS : 0, diags);
}
const char* seg_store_added_values(const seg_store* s) { return s ? s->added_values.c_str() : nullptr; }
void seg_store_free(seg_store* s) { delete s; }
uint64_t seg_store_rows(const seg_store* s) { return s ? s->store.rows() : 0; }
uint64_t seg_store_rows_skipped(const seg_store* s) { return s ? s->store.rows_skipped() : 0; }
seg_schema* seg_store_schema(const seg_store* s) {
  return guard(nullptr, static_cast<seg_schema*>(nullptr), [&]() -> seg_schema* {
    return s ? new seg_schema{s->store.schema(), {}} : refuse(static_cast<seg_schema*>(nullptr), "`s` is NULL");
  });
}

seg_query* seg_query_prepare(const seg_rule* r, const seg_store* s, seg_diagnostics* diags) {
  return guard(diags, static_cast<seg_query*>(nullptr), [&]() -> seg_query* {
    if (!needed(r, diags, "r") || !needed(s, diags, "s")) return nullptr;
    std::vector<Diagnostic> d;
    auto q = Query::prepare(r->rule, s->store, d);
    keep(diags, d, !q);
    return q ? new seg_query{std::move(*q), {}} : nullptr;
  });
}
void seg_query_free(seg_query* q) { delete q; }

uint64_t seg_query_count(const seg_query* q, int64_t now, unsigned threads) {
  if (!q) return refuse(SEG_FAILED, "`q` is NULL");
  return guard(nullptr, SEG_FAILED, [&]() -> uint64_t {
    RunOptions o;
    if (now != SEG_NOW_CLOCK) o.now = now;
    o.threads = threads ? threads : 1;
    return q->query.count(o).count;
  });
}

uint64_t seg_query_ids(const seg_query* q, int64_t now, int64_t* out, uint64_t cap) {
  if (!q) return refuse(SEG_FAILED, "`q` is NULL");
  if (cap && !out) return refuse(SEG_FAILED, "`out` is NULL with a `cap`");
  return guard(nullptr, SEG_FAILED, [&]() -> uint64_t {
    RunOptions o;
    if (now != SEG_NOW_CLOCK) o.now = now;
    std::vector<int64_t> ids = q->query.ids(o);
    for (uint64_t i = 0; i < cap && i < ids.size(); ++i) out[i] = ids[i];
    return ids.size();
  });
}

const char* seg_query_rows(seg_query* q, int64_t now, uint64_t offset, uint64_t limit, int format,
                           seg_diagnostics* diags) {
  return guard(diags, static_cast<const char*>(nullptr), [&]() -> const char* {
    if (!needed(q, diags, "q")) return nullptr;
    if (format != SEG_ROWS_CSV && format != SEG_ROWS_JSON_LINES) {
      misuse(diags, fmt::format("{} is not SEG_ROWS_CSV or SEG_ROWS_JSON_LINES", format));
      return nullptr;
    }
    RunOptions o;
    if (now != SEG_NOW_CLOCK) o.now = now;
    q->rows = PageWriter(format == SEG_ROWS_CSV ? RowsFormat::Csv : RowsFormat::JsonLines).write(q->query.rows(offset, limit, o));
    return q->rows.c_str();
  });
}

const char* seg_query_diff(seg_query* before, const seg_query* after, int64_t now, size_t sample, seg_diagnostics* diags) {
  return guard(diags, static_cast<const char*>(nullptr), [&]() -> const char* {
    if (!needed(before, diags, "before") || !needed(after, diags, "after")) return nullptr;
    RunOptions o;
    if (now != SEG_NOW_CLOCK) o.now = now;
    try {
      before->diff_json = diff(before->query, after->query, o, sample).json();
    } catch (const std::invalid_argument&) {
      std::vector<Diagnostic> d = {problem("E805", "the two queries are prepared on different stores", "prepare both queries on one store")};
      keep(diags, d, true);
      return nullptr;
    }
    return before->diff_json.c_str();
  });
}

const char* seg_membership_diff(seg_membership* m, const char* before, const char* after, int64_t now, size_t sample,
                                seg_diagnostics* diags) {
  return guard(diags, static_cast<const char*>(nullptr), [&]() -> const char* {
    if (!needed(m, diags, "m") || !needed(before, diags, "before") || !needed(after, diags, "after")) return nullptr;
    std::vector<Diagnostic> d;
    auto r = m->live.diff(before, after, now == SEG_NOW_CLOCK ? m->live.now() : now, sample, d);
    keep(diags, d, !r);  // both rules' diagnostics, warnings too, as seg_rule_compile gives them
    if (!r) return nullptr;
    m->diff_json = r->json();
    return m->diff_json.c_str();
  });
}

seg_membership* seg_membership_create(const char* dir, const seg_store* base, const int64_t* segment_ids,
                                      const char* const* rules, size_t n, int64_t now, seg_diagnostics* diags) {
  return guard(diags, static_cast<seg_membership*>(nullptr), [&]() -> seg_membership* {
    if (!needed(dir, diags, "dir") || !needed(base, diags, "base")) return nullptr;
    if (n && (!needed(segment_ids, diags, "segment_ids") || !needed(rules, diags, "rules"))) return nullptr;
    std::vector<std::pair<int64_t, std::string>> segs;
    for (size_t i = 0; i < n; ++i) {
      if (!rules[i]) return misuse(diags, fmt::format("`rules[{}]` is NULL", i)), nullptr;
      segs.emplace_back(segment_ids[i], rules[i]);
    }
    std::vector<Diagnostic> d;
    auto m = LiveMembership::create(dir, base->store, segs, now == SEG_NOW_CLOCK ? clock_now() : now, d);
    keep(diags, d, !m);
    return m ? new seg_membership{std::move(*m), {}} : nullptr;
  });
}
seg_membership* seg_membership_open(const char* dir, seg_diagnostics* diags) {
  return guard(diags, static_cast<seg_membership*>(nullptr), [&]() -> seg_membership* {
    if (!needed(dir, diags, "dir")) return nullptr;
    std::vector<Diagnostic> d;
    auto m = LiveMembership::open(dir, d);
    keep(diags, d, !m);
    return m ? new seg_membership{std::move(*m), {}} : nullptr;
  });
}
void seg_membership_free(seg_membership* m) { delete m; }
seg_events* seg_events_open(const char* dir, uint64_t since, seg_diagnostics* diags) {
  return guard(diags, static_cast<seg_events*>(nullptr), [&]() -> seg_events* {
    if (!needed(dir, diags, "dir")) return nullptr;
    std::vector<Diagnostic> d;
    auto r = EventReader::open(dir, since, d);
    keep(diags, d, !r);
    return r ? new seg_events{std::move(*r), {}} : nullptr;
  });
}
const char* seg_events_next(seg_events* r, size_t max_events, seg_diagnostics* diags) {
  return guard(diags, static_cast<const char*>(nullptr), [&]() -> const char* {
    if (!needed(r, diags, "r")) return nullptr;
    std::vector<Diagnostic> d;
    auto events = r->reader.next(d, max_events);  // 0: no limit, as in C++
    keep(diags, d, !events);
    if (!events) return nullptr;
    r->page = to_json_lines(*events);
    return r->page.c_str();
  });
}
uint64_t seg_events_version(const seg_events* r) { return r ? r->reader.version() : 0; }
void seg_events_free(seg_events* r) { delete r; }
uint64_t seg_membership_version(const seg_membership* m) { return m ? m->live.version() : 0; }
const char* seg_membership_apply(seg_membership* m, const char* rows, size_t len, const int64_t* deletes, size_t ndeletes,
                                 seg_diagnostics* diags) {
  return guard(diags, static_cast<const char*>(nullptr), [&]() -> const char* {
    if (!needed(m, diags, "m") || (ndeletes && !needed(deletes, diags, "deletes"))) return nullptr;
    if (!rows && len) return misuse(diags, "`rows` is NULL with a length"), nullptr;
    ClientBatch b{std::string(rows ? rows : "", rows ? len : 0), std::vector<int64_t>(deletes, deletes + ndeletes)};
    std::vector<Diagnostic> d;
    auto events = m->live.apply(b, d);
    keep(diags, d, !events);
    if (!events) return nullptr;
    m->events = to_json_lines(*events);
    return m->events.c_str();
  });
}
const char* seg_membership_advance(seg_membership* m, int64_t now, seg_diagnostics* diags) {
  return guard(diags, static_cast<const char*>(nullptr), [&]() -> const char* {
    if (!needed(m, diags, "m")) return nullptr;
    std::vector<Diagnostic> d;
    auto events = m->live.advance(now == SEG_NOW_CLOCK ? clock_now() : now, d);
    keep(diags, d, !events);
    if (!events) return nullptr;
    m->events = to_json_lines(*events);
    return m->events.c_str();
  });
}
const char* seg_membership_segment(seg_membership* m, int64_t id, const char* rule, seg_diagnostics* diags) {
  return guard(diags, static_cast<const char*>(nullptr), [&]() -> const char* {
    if (!needed(m, diags, "m")) return nullptr;
    std::vector<Diagnostic> d;
    std::vector<std::pair<int64_t, std::string>> set;
    std::vector<int64_t> remove;
    if (rule) set.emplace_back(id, rule);
    else remove.push_back(id);
    auto events = m->live.update_segments(set, remove, d);
    keep(diags, d, !events);
    if (!events) return nullptr;
    m->events = to_json_lines(*events);
    return m->events.c_str();
  });
}
namespace {
int compaction_call(seg_membership* m, seg_diagnostics* diags, bool (*call)(LiveMembership&, std::vector<Diagnostic>&)) {
  return guard(diags, -1, [&] {
    if (!needed(m, diags, "m")) return -1;
    std::vector<Diagnostic> d;
    bool ok = call(m->live, d);
    keep(diags, d, !ok);
    return ok ? 0 : -1;
  });
}
}  // namespace
int seg_membership_compact(seg_membership* m, seg_diagnostics* diags) {
  return compaction_call(m, diags, [](LiveMembership& l, std::vector<Diagnostic>& d) { return l.compact(d); });
}
int seg_membership_finish_compaction(seg_membership* m, seg_diagnostics* diags) {
  return compaction_call(m, diags, [](LiveMembership& l, std::vector<Diagnostic>& d) { return l.finish_compaction(d); });
}
int64_t seg_membership_count(const seg_membership* m, int64_t segment) {
  if (!m) return refuse(int64_t{-1}, "`m` is NULL");
  return guard(nullptr, int64_t{-1}, [&]() -> int64_t {
    try {
      return static_cast<int64_t>(m->live.count(segment));
    } catch (const std::out_of_range&) {
      return refuse(int64_t{-1}, fmt::format("no segment {} in this membership", segment));
    }
  });
}
uint64_t seg_membership_ids(const seg_membership* m, int64_t segment, int64_t* out, uint64_t cap) {
  if (!m) return refuse(SEG_FAILED, "`m` is NULL");
  if (cap && !out) return refuse(SEG_FAILED, "`out` is NULL with a `cap`");
  return guard(nullptr, SEG_FAILED, [&]() -> uint64_t {
    try {
      std::vector<int64_t> ids = m->live.ids(segment);
      for (uint64_t i = 0; i < cap && i < ids.size(); ++i) out[i] = ids[i];
      return ids.size();
    } catch (const std::out_of_range&) {
      return refuse(SEG_FAILED, fmt::format("no segment {} in this membership", segment));
    }
  });
}

}  // extern "C"
