// The segment form's JSON (adapters/form.hpp). Whatever the bytes: no crash, a form or an
// error. For a form that reads: form -> JSON -> form is equal; when it compiles, the IR's
// form (canonical order) compiles to the same IR, and so does the IR's canonical text.
#include "compiler/compile.hpp"
#include "adapters/form.hpp"
#include "tests/fuzz/fuzz.hpp"

SEG_FUZZ_TARGET(form_json) {
  using namespace seg;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const Schema& schema = crm_schema();
  Diagnostics d;
  auto form = form_from_json(text, d);
  (void)render_text(d.list(), "form.json", "");
  if (!form) {
    SEG_FUZZ_CHECK(d.has_errors(), "no form and no error");
    return 0;
  }
  std::string j = form_to_json(*form);
  Diagnostics d2;
  auto again = form_from_json(j, d2);
  SEG_FUZZ_CHECK(again && *again == *form, "form -> JSON -> form differs\n" + j);
  (void)form_to_json(*form, 2);

  Diagnostics id;
  auto ir = form_to_ir(*form, schema, id);
  if (!ir) {
    SEG_FUZZ_CHECK(id.has_errors(), "a form without IR and without error\n" + j);
    return 0;
  }
  std::string why;
  auto canonical = ir_to_form(*ir, schema, why);
  SEG_FUZZ_CHECK(canonical, "the IR of a form has no form: " + why + "\n" + j);
  Diagnostics cd;
  auto ir2 = form_to_ir(*canonical, schema, cd);
  SEG_FUZZ_CHECK(ir2 && ir::equal(*ir, *ir2), "the canonical form means something else\n" + j + "\n" +
                                                  form_to_json(*canonical));
  std::string t = ir::print_rule(*ir, schema);
  Compiled c = compile_rule(t, schema);
  SEG_FUZZ_CHECK(c.ir && ir::equal(*ir, *c.ir), "a form's rule text means something else\n" + j + "\n" + t + "\n" +
                                                    render_text(c.diags.list(), "rule", t));
  (void)summarize(*ir, schema);
  return 0;
}
