// Rule text through parse, check, lower, optimize and print. Whatever the bytes: no crash,
// an IR or at least one error; and for every rule that compiles:
//   - the canonical text compiles, without error, to an IR equal to the first (same hash);
//   - fmt is idempotent: print(compile(print(ir))) == print(ir);
//   - IR -> JSON -> IR is equal;
//   - the optimizer does not change what the rule selects (reference evaluator, fixed rows; on
//     1 input in 4, fuzz::sampled: it compiles the rule a second time);
//   - a rule of the form's shape goes IR -> form -> IR unchanged.
#include "compiler/compile.hpp"
#include "adapters/form.hpp"
#include "compiler/ir_json.hpp"
#include "tests/fuzz/crm_rows.hpp"
#include "tests/fuzz/fuzz.hpp"

SEG_FUZZ_TARGET(rule) {
  using namespace seg;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const Schema& schema = crm_schema();
  Compiled c1 = compile_rule(text, schema);
  (void)render_text(c1.diags.list(), "rule", text);
  (void)render_json(c1.diags.list(), text);
  for (const Diagnostic& d : c1.diags.list())
    SEG_FUZZ_CHECK(d.span.begin <= d.span.end && d.span.end <= size, "diagnostic " + d.code + " spans past the text");
  if (!c1.ir) {
    SEG_FUZZ_CHECK(c1.diags.has_errors(), "no IR and no error");
    return 0;
  }
  SEG_FUZZ_CHECK(!c1.diags.has_errors(), "an IR despite an error");
  const ir::Node& ir1 = *c1.ir;
  std::string t1 = ir::print_rule(ir1, schema);
  Compiled c2 = compile_rule(t1, schema);
  SEG_FUZZ_CHECK(c2.ir, "canonical text does not compile\nrule: " + std::string(text) + "\ncanonical: " + t1 + "\n" +
                            render_text(c2.diags.list(), "canonical", t1));
  SEG_FUZZ_CHECK(ir::equal(ir1, *c2.ir), "canonical text means something else\nrule: " + std::string(text) +
                                             "\ncanonical: " + t1 + "\nIR1:\n" + ir::dump_tree(ir1, schema) +
                                             "IR2:\n" + ir::dump_tree(*c2.ir, schema));
  SEG_FUZZ_CHECK(ir::stable_hash(ir1) == ir::stable_hash(*c2.ir), "equal IR, different hash: " + t1);
  std::string t2 = ir::print_rule(*c2.ir, schema);
  SEG_FUZZ_CHECK(t1 == t2, "fmt is not idempotent\nrule: " + std::string(text) + "\nonce:  " + t1 + "\ntwice: " + t2);

  Diagnostics jd;
  std::string json = ir_to_json(ir1, schema);
  auto back = ir_from_json(json, schema, jd);
  SEG_FUZZ_CHECK(back, "IR JSON does not read back\n" + json + "\n" + render_text(jd.list(), "json", ""));
  SEG_FUZZ_CHECK(ir::equal(ir1, *back), "IR -> JSON -> IR differs\nrule: " + t1 + "\n" + json);

  (void)ir::dump_tree(ir1, schema);
  (void)summarize(ir1, schema);

  // A second, unoptimized compile and the reference on 48 rows: on a sample of the inputs
  // (fuzz::sampled, 1 in 4; every input when replaying).
  if (fuzz::sampled(data, size, 4)) {
    CompileOptions raw;
    raw.passes.enabled = false;
    Compiled lowered = compile_rule(text, schema, raw);
    SEG_FUZZ_CHECK(lowered.ir, "compiles optimized but not unoptimized: " + std::string(text));
    int row = fuzz::first_disagreement(*lowered.ir, ir1, schema);
    SEG_FUZZ_CHECK(row < 0, "the optimizer changed the meaning on row " + std::to_string(row) + "\nrule: " +
                                std::string(text) + "\noptimized: " + t1 + "\nlowered:\n" +
                                ir::dump_tree(*lowered.ir, schema));
  }

  std::string why;
  if (auto form = ir_to_form(ir1, schema, why)) {
    Diagnostics fd;
    auto from_form = form_to_ir(*form, schema, fd);
    SEG_FUZZ_CHECK(from_form, "the form of a rule does not compile: " + t1 + "\n" + form_to_json(*form));
    SEG_FUZZ_CHECK(ir::equal(ir1, *from_form),
                   "IR -> form -> IR differs\nrule: " + t1 + "\nform: " + form_to_json(*form) + "\nback: " +
                       ir::print_rule(*from_form, schema));
  }
  return 0;
}
