// Every diagnostic code seg reports, in one table: code, severity and a one-line meaning.
// docs/diagnostics.md (rules, JSON, library) and docs/runtime.md (data) list the same rows;
// tests/diagnostic_codes_test.cpp checks the docs and the sources against this table, so a
// new code is added here first.
#pragma once
#include <string_view>

namespace seg {

struct DiagnosticCode {
  std::string_view code;     // E = error, W = warning; the hundreds say the area (docs/diagnostics.md)
  std::string_view meaning;  // as the docs' tables word it
  bool retired = false;      // kept so it is never reused
};

inline constexpr DiagnosticCode kDiagnosticCodes[] = {
    {"E102", "unbalanced parenthesis, or `,`/`)` missing in a list"},
    {"E103", "a value is missing (after an operator, in a list, a `between` bound)"},
    {"E104", "an empty list `()`"},
    {"E105", "a string not closed on its line"},
    {"E106", "an unknown escape or an invalid character in a string"},
    {"E107", "a stray token after a complete condition"},
    {"E108", "a date or timestamp that does not exist"},
    {"E109", "a bad or too long duration after `now +`/`now -`"},
    {"E110", "a condition is missing"},
    {"E111", "no operator after a field name; `not` without `in`"},
    {"E112", "`in`/`any`/`all`/`none` without a parenthesised list"},
    {"E113", "`between` without `and`"},
    {"E114", "`is` without `null`"},
    {"E115", "the rule is not valid UTF-8"},
    {"E116", "a non-ASCII character outside a string (`Régistration`, `“12”`)"},
    {"E201", "unknown field"},
    {"E202", "unknown value of a closed dictionary (stage, country); an empty value of any dictionary, or one of only spaces and tabs"},
    {"E203", "a value that matches several dictionary values alike"},
    {"E301", "the operator does not apply to the field"},
    {"E302", "the literal has the wrong type for the field"},
    {"E303", "too many digits after the decimal point"},
    {"E304", "`now` on a field that is not a timestamp"},
    {"E305", "a number out of the 64-bit range"},
    {"E401", "the rule is longer than 4 MiB (also the canonical text of a form or JSON document)"},
    {"E402", "the rule nests deeper than 128 levels"},
    {"E403", "the rule has more than 10,000 conditions"},
    {"E404", "a list has more than 100,000 values (rule text, form, JSON alike)"},
    {"E405", "a JSON document (IR, form, import, schema) is larger than 16 MiB"},
    {"E406", "a JSON document nests deeper than 520 levels"},
    {"E407", "a schema has more than 4,096 fields"},
    {"E408", "a dictionary has more than 1,048,576 values (a schema's, or an open one grown by data)"},
    {"E409", "a data-file line (CSV, JSON Lines) is longer than 16 MiB"},
    {"E601", "not JSON (with the line and column of the syntax error)"},
    {"E602", "retired: document limits have their own codes now, E405–E408", true},
    {"E603", "a member of the wrong JSON type (an object expected, an array of nodes, an integer id, …)"},
    {"E604", "a required member is missing (`rule`, a range with neither `min` nor `max`)"},
    {"E605", "an unknown member (typos are not ignored)"},
    {"E606", "an unknown node kind, `op`, combinator or operator; an unknown field type in a schema"},
    {"E607", "an IR JSON `version` this seg does not read"},
    {"E608", "an empty `and`/`or`, an empty `values`, a two-value operator without two values; a form without tags or with an empty tag name"},
    {"E610", "a schema field name that is not an identifier"},
    {"E611", "a schema field option that does not apply (`scale` outside decimals, `ordered` on a set, …)"},
    {"E612", "schema consistency: empty or duplicate keys, a key with a space at an end, two fields with one name, a bad `id_field`"},
    {"E613", "a member given twice in one object (JSON readers keep the last one silently; seg refuses)"},
    {"E620", "export: a part of the rule the target format cannot say (`now` without a fixed time, a rule the form cannot show)"},
    {"E630", "SQL: a mapping file names an unknown field, a storage the field or the dialect lacks (arrays in SQLite), or two values with one code"},
    {"E631", "SQL: a part of the rule the dialect cannot say (NUL in PostgreSQL text, and/or nested deeper than SQLite's parser reads), or more parameters than it binds (use --inline)"},
    {"E701", "the file cannot be opened or read (exit 2)"},
    {"E702", "header: unknown column, a field named twice, a non-nullable field without a column (in a membership batch, any field without one), no header"},
    {"E703", "a row with the wrong number of columns (a line of only spaces and tabs is blank, as an empty one, when a row has several columns)"},
    {"E704", "not a value of the field's type (int, decimal, bool; too many decimal digits; out of range)"},
    {"E705", "not a valid timestamp (format, or no such date/time)"},
    {"E706", "a value a closed dictionary does not have (enum or set)"},
    {"E707", "null (empty) in a field that is not nullable"},
    {"E708", "an id that an earlier row already has"},
    {"E709", "JSON Lines: not JSON (with the byte of the line where the parser stopped, and why), not an object, an unknown member, a member given twice, a JSON type the field cannot hold, a field missing from a membership batch's row"},
    {"E710", "not a seg snapshot (magic bytes)"},
    {"E711", "a snapshot version this build does not read, or a header flag it does not know"},
    {"E712", "a truncated snapshot (shorter than its header says)"},
    {"E713", "a corrupt snapshot (checksum mismatch, inconsistent header, sections or directories)"},
    {"E714", "the snapshot cannot be written (`seg convert`, exit 2)"},
    {"E715", "CSV: a quoted cell not closed on its line"},
    {"E716", "every row is bad (with `--skip-bad-rows`): nothing loaded; the first reasons follow"},
    {"E717", "`--schema` names another schema than the snapshot's own (both named, and the first difference)"},
    {"E718", "the load was stopped by its caller before its end (Ctrl-C in `seg repl`); nothing of it is kept"},
    {"E801", "a call that needs a compiled rule (`Query::prepare`, `Rule::export_as`, `Rule::to_sql`, and their C calls) was given one that did not compile"},
    {"E802", "the rule was compiled against another schema than the store's (the first difference is named)"},
    {"E803", "a membership directory (`seg refresh --state`, `seg apply`): not one, already in use when making one, changed by another process (one writer at a time), a log record that no longer replays, or no such version (`--at`); versions whose generation was removed are E811"},
    {"E804", "a batch names one client both as a row to upsert and as a deletion: reported at the row's line and id column (the batch is refused whole)"},
    {"E805", "a diff of two queries prepared on different stores (the C API; C++ throws std::invalid_argument)"},
    {"E806", "a membership's clock moved backwards, or forward more than a year past both the machine's clock and its own (a step cannot be undone)"},
    {"E807", "a change of a membership's segments names one segment twice (saved and removed, or saved twice)"},
    {"E808", "a C API call given NULL where it needs a handle, a string or a list, or a `seg_format` or flag it does not know (`include/seg/seg.h`)"},
    {"E809", "the library failed inside a C API call (out of memory, a thread that could not start, an unexpected exception): nothing was done"},
    {"E810", "a batch would take a membership past 2^32 rows since its base (compactions have not kept up): refused before it is logged"},
    {"E811", "a membership's versions asked for (`--at`, `--since`, `/api/events`) are no longer kept: their generation's files were removed (the oldest version readable is named)"},
    {"W204", "a value an open dictionary (tags) does not know yet: it matches nobody"},
    {"W501", "the rule, or a part of it, can never match"},
    {"W502", "the rule, or a part of it, always holds"},
    {"W503", "`between` with the low bound after the high bound"},
    {"W504", "a builder's `=` on a time with a time of day: only that one second matches (a date is the whole day)"},
    {"W505", "an `and` inside an `or` without parentheses: it binds tighter, so `a or b and c` is `a or (b and c)`"},
    {"W506", "a list value written like a thousands group (`1,000`): the comma makes it two values"},
    {"W701", "warning: the last line has no newline (it may have been cut short)"},
    {"W703", "warning: a membership's log ends in a record cut short (a crash's, dropped; or a log cut short: restore it)"},
    {"W702", "warning: a membership's batch added values to an open dictionary that neither its base nor an earlier batch has (listed once, by the batch that brings them; a data file's load prints them as \"added N new dictionary values\")"},
};

// The entry for `code`, or nullptr.
constexpr const DiagnosticCode* find_diagnostic_code(std::string_view code) {
  for (const auto& d : kDiagnosticCodes)
    if (d.code == code) return &d;
  return nullptr;
}

}  // namespace seg
