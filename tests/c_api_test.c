/* The C API (include/seg/seg.h) from a program in C, linked against libseg.so: compile,
 * diagnostics, open, prepare, count and ids, diff, and membership kept current. Exits non-zero, naming the check, on a failure.
 * Usage: seg_c_api_test TEMP_DIR [SEG_BINARY] (the binary writes a snapshot for the flags of
 * seg_store_open_flags; without it that part is skipped, saying so). */
#include <seg/seg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(cond)                                                       \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                         \
    }                                                                     \
  } while (0)

static const char* kCsv =
    "client_id,player_id,spot,stage,tags,deposit_total,registered_at,last_active_at,country\n"
    "1,101,12,NotProcessed,REGISTERED|VIP,0.00,2025-01-01T00:00:00Z,,DE\n"
    "2,102,12,Registration,REGISTERED,10.00,2025-01-01T00:00:00Z,,FR\n"
    "3,103,7,NotProcessed,REGISTERED,0.00,2025-01-01T00:00:00Z,,DE\n"
    "4,104,12,Active,VIP,0.00,2025-01-01T00:00:00Z,,DE\n";

static void* read_schema_json(void* schema) {
  size_t n = 0;
  for (int i = 0; i < 2000; ++i) n += strlen(seg_schema_json((seg_schema*)schema));
  return (void*)n;
}

int main(int argc, char** argv) {
  char path[4096];
  snprintf(path, sizeof path, "%s/c_api_test_%d.csv", argc > 1 ? argv[1] : ".", (int)getpid());
  FILE* f = fopen(path, "wb");
  if (!f) return 2;
  fputs(kCsv, f);
  fclose(f);

  /* The library is the version of these headers (CMake takes its version from seg.h). */
  CHECK(strcmp(seg_version(), SEG_VERSION_STRING) == 0);
  CHECK(SEG_VERSION_MAJOR * 10000 + SEG_VERSION_MINOR * 100 + SEG_VERSION_PATCH >= 300);
  CHECK(strcmp(seg_last_error(), "") == 0);
  seg_diagnostics* diags = seg_diagnostics_new();
  seg_schema* crm = seg_schema_crm();
  CHECK(crm != NULL);

  /* A rule with a mistake: a diagnostic with a code, a line and a column. */
  const char* typo = "stage in (NotProcessed)\nand spto = 12";
  seg_rule* bad = seg_rule_compile(typo, strlen(typo), crm, SEG_TEXT, diags);
  CHECK(!seg_rule_ok(bad));
  CHECK(seg_diagnostics_count(diags) >= 1);
  CHECK(strcmp(seg_diagnostic_code(diags, 0), "E201") == 0);
  CHECK(seg_diagnostic_is_error(diags, 0));
  CHECK(seg_diagnostic_line(diags, 0) == 2);
  CHECK(seg_diagnostic_column(diags, 0) == 5);
  CHECK(strlen(seg_diagnostic_suggestion(diags, 0)) > 0);
  CHECK(strcmp(seg_rule_text(bad), "") == 0);
  seg_rule_free(bad);

  /* Q1 as rule text and as JSON Logic: the same canonical rule. */
  const char* q1 = "stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12";
  seg_rule* rule = seg_rule_compile(q1, strlen(q1), crm, SEG_TEXT, NULL);
  CHECK(seg_rule_ok(rule));
  CHECK(strcmp(seg_rule_text(rule), q1) == 0);
  const char* logic =
      "{\"and\": [{\"in\": [{\"var\": \"stage\"}, [\"NotProcessed\", \"Registration\"]]}, "
      "{\"in\": [\"REGISTERED\", {\"var\": \"tags\"}]}, {\"==\": [{\"var\": \"spot\"}, 12]}]}";
  seg_rule* same = seg_rule_compile(logic, strlen(logic), crm, SEG_JSONLOGIC, NULL);
  CHECK(seg_rule_ok(same));
  CHECK(seg_rule_hash(same) == seg_rule_hash(rule));
  CHECK(strstr(seg_rule_ir_json(rule), "\"version\"") != NULL);
  seg_rule_free(same);

  /* Exported as react-querybuilder JSON, it reads back as the same rule. */
  const char* qb = seg_rule_export(rule, SEG_QUERYBUILDER, NULL, diags);
  CHECK(qb != NULL && strstr(qb, "\"combinator\":\"and\"") != NULL);
  seg_rule* again = seg_rule_compile(qb, strlen(qb), crm, SEG_QUERYBUILDER, NULL);
  CHECK(seg_rule_ok(again) && seg_rule_hash(again) == seg_rule_hash(rule));
  seg_rule_free(again);
  /* `now` has no clock in a builder: refused (E620) unless a time is given. */
  const char* recent = "last_active_at >= now - 1d";
  seg_rule* rel = seg_rule_compile(recent, strlen(recent), crm, SEG_TEXT, NULL);
  size_t had = seg_diagnostics_count(diags);
  CHECK(seg_rule_export(rel, SEG_JSONLOGIC, NULL, diags) == NULL);
  CHECK(seg_diagnostics_count(diags) == had + 1 && strcmp(seg_diagnostic_code(diags, had), "E620") == 0);
  int64_t at = 1790000000;
  const char* fixed = seg_rule_export(rel, SEG_JSONLOGIC, &at, NULL);
  CHECK(fixed != NULL && strstr(fixed, "2026-09-20T14:13:20Z") != NULL);
  seg_rule_free(rel);

  /* SQL: parameters by default, literals inline; a bad mapping is E630 at its JSON path. */
  const char* sql = seg_rule_sql(rule, "postgres", NULL, 0, NULL, diags);
  CHECK(sql != NULL && strstr(sql, "\"placeholder\":\"$1\"") != NULL && strstr(sql, "FROM clients") != NULL);
  sql = seg_rule_sql(rule, "sqlite", NULL, SEG_SQL_INLINE | SEG_SQL_COUNT, NULL, diags);
  CHECK(sql != NULL && strstr(sql, "SELECT count(*)") != NULL && strstr(sql, "\"params\":[]") != NULL);
  size_t had_sql = seg_diagnostics_count(diags);
  CHECK(seg_rule_sql(rule, "postgres", "{\"fields\": {\"stagee\": {}}}", 0, NULL, diags) == NULL);
  CHECK(seg_diagnostics_count(diags) == had_sql + 1 && strcmp(seg_diagnostic_code(diags, had_sql), "E630") == 0);
  CHECK(seg_rule_sql(rule, "oracle", NULL, 0, NULL, diags) == NULL);
  CHECK(strcmp(seg_diagnostic_code(diags, had_sql + 1), "E808") == 0); /* a dialect it does not know: misuse */
  /* Flags it does not know are named as their bits (-1 was written "-0x1"). */
  CHECK(seg_rule_sql(rule, "postgres", NULL, -1, NULL, diags) == NULL);
  CHECK(strstr(seg_diagnostic_message(diags, had_sql + 2), "flags 0xffffffff") != NULL);
  /* A mapping that is not JSON: E601 with its line and column in the diagnostic's own fields, as
   * seg.h says (they were only words in the message, 0:0 here). */
  size_t had_json = seg_diagnostics_count(diags);
  CHECK(seg_rule_sql(rule, "postgres", "{\n  \"table\": }", 0, NULL, diags) == NULL);
  CHECK(seg_diagnostics_count(diags) == had_json + 1 && strcmp(seg_diagnostic_code(diags, had_json), "E601") == 0);
  CHECK(seg_diagnostic_line(diags, had_json) == 2 && seg_diagnostic_column(diags, had_json) == 12);
  /* A message quoting the caller's bytes that are not UTF-8 writes them as \xNN: it stays text
   * a host can put in JSON or decode (a form's raw 0xE9 reached it). */
  static const char latin1_form[] = "{\"title\":\"\xE9\"}";
  size_t had_utf8 = seg_diagnostics_count(diags);
  seg_rule_free(seg_rule_compile(latin1_form, sizeof latin1_form - 1, crm, SEG_FORM, diags));
  CHECK(seg_diagnostics_count(diags) == had_utf8 + 1 && strcmp(seg_diagnostic_code(diags, had_utf8), "E601") == 0);
  CHECK(strchr(seg_diagnostic_message(diags, had_utf8), 0xE9) == NULL);
  CHECK(strstr(seg_diagnostic_message(diags, had_utf8), "\\xE9") != NULL);
  CHECK(seg_diagnostic_line(diags, had_utf8) == 1 && seg_diagnostic_column(diags, had_utf8) == 12);

  /* A form's title is read back, and written back out with the form (a review: "" both ways). */
  static const char titled[] = "{\"title\": \"Top-up\", \"stages\": [\"Deposit\"], \"spot\": 3, \"tags\": [\"VIP\"]}";
  seg_rule* form_rule = seg_rule_compile(titled, sizeof titled - 1, crm, SEG_FORM, NULL);
  CHECK(form_rule != NULL && seg_rule_ok(form_rule));
  CHECK(strcmp(seg_rule_title(form_rule), "Top-up") == 0);
  CHECK(strcmp(seg_rule_summary(form_rule), "Stages: Deposit \xC2\xB7 Tags: any of VIP \xC2\xB7 Spot: 3") == 0);
  /* A form without its tags: E608 at the JSON path of the member it lacks. */
  size_t had_path = seg_diagnostics_count(diags);
  static const char untagged[] = "{\"title\": \"x\", \"stages\": [\"Deposit\"]}";
  seg_rule_free(seg_rule_compile(untagged, sizeof untagged - 1, crm, SEG_FORM, diags));
  CHECK(seg_diagnostics_count(diags) == had_path + 1 && strcmp(seg_diagnostic_code(diags, had_path), "E608") == 0);
  CHECK(strcmp(seg_diagnostic_json_path(diags, had_path), "/tags") == 0);
  CHECK(strcmp(seg_diagnostic_json_path(diags, 0), "") == 0); /* rule text has none */
  const char* form_out = seg_rule_export(form_rule, SEG_FORM, NULL, NULL);
  CHECK(form_out != NULL && strstr(form_out, "\"title\":\"Top-up\"") != NULL);
  CHECK(strcmp(seg_rule_title(rule), "") == 0);
  seg_rule_free(form_rule);
  /* An empty rule's error is at 1:1 (it was 0:0). */
  size_t had_empty = seg_diagnostics_count(diags);
  seg_rule_free(seg_rule_compile("", 0, crm, SEG_TEXT, diags));
  CHECK(seg_diagnostics_count(diags) == had_empty + 1 && strcmp(seg_diagnostic_code(diags, had_empty), "E110") == 0);
  CHECK(seg_diagnostic_line(diags, had_empty) == 1 && seg_diagnostic_column(diags, had_empty) == 1);

  /* An export stays the export after a SQL call on the same rule (they had one buffer). */
  const char* qb2 = seg_rule_export(rule, SEG_QUERYBUILDER, NULL, NULL);
  CHECK(seg_rule_sql(rule, "postgres", NULL, SEG_SQL_INLINE, NULL, NULL) != NULL);
  CHECK(qb2 != NULL && strstr(qb2, "\"combinator\":\"and\"") != NULL);

  /* A diagnostic's strings stay valid while more are appended (a short one, like a code,
   * lives inside its item: a list that moved its items left them dangling; ASan sees it). */
  const char* first_code = seg_diagnostic_code(diags, 0);
  const char* first_source = seg_diagnostic_source(diags, 0);
  for (int i = 0; i < 300; ++i) seg_rule_free(seg_rule_compile("spto = 1", 8, crm, SEG_TEXT, diags));
  CHECK(strcmp(first_code, "E201") == 0 && strcmp(first_source, seg_diagnostic_source(diags, 0)) == 0);

  /* A file that is not there: a load diagnostic, NULL store. */
  size_t before = seg_diagnostics_count(diags);
  CHECK(seg_store_open("/nonexistent/clients.csv", crm, 0, diags) == NULL);
  CHECK(seg_diagnostics_count(diags) == before + 1);
  CHECK(strcmp(seg_diagnostic_code(diags, before), "E701") == 0);

  seg_store* store = seg_store_open(path, crm, 0, diags);
  CHECK(store != NULL);
  CHECK(seg_store_rows(store) == 4);
  CHECK(seg_store_rows_skipped(store) == 0);

  /* Rows skipped are counted (C had no way to know how many; found by a review). */
  char skip_path[4200];
  snprintf(skip_path, sizeof skip_path, "%s.skip.csv", path);
  FILE* sf = fopen(skip_path, "wb");
  CHECK(sf != NULL);
  fputs(kCsv, sf);
  fputs("5,105,12,Nowhere,,0.00,2025-01-01T00:00:00Z,,DE\n6,106,12,Nowhere,,0.00,2025-01-01T00:00:00Z,,DE\n", sf);
  fclose(sf);
  seg_store* skipped = seg_store_open(skip_path, crm, 1, NULL);
  CHECK(skipped != NULL && seg_store_rows(skipped) == 4 && seg_store_rows_skipped(skipped) == 2);
  /* It answered, so seg_last_error() is "", though why rows were skipped are errors (it said
   * the first of them: a host checking it took the open for a failure). */
  CHECK(strcmp(seg_last_error(), "") == 0);
  seg_store_free(skipped);
  remove(skip_path);

  /* seg_store_open_flags (0.8.0): the values loading added, and a snapshot opened with and
   * without checking its checksums. A byte is damaged at each offset in turn; where the checked
   * open says a section's checksum, the unchecked one opens the file unless the damage breaks
   * a structure it checks anyway, and some damage must be of the first kind. */
  {
    char added_path[4200];
    snprintf(added_path, sizeof added_path, "%s.added.csv", path);
    FILE* af = fopen(added_path, "wb");
    CHECK(af != NULL);
    fputs(kCsv, af);
    fputs("5,105,12,Active,\"NEW \"\"ONE\"\"\",0.00,2025-01-01T00:00:00Z,,DE\n", af);
    fclose(af);
    seg_store* added = seg_store_open_flags(added_path, crm, 0, diags);
    CHECK(added != NULL && strcmp(seg_store_added_values(added), "[\"tags: NEW \\\"ONE\\\"\"]") == 0);
    CHECK(strcmp(seg_store_added_values(store), "[]") == 0 && seg_store_added_values(NULL) == NULL);
    size_t had_flags = seg_diagnostics_count(diags);
    CHECK(seg_store_open_flags(added_path, crm, 4, diags) == NULL);
    CHECK(seg_diagnostics_count(diags) == had_flags + 1 && strcmp(seg_diagnostic_code(diags, had_flags), "E808") == 0);
    seg_store_free(added);
    if (argc > 2) {
      char snap[4200], damaged[4300], cmd[9000];
      snprintf(snap, sizeof snap, "%s.seg", path);
      snprintf(damaged, sizeof damaged, "%s.damaged.seg", path);
      snprintf(cmd, sizeof cmd, "'%s' convert '%s' -o '%s' 2>/dev/null", argv[2], added_path, snap);
      CHECK(system(cmd) == 0);
      FILE* sn = fopen(snap, "rb");
      CHECK(sn != NULL);
      static unsigned char bytes[1 << 20];
      size_t size = sn ? fread(bytes, 1, sizeof bytes, sn) : 0;
      if (sn) fclose(sn);
      int sections_damaged = 0;
      for (size_t at = 0; at < size; at += 16) {
        bytes[at] ^= 0x5a;
        FILE* d = fopen(damaged, "wb");
        fwrite(bytes, 1, size, d);
        fclose(d);
        bytes[at] ^= 0x5a;
        seg_diagnostics* why = seg_diagnostics_new();
        seg_store* checked = seg_store_open_flags(damaged, crm, 0, why);
        if (!checked && seg_diagnostics_count(why) == 1 &&
            strstr(seg_diagnostic_message(why, 0), "checksum mismatch in section") != NULL) {
          seg_diagnostics* still = seg_diagnostics_new();
          seg_store* unchecked = seg_store_open_flags(damaged, crm, SEG_OPEN_NO_VERIFY, still);
          if (unchecked) {
            ++sections_damaged;
            CHECK(seg_store_rows(unchecked) == 5);
          } else {  /* what is checked without the checksums: the structure (a directory, an index) */
            CHECK(strstr(seg_diagnostic_message(still, 0), "corrupt snapshot") != NULL);
          }
          seg_store_free(unchecked);
          seg_diagnostics_free(still);
        }
        seg_store_free(checked);
        seg_diagnostics_free(why);
      }
      CHECK(sections_damaged > 0);
      remove(snap);
      remove(damaged);
    } else {
      fprintf(stderr, "seg_c_api_test: no seg binary given: seg_store_open_flags's SEG_OPEN_NO_VERIFY not tested\n");
    }
    remove(added_path);
  }

  /* NULL where a call needs something is E808, for these two too. */
  size_t n808 = seg_diagnostics_count(diags);
  CHECK(seg_schema_from_json(NULL, 10, diags) == NULL);
  CHECK(seg_diagnostics_count(diags) == n808 + 1 && strcmp(seg_diagnostic_code(diags, n808), "E808") == 0);
  CHECK(seg_rule_sql(rule, NULL, NULL, 0, NULL, diags) == NULL);
  CHECK(seg_diagnostics_count(diags) == n808 + 2 && strcmp(seg_diagnostic_code(diags, n808 + 1), "E808") == 0);

  /* One schema's JSON read from several threads at once (it was rewritten at each call and
   * freed under a reader: ASan saw it; sanitize.sh runs this). */
  pthread_t readers[4];
  for (int i = 0; i < 4; ++i) CHECK(pthread_create(&readers[i], NULL, read_schema_json, crm) == 0);
  for (int i = 0; i < 4; ++i) pthread_join(readers[i], NULL);
  CHECK(strlen(seg_schema_json(crm)) > 100);
  seg_query* q = seg_query_prepare(rule, store, diags);
  CHECK(q != NULL);
  CHECK(seg_query_count(q, SEG_NOW_CLOCK, 1) == 2);
  CHECK(seg_query_count(q, 0, 2) == 2);
  int64_t ids[8] = {0};
  CHECK(seg_query_ids(q, SEG_NOW_CLOCK, NULL, 0) == 2);
  CHECK(seg_query_ids(q, SEG_NOW_CLOCK, ids, 8) == 2);
  CHECK(ids[0] == 1 && ids[1] == 2);
  /* A page of members as text (0.9.0): CSV with its header, JSON Lines; the offset counts
   * members in id order; another format is E808. */
  const char* csv = seg_query_rows(q, SEG_NOW_CLOCK, 0, 10, SEG_ROWS_CSV, diags);
  CHECK(csv != NULL && strncmp(csv, "client_id,", 10) == 0);
  size_t lines = 0;
  for (const char* c = csv; c && *c; ++c) lines += *c == '\n';
  CHECK(lines == 3);
  CHECK(strstr(csv, "\n1,") != NULL && strstr(csv, "\n2,") != NULL);
  const char* jsonl = seg_query_rows(q, SEG_NOW_CLOCK, 1, 10, SEG_ROWS_JSON_LINES, diags);
  CHECK(jsonl != NULL && strncmp(jsonl, "{\"client_id\":2,", 15) == 0);
  CHECK(strchr(jsonl, '\n') == jsonl + strlen(jsonl) - 1); /* one member after the first */
  size_t before_rows = seg_diagnostics_count(diags);
  CHECK(seg_query_rows(q, SEG_NOW_CLOCK, 0, 10, 7, diags) == NULL);
  CHECK(seg_diagnostics_count(diags) == before_rows + 1 && strcmp(seg_diagnostic_code(diags, before_rows), "E808") == 0);
  CHECK(seg_query_rows(NULL, SEG_NOW_CLOCK, 0, 10, SEG_ROWS_CSV, NULL) == NULL);

  /* diff: who `spot = 12` loses to `spot = 12 and tag any (VIP)`. */
  const char* narrower = "spot = 12 and tag any (VIP)";
  seg_rule* r2 = seg_rule_compile(narrower, strlen(narrower), crm, SEG_TEXT, diags);
  seg_query* q2 = seg_query_prepare(r2, store, diags);
  const char* spot = "spot = 12";
  seg_rule* r3 = seg_rule_compile(spot, strlen(spot), crm, SEG_TEXT, diags);
  seg_query* q3 = seg_query_prepare(r3, store, diags);
  const char* d = seg_query_diff(q3, q2, SEG_NOW_CLOCK, 5, diags);
  CHECK(d != NULL && strstr(d, "\"exited\":{\"count\":1,\"sample\":[2]") != NULL);
  seg_store* other = seg_store_open(path, crm, 0, diags);
  seg_query* elsewhere = seg_query_prepare(r2, other, diags);
  size_t had_diff = seg_diagnostics_count(diags);
  CHECK(seg_query_diff(q3, elsewhere, SEG_NOW_CLOCK, 5, diags) == NULL);
  CHECK(seg_diagnostics_count(diags) == had_diff + 1 && strcmp(seg_diagnostic_code(diags, had_diff), "E805") == 0);

  /* A rule that did not compile is one code in every call that needs a compiled one: E801
   * (export said E620 and SQL E631, which mean a good rule the target cannot say). */
  seg_rule* broken = seg_rule_compile(typo, strlen(typo), crm, SEG_TEXT, NULL);
  size_t had_broken = seg_diagnostics_count(diags);
  CHECK(seg_rule_export(broken, SEG_JSONLOGIC, NULL, diags) == NULL);
  CHECK(seg_rule_sql(broken, "postgres", NULL, 0, NULL, diags) == NULL);
  CHECK(seg_query_prepare(broken, store, diags) == NULL);
  CHECK(seg_diagnostics_count(diags) == had_broken + 3);
  for (size_t i = had_broken; i < had_broken + 3; ++i) CHECK(strcmp(seg_diagnostic_code(diags, i), "E801") == 0);
  seg_rule_free(broken);

  /* Membership kept current: a directory, a batch's events, the clock, reopening. */
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/c_api_membership_%d", argc > 1 ? argv[1] : ".", (int)getpid());
  int64_t seg_ids[2] = {10, 20};
  const char* seg_rules[2] = {"spot = 12", "tag any (VIP)"};
  seg_membership* m = seg_membership_create(dir, store, seg_ids, seg_rules, 2, 1767225600, diags);
  CHECK(m != NULL && seg_membership_version(m) == 0);
  CHECK(seg_membership_count(m, 10) == 3 && seg_membership_count(m, 20) == 2 && seg_membership_count(m, 30) == -1);
  const char* batch =
      "client_id,player_id,spot,stage,tags,deposit_total,registered_at,last_active_at,country\n"
      "3,103,12,NotProcessed,REGISTERED,0.00,2025-01-01T00:00:00Z,,DE\n";
  int64_t gone[1] = {4};
  const char* ev = seg_membership_apply(m, batch, strlen(batch), gone, 1, diags);
  CHECK(ev != NULL && strstr(ev, "{\"segment\":10,\"client\":3,\"event\":\"entered\",\"version\":1}") != NULL);
  CHECK(ev != NULL && strstr(ev, "{\"segment\":20,\"client\":4,\"event\":\"exited\",\"version\":1}") != NULL);
  int64_t members[8] = {0};
  CHECK(seg_membership_ids(m, 10, members, 8) == 3 && members[0] == 1 && members[1] == 2 && members[2] == 3);
  /* The same diff as above, over the membership's clients now: client 3 came into spot 12
   * without VIP and client 4 (VIP) left, so two leave where the data file had one. */
  d = seg_membership_diff(m, spot, narrower, SEG_NOW_CLOCK, 5, diags);
  CHECK(d != NULL && strstr(d, "\"exited\":{\"count\":2,\"sample\":[2,3]") != NULL);
  size_t had_mdiff = seg_diagnostics_count(diags);
  CHECK(seg_membership_diff(m, spot, "spot = ", SEG_NOW_CLOCK, 5, diags) == NULL);
  CHECK(seg_diagnostics_count(diags) > had_mdiff);
  /* Both rules wrong: the errors of both, each sourced by its side (it gave the first rule's
   * only, sourced <rule>); and a diff that answers keeps the rules' warnings (it dropped them). */
  size_t had_both = seg_diagnostics_count(diags);
  CHECK(seg_membership_diff(m, "spto = 12", "spot = 12 and cuntry = DE", SEG_NOW_CLOCK, 5, diags) == NULL);
  CHECK(seg_diagnostics_count(diags) == had_both + 2);
  CHECK(strcmp(seg_diagnostic_code(diags, had_both), "E201") == 0 && strcmp(seg_diagnostic_source(diags, had_both), "<before>") == 0);
  CHECK(strcmp(seg_diagnostic_code(diags, had_both + 1), "E201") == 0 && strcmp(seg_diagnostic_source(diags, had_both + 1), "<after>") == 0);
  CHECK(strstr(seg_diagnostic_message(diags, had_both + 1), "cuntry") != NULL && seg_diagnostic_column(diags, had_both + 1) == 15);
  size_t had_warning = seg_diagnostics_count(diags);
  CHECK(seg_membership_diff(m, spot, "spot = 12 and tag any (NOSUCHTAG)", SEG_NOW_CLOCK, 5, diags) != NULL);
  CHECK(seg_diagnostics_count(diags) == had_warning + 1 && !seg_diagnostic_is_error(diags, had_warning));
  CHECK(strcmp(seg_diagnostic_source(diags, had_warning), "<after>") == 0);
  size_t had_clock = seg_diagnostics_count(diags);
  CHECK(seg_membership_advance(m, 0, diags) == NULL);
  CHECK(strcmp(seg_diagnostic_code(diags, had_clock), "E806") == 0);
  CHECK(seg_membership_apply(m, "client_id\nx\n", 12, NULL, 0, diags) == NULL);  /* a bad batch */
  /* Segments saved, changed and removed; then a new base. */
  ev = seg_membership_segment(m, 30, "spot = 12", diags);
  CHECK(ev != NULL && ev[0] == '\0' && seg_membership_count(m, 30) == 3);  /* a new segment: no events */
  ev = seg_membership_segment(m, 10, "spot = 12 and client_id != 1", diags);
  CHECK(ev != NULL && strcmp(ev, "{\"segment\":10,\"client\":1,\"event\":\"exited\",\"version\":3}\n") == 0);
  CHECK(seg_membership_segment(m, 30, NULL, diags) != NULL && seg_membership_count(m, 30) == -1);
  size_t had_rule = seg_diagnostics_count(diags);
  CHECK(seg_membership_segment(m, 40, "spot = ", diags) == NULL && seg_diagnostics_count(diags) > had_rule);
  /* No such segment: -1 and SEG_FAILED, told apart from an empty one by seg_last_error(). */
  CHECK(seg_membership_count(m, 99) == -1 && strcmp(seg_last_error(), "E808: no segment 99 in this membership") == 0);
  CHECK(seg_membership_ids(m, 99, NULL, 0) == SEG_FAILED && strstr(seg_last_error(), "no segment 99") != NULL);
  CHECK(seg_membership_ids(m, 10, NULL, 0) == 2 && strcmp(seg_last_error(), "") == 0);
  /* A change that changes nothing makes no version: the rule it has, a segment it does not
   * have removed, the same instant again. */
  uint64_t v_before = seg_membership_version(m);
  ev = seg_membership_segment(m, 10, "spot = 12 and client_id != 1", diags);
  CHECK(ev != NULL && ev[0] == '\0');
  CHECK(seg_membership_segment(m, 99, NULL, diags) != NULL);
  ev = seg_membership_advance(m, 1767225600, diags);
  CHECK(ev != NULL && ev[0] == '\0' && seg_membership_version(m) == v_before);
  CHECK(seg_membership_compact(m, diags) == 0 && seg_membership_count(m, 10) == 2);
  CHECK(seg_membership_finish_compaction(m, diags) == 0);  /* none in flight: nothing to wait for */
  CHECK(seg_membership_finish_compaction(NULL, diags) == -1);
  seg_membership_free(m);
  seg_membership* reopened = seg_membership_open(dir, diags);
  CHECK(reopened != NULL && seg_membership_version(reopened) == 4 && seg_membership_count(reopened, 10) == 2);
  seg_membership_free(reopened);
  CHECK(seg_membership_open("/nonexistent/membership", diags) == NULL);
  /* Its history a page at a time: with a page of one event or more, version 1's two events
   * (among its others) come first in a page of their own, then version 3's one, then nothing. */
  seg_events* history = seg_events_open(dir, 0, diags);
  CHECK(history != NULL && seg_events_version(history) == 0);
  const char* page = seg_events_next(history, 1, diags);
  CHECK(page != NULL && strstr(page, "\"client\":3,\"event\":\"entered\",\"version\":1}") != NULL);
  CHECK(page != NULL && strstr(page, "\"version\":3") == NULL && seg_events_version(history) == 1);
  page = seg_events_next(history, 0, diags);
  CHECK(page != NULL && strcmp(page, "{\"segment\":10,\"client\":1,\"event\":\"exited\",\"version\":3}\n") == 0);
  CHECK(seg_events_version(history) == 4);  /* read across the new base, to the newest version */
  page = seg_events_next(history, 0, diags);
  CHECK(page != NULL && page[0] == '\0');
  seg_events_free(history);
  size_t had_events = seg_diagnostics_count(diags);
  CHECK(seg_events_open(dir, 5, diags) == NULL && seg_diagnostics_count(diags) == had_events + 1);
  CHECK(strcmp(seg_diagnostic_code(diags, had_events), "E803") == 0);
  CHECK(strstr(seg_diagnostic_message(diags, had_events), "no version 5 to follow from") != NULL);
  CHECK(seg_events_next(NULL, 0, diags) == NULL && seg_events_version(NULL) == 0);
  seg_events_free(NULL);
  /* SEG_NOW_CLOCK is the current time for a membership too (it was taken as the instant
   * INT64_MIN, some 292 billion years ago): a rule of `now` selects as a query run at the
   * current time does, and a step to the current time again goes forward. */
  char dir_now[4300];
  snprintf(dir_now, sizeof dir_now, "%s_now", dir);
  int64_t now_ids[1] = {1};
  const char* now_rules[1] = {"registered_at <= now - 30d"};
  seg_membership* mn = seg_membership_create(dir_now, store, now_ids, now_rules, 1, SEG_NOW_CLOCK, diags);
  seg_rule* now_rule = seg_rule_compile(now_rules[0], strlen(now_rules[0]), crm, SEG_TEXT, diags);
  seg_query* now_query = seg_query_prepare(now_rule, store, diags);
  CHECK(mn != NULL && seg_query_count(now_query, SEG_NOW_CLOCK, 1) == 4);
  CHECK(seg_membership_count(mn, 1) == 4);
  CHECK(seg_membership_advance(mn, SEG_NOW_CLOCK, diags) != NULL);
  CHECK(seg_membership_advance(mn, 0, diags) == NULL); /* backwards from the current time: E806 */
  /* Applied with a warning (W702: a new tag) and no list: an answer, so seg_last_error is "". */
  const char* new_tag =
      "client_id,player_id,spot,stage,tags,deposit_total,registered_at,last_active_at,country\n"
      "9,109,12,Active,NEWTAG,0.00,2025-01-01T00:00:00Z,,DE\n";
  CHECK(seg_membership_apply(mn, new_tag, strlen(new_tag), NULL, 0, NULL) != NULL && strcmp(seg_last_error(), "") == 0);
  seg_query_free(now_query);
  seg_rule_free(now_rule);
  seg_membership_free(mn);
  seg_query_free(q2);
  seg_query_free(q3);
  seg_query_free(elsewhere);
  seg_store_free(other);
  seg_rule_free(r2);
  seg_rule_free(r3);

  /* Misuse: NULL where something is needed, or a format or flag it does not know, is E808
   * (and NULL), never a crash; the counting calls say SEG_FAILED rather than 0. */
  size_t had_misuse = seg_diagnostics_count(diags);
  CHECK(seg_rule_compile(q1, strlen(q1), NULL, SEG_TEXT, diags) == NULL);
  CHECK(seg_rule_compile(q1, strlen(q1), crm, (seg_format)7, diags) == NULL);
  /* Out of the C++ enum's range (0..7), as a binding's plain int may be: still E808 (it was
   * undefined behaviour in the library, which the sanitizer build aborted on). */
  CHECK(seg_rule_compile(q1, strlen(q1), crm, (seg_format)8, diags) == NULL);
  CHECK(seg_rule_compile(q1, strlen(q1), crm, (seg_format)-1, diags) == NULL);
  CHECK(seg_rule_compile(NULL, 5, crm, SEG_TEXT, diags) == NULL);
  CHECK(seg_rule_export(rule, (seg_format)7, NULL, diags) == NULL);
  CHECK(seg_rule_export(rule, (seg_format)8, NULL, diags) == NULL);
  CHECK(seg_rule_export(rule, (seg_format)-1, NULL, diags) == NULL);
  CHECK(seg_rule_sql(rule, "postgres", NULL, SEG_SQL_COUNT | SEG_SQL_WHERE, NULL, diags) == NULL);
  CHECK(seg_rule_sql(rule, "postgres", NULL, 64, NULL, diags) == NULL);
  CHECK(seg_store_open(NULL, crm, 0, diags) == NULL);
  CHECK(seg_query_prepare(NULL, store, diags) == NULL);
  CHECK(seg_query_diff(q, NULL, 0, 1, diags) == NULL);
  CHECK(seg_membership_apply(NULL, "", 0, NULL, 0, diags) == NULL);
  CHECK(seg_membership_diff(NULL, "spot = 1", "spot = 2", 0, 1, diags) == NULL);
  const char* no_rule[1] = {NULL};
  CHECK(seg_membership_create(dir, store, seg_ids, no_rule, 1, 0, diags) == NULL);
  CHECK(seg_diagnostics_count(diags) == had_misuse + 16);
  for (size_t i = had_misuse; i < seg_diagnostics_count(diags); ++i) CHECK(strcmp(seg_diagnostic_code(diags, i), "E808") == 0);
  CHECK(strstr(seg_diagnostic_message(diags, had_misuse), "schema") != NULL);
  /* Calls without a list say why in seg_last_error(), and "" once one answers. */
  CHECK(seg_query_count(NULL, 0, 1) == SEG_FAILED);
  CHECK(strcmp(seg_last_error(), "E808: `q` is NULL") == 0);
  CHECK(seg_query_ids(NULL, 0, NULL, 0) == SEG_FAILED);
  CHECK(seg_query_ids(q, 0, NULL, 4) == SEG_FAILED);
  CHECK(strcmp(seg_last_error(), "E808: `out` is NULL with a `cap`") == 0);
  CHECK(seg_membership_ids(NULL, 10, NULL, 0) == SEG_FAILED);
  CHECK(seg_store_schema(NULL) == NULL && strcmp(seg_last_error(), "E808: `s` is NULL") == 0);
  CHECK(seg_rule_compile(q1, strlen(q1), crm, (seg_format)-1, NULL) == NULL);
  CHECK(strcmp(seg_last_error(), "E808: -1 is not a seg_format") == 0);
  CHECK(seg_rule_export(rule, (seg_format)8, NULL, NULL) == NULL && strcmp(seg_last_error(), "E808: 8 is not a seg_format") == 0);
  CHECK(seg_query_count(q, 0, 1) == 2);  /* and the query still answers */
  CHECK(strcmp(seg_last_error(), "") == 0);
  /* A failure with a place says it: the file, line and field of a bad row (it was only
   * "E704: expected an integer"). */
  {
    char row_path[4200];
    snprintf(row_path, sizeof row_path, "%s.row.csv", path);
    FILE* rows = fopen(row_path, "wb");
    CHECK(rows != NULL);
    if (rows) {
      fputs("client_id,player_id,spot,stage,deposit_total,registered_at\n1,1,1,Active,0,2025-01-01\n2,x,1,Active,0,2025-01-01\n", rows);
      fclose(rows);
      CHECK(seg_store_open(row_path, crm, 0, NULL) == NULL);
      CHECK(strncmp(seg_last_error(), "E704: ", 6) == 0 && strstr(seg_last_error(), ".row.csv:3:2 (player_id): ") != NULL);
      remove(row_path);
    }
  }

  /* What an editor needs of a diagnostic: the span's end, the fix as an edit, the field of a
   * data problem; and a list emptied to be used again. */
  seg_diagnostics_clear(diags);
  CHECK(seg_diagnostics_count(diags) == 0 && strcmp(seg_diagnostic_code(diags, 0), "") == 0);
  seg_diagnostics_clear(NULL);
  const char* typo2 = "spto = 12";
  seg_rule_free(seg_rule_compile(typo2, strlen(typo2), crm, SEG_TEXT, diags));
  CHECK(seg_diagnostics_count(diags) == 1 && strcmp(seg_diagnostic_code(diags, 0), "E201") == 0);
  CHECK(seg_diagnostic_column(diags, 0) == 1 && seg_diagnostic_end_column(diags, 0) == 5);
  uint32_t from = 99, to = 99;
  const char* fix = seg_diagnostic_fix(diags, 0, &from, &to);
  CHECK(fix != NULL && strcmp(fix, "spot") == 0 && from == 0 && to == 4);
  CHECK(seg_diagnostic_fix(diags, 0, NULL, NULL) == fix);
  CHECK(seg_diagnostic_fix(diags, 1, &from, &to) == NULL && from == 0 && to == 4);
  CHECK(strcmp(seg_diagnostic_field(diags, 0), "") == 0);
  char bad_path[4200];
  snprintf(bad_path, sizeof bad_path, "%s.bad.csv", path);
  FILE* bf = fopen(bad_path, "wb");
  CHECK(bf != NULL);
  if (bf) {
    fputs("client_id,player_id,spot,stage,tags,deposit_total,registered_at,last_active_at,country\n"
          "1,10,12,Nowhere,,0,2025-01-01,,DE\n", bf);
    fclose(bf);
  }
  CHECK(seg_store_open(bad_path, crm, 0, diags) == NULL);
  CHECK(seg_diagnostics_count(diags) == 2 && strcmp(seg_diagnostic_code(diags, 1), "E706") == 0);
  CHECK(strcmp(seg_diagnostic_field(diags, 1), "stage") == 0 && seg_diagnostic_line(diags, 1) == 2);
  CHECK(seg_diagnostic_fix(diags, 1, NULL, NULL) == NULL);
  remove(bad_path);

  /* The store's own schema: rules compile against it, and its JSON reads back as it. */
  seg_schema* own = seg_store_schema(store);
  CHECK(own != NULL && seg_store_schema(NULL) == NULL);
  const char* own_json = seg_schema_json(own);
  CHECK(strstr(own_json, "\"stage\"") != NULL && strcmp(seg_schema_json(NULL), "") == 0);
  seg_schema* back = seg_schema_from_json(own_json, strlen(own_json), diags);
  CHECK(back != NULL && strcmp(seg_schema_json(back), own_json) == 0);
  seg_rule* via_own = seg_rule_compile(q1, strlen(q1), back, SEG_TEXT, diags);
  CHECK(seg_rule_ok(via_own) && seg_rule_hash(via_own) == seg_rule_hash(rule));
  seg_rule_free(via_own);
  seg_schema_free(back);
  seg_schema_free(own);
  CHECK(seg_diagnostics_count(diags) == 2);

  /* Freeing NULL is allowed, as with free(). */
  seg_membership_free(NULL);
  seg_query_free(q);
  seg_query_free(NULL);
  seg_store_free(store);
  seg_rule_free(rule);
  seg_schema_free(crm);
  seg_diagnostics_free(diags);
  remove(path);
  char cleanup[8500];
  snprintf(cleanup, sizeof cleanup, "rm -rf '%s' '%s_now'", dir, dir);
  CHECK(system(cleanup) == 0);
  if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
  else printf("C API: all checks passed\n");
  return failures ? 1 : 0;
}
