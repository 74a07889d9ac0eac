/* A host program on seg's C API: the same as main.cpp, for binding from other languages.
 * Usage: embed_c DATA_FILE [RULE] */
#include <seg/seg.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  const char* text = argc > 2 ? argv[2] : "tag any (VIP) and spot = 12";
  if (argc < 2) {
    fprintf(stderr, "usage: embed_c DATA_FILE [RULE]\n");
    return 2;
  }
  seg_diagnostics* diags = seg_diagnostics_new();
  seg_schema* schema = seg_schema_crm();
  seg_store* store = seg_store_open(argv[1], schema, 0, diags);
  seg_rule* rule = seg_rule_compile(text, strlen(text), schema, SEG_TEXT, diags);
  seg_query* query = store ? seg_query_prepare(rule, store, diags) : NULL;
  for (size_t i = 0; i < seg_diagnostics_count(diags); ++i)
    fprintf(stderr, "%s: %s[%s]: %s\n", seg_diagnostic_source(diags, i), seg_diagnostic_is_error(diags, i) ? "error" : "warning",
            seg_diagnostic_code(diags, i), seg_diagnostic_message(diags, i));
  int status = 1;
  if (query) {
    printf("%s\n%llu of %llu clients\n", seg_rule_text(rule), (unsigned long long)seg_query_count(query, SEG_NOW_CLOCK, 1),
           (unsigned long long)seg_store_rows(store));
    status = 0;
  }
  seg_query_free(query);
  seg_rule_free(rule);
  seg_store_free(store);
  seg_schema_free(schema);
  seg_diagnostics_free(diags);
  return status;
}
