// The IR JSON reader (compiler/ir_json.hpp). Whatever the bytes: no crash, an IR or at least
// one error, every diagnostic with a JSON path. For a document that reads:
//   - IR -> JSON -> IR is equal (and the JSON of the copy is the same text);
//   - optimized, its canonical text compiles to the same optimized IR;
//   - the optimizer does not change what it selects (reference evaluator, fixed rows).
#include "compiler/compile.hpp"
#include "adapters/form.hpp"
#include "compiler/ir_json.hpp"
#include "tests/fuzz/crm_rows.hpp"
#include "tests/fuzz/fuzz.hpp"

SEG_FUZZ_TARGET(ir_json) {
  using namespace seg;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const Schema& schema = crm_schema();
  Diagnostics d;
  auto ir = ir_from_json(text, schema, d);
  (void)render_text(d.list(), "ir.json", "");
  (void)render_json(d.list(), "");
  if (!ir) {
    SEG_FUZZ_CHECK(d.has_errors(), "no IR and no error");
    return 0;
  }
  SEG_FUZZ_CHECK(!d.has_errors(), "an IR despite an error");
  std::string j1 = ir_to_json(*ir, schema);
  Diagnostics d2;
  auto back = ir_from_json(j1, schema, d2);
  SEG_FUZZ_CHECK(back, "written JSON does not read back\n" + j1 + "\n" + render_text(d2.list(), "json", ""));
  SEG_FUZZ_CHECK(ir::equal(*ir, *back), "IR -> JSON -> IR differs\n" + j1);
  SEG_FUZZ_CHECK(ir_to_json(*back, schema) == j1, "JSON of an equal IR differs\n" + j1);
  (void)ir_to_json(*ir, schema, 2);
  (void)ir::dump_tree(*ir, schema);
  (void)ir::print_rule(*ir, schema);  // not canonical yet: printed for crashes only

  ir::Node opt = *ir;
  Diagnostics od;
  optimize(opt, schema, od);
  SEG_FUZZ_CHECK(!od.has_errors(), "the optimizer reported an error");
  std::string text1 = ir::print_rule(opt, schema);
  Compiled c = compile_rule(text1, schema);
  SEG_FUZZ_CHECK(c.ir, "canonical text of a JSON rule does not compile\n" + std::string(text) + "\ncanonical: " +
                           text1 + "\n" + render_text(c.diags.list(), "canonical", text1));
  SEG_FUZZ_CHECK(ir::equal(opt, *c.ir), "canonical text of a JSON rule means something else\n" + std::string(text) +
                                            "\ncanonical: " + text1 + "\nIR1:\n" + ir::dump_tree(opt, schema) +
                                            "IR2:\n" + ir::dump_tree(*c.ir, schema));
  int row = fuzz::first_disagreement(*ir, opt, schema);
  SEG_FUZZ_CHECK(row < 0, "the optimizer changed the meaning on row " + std::to_string(row) + "\n" +
                              std::string(text) + "\noptimized: " + text1);
  (void)summarize(opt, schema);
  return 0;
}
