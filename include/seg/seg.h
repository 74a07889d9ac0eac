/* seg's C API: the library for other languages to bind (see include/seg/seg.hpp for the C++
 * API it wraps). Every object is an opaque handle freed with its own seg_*_free (NULL is
 * fine); strings returned are owned by the handle they come from and live as long as it,
 * unless a function says "until the next call". Functions never print, never throw and never
 * abort on bad input: failures come back as NULL, -1 or SEG_FAILED, with diagnostics in the
 * `diags` list where the function takes one (E808: NULL where something is needed, or an
 * unknown seg_format or flag; E809: the library failed inside, e.g. out of memory), and
 * seg_last_error() saying why where it takes none.
 * Strings are NUL-terminated unless a length comes with them.
 * Thread safety: as in C++, a store and queries prepared on it may be used from many
 * threads at once, except seg_query_diff, which writes its result into `before`; a rule's
 * seg_rule_export and seg_rule_sql write into the rule, a seg_membership is one caller's at
 * a time, and a seg_diagnostics list is not shared between threads. */
#ifndef SEG_SEG_H
#define SEG_SEG_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define SEG_C_API
#else
#define SEG_C_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct seg_schema seg_schema;
typedef struct seg_rule seg_rule;
typedef struct seg_store seg_store;
typedef struct seg_query seg_query;
typedef struct seg_diagnostics seg_diagnostics;

typedef enum { SEG_TEXT = 0, SEG_FORM = 1, SEG_IR_JSON = 2, SEG_QUERYBUILDER = 3, SEG_JSONLOGIC = 4 } seg_format;

/* The version of these headers; seg_version() is the library's, which a host may compare
 * with it. Until 1.0 a minor version may change the interface (the library's soname is
 * libseg.so.MAJOR.MINOR then); from 1.0, only a major one. */
#define SEG_VERSION_MAJOR 0
#define SEG_VERSION_MINOR 9
#define SEG_VERSION_PATCH 1
#define SEG_VERSION_STRING "0.9.1"

SEG_C_API const char* seg_version(void);

/* Why the last call on this thread that reports no diagnostics failed (the count and ids
 * calls, seg_schema_crm, seg_store_schema; a call given NULL for its `diags`), as
 * "CODE: message" ("E808: no segment 7 in this membership"), with the place when it has one
 * ("E704: bad.csv:3:2 (player_id): expected an integer"), or "" when it answered. Valid until
 * the next such call on this thread. */
SEG_C_API const char* seg_last_error(void);

/* What seg_query_count, seg_query_ids and seg_membership_ids return when they could not answer
 * (a NULL handle, `out` NULL with a `cap`, no such segment, or the library failed inside;
 * seg_last_error() says which). */
#define SEG_FAILED UINT64_MAX

/* Diagnostics: a list filled by the calls that take one. */
SEG_C_API seg_diagnostics* seg_diagnostics_new(void);
SEG_C_API void seg_diagnostics_free(seg_diagnostics* d);
SEG_C_API size_t seg_diagnostics_count(const seg_diagnostics* d);
/* Item i: 1 for an error, 0 for a warning; code, message, source; line and column (0 when
 * not about one) and the JSON path ("" when not a JSON document). */
SEG_C_API int seg_diagnostic_is_error(const seg_diagnostics* d, size_t i);
SEG_C_API const char* seg_diagnostic_code(const seg_diagnostics* d, size_t i);
SEG_C_API const char* seg_diagnostic_message(const seg_diagnostics* d, size_t i);
SEG_C_API const char* seg_diagnostic_suggestion(const seg_diagnostics* d, size_t i);
SEG_C_API const char* seg_diagnostic_source(const seg_diagnostics* d, size_t i);
SEG_C_API uint64_t seg_diagnostic_line(const seg_diagnostics* d, size_t i);
SEG_C_API uint32_t seg_diagnostic_column(const seg_diagnostics* d, size_t i);
SEG_C_API const char* seg_diagnostic_json_path(const seg_diagnostics* d, size_t i);
/* Rule text: one past the span's last column, on the same line (0 when not about a column). */
SEG_C_API uint32_t seg_diagnostic_end_column(const seg_diagnostics* d, size_t i);
/* Data: the column (CSV) or member (JSON Lines) the problem is in; "" otherwise. */
SEG_C_API const char* seg_diagnostic_field(const seg_diagnostics* d, size_t i);
/* Rule text: the suggestion as an edit, the text to put in place of the bytes
 * [*offset, *end_offset) of the source; NULL when the diagnostic has none (offsets untouched;
 * either pointer may be NULL). What an editor's quick fix applies. */
SEG_C_API const char* seg_diagnostic_fix(const seg_diagnostics* d, size_t i, uint32_t* offset, uint32_t* end_offset);
/* Empties the list, to use it again; every string it handed out is invalid after. */
SEG_C_API void seg_diagnostics_clear(seg_diagnostics* d);

/* Schemas: the bundled CRM schema, or one from JSON (NULL on errors, in `diags`). */
SEG_C_API seg_schema* seg_schema_crm(void);
SEG_C_API seg_schema* seg_schema_from_json(const char* json, size_t len, seg_diagnostics* diags);
SEG_C_API void seg_schema_free(seg_schema* s);
/* The schema as a JSON document (seg_schema_from_json reads it back); owned by `s`, valid until
 * the next call on it or seg_schema_free; "" for NULL. */
SEG_C_API const char* seg_schema_json(seg_schema* s);

/* Rules: a handle, compiled or not (seg_rule_ok says which); NULL only for a NULL schema, an
 * unknown format or a failure inside (E808/E809). Its diagnostics (warnings too) are appended
 * to `diags` when not NULL. */
SEG_C_API seg_rule* seg_rule_compile(const char* source, size_t len, const seg_schema* schema, seg_format format,
                           seg_diagnostics* diags);
SEG_C_API void seg_rule_free(seg_rule* r);
SEG_C_API int seg_rule_ok(const seg_rule* r);
SEG_C_API const char* seg_rule_text(const seg_rule* r);    /* canonical text; "" unless ok */
SEG_C_API const char* seg_rule_ir_json(const seg_rule* r); /* "" unless ok */
SEG_C_API const char* seg_rule_summary(const seg_rule* r);
/* The title a segment form gave the rule (SEG_FORM); "" for other formats. Since 0.7.0. */
SEG_C_API const char* seg_rule_title(const seg_rule* r);
/* Equal for rules of equal meaning compiled against the same schema: it hashes the schema's
 * dictionary codes, so across schemas (two stores' own, whose open dictionaries grew apart)
 * equal rules may hash apart and different ones alike. seg_rule_text compares across
 * schemas (docs/decisions.md, 111). */
SEG_C_API uint64_t seg_rule_hash(const seg_rule* r);
/* The rule in another format (SEG_QUERYBUILDER, SEG_JSONLOGIC, SEG_FORM, SEG_IR_JSON: one line
 * of JSON; SEG_TEXT: the canonical rule text); owned by `r` and valid until the next export or
 * seg_rule_free. NULL, with an E620 diagnostic in `diags`, when the format cannot say the rule,
 * and E801 when the rule did not compile (as seg_rule_sql and seg_query_prepare).
 * `now` (seconds since the epoch) fixes `now ± d` bounds, which the builders cannot say; NULL
 * refuses them. */
SEG_C_API const char* seg_rule_export(seg_rule* r, seg_format format, const int64_t* now, seg_diagnostics* diags);
/* The rule as SQL (docs/sql.md) for `dialect` ("postgres", "sqlite", "duckdb", "clickhouse"),
 * over the tables `mapping_json` describes (NULL: the default mapping). `flags`: SEG_SQL_INLINE
 * writes literals instead of parameters; SEG_SQL_COUNT selects count(*), SEG_SQL_WHERE only
 * the condition (default: the member ids; both, or another bit, is E808). `now` is the `now` parameter's value (NULL: the
 * current time). Returns one line of JSON, {"sql": "...", "params": [{"placeholder", "type",
 * "value", "integer"}]}, owned by `r` and valid until the next seg_rule_sql or seg_rule_free; NULL
 * with diagnostics when the mapping is not JSON (E601, with its line and column), the mapping is
 * refused (E630, or E603 a member of the wrong type, E605 an unknown member, E613 one given
 * twice; each at its JSON path) or the dialect cannot say a part of the rule (E631); E801 when
 * the rule did not compile. */
#define SEG_SQL_INLINE 1
#define SEG_SQL_COUNT 2
#define SEG_SQL_WHERE 4
SEG_C_API const char* seg_rule_sql(seg_rule* r, const char* dialect, const char* mapping_json, int flags,
                                   const int64_t* now, seg_diagnostics* diags);

/* Stores: a snapshot, CSV or JSON Lines file ("-" for stdin). NULL on errors. With
 * skip_bad_rows, an open that succeeds leaves in diags the first reasons rows were skipped
 * for (errors about rows left out, not about the store); seg_store_rows_skipped counts them
 * all. */
SEG_C_API seg_store* seg_store_open(const char* path, const seg_schema* schema, int skip_bad_rows, seg_diagnostics* diags);
/* seg_store_open with flags (0.8.0): SEG_OPEN_SKIP_BAD_ROWS as skip_bad_rows above;
 * SEG_OPEN_NO_VERIFY opens a snapshot without checking its sections' checksums (reading no
 * page until a rule needs it: for a file the host wrote and checked itself). Another bit is
 * E808. */
#define SEG_OPEN_SKIP_BAD_ROWS 1
#define SEG_OPEN_NO_VERIFY 2
SEG_C_API seg_store* seg_store_open_flags(const char* path, const seg_schema* schema, int flags, seg_diagnostics* diags);
/* The values loading added to the schema's open dictionaries (a tag the schema did not
 * list), as a JSON array of "field: value" strings, owned by `s`; "[]" when none, NULL for
 * NULL. (0.8.0) */
SEG_C_API const char* seg_store_added_values(const seg_store* s);
SEG_C_API void seg_store_free(seg_store* s);
SEG_C_API uint64_t seg_store_rows(const seg_store* s); /* 0 for NULL */
SEG_C_API uint64_t seg_store_rows_skipped(const seg_store* s); /* 0 for NULL */
/* The store's own schema (a snapshot keeps the one it was written with): a new handle, freed
 * with seg_schema_free, to compile rules against; NULL for NULL. */
SEG_C_API seg_schema* seg_store_schema(const seg_store* s);

/* Queries: a compiled rule bound to a store (NULL, with diags, when they do not fit). They run
 * on the interpreter: the C++ API's RunOptions::jit is not offered here, as the JIT never wins
 * (docs/decisions.md, 96). */
SEG_C_API seg_query* seg_query_prepare(const seg_rule* r, const seg_store* s, seg_diagnostics* diags);
SEG_C_API void seg_query_free(seg_query* q);
/* `now`: seconds since the epoch that `now` in rules means, or SEG_NOW_CLOCK for the
 * current time. Returns the member count, or SEG_FAILED. */
#define SEG_NOW_CLOCK INT64_MIN
SEG_C_API uint64_t seg_query_count(const seg_query* q, int64_t now, unsigned threads);
/* Writes up to `cap` sorted member ids to `out`; returns how many members there are in all
 * (call with cap 0 to size the buffer, with a fixed `now`: two runs at SEG_NOW_CLOCK may
 * differ), or SEG_FAILED. */
SEG_C_API uint64_t seg_query_ids(const seg_query* q, int64_t now, int64_t* out, uint64_t cap);
/* A page of members with every field (0.9.0): `limit` members from the `offset`-th, in id
 * order, as text written as seg eval --rows, the REPL and the service's member streams write
 * them: SEG_ROWS_CSV (a header, then a line a member) or SEG_ROWS_JSON_LINES (an object a
 * line). Owned by `q`, valid until the next seg_query_rows or seg_query_free; NULL with
 * diagnostics (E808 for another `format`). */
#define SEG_ROWS_CSV 0
#define SEG_ROWS_JSON_LINES 1
SEG_C_API const char* seg_query_rows(seg_query* q, int64_t now, uint64_t offset, uint64_t limit, int format,
                                     seg_diagnostics* diags);

/* What changing a rule would do (docs/cli.md, `seg diff`): `before` and `after` prepared on one
 * store, evaluated at `now` (SEG_NOW_CLOCK: the current time), `sample` ids of each side. One
 * line of JSON ({"before", "after", "entered", "exited", "stayed", "elapsed_ms"}) owned by
 * `before`, valid until the next diff or seg_query_free; NULL with E805 when the two queries
 * are on different stores. */
SEG_C_API const char* seg_query_diff(seg_query* before, const seg_query* after, int64_t now, size_t sample,
                                     seg_diagnostics* diags);

/* Membership kept current (docs/membership.md): a directory made over `base` for `n` segments
 * (`segment_ids[i]`, rule text `rules[i]`) at instant `now` (SEG_NOW_CLOCK: the current
 * time), or an existing one opened (its log replayed). NULL with diagnostics (E803, a rule's own) on failure. */
typedef struct seg_membership seg_membership;
SEG_C_API seg_membership* seg_membership_create(const char* dir, const seg_store* base, const int64_t* segment_ids,
                                                const char* const* rules, size_t n, int64_t now, seg_diagnostics* diags);
SEG_C_API seg_membership* seg_membership_open(const char* dir, seg_diagnostics* diags);
SEG_C_API void seg_membership_free(seg_membership* m);
SEG_C_API uint64_t seg_membership_version(const seg_membership* m); /* 0 for NULL */
/* A batch: client rows to upsert (CSV with a header or JSON Lines, `len` bytes; may be empty)
 * and `ndeletes` client ids to delete, as one version, on disk before this returns. The events
 * as JSON Lines ({"segment", "client", "event", "version"} a line), owned by `m` until its next
 * call; NULL with diagnostics when refused (bad rows, E804, E701: nothing kept). */
SEG_C_API const char* seg_membership_apply(seg_membership* m, const char* rows, size_t len, const int64_t* deletes,
                                           size_t ndeletes, seg_diagnostics* diags);
/* Moves the clock to `now` (SEG_NOW_CLOCK: the current time); its events as above. The same
 * instant again is no step (no version, no events). NULL with E806 (backwards, or more than a
 * year past both the machine's clock and the membership's: a step cannot be undone, so that is
 * taken for a mistake, such as milliseconds given for seconds) or E701. */
SEG_C_API const char* seg_membership_advance(seg_membership* m, int64_t now, seg_diagnostics* diags);
/* Saves segment `id` with rule text `rule` (new, or a new rule for it), or with `rule` NULL
 * removes it, as one version (none when that changes nothing: the rule it has, or removing
 * one it does not have); events as above (a changed rule's difference; none for a new or
 * removed segment). NULL with the rule's diagnostics or E701. */
SEG_C_API const char* seg_membership_segment(seg_membership* m, int64_t id, const char* rule, seg_diagnostics* diags);
/* seg_query_diff over the membership's clients as they are now: rule texts `before` and
 * `after` at `now` (SEG_NOW_CLOCK: the membership's own instant). JSON as seg_query_diff's,
 * owned by `m` until its next diff; NULL when either rule has errors. The diagnostics of both
 * rules, warnings too, go to `diags` either way, sourced "<before>" and "<after>". */
SEG_C_API const char* seg_membership_diff(seg_membership* m, const char* before, const char* after, int64_t now,
                                          size_t sample, seg_diagnostics* diags);
/* Writes the clients' newest rows as a new base and waits for it. 0 on success, -1 with E701.
 * seg_membership_apply starts one on a thread of its own when the batches' rows pass a
 * quarter of the base's (and 65,536 rows at least), or 16,384 batches; the next change after it is done takes it over, or
 * seg_membership_finish_compaction, which waits for it (call it before a process exits, or
 * the compaction's work is lost). 0 when there was none or it took over, -1 with E701. */
SEG_C_API int seg_membership_compact(seg_membership* m, seg_diagnostics* diags);
SEG_C_API int seg_membership_finish_compaction(seg_membership* m, seg_diagnostics* diags);
/* Members of a segment now: their count (-1: no such segment, NULL, or a failure inside), and
 * up to `cap` sorted ids into `out` returning how many there are in all (SEG_FAILED for the
 * same); seg_last_error() says which. */
SEG_C_API int64_t seg_membership_count(const seg_membership* m, int64_t segment);
SEG_C_API uint64_t seg_membership_ids(const seg_membership* m, int64_t segment, int64_t* out, uint64_t cap);

/* A membership directory's events after version `since`, read a page at a time (docs/membership.md,
 * EventReader): each page replays the log on from where the last stopped, so a long history
 * costs one replay. It only reads: a process changing the directory goes on meanwhile, and a
 * page sees its newer versions. NULL with diagnostics: E803 (not a membership directory, or no
 * version `since` yet), E811 (the generation that holds it was removed). (0.6.0) */
typedef struct seg_events seg_events;
SEG_C_API seg_events* seg_events_open(const char* dir, uint64_t since, seg_diagnostics* diags);
/* The next versions' events as JSON Lines (as seg_membership_apply's), stopping once they number
 * `max_events` or more (0: no limit; a version's events are never split), owned by `r` until
 * its next call; "" when there is no newer version yet. NULL with diagnostics (E803: a damaged
 * record; E811) when the next version cannot be read: the versions before it came first. */
SEG_C_API const char* seg_events_next(seg_events* r, size_t max_events, seg_diagnostics* diags);
SEG_C_API uint64_t seg_events_version(const seg_events* r); /* the last version read; 0 for NULL */
SEG_C_API void seg_events_free(seg_events* r);

#ifdef __cplusplus
}
#endif
#endif
